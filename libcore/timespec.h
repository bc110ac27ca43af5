/* timespec.h - ISO-8601 date-times and durations as operators type them. */
#ifndef KRT_TIMESPEC_H
#define KRT_TIMESPEC_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/** @brief Parse an ISO-8601 date-time into milliseconds since the epoch.
 *
 *  What java.time's OffsetDateTime.parse() accepts, with the same instant:
 *  `YYYY-MM-DDTHH:MM[:SS[.f]]` (1 to 9 fraction digits, letters in any case,
 *  a year beyond 9999 written `+YYYYY`) followed by `Z`, `±HH`, `±HH:MM` or
 *  `±HH:MM:SS` (at most 18 hours). Deliberate differences (see
 *  tests/oracle/compare.py): a space may stand for the `T`; a time with no
 *  zone is read in @p default_tz (an IANA zone such as "Europe/Paris", or
 *  "UTC"; an unknown zone is refused), as LocalDateTime.atZone() does, and
 *  refused when @p default_tz is NULL; a time before 1970-01-01T00:00:00Z is
 *  refused, because Kafka reads negative times as "latest" or "earliest".
 *  @returns 0, or -1 with KRT_ERR_INPUT. */
int krt_time_parse(const char *s, const char *default_tz, int64_t *ms, struct krt_error *err);

/** @brief Parse an ISO-8601 duration as java.time.Duration.parse() does:
 *  `[-+]P[nD][T[nH][nM][n[.f]S]]`, each amount signed, letters in any case,
 *  into milliseconds truncated toward zero (Duration.toMillis()). A duration
 *  beyond the range of int64 milliseconds is refused.
 *  @returns 0, or -1 with KRT_ERR_INPUT. */
int krt_duration_parse(const char *s, int64_t *ms, struct krt_error *err);

/** @brief The time @p duration_ms before now (a negative duration: after
 *  now), as --by-duration means it. A result before the epoch is refused as
 *  krt_time_parse() refuses such a time; @p text names the duration in the
 *  message. @returns 0, or -1 with KRT_ERR_INPUT. */
int krt_time_ago(const char *text, int64_t duration_ms, int64_t *ms, struct krt_error *err);

/** @brief Format @p ms since the epoch as `YYYY-MM-DDTHH:MM:SS.fffZ`. */
void krt_time_format(int64_t ms, char *buf, size_t size);

/** @brief Parse a timeout or duration option: a decimal number of
 *  milliseconds, or with a unit (`500ms`, `10s`, `1.5m`, `0.05h`), within
 *  @p min_ms..@p max_ms. A bare number below 100 is refused as a probable
 *  missing unit. @p what names the option in messages (`--timeout`).
 *  @returns 0, or -1 with KRT_ERR_USAGE (@p ms untouched). */
int krt_timeout_parse(const char *s, const char *what, int min_ms, int max_ms, int *ms,
                      struct krt_error *err);

/** @brief The current wall-clock time in milliseconds since the epoch. */
int64_t krt_now_ms(void);

/** @brief Sleep for @p ms milliseconds. */
void krt_sleep_ms(int ms);

#endif
