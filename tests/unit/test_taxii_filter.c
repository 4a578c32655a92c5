/* test_taxii_filter.c - TAXII 2.1 query parameters (T§3.4.1): parsing into a store_query, every
 * 400 case, and the query hash that binds paging cursors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "taxii/filter.h"

#define ID1 "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
#define ID2 "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"

static int parse(taxii_endpoint ep, const taxii_param *p, size_t n, taxii_filter *f, enlace_err *err) {
    return taxii_filter_parse(ep, p, n, 1000, 10000, f, err);
}

/* Expect a 400 whose message names the parameter. */
static void expect_bad(taxii_endpoint ep, const char *key, const char *value, const char *name) {
    taxii_param p[1] = {{key, value}};
    taxii_filter f;
    enlace_err err;
    enlace_err_clear(&err);
    assert_int_equal(parse(ep, p, 1, &f, &err), ENLACE_EINVAL);
    if (!strstr(err.msg, name)) fail_msg("message '%s' does not name '%s'", err.msg, name);
}

static void defaults(void **state) {
    (void)state;
    taxii_filter f;
    store_query q;
    assert_int_equal(parse(TAXII_EP_OBJECTS, NULL, 0, &f, NULL), 0);
    assert_int_equal(f.added_after, -1);
    assert_int_equal(f.limit, 1000);
    assert_null(f.next);
    taxii_filter_to_query(&f, 42, NULL, &q);
    assert_int_equal(q.coll_rowid, 42);
    assert_int_equal(q.after_us, -1);
    assert_int_equal(q.version_flags, 0); /* store default: latest version */
    assert_int_equal(q.n_ids + q.n_types + q.n_spec + q.n_version_keys, 0);
    assert_int_equal(q.limit, 1000);
    taxii_filter_free(&f);
    /* Default limit above the maximum is capped too. */
    assert_int_equal(taxii_filter_parse(TAXII_EP_OBJECTS, NULL, 0, 50000, 10000, &f, NULL), 0);
    assert_int_equal(f.limit, 10000);
    taxii_filter_free(&f);
}

static void full_parse(void **state) {
    (void)state;
    taxii_param p[] = {
        {"added_after", "2026-01-02T03:04:05.123456Z"},
        {"limit", "25"},
        {"match[id]", ID1 "," ID2},
        {"match[type]", "indicator,malware"},
        {"match[version]", "first,2016-01-01T00:00:00.500Z,last"},
        {"match[spec_version]", "2.0,2.1"},
        {"unknown", "whatever"},
        {"next", "abc"},
    };
    taxii_filter f;
    store_query q;
    assert_int_equal(parse(TAXII_EP_MANIFEST, p, sizeof p / sizeof p[0], &f, NULL), 0);
    assert_int_equal(f.added_after, 1767323045123456LL);
    assert_int_equal(f.limit, 25);
    assert_string_equal(f.next, "abc");
    taxii_filter_to_query(&f, 3, NULL, &q);
    assert_int_equal(q.n_ids, 2);
    assert_string_equal(q.ids[0], ID1);
    assert_string_equal(q.ids[1], ID2);
    assert_int_equal(q.n_types, 2);
    assert_string_equal(q.types[1], "malware");
    assert_int_equal(q.version_flags, STORE_V_FIRST | STORE_V_LAST);
    assert_int_equal(q.n_version_keys, 1);
    assert_string_equal(q.version_keys[0], "2016-01-01T00:00:00.5"); /* normalized instant */
    assert_int_equal(q.n_spec, 2);
    assert_string_equal(q.spec_versions[0], "2.0");
    assert_int_equal(q.limit, 25);
    taxii_filter_free(&f);
}

static void limit_rules(void **state) {
    (void)state;
    taxii_param p[1] = {{"limit", "99999999999999999999999"}};
    taxii_filter f;
    assert_int_equal(parse(TAXII_EP_OBJECTS, p, 1, &f, NULL), 0);
    assert_int_equal(f.limit, 10000); /* capped, not an error */
    taxii_filter_free(&f);
    p[0].value = "1";
    assert_int_equal(parse(TAXII_EP_OBJECTS, p, 1, &f, NULL), 0);
    assert_int_equal(f.limit, 1);
    taxii_filter_free(&f);
    expect_bad(TAXII_EP_OBJECTS, "limit", "0", "limit");
    expect_bad(TAXII_EP_OBJECTS, "limit", "-1", "limit");
    expect_bad(TAXII_EP_OBJECTS, "limit", "10x", "limit");
    expect_bad(TAXII_EP_OBJECTS, "limit", "1.5", "limit");
    expect_bad(TAXII_EP_OBJECTS, "limit", " 5", "limit");
    expect_bad(TAXII_EP_OBJECTS, "limit", "", "limit");
    expect_bad(TAXII_EP_OBJECTS, "limit", NULL, "limit");
}

static void bad_values(void **state) {
    (void)state;
    expect_bad(TAXII_EP_OBJECTS, "added_after", "yesterday", "added_after");
    expect_bad(TAXII_EP_OBJECTS, "added_after", "2026-01-02T03:04:05+01:00", "added_after");
    expect_bad(TAXII_EP_OBJECTS, "added_after", "2026-02-30T00:00:00Z", "added_after");
    expect_bad(TAXII_EP_MANIFEST, "match[id]", "indicator--nope", "match[id]");
    expect_bad(TAXII_EP_MANIFEST, "match[id]", ID1 ",", "match[id]");
    expect_bad(TAXII_EP_MANIFEST, "match[id]", ID1 ", " ID2, "match[id]"); /* no spaces allowed */
    expect_bad(TAXII_EP_MANIFEST, "match[type]", "Indicator", "match[type]");
    expect_bad(TAXII_EP_MANIFEST, "match[type]", "indicator,,malware", "match[type]");
    expect_bad(TAXII_EP_OBJECTS, "match[version]", "newest", "match[version]");
    expect_bad(TAXII_EP_OBJECTS, "match[version]", "all,last", "match[version]");
    expect_bad(TAXII_EP_OBJECTS, "match[version]", "first,first", "match[version]");
    expect_bad(TAXII_EP_OBJECTS, "match[version]", "2016-01-01T00:00:00.5Z,2016-01-01T00:00:00.500Z",
               "match[version]");
    expect_bad(TAXII_EP_OBJECT, "match[version]", "2016-01-01", "match[version]");
    expect_bad(TAXII_EP_DELETE, "match[version]", "all,first", "match[version]");
    expect_bad(TAXII_EP_OBJECTS, "match[spec_version]", "2.1,2.1", "match[spec_version]");
    expect_bad(TAXII_EP_OBJECTS, "match[spec_version]", "two", "match[spec_version]");
    expect_bad(TAXII_EP_OBJECTS, "match[spec_version]", "2.", "match[spec_version]");
    expect_bad(TAXII_EP_OBJECTS, "next", "", "next");
}

static void repeats_are_400(void **state) {
    (void)state;
    const char *names[] = {"added_after", "limit", "next", "match[id]", "match[type]", "match[version]",
                           "match[spec_version]"};
    const char *values[] = {"2026-01-02T03:04:05Z", "5", "abc", ID1, "indicator", "last", "2.1"};
    for (size_t i = 0; i < 7; i++) {
        taxii_param p[2] = {{names[i], values[i]}, {names[i], values[i]}};
        taxii_filter f;
        enlace_err err;
        assert_int_equal(parse(TAXII_EP_OBJECTS, p, 2, &f, &err), ENLACE_EINVAL);
        assert_non_null(strstr(err.msg, names[i]));
    }
}

static void endpoint_sets(void **state) {
    (void)state;
    taxii_filter f;
    /* Parameters an endpoint does not define are ignored, even when malformed. */
    taxii_param p[] = {{"match[id]", "junk"}, {"match[type]", "BAD"}, {"match[version]", "first"}};
    assert_int_equal(parse(TAXII_EP_VERSIONS, p, 3, &f, NULL), 0);
    assert_int_equal(f.version_flags, STORE_V_ALL); /* T§5.8: versions lists every version */
    assert_int_equal(f.n_ids + f.n_types, 0);
    taxii_filter_free(&f);
    assert_int_equal(parse(TAXII_EP_OBJECT, p, 2, &f, NULL), 0);
    taxii_filter_free(&f);
    /* DELETE defaults to every version (T§5.7) and ignores paging parameters. */
    taxii_param d[] = {{"limit", "zero"}, {"added_after", "x"}};
    assert_int_equal(parse(TAXII_EP_DELETE, d, 2, &f, NULL), 0);
    assert_int_equal(f.version_flags, STORE_V_ALL);
    taxii_filter_free(&f);
    taxii_param d2[] = {{"match[version]", "last"}};
    assert_int_equal(parse(TAXII_EP_DELETE, d2, 1, &f, NULL), 0);
    assert_int_equal(f.version_flags, STORE_V_LAST);
    taxii_filter_free(&f);
}

static void query_hash(void **state) {
    (void)state;
    unsigned char h1[32], h2[32];
    taxii_filter f;
    taxii_param a[] = {{"match[type]", "indicator"}, {"limit", "5"}, {"next", "x"}};
    taxii_param b[] = {{"match[type]", "indicator"}, {"limit", "7"}};
    taxii_param c[] = {{"match[type]", "malware"}};
    assert_int_equal(parse(TAXII_EP_OBJECTS, a, 3, &f, NULL), 0);
    taxii_filter_hash(&f, TAXII_EP_OBJECTS, "coll-a", NULL, h1);
    taxii_filter_free(&f);
    assert_int_equal(parse(TAXII_EP_OBJECTS, b, 2, &f, NULL), 0);
    taxii_filter_hash(&f, TAXII_EP_OBJECTS, "coll-a", NULL, h2);
    assert_memory_equal(h1, h2, 32); /* limit and next don't count */
    taxii_filter_hash(&f, TAXII_EP_OBJECTS, "coll-b", NULL, h2);
    assert_memory_not_equal(h1, h2, 32);
    taxii_filter_hash(&f, TAXII_EP_MANIFEST, "coll-a", NULL, h2);
    assert_memory_not_equal(h1, h2, 32);
    taxii_filter_hash(&f, TAXII_EP_OBJECTS, "coll-a", ID1, h2);
    assert_memory_not_equal(h1, h2, 32);
    taxii_filter_free(&f);
    assert_int_equal(parse(TAXII_EP_OBJECTS, c, 1, &f, NULL), 0);
    taxii_filter_hash(&f, TAXII_EP_OBJECTS, "coll-a", NULL, h2);
    assert_memory_not_equal(h1, h2, 32);
    taxii_filter_free(&f);
}

int main(void) {
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),      cmocka_unit_test(full_parse),   cmocka_unit_test(limit_rules),
        cmocka_unit_test(bad_values),    cmocka_unit_test(repeats_are_400), cmocka_unit_test(endpoint_sets),
        cmocka_unit_test(query_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
