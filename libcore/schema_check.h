/* schema_check.h - krt-schema check: krt's verdict with reasons, the
 * registry's verdict beside it, and the report (table or JSON) of both. */
#ifndef KRT_SCHEMA_CHECK_H
#define KRT_SCHEMA_CHECK_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "avro_schema.h"
#include "error.h"
#include "registry.h"
#include "schema_compat.h"

/** @brief The registry's answer for one version of the subject. */
struct krt_schema_registry_verdict {
    int version;   /**< subject version checked against, or -1 for "latest" */
    bool compatible;
    json_t *messages; /**< the registry's reasons (array), or NULL when it gave none */
    char *unchecked;  /**< the registry could not check: its answer (else NULL) */
};

/** @brief The outcome of a check. */
struct krt_schema_check {
    enum krt_schema_level level;
    const char *level_source; /**< "option", "subject", "global" or "default" */
    struct krt_avro_schema *olds; /**< oldest first (owned) */
    size_t nolds;
    char **old_labels; /**< file name or "subject S version N" (owned) */
    struct krt_avro_schema neu;
    struct krt_schema_reasons reasons; /**< krt's own reasons */
    bool compatible;                   /**< krt's verdict */
    /* registry side, when checked against one */
    const char *subject;
    struct krt_schema_registry_verdict *reg;
    size_t nreg;
    bool reg_compatible; /**< no check the registry answered said incompatible */
    bool reg_unchecked;  /**< the registry could not check some version */
    bool disagree; /**< krt and the registry answer differently */
    /* registration (--execute) */
    int registered_id;      /**< -1 when nothing was registered */
    int registered_version; /**< -1 when unknown */
    char *plan_path;        /**< the plan written before registering */
    int *versions;          /**< the subject's versions before, oldest first */
    size_t nversions;
    char *reg_level;        /**< the registry's level for the subject */
};

/** @brief Add an old schema (takes ownership of the parsed schema). */
int krt_schema_check_add_old(struct krt_schema_check *c, struct krt_avro_schema *s,
                             const char *label, struct krt_error *err);

/** @brief Compute krt's verdict and reasons at c->level. */
int krt_schema_check_run(struct krt_schema_check *c, struct krt_error *err);

/** @brief Load the old versions from @p reg for subject @p subject (every
 *  version for a transitive level, else the latest), take the level from the
 *  registry unless @p level_given, compute krt's verdict, and ask the
 *  registry for its own (against latest, or every version when transitive).
 *  Records a disagreement. A version the registry answers it cannot check
 *  (HTTP 422) is recorded as such (reg_unchecked), krt's verdict stands
 *  beside it. c->neu must be parsed already. */
int krt_schema_check_registry(struct krt_schema_check *c, struct krt_registry *reg,
                              const char *subject, bool level_given, struct krt_error *err);

/** @brief Register c->neu under c->subject, after both verdicts said
 *  compatible (else KRT_ERR_REFUSED, nothing registered): the plan (subject,
 *  schema text, versions before, verdicts) is first written to @p plan_path
 *  (NULL: $KRT_UNDO_DIR or ., krt-schema-register-SUBJECT-TIME.json) and
 *  fsynced with its directory. */
int krt_schema_check_register(struct krt_schema_check *c, struct krt_registry *reg,
                              const char *plan_path, struct krt_error *err);

/** @brief Print the report as a human table. */
void krt_schema_check_print(const struct krt_schema_check *c, FILE *f);

/** @brief The report as JSON. */
json_t *krt_schema_check_json(const struct krt_schema_check *c);

/** @brief Free what @p c owns. */
void krt_schema_check_free(struct krt_schema_check *c);

#endif
