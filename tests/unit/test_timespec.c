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
                         "2024-5-01T13:00:00Z", "2024-05-01T13:00:00.",
                         /* java.time reads +HH, +HH:MM, +HH:MM:SS, not +HHMM */
                         "2024-05-01T15:00:00+0200", "2024-05-01T13:00:00.1234567890Z",
                         "2024-05-01T13:00:00,5Z", "2024-05-01T13:00:00+18:01"};
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

/* Defect 8: a time before the epoch parsed to a negative number of
 * milliseconds, and -1 is what Kafka's offset look-up reads as "latest". */
START_TEST(before_the_epoch_is_bad_input)
{
    const char *bad[] = {"1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59Z",
                         "1970-01-01T00:59:59+01:00", "0000-01-01T00:00:00Z",
                         "1900-06-01T12:00:00Z"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        int64_t ms = 42;
        struct krt_error err;
        ck_assert_msg(krt_time_parse(bad[i], NULL, &ms, &err) == -1, "accepted '%s' as %lld",
                      bad[i], (long long)ms);
        ck_assert_int_eq(err.code, KRT_ERR_INPUT);
        ck_assert_ptr_nonnull(strstr(err.msg, "before 1970-01-01T00:00:00Z"));
    }
    /* the same with a zone given by --timezone */
    int64_t ms;
    struct krt_error err;
    ck_assert_int_eq(krt_time_parse("1969-12-31T23:59:59", "UTC", &ms, &err), -1);
    ck_assert_int_eq(krt_time_parse("1970-01-01T00:30:00", "Europe/Paris", &ms, &err), -1);
    /* the epoch itself is a time */
    ck_assert_int_eq(parse_ok("1970-01-01T00:00:00Z", NULL), 0);
    ck_assert_int_eq(parse_ok("1970-01-01T01:00:00+01:00", NULL), 0);
}
END_TEST

/* Defect 18: the sum of the units overflowed int64 (UBSan: signed integer
 * overflow); java.time.Duration.toMillis() throws there. */
START_TEST(durations_that_overflow)
{
    const char *bad[] = {"P53375995583DT1281023894007H76861433640456M",
                         "PT9223372036854775807S", "PT-9223372036854775808S",
                         "P106751991167301D", "-P106751991167301D",
                         "PT2562047788015216H", "PT99999999999999999999999999S",
                         "P9223372036854775807DT9223372036854775807H"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        int64_t ms = 42;
        struct krt_error err;
        ck_assert_msg(krt_duration_parse(bad[i], &ms, &err) == -1, "accepted '%s' as %lld",
                      bad[i], (long long)ms);
        ck_assert_int_eq(err.code, KRT_ERR_INPUT);
    }
    /* the largest whole number of days that fits in int64 milliseconds */
    int64_t ms;
    struct krt_error err;
    ck_assert_int_eq(krt_duration_parse("P106751991167D", &ms, &err), 0);
    ck_assert_int_eq(ms, 106751991167LL * 86400000LL);
    ck_assert_int_eq(krt_duration_parse("PT9223372036854.775807S", &ms, &err), 0);
    ck_assert_int_eq(ms, INT64_C(9223372036854775));
    /* --by-duration: now minus the duration, never before the epoch */
    ck_assert_int_eq(krt_time_ago("P36500D", 36500LL * 86400000LL, &ms, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "before 1970"));
    ck_assert_int_eq(krt_time_ago("-P106751991167D", INT64_MIN + 1, &ms, &err), -1);
    int64_t before = krt_now_ms();
    ck_assert_int_eq(krt_time_ago("PT1H", 3600000, &ms, &err), 0);
    ck_assert(ms <= before - 3600000 + 5000 && ms >= before - 3600000 - 5000);
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

/* --segment-time's bounds (krt-backup) through the one timeout parser */
static int krt_timeout_parse_seg(const char *s, int *ms, struct krt_error *err)
{
    return krt_timeout_parse(s, "--segment-time", 1, 86400000, ms, err);
}

START_TEST(timeouts)
{
    int ms;
    struct krt_error err;
    ck_assert_int_eq(krt_timeout_parse_seg("10s", &ms, &err), 0);
    ck_assert_int_eq(ms, 10000);
    ck_assert_int_eq(krt_timeout_parse_seg("500ms", &ms, &err), 0);
    ck_assert_int_eq(ms, 500);
    ck_assert_int_eq(krt_timeout_parse_seg("2500", &ms, &err), 0);
    ck_assert_int_eq(ms, 2500);
    ck_assert_int_eq(krt_timeout_parse_seg("2m", &ms, &err), 0);
    ck_assert_int_eq(ms, 120000);
    /* a bare small number is almost surely meant as seconds */
    ck_assert_int_eq(krt_timeout_parse_seg("10", &ms, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "10s"));
    ck_assert_int_eq(krt_timeout_parse_seg("abc", &ms, &err), -1);
    ck_assert_int_eq(krt_timeout_parse_seg("-5s", &ms, &err), -1);
    /* the syntax --timeout takes, not strtod's: no nan, inf, exponent or sign */
    static const char *const bad[] = {"nan", "inf", "1e3s", "+5s", "0x10s", " 10s", "10sec"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        ck_assert_msg(krt_timeout_parse_seg(bad[i], &ms, &err) == -1, "accepted '%s'", bad[i]);
    ck_assert_int_eq(krt_timeout_parse_seg("24h", &ms, &err), 0);
    ck_assert_int_eq(ms, 86400000);
    ck_assert_int_eq(krt_timeout_parse_seg("25h", &ms, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "1ms to 24h"));
    ck_assert_ptr_nonnull(strstr(err.msg, "--segment-time"));
}
END_TEST

KRT_SUITE("timespec", utc_and_offsets, zone_needed_or_given, malformed_times,
          durations_like_java, before_the_epoch_is_bad_input,
          durations_that_overflow, format_round_trip, timeouts)
