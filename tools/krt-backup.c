/* krt-backup - back up topics into a directory of Avro segment files with a
 * JSON manifest: one-shot to a consistent cut, or --follow; --verify. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup.h"
#include "error.h"
#include "json_out.h"
#include "opts.h"
#include "timespec.h"

static const char usage[] =
    "usage: krt-backup [OPTIONS] --dir DIR [--topic TOPIC|PREFIX*]... [--follow] [--verify "
    "[--live]]\n"
    "\n"
    "Back up the committed records of topics into DIR: one series of Avro segment files\n"
    "per partition and a manifest (cluster id, topic configs, offset ranges, SHA-256 of\n"
    "every file, gaps, the committed offsets of every consumer group on those topics).\n"
    "A run reads up to the end offsets taken at its start (the cut); a second run into\n"
    "the same DIR continues where the last one ended and records as a gap any offsets\n"
    "deleted from the topic in between. Killed or interrupted, run it again to resume.\n"
    "\n"
    "Backup:\n"
    "  -d, --dir DIR                 the backup directory (created if missing)\n"
    "  -t, --topic TOPIC|PREFIX*     topic, or every topic starting with PREFIX; repeatable\n"
    "                                (default: every topic that is not internal)\n"
    "      --codec CODEC             null, deflate or snappy (default snappy)\n"
    "      --segment-bytes N         roll a segment past N bytes of records (default 256M;\n"
    "                                suffixes K, M, G)\n"
    "      --segment-time DURATION   roll a segment this old: 30s, 10m (default 60m)\n"
    "      --follow                  keep backing up new records until Ctrl-C or SIGTERM\n"
    "      --refresh DURATION        with --follow: look for new topics and partitions and\n"
    "                                read the groups' offsets again this often (default 60s)\n"
    "      --force                   add to a backup of another cluster\n"
    "      --verify                  check DIR (hashes, blocks, offsets, gaps); no network\n"
    "      --live                    with --verify: also compare the records still in the\n"
    "                                topics with the backup\n"
    "\n" KRT_COMMON_USAGE
    "\n"
    "Exit codes: 0 ok, 1 gaps recorded or groups not captured (or --verify found\n"
    "problems), 2 usage or bad\n"
    "input, 3 Kafka error, 4 refused (internal topic, backup of another cluster, a\n"
    "partition whose log diverged from the backup),\n"
    "5 some partitions failed, 130 interrupted (run again to continue).\n";

enum {
    OPT_CODEC = KRT_OPT_TOOL_BASE,
    OPT_SEGMENT_BYTES,
    OPT_SEGMENT_TIME,
    OPT_FOLLOW,
    OPT_REFRESH,
    OPT_FORCE,
    OPT_VERIFY,
    OPT_LIVE
};

static int parse_size(const char *s, int64_t *out, struct krt_error *err)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    int64_t mul = 1;
    if (end != s && *end && !end[1]) {
        switch (*end) {
        case 'K': mul = 1024; break;
        case 'M': mul = 1024 * 1024; break;
        case 'G': mul = 1024 * 1024 * 1024; break;
        default: mul = 0;
        }
        end++;
    }
    if (end == s || *end || v <= 0 || !mul || v > INT64_MAX / mul)
        return krt_error_set(err, KRT_ERR_USAGE, "--segment-bytes needs a size like 64M, not '%s'",
                             s);
    *out = v * mul;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        KRT_COMMON_LONGOPTS,
        {"dir", required_argument, NULL, 'd'},
        {"topic", required_argument, NULL, 't'},
        {"codec", required_argument, NULL, OPT_CODEC},
        {"segment-bytes", required_argument, NULL, OPT_SEGMENT_BYTES},
        {"segment-time", required_argument, NULL, OPT_SEGMENT_TIME},
        {"follow", no_argument, NULL, OPT_FOLLOW},
        {"refresh", required_argument, NULL, OPT_REFRESH},
        {"force", no_argument, NULL, OPT_FORCE},
        {"verify", no_argument, NULL, OPT_VERIFY},
        {"live", no_argument, NULL, OPT_LIVE},
        {0},
    };
    struct krt_common c;
    struct krt_error err;
    struct krt_backup_opts o = {0};
    struct krt_backup_report rep = {0};
    bool verify = false, live = false, refresh_set = false;
    int opt, rc = KRT_EXIT_OK;

    o.codec = KRT_SEG_SNAPPY;
    o.segment_bytes = 256LL * 1024 * 1024;
    o.segment_ms = 3600 * 1000;
    o.refresh_ms = 60 * 1000;
    o.topics = calloc((size_t)argc + 1, sizeof(*o.topics));
    krt_error_clear(&err);
    krt_common_init(&c, "krt-backup", argc, argv);
    opterr = 0;
    while ((opt = getopt_long(argc, argv, KRT_COMMON_SHORTOPTS "d:t:", longopts, NULL)) != -1) {
        int bad = 0;
        switch (opt) {
        case 'd': o.dir = optarg; break;
        case 't':
            if (!*optarg)
                bad = krt_error_set(&err, KRT_ERR_USAGE, "--topic needs a name");
            else
                o.topics[o.ntopics++] = optarg;
            break;
        case OPT_CODEC: bad = krt_seg_codec_parse(optarg, &o.codec, &err); break;
        case OPT_SEGMENT_BYTES: bad = parse_size(optarg, &o.segment_bytes, &err); break;
        case OPT_SEGMENT_TIME: {
            int ms;
            bad = krt_timeout_parse(optarg, "--segment-time", 1, 86400000, &ms, &err);
            o.segment_ms = ms;
            break;
        }
        case OPT_FOLLOW: o.follow = true; break;
        case OPT_REFRESH: {
            int ms;
            bad = krt_timeout_parse(optarg, "--refresh", 1000, 86400000, &ms, &err);
            o.refresh_ms = ms;
            refresh_set = true;
            break;
        }
        case OPT_FORCE: o.force = true; break;
        case OPT_VERIFY: verify = true; break;
        case OPT_LIVE: live = true; break;
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
    if (!o.dir) {
        krt_error_set(&err, KRT_ERR_USAGE, "--dir is required");
        goto usage;
    }
    if (verify && (o.follow || o.ntopics)) {
        krt_error_set(&err, KRT_ERR_USAGE, "--verify checks the whole backup; it takes no "
                                           "--topic or --follow");
        goto usage;
    }
    if (refresh_set && !o.follow) {
        krt_error_set(&err, KRT_ERR_USAGE, "--refresh goes with --follow");
        goto usage;
    }
    if (live && !verify) {
        krt_error_set(&err, KRT_ERR_USAGE, "--live goes with --verify");
        goto usage;
    }
    if (verify) {
        if (krt_backup_verify(o.dir, &rep, &err) ||
            (live && krt_backup_verify_live(&c, o.dir, &rep, &err)))
            goto fail;
        if (c.json)
            krt_json_write(stdout, krt_backup_report_json(&rep));
        else
            krt_backup_print(&rep, stdout);
        rc = rep.nproblems ? KRT_EXIT_FINDINGS : KRT_EXIT_OK;
        goto out;
    }
    o.progress = !c.json && c.verbosity > 0 && isatty(STDERR_FILENO);
    if (krt_backup_run(&c, &o, &rep, &err)) {
        if (rep.records || rep.segments)
            krt_tool_partial_io(&err); /* segments were written: not "nothing changed" */
        if (rep.n) {
            if (c.json)
                krt_json_write(stderr, krt_backup_report_json(&rep));
            else if (c.verbosity)
                krt_backup_print(&rep, stderr);
        }
        goto fail;
    }
    if (c.json)
        krt_json_write(stdout, krt_backup_report_json(&rep));
    else
        krt_backup_print(&rep, stdout);
    if (rep.gaps) {
        if (c.verbosity)
            krt_warnf(c.prog,
                      "%lld gap(s): offsets deleted from the topic before the backup read them "
                      "(see the GAP column)",
                      (long long)rep.gaps);
        rc = KRT_EXIT_FINDINGS;
    }
    if (rep.groups_failed)
        rc = KRT_EXIT_FINDINGS; /* each group was named in a warning */
    goto out;
usage:
    rc = krt_usage_error(&c, &err);
    goto out;
fail:
    rc = krt_tool_fail(&c, &err);
out:
    krt_backup_report_free(&rep);
    free(o.topics);
    krt_common_free(&c);
    return rc;
}
