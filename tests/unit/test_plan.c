/* Unit tests of libcore/plan: plan files (Kafka's CSV and krt's JSON) read
 * through the typed reader, and undo file names made from any group name. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include <stdlib.h>

#include "plan.h"
#include "truncate.h"

static const char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/krt-test-plan-%ld", (long)getpid());
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

START_TEST(csv_three_and_four_columns)
{
    struct krt_planfile pf;
    struct krt_error err;
    ck_assert_int_eq(krt_planfile_read(write_tmp("orders,0,5\n orders , 2 ,7 \n\n"), &pf, &err), 0);
    ck_assert_uint_eq(pf.n, 2);
    ck_assert_ptr_null(pf.v[0].group);
    ck_assert_str_eq(pf.v[1].topic, "orders");
    ck_assert_int_eq(pf.v[1].partition, 2);
    ck_assert_int_eq(pf.v[1].offset, 7);
    krt_planfile_free(&pf);
    ck_assert_int_eq(krt_planfile_read(write_tmp("g1,orders,1,9\n"), &pf, &err), 0);
    ck_assert_str_eq(pf.v[0].group, "g1");
    ck_assert_int_eq(pf.v[0].offset, 9);
    krt_planfile_free(&pf);
    unlink(write_tmp(""));
}
END_TEST

START_TEST(csv_errors_name_the_line)
{
    struct krt_planfile pf;
    struct krt_error err;
    const char *path;
    path = write_tmp("orders,0,5\norders,x,5\n");
    ck_assert_int_eq(krt_planfile_read(path, &pf, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, ":2: bad partition 'x'"));
    ck_assert_int_eq(err.code, KRT_ERR_INPUT);
    ck_assert_int_eq(krt_planfile_read(write_tmp("orders,0,-1\n"), &pf, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, ":1: bad offset '-1'"));
    ck_assert_int_eq(krt_planfile_read(write_tmp("a,b\n"), &pf, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, ":1: expected"));
    ck_assert_int_eq(krt_planfile_read(write_tmp("\n# nothing\n"), &pf, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "no offsets"));
    ck_assert_int_eq(krt_planfile_read("/nonexistent/plan.csv", &pf, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "cannot read '/nonexistent/plan.csv'"));
    unlink(path);
}
END_TEST

START_TEST(json_plan_and_undo)
{
    struct krt_planfile pf;
    struct krt_error err;
    const char *path = write_tmp(
        "{\"krt_plan\":\"rewind\",\"version\":1,\"groups\":[{\"group\":\"g\",\"partitions\":["
        "{\"topic\":\"t\",\"partition\":0,\"offset\":4,\"metadata\":\"m\"},"
        "{\"topic\":\"t\",\"partition\":1,\"offset\":null}]}]}");
    ck_assert_int_eq(krt_planfile_read(path, &pf, &err), 0);
    ck_assert_uint_eq(pf.n, 2);
    ck_assert_str_eq(pf.v[0].group, "g");
    ck_assert_str_eq(pf.v[0].metadata, "m");
    ck_assert_int_eq(pf.v[1].offset, -1);
    ck_assert_ptr_null(pf.v[1].metadata);
    krt_planfile_free(&pf);
    ck_assert_int_eq(krt_planfile_read(write_tmp("{\"groups\":[]}"), &pf, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "not a krt-rewind plan"));
    ck_assert_int_eq(krt_planfile_read(write_tmp("{\"krt_plan\":\"rewind\",\"groups\":[{\"group\":"
                                                 "\"g\",\"partitions\":[{\"topic\":\"t\","
                                                 "\"partition\":0,\"offset\":-5}]}]}"),
                                       &pf, &err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "/groups/0/partitions/0/offset: expected an offset"));
    unlink(path);
}
END_TEST

/* Issue 10, defect 10 and 18: nothing is coerced, every error names the path */
START_TEST(json_typed_errors_name_the_path)
{
    struct krt_planfile pf;
    struct krt_error err;
    static const struct {
        const char *row, *needle;
    } cases[] = {
        {"{\"topic\":\"t\",\"partition\":\"0\",\"offset\":1}", "/groups/0/partitions/0/partition:"},
        {"{\"topic\":\"t\",\"partition\":4294967296,\"offset\":1}", "/groups/0/partitions/0/partition:"},
        {"{\"topic\":\"t\",\"partition\":-1,\"offset\":1}", "/groups/0/partitions/0/partition:"},
        {"{\"topic\":\"t\",\"partition\":0,\"offset\":1.5}", "/groups/0/partitions/0/offset:"},
        {"{\"topic\":\"t\",\"partition\":0,\"ofset\":1}", "/groups/0/partitions/0/ofset:"},
        {"{\"topic\":7,\"partition\":0,\"offset\":1}", "/groups/0/partitions/0/topic:"},
        {"{\"topic\":\"t\",\"partition\":0}", "/groups/0/partitions/0/offset:"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char doc[512];
        snprintf(doc, sizeof(doc),
                 "{\"krt_plan\":\"rewind\",\"groups\":[{\"group\":\"g\",\"partitions\":[%s]}]}",
                 cases[i].row);
        ck_assert_int_eq(krt_planfile_read(write_tmp(doc), &pf, &err), -1);
        ck_assert_int_eq(err.code, KRT_ERR_INPUT);
        ck_assert_msg(strstr(err.msg, cases[i].needle), "case %zu: %s", i, err.msg);
    }
    ck_assert_int_eq(krt_planfile_read(write_tmp("{\"krt_plan\":\"truncate\",\"groups\":[]}"),
                                       &pf, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "not a krt-rewind plan"));
    unlink(write_tmp(""));
}
END_TEST

START_TEST(csv_with_a_nul_byte_is_refused)
{
    struct krt_planfile pf;
    struct krt_error err;
    const char *path = write_tmp("");
    FILE *f = fopen(path, "w");
    fwrite("orders,0,5\n\0orders,1,6\n", 1, 24, f);
    fclose(f);
    ck_assert_int_eq(krt_planfile_read(path, &pf, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "NUL byte at offset 11"));
    unlink(path);
}
END_TEST

/* Review, finding 5: a repeated row fails the whole Kafka request later, after
 * the undo file is written; the reader refuses it, naming the line or path. */
START_TEST(repeated_rows_are_refused)
{
    struct krt_planfile pf;
    struct krt_error err;
    const char *path = write_tmp("g1,orders,0,5\ng1,orders,1,5\n g1 , orders , 0 , 7\n");
    char want[128];
    ck_assert_int_eq(krt_planfile_read(path, &pf, &err), -1);
    ck_assert_int_eq(err.code, KRT_ERR_INPUT);
    snprintf(want, sizeof(want), "%s:3: 'orders' partition 0 of group 'g1' is listed twice", path);
    ck_assert_msg(strstr(err.msg, want), "%s", err.msg);
    ck_assert_int_eq(krt_planfile_read(write_tmp("orders,0,5\norders,0,6\n"), &pf, &err), -1);
    ck_assert_msg(strstr(err.msg, ":2: 'orders' partition 0 is listed twice"), "%s", err.msg);
    /* the same partition for two groups, or two partitions: not a repeat */
    ck_assert_int_eq(krt_planfile_read(write_tmp("g1,orders,0,5\ng2,orders,0,5\ng1,orders,1,5\n"),
                                       &pf, &err), 0);
    krt_planfile_free(&pf);
    ck_assert_int_eq(
        krt_planfile_read(write_tmp("{\"krt_plan\":\"rewind\",\"groups\":["
                                    "{\"group\":\"g\",\"partitions\":[{\"topic\":\"t\",\"partition\":0,\"offset\":1}]},"
                                    "{\"group\":\"g\",\"partitions\":[{\"topic\":\"t\",\"partition\":1,\"offset\":1},"
                                    "{\"topic\":\"t\",\"partition\":0,\"offset\":2}]}]}"),
                          &pf, &err),
        -1);
    ck_assert_int_eq(err.code, KRT_ERR_INPUT);
    ck_assert_msg(strstr(err.msg, "/groups/1/partitions/1: 't' partition 0 of group 'g' is listed twice"),
                  "%s", err.msg);
    unlink(write_tmp(""));
}
END_TEST

#define TRUNC_TOPIC(method)                                                                       \
    "{\"topic\":\"t1\",\"method\":\"" method "\",\"partition_count\":1,\"replication_factor\":1,"  \
    "\"cleanup_policy\":\"delete\",\"configs\":{},\"partitions\":[{\"partition\":0,"               \
    "\"log_start_offset\":0,\"high_watermark\":3,\"new_log_start_offset\":3}]}"

START_TEST(truncate_plan_refuses_a_repeated_topic)
{
    struct krt_trunc_plan p;
    struct krt_error err;
    ck_assert_int_eq(krt_trunc_plan_read(write_tmp("{\"krt_plan\":\"truncate\",\"mode\":\"all\","
                                                   "\"topics\":[" TRUNC_TOPIC("delete-records") "]}"),
                                         &p, &err),
                     0);
    krt_trunc_plan_free(&p);
    ck_assert_int_eq(krt_trunc_plan_read(write_tmp("{\"krt_plan\":\"truncate\",\"mode\":\"all\","
                                                   "\"topics\":[" TRUNC_TOPIC("delete-records") ","
                                                   TRUNC_TOPIC("recreate") "]}"),
                                         &p, &err),
                     -1);
    ck_assert_int_eq(err.code, KRT_ERR_INPUT);
    ck_assert_msg(strstr(err.msg, "/topics/1/topic: topic 't1' is listed twice (first at /topics/0)"),
                  "%s", err.msg);
    unlink(write_tmp(""));
}
END_TEST

/* Issue 10, defect 9: any legal group name gives a file inside the directory */
START_TEST(undo_path_never_leaves_the_directory)
{
    struct krt_error err;
    char buf[4096], longname[400];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    const char *names[] = {"team/app", "x/../../escaped", "..", "/", "", "gr\xc3\xbc\xc3\x9f", longname};
    setenv("KRT_UNDO_DIR", "/var/undo", 1);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        ck_assert_int_eq(krt_plan_path(buf, sizeof(buf), "rewind-undo", names[i], &err), 0);
        ck_assert_msg(!strncmp(buf, "/var/undo/krt-rewind-undo-", 26), "%s", buf);
        ck_assert_msg(!strchr(buf + 10, '/'), "a '/' in the file name: %s", buf);
        ck_assert_msg(strlen(strrchr(buf, '/') + 1) < 255, "too long: %s", buf);
    }
    ck_assert_int_eq(krt_plan_path(buf, sizeof(buf), "rewind-undo", "team/app", &err), 0);
    ck_assert_ptr_nonnull(strstr(buf, "/krt-rewind-undo-team%2Fapp-"));
    ck_assert_int_eq(krt_plan_path(buf, sizeof(buf), "rewind-undo", longname, &err), 0);
    ck_assert_ptr_nonnull(strchr(buf, '~'));
    unsetenv("KRT_UNDO_DIR");
}
END_TEST

KRT_SUITE("plan", csv_three_and_four_columns, csv_errors_name_the_line, json_plan_and_undo,
          json_typed_errors_name_the_path, csv_with_a_nul_byte_is_refused,
          undo_path_never_leaves_the_directory, repeated_rows_are_refused,
          truncate_plan_refuses_a_repeated_topic)
