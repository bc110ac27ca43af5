/* notify.h - tell someone that a job is done: POST its report as JSON to a
 * URL. The URL may carry a token (in its path, query or user info), so it is
 * never printed: messages name it by scheme, host and port only. */
#ifndef KRT_NOTIFY_H
#define KRT_NOTIFY_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"

/** @brief Check @p url before anything else happens: it must parse, and its
 *  scheme must be http or https (no file://, no ftp://, no redirect to them).
 *  @returns 0, or -1 with KRT_ERR_USAGE naming the URL as krt_notify_redact()
 *  shows it. */
int krt_notify_check(const char *url, struct krt_error *err);

/** @brief Write @p url as "scheme://host:port/…" into @p buf: no user info,
 *  no path, no query, no fragment. An unparsable URL becomes "(the URL)".
 *  @returns @p buf. */
const char *krt_notify_redact(const char *url, char *buf, size_t n);

/** @brief POST @p doc as JSON to @p url (http or https only, no redirects,
 *  @p timeout_ms per attempt, 3 attempts with backoff). Steals the reference
 *  to @p doc. Errors name the URL redacted.
 *  @returns 0 once a 2xx answer came, or -1. */
int krt_notify_post(const char *url, json_t *doc, int timeout_ms, struct krt_error *err);

#endif
