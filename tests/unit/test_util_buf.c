/* test_util_buf.c - JSON string output of the shared buffer: always valid JSON, whatever the bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "util/buf.h"

static void expect_json(const char *in, const char *want) {
    enlace_buf b = ENLACE_BUF_INIT;
    assert_int_equal(enlace_buf_json_str(&b, in), 0);
    assert_string_equal(b.p, want);
    enlace_buf_free(&b);
}

static void test_escapes_and_utf8(void **state) {
    (void)state;
    expect_json("a\"b\\c\n\t\x01", "\"a\\\"b\\\\c\\n\\t\\u0001\"");
    expect_json("Heiz\xc3\xb6l \xe5\xad\xa6 \xf0\x9f\x98\x80", "\"Heiz\xc3\xb6l \xe5\xad\xa6 \xf0\x9f\x98\x80\"");
}

/* Regression: an error description echoing a query value such as %ff%fe was sent as raw bytes,
 * so the TAXII error resource itself was not valid UTF-8 JSON. */
static void test_ill_formed_utf8_replaced(void **state) {
    (void)state;
    expect_json("x\xff\xfey", "\"x\\ufffd\\ufffdy\"");
    expect_json("\xc0\xaf", "\"\\ufffd\\ufffd\"");              /* overlong '/' */
    expect_json("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");    /* encoded surrogate */
    expect_json("end\xe5\xad", "\"end\\ufffd\\ufffd\"");         /* truncated at the end */
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_escapes_and_utf8),
                                       cmocka_unit_test(test_ill_formed_utf8_replaced)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
