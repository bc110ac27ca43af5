/* copy.h - the copy engine: read records from a source, keep those a filter
 * wants, and write them with a transactional producer that commits the
 * source's read position in the same transaction as the records (KIP-447,
 * send_offsets_to_transaction), so that a copy killed at any moment and run
 * again writes each record exactly once.
 *
 * Today's source is a range of a topic read through a consumer group (the
 * group's committed offsets are the read position, and partitions are shared
 * between the processes of one job). A source of backup segments would supply
 * records through the same krt_copy_record and commit its position the same
 * way; the filter, the sink, the retry/abort/rewind logic and the throttle do
 * not depend on where records come from.
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

/** @brief A copy job: what to copy, where, and how fast. The caller owns
 *  every pointer; the counters at the end are filled by krt_copy_run(). */
struct krt_copy_job {
    const char *label;        /**< for progress lines */
    const char *source;       /**< source topic */
    int source_partitions;    /**< partition count of the source */
    const char *group;        /**< the group whose commits are the read position */
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
};

/** @brief Copy until every partition of the job is committed at its end (by
 *  this process or a sibling sharing the group). @p admin is used to see
 *  siblings' commits. A record that keeps failing stops the copy after
 *  job->max_attempts transactions, with an error naming its partition, offset
 *  and the broker's reason; a read position that cannot be restored after an
 *  abort stops it too. Interrupted: KRT_ERR_INTERRUPTED (run again to resume).
 *  @returns 0 when done, or -1. */
int krt_copy_run(const struct krt_common *c, struct krt_conn *admin, struct krt_copy_job *job,
                 struct krt_error *err);

#endif
