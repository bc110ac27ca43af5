/* table.c - see table.h */
#define _POSIX_C_SOURCE 200809L
#include "table.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

bool krt_table_has_control(const char *s)
{
    for (; *s; s++)
        if (is_control((unsigned char)*s))
            return true;
    return false;
}

char *krt_table_escape(const char *s)
{
    /* A name is any string (a Kafka group name is): on a terminal a newline
     * forges a row and an ESC drives the terminal. Control characters are
     * written as C escapes, and a backslash as two so the text stays
     * unambiguous; everything else (UTF-8 included) as it is. */
    size_t n = 1;
    for (const char *p = s; *p; p++)
        n += is_control((unsigned char)*p) ? 4 : *p == '\\' ? 2 : 1;
    char *out = malloc(n), *o = out;
    if (!out)
        return NULL;
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\\' || c == '\n' || c == '\t' || c == '\r') {
            *o++ = '\\';
            *o++ = c == '\n' ? 'n' : c == '\t' ? 't' : c == '\r' ? 'r' : '\\';
        } else if (is_control(c)) {
            snprintf(o, 5, "\\x%02x", c);
            o += 4;
        } else {
            *o++ = (char)c;
        }
    }
    *o = '\0';
    return out;
}

void krt_table_init(struct krt_table *t, int ncols, const char *const *heads)
{
    *t = (struct krt_table){0};
    t->ncols = ncols > KRT_TABLE_MAXCOLS ? KRT_TABLE_MAXCOLS : ncols;
    for (int i = 0; i < t->ncols; i++)
        t->heads[i] = heads[i];
}

int krt_table_add(struct krt_table *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 32;
        char **c = realloc(t->cells, cap * (size_t)t->ncols * sizeof(*c));
        if (!c)
            return -1;
        t->cells = c;
        t->cap = cap;
    }
    char **row = &t->cells[t->nrows * (size_t)t->ncols];
    for (int i = 0; i < t->ncols; i++) {
        row[i] = krt_table_escape(cells[i] ? cells[i] : "-");
        if (!row[i]) {
            while (i-- > 0)
                free(row[i]);
            return -1;
        }
    }
    t->nrows++;
    return 0;
}

void krt_table_print(const struct krt_table *t, FILE *f)
{
    size_t w[KRT_TABLE_MAXCOLS];
    for (int c = 0; c < t->ncols; c++) {
        w[c] = strlen(t->heads[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t l = strlen(t->cells[r * (size_t)t->ncols + (size_t)c]);
            if (l > w[c])
                w[c] = l;
        }
    }
    for (size_t r = 0; r <= t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const char *s = r == 0 ? t->heads[c] : t->cells[(r - 1) * (size_t)t->ncols + (size_t)c];
            if (c == t->ncols - 1)
                fprintf(f, "%s\n", s);
            else
                fprintf(f, "%-*s  ", (int)w[c], s);
        }
    }
}

void krt_table_free(struct krt_table *t)
{
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    *t = (struct krt_table){0};
}

void krt_table_offset(char *buf, size_t size, long long v)
{
    if (v < 0)
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%lld", v);
}
