/* offreport.h - the partition offsets report behind krt-offsets: log start,
 * high watermark, leader, the offset for a time, a group's committed offsets
 * and lag, with out-of-range commits flagged. */
#ifndef KRT_OFFREPORT_H
#define KRT_OFFREPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "conn.h"
#include "meta.h"

/** @brief Where a committed offset stands against the partition's log. */
enum krt_commit_status {
    KRT_COMMIT_NONE = 0,        /**< no group asked for */
    KRT_COMMIT_OK,              /**< log start <= committed <= high watermark */
    KRT_COMMIT_MISSING,         /**< the group has no offset for the partition */
    KRT_COMMIT_BELOW_LOG_START, /**< records were deleted before the group read them */
    KRT_COMMIT_ABOVE_HIGH_WATERMARK, /**< truncated or recreated topic */
    KRT_COMMIT_UNKNOWN          /**< watermarks could not be read */
};

/** @brief Classify a committed offset against [log_start, high]. */
enum krt_commit_status krt_commit_classify(int64_t committed, int64_t log_start, int64_t high);

/** @brief Stable name of a status, as used in JSON and tables. */
const char *krt_commit_status_name(enum krt_commit_status s);

struct krt_offrow {
    char *topic;
    int32_t partition;
    int32_t leader;
    int64_t log_start; /**< -1 when unknown */
    int64_t high;      /**< -1 when unknown */
    int err;           /**< rd_kafka_resp_err_t of the look-up, 0 when fine */
    int64_t at_offset; /**< offset for --at; -1: no record at or after */
    int at_err;
    int64_t committed; /**< -1 when none */
    char *commit_metadata;
    enum krt_commit_status status;
};

struct krt_offreport {
    const char *group; /**< NULL when no group */
    bool has_at;
    int64_t at_ms;
    struct krt_offrow *rows;
    size_t nrows;
    size_t nflagged; /**< committed offsets outside [log start, high] */
    size_t nerrors;  /**< partitions whose offsets could not be read */
};

/** @brief Build the report for the selected partitions. With a @p group
 *  and an empty selection, the partitions are those the group has
 *  committed offsets for; an unknown group is an error naming it. */
int krt_offreport_build(struct krt_conn *conn, const struct krt_selection *sel,
                        const char *group, bool has_at, int64_t at_ms,
                        struct krt_offreport *out, struct krt_error *err);

/** @brief The report as JSON (see docs/krt-offsets.md for the schema). */
json_t *krt_offreport_json(const struct krt_offreport *r);

/** @brief The report as an aligned table. */
void krt_offreport_print(const struct krt_offreport *r, FILE *f);

/** @brief Free the report's rows. */
void krt_offreport_free(struct krt_offreport *r);

#endif
