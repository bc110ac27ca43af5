/* registry.c - see registry.h */
#define _POSIX_C_SOURCE 200809L
#include "registry.h"

#include "avro_schema.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "props.h"

#define MAX_RESPONSE ((size_t)16 << 20)

struct buf {
    char *p;
    size_t n, cap;
    int too_big;
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *opaque)
{
    struct buf *b = opaque;
    size_t len = size * nmemb;
    if (b->n + len + 1 > MAX_RESPONSE) {
        b->too_big = 1;
        return 0;
    }
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + len + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np)
            return 0;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, len);
    b->n += len;
    b->p[b->n] = '\0';
    return len;
}

static int set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = strdup(v);
    return *dst ? 0 : -1;
}

static int apply_config(struct krt_registry *r, const char *path, struct krt_error *err)
{
    struct krt_props p = {0};
    if (krt_props_parse_file(path, &p, err))
        return -1;
    int rc = 0;
    for (size_t i = 0; i < p.n && !rc; i++) {
        const char *k = p.items[i].key, *v = p.items[i].value;
        if (!strncmp(k, "schema.registry.", 16))
            k += 16;
        if (!strcmp(k, "basic.auth.user.info")) {
            const char *colon = strchr(v, ':');
            if (!colon) {
                rc = krt_error_set(err, KRT_ERR_INPUT,
                                   "%s:%d: 'basic.auth.user.info' must be USER:PASSWORD", path,
                                   p.items[i].line);
                break;
            }
            free(r->user);
            r->user = strndup(v, (size_t)(colon - v));
            rc = set_str(&r->secret, colon + 1);
        } else if (!strcmp(k, "basic.auth.credentials.source")) {
            if (strcmp(v, "USER_INFO"))
                rc = krt_error_set(err, KRT_ERR_INPUT,
                                   "%s:%d: 'basic.auth.credentials.source' must be USER_INFO", path,
                                   p.items[i].line);
        } else if (!strcmp(k, "ssl.ca.location")) {
            rc = set_str(&r->ca, v);
        } else if (!strcmp(k, "ssl.certificate.location")) {
            rc = set_str(&r->cert, v);
        } else if (!strcmp(k, "ssl.key.location")) {
            rc = set_str(&r->key, v);
        } else if (!strcmp(k, "ssl.key.password")) {
            rc = set_str(&r->key_password, v);
        } else if (!strcmp(k, "ssl.endpoint.identification.algorithm")) {
            r->no_verify_host = *v == '\0';
        } else {
            rc = krt_error_set(err, KRT_ERR_INPUT, "%s:%d: unknown registry setting '%s'", path,
                               p.items[i].line, p.items[i].key);
        }
    }
    krt_props_free(&p);
    return rc;
}

int krt_registry_open(struct krt_registry *r, const char *url, const char *config,
                      int timeout_ms, struct krt_error *err)
{
    memset(r, 0, sizeof(*r));
    r->timeout_ms = timeout_ms;
    if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
        return krt_error_set(err, KRT_ERR_USAGE, "--registry needs an http:// or https:// URL");
    const char *auth = strstr(url, "://") + 3, *slash = strchr(auth, '/'), *at = strchr(auth, '@');
    if (at && (!slash || at < slash))
        return krt_error_set(err, KRT_ERR_USAGE,
                             "--registry: put credentials in --registry-config, not in the URL");
    if (!(r->url = strdup(url)))
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    size_t l = strlen(r->url);
    while (l && r->url[l - 1] == '/')
        r->url[--l] = '\0';
    if (config && apply_config(r, config, err)) {
        krt_registry_close(r);
        return -1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (!(r->curl = curl_easy_init())) {
        krt_registry_close(r);
        return krt_error_set(err, KRT_ERR_INTERNAL, "cannot create an HTTP client");
    }
    return 0;
}

void krt_registry_close(struct krt_registry *r)
{
    if (r->curl)
        curl_easy_cleanup(r->curl);
    if (r->secret) {
        volatile char *s = r->secret;
        while (*s)
            *s++ = 0;
    }
    free(r->url);
    free(r->user);
    free(r->secret);
    free(r->ca);
    free(r->cert);
    free(r->key);
    free(r->key_password);
    memset(r, 0, sizeof(*r));
}

/* One request. *status is the HTTP status; *resp the JSON body (or NULL).
 * Transport failures and 401/403 are errors here; other statuses are the
 * caller's to judge. */
static int request(struct krt_registry *r, const char *method, const char *path,
                   const json_t *body, long *status, json_t **resp, struct krt_error *err)
{
    CURL *c = r->curl;
    struct buf b = {0};
    char url[2048];
    snprintf(url, sizeof(url), "%s%s", r->url, path);
    char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Accept: application/vnd.schemaregistry.v1+json, application/json");
    if (payload)
        h = curl_slist_append(h, "Content-Type: application/vnd.schemaregistry.v1+json");
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)r->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)r->timeout_ms);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (payload)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
    if (r->user) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, r->user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, r->secret);
    }
    if (r->ca)
        curl_easy_setopt(c, CURLOPT_CAINFO, r->ca);
    if (r->cert)
        curl_easy_setopt(c, CURLOPT_SSLCERT, r->cert);
    if (r->key)
        curl_easy_setopt(c, CURLOPT_SSLKEY, r->key);
    if (r->key_password)
        curl_easy_setopt(c, CURLOPT_KEYPASSWD, r->key_password);
    if (r->no_verify_host)
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    CURLcode cc = curl_easy_perform(c);
    curl_slist_free_all(h);
    free(payload);
    *resp = NULL;
    *status = 0;
    if (cc != CURLE_OK) {
        free(b.p);
        enum krt_errcode kind = KRT_ERR_UNREACHABLE;
        if (cc == CURLE_WRITE_ERROR && b.too_big)
            kind = KRT_ERR_KAFKA;
        return krt_error_set(err, kind, "cannot reach the registry at '%s' (%s %s): %s", r->url,
                             method, path, curl_easy_strerror(cc));
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    if (*status == 401 || *status == 403) {
        free(b.p);
        return krt_error_set(err, KRT_ERR_AUTH,
                             "the registry at '%s' refused the request (HTTP %ld%s)", r->url,
                             *status, r->user ? ": check the credentials" : ": no credentials given");
    }
    if (b.p)
        *resp = json_loads(b.p, JSON_DECODE_ANY, NULL);
    free(b.p);
    return 0;
}

static int http_fail(struct krt_registry *r, const char *what, long status, json_t *resp,
                     enum krt_errcode kind, struct krt_error *err)
{
    const char *m = json_string_value(json_object_get(resp, "message"));
    krt_error_set(err, kind, "registry at '%s': %s: HTTP %ld%s%s", r->url, what, status,
                  m ? ": " : "", m ? m : "");
    json_decref(resp);
    return -1;
}

/* PREFIX + the URL-escaped subject + SUFFIX (with "%d" for @p version, or
 * "latest" when version < 0). */
static char *subject_path(struct krt_registry *r, const char *prefix, const char *subject,
                          const char *suffix, int version)
{
    char *esc = curl_easy_escape(r->curl, subject, 0);
    if (!esc)
        return NULL;
    char ver[16] = "latest";
    if (version >= 0)
        snprintf(ver, sizeof(ver), "%d", version);
    size_t len = strlen(prefix) + strlen(esc) + strlen(suffix) + sizeof(ver) + 1;
    char *out = malloc(len);
    if (out)
        snprintf(out, len, "%s%s%s%s", prefix, esc, suffix, strstr(suffix, "/versions/") ? ver : "");
    curl_free(esc);
    return out;
}

/* the "references" array of a schema answer, or NULL when it has none */
static json_t *refs_of(json_t *resp)
{
    json_t *refs = json_object_get(resp, "references");
    return json_is_array(refs) && json_array_size(refs) ? json_incref(refs) : NULL;
}

int krt_registry_schema_by_id(struct krt_registry *r, int id, char **text, json_t **refs,
                              struct krt_error *err)
{
    char path[64];
    long st;
    json_t *resp;
    snprintf(path, sizeof(path), "/schemas/ids/%d", id);
    if (request(r, "GET", path, NULL, &st, &resp, err))
        return -1;
    if (st == 404)
        return http_fail(r, "unknown schema id", st, resp, KRT_ERR_INPUT, err);
    const char *s = json_string_value(json_object_get(resp, "schema"));
    if (st != 200 || !s)
        return http_fail(r, "cannot read a schema by id", st, resp, KRT_ERR_KAFKA, err);
    const char *type = json_string_value(json_object_get(resp, "schemaType"));
    if (type && strcmp(type, "AVRO")) {
        krt_error_set(err, KRT_ERR_INPUT, "schema id %d is %s, not Avro", id, type);
        json_decref(resp);
        return -1;
    }
    if (refs)
        *refs = refs_of(resp);
    *text = strdup(s);
    json_decref(resp);
    return *text ? 0 : krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
}

int krt_registry_versions(struct krt_registry *r, const char *subject, int **versions, size_t *n,
                          struct krt_error *err)
{
    long st;
    json_t *resp;
    *versions = NULL;
    *n = 0;
    char *path = subject_path(r, "/subjects/", subject, "/versions", 0);
    if (!path)
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    int rc = request(r, "GET", path, NULL, &st, &resp, err);
    free(path);
    if (rc)
        return -1;
    if (st == 404) {
        json_decref(resp);
        return 0;
    }
    if (st != 200 || !json_is_array(resp))
        return http_fail(r, "cannot list the subject's versions", st, resp, KRT_ERR_KAFKA, err);
    *versions = calloc(json_array_size(resp) + 1, sizeof(int));
    size_t i;
    json_t *v;
    json_array_foreach(resp, i, v)
    {
        if (*versions && json_is_integer(v))
            (*versions)[(*n)++] = (int)json_integer_value(v);
    }
    json_decref(resp);
    return *versions ? 0 : krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
}

int krt_registry_version(struct krt_registry *r, const char *subject, int version, char **text,
                         int *id, json_t **refs, struct krt_error *err)
{
    long st;
    json_t *resp;
    char *path = subject_path(r, "/subjects/", subject, "/versions/", version);
    if (!path)
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    int rc = request(r, "GET", path, NULL, &st, &resp, err);
    free(path);
    if (rc)
        return -1;
    const char *s = json_string_value(json_object_get(resp, "schema"));
    if (st != 200 || !s)
        return http_fail(r, "cannot read a version of the subject", st, resp,
                         st == 404 ? KRT_ERR_INPUT : KRT_ERR_KAFKA, err);
    *id = (int)json_integer_value(json_object_get(resp, "id"));
    if (refs)
        *refs = refs_of(resp);
    *text = strdup(s);
    json_decref(resp);
    return *text ? 0 : krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
}

int krt_registry_level(struct krt_registry *r, const char *subject, char **level,
                       const char **source, struct krt_error *err)
{
    long st;
    json_t *resp;
    char *path = subject_path(r, "/config/", subject, "", 0);
    if (!path)
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    int rc = request(r, "GET", path, NULL, &st, &resp, err);
    free(path);
    if (rc)
        return -1;
    *source = "subject";
    if (st == 404) { /* no level of its own: the global one */
        json_decref(resp);
        if (request(r, "GET", "/config", NULL, &st, &resp, err))
            return -1;
        *source = "global";
    }
    const char *l = json_string_value(json_object_get(resp, "compatibilityLevel"));
    if (!l)
        l = json_string_value(json_object_get(resp, "compatibility"));
    if (st != 200 || !l)
        return http_fail(r, "cannot read the compatibility level", st, resp, KRT_ERR_KAFKA, err);
    *level = strdup(l);
    json_decref(resp);
    return *level ? 0 : krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
}

int krt_registry_compatible(struct krt_registry *r, const char *subject, int version,
                            const char *text, bool *compatible, json_t **messages,
                            char **unchecked, struct krt_error *err)
{
    long st;
    json_t *resp;
    *messages = NULL;
    *unchecked = NULL;
    char *base = subject_path(r, "/compatibility/subjects/", subject, "/versions/", version);
    size_t len = base ? strlen(base) + sizeof("?verbose=true") : 0;
    char *path = base ? malloc(len) : NULL;
    if (path)
        snprintf(path, len, "%s?verbose=true", base); /* Confluent's reasons */
    free(base);
    if (!path)
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    json_t *body = json_pack("{s:s}", "schema", text);
    int rc = request(r, "POST", path, body, &st, &resp, err);
    json_decref(body);
    free(path);
    if (rc)
        return -1;
    json_t *ic = json_object_get(resp, "is_compatible");
    if (st == 422) { /* an answer: this registry cannot check this pair */
        const char *m = json_string_value(json_object_get(resp, "message"));
        size_t len = 32 + (m ? strlen(m) : 0);
        *unchecked = malloc(len);
        if (*unchecked)
            snprintf(*unchecked, len, "HTTP 422%s%s", m ? ": " : "", m ? m : "");
        json_decref(resp);
        return *unchecked ? 0 : krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    }
    if (st != 200 || !json_is_boolean(ic))
        return http_fail(r, "compatibility check", st, resp,
                         st == 404 ? KRT_ERR_INPUT : KRT_ERR_KAFKA, err);
    *compatible = json_is_true(ic);
    json_t *m = json_object_get(resp, "messages");
    if (json_is_array(m))
        *messages = json_incref(m);
    json_decref(resp);
    return 0;
}

/* POST {"schema": TEXT} to /subjects/S + @p suffix */
static int post_schema(struct krt_registry *r, const char *subject, const char *suffix,
                       const char *text, long *st, json_t **resp, struct krt_error *err)
{
    char *path = subject_path(r, "/subjects/", subject, suffix, 0);
    if (!path)
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    json_t *body = json_pack("{s:s}", "schema", text);
    int rc = request(r, "POST", path, body, st, resp, err);
    json_decref(body);
    free(path);
    return rc;
}

int krt_registry_register(struct krt_registry *r, const char *subject, const char *text, int *id,
                          struct krt_error *err)
{
    long st;
    json_t *resp;
    if (post_schema(r, subject, "/versions", text, &st, &resp, err))
        return -1;
    json_t *jid = json_object_get(resp, "id");
    if (st != 200 || !json_is_integer(jid))
        return http_fail(r, "cannot register the schema", st, resp,
                         st == 409 ? KRT_ERR_REFUSED : st == 422 ? KRT_ERR_INPUT : KRT_ERR_KAFKA,
                         err);
    *id = (int)json_integer_value(jid);
    json_decref(resp);
    return 0;
}

int krt_registry_lookup(struct krt_registry *r, const char *subject, const char *text, int *id,
                        int *version, bool *found, struct krt_error *err)
{
    long st;
    json_t *resp;
    if (post_schema(r, subject, "", text, &st, &resp, err))
        return -1;
    if (found)
        *found = st != 404;
    if (found && st == 404) { /* 40401 no such subject, 40403 no such schema under it */
        json_decref(resp);
        return 0;
    }
    json_t *jid = json_object_get(resp, "id"), *jv = json_object_get(resp, "version");
    if (st != 200 || !json_is_integer(jid) || !json_is_integer(jv))
        return http_fail(r, "cannot look the schema up under the subject", st, resp,
                         st == 404 ? KRT_ERR_INPUT : KRT_ERR_KAFKA, err);
    *id = (int)json_integer_value(jid);
    *version = (int)json_integer_value(jv);
    json_decref(resp);
    return 0;
}

#define MAX_REFS 256

static int add_refs(struct krt_registry *r, const json_t *refs, struct krt_registry_refs *out,
                    int depth, struct krt_error *err)
{
    if (depth > 32)
        return krt_error_set(err, KRT_ERR_INPUT,
                             "registry at '%s': schema references nested deeper than 32", r->url);
    size_t i;
    json_t *ref;
    json_array_foreach(refs, i, ref)
    {
        const char *subject = json_string_value(json_object_get(ref, "subject"));
        json_t *jv = json_object_get(ref, "version");
        if (!subject || !json_is_integer(jv))
            return krt_error_set(err, KRT_ERR_INPUT,
                                 "registry at '%s': a schema reference without a subject and "
                                 "version", r->url);
        int version = (int)json_integer_value(jv);
        char label[600];
        snprintf(label, sizeof(label), "reference '%.200s' (subject '%.200s' version %d)",
                 json_string_value(json_object_get(ref, "name")) ? json_string_value(json_object_get(ref, "name")) : "?", subject, version);
        int seen = 0;
        for (size_t k = 0; k < out->n && !seen; k++)
            seen = !strcmp(out->subjects[k], subject) && out->versions[k] == version;
        if (seen)
            continue;
        if (out->n == MAX_REFS)
            return krt_error_set(err, KRT_ERR_INPUT,
                                 "registry at '%s': more than %d schema references", r->url,
                                 MAX_REFS);
        char *text = NULL;
        json_t *inner = NULL;
        int id;
        if (krt_registry_version(r, subject, version, &text, &id, &inner, err)) {
            krt_error_prefix(err, "%s", label);
            return -1;
        }
        /* what it references comes first: named types are defined before use */
        int rc = inner ? add_refs(r, inner, out, depth + 1, err) : 0;
        json_decref(inner);
        if (!rc) {
            out->texts[out->n] = text;
            out->labels[out->n] = strdup(label);
            out->subjects[out->n] = strdup(subject);
            out->versions[out->n] = version;
            if (!out->labels[out->n] || !out->subjects[out->n]) {
                free(out->labels[out->n]);
                free(out->subjects[out->n]);
                rc = krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
            } else {
                out->n++;
                continue;
            }
        }
        free(text);
        return -1;
    }
    return 0;
}

int krt_registry_resolve_refs(struct krt_registry *r, const json_t *refs,
                              struct krt_registry_refs *out, struct krt_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!refs)
        return 0;
    out->texts = calloc(MAX_REFS, sizeof(char *));
    out->labels = calloc(MAX_REFS, sizeof(char *));
    out->subjects = calloc(MAX_REFS, sizeof(char *));
    out->versions = calloc(MAX_REFS, sizeof(int));
    if (!out->texts || !out->labels || !out->subjects || !out->versions) {
        krt_registry_refs_free(out);
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    }
    if (add_refs(r, refs, out, 0, err)) {
        krt_registry_refs_free(out);
        return -1;
    }
    return 0;
}

void krt_registry_refs_free(struct krt_registry_refs *refs)
{
    for (size_t i = 0; i < refs->n; i++) {
        free(refs->texts[i]);
        free(refs->labels[i]);
        free(refs->subjects[i]);
    }
    free(refs->texts);
    free(refs->labels);
    free(refs->subjects);
    free(refs->versions);
    memset(refs, 0, sizeof(*refs));
}

int krt_registry_parse_schema(struct krt_registry *r, const char *text, const json_t *refs,
                              const char *origin, struct krt_avro_schema *out,
                              struct krt_error *err)
{
    struct krt_registry_refs rr;
    if (krt_registry_resolve_refs(r, refs, &rr, err))
        return -1;
    struct krt_avro_parse_opts o = {.refs = (const char *const *)rr.texts,
                                    .ref_origins = (const char *const *)rr.labels,
                                    .nrefs = rr.n,
                                    .java_defaults = 1};
    int rc = krt_avro_schema_parse_opts(text, origin, &o, out, err);
    krt_registry_refs_free(&rr);
    return rc;
}
