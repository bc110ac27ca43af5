/* avro_schema.h - Avro schemas read with jansson, validated by krt.
 *
 * The original text is kept as read: avro-c's avro_schema_to_json() drops
 * "default" and "doc", and its parser accepts defaults of the wrong type, so
 * krt never round-trips a schema through avro-c. Named types are resolved to
 * one node each; a reference points at that node, so recursive types form a
 * graph that the schema owns as a whole. */
#ifndef KRT_AVRO_SCHEMA_H
#define KRT_AVRO_SCHEMA_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"

/** @brief Avro types; the order of the primitives is used in messages. */
enum krt_avro_type {
    KRT_AVRO_NULL,
    KRT_AVRO_BOOLEAN,
    KRT_AVRO_INT,
    KRT_AVRO_LONG,
    KRT_AVRO_FLOAT,
    KRT_AVRO_DOUBLE,
    KRT_AVRO_BYTES,
    KRT_AVRO_STRING,
    KRT_AVRO_RECORD,
    KRT_AVRO_ENUM,
    KRT_AVRO_ARRAY,
    KRT_AVRO_MAP,
    KRT_AVRO_UNION,
    KRT_AVRO_FIXED
};

struct krt_avro_node;

/** @brief One field of a record. */
struct krt_avro_field {
    char *name;
    char **aliases; /**< field aliases (plain names) */
    size_t naliases;
    struct krt_avro_node *type;
    json_t *def; /**< the default as written, or NULL when there is none */
};

/** @brief One schema node. Named types (record, enum, fixed) exist once. */
struct krt_avro_node {
    enum krt_avro_type type;
    char *name;     /**< named types: the simple name */
    char *fullname; /**< named types: namespace.name */
    char **aliases; /**< named types: aliases as full names */
    size_t naliases;
    struct krt_avro_field *fields; /**< record */
    size_t nfields;
    char **symbols; /**< enum */
    size_t nsymbols;
    int enum_default; /**< enum: index of the default symbol, or -1 */
    size_t size;      /**< fixed */
    struct krt_avro_node *items; /**< array items, map values */
    struct krt_avro_node **branches; /**< union */
    size_t nbranches;
};

/** @brief A parsed schema: its original text and its node graph. */
struct krt_avro_schema {
    char *text;   /**< the text as read, never rewritten */
    char *origin; /**< file name or "registry id N", for messages */
    struct krt_avro_node *root;
    struct krt_avro_node **nodes; /**< every node, owned */
    size_t nnodes, cap;
};

/** @brief Parse and validate schema text: JSON syntax (errors as
 *  "origin:line:column: message"), Avro rules (names, duplicates, unknown
 *  types, enum symbols, fixed sizes) and every default against its type
 *  (errors as "origin: /json/path: message"). Bad input is KRT_ERR_INPUT. */
int krt_avro_schema_parse(const char *text, const char *origin, struct krt_avro_schema *out,
                          struct krt_error *err);

/** @brief How krt_avro_schema_parse_opts() reads a schema. */
struct krt_avro_parse_opts {
    /** schema texts whose named types the text may use (a registry's
     *  "references"), dependencies first; parsed before the text */
    const char *const *refs;
    const char *const *ref_origins; /**< for messages; may be NULL */
    size_t nrefs;
    /** check defaults as Java's Avro does (Schema.isValidDefault): any
     *  string for bytes, fixed and enum, a union default of any branch.
     *  For writer schemas a registry holds: a registry running Java
     *  accepted them, and a writer's defaults are never used. */
    int java_defaults;
};

/** @brief krt_avro_schema_parse() with references and the default rules of
 *  @p o (NULL: none, strict). A default a reader uses must be strict. */
int krt_avro_schema_parse_opts(const char *text, const char *origin,
                               const struct krt_avro_parse_opts *o, struct krt_avro_schema *out,
                               struct krt_error *err);

/** @brief Read a schema file, then krt_avro_schema_parse(). */
int krt_avro_schema_read(const char *path, struct krt_avro_schema *out, struct krt_error *err);

/** @brief Free what @p s owns. */
void krt_avro_schema_free(struct krt_avro_schema *s);

/** @brief The Avro name of a type: "int", "record", ... */
const char *krt_avro_type_name(enum krt_avro_type t);

/** @brief A short description for messages: the full name of a named type,
 *  else the type name ("array", "union", "long"). */
const char *krt_avro_node_label(const struct krt_avro_node *n);

/** @brief Check that @p def is a valid default for @p n (Avro's JSON
 *  encoding; a union's default belongs to its first branch).
 *  @returns 0, or -1 with a reason written to @p why (size @p len). */
int krt_avro_default_check(const struct krt_avro_node *n, const json_t *def, char *why,
                           size_t len);

/** @brief Read a whole file (@p path "-": stdin) of at most @p max bytes
 *  into *data (NUL-terminated, caller frees). Errors are KRT_ERR_INPUT. */
int krt_avro_read_file(const char *path, size_t max, char **data, size_t *size,
                       struct krt_error *err);

/** @brief Avro's promotions: can a @p w value be read as @p r?
 *  int->long->float->double (int and long to float and double too),
 *  string<->bytes. */
int krt_avro_promotable(enum krt_avro_type w, enum krt_avro_type r);

/** @brief Do named types match for resolution: equal unqualified names, or
 *  a reader alias naming the writer's full name (Java's rule). */
int krt_avro_names_match(const struct krt_avro_node *r, const struct krt_avro_node *w);

/** @brief Write "PATH/" followed by the printf-style @p fmt into @p buf:
 *  one step down a JSON path, truncated to @p len. */
void krt_avro_path_join(char *buf, size_t len, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
