/* pscan.h - read one partition of a topic from an offset to an end, record
 * by record in offset order, with a consumer made by krt_backup_consumer_open
 * (read_committed, partition EOF events, bounded prefetch). Used where a
 * partition is walked next to a backup (gap fill) or to learn what a restore
 * wrote (group translation). */
#ifndef KRT_PSCAN_H
#define KRT_PSCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "conn.h"
#include "error.h"
#include "meta.h"

struct rd_kafka_message_s;

/** @brief Called for every record of the range, in offset order.
 *  @returns 0 to go on, -1 (with @p err set) to stop. */
typedef int (*krt_pscan_fn)(void *opaque, const struct rd_kafka_message_s *m,
                            struct krt_error *err);

/** @brief Read @p topic / @p partition over [from, to) (stops earlier at the
 *  partition's end) and call @p visit for each record. No record for three
 *  timeouts is KRT_ERR_UNREACHABLE; Ctrl-C is KRT_ERR_INTERRUPTED.
 *  @returns 0, or -1. */
int krt_pscan_run(struct krt_conn *consumer, const char *topic, int32_t partition, int64_t from,
                  int64_t to, krt_pscan_fn visit, void *opaque, struct krt_error *err);

/** @brief The provenance of a restored or re-produced record: true when its
 *  last krt.source.topic header is @p topic and its last
 *  krt.source.partition is @p partition; the last krt.source.offset (a
 *  decimal offset) goes to @p src_off. */
bool krt_pscan_provenance(const struct rd_kafka_message_s *m, const char *topic,
                          int32_t partition, int64_t *src_off);

/** @brief Log start offsets, high watermarks and per-partition errors of
 *  the entries of a list (arrays of l->n entries). */
struct krt_pscan_marks {
    int64_t *low, *high;
    int *err;
};

/** @brief Read the watermarks of every entry of @p l (krt_offsets_watermarks)
 *  into arrays it allocates. @returns 0, or -1. */
int krt_pscan_marks(struct krt_conn *conn, const struct krt_metadata *md,
                    const struct krt_tplist *l, struct krt_pscan_marks *out,
                    struct krt_error *err);

/** @brief Wait (60 s at most) until no transaction is open on the entries of
 *  @p l: their read_committed end (the last stable offset, which @p wm holds,
 *  read through the read_committed consumer @p conn) reaches the high
 *  watermark a read_uncommitted look-up gives at the start. @p wm is read
 *  again while waiting. Records written after the start are not waited for.
 *  @returns 0, or -1 (KRT_ERR_KAFKA: still open after 60 s; interrupted). */
int krt_pscan_wait_stable(const struct krt_common *c, struct krt_conn *conn,
                          const struct krt_metadata *md, const struct krt_tplist *l,
                          struct krt_pscan_marks *wm, struct krt_error *err);

/** @brief Free the arrays of krt_pscan_marks. */
void krt_pscan_marks_free(struct krt_pscan_marks *m);

/** @brief Close a consumer opened by krt_backup_consumer_open (if open). */
void krt_pscan_consumer_close(struct krt_conn *conn);

#endif
