/* resend_request.h - what a resend request says, read from a JSON file
 * (through the typed reader, jread.h) or from flags, checked without the
 * cluster, and its fingerprint: what the request means, so that an id reused
 * with other parameters can be refused. Every local file the request names
 * (the key file) is read here, before any network call. */
#ifndef KRT_RESEND_REQUEST_H
#define KRT_RESEND_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/** @brief An offset given for one partition. */
struct krt_resend_poff {
    int32_t partition;
    int64_t offset;
};

/** @brief A bound of the range: a time, offsets per partition, or open. */
struct krt_resend_bound {
    bool has_time;
    int64_t time_ms;
    char *text; /**< as given, for messages (the fingerprint reads the meaning) */
    bool has_offsets;
    struct krt_resend_poff *offsets; /**< sorted by partition, no duplicate */
    size_t noffsets;
};

/** @brief A resend request (JSON file or flags). */
struct krt_resend_request {
    char *id, *team, *source, *target, *group; /**< group: the team's, for the report */
    int32_t *partitions;                       /**< NULL: all */
    int npartitions;
    struct krt_resend_bound from, to;
    char *keys_file;
    char *header_name, *header_value; /**< header filter, or NULL */
    double max_rate, max_bytes_rate;  /**< 0: unlimited */
    int replication_factor;           /**< for a target created here; 0: the source's */
    char *instance;                   /**< this process's name among several */
    char **keys;                      /**< the key file's lines, sorted */
    size_t nkeys;
    char fingerprint[17];
    /** the fingerprint krt wrote before 6d2f250 (of the spelling: the bounds'
     *  text, the partitions in the order given), still accepted from a
     *  registration made then */
    char fingerprint_v0[17];
};

/** @brief Parse a bound: an ISO-8601 date-time (in @p tz when it has no
 *  zone), or `P=OFFSET,P=OFFSET` (partitions 0..INT32_MAX, offsets >= 0). */
int krt_resend_bound_parse(const char *s, const char *tz, struct krt_resend_bound *b,
                           struct krt_error *err);

/** @brief The offset a bound gives partition @p p, or -1. */
int64_t krt_resend_bound_offset(const struct krt_resend_bound *b, int32_t p);

/** @brief Parse `P,P,...` (at least one partition, each 0..INT32_MAX). */
int krt_resend_partitions_parse(const char *s, struct krt_resend_request *r,
                                struct krt_error *err);

/** @brief The lowest throttles: one record at most a minute apart. */
#define KRT_RESEND_MIN_RATE 0.02
#define KRT_RESEND_MIN_BYTES_RATE 16384

/** @brief Parse a rate (records or bytes per second): a finite number > 0. */
int krt_resend_rate_parse(const char *s, double *v, struct krt_error *err);

/** @brief Read a request from a JSON file into @p r; fields already set (by
 *  flags) win. Every key is declared with its type and range: an unknown key,
 *  a wrong type or a value out of range is KRT_ERR_INPUT naming the file and
 *  the JSON path. Times without a zone are read in @p tz. */
int krt_resend_request_read(const char *path, const char *tz, struct krt_resend_request *r,
                            struct krt_error *err);

/** @brief Check what can be checked without the cluster (required fields,
 *  names, the order of time bounds, rates), fill in the default target, read
 *  the key file and compute the fingerprint. */
int krt_resend_request_check(struct krt_resend_request *r, struct krt_error *err);

/** @brief Is partition @p p selected? */
bool krt_resend_request_selects(const struct krt_resend_request *r, int32_t p);

/** @brief Does the key file list @p key (byte for byte)? True without a key file. */
bool krt_resend_request_key_wanted(const struct krt_resend_request *r, const void *key,
                                   size_t len);

void krt_resend_request_free(struct krt_resend_request *r);

#endif
