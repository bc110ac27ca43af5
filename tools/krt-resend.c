/* krt-resend - replay selected events onto a dedicated resend topic for a
 * consuming team, exactly once, throttled, resumable. */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "error.h"
#include "json_out.h"
#include "notify.h"
#include "opts.h"
#include "resend.h"
#include "timespec.h"

static const char usage[] =
    "usage: krt-resend [OPTIONS] (--request FILE | --id ID --team TEAM --topic SOURCE) [--from "
    "BOUND] [--to BOUND] [--execute]\n"
    "\n"
    "Copy selected records of a source topic onto a resend topic for a consuming team:\n"
    "same partition, order, key, value, headers and timestamp, plus provenance headers\n"
    "(krt.resend.id, krt.source.topic, krt.source.partition, krt.source.offset). Exactly\n"
    "once across failures: re-run the same request to resume. Without --execute, only\n"
    "validates the request and shows what would be copied.\n"
    "\n"
    "The request (a JSON file, or these flags, which win over the file):\n"
    "      --request FILE            the request as JSON (see docs/krt-resend.md)\n"
    "      --id ID                   request id (letters, digits, . _ -)\n"
    "      --team TEAM               requesting team\n"
    "  -t, --topic SOURCE            source topic\n"
    "      --partitions P,P,...      source partitions (default: all)\n"
    "      --from BOUND              start: ISO-8601 time, or P=OFFSET,... (default: log start)\n"
    "      --to BOUND                end, exclusive: time or P=OFFSET,... (default: the high\n"
    "                                watermark when the request first starts)\n"
    "      --timezone ZONE           zone for times written without one\n"
    "      --keys-file FILE          only records whose key is one of these lines (exact bytes)\n"
    "      --header NAME=VALUE       only records with this header\n"
    "      --target TOPIC            target topic (default: SOURCE.resend.TEAM)\n"
    "  -g, --group GROUP             the team's consumer group, reported with its offsets\n"
    "      --replication-factor N    for a target created here (default: the source's)\n"
    "      --max-rate N              records per second (per process)\n"
    "      --max-bytes-rate N        bytes per second (per process)\n"
    "      --instance NAME           this process's name when several share a request\n"
    "\n"
    "Run:\n"
    "      --validate                check the request and show the plan (the default)\n"
    "      --execute                 copy\n"
    "      --notify URL              POST the final report as JSON to URL\n" KRT_COMMON_USAGE
    "\n"
    "Exit codes: 0 done (or a valid request), 1 done but the notification failed\n"
    "or 'to' is later than the newest record of a partition (the window is not over),\n"
    "2 bad request, 3 Kafka error (also: a record failed 5 transactions in a row),\n"
    "4 refused, 130 interrupted (re-run to resume).\n";

enum {
    OPT_REQUEST = KRT_OPT_TOOL_BASE,
    OPT_ID,
    OPT_TEAM,
    OPT_PARTITIONS,
    OPT_FROM,
    OPT_TO,
    OPT_TIMEZONE,
    OPT_KEYS,
    OPT_HEADER,
    OPT_TARGET,
    OPT_RF,
    OPT_MAX_RATE,
    OPT_MAX_BYTES,
    OPT_INSTANCE,
    OPT_VALIDATE,
    OPT_NOTIFY
};

static int set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = strdup(v);
    return *dst ? 0 : -1;
}

int main(int argc, char **argv)
{
#ifdef __GLIBC__
    /* librdkafka's fetch and produce buffers are megabytes each and its
     * threads allocate them. One malloc arena for all threads lets a freed
     * buffer be reused by whichever thread asks next (about 73 MB peak RSS on
     * a 1 GB copy; glibc's defaults, an arena per thread: 80-95 MB). A fixed
     * 128 KB mmap threshold kept RSS at 62 MB but cost a fresh mmap, page
     * faults and zeroed pages per buffer (1.6-2.2 s of system CPU per 1 GB
     * against 0.7-0.9 s with one arena). */
    mallopt(M_ARENA_MAX, 1);
#endif
    static const struct option longopts[] = {
        KRT_COMMON_LONGOPTS,
        KRT_EXEC_LONGOPTS,
        {"validate", no_argument, NULL, OPT_VALIDATE},
        {"request", required_argument, NULL, OPT_REQUEST},
        {"id", required_argument, NULL, OPT_ID},
        {"team", required_argument, NULL, OPT_TEAM},
        {"topic", required_argument, NULL, 't'},
        {"partitions", required_argument, NULL, OPT_PARTITIONS},
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"timezone", required_argument, NULL, OPT_TIMEZONE},
        {"keys-file", required_argument, NULL, OPT_KEYS},
        {"header", required_argument, NULL, OPT_HEADER},
        {"target", required_argument, NULL, OPT_TARGET},
        {"group", required_argument, NULL, 'g'},
        {"replication-factor", required_argument, NULL, OPT_RF},
        {"max-rate", required_argument, NULL, OPT_MAX_RATE},
        {"max-bytes-rate", required_argument, NULL, OPT_MAX_BYTES},
        {"instance", required_argument, NULL, OPT_INSTANCE},
        {"notify", required_argument, NULL, OPT_NOTIFY},
        {0},
    };
    struct krt_common c;
    struct krt_error err;
    struct krt_resend rs = {0};
    struct krt_resend_request *r = &rs.req;
    struct krt_conn conn = {0};
    const char *request = NULL, *from = NULL, *to = NULL, *tz = NULL, *notify = NULL;
    int opt, rc = KRT_EXIT_OK;

    krt_error_clear(&err);
    krt_common_init(&c, "krt-resend", argc, argv);
    opterr = 0;
    while ((opt = getopt_long(argc, argv, KRT_COMMON_SHORTOPTS "t:g:", longopts, NULL)) != -1) {
        int bad = 0;
        switch (opt) {
        case OPT_REQUEST: request = optarg; break;
        case OPT_ID: bad = set_str(&r->id, optarg); break;
        case OPT_TEAM: bad = set_str(&r->team, optarg); break;
        case 't': bad = set_str(&r->source, optarg); break;
        case OPT_TARGET: bad = set_str(&r->target, optarg); break;
        case 'g': bad = set_str(&r->group, optarg); break;
        case OPT_KEYS: bad = set_str(&r->keys_file, optarg); break;
        case OPT_INSTANCE: bad = set_str(&r->instance, optarg); break;
        case OPT_PARTITIONS: bad = krt_resend_partitions_parse(optarg, r, &err); break;
        case OPT_FROM: from = optarg; break;
        case OPT_TO: to = optarg; break;
        case OPT_TIMEZONE: tz = optarg; break;
        case OPT_NOTIFY:
            notify = optarg;
            bad = krt_notify_check(optarg, &err);
            break;
        case OPT_VALIDATE: c.dry_run = true; break;
        case OPT_HEADER: {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg) {
                bad = krt_error_set(&err, KRT_ERR_USAGE, "--header needs NAME=VALUE, not '%s'",
                                    optarg);
                break;
            }
            free(r->header_name);
            free(r->header_value);
            r->header_name = strndup(optarg, (size_t)(eq - optarg));
            r->header_value = strdup(eq + 1);
            break;
        }
        case OPT_RF: {
            int64_t v;
            if (krt_parse_int64(optarg, &v) || v < 1 || v > 32)
                bad = krt_error_set(&err, KRT_ERR_USAGE, "--replication-factor needs 1 to 32");
            else
                r->replication_factor = (int)v;
            break;
        }
        case OPT_MAX_RATE: bad = krt_resend_rate_parse(optarg, &r->max_rate, &err); break;
        case OPT_MAX_BYTES: bad = krt_resend_rate_parse(optarg, &r->max_bytes_rate, &err); break;
        default: bad = krt_tool_option(&c, opt, optarg, argv, &err);
        }
        if (bad) {
            if (!err.msg[0])
                krt_error_set(&err, KRT_ERR_INTERNAL, "out of memory");
            goto usage;
        }
    }
    switch (krt_common_after(&c, usage, argc, argv, &err)) {
    case 1:
        goto out;
    case -1:
        goto usage;
    }
    if ((from && krt_resend_bound_parse(from, tz, &r->from, &err)) ||
        (to && krt_resend_bound_parse(to, tz, &r->to, &err)))
        goto usage;
    /* every local file (the request, its key file) is read before the
     * first network call */
    if (request && krt_resend_request_read(request, tz, r, &err)) {
        if (err.code == KRT_ERR_IO)
            krt_error_prefix(&err, "cannot read request");
        goto fail;
    }
    if (krt_resend_request_check(r, &err))
        goto fail;

    if (krt_conn_open(&conn, &c, KRT_CONN_ADMIN, NULL, &err))
        goto fail;
    krt_conn_trap_signals(&conn);
    if (krt_resend_prepare(&conn, &rs, &err))
        goto fail;
    if (rs.to_open[0])
        krt_warnf(c.prog, "'to' %s is later than the newest record of partition(s) %s: their "
                  "range ends at the high watermark now, and records written later with an "
                  "earlier timestamp are not resent; run it once the window is over",
                  rs.req.to.text, rs.to_open);
    krt_conn_close(&conn);
    /* a failed copy is reported like a finished one (every partition, the
     * error with it) and notified: the operator learns what was copied */
    bool failed = c.execute && krt_resend_run(&c, &rs, &err);
    if (failed) {
        if (!c.json)
            krt_resend_print(&rs, true, stdout);
        rc = krt_tool_fail_doc(&c, &err, c.json ? krt_resend_json(&rs, true, &err) : NULL);
    } else if (c.json) {
        krt_json_write(stdout, krt_resend_json(&rs, c.execute, NULL));
    } else {
        krt_resend_print(&rs, c.execute, stdout);
    }
    if (!failed && rs.to_open[0])
        rc = KRT_EXIT_FINDINGS; /* the window is not over: warned above */
    if (c.execute && notify) {
        struct krt_error nerr;
        if (krt_notify_post(notify, krt_resend_json(&rs, true, failed ? &err : NULL), 5000,
                            &nerr)) {
            krt_warnf(c.prog, "%s (%s)", nerr.msg,
                      failed ? "the copy failed too" : "the copy itself is complete");
            if (!failed)
                rc = KRT_EXIT_FINDINGS;
        }
    }
    goto out;
usage:
    rc = krt_usage_error(&c, &err);
    goto out;
fail:
    rc = krt_tool_fail(&c, &err);
out:
    krt_conn_close(&conn);
    krt_resend_free(&rs);
    krt_common_free(&c);
    return rc;
}
