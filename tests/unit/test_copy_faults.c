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
 * consumer group. The test source and the mock cluster are
 * copy_fixture.h's (shared with test_copy.c). */
#define _POSIX_C_SOURCE 200809L
#include "copy_fixture.h"

/* Defect 3: after an abort, a source that cannot go back to the committed
 * position must stop the copy. Going on from where it is would copy the
 * records after it and commit a position past the ones never produced. */
START_TEST(failed_rewind_after_abort_stops)
{
    struct test_src src = {.rewind_fails = true, .fail_at = -1};
    struct fixture f;
    setup(&f, &src, "test_copy_faults", "krt-test-copy-rewind");
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
    ck_assert_int_lt(f.part.copied, COPY_NREC);
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
    setup(&f, &src, "test_copy_faults", "krt-test-copy-abort");
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
