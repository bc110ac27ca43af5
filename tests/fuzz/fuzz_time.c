/* fuzz_time: date-times, durations and timeouts (libcore/timespec.c), with
 * the properties they promise: an accepted time is after the epoch and
 * formats back to a string that parses to the same instant; a duration
 * parses the same whatever the case of its letters (but 't'). */
#include "fuzz_input.h"

#include <ctype.h>

#include "timespec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_string(data, size);
    struct krt_error err;
    int64_t ms, again;
    /* the first byte picks the --timezone, if any */
    const char *tz = size && (data[0] & 1) ? (data[0] & 2 ? "Europe/Paris" : "UTC") : NULL;
    if (!krt_time_parse(s, tz, &ms, &err)) {
        if (ms < 0)
            abort();
        char buf[64];
        krt_time_format(ms, buf, sizeof(buf));
        /* the format prints 4-digit years: check the round trip there */
        if (ms < INT64_C(253402300800000) &&
            (krt_time_parse(buf, NULL, &again, &err) || again != ms))
            abort();
    }
    if (!krt_duration_parse(s, &ms, &err)) {
        /* but a lower-case 't' with no time after it, which
         * Duration.parse() takes and an upper-case one it refuses
         * (regressions/time/P1Dt-lowercase-t) */
        for (char *p = s; *p; p++)
            if (*p != 't')
                *p = (char)toupper((unsigned char)*p);
        if (krt_duration_parse(s, &again, &err) || again != ms)
            abort();
        (void)krt_time_ago(s, ms, &again, &err);
    }
    int t;
    (void)krt_timeout_parse(s, "--timeout", 1, 86400000, &t, &err);
    free(s);
    return 0;
}
