/* schema_check.c - see schema_check.h */
#define _POSIX_C_SOURCE 200809L
#include "schema_check.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json_out.h"

int krt_schema_check_add_old(struct krt_schema_check *c, struct krt_avro_schema *s,
                             const char *label, struct krt_error *err)
{
    struct krt_avro_schema *v = realloc(c->olds, (c->nolds + 1) * sizeof(*v));
    if (v)
        c->olds = v;
    char **l = v ? realloc(c->old_labels, (c->nolds + 1) * sizeof(*l)) : NULL;
    if (l)
        c->old_labels = l;
    char *copy = l ? strdup(label) : NULL;
    if (!copy) {
        krt_avro_schema_free(s);
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    }
    c->olds[c->nolds] = *s;
    c->old_labels[c->nolds] = copy;
    c->nolds++;
    memset(s, 0, sizeof(*s));
    return 0;
}

int krt_schema_check_run(struct krt_schema_check *c, struct krt_error *err)
{
    if (krt_schema_compat_level(c->level, c->olds, c->nolds, &c->neu, &c->reasons, err))
        return -1;
    c->compatible = c->reasons.n == 0;
    return 0;
}

int krt_schema_check_registry(struct krt_schema_check *c, struct krt_registry *reg,
                              const char *subject, bool level_given, struct krt_error *err)
{
    c->subject = subject;
    const char *src = NULL;
    if (krt_registry_level(reg, subject, &c->reg_level, &src, err))
        return -1;
    if (!level_given) {
        if (krt_schema_compat_level_parse(c->reg_level, &c->level, err)) {
            krt_error_prefix(err, "the registry's level for '%s'", subject);
            c->level = KRT_LEVEL_BACKWARD;
            return -1;
        }
        c->level_source = src;
    }
    if (krt_registry_versions(reg, subject, &c->versions, &c->nversions, err))
        return -1;
    bool transitive = c->level >= KRT_LEVEL_BACKWARD_TRANSITIVE;
    for (size_t i = transitive ? 0 : (c->nversions ? c->nversions - 1 : 0); i < c->nversions; i++) {
        char *text = NULL, label[600];
        int id = -1;
        json_t *refs = NULL;
        if (krt_registry_version(reg, subject, c->versions[i], &text, &id, &refs, err))
            return -1;
        snprintf(label, sizeof(label), "subject '%.500s' version %d (id %d)", subject,
                 c->versions[i], id);
        struct krt_avro_schema s;
        int rc = krt_registry_parse_schema(reg, text, refs, label, &s, err);
        free(text);
        json_decref(refs);
        if (rc || krt_schema_check_add_old(c, &s, label, err))
            return -1;
    }
    if (krt_schema_check_run(c, err))
        return -1;
    /* the registry's own verdict (at its own level) */
    c->reg_compatible = true;
    size_t nchecks = !c->nversions ? 0 : transitive ? c->nversions : 1;
    c->reg = calloc(nchecks ? nchecks : 1, sizeof(*c->reg));
    if (!c->reg)
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    for (size_t i = 0; i < nchecks; i++) {
        struct krt_schema_registry_verdict *v = &c->reg[c->nreg];
        v->version = transitive ? c->versions[i] : -1;
        if (krt_registry_compatible(reg, subject, v->version, c->neu.text, &v->compatible,
                                    &v->messages, &v->unchecked, err))
            return -1;
        c->nreg++;
        if (v->unchecked)
            c->reg_unchecked = true;
        else if (!v->compatible)
            c->reg_compatible = false;
    }
    /* a registry that could not check says nothing to disagree with */
    c->disagree = c->compatible ? !c->reg_compatible : c->reg_compatible && !c->reg_unchecked;
    return 0;
}


int krt_schema_check_register(struct krt_schema_check *c, struct krt_registry *reg,
                              const char *plan_path, struct krt_error *err)
{
    if (c->compatible && c->reg_compatible && c->reg_unchecked)
        return krt_error_set(err, KRT_ERR_REFUSED,
                             "not registering under '%s': the registry could not check the "
                             "schema (krt found it compatible)",
                             c->subject);
    if (!c->compatible || !c->reg_compatible)
        return krt_error_set(err, KRT_ERR_REFUSED,
                             "not registering under '%s': %s found the schema incompatible",
                             c->subject,
                             !c->compatible && !c->reg_compatible ? "krt and the registry both"
                             : !c->compatible                     ? "krt"
                                                                  : "the registry");
    char path[4096];
    if (plan_path) {
        snprintf(path, sizeof(path), "%s", plan_path);
    } else {
        const char *dir = getenv("KRT_UNDO_DIR");
        char safe[200];
        size_t k = 0;
        for (const char *p = c->subject; *p && k < sizeof(safe) - 1; p++)
            safe[k++] = (*p == '/' || *p == ' ') ? '_' : *p;
        safe[k] = '\0';
        struct tm tm;
        time_t now = time(NULL);
        gmtime_r(&now, &tm);
        char ts[32];
        strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
        snprintf(path, sizeof(path), "%s/krt-schema-register-%s-%s.json", dir && *dir ? dir : ".",
                 safe, ts);
    }
    /* the registry's own answer for this text, before any change: a text the
     * subject holds already is not registered again (nothing to undo), and
     * the undo written before the request is exact */
    int id = -1, ver = -1;
    bool existed = false;
    if (krt_registry_lookup(reg, c->subject, c->neu.text, &id, &ver, &existed, err))
        return -1;
    json_t *plan = krt_schema_check_json(c), *before = json_array();
    for (size_t i = 0; i < c->nversions; i++)
        json_array_append_new(before, json_integer(c->versions[i]));
    json_object_set_new(plan, "action", json_string("register"));
    json_object_set_new(plan, "registry", json_string(reg->url));
    json_object_set_new(plan, "subject", json_string(c->subject));
    json_object_set_new(plan, "versions_before", before);
    json_object_set_new(plan, "schema", json_string(c->neu.text));
    char undo[1000];
    if (existed)
        snprintf(undo, sizeof(undo),
                 "none: version %d was registered before this run (nothing was added)", ver);
    else /* the number is the registry's to give: named by the text */
        snprintf(undo, sizeof(undo),
                 "DELETE /subjects/%.400s/versions/V (soft delete), V being the version "
                 "POST /subjects/%.200s answers for this schema",
                 c->subject, c->subject);
    json_object_set_new(plan, "undo", json_string(undo));
    json_object_set_new(plan, "already_registered", json_boolean(existed));
    /* written, fsynced (file and directory) before the request */
    if (krt_json_write_file(path, json_incref(plan), 1, err) || !(c->plan_path = strdup(path))) {
        if (!err->code)
            krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        json_decref(plan);
        return -1;
    }
#ifdef KRT_TEST_HOOKS
    /* KRT_TEST_REGISTER_STOP: stop here, so a test reads the plan exactly as
     * it was before the request (compiled only with -Dtest_hooks=true) */
    if (getenv("KRT_TEST_REGISTER_STOP")) {
        json_decref(plan);
        return krt_error_set(err, KRT_ERR_INTERNAL, "test hook: stopped before the request");
    }
#endif
    if (existed) {
        c->registered_id = id;
        c->registered_version = ver;
        json_object_set_new(plan, "registered", json_pack("{s:i,s:i}", "id", id, "version", ver));
        return krt_json_write_file(path, plan, 0, err);
    }
    if (krt_registry_register(reg, c->subject, c->neu.text, &id, err)) {
        json_decref(plan);
        return -1;
    }
    c->registered_id = id;
    /* the version the registry holds this schema under, from its own answer
     * (someone may have registered concurrently) */
    if (krt_registry_lookup(reg, c->subject, c->neu.text, &id, &ver, NULL, err)) {
        krt_error_prefix(err, "registered under '%s' as id %d, but", c->subject,
                         c->registered_id);
        json_decref(plan);
        return -1;
    }
    c->registered_version = ver;
    snprintf(undo, sizeof(undo), "DELETE /subjects/%.400s/versions/%d (soft delete)", c->subject,
             ver);
    json_object_set_new(plan, "undo", json_string(undo));
    json_object_set_new(plan, "registered", json_pack("{s:i,s:i}", "id", c->registered_id,
                                                       "version", ver));
    return krt_json_write_file(path, plan, 0, err);
}

static const char *direction(const struct krt_schema_reason *r)
{
    return r->new_reads_old ? "new reads old" : "old reads new";
}

void krt_schema_check_print(const struct krt_schema_check *c, FILE *f)
{
    fprintf(f, "level %s (%s); new schema %s; checked against %zu old version(s)\n",
            krt_schema_compat_level_name(c->level), c->level_source, c->neu.origin, c->nolds);
    fprintf(f, "krt: %s\n", c->compatible ? "compatible" : "INCOMPATIBLE");
    for (size_t i = 0; i < c->reasons.n; i++) {
        const struct krt_schema_reason *r = &c->reasons.v[i];
        const char *old = r->old_index >= 0 ? c->old_labels[r->old_index] : "?";
        if (*r->field)
            fprintf(f, "  %s (%s): %s '%s': %s\n", old, direction(r), r->path, r->field, r->msg);
        else
            fprintf(f, "  %s (%s): %s: %s\n", old, direction(r), r->path, r->msg);
    }
    if (!c->subject)
        return;
    fprintf(f, "registry (subject '%s'): %s\n", c->subject,
            !c->reg_compatible ? "INCOMPATIBLE"
            : c->reg_unchecked ? "registry could not check"
                               : "compatible");
    for (size_t i = 0; i < c->nreg; i++) {
        const struct krt_schema_registry_verdict *v = &c->reg[i];
        char ver[32];
        if (v->version < 0)
            snprintf(ver, sizeof(ver), "latest");
        else
            snprintf(ver, sizeof(ver), "version %d", v->version);
        if (v->unchecked) {
            fprintf(f, "  against %s: registry could not check: %s\n", ver, v->unchecked);
            continue;
        }
        fprintf(f, "  against %s: %s", ver, v->compatible ? "compatible" : "incompatible");
        if (!v->messages || !json_array_size(v->messages))
            fprintf(f, " (the registry gave no reasons)\n");
        else
            fputc('\n', f);
        size_t k;
        json_t *m;
        json_array_foreach(v->messages, k, m)
        {
            if (json_is_string(m))
                fprintf(f, "    registry: %s\n", json_string_value(m));
        }
    }
    if (c->disagree)
        fprintf(f, "DISAGREEMENT: krt says %s, the registry says %s\n",
                c->compatible ? "compatible" : "incompatible",
                c->reg_compatible ? "compatible" : "incompatible");
    if (c->registered_id >= 0)
        fprintf(f, "registered: subject '%s' id %d version %d (plan %s)\n", c->subject,
                c->registered_id, c->registered_version, c->plan_path ? c->plan_path : "-");
}

json_t *krt_schema_check_json(const struct krt_schema_check *c)
{
    json_t *doc = json_object(), *reasons = json_array(), *olds = json_array();
    json_object_set_new(doc, "level", json_string(krt_schema_compat_level_name(c->level)));
    json_object_set_new(doc, "level_source", json_string(c->level_source));
    json_object_set_new(doc, "new", json_string(c->neu.origin));
    for (size_t i = 0; i < c->nolds; i++)
        json_array_append_new(olds, json_string(c->old_labels[i]));
    json_object_set_new(doc, "old", olds);
    json_object_set_new(doc, "compatible", json_boolean(c->compatible));
    for (size_t i = 0; i < c->reasons.n; i++) {
        const struct krt_schema_reason *r = &c->reasons.v[i];
        json_t *o = json_object();
        json_object_set_new(o, "old", r->old_index >= 0 ? json_string(c->old_labels[r->old_index])
                                                        : json_null());
        json_object_set_new(o, "direction", json_string(direction(r)));
        json_object_set_new(o, "path", json_string(r->path));
        json_object_set_new(o, "field", *r->field ? json_string(r->field) : json_null());
        json_object_set_new(o, "message", json_string(r->msg));
        json_array_append_new(reasons, o);
    }
    json_object_set_new(doc, "reasons", reasons);
    if (c->subject) {
        json_t *reg = json_object(), *checks = json_array();
        json_object_set_new(reg, "subject", json_string(c->subject));
        json_object_set_new(reg, "compatible", c->reg_compatible && c->reg_unchecked
                                                   ? json_null()
                                                   : json_boolean(c->reg_compatible));
        json_object_set_new(reg, "could_not_check", json_boolean(c->reg_unchecked));
        for (size_t i = 0; i < c->nreg; i++) {
            json_t *o = json_object();
            json_object_set_new(o, "version", c->reg[i].version < 0
                                                  ? json_string("latest")
                                                  : json_integer(c->reg[i].version));
            json_object_set_new(o, "compatible", c->reg[i].unchecked
                                                     ? json_null()
                                                     : json_boolean(c->reg[i].compatible));
            json_object_set_new(o, "could_not_check", c->reg[i].unchecked
                                                          ? json_string(c->reg[i].unchecked)
                                                          : json_null());
            json_object_set_new(o, "messages", c->reg[i].messages
                                                   ? json_incref(c->reg[i].messages)
                                                   : json_null());
            json_array_append_new(checks, o);
        }
        json_object_set_new(reg, "checks", checks);
        json_object_set_new(reg, "disagreement", json_boolean(c->disagree));
        if (c->registered_id >= 0) {
            json_t *r = json_object();
            json_object_set_new(r, "id", json_integer(c->registered_id));
            json_object_set_new(r, "version", c->registered_version >= 0
                                                  ? json_integer(c->registered_version)
                                                  : json_null());
            json_object_set_new(r, "plan", c->plan_path ? json_string(c->plan_path) : json_null());
            json_object_set_new(reg, "registered", r);
        } else {
            json_object_set_new(reg, "registered", json_null());
        }
        json_object_set_new(doc, "registry", reg);
    }
    return doc;
}

void krt_schema_check_free(struct krt_schema_check *c)
{
    for (size_t i = 0; i < c->nolds; i++) {
        krt_avro_schema_free(&c->olds[i]);
        free(c->old_labels[i]);
    }
    free(c->olds);
    free(c->old_labels);
    krt_avro_schema_free(&c->neu);
    krt_schema_compat_free(&c->reasons);
    for (size_t i = 0; i < c->nreg; i++) {
        json_decref(c->reg[i].messages);
        free(c->reg[i].unchecked);
    }
    free(c->reg);
    free(c->plan_path);
    free(c->versions);
    free(c->reg_level);
    memset(c, 0, sizeof(*c));
}
