/* Unit tests of libcore/gapfill's offset sets and libcore/restore_groups'
 * translation, each against a brute-force model computed independently
 * (a bitmap; a linear search over the restored records). */
#include <stdlib.h>

#include "check_main.h"
#include "gapfill.h"
#include "restore_groups.h"

#define SPAN 200

START_TEST(ranges_match_a_bitmap)
{
    srand(7);
    for (int round = 0; round < 200; round++) {
        struct krt_ranges r = {0};
        struct krt_error e;
        char bits[SPAN] = {0};
        int ops = rand() % 30;
        for (int k = 0; k < ops; k++) {
            int64_t a = rand() % SPAN, len = rand() % 12;
            int64_t b = a + len > SPAN ? SPAN : a + len;
            ck_assert_int_eq(krt_ranges_add(&r, a, b, &e), 0);
            for (int64_t o = a; o < b; o++)
                bits[o] = 1;
        }
        int64_t count = 0;
        for (int o = 0; o < SPAN; o++) {
            ck_assert_msg(krt_ranges_has(&r, o) == (bits[o] == 1), "round %d offset %d", round, o);
            count += bits[o];
        }
        ck_assert_int_eq(krt_ranges_count(&r), count);
        /* sorted, disjoint, never adjacent (else they would have been merged) */
        for (size_t i = 0; i < r.n; i++) {
            ck_assert_int_lt(r.v[i][0], r.v[i][1]);
            if (i)
                ck_assert_int_lt(r.v[i - 1][1], r.v[i][0]);
        }
        int64_t from = rand() % SPAN, to = from + rand() % SPAN, want = 0;
        for (int64_t o = from; o < to && o < SPAN; o++)
            want += bits[o];
        ck_assert_int_eq(krt_ranges_count_in(&r, from, to), want);
        krt_ranges_free(&r);
    }
}
END_TEST

START_TEST(ranges_ignore_empty_and_merge_touching)
{
    struct krt_ranges r = {0};
    struct krt_error e;
    ck_assert_int_eq(krt_ranges_add(&r, 5, 5, &e), 0);
    ck_assert_uint_eq(r.n, 0);
    krt_ranges_add(&r, 10, 20, &e);
    krt_ranges_add(&r, 0, 10, &e);
    krt_ranges_add(&r, 20, 21, &e);
    ck_assert_uint_eq(r.n, 1);
    ck_assert_int_eq(r.v[0][0], 0);
    ck_assert_int_eq(r.v[0][1], 21);
    ck_assert(!krt_ranges_has(&r, 21));
    ck_assert(!krt_ranges_has(&r, -1));
    krt_ranges_free(&r);
}
END_TEST

/* The model: the first record in target order whose source offset >= C;
 * none: the target's end. */
static int64_t model(const int64_t *src, const int64_t *tgt, int n, int64_t c, int64_t end)
{
    for (int i = 0; i < n; i++)
        if (src[i] >= c)
            return tgt[i];
    return end;
}

START_TEST(translation_matches_a_linear_search)
{
    srand(11);
    for (int round = 0; round < 300; round++) {
        int n = rand() % 25, ncommits = 1 + rand() % 6;
        int64_t src[32], tgt[32], commits[8], s = rand() % 5, t = 100 + rand() % 5;
        for (int i = 0; i < n; i++) {
            /* gaps in the source (compaction, transaction markers), and in
             * some rounds records re-produced out of order at the end */
            s += 1 + rand() % 3;
            src[i] = (round % 3 == 0 && i > n / 2) ? rand() % 60 : s;
            tgt[i] = t;
            t += 1 + (rand() % 4 == 0); /* markers in the target too */
        }
        struct krt_xlate x = {0};
        struct krt_error e;
        for (int k = 0; k < ncommits; k++) {
            commits[k] = rand() % 70;
            ck_assert_int_eq(krt_xlate_add(&x, commits[k], (size_t)k, &e), 0);
        }
        krt_xlate_sort(&x);
        for (int i = 0; i < n; i++)
            krt_xlate_feed(&x, src[i], tgt[i]);
        krt_xlate_finish(&x, t + 1);
        for (size_t i = 0; i < x.n; i++) {
            int64_t want = model(src, tgt, n, commits[x.v[i].tag], t + 1);
            ck_assert_msg(x.v[i].target == want, "round %d commit %lld: got %lld want %lld", round,
                          (long long)commits[x.v[i].tag], (long long)x.v[i].target,
                          (long long)want);
        }
        krt_xlate_free(&x);
    }
}
END_TEST

KRT_SUITE("gapfill", ranges_match_a_bitmap, ranges_ignore_empty_and_merge_touching,
          translation_matches_a_linear_search)
