/* restore.c - see restore.h: the restore's plan, its checks against the
 * cluster, the backup as a copy-engine source, and the report. */
#define _POSIX_C_SOURCE 200809L
#include "restore.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "configs.h"
#include "group.h"
#include "json_out.h"
#include "meta.h"
#include "plan.h"
#include "resend_request.h"
#include "table.h"
#include "timespec.h"

#define META_PREFIX "krt-restore:v1:"
#define GROUP_PREFIX "krt-restore."

void krt_restore_free(struct krt_restore *rs)
{
    free(rs->o.partitions);
    free(rs->o.until_offsets);
    krt_backup_manifest_free(&rs->m);
    free(rs->parts);
    free(rs->cparts);
    *rs = (struct krt_restore){0};
}

/* ---- option values ------------------------------------------------------------------- */

static int parse_dec(const char *p, size_t n, int64_t max, int64_t *out)
{
    if (n == 0 || n > 19)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i]) || v > (max - (p[i] - '0')) / 10)
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 0;
}

/* the same syntax and checks as krt-resend's --partitions */
int krt_restore_partitions_parse(const char *s, struct krt_restore_opts *o, struct krt_error *err)
{
    struct krt_resend_request r = {0};
    int rc = krt_resend_partitions_parse(s, &r, err);
    free(o->partitions);
    o->partitions = r.partitions;
    o->npartitions = r.npartitions;
    r.partitions = NULL;
    krt_resend_request_free(&r);
    return rc;
}

int krt_restore_until_offsets_parse(const char *s, struct krt_restore_opts *o,
                                    struct krt_error *err)
{
    free(o->until_offsets);
    o->nuntil_offsets = 0;
    if (!(o->until_offsets = calloc(strlen(s) / 3 + 1, sizeof(*o->until_offsets))))
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    for (const char *p = s;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        const char *colon = memchr(p, ':', n);
        int64_t part, off;
        if (!colon || parse_dec(p, (size_t)(colon - p), INT32_MAX, &part) ||
            parse_dec(colon + 1, n - (size_t)(colon - p) - 1, INT64_MAX, &off))
            return krt_error_set(err, KRT_ERR_USAGE,
                                 "--until-offset needs PARTITION:OFFSET,..., not '%s'", s);
        for (int i = 0; i < o->nuntil_offsets; i++)
            if (o->until_offsets[i].partition == part)
                return krt_error_set(err, KRT_ERR_USAGE,
                                     "--until-offset gives partition %" PRId64 " twice", part);
        o->until_offsets[o->nuntil_offsets++] =
            (struct krt_restore_poff){.partition = (int32_t)part, .offset = off};
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

int krt_restore_prefix_parse(char *s, struct krt_restore_opts *o, struct krt_error *err)
{
    char *colon = strchr(s, ':');
    if (!colon || colon == s || !colon[1] || strchr(colon + 1, ':'))
        return krt_error_set(err, KRT_ERR_USAGE, "--to-prefix needs OLD:NEW, not '%s'", s);
    *colon = '\0';
    o->prefix_old = s;
    o->prefix_new = colon + 1;
    return 0;
}

/* ---- local: manifest, selection, hashes, cuts ----------------------------------------- */

static bool selected(const struct krt_restore_opts *o, int32_t partition)
{
    if (!o->partitions)
        return true;
    for (int i = 0; i < o->npartitions; i++)
        if (o->partitions[i] == partition)
            return true;
    return false;
}

static const struct krt_bk_part *bk_part(const struct krt_restore *rs, int32_t partition)
{
    struct krt_bk_topic *t = krt_backup_topic((struct krt_backup_manifest *)&rs->m, rs->o.topic, 0);
    return t ? krt_backup_part(t, partition, 0) : NULL;
}

/* The hashes of a partition's segments equal the manifest's. */
static int check_hashes(const struct krt_restore *rs, const struct krt_bk_part *p,
                        struct krt_error *err)
{
    for (int i = 0; i < p->nsegs; i++) {
        char path[4096], sha[65];
        snprintf(path, sizeof(path), "%s/%s", rs->o.dir, p->segs[i].file);
        if (krt_seg_sha256(path, sha, err))
            return -1;
        if (strcmp(sha, p->segs[i].sha256))
            return krt_error_set(err, KRT_ERR_INPUT,
                                 "backup segment '%s' is corrupted: its SHA-256 is %s, the "
                                 "manifest says %s",
                                 path, sha, p->segs[i].sha256);
    }
    return 0;
}

/* Records of partition @p k in [from, end), and with --until the end: the
 * offset of the first record newer than --until. Reads the segments. */
static int scan_part(struct krt_restore *rs, int k, int64_t from, bool cut_by_time,
                     struct krt_error *err)
{
    struct krt_restore_part *rp = &rs->parts[k];
    struct krt_backup_source *s;
    if (krt_backup_source_open(rs->o.dir, &rs->m, rs->o.topic, rp->partition, from, &s, err))
        return -1;
    struct krt_seg_record rec;
    int rc;
    rp->records = 0;
    while ((rc = krt_backup_source_next(s, &rec, err)) == 1) {
        if (rec.offset >= rp->end)
            break;
        if (cut_by_time && rec.timestamp > rs->o.until_ms) {
            rp->end = rec.offset;
            break;
        }
        rp->records++;
    }
    krt_backup_source_close(s);
    if (rc < 0)
        krt_error_prefix(err, "cannot read the backup of '%s' partition %" PRId32, rs->o.topic,
                         rp->partition);
    return rc < 0 ? -1 : 0;
}

/* The restore's end and record count of every partition, from @p next on. */
static int plan_counts(struct krt_restore *rs, struct krt_error *err)
{
    for (int k = 0; k < rs->nparts; k++) {
        struct krt_restore_part *rp = &rs->parts[k];
        int64_t from = rs->cparts[k].next;
        bool cut = rs->o.has_until;
        for (int i = 0; i < rs->o.nuntil_offsets; i++)
            if (rs->o.until_offsets[i].partition == rp->partition) {
                if (rs->o.until_offsets[i].offset < rp->end)
                    rp->end = rs->o.until_offsets[i].offset;
                cut = true;
            }
        if (rp->end < rp->backup_from)
            rp->end = rp->backup_from;
        if (!cut && from <= rp->backup_from) {
            rp->records = rp->backup_records;
        } else if (scan_part(rs, k, from, rs->o.has_until, err)) {
            return -1;
        }
        rs->cparts[k].end = rp->end;
    }
    return 0;
}

/* A name that is a group id and a transactional id as it is. */
static bool good_id(const char *s)
{
    if (!*s || strlen(s) > 150)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
            return false;
    return true;
}

static void derive_names(struct krt_restore *rs)
{
    const struct krt_restore_opts *o = &rs->o;
    snprintf(rs->backup, sizeof(rs->backup), "%s@%" PRId64, rs->m.cluster_id ? rs->m.cluster_id : "",
             rs->m.created_ms);
    if (o->to)
        snprintf(rs->target, sizeof(rs->target), "%s", o->to);
    else if (o->prefix_old && !strncmp(o->topic, o->prefix_old, strlen(o->prefix_old)))
        snprintf(rs->target, sizeof(rs->target), "%s%s", o->prefix_new,
                 o->topic + strlen(o->prefix_old));
    else
        snprintf(rs->target, sizeof(rs->target), "%s", o->topic);
    if (o->restore_id) {
        snprintf(rs->id, sizeof(rs->id), "%s", o->restore_id);
    } else {
        /* FNV-1a of what the restore is: the same request gets the same id */
        uint64_t h = 1469598103934665603ULL;
        const char *parts[] = {rs->backup, "\n", o->topic, "\n", rs->target};
        for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
            for (const char *c = parts[i]; *c; c++)
                h = (h ^ (unsigned char)*c) * 1099511628211ULL;
        snprintf(rs->id, sizeof(rs->id), "%016" PRIx64, h);
    }
    snprintf(rs->group, sizeof(rs->group), GROUP_PREFIX "%s", rs->id);
    snprintf(rs->txn_id, sizeof(rs->txn_id), GROUP_PREFIX "%s", rs->id);
}

int krt_restore_load(struct krt_restore *rs, struct krt_error *err)
{
    const struct krt_restore_opts *o = &rs->o;
    if (o->to && o->prefix_old)
        return krt_error_set(err, KRT_ERR_USAGE, "--to and --to-prefix exclude each other");
    if (o->restore_id && !good_id(o->restore_id))
        return krt_error_set(err, KRT_ERR_USAGE,
                             "--restore-id takes letters, digits, '.', '_' and '-' (at most 150), "
                             "not '%s'",
                             o->restore_id);
    if (krt_backup_manifest_read(o->dir, 0, &rs->m, err))
        return -1;
    const struct krt_bk_topic *t = krt_backup_topic(&rs->m, o->topic, 0);
    if (!t)
        return krt_error_set(err, KRT_ERR_INPUT, "the backup in '%s' has no topic '%s'", o->dir,
                             o->topic);
    for (int i = 0; o->partitions && i < o->npartitions; i++)
        if (!bk_part(rs, o->partitions[i]))
            return krt_error_set(err, KRT_ERR_INPUT,
                                 "the backup of '%s' has no partition %" PRId32, o->topic,
                                 o->partitions[i]);
    for (int i = 0; i < o->nuntil_offsets; i++)
        if (!selected(o, o->until_offsets[i].partition) ||
            !bk_part(rs, o->until_offsets[i].partition))
            return krt_error_set(err, KRT_ERR_USAGE,
                                 "--until-offset names partition %" PRId32
                                 ", which this restore does not restore",
                                 o->until_offsets[i].partition);
    derive_names(rs);
    rs->parts = calloc((size_t)t->nparts + 1, sizeof(*rs->parts));
    rs->cparts = calloc((size_t)t->nparts + 1, sizeof(*rs->cparts));
    if (!rs->parts || !rs->cparts)
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    for (int i = 0; i < t->nparts; i++) {
        const struct krt_bk_part *p = &t->parts[i];
        if (!selected(o, p->partition))
            continue;
        if (check_hashes(rs, p, err))
            return -1;
        struct krt_restore_part *rp = &rs->parts[rs->nparts];
        *rp = (struct krt_restore_part){.partition = p->partition, .resumed_at = -1};
        rp->backup_from = p->nsegs ? p->segs[0].from : 0;
        rp->backup_to = p->nsegs ? p->segs[p->nsegs - 1].to : 0;
        for (int s = 0; s < p->nsegs; s++)
            rp->backup_records += p->segs[s].records;
        rp->end = rp->backup_to;
        rs->cparts[rs->nparts] = (struct krt_copy_part){.partition = p->partition,
                                                        .start = rp->backup_from,
                                                        .end = rp->end,
                                                        .next = rp->backup_from,
                                                        .first_copied = -1,
                                                        .last_copied = -1};
        rs->nparts++;
    }
    rs->target_partitions = t->partition_count;
    rs->rf_wanted = rs->rf = t->replication_factor > 0 ? t->replication_factor : 1;
    const char *tt = krt_props_get(&t->configs, "message.timestamp.type");
    rs->logappend = tt && !strcmp(tt, "LogAppendTime");
    return plan_counts(rs, err);
}

/* ---- the cluster: target, resume state, other restores --------------------------------- */

static void meta_of(const struct krt_restore *rs, const struct krt_copy_part *p, char *b, size_t n)
{
    snprintf(b, n, META_PREFIX "%s:%s:%s:%" PRId32 ":%" PRId64, rs->id, rs->backup, rs->o.topic,
             p->partition, p->end);
}

static int target_parts(const struct krt_restore *rs, struct krt_tplist *l, struct krt_error *err)
{
    for (int i = 0; i < rs->nparts; i++)
        if (!krt_tplist_add(l, rs->target, rs->parts[i].partition, -1))
            return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    krt_tplist_sort(l);
    return 0;
}

/* The positions this restore id recorded on the target. A commit on another
 * topic (the id restored into another target), or whose metadata names
 * another backup, topic or end, is a mismatch; so are positions on a target
 * that no longer exists (the records they count went with it). */
static int adopt_recorded(struct krt_conn *conn, struct krt_restore *rs, struct krt_error *err)
{
    struct krt_tplist committed = {0}, mine = {0}, parts = {0};
    int rc = -1, done = 0, n = 0;
    if (krt_group_committed_stable(conn, rs->group, NULL, &committed, err))
        goto out;
    for (size_t i = 0; i < committed.n; i++) {
        const struct krt_tp *c = &committed.v[i];
        if (c->offset < 0)
            continue;
        if (strcmp(c->topic, rs->target)) {
            krt_error_set(err, KRT_ERR_INPUT,
                          "restore id '%s' was used before to restore into '%s', not '%s': "
                          "choose a new id, or repeat the first restore's options",
                          rs->id, c->topic, rs->target);
            goto out;
        }
        if (!rs->target_exists) {
            krt_error_set(err, KRT_ERR_INPUT,
                          "restore id '%s' restored into '%s' before, which no longer exists: "
                          "choose a new id to restore it again",
                          rs->id, rs->target);
            goto out;
        }
    }
    /* the positions, asked for by partition: an unnamed query leaves out a
     * partition whose first commit the coordinator has not applied yet (no
     * UNSTABLE answer for it), which would read as "no commit" */
    if (target_parts(rs, &parts, err) ||
        krt_group_committed_stable(conn, rs->group, &parts, &mine, err))
        goto out;
    for (int i = 0; i < rs->nparts; i++) {
        struct krt_copy_part *p = &rs->cparts[i];
        const struct krt_tp *c = krt_tplist_find(&mine, rs->target, p->partition);
        if (!c || c->offset < 0)
            continue;
        char want[KRT_COPY_META_MAX];
        meta_of(rs, p, want, sizeof(want));
        if (!c->metadata || strcmp(c->metadata, want)) {
            krt_error_set(err, KRT_ERR_INPUT,
                          "restore id '%s' was used before for another backup, topic or range "
                          "(partition %" PRId32 " of '%s' records '%s'; this restore is '%s'): "
                          "choose a new id, or repeat the first restore's options",
                          rs->id, p->partition, rs->target, c->metadata ? c->metadata : "",
                          want);
            goto out;
        }
        p->next = c->offset;
        rs->parts[i].resumed_at = c->offset;
        n++;
        done += p->next >= p->end;
    }
    rs->resumed = n > 0;
    rs->already_done = n == rs->nparts && done == n;
    rc = 0;
out:
    krt_tplist_free(&committed);
    krt_tplist_free(&mine);
    krt_tplist_free(&parts);
    return rc;
}

/* Another restore id that wrote into the target would be overlapped: its
 * records and ours would both be there. */
static int check_other_restores(struct krt_conn *conn, struct krt_restore *rs,
                                struct krt_error *err)
{
    char **ids = NULL;
    size_t n = 0;
    struct krt_tplist parts = {0};
    int rc = -1;
    if (krt_group_list(conn, &ids, &n, err) || target_parts(rs, &parts, err))
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (strncmp(ids[i], GROUP_PREFIX, strlen(GROUP_PREFIX)) || !strcmp(ids[i], rs->group))
            continue;
        struct krt_tplist c = {0};
        if (krt_group_committed_for(conn, ids[i], &parts, &c, err)) {
            krt_tplist_free(&c);
            goto out;
        }
        bool used = false;
        for (size_t k = 0; k < c.n && !used; k++)
            used = c.v[k].offset >= 0;
        krt_tplist_free(&c);
        if (used) {
            krt_error_set(err, KRT_ERR_REFUSED,
                          "refusing to restore into '%s': restore id '%s' already wrote into it "
                          "(resume that one with --restore-id %s, or restore to another topic)",
                          rs->target, ids[i] + strlen(GROUP_PREFIX), ids[i] + strlen(GROUP_PREFIX));
            goto out;
        }
    }
    rc = 0;
out:
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    krt_tplist_free(&parts);
    return rc;
}

static int check_target(struct krt_conn *conn, struct krt_restore *rs,
                        const struct krt_metadata *md, struct krt_error *err)
{
    const struct krt_topic *tgt = krt_meta_topic(md, rs->target);
    rs->target_exists = tgt && !tgt->err;
    if (!rs->target_exists) {
        rs->rf = rs->rf_wanted <= md->nbrokers ? rs->rf_wanted : md->nbrokers;
        return 0;
    }
    if (tgt->nparts < rs->target_partitions)
        return krt_error_set(err, KRT_ERR_INPUT,
                             "target topic '%s' has %d partitions, fewer than the backed-up %d: "
                             "records could not keep their partition",
                             rs->target, tgt->nparts, rs->target_partitions);
    rs->target_partitions = tgt->nparts;
    struct krt_config_set cs = {0};
    const char *name = rs->target;
    if (krt_configs_describe(conn, false, &name, 1, &cs, err))
        return -1;
    const char *tt = krt_config_get(&cs, "message.timestamp.type");
    rs->logappend = tt && !strcmp(tt, "LogAppendTime");
    krt_configs_free(&cs, 1);
    return 0;
}

int krt_restore_prepare(struct krt_conn *conn, struct krt_restore *rs, struct krt_error *err)
{
    if (krt_topic_is_internal(rs->target))
        return krt_error_set(err, KRT_ERR_REFUSED,
                             "refusing to restore into internal topic '%s'", rs->target);
    if (!strcmp(rs->target, rs->o.topic) && !rs->o.fill_gaps)
        return krt_error_set(err, KRT_ERR_REFUSED,
                             "refusing to restore '%s' into itself: records still there would be "
                             "doubled (use --to TOPIC)",
                             rs->target);
    struct krt_metadata md;
    if (krt_meta_fetch(conn, &md, err))
        return -1;
    int rc = check_target(conn, rs, &md, err);
    krt_meta_free(&md);
    if (rc || adopt_recorded(conn, rs, err))
        return -1;
    if (!rs->target_exists)
        return 0;
    if (check_other_restores(conn, rs, err))
        return -1;
    /* a resumed partition's count starts at its recorded position */
    return rs->resumed ? plan_counts(rs, err) : 0;
}

/* ---- the backup as a copy-engine source ---------------------------------------------------- */

static int bk_start(void *src, struct krt_copy_job *job, struct krt_error *err)
{
    struct krt_restore_source *b = src;
    if (b->on_start && b->on_start(b->opaque, job, err))
        return -1;
    for (int i = 0; i < job->nparts; i++)
        job->parts[i].assigned = true;
    return 0;
}

static void bk_drop(struct krt_restore_source *b)
{
    for (int i = 0; i < b->nparts; i++) {
        krt_backup_source_close(b->open[i]);
        b->open[i] = NULL;
    }
}

static int bk_rewind(void *src, struct krt_copy_job *job, struct krt_error *err)
{
    (void)job;
    (void)err;
    bk_drop(src); /* reopened at each part's next on the next read */
    return 0;
}

/* One partition at a time, in partition order: the first not done. */
static int bk_next(void *src, struct krt_copy_job *job, int wait_ms, struct krt_copy_event *ev,
                   struct krt_error *err)
{
    (void)wait_ms;
    struct krt_restore_source *b = src;
    ev->kind = KRT_COPY_NONE;
    int k = 0;
    while (k < job->nparts && job->parts[k].done)
        k++;
    if (k == job->nparts)
        return 0;
    struct krt_copy_part *p = &job->parts[k];
    if (!b->open[k] && krt_backup_source_open(b->dir, b->m, b->topic, p->partition, p->next,
                                              &b->open[k], err))
        return -1;
    struct krt_seg_record r;
    int rc = krt_backup_source_next(b->open[k], &r, err);
    if (rc < 0) {
        krt_error_prefix(err, "cannot read the backup of '%s' partition %" PRId32, b->topic,
                         p->partition);
        return -1;
    }
    ev->partition = p->partition;
    if (rc == 0 || r.offset >= p->end) {
        ev->kind = KRT_COPY_END;
        return 0;
    }
    if (b->hdrs)
        rd_kafka_headers_destroy(b->hdrs);
    b->hdrs = rd_kafka_headers_new(r.nheaders + 4);
    for (size_t i = 0; i < r.nheaders; i++)
        rd_kafka_header_add(b->hdrs, r.headers[i].name, -1, r.headers[i].value,
                            r.headers[i].value ? (ssize_t)r.headers[i].value_len : 0);
    ev->kind = KRT_COPY_RECORD;
    ev->rec = (struct krt_copy_record){
        .partition = p->partition, .offset = r.offset, .key = r.key, .key_len = r.key_len,
        .value = (void *)(uintptr_t)r.value, .value_len = r.value_len,
        .timestamp = r.timestamp_type == 0 ? -1 : r.timestamp, .headers = b->hdrs};
    return 0;
}

static void bk_close(void *src)
{
    struct krt_restore_source *b = src;
    if (b->open)
        bk_drop(b);
    if (b->hdrs)
        rd_kafka_headers_destroy(b->hdrs);
    b->hdrs = NULL;
}

const struct krt_copy_source_ops krt_restore_source_ops = {
    .start = bk_start, .next = bk_next, .rewind = bk_rewind, .close = bk_close};

int krt_restore_source_init(struct krt_restore_source *b, const char *dir,
                            const struct krt_backup_manifest *m, const char *topic, int nparts,
                            struct krt_error *err)
{
    *b = (struct krt_restore_source){.dir = dir, .m = m, .topic = topic, .nparts = nparts};
    if (!(b->open = calloc((size_t)nparts + 1, sizeof(*b->open))))
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    return 0;
}

void krt_restore_source_free(struct krt_restore_source *b)
{
    free(b->open);
    b->open = NULL;
}

void krt_restore_provenance(rd_kafka_headers_t *h, const char *id, const char *topic,
                            const struct krt_copy_record *rec)
{
    char part[16], off[24];
    snprintf(part, sizeof(part), "%" PRId32, rec->partition);
    snprintf(off, sizeof(off), "%" PRId64, rec->offset);
    rd_kafka_header_add(h, "krt.restore.id", -1, id, -1);
    rd_kafka_header_add(h, "krt.source.topic", -1, topic, -1);
    rd_kafka_header_add(h, "krt.source.partition", -1, part, -1);
    rd_kafka_header_add(h, "krt.source.offset", -1, off, -1);
}

/* provenance: which restore, and where the record came from */
static void copy_decorate(void *opaque, const struct krt_copy_record *rec, rd_kafka_headers_t *h)
{
    const struct krt_restore *rs = opaque;
    krt_restore_provenance(h, rs->id, rs->o.topic, rec);
}

struct restore_ctx {
    struct krt_restore *rs;
    struct krt_conn *admin;
};

/* Called after the producer's init_transactions: that fenced any earlier
 * process of this restore id and waited for its open transaction to end, so
 * the positions read now are final. The ones read for the plan may be older
 * (a run of the same id still alive then, or its last commit in flight):
 * copying from them would write that commit's records twice. */
static int restore_start(void *opaque, struct krt_copy_job *job, struct krt_error *err)
{
    (void)job;
    struct restore_ctx *x = opaque;
    return adopt_recorded(x->admin, x->rs, err);
}

static void copy_meta(void *opaque, const struct krt_copy_part *p, char *buf, size_t n)
{
    meta_of(opaque, p, buf, n);
}

/* ---- the run --------------------------------------------------------------------------- */

static json_t *plan_json(const struct krt_restore *rs);

static int write_plan(struct krt_restore *rs, struct krt_error *err)
{
    if (krt_plan_path(rs->plan_path, sizeof(rs->plan_path), "restore", rs->id, err))
        return -1;
    return krt_json_write_file(rs->plan_path, plan_json(rs), 1, err);
}

static int create_target(struct krt_conn *admin, struct krt_restore *rs, struct krt_error *err)
{
    const struct krt_bk_topic *t = krt_backup_topic(&rs->m, rs->o.topic, 0);
    return krt_admin_create_topic(admin, rs->target, rs->target_partitions, rs->rf, &t->configs,
                                  60000, NULL, err);
}

int krt_restore_run(const struct krt_common *c, struct krt_restore *rs, struct krt_error *err)
{
    rs->started_ms = krt_now_ms();
    rs->executed = true;
    if (write_plan(rs, err))
        return -1;
    if (rs->already_done) {
        rs->finished_ms = krt_now_ms();
        return 0;
    }
    struct krt_conn admin;
    if (krt_conn_open(&admin, c, KRT_CONN_ADMIN, NULL, err))
        return -1;
    krt_conn_trap_signals(&admin);
    int rc = -1;
    struct krt_restore_source b;
    if (krt_restore_source_init(&b, rs->o.dir, &rs->m, rs->o.topic, rs->nparts, err))
        goto out;
    struct restore_ctx ctx = {.rs = rs, .admin = &admin};
    b.on_start = restore_start;
    b.opaque = &ctx;
    if (!rs->target_exists && create_target(&admin, rs, err))
        goto out;
    rs->target_exists = true;
    rs->job = (struct krt_copy_job){
        .label = rs->id,
        .source = rs->o.topic,
        .source_partitions = rs->target_partitions,
        .group = rs->group,
        .position_topic = rs->target,
        .src_ops = &krt_restore_source_ops,
        .src = &b,
        .txn_id = rs->txn_id,
        .target = rs->target,
        .parts = rs->cparts,
        .nparts = rs->nparts,
        .decorate = copy_decorate,
        .position_meta = copy_meta,
        .opaque = rs,
        .started_ms = rs->started_ms,
        .max_rate = rs->o.max_rate,
    };
    rc = krt_copy_run(c, &admin, &rs->job, err);
out:
    krt_restore_source_free(&b);
    rs->finished_ms = krt_now_ms();
    krt_conn_close(&admin);
    return rc;
}

/* ---- report ---------------------------------------------------------------------------- */

static json_t *plan_json(const struct krt_restore *rs)
{
    json_t *parts = json_array();
    for (int i = 0; i < rs->nparts; i++) {
        const struct krt_restore_part *p = &rs->parts[i];
        const struct krt_copy_part *cp = &rs->cparts[i];
        json_array_append_new(
            parts, json_pack("{s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:I, s:b}", "partition",
                             (int)p->partition, "backup_from", (json_int_t)p->backup_from,
                             "backup_to", (json_int_t)p->backup_to, "backup_records",
                             (json_int_t)p->backup_records, "start", (json_int_t)cp->start,
                             "end", (json_int_t)p->end, "records", (json_int_t)p->records,
                             "resumed_at",
                             p->resumed_at >= 0 ? json_integer(p->resumed_at) : json_null(),
                             "restored", (json_int_t)cp->copied, "bytes", (json_int_t)cp->bytes,
                             "done", rs->executed && cp->next >= cp->end));
    }
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:i, s:i, s:b, s:b, s:o}", "restore_id",
                            rs->id, "backup", rs->o.dir, "backup_id", rs->backup, "source",
                            rs->o.topic, "target", rs->target, "target_exists", rs->target_exists,
                            "target_partitions", rs->target_partitions, "replication_factor",
                            rs->rf, "log_append_time", rs->logappend, "executed", rs->executed,
                            "partitions", parts);
    json_object_set_new(doc, "backup_replication_factor", json_integer(rs->rf_wanted));
    if (rs->o.has_until) {
        char t[64];
        krt_time_format(rs->o.until_ms, t, sizeof(t));
        json_object_set_new(doc, "until", json_string(t));
    }
    return doc;
}

json_t *krt_restore_json(const struct krt_restore *rs)
{
    json_t *doc = plan_json(rs);
    if (rs->plan_path[0])
        json_object_set_new(doc, "plan_file", json_string(rs->plan_path));
    if (rs->executed) {
        json_object_set_new(doc, "restored", json_integer(rs->job.total_copied));
        json_object_set_new(doc, "bytes", json_integer(rs->job.total_bytes));
        json_object_set_new(doc, "elapsed_ms", json_integer(rs->finished_ms - rs->started_ms));
        json_object_set_new(doc, "copy_ms", json_integer(rs->job.copy_ms));
    }
    return doc;
}

void krt_restore_print(const struct krt_restore *rs, FILE *f)
{
    fprintf(f, "restore id:  %s%s\n", rs->id, rs->resumed ? " (resumed)" : "");
    fprintf(f, "backup:      %s (%s)\n", rs->o.dir, rs->backup);
    fprintf(f, "source:      %s\n", rs->o.topic);
    if (rs->target_exists && !rs->executed)
        fprintf(f, "target:      %s (exists, %d partitions)\n", rs->target, rs->target_partitions);
    else if (rs->executed)
        fprintf(f, "target:      %s\n", rs->target);
    else
        fprintf(f, "target:      %s (will be created: %d partitions, replication factor %d)\n",
                rs->target, rs->target_partitions, rs->rf);
    static const char *const heads[] = {"PARTITION", "BACKUP RANGE", "BACKUP RECORDS",
                                        "RESTORE RANGE", "TO RESTORE", "RESTORED"};
    struct krt_table t;
    krt_table_init(&t, 6, heads);
    for (int i = 0; i < rs->nparts; i++) {
        const struct krt_restore_part *p = &rs->parts[i];
        const struct krt_copy_part *cp = &rs->cparts[i];
        char c[6][64];
        snprintf(c[0], sizeof(c[0]), "%" PRId32, p->partition);
        snprintf(c[1], sizeof(c[1]), "%" PRId64 "..%" PRId64, p->backup_from, p->backup_to);
        snprintf(c[2], sizeof(c[2]), "%" PRId64, p->backup_records);
        snprintf(c[3], sizeof(c[3]), "%" PRId64 "..%" PRId64,
                 p->resumed_at >= 0 ? p->resumed_at : cp->start, p->end);
        snprintf(c[4], sizeof(c[4]), "%" PRId64, p->records);
        snprintf(c[5], sizeof(c[5]), "%" PRId64, cp->copied);
        const char *cells[] = {c[0], c[1], c[2], c[3], c[4], c[5]};
        krt_table_add(&t, cells);
    }
    krt_table_print(&t, f);
    krt_table_free(&t);
    if (rs->plan_path[0])
        fprintf(f, "plan file:   %s\n", rs->plan_path);
    if (!rs->executed)
        fprintf(f, "dry run: nothing written (add --execute to restore)\n");
    else
        fprintf(f, "restored %" PRId64 " records (%" PRId64 " bytes) in %.1f s\n",
                rs->job.total_copied, rs->job.total_bytes,
                (double)(rs->finished_ms - rs->started_ms) / 1000.0);
}
