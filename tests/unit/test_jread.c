/* Unit tests of libcore/jread: the typed reader every krt file goes through. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "jread.h"

/* Write @p len bytes of @p text to a new temporary file; returns its path. */
static char *tmpfile_with(const char *text, size_t len)
{
    static char path[64];
    strcpy(path, "/tmp/krt-jread-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

static const struct krt_jfield request_fields[] = {
    {"id", KRT_J_STRING, KRT_J_REQUIRED, 0, 0},
    {"partitions", KRT_J_ARRAY, 0, 0, 0},
    {"max_rate", KRT_J_NUMBER, 0, 0, 1000000},
    {"count", KRT_J_INT, KRT_J_NULLABLE, 0, 10},
    {"to", KRT_J_ANY, 0, 0, 0},
    {NULL, 0, 0, 0, 0},
};

static int read_and_check(const char *text, struct krt_error *e)
{
    char *path = tmpfile_with(text, strlen(text));
    json_t *doc;
    int rc = krt_jread_file(path, 0, &doc, e);
    if (!rc) {
        rc = krt_jread_object("r.json", "", doc, request_fields, e);
        json_decref(doc);
    }
    unlink(path);
    return rc;
}

START_TEST(good_object_passes)
{
    struct krt_error e;
    krt_error_clear(&e);
    ck_assert_int_eq(read_and_check("{\"id\": \"a\", \"partitions\": [1], \"max_rate\": 2.5,"
                                    " \"count\": null, \"to\": {\"0\": 5}}",
                                    &e),
                     0);
}
END_TEST

START_TEST(unknown_key_names_its_path)
{
    struct krt_error e;
    ck_assert_int_eq(read_and_check("{\"id\": \"a\", \"partitons\": [1]}", &e), -1);
    ck_assert_int_eq(e.code, KRT_ERR_INPUT);
    ck_assert_str_eq(e.msg, "r.json: /partitons: unknown key");
}
END_TEST

START_TEST(wrong_types_are_not_coerced)
{
    struct krt_error e;
    ck_assert_int_eq(read_and_check("{\"id\": \"a\", \"max_rate\": \"100\"}", &e), -1);
    ck_assert_str_eq(e.msg, "r.json: /max_rate: expected a number from 0 to 1e+06");
    ck_assert_int_eq(read_and_check("{\"id\": \"a\", \"partitions\": 3}", &e), -1);
    ck_assert_str_eq(e.msg, "r.json: /partitions: expected an array");
    ck_assert_int_eq(read_and_check("{\"id\": \"a\", \"count\": 1.5}", &e), -1);
    ck_assert_str_eq(e.msg, "r.json: /count: expected an integer from 0 to 10");
    ck_assert_int_eq(read_and_check("{\"id\": \"a\", \"count\": 11}", &e), -1);
    ck_assert_int_eq(read_and_check("{\"id\": 7}", &e), -1);
    ck_assert_str_eq(e.msg, "r.json: /id: expected a string");
}
END_TEST

START_TEST(missing_required_key)
{
    struct krt_error e;
    ck_assert_int_eq(read_and_check("{\"partitions\": []}", &e), -1);
    ck_assert_str_eq(e.msg, "r.json: /id: missing (a string)");
}
END_TEST

START_TEST(syntax_errors_name_line_and_column)
{
    struct krt_error e;
    ck_assert_int_eq(read_and_check("{\n  \"id\": \"a\",\n  oops\n}", &e), -1);
    ck_assert_int_eq(e.code, KRT_ERR_INPUT);
    ck_assert_ptr_nonnull(strstr(e.msg, ":3:"));
    ck_assert_int_eq(read_and_check("{\"id\": \"a\", \"id\": \"b\"}", &e), -1);
    ck_assert_int_eq(read_and_check("[1, 2]", &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "expected a JSON object"));
}
END_TEST

START_TEST(nul_bytes_and_size_refused)
{
    struct krt_error e;
    char *text, *path = tmpfile_with("group,t,0,5\n\0junk", 18);
    size_t len;
    ck_assert_int_eq(krt_file_read(path, 0, &text, &len, &e), -1);
    ck_assert_int_eq(e.code, KRT_ERR_INPUT);
    ck_assert_ptr_nonnull(strstr(e.msg, "NUL byte at offset 12"));
    unlink(path);
    path = tmpfile_with("0123456789", 10);
    ck_assert_int_eq(krt_file_read(path, 9, &text, &len, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "larger than 9 bytes"));
    ck_assert_int_eq(krt_file_read(path, 10, &text, &len, &e), 0);
    ck_assert_uint_eq(len, 10);
    ck_assert_str_eq(text, "0123456789");
    free(text);
    unlink(path);
    ck_assert_int_eq(krt_file_read("/nonexistent/krt/x", 0, &text, &len, &e), -1);
    ck_assert_int_eq(e.code, KRT_ERR_IO);
    ck_assert_int_eq(krt_file_read("/tmp", 0, &text, &len, &e), -1);
    ck_assert_int_eq(e.code, KRT_ERR_IO);
}
END_TEST

START_TEST(large_file_grows_buffer)
{
    size_t n = 1 << 20;
    char *big = malloc(n);
    memset(big, 'x', n);
    char *path = tmpfile_with(big, n), *text;
    size_t len;
    struct krt_error e;
    ck_assert_int_eq(krt_file_read(path, 0, &text, &len, &e), 0);
    ck_assert_uint_eq(len, n);
    ck_assert_int_eq(memcmp(text, big, n), 0);
    free(text);
    free(big);
    unlink(path);
}
END_TEST

START_TEST(partitions_and_offsets_are_range_checked)
{
    struct krt_error e;
    int32_t p;
    int64_t o;
    json_t *v = json_integer(4294967296LL);
    ck_assert_int_eq(krt_jread_partition("f", "/p", v, &p, &e), -1);
    ck_assert_str_eq(e.msg, "f: /p: expected an integer from 0 to 2147483647");
    json_decref(v);
    v = json_integer(2147483647);
    ck_assert_int_eq(krt_jread_partition("f", "/p", v, &p, &e), 0);
    ck_assert_int_eq(p, 2147483647);
    json_decref(v);
    v = json_integer(-1);
    ck_assert_int_eq(krt_jread_offset("f", "/o", v, 1, &o, &e), -1);
    json_decref(v);
    v = json_null();
    ck_assert_int_eq(krt_jread_offset("f", "/o", v, 1, &o, &e), 0);
    ck_assert_int_eq(o, -1);
    ck_assert_int_eq(krt_jread_offset("f", "/o", v, 0, &o, &e), -1);
    v = json_string("100");
    ck_assert_int_eq(krt_jread_offset("f", "/o", v, 0, &o, &e), -1);
    json_decref(v);
    ck_assert_int_eq(krt_jread_partition_key("f", "/from/0", "0", &p, &e), 0);
    ck_assert_int_eq(p, 0);
    ck_assert_int_eq(krt_jread_partition_key("f", "/from/12", "12", &p, &e), 0);
    ck_assert_int_eq(p, 12);
    const char *bad[] = {"", "-1", "+1", "01", "1a", " 1", "4294967296", "2147483648", "x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        ck_assert_int_eq(krt_jread_partition_key("f", "/k", bad[i], &p, &e), -1);
}
END_TEST

START_TEST(enums_and_strings)
{
    struct krt_error e;
    const char *modes[] = {"all", "before-offset", "before-datetime", NULL};
    int m;
    const char *s;
    json_t *v = json_string("before-offset");
    ck_assert_int_eq(krt_jread_enum("f", "/mode", v, modes, &m, &e), 0);
    ck_assert_int_eq(m, 1);
    json_decref(v);
    v = json_string("everything");
    ck_assert_int_eq(krt_jread_enum("f", "/mode", v, modes, &m, &e), -1);
    ck_assert_str_eq(e.msg,
                     "f: /mode: expected one of 'all', 'before-offset', 'before-datetime'");
    json_decref(v);
    v = json_string("");
    ck_assert_int_eq(krt_jread_string("f", "/t", v, 1, &s, &e), -1);
    ck_assert_int_eq(krt_jread_string("f", "/t", v, 0, &s, &e), 0);
    json_decref(v);
    v = json_stringn("a\0b", 3);
    ck_assert_int_eq(krt_jread_string("f", "/t", v, 0, &s, &e), -1);
    json_decref(v);
}
END_TEST

START_TEST(json_pointers_escape)
{
    char b[64];
    ck_assert_str_eq(krt_jpath_key(b, sizeof(b), "", "a/b~c"), "/a~1b~0c");
    ck_assert_str_eq(krt_jpath_key(b, sizeof(b), "/", "x"), "/x");
    ck_assert_str_eq(krt_jpath_index(b, sizeof(b), "/groups", 3), "/groups/3");
    char small[4];
    krt_jpath_key(small, sizeof(small), "/longparent", "k");
    ck_assert_uint_lt(strlen(small), sizeof(small));
}
END_TEST

KRT_SUITE("jread", good_object_passes, unknown_key_names_its_path, wrong_types_are_not_coerced,
          missing_required_key, syntax_errors_name_line_and_column, nul_bytes_and_size_refused,
          large_file_grows_buffer, partitions_and_offsets_are_range_checked, enums_and_strings,
          json_pointers_escape)
