/* conn.h - a connection to a Kafka cluster: configuration (defaults, then
 * --command-config, then -X), the client handle, and the reachability check. */
#ifndef KRT_CONN_H
#define KRT_CONN_H

#include <librdkafka/rdkafka.h>

#include "error.h"
#include "opts.h"
#include "props.h"

/** @brief What the handle is for. */
enum krt_conn_kind {
    KRT_CONN_ADMIN,    /**< admin, metadata and offset look-ups */
    KRT_CONN_CONSUMER, /**< group consumer (group.id given in extra) */
    KRT_CONN_PRODUCER  /**< producer */
};

/** @brief A client handle and what it was built from. libcore modules use
 *  the handle; tools only pass the struct around. */
struct krt_conn {
    rd_kafka_t *rk;
    rd_kafka_queue_t *q; /**< queue for admin results */
    const struct krt_common *common;
    int timeout_ms;
    int last_err; /**< last error reported by librdkafka's error callback */
    char last_errstr[512];
};

/** @brief Build a librdkafka configuration from the shared options:
 *  defaults, then --command-config (Java properties, translated), then
 *  @p extra (tool settings such as group.id), then -X. */
int krt_conn_conf(const struct krt_common *c, enum krt_conn_kind kind,
                  const struct krt_props *extra, rd_kafka_conf_t **out, struct krt_error *err);

/** @brief Create the client only (no round trip). @p rebalance_cb, when
 *  not NULL, is set on a consumer. */
int krt_conn_create(struct krt_conn *conn, const struct krt_common *c, enum krt_conn_kind kind,
                    const struct krt_props *extra,
                    void (*rebalance_cb)(rd_kafka_t *, rd_kafka_resp_err_t,
                                         rd_kafka_topic_partition_list_t *, void *),
                    struct krt_error *err);

/** @brief Create the client and check that the cluster answers within the
 *  timeout; an unreachable cluster is a one-line error naming the bootstrap. */
int krt_conn_open(struct krt_conn *conn, const struct krt_common *c, enum krt_conn_kind kind,
                  const struct krt_props *extra, struct krt_error *err);

/** @brief Destroy the client (a producer is flushed first). */
void krt_conn_close(struct krt_conn *conn);

/** @brief Make Ctrl-C interrupt waits on @p conn: the first SIGINT/SIGTERM
 *  sets the interrupted flag and wakes the queue, a second one exits. */
void krt_conn_trap_signals(struct krt_conn *conn);

/** @brief True once SIGINT or SIGTERM was received. */
int krt_interrupted(void);

/** @brief Wait for one admin result event of @p type on the connection's
 *  queue. The caller destroys the event. */
rd_kafka_event_t *krt_conn_wait_admin(struct krt_conn *conn, rd_kafka_event_type_t type,
                                      const char *what, struct krt_error *err);

/** @brief Admin options with the connection's request timeout. */
rd_kafka_AdminOptions_t *krt_conn_admin_options(struct krt_conn *conn, rd_kafka_admin_op_t op,
                                                struct krt_error *err);

#endif
