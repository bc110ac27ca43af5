/* store.h - where a backup lives: one small interface in front of the
 * storage, so that object storage written by several workers can follow the
 * local directory, the first backend.
 *
 * Objects are named by relative paths ("orders/3/00000000000000000000.avro").
 * A segment is written under a staging name and becomes visible, whole and
 * immutable, by krt_store_commit(); the manifest is replaced atomically by
 * krt_store_put(). Every write is durable (file and directory fsynced) when
 * the call returns. */
#ifndef KRT_STORE_H
#define KRT_STORE_H

#include <stdbool.h>

#include <stddef.h>
#include <stdio.h>

#include "error.h"

struct krt_store;

/** @brief The operations a backend provides. Each returns 0 or -1 with
 *  @p err set. */
struct krt_store_ops {
    /** Local path through which @p name is written or read (the local
     *  backend: the file itself; an object store: a spool file). With
     *  @p for_write, missing parent directories are created (durably). */
    int (*local_path)(struct krt_store *s, const char *name, int for_write, char *buf,
                      size_t n, struct krt_error *err);
    /** Make what was written to @p name durable (fsync file and directory). */
    int (*sync)(struct krt_store *s, const char *name, struct krt_error *err);
    /** Durably rename @p from to @p to; @p to must not exist. */
    int (*commit)(struct krt_store *s, const char *from, const char *to, struct krt_error *err);
    /** Replace @p name atomically with @p len bytes of @p data. */
    int (*put)(struct krt_store *s, const char *name, const void *data, size_t len,
               struct krt_error *err);
    /** The names directly under @p prefix (a "directory"), sorted. */
    int (*list)(struct krt_store *s, const char *prefix, char ***names, size_t *n,
                struct krt_error *err);
    /** Remove @p name (absent is not an error). */
    int (*remove)(struct krt_store *s, const char *name, struct krt_error *err);
};

/** @brief A backend instance. */
struct krt_store {
    const struct krt_store_ops *ops;
    char *root; /**< the local directory */
    int lock_fd; /**< the directory held by krt_store_lock, when locked */
    bool locked; /**< krt_store_lock holds lock_fd (which may be 0 when stdin is closed) */
};

/** @brief Open the local directory @p root as a store, creating it (mode
 *  0700) when @p create and it is missing. A directory that cannot be read
 *  and written is an error naming it. */
int krt_store_open_dir(struct krt_store *s, const char *root, int create, struct krt_error *err);

/** @brief Take the store for this process alone (a writer): a second
 *  writer on the same directory would cut back or remove the first one's
 *  open segments. Held until krt_store_close.
 *  @returns 0, or -1 with KRT_ERR_REFUSED when another process holds it. */
int krt_store_lock(struct krt_store *s, struct krt_error *err);

/** @brief Release the store. */
void krt_store_close(struct krt_store *s);

/** @brief Wrappers over the backend's operations (see struct krt_store_ops). */
int krt_store_local_path(struct krt_store *s, const char *name, int for_write, char *buf,
                         size_t n, struct krt_error *err);
int krt_store_sync(struct krt_store *s, const char *name, struct krt_error *err);
int krt_store_commit(struct krt_store *s, const char *from, const char *to,
                     struct krt_error *err);
int krt_store_put(struct krt_store *s, const char *name, const void *data, size_t len,
                  struct krt_error *err);
int krt_store_list(struct krt_store *s, const char *prefix, char ***names, size_t *n,
                   struct krt_error *err);
int krt_store_remove(struct krt_store *s, const char *name, struct krt_error *err);

/** @brief fsync the file (or, with @p dir, the directory) at @p path. */
int krt_store_fsync_path(const char *path, int dir, struct krt_error *err);

/** @brief Free a list returned by krt_store_list(). */
void krt_store_list_free(char **names, size_t n);

#endif
