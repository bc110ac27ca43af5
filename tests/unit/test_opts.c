/* Unit tests of libcore/opts: shared options and their defaults. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "opts.h"
#include "timespec.h"

START_TEST(bootstrap_precedence)
{
    struct krt_common c;
    struct krt_error err;
    unsetenv("KRT_BOOTSTRAP_SERVERS");
    krt_common_init(&c, "t", 0, NULL);
    ck_assert_int_eq(krt_common_finish(&c, &err), 0);
    ck_assert_str_eq(c.bootstrap, "localhost:9092");
    krt_common_free(&c);

    setenv("KRT_BOOTSTRAP_SERVERS", "envhost:1", 1);
    krt_common_init(&c, "t", 0, NULL);
    ck_assert_int_eq(krt_common_finish(&c, &err), 0);
    ck_assert_str_eq(c.bootstrap, "envhost:1");
    krt_common_free(&c);

    krt_common_init(&c, "t", 0, NULL);
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
    krt_common_init(&c, "t", 0, NULL);
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

/* --timeout: what librdkafka's socket.timeout.ms takes (10 ms to 300 s),
 * with the units the help names; nothing strtod would also take. */
START_TEST(timeout_bounds_and_units)
{
    struct krt_error err;
    static const struct {
        const char *s;
        int ms;
    } good[] = {{"10ms", 10},    {"100", 100},   {"2500", 2500},   {"0.5s", 500},
                {"10s", 10000}, {"1.5m", 90000}, {"5m", 300000},  {"300s", 300000},
                {"0.05h", 180000}, {"300000ms", 300000}};
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
        int ms = -1;
        ck_assert_msg(krt_timeout_parse(good[i].s, "--timeout", KRT_TIMEOUT_MIN_MS, KRT_TIMEOUT_MAX_MS, &ms, &err) == 0, "refused '%s': %s",
                      good[i].s, err.msg);
        ck_assert_msg(ms == good[i].ms, "'%s' gave %d", good[i].s, ms);
    }
    static const char *const bad[] = {"nan", "NaN", "inf", "-inf", "-5s", "+5s", "0x10s",
                                      "1e3", " 10s", "10s ", "10 s", ".5s", "5.s", "",
                                      "s", "9ms", "0", "0s", "5m1ms", "301s", "1h", "24h",
                                      "99999999999999999999999h", "10S", "10sec", "50"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        int ms = 1234;
        ck_assert_msg(krt_timeout_parse(bad[i], "--timeout", KRT_TIMEOUT_MIN_MS, KRT_TIMEOUT_MAX_MS, &ms, &err) == -1, "accepted '%s' as %d",
                      bad[i], ms);
        ck_assert_int_eq(err.code, KRT_ERR_USAGE);
        ck_assert_int_eq(ms, 1234);
    }
    krt_timeout_parse("1h", "--timeout", KRT_TIMEOUT_MIN_MS, KRT_TIMEOUT_MAX_MS, NULL, &err);
    ck_assert_ptr_nonnull(strstr(err.msg, "10ms to 5m"));
}
END_TEST

/* --json anywhere on the command line (not after "--") asks for JSON errors. */
START_TEST(json_errors_from_argv)
{
    struct krt_common c;
    char *a1[] = {"t", "--bogus", "--json", NULL};
    krt_common_init(&c, "t", 3, a1);
    ck_assert(c.json_errors);
    ck_assert(!c.json);
    char *a2[] = {"t", "--", "--json", NULL};
    krt_common_init(&c, "t", 3, a2);
    ck_assert(!c.json_errors);
    char *a3[] = {"t", "--format", "json", NULL};
    krt_common_init(&c, "t", 3, a3);
    ck_assert(c.json_errors);
    char *a4[] = {"t", "--topic", "x", NULL};
    krt_common_init(&c, "t", 3, a4);
    ck_assert(!c.json_errors);
}
END_TEST

KRT_SUITE("opts", bootstrap_precedence, shared_options, int64_parse, timeout_bounds_and_units,
          json_errors_from_argv)
