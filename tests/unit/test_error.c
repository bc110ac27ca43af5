/* Unit tests of libcore/error: kinds, exit codes, messages. */
#include <librdkafka/rdkafka.h>
#include <string.h>

#include "check_main.h"
#include "error.h"

START_TEST(exit_codes_follow_the_table)
{
    struct krt_error e;
    krt_error_clear(&e);
    ck_assert_int_eq(krt_error_exit_code(&e), KRT_EXIT_OK);
    krt_error_set(&e, KRT_ERR_USAGE, "x");
    ck_assert_int_eq(krt_error_exit_code(&e), 2);
    krt_error_set(&e, KRT_ERR_INPUT, "x");
    ck_assert_int_eq(krt_error_exit_code(&e), 2);
    krt_error_set(&e, KRT_ERR_KAFKA, "x");
    ck_assert_int_eq(krt_error_exit_code(&e), 3);
    krt_error_set(&e, KRT_ERR_UNREACHABLE, "x");
    ck_assert_int_eq(krt_error_exit_code(&e), 3);
    krt_error_set(&e, KRT_ERR_AUTH, "x");
    ck_assert_int_eq(krt_error_exit_code(&e), 3);
    krt_error_set(&e, KRT_ERR_REFUSED, "x");
    ck_assert_int_eq(krt_error_exit_code(&e), 4);
    krt_error_set(&e, KRT_ERR_PARTIAL, "x");
    ck_assert_int_eq(krt_error_exit_code(&e), 5);
    krt_error_set(&e, KRT_ERR_INTERRUPTED, "x");
    ck_assert_int_eq(krt_error_exit_code(&e), 130);
}
END_TEST

START_TEST(kafka_errors_are_classified)
{
    struct krt_error e;
    ck_assert_int_eq(krt_error_kafka(&e, RD_KAFKA_RESP_ERR__TRANSPORT, "cannot reach '%s'", "b"),
                     -1);
    ck_assert_int_eq(e.code, KRT_ERR_UNREACHABLE);
    ck_assert(e.retriable);
    ck_assert_ptr_nonnull(strstr(e.msg, "cannot reach 'b': "));
    krt_error_kafka(&e, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, "topic '%s'", "t");
    ck_assert_int_eq(e.code, KRT_ERR_AUTH);
    ck_assert_int_eq(krt_error_exit_code(&e), KRT_EXIT_KAFKA);
    krt_error_kafka(&e, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, "topic '%s'", "t");
    ck_assert_int_eq(e.code, KRT_ERR_INPUT);
    krt_error_kafka(&e, RD_KAFKA_RESP_ERR_NOT_CONTROLLER, "x");
    ck_assert_int_eq(e.code, KRT_ERR_KAFKA);
    ck_assert_int_eq(e.kafka_err, RD_KAFKA_RESP_ERR_NOT_CONTROLLER);
}
END_TEST

START_TEST(messages_are_one_line_and_prefixable)
{
    struct krt_error e;
    krt_error_set(&e, KRT_ERR_INPUT, "bad\nline\rhere");
    ck_assert_str_eq(e.msg, "bad line here");
    krt_error_prefix(&e, "group '%s'", "g");
    ck_assert_str_eq(e.msg, "group 'g': bad line here");
    ck_assert_int_eq(e.code, KRT_ERR_INPUT);
}
END_TEST

KRT_SUITE("error", exit_codes_follow_the_table, kafka_errors_are_classified,
          messages_are_one_line_and_prefixable)
