/* test_fed_page.c - a pulled page made ready for the store (fed/page.c): valid objects become
 * store inputs with their bytes minified and markings read, invalid ones are counted and the
 * first is named, a malformed page is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "fed/page.h"

static int build(const char *text, fed_page *pg, char *note, size_t n, enlace_err *err) {
    client_response resp;
    memset(&resp, 0, sizeof resp);
    resp.body = (char *)text;
    resp.body_len = strlen(text);
    json_object *root = json_tokener_parse(text);
    assert_non_null(root);
    int rc = fed_page_build(&resp, root, pg, note, n, err);
    json_object_put(root);
    return rc;
}

#define IND(id, extra) \
    "{\"type\": \"indicator\", \"spec_version\": \"2.1\", \"id\": \"" id "\", " \
    "\"created\": \"2026-01-01T00:00:00.000Z\", \"modified\": \"2026-01-01T00:00:00.000Z\", " \
    "\"pattern\": \"[x:y = 'z']\", \"pattern_type\": \"stix\", \"valid_from\": \"2026-01-01T00:00:00Z\"" extra "}"
#define A "indicator--00000000-0000-4000-8000-000000000001"
#define B "indicator--00000000-0000-4000-8000-000000000002"

static void test_valid_and_invalid(void **state) {
    (void)state;
    const char *text = "{\"more\": false, \"objects\": [" IND(A, ", \"object_marking_refs\": "
                       "[\"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421\"]") ", 7, "
                       "{\"type\": \"indicator\", \"spec_version\": \"2.1\", \"id\": \"" B "\"}, "
                       "{\"type\": \"marking-definition\", \"spec_version\": \"2.1\", \"id\": "
                       "\"marking-definition--00000000-0000-4000-8000-0000000000aa\", \"created\": "
                       "\"2026-01-01T00:00:00.000Z\", \"name\": \"TLP:GREEN\", \"extensions\": {"
                       "\"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d\": {\"extension_type\": "
                       "\"property-extension\", \"tlp_2_0\": \"green\"}}}]}";
    fed_page pg;
    char note[256] = "";
    enlace_err err;
    assert_int_equal(build(text, &pg, note, sizeof note, &err), 0);
    assert_int_equal(pg.k, 2);
    assert_int_equal(pg.bad, 2);
    assert_string_equal(pg.in[0].id, A);
    assert_non_null(pg.in[0].marking);
    assert_int_equal(pg.in[0].marking->tlp, STIX_TLP_AMBER);
    assert_null(memchr(pg.in[0].body, ' ', 12));          /* minified: no whitespace outside strings */
    assert_int_equal(pg.in[0].body[pg.in[0].body_len - 1], '}');
    assert_string_equal(pg.in[1].type, "marking-definition");
    assert_int_equal(pg.in[1].md_tlp, STIX_TLP_GREEN);
    /* the first invalid element is named: the number 7 has no id */
    assert_non_null(strstr(note, "(no id)"));
    assert_non_null(strstr(note, "not a JSON object"));
    fed_page_free(&pg);
}

static void test_empty_and_malformed(void **state) {
    (void)state;
    fed_page pg;
    char note[256] = "";
    enlace_err err;
    assert_int_equal(build("{\"more\": false}", &pg, note, sizeof note, &err), 0);
    assert_int_equal(pg.k + pg.bad, 0);
    fed_page_free(&pg);
    assert_int_equal(build("{\"objects\": {\"a\": 1}}", &pg, note, sizeof note, &err), ENLACE_EUNPROC);
    assert_non_null(strstr(err.msg, "malformed response"));
    assert_null(pg.in);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_and_invalid),
        cmocka_unit_test(test_empty_and_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
