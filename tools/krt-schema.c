/* krt-schema - prove an Avro schema change safe: offline with reasons,
 * against a schema registry, and against the records already in a topic. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro_decode.h"
#include "avro_schema.h"
#include "error.h"
#include "json_out.h"
#include "opts.h"
#include "registry.h"
#include "schema_check.h"
#include "schema_compat.h"
#include "schema_topic.h"
#include "timespec.h"

static const char usage[] =
    "usage: krt-schema COMMAND [OPTIONS] ARGS...\n"
    "\n"
    "Commands:\n"
    "  check OLD.avsc... NEW.avsc    is NEW compatible with the old version(s)? every\n"
    "                                reason with its JSON path\n"
    "  check --registry URL --subject S NEW.avsc\n"
    "                                the same against the subject's versions, beside the\n"
    "                                registry's own verdict; with --execute, register NEW\n"
    "  register --registry URL --subject S NEW.avsc\n"
    "                                the same as check --registry (dry run unless --execute)\n"
    "  check-topic TOPIC --reader NEW.avsc (--registry URL | --writer OLD.avsc)\n"
    "                                decode the topic's records with NEW: per writer\n"
    "                                schema id, decoded and failed, with reasons\n"
    "  decode --writer W.avsc [--reader R.avsc] FILE\n"
    "                                decode back-to-back Avro datums written with W\n"
    "                                into R's shape (defaults filled), one JSON line each\n"
    "\n"
    "Check options:\n"
    "      --level LEVEL             BACKWARD (default), FORWARD, FULL, their\n"
    "                                _TRANSITIVE forms (every old version), or NONE\n"
    "                                (default with --registry: the subject's, else global)\n"
    "\n"
    "Registry options:\n"
    "      --registry URL            Confluent Schema Registry API base URL\n"
    "      --registry-config FILE    basic.auth.user.info=USER:PASSWORD, ssl.ca.location,\n"
    "                                ssl.certificate.location, ssl.key.location, ...\n"
    "      --subject SUBJECT         the subject, e.g. orders-value\n"
    "      --plan-file FILE          where --execute writes its plan (default:\n"
    "                                $KRT_UNDO_DIR or ., krt-schema-register-SUBJECT-TIME.json)\n"
    KRT_EXEC_USAGE    "\n"
    "Check-topic options:\n"
    "      --from DATETIME           only records at or after this time (ISO-8601)\n"
    "      --to DATETIME             only records before this time\n"
    "      --sample N                at most N records per partition (the oldest first)\n"
    "      --max-failures N          failing offsets listed per writer schema (default 5)\n"
    "\n"
    "Decode options:\n"
    "      --writer FILE             the schema the data was written with (check-topic:\n"
    "                                raw Avro values, no registry)\n"
    "      --reader FILE             the schema to read it as (default: the writer's)\n"
    "\n" KRT_COMMON_USAGE
    "\n"
    "Exit codes: 0 compatible / every record decoded, 1 incompatible / some records\n"
    "failed, 2 usage or bad input (a datum that cannot be decoded), 3 Kafka or registry\n"
    "error or unreachable, 4 refused "
    "(--execute with an incompatible schema: nothing registered).\n";

enum {
    OPT_LEVEL = KRT_OPT_TOOL_BASE,
    OPT_WRITER,
    OPT_READER,
    OPT_REGISTRY,
    OPT_REGISTRY_CONFIG,
    OPT_SUBJECT,
    OPT_PLAN_FILE,
    OPT_FROM,
    OPT_TO,
    OPT_SAMPLE,
    OPT_MAX_FAILURES
};

struct args {
    const char *level;
    const char *writer, *reader;
    const char *registry, *registry_config, *subject, *plan_file;
    bool register_cmd;
    const char *from, *to, *sample, *max_failures;
    char **pos; /* positional arguments after the command */
    int npos;
};

static int read_schema(const char *path, struct krt_avro_schema *out, struct krt_error *err)
{
    return krt_avro_schema_read(path, out, err);
}

static int cmd_check(struct krt_common *c, const struct args *a)
{
    struct krt_error err;
    struct krt_schema_check chk = {0};
    struct krt_registry reg = {0};
    int rc;
    krt_error_clear(&err);
    chk.registered_id = -1;
    chk.registered_version = -1;
    chk.level = KRT_LEVEL_BACKWARD;
    chk.level_source = "default";
    if (a->level) {
        if (krt_schema_compat_level_parse(a->level, &chk.level, &err))
            goto usage;
        chk.level_source = "option";
    }
    if ((a->registry || a->register_cmd) && (!a->registry || !a->subject || a->npos != 1)) {
        krt_error_set(&err, KRT_ERR_USAGE, "%s needs --registry URL --subject SUBJECT NEW.avsc",
                      a->register_cmd ? "register" : "check with a registry");
        goto usage;
    }
    if (!a->registry && (a->npos < 2 || a->subject || c->execute)) {
        krt_error_set(&err, KRT_ERR_USAGE, "%s",
                      a->npos < 2 ? "check needs OLD.avsc... NEW.avsc"
                                  : "--subject and --execute need --registry");
        goto usage;
    }
    /* every local file is read and validated before any request */
    for (int i = 0; i < a->npos - 1; i++) {
        struct krt_avro_schema s;
        if (read_schema(a->pos[i], &s, &err) || krt_schema_check_add_old(&chk, &s, a->pos[i], &err))
            goto fail;
    }
    if (read_schema(a->pos[a->npos - 1], &chk.neu, &err))
        goto fail;
    if (a->registry) {
        if (krt_registry_open(&reg, a->registry, a->registry_config, c->timeout_ms, &err))
            goto fail;
        if (krt_schema_check_registry(&chk, &reg, a->subject, a->level != NULL, &err))
            goto fail;
        if (c->execute && krt_schema_check_register(&chk, &reg, a->plan_file, &err))
            goto fail;
    } else if (krt_schema_check_run(&chk, &err)) {
        goto fail;
    }
    if (c->json)
        krt_json_write(stdout, krt_schema_check_json(&chk));
    else
        krt_schema_check_print(&chk, stdout);
    if (a->registry && !c->execute && c->verbosity)
        krt_notef(c->prog, "dry run: nothing registered (--execute registers when both say compatible)");
    /* a registry that could not check is a warning: krt's verdict alone */
    rc = chk.compatible && (!a->registry || (chk.reg_compatible && !chk.reg_unchecked))
             ? KRT_EXIT_OK
             : KRT_EXIT_FINDINGS;
    goto out;
usage:
    rc = krt_usage_error(c, &err);
    goto out;
fail:
    if (chk.subject && err.code == KRT_ERR_REFUSED && !c->json)
        krt_schema_check_print(&chk, stdout);
    rc = krt_tool_fail(c, &err);
out:
    krt_registry_close(&reg);
    krt_schema_check_free(&chk);
    return rc;
}

static int cmd_decode(struct krt_common *c, const struct args *a)
{
    struct krt_error err;
    struct krt_avro_schema w = {0}, r = {0};
    struct krt_avro_decoder d = {0};
    size_t count = 0;
    int rc;
    krt_error_clear(&err);
    if (!a->writer || a->npos != 1) {
        krt_error_set(&err, KRT_ERR_USAGE, "decode needs --writer W.avsc and one FILE");
        rc = krt_usage_error(c, &err);
        goto out;
    }
    if (read_schema(a->writer, &w, &err) || (a->reader && read_schema(a->reader, &r, &err)) ||
        krt_avro_decoder_new(&d, &w, a->reader ? &r : &w, &err) ||
        krt_avro_decode_file(&d, a->pos[0], stdout, &count, &err)) {
        rc = krt_tool_fail(c, &err);
        goto out;
    }
    if (c->verbosity > 1)
        krt_notef(c->prog, "%zu datum(s) decoded", count);
    rc = KRT_EXIT_OK;
out:
    krt_avro_decoder_free(&d);
    krt_avro_schema_free(&w);
    krt_avro_schema_free(&r);
    return rc;
}

static int cmd_check_topic(struct krt_common *c, const struct args *a)
{
    struct krt_error err;
    struct krt_avro_schema rd = {0}, wr = {0};
    struct krt_registry reg = {0};
    struct krt_schema_topic_report rep = {0};
    struct krt_schema_topic_req req = {.from_ms = -1, .to_ms = -1, .max_failures = 5};
    int64_t v;
    int rc;
    krt_error_clear(&err);
    if (a->npos != 1 || !a->reader || !a->registry == !a->writer) {
        krt_error_set(&err, KRT_ERR_USAGE,
                      "check-topic needs TOPIC, --reader NEW.avsc and one of --registry or --writer");
        goto usage;
    }
    req.topic = a->pos[0];
    if ((a->from && krt_time_parse(a->from, NULL, &req.from_ms, &err)) ||
        (a->to && krt_time_parse(a->to, NULL, &req.to_ms, &err)))
        goto usage;
    if (a->sample) {
        if (krt_parse_int64(a->sample, &v) || v < 1) {
            krt_error_set(&err, KRT_ERR_USAGE, "--sample needs a positive number of records");
            goto usage;
        }
        req.sample = v;
    }
    if (a->max_failures) {
        if (krt_parse_int64(a->max_failures, &v) || v < 0 || v > 100000) {
            krt_error_set(&err, KRT_ERR_USAGE, "--max-failures needs a number (0-100000)");
            goto usage;
        }
        req.max_failures = (size_t)v;
    }
    /* local files first, then the network */
    if (read_schema(a->reader, &rd, &err) || (a->writer && read_schema(a->writer, &wr, &err)))
        goto fail;
    req.reader = &rd;
    req.writer = a->writer ? &wr : NULL;
    if (a->registry) {
        if (krt_registry_open(&reg, a->registry, a->registry_config, c->timeout_ms, &err))
            goto fail;
        req.registry = &reg;
    }
    if (krt_schema_topic_check(c, &req, &rep, &err))
        goto fail;
    if (c->json)
        krt_json_write(stdout, krt_schema_topic_json(&rep));
    else
        krt_schema_topic_print(&rep, stdout);
    rc = rep.failed ? KRT_EXIT_FINDINGS : KRT_EXIT_OK;
    goto out;
usage:
    rc = krt_usage_error(c, &err);
    goto out;
fail:
    rc = krt_tool_fail(c, &err);
out:
    krt_schema_topic_free(&rep);
    krt_registry_close(&reg);
    krt_avro_schema_free(&rd);
    krt_avro_schema_free(&wr);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        KRT_COMMON_LONGOPTS,
        {"level", required_argument, NULL, OPT_LEVEL},
        {"writer", required_argument, NULL, OPT_WRITER},
        {"reader", required_argument, NULL, OPT_READER},
        {"registry", required_argument, NULL, OPT_REGISTRY},
        {"registry-config", required_argument, NULL, OPT_REGISTRY_CONFIG},
        {"subject", required_argument, NULL, OPT_SUBJECT},
        {"plan-file", required_argument, NULL, OPT_PLAN_FILE},
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"sample", required_argument, NULL, OPT_SAMPLE},
        {"max-failures", required_argument, NULL, OPT_MAX_FAILURES},
        KRT_EXEC_LONGOPTS,
        {0},
    };
    struct krt_common c;
    struct krt_error err;
    struct args a = {0};
    int opt, rc;

    krt_error_clear(&err);
    krt_common_init(&c, "krt-schema", argc, argv);
    opterr = 0;
    while ((opt = getopt_long(argc, argv, KRT_COMMON_SHORTOPTS, longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_LEVEL:
            a.level = optarg;
            break;
        case OPT_WRITER:
            a.writer = optarg;
            break;
        case OPT_READER:
            a.reader = optarg;
            break;
        case OPT_REGISTRY:
            a.registry = optarg;
            break;
        case OPT_REGISTRY_CONFIG:
            a.registry_config = optarg;
            break;
        case OPT_SUBJECT:
            a.subject = optarg;
            break;
        case OPT_PLAN_FILE:
            a.plan_file = optarg;
            break;
        case OPT_FROM:
            a.from = optarg;
            break;
        case OPT_TO:
            a.to = optarg;
            break;
        case OPT_SAMPLE:
            a.sample = optarg;
            break;
        case OPT_MAX_FAILURES:
            a.max_failures = optarg;
            break;
        default:
            if (krt_tool_option(&c, opt, optarg, argv, &err))
                goto usage;
        }
    }
    /* getopt moved the command and its arguments to the end */
    int first = optind;
    optind = argc;
    switch (krt_common_after(&c, usage, argc, argv, &err)) {
    case 1:
        rc = KRT_EXIT_OK;
        goto out;
    case -1:
        goto usage;
    }
    if (first >= argc) {
        krt_error_set(&err, KRT_ERR_USAGE, "missing command (check, register, check-topic, decode)");
        goto usage;
    }
    const char *cmd = argv[first];
    a.pos = argv + first + 1;
    a.npos = argc - first - 1;
    if (!strcmp(cmd, "check") || !strcmp(cmd, "register")) {
        a.register_cmd = !strcmp(cmd, "register");
        rc = cmd_check(&c, &a);
        goto out;
    }
    if (!strcmp(cmd, "check-topic")) {
        rc = cmd_check_topic(&c, &a);
        goto out;
    }
    if (!strcmp(cmd, "decode")) {
        rc = cmd_decode(&c, &a);
        goto out;
    }
    krt_error_set(&err, KRT_ERR_USAGE, "unknown command '%s'", cmd);
usage:
    rc = krt_usage_error(&c, &err);
out:
    krt_common_free(&c);
    return rc;
}
