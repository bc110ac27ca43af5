/* schema_compat.h - Avro schema resolution rules and compatibility levels,
 * with every reason and the JSON path it is about.
 *
 * The rules are Avro's (specification, "Schema Resolution"), as the Java
 * implementation's SchemaCompatibility applies them, which is what Confluent
 * and Apicurio registries run: records match by unqualified name or a reader
 * alias, reader fields absent from the writer need a default, promotions
 * int->long->float->double and string<->bytes, every writer union branch
 * needs a reader branch, enum symbols missing from the reader need the
 * reader's enum default, fixed sizes must match. */
#ifndef KRT_SCHEMA_COMPAT_H
#define KRT_SCHEMA_COMPAT_H

#include <stdbool.h>
#include <stddef.h>

#include "avro_schema.h"
#include "error.h"

/** @brief Compatibility levels, named as the registries name them. */
enum krt_schema_level {
    KRT_LEVEL_NONE,
    KRT_LEVEL_BACKWARD,
    KRT_LEVEL_FORWARD,
    KRT_LEVEL_FULL,
    KRT_LEVEL_BACKWARD_TRANSITIVE,
    KRT_LEVEL_FORWARD_TRANSITIVE,
    KRT_LEVEL_FULL_TRANSITIVE
};

/** @brief One reason a reader cannot read a writer's data. */
struct krt_schema_reason {
    char path[256];  /**< JSON path in the reader schema, e.g. /fields/2 */
    char field[128]; /**< the innermost field name, or "" */
    char msg[512];   /**< what is wrong, one line */
    int old_index;   /**< which old schema (krt_schema_compat_level), or -1 */
    bool new_reads_old; /**< direction: new schema reads old data */
};

/** @brief A growing list of reasons. */
struct krt_schema_reasons {
    struct krt_schema_reason *v;
    size_t n, cap;
};

/** @brief Parse a level name (case-insensitive). @returns 0 or -1 (usage). */
int krt_schema_compat_level_parse(const char *s, enum krt_schema_level *out,
                                  struct krt_error *err);

/** @brief The registry's name of a level, e.g. "BACKWARD_TRANSITIVE". */
const char *krt_schema_compat_level_name(enum krt_schema_level l);

/** @brief Can @p reader read data written with @p writer? Appends every
 *  reason it cannot to @p out (none means yes). @p reader_is_new only words
 *  the messages ("added without a default" or "removed ...").
 *  @returns 0, or -1 on out of memory. */
int krt_schema_compat_resolve(const struct krt_avro_node *reader,
                              const struct krt_avro_node *writer, bool reader_is_new,
                              struct krt_schema_reasons *out, struct krt_error *err);

/** @brief Check @p neu against @p olds (oldest first) at @p level: the
 *  latest old only, or every old for the transitive levels; BACKWARD is
 *  "new reads old", FORWARD "old reads new", FULL both. Each reason carries
 *  the index of the old schema and its direction.
 *  @returns 0 (compatible when out->n == 0), or -1 on out of memory. */
int krt_schema_compat_level(enum krt_schema_level level, const struct krt_avro_schema *olds,
                            size_t nolds, const struct krt_avro_schema *neu,
                            struct krt_schema_reasons *out, struct krt_error *err);

/** @brief Free the reasons. */
void krt_schema_compat_free(struct krt_schema_reasons *r);

#endif
