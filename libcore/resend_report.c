/* resend_report.c - the validation and final reports of krt-resend, as JSON
 * and as text, both from struct krt_resend (see resend.h). */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>

#include "json_out.h"
#include "resend.h"
#include "table.h"

json_t *krt_resend_json(const struct krt_resend *rs, bool executed, const struct krt_error *failed)
{
    const struct krt_resend_request *r = &rs->req;
    json_t *doc = json_object(), *parts = json_array();
    json_object_set_new(doc, "krt_resend", json_integer(1));
    json_object_set_new(doc, "id", json_string(r->id));
    json_object_set_new(doc, "team", json_string(r->team));
    json_object_set_new(doc, "source", json_string(r->source));
    json_object_set_new(doc, "target", json_string(r->target));
    json_object_set_new(doc, "group", json_string(rs->group));
    json_object_set_new(doc, "fingerprint", json_string(r->fingerprint));
    json_object_set_new(doc, "executed", json_boolean(executed));
    json_object_set_new(doc, "resumed", json_boolean(rs->resumed));
    json_object_set_new(doc, "already_done", json_boolean(rs->already_done));
    json_object_set_new(doc, "consumer_group", krt_json_str(r->group));
    int64_t estimate = 0;
    for (int i = 0; i < rs->nparts; i++) {
        const struct krt_copy_part *p = &rs->parts[i];
        json_t *o = json_object();
        json_object_set_new(o, "partition", json_integer(p->partition));
        json_object_set_new(o, "start_offset", json_integer(p->start));
        json_object_set_new(o, "end_offset", json_integer(p->end));
        json_object_set_new(o, "next_offset", json_integer(p->next));
        json_object_set_new(o, "records_in_range", json_integer(p->end - p->start));
        if (executed) {
            json_object_set_new(o, "first_copied_offset", krt_json_offset(p->first_copied));
            json_object_set_new(o, "last_copied_offset", krt_json_offset(p->last_copied));
            json_object_set_new(o, "copied", json_integer(p->copied));
            json_object_set_new(o, "filtered_out", json_integer(p->filtered));
        }
        if (r->group)
            json_object_set_new(o, "consumer_group_committed", krt_json_offset(rs->team_committed[i]));
        json_array_append_new(parts, o);
        estimate += p->end - p->next;
    }
    json_object_set_new(doc, "partitions", parts);
    json_object_set_new(doc, "records_to_read", json_integer(estimate));
    if (rs->to_open[0]) /* as the warning names them ("..." when cut) */
        json_object_set_new(doc, "to_later_than_newest_record", json_string(rs->to_open));
    if (executed) {
        double secs = (double)(rs->finished_ms - rs->started_ms) / 1000.0;
        json_object_set_new(doc, "copied", json_integer(rs->job.total_copied));
        json_object_set_new(doc, "filtered_out", json_integer(rs->job.total_filtered));
        json_object_set_new(doc, "bytes", json_integer(rs->job.total_bytes));
        json_object_set_new(doc, "duration_s", json_real(secs));
        json_object_set_new(doc, "records_per_s",
                            json_real(secs > 0 ? (double)rs->job.total_copied / secs : 0));
        json_object_set_new(doc, "copy_duration_s", json_real((double)rs->job.copy_ms / 1000.0));
        json_object_set_new(doc, "copy_records_per_s",
                            json_real(rs->job.copy_ms > 0 ? (double)rs->job.total_copied * 1000.0 /
                                                            (double)rs->job.copy_ms
                                                      : 0));
        json_object_set_new(doc, "transactions", json_integer(rs->job.txn_commits));
        json_object_set_new(doc, "aborted_transactions", json_integer(rs->job.txn_aborts));
    }
    if (failed)
        json_object_set_new(doc, "error", krt_json_error(failed));
    return doc;
}

void krt_resend_print(const struct krt_resend *rs, bool executed, FILE *f)
{
    const struct krt_resend_request *r = &rs->req;
    fprintf(f, "Resend '%s' for team '%s': %s -> %s (group %s)\n", r->id, r->team, r->source,
            r->target, rs->group);
    if (rs->already_done) {
        fprintf(f, "This request is finished: nothing to do.\n");
        return;
    }
    const char *heads[] = {"PARTITION", "START", "END", "NEXT", "IN-RANGE", "COPIED", "FILTERED",
                           "FIRST", "LAST", "TEAM-COMMITTED"};
    struct krt_table t;
    krt_table_init(&t, executed ? 10 : 5, heads);
    for (int i = 0; i < rs->nparts; i++) {
        const struct krt_copy_part *p = &rs->parts[i];
        char c[10][24];
        snprintf(c[0], 24, "%d", p->partition);
        snprintf(c[1], 24, "%" PRId64, p->start);
        snprintf(c[2], 24, "%" PRId64, p->end);
        snprintf(c[3], 24, "%" PRId64, p->next);
        snprintf(c[4], 24, "%" PRId64, p->end - p->start);
        snprintf(c[5], 24, "%" PRId64, p->copied);
        snprintf(c[6], 24, "%" PRId64, p->filtered);
        krt_table_offset(c[7], 24, p->first_copied);
        krt_table_offset(c[8], 24, p->last_copied);
        krt_table_offset(c[9], 24, rs->team_committed[i]);
        const char *cells[] = {c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9]};
        krt_table_add(&t, cells);
    }
    krt_table_print(&t, f);
    krt_table_free(&t);
    if (executed) {
        double secs = (double)(rs->finished_ms - rs->started_ms) / 1000.0;
        fprintf(f, "Copied %" PRId64 " records (%.1f MB), filtered out %" PRId64
                   ", in %.1fs (%.0f records/s), %" PRId64 " transactions%s.\n",
                rs->job.total_copied, (double)rs->job.total_bytes / 1e6, rs->job.total_filtered, secs,
                secs > 0 ? (double)rs->job.total_copied / secs : 0.0, rs->job.txn_commits,
                rs->resumed ? ", resumed from the last commit" : "");
    } else {
        int64_t n = 0;
        for (int i = 0; i < rs->nparts; i++)
            n += rs->parts[i].end - rs->parts[i].next;
        fprintf(f, "%s %" PRId64 " records to read%s. Nothing written: add --execute to copy.\n",
                rs->target_exists ? "Target exists." : "Target will be created.", n,
                rs->req.keys_file || rs->req.header_name ? " (before filtering)" : "");
    }
}
