/* Unit tests of the copy engine (libcore/copy.c) through its source
 * interface, against librdkafka's in-process mock cluster: the one fault
 * tested here, a produce request the broker answers with a permanent error
 * in the middle of a transaction, cannot be caused on cue on a real broker.
 * After it, the transaction is abortable and librdkafka refuses further
 * records with __STATE: the engine must abort, go back to the committed
 * position and copy again (one record per transaction), not stop. */
#define _POSIX_C_SOURCE 200809L
#include "copy_fixture.h"

START_TEST(produce_state_error_aborts_and_retries)
{
    struct test_src src = {.fail_at = -1};
    struct fixture f;
    setup(&f, &src, "test_copy", "krt-test-copy");
    /* the first produce request of the copy fails for good */
    rd_kafka_mock_push_request_errors(f.mc, API_PRODUCE, 1, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
    struct krt_error err;
    krt_error_clear(&err);
    int rc = krt_copy_run(&f.c, &f.admin, &f.job, &err);
    ck_assert_msg(rc == 0, "the copy stopped: %s", err.msg);
    ck_assert_int_ge(f.job.txn_aborts, 1);
    ck_assert_int_ge(src.rewinds, 1);
    ck_assert_int_eq(f.job.total_copied, COPY_NREC);
    ck_assert_int_eq(f.part.copied, COPY_NREC);
    ck_assert_int_eq(f.part.next, COPY_NREC);
    teardown(&f);
}
END_TEST

KRT_SUITE("copy", produce_state_error_aborts_and_retries)
