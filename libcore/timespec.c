/* timespec.c - see timespec.h */
#define _DEFAULT_SOURCE
#include "timespec.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Read exactly n ASCII digits. */
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

static int64_t days_from_civil(int64_t y, int m, int d)
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

static int days_in_month(int64_t y, int m)
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

/* The UTC offset in seconds of the zone in TZ (already set) at instant t. */
static int offset_at(int64_t t, long *off)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!localtime_r(&tt, &tm))
        return -1;
    *off = tm.tm_gmtoff;
    return 0;
}

/* Local civil time @p local (seconds, counted as if it were UTC) in zone
 * @p tz to an instant, as java.time's LocalDateTime.atZone() does: in an
 * overlap (clocks set back) the earlier instant, in a gap (clocks set
 * forward) the local time moved later by the length of the gap. Transitions
 * are looked for within a day either side. */
static int local_to_utc(const char *tz, int64_t local, int64_t *epoch_s)
{
    char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    setenv("TZ", tz, 1);
    tzset();
    long before, after, ob = 0, oa = 0;
    int rc = offset_at(local - 86400, &before) || offset_at(local + 86400, &after) ||
                     offset_at(local - before, &ob) || offset_at(local - after, &oa)
                 ? -1
                 : 0;
    if (old) {
        setenv("TZ", old, 1);
        free(old);
    } else {
        unsetenv("TZ");
    }
    tzset();
    if (rc)
        return -1;
    int valid_before = ob == before, valid_after = oa == after;
    if (valid_before && valid_after)
        *epoch_s = local - (before > after ? before : after);
    else if (valid_after)
        *epoch_s = local - after;
    else
        *epoch_s = local - before; /* valid before, or a gap */
    return 0;
}

/* The year as java.time's ISO_LOCAL_DATE reads it: four digits, or a sign
 * and four to ten digits (a '+' only for more than four). */
static int parse_year(const char **p, int64_t *year)
{
    int sign = 0;
    if (**p == '+' || **p == '-')
        sign = *(*p)++ == '-' ? -1 : 1;
    int n = 0;
    int64_t y = 0;
    while (isdigit((unsigned char)(*p)[n]) && n < 10)
        y = y * 10 + ((*p)[n++] - '0');
    if (n < 4 || (sign == 0 && n != 4) || (sign == 1 && n == 4) || y > 999999999)
        return -1;
    *p += n;
    *year = sign < 0 ? -y : y;
    return 0;
}

/* A zone offset as java.time's appendOffsetId() reads it: ±HH[:MM[:SS]],
 * at most 18 hours. */
static int parse_offset(const char **p, long *off)
{
    int sign = *(*p)++ == '-' ? -1 : 1, h, m = 0, s = 0;
    if (digits(p, 2, &h))
        return -1;
    if (**p == ':') {
        (*p)++;
        if (digits(p, 2, &m))
            return -1;
        if (**p == ':') {
            (*p)++;
            if (digits(p, 2, &s))
                return -1;
        }
    }
    long total = h * 3600L + m * 60L + s;
    if (h > 18 || m > 59 || s > 59 || total > 18 * 3600L)
        return -1;
    *off = sign * total;
    return 0;
}

int krt_time_parse(const char *s, const char *default_tz, int64_t *ms, struct krt_error *err)
{
    const char *p = s;
    int64_t y;
    int mo, d, h, mi, sec = 0, frac = 0;
    if (!s || !*s)
        return krt_error_set(err, KRT_ERR_INPUT, "empty date-time");
#define BAD(why)                                                                               \
    krt_error_set(err, KRT_ERR_INPUT,                                                          \
                  "malformed date-time '%s': %s (expected e.g. 2024-05-01T13:00:00Z)", s, why)
    if (parse_year(&p, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
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
        if (*p == '.') {
            p++;
            int nd = 0;
            while (isdigit((unsigned char)*p)) {
                if (nd < 3)
                    frac = frac * 10 + (*p - '0');
                nd++;
                p++;
            }
            if (nd > 9)
                return BAD("a fraction of a second has at most 9 digits");
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
        long off;
        if (parse_offset(&p, &off))
            return BAD("bad zone offset (expected Z or +HH:MM, at most 18 hours)");
        base -= off;
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
            /* zone rules that far out are guesses (glibc and the JDK differ) */
            if (y > 9999)
                return BAD("a time read in a --timezone must be before the year 10000");
            if (local_to_utc(default_tz, base, &t))
                return BAD("cannot convert to UTC");
            base = t;
        }
    } else {
        return BAD("unexpected text after the time");
    }
    if (*p)
        return BAD("unexpected text after the zone");
#undef BAD
    /* Kafka reads a negative time as a special value (-1 latest, -2
     * earliest): a time before the epoch is bad input, never passed on. */
    if (base < 0)
        return krt_error_set(err, KRT_ERR_INPUT,
                             "date-time '%s' is before 1970-01-01T00:00:00Z: Kafka has no "
                             "records then",
                             s);
    int64_t r;
    if (__builtin_mul_overflow(base, 1000, &r) || __builtin_add_overflow(r, frac, &r))
        return krt_error_set(err, KRT_ERR_INPUT, "date-time '%s' is too far in the future", s);
    *ms = r;
    return 0;
}

/* One [-+]digits amount of a duration. Sets *overflow when it does not fit
 * in int64 (java.lang.Long.parseLong refuses it). */
static int duration_number(const char **p, int64_t *out, int *overflow)
{
    int neg = 0;
    if (**p == '-' || **p == '+')
        neg = *(*p)++ == '-';
    if (!isdigit((unsigned char)**p))
        return -1;
    uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; isdigit((unsigned char)**p); (*p)++) {
        unsigned dg = (unsigned)(**p - '0');
        if (v > (limit - dg) / 10)
            *overflow = 1;
        else
            v = v * 10 + dg;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

int krt_duration_parse(const char *s, int64_t *ms, struct krt_error *err)
{
    const char *p = s;
#define BAD(why)                                                                               \
    krt_error_set(err, KRT_ERR_INPUT,                                                          \
                  "malformed duration '%s': %s (expected e.g. PT2H30M or P1DT12H)", s, why)
    if (!s || !*s)
        return BAD("empty");
    int negate = 0;
    if (*p == '-' || *p == '+')
        negate = *p++ == '-';
    if (*p != 'P' && *p != 'p')
        return BAD("must start with P");
    p++;
    /* Seconds per unit D, H, M, S, as java.time.Duration.parse() reads
     * [-+]P[nD][T[nH][nM][n[.f]S]] (any letter case), each amount signed. */
    static const char units[] = "DHMS";
    static const int64_t unit_s[] = {86400, 3600, 60, 1};
    int64_t amount_s[4] = {0, 0, 0, 0};
    int64_t nanos = 0;
    int next = 0, in_time = 0, any = 0, any_time = 0, overflow = 0, upper_t = 0;
    while (*p) {
        if ((*p == 'T' || *p == 't') && !in_time) {
            in_time = 1;
            upper_t = *p == 'T';
            next = next < 1 ? 1 : next;
            p++;
            continue;
        }
        const char *num = p;
        int64_t v;
        if (duration_number(&p, &v, &overflow))
            return BAD("expected a number");
        int frac_digits = -1;
        int64_t f = 0;
        if (*p == '.' || *p == ',') {
            p++;
            frac_digits = 0;
            while (isdigit((unsigned char)*p) && frac_digits < 9) {
                f = f * 10 + (*p++ - '0');
                frac_digits++;
            }
            for (int i = frac_digits; i < 9; i++)
                f *= 10;
        }
        const char *u = *p ? strchr(units, toupper((unsigned char)*p)) : NULL;
        if (!u)
            return BAD(frac_digits >= 0 ? "a fraction has at most 9 digits and only seconds "
                                          "have one"
                                        : "unit must be D, H, M or S");
        int k = (int)(u - units);
        if (frac_digits >= 0 && k != 3)
            return BAD("only seconds may have a fraction");
        if ((k == 0) == in_time)
            return BAD(k == 0 ? "days come before T" : "hours, minutes and seconds come after T");
        if (k < next)
            return BAD("units out of order or repeated");
        next = k + 1;
        p++;
        if (__builtin_mul_overflow(v, unit_s[k], &amount_s[k]))
            overflow = 1;
        if (k == 3)
            nanos = *num == '-' ? -f : f;
        any = 1;
        any_time |= in_time;
    }
    if (!any)
        return BAD("no amount");
    /* Duration.parse() refuses an empty time section only when its letter
     * is an upper-case 'T' ("P1DT"), and takes "P1Dt" as "P1D": so do we. */
    if (upper_t && !any_time)
        return BAD("T with no time after it");
#undef BAD
    /* The seconds summed as Duration.parse() sums them (minutes + seconds,
     * then hours, then days), each step checked: java.time refuses what
     * does not fit in a long. */
    int64_t total = 0;
    for (int k = 3; k >= 0 && !overflow; k--)
        overflow = __builtin_add_overflow(total, amount_s[k], &total);
    __int128 n = (__int128)total * 1000000000 + nanos;
    if (negate)
        n = -n;
    __int128 r = n / 1000000; /* toward zero, as Duration.toMillis() */
    if (overflow || r > INT64_MAX || r < INT64_MIN)
        return krt_error_set(err, KRT_ERR_INPUT,
                             "duration '%s' is too large (at most about 292 million years)", s);
    *ms = (int64_t)r;
    return 0;
}

int krt_time_ago(const char *text, int64_t duration_ms, int64_t *ms, struct krt_error *err)
{
    int64_t r;
    if (__builtin_sub_overflow(krt_now_ms(), duration_ms, &r) || r < 0)
        return krt_error_set(err, KRT_ERR_INPUT,
                             "duration '%s' reaches before 1970-01-01T00:00:00Z: Kafka has no "
                             "records then",
                             text);
    *ms = r;
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

/* A timeout is a decimal number with an optional unit: digits, at most one
 * fraction, nothing else (no sign, exponent, hex, inf or nan, which strtod
 * would all take). */
static bool timeout_syntax(const char *s, const char **unit)
{
    const char *p = s;
    size_t whole = strspn(p, "0123456789");
    p += whole;
    if (*p == '.') {
        size_t frac = strspn(p + 1, "0123456789");
        if (!frac)
            return false;
        p += 1 + frac;
    }
    if (!whole)
        return false;
    *unit = p;
    return !*p || !strcmp(p, "ms") || !strcmp(p, "s") || !strcmp(p, "m") || !strcmp(p, "h");
}

/* A bound in the largest unit that states it exactly: 10ms, 5m, 24h. */
static void bound_format(int ms, char *buf, size_t size)
{
    if (ms >= 3600000 && ms % 3600000 == 0)
        snprintf(buf, size, "%dh", ms / 3600000);
    else if (ms >= 60000 && ms % 60000 == 0)
        snprintf(buf, size, "%dm", ms / 60000);
    else if (ms >= 1000 && ms % 1000 == 0)
        snprintf(buf, size, "%ds", ms / 1000);
    else
        snprintf(buf, size, "%dms", ms);
}

int krt_timeout_parse(const char *s, const char *what, int min_ms, int max_ms, int *ms,
                      struct krt_error *err)
{
    const char *unit;
    if (!s || !timeout_syntax(s, &unit))
        return krt_error_set(err, KRT_ERR_USAGE,
                             "malformed %s '%s' (a number with ms, s, m or h: 500ms, 10s, 2m)",
                             what, s ? s : "");
    double mult = !*unit || !strcmp(unit, "ms") ? 1
                  : !strcmp(unit, "s")           ? 1000
                  : !strcmp(unit, "m")           ? 60000
                                                 : 3600000;
    double v = strtod(s, NULL) * mult; /* the syntax is checked: no error, finite */
    if (!*unit && v < 100)
        return krt_error_set(err, KRT_ERR_USAGE,
                             "%s '%s' is in milliseconds and too short; did you mean %ss?", what,
                             s, s);
    if (v < min_ms || v > max_ms) {
        char lo[32], hi[32];
        bound_format(min_ms, lo, sizeof(lo));
        bound_format(max_ms, hi, sizeof(hi));
        return krt_error_set(err, KRT_ERR_USAGE, "%s '%s' is out of range: %s to %s", what, s,
                             lo, hi);
    }
    *ms = (int)v;
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
