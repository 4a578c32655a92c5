/* test_client_status.c - unit tests for reading a TAXII 2.1 status resource back onto the objects
 * `enlace push` sent (src/client/status.c, T§4.3.1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <string.h>

#include "client/input.h"
#include "client/status.h"

static void parse(const char *text, client_input *in) {
    enlace_err err;
    assert_int_equal(client_input_parse(text, strlen(text), in, &err), 0);
    assert_null(in->error);
}

static const char *objs =
    "[{\"id\":\"indicator--1\",\"modified\":\"2020-01-01T00:00:00.000Z\"},"
    "{\"id\":\"indicator--2\",\"modified\":\"2020-01-01T00:00:00.000Z\"},"
    "7,"
    "{\"id\":\"ipv4-addr--3\"},"
    "{\"id\":\"indicator--1\",\"modified\":\"2021-01-01T00:00:00.000Z\"}]";

/* Successes and failures land on the right objects, versions included, messages one line. */
static void test_successes_and_failures(void **state) {
    (void)state;
    client_input in;
    parse(objs, &in);
    json_object *st = json_tokener_parse(
        "{\"id\":\"s\",\"status\":\"complete\",\"total_count\":4,\"success_count\":3,\"pending_count\":0,"
        "\"successes\":[{\"id\":\"indicator--1\",\"version\":\"2021-01-01T00:00:00.000Z\"},"
        "{\"id\":\"ipv4-addr--3\",\"version\":\"2026-11-29T09:00:00.000001Z\"},"
        "{\"id\":\"indicator--2\",\"version\":\"2020-01-01T00:00:00.000Z\"}],"
        "\"failure_count\":1,\"failures\":[{\"id\":\"indicator--1\",\"version\":\"2020-01-01T00:00:00.000Z\","
        "\"message\":\"conflict:\\nbody differs\"}]}");
    assert_non_null(st);
    client_outcome out[5];
    memset(out, 0, sizeof out);
    assert_int_equal(client_status_apply(st, &in, 0, 5, out), 0);
    assert_int_equal(out[0].fate, CLIENT_REJECTED);
    assert_string_equal(out[0].message, "conflict: body differs");
    assert_int_equal(out[1].fate, CLIENT_ACCEPTED);
    assert_int_equal(out[2].fate, CLIENT_UNKNOWN);  /* the local error is left to the caller */
    assert_int_equal(out[3].fate, CLIENT_ACCEPTED);
    assert_string_equal(out[3].version, "2026-11-29T09:00:00.000001Z"); /* server-chosen version */
    assert_int_equal(out[4].fate, CLIENT_ACCEPTED);
    json_object_put(st);
    client_input_free(&in);
}

/* An object the status does not name is not silently taken as accepted. */
static void test_unreported_is_rejected(void **state) {
    (void)state;
    client_input in;
    parse(objs, &in);
    json_object *st = json_tokener_parse(
        "{\"id\":\"s\",\"status\":\"complete\",\"total_count\":4,\"success_count\":1,\"failure_count\":0,"
        "\"pending_count\":0,\"successes\":[{\"id\":\"indicator--2\",\"version\":\"2020-01-01T00:00:00.000Z\"}]}");
    client_outcome out[5];
    memset(out, 0, sizeof out);
    client_status_apply(st, &in, 0, 5, out);
    assert_int_equal(out[0].fate, CLIENT_REJECTED);
    assert_string_equal(out[0].message, "not reported in the server's status");
    assert_int_equal(out[1].fate, CLIENT_ACCEPTED);
    assert_int_equal(out[3].fate, CLIENT_REJECTED);
    json_object_put(st);
    client_input_free(&in);
}

/* successes is optional (T§4.3.1): success_count then vouches for the objects not in failures,
 * but only when the numbers agree. */
static void test_no_successes_list(void **state) {
    (void)state;
    client_input in;
    parse(objs, &in);
    json_object *st = json_tokener_parse(
        "{\"id\":\"s\",\"status\":\"complete\",\"total_count\":4,\"success_count\":3,\"failure_count\":1,"
        "\"pending_count\":0,\"failures\":[{\"id\":\"ipv4-addr--3\",\"version\":\"x\",\"message\":\"bad\"}]}");
    client_outcome out[5];
    memset(out, 0, sizeof out);
    client_status_apply(st, &in, 0, 5, out);
    assert_int_equal(out[0].fate, CLIENT_ACCEPTED);
    assert_int_equal(out[1].fate, CLIENT_ACCEPTED);
    assert_int_equal(out[3].fate, CLIENT_REJECTED);
    assert_string_equal(out[3].message, "bad");
    assert_int_equal(out[4].fate, CLIENT_ACCEPTED);
    json_object_put(st);

    st = json_tokener_parse("{\"id\":\"s\",\"status\":\"complete\",\"total_count\":4,\"success_count\":2,"
                            "\"failure_count\":0,\"pending_count\":0}");
    memset(out, 0, sizeof out);
    client_status_apply(st, &in, 0, 5, out);
    for (int k = 0; k < 5; k++)
        if (k != 2) assert_int_equal(out[k].fate, CLIENT_REJECTED);
    json_object_put(st);
    client_input_free(&in);
}

/* The same instant written with other fraction digits still finds its entry (by id). */
static void test_version_spelling(void **state) {
    (void)state;
    client_input in;
    parse("{\"id\":\"note--1\",\"modified\":\"2020-01-01T00:00:00.5Z\"}", &in);
    json_object *st = json_tokener_parse(
        "{\"id\":\"s\",\"status\":\"complete\",\"total_count\":1,\"success_count\":1,\"failure_count\":0,"
        "\"pending_count\":0,\"successes\":[{\"id\":\"note--1\",\"version\":\"2020-01-01T00:00:00.500Z\"}]}");
    client_outcome out[1];
    memset(out, 0, sizeof out);
    client_status_apply(st, &in, 0, 1, out);
    assert_int_equal(out[0].fate, CLIENT_ACCEPTED);
    json_object_put(st);
    client_input_free(&in);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_successes_and_failures),
        cmocka_unit_test(test_unreported_is_rejected),
        cmocka_unit_test(test_no_successes_list),
        cmocka_unit_test(test_version_spelling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
