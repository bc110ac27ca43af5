/* Unit tests of libcore/opts: shared options and their defaults. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "opts.h"

START_TEST(bootstrap_precedence)
{
    struct krt_common c;
    struct krt_error err;
    unsetenv("KRT_BOOTSTRAP_SERVERS");
    krt_common_init(&c, "t");
    ck_assert_int_eq(krt_common_finish(&c, &err), 0);
    ck_assert_str_eq(c.bootstrap, "localhost:9092");
    krt_common_free(&c);

    setenv("KRT_BOOTSTRAP_SERVERS", "envhost:1", 1);
    krt_common_init(&c, "t");
    ck_assert_int_eq(krt_common_finish(&c, &err), 0);
    ck_assert_str_eq(c.bootstrap, "envhost:1");
    krt_common_free(&c);

    krt_common_init(&c, "t");
    ck_assert_int_eq(krt_common_option(&c, 'b', "flag:2", &err), 1);
    ck_assert_int_eq(krt_common_finish(&c, &err), 0);
    ck_assert_str_eq(c.bootstrap, "flag:2");
    krt_common_free(&c);
    unsetenv("KRT_BOOTSTRAP_SERVERS");
}
END_TEST

START_TEST(shared_options)
{
    struct krt_common c;
    struct krt_error err;
    krt_common_init(&c, "t");
    ck_assert_int_eq(c.timeout_ms, 10000);
    ck_assert_int_eq(krt_common_option(&c, KRT_OPT_TIMEOUT, "3s", &err), 1);
    ck_assert_int_eq(c.timeout_ms, 3000);
    ck_assert_int_eq(krt_common_option(&c, KRT_OPT_TIMEOUT, "x", &err), -1);
    ck_assert_int_eq(err.code, KRT_ERR_USAGE);
    ck_assert_int_eq(krt_common_option(&c, 'X', "debug=admin", &err), 1);
    ck_assert_str_eq(krt_props_get(&c.x, "debug"), "admin");
    ck_assert_int_eq(krt_common_option(&c, KRT_OPT_JSON, NULL, &err), 1);
    ck_assert(c.json);
    ck_assert_int_eq(krt_common_option(&c, 'z', NULL, &err), 0);
    krt_common_option(&c, KRT_OPT_DRY_RUN, NULL, &err);
    krt_common_option(&c, KRT_OPT_EXECUTE, NULL, &err);
    ck_assert_int_eq(krt_common_finish(&c, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "--dry-run and --execute"));
    krt_common_free(&c);
}
END_TEST

START_TEST(int64_parse)
{
    int64_t v;
    ck_assert_int_eq(krt_parse_int64("42", &v), 0);
    ck_assert_int_eq(v, 42);
    ck_assert_int_eq(krt_parse_int64("-1", &v), -1);
    ck_assert_int_eq(krt_parse_int64("4x", &v), -1);
    ck_assert_int_eq(krt_parse_int64("", &v), -1);
    ck_assert_int_eq(krt_parse_int64("99999999999999999999", &v), -1);
}
END_TEST

KRT_SUITE("opts", bootstrap_precedence, shared_options, int64_parse)
