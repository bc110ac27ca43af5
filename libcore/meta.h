/* meta.h - cluster metadata (brokers, topics, partitions, replicas, ISR),
 * copied out of librdkafka into plain structs, and topic/partition selection. */
#ifndef KRT_META_H
#define KRT_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "error.h"

struct krt_broker {
    int32_t id;
    char *host;
    int port;
};

struct krt_part {
    int32_t id;
    int32_t leader; /**< -1 when the partition has no leader */
    int32_t *replicas;
    int nreplicas;
    int32_t *isr;
    int nisr;
    int err; /**< partition-level metadata error (rd_kafka_resp_err_t) */
};

struct krt_topic {
    char *name;
    struct krt_part *parts; /**< sorted by partition id */
    int nparts;
    int err;
};

/** @brief A snapshot of the cluster's metadata. */
struct krt_metadata {
    struct krt_broker *brokers; /**< sorted by id */
    int nbrokers;
    struct krt_topic *topics; /**< sorted by name */
    int ntopics;
    int32_t orig_broker_id;
};

/** @brief Fetch metadata of every topic in one request. */
int krt_meta_fetch(struct krt_conn *conn, struct krt_metadata *md, struct krt_error *err);

/** @brief Free a snapshot. */
void krt_meta_free(struct krt_metadata *md);

/** @brief Find a topic by name, or NULL. */
const struct krt_topic *krt_meta_topic(const struct krt_metadata *md, const char *name);

/** @brief Find a partition of a topic, or NULL. */
const struct krt_part *krt_meta_part(const struct krt_topic *t, int32_t partition);

/** @brief Find a broker by id, or NULL. */
const struct krt_broker *krt_meta_broker(const struct krt_metadata *md, int32_t id);

/** @brief True for Kafka's internal and protected system topics:
 *  names starting with "__" and "_schemas". */
bool krt_topic_is_internal(const char *name);

/** @brief One `--topic T[:P,...]` argument. */
struct krt_tsel {
    char *topic;
    int32_t *parts; /**< NULL: all partitions */
    int nparts;
};

/** @brief The topics and partitions an operator selected. */
struct krt_selection {
    struct krt_tsel *v;
    int n;
};

/** @brief Parse and add `T`, `T:0,2,5-7`. A range or number that is not
 *  valid is a usage error. */
int krt_selection_add(struct krt_selection *sel, const char *spec, struct krt_error *err);

/** @brief Free a selection. */
void krt_selection_free(struct krt_selection *sel);

/** @brief A topic partition with an offset and what Kafka said of it. */
struct krt_tp {
    char *topic;
    int32_t partition;
    int64_t offset;
    int err;        /**< per-partition rd_kafka_resp_err_t */
    char *metadata; /**< committed offset metadata, or NULL */
};

/** @brief A list of topic partitions. */
struct krt_tplist {
    struct krt_tp *v;
    size_t n, cap;
    bool sorted; /**< set by krt_tplist_sort(), cleared by krt_tplist_add() */
};

/** @brief Append a partition. @returns the new entry, or NULL on OOM. */
struct krt_tp *krt_tplist_add(struct krt_tplist *l, const char *topic, int32_t partition,
                              int64_t offset);

/** @brief Find a partition, or NULL (binary search once sorted). */
struct krt_tp *krt_tplist_find(const struct krt_tplist *l, const char *topic,
                               int32_t partition);

/** @brief Sort by topic, then partition. */
void krt_tplist_sort(struct krt_tplist *l);

/** @brief Free the list's entries and storage. */
void krt_tplist_free(struct krt_tplist *l);

/** @brief Expand a selection against metadata into partitions (sorted).
 *  An empty selection means every topic that is not internal. Unknown
 *  topics and partitions are errors naming them. */
int krt_selection_resolve(const struct krt_selection *sel, const struct krt_metadata *md,
                          struct krt_tplist *out, struct krt_error *err);

#endif
