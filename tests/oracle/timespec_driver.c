/* timespec_driver: krt's verdict on each line of an oracle corpus
 * (tests/oracle/gen_corpus.py), in the format of TimeOracle.java: one line
 * per input line, "ok:<ms>" or "reject". */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timespec.h"

int main(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        char *zone = strchr(line, '\t');
        char *text = zone ? strchr(zone + 1, '\t') : NULL;
        if (!text) {
            fprintf(stderr, "timespec_driver: malformed corpus line '%s'\n", line);
            free(line);
            return 2;
        }
        *zone++ = '\0';
        *text++ = '\0';
        int64_t ms = 0;
        struct krt_error err;
        int rc;
        if (!strcmp(line, "dur"))
            rc = krt_duration_parse(text, &ms, &err);
        else
            rc = krt_time_parse(text, strcmp(zone, "-") ? zone : NULL, &ms, &err);
        if (rc)
            puts("reject");
        else
            printf("ok:%lld\n", (long long)ms);
    }
    free(line);
    return 0;
}
