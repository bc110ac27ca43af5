/* schema_compat.c - see schema_compat.h */
#define _POSIX_C_SOURCE 200809L
#include "schema_compat.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const level_names[] = {"NONE",
                                          "BACKWARD",
                                          "FORWARD",
                                          "FULL",
                                          "BACKWARD_TRANSITIVE",
                                          "FORWARD_TRANSITIVE",
                                          "FULL_TRANSITIVE"};

int krt_schema_compat_level_parse(const char *s, enum krt_schema_level *out,
                                  struct krt_error *err)
{
    for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
        if (!strcasecmp(s, level_names[i])) {
            *out = (enum krt_schema_level)i;
            return 0;
        }
    return krt_error_set(err, KRT_ERR_USAGE,
                         "unknown compatibility level '%s' (BACKWARD, FORWARD, FULL, "
                         "their _TRANSITIVE forms, or NONE)",
                         s);
}

const char *krt_schema_compat_level_name(enum krt_schema_level l)
{
    return level_names[l];
}

struct pair {
    const struct krt_avro_node *r, *w;
};

struct ctx {
    struct krt_schema_reasons *out;
    bool reader_is_new;
    int silent; /* > 0: only count problems (probing union branches) */
    size_t problems;
    int oom;
    struct pair *stack; /* pairs being checked: recursion through named types */
    size_t nstack, capstack;
    struct pair *done; /* pairs already reported, so a type used twice reports once */
    size_t ndone, capdone;
};

static void reason(struct ctx *c, const char *path, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void reason(struct ctx *c, const char *path, const char *field, const char *fmt, ...)
{
    c->problems++;
    if (c->silent)
        return;
    struct krt_schema_reasons *o = c->out;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 8;
        struct krt_schema_reason *v = realloc(o->v, cap * sizeof(*v));
        if (!v) {
            c->oom = 1;
            return;
        }
        o->v = v;
        o->cap = cap;
    }
    struct krt_schema_reason *r = &o->v[o->n++];
    memset(r, 0, sizeof(*r));
    snprintf(r->path, sizeof(r->path), "%s", *path ? path : "/");
    snprintf(r->field, sizeof(r->field), "%s", field ? field : "");
    r->old_index = -1;
    r->new_reads_old = c->reader_is_new;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
    va_end(ap);
}

static int push(struct pair **v, size_t *n, size_t *cap, const struct krt_avro_node *r,
                const struct krt_avro_node *w)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        struct pair *nv = realloc(*v, nc * sizeof(**v));
        if (!nv)
            return -1;
        *v = nv;
        *cap = nc;
    }
    (*v)[*n].r = r;
    (*v)[*n].w = w;
    (*n)++;
    return 0;
}

static int has_pair(const struct pair *v, size_t n, const struct krt_avro_node *r,
                    const struct krt_avro_node *w)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].r == r && v[i].w == w)
            return 1;
    return 0;
}

static void check(struct ctx *c, const struct krt_avro_node *r, const struct krt_avro_node *w,
                  const char *path, const char *field);

#define sub krt_avro_path_join

static const struct krt_avro_field *writer_field(const struct krt_avro_node *w,
                                                 const struct krt_avro_field *rf)
{
    for (size_t i = 0; i < w->nfields; i++)
        if (!strcmp(w->fields[i].name, rf->name))
            return &w->fields[i];
    for (size_t a = 0; a < rf->naliases; a++)
        for (size_t i = 0; i < w->nfields; i++)
            if (!strcmp(w->fields[i].name, rf->aliases[a]))
                return &w->fields[i];
    return NULL;
}

static void check_record(struct ctx *c, const struct krt_avro_node *r,
                         const struct krt_avro_node *w, const char *path)
{
    char fp[256];
    for (size_t i = 0; i < r->nfields; i++) {
        const struct krt_avro_field *rf = &r->fields[i];
        const struct krt_avro_field *wf = writer_field(w, rf);
        sub(fp, sizeof(fp), path, "fields/%zu", i);
        if (wf) {
            check(c, rf->type, wf->type, fp, rf->name);
        } else if (!rf->def) {
            if (c->reader_is_new)
                reason(c, fp, rf->name, "added without a default (old records lack it)");
            else
                reason(c, fp, rf->name,
                       "removed, and the old schema has no default for it (old readers "
                       "cannot fill it)");
        } else {
            /* a reader fills the field with its default: the default must be
             * valid by the specification's rules, whoever parsed the schema
             * (a registry's old versions are parsed by Java's looser rules,
             * and Java's reader fails at run time on, e.g., an enum default
             * that is not a symbol) */
            char why[400];
            if (krt_avro_default_check(rf->type, rf->def, why, sizeof(why)))
                reason(c, fp, rf->name, "%s, and the %s schema's default for it is not valid: %s",
                       c->reader_is_new ? "added" : "removed", c->reader_is_new ? "new" : "old",
                       why);
        }
    }
}

static void check_enum(struct ctx *c, const struct krt_avro_node *r, const struct krt_avro_node *w,
                       const char *path, const char *field)
{
    char missing[400] = "";
    size_t len = 0, nmissing = 0;
    for (size_t i = 0; i < w->nsymbols; i++) {
        int found = 0;
        for (size_t k = 0; k < r->nsymbols && !found; k++)
            found = !strcmp(r->symbols[k], w->symbols[i]);
        if (!found) {
            nmissing++;
            if (len < sizeof(missing) - 1) {
                int n = snprintf(missing + len, sizeof(missing) - len, "%s%s", len ? ", " : "",
                                 w->symbols[i]);
                if (n > 0)
                    len += (size_t)n;
            }
        }
    }
    if (nmissing && r->enum_default < 0)
        reason(c, path, field,
               "enum '%s': symbol(s) %s %s without an enum default to read them as",
               r->fullname, missing,
               c->reader_is_new ? "removed" : "added, which the old schema lacks,");
}

static void check_same(struct ctx *c, const struct krt_avro_node *r, const struct krt_avro_node *w,
                       const char *path, const char *field)
{
    char p[256];
    switch (r->type) {
    case KRT_AVRO_ARRAY:
        sub(p, sizeof(p), path, "items");
        check(c, r->items, w->items, p, field);
        return;
    case KRT_AVRO_MAP:
        sub(p, sizeof(p), path, "values");
        check(c, r->items, w->items, p, field);
        return;
    case KRT_AVRO_RECORD:
    case KRT_AVRO_ENUM:
    case KRT_AVRO_FIXED:
        if (!krt_avro_names_match(r, w)) {
            reason(c, path, field, "%s '%s' cannot read %s '%s': the name changed and no alias of "
                                   "the reader names '%s'",
                   krt_avro_type_name(r->type), r->fullname, krt_avro_type_name(w->type),
                   w->fullname, w->fullname);
            return;
        }
        if (r->type == KRT_AVRO_FIXED && r->size != w->size)
            reason(c, path, field, "fixed '%s': size %zu cannot be read as size %zu", r->fullname,
                   w->size, r->size);
        else if (r->type == KRT_AVRO_ENUM)
            check_enum(c, r, w, path, field);
        else if (r->type == KRT_AVRO_RECORD)
            check_record(c, r, w, path);
        return;
    default:
        return; /* identical primitives */
    }
}

/* Does some branch of reader union @p r accept writer type @p w? */
static int union_accepts(struct ctx *c, const struct krt_avro_node *r, const struct krt_avro_node *w)
{
    for (size_t i = 0; i < r->nbranches; i++) {
        size_t before = c->problems;
        c->silent++;
        check(c, r->branches[i], w, "", NULL);
        c->silent--;
        if (c->problems == before)
            return 1;
        c->problems = before;
    }
    return 0;
}

static void check(struct ctx *c, const struct krt_avro_node *r, const struct krt_avro_node *w,
                  const char *path, const char *field)
{
    if (c->oom || has_pair(c->stack, c->nstack, r, w))
        return; /* a recursive type: assume what is being checked holds */
    if (!c->silent && has_pair(c->done, c->ndone, r, w))
        return;
    if (push(&c->stack, &c->nstack, &c->capstack, r, w)) {
        c->oom = 1;
        return;
    }
    if (w->type == KRT_AVRO_UNION) {
        /* every branch the writer may have written must be readable */
        for (size_t i = 0; i < w->nbranches; i++)
            check(c, r, w->branches[i], path, field);
    } else if (r->type == KRT_AVRO_UNION) {
        if (!union_accepts(c, r, w))
            reason(c, path, field, "%s %s matches no branch of the reader's union",
                   c->reader_is_new ? "old type" : "new type", krt_avro_node_label(w));
    } else if (r->type == w->type) {
        check_same(c, r, w, path, field);
    } else if (!krt_avro_promotable(w->type, r->type)) {
        reason(c, path, field, "%s %s cannot be read as %s",
               c->reader_is_new ? "old" : "new", krt_avro_node_label(w), krt_avro_node_label(r));
    }
    c->nstack--;
    if (!c->silent && push(&c->done, &c->ndone, &c->capdone, r, w))
        c->oom = 1;
}

int krt_schema_compat_resolve(const struct krt_avro_node *reader,
                              const struct krt_avro_node *writer, bool reader_is_new,
                              struct krt_schema_reasons *out, struct krt_error *err)
{
    struct ctx c = {.out = out, .reader_is_new = reader_is_new};
    check(&c, reader, writer, "", NULL);
    free(c.stack);
    free(c.done);
    if (c.oom)
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    return 0;
}

int krt_schema_compat_level(enum krt_schema_level level, const struct krt_avro_schema *olds,
                            size_t nolds, const struct krt_avro_schema *neu,
                            struct krt_schema_reasons *out, struct krt_error *err)
{
    if (level == KRT_LEVEL_NONE || !nolds)
        return 0;
    bool transitive = level >= KRT_LEVEL_BACKWARD_TRANSITIVE;
    bool backward = level == KRT_LEVEL_BACKWARD || level == KRT_LEVEL_FULL ||
                    level == KRT_LEVEL_BACKWARD_TRANSITIVE || level == KRT_LEVEL_FULL_TRANSITIVE;
    bool forward = level == KRT_LEVEL_FORWARD || level == KRT_LEVEL_FULL ||
                   level == KRT_LEVEL_FORWARD_TRANSITIVE || level == KRT_LEVEL_FULL_TRANSITIVE;
    for (size_t i = transitive ? 0 : nolds - 1; i < nolds; i++) {
        size_t before = out->n;
        if (backward && krt_schema_compat_resolve(neu->root, olds[i].root, true, out, err))
            return -1;
        if (forward && krt_schema_compat_resolve(olds[i].root, neu->root, false, out, err))
            return -1;
        for (size_t k = before; k < out->n; k++)
            out->v[k].old_index = (int)i;
    }
    return 0;
}

void krt_schema_compat_free(struct krt_schema_reasons *r)
{
    free(r->v);
    memset(r, 0, sizeof(*r));
}
