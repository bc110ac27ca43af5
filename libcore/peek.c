/* peek.c - see peek.h */
#define _POSIX_C_SOURCE 200809L
#include "peek.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timespec.h"

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int krt_peek_read(const struct krt_common *c, struct krt_peek *v, int nv, struct krt_error *err)
{
    int pending = 0;
    for (int i = 0; i < nv; i++) {
        v[i].n = 0;
        v[i].err = 0;
        v[i].offsets = v[i].timestamps = NULL;
        if (v[i].to > v[i].from) {
            size_t cap = (size_t)(v[i].to - v[i].from);
            v[i].offsets = calloc(cap, sizeof(int64_t));
            v[i].timestamps = calloc(cap, sizeof(int64_t));
            if (!v[i].offsets || !v[i].timestamps)
                return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
            pending++;
        }
    }
    if (!pending)
        return 0;
    struct krt_props extra = {0};
    krt_props_add(&extra, "enable.partition.eof", "true", 0);
    krt_props_add(&extra, "fetch.wait.max.ms", "100", 0);
    krt_props_add(&extra, "group.id", "krt-peek-unused", 0);
    struct krt_conn conn;
    int rc = krt_conn_open(&conn, c, KRT_CONN_CONSUMER, &extra, err);
    krt_props_free(&extra);
    if (rc)
        return -1;
    rd_kafka_topic_partition_list_t *a = rd_kafka_topic_partition_list_new(pending);
    for (int i = 0; i < nv; i++)
        if (v[i].to > v[i].from)
            rd_kafka_topic_partition_list_add(a, v[i].topic, v[i].partition)->offset = v[i].from;
    rd_kafka_resp_err_t e = rd_kafka_assign(conn.rk, a);
    rd_kafka_topic_partition_list_destroy(a);
    if (e) {
        krt_conn_close(&conn);
        return krt_error_kafka(err, e, "cannot read records");
    }
    int64_t deadline = mono_ms() + c->timeout_ms;
    while (pending > 0 && mono_ms() < deadline && !krt_interrupted()) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(conn.rk, 100);
        if (!m)
            continue;
        const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
        for (int i = 0; i < nv; i++) {
            struct krt_peek *w = &v[i];
            if (w->to <= w->from || w->partition != m->partition || strcmp(w->topic, topic))
                continue;
            /* err == -1 marks a window closed normally (end reached or EOF) */
            if (w->err)
                break;
            if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                w->err = m->err;
                pending--;
            } else if (m->err || m->offset >= w->to) {
                w->err = -1;
                pending--;
            } else if (m->offset >= w->from) {
                rd_kafka_timestamp_type_t tt;
                int64_t ts = rd_kafka_message_timestamp(m, &tt);
                w->offsets[w->n] = m->offset;
                w->timestamps[w->n] = tt == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : ts;
                w->n++;
                if (m->offset + 1 >= w->to) {
                    w->err = -1;
                    pending--;
                }
            }
            break;
        }
        rd_kafka_message_destroy(m);
    }
    for (int i = 0; i < nv; i++)
        if (v[i].err == -1)
            v[i].err = 0;
    rd_kafka_consumer_close(conn.rk);
    krt_conn_close(&conn);
    if (krt_interrupted())
        return krt_error_set(err, KRT_ERR_INTERRUPTED, "interrupted while reading records");
    if (pending > 0)
        return krt_error_set(err, KRT_ERR_UNREACHABLE,
                             "could not read the records around the target of %d partition(s) "
                             "within %d ms",
                             pending, c->timeout_ms);
    return 0;
}

void krt_peek_free(struct krt_peek *v, int nv)
{
    for (int i = 0; i < nv; i++) {
        free(v[i].offsets);
        free(v[i].timestamps);
        v[i].offsets = v[i].timestamps = NULL;
    }
}
