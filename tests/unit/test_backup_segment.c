/* Unit tests of libcore/segment, store and the backup manifest and source:
 * no broker, files in a temporary directory. */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup.h"
#include "check_main.h"
#include "json_out.h"
#include "segment.h"
#include "store.h"

static char dir[] = "/tmp/krt-test-backup-XXXXXX";

static const char *path_of(const char *name)
{
    static char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return p;
}

static struct krt_seg_meta meta_of(int64_t from)
{
    struct krt_seg_meta m = {0};
    strcpy(m.cluster_id, "c-1");
    strcpy(m.topic, "orders");
    m.partition = 3;
    m.from = from;
    return m;
}

static const struct krt_seg_header hdrs[] = {{"h", "1", 1}, {"h", "1", 1}, {"n", NULL, 0}, {"e", "", 0}};

/* record i: null key when i%3==0, empty key when i%3==1; a null value when
 * i%4==0, empty when i%4==1; i%5 headers; record 7 is larger than a block */
static struct krt_seg_record rec_of(int64_t i, char *big, size_t bigsz)
{
    struct krt_seg_record r = {0};
    r.offset = 100 + i * 2;
    r.timestamp = 1000000000000 - i;
    r.timestamp_type = 1 + (int)(i % 2);
    r.key = i % 3 == 0 ? NULL : "k";
    r.key_len = i % 3 == 2 ? 1 : 0;
    r.value = i == 7 ? big : i % 4 == 0 ? NULL : "\0\xff";
    r.value_len = i == 7 ? bigsz : i % 4 <= 1 ? 0 : 2;
    r.headers = hdrs;
    r.nheaders = (size_t)(i % 5);
    return r;
}

/* a new segment @p name from offset 100 with blocks of 4 KB */
static struct krt_seg_writer *new_segment(const char *name, enum krt_seg_codec codec)
{
    struct krt_error e;
    struct krt_seg_writer *w;
    struct krt_seg_meta m = meta_of(100);
    unlink(path_of(name));
    ck_assert_msg(!krt_seg_create(path_of(name), codec, &m, 4096, &w, &e), "%s", e.msg);
    return w;
}

static void write_segment(const char *name, enum krt_seg_codec codec, int n)
{
    struct krt_error e;
    struct krt_seg_writer *w = new_segment(name, codec);
    static char big[300000];
    memset(big, 'x', sizeof(big));
    for (int i = 0; i < n; i++) {
        struct krt_seg_record r = rec_of(i, big, sizeof(big));
        ck_assert_msg(!krt_seg_append(w, &r, &e), "%s", e.msg);
    }
    ck_assert_msg(!krt_seg_close(w, &e), "%s", e.msg);
}

static void assert_records(const char *name, int from_i, int n)
{
    struct krt_error e;
    struct krt_seg_reader *r;
    struct krt_seg_record got;
    static char big[300000];
    memset(big, 'x', sizeof(big));
    ck_assert_msg(!krt_seg_reader_open(path_of(name), &r, &e), "%s", e.msg);
    for (int i = from_i; i < n; i++) {
        struct krt_seg_record want = rec_of(i, big, sizeof(big));
        ck_assert_int_eq(krt_seg_reader_next(r, &got, &e), 1);
        ck_assert_int_eq(got.offset, want.offset);
        ck_assert_int_eq(got.timestamp, want.timestamp);
        ck_assert_int_eq(got.timestamp_type, want.timestamp_type);
        ck_assert_int_eq(got.key == NULL, want.key == NULL);
        ck_assert_int_eq(got.key_len, want.key_len);
        ck_assert_int_eq(got.value == NULL, want.value == NULL);
        ck_assert_int_eq(got.value_len, want.value_len);
        if (want.value_len)
            ck_assert(!memcmp(got.value, want.value, want.value_len));
        ck_assert_int_eq(got.nheaders, want.nheaders);
        for (size_t h = 0; h < got.nheaders; h++) {
            ck_assert_str_eq(got.headers[h].name, hdrs[h].name);
            ck_assert_int_eq(got.headers[h].value == NULL, hdrs[h].value == NULL);
            ck_assert_int_eq(got.headers[h].value_len, hdrs[h].value_len);
        }
    }
    ck_assert_int_eq(krt_seg_reader_next(r, &got, &e), 0);
    krt_seg_reader_close(r);
}

/* A writer parked (block written, buffers freed) between appends, also right
 * before a record larger than its block, still writes every record once;
 * the last record's hash is what krt_seg_check reports. */
START_TEST(a_parked_writer_appends_after_reopening)
{
    struct krt_error e;
    struct krt_seg_writer *w = new_segment("parked.avro", KRT_SEG_SNAPPY);
    static char big[300000];
    memset(big, 'x', sizeof(big));
    for (int i = 0; i < 12; i++) {
        struct krt_seg_record r = rec_of(i, big, sizeof(big));
        if (i % 2 == 0 || i == 7) {
            ck_assert_msg(!krt_seg_park(w, &e), "%s", e.msg);
            ck_assert(krt_seg_parked(w));
        }
        ck_assert_msg(!krt_seg_append(w, &r, &e), "%s", e.msg);
        ck_assert(!krt_seg_parked(w));
    }
    ck_assert_msg(!krt_seg_park(w, &e), "%s", e.msg);
    ck_assert_msg(!krt_seg_close(w, &e), "%s", e.msg);
    assert_records("parked.avro", 0, 12);
    struct krt_seg_info info;
    ck_assert_msg(!krt_seg_check(path_of("parked.avro"), 0, &info, &e), "%s", e.msg);
    ck_assert_int_eq(info.records, 12);
    struct krt_seg_record last = rec_of(11, big, sizeof(big));
    char h[65];
    krt_seg_record_sha256(last.timestamp, last.key, last.key_len, last.value, last.value_len, h);
    ck_assert_str_eq(info.last_sha256, h);
}
END_TEST

/* The SHA-256 a close returns, hashed in steps while the file grows
 * (write-backs between appends, a park, a block grown for a large record,
 * a reopen after a torn tail was cut), equals sha256sum's of the file. */
static void assert_sha256sum(const char *path, const char *got)
{
    char cmd[600], want[65] = "";
    snprintf(cmd, sizeof(cmd), "sha256sum '%s'", path);
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "cannot run sha256sum");
    ck_assert_int_eq(fscanf(p, "%64s", want), 1);
    ck_assert_int_eq(pclose(p), 0);
    ck_assert_str_eq(got, want);
}

START_TEST(the_hash_of_a_close_is_the_files)
{
    struct krt_error e;
    struct krt_seg_writer *w = new_segment("hashed.avro", KRT_SEG_DEFLATE);
    static char big[300000];
    memset(big, 'x', sizeof(big));
    const char *p = path_of("hashed.avro");
    for (int i = 0; i < 12; i++) {
        struct krt_seg_record r = rec_of(i, big, sizeof(big));
        ck_assert_msg(!krt_seg_append(w, &r, &e), "%s", e.msg);
        if (i % 3 == 0)
            krt_seg_writeback(w);
        if (i == 5)
            ck_assert_msg(!krt_seg_park(w, &e), "%s", e.msg);
    }
    char sha[65] = "";
    ck_assert_msg(!krt_seg_close_hashed(w, sha, &e), "%s", e.msg);
    assert_sha256sum(p, sha);
    assert_records("hashed.avro", 0, 12);
    /* a torn tail, cut back by the reopen, then appended to */
    FILE *f = fopen(p, "ab");
    ck_assert(f && fwrite("torn", 1, 4, f) == 4 && !fclose(f));
    ck_assert_msg(!krt_seg_reopen(p, 4096, &w, &e), "%s", e.msg);
    krt_seg_writeback(w);
    for (int i = 12; i < 15; i++) {
        struct krt_seg_record r = rec_of(i, big, sizeof(big));
        ck_assert_msg(!krt_seg_append(w, &r, &e), "%s", e.msg);
        krt_seg_writeback(w);
    }
    ck_assert_msg(!krt_seg_close_hashed(w, sha, &e), "%s", e.msg);
    assert_sha256sum(p, sha);
    assert_records("hashed.avro", 0, 15);
}
END_TEST

START_TEST(the_record_hash_tells_null_from_empty)
{
    char a[65], b[65], c[65], d[65], a2[65];
    krt_seg_record_sha256(5, NULL, 0, "v", 1, a);
    krt_seg_record_sha256(5, "", 0, "v", 1, b);
    krt_seg_record_sha256(5, "v", 1, NULL, 0, c);
    krt_seg_record_sha256(6, NULL, 0, "v", 1, d);
    krt_seg_record_sha256(5, NULL, 0, "v", 1, a2);
    ck_assert_str_eq(a, a2);
    ck_assert_int_eq(strlen(a), 64);
    ck_assert_str_ne(a, b); /* null key vs empty key */
    ck_assert_str_ne(a, c); /* key and value are not one string */
    ck_assert_str_ne(a, d); /* the timestamp counts */
}
END_TEST

START_TEST(segments_round_trip_with_every_codec)
{
    const enum krt_seg_codec codecs[] = {KRT_SEG_NULL, KRT_SEG_DEFLATE, KRT_SEG_SNAPPY};
    for (int c = 0; c < 3; c++) {
        struct krt_error e;
        struct krt_seg_info info;
        write_segment("rt.avro", codecs[c], 50);
        assert_records("rt.avro", 0, 50);
        ck_assert_msg(!krt_seg_check(path_of("rt.avro"), 0, &info, &e), "%s", e.msg);
        ck_assert_int_eq(info.records, 50);
        ck_assert_int_eq(info.first_offset, 100);
        ck_assert_int_eq(info.last_offset, 198);
        ck_assert_int_eq(info.codec, codecs[c]);
        ck_assert_str_eq(info.meta.topic, "orders");
        ck_assert_int_eq(info.meta.partition, 3);
        ck_assert_int_eq(strlen(info.sha256), 64);
    }
}
END_TEST

START_TEST(lzma_is_not_offered)
{
    struct krt_error e;
    enum krt_seg_codec c;
    ck_assert_int_eq(krt_seg_codec_parse("lzma", &c, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "xz"));
    ck_assert_int_eq(krt_seg_codec_parse("xz", &c, &e), -1);
    ck_assert_int_eq(krt_seg_codec_parse("snappy", &c, &e), 0);
    ck_assert_int_eq(c, KRT_SEG_SNAPPY);
}
END_TEST

static void last16(const char *name, unsigned char out[16])
{
    FILE *f = fopen(path_of(name), "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, -16, SEEK_END);
    ck_assert_int_eq(fread(out, 1, 16, f), 16);
    fclose(f);
}

START_TEST(files_of_the_same_second_have_their_own_sync_marker)
{
    unsigned char a[16], b[16];
    write_segment("s1.avro", KRT_SEG_NULL, 3);
    write_segment("s2.avro", KRT_SEG_NULL, 3);
    last16("s1.avro", a);
    last16("s2.avro", b);
    ck_assert(memcmp(a, b, 16) != 0);
}
END_TEST

START_TEST(a_torn_tail_is_cut_back_and_appended_to)
{
    struct krt_error e;
    struct krt_seg_info info;
    struct krt_seg_writer *w;
    write_segment("torn.avro", KRT_SEG_SNAPPY, 20);
    struct stat st;
    stat(path_of("torn.avro"), &st);
    /* a crash in the middle of the next block */
    FILE *f = fopen(path_of("torn.avro"), "ab");
    fwrite("\x0a\x80\x01garbage", 1, 10, f);
    fclose(f);
    ck_assert_int_eq(krt_seg_check(path_of("torn.avro"), 0, &info, &e), -1);
    ck_assert_int_eq(e.code, KRT_ERR_INPUT);
    ck_assert_msg(!krt_seg_check(path_of("torn.avro"), 1, &info, &e), "%s", e.msg);
    ck_assert_int_eq(info.records, 20);
    ck_assert_int_eq(info.bytes, st.st_size);
    int header_ok;
    int64_t cut;
    ck_assert(!krt_seg_repair(path_of("torn.avro"), &header_ok, &cut, &e));
    ck_assert_int_eq(header_ok, 1);
    ck_assert_int_eq(cut, 10);
    ck_assert_msg(!krt_seg_reopen(path_of("torn.avro"), 4096, &w, &e), "%s", e.msg);
    static char big[300000];
    for (int i = 20; i < 30; i++) {
        struct krt_seg_record r = rec_of(i, big, sizeof(big));
        ck_assert_msg(!krt_seg_append(w, &r, &e), "%s", e.msg);
    }
    ck_assert(!krt_seg_close(w, &e));
    ck_assert_msg(!krt_seg_check(path_of("torn.avro"), 0, &info, &e), "%s", e.msg);
    ck_assert_int_eq(info.records, 30);
    assert_records("torn.avro", 0, 30);
}
END_TEST

START_TEST(a_foreign_file_is_refused)
{
    struct krt_error e;
    struct krt_seg_info info;
    FILE *f = fopen(path_of("foreign.avro"), "wb");
    fputs("PAR1 not avro at all", f);
    fclose(f);
    ck_assert_int_eq(krt_seg_check(path_of("foreign.avro"), 0, &info, &e), -1);
    ck_assert_int_eq(e.code, KRT_ERR_INPUT);
    ck_assert_ptr_nonnull(strstr(e.msg, "not an Avro object container file"));
}
END_TEST

START_TEST(the_store_commits_and_lists)
{
    struct krt_error e;
    struct krt_store s;
    char p[512];
    ck_assert(!krt_store_open_dir(&s, dir, 0, &e));
    ck_assert(!krt_store_local_path(&s, "t/0/a.part", 1, p, sizeof(p), &e));
    FILE *f = fopen(p, "w");
    fputs("x", f);
    fclose(f);
    ck_assert(!krt_store_commit(&s, "t/0/a.part", "t/0/a", &e));
    /* a closed object is never replaced */
    f = fopen(p, "w");
    fclose(f);
    ck_assert_int_eq(krt_store_commit(&s, "t/0/a.part", "t/0/a", &e), -1);
    char **names;
    size_t n;
    ck_assert(!krt_store_list(&s, "t/0", &names, &n, &e));
    ck_assert_int_eq(n, 2);
    ck_assert_str_eq(names[0], "a");
    krt_store_list_free(names, n);
    ck_assert(!krt_store_put(&s, "m.json", "{}", 2, &e));
    krt_store_close(&s);
    ck_assert_int_eq(krt_store_open_dir(&s, path_of("m.json"), 0, &e), -1);
    ck_assert_int_eq(e.code, KRT_ERR_INPUT);
}
END_TEST

static void add_seg(struct krt_bk_part *p, const char *file, int64_t from, int64_t to)
{
    p->segs = realloc(p->segs, (size_t)(p->nsegs + 1) * sizeof(*p->segs));
    struct krt_bk_segment *s = &p->segs[p->nsegs++];
    memset(s, 0, sizeof(*s));
    s->file = strdup(file);
    s->from = from;
    s->to = to;
    s->first = from;
    s->last = to - 1;
    strcpy(s->sha256, "00000000000000000000000000000000000000000000000000000000000000aa");
}

START_TEST(the_manifest_round_trips_and_the_source_resumes)
{
    struct krt_error e;
    struct krt_backup_manifest m = {0}, back;
    m.cluster_id = strdup("c-1");
    m.codec = strdup("snappy");
    m.created_ms = m.updated_ms = m.cut_ms = 1700000000000;
    struct krt_bk_topic *t = krt_backup_topic(&m, "orders", 1);
    t->partition_count = 4;
    t->replication_factor = 3;
    krt_props_add(&t->configs, "cleanup.policy", "compact", 0);
    struct krt_bk_part *p = krt_backup_part(t, 3, 1);
    write_segment("seg-a.avro", KRT_SEG_SNAPPY, 10); /* offsets 100..118 */
    add_seg(p, "seg-a.avro", 100, 119);
    p->position = 119;
    p->gaps = calloc(1, sizeof(*p->gaps));
    p->gaps[0] = (struct krt_bk_gap){50, 100, KRT_BK_GAP_LOG_START, 1700000000000};
    p->ngaps = 1;
    json_t *doc = krt_backup_manifest_json(&m);
    ck_assert(!krt_json_write_file(path_of("manifest.json"), doc, 0, &e));
    ck_assert_msg(!krt_backup_manifest_read(dir, 0, &back, &e), "%s", e.msg);
    ck_assert_str_eq(back.cluster_id, "c-1");
    ck_assert_int_eq(back.ntopics, 1);
    ck_assert_int_eq(back.topics[0].replication_factor, 3);
    ck_assert_str_eq(krt_props_get(&back.topics[0].configs, "cleanup.policy"), "compact");
    ck_assert_int_eq(back.topics[0].parts[0].gaps[0].to, 100);
    ck_assert_int_eq(back.topics[0].parts[0].segs[0].to, 119);
    /* the source from offset 110: records 110, 112, ... 118 */
    struct krt_backup_source *src;
    struct krt_seg_record r;
    ck_assert_msg(!krt_backup_source_open(dir, &back, "orders", 3, 110, &src, &e), "%s", e.msg);
    int64_t want = 110;
    while (krt_backup_source_next(src, &r, &e) == 1) {
        ck_assert_int_eq(r.offset, want);
        want += 2;
    }
    ck_assert_int_eq(want, 120);
    ck_assert_int_eq(krt_backup_source_position(src), 119);
    krt_backup_source_close(src);
    krt_backup_manifest_free(&back);
    /* an unknown key is refused with its path */
    json_t *bad = krt_backup_manifest_json(&m);
    json_object_set_new(json_array_get(json_object_get(bad, "topics"), 0), "colour",
                        json_string("red"));
    ck_assert(!krt_json_write_file(path_of("manifest.json"), bad, 0, &e));
    ck_assert_int_eq(krt_backup_manifest_read(dir, 0, &back, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "/topics/0"));
    krt_backup_manifest_free(&m);
}
END_TEST

/* one block of @p n records of 10 KB each, block size 1 MiB, left open */
static struct krt_seg_writer *open_with_records(const char *name, int n)
{
    struct krt_error e;
    struct krt_seg_writer *w;
    struct krt_seg_meta m = meta_of(0);
    static char v[10000];
    ck_assert_msg(!krt_seg_create(path_of(name), KRT_SEG_NULL, &m, 1 << 20, &w, &e), "%s", e.msg);
    for (int i = 0; i < n; i++) {
        struct krt_seg_record r = {.offset = i, .timestamp = 1, .timestamp_type = 1,
                                   .value = v, .value_len = sizeof(v)};
        ck_assert_msg(!krt_seg_append(w, &r, &e), "%s", e.msg);
    }
    return w;
}

START_TEST(a_torn_first_block_or_header_is_recovered)
{
    struct krt_error e;
    struct krt_seg_info info;
    struct krt_seg_writer *w = open_with_records("first.part", 5);
    ck_assert(!krt_seg_close(w, &e));
    struct stat st;
    stat(path_of("first.part"), &st);
    /* a kill while the only block was written: avro-c's reader fails on it */
    ck_assert(!truncate(path_of("first.part"), st.st_size - 5000));
    ck_assert_int_eq(krt_seg_check(path_of("first.part"), 0, &info, &e), -1);
    ck_assert_msg(!krt_seg_check(path_of("first.part"), 1, &info, &e), "%s", e.msg);
    ck_assert_int_eq(info.records, 0);
    ck_assert_int_eq(info.header_torn, 0);
    ck_assert_msg(!krt_seg_reopen(path_of("first.part"), 1 << 20, &w, &e), "%s", e.msg);
    struct krt_seg_record r = {.offset = 9, .timestamp = 1, .timestamp_type = 1};
    ck_assert(!krt_seg_append(w, &r, &e));
    ck_assert_msg(!krt_seg_close(w, &e), "%s", e.msg);
    ck_assert_msg(!krt_seg_check(path_of("first.part"), 0, &info, &e), "%s", e.msg);
    ck_assert_int_eq(info.records, 1);
    ck_assert_int_eq(info.first_offset, 9);
    /* a kill while the header was written */
    ck_assert(!truncate(path_of("first.part"), 10));
    ck_assert_msg(!krt_seg_check(path_of("first.part"), 1, &info, &e), "%s", e.msg);
    ck_assert_int_eq(info.header_torn, 1);
    ck_assert_int_eq(krt_seg_check(path_of("first.part"), 0, &info, &e), -1);
    /* a foreign or corrupt file is refused, never taken for a torn header
     * (a resume would remove it) */
    FILE *f = fopen(path_of("foreign.part"), "wb");
    fputs("PAR1 not avro at all", f);
    fclose(f);
    ck_assert_int_eq(krt_seg_check(path_of("foreign.part"), 1, &info, &e), -1);
    ck_assert_int_eq(info.header_torn, 0);
}
END_TEST

START_TEST(a_write_error_at_close_is_reported)
{
    struct krt_error e;
    /* the same segment written in full tells the size the close must reach */
    struct krt_seg_writer *w = open_with_records("ref.part", 20);
    ck_assert(!krt_seg_close(w, &e));
    struct stat st;
    stat(path_of("ref.part"), &st);
    /* the file may not reach its last 10 bytes, as on a full disk: avro-c
     * keeps them in its stdio buffer and drops fclose's error */
    w = open_with_records("full.part", 20);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {(rlim_t)st.st_size - 10, (rlim_t)st.st_size - 10};
    ck_assert(!setrlimit(RLIMIT_FSIZE, &rl));
    ck_assert_int_eq(krt_seg_close(w, &e), -1);
    ck_assert_int_eq(e.code, KRT_ERR_IO);
    ck_assert_msg(strstr(e.msg, "full.part"), "%s", e.msg);
}
END_TEST

int main(void)
{
    if (!mkdtemp(dir))
        return EXIT_FAILURE;
    Suite *s = suite_create("backup");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, segments_round_trip_with_every_codec);
    tcase_add_test(tc, a_parked_writer_appends_after_reopening);
    tcase_add_test(tc, the_hash_of_a_close_is_the_files);
    tcase_add_test(tc, the_record_hash_tells_null_from_empty);
    tcase_add_test(tc, lzma_is_not_offered);
    tcase_add_test(tc, files_of_the_same_second_have_their_own_sync_marker);
    tcase_add_test(tc, a_torn_tail_is_cut_back_and_appended_to);
    tcase_add_test(tc, a_foreign_file_is_refused);
    tcase_add_test(tc, a_torn_first_block_or_header_is_recovered);
    tcase_add_test(tc, a_write_error_at_close_is_reported);
    tcase_add_test(tc, the_store_commits_and_lists);
    tcase_add_test(tc, the_manifest_round_trips_and_the_source_resumes);
    suite_add_tcase(s, tc);
    int rc = krt_check_run(s);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        rc = EXIT_FAILURE;
    return rc;
}
