/* jread.c - the one typed reader for every file krt reads. */
#define _POSIX_C_SOURCE 200809L
#include "jread.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int krt_file_read(const char *path, size_t max_bytes, char **out, size_t *len,
                  struct krt_error *err)
{
    *out = NULL;
    *len = 0;
    if (!max_bytes)
        max_bytes = KRT_FILE_MAX;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return krt_error_set(err, KRT_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        return krt_error_set(err, KRT_ERR_IO, "cannot read '%s': %s", path, strerror(EISDIR));
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (buf && n + 1 == cap) {
            if (n > max_bytes)
                break;
            char *b = realloc(buf, cap * 2);
            if (!b)
                free(buf);
            buf = b;
            cap *= 2;
        }
        if (!buf) {
            close(fd);
            return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory reading '%s'", path);
        }
        ssize_t r = read(fd, buf + n, cap - n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return krt_error_set(err, KRT_ERR_IO, "cannot read '%s': %s", path, strerror(e));
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n > max_bytes) {
        free(buf);
        close(fd);
        return krt_error_set(err, KRT_ERR_INPUT, "%s: larger than %zu bytes", path, max_bytes);
    }
    close(fd);
    buf[n] = '\0';
    const char *nul = memchr(buf, '\0', n);
    if (nul) {
        size_t at = (size_t)(nul - buf);
        free(buf);
        return krt_error_set(err, KRT_ERR_INPUT, "%s: NUL byte at offset %zu (not a text file)",
                             path, at);
    }
    *out = buf;
    *len = n;
    return 0;
}

int krt_file_sync_dir(const char *path, struct krt_error *err)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
    if (!dir)
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;
    if (fd < 0 || fsync(fd))
        rc = krt_error_set(err, KRT_ERR_IO, "cannot sync directory '%s': %s", dir,
                           strerror(errno));
    if (fd >= 0)
        close(fd);
    free(dir);
    return rc;
}

int krt_jread_fail(struct krt_error *err, const char *file, const char *jpath, const char *fmt,
                   ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return krt_error_set(err, KRT_ERR_INPUT, "%s: %s: %s", file, jpath && *jpath ? jpath : "/",
                         msg);
}

int krt_jread_file(const char *path, size_t max_bytes, json_t **root, struct krt_error *err)
{
    char *text;
    size_t len;
    *root = NULL;
    if (krt_file_read(path, max_bytes, &text, &len, err))
        return -1;
    json_error_t je;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    free(text);
    if (!doc)
        return krt_error_set(err, KRT_ERR_INPUT, "%s:%d:%d: %s", path, je.line, je.column,
                             je.text);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return krt_jread_fail(err, path, "/", "expected a JSON object");
    }
    *root = doc;
    return 0;
}

static const char *kind_name(enum krt_jkind k)
{
    switch (k) {
    case KRT_J_STRING: return "a string";
    case KRT_J_INT: return "an integer";
    case KRT_J_NUMBER: return "a number";
    case KRT_J_BOOL: return "true or false";
    case KRT_J_OBJECT: return "an object";
    case KRT_J_ARRAY: return "an array";
    case KRT_J_ANY: break;
    }
    return "a value";
}

static int bounded(const struct krt_jfield *f)
{
    return f->min != 0 || f->max != 0;
}

static int check_field(const char *file, const char *jpath, const json_t *v,
                       const struct krt_jfield *f, struct krt_error *err)
{
    if (json_is_null(v) && (f->flags & KRT_J_NULLABLE))
        return 0;
    int64_t i;
    double d;
    switch (f->kind) {
    case KRT_J_ANY: return 0;
    case KRT_J_STRING:
        if (json_is_string(v))
            return 0;
        break;
    case KRT_J_INT:
        return krt_jread_int(file, jpath, v, bounded(f) ? f->min : INT64_MIN,
                             bounded(f) ? f->max : INT64_MAX, &i, err);
    case KRT_J_NUMBER:
        return krt_jread_number(file, jpath, v, bounded(f) ? (double)f->min : -HUGE_VAL,
                                bounded(f) ? (double)f->max : HUGE_VAL, &d, err);
    case KRT_J_BOOL:
        if (json_is_boolean(v))
            return 0;
        break;
    case KRT_J_OBJECT:
        if (json_is_object(v))
            return 0;
        break;
    case KRT_J_ARRAY:
        if (json_is_array(v))
            return 0;
        break;
    }
    return krt_jread_fail(err, file, jpath, "expected %s%s", kind_name(f->kind),
                          (f->flags & KRT_J_NULLABLE) ? " or null" : "");
}

int krt_jread_object(const char *file, const char *jpath, const json_t *v,
                     const struct krt_jfield *fields, struct krt_error *err)
{
    char p[512];
    if (!json_is_object(v))
        return krt_jread_fail(err, file, jpath, "expected an object");
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)v, key, val)
    {
        const struct krt_jfield *f = fields;
        while (f->key && strcmp(f->key, key))
            f++;
        krt_jpath_key(p, sizeof(p), jpath, key);
        if (!f->key)
            return krt_jread_fail(err, file, p, "unknown key");
        if (check_field(file, p, val, f, err))
            return -1;
    }
    for (const struct krt_jfield *f = fields; f->key; f++)
        if ((f->flags & KRT_J_REQUIRED) && !json_object_get(v, f->key))
            return krt_jread_fail(err, file, krt_jpath_key(p, sizeof(p), jpath, f->key),
                                  "missing (%s)", kind_name(f->kind));
    return 0;
}

int krt_jread_int(const char *file, const char *jpath, const json_t *v, int64_t min,
                  int64_t max, int64_t *out, struct krt_error *err)
{
    /* jansson reads an integer literal that does not fit json_int_t as a
     * real, so a huge integer lands here as "expected an integer" */
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        if (min == INT64_MIN && max == INT64_MAX)
            return krt_jread_fail(err, file, jpath, "expected an integer");
        if (max == INT64_MAX)
            return krt_jread_fail(err, file, jpath, "expected an integer >= %" PRId64, min);
        return krt_jread_fail(err, file, jpath, "expected an integer from %" PRId64 " to %" PRId64,
                              min, max);
    }
    *out = json_integer_value(v);
    return 0;
}

int krt_jread_number(const char *file, const char *jpath, const json_t *v, double min,
                     double max, double *out, struct krt_error *err)
{
    double d = json_number_value(v);
    if (!json_is_number(v) || !isfinite(d) || d < min || d > max) {
        if (isinf(min) && isinf(max))
            return krt_jread_fail(err, file, jpath, "expected a number");
        if (isinf(max))
            return krt_jread_fail(err, file, jpath, "expected a number >= %g", min);
        return krt_jread_fail(err, file, jpath, "expected a number from %g to %g", min, max);
    }
    *out = d;
    return 0;
}

int krt_jread_string(const char *file, const char *jpath, const json_t *v, int nonempty,
                     const char **out, struct krt_error *err)
{
    if (!json_is_string(v) || (nonempty && !json_string_length(v)))
        return krt_jread_fail(err, file, jpath, "expected a%s string", nonempty ? " non-empty" : "");
    if (strlen(json_string_value(v)) != json_string_length(v))
        return krt_jread_fail(err, file, jpath, "string holds a NUL character");
    *out = json_string_value(v);
    return 0;
}

int krt_jread_enum(const char *file, const char *jpath, const json_t *v,
                   const char *const *names, int *out, struct krt_error *err)
{
    const char *s = json_string_value(v);
    for (int i = 0; s && names[i]; i++)
        if (!strcmp(s, names[i])) {
            *out = i;
            return 0;
        }
    char list[512] = "";
    size_t l = 0;
    for (int i = 0; names[i] && l < sizeof(list); i++)
        l += (size_t)snprintf(list + l, sizeof(list) - l, "%s'%s'", i ? ", " : "", names[i]);
    return krt_jread_fail(err, file, jpath, "expected one of %s", list);
}

int krt_jread_partition(const char *file, const char *jpath, const json_t *v, int32_t *out,
                        struct krt_error *err)
{
    int64_t i;
    if (krt_jread_int(file, jpath, v, 0, INT32_MAX, &i, err))
        return -1;
    *out = (int32_t)i;
    return 0;
}

int krt_jread_partition_key(const char *file, const char *jpath, const char *key,
                            int32_t *out, struct krt_error *err)
{
    int64_t v = 0;
    size_t n = strlen(key);
    int ok = n > 0 && n <= 10 && !(n > 1 && key[0] == '0');
    for (size_t i = 0; ok && i < n; i++) {
        ok = key[i] >= '0' && key[i] <= '9';
        v = v * 10 + (key[i] - '0');
    }
    if (!ok || v > INT32_MAX)
        return krt_jread_fail(err, file, jpath, "expected a partition number from 0 to %d as key",
                              INT32_MAX);
    *out = (int32_t)v;
    return 0;
}

int krt_jread_offset(const char *file, const char *jpath, const json_t *v, int nullable,
                     int64_t *out, struct krt_error *err)
{
    if (nullable && json_is_null(v)) {
        *out = -1;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return krt_jread_fail(err, file, jpath, "expected an offset (an integer >= 0%s)",
                              nullable ? ", or null" : "");
    *out = json_integer_value(v);
    return 0;
}

const char *krt_jpath_key(char *buf, size_t n, const char *parent, const char *key)
{
    size_t l = (size_t)snprintf(buf, n, "%s/", parent && strcmp(parent, "/") ? parent : "");
    if (l >= n)
        return buf;
    for (const char *k = key; *k && l + 3 < n; k++) {
        if (*k == '~' || *k == '/') {
            buf[l++] = '~';
            buf[l++] = *k == '~' ? '0' : '1';
        } else {
            buf[l++] = *k;
        }
    }
    if (l < n)
        buf[l] = '\0';
    return buf;
}

const char *krt_jpath_index(char *buf, size_t n, const char *parent, size_t i)
{
    snprintf(buf, n, "%s/%zu", parent && strcmp(parent, "/") ? parent : "", i);
    return buf;
}
