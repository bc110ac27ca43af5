/* Unit tests of libcore/offreport: commit classification and JSON shape. */
#include <string.h>

#include "check_main.h"
#include "offreport.h"

START_TEST(classify)
{
    ck_assert_int_eq(krt_commit_classify(-1, 0, 10), KRT_COMMIT_MISSING);
    ck_assert_int_eq(krt_commit_classify(5, 0, 10), KRT_COMMIT_OK);
    ck_assert_int_eq(krt_commit_classify(0, 0, 10), KRT_COMMIT_OK);
    ck_assert_int_eq(krt_commit_classify(10, 0, 10), KRT_COMMIT_OK);
    ck_assert_int_eq(krt_commit_classify(11, 0, 10), KRT_COMMIT_ABOVE_HIGH_WATERMARK);
    ck_assert_int_eq(krt_commit_classify(3, 4, 10), KRT_COMMIT_BELOW_LOG_START);
    ck_assert_int_eq(krt_commit_classify(3, -1, -1), KRT_COMMIT_UNKNOWN);
}
END_TEST

START_TEST(json_shape)
{
    struct krt_offrow rows[2] = {
        {.topic = "orders", .partition = 0, .leader = 2, .log_start = 4, .high = 10,
         .at_offset = 7, .committed = 12, .status = KRT_COMMIT_ABOVE_HIGH_WATERMARK},
        {.topic = "orders", .partition = 1, .leader = -1, .log_start = -1, .high = -1,
         .err = 5 /* LEADER_NOT_AVAILABLE */, .at_offset = -1, .committed = 3,
         .status = KRT_COMMIT_UNKNOWN},
    };
    struct krt_offreport r = {.group = "g1", .has_at = true, .at_ms = 1714568400000LL,
                              .rows = rows, .nrows = 2, .nflagged = 1, .nerrors = 1};
    json_t *doc = krt_offreport_json(&r);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "group")), "g1");
    ck_assert_str_eq(json_string_value(json_object_get(doc, "at")), "2024-05-01T13:00:00.000Z");
    json_t *parts = json_object_get(doc, "partitions");
    ck_assert_uint_eq(json_array_size(parts), 2);
    json_t *p0 = json_array_get(parts, 0);
    ck_assert_int_eq(json_integer_value(json_object_get(p0, "log_start_offset")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(p0, "high_watermark")), 10);
    ck_assert_int_eq(json_integer_value(json_object_get(p0, "records")), 6);
    ck_assert_int_eq(json_integer_value(json_object_get(p0, "at_offset")), 7);
    ck_assert_int_eq(json_integer_value(json_object_get(p0, "committed_offset")), 12);
    ck_assert(json_is_null(json_object_get(p0, "lag")));
    ck_assert_str_eq(json_string_value(json_object_get(p0, "status")), "above-high-watermark");
    json_t *p1 = json_array_get(parts, 1);
    ck_assert(json_is_null(json_object_get(p1, "leader")));
    ck_assert(json_is_null(json_object_get(p1, "high_watermark")));
    ck_assert_str_eq(json_string_value(json_object_get(p1, "error")), "LEADER_NOT_AVAILABLE");
    json_t *sum = json_object_get(doc, "summary");
    ck_assert_int_eq(json_integer_value(json_object_get(sum, "out_of_range")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(sum, "errors")), 1);
    json_decref(doc);

    /* without group and time, those keys are absent, not null */
    r.group = NULL;
    r.has_at = false;
    doc = krt_offreport_json(&r);
    p0 = json_array_get(json_object_get(doc, "partitions"), 0);
    ck_assert_ptr_null(json_object_get(p0, "committed_offset"));
    ck_assert_ptr_null(json_object_get(p0, "at_offset"));
    ck_assert(json_is_null(json_object_get(doc, "group")));
    json_decref(doc);
}
END_TEST

KRT_SUITE("offreport", classify, json_shape)
