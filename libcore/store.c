/* store.c - see store.h. The local directory backend. */
#define _POSIX_C_SOURCE 200809L
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int krt_store_fsync_path(const char *path, int dir, struct krt_error *err)
{
    int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
    if (fd < 0 || fsync(fd)) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return krt_error_set(err, KRT_ERR_IO, "cannot sync '%s': %s", path, strerror(e));
    }
    close(fd);
    return 0;
}

/* fsync the directory holding @p path */
static int fsync_parent(const char *path, struct krt_error *err)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return krt_store_fsync_path(".", 1, err);
    if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    return krt_store_fsync_path(dir, 1, err);
}

static int full_path(struct krt_store *s, const char *name, char *buf, size_t n,
                     struct krt_error *err)
{
    /* a name stays inside the root: no absolute path, no ".." component */
    size_t l = strlen(name);
    if (!l || name[0] == '/' || !strcmp(name, "..") || !strncmp(name, "../", 3) ||
        strstr(name, "/../") || (l >= 3 && !strcmp(name + l - 3, "/..")))
        return krt_error_set(err, KRT_ERR_INTERNAL, "bad object name '%s'", name);
    if ((size_t)snprintf(buf, n, "%s/%s", s->root, name) >= n)
        return krt_error_set(err, KRT_ERR_INPUT, "path too long: '%s/%s'", s->root, name);
    return 0;
}

/* mkdir -p of the parents of @p path below the root, each new one made
 * durable in its parent */
static int make_parents(struct krt_store *s, const char *path, struct krt_error *err)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + strlen(s->root) + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        if (mkdir(tmp, 0700) == 0) {
            if (fsync_parent(tmp, err))
                return -1;
        } else if (errno != EEXIST) {
            return krt_error_set(err, KRT_ERR_IO, "cannot create directory '%s': %s", tmp,
                                 strerror(errno));
        }
        *p = '/';
    }
    return 0;
}

static int dir_local_path(struct krt_store *s, const char *name, int for_write, char *buf,
                          size_t n, struct krt_error *err)
{
    if (full_path(s, name, buf, n, err))
        return -1;
    return for_write ? make_parents(s, buf, err) : 0;
}

static int dir_sync(struct krt_store *s, const char *name, struct krt_error *err)
{
    char p[4096];
    if (full_path(s, name, p, sizeof(p), err) || krt_store_fsync_path(p, 0, err))
        return -1;
    return fsync_parent(p, err);
}

static int dir_commit(struct krt_store *s, const char *from, const char *to,
                      struct krt_error *err)
{
    char a[4096], b[4096];
    if (full_path(s, from, a, sizeof(a), err) || full_path(s, to, b, sizeof(b), err) ||
        make_parents(s, b, err) || krt_store_fsync_path(a, 0, err))
        return -1;
    /* link then unlink: never replaces an existing (immutable) segment */
    if (link(a, b))
        return krt_error_set(err, KRT_ERR_IO, "cannot commit '%s' as '%s': %s", a, b,
                             strerror(errno));
    if (fsync_parent(b, err))
        return -1;
    if (unlink(a))
        return krt_error_set(err, KRT_ERR_IO, "cannot remove '%s': %s", a, strerror(errno));
    return fsync_parent(a, err);
}

static int dir_put(struct krt_store *s, const char *name, const void *data, size_t len,
                   struct krt_error *err)
{
    char p[4096], tmp[4200];
    if (full_path(s, name, p, sizeof(p), err) || make_parents(s, p, err))
        return -1;
    snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", p, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return krt_error_set(err, KRT_ERR_IO, "cannot write '%s': %s", tmp, strerror(errno));
    const char *d = data;
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, d + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    int e = errno;
    if (done < len || fsync(fd)) {
        e = errno;
        close(fd);
        unlink(tmp);
        return krt_error_set(err, KRT_ERR_IO, "cannot write '%s': %s", tmp, strerror(e));
    }
    close(fd);
    if (rename(tmp, p)) {
        e = errno;
        unlink(tmp);
        return krt_error_set(err, KRT_ERR_IO, "cannot replace '%s': %s", p, strerror(e));
    }
    return fsync_parent(p, err);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int dir_list(struct krt_store *s, const char *prefix, char ***names, size_t *n,
                    struct krt_error *err)
{
    char p[4096];
    *names = NULL;
    *n = 0;
    if (*prefix ? full_path(s, prefix, p, sizeof(p), err)
                : (snprintf(p, sizeof(p), "%s", s->root), 0))
        return -1;
    DIR *d = opendir(p);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        return krt_error_set(err, KRT_ERR_IO, "cannot list '%s': %s", p, strerror(errno));
    }
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nv = realloc(*names, cap * sizeof(*nv));
            if (!nv)
                break;
            *names = nv;
        }
        if (!((*names)[*n] = strdup(de->d_name)))
            break;
        (*n)++;
    }
    int bad = de != NULL;
    closedir(d);
    if (bad) {
        krt_store_list_free(*names, *n);
        *names = NULL;
        *n = 0;
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    }
    if (*n)
        qsort(*names, *n, sizeof(**names), cmp_str);
    return 0;
}

static int dir_remove(struct krt_store *s, const char *name, struct krt_error *err)
{
    char p[4096];
    if (full_path(s, name, p, sizeof(p), err))
        return -1;
    if (unlink(p) && errno != ENOENT)
        return krt_error_set(err, KRT_ERR_IO, "cannot remove '%s': %s", p, strerror(errno));
    return fsync_parent(p, err);
}

static const struct krt_store_ops dir_ops = {
    dir_local_path, dir_sync, dir_commit, dir_put, dir_list, dir_remove,
};

int krt_store_open_dir(struct krt_store *s, const char *root, int create, struct krt_error *err)
{
    struct stat st;
    s->ops = &dir_ops;
    s->root = NULL;
    s->locked = false; /* a caller's struct may be uninitialised (UBSan: a bool of 255) */
    s->lock_fd = -1;
    if (stat(root, &st)) {
        if (errno != ENOENT || !create)
            return krt_error_set(err, KRT_ERR_INPUT, "cannot open backup directory '%s': %s",
                                 root, strerror(errno));
        if (mkdir(root, 0700) || fsync_parent(root, err))
            return err->code ? -1
                             : krt_error_set(err, KRT_ERR_INPUT,
                                             "cannot create backup directory '%s': %s", root,
                                             strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        return krt_error_set(err, KRT_ERR_INPUT, "backup directory '%s' is not a directory",
                             root);
    }
    if (access(root, R_OK | X_OK | (create ? W_OK : 0)))
        return krt_error_set(err, KRT_ERR_INPUT, "cannot use backup directory '%s': %s", root,
                             strerror(errno));
    s->root = strdup(root);
    if (!s->root)
        return krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
    size_t l = strlen(s->root);
    while (l > 1 && s->root[l - 1] == '/')
        s->root[--l] = '\0';
    return 0;
}

int krt_store_lock(struct krt_store *s, struct krt_error *err)
{
    if (s->locked)
        return 0;
    int fd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return krt_error_set(err, KRT_ERR_IO, "cannot open backup directory '%s': %s", s->root,
                             strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB)) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            return krt_error_set(err, KRT_ERR_REFUSED,
                                 "backup directory '%s' is in use by another krt-backup", s->root);
        return krt_error_set(err, KRT_ERR_IO, "cannot lock backup directory '%s': %s", s->root,
                             strerror(e));
    }
    s->lock_fd = fd;
    s->locked = true;
    return 0;
}

void krt_store_close(struct krt_store *s)
{
    if (s->locked)
        close(s->lock_fd);
    s->lock_fd = 0;
    s->locked = false;
    free(s->root);
    s->root = NULL;
}

int krt_store_local_path(struct krt_store *s, const char *name, int for_write, char *buf,
                         size_t n, struct krt_error *err)
{
    return s->ops->local_path(s, name, for_write, buf, n, err);
}

int krt_store_sync(struct krt_store *s, const char *name, struct krt_error *err)
{
    return s->ops->sync(s, name, err);
}

int krt_store_commit(struct krt_store *s, const char *from, const char *to,
                     struct krt_error *err)
{
    return s->ops->commit(s, from, to, err);
}

int krt_store_put(struct krt_store *s, const char *name, const void *data, size_t len,
                  struct krt_error *err)
{
    return s->ops->put(s, name, data, len, err);
}

int krt_store_list(struct krt_store *s, const char *prefix, char ***names, size_t *n,
                   struct krt_error *err)
{
    return s->ops->list(s, prefix, names, n, err);
}

int krt_store_remove(struct krt_store *s, const char *name, struct krt_error *err)
{
    return s->ops->remove(s, name, err);
}

void krt_store_list_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}
