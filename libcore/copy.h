/* copy.h - the copy engine: read records from a source, keep those a filter
 * wants, and write them with a transactional producer that commits the
 * source's read position in the same transaction as the records (KIP-447,
 * send_offsets_to_transaction), so that a copy killed at any moment and run
 * again writes each record exactly once.
 *
 * Records come from a source (struct krt_copy_source_ops): the built-in one
 * is a range of a topic read through a consumer group (the group's committed
 * offsets are the read position, and partitions are shared between the
 * processes of one job); restore.c supplies one over backup segments, whose
 * position is committed, in the same transaction as the records, as the
 * offsets of the restore's group on the target's partitions. The filter, the
 * sink, the retry/abort/rewind logic and the throttle do not depend on where
 * records come from.
 *
 * State: one struct krt_copy per run, reached from librdkafka's callbacks
 * through their opaque pointer, so several copies can run in one process. */
#ifndef KRT_COPY_H
#define KRT_COPY_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "error.h"

/** @brief Room for a position's commit metadata (the broker's
 *  offset.metadata.max.bytes is 4096 by default): a restore's names a topic
 *  of up to 249 characters and an id of up to 150. */
#define KRT_COPY_META_MAX 1024

/** @brief One record read from the source. */
struct krt_copy_record {
    int32_t partition;
    int64_t offset;
    const void *key; /**< NULL: no key (distinct from an empty key) */
    size_t key_len;
    void *value; /**< not const: librdkafka takes it so (copied with F_COPY) */
    size_t value_len;
    int64_t timestamp; /**< ms; -1 when the source has none */
    rd_kafka_headers_t *headers; /**< may be NULL; owned by the source */
};

/** @brief Per partition: the range and what the copy did with it. */
struct krt_copy_part {
    int32_t partition;
    int64_t start, end; /**< [start, end) of the source */
    int64_t next;       /**< next source offset to read (the committed position) */
    int64_t first_copied, last_copied;
    int64_t copied, filtered, bytes;
    bool assigned, done;
};

struct krt_copy_job;

/** @brief What a source's next() hands the engine. */
enum krt_copy_event_kind {
    KRT_COPY_NONE = 0, /**< nothing within the wait */
    KRT_COPY_RECORD,   /**< a record of partition rec.partition */
    KRT_COPY_END       /**< partition @c partition is read to its end */
};

struct krt_copy_event {
    enum krt_copy_event_kind kind;
    int32_t partition;
    struct krt_copy_record rec; /**< valid until the next call of next() */
};

/** @brief A source of records for the engine. @p src is the source's own
 *  state (krt_copy_job.src). Positions are the parts' @c next: the engine
 *  moves @c next past each record it is given and to @c end at a partition's
 *  KRT_COPY_END, and commits them with the records. */
struct krt_copy_source_ops {
    /** Start reading at each part's @c next (set by the caller, the
     *  committed position); mark the parts this process holds @c assigned.
     *  Called once the producer has fenced an older one (init_transactions),
     *  so committed positions are stable. */
    int (*start)(void *src, struct krt_copy_job *job, struct krt_error *err);
    /** The next event, waiting up to @p wait_ms. Records of a partition come
     *  in offset order, none below the part's @c next. @returns 0 or -1. */
    int (*next)(void *src, struct krt_copy_job *job, int wait_ms, struct krt_copy_event *ev,
                struct krt_error *err);
    /** Go back to @c next of every assigned part not @c done (after an
     *  aborted transaction, @c next is the last committed position). */
    int (*rewind)(void *src, struct krt_copy_job *job, struct krt_error *err);
    /** Release the source (the engine calls it once, also on failure). */
    void (*close)(void *src);
};

/** @brief A copy job: what to copy, where, and how fast. The caller owns
 *  every pointer; the counters at the end are filled by krt_copy_run(). */
struct krt_copy_job {
    const char *label;        /**< for progress lines */
    const char *source;       /**< source topic */
    int source_partitions;    /**< partition count of the source */
    /** The group whose commits are the read position. NULL (a source of
     *  its own only): no position is committed; the records written carry
     *  it (e.g. provenance headers, read again by the source's start). */
    const char *group;
    /** The topic whose partitions the position is committed on (NULL: source). */
    const char *position_topic;
    /** The source; NULL: the topic range of @c source read through @c group. */
    const struct krt_copy_source_ops *src_ops;
    void *src;
    const char *txn_id;       /**< transactional.id; also the static group member id */
    const char *target;       /**< target topic: same partition numbers */
    struct krt_copy_part *parts;
    int nparts;
    double max_rate, max_bytes_rate; /**< per process; 0: unlimited */
    int max_attempts; /**< failed transactions in a row before giving up (0: 5) */
    /** @brief Keep @p rec? NULL keeps every record. */
    bool (*filter)(void *opaque, const struct krt_copy_record *rec);
    /** @brief Add headers to the copy of @p rec (e.g. provenance). */
    void (*decorate)(void *opaque, const struct krt_copy_record *rec, rd_kafka_headers_t *h);
    /** @brief The commit metadata stored with partition @p p's position. */
    void (*position_meta)(void *opaque, const struct krt_copy_part *p, char *buf, size_t n);
    void *opaque;
    int64_t started_ms;
    /* results */
    int64_t copy_ms; /**< from the first record produced to the last commit */
    int64_t total_copied, total_filtered, total_bytes;
    int64_t txn_commits, txn_aborts;
    /** Records of CreateTime 0, written with 1 ms (librdkafka sends "now"
     *  for a timestamp of 0); committed ones. */
    int64_t total_ts_zero;
};

/** @brief Copy until every partition of the job is committed at its end (by
 *  this process or, for the topic source, a sibling sharing the group). @p admin is used to see
 *  siblings' commits. A record that keeps failing stops the copy after
 *  job->max_attempts transactions, with an error naming its partition, offset
 *  and the broker's reason; a read position that cannot be restored after an
 *  abort stops it too. Interrupted: KRT_ERR_INTERRUPTED (run again to resume).
 *  @returns 0 when done, or -1. */
int krt_copy_run(const struct krt_common *c, struct krt_conn *admin, struct krt_copy_job *job,
                 struct krt_error *err);

#endif
