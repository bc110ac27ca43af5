/* schema_topic.h - krt-schema check-topic: decode every record of a topic
 * (or a time range, or a sample per partition) with a new reader schema.
 *
 * Values are in Confluent's wire format (magic byte 0, 4-byte big-endian
 * schema id, Avro binary), each writer schema fetched from the registry once
 * per id; or raw Avro written with one given writer schema. Memory stays
 * bounded: records are decoded as they arrive and only counts and the first
 * failures per writer schema are kept. */
#ifndef KRT_SCHEMA_TOPIC_H
#define KRT_SCHEMA_TOPIC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "avro_decode.h"
#include "avro_schema.h"
#include "error.h"
#include "opts.h"
#include "registry.h"

/** @brief Writer "ids" that are not registry ids. */
enum {
    KRT_SCHEMA_ID_RAW = -1,     /**< raw Avro with the --writer schema */
    KRT_SCHEMA_ID_BAD_WIRE = -2 /**< not Confluent wire format (magic, size) */
};

/** @brief One record that failed. */
struct krt_schema_failure {
    int32_t partition;
    int64_t offset;
    char reason[400];
};

/** @brief Counts for one writer schema. */
struct krt_schema_writer {
    int id;
    char *error; /**< the schema could not be fetched or parsed, or NULL */
    struct krt_avro_schema schema;
    struct krt_avro_decoder dec;
    bool ready;
    int64_t decoded, failed;
    /** map keys repeated within one map (the last value kept, as Java's
     *  Avro does), and the records that had any */
    int64_t repeated_keys, records_with_repeats;
    struct krt_schema_failure *fails; /**< the first max_failures */
    size_t nfails;
};

/** @brief What to read and how. */
struct krt_schema_topic_req {
    const char *topic;
    const struct krt_avro_schema *reader;
    const struct krt_avro_schema *writer; /**< raw Avro mode, or NULL */
    struct krt_registry *registry;        /**< Confluent wire format mode */
    int64_t from_ms, to_ms;               /**< time range, -1 when open */
    int64_t sample;                       /**< records per partition, 0 = all */
    size_t max_failures;                  /**< failures listed per writer */
};

/** @brief The outcome. */
struct krt_schema_topic_report {
    const char *topic;
    struct krt_schema_writer *writers;
    size_t nwriters;
    int64_t records, decoded, failed, null_values;
    int partitions;
    double seconds;
};

/** @brief Read and decode; per-record failures go into the report, only
 *  errors that stop the run (unknown topic, unreachable cluster or registry)
 *  return -1. */
int krt_schema_topic_check(const struct krt_common *c, const struct krt_schema_topic_req *req,
                           struct krt_schema_topic_report *rep, struct krt_error *err);

/** @brief Print the report as a human table. */
void krt_schema_topic_print(const struct krt_schema_topic_report *rep, FILE *f);

/** @brief The report as JSON. */
json_t *krt_schema_topic_json(const struct krt_schema_topic_report *rep);

/** @brief Free the report. */
void krt_schema_topic_free(struct krt_schema_topic_report *rep);

#endif
