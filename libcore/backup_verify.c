/* backup_verify.c - krt-backup --verify, the backup as a record source, and
 * the report (human and JSON). */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "backup.h"
#include "conn.h"
#include "json_out.h"
#include "offsets.h"
#include "store.h"
#include "table.h"

static void problem(struct krt_backup_report *rep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void problem(struct krt_backup_report *rep, const char *fmt, ...)
{
    char buf[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    char **nv = realloc(rep->problems, (size_t)(rep->nproblems + 1) * sizeof(*nv));
    if (!nv)
        return;
    rep->problems = nv;
    if ((nv[rep->nproblems] = strdup(buf)))
        rep->nproblems++;
}

static void verify_segment(struct krt_store *st, const struct krt_backup_manifest *m,
                           const struct krt_bk_topic *t, const struct krt_bk_part *p,
                           const struct krt_bk_segment *s, struct krt_backup_report *rep)
{
    char path[4096];
    struct krt_error e;
    struct krt_seg_info info;
    krt_error_clear(&e);
    rep->files_checked++;
    if (krt_store_local_path(st, s->file, 0, path, sizeof(path), &e) ||
        krt_seg_check(path, 0, &info, &e)) {
        problem(rep, "%s", e.msg);
        return;
    }
    if (strcmp(info.sha256, s->sha256))
        problem(rep, "'%s': SHA-256 %s, the manifest says %s", s->file, info.sha256, s->sha256);
    if (strcmp(info.meta.topic, t->name) || info.meta.partition != p->partition ||
        info.meta.from != s->from)
        problem(rep, "'%s': its header names '%s' partition %d from %lld", s->file,
                info.meta.topic, (int)info.meta.partition, (long long)info.meta.from);
    /* a segment of a run with --force names the cluster it was read from */
    const char *want = s->cluster_id ? s->cluster_id : m->cluster_id;
    if (want && strcmp(info.meta.cluster_id, want))
        problem(rep, "'%s': written from cluster '%s', the manifest says '%s'", s->file,
                info.meta.cluster_id, want);
    if (info.records != s->records || info.first_offset != s->first ||
        info.last_offset != s->last)
        problem(rep, "'%s': %lld records at offsets %lld..%lld, the manifest says %lld at "
                "%lld..%lld",
                s->file, (long long)info.records, (long long)info.first_offset,
                (long long)info.last_offset, (long long)s->records, (long long)s->first,
                (long long)s->last);
    if (info.records && (info.first_offset < s->from || info.last_offset >= s->to))
        problem(rep, "'%s': records at offsets %lld..%lld outside its range [%lld, %lld)",
                s->file, (long long)info.first_offset, (long long)info.last_offset,
                (long long)s->from, (long long)s->to);
    rep->records += info.records;
    rep->bytes += info.bytes;
}

/* Offsets [from, to) must be covered by gaps. */
static bool covered_by_gaps(const struct krt_bk_part *p, int64_t from, int64_t to)
{
    int64_t at = from;
    bool moved = true;
    while (at < to && moved) {
        moved = false;
        for (int i = 0; i < p->ngaps; i++)
            if (p->gaps[i].from <= at && p->gaps[i].to > at) {
                at = p->gaps[i].to;
                moved = true;
            }
    }
    return at >= to;
}

static void verify_part(struct krt_store *st, const struct krt_backup_manifest *m,
                        const struct krt_bk_topic *t, const struct krt_bk_part *p,
                        struct krt_backup_report *rep)
{
    int64_t at = -1;
    for (int i = 0; i < p->nsegs; i++) {
        const struct krt_bk_segment *s = &p->segs[i];
        verify_segment(st, m, t, p, s, rep);
        if (at >= 0 && s->from < at)
            problem(rep, "'%s' overlaps the segment before it (from %lld < %lld)", s->file,
                    (long long)s->from, (long long)at);
        else if (at >= 0 && s->from > at && !covered_by_gaps(p, at, s->from))
            problem(rep, "'%s' partition %d: offsets %lld..%lld are in no segment and no "
                    "recorded gap",
                    t->name, (int)p->partition, (long long)at, (long long)s->from - 1);
        at = s->to;
    }
    if (at >= 0 && p->position > at && !covered_by_gaps(p, at, p->position))
        problem(rep, "'%s' partition %d: offsets %lld..%lld are in no segment and no "
                "recorded gap",
                t->name, (int)p->partition, (long long)at, (long long)p->position - 1);
    for (int i = 0; i < p->ngaps; i++)
        if (p->gaps[i].reason == KRT_BK_GAP_LOG_START)
            rep->gaps++;
    /* files on disk the manifest does not list */
    char prefix[600];
    char **names;
    size_t n;
    struct krt_error e;
    snprintf(prefix, sizeof(prefix), "%s/%d", t->name, (int)p->partition);
    if (krt_store_list(st, prefix, &names, &n, &e)) {
        problem(rep, "%s", e.msg);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        char name[900];
        bool listed = false;
        snprintf(name, sizeof(name), "%s/%s", prefix, names[i]);
        for (int k = 0; k < p->nsegs && !listed; k++)
            listed = !strcmp(p->segs[k].file, name);
        if (!listed)
            problem(rep, "'%s' is not in the manifest (left by an interrupted run? run "
                    "krt-backup again to take it in)",
                    name);
    }
    krt_store_list_free(names, n);
}

int krt_backup_verify(const char *dir, struct krt_backup_report *rep, struct krt_error *err)
{
    struct krt_store st;
    struct krt_backup_manifest m;
    memset(rep, 0, sizeof(*rep));
    rep->dir = dir;
    rep->verify = true;
    if (krt_store_open_dir(&st, dir, 0, err))
        return -1;
    if (krt_backup_manifest_read(dir, 0, &m, err)) {
        krt_store_close(&st);
        return -1;
    }
    rep->cluster_id = m.cluster_id ? strdup(m.cluster_id) : NULL;
    for (int i = 0; i < m.ntopics; i++)
        for (int j = 0; j < m.topics[i].nparts; j++) {
            const struct krt_bk_part *p = &m.topics[i].parts[j];
            verify_part(&st, &m, &m.topics[i], p, rep);
            rep->segments += p->nsegs;
        }
    rep->groups = m.ngroups;
    krt_backup_manifest_free(&m);
    krt_store_close(&st);
    return 0;
}

/* ---- the record source ---- */

struct krt_backup_source {
    char *dir;
    struct krt_bk_segment *segs; /* copies of the partition's segments */
    int nsegs, cur;
    int64_t resume, position;
    struct krt_seg_reader *r;
};

int krt_backup_source_open(const char *dir, const struct krt_backup_manifest *m,
                           const char *topic, int32_t partition, int64_t resume_offset,
                           struct krt_backup_source **out, struct krt_error *err)
{
    struct krt_backup_manifest *mm = (struct krt_backup_manifest *)m;
    struct krt_bk_topic *t = krt_backup_topic(mm, topic, 0);
    struct krt_bk_part *p = t ? krt_backup_part(t, partition, 0) : NULL;
    if (!p)
        return krt_error_set(err, KRT_ERR_INPUT, "the backup has no partition %d of '%s'",
                             (int)partition, topic);
    struct krt_backup_source *s = calloc(1, sizeof(*s));
    if (!s || !(s->dir = strdup(dir)) ||
        !(s->segs = calloc((size_t)p->nsegs + 1, sizeof(*s->segs)))) {
        if (s)
            free(s->dir);
        free(s);
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    }
    for (int i = 0; i < p->nsegs; i++) {
        s->segs[i] = p->segs[i];
        s->segs[i].file = strdup(p->segs[i].file);
        s->segs[i].cluster_id = NULL; /* not needed to read records */
        s->nsegs++;
    }
    s->resume = s->position = resume_offset;
    /* the first segment that holds offsets at or after the resume position */
    while (s->cur < s->nsegs && s->segs[s->cur].to <= resume_offset)
        s->cur++;
    *out = s;
    return 0;
}

int krt_backup_source_next(struct krt_backup_source *s, struct krt_seg_record *rec,
                           struct krt_error *err)
{
    for (;;) {
        if (!s->r) {
            if (s->cur >= s->nsegs)
                return 0;
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", s->dir, s->segs[s->cur].file);
            if (krt_seg_reader_open(path, &s->r, err))
                return -1;
        }
        int rc = krt_seg_reader_next(s->r, rec, err);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            if (s->segs[s->cur].to > s->position)
                s->position = s->segs[s->cur].to;
            krt_seg_reader_close(s->r);
            s->r = NULL;
            s->cur++;
            continue;
        }
        if (rec->offset < s->resume)
            continue;
        s->position = rec->offset + 1;
        return 1;
    }
}

int64_t krt_backup_source_position(const struct krt_backup_source *s)
{
    return s->position;
}

void krt_backup_source_close(struct krt_backup_source *s)
{
    if (!s)
        return;
    krt_seg_reader_close(s->r);
    for (int i = 0; i < s->nsegs; i++)
        free(s->segs[i].file);
    free(s->segs);
    free(s->dir);
    free(s);
}

/* ---- report ---- */

void krt_backup_print(const struct krt_backup_report *rep, FILE *f)
{
    if (rep->verify) {
        fprintf(f, "backup %s (cluster %s): %lld segments checked, %lld records, %lld bytes, "
                   "%lld gaps recorded, %lld groups\n",
                rep->dir, rep->cluster_id ? rep->cluster_id : "?",
                (long long)rep->files_checked, (long long)rep->records, (long long)rep->bytes,
                (long long)rep->gaps, (long long)rep->groups);
        for (int i = 0; i < rep->nproblems; i++)
            fprintf(f, "problem: %s\n", rep->problems[i]);
        if (rep->live_compared)
            fprintf(f, "%lld records still in the topics compared with the backup\n",
                    (long long)rep->live_compared);
        fprintf(f, "%s\n", rep->nproblems ? "verify: FAILED" : "verify: ok");
        return;
    }
    static const char *const heads[] = {"TOPIC", "PARTITION", "FROM", "TO", "RECORDS",
                                        "SEGMENTS", "GAP", "STATUS"};
    struct krt_table t;
    krt_table_init(&t, 8, heads);
    for (int i = 0; i < rep->n; i++) {
        const struct krt_backup_result *x = &rep->v[i];
        char p[16], a[32], b[32], n[32], s[32], g[64];
        snprintf(p, sizeof(p), "%d", (int)x->partition);
        snprintf(a, sizeof(a), "%lld", (long long)x->start);
        snprintf(b, sizeof(b), "%lld", (long long)x->end);
        snprintf(n, sizeof(n), "%lld", (long long)x->records);
        snprintf(s, sizeof(s), "%lld", (long long)x->segments);
        if (x->gap_to > x->gap_from)
            snprintf(g, sizeof(g), "%lld..%lld", (long long)x->gap_from,
                     (long long)x->gap_to - 1);
        else
            snprintf(g, sizeof(g), "-");
        const char *cells[] = {x->topic, p, a, b, n, s, g, x->err || x->diverged ? x->errmsg : "ok"};
        krt_table_add(&t, cells);
    }
    krt_table_print(&t, f);
    krt_table_free(&t);
    fprintf(f, "backed up %lld records (%lld bytes) in %lld segments into %s in %.1fs; %lld "
               "groups recorded\n",
            (long long)rep->records, (long long)rep->bytes, (long long)rep->segments, rep->dir,
            (double)rep->elapsed_ms / 1000.0, (long long)rep->groups);
}

json_t *krt_backup_report_json(const struct krt_backup_report *rep)
{
    if (rep->verify) {
        json_t *probs = json_array();
        for (int i = 0; i < rep->nproblems; i++)
            json_array_append_new(probs, json_string(rep->problems[i]));
        return json_pack("{s:s, s:o, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "dir", rep->dir,
                         "cluster_id", krt_json_str(rep->cluster_id), "ok", !rep->nproblems,
                         "segments", (json_int_t)rep->files_checked, "records",
                         (json_int_t)rep->records, "bytes", (json_int_t)rep->bytes, "gaps",
                         (json_int_t)rep->gaps, "groups", (json_int_t)rep->groups,
                         "live_compared", (json_int_t)rep->live_compared, "problems", probs);
    }
    json_t *parts = json_array();
    for (int i = 0; i < rep->n; i++) {
        const struct krt_backup_result *x = &rep->v[i];
        json_t *gap = x->gap_to > x->gap_from
                          ? json_pack("{s:I, s:I}", "from", (json_int_t)x->gap_from, "to",
                                      (json_int_t)x->gap_to)
                          : json_null();
        json_array_append_new(
            parts, json_pack("{s:s, s:i, s:I, s:I, s:o, s:I, s:I, s:I, s:o, s:o}", "topic",
                             x->topic, "partition", (int)x->partition, "from",
                             (json_int_t)x->start, "to", (json_int_t)x->end, "cut",
                             krt_json_offset(x->cut), "records", (json_int_t)x->records, "bytes",
                             (json_int_t)x->bytes, "segments", (json_int_t)x->segments, "gap",
                             gap, "error", krt_json_str(x->err ? x->errmsg : NULL)));
        json_object_set_new(json_array_get(parts, json_array_size(parts) - 1), "diverged",
                            x->diverged ? json_string(x->errmsg ? x->errmsg : "") : json_null());
    }
    return json_pack("{s:s, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "dir", rep->dir,
                     "cluster_id", krt_json_str(rep->cluster_id), "records",
                     (json_int_t)rep->records, "bytes", (json_int_t)rep->bytes, "segments",
                     (json_int_t)rep->segments, "gaps", (json_int_t)rep->gaps, "groups",
                     (json_int_t)rep->groups, "groups_not_captured",
                     (json_int_t)rep->groups_failed, "divergences",
                     (json_int_t)rep->divergences, "elapsed_ms", (json_int_t)rep->elapsed_ms,
                     "partitions", parts);
}

void krt_backup_report_free(struct krt_backup_report *rep)
{
    for (int i = 0; i < rep->n; i++) {
        free(rep->v[i].topic);
        free(rep->v[i].errmsg);
    }
    free(rep->v);
    for (int i = 0; i < rep->nproblems; i++)
        free(rep->problems[i]);
    free(rep->problems);
    free(rep->cluster_id);
    memset(rep, 0, sizeof(*rep));
}

/* ---- comparing with the live topics ---- */

struct live_part {
    const char *topic;
    int32_t partition;
    int64_t end; /* compare offsets below this */
    struct krt_backup_source *src;
    struct krt_seg_record rec; /* the backup's record at or after the last one compared */
    int have; /* rec holds a record not yet passed */
    bool done;
};

static bool same_bytes(const void *a, size_t al, const void *b, size_t bl)
{
    if (!a || !b)
        return !a && !b;
    return al == bl && (!al || !memcmp(a, b, al));
}

const char *krt_backup_record_diff(const struct krt_seg_record *r, const rd_kafka_message_t *m)
{
    rd_kafka_timestamp_type_t tt;
    int64_t ts = rd_kafka_message_timestamp(m, &tt);
    if (!same_bytes(r->value, r->value_len, m->payload, m->len))
        return "value";
    if (!same_bytes(r->key, r->key_len, m->key, m->key_len))
        return "key";
    if (ts != r->timestamp)
        return "timestamp";
    rd_kafka_headers_t *h = NULL;
    size_t n = 0;
    if (!rd_kafka_message_headers(m, &h) && h)
        n = rd_kafka_header_cnt(h);
    if (n != r->nheaders)
        return "headers";
    for (size_t i = 0; i < n; i++) {
        const char *name;
        const void *v;
        size_t vl;
        if (rd_kafka_header_get_all(h, i, &name, &v, &vl) || strcmp(name, r->headers[i].name) ||
            !same_bytes(v, vl, r->headers[i].value, r->headers[i].value_len))
            return "headers";
    }
    return NULL;
}

/* One message of the topic against the backup of its partition. */
static int live_compare(struct live_part *lp, const rd_kafka_message_t *m,
                        struct krt_backup_report *rep, struct krt_error *err)
{
    while (!lp->have || lp->rec.offset < m->offset) {
        int rc = krt_backup_source_next(lp->src, &lp->rec, err);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            problem(rep, "'%s' partition %d: offset %lld is in the topic, not in the backup",
                    lp->topic, (int)lp->partition, (long long)m->offset);
            lp->done = true;
            return 0;
        }
        lp->have = 1;
    }
    if (lp->rec.offset != m->offset) {
        problem(rep, "'%s' partition %d: offset %lld is in the topic, not in the backup",
                lp->topic, (int)lp->partition, (long long)m->offset);
        return 0;
    }
    const char *what = krt_backup_record_diff(&lp->rec, m);
    if (what)
        problem(rep, "'%s' partition %d offset %lld: the %s differs from the backup", lp->topic,
                (int)lp->partition, (long long)m->offset, what);
    lp->have = 0;
    rep->live_compared++;
    return 0;
}

static struct live_part *live_find(struct live_part *v, int n, const char *topic, int32_t p)
{
    for (int i = 0; i < n; i++)
        if (v[i].partition == p && !strcmp(v[i].topic, topic))
            return &v[i];
    return NULL;
}

static int live_consume(struct krt_conn *conn, struct live_part *v, int n, const int64_t *start,
                        struct krt_backup_report *rep, struct krt_error *err)
{
    rd_kafka_topic_partition_list_t *a = rd_kafka_topic_partition_list_new(n + 1);
    int pending = 0;
    for (int i = 0; i < n; i++)
        if (!v[i].done) {
            rd_kafka_topic_partition_list_add(a, v[i].topic, v[i].partition)->offset = start[i];
            pending++;
        }
    rd_kafka_resp_err_t e = pending ? rd_kafka_assign(conn->rk, a) : 0;
    rd_kafka_topic_partition_list_destroy(a);
    if (e)
        return krt_error_kafka(err, e, "cannot read the topics");
    int64_t idle = 0;
    while (pending > 0 && !krt_interrupted()) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(conn->rk, 200);
        if (!m) {
            if ((idle += 200) > conn->timeout_ms * 3)
                return krt_error_set(err, KRT_ERR_UNREACHABLE,
                                     "no records from %d partition(s) within %d ms", pending,
                                     conn->timeout_ms * 3);
            continue;
        }
        idle = 0;
        struct live_part *lp =
            live_find(v, n, m->rkt ? rd_kafka_topic_name(m->rkt) : "", m->partition);
        int rc = 0;
        if (lp && !lp->done) {
            if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                rc = krt_error_kafka(err, m->err, "cannot read '%s' partition %d", lp->topic,
                                     (int)lp->partition);
            else if (m->err || m->offset >= lp->end)
                lp->done = m->err == 0 || m->offset >= lp->end;
            else
                rc = live_compare(lp, m, rep, err);
            if (lp->done)
                pending--;
        }
        rd_kafka_message_destroy(m);
        if (rc)
            return -1;
    }
    return krt_interrupted() ? krt_error_set(err, KRT_ERR_INTERRUPTED, "interrupted") : 0;
}

int krt_backup_verify_live(const struct krt_common *c, const char *dir,
                           struct krt_backup_report *rep, struct krt_error *err)
{
    struct krt_backup_manifest m;
    if (krt_backup_manifest_read(dir, 0, &m, err))
        return -1;
    struct krt_conn conn = {0};
    struct krt_metadata md = {0};
    struct krt_tplist l = {0};
    struct live_part *v = NULL;
    int64_t *low = NULL, *high = NULL;
    int *perr = NULL, n = 0;
    int rc = krt_backup_consumer_open(c, &conn, err);
    if (rc)
        goto out;
    krt_conn_trap_signals(&conn);
    rc = -1;
    if (krt_meta_fetch(&conn, &md, err))
        goto out;
    for (int i = 0; i < m.ntopics; i++)
        if (krt_meta_topic(&md, m.topics[i].name))
            for (int j = 0; j < m.topics[i].nparts; j++)
                if (m.topics[i].parts[j].position > 0)
                    krt_tplist_add(&l, m.topics[i].name, m.topics[i].parts[j].partition, 0);
    v = calloc(l.n + 1, sizeof(*v));
    low = calloc(l.n + 1, sizeof(*low));
    high = calloc(l.n + 1, sizeof(*high));
    perr = calloc(l.n + 1, sizeof(*perr));
    if (!v || !low || !high || !perr) {
        krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (l.n && krt_offsets_watermarks(&conn, &md, &l, low, high, perr, err))
        goto out;
    for (size_t i = 0; i < l.n; i++, n++) {
        struct live_part *lp = &v[n];
        struct krt_bk_part *bp =
            krt_backup_part(krt_backup_topic(&m, l.v[i].topic, 0), l.v[i].partition, 0);
        lp->topic = l.v[i].topic;
        lp->partition = l.v[i].partition;
        lp->end = bp->position < high[i] ? bp->position : high[i];
        int64_t from = bp->nsegs ? bp->segs[0].from : bp->position;
        if (low[i] > from)
            from = low[i];
        low[i] = from;
        lp->done = perr[i] || from >= lp->end;
        if (perr[i])
            problem(rep, "'%s' partition %d: cannot read its offsets: %s", lp->topic,
                    (int)lp->partition, rd_kafka_err2str(perr[i]));
        if (krt_backup_source_open(dir, &m, lp->topic, lp->partition, from, &lp->src, err))
            goto out;
    }
    rc = live_consume(&conn, v, n, low, rep, err);
out:
    for (int i = 0; i < n; i++)
        krt_backup_source_close(v[i].src);
    free(v);
    free(low);
    free(high);
    free(perr);
    krt_tplist_free(&l);
    krt_meta_free(&md);
    if (conn.rk) {
        rd_kafka_consumer_close(conn.rk);
        krt_conn_close(&conn);
    }
    krt_backup_manifest_free(&m);
    return rc;
}
