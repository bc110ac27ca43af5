/* jread.h - the one typed reader for every file krt reads.
 *
 * Every local file krt reads (truncate plans, rewind plans and undo files,
 * Kafka's offset CSV, resend requests, protect files, key files, audit
 * baselines, backup manifests) comes in through krt_file_read() and, when it
 * is JSON, is checked against a table of expected keys with krt_jread_object()
 * and the typed getters below. An unknown key, a wrong type or a number out of
 * range is an error that names the file and the JSON path, e.g.
 *
 *     request.json: /partitions/2: expected an integer from 0 to 2147483647
 *
 * Nothing is coerced: a string is never read as a number, a fraction never as
 * an integer, and no fixed-size buffer stands between the file and the value.
 * All errors are KRT_ERR_INPUT (bad content) or KRT_ERR_IO (cannot read). */
#ifndef KRT_JREAD_H
#define KRT_JREAD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/** @brief The largest file krt reads unless a caller says otherwise (64 MiB). */
#define KRT_FILE_MAX ((size_t)64 << 20)

/** @brief Read the whole of @p path into a new NUL-terminated buffer.
 *  A file larger than @p max_bytes (0: KRT_FILE_MAX), or one holding a NUL
 *  byte, is refused as bad input naming the file (and the byte offset of the
 *  NUL). An unreadable file is KRT_ERR_IO naming the file and the reason.
 *  @returns 0 and sets @p *out (free() it) and @p *len, or -1. */
int krt_file_read(const char *path, size_t max_bytes, char **out, size_t *len,
                  struct krt_error *err);

/** @brief fsync the directory that holds @p path, so that a file created,
 *  linked or renamed there survives a crash.
 *  @returns 0, or -1 with KRT_ERR_IO. */
int krt_file_sync_dir(const char *path, struct krt_error *err);

/** @brief Read and parse a JSON file (krt_file_read, then jansson with
 *  duplicate keys rejected). A syntax error names "file:line:column".
 *  The top level must be an object.
 *  @returns 0 and sets @p *root (json_decref() it), or -1. */
int krt_jread_file(const char *path, size_t max_bytes, json_t **root, struct krt_error *err);

/** @brief The JSON types a field can be declared with. */
enum krt_jkind {
    KRT_J_ANY = 0, /**< anything (checked by the caller) */
    KRT_J_STRING,
    KRT_J_INT,    /**< a JSON integer (no fraction, no exponent), within [min, max] */
    KRT_J_NUMBER, /**< an integer or a real, finite, within [min, max] */
    KRT_J_BOOL,
    KRT_J_OBJECT,
    KRT_J_ARRAY
};

/** @brief Field flags. */
#define KRT_J_REQUIRED 0x1u /**< the key must be present */
#define KRT_J_NULLABLE 0x2u /**< null is accepted in place of the declared type */

/** @brief One expected key of an object. For KRT_J_INT and KRT_J_NUMBER the
 *  value must lie in [min, max]; min == max == 0 means no bound beyond the
 *  type's own. */
struct krt_jfield {
    const char *key;
    enum krt_jkind kind;
    unsigned flags;
    int64_t min, max;
};

/** @brief Check that @p v is an object whose every key appears in @p fields
 *  (an array ended by an entry whose key is NULL), each value has its declared
 *  type and range, and every required key is there. @p file and @p jpath name
 *  the place in errors ("" or "/" for the top level).
 *  @returns 0, or -1 with KRT_ERR_INPUT. */
int krt_jread_object(const char *file, const char *jpath, const json_t *v,
                     const struct krt_jfield *fields, struct krt_error *err);

/** @brief @p v must be a JSON integer in [@p min, @p max].
 *  @returns 0 and sets @p *out, or -1 naming file and path. */
int krt_jread_int(const char *file, const char *jpath, const json_t *v, int64_t min,
                  int64_t max, int64_t *out, struct krt_error *err);

/** @brief @p v must be a finite JSON number (integer or real) in
 *  [@p min, @p max]. @returns 0 and sets @p *out, or -1. */
int krt_jread_number(const char *file, const char *jpath, const json_t *v, double min,
                     double max, double *out, struct krt_error *err);

/** @brief @p v must be a JSON string; @p nonempty refuses "".
 *  @returns 0 and points @p *out into @p v, or -1. */
int krt_jread_string(const char *file, const char *jpath, const json_t *v, int nonempty,
                     const char **out, struct krt_error *err);

/** @brief @p v must be a JSON string equal to one of @p names (an array ended
 *  by NULL). @returns 0 and sets @p *out to its index, or -1 listing them. */
int krt_jread_enum(const char *file, const char *jpath, const json_t *v,
                   const char *const *names, int *out, struct krt_error *err);

/** @brief A partition number: a JSON integer from 0 to INT32_MAX. */
int krt_jread_partition(const char *file, const char *jpath, const json_t *v, int32_t *out,
                        struct krt_error *err);

/** @brief An object key that names a partition ("0", "12"): decimal digits
 *  only, no sign, no leading zero, at most INT32_MAX. @p jpath is the path of
 *  the key. @returns 0 and sets @p *out, or -1. */
int krt_jread_partition_key(const char *file, const char *jpath, const char *key,
                            int32_t *out, struct krt_error *err);

/** @brief An offset: a JSON integer >= 0, or (when @p nullable) null, which
 *  sets @p *out to -1. */
int krt_jread_offset(const char *file, const char *jpath, const json_t *v, int nullable,
                     int64_t *out, struct krt_error *err);

/** @brief Build the JSON pointer of @p key under @p parent into @p buf
 *  ('~' and '/' escaped as ~0 and ~1). @returns @p buf. */
const char *krt_jpath_key(char *buf, size_t n, const char *parent, const char *key);

/** @brief Build the JSON pointer of array element @p i under @p parent.
 *  @returns @p buf. */
const char *krt_jpath_index(char *buf, size_t n, const char *parent, size_t i);

/** @brief Report a bad value at @p jpath of @p file:
 *  "FILE: PATH: MESSAGE" as KRT_ERR_INPUT. @returns -1. */
int krt_jread_fail(struct krt_error *err, const char *file, const char *jpath, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

#endif
