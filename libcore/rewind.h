/* rewind.h - consumer-group offset reset plans: build (every spec of
 * kafka-consumer-groups --reset-offsets, plus repair), show, export, guard
 * against active groups, write the undo file, apply in one request per group. */
#ifndef KRT_REWIND_H
#define KRT_REWIND_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "conn.h"
#include "meta.h"
#include "group.h"
#include "offsets.h"
#include "plan.h"

enum krt_spec_kind {
    KRT_SPEC_NONE = 0,
    KRT_SPEC_EARLIEST, /**< log start offset */
    KRT_SPEC_LATEST,   /**< high watermark */
    KRT_SPEC_CURRENT,  /**< committed offset (high watermark when none) */
    KRT_SPEC_OFFSET,   /**< an absolute offset, clamped into range */
    KRT_SPEC_SHIFT,    /**< committed offset + n, clamped into range */
    KRT_SPEC_DATETIME, /**< first offset at or after a time (--to-datetime, --by-duration) */
    KRT_SPEC_FILE,     /**< offsets from a plan file, exactly as written */
    KRT_SPEC_REPAIR    /**< only out-of-range commits, moved back into range */
};

enum krt_repair_mode {
    KRT_REPAIR_NEAREST = 0, /**< below log start -> log start; above high watermark -> high */
    KRT_REPAIR_EARLIEST,
    KRT_REPAIR_LATEST
};

/** @brief What to reset to. */
struct krt_rewind_spec {
    enum krt_spec_kind kind;
    int64_t value; /**< offset, shift, or timestamp (ms) */
    bool ago;       /**< --by-duration: value is computed as now - ago_ms each
                     *   time a plan is built (after any wait or prompt) */
    int64_t ago_ms;
    enum krt_repair_mode repair;
    const struct krt_planfile *file;
    char text[160]; /**< the spec as the operator wrote it, for the report */
};

/** @brief One partition of a group's plan. */
struct krt_plan_row {
    char *topic;
    int32_t partition;
    int64_t current;  /**< committed offset now; -1 when none */
    char *metadata;   /**< committed metadata now */
    int64_t requested; /**< the offset the spec asked for, before clamping */
    int64_t target;   /**< the offset to commit; -1: delete the commit */
    char *target_metadata;
    int64_t log_start, high;
    int err;          /**< watermarks could not be read */
    bool clamped;     /**< target was moved into [log start, high] */
    int64_t landed_ts; /**< timestamp of the record at target, -1 unknown */
    const char *note;  /**< static text, or NULL */
    char *warning;     /**< e.g. out-of-order timestamps around the target */
    int result_err;    /**< after krt_rewind_apply: this partition's error, 0 ok */
};

struct krt_group_plan {
    char *group;
    struct krt_group_desc desc;
    struct krt_plan_row *rows;
    size_t nrows;
    size_t untouched; /**< --repair: partitions in range, left alone */
};

struct krt_rewind_plan {
    struct krt_rewind_spec spec;
    struct krt_group_plan *groups;
    int ngroups;
    size_t nwarnings;
    bool executed;
    char *undo_path;
};

/** @brief The scope of a rewind. */
struct krt_rewind_scope {
    const struct krt_selection *topics; /**< --topic (may be empty) */
    bool all_topics;                    /**< --all-topics */
    bool allow_new_group;               /**< seeding a group with no offsets */
};

/** @brief Build the plan of every group in @p groups. An unknown group is an
 *  error unless new groups are allowed; unknown topics and partitions are
 *  errors naming them; --shift-by on a partition with no commit is an error. */
int krt_rewind_plan_build(struct krt_conn *conn, const char *const *groups, int ngroups,
                          const struct krt_rewind_scope *scope,
                          const struct krt_rewind_spec *spec, struct krt_rewind_plan *out,
                          struct krt_error *err);

/** @brief Free a plan. */
void krt_rewind_plan_free(struct krt_rewind_plan *p);

/** @brief The plan as JSON; also the --export and --from-file format. */
json_t *krt_rewind_plan_json(const struct krt_rewind_plan *p);

/** @brief The plan as a table, with its warnings. */
void krt_rewind_plan_print(const struct krt_rewind_plan *p, FILE *f);

/** @brief Write the plan as JSON to @p path (--export). */
int krt_rewind_plan_export(const struct krt_rewind_plan *p, const char *path,
                           struct krt_error *err);

/** @brief Refuse (KRT_ERR_REFUSED) when a group of the plan has active
 *  members, naming them; with @p wait_s > 0, wait up to that many seconds
 *  for it to become empty first, saying on stderr who is still in it. */
int krt_rewind_guard(struct krt_conn *conn, const struct krt_rewind_plan *p, int wait_s,
                     struct krt_error *err);

/** @brief Write the undo file (the committed offsets before the change, in
 *  the plan format) to @p path, or, when @p path is NULL, to a new file
 *  named after the first group (krt_plan_path: the name encoded, never a
 *  path component) in $KRT_UNDO_DIR (default: the current directory).
 *  The file and its directory are synced; an existing file is never replaced. */
int krt_rewind_write_undo(struct krt_rewind_plan *p, const char *path, struct krt_error *err);

/** @brief Commit the plan: one AlterConsumerGroupOffsets per group (and one
 *  OffsetDelete for undo entries that remove a commit). */
int krt_rewind_apply(struct krt_conn *conn, struct krt_rewind_plan *p, struct krt_error *err);

/** @brief One --execute of krt-rewind: the inputs, and the plan that is
 *  rebuilt after the wait. */
struct krt_rewind_job {
    struct krt_conn *conn;
    const char *const *groups;
    int ngroups;
    const struct krt_rewind_scope *scope;
    const struct krt_rewind_spec *spec;
    const char *undo_path;   /**< NULL: krt_plan_path in $KRT_UNDO_DIR */
    const char *export_path; /**< --export, written from the fresh plan */
    struct krt_rewind_plan plan; /**< the plan shown, then the plan applied */
};

/** @brief The apply sequence (apply.h) for a rewind: refuse active groups
 *  (waiting up to @p wait_s for them to empty), re-read the committed offsets
 *  and watermarks and rebuild the plan from them, refuse again if a member
 *  came back, export the plan, write the undo file from that fresh state,
 *  then commit. @p started: the commit was sent (print the outcome). */
int krt_rewind_execute(struct krt_rewind_job *job, int wait_s, bool *started,
                       struct krt_error *err);

#endif
