#define _POSIX_C_SOURCE 200809L
/* krt-audit - what is unavailable, at risk or lost after a broker failure,
 * and what to run next. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "conn.h"
#include "error.h"
#include "json_out.h"
#include "meta.h"
#include "opts.h"

static const char usage[] =
    "usage: krt-audit [OPTIONS] [--topic TOPIC]... [--assume-down ID[,ID...]] [--groups | --group "
    "GROUP...] [--save-baseline FILE | --baseline FILE] [--format table|json|prometheus] "
    "[--watch SECONDS]\n"
    "\n"
    "Classify every partition: offline, lost, under-min-ISR, at-min-ISR, under-replicated;\n"
    "name the missing brokers; list the risks of the cluster; check consumer groups'\n"
    "commits; compare with a baseline to name the offset ranges that are gone.\n"
    "\n"
    "  -t, --topic TOPIC[:P,...]     audit these only (default: every topic, internal included)\n"
    "      --assume-down ID[,ID...]  what-if: classify as if these brokers were gone\n"
    "      --groups                  check the commits of every consumer group\n"
    "  -g, --group GROUP             check the commits of this group (repeatable)\n"
    "      --save-baseline FILE      record log start, high watermark and every group's\n"
    "                                commits, for a later --baseline\n"
    "      --baseline FILE           report offsets lost since the baseline, per partition\n"
    "                                and per group\n"
    "      --format FORMAT           table (default), json, or prometheus\n"
    "      --watch SECONDS           re-audit every SECONDS and print only the changes\n"
    "      --count N                 with --watch: stop after N audits\n"
    "\n" KRT_COMMON_USAGE
    "\n"
    "Exit codes: 0 healthy (risks alone do not count), 1 warnings (under-replicated,\n"
    "at-min-ISR, missing brokers, commits out of range), 2 usage or bad input, 3 Kafka\n"
    "error, 6 critical (offline, lost or under-min-ISR partitions, offsets lost).\n";

enum {
    OPT_ASSUME_DOWN = KRT_OPT_TOOL_BASE,
    OPT_GROUPS,
    OPT_SAVE_BASELINE,
    OPT_BASELINE,
    OPT_FORMAT,
    OPT_WATCH,
    OPT_COUNT
};

static int parse_ids(const char *s, int32_t **v, int *n, struct krt_error *err)
{
    const char *p = s;
    while (*p) {
        char *end;
        long id = strtol(p, &end, 10);
        if (end == p || id < 0 || id > 2147483647L || (*end && *end != ','))
            return krt_error_set(err, KRT_ERR_USAGE, "malformed broker id list '%s'", s);
        int32_t *nv = realloc(*v, sizeof(**v) * (size_t)(*n + 1));
        if (!nv)
            return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        *v = nv;
        nv[(*n)++] = (int32_t)id;
        p = *end ? end + 1 : end;
        if (*end && !*p)
            return krt_error_set(err, KRT_ERR_USAGE, "malformed broker id list '%s'", s);
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        KRT_COMMON_LONGOPTS,
        {"topic", required_argument, NULL, 't'},
        {"group", required_argument, NULL, 'g'},
        {"groups", no_argument, NULL, OPT_GROUPS},
        {"assume-down", required_argument, NULL, OPT_ASSUME_DOWN},
        {"save-baseline", required_argument, NULL, OPT_SAVE_BASELINE},
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"watch", required_argument, NULL, OPT_WATCH},
        {"count", required_argument, NULL, OPT_COUNT},
        {0},
    };
    struct krt_common c;
    struct krt_error err;
    struct krt_selection sel = {0};
    struct krt_audit_opts o = {.topics = &sel};
    struct krt_conn conn = {0};
    struct krt_audit prev = {0}, cur = {0};
    int32_t *down = NULL;
    const char **groups = calloc((size_t)argc + 1, sizeof(*groups));
    const char *format = "table", *baseline_in = NULL;
    int64_t watch = -1, count = -1;
    int opt, rc = KRT_EXIT_OK, ndown = 0;

    krt_error_clear(&err);
    krt_common_init(&c, "krt-audit", argc, argv);
    opterr = 0;
    while ((opt = getopt_long(argc, argv, KRT_COMMON_SHORTOPTS "t:g:", longopts, NULL)) != -1) {
        int bad = 0;
        switch (opt) {
        case 't':
            bad = krt_selection_add(&sel, optarg, &err);
            break;
        case 'g':
            groups[o.ngroups++] = optarg;
            break;
        case OPT_GROUPS:
            o.all_groups = true;
            break;
        case OPT_ASSUME_DOWN:
            bad = parse_ids(optarg, &down, &ndown, &err);
            break;
        case OPT_SAVE_BASELINE:
            o.baseline_out = optarg;
            break;
        case OPT_BASELINE:
            baseline_in = optarg;
            break;
        case OPT_FORMAT:
            format = optarg;
            if (strcmp(format, "table") && strcmp(format, "json") && strcmp(format, "prometheus"))
                bad = krt_error_set(&err, KRT_ERR_USAGE,
                                    "--format takes table, json or prometheus, not '%s'", optarg);
            break;
        case OPT_WATCH:
            if (krt_parse_int64(optarg, &watch) || watch < 1 || watch > 86400)
                bad = krt_error_set(&err, KRT_ERR_USAGE,
                                    "--watch needs a number of seconds from 1 to 86400, not '%s'",
                                    optarg);
            break;
        case OPT_COUNT:
            if (krt_parse_int64(optarg, &count) || count < 1)
                bad = krt_error_set(&err, KRT_ERR_USAGE, "--count needs a number >= 1, not '%s'",
                                    optarg);
            break;
        default:
            bad = krt_tool_option(&c, opt, optarg, argv, &err);
        }
        if (bad)
            goto usage;
    }
    switch (krt_common_after(&c, usage, argc, argv, &err)) {
    case 1:
        goto out;
    case -1:
        goto usage;
    }
    if (c.json)
        format = "json";
    if (o.all_groups && o.ngroups) {
        krt_error_set(&err, KRT_ERR_USAGE, "--groups and --group exclude each other");
        goto usage;
    }
    if (watch > 0 && (o.baseline_out || strcmp(format, "table"))) {
        krt_error_set(&err, KRT_ERR_USAGE, "--watch prints changes as text: no --save-baseline, "
                                           "--json or --format with it");
        goto usage;
    }
    if (count > 0 && watch < 0) {
        krt_error_set(&err, KRT_ERR_USAGE, "--count goes with --watch");
        goto usage;
    }
    o.assume_down = down;
    o.nassume_down = ndown;
    o.groups = groups;
    /* every local file is read before the first network call */
    if (baseline_in && krt_audit_baseline_read(baseline_in, &o.baseline, &err))
        goto usage;

    if (krt_conn_open(&conn, &c, KRT_CONN_ADMIN, NULL, &err))
        goto fail;
    krt_conn_trap_signals(&conn);
    if (krt_audit_run(&conn, &o, &cur, &err))
        goto fail;
    if (!strcmp(format, "json"))
        krt_json_write(stdout, krt_audit_json(&cur));
    else if (!strcmp(format, "prometheus"))
        krt_audit_prometheus(&cur, stdout);
    else
        krt_audit_print(&cur, stdout);
    rc = krt_audit_exit_code(&cur);
    for (int64_t n = 1; watch > 0 && (count < 0 || n < count) && !krt_interrupted(); n++) {
        fflush(stdout);
        for (int64_t ms = 0; ms < watch * 1000 && !krt_interrupted(); ms += 100) {
            struct timespec ts = {0, 100 * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (krt_interrupted())
            break;
        krt_audit_free(&prev);
        prev = cur;
        if (krt_audit_run(&conn, &o, &cur, &err)) {
            cur = (struct krt_audit){0};
            /* a watch survives a failed round: say so and keep the last state */
            krt_warnf(c.prog, "%s", err.msg);
            cur = prev;
            prev = (struct krt_audit){0};
            continue;
        }
        krt_audit_diff(&prev, &cur, stdout);
        rc = krt_audit_exit_code(&cur);
    }
    goto out;
usage:
    rc = krt_usage_error(&c, &err);
    goto out;
fail:
    rc = krt_tool_fail(&c, &err);
out:
    json_decref(o.baseline);
    krt_audit_free(&prev);
    krt_audit_free(&cur);
    krt_conn_close(&conn);
    krt_selection_free(&sel);
    krt_common_free(&c);
    free(groups);
    free(down);
    return rc;
}
