/* pscan.c - see pscan.h */
#define _POSIX_C_SOURCE 200809L
#include "pscan.h"

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "offsets.h"
#include "props.h"
#include "timespec.h"

int krt_pscan_run(struct krt_conn *consumer, const char *topic, int32_t partition, int64_t from,
                  int64_t to, krt_pscan_fn visit, void *opaque, struct krt_error *err)
{
    if (from >= to)
        return 0;
    rd_kafka_topic_partition_list_t *a = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(a, topic, partition)->offset = from;
    rd_kafka_resp_err_t e = rd_kafka_assign(consumer->rk, a);
    rd_kafka_topic_partition_list_destroy(a);
    if (e)
        return krt_error_kafka(err, e, "cannot read '%s' partition %d", topic, (int)partition);
    int rc = 0, idle = 0, limit = consumer->timeout_ms * 3;
    bool done = false;
    while (!done && !rc) {
        if (krt_interrupted()) {
            rc = krt_error_set(err, KRT_ERR_INTERRUPTED, "interrupted");
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(consumer->rk, 200);
        if (!m) {
            if ((idle += 200) > limit)
                rc = krt_error_set(err, KRT_ERR_UNREACHABLE,
                                   "no records from '%s' partition %d within %d ms", topic,
                                   (int)partition, limit);
            continue;
        }
        idle = 0;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
            done = true;
        else if (m->err)
            rc = krt_error_kafka(err, m->err, "cannot read '%s' partition %d", topic,
                                 (int)partition);
        else if (m->offset >= to)
            done = true;
        else {
            rc = visit(opaque, m, err);
            done = m->offset + 1 >= to;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_assign(consumer->rk, NULL);
    return rc;
}

static bool header_int(rd_kafka_headers_t *h, const char *name, long long *out)
{
    const void *v;
    size_t n;
    char buf[32], *end;
    if (rd_kafka_header_get_last(h, name, &v, &n) || !v || !n || n >= sizeof(buf))
        return false;
    memcpy(buf, v, n);
    buf[n] = 0;
    *out = strtoll(buf, &end, 10);
    return !*end && *out >= 0;
}

bool krt_pscan_provenance(const rd_kafka_message_t *m, const char *topic, int32_t partition,
                          int64_t *src_off)
{
    rd_kafka_headers_t *h = NULL;
    const void *v;
    size_t n;
    long long p, o;
    if (rd_kafka_message_headers(m, &h) || !h)
        return false;
    if (rd_kafka_header_get_last(h, "krt.source.topic", &v, &n) || !v || n != strlen(topic) ||
        memcmp(v, topic, n))
        return false;
    if (!header_int(h, "krt.source.partition", &p) || p != partition ||
        !header_int(h, "krt.source.offset", &o))
        return false;
    *src_off = o;
    return true;
}

int krt_pscan_marks(struct krt_conn *conn, const struct krt_metadata *md,
                    const struct krt_tplist *l, struct krt_pscan_marks *out,
                    struct krt_error *err)
{
    out->low = calloc(l->n + 1, sizeof(*out->low));
    out->high = calloc(l->n + 1, sizeof(*out->high));
    out->err = calloc(l->n + 1, sizeof(*out->err));
    if (!out->low || !out->high || !out->err)
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    return l->n ? krt_offsets_watermarks(conn, md, l, out->low, out->high, out->err, err) : 0;
}

void krt_pscan_marks_free(struct krt_pscan_marks *m)
{
    free(m->low);
    free(m->high);
    free(m->err);
    memset(m, 0, sizeof(*m));
}

void krt_pscan_consumer_close(struct krt_conn *conn)
{
    if (!conn->rk)
        return;
    rd_kafka_consumer_close(conn->rk);
    krt_conn_close(conn);
}

/* See pscan.h. A restore's commit returns before the broker has written the
 * commit markers, and until then a read_committed read ends before the
 * restored records (a translation read then mapped every commit to the
 * target's start); a fill's comparison would take them for missing. */
int krt_pscan_wait_stable(const struct krt_common *c, struct krt_conn *conn,
                          const struct krt_metadata *md, const struct krt_tplist *l,
                          struct krt_pscan_marks *wm, struct krt_error *err)
{
    struct krt_conn raw = {0};
    struct krt_props extra = {0};
    krt_props_add(&extra, "group.id", "krt-pscan-unused", 0);
    krt_props_add(&extra, "isolation.level", "read_uncommitted", 0);
    int rc = krt_conn_open(&raw, c, KRT_CONN_CONSUMER, &extra, err);
    krt_props_free(&extra);
    if (rc)
        return -1;
    struct krt_pscan_marks hw = {0};
    rc = krt_pscan_marks(&raw, md, l, &hw, err);
    krt_pscan_consumer_close(&raw);
    int64_t deadline = krt_now_ms() + 60000;
    bool said = false;
    for (size_t i = 0; !rc && i < l->n; i++) {
        if (hw.err[i] && !wm->err[i])
            wm->err[i] = hw.err[i]; /* unknown: not a stable end to trust */
        /* a partition whose offsets cannot be read (no leader) is left to
         * the caller, which fails that partition only */
        while (!rc && !hw.err[i] && !wm->err[i] && wm->high[i] < hw.high[i]) {
            if (!said && c->verbosity > 0)
                krt_notef(c->prog,
                          "waiting for the open transaction(s) on '%s' partition %d (last "
                          "stable offset %lld, high watermark %lld; 60 s at most)",
                          l->v[i].topic, (int)l->v[i].partition, (long long)wm->high[i],
                          (long long)hw.high[i]);
            said = true;
            if (krt_interrupted()) {
                rc = krt_error_set(err, KRT_ERR_INTERRUPTED, "interrupted: nothing changed");
            } else if (krt_now_ms() > deadline) {
                rc = krt_error_set(err, KRT_ERR_KAFKA,
                                   "'%s' partition %d: records up to offset %lld are still in "
                                   "an open transaction after 60 s (last stable offset %lld); "
                                   "run again later, or find a hanging transaction with "
                                   "kafka-transactions --find-hanging",
                                   l->v[i].topic, (int)l->v[i].partition,
                                   (long long)hw.high[i], (long long)wm->high[i]);
            } else {
                krt_sleep_ms(200);
                krt_pscan_marks_free(wm);
                rc = krt_pscan_marks(conn, md, l, wm, err);
            }
        }
    }
    krt_pscan_marks_free(&hw);
    return rc;
}
