/* Unit tests of libcore/audit: partition classification. */
#include "audit.h"
#include "check_main.h"

static const int32_t all3[] = {1, 2, 3};
static const int32_t only13[] = {1, 3};

START_TEST(healthy_and_under_replicated)
{
    int32_t r[] = {1, 2, 3}, isr[] = {1, 2, 3};
    ck_assert_uint_eq(krt_audit_classify(1, r, 3, isr, 3, all3, 3, 2), 0);
    int32_t isr2[] = {1, 3};
    ck_assert_uint_eq(krt_audit_classify(1, r, 3, isr2, 2, only13, 2, 2),
                      KRT_P_AT_MIN_ISR | KRT_P_UNDER_REPLICATED);
    ck_assert_uint_eq(krt_audit_classify(1, r, 3, isr2, 2, only13, 2, 1), KRT_P_UNDER_REPLICATED);
}
END_TEST

START_TEST(min_isr)
{
    int32_t r[] = {2, 3}, isr[] = {3};
    ck_assert_uint_eq(krt_audit_classify(3, r, 2, isr, 1, only13, 2, 2),
                      KRT_P_UNDER_MIN_ISR | KRT_P_UNDER_REPLICATED);
    /* a healthy RF=2/min ISR 2 partition is not "at min ISR": it is a risk, not a state */
    int32_t isr2[] = {2, 3};
    ck_assert_uint_eq(krt_audit_classify(2, r, 2, isr2, 2, all3, 3, 2), 0);
}
END_TEST

START_TEST(offline_and_lost)
{
    int32_t r1[] = {2}, isr1[] = {2};
    /* the only replica's broker is gone: offline and lost; the ISR keeps the
     * last member, as the controller does, so not under-replicated */
    ck_assert_uint_eq(krt_audit_classify(-1, r1, 1, isr1, 1, only13, 2, 1),
                      KRT_P_OFFLINE | KRT_P_LOST);
    /* offline, but a replica is alive: not lost */
    int32_t r2[] = {2, 3}, isr2[] = {2};
    ck_assert_uint_eq(krt_audit_classify(-1, r2, 2, isr2, 1, only13, 2, 1),
                      KRT_P_OFFLINE | KRT_P_UNDER_REPLICATED);
    /* a leader that is not registered counts as no leader */
    ck_assert(krt_audit_classify(2, r2, 2, isr2, 1, only13, 2, 1) & KRT_P_OFFLINE);
}
END_TEST

KRT_SUITE("audit", healthy_and_under_replicated, min_isr, offline_and_lost)
