/* apply.h - the one apply sequence of every destructive tool:
 *
 *   check -> confirm -> re-read the state -> check again -> write the undo
 *   or plan (file and directory synced) -> apply
 *
 * A tool fills a table of steps over its own state; the sequence is here
 * once, so a wait (--wait-empty) or a prompt is always followed by a fresh
 * read, and nothing is changed before the undo or plan is on disk. The tool
 * then prints the outcome of every partition, also after a failure of the
 * apply step (krt_apply_run says whether it started), and exits with the
 * code of its error. */
#ifndef KRT_APPLY_H
#define KRT_APPLY_H

#include <stdbool.h>

#include "error.h"

/** @brief The steps of one destructive operation, each over @p st. */
struct krt_apply_ops {
    /** Refuse (KRT_ERR_REFUSED) what a guard forbids; with @p wait_s > 0 it
     *  may wait that long for the condition to clear. NULL: no guard. */
    int (*check)(void *st, int wait_s, struct krt_error *err);
    /** Ask the operator; NULL or not on a terminal: no prompt. */
    int (*confirm)(void *st, struct krt_error *err);
    /** Re-read the cluster state and rebuild the plan from it. */
    int (*refresh)(void *st, struct krt_error *err);
    /** Write the undo or plan file(s), synced with their directory. */
    int (*save)(void *st, struct krt_error *err);
    /** Make the change; per-partition outcomes stay in @p st. */
    int (*apply)(void *st, struct krt_error *err);
};

/** @brief Run the sequence. @p wait_s is given to the first check only (the
 *  second, after the refresh, never waits). @p started is set once the apply
 *  step was entered: from then on the outcome must be printed even on error.
 *  The test hook KRT_TEST_PAUSE_FILE=F makes the sequence, after the
 *  confirmation, create F.waiting and wait (up to 120 s) until F exists, as
 *  an operator slow to type would.
 *  @returns 0, or -1 with the error of the step that failed. */
int krt_apply_run(const struct krt_apply_ops *ops, void *st, int wait_s, bool *started,
                  struct krt_error *err);

/** @brief Test hook, compiled only with -Dtest_hooks=true (a no-op
 *  otherwise): when the environment variable @p var names a file F, append
 *  this process's id as a line to F.waiting, then wait (up to 120 s) until F
 *  exists. Lets a test act at a chosen point (commit while the operator
 *  types, release several processes at once). */
void krt_apply_test_pause(const char *var);

#endif
