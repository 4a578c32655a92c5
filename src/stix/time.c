/* time.c - STIX (S§3.2) and TAXII (T§2) timestamps: strict RFC 3339 UTC parsing, normalized
 * instant keys, and microsecond conversion with our own calendar arithmetic (no timegm, no
 * locale, no time zone database: the result must not depend on the host). */
#include "stix/time.h"

#include <string.h>

/* Fraction digits we accept in a STIX timestamp; STIX_TIME_KEY_MAX is sized for this. */
#define STIX_FRAC_MAX 32

/* The fields of "YYYY-MM-DDTHH:MM:SS[.f+]" after a successful parse. The fraction is kept as a
 * pointer into the text because it may be longer than any integer type. */
typedef struct rfc3339 {
    int year, month, day, hour, minute, second;
    const char *frac;   /* first fraction digit, or NULL */
    size_t frac_len;    /* number of fraction digits */
    size_t len;         /* bytes consumed, excluding any 'Z' */
} rfc3339;

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* Read exactly n digits at s (which has at least n bytes) into *v. */
static int read_digits(const char *s, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return -1;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 0;
}

static int is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return (m == 2 && is_leap(y)) ? 29 : d[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (the well-known days-from-civil
 * algorithm: shift the year to start in March so the leap day is the last day of the year). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Inverse of days_from_civil. */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

/* Parse "YYYY-MM-DDTHH:MM:SS[.f+]" at the start of s (n bytes) with range checks. The caller
 * decides what may follow (a 'Z', or nothing for a key). Returns 0 or -1. */
static int parse_fields(const char *s, size_t n, rfc3339 *t)
{
    if (n < 19)
        return -1;
    if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return -1;
    if (read_digits(s, 4, &t->year) || read_digits(s + 5, 2, &t->month) ||
        read_digits(s + 8, 2, &t->day) || read_digits(s + 11, 2, &t->hour) ||
        read_digits(s + 14, 2, &t->minute) || read_digits(s + 17, 2, &t->second))
        return -1;
    if (t->month < 1 || t->month > 12 || t->day < 1 || t->day > days_in_month(t->year, t->month))
        return -1;
    if (t->hour > 23 || t->minute > 59 || t->second > 60)
        return -1;
    /* RFC 3339 §5.7: a leap second can only be the last second of a UTC day. */
    if (t->second == 60 && (t->hour != 23 || t->minute != 59))
        return -1;
    t->frac = NULL;
    t->frac_len = 0;
    size_t i = 19;
    if (i < n && s[i] == '.') {
        i++;
        size_t start = i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == start)
            return -1; /* S§3.2: no digits means no decimal point */
        t->frac = s + start;
        t->frac_len = i - start;
    }
    t->len = i;
    return 0;
}

/* Microseconds since the epoch of parsed fields, truncating fraction digits beyond six.
 * A leap second counts as the first instant of the next day, which keeps the order. */
static int64_t fields_to_us(const rfc3339 *t)
{
    int64_t days = days_from_civil(t->year, t->month, t->day);
    int64_t secs = days * 86400 + t->hour * 3600 + t->minute * 60 + t->second;
    int64_t us = 0;
    for (size_t i = 0; i < 6; i++)
        us = us * 10 + (i < t->frac_len ? t->frac[i] - '0' : 0);
    return secs * 1000000 + us;
}

int stix_time_parse(const char *s, size_t s_len, char *key, int *frac_digits)
{
    rfc3339 t;
    if (s == NULL || parse_fields(s, s_len, &t) != 0)
        return -1;
    /* Exactly one upper-case 'Z' must end the text: no offsets, no lower-case 'z' (S§3.2). */
    if (t.len + 1 != s_len || s[t.len] != 'Z')
        return -1;
    if (t.frac_len > STIX_FRAC_MAX)
        return -1;
    if (key != NULL) {
        size_t keep = t.len;
        if (t.frac_len > 0) {
            size_t f = t.frac_len;
            while (f > 0 && t.frac[f - 1] == '0')
                f--;
            keep = f > 0 ? 20 + f : 19; /* drop a bare '.' too */
        }
        memcpy(key, s, keep);
        key[keep] = '\0';
    }
    if (frac_digits != NULL)
        *frac_digits = (int)t.frac_len;
    return 0;
}

int stix_time_to_us(const char *s, int64_t *us)
{
    rfc3339 t;
    if (s == NULL || us == NULL)
        return -1;
    size_t n = strlen(s);
    if (parse_fields(s, n, &t) != 0)
        return -1;
    /* A key ends after the fraction; a timestamp has one more byte, the 'Z'. */
    if (!(t.len == n || (t.len + 1 == n && s[t.len] == 'Z')))
        return -1;
    *us = fields_to_us(&t);
    return 0;
}

void taxii_time_format(int64_t us, char out[TAXII_TIME_LEN])
{
    /* Floor division so instants before 1970 still print a non-negative fraction. */
    int64_t secs = us / 1000000, frac = us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        secs -= 1;
    }
    int64_t days = secs / 86400, sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        days -= 1;
    }
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    if (y < 1)
        y = 1, m = 1, d = 1, sod = 0, frac = 0; /* outside the contract: clamp, never overflow */
    if (y > 9999)
        y = 9999, m = 12, d = 31, sod = 86399, frac = 999999;
    int hh = (int)(sod / 3600), mm = (int)(sod / 60 % 60), ss = (int)(sod % 60);
    /* Fixed-width formatting by hand: every field is in range, so exactly 27 bytes. */
    char *p = out;
    int f = (int)frac;
    p[0] = (char)('0' + y / 1000); p[1] = (char)('0' + y / 100 % 10);
    p[2] = (char)('0' + y / 10 % 10); p[3] = (char)('0' + y % 10); p[4] = '-';
    p[5] = (char)('0' + m / 10); p[6] = (char)('0' + m % 10); p[7] = '-';
    p[8] = (char)('0' + d / 10); p[9] = (char)('0' + d % 10); p[10] = 'T';
    p[11] = (char)('0' + hh / 10); p[12] = (char)('0' + hh % 10); p[13] = ':';
    p[14] = (char)('0' + mm / 10); p[15] = (char)('0' + mm % 10); p[16] = ':';
    p[17] = (char)('0' + ss / 10); p[18] = (char)('0' + ss % 10); p[19] = '.';
    for (int i = 25; i >= 20; i--) {
        p[i] = (char)('0' + f % 10);
        f /= 10;
    }
    p[26] = 'Z';
    p[27] = '\0';
}

int taxii_time_parse(const char *s, int64_t *us)
{
    rfc3339 t;
    if (s == NULL || us == NULL)
        return -1;
    size_t n = strlen(s);
    if (parse_fields(s, n, &t) != 0)
        return -1;
    if (t.len + 1 != n || s[t.len] != 'Z')
        return -1;
    /* Truncating the fraction is flooring for non-negative fractions: a value between two
     * microseconds maps to the earlier one, so "date_added > value" still holds for the later. */
    *us = fields_to_us(&t);
    return 0;
}
