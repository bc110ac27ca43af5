/* segment.c - see segment.h */
#define _GNU_SOURCE
#include "segment.h"

#include "store.h"

#include <avro.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "Obj\x01"
#define SYNC_LEN 16
/* a block of one record costs its encoded size plus this much (block count,
 * size, sync marker, codec trailer) */
#define BLOCK_SLACK 4096

static const char *const codec_names[] = {"null", "deflate", "snappy", NULL};

const char *krt_seg_codec_name(enum krt_seg_codec c)
{
    return codec_names[c];
}

int krt_seg_codec_parse(const char *s, enum krt_seg_codec *out, struct krt_error *err)
{
    for (int i = 0; codec_names[i]; i++)
        if (!strcmp(s, codec_names[i])) {
            *out = (enum krt_seg_codec)i;
            return 0;
        }
    if (!strcmp(s, "lzma") || !strcmp(s, "xz"))
        return krt_error_set(err, KRT_ERR_USAGE,
                             "codec '%s' is not offered: avro-c's lzma is not the Avro "
                             "specification's xz, so other readers could not decode it",
                             s);
    return krt_error_set(err, KRT_ERR_USAGE, "unknown codec '%s' (null, deflate, snappy)", s);
}

/* ---- Avro binary encoding of the header ---- */

static size_t put_long(unsigned char *p, int64_t v)
{
    uint64_t z = ((uint64_t)v << 1) ^ (v < 0 ? ~(uint64_t)0 : 0);
    size_t n = 0;
    while (z & ~(uint64_t)0x7f) {
        p[n++] = (unsigned char)((z & 0x7f) | 0x80);
        z >>= 7;
    }
    p[n++] = (unsigned char)z;
    return n;
}

static int fput_long(FILE *f, int64_t v)
{
    unsigned char b[10];
    size_t n = put_long(b, v);
    return fwrite(b, 1, n, f) == n ? 0 : -1;
}

static int fput_bytes(FILE *f, const char *s, size_t len)
{
    if (fput_long(f, (int64_t)len))
        return -1;
    return fwrite(s, 1, len, f) == len ? 0 : -1;
}

/* read a zigzag varint; -1 at EOF or when longer than 10 bytes */
static int fget_long(FILE *f, int64_t *out)
{
    uint64_t z = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        int c = getc(f);
        if (c == EOF)
            return -1;
        z |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
            return 0;
        }
    }
    return -1;
}

static int write_header(FILE *f, enum krt_seg_codec codec, const struct krt_seg_meta *m,
                        unsigned char sync[SYNC_LEN])
{
    char part[32], from[32];
    snprintf(part, sizeof(part), "%d", (int)m->partition);
    snprintf(from, sizeof(from), "%lld", (long long)m->from);
    const char *kv[][2] = {
        {"avro.schema", KRT_SEG_SCHEMA},
        {"avro.codec", codec_names[codec]},
        {"krt.cluster.id", m->cluster_id},
        {"krt.topic", m->topic},
        {"krt.partition", part},
        {"krt.from", from},
    };
    size_t n = sizeof(kv) / sizeof(kv[0]);
    if (fwrite(MAGIC, 1, 4, f) != 4 || fput_long(f, (int64_t)n))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (fput_bytes(f, kv[i][0], strlen(kv[i][0])) ||
            fput_bytes(f, kv[i][1], strlen(kv[i][1])))
            return -1;
    if (fput_long(f, 0) || fwrite(sync, 1, SYNC_LEN, f) != SYNC_LEN)
        return -1;
    return 0;
}

/* ---- header and block walk ---- */

struct walk {
    struct krt_seg_meta meta;
    enum krt_seg_codec codec;
    unsigned char sync[SYNC_LEN];
    int ours;             /* the schema is KRT_SEG_SCHEMA */
    int64_t header_end;   /* file offset after the header's sync marker */
    int64_t good_end;     /* end of the last complete block */
    int64_t blocks, records;
    int64_t size;
    const char *problem;  /* why the walk stopped before the end, or NULL */
};

static int read_string(FILE *f, int64_t max, char **out)
{
    int64_t len;
    if (fget_long(f, &len) || len < 0 || len > max)
        return -1;
    char *s = malloc((size_t)len + 1);
    if (!s || fread(s, 1, (size_t)len, f) != (size_t)len) {
        free(s);
        return -1;
    }
    s[len] = '\0';
    *out = s;
    return 0;
}

static void meta_set(struct walk *w, const char *k, const char *v)
{
    if (!strcmp(k, "avro.schema"))
        w->ours = !strcmp(v, KRT_SEG_SCHEMA);
    else if (!strcmp(k, "avro.codec")) {
        w->codec = (enum krt_seg_codec)-1;
        for (int i = 0; codec_names[i]; i++)
            if (!strcmp(v, codec_names[i]))
                w->codec = (enum krt_seg_codec)i;
    } else if (!strcmp(k, "krt.cluster.id"))
        snprintf(w->meta.cluster_id, sizeof(w->meta.cluster_id), "%s", v);
    else if (!strcmp(k, "krt.topic"))
        snprintf(w->meta.topic, sizeof(w->meta.topic), "%s", v);
    else if (!strcmp(k, "krt.partition"))
        w->meta.partition = (int32_t)strtol(v, NULL, 10);
    else if (!strcmp(k, "krt.from"))
        w->meta.from = strtoll(v, NULL, 10);
}

/* @returns 0 when the header is complete (w->header_end set), -1 otherwise */
static int walk_header(FILE *f, struct walk *w)
{
    char magic[4];
    w->codec = KRT_SEG_NULL;
    w->meta.partition = -1;
    w->meta.from = -1;
    if (fread(magic, 1, 4, f) != 4 || memcmp(magic, MAGIC, 4)) {
        w->problem = "not an Avro object container file";
        return -1;
    }
    for (;;) {
        int64_t count, bytes;
        if (fget_long(f, &count))
            goto torn;
        if (count == 0)
            break;
        if (count < 0) {
            count = -count;
            if (fget_long(f, &bytes))
                goto torn;
        }
        for (int64_t i = 0; i < count; i++) {
            char *k = NULL, *v = NULL;
            if (read_string(f, 1 << 20, &k) || read_string(f, 1 << 20, &v)) {
                free(k);
                goto torn;
            }
            meta_set(w, k, v);
            free(k);
            free(v);
        }
    }
    if (fread(w->sync, 1, SYNC_LEN, f) != SYNC_LEN)
        goto torn;
    w->header_end = w->good_end = ftello(f);
    return 0;
torn:
    w->problem = "the Avro header is incomplete";
    return -1;
}

/* walk blocks from the header's end; stops at the first incomplete one */
static void walk_blocks(FILE *f, struct walk *w)
{
    for (;;) {
        int64_t count, size;
        unsigned char sync[SYNC_LEN];
        if (w->good_end == w->size)
            return;
        if (fget_long(f, &count) || fget_long(f, &size) || count < 0 || size < 0 ||
            size > w->size) {
            w->problem = "a block header is incomplete or malformed";
            return;
        }
        if (fseeko(f, size, SEEK_CUR) || ftello(f) + SYNC_LEN > w->size ||
            fread(sync, 1, SYNC_LEN, f) != SYNC_LEN) {
            w->problem = "the last block is incomplete";
            return;
        }
        if (memcmp(sync, w->sync, SYNC_LEN)) {
            w->problem = "a block does not end with the file's sync marker";
            return;
        }
        w->blocks++;
        w->records += count;
        w->good_end = ftello(f);
    }
}

static int walk_file(const char *path, struct walk *w, int *header_ok, struct krt_error *err)
{
    memset(w, 0, sizeof(*w));
    FILE *f = fopen(path, "rb");
    if (!f)
        return krt_error_set(err, errno == ENOENT ? KRT_ERR_INPUT : KRT_ERR_IO,
                             "cannot read segment '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st)) {
        fclose(f);
        return krt_error_set(err, KRT_ERR_IO, "cannot read segment '%s': %s", path,
                             strerror(errno));
    }
    w->size = st.st_size;
    *header_ok = walk_header(f, w) == 0;
    if (*header_ok)
        walk_blocks(f, w);
    fclose(f);
    return 0;
}

int krt_seg_repair(const char *path, int *header_ok, int64_t *cut, struct krt_error *err)
{
    struct walk w;
    *cut = 0;
    if (walk_file(path, &w, header_ok, err))
        return -1;
    if (!*header_ok || w.good_end == w.size)
        return 0;
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ftruncate(fd, w.good_end) || fsync(fd)) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return krt_error_set(err, KRT_ERR_IO, "cannot cut '%s' back to its last block: %s",
                             path, strerror(e));
    }
    close(fd);
    *cut = w.size - w.good_end;
    return 0;
}

int krt_seg_read_meta(const char *path, struct krt_seg_meta *meta, enum krt_seg_codec *codec,
                      struct krt_error *err)
{
    struct walk w;
    int header_ok;
    memset(&w, 0, sizeof(w));
    FILE *f = fopen(path, "rb");
    if (!f)
        return krt_error_set(err, KRT_ERR_INPUT, "cannot read segment '%s': %s", path,
                             strerror(errno));
    header_ok = walk_header(f, &w) == 0;
    fclose(f);
    if (!header_ok)
        return krt_error_set(err, KRT_ERR_INPUT, "'%s': %s", path, w.problem);
    if (!w.ours || (int)w.codec < 0 || !w.meta.topic[0] || w.meta.partition < 0)
        return krt_error_set(err, KRT_ERR_INPUT, "'%s' is not a krt backup segment", path);
    *meta = w.meta;
    *codec = w.codec;
    return 0;
}

static void hex_of(const unsigned char *md, unsigned len, char *out)
{
    for (unsigned i = 0; i < len; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)(v & 0xff);
}

void krt_seg_record_sha256(int64_t timestamp, const void *key, size_t key_len,
                           const void *value, size_t value_len, char out[65])
{
    unsigned char b[9], md[32];
    unsigned mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    put_be64(b, (uint64_t)timestamp);
    ok = ok && EVP_DigestUpdate(ctx, b, 8);
    const void *parts[2] = {key, value};
    size_t lens[2] = {key_len, value_len};
    for (int i = 0; ok && i < 2; i++) {
        b[0] = parts[i] != NULL;
        put_be64(b + 1, parts[i] ? (uint64_t)lens[i] : 0);
        ok = EVP_DigestUpdate(ctx, b, 9) && (!parts[i] || !lens[i] ||
                                             EVP_DigestUpdate(ctx, parts[i], lens[i]));
    }
    ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    out[0] = '\0';
    if (ok)
        hex_of(md, mdlen, out);
}

int krt_seg_sha256(const char *path, char out[65], struct krt_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return krt_error_set(err, KRT_ERR_INPUT, "cannot read '%s': %s", path, strerror(errno));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char buf[65536], md[32];
    unsigned mdlen = 0;
    size_t n;
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    while (ok && (n = fread(buf, 1, sizeof(buf), f)) > 0)
        ok = EVP_DigestUpdate(ctx, buf, n);
    ok = ok && !ferror(f) && EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    fclose(f);
    if (!ok)
        return krt_error_set(err, KRT_ERR_IO, "cannot hash '%s'", path);
    hex_of(md, mdlen, out);
    return 0;
}

/* ---- writer ---- */

struct krt_seg_writer {
    char *path;
    avro_file_writer_t fw;
    avro_schema_t schema;
    avro_value_iface_t *iface;
    avro_value_t val;
    size_t block_size;
    int64_t records; /* records the file must hold once the pending block is written */
    /* SHA-256 of the file's first @c hashed bytes, brought up to date by
     * krt_seg_writeback() while the segment is written (avro-c only ever
     * appends: bytes below the end never change) so that the close hashes
     * only the tail; NULL when hashing failed (the close hashes it whole) */
    EVP_MD_CTX *sha;
    int64_t hashed;
};

static int avro_fail(struct krt_error *err, const char *what, const char *path)
{
    return krt_error_set(err, KRT_ERR_IO, "cannot %s '%s': %s", what, path, avro_strerror());
}

static int writer_new(const char *path, size_t block_size, int64_t records,
                      struct krt_seg_writer **out, struct krt_error *err)
{
    struct krt_seg_writer *w = calloc(1, sizeof(*w));
    if (!w || !(w->path = strdup(path))) {
        free(w);
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    }
    w->block_size = block_size;
    w->records = records;
    if ((w->sha = EVP_MD_CTX_new()) && !EVP_DigestInit_ex(w->sha, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(w->sha);
        w->sha = NULL;
    }
    if (avro_schema_from_json_length(KRT_SEG_SCHEMA, strlen(KRT_SEG_SCHEMA), &w->schema) ||
        !(w->iface = avro_generic_class_from_schema(w->schema)) ||
        avro_generic_value_new(w->iface, &w->val)) {
        avro_fail(err, "prepare the Avro schema for", path);
        goto fail;
    }
    if (avro_file_writer_open_bs(path, &w->fw, block_size)) {
        avro_fail(err, "open for appending", path);
        goto fail;
    }
    *out = w;
    return 0;
fail:
    krt_seg_abandon(w);
    return -1;
}

int krt_seg_create(const char *path, enum krt_seg_codec codec, const struct krt_seg_meta *meta,
                   size_t block_size, struct krt_seg_writer **w, struct krt_error *err)
{
    unsigned char sync[SYNC_LEN];
    if (getrandom(sync, sizeof(sync), 0) != (ssize_t)sizeof(sync))
        return krt_error_set(err, KRT_ERR_INTERNAL, "getrandom: %s", strerror(errno));
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return krt_error_set(err, KRT_ERR_IO, "cannot create segment '%s': %s", path,
                             strerror(e));
    }
    int bad = write_header(f, codec, meta, sync) || fflush(f) || fsync(fd);
    int e = errno;
    if (fclose(f) || bad) {
        unlink(path);
        return krt_error_set(err, KRT_ERR_IO, "cannot write segment '%s': %s", path,
                             strerror(e));
    }
    return writer_new(path, block_size, 0, w, err);
}

int krt_seg_reopen(const char *path, size_t block_size, struct krt_seg_writer **w,
                   struct krt_error *err)
{
    int header_ok;
    int64_t cut;
    if (krt_seg_repair(path, &header_ok, &cut, err))
        return -1;
    if (!header_ok)
        return krt_error_set(err, KRT_ERR_INPUT, "segment '%s' has no complete header", path);
    struct walk wk;
    if (walk_file(path, &wk, &header_ok, err))
        return -1;
    return writer_new(path, block_size, wk.records, w, err);
}

/* avro-c closes its file with fflush and fclose and ignores both results,
 * so a full disk or an I/O error would leave a torn file behind a writer
 * that reported success: after each close the file is walked, and it must
 * end on a complete block and hold every record appended. */
static int verify_written(const struct krt_seg_writer *w, struct krt_error *err)
{
    struct walk wk;
    int header_ok;
    if (walk_file(w->path, &wk, &header_ok, err))
        return -1;
    if (!header_ok || wk.problem || wk.good_end != wk.size || wk.records != w->records)
        return krt_error_set(err, KRT_ERR_IO,
                             "cannot write '%s': the file holds %lld complete records of %lld "
                             "(%s); is the disk full?",
                             w->path, (long long)wk.records, (long long)w->records,
                             wk.problem ? wk.problem : "short file");
    return 0;
}

static size_t encoded_size(const struct krt_seg_record *r)
{
    size_t n = 64 + r->key_len + r->value_len;
    for (size_t i = 0; i < r->nheaders; i++)
        n += 32 + strlen(r->headers[i].name) + r->headers[i].value_len;
    return n;
}

static int set_nullable_bytes(avro_value_t *field, const void *p, size_t len)
{
    avro_value_t branch;
    if (!p)
        return avro_value_set_branch(field, 0, &branch) || avro_value_set_null(&branch);
    /* lent, not copied: the record is encoded before the caller's buffer
     * goes (krt_seg_append), and a lent buffer has no free function */
    avro_wrapped_buffer_t buf;
    return avro_value_set_branch(field, 1, &branch) || avro_wrapped_buffer_new(&buf, p, len) ||
           avro_value_give_bytes(&branch, &buf);
}

static int fill_value(avro_value_t *v, const struct krt_seg_record *r)
{
    avro_value_t f, hs, h, hf;
    if (avro_value_reset(v) || avro_value_get_by_index(v, 0, &f, NULL) ||
        avro_value_set_long(&f, r->offset) || avro_value_get_by_index(v, 1, &f, NULL) ||
        avro_value_set_long(&f, r->timestamp) || avro_value_get_by_index(v, 2, &f, NULL) ||
        avro_value_set_enum(&f, r->timestamp_type) || avro_value_get_by_index(v, 3, &f, NULL) ||
        set_nullable_bytes(&f, r->key, r->key_len) || avro_value_get_by_index(v, 4, &f, NULL) ||
        set_nullable_bytes(&f, r->value, r->value_len) ||
        avro_value_get_by_index(v, 5, &hs, NULL))
        return -1;
    for (size_t i = 0; i < r->nheaders; i++) {
        const struct krt_seg_header *x = &r->headers[i];
        if (avro_value_append(&hs, &h, NULL) || avro_value_get_by_index(&h, 0, &hf, NULL) ||
            avro_value_set_string_len(&hf, x->name, strlen(x->name) + 1) ||
            avro_value_get_by_index(&h, 1, &hf, NULL) ||
            set_nullable_bytes(&hf, x->value, x->value_len))
            return -1;
    }
    return 0;
}

int krt_seg_append(struct krt_seg_writer *w, const struct krt_seg_record *r,
                   struct krt_error *err)
{
    size_t need = encoded_size(r) + BLOCK_SLACK;
    if (need > w->block_size) {
        /* the pending block is written by the close; the file is reopened
         * with a block that holds this record */
        size_t bs = w->block_size;
        while (bs < need)
            bs *= 2;
        if (w->fw && avro_file_writer_close(w->fw)) {
            w->fw = NULL;
            return avro_fail(err, "write", w->path);
        }
        w->fw = NULL;
        if (verify_written(w, err))
            return -1;
        w->block_size = bs;
    }
    if (!w->fw && avro_file_writer_open_bs(w->path, &w->fw, w->block_size)) {
        w->fw = NULL;
        return avro_fail(err, "reopen", w->path);
    }
    if (fill_value(&w->val, r))
        return avro_fail(err, "encode a record for", w->path);
    if (avro_file_writer_append_value(w->fw, &w->val))
        return avro_fail(err, "append to", w->path);
    w->records++;
    return 0;
}

int krt_seg_park(struct krt_seg_writer *w, struct krt_error *err)
{
    if (!w->fw)
        return 0;
    /* avro-c writes the pending block and frees its buffers; the file is
     * walked and fsynced only at the segment's close (krt_seg_close) */
    int rc = avro_file_writer_close(w->fw);
    w->fw = NULL;
    return rc ? avro_fail(err, "write", w->path) : 0;
}

bool krt_seg_parked(const struct krt_seg_writer *w)
{
    return !w->fw;
}

/* Hash the bytes of @p fd from w->hashed to its end; on a failure the
 * running hash is dropped (the close hashes the whole file instead). */
static void hash_tail(struct krt_seg_writer *w, int fd)
{
    unsigned char buf[65536];
    ssize_t n;
    while (w->sha && (n = pread(fd, buf, sizeof(buf), (off_t)w->hashed)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || !EVP_DigestUpdate(w->sha, buf, (size_t)n)) {
            EVP_MD_CTX_free(w->sha);
            w->sha = NULL;
            return;
        }
        w->hashed += n;
    }
}

void krt_seg_writeback(struct krt_seg_writer *w)
{
    /* a descriptor of its own: avro-c's FILE is not reachable, and a
     * parked writer has none; opened per call so that many open segments
     * hold no extra descriptors */
    int fd = open(w->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
#ifdef __linux__
    (void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
    hash_tail(w, fd); /* read back from the page cache while it is there */
    close(fd);
}

int krt_seg_flush(struct krt_seg_writer *w, struct krt_error *err)
{
    if (w->fw && avro_file_writer_flush(w->fw))
        return avro_fail(err, "write", w->path);
    return krt_store_fsync_path(w->path, 0, err);
}

void krt_seg_abandon(struct krt_seg_writer *w)
{
    if (!w)
        return;
    if (w->fw)
        avro_file_writer_close(w->fw);
    if (w->iface) {
        avro_value_decref(&w->val);
        avro_value_iface_decref(w->iface);
    }
    if (w->schema)
        avro_schema_decref(w->schema);
    EVP_MD_CTX_free(w->sha);
    free(w->path);
    free(w);
}

int krt_seg_close_hashed(struct krt_seg_writer *w, char sha256[65], struct krt_error *err)
{
    int rc = 0;
    if (w->fw && avro_file_writer_close(w->fw))
        rc = avro_fail(err, "write", w->path);
    w->fw = NULL;
    if (!rc)
        rc = verify_written(w, err);
    int fd = rc ? -1 : open(w->path, O_RDONLY | O_CLOEXEC);
    if (!rc && (fd < 0 || fsync(fd)))
        rc = krt_error_set(err, KRT_ERR_IO, "cannot sync '%s': %s", w->path, strerror(errno));
    if (!rc && sha256) {
        unsigned char md[32];
        unsigned len = 0;
        hash_tail(w, fd);
        if (w->sha && EVP_DigestFinal_ex(w->sha, md, &len) && len == sizeof(md))
            hex_of(md, len, sha256);
        else
            rc = krt_seg_sha256(w->path, sha256, err);
    }
    if (fd >= 0)
        close(fd);
    krt_seg_abandon(w);
    return rc;
}

int krt_seg_close(struct krt_seg_writer *w, struct krt_error *err)
{
    return krt_seg_close_hashed(w, NULL, err);
}

/* ---- reader ---- */

struct krt_seg_reader {
    char *path;
    avro_file_reader_t fr;
    avro_schema_t schema;
    avro_value_iface_t *iface;
    avro_value_t val;
    struct krt_seg_header *hdrs;
    size_t hcap;
};

int krt_seg_reader_open(const char *path, struct krt_seg_reader **out, struct krt_error *err)
{
    struct krt_seg_meta meta;
    enum krt_seg_codec codec;
    if (krt_seg_read_meta(path, &meta, &codec, err))
        return -1;
    struct krt_seg_reader *r = calloc(1, sizeof(*r));
    if (!r || !(r->path = strdup(path))) {
        free(r);
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    }
    if (avro_file_reader(path, &r->fr)) {
        r->fr = NULL;
        krt_error_set(err, KRT_ERR_INPUT, "cannot read segment '%s': %s", path,
                      avro_strerror());
        goto fail;
    }
    r->schema = avro_file_reader_get_writer_schema(r->fr);
    if (!r->schema || !(r->iface = avro_generic_class_from_schema(r->schema)) ||
        avro_generic_value_new(r->iface, &r->val)) {
        avro_fail(err, "prepare the Avro schema for", path);
        goto fail;
    }
    *out = r;
    return 0;
fail:
    krt_seg_reader_close(r);
    return -1;
}

static int get_nullable_bytes(avro_value_t *field, const void **p, size_t *len)
{
    int disc;
    avro_value_t branch;
    if (avro_value_get_discriminant(field, &disc) || avro_value_get_current_branch(field, &branch))
        return -1;
    *p = NULL;
    *len = 0;
    if (disc == 0)
        return 0;
    if (avro_value_get_bytes(&branch, p, len))
        return -1;
    if (!*p)
        *p = "";
    return 0;
}

int krt_seg_reader_next(struct krt_seg_reader *r, struct krt_seg_record *rec,
                        struct krt_error *err)
{
    avro_value_t f, hs, h, hf;
    size_t n = 0;
    avro_value_reset(&r->val);
    int rc = avro_file_reader_read_value(r->fr, &r->val);
    if (rc == EOF)
        return 0;
    if (rc)
        return krt_error_set(err, KRT_ERR_INPUT, "cannot read a record of '%s': %s", r->path,
                             avro_strerror());
    memset(rec, 0, sizeof(*rec));
    int e = avro_value_get_by_index(&r->val, 0, &f, NULL) ||
            avro_value_get_long(&f, &rec->offset) ||
            avro_value_get_by_index(&r->val, 1, &f, NULL) ||
            avro_value_get_long(&f, &rec->timestamp) ||
            avro_value_get_by_index(&r->val, 2, &f, NULL) ||
            avro_value_get_enum(&f, &rec->timestamp_type) ||
            avro_value_get_by_index(&r->val, 3, &f, NULL) ||
            get_nullable_bytes(&f, &rec->key, &rec->key_len) ||
            avro_value_get_by_index(&r->val, 4, &f, NULL) ||
            get_nullable_bytes(&f, &rec->value, &rec->value_len) ||
            avro_value_get_by_index(&r->val, 5, &hs, NULL) || avro_value_get_size(&hs, &n);
    if (!e && n > r->hcap) {
        struct krt_seg_header *nh = realloc(r->hdrs, n * sizeof(*nh));
        if (!nh)
            return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        r->hdrs = nh;
        r->hcap = n;
    }
    for (size_t i = 0; !e && i < n; i++) {
        size_t sl;
        e = avro_value_get_by_index(&hs, i, &h, NULL) ||
            avro_value_get_by_index(&h, 0, &hf, NULL) ||
            avro_value_get_string(&hf, &r->hdrs[i].name, &sl) ||
            avro_value_get_by_index(&h, 1, &hf, NULL) ||
            get_nullable_bytes(&hf, &r->hdrs[i].value, &r->hdrs[i].value_len);
    }
    if (e)
        return krt_error_set(err, KRT_ERR_INPUT, "'%s': a record does not match the schema",
                             r->path);
    rec->headers = r->hdrs;
    rec->nheaders = n;
    return 1;
}

void krt_seg_reader_close(struct krt_seg_reader *r)
{
    if (!r)
        return;
    if (r->iface) {
        avro_value_decref(&r->val);
        avro_value_iface_decref(r->iface);
    }
    /* avro_file_reader_get_writer_schema() returned a new reference */
    if (r->schema)
        avro_schema_decref(r->schema);
    if (r->fr)
        avro_file_reader_close(r->fr);
    free(r->hdrs);
    free(r->path);
    free(r);
}

/* ---- whole-file check ---- */

/* A header cut short by a crash while the file was created: small, and what
 * is there of the magic is Avro's. A foreign file or a corrupt header with
 * data behind it is no such thing: it is refused, never removed. */
static bool header_cut_short(const char *path, int64_t size)
{
    static const unsigned char magic[4] = {'O', 'b', 'j', 1};
    unsigned char head[4];
    if (size > 65536)
        return false;
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t n = fread(head, 1, sizeof(head), f);
    fclose(f);
    return n == (size_t)(size < 4 ? size : 4) && !memcmp(head, magic, n);
}

int krt_seg_check(const char *path, int allow_torn, struct krt_seg_info *info,
                  struct krt_error *err)
{
    struct walk w;
    int header_ok;
    memset(info, 0, sizeof(*info));
    if (walk_file(path, &w, &header_ok, err))
        return -1;
    if (!header_ok && allow_torn && header_cut_short(path, w.size)) {
        /* killed while the header was written: the file holds no record */
        info->header_torn = 1;
        return 0;
    }
    if (!header_ok)
        return krt_error_set(err, KRT_ERR_INPUT, "'%s': %s", path, w.problem);
    if (!w.ours || (int)w.codec < 0 || !w.meta.topic[0] || w.meta.partition < 0)
        return krt_error_set(err, KRT_ERR_INPUT, "'%s' is not a krt backup segment", path);
    if (w.problem && !allow_torn)
        return krt_error_set(err, KRT_ERR_INPUT, "'%s': %s at byte %lld", path, w.problem,
                             (long long)w.good_end);
    info->meta = w.meta;
    info->codec = w.codec;
    info->blocks = w.blocks;
    info->bytes = w.good_end;
    info->first_offset = info->last_offset = info->min_ts = info->max_ts = -1;
    if (!w.blocks) /* avro-c's reader reads the first block on open: a torn one fails it */
        return allow_torn ? 0 : krt_seg_sha256(path, info->sha256, err);
    struct krt_seg_reader *r;
    if (krt_seg_reader_open(path, &r, err))
        return -1;
    struct krt_seg_record rec;
    int rc = 0;
    while (info->records < w.records && (rc = krt_seg_reader_next(r, &rec, err)) == 1) {
        if (rec.offset < w.meta.from || (info->records && rec.offset <= info->last_offset)) {
            krt_seg_reader_close(r);
            return krt_error_set(err, KRT_ERR_INPUT,
                                 "'%s': offset %lld out of order (after %lld, from %lld)", path,
                                 (long long)rec.offset, (long long)info->last_offset,
                                 (long long)w.meta.from);
        }
        if (!info->records)
            info->first_offset = rec.offset;
        info->last_offset = rec.offset;
        if (info->min_ts < 0 || rec.timestamp < info->min_ts)
            info->min_ts = rec.timestamp;
        if (rec.timestamp > info->max_ts)
            info->max_ts = rec.timestamp;
        info->records++;
    }
    if (rc == 1) /* the last record read is still valid */
        krt_seg_record_sha256(rec.timestamp, rec.key, rec.key_len, rec.value, rec.value_len,
                              info->last_sha256);
    krt_seg_reader_close(r);
    if (rc < 0)
        return -1;
    if (info->records != w.records)
        return krt_error_set(err, KRT_ERR_INPUT,
                             "'%s': the blocks announce %lld records, %lld were read", path,
                             (long long)w.records, (long long)info->records);
    return allow_torn ? 0 : krt_seg_sha256(path, info->sha256, err);
}
