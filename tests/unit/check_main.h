/* check_main.h - the runner every unit test file shares. */
#ifndef KRT_CHECK_MAIN_H
#define KRT_CHECK_MAIN_H

#include <check.h>
#include <stdlib.h>

/* Run a suite, print Check's summary, and return the process exit code. */
static inline int krt_check_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Build a one-case suite from a NULL-terminated list of tests. */
#define KRT_SUITE(name, ...)                                                                  \
    int main(void)                                                                            \
    {                                                                                         \
        Suite *s = suite_create(name);                                                        \
        TCase *tc = tcase_create("core");                                                     \
        const TTest *tests[] = {__VA_ARGS__, NULL};                                           \
        for (int i = 0; tests[i]; i++)                                                        \
            _tcase_add_test(tc, tests[i], 0, 0, 0, 1);                                        \
        suite_add_tcase(s, tc);                                                               \
        return krt_check_run(s);                                                              \
    }

#endif
