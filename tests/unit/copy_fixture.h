/* copy_fixture.h - the copy engine's test source and its mock-cluster setup,
 * shared by test_copy.c and test_copy_faults.c (tests only).
 *
 * The source yields COPY_NREC records on partition 0, one every
 * millisecond; it can fail to go back (rewind_fails) or fail while reading
 * (fail_at). The fixture is a one-broker librdkafka mock cluster with the
 * topic "target", an admin connection to it and a copy job of the whole
 * range. */
#ifndef KRT_TEST_COPY_FIXTURE_H
#define KRT_TEST_COPY_FIXTURE_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "check_main.h"
#include "conn.h"
#include "copy.h"
#include "opts.h"

#define COPY_NREC 300
#define API_PRODUCE 0
#define API_ADD_PARTITIONS_TO_TXN 24
#define API_END_TXN 26

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

/* The mock cluster, the admin connection and a job copying @p src into
 * "target" under the transactional id (and group) @p txn_id. */
static void setup(struct fixture *f, struct test_src *src, const char *prog, const char *txn_id)
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
    krt_common_init(&f->c, prog, 0, NULL);
    f->c.bootstrap = rd_kafka_mock_cluster_bootstraps(f->mc);
    f->c.verbosity = 0;
    /* send each batch at once, so a produce failure comes back mid-transaction */
    krt_props_add(&f->c.x, "linger.ms", "5", 0);
    struct krt_error err;
    krt_error_clear(&err);
    ck_assert_int_eq(krt_conn_open(&f->admin, &f->c, KRT_CONN_ADMIN, NULL, &err), 0);
    f->part = (struct krt_copy_part){.partition = 0, .start = 0, .end = COPY_NREC, .next = 0,
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

#endif
