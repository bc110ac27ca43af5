/* offsets.h - partition offsets (log start, high watermark, offset for a
 * time), looked up in batches. Consumer groups live in group.h (included
 * here for the modules that use both). */
#ifndef KRT_OFFSETS_H
#define KRT_OFFSETS_H

#include <stdbool.h>
#include <stdint.h>

#include "conn.h"
#include "group.h"
#include "meta.h"

/** Special "timestamps" for krt_offsets_query(), as in Kafka's ListOffsets. */
#define KRT_OFFSET_EARLIEST (-2)
#define KRT_OFFSET_LATEST (-1)

/** @brief Look up, for every entry of @p l, the earliest offset whose
 *  timestamp is >= entry.offset (a timestamp in ms, or KRT_OFFSET_EARLIEST /
 *  KRT_OFFSET_LATEST). Results replace entry.offset; -1 means no such record.
 *  Partitions without a leader in @p md get err LEADER_NOT_AVAILABLE and are
 *  not queried, so one offline partition does not fail the whole batch.
 *  @returns 0 even when some entries carry a per-partition error. */
int krt_offsets_query(struct krt_conn *conn, const struct krt_metadata *md,
                      struct krt_tplist *l, struct krt_error *err);

/** @brief Log start offset and high watermark of each partition of @p l,
 *  in two batched requests. @p low and @p high are arrays of l->n entries;
 *  @p perr receives a per-partition error (0 when both were found). */
int krt_offsets_watermarks(struct krt_conn *conn, const struct krt_metadata *md,
                           const struct krt_tplist *l, int64_t *low, int64_t *high, int *perr,
                           struct krt_error *err);

#endif
