/* table.h - aligned plain-text tables for human output. */
#ifndef KRT_TABLE_H
#define KRT_TABLE_H

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

/** @brief Add a row of @p t->ncols cells (NULL prints as "-").
 *  @returns 0, or -1 on OOM. */
int krt_table_add(struct krt_table *t, const char *const *cells);

/** @brief Print headings and rows to @p f. */
void krt_table_print(const struct krt_table *t, FILE *f);

/** @brief Format an offset for a cell: "-" when negative (none/unknown). */
void krt_table_offset(char *buf, size_t size, long long v);

/** @brief Free the cells. */
void krt_table_free(struct krt_table *t);

#endif
