/* admin.h - the one admin-call helper (options, send, wait, request-level
 * errors), the one per-partition result collector, and topic administration:
 * delete records, delete and create topics. */
#ifndef KRT_ADMIN_H
#define KRT_ADMIN_H

#include <stdbool.h>

#include "conn.h"
#include "meta.h"

/** @brief Sends one admin request built by the caller: calls
 *  rd_kafka_<Operation>(rk, <the request in @p req>, @p o, @p q). */
typedef void (*krt_admin_send_fn)(rd_kafka_t *rk, const rd_kafka_AdminOptions_t *o,
                                  rd_kafka_queue_t *q, void *req);

/** @brief Send one admin request (AdminOptions for @p op with the
 *  connection's request timeout, then @p send); the result comes on the
 *  connection's queue (krt_conn_wait_admin). For several requests in flight
 *  at once. @returns 0 or -1. */
int krt_admin_send(struct krt_conn *conn, rd_kafka_admin_op_t op, krt_admin_send_fn send,
                   void *req, struct krt_error *err);

/** @brief One admin call: AdminOptions for @p op with the connection's
 *  request timeout, @p send, then wait (Ctrl-C aware) for the @p type result.
 *  A request-level error is returned in @p err as "@p what: reason".
 *  @returns the result event (rd_kafka_event_destroy() it), or NULL. */
rd_kafka_event_t *krt_admin_call(struct krt_conn *conn, rd_kafka_admin_op_t op,
                                 rd_kafka_event_type_t type, krt_admin_send_fn send, void *req,
                                 const char *what, struct krt_error *err);

/** @brief Takes one result event of krt_admin_call_many() (which destroys
 *  it afterwards). @returns 0, or -1 with @p err set to stop. */
typedef int (*krt_admin_take_fn)(void *opaque, rd_kafka_event_t *ev, struct krt_error *err);

/** @brief Several admin requests of one kind in flight at once (librdkafka
 *  sends a BROKER resource only to that broker: one request each): every
 *  one of @p reqs sent as krt_admin_send() sends it, then @p n results of
 *  @p type collected as they come, each given to @p take. A request-level
 *  error is returned as "@p what: reason". Late answers of a failed call
 *  may still reach the queue: @p take must match answers to requests.
 *  @returns 0 or -1. */
int krt_admin_call_many(struct krt_conn *conn, rd_kafka_admin_op_t op, rd_kafka_event_type_t type,
                        krt_admin_send_fn send, void *const *reqs, int n, const char *what,
                        krt_admin_take_fn take, void *opaque, struct krt_error *err);

/** @brief The one per-partition result collector. Copies each partition's
 *  err of @p r (and, with @p take_offset, its offset when it succeeded) into
 *  the matching entry of @p l, and decides the same way everywhere: no
 *  partition failed -> 0; all failed -> -1 with the first one's Kafka error;
 *  some failed -> -1 with KRT_ERR_PARTIAL. The message is "@p what of 'TOPIC'
 *  partition P (N of M partitions failed): reason", naming the first. */
int krt_admin_collect(const rd_kafka_topic_partition_list_t *r, struct krt_tplist *l,
                      bool take_offset, const char *what, struct krt_error *err);

/** @brief Delete the records of each partition of @p l below its offset
 *  (DeleteRecords; librdkafka sends one request per leader broker). Each
 *  entry's offset becomes the new log start the broker reports, and its err
 *  the partition's error. A failure of some partitions is KRT_ERR_PARTIAL. */
int krt_admin_delete_records(struct krt_conn *conn, struct krt_tplist *l, struct krt_error *err);

/** @brief Delete a topic and wait until the cluster no longer lists it.
 *  @p maybe_deleted is set once DeleteTopics is sent and stays set on a failure
 *  unless the broker refused the delete (timeout, Ctrl-C, still listed: the
 *  topic may be gone). */
int krt_admin_delete_topic(struct krt_conn *conn, const char *topic, int wait_ms,
                           bool *maybe_deleted,
                           struct krt_error *err);

/** @brief Create a topic with @p partitions, @p rf and the @p configs
 *  key/value pairs, retrying while the old one is still being deleted, and
 *  wait until every partition has a leader. @p created (may be NULL) says,
 *  also on failure, whether the broker created the topic: a failure then is
 *  one of leaders still pending, not of the create. */
int krt_admin_create_topic(struct krt_conn *conn, const char *topic, int partitions, int rf,
                           const struct krt_props *configs, int wait_ms, bool *created,
                           struct krt_error *err);

#endif
