/* truncate.h - clearing topic data: a plan (DeleteRecords per partition, or
 * delete-and-recreate for compacted topics), guards, drift checks, execution. */
#ifndef KRT_TRUNCATE_H
#define KRT_TRUNCATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "conn.h"
#include "meta.h"
#include "props.h"
#include "protect.h"

enum krt_trunc_mode {
    KRT_TRUNC_ALL,         /**< up to the high watermark */
    KRT_TRUNC_BEFORE_OFFSET,
    KRT_TRUNC_BEFORE_TIME
};

struct krt_trunc_part {
    int32_t partition;
    int64_t log_start, high;
    int64_t new_log_start; /**< planned */
    bool clamped;          /**< the requested offset was past the high watermark */
    int64_t result;        /**< log start after execution, -1 before */
    int err;
};

struct krt_trunc_topic {
    char *name;
    bool recreate;
    char *cleanup_policy;
    int nparts_total; /**< partitions of the topic (drift check) */
    int rf;
    struct krt_props overrides; /**< topic-level configs, copied on recreate */
    struct krt_props after;     /**< topic-level configs after the recreate */
    struct krt_trunc_part *parts;
    int nparts;
    bool missing;    /**< --plan: a topic to recreate that no longer exists */
    bool deleted;    /**< execution: the DeleteTopics of a recreate succeeded */
    char *plan_path; /**< execution: this topic's plan, written before its delete */
};

struct krt_trunc_plan {
    enum krt_trunc_mode mode;
    int64_t value; /**< offset or timestamp (ms) */
    char spec[160];
    struct krt_trunc_topic *topics;
    int ntopics;
    bool executed;
    char **notes; /**< drift notes (log start already past the plan, ...) */
    int nnotes;
};

/** @brief Build a plan for the selected topics. Internal and protected
 *  topics are refused (KRT_ERR_REFUSED); a topic whose cleanup.policy lacks
 *  `delete` (the broker rejects DeleteRecords there) is refused unless
 *  @p recreate, which needs whole topics and mode ALL. */
int krt_trunc_plan_build(struct krt_conn *conn, const struct krt_selection *sel,
                         enum krt_trunc_mode mode, int64_t value, bool recreate,
                         const struct krt_protect *protect, struct krt_trunc_plan *out,
                         struct krt_error *err);

/** @brief The plan as JSON (the --plan-out / --plan format). */
json_t *krt_trunc_plan_json(const struct krt_trunc_plan *p);

/** @brief Read a plan written by --plan-out. */
int krt_trunc_plan_read(const char *path, struct krt_trunc_plan *out, struct krt_error *err);

/** @brief Refuse (KRT_ERR_REFUSED, nothing changed) when the cluster drifted
 *  from the plan: a topic gone (except a topic to recreate, which a failed
 *  recreate left deleted: it is created from the plan) or with another
 *  partition count, a high
 *  watermark below the planned log start (truncated or recreated since), a
 *  topic that became internal or protected. A log start already past the
 *  planned one is fine and noted. */
int krt_trunc_check_drift(struct krt_conn *conn, struct krt_trunc_plan *p,
                          const struct krt_protect *protect, struct krt_error *err);

/** @brief Execute: one DeleteRecords call for every partition (batched per
 *  broker by librdkafka), then each topic to recreate (delete, create, read
 *  its configs back), stopping at the first failure. Every partition's
 *  outcome is left in the plan (@p p->executed is set). A failure after
 *  something was changed is KRT_ERR_PARTIAL; a topic deleted but not
 *  recreated is named with its plan file and the command that finishes the
 *  job. The test hook KRT_TEST_FAIL_CREATE=TOPIC fails the create of TOPIC
 *  without sending it. */
int krt_trunc_execute(struct krt_conn *conn, struct krt_trunc_plan *p, struct krt_error *err);

/** @brief The plan, or the report after execution, as a table. */
void krt_trunc_plan_print(const struct krt_trunc_plan *p, FILE *f);

void krt_trunc_plan_free(struct krt_trunc_plan *p);

struct krt_rewind_plan;

/** @brief The plan that moves @p groups to the new log start of every
 *  partition of the truncation (a group already past it keeps its position;
 *  a recreated topic starts again at 0). Built before anything is deleted,
 *  so its current offsets, and the undo file made from them, are the ones
 *  from before. */
int krt_trunc_groups_plan(struct krt_conn *conn, const struct krt_trunc_plan *p,
                          const char *const *groups, int ngroups, struct krt_rewind_plan *out,
                          struct krt_error *err);

/** @brief One run of krt-truncate: the inputs, the plan and the plan of the
 *  groups that follow (both rebuilt after the confirmation). */
struct krt_trunc_job {
    struct krt_conn *conn;
    const struct krt_selection *sel;
    enum krt_trunc_mode mode;
    int64_t value;
    bool recreate;
    const struct krt_protect *protect;
    bool from_plan;       /**< @p plan was read with krt_trunc_plan_read */
    const char *plan_out; /**< --plan-out */
    const char *const *groups;
    int ngroups;
    const char *undo_path; /**< undo file of the groups (NULL: krt_plan_path) */
    bool ask;              /**< the operator types each topic name on the terminal */
    struct krt_trunc_plan plan;
    struct krt_rewind_plan *gplan; /**< the groups' plan (caller-owned, may be empty) */
};

/** @brief Build the plan (or check a --plan for drift) and the groups' plan:
 *  what a dry run shows. */
int krt_trunc_prepare(struct krt_trunc_job *j, struct krt_error *err);

/** @brief The apply sequence (apply.h) for a truncation: refuse active
 *  groups, ask, re-read the cluster and rebuild both plans, refuse again,
 *  write --plan-out, the plan of every topic to recreate and the groups'
 *  undo file (each synced with its directory), then delete and move the
 *  groups. @p started: something may have changed (print the outcome). */
int krt_trunc_run(struct krt_trunc_job *j, bool *started, struct krt_error *err);

#endif
