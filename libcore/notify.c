/* notify.c - see notify.h */
#define _POSIX_C_SOURCE 200809L
#include "notify.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "timespec.h"

#define NOTIFY_PROTOCOLS "http,https"

static size_t discard(void *p, size_t size, size_t n, void *u)
{
    (void)p;
    (void)u;
    return size * n;
}

/* the scheme, host and port of @p url, or -1 when it does not parse */
static int url_parts(const char *url, char **scheme, char **host, char **port)
{
    *scheme = *host = *port = NULL;
    CURLU *u = curl_url();
    if (!u)
        return -1;
    int rc = -1;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK) {
        if (curl_url_get(u, CURLUPART_HOST, host, 0) != CURLUE_OK)
            *host = NULL; /* file:///path */
        if (curl_url_get(u, CURLUPART_PORT, port, 0) != CURLUE_OK)
            *port = NULL; /* the scheme's default */
        rc = 0;
    }
    curl_url_cleanup(u);
    return rc;
}

static void parts_free(char *scheme, char *host, char *port)
{
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
}

const char *krt_notify_redact(const char *url, char *buf, size_t n)
{
    char *scheme, *host, *port;
    if (url_parts(url, &scheme, &host, &port))
        snprintf(buf, n, "(the URL)");
    else
        snprintf(buf, n, "%s://%s%s%s/…", scheme, host ? host : "", port ? ":" : "",
                 port ? port : "");
    parts_free(scheme, host, port);
    return buf;
}

int krt_notify_check(const char *url, struct krt_error *err)
{
    char *scheme, *host, *port, shown[300];
    int rc = 0;
    if (url_parts(url, &scheme, &host, &port))
        rc = krt_error_set(err, KRT_ERR_USAGE, "--notify: not a URL (give http://HOST[:PORT]/PATH)");
    else if (strcasecmp(scheme, "http") && strcasecmp(scheme, "https"))
        rc = krt_error_set(err, KRT_ERR_USAGE, "--notify: '%s' is neither http nor https",
                           krt_notify_redact(url, shown, sizeof(shown)));
    else if (!host || !*host)
        rc = krt_error_set(err, KRT_ERR_USAGE, "--notify: '%s' names no host",
                           krt_notify_redact(url, shown, sizeof(shown)));
    parts_free(scheme, host, port);
    return rc;
}

int krt_notify_post(const char *url, json_t *doc, int timeout_ms, struct krt_error *err)
{
    char *body = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (!body)
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    if (krt_notify_check(url, err)) {
        free(body);
        return -1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    int rc = -1;
    char why[CURL_ERROR_SIZE + 64] = "";
    for (int attempt = 1; h && attempt <= 3; attempt++) {
        char ebuf[CURL_ERROR_SIZE] = "";
        curl_easy_reset(h);
        curl_easy_setopt(h, CURLOPT_URL, url);
        /* a URL given for http must not reach a file or another protocol */
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, NOTIFY_PROTOCOLS);
        curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, NOTIFY_PROTOCOLS);
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        CURLcode cc = curl_easy_perform(h);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (cc == CURLE_OK && status >= 200 && status < 300) {
            rc = 0;
            break;
        }
        /* curl's own messages name the host, never the path or query */
        if (cc != CURLE_OK)
            snprintf(why, sizeof(why), "%s", ebuf[0] ? ebuf : curl_easy_strerror(cc));
        else
            snprintf(why, sizeof(why), "HTTP status %ld", status);
        if (attempt < 3)
            krt_sleep_ms(250 * attempt); /* 250 ms, then 500 ms */
    }
    if (rc) {
        char shown[300];
        krt_error_set(err, KRT_ERR_KAFKA, "cannot notify '%s' after 3 attempts: %s",
                      krt_notify_redact(url, shown, sizeof(shown)), why[0] ? why : "curl failed");
    }
    curl_slist_free_all(hdr);
    if (h)
        curl_easy_cleanup(h);
    free(body);
    return rc;
}
