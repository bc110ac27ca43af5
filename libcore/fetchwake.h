/* fetchwake.h - wake the fetchers librdkafka 2.0.2 stops when its consumer
 * queue is full.
 *
 * librdkafka 2.0.2 stops fetching from a broker once the consumer queue
 * holds queued.max.messages.kbytes, and looks at the queue again only when
 * something wakes that broker's thread: a response, a request to send, or
 * its fixed 1 s tick (rd_kafka_max_block_ms; fetch.queue.backoff.ms came in
 * 2.1). A consumer that drains the queue in well under a second loses most
 * of a second at every fill (traced with -X debug=fetch: "not fetchable:
 * queued.max.messages.kbytes exceeded", the next fetch exactly 1 s later).
 * When the queue, seen above 3/4 of its bound, drains below 1/8, a
 * ListOffsets request (read only) for one partition of each leader wakes
 * that leader's thread and fetching resumes at once.
 *
 * The list of leaders is built from the caller's metadata, then rebuilt
 * from the consumer's current assignment and fresh metadata of the topics
 * it knows when a wake-up request failed (a leader gone or moved) and at
 * most every KRT_FETCHWAKE_REFRESH_MS while wake-ups happen, so a leader
 * that moved after a failover, or a partition added and assigned, is woken
 * too rather than left to the 1 s tick.
 *
 * The requests are sent, and the leaders looked up, by a thread of the
 * module's own (started at the first wake-up, stopped by
 * krt_fetchwake_free()), so the caller's poll loop never waits for a broker:
 * waking three leaders from the poll loop cost 40-60 ms a round, 1.7-2.7 s
 * of a 9 s backup of 1,000,000 x 1 KB (measured on an idle 2-core machine).
 * The bound of the queue is read from the client's own configuration
 * (queued.max.messages.kbytes, queued.min.messages), so a -X override of
 * either moves the thresholds with it. */
#ifndef KRT_FETCHWAKE_H
#define KRT_FETCHWAKE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "conn.h"
#include "error.h"
#include "meta.h"

/** At most this many leaders are woken (the others keep the 1 s tick). */
#define KRT_FETCHWAKE_MAX 64
/** A wake-up round waits at most this long for the answers (the requests
 *  wake the leaders as they are sent; the answers only tell a leader that
 *  is gone or moved): a wake-up asked for meanwhile waits for the round. */
#define KRT_FETCHWAKE_ROUND_MS 100
/** While wake-ups happen, the leaders are looked up again this often. */
#define KRT_FETCHWAKE_REFRESH_MS 10000

/** @brief One partition and its leader, as metadata gives it. */
struct krt_fetchwake_part {
    const char *topic;
    int32_t partition;
    int32_t leader; /**< -1: no leader */
};

/** @brief The partition asked to wake one leader. */
struct krt_fetchwake_target {
    char *topic;
    int32_t partition;
    int32_t leader;
};

/** @brief The wake-up state of one consumer. Zero it, then
 *  krt_fetchwake_init(). */
struct krt_fetchwake {
    struct krt_conn *conn;     /**< read for its client at each call */
    rd_kafka_queue_t *cq;      /**< the consumer queue, to watch its length */
    int64_t queue_bytes;       /**< queued.max.messages.kbytes, in bytes (read from the client) */
    int64_t queue_msgs;        /**< queued.min.messages (read from the client) */
    /* the list, under @c lock once the thread runs (the thread holds it only
     * to copy or replace the list, never across a request) */
    struct krt_fetchwake_target v[KRT_FETCHWAKE_MAX];
    int n;
    bool stale;     /**< a wake-up round failed (not a mere timeout): look the leaders up again */
    int64_t failed_rounds; /**< rounds that set @c stale */
    int64_t built_ms; /**< when the list was last built (monotonic ms) */
    int64_t rebuilds; /**< lists built again that differed from the one before */
    pthread_mutex_t lock; /**< the list, while the thread runs */
    /* the caller's */
    bool high;      /**< the queue was seen above 3/4 of its bound */
    int64_t wakeups;  /**< wake-up rounds asked for */
    /* the thread: @c pending and @c quit are under @c mu */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool running, pending, quit, sync_init;
    int64_t rounds; /**< rounds made by the thread (under @c mu) */
    bool refresh_put_off; /**< the thread's: a due look-up waited for a wake-up once */
};

/** @brief Start with an empty list for the consumer of @p conn. Its queue's
 *  bound is read from the client's configuration at the first
 *  krt_fetchwake_pace(); @p queue_bytes stands in for it until then (0 when
 *  there is a client; the unit tests, which have none, give one). */
void krt_fetchwake_init(struct krt_fetchwake *fw, struct krt_conn *conn, int64_t queue_bytes);

/** @brief Build the list from @p parts: the first partition seen of each
 *  leader (partitions without a leader are left out).
 *  @returns 1 when the list changed (leaders or the partition asking one),
 *  0 when it is the same, -1 out of memory (@p err set; the list before
 *  is kept). */
int krt_fetchwake_pick(struct krt_fetchwake *fw, const struct krt_fetchwake_part *parts,
                       size_t n, struct krt_error *err);

/** @brief Build the list from @p md: every partition of the topics
 *  @p want accepts (every topic when @p want is NULL).
 *  @returns 0, or -1 out of memory (@p err set). */
int krt_fetchwake_from_metadata(struct krt_fetchwake *fw, const struct krt_metadata *md,
                                bool (*want)(const void *opaque, const char *topic), const void *opaque,
                                struct krt_error *err);

/** @brief Feed the queue's size in bytes; true when the fetchers are to be
 *  woken now (the queue was above 3/4 of its bound and is now below 1/8). */
bool krt_fetchwake_due(struct krt_fetchwake *fw, int64_t queued_bytes);

/** @brief How full a queue of @p len messages of @p mean_bytes each is, in
 *  bytes of @p queue_bytes: librdkafka stops fetching at queue_bytes or at
 *  @p queue_msgs messages, whichever comes first (small records reach the
 *  message bound long before the byte bound), so a queue at its message
 *  bound counts as full. */
int64_t krt_fetchwake_fill(int64_t len, int64_t mean_bytes, int64_t queue_bytes, int64_t queue_msgs);

/** @brief True when the list is to be built again (after the round's
 *  wake-up): a round failed with an error other than a timeout, or the list
 *  is older than KRT_FETCHWAKE_REFRESH_MS at @p now_ms. A leader that moved
 *  while every round times out (another leader's fetch waiting for new
 *  records answers late) is found by the periodic look-up; until then it
 *  keeps librdkafka's 1 s tick. */
bool krt_fetchwake_needs_refresh(const struct krt_fetchwake *fw, int64_t now_ms);

/** @brief Call from the poll loop: watch the queue (its length times
 *  @p mean_record_bytes, the mean size read so far) and, once drained, have
 *  the module's thread wake each leader (waiting at most
 *  KRT_FETCHWAKE_ROUND_MS for the answers, stopped by Ctrl-C), then look the
 *  leaders up again when due (a due look-up waits for a pending wake-up
 *  once, not twice).
 *  Returns at once. Never fails: a leader not woken keeps librdkafka's own
 *  1 s tick (and without a thread, the round is made here). */
void krt_fetchwake_pace(struct krt_fetchwake *fw, int64_t mean_record_bytes);

/** @brief Stop the thread (as krt_fetchwake_free() does) and let go of the
 *  client's queue, keeping the list: call it before the client is closed
 *  or replaced; the next krt_fetchwake_pace() takes the new client's. */
void krt_fetchwake_detach(struct krt_fetchwake *fw);

/** @brief Stop the thread (waiting for a round under way, at most about
 *  KRT_FETCHWAKE_ROUND_MS plus one metadata request), then release the list
 *  and the queue handle. Call it before the client is closed. */
void krt_fetchwake_free(struct krt_fetchwake *fw);

#endif
