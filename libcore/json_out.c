/* json_out.c - see json_out.h */
#define _POSIX_C_SOURCE 200809L
#include "json_out.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "jread.h"
#include "timespec.h"

int krt_json_write(FILE *f, json_t *doc)
{
    int rc = json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    if (rc || fputc('\n', f) == EOF || fflush(f))
        return -1;
    return 0;
}

int krt_json_write_line(FILE *f, json_t *doc)
{
    int rc = json_dumpf(doc, f,
                        JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    json_decref(doc);
    return rc || fputc('\n', f) == EOF ? -1 : 0;
}

json_t *krt_json_offset(int64_t v) { return v < 0 ? json_null() : json_integer((json_int_t)v); }

json_t *krt_json_str(const char *s) { return s ? json_string(s) : json_null(); }

json_t *krt_json_time(int64_t ms)
{
    if (ms < 0)
        return json_null();
    char b[40];
    krt_time_format(ms, b, sizeof(b));
    return json_string(b);
}

static const char *code_name(enum krt_errcode c)
{
    switch (c) {
    case KRT_OK: return "ok";
    case KRT_ERR_USAGE: return "usage";
    case KRT_ERR_INPUT: return "bad-input";
    case KRT_ERR_KAFKA: return "kafka";
    case KRT_ERR_UNREACHABLE: return "unreachable";
    case KRT_ERR_AUTH: return "not-authorized";
    case KRT_ERR_REFUSED: return "refused";
    case KRT_ERR_PARTIAL: return "partial";
    case KRT_ERR_IO: return "io";
    case KRT_ERR_INTERRUPTED: return "interrupted";
    case KRT_ERR_INTERNAL: return "internal";
    }
    return "unknown";
}

json_t *krt_json_error(const struct krt_error *e)
{
    json_t *o = json_object();
    json_object_set_new(o, "code", json_string(code_name(e->code)));
    json_object_set_new(o, "kafka_error",
                        e->kafka_err ? json_string(rd_kafka_err2name(e->kafka_err)) : json_null());
    json_object_set_new(o, "message", json_string(e->msg));
    json_object_set_new(o, "exit_code", json_integer(krt_error_exit_code(e)));
    return o;
}

int krt_json_write_error(FILE *f, const struct krt_error *e)
{
    json_t *doc = json_object();
    json_object_set_new(doc, "error", krt_json_error(e));
    return krt_json_write(f, doc);
}

int krt_json_write_file(const char *path, json_t *doc, int no_clobber, struct krt_error *err)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        json_decref(doc);
        return krt_error_set(err, KRT_ERR_IO, "cannot write '%s': %s", path, strerror(errno));
    }
    FILE *f = fdopen(fd, "w");
    int rc = f ? krt_json_write(f, doc) : (json_decref(doc), -1);
    if (!rc && fsync(fd))
        rc = -1;
    if (f ? fclose(f) : close(fd))
        rc = -1;
    if (!rc && no_clobber && link(tmp, path)) {
        int e = errno;
        unlink(tmp);
        return krt_error_set(err, KRT_ERR_IO, "cannot write '%s': %s", path, strerror(e));
    }
    if (!rc && !no_clobber && rename(tmp, path))
        rc = -1;
    if (rc) {
        int e = errno;
        unlink(tmp);
        return krt_error_set(err, KRT_ERR_IO, "cannot write '%s': %s", path, strerror(e));
    }
    if (no_clobber)
        unlink(tmp);
    /* the new name is only durable once the directory entry is */
    return krt_file_sync_dir(path, err);
}
