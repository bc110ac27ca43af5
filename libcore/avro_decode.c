/* avro_decode.c - see avro_decode.h */
#define _POSIX_C_SOURCE 200809L
#include "avro_decode.h"

#include "json_out.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 512

enum rkind { RK_PRIM, RK_PROMOTE, RK_RECORD, RK_ENUM, RK_ARRAY, RK_MAP, RK_FIXED, RK_WUNION,
             RK_RUNION, RK_FAIL };

struct krt_avro_res {
    enum rkind kind;
    const struct krt_avro_node *w, *r;
    /* record: per writer field, where it goes (-1: skipped) and how */
    int *target;
    struct krt_avro_res **fres;
    json_t **defs; /* per reader field: the default to fill, or NULL */
    /* enum: writer symbol -> reader symbol (-1: none) */
    int *symmap;
    /* array, map, reader union: the inner resolution; writer union: per branch */
    struct krt_avro_res *inner;
    struct krt_avro_res **branches;
    char reason[700];
};

struct cctx {
    struct krt_avro_decoder *d;
    int oom;
};

static struct krt_avro_res *compile(struct cctx *c, const struct krt_avro_node *w,
                                    const struct krt_avro_node *r, const char *path,
                                    const char *field);

static struct krt_avro_res *new_res(struct cctx *c, enum rkind k, const struct krt_avro_node *w,
                                    const struct krt_avro_node *r)
{
    struct krt_avro_decoder *d = c->d;
    if (d->nall == d->capall) {
        size_t cap = d->capall ? d->capall * 2 : 16;
        struct krt_avro_res **v = realloc(d->all, cap * sizeof(*v));
        if (!v) {
            c->oom = 1;
            return NULL;
        }
        d->all = v;
        d->capall = cap;
    }
    struct krt_avro_res *x = calloc(1, sizeof(*x));
    if (!x) {
        c->oom = 1;
        return NULL;
    }
    x->kind = k;
    x->w = w;
    x->r = r;
    d->all[d->nall++] = x;
    return x;
}

static struct krt_avro_res *fail_res(struct cctx *c, const struct krt_avro_node *w,
                                     const struct krt_avro_node *r, const char *path,
                                     const char *field, const char *msg)
{
    struct krt_avro_res *x = new_res(c, RK_FAIL, w, r);
    if (x)
        snprintf(x->reason, sizeof(x->reason), "%.250s%s%.120s%s: %.300s", *path ? path : "/",
                 field ? " '" : "", field ? field : "", field ? "'" : "", msg);
    return x;
}



/* The default as a value of the reader's type (a union's is its first branch). */
static json_t *default_value(const struct krt_avro_node *n, const json_t *def)
{
    switch (n->type) {
    case KRT_AVRO_FLOAT:
    case KRT_AVRO_DOUBLE:
        return json_real(json_number_value(def));
    case KRT_AVRO_UNION:
        return default_value(n->branches[0], def);
    case KRT_AVRO_ARRAY: {
        json_t *a = json_array();
        for (size_t i = 0; i < json_array_size(def); i++)
            json_array_append_new(a, default_value(n->items, json_array_get(def, i)));
        return a;
    }
    case KRT_AVRO_MAP: {
        json_t *o = json_object();
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)def, k, v)
        {
            json_object_set_new(o, k, default_value(n->items, v));
        }
        return o;
    }
    case KRT_AVRO_RECORD: {
        json_t *o = json_object();
        for (size_t i = 0; i < n->nfields; i++) {
            const json_t *v = json_object_get(def, n->fields[i].name);
            json_object_set_new(o, n->fields[i].name,
                                default_value(n->fields[i].type, v ? v : n->fields[i].def));
        }
        return o;
    }
    default:
        return json_deep_copy(def);
    }
}

static void note_default(struct cctx *c, const char *path, const char *field, const json_t *v)
{
    struct krt_avro_decoder *d = c->d;
    char **nv = realloc(d->defaults, (d->ndefaults + 1) * sizeof(*nv));
    if (!nv) {
        c->oom = 1;
        return;
    }
    d->defaults = nv;
    char *dump = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    char buf[700];
    snprintf(buf, sizeof(buf), "%.250s '%.120s' = %.200s", path, field, dump ? dump : "?");
    free(dump);
    for (size_t i = 0; i < d->ndefaults; i++)
        if (!strcmp(d->defaults[i], buf))
            return;
    if ((d->defaults[d->ndefaults] = strdup(buf)))
        d->ndefaults++;
}

static struct krt_avro_res *compile_record(struct cctx *c, struct krt_avro_res *x,
                                           const char *path)
{
    const struct krt_avro_node *w = x->w, *r = x->r;
    x->target = malloc((w->nfields ? w->nfields : 1) * sizeof(int));
    x->fres = calloc(w->nfields ? w->nfields : 1, sizeof(*x->fres));
    x->defs = calloc(r->nfields ? r->nfields : 1, sizeof(*x->defs));
    if (!x->target || !x->fres || !x->defs) {
        c->oom = 1;
        return x;
    }
    for (size_t i = 0; i < w->nfields; i++)
        x->target[i] = -1;
    char fp[256];
    for (size_t k = 0; k < r->nfields; k++) {
        const struct krt_avro_field *rf = &r->fields[k];
        int found = -1;
        for (size_t i = 0; i < w->nfields && found < 0; i++)
            if (!strcmp(w->fields[i].name, rf->name))
                found = (int)i;
        for (size_t a = 0; a < rf->naliases && found < 0; a++)
            for (size_t i = 0; i < w->nfields && found < 0; i++)
                if (!strcmp(w->fields[i].name, rf->aliases[a]))
                    found = (int)i;
        krt_avro_path_join(fp, sizeof(fp), path, "fields/%zu", k);
        if (found >= 0) {
            x->target[found] = (int)k;
            x->fres[found] = compile(c, w->fields[found].type, rf->type, fp, rf->name);
        } else if (rf->def) {
            x->defs[k] = default_value(rf->type, rf->def);
            note_default(c, fp, rf->name, x->defs[k]);
        } else {
            snprintf(x->reason, sizeof(x->reason),
                     "%.250s '%.120s': absent from the writer's schema and without a default", fp,
                     rf->name);
            x->kind = RK_FAIL;
            return x;
        }
    }
    return x;
}

static struct krt_avro_res *compile(struct cctx *c, const struct krt_avro_node *w,
                                    const struct krt_avro_node *r, const char *path,
                                    const char *field)
{
    for (size_t i = 0; i < c->d->nall; i++) /* recursive types: reuse the pair */
        if (c->d->all[i]->w == w && c->d->all[i]->r == r && c->d->all[i]->kind != RK_FAIL)
            return c->d->all[i];
    char msg[300], p[256];
    if (w->type == KRT_AVRO_UNION) {
        struct krt_avro_res *x = new_res(c, RK_WUNION, w, r);
        if (!x || !(x->branches = calloc(w->nbranches ? w->nbranches : 1, sizeof(*x->branches)))) {
            c->oom = 1;
            return x;
        }
        for (size_t i = 0; i < w->nbranches; i++)
            x->branches[i] = compile(c, w->branches[i], r, path, field);
        return x;
    }
    if (r->type == KRT_AVRO_UNION) {
        int pick = -1;
        for (size_t i = 0; i < r->nbranches && pick < 0; i++) {
            const struct krt_avro_node *b = r->branches[i];
            if (b->type == w->type && (!b->fullname || krt_avro_names_match(b, w)))
                pick = (int)i;
        }
        for (size_t i = 0; i < r->nbranches && pick < 0; i++)
            if (krt_avro_promotable(w->type, r->branches[i]->type))
                pick = (int)i;
        if (pick < 0) {
            snprintf(msg, sizeof(msg), "the writer's %s matches no branch of the reader's union",
                     krt_avro_node_label(w));
            return fail_res(c, w, r, path, field, msg);
        }
        struct krt_avro_res *x = new_res(c, RK_RUNION, w, r);
        if (x)
            x->inner = compile(c, w, r->branches[pick], path, field);
        return x;
    }
    if (w->type != r->type) {
        if (krt_avro_promotable(w->type, r->type))
            return new_res(c, RK_PROMOTE, w, r);
        snprintf(msg, sizeof(msg), "the writer's %s cannot be read as %s", krt_avro_node_label(w),
                 krt_avro_node_label(r));
        return fail_res(c, w, r, path, field, msg);
    }
    if (w->fullname && !krt_avro_names_match(r, w)) {
        snprintf(msg, sizeof(msg), "the writer's %s '%s' is not the reader's '%s' (no alias)",
                 krt_avro_type_name(w->type), w->fullname, r->fullname);
        return fail_res(c, w, r, path, field, msg);
    }
    struct krt_avro_res *x;
    switch (r->type) {
    case KRT_AVRO_RECORD:
        x = new_res(c, RK_RECORD, w, r);
        return x ? compile_record(c, x, path) : NULL;
    case KRT_AVRO_ENUM:
        x = new_res(c, RK_ENUM, w, r);
        if (!x || !(x->symmap = malloc((w->nsymbols ? w->nsymbols : 1) * sizeof(int)))) {
            c->oom = 1;
            return x;
        }
        for (size_t i = 0; i < w->nsymbols; i++) {
            x->symmap[i] = r->enum_default;
            for (size_t k = 0; k < r->nsymbols; k++)
                if (!strcmp(w->symbols[i], r->symbols[k]))
                    x->symmap[i] = (int)k;
        }
        return x;
    case KRT_AVRO_FIXED:
        if (w->size != r->size) {
            snprintf(msg, sizeof(msg), "fixed '%s': size %zu cannot be read as size %zu",
                     r->fullname, w->size, r->size);
            return fail_res(c, w, r, path, field, msg);
        }
        return new_res(c, RK_FIXED, w, r);
    case KRT_AVRO_ARRAY:
    case KRT_AVRO_MAP:
        x = new_res(c, r->type == KRT_AVRO_ARRAY ? RK_ARRAY : RK_MAP, w, r);
        krt_avro_path_join(p, sizeof(p), path, "%s", r->type == KRT_AVRO_ARRAY ? "items" : "values");
        if (x)
            x->inner = compile(c, w->items, r->items, p, field);
        return x;
    default:
        return new_res(c, RK_PRIM, w, r);
    }
}

int krt_avro_decoder_new(struct krt_avro_decoder *d, const struct krt_avro_schema *writer,
                         const struct krt_avro_schema *reader, struct krt_error *err)
{
    memset(d, 0, sizeof(*d));
    d->datum_max = KRT_AVRO_DATUM_MAX;
    struct cctx c = {.d = d};
    d->root = compile(&c, writer->root, reader->root, "", NULL);
    if (c.oom || !d->root) {
        krt_avro_decoder_free(d);
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    }
    return 0;
}

void krt_avro_decoder_free(struct krt_avro_decoder *d)
{
    for (size_t i = 0; i < d->nall; i++) {
        struct krt_avro_res *x = d->all[i];
        if (x->defs)
            for (size_t k = 0; k < x->r->nfields; k++)
                json_decref(x->defs[k]);
        free(x->defs);
        free(x->target);
        free(x->fres);
        free(x->symmap);
        free(x->branches);
        free(x);
    }
    free(d->all);
    for (size_t i = 0; i < d->ndefaults; i++)
        free(d->defaults[i]);
    free(d->defaults);
    memset(d, 0, sizeof(*d));
}

/* ---- binary reading ---- */

struct rd {
    const unsigned char *p, *start, *end;
    struct krt_error *err;
    uint64_t repeated_keys; /* map keys seen twice in one map (the last value kept) */
    size_t charged;        /* bytes this datum has made krt allocate so far (estimated) */
    size_t limit;          /* the bound of charged */
};

/* The memory one datum may make krt allocate is bounded for the whole datum,
 * not per collection: nested collections of items that take no byte would
 * otherwise multiply their bounds (7 bytes of input built 3 GB of JSON).
 * Each JSON value, array slot, map entry and remembered map key is charged
 * as it is allocated, by an estimate at least its cost in jansson and
 * malloc; the datum fails at the first charge over the bound. */
#define COST_SLOT 16    /* an array slot (jansson doubles its arrays) */
#define COST_ENTRY 96   /* an object entry: hashtable pair, list node, key copy */
#define COST_VALUE 48   /* a string, integer or real value */
#define COST_OBJECT 256 /* an object with its first buckets */
#define COST_KEYREF 32  /* a remembered map key (a doubling vector of 16-byte refs) */

static int charge(struct rd *b, size_t n)
{
    if (n > b->limit - b->charged)
        return krt_error_set(b->err, KRT_ERR_INPUT,
                             "datum larger than %zu bytes in memory at byte %zu of the value "
                             "(krt's bound for one datum)",
                             b->limit, (size_t)(b->p - b->start));
    b->charged += n;
    return 0;
}

static int truncated(struct rd *b)
{
    return krt_error_set(b->err, KRT_ERR_INPUT, "truncated data at byte %zu of the value", (size_t)(b->p - b->start));
}

static int read_long(struct rd *b, int64_t *v)
{
    uint64_t u = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (b->p >= b->end)
            return truncated(b);
        unsigned char c = *b->p++;
        u |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
            return 0;
        }
    }
    return krt_error_set(b->err, KRT_ERR_INPUT, "varint longer than 10 bytes at byte %zu of the value",
                         (size_t)(b->p - b->start));
}

static int read_len(struct rd *b, size_t *n)
{
    int64_t v;
    if (read_long(b, &v))
        return -1;
    if (v < 0)
        return krt_error_set(b->err, KRT_ERR_INPUT, "negative length %lld at byte %zu of the value",
                             (long long)v, (size_t)(b->p - b->start));
    if ((uint64_t)v > (uint64_t)(b->end - b->p))
        return truncated(b);
    *n = (size_t)v;
    return 0;
}

/* Bounds on a block of items, proportional to the input and never below
 * what Java's Avro reads: an item that takes at least one byte is bounded by
 * the bytes left in the value (exact, so no legitimate value is refused). An
 * item that takes no byte at all (null, a fixed of size 0, a record of such
 * fields) is bounded by Java's collection limit (SystemLimitException:
 * 2^31 - 9 items); such blocks are skipped in one step when nothing is
 * printed, so a huge count costs no time; turned into JSON (the decode
 * command's output), every item is charged to the datum's memory bound. */
#define JAVA_MAX_ITEMS 2147483639LL

/* does every value of @p n encode to zero bytes? */
static int always_empty(const struct krt_avro_node *n, int depth)
{
    if (depth > MAX_DEPTH)
        return 0;
    switch (n->type) {
    case KRT_AVRO_NULL:
        return 1;
    case KRT_AVRO_FIXED:
        return n->size == 0;
    case KRT_AVRO_RECORD:
        for (size_t i = 0; i < n->nfields; i++)
            if (!always_empty(n->fields[i].type, depth + 1))
                return 0;
        return 1;
    default:
        return 0;
    }
}

/* one block count of an array or map whose items are of writer type @p item;
 * *total counts the items of this collection so far */
static int block_count(struct rd *b, const struct krt_avro_node *item, int is_map, int64_t *total,
                       int64_t *l, int *empty)
{
    size_t n;
    if (read_long(b, l))
        return -1;
    if (*l == INT64_MIN)
        return krt_error_set(b->err, KRT_ERR_INPUT, "bad block count at byte %zu of the value",
                             (size_t)(b->p - b->start));
    if (*l < 0) {
        *l = -*l;
        if (read_len(b, &n)) /* block size in bytes */
            return -1;
    }
    *empty = !is_map && always_empty(item, 0); /* a map entry has a key: one byte at least */
    if (!*empty && *l > (int64_t)(b->end - b->p))
        return krt_error_set(b->err, KRT_ERR_INPUT,
                             "a block of %lld items at byte %zu needs more than the %zu bytes "
                             "left in the value",
                             (long long)*l, (size_t)(b->p - b->start), (size_t)(b->end - b->p));
    if (*empty && *l > JAVA_MAX_ITEMS - *total)
        return krt_error_set(b->err, KRT_ERR_INPUT,
                             "a block of %lld items at byte %zu: more than the %lld items Java's "
                             "Avro reads in one array",
                             (long long)*l, (size_t)(b->p - b->start), JAVA_MAX_ITEMS);
    *total += *l;
    return 0;
}

/* Repeated keys of one map, found without building the map: the keys point
 * into the value; sorted once the map is read. */
struct keyref {
    const unsigned char *p;
    size_t n;
};

static int keyref_cmp(const void *a, const void *b)
{
    const struct keyref *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->p, y->p, n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

struct keyset {
    struct keyref stack[32], *v;
    size_t n, cap;
};

static int keyset_add(struct keyset *k, const unsigned char *p, size_t n)
{
    if (!k->v) {
        k->v = k->stack;
        k->cap = 32;
    }
    if (k->n == k->cap) {
        struct keyref *nv = malloc(2 * k->cap * sizeof(*nv));
        if (!nv)
            return -1;
        memcpy(nv, k->v, k->n * sizeof(*nv));
        if (k->v != k->stack)
            free(k->v);
        k->v = nv;
        k->cap *= 2;
    }
    k->v[k->n++] = (struct keyref){p, n};
    return 0;
}

static uint64_t keyset_repeats(struct keyset *k)
{
    uint64_t r = 0;
    if (k->n > 1)
        qsort(k->v, k->n, sizeof(*k->v), keyref_cmp);
    for (size_t i = 1; i < k->n; i++)
        r += !keyref_cmp(&k->v[i - 1], &k->v[i]);
    if (k->v != k->stack)
        free(k->v);
    return r;
}

static json_t *real(double v)
{
    if (isnan(v))
        return json_string("NaN");
    if (isinf(v))
        return json_string(v > 0 ? "Infinity" : "-Infinity");
    return json_real(v);
}

/* bytes as a JSON string of code points 0-255 (Avro's JSON encoding) */
static json_t *bytes_json(const unsigned char *p, size_t n)
{
    char stackbuf[512];
    if (!n)
        return json_string("");
    char *s = 2 * n < sizeof(stackbuf) ? stackbuf : malloc(2 * n + 1);
    if (!s)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < 0x80) {
            s[k++] = (char)p[i];
        } else {
            s[k++] = (char)(0xC0 | (p[i] >> 6));
            s[k++] = (char)(0x80 | (p[i] & 0x3F));
        }
    }
    json_t *j = json_stringn(s, k);
    if (s != stackbuf)
        free(s);
    return j;
}

/* read a primitive of type @p t; with @p as (reader type) for promotions */
static int read_prim(struct rd *b, enum krt_avro_type t, enum krt_avro_type as, json_t **out)
{
    int64_t l;
    size_t n;
    switch (t) {
    case KRT_AVRO_NULL:
        if (out)
            *out = json_null();
        return 0;
    case KRT_AVRO_BOOLEAN:
        if (b->p >= b->end)
            return truncated(b);
        if (*b->p > 1)
            return krt_error_set(b->err, KRT_ERR_INPUT, "boolean byte %u at byte %zu", *b->p,
                                 (size_t)(b->p - b->start));
        if (out)
            *out = json_boolean(*b->p);
        b->p++;
        return 0;
    case KRT_AVRO_INT:
    case KRT_AVRO_LONG:
        if (read_long(b, &l))
            return -1;
        if (t == KRT_AVRO_INT && (l < INT32_MIN || l > INT32_MAX))
            return krt_error_set(b->err, KRT_ERR_INPUT, "int out of range at byte %zu",
                                 (size_t)(b->p - b->start));
        if (out && charge(b, COST_VALUE))
            return -1;
        if (out)
            *out = as == KRT_AVRO_FLOAT    ? real((double)(float)l)
                   : as == KRT_AVRO_DOUBLE ? real((double)l)
                                           : json_integer((json_int_t)l);
        return 0;
    case KRT_AVRO_FLOAT: {
        if (b->end - b->p < 4)
            return truncated(b);
        uint32_t u = (uint32_t)b->p[0] | (uint32_t)b->p[1] << 8 | (uint32_t)b->p[2] << 16 |
                     (uint32_t)b->p[3] << 24;
        float f;
        memcpy(&f, &u, 4);
        if (out && charge(b, COST_VALUE))
            return -1;
        b->p += 4;
        if (out)
            *out = real((double)f);
        return 0;
    }
    case KRT_AVRO_DOUBLE: {
        if (b->end - b->p < 8)
            return truncated(b);
        uint64_t u = 0;
        for (int i = 7; i >= 0; i--)
            u = u << 8 | b->p[i];
        double d;
        memcpy(&d, &u, 8);
        if (out && charge(b, COST_VALUE))
            return -1;
        b->p += 8;
        if (out)
            *out = real(d);
        return 0;
    }
    case KRT_AVRO_BYTES:
    case KRT_AVRO_STRING:
        if (read_len(b, &n))
            return -1;
        if (out && charge(b, COST_VALUE + 2 * n)) /* bytes: up to 2 UTF-8 bytes each */
            return -1;
        if (as == KRT_AVRO_STRING) {
            json_t *s = json_stringn((const char *)b->p, n);
            if (!s)
                return krt_error_set(b->err, KRT_ERR_INPUT, "string is not valid UTF-8 at byte %zu",
                                     (size_t)(b->p - b->start));
            if (out)
                *out = s;
            else
                json_decref(s);
        } else if (out) {
            *out = bytes_json(b->p, n);
        }
        b->p += n;
        return 0;
    default:
        return krt_error_set(b->err, KRT_ERR_INTERNAL, "not a primitive");
    }
}

/* skip a value of the writer's type (a writer field the reader lacks) */
static int skip(struct rd *b, const struct krt_avro_node *w, int depth)
{
    int64_t l;
    size_t n;
    if (depth > MAX_DEPTH)
        return krt_error_set(b->err, KRT_ERR_INPUT, "data nested deeper than %d", MAX_DEPTH);
    switch (w->type) {
    case KRT_AVRO_RECORD:
        for (size_t i = 0; i < w->nfields; i++)
            if (skip(b, w->fields[i].type, depth + 1))
                return -1;
        return 0;
    case KRT_AVRO_ENUM:
        return read_long(b, &l);
    case KRT_AVRO_FIXED:
        if ((size_t)(b->end - b->p) < w->size)
            return truncated(b);
        b->p += w->size;
        return 0;
    case KRT_AVRO_UNION:
        if (read_long(b, &l))
            return -1;
        if (l < 0 || (uint64_t)l >= w->nbranches)
            return krt_error_set(b->err, KRT_ERR_INPUT, "union branch %lld out of range", (long long)l);
        return skip(b, w->branches[l], depth + 1);
    case KRT_AVRO_ARRAY:
    case KRT_AVRO_MAP: {
        int64_t total = 0;
        int empty;
        for (;;) {
            if (block_count(b, w->items, w->type == KRT_AVRO_MAP, &total, &l, &empty))
                return -1;
            if (l == 0)
                return 0;
            for (int64_t i = 0; i < (empty ? 1 : l); i++) {
                if (w->type == KRT_AVRO_MAP && (read_len(b, &n) || (b->p += n, 0)))
                    return -1;
                if (skip(b, w->items, depth + 1))
                    return -1;
            }
        }
    }
    default:
        return read_prim(b, w->type, w->type, NULL);
    }
}

static int decode(struct rd *b, const struct krt_avro_res *x, json_t **out, int depth);

static int decode_record(struct rd *b, const struct krt_avro_res *x, json_t **out, int depth)
{
    const struct krt_avro_node *w = x->w, *r = x->r;
    json_t *stackv[64];
    json_t **vals = NULL;
    if (out && charge(b, COST_OBJECT + COST_ENTRY * r->nfields))
        return -1;
    if (out) {
        vals = r->nfields <= 64 ? stackv : calloc(r->nfields, sizeof(*vals));
        if (!vals)
            return krt_error_set(b->err, KRT_ERR_INTERNAL, "out of memory");
        memset(vals, 0, r->nfields * sizeof(*vals));
    }
    int rc = 0;
    for (size_t i = 0; i < w->nfields && !rc; i++) {
        if (x->target[i] < 0)
            rc = skip(b, w->fields[i].type, depth + 1);
        else
            rc = decode(b, x->fres[i], out ? &vals[x->target[i]] : NULL, depth + 1);
    }
    if (out) {
        json_t *o = rc ? NULL : json_object();
        for (size_t k = 0; k < r->nfields; k++) {
            if (o)
                json_object_set_new(o, r->fields[k].name,
                                    vals[k] ? vals[k] : json_incref(x->defs[k]));
            else
                json_decref(vals[k]);
        }
        if (vals != stackv)
            free(vals);
        *out = o;
    }
    return rc;
}

static int decode_blocks(struct rd *b, const struct krt_avro_res *x, json_t **out, int depth)
{
    int is_map = x->kind == RK_MAP;
    if (out && charge(b, is_map ? COST_OBJECT : COST_VALUE))
        return -1;
    json_t *c = out ? (is_map ? json_object() : json_array()) : NULL;
    if (out && !c)
        return krt_error_set(b->err, KRT_ERR_INTERNAL, "out of memory");
    int64_t l, total = 0;
    int empty;
    size_t n;
    struct keyset keys = {.n = 0};
    for (;;) {
        if (block_count(b, x->w->items, is_map, &total, &l, &empty))
            goto bad;
        if (l == 0)
            break;
        /* items that take no byte all decode alike: without output, one is enough */
        int64_t todo = empty && !c ? 1 : l;
        for (int64_t i = 0; i < todo; i++) {
            char keybuf[256];
            char *key = NULL;
            if (is_map) {
                if (read_len(b, &n))
                    goto bad;
                if (charge(b, c ? COST_ENTRY + n : COST_KEYREF))
                    goto bad;
                if (!c && keyset_add(&keys, b->p, n)) {
                    krt_error_set(b->err, KRT_ERR_INTERNAL, "out of memory");
                    goto bad;
                }
                key = n < sizeof(keybuf) ? keybuf : malloc(n + 1);
                if (!key) {
                    krt_error_set(b->err, KRT_ERR_INTERNAL, "out of memory");
                    goto bad;
                }
                memcpy(key, b->p, n);
                key[n] = '\0';
                b->p += n;
            } else if (c && charge(b, COST_SLOT)) {
                goto bad;
            }
            json_t *v = NULL;
            int rc = decode(b, x->inner, c ? &v : NULL, depth + 1);
            if (!rc && c) {
                /* a repeated key keeps the last value, as Java's Avro (a
                 * HashMap) and fastavro (a dict) do; it is counted */
                if (is_map && json_object_getn(c, key, n))
                    b->repeated_keys++;
                /* a key that is not UTF-8 (or holds a NUL) would be dropped
                 * or cut short by jansson: a decode error, never a lost entry */
                if (!is_map && json_array_append_new(c, v))
                    rc = krt_error_set(b->err, KRT_ERR_INTERNAL, "out of memory");
                else if (is_map && json_object_setn_new(c, key, n, v))
                    rc = krt_error_set(b->err, KRT_ERR_INPUT,
                                       "map key at byte %zu is not UTF-8 text",
                                       (size_t)(b->p - b->start));
            }
            if (key && key != keybuf)
                free(key);
            if (rc)
                goto bad;
        }
    }
    if (is_map && !c)
        b->repeated_keys += keyset_repeats(&keys);
    if (out)
        *out = c;
    return 0;
bad:
    if (is_map && !c)
        keyset_repeats(&keys);
    json_decref(c);
    return -1;
}

static int decode(struct rd *b, const struct krt_avro_res *x, json_t **out, int depth)
{
    int64_t l;
    if (depth > MAX_DEPTH)
        return krt_error_set(b->err, KRT_ERR_INPUT, "data nested deeper than %d", MAX_DEPTH);
    switch (x->kind) {
    case RK_FAIL:
        return krt_error_set(b->err, KRT_ERR_INPUT, "%s", x->reason);
    case RK_PRIM:
    case RK_PROMOTE:
        return read_prim(b, x->w->type, x->r->type, out);
    case RK_RECORD:
        return decode_record(b, x, out, depth);
    case RK_ENUM:
        if (read_long(b, &l))
            return -1;
        if (l < 0 || (uint64_t)l >= x->w->nsymbols)
            return krt_error_set(b->err, KRT_ERR_INPUT, "enum index %lld out of range", (long long)l);
        if (x->symmap[l] < 0)
            return krt_error_set(b->err, KRT_ERR_INPUT,
                                 "enum '%s': symbol %s is not in the reader's symbols and the "
                                 "reader has no enum default",
                                 x->r->fullname, x->w->symbols[l]);
        if (out && charge(b, COST_VALUE + strlen(x->r->symbols[x->symmap[l]])))
            return -1;
        if (out)
            *out = json_string(x->r->symbols[x->symmap[l]]);
        return 0;
    case RK_FIXED:
        if ((size_t)(b->end - b->p) < x->w->size)
            return truncated(b);
        if (out && charge(b, COST_VALUE + 2 * x->w->size))
            return -1;
        if (out)
            *out = bytes_json(b->p, x->w->size);
        b->p += x->w->size;
        return 0;
    case RK_ARRAY:
    case RK_MAP:
        return decode_blocks(b, x, out, depth);
    case RK_WUNION:
        if (read_long(b, &l))
            return -1;
        if (l < 0 || (uint64_t)l >= x->w->nbranches)
            return krt_error_set(b->err, KRT_ERR_INPUT,
                                 "union branch %lld out of range (the writer's union has %zu)",
                                 (long long)l, x->w->nbranches);
        return decode(b, x->branches[l], out, depth + 1);
    case RK_RUNION:
        return decode(b, x->inner, out, depth + 1);
    }
    return krt_error_set(b->err, KRT_ERR_INTERNAL, "unknown resolution");
}

int krt_avro_decode_stats(const struct krt_avro_decoder *d, const unsigned char *buf, size_t len,
                          size_t *used, json_t **out, uint64_t *repeated_keys,
                          struct krt_error *err)
{
    struct rd b = {.p = buf, .start = buf, .end = buf + len, .err = err, .limit = d->datum_max};
    if (out)
        *out = NULL;
    if (repeated_keys)
        *repeated_keys = 0;
    if (decode(&b, d->root, out, 0)) {
        if (out) {
            json_decref(*out);
            *out = NULL;
        }
        return -1;
    }
    *used = (size_t)(b.p - buf);
    if (repeated_keys)
        *repeated_keys = b.repeated_keys;
    return 0;
}

int krt_avro_decode(const struct krt_avro_decoder *d, const unsigned char *buf, size_t len,
                    size_t *used, json_t **out, struct krt_error *err)
{
    return krt_avro_decode_stats(d, buf, len, used, out, NULL, err);
}

int krt_avro_decode_file(const struct krt_avro_decoder *d, const char *path, FILE *out,
                         size_t *count, struct krt_error *err)
{
    char *data;
    size_t len;
    if (krt_avro_read_file(path, (size_t)256 << 20, &data, &len, err))
        return -1;
    const unsigned char *buf = (const unsigned char *)data;
    int rc = 0;
    *count = 0;
    for (size_t off = 0, used = 0; off < len && !rc; off += used) {
        json_t *j = NULL;
        uint64_t rep = 0;
        if (krt_avro_decode_stats(d, buf + off, len - off, &used, &j, &rep, err)) {
            krt_error_prefix(err, "%s: datum %zu at byte %zu", path, *count, off);
            rc = -1;
        } else if (rep && (krt_warnf("krt-schema",
                                     "%s: datum %zu at byte %zu: %llu repeated map key(s): the "
                                     "last value kept (as Java's Avro)",
                                     path, *count, off, (unsigned long long)rep),
                           0)) {
        } else if (krt_json_write_line(out, j)) {
            rc = krt_error_set(err, KRT_ERR_IO, "cannot write the output");
        } else {
            (*count)++;
        }
    }
    free(data);
    return rc;
}
