/* resend.c - see resend.h: the request against the cluster (ranges resolved
 * and registered, the target created) and the copy's callbacks. */
#define _POSIX_C_SOURCE 200809L
#include "resend.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "apply.h"
#include "offsets.h"
#include "timespec.h"

#define META_PREFIX "krt-resend:v1:"
#define TARGET_WAIT_MS 60000

void krt_resend_free(struct krt_resend *rs)
{
    krt_resend_request_free(&rs->req);
    free(rs->parts);
    free(rs->team_committed);
    *rs = (struct krt_resend){0};
}

/* "krt-resend:v1:<fingerprint>:<start>:<end>" */
static int parse_meta(const char *m, char fp[17], int64_t *start, int64_t *end)
{
    if (!m || strncmp(m, META_PREFIX, strlen(META_PREFIX)))
        return -1;
    m += strlen(META_PREFIX);
    if (strlen(m) < 17 || m[16] != ':')
        return -1;
    memcpy(fp, m, 16);
    fp[16] = '\0';
    long long s, e;
    if (sscanf(m + 17, "%lld:%lld", &s, &e) != 2)
        return -1;
    *start = s;
    *end = e;
    return 0;
}

static void meta_of(const struct krt_resend *rs, const struct krt_copy_part *p, char *b, size_t n)
{
    snprintf(b, n, META_PREFIX "%s:%" PRId64 ":%" PRId64, rs->req.fingerprint, p->start, p->end);
}

/* The partitions of the request, sorted. */
static int request_parts(const struct krt_resend *rs, struct krt_tplist *l, struct krt_error *err)
{
    for (int i = 0; i < rs->nparts; i++)
        if (!krt_tplist_add(l, rs->req.source, rs->parts[i].partition, -1))
            return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    krt_tplist_sort(l);
    return 0;
}

/* Take the ranges a request recorded in its group's commits. Sets
 * *recorded to the number of partitions with a record (all or none, else an
 * error) and *done to those committed at their end. */
static int adopt_recorded(struct krt_conn *conn, struct krt_resend *rs, int *recorded,
                          struct krt_error *err)
{
    struct krt_tplist parts = {0}, committed = {0};
    int rc = -1, n = 0, done = 0;
    if (request_parts(rs, &parts, err) ||
        krt_group_committed_stable(conn, rs->group, &parts, &committed, err))
        goto out;
    for (int i = 0; i < rs->nparts; i++) {
        struct krt_copy_part *p = &rs->parts[i];
        const struct krt_tp *c = krt_tplist_find(&committed, rs->req.source, p->partition);
        char fp[17];
        if (c && c->offset >= 0 && !parse_meta(c->metadata, fp, &p->start, &p->end)) {
            /* registered by this build, or by one before 6d2f250 (v0:
             * the same request spelled the same way) */
            if (strcmp(fp, rs->req.fingerprint) && strcmp(fp, rs->req.fingerprint_v0)) {
                krt_error_set(err, KRT_ERR_INPUT,
                              "request id '%s' was used before with other parameters: choose a "
                              "new id",
                              rs->req.id);
                goto out;
            }
            p->next = c->offset;
            n++;
            done += p->next >= p->end;
        }
    }
    if (n && n != rs->nparts) {
        krt_error_set(err, KRT_ERR_INPUT,
                      "request id '%s' was used before with other partitions: choose a new id",
                      rs->req.id);
        goto out;
    }
    *recorded = n;
    rs->already_done = n && done == n;
    rc = 0;
out:
    krt_tplist_free(&parts);
    krt_tplist_free(&committed);
    return rc;
}

/* Remember a partition whose `to` time no record has reached yet. */
static void note_open_end(struct krt_resend *rs, int32_t partition)
{
    size_t len = strlen(rs->to_open);
    if (len >= 3 && !strcmp(rs->to_open + len - 3, "..."))
        return;
    char one[16];
    snprintf(one, sizeof(one), "%s%" PRId32, len ? "," : "", partition);
    /* room is kept for ",..." and the NUL after any partition written */
    if (len + strlen(one) + 5 <= sizeof(rs->to_open))
        memcpy(rs->to_open + len, one, strlen(one) + 1);
    else
        memcpy(rs->to_open + len, ",...", 5);
}

/* A time bound through the time index, for every partition: an offset, or
 * the high watermark when no record is that recent. A partition the look-up
 * failed for is an error: the range must not change silently. */
static int resolve_time(struct krt_conn *conn, const struct krt_metadata *md, struct krt_resend *rs,
                        const struct krt_resend_bound *b, const char *name, const int64_t *hi,
                        int64_t *out, struct krt_error *err)
{
    struct krt_tplist times = {0};
    int rc = -1;
    for (int i = 0; i < rs->nparts; i++)
        if (!krt_tplist_add(&times, rs->req.source, rs->parts[i].partition, b->time_ms)) {
            krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
            goto out;
        }
    if (krt_offsets_query(conn, md, &times, err))
        goto out;
    for (int i = 0; i < rs->nparts; i++) {
        if (times.v[i].err) {
            krt_error_kafka(err, times.v[i].err,
                            "cannot look up the offset of '%s' partition %" PRId32
                            " for '%s' %s",
                            rs->req.source, rs->parts[i].partition, name, b->text);
            goto out;
        }
        out[i] = times.v[i].offset < 0 ? hi[i] : times.v[i].offset;
        if (times.v[i].offset < 0 && b == &rs->req.to)
            note_open_end(rs, rs->parts[i].partition);
    }
    rc = 0;
out:
    krt_tplist_free(&times);
    return rc;
}

/* Resolve a new request's ranges: times through the time index, offsets
 * clamped to what the log holds. */
static int resolve_ranges(struct krt_conn *conn, const struct krt_metadata *md,
                          struct krt_resend *rs, const int64_t *lo, const int64_t *hi,
                          struct krt_error *err)
{
    const struct krt_resend_request *r = &rs->req;
    int64_t *t = calloc((size_t)rs->nparts + 1, sizeof(*t));
    if (!t)
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    int rc = -1;
    const struct krt_resend_bound *b[2] = {&r->from, &r->to};
    for (int k = 0; k < 2; k++) {
        if (!b[k]->has_time)
            continue;
        if (resolve_time(conn, md, rs, b[k], k ? "to" : "from", hi, t, err))
            goto out;
        for (int i = 0; i < rs->nparts; i++)
            *(k ? &rs->parts[i].end : &rs->parts[i].start) = t[i];
    }
    for (int i = 0; i < rs->nparts; i++) {
        struct krt_copy_part *p = &rs->parts[i];
        if (!r->from.has_time) {
            int64_t o = krt_resend_bound_offset(&r->from, p->partition);
            p->start = o >= 0 ? o : lo[i];
        }
        if (!r->to.has_time) {
            int64_t o = krt_resend_bound_offset(&r->to, p->partition);
            p->end = o >= 0 ? o : hi[i]; /* the open end: the high watermark now */
        }
        if (p->end < p->start) {
            krt_error_set(err, KRT_ERR_INPUT,
                          "'to' is before 'from' for partition %" PRId32 " (%" PRId64 " < %" PRId64
                          ")",
                          p->partition, p->end, p->start);
            goto out;
        }
        if (p->start < lo[i])
            p->start = lo[i]; /* what was deleted cannot be resent */
        if (p->end > hi[i])
            p->end = hi[i];
        if (p->start > p->end)
            p->start = p->end;
        p->next = p->start;
    }
    rc = 0;
out:
    free(t);
    return rc;
}

/* Offsets given for partitions the request does not copy are a mistake. */
static int check_bound_parts(const struct krt_resend *rs, const struct krt_resend_bound *b,
                             const char *name, struct krt_error *err)
{
    for (size_t i = 0; b->has_offsets && i < b->noffsets; i++) {
        bool found = false;
        for (int k = 0; k < rs->nparts && !found; k++)
            found = rs->parts[k].partition == b->offsets[i].partition;
        if (!found)
            return krt_error_set(err, KRT_ERR_INPUT,
                                 "'%s' gives an offset for partition %" PRId32
                                 ", which the request does not copy (source '%s' has %d "
                                 "partitions)",
                                 name, b->offsets[i].partition, rs->req.source,
                                 rs->source_partitions);
    }
    return 0;
}

int krt_resend_prepare(struct krt_conn *conn, struct krt_resend *rs, struct krt_error *err)
{
    struct krt_resend_request *r = &rs->req;
    if (krt_topic_is_internal(r->source) || krt_topic_is_internal(r->target))
        return krt_error_set(err, KRT_ERR_REFUSED, "refusing to resend from or to an internal topic");
    snprintf(rs->group, sizeof(rs->group), "krt-resend.%s", r->id);
    snprintf(rs->txn_id, sizeof(rs->txn_id), "krt-resend.%s.%s", r->id,
             r->instance ? r->instance : "0");

    struct krt_metadata md;
    struct krt_tplist parts = {0}, team = {0};
    int64_t *lo = NULL, *hi = NULL;
    int *pe = NULL;
    int rc = -1;
    if (krt_meta_fetch(conn, &md, err))
        return -1;
    const struct krt_topic *src = krt_meta_topic(&md, r->source);
    if (!src || src->err) {
        krt_error_set(err, KRT_ERR_INPUT, "unknown source topic '%s'", r->source);
        goto out;
    }
    rs->source_partitions = src->nparts;
    rs->source_rf = src->nparts ? src->parts[0].nreplicas : 1;
    for (int i = 0; r->partitions && i < r->npartitions; i++)
        if (!krt_meta_part(src, r->partitions[i])) {
            krt_error_set(err, KRT_ERR_INPUT, "source topic '%s' has no partition %d (it has %d)",
                          r->source, r->partitions[i], src->nparts);
            goto out;
        }
    const struct krt_topic *tgt = krt_meta_topic(&md, r->target);
    rs->target_exists = tgt && !tgt->err;
    if (rs->target_exists && tgt->nparts < src->nparts) {
        krt_error_set(err, KRT_ERR_INPUT,
                      "target topic '%s' has %d partitions, fewer than the source's %d: records "
                      "could not keep their partition",
                      r->target, tgt->nparts, src->nparts);
        goto out;
    }
    for (int i = 0; i < src->nparts; i++)
        if (krt_resend_request_selects(r, src->parts[i].id) &&
            !krt_tplist_add(&parts, r->source, src->parts[i].id, -1))
            goto oom;
    rs->parts = calloc(parts.n + 1, sizeof(*rs->parts));
    rs->team_committed = calloc(parts.n + 1, sizeof(*rs->team_committed));
    lo = calloc(parts.n + 1, sizeof(*lo));
    hi = calloc(parts.n + 1, sizeof(*hi));
    pe = calloc(parts.n + 1, sizeof(*pe));
    if (!rs->parts || !rs->team_committed || !lo || !hi || !pe)
        goto oom;
    for (size_t i = 0; i < parts.n; i++) {
        rs->parts[rs->nparts] = (struct krt_copy_part){
            .partition = parts.v[i].partition, .first_copied = -1, .last_copied = -1};
        rs->team_committed[rs->nparts++] = -1;
    }
    if (check_bound_parts(rs, &r->from, "from", err) || check_bound_parts(rs, &r->to, "to", err))
        goto out;
    if (krt_offsets_watermarks(conn, &md, &parts, lo, hi, pe, err))
        goto out;
    for (size_t i = 0; i < parts.n; i++)
        if (pe[i]) {
            krt_error_kafka(err, pe[i], "cannot read the offsets of '%s' partition %d", r->source,
                            parts.v[i].partition);
            goto out;
        }
    /* a request that started before: its recorded ranges, not new ones */
    int recorded;
    if (adopt_recorded(conn, rs, &recorded, err))
        goto out;
    rs->resumed = recorded > 0;
    if (!recorded && resolve_ranges(conn, &md, rs, lo, hi, err))
        goto out;
    if (r->group) {
        if (krt_group_committed_for(conn, r->group, &parts, &team, err))
            goto out;
        for (int i = 0; i < rs->nparts; i++) {
            const struct krt_tp *c = krt_tplist_find(&team, r->source, rs->parts[i].partition);
            rs->team_committed[i] = c ? c->offset : -1;
        }
    }
    rc = 0;
    goto out;
oom:
    krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
out:
    krt_tplist_free(&parts);
    krt_tplist_free(&team);
    free(lo);
    free(hi);
    free(pe);
    krt_meta_free(&md);
    return rc;
}

/* ---- the run ------------------------------------------------------------------------ */

/* Create the target, or find the one another process of the same request
 * created a moment ago: create without waiting, then wait for the topic to
 * be there with every partition led, whoever created it. */
static int ensure_target(struct krt_conn *admin, struct krt_resend *rs, struct krt_error *err)
{
    struct krt_props cfg = {0};
    krt_props_add(&cfg, "message.timestamp.type", "CreateTime", 0);
    int rf = rs->req.replication_factor ? rs->req.replication_factor : rs->source_rf;
    struct krt_error cerr;
    krt_error_clear(&cerr);
    int crc = krt_admin_create_topic(admin, rs->req.target, rs->source_partitions, rf, &cfg, 0,
                                     NULL, &cerr);
    krt_props_free(&cfg);
    if (!crc)
        return 0;
    for (int64_t deadline = krt_now_ms() + TARGET_WAIT_MS;;) {
        struct krt_metadata md;
        if (krt_meta_fetch(admin, &md, err))
            return -1;
        const struct krt_topic *t = krt_meta_topic(&md, rs->req.target);
        int led = 0;
        for (int i = 0; t && !t->err && i < t->nparts; i++)
            led += t->parts[i].leader >= 0;
        bool ready = t && !t->err && t->nparts >= rs->source_partitions && led == t->nparts;
        krt_meta_free(&md);
        if (ready)
            return 0;
        if (krt_now_ms() > deadline || krt_interrupted()) {
            *err = cerr; /* why it is not there: the create's own error */
            return -1;
        }
        krt_sleep_ms(200);
    }
}

#define REGISTER_TRIES 10

/* The request's ranges as commits of its group, each with its range in the
 * metadata. */
static rd_kafka_topic_partition_list_t *range_commits(const struct krt_resend *rs)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(rs->nparts + 1);
    for (int i = 0; i < rs->nparts; i++) {
        char meta[200];
        meta_of(rs, &rs->parts[i], meta, sizeof(meta));
        rd_kafka_topic_partition_t *tp =
            rd_kafka_topic_partition_list_add(l, rs->req.source, rs->parts[i].partition);
        tp->offset = rs->parts[i].start;
        tp->metadata = strdup(meta);
        tp->metadata_size = tp->metadata ? strlen(meta) : 0;
    }
    return l;
}

/* One attempt: a transactional producer under the request's registration id
 * (the same for every process of the request). Its initialisation fences
 * every earlier one and aborts what they left open, so of processes racing
 * here only the last to initialise can commit; the others fail and try
 * again, and then find the winner's ranges. Sets *fresh when this process
 * committed its own ranges. */
static int register_attempt(const struct krt_common *c, struct krt_conn *admin,
                            struct krt_resend *rs, bool *fresh, int *recorded,
                            struct krt_error *err)
{
    char txn[420];
    /* ':' cannot be in an instance name: no copy's transactional.id */
    snprintf(txn, sizeof(txn), "krt-resend.%s:register", rs->req.id);
    struct krt_props px = {0};
    krt_props_add(&px, "transactional.id", txn, 0);
    krt_props_add(&px, "transaction.timeout.ms", "10000", 0);
    struct krt_conn pc = {0};
    int rc = krt_conn_create(&pc, c, KRT_CONN_PRODUCER, &px, NULL, err);
    krt_props_free(&px);
    if (rc)
        return -1;
    *fresh = false;
    rd_kafka_error_t *e = rd_kafka_init_transactions(pc.rk, 60000);
    /* after the initialisation, a winner's commit is complete (the broker
     * finishes an earlier transaction of the id before answering) */
    if (!e && (rc = adopt_recorded(admin, rs, recorded, err)) == 0 && !*recorded) {
#ifdef KRT_TEST_HOOKS
        krt_apply_test_pause("KRT_TEST_REGISTER_PAUSE");
#endif
        e = rd_kafka_begin_transaction(pc.rk);
        if (!e) {
            rd_kafka_topic_partition_list_t *l = range_commits(rs);
            rd_kafka_consumer_group_metadata_t *gm =
                rd_kafka_consumer_group_metadata_new(rs->group);
            e = rd_kafka_send_offsets_to_transaction(pc.rk, l, gm, 30000);
            rd_kafka_consumer_group_metadata_destroy(gm);
            rd_kafka_topic_partition_list_destroy(l);
        }
        if (!e)
            e = rd_kafka_commit_transaction(pc.rk, 60000);
        *fresh = !e;
    }
    if (e) {
        /* the ranges are commits on the source's partitions: a principal
         * without READ on the source fails here, so the source is named */
        krt_error_set(err, KRT_ERR_KAFKA,
                      "cannot register request '%s' (source topic '%s') in group '%s': %s",
                      rs->req.id, rs->req.source, rs->group, rd_kafka_error_string(e));
        err->kafka_err = rd_kafka_error_code(e);
        err->code = krt_error_kind_of_kafka(err->kafka_err);
        rd_kafka_error_destroy(e);
        rc = -1;
    }
    krt_conn_close(&pc);
    return rc;
}

/* Register the ranges this process resolved, unless a sibling process of
 * the same request registered its own first: then adopt those (and check
 * they are whole and of the same request). Exactly one process's ranges are
 * the request's, however many start at once on a live source. */
static int register_request(const struct krt_common *c, struct krt_conn *admin,
                            struct krt_resend *rs, struct krt_error *err)
{
    for (int attempt = 1;; attempt++) {
        bool fresh = false;
        int recorded = 0;
        if (!register_attempt(c, admin, rs, &fresh, &recorded, err)) {
            if (recorded)
                return 0; /* a sibling's ranges, adopted and checked */
            if (fresh) {
                /* verify: what the group holds now is what this process wrote */
                if (adopt_recorded(admin, rs, &recorded, err))
                    return -1;
                if (recorded == rs->nparts)
                    return 0;
                krt_error_set(err, KRT_ERR_KAFKA,
                              "request '%s': its ranges are not in group '%s' after registering",
                              rs->req.id, rs->group);
            }
        }
        /* not authorized, or a request used before otherwise: no retry helps */
        if (err->code == KRT_ERR_AUTH || err->code == KRT_ERR_INPUT ||
            err->code == KRT_ERR_USAGE || attempt == REGISTER_TRIES || krt_interrupted())
            return -1;
        /* lost the race (fenced) or a passing error: the winner's commit is
         * found by the next attempt */
        krt_sleep_ms(100 * attempt + (int)(krt_now_ms() % 200));
    }
}

static bool copy_filter(void *opaque, const struct krt_copy_record *rec)
{
    const struct krt_resend_request *r = &((const struct krt_resend *)opaque)->req;
    if (!krt_resend_request_key_wanted(r, rec->key, rec->key_len))
        return false;
    if (!r->header_name)
        return true;
    const void *v;
    size_t n, wl = strlen(r->header_value);
    for (size_t i = 0;
         rec->headers && !rd_kafka_header_get(rec->headers, i, r->header_name, &v, &n); i++)
        if (n == wl && (!n || !memcmp(v, r->header_value, n)))
            return true;
    return false;
}

/* provenance: which request, and where the record came from */
static void copy_decorate(void *opaque, const struct krt_copy_record *rec, rd_kafka_headers_t *h)
{
    const struct krt_resend_request *r = &((const struct krt_resend *)opaque)->req;
    char part[16], off[24];
    snprintf(part, sizeof(part), "%" PRId32, rec->partition);
    snprintf(off, sizeof(off), "%" PRId64, rec->offset);
    rd_kafka_header_add(h, "krt.resend.id", -1, r->id, -1);
    rd_kafka_header_add(h, "krt.source.topic", -1, r->source, -1);
    rd_kafka_header_add(h, "krt.source.partition", -1, part, -1);
    rd_kafka_header_add(h, "krt.source.offset", -1, off, -1);
}

static void copy_meta(void *opaque, const struct krt_copy_part *p, char *buf, size_t n)
{
    meta_of(opaque, p, buf, n);
}

int krt_resend_run(const struct krt_common *c, struct krt_resend *rs, struct krt_error *err)
{
    rs->started_ms = krt_now_ms();
    if (rs->already_done) {
        rs->finished_ms = rs->started_ms;
        return 0;
    }
    struct krt_conn admin;
    if (krt_conn_open(&admin, c, KRT_CONN_ADMIN, NULL, err))
        return -1;
    krt_conn_trap_signals(&admin);
    int rc = -1;
    if (!rs->target_exists && ensure_target(&admin, rs, err))
        goto out;
    rs->target_exists = true;
    if (!rs->resumed) {
        /* a sibling process may have registered the request meanwhile: the
         * ranges registered first are the request's, whatever this process
         * resolved (its high watermarks may be later) */
        if (register_request(c, &admin, rs, err))
            goto out;
        if (rs->already_done) {
            rc = 0;
            goto out;
        }
    }
    rs->job = (struct krt_copy_job){
        .label = rs->req.id,
        .source = rs->req.source,
        .source_partitions = rs->source_partitions,
        .group = rs->group,
        .txn_id = rs->txn_id,
        .target = rs->req.target,
        .parts = rs->parts,
        .nparts = rs->nparts,
        .max_rate = rs->req.max_rate,
        .max_bytes_rate = rs->req.max_bytes_rate,
        .filter = copy_filter,
        .decorate = copy_decorate,
        .position_meta = copy_meta,
        .opaque = rs,
        .started_ms = rs->started_ms,
    };
    rc = krt_copy_run(c, &admin, &rs->job, err);
out:
    rs->finished_ms = krt_now_ms();
    krt_conn_close(&admin);
    return rc;
}
