/* timespec.h - ISO-8601 date-times and durations as operators type them. */
#ifndef KRT_TIMESPEC_H
#define KRT_TIMESPEC_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/** @brief Parse an ISO-8601 date-time into milliseconds since the epoch.
 *
 *  Accepted: `YYYY-MM-DDTHH:MM[:SS[.fff]]` followed by `Z`, `±HH:MM`, `±HHMM`
 *  or `±HH` (a space may stand for the `T`). A time with no zone is refused
 *  unless @p default_tz names an IANA zone (e.g. "Europe/Paris") or "UTC";
 *  an unknown zone name is refused. */
int krt_time_parse(const char *s, const char *default_tz, int64_t *ms, struct krt_error *err);

/** @brief Parse an ISO-8601 duration as java.time.Duration does:
 *  `[-]PnDTnHnMn[.fff]S` (days, hours, minutes, seconds), into milliseconds. */
int krt_duration_parse(const char *s, int64_t *ms, struct krt_error *err);

/** @brief Format @p ms since the epoch as `YYYY-MM-DDTHH:MM:SS.fffZ`. */
void krt_time_format(int64_t ms, char *buf, size_t size);

/** @brief Parse a timeout: a number of milliseconds, or with a unit
 *  (`500ms`, `10s`, `2m`). */
int krt_timeout_parse(const char *s, int *ms, struct krt_error *err);

/** @brief The current wall-clock time in milliseconds since the epoch. */
int64_t krt_now_ms(void);

/** @brief Sleep for @p ms milliseconds. */
void krt_sleep_ms(int ms);

#endif
