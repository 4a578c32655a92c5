/* test_taxii_media.c - Accept and Content-Type negotiation for TAXII 2.1 (T§1.6.8, T§3.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "taxii/media.h"

static void accept_taxii_forms(void **state) {
    (void)state;
    assert_true(taxii_accept_ok(NULL, 0));   /* absent header: anything goes */
    assert_true(taxii_accept_ok("", 0));
    assert_true(taxii_accept_ok("application/taxii+json;version=2.1", 0));
    assert_true(taxii_accept_ok("application/taxii+json", 0));   /* no version MUST NOT get 406 */
    assert_true(taxii_accept_ok("Application/TAXII+JSON ; Version = 2.1", 0));
    assert_true(taxii_accept_ok("application/taxii+json; version=\"2.1\"", 0));
    assert_true(taxii_accept_ok("application/taxii+json;version=2.1;q=0.5", 0));
    assert_true(taxii_accept_ok("*/*", 0));
    assert_true(taxii_accept_ok("application/*;q=0.1", 0));
    assert_true(taxii_accept_ok("text/html, application/taxii+json;version=2.1", 0));
}

static void accept_refusals(void **state) {
    (void)state;
    assert_false(taxii_accept_ok("application/taxii+json;version=2.0", 0));
    assert_false(taxii_accept_ok("application/json", 0));
    assert_false(taxii_accept_ok("text/html", 0));
    assert_false(taxii_accept_ok("application/taxii+json;q=0", 0));
    assert_false(taxii_accept_ok("application/taxii+json;version=2.1;q=0.000", 0));
    assert_false(taxii_accept_ok("*/*;q=0, text/plain", 0));
    assert_false(taxii_accept_ok("application/taxii+json;q=bogus", 0));
    assert_false(taxii_accept_ok("application/taxii+jsonx", 0));
    /* stix+json only where the endpoint allows it (the manifest, T§5.3). */
    assert_false(taxii_accept_ok("application/stix+json;version=2.1", 0));
    assert_true(taxii_accept_ok("application/stix+json;version=2.1", 1));
    assert_false(taxii_accept_ok("application/stix+json;version=2.0", 1));
    assert_true(taxii_accept_ok("application/taxii+json;version=2.1,application/stix+json;version=2.1", 1));
}

static void accept_q_values(void **state) {
    (void)state;
    assert_true(taxii_accept_ok("application/taxii+json;q=1", 0));
    assert_true(taxii_accept_ok("application/taxii+json;q=1.0", 0));
    assert_true(taxii_accept_ok("application/taxii+json;q=0.001", 0));
    assert_false(taxii_accept_ok("application/taxii+json;q=0.0", 0));
    assert_false(taxii_accept_ok("application/taxii+json;q=2", 0));
}

static void content_type(void **state) {
    (void)state;
    assert_true(taxii_content_type_ok("application/taxii+json;version=2.1"));
    assert_true(taxii_content_type_ok("application/taxii+json"));
    assert_true(taxii_content_type_ok("application/TAXII+json; version=2.1; charset=utf-8"));
    assert_false(taxii_content_type_ok(NULL));
    assert_false(taxii_content_type_ok(""));
    assert_false(taxii_content_type_ok("application/json"));
    assert_false(taxii_content_type_ok("application/stix+json;version=2.1"));
    assert_false(taxii_content_type_ok("application/taxii+json;version=2.0"));
    assert_false(taxii_content_type_ok("application/taxii+json, application/json"));
}

/* enlace's own resources (/enlace/v1/) are application/json, not TAXII. */
static void accept_json(void **state) {
    (void)state;
    assert_true(taxii_accept_json_ok(NULL));
    assert_true(taxii_accept_json_ok(""));
    assert_true(taxii_accept_json_ok("application/json"));
    assert_true(taxii_accept_json_ok("text/html, Application/JSON;q=0.5"));
    assert_true(taxii_accept_json_ok("*/*"));
    assert_true(taxii_accept_json_ok("application/*"));
    assert_false(taxii_accept_json_ok("application/taxii+json;version=2.1"));
    assert_false(taxii_accept_json_ok("application/json;q=0"));
    assert_false(taxii_accept_json_ok("text/html"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accept_taxii_forms),
        cmocka_unit_test(accept_refusals),
        cmocka_unit_test(accept_q_values),
        cmocka_unit_test(content_type),
        cmocka_unit_test(accept_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
