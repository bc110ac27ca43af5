/* segment.h - backup segments: Avro object container files, one series per
 * partition, written with avro-c and readable by any Avro implementation.
 *
 * Every record of a Kafka partition becomes one Avro record of the fixed
 * schema KRT_SEG_SCHEMA (offset, timestamp, timestamp type, key and value
 * with null distinct from empty, headers in order with duplicates and null
 * values). Facts of avro-c 1.11.1 this module works around:
 *  - its writer picks the sync marker with srand(time(NULL)) and rand(), so
 *    two files created in the same second share one and the process's rand()
 *    is reseeded: the header (with a sync marker from getrandom()) is written
 *    here, and avro-c only ever appends to it;
 *  - a writer reopened on a file whose last block is torn appends after the
 *    torn bytes, which readers reject: krt_seg_repair() cuts a file back to
 *    its last complete block first;
 *  - it only fflush()es: krt_seg_flush() and krt_seg_close() fsync;
 *  - a record larger than the block size is rejected: krt_seg_append()
 *    grows the block size (reopening the file) before such a record;
 *  - its "lzma" codec is not the specification's "xz": not offered. */
#ifndef KRT_SEGMENT_H
#define KRT_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/** @brief The Avro schema of a backed-up Kafka record. */
#define KRT_SEG_SCHEMA                                                                       \
    "{\"type\":\"record\",\"name\":\"KafkaRecord\",\"namespace\":\"krt.backup\","            \
    "\"fields\":["                                                                           \
    "{\"name\":\"offset\",\"type\":\"long\"},"                                               \
    "{\"name\":\"timestamp\",\"type\":\"long\"},"                                            \
    "{\"name\":\"timestamp_type\",\"type\":{\"type\":\"enum\",\"name\":\"TimestampType\","   \
    "\"symbols\":[\"NOT_AVAILABLE\",\"CREATE_TIME\",\"LOG_APPEND_TIME\"]}},"                 \
    "{\"name\":\"key\",\"type\":[\"null\",\"bytes\"]},"                                      \
    "{\"name\":\"value\",\"type\":[\"null\",\"bytes\"]},"                                    \
    "{\"name\":\"headers\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\","     \
    "\"name\":\"Header\",\"fields\":[{\"name\":\"key\",\"type\":\"string\"},"                \
    "{\"name\":\"value\",\"type\":[\"null\",\"bytes\"]}]}}}]}"

/** @brief Block compression of a segment (the Avro codec names). */
enum krt_seg_codec { KRT_SEG_NULL = 0, KRT_SEG_DEFLATE, KRT_SEG_SNAPPY };

/** @brief The Avro name of @p c ("null", "deflate", "snappy"). */
const char *krt_seg_codec_name(enum krt_seg_codec c);

/** @brief Parse a codec name; "lzma" and "xz" are refused with a reason.
 *  @returns 0, or -1 with KRT_ERR_USAGE. */
int krt_seg_codec_parse(const char *s, enum krt_seg_codec *out, struct krt_error *err);

/** @brief One record header; value NULL is a null value. */
struct krt_seg_header {
    const char *name;
    const void *value;
    size_t value_len;
};

/** @brief One record. key/value NULL are null (distinct from length 0). */
struct krt_seg_record {
    int64_t offset;
    int64_t timestamp;
    int timestamp_type; /**< 0 not available, 1 CreateTime, 2 LogAppendTime */
    const void *key;
    size_t key_len;
    const void *value;
    size_t value_len;
    const struct krt_seg_header *headers;
    size_t nheaders;
};

/** @brief What a segment's header says of where it came from (Avro file
 *  metadata krt.cluster.id, krt.topic, krt.partition, krt.from). */
struct krt_seg_meta {
    char cluster_id[128];
    char topic[256];
    int32_t partition;
    int64_t from; /**< the partition position this segment starts at */
};

struct krt_seg_writer;

/** @brief Create a new segment at @p path (which must not exist) with our
 *  own header and a random sync marker, and open it for appending. */
int krt_seg_create(const char *path, enum krt_seg_codec codec, const struct krt_seg_meta *meta,
                   size_t block_size, struct krt_seg_writer **w, struct krt_error *err);

/** @brief Open an existing segment for appending; cut it back to its last
 *  complete block first (krt_seg_repair). */
int krt_seg_reopen(const char *path, size_t block_size, struct krt_seg_writer **w,
                   struct krt_error *err);

/** @brief Append one record (the block size grows when it must). */
int krt_seg_append(struct krt_seg_writer *w, const struct krt_seg_record *r,
                   struct krt_error *err);

/** @brief Write the pending block and let avro-c free its block buffers,
 *  keeping the segment open: the next krt_seg_append() reopens it. Bounds
 *  the memory of many open segments (a block buffer each). */
int krt_seg_park(struct krt_seg_writer *w, struct krt_error *err);

/** @brief Whether @p w is parked (holds no block buffer). */
bool krt_seg_parked(const struct krt_seg_writer *w);

/** @brief Start the kernel's write-back of what avro-c has written so far
 *  (Linux sync_file_range(SYNC_FILE_RANGE_WRITE); elsewhere nothing) without
 *  waiting for it, so that the fsync of the close finds little left to
 *  write, and hash those bytes (read back from the page cache) so that
 *  krt_seg_close_hashed() hashes only the tail. A hint only: durability
 *  still comes from the close's fsync, and errors are left to the close. */
void krt_seg_writeback(struct krt_seg_writer *w);

/** @brief Write the pending block and fsync the file. */
int krt_seg_flush(struct krt_seg_writer *w, struct krt_error *err);

/** @brief Flush, fsync and close; @p w is freed even on error. */
int krt_seg_close(struct krt_seg_writer *w, struct krt_error *err);

/** @brief krt_seg_close(), and the SHA-256 (lowercase hex) of the whole
 *  file as closed in @p sha256: the bytes hashed by krt_seg_writeback()
 *  are not read again. */
int krt_seg_close_hashed(struct krt_seg_writer *w, char sha256[65], struct krt_error *err);

/** @brief Close without flushing what is pending (on a failed run). */
void krt_seg_abandon(struct krt_seg_writer *w);

/** @brief What a whole-file check found. */
struct krt_seg_info {
    struct krt_seg_meta meta;
    enum krt_seg_codec codec;
    int64_t blocks;
    int64_t records;
    int64_t first_offset, last_offset; /**< -1 when empty */
    int64_t min_ts, max_ts;            /**< -1 when empty */
    int64_t bytes;
    char sha256[65];
    int header_torn; /**< allow_torn only: the header itself is incomplete (no record) */
    char last_sha256[65]; /**< krt_seg_record_sha256() of the last record ("" when empty) */
};

/** @brief Cut @p path back to the end of its last complete block (a torn
 *  tail after a crash). @p header_ok is set to 0 when not even the header is
 *  complete (the file should then be removed). @p cut receives the number
 *  of bytes removed. */
int krt_seg_repair(const char *path, int *header_ok, int64_t *cut, struct krt_error *err);

/** @brief Check a segment completely: header (magic, our schema, codec,
 *  metadata), every block's structure and sync marker, the file ending at a
 *  block boundary, every record decoded with offsets strictly increasing;
 *  the SHA-256 of the file. A foreign or corrupted file is KRT_ERR_INPUT.
 *  With @p allow_torn (a segment still being written), a torn last block is
 *  accepted: only the complete blocks are read, @p info->bytes is where they
 *  end, and no hash is computed. */
int krt_seg_check(const char *path, int allow_torn, struct krt_seg_info *info,
                  struct krt_error *err);

/** @brief Only the header's metadata and codec (cheap). */
int krt_seg_read_meta(const char *path, struct krt_seg_meta *meta, enum krt_seg_codec *codec,
                      struct krt_error *err);

/** @brief SHA-256 of what identifies a record in its log: its timestamp
 *  (8 bytes, big-endian), then its key and its value, each as a byte 0
 *  (null) or 1 followed by its length (8 bytes, big-endian) and its bytes;
 *  64 lowercase hex digits. Headers and the offset are not part of it. */
void krt_seg_record_sha256(int64_t timestamp, const void *key, size_t key_len,
                           const void *value, size_t value_len, char out[65]);

/** @brief SHA-256 of a file as 64 lowercase hex digits. */
int krt_seg_sha256(const char *path, char out[65], struct krt_error *err);

struct krt_seg_reader;

/** @brief Open a segment for reading records in file order. */
int krt_seg_reader_open(const char *path, struct krt_seg_reader **r, struct krt_error *err);

/** @brief The next record. Pointers in @p rec stay valid until the next
 *  call. @returns 1 with a record, 0 at the end, -1 on error. */
int krt_seg_reader_next(struct krt_seg_reader *r, struct krt_seg_record *rec,
                        struct krt_error *err);

/** @brief Close a reader. */
void krt_seg_reader_close(struct krt_seg_reader *r);

#endif
