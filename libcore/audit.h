/* audit.h - replication audit: classify every partition from metadata and
 * topic configs, name the missing brokers, list risks, predict with
 * assumed-down brokers, check groups' commits, compare with a baseline. */
#ifndef KRT_AUDIT_H
#define KRT_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "conn.h"
#include "meta.h"

/** Partition states (a partition may be in several). */
enum {
    KRT_P_OFFLINE = 1 << 0,          /**< no leader */
    KRT_P_LOST = 1 << 1,             /**< offline, every replica on a missing broker */
    KRT_P_UNDER_MIN_ISR = 1 << 2,    /**< ISR < min.insync.replicas: acks=all fails */
    KRT_P_AT_MIN_ISR = 1 << 3,       /**< degraded to exactly min.insync.replicas */
    KRT_P_UNDER_REPLICATED = 1 << 4, /**< ISR smaller than the replica set */
    KRT_P_UNCLEAN_ONLY = 1 << 5      /**< what-if: only an unclean election gives a leader */
};

/** Risks of a healthy cluster. */
enum {
    KRT_RISK_RF1 = 1 << 0,          /**< replication factor 1 */
    KRT_RISK_MIN_ISR_1 = 1 << 1,    /**< min.insync.replicas=1 with RF > 1 */
    KRT_RISK_UNCLEAN = 1 << 2,      /**< unclean.leader.election.enable=true */
    KRT_RISK_NO_TOLERANCE = 1 << 3, /**< RF == min.insync.replicas > 1 */
    KRT_RISK_ONE_BROKER = 1 << 4,   /**< all replicas of a partition on one broker */
    KRT_RISK_ONE_RACK = 1 << 5      /**< all replicas of a partition on one rack */
};

struct krt_apart {
    int topic; /**< index into krt_audit.topics */
    int32_t partition, leader;
    int32_t *replicas, *isr, *missing;
    int nreplicas, nisr, nmissing;
    unsigned state, risks;
    int64_t log_start, high; /**< only read with groups or a baseline; -1 otherwise */
};

struct krt_atopic {
    char *name;
    int rf, min_isr;
    bool unclean, compacted;
    unsigned risks;
    int nparts;
};

struct krt_abroker {
    int32_t id;
    char *host;
    int port;
    char *rack;
};

/** @brief A committed offset outside [log start, high watermark]. */
struct krt_agroup_finding {
    char *group, *topic;
    int32_t partition;
    int64_t committed, log_start, high;
    bool above; /**< above the high watermark (else below the log start) */
};

/** @brief An offset range [from, to) that is gone since the baseline. */
struct krt_aloss {
    char *group; /**< NULL: the partition's own loss */
    char *topic;
    int32_t partition;
    const char *kind; /**< truncated, deleted-unread, consumed-then-lost, will-skip, topic-missing */
    int64_t from, to;
};

struct krt_audit_opts {
    const struct krt_selection *topics; /**< empty: every topic, internal ones included */
    const int32_t *assume_down;
    int nassume_down;
    bool all_groups;
    const char *const *groups;
    int ngroups;
    json_t *baseline;         /**< compare with this baseline (krt_audit_baseline_read) */
    const char *baseline_out; /**< save a baseline here */
};

struct krt_audit {
    struct krt_abroker *brokers; /**< registered (minus assumed down) */
    int nbrokers;
    int32_t *missing_brokers; /**< referenced by replicas, not registered */
    int nmissing_brokers;
    int32_t *assumed_down;
    int nassumed_down;
    struct krt_atopic *topics;
    int ntopics;
    struct krt_apart *parts;
    size_t nparts;
    size_t count_offline, count_lost, count_under_min_isr, count_at_min_isr,
        count_under_replicated, count_healthy;
    struct krt_agroup_finding *findings;
    size_t nfindings;
    struct krt_aloss *losses;
    size_t nlosses;
    bool has_baseline;
    int64_t baseline_created_ms;
    int64_t taken_ms;
};

/** @brief Run an audit. */
int krt_audit_run(struct krt_conn *conn, const struct krt_audit_opts *o, struct krt_audit *out,
                  struct krt_error *err);

/** @brief Free an audit. */
void krt_audit_free(struct krt_audit *a);

/** @brief The documented exit code of an audit: KRT_EXIT_OK (healthy),
 *  KRT_EXIT_FINDINGS (warnings) or KRT_EXIT_CRITICAL. Risks alone do not
 *  change it. */
int krt_audit_exit_code(const struct krt_audit *a);

/** @brief Human report. */
void krt_audit_print(const struct krt_audit *a, FILE *f);

/** @brief JSON report (schema in docs/krt-audit.md). */
json_t *krt_audit_json(const struct krt_audit *a);

/** @brief Prometheus text exposition. */
void krt_audit_prometheus(const struct krt_audit *a, FILE *f);

/** @brief Print what changed from @p prev to @p cur, one timestamped line
 *  per change. @returns the number of changes. */
int krt_audit_diff(const struct krt_audit *prev, const struct krt_audit *cur, FILE *f);

/** @brief Stable names of states and risks (for JSON, Prometheus, tables). */
const char *krt_audit_state_name(unsigned state_bit);
const char *krt_audit_risk_name(unsigned risk_bit);

/** @brief Classify one partition: the state bits, from its replicas, ISR,
 *  leader, the registered brokers and min.insync.replicas. Exposed for tests. */
unsigned krt_audit_classify(int32_t leader, const int32_t *replicas, int nreplicas,
                            const int32_t *isr, int nisr, const int32_t *registered,
                            int nregistered, int min_isr);

/** @brief Read a baseline written by --save-baseline, whole and typed
 *  (jread: unknown keys, wrong types, partitions outside 0..INT32_MAX and
 *  negative offsets are errors naming the file and the JSON path), before
 *  the first network call. @returns 0 and sets @p *out (json_decref it). */
int krt_audit_baseline_read(const char *path, json_t **out, struct krt_error *err);

#endif
