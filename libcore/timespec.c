/* timespec.c - see timespec.h */
#define _DEFAULT_SOURCE
#include "timespec.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Read exactly n digits. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int64_t days_from_civil(int y, int m, int d)
{
    /* Howard Hinnant's algorithm: days since 1970-01-01 for a proleptic
     * Gregorian date, with no dependence on the process time zone. */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

static int zone_exists(const char *tz)
{
    if (!strcmp(tz, "UTC") || !strcmp(tz, "Z"))
        return 1;
    if (!*tz || strstr(tz, "..") || tz[0] == '/')
        return 0;
    const char *dirs[] = {"/usr/share/zoneinfo/", "/usr/lib/zoneinfo/"};
    char path[512];
    struct stat st;
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s%s", dirs[i], tz);
        if (!stat(path, &st) && S_ISREG(st.st_mode))
            return 1;
    }
    return 0;
}

/* Offset of local civil time in zone tz from UTC at the given civil time. */
static int local_to_utc(const char *tz, int y, int mo, int d, int h, int mi, int s,
                        int64_t *epoch_s)
{
    char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    setenv("TZ", tz, 1);
    tzset();
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                    .tm_hour = h, .tm_min = mi, .tm_sec = s, .tm_isdst = -1};
    time_t t = mktime(&tm);
    if (old) {
        setenv("TZ", old, 1);
        free(old);
    } else {
        unsetenv("TZ");
    }
    tzset();
    if (t == (time_t)-1 && !(y == 1969 && mo == 12 && d == 31))
        return -1;
    *epoch_s = (int64_t)t;
    return 0;
}

int krt_time_parse(const char *s, const char *default_tz, int64_t *ms, struct krt_error *err)
{
    const char *p = s;
    int y, mo, d, h, mi, sec = 0, frac = 0;
    if (!s || !*s)
        return krt_error_set(err, KRT_ERR_INPUT, "empty date-time");
#define BAD(why)                                                                               \
    krt_error_set(err, KRT_ERR_INPUT,                                                          \
                  "malformed date-time '%s': %s (expected e.g. 2024-05-01T13:00:00Z)", s, why)
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d))
        return BAD("bad date");
    if (*p != 'T' && *p != 't' && *p != ' ')
        return BAD("missing time");
    p++;
    if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
        return BAD("bad time");
    if (*p == ':') {
        p++;
        if (digits(&p, 2, &sec))
            return BAD("bad seconds");
        if (*p == '.' || *p == ',') {
            p++;
            int nd = 0;
            while (isdigit((unsigned char)*p)) {
                if (nd < 3)
                    frac = frac * 10 + (*p - '0');
                nd++;
                p++;
            }
            if (nd == 0)
                return BAD("bad fraction of a second");
            for (; nd < 3; nd++)
                frac *= 10;
        }
    }
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
        sec > 59)
        return BAD("field out of range");
    int64_t base = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om = 0;
        p++;
        if (digits(&p, 2, &oh))
            return BAD("bad zone offset");
        if (*p == ':')
            p++;
        if (isdigit((unsigned char)*p) && digits(&p, 2, &om))
            return BAD("bad zone offset");
        if (oh > 18 || om > 59)
            return BAD("zone offset out of range");
        base -= sign * (oh * 3600 + om * 60);
    } else if (*p == '\0') {
        if (!default_tz)
            return krt_error_set(err, KRT_ERR_INPUT,
                                 "date-time '%s' has no zone: add Z or an offset such as "
                                 "+02:00, or give --timezone",
                                 s);
        if (!zone_exists(default_tz))
            return krt_error_set(err, KRT_ERR_INPUT, "unknown time zone '%s'", default_tz);
        if (strcmp(default_tz, "UTC") && strcmp(default_tz, "Z")) {
            int64_t t;
            if (local_to_utc(default_tz, y, mo, d, h, mi, sec, &t))
                return BAD("cannot convert to UTC");
            base = t;
        }
    } else {
        return BAD("unexpected text after the time");
    }
    if (*p)
        return BAD("unexpected text after the zone");
#undef BAD
    *ms = base * 1000 + frac;
    return 0;
}

int krt_duration_parse(const char *s, int64_t *ms, struct krt_error *err)
{
    const char *p = s;
    int sign = 1;
#define BAD(why)                                                                               \
    krt_error_set(err, KRT_ERR_INPUT,                                                          \
                  "malformed duration '%s': %s (expected e.g. PT2H30M or P1DT12H)", s, why)
    if (!s || !*s)
        return BAD("empty");
    if (*p == '-' || *p == '+') {
        sign = *p == '-' ? -1 : 1;
        p++;
    }
    if (*p != 'P' && *p != 'p')
        return BAD("must start with P");
    p++;
    int64_t total = 0;
    int in_time = 0, any = 0;
    char last = 0;
    static const char order[] = "DHMS";
    while (*p) {
        if (*p == 'T' || *p == 't') {
            if (in_time)
                return BAD("second T");
            in_time = 1;
            p++;
            continue;
        }
        int neg = 0;
        if (*p == '-') {
            neg = 1;
            p++;
        }
        if (!isdigit((unsigned char)*p))
            return BAD("expected a number");
        int64_t v = 0;
        while (isdigit((unsigned char)*p)) {
            if (v > INT64_MAX / 100)
                return BAD("number too large");
            v = v * 10 + (*p++ - '0');
        }
        int64_t fr = 0;
        if (*p == '.' || *p == ',') {
            p++;
            int nd = 0;
            while (isdigit((unsigned char)*p)) {
                if (nd < 3)
                    fr = fr * 10 + (*p - '0');
                nd++;
                p++;
            }
            if (!nd)
                return BAD("bad fraction");
            for (; nd < 3; nd++)
                fr *= 10;
            if (toupper((unsigned char)*p) != 'S')
                return BAD("only seconds may have a fraction");
        }
        char u = (char)toupper((unsigned char)*p);
        if (!u || !strchr(order, u))
            return BAD("unit must be D, H, M or S");
        if ((u == 'D') == in_time)
            return BAD(u == 'D' ? "days come before T" : "hours, minutes and seconds come after T");
        if (last && strchr(order, u) <= strchr(order, last))
            return BAD("units out of order");
        last = u;
        p++;
        int64_t mult = u == 'D' ? 86400000 : u == 'H' ? 3600000 : u == 'M' ? 60000 : 1000;
        if (v > INT64_MAX / mult / 2)
            return BAD("too large");
        int64_t part = v * mult + fr;
        total += neg ? -part : part;
        any = 1;
    }
    if (!any)
        return BAD("no amount");
    if (in_time && (last == 0 || last == 'D'))
        return BAD("T with no time after it");
#undef BAD
    *ms = sign * total;
    return 0;
}

void krt_time_format(int64_t ms, char *buf, size_t size)
{
    int64_t s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    int frac = (int)(ms - s * 1000);
    time_t t = (time_t)s;
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

int krt_timeout_parse(const char *s, int *ms, struct krt_error *err)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0)
        return krt_error_set(err, KRT_ERR_USAGE, "malformed timeout '%s' (e.g. 10s, 500ms)", s);
    double mult;
    if (!*end || !strcmp(end, "ms"))
        mult = 1;
    else if (!strcmp(end, "s"))
        mult = 1000;
    else if (!strcmp(end, "m"))
        mult = 60000;
    else
        return krt_error_set(err, KRT_ERR_USAGE, "malformed timeout '%s' (e.g. 10s, 500ms)", s);
    double r = v * mult;
    if (r < 1 || r > 86400000.0)
        return krt_error_set(err, KRT_ERR_USAGE, "timeout '%s' out of range (1ms to 24h)", s);
    if (!*end && r < 100)
        return krt_error_set(err, KRT_ERR_USAGE,
                             "timeout '%s' is in milliseconds and too short; did you mean %ss?", s,
                             s);
    *ms = (int)r;
    return 0;
}

int64_t krt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void krt_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}
