/* offreport.c - see offreport.h */
#define _POSIX_C_SOURCE 200809L
#include "offreport.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json_out.h"
#include "offsets.h"
#include "table.h"
#include "timespec.h"

enum krt_commit_status krt_commit_classify(int64_t committed, int64_t log_start, int64_t high)
{
    if (committed < 0)
        return KRT_COMMIT_MISSING;
    if (log_start < 0 || high < 0)
        return KRT_COMMIT_UNKNOWN;
    if (committed < log_start)
        return KRT_COMMIT_BELOW_LOG_START;
    if (committed > high)
        return KRT_COMMIT_ABOVE_HIGH_WATERMARK;
    return KRT_COMMIT_OK;
}

const char *krt_commit_status_name(enum krt_commit_status s)
{
    switch (s) {
    case KRT_COMMIT_NONE: return "none";
    case KRT_COMMIT_OK: return "ok";
    case KRT_COMMIT_MISSING: return "no-commit";
    case KRT_COMMIT_BELOW_LOG_START: return "below-log-start";
    case KRT_COMMIT_ABOVE_HIGH_WATERMARK: return "above-high-watermark";
    case KRT_COMMIT_UNKNOWN: return "unknown";
    }
    return "unknown";
}

int krt_offreport_build(struct krt_conn *conn, const struct krt_selection *sel,
                        const char *group, bool has_at, int64_t at_ms,
                        struct krt_offreport *out, struct krt_error *err)
{
    *out = (struct krt_offreport){.group = group, .has_at = has_at, .at_ms = at_ms};
    struct krt_metadata md = {0};
    struct krt_tplist parts = {0}, committed = {0}, at = {0};
    int64_t *low = NULL, *high = NULL;
    int *perr = NULL;
    int rc = -1;
    if (krt_meta_fetch(conn, &md, err))
        return -1;
    if (group) {
        struct krt_group_desc gd;
        if (krt_group_state(conn, group, &gd, &committed, err))
            goto out;
        bool exists = gd.exists;
        krt_group_desc_free(&gd);
        if (!exists && committed.n == 0) {
            krt_error_set(err, KRT_ERR_INPUT, "unknown consumer group '%s'", group);
            goto out;
        }
    }
    if (group && sel->n == 0) {
        for (size_t i = 0; i < committed.n; i++) {
            /* a committed offset of a deleted topic still names it */
            if (!krt_tplist_add(&parts, committed.v[i].topic, committed.v[i].partition, -1)) {
                krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
                goto out;
            }
        }
    } else if (krt_selection_resolve(sel, &md, &parts, err)) {
        goto out;
    }
    size_t n = parts.n;
    low = calloc(n + 1, sizeof(*low));
    high = calloc(n + 1, sizeof(*high));
    perr = calloc(n + 1, sizeof(*perr));
    out->rows = calloc(n + 1, sizeof(*out->rows));
    if (!low || !high || !perr || !out->rows) {
        krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (n && krt_offsets_watermarks(conn, &md, &parts, low, high, perr, err))
        goto out;
    if (has_at) {
        for (size_t i = 0; i < n; i++)
            if (!krt_tplist_add(&at, parts.v[i].topic, parts.v[i].partition, at_ms)) {
                krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
                goto out;
            }
        if (n && krt_offsets_query(conn, &md, &at, err))
            goto out;
    }
    for (size_t i = 0; i < n; i++) {
        struct krt_offrow *r = &out->rows[out->nrows++];
        const struct krt_topic *t = krt_meta_topic(&md, parts.v[i].topic);
        const struct krt_part *p = t ? krt_meta_part(t, parts.v[i].partition) : NULL;
        r->topic = strdup(parts.v[i].topic);
        r->partition = parts.v[i].partition;
        r->leader = p ? p->leader : -1;
        r->log_start = low[i];
        r->high = high[i];
        r->err = perr[i];
        r->at_offset = has_at ? at.v[i].offset : -1;
        r->at_err = has_at ? at.v[i].err : 0;
        r->committed = -1;
        if (r->err)
            out->nerrors++;
        if (group) {
            const struct krt_tp *c = krt_tplist_find(&committed, r->topic, r->partition);
            if (c && c->offset >= 0) {
                r->committed = c->offset;
                r->commit_metadata = c->metadata ? strdup(c->metadata) : NULL;
            }
            r->status = krt_commit_classify(r->committed, r->log_start, r->high);
            if (r->status == KRT_COMMIT_BELOW_LOG_START ||
                r->status == KRT_COMMIT_ABOVE_HIGH_WATERMARK)
                out->nflagged++;
        }
        if (!r->topic) {
            krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
            goto out;
        }
    }
    rc = 0;
out:
    krt_meta_free(&md);
    krt_tplist_free(&parts);
    krt_tplist_free(&committed);
    krt_tplist_free(&at);
    free(low);
    free(high);
    free(perr);
    if (rc)
        krt_offreport_free(out);
    return rc;
}

static int64_t lag_of(const struct krt_offrow *r)
{
    return r->status == KRT_COMMIT_OK ? r->high - r->committed : -1;
}

json_t *krt_offreport_json(const struct krt_offreport *r)
{
    json_t *doc = json_object(), *rows = json_array();
    json_object_set_new(doc, "group", krt_json_str(r->group));
    json_object_set_new(doc, "at", r->has_at ? krt_json_time(r->at_ms) : json_null());
    json_object_set_new(doc, "at_ms", r->has_at ? json_integer(r->at_ms) : json_null());
    for (size_t i = 0; i < r->nrows; i++) {
        const struct krt_offrow *x = &r->rows[i];
        json_t *o = json_object();
        json_object_set_new(o, "topic", json_string(x->topic));
        json_object_set_new(o, "partition", json_integer(x->partition));
        json_object_set_new(o, "leader", x->leader >= 0 ? json_integer(x->leader) : json_null());
        json_object_set_new(o, "log_start_offset", krt_json_offset(x->log_start));
        json_object_set_new(o, "high_watermark", krt_json_offset(x->high));
        json_object_set_new(o, "records",
                            x->err ? json_null() : json_integer(x->high - x->log_start));
        json_object_set_new(o, "error", x->err ? json_string(rd_kafka_err2name(x->err))
                                               : json_null());
        if (r->has_at) {
            json_object_set_new(o, "at_offset", krt_json_offset(x->at_offset));
            json_object_set_new(o, "at_error", x->at_err ? json_string(rd_kafka_err2name(x->at_err))
                                                         : json_null());
        }
        if (r->group) {
            json_object_set_new(o, "committed_offset", krt_json_offset(x->committed));
            json_object_set_new(o, "commit_metadata", krt_json_str(x->commit_metadata));
            json_object_set_new(o, "lag", krt_json_offset(lag_of(x)));
            json_object_set_new(o, "status", json_string(krt_commit_status_name(x->status)));
        }
        json_array_append_new(rows, o);
    }
    json_object_set_new(doc, "partitions", rows);
    json_t *sum = json_object();
    json_object_set_new(sum, "partitions", json_integer((json_int_t)r->nrows));
    json_object_set_new(sum, "out_of_range", json_integer((json_int_t)r->nflagged));
    json_object_set_new(sum, "errors", json_integer((json_int_t)r->nerrors));
    json_object_set_new(doc, "summary", sum);
    return doc;
}

void krt_offreport_print(const struct krt_offreport *r, FILE *f)
{
    const char *heads[] = {"TOPIC", "PARTITION", "LEADER", "LOG-START", "HIGH-WATERMARK",
                           "RECORDS", "AT-OFFSET", "COMMITTED", "LAG", "STATUS"};
    int ncols = 6;
    const char *h[10];
    memcpy(h, heads, sizeof(heads));
    if (r->has_at)
        h[ncols++] = "AT-OFFSET";
    if (r->group) {
        h[ncols++] = "COMMITTED";
        h[ncols++] = "LAG";
        h[ncols++] = "STATUS";
    } else {
        h[ncols++] = "STATUS";
    }
    struct krt_table t;
    krt_table_init(&t, ncols, h);
    for (size_t i = 0; i < r->nrows; i++) {
        const struct krt_offrow *x = &r->rows[i];
        char part[16], leader[16], lo[24], hi[24], recs[24], at[24], com[24], lag[24];
        const char *cells[10];
        int c = 0;
        snprintf(part, sizeof(part), "%d", x->partition);
        if (x->leader >= 0)
            snprintf(leader, sizeof(leader), "%d", x->leader);
        else
            snprintf(leader, sizeof(leader), "none");
        krt_table_offset(lo, sizeof(lo), x->log_start);
        krt_table_offset(hi, sizeof(hi), x->high);
        krt_table_offset(recs, sizeof(recs), x->err ? -1 : x->high - x->log_start);
        cells[c++] = x->topic;
        cells[c++] = part;
        cells[c++] = leader;
        cells[c++] = lo;
        cells[c++] = hi;
        cells[c++] = recs;
        if (r->has_at) {
            if (x->at_err)
                snprintf(at, sizeof(at), "error");
            else if (x->at_offset < 0)
                snprintf(at, sizeof(at), "none-after");
            else
                krt_table_offset(at, sizeof(at), x->at_offset);
            cells[c++] = at;
        }
        const char *status = x->err ? rd_kafka_err2name(x->err) : "ok";
        if (r->group) {
            krt_table_offset(com, sizeof(com), x->committed);
            krt_table_offset(lag, sizeof(lag), lag_of(x));
            cells[c++] = com;
            cells[c++] = lag;
            if (!x->err)
                status = krt_commit_status_name(x->status);
        }
        cells[c++] = status;
        krt_table_add(&t, cells);
    }
    krt_table_print(&t, f);
    krt_table_free(&t);
    if (r->group && r->nflagged)
        fprintf(f, "\n%zu partition(s) of group '%s' have a committed offset outside "
                   "[log start, high watermark]\n",
                r->nflagged, r->group);
}

void krt_offreport_free(struct krt_offreport *r)
{
    for (size_t i = 0; r->rows && i < r->nrows; i++) {
        free(r->rows[i].topic);
        free(r->rows[i].commit_metadata);
    }
    free(r->rows);
    r->rows = NULL;
    r->nrows = 0;
}
