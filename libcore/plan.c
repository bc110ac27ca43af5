/* plan.c - see plan.h */
#define _POSIX_C_SOURCE 200809L
#include "plan.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jread.h"
#include "opts.h"
#include "timespec.h"

void krt_planfile_free(struct krt_planfile *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].group);
        free(f->v[i].topic);
        free(f->v[i].metadata);
    }
    free(f->v);
    *f = (struct krt_planfile){0};
}

static struct krt_planfile_entry *pf_add(struct krt_planfile *f)
{
    struct krt_planfile_entry *v = realloc(f->v, sizeof(*v) * (f->n + 1));
    if (!v)
        return NULL;
    f->v = v;
    memset(&v[f->n], 0, sizeof(*v));
    return &v[f->n++];
}

/* A repeated (group, topic, partition) fails AlterConsumerGroupOffsets as a whole,
 * after the undo file is written: refused when the file is read. */
static bool pf_has(const struct krt_planfile *f, const char *group, const char *topic,
                   int32_t partition)
{
    for (size_t i = 0; i < f->n; i++) {
        const char *g = f->v[i].group;
        bool same_group = g && group ? !strcmp(g, group) : g == group;
        if (same_group && f->v[i].partition == partition && !strcmp(f->v[i].topic, topic))
            return true;
    }
    return false;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int parse_csv(const char *path, char *text, struct krt_planfile *out,
                     struct krt_error *err)
{
    int line = 0;
    for (char *l = text, *next; l; l = next) {
        next = strchr(l, '\n');
        if (next)
            *next++ = '\0';
        line++;
        char *s = trim(l);
        if (!*s || *s == '#')
            continue;
        char *f[5];
        int nf = 0;
        for (char *p = s; nf < 5;) {
            f[nf++] = p;
            char *c = strchr(p, ',');
            if (!c)
                break;
            *c = '\0';
            p = c + 1;
        }
        if (nf != 3 && nf != 4)
            return krt_error_set(err, KRT_ERR_INPUT,
                                 "%s:%d: expected topic,partition,offset or "
                                 "group,topic,partition,offset",
                                 path, line);
        char *g = nf == 4 ? trim(f[0]) : NULL, *t = trim(f[nf - 3]);
        int64_t p, o;
        if (!*t || (g && !*g))
            return krt_error_set(err, KRT_ERR_INPUT, "%s:%d: empty group or topic", path, line);
        if (krt_parse_int64(trim(f[nf - 2]), &p) || p > INT32_MAX)
            return krt_error_set(err, KRT_ERR_INPUT,
                                 "%s:%d: bad partition '%s' (a number from 0 to 2147483647)",
                                 path, line, trim(f[nf - 2]));
        if (krt_parse_int64(trim(f[nf - 1]), &o))
            return krt_error_set(err, KRT_ERR_INPUT,
                                 "%s:%d: bad offset '%s' (a number >= 0)", path, line,
                                 trim(f[nf - 1]));
        if (pf_has(out, g, t, (int32_t)p))
            return krt_error_set(err, KRT_ERR_INPUT,
                                 "%s:%d: '%s' partition %" PRId64 "%s%s%s is listed twice", path,
                                 line, t, p, g ? " of group '" : "", g ? g : "", g ? "'" : "");
        struct krt_planfile_entry *e = pf_add(out);
        if (!e || !(e->topic = strdup(t)) || (g && !(e->group = strdup(g))))
            return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        e->partition = (int32_t)p;
        e->offset = o;
    }
    return 0;
}

#define OFF_RANGE 0, INT64_MAX
/* krt-rewind's JSON plan (--export) and undo file: every key it writes. */
static const struct krt_jfield plan_keys[] = {
    {"krt_plan", KRT_J_STRING, KRT_J_REQUIRED, 0, 0},
    {"version", KRT_J_INT, 0, 1, 1},
    {"created", KRT_J_STRING, 0, 0, 0},
    {"spec", KRT_J_STRING, 0, 0, 0},
    {"executed", KRT_J_BOOL, 0, 0, 0},
    {"undo_file", KRT_J_STRING, KRT_J_NULLABLE, 0, 0},
    {"groups", KRT_J_ARRAY, KRT_J_REQUIRED, 0, 0},
    {"summary", KRT_J_OBJECT, 0, 0, 0},
    {NULL, 0, 0, 0, 0}};
static const struct krt_jfield group_keys[] = {
    {"group", KRT_J_STRING, KRT_J_REQUIRED, 0, 0},
    {"state", KRT_J_STRING, KRT_J_NULLABLE, 0, 0},
    {"members", KRT_J_ARRAY, 0, 0, 0},
    {"partitions", KRT_J_ARRAY, KRT_J_REQUIRED, 0, 0},
    {"untouched", KRT_J_INT, 0, OFF_RANGE},
    {NULL, 0, 0, 0, 0}};
static const struct krt_jfield row_keys[] = {
    {"topic", KRT_J_STRING, KRT_J_REQUIRED, 0, 0},
    {"partition", KRT_J_ANY, KRT_J_REQUIRED, 0, 0}, /* krt_jread_partition */
    {"offset", KRT_J_ANY, KRT_J_REQUIRED, 0, 0},    /* krt_jread_offset */
    {"metadata", KRT_J_STRING, KRT_J_NULLABLE, 0, 0},
    {"previous", KRT_J_INT, KRT_J_NULLABLE, OFF_RANGE},
    {"previous_metadata", KRT_J_STRING, KRT_J_NULLABLE, 0, 0},
    {"delta", KRT_J_INT, KRT_J_NULLABLE, INT64_MIN + 1, INT64_MAX},
    {"log_start_offset", KRT_J_INT, KRT_J_NULLABLE, OFF_RANGE},
    {"high_watermark", KRT_J_INT, KRT_J_NULLABLE, OFF_RANGE},
    {"requested", KRT_J_INT, KRT_J_NULLABLE, INT64_MIN + 1, INT64_MAX},
    {"clamped", KRT_J_BOOL, 0, 0, 0},
    {"landed_timestamp", KRT_J_STRING, KRT_J_NULLABLE, 0, 0},
    {"note", KRT_J_STRING, KRT_J_NULLABLE, 0, 0},
    {"warning", KRT_J_STRING, KRT_J_NULLABLE, 0, 0},
    {"error", KRT_J_STRING, KRT_J_NULLABLE, 0, 0},
    {NULL, 0, 0, 0, 0}};

static int parse_row(const char *path, const char *jp, const char *gname, const json_t *row,
                     struct krt_planfile *out, struct krt_error *err)
{
    char p1[256], p2[256];
    const char *topic, *meta = NULL;
    int32_t part;
    int64_t off;
    const json_t *jm = json_object_get(row, "metadata");
    if (krt_jread_object(path, jp, row, row_keys, err) ||
        krt_jread_string(path, krt_jpath_key(p1, sizeof(p1), jp, "topic"),
                         json_object_get(row, "topic"), 1, &topic, err) ||
        krt_jread_partition(path, krt_jpath_key(p1, sizeof(p1), jp, "partition"),
                            json_object_get(row, "partition"), &part, err) ||
        krt_jread_offset(path, krt_jpath_key(p2, sizeof(p2), jp, "offset"),
                         json_object_get(row, "offset"), 1, &off, err))
        return -1;
    if (json_is_string(jm))
        meta = json_string_value(jm);
    if (pf_has(out, gname, topic, part))
        return krt_jread_fail(err, path, jp, "'%s' partition %d of group '%s' is listed twice",
                              topic, part, gname);
    struct krt_planfile_entry *e = pf_add(out);
    if (!e || !(e->topic = strdup(topic)) || !(e->group = strdup(gname)) ||
        (meta && !(e->metadata = strdup(meta))))
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    e->partition = part;
    e->offset = off;
    return 0;
}

static int parse_json(const char *path, const char *text, size_t len, struct krt_planfile *out,
                      struct krt_error *err)
{
    json_error_t je;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!doc)
        return krt_error_set(err, KRT_ERR_INPUT, "%s:%d:%d: %s", path, je.line, je.column,
                             je.text);
    int rc = -1;
    const char *kind;
    static const char *const kinds[] = {"rewind", NULL};
    int k;
    kind = json_string_value(json_object_get(doc, "krt_plan"));
    if (krt_jread_enum(path, "/krt_plan", json_object_get(doc, "krt_plan"), kinds, &k, err)) {
        krt_error_set(err, KRT_ERR_INPUT, "%s: not a krt-rewind plan or undo file (\"krt_plan\" "
                      "is %s%s%s)", path, kind ? "\"" : "", kind ? kind : "missing",
                      kind ? "\"" : "");
        goto out;
    }
    if (krt_jread_object(path, "", doc, plan_keys, err))
        goto out;
    size_t gi, pi;
    json_t *g, *row;
    json_array_foreach(json_object_get(doc, "groups"), gi, g)
    {
        char gp[128], pp[256], rp[320];
        const char *gname;
        krt_jpath_index(gp, sizeof(gp), "/groups", gi);
        if (krt_jread_object(path, gp, g, group_keys, err) ||
            krt_jread_string(path, krt_jpath_key(pp, sizeof(pp), gp, "group"),
                             json_object_get(g, "group"), 1, &gname, err))
            goto out;
        krt_jpath_key(pp, sizeof(pp), gp, "partitions");
        json_array_foreach(json_object_get(g, "partitions"), pi, row)
        {
            if (parse_row(path, krt_jpath_index(rp, sizeof(rp), pp, pi), gname, row, out, err))
                goto out;
        }
    }
    rc = 0;
out:
    json_decref(doc);
    return rc;
}

int krt_planfile_read(const char *path, struct krt_planfile *out, struct krt_error *err)
{
    *out = (struct krt_planfile){0};
    char *text;
    size_t len;
    if (krt_file_read(path, 0, &text, &len, err))
        return -1;
    const char *s = text;
    while (isspace((unsigned char)*s))
        s++;
    int rc = *s == '{' ? parse_json(path, text, len, out, err) : parse_csv(path, text, out, err);
    free(text);
    if (!rc && out->n == 0)
        rc = krt_error_set(err, KRT_ERR_INPUT, "%s: no offsets in the file", path);
    if (rc)
        krt_planfile_free(out);
    return rc;
}

/* FNV-1a, 64 bits: tells apart two long names that share their first bytes. */
static uint64_t name_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

#define NAME_MAX_ENCODED 120

int krt_plan_path(char *buf, size_t n, const char *kind, const char *name,
                  struct krt_error *err)
{
    static const char hex[] = "0123456789ABCDEF";
    char enc[NAME_MAX_ENCODED + 24], ts[40];
    size_t o = 0;
    const char *s = name;
    for (; *s && o + 3 <= NAME_MAX_ENCODED; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '.' || c == '_' || c == '-') {
            enc[o++] = (char)c;
        } else {
            enc[o++] = '%';
            enc[o++] = hex[c >> 4];
            enc[o++] = hex[c & 15];
        }
    }
    if (*s)
        o += (size_t)snprintf(enc + o, sizeof(enc) - o, "~%016" PRIx64, name_hash(name));
    enc[o] = '\0';
    const char *dir = getenv("KRT_UNDO_DIR");
    krt_time_format(krt_now_ms(), ts, sizeof(ts));
    for (char *c = ts; *c; c++)
        if (*c == ':' || *c == '.')
            *c = '-';
    int w = snprintf(buf, n, "%s/krt-%s-%s-%s.json", dir && *dir ? dir : ".", kind, enc, ts);
    if (w < 0 || (size_t)w >= n)
        return krt_error_set(err, KRT_ERR_IO, "the path of the %s file in '%s' is too long",
                             kind, dir && *dir ? dir : ".");
    return 0;
}
