/* restore.h - krt-restore: put the records of a krt-backup directory back
 * into a topic (the same name, --to, or a prefix mapping), exactly once,
 * resumable under a restore id.
 *
 * The copy is the copy engine's (copy.h) with a source over the backup's
 * segments (krt_backup_source_*). The read position is committed in the
 * same transaction as the records, as the committed offsets of the group
 * "krt-restore.<id>" on the TARGET topic's partitions: offset = the next
 * backup offset to read, metadata naming the backup, the source topic and
 * the restore's end. A run killed at any moment and started again with the
 * same id resumes there and writes each record once.
 *
 * Sequence: krt_restore_load() (local files only: manifest, selection,
 * hashes, cuts) -> krt_restore_prepare() (the cluster: target, resume
 * state, other restore ids) -> krt_restore_run() (plan file synced, target
 * created, copy) -> krt_restore_json() / krt_restore_print(). */
#ifndef KRT_RESTORE_H
#define KRT_RESTORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "backup.h"
#include "conn.h"
#include "copy.h"

/** @brief A per-partition offset (--until-offset P:O). */
struct krt_restore_poff {
    int32_t partition;
    int64_t offset;
};

/** @brief What the operator asked for. Strings are borrowed; arrays owned
 *  (krt_restore_free). Fields are added here for new options. */
struct krt_restore_opts {
    const char *dir;        /**< the backup directory */
    const char *topic;      /**< the backed-up topic to restore */
    const char *to;         /**< --to: target topic (NULL: see prefix, else the same name) */
    const char *prefix_old; /**< --to-prefix OLD:NEW */
    const char *prefix_new;
    int32_t *partitions; /**< --partitions; NULL: every backed-up partition */
    int npartitions;
    bool has_until;
    int64_t until_ms; /**< --until: restore up to the first record newer than this */
    struct krt_restore_poff *until_offsets; /**< --until-offset: end offset, exclusive */
    int nuntil_offsets;
    const char *restore_id; /**< NULL: derived from the backup, topic and target */
    bool fill_gaps;         /**< hook for --fill-gaps: allows target == source */
    double max_rate;        /**< --max-rate: records per second; 0: unlimited */
};

/** @brief One partition of a restore. */
struct krt_restore_part {
    int32_t partition;
    int64_t backup_from, backup_to; /**< offsets the backup covers: [from, to) */
    int64_t backup_records;
    int64_t end;      /**< the restore ends before this backup offset */
    int64_t records;  /**< records of [resume position, end) to restore */
    int64_t resumed_at; /**< the restore group's position at the start (-1: new) */
};

/** @brief A restore: options, plan, and results. */
struct krt_restore {
    struct krt_restore_opts o;
    struct krt_backup_manifest m;
    char backup[200]; /**< "CLUSTER-ID@CREATED-MS": names the backup in commit metadata */
    char target[256];
    char id[200];
    char group[300];
    char txn_id[300];
    bool target_exists;
    int target_partitions; /**< of the existing target, or to create */
    int rf, rf_wanted;     /**< replication factor to create with (capped to the brokers) */
    bool logappend;        /**< the target (or the configs it gets) uses LogAppendTime */
    struct krt_restore_part *parts;
    struct krt_copy_part *cparts;
    int nparts;
    bool resumed, already_done, executed;
    char plan_path[4096];
    int64_t started_ms, finished_ms;
    struct krt_copy_job job;
};

/** @brief The copy engine's source over a backup's segments (restore and
 *  gap fill): each part of the job read from its @c next to its @c end, one
 *  partition at a time in the job's order. */
struct krt_restore_source {
    const char *dir;                      /**< the backup directory */
    const struct krt_backup_manifest *m;  /**< its manifest */
    const char *topic;                    /**< the backed-up topic */
    int nparts;                           /**< the job's part count */
    /** Called by the source's start, once the producer has fenced every
     *  older one (init_transactions): set each part's @c next and @c end
     *  from state that is final now. NULL: the parts as given. */
    int (*on_start)(void *opaque, struct krt_copy_job *job, struct krt_error *err);
    void *opaque;
    struct krt_backup_source **open; /* per part, opened on its first read */
    rd_kafka_headers_t *hdrs;        /* the last record's headers */
};

/** @brief The source's operations (krt_copy_job.src_ops; src: the struct). */
extern const struct krt_copy_source_ops krt_restore_source_ops;

/** @brief Set up a source of @p nparts parts (strings and manifest borrowed).
 *  @returns 0, or -1 (out of memory). */
int krt_restore_source_init(struct krt_restore_source *b, const char *dir,
                            const struct krt_backup_manifest *m, const char *topic, int nparts,
                            struct krt_error *err);

/** @brief Free what krt_restore_source_init allocated (after krt_copy_run). */
void krt_restore_source_free(struct krt_restore_source *b);

/** @brief Add the provenance headers krt.restore.id (@p id),
 *  krt.source.topic (@p topic), krt.source.partition and krt.source.offset
 *  (of @p rec) to @p h: what krt_pscan_provenance reads back. */
void krt_restore_provenance(rd_kafka_headers_t *h, const char *id, const char *topic,
                            const struct krt_copy_record *rec);

/** @brief Parse --partitions P,P,... into @p o. */
int krt_restore_partitions_parse(const char *s, struct krt_restore_opts *o, struct krt_error *err);

/** @brief Parse --until-offset P:O,... into @p o. */
int krt_restore_until_offsets_parse(const char *s, struct krt_restore_opts *o,
                                    struct krt_error *err);

/** @brief Parse --to-prefix OLD:NEW into @p o (points into @p s). */
int krt_restore_prefix_parse(char *s, struct krt_restore_opts *o, struct krt_error *err);

/** @brief Read and check everything local, before any network call: the
 *  manifest, the topic and partitions asked for, every selected segment's
 *  SHA-256 against the manifest, the cuts (--until scans the backup).
 *  Bad input is KRT_ERR_INPUT / KRT_ERR_USAGE. */
int krt_restore_load(struct krt_restore *rs, struct krt_error *err);

/** @brief Check against the cluster (nothing is written): internal and
 *  equal-to-source targets refused, the target's partitions, the restore
 *  id's recorded state (a mismatch is KRT_ERR_INPUT), other restore ids on
 *  the target (KRT_ERR_REFUSED). */
int krt_restore_prepare(struct krt_conn *conn, struct krt_restore *rs, struct krt_error *err);

/** @brief Write the plan file (synced), create the target if missing, copy. */
int krt_restore_run(const struct krt_common *c, struct krt_restore *rs, struct krt_error *err);

/** @brief The plan or the outcome as JSON (a new reference). */
json_t *krt_restore_json(const struct krt_restore *rs);

/** @brief The plan or the outcome as text. */
void krt_restore_print(const struct krt_restore *rs, FILE *f);

void krt_restore_free(struct krt_restore *rs);

#endif
