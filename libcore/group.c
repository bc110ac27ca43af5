/* group.c - see group.h */
#define _POSIX_C_SOURCE 200809L
#include "group.h"

#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "timespec.h"

/* Senders for krt_admin_call(): one request each. */
static void send_describe(rd_kafka_t *rk, const rd_kafka_AdminOptions_t *o, rd_kafka_queue_t *q,
                          void *req)
{
    rd_kafka_DescribeConsumerGroups(rk, (const char **)&req, 1, o, q);
}

static void send_list_offsets(rd_kafka_t *rk, const rd_kafka_AdminOptions_t *o,
                              rd_kafka_queue_t *q, void *req)
{
    rd_kafka_ListConsumerGroupOffsets(rk, (rd_kafka_ListConsumerGroupOffsets_t **)&req, 1, o, q);
}

/* The same, asking for stable offsets only (KIP-447): a partition whose
 * commit is still in an open or completing transaction answers
 * UNSTABLE_OFFSET_COMMIT instead of an older offset. The options are the
 * caller's fresh object, handed over as const. */
static void send_list_offsets_stable(rd_kafka_t *rk, const rd_kafka_AdminOptions_t *o,
                                     rd_kafka_queue_t *q, void *req)
{
    rd_kafka_error_t *e =
        rd_kafka_AdminOptions_set_require_stable_offsets((rd_kafka_AdminOptions_t *)o, 1);
    if (e) /* cannot happen for this request type; the answer is then not stable */
        rd_kafka_error_destroy(e);
    rd_kafka_ListConsumerGroupOffsets(rk, (rd_kafka_ListConsumerGroupOffsets_t **)&req, 1, o, q);
}

static void send_alter(rd_kafka_t *rk, const rd_kafka_AdminOptions_t *o, rd_kafka_queue_t *q,
                       void *req)
{
    rd_kafka_AlterConsumerGroupOffsets(rk, (rd_kafka_AlterConsumerGroupOffsets_t **)&req, 1, o, q);
}

static void send_delete_offsets(rd_kafka_t *rk, const rd_kafka_AdminOptions_t *o,
                                rd_kafka_queue_t *q, void *req)
{
    rd_kafka_DeleteConsumerGroupOffsets(rk, (rd_kafka_DeleteConsumerGroupOffsets_t **)&req, 1, o,
                                        q);
}

static void send_list_groups(rd_kafka_t *rk, const rd_kafka_AdminOptions_t *o,
                             rd_kafka_queue_t *q, void *req)
{
    (void)req;
    rd_kafka_ListConsumerGroups(rk, o, q);
}

static char *dupn(const char *s) { return s ? strdup(s) : NULL; }

static bool coordinator_moving(int e)
{
    return e == RD_KAFKA_RESP_ERR_NOT_COORDINATOR ||
           e == RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS ||
           e == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE;
}

static int describe_once(struct krt_conn *conn, const char *group, struct krt_group_desc *out,
                         struct krt_error *err);

int krt_group_describe(struct krt_conn *conn, const char *group, struct krt_group_desc *out,
                       struct krt_error *err)
{
    /* A group's coordinator may be loading (a fresh cluster, a moved
     * partition of __consumer_offsets): ask again until the timeout. */
    int64_t deadline = krt_now_ms() + conn->timeout_ms;
    for (;;) {
        int rc = describe_once(conn, group, out, err);
        if (!rc || !coordinator_moving(err->kafka_err) || krt_now_ms() > deadline ||
            krt_interrupted())
            return rc;
        krt_sleep_ms(200);
    }
}

static int describe_once(struct krt_conn *conn, const char *group, struct krt_group_desc *out,
                         struct krt_error *err)
{
    *out = (struct krt_group_desc){0};
    rd_kafka_event_t *ev = krt_admin_call(conn, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS,
                                          RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT,
                                          send_describe, (void *)group,
                                          "cannot describe consumer group", err);
    if (!ev) {
        krt_error_prefix(err, "group '%s'", group);
        return -1;
    }
    size_t n = 0;
    const rd_kafka_ConsumerGroupDescription_t **d = rd_kafka_DescribeConsumerGroups_result_groups(
        rd_kafka_event_DescribeConsumerGroups_result(ev), &n);
    int rc = 0;
    if (n != 1) {
        rc = krt_error_set(err, KRT_ERR_KAFKA, "cannot describe group '%s': no result", group);
        goto out;
    }
    const rd_kafka_error_t *ge = rd_kafka_ConsumerGroupDescription_error(d[0]);
    if (ge && rd_kafka_error_code(ge) != RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) {
        rc = krt_error_kafka(err, rd_kafka_error_code(ge), "cannot describe group '%s'", group);
        goto out;
    }
    rd_kafka_consumer_group_state_t st = rd_kafka_ConsumerGroupDescription_state(d[0]);
    out->group = strdup(group);
    out->state = strdup(rd_kafka_consumer_group_state_name(st));
    out->exists = !ge && st != RD_KAFKA_CONSUMER_GROUP_STATE_DEAD;
    size_t m = rd_kafka_ConsumerGroupDescription_member_count(d[0]);
    out->members = calloc(m + 1, sizeof(*out->members));
    if (!out->group || !out->state || !out->members) {
        rc = krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < m; i++) {
        const rd_kafka_MemberDescription_t *md = rd_kafka_ConsumerGroupDescription_member(d[0], i);
        struct krt_member *mm = &out->members[out->nmembers++];
        mm->member_id = dupn(rd_kafka_MemberDescription_consumer_id(md));
        mm->client_id = dupn(rd_kafka_MemberDescription_client_id(md));
        mm->host = dupn(rd_kafka_MemberDescription_host(md));
        mm->instance_id = dupn(rd_kafka_MemberDescription_group_instance_id(md));
    }
out:
    rd_kafka_event_destroy(ev);
    if (rc)
        krt_group_desc_free(out);
    return rc;
}

void krt_group_desc_free(struct krt_group_desc *d)
{
    for (int i = 0; d->members && i < d->nmembers; i++) {
        free(d->members[i].member_id);
        free(d->members[i].client_id);
        free(d->members[i].host);
        free(d->members[i].instance_id);
    }
    free(d->members);
    free(d->group);
    free(d->state);
    *d = (struct krt_group_desc){0};
}

/* Copy a result partition list into a tplist. */
static int take_parts(const rd_kafka_topic_partition_list_t *parts, struct krt_tplist *out,
                      struct krt_error *err)
{
    for (int i = 0; parts && i < parts->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &parts->elems[i];
        struct krt_tp *tp = krt_tplist_add(out, p->topic, p->partition, p->offset);
        if (!tp)
            return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        tp->err = p->err;
        if (p->metadata && p->metadata_size > 0) {
            tp->metadata = strndup(p->metadata, p->metadata_size);
            if (!tp->metadata)
                return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        }
    }
    krt_tplist_sort(out);
    return 0;
}

static int list_offsets_as(struct krt_conn *conn, const char *group,
                           const struct krt_tplist *parts, bool stable, struct krt_tplist *out,
                           struct krt_error *err);

static int list_offsets(struct krt_conn *conn, const char *group,
                        const struct krt_tplist *parts, struct krt_tplist *out,
                        struct krt_error *err)
{
    return list_offsets_as(conn, group, parts, false, out, err);
}

static int list_offsets_as(struct krt_conn *conn, const char *group,
                           const struct krt_tplist *parts, bool stable, struct krt_tplist *out,
                           struct krt_error *err)
{
    rd_kafka_topic_partition_list_t *pl = NULL;
    if (parts) {
        pl = rd_kafka_topic_partition_list_new((int)parts->n + 1);
        for (size_t i = 0; i < parts->n; i++)
            rd_kafka_topic_partition_list_add(pl, parts->v[i].topic, parts->v[i].partition);
    }
    rd_kafka_ListConsumerGroupOffsets_t *req = rd_kafka_ListConsumerGroupOffsets_new(group, pl);
    if (pl)
        rd_kafka_topic_partition_list_destroy(pl);
    rd_kafka_event_t *ev = krt_admin_call(conn, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS,
                                          RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT,
                                          stable ? send_list_offsets_stable : send_list_offsets,
                                          req, "cannot list committed offsets",
                                          err);
    rd_kafka_ListConsumerGroupOffsets_destroy(req);
    if (!ev) {
        krt_error_prefix(err, "group '%s'", group);
        return -1;
    }
    size_t n = 0;
    const rd_kafka_group_result_t **g = rd_kafka_ListConsumerGroupOffsets_result_groups(
        rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
    int rc = 0;
    if (n != 1) {
        rc = krt_error_set(err, KRT_ERR_KAFKA, "group '%s': no offsets result", group);
    } else if (rd_kafka_group_result_error(g[0])) {
        const rd_kafka_error_t *e = rd_kafka_group_result_error(g[0]);
        rc = krt_error_kafka(err, rd_kafka_error_code(e), "cannot list offsets of group '%s'",
                             group);
    } else {
        rc = take_parts(rd_kafka_group_result_partitions(g[0]), out, err);
    }
    rd_kafka_event_destroy(ev);
    return rc;
}

int krt_group_state(struct krt_conn *conn, const char *group, struct krt_group_desc *desc,
                    struct krt_tplist *out, struct krt_error *err)
{
    /* librdkafka 2.0.2 crashes when an OffsetFetch meets "not coordinator"
     * (a fresh cluster, a moving coordinator): describe the group first,
     * which finds and waits for its coordinator */
    if (krt_group_describe(conn, group, desc, err))
        return -1;
    if (list_offsets(conn, group, NULL, out, err)) {
        krt_group_desc_free(desc);
        return -1;
    }
    return 0;
}

int krt_group_committed(struct krt_conn *conn, const char *group, struct krt_tplist *out,
                        struct krt_error *err)
{
    struct krt_group_desc d;
    if (krt_group_state(conn, group, &d, out, err))
        return -1;
    krt_group_desc_free(&d);
    return 0;
}

int krt_group_committed_for(struct krt_conn *conn, const char *group,
                            const struct krt_tplist *parts, struct krt_tplist *out,
                            struct krt_error *err)
{
    struct krt_group_desc d; /* see krt_group_state() */
    if (krt_group_describe(conn, group, &d, err))
        return -1;
    krt_group_desc_free(&d);
    return list_offsets(conn, group, parts, out, err);
}

int krt_group_committed_stable(struct krt_conn *conn, const char *group,
                               const struct krt_tplist *parts, struct krt_tplist *out,
                               struct krt_error *err)
{
    struct krt_group_desc d; /* see krt_group_state() */
    if (krt_group_describe(conn, group, &d, err))
        return -1;
    krt_group_desc_free(&d);
    for (int attempt = 1;; attempt++) {
        if (list_offsets_as(conn, group, parts, true, out, err))
            return -1;
        const struct krt_tp *bad = NULL;
        bool unstable = false;
        for (size_t i = 0; i < out->n && !bad; i++) {
            if (out->v[i].err == RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT)
                unstable = true;
            else if (out->v[i].err)
                bad = &out->v[i];
        }
        if (bad)
            return krt_error_kafka(err, bad->err,
                                   "group '%s': cannot read the committed offset of %s:%d",
                                   group, bad->topic, (int)bad->partition);
        if (!unstable)
            return 0;
        krt_tplist_free(out);
        /* 60 s: a killed copy's transaction (timeout 15 s) is aborted by the
         * broker's scan, every 10 s by default, then its markers written */
        if (attempt >= 300)
            return krt_error_set(err, KRT_ERR_KAFKA,
                                 "group '%s': its commits stayed in an open transaction for "
                                 "60 s (UNSTABLE_OFFSET_COMMIT): run again later",
                                 group);
        krt_sleep_ms(200);
    }
}

int krt_group_alter(struct krt_conn *conn, const char *group, struct krt_tplist *offsets,
                    struct krt_error *err)
{
    if (offsets->n == 0)
        return 0;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)offsets->n);
    for (size_t i = 0; i < offsets->n; i++) {
        const struct krt_tp *tp = &offsets->v[i];
        rd_kafka_topic_partition_t *p =
            rd_kafka_topic_partition_list_add(l, tp->topic, tp->partition);
        p->offset = tp->offset;
        if (tp->metadata) {
            p->metadata_size = strlen(tp->metadata);
            p->metadata = rd_kafka_mem_malloc(NULL, p->metadata_size + 1);
            memcpy(p->metadata, tp->metadata, p->metadata_size + 1);
        }
    }
    rd_kafka_AlterConsumerGroupOffsets_t *req = rd_kafka_AlterConsumerGroupOffsets_new(group, l);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_event_t *ev = krt_admin_call(conn, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS,
                                          RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT,
                                          send_alter, req, "cannot commit offsets", err);
    rd_kafka_AlterConsumerGroupOffsets_destroy(req);
    if (!ev) {
        krt_error_prefix(err, "group '%s'", group);
        return -1;
    }
    size_t n = 0;
    const rd_kafka_group_result_t **g = rd_kafka_AlterConsumerGroupOffsets_result_groups(
        rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &n);
    int rc = 0;
    if (n != 1) {
        rc = krt_error_set(err, KRT_ERR_KAFKA, "group '%s': no commit result", group);
    } else if (rd_kafka_group_result_error(g[0])) {
        const rd_kafka_error_t *e = rd_kafka_group_result_error(g[0]);
        rc = krt_error_kafka(err, rd_kafka_error_code(e), "cannot commit offsets of group '%s'",
                             group);
    } else {
        char what[300];
        snprintf(what, sizeof(what), "group '%s': cannot commit the offset", group);
        rc = krt_admin_collect(rd_kafka_group_result_partitions(g[0]), offsets, false, what, err);
    }
    rd_kafka_event_destroy(ev);
    return rc;
}

int krt_group_delete_offsets(struct krt_conn *conn, const char *group, struct krt_tplist *parts,
                             struct krt_error *err)
{
    if (parts->n == 0)
        return 0;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)parts->n);
    for (size_t i = 0; i < parts->n; i++)
        rd_kafka_topic_partition_list_add(l, parts->v[i].topic, parts->v[i].partition);
    rd_kafka_DeleteConsumerGroupOffsets_t *req = rd_kafka_DeleteConsumerGroupOffsets_new(group, l);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_event_t *ev = krt_admin_call(conn, RD_KAFKA_ADMIN_OP_DELETECONSUMERGROUPOFFSETS,
                                          RD_KAFKA_EVENT_DELETECONSUMERGROUPOFFSETS_RESULT,
                                          send_delete_offsets, req, "cannot delete offsets", err);
    rd_kafka_DeleteConsumerGroupOffsets_destroy(req);
    if (!ev) {
        krt_error_prefix(err, "group '%s'", group);
        return -1;
    }
    size_t n = 0;
    const rd_kafka_group_result_t **g = rd_kafka_DeleteConsumerGroupOffsets_result_groups(
        rd_kafka_event_DeleteConsumerGroupOffsets_result(ev), &n);
    int rc = 0;
    if (n == 1 && rd_kafka_group_result_error(g[0])) {
        rc = krt_error_kafka(err, rd_kafka_error_code(rd_kafka_group_result_error(g[0])),
                             "cannot delete offsets of group '%s'", group);
    } else if (n == 1) {
        char what[300];
        snprintf(what, sizeof(what), "group '%s': cannot delete the committed offset", group);
        rc = krt_admin_collect(rd_kafka_group_result_partitions(g[0]), parts, false, what, err);
    } else {
        rc = krt_error_set(err, KRT_ERR_KAFKA, "group '%s': no result for the offset delete",
                           group);
    }
    rd_kafka_event_destroy(ev);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_groups_once(struct krt_conn *conn, char ***ids, size_t *n,
                            struct krt_error *err);

int krt_group_list(struct krt_conn *conn, char ***ids, size_t *n, struct krt_error *err)
{
    /* a broker whose group coordinator partitions are loading or moving (a
     * failover a moment ago) answers with an error: ask again until the
     * timeout, as krt_group_describe does */
    int64_t deadline = krt_now_ms() + conn->timeout_ms;
    for (;;) {
        int rc = list_groups_once(conn, ids, n, err);
        if (!rc || !coordinator_moving(err->kafka_err) || krt_now_ms() > deadline ||
            krt_interrupted())
            return rc;
        krt_sleep_ms(200);
    }
}

static int list_groups_once(struct krt_conn *conn, char ***ids, size_t *n,
                            struct krt_error *err)
{
    *ids = NULL;
    *n = 0;
    rd_kafka_event_t *ev = krt_admin_call(conn, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS,
                                          RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT,
                                          send_list_groups, NULL, "cannot list consumer groups",
                                          err);
    if (!ev)
        return -1;
    const rd_kafka_ListConsumerGroups_result_t *r = rd_kafka_event_ListConsumerGroups_result(ev);
    size_t cnt = 0, nerr = 0;
    const rd_kafka_ConsumerGroupListing_t **v = rd_kafka_ListConsumerGroups_result_valid(r, &cnt);
    const rd_kafka_error_t **errs = rd_kafka_ListConsumerGroups_result_errors(r, &nerr);
    int rc = 0;
    if (nerr > 0) {
        /* one coordinator did not answer: an incomplete list is not a list */
        rc = krt_error_kafka(err, rd_kafka_error_code(errs[0]), "cannot list consumer groups");
    } else {
        *ids = calloc(cnt + 1, sizeof(**ids));
        for (size_t i = 0; *ids && i < cnt; i++)
            (*ids)[(*n)++] = strdup(rd_kafka_ConsumerGroupListing_group_id(v[i]));
        if (!*ids)
            rc = krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        else
            qsort(*ids, *n, sizeof(**ids), cmp_str);
    }
    rd_kafka_event_destroy(ev);
    return rc;
}
