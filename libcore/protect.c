/* protect.c - see protect.h */
#define _POSIX_C_SOURCE 200809L
#include "protect.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "jread.h"

int krt_protect_load(const char *path, struct krt_protect *p, struct krt_error *err)
{
    char *text;
    size_t len;
    if (krt_file_read(path, 0, &text, &len, err)) {
        krt_error_prefix(err, "protect file");
        return -1;
    }
    int rc = 0;
    for (char *s = text, *next; s && !rc; s = next) {
        next = strchr(s, '\n');
        if (next)
            *next++ = '\0';
        while (isspace((unsigned char)*s))
            s++;
        char *e = s + strlen(s);
        while (e > s && isspace((unsigned char)e[-1]))
            *--e = '\0';
        if (!*s || *s == '#')
            continue;
        char **v = realloc(p->v, sizeof(*v) * (size_t)(p->n + 1));
        if (v)
            p->v = v;
        if (!v || !(v[p->n] = strdup(s)))
            rc = krt_error_set(err, KRT_ERR_INTERNAL, "out of memory");
        else
            p->n++;
    }
    free(text);
    return rc;
}

const char *krt_protect_match(const struct krt_protect *p, const char *topic)
{
    for (int i = 0; p && i < p->n; i++) {
        size_t l = strlen(p->v[i]);
        if (l && p->v[i][l - 1] == '*' ? !strncmp(topic, p->v[i], l - 1) : !strcmp(topic, p->v[i]))
            return p->v[i];
    }
    return NULL;
}

void krt_protect_free(struct krt_protect *p)
{
    for (int i = 0; i < p->n; i++)
        free(p->v[i]);
    free(p->v);
    *p = (struct krt_protect){0};
}
