/* truncate.c - see truncate.h */
#define _POSIX_C_SOURCE 200809L
#include "truncate.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "configs.h"
#include "json_out.h"
#include "offsets.h"
#include "rewind.h"
#include "table.h"
#include "timespec.h"

#define RECREATE_WAIT_MS 60000

int krt_protect_load(const char *path, struct krt_protect *p, struct krt_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return krt_error_set(err, KRT_ERR_IO, "cannot read protect file '%s': %s", path,
                             strerror(errno));
    char line[1024];
    while (fgets(line, sizeof(line), f)) {
        char *s = line, *e;
        while (isspace((unsigned char)*s))
            s++;
        e = s + strlen(s);
        while (e > s && isspace((unsigned char)e[-1]))
            *--e = '\0';
        if (!*s || *s == '#')
            continue;
        char **v = realloc(p->v, sizeof(*v) * (size_t)(p->n + 1));
        if (!v || !(v[p->n] = strdup(s))) {
            fclose(f);
            if (v)
                p->v = v;
            return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        }
        p->v = v;
        p->n++;
    }
    fclose(f);
    return 0;
}

const char *krt_protect_match(const struct krt_protect *p, const char *topic)
{
    for (int i = 0; p && i < p->n; i++) {
        size_t l = strlen(p->v[i]);
        if (l && p->v[i][l - 1] == '*' ? !strncmp(topic, p->v[i], l - 1) : !strcmp(topic, p->v[i]))
            return p->v[i];
    }
    return NULL;
}

void krt_protect_free(struct krt_protect *p)
{
    for (int i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
    *p = (struct krt_protect){0};
}

void krt_trunc_plan_free(struct krt_trunc_plan *p)
{
    for (int i = 0; i < p->ntopics; i++) {
        free(p->topics[i].name);
        free(p->topics[i].cleanup_policy);
        free(p->topics[i].parts);
        krt_props_free(&p->topics[i].overrides);
        krt_props_free(&p->topics[i].after);
    }
    for (int i = 0; i < p->nnotes; i++)
        free(p->notes[i]);
    free(p->notes);
    free(p->topics);
    *p = (struct krt_trunc_plan){0};
}

static int guard_topic(const char *t, const struct krt_protect *protect, struct krt_error *err)
{
    if (krt_topic_is_internal(t))
        return krt_error_set(err, KRT_ERR_REFUSED, "refusing to truncate internal topic '%s'", t);
    const char *pat = krt_protect_match(protect, t);
    if (pat)
        return krt_error_set(err, KRT_ERR_REFUSED,
                             "refusing to truncate '%s': protected by '%s' in the protect list", t,
                             pat);
    return 0;
}

/* Topic-level configs of @p set into @p out. */
static int take_overrides(const struct krt_config_set *set, struct krt_props *out)
{
    for (int k = 0; k < set->n; k++)
        if (krt_config_is_topic_override(&set->v[k]) && set->v[k].value &&
            krt_props_add(out, set->v[k].name, set->v[k].value, 0))
            return -1;
    return 0;
}

int krt_trunc_plan_build(struct krt_conn *conn, const struct krt_selection *sel,
                         enum krt_trunc_mode mode, int64_t value, bool recreate,
                         const struct krt_protect *protect, struct krt_trunc_plan *out,
                         struct krt_error *err)
{
    *out = (struct krt_trunc_plan){.mode = mode, .value = value};
    struct krt_metadata md;
    struct krt_tplist parts = {0}, at = {0};
    struct krt_config_set *cfg = NULL;
    const char **names = NULL;
    int64_t *lo = NULL, *hi = NULL;
    int *pe = NULL;
    int rc = -1;
    if (!sel->n)
        return krt_error_set(err, KRT_ERR_USAGE, "name the topics to truncate with --topic");
    /* guards first: an internal or protected name is refused, existing or not */
    for (int i = 0; i < sel->n; i++)
        if (guard_topic(sel->v[i].topic, protect, err))
            return -1;
    if (krt_meta_fetch(conn, &md, err))
        return -1;
    if (krt_selection_resolve(sel, &md, &parts, err))
        goto out;
    names = calloc(parts.n + 1, sizeof(*names));
    out->topics = calloc(parts.n + 1, sizeof(*out->topics));
    if (!names || !out->topics)
        goto oom;
    for (size_t i = 0; i < parts.n; i++) {
        if (out->ntopics && !strcmp(names[out->ntopics - 1], parts.v[i].topic))
            continue;
        const struct krt_topic *mt = krt_meta_topic(&md, parts.v[i].topic);
        struct krt_trunc_topic *t = &out->topics[out->ntopics];
        names[out->ntopics++] = parts.v[i].topic;
        t->name = strdup(parts.v[i].topic);
        t->nparts_total = mt->nparts;
        t->rf = mt->nparts ? mt->parts[0].nreplicas : 0;
        t->parts = calloc((size_t)mt->nparts + 1, sizeof(*t->parts));
        if (!t->name || !t->parts)
            goto oom;
    }
    cfg = calloc((size_t)out->ntopics + 1, sizeof(*cfg));
    if (!cfg)
        goto oom;
    if (krt_configs_describe(conn, false, names, out->ntopics, cfg, err))
        goto out;
    for (int i = 0; i < out->ntopics; i++) {
        struct krt_trunc_topic *t = &out->topics[i];
        if (cfg[i].err) {
            krt_error_kafka(err, cfg[i].err, "cannot read the configuration of '%s'", t->name);
            goto out;
        }
        const char *cp = krt_config_get(&cfg[i], "cleanup.policy");
        t->cleanup_policy = strdup(cp ? cp : "delete");
        if (!t->cleanup_policy || take_overrides(&cfg[i], &t->overrides))
            goto oom;
        /* brokers refuse DeleteRecords unless the policy includes delete */
        bool deletable = strstr(t->cleanup_policy, "delete") != NULL;
        if (!deletable && !recreate) {
            krt_error_set(err, KRT_ERR_REFUSED,
                          "topic '%s' has cleanup.policy=%s: brokers refuse to delete its "
                          "records; add --recreate to delete and recreate it with its "
                          "configuration",
                          t->name, t->cleanup_policy);
            goto out;
        }
        t->recreate = recreate;
    }
    if (recreate) {
        if (mode != KRT_TRUNC_ALL) {
            krt_error_set(err, KRT_ERR_USAGE,
                          "--recreate clears whole topics: no --before-offset or --before-datetime");
            goto out;
        }
        for (int i = 0; i < sel->n; i++)
            if (sel->v[i].parts) {
                krt_error_set(err, KRT_ERR_USAGE,
                              "--recreate clears whole topics: name '%s' without partitions",
                              sel->v[i].topic);
                goto out;
            }
    }
    lo = calloc(parts.n + 1, sizeof(*lo));
    hi = calloc(parts.n + 1, sizeof(*hi));
    pe = calloc(parts.n + 1, sizeof(*pe));
    if (!lo || !hi || !pe)
        goto oom;
    if (krt_offsets_watermarks(conn, &md, &parts, lo, hi, pe, err))
        goto out;
    if (mode == KRT_TRUNC_BEFORE_TIME) {
        for (size_t i = 0; i < parts.n; i++)
            if (!krt_tplist_add(&at, parts.v[i].topic, parts.v[i].partition, value))
                goto oom;
        if (krt_offsets_query(conn, &md, &at, err))
            goto out;
    }
    int ti = 0;
    for (size_t i = 0; i < parts.n; i++) {
        while (strcmp(out->topics[ti].name, parts.v[i].topic))
            ti++;
        if (pe[i] || (mode == KRT_TRUNC_BEFORE_TIME && at.v[i].err)) {
            krt_error_kafka(err, pe[i] ? pe[i] : at.v[i].err,
                            "cannot read the offsets of '%s' partition %d", parts.v[i].topic,
                            parts.v[i].partition);
            goto out;
        }
        struct krt_trunc_topic *t = &out->topics[ti];
        struct krt_trunc_part *p = &t->parts[t->nparts++];
        *p = (struct krt_trunc_part){.partition = parts.v[i].partition, .log_start = lo[i],
                                     .high = hi[i], .result = -1};
        int64_t want = mode == KRT_TRUNC_ALL           ? hi[i]
                       : mode == KRT_TRUNC_BEFORE_OFFSET ? value
                       : at.v[i].offset < 0             ? hi[i] /* every record is older */
                                                        : at.v[i].offset;
        p->clamped = want > hi[i];
        if (want > hi[i])
            want = hi[i];
        p->new_log_start = want < lo[i] ? lo[i] : want;
        if (t->recreate)
            p->new_log_start = 0; /* a new topic starts at 0 */
    }
    rc = 0;
    goto out;
oom:
    krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
out:
    if (cfg)
        krt_configs_free(cfg, out->ntopics);
    free(cfg);
    free(names);
    free(lo);
    free(hi);
    free(pe);
    krt_tplist_free(&parts);
    krt_tplist_free(&at);
    krt_meta_free(&md);
    if (rc)
        krt_trunc_plan_free(out);
    return rc;
}

static json_t *props_json(const struct krt_props *p)
{
    json_t *o = json_object();
    for (size_t i = 0; i < p->n; i++)
        json_object_set_new(o, p->items[i].key, json_string(p->items[i].value));
    return o;
}

static int64_t removed(const struct krt_trunc_topic *t, const struct krt_trunc_part *p)
{
    return t->recreate ? p->high - p->log_start : p->new_log_start - p->log_start;
}

json_t *krt_trunc_plan_json(const struct krt_trunc_plan *p)
{
    static const char *const modes[] = {"all", "before-offset", "before-datetime"};
    json_t *doc = json_object(), *topics = json_array(), *notes = json_array();
    char now[40];
    krt_time_format(krt_now_ms(), now, sizeof(now));
    json_object_set_new(doc, "krt_plan", json_string("truncate"));
    json_object_set_new(doc, "version", json_integer(1));
    json_object_set_new(doc, "created", json_string(now));
    json_object_set_new(doc, "mode", json_string(modes[p->mode]));
    json_object_set_new(doc, "value", p->mode == KRT_TRUNC_ALL ? json_null() : json_integer(p->value));
    json_object_set_new(doc, "executed", json_boolean(p->executed));
    int64_t total = 0;
    for (int i = 0; i < p->ntopics; i++) {
        const struct krt_trunc_topic *t = &p->topics[i];
        json_t *o = json_object(), *parts = json_array();
        json_object_set_new(o, "topic", json_string(t->name));
        json_object_set_new(o, "method", json_string(t->recreate ? "recreate" : "delete-records"));
        json_object_set_new(o, "partition_count", json_integer(t->nparts_total));
        json_object_set_new(o, "replication_factor", json_integer(t->rf));
        json_object_set_new(o, "cleanup_policy", json_string(t->cleanup_policy));
        json_object_set_new(o, "configs", props_json(&t->overrides));
        if (p->executed && t->recreate)
            json_object_set_new(o, "configs_after", props_json(&t->after));
        for (int k = 0; k < t->nparts; k++) {
            const struct krt_trunc_part *x = &t->parts[k];
            json_t *jp = json_object();
            json_object_set_new(jp, "partition", json_integer(x->partition));
            json_object_set_new(jp, "log_start_offset", json_integer(x->log_start));
            json_object_set_new(jp, "high_watermark", json_integer(x->high));
            json_object_set_new(jp, "new_log_start_offset", json_integer(x->new_log_start));
            json_object_set_new(jp, "records_removed", json_integer(removed(t, x)));
            json_object_set_new(jp, "clamped", json_boolean(x->clamped));
            if (p->executed) {
                json_object_set_new(jp, "log_start_after", krt_json_offset(x->result));
                json_object_set_new(jp, "error", x->err ? json_string(rd_kafka_err2name(x->err))
                                                        : json_null());
            }
            json_array_append_new(parts, jp);
            total += removed(t, x);
        }
        json_object_set_new(o, "partitions", parts);
        json_array_append_new(topics, o);
    }
    json_object_set_new(doc, "topics", topics);
    for (int i = 0; i < p->nnotes; i++)
        json_array_append_new(notes, json_string(p->notes[i]));
    json_object_set_new(doc, "notes", notes);
    json_object_set_new(doc, "records_removed", json_integer(total));
    return doc;
}

int krt_trunc_plan_read(const char *path, struct krt_trunc_plan *out, struct krt_error *err)
{
    *out = (struct krt_trunc_plan){0};
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc)
        return krt_error_set(err, errno == ENOENT ? KRT_ERR_IO : KRT_ERR_INPUT,
                             "cannot read plan '%s': %s", path, je.text);
    json_t *topics = json_object_get(doc, "topics");
    const char *mode = json_string_value(json_object_get(doc, "mode"));
    int rc = -1;
    if (strcmp(json_string_value(json_object_get(doc, "krt_plan")) ?: "", "truncate") ||
        !json_is_array(topics) || !mode) {
        krt_error_set(err, KRT_ERR_INPUT, "'%s' is not a krt-truncate plan", path);
        goto out;
    }
    out->mode = !strcmp(mode, "before-offset")     ? KRT_TRUNC_BEFORE_OFFSET
                : !strcmp(mode, "before-datetime") ? KRT_TRUNC_BEFORE_TIME
                                                   : KRT_TRUNC_ALL;
    out->value = json_integer_value(json_object_get(doc, "value"));
    snprintf(out->spec, sizeof(out->spec), "--plan %s", path);
    out->topics = calloc(json_array_size(topics) + 1, sizeof(*out->topics));
    if (!out->topics)
        goto out;
    size_t i, k;
    json_t *jt, *jp;
    json_array_foreach(topics, i, jt)
    {
        struct krt_trunc_topic *t = &out->topics[out->ntopics++];
        const char *name = json_string_value(json_object_get(jt, "topic"));
        json_t *parts = json_object_get(jt, "partitions"), *cfgs = json_object_get(jt, "configs");
        if (!name || !json_is_array(parts)) {
            krt_error_set(err, KRT_ERR_INPUT, "%s: topic %zu has no name or partitions", path, i);
            goto out;
        }
        t->name = strdup(name);
        t->recreate = !strcmp(json_string_value(json_object_get(jt, "method")) ?: "", "recreate");
        t->nparts_total = (int)json_integer_value(json_object_get(jt, "partition_count"));
        t->rf = (int)json_integer_value(json_object_get(jt, "replication_factor"));
        t->cleanup_policy = strdup(json_string_value(json_object_get(jt, "cleanup_policy")) ?: "delete");
        const char *key;
        json_t *val;
        json_object_foreach(cfgs, key, val)
        {
            if (json_is_string(val))
                krt_props_add(&t->overrides, key, json_string_value(val), 0);
        }
        t->parts = calloc(json_array_size(parts) + 1, sizeof(*t->parts));
        if (!t->name || !t->parts || !t->cleanup_policy)
            goto out;
        json_array_foreach(parts, k, jp)
        {
            struct krt_trunc_part *x = &t->parts[t->nparts++];
            *x = (struct krt_trunc_part){
                .partition = (int32_t)json_integer_value(json_object_get(jp, "partition")),
                .log_start = json_integer_value(json_object_get(jp, "log_start_offset")),
                .high = json_integer_value(json_object_get(jp, "high_watermark")),
                .new_log_start = json_integer_value(json_object_get(jp, "new_log_start_offset")),
                .clamped = json_is_true(json_object_get(jp, "clamped")),
                .result = -1};
        }
    }
    rc = 0;
out:
    json_decref(doc);
    if (rc) {
        if (!err->msg[0])
            krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        krt_trunc_plan_free(out);
    }
    return rc;
}

static int add_note(struct krt_trunc_plan *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int add_note(struct krt_trunc_plan *p, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    char **v = realloc(p->notes, sizeof(*v) * (size_t)(p->nnotes + 1));
    if (!v)
        return -1;
    p->notes = v;
    v[p->nnotes] = strdup(buf);
    return v[p->nnotes++] ? 0 : -1;
}

int krt_trunc_check_drift(struct krt_conn *conn, struct krt_trunc_plan *p,
                          const struct krt_protect *protect, struct krt_error *err)
{
    struct krt_metadata md;
    struct krt_tplist parts = {0};
    int rc = -1;
    if (krt_meta_fetch(conn, &md, err))
        return -1;
    for (int i = 0; i < p->ntopics; i++) {
        const struct krt_trunc_topic *t = &p->topics[i];
        if (guard_topic(t->name, protect, err))
            goto out;
        const struct krt_topic *mt = krt_meta_topic(&md, t->name);
        if (!mt || mt->err) {
            krt_error_set(err, KRT_ERR_REFUSED,
                          "the cluster drifted from the plan: topic '%s' no longer exists; "
                          "nothing changed",
                          t->name);
            goto out;
        }
        if (mt->nparts != t->nparts_total) {
            krt_error_set(err, KRT_ERR_REFUSED,
                          "the cluster drifted from the plan: topic '%s' has %d partitions, the "
                          "plan was made for %d; nothing changed",
                          t->name, mt->nparts, t->nparts_total);
            goto out;
        }
        for (int k = 0; k < t->nparts; k++)
            if (!krt_tplist_add(&parts, t->name, t->parts[k].partition, -1)) {
                krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
                goto out;
            }
    }
    int64_t *lo = calloc(parts.n + 1, sizeof(*lo)), *hi = calloc(parts.n + 1, sizeof(*hi));
    int *pe = calloc(parts.n + 1, sizeof(*pe));
    int wrc = lo && hi && pe ? krt_offsets_watermarks(conn, &md, &parts, lo, hi, pe, err)
                             : krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    size_t idx = 0;
    for (int i = 0; !wrc && i < p->ntopics; i++) {
        struct krt_trunc_topic *t = &p->topics[i];
        for (int k = 0; !wrc && k < t->nparts; k++, idx++) {
            struct krt_trunc_part *x = &t->parts[k];
            if (pe[idx]) {
                wrc = krt_error_kafka(err, pe[idx], "cannot read the offsets of '%s' partition %d",
                                      t->name, x->partition);
            } else if (!t->recreate && hi[idx] < x->new_log_start) {
                wrc = krt_error_set(err, KRT_ERR_REFUSED,
                                    "the cluster drifted from the plan: '%s' partition %d ends at "
                                    "%" PRId64 ", below the planned log start %" PRId64
                                    " (truncated or recreated since); nothing changed",
                                    t->name, x->partition, hi[idx], x->new_log_start);
            } else if (!t->recreate && lo[idx] >= x->new_log_start && lo[idx] != x->log_start) {
                add_note(p, "'%s' partition %d: log start is already %" PRId64
                            ", past the planned %" PRId64,
                         t->name, x->partition, lo[idx], x->new_log_start);
            }
            if (!wrc && hi[idx] > x->high && !t->recreate)
                add_note(p, "'%s' partition %d: %" PRId64 " records written since the plan are kept",
                         t->name, x->partition, hi[idx] - x->high);
        }
    }
    free(lo);
    free(hi);
    free(pe);
    rc = wrc;
out:
    krt_tplist_free(&parts);
    krt_meta_free(&md);
    return rc;
}

int krt_trunc_execute(struct krt_conn *conn, struct krt_trunc_plan *p, struct krt_error *err)
{
    struct krt_tplist del = {0};
    for (int i = 0; i < p->ntopics; i++) {
        const struct krt_trunc_topic *t = &p->topics[i];
        for (int k = 0; !t->recreate && k < t->nparts; k++)
            if (t->parts[k].new_log_start > t->parts[k].log_start &&
                !krt_tplist_add(&del, t->name, t->parts[k].partition, t->parts[k].new_log_start)) {
                krt_tplist_free(&del);
                return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
            }
    }
    krt_tplist_sort(&del);
    int rc = krt_admin_delete_records(conn, &del, err);
    for (int i = 0; i < p->ntopics; i++) {
        struct krt_trunc_topic *t = &p->topics[i];
        for (int k = 0; !t->recreate && k < t->nparts; k++) {
            struct krt_trunc_part *x = &t->parts[k];
            const struct krt_tp *tp = krt_tplist_find(&del, t->name, x->partition);
            x->err = tp ? tp->err : 0;
            x->result = tp ? (tp->err ? -1 : tp->offset) : x->log_start;
        }
    }
    krt_tplist_free(&del);
    if (rc)
        return -1;
    for (int i = 0; i < p->ntopics; i++) {
        struct krt_trunc_topic *t = &p->topics[i];
        if (!t->recreate)
            continue;
        if (krt_admin_delete_topic(conn, t->name, RECREATE_WAIT_MS, err))
            return -1;
        if (krt_admin_create_topic(conn, t->name, t->nparts_total, t->rf, &t->overrides,
                                   RECREATE_WAIT_MS, err)) {
            krt_error_prefix(err, "topic '%s' was deleted but not recreated (its configuration "
                                  "is in the plan)",
                             t->name);
            return -1;
        }
        const char *names[] = {t->name};
        struct krt_config_set set;
        if (krt_configs_describe(conn, false, names, 1, &set, err))
            return -1;
        int orc = take_overrides(&set, &t->after);
        krt_configs_free(&set, 1);
        if (orc)
            return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        for (int k = 0; k < t->nparts; k++)
            t->parts[k].result = 0;
    }
    p->executed = true;
    return 0;
}

void krt_trunc_plan_print(const struct krt_trunc_plan *p, FILE *f)
{
    const char *heads[] = {"TOPIC", "PARTITION", "METHOD", "LOG-START", "NEW-LOG-START",
                           "HIGH-WATERMARK", "RECORDS-REMOVED", "AFTER"};
    struct krt_table t;
    krt_table_init(&t, p->executed ? 8 : 7, heads);
    int64_t total = 0;
    for (int i = 0; i < p->ntopics; i++) {
        const struct krt_trunc_topic *tp = &p->topics[i];
        for (int k = 0; k < tp->nparts; k++) {
            const struct krt_trunc_part *x = &tp->parts[k];
            char part[16], lo[24], nl[32], hi[24], rem[24], after[48];
            snprintf(part, sizeof(part), "%d", x->partition);
            krt_table_offset(lo, sizeof(lo), x->log_start);
            snprintf(nl, sizeof(nl), "%" PRId64 "%s", x->new_log_start, x->clamped ? " (clamped)" : "");
            krt_table_offset(hi, sizeof(hi), x->high);
            snprintf(rem, sizeof(rem), "%" PRId64, removed(tp, x));
            if (x->err)
                snprintf(after, sizeof(after), "%s", rd_kafka_err2name(x->err));
            else
                krt_table_offset(after, sizeof(after), x->result);
            const char *cells[] = {tp->name, part, tp->recreate ? "recreate" : "delete-records",
                                   lo, nl, hi, rem, after};
            krt_table_add(&t, cells);
            total += removed(tp, x);
        }
    }
    krt_table_print(&t, f);
    krt_table_free(&t);
    for (int i = 0; i < p->ntopics; i++) {
        const struct krt_trunc_topic *tp = &p->topics[i];
        if (!tp->recreate)
            continue;
        fprintf(f, "\n'%s' (cleanup.policy=%s) is recreated with %d partitions, replication "
                   "factor %d and its topic configs:\n",
                tp->name, tp->cleanup_policy, tp->nparts_total, tp->rf);
        for (size_t k = 0; k < tp->overrides.n; k++) {
            const char *after = p->executed ? krt_props_get(&tp->after, tp->overrides.items[k].key)
                                            : NULL;
            if (p->executed)
                fprintf(f, "  %-40s %s -> %s%s\n", tp->overrides.items[k].key,
                        tp->overrides.items[k].value, after ? after : "(default)",
                        after && !strcmp(after, tp->overrides.items[k].value) ? "" : "  DIFFERS");
            else
                fprintf(f, "  %s=%s\n", tp->overrides.items[k].key, tp->overrides.items[k].value);
        }
    }
    for (int i = 0; i < p->nnotes; i++)
        fprintf(f, "note: %s\n", p->notes[i]);
    fprintf(f, "%s %" PRId64 " records.\n", p->executed ? "Removed" : "Would remove", total);
    if (!p->executed)
        fprintf(f, "Dry run: nothing changed. Add --execute to apply.\n");
}

int krt_trunc_groups_plan(struct krt_conn *conn, const struct krt_trunc_plan *p,
                          const char *const *groups, int ngroups, struct krt_rewind_plan *out,
                          struct krt_error *err)
{
    struct krt_planfile file = {0};
    struct krt_selection none = {0};
    size_t n = 0;
    for (int i = 0; i < p->ntopics; i++)
        n += (size_t)p->topics[i].nparts;
    file.v = calloc(n + 1, sizeof(*file.v));
    if (!file.v)
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    for (int i = 0; i < p->ntopics; i++)
        for (int k = 0; k < p->topics[i].nparts; k++) {
            struct krt_planfile_entry *e = &file.v[file.n++];
            e->topic = strdup(p->topics[i].name);
            e->partition = p->topics[i].parts[k].partition;
            e->offset = p->topics[i].parts[k].new_log_start;
        }
    struct krt_rewind_spec spec = {.kind = KRT_SPEC_FILE, .file = &file};
    snprintf(spec.text, sizeof(spec.text), "to the new log start");
    struct krt_rewind_scope scope = {.topics = &none};
    int rc = krt_rewind_plan_build(conn, groups, ngroups, &scope, &spec, out, err);
    if (!rc) {
        /* a group already past the new log start keeps its position */
        for (int g = 0; g < out->ngroups; g++)
            for (size_t i = 0; i < out->groups[g].nrows; i++) {
                struct krt_plan_row *r = &out->groups[g].rows[i];
                bool recreated = false;
                for (int t = 0; t < p->ntopics; t++)
                    recreated |= p->topics[t].recreate && !strcmp(p->topics[t].name, r->topic);
                if (!recreated && r->current > r->target)
                    r->target = r->current;
                r->note = recreated ? "topic recreated: back to 0" : NULL;
            }
    }
    out->spec.file = NULL;
    krt_planfile_free(&file);
    return rc;
}
