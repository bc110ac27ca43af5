/* registry.h - a Confluent Schema Registry REST client (libcurl), also for
 * registries that serve the same API (Apicurio's /apis/ccompat/v7).
 *
 * Credentials come from a properties file, never from the command line, and
 * never appear in messages: basic.auth.user.info=USER:PASSWORD (with an
 * optional schema.registry. prefix, as Confluent's clients write it). */
#ifndef KRT_REGISTRY_H
#define KRT_REGISTRY_H

#include <jansson.h>
#include <stdbool.h>

#include "avro_schema.h"
#include "error.h"

/** @brief A registry endpoint and its settings. */
struct krt_registry {
    char *url;    /**< base URL without a final slash */
    char *user;   /**< basic auth user, or NULL */
    char *secret; /**< basic auth password, or NULL; never printed */
    char *ca;     /**< ssl.ca.location: PEM bundle to verify the server */
    char *cert;   /**< ssl.certificate.location: client certificate (PEM) */
    char *key;    /**< ssl.key.location: client key (PEM) */
    char *key_password;
    bool no_verify_host; /**< ssl.endpoint.identification.algorithm= (empty) */
    int timeout_ms;
    void *curl; /**< CURL handle, reused across requests */
};

/** @brief Set up a client for @p url; @p config (may be NULL) is a
 *  properties file: basic.auth.user.info, basic.auth.credentials.source
 *  (USER_INFO), ssl.ca.location, ssl.certificate.location,
 *  ssl.key.location, ssl.key.password, ssl.endpoint.identification.algorithm,
 *  each optionally prefixed with "schema.registry.". Any other key is an
 *  error naming the file, line and key. Reads the file only (no request). */
int krt_registry_open(struct krt_registry *r, const char *url, const char *config,
                      int timeout_ms, struct krt_error *err);

/** @brief Free the client (the password is wiped first). */
void krt_registry_close(struct krt_registry *r);

/** @brief GET /schemas/ids/@p id: the schema text (caller frees) and, when
 *  @p refs is not NULL, its "references" array (NULL when none; caller
 *  decrefs). An unknown id is KRT_ERR_INPUT with the registry's message. */
int krt_registry_schema_by_id(struct krt_registry *r, int id, char **text, json_t **refs,
                              struct krt_error *err);

/** @brief GET /subjects/S/versions: the version numbers (caller frees);
 *  a missing subject gives *n = 0. */
int krt_registry_versions(struct krt_registry *r, const char *subject, int **versions, size_t *n,
                          struct krt_error *err);

/** @brief GET /subjects/S/versions/V: schema text (caller frees), id and,
 *  when @p refs is not NULL, its "references" (as krt_registry_schema_by_id). */
int krt_registry_version(struct krt_registry *r, const char *subject, int version, char **text,
                         int *id, json_t **refs, struct krt_error *err);

/** @brief The schemas a schema's references name, resolved. */
struct krt_registry_refs {
    char **texts;    /**< schema texts, dependencies first */
    char **labels;   /**< "reference 'NAME' (subject 'S' version V)", for messages */
    char **subjects; /**< each fetched once per subject and version */
    int *versions;
    size_t n;
};

/** @brief Fetch every subject version @p refs (a "references" array; NULL:
 *  none) names, and what those reference in turn (at most 32 deep and 256
 *  schemas), each once, ordered so that a schema comes after the ones it
 *  uses. Pass out->texts to krt_avro_parse_opts.refs. */
int krt_registry_resolve_refs(struct krt_registry *r, const json_t *refs,
                              struct krt_registry_refs *out, struct krt_error *err);

/** @brief Free what krt_registry_resolve_refs() filled. */
void krt_registry_refs_free(struct krt_registry_refs *refs);

/** @brief The compatibility level of @p subject, else the global one.
 *  *level is a static-lifetime-free string the caller frees; *source is
 *  "subject" or "global". */
int krt_registry_level(struct krt_registry *r, const char *subject, char **level,
                       const char **source, struct krt_error *err);

/** @brief POST /compatibility/subjects/S/versions/V (V < 0: latest) with
 *  @p text; *messages is the registry's reasons array or NULL (Apicurio
 *  gives none). When the registry answers that it cannot check (HTTP 422:
 *  Apicurio 3.3.3 for a version with references), *unchecked is its
 *  answer (caller frees) and 0 is returned; else *unchecked is NULL. */
int krt_registry_compatible(struct krt_registry *r, const char *subject, int version,
                            const char *text, bool *compatible, json_t **messages,
                            char **unchecked, struct krt_error *err);

/** @brief POST /subjects/S/versions: register @p text; *id is its id. */
int krt_registry_register(struct krt_registry *r, const char *subject, const char *text, int *id,
                          struct krt_error *err);

/** @brief POST /subjects/S with @p text: the id and version under which
 *  the subject holds this schema (the registry's own answer; a schema
 *  registered again keeps its old version, so "the newest version" is not
 *  it). A schema the subject does not hold (HTTP 404) is KRT_ERR_INPUT,
 *  or, when @p found is not NULL, 0 with *found false. */
int krt_registry_lookup(struct krt_registry *r, const char *subject, const char *text, int *id,
                        int *version, bool *found, struct krt_error *err);

/** @brief Parse a schema the registry holds: its references resolved
 *  (krt_registry_resolve_refs()) and its defaults checked as Java's Avro
 *  checks them, since a registry running Java accepted the schema. */
int krt_registry_parse_schema(struct krt_registry *r, const char *text, const json_t *refs,
                              const char *origin, struct krt_avro_schema *out,
                              struct krt_error *err);

#endif
