/* group.h - consumer groups: describe, list, committed offsets, alter and
 * delete committed offsets, each in one batched admin request. */
#ifndef KRT_GROUP_H
#define KRT_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "meta.h"

/** @brief A member of a consumer group. */
struct krt_member {
    char *member_id;
    char *client_id;
    char *host;
    char *instance_id; /**< static membership id, or NULL */
};

/** @brief What DescribeConsumerGroups says of a group. */
struct krt_group_desc {
    char *group;
    char *state; /**< Stable, Empty, Dead, PreparingRebalance, ... */
    bool exists; /**< false when the coordinator knows no such group */
    struct krt_member *members;
    int nmembers;
};

/** @brief Describe one consumer group. */
int krt_group_describe(struct krt_conn *conn, const char *group, struct krt_group_desc *out,
                       struct krt_error *err);

/** @brief Free a group description. */
void krt_group_desc_free(struct krt_group_desc *d);

/** @brief The committed offsets of @p group, every partition it has one
 *  for (sorted). Entries carry offset, metadata and per-partition err. */
int krt_group_committed(struct krt_conn *conn, const char *group, struct krt_tplist *out,
                        struct krt_error *err);

/** @brief Describe @p group and list its committed offsets (every partition
 *  it has one for), in that order: the describe finds and waits for the
 *  group's coordinator. The caller frees @p desc. */
int krt_group_state(struct krt_conn *conn, const char *group, struct krt_group_desc *desc,
                    struct krt_tplist *out, struct krt_error *err);

/** @brief The committed offsets of @p group for the partitions of @p parts
 *  only (entries without a commit have offset -1). */
int krt_group_committed_for(struct krt_conn *conn, const char *group,
                            const struct krt_tplist *parts, struct krt_tplist *out,
                            struct krt_error *err);

/** @brief As krt_group_committed_for() (@p parts NULL: every partition),
 *  but only offsets no transaction still holds open (require_stable): a
 *  commit in flight is waited for (60 s at most), and any per-partition error
 *  is an error. For positions committed in transactions (krt-resend's and
 *  krt-restore's), where an older offset would copy records twice. Name the
 *  partitions: without @p parts, a partition whose first commit is not yet
 *  applied is left out of the answer. Brokers before Kafka 2.5 (OffsetFetch
 *  v7) cannot answer stably: librdkafka 2.0.2 then drops the flag unsaid. */
int krt_group_committed_stable(struct krt_conn *conn, const char *group,
                               const struct krt_tplist *parts, struct krt_tplist *out,
                               struct krt_error *err);

/** @brief Commit @p offsets for @p group in one AlterConsumerGroupOffsets
 *  request (the metadata of each entry is committed with it). Per-partition
 *  failures are returned in each entry's err and as a KRT_ERR_PARTIAL error. */
int krt_group_alter(struct krt_conn *conn, const char *group, struct krt_tplist *offsets,
                    struct krt_error *err);

/** @brief The ids of every consumer group the cluster knows (sorted). The
 *  caller frees each string and the array. */
int krt_group_list(struct krt_conn *conn, char ***ids, size_t *n, struct krt_error *err);

/** @brief Delete the committed offsets of @p group for @p parts (Kafka's
 *  OffsetDelete; the group must not be subscribed to those topics).
 *  Per-partition failures are returned in each entry's err and, when some
 *  partitions succeeded, as a KRT_ERR_PARTIAL error (krt_admin_collect). */
int krt_group_delete_offsets(struct krt_conn *conn, const char *group, struct krt_tplist *parts,
                             struct krt_error *err);

#endif
