/* resend.h - replay selected events of a topic onto a resend topic for a
 * consuming team: a request (resend_request.h) is checked against the
 * cluster and its ranges resolved and registered, then the copy engine
 * (copy.h) copies exactly once; the report is JSON or text. */
#ifndef KRT_RESEND_H
#define KRT_RESEND_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "conn.h"
#include "copy.h"
#include "meta.h"
#include "resend_request.h"

struct krt_resend {
    struct krt_resend_request req;
    char group[300];  /**< krt's group for this request */
    char txn_id[400]; /**< transactional.id of this process */
    struct krt_copy_part *parts;
    int64_t *team_committed; /**< per part: the team group's offset at the start, or -1 */
    int nparts;
    int source_partitions, source_rf;
    bool target_exists;
    bool already_done; /**< a finished request: nothing to do */
    bool resumed;      /**< the request had started before */
    /** partitions (comma-separated, cut with "...") whose `to` time is later
     *  than their newest record: their range ends at the high watermark now */
    char to_open[128];
    int64_t started_ms, finished_ms;
    struct krt_copy_job job; /**< the copy and its counters */
};

/** @brief Check the request against the cluster and resolve its ranges
 *  (the open end is the high watermark now, unless the request already
 *  started, in which case the ranges it recorded are used). Nothing is
 *  written. Call krt_resend_request_check() first. An unknown source or
 *  partition, `to` before `from`, a time look-up that fails for a partition
 *  and a request id reused with other parameters are errors. */
int krt_resend_prepare(struct krt_conn *conn, struct krt_resend *rs, struct krt_error *err);

/** @brief Copy. Creates the target if missing (or waits for the one a
 *  sibling process created), registers the request (its ranges go into the
 *  commit metadata of the request's group; the ranges registered first win),
 *  then copies with the copy engine until every partition is done. */
int krt_resend_run(const struct krt_common *c, struct krt_resend *rs, struct krt_error *err);

/** @brief The validation or final report as JSON; a failed run's report
 *  carries @p failed as its "error" member (NULL: none). */
json_t *krt_resend_json(const struct krt_resend *rs, bool executed, const struct krt_error *failed);

/** @brief The validation or final report as text. */
void krt_resend_print(const struct krt_resend *rs, bool executed, FILE *f);

void krt_resend_free(struct krt_resend *rs);

#endif
