/* apply.c - see apply.h */
#define _POSIX_C_SOURCE 200809L
#include "apply.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conn.h"
#include "timespec.h"

/* KRT_TEST_PAUSE_FILE: lets a test commit offsets "while the operator types".
 * Compiled only with -Dtest_hooks=true: it creates F.waiting at any path and
 * stalls up to 120 s. */
static void test_pause(void)
{
#ifdef KRT_TEST_HOOKS
    const char *f = getenv("KRT_TEST_PAUSE_FILE");
    if (!f || !*f)
        return;
    char ready[4096];
    snprintf(ready, sizeof(ready), "%s.waiting", f);
    int fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0)
        close(fd);
    for (int i = 0; i < 1200 && access(f, F_OK) != 0; i++)
        krt_sleep_ms(100);
#endif
}

int krt_apply_run(const struct krt_apply_ops *ops, void *st, int wait_s, bool *started,
                  struct krt_error *err)
{
    *started = false;
    if (ops->check && ops->check(st, wait_s, err))
        return -1;
    if (ops->confirm && ops->confirm(st, err))
        return -1;
    test_pause();
    if (krt_interrupted())
        return krt_error_set(err, KRT_ERR_INTERRUPTED, "interrupted: nothing changed");
    /* a wait or a prompt is always followed by a fresh read */
    if (ops->refresh(st, err))
        return -1;
    if (ops->check && ops->check(st, 0, err))
        return -1;
    if (ops->save && ops->save(st, err))
        return -1;
    if (krt_interrupted())
        return krt_error_set(err, KRT_ERR_INTERRUPTED, "interrupted: nothing changed");
    *started = true;
    return ops->apply(st, err);
}
