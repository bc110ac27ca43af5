/* resend.c - see resend.h */
#define _POSIX_C_SOURCE 200809L
#include "resend.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "json_out.h"
#include "offsets.h"
#include "table.h"
#include "timespec.h"

#define META_PREFIX "krt-resend:v1:"
/* a transaction ends after a second, or sooner at these sizes */
#define TXN_MAX_RECORDS 1000000
#define TXN_MAX_MS 1000
#define TXN_MAX_BYTES ((int64_t)256 << 20)
/* memory: consumer prefetch (+ up to one fetch per broker in flight) and the
 * producer queue; see "Memory" in docs/krt-resend.md */
#define CONSUMER_QUEUE_KB 8192
#define FETCH_MAX_BYTES 4194304
#define PRODUCER_QUEUE_KB 16384
#define QSTR_(x) #x
#define QSTR(x) QSTR_(x)
#define KICK_MIN_MS 20

/* ---- request ------------------------------------------------------------------ */


static void bound_free(struct krt_resend_bound *b)
{
    free(b->text);
    free(b->offset);
    *b = (struct krt_resend_bound){0};
}

int krt_resend_bound_parse(const char *s, const char *tz, struct krt_resend_bound *b,
                           struct krt_error *err)
{
    bound_free(b);
    b->text = strdup(s);
    if (strchr(s, 'T') || strchr(s, ' ')) {
        b->has_time = true;
        return krt_time_parse(s, tz, &b->time_ms, err);
    }
    /* P=OFFSET[,P=OFFSET...]: offsets are kept by partition id, sized later */
    b->has_offsets = true;
    size_t cap = 0;
    int32_t maxp = -1;
    for (const char *p = s; *p;) {
        char *end;
        long part = strtol(p, &end, 10);
        if (end == p || *end != '=' || part < 0 || part > 100000)
            return krt_error_set(err, KRT_ERR_INPUT,
                                 "malformed range bound '%s' (a date-time, or P=OFFSET,...)", s);
        p = end + 1;
        long long off = strtoll(p, &end, 10);
        if (end == p || off < 0 || (*end && *end != ','))
            return krt_error_set(err, KRT_ERR_INPUT,
                                 "malformed range bound '%s' (offsets are >= 0)", s);
        if ((size_t)part >= cap) {
            size_t ncap = (size_t)part + 16;
            int64_t *v = realloc(b->offset, ncap * sizeof(*v));
            if (!v)
                return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
            for (size_t i = cap; i < ncap; i++)
                v[i] = -1;
            b->offset = v;
            cap = ncap;
        }
        b->offset[part] = off;
        if (part > maxp)
            maxp = (int32_t)part;
        p = *end ? end + 1 : end;
    }
    b->maxp = maxp;
    if (maxp < 0)
        return krt_error_set(err, KRT_ERR_INPUT, "empty range bound");
    return 0;
}

static int64_t bound_offset(const struct krt_resend_bound *b, int32_t p)
{
    return b->has_offsets && p <= b->maxp ? b->offset[p] : -1;
}

int krt_resend_request_read(const char *path, struct krt_resend_request *r,
                            struct krt_error *err)
{
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc)
        return krt_error_set(err, errno == ENOENT ? KRT_ERR_IO : KRT_ERR_INPUT,
                             "cannot read request '%s': %s (line %d)", path, je.text, je.line);
    int rc = 0;
    const char *s;
#define STR(field, key)                                                                        \
    if ((s = json_string_value(json_object_get(doc, key))) && !r->field)                       \
        r->field = strdup(s);
    STR(id, "id");
    STR(team, "team");
    STR(source, "source");
    STR(target, "target");
    STR(group, "consumer_group");
    STR(keys_file, "keys_file");
    STR(instance, "instance");
#undef STR
    json_t *parts = json_object_get(doc, "partitions");
    if (json_is_array(parts) && !r->partitions) {
        r->partitions = calloc(json_array_size(parts) + 1, sizeof(*r->partitions));
        size_t i;
        json_t *v;
        json_array_foreach(parts, i, v)
        {
            if (!json_is_integer(v) || json_integer_value(v) < 0) {
                rc = krt_error_set(err, KRT_ERR_INPUT, "%s: partitions must be numbers >= 0", path);
                goto out;
            }
            r->partitions[r->npartitions++] = (int32_t)json_integer_value(v);
        }
    }
    const char *keys[] = {"from", "to"};
    struct krt_resend_bound *bounds[] = {&r->from, &r->to};
    for (int k = 0; k < 2; k++) {
        json_t *v = json_object_get(doc, keys[k]);
        if (!v || bounds[k]->text)
            continue;
        if (json_is_string(v)) {
            if (krt_resend_bound_parse(json_string_value(v), NULL, bounds[k], err)) {
                krt_error_prefix(err, "%s: %s", path, keys[k]);
                rc = -1;
                goto out;
            }
        } else if (json_is_object(v)) {
            char buf[4096] = "";
            size_t l = 0;
            const char *pk;
            json_t *pv;
            json_object_foreach(v, pk, pv)
            {
                l += (size_t)snprintf(buf + l, sizeof(buf) - l, "%s%s=%" JSON_INTEGER_FORMAT,
                                      l ? "," : "", pk, json_integer_value(pv));
                if (l >= sizeof(buf))
                    break;
            }
            if (krt_resend_bound_parse(buf, NULL, bounds[k], err)) {
                krt_error_prefix(err, "%s: %s", path, keys[k]);
                rc = -1;
                goto out;
            }
        }
    }
    json_t *h = json_object_get(doc, "header");
    if (json_is_string(h) && !r->header_name) {
        const char *eq = strchr(json_string_value(h), '=');
        if (!eq) {
            rc = krt_error_set(err, KRT_ERR_INPUT, "%s: header filter must be NAME=VALUE", path);
            goto out;
        }
        r->header_name = strndup(json_string_value(h), (size_t)(eq - json_string_value(h)));
        r->header_value = strdup(eq + 1);
    }
    if (!r->max_rate)
        r->max_rate = json_number_value(json_object_get(doc, "max_rate"));
    if (!r->max_bytes_rate)
        r->max_bytes_rate = json_number_value(json_object_get(doc, "max_bytes_rate"));
    if (!r->replication_factor)
        r->replication_factor = (int)json_integer_value(json_object_get(doc, "replication_factor"));
out:
    json_decref(doc);
    return rc;
}

void krt_resend_free(struct krt_resend *rs)
{
    struct krt_resend_request *r = &rs->req;
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
    for (size_t i = 0; i < rs->nkeys; i++)
        free(rs->keys[i]);
    free(rs->keys);
    free(rs->parts);
    *rs = (struct krt_resend){0};
}

/* ---- preparation ---------------------------------------------------------------- */

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
    h = fnv(h, s ? s : "", s ? strlen(s) + 1 : 1);
    return h;
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_keys(struct krt_resend *rs, uint64_t *h, struct krt_error *err)
{
    FILE *f = fopen(rs->req.keys_file, "r");
    if (!f)
        return krt_error_set(err, KRT_ERR_INPUT, "cannot read key file '%s': %s",
                             rs->req.keys_file, strerror(errno));
    char *line = NULL;
    size_t cap = 0, kcap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) >= 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (!n)
            continue;
        if (rs->nkeys == kcap) {
            kcap = kcap ? kcap * 2 : 64;
            char **v = realloc(rs->keys, kcap * sizeof(*v));
            if (!v) {
                free(line);
                fclose(f);
                return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
            }
            rs->keys = v;
        }
        rs->keys[rs->nkeys++] = strdup(line);
    }
    free(line);
    fclose(f);
    qsort(rs->keys, rs->nkeys, sizeof(*rs->keys), cmp_key);
    for (size_t i = 0; i < rs->nkeys; i++)
        *h = fnv_str(*h, rs->keys[i]);
    return 0;
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

/* "krt-resend:v1:<fingerprint>:<start>:<end>" */
static int parse_meta(const char *m, char fp[17], int64_t *start, int64_t *end)
{
    if (!m || strncmp(m, META_PREFIX, strlen(META_PREFIX)))
        return -1;
    m += strlen(META_PREFIX);
    if (strlen(m) < 17 || m[16] != ':')
        return -1;
    memcpy(fp, m, 16);
    fp[16] = '\0';
    long long s, e;
    if (sscanf(m + 17, "%lld:%lld", &s, &e) != 2)
        return -1;
    *start = s;
    *end = e;
    return 0;
}

static bool selected(const struct krt_resend_request *r, int32_t p)
{
    if (!r->partitions)
        return true;
    for (int i = 0; i < r->npartitions; i++)
        if (r->partitions[i] == p)
            return true;
    return false;
}

int krt_resend_prepare(struct krt_conn *conn, struct krt_resend *rs, struct krt_error *err)
{
    struct krt_resend_request *r = &rs->req;
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
    if (krt_topic_is_internal(r->source) || krt_topic_is_internal(r->target))
        return krt_error_set(err, KRT_ERR_REFUSED, "refusing to resend from or to an internal topic");
    if (r->from.has_time && r->to.has_time && r->to.time_ms < r->from.time_ms)
        return krt_error_set(err, KRT_ERR_INPUT, "'to' (%s) is before 'from' (%s)", r->to.text,
                             r->from.text);
    if (r->max_rate < 0 || r->max_bytes_rate < 0)
        return krt_error_set(err, KRT_ERR_INPUT, "rates must be >= 0");
    snprintf(rs->group, sizeof(rs->group), "krt-resend.%s", r->id);
    snprintf(rs->txn_id, sizeof(rs->txn_id), "krt-resend.%s.%s", r->id,
             r->instance ? r->instance : "0");

    /* the fingerprint: what the request means, to refuse an id reused otherwise */
    uint64_t h = 1469598103934665603ULL;
    h = fnv_str(h, r->source);
    h = fnv_str(h, r->target);
    h = fnv_str(h, r->from.text);
    h = fnv_str(h, r->to.text);
    h = fnv_str(h, r->header_name);
    h = fnv_str(h, r->header_value);
    for (int i = 0; r->partitions && i < r->npartitions; i++)
        h = fnv(h, &r->partitions[i], sizeof(r->partitions[i]));
    if (r->keys_file && load_keys(rs, &h, err))
        return -1;
    snprintf(rs->fingerprint, sizeof(rs->fingerprint), "%016" PRIx64, h);

    struct krt_metadata md;
    struct krt_tplist parts = {0}, committed = {0}, team = {0}, times = {0};
    int64_t *lo = NULL, *hi = NULL;
    int *pe = NULL;
    int rc = -1;
    if (krt_meta_fetch(conn, &md, err))
        return -1;
    const struct krt_topic *src = krt_meta_topic(&md, r->source);
    if (!src || src->err) {
        krt_error_set(err, KRT_ERR_INPUT, "unknown source topic '%s'", r->source);
        goto out;
    }
    rs->source_partitions = src->nparts;
    rs->source_rf = src->nparts ? src->parts[0].nreplicas : 1;
    for (int i = 0; r->partitions && i < r->npartitions; i++)
        if (!krt_meta_part(src, r->partitions[i])) {
            krt_error_set(err, KRT_ERR_INPUT, "source topic '%s' has no partition %d (it has %d)",
                          r->source, r->partitions[i], src->nparts);
            goto out;
        }
    const struct krt_topic *tgt = krt_meta_topic(&md, r->target);
    rs->target_exists = tgt && !tgt->err;
    if (rs->target_exists && tgt->nparts < src->nparts) {
        krt_error_set(err, KRT_ERR_INPUT,
                      "target topic '%s' has %d partitions, fewer than the source's %d: records "
                      "could not keep their partition",
                      r->target, tgt->nparts, src->nparts);
        goto out;
    }
    for (int i = 0; i < src->nparts; i++)
        if (selected(r, src->parts[i].id) &&
            !krt_tplist_add(&parts, r->source, src->parts[i].id, -1))
            goto oom;
    rs->parts = calloc(parts.n + 1, sizeof(*rs->parts));
    lo = calloc(parts.n + 1, sizeof(*lo));
    hi = calloc(parts.n + 1, sizeof(*hi));
    pe = calloc(parts.n + 1, sizeof(*pe));
    if (!rs->parts || !lo || !hi || !pe)
        goto oom;
    if (krt_offsets_watermarks(conn, &md, &parts, lo, hi, pe, err))
        goto out;
    for (size_t i = 0; i < parts.n; i++)
        if (pe[i]) {
            krt_error_kafka(err, pe[i], "cannot read the offsets of '%s' partition %d", r->source,
                            parts.v[i].partition);
            goto out;
        }
    /* a request that started before: its recorded ranges, not new ones */
    if (krt_group_committed_for(conn, rs->group, &parts, &committed, err))
        goto out;
    int recorded = 0, done = 0;
    for (size_t i = 0; i < parts.n; i++) {
        struct krt_resend_part *p = &rs->parts[rs->nparts++];
        *p = (struct krt_resend_part){.partition = parts.v[i].partition, .first_copied = -1,
                                      .last_copied = -1, .team_committed = -1};
        const struct krt_tp *c = krt_tplist_find(&committed, r->source, p->partition);
        char fp[17];
        if (c && c->offset >= 0 && !parse_meta(c->metadata, fp, &p->start, &p->end)) {
            if (strcmp(fp, rs->fingerprint)) {
                krt_error_set(err, KRT_ERR_INPUT,
                              "request id '%s' was used before with other parameters: choose a "
                              "new id",
                              r->id);
                goto out;
            }
            p->next = c->offset;
            recorded++;
            done += p->next >= p->end;
        }
    }
    if (recorded && recorded != rs->nparts) {
        krt_error_set(err, KRT_ERR_INPUT,
                      "request id '%s' was used before with other partitions: choose a new id",
                      r->id);
        goto out;
    }
    rs->resumed = recorded > 0;
    rs->already_done = recorded && done == recorded;
    if (!recorded) {
        /* resolve the range: times through the time index, offsets clamped */
        struct krt_resend_bound *b[2] = {&r->from, &r->to};
        for (int k = 0; k < 2; k++) {
            if (!b[k]->has_time)
                continue;
            krt_tplist_free(&times);
            for (int i = 0; i < rs->nparts; i++)
                if (!krt_tplist_add(&times, r->source, rs->parts[i].partition, b[k]->time_ms))
                    goto oom;
            if (krt_offsets_query(conn, &md, &times, err))
                goto out;
            for (int i = 0; i < rs->nparts; i++) {
                int64_t o = times.v[i].offset < 0 ? hi[i] : times.v[i].offset;
                if (k == 0)
                    rs->parts[i].start = o;
                else
                    rs->parts[i].end = o;
            }
        }
        for (int i = 0; i < rs->nparts; i++) {
            struct krt_resend_part *p = &rs->parts[i];
            if (!r->from.has_time) {
                int64_t o = bound_offset(&r->from, p->partition);
                p->start = o >= 0 ? o : lo[i];
            }
            if (!r->to.has_time) {
                int64_t o = bound_offset(&r->to, p->partition);
                p->end = o >= 0 ? o : hi[i]; /* the open end: the high watermark now */
            }
            if (p->end < p->start) {
                krt_error_set(err, KRT_ERR_INPUT,
                              "'to' is before 'from' for partition %d (%" PRId64 " < %" PRId64 ")",
                              p->partition, p->end, p->start);
                goto out;
            }
            if (p->start < lo[i])
                p->start = lo[i]; /* what was deleted cannot be resent */
            if (p->end > hi[i])
                p->end = hi[i];
            if (p->start > p->end)
                p->start = p->end;
            p->next = p->start;
        }
    }
    if (r->group) {
        if (krt_group_committed_for(conn, r->group, &parts, &team, err))
            goto out;
        for (int i = 0; i < rs->nparts; i++) {
            const struct krt_tp *c = krt_tplist_find(&team, r->source, rs->parts[i].partition);
            rs->parts[i].team_committed = c ? c->offset : -1;
        }
    }
    rc = 0;
    goto out;
oom:
    krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
out:
    krt_tplist_free(&parts);
    krt_tplist_free(&committed);
    krt_tplist_free(&team);
    krt_tplist_free(&times);
    free(lo);
    free(hi);
    free(pe);
    krt_meta_free(&md);
    return rc;
}

/* ---- the copy --------------------------------------------------------------------- */

/* What one process does. The rebalance callback needs it: one copy runs per
 * process, so it lives in a static. */
struct run {
    struct krt_resend *rs;
    const struct krt_common *c;
    rd_kafka_t *consumer, *producer;
    rd_kafka_consumer_group_metadata_t *cgmd;
    int *idx; /* partition id -> index into rs->parts, -1 when not in the request */
    int64_t *committed_next;
    int64_t *pend_copied, *pend_filtered, *pend_bytes, *pend_first, *pend_last;
    bool in_txn;
    int64_t txn_started, txn_records, txn_bytes;
    int64_t rate_t0, rate_records, rate_bytes;
    struct krt_error *err;
    bool failed;
    int64_t queue_wait_ms, idle_polls;
    rd_kafka_queue_t *cq;            /* the consumer's queue, to watch its length */
    int64_t polled, polled_bytes;    /* for the average record size */
    rd_kafka_queue_t *kq;            /* answers to the wake-up requests */
    bool kick_inflight;
    bool parts_changed, own_done;    /* own_done()'s answer, until parts change */
    rd_kafka_topic_t *target;        /* held for the run: keeps its metadata */
    int64_t last_kick, kicks;
};
static struct run *R;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void meta_of(const struct krt_resend *rs, const struct krt_resend_part *p, char *b, size_t n)
{
    snprintf(b, n, META_PREFIX "%s:%" PRId64 ":%" PRId64, rs->fingerprint, p->start, p->end);
}

static int part_index(int32_t partition)
{
    return partition >= 0 && partition < R->rs->source_partitions ? R->idx[partition] : -1;
}

static void pause_one(int32_t partition, bool resume)
{
    R->parts_changed = true; /* called whenever a partition becomes done or not */
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, R->rs->req.source, partition);
    if (resume)
        rd_kafka_resume_partitions(R->consumer, l);
    else
        rd_kafka_pause_partitions(R->consumer, l);
    rd_kafka_topic_partition_list_destroy(l);
}

static void clear_pending(void)
{
    for (int i = 0; i < R->rs->nparts; i++) {
        R->pend_copied[i] = R->pend_filtered[i] = R->pend_bytes[i] = 0;
        R->pend_first[i] = R->pend_last[i] = -1;
    }
    R->txn_records = R->txn_bytes = 0;
}

/* Abort the open transaction and go back to the committed positions. */
static void abort_txn(bool seek)
{
    struct krt_resend *rs = R->rs;
    if (R->in_txn) {
        rd_kafka_error_t *e = rd_kafka_abort_transaction(R->producer, 60000);
        if (e) {
            krt_error_set(R->err, KRT_ERR_KAFKA, "cannot abort the transaction: %s",
                          rd_kafka_error_string(e));
            R->failed = true;
            rd_kafka_error_destroy(e);
        }
        rs->txn_aborts++;
    }
    R->in_txn = false;
    clear_pending();
    R->parts_changed = true;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(rs->nparts);
    for (int i = 0; i < rs->nparts; i++) {
        struct krt_resend_part *p = &rs->parts[i];
        if (!p->assigned)
            continue;
        bool was_done = p->done;
        p->next = R->committed_next[i];
        p->done = p->next >= p->end;
        if (!p->done) {
            rd_kafka_topic_partition_list_add(l, rs->req.source, p->partition)->offset = p->next;
            if (was_done)
                pause_one(p->partition, true);
        }
    }
    if (seek && l->cnt) {
        rd_kafka_error_t *e = rd_kafka_seek_partitions(R->consumer, l, 10000);
        if (e)
            rd_kafka_error_destroy(e); /* a later rebalance reassigns from the commits */
    }
    rd_kafka_topic_partition_list_destroy(l);
}

static void commit_txn(void)
{
    struct krt_resend *rs = R->rs;
    if (!R->in_txn)
        return;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(rs->nparts);
    for (int i = 0; i < rs->nparts; i++) {
        const struct krt_resend_part *p = &rs->parts[i];
        if (!p->assigned || p->next == R->committed_next[i])
            continue;
        char meta[200];
        meta_of(rs, p, meta, sizeof(meta));
        rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_add(l, rs->req.source,
                                                                           p->partition);
        tp->offset = p->next;
        tp->metadata = strdup(meta);
        tp->metadata_size = strlen(meta);
    }
    rd_kafka_error_t *e = NULL;
    int64_t t0 = mono_ms();
    if (l->cnt)
        e = rd_kafka_send_offsets_to_transaction(R->producer, l, R->cgmd, 30000);
    for (int attempt = 0; !e && attempt < 5; attempt++) {
        e = rd_kafka_commit_transaction(R->producer, 60000);
        if (!e || !rd_kafka_error_is_retriable(e))
            break;
        rd_kafka_error_destroy(e);
        e = NULL;
        if (attempt == 4)
            e = rd_kafka_error_new(RD_KAFKA_RESP_ERR__TIMED_OUT, "commit kept failing");
    }
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        if (rd_kafka_error_is_fatal(e) || !rd_kafka_error_txn_requires_abort(e)) {
            krt_error_set(R->err, KRT_ERR_KAFKA,
                          "cannot commit the transaction: %s (run the same request again to "
                          "resume)",
                          rd_kafka_error_string(e));
            R->failed = true;
        } else if (R->c->verbosity >= 2) {
            fprintf(stderr, "%s: transaction aborted (%s): copying again from the last commit\n",
                    R->c->prog, rd_kafka_error_string(e));
        }
        rd_kafka_error_destroy(e);
        if (!R->failed)
            abort_txn(true);
        return;
    }
    R->in_txn = false;
    rs->txn_commits++;
    if (R->c->verbosity >= 2)
        fprintf(stderr, "%s: transaction committed: %" PRId64 " records in %" PRId64
                        " ms, the commit took %" PRId64 " ms\n",
                R->c->prog, R->txn_records, t0 - R->txn_started, mono_ms() - t0);
    if (R->rate_records)
        rs->copy_ms = mono_ms() - R->rate_t0;
    for (int i = 0; i < rs->nparts; i++) {
        struct krt_resend_part *p = &rs->parts[i];
        if (!p->assigned)
            continue;
        R->committed_next[i] = p->next;
        p->copied += R->pend_copied[i];
        p->filtered += R->pend_filtered[i];
        p->bytes += R->pend_bytes[i];
        if (R->pend_first[i] >= 0 && p->first_copied < 0)
            p->first_copied = R->pend_first[i];
        if (R->pend_last[i] >= 0)
            p->last_copied = R->pend_last[i];
        rs->total_copied += R->pend_copied[i];
        rs->total_filtered += R->pend_filtered[i];
        rs->total_bytes += R->pend_bytes[i];
    }
    clear_pending();
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    (void)opaque;
    struct krt_resend *rs = R->rs;
    /* copies of partitions that move on are not ours to commit any more */
    if (R->in_txn)
        abort_txn(false);
    for (int i = 0; i < rs->nparts; i++)
        rs->parts[i].assigned = false;
    R->parts_changed = true;
    if (e != RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_assign(rk, NULL);
        return;
    }
    /* start from the committed positions; one held by another process's
     * unfinished transaction is unstable until that one ends, so ask again */
    int64_t deadline = mono_ms() + 90000;
    rd_kafka_resp_err_t ce;
    do {
        for (int i = 0; i < parts->cnt; i++)
            parts->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
        ce = rd_kafka_committed(rk, parts, 30000);
        for (int i = 0; !ce && i < parts->cnt; i++)
            if (parts->elems[i].err)
                ce = parts->elems[i].err;
    } while (ce && mono_ms() < deadline && !krt_interrupted());
    if (ce) {
        krt_error_kafka(R->err, ce, "cannot read the committed positions of '%s'", rs->group);
        R->failed = true;
    }
    rd_kafka_topic_partition_list_t *pause = rd_kafka_topic_partition_list_new(parts->cnt);
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &parts->elems[i];
        int k = part_index(tp->partition);
        if (k < 0) {
            tp->offset = RD_KAFKA_OFFSET_END; /* not in the request: never read */
            rd_kafka_topic_partition_list_add(pause, tp->topic, tp->partition);
            continue;
        }
        struct krt_resend_part *p = &rs->parts[k];
        p->assigned = true;
        p->next = tp->offset >= 0 ? tp->offset : p->start;
        R->committed_next[k] = tp->offset >= 0 ? tp->offset : p->next;
        p->done = p->next >= p->end;
        tp->offset = p->next;
        if (p->done)
            rd_kafka_topic_partition_list_add(pause, tp->topic, tp->partition);
    }
    rd_kafka_assign(rk, parts);
    if (pause->cnt)
        rd_kafka_pause_partitions(rk, pause);
    rd_kafka_topic_partition_list_destroy(pause);
}

static bool key_wanted(const struct krt_resend *rs, const void *key, size_t len)
{
    if (!rs->req.keys_file)
        return true;
    if (!key)
        return false;
    size_t lo = 0, hi = rs->nkeys;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *k = rs->keys[mid];
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

static bool header_wanted(const struct krt_resend *rs, const rd_kafka_message_t *m)
{
    if (!rs->req.header_name)
        return true;
    rd_kafka_headers_t *h = NULL;
    if (rd_kafka_message_headers(m, &h) || !h)
        return false;
    const void *v;
    size_t n;
    size_t wl = strlen(rs->req.header_value);
    for (size_t i = 0; !rd_kafka_header_get(h, i, rs->req.header_name, &v, &n); i++)
        if (n == wl && (!n || !memcmp(v, rs->req.header_value, n)))
            return true;
    return false;
}

static void throttle(int64_t bytes)
{
    const struct krt_resend_request *r = &R->rs->req;
    /* the clock starts at the first record: no credit saved while joining */
    if (R->rate_records == 0)
        R->rate_t0 = mono_ms();
    R->rate_records++;
    R->rate_bytes += bytes;
    for (;;) {
        int64_t el = mono_ms() - R->rate_t0;
        double want = 0;
        if (r->max_rate > 0)
            want = (double)R->rate_records * 1000.0 / r->max_rate;
        if (r->max_bytes_rate > 0 && (double)R->rate_bytes * 1000.0 / r->max_bytes_rate > want)
            want = (double)R->rate_bytes * 1000.0 / r->max_bytes_rate;
        if (want <= (double)el || krt_interrupted())
            return;
        int64_t wait = (int64_t)want - el;
        if (wait > 50)
            wait = 50;
        rd_kafka_poll(R->producer, (int)wait);
    }
}

static void ensure_txn(void)
{
    if (R->in_txn || R->failed)
        return;
    rd_kafka_error_t *e = rd_kafka_begin_transaction(R->producer);
    if (e) {
        krt_error_set(R->err, KRT_ERR_KAFKA, "cannot begin a transaction: %s",
                      rd_kafka_error_string(e));
        R->failed = true;
        rd_kafka_error_destroy(e);
        return;
    }
    R->in_txn = true;
    R->txn_started = mono_ms();
}

static int produce(const rd_kafka_message_t *m)
{
    struct krt_resend *rs = R->rs;
    rd_kafka_headers_t *src = NULL, *h;
    if (!rd_kafka_message_headers(m, &src) && src)
        h = rd_kafka_headers_copy(src);
    else
        h = rd_kafka_headers_new(4);
    char part[16], off[24];
    snprintf(part, sizeof(part), "%d", m->partition);
    snprintf(off, sizeof(off), "%" PRId64, m->offset);
    rd_kafka_header_add(h, "krt.resend.id", -1, rs->req.id, -1);
    rd_kafka_header_add(h, "krt.source.topic", -1, rs->req.source, -1);
    rd_kafka_header_add(h, "krt.source.partition", -1, part, -1);
    rd_kafka_header_add(h, "krt.source.offset", -1, off, -1);
    rd_kafka_timestamp_type_t tt;
    int64_t ts = rd_kafka_message_timestamp(m, &tt);
    rd_kafka_resp_err_t e;
    for (;;) {
        e = rd_kafka_producev(R->producer, RD_KAFKA_V_TOPIC(rs->req.target),
                              RD_KAFKA_V_PARTITION(m->partition),
                              RD_KAFKA_V_KEY(m->key, m->key_len),
                              RD_KAFKA_V_VALUE(m->payload, m->len),
                              RD_KAFKA_V_TIMESTAMP(tt == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? 0 : ts),
                              RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_END);
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            break;
        int64_t w0 = mono_ms();
        rd_kafka_poll(R->producer, 50); /* bounded memory: wait for the queue */
        R->queue_wait_ms += mono_ms() - w0;
    }
    if (e) {
        rd_kafka_headers_destroy(h);
        return krt_error_kafka(R->err, e, "cannot produce to '%s'", rs->req.target);
    }
    return 0;
}

static void handle(rd_kafka_message_t *m)
{
    struct krt_resend *rs = R->rs;
    int k = part_index(m->partition);
    if (k < 0 || !m->rkt || strcmp(rd_kafka_topic_name(m->rkt), rs->req.source))
        return;
    struct krt_resend_part *p = &rs->parts[k];
    if (!p->assigned || p->done)
        return;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        /* the end of the log: past the range end (control records count) */
        if (m->offset >= p->end) {
            ensure_txn();
            p->next = p->end;
            p->done = true;
            pause_one(p->partition, false);
        }
        return;
    }
    if (m->err) {
        if (R->c->verbosity >= 2)
            fprintf(stderr, "%s: consumer: %s\n", R->c->prog, rd_kafka_message_errstr(m));
        return;
    }
    if (m->offset < p->next)
        return;
    ensure_txn();
    if (R->failed)
        return;
    if (m->offset >= p->end) {
        p->next = p->end;
        p->done = true;
        pause_one(p->partition, false);
        return;
    }
    if (key_wanted(rs, m->key, m->key_len) && header_wanted(rs, m)) {
        int64_t bytes = (int64_t)(m->len + m->key_len);
        throttle(bytes);
        if (produce(m)) {
            R->failed = true;
            return;
        }
        R->pend_copied[k]++;
        R->pend_bytes[k] += bytes;
        if (R->pend_first[k] < 0)
            R->pend_first[k] = m->offset;
        R->pend_last[k] = m->offset;
        R->txn_bytes += bytes;
    } else {
        R->pend_filtered[k]++;
    }
    R->txn_records++;
    p->next = m->offset + 1;
    if (p->next >= p->end) {
        p->done = true;
        pause_one(p->partition, false);
    }
}

/* Every partition this process holds is copied to its end. Asked once per
 * record: the answer is kept until a partition is (un)assigned or done. */
static bool own_done(void)
{
    if (R->parts_changed) {
        R->own_done = true;
        for (int i = 0; i < R->rs->nparts && R->own_done; i++)
            R->own_done = !R->rs->parts[i].assigned || R->rs->parts[i].done;
        R->parts_changed = false;
    }
    return R->own_done;
}

/* librdkafka 2.0.2 stops fetching once the consumer queue holds
 * queued.max.messages.kbytes, and looks again only when the broker thread
 * wakes: on I/O, on an operation for it, or after a second. A copy drains the
 * queue much faster than a second, and would then idle for the rest of it.
 * (librdkafka 2.1 made this delay fetch.queue.backoff.ms.) So while the queue
 * is below its bound, a ListGroups request to every broker, sent through
 * the consumer's own connections, wakes each broker thread, and it fetches
 * again. One request at a time, at most one per KICK_MIN_MS. */
static void kick_fetchers(void)
{
    if (R->kick_inflight) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(R->kq, 0);
        if (!ev)
            return;
        rd_kafka_event_destroy(ev); /* the answer is not needed */
        R->kick_inflight = false;
    }
    int64_t now = mono_ms();
    if (now - R->last_kick < KICK_MIN_MS || R->polled == 0 || own_done())
        return;
    int64_t avg = R->polled_bytes / R->polled + 1;
    if ((int64_t)rd_kafka_queue_length(R->cq) * avg >= CONSUMER_QUEUE_KB * 1024)
        return;
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(R->consumer,
                                                           RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
    rd_kafka_AdminOptions_set_request_timeout(o, 10000, NULL, 0);
    rd_kafka_ListConsumerGroups(R->consumer, o, R->kq);
    rd_kafka_AdminOptions_destroy(o);
    R->kick_inflight = true;
    R->last_kick = now;
    R->kicks++;
}

/* Every partition of the request is ours and committed at its end by us. */
static bool own_all(void)
{
    for (int i = 0; i < R->rs->nparts; i++)
        if (!R->rs->parts[i].assigned || R->committed_next[i] < R->rs->parts[i].end)
            return false;
    return true;
}

/* Every partition of the request committed at its end, by whichever process. */
static int request_parts(const struct krt_resend *rs, struct krt_tplist *l)
{
    for (int i = 0; i < rs->nparts; i++)
        if (!krt_tplist_add(l, rs->req.source, rs->parts[i].partition, -1))
            return -1;
    krt_tplist_sort(l);
    return 0;
}

static int all_done(struct krt_conn *admin, bool *done, struct krt_error *err)
{
    struct krt_tplist c = {0}, parts = {0};
    int rc = request_parts(R->rs, &parts) ? krt_error_set(err, KRT_ERR_INTERNAL, "out of memory")
                                          : krt_group_committed_for(admin, R->rs->group, &parts,
                                                                    &c, err);
    krt_tplist_free(&parts);
    if (rc) {
        krt_tplist_free(&c);
        return -1;
    }
    *done = true;
    for (int i = 0; i < R->rs->nparts && *done; i++) {
        const struct krt_tp *tp = krt_tplist_find(&c, R->rs->req.source, R->rs->parts[i].partition);
        *done = tp && tp->offset >= R->rs->parts[i].end;
    }
    krt_tplist_free(&c);
    return 0;
}

static void progress(int64_t todo, bool final)
{
    const struct krt_resend *rs = R->rs;
    double el = (double)(krt_now_ms() - rs->started_ms) / 1000.0;
    int64_t done = rs->total_copied + rs->total_filtered;
    double rate = el > 0 ? (double)done / el : 0;
    double eta = rate > 0 && todo > done ? (double)(todo - done) / rate : 0;
    fprintf(stderr, "\r%s: %" PRId64 " copied, %" PRId64 " filtered, %.1f MB, %.0f records/s, ETA %.0fs   %s",
            rs->req.id, rs->total_copied, rs->total_filtered, (double)rs->total_bytes / 1e6, rate,
            eta, final ? "\n" : "");
}

static int register_request(struct krt_conn *admin, struct krt_resend *rs, struct krt_error *err)
{
    struct krt_tplist l = {0};
    for (int i = 0; i < rs->nparts; i++) {
        char meta[200];
        meta_of(rs, &rs->parts[i], meta, sizeof(meta));
        struct krt_tp *tp = krt_tplist_add(&l, rs->req.source, rs->parts[i].partition,
                                           rs->parts[i].start);
        if (!tp || !(tp->metadata = strdup(meta))) {
            krt_tplist_free(&l);
            return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        }
    }
    krt_tplist_sort(&l);
    int rc = krt_group_alter(admin, rs->group, &l, err);
    krt_tplist_free(&l);
    return rc;
}

int krt_resend_run(const struct krt_common *c, struct krt_resend *rs, struct krt_error *err)
{
    rs->started_ms = krt_now_ms();
    if (rs->already_done) {
        rs->finished_ms = rs->started_ms;
        return 0;
    }
    struct krt_conn admin, chold = {0}, phold = {0};
    if (krt_conn_open(&admin, c, KRT_CONN_ADMIN, NULL, err))
        return -1;
    krt_conn_trap_signals(&admin);
    int rc = -1;
    struct run run = {.rs = rs, .c = c, .err = err, .parts_changed = true};
    R = &run;
    if (!rs->target_exists) {
        struct krt_props cfg = {0};
        krt_props_add(&cfg, "message.timestamp.type", "CreateTime", 0);
        int rf = rs->req.replication_factor ? rs->req.replication_factor : rs->source_rf;
        int crc = krt_admin_create_topic(&admin, rs->req.target, rs->source_partitions, rf, &cfg,
                                         60000, err);
        krt_props_free(&cfg);
        /* another process of the same request may have created it first */
        if (crc && err->kafka_err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
            goto out;
        rs->target_exists = true;
    }
    if (!rs->resumed) {
        /* a sibling process may have registered the request meanwhile: keep its record */
        struct krt_tplist now = {0}, parts = {0};
        int qrc = request_parts(rs, &parts) ? krt_error_set(err, KRT_ERR_INTERNAL, "out of memory")
                                            : krt_group_committed_for(&admin, rs->group, &parts,
                                                                      &now, err);
        bool taken = false;
        for (size_t i = 0; !qrc && i < now.n; i++)
            taken |= now.v[i].offset >= 0;
        krt_tplist_free(&now);
        krt_tplist_free(&parts);
        if (qrc)
            goto out;
        if (!taken && register_request(&admin, rs, err))
            goto out;
    }
    run.idx = malloc(sizeof(int) * (size_t)(rs->source_partitions + 1));
    run.committed_next = calloc((size_t)rs->nparts + 1, sizeof(int64_t));
    run.pend_copied = calloc((size_t)rs->nparts + 1, sizeof(int64_t));
    run.pend_filtered = calloc((size_t)rs->nparts + 1, sizeof(int64_t));
    run.pend_bytes = calloc((size_t)rs->nparts + 1, sizeof(int64_t));
    run.pend_first = calloc((size_t)rs->nparts + 1, sizeof(int64_t));
    run.pend_last = calloc((size_t)rs->nparts + 1, sizeof(int64_t));
    if (!run.idx || !run.committed_next || !run.pend_copied || !run.pend_filtered ||
        !run.pend_bytes || !run.pend_first || !run.pend_last) {
        krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        goto out;
    }
    for (int i = 0; i < rs->source_partitions; i++)
        run.idx[i] = -1;
    for (int i = 0; i < rs->nparts; i++)
        run.idx[rs->parts[i].partition] = i;
    clear_pending();

    struct krt_props cx = {0}, px = {0};
    krt_props_add(&cx, "group.id", rs->group, 0);
    krt_props_add(&cx, "isolation.level", "read_committed", 0);
    krt_props_add(&cx, "enable.partition.eof", "true", 0);
    krt_props_add(&cx, "auto.offset.reset", "earliest", 0);
    krt_props_add(&cx, "queued.max.messages.kbytes", QSTR(CONSUMER_QUEUE_KB), 0);
    krt_props_add(&cx, "fetch.max.bytes", QSTR(FETCH_MAX_BYTES), 0);
    krt_props_add(&cx, "session.timeout.ms", "10000", 0);
    krt_props_add(&cx, "heartbeat.interval.ms", "1000", 0);
    /* static membership (KIP-345): a process restarted under the same instance
     * name takes its old place at once, without waiting for a rebalance */
    krt_props_add(&cx, "group.instance.id", rs->txn_id, 0);
    krt_props_add(&px, "transactional.id", rs->txn_id, 0);
    krt_props_add(&px, "transaction.timeout.ms", "15000", 0);
    krt_props_add(&px, "queue.buffering.max.kbytes", QSTR(PRODUCER_QUEUE_KB), 0);
    /* Records become visible at the commit, so lingering up to the length of
     * a transaction delays nobody; the commit flushes what is left. It also
     * keeps librdkafka 2.0.2's idempotent producer from spinning: a partition
     * with a full batch but a request in flight (it sends one at a time) asks
     * its broker thread to wake at enqueue time + linger, i.e. at once. */
    krt_props_add(&px, "linger.ms", QSTR(TXN_MAX_MS), 0);
    int crc = krt_conn_create(&chold, c, KRT_CONN_CONSUMER, &cx, on_rebalance, err);
    if (!crc)
        crc = krt_conn_create(&phold, c, KRT_CONN_PRODUCER, &px, NULL, err);
    krt_props_free(&cx);
    krt_props_free(&px);
    run.consumer = chold.rk;
    run.producer = phold.rk;
    if (crc)
        goto out;
    rd_kafka_error_t *e = rd_kafka_init_transactions(run.producer, 60000);
    if (e) {
        krt_error_set(err, KRT_ERR_KAFKA, "cannot start the transactional producer '%s': %s",
                      rs->txn_id, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        goto out;
    }
    /* learn the target's partitions now: a topic the producer has not seen
     * waits for its next metadata scan, up to a second */
    run.target = rd_kafka_topic_new(run.producer, rs->req.target, NULL);
    for (int64_t until = mono_ms() + 10000; run.target && mono_ms() < until;) {
        const struct rd_kafka_metadata *md = NULL;
        bool known = !rd_kafka_metadata(run.producer, 0, run.target, &md, 5000) &&
                     md->topic_cnt == 1 && !md->topics[0].err && md->topics[0].partition_cnt > 0;
        if (md)
            rd_kafka_metadata_destroy(md);
        if (known || krt_interrupted())
            break;
        krt_sleep_ms(100); /* a topic created a moment ago */
    }
    rd_kafka_poll_set_consumer(run.consumer);
    run.cq = rd_kafka_queue_get_consumer(run.consumer);
    run.kq = rd_kafka_queue_new(run.consumer);
    run.cgmd = rd_kafka_consumer_group_metadata(run.consumer);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, rs->req.source, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t se = rd_kafka_subscribe(run.consumer, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (se) {
        krt_error_kafka(err, se, "cannot subscribe to '%s'", rs->req.source);
        goto out;
    }
    int64_t todo = 0;
    for (int i = 0; i < rs->nparts; i++)
        todo += rs->parts[i].end - rs->parts[i].next;
    bool tty = isatty(STDERR_FILENO) && c->verbosity > 0;
    int64_t last_progress = 0, last_check = 0;
    for (;;) {
        if (krt_interrupted()) {
            abort_txn(false);
            krt_error_set(err, KRT_ERR_INTERRUPTED,
                          "interrupted: run the same request again to resume where it stopped");
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(run.consumer, 100);
        run.idle_polls += !m;
        if (m) {
            run.polled++;
            run.polled_bytes += (int64_t)(m->len + m->key_len);
            /* the group metadata changes with each generation (KIP-447 fencing) */
            handle(m);
            rd_kafka_message_destroy(m);
        }
        rd_kafka_poll(run.producer, 0);
        kick_fetchers();
        if (run.failed)
            break;
        int64_t now = mono_ms();
        if (run.in_txn && (run.txn_records >= TXN_MAX_RECORDS || run.txn_bytes >= TXN_MAX_BYTES ||
                           now - run.txn_started >= TXN_MAX_MS || own_done())) {
            rd_kafka_consumer_group_metadata_destroy(run.cgmd);
            run.cgmd = rd_kafka_consumer_group_metadata(run.consumer);
            commit_txn();
            if (run.failed)
                break;
        }
        if (tty && now - last_progress >= 1000) {
            progress(todo, false);
            last_progress = now;
        }
        if (!run.in_txn && own_done() && now - last_check >= 1000) {
            bool done = own_all();
            last_check = now;
            if (!done && all_done(&admin, &done, err))
                break;
            if (done) {
                rc = 0;
                break;
            }
        }
    }
    if (tty)
        progress(todo, true);
    if (c->verbosity >= 2)
        fprintf(stderr, "%s: waited %" PRId64 " ms for the producer queue; %" PRId64
                        " empty consumer polls; %" PRId64 " fetcher wake-ups\n",
                c->prog, run.queue_wait_ms, run.idle_polls, run.kicks);
out:
    rs->finished_ms = krt_now_ms();
    if (run.cq)
        rd_kafka_queue_destroy(run.cq);
    if (run.kq)
        rd_kafka_queue_destroy(run.kq); /* an answer still on its way is dropped */
    if (run.consumer)
        rd_kafka_consumer_close(run.consumer);
    if (run.cgmd)
        rd_kafka_consumer_group_metadata_destroy(run.cgmd);
    krt_conn_close(&chold);
    if (run.target)
        rd_kafka_topic_destroy(run.target);
    krt_conn_close(&phold);
    krt_conn_close(&admin);
    free(run.idx);
    free(run.committed_next);
    free(run.pend_copied);
    free(run.pend_filtered);
    free(run.pend_bytes);
    free(run.pend_first);
    free(run.pend_last);
    R = NULL;
    return rc;
}

/* ---- reports ---------------------------------------------------------------------- */

json_t *krt_resend_json(const struct krt_resend *rs, bool executed)
{
    const struct krt_resend_request *r = &rs->req;
    json_t *doc = json_object(), *parts = json_array();
    json_object_set_new(doc, "krt_resend", json_integer(1));
    json_object_set_new(doc, "id", json_string(r->id));
    json_object_set_new(doc, "team", json_string(r->team));
    json_object_set_new(doc, "source", json_string(r->source));
    json_object_set_new(doc, "target", json_string(r->target));
    json_object_set_new(doc, "group", json_string(rs->group));
    json_object_set_new(doc, "fingerprint", json_string(rs->fingerprint));
    json_object_set_new(doc, "executed", json_boolean(executed));
    json_object_set_new(doc, "resumed", json_boolean(rs->resumed));
    json_object_set_new(doc, "already_done", json_boolean(rs->already_done));
    json_object_set_new(doc, "consumer_group", krt_json_str(r->group));
    int64_t estimate = 0;
    for (int i = 0; i < rs->nparts; i++) {
        const struct krt_resend_part *p = &rs->parts[i];
        json_t *o = json_object();
        json_object_set_new(o, "partition", json_integer(p->partition));
        json_object_set_new(o, "start_offset", json_integer(p->start));
        json_object_set_new(o, "end_offset", json_integer(p->end));
        json_object_set_new(o, "next_offset", json_integer(p->next));
        json_object_set_new(o, "records_in_range", json_integer(p->end - p->start));
        if (executed) {
            json_object_set_new(o, "first_copied_offset", krt_json_offset(p->first_copied));
            json_object_set_new(o, "last_copied_offset", krt_json_offset(p->last_copied));
            json_object_set_new(o, "copied", json_integer(p->copied));
            json_object_set_new(o, "filtered_out", json_integer(p->filtered));
        }
        if (r->group)
            json_object_set_new(o, "consumer_group_committed", krt_json_offset(p->team_committed));
        json_array_append_new(parts, o);
        estimate += p->end - p->next;
    }
    json_object_set_new(doc, "partitions", parts);
    json_object_set_new(doc, "records_to_read", json_integer(estimate));
    if (executed) {
        double secs = (double)(rs->finished_ms - rs->started_ms) / 1000.0;
        json_object_set_new(doc, "copied", json_integer(rs->total_copied));
        json_object_set_new(doc, "filtered_out", json_integer(rs->total_filtered));
        json_object_set_new(doc, "bytes", json_integer(rs->total_bytes));
        json_object_set_new(doc, "duration_s", json_real(secs));
        json_object_set_new(doc, "records_per_s",
                            json_real(secs > 0 ? (double)rs->total_copied / secs : 0));
        json_object_set_new(doc, "copy_duration_s", json_real((double)rs->copy_ms / 1000.0));
        json_object_set_new(doc, "copy_records_per_s",
                            json_real(rs->copy_ms > 0 ? (double)rs->total_copied * 1000.0 /
                                                            (double)rs->copy_ms
                                                      : 0));
        json_object_set_new(doc, "transactions", json_integer(rs->txn_commits));
        json_object_set_new(doc, "aborted_transactions", json_integer(rs->txn_aborts));
    }
    return doc;
}

void krt_resend_print(const struct krt_resend *rs, bool executed, FILE *f)
{
    const struct krt_resend_request *r = &rs->req;
    fprintf(f, "Resend '%s' for team '%s': %s -> %s (group %s)\n", r->id, r->team, r->source,
            r->target, rs->group);
    if (rs->already_done) {
        fprintf(f, "This request is finished: nothing to do.\n");
        return;
    }
    const char *heads[] = {"PARTITION", "START", "END", "NEXT", "IN-RANGE", "COPIED", "FILTERED",
                           "FIRST", "LAST", "TEAM-COMMITTED"};
    struct krt_table t;
    krt_table_init(&t, executed ? 10 : 5, heads);
    for (int i = 0; i < rs->nparts; i++) {
        const struct krt_resend_part *p = &rs->parts[i];
        char c[10][24];
        snprintf(c[0], 24, "%d", p->partition);
        snprintf(c[1], 24, "%" PRId64, p->start);
        snprintf(c[2], 24, "%" PRId64, p->end);
        snprintf(c[3], 24, "%" PRId64, p->next);
        snprintf(c[4], 24, "%" PRId64, p->end - p->start);
        snprintf(c[5], 24, "%" PRId64, p->copied);
        snprintf(c[6], 24, "%" PRId64, p->filtered);
        krt_table_offset(c[7], 24, p->first_copied);
        krt_table_offset(c[8], 24, p->last_copied);
        krt_table_offset(c[9], 24, p->team_committed);
        const char *cells[] = {c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9]};
        krt_table_add(&t, cells);
    }
    krt_table_print(&t, f);
    krt_table_free(&t);
    if (executed) {
        double secs = (double)(rs->finished_ms - rs->started_ms) / 1000.0;
        fprintf(f, "Copied %" PRId64 " records (%.1f MB), filtered out %" PRId64
                   ", in %.1fs (%.0f records/s), %" PRId64 " transactions%s.\n",
                rs->total_copied, (double)rs->total_bytes / 1e6, rs->total_filtered, secs,
                secs > 0 ? (double)rs->total_copied / secs : 0.0, rs->txn_commits,
                rs->resumed ? ", resumed from the last commit" : "");
    } else {
        int64_t n = 0;
        for (int i = 0; i < rs->nparts; i++)
            n += rs->parts[i].end - rs->parts[i].next;
        fprintf(f, "%s %" PRId64 " records to read%s. Nothing written: add --execute to copy.\n",
                rs->target_exists ? "Target exists." : "Target will be created.", n,
                rs->req.keys_file || rs->req.header_name ? " (before filtering)" : "");
    }
}
