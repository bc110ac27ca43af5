/* gapfill.h - krt-restore --fill-gaps: after an unclean election or a lost
 * partition, compare a backup with what survives in the topic and re-produce
 * only the records that are gone, each with the provenance headers
 * (krt.restore.id, krt.source.topic, krt.source.partition, krt.source.offset).
 *
 * Per partition, two streams are walked in offset order, one record at a
 * time (memory bounded whatever the topic size): the backup's records and the
 * topic's records from its log start. A backed-up record is "missing" when
 * the topic has no record at its offset, or a record whose key, value,
 * headers or timestamp differ (after an unclean election the new leader
 * reuses the truncated offsets for other records). A missing record that the
 * destination topic already holds a re-produced copy of (recognised by its
 * provenance headers, whoever wrote it) is not produced again: a second run
 * adds nothing, also after a kill -9 of the first.
 *
 * Only ranges are kept in memory (struct krt_ranges), never records. */
#ifndef KRT_GAPFILL_H
#define KRT_GAPFILL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "opts.h"

/** @brief A set of offsets as sorted, disjoint, non-adjacent ranges [from, to). */
struct krt_ranges {
    int64_t (*v)[2];
    size_t n, cap;
};

/** @brief Add [from, to) (merged with what it touches).
 *  @returns 0, or -1 (KRT_ERR_INTERNAL) when out of memory. */
int krt_ranges_add(struct krt_ranges *r, int64_t from, int64_t to, struct krt_error *err);

/** @brief True when @p off is in the set. */
bool krt_ranges_has(const struct krt_ranges *r, int64_t off);

/** @brief The number of offsets in the set. */
int64_t krt_ranges_count(const struct krt_ranges *r);

/** @brief The number of offsets of the set inside [from, to). */
int64_t krt_ranges_count_in(const struct krt_ranges *r, int64_t from, int64_t to);

/** @brief Free the set's storage. */
void krt_ranges_free(struct krt_ranges *r);

/** @brief What a gap fill asks for. */
struct krt_gapfill_opts {
    const char *dir;        /**< the backup directory */
    const char *topic;      /**< the backed-up topic (the one that lost records) */
    const char *to;         /**< write here instead (a side topic); NULL: the topic */
    const char *restore_id; /**< the krt.restore.id header of the records written */
    const char *baseline;   /**< krt-audit --save-baseline file, or NULL */
    const char *plan_path;  /**< where --execute writes its plan; NULL: krt_plan_path */
};

/** @brief One partition's findings and what was done. */
struct krt_gapfill_part {
    int32_t partition;
    int64_t log_start, high;  /**< of the topic, read at the comparison */
    int64_t backup_from;      /**< first offset the backup holds (-1: none) */
    int64_t backup_to;        /**< the backup's position (end of what it covers) */
    int64_t baseline_high;    /**< the baseline's high watermark, -1 without one */
    int64_t lost_from, lost_to; /**< the lost range [from, to); from == to: none */
    int64_t compared;         /**< backed-up records compared with the topic */
    int64_t missing;          /**< backed-up records not (or not equal) in the topic */
    int64_t already;          /**< of those, re-produced before (provenance found) */
    int64_t to_restore;       /**< missing - already */
    int64_t restored;         /**< written by this run (committed transactions) */
    int64_t dest_scanned;     /**< the comparison read the destination up to here */
    int64_t lost_for_good;    /**< offsets in the lost range no backup holds */
    int64_t below_log_start;  /**< backed-up records under the log start: not compared */
    int64_t compacted;        /**< compacted away in a compacted topic: not missing */
    struct krt_ranges todo;   /**< the offsets to re-produce */
    int err;                  /**< per-partition failure (rd_kafka_resp_err_t or -1) */
    char *errmsg;
};

/** @brief The report of a gap fill. */
struct krt_gapfill_report {
    char *topic, *target, *restore_id;
    struct krt_gapfill_part *v;
    int n;
    bool executed;
    char *plan_path;
    int64_t missing, already, to_restore, restored, lost_for_good, compacted;
};

/** @brief Read local inputs (manifest, baseline) first, then compare every
 *  backed-up partition of o->topic with the cluster; with c->execute, run
 *  the apply sequence (refuse internal topics, re-read, write the plan
 *  synced, produce). @p started: records may have been produced.
 *  @returns 0, or -1 (a partial failure is KRT_ERR_PARTIAL, the report
 *  says which partitions). */
int krt_gapfill_run(const struct krt_common *c, const struct krt_gapfill_opts *o,
                    struct krt_gapfill_report *rep, bool *started, struct krt_error *err);

/** @brief Print a report for a person. */
void krt_gapfill_print(const struct krt_gapfill_report *rep, FILE *f);

/** @brief The report as JSON (a new reference). */
json_t *krt_gapfill_json(const struct krt_gapfill_report *rep);

/** @brief Free a report. */
void krt_gapfill_report_free(struct krt_gapfill_report *rep);

struct krt_rgroups_opts;

/** @brief krt-restore --fill-gaps from its options to its exit code: the
 *  gap fill, then (with @p groups, whose manifest the caller read) the
 *  group translation onto the destination; the report on stdout (a table,
 *  or one JSON document with the groups' plan under "groups"), errors on
 *  stderr. @returns the exit code. */
int krt_gapfill_cli(const struct krt_common *c, const struct krt_gapfill_opts *o,
                    struct krt_rgroups_opts *groups);

#endif
