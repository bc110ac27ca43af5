/* opts.c - see opts.h */
#include "opts.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>

#include "json_out.h"
#include "timespec.h"

#ifndef KRT_VERSION
#define KRT_VERSION "0.1.0"
#endif

const char *krt_version(void) { return KRT_VERSION; }

/* Does the command line ask for JSON? Looked at before getopt runs, so that
 * a usage error found before --json is parsed (or that stops the parse, as
 * in `--bogus --json`) still prints the JSON error document. Arguments after
 * "--" are not options. */
static bool wants_json(int argc, char **argv)
{
    for (int i = 1; argv && i < argc && argv[i]; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--"))
            break;
        if (!strcmp(a, "--json") || !strcmp(a, "--format=json") ||
            (!strcmp(a, "--format") && i + 1 < argc && argv[i + 1] &&
             !strcmp(argv[i + 1], "json")))
            return true;
    }
    return false;
}

void krt_common_init(struct krt_common *c, const char *prog, int argc, char **argv)
{
    *c = (struct krt_common){0};
    c->prog = prog;
    c->timeout_ms = 10000;
    c->verbosity = 1;
    c->json_errors = wants_json(argc, argv);
}

int krt_common_option(struct krt_common *c, int opt, const char *arg, struct krt_error *err)
{
    switch (opt) {
    case 'b':
        if (!arg || !*arg)
            return krt_error_set(err, KRT_ERR_USAGE, "--bootstrap-server needs HOST:PORT");
        c->bootstrap = arg;
        return 1;
    case 'X':
        if (krt_props_parse_kv(arg, &c->x, err)) {
            /* No part of a malformed -X is shown: a lone word may be a secret
             * pasted without its key ("-X hunter2"), and what looks like a key
             * may be one ("sasl.password:hunter2"). Its place names it. */
            if (err->code == KRT_ERR_USAGE)
                krt_error_set(err, KRT_ERR_USAGE,
                              "-X argument %zu has no '=' (KEY=VALUE; the argument is not shown)",
                              c->x.n + 1);
            return -1;
        }
        return 1;
    case KRT_OPT_COMMAND_CONFIG:
        c->command_config = arg;
        return 1;
    case KRT_OPT_TIMEOUT:
        return krt_timeout_parse(arg, "--timeout", KRT_TIMEOUT_MIN_MS, KRT_TIMEOUT_MAX_MS,
                                 &c->timeout_ms, err)
                   ? -1
                   : 1;
    case KRT_OPT_JSON:
        c->json = true;
        return 1;
    case 'v':
        c->verbosity++;
        return 1;
    case 'q':
        c->verbosity = 0;
        return 1;
    case 'h':
        c->help = true;
        return 1;
    case KRT_OPT_VERSION:
        c->version = true;
        return 1;
    case KRT_OPT_DRY_RUN:
        c->dry_run = true;
        return 1;
    case KRT_OPT_EXECUTE:
        c->execute = true;
        return 1;
    default:
        return 0;
    }
}

int krt_common_finish(struct krt_common *c, struct krt_error *err)
{
    if (c->dry_run && c->execute)
        return krt_error_set(err, KRT_ERR_USAGE, "--dry-run and --execute exclude each other");
    if (!c->bootstrap) {
        const char *env = getenv("KRT_BOOTSTRAP_SERVERS");
        c->bootstrap = env && *env ? env : "localhost:9092";
    }
    return 0;
}

int krt_common_after(struct krt_common *c, const char *usage, int argc, char **argv,
                     struct krt_error *err)
{
    if (c->help) {
        fputs(usage, stdout);
        return 1;
    }
    if (c->version) {
        printf("%s %s\n", c->prog, krt_version());
        return 1;
    }
    if (optind < argc)
        return krt_error_set(err, KRT_ERR_USAGE, "unexpected argument '%s'", argv[optind]);
    return krt_common_finish(c, err);
}

int krt_unknown_option(char **argv, struct krt_error *err)
{
    /* Never echo an argument that may be a value: in a cluster of short
     * options ("-X sasl.password=... -Zq") getopt has not moved optind past
     * the cluster yet, so argv[optind - 1] is the argument before it. A short
     * option is named by its letter; a long one by its name, without any
     * "=value" (the value may be a secret typed into a mistyped option). */
    const char *a = optind > 0 ? argv[optind - 1] : "";
    if (optopt > 0 && optopt < 128 && isgraph(optopt))
        return krt_error_set(err, KRT_ERR_USAGE, "unknown option or missing value: '-%c'",
                             optopt);
    if (strncmp(a, "--", 2))
        return krt_error_set(err, KRT_ERR_USAGE, "unknown option or missing value");
    size_t n = strchr(a, '=') ? (size_t)(strchr(a, '=') - a) : strlen(a);
    return krt_error_set(err, KRT_ERR_USAGE, "unknown option or missing value: '%.*s'",
                         (int)(n > 200 ? 200 : n), a);
}

int krt_tool_option(struct krt_common *c, int opt, const char *arg, char **argv,
                    struct krt_error *err)
{
    if (opt == '?')
        return krt_unknown_option(argv, err);
    int r = krt_common_option(c, opt, arg, err);
    if (r == 0)
        return krt_error_set(err, KRT_ERR_INTERNAL, "option %d is not handled", opt);
    return r < 0 ? -1 : 0;
}

void krt_common_free(struct krt_common *c) { krt_props_free(&c->x); }

int krt_usage_error(const struct krt_common *c, const struct krt_error *err)
{
    fprintf(stderr, "%s: error: %s\nTry '%s --help' for more information.\n", c->prog,
            err->msg, c->prog);
    if (c->json || c->json_errors) {
        /* the document states the exit code the process really returns */
        struct krt_error e = *err;
        if (krt_error_exit_code(&e) != KRT_EXIT_USAGE)
            e.code = KRT_ERR_USAGE;
        krt_json_write_error(stdout, &e);
    }
    return KRT_EXIT_USAGE;
}

int krt_tool_fail(const struct krt_common *c, const struct krt_error *err)
{
    krt_error_print(c->prog, err);
    if (c->json || c->json_errors)
        krt_json_write_error(stdout, err);
    return krt_error_exit_code(err);
}

int krt_tool_fail_doc(const struct krt_common *c, const struct krt_error *err, json_t *doc)
{
    if (!c->json || !doc) {
        json_decref(doc);
        return krt_tool_fail(c, err);
    }
    krt_error_print(c->prog, err);
    json_object_set_new(doc, "error", krt_json_error(err));
    krt_json_write(stdout, doc);
    return krt_error_exit_code(err);
}

void krt_tool_partial_io(struct krt_error *err)
{
    if (err->code == KRT_ERR_IO)
        err->code = KRT_ERR_PARTIAL;
}

int krt_parse_int64(const char *s, int64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < 0)
        return -1;
    *out = (int64_t)v;
    return 0;
}

