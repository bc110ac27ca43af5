/* schema_topic.c - see schema_topic.h */
#define _POSIX_C_SOURCE 200809L
#include "schema_topic.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conn.h"
#include "fetchwake.h"
#include "meta.h"
#include "offsets.h"

/* The consumer's prefetch queue bounds librdkafka's share of the memory
 * whatever the topic's size. A 16 MB queue peaked at 97-109 MB RSS on
 * bench/schema.sh's 1,000,000 records; 8 MB alone was 45% slower, because
 * librdkafka 2.0.2 left the fetchers stopped by a full queue until its 1 s
 * tick: they are now woken as soon as the queue drains (fetchwake.h), and
 * 8 MB keeps the speed of 16 MB (4 MB did not: 1.4x slower on 200,000
 * records of a loaded machine). */
#define QUEUE_KB 8192
#define STR_(x) #x
#define STR(x) STR_(x)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct part_state {
    int32_t partition;
    int64_t start, end;
    bool done;
};

struct run {
    const struct krt_schema_topic_req *req;
    struct krt_schema_topic_report *rep;
    struct krt_error *err;
    int64_t bytes; /* of the records read: their mean size sizes the queue */
};

static struct krt_schema_writer *writer_for(struct run *r, int id)
{
    struct krt_schema_topic_report *rep = r->rep;
    for (size_t i = 0; i < rep->nwriters; i++)
        if (rep->writers[i].id == id)
            return &rep->writers[i];
    struct krt_schema_writer *v = realloc(rep->writers, (rep->nwriters + 1) * sizeof(*v));
    if (!v)
        return NULL;
    rep->writers = v;
    struct krt_schema_writer *w = &v[rep->nwriters++];
    memset(w, 0, sizeof(*w));
    w->id = id;
    if (id == KRT_SCHEMA_ID_BAD_WIRE)
        return w;
    struct krt_error e;
    krt_error_clear(&e);
    int rc;
    if (id == KRT_SCHEMA_ID_RAW) {
        rc = krt_avro_decoder_new(&w->dec, r->req->writer, r->req->reader, &e);
    } else {
        char *text = NULL, origin[64];
        snprintf(origin, sizeof(origin), "registry schema id %d", id);
        json_t *refs = NULL;
        rc = krt_registry_schema_by_id(r->req->registry, id, &text, &refs, &e);
        if (!rc)
            rc = krt_registry_parse_schema(r->req->registry, text, refs, origin, &w->schema, &e);
        free(text);
        json_decref(refs);
        if (!rc && krt_avro_decoder_new(&w->dec, &w->schema, r->req->reader, &e)) {
            krt_avro_schema_free(&w->schema);
            rc = -1;
        }
        if (rc && (e.code == KRT_ERR_UNREACHABLE || e.code == KRT_ERR_AUTH ||
                   e.code == KRT_ERR_INTERNAL)) {
            *r->err = e; /* the registry is gone: stop rather than fail every record */
            return NULL;
        }
    }
    if (rc)
        w->error = strdup(e.msg);
    else
        w->ready = true;
    return w;
}

static void record_failure(struct run *r, struct krt_schema_writer *w, int32_t partition,
                           int64_t offset, const char *reason)
{
    w->failed++;
    r->rep->failed++;
    if (w->nfails >= r->req->max_failures)
        return;
    struct krt_schema_failure *v = realloc(w->fails, (w->nfails + 1) * sizeof(*v));
    if (!v)
        return;
    w->fails = v;
    v[w->nfails].partition = partition;
    v[w->nfails].offset = offset;
    snprintf(v[w->nfails].reason, sizeof(v[w->nfails].reason), "%s", reason);
    w->nfails++;
}

/* @returns 0, or -1 when the run must stop (r->err set) */
static int process(struct run *r, const rd_kafka_message_t *m)
{
    const unsigned char *p = m->payload;
    size_t len = m->len;
    r->rep->records++;
    if (!p) {
        r->rep->null_values++;
        return 0;
    }
    int id = KRT_SCHEMA_ID_RAW;
    char why[400];
    if (!r->req->writer) {
        /* a registry id is a positive 32-bit int: a larger one is no id (and
         * must not alias the sentinel ids below 0) */
        uint32_t uid = len < 5 ? 0
                               : (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 |
                                     (uint32_t)p[3] << 8 | p[4];
        if (len < 5 || p[0] != 0 || uid > INT32_MAX) {
            struct krt_schema_writer *bad = writer_for(r, KRT_SCHEMA_ID_BAD_WIRE);
            if (!bad)
                return krt_error_set(r->err, KRT_ERR_INTERNAL, "out of memory");
            if (len < 5)
                snprintf(why, sizeof(why), "a value of %zu byte(s) is too short for the "
                                           "Confluent wire format", len);
            else if (p[0] != 0)
                snprintf(why, sizeof(why), "magic byte %u, not 0: not the Confluent wire format",
                         p[0]);
            else
                snprintf(why, sizeof(why), "schema id %u is out of range (ids are 0 to %d)", uid,
                         INT32_MAX);
            record_failure(r, bad, m->partition, m->offset, why);
            return 0;
        }
        id = (int)uid;
        p += 5;
        len -= 5;
    }
    struct krt_schema_writer *w = writer_for(r, id);
    if (!w)
        return r->err->code ? -1 : krt_error_set(r->err, KRT_ERR_INTERNAL, "out of memory");
    if (!w->ready) {
        record_failure(r, w, m->partition, m->offset, w->error ? w->error : "no writer schema");
        return 0;
    }
    struct krt_error e;
    size_t used = 0;
    uint64_t rep = 0;
    if (krt_avro_decode_stats(&w->dec, p, len, &used, NULL, &rep, &e)) {
        record_failure(r, w, m->partition, m->offset, e.msg);
    } else if (used != len) {
        snprintf(why, sizeof(why), "%zu byte(s) left after the value: not written with this "
                                   "writer schema", len - used);
        record_failure(r, w, m->partition, m->offset, why);
    } else {
        w->decoded++;
        r->rep->decoded++;
        if (rep) {
            w->repeated_keys += (int64_t)rep;
            w->records_with_repeats++;
        }
    }
    return 0;
}

/* Where to start and stop in each partition. */
static int plan_ranges(struct krt_conn *conn, const struct krt_metadata *md,
                       const struct krt_schema_topic_req *req, struct part_state **out, int *nout,
                       struct krt_error *err)
{
    const struct krt_topic *t = krt_meta_topic(md, req->topic);
    if (!t || t->err)
        return krt_error_set(err, KRT_ERR_INPUT, "unknown topic '%s'", req->topic);
    struct krt_tplist l = {0};
    for (int i = 0; i < t->nparts; i++)
        krt_tplist_add(&l, req->topic, t->parts[i].id, 0);
    int64_t *low = calloc(l.n + 1, sizeof(int64_t)), *high = calloc(l.n + 1, sizeof(int64_t));
    int *perr = calloc(l.n + 1, sizeof(int));
    struct part_state *ps = calloc(l.n + 1, sizeof(*ps));
    int rc = -1;
    if (!low || !high || !perr || !ps) {
        krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        goto out;
    }
    if (krt_offsets_watermarks(conn, md, &l, low, high, perr, err))
        goto out;
    for (size_t i = 0; i < l.n; i++) {
        if (perr[i]) {
            krt_error_kafka(err, perr[i], "cannot read the offsets of '%s' [%d]", req->topic,
                            l.v[i].partition);
            goto out;
        }
        ps[i].partition = l.v[i].partition;
        ps[i].start = low[i];
        ps[i].end = high[i];
    }
    for (int pass = 0; pass < 2; pass++) {
        int64_t ts = pass == 0 ? req->from_ms : req->to_ms;
        if (ts < 0)
            continue;
        for (size_t i = 0; i < l.n; i++)
            l.v[i].offset = ts;
        if (krt_offsets_query(conn, md, &l, err))
            goto out;
        for (size_t i = 0; i < l.n; i++) {
            int64_t o = l.v[i].offset < 0 ? high[i] : l.v[i].offset; /* none after: the end */
            if (pass == 0 && o > ps[i].start)
                ps[i].start = o;
            if (pass == 1 && o < ps[i].end)
                ps[i].end = o;
        }
    }
    for (size_t i = 0; i < l.n; i++) {
        if (req->sample > 0 && ps[i].end - ps[i].start > req->sample)
            ps[i].end = ps[i].start + req->sample;
        ps[i].done = ps[i].start >= ps[i].end;
    }
    *out = ps;
    *nout = (int)l.n;
    ps = NULL;
    rc = 0;
out:
    free(low);
    free(high);
    free(perr);
    free(ps);
    krt_tplist_free(&l);
    return rc;
}

static int consume(struct krt_conn *conn, struct run *r, struct part_state *ps, int n,
                   int stall_ms, struct krt_fetchwake *fw)
{
    int pending = 0;
    unsigned polled = 0;
    rd_kafka_topic_partition_list_t *a = rd_kafka_topic_partition_list_new(n ? n : 1);
    for (int i = 0; i < n; i++)
        if (!ps[i].done) {
            rd_kafka_topic_partition_list_add(a, r->req->topic, ps[i].partition)->offset =
                ps[i].start;
            pending++;
        }
    rd_kafka_resp_err_t e = pending ? rd_kafka_assign(conn->rk, a) : RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_topic_partition_list_destroy(a);
    if (e)
        return krt_error_kafka(r->err, e, "cannot read '%s'", r->req->topic);
    double last = now_s();
    while (pending > 0) {
        if (krt_interrupted())
            return krt_error_set(r->err, KRT_ERR_INTERRUPTED, "interrupted");
        rd_kafka_message_t *m = rd_kafka_consumer_poll(conn->rk, 200);
        if (!m || !(++polled & 63))
            krt_fetchwake_pace(fw, r->rep->records ? r->bytes / r->rep->records : 1024);
        if (!m) {
            if ((now_s() - last) * 1000 > stall_ms)
                return krt_error_set(r->err, KRT_ERR_KAFKA,
                                     "no record of '%s' arrived for %d ms (%d partition(s) "
                                     "unfinished)",
                                     r->req->topic, stall_ms, pending);
            continue;
        }
        last = now_s();
        struct part_state *p = NULL;
        for (int i = 0; i < n && !p; i++)
            if (ps[i].partition == m->partition)
                p = &ps[i];
        int rc = 0;
        if (!p || p->done) {
            /* a partition already finished */
        } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            p->done = true;
            pending--;
        } else if (m->err) {
            rc = krt_error_kafka(r->err, m->err, "cannot read '%s' [%d]", r->req->topic,
                                 m->partition);
        } else if (m->offset >= p->end) {
            p->done = true;
            pending--;
        } else {
            r->bytes += (int64_t)(m->len + m->key_len);
            rc = process(r, m);
            if (m->offset + 1 >= p->end) {
                p->done = true;
                pending--;
            }
        }
        rd_kafka_message_destroy(m);
        if (rc)
            return -1;
    }
    return 0;
}

static bool is_topic(const void *name, const char *topic)
{
    return !strcmp(topic, (const char *)name);
}

int krt_schema_topic_check(const struct krt_common *c, const struct krt_schema_topic_req *req,
                           struct krt_schema_topic_report *rep, struct krt_error *err)
{
    memset(rep, 0, sizeof(*rep));
    rep->topic = req->topic;
    if (krt_topic_is_internal(req->topic))
        return krt_error_set(err, KRT_ERR_REFUSED, "'%s' is an internal topic", req->topic);
    struct krt_props extra = {0};
    krt_props_add(&extra, "group.id", "krt-schema-unused", 0);
    krt_props_add(&extra, "enable.auto.commit", "false", 0);
    krt_props_add(&extra, "enable.partition.eof", "true", 0);
    krt_props_add(&extra, "queued.max.messages.kbytes", STR(QUEUE_KB), 0);
    /* a queued message pins its whole fetch response: bound the responses
     * too (librdkafka's defaults are 50 MB per broker, 1 MB per partition) */
    krt_props_add(&extra, "fetch.max.bytes", "4194304", 0);
    krt_props_add(&extra, "max.partition.fetch.bytes", "1048576", 0);
    struct krt_conn conn;
    int rc = krt_conn_open(&conn, c, KRT_CONN_CONSUMER, &extra, err);
    krt_props_free(&extra);
    if (rc)
        return -1;
    krt_conn_trap_signals(&conn);
    struct krt_metadata md = {0};
    struct part_state *ps = NULL;
    int n = 0;
    double t0 = now_s();
    struct run r = {.req = req, .rep = rep, .err = err};
    struct krt_fetchwake fw;
    krt_fetchwake_init(&fw, &conn, 0);
    rc = krt_meta_fetch(&conn, &md, err);
    if (!rc)
        rc = plan_ranges(&conn, &md, req, &ps, &n, err);
    if (!rc)
        rc = krt_fetchwake_from_metadata(&fw, &md, is_topic, req->topic, err);
    if (!rc) {
        rep->partitions = n;
        int stall = c->timeout_ms * 3 > 30000 ? c->timeout_ms * 3 : 30000;
        rc = consume(&conn, &r, ps, n, stall, &fw);
    }
    rep->seconds = now_s() - t0;
    krt_fetchwake_free(&fw);
    free(ps);
    krt_meta_free(&md);
    krt_conn_close(&conn);
    return rc;
}

static void writer_label(const struct krt_schema_writer *w, char *buf, size_t len)
{
    if (w->id == KRT_SCHEMA_ID_RAW)
        snprintf(buf, len, "raw (--writer)");
    else if (w->id == KRT_SCHEMA_ID_BAD_WIRE)
        snprintf(buf, len, "not wire format");
    else
        snprintf(buf, len, "id %d", w->id);
}

void krt_schema_topic_print(const struct krt_schema_topic_report *rep, FILE *f)
{
    fprintf(f, "topic '%s': %lld record(s) in %d partition(s): %lld decoded, %lld failed, "
               "%lld null value(s) (%.1f s)\n",
            rep->topic, (long long)rep->records, rep->partitions, (long long)rep->decoded,
            (long long)rep->failed, (long long)rep->null_values, rep->seconds);
    fprintf(f, "%-18s %12s %12s\n", "writer schema", "decoded", "failed");
    for (size_t i = 0; i < rep->nwriters; i++) {
        const struct krt_schema_writer *w = &rep->writers[i];
        char label[64];
        writer_label(w, label, sizeof(label));
        fprintf(f, "%-18s %12lld %12lld\n", label, (long long)w->decoded, (long long)w->failed);
        for (size_t k = 0; k < w->dec.ndefaults; k++)
            fprintf(f, "    default applied: %s\n", w->dec.defaults[k]);
        if (w->repeated_keys)
            fprintf(f, "    repeated map keys: %lld in %lld record(s) (decoded: the last value "
                       "kept, as Java's Avro)\n",
                    (long long)w->repeated_keys, (long long)w->records_with_repeats);
        for (size_t k = 0; k < w->nfails; k++)
            fprintf(f, "    FAILED partition %d offset %lld: %s\n", w->fails[k].partition,
                    (long long)w->fails[k].offset, w->fails[k].reason);
        if ((int64_t)w->nfails < w->failed)
            fprintf(f, "    ... and %lld more failure(s)\n", (long long)(w->failed - (int64_t)w->nfails));
    }
}

json_t *krt_schema_topic_json(const struct krt_schema_topic_report *rep)
{
    json_t *doc = json_object(), *ws = json_array();
    json_object_set_new(doc, "topic", json_string(rep->topic));
    json_object_set_new(doc, "partitions", json_integer(rep->partitions));
    json_object_set_new(doc, "records", json_integer(rep->records));
    json_object_set_new(doc, "decoded", json_integer(rep->decoded));
    json_object_set_new(doc, "failed", json_integer(rep->failed));
    json_object_set_new(doc, "null_values", json_integer(rep->null_values));
    json_object_set_new(doc, "seconds", json_real(rep->seconds));
    for (size_t i = 0; i < rep->nwriters; i++) {
        const struct krt_schema_writer *w = &rep->writers[i];
        json_t *o = json_object(), *defs = json_array(), *fails = json_array();
        json_object_set_new(o, "schema_id", w->id >= 0 ? json_integer(w->id) : json_null());
        json_object_set_new(o, "kind", json_string(w->id >= 0 ? "registry"
                                                   : w->id == KRT_SCHEMA_ID_RAW ? "raw"
                                                                                : "not-wire-format"));
        json_object_set_new(o, "decoded", json_integer(w->decoded));
        json_object_set_new(o, "failed", json_integer(w->failed));
        json_object_set_new(o, "schema_error", w->error ? json_string(w->error) : json_null());
        for (size_t k = 0; k < w->dec.ndefaults; k++)
            json_array_append_new(defs, json_string(w->dec.defaults[k]));
        json_object_set_new(o, "defaults_applied", defs);
        json_object_set_new(o, "repeated_map_keys", json_integer(w->repeated_keys));
        json_object_set_new(o, "records_with_repeated_map_keys",
                            json_integer(w->records_with_repeats));
        for (size_t k = 0; k < w->nfails; k++) {
            json_t *fo = json_object();
            json_object_set_new(fo, "partition", json_integer(w->fails[k].partition));
            json_object_set_new(fo, "offset", json_integer(w->fails[k].offset));
            json_object_set_new(fo, "reason", json_string(w->fails[k].reason));
            json_array_append_new(fails, fo);
        }
        json_object_set_new(o, "first_failures", fails);
        json_array_append_new(ws, o);
    }
    json_object_set_new(doc, "writers", ws);
    return doc;
}

void krt_schema_topic_free(struct krt_schema_topic_report *rep)
{
    for (size_t i = 0; i < rep->nwriters; i++) {
        struct krt_schema_writer *w = &rep->writers[i];
        free(w->error);
        krt_avro_decoder_free(&w->dec);
        krt_avro_schema_free(&w->schema);
        free(w->fails);
    }
    free(rep->writers);
    memset(rep, 0, sizeof(*rep));
}
