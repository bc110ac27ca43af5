/* backup_manifest.c - the backup manifest: model, JSON, typed reading. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup.h"
#include "jread.h"
#include "json_out.h"
#include "timespec.h"

static const char *const gap_reasons[] = {"log-start", "no-records", NULL};
static const char *const div_reasons[] = {"record-differs", "log-end", NULL};
static const char *const codec_names[] = {"null", "deflate", "snappy", NULL};

struct krt_bk_topic *krt_backup_topic(struct krt_backup_manifest *m, const char *name,
                                      int create)
{
    int i = 0;
    for (; i < m->ntopics; i++) {
        int c = strcmp(m->topics[i].name, name);
        if (!c)
            return &m->topics[i];
        if (c > 0)
            break;
    }
    if (!create)
        return NULL;
    struct krt_bk_topic *nv = realloc(m->topics, (size_t)(m->ntopics + 1) * sizeof(*nv));
    if (!nv)
        return NULL;
    m->topics = nv;
    memmove(&nv[i + 1], &nv[i], (size_t)(m->ntopics - i) * sizeof(*nv));
    m->ntopics++;
    memset(&nv[i], 0, sizeof(nv[i]));
    if (!(nv[i].name = strdup(name))) {
        memmove(&nv[i], &nv[i + 1], (size_t)(m->ntopics - i - 1) * sizeof(*nv));
        m->ntopics--;
        return NULL;
    }
    return &nv[i];
}

struct krt_bk_part *krt_backup_part(struct krt_bk_topic *t, int32_t partition, int create)
{
    int i = 0;
    for (; i < t->nparts; i++) {
        if (t->parts[i].partition == partition)
            return &t->parts[i];
        if (t->parts[i].partition > partition)
            break;
    }
    if (!create)
        return NULL;
    struct krt_bk_part *nv = realloc(t->parts, (size_t)(t->nparts + 1) * sizeof(*nv));
    if (!nv)
        return NULL;
    t->parts = nv;
    memmove(&nv[i + 1], &nv[i], (size_t)(t->nparts - i) * sizeof(*nv));
    t->nparts++;
    memset(&nv[i], 0, sizeof(nv[i]));
    nv[i].partition = partition;
    nv[i].position = nv[i].cut = nv[i].last_offset = -1;
    return &nv[i];
}

static void part_free(struct krt_bk_part *p)
{
    for (int i = 0; i < p->nsegs; i++) {
        free(p->segs[i].file);
        free(p->segs[i].cluster_id);
    }
    free(p->segs);
    free(p->gaps);
    free(p->divs);
}

void krt_backup_manifest_free(struct krt_backup_manifest *m)
{
    for (int i = 0; i < m->ntopics; i++) {
        struct krt_bk_topic *t = &m->topics[i];
        for (int j = 0; j < t->nparts; j++)
            part_free(&t->parts[j]);
        free(t->parts);
        free(t->name);
        krt_props_free(&t->configs);
    }
    free(m->topics);
    for (int i = 0; i < m->ngroups; i++) {
        free(m->groups[i].group);
        krt_tplist_free(&m->groups[i].offsets);
        free(m->groups[i].error);
    }
    free(m->groups);
    free(m->cluster_id);
    free(m->codec);
    memset(m, 0, sizeof(*m));
}

/* ---- writing ---- */

static json_t *segment_json(const struct krt_bk_segment *s)
{
    json_t *o = json_pack("{s:s, s:I, s:I, s:o, s:o, s:I, s:I, s:o, s:o, s:s, s:s}", "file", s->file,
                     "from", (json_int_t)s->from, "to", (json_int_t)s->to, "first_offset",
                     krt_json_offset(s->first), "last_offset", krt_json_offset(s->last),
                     "records", (json_int_t)s->records, "bytes", (json_int_t)s->bytes,
                     "min_timestamp", krt_json_offset(s->min_ts), "max_timestamp",
                     krt_json_offset(s->max_ts), "codec", codec_names[s->codec], "sha256",
                     s->sha256);
    if (o && s->cluster_id)
        json_object_set_new(o, "cluster_id", json_string(s->cluster_id));
    return o;
}

static json_t *part_json(const struct krt_bk_part *p)
{
    json_t *segs = json_array(), *gaps = json_array();
    for (int i = 0; i < p->nsegs; i++)
        json_array_append_new(segs, segment_json(&p->segs[i]));
    for (int i = 0; i < p->ngaps; i++)
        json_array_append_new(gaps, json_pack("{s:I, s:I, s:s, s:o}", "from",
                                              (json_int_t)p->gaps[i].from, "to",
                                              (json_int_t)p->gaps[i].to, "reason",
                                              gap_reasons[p->gaps[i].reason], "detected",
                                              krt_json_time(p->gaps[i].detected_ms)));
    json_t *o = json_pack("{s:i, s:o, s:o, s:o, s:o}", "partition", (int)p->partition,
                          "position", krt_json_offset(p->position), "cut",
                          krt_json_offset(p->cut), "segments", segs, "gaps", gaps);
    if (o && p->last_offset >= 0 && p->last_sha256[0])
        json_object_set_new(o, "last_record",
                            json_pack("{s:I, s:s}", "offset", (json_int_t)p->last_offset,
                                      "sha256", p->last_sha256));
    if (o && p->ndivs) {
        json_t *divs = json_array();
        for (int i = 0; i < p->ndivs; i++) {
            const struct krt_bk_divergence *d = &p->divs[i];
            json_array_append_new(
                divs, json_pack("{s:I, s:I, s:I, s:s, s:o}", "offset", (json_int_t)d->offset,
                                "backup_end", (json_int_t)d->backup_end, "log_end",
                                (json_int_t)d->log_end, "reason", div_reasons[d->reason],
                                "detected", krt_json_time(d->detected_ms)));
        }
        json_object_set_new(o, "divergences", divs);
    }
    return o;
}

json_t *krt_backup_manifest_json(const struct krt_backup_manifest *m)
{
    json_t *topics = json_array(), *groups = json_array();
    for (int i = 0; i < m->ntopics; i++) {
        const struct krt_bk_topic *t = &m->topics[i];
        json_t *cfg = json_object(), *parts = json_array();
        for (size_t k = 0; k < t->configs.n; k++)
            json_object_set_new(cfg, t->configs.items[k].key,
                                json_string(t->configs.items[k].value));
        for (int j = 0; j < t->nparts; j++)
            json_array_append_new(parts, part_json(&t->parts[j]));
        json_array_append_new(topics,
                              json_pack("{s:s, s:i, s:i, s:o, s:o}", "name", t->name,
                                        "partition_count", t->partition_count,
                                        "replication_factor", t->replication_factor, "configs",
                                        cfg, "partitions", parts));
    }
    for (int i = 0; i < m->ngroups; i++) {
        json_t *offs = json_array();
        const struct krt_tplist *l = &m->groups[i].offsets;
        for (size_t k = 0; k < l->n; k++)
            json_array_append_new(offs, json_pack("{s:s, s:i, s:I, s:o}", "topic",
                                                  l->v[k].topic, "partition",
                                                  (int)l->v[k].partition, "offset",
                                                  (json_int_t)l->v[k].offset, "metadata",
                                                  krt_json_str(l->v[k].metadata)));
        json_t *g = json_pack("{s:s, s:o}", "group", m->groups[i].group, "offsets", offs);
        if (g && m->groups[i].error) {
            json_object_set_new(g, "captured", json_false());
            json_object_set_new(g, "error", json_string(m->groups[i].error));
        }
        json_array_append_new(groups, g);
    }
    return json_pack("{s:s, s:i, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "format", "krt-backup",
                     "version", 1, "cluster_id", m->cluster_id ? m->cluster_id : "", "codec",
                     m->codec ? m->codec : "null", "created", krt_json_time(m->created_ms),
                     "updated", krt_json_time(m->updated_ms), "cut", krt_json_time(m->cut_ms),
                     "topics", topics, "groups", groups);
}


/* ---- reading ---- */

struct rd {
    const char *file;
    struct krt_error *err;
};

static int read_time(struct rd *r, const char *jpath, const json_t *v, int64_t *ms)
{
    const char *s;
    *ms = -1;
    if (json_is_null(v))
        return 0;
    if (krt_jread_string(r->file, jpath, v, 1, &s, r->err))
        return -1;
    struct krt_error e;
    if (krt_time_parse(s, "UTC", ms, &e))
        return krt_jread_fail(r->err, r->file, jpath, "expected an ISO-8601 time, not '%s'", s);
    return 0;
}

static const struct krt_jfield seg_fields[] = {
    {"file", KRT_J_STRING, KRT_J_REQUIRED, 0, 0},
    {"from", KRT_J_INT, KRT_J_REQUIRED, 0, INT64_MAX},
    {"to", KRT_J_INT, KRT_J_REQUIRED, 0, INT64_MAX},
    {"first_offset", KRT_J_INT, KRT_J_REQUIRED | KRT_J_NULLABLE, 0, INT64_MAX},
    {"last_offset", KRT_J_INT, KRT_J_REQUIRED | KRT_J_NULLABLE, 0, INT64_MAX},
    {"records", KRT_J_INT, KRT_J_REQUIRED, 0, INT64_MAX},
    {"bytes", KRT_J_INT, KRT_J_REQUIRED, 0, INT64_MAX},
    {"min_timestamp", KRT_J_INT, KRT_J_REQUIRED | KRT_J_NULLABLE, INT64_MIN, INT64_MAX},
    {"max_timestamp", KRT_J_INT, KRT_J_REQUIRED | KRT_J_NULLABLE, INT64_MIN, INT64_MAX},
    {"codec", KRT_J_STRING, KRT_J_REQUIRED, 0, 0},
    {"sha256", KRT_J_STRING, KRT_J_REQUIRED, 0, 0},
    {"cluster_id", KRT_J_STRING, 0, 0, 0},
    {NULL, 0, 0, 0, 0},
};

static int read_nullable_int(const json_t *v, int64_t *out)
{
    *out = json_is_null(v) ? -1 : (int64_t)json_integer_value(v);
    return 0;
}

static int read_segment(struct rd *r, const char *jp, const json_t *v, struct krt_bk_segment *s)
{
    char p[512];
    const char *file, *sha;
    int codec;
    if (krt_jread_object(r->file, jp, v, seg_fields, r->err) ||
        krt_jread_string(r->file, krt_jpath_key(p, sizeof(p), jp, "file"),
                         json_object_get(v, "file"), 1, &file, r->err) ||
        krt_jread_string(r->file, krt_jpath_key(p, sizeof(p), jp, "sha256"),
                         json_object_get(v, "sha256"), 1, &sha, r->err) ||
        krt_jread_enum(r->file, krt_jpath_key(p, sizeof(p), jp, "codec"),
                       json_object_get(v, "codec"), codec_names, &codec, r->err))
        return -1;
    if (strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64)
        return krt_jread_fail(r->err, r->file, krt_jpath_key(p, sizeof(p), jp, "sha256"),
                              "expected 64 lowercase hex digits");
    if (strstr(file, "..") || file[0] == '/')
        return krt_jread_fail(r->err, r->file, krt_jpath_key(p, sizeof(p), jp, "file"),
                              "expected a name inside the backup directory");
    const json_t *cid = json_object_get(v, "cluster_id");
    const char *cs;
    if (cid && krt_jread_string(r->file, krt_jpath_key(p, sizeof(p), jp, "cluster_id"), cid, 1,
                                &cs, r->err))
        return -1;
    if (cid && !(s->cluster_id = strdup(cs)))
        return krt_error_set(r->err, KRT_ERR_INTERNAL, "out of memory");
    s->file = strdup(file);
    snprintf(s->sha256, sizeof(s->sha256), "%s", sha);
    s->codec = (enum krt_seg_codec)codec;
    s->from = json_integer_value(json_object_get(v, "from"));
    s->to = json_integer_value(json_object_get(v, "to"));
    read_nullable_int(json_object_get(v, "first_offset"), &s->first);
    read_nullable_int(json_object_get(v, "last_offset"), &s->last);
    read_nullable_int(json_object_get(v, "min_timestamp"), &s->min_ts);
    read_nullable_int(json_object_get(v, "max_timestamp"), &s->max_ts);
    s->records = json_integer_value(json_object_get(v, "records"));
    s->bytes = json_integer_value(json_object_get(v, "bytes"));
    if (s->to < s->from)
        return krt_jread_fail(r->err, r->file, jp, "'to' is below 'from'");
    return s->file ? 0 : krt_error_set(r->err, KRT_ERR_INTERNAL, "out of memory");
}

static const struct krt_jfield gap_fields[] = {
    {"from", KRT_J_INT, KRT_J_REQUIRED, 0, INT64_MAX},
    {"to", KRT_J_INT, KRT_J_REQUIRED, 0, INT64_MAX},
    {"reason", KRT_J_STRING, KRT_J_REQUIRED, 0, 0},
    {"detected", KRT_J_ANY, KRT_J_REQUIRED, 0, 0},
    {NULL, 0, 0, 0, 0},
};

static const struct krt_jfield part_fields[] = {
    {"partition", KRT_J_INT, KRT_J_REQUIRED, 0, INT32_MAX},
    {"position", KRT_J_INT, KRT_J_REQUIRED | KRT_J_NULLABLE, 0, INT64_MAX},
    {"cut", KRT_J_INT, KRT_J_REQUIRED | KRT_J_NULLABLE, 0, INT64_MAX},
    {"segments", KRT_J_ARRAY, KRT_J_REQUIRED, 0, 0},
    {"gaps", KRT_J_ARRAY, KRT_J_REQUIRED, 0, 0},
    {"last_record", KRT_J_OBJECT, 0, 0, 0},
    {"divergences", KRT_J_ARRAY, 0, 0, 0},
    {NULL, 0, 0, 0, 0},
};

static const struct krt_jfield last_fields[] = {
    {"offset", KRT_J_INT, KRT_J_REQUIRED, 0, INT64_MAX},
    {"sha256", KRT_J_STRING, KRT_J_REQUIRED, 0, 0},
    {NULL, 0, 0, 0, 0},
};

static const struct krt_jfield div_fields[] = {
    {"offset", KRT_J_INT, KRT_J_REQUIRED, -1, INT64_MAX},
    {"backup_end", KRT_J_INT, KRT_J_REQUIRED, -1, INT64_MAX},
    {"log_end", KRT_J_INT, KRT_J_REQUIRED, -1, INT64_MAX},
    {"reason", KRT_J_STRING, KRT_J_REQUIRED, 0, 0},
    {"detected", KRT_J_ANY, KRT_J_REQUIRED, 0, 0},
    {NULL, 0, 0, 0, 0},
};

/* The optional last_record and divergences of a partition. */
static int read_part_checks(struct rd *r, const char *jp, const json_t *v,
                            struct krt_bk_part *bp)
{
    char p[512], q[512], dp[512];
    const json_t *last = json_object_get(v, "last_record"), *divs = json_object_get(v, "divergences");
    if (last) {
        const char *sha;
        krt_jpath_key(q, sizeof(q), jp, "last_record");
        if (krt_jread_object(r->file, q, last, last_fields, r->err) ||
            krt_jread_string(r->file, krt_jpath_key(p, sizeof(p), q, "sha256"),
                             json_object_get(last, "sha256"), 1, &sha, r->err))
            return -1;
        if (strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64)
            return krt_jread_fail(r->err, r->file, p, "expected 64 lowercase hex digits");
        bp->last_offset = json_integer_value(json_object_get(last, "offset"));
        snprintf(bp->last_sha256, sizeof(bp->last_sha256), "%s", sha);
    }
    if (!divs)
        return 0;
    bp->divs = calloc(json_array_size(divs) + 1, sizeof(*bp->divs));
    if (!bp->divs)
        return krt_error_set(r->err, KRT_ERR_INTERNAL, "out of memory");
    krt_jpath_key(q, sizeof(q), jp, "divergences");
    for (size_t i = 0; i < json_array_size(divs); i++) {
        const json_t *d = json_array_get(divs, i);
        struct krt_bk_divergence *dv = &bp->divs[i];
        int reason;
        krt_jpath_index(p, sizeof(p), q, i);
        if (krt_jread_object(r->file, p, d, div_fields, r->err) ||
            krt_jread_enum(r->file, krt_jpath_key(dp, sizeof(dp), p, "reason"),
                           json_object_get(d, "reason"), div_reasons, &reason, r->err) ||
            read_time(r, krt_jpath_key(dp, sizeof(dp), p, "detected"),
                      json_object_get(d, "detected"), &dv->detected_ms))
            return -1;
        dv->reason = (enum krt_bk_div_reason)reason;
        dv->offset = json_integer_value(json_object_get(d, "offset"));
        dv->backup_end = json_integer_value(json_object_get(d, "backup_end"));
        dv->log_end = json_integer_value(json_object_get(d, "log_end"));
        bp->ndivs++;
    }
    return 0;
}

static int read_part(struct rd *r, const char *jp, const json_t *v, struct krt_bk_topic *t)
{
    char p[512], q[512];
    if (krt_jread_object(r->file, jp, v, part_fields, r->err))
        return -1;
    int32_t id = (int32_t)json_integer_value(json_object_get(v, "partition"));
    if (krt_backup_part(t, id, 0))
        return krt_jread_fail(r->err, r->file, jp, "partition %d listed twice", (int)id);
    struct krt_bk_part *bp = krt_backup_part(t, id, 1);
    if (!bp)
        return krt_error_set(r->err, KRT_ERR_INTERNAL, "out of memory");
    read_nullable_int(json_object_get(v, "position"), &bp->position);
    read_nullable_int(json_object_get(v, "cut"), &bp->cut);
    const json_t *segs = json_object_get(v, "segments"), *gaps = json_object_get(v, "gaps");
    krt_jpath_key(q, sizeof(q), jp, "segments");
    bp->segs = calloc(json_array_size(segs) + 1, sizeof(*bp->segs));
    bp->gaps = calloc(json_array_size(gaps) + 1, sizeof(*bp->gaps));
    if (!bp->segs || !bp->gaps)
        return krt_error_set(r->err, KRT_ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < json_array_size(segs); i++) {
        if (read_segment(r, krt_jpath_index(p, sizeof(p), q, i), json_array_get(segs, i),
                         &bp->segs[bp->nsegs]))
            return -1;
        bp->nsegs++;
    }
    krt_jpath_key(q, sizeof(q), jp, "gaps");
    for (size_t i = 0; i < json_array_size(gaps); i++) {
        const json_t *g = json_array_get(gaps, i);
        struct krt_bk_gap *gp = &bp->gaps[i];
        char gp_path[512];
        int reason;
        krt_jpath_index(p, sizeof(p), q, i);
        if (krt_jread_object(r->file, p, g, gap_fields, r->err) ||
            krt_jread_enum(r->file, krt_jpath_key(gp_path, sizeof(gp_path), p, "reason"),
                           json_object_get(g, "reason"), gap_reasons, &reason, r->err) ||
            read_time(r, krt_jpath_key(gp_path, sizeof(gp_path), p, "detected"),
                      json_object_get(g, "detected"), &gp->detected_ms))
            return -1;
        gp->reason = (enum krt_bk_gap_reason)reason;
        gp->from = json_integer_value(json_object_get(g, "from"));
        gp->to = json_integer_value(json_object_get(g, "to"));
        bp->ngaps++;
    }
    return read_part_checks(r, jp, v, bp);
}

static const struct krt_jfield topic_fields[] = {
    {"name", KRT_J_STRING, KRT_J_REQUIRED, 0, 0},
    {"partition_count", KRT_J_INT, KRT_J_REQUIRED, 1, INT32_MAX},
    {"replication_factor", KRT_J_INT, KRT_J_REQUIRED, 1, 1000},
    {"configs", KRT_J_OBJECT, KRT_J_REQUIRED, 0, 0},
    {"partitions", KRT_J_ARRAY, KRT_J_REQUIRED, 0, 0},
    {NULL, 0, 0, 0, 0},
};

static int read_topic(struct rd *r, const char *jp, const json_t *v,
                      struct krt_backup_manifest *m)
{
    char p[512], q[512];
    const char *name;
    if (krt_jread_object(r->file, jp, v, topic_fields, r->err) ||
        krt_jread_string(r->file, krt_jpath_key(p, sizeof(p), jp, "name"),
                         json_object_get(v, "name"), 1, &name, r->err))
        return -1;
    if (krt_backup_topic(m, name, 0))
        return krt_jread_fail(r->err, r->file, jp, "topic '%s' listed twice", name);
    struct krt_bk_topic *t = krt_backup_topic(m, name, 1);
    if (!t)
        return krt_error_set(r->err, KRT_ERR_INTERNAL, "out of memory");
    t->partition_count = (int)json_integer_value(json_object_get(v, "partition_count"));
    t->replication_factor = (int)json_integer_value(json_object_get(v, "replication_factor"));
    const char *k;
    json_t *cv;
    krt_jpath_key(q, sizeof(q), jp, "configs");
    json_object_foreach((json_t *)json_object_get(v, "configs"), k, cv)
    {
        const char *s;
        if (krt_jread_string(r->file, krt_jpath_key(p, sizeof(p), q, k), cv, 0, &s, r->err))
            return -1;
        krt_props_add(&t->configs, k, s, 0);
    }
    const json_t *parts = json_object_get(v, "partitions");
    krt_jpath_key(q, sizeof(q), jp, "partitions");
    for (size_t i = 0; i < json_array_size(parts); i++)
        if (read_part(r, krt_jpath_index(p, sizeof(p), q, i), json_array_get(parts, i), t))
            return -1;
    return 0;
}

static const struct krt_jfield goff_fields[] = {
    {"topic", KRT_J_STRING, KRT_J_REQUIRED, 0, 0},
    {"partition", KRT_J_INT, KRT_J_REQUIRED, 0, INT32_MAX},
    {"offset", KRT_J_INT, KRT_J_REQUIRED, -1, INT64_MAX},
    {"metadata", KRT_J_STRING, KRT_J_REQUIRED | KRT_J_NULLABLE, 0, 0},
    {NULL, 0, 0, 0, 0},
};

static int read_group(struct rd *r, const char *jp, const json_t *v, struct krt_bk_group *g)
{
    static const struct krt_jfield fields[] = {
        {"group", KRT_J_STRING, KRT_J_REQUIRED, 0, 0},
        {"offsets", KRT_J_ARRAY, KRT_J_REQUIRED, 0, 0},
        {"captured", KRT_J_BOOL, 0, 0, 0},
        {"error", KRT_J_STRING, 0, 0, 0},
        {NULL, 0, 0, 0, 0},
    };
    char p[512], q[512];
    if (krt_jread_object(r->file, jp, v, fields, r->err))
        return -1;
    g->group = strdup(json_string_value(json_object_get(v, "group")));
    const json_t *ge = json_object_get(v, "error");
    if (ge && !(g->error = strdup(json_string_value(ge))))
        return krt_error_set(r->err, KRT_ERR_INTERNAL, "out of memory");
    const json_t *offs = json_object_get(v, "offsets");
    krt_jpath_key(q, sizeof(q), jp, "offsets");
    for (size_t i = 0; i < json_array_size(offs); i++) {
        const json_t *o = json_array_get(offs, i);
        if (krt_jread_object(r->file, krt_jpath_index(p, sizeof(p), q, i), o, goff_fields,
                             r->err))
            return -1;
        struct krt_tp *tp =
            krt_tplist_add(&g->offsets, json_string_value(json_object_get(o, "topic")),
                           (int32_t)json_integer_value(json_object_get(o, "partition")),
                           json_integer_value(json_object_get(o, "offset")));
        const char *md = json_string_value(json_object_get(o, "metadata"));
        if (!tp || (md && !(tp->metadata = strdup(md))))
            return krt_error_set(r->err, KRT_ERR_INTERNAL, "out of memory");
    }
    return 0;
}

static const struct krt_jfield top_fields[] = {
    {"format", KRT_J_STRING, KRT_J_REQUIRED, 0, 0},
    {"version", KRT_J_INT, KRT_J_REQUIRED, 1, 1},
    {"cluster_id", KRT_J_STRING, KRT_J_REQUIRED, 0, 0},
    {"codec", KRT_J_STRING, KRT_J_REQUIRED, 0, 0},
    {"created", KRT_J_ANY, KRT_J_REQUIRED, 0, 0},
    {"updated", KRT_J_ANY, KRT_J_REQUIRED, 0, 0},
    {"cut", KRT_J_ANY, KRT_J_REQUIRED, 0, 0},
    {"topics", KRT_J_ARRAY, KRT_J_REQUIRED, 0, 0},
    {"groups", KRT_J_ARRAY, KRT_J_REQUIRED, 0, 0},
    {NULL, 0, 0, 0, 0},
};

static int read_doc(struct rd *r, const json_t *doc, struct krt_backup_manifest *m)
{
    char p[512];
    const char *fmt = json_string_value(json_object_get(doc, "format"));
    if (fmt && strcmp(fmt, "krt-backup"))
        return krt_jread_fail(r->err, r->file, "/format", "not a krt backup manifest ('%s')",
                              fmt);
    if (krt_jread_object(r->file, "", doc, top_fields, r->err) ||
        read_time(r, "/created", json_object_get(doc, "created"), &m->created_ms) ||
        read_time(r, "/updated", json_object_get(doc, "updated"), &m->updated_ms) ||
        read_time(r, "/cut", json_object_get(doc, "cut"), &m->cut_ms))
        return -1;
    int codec;
    if (krt_jread_enum(r->file, "/codec", json_object_get(doc, "codec"), codec_names, &codec,
                       r->err))
        return -1;
    m->cluster_id = strdup(json_string_value(json_object_get(doc, "cluster_id")));
    m->codec = strdup(codec_names[codec]);
    const json_t *topics = json_object_get(doc, "topics"), *groups = json_object_get(doc, "groups");
    for (size_t i = 0; i < json_array_size(topics); i++)
        if (read_topic(r, krt_jpath_index(p, sizeof(p), "/topics", i), json_array_get(topics, i),
                       m))
            return -1;
    m->groups = calloc(json_array_size(groups) + 1, sizeof(*m->groups));
    if (!m->groups)
        return krt_error_set(r->err, KRT_ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < json_array_size(groups); i++) {
        m->ngroups++;
        if (read_group(r, krt_jpath_index(p, sizeof(p), "/groups", i), json_array_get(groups, i),
                       &m->groups[i]))
            return -1;
    }
    return 0;
}

int krt_backup_manifest_read(const char *dir, int missing_ok, struct krt_backup_manifest *m,
                             struct krt_error *err)
{
    char path[4096];
    memset(m, 0, sizeof(*m));
    m->created_ms = m->updated_ms = m->cut_ms = -1;
    snprintf(path, sizeof(path), "%s/%s", dir, KRT_BACKUP_MANIFEST);
    if (missing_ok && access(path, F_OK))
        return 0;
    json_t *doc;
    if (krt_jread_file(path, 0, &doc, err))
        return -1;
    struct rd r = {path, err};
    int rc = read_doc(&r, doc, m);
    json_decref(doc);
    if (rc)
        krt_backup_manifest_free(m);
    return rc;
}
