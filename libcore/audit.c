/* audit.c - see audit.h */
#define _POSIX_C_SOURCE 200809L
#include "audit.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "configs.h"
#include "jread.h"
#include "json_out.h"
#include "offsets.h"
#include "table.h"
#include "timespec.h"

static bool has(const int32_t *v, int n, int32_t id)
{
    for (int i = 0; i < n; i++)
        if (v[i] == id)
            return true;
    return false;
}

unsigned krt_audit_classify(int32_t leader, const int32_t *replicas, int nreplicas,
                            const int32_t *isr, int nisr, const int32_t *registered,
                            int nregistered, int min_isr)
{
    unsigned s = 0;
    if (leader < 0 || !has(registered, nregistered, leader)) {
        s |= KRT_P_OFFLINE;
        bool any_alive = false;
        for (int i = 0; i < nreplicas; i++)
            any_alive |= has(registered, nregistered, replicas[i]);
        if (!any_alive)
            s |= KRT_P_LOST;
    }
    /* live ISR: a dead broker can linger in the ISR of a partition it led last */
    int live_isr = 0;
    for (int i = 0; i < nisr; i++)
        live_isr += has(registered, nregistered, isr[i]);
    if (!(s & KRT_P_OFFLINE)) {
        if (live_isr < min_isr)
            s |= KRT_P_UNDER_MIN_ISR;
        else if (live_isr == min_isr && live_isr < nreplicas)
            s |= KRT_P_AT_MIN_ISR;
    }
    /* as kafka-topics --under-replicated-partitions: the ISR as reported */
    if (nisr < nreplicas)
        s |= KRT_P_UNDER_REPLICATED;
    return s;
}

const char *krt_audit_state_name(unsigned b)
{
    switch (b) {
    case KRT_P_OFFLINE: return "offline";
    case KRT_P_LOST: return "lost";
    case KRT_P_UNDER_MIN_ISR: return "under-min-isr";
    case KRT_P_AT_MIN_ISR: return "at-min-isr";
    case KRT_P_UNDER_REPLICATED: return "under-replicated";
    case KRT_P_UNCLEAN_ONLY: return "unclean-election-only";
    }
    return "unknown";
}

const char *krt_audit_risk_name(unsigned b)
{
    switch (b) {
    case KRT_RISK_RF1: return "replication-factor-1";
    case KRT_RISK_MIN_ISR_1: return "min-insync-replicas-1";
    case KRT_RISK_UNCLEAN: return "unclean-leader-election";
    case KRT_RISK_NO_TOLERANCE: return "no-failure-tolerance-for-acks-all";
    case KRT_RISK_ONE_BROKER: return "replicas-on-one-broker";
    case KRT_RISK_ONE_RACK: return "replicas-on-one-rack";
    }
    return "unknown";
}

static const char *risk_text(unsigned b)
{
    switch (b) {
    case KRT_RISK_RF1: return "replication factor 1: losing one broker loses data";
    case KRT_RISK_MIN_ISR_1: return "min.insync.replicas=1: acks=all accepts a write held by one replica";
    case KRT_RISK_UNCLEAN: return "unclean.leader.election.enable=true: a failover may drop acknowledged writes";
    case KRT_RISK_NO_TOLERANCE: return "min.insync.replicas equals the replication factor: one broker down stops acks=all producers";
    case KRT_RISK_ONE_BROKER: return "all replicas of a partition on one broker";
    case KRT_RISK_ONE_RACK: return "all replicas of a partition on one rack";
    }
    return "";
}

static const unsigned state_bits[] = {KRT_P_OFFLINE, KRT_P_LOST, KRT_P_UNDER_MIN_ISR,
                                      KRT_P_AT_MIN_ISR, KRT_P_UNDER_REPLICATED,
                                      KRT_P_UNCLEAN_ONLY};
static const unsigned risk_bits[] = {KRT_RISK_RF1,          KRT_RISK_MIN_ISR_1,
                                     KRT_RISK_UNCLEAN,      KRT_RISK_NO_TOLERANCE,
                                     KRT_RISK_ONE_BROKER,   KRT_RISK_ONE_RACK};
#define NELEM(a) (sizeof(a) / sizeof(*(a)))

void krt_audit_free(struct krt_audit *a)
{
    for (int i = 0; a->brokers && i < a->nbrokers; i++) {
        free(a->brokers[i].host);
        free(a->brokers[i].rack);
    }
    for (int i = 0; a->topics && i < a->ntopics; i++)
        free(a->topics[i].name);
    for (size_t i = 0; a->parts && i < a->nparts; i++) {
        free(a->parts[i].replicas);
        free(a->parts[i].isr);
        free(a->parts[i].missing);
    }
    for (size_t i = 0; i < a->nfindings; i++) {
        free(a->findings[i].group);
        free(a->findings[i].topic);
    }
    for (size_t i = 0; i < a->nlosses; i++) {
        free(a->losses[i].group);
        free(a->losses[i].topic);
    }
    free(a->brokers);
    free(a->missing_brokers);
    free(a->assumed_down);
    free(a->topics);
    free(a->parts);
    free(a->findings);
    free(a->losses);
    *a = (struct krt_audit){0};
}

static int32_t *ids_dup(const int32_t *v, int n)
{
    int32_t *r = malloc(sizeof(*r) * (size_t)(n + 1));
    if (r && n)
        memcpy(r, v, sizeof(*r) * (size_t)n);
    return r;
}

static int add_loss(struct krt_audit *a, const char *group, const char *topic, int32_t p,
                    const char *kind, int64_t from, int64_t to)
{
    if (to <= from)
        return 0;
    struct krt_aloss *v = realloc(a->losses, sizeof(*v) * (a->nlosses + 1));
    if (!v)
        return -1;
    a->losses = v;
    v[a->nlosses++] = (struct krt_aloss){.group = group ? strdup(group) : NULL,
                                         .topic = strdup(topic), .partition = p, .kind = kind,
                                         .from = from, .to = to};
    return 0;
}

/* ---- baseline --------------------------------------------------------------- */

static int save_baseline(struct krt_conn *conn, const struct krt_audit *a, const char *path,
                         struct krt_error *err)
{
    json_t *doc = json_object(), *parts = json_array(), *groups = json_array();
    json_object_set_new(doc, "krt_baseline", json_integer(1));
    json_object_set_new(doc, "created", krt_json_time(a->taken_ms));
    json_object_set_new(doc, "created_ms", json_integer(a->taken_ms));
    for (size_t i = 0; i < a->nparts; i++) {
        const struct krt_apart *p = &a->parts[i];
        json_t *o = json_object();
        json_object_set_new(o, "topic", json_string(a->topics[p->topic].name));
        json_object_set_new(o, "partition", json_integer(p->partition));
        json_object_set_new(o, "leader", json_integer(p->leader));
        json_object_set_new(o, "log_start_offset", krt_json_offset(p->log_start));
        json_object_set_new(o, "high_watermark", krt_json_offset(p->high));
        json_array_append_new(parts, o);
    }
    char **ids = NULL;
    size_t n = 0;
    if (krt_group_list(conn, &ids, &n, err)) {
        json_decref(doc);
        json_decref(parts);
        json_decref(groups);
        return -1;
    }
    int rc = 0;
    for (size_t g = 0; g < n && !rc; g++) {
        struct krt_tplist c = {0};
        if (krt_group_committed(conn, ids[g], &c, err)) {
            rc = -1;
            break;
        }
        json_t *jg = json_object(), *offs = json_array();
        json_object_set_new(jg, "group", json_string(ids[g]));
        for (size_t i = 0; i < c.n; i++) {
            if (c.v[i].offset < 0)
                continue;
            json_t *o = json_object();
            json_object_set_new(o, "topic", json_string(c.v[i].topic));
            json_object_set_new(o, "partition", json_integer(c.v[i].partition));
            json_object_set_new(o, "offset", json_integer(c.v[i].offset));
            json_array_append_new(offs, o);
        }
        json_object_set_new(jg, "offsets", offs);
        json_array_append_new(groups, jg);
        krt_tplist_free(&c);
    }
    for (size_t g = 0; g < n; g++)
        free(ids[g]);
    free(ids);
    json_object_set_new(doc, "partitions", parts);
    json_object_set_new(doc, "groups", groups);
    if (rc) {
        json_decref(doc);
        return -1;
    }
    return krt_json_write_file(path, doc, 0, err);
}

/* Binary search: parts are sorted by topic name, then partition. */
static const struct krt_apart *find_part(const struct krt_audit *a, const char *topic, int32_t p)
{
    size_t lo = 0, hi = a->nparts;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct krt_apart *x = &a->parts[mid];
        int c = strcmp(a->topics[x->topic].name, topic);
        if (!c)
            c = (x->partition > p) - (x->partition < p);
        if (!c)
            return x;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The baseline format (save_baseline): every key it writes, typed. */
static const struct krt_jfield baseline_keys[] = {
    {"krt_baseline", KRT_J_INT, KRT_J_REQUIRED, 1, 1},
    {"created", KRT_J_STRING, KRT_J_NULLABLE, 0, 0},
    {"created_ms", KRT_J_INT, 0, 0, INT64_MAX},
    {"partitions", KRT_J_ARRAY, KRT_J_REQUIRED, 0, 0},
    {"groups", KRT_J_ARRAY, KRT_J_REQUIRED, 0, 0},
    {NULL, 0, 0, 0, 0}};
static const struct krt_jfield bpart_keys[] = {
    {"topic", KRT_J_STRING, KRT_J_REQUIRED, 0, 0},
    {"partition", KRT_J_ANY, KRT_J_REQUIRED, 0, 0}, /* krt_jread_partition */
    {"leader", KRT_J_INT, 0, -1, INT32_MAX},
    {"log_start_offset", KRT_J_ANY, KRT_J_REQUIRED, 0, 0}, /* krt_jread_offset */
    {"high_watermark", KRT_J_ANY, KRT_J_REQUIRED, 0, 0},   /* krt_jread_offset */
    {NULL, 0, 0, 0, 0}};
static const struct krt_jfield bgroup_keys[] = {
    {"group", KRT_J_STRING, KRT_J_REQUIRED, 0, 0},
    {"offsets", KRT_J_ARRAY, KRT_J_REQUIRED, 0, 0},
    {NULL, 0, 0, 0, 0}};
static const struct krt_jfield boffset_keys[] = {
    {"topic", KRT_J_STRING, KRT_J_REQUIRED, 0, 0},
    {"partition", KRT_J_ANY, KRT_J_REQUIRED, 0, 0}, /* krt_jread_partition */
    {"offset", KRT_J_ANY, KRT_J_REQUIRED, 0, 0},    /* krt_jread_offset */
    {NULL, 0, 0, 0, 0}};

/* Check one {topic, partition, offset...} entry of the baseline. */
static int check_entry(const char *path, const char *jp, const json_t *v,
                       const struct krt_jfield *keys, const char *const *offsets,
                       struct krt_error *err)
{
    char b[320];
    int32_t p;
    int64_t o;
    if (krt_jread_object(path, jp, v, keys, err) ||
        krt_jread_partition(path, krt_jpath_key(b, sizeof(b), jp, "partition"),
                            json_object_get(v, "partition"), &p, err))
        return -1;
    for (; *offsets; offsets++)
        if (krt_jread_offset(path, krt_jpath_key(b, sizeof(b), jp, *offsets),
                             json_object_get(v, *offsets), keys == bpart_keys, &o, err))
            return -1;
    return 0;
}

int krt_audit_baseline_read(const char *path, json_t **out, struct krt_error *err)
{
    static const char *const part_offsets[] = {"log_start_offset", "high_watermark", NULL};
    static const char *const group_offsets[] = {"offset", NULL};
    json_t *doc;
    char jp[64], gp[64], op[128];
    if (krt_jread_file(path, 0, &doc, err))
        return -1;
    int rc = krt_jread_object(path, "", doc, baseline_keys, err);
    for (size_t i = 0; !rc && i < json_array_size(json_object_get(doc, "partitions")); i++)
        rc = check_entry(path, krt_jpath_index(jp, sizeof(jp), "/partitions", i),
                         json_array_get(json_object_get(doc, "partitions"), i), bpart_keys,
                         part_offsets, err);
    for (size_t g = 0; !rc && g < json_array_size(json_object_get(doc, "groups")); g++) {
        const json_t *jg = json_array_get(json_object_get(doc, "groups"), g);
        krt_jpath_index(gp, sizeof(gp), "/groups", g);
        rc = krt_jread_object(path, gp, jg, bgroup_keys, err);
        krt_jpath_key(jp, sizeof(jp), gp, "offsets");
        for (size_t k = 0; !rc && k < json_array_size(json_object_get(jg, "offsets")); k++)
            rc = check_entry(path, krt_jpath_index(op, sizeof(op), jp, k),
                             json_array_get(json_object_get(jg, "offsets"), k), boffset_keys,
                             group_offsets, err);
    }
    if (rc) {
        json_decref(doc);
        return -1;
    }
    *out = doc;
    return 0;
}

static int compare_baseline(struct krt_conn *conn, struct krt_audit *a, json_t *doc,
                            struct krt_error *err)
{
    json_t *parts = json_object_get(doc, "partitions"), *groups = json_object_get(doc, "groups");
    a->has_baseline = true;
    a->baseline_created_ms = json_integer_value(json_object_get(doc, "created_ms"));
    int rc = 0;
    size_t i;
    json_t *jp;
    /* the partitions' own losses */
    json_array_foreach(parts, i, jp)
    {
        const char *t = json_string_value(json_object_get(jp, "topic"));
        int32_t p = (int32_t)json_integer_value(json_object_get(jp, "partition"));
        int64_t h0 = json_integer_value(json_object_get(jp, "high_watermark"));
        int64_t l0 = json_integer_value(json_object_get(jp, "log_start_offset"));
        if (!t || !json_is_integer(json_object_get(jp, "high_watermark")))
            continue;
        const struct krt_apart *now = find_part(a, t, p);
        if (!now) {
            bool topic_known = false;
            for (int k = 0; k < a->ntopics && !topic_known; k++)
                topic_known = !strcmp(a->topics[k].name, t);
            rc |= add_loss(a, NULL, t, p, topic_known ? "partition-missing" : "topic-missing", l0,
                           h0);
        } else if (now->high >= 0 && now->high < h0) {
            rc |= add_loss(a, NULL, t, p, "truncated", now->high, h0);
        }
    }
    /* what each group lost or will skip */
    json_t *jg;
    json_array_foreach(groups, i, jg)
    {
        const char *g = json_string_value(json_object_get(jg, "group"));
        json_t *offs = json_object_get(jg, "offsets"), *jo;
        if (!g || !json_is_array(offs))
            continue;
        struct krt_tplist cur = {0};
        struct krt_error e2;
        if (krt_group_committed(conn, g, &cur, &e2))
            krt_tplist_free(&cur); /* a vanished group keeps its baseline offsets */
        size_t k;
        json_array_foreach(offs, k, jo)
        {
            const char *t = json_string_value(json_object_get(jo, "topic"));
            int32_t p = (int32_t)json_integer_value(json_object_get(jo, "partition"));
            int64_t c = json_integer_value(json_object_get(jo, "offset"));
            if (!t)
                continue;
            const struct krt_tp *c1 = krt_tplist_find(&cur, t, p);
            if (c1 && c1->offset >= 0)
                c = c1->offset;
            json_t *bp = NULL, *x;
            size_t q;
            json_array_foreach(parts, q, x)
            {
                if (json_integer_value(json_object_get(x, "partition")) == p &&
                    !strcmp(json_string_value(json_object_get(x, "topic")) ?: "", t)) {
                    bp = x;
                    break;
                }
            }
            if (!bp)
                continue;
            int64_t h0 = json_integer_value(json_object_get(bp, "high_watermark"));
            const struct krt_apart *now = find_part(a, t, p);
            if (!now) {
                rc |= add_loss(a, g, t, p, "deleted-unread", c, h0);
                continue;
            }
            if (now->high < 0 || now->log_start < 0)
                continue;
            int64_t h1 = now->high, l1 = now->log_start;
            if (h1 < h0) {
                /* records past the new end are gone: those the group had read... */
                rc |= add_loss(a, g, t, p, "consumed-then-lost", h1, c < h0 ? c : h0);
                /* ...and those it had not */
                rc |= add_loss(a, g, t, p, "lost-unread", c > h1 ? c : h1, h0);
            }
            if (l1 > c)
                rc |= add_loss(a, g, t, p, "deleted-unread", c, l1 < h0 ? l1 : h0);
            if (c > h1)
                rc |= add_loss(a, g, t, p, "will-skip", h1, c);
        }
        krt_tplist_free(&cur);
    }
    return rc ? krt_error_set(err, KRT_ERR_INTERNAL, "out of memory") : 0;
}

/* ---- the audit ----------------------------------------------------------------- */

static int check_groups(struct krt_conn *conn, const struct krt_audit_opts *o, struct krt_audit *a,
                        struct krt_error *err)
{
    char **ids = NULL;
    size_t n = 0;
    if (o->all_groups) {
        if (krt_group_list(conn, &ids, &n, err))
            return -1;
    } else {
        ids = calloc((size_t)o->ngroups + 1, sizeof(*ids));
        for (int g = 0; ids && g < o->ngroups; g++)
            ids[n++] = strdup(o->groups[g]);
    }
    int rc = 0;
    for (size_t g = 0; g < n && !rc; g++) {
        struct krt_tplist c = {0};
        if (!o->all_groups) {
            struct krt_group_desc d;
            if (krt_group_state(conn, ids[g], &d, &c, err)) {
                rc = -1;
                break;
            }
            bool exists = d.exists;
            krt_group_desc_free(&d);
            if (!exists && c.n == 0) {
                rc = krt_error_set(err, KRT_ERR_INPUT, "unknown consumer group '%s'", ids[g]);
                break;
            }
        } else if (krt_group_committed(conn, ids[g], &c, err)) {
            rc = -1;
            break;
        }
        for (size_t i = 0; i < c.n; i++) {
            const struct krt_apart *p = find_part(a, c.v[i].topic, c.v[i].partition);
            if (!p || p->high < 0 || c.v[i].offset < 0)
                continue;
            bool above = c.v[i].offset > p->high, below = c.v[i].offset < p->log_start;
            if (!above && !below)
                continue;
            struct krt_agroup_finding *v = realloc(a->findings, sizeof(*v) * (a->nfindings + 1));
            if (!v) {
                rc = krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
                break;
            }
            a->findings = v;
            v[a->nfindings++] = (struct krt_agroup_finding){
                .group = strdup(ids[g]), .topic = strdup(c.v[i].topic),
                .partition = c.v[i].partition, .committed = c.v[i].offset,
                .log_start = p->log_start, .high = p->high, .above = above};
        }
        krt_tplist_free(&c);
    }
    for (size_t g = 0; g < n; g++)
        free(ids[g]);
    free(ids);
    return rc;
}

static int load_racks(struct krt_conn *conn, struct krt_audit *a)
{
    const char **names = calloc((size_t)a->nbrokers + 1, sizeof(*names));
    char (*buf)[16] = calloc((size_t)a->nbrokers + 1, sizeof(*buf));
    struct krt_config_set *sets = calloc((size_t)a->nbrokers + 1, sizeof(*sets));
    struct krt_error e;
    int rc = -1;
    if (names && buf && sets) {
        for (int i = 0; i < a->nbrokers; i++) {
            snprintf(buf[i], sizeof(buf[i]), "%d", a->brokers[i].id);
            names[i] = buf[i];
        }
        rc = krt_configs_describe(conn, true, names, a->nbrokers, sets, &e);
        for (int i = 0; !rc && i < a->nbrokers; i++) {
            const char *r = krt_config_get(&sets[i], "broker.rack");
            a->brokers[i].rack = r && *r ? strdup(r) : NULL;
        }
        if (!rc)
            krt_configs_free(sets, a->nbrokers);
    }
    free(names);
    free(buf);
    free(sets);
    return rc; /* racks are a nicety: a failure only drops the rack check */
}

static const char *rack_of(const struct krt_audit *a, int32_t id)
{
    for (int i = 0; i < a->nbrokers; i++)
        if (a->brokers[i].id == id)
            return a->brokers[i].rack;
    return NULL;
}

int krt_audit_run(struct krt_conn *conn, const struct krt_audit_opts *o, struct krt_audit *a,
                  struct krt_error *err)
{
    *a = (struct krt_audit){.taken_ms = krt_now_ms()};
    struct krt_metadata md;
    struct krt_tplist sel = {0};
    struct krt_config_set *cfg = NULL;
    const char **names = NULL;
    int32_t *registered = NULL;
    int nreg = 0;
    int rc = -1;
    if (krt_meta_fetch(conn, &md, err))
        return -1;
    for (int i = 0; i < o->nassume_down; i++)
        if (!krt_meta_broker(&md, o->assume_down[i])) {
            char ids[256] = "";
            size_t l = 0;
            for (int b = 0; b < md.nbrokers && l + 12 < sizeof(ids); b++)
                l += (size_t)snprintf(ids + l, sizeof(ids) - l, "%s%d", b ? "," : "",
                                      md.brokers[b].id);
            krt_error_set(err, KRT_ERR_INPUT,
                          "unknown broker id %d in --assume-down (registered: %s)",
                          o->assume_down[i], ids);
            goto out;
        }
    a->assumed_down = ids_dup(o->assume_down, o->nassume_down);
    a->nassumed_down = o->nassume_down;
    a->brokers = calloc((size_t)md.nbrokers + 1, sizeof(*a->brokers));
    registered = calloc((size_t)md.nbrokers + 1, sizeof(*registered));
    if (!a->brokers || !registered || !a->assumed_down)
        goto oom;
    for (int b = 0; b < md.nbrokers; b++) {
        if (has(o->assume_down, o->nassume_down, md.brokers[b].id))
            continue;
        registered[nreg++] = md.brokers[b].id;
        struct krt_abroker *ab = &a->brokers[a->nbrokers++];
        ab->id = md.brokers[b].id;
        ab->port = md.brokers[b].port;
        ab->host = strdup(md.brokers[b].host);
    }
    load_racks(conn, a);

    /* the topics: every one (internal included), or the selection */
    if (o->topics->n) {
        if (krt_selection_resolve(o->topics, &md, &sel, err))
            goto out;
    } else {
        for (int t = 0; t < md.ntopics; t++)
            for (int p = 0; p < md.topics[t].nparts; p++)
                if (!krt_tplist_add(&sel, md.topics[t].name, md.topics[t].parts[p].id, -1))
                    goto oom;
        krt_tplist_sort(&sel);
    }
    names = calloc(sel.n + 1, sizeof(*names));
    a->topics = calloc(sel.n + 1, sizeof(*a->topics));
    a->parts = calloc(sel.n + 1, sizeof(*a->parts));
    if (!names || !a->topics || !a->parts)
        goto oom;
    for (size_t i = 0; i < sel.n; i++)
        if (!a->ntopics || strcmp(names[a->ntopics - 1], sel.v[i].topic)) {
            names[a->ntopics] = sel.v[i].topic;
            a->topics[a->ntopics++].name = strdup(sel.v[i].topic);
        }
    cfg = calloc((size_t)a->ntopics + 1, sizeof(*cfg));
    if (!cfg)
        goto oom;
    if (krt_configs_describe(conn, false, names, a->ntopics, cfg, err))
        goto out;
    for (int t = 0; t < a->ntopics; t++) {
        struct krt_atopic *at = &a->topics[t];
        const char *mi = krt_config_get(&cfg[t], "min.insync.replicas");
        const char *ue = krt_config_get(&cfg[t], "unclean.leader.election.enable");
        const char *cp = krt_config_get(&cfg[t], "cleanup.policy");
        at->min_isr = mi ? atoi(mi) : 1;
        at->unclean = ue && !strcmp(ue, "true");
        at->compacted = cp && strstr(cp, "compact");
    }

    int cur = -1;
    for (size_t i = 0; i < sel.n; i++) {
        while (cur < 0 || strcmp(a->topics[cur].name, sel.v[i].topic))
            cur++;
        const struct krt_part *mp = krt_meta_part(krt_meta_topic(&md, sel.v[i].topic),
                                                  sel.v[i].partition);
        struct krt_atopic *at = &a->topics[cur];
        struct krt_apart *p = &a->parts[a->nparts++];
        p->topic = cur;
        p->partition = mp->id;
        p->log_start = p->high = -1;
        p->nreplicas = mp->nreplicas;
        p->replicas = ids_dup(mp->replicas, mp->nreplicas);
        p->isr = calloc((size_t)mp->nisr + 1, sizeof(*p->isr));
        p->missing = calloc((size_t)mp->nreplicas + 1, sizeof(*p->missing));
        if (!p->replicas || !p->isr || !p->missing)
            goto oom;
        /* what-if: assumed-down brokers leave the ISR; leadership moves to the
         * first replica still in it, as the controller would do */
        for (int k = 0; k < mp->nisr; k++)
            if (!has(o->assume_down, o->nassume_down, mp->isr[k]))
                p->isr[p->nisr++] = mp->isr[k];
        /* the controller never empties an ISR: the last member stays in it */
        if (p->nisr == 0 && mp->nisr > 0)
            p->isr[p->nisr++] = has(mp->isr, mp->nisr, mp->leader) ? mp->leader : mp->isr[0];
        p->leader = mp->leader;
        if (has(o->assume_down, o->nassume_down, p->leader)) {
            p->leader = -1;
            for (int k = 0; k < mp->nreplicas && p->leader < 0; k++)
                if (has(p->isr, p->nisr, mp->replicas[k]) && has(registered, nreg, mp->replicas[k]))
                    p->leader = mp->replicas[k];
        }
        for (int k = 0; k < mp->nreplicas; k++)
            if (!has(registered, nreg, mp->replicas[k]))
                p->missing[p->nmissing++] = mp->replicas[k];
        if (at->rf < mp->nreplicas)
            at->rf = mp->nreplicas;
        at->nparts++;
        p->state = krt_audit_classify(p->leader, p->replicas, p->nreplicas, p->isr, p->nisr,
                                      registered, nreg, at->min_isr);
        if ((p->state & KRT_P_OFFLINE) && !(p->state & KRT_P_LOST) && at->unclean &&
            o->nassume_down)
            p->state |= KRT_P_UNCLEAN_ONLY;
        /* placement risks */
        bool one_broker = p->nreplicas > 1, one_rack = p->nreplicas > 1;
        const char *r0 = rack_of(a, p->replicas[0]);
        for (int k = 1; k < p->nreplicas; k++) {
            one_broker &= p->replicas[k] == p->replicas[0];
            const char *rk = rack_of(a, p->replicas[k]);
            one_rack &= r0 && rk && !strcmp(r0, rk);
        }
        if (one_broker)
            p->risks |= KRT_RISK_ONE_BROKER;
        else if (one_rack)
            p->risks |= KRT_RISK_ONE_RACK;
        at->risks |= p->risks;
    }
    for (int t = 0; t < a->ntopics; t++) {
        struct krt_atopic *at = &a->topics[t];
        if (at->rf == 1)
            at->risks |= KRT_RISK_RF1;
        if (at->rf > 1 && at->min_isr <= 1)
            at->risks |= KRT_RISK_MIN_ISR_1;
        if (at->unclean)
            at->risks |= KRT_RISK_UNCLEAN;
        if (at->rf > 1 && at->min_isr >= at->rf)
            at->risks |= KRT_RISK_NO_TOLERANCE;
    }
    /* brokers referenced by replicas but not registered */
    for (size_t i = 0; i < a->nparts; i++)
        for (int k = 0; k < a->parts[i].nmissing; k++)
            if (!has(a->missing_brokers, a->nmissing_brokers, a->parts[i].missing[k])) {
                int32_t *v = realloc(a->missing_brokers,
                                     sizeof(*v) * (size_t)(a->nmissing_brokers + 1));
                if (!v)
                    goto oom;
                a->missing_brokers = v;
                v[a->nmissing_brokers++] = a->parts[i].missing[k];
            }
    for (size_t i = 0; i < a->nparts; i++) {
        unsigned s = a->parts[i].state;
        a->count_offline += !!(s & KRT_P_OFFLINE);
        a->count_lost += !!(s & KRT_P_LOST);
        a->count_under_min_isr += !!(s & KRT_P_UNDER_MIN_ISR);
        a->count_at_min_isr += !!(s & KRT_P_AT_MIN_ISR);
        a->count_under_replicated += !!(s & KRT_P_UNDER_REPLICATED);
        a->count_healthy += s == 0;
    }

    /* watermarks, for groups and baselines only */
    if (o->all_groups || o->ngroups || o->baseline || o->baseline_out) {
        int64_t *lo = calloc(sel.n + 1, sizeof(*lo)), *hi = calloc(sel.n + 1, sizeof(*hi));
        int *pe = calloc(sel.n + 1, sizeof(*pe));
        int wrc = lo && hi && pe ? krt_offsets_watermarks(conn, &md, &sel, lo, hi, pe, err)
                                 : krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        for (size_t i = 0; !wrc && i < sel.n; i++) {
            a->parts[i].log_start = pe[i] ? -1 : lo[i];
            a->parts[i].high = pe[i] ? -1 : hi[i];
        }
        free(lo);
        free(hi);
        free(pe);
        if (wrc)
            goto out;
        if ((o->all_groups || o->ngroups) && check_groups(conn, o, a, err))
            goto out;
        if (o->baseline_out && save_baseline(conn, a, o->baseline_out, err))
            goto out;
        if (o->baseline && compare_baseline(conn, a, o->baseline, err))
            goto out;
    }
    rc = 0;
    goto out;
oom:
    krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
out:
    if (cfg)
        krt_configs_free(cfg, a->ntopics);
    free(cfg);
    free(names);
    free(registered);
    krt_tplist_free(&sel);
    krt_meta_free(&md);
    if (rc)
        krt_audit_free(a);
    return rc;
}

int krt_audit_exit_code(const struct krt_audit *a)
{
    if (a->count_offline || a->count_under_min_isr)
        return KRT_EXIT_CRITICAL;
    for (size_t i = 0; i < a->nlosses; i++)
        if (strcmp(a->losses[i].kind, "will-skip"))
            return KRT_EXIT_CRITICAL;
    if (a->count_under_replicated || a->count_at_min_isr || a->nmissing_brokers ||
        a->nfindings || a->nlosses)
        return KRT_EXIT_FINDINGS;
    return KRT_EXIT_OK;
}

/* ---- output ----------------------------------------------------------------------- */

static void ids_str(const int32_t *v, int n, char *b, size_t size)
{
    size_t l = 0;
    b[0] = '\0';
    for (int i = 0; i < n && l + 12 < size; i++)
        l += (size_t)snprintf(b + l, size - l, "%s%d", i ? "," : "", v[i]);
    if (!n)
        snprintf(b, size, "-");
}

static json_t *ids_json(const int32_t *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_integer(v[i]));
    return a;
}

static const char *worst_state(unsigned s)
{
    if (s & KRT_P_LOST)
        return "lost";
    if (s & KRT_P_OFFLINE)
        return "offline";
    if (s & KRT_P_UNDER_MIN_ISR)
        return "under-min-isr";
    if (s & KRT_P_AT_MIN_ISR)
        return "at-min-isr";
    if (s & KRT_P_UNDER_REPLICATED)
        return "under-replicated";
    return "healthy";
}

/* @p s as one word of a POSIX shell command line: as it is when every
 * character is one the shell never treats specially, else in single quotes,
 * where nothing is special but the quote itself (written '\''). A group name
 * is any string Kafka accepts: quotes, $(...), ;, blanks, newlines.
 * @returns a malloc'd string, or NULL when out of memory. */
static char *shell_word(const char *s)
{
    static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789_-.,:/@%+=";
    size_t n = strlen(s);
    if (n && strspn(s, plain) == n && s[0] != '=')
        return strdup(s);
    size_t quotes = 0;
    for (const char *p = s; *p; p++)
        quotes += *p == '\'';
    char *w = malloc(n + 3 * quotes + 3), *o = w;
    if (!w)
        return NULL;
    *o++ = '\'';
    for (const char *p = s; *p; p++) {
        if (*p == '\'') {
            memcpy(o, "'\\''", 4);
            o += 4;
        } else {
            *o++ = *p;
        }
    }
    *o++ = '\'';
    *o = '\0';
    return w;
}

/* The krt-rewind command that repairs a finding, quoted for a POSIX shell
 * (an operator copies it into a terminal). @returns a malloc'd string, or
 * NULL when out of memory. */
static char *repair_cmd(const struct krt_agroup_finding *f)
{
    char part[32];
    snprintf(part, sizeof(part), ":%d", (int)f->partition);
    char *tp = malloc(strlen(f->topic) + sizeof(part));
    if (tp)
        strcat(strcpy(tp, f->topic), part);
    char *g = shell_word(f->group), *t = tp ? shell_word(tp) : NULL, *cmd = NULL;
    static const char fmt[] = "krt-rewind --group %s --topic %s --repair --execute";
    if (g && t && (cmd = malloc(sizeof(fmt) + strlen(g) + strlen(t))))
        sprintf(cmd, fmt, g, t);
    free(g);
    free(t);
    free(tp);
    return cmd;
}

void krt_audit_print(const struct krt_audit *a, FILE *f)
{
    char ids[512], ts[40];
    krt_time_format(a->taken_ms, ts, sizeof(ts));
    int32_t *reg = calloc((size_t)a->nbrokers + 1, sizeof(*reg));
    for (int i = 0; reg && i < a->nbrokers; i++)
        reg[i] = a->brokers[i].id;
    ids_str(reg, a->nbrokers, ids, sizeof(ids));
    free(reg);
    fprintf(f, "Audit at %s%s\n", ts, a->nassumed_down ? " (what-if)" : "");
    fprintf(f, "Brokers registered: %s\n", ids);
    if (a->nassumed_down) {
        ids_str(a->assumed_down, a->nassumed_down, ids, sizeof(ids));
        fprintf(f, "Assumed down: %s\n", ids);
    }
    if (a->nmissing_brokers) {
        ids_str(a->missing_brokers, a->nmissing_brokers, ids, sizeof(ids));
        fprintf(f, "Missing brokers (hold replicas, not registered): %s\n", ids);
    }
    fprintf(f,
            "Partitions: %zu; offline %zu (lost %zu), under-min-isr %zu, at-min-isr %zu, "
            "under-replicated %zu, healthy %zu\n",
            a->nparts, a->count_offline, a->count_lost, a->count_under_min_isr,
            a->count_at_min_isr, a->count_under_replicated, a->count_healthy);
    struct krt_table t;
    const char *heads[] = {"STATE", "TOPIC", "PARTITION", "LEADER", "REPLICAS", "ISR", "MISSING"};
    krt_table_init(&t, 7, heads);
    for (size_t i = 0; i < a->nparts; i++) {
        const struct krt_apart *p = &a->parts[i];
        if (!p->state)
            continue;
        char part[16], leader[16], reps[128], isr[128], miss[128], state[64];
        snprintf(part, sizeof(part), "%d", p->partition);
        if (p->leader >= 0)
            snprintf(leader, sizeof(leader), "%d", p->leader);
        else
            snprintf(leader, sizeof(leader), "none");
        ids_str(p->replicas, p->nreplicas, reps, sizeof(reps));
        ids_str(p->isr, p->nisr, isr, sizeof(isr));
        ids_str(p->missing, p->nmissing, miss, sizeof(miss));
        snprintf(state, sizeof(state), "%s%s", worst_state(p->state),
                 p->state & KRT_P_UNCLEAN_ONLY ? " (unclean only)" : "");
        const char *cells[] = {state, a->topics[p->topic].name, part, leader, reps, isr, miss};
        krt_table_add(&t, cells);
    }
    if (t.nrows) {
        fputc('\n', f);
        krt_table_print(&t, f);
    }
    krt_table_free(&t);
    bool any_risk = false;
    for (int i = 0; i < a->ntopics; i++)
        for (size_t r = 0; r < NELEM(risk_bits); r++)
            if (a->topics[i].risks & risk_bits[r]) {
                if (!any_risk)
                    fprintf(f, "\nRisks:\n");
                any_risk = true;
                fprintf(f, "  %s: %s\n", a->topics[i].name, risk_text(risk_bits[r]));
            }
    if (a->nfindings) {
        fprintf(f, "\nConsumer groups with commits outside the log:\n");
        for (size_t i = 0; i < a->nfindings; i++) {
            const struct krt_agroup_finding *g = &a->findings[i];
            /* The command is quoted for a shell, but a control character in
             * it would still reach the terminal raw: such a group's command
             * is left to the JSON, and its name is printed escaped. */
            bool ctl = krt_table_has_control(g->group);
            char *cmd = ctl ? NULL : repair_cmd(g), *name = krt_table_escape(g->group);
            fprintf(f, "  %s %s-%d: committed %" PRId64 " %s %" PRId64 "; repair: %s\n",
                    name ? name : "(out of memory)", g->topic, g->partition, g->committed,
                    g->above ? "above high watermark" : "below log start",
                    g->above ? g->high : g->log_start,
                    cmd  ? cmd
                    : ctl ? "the group name holds control characters: take the command from --json"
                          : "(out of memory)");
            free(cmd);
            free(name);
        }
    }
    if (a->has_baseline) {
        krt_time_format(a->baseline_created_ms, ts, sizeof(ts));
        fprintf(f, "\nSince the baseline of %s: %s\n", ts,
                a->nlosses ? "" : "no offsets lost");
        for (size_t i = 0; i < a->nlosses; i++) {
            const struct krt_aloss *l = &a->losses[i];
            char *name = l->group ? krt_table_escape(l->group) : NULL;
            fprintf(f, "  %s%s%s%s-%d: %s offsets [%" PRId64 ", %" PRId64 ") (%" PRId64 " records)\n",
                    l->group ? "group " : "", l->group ? (name ? name : "(out of memory)") : "",
                    l->group ? " " : "", l->topic, l->partition, l->kind, l->from, l->to,
                    l->to - l->from);
            free(name);
        }
    }
    if (a->count_offline || a->count_under_min_isr || a->nmissing_brokers)
        fprintf(f, "\nNext: restart the missing brokers (krt-audit --watch 5 shows recovery); "
                   "lost partitions need their broker's disk back, or a restore\n");
}

json_t *krt_audit_json(const struct krt_audit *a)
{
    json_t *doc = json_object(), *brokers = json_array(), *parts = json_array(),
           *topics = json_array(), *groups = json_array(), *losses = json_array();
    json_object_set_new(doc, "krt_audit", json_integer(1));
    json_object_set_new(doc, "taken", krt_json_time(a->taken_ms));
    json_object_set_new(doc, "what_if", json_boolean(a->nassumed_down > 0));
    json_object_set_new(doc, "assumed_down", ids_json(a->assumed_down, a->nassumed_down));
    for (int i = 0; i < a->nbrokers; i++) {
        json_t *b = json_object();
        json_object_set_new(b, "id", json_integer(a->brokers[i].id));
        json_object_set_new(b, "host", json_string(a->brokers[i].host));
        json_object_set_new(b, "port", json_integer(a->brokers[i].port));
        json_object_set_new(b, "rack", krt_json_str(a->brokers[i].rack));
        json_array_append_new(brokers, b);
    }
    json_object_set_new(doc, "brokers", brokers);
    json_object_set_new(doc, "missing_brokers", ids_json(a->missing_brokers, a->nmissing_brokers));
    json_t *sum = json_object();
    json_object_set_new(sum, "partitions", json_integer((json_int_t)a->nparts));
    json_object_set_new(sum, "offline", json_integer((json_int_t)a->count_offline));
    json_object_set_new(sum, "lost", json_integer((json_int_t)a->count_lost));
    json_object_set_new(sum, "under_min_isr", json_integer((json_int_t)a->count_under_min_isr));
    json_object_set_new(sum, "at_min_isr", json_integer((json_int_t)a->count_at_min_isr));
    json_object_set_new(sum, "under_replicated", json_integer((json_int_t)a->count_under_replicated));
    json_object_set_new(sum, "healthy", json_integer((json_int_t)a->count_healthy));
    json_object_set_new(sum, "exit_code", json_integer(krt_audit_exit_code(a)));
    json_object_set_new(doc, "summary", sum);
    for (size_t i = 0; i < a->nparts; i++) {
        const struct krt_apart *p = &a->parts[i];
        if (!p->state && !p->risks)
            continue;
        json_t *o = json_object(), *st = json_array(), *rk = json_array();
        json_object_set_new(o, "topic", json_string(a->topics[p->topic].name));
        json_object_set_new(o, "partition", json_integer(p->partition));
        json_object_set_new(o, "leader", p->leader >= 0 ? json_integer(p->leader) : json_null());
        json_object_set_new(o, "replicas", ids_json(p->replicas, p->nreplicas));
        json_object_set_new(o, "isr", ids_json(p->isr, p->nisr));
        json_object_set_new(o, "missing_replicas", ids_json(p->missing, p->nmissing));
        for (size_t b = 0; b < NELEM(state_bits); b++)
            if (p->state & state_bits[b])
                json_array_append_new(st, json_string(krt_audit_state_name(state_bits[b])));
        for (size_t b = 0; b < NELEM(risk_bits); b++)
            if (p->risks & risk_bits[b])
                json_array_append_new(rk, json_string(krt_audit_risk_name(risk_bits[b])));
        json_object_set_new(o, "states", st);
        json_object_set_new(o, "risks", rk);
        json_array_append_new(parts, o);
    }
    json_object_set_new(doc, "partitions", parts);
    for (int i = 0; i < a->ntopics; i++) {
        const struct krt_atopic *t = &a->topics[i];
        json_t *o = json_object(), *rk = json_array();
        json_object_set_new(o, "topic", json_string(t->name));
        json_object_set_new(o, "partitions", json_integer(t->nparts));
        json_object_set_new(o, "replication_factor", json_integer(t->rf));
        json_object_set_new(o, "min_insync_replicas", json_integer(t->min_isr));
        json_object_set_new(o, "unclean_leader_election", json_boolean(t->unclean));
        json_object_set_new(o, "compacted", json_boolean(t->compacted));
        for (size_t b = 0; b < NELEM(risk_bits); b++)
            if (t->risks & risk_bits[b])
                json_array_append_new(rk, json_string(krt_audit_risk_name(risk_bits[b])));
        json_object_set_new(o, "risks", rk);
        json_array_append_new(topics, o);
    }
    json_object_set_new(doc, "topics", topics);
    for (size_t i = 0; i < a->nfindings; i++) {
        const struct krt_agroup_finding *g = &a->findings[i];
        json_t *o = json_object();
        char *cmd = repair_cmd(g);
        json_object_set_new(o, "group", json_string(g->group));
        json_object_set_new(o, "topic", json_string(g->topic));
        json_object_set_new(o, "partition", json_integer(g->partition));
        json_object_set_new(o, "committed_offset", json_integer(g->committed));
        json_object_set_new(o, "log_start_offset", json_integer(g->log_start));
        json_object_set_new(o, "high_watermark", json_integer(g->high));
        json_object_set_new(o, "status", json_string(g->above ? "above-high-watermark"
                                                              : "below-log-start"));
        json_object_set_new(o, "repair", cmd ? json_string(cmd) : json_null());
        free(cmd);
        json_array_append_new(groups, o);
    }
    json_object_set_new(doc, "group_findings", groups);
    json_object_set_new(doc, "baseline", a->has_baseline ? krt_json_time(a->baseline_created_ms)
                                                         : json_null());
    for (size_t i = 0; i < a->nlosses; i++) {
        const struct krt_aloss *l = &a->losses[i];
        json_t *o = json_object();
        json_object_set_new(o, "group", krt_json_str(l->group));
        json_object_set_new(o, "topic", json_string(l->topic));
        json_object_set_new(o, "partition", json_integer(l->partition));
        json_object_set_new(o, "kind", json_string(l->kind));
        json_object_set_new(o, "from_offset", json_integer(l->from));
        json_object_set_new(o, "to_offset", json_integer(l->to));
        json_object_set_new(o, "records", json_integer(l->to - l->from));
        json_array_append_new(losses, o);
    }
    json_object_set_new(doc, "losses", losses);
    return doc;
}

static void prom_escape(const char *s, FILE *f)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            fputc('\\', f);
        if (*s == '\n') {
            fputs("\\n", f);
            continue;
        }
        fputc(*s, f);
    }
}

void krt_audit_prometheus(const struct krt_audit *a, FILE *f)
{
    fprintf(f, "# HELP krt_audit_brokers_registered Brokers registered in the cluster.\n"
               "# TYPE krt_audit_brokers_registered gauge\n"
               "krt_audit_brokers_registered %d\n",
            a->nbrokers);
    fprintf(f, "# HELP krt_audit_brokers_missing Brokers that hold replicas but are not registered.\n"
               "# TYPE krt_audit_brokers_missing gauge\n"
               "krt_audit_brokers_missing %d\n",
            a->nmissing_brokers);
    fprintf(f, "# HELP krt_audit_partitions Partitions per topic and state.\n"
               "# TYPE krt_audit_partitions gauge\n");
    for (int t = 0; t < a->ntopics; t++) {
        size_t cnt[NELEM(state_bits)] = {0}, healthy = 0;
        for (size_t i = 0; i < a->nparts; i++) {
            if (a->parts[i].topic != t)
                continue;
            healthy += a->parts[i].state == 0;
            for (size_t b = 0; b < NELEM(state_bits); b++)
                cnt[b] += !!(a->parts[i].state & state_bits[b]);
        }
        for (size_t b = 0; b <= NELEM(state_bits); b++) {
            fputs("krt_audit_partitions{topic=\"", f);
            prom_escape(a->topics[t].name, f);
            fprintf(f, "\",state=\"%s\"} %zu\n",
                    b < NELEM(state_bits) ? krt_audit_state_name(state_bits[b]) : "healthy",
                    b < NELEM(state_bits) ? cnt[b] : healthy);
        }
    }
    fprintf(f, "# HELP krt_audit_topic_risk Risks of a topic (1 when present).\n"
               "# TYPE krt_audit_topic_risk gauge\n");
    for (int t = 0; t < a->ntopics; t++)
        for (size_t b = 0; b < NELEM(risk_bits); b++)
            if (a->topics[t].risks & risk_bits[b]) {
                fputs("krt_audit_topic_risk{topic=\"", f);
                prom_escape(a->topics[t].name, f);
                fprintf(f, "\",risk=\"%s\"} 1\n", krt_audit_risk_name(risk_bits[b]));
            }
    fprintf(f, "# HELP krt_audit_group_out_of_range Committed offsets outside the log.\n"
               "# TYPE krt_audit_group_out_of_range gauge\n"
               "krt_audit_group_out_of_range %zu\n",
            a->nfindings);
}

static const struct krt_apart *find_in(const struct krt_audit *a, const struct krt_audit *other,
                                       const struct krt_apart *p)
{
    return find_part(a, other->topics[p->topic].name, p->partition);
}

/* Print "TS broker ID WHAT" for each broker of @p a that @p b lacks. */
static int brokers_not_in(const struct krt_audit *a, const struct krt_audit *b, const char *ts,
                          const char *what, FILE *f)
{
    int n = 0;
    for (int i = 0; i < a->nbrokers; i++) {
        bool found = false;
        for (int k = 0; k < b->nbrokers && !found; k++)
            found = b->brokers[k].id == a->brokers[i].id;
        if (!found) {
            fprintf(f, "%s broker %d %s\n", ts, a->brokers[i].id, what);
            n++;
        }
    }
    return n;
}

int krt_audit_diff(const struct krt_audit *prev, const struct krt_audit *cur, FILE *f)
{
    char ts[40];
    int n = 0;
    krt_time_format(cur->taken_ms, ts, sizeof(ts));
    n += brokers_not_in(prev, cur, ts, "lost", f);
    n += brokers_not_in(cur, prev, ts, "registered", f);
    for (size_t i = 0; i < cur->nparts; i++) {
        const struct krt_apart *p = &cur->parts[i], *q = find_in(prev, cur, p);
        unsigned was = q ? q->state : 0;
        if (q && was == p->state && p->nisr == q->nisr)
            continue;
        if (!q && !p->state)
            continue;
        char isr[128];
        ids_str(p->isr, p->nisr, isr, sizeof(isr));
        if (was == p->state) {
            fprintf(f, "%s %s-%d: isr now %s\n", ts, cur->topics[p->topic].name, p->partition, isr);
        } else {
            fprintf(f, "%s %s-%d: %s -> %s (isr %s)\n", ts, cur->topics[p->topic].name,
                    p->partition, worst_state(was), worst_state(p->state), isr);
        }
        n++;
    }
    return n;
}
