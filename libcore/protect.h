/* protect.h - the protect list: topics no destructive tool may touch. */
#ifndef KRT_PROTECT_H
#define KRT_PROTECT_H

#include "error.h"

/** @brief Protected topic patterns: exact names and `prefix*`. */
struct krt_protect {
    char **v;
    int n;
};

/** @brief Read a protect file: one name or `prefix*` per line, `#` comments.
 *  The whole file is read with krt_file_read (a NUL byte is refused; no
 *  line length limit). @returns 0, or -1 (KRT_ERR_IO, KRT_ERR_INPUT). */
int krt_protect_load(const char *path, struct krt_protect *p, struct krt_error *err);

/** @brief The pattern that protects @p topic, or NULL. */
const char *krt_protect_match(const struct krt_protect *p, const char *topic);

/** @brief Free the list. */
void krt_protect_free(struct krt_protect *p);

#endif
