/* offsets.c - see offsets.h */
#define _POSIX_C_SOURCE 200809L
#include "offsets.h"

#include <stdlib.h>
#include <string.h>

#include "timespec.h"

int krt_offsets_query(struct krt_conn *conn, const struct krt_metadata *md,
                      struct krt_tplist *l, struct krt_error *err)
{
    rd_kafka_topic_partition_list_t *q = rd_kafka_topic_partition_list_new((int)l->n + 1);
    size_t *idx = malloc(sizeof(*idx) * (l->n + 1));
    if (!q || !idx) {
        if (q)
            rd_kafka_topic_partition_list_destroy(q);
        free(idx);
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    }
    for (size_t i = 0; i < l->n; i++) {
        struct krt_tp *tp = &l->v[i];
        const struct krt_topic *t = krt_meta_topic(md, tp->topic);
        const struct krt_part *p = t ? krt_meta_part(t, tp->partition) : NULL;
        if (!p) {
            tp->err = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
            tp->offset = -1;
            continue;
        }
        if (p->leader < 0) {
            tp->err = RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE;
            tp->offset = -1;
            continue;
        }
        idx[q->cnt] = i;
        rd_kafka_topic_partition_list_add(q, tp->topic, tp->partition)->offset = tp->offset;
    }
    int rc = 0;
    if (q->cnt > 0) {
        rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(conn->rk, q, conn->timeout_ms);
        if (e) {
            rc = krt_error_kafka(err, e, "cannot look up offsets of %d partitions", q->cnt);
        } else {
            for (int k = 0; k < q->cnt; k++) {
                struct krt_tp *tp = &l->v[idx[k]];
                tp->err = q->elems[k].err;
                tp->offset = q->elems[k].err ? -1 : q->elems[k].offset;
            }
        }
    }
    rd_kafka_topic_partition_list_destroy(q);
    free(idx);
    return rc;
}

int krt_offsets_watermarks(struct krt_conn *conn, const struct krt_metadata *md,
                           const struct krt_tplist *l, int64_t *low, int64_t *high, int *perr,
                           struct krt_error *err)
{
    struct krt_tplist q = {0};
    int rc = -1;
    for (int pass = 0; pass < 2; pass++) {
        krt_tplist_free(&q);
        for (size_t i = 0; i < l->n; i++)
            if (!krt_tplist_add(&q, l->v[i].topic, l->v[i].partition,
                                pass == 0 ? KRT_OFFSET_EARLIEST : KRT_OFFSET_LATEST)) {
                krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
                goto out;
            }
        if (krt_offsets_query(conn, md, &q, err))
            goto out;
        for (size_t i = 0; i < l->n; i++) {
            (pass == 0 ? low : high)[i] = q.v[i].offset;
            if (pass == 0 || !perr[i])
                perr[i] = q.v[i].err;
        }
    }
    rc = 0;
out:
    krt_tplist_free(&q);
    return rc;
}
