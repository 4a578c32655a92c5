/* test_stix_time.c - STIX/TAXII timestamp parsing, normalized keys and µs conversion (S§3.2, T§2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stix/time.h"

static int parse(const char *s, char *key, int *fd) { return stix_time_parse(s, strlen(s), key, fd); }

static void test_key_normalization(void **state)
{
    (void)state;
    char k1[STIX_TIME_KEY_MAX], k2[STIX_TIME_KEY_MAX];
    int fd = -1;
    assert_int_equal(parse("2016-01-01T00:00:00.500Z", k1, &fd), 0);
    assert_int_equal(fd, 3);
    assert_int_equal(parse("2016-01-01T00:00:00.5Z", k2, &fd), 0);
    assert_int_equal(fd, 1);
    assert_string_equal(k1, "2016-01-01T00:00:00.5");
    assert_string_equal(k1, k2);
    /* zero fractions vanish with their '.', so all spellings of a whole second agree */
    assert_int_equal(parse("2016-01-01T00:00:00.000Z", k1, NULL), 0);
    assert_string_equal(k1, "2016-01-01T00:00:00");
    assert_int_equal(parse("2016-01-01T00:00:00Z", k2, &fd), 0);
    assert_int_equal(fd, 0);
    assert_string_equal(k1, k2);
    assert_int_equal(parse("2016-01-01T00:00:00.000000000000000000000000000000Z", k2, NULL), 0);
    assert_string_equal(k1, k2);
    /* different instants differ */
    assert_int_equal(parse("2016-01-01T00:00:00.0001Z", k2, NULL), 0);
    assert_string_equal(k2, "2016-01-01T00:00:00.0001");
}

static void test_fraction_digit_counts(void **state)
{
    (void)state;
    char k[STIX_TIME_KEY_MAX];
    int fd;
    assert_int_equal(parse("2020-06-15T12:34:56.1Z", k, &fd), 0);
    assert_int_equal(fd, 1);
    assert_int_equal(parse("2020-06-15T12:34:56.123456789Z", k, &fd), 0);
    assert_int_equal(fd, 9);
    assert_string_equal(k, "2020-06-15T12:34:56.123456789");
    assert_int_equal(parse("2020-06-15T12:34:56.12345678901234567890Z", k, &fd), 0);
    assert_int_equal(fd, 20);
    assert_string_equal(k, "2020-06-15T12:34:56.1234567890123456789");
    /* 32 digits is the documented maximum; the key buffer fits it */
    assert_int_equal(parse("2020-06-15T12:34:56.12345678901234567890123456789012Z", k, &fd), 0);
    assert_int_equal(fd, 32);
    assert_int_equal(strlen(k), 19 + 1 + 32);
    assert_int_equal(parse("2020-06-15T12:34:56.123456789012345678901234567890123Z", k, &fd), -1);
}

static void test_calendar_ranges(void **state)
{
    (void)state;
    assert_int_equal(parse("2016-02-29T00:00:00Z", NULL, NULL), 0);  /* leap year */
    assert_int_equal(parse("2000-02-29T00:00:00Z", NULL, NULL), 0);  /* divisible by 400 */
    assert_int_equal(parse("2015-02-29T00:00:00Z", NULL, NULL), -1);
    assert_int_equal(parse("1900-02-29T00:00:00Z", NULL, NULL), -1); /* divisible by 100 */
    assert_int_equal(parse("2016-02-30T00:00:00Z", NULL, NULL), -1);
    assert_int_equal(parse("2016-04-31T00:00:00Z", NULL, NULL), -1);
    assert_int_equal(parse("2016-12-31T00:00:00Z", NULL, NULL), 0);
    assert_int_equal(parse("2016-13-01T00:00:00Z", NULL, NULL), -1);
    assert_int_equal(parse("2016-00-01T00:00:00Z", NULL, NULL), -1);
    assert_int_equal(parse("2016-01-00T00:00:00Z", NULL, NULL), -1);
    assert_int_equal(parse("2016-01-01T24:00:00Z", NULL, NULL), -1);
    assert_int_equal(parse("2016-01-01T23:60:00Z", NULL, NULL), -1);
    /* leap second: only as the last second of a UTC day (RFC 3339 §5.7) */
    assert_int_equal(parse("2016-12-31T23:59:60Z", NULL, NULL), 0);
    assert_int_equal(parse("2016-12-31T23:59:60.5Z", NULL, NULL), 0);
    assert_int_equal(parse("2016-12-31T12:00:60Z", NULL, NULL), -1);
    assert_int_equal(parse("2016-12-31T23:59:61Z", NULL, NULL), -1);
}

static void test_refused_spellings(void **state)
{
    (void)state;
    const char *bad[] = {
        "2016-01-01T00:00:00+00:00", "2016-01-01T00:00:00.000+01:00", "2016-01-01T00:00:00-05:00",
        "2016-01-01T00:00:00.000z", "2016-01-01t00:00:00.000Z", "2016-01-01 00:00:00.000Z",
        "2016-01-01T00:00:00.000", "2016-01-01T00:00:00.Z", "2016-01-01T00:00Z", "16-01-01T00:00:00Z",
        "2016-1-01T00:00:00Z", "2016-01-01T00:00:00.000ZZ", "2016-01-01T00:00:00.000Z ",
        " 2016-01-01T00:00:00.000Z", "2016-01-01T00:00:00,000Z", "+2016-01-01T00:00:00Z", "", "Z",
        "2016-01-01T0a:00:00Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (parse(bad[i], NULL, NULL) != -1)
            fail_msg("accepted '%s'", bad[i]);
    }
    /* s_len is honoured: a valid prefix of a longer buffer, and a cut-short one */
    const char *buf = "2016-01-01T00:00:00.123Zgarbage";
    char k[STIX_TIME_KEY_MAX];
    assert_int_equal(stix_time_parse(buf, 24, k, NULL), 0);
    assert_string_equal(k, "2016-01-01T00:00:00.123");
    assert_int_equal(stix_time_parse(buf, 23, k, NULL), -1);
    assert_int_equal(stix_time_parse(buf, 25, k, NULL), -1);
    assert_int_equal(stix_time_parse(NULL, 0, k, NULL), -1);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void test_keys_sort_chronologically(void **state)
{
    (void)state;
    /* given in chronological order */
    const char *ts[] = {"1999-12-31T23:59:59.999999Z", "2000-01-01T00:00:00Z", "2000-01-01T00:00:00.0000001Z",
                        "2000-01-01T00:00:00.1Z", "2000-01-01T00:00:00.25Z", "2000-01-01T00:00:00.9Z",
                        "2000-01-01T00:00:01.000Z", "2016-12-31T23:59:59.5Z", "2016-12-31T23:59:60Z",
                        "2017-01-01T00:00:00.001Z"};
    enum { N = sizeof ts / sizeof ts[0] };
    char keys[N][STIX_TIME_KEY_MAX];
    char *sorted[N];
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(parse(ts[i], keys[N - 1 - i], NULL), 0);
        sorted[N - 1 - i] = keys[N - 1 - i];
    }
    qsort(sorted, N, sizeof sorted[0], cmp_str);
    for (size_t i = 0; i < N; i++) {
        char k[STIX_TIME_KEY_MAX];
        parse(ts[i], k, NULL);
        assert_string_equal(sorted[i], k);
    }
}

static void test_to_us(void **state)
{
    (void)state;
    int64_t us = -1;
    assert_int_equal(stix_time_to_us("1970-01-01T00:00:00Z", &us), 0);
    assert_int_equal(us, 0);
    assert_int_equal(stix_time_to_us("2016-01-01T00:00:00.123456789Z", &us), 0);
    assert_int_equal(us, INT64_C(1451606400123456)); /* finer digits truncated */
    assert_int_equal(stix_time_to_us("2016-01-01T00:00:00.123456789", &us), 0); /* a key */
    assert_int_equal(us, INT64_C(1451606400123456));
    assert_int_equal(stix_time_to_us("2016-01-01T00:00:00.5", &us), 0);
    assert_int_equal(us, INT64_C(1451606400500000));
    assert_int_equal(stix_time_to_us("1969-12-31T23:59:59.999999Z", &us), 0);
    assert_int_equal(us, -1);
    assert_int_equal(stix_time_to_us("2000-02-29T12:00:00Z", &us), 0);
    assert_int_equal(us, INT64_C(951825600000000));
    /* the leap second lands on the next day's first instant */
    int64_t next;
    assert_int_equal(stix_time_to_us("2016-12-31T23:59:60Z", &us), 0);
    assert_int_equal(stix_time_to_us("2017-01-01T00:00:00Z", &next), 0);
    assert_int_equal(us, next);
    assert_int_equal(stix_time_to_us("2016-01-01T00:00:00+01:00", &us), -1);
    assert_int_equal(stix_time_to_us("yesterday", &us), -1);
}

static void test_taxii_format(void **state)
{
    (void)state;
    char out[TAXII_TIME_LEN];
    taxii_time_format(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000000Z");
    taxii_time_format(INT64_C(1451606400123456), out);
    assert_string_equal(out, "2016-01-01T00:00:00.123456Z");
    taxii_time_format(-1, out);
    assert_string_equal(out, "1969-12-31T23:59:59.999999Z");
    taxii_time_format(INT64_C(951825600000001), out);
    assert_string_equal(out, "2000-02-29T12:00:00.000001Z");
    taxii_time_format(INT64_C(253402300799999999), out);
    assert_string_equal(out, "9999-12-31T23:59:59.999999Z");
    taxii_time_format(INT64_C(-62135596800000000), out);
    assert_string_equal(out, "0001-01-01T00:00:00.000000Z");
}

static void test_taxii_parse_floors(void **state)
{
    (void)state;
    int64_t us;
    assert_int_equal(taxii_time_parse("2016-01-01T00:00:00.1234569Z", &us), 0);
    assert_int_equal(us, INT64_C(1451606400123456));
    assert_int_equal(taxii_time_parse("2016-01-01T00:00:00.5Z", &us), 0);
    assert_int_equal(us, INT64_C(1451606400500000));
    assert_int_equal(taxii_time_parse("2016-01-01T00:00:00Z", &us), 0);
    assert_int_equal(us, INT64_C(1451606400000000));
    /* any number of digits for a query value, beyond STIX's 32 */
    assert_int_equal(taxii_time_parse("2016-01-01T00:00:00.0000009999999999999999999999999999999999Z", &us), 0);
    assert_int_equal(us, INT64_C(1451606400000000));
    assert_int_equal(taxii_time_parse("2016-01-01T00:00:00.000000", &us), -1);
    assert_int_equal(taxii_time_parse("2016-01-01T00:00:00.000000+00:00", &us), -1);
    assert_int_equal(taxii_time_parse("2016-01-01T00:00:00.000000z", &us), -1);
    assert_int_equal(taxii_time_parse("2016-02-30T00:00:00Z", &us), -1);
}

/* Every day from 1600 to 2400 (covering 1700/1800/1900/2100 non-leap centuries and 2000):
 * format -> parse -> same µs, and the date text is what days-from-civil says. */
static void test_round_trip_every_day(void **state)
{
    (void)state;
    char out[TAXII_TIME_LEN];
    int64_t start, end, us;
    assert_int_equal(taxii_time_parse("1600-01-01T00:00:00Z", &start), 0);
    assert_int_equal(taxii_time_parse("2400-12-31T00:00:00Z", &end), 0);
    int prev_day = -1;
    for (int64_t t = start + 7654321; t <= end; t += INT64_C(86400000000)) {
        taxii_time_format(t, out);
        assert_int_equal(strlen(out), TAXII_TIME_LEN - 1);
        assert_int_equal(taxii_time_parse(out, &us), 0);
        assert_int_equal(us, t);
        char key[STIX_TIME_KEY_MAX];
        assert_int_equal(stix_time_parse(out, strlen(out), key, NULL), 0);
        int day = atoi(out + 8);
        assert_true(day != prev_day);
        prev_day = day;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_normalization),
        cmocka_unit_test(test_fraction_digit_counts),
        cmocka_unit_test(test_calendar_ranges),
        cmocka_unit_test(test_refused_spellings),
        cmocka_unit_test(test_keys_sort_chronologically),
        cmocka_unit_test(test_to_us),
        cmocka_unit_test(test_taxii_format),
        cmocka_unit_test(test_taxii_parse_floors),
        cmocka_unit_test(test_round_trip_every_day),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
