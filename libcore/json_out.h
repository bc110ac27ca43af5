/* json_out.h - the one place krt writes JSON (through jansson). */
#ifndef KRT_JSON_OUT_H
#define KRT_JSON_OUT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

/** @brief Write @p doc as one JSON document (2-space indent, keys in
 *  insertion order) and a newline to @p f. Steals the reference.
 *  @returns 0, or -1 when the write failed. */
int krt_json_write(FILE *f, json_t *doc);

/** @brief Write @p doc as one compact line (JSON Lines) to @p f, real
 *  numbers with enough digits to read back the same double. Steals the
 *  reference. @returns 0, or -1 when the write failed. */
int krt_json_write_line(FILE *f, json_t *doc);

/** @brief An offset as JSON: null when negative (unknown/none). */
json_t *krt_json_offset(int64_t v);

/** @brief A JSON string, or null for NULL. */
json_t *krt_json_str(const char *s);

/** @brief An epoch-ms timestamp as an ISO-8601 UTC string, null when < 0. */
json_t *krt_json_time(int64_t ms);

/** @brief {"code": ..., "kafka_error": ..., "message": ...} of an error. */
json_t *krt_json_error(const struct krt_error *e);

/** @brief The JSON error document a tool prints with --json when it fails:
 *  {"error": {...}}. */
int krt_json_write_error(FILE *f, const struct krt_error *e);

/** @brief Write @p doc as JSON to @p path atomically (temp file, fsync,
 *  rename or link, fsync of the directory), refusing to overwrite an
 *  existing file when @p no_clobber.
 *  Steals the reference. */
int krt_json_write_file(const char *path, json_t *doc, int no_clobber, struct krt_error *err);

#endif
