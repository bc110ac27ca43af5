/* Unit tests of libcore/meta: topic selections and internal topics. */
#include <string.h>

#include "check_main.h"
#include "meta.h"

START_TEST(selection_forms)
{
    struct krt_selection s = {0};
    struct krt_error err;
    ck_assert_int_eq(krt_selection_add(&s, "orders", &err), 0);
    ck_assert_int_eq(krt_selection_add(&s, "pay.v1:0,2,5-7", &err), 0);
    ck_assert_int_eq(s.n, 2);
    ck_assert_ptr_null(s.v[0].parts);
    ck_assert_str_eq(s.v[1].topic, "pay.v1");
    ck_assert_int_eq(s.v[1].nparts, 5);
    int32_t want[] = {0, 2, 5, 6, 7};
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(s.v[1].parts[i], want[i]);
    krt_selection_free(&s);
}
END_TEST

START_TEST(selection_errors)
{
    const char *bad[] = {":1", "t:", "t:1,", "t:a", "t:-1", "t:1-", "t:3-1", "t:1,,2"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        struct krt_selection s = {0};
        struct krt_error err;
        ck_assert_msg(krt_selection_add(&s, bad[i], &err) == -1, "accepted '%s'", bad[i]);
        ck_assert_int_eq(err.code, KRT_ERR_USAGE);
        ck_assert_int_eq(s.n, 0);
    }
    struct krt_selection s = {0};
    struct krt_error err;
    krt_selection_add(&s, "t:3-1", &err);
    ck_assert_ptr_nonnull(strstr(err.msg, "inverted"));
    /* found by fuzz_topic: ranges were bounded one by one, so 400 of them in
     * a 4 KB argument asked for 1.6 GB; now a million partitions in all */
    ck_assert_int_eq(krt_selection_add(&s, "t:0-999999", &err), 0);
    ck_assert_int_eq(s.v[0].nparts, 1000000);
    ck_assert_int_eq(krt_selection_add(&s, "t:0-500000,0-500000", &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "too many partitions"));
    ck_assert_int_eq(krt_selection_add(&s, "t:0-1000000", &err), -1);
    ck_assert_int_eq(s.n, 1);
    krt_selection_free(&s);
}
END_TEST

START_TEST(resolve_against_metadata)
{
    struct krt_part p[3] = {{.id = 0}, {.id = 1}, {.id = 2}};
    struct krt_topic t[2] = {{.name = "__consumer_offsets", .parts = p, .nparts = 1},
                             {.name = "orders", .parts = p, .nparts = 3}};
    struct krt_metadata md = {.topics = t, .ntopics = 2};
    struct krt_selection s = {0};
    struct krt_tplist l = {0};
    struct krt_error err;
    ck_assert_int_eq(krt_selection_resolve(&s, &md, &l, &err), 0);
    ck_assert_uint_eq(l.n, 3); /* internal topic left out */
    krt_tplist_free(&l);
    krt_selection_add(&s, "orders:2", &err);
    krt_selection_add(&s, "orders:0,2", &err);
    ck_assert_int_eq(krt_selection_resolve(&s, &md, &l, &err), 0);
    ck_assert_uint_eq(l.n, 2);
    ck_assert_int_eq(l.v[0].partition, 0);
    ck_assert_int_eq(l.v[1].partition, 2);
    krt_tplist_free(&l);
    krt_selection_free(&s);
    krt_selection_add(&s, "orders:3", &err);
    ck_assert_int_eq(krt_selection_resolve(&s, &md, &l, &err), -1);
    ck_assert_str_eq(err.msg, "topic 'orders' has no partition 3 (it has 3)");
    krt_tplist_free(&l);
    krt_selection_free(&s);
    krt_selection_add(&s, "nope", &err);
    ck_assert_int_eq(krt_selection_resolve(&s, &md, &l, &err), -1);
    ck_assert_str_eq(err.msg, "unknown topic 'nope'");
    ck_assert_int_eq(err.code, KRT_ERR_INPUT);
    krt_tplist_free(&l);
    krt_selection_free(&s);
}
END_TEST

START_TEST(internal_topics)
{
    ck_assert(krt_topic_is_internal("__consumer_offsets"));
    ck_assert(krt_topic_is_internal("__transaction_state"));
    ck_assert(krt_topic_is_internal("_schemas"));
    ck_assert(!krt_topic_is_internal("_orders"));
    ck_assert(!krt_topic_is_internal("orders"));
}
END_TEST

KRT_SUITE("meta", selection_forms, selection_errors, resolve_against_metadata, internal_topics)
