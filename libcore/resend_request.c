/* resend_request.c - see resend_request.h */
#define _POSIX_C_SOURCE 200809L
#include "resend_request.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jread.h"
#include "timespec.h"

/* ---- bounds ----------------------------------------------------------------------- */

static void bound_free(struct krt_resend_bound *b)
{
    free(b->text);
    free(b->offsets);
    *b = (struct krt_resend_bound){0};
}

static int cmp_poff(const void *a, const void *b)
{
    const struct krt_resend_poff *x = a, *y = b;
    return (x->partition > y->partition) - (x->partition < y->partition);
}

static int bound_add(struct krt_resend_bound *b, size_t *cap, int32_t part, int64_t off,
                     struct krt_error *err)
{
    if (b->noffsets == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        struct krt_resend_poff *v = realloc(b->offsets, ncap * sizeof(*v));
        if (!v)
            return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        b->offsets = v;
        *cap = ncap;
    }
    b->offsets[b->noffsets++] = (struct krt_resend_poff){part, off};
    return 0;
}

/* sort the offsets; a partition given twice is an error */
static int bound_finish(struct krt_resend_bound *b, const char *what, struct krt_error *err)
{
    if (!b->noffsets)
        return krt_error_set(err, KRT_ERR_INPUT, "%s: empty range bound", what);
    qsort(b->offsets, b->noffsets, sizeof(*b->offsets), cmp_poff);
    for (size_t i = 1; i < b->noffsets; i++)
        if (b->offsets[i].partition == b->offsets[i - 1].partition)
            return krt_error_set(err, KRT_ERR_INPUT, "%s: partition %" PRId32 " is given twice",
                                 what, b->offsets[i].partition);
    return 0;
}

/* a decimal number from 0 to max, nothing else */
static int parse_dec(const char *s, size_t n, int64_t max, int64_t *out)
{
    if (!n || n > 19)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        int d = s[i] - '0';
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int krt_resend_bound_parse(const char *s, const char *tz, struct krt_resend_bound *b,
                           struct krt_error *err)
{
    bound_free(b);
    if (!(b->text = strdup(s)))
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    if (strchr(s, 'T') || strchr(s, ' ')) {
        b->has_time = true;
        return krt_time_parse(s, tz, &b->time_ms, err);
    }
    /* P=OFFSET[,P=OFFSET...] */
    b->has_offsets = true;
    size_t cap = 0;
    for (const char *p = s;;) {
        const char *eq = strchr(p, '=');
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        int64_t part, off;
        if (!eq || eq > end || parse_dec(p, (size_t)(eq - p), INT32_MAX, &part) ||
            parse_dec(eq + 1, (size_t)(end - eq - 1), INT64_MAX, &off))
            return krt_error_set(err, KRT_ERR_INPUT,
                                 "malformed range bound '%s' (a date-time, or P=OFFSET,... with "
                                 "partitions 0 to 2147483647 and offsets >= 0)",
                                 s);
        if (bound_add(b, &cap, (int32_t)part, off, err))
            return -1;
        if (!comma)
            break;
        p = comma + 1;
    }
    return bound_finish(b, s, err);
}

int64_t krt_resend_bound_offset(const struct krt_resend_bound *b, int32_t p)
{
    if (!b->has_offsets)
        return -1;
    struct krt_resend_poff key = {p, 0};
    const struct krt_resend_poff *f =
        bsearch(&key, b->offsets, b->noffsets, sizeof(key), cmp_poff);
    return f ? f->offset : -1;
}

/* ---- flags -------------------------------------------------------------------------- */

int krt_resend_partitions_parse(const char *s, struct krt_resend_request *r,
                                struct krt_error *err)
{
    free(r->partitions);
    r->npartitions = 0;
    if (!(r->partitions = calloc(strlen(s) / 2 + 1, sizeof(*r->partitions))))
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    for (const char *p = s;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        int64_t v;
        if (parse_dec(p, n, INT32_MAX, &v))
            return krt_error_set(err, KRT_ERR_USAGE,
                                 "--partitions needs P,P,... (partitions 0 to 2147483647), not "
                                 "'%s'",
                                 s);
        r->partitions[r->npartitions++] = (int32_t)v;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

int krt_resend_rate_parse(const char *s, double *v, struct krt_error *err)
{
    char *end;
    *v = strtod(s, &end);
    if (end == s || *end || !isfinite(*v) || *v <= 0)
        return krt_error_set(err, KRT_ERR_USAGE, "a rate must be a finite number > 0, not '%s'",
                             s);
    return 0;
}

/* ---- the request file ------------------------------------------------------------ */

static const struct krt_jfield request_fields[] = {
    {"id", KRT_J_STRING, 0, 0, 0},
    {"team", KRT_J_STRING, 0, 0, 0},
    {"source", KRT_J_STRING, 0, 0, 0},
    {"target", KRT_J_STRING, 0, 0, 0},
    {"consumer_group", KRT_J_STRING, 0, 0, 0},
    {"keys_file", KRT_J_STRING, 0, 0, 0},
    {"instance", KRT_J_STRING, 0, 0, 0},
    {"header", KRT_J_STRING, 0, 0, 0},
    {"partitions", KRT_J_ARRAY, 0, 0, 0},
    {"from", KRT_J_ANY, 0, 0, 0},
    {"to", KRT_J_ANY, 0, 0, 0},
    {"max_rate", KRT_J_NUMBER, 0, 0, 0},
    {"max_bytes_rate", KRT_J_NUMBER, 0, 0, 0},
    {"replication_factor", KRT_J_INT, 0, 1, 32},
    {NULL, KRT_J_ANY, 0, 0, 0},
};

static int read_string(const char *path, const json_t *doc, const char *key, char **dst,
                       struct krt_error *err)
{
    const json_t *v = json_object_get(doc, key);
    const char *s;
    char jp[128];
    if (!v || *dst)
        return 0;
    if (krt_jread_string(path, krt_jpath_key(jp, sizeof(jp), "", key), v, 1, &s, err))
        return -1;
    if (!(*dst = strdup(s)))
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    return 0;
}

/* {"0": 100, "2": 50}: every key a partition, every value an offset */
static int read_bound_object(const char *path, const char *jp, const json_t *v,
                             struct krt_resend_bound *b, struct krt_error *err)
{
    size_t cap = 0, tlen = 0, tcap = 64;
    char *text = malloc(tcap);
    if (!text)
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    text[0] = '\0';
    b->has_offsets = true;
    const char *k;
    json_t *pv;
    json_object_foreach((json_t *)v, k, pv)
    {
        char kp[160];
        int32_t part;
        int64_t off;
        krt_jpath_key(kp, sizeof(kp), jp, k);
        if (krt_jread_partition_key(path, kp, k, &part, err) ||
            krt_jread_offset(path, kp, pv, 0, &off, err) || bound_add(b, &cap, part, off, err)) {
            free(text);
            return -1;
        }
        /* the text, for messages: P=O,P=O in file order */
        char item[48];
        int n = snprintf(item, sizeof(item), "%s%" PRId32 "=%" PRId64, tlen ? "," : "", part, off);
        if (tlen + (size_t)n + 1 > tcap) {
            tcap = (tlen + (size_t)n + 1) * 2;
            char *t = realloc(text, tcap);
            if (!t) {
                free(text);
                return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
            }
            text = t;
        }
        memcpy(text + tlen, item, (size_t)n + 1);
        tlen += (size_t)n;
    }
    b->text = text;
    if (bound_finish(b, "range bound", err)) {
        krt_error_prefix(err, "%s: %s", path, jp);
        return -1;
    }
    return 0;
}

static int read_bound(const char *path, const char *tz, const json_t *doc, const char *key,
                      struct krt_resend_bound *b, struct krt_error *err)
{
    const json_t *v = json_object_get(doc, key);
    char jp[16];
    krt_jpath_key(jp, sizeof(jp), "", key);
    if (!v || b->text)
        return 0;
    if (json_is_object(v))
        return read_bound_object(path, jp, v, b, err);
    if (!json_is_string(v))
        return krt_jread_fail(err, path, jp,
                              "expected a date-time string, a \"P=OFFSET,...\" string or an "
                              "object of partition offsets");
    if (krt_resend_bound_parse(json_string_value(v), tz, b, err)) {
        krt_error_prefix(err, "%s: %s", path, jp);
        return -1;
    }
    return 0;
}

static int read_rate(const char *path, const json_t *doc, const char *key, double *dst,
                     struct krt_error *err)
{
    const json_t *v = json_object_get(doc, key);
    char jp[32];
    if (!v || *dst)
        return 0;
    krt_jpath_key(jp, sizeof(jp), "", key);
    double d;
    if (krt_jread_number(path, jp, v, 0, 1e15, &d, err))
        return -1;
    if (d <= 0)
        return krt_jread_fail(err, path, jp, "expected a number > 0");
    *dst = d;
    return 0;
}

int krt_resend_request_read(const char *path, const char *tz, struct krt_resend_request *r,
                            struct krt_error *err)
{
    json_t *doc;
    if (krt_jread_file(path, 0, &doc, err))
        return -1;
    int rc = -1;
    if (krt_jread_object(path, "", doc, request_fields, err) ||
        read_string(path, doc, "id", &r->id, err) ||
        read_string(path, doc, "team", &r->team, err) ||
        read_string(path, doc, "source", &r->source, err) ||
        read_string(path, doc, "target", &r->target, err) ||
        read_string(path, doc, "consumer_group", &r->group, err) ||
        read_string(path, doc, "keys_file", &r->keys_file, err) ||
        read_string(path, doc, "instance", &r->instance, err) ||
        read_bound(path, tz, doc, "from", &r->from, err) ||
        read_bound(path, tz, doc, "to", &r->to, err) ||
        read_rate(path, doc, "max_rate", &r->max_rate, err) ||
        read_rate(path, doc, "max_bytes_rate", &r->max_bytes_rate, err))
        goto out;
    const json_t *parts = json_object_get(doc, "partitions");
    if (parts && !r->partitions) {
        if (!json_array_size(parts)) {
            krt_jread_fail(err, path, "/partitions", "expected at least one partition");
            goto out;
        }
        if (!(r->partitions = calloc(json_array_size(parts), sizeof(*r->partitions)))) {
            krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
            goto out;
        }
        size_t i;
        json_t *v;
        json_array_foreach(parts, i, v)
        {
            char jp[48];
            if (krt_jread_partition(path, krt_jpath_index(jp, sizeof(jp), "/partitions", i), v,
                                    &r->partitions[r->npartitions++], err))
                goto out;
        }
    }
    const json_t *h = json_object_get(doc, "header");
    if (h && !r->header_name) {
        const char *s = json_string_value(h), *eq = strchr(s, '=');
        if (!eq || eq == s) {
            krt_jread_fail(err, path, "/header", "expected \"NAME=VALUE\"");
            goto out;
        }
        r->header_name = strndup(s, (size_t)(eq - s));
        r->header_value = strdup(eq + 1);
    }
    const json_t *rf = json_object_get(doc, "replication_factor");
    if (rf && !r->replication_factor)
        r->replication_factor = (int)json_integer_value(rf);
    rc = 0;
out:
    json_decref(doc);
    return rc;
}

/* ---- local checks, the key file, the fingerprint ----------------------------------------- */

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
    return fnv(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

/* A bound by what it means: a tag, then the instant or the offsets in
 * partition order (bound_finish sorted them). */
static uint64_t fnv_bound(uint64_t h, const struct krt_resend_bound *b)
{
    char tag = b->has_time ? 't' : b->has_offsets ? 'o' : '-';
    h = fnv(h, &tag, 1);
    if (b->has_time)
        h = fnv(h, &b->time_ms, sizeof(b->time_ms));
    for (size_t i = 0; b->has_offsets && i < b->noffsets; i++) {
        h = fnv(h, &b->offsets[i].partition, sizeof(b->offsets[i].partition));
        h = fnv(h, &b->offsets[i].offset, sizeof(b->offsets[i].offset));
    }
    return h;
}

/* The fingerprint: what the request means, to refuse an id reused
 * otherwise. Computed from the meaning, not the spelling: partitions sorted
 * and once each (krt_resend_request_check sorts them first), offsets by
 * partition, times as instants, so "2,0" and "0,2" (or a file's keys in
 * another order) are one request.
 * With @p v0, the fingerprint of the builds before 6d2f250, which registered
 * ranges as "krt-resend:v1:<it>:..." too: of the bounds' text and of the
 * partitions in the order given (computed before they are sorted). A
 * request spelled as it was then still resumes its registration; else only
 * a new id got past the refusal, and that copied the range again. */
static void fingerprint(const struct krt_resend_request *r, bool v0, char out[17])
{
    uint64_t h = 1469598103934665603ULL;
    h = fnv_str(h, r->source);
    h = fnv_str(h, r->target);
    if (v0) {
        h = fnv_str(h, r->from.text);
        h = fnv_str(h, r->to.text);
    } else {
        h = fnv_bound(h, &r->from);
        h = fnv_bound(h, &r->to);
    }
    h = fnv_str(h, r->header_name);
    h = fnv_str(h, r->header_value);
    for (int i = 0; r->partitions && i < r->npartitions; i++)
        h = fnv(h, &r->partitions[i], sizeof(r->partitions[i]));
    for (size_t i = 0; i < r->nkeys; i++)
        h = fnv_str(h, r->keys[i]);
    snprintf(out, 17, "%016" PRIx64, h);
}

/* A bound whose meaning its text alone fixes: no time, or an ISO date-time
 * with its own zone ("...Z", "...+01:00", "...-0500"). */
static bool absolute_bound(const struct krt_resend_bound *b)
{
    if (!b->has_time)
        return true;
    const char *t = b->text;
    size_t n = t ? strlen(t) : 0;
    if (n < 17 || !isdigit((unsigned char)t[0]) || t[4] != '-' || t[7] != '-' ||
        (t[10] != 'T' && t[10] != 't' && t[10] != ' '))
        return false;
    if (t[n - 1] == 'Z' || t[n - 1] == 'z')
        return true;
    return strpbrk(t + 11, "+-") != NULL;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* one key per line; empty lines are skipped */
static int load_keys(struct krt_resend_request *r, struct krt_error *err)
{
    char *buf;
    size_t len;
    if (krt_file_read(r->keys_file, 0, &buf, &len, err)) {
        krt_error_prefix(err, "cannot read key file '%s'", r->keys_file);
        return -1;
    }
    size_t cap = 0;
    for (char *line = buf, *next; line < buf + len; line = next) {
        char *nl = memchr(line, '\n', (size_t)(buf + len - line));
        next = nl ? nl + 1 : buf + len;
        size_t n = (size_t)((nl ? nl : buf + len) - line);
        while (n > 0 && line[n - 1] == '\r')
            n--;
        if (!n)
            continue;
        if (r->nkeys == cap) {
            cap = cap ? cap * 2 : 64;
            char **v = realloc(r->keys, cap * sizeof(*v));
            if (!v)
                goto oom;
            r->keys = v;
        }
        if (!(r->keys[r->nkeys] = strndup(line, n)))
            goto oom;
        r->nkeys++;
    }
    free(buf);
    qsort(r->keys, r->nkeys, sizeof(*r->keys), cmp_key);
    return 0;
oom:
    free(buf);
    return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
}

static bool valid_id(const char *s)
{
    if (!*s || strlen(s) > 200)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._-", *s))
            return false;
    return true;
}

int krt_resend_request_check(struct krt_resend_request *r, struct krt_error *err)
{
    if (!r->id || !r->team || !r->source)
        return krt_error_set(err, KRT_ERR_INPUT,
                             "the request needs an id, a team and a source topic (missing: %s)",
                             !r->id ? "id" : !r->team ? "team" : "source");
    if (!valid_id(r->id) || !valid_id(r->team))
        return krt_error_set(err, KRT_ERR_INPUT,
                             "request id and team may only hold letters, digits, '.', '_', '-'");
    if (!r->target) {
        size_t n = strlen(r->source) + strlen(r->team) + 16;
        if (!(r->target = malloc(n)))
            return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        snprintf(r->target, n, "%s.resend.%s", r->source, r->team);
    }
    if (!strcmp(r->target, r->source))
        return krt_error_set(err, KRT_ERR_INPUT,
                             "the target topic must not be the source topic '%s'", r->source);
    if (r->from.has_time && r->to.has_time && r->to.time_ms < r->from.time_ms)
        return krt_error_set(err, KRT_ERR_INPUT, "'to' (%s) is before 'from' (%s)", r->to.text,
                             r->from.text);
    /* the instance goes into transactional.id and group.instance.id
     * (krt-resend.ID.INSTANCE, at most 11 + 200 + 1 + 100 characters) */
    if (r->instance && (!valid_id(r->instance) || strlen(r->instance) > 100))
        return krt_error_set(err, KRT_ERR_INPUT,
                             "the instance name may only hold letters, digits, '.', '_', '-' "
                             "(at most 100)");
    if (!(r->max_rate >= 0) || !(r->max_bytes_rate >= 0))
        return krt_error_set(err, KRT_ERR_INPUT, "rates must be >= 0");
    /* a slower throttle would wait more than a minute for one record (1 MB
     * at the bytes rate): the consumer, not polled while it waits, would be
     * thrown out of the group after max.poll.interval.ms */
    if ((r->max_rate > 0 && r->max_rate < KRT_RESEND_MIN_RATE) ||
        (r->max_bytes_rate > 0 && r->max_bytes_rate < KRT_RESEND_MIN_BYTES_RATE))
        return krt_error_set(err, KRT_ERR_INPUT,
                             "a rate limit must be at least %g records/s and %d bytes/s",
                             KRT_RESEND_MIN_RATE, KRT_RESEND_MIN_BYTES_RATE);
    if (r->keys_file && !r->keys && load_keys(r, err))
        return -1;

    /* the old fingerprint hashed a time's text, whose instant may depend on
     * --timezone or on "now": only a request whose times carry their own
     * zone can be recognised by it */
    if (absolute_bound(&r->from) && absolute_bound(&r->to))
        fingerprint(r, true, r->fingerprint_v0);
    else
        r->fingerprint_v0[0] = '\0';
    if (r->partitions) {
        qsort(r->partitions, (size_t)r->npartitions, sizeof(*r->partitions), cmp_i32);
        int n = 0;
        for (int i = 0; i < r->npartitions; i++)
            if (!n || r->partitions[n - 1] != r->partitions[i])
                r->partitions[n++] = r->partitions[i];
        r->npartitions = n;
    }
    fingerprint(r, false, r->fingerprint);
    return 0;
}

bool krt_resend_request_selects(const struct krt_resend_request *r, int32_t p)
{
    if (!r->partitions)
        return true;
    for (int i = 0; i < r->npartitions; i++)
        if (r->partitions[i] == p)
            return true;
    return false;
}

bool krt_resend_request_key_wanted(const struct krt_resend_request *r, const void *key,
                                   size_t len)
{
    if (!r->keys_file)
        return true;
    if (!key)
        return false;
    size_t lo = 0, hi = r->nkeys;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *k = r->keys[mid];
        size_t kl = strlen(k);
        int c = memcmp(k, key, kl < len ? kl : len);
        if (!c)
            c = (kl > len) - (kl < len);
        if (!c)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

void krt_resend_request_free(struct krt_resend_request *r)
{
    free(r->id);
    free(r->team);
    free(r->source);
    free(r->target);
    free(r->group);
    free(r->partitions);
    free(r->keys_file);
    free(r->header_name);
    free(r->header_value);
    free(r->instance);
    bound_free(&r->from);
    bound_free(&r->to);
    for (size_t i = 0; i < r->nkeys; i++)
        free(r->keys[i]);
    free(r->keys);
    *r = (struct krt_resend_request){0};
}
