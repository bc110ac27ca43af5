/* restore_groups.c - see restore_groups.h */
#define _POSIX_C_SOURCE 200809L
#include "restore_groups.h"

#include <librdkafka/rdkafka.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "meta.h"
#include "offsets.h"
#include "pscan.h"

/* ---- the translation of one partition --------------------------------------------------- */

int krt_xlate_add(struct krt_xlate *x, int64_t source, size_t tag, struct krt_error *err)
{
    if (x->n == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 8;
        void *nv = realloc(x->v, cap * sizeof(*x->v));
        if (!nv)
            return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        x->v = nv;
        x->cap = cap;
    }
    x->v[x->n++] = (struct krt_xlate_entry){.source = source, .target = -1, .tag = tag};
    return 0;
}

static int by_source(const void *a, const void *b)
{
    const struct krt_xlate_entry *x = a, *y = b;
    return x->source < y->source ? -1 : x->source > y->source;
}

void krt_xlate_sort(struct krt_xlate *x)
{
    if (x->n)
        qsort(x->v, x->n, sizeof(*x->v), by_source);
    x->next = 0;
}

/* The unresolved commits are always those above every source offset seen so
 * far: a suffix of the sorted entries. A record from source offset s answers
 * the unresolved ones with C <= s, a prefix of that suffix, also when
 * records arrive out of source order (a gap fill appends after the rest). */
void krt_xlate_feed(struct krt_xlate *x, int64_t source, int64_t target)
{
    while (x->next < x->n && x->v[x->next].source <= source)
        x->v[x->next++].target = target;
}

void krt_xlate_finish(struct krt_xlate *x, int64_t end)
{
    while (x->next < x->n)
        x->v[x->next++].target = end;
}

void krt_xlate_free(struct krt_xlate *x)
{
    free(x->v);
    memset(x, 0, sizeof(*x));
}

/* ---- groups of the manifest ------------------------------------------------------------------ */

static bool has_commits_on(const struct krt_bk_group *g, const char *topic)
{
    for (size_t i = 0; i < g->offsets.n; i++)
        if (!strcmp(g->offsets.v[i].topic, topic) && g->offsets.v[i].offset >= 0)
            return true;
    return false;
}

static bool selected(const struct krt_rgroups_opts *o, const struct krt_bk_group *g)
{
    if (!o->ngroups)
        return has_commits_on(g, o->source);
    for (int i = 0; i < o->ngroups; i++)
        if (!strcmp(o->groups[i], g->group))
            return true;
    return false;
}

int krt_rgroups_check(const struct krt_rgroups_opts *o, struct krt_error *err)
{
    for (int i = 0; i < o->ngroups; i++) {
        const struct krt_bk_group *g = NULL;
        for (int j = 0; j < o->m->ngroups && !g; j++)
            if (!strcmp(o->m->groups[j].group, o->groups[i]))
                g = &o->m->groups[j];
        if (!g || !has_commits_on(g, o->source))
            return krt_error_set(err, KRT_ERR_INPUT,
                                 "the backup holds no committed offset of group '%s' on '%s'",
                                 o->groups[i], o->source);
    }
    return 0;
}

/* ---- reading the target ------------------------------------------------------------------- */

struct feed {
    struct krt_xlate *x;
    const char *source;
};

static int visit(void *opaque, const rd_kafka_message_t *m, struct krt_error *err)
{
    (void)err;
    struct feed *fd = opaque;
    int64_t so;
    if (krt_pscan_provenance(m, fd->source, m->partition, &so))
        krt_xlate_feed(fd->x, so, m->offset);
    return 0;
}

static int add_entry(struct krt_planfile *out, const struct krt_bk_group *g, const char *target,
                     int32_t partition, int64_t offset, const char *metadata,
                     struct krt_error *err)
{
    struct krt_planfile_entry *nv = realloc(out->v, (out->n + 1) * sizeof(*nv));
    if (!nv)
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    out->v = nv;
    struct krt_planfile_entry *e = &out->v[out->n++];
    *e = (struct krt_planfile_entry){.group = strdup(g->group),
                                     .topic = strdup(target),
                                     .partition = partition,
                                     .offset = offset,
                                     .metadata = metadata ? strdup(metadata) : NULL};
    if (!e->group || !e->topic || (metadata && !e->metadata))
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    return 0;
}

/* Translate partition @p p of every selected group. */
static int translate_part(struct krt_conn *conn, const struct krt_rgroups_opts *o, int32_t p,
                          int64_t low, int64_t high, struct krt_planfile *out,
                          struct krt_error *err)
{
    struct krt_xlate x = {0};
    int rc = 0;
    for (int g = 0; g < o->m->ngroups && !rc; g++) {
        if (!selected(o, &o->m->groups[g]))
            continue;
        const struct krt_tp *tp = krt_tplist_find(&o->m->groups[g].offsets, o->source, p);
        if (tp && tp->offset >= 0)
            rc = krt_xlate_add(&x, tp->offset, (size_t)g, err);
    }
    if (!rc && x.n) {
        krt_xlate_sort(&x);
        struct feed fd = {.x = &x, .source = o->source};
        rc = krt_pscan_run(conn, o->target, p, low, high, visit, &fd, err);
        krt_xlate_finish(&x, high);
    }
    for (size_t i = 0; !rc && i < x.n; i++) {
        const struct krt_bk_group *g = &o->m->groups[x.v[i].tag];
        const struct krt_tp *tp = krt_tplist_find(&g->offsets, o->source, p);
        rc = add_entry(out, g, o->target, p, x.v[i].target, tp->metadata, err);
    }
    krt_xlate_free(&x);
    return rc;
}

int krt_rgroups_translate(const struct krt_common *c, const struct krt_rgroups_opts *o,
                          struct krt_planfile *out, struct krt_error *err)
{
    struct krt_conn conn = {0};
    struct krt_metadata md = {0};
    struct krt_tplist l = {0};
    struct krt_pscan_marks wm = {0};
    int rc = -1;
    for (int g = 0; g < o->m->ngroups; g++)
        if (selected(o, &o->m->groups[g]))
            krt_tplist_sort((struct krt_tplist *)&o->m->groups[g].offsets);
    if (krt_backup_consumer_open(c, &conn, err))
        return -1;
    if (krt_meta_fetch(&conn, &md, err))
        goto out;
    const struct krt_topic *t = krt_meta_topic(&md, o->target);
    if (!t || t->err) {
        krt_error_set(err, KRT_ERR_INPUT, "topic '%s' does not exist", o->target);
        goto out;
    }
    for (int i = 0; i < t->nparts; i++)
        krt_tplist_add(&l, o->target, t->parts[i].id, 0);
    if (krt_pscan_marks(&conn, &md, &l, &wm, err) || krt_pscan_wait_stable(c, &conn, &md, &l, &wm, err))
        goto out;
    for (size_t i = 0; i < l.n; i++) {
        if (wm.err[i]) {
            krt_error_kafka(err, wm.err[i], "cannot read the offsets of '%s' partition %d",
                            o->target, (int)l.v[i].partition);
            goto out;
        }
        if (translate_part(&conn, o, l.v[i].partition, wm.low[i], wm.high[i], out, err))
            goto out;
    }
    rc = 0;
out:
    krt_pscan_marks_free(&wm);
    krt_tplist_free(&l);
    krt_meta_free(&md);
    krt_pscan_consumer_close(&conn);
    return rc;
}

int krt_rgroups_run(const struct krt_common *c, struct krt_conn *admin,
                    const struct krt_rgroups_opts *o, struct krt_rewind_plan *plan,
                    bool *started, struct krt_error *err)
{
    struct krt_planfile pf = {0};
    struct krt_selection none = {0};
    const char **names = NULL;
    int nnames = 0, rc = -1;
    *started = false;
    if (krt_rgroups_translate(c, o, &pf, err))
        goto out;
    if (!pf.n) {
        rc = 0; /* no group committed on the source topic: nothing to translate */
        goto out;
    }
    names = calloc(pf.n, sizeof(*names));
    if (!names) {
        krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < pf.n; i++) {
        int seen = 0;
        for (int j = 0; j < nnames && !seen; j++)
            seen = !strcmp(names[j], pf.v[i].group);
        if (!seen)
            names[nnames++] = pf.v[i].group;
    }
    struct krt_rewind_scope scope = {.topics = &none, .allow_new_group = true};
    struct krt_rewind_spec spec = {.kind = KRT_SPEC_FILE, .file = &pf};
    snprintf(spec.text, sizeof(spec.text), "translated from the backup's commits on '%s'",
             o->source);
    struct krt_rewind_job job = {.conn = admin, .groups = names, .ngroups = nnames,
                                 .scope = &scope, .spec = &spec, .undo_path = o->undo_path};
    if (krt_rewind_plan_build(admin, names, nnames, &scope, &spec, &job.plan, err)) {
        krt_rewind_plan_free(&job.plan);
        goto out;
    }
    rc = 0;
    if (c->execute)
        rc = krt_rewind_execute(&job, o->wait_s, started, err);
    job.plan.spec.file = NULL; /* pf is freed below */
    *plan = job.plan;
out:
    free(names);
    krt_planfile_free(&pf);
    return rc;
}

int krt_rgroups_parse(char *s, const char ***names, int *n, struct krt_error *err)
{
    *n = 0;
    free(*names);
    *names = NULL;
    if (!s)
        return 0;
    size_t cap = 1;
    for (const char *q = s; *q; q++)
        cap += *q == ',';
    if (!(*names = calloc(cap, sizeof(**names))))
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    for (char *tok = s, *next; tok; tok = next) {
        next = strchr(tok, ',');
        if (next)
            *next++ = 0;
        if (!*tok)
            return krt_error_set(err, KRT_ERR_USAGE, "--groups: an empty group name");
        (*names)[(*n)++] = tok;
    }
    return 0;
}

int krt_rgroups_step(const struct krt_common *c, const struct krt_rgroups_opts *o,
                     struct krt_rewind_plan *plan, bool *started, struct krt_error *err)
{
    struct krt_conn admin = {0};
    *started = false;
    if (krt_conn_open(&admin, c, KRT_CONN_ADMIN, NULL, err))
        return -1;
    krt_conn_trap_signals(&admin);
    int rc = krt_rgroups_run(c, &admin, o, plan, started, err);
    krt_conn_close(&admin);
    return rc;
}
