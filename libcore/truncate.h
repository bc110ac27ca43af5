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

/** @brief Protected topic patterns: exact names and `prefix*`. */
struct krt_protect {
    char **v;
    int n;
};

/** @brief Read a protect file: one name or `prefix*` per line, `#` comments. */
int krt_protect_load(const char *path, struct krt_protect *p, struct krt_error *err);

/** @brief The pattern that protects @p topic, or NULL. */
const char *krt_protect_match(const struct krt_protect *p, const char *topic);

void krt_protect_free(struct krt_protect *p);

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
 *  from the plan: a topic gone or with another partition count, a high
 *  watermark below the planned log start (truncated or recreated since), a
 *  topic that became internal or protected. A log start already past the
 *  planned one is fine and noted. */
int krt_trunc_check_drift(struct krt_conn *conn, struct krt_trunc_plan *p,
                          const struct krt_protect *protect, struct krt_error *err);

/** @brief Execute: one DeleteRecords call for every partition (batched per
 *  broker by librdkafka), then each topic to recreate. */
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

#endif
