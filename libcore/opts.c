/* opts.c - see opts.h */
#include "opts.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "json_out.h"
#include "timespec.h"

#ifndef KRT_VERSION
#define KRT_VERSION "0.1.0"
#endif

const char *krt_version(void) { return KRT_VERSION; }

void krt_common_init(struct krt_common *c, const char *prog)
{
    *c = (struct krt_common){0};
    c->prog = prog;
    c->timeout_ms = 10000;
    c->verbosity = 1;
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
        if (krt_props_parse_kv(arg, &c->x, err))
            return -1;
        return 1;
    case KRT_OPT_COMMAND_CONFIG:
        c->command_config = arg;
        return 1;
    case KRT_OPT_TIMEOUT:
        return krt_timeout_parse(arg, &c->timeout_ms, err) ? -1 : 1;
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
    return krt_error_set(err, KRT_ERR_USAGE, "unknown option or missing value: '%s'",
                         argv[optind - 1]);
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
    return KRT_EXIT_USAGE;
}

int krt_tool_fail(const struct krt_common *c, const struct krt_error *err)
{
    krt_error_print(c->prog, err);
    if (c->json)
        krt_json_write_error(stdout, err);
    return krt_error_exit_code(err);
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
