/* Unit tests of the copy engine (libcore/copy.c) through its source
 * interface, against librdkafka's in-process mock cluster: the one fault
 * tested here, a produce request the broker answers with a permanent error
 * in the middle of a transaction, cannot be caused on cue on a real broker.
 * After it, the transaction is abortable and librdkafka refuses further
 * records with __STATE: the engine must abort, go back to the committed
 * position and copy again (one record per transaction), not stop. */
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

/* a source of NREC records on partition 0, one every millisecond */
struct test_src {
    int64_t at;
    int rewinds;
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
    (void)err;
    struct test_src *s = src;
    ev->partition = 0;
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

static int src_rewind(void *src, struct krt_copy_job *job, struct krt_error *err)
{
    (void)err;
    struct test_src *s = src;
    s->at = job->parts[0].next;
    s->rewinds++;
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

START_TEST(produce_state_error_aborts_and_retries)
{
    char errstr[256];
    rd_kafka_conf_t *mconf = rd_kafka_conf_new();
    ck_assert_int_eq(rd_kafka_conf_set(mconf, "test.mock.num.brokers", "1", errstr, sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
    rd_kafka_t *mrk = rd_kafka_new(RD_KAFKA_PRODUCER, mconf, errstr, sizeof(errstr));
    ck_assert_ptr_nonnull(mrk);
    rd_kafka_mock_cluster_t *mc = rd_kafka_handle_mock_cluster(mrk);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(rd_kafka_mock_topic_create(mc, "target", 1, 1), 0);
    /* the first produce request of the copy fails for good */
    rd_kafka_mock_push_request_errors(mc, 0 /* Produce: API key 0 */, 1,
                                      RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);

    struct krt_common c;
    krt_common_init(&c, "test_copy", 0, NULL);
    c.bootstrap = rd_kafka_mock_cluster_bootstraps(mc);
    c.verbosity = 0;
    /* send each batch at once, so the failure comes back mid-transaction */
    krt_props_add(&c.x, "linger.ms", "5", 0);
    struct krt_error err;
    krt_error_clear(&err);
    struct krt_conn admin;
    ck_assert_int_eq(krt_conn_open(&admin, &c, KRT_CONN_ADMIN, NULL, &err), 0);
    struct krt_copy_part part = {.partition = 0, .start = 0, .end = NREC, .next = 0,
                                 .first_copied = -1, .last_copied = -1};
    struct test_src src = {0};
    struct krt_copy_job job = {.label = "t", .source = "source", .source_partitions = 1,
                               .group = "krt-test-copy", .position_topic = "target",
                               .src_ops = &test_ops, .src = &src, .txn_id = "krt-test-copy",
                               .target = "target", .parts = &part, .nparts = 1,
                               .position_meta = meta};
    int rc = krt_copy_run(&c, &admin, &job, &err);
    ck_assert_msg(rc == 0, "the copy stopped: %s", err.msg);
    ck_assert_int_ge(job.txn_aborts, 1);
    ck_assert_int_ge(src.rewinds, 1);
    ck_assert_int_eq(job.total_copied, NREC);
    ck_assert_int_eq(part.copied, NREC);
    ck_assert_int_eq(part.next, NREC);
    krt_conn_close(&admin);
    krt_common_free(&c);
    rd_kafka_destroy(mrk);
}
END_TEST

KRT_SUITE("copy", produce_state_error_aborts_and_retries)
