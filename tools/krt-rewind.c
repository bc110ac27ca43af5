/* krt-rewind - reset consumer-group offsets: a plan first, an undo file
 * before every change, repair after data loss. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "error.h"
#include "json_out.h"
#include "meta.h"
#include "opts.h"
#include "rewind.h"
#include "timespec.h"

static const char usage[] =
    "usage: krt-rewind [OPTIONS] --group GROUP... (--all-topics | --topic TOPIC[:P,...]...) SPEC "
    "[--execute]\n"
    "\n"
    "Reset consumer-group offsets. Prints the plan (dry run) unless --execute; before\n"
    "executing, refuses a group with active members and writes an undo file.\n"
    "\n"
    "Scope:\n"
    "  -g, --group GROUP             the consumer group (repeatable)\n"
    "      --all-topics              every partition the group has offsets for\n"
    "  -t, --topic TOPIC[:P,...]     a topic, or some partitions (0,2,5-7); repeatable\n"
    "\n"
    "Spec (exactly one, as kafka-consumer-groups --reset-offsets):\n"
    "      --to-earliest             log start offset\n"
    "      --to-latest               high watermark\n"
    "      --to-current              committed offset (high watermark when none)\n"
    "      --to-offset N             offset N, clamped into [log start, high watermark]\n"
    "      --shift-by N              committed offset + N (N may be negative), clamped\n"
    "      --to-datetime DATETIME    first offset at or after an ISO-8601 time with a zone\n"
    "      --timezone ZONE           zone for a --to-datetime written without one\n"
    "      --by-duration DURATION    first offset at or after now - DURATION (PT2H30M)\n"
    "      --from-file FILE          offsets from Kafka's CSV or a krt JSON plan/undo file,\n"
    "                                applied exactly as written\n"
    "      --repair[=MODE]           only partitions committed outside [log start, high\n"
    "                                watermark]: nearest end (default), earliest or latest\n"
    "\n"
    "Plan and safety:\n" KRT_EXEC_USAGE
    "      --export FILE             write the plan (JSON, for --from-file)\n"
    "      --undo-file FILE          where to write the undo file (default:\n"
    "                                $KRT_UNDO_DIR or ., krt-rewind-undo-GROUP-TIME.json)\n"
    "      --wait-empty SECONDS      wait for an active group to become empty, then apply\n"
    "      --allow-new-group         allow seeding offsets of a group that has none\n"
    "\n" KRT_COMMON_USAGE
    "\n"
    "Exit codes: 0 ok, 2 usage or bad input, 3 Kafka error, 4 refused (active group),\n"
    "5 partial failure.\n";

enum {
    OPT_ALL_TOPICS = KRT_OPT_TOOL_BASE,
    OPT_EARLIEST,
    OPT_LATEST,
    OPT_CURRENT,
    OPT_OFFSET,
    OPT_SHIFT,
    OPT_DATETIME,
    OPT_TIMEZONE,
    OPT_DURATION,
    OPT_FROM_FILE,
    OPT_REPAIR,
    OPT_EXPORT,
    OPT_UNDO_FILE,
    OPT_WAIT_EMPTY,
    OPT_ALLOW_NEW
};

/* Record one spec option; a second one is a usage error. */
static int set_spec(struct krt_rewind_spec *s, enum krt_spec_kind k, const char *name,
                    const char *arg, struct krt_error *err)
{
    if (s->kind != KRT_SPEC_NONE)
        return krt_error_set(err, KRT_ERR_USAGE, "give one spec only ('%s' and '%s')", s->text,
                             name);
    s->kind = k;
    snprintf(s->text, sizeof(s->text), "%s%s%s", name, arg ? " " : "", arg ? arg : "");
    return 0;
}

static int parse_signed(const char *s, int64_t *v)
{
    int neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    if (krt_parse_int64(s, v))
        return -1;
    if (neg)
        *v = -*v;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        KRT_COMMON_LONGOPTS,
        KRT_EXEC_LONGOPTS,
        {"group", required_argument, NULL, 'g'},
        {"topic", required_argument, NULL, 't'},
        {"all-topics", no_argument, NULL, OPT_ALL_TOPICS},
        {"to-earliest", no_argument, NULL, OPT_EARLIEST},
        {"to-latest", no_argument, NULL, OPT_LATEST},
        {"to-current", no_argument, NULL, OPT_CURRENT},
        {"to-offset", required_argument, NULL, OPT_OFFSET},
        {"shift-by", required_argument, NULL, OPT_SHIFT},
        {"to-datetime", required_argument, NULL, OPT_DATETIME},
        {"timezone", required_argument, NULL, OPT_TIMEZONE},
        {"by-duration", required_argument, NULL, OPT_DURATION},
        {"from-file", required_argument, NULL, OPT_FROM_FILE},
        {"repair", optional_argument, NULL, OPT_REPAIR},
        {"export", required_argument, NULL, OPT_EXPORT},
        {"undo-file", required_argument, NULL, OPT_UNDO_FILE},
        {"wait-empty", required_argument, NULL, OPT_WAIT_EMPTY},
        {"allow-new-group", no_argument, NULL, OPT_ALLOW_NEW},
        {0},
    };
    struct krt_common c;
    struct krt_error err;
    struct krt_selection sel = {0};
    struct krt_rewind_spec spec = {0};
    struct krt_rewind_scope scope = {.topics = &sel};
    struct krt_planfile file = {0};
    struct krt_rewind_plan plan = {0};
    struct krt_conn conn = {0};
    const char **groups = calloc((size_t)argc + 1, sizeof(*groups));
    const char *datetime = NULL, *tz = NULL, *from_file = NULL, *export_path = NULL,
               *undo_path = NULL;
    int ngroups = 0, opt, rc = KRT_EXIT_OK;
    int64_t wait_empty = 0;

    krt_error_clear(&err);
    krt_common_init(&c, "krt-rewind", argc, argv);
    opterr = 0;
    while ((opt = getopt_long(argc, argv, KRT_COMMON_SHORTOPTS "g:t:", longopts, NULL)) != -1) {
        int bad = 0;
        switch (opt) {
        case 'g':
            groups[ngroups++] = optarg;
            break;
        case 't':
            bad = krt_selection_add(&sel, optarg, &err);
            break;
        case OPT_ALL_TOPICS:
            scope.all_topics = true;
            break;
        case OPT_EARLIEST:
            bad = set_spec(&spec, KRT_SPEC_EARLIEST, "--to-earliest", NULL, &err);
            break;
        case OPT_LATEST:
            bad = set_spec(&spec, KRT_SPEC_LATEST, "--to-latest", NULL, &err);
            break;
        case OPT_CURRENT:
            bad = set_spec(&spec, KRT_SPEC_CURRENT, "--to-current", NULL, &err);
            break;
        case OPT_OFFSET:
            bad = set_spec(&spec, KRT_SPEC_OFFSET, "--to-offset", optarg, &err);
            if (!bad && krt_parse_int64(optarg, &spec.value))
                bad = krt_error_set(&err, KRT_ERR_USAGE,
                                    "--to-offset needs an offset >= 0, got '%s'", optarg);
            break;
        case OPT_SHIFT:
            bad = set_spec(&spec, KRT_SPEC_SHIFT, "--shift-by", optarg, &err);
            if (!bad && parse_signed(optarg, &spec.value))
                bad = krt_error_set(&err, KRT_ERR_USAGE, "--shift-by needs a whole number, got '%s'",
                                    optarg);
            break;
        case OPT_DATETIME:
            bad = set_spec(&spec, KRT_SPEC_DATETIME, "--to-datetime", optarg, &err);
            datetime = optarg;
            break;
        case OPT_TIMEZONE:
            tz = optarg;
            break;
        case OPT_DURATION: {
            int64_t d = 0;
            bad = set_spec(&spec, KRT_SPEC_DATETIME, "--by-duration", optarg, &err);
            /* checked now (bad input before any network call); the time is
             * computed again when the plan is built, after any wait */
            if (!bad && !(bad = krt_duration_parse(optarg, &d, &err)))
                bad = krt_time_ago(optarg, d, &spec.value, &err);
            spec.ago = true;
            spec.ago_ms = d;
            break;
        }
        case OPT_FROM_FILE:
            bad = set_spec(&spec, KRT_SPEC_FILE, "--from-file", optarg, &err);
            from_file = optarg;
            break;
        case OPT_REPAIR:
            bad = set_spec(&spec, KRT_SPEC_REPAIR, "--repair", optarg, &err);
            if (bad || !optarg || !strcmp(optarg, "nearest"))
                break;
            if (!strcmp(optarg, "earliest"))
                spec.repair = KRT_REPAIR_EARLIEST;
            else if (!strcmp(optarg, "latest"))
                spec.repair = KRT_REPAIR_LATEST;
            else
                bad = krt_error_set(&err, KRT_ERR_USAGE,
                                    "--repair takes earliest, latest or nearest, not '%s'", optarg);
            break;
        case OPT_EXPORT:
            export_path = optarg;
            break;
        case OPT_UNDO_FILE:
            undo_path = optarg;
            break;
        case OPT_WAIT_EMPTY:
            if (krt_parse_int64(optarg, &wait_empty) || wait_empty > 86400)
                bad = krt_error_set(&err, KRT_ERR_USAGE,
                                    "--wait-empty needs seconds (0 to 86400), got '%s'", optarg);
            break;
        case OPT_ALLOW_NEW:
            scope.allow_new_group = true;
            break;
        default:
            bad = krt_tool_option(&c, opt, optarg, argv, &err);
        }
        if (bad)
            goto usage;
    }
    switch (krt_common_after(&c, usage, argc, argv, &err)) {
    case 1:
        rc = KRT_EXIT_OK;
        goto out;
    case -1:
        goto usage;
    }
    if (spec.kind == KRT_SPEC_NONE) {
        krt_error_set(&err, KRT_ERR_USAGE,
                      "give a spec: --to-earliest, --to-latest, --to-current, --to-offset, "
                      "--shift-by, --to-datetime, --by-duration, --from-file or --repair");
        goto usage;
    }
    if (datetime && krt_time_parse(datetime, tz, &spec.value, &err))
        goto usage;
    if (scope.all_topics && sel.n) {
        krt_error_set(&err, KRT_ERR_USAGE, "--all-topics and --topic exclude each other");
        goto usage;
    }
    if (!scope.all_topics && !sel.n && spec.kind != KRT_SPEC_FILE &&
        spec.kind != KRT_SPEC_REPAIR) {
        krt_error_set(&err, KRT_ERR_USAGE, "give a scope: --all-topics or --topic");
        goto usage;
    }
    if (from_file) {
        if (krt_planfile_read(from_file, &file, &err))
            goto usage;
        spec.file = &file;
        /* without --group, the groups named in the file */
        for (size_t i = 0; !ngroups && i < file.n; i++)
            if (!file.v[i].group) {
                krt_error_set(&err, KRT_ERR_USAGE, "'%s' names no group: give --group", from_file);
                goto usage;
            }
        if (!ngroups)
            for (size_t i = 0; i < file.n; i++) {
                int seen = 0;
                for (int g = 0; g < ngroups && !seen; g++)
                    seen = !strcmp(groups[g], file.v[i].group);
                if (!seen) {
                    const char **ng = realloc(groups, sizeof(*groups) * ((size_t)ngroups + 2));
                    if (!ng) {
                        krt_error_set(&err, KRT_ERR_INTERNAL, "out of memory");
                        goto fail;
                    }
                    groups = ng;
                    groups[ngroups++] = file.v[i].group;
                }
            }
    }
    if (!ngroups) {
        krt_error_set(&err, KRT_ERR_USAGE, "give --group");
        goto usage;
    }

    if (krt_conn_open(&conn, &c, KRT_CONN_ADMIN, NULL, &err))
        goto fail;
    krt_conn_trap_signals(&conn);
    struct krt_rewind_job job = {.conn = &conn, .groups = groups, .ngroups = ngroups,
                                 .scope = &scope, .spec = &spec, .undo_path = undo_path,
                                 .export_path = export_path};
    if (krt_rewind_plan_build(&conn, groups, ngroups, &scope, &spec, &job.plan, &err))
        goto fail;
    if (!c.execute && export_path && krt_rewind_plan_export(&job.plan, export_path, &err))
        goto fail;
    if (c.execute) {
        bool started = false;
        int erc = krt_rewind_execute(&job, (int)wait_empty, &started, &err);
        plan = job.plan;
        job.plan = (struct krt_rewind_plan){0};
        if (plan.undo_path && c.verbosity)
            krt_notef(c.prog, "undo file written: %s", plan.undo_path);
        if (erc && started && !c.json)
            krt_rewind_plan_print(&plan, stdout); /* every partition's outcome */
        if (erc && started && c.json) {
            rc = krt_tool_fail_doc(&c, &err, krt_rewind_plan_json(&plan));
            goto out;
        }
        if (erc)
            goto fail;
    } else {
        plan = job.plan;
    }
    if (c.json)
        krt_json_write(stdout, krt_rewind_plan_json(&plan));
    else
        krt_rewind_plan_print(&plan, stdout);
    rc = plan.nwarnings ? KRT_EXIT_FINDINGS : KRT_EXIT_OK;
    goto out;
usage:
    rc = krt_usage_error(&c, &err);
    goto out;
fail:
    rc = krt_tool_fail(&c, &err);
    if (plan.undo_path && !plan.executed)
        krt_notef(c.prog, "the undo file '%s' holds the offsets from before", plan.undo_path);
out:
    krt_conn_close(&conn);
    krt_rewind_plan_free(&plan);
    krt_planfile_free(&file);
    krt_selection_free(&sel);
    krt_common_free(&c);
    free(groups);
    return rc;
}
