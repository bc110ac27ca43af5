/* apply.c - see apply.h */
#define _POSIX_C_SOURCE 200809L
#include "apply.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conn.h"
#include "timespec.h"

void krt_apply_test_pause(const char *var)
{
#ifdef KRT_TEST_HOOKS
    const char *f = getenv(var);
    if (!f || !*f)
        return;
    /* F.waiting gets a line per process that waits: a test that starts
     * several counts them */
    char ready[4096];
    snprintf(ready, sizeof(ready), "%s.waiting", f);
    int fd = open(ready, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
        char line[32];
        int n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
        if (write(fd, line, (size_t)n) != n) {
            /* the test then waits for a line that never comes, and says so */
        }
        close(fd);
    }
    for (int i = 0; i < 1200 && access(f, F_OK) != 0; i++)
        krt_sleep_ms(100);
#else
    (void)var;
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
#ifdef KRT_TEST_HOOKS
    krt_apply_test_pause("KRT_TEST_PAUSE_FILE");
#endif
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
