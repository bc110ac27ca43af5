/* peek.h - read a few records of some partitions (offsets and timestamps),
 * without joining or committing for any group. */
#ifndef KRT_PEEK_H
#define KRT_PEEK_H

#include <stdint.h>

#include "conn.h"
#include "opts.h"

/** @brief One partition window to read: offsets [from, to). */
struct krt_peek {
    const char *topic;
    int32_t partition;
    int64_t from, to;
    /* out: */
    int64_t *offsets;    /**< offsets read (a compacted log may skip some) */
    int64_t *timestamps; /**< their timestamps (ms), -1 when the record has none */
    int n;
    int err;
};

/** @brief Read every window of @p v with one consumer (assign, no group).
 *  Windows are bounded by the caller; the total is read in one pass. */
int krt_peek_read(const struct krt_common *c, struct krt_peek *v, int nv, struct krt_error *err);

/** @brief Free what krt_peek_read() allocated in each window. */
void krt_peek_free(struct krt_peek *v, int nv);

#endif
