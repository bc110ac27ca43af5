/* admin.h - topic administration: delete records, delete and create topics. */
#ifndef KRT_ADMIN_H
#define KRT_ADMIN_H

#include "conn.h"
#include "meta.h"

/** @brief Delete the records of each partition of @p l below its offset
 *  (DeleteRecords; librdkafka sends one request per leader broker). Each
 *  entry's offset becomes the new log start the broker reports, and its err
 *  the partition's error. A failure of some partitions is KRT_ERR_PARTIAL. */
int krt_admin_delete_records(struct krt_conn *conn, struct krt_tplist *l, struct krt_error *err);

/** @brief Delete a topic and wait until the cluster no longer lists it. */
int krt_admin_delete_topic(struct krt_conn *conn, const char *topic, int wait_ms,
                           struct krt_error *err);

/** @brief Create a topic with @p partitions, @p rf and the @p configs
 *  key/value pairs, retrying while the old one is still being deleted, and
 *  wait until every partition has a leader. */
int krt_admin_create_topic(struct krt_conn *conn, const char *topic, int partitions, int rf,
                           const struct krt_props *configs, int wait_ms, struct krt_error *err);

#endif
