/* avro_schema.c - see avro_schema.h */
#define _POSIX_C_SOURCE 200809L
#include "avro_schema.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_LEN 512

struct pending_default {
    const struct krt_avro_field *field;
    char path[PATH_MAX_LEN];
};

struct parser {
    struct krt_avro_schema *s;
    const char *origin;
    struct krt_error *err;
    struct pending_default *pend;
    size_t npend, cappend;
};

static const char *const type_names[] = {"null",   "boolean", "int",   "long", "float",
                                         "double", "bytes",   "string", "record", "enum",
                                         "array",  "map",     "union", "fixed"};

const char *krt_avro_type_name(enum krt_avro_type t)
{
    return type_names[t];
}

const char *krt_avro_node_label(const struct krt_avro_node *n)
{
    return n->fullname ? n->fullname : type_names[n->type];
}

static int fail(struct parser *p, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, const char *path, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return krt_error_set(p->err, KRT_ERR_INPUT, "%s: %s: %s", p->origin, *path ? path : "/", msg);
}

static struct krt_avro_node *new_node(struct parser *p, enum krt_avro_type t)
{
    struct krt_avro_schema *s = p->s;
    if (s->nnodes == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct krt_avro_node **v = realloc(s->nodes, cap * sizeof(*v));
        if (!v)
            return NULL;
        s->nodes = v;
        s->cap = cap;
    }
    struct krt_avro_node *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->type = t;
    n->enum_default = -1;
    s->nodes[s->nnodes++] = n;
    return n;
}

static int valid_name(const char *s)
{
    if (!s || !*s || !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return 0;
    for (s++; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return 0;
    return 1;
}

static int valid_namespace(const char *ns)
{
    if (!*ns)
        return 1;
    char *copy = strdup(ns), *save = NULL;
    int ok = copy != NULL && ns[strlen(ns) - 1] != '.';
    for (char *t = copy ? strtok_r(copy, ".", &save) : NULL; ok && t; t = strtok_r(NULL, ".", &save))
        ok = valid_name(t);
    free(copy);
    return ok && !strstr(ns, "..") && ns[0] != '.';
}

static int primitive_of(const char *s, enum krt_avro_type *t)
{
    for (int i = KRT_AVRO_NULL; i <= KRT_AVRO_STRING; i++)
        if (!strcmp(s, type_names[i])) {
            *t = (enum krt_avro_type)i;
            return 1;
        }
    return 0;
}

static struct krt_avro_node *find_named(const struct krt_avro_schema *s, const char *fullname)
{
    for (size_t i = 0; i < s->nnodes; i++)
        if (s->nodes[i]->fullname && !strcmp(s->nodes[i]->fullname, fullname))
            return s->nodes[i];
    return NULL;
}

/* "name" in namespace "ns" -> "ns.name"; a dotted name is already full. */
static char *qualify(const char *name, const char *ns)
{
    if (strchr(name, '.') || !ns || !*ns)
        return strdup(name);
    size_t len = strlen(ns) + strlen(name) + 2;
    char *r = malloc(len);
    if (r)
        snprintf(r, len, "%s.%s", ns, name);
    return r;
}

static int parse_type(struct parser *p, json_t *j, const char *ns, const char *path,
                      struct krt_avro_node **out);

void krt_avro_path_join(char *buf, size_t len, const char *path, const char *fmt, ...)
{
    int n = snprintf(buf, len, "%s/", path);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < len)
        vsnprintf(buf + n, len - (size_t)n, fmt, ap);
    va_end(ap);
}

#define sub_path krt_avro_path_join

static int string_list(struct parser *p, json_t *arr, const char *path, const char *what,
                       char ***out, size_t *n)
{
    if (!json_is_array(arr))
        return fail(p, path, "%s must be an array of strings", what);
    size_t len = json_array_size(arr);
    *out = calloc(len ? len : 1, sizeof(char *));
    if (!*out)
        return krt_error_set(p->err, KRT_ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < len; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_string(v))
            return fail(p, path, "%s must be an array of strings", what);
        (*out)[i] = strdup(json_string_value(v));
        (*n)++;
    }
    return 0;
}

/* name, namespace and aliases of a named type; registers it. */
static int parse_name(struct parser *p, json_t *j, const char *ns, const char *path,
                      struct krt_avro_node *n, const char **inner_ns)
{
    json_t *jn = json_object_get(j, "name"), *jns = json_object_get(j, "namespace");
    if (!json_is_string(jn))
        return fail(p, path, "a %s needs a \"name\" string", type_names[n->type]);
    const char *name = json_string_value(jn);
    if (jns && !json_is_null(jns) && !json_is_string(jns))
        return fail(p, path, "\"namespace\" must be a string");
    const char *space = jns && json_is_string(jns) ? json_string_value(jns) : ns;
    if (!valid_namespace(space ? space : ""))
        return fail(p, path, "invalid namespace '%s'", space);
    const char *dot = strrchr(name, '.');
    if (!valid_name(dot ? dot + 1 : name) || (dot && !valid_namespace(name)))
        return fail(p, path, "invalid name '%s'", name);
    n->fullname = qualify(name, space);
    n->name = strdup(dot ? dot + 1 : name);
    if (!n->fullname || !n->name)
        return krt_error_set(p->err, KRT_ERR_INTERNAL, "out of memory");
    enum krt_avro_type prim;
    if (!strchr(n->fullname, '.') && primitive_of(n->fullname, &prim))
        return fail(p, path, "'%s' is a primitive type and cannot be redefined", name);
    for (size_t i = 0; i + 1 < p->s->nnodes; i++)
        if (p->s->nodes[i]->fullname && !strcmp(p->s->nodes[i]->fullname, n->fullname))
            return fail(p, path, "'%s' is defined twice", n->fullname);
    /* nested types and aliases default to this type's own namespace */
    const char *last = strrchr(n->fullname, '.');
    char *inner = last ? strndup(n->fullname, (size_t)(last - n->fullname)) : strdup("");
    if (!inner)
        return krt_error_set(p->err, KRT_ERR_INTERNAL, "out of memory");
    *inner_ns = inner;
    json_t *ja = json_object_get(j, "aliases");
    if (ja) {
        char **raw = NULL;
        size_t nraw = 0;
        char ap[PATH_MAX_LEN];
        sub_path(ap, sizeof(ap), path, "aliases");
        int rc = string_list(p, ja, ap, "\"aliases\"", &raw, &nraw);
        if (!rc) {
            n->aliases = calloc(nraw ? nraw : 1, sizeof(char *));
            for (size_t i = 0; n->aliases && i < nraw; i++)
                n->aliases[n->naliases++] = qualify(raw[i], inner);
        }
        for (size_t i = 0; i < nraw; i++)
            free(raw[i]);
        free(raw);
        if (rc)
            return -1;
    }
    return 0;
}

static int parse_record(struct parser *p, json_t *j, const char *ns, const char *path,
                        struct krt_avro_node *n)
{
    const char *inner = NULL;
    int rc = parse_name(p, j, ns, path, n, &inner);
    if (rc) {
        free((char *)inner);
        return -1;
    }
    json_t *jf = json_object_get(j, "fields");
    char fp[PATH_MAX_LEN];
    if (!json_is_array(jf)) {
        rc = fail(p, path, "record '%s' needs a \"fields\" array", n->fullname);
        goto out;
    }
    size_t nf = json_array_size(jf);
    n->fields = calloc(nf ? nf : 1, sizeof(*n->fields));
    if (!n->fields) {
        rc = krt_error_set(p->err, KRT_ERR_INTERNAL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nf && !rc; i++) {
        json_t *f = json_array_get(jf, i);
        struct krt_avro_field *fd = &n->fields[i];
        sub_path(fp, sizeof(fp), path, "fields/%zu", i);
        json_t *fname = json_object_get(f, "name");
        if (!json_is_object(f) || !json_is_string(fname) || !valid_name(json_string_value(fname))) {
            rc = fail(p, fp, "a field needs a valid \"name\"");
            break;
        }
        fd->name = strdup(json_string_value(fname));
        n->nfields++;
        for (size_t k = 0; k < i; k++)
            if (!strcmp(n->fields[k].name, fd->name)) {
                rc = fail(p, fp, "field '%s' is defined twice", fd->name);
                break;
            }
        if (rc)
            break;
        json_t *ft = json_object_get(f, "type");
        char tp[PATH_MAX_LEN];
        sub_path(tp, sizeof(tp), fp, "type");
        if (!ft) {
            rc = fail(p, fp, "field '%s' has no \"type\"", fd->name);
            break;
        }
        if (parse_type(p, ft, inner, tp, &fd->type)) {
            rc = -1;
            break;
        }
        json_t *fa = json_object_get(f, "aliases");
        if (fa) {
            char ap[PATH_MAX_LEN];
            sub_path(ap, sizeof(ap), fp, "aliases");
            if (string_list(p, fa, ap, "\"aliases\"", &fd->aliases, &fd->naliases)) {
                rc = -1;
                break;
            }
        }
        json_t *def = json_object_get(f, "default");
        if (def) {
            fd->def = json_incref(def);
            if (p->npend == p->cappend) {
                size_t cap = p->cappend ? p->cappend * 2 : 16;
                struct pending_default *v = realloc(p->pend, cap * sizeof(*v));
                if (!v) {
                    rc = krt_error_set(p->err, KRT_ERR_INTERNAL, "out of memory");
                    break;
                }
                p->pend = v;
                p->cappend = cap;
            }
            p->pend[p->npend].field = fd;
            sub_path(p->pend[p->npend].path, PATH_MAX_LEN, fp, "default");
            p->npend++;
        }
    }
out:
    free((char *)inner);
    return rc;
}

/* enum and fixed: their namespace matters to nothing nested */
static int parse_name_only(struct parser *p, json_t *j, const char *ns, const char *path,
                           struct krt_avro_node *n)
{
    const char *inner = NULL;
    int rc = parse_name(p, j, ns, path, n, &inner);
    free((char *)inner);
    return rc;
}

static int parse_enum(struct parser *p, json_t *j, const char *ns, const char *path,
                      struct krt_avro_node *n)
{
    if (parse_name_only(p, j, ns, path, n))
        return -1;
    char sp[PATH_MAX_LEN];
    sub_path(sp, sizeof(sp), path, "symbols");
    json_t *js = json_object_get(j, "symbols");
    if (!js)
        return fail(p, path, "enum '%s' needs a \"symbols\" array", n->fullname);
    if (string_list(p, js, sp, "\"symbols\"", &n->symbols, &n->nsymbols))
        return -1;
    for (size_t i = 0; i < n->nsymbols; i++) {
        if (!valid_name(n->symbols[i]))
            return fail(p, sp, "invalid enum symbol '%s'", n->symbols[i]);
        for (size_t k = 0; k < i; k++)
            if (!strcmp(n->symbols[k], n->symbols[i]))
                return fail(p, sp, "enum symbol '%s' appears twice", n->symbols[i]);
    }
    json_t *jd = json_object_get(j, "default");
    if (jd) {
        sub_path(sp, sizeof(sp), path, "default");
        if (!json_is_string(jd))
            return fail(p, sp, "an enum default must be one of its symbols");
        for (size_t i = 0; i < n->nsymbols; i++)
            if (!strcmp(n->symbols[i], json_string_value(jd)))
                n->enum_default = (int)i;
        if (n->enum_default < 0)
            return fail(p, sp, "enum default '%s' is not one of the symbols",
                        json_string_value(jd));
    }
    return 0;
}

static int parse_fixed(struct parser *p, json_t *j, const char *ns, const char *path,
                       struct krt_avro_node *n)
{
    if (parse_name_only(p, j, ns, path, n))
        return -1;
    json_t *js = json_object_get(j, "size");
    if (!json_is_integer(js) || json_integer_value(js) < 0 ||
        json_integer_value(js) > INT32_MAX)
        return fail(p, path, "fixed '%s' needs a non-negative integer \"size\"", n->fullname);
    n->size = (size_t)json_integer_value(js);
    return 0;
}

static int parse_union(struct parser *p, json_t *j, const char *ns, const char *path,
                       struct krt_avro_node **out)
{
    struct krt_avro_node *n = new_node(p, KRT_AVRO_UNION);
    size_t nb = json_array_size(j);
    if (!n || !(n->branches = calloc(nb ? nb : 1, sizeof(*n->branches))))
        return krt_error_set(p->err, KRT_ERR_INTERNAL, "out of memory");
    *out = n;
    for (size_t i = 0; i < nb; i++) {
        char bp[PATH_MAX_LEN];
        sub_path(bp, sizeof(bp), path, "%zu", i);
        struct krt_avro_node *b;
        if (parse_type(p, json_array_get(j, i), ns, bp, &b))
            return -1;
        if (b->type == KRT_AVRO_UNION)
            return fail(p, bp, "a union cannot hold a union directly");
        for (size_t k = 0; k < n->nbranches; k++) {
            const struct krt_avro_node *o = n->branches[k];
            if (b->fullname ? (o->fullname && !strcmp(o->fullname, b->fullname))
                            : (!o->fullname && o->type == b->type))
                return fail(p, bp, "the union holds %s twice", krt_avro_node_label(b));
        }
        n->branches[n->nbranches++] = b;
    }
    return 0;
}

static int parse_type(struct parser *p, json_t *j, const char *ns, const char *path,
                      struct krt_avro_node **out)
{
    enum krt_avro_type t;
    if (json_is_string(j)) {
        const char *s = json_string_value(j);
        if (primitive_of(s, &t)) {
            if (!(*out = new_node(p, t)))
                return krt_error_set(p->err, KRT_ERR_INTERNAL, "out of memory");
            return 0;
        }
        char *full = qualify(s, ns);
        struct krt_avro_node *n = full ? find_named(p->s, full) : NULL;
        if (!n)
            n = find_named(p->s, s);
        free(full);
        if (!n)
            return fail(p, path, "unknown type '%s'", s);
        *out = n;
        return 0;
    }
    if (json_is_array(j))
        return parse_union(p, j, ns, path, out);
    if (!json_is_object(j))
        return fail(p, path, "a type must be a name, an object or an array (union)");
    json_t *jt = json_object_get(j, "type");
    if (!json_is_string(jt)) {
        if (json_is_object(jt) || json_is_array(jt)) /* {"type": {...}} wraps a type */
            return parse_type(p, jt, ns, path, out);
        return fail(p, path, "\"type\" must be a string");
    }
    const char *ts = json_string_value(jt);
    if (primitive_of(ts, &t)) {
        if (!(*out = new_node(p, t)))
            return krt_error_set(p->err, KRT_ERR_INTERNAL, "out of memory");
        return 0;
    }
    if (!strcmp(ts, "record") || !strcmp(ts, "error"))
        t = KRT_AVRO_RECORD;
    else if (!strcmp(ts, "enum"))
        t = KRT_AVRO_ENUM;
    else if (!strcmp(ts, "fixed"))
        t = KRT_AVRO_FIXED;
    else if (!strcmp(ts, "array"))
        t = KRT_AVRO_ARRAY;
    else if (!strcmp(ts, "map"))
        t = KRT_AVRO_MAP;
    else {
        /* {"type": "SomeNamedType"} refers to a named type */
        return parse_type(p, jt, ns, path, out);
    }
    struct krt_avro_node *n = new_node(p, t);
    if (!n)
        return krt_error_set(p->err, KRT_ERR_INTERNAL, "out of memory");
    *out = n;
    char ip[PATH_MAX_LEN];
    switch (t) {
    case KRT_AVRO_RECORD:
        return parse_record(p, j, ns, path, n);
    case KRT_AVRO_ENUM:
        return parse_enum(p, j, ns, path, n);
    case KRT_AVRO_FIXED:
        return parse_fixed(p, j, ns, path, n);
    case KRT_AVRO_ARRAY:
    case KRT_AVRO_MAP: {
        const char *key = t == KRT_AVRO_ARRAY ? "items" : "values";
        json_t *ji = json_object_get(j, key);
        if (!ji)
            return fail(p, path, "%s needs \"%s\"", type_names[t], key);
        sub_path(ip, sizeof(ip), path, "%s", key);
        return parse_type(p, ji, ns, ip, &n->items);
    }
    default:
        return 0;
    }
}

/* ---- defaults ---- */

static int why(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int why(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    return -1;
}

static int latin1_string(const char *s, size_t *count)
{
    /* Avro's JSON encoding of bytes: each character is one byte (U+0000-U+00FF) */
    const unsigned char *u = (const unsigned char *)s;
    *count = 0;
    while (*u) {
        if (*u < 0x80)
            u++;
        else if ((u[0] == 0xC2 || u[0] == 0xC3) && (u[1] & 0xC0) == 0x80)
            u += 2;
        else
            return -1;
        (*count)++;
    }
    return 0;
}

/* @p java: Java's Avro rules (Schema.isValidDefault), looser than the
 * specification's: any string for bytes, fixed and enum, and a union's
 * default may belong to any branch. */
static int check_default(const struct krt_avro_node *n, const json_t *d, int java, char *w,
                         size_t len)
{
    size_t cnt;
    if (java && json_is_string(d) &&
        (n->type == KRT_AVRO_BYTES || n->type == KRT_AVRO_FIXED || n->type == KRT_AVRO_ENUM))
        return 0;
    if (java && n->type == KRT_AVRO_UNION) {
        for (size_t i = 0; i < n->nbranches; i++)
            if (!check_default(n->branches[i], d, java, w, len))
                return 0;
        return why(w, len, "default matches no branch of the union");
    }
    switch (n->type) {
    case KRT_AVRO_NULL:
        return json_is_null(d) ? 0 : why(w, len, "default must be null");
    case KRT_AVRO_BOOLEAN:
        return json_is_boolean(d) ? 0 : why(w, len, "default must be true or false");
    case KRT_AVRO_INT:
        if (json_is_integer(d) && json_integer_value(d) >= INT32_MIN &&
            json_integer_value(d) <= INT32_MAX)
            return 0;
        return why(w, len, "default must be an int (32-bit integer)");
    case KRT_AVRO_LONG:
        return json_is_integer(d) ? 0 : why(w, len, "default must be a long (integer)");
    case KRT_AVRO_FLOAT:
    case KRT_AVRO_DOUBLE:
        return json_is_number(d) ? 0
                                 : why(w, len, "default must be a number (%s)", type_names[n->type]);
    case KRT_AVRO_STRING:
        return json_is_string(d) ? 0 : why(w, len, "default must be a string");
    case KRT_AVRO_BYTES:
        if (json_is_string(d) && !latin1_string(json_string_value(d), &cnt))
            return 0;
        return why(w, len, "default must be a string of characters U+0000-U+00FF (bytes)");
    case KRT_AVRO_FIXED:
        if (json_is_string(d) && !latin1_string(json_string_value(d), &cnt) && cnt == n->size)
            return 0;
        return why(w, len, "default must be a string of %zu characters U+0000-U+00FF (fixed '%s')",
                   n->size, n->fullname);
    case KRT_AVRO_ENUM:
        if (json_is_string(d))
            for (size_t i = 0; i < n->nsymbols; i++)
                if (!strcmp(n->symbols[i], json_string_value(d)))
                    return 0;
        return why(w, len, "default must be a symbol of enum '%s'", n->fullname);
    case KRT_AVRO_ARRAY: {
        if (!json_is_array(d))
            return why(w, len, "default must be an array");
        for (size_t i = 0; i < json_array_size(d); i++)
            if (check_default(n->items, json_array_get(d, i), java, w, len))
                return -1;
        return 0;
    }
    case KRT_AVRO_MAP: {
        if (!json_is_object(d))
            return why(w, len, "default must be an object (map)");
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)d, k, v)
        {
            if (check_default(n->items, v, java, w, len))
                return -1;
        }
        return 0;
    }
    case KRT_AVRO_RECORD: {
        if (!json_is_object(d))
            return why(w, len, "default must be an object (record '%s')", n->fullname);
        for (size_t i = 0; i < n->nfields; i++) {
            const json_t *v = json_object_get(d, n->fields[i].name);
            if (!v && !n->fields[i].def)
                return why(w, len, "default lacks field '%s' of record '%s', which has no default",
                           n->fields[i].name, n->fullname);
            if (v && check_default(n->fields[i].type, v, java, w, len))
                return -1;
        }
        return 0;
    }
    case KRT_AVRO_UNION:
        if (!n->nbranches)
            return why(w, len, "an empty union has no default");
        if (check_default(n->branches[0], d, java, w, len)) {
            size_t l = strlen(w);
            snprintf(w + l, len - l, " (a union's default is of its first branch, %s)",
                     krt_avro_node_label(n->branches[0]));
            return -1;
        }
        return 0;
    }
    return why(w, len, "unknown type");
}

int krt_avro_default_check(const struct krt_avro_node *n, const json_t *d, char *w, size_t len)
{
    return check_default(n, d, 0, w, len);
}

/* ---- entry points ---- */

/* one JSON text into p's schema; *root is its top type */
static int parse_text(struct parser *p, const char *text, const char *origin,
                      struct krt_avro_node **root)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!j)
        return krt_error_set(p->err, KRT_ERR_INPUT, "%s:%d:%d: malformed JSON: %s", origin,
                             je.line, je.column, je.text);
    p->origin = origin;
    int rc = parse_type(p, j, "", "", root);
    json_decref(j);
    return rc;
}

int krt_avro_schema_parse_opts(const char *text, const char *origin,
                               const struct krt_avro_parse_opts *o, struct krt_avro_schema *out,
                               struct krt_error *err)
{
    memset(out, 0, sizeof(*out));
    out->text = strdup(text);
    out->origin = strdup(origin);
    if (!out->text || !out->origin)
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    struct parser p = {.s = out, .origin = origin, .err = err};
    int rc = 0;
    /* referenced schemas first: their named types become known to the text */
    for (size_t i = 0; !rc && o && i < o->nrefs; i++) {
        struct krt_avro_node *ignored;
        rc = parse_text(&p, o->refs[i], o->ref_origins ? o->ref_origins[i] : origin, &ignored);
    }
    if (!rc)
        rc = parse_text(&p, text, origin, &out->root);
    p.origin = origin;
    for (size_t i = 0; !rc && i < p.npend; i++) {
        char w[400];
        const struct krt_avro_field *f = p.pend[i].field;
        if (check_default(f->type, f->def, o && o->java_defaults, w, sizeof(w))) {
            char *dump = json_dumps(f->def, JSON_ENCODE_ANY | JSON_COMPACT);
            rc = fail(&p, p.pend[i].path, "field '%s': %.80s is not valid: %s", f->name,
                      dump ? dump : "?", w);
            free(dump);
        }
    }
    free(p.pend);
    if (rc)
        krt_avro_schema_free(out);
    return rc;
}

int krt_avro_schema_parse(const char *text, const char *origin, struct krt_avro_schema *out,
                          struct krt_error *err)
{
    return krt_avro_schema_parse_opts(text, origin, NULL, out, err);
}

int krt_avro_read_file(const char *path, size_t max, char **data, size_t *size,
                       struct krt_error *err)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f)
        return krt_error_set(err, KRT_ERR_INPUT, "cannot read '%s': %s", path, strerror(errno));
    size_t cap = 4096, len = 0, n;
    char *buf = malloc(cap);
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            char *nb = cap <= max ? realloc(buf, cap * 2) : NULL;
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int bad = ferror(f);
    if (f != stdin)
        fclose(f);
    if (!buf || bad || len > max) {
        free(buf);
        return krt_error_set(err, KRT_ERR_INPUT, "cannot read '%s': %s", path,
                             bad ? "read error" : "too large");
    }
    buf[len] = '\0';
    *data = buf;
    *size = len;
    return 0;
}

int krt_avro_schema_read(const char *path, struct krt_avro_schema *out, struct krt_error *err)
{
    char *buf;
    size_t len;
    if (krt_avro_read_file(path, (size_t)64 << 20, &buf, &len, err))
        return -1;
    int rc = krt_avro_schema_parse(buf, path, out, err);
    free(buf);
    return rc;
}

int krt_avro_promotable(enum krt_avro_type w, enum krt_avro_type r)
{
    switch (r) {
    case KRT_AVRO_LONG:
        return w == KRT_AVRO_INT;
    case KRT_AVRO_FLOAT:
        return w == KRT_AVRO_INT || w == KRT_AVRO_LONG;
    case KRT_AVRO_DOUBLE:
        return w == KRT_AVRO_INT || w == KRT_AVRO_LONG || w == KRT_AVRO_FLOAT;
    case KRT_AVRO_BYTES:
        return w == KRT_AVRO_STRING;
    case KRT_AVRO_STRING:
        return w == KRT_AVRO_BYTES;
    default:
        return 0;
    }
}

int krt_avro_names_match(const struct krt_avro_node *r, const struct krt_avro_node *w)
{
    if (!strcmp(r->name, w->name))
        return 1;
    for (size_t i = 0; i < r->naliases; i++)
        if (!strcmp(r->aliases[i], w->fullname))
            return 1;
    return 0;
}

void krt_avro_schema_free(struct krt_avro_schema *s)
{
    for (size_t i = 0; i < s->nnodes; i++) {
        struct krt_avro_node *n = s->nodes[i];
        free(n->name);
        free(n->fullname);
        for (size_t k = 0; k < n->naliases; k++)
            free(n->aliases[k]);
        free(n->aliases);
        for (size_t k = 0; k < n->nfields; k++) {
            struct krt_avro_field *f = &n->fields[k];
            free(f->name);
            for (size_t a = 0; a < f->naliases; a++)
                free(f->aliases[a]);
            free(f->aliases);
            json_decref(f->def);
        }
        free(n->fields);
        for (size_t k = 0; k < n->nsymbols; k++)
            free(n->symbols[k]);
        free(n->symbols);
        free(n->branches);
        free(n);
    }
    free(s->nodes);
    free(s->text);
    free(s->origin);
    memset(s, 0, sizeof(*s));
}
