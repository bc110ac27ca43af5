/* props.c - see props.h */
#define _POSIX_C_SOURCE 200809L
#include "props.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int krt_props_add(struct krt_props *p, const char *key, const char *value, int line)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        struct krt_prop *v = realloc(p->items, cap * sizeof(*v));
        if (!v)
            return -1;
        p->items = v;
        p->cap = cap;
    }
    struct krt_prop *it = &p->items[p->n];
    it->key = strdup(key);
    it->value = strdup(value);
    it->line = line;
    if (!it->key || !it->value) {
        free(it->key);
        free(it->value);
        return -1;
    }
    p->n++;
    return 0;
}

const char *krt_props_get(const struct krt_props *p, const char *key)
{
    for (size_t i = p->n; i-- > 0;)
        if (!strcmp(p->items[i].key, key))
            return p->items[i].value;
    return NULL;
}

void krt_props_free(struct krt_props *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->items[i].key);
        free(p->items[i].value);
    }
    free(p->items);
    free(p->origin);
    *p = (struct krt_props){0};
}

/* A growable byte buffer for one logical line after unescaping. */
struct buf {
    char *s;
    size_t n, cap;
};

static int buf_put(struct buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *t = realloc(b->s, cap);
        if (!t)
            return -1;
        b->s = t;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
    return 0;
}

static int put_utf8(struct buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    }
    return buf_put(b, u, n);
}

/* Unescape s[0..n) into b; @returns 0 or -1 with a message in err. */
static int unescape(const char *s, size_t n, struct buf *b, const char *origin, int line,
                    struct krt_error *err)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c != '\\' || i + 1 == n) {
            if (buf_put(b, &c, 1))
                return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
            continue;
        }
        c = s[++i];
        switch (c) {
        case 't': c = '\t'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 'f': c = '\f'; break;
        case 'u': {
            unsigned cp = 0;
            if (i + 4 >= n)
                return krt_error_set(err, KRT_ERR_INPUT, "%s:%d: malformed \\u escape",
                                     origin, line);
            for (int k = 1; k <= 4; k++) {
                char h = s[i + k];
                if (!isxdigit((unsigned char)h))
                    return krt_error_set(err, KRT_ERR_INPUT, "%s:%d: malformed \\u escape",
                                         origin, line);
                cp = cp * 16 + (unsigned)(isdigit((unsigned char)h) ? h - '0'
                                                                   : (tolower(h) - 'a' + 10));
            }
            i += 4;
            if (put_utf8(b, cp))
                return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
            continue;
        }
        default: break; /* \x means x, as in java.util.Properties */
        }
        if (buf_put(b, &c, 1))
            return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    }
    return 0;
}

/* Parse one logical line (continuations already joined, escapes intact). */
static int parse_logical(const char *s, size_t n, const char *origin, int line,
                         struct krt_props *out, struct krt_error *err)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\f'))
        i++;
    if (i == n || s[i] == '#' || s[i] == '!')
        return 0;
    size_t ks = i;
    while (i < n && s[i] != '=' && s[i] != ':' && s[i] != ' ' && s[i] != '\t' &&
           s[i] != '\f') {
        if (s[i] == '\\')
            i++;
        i++;
    }
    if (i > n)
        i = n;
    size_t ke = i;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\f'))
        i++;
    if (i < n && (s[i] == '=' || s[i] == ':'))
        i++;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\f'))
        i++;
    struct buf k = {0}, v = {0};
    int rc = -1;
    if (unescape(s + ks, ke - ks, &k, origin, line, err) ||
        unescape(s + i, n - i, &v, origin, line, err))
        goto out;
    if (!k.s || !*k.s) {
        krt_error_set(err, KRT_ERR_INPUT, "%s:%d: missing key", origin, line);
        goto out;
    }
    if (krt_props_add(out, k.s, v.s ? v.s : "", line)) {
        krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        goto out;
    }
    rc = 0;
out:
    free(k.s);
    free(v.s);
    return rc;
}

/* Does the physical line end in an odd number of backslashes? */
static int continues(const char *s, size_t n)
{
    size_t bs = 0;
    while (bs < n && s[n - 1 - bs] == '\\')
        bs++;
    return bs % 2 == 1;
}

int krt_props_parse_string(const char *text, const char *origin, struct krt_props *out,
                           struct krt_error *err)
{
    const char *p = text;
    int line = 0;
    struct buf logical = {0};
    int start_line = 0;
    int rc = 0;
    if (origin && !out->origin)
        out->origin = strdup(origin);
    if (!origin)
        origin = "<config>";
    while (*p) {
        const char *e = p + strcspn(p, "\r\n");
        size_t n = (size_t)(e - p);
        line++;
        const char *seg = p;
        if (logical.n > 0) { /* continuation: leading blanks are dropped */
            while (n && (*seg == ' ' || *seg == '\t' || *seg == '\f')) {
                seg++;
                n--;
            }
        } else {
            start_line = line;
        }
        /* A comment line never continues. */
        const char *t = seg;
        while (t < seg + n && (*t == ' ' || *t == '\t'))
            t++;
        int is_comment = logical.n == 0 && t < seg + n && (*t == '#' || *t == '!');
        int cont = !is_comment && continues(seg, n);
        if (buf_put(&logical, seg, cont ? n - 1 : n)) {
            rc = krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
            break;
        }
        if (!cont) {
            if (parse_logical(logical.s, logical.n, origin, start_line, out, err)) {
                rc = -1;
                break;
            }
            logical.n = 0;
        }
        p = e;
        if (*p == '\r' && p[1] == '\n')
            p += 2;
        else if (*p)
            p++;
    }
    if (!rc && logical.n > 0)
        rc = parse_logical(logical.s, logical.n, origin, start_line, out, err);
    free(logical.s);
    return rc;
}

int krt_props_parse_file(const char *path, struct krt_props *out, struct krt_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return krt_error_set(err, KRT_ERR_IO, "cannot read '%s': %s", path, strerror(errno));
    struct buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (buf_put(&b, chunk, n)) {
            fclose(f);
            free(b.s);
            return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        }
    int rerr = ferror(f);
    fclose(f);
    if (rerr) {
        free(b.s);
        return krt_error_set(err, KRT_ERR_IO, "cannot read '%s'", path);
    }
    if (b.s && memchr(b.s, '\0', b.n)) {
        free(b.s);
        return krt_error_set(err, KRT_ERR_INPUT, "'%s' is not a text file", path);
    }
    int rc = krt_props_parse_string(b.s ? b.s : "", path, out, err);
    free(b.s);
    return rc;
}

/* The characters of a librdkafka property name. */
#define KEY_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"

int krt_props_parse_kv(const char *arg, struct krt_props *out, struct krt_error *err)
{
    /* Never echo what follows the key: in "sasl.password:hunter2" (a ':'
     * for the '=') or "sasl.password hunter2" it is the secret. Only the
     * leading run of property-name characters is named. */
    size_t kl = strspn(arg, KEY_CHARS);
    if (kl == 0)
        return krt_error_set(err, KRT_ERR_USAGE,
                             "-X needs KEY=VALUE with a property name before the '='");
    if (arg[kl] != '=')
        return krt_error_set(err, KRT_ERR_USAGE,
                             "-X needs KEY=VALUE: '%.*s' is not followed by '='%s",
                             (int)(kl > 200 ? 200 : kl), arg,
                             arg[kl] ? " (the rest is not shown)" : "");
    char *key = strndup(arg, kl);
    if (!key)
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    int rc = krt_props_add(out, key, arg + kl + 1, 0);
    free(key);
    return rc ? krt_error_set(err, KRT_ERR_INTERNAL, "out of memory") : 0;
}

int krt_props_is_secret(const char *key)
{
    /* Whatever the case: "SASL.PASSWORD" is not a librdkafka key, but its
     * value would still be a password in an error message. */
    static const char *const words[] = {"password", "secret", "token",       "key",
                                        "credential", "jaas", "oauthbearer.config"};
    char low[256];
    size_t n = strlen(key);
    if (n >= sizeof(low))
        return 1; /* no property name is that long: treat it as secret */
    for (size_t i = 0; i <= n; i++)
        low[i] = (char)tolower((unsigned char)key[i]);
    for (size_t i = 0; i < sizeof(words) / sizeof(*words); i++)
        if (strstr(low, words[i]))
            return 1;
    return 0;
}

/* Read a JAAS option value: "quoted" (with \" escapes) or a bare word. */
static const char *jaas_value(const char *p, char **out)
{
    struct buf b = {0};
    if (*p == '"') {
        p++;
        while (*p && *p != '"') {
            if (*p == '\\' && p[1])
                p++;
            if (buf_put(&b, p, 1))
                return NULL;
            p++;
        }
        if (*p != '"') {
            free(b.s);
            return NULL;
        }
        p++;
    } else {
        while (*p && !isspace((unsigned char)*p) && *p != ';') {
            if (buf_put(&b, p, 1))
                return NULL;
            p++;
        }
    }
    *out = b.s ? b.s : strdup("");
    return p;
}

int krt_jaas_parse(const char *jaas, char **user, char **pass, struct krt_error *err)
{
    *user = *pass = NULL;
    const char *p = jaas;
    while (isspace((unsigned char)*p))
        p++;
    size_t ml = strcspn(p, " \t\r\n");
    static const char *const ok[] = {
        "org.apache.kafka.common.security.plain.PlainLoginModule",
        "org.apache.kafka.common.security.scram.ScramLoginModule"};
    int known = 0;
    for (size_t i = 0; i < 2; i++)
        if (ml == strlen(ok[i]) && !strncmp(p, ok[i], ml))
            known = 1;
    /* The value is secret: its first word is named only when it is a login
     * module's class name, never when it is a mistyped password. */
    if (!known && ml > 11 && ml <= 200 && !strncmp(p + ml - 11, "LoginModule", 11) &&
        strspn(p, KEY_CHARS) >= ml)
        return krt_error_set(err, KRT_ERR_INPUT,
                             "sasl.jaas.config: login module '%.*s' is not supported "
                             "(only PlainLoginModule and ScramLoginModule map to librdkafka)",
                             (int)ml, p);
    if (!known)
        return krt_error_set(err, KRT_ERR_INPUT,
                             "sasl.jaas.config: expected PlainLoginModule or ScramLoginModule "
                             "first (the value is not shown)");
    p += ml;
    while (isspace((unsigned char)*p))
        p++;
    size_t fl = strcspn(p, " \t\r\n;");
    if (!(fl == 8 && !strncmp(p, "required", 8)))
        return krt_error_set(err, KRT_ERR_INPUT,
                             "sasl.jaas.config: expected the flag 'required' after the login module");
    p += fl;
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p || *p == ';')
            break;
        size_t nl = strcspn(p, "= \t");
        char name[64];
        if (nl == 0 || nl >= sizeof(name) || p[nl] != '=')
            goto bad;
        memcpy(name, p, nl);
        name[nl] = '\0';
        char *val = NULL;
        p = jaas_value(p + nl + 1, &val);
        if (!p)
            goto bad;
        if (!strcmp(name, "username")) {
            free(*user);
            *user = val;
        } else if (!strcmp(name, "password")) {
            free(*pass);
            *pass = val;
        } else {
            free(val); /* e.g. tokenauth=... : not needed by librdkafka */
        }
    }
    if (!*user || !*pass) {
        free(*user);
        free(*pass);
        *user = *pass = NULL;
        return krt_error_set(err, KRT_ERR_INPUT,
                             "sasl.jaas.config: username and password are both required");
    }
    return 0;
bad:
    free(*user);
    free(*pass);
    *user = *pass = NULL;
    return krt_error_set(err, KRT_ERR_INPUT, "sasl.jaas.config: malformed option list");
}

/* Java keys that mean the same thing under the same name in librdkafka. */
static const char *const same_name[] = {
    "bootstrap.servers",
    "security.protocol",
    "client.id",
    "sasl.kerberos.service.name",
    "ssl.key.password",
    "ssl.endpoint.identification.algorithm",
    "metadata.max.age.ms",
    "reconnect.backoff.ms",
    "reconnect.backoff.max.ms",
    "retry.backoff.ms",
    "socket.connection.setup.timeout.ms",
    "receive.buffer.bytes",
    "send.buffer.bytes",
};

/* Java keys with a different librdkafka name. */
static const struct {
    const char *java, *rdkafka;
} renamed[] = {
    {"sasl.mechanism", "sasl.mechanisms"},
    {"ssl.truststore.certificates", "ssl.ca.pem"},
    {"ssl.keystore.certificate.chain", "ssl.certificate.pem"},
    {"ssl.keystore.key", "ssl.key.pem"},
};

/* "path:line" of a property, for messages; "--command-config" without one. */
static void where(const struct krt_props *j, const struct krt_prop *p, char *b, size_t n)
{
    if (j->origin && p->line)
        snprintf(b, n, "%s:%d", j->origin, p->line);
    else
        snprintf(b, n, "%s", j->origin ? j->origin : "--command-config");
}

static int add(struct krt_props *out, const char *k, const char *v, struct krt_error *err)
{
    return krt_props_add(out, k, v, 0) ? krt_error_set(err, KRT_ERR_INTERNAL, "out of memory")
                                        : 0;
}

int krt_props_to_rdkafka(const struct krt_props *java, struct krt_props *out,
                         struct krt_error *err)
{
    const char *ts_type = krt_props_get(java, "ssl.truststore.type");
    const char *ks_type = krt_props_get(java, "ssl.keystore.type");
    char at[600];
    for (size_t i = 0; i < java->n; i++) {
        const struct krt_prop *p = &java->items[i];
        const char *k = p->key;
        int done = 0;
        where(java, p, at, sizeof(at));
        for (size_t s = 0; s < sizeof(same_name) / sizeof(*same_name) && !done; s++)
            if (!strcmp(k, same_name[s])) {
                const char *v = p->value;
                /* Java's empty identification algorithm disables host checks. */
                if (!strcmp(k, "ssl.endpoint.identification.algorithm") && !*v)
                    v = "none";
                if (add(out, k, v, err))
                    return -1;
                done = 1;
            }
        for (size_t s = 0; s < sizeof(renamed) / sizeof(*renamed) && !done; s++)
            if (!strcmp(k, renamed[s].java)) {
                if (add(out, renamed[s].rdkafka, p->value, err))
                    return -1;
                done = 1;
            }
        if (done)
            continue;
        if (!strcmp(k, "sasl.jaas.config")) {
            char *u, *pw;
            if (krt_jaas_parse(p->value, &u, &pw, err)) {
                krt_error_prefix(err, "%s", at);
                return -1;
            }
            int rc = add(out, "sasl.username", u, err) || add(out, "sasl.password", pw, err);
            free(u);
            free(pw);
            if (rc)
                return -1;
        } else if (!strcmp(k, "ssl.truststore.location")) {
            if (!ts_type || strcasecmp(ts_type, "PEM"))
                return krt_error_set(err, KRT_ERR_INPUT,
                                     "%s: cannot map 'ssl.truststore.location' of type %s: "
                                     "librdkafka reads PEM only (convert it and set "
                                     "ssl.truststore.type=PEM)",
                                     at, ts_type ? ts_type : "JKS");
            if (add(out, "ssl.ca.location", p->value, err))
                return -1;
        } else if (!strcmp(k, "ssl.keystore.location")) {
            if (!ks_type || strcasecmp(ks_type, "PKCS12"))
                return krt_error_set(err, KRT_ERR_INPUT,
                                     "%s: cannot map 'ssl.keystore.location' of type %s: "
                                     "librdkafka reads PKCS12 keystores only",
                                     at, ks_type ? ks_type : "JKS");
            if (add(out, "ssl.keystore.location", p->value, err))
                return -1;
        } else if (!strcmp(k, "ssl.keystore.password")) {
            if (ks_type && !strcasecmp(ks_type, "PKCS12") &&
                add(out, "ssl.keystore.password", p->value, err))
                return -1;
        } else if (!strcmp(k, "ssl.truststore.type") || !strcmp(k, "ssl.keystore.type") ||
                   !strcmp(k, "ssl.truststore.password")) {
            /* consumed with the location they qualify; a PEM truststore has
             * no password in librdkafka */
        } else {
            return krt_error_set(err, KRT_ERR_INPUT,
                                 "%s: cannot map Java client property '%s' to librdkafka "
                                 "(use -X with a librdkafka property instead)",
                                 at, k);
        }
    }
    return 0;
}
