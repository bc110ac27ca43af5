/* error.h - the one error type of krt, and the one table of exit codes.
 *
 * Every libcore function that can fail returns 0 on success or -1 on failure
 * and fills a caller-owned struct krt_error. Tools map that error to an exit
 * code with krt_error_exit_code(); docs/exit-codes.md documents the table. */
#ifndef KRT_ERROR_H
#define KRT_ERROR_H

#include <stdbool.h>

/** @brief Process exit codes, the same for every krt tool. */
enum krt_exit {
    KRT_EXIT_OK = 0,       /**< success, nothing to report */
    KRT_EXIT_FINDINGS = 1, /**< success, with findings or warnings */
    KRT_EXIT_USAGE = 2,    /**< usage error or bad input; nothing was changed */
    KRT_EXIT_KAFKA = 3,    /**< Kafka error, unreachable cluster, not authorized */
    KRT_EXIT_REFUSED = 4,  /**< refused by a safety guard; nothing was changed */
    KRT_EXIT_PARTIAL = 5,  /**< partial failure: some partitions failed */
    KRT_EXIT_CRITICAL = 6, /**< critical findings (e.g. offline partitions) */
    KRT_EXIT_INTERRUPTED = 130 /**< interrupted by a signal before completion */
};

/** @brief What kind of failure an error is; decides the exit code. */
enum krt_errcode {
    KRT_OK = 0,
    KRT_ERR_USAGE,       /**< bad option or option value */
    KRT_ERR_INPUT,       /**< bad input: file, time, range, unknown name */
    KRT_ERR_KAFKA,       /**< a Kafka request failed */
    KRT_ERR_UNREACHABLE, /**< no broker answered within the timeout */
    KRT_ERR_AUTH,        /**< authentication or authorization failed */
    KRT_ERR_REFUSED,     /**< a safety guard refused the operation */
    KRT_ERR_PARTIAL,     /**< some items succeeded, some failed */
    KRT_ERR_IO,          /**< a local file could not be read or written */
    KRT_ERR_INTERRUPTED, /**< interrupted by the operator */
    KRT_ERR_INTERNAL     /**< a bug or resource exhaustion */
};

/** @brief The error object every fallible libcore call fills. */
struct krt_error {
    enum krt_errcode code;
    int kafka_err;  /**< rd_kafka_resp_err_t, or 0 when not a Kafka error */
    bool retriable; /**< the same call may succeed later */
    char msg[1024]; /**< one line, lowercase first word, no final full stop */
};

/** @brief Reset @p e to "no error". */
void krt_error_clear(struct krt_error *e);

/** @brief Set @p e (when not NULL) to @p code with a printf-style message.
 *  @returns -1, so callers can write `return krt_error_set(...)`. */
int krt_error_set(struct krt_error *e, enum krt_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** @brief Set @p e from a librdkafka error code; the message is the
 *  printf-style context followed by ": " and librdkafka's description.
 *  The kind (unreachable, auth, input, kafka) is derived from the code.
 *  @returns -1. */
int krt_error_kafka(struct krt_error *e, int kafka_err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** @brief Prefix the message already in @p e with more context. */
void krt_error_prefix(struct krt_error *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** @brief Map an error kind to the documented exit code. */
int krt_error_exit_code(const struct krt_error *e);

/** @brief Map a librdkafka error code to a krt error kind. */
enum krt_errcode krt_error_kind_of_kafka(int kafka_err);

/** @brief Print "PROG: error: MSG" on stderr. */
void krt_error_print(const char *prog, const struct krt_error *e);

/** @brief Print "PROG: warning: ..." on stderr. */
void krt_warnf(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** @brief Print "PROG: note: ..." on stderr. */
void krt_notef(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
