/* table.h - aligned plain-text tables for human output. */
#ifndef KRT_TABLE_H
#define KRT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define KRT_TABLE_MAXCOLS 16

/** @brief Rows of cells (copied); printed with each column padded to its
 *  widest cell. */
struct krt_table {
    int ncols;
    const char *heads[KRT_TABLE_MAXCOLS];
    char **cells; /**< nrows * ncols */
    size_t nrows, cap;
};

/** @brief Start a table with @p ncols headings. */
void krt_table_init(struct krt_table *t, int ncols, const char *const *heads);

/** @brief @p s for a terminal: control characters as C escapes (`\n`,
 *  `\t`, `\r`, `\x1b`) and a backslash doubled. @returns a malloc'd
 *  string, or NULL on OOM. */
char *krt_table_escape(const char *s);

/** @brief Whether @p s holds a control character (below 0x20, or DEL). */
bool krt_table_has_control(const char *s);

/** @brief Add a row of @p t->ncols cells (NULL prints as "-"), each escaped
 *  with krt_table_escape().
 *  @returns 0, or -1 on OOM. */
int krt_table_add(struct krt_table *t, const char *const *cells);

/** @brief Print headings and rows to @p f. */
void krt_table_print(const struct krt_table *t, FILE *f);

/** @brief Format an offset for a cell: "-" when negative (none/unknown). */
void krt_table_offset(char *buf, size_t size, long long v);

/** @brief Free the cells. */
void krt_table_free(struct krt_table *t);

#endif
