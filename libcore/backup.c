/* backup.c - krt-backup: the run (local state, cut, consume, roll, manifest). */
#define _POSIX_C_SOURCE 200809L
#include "backup.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apply.h"
#include "configs.h"
#include "conn.h"
#include "fetchwake.h"
#include "json_out.h"
#include "offsets.h"
#include "store.h"
#include "timespec.h"

/* The consumer's prefetch queue and fetch sizes bound librdkafka's share of
 * the memory whatever the topic's size. Measured on 100,000 x 1 KB in 6
 * partitions (bench/backup.sh's topic, a loaded 2-core machine): an 8 MB
 * queue and 4 MB fetches took 7.4 s at 40 MB peak RSS; 32 MB, 32 MB and 4 MB
 * per partition 2.0-3.2 s at 80-86 MB; 16 MB, 16 MB, 4 MB 3.2 s at 78 MB.
 * Once the segment closes no longer stopped the poll loop (WRITEBACK_BYTES),
 * the fetchers were woken more often and 1,000,000 x 1 KB peaked at
 * 100-118 MB (88 MB before the change): a queued message pins its whole
 * fetch response, so the responses in flight and partly read add to the
 * queue. With 1 MB per partition and a 12 MB budget (below), the same run
 * peaked at 68 MB (kcat's default is 1 MB per partition too). */
#define QUEUE_KB "16384"
#define PART_FETCH_MAX "1048576"
/* fetch.max.bytes bounds one fetch response, and librdkafka keeps one in
 * flight per broker: with the partitions led by several brokers, the budget
 * is shared between them (measured on 100,000 x 1 KB in 200 partitions led
 * by 3 brokers: 141 MB peak RSS with 32 MB per broker, 89 MB with 8 MB; the
 * budget was 24 MB, 12 MB since the change above). */
#define FETCH_BUDGET (12 * 1024 * 1024)
#define FETCH_MIN (4 * 1024 * 1024)
/* one leading broker gets the whole budget (it used to keep 32 MB) */
#define FETCH_MAX FETCH_BUDGET
/* krt-backup drains 16 MB in well under librdkafka 2.0.2's 1 s tick: its
 * fetchers stopped by a full queue are woken (fetchwake.h). */
/* Avro block size to start with; a partition's writer grows it to hold its
 * largest record (see segment.h). max.message.bytes does not bound a record
 * (it limits compressed batches), so the block is sized on demand rather than
 * from the topic's configuration, and a partition of small records keeps a
 * small buffer. */
#define BLOCK_SIZE (256 * 1024)
/* At most this many segments hold a block buffer (avro-c's block and codec
 * buffers, about twice the block size) at a time; the least recently used
 * one is parked (its block written, its buffers freed) before another opens,
 * so memory does not grow with the number of partitions. */
#define MAX_OPEN_WRITERS 16
/* The last record appended to a segment is copied (its key and value, when
 * at most this large; a larger one is hashed at once) and hashed only when
 * the segment is closed or its writer parked, when the copy is freed: a copy
 * of 1 KB costs a tenth of its SHA-256 (openssl speed: 1.1 GB/s with SHA-NI
 * on this machine), and only the writers that hold a block buffer (at most
 * MAX_OPEN_WRITERS) hold a copy, so its memory does not grow with the
 * number of partitions. */
#define LAST_COPY_MAX 65536
/* The kernel's write-back of a segment is started every time this much has
 * been appended to it (krt_seg_writeback), so the disk writes while the
 * records are read, and the fsync that closes a segment waits only for the
 * last few MB. Closing the 6 segments of 100,000 x 1 KB (17 MB each, one
 * after another at the end of the run, the poll loop stopped meanwhile)
 * took 1.3 s of a 2.9 s run without it: each fsync wrote its whole file
 * (30-400 ms). */
#define WRITEBACK_BYTES (8 * 1024 * 1024)

/* One partition during a run. */
struct bpart {
    struct krt_bk_topic *t;
    struct krt_bk_part *mp;
    int res; /* index in the report */
    int64_t pos; /* next offset to back up */
    int64_t cut;
    bool done, assigned;
    /* the open segment */
    struct krt_seg_writer *w;
    char part_name[1024];
    int64_t seg_from, seg_records, seg_bytes, seg_first, seg_last, seg_min_ts, seg_max_ts;
    int64_t seg_opened_ms;
    int64_t seg_kicked; /* seg_bytes when the write-back was last started */
    bool part_exists; /* a .part left by an interrupted run, to be reopened */
    bool stale_part;  /* a .part whose closed segment exists: to be removed */
    enum krt_seg_codec seg_codec;
    char seg_cluster[128]; /* the cluster id in the open segment's header */
    int64_t used;          /* when the writer last appended (run's clock) */
    /* the last record appended: a copy, or its hash when too large */
    int64_t last_off, last_ts;
    unsigned char *last_buf;
    size_t last_cap, last_klen, last_vlen;
    bool has_last, last_knull, last_vnull, last_hashed;
    char last_hash[65];
    /* resuming: the record at the manifest's last_record is read first and
     * compared with its hash */
    int64_t low;
    bool check_pending;
    bool was_assigned; /* assigned before the last assign_new (which undoes only its own) */
};

struct run {
    const struct krt_common *c;
    const struct krt_backup_opts *o;
    struct krt_backup_report *rep;
    struct krt_store store;
    struct krt_backup_manifest m;
    struct krt_conn conn;
    struct bpart *bp;
    int nbp;
    bool dirty;
    int64_t t0, last_progress, last_manifest;
    int64_t total_todo;
    int64_t clock;    /* counts appends: the writers' LRU order */
    bool refreshing;  /* --follow: a refresh of topics, partitions and groups */
    struct krt_fetchwake fw; /* one partition led by each broker */
};

static int64_t mono_ms(void)
{
    /* read for every record: the coarse clock (a few ms) costs a fraction
     * of the precise one (6.8% of krt-backup's samples in perf before) */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int oom(struct krt_error *err)
{
    return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
}

/* ---- local state, before any network call ---- */

static int parse_closed(const char *name, int64_t *from, int64_t *to)
{
    long long a, b;
    int n = 0;
    if (strlen(name) != 46 || sscanf(name, "%20lld-%20lld.avro%n", &a, &b, &n) != 2 ||
        n != 46)
        return -1;
    *from = a;
    *to = b;
    return 0;
}

static int parse_open(const char *name, int64_t *from)
{
    long long a;
    int n = 0;
    if (strlen(name) != 30 || sscanf(name, "%20lld.avro.part%n", &a, &n) != 1 || n != 30)
        return -1;
    *from = a;
    return 0;
}

static int seg_cmp(const void *a, const void *b)
{
    const struct krt_bk_segment *x = a, *y = b;
    return x->from < y->from ? -1 : x->from > y->from;
}

static struct krt_bk_segment *seg_add(struct krt_bk_part *p)
{
    struct krt_bk_segment *nv = realloc(p->segs, (size_t)(p->nsegs + 1) * sizeof(*nv));
    if (!nv)
        return NULL;
    p->segs = nv;
    memset(&nv[p->nsegs], 0, sizeof(*nv));
    return &nv[p->nsegs++];
}

static int gap_add(struct krt_bk_part *p, int64_t from, int64_t to, enum krt_bk_gap_reason r)
{
    if (to <= from)
        return 0;
    /* adjacent "no records" ranges merge */
    if (p->ngaps && r == KRT_BK_GAP_NO_RECORDS && p->gaps[p->ngaps - 1].reason == r &&
        p->gaps[p->ngaps - 1].to == from) {
        p->gaps[p->ngaps - 1].to = to;
        return 0;
    }
    struct krt_bk_gap *nv = realloc(p->gaps, (size_t)(p->ngaps + 1) * sizeof(*nv));
    if (!nv)
        return -1;
    p->gaps = nv;
    nv[p->ngaps++] = (struct krt_bk_gap){from, to, r, krt_now_ms()};
    return 0;
}

static bool seg_listed(const struct krt_bk_part *p, const char *file)
{
    for (int i = 0; i < p->nsegs; i++)
        if (!strcmp(p->segs[i].file, file))
            return true;
    return false;
}

/* A closed segment on disk that the manifest does not list yet (the run was
 * killed between the rename and the manifest's replacement): adopt it. */
static int adopt_closed(struct run *r, struct krt_bk_part *p, const char *topic,
                        const char *name, int64_t from, int64_t to, struct krt_error *err)
{
    char path[4096];
    struct krt_seg_info info;
    if (krt_store_local_path(&r->store, name, 0, path, sizeof(path), err) ||
        krt_seg_check(path, 0, &info, err))
        return -1;
    if (strcmp(info.meta.topic, topic) || info.meta.partition != p->partition ||
        info.meta.from != from || (info.records && info.last_offset >= to))
        return krt_error_set(err, KRT_ERR_INPUT,
                             "'%s' does not belong here (its header names '%s' partition %d "
                             "from %lld)",
                             path, info.meta.topic, (int)info.meta.partition,
                             (long long)info.meta.from);
    struct krt_bk_segment *s = seg_add(p);
    if (!s || !(s->file = strdup(name)))
        return oom(err);
    s->from = from;
    s->to = to;
    s->first = info.first_offset;
    s->last = info.last_offset;
    s->records = info.records;
    s->bytes = info.bytes;
    s->min_ts = info.min_ts;
    s->max_ts = info.max_ts;
    s->codec = info.codec;
    memcpy(s->sha256, info.sha256, sizeof(s->sha256));
    if (!(s->cluster_id = strdup(info.meta.cluster_id)))
        return oom(err);
    if (info.records && info.last_offset > p->last_offset && info.last_sha256[0]) {
        p->last_offset = info.last_offset;
        memcpy(p->last_sha256, info.last_sha256, sizeof(p->last_sha256));
    }
    r->dirty = true;
    return 0;
}

/* Read one partition directory: adopt unlisted closed segments, note an
 * interrupted segment (checked up to its last complete block; it is cut back
 * only when the run appends to it, after every check). */
static int scan_partition(struct run *r, struct krt_bk_topic *t, struct krt_bk_part *p,
                          struct bpart *b, struct krt_error *err)
{
    char prefix[300], name[700], path[4096];
    char **names;
    size_t n;
    snprintf(prefix, sizeof(prefix), "%s/%d", t->name, (int)p->partition);
    if (krt_store_list(&r->store, prefix, &names, &n, err))
        return -1;
    int rc = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        int64_t from, to;
        snprintf(name, sizeof(name), "%s/%s", prefix, names[i]);
        if (!parse_closed(names[i], &from, &to)) {
            if (!seg_listed(p, name))
                rc = adopt_closed(r, p, t->name, name, from, to, err);
        } else if (!parse_open(names[i], &from)) {
            struct krt_seg_info info;
            if (b->part_exists)
                rc = krt_error_set(err, KRT_ERR_INPUT, "two open segments in '%s/%s'",
                                   r->store.root, prefix);
            else if (krt_store_local_path(&r->store, name, 0, path, sizeof(path), err) ||
                     krt_seg_check(path, 1, &info, err))
                rc = -1;
            else if (info.header_torn) /* killed while creating it: it holds nothing */
                rc = krt_store_remove(&r->store, name, err);
            else if (strcmp(info.meta.topic, t->name) || info.meta.partition != p->partition ||
                     info.meta.from != from)
                rc = krt_error_set(err, KRT_ERR_INPUT, "'%s' does not belong here", path);
            else {
                b->part_exists = true;
                snprintf(b->part_name, sizeof(b->part_name), "%s", name);
                b->seg_from = from;
                b->seg_records = info.records;
                b->seg_bytes = info.bytes;
                b->seg_first = info.first_offset;
                b->seg_last = info.last_offset;
                b->seg_min_ts = info.min_ts;
                b->seg_max_ts = info.max_ts;
                b->seg_codec = info.codec;
                snprintf(b->seg_cluster, sizeof(b->seg_cluster), "%s", info.meta.cluster_id);
                if (info.records && info.last_sha256[0]) {
                    b->has_last = true;
                    b->last_off = info.last_offset;
                    b->last_hashed = true;
                    memcpy(b->last_hash, info.last_sha256, sizeof(b->last_hash));
                    /* the divergence check compares the newest backed-up
                     * record: after a kill this one, not the last closed
                     * segment's (none when the first segment was open) */
                    if (info.last_offset > p->last_offset) {
                        p->last_offset = info.last_offset;
                        memcpy(p->last_sha256, info.last_sha256, sizeof(p->last_sha256));
                    }
                }
            }
        } else if (!strstr(names[i], ".tmp.")) {
            rc = krt_error_set(err, KRT_ERR_INPUT, "'%s/%s' is not a file of a krt backup",
                               r->store.root, name);
        }
    }
    krt_store_list_free(names, n);
    if (rc)
        return -1;
    if (p->nsegs)
        qsort(p->segs, (size_t)p->nsegs, sizeof(*p->segs), seg_cmp);
    int64_t closed_end = -1;
    for (int i = 0; i < p->nsegs; i++) {
        if (i && p->segs[i].from < p->segs[i - 1].to)
            return krt_error_set(err, KRT_ERR_INPUT, "segments '%s' and '%s' overlap",
                                 p->segs[i - 1].file, p->segs[i].file);
        if (p->segs[i].to > closed_end)
            closed_end = p->segs[i].to;
    }
    for (int i = 0; b->part_exists && i < p->nsegs; i++)
        if (p->segs[i].from == b->seg_from) {
            /* killed between the commit's link and unlink: the segment is
             * closed already; the leftover goes once the checks passed */
            b->part_exists = false;
            b->stale_part = true;
        }
    if (b->part_exists) {
        /* the open segment continues after the closed ones; the manifest's
         * position may already count the records it holds */
        if (b->seg_from < closed_end)
            return krt_error_set(err, KRT_ERR_INPUT, "'%s' overlaps a closed segment",
                                 b->part_name);
        b->pos = b->seg_records ? b->seg_last + 1 : b->seg_from;
    } else {
        b->pos = p->position > closed_end ? p->position : closed_end;
    }
    return 0;
}

/* Every topic directory the backup holds, so that all local reading happens
 * before the first network call. */
static int scan_local(struct run *r, struct krt_error *err)
{
    char **topics;
    size_t nt;
    if (krt_store_list(&r->store, "", &topics, &nt, err))
        return -1;
    int rc = 0;
    for (size_t i = 0; !rc && i < nt; i++) {
        struct stat st;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", r->store.root, topics[i]);
        if (!strcmp(topics[i], KRT_BACKUP_MANIFEST) || strstr(topics[i], ".tmp."))
            continue;
        if (stat(path, &st) || !S_ISDIR(st.st_mode)) {
            rc = krt_error_set(err, KRT_ERR_INPUT, "'%s' is not a file of a krt backup", path);
            break;
        }
        struct krt_bk_topic *t = krt_backup_topic(&r->m, topics[i], 1);
        char **parts;
        size_t np;
        if (!t || krt_store_list(&r->store, topics[i], &parts, &np, err)) {
            rc = t ? -1 : oom(err);
            break;
        }
        for (size_t j = 0; !rc && j < np; j++) {
            int64_t pn;
            if (krt_parse_int64(parts[j], &pn) || pn > INT32_MAX)
                rc = krt_error_set(err, KRT_ERR_INPUT, "'%s/%s' is not a file of a krt backup",
                                   path, parts[j]);
            else if (!krt_backup_part(t, (int32_t)pn, 1))
                rc = oom(err);
        }
        krt_store_list_free(parts, np);
    }
    krt_store_list_free(topics, nt);
    if (rc)
        return -1;
    int n = 0;
    for (int i = 0; i < r->m.ntopics; i++)
        n += r->m.topics[i].nparts;
    r->bp = calloc((size_t)n + 1, sizeof(*r->bp));
    if (!r->bp)
        return oom(err);
    for (int i = 0; i < r->m.ntopics; i++)
        for (int j = 0; j < r->m.topics[i].nparts; j++) {
            struct bpart *b = &r->bp[r->nbp++];
            b->t = &r->m.topics[i];
            b->mp = &r->m.topics[i].parts[j];
            b->res = -1;
            if (scan_partition(r, b->t, b->mp, b, err))
                return -1;
        }
    return 0;
}

static int close_segment(struct run *r, struct bpart *b, int64_t to, struct krt_error *err);

/* ---- selection, cut and groups (network) ---- */

static bool selected(const struct krt_backup_opts *o, const char *topic)
{
    if (!o->ntopics)
        return !krt_topic_is_internal(topic);
    for (int i = 0; i < o->ntopics; i++) {
        size_t l = strlen(o->topics[i]);
        if (l && o->topics[i][l - 1] == '*') {
            if (!strncmp(topic, o->topics[i], l - 1) && !krt_topic_is_internal(topic))
                return true;
        } else if (!strcmp(topic, o->topics[i]))
            return true;
    }
    return false;
}

static int check_selection(const struct krt_backup_opts *o, const struct krt_metadata *md,
                           struct krt_error *err)
{
    for (int i = 0; i < o->ntopics; i++) {
        const char *s = o->topics[i];
        size_t l = strlen(s);
        if (l && s[l - 1] == '*')
            continue;
        if (krt_topic_is_internal(s))
            return krt_error_set(err, KRT_ERR_REFUSED,
                                 "refusing to back up internal topic '%s'", s);
        if (!krt_meta_topic(md, s))
            return krt_error_set(err, KRT_ERR_INPUT, "unknown topic '%s'", s);
    }
    return 0;
}

static struct bpart *bpart_find(struct run *r, const char *topic, int32_t partition)
{
    int lo = 0, hi = r->nbp - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        int c = strcmp(r->bp[mid].t->name, topic);
        if (!c)
            c = r->bp[mid].mp->partition < partition ? -1 : r->bp[mid].mp->partition > partition;
        if (!c)
            return &r->bp[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

/* Topics and partitions of the selection become manifest entries (topics
 * that are only in the backup directory stay as they are). */
static int add_selection(struct run *r, const struct krt_metadata *md, struct krt_error *err)
{
    int n = 0;
    for (int i = 0; i < md->ntopics; i++)
        if (selected(r->o, md->topics[i].name))
            n += md->topics[i].nparts;
    if (!n)
        return krt_error_set(err, KRT_ERR_INPUT, "no topic to back up");
    /* rebuild the partition table: the manifest arrays move and shift as
     * topics and partitions are inserted, so the old entries are matched by
     * name and number, taken before any insertion, never through their
     * pointers into the manifest */
    struct bpart *old = r->bp;
    int nold = r->nbp;
    char **old_topic = calloc((size_t)nold + 1, sizeof(*old_topic));
    int32_t *old_part = calloc((size_t)nold + 1, sizeof(*old_part));
    if (!old_topic || !old_part) {
        free(old_topic);
        free(old_part);
        return oom(err);
    }
    for (int q = 0; q < nold; q++) {
        old_topic[q] = old[q].t->name; /* names are not moved by an insertion */
        old_part[q] = old[q].mp->partition;
    }
    int rc = 0;
    for (int i = 0; i < md->ntopics; i++) {
        const struct krt_topic *mt = &md->topics[i];
        if (!selected(r->o, mt->name))
            continue;
        struct krt_bk_topic *t = krt_backup_topic(&r->m, mt->name, 1);
        if (!t) {
            rc = oom(err);
            goto out;
        }
        t->partition_count = mt->nparts;
        t->replication_factor = mt->nparts ? mt->parts[0].nreplicas : 0;
        for (int j = 0; j < mt->nparts; j++)
            if (!krt_backup_part(t, mt->parts[j].id, 1)) {
                rc = oom(err);
                goto out;
            }
    }
    int total = 0;
    for (int i = 0; i < r->m.ntopics; i++)
        total += r->m.topics[i].nparts;
    struct bpart *nv = calloc((size_t)total + 1, sizeof(*nv));
    if (!nv) {
        rc = oom(err);
        goto out;
    }
    int k = 0;
    for (int i = 0; i < r->m.ntopics; i++)
        for (int j = 0; j < r->m.topics[i].nparts; j++) {
            struct bpart *b = &nv[k++];
            struct krt_bk_topic *t = &r->m.topics[i];
            struct krt_bk_part *p = &t->parts[j];
            b->t = t;
            b->mp = p;
            b->res = -1;
            b->pos = p->position;
            for (int q = 0; q < nold; q++)
                if (!strcmp(old_topic[q], t->name) && old_part[q] == p->partition) {
                    struct krt_bk_topic *tt = b->t;
                    struct krt_bk_part *pp = b->mp;
                    *b = old[q];
                    b->t = tt;
                    b->mp = pp;
                }
            b->done = !selected(r->o, t->name);
        }
    free(old);
    r->bp = nv;
    r->nbp = total;
out:
    free(old_topic);
    free(old_part);
    return rc;
}

static int read_configs(struct run *r, struct krt_error *err)
{
    int n = 0;
    const char **names = calloc((size_t)r->m.ntopics + 1, sizeof(*names));
    struct krt_bk_topic **ts = calloc((size_t)r->m.ntopics + 1, sizeof(*ts));
    if (!names || !ts) {
        free(names);
        free(ts);
        return oom(err);
    }
    for (int i = 0; i < r->m.ntopics; i++)
        if (selected(r->o, r->m.topics[i].name)) {
            ts[n] = &r->m.topics[i];
            names[n++] = r->m.topics[i].name;
        }
    struct krt_config_set *sets = calloc((size_t)n + 1, sizeof(*sets));
    int rc = sets ? krt_configs_describe(&r->conn, false, names, n, sets, err) : oom(err);
    for (int i = 0; !rc && i < n; i++) {
        if (sets[i].err) {
            rc = krt_error_kafka(err, sets[i].err, "cannot describe the configuration of '%s'",
                                 names[i]);
            break;
        }
        krt_props_free(&ts[i]->configs);
        for (int k = 0; k < sets[i].n; k++) {
            const struct krt_config_entry *e = &sets[i].v[k];
            if (krt_config_is_topic_override(e) && e->value && !e->sensitive)
                krt_props_add(&ts[i]->configs, e->name, e->value, 0);
        }
    }
    if (sets)
        krt_configs_free(sets, n);
    free(sets);
    free(names);
    free(ts);
    return rc;
}

static void groups_free(struct krt_bk_group *g, int n)
{
    for (int i = 0; i < n; i++) {
        free(g[i].group);
        free(g[i].error);
        krt_tplist_free(&g[i].offsets);
    }
    free(g);
}

/* The committed offsets of every consumer group on the selected topics.
 * They are read into a new table that replaces the manifest's only when
 * every group was asked: a run interrupted (SIGTERM ends a --follow) while
 * the groups are read keeps the previous capture, never a table of groups
 * marked "not captured: interrupted". */
static int read_groups(struct run *r, struct krt_error *err)
{
    char **ids;
    size_t n;
    if (krt_group_list(&r->conn, &ids, &n, err))
        return -1;
    struct krt_bk_group *ng = calloc(n + 1, sizeof(*ng));
    int nn = 0;
    int64_t failed = 0;
    int rc = ng ? 0 : oom(err);
    for (size_t i = 0; !rc && i < n; i++) {
        struct krt_tplist all = {0};
        struct krt_bk_group *g = &ng[nn];
        struct krt_error ge;
        krt_error_clear(&ge);
#ifdef KRT_TEST_HOOKS
        /* a test stops a --follow while a refresh reads the groups */
        if (r->refreshing && i == 0)
            krt_apply_test_pause("KRT_TEST_GROUPS_PAUSE");
#endif
        if (krt_group_committed(&r->conn, ids[i], &all, &ge)) {
            krt_tplist_free(&all);
            if (ge.code == KRT_ERR_INTERRUPTED || krt_interrupted()) {
                rc = krt_error_set(err, KRT_ERR_INTERRUPTED,
                                   "interrupted while reading the groups' offsets");
                break;
            }
            /* one group that cannot be read (no DESCRIBE permission, a
             * coordinator error) does not stop the backup of the records:
             * the group is listed as not captured, with the reason; a
             * --follow refresh keeps the offsets it read before, if any */
            failed++;
            const struct krt_bk_group *old = NULL;
            for (int k = 0; r->refreshing && k < r->m.ngroups && !old; k++)
                if (!strcmp(r->m.groups[k].group, ids[i]) && !r->m.groups[k].error)
                    old = &r->m.groups[k];
            if (r->c->verbosity > 0)
                krt_warnf(r->c->prog, "offsets of group '%s' %s: %s", ids[i],
                          old ? "not read again (the previous ones are kept)" : "not captured",
                          ge.msg);
            if (!(g->group = strdup(ids[i])))
                rc = oom(err);
            for (size_t k = 0; !rc && old && k < old->offsets.n; k++) {
                const struct krt_tp *o = &old->offsets.v[k];
                struct krt_tp *tp = krt_tplist_add(&g->offsets, o->topic, o->partition, o->offset);
                if (!tp || (o->metadata && !(tp->metadata = strdup(o->metadata))))
                    rc = oom(err);
            }
            if (!rc && !old && !(g->error = strdup(ge.msg)))
                rc = oom(err);
            nn++;
            continue;
        }
        for (size_t k = 0; k < all.n; k++) {
            if (!selected(r->o, all.v[k].topic) || all.v[k].offset < 0)
                continue;
            struct krt_tp *tp =
                krt_tplist_add(&g->offsets, all.v[k].topic, all.v[k].partition, all.v[k].offset);
            if (!tp || (all.v[k].metadata && !(tp->metadata = strdup(all.v[k].metadata))))
                rc = oom(err);
        }
        krt_tplist_free(&all);
        if (g->offsets.n) {
            if (!(g->group = strdup(ids[i])))
                rc = oom(err);
            nn++;
        } else {
            krt_tplist_free(&g->offsets);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    if (rc) {
        groups_free(ng, ng ? nn + 1 : 0);
        return rc;
    }
    groups_free(r->m.groups, r->m.ngroups);
    r->m.groups = ng;
    r->m.ngroups = nn;
    r->rep->groups_failed = failed; /* a --follow refresh reads every group again */
    return 0;
}

static int add_result(struct run *r, struct bpart *b)
{
    struct krt_backup_report *rep = r->rep;
    struct krt_backup_result *nv = realloc(rep->v, (size_t)(rep->n + 1) * sizeof(*nv));
    if (!nv)
        return -1;
    rep->v = nv;
    memset(&nv[rep->n], 0, sizeof(*nv));
    nv[rep->n].topic = strdup(b->t->name);
    nv[rep->n].partition = b->mp->partition;
    nv[rep->n].start = nv[rep->n].end = b->pos;
    nv[rep->n].cut = -1;
    b->res = rep->n++;
    return 0;
}

static int finish_part(struct run *r, struct bpart *b, struct krt_error *err);

/* The partition no longer holds the log the backup holds (an unclean leader
 * election, a topic deleted and created again under its name): the
 * divergence is recorded in the manifest and the partition's series ends
 * where it got to, so that two logs never mix in one series. */
static int diverge(struct run *r, struct bpart *b, enum krt_bk_div_reason why, int64_t offset,
                   int64_t log_end, struct krt_error *err)
{
    struct krt_bk_part *p = b->mp;
    struct krt_bk_divergence *nv = realloc(p->divs, (size_t)(p->ndivs + 1) * sizeof(*nv));
    if (!nv)
        return oom(err);
    p->divs = nv;
    nv[p->ndivs++] = (struct krt_bk_divergence){offset, b->pos, log_end, why, krt_now_ms()};
    struct krt_backup_result *res = &r->rep->v[b->res];
    char msg[300];
    if (why == KRT_BK_DIV_LOG_END)
        snprintf(msg, sizeof(msg),
                 "the log ends at %lld, below the backup's end %lld: not the backed-up log "
                 "(unclean election, or the topic created again); not continued",
                 (long long)log_end, (long long)b->pos);
    else
        snprintf(msg, sizeof(msg),
                 "the record at offset %lld differs from the backed-up one: not the "
                 "backed-up log (unclean election, or the topic created again); not continued",
                 (long long)offset);
    res->diverged = true;
    free(res->errmsg);
    res->errmsg = strdup(msg);
    r->rep->divergences++;
    if (r->c->verbosity > 0)
        krt_warnf(r->c->prog, "'%s' partition %d: %s", b->t->name, (int)p->partition, msg);
    b->check_pending = false;
    r->dirty = true;
    return finish_part(r, b, err);
}

/* Take the cut: log start and end offsets (the last stable offset, since
 * the consumer reads committed records only) of every selected partition in
 * one batch, then the gaps. */
static int take_cut(struct run *r, struct krt_metadata *md, struct krt_error *err)
{
    struct krt_tplist l = {0};
    for (int i = 0; i < r->nbp; i++)
        if (!r->bp[i].done && r->bp[i].res < 0 &&
            !krt_tplist_add(&l, r->bp[i].t->name, r->bp[i].mp->partition, 0))
            return oom(err);
    if (!l.n)
        return 0;
    int64_t *low = calloc(l.n + 1, sizeof(int64_t)), *high = calloc(l.n + 1, sizeof(int64_t));
    int *perr = calloc(l.n + 1, sizeof(int));
    int rc = (!low || !high || !perr) ? oom(err)
                                       : krt_offsets_watermarks(&r->conn, md, &l, low, high,
                                                                perr, err);
    if (!r->refreshing)
        r->m.cut_ms = krt_now_ms();
    for (size_t i = 0, k = 0; !rc && k < (size_t)r->nbp; k++) {
        struct bpart *b = &r->bp[k];
        if (b->done || b->res >= 0)
            continue;
        if (r->refreshing && perr[i]) { /* a new partition not ready: the next refresh */
            i++;
            continue;
        }
        if (add_result(r, b)) {
            rc = oom(err);
            break;
        }
        struct krt_backup_result *res = &r->rep->v[b->res];
        if (perr[i]) {
            res->err = perr[i];
            res->errmsg = strdup(rd_kafka_err2str(perr[i]));
            b->done = true;
        } else {
            b->cut = r->o->follow ? INT64_MAX : high[i];
            res->cut = r->o->follow ? -1 : high[i];
            b->mp->cut = res->cut;
            if (b->pos >= 0 && low[i] > b->pos) {
                res->gap_from = b->pos;
                res->gap_to = low[i];
                /* the interrupted segment ends before the gap */
                if (b->part_exists && close_segment(r, b, b->pos, err))
                    rc = -1;
                if (gap_add(b->mp, b->pos, low[i], KRT_BK_GAP_LOG_START))
                    rc = oom(err);
                r->rep->gaps++;
                r->dirty = true;
            }
            b->low = low[i];
            if (b->mp->ndivs) {
                /* diverged in an earlier run: that series ends there */
                res->diverged = true;
                r->rep->divergences++;
                res->errmsg = strdup("the partition's log diverged from the backup in an "
                                     "earlier run (see 'divergences' in the manifest)");
                b->done = true;
            } else if (b->pos > high[i]) {
                if (diverge(r, b, KRT_BK_DIV_LOG_END, b->pos, high[i], err))
                    rc = -1;
            } else {
                int64_t start = b->pos < low[i] ? low[i] : b->pos;
                res->start = start;
                if (b->pos < 0 || b->pos < low[i])
                    b->pos = start;
                b->mp->position = b->pos;
                if (!r->o->follow && b->pos >= b->cut)
                    b->done = true;
                else if (!r->o->follow)
                    r->total_todo += b->cut - b->pos;
                /* is it still the same log? the record at the last backed-up
                 * offset is read again and compared (when still there) */
                b->check_pending = !b->done && b->mp->last_offset >= 0 &&
                                   b->mp->last_offset >= low[i] &&
                                   b->mp->last_offset < b->pos && b->mp->last_sha256[0];
            }
            res->end = b->pos;
        }
        i++;
    }
    free(low);
    free(high);
    free(perr);
    krt_tplist_free(&l);
    return rc;
}

/* ---- segments ---- */

static int write_manifest(struct run *r, struct krt_error *err)
{
    r->m.updated_ms = krt_now_ms();
    json_t *doc = krt_backup_manifest_json(&r->m);
    char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    if (!text)
        return oom(err);
    size_t len = strlen(text);
    text[len] = '\0';
    char *withnl = realloc(text, len + 2);
    if (!withnl) {
        free(text);
        return oom(err);
    }
    withnl[len] = '\n';
    int rc = krt_store_put(&r->store, KRT_BACKUP_MANIFEST, withnl, len + 1, err);
    free(withnl);
    if (!rc)
        r->dirty = false;
    return rc;
}

static int open_segment(struct run *r, struct bpart *b, struct krt_error *err)
{
    char path[4096];
    if (b->part_exists) {
        if (krt_store_local_path(&r->store, b->part_name, 0, path, sizeof(path), err) ||
            krt_seg_reopen(path, BLOCK_SIZE, &b->w, err))
            return -1;
        b->part_exists = false;
        b->seg_opened_ms = mono_ms();
        b->seg_kicked = b->seg_bytes;
        return 0;
    }
    struct krt_seg_meta meta = {0};
    snprintf(meta.cluster_id, sizeof(meta.cluster_id), "%s", r->m.cluster_id);
    snprintf(meta.topic, sizeof(meta.topic), "%s", b->t->name);
    meta.partition = b->mp->partition;
    meta.from = b->pos;
    snprintf(b->part_name, sizeof(b->part_name), "%s/%d/%020" PRId64 ".avro.part", b->t->name,
             (int)b->mp->partition, b->pos);
    if (krt_store_local_path(&r->store, b->part_name, 1, path, sizeof(path), err))
        return -1;
    unlink(path); /* a header-only leftover of a run killed at its creation */
    if (krt_seg_create(path, r->o->codec, &meta, BLOCK_SIZE, &b->w, err) ||
        krt_store_sync(&r->store, b->part_name, err))
        return -1;
    snprintf(b->seg_cluster, sizeof(b->seg_cluster), "%s", meta.cluster_id);
    b->seg_from = b->pos;
    b->seg_codec = r->o->codec;
    b->seg_records = b->seg_bytes = b->seg_kicked = 0;
    b->seg_first = b->seg_last = b->seg_min_ts = b->seg_max_ts = -1;
    b->seg_opened_ms = mono_ms();
    return 0;
}

/* Hash the copy of the last record appended and free it (LAST_COPY_MAX). */
static void settle_last(struct bpart *b)
{
    if (b->has_last && !b->last_hashed) {
        static const unsigned char empty[1] = {0};
        const unsigned char *k = b->last_buf ? b->last_buf : empty;
        krt_seg_record_sha256(b->last_ts, b->last_knull ? NULL : k, b->last_klen,
                              b->last_vnull ? NULL : k + b->last_klen, b->last_vlen,
                              b->last_hash);
        b->last_hashed = true;
    }
    free(b->last_buf);
    b->last_buf = NULL;
    b->last_cap = 0;
}

/* Close the open segment at position @p to and make it a closed, immutable
 * segment listed in the manifest (written by the caller). */
static int close_segment(struct run *r, struct bpart *b, int64_t to, struct krt_error *err)
{
    char path[4096], name[700];
    if (b->part_exists && open_segment(r, b, err))
        return -1;
    if (!b->w)
        return 0;
    char sha[65];
    int rc = krt_seg_close_hashed(b->w, sha, err);
    b->w = NULL;
    if (rc)
        return -1;
    snprintf(name, sizeof(name), "%s/%d/%020" PRId64 "-%020" PRId64 ".avro", b->t->name,
             (int)b->mp->partition, b->seg_from, to);
    struct krt_bk_segment *s = seg_add(b->mp);
    if (!s || !(s->file = strdup(name)))
        return oom(err);
    struct stat st;
    if (krt_store_local_path(&r->store, b->part_name, 0, path, sizeof(path), err) ||
        stat(path, &st) ||
        krt_store_commit(&r->store, b->part_name, name, err)) {
        b->mp->nsegs--;
        free(s->file);
        return err->code ? -1
                         : krt_error_set(err, KRT_ERR_IO, "cannot close '%s': %s", path,
                                         strerror(errno));
    }
    memcpy(s->sha256, sha, sizeof(s->sha256));
    s->from = b->seg_from;
    s->to = to;
    s->first = b->seg_first;
    s->last = b->seg_last;
    s->records = b->seg_records;
    s->bytes = st.st_size;
    s->min_ts = b->seg_min_ts;
    s->max_ts = b->seg_max_ts;
    s->codec = b->seg_codec;
    s->cluster_id = strdup(b->seg_cluster[0] ? b->seg_cluster : r->m.cluster_id);
    settle_last(b);
    if (b->has_last && b->last_off >= b->seg_from && b->last_off < to) {
        if (b->last_hash[0]) {
            b->mp->last_offset = b->last_off;
            memcpy(b->mp->last_sha256, b->last_hash, sizeof(b->mp->last_sha256));
        }
    }
    b->mp->position = to;
    if (b->res >= 0)
        r->rep->v[b->res].segments++;
    r->rep->segments++;
    r->dirty = true;
    return 0;
}

/* A partition reached the cut (or the run stops): close its segment at the
 * position reached; offsets read without a committed record are noted. */
static int finish_part(struct run *r, struct bpart *b, struct krt_error *err)
{
    b->done = true;
    if (b->w || b->part_exists)
        return close_segment(r, b, b->pos, err);
    int64_t covered = b->mp->position;
    if (b->pos > covered && covered >= 0) {
        if (gap_add(b->mp, covered, b->pos, KRT_BK_GAP_NO_RECORDS))
            return oom(err);
        r->dirty = true;
    }
    if (b->pos > b->mp->position) {
        b->mp->position = b->pos;
        r->dirty = true;
    }
    return 0;
}

/* A partition of a one-shot run reached the cut. Its segment is closed with
 * the others once every partition is done (close_all): an fsync, hash and
 * link here would stop the poll loop, and with it the fetching, of the
 * partitions still being read. Its last block is written and its
 * write-back started now; its block buffers are freed. */
static int cut_reached(struct run *r, struct bpart *b, struct krt_error *err)
{
    if (r->o->follow || !b->w)
        return finish_part(r, b, err);
    b->done = true;
    settle_last(b);
    if (krt_seg_park(b->w, err))
        return -1;
    krt_seg_writeback(b->w);
    return 0;
}

/* ---- consuming ---- */

/* Before a writer takes a block buffer: park the least recently used ones
 * beyond the budget. */
static int writer_budget(struct run *r, struct bpart *self, struct krt_error *err)
{
    for (;;) {
        int open = 0;
        struct bpart *lru = NULL;
        for (int i = 0; i < r->nbp; i++) {
            struct bpart *b = &r->bp[i];
            if (b == self || !b->w || krt_seg_parked(b->w))
                continue;
            open++;
            if (!lru || b->used < lru->used)
                lru = b;
        }
        if (open < MAX_OPEN_WRITERS || !lru)
            return 0;
        settle_last(lru);
        if (krt_seg_park(lru->w, err))
            return -1;
    }
}

/* Keep what identifies the last record (hashed when its segment closes). */
static void keep_last(struct bpart *b, const rd_kafka_message_t *m, int64_t ts)
{
    size_t need = m->key_len + m->len;
    b->has_last = true;
    b->last_off = m->offset;
    b->last_ts = ts;
    b->last_hashed = false;
    if (need > b->last_cap && need <= LAST_COPY_MAX) {
        unsigned char *nb = realloc(b->last_buf, need);
        if (nb) {
            b->last_buf = nb;
            b->last_cap = need;
        }
    }
    if (need > b->last_cap) {
        krt_seg_record_sha256(ts, m->key, m->key_len, m->payload, m->len, b->last_hash);
        b->last_hashed = true;
        return;
    }
    b->last_knull = !m->key;
    b->last_vnull = !m->payload;
    b->last_klen = m->key ? m->key_len : 0;
    b->last_vlen = m->payload ? m->len : 0;
    if (b->last_klen)
        memcpy(b->last_buf, m->key, b->last_klen);
    if (b->last_vlen)
        memcpy(b->last_buf + b->last_klen, m->payload, b->last_vlen);
}

static int append_message(struct run *r, struct bpart *b, rd_kafka_message_t *m,
                          struct krt_error *err)
{
    if ((!b->w || krt_seg_parked(b->w)) && writer_budget(r, b, err))
        return -1;
    if (!b->w && open_segment(r, b, err))
        return -1;
    b->used = ++r->clock;
    struct krt_seg_header hv[64], *hs = hv;
    size_t nh = 0;
    rd_kafka_headers_t *hdrs = NULL;
    if (!rd_kafka_message_headers(m, &hdrs) && hdrs) {
        nh = rd_kafka_header_cnt(hdrs);
        if (nh > 64 && !(hs = malloc(nh * sizeof(*hs))))
            return oom(err);
        for (size_t i = 0; i < nh; i++) {
            const void *v;
            size_t vl;
            if (rd_kafka_header_get_all(hdrs, i, &hs[i].name, &v, &vl))
                nh = i;
            else {
                hs[i].value = v;
                hs[i].value_len = vl;
            }
        }
    }
    rd_kafka_timestamp_type_t tt;
    int64_t ts = rd_kafka_message_timestamp(m, &tt);
    struct krt_seg_record rec = {
        .offset = m->offset,
        .timestamp = ts,
        .timestamp_type = tt == RD_KAFKA_TIMESTAMP_CREATE_TIME      ? 1
                          : tt == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? 2
                                                                     : 0,
        .key = m->key,
        .key_len = m->key_len,
        /* librdkafka gives a zero-length value a NULL payload only for a
         * null value (tombstone); an empty one has len 0 and a pointer */
        .value = m->payload,
        .value_len = m->len,
        .headers = hs,
        .nheaders = nh,
    };
    int rc = krt_seg_append(b->w, &rec, err);
    int64_t sz = (int64_t)(m->key_len + m->len + 16);
    for (size_t i = 0; i < nh; i++)
        sz += (int64_t)(strlen(hs[i].name) + hs[i].value_len);
    if (hs != hv)
        free(hs);
    if (rc)
        return -1;
    if (!b->seg_records)
        b->seg_first = m->offset;
    b->seg_last = m->offset;
    if (b->seg_min_ts < 0 || ts < b->seg_min_ts)
        b->seg_min_ts = ts;
    if (ts > b->seg_max_ts)
        b->seg_max_ts = ts;
    b->seg_records++;
    b->seg_bytes += sz;
    if (b->seg_bytes - b->seg_kicked >= WRITEBACK_BYTES) {
        krt_seg_writeback(b->w);
        b->seg_kicked = b->seg_bytes;
    }
    keep_last(b, m, ts);
    b->pos = m->offset + 1;
    struct krt_backup_result *res = &r->rep->v[b->res];
    res->records++;
    res->bytes += sz;
    res->end = b->pos;
    r->rep->records++;
    r->rep->bytes += sz;
    return 0;
}

static void progress(struct run *r, bool last)
{
    int64_t now = mono_ms();
    if (!r->o->progress || (!last && now - r->last_progress < 1000))
        return;
    r->last_progress = now;
    double secs = (double)(now - r->t0) / 1000.0;
    double rate = secs > 0 ? (double)r->rep->records / secs : 0;
    int64_t left = 0;
    for (int i = 0; i < r->nbp; i++)
        if (!r->bp[i].done && r->bp[i].res >= 0 && r->bp[i].cut != INT64_MAX)
            left += r->bp[i].cut - r->bp[i].pos;
    char eta[32] = "-";
    if (!r->o->follow && rate > 0)
        snprintf(eta, sizeof(eta), "%.0fs", (double)left / rate);
    fprintf(stderr, "\rkrt-backup: %lld records, %.1f MB, %.0f records/s, ETA %s   %s",
            (long long)r->rep->records, (double)r->rep->bytes / 1e6, rate, eta,
            last ? "\n" : "");
    fflush(stderr);
}

static bool all_done(const struct run *r)
{
    for (int i = 0; i < r->nbp; i++)
        if (!r->bp[i].done)
            return false;
    return true;
}

static void part_failed(struct run *r, struct bpart *b, int kerr, const char *msg)
{
    struct krt_backup_result *res = &r->rep->v[b->res];
    if (!res->err) {
        res->err = kerr ? kerr : -1;
        res->errmsg = strdup(msg);
    }
}

/* Assign the partitions not assigned yet (all at the start; those a refresh
 * found later). A partition whose log is checked starts at its last
 * backed-up record, read again to compare it. */
static int assign_new(struct run *r, struct krt_error *err)
{
    rd_kafka_topic_partition_list_t *a = rd_kafka_topic_partition_list_new(r->nbp + 1);
    for (int i = 0; i < r->nbp; i++) {
        struct bpart *b = &r->bp[i];
        if (b->done || b->assigned)
            continue;
        rd_kafka_topic_partition_list_add(a, b->t->name, b->mp->partition)->offset =
            b->check_pending ? b->mp->last_offset : b->pos;
        b->assigned = true;
    }
    rd_kafka_error_t *e = a->cnt ? rd_kafka_incremental_assign(r->conn.rk, a) : NULL;
    rd_kafka_topic_partition_list_destroy(a);
    if (e) {
        /* none of them is assigned: a --follow refresh tries them again */
        for (int i = 0; i < r->nbp; i++)
            if (!r->bp[i].done && r->bp[i].assigned && !r->bp[i].was_assigned)
                r->bp[i].assigned = false;
        krt_error_kafka(err, rd_kafka_error_code(e), "cannot read the topics: %s",
                        rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        return -1;
    }
    for (int i = 0; i < r->nbp; i++)
        r->bp[i].was_assigned = r->bp[i].assigned;
    return 0;
}

/* --follow: topics created since (matching the selection), partitions
 * added, and the groups' committed offsets are read again. A failure is a
 * warning: the run goes on with what it has and tries again later. */
static int refresh(struct run *r, struct krt_error *err)
{
    struct krt_metadata md = {0};
    struct krt_error e;
    krt_error_clear(&e);
    r->refreshing = true;
    int rc = krt_meta_fetch(&r->conn, &md, &e);
    if (!rc)
        rc = add_selection(r, &md, &e);
    if (!rc)
        rc = take_cut(r, &md, &e);
    if (!rc)
        rc = read_configs(r, &e);
    if (!rc)
        rc = assign_new(r, &e);
    if (!rc)
        rc = read_groups(r, &e);
    krt_meta_free(&md);
    r->refreshing = false;
    r->dirty = true;
    if (rc && (e.code == KRT_ERR_INTERNAL || e.code == KRT_ERR_IO)) {
        *err = e;
        return -1;
    }
    if (rc && r->c->verbosity > 0 && !krt_interrupted())
        krt_warnf(r->c->prog, "cannot refresh the topics and groups (trying again later): %s",
                  e.msg);
    return 0;
}

/* A message at an offset already backed up: the one re-read to check the
 * log (see take_cut). */
static int check_message(struct run *r, struct bpart *b, rd_kafka_message_t *m,
                         struct krt_error *err)
{
    if (!b->check_pending || m->offset < b->mp->last_offset)
        return 0;
    b->check_pending = false;
    if (m->offset > b->mp->last_offset) /* it is gone (compacted away): nothing to compare */
        return 0;
    char h[65];
    rd_kafka_timestamp_type_t tt;
    krt_seg_record_sha256(rd_kafka_message_timestamp(m, &tt), m->key, m->key_len, m->payload,
                          m->len, h);
    if (!strcmp(h, b->mp->last_sha256))
        return 0;
    return diverge(r, b, KRT_BK_DIV_RECORD, m->offset, b->cut == INT64_MAX ? -1 : b->cut, err);
}

static int consume(struct run *r, struct krt_error *err)
{
    if (assign_new(r, err))
        return -1;
    unsigned polled = 0;
    int64_t last_roll_check = mono_ms(), last_refresh = mono_ms();
    while (!all_done(r) && !krt_interrupted()) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(r->conn.rk, 200);
        if (!m || !(++polled & 63))
            krt_fetchwake_pace(&r->fw, r->rep->records ? r->rep->bytes / r->rep->records : 1024);
        int64_t now = mono_ms();
        if (r->o->follow && r->o->refresh_ms > 0 && now - last_refresh >= r->o->refresh_ms) {
            last_refresh = now;
            /* the partition table is rebuilt: the message is looked up after */
            if (refresh(r, err))
                goto fail;
        }
        if (now - last_roll_check >= 1000) {
            last_roll_check = now;
            for (int i = 0; i < r->nbp; i++) {
                struct bpart *b = &r->bp[i];
                if (b->w && now - b->seg_opened_ms >= r->o->segment_ms &&
                    close_segment(r, b, b->pos, err))
                    goto fail;
            }
        }
        if (m) {
            const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
            struct bpart *b = bpart_find(r, topic, m->partition);
            if (!b || b->done) {
                /* late message of a finished partition */
            } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                b->check_pending = false;
                if (m->offset > b->pos)
                    b->pos = m->offset;
                if (b->pos >= b->cut && cut_reached(r, b, err))
                    goto fail;
            } else if (m->err) {
                part_failed(r, b, m->err, rd_kafka_message_errstr(m));
                if (finish_part(r, b, err))
                    goto fail;
            } else if (m->offset < b->pos) {
                if (check_message(r, b, m, err))
                    goto fail;
            } else if (m->offset >= b->cut) {
                b->check_pending = false;
                /* the offsets up to the cut held no more committed records */
                b->pos = b->cut;
                if (cut_reached(r, b, err))
                    goto fail;
            } else {
                b->check_pending = false;
                if (append_message(r, b, m, err))
                    goto fail;
                if (b->pos >= b->cut) {
                    if (cut_reached(r, b, err))
                        goto fail;
                } else if (b->seg_bytes >= r->o->segment_bytes) {
                    if (close_segment(r, b, b->pos, err))
                        goto fail;
#ifdef KRT_TEST_HOOKS
                    /* test only (-Dtest_hooks=true): KRT_TEST_ROLL_PAUSE=F
                     * holds the run right after a segment closed, before the
                     * manifest lists it, so that tests/integration/backup.sh
                     * kills it there and checks that the next run adopts it */
                    krt_apply_test_pause("KRT_TEST_ROLL_PAUSE");
#endif
                }
            }
            rd_kafka_message_destroy(m);
            m = NULL;
        }
        /* at most once a second while reading (each is two fsyncs): a
         * segment closed since is adopted from the disk by the next run */
        if (r->dirty && now - r->last_manifest >= 1000) {
            r->last_manifest = now;
            if (write_manifest(r, err))
                goto fail;
        }
        progress(r, false);
        continue;
    fail:
        if (m)
            rd_kafka_message_destroy(m);
        return -1;
    }
    return 0;
}

/* ---- the run ---- */

static int prepare(struct run *r, struct krt_error *err)
{
    const struct krt_backup_opts *o = r->o;
    struct stat st;
    /* local checks first: nothing is created or changed until they pass */
    if (stat(o->dir, &st) == 0 && krt_store_open_dir(&r->store, o->dir, 0, err))
        return -1;
    if (!r->store.root && krt_store_open_dir(&r->store, o->dir, 1, err))
        return -1;
    if (access(o->dir, W_OK))
        return krt_error_set(err, KRT_ERR_INPUT, "cannot write to backup directory '%s': %s",
                             o->dir, strerror(errno));
    if (krt_store_lock(&r->store, err))
        return -1;
    if (krt_backup_manifest_read(o->dir, 1, &r->m, err) || scan_local(r, err))
        return -1;
    return 0;
}

static int consumer_open(const struct krt_common *c, struct krt_conn *conn, int fetch_max,
                         struct krt_error *err)
{
    char fmax[32];
    snprintf(fmax, sizeof(fmax), "%d", fetch_max);
    struct krt_props extra = {0};
    krt_props_add(&extra, "group.id", "krt-backup-unused", 0);
    krt_props_add(&extra, "isolation.level", "read_committed", 0);
    krt_props_add(&extra, "enable.partition.eof", "true", 0);
    /* out of range is a gap to record, never a silent jump */
    krt_props_add(&extra, "auto.offset.reset", "error", 0);
    krt_props_add(&extra, "queued.max.messages.kbytes", QUEUE_KB, 0);
    krt_props_add(&extra, "fetch.max.bytes", fmax, 0);
    krt_props_add(&extra, "max.partition.fetch.bytes", PART_FETCH_MAX, 0);
    int rc = krt_conn_open(conn, c, KRT_CONN_CONSUMER, &extra, err);
    krt_props_free(&extra);
    return rc;
}

int krt_backup_consumer_open(const struct krt_common *c, struct krt_conn *conn,
                             struct krt_error *err)
{
    return consumer_open(c, conn, FETCH_MAX, err);
}

static bool wanted(const void *o, const char *topic)
{
    return selected(o, topic);
}

/* The selected partitions are led by more than one broker: share the fetch
 * budget between them (a new consumer; the first one only asked metadata). */
static int fit_fetches(struct run *r, struct krt_error *err)
{
    if (r->fw.n <= 1)
        return 0;
    int fetch = FETCH_BUDGET / r->fw.n;
    if (fetch < FETCH_MIN)
        fetch = FETCH_MIN;
    krt_fetchwake_detach(&r->fw); /* nothing of the old client may stay in use */
    rd_kafka_consumer_close(r->conn.rk);
    krt_conn_close(&r->conn);
    memset(&r->conn, 0, sizeof(r->conn));
    if (consumer_open(r->c, &r->conn, fetch, err))
        return -1;
    krt_conn_trap_signals(&r->conn);
    return 0;
}

static int connect_and_cut(struct run *r, struct krt_error *err)
{
    int rc;
    if (krt_backup_consumer_open(r->c, &r->conn, err))
        return -1;
    krt_conn_trap_signals(&r->conn);
    char *cid = rd_kafka_clusterid(r->conn.rk, r->c->timeout_ms);
    if (!cid)
        return krt_error_set(err, KRT_ERR_UNREACHABLE, "cannot learn the cluster id");
    if (r->m.cluster_id && *r->m.cluster_id && strcmp(r->m.cluster_id, cid) && !r->o->force) {
        krt_error_set(err, KRT_ERR_REFUSED,
                      "the backup in '%s' is of cluster '%s', not of this cluster '%s' "
                      "(--force to add to it anyway)",
                      r->o->dir, r->m.cluster_id, cid);
        rd_kafka_mem_free(r->conn.rk, cid);
        return -1;
    }
    if (r->m.cluster_id && *r->m.cluster_id && strcmp(r->m.cluster_id, cid)) {
        /* --force: the segments read from the other cluster keep naming it
         * (manifests before segments named their cluster relied on the
         * manifest's), so that --verify still checks each against its own */
        if (r->c->verbosity > 0)
            krt_warnf(r->c->prog, "--force: adding records of cluster '%s' to a backup of '%s'",
                      cid, r->m.cluster_id);
        for (int i = 0; i < r->m.ntopics; i++)
            for (int j = 0; j < r->m.topics[i].nparts; j++) {
                struct krt_bk_part *p = &r->m.topics[i].parts[j];
                for (int k = 0; k < p->nsegs; k++)
                    if (!p->segs[k].cluster_id &&
                        !(p->segs[k].cluster_id = strdup(r->m.cluster_id))) {
                        rd_kafka_mem_free(r->conn.rk, cid);
                        return oom(err);
                    }
            }
    }
    free(r->m.cluster_id);
    r->m.cluster_id = strdup(cid);
    r->rep->cluster_id = strdup(cid);
    rd_kafka_mem_free(r->conn.rk, cid);
    struct krt_metadata md = {0};
    if (krt_meta_fetch(&r->conn, &md, err))
        return -1;
    rc = check_selection(r->o, &md, err);
    if (!rc)
        rc = krt_fetchwake_from_metadata(&r->fw, &md, wanted, r->o, err);
    if (!rc)
        rc = fit_fetches(r, err);
    if (!rc)
        rc = add_selection(r, &md, err);
    if (!rc)
        rc = read_configs(r, err);
    if (!rc)
        rc = take_cut(r, &md, err);
    if (!rc)
        rc = read_groups(r, err);
    krt_meta_free(&md);
    return rc;
}

int krt_backup_run(const struct krt_common *c, const struct krt_backup_opts *o,
                   struct krt_backup_report *rep, struct krt_error *err)
{
    struct run r = {0};
    r.c = c;
    r.o = o;
    r.rep = rep;
    memset(rep, 0, sizeof(*rep));
    rep->dir = o->dir;
    r.t0 = mono_ms();
    krt_fetchwake_init(&r.fw, &r.conn, 0);
    struct stat st;
    bool new_dir = stat(o->dir, &st) != 0;
    int rc = prepare(&r, err);
    if (!rc)
        rc = connect_and_cut(&r, err);
    /* a directory this run created stays only once it holds a manifest:
     * an unknown topic, an unreachable cluster or a refusal leave nothing */
    if (rc && new_dir && r.store.locked) /* never one another writer holds */
        rmdir(o->dir);
    if (!rc) {
        if (r.m.created_ms < 0)
            r.m.created_ms = krt_now_ms();
        free(r.m.codec);
        r.m.codec = strdup(krt_seg_codec_name(o->codec));
        rc = write_manifest(&r, err);
        for (int i = 0; !rc && i < r.nbp; i++)
            if (r.bp[i].stale_part) {
                rc = krt_store_remove(&r.store, r.bp[i].part_name, err);
                r.bp[i].stale_part = false;
            }
    }
    if (!rc)
        rc = consume(&r, err);
    /* close every open segment where it got to, also when interrupted, so
     * the next run continues from there */
    struct krt_error e2;
    krt_error_clear(&e2);
    /* every segment's last block written and its write-back started first:
     * the disk writes them all while the closes below wait one at a time */
    for (int i = 0; i < r.nbp; i++)
        if (r.bp[i].w) {
            settle_last(&r.bp[i]);
            if (krt_seg_park(r.bp[i].w, rc ? &e2 : err) && !rc)
                rc = -1;
            krt_seg_writeback(r.bp[i].w);
        }
    for (int i = 0; i < r.nbp; i++)
        if (r.bp[i].w || (r.bp[i].part_exists && r.bp[i].res >= 0 && !rc)) {
            if (close_segment(&r, &r.bp[i], r.bp[i].pos, rc ? &e2 : err) && !rc)
                rc = -1;
        } else if (!rc && r.bp[i].res >= 0 && !r.bp[i].done && !krt_interrupted()) {
            if (finish_part(&r, &r.bp[i], err))
                rc = -1; /* out of memory or a close that failed: never a success */
        }
    if (r.store.root && r.m.cluster_id && r.dirty) {
        if (write_manifest(&r, rc ? &e2 : err) && !rc)
            rc = -1;
    }
    rep->groups = r.m.ngroups;
    rep->elapsed_ms = mono_ms() - r.t0;
    progress(&r, true);
    krt_fetchwake_free(&r.fw);
    if (r.conn.rk) {
        rd_kafka_consumer_close(r.conn.rk);
        krt_conn_close(&r.conn);
    }
    for (int i = 0; i < r.nbp; i++) {
        if (r.bp[i].w)
            krt_seg_abandon(r.bp[i].w);
        free(r.bp[i].last_buf);
    }
    free(r.bp);
    krt_backup_manifest_free(&r.m);
    if (r.store.root)
        krt_store_close(&r.store);
    if (!rc && krt_interrupted() && !o->follow)
        return krt_error_set(err, KRT_ERR_INTERRUPTED,
                             "interrupted: the backup holds what was read so far; run again to "
                             "continue");
    if (!rc && rep->divergences)
        return krt_error_set(err, KRT_ERR_REFUSED,
                             "%lld partition(s) no longer hold the backed-up log (unclean "
                             "election, or a topic created again): their backup stops there, "
                             "recorded as a divergence in the manifest; back the new log up "
                             "into another directory",
                             (long long)rep->divergences);
    if (!rc && !o->follow) {
        int failed = 0;
        for (int i = 0; i < rep->n; i++)
            failed += rep->v[i].err != 0;
        if (failed)
            return krt_error_set(err, failed == rep->n ? KRT_ERR_KAFKA : KRT_ERR_PARTIAL,
                                 "%d of %d partitions could not be backed up", failed, rep->n);
    }
    return rc;
}
