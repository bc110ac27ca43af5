/* meta.c - see meta.h */
#define _POSIX_C_SOURCE 200809L
#include "meta.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static int cmp_broker(const void *a, const void *b)
{
    int32_t x = ((const struct krt_broker *)a)->id, y = ((const struct krt_broker *)b)->id;
    return (x > y) - (x < y);
}

static int cmp_topic(const void *a, const void *b)
{
    return strcmp(((const struct krt_topic *)a)->name, ((const struct krt_topic *)b)->name);
}

static int cmp_part(const void *a, const void *b)
{
    int32_t x = ((const struct krt_part *)a)->id, y = ((const struct krt_part *)b)->id;
    return (x > y) - (x < y);
}

static int32_t *dup_ids(const int32_t *v, int n)
{
    int32_t *r = malloc(sizeof(*r) * (size_t)(n > 0 ? n : 1));
    if (r && n > 0)
        memcpy(r, v, sizeof(*r) * (size_t)n);
    return r;
}

int krt_meta_fetch(struct krt_conn *conn, struct krt_metadata *md, struct krt_error *err)
{
    *md = (struct krt_metadata){0};
    const struct rd_kafka_metadata *raw = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(conn->rk, 1, NULL, &raw, conn->timeout_ms);
    if (e)
        return krt_error_kafka(err, e, "cannot fetch cluster metadata");
    md->orig_broker_id = raw->orig_broker_id;
    md->brokers = calloc((size_t)raw->broker_cnt + 1, sizeof(*md->brokers));
    md->topics = calloc((size_t)raw->topic_cnt + 1, sizeof(*md->topics));
    if (!md->brokers || !md->topics)
        goto oom;
    for (int i = 0; i < raw->broker_cnt; i++) {
        struct krt_broker *b = &md->brokers[md->nbrokers++];
        b->id = raw->brokers[i].id;
        b->port = raw->brokers[i].port;
        if (!(b->host = strdup(raw->brokers[i].host)))
            goto oom;
    }
    for (int i = 0; i < raw->topic_cnt; i++) {
        const rd_kafka_metadata_topic_t *rt = &raw->topics[i];
        struct krt_topic *t = &md->topics[md->ntopics++];
        t->err = rt->err;
        if (!(t->name = strdup(rt->topic)))
            goto oom;
        t->parts = calloc((size_t)rt->partition_cnt + 1, sizeof(*t->parts));
        if (!t->parts)
            goto oom;
        for (int j = 0; j < rt->partition_cnt; j++) {
            const rd_kafka_metadata_partition_t *rp = &rt->partitions[j];
            struct krt_part *p = &t->parts[t->nparts++];
            p->id = rp->id;
            p->leader = rp->leader;
            p->err = rp->err;
            p->nreplicas = rp->replica_cnt;
            p->nisr = rp->isr_cnt;
            if (!(p->replicas = dup_ids(rp->replicas, rp->replica_cnt)) ||
                !(p->isr = dup_ids(rp->isrs, rp->isr_cnt)))
                goto oom;
        }
        qsort(t->parts, (size_t)t->nparts, sizeof(*t->parts), cmp_part);
    }
    rd_kafka_metadata_destroy(raw);
    qsort(md->brokers, (size_t)md->nbrokers, sizeof(*md->brokers), cmp_broker);
    qsort(md->topics, (size_t)md->ntopics, sizeof(*md->topics), cmp_topic);
    return 0;
oom:
    rd_kafka_metadata_destroy(raw);
    krt_meta_free(md);
    return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
}

void krt_meta_free(struct krt_metadata *md)
{
    for (int i = 0; md->brokers && i < md->nbrokers; i++)
        free(md->brokers[i].host);
    for (int i = 0; md->topics && i < md->ntopics; i++) {
        struct krt_topic *t = &md->topics[i];
        for (int j = 0; t->parts && j < t->nparts; j++) {
            free(t->parts[j].replicas);
            free(t->parts[j].isr);
        }
        free(t->parts);
        free(t->name);
    }
    free(md->brokers);
    free(md->topics);
    *md = (struct krt_metadata){0};
}

const struct krt_topic *krt_meta_topic(const struct krt_metadata *md, const char *name)
{
    struct krt_topic key = {.name = (char *)name};
    return bsearch(&key, md->topics, (size_t)md->ntopics, sizeof(*md->topics), cmp_topic);
}

const struct krt_part *krt_meta_part(const struct krt_topic *t, int32_t partition)
{
    struct krt_part key = {.id = partition};
    return bsearch(&key, t->parts, (size_t)t->nparts, sizeof(*t->parts), cmp_part);
}

const struct krt_broker *krt_meta_broker(const struct krt_metadata *md, int32_t id)
{
    struct krt_broker key = {.id = id};
    return bsearch(&key, md->brokers, (size_t)md->nbrokers, sizeof(*md->brokers), cmp_broker);
}

bool krt_topic_is_internal(const char *name)
{
    return !strncmp(name, "__", 2) || !strcmp(name, "_schemas");
}

static int parse_part(const char *s, const char *end, int32_t *out)
{
    if (s == end)
        return -1;
    long v = 0;
    for (const char *p = s; p < end; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
        if (v > INT32_MAX)
            return -1;
    }
    *out = (int32_t)v;
    return 0;
}

int krt_selection_add(struct krt_selection *sel, const char *spec, struct krt_error *err)
{
    const char *colon = strrchr(spec, ':');
    size_t tl = colon ? (size_t)(colon - spec) : strlen(spec);
    if (tl == 0)
        return krt_error_set(err, KRT_ERR_USAGE, "empty topic name in '%s'", spec);
    struct krt_tsel ts = {0};
    if (!(ts.topic = strndup(spec, tl)))
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    if (colon) {
        const char *p = colon + 1;
        size_t cap = 0;
        if (!*p)
            goto bad;
        while (*p) {
            const char *e = p + strcspn(p, ",");
            const char *dash = memchr(p, '-', (size_t)(e - p));
            int32_t lo, hi;
            if (dash ? (parse_part(p, dash, &lo) || parse_part(dash + 1, e, &hi))
                     : parse_part(p, e, &lo))
                goto bad;
            if (!dash)
                hi = lo;
            if (hi < lo) {
                krt_error_set(err, KRT_ERR_USAGE, "inverted partition range %d-%d in '%s'",
                              lo, hi, spec);
                goto fail;
            }
            /* memory bounded whatever the argument: at most a million
             * partitions in one selection, ranges counted together */
            if ((int64_t)ts.nparts + ((int64_t)hi - lo) >= 1000000) {
                krt_error_set(err, KRT_ERR_USAGE,
                              "too many partitions in '%.64s' (at most 1000000)", spec);
                goto fail;
            }
            for (int64_t x = lo; x <= hi; x++) {
                if ((size_t)ts.nparts == cap) {
                    cap = cap ? cap * 2 : 8;
                    int32_t *v = realloc(ts.parts, cap * sizeof(*v));
                    if (!v)
                        goto oom;
                    ts.parts = v;
                }
                ts.parts[ts.nparts++] = (int32_t)x;
            }
            p = *e ? e + 1 : e;
            if (*e && !*p)
                goto bad;
        }
    }
    struct krt_tsel *v = realloc(sel->v, sizeof(*v) * (size_t)(sel->n + 1));
    if (!v)
        goto oom;
    sel->v = v;
    sel->v[sel->n++] = ts;
    return 0;
bad:
    krt_error_set(err, KRT_ERR_USAGE,
                  "malformed topic selection '%s' (expected TOPIC or TOPIC:0,2,5-7)", spec);
    goto fail;
oom:
    krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
fail:
    free(ts.topic);
    free(ts.parts);
    return -1;
}

void krt_selection_free(struct krt_selection *sel)
{
    for (int i = 0; i < sel->n; i++) {
        free(sel->v[i].topic);
        free(sel->v[i].parts);
    }
    free(sel->v);
    *sel = (struct krt_selection){0};
}

struct krt_tp *krt_tplist_add(struct krt_tplist *l, const char *topic, int32_t partition,
                              int64_t offset)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct krt_tp *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return NULL;
        l->v = v;
        l->cap = cap;
    }
    char *t = strdup(topic);
    if (!t)
        return NULL;
    struct krt_tp *tp = &l->v[l->n++];
    *tp = (struct krt_tp){.topic = t, .partition = partition, .offset = offset};
    l->sorted = false;
    return tp;
}

static int cmp_tp(const void *a, const void *b)
{
    const struct krt_tp *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

struct krt_tp *krt_tplist_find(const struct krt_tplist *l, const char *topic, int32_t partition)
{
    if (l->sorted) {
        struct krt_tp key = {.topic = (char *)topic, .partition = partition};
        return l->n ? bsearch(&key, l->v, l->n, sizeof(*l->v), cmp_tp) : NULL;
    }
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].partition == partition && !strcmp(l->v[i].topic, topic))
            return &l->v[i];
    return NULL;
}

void krt_tplist_sort(struct krt_tplist *l)
{
    if (l->n > 1)
        qsort(l->v, l->n, sizeof(*l->v), cmp_tp);
    l->sorted = true;
}

void krt_tplist_free(struct krt_tplist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].topic);
        free(l->v[i].metadata);
    }
    free(l->v);
    *l = (struct krt_tplist){0};
}

static int add_all(struct krt_tplist *out, const struct krt_topic *t, struct krt_error *err)
{
    for (int j = 0; j < t->nparts; j++)
        if (!krt_tplist_add(out, t->name, t->parts[j].id, -1))
            return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    return 0;
}

int krt_selection_resolve(const struct krt_selection *sel, const struct krt_metadata *md,
                          struct krt_tplist *out, struct krt_error *err)
{
    if (sel->n == 0) {
        for (int i = 0; i < md->ntopics; i++)
            if (!krt_topic_is_internal(md->topics[i].name) && add_all(out, &md->topics[i], err))
                return -1;
        krt_tplist_sort(out);
        return 0;
    }
    for (int i = 0; i < sel->n; i++) {
        const struct krt_tsel *s = &sel->v[i];
        const struct krt_topic *t = krt_meta_topic(md, s->topic);
        if (!t || t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
            return krt_error_set(err, KRT_ERR_INPUT, "unknown topic '%s'", s->topic);
        if (!s->parts) {
            if (add_all(out, t, err))
                return -1;
            continue;
        }
        for (int k = 0; k < s->nparts; k++) {
            if (!krt_meta_part(t, s->parts[k]))
                return krt_error_set(err, KRT_ERR_INPUT,
                                     "topic '%s' has no partition %d (it has %d)", s->topic,
                                     s->parts[k], t->nparts);
            if (!krt_tplist_find(out, t->name, s->parts[k]) &&
                !krt_tplist_add(out, t->name, s->parts[k], -1))
                return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        }
    }
    krt_tplist_sort(out);
    /* the same partition named twice in two --topic arguments */
    size_t w = 0;
    for (size_t r = 0; r < out->n; r++) {
        if (w > 0 && !cmp_tp(&out->v[w - 1], &out->v[r])) {
            free(out->v[r].topic);
            free(out->v[r].metadata);
            continue;
        }
        out->v[w++] = out->v[r];
    }
    out->n = w;
    return 0;
}
