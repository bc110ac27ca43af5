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
#include "apply.h"
#include "configs.h"
#include "jread.h"
#include "json_out.h"
#include "offsets.h"
#include "plan.h"
#include "protect.h"
#include "rewind.h"
#include "table.h"
#include "timespec.h"

#define RECREATE_WAIT_MS 60000

void krt_trunc_plan_free(struct krt_trunc_plan *p)
{
    for (int i = 0; i < p->ntopics; i++) {
        free(p->topics[i].name);
        free(p->topics[i].cleanup_policy);
        free(p->topics[i].parts);
        free(p->topics[i].plan_path);
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

static int64_t planned_removal(const struct krt_trunc_topic *t, const struct krt_trunc_part *p)
{
    return t->recreate ? p->high - p->log_start : p->new_log_start - p->log_start;
}

/* Once executed, only a partition whose outcome is known and good counts. */
static int64_t removed(const struct krt_trunc_plan *pl, const struct krt_trunc_topic *t,
                       const struct krt_trunc_part *p)
{
    if (pl->executed && (p->err || p->result < 0))
        return 0;
    return planned_removal(t, p);
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
            json_object_set_new(jp, "records_removed", json_integer(removed(p, t, x)));
            json_object_set_new(jp, "clamped", json_boolean(x->clamped));
            if (p->executed) {
                json_object_set_new(jp, "log_start_after", krt_json_offset(x->result));
                json_object_set_new(jp, "error", x->err ? json_string(rd_kafka_err2name(x->err))
                                                        : json_null());
            }
            json_array_append_new(parts, jp);
            total += removed(p, t, x);
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

/* The plan format (krt_trunc_plan_json): every key it writes, typed. */
static const struct krt_jfield plan_keys[] = {
    {"krt_plan", KRT_J_STRING, KRT_J_REQUIRED, 0, 0},
    {"version", KRT_J_INT, 0, 1, 1},
    {"created", KRT_J_STRING, 0, 0, 0},
    {"mode", KRT_J_ANY, KRT_J_REQUIRED, 0, 0}, /* krt_jread_enum */
    {"value", KRT_J_INT, KRT_J_NULLABLE, 0, INT64_MAX},
    {"executed", KRT_J_BOOL, 0, 0, 0},
    {"topics", KRT_J_ARRAY, KRT_J_REQUIRED, 0, 0},
    {"notes", KRT_J_ARRAY, 0, 0, 0},
    {"records_removed", KRT_J_INT, 0, 0, INT64_MAX},
    {NULL, 0, 0, 0, 0}};
static const struct krt_jfield topic_keys[] = {
    {"topic", KRT_J_STRING, KRT_J_REQUIRED, 0, 0},
    {"method", KRT_J_ANY, KRT_J_REQUIRED, 0, 0}, /* krt_jread_enum */
    {"partition_count", KRT_J_INT, KRT_J_REQUIRED, 1, INT32_MAX},
    {"replication_factor", KRT_J_INT, KRT_J_REQUIRED, 1, INT16_MAX},
    {"cleanup_policy", KRT_J_STRING, 0, 0, 0},
    {"configs", KRT_J_OBJECT, 0, 0, 0},
    {"configs_after", KRT_J_OBJECT, 0, 0, 0},
    {"partitions", KRT_J_ARRAY, KRT_J_REQUIRED, 0, 0},
    {NULL, 0, 0, 0, 0}};
static const struct krt_jfield part_keys[] = {
    {"partition", KRT_J_ANY, KRT_J_REQUIRED, 0, 0},            /* krt_jread_partition */
    {"log_start_offset", KRT_J_ANY, KRT_J_REQUIRED, 0, 0},     /* krt_jread_offset */
    {"high_watermark", KRT_J_ANY, KRT_J_REQUIRED, 0, 0},       /* krt_jread_offset */
    {"new_log_start_offset", KRT_J_ANY, KRT_J_REQUIRED, 0, 0}, /* krt_jread_offset */
    {"records_removed", KRT_J_INT, 0, 0, INT64_MAX},
    {"clamped", KRT_J_BOOL, 0, 0, 0},
    {"log_start_after", KRT_J_INT, KRT_J_NULLABLE, 0, INT64_MAX},
    {"error", KRT_J_STRING, KRT_J_NULLABLE, 0, 0},
    {NULL, 0, 0, 0, 0}};

static int read_part(const char *path, const char *jp, const json_t *v, struct krt_trunc_part *x,
                     struct krt_error *err)
{
    char b[320];
    *x = (struct krt_trunc_part){.result = -1};
    if (krt_jread_object(path, jp, v, part_keys, err) ||
        krt_jread_partition(path, krt_jpath_key(b, sizeof(b), jp, "partition"),
                            json_object_get(v, "partition"), &x->partition, err) ||
        krt_jread_offset(path, krt_jpath_key(b, sizeof(b), jp, "log_start_offset"),
                         json_object_get(v, "log_start_offset"), 0, &x->log_start, err) ||
        krt_jread_offset(path, krt_jpath_key(b, sizeof(b), jp, "high_watermark"),
                         json_object_get(v, "high_watermark"), 0, &x->high, err) ||
        krt_jread_offset(path, krt_jpath_key(b, sizeof(b), jp, "new_log_start_offset"),
                         json_object_get(v, "new_log_start_offset"), 0, &x->new_log_start, err))
        return -1;
    x->clamped = json_is_true(json_object_get(v, "clamped"));
    return 0;
}

static int read_topic(const char *path, const char *jp, const json_t *v,
                      struct krt_trunc_topic *t, struct krt_error *err)
{
    static const char *const methods[] = {"delete-records", "recreate", NULL};
    char b[256], pp[320];
    const char *name, *cp = "delete";
    int method;
    if (krt_jread_object(path, jp, v, topic_keys, err) ||
        krt_jread_string(path, krt_jpath_key(b, sizeof(b), jp, "topic"),
                         json_object_get(v, "topic"), 1, &name, err) ||
        krt_jread_enum(path, krt_jpath_key(b, sizeof(b), jp, "method"),
                       json_object_get(v, "method"), methods, &method, err))
        return -1;
    if (json_object_get(v, "cleanup_policy"))
        cp = json_string_value(json_object_get(v, "cleanup_policy"));
    t->recreate = method == 1;
    t->nparts_total = (int)json_integer_value(json_object_get(v, "partition_count"));
    t->rf = (int)json_integer_value(json_object_get(v, "replication_factor"));
    if (!(t->name = strdup(name)) || !(t->cleanup_policy = strdup(cp)))
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    const char *key;
    json_t *val;
    json_object_foreach(json_object_get(v, "configs"), key, val)
    {
        const char *cv;
        char kp[320];
        krt_jpath_key(b, sizeof(b), jp, "configs");
        if (krt_jread_string(path, krt_jpath_key(kp, sizeof(kp), b, key), val, 0, &cv, err))
            return -1;
        if (krt_props_add(&t->overrides, key, cv, 0))
            return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    }
    const json_t *parts = json_object_get(v, "partitions");
    krt_jpath_key(b, sizeof(b), jp, "partitions");
    if (!(t->parts = calloc(json_array_size(parts) + 1, sizeof(*t->parts))))
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    for (size_t k = 0; k < json_array_size(parts); k++) {
        struct krt_trunc_part *x = &t->parts[t->nparts];
        if (read_part(path, krt_jpath_index(pp, sizeof(pp), b, k), json_array_get(parts, k), x,
                      err))
            return -1;
        t->nparts++;
        if (x->new_log_start > x->high)
            return krt_jread_fail(err, path, pp,
                                  "new_log_start_offset %" PRId64
                                  " is past the high watermark %" PRId64,
                                  x->new_log_start, x->high);
        if (x->partition >= t->nparts_total)
            return krt_jread_fail(err, path, pp, "partition %d of a topic of %d partitions",
                                  x->partition, t->nparts_total);
        for (int q = 0; q + 1 < t->nparts; q++)
            if (t->parts[q].partition == x->partition)
                return krt_jread_fail(err, path, pp, "partition %d is listed twice",
                                      x->partition);
    }
    return 0;
}

int krt_trunc_plan_read(const char *path, struct krt_trunc_plan *out, struct krt_error *err)
{
    static const char *const modes[] = {"all", "before-offset", "before-datetime", NULL};
    static const char *const kinds[] = {"truncate", NULL};
    *out = (struct krt_trunc_plan){0};
    json_t *doc;
    int mode, kind, rc = -1;
    if (krt_jread_file(path, 0, &doc, err))
        return -1;
    if (krt_jread_object(path, "", doc, plan_keys, err))
        goto out;
    if (krt_jread_enum(path, "/krt_plan", json_object_get(doc, "krt_plan"), kinds, &kind, err)) {
        krt_error_prefix(err, "'%s' is not a krt-truncate plan", path);
        goto out;
    }
    if (krt_jread_enum(path, "/mode", json_object_get(doc, "mode"), modes, &mode, err))
        goto out;
    out->mode = (enum krt_trunc_mode)mode;
    const json_t *jv = json_object_get(doc, "value");
    if (out->mode != KRT_TRUNC_ALL &&
        krt_jread_int(path, "/value", jv, 0, INT64_MAX, &out->value, err))
        goto out;
    snprintf(out->spec, sizeof(out->spec), "--plan %s", path);
    const json_t *topics = json_object_get(doc, "topics");
    if (!json_array_size(topics)) {
        krt_jread_fail(err, path, "/topics", "expected at least one topic");
        goto out;
    }
    if (!(out->topics = calloc(json_array_size(topics) + 1, sizeof(*out->topics)))) {
        krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(topics); i++) {
        char jp[64];
        out->ntopics++;
        if (read_topic(path, krt_jpath_index(jp, sizeof(jp), "/topics", i),
                       json_array_get(topics, i), &out->topics[i], err))
            goto out;
        /* one DeleteRecords for every topic: librdkafka refuses it whole on a repeat */
        for (size_t q = 0; q < i; q++)
            if (!strcmp(out->topics[q].name, out->topics[i].name)) {
                char fp[64];
                krt_jread_fail(err, path, krt_jpath_key(fp, sizeof(fp), jp, "topic"),
                               "topic '%s' is listed twice (first at /topics/%zu)",
                               out->topics[i].name, q);
                goto out;
            }
    }
    rc = 0;
out:
    json_decref(doc);
    if (rc)
        krt_trunc_plan_free(out);
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

/* A topic to recreate that exists must be the plan's: librdkafka 2.0.2 gives
 * no topic ids, so its offsets say it. Offsets only grow: a partition whose
 * log start or high watermark is below the plan's belongs to a topic made
 * since (by a producer's auto-create, an operator, or krt's own recreate
 * that stopped after its create): its records are not the plan's to delete.
 * An empty topic (every high watermark 0) loses nothing and is recreated
 * from the plan, which finishes a recreate stopped after its create. */
static int check_recreate_identity(struct krt_trunc_plan *p, const struct krt_trunc_topic *t,
                                   const int64_t *lo, const int64_t *hi, const int *pe,
                                   struct krt_error *err)
{
    int back = -1;
    bool empty = true;
    for (int k = 0; k < t->nparts; k++) {
        if (pe[k])
            return 0; /* reported by the caller */
        empty &= hi[k] == 0;
        if (back < 0 && (lo[k] < t->parts[k].log_start || hi[k] < t->parts[k].high))
            back = k;
    }
    if (back < 0)
        return 0;
    if (empty) {
        add_note(p, "topic '%s' is empty and newer than the plan: recreated from the plan",
                 t->name);
        return 0;
    }
    const struct krt_trunc_part *x = &t->parts[back];
    return krt_error_set(err, KRT_ERR_REFUSED,
                         "topic '%s' is not the topic of the plan: partition %d holds offsets "
                         "%" PRId64 " to %" PRId64 ", the plan's were %" PRId64 " to %" PRId64
                         " (made since, and written to); nothing changed",
                         t->name, x->partition, lo[back], hi[back], x->log_start, x->high);
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
        p->topics[i].missing = false;
        if (t->recreate && (!mt || mt->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)) {
            /* a recreate that failed after its delete: finish it */
            p->topics[i].missing = true;
            add_note(p, "topic '%s' does not exist: it is created from the plan", t->name);
            continue;
        }
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
        for (int k = 0; !p->topics[i].missing && k < t->nparts; k++)
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
        if (t->recreate && !t->missing)
            wrc = check_recreate_identity(p, t, lo + idx, hi + idx, pe + idx, err);
        for (int k = 0; !wrc && !t->missing && k < t->nparts; k++, idx++) {
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
            } else if (!t->recreate && lo[idx] < x->log_start) {
                /* records below the plan's log start: not the log the plan was made from */
                wrc = krt_error_set(err, KRT_ERR_REFUSED,
                                    "the cluster drifted from the plan: '%s' partition %d starts "
                                    "at %" PRId64 ", below the plan's log start %" PRId64
                                    " (recreated since); nothing changed",
                                    t->name, x->partition, lo[idx], x->log_start);
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

/* The path quoted for a POSIX shell, for a command the operator copies. */
static void shell_quote(char *b, size_t n, const char *s)
{
    size_t o = 0;
    if (n < 3)
        return;
    b[o++] = '\'';
    for (; *s && o + 6 < n; s++) {
        if (*s == '\'') {
            memcpy(b + o, "'\\''", 4);
            o += 4;
        } else {
            b[o++] = *s;
        }
    }
    b[o++] = '\'';
    b[o] = '\0';
}

/* KRT_TEST_FAIL_CREATE=TOPIC: the CreateTopics of TOPIC fails without being sent.
 * Compiled only with -Dtest_hooks=true: in a real run it would delete a topic and
 * leave it deleted. */
static bool test_fail_create(const char *topic)
{
#ifdef KRT_TEST_HOOKS
    const char *hook = getenv("KRT_TEST_FAIL_CREATE");
    return hook && !strcmp(hook, topic);
#else
    (void)topic;
    return false;
#endif
}

static int recreate_one(struct krt_conn *conn, struct krt_trunc_topic *t, struct krt_error *err)
{
    bool maybe_deleted = false;
    int rc = t->missing ? 0
                        : krt_admin_delete_topic(conn, t->name, RECREATE_WAIT_MS, &maybe_deleted,
                                                 err);
    if (rc && !maybe_deleted)
        return -1; /* not sent, or refused by the broker: the topic is intact */
    t->deleted = true; /* or may be: the report and the exit code (5) say so */
    bool created = false;
    if (!rc) {
        maybe_deleted = false; /* deleted for sure; what fails now is the create */
        rc = test_fail_create(t->name)
                 ? krt_error_set(err, KRT_ERR_KAFKA,
                                 "cannot create topic '%s': not sent (test hook "
                                 "KRT_TEST_FAIL_CREATE)",
                                 t->name)
                 : krt_admin_create_topic(conn, t->name, t->nparts_total, t->rf, &t->overrides,
                                          RECREATE_WAIT_MS, &created, err);
    }
    if (rc && created) {
        /* the topic is there, with the plan's partitions, replication factor
         * and configs: only leaders are missing. Running the plan again would
         * delete the new topic (records written meanwhile included). */
        char msg[sizeof(err->msg)];
        snprintf(msg, sizeof(msg), "%s", err->msg);
        krt_error_set(err, KRT_ERR_KAFKA,
                      "topic '%s' was recreated (its partitions, replication factor and configs "
                      "as planned) but its leaders are still pending; check with kafka-topics "
                      "--describe --topic %s, and do not run the plan again: %s",
                      t->name, t->name, msg);
        for (int k = 0; k < t->nparts; k++)
            t->parts[k].result = 0;
        return -1;
    }
    if (rc) {
        char q[1024], msg[sizeof(err->msg)];
        shell_quote(q, sizeof(q), t->plan_path ? t->plan_path : "?");
        snprintf(msg, sizeof(msg), "%s", err->msg);
        int code = err->kafka_err;
        krt_error_set(err, KRT_ERR_KAFKA,
                      "topic '%s' %s; finish with: krt-truncate "
                      "--plan %s --execute (its partitions, replication factor and configs are "
                      "in that file): %s",
                      t->name,
                      maybe_deleted ? "may have been deleted and was not recreated"
                                    : "was deleted but not recreated",
                      q, msg);
        err->kafka_err = code;
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
    return 0;
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
    p->executed = true;
    krt_tplist_sort(&del);
    /* unknown until the broker answers for the partition: a request that fails as a
     * whole (unreachable, timeout, Ctrl-C) leaves every entry unknown, not done */
    for (size_t i = 0; i < del.n; i++)
        del.v[i].err = RD_KAFKA_RESP_ERR__IN_PROGRESS;
    int rc = krt_admin_delete_records(conn, &del, err);
    bool changed = false;
    for (int i = 0; i < p->ntopics; i++) {
        struct krt_trunc_topic *t = &p->topics[i];
        for (int k = 0; !t->recreate && k < t->nparts; k++) {
            struct krt_trunc_part *x = &t->parts[k];
            const struct krt_tp *tp = krt_tplist_find(&del, t->name, x->partition);
            x->err = tp ? tp->err : 0;
            if (rc && x->err == RD_KAFKA_RESP_ERR__IN_PROGRESS && err->kafka_err)
                x->err = err->kafka_err; /* the request's own error */
            x->result = tp ? (tp->err ? -1 : tp->offset) : x->log_start;
            changed |= tp && !tp->err;
        }
    }
    krt_tplist_free(&del);
    for (int i = 0; !rc && i < p->ntopics; i++) {
        struct krt_trunc_topic *t = &p->topics[i];
        if (!t->recreate)
            continue;
        rc = recreate_one(conn, t, err);
        changed |= t->deleted;
        for (int k = 0; rc && k < t->nparts; k++)
            t->parts[k].err = err->kafka_err ? err->kafka_err : RD_KAFKA_RESP_ERR__FAIL;
    }
    if (rc && changed)
        err->code = KRT_ERR_PARTIAL; /* some of it is done: the report says what */
    return rc;
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
            snprintf(rem, sizeof(rem), "%" PRId64, removed(p, tp, x));
            if (x->err)
                snprintf(after, sizeof(after), "%s", rd_kafka_err2name(x->err));
            else
                krt_table_offset(after, sizeof(after), x->result);
            const char *cells[] = {tp->name, part, tp->recreate ? "recreate" : "delete-records",
                                   lo, nl, hi, rem, after};
            krt_table_add(&t, cells);
            total += removed(p, tp, x);
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

/* ---- the apply sequence --------------------------------------------------- */

static int job_groups(struct krt_trunc_job *j, struct krt_error *err)
{
    krt_rewind_plan_free(j->gplan);
    return j->ngroups ? krt_trunc_groups_plan(j->conn, &j->plan, j->groups, j->ngroups, j->gplan,
                                              err)
                      : 0;
}

int krt_trunc_prepare(struct krt_trunc_job *j, struct krt_error *err)
{
    if (j->from_plan ? krt_trunc_check_drift(j->conn, &j->plan, j->protect, err)
                     : krt_trunc_plan_build(j->conn, j->sel, j->mode, j->value, j->recreate,
                                            j->protect, &j->plan, err))
        return -1;
    return job_groups(j, err);
}

static int job_check(void *st, int wait_s, struct krt_error *err)
{
    struct krt_trunc_job *j = st;
    return j->ngroups ? krt_rewind_guard(j->conn, j->gplan, wait_s, err) : 0;
}

/* On a terminal, the operator types each topic name before data goes. */
static int job_confirm(void *st, struct krt_error *err)
{
    struct krt_trunc_job *j = st;
    char line[512];
    for (int i = 0; j->ask && i < j->plan.ntopics; i++) {
        fprintf(stderr, "Type the topic name '%s' to delete its records: ", j->plan.topics[i].name);
        fflush(stderr);
        if (!fgets(line, sizeof(line), stdin))
            return krt_error_set(err, KRT_ERR_REFUSED, "not confirmed: nothing changed");
        line[strcspn(line, "\r\n")] = '\0';
        if (strcmp(line, j->plan.topics[i].name))
            return krt_error_set(err, KRT_ERR_REFUSED, "'%s' is not '%s': nothing changed", line,
                                 j->plan.topics[i].name);
    }
    return 0;
}

static int job_refresh(void *st, struct krt_error *err)
{
    struct krt_trunc_job *j = st;
    if (j->from_plan) {
        for (int i = 0; i < j->plan.nnotes; i++)
            free(j->plan.notes[i]);
        j->plan.nnotes = 0;
    } else {
        krt_trunc_plan_free(&j->plan);
    }
    return krt_trunc_prepare(j, err);
}

static int job_save(void *st, struct krt_error *err)
{
    struct krt_trunc_job *j = st;
    if (j->plan_out && krt_json_write_file(j->plan_out, krt_trunc_plan_json(&j->plan), 0, err))
        return -1;
    /* a topic to recreate: its plan, with every config, before its delete */
    for (int i = 0; i < j->plan.ntopics; i++) {
        struct krt_trunc_topic *t = &j->plan.topics[i];
        char path[4096];
        if (!t->recreate)
            continue;
        struct krt_trunc_plan one = {.mode = KRT_TRUNC_ALL, .topics = t, .ntopics = 1};
        if (krt_plan_path(path, sizeof(path), "truncate-recreate", t->name, err) ||
            krt_json_write_file(path, krt_trunc_plan_json(&one), 1, err))
            return -1;
        free(t->plan_path);
        if (!(t->plan_path = strdup(path)))
            return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    }
    return j->ngroups ? krt_rewind_write_undo(j->gplan, j->undo_path, err) : 0;
}

static int job_apply(void *st, struct krt_error *err)
{
    struct krt_trunc_job *j = st;
    if (krt_trunc_execute(j->conn, &j->plan, err))
        return -1;
    if (j->ngroups && krt_rewind_apply(j->conn, j->gplan, err)) {
        err->code = KRT_ERR_PARTIAL; /* the records are gone, the groups did not follow */
        krt_error_prefix(err, "the records were deleted but the groups were not moved");
        return -1;
    }
    return 0;
}

int krt_trunc_run(struct krt_trunc_job *j, bool *started, struct krt_error *err)
{
    static const struct krt_apply_ops ops = {.check = job_check,
                                             .confirm = job_confirm,
                                             .refresh = job_refresh,
                                             .save = job_save,
                                             .apply = job_apply};
    return krt_apply_run(&ops, j, 0, started, err);
}
