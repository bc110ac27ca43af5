/* configs.h - topic and broker configurations (DescribeConfigs), effective
 * values with where each comes from (topic override, broker, default). */
#ifndef KRT_CONFIGS_H
#define KRT_CONFIGS_H

#include <stdbool.h>

#include "conn.h"

/** @brief One configuration entry. */
struct krt_config_entry {
    char *name;
    char *value; /**< NULL when sensitive or unset */
    int source;  /**< rd_kafka_ConfigSource_t */
    bool is_default;
    bool read_only;
    bool sensitive;
};

/** @brief The configuration of one topic or broker. */
struct krt_config_set {
    char *name; /**< topic name, or broker id as a string */
    struct krt_config_entry *v;
    int n;
    int err; /**< per-resource error (rd_kafka_resp_err_t) */
};

/** @brief Describe the configuration of topics (@p broker false) or brokers
 *  (@p broker true, names are broker ids) in one batched request. @p out
 *  receives @p n sets in the order of @p names. Topic configs are asked once
 *  more, after a metadata refresh, when the broker asked was unreachable. */
int krt_configs_describe(struct krt_conn *conn, bool broker, const char *const *names, int n,
                         struct krt_config_set *out, struct krt_error *err);

/** @brief The value of @p key in a set, or NULL. */
const char *krt_config_get(const struct krt_config_set *s, const char *key);

/** @brief True when the entry was set on the topic itself. */
bool krt_config_is_topic_override(const struct krt_config_entry *e);

/** @brief Free @p n sets. */
void krt_configs_free(struct krt_config_set *s, int n);

#endif
