/* fetchwake.c - see fetchwake.h */
#define _POSIX_C_SOURCE 200809L
#include "fetchwake.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A failed request asks for a new list, but not more than once a second:
 * on a loaded machine a leader may just be slow to answer. */
#define STALE_RETRY_MS 1000
/* the metadata request of a refresh */
#define REFRESH_TIMEOUT_MS 1000

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void krt_fetchwake_init(struct krt_fetchwake *fw, struct krt_conn *conn, int64_t queue_bytes)
{
    memset(fw, 0, sizeof(*fw));
    fw->conn = conn;
    fw->queue_bytes = queue_bytes;
    fw->built_ms = mono_ms();
    /* default attributes: these cannot fail on Linux */
    pthread_mutex_init(&fw->lock, NULL);
    pthread_mutex_init(&fw->mu, NULL);
    pthread_cond_init(&fw->cv, NULL);
    fw->sync_init = true;
}

static void clear_list(struct krt_fetchwake_target *v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i].topic);
}

/* krt_fetchwake_pick() with fw->lock held (or no thread yet) */
static int pick_locked(struct krt_fetchwake *fw, const struct krt_fetchwake_part *parts,
                       size_t n, struct krt_error *err)
{
    struct krt_fetchwake_target v[KRT_FETCHWAKE_MAX] = {{0}};
    int nv = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t l = parts[i].leader;
        bool seen = l < 0;
        for (int k = 0; k < nv && !seen; k++)
            seen = v[k].leader == l;
        if (seen || nv >= KRT_FETCHWAKE_MAX)
            continue;
        v[nv].leader = l;
        v[nv].partition = parts[i].partition;
        if (!(v[nv].topic = strdup(parts[i].topic))) {
            clear_list(v, nv);
            return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        }
        nv++;
    }
    bool changed = nv != fw->n;
    for (int i = 0; i < nv && !changed; i++)
        changed = v[i].leader != fw->v[i].leader || v[i].partition != fw->v[i].partition ||
                  strcmp(v[i].topic, fw->v[i].topic);
    clear_list(fw->v, fw->n);
    memcpy(fw->v, v, (size_t)nv * sizeof(*v));
    fw->n = nv;
    fw->stale = false;
    fw->built_ms = mono_ms();
    return changed ? 1 : 0;
}

int krt_fetchwake_pick(struct krt_fetchwake *fw, const struct krt_fetchwake_part *parts,
                       size_t n, struct krt_error *err)
{
    if (fw->sync_init)
        pthread_mutex_lock(&fw->lock);
    int rc = pick_locked(fw, parts, n, err);
    if (fw->sync_init)
        pthread_mutex_unlock(&fw->lock);
    return rc;
}

int krt_fetchwake_from_metadata(struct krt_fetchwake *fw, const struct krt_metadata *md,
                                bool (*want)(const void *opaque, const char *topic), const void *opaque,
                                struct krt_error *err)
{
    size_t n = 0, k = 0;
    for (int i = 0; i < md->ntopics; i++)
        n += (size_t)md->topics[i].nparts;
    struct krt_fetchwake_part *p = calloc(n + 1, sizeof(*p));
    if (!p)
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    for (int i = 0; i < md->ntopics; i++) {
        if (want && !want(opaque, md->topics[i].name))
            continue;
        for (int j = 0; j < md->topics[i].nparts; j++)
            p[k++] = (struct krt_fetchwake_part){md->topics[i].name, md->topics[i].parts[j].id,
                                                 md->topics[i].parts[j].leader};
    }
    int rc = krt_fetchwake_pick(fw, p, k, err);
    free(p);
    return rc < 0 ? -1 : 0;
}

bool krt_fetchwake_due(struct krt_fetchwake *fw, int64_t queued_bytes)
{
    if (queued_bytes >= fw->queue_bytes / 4 * 3) {
        fw->high = true;
        return false;
    }
    if (!fw->high || queued_bytes > fw->queue_bytes / 8)
        return false;
    fw->high = false;
    return true;
}

int64_t krt_fetchwake_fill(int64_t len, int64_t mean_bytes, int64_t queue_bytes, int64_t queue_msgs)
{
    int64_t by_bytes = len * (mean_bytes > 0 ? mean_bytes : 1);
    int64_t by_count = queue_msgs > 0 ? len * (queue_bytes / queue_msgs) : 0;
    if (queue_msgs > 0 && len >= queue_msgs)
        by_count = queue_bytes;
    return by_bytes > by_count ? by_bytes : by_count;
}

bool krt_fetchwake_needs_refresh(const struct krt_fetchwake *fw, int64_t now_ms)
{
    int64_t age = now_ms - fw->built_ms;
    return age >= KRT_FETCHWAKE_REFRESH_MS || (fw->stale && age >= STALE_RETRY_MS);
}

/* The leaders of the partitions assigned now, from a metadata request for
 * the topics the client knows (the assigned ones), not the whole cluster.
 * Takes fw->lock only to replace the list, never across a request. */
static void refresh(struct krt_fetchwake *fw)
{
    rd_kafka_t *rk = fw->conn->rk;
    rd_kafka_topic_partition_list_t *a = NULL;
    const struct rd_kafka_metadata *md = NULL;
    struct krt_fetchwake_part *p = NULL;
    /* whatever happens, the next try waits for the next period */
    pthread_mutex_lock(&fw->lock);
    fw->built_ms = mono_ms();
    fw->stale = false;
    pthread_mutex_unlock(&fw->lock);
    if (rd_kafka_assignment(rk, &a) || !a || a->cnt == 0)
        goto out;
    if (rd_kafka_metadata(rk, 0, NULL, &md, REFRESH_TIMEOUT_MS))
        goto out;
    if (!(p = calloc((size_t)a->cnt, sizeof(*p))))
        goto out;
    size_t n = 0;
    for (int i = 0; i < a->cnt; i++) {
        const rd_kafka_topic_partition_t *tp = &a->elems[i];
        for (int t = 0; t < md->topic_cnt; t++) {
            if (strcmp(md->topics[t].topic, tp->topic))
                continue;
            for (int j = 0; j < md->topics[t].partition_cnt; j++)
                if (md->topics[t].partitions[j].id == tp->partition)
                    p[n++] = (struct krt_fetchwake_part){tp->topic, tp->partition,
                                                         md->topics[t].partitions[j].leader};
            break;
        }
    }
    struct krt_error e;
    krt_error_clear(&e);
    pthread_mutex_lock(&fw->lock);
    if (n && pick_locked(fw, p, n, &e) == 1)
        fw->rebuilds++;
    pthread_mutex_unlock(&fw->lock);
out:
    free(p);
    if (md)
        rd_kafka_metadata_destroy(md);
    if (a)
        rd_kafka_topic_partition_list_destroy(a);
}

static bool quitting(struct krt_fetchwake *fw)
{
    pthread_mutex_lock(&fw->mu);
    bool q = fw->quit;
    pthread_mutex_unlock(&fw->mu);
    return q || krt_interrupted();
}

/* One round: one read-only request (ListOffsets) to each leader, all sent
 * at once: a request wakes its leader's thread as it is queued, and the
 * answer does not matter. One at a time, as
 * rd_kafka_query_watermark_offsets() sends them, the leader asked first held
 * up the others for as long as it took to answer, up to the 500 ms of a fetch
 * waiting for new records on the same connection (fetch.wait.max.ms): traced
 * with -X debug=fetch, the queue stayed empty for 800 ms at a time. Then,
 * when due, the leaders are looked up again for the next round. The list is
 * copied under fw->lock; no request is made with it held. */
static void wake_round(struct krt_fetchwake *fw)
{
    if (quitting(fw))
        return;
    pthread_mutex_lock(&fw->lock);
    rd_kafka_topic_partition_list_t *l = fw->n ? rd_kafka_topic_partition_list_new(fw->n) : NULL;
    for (int i = 0; l && i < fw->n; i++)
        rd_kafka_topic_partition_list_add(l, fw->v[i].topic, fw->v[i].partition)->offset =
            RD_KAFKA_OFFSET_END; /* a timestamp of -1: the end offset */
    pthread_mutex_unlock(&fw->lock);
    if (l) {
        /* waits at most the round's time: a leader that has not answered by
         * then (a fetch of its own may be waiting for new records) was woken
         * all the same, so only an error asks for a new list */
        rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(fw->conn->rk, l, KRT_FETCHWAKE_ROUND_MS);
        bool stale = e && e != RD_KAFKA_RESP_ERR__TIMED_OUT;
        for (int i = 0; !e && i < l->cnt; i++)
            stale = stale || l->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR;
        rd_kafka_topic_partition_list_destroy(l);
        if (stale) {
            pthread_mutex_lock(&fw->lock);
            fw->stale = true; /* gone or moved: look the leaders up again */
            fw->failed_rounds++;
            pthread_mutex_unlock(&fw->lock);
        }
    }
    pthread_mutex_lock(&fw->lock);
    bool due = krt_fetchwake_needs_refresh(fw, mono_ms());
    pthread_mutex_unlock(&fw->lock);
    /* a wake-up asked for meanwhile goes first (the look-up can take a
     * second), but only once: the look-up is the one way a moved leader is
     * found, so the next round makes it whatever waits */
    pthread_mutex_lock(&fw->mu);
    bool waiting = fw->pending;
    pthread_mutex_unlock(&fw->mu);
    if (due && waiting && !fw->refresh_put_off)
        fw->refresh_put_off = true;
    else if (due && !quitting(fw)) {
        refresh(fw);
        fw->refresh_put_off = false;
    }
    pthread_mutex_lock(&fw->mu);
    fw->rounds++;
    pthread_mutex_unlock(&fw->mu);
}

static void *wake_main(void *arg)
{
    struct krt_fetchwake *fw = arg;
    pthread_mutex_lock(&fw->mu);
    for (;;) {
        while (!fw->pending && !fw->quit)
            pthread_cond_wait(&fw->cv, &fw->mu);
        if (fw->quit)
            break;
        fw->pending = false;
        pthread_mutex_unlock(&fw->mu);
        wake_round(fw);
        pthread_mutex_lock(&fw->mu);
    }
    pthread_mutex_unlock(&fw->mu);
    return NULL;
}

/* The thread takes no signal: Ctrl-C stays with the caller's thread. */
static void start_thread(struct krt_fetchwake *fw)
{
    sigset_t all, old;
    sigfillset(&all);
    if (pthread_sigmask(SIG_SETMASK, &all, &old))
        return;
    fw->running = pthread_create(&fw->thread, NULL, wake_main, fw) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* a value of the client's configuration, or @p dflt */
static int64_t conf_int(rd_kafka_t *rk, const char *name, int64_t dflt)
{
    char v[32];
    size_t vn = sizeof(v);
    if (rd_kafka_conf_get(rd_kafka_conf(rk), name, v, &vn) != RD_KAFKA_CONF_OK)
        return dflt;
    char *end;
    long long x = strtoll(v, &end, 10);
    return end != v && x > 0 ? (int64_t)x : dflt;
}

void krt_fetchwake_pace(struct krt_fetchwake *fw, int64_t mean_record_bytes)
{
    if (!fw->conn || !fw->conn->rk || !fw->sync_init)
        return;
    if (!fw->cq) {
        if (!(fw->cq = rd_kafka_queue_get_consumer(fw->conn->rk)))
            return;
        fw->queue_msgs = conf_int(fw->conn->rk, "queued.min.messages", 0);
        fw->queue_bytes =
            conf_int(fw->conn->rk, "queued.max.messages.kbytes", fw->queue_bytes / 1024) * 1024;
    }
    int64_t queued = krt_fetchwake_fill((int64_t)rd_kafka_queue_length(fw->cq), mean_record_bytes,
                                        fw->queue_bytes, fw->queue_msgs);
    if (!krt_fetchwake_due(fw, queued))
        return;
    fw->wakeups++;
    if (!fw->running)
        start_thread(fw);
    if (!fw->running) {
        wake_round(fw); /* no thread: the round is made here */
        return;
    }
    pthread_mutex_lock(&fw->mu);
    fw->pending = true;
    pthread_cond_signal(&fw->cv);
    pthread_mutex_unlock(&fw->mu);
}

void krt_fetchwake_detach(struct krt_fetchwake *fw)
{
    if (fw->running) {
        pthread_mutex_lock(&fw->mu);
        fw->quit = true;
        pthread_cond_signal(&fw->cv);
        pthread_mutex_unlock(&fw->mu);
        pthread_join(fw->thread, NULL);
        fw->running = false;
        fw->quit = false;
        fw->pending = false;
    }
    if (fw->cq)
        rd_kafka_queue_destroy(fw->cq);
    fw->cq = NULL;
}

void krt_fetchwake_free(struct krt_fetchwake *fw)
{
    krt_fetchwake_detach(fw);
    if (fw->sync_init) {
        pthread_mutex_destroy(&fw->lock);
        pthread_mutex_destroy(&fw->mu);
        pthread_cond_destroy(&fw->cv);
        fw->sync_init = false;
    }
    clear_list(fw->v, fw->n);
    fw->n = 0;
}
