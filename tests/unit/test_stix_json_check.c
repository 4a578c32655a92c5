/* test_stix_json_check.c - the strict I-JSON check run on every received body (RFC 8259, RFC 7493). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stix/json_check.h"

static int check(const char *s) { return stix_json_check(s, strlen(s), 64, NULL, NULL, 0); }

static void expect_invalid(const char *s, const char *reason_part) {
    char why[128] = "";
    size_t at = (size_t)-1;
    int rc = stix_json_check(s, strlen(s), 64, &at, why, sizeof why);
    if (rc != STIX_JSON_EINVALID || !strstr(why, reason_part))
        fail_msg("for %s: rc %d, reason '%s' (wanted '%s')", s, rc, why, reason_part);
    assert_true(at <= strlen(s));
}

static void test_valid_documents(void **state) {
    (void)state;
    const char *ok[] = {
        "{}", "[]", "0", "-0", "1.5e-3", "-12.25E+7", "\"a\"", "true", "false", "null", " {\"a\" : [1, 2, {\"b\":null}] } \n",
        "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"}", "{\"h\":\"Heiz\xc3\xb6lr\xc3\xbc\x63kssto\xc3\x9f\"}",
        "{\"a\":{\"x\":1},\"b\":{\"x\":2}}", /* the same name in two objects is fine */
        "[{\"a\":1},{\"a\":1}]",
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (check(ok[i]) != STIX_JSON_OK) fail_msg("refused valid JSON: %s", ok[i]);
}

static void test_non_rfc8259_literals_and_numbers(void **state) {
    (void)state;
    expect_invalid("{\"x_v\":NaN}", "not a JSON value");
    expect_invalid("{\"x_v\":Infinity}", "not a JSON value");
    expect_invalid("{\"x_v\":-Infinity}", "bad number");
    expect_invalid("{\"x_v\":1.}", "digits must follow");
    expect_invalid("{\"x_v\":01}", "expected ',' or '}'");
    expect_invalid("{\"x_v\":.5}", "not a JSON value");
    expect_invalid("{\"x_v\":1e}", "exponent");
    expect_invalid("{\"x_v\":tru}", "not a JSON value");
}

static void test_strings(void **state) {
    (void)state;
    expect_invalid("{\"x\":\"a\tb\"}", "control character");
    expect_invalid("{\"x\":\"\\ud800\"}", "lone high surrogate");
    expect_invalid("{\"x\":\"\\ud800\\u0041\"}", "lone high surrogate");
    expect_invalid("{\"x\":\"\\udc00\"}", "lone low surrogate");
    expect_invalid("{\"x\":\"\\x41\"}", "invalid escape");
    expect_invalid("{\"x\":\"\\u12G4\"}", "bad \\u escape");
    expect_invalid("{\"x\":\"\xc0\xaf\"}", "invalid UTF-8");       /* overlong '/' */
    expect_invalid("{\"x\":\"\xed\xa0\x80\"}", "invalid UTF-8");    /* encoded surrogate */
    expect_invalid("{\"x\":\"\xf4\x90\x80\x80\"}", "invalid UTF-8"); /* above U+10FFFF */
    expect_invalid("{\"x\":\"abc", "unterminated string");
}

static void test_duplicate_names(void **state) {
    (void)state;
    expect_invalid("{\"type\":\"indicator\",\"id\":\"a\",\"type\":\"x-foo\"}", "duplicate member name");
    expect_invalid("{\"a\":1,\"\\u0061\":2}", "duplicate member name"); /* same name once unescaped */
    expect_invalid("{\"o\":{\"k\":1,\"k\":1}}", "duplicate member name");
    /* Many members: the sorted path. */
    char big[4096] = "{";
    for (int i = 0; i < 200; i++) sprintf(big + strlen(big), "\"k%d\":%d,", i, i);
    strcat(big, "\"k150\":0}");
    expect_invalid(big, "duplicate member name");
    big[strlen(big) - 10] = '\0'; /* drop ,"k150":0} */
    strcat(big, "}");
    assert_int_equal(check(big), STIX_JSON_OK);
}

static void test_structure(void **state) {
    (void)state;
    expect_invalid("", "unexpected end");
    expect_invalid("{\"a\":1", "unexpected end");
    expect_invalid("{\"a\":1,}", "expected a member name");
    expect_invalid("[1,]", "not a JSON value");
    expect_invalid("{\"a\" 1}", "expected ':'");
    expect_invalid("{} {}", "after the JSON value");
    expect_invalid("{a:1}", "expected a member name");
}

static void test_depth_boundary(void **state) {
    (void)state;
    char doc[300];
    for (int levels = 63; levels <= 66; levels++) {
        memset(doc, '[', (size_t)levels);
        memset(doc + levels, ']', (size_t)levels);
        doc[2 * levels] = '\0';
        int rc = check(doc);
        assert_int_equal(rc, levels <= 64 ? STIX_JSON_OK : STIX_JSON_EDEPTH);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_documents), cmocka_unit_test(test_non_rfc8259_literals_and_numbers),
        cmocka_unit_test(test_strings),         cmocka_unit_test(test_duplicate_names),
        cmocka_unit_test(test_structure),       cmocka_unit_test(test_depth_boundary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
