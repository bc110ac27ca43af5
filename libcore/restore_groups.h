/* restore_groups.h - krt-restore --groups: translate the consumer-group
 * offsets a backup recorded at its cut onto the restored topic, and commit
 * them through krt-rewind's apply sequence (active groups refused, undo file
 * written and synced first, dry run unless --execute).
 *
 * A group committed C on source partition p: its next record was the first
 * record at an offset >= C. On the target, that record is the first restored
 * record (in target order) whose provenance header krt.source.offset is
 * >= C; the translated commit is that record's target offset. A C that
 * points into a gap of the backup or at a compacted-away record thus maps
 * to the next restored record. A C past every restored record (or on a
 * partition with none) maps to the target's end, its high watermark when the
 * translation reads it. The provenance headers, not any side file, are the map: they
 * are in the topic with the records, so they survive a kill -9 of the
 * restore and are authoritative. */
#ifndef KRT_RESTORE_GROUPS_H
#define KRT_RESTORE_GROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backup.h"
#include "error.h"
#include "opts.h"
#include "plan.h"
#include "rewind.h"

/** @brief The commits of one partition being translated. */
struct krt_xlate {
    struct krt_xlate_entry {
        int64_t source; /**< committed offset on the source */
        int64_t target; /**< translated offset; -1 until resolved */
        size_t tag;     /**< the caller's index (e.g. the group) */
    } *v;              /**< sorted by source after krt_xlate_add's last call and
                        *   krt_xlate_sort */
    size_t n, cap;
    size_t next;       /**< entries below are resolved */
};

/** @brief Add a commit to translate. @returns 0, or -1 when out of memory. */
int krt_xlate_add(struct krt_xlate *x, int64_t source, size_t tag, struct krt_error *err);

/** @brief Sort the commits before the first krt_xlate_feed. */
void krt_xlate_sort(struct krt_xlate *x);

/** @brief One restored record, in target order: it came from @p source and
 *  sits at @p target. */
void krt_xlate_feed(struct krt_xlate *x, int64_t source, int64_t target);

/** @brief Resolve what no restored record answered: the target's @p end. */
void krt_xlate_finish(struct krt_xlate *x, int64_t end);

/** @brief Free a translation. */
void krt_xlate_free(struct krt_xlate *x);

/** @brief What to translate. */
struct krt_rgroups_opts {
    const struct krt_backup_manifest *m; /**< the backup's manifest, read by the caller */
    const char *source;         /**< the backed-up topic */
    const char *target;         /**< the restored topic */
    const char *const *groups;  /**< NULL/0: every group of the manifest with
                                 *   commits on the source topic */
    int ngroups;
    const char *undo_path;      /**< NULL: krt_plan_path in $KRT_UNDO_DIR */
    int wait_s;                 /**< --wait-empty */
};

/** @brief Check the named groups against the manifest, before any network
 *  call: a group the backup holds no commit of on the source topic is bad
 *  input (KRT_ERR_INPUT) naming it. */
int krt_rgroups_check(const struct krt_rgroups_opts *o, struct krt_error *err);

/** @brief Read the target's provenance headers and translate every
 *  selected group's commits into plan-file entries (group, target topic,
 *  partition, offset, the source commit's metadata). */
int krt_rgroups_translate(const struct krt_common *c, const struct krt_rgroups_opts *o,
                          struct krt_planfile *out, struct krt_error *err);

/** @brief Translate, build krt-rewind's plan from the translation (a plan
 *  file applied exactly, new groups allowed), and with c->execute run
 *  krt_rewind_execute. @p plan receives the plan shown or applied (the
 *  caller prints and frees it); @p started: commits were sent. */
int krt_rgroups_run(const struct krt_common *c, struct krt_conn *admin,
                    const struct krt_rgroups_opts *o, struct krt_rewind_plan *plan,
                    bool *started, struct krt_error *err);

/** @brief Parse the value of --groups: "G1,G2,..." (split in place; @p s
 *  must stay alive), or NULL for every backed-up group (@p n = 0).
 *  An empty name is a usage error. */
int krt_rgroups_parse(char *s, const char ***names, int *n, struct krt_error *err);

/** @brief The --groups step of krt-restore, after the restore or the gap
 *  fill: an admin connection, then krt_rgroups_run. */
int krt_rgroups_step(const struct krt_common *c, const struct krt_rgroups_opts *o,
                     struct krt_rewind_plan *plan, bool *started, struct krt_error *err);

#endif
