/* krt-offsets - read-only inspection of partition offsets, before acting. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "conn.h"
#include "error.h"
#include "json_out.h"
#include "meta.h"
#include "offreport.h"
#include "opts.h"
#include "timespec.h"

static const char usage[] =
    "usage: krt-offsets [OPTIONS] [--topic TOPIC[:P,...]]... [--group GROUP] [--at DATETIME]\n"
    "\n"
    "Show, per partition, the log start offset, high watermark and leader; with --at,\n"
    "the first offset at or after a time; with --group, the group's committed offsets\n"
    "and lag, flagging commits outside [log start, high watermark].\n"
    "\n"
    "Selection:\n"
    "  -t, --topic TOPIC[:P,...]     topic, or some of its partitions (0,2,5-7); repeatable\n"
    "                                (default: every topic that is not internal, or with\n"
    "                                --group the partitions the group has offsets for)\n"
    "  -g, --group GROUP             committed offsets and lag of this consumer group\n"
    "      --at DATETIME             offset for an ISO-8601 time, e.g. 2024-05-01T13:00:00Z\n"
    "      --timezone ZONE           zone for a --at time written without one\n"
    "\n" KRT_COMMON_USAGE
    "\n"
    "Exit codes: 0 ok, 1 a committed offset is out of range, 2 usage or bad input,\n"
    "3 Kafka error or unreachable cluster, 5 some partitions could not be read.\n";

enum { OPT_AT = KRT_OPT_TOOL_BASE, OPT_TIMEZONE };

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        KRT_COMMON_LONGOPTS,
        {"topic", required_argument, NULL, 't'},
        {"group", required_argument, NULL, 'g'},
        {"at", required_argument, NULL, OPT_AT},
        {"timezone", required_argument, NULL, OPT_TIMEZONE},
        {0},
    };
    struct krt_common c;
    struct krt_error err;
    struct krt_selection sel = {0};
    const char *group = NULL, *at = NULL, *tz = NULL;
    int opt, rc;

    krt_error_clear(&err);
    krt_common_init(&c, "krt-offsets", argc, argv);
    opterr = 0;
    while ((opt = getopt_long(argc, argv, KRT_COMMON_SHORTOPTS "t:g:", longopts, NULL)) != -1) {
        switch (opt) {
        case 't':
            if (krt_selection_add(&sel, optarg, &err))
                goto usage;
            break;
        case 'g':
            group = optarg;
            break;
        case OPT_AT:
            at = optarg;
            break;
        case OPT_TIMEZONE:
            tz = optarg;
            break;
        default:
            if (krt_tool_option(&c, opt, optarg, argv, &err))
                goto usage;
        }
    }
    switch (krt_common_after(&c, usage, argc, argv, &err)) {
    case 1:
        rc = KRT_EXIT_OK;
        goto out;
    case -1:
        goto usage;
    }
    int64_t at_ms = 0;
    if (at && krt_time_parse(at, tz, &at_ms, &err))
        goto usage;

    struct krt_conn conn;
    struct krt_offreport rep;
    if (krt_conn_open(&conn, &c, KRT_CONN_ADMIN, NULL, &err))
        goto fail;
    krt_conn_trap_signals(&conn);
    rc = krt_offreport_build(&conn, &sel, group, at != NULL, at_ms, &rep, &err);
    krt_conn_close(&conn);
    if (rc)
        goto fail;
    if (c.json)
        krt_json_write(stdout, krt_offreport_json(&rep));
    else
        krt_offreport_print(&rep, stdout);
    rc = rep.nerrors ? KRT_EXIT_PARTIAL : rep.nflagged ? KRT_EXIT_FINDINGS : KRT_EXIT_OK;
    if (rep.nerrors && c.verbosity)
        krt_warnf(c.prog, "offsets of %zu partition(s) could not be read", rep.nerrors);
    krt_offreport_free(&rep);
    goto out;
usage:
    rc = krt_usage_error(&c, &err);
    goto out;
fail:
    rc = krt_tool_fail(&c, &err);
out:
    krt_selection_free(&sel);
    krt_common_free(&c);
    return rc;
}
