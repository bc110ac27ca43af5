/* conn.c - see conn.h */
#define _POSIX_C_SOURCE 200809L
#include "conn.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* read by other threads too (the fetch wake-up): an atomic, lock-free and
 * so safe in a signal handler */
static atomic_int interrupted;
static rd_kafka_queue_t *volatile wake_queue;

int krt_interrupted(void) { return interrupted != 0; }

static void on_signal(int sig)
{
    if (interrupted) {
        /* second Ctrl-C: the operator insists */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    interrupted = 1;
    if (wake_queue)
        rd_kafka_queue_yield(wake_queue);
}

void krt_conn_trap_signals(struct krt_conn *conn)
{
    wake_queue = conn->q;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    const struct krt_conn *conn = rd_kafka_opaque(rk);
    int verbosity = conn && conn->common ? conn->common->verbosity : 1;
    /* librdkafka logs every refused connection; operators see our one-line
     * error instead, unless they asked for more with -v. */
    if (verbosity >= 3 || (verbosity >= 2 && level <= 4))
        fprintf(stderr, "%s: librdkafka %s: %s\n",
                conn && conn->common ? conn->common->prog : "krt", fac, buf);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)rk;
    struct krt_conn *conn = opaque;
    if (!conn)
        return;
    /* Remember the most telling error: an authentication failure must not
     * be hidden behind a later generic transport error. */
    if (conn->last_err == RD_KAFKA_RESP_ERR__AUTHENTICATION &&
        err != RD_KAFKA_RESP_ERR__AUTHENTICATION)
        return;
    conn->last_err = err;
    snprintf(conn->last_errstr, sizeof(conn->last_errstr), "%s", reason);
}

/* The name librdkafka gets for @p key: kcat's "topic." prefix for
 * topic-level properties is dropped (but not from the global topic.* ones). */
static const char *conf_name(const char *key)
{
    if (!strncmp(key, "topic.", 6) && strcmp(key, "topic.metadata.refresh.interval.ms") &&
        strncmp(key, "topic.metadata.", 15) && strcmp(key, "topic.blacklist"))
        return key + 6;
    return key;
}

static int set(rd_kafka_conf_t *conf, const char *key, const char *val, const char *src,
               struct krt_error *err)
{
    char errstr[512];
    const char *k = conf_name(key);
    if (rd_kafka_conf_set(conf, k, val, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        if (krt_props_is_secret(k))
            return krt_error_set(err, KRT_ERR_USAGE, "%s: invalid value for '%s'", src, k);
        return krt_error_set(err, KRT_ERR_USAGE, "%s: %s", src, errstr);
    }
    return 0;
}

static bool locked(const char *key)
{
    static const char *const keys[] = {
        "isolation.level",       "enable.partition.eof", "auto.offset.reset",
        "enable.auto.commit",    "enable.auto.offset.store", "group.id",
        "group.instance.id",     "transactional.id",     "enable.idempotence",
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
        if (!strcmp(key, keys[i]))
            return true;
    return false;
}

int krt_conn_conf(const struct krt_common *c, enum krt_conn_kind kind,
                  const struct krt_props *extra, rd_kafka_conf_t **out, struct krt_error *err)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char buf[64], client_id[128];
    snprintf(client_id, sizeof(client_id), "%s", c->prog);
    if (set(conf, "bootstrap.servers", c->bootstrap, "--bootstrap-server", err) ||
        set(conf, "client.id", client_id, "default", err))
        goto fail;
    snprintf(buf, sizeof(buf), "%d", c->timeout_ms);
    if (set(conf, "socket.timeout.ms", buf, "--timeout", err))
        goto fail;
    if (kind != KRT_CONN_PRODUCER &&
        set(conf, "isolation.level", "read_uncommitted", "default", err))
        goto fail;
    if (kind == KRT_CONN_CONSUMER && (set(conf, "enable.auto.commit", "false", "default", err) ||
                                      set(conf, "auto.offset.reset", "error", "default", err)))
        goto fail;
    if (c->command_config) {
        struct krt_props java = {0}, rdk = {0};
        int rc = krt_props_parse_file(c->command_config, &java, err);
        if (!rc)
            rc = krt_props_to_rdkafka(&java, &rdk, err);
        for (size_t i = 0; !rc && i < rdk.n; i++)
            rc = set(conf, rdk.items[i].key, rdk.items[i].value, c->command_config, err);
        krt_props_free(&java);
        krt_props_free(&rdk);
        if (rc)
            goto fail;
    }
    for (size_t i = 0; extra && i < extra->n; i++)
        if (set(conf, extra->items[i].key, extra->items[i].value, "internal setting", err))
            goto fail;
    for (size_t i = 0; i < c->x.n; i++) {
        /* the tool's settings that its correctness rests on (what it reads,
         * where it starts, how it commits) are not for -X to change: a
         * conflicting -X is refused rather than silently obeyed; tuning
         * settings (queues, timeouts) stay the operator's */
        const char *name = conf_name(c->x.items[i].key); /* -X topic.K is K */
        const char *v = extra && locked(name) ? krt_props_get(extra, name) : NULL;
        if (v && strcmp(v, c->x.items[i].value)) {
            krt_error_set(err, KRT_ERR_USAGE, "-X %s: %s needs %s=%s; it cannot be changed",
                          c->x.items[i].key, c->prog, name, v);
            goto fail;
        }
        if (set(conf, c->x.items[i].key, c->x.items[i].value, "-X", err))
            goto fail;
    }
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    *out = conf;
    return 0;
fail:
    rd_kafka_conf_destroy(conf);
    return -1;
}

int krt_conn_create(struct krt_conn *conn, const struct krt_common *c, enum krt_conn_kind kind,
                    const struct krt_props *extra,
                    void (*rebalance_cb)(rd_kafka_t *, rd_kafka_resp_err_t,
                                         rd_kafka_topic_partition_list_t *, void *),
                    struct krt_error *err)
{
    *conn = (struct krt_conn){0};
    conn->common = c;
    conn->timeout_ms = c->timeout_ms;
    rd_kafka_conf_t *conf;
    if (krt_conn_conf(c, kind, extra, &conf, err))
        return -1;
    rd_kafka_conf_set_opaque(conf, conn);
    if (rebalance_cb && kind == KRT_CONN_CONSUMER)
        rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    char errstr[512];
    rd_kafka_t *rk = rd_kafka_new(kind == KRT_CONN_PRODUCER ? RD_KAFKA_PRODUCER
                                                            : RD_KAFKA_CONSUMER,
                                  conf, errstr, sizeof(errstr));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return krt_error_set(err, KRT_ERR_USAGE, "cannot create Kafka client: %s", errstr);
    }
    conn->rk = rk;
    conn->q = rd_kafka_queue_new(rk);
    return 0;
}

int krt_conn_open(struct krt_conn *conn, const struct krt_common *c, enum krt_conn_kind kind,
                  const struct krt_props *extra, struct krt_error *err)
{
    if (krt_conn_create(conn, c, kind, extra, NULL, err))
        return -1;
    rd_kafka_t *rk = conn->rk;
    /* Reachability check: one metadata round trip within the timeout. */
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, NULL, &md, conn->timeout_ms);
    if (md)
        rd_kafka_metadata_destroy(md);
    if (e)
        rd_kafka_poll(rk, 100); /* serve error_cb: it says why (refused, auth) */
    if (e) {
        int cause = conn->last_err ? conn->last_err : e;
        const char *why = conn->last_errstr[0] ? conn->last_errstr : rd_kafka_err2str(e);
        krt_error_set(err,
                      cause == RD_KAFKA_RESP_ERR__AUTHENTICATION ? KRT_ERR_AUTH
                                                                 : KRT_ERR_UNREACHABLE,
                      "cannot reach cluster at '%s': %s", c->bootstrap, why);
        err->kafka_err = cause;
        krt_conn_close(conn);
        return -1;
    }
    return 0;
}

void krt_conn_close(struct krt_conn *conn)
{
    if (!conn->rk)
        return;
    if (wake_queue == conn->q)
        wake_queue = NULL;
    if (conn->q)
        rd_kafka_queue_destroy(conn->q);
    rd_kafka_destroy(conn->rk);
    conn->rk = NULL;
    conn->q = NULL;
}

rd_kafka_AdminOptions_t *krt_conn_admin_options(struct krt_conn *conn, rd_kafka_admin_op_t op,
                                                struct krt_error *err)
{
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(conn->rk, op);
    char errstr[256];
    if (!o) {
        krt_error_set(err, KRT_ERR_INTERNAL, "cannot create admin options");
        return NULL;
    }
    if (rd_kafka_AdminOptions_set_request_timeout(o, conn->timeout_ms, errstr,
                                                  sizeof(errstr))) {
        rd_kafka_AdminOptions_destroy(o);
        krt_error_set(err, KRT_ERR_INTERNAL, "admin options: %s", errstr);
        return NULL;
    }
    return o;
}

rd_kafka_event_t *krt_conn_wait_admin(struct krt_conn *conn, rd_kafka_event_type_t type,
                                      const char *what, struct krt_error *err)
{
    /* The admin request has its own timeout; allow it to report first. */
    int64_t budget = (int64_t)conn->timeout_ms + 5000;
    while (budget > 0) {
        if (krt_interrupted()) {
            krt_error_set(err, KRT_ERR_INTERRUPTED, "%s: interrupted", what);
            return NULL;
        }
        rd_kafka_event_t *ev = rd_kafka_queue_poll(conn->q, 200);
        budget -= 200;
        if (!ev)
            continue;
        if (rd_kafka_event_type(ev) != type) {
            rd_kafka_event_destroy(ev);
            continue;
        }
        if (rd_kafka_event_error(ev)) {
            krt_error_kafka(err, rd_kafka_event_error(ev), "%s", what);
            const char *s = rd_kafka_event_error_string(ev);
            if (s && *s && !strstr(err->msg, s)) {
                size_t l = strlen(err->msg);
                snprintf(err->msg + l, sizeof(err->msg) - l, " (%s)", s);
            }
            rd_kafka_event_destroy(ev);
            return NULL;
        }
        return ev;
    }
    krt_error_set(err, KRT_ERR_UNREACHABLE, "%s: no answer within %d ms", what,
                  conn->timeout_ms);
    return NULL;
}
