/* rewind.c - see rewind.h */
#define _POSIX_C_SOURCE 200809L
#include "rewind.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "json_out.h"
#include "peek.h"
#include "table.h"
#include "timespec.h"

/* ---- building -------------------------------------------------------------- */

static void row_free(struct krt_plan_row *r)
{
    free(r->topic);
    free(r->metadata);
    free(r->target_metadata);
    free(r->warning);
}

void krt_rewind_plan_free(struct krt_rewind_plan *p)
{
    for (int g = 0; p->groups && g < p->ngroups; g++) {
        struct krt_group_plan *gp = &p->groups[g];
        for (size_t i = 0; i < gp->nrows; i++)
            row_free(&gp->rows[i]);
        free(gp->rows);
        free(gp->group);
        krt_group_desc_free(&gp->desc);
    }
    free(p->groups);
    free(p->undo_path);
    *p = (struct krt_rewind_plan){0};
}

static int64_t clamp(int64_t v, int64_t lo, int64_t hi, bool *clamped)
{
    int64_t r = v < lo ? lo : v > hi ? hi : v;
    *clamped = r != v;
    return r;
}

/* The partitions of one group's plan, before targets. */
static int group_partitions(const struct krt_metadata *md, const char *group,
                            const struct krt_rewind_scope *scope,
                            const struct krt_rewind_spec *spec, const struct krt_tplist *committed,
                            struct krt_tplist *out, struct krt_error *err)
{
    if (spec->kind == KRT_SPEC_FILE) {
        struct krt_tplist scoped = {0};
        if (scope->topics->n && krt_selection_resolve(scope->topics, md, &scoped, err))
            return -1;
        for (size_t i = 0; i < spec->file->n; i++) {
            const struct krt_planfile_entry *e = &spec->file->v[i];
            if (e->group && strcmp(e->group, group))
                continue;
            if (scope->topics->n && !krt_tplist_find(&scoped, e->topic, e->partition))
                continue;
            const struct krt_topic *t = krt_meta_topic(md, e->topic);
            if (!t) {
                krt_tplist_free(&scoped);
                return krt_error_set(err, KRT_ERR_INPUT, "unknown topic '%s' in the plan file",
                                     e->topic);
            }
            if (!krt_meta_part(t, e->partition)) {
                krt_tplist_free(&scoped);
                return krt_error_set(err, KRT_ERR_INPUT,
                                     "topic '%s' has no partition %d (it has %d)", e->topic,
                                     e->partition, t->nparts);
            }
            struct krt_tp *tp = krt_tplist_add(out, e->topic, e->partition, e->offset);
            if (!tp || (e->metadata && !(tp->metadata = strdup(e->metadata)))) {
                krt_tplist_free(&scoped);
                return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
            }
        }
        krt_tplist_free(&scoped);
        krt_tplist_sort(out);
        return 0;
    }
    if (scope->topics->n)
        return krt_selection_resolve(scope->topics, md, out, err);
    /* --all-topics (and --repair without --topic): what the group has offsets for */
    for (size_t i = 0; i < committed->n; i++) {
        const struct krt_topic *t = krt_meta_topic(md, committed->v[i].topic);
        if (!t || !krt_meta_part(t, committed->v[i].partition))
            continue; /* a deleted topic: nothing to reset to */
        if (!krt_tplist_add(out, committed->v[i].topic, committed->v[i].partition, -1))
            return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    }
    return 0;
}

/* Targets from the spec; -1 in a row's target means "delete the commit". */
static int compute_targets(struct krt_conn *conn, const struct krt_metadata *md,
                           const struct krt_rewind_spec *spec, struct krt_group_plan *gp,
                           const struct krt_tplist *parts, struct krt_error *err)
{
    struct krt_tplist times = {0};
    if (spec->kind == KRT_SPEC_DATETIME) {
        for (size_t i = 0; i < gp->nrows; i++)
            if (!krt_tplist_add(&times, gp->rows[i].topic, gp->rows[i].partition, spec->value))
                return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        if (times.n && krt_offsets_query(conn, md, &times, err)) {
            krt_tplist_free(&times);
            return -1;
        }
    }
    size_t w = 0;
    for (size_t i = 0; i < gp->nrows; i++) {
        struct krt_plan_row *r = &gp->rows[i];
        if (r->err) {
            krt_tplist_free(&times);
            return krt_error_kafka(err, r->err, "cannot read the offsets of %s-%d", r->topic,
                                   r->partition);
        }
        bool keep = true;
        switch (spec->kind) {
        case KRT_SPEC_EARLIEST:
            r->requested = r->log_start;
            break;
        case KRT_SPEC_LATEST:
            r->requested = r->high;
            break;
        case KRT_SPEC_CURRENT:
            r->requested = r->current >= 0 ? r->current : r->high;
            if (r->current < 0)
                r->note = "no committed offset: high watermark";
            break;
        case KRT_SPEC_OFFSET:
            r->requested = spec->value;
            break;
        case KRT_SPEC_SHIFT:
            if (r->current < 0) {
                krt_tplist_free(&times);
                return krt_error_set(err, KRT_ERR_INPUT,
                                     "cannot shift %s-%d of group '%s': it has no committed "
                                     "offset",
                                     r->topic, r->partition, gp->group);
            }
            if (spec->value > 0 && r->current > INT64_MAX - spec->value) {
                /* Kafka's own tool overflows here and lands on the log
                 * start; a forward shift can only mean "the end" */
                r->requested = INT64_MAX;
                r->note = "shift past the largest offset: saturated, then clamped";
            } else {
                r->requested = r->current + spec->value;
            }
            break;
        case KRT_SPEC_DATETIME:
            r->requested = times.v[i].offset;
            if (times.v[i].err) {
                int e = times.v[i].err;
                krt_tplist_free(&times);
                return krt_error_kafka(err, e, "cannot look up %s-%d by time", r->topic,
                                       r->partition);
            }
            if (r->requested < 0) {
                r->requested = r->high;
                r->note = "no record at or after the time: high watermark";
            }
            break;
        case KRT_SPEC_FILE:
            r->requested = parts->v[i].offset;
            break;
        case KRT_SPEC_REPAIR: {
            bool below = r->current >= 0 && r->current < r->log_start;
            bool above = r->current > r->high;
            keep = below || above;
            if (spec->repair == KRT_REPAIR_EARLIEST || (spec->repair == KRT_REPAIR_NEAREST && below))
                r->requested = r->log_start;
            else
                r->requested = r->high;
            r->note = below ? "below log start" : above ? "above high watermark" : NULL;
            break;
        }
        case KRT_SPEC_NONE:
            break;
        }
        if (!keep) {
            gp->untouched++;
            row_free(r);
            continue;
        }
        if (spec->kind == KRT_SPEC_FILE) {
            /* a plan file is applied exactly (an undo must restore what was) */
            r->target = r->requested;
            if (r->target >= 0 && (r->target < r->log_start || r->target > r->high))
                r->note = "outside [log start, high watermark] now";
            if (r->target < 0)
                r->note = "had no committed offset: the commit is removed";
        } else {
            r->target = clamp(r->requested, r->log_start, r->high, &r->clamped);
        }
        /* the metadata of the commit stays with the partition */
        const char *md_src = spec->kind == KRT_SPEC_FILE && parts->v[i].metadata
                                 ? parts->v[i].metadata
                                 : r->metadata;
        if (md_src && !(r->target_metadata = strdup(md_src))) {
            krt_tplist_free(&times);
            return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        }
        gp->rows[w++] = *r;
    }
    gp->nrows = w;
    krt_tplist_free(&times);
    return 0;
}

#define PEEK_WINDOW 5

/* For time-based specs: the timestamp each partition lands on, and a warning
 * when timestamps around the target are out of order. */
static int check_landing(struct krt_conn *conn, struct krt_rewind_plan *p, struct krt_error *err)
{
    size_t total = 0;
    for (int g = 0; g < p->ngroups; g++)
        total += p->groups[g].nrows;
    struct krt_peek *v = calloc(total + 1, sizeof(*v));
    if (!v)
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    int nv = 0;
    for (int g = 0; g < p->ngroups; g++)
        for (size_t i = 0; i < p->groups[g].nrows; i++) {
            struct krt_plan_row *r = &p->groups[g].rows[i];
            int dup = 0; /* several groups, one partition: read it once */
            for (int k = 0; k < nv && !dup; k++)
                dup = v[k].partition == r->partition && !strcmp(v[k].topic, r->topic);
            if (dup)
                continue;
            int64_t from = r->target - PEEK_WINDOW, to = r->target + PEEK_WINDOW + 1;
            v[nv] = (struct krt_peek){.topic = r->topic, .partition = r->partition,
                                      .from = from < r->log_start ? r->log_start : from,
                                      .to = to > r->high ? r->high : to};
            nv++;
        }
    int rc = krt_peek_read(conn->common, v, nv, err);
    for (int k = 0; !rc && k < nv; k++) {
        for (int g = 0; g < p->ngroups; g++)
            for (size_t i = 0; i < p->groups[g].nrows; i++) {
                struct krt_plan_row *r = &p->groups[g].rows[i];
                if (r->partition != v[k].partition || strcmp(r->topic, v[k].topic))
                    continue;
                int64_t t_req = p->spec.value;
                const char *why = NULL;
                int64_t bad_off = -1, bad_ts = -1;
                for (int j = 0; j < v[k].n; j++) {
                    int64_t o = v[k].offsets[j], ts = v[k].timestamps[j];
                    if (o == r->target)
                        r->landed_ts = ts;
                    if (ts < 0 || why)
                        continue;
                    if (o < r->target && ts >= t_req)
                        why = "is at or after the time but will be skipped";
                    else if (o >= r->target && ts < t_req)
                        why = "is before the time but will be read again";
                    else if (j > 0 && ts < v[k].timestamps[j - 1])
                        why = "is older than the record before it";
                    if (why) {
                        bad_off = o;
                        bad_ts = ts;
                    }
                }
                if (why) {
                    char ts_s[40], buf[300];
                    krt_time_format(bad_ts, ts_s, sizeof(ts_s));
                    snprintf(buf, sizeof(buf),
                             "timestamps out of order around offset %" PRId64
                             ": offset %" PRId64 " (%s) %s",
                             r->target, bad_off, ts_s, why);
                    free(r->warning);
                    r->warning = strdup(buf);
                    p->nwarnings++;
                }
            }
    }
    krt_peek_free(v, nv);
    free(v);
    return rc;
}

static int build_group(struct krt_conn *conn, const struct krt_metadata *md, const char *group,
                       const struct krt_rewind_scope *scope, const struct krt_rewind_spec *spec,
                       struct krt_group_plan *gp, struct krt_error *err)
{
    struct krt_tplist committed = {0}, parts = {0};
    int64_t *low = NULL, *high = NULL;
    int *perr = NULL;
    int rc = -1;
    if (!(gp->group = strdup(group)))
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    if (krt_group_state(conn, group, &gp->desc, &committed, err))
        goto out;
    if (!gp->desc.exists && committed.n == 0 && !scope->allow_new_group) {
        krt_error_set(err, KRT_ERR_INPUT,
                      "unknown consumer group '%s' (to seed offsets for a new group, add "
                      "--allow-new-group)",
                      group);
        goto out;
    }
    if (group_partitions(md, group, scope, spec, &committed, &parts, err))
        goto out;
    if (parts.n == 0) {
        krt_error_set(err, KRT_ERR_INPUT, "nothing to reset for group '%s': %s", group,
                      spec->kind == KRT_SPEC_FILE ? "the plan file has no entry for it"
                                                  : "it has no committed offsets (name topics "
                                                    "with --topic)");
        goto out;
    }
    low = calloc(parts.n, sizeof(*low));
    high = calloc(parts.n, sizeof(*high));
    perr = calloc(parts.n, sizeof(*perr));
    gp->rows = calloc(parts.n, sizeof(*gp->rows));
    if (!low || !high || !perr || !gp->rows) {
        krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (krt_offsets_watermarks(conn, md, &parts, low, high, perr, err))
        goto out;
    for (size_t i = 0; i < parts.n; i++) {
        struct krt_plan_row *r = &gp->rows[gp->nrows++];
        const struct krt_tp *c = krt_tplist_find(&committed, parts.v[i].topic, parts.v[i].partition);
        *r = (struct krt_plan_row){.topic = strdup(parts.v[i].topic),
                                   .partition = parts.v[i].partition,
                                   .current = c ? c->offset : -1,
                                   .metadata = c && c->metadata ? strdup(c->metadata) : NULL,
                                   .log_start = low[i],
                                   .high = high[i],
                                   .err = perr[i],
                                   .landed_ts = -1};
        if (!r->topic) {
            krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
            goto out;
        }
    }
    rc = compute_targets(conn, md, spec, gp, &parts, err);
out:
    krt_tplist_free(&committed);
    krt_tplist_free(&parts);
    free(low);
    free(high);
    free(perr);
    return rc;
}

int krt_rewind_plan_build(struct krt_conn *conn, const char *const *groups, int ngroups,
                          const struct krt_rewind_scope *scope,
                          const struct krt_rewind_spec *spec, struct krt_rewind_plan *out,
                          struct krt_error *err)
{
    *out = (struct krt_rewind_plan){.spec = *spec};
    /* --by-duration means "now": the now of this build, which after a wait
     * or a prompt is later than when the options were read */
    if (spec->ago && krt_time_ago(spec->text, spec->ago_ms, &out->spec.value, err))
        return -1;
    spec = &out->spec;
    struct krt_metadata md;
    if (krt_meta_fetch(conn, &md, err))
        return -1;
    int rc = 0;
    if (!(out->groups = calloc((size_t)ngroups + 1, sizeof(*out->groups))))
        rc = krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    for (int g = 0; !rc && g < ngroups; g++) {
        out->ngroups++;
        rc = build_group(conn, &md, groups[g], scope, spec, &out->groups[g], err);
    }
    krt_meta_free(&md);
    if (!rc && spec->kind == KRT_SPEC_DATETIME)
        rc = check_landing(conn, out, err);
    if (rc)
        krt_rewind_plan_free(out);
    return rc;
}

/* ---- output ------------------------------------------------------------------ */

static json_t *member_json(const struct krt_member *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "member_id", krt_json_str(m->member_id));
    json_object_set_new(o, "client_id", krt_json_str(m->client_id));
    json_object_set_new(o, "host", krt_json_str(m->host));
    return o;
}

/* undo: the document that puts back what was (offset := previous) */
static json_t *plan_doc(const struct krt_rewind_plan *p, bool undo)
{
    json_t *doc = json_object(), *groups = json_array();
    char now[40];
    krt_time_format(krt_now_ms(), now, sizeof(now));
    json_object_set_new(doc, "krt_plan", json_string("rewind"));
    json_object_set_new(doc, "version", json_integer(1));
    json_object_set_new(doc, "created", json_string(now));
    json_object_set_new(doc, "spec", json_string(undo ? "undo" : p->spec.text));
    if (!undo) {
        json_object_set_new(doc, "executed", json_boolean(p->executed));
        json_object_set_new(doc, "undo_file", krt_json_str(p->undo_path));
    }
    size_t nparts = 0, nclamped = 0, nchanged = 0;
    for (int g = 0; g < p->ngroups; g++) {
        const struct krt_group_plan *gp = &p->groups[g];
        json_t *jg = json_object(), *rows = json_array();
        json_object_set_new(jg, "group", json_string(gp->group));
        if (!undo) {
            json_t *members = json_array();
            for (int m = 0; m < gp->desc.nmembers; m++)
                json_array_append_new(members, member_json(&gp->desc.members[m]));
            json_object_set_new(jg, "state", krt_json_str(gp->desc.state));
            json_object_set_new(jg, "members", members);
        }
        for (size_t i = 0; i < gp->nrows; i++) {
            const struct krt_plan_row *r = &gp->rows[i];
            json_t *o = json_object();
            json_object_set_new(o, "topic", json_string(r->topic));
            json_object_set_new(o, "partition", json_integer(r->partition));
            if (undo) {
                json_object_set_new(o, "offset", krt_json_offset(r->current));
                json_object_set_new(o, "metadata", krt_json_str(r->metadata));
                json_array_append_new(rows, o);
                continue;
            }
            json_object_set_new(o, "offset", krt_json_offset(r->target));
            json_object_set_new(o, "metadata", krt_json_str(r->target_metadata));
            json_object_set_new(o, "previous", krt_json_offset(r->current));
            json_object_set_new(o, "previous_metadata", krt_json_str(r->metadata));
            json_object_set_new(o, "delta", r->current >= 0 && r->target >= 0
                                                ? json_integer(r->target - r->current)
                                                : json_null());
            json_object_set_new(o, "log_start_offset", krt_json_offset(r->log_start));
            json_object_set_new(o, "high_watermark", krt_json_offset(r->high));
            json_object_set_new(o, "requested", krt_json_offset(r->requested));
            json_object_set_new(o, "clamped", json_boolean(r->clamped));
            if (p->spec.kind == KRT_SPEC_DATETIME)
                json_object_set_new(o, "landed_timestamp", krt_json_time(r->landed_ts));
            json_object_set_new(o, "note", krt_json_str(r->note));
            json_object_set_new(o, "warning", krt_json_str(r->warning));
            json_object_set_new(o, "error", r->result_err
                                                ? json_string(rd_kafka_err2name(r->result_err))
                                                : json_null());
            json_array_append_new(rows, o);
            nparts++;
            nclamped += r->clamped;
            nchanged += r->target != r->current;
        }
        json_object_set_new(jg, "partitions", rows);
        if (!undo && p->spec.kind == KRT_SPEC_REPAIR)
            json_object_set_new(jg, "untouched", json_integer((json_int_t)gp->untouched));
        json_array_append_new(groups, jg);
    }
    json_object_set_new(doc, "groups", groups);
    if (!undo) {
        json_t *sum = json_object();
        json_object_set_new(sum, "groups", json_integer(p->ngroups));
        json_object_set_new(sum, "partitions", json_integer((json_int_t)nparts));
        json_object_set_new(sum, "changed", json_integer((json_int_t)nchanged));
        json_object_set_new(sum, "clamped", json_integer((json_int_t)nclamped));
        json_object_set_new(sum, "warnings", json_integer((json_int_t)p->nwarnings));
        json_object_set_new(doc, "summary", sum);
    }
    return doc;
}

json_t *krt_rewind_plan_json(const struct krt_rewind_plan *p) { return plan_doc(p, false); }

void krt_rewind_plan_print(const struct krt_rewind_plan *p, FILE *f)
{
    bool timed = p->spec.kind == KRT_SPEC_DATETIME;
    const char *heads[] = {"GROUP", "TOPIC", "PARTITION", "CURRENT", "TARGET", "DELTA",
                           "LOG-START", "HIGH-WATERMARK", "CLAMPED", timed ? "LANDS-ON" : "NOTE",
                           "NOTE"};
    struct krt_table t;
    krt_table_init(&t, timed ? 11 : 10, heads);
    for (int g = 0; g < p->ngroups; g++) {
        const struct krt_group_plan *gp = &p->groups[g];
        for (size_t i = 0; i < gp->nrows; i++) {
            const struct krt_plan_row *r = &gp->rows[i];
            char part[16], cur[24], tgt[24], delta[24], lo[24], hi[24], ts[40];
            snprintf(part, sizeof(part), "%d", r->partition);
            krt_table_offset(cur, sizeof(cur), r->current);
            krt_table_offset(tgt, sizeof(tgt), r->target);
            if (r->current >= 0 && r->target >= 0)
                snprintf(delta, sizeof(delta), "%+" PRId64, r->target - r->current);
            else
                snprintf(delta, sizeof(delta), "-");
            krt_table_offset(lo, sizeof(lo), r->log_start);
            krt_table_offset(hi, sizeof(hi), r->high);
            if (r->landed_ts >= 0)
                krt_time_format(r->landed_ts, ts, sizeof(ts));
            else
                snprintf(ts, sizeof(ts), "-");
            const char *cells[] = {gp->group, r->topic, part, cur, tgt, delta, lo, hi,
                                   r->clamped ? "yes" : "no", timed ? ts : r->note, r->note};
            krt_table_add(&t, cells);
        }
    }
    fprintf(f, "Plan (%s):\n", p->spec.text);
    krt_table_print(&t, f);
    krt_table_free(&t);
    for (int g = 0; g < p->ngroups; g++) {
        const struct krt_group_plan *gp = &p->groups[g];
        if (p->spec.kind == KRT_SPEC_REPAIR)
            fprintf(f, "group '%s': %zu partition(s) out of range, %zu in range left alone\n",
                    gp->group, gp->nrows, gp->untouched);
        for (size_t i = 0; i < gp->nrows; i++)
            if (gp->rows[i].warning)
                fprintf(f, "warning: %s-%d: %s\n", gp->rows[i].topic, gp->rows[i].partition,
                        gp->rows[i].warning);
        if (gp->desc.nmembers > 0)
            fprintf(f, "warning: group '%s' has %d active member(s); --execute will refuse\n",
                    gp->group, gp->desc.nmembers);
    }
    for (int g = 0; g < p->ngroups; g++)
        for (size_t i = 0; i < p->groups[g].nrows; i++)
            if (p->groups[g].rows[i].result_err)
                fprintf(f, "failed: group '%s' %s-%d: %s\n", p->groups[g].group,
                        p->groups[g].rows[i].topic, p->groups[g].rows[i].partition,
                        rd_kafka_err2name(p->groups[g].rows[i].result_err));
    if (p->executed)
        fprintf(f, "Executed. Undo with: krt-rewind --from-file %s --execute\n",
                p->undo_path ? p->undo_path : "?");
    else
        fprintf(f, "Dry run: nothing changed. Add --execute to apply.\n");
}

int krt_rewind_plan_export(const struct krt_rewind_plan *p, const char *path,
                           struct krt_error *err)
{
    return krt_json_write_file(path, krt_rewind_plan_json(p), 0, err);
}

/* ---- safety and apply ------------------------------------------------------- */

static void members_text(const struct krt_group_desc *d, char *b, size_t n)
{
    size_t o = 0;
    b[0] = '\0';
    for (int m = 0; m < d->nmembers && o + 1 < n; m++) {
        int w = snprintf(b + o, n - o, "%s%s (client %s, host %s)", m ? ", " : "",
                         d->members[m].member_id ? d->members[m].member_id : "?",
                         d->members[m].client_id ? d->members[m].client_id : "?",
                         d->members[m].host ? d->members[m].host : "?");
        if (w < 0)
            break;
        o += (size_t)w;
    }
}

int krt_rewind_guard(struct krt_conn *conn, const struct krt_rewind_plan *p, int wait_s,
                     struct krt_error *err)
{
    int64_t deadline = krt_now_ms() + (int64_t)wait_s * 1000, last_say = 0;
    for (int g = 0; g < p->ngroups; g++) {
        for (;;) {
            struct krt_group_desc d;
            if (krt_group_describe(conn, p->groups[g].group, &d, err))
                return -1;
            int n = d.nmembers;
            char who[700];
            members_text(&d, who, sizeof(who));
            krt_group_desc_free(&d);
            if (n == 0)
                break;
            int64_t now = krt_now_ms();
            if (wait_s <= 0 || now >= deadline)
                return krt_error_set(err, KRT_ERR_REFUSED,
                                     "group '%s' has %d active member(s)%s: %s; stop its "
                                     "consumers first (or --wait-empty SECONDS)",
                                     p->groups[g].group, n,
                                     wait_s > 0 ? " after waiting" : "", who);
            if (now - last_say >= 5000 && conn->common->verbosity) {
                fprintf(stderr, "%s: waiting for group '%s' to become empty: %s\n",
                        conn->common->prog, p->groups[g].group, who);
                last_say = now;
            }
            if (krt_interrupted())
                return krt_error_set(err, KRT_ERR_INTERRUPTED, "interrupted: nothing changed");
            krt_sleep_ms(500);
        }
    }
    return 0;
}

int krt_rewind_write_undo(struct krt_rewind_plan *p, const char *path, struct krt_error *err)
{
    char buf[4096];
    if (!path) {
        if (krt_plan_path(buf, sizeof(buf), "rewind-undo", p->ngroups ? p->groups[0].group : "",
                          err))
            return -1;
        path = buf;
    }
    if (krt_json_write_file(path, plan_doc(p, true), 1, err))
        return -1;
    free(p->undo_path);
    p->undo_path = strdup(path);
    return 0;
}

int krt_rewind_apply(struct krt_conn *conn, struct krt_rewind_plan *p, struct krt_error *err)
{
    int failed_groups = 0;
    bool any_done = false; /* some partition's offset was changed */
    struct krt_error first;
    krt_error_clear(&first);
    for (int g = 0; g < p->ngroups; g++) {
        struct krt_group_plan *gp = &p->groups[g];
        struct krt_tplist commit = {0}, remove = {0};
        if (krt_interrupted()) {
            /* Ctrl-C: the groups not yet sent are not attempted, and say so */
            for (int h = g; h < p->ngroups; h++)
                for (size_t i = 0; i < p->groups[h].nrows; i++)
                    p->groups[h].rows[i].result_err = RD_KAFKA_RESP_ERR__INTR;
            if (!failed_groups)
                krt_error_set(&first, KRT_ERR_INTERRUPTED,
                              "interrupted: group '%s' and the %d after it not attempted",
                              gp->group, p->ngroups - g - 1);
            failed_groups += p->ngroups - g;
            break;
        }
        for (size_t i = 0; i < gp->nrows; i++) {
            const struct krt_plan_row *r = &gp->rows[i];
            struct krt_tp *tp = krt_tplist_add(r->target >= 0 ? &commit : &remove, r->topic,
                                               r->partition, r->target);
            if (!tp || (r->target >= 0 && r->target_metadata &&
                        !(tp->metadata = strdup(r->target_metadata)))) {
                krt_tplist_free(&commit);
                krt_tplist_free(&remove);
                return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
            }
        }
        /* unknown until the broker answers for the partition */
        for (size_t i = 0; i < commit.n; i++)
            commit.v[i].err = RD_KAFKA_RESP_ERR__IN_PROGRESS;
        for (size_t i = 0; i < remove.n; i++)
            remove.v[i].err = RD_KAFKA_RESP_ERR__IN_PROGRESS;
        struct krt_error e;
        krt_error_clear(&e);
        int rc = krt_group_alter(conn, gp->group, &commit, &e);
        bool alter_failed = rc != 0;
        if (!rc)
            rc = krt_group_delete_offsets(conn, gp->group, &remove, &e);
        /* every partition's outcome, for the report */
        for (size_t i = 0; i < gp->nrows; i++) {
            struct krt_plan_row *r = &gp->rows[i];
            const struct krt_tp *tp =
                krt_tplist_find(r->target >= 0 ? &commit : &remove, r->topic, r->partition);
            r->result_err = tp ? tp->err : RD_KAFKA_RESP_ERR__IN_PROGRESS;
            if (r->result_err == RD_KAFKA_RESP_ERR__IN_PROGRESS && r->target < 0 && alter_failed)
                r->result_err = RD_KAFKA_RESP_ERR__NOOP; /* not attempted: the commit failed */
            else if (rc && r->result_err == RD_KAFKA_RESP_ERR__IN_PROGRESS && e.kafka_err)
                r->result_err = e.kafka_err; /* the request's own error */
            else if (rc && !r->result_err && e.kafka_err && e.code != KRT_ERR_PARTIAL)
                r->result_err = e.kafka_err; /* the whole request failed */
            any_done |= r->result_err == 0;
        }
        krt_tplist_free(&commit);
        krt_tplist_free(&remove);
        if (rc) {
            if (!failed_groups++)
                first = e;
        }
    }
    if (failed_groups) {
        *err = first;
        if (any_done || first.code == KRT_ERR_PARTIAL) {
            err->code = KRT_ERR_PARTIAL;
            krt_error_prefix(err, "%d of %d group(s) not fully reset", failed_groups,
                             p->ngroups);
        }
        return -1;
    }
    p->executed = true;
    return 0;
}

/* ---- the apply sequence --------------------------------------------------- */

static int job_check(void *st, int wait_s, struct krt_error *err)
{
    struct krt_rewind_job *j = st;
    return krt_rewind_guard(j->conn, &j->plan, wait_s, err);
}

static int job_refresh(void *st, struct krt_error *err)
{
    struct krt_rewind_job *j = st;
    struct krt_rewind_plan fresh;
    if (krt_rewind_plan_build(j->conn, j->groups, j->ngroups, j->scope, j->spec, &fresh, err))
        return -1;
    krt_rewind_plan_free(&j->plan);
    j->plan = fresh;
    return 0;
}

static int job_save(void *st, struct krt_error *err)
{
    struct krt_rewind_job *j = st;
    if (j->export_path && krt_rewind_plan_export(&j->plan, j->export_path, err))
        return -1;
    return krt_rewind_write_undo(&j->plan, j->undo_path, err);
}

static int job_apply(void *st, struct krt_error *err)
{
    struct krt_rewind_job *j = st;
    return krt_rewind_apply(j->conn, &j->plan, err);
}

int krt_rewind_execute(struct krt_rewind_job *job, int wait_s, bool *started,
                       struct krt_error *err)
{
    static const struct krt_apply_ops ops = {.check = job_check,
                                             .refresh = job_refresh,
                                             .save = job_save,
                                             .apply = job_apply};
    return krt_apply_run(&ops, job, wait_s, started, err);
}
