/* configs.c - see configs.h */
#define _POSIX_C_SOURCE 200809L
#include "configs.h"

#include <stdlib.h>
#include <string.h>

#include "admin.h"

#include "meta.h"

/* Copy one described resource into @p out. */
static int take_resource(const rd_kafka_ConfigResource_t *r, struct krt_config_set *out)
{
    out->err = rd_kafka_ConfigResource_error(r);
    size_t cn = 0;
    const rd_kafka_ConfigEntry_t **ce = rd_kafka_ConfigResource_configs(r, &cn);
    out->v = calloc(cn + 1, sizeof(*out->v));
    if (!out->v)
        return -1;
    for (size_t k = 0; k < cn; k++) {
        struct krt_config_entry *e = &out->v[out->n++];
        const char *val = rd_kafka_ConfigEntry_value(ce[k]);
        e->name = strdup(rd_kafka_ConfigEntry_name(ce[k]));
        e->sensitive = rd_kafka_ConfigEntry_is_sensitive(ce[k]);
        e->value = val && !e->sensitive ? strdup(val) : NULL;
        e->source = rd_kafka_ConfigEntry_source(ce[k]);
        e->is_default = rd_kafka_ConfigEntry_is_default(ce[k]);
        e->read_only = rd_kafka_ConfigEntry_is_read_only(ce[k]);
        if (!e->name)
            return -1;
    }
    return 0;
}

struct describe_req {
    rd_kafka_ConfigResource_t **res;
    size_t n;
};

static void send_describe(rd_kafka_t *rk, const rd_kafka_AdminOptions_t *o, rd_kafka_queue_t *q,
                          void *req)
{
    struct describe_req *r = req;
    rd_kafka_DescribeConfigs(rk, r->res, r->n, o, q);
}

struct describe_out {
    const char *const *names;
    int n;
    struct krt_config_set *out;
};

/* Take the resources of one answer; matched by name (see krt_admin_call_many) */
static int take_answer(void *opaque, rd_kafka_event_t *ev, struct krt_error *err)
{
    struct describe_out *d = opaque;
    size_t rn = 0;
    const rd_kafka_ConfigResource_t **rr =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &rn);
    for (size_t k = 0; k < rn; k++)
        for (int i = 0; i < d->n; i++)
            if (!d->out[i].v && !strcmp(rd_kafka_ConfigResource_name(rr[k]), d->names[i])) {
                if (take_resource(rr[k], &d->out[i]))
                    return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
                break;
            }
    return 0;
}

static int describe_once(struct krt_conn *conn, bool broker, const char *const *names, int n,
                         struct krt_config_set *out, struct krt_error *err)
{
    memset(out, 0, sizeof(*out) * (size_t)n);
    if (n == 0)
        return 0;
    /* librdkafka takes one BROKER resource per request (it goes to that
     * broker): one request each, all in flight at once */
    int nreq = broker ? n : 1, cnt = broker ? 1 : n, rc = 0;
    struct describe_req *reqs = calloc((size_t)nreq, sizeof(*reqs));
    void **ptrs = calloc((size_t)nreq, sizeof(*ptrs));
    if (!reqs || !ptrs)
        rc = krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    for (int i = 0; !rc && i < n; i++)
        if (!(out[i].name = strdup(names[i])))
            rc = krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    for (int q = 0; !rc && q < nreq; q++) {
        reqs[q] = (struct describe_req){.res = calloc((size_t)cnt, sizeof(*reqs[q].res)),
                                        .n = (size_t)cnt};
        ptrs[q] = &reqs[q];
        if (!reqs[q].res) {
            rc = krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
            break;
        }
        for (int i = 0; i < cnt; i++)
            reqs[q].res[i] = rd_kafka_ConfigResource_new(
                broker ? RD_KAFKA_RESOURCE_BROKER : RD_KAFKA_RESOURCE_TOPIC, names[broker ? q : i]);
    }
    struct describe_out d = {names, n, out};
    if (!rc)
        rc = krt_admin_call_many(conn, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS,
                                 RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, send_describe, ptrs, nreq,
                                 broker ? "cannot describe broker configs"
                                        : "cannot describe topic configs",
                                 take_answer, &d, err);
    for (int q = 0; reqs && q < nreq; q++) {
        for (size_t i = 0; reqs[q].res && i < reqs[q].n; i++)
            if (reqs[q].res[i])
                rd_kafka_ConfigResource_destroy(reqs[q].res[i]);
        free(reqs[q].res);
    }
    free(reqs);
    free(ptrs);
    for (int i = 0; !rc && i < n; i++)
        if (!out[i].v)
            out[i].err = RD_KAFKA_RESP_ERR__NOENT;
    /* On failure a late answer may still reach the queue; answers are matched
     * by resource name, so a later call can only take it for the same resource. */
    if (rc)
        krt_configs_free(out, n);
    return rc;
}

int krt_configs_describe(struct krt_conn *conn, bool broker, const char *const *names, int n,
                         struct krt_config_set *out, struct krt_error *err)
{
    if (!describe_once(conn, broker, names, n, out, err))
        return 0;
    /* Topic configs go to any broker; right after a broker died, the one
     * librdkafka picked may be it: refresh the metadata and ask once more.
     * (A broker's own configs can only come from that broker.) */
    struct krt_metadata md;
    if (broker || err->code != KRT_ERR_UNREACHABLE || krt_meta_fetch(conn, &md, err))
        return -1;
    krt_meta_free(&md);
    return describe_once(conn, broker, names, n, out, err);
}

const char *krt_config_get(const struct krt_config_set *s, const char *key)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->v[i].name, key))
            return s->v[i].value;
    return NULL;
}

bool krt_config_is_topic_override(const struct krt_config_entry *e)
{
    return e->source == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG;
}

void krt_configs_free(struct krt_config_set *s, int n)
{
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < s[i].n; k++) {
            free(s[i].v[k].name);
            free(s[i].v[k].value);
        }
        free(s[i].v);
        free(s[i].name);
        s[i] = (struct krt_config_set){0};
    }
}
