/* resend.h - replay selected events of a topic onto a resend topic for a
 * consuming team: validate a request, then copy exactly once with a
 * transactional producer that commits the read position in the same
 * transaction (KIP-447), throttled, resumable, shared through a consumer group. */
#ifndef KRT_RESEND_H
#define KRT_RESEND_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "conn.h"
#include "meta.h"

/** @brief A bound of the range: a time, offsets per partition, or open. */
struct krt_resend_bound {
    bool has_time;
    int64_t time_ms;
    char *text;      /**< as given, for the request's fingerprint */
    int64_t *offset; /**< per partition id up to maxp, -1 = not given */
    int32_t maxp;    /**< highest partition id given, -1 for none */
    bool has_offsets;
};

/** @brief A resend request (JSON file or flags). */
struct krt_resend_request {
    char *id, *team, *source, *target, *group; /**< group: the team's, for the report */
    int32_t *partitions;                       /**< NULL: all */
    int npartitions;
    struct krt_resend_bound from, to;
    char *keys_file;
    char *header_name, *header_value; /**< header filter, or NULL */
    double max_rate, max_bytes_rate;  /**< 0: unlimited */
    int replication_factor;           /**< for a target created here; 0: the source's */
    char *instance;                   /**< this process's name among several */
};

/** @brief Per partition: the range and what this process did with it. */
struct krt_resend_part {
    int32_t partition;
    int64_t start, end; /**< [start, end) of the source */
    int64_t next;       /**< next source offset to read (committed position) */
    int64_t first_copied, last_copied;
    int64_t copied, filtered, bytes;
    bool assigned, done;
    int64_t team_committed; /**< the team group's offset when the resend started */
};

struct krt_resend {
    struct krt_resend_request req;
    char fingerprint[17];
    char group[300];  /**< krt's group for this request */
    char txn_id[400]; /**< transactional.id of this process */
    struct krt_resend_part *parts;
    int nparts;
    int source_partitions, source_rf;
    bool target_exists;
    bool already_done; /**< a finished request: nothing to do */
    bool resumed;      /**< the request had started before */
    int64_t started_ms, finished_ms;
    int64_t copy_ms; /**< from the first record produced to the last commit (this run) */
    int64_t total_copied, total_filtered, total_bytes;
    int64_t txn_commits, txn_aborts;
    char **keys; /**< sorted key filter */
    size_t nkeys;
};

/** @brief Read a request from a JSON file into @p r (flags may override). */
int krt_resend_request_read(const char *path, struct krt_resend_request *r,
                            struct krt_error *err);

/** @brief Parse a bound: an ISO-8601 date-time, or `P=OFFSET,P=OFFSET`. */
int krt_resend_bound_parse(const char *s, const char *tz, struct krt_resend_bound *b,
                           struct krt_error *err);

/** @brief Check the request against the cluster and resolve its ranges
 *  (the open end is the high watermark now, unless the request already
 *  started, in which case the ranges it recorded are used). Nothing is
 *  written. Missing fields, an unknown source, `to` before `from`, the
 *  target equal to the source, an unreadable key file and a request id reused
 *  with other parameters are errors. */
int krt_resend_prepare(struct krt_conn *conn, struct krt_resend *rs, struct krt_error *err);

/** @brief Copy. Creates the target if missing, registers the request (its
 *  ranges go into the commit metadata of the request's group), then consumes
 *  with that group and produces in transactions until every partition of the
 *  request is done. */
int krt_resend_run(const struct krt_common *c, struct krt_resend *rs, struct krt_error *err);

/** @brief The validation or final report as JSON. */
json_t *krt_resend_json(const struct krt_resend *rs, bool executed);

/** @brief The validation or final report as text. */
void krt_resend_print(const struct krt_resend *rs, bool executed, FILE *f);

void krt_resend_free(struct krt_resend *rs);

/** @brief POST @p doc as JSON to @p url (timeout, 3 attempts with backoff).
 *  Steals the reference. */
int krt_notify_post(const char *url, json_t *doc, int timeout_ms, struct krt_error *err);

#endif
