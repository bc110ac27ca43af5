/* backup.h - krt-backup: topics into a directory of Avro segments with a JSON
 * manifest; one-shot to a consistent cut or --follow; incremental; gaps;
 * verification; and the backup as a record source for a restore.
 *
 * Layout of a backup directory (through store.h):
 *   manifest.json                                the manifest (replaced atomically)
 *   TOPIC/PARTITION/FROM-TO.avro                 a closed, immutable segment: the
 *                                                committed records of offsets [FROM, TO)
 *   TOPIC/PARTITION/FROM.avro.part               the segment being written
 * FROM and TO are 20-digit offsets, so names sort in offset order. */
#ifndef KRT_BACKUP_H
#define KRT_BACKUP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "conn.h"
#include "error.h"
#include "meta.h"
#include "opts.h"
#include "props.h"
#include "segment.h"

/** @brief One closed segment as the manifest lists it. */
struct krt_bk_segment {
    char *file;              /**< name in the store */
    int64_t from, to;        /**< the partition positions it covers: [from, to) */
    int64_t first, last;     /**< first and last record offset (-1 when empty) */
    int64_t records, bytes;
    int64_t min_ts, max_ts;
    enum krt_seg_codec codec;
    char sha256[65];
    char *cluster_id; /**< the cluster it was read from (NULL: the manifest's) */
};

/** @brief Why a range of offsets has no records in the backup. */
enum krt_bk_gap_reason {
    KRT_BK_GAP_LOG_START = 0, /**< deleted before the backup saw them */
    KRT_BK_GAP_NO_RECORDS     /**< read, but held no committed record */
};

/** @brief A range [from, to) of offsets that no segment covers. */
struct krt_bk_gap {
    int64_t from, to;
    enum krt_bk_gap_reason reason;
    int64_t detected_ms;
};

/** @brief Why a partition's log is no longer the one the backup holds. */
enum krt_bk_div_reason {
    KRT_BK_DIV_RECORD = 0, /**< the record at the last backed-up offset differs */
    KRT_BK_DIV_LOG_END     /**< the log ends below what the backup holds */
};

/** @brief A divergence: from @p offset on, the partition holds another log
 *  (an unclean election, a topic deleted and created again). The backup of
 *  the partition stops there; its records stay as they were read. */
struct krt_bk_divergence {
    int64_t offset;      /**< the offset compared (or the backup's end) */
    int64_t backup_end;  /**< the partition's position in the backup then */
    int64_t log_end;     /**< the topic's end offset then */
    enum krt_bk_div_reason reason;
    int64_t detected_ms;
};

/** @brief One partition of a backed-up topic. */
struct krt_bk_part {
    int32_t partition;
    int64_t position; /**< next offset to back up (-1: never backed up) */
    int64_t cut;      /**< end offset at the last cut (-1: none) */
    struct krt_bk_segment *segs;
    int nsegs;
    struct krt_bk_gap *gaps;
    int ngaps;
    /** the last record backed up: its offset (-1: none) and a SHA-256 of its
     *  timestamp, key and value, compared with the topic when a run resumes */
    int64_t last_offset;
    char last_sha256[65];
    struct krt_bk_divergence *divs;
    int ndivs;
};

/** @brief One backed-up topic. */
struct krt_bk_topic {
    char *name;
    int partition_count;
    int replication_factor;
    struct krt_props configs; /**< every non-default topic config */
    struct krt_bk_part *parts; /**< sorted by partition */
    int nparts;
};

/** @brief The committed offsets of one consumer group at the cut. */
struct krt_bk_group {
    char *group;
    struct krt_tplist offsets;
    char *error; /**< not captured: why (NULL: captured) */
};

/** @brief The manifest of a backup. */
struct krt_backup_manifest {
    char *cluster_id;
    char *codec;
    int64_t created_ms, updated_ms, cut_ms;
    struct krt_bk_topic *topics; /**< sorted by name */
    int ntopics;
    struct krt_bk_group *groups;
    int ngroups;
};

/** @brief The manifest's name in the store. */
#define KRT_BACKUP_MANIFEST "manifest.json"

/** @brief Read @p dir's manifest through the typed reader. A missing manifest
 *  is not an error when @p missing_ok (then @p m is empty). */
int krt_backup_manifest_read(const char *dir, int missing_ok, struct krt_backup_manifest *m,
                             struct krt_error *err);

/** @brief The manifest as JSON (a new reference). */
json_t *krt_backup_manifest_json(const struct krt_backup_manifest *m);

/** @brief Free a manifest. */
void krt_backup_manifest_free(struct krt_backup_manifest *m);

/** @brief Find (and with @p create add) a topic or a partition. */
struct krt_bk_topic *krt_backup_topic(struct krt_backup_manifest *m, const char *name,
                                      int create);
struct krt_bk_part *krt_backup_part(struct krt_bk_topic *t, int32_t partition, int create);

/** @brief What a run asks for. */
struct krt_backup_opts {
    const char *dir;
    const char **topics; /**< names or PREFIX*; none: every non-internal topic */
    int ntopics;
    enum krt_seg_codec codec;
    int64_t segment_bytes; /**< roll a segment past this size */
    int64_t segment_ms;    /**< roll a segment this old */
    bool follow;
    int64_t refresh_ms; /**< --follow: re-read topics, partitions and groups this often */
    bool force; /**< accept a manifest of another cluster */
    bool progress;
};

/** @brief What a run did in one partition. */
struct krt_backup_result {
    char *topic;
    int32_t partition;
    int64_t start, end; /**< positions: started at, ended at */
    int64_t cut;        /**< -1 with --follow */
    int64_t records, bytes, segments;
    int64_t gap_from, gap_to; /**< a gap found at the start (from == to: none) */
    bool diverged;            /**< the partition's log is not the backed-up one */
    int err;
    char *errmsg;
};

/** @brief The report of a run or a verification. */
struct krt_backup_report {
    char *cluster_id;
    const char *dir;
    bool verify;
    struct krt_backup_result *v;
    int n;
    int64_t records, bytes, segments, gaps, groups, elapsed_ms;
    int64_t divergences;     /**< partitions whose log diverged (this run) */
    int64_t groups_failed;   /**< groups whose offsets could not be read */
    /* verification */
    int64_t files_checked;
    int64_t live_compared; /**< --live: topic records compared with the backup */
    char **problems;
    int nproblems;
};

/** @brief Open the consumer a backup reads with: no group, read_committed,
 *  partition EOF events, a bounded prefetch queue. */
int krt_backup_consumer_open(const struct krt_common *c, struct krt_conn *conn,
                             struct krt_error *err);

/** @brief Back up: read local state, connect, take the cut, read to it (or
 *  follow until interrupted), roll segments, write the manifest. */
int krt_backup_run(const struct krt_common *c, const struct krt_backup_opts *o,
                   struct krt_backup_report *rep, struct krt_error *err);

/** @brief Verify a backup: every file's hash and block structure, records
 *  against the manifest, offset continuity (no overlap; every hole a recorded
 *  gap). Problems are listed in the report; the call fails only when the
 *  backup cannot be read at all. */
int krt_backup_verify(const char *dir, struct krt_backup_report *rep, struct krt_error *err);

/** @brief Compare the backup with the live topics: every committed record
 *  still in a topic, from its log start to the backup's position, must be in
 *  the backup with the same offset, timestamp, key, value and headers (the
 *  backup may hold more: records deleted or compacted away since).
 *  Differences are added to the report's problems. */
int krt_backup_verify_live(const struct krt_common *c, const char *dir,
                           struct krt_backup_report *rep, struct krt_error *err);

/** @brief Print a report for a person. */
void krt_backup_print(const struct krt_backup_report *rep, FILE *f);

/** @brief A report as JSON (a new reference). */
json_t *krt_backup_report_json(const struct krt_backup_report *rep);

/** @brief Free a report. */
void krt_backup_report_free(struct krt_backup_report *rep);

/** @brief A backup as a source of records: one partition's records in offset
 *  order, across its segments, from a resume position on. */
struct krt_backup_source;

/** @brief Open the records of @p topic / @p partition of the backup in
 *  @p dir (whose manifest @p m was read) at offsets >= @p resume_offset. */
int krt_backup_source_open(const char *dir, const struct krt_backup_manifest *m,
                           const char *topic, int32_t partition, int64_t resume_offset,
                           struct krt_backup_source **out, struct krt_error *err);

/** @brief The next record (valid until the next call).
 *  @returns 1 with a record, 0 at the end, -1 on error. */
int krt_backup_source_next(struct krt_backup_source *s, struct krt_seg_record *rec,
                           struct krt_error *err);

/** @brief The position to resume at after the last record returned: its
 *  offset + 1, or the end of the covered range at the end. */
int64_t krt_backup_source_position(const struct krt_backup_source *s);

/** @brief Close a source. */
void krt_backup_source_close(struct krt_backup_source *s);

struct rd_kafka_message_s;

/** @brief Compare a backed-up record with a record read from the topic:
 *  value, key (null distinct from empty), timestamp, headers in order.
 *  @returns the first field that differs ("value", "key", "timestamp",
 *  "headers"), or NULL when they are the same record. */
const char *krt_backup_record_diff(const struct krt_seg_record *r,
                                   const struct rd_kafka_message_s *m);

#endif
