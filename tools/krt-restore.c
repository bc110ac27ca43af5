/* krt-restore - put the records of a krt-backup directory back into a topic,
 * exactly once, resumable under a restore id. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "error.h"
#include "json_out.h"
#include "opts.h"
#include "gapfill.h"
#include "resend_request.h"
#include "restore.h"
#include "restore_groups.h"
#include "rewind.h"
#include "timespec.h"

static const char usage[] =
    "usage: krt-restore [OPTIONS] --backup DIR --topic TOPIC [--to TOPIC | --to-prefix OLD:NEW] "
    "[--execute]\n"
    "\n"
    "Restore the records of TOPIC from a krt-backup directory into a topic: same partition,\n"
    "order, key, value, headers and timestamp, plus provenance headers (krt.restore.id,\n"
    "krt.source.topic, krt.source.partition, krt.source.offset). The target is created if\n"
    "missing with the backed-up partition count, replication factor (capped to the number\n"
    "of brokers) and configs. Exactly once: killed at any moment, run it again with the\n"
    "same --restore-id to resume. Without --execute, prints the plan and writes nothing.\n"
    "\n"
    "Restore:\n"
    "  -d, --backup DIR              the backup directory (written by krt-backup)\n"
    "  -t, --topic TOPIC             the backed-up topic to restore\n"
    "      --to TOPIC                target topic (default: TOPIC itself, refused unless\n"
    "                                --fill-gaps)\n"
    "      --to-prefix OLD:NEW       target: TOPIC with its prefix OLD replaced by NEW\n"
    "      --partitions P,P,...      only these partitions (default: all backed up)\n"
    "      --until DATETIME          stop each partition before its first record newer than\n"
    "                                DATETIME (ISO-8601)\n"
    "      --until-offset P:O,...    stop partition P before offset O (exclusive)\n"
    "      --timezone ZONE           zone for --until written without one\n"
    "      --restore-id ID           names the restore, to resume it (letters, digits, . _ -;\n"
    "                                default: derived from the backup, topic and target)\n"
    "      --max-rate N              records per second (at least 0.02; default: unlimited)\n"
    "\n"
    "Gap fill and consumer groups:\n"
    "      --fill-gaps               write only the backed-up records the topic lost (compared\n"
    "                                by offset and content), onto TOPIC or --to; a second\n"
    "                                run writes nothing\n"
    "      --baseline FILE           with --fill-gaps: krt-audit's baseline, for the lost\n"
    "                                range and the records no backup holds\n"
    "      --groups [G1,G2,...]      commit the backed-up groups' offsets (all, or those named)\n"
    "                                on the target, translated to the restored records\n"
    "      --undo-file FILE          where --groups writes its undo file (default:\n"
    "                                $KRT_UNDO_DIR or ., krt-rewind-undo-GROUP-TIME.json)\n"
    "\n"
    "Run:\n" KRT_EXEC_USAGE "\n" KRT_COMMON_USAGE
    "\n"
    "Exit codes: 0 done (or a valid plan), 2 usage or bad input (unreadable or corrupted\n"
    "backup, restore id used for another restore), 3 Kafka error, 4 refused (internal\n"
    "target, target equal to the source, another restore id wrote into the target, a\n"
    "--groups group with active members), 5 partial failure (--fill-gaps), 130\n"
    "interrupted (run again with the same --restore-id to resume).\n";

enum {
    OPT_TO = KRT_OPT_TOOL_BASE,
    OPT_TO_PREFIX,
    OPT_PARTITIONS,
    OPT_UNTIL,
    OPT_UNTIL_OFFSET,
    OPT_TIMEZONE,
    OPT_RESTORE_ID,
    OPT_FILL_GAPS,
    OPT_BASELINE,
    OPT_GROUPS,
    OPT_UNDO_FILE,
    OPT_MAX_RATE
};

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        KRT_COMMON_LONGOPTS,
        KRT_EXEC_LONGOPTS,
        {"backup", required_argument, NULL, 'd'},
        {"topic", required_argument, NULL, 't'},
        {"to", required_argument, NULL, OPT_TO},
        {"to-prefix", required_argument, NULL, OPT_TO_PREFIX},
        {"partitions", required_argument, NULL, OPT_PARTITIONS},
        {"until", required_argument, NULL, OPT_UNTIL},
        {"until-offset", required_argument, NULL, OPT_UNTIL_OFFSET},
        {"timezone", required_argument, NULL, OPT_TIMEZONE},
        {"restore-id", required_argument, NULL, OPT_RESTORE_ID},
        {"fill-gaps", no_argument, NULL, OPT_FILL_GAPS},
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"groups", optional_argument, NULL, OPT_GROUPS},
        {"undo-file", required_argument, NULL, OPT_UNDO_FILE},
        {"max-rate", required_argument, NULL, OPT_MAX_RATE},
        {0},
    };
    struct krt_common c;
    struct krt_error err;
    struct krt_restore rs = {0};
    struct krt_restore_opts *o = &rs.o;
    struct krt_conn conn = {0};
    const char *until = NULL, *tz = NULL;
    struct krt_gapfill_opts fo = {0};
    struct krt_rgroups_opts go = {0};
    struct krt_rewind_plan gplan = {0};
    struct krt_backup_manifest gm = {0};
    const char **gnames = NULL;
    bool groups = false, gstarted = false;
    int opt, rc = KRT_EXIT_OK;
    krt_error_clear(&err);
    krt_common_init(&c, "krt-restore", argc, argv);
    opterr = 0;
    while ((opt = getopt_long(argc, argv, KRT_COMMON_SHORTOPTS "d:t:", longopts, NULL)) != -1) {
        int bad = 0;
        switch (opt) {
        case 'd': o->dir = optarg; break;
        case 't': o->topic = optarg; break;
        case OPT_TO: o->to = optarg; break;
        case OPT_TO_PREFIX: bad = krt_restore_prefix_parse(optarg, o, &err); break;
        case OPT_PARTITIONS: bad = krt_restore_partitions_parse(optarg, o, &err); break;
        case OPT_UNTIL: until = optarg; break;
        case OPT_UNTIL_OFFSET: bad = krt_restore_until_offsets_parse(optarg, o, &err); break;
        case OPT_TIMEZONE: tz = optarg; break;
        case OPT_RESTORE_ID: o->restore_id = optarg; break;
        case OPT_MAX_RATE:
            bad = krt_resend_rate_parse(optarg, &o->max_rate, &err);
            if (!bad && o->max_rate < KRT_RESEND_MIN_RATE)
                bad = krt_error_set(&err, KRT_ERR_USAGE, "--max-rate: at least %g records/s",
                                    KRT_RESEND_MIN_RATE);
            break;
        case OPT_FILL_GAPS: o->fill_gaps = true; break;
        case OPT_BASELINE: fo.baseline = optarg; break;
        case OPT_UNDO_FILE: go.undo_path = optarg; break;
        case OPT_GROUPS:
            /* "--groups G1,G2" as well as "--groups=G1,G2"; "--groups" alone: all */
            if (!optarg && optind < argc && argv[optind][0] != '-')
                optarg = argv[optind++];
            groups = true;
            bad = krt_rgroups_parse(optarg, &gnames, &go.ngroups, &err);
            go.groups = gnames;
            break;
        default: bad = krt_tool_option(&c, opt, optarg, argv, &err);
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
    if (!o->dir || !*o->dir || !o->topic || !*o->topic) {
        krt_error_set(&err, KRT_ERR_USAGE, "--backup DIR and --topic TOPIC are required");
        goto usage;
    }
    if (o->to && !*o->to) {
        krt_error_set(&err, KRT_ERR_USAGE, "--to needs a topic name");
        goto usage;
    }
    if (until) {
        if (krt_time_parse(until, tz, &o->until_ms, &err)) {
            err.code = KRT_ERR_USAGE;
            goto usage;
        }
        o->has_until = true;
    }
    if (fo.baseline && !o->fill_gaps) {
        krt_error_set(&err, KRT_ERR_USAGE, "--baseline goes with --fill-gaps");
        goto usage;
    }
    if (o->fill_gaps && groups) {
        /* the translation reads provenance headers, which the records that
         * survived in the original topic do not carry: a group would jump
         * past them to the first re-produced record */
        krt_error_set(&err, KRT_ERR_USAGE,
                      "--groups does not go with --fill-gaps: the groups' commits on the "
                      "original topic still point at the records that survived");
        goto usage;
    }
    if (o->fill_gaps && o->max_rate > 0) {
        krt_error_set(&err, KRT_ERR_USAGE, "--max-rate does not go with --fill-gaps");
        goto usage;
    }
    if (o->fill_gaps && (o->prefix_old || o->npartitions || until || o->nuntil_offsets)) {
        krt_error_set(&err, KRT_ERR_USAGE,
                      "--fill-gaps compares every backed-up partition: no --to-prefix, "
                      "--partitions, --until or --until-offset");
        goto usage;
    }
    go.source = o->topic;
    if (o->fill_gaps) {
        fo = (struct krt_gapfill_opts){.dir = o->dir, .topic = o->topic, .to = o->to,
                                       .restore_id = o->restore_id ? o->restore_id : "fill-gaps",
                                       .baseline = fo.baseline};
        go.m = &gm;
        if (groups && (krt_backup_manifest_read(o->dir, 0, &gm, &err) ||
                       krt_rgroups_check(&go, &err)))
            goto fail;
        rc = krt_gapfill_cli(&c, &fo, groups ? &go : NULL);
        goto out;
    }
    /* every local file is read and checked before the first network call */
    if (krt_restore_load(&rs, &err))
        goto fail;
    go.m = &rs.m;
    if (groups && krt_rgroups_check(&go, &err))
        goto fail;
    if (krt_conn_open(&conn, &c, KRT_CONN_ADMIN, NULL, &err))
        goto fail;
    krt_conn_trap_signals(&conn);
    if (krt_restore_prepare(&conn, &rs, &err))
        goto fail;
    krt_conn_close(&conn);
    if (c.verbosity && rs.rf < rs.rf_wanted && !rs.target_exists)
        krt_warnf(c.prog, "the backup's replication factor %d is more than the %d broker(s): '%s' "
                          "gets replication factor %d",
                  rs.rf_wanted, rs.rf, rs.target, rs.rf);
    if (c.verbosity && rs.logappend)
        krt_warnf(c.prog, "'%s' uses LogAppendTime: the brokers replace the backed-up timestamps",
                  rs.target);
    if (c.execute && krt_restore_run(&c, &rs, &err)) {
        rc = krt_tool_fail_doc(&c, &err, c.json ? krt_restore_json(&rs) : NULL);
        if (!c.json && rs.executed && rs.job.total_copied)
            krt_restore_print(&rs, stdout);
        goto out;
    }
    /* the groups, once the records are in the target (a dry run shows the
     * plan when the target exists) */
    go.target = rs.target;
    int grc = groups && (c.execute || rs.target_exists)
                  ? krt_rgroups_step(&c, &go, &gplan, &gstarted, &err)
                  : 0;
    json_t *doc = c.json ? krt_restore_json(&rs) : NULL;
    if (doc && gplan.ngroups)
        json_object_set_new(doc, "groups", krt_rewind_plan_json(&gplan));
    if (!c.json) {
        krt_restore_print(&rs, stdout);
        if (gplan.ngroups)
            krt_rewind_plan_print(&gplan, stdout);
    }
    if (grc) {
        rc = krt_tool_fail_doc(&c, &err, doc);
        goto out;
    }
    if (doc)
        krt_json_write(stdout, doc);
    goto out;
usage:
    rc = krt_usage_error(&c, &err);
    goto out;
fail:
    rc = krt_tool_fail(&c, &err);
out:
    krt_conn_close(&conn);
    krt_rewind_plan_free(&gplan);
    krt_backup_manifest_free(&gm);
    free(gnames);
    krt_restore_free(&rs);
    krt_common_free(&c);
    return rc;
}
