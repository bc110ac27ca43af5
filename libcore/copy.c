/* copy.c - see copy.h */
#define _POSIX_C_SOURCE 200809L
#include "copy.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "offsets.h"
#include "timespec.h"

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
/* failed transactions in a row before the copy gives up, and the backoff */
#define DEFAULT_ATTEMPTS 5
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 8000

/* A delivery report carries the source offset of its record in the
 * message's opaque pointer. */
_Static_assert(sizeof(void *) >= sizeof(int64_t), "an offset must fit in a pointer");

/* One run. librdkafka's callbacks reach it from the krt_conn they get as
 * opaque: the consumer's and the producer's connections are members. */
struct krt_copy {
    struct krt_conn cconn, pconn;
    struct krt_copy_job *job;
    const struct krt_common *c;
    struct krt_error *err;
    bool failed;
    rd_kafka_t *consumer, *producer;
    rd_kafka_consumer_group_metadata_t *cgmd;
    int *idx; /* partition id -> index into job->parts, -1 when not in the job */
    int64_t *committed_next;
    int64_t *pend_copied, *pend_filtered, *pend_bytes, *pend_first, *pend_last;
    int64_t *careful_upto; /* below this offset, one record per transaction */
    bool in_txn, txn_careful;
    int64_t txn_started, txn_records, txn_produced, txn_bytes;
    int64_t pend_ts_zero; /* records of CreateTime 0 in this transaction */
    int32_t txn_last_partition; /* the last record produced in this transaction */
    int64_t txn_last_offset, txn_first_offset;
    /* the first failed delivery of this transaction */
    int dr_err;
    int32_t dr_partition;
    int64_t dr_offset;
    char dr_reason[256];
    int fails; /* failed transactions in a row */
    int64_t rate_t0, rate_records, rate_bytes;
    int64_t queue_wait_ms, idle_polls;
    rd_kafka_queue_t *cq;         /* the consumer's queue, to watch its length */
    int64_t polled, polled_bytes; /* for the average record size */
    rd_kafka_queue_t *kq;         /* answers to the wake-up requests */
    bool kick_inflight;
    bool parts_changed, own_done; /* own_done()'s answer, until parts change */
    rd_kafka_topic_t *target;     /* held for the run: keeps its metadata */
    int64_t last_kick, kicks;
    int last_warned; /* the last consumer error warned about */
    const struct krt_copy_source_ops *ops; /* the job's source, or the topic source */
    void *src;
    rd_kafka_message_t *held; /* the topic source's last message, until the next */
    int64_t txn_max_records;
};

#define COPY_OF(conn, member) ((struct krt_copy *)(void *)((char *)(conn) - offsetof(struct krt_copy, member)))

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Stop the copy. The first error wins: a failure while cleaning up after it
 * (an abort that fails too) must not hide what went wrong first. */
static void fail(struct krt_copy *cp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct krt_copy *cp, const char *fmt, ...)
{
    if (cp->failed) {
        if (cp->c->verbosity >= 1) {
            char more[512];
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(more, sizeof(more), fmt, ap);
            va_end(ap);
            krt_notef(cp->c->prog, "also: %s", more);
        }
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char msg[sizeof(cp->err->msg)];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    krt_error_set(cp->err, KRT_ERR_KAFKA, "%s", msg);
    cp->failed = true;
}

static int part_index(const struct krt_copy *cp, int32_t partition)
{
    return partition >= 0 && partition < cp->job->source_partitions ? cp->idx[partition] : -1;
}

/* ---- source: a topic range read through the job's consumer group ------------------ */

static void pause_one(struct krt_copy *cp, int32_t partition, bool resume)
{
    cp->parts_changed = true; /* called whenever a partition becomes done or not */
    if (!cp->consumer)
        return; /* not the topic source: nothing to pause */
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, cp->job->source, partition);
    if (resume)
        rd_kafka_resume_partitions(cp->consumer, l);
    else
        rd_kafka_pause_partitions(cp->consumer, l);
    rd_kafka_topic_partition_list_destroy(l);
}

/* The topic source's rewind: seek every partition held and not done back to
 * its committed position. A seek that timed out may still be applied:
 * asking again is harmless (same offsets); three failures stop the copy. */
static int topic_rewind(void *src, struct krt_copy_job *job, struct krt_error *err)
{
    struct krt_copy *cp = src;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(job->nparts + 1);
    for (int i = 0; i < job->nparts; i++) {
        struct krt_copy_part *p = &job->parts[i];
        if (p->assigned && !p->done) {
            rd_kafka_topic_partition_list_add(l, job->source, p->partition)->offset = p->next;
            pause_one(cp, p->partition, true); /* it may have been done before */
        }
    }
    int rc = 0;
    for (int attempt = 1; l->cnt; attempt++) {
        rd_kafka_error_t *e = rd_kafka_seek_partitions(cp->consumer, l, 30000);
        int bad = -1;
        for (int i = 0; !e && bad < 0 && i < l->cnt; i++)
            if (l->elems[i].err)
                bad = i;
        if (!e && bad < 0)
            break;
        if (attempt < 3) {
            if (e)
                rd_kafka_error_destroy(e);
            for (int i = 0; i < l->cnt; i++)
                l->elems[i].err = 0;
            continue;
        }
        if (e) {
            rc = krt_error_set(err, KRT_ERR_KAFKA,
                               "cannot go back to the committed positions of '%s' after an "
                               "aborted transaction: %s (run the same request again to resume)",
                               job->source, rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        } else {
            rc = krt_error_set(err, KRT_ERR_KAFKA,
                               "cannot go back to offset %" PRId64 " of '%s' partition %" PRId32
                               " after an aborted transaction: %s (run the same request again "
                               "to resume)",
                               l->elems[bad].offset, job->source, l->elems[bad].partition,
                               rd_kafka_err2str(l->elems[bad].err));
        }
        break;
    }
    rd_kafka_topic_partition_list_destroy(l);
    return rc;
}

/* Go back to the committed position of every partition held. A position that
 * cannot be restored stops the copy: reading on from where the source is
 * would commit a position past records never produced. */
static void source_rewind(struct krt_copy *cp, bool seek)
{
    struct krt_copy_job *job = cp->job;
    cp->parts_changed = true;
    for (int i = 0; i < job->nparts; i++) {
        struct krt_copy_part *p = &job->parts[i];
        if (!p->assigned)
            continue;
        p->next = cp->committed_next[i];
        p->done = p->next >= p->end;
    }
    struct krt_error e;
    krt_error_clear(&e);
    if (seek && !cp->failed && cp->ops->rewind(cp->src, job, &e))
        fail(cp, "%s", e.msg);
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                         rd_kafka_topic_partition_list_t *parts, void *opaque);

/* ---- sink: the transactional producer ------------------------------------------------ */

static void clear_pending(struct krt_copy *cp)
{
    for (int i = 0; i < cp->job->nparts; i++) {
        cp->pend_copied[i] = cp->pend_filtered[i] = cp->pend_bytes[i] = 0;
        cp->pend_first[i] = cp->pend_last[i] = -1;
    }
    cp->txn_records = cp->txn_produced = cp->txn_bytes = cp->pend_ts_zero = 0;
    cp->txn_careful = false;
    cp->dr_err = 0;
    cp->dr_reason[0] = '\0';
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct krt_copy *cp = COPY_OF(opaque, pconn);
    /* the record that failed, not one purged by the abort that followed */
    bool purged = m->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
                  m->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT;
    if (!m->err || (cp->dr_err && (purged || (cp->dr_err != RD_KAFKA_RESP_ERR__PURGE_QUEUE &&
                                              cp->dr_err != RD_KAFKA_RESP_ERR__PURGE_INFLIGHT))))
        return;
    cp->dr_err = m->err;
    cp->dr_partition = m->partition;
    cp->dr_offset = (int64_t)(intptr_t)m->_private;
    /* not rd_kafka_message_errstr(): a delivery report's payload is the
     * record's value, not an error string */
    snprintf(cp->dr_reason, sizeof(cp->dr_reason), "%s", rd_kafka_err2str(m->err));
}

/* Abort the open transaction and go back to the committed positions. */
static void sink_abort(struct krt_copy *cp, bool seek)
{
    if (cp->in_txn) {
        rd_kafka_error_t *e = rd_kafka_abort_transaction(cp->producer, 60000);
        if (e) {
            fail(cp, "cannot abort the transaction: %s (run the same request again to resume)",
                 rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
        cp->job->txn_aborts++;
    }
    cp->in_txn = false;
    clear_pending(cp);
    source_rewind(cp, seek);
}

static void sink_begin(struct krt_copy *cp)
{
    if (cp->in_txn || cp->failed)
        return;
    rd_kafka_error_t *e = rd_kafka_begin_transaction(cp->producer);
    if (e) {
        fail(cp, "cannot begin a transaction: %s", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        return;
    }
    cp->in_txn = true;
    cp->txn_started = mono_ms();
}

/* "partition P offset O" of the record a failed transaction was about */
static void failed_record(const struct krt_copy *cp, char *buf, size_t n)
{
    if (cp->dr_err)
        snprintf(buf, n, "'%s' partition %" PRId32 " offset %" PRId64, cp->job->source,
                 cp->dr_partition, cp->dr_offset);
    else if (cp->txn_produced == 1)
        snprintf(buf, n, "'%s' partition %" PRId32 " offset %" PRId64, cp->job->source,
                 cp->txn_last_partition, cp->txn_last_offset);
    else
        snprintf(buf, n, "'%s' (%" PRId64 " records in the transaction)", cp->job->source,
                 cp->txn_produced);
}

static void backoff(struct krt_copy *cp)
{
    int64_t ms = BACKOFF_MIN_MS;
    for (int i = 1; i < cp->fails && ms < BACKOFF_MAX_MS; i++)
        ms *= 2;
    if (ms > BACKOFF_MAX_MS)
        ms = BACKOFF_MAX_MS;
    /* the consumer is not polled meanwhile (records it returned would have
     * to be read again); librdkafka's heartbeats keep the membership */
    for (int64_t until = mono_ms() + ms; mono_ms() < until && !krt_interrupted();)
        rd_kafka_poll(cp->producer, 50);
}

/* A transaction failed and was aborted. Copy what it held again one record
 * per transaction, so that a record that cannot be written is found alone
 * and named; give up after job->max_attempts failures in a row. */
static void txn_failed(struct krt_copy *cp, const char *why)
{
    struct krt_copy_job *job = cp->job;
    char rec[300], reason[512];
    failed_record(cp, rec, sizeof(rec));
    snprintf(reason, sizeof(reason), "%s", cp->dr_err ? cp->dr_reason : why);
    cp->fails++;
    int max = job->max_attempts > 0 ? job->max_attempts : DEFAULT_ATTEMPTS;
    if (cp->fails >= max) {
        fail(cp, "cannot copy %s to '%s': %d transactions failed in a row: %s (fix the cause, "
                 "then run the same request again to resume)",
             rec, job->target, cp->fails, reason);
        sink_abort(cp, false);
        return;
    }
    if (cp->c->verbosity >= 1)
        krt_warnf(cp->c->prog, "transaction aborted (%s at %s): copying again from the last commit",
                  reason, rec);
    for (int i = 0; i < job->nparts; i++)
        if (job->parts[i].assigned && job->parts[i].next > cp->careful_upto[i])
            cp->careful_upto[i] = job->parts[i].next;
    sink_abort(cp, true);
    if (!cp->failed)
        backoff(cp);
}

static void sink_commit(struct krt_copy *cp)
{
    struct krt_copy_job *job = cp->job;
    if (!cp->in_txn)
        return;
    /* the group metadata changes with each generation (KIP-447 fencing);
     * a source without a consumer commits as a group without members */
    if (cp->consumer) {
        rd_kafka_consumer_group_metadata_destroy(cp->cgmd);
        cp->cgmd = rd_kafka_consumer_group_metadata(cp->consumer);
    }
    const char *ptopic = job->position_topic ? job->position_topic : job->source;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(job->nparts + 1);
    for (int i = 0; job->group && i < job->nparts; i++) {
        const struct krt_copy_part *p = &job->parts[i];
        if (!p->assigned || p->next == cp->committed_next[i])
            continue;
        char meta[KRT_COPY_META_MAX];
        job->position_meta(job->opaque, p, meta, sizeof(meta));
        rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_add(l, ptopic,
                                                                           p->partition);
        tp->offset = p->next;
        tp->metadata = strdup(meta);
        tp->metadata_size = strlen(meta);
    }
    rd_kafka_error_t *e = NULL;
    int64_t t0 = mono_ms();
    if (l->cnt)
        e = rd_kafka_send_offsets_to_transaction(cp->producer, l, cp->cgmd, 30000);
    for (int attempt = 0; !e && attempt < 5; attempt++) {
        e = rd_kafka_commit_transaction(cp->producer, 60000);
        if (!e || !rd_kafka_error_is_retriable(e))
            break;
        rd_kafka_error_destroy(e);
        e = NULL;
        if (attempt == 4)
            e = rd_kafka_error_new(RD_KAFKA_RESP_ERR__TIMED_OUT, "commit kept failing");
    }
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_poll(cp->producer, 0); /* serve the delivery reports: they say which record */
    if (e) {
        if (rd_kafka_error_is_fatal(e) || !rd_kafka_error_txn_requires_abort(e)) {
            char rec[300] = "";
            if (cp->dr_err)
                failed_record(cp, rec, sizeof(rec));
            fail(cp, "cannot commit the transaction%s%s: %s (run the same request again to "
                     "resume)",
                 rec[0] ? " holding " : "", rec, cp->dr_err ? cp->dr_reason : rd_kafka_error_string(e));
        } else {
            char why[512];
            snprintf(why, sizeof(why), "%s", rd_kafka_error_string(e));
            txn_failed(cp, why);
        }
        rd_kafka_error_destroy(e);
        return;
    }
    cp->in_txn = false;
    if (cp->txn_produced)
        cp->fails = 0;
    job->txn_commits++;
    if (cp->c->verbosity >= 2)
        fprintf(stderr, "%s: transaction committed: %" PRId64 " records in %" PRId64
                        " ms, the commit took %" PRId64 " ms\n",
                cp->c->prog, cp->txn_records, t0 - cp->txn_started, mono_ms() - t0);
    if (cp->rate_records)
        job->copy_ms = mono_ms() - cp->rate_t0;
    for (int i = 0; i < job->nparts; i++) {
        struct krt_copy_part *p = &job->parts[i];
        if (!p->assigned)
            continue;
        cp->committed_next[i] = p->next;
        p->copied += cp->pend_copied[i];
        p->filtered += cp->pend_filtered[i];
        p->bytes += cp->pend_bytes[i];
        if (cp->pend_first[i] >= 0 && p->first_copied < 0)
            p->first_copied = cp->pend_first[i];
        if (cp->pend_last[i] >= 0)
            p->last_copied = cp->pend_last[i];
        job->total_copied += cp->pend_copied[i];
        job->total_filtered += cp->pend_filtered[i];
        job->total_bytes += cp->pend_bytes[i];
    }
    job->total_ts_zero += cp->pend_ts_zero;
    clear_pending(cp);
}

static int sink_produce(struct krt_copy *cp, const struct krt_copy_record *r)
{
    struct krt_copy_job *job = cp->job;
    rd_kafka_headers_t *h = r->headers ? rd_kafka_headers_copy(r->headers) : rd_kafka_headers_new(4);
    if (job->decorate)
        job->decorate(job->opaque, r, h);
    /* librdkafka (rd_kafka_msg_new0) takes a timestamp of 0 for "none" and
     * sends the current time instead: a record of CreateTime 0 would come
     * back as "now". The nearest time it can send is 1 ms; counted, and the
     * run warns. A record without a timestamp (-1) gets the current time. */
    int64_t ts = r->timestamp < 0 ? 0 : r->timestamp == 0 ? 1 : r->timestamp;
    rd_kafka_resp_err_t e;
    for (;;) {
        e = rd_kafka_producev(cp->producer, RD_KAFKA_V_TOPIC(job->target),
                              RD_KAFKA_V_PARTITION(r->partition),
                              RD_KAFKA_V_KEY(r->key, r->key_len),
                              RD_KAFKA_V_VALUE(r->value, r->value_len),
                              RD_KAFKA_V_TIMESTAMP(ts),
                              RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_OPAQUE((void *)(intptr_t)r->offset), RD_KAFKA_V_END);
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            break;
        int64_t w0 = mono_ms();
        rd_kafka_poll(cp->producer, 50); /* bounded memory: wait for the queue */
        cp->queue_wait_ms += mono_ms() - w0;
    }
    if (e) {
        rd_kafka_headers_destroy(h);
        if (e == RD_KAFKA_RESP_ERR__STATE && cp->in_txn) {
            /* a record of this transaction was not delivered and the
             * producer now refuses more: the transaction can only be
             * aborted. Its records go again, one per transaction, as after
             * a failed commit; the delivery report names the record. */
            rd_kafka_poll(cp->producer, 0);
            txn_failed(cp, "a record of the transaction was not delivered");
            return -1;
        }
        fail(cp, "cannot produce to '%s' (record at '%s' partition %" PRId32 " offset %" PRId64
                 "): %s",
             job->target, job->source, r->partition, r->offset, rd_kafka_err2str(e));
        return -1;
    }
    cp->txn_produced++;
    cp->pend_ts_zero += r->timestamp == 0;
    if (cp->txn_produced == 1)
        cp->txn_first_offset = r->offset;
    cp->txn_last_partition = r->partition;
    cp->txn_last_offset = r->offset;
    return 0;
}

/* ---- throttle: waits happen outside transactions --------------------------------------- */

/* How long to wait before the next record of @p bytes may go. */
static int64_t throttle_due(const struct krt_copy *cp, int64_t bytes)
{
    const struct krt_copy_job *job = cp->job;
    if (cp->rate_records == 0)
        return 0; /* the clock starts at the first record: no credit saved while joining */
    double want = 0;
    if (job->max_rate > 0)
        want = (double)(cp->rate_records + 1) * 1000.0 / job->max_rate;
    if (job->max_bytes_rate > 0 &&
        (double)(cp->rate_bytes + bytes) * 1000.0 / job->max_bytes_rate > want)
        want = (double)(cp->rate_bytes + bytes) * 1000.0 / job->max_bytes_rate;
    int64_t el = mono_ms() - cp->rate_t0;
    return want > (double)el ? (int64_t)want - el + 1 : 0;
}

/* The consumer is not polled while waiting: librdkafka's heartbeats keep the
 * membership (a wait longer than max.poll.interval.ms, 5 minutes, would not) */
static void throttle_wait(struct krt_copy *cp, int64_t ms)
{
    for (int64_t until = mono_ms() + ms; !krt_interrupted();) {
        int64_t left = until - mono_ms();
        if (left <= 0)
            return;
        rd_kafka_poll(cp->producer, (int)(left > 50 ? 50 : left));
    }
}

static void throttle_count(struct krt_copy *cp, int64_t bytes)
{
    if (cp->rate_records == 0)
        cp->rate_t0 = mono_ms();
    cp->rate_records++;
    cp->rate_bytes += bytes;
}

/* ---- the record handler ----------------------------------------------------------------- */

static bool fatal_consumer_error(int e)
{
    switch (e) {
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
    case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET:
        return true;
    default:
        return false;
    }
}

/* An error from the consumer, with or without a topic: one the copy cannot
 * get past (no permission, the source gone, records deleted under it) stops
 * it; a passing one (a broker restarting) is said once. */
/* A consumer error's text: its payload (not NUL-terminated), else the code's. */
static const char *consumer_errstr(const rd_kafka_message_t *m, char *buf, size_t n)
{
    if (m->payload && m->len)
        snprintf(buf, n, "%.*s", (int)(m->len < 400 ? m->len : 400), (const char *)m->payload);
    else
        snprintf(buf, n, "%s", rd_kafka_err2str(m->err));
    return buf;
}

static void consumer_error(struct krt_copy *cp, const rd_kafka_message_t *m)
{
    const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : cp->job->source;
    char why[512];
    consumer_errstr(m, why, sizeof(why));
    if (fatal_consumer_error(m->err)) {
        if (m->rkt && m->partition >= 0)
            fail(cp, "cannot read '%s' partition %" PRId32 ": %s", topic, m->partition, why);
        else
            fail(cp, "cannot read '%s': %s", topic, why);
        return;
    }
    if (cp->c->verbosity >= 1 && m->err != cp->last_warned)
        krt_warnf(cp->c->prog, "reading '%s': %s (retrying)", topic, why);
    cp->last_warned = m->err;
}

static void mark_done(struct krt_copy *cp, struct krt_copy_part *p)
{
    p->next = p->end;
    p->done = true;
    pause_one(cp, p->partition, false);
}

/* The topic source's next(): one message of the consumer, as an event. */
static int topic_next(void *src, struct krt_copy_job *job, int wait_ms, struct krt_copy_event *ev,
                      struct krt_error *err)
{
    (void)err; /* a consumer error stops the copy through fail() */
    struct krt_copy *cp = src;
    ev->kind = KRT_COPY_NONE;
    if (cp->held) {
        rd_kafka_message_destroy(cp->held);
        cp->held = NULL;
    }
    rd_kafka_message_t *m = rd_kafka_consumer_poll(cp->consumer, wait_ms);
    cp->idle_polls += !m;
    if (!m)
        return 0;
    cp->held = m;
    cp->polled++;
    cp->polled_bytes += (int64_t)(m->len + m->key_len);
    if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        consumer_error(cp, m);
        return 0;
    }
    int k = part_index(cp, m->partition);
    if (k < 0 || !m->rkt || strcmp(rd_kafka_topic_name(m->rkt), job->source))
        return 0;
    const struct krt_copy_part *p = &job->parts[k];
    ev->partition = m->partition;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        /* the end of the log: past the range end (control records count) */
        if (m->offset >= p->end)
            ev->kind = KRT_COPY_END;
        return 0;
    }
    if (m->offset < p->next)
        return 0;
    if (m->offset >= p->end) {
        ev->kind = KRT_COPY_END;
        return 0;
    }
    rd_kafka_timestamp_type_t tt;
    int64_t ts = rd_kafka_message_timestamp(m, &tt);
    rd_kafka_headers_t *hdrs = NULL;
    if (rd_kafka_message_headers(m, &hdrs))
        hdrs = NULL;
    ev->kind = KRT_COPY_RECORD;
    ev->rec = (struct krt_copy_record){
        .partition = m->partition, .offset = m->offset, .key = m->key, .key_len = m->key_len,
        .value = m->payload, .value_len = m->len,
        .timestamp = tt == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : ts, .headers = hdrs};
    return 0;
}

static void handle(struct krt_copy *cp, const struct krt_copy_event *ev)
{
    struct krt_copy_job *job = cp->job;
    if (ev->kind == KRT_COPY_NONE)
        return;
    int k = part_index(cp, ev->partition);
    if (k < 0)
        return;
    struct krt_copy_part *p = &job->parts[k];
    if (!p->assigned || p->done)
        return;
    const struct krt_copy_record *rp = &ev->rec;
    if (ev->kind == KRT_COPY_END || rp->offset >= p->end) {
        sink_begin(cp);
        if (!cp->failed)
            mark_done(cp, p);
        return;
    }
    if (rp->offset < p->next)
        return;
    const struct krt_copy_record r = *rp;
    bool keep = !job->filter || job->filter(job->opaque, &r);
    int64_t bytes = (int64_t)(r.value_len + r.key_len);
    if (keep) {
        /* after a failed transaction, its records go one per transaction */
        bool careful = r.offset < cp->careful_upto[k];
        /* a wait that would hold the transaction open past its length is
         * taken outside it: a slow rate never outlives transaction.timeout.ms */
        int64_t wait = throttle_due(cp, bytes);
        if (cp->in_txn && ((cp->txn_produced && (careful || cp->txn_careful)) ||
                           (wait > 0 && mono_ms() + wait - cp->txn_started > TXN_MAX_MS))) {
            int64_t aborts = job->txn_aborts;
            sink_commit(cp);
            if (cp->failed || job->txn_aborts != aborts)
                return; /* rewound: this record comes again */
        }
        if (wait > 0)
            throttle_wait(cp, wait);
        sink_begin(cp);
        if (cp->failed)
            return;
        throttle_count(cp, bytes);
        if (sink_produce(cp, &r))
            return;
        cp->txn_careful |= careful;
        cp->pend_copied[k]++;
        cp->pend_bytes[k] += bytes;
        if (cp->pend_first[k] < 0)
            cp->pend_first[k] = r.offset;
        cp->pend_last[k] = r.offset;
        cp->txn_bytes += bytes;
    } else {
        sink_begin(cp);
        if (cp->failed)
            return;
        cp->pend_filtered[k]++;
    }
    cp->txn_records++;
    p->next = r.offset + 1;
    if (p->next >= p->end) {
        p->done = true;
        pause_one(cp, p->partition, false);
    }
}

/* ---- group membership --------------------------------------------------------------------- */

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct krt_copy *cp = COPY_OF(opaque, cconn);
    struct krt_copy_job *job = cp->job;
    /* copies of partitions that move on are not ours to commit any more */
    if (cp->in_txn)
        sink_abort(cp, false);
    for (int i = 0; i < job->nparts; i++)
        job->parts[i].assigned = false;
    cp->parts_changed = true;
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
    } while (ce && !fatal_consumer_error(ce) && mono_ms() < deadline && !krt_interrupted());
    if (ce && !cp->failed) {
        krt_error_kafka(cp->err, ce, "cannot read the committed positions of '%s'", job->group);
        cp->failed = true;
    }
    rd_kafka_topic_partition_list_t *pause = rd_kafka_topic_partition_list_new(parts->cnt + 1);
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *tp = &parts->elems[i];
        int k = part_index(cp, tp->partition);
        if (k < 0) {
            tp->offset = RD_KAFKA_OFFSET_END; /* not in the job: never read */
            rd_kafka_topic_partition_list_add(pause, tp->topic, tp->partition);
            continue;
        }
        struct krt_copy_part *p = &job->parts[k];
        p->assigned = true;
        p->next = tp->offset >= 0 ? tp->offset : p->start;
        cp->committed_next[k] = p->next;
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

/* Every partition this process holds is copied to its end. Asked once per
 * record: the answer is kept until a partition is (un)assigned or done. */
static bool own_done(struct krt_copy *cp)
{
    if (cp->parts_changed) {
        cp->own_done = true;
        for (int i = 0; i < cp->job->nparts && cp->own_done; i++)
            cp->own_done = !cp->job->parts[i].assigned || cp->job->parts[i].done;
        cp->parts_changed = false;
    }
    return cp->own_done;
}

/* librdkafka 2.0.2 stops fetching once the consumer queue holds
 * queued.max.messages.kbytes, and looks again only when the broker thread
 * wakes: on I/O, on an operation for it, or after a second. A copy drains the
 * queue much faster than a second, and would then idle for the rest of it.
 * (librdkafka 2.1 made this delay fetch.queue.backoff.ms.) So while the queue
 * is below its bound, a ListGroups request to every broker, sent through
 * the consumer's own connections, wakes each broker thread, and it fetches
 * again. One request at a time, at most one per KICK_MIN_MS. */
static void kick_fetchers(struct krt_copy *cp)
{
    if (!cp->consumer)
        return;
    if (cp->kick_inflight) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(cp->kq, 0);
        if (!ev)
            return;
        rd_kafka_event_destroy(ev); /* the answer is not needed */
        cp->kick_inflight = false;
    }
    int64_t now = mono_ms();
    if (now - cp->last_kick < KICK_MIN_MS || cp->polled == 0 || own_done(cp))
        return;
    int64_t avg = cp->polled_bytes / cp->polled + 1;
    if ((int64_t)rd_kafka_queue_length(cp->cq) * avg >= CONSUMER_QUEUE_KB * 1024)
        return;
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(cp->consumer,
                                                           RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
    rd_kafka_AdminOptions_set_request_timeout(o, 10000, NULL, 0);
    rd_kafka_ListConsumerGroups(cp->consumer, o, cp->kq);
    rd_kafka_AdminOptions_destroy(o);
    cp->kick_inflight = true;
    cp->last_kick = now;
    cp->kicks++;
}

/* Every partition of the job is ours and committed at its end by us. */
static bool own_all(const struct krt_copy *cp)
{
    for (int i = 0; i < cp->job->nparts; i++)
        if (!cp->job->parts[i].assigned || cp->committed_next[i] < cp->job->parts[i].end)
            return false;
    return true;
}

/* Every partition of the job committed at its end, by whichever process. */
static int all_done(struct krt_copy *cp, struct krt_conn *admin, bool *done)
{
    const struct krt_copy_job *job = cp->job;
    const char *ptopic = job->position_topic ? job->position_topic : job->source;
    struct krt_tplist c = {0}, parts = {0};
    int rc = 0;
    if (!job->group) { /* no positions: this process holds every part */
        *done = own_all(cp);
        return 0;
    }
    for (int i = 0; !rc && i < job->nparts; i++)
        if (!krt_tplist_add(&parts, ptopic, job->parts[i].partition, -1))
            rc = krt_error_set(cp->err, KRT_ERR_INTERNAL, "out of memory");
    krt_tplist_sort(&parts);
    if (!rc)
        rc = krt_group_committed_for(admin, job->group, &parts, &c, cp->err);
    krt_tplist_free(&parts);
    *done = !rc;
    for (int i = 0; !rc && i < job->nparts && *done; i++) {
        const struct krt_tp *tp = krt_tplist_find(&c, ptopic, job->parts[i].partition);
        *done = tp && tp->offset >= job->parts[i].end;
    }
    krt_tplist_free(&c);
    return rc;
}

static void progress(const struct krt_copy_job *job, int64_t todo, bool final)
{
    double el = (double)(krt_now_ms() - job->started_ms) / 1000.0;
    int64_t done = job->total_copied + job->total_filtered;
    double rate = el > 0 ? (double)done / el : 0;
    double eta = rate > 0 && todo > done ? (double)(todo - done) / rate : 0;
    fprintf(stderr, "\r%s: %" PRId64 " copied, %" PRId64 " filtered, %.1f MB, %.0f records/s, ETA %.0fs   %s",
            job->label, job->total_copied, job->total_filtered, (double)job->total_bytes / 1e6,
            rate, eta, final ? "\n" : "");
}

/* ---- the run -------------------------------------------------------------------------------- */

static int open_clients(struct krt_copy *cp, struct krt_error *err)
{
    const struct krt_copy_job *job = cp->job;
    struct krt_props cx = {0}, px = {0};
    /* the consumer is the topic source's; a source of its own may have no group */
    krt_props_add(&cx, "group.id", job->group ? job->group : "", 0);
    krt_props_add(&cx, "isolation.level", "read_committed", 0);
    krt_props_add(&cx, "enable.partition.eof", "true", 0);
    krt_props_add(&cx, "auto.offset.reset", "earliest", 0);
    krt_props_add(&cx, "queued.max.messages.kbytes", QSTR(CONSUMER_QUEUE_KB), 0);
    krt_props_add(&cx, "fetch.max.bytes", QSTR(FETCH_MAX_BYTES), 0);
    krt_props_add(&cx, "session.timeout.ms", "10000", 0);
    krt_props_add(&cx, "heartbeat.interval.ms", "1000", 0);
    /* static membership (KIP-345): a process restarted under the same instance
     * name takes its old place at once, without waiting for a rebalance */
    krt_props_add(&cx, "group.instance.id", job->txn_id, 0);
    krt_props_add(&px, "transactional.id", job->txn_id, 0);
    krt_props_add(&px, "transaction.timeout.ms", "15000", 0);
    krt_props_add(&px, "queue.buffering.max.kbytes", QSTR(PRODUCER_QUEUE_KB), 0);
    /* delivery reports only for failures: they name the record that failed;
     * a report per record would cost a queue operation each */
    krt_props_add(&px, "delivery.report.only.error", "true", 0);
    /* Records become visible at the commit, so lingering up to the length of
     * a transaction delays nobody; the commit flushes what is left. It also
     * keeps librdkafka 2.0.2's idempotent producer from spinning: a partition
     * with a full batch but a request in flight (it sends one at a time) asks
     * its broker thread to wake at enqueue time + linger, i.e. at once. */
    krt_props_add(&px, "linger.ms", QSTR(TXN_MAX_MS), 0);
    int rc = job->src_ops ? 0
                          : krt_conn_create(&cp->cconn, cp->c, KRT_CONN_CONSUMER, &cx,
                                            on_rebalance, err);
    /* the producer is built here, not by krt_conn_create: its delivery
     * reports say which record failed and why */
    rd_kafka_conf_t *conf = NULL;
    if (!rc)
        rc = krt_conn_conf(cp->c, KRT_CONN_PRODUCER, &px, &conf, err);
    krt_props_free(&cx);
    krt_props_free(&px);
    if (rc)
        return -1;
    cp->pconn = (struct krt_conn){.common = cp->c, .timeout_ms = cp->c->timeout_ms};
    rd_kafka_conf_set_opaque(conf, &cp->pconn);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    char errstr[512];
    if (!(cp->pconn.rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr)))) {
        rd_kafka_conf_destroy(conf);
        return krt_error_set(err, KRT_ERR_USAGE, "cannot create Kafka client: %s", errstr);
    }
    cp->pconn.q = rd_kafka_queue_new(cp->pconn.rk);
    cp->consumer = cp->cconn.rk;
    cp->producer = cp->pconn.rk;
    rd_kafka_error_t *e = rd_kafka_init_transactions(cp->producer, 60000);
    if (e) {
        krt_error_set(err, KRT_ERR_KAFKA, "cannot start the transactional producer '%s': %s",
                      job->txn_id, rd_kafka_error_string(e));
        err->kafka_err = rd_kafka_error_code(e);
        err->code = krt_error_kind_of_kafka(err->kafka_err);
        rd_kafka_error_destroy(e);
        return -1;
    }
    return 0;
}

/* learn the target's partitions now: a topic the producer has not seen
 * waits for its next metadata scan, up to a second */
static void learn_target(struct krt_copy *cp)
{
    cp->target = rd_kafka_topic_new(cp->producer, cp->job->target, NULL);
    for (int64_t until = mono_ms() + 10000; cp->target && mono_ms() < until;) {
        const struct rd_kafka_metadata *md = NULL;
        bool known = !rd_kafka_metadata(cp->producer, 0, cp->target, &md, 5000) &&
                     md->topic_cnt == 1 && !md->topics[0].err && md->topics[0].partition_cnt > 0;
        if (md)
            rd_kafka_metadata_destroy(md);
        if (known || krt_interrupted())
            break;
        krt_sleep_ms(100); /* a topic created a moment ago */
    }
}

static int alloc_state(struct krt_copy *cp, struct krt_error *err)
{
    const struct krt_copy_job *job = cp->job;
    size_t n = (size_t)job->nparts + 1;
    cp->idx = malloc(sizeof(int) * (size_t)(job->source_partitions + 1));
    int64_t **arrays[] = {&cp->committed_next, &cp->pend_copied, &cp->pend_filtered,
                          &cp->pend_bytes,     &cp->pend_first,  &cp->pend_last,
                          &cp->careful_upto};
    bool ok = cp->idx != NULL;
    for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++)
        ok &= (*arrays[i] = calloc(n, sizeof(int64_t))) != NULL;
    if (!ok)
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    for (int i = 0; i < job->source_partitions; i++)
        cp->idx[i] = -1;
    for (int i = 0; i < job->nparts; i++)
        cp->idx[job->parts[i].partition] = i;
    clear_pending(cp);
    return 0;
}

static void free_state(struct krt_copy *cp)
{
    if (cp->ops)
        cp->ops->close(cp->src);
    if (cp->held)
        rd_kafka_message_destroy(cp->held);
    if (cp->cq)
        rd_kafka_queue_destroy(cp->cq);
    if (cp->kq)
        rd_kafka_queue_destroy(cp->kq); /* an answer still on its way is dropped */
    if (cp->consumer)
        rd_kafka_consumer_close(cp->consumer);
    if (cp->cgmd)
        rd_kafka_consumer_group_metadata_destroy(cp->cgmd);
    krt_conn_close(&cp->cconn);
    if (cp->target)
        rd_kafka_topic_destroy(cp->target);
    krt_conn_close(&cp->pconn);
    free(cp->idx);
    free(cp->committed_next);
    free(cp->pend_copied);
    free(cp->pend_filtered);
    free(cp->pend_bytes);
    free(cp->pend_first);
    free(cp->pend_last);
    free(cp->careful_upto);
}

/* The topic source's start: join the group; the partitions come with the
 * rebalance (on_rebalance), at their committed positions. */
static int topic_start(void *src, struct krt_copy_job *job, struct krt_error *err)
{
    struct krt_copy *cp = src;
    rd_kafka_poll_set_consumer(cp->consumer);
    cp->cq = rd_kafka_queue_get_consumer(cp->consumer);
    cp->kq = rd_kafka_queue_new(cp->consumer);
    cp->cgmd = rd_kafka_consumer_group_metadata(cp->consumer);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, job->source, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t se = rd_kafka_subscribe(cp->consumer, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (se)
        return krt_error_kafka(err, se, "cannot subscribe to '%s'", job->source);
    return 0;
}

static void topic_close(void *src)
{
    (void)src; /* the consumer is closed with the engine's clients */
}

static const struct krt_copy_source_ops topic_source = {
    .start = topic_start, .next = topic_next, .rewind = topic_rewind, .close = topic_close};

/* Start the source. One that is not the topic source is read from the
 * positions its parts were given, which are the committed ones. */
static int source_start(struct krt_copy *cp, struct krt_error *err)
{
    struct krt_copy_job *job = cp->job;
    if (!job->src_ops)
        return topic_start(cp, job, err);
    if (job->group && !(cp->cgmd = rd_kafka_consumer_group_metadata_new(job->group)))
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    if (job->src_ops->start(job->src, job, err))
        return -1;
    for (int i = 0; i < job->nparts; i++) {
        cp->committed_next[i] = job->parts[i].next;
        job->parts[i].done = job->parts[i].next >= job->parts[i].end;
    }
    cp->parts_changed = true;
    return 0;
}

/* A producer fenced by a newer one of the same transactional.id fails with
 * whatever it was doing ("Purged in queue", "Failed to end transaction"):
 * say what happened instead. */
static void say_fenced(struct krt_copy *cp)
{
    char why[256];
    rd_kafka_resp_err_t fe = rd_kafka_fatal_error(cp->producer, why, sizeof(why));
    if (fe != RD_KAFKA_RESP_ERR__FENCED && fe != RD_KAFKA_RESP_ERR_PRODUCER_FENCED &&
        fe != RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH)
        return;
    krt_error_set(cp->err, KRT_ERR_KAFKA,
                  "another run with transactional id '%s' took over: this one was fenced (%s); "
                  "what it committed stays, its open transaction is aborted (run the same "
                  "request again to check)",
                  cp->job->txn_id, why);
    cp->err->kafka_err = fe;
}

int krt_copy_run(const struct krt_common *c, struct krt_conn *admin, struct krt_copy_job *job,
                 struct krt_error *err)
{
    struct krt_copy cp = {.job = job, .c = c, .err = err, .parts_changed = true};
    cp.ops = job->src_ops ? job->src_ops : &topic_source;
    cp.src = job->src_ops ? job->src : &cp;
    cp.txn_max_records = TXN_MAX_RECORDS;
#ifdef KRT_TEST_HOOKS
    /* Compiled only with -Dtest_hooks=true: KRT_TEST_TXN_RECORDS=N ends a
     * transaction after N records, so that a kill -9 test on a small data
     * set lands between commits (a real run commits about every second). */
    const char *tr = getenv("KRT_TEST_TXN_RECORDS");
    if (tr && atoll(tr) > 0)
        cp.txn_max_records = atoll(tr);
#endif
    int rc = -1;
    if (alloc_state(&cp, err) || open_clients(&cp, err))
        goto out;
    learn_target(&cp);
    if (source_start(&cp, err))
        goto out;
    int64_t todo = 0;
    for (int i = 0; i < job->nparts; i++)
        todo += job->parts[i].end - job->parts[i].next;
    bool tty = isatty(STDERR_FILENO) && c->verbosity > 0;
    int64_t last_progress = 0, last_check = 0;
    for (;;) {
        if (krt_interrupted()) {
            sink_abort(&cp, false);
            krt_error_set(err, KRT_ERR_INTERRUPTED,
                          "interrupted: run the same request again to resume where it stopped");
            break;
        }
        struct krt_copy_event ev = {.kind = KRT_COPY_NONE};
        struct krt_error se;
        krt_error_clear(&se);
        if (cp.ops->next(cp.src, job, 100, &ev, &se)) {
            if (!cp.failed) {
                *err = se;
                cp.failed = true;
            }
            sink_abort(&cp, false);
            break;
        }
        handle(&cp, &ev);
        rd_kafka_poll(cp.producer, 0);
        kick_fetchers(&cp);
        if (cp.failed)
            break;
        int64_t now = mono_ms();
        if (cp.in_txn && (cp.txn_records >= cp.txn_max_records || cp.txn_bytes >= TXN_MAX_BYTES ||
                          now - cp.txn_started >= TXN_MAX_MS || cp.txn_careful || own_done(&cp))) {
            sink_commit(&cp);
            if (cp.failed)
                break;
        }
        if (tty && now - last_progress >= 1000) {
            progress(job, todo, false);
            last_progress = now;
        }
        if (!cp.in_txn && own_done(&cp) && now - last_check >= 1000) {
            bool done = own_all(&cp);
            last_check = now;
            if (!done && all_done(&cp, admin, &done))
                break;
            if (done) {
                rc = 0;
                break;
            }
        }
    }
    if (tty)
        progress(job, todo, true);
    if (job->total_ts_zero && c->verbosity >= 1)
        krt_warnf(c->prog, "%" PRId64 " record(s) of CreateTime 0 written with CreateTime 1 ms: "
                           "librdkafka cannot send a timestamp of 0",
                  job->total_ts_zero);
    if (c->verbosity >= 2)
        fprintf(stderr, "%s: waited %" PRId64 " ms for the producer queue; %" PRId64
                        " empty consumer polls; %" PRId64 " fetcher wake-ups\n",
                c->prog, cp.queue_wait_ms, cp.idle_polls, cp.kicks);
out:
    if (rc && cp.producer)
        say_fenced(&cp);
    free_state(&cp);
    return rc;
}
