/* fuzz_input.h - what every libFuzzer target of krt shares: the input as a
 * NUL-terminated string, or written to a file for the readers that take a
 * path (so that they are fuzzed through their public functions, whatever
 * their insides become). */
#ifndef KRT_FUZZ_INPUT_H
#define KRT_FUZZ_INPUT_H

#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A copy of the input with a NUL at the end (free() it). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* Write the input to this process's own file and return its path. */
static inline const char *fuzz_file(const uint8_t *data, size_t size, const char *suffix)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/krt-fuzz-%ld%s",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid(), suffix);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f))
        abort();
    return path;
}

#endif
