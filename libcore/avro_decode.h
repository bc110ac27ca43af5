/* avro_decode.h - decode Avro binary data written with one schema into the
 * shape of another (the reader's), filling the reader's defaults.
 *
 * The writer->reader resolution is compiled once per schema pair, so a
 * topic of millions of records resolves names and fields once. Parts of the
 * reader that cannot read the writer (a removed enum symbol, a union branch
 * the reader lacks) fail only the records that reach them, with the reason:
 * that is what makes a check against real records sharper than a check of
 * the schema texts. */
#ifndef KRT_AVRO_DECODE_H
#define KRT_AVRO_DECODE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "avro_schema.h"
#include "error.h"

struct krt_avro_res;

/** The memory one datum may make the decoder allocate (its JSON value, or
 *  the map keys it remembers to count repeats), for the whole datum: over it
 *  the datum fails with "datum larger than N bytes" and the input offset. */
#define KRT_AVRO_DATUM_MAX ((size_t)128 << 20)

/** @brief A compiled writer->reader resolution. */
struct krt_avro_decoder {
    struct krt_avro_res *root;
    struct krt_avro_res **all; /**< every resolution node, owned */
    size_t nall, capall;
    char **defaults; /**< "PATH 'field' = JSON": defaults this pair applies */
    size_t ndefaults;
    size_t datum_max; /**< the memory bound of one datum: KRT_AVRO_DATUM_MAX
                       *   from krt_avro_decoder_new() (tests lower it) */
};

/** @brief Compile the resolution of @p writer data into @p reader's shape.
 *  Never fails for incompatibility (that is reported per record). */
int krt_avro_decoder_new(struct krt_avro_decoder *d, const struct krt_avro_schema *writer,
                         const struct krt_avro_schema *reader, struct krt_error *err);

/** @brief Decode one datum from @p buf (@p len bytes). On success *used is
 *  the number of bytes read and, when @p out is not NULL, *out the value as
 *  JSON (bytes and fixed as strings of code points 0-255, unions unwrapped).
 *  @returns 0, or -1 with the reason (KRT_ERR_INPUT) in @p err. */
int krt_avro_decode(const struct krt_avro_decoder *d, const unsigned char *buf, size_t len,
                    size_t *used, json_t **out, struct krt_error *err);

/** @brief krt_avro_decode(), and *repeated_keys (may be NULL) the number
 *  of map keys that occurred more than once in one map of the datum. Avro's
 *  specification does not forbid them; krt keeps the last value, as Java's
 *  Avro (a HashMap) and fastavro (a dict) do, and reports the count. */
int krt_avro_decode_stats(const struct krt_avro_decoder *d, const unsigned char *buf, size_t len,
                          size_t *used, json_t **out, uint64_t *repeated_keys,
                          struct krt_error *err);

/** @brief Decode the back-to-back datums of file @p path ("-": stdin; at
 *  most 256 MB) and write each as one JSON line to @p out. A datum that
 *  fails stops the run; the error names its index and byte offset.
 *  *count is the number of datums written. */
int krt_avro_decode_file(const struct krt_avro_decoder *d, const char *path, FILE *out,
                         size_t *count, struct krt_error *err);

/** @brief Free what @p d owns. */
void krt_avro_decoder_free(struct krt_avro_decoder *d);

#endif
