/* Unit tests of libcore/rewind: plan files (Kafka's CSV and krt's JSON). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "rewind.h"

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
    ck_assert_ptr_nonnull(strstr(err.msg, "offset >= 0 or null"));
    unlink(path);
}
END_TEST

KRT_SUITE("rewind", csv_three_and_four_columns, csv_errors_name_the_line, json_plan_and_undo)
