/* Unit tests of the copy engine's error paths (issue 10, defects 3 and 15)
 * on librdkafka's in-process mock cluster. The mock is used because a real
 * broker cannot fail on cue the two requests these paths start from: a
 * produce answered with a permanent error in the middle of a transaction
 * (which makes the engine abort and go back), and an EndTxn answered with
 * an error (a failed abort).
 *
 * The failed seek itself is the test source's: librdkafka 2.0.2 seeks
 * locally (rd_kafka_seek_partitions sends no request; its only errors are
 * a partition the client does not know and a timeout of its own thread),
 * so neither a broker nor the mock can make it fail. What is tested is that
 * the engine stops when the source cannot go back, whatever the source.
 * The failed abort is reached through the copy's own stop on a source error;
 * the revoke callback reaches the same abort (sink_abort, whose failure
 * goes through the first-error-wins fail()) but needs the topic source's
 * consumer group. The test source has the shape of test_copy.c's, with the
 * two faults added. */
#define _POSIX_C_SOURCE 200809L
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <string.h>
#include <time.h>

#include "check_main.h"
#include "conn.h"
#include "copy.h"
#include "opts.h"

#define NREC 300
#define API_PRODUCE 0
#define API_ADD_PARTITIONS_TO_TXN 24
#define API_END_TXN 26

/* a source of NREC records on partition 0, one every millisecond; it can
 * fail to go back (defect 3) or fail while reading (defect 15) */
struct test_src {
    int64_t at;
    int rewinds;
    bool rewind_fails;
    int64_t fail_at; /**< next() fails at this offset; -1: never */
    rd_kafka_mock_cluster_t *mc; /**< with fail_at: wait for the transaction's partition */
    char value[32];
};

static int src_start(void *src, struct krt_copy_job *job, struct krt_error *err)
{
    (void)err;
    ((struct test_src *)src)->at = job->parts[0].next;
    job->parts[0].assigned = true;
    return 0;
}

static int src_next(void *src, struct krt_copy_job *job, int wait_ms, struct krt_copy_event *ev,
                    struct krt_error *err)
{
    (void)wait_ms;
    struct test_src *s = src;
    ev->partition = 0;
    if (s->at == s->fail_at) {
        /* fail once the transaction holds the partition (its
         * AddPartitionsToTxn took the entry pushed for it), so that the
         * abort is sent to the broker and not only done locally */
        size_t left = 1;
        for (int i = 0; i < 1000 && left; i++) {
            rd_kafka_mock_broker_error_stack_cnt(s->mc, 1, API_ADD_PARTITIONS_TO_TXN, &left);
            nanosleep(&(struct timespec){.tv_nsec = 10000000}, NULL);
        }
        return krt_error_set(err, KRT_ERR_KAFKA, "test: the source failed at offset %lld",
                             (long long)s->at);
    }
    if (s->at >= job->parts[0].end) {
        ev->kind = KRT_COPY_END;
        return 0;
    }
    nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    snprintf(s->value, sizeof(s->value), "record-%lld", (long long)s->at);
    ev->kind = KRT_COPY_RECORD;
    ev->rec = (struct krt_copy_record){.partition = 0, .offset = s->at, .value = s->value,
                                       .value_len = strlen(s->value), .timestamp = -1};
    s->at++;
    return 0;
}

/* A source that cannot go back stays where it is, as a consumer whose seek
 * failed reads on from its fetch position. */
static int src_rewind(void *src, struct krt_copy_job *job, struct krt_error *err)
{
    struct test_src *s = src;
    s->rewinds++;
    if (s->rewind_fails)
        return krt_error_set(err, KRT_ERR_KAFKA, "test: cannot seek to offset %lld",
                             (long long)job->parts[0].next);
    s->at = job->parts[0].next;
    return 0;
}

static void src_close(void *src)
{
    (void)src;
}

static const struct krt_copy_source_ops test_ops = {
    .start = src_start, .next = src_next, .rewind = src_rewind, .close = src_close};

static void meta(void *opaque, const struct krt_copy_part *p, char *buf, size_t n)
{
    (void)opaque;
    snprintf(buf, n, "test:%lld", (long long)p->end);
}

struct fixture {
    rd_kafka_t *mrk;
    rd_kafka_mock_cluster_t *mc;
    struct krt_common c;
    struct krt_conn admin;
    struct krt_copy_part part;
    struct krt_copy_job job;
};

static void setup(struct fixture *f, struct test_src *src, const char *txn_id)
{
    char errstr[256];
    rd_kafka_conf_t *mconf = rd_kafka_conf_new();
    ck_assert_int_eq(rd_kafka_conf_set(mconf, "test.mock.num.brokers", "1", errstr, sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
    f->mrk = rd_kafka_new(RD_KAFKA_PRODUCER, mconf, errstr, sizeof(errstr));
    ck_assert_ptr_nonnull(f->mrk);
    f->mc = rd_kafka_handle_mock_cluster(f->mrk);
    ck_assert_ptr_nonnull(f->mc);
    ck_assert_int_eq(rd_kafka_mock_topic_create(f->mc, "target", 1, 1), 0);
    krt_common_init(&f->c, "test_copy_faults", 0, NULL);
    f->c.bootstrap = rd_kafka_mock_cluster_bootstraps(f->mc);
    f->c.verbosity = 0;
    /* send each batch at once, so a produce failure comes back mid-transaction */
    krt_props_add(&f->c.x, "linger.ms", "5", 0);
    struct krt_error err;
    krt_error_clear(&err);
    ck_assert_int_eq(krt_conn_open(&f->admin, &f->c, KRT_CONN_ADMIN, NULL, &err), 0);
    f->part = (struct krt_copy_part){.partition = 0, .start = 0, .end = NREC, .next = 0,
                                     .first_copied = -1, .last_copied = -1};
    f->job = (struct krt_copy_job){.label = "t", .source = "source", .source_partitions = 1,
                                   .group = txn_id, .position_topic = "target",
                                   .src_ops = &test_ops, .src = src, .txn_id = txn_id,
                                   .target = "target", .parts = &f->part, .nparts = 1,
                                   .position_meta = meta};
}

static void teardown(struct fixture *f)
{
    krt_conn_close(&f->admin);
    krt_common_free(&f->c);
    rd_kafka_destroy(f->mrk);
}

/* Defect 3: after an abort, a source that cannot go back to the committed
 * position must stop the copy. Going on from where it is would copy the
 * records after it and commit a position past the ones never produced. */
START_TEST(failed_rewind_after_abort_stops)
{
    struct test_src src = {.rewind_fails = true, .fail_at = -1};
    struct fixture f;
    setup(&f, &src, "krt-test-copy-rewind");
    /* the first produce request fails for good: abort, then go back */
    rd_kafka_mock_push_request_errors(f.mc, API_PRODUCE, 1, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
    struct krt_error err;
    krt_error_clear(&err);
    int rc = krt_copy_run(&f.c, &f.admin, &f.job, &err);
    ck_assert_msg(rc == -1, "the copy went on after a failed rewind: %lld records copied, position %lld",
                  (long long)f.part.copied, (long long)f.part.next);
    ck_assert_int_eq(src.rewinds, 1);
    ck_assert_msg(strstr(err.msg, "test: cannot seek to offset 0"), "error: %s", err.msg);
    /* no position past a record that was not copied */
    ck_assert_int_eq(f.part.next - f.part.start, f.part.copied);
    ck_assert_int_lt(f.part.copied, NREC);
    teardown(&f);
}
END_TEST

/* Defect 15: when the copy stops on an error with a transaction open and
 * the abort that follows fails too, the error reported is the first one,
 * not the abort's. */
START_TEST(failed_abort_keeps_first_error)
{
    struct test_src src = {.fail_at = 1};
    struct fixture f;
    setup(&f, &src, "krt-test-copy-abort");
    src.mc = f.mc;
    ck_assert_int_eq(rd_kafka_mock_broker_push_request_error_rtts(
                         f.mc, 1, API_ADD_PARTITIONS_TO_TXN, 1, RD_KAFKA_RESP_ERR_NO_ERROR, 0),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
    /* the first EndTxn fails: the abort of the transaction record 0 opened
     * (a commit would come a second after it at the soonest) */
    ck_assert_int_eq(rd_kafka_mock_broker_push_request_error_rtts(
                         f.mc, 1, API_END_TXN, 1, RD_KAFKA_RESP_ERR_INVALID_TXN_STATE, 0),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
    struct krt_error err;
    krt_error_clear(&err);
    int rc = krt_copy_run(&f.c, &f.admin, &f.job, &err);
    ck_assert_int_eq(rc, -1);
    /* the abort was sent and got its error (else this tests nothing) */
    size_t left = 99;
    ck_assert_int_eq(rd_kafka_mock_broker_error_stack_cnt(f.mc, 1, API_END_TXN, &left),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
    ck_assert_uint_eq(left, 0);
    ck_assert_int_eq(f.job.txn_aborts, 1);
    ck_assert_msg(strstr(err.msg, "test: the source failed at offset 1"), "error: %s", err.msg);
    teardown(&f);
}
END_TEST

KRT_SUITE("copy_faults", failed_rewind_after_abort_stops, failed_abort_keeps_first_error)
