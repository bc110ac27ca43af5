/* props.h - Java client properties (the --command-config format of Kafka's
 * own CLI tools) and their translation to librdkafka configuration. */
#ifndef KRT_PROPS_H
#define KRT_PROPS_H

#include <stddef.h>

#include "error.h"

/** @brief One key/value with the line it came from (0 when not from a file). */
struct krt_prop {
    char *key;
    char *value;
    int line;
};

/** @brief An ordered list of properties; later entries win on lookup. */
struct krt_props {
    struct krt_prop *items;
    size_t n, cap;
    char *origin; /**< file name for messages, or NULL */
};

/** @brief Append a copy of @p key / @p value. @returns 0, or -1 on OOM. */
int krt_props_add(struct krt_props *p, const char *key, const char *value, int line);

/** @brief The last value set for @p key, or NULL. */
const char *krt_props_get(const struct krt_props *p, const char *key);

/** @brief Free everything @p p owns and reset it to empty. */
void krt_props_free(struct krt_props *p);

/** @brief Parse text in java.util.Properties format: `#`/`!` comments,
 *  `=`, `:` or blank as separator, backslash line continuation and escapes
 *  (\\t \\n \\r \\f \\uXXXX). Appends to @p out. @p origin names the source
 *  in error messages ("path:line: message"). */
int krt_props_parse_string(const char *text, const char *origin, struct krt_props *out,
                           struct krt_error *err);

/** @brief Read and parse a properties file. */
int krt_props_parse_file(const char *path, struct krt_props *out, struct krt_error *err);

/** @brief Parse one `key=value` argument (as given to -X). */
int krt_props_parse_kv(const char *arg, struct krt_props *out, struct krt_error *err);

/** @brief Parse a Java sasl.jaas.config value of the PlainLoginModule or
 *  ScramLoginModule: `<module> required username="u" password="p";`.
 *  The caller frees *user and *pass. Any other module is an error. */
int krt_jaas_parse(const char *jaas, char **user, char **pass, struct krt_error *err);

/** @brief Translate Java client properties to librdkafka properties,
 *  appending to @p out. A key with no librdkafka equivalent is an error that
 *  names the key and where it came from. Values are never put in messages. */
int krt_props_to_rdkafka(const struct krt_props *java, struct krt_props *out,
                         struct krt_error *err);

/** @brief True when a configuration key holds a secret (passwords, JAAS,
 *  keys, tokens) whose value must never be printed. */
int krt_props_is_secret(const char *key);

#endif
