/* Unit tests of libcore/resend_request: bounds, flags and the request file
 * (read through the typed reader), with no broker. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "resend_request.h"

static char *write_tmp(const char *text)
{
    static char path[64];
    strcpy(path, "/tmp/krt-rsreq-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

/* read @p text as a request file; on failure, @p e->msg names path and JSON path */
static int read_req(const char *text, struct krt_resend_request *r, struct krt_error *e)
{
    char *path = write_tmp(text);
    krt_error_clear(e);
    int rc = krt_resend_request_read(path, "UTC", r, e);
    unlink(path);
    return rc;
}

START_TEST(bound_offsets_sparse_and_sorted)
{
    struct krt_resend_bound b = {0};
    struct krt_error e;
    ck_assert_int_eq(krt_resend_bound_parse("2147483647=5,0=7", NULL, &b, &e), 0);
    ck_assert_int_eq(krt_resend_bound_offset(&b, 0), 7);
    ck_assert_int_eq(krt_resend_bound_offset(&b, 2147483647), 5);
    ck_assert_int_eq(krt_resend_bound_offset(&b, 1), -1);
    ck_assert_int_eq(b.noffsets, 2); /* no array up to the highest partition */
    ck_assert_int_eq(krt_resend_bound_parse("2147483648=5", NULL, &b, &e), -1);
    ck_assert_int_eq(krt_resend_bound_parse("0=-1", NULL, &b, &e), -1);
    ck_assert_int_eq(krt_resend_bound_parse("0=9223372036854775808", NULL, &b, &e), -1);
    ck_assert_int_eq(krt_resend_bound_parse("0=1,0=2", NULL, &b, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "given twice"));
    ck_assert_int_eq(krt_resend_bound_parse("0=1,", NULL, &b, &e), -1);
    ck_assert_int_eq(krt_resend_bound_parse("", NULL, &b, &e), -1);
    free(b.text);
    free(b.offsets);
}
END_TEST

START_TEST(flags_partitions_and_rates)
{
    struct krt_resend_request r = {0};
    struct krt_error e;
    ck_assert_int_eq(krt_resend_partitions_parse("", &r, &e), -1);
    ck_assert_int_eq(krt_resend_partitions_parse("0,,1", &r, &e), -1);
    ck_assert_int_eq(krt_resend_partitions_parse("4294967296", &r, &e), -1);
    ck_assert_int_eq(krt_resend_partitions_parse("0,2147483647", &r, &e), 0);
    ck_assert_int_eq(r.npartitions, 2);
    ck_assert_int_eq(r.partitions[1], 2147483647);
    double v;
    const char *bad[] = {"nan", "inf", "-inf", "0", "-1", "", "1x", NULL};
    for (int i = 0; bad[i]; i++)
        ck_assert_msg(krt_resend_rate_parse(bad[i], &v, &e) == -1, "'%s' accepted", bad[i]);
    ck_assert_int_eq(krt_resend_rate_parse("0.25", &v, &e), 0);
    ck_assert(v == 0.25);
    krt_resend_request_free(&r);
}
END_TEST

START_TEST(file_refuses_what_it_used_to_coerce)
{
    const char *cases[][2] = {
        {"{\"from\": {\"0\": \"100\"}}", ": /from/0: "},
        {"{\"from\": 12345}", ": /from: "},
        {"{\"partitions\": 3}", ": /partitions: "},
        {"{\"partitons\": [0]}", ": /partitons: "},
        {"{\"max_rate\": \"100\"}", ": /max_rate: "},
        {"{\"max_rate\": 0}", ": /max_rate: "},
        {"{\"partitions\": [4294967296]}", ": /partitions/0: "},
        {"{\"partitions\": []}", ": /partitions: "},
        {"{\"to\": {\"0\": -1}}", ": /to/0: "},
        {"{\"to\": {\"01\": 1}}", ": /to/01: "},
        {"{\"replication_factor\": 1.5}", ": /replication_factor: "},
        {"{\"id\": 7}", ": /id: "},
        {"{\"header\": \"novalue\"}", ": /header: "},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct krt_resend_request r = {0};
        struct krt_error e;
        ck_assert_msg(read_req(cases[i][0], &r, &e) == -1, "accepted: %s", cases[i][0]);
        ck_assert_int_eq(e.code, KRT_ERR_INPUT);
        ck_assert_msg(strstr(e.msg, "/tmp/krt-rsreq-") && strstr(e.msg, cases[i][1]),
                      "%s: %s", cases[i][0], e.msg);
        krt_resend_request_free(&r);
    }
}
END_TEST

START_TEST(file_reads_400_partitions_whole)
{
    /* 400 partitions of 10-digit offsets: more than the 4095 characters the
     * old reader's buffer held */
    size_t cap = 400 * 32 + 64, n = 0;
    char *text = malloc(cap);
    n += (size_t)snprintf(text + n, cap - n, "{\"to\": {");
    for (int p = 0; p < 400; p++)
        n += (size_t)snprintf(text + n, cap - n, "%s\"%d\": %lld", p ? ", " : "", p,
                              1000000000LL + p);
    snprintf(text + n, cap - n, "}}");
    struct krt_resend_request r = {0};
    struct krt_error e;
    ck_assert_msg(read_req(text, &r, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(r.to.noffsets, 400);
    ck_assert_int_eq(krt_resend_bound_offset(&r.to, 300), 1000000300LL);
    ck_assert_int_eq(krt_resend_bound_offset(&r.to, 399), 1000000399LL);
    free(text);
    krt_resend_request_free(&r);
}
END_TEST

START_TEST(file_times_use_the_timezone)
{
    struct krt_resend_request r = {0};
    struct krt_error e;
    char *path = write_tmp("{\"from\": \"2024-05-01T09:00:00\"}");
    krt_error_clear(&e);
    ck_assert_int_eq(krt_resend_request_read(path, "Asia/Tokyo", &r, &e), 0);
    ck_assert(r.from.has_time);
    ck_assert_int_eq(r.from.time_ms, 1714521600000LL); /* 2024-05-01T00:00:00Z */
    krt_resend_request_free(&r);
    unlink(path);
}
END_TEST

START_TEST(flags_win_and_fingerprint_is_stable)
{
    struct krt_resend_request a = {0}, b = {0};
    struct krt_error e;
    a.id = strdup("flag-id");
    ck_assert_int_eq(read_req("{\"id\": \"file-id\", \"team\": \"t\", \"source\": \"s\","
                              " \"from\": {\"0\": 10, \"2\": 100}}",
                              &a, &e),
                     0);
    ck_assert_str_eq(a.id, "flag-id");
    ck_assert_int_eq(read_req("{\"id\": \"x\", \"team\": \"t\", \"source\": \"s\","
                              " \"from\": \"0=10,2=100\"}",
                              &b, &e),
                     0);
    ck_assert_int_eq(krt_resend_request_check(&a, &e), 0);
    ck_assert_int_eq(krt_resend_request_check(&b, &e), 0);
    ck_assert_str_eq(a.target, "s.resend.t");
    /* the object and the string say the same: the same fingerprint */
    ck_assert_str_eq(a.fingerprint, b.fingerprint);
    krt_resend_request_free(&b);
    ck_assert_int_eq(read_req("{\"id\": \"x\", \"team\": \"t\", \"source\": \"s\","
                              " \"from\": \"0=10,2=101\"}",
                              &b, &e),
                     0);
    ck_assert_int_eq(krt_resend_request_check(&b, &e), 0);
    ck_assert_str_ne(a.fingerprint, b.fingerprint);
    krt_resend_request_free(&a);
    krt_resend_request_free(&b);
}
END_TEST

START_TEST(instance_names_and_rate_floors_are_checked)
{
    const char *bad[] = {
        "{\"id\": \"i\", \"team\": \"t\", \"source\": \"s\", \"instance\": \"a b/../x\"}",
        "{\"id\": \"i\", \"team\": \"t\", \"source\": \"s\", \"max_rate\": 1e-300}",
        "{\"id\": \"i\", \"team\": \"t\", \"source\": \"s\", \"max_bytes_rate\": 100}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        struct krt_resend_request r = {0};
        struct krt_error e;
        ck_assert_int_eq(read_req(bad[i], &r, &e), 0);
        ck_assert_msg(krt_resend_request_check(&r, &e) == -1, "accepted %s", bad[i]);
        ck_assert_int_eq(e.code, KRT_ERR_INPUT);
        krt_resend_request_free(&r);
    }
    struct krt_resend_request r = {0};
    struct krt_error e;
    char longname[160];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    r.id = strdup("i");
    r.team = strdup("t");
    r.source = strdup("s");
    r.instance = strdup(longname); /* two long names with one prefix would share an id */
    ck_assert_int_eq(krt_resend_request_check(&r, &e), -1);
    free(r.instance);
    r.instance = strdup("worker-1");
    r.max_rate = 0.5;
    ck_assert_msg(krt_resend_request_check(&r, &e) == 0, "%s", e.msg);
    krt_resend_request_free(&r);
}
END_TEST

/* the fingerprint is of the meaning: partitions and offsets in any order, a
 * time in any spelling of the same instant, are one request */
static void fingerprints_of(const char *text, char fp[17], char v0[17])
{
    struct krt_resend_request r = {0};
    struct krt_error e;
    ck_assert_msg(read_req(text, &r, &e) == 0, "%s", e.msg);
    ck_assert_msg(krt_resend_request_check(&r, &e) == 0, "%s", e.msg);
    if (fp)
        memcpy(fp, r.fingerprint, 17);
    if (v0)
        memcpy(v0, r.fingerprint_v0, 17);
    krt_resend_request_free(&r);
}

static void fingerprint_of(const char *text, char fp[17]) { fingerprints_of(text, fp, NULL); }

START_TEST(fingerprint_ignores_order)
{
    char a[17], b[17];
    fingerprint_of("{\"id\": \"i\", \"team\": \"t\", \"source\": \"s\", \"partitions\": [2, 0, 1]}", a);
    fingerprint_of("{\"id\": \"i\", \"team\": \"t\", \"source\": \"s\", \"partitions\": [0, 1, 2]}", b);
    ck_assert_str_eq(a, b);
    fingerprint_of("{\"id\": \"i\", \"team\": \"t\", \"source\": \"s\", \"partitions\": [0, 1]}", b);
    ck_assert_str_ne(a, b);
    fingerprint_of("{\"id\": \"i\", \"team\": \"t\", \"source\": \"s\", \"to\": {\"2\": 5, \"0\": 7}}", a);
    fingerprint_of("{\"id\": \"i\", \"team\": \"t\", \"source\": \"s\", \"to\": {\"0\": 7, \"2\": 5}}", b);
    ck_assert_str_eq(a, b);
    fingerprint_of("{\"id\": \"i\", \"team\": \"t\", \"source\": \"s\", \"to\": \"2=5,0=7\"}", b);
    ck_assert_str_eq(a, b);
    fingerprint_of("{\"id\": \"i\", \"team\": \"t\", \"source\": \"s\", \"from\": \"2024-05-01T00:00:00Z\"}", a);
    fingerprint_of("{\"id\": \"i\", \"team\": \"t\", \"source\": \"s\", \"from\": \"2024-05-01T02:00:00.000+02:00\"}", b);
    ck_assert_str_eq(a, b);
    /* partition lists given as a flag are the same request, any order */
    struct krt_resend_request f = {0}, g = {0};
    struct krt_error e;
    f.id = strdup("i"), f.team = strdup("t"), f.source = strdup("s");
    g.id = strdup("i"), g.team = strdup("t"), g.source = strdup("s");
    ck_assert_int_eq(krt_resend_partitions_parse("2,0", &f, &e), 0);
    ck_assert_int_eq(krt_resend_partitions_parse("0,2", &g, &e), 0);
    ck_assert_int_eq(krt_resend_request_check(&f, &e), 0);
    ck_assert_int_eq(krt_resend_request_check(&g, &e), 0);
    ck_assert_str_eq(f.fingerprint, g.fingerprint);
    krt_resend_request_free(&f);
    krt_resend_request_free(&g);
}
END_TEST

/* the old fingerprint (of the text) is kept only for bounds whose text
 * alone fixes their meaning: offsets, or date-times with their own zone */
static void v0_of(const char *text, char v0[17]) { fingerprints_of(text, NULL, v0); }

START_TEST(old_fingerprint_only_for_absolute_bounds)
{
    char fp[17];
    v0_of("{\"id\": \"i\", \"team\": \"t\", \"source\": \"s\", \"to\": {\"0\": 7}}", fp);
    ck_assert_uint_eq(strlen(fp), 16);
    v0_of("{\"id\": \"i\", \"team\": \"t\", \"source\": \"s\", \"from\": \"2024-05-01T00:00:00Z\"}", fp);
    ck_assert_uint_eq(strlen(fp), 16);
    v0_of("{\"id\": \"i\", \"team\": \"t\", \"source\": \"s\", \"from\": \"2024-05-01T02:00:00-05:00\"}", fp);
    ck_assert_uint_eq(strlen(fp), 16);
    /* no zone: its instant depended on --timezone then */
    v0_of("{\"id\": \"i\", \"team\": \"t\", \"source\": \"s\", \"from\": \"2024-05-01T00:00:00\"}", fp);
    ck_assert_str_eq(fp, "");
}
END_TEST

KRT_SUITE("resend_request", bound_offsets_sparse_and_sorted, flags_partitions_and_rates,
          file_refuses_what_it_used_to_coerce, file_reads_400_partitions_whole,
          file_times_use_the_timezone, flags_win_and_fingerprint_is_stable,
          instance_names_and_rate_floors_are_checked, fingerprint_ignores_order,
          old_fingerprint_only_for_absolute_bounds)
