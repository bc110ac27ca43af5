/* krt-truncate - clear topic data for an application reset, with a reviewed
 * plan, guards, and consumer groups that follow. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "error.h"
#include "json_out.h"
#include "meta.h"
#include "opts.h"
#include "rewind.h"
#include "timespec.h"
#include "truncate.h"

static const char usage[] =
    "usage: krt-truncate [OPTIONS] --topic TOPIC[:P,...]... [--before-offset N | --before-datetime "
    "DATETIME] [--recreate] [--reset-group GROUP]... [--execute]\n"
    "\n"
    "Delete the records of topics (all of them, or those before an offset or a time),\n"
    "with DeleteRecords batched per broker. A topic whose cleanup.policy has no\n"
    "'delete' (compacted) is deleted and recreated with its configuration, with\n"
    "--recreate. Dry run by default.\n"
    "\n"
    "  -t, --topic TOPIC[:P,...]     topic, or some partitions (0,2,5-7); repeatable\n"
    "      --before-offset N         delete the records before offset N\n"
    "      --before-datetime DATETIME  delete the records older than an ISO-8601 time\n"
    "      --timezone ZONE           zone for a --before-datetime written without one\n"
    "      --recreate                delete and recreate compacted topics (same partitions,\n"
    "                                replication factor and topic configs)\n"
    "      --plan-out FILE           write the plan (JSON)\n"
    "      --plan FILE               execute exactly this plan; refused if the cluster drifted\n"
    "      --protect FILE            protected topics: names and prefix* patterns, one per\n"
    "                                line (default: $KRT_PROTECT_FILE)\n"
    "      --reset-group GROUP       move this group to the new log start afterwards, with\n"
    "                                krt-rewind's safety (repeatable)\n"
    "      --undo-file FILE          undo file for --reset-group\n"
    "  -y, --yes                     do not ask for the topic name on a terminal\n" KRT_EXEC_USAGE
    "\n" KRT_COMMON_USAGE
    "\n"
    "Exit codes: 0 ok, 2 usage or bad input, 3 Kafka error (not authorized), 4 refused\n"
    "(internal, protected or compacted topic, drifted plan, active group), 5 partial failure.\n";

enum {
    OPT_BEFORE_OFFSET = KRT_OPT_TOOL_BASE,
    OPT_BEFORE_DATETIME,
    OPT_TIMEZONE,
    OPT_RECREATE,
    OPT_PLAN_OUT,
    OPT_PLAN,
    OPT_PROTECT,
    OPT_RESET_GROUP,
    OPT_UNDO_FILE
};

static json_t *result_json(const struct krt_trunc_plan *p, const struct krt_rewind_plan *g)
{
    json_t *doc = krt_trunc_plan_json(p);
    json_object_set_new(doc, "groups", g ? krt_rewind_plan_json(g) : json_null());
    return doc;
}

static void print_report(const struct krt_trunc_plan *p, const struct krt_rewind_plan *g)
{
    krt_trunc_plan_print(p, stdout);
    if (g) {
        fputc('\n', stdout);
        krt_rewind_plan_print(g, stdout);
    }
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        KRT_COMMON_LONGOPTS,
        KRT_EXEC_LONGOPTS,
        {"topic", required_argument, NULL, 't'},
        {"before-offset", required_argument, NULL, OPT_BEFORE_OFFSET},
        {"before-datetime", required_argument, NULL, OPT_BEFORE_DATETIME},
        {"timezone", required_argument, NULL, OPT_TIMEZONE},
        {"recreate", no_argument, NULL, OPT_RECREATE},
        {"plan-out", required_argument, NULL, OPT_PLAN_OUT},
        {"plan", required_argument, NULL, OPT_PLAN},
        {"protect", required_argument, NULL, OPT_PROTECT},
        {"reset-group", required_argument, NULL, OPT_RESET_GROUP},
        {"undo-file", required_argument, NULL, OPT_UNDO_FILE},
        {"yes", no_argument, NULL, 'y'},
        {0},
    };
    struct krt_common c;
    struct krt_error err;
    struct krt_selection sel = {0};
    struct krt_protect protect = {0};
    struct krt_rewind_plan gplan = {0};
    struct krt_trunc_job job = {0};
    struct krt_conn conn = {0};
    const char **groups = calloc((size_t)argc + 1, sizeof(*groups));
    const char *before_dt = NULL, *tz = NULL, *plan_out = NULL, *plan_in = NULL, *undo = NULL;
    const char *protect_path = getenv("KRT_PROTECT_FILE");
    enum krt_trunc_mode mode = KRT_TRUNC_ALL;
    int64_t value = 0;
    int ngroups = 0, opt, rc = KRT_EXIT_OK, nmodes = 0;
    bool recreate = false, yes = false;

    krt_error_clear(&err);
    krt_common_init(&c, "krt-truncate", argc, argv);
    opterr = 0;
    while ((opt = getopt_long(argc, argv, KRT_COMMON_SHORTOPTS "t:y", longopts, NULL)) != -1) {
        int bad = 0;
        switch (opt) {
        case 't':
            bad = krt_selection_add(&sel, optarg, &err);
            break;
        case OPT_BEFORE_OFFSET:
            mode = KRT_TRUNC_BEFORE_OFFSET;
            nmodes++;
            if (krt_parse_int64(optarg, &value))
                bad = krt_error_set(&err, KRT_ERR_USAGE,
                                    "--before-offset needs an offset >= 0, got '%s'", optarg);
            break;
        case OPT_BEFORE_DATETIME:
            mode = KRT_TRUNC_BEFORE_TIME;
            nmodes++;
            before_dt = optarg;
            break;
        case OPT_TIMEZONE:
            tz = optarg;
            break;
        case OPT_RECREATE:
            recreate = true;
            break;
        case OPT_PLAN_OUT:
            plan_out = optarg;
            break;
        case OPT_PLAN:
            plan_in = optarg;
            break;
        case OPT_PROTECT:
            protect_path = optarg;
            break;
        case OPT_RESET_GROUP:
            groups[ngroups++] = optarg;
            break;
        case OPT_UNDO_FILE:
            undo = optarg;
            break;
        case 'y':
            yes = true;
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
    if (nmodes > 1) {
        krt_error_set(&err, KRT_ERR_USAGE, "--before-offset and --before-datetime exclude each other");
        goto usage;
    }
    if (before_dt && krt_time_parse(before_dt, tz, &value, &err))
        goto usage;
    if (plan_in && (sel.n || nmodes || recreate)) {
        krt_error_set(&err, KRT_ERR_USAGE, "--plan carries the topics and the mode: no --topic, "
                                           "--before-* or --recreate with it");
        goto usage;
    }
    if (!plan_in && !sel.n) {
        krt_error_set(&err, KRT_ERR_USAGE, "name the topics to truncate with --topic");
        goto usage;
    }
    /* every local file is read before the first network call */
    if (protect_path && *protect_path && krt_protect_load(protect_path, &protect, &err))
        goto usage;
    job = (struct krt_trunc_job){.conn = &conn, .sel = &sel, .mode = mode, .value = value,
                                 .recreate = recreate, .protect = &protect,
                                 .from_plan = plan_in != NULL, .plan_out = plan_out,
                                 .groups = groups, .ngroups = ngroups, .undo_path = undo,
                                 .ask = !yes && isatty(STDIN_FILENO), .gplan = &gplan};
    if (plan_in && krt_trunc_plan_read(plan_in, &job.plan, &err))
        goto usage;

    if (krt_conn_open(&conn, &c, KRT_CONN_ADMIN, NULL, &err))
        goto fail;
    krt_conn_trap_signals(&conn);
    if (krt_trunc_prepare(&job, &err))
        goto fail;
    if (!c.execute && plan_out &&
        krt_json_write_file(plan_out, krt_trunc_plan_json(&job.plan), 0, &err))
        goto fail;
    if (c.execute) {
        bool started = false;
        if (krt_trunc_run(&job, &started, &err)) {
            if (started && !c.json)
                print_report(&job.plan, ngroups ? &gplan : NULL); /* every partition */
            if (started && c.json) {
                rc = krt_tool_fail_doc(&c, &err, result_json(&job.plan, ngroups ? &gplan : NULL));
                goto out;
            }
            goto fail;
        }
    }
    if (c.json) {
        krt_json_write(stdout, result_json(&job.plan, ngroups ? &gplan : NULL));
    } else {
        print_report(&job.plan, ngroups ? &gplan : NULL);
    }
    goto out;
usage:
    rc = krt_usage_error(&c, &err);
    goto out;
fail:
    rc = krt_tool_fail(&c, &err);
out:
    krt_trunc_plan_free(&job.plan);
    krt_conn_close(&conn);
    krt_rewind_plan_free(&gplan);
    krt_protect_free(&protect);
    krt_selection_free(&sel);
    krt_common_free(&c);
    free(groups);
    return rc;
}
