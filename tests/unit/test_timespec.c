/* Unit tests of libcore/timespec: ISO-8601 date-times, durations, timeouts. */
#include <string.h>

#include "check_main.h"
#include "timespec.h"

static int64_t parse_ok(const char *s, const char *tz)
{
    int64_t ms = -12345;
    struct krt_error err;
    ck_assert_msg(krt_time_parse(s, tz, &ms, &err) == 0, "%s: %s", s, err.msg);
    return ms;
}

START_TEST(utc_and_offsets)
{
    ck_assert_int_eq(parse_ok("1970-01-01T00:00:00Z", NULL), 0);
    ck_assert_int_eq(parse_ok("2024-05-01T13:00:00Z", NULL), 1714568400000LL);
    ck_assert_int_eq(parse_ok("2024-05-01T15:00:00+02:00", NULL), 1714568400000LL);
    ck_assert_int_eq(parse_ok("2024-05-01T15:00:00+0200", NULL), 1714568400000LL);
    ck_assert_int_eq(parse_ok("2024-05-01T08:00:00-05", NULL), 1714568400000LL);
    ck_assert_int_eq(parse_ok("2024-05-01 13:00Z", NULL), 1714568400000LL);
    ck_assert_int_eq(parse_ok("2024-05-01T13:00:00.5Z", NULL), 1714568400500LL);
    ck_assert_int_eq(parse_ok("2024-05-01T13:00:00.123456Z", NULL), 1714568400123LL);
    ck_assert_int_eq(parse_ok("2024-02-29T00:00:00Z", NULL), 1709164800000LL);
}
END_TEST

START_TEST(zone_needed_or_given)
{
    int64_t ms;
    struct krt_error err;
    ck_assert_int_eq(krt_time_parse("2024-05-01T13:00:00", NULL, &ms, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "no zone"));
    ck_assert_int_eq(err.code, KRT_ERR_INPUT);
    ck_assert_int_eq(parse_ok("2024-05-01T13:00:00", "UTC"), 1714568400000LL);
    /* Paris is UTC+2 in May (summer time), UTC+1 in January */
    ck_assert_int_eq(parse_ok("2024-05-01T15:00:00", "Europe/Paris"), 1714568400000LL);
    ck_assert_int_eq(parse_ok("2024-01-01T01:00:00", "Europe/Paris"), 1704067200000LL);
    ck_assert_int_eq(krt_time_parse("2024-05-01T13:00:00", "Mars/Olympus", &ms, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "unknown time zone 'Mars/Olympus'"));
}
END_TEST

START_TEST(malformed_times)
{
    const char *bad[] = {"", "yesterday", "2024-13-01T00:00:00Z", "2024-02-30T00:00:00Z",
                         "2023-02-29T00:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01",
                         "2024-05-01T13:00:00Zjunk", "2024-05-01T13:00:00+25:00",
                         "2024-5-01T13:00:00Z", "2024-05-01T13:00:00."};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        int64_t ms;
        struct krt_error err;
        ck_assert_msg(krt_time_parse(bad[i], NULL, &ms, &err) == -1, "accepted '%s'", bad[i]);
        ck_assert_int_eq(err.code, KRT_ERR_INPUT);
        ck_assert_ptr_null(strchr(err.msg, '\n'));
    }
}
END_TEST

START_TEST(durations_like_java)
{
    int64_t ms;
    struct krt_error err;
    ck_assert_int_eq(krt_duration_parse("PT2H30M", &ms, &err), 0);
    ck_assert_int_eq(ms, 9000000);
    ck_assert_int_eq(krt_duration_parse("P1DT12H", &ms, &err), 0);
    ck_assert_int_eq(ms, 129600000);
    ck_assert_int_eq(krt_duration_parse("PT0.5S", &ms, &err), 0);
    ck_assert_int_eq(ms, 500);
    ck_assert_int_eq(krt_duration_parse("-PT1M", &ms, &err), 0);
    ck_assert_int_eq(ms, -60000);
    ck_assert_int_eq(krt_duration_parse("P2D", &ms, &err), 0);
    ck_assert_int_eq(ms, 172800000);
    const char *bad[] = {"", "2H", "PT", "P", "PT1H2H", "PT1M1H", "P1H", "PT1D", "PT1.5M",
                         "P1Y", "PTxS"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        ck_assert_msg(krt_duration_parse(bad[i], &ms, &err) == -1, "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(format_round_trip)
{
    char b[40];
    krt_time_format(1714568400123LL, b, sizeof(b));
    ck_assert_str_eq(b, "2024-05-01T13:00:00.123Z");
    ck_assert_int_eq(parse_ok(b, NULL), 1714568400123LL);
}
END_TEST

START_TEST(timeouts)
{
    int ms;
    struct krt_error err;
    ck_assert_int_eq(krt_timeout_parse("10s", &ms, &err), 0);
    ck_assert_int_eq(ms, 10000);
    ck_assert_int_eq(krt_timeout_parse("500ms", &ms, &err), 0);
    ck_assert_int_eq(ms, 500);
    ck_assert_int_eq(krt_timeout_parse("2500", &ms, &err), 0);
    ck_assert_int_eq(ms, 2500);
    ck_assert_int_eq(krt_timeout_parse("2m", &ms, &err), 0);
    ck_assert_int_eq(ms, 120000);
    /* a bare small number is almost surely meant as seconds */
    ck_assert_int_eq(krt_timeout_parse("10", &ms, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "10s"));
    ck_assert_int_eq(krt_timeout_parse("abc", &ms, &err), -1);
    ck_assert_int_eq(krt_timeout_parse("-5s", &ms, &err), -1);
}
END_TEST

KRT_SUITE("timespec", utc_and_offsets, zone_needed_or_given, malformed_times,
          durations_like_java, format_round_trip, timeouts)
