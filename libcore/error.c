/* error.c - see error.h */
#include "error.h"

#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void krt_error_clear(struct krt_error *e)
{
    if (!e)
        return;
    e->code = KRT_OK;
    e->kafka_err = 0;
    e->retriable = false;
    e->msg[0] = '\0';
}

static void vset(struct krt_error *e, const char *fmt, va_list ap)
{
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    /* One line: a message never carries a newline into a terminal or log. */
    for (char *p = e->msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

int krt_error_set(struct krt_error *e, enum krt_errcode code, const char *fmt, ...)
{
    if (!e)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vset(e, fmt, ap);
    va_end(ap);
    e->code = code;
    e->kafka_err = 0;
    e->retriable = false;
    return -1;
}

enum krt_errcode krt_error_kind_of_kafka(int kafka_err)
{
    switch ((rd_kafka_resp_err_t)kafka_err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
        return KRT_OK;
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
        return KRT_ERR_UNREACHABLE;
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_DELEGATION_TOKEN_AUTHORIZATION_FAILED:
        return KRT_ERR_AUTH;
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR_INVALID_REQUEST:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
        return KRT_ERR_INPUT;
    default:
        return KRT_ERR_KAFKA;
    }
}

int krt_error_kafka(struct krt_error *e, int kafka_err, const char *fmt, ...)
{
    if (!e)
        return -1;
    char ctx[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx, sizeof(ctx), fmt, ap);
    va_end(ap);
    krt_error_set(e, krt_error_kind_of_kafka(kafka_err), "%s: %s", ctx,
                  rd_kafka_err2str((rd_kafka_resp_err_t)kafka_err));
    e->kafka_err = kafka_err;
    e->retriable = e->code == KRT_ERR_UNREACHABLE;
    return -1;
}

void krt_error_prefix(struct krt_error *e, const char *fmt, ...)
{
    if (!e)
        return;
    char all[sizeof(e->msg) * 2];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(all, sizeof(e->msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(e->msg))
        n = (int)sizeof(e->msg) - 1;
    all[n++] = ':';
    all[n++] = ' ';
    memcpy(all + n, e->msg, sizeof(e->msg));
    all[sizeof(e->msg) - 1] = '\0'; /* one line, truncated to fit */
    memcpy(e->msg, all, sizeof(e->msg));
}

int krt_error_exit_code(const struct krt_error *e)
{
    switch (e->code) {
    case KRT_OK:
        return KRT_EXIT_OK;
    case KRT_ERR_USAGE:
    case KRT_ERR_INPUT:
        return KRT_EXIT_USAGE;
    case KRT_ERR_REFUSED:
        return KRT_EXIT_REFUSED;
    case KRT_ERR_PARTIAL:
        return KRT_EXIT_PARTIAL;
    case KRT_ERR_INTERRUPTED:
        return KRT_EXIT_INTERRUPTED;
    case KRT_ERR_IO:
        /* A file we were told to read is bad input; one we must write is not. */
        return KRT_EXIT_USAGE;
    case KRT_ERR_KAFKA:
    case KRT_ERR_UNREACHABLE:
    case KRT_ERR_AUTH:
    case KRT_ERR_INTERNAL:
    default:
        return KRT_EXIT_KAFKA;
    }
}

void krt_error_print(const char *prog, const struct krt_error *e)
{
    fprintf(stderr, "%s: error: %s\n", prog, e->msg[0] ? e->msg : "unknown error");
}

static void vmsg(const char *prog, const char *kind, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: %s: ", prog, kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void krt_warnf(const char *prog, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(prog, "warning", fmt, ap);
    va_end(ap);
}

void krt_notef(const char *prog, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(prog, "note", fmt, ap);
    va_end(ap);
}
