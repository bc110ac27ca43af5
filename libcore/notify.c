/* notify.c - POST a report as JSON (krt_notify_post, declared in resend.h). */
#define _POSIX_C_SOURCE 200809L
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "resend.h"
#include "timespec.h"

static size_t discard(void *p, size_t size, size_t n, void *u)
{
    (void)p;
    (void)u;
    return size * n;
}

int krt_notify_post(const char *url, json_t *doc, int timeout_ms, struct krt_error *err)
{
    char *body = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (!body)
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    int rc = -1;
    char why[CURL_ERROR_SIZE + 64] = "";
    for (int attempt = 1; h && attempt <= 3; attempt++) {
        char ebuf[CURL_ERROR_SIZE] = "";
        curl_easy_reset(h);
        curl_easy_setopt(h, CURLOPT_URL, url);
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
        if (cc != CURLE_OK)
            snprintf(why, sizeof(why), "%s", ebuf[0] ? ebuf : curl_easy_strerror(cc));
        else
            snprintf(why, sizeof(why), "HTTP status %ld", status);
        if (attempt < 3)
            krt_sleep_ms(250 * attempt); /* 250 ms, then 500 ms */
    }
    if (rc)
        krt_error_set(err, KRT_ERR_KAFKA, "cannot notify '%s' after 3 attempts: %s", url,
                      why[0] ? why : "curl failed");
    curl_slist_free_all(hdr);
    if (h)
        curl_easy_cleanup(h);
    free(body);
    return rc;
}
