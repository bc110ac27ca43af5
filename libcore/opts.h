/* opts.h - the options every krt tool shares, parsed in one place.
 *
 * A tool builds its getopt_long table from KRT_COMMON_LONGOPTS (and
 * KRT_EXEC_LONGOPTS when it changes anything) plus its own options, and
 * hands every option it does not know itself to krt_common_option(). */
#ifndef KRT_OPTS_H
#define KRT_OPTS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "props.h"

/** Option ids of the shared long options that have no short form. */
enum {
    KRT_OPT_COMMAND_CONFIG = 900,
    KRT_OPT_TIMEOUT,
    KRT_OPT_JSON,
    KRT_OPT_VERSION,
    KRT_OPT_DRY_RUN,
    KRT_OPT_EXECUTE,
    KRT_OPT_TOOL_BASE = 1000 /**< tools number their own options from here */
};

/** Short options shared by every tool. */
#define KRT_COMMON_SHORTOPTS "b:X:vqh"

/** Long options shared by every tool. */
#define KRT_COMMON_LONGOPTS                                                                  \
    {"bootstrap-server", required_argument, NULL, 'b'},                                      \
        {"command-config", required_argument, NULL, KRT_OPT_COMMAND_CONFIG},                 \
        {"timeout", required_argument, NULL, KRT_OPT_TIMEOUT},                               \
        {"json", no_argument, NULL, KRT_OPT_JSON}, {"verbose", no_argument, NULL, 'v'},      \
        {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, 'h'},                 \
    {                                                                                        \
        "version", no_argument, NULL, KRT_OPT_VERSION                                        \
    }

/** Long options of tools that change something: dry run is the default. */
#define KRT_EXEC_LONGOPTS                                                                    \
    {"dry-run", no_argument, NULL, KRT_OPT_DRY_RUN},                                         \
    {                                                                                        \
        "execute", no_argument, NULL, KRT_OPT_EXECUTE                                        \
    }

/** Usage lines of the shared options, for a tool's help text. */
#define KRT_COMMON_USAGE                                                                     \
    "Connection and output:\n"                                                               \
    "  -b, --bootstrap-server HOST:PORT[,...]  brokers to bootstrap from\n"                  \
    "                                (default: $KRT_BOOTSTRAP_SERVERS, then localhost:9092)\n" \
    "      --command-config FILE     Java client properties (security.protocol,\n"          \
    "                                sasl.mechanism, sasl.jaas.config, ssl.*)\n"             \
    "  -X KEY=VALUE                  librdkafka property, applied last (repeatable)\n"       \
    "      --timeout DURATION        per-request timeout, 10ms to 5m: 500ms, 10s, 2m\n"     \
    "                                (default 10s)\n"                                          \
    "      --json                    one JSON document on stdout\n"                          \
    "  -v, --verbose                 more diagnostics on stderr (repeatable)\n"              \
    "  -q, --quiet                   only errors on stderr\n"                                \
    "  -h, --help                    this help\n"                                            \
    "      --version                 print the version\n"

#define KRT_EXEC_USAGE                                                                       \
    "      --dry-run                 print the plan, change nothing (the default)\n"         \
    "      --execute                 apply the plan\n"

/** @brief The parsed shared options. */
struct krt_common {
    const char *prog;
    const char *bootstrap;      /**< resolved by krt_common_finish() */
    const char *command_config; /**< path, or NULL */
    struct krt_props x;         /**< -X properties, in order */
    int timeout_ms;
    bool json;
    int verbosity; /**< 0 quiet, 1 normal, 2+ verbose */
    bool execute;
    bool dry_run;
    bool help;
    bool version;
    bool json_errors; /**< --json (or --format json) is somewhere on the command line */
};

/** The bounds of --timeout: librdkafka's socket.timeout.ms takes 10 ms to 300 s. */
#define KRT_TIMEOUT_MIN_MS 10
#define KRT_TIMEOUT_MAX_MS 300000

/** @brief Set the defaults. @p argv (may be NULL) is only looked at for
 *  `--json`, so that usage errors found before it is parsed print JSON too. */
void krt_common_init(struct krt_common *c, const char *prog, int argc, char **argv);

/** @brief Handle one shared option.
 *  @returns 1 when handled, 0 when @p opt is not a shared option,
 *  -1 on a bad value (with @p err set). */
int krt_common_option(struct krt_common *c, int opt, const char *arg, struct krt_error *err);

/** @brief Resolve defaults that depend on the environment, and check
 *  combinations (--dry-run with --execute). */
int krt_common_finish(struct krt_common *c, struct krt_error *err);

/** @brief The end of every tool's option parsing: print --help (@p usage)
 *  or --version, reject stray arguments, resolve defaults.
 *  @returns 1 when the tool should exit 0 now, 0 to go on, -1 on a usage error. */
int krt_common_after(struct krt_common *c, const char *usage, int argc, char **argv,
                     struct krt_error *err);

/** @brief The default branch of a tool's option switch: getopt's '?' is a
 *  usage error, anything else must be a shared option.
 *  @returns 0 when handled, -1 with @p err set otherwise. */
int krt_tool_option(struct krt_common *c, int opt, const char *arg, char **argv,
                    struct krt_error *err);

/** @brief The usage error for getopt's '?' (unknown option or missing value). */
int krt_unknown_option(char **argv, struct krt_error *err);

/** @brief Release what the options own. */
void krt_common_free(struct krt_common *c);

/** @brief Print "PROG: error: MSG" and "Try 'PROG --help'" on stderr and,
 *  when --json is on the command line, the JSON error document on stdout.
 *  @returns KRT_EXIT_USAGE. */
int krt_usage_error(const struct krt_common *c, const struct krt_error *err);

/** @brief Report a failed operation: the one-line error on stderr and, with
 *  --json, the error document on stdout. @returns the exit code. */
int krt_tool_fail(const struct krt_common *c, const struct krt_error *err);

struct json_t;
/** @brief Report an operation that failed after it started: the one-line error
 *  on stderr and, with --json, @p doc (the result document, every partition's
 *  outcome) with an "error" member added, on stdout. Takes @p doc.
 *  @returns the exit code. */
int krt_tool_fail_doc(const struct krt_common *c, const struct krt_error *err,
                      struct json_t *doc);

/** @brief For a run that had begun writing (records into a backup's
 *  segments): an I/O error there left a partial change, exit 5, not the
 *  "bad input, nothing changed" of exit 2 that an I/O error before any
 *  write means. Other errors are left as they are. */
void krt_tool_partial_io(struct krt_error *err);

/** @brief Parse a whole non-negative decimal int64 (no sign, no junk). */
int krt_parse_int64(const char *s, int64_t *out);

/** @brief The krt version string. */
const char *krt_version(void);

#endif
