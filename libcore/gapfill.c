/* gapfill.c - see gapfill.h */
#define _POSIX_C_SOURCE 200809L
#include "gapfill.h"

#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "audit.h"
#include "backup.h"
#include "conn.h"
#include "json_out.h"
#include "meta.h"
#include "offsets.h"
#include "plan.h"
#include "pscan.h"
#include "restore.h"
#include "restore_groups.h"
#include "rewind.h"
#include "timespec.h"

/* ---- ranges ------------------------------------------------------------------------- */

static int oom(struct krt_error *err)
{
    return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
}

/* index of the first range whose end is >= off (ranges touching off included) */
static size_t ranges_lower(const struct krt_ranges *r, int64_t off)
{
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->v[mid][1] < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int krt_ranges_add(struct krt_ranges *r, int64_t from, int64_t to, struct krt_error *err)
{
    if (from >= to)
        return 0;
    size_t i = ranges_lower(r, from), j = i;
    /* ranges i..j-1 touch or overlap [from, to): merge them into one */
    while (j < r->n && r->v[j][0] <= to) {
        if (r->v[j][0] < from)
            from = r->v[j][0];
        if (r->v[j][1] > to)
            to = r->v[j][1];
        j++;
    }
    if (i == j) {
        if (r->n == r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 8;
            void *nv = realloc(r->v, cap * sizeof(*r->v));
            if (!nv)
                return oom(err);
            r->v = nv;
            r->cap = cap;
        }
        memmove(&r->v[i + 1], &r->v[i], (r->n - i) * sizeof(*r->v));
        r->n++;
    } else if (j > i + 1) {
        memmove(&r->v[i + 1], &r->v[j], (r->n - j) * sizeof(*r->v));
        r->n -= j - i - 1;
    }
    r->v[i][0] = from;
    r->v[i][1] = to;
    return 0;
}

bool krt_ranges_has(const struct krt_ranges *r, int64_t off)
{
    size_t i = ranges_lower(r, off + 1);
    return i < r->n && r->v[i][0] <= off && off < r->v[i][1];
}

int64_t krt_ranges_count_in(const struct krt_ranges *r, int64_t from, int64_t to)
{
    int64_t n = 0;
    for (size_t i = ranges_lower(r, from); i < r->n && r->v[i][0] < to; i++) {
        int64_t a = r->v[i][0] > from ? r->v[i][0] : from;
        int64_t b = r->v[i][1] < to ? r->v[i][1] : to;
        if (b > a)
            n += b - a;
    }
    return n;
}

int64_t krt_ranges_count(const struct krt_ranges *r)
{
    return krt_ranges_count_in(r, INT64_MIN, INT64_MAX);
}

void krt_ranges_free(struct krt_ranges *r)
{
    free(r->v);
    memset(r, 0, sizeof(*r));
}

/* ---- state ---------------------------------------------------------------------------- */

struct fill {
    const struct krt_common *c;
    const struct krt_gapfill_opts *o;
    const char *dest; /* where records are re-produced */
    struct krt_gapfill_report *rep;
    struct krt_backup_manifest m;
    const struct krt_bk_topic *bt;
    json_t *baseline;
    struct krt_conn conn; /* consumer: watermarks and reads */
    /* one partition at a time while comparing */
    struct krt_backup_source *src;
    struct krt_seg_record rec;
    int have; /* 1: rec not passed yet; 0: read the next; -1: the backup is at its end */
    struct krt_gapfill_part *cur;
    struct krt_ranges missing, survived, reproduced;
    struct krt_ranges absent; /* missing with no record at their offset */
    bool compacted;           /* the backed-up topic's cleanup.policy has compact */
    /* producing: partition -> index into rep->v (-1: not backed up) */
    int *idx;
    int nidx;
};

/* ---- comparing --------------------------------------------------------------------------- */

static int src_next(struct fill *f, struct krt_error *err)
{
    int rc = krt_backup_source_next(f->src, &f->rec, err);
    if (rc < 0)
        return -1;
    f->have = rc ? 1 : -1;
    return 0;
}

/* the backup's records below @p off have no equal in the topic */
static int missing_below(struct fill *f, struct krt_gapfill_part *gp, int64_t off,
                         struct krt_error *err)
{
    for (;;) {
        if (f->have == 0 && src_next(f, err))
            return -1;
        if (f->have < 0 || f->rec.offset >= off)
            return 0;
        gp->compared++;
        gp->missing++;
        if (krt_ranges_add(&f->missing, f->rec.offset, f->rec.offset + 1, err) ||
            krt_ranges_add(&f->absent, f->rec.offset, f->rec.offset + 1, err))
            return -1;
        f->have = 0;
    }
}

static int visit_reproduced(void *opaque, const rd_kafka_message_t *m, struct krt_error *err)
{
    struct fill *f = opaque;
    int64_t so;
    f->cur->dest_scanned = m->offset + 1;
    if (krt_pscan_provenance(m, f->o->topic, m->partition, &so))
        return krt_ranges_add(&f->reproduced, so, so + 1, err);
    return 0;
}

static int visit_compare(void *opaque, const rd_kafka_message_t *m, struct krt_error *err)
{
    struct fill *f = opaque;
    struct krt_gapfill_part *gp = f->cur;
    if (f->dest == f->o->topic && visit_reproduced(f, m, err))
        return -1;
    if (missing_below(f, gp, m->offset, err))
        return -1;
    if (f->have <= 0 || f->rec.offset != m->offset)
        return 0; /* a record the backup does not hold (written after it, or re-produced) */
    gp->compared++;
    f->have = 0;
    if (krt_backup_record_diff(&f->rec, m)) {
        gp->missing++;
        return krt_ranges_add(&f->missing, m->offset, m->offset + 1, err);
    }
    return krt_ranges_add(&f->survived, m->offset, m->offset + 1, err);
}

/* The baseline's high watermark of the partition, or -1. */
static int64_t baseline_high(const json_t *doc, const char *topic, int32_t partition)
{
    json_t *parts = json_object_get(doc, "partitions"), *jp;
    size_t i;
    json_array_foreach(parts, i, jp)
    {
        json_t *h = json_object_get(jp, "high_watermark");
        if (!strcmp(json_string_value(json_object_get(jp, "topic")), topic) &&
            json_integer_value(json_object_get(jp, "partition")) == partition &&
            json_is_integer(h))
            return json_integer_value(h);
    }
    return -1;
}

/* The offsets the backup saw: its segments and the ranges it read without
 * a committed record (transaction markers, aborted records). */
static int backup_covered(const struct krt_bk_part *bp, struct krt_ranges *cov,
                          struct krt_error *err)
{
    for (int i = 0; i < bp->nsegs; i++)
        if (krt_ranges_add(cov, bp->segs[i].from, bp->segs[i].to, err))
            return -1;
    for (int i = 0; i < bp->ngaps; i++)
        if (bp->gaps[i].reason == KRT_BK_GAP_NO_RECORDS &&
            krt_ranges_add(cov, bp->gaps[i].from, bp->gaps[i].to, err))
            return -1;
    return 0;
}

/* In a compacted topic, the cleaner removes a record once a later one has its
 * key: a backed-up record with no record at its offset, below a record the
 * topic still holds equal to the backup's, was compacted away (what is lost
 * after an unclean election or a lost replica is a tail, above every equal
 * record). Writing it again would put an old value after its key's newer
 * one. It is counted, not re-produced. */
static int drop_compacted(struct fill *f, struct krt_gapfill_part *gp, struct krt_error *err)
{
    if (!f->compacted || !f->survived.n || !f->absent.n)
        return 0;
    int64_t last_equal = f->survived.v[f->survived.n - 1][1];
    gp->compacted = krt_ranges_count_in(&f->absent, INT64_MIN, last_equal);
    if (!gp->compacted)
        return 0;
    struct krt_ranges left = {0};
    for (size_t i = 0; i < f->missing.n; i++)
        for (int64_t o = f->missing.v[i][0]; o < f->missing.v[i][1]; o++)
            if ((o >= last_equal || !krt_ranges_has(&f->absent, o)) &&
                krt_ranges_add(&left, o, o + 1, err)) {
                krt_ranges_free(&left);
                return -1;
            }
    krt_ranges_free(&f->missing);
    f->missing = left;
    gp->missing -= gp->compacted;
    return 0;
}

/* The lost range, what is already back, what is to do, what is gone for good. */
static int conclude(struct fill *f, const struct krt_bk_part *bp, struct krt_gapfill_part *gp,
                    struct krt_error *err)
{
    if (drop_compacted(f, gp, err))
        return -1;
    int64_t lf = INT64_MAX, lt = -1;
    if (f->missing.n) {
        lf = f->missing.v[0][0];
        lt = f->missing.v[f->missing.n - 1][1];
    }
    /* the baseline saw offsets up to its high watermark: a high watermark
     * now lower means the tail [high, baseline) is gone */
    if (gp->baseline_high > gp->high && gp->high < lf)
        lf = gp->high;
    if (lf != INT64_MAX && gp->baseline_high > lt)
        lt = gp->baseline_high;
    if (lf == INT64_MAX)
        lf = lt = 0;
    gp->lost_from = lf;
    gp->lost_to = lt;
    struct krt_ranges cov = {0};
    if (backup_covered(bp, &cov, err)) {
        krt_ranges_free(&cov);
        return -1;
    }
    gp->lost_for_good = (lt - lf) - krt_ranges_count_in(&cov, lf, lt);
    krt_ranges_free(&cov);
    /* todo = missing minus reproduced. In a compacted topic the cleaner also
     * removes a copy once a later record has its key (the fill's next copy,
     * or the application writing the key again): a fill writes its copies in
     * source-offset order, so a missing record below the highest source
     * offset copied was written before and compacted away since; writing it
     * again would put its old value after the newer one */
    int64_t copied_to = f->compacted && f->reproduced.n
                            ? f->reproduced.v[f->reproduced.n - 1][1]
                            : INT64_MIN;
    for (size_t i = 0; i < f->missing.n; i++)
        for (int64_t o = f->missing.v[i][0]; o < f->missing.v[i][1]; o++) {
            if (krt_ranges_has(&f->reproduced, o) || o < copied_to) {
                gp->already++;
                continue;
            }
            /* offsets are added in increasing order: an append or a merge at the end */
            if (krt_ranges_add(&gp->todo, o, o + 1, err))
                return -1;
        }
    gp->to_restore = krt_ranges_count(&gp->todo);
    return 0;
}

static void part_fail(struct krt_gapfill_part *gp, const struct krt_error *e)
{
    gp->err = e->kafka_err ? e->kafka_err : -1;
    free(gp->errmsg);
    gp->errmsg = strdup(e->msg);
}

/* Compare one partition of the backup with the topic (and the destination). */
static int compare_part(struct fill *f, const struct krt_bk_part *bp, struct krt_gapfill_part *gp,
                        int64_t dest_low, int64_t dest_high, struct krt_error *err)
{
    memset(&f->missing, 0, sizeof(f->missing));
    memset(&f->survived, 0, sizeof(f->survived));
    memset(&f->absent, 0, sizeof(f->absent));
    memset(&f->reproduced, 0, sizeof(f->reproduced));
    f->have = 0;
    f->cur = gp;
    int rc = krt_backup_source_open(f->o->dir, &f->m, f->bt->name, bp->partition, 0, &f->src, err);
    /* below the log start: deleted by retention, not lost; not compared */
    while (!rc) {
        if (f->have == 0 && (rc = src_next(f, err)))
            break;
        if (f->have < 0 || f->rec.offset >= gp->log_start)
            break;
        gp->below_log_start++;
        f->have = 0;
    }
    if (!rc)
        rc = krt_pscan_run(&f->conn, f->o->topic, gp->partition, gp->log_start, gp->high,
                           visit_compare, f, err);
    if (!rc)
        rc = missing_below(f, gp, INT64_MAX, err);
    if (!rc && f->dest != f->o->topic)
        rc = krt_pscan_run(&f->conn, f->dest, gp->partition, dest_low, dest_high,
                           visit_reproduced, f, err);
    if (!rc)
        rc = conclude(f, bp, gp, err);
    krt_backup_source_close(f->src);
    f->src = NULL;
    krt_ranges_free(&f->missing);
    krt_ranges_free(&f->survived);
    krt_ranges_free(&f->absent);
    krt_ranges_free(&f->reproduced);
    return rc;
}

static void parts_reset(struct krt_gapfill_report *rep)
{
    for (int i = 0; i < rep->n; i++) {
        free(rep->v[i].errmsg);
        krt_ranges_free(&rep->v[i].todo);
    }
    free(rep->v);
    rep->v = NULL;
    rep->n = 0;
    rep->missing = rep->already = rep->to_restore = rep->restored = rep->lost_for_good = 0;
    rep->compacted = 0;
}

/* Read the watermarks and compare every backed-up partition. */
static int analyse(struct fill *f, struct krt_error *err)
{
    struct krt_gapfill_report *rep = f->rep;
    struct krt_metadata md = {0};
    struct krt_tplist l = {0};
    struct krt_pscan_marks wm = {0};
    int rc = -1, n = f->bt->nparts;
    parts_reset(rep);
    if (krt_meta_fetch(&f->conn, &md, err))
        return -1;
    const struct krt_topic *mt = krt_meta_topic(&md, f->o->topic);
    const struct krt_topic *dt = krt_meta_topic(&md, f->dest);
    if (!mt || mt->err) {
        krt_error_set(err, KRT_ERR_INPUT, "topic '%s' does not exist (recreate it first)",
                      f->o->topic);
        goto out;
    }
    if (!dt || dt->err) {
        krt_error_set(err, KRT_ERR_INPUT, "topic '%s' does not exist (create it first)",
                      f->dest);
        goto out;
    }
    if (!(rep->v = calloc(n + 1, sizeof(*rep->v)))) {
        oom(err);
        goto out;
    }
    for (int i = 0; i < n; i++)
        krt_tplist_add(&l, f->o->topic, f->bt->parts[i].partition, 0);
    for (int i = 0; i < n; i++)
        krt_tplist_add(&l, f->dest, f->bt->parts[i].partition, 0);
    /* the comparison reads with read_committed, which ends at the last
     * stable offset: records of a transaction still open (another fill's, an
     * application's) would look missing and be written again */
    if (krt_pscan_marks(&f->conn, &md, &l, &wm, err) ||
        krt_pscan_wait_stable(f->c, &f->conn, &md, &l, &wm, err))
        goto out;
    const int64_t *low = wm.low, *high = wm.high;
    const int *perr = wm.err;
    rep->n = n;
    int failed = 0;
    for (int i = 0; i < n && !krt_interrupted(); i++) {
        const struct krt_bk_part *bp = &f->bt->parts[i];
        struct krt_gapfill_part *gp = &rep->v[i];
        gp->partition = bp->partition;
        gp->log_start = low[i];
        gp->high = high[i];
        gp->backup_from = bp->nsegs ? bp->segs[0].from : -1;
        gp->backup_to = bp->position;
        gp->dest_scanned = low[n + i];
        gp->baseline_high = f->baseline ? baseline_high(f->baseline, f->o->topic, bp->partition)
                                        : -1;
        struct krt_error pe = {0};
        if (perr[i] || perr[n + i]) {
            krt_error_kafka(&pe, perr[i] ? perr[i] : perr[n + i],
                            "cannot read the offsets of partition %d", (int)bp->partition);
            part_fail(gp, &pe);
            failed++;
            continue;
        }
        if (compare_part(f, bp, gp, low[n + i], high[n + i], &pe)) {
            if (pe.code == KRT_ERR_INTERRUPTED || pe.code == KRT_ERR_INTERNAL ||
                pe.code == KRT_ERR_IO) {
                *err = pe;
                goto out;
            }
            part_fail(gp, &pe);
            failed++;
            continue;
        }
        rep->missing += gp->missing;
        rep->already += gp->already;
        rep->to_restore += gp->to_restore;
        rep->lost_for_good += gp->lost_for_good;
        rep->compacted += gp->compacted;
    }
    if (krt_interrupted())
        krt_error_set(err, KRT_ERR_INTERRUPTED, "interrupted: nothing changed");
    else if (failed == n && n)
        krt_error_set(err, KRT_ERR_KAFKA, "no partition of '%s' could be compared: %s",
                      f->o->topic, rep->v[0].errmsg);
    else
        rc = 0;
out:
    krt_pscan_marks_free(&wm);
    krt_tplist_free(&l);
    krt_meta_free(&md);
    return rc;
}

/* ---- producing: a restore from the backup through the copy engine -------------------- */

/* The fill's transactional.id: one per source topic and destination, whatever
 * the restore id, so that any two fills that could write the same lost
 * records fence each other (init_transactions), and the later one reads what
 * the earlier committed before it writes. */
static void fill_txn_id(const struct fill *f, char *buf, size_t n)
{
    if (strcmp(f->dest, f->o->topic))
        snprintf(buf, n, "krt-fill.%s:%s", f->o->topic, f->dest);
    else
        snprintf(buf, n, "krt-fill.%s", f->o->topic);
}

static int visit_late(void *opaque, const rd_kafka_message_t *m, struct krt_error *err)
{
    struct fill *f = opaque;
    int64_t so;
    if (krt_pscan_provenance(m, f->o->topic, m->partition, &so) &&
        krt_ranges_has(&f->cur->todo, so) && !krt_ranges_has(&f->reproduced, so))
        return krt_ranges_add(&f->reproduced, so, so + 1, err);
    return 0;
}

/* todo minus the copies found after the comparison */
static int drop_late(struct fill *f, struct krt_gapfill_part *gp, struct krt_error *err)
{
    int64_t late = krt_ranges_count(&f->reproduced);
    if (!late)
        return 0;
    struct krt_ranges left = {0};
    for (size_t i = 0; i < gp->todo.n; i++)
        for (int64_t o = gp->todo.v[i][0]; o < gp->todo.v[i][1]; o++)
            if (!krt_ranges_has(&f->reproduced, o) && krt_ranges_add(&left, o, o + 1, err)) {
                krt_ranges_free(&left);
                return -1;
            }
    krt_ranges_free(&gp->todo);
    gp->todo = left;
    gp->already += late;
    gp->to_restore -= late;
    f->rep->already += late;
    f->rep->to_restore -= late;
    return 0;
}

/* The source's start, once this run's transactional producer has fenced any
 * other fill of the same records (and the broker ended that one's open
 * transaction): the destination's copies committed since the comparison
 * (read_committed, from where the comparison's read of the destination
 * stopped to the high watermark now) are taken out of what is to do. Each
 * lost record's copy and its provenance are written in one transaction, so
 * the copies are the fill's committed position. */
static int fill_start(void *opaque, struct krt_copy_job *job, struct krt_error *err)
{
    struct fill *f = opaque;
    struct krt_gapfill_report *rep = f->rep;
    struct krt_metadata md = {0};
    struct krt_tplist l = {0};
    struct krt_pscan_marks wm = {0};
    int rc = krt_meta_fetch(&f->conn, &md, err);
    for (int i = 0; !rc && i < rep->n; i++)
        if (!krt_tplist_add(&l, f->dest, rep->v[i].partition, 0))
            rc = oom(err);
    if (!rc)
        rc = krt_pscan_marks(&f->conn, &md, &l, &wm, err);
    /* a fenced run's last transaction is aborted by init_transactions, its
     * markers written after: read what it committed only once they are */
    if (!rc)
        rc = krt_pscan_wait_stable(f->c, &f->conn, &md, &l, &wm, err);
    for (int i = 0; !rc && i < rep->n; i++) {
        struct krt_gapfill_part *gp = &rep->v[i];
        struct krt_copy_part *p = &job->parts[i];
        if (!gp->err && gp->todo.n && wm.err[i])
            rc = krt_error_kafka(err, wm.err[i], "cannot read the offsets of '%s' partition %d",
                                 f->dest, (int)gp->partition);
        if (!rc && !gp->err && gp->todo.n && wm.high[i] > gp->dest_scanned) {
            memset(&f->reproduced, 0, sizeof(f->reproduced));
            f->cur = gp;
            rc = krt_pscan_run(&f->conn, f->dest, gp->partition, gp->dest_scanned, wm.high[i],
                               visit_late, f, err);
            if (!rc)
                rc = drop_late(f, gp, err);
            krt_ranges_free(&f->reproduced);
        }
        if (!rc && !gp->err && gp->todo.n) {
            p->start = p->next = gp->todo.v[0][0];
            p->end = gp->todo.v[gp->todo.n - 1][1];
        } else {
            p->start = p->next = p->end = 0; /* nothing to write */
        }
    }
    krt_pscan_marks_free(&wm);
    krt_tplist_free(&l);
    krt_meta_free(&md);
    return rc;
}

/* Keep the backup's records that are to do (the source reads the span from
 * the first to the last). */
static bool fill_filter(void *opaque, const struct krt_copy_record *rec)
{
    const struct fill *f = opaque;
    int k = rec->partition >= 0 && rec->partition < f->nidx ? f->idx[rec->partition] : -1;
    return k >= 0 && krt_ranges_has(&f->rep->v[k].todo, rec->offset);
}

static void fill_decorate(void *opaque, const struct krt_copy_record *rec, rd_kafka_headers_t *h)
{
    const struct fill *f = opaque;
    krt_restore_provenance(h, f->o->restore_id, f->o->topic, rec);
}

/* Write the records to do: a restore from the backup source, filtered to
 * them, through the copy engine's transactional sink. */
static int fill_copy(struct fill *f, struct krt_error *err)
{
    struct krt_gapfill_report *rep = f->rep;
    int rc = -1;
    struct krt_conn admin = {0};
    struct krt_restore_source b = {0};
    struct krt_copy_part *parts = calloc((size_t)rep->n + 1, sizeof(*parts));
    f->nidx = 0;
    for (int i = 0; i < rep->n; i++)
        if (rep->v[i].partition >= f->nidx)
            f->nidx = rep->v[i].partition + 1;
    f->idx = malloc(sizeof(int) * ((size_t)f->nidx + 1));
    if (!parts || !f->idx) {
        oom(err);
        goto out;
    }
    for (int i = 0; i < f->nidx; i++)
        f->idx[i] = -1;
    for (int i = 0; i < rep->n; i++) {
        f->idx[rep->v[i].partition] = i;
        parts[i] = (struct krt_copy_part){.partition = rep->v[i].partition,
                                          .first_copied = -1, .last_copied = -1};
    }
    if (krt_restore_source_init(&b, f->o->dir, &f->m, f->bt->name, rep->n, err) ||
        krt_conn_open(&admin, f->c, KRT_CONN_ADMIN, NULL, err))
        goto out;
    b.on_start = fill_start;
    b.opaque = f;
    char txn[600];
    fill_txn_id(f, txn, sizeof(txn));
    struct krt_copy_job job = {
        .label = f->o->restore_id,
        .source = f->o->topic,
        .source_partitions = f->nidx,
        .src_ops = &krt_restore_source_ops,
        .src = &b,
        .txn_id = txn,
        .target = f->dest,
        .parts = parts,
        .nparts = rep->n,
        .filter = fill_filter,
        .decorate = fill_decorate,
        .opaque = f,
        .started_ms = krt_now_ms(),
    };
    rc = krt_copy_run(f->c, &admin, &job, err);
    for (int i = 0; i < rep->n; i++) {
        rep->v[i].restored = parts[i].copied;
        rep->restored += parts[i].copied;
    }
out:
    krt_restore_source_free(&b);
    krt_conn_close(&admin);
    free(parts);
    free(f->idx);
    f->idx = NULL;
    return rc;
}

/* ---- the apply sequence ------------------------------------------------------------------------ */

static int step_check(void *st, int wait_s, struct krt_error *err)
{
    (void)wait_s;
    struct fill *f = st;
    if (krt_topic_is_internal(f->dest))
        return krt_error_set(err, KRT_ERR_REFUSED,
                             "refusing to write to '%s': an internal or protected topic",
                             f->dest);
    return 0;
}

static int step_refresh(void *st, struct krt_error *err)
{
    return analyse(st, err);
}

static json_t *plan_json(const struct fill *f)
{
    json_t *doc = krt_gapfill_json(f->rep);
    json_object_set_new(doc, "krt_gapfill_plan", json_integer(1));
    json_object_set_new(doc, "backup", json_string(f->o->dir));
    return doc;
}

static int step_save(void *st, struct krt_error *err)
{
    struct fill *f = st;
    char path[4096];
    if (f->o->plan_path)
        snprintf(path, sizeof(path), "%s", f->o->plan_path);
    else if (krt_plan_path(path, sizeof(path), "gapfill", f->o->topic, err))
        return -1;
    free(f->rep->plan_path);
    f->rep->plan_path = strdup(path);
    return krt_json_write_file(path, plan_json(f), 1, err);
}

static int step_apply(void *st, struct krt_error *err)
{
    struct fill *f = st;
    struct krt_gapfill_report *rep = f->rep;
    rep->executed = true;
    if (!rep->to_restore)
        return 0;
#ifdef KRT_TEST_HOOKS
    /* two runs released here together have both found every lost record
     * to do: only fencing keeps them from writing each twice */
    krt_apply_test_pause("KRT_TEST_FILL_PAUSE");
#endif
    if (fill_copy(f, err))
        return -1;
    return 0;
}

static const struct krt_apply_ops fill_ops = {
    .check = step_check,
    .refresh = step_refresh,
    .save = step_save,
    .apply = step_apply,
};

static int load_local(struct fill *f, struct krt_error *err)
{
    if (krt_backup_manifest_read(f->o->dir, 0, &f->m, err))
        return -1;
    f->bt = krt_backup_topic(&f->m, f->o->topic, 0);
    if (!f->bt)
        return krt_error_set(err, KRT_ERR_INPUT, "the backup in '%s' does not hold topic '%s'",
                             f->o->dir, f->o->topic);
    if (f->o->baseline && krt_audit_baseline_read(f->o->baseline, &f->baseline, err))
        return -1;
    const char *policy = krt_props_get(&f->bt->configs, "cleanup.policy");
    f->compacted = policy && strstr(policy, "compact");
    return 0;
}

int krt_gapfill_run(const struct krt_common *c, const struct krt_gapfill_opts *o,
                    struct krt_gapfill_report *rep, bool *started, struct krt_error *err)
{
    struct fill f = {.c = c, .o = o, .rep = rep};
    *started = false;
    f.dest = o->to && strcmp(o->to, o->topic) ? o->to : o->topic;
    rep->topic = strdup(o->topic);
    rep->target = strdup(f.dest);
    rep->restore_id = strdup(o->restore_id);
    int rc = load_local(&f, err);
    if (!rc && (rc = krt_backup_consumer_open(c, &f.conn, err)) == 0)
        krt_conn_trap_signals(&f.conn);
    if (!rc) {
        if (c->execute)
            rc = krt_apply_run(&fill_ops, &f, 0, started, err);
        else
            rc = step_check(&f, 0, err) || analyse(&f, err) ? -1 : 0;
    }
    if (!rc) {
        int failed = 0;
        for (int i = 0; i < rep->n; i++)
            failed += rep->v[i].err != 0;
        if (failed)
            rc = krt_error_set(err, KRT_ERR_PARTIAL, "%d of %d partition(s) failed", failed,
                               rep->n);
    }
    krt_pscan_consumer_close(&f.conn);
    json_decref(f.baseline);
    krt_backup_manifest_free(&f.m);
    return rc;
}

/* ---- report ------------------------------------------------------------------------------- */

void krt_gapfill_print(const struct krt_gapfill_report *rep, FILE *f)
{
    fprintf(f, "gap fill of '%s' from the backup%s%s%s (restore id %s)%s\n", rep->topic,
            strcmp(rep->topic, rep->target) ? " into '" : "",
            strcmp(rep->topic, rep->target) ? rep->target : "",
            strcmp(rep->topic, rep->target) ? "'" : "", rep->restore_id,
            rep->executed ? "" : ": dry run, nothing written");
    fprintf(f, "%-9s %-22s %9s %9s %9s %9s %13s\n", "PARTITION", "LOST RANGE", "MISSING",
            "ALREADY", rep->executed ? "RESTORED" : "TO RESTORE", "LOST", "TOPIC LOG");
    for (int i = 0; i < rep->n; i++) {
        const struct krt_gapfill_part *p = &rep->v[i];
        char range[48], log[48];
        if (p->err) {
            fprintf(f, "%-9d error: %s\n", (int)p->partition, p->errmsg ? p->errmsg : "?");
            continue;
        }
        if (p->lost_from < p->lost_to)
            snprintf(range, sizeof(range), "[%" PRId64 ", %" PRId64 ")", p->lost_from,
                     p->lost_to);
        else
            snprintf(range, sizeof(range), "none");
        snprintf(log, sizeof(log), "[%" PRId64 ", %" PRId64 ")", p->log_start, p->high);
        fprintf(f, "%-9d %-22s %9" PRId64 " %9" PRId64 " %9" PRId64 " %9" PRId64 " %13s\n",
                (int)p->partition, range, p->missing, p->already,
                rep->executed ? p->restored : p->to_restore, p->lost_for_good, log);
    }
    fprintf(f, "missing %" PRId64 ", already re-produced %" PRId64 ", %s %" PRId64
               ", lost for good %" PRId64 "\n",
            rep->missing, rep->already, rep->executed ? "restored" : "to restore",
            rep->executed ? rep->restored : rep->to_restore, rep->lost_for_good);
    if (rep->compacted)
        fprintf(f, "compacted away (not lost, not written again) %" PRId64 "\n", rep->compacted);
    if (rep->plan_path)
        fprintf(f, "plan: %s\n", rep->plan_path);
}

json_t *krt_gapfill_json(const struct krt_gapfill_report *rep)
{
    json_t *doc = json_object(), *parts = json_array();
    json_object_set_new(doc, "topic", krt_json_str(rep->topic));
    json_object_set_new(doc, "target", krt_json_str(rep->target));
    json_object_set_new(doc, "restore_id", krt_json_str(rep->restore_id));
    json_object_set_new(doc, "executed", json_boolean(rep->executed));
    for (int i = 0; i < rep->n; i++) {
        const struct krt_gapfill_part *p = &rep->v[i];
        json_t *o = json_object(), *todo = json_array();
        json_object_set_new(o, "partition", json_integer(p->partition));
        json_object_set_new(o, "log_start_offset", krt_json_offset(p->log_start));
        json_object_set_new(o, "high_watermark", krt_json_offset(p->high));
        json_object_set_new(o, "baseline_high_watermark", krt_json_offset(p->baseline_high));
        json_object_set_new(o, "lost_from", json_integer(p->lost_from));
        json_object_set_new(o, "lost_to", json_integer(p->lost_to));
        json_object_set_new(o, "compared", json_integer(p->compared));
        json_object_set_new(o, "missing", json_integer(p->missing));
        json_object_set_new(o, "already_restored", json_integer(p->already));
        json_object_set_new(o, "to_restore", json_integer(p->to_restore));
        json_object_set_new(o, "restored", json_integer(p->restored));
        json_object_set_new(o, "lost_for_good", json_integer(p->lost_for_good));
        json_object_set_new(o, "below_log_start", json_integer(p->below_log_start));
        json_object_set_new(o, "compacted_away", json_integer(p->compacted));
        for (size_t j = 0; j < p->todo.n; j++)
            json_array_append_new(todo, json_pack("[II]", (json_int_t)p->todo.v[j][0],
                                                  (json_int_t)p->todo.v[j][1]));
        json_object_set_new(o, "ranges_to_restore", todo);
        json_object_set_new(o, "error", p->err ? krt_json_str(p->errmsg) : json_null());
        json_array_append_new(parts, o);
    }
    json_object_set_new(doc, "partitions", parts);
    json_object_set_new(doc, "missing", json_integer(rep->missing));
    json_object_set_new(doc, "already_restored", json_integer(rep->already));
    json_object_set_new(doc, "to_restore", json_integer(rep->to_restore));
    json_object_set_new(doc, "restored", json_integer(rep->restored));
    json_object_set_new(doc, "lost_for_good", json_integer(rep->lost_for_good));
    json_object_set_new(doc, "compacted_away", json_integer(rep->compacted));
    json_object_set_new(doc, "plan", rep->plan_path ? json_string(rep->plan_path) : json_null());
    return doc;
}

void krt_gapfill_report_free(struct krt_gapfill_report *rep)
{
    parts_reset(rep);
    free(rep->topic);
    free(rep->target);
    free(rep->restore_id);
    free(rep->plan_path);
    memset(rep, 0, sizeof(*rep));
}

/* ---- the command ------------------------------------------------------------------------- */

int krt_gapfill_cli(const struct krt_common *c, const struct krt_gapfill_opts *o,
                    struct krt_rgroups_opts *groups)
{
    struct krt_gapfill_report rep = {0};
    struct krt_rewind_plan plan = {0};
    struct krt_error err;
    bool started = false, gstarted = false;
    krt_error_clear(&err);
    int rc = krt_gapfill_run(c, o, &rep, &started, &err);
    if (!rc && groups && (c->execute || !rep.to_restore)) {
        groups->target = rep.target;
        rc = krt_rgroups_step(c, groups, &plan, &gstarted, &err);
    } else if (!rc && groups && c->verbosity) {
        krt_notef(c->prog, "the groups are translated once the records are back (--execute)");
    }
    json_t *doc = NULL;
    if (c->json) {
        doc = krt_gapfill_json(&rep);
        if (plan.ngroups)
            json_object_set_new(doc, "groups", krt_rewind_plan_json(&plan));
    }
    int code = KRT_EXIT_OK;
    if (rc && !started && !gstarted && rep.n == 0) {
        json_decref(doc);
        code = krt_tool_fail(c, &err);
    } else if (rc) {
        if (!c->json) {
            krt_gapfill_print(&rep, stdout);
            if (plan.ngroups)
                krt_rewind_plan_print(&plan, stdout);
        }
        code = krt_tool_fail_doc(c, &err, doc);
    } else if (c->json) {
        krt_json_write(stdout, doc);
    } else {
        krt_gapfill_print(&rep, stdout);
        if (plan.ngroups)
            krt_rewind_plan_print(&plan, stdout);
    }
    if (!rc && plan.undo_path && c->verbosity)
        krt_notef(c->prog, "undo file of the groups' offsets: %s", plan.undo_path);
    krt_rewind_plan_free(&plan);
    krt_gapfill_report_free(&rep);
    return code;
}
