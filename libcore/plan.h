/* plan.h - the files of destructive tools: offset plan files (Kafka's CSV,
 * krt-rewind's JSON plans and undo files) read through the one typed reader,
 * and the safe name of a plan or undo file made from any group or topic name. */
#ifndef KRT_PLAN_H
#define KRT_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/** @brief An entry of a plan file (Kafka's CSV or krt's JSON). */
struct krt_planfile_entry {
    char *group; /**< NULL in a 3-column CSV */
    char *topic;
    int32_t partition;
    int64_t offset; /**< -1: delete the committed offset (JSON null) */
    char *metadata; /**< NULL when not given */
};

/** @brief The entries of a plan file, in file order. */
struct krt_planfile {
    struct krt_planfile_entry *v;
    size_t n;
};

/** @brief Read a plan file: Kafka's CSV (`topic,partition,offset` or
 *  `group,topic,partition,offset`) or krt-rewind's JSON plan or undo file.
 *  The whole file is read with krt_file_read (a NUL byte is refused); a bad
 *  CSV line is an error naming "file:line", a bad JSON value one naming the
 *  file and the JSON path; unknown keys are refused.
 *  @returns 0, or -1 with KRT_ERR_INPUT / KRT_ERR_IO. */
int krt_planfile_read(const char *path, struct krt_planfile *out, struct krt_error *err);

/** @brief Free a plan file. */
void krt_planfile_free(struct krt_planfile *f);

/** @brief The path of a new plan or undo file for @p name (a group or topic
 *  name, any string Kafka allows): "DIR/krt-KIND-NAME-TIME.json" in
 *  $KRT_UNDO_DIR (default "."). NAME is encoded so that it is never a path
 *  component: bytes outside [A-Za-z0-9._-] become %XX, and a long name is cut
 *  and ended with a hash of the whole, so the file stays inside DIR.
 *  @returns 0, or -1 (KRT_ERR_IO) when the path does not fit in @p n. */
int krt_plan_path(char *buf, size_t n, const char *kind, const char *name,
                  struct krt_error *err);

#endif
