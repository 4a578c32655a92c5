/* test_client_input.c - unit tests for splitting push input into exact object bytes and
 * packing envelopes under count and byte limits (src/client/input.c), plus query encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "client/input.h"

static void parse(const char *text, client_input *in) {
    enlace_err err;
    assert_int_equal(client_input_parse(text, strlen(text), in, &err), 0);
}

/* A pretty-printed bundle: whitespace goes, every token (escapes, number spelling, member
 * order) stays byte-exact. */
static void test_bundle_exact_bytes(void **state) {
    (void)state;
    const char *text =
        "{ \"type\": \"bundle\", \"id\": \"bundle--1\",\n  \"objects\": [\n"
        "   { \"type\": \"note\", \"id\": \"note--a\", \"content\": \"it\\u2019s \\\"x\\\" a b\",\n"
        "     \"modified\": \"2020-01-01T00:00:00.000Z\", \"created\": \"2019-01-01T00:00:00.000Z\", \"n\": 1.50 },\n"
        "   {\"id\":\"ipv4-addr--b\",\"type\":\"ipv4-addr\",\"value\":\"1.2.3.4\"}\n ] }\n";
    client_input in;
    parse(text, &in);
    assert_null(in.error);
    assert_string_equal(in.kind, "bundle");
    assert_int_equal(in.n, 2);
    assert_string_equal(in.items[0].json,
                        "{\"type\":\"note\",\"id\":\"note--a\",\"content\":\"it\\u2019s \\\"x\\\" a b\","
                        "\"modified\":\"2020-01-01T00:00:00.000Z\",\"created\":\"2019-01-01T00:00:00.000Z\",\"n\":1.50}");
    assert_int_equal(in.items[0].len, strlen(in.items[0].json));
    assert_string_equal(in.items[0].id, "note--a");
    assert_string_equal(in.items[0].version, "2020-01-01T00:00:00.000Z");
    assert_string_equal(in.items[1].id, "ipv4-addr--b");
    assert_string_equal(in.items[1].version, "");
    assert_null(in.items[1].error);
    client_input_free(&in);
}

static void test_shapes(void **state) {
    (void)state;
    client_input in;
    parse("{\"objects\":[{\"id\":\"x--1\",\"created\":\"c\"}],\"more\":false}", &in);
    assert_string_equal(in.kind, "envelope");
    assert_int_equal(in.n, 1);
    assert_string_equal(in.items[0].version, "c");
    client_input_free(&in);

    parse("[{\"id\":\"x--1\"}, {\"id\":\"x--2\"}, {\"id\":\"x--3\"}]", &in);
    assert_string_equal(in.kind, "array");
    assert_int_equal(in.n, 3);
    assert_string_equal(in.items[2].json, "{\"id\":\"x--3\"}");
    client_input_free(&in);

    parse("  {\"type\":\"indicator\", \"id\":\"indicator--1\"}  \n", &in);
    assert_string_equal(in.kind, "object");
    assert_int_equal(in.n, 1);
    assert_string_equal(in.items[0].json, "{\"type\":\"indicator\",\"id\":\"indicator--1\"}");
    client_input_free(&in);

    /* An envelope or bundle without objects is empty, not an error. */
    parse("{\"type\":\"bundle\",\"id\":\"bundle--1\"}", &in);
    assert_null(in.error);
    assert_int_equal(in.n, 0);
    client_input_free(&in);
}

/* Bad elements are reported one by one; the good ones stay sendable. */
static void test_bad_elements(void **state) {
    (void)state;
    client_input in;
    parse("[{\"id\":\"x--1\"}, 42, {\"type\":\"note\"}, [1], {\"id\":7}]", &in);
    assert_int_equal(in.n, 5);
    assert_null(in.items[0].error);
    assert_non_null(in.items[1].error);
    assert_string_equal(in.items[1].error, "element 2 is not a JSON object");
    assert_null(in.items[1].json);
    assert_string_equal(in.items[2].error, "element 3 has no string 'id'");
    assert_non_null(in.items[3].error);
    assert_non_null(in.items[4].error);
    client_input_free(&in);
}

static void test_not_json(void **state) {
    (void)state;
    const char *bad[] = {"{\"objects\": [ {\"id\": \"x--1\" } ", "{\"a\":1,}", "not json", "",
                         "{\"id\":\"x--1\"} trailing", "'single'", "{\"id\":\"\xff\xfe\"}", "\"str\"",
                         "{\"type\":\"bundle\",\"objects\":{}}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        client_input in;
        parse(bad[i], &in);
        assert_non_null(in.error);
        assert_int_equal(in.n, 0);
        client_input_free(&in);
    }
    client_input in;
    parse("{\"a\":", &in);
    assert_non_null(strstr(in.error, "not JSON"));
    client_input_free(&in);
    /* The reason says where the parser stopped. */
    parse("[\n {\"id\": \"x--1\"},\n {\"id\": nope}\n]", &in);
    assert_non_null(in.error);
    assert_non_null(strstr(in.error, "line 3"));
    client_input_free(&in);
}

/* The TAXII error resource's title and description make the one-line failure (T§3.6.1). */
/* A leading UTF-8 byte order mark is skipped (RFC 8259 §8.1); one anywhere else is not JSON. */
static void test_bom(void **state) {
    (void)state;
    client_input in;
    parse("\xEF\xBB\xBF{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":[ {\"id\": \"x--1\"} ]}", &in);
    assert_null(in.error);
    assert_string_equal(in.kind, "bundle");
    assert_int_equal(in.n, 1);
    assert_string_equal(in.items[0].json, "{\"id\":\"x--1\"}");
    client_input_free(&in);
    parse("\xEF\xBB\xBF {\"id\":\"x--2\"}\n", &in);
    assert_null(in.error);
    assert_int_equal(in.n, 1);
    assert_string_equal(in.items[0].json, "{\"id\":\"x--2\"}");
    client_input_free(&in);
    parse(" \xEF\xBB\xBF{\"id\":\"x--3\"}", &in);
    assert_non_null(in.error);
    client_input_free(&in);
    parse("\xEF\xBB\xBF", &in);
    assert_non_null(in.error);
    client_input_free(&in);
}

static void test_error_describe(void **state) {
    (void)state;
    char out[256];
    char body[] = "{\"title\":\"Too large\",\"description\":\"over\\nlimit\",\"http_status\":\"413\"}";
    client_response r = {413, body, sizeof body - 1, "", "", ""};
    client_error_describe(&r, out, sizeof out);
    assert_string_equal(out, "HTTP 413: Too large: over limit");
    char html[] = "<html>\nBad gateway</html>";
    client_response h = {502, html, sizeof html - 1, "", "", ""};
    client_error_describe(&h, out, sizeof out);
    assert_string_equal(out, "HTTP 502: <html> Bad gateway</html>");
    client_response e = {404, NULL, 0, "", "", ""};
    client_error_describe(&e, out, sizeof out);
    assert_string_equal(out, "HTTP 404");
}

/* A repeated "objects" member: the last one wins, as json-c decides, so bytes and ids agree. */
static void test_repeated_member(void **state) {
    (void)state;
    client_input in;
    parse("{\"objects\":[{\"id\":\"a--1\"}],\"objects\":[{\"id\":\"b--1\"},{\"id\":\"b--2\"}]}", &in);
    assert_int_equal(in.n, 2);
    assert_string_equal(in.items[0].id, "b--1");
    assert_string_equal(in.items[0].json, "{\"id\":\"b--1\"}");
    client_input_free(&in);
}

/* Count limit: 5 objects in envelopes of at most 2. */
static void test_batch_by_count(void **state) {
    (void)state;
    client_input in;
    parse("[{\"id\":\"a--1\"},{\"id\":\"a--2\"},{\"id\":\"a--3\"},{\"id\":\"a--4\"},{\"id\":\"a--5\"}]", &in);
    assert_int_equal(client_batch_end(&in, 0, 2, 0), 2);
    assert_int_equal(client_batch_end(&in, 2, 2, 0), 4);
    assert_int_equal(client_batch_end(&in, 4, 2, 0), 5);
    assert_int_equal(client_batch_end(&in, 5, 2, 0), 5);
    assert_int_equal(client_batch_end(&in, 0, 0, 0), 5);
    client_input_free(&in);
}

/* Byte limit: each object is 13 bytes; an envelope of k objects is 14 + 13k + (k-1) bytes. */
static void test_batch_by_bytes(void **state) {
    (void)state;
    client_input in;
    parse("[{\"id\":\"a--1\"},{\"id\":\"a--2\"},{\"id\":\"a--3\"},{\"id\":\"a--4\"}]", &in);
    assert_int_equal(in.items[0].len, 13);
    size_t two = 14 + 13 * 2 + 1;
    assert_int_equal(client_batch_end(&in, 0, 1000, two), 2);
    assert_int_equal(client_batch_end(&in, 0, 1000, two - 1), 1);
    assert_int_equal(client_batch_end(&in, 2, 1000, two), 4);
    enlace_buf b = ENLACE_BUF_INIT;
    assert_int_equal(client_batch_envelope(&in, 0, 2, &b), 2);
    assert_int_equal(b.len, two);
    assert_string_equal(b.p, "{\"objects\":[{\"id\":\"a--1\"},{\"id\":\"a--2\"}]}");
    enlace_buf_free(&b);
    client_input_free(&in);
}

/* Every envelope planned for a real-sized input stays under both limits and loses nothing. */
static void test_batch_covers_all(void **state) {
    (void)state;
    enlace_buf t = ENLACE_BUF_INIT;
    enlace_buf_puts(&t, "[");
    for (int i = 0; i < 500; i++)
        enlace_buf_printf(&t, "%s{\"id\":\"x--%d\",\"pad\":\"%*s\"}", i ? "," : "", i, i % 97, "");
    enlace_buf_puts(&t, ",7]");
    client_input in;
    parse(t.p, &in);
    assert_int_equal(in.n, 501);
    size_t start = 0, sent = 0, max_bytes = 700;
    while (start < in.n) {
        size_t end = client_batch_end(&in, start, 9, max_bytes);
        assert_true(end > start);
        enlace_buf b = ENLACE_BUF_INIT;
        size_t k = client_batch_envelope(&in, start, end, &b);
        if (end < in.n || k > 0) {
            assert_true(k >= 1 && k <= 9);
            assert_true(b.len <= max_bytes);
            json_object *o = json_tokener_parse(b.p);
            assert_non_null(o);
            json_object_put(o);
        }
        sent += k;
        enlace_buf_free(&b);
        start = end;
    }
    assert_int_equal(sent, 500);
    enlace_buf_free(&t);
    client_input_free(&in);
}

/* Two copies of one version never share an envelope, else the status could not tell which of
 * them was refused; other versions of the same id may. */
static void test_batch_splits_repeated_version(void **state) {
    (void)state;
    client_input in;
    parse("[{\"id\":\"r--1\",\"modified\":\"2016-01-01T00:00:00.5Z\",\"a\":1},"
          "{\"id\":\"r--1\",\"modified\":\"2016-01-01T00:00:01.000Z\"},"
          "{\"id\":\"r--2\"},"
          "{\"id\":\"r--1\",\"modified\":\"2016-01-01T00:00:00.500Z\",\"a\":2},"
          "{\"id\":\"r--2\"},"
          "{\"id\":\"r--3\"}]", &in);
    assert_int_equal(client_batch_end(&in, 0, 1000, 0), 3);  /* item 3 repeats item 0's instant */
    assert_int_equal(client_batch_end(&in, 3, 1000, 0), 6);  /* item 2 was in the batch before */
    assert_int_equal(client_batch_end(&in, 2, 1000, 0), 4);  /* from 2: item 3 is fine, item 4 repeats r--2 */
    client_input_free(&in);
}

static void test_oversize(void **state) {
    (void)state;
    client_input in;
    parse("[{\"id\":\"a--1\"},{\"id\":\"a--2\",\"big\":\"0123456789012345678901234567890123456789\"},{\"id\":\"a--3\"}]", &in);
    assert_int_equal(client_input_mark_oversize(&in, 40), 1);
    assert_null(in.items[0].error);
    assert_non_null(in.items[1].error);
    assert_null(in.items[2].error);
    /* The rejected one is skipped when planning and building. */
    assert_int_equal(client_batch_end(&in, 0, 10, 0), 3);
    enlace_buf b = ENLACE_BUF_INIT;
    assert_int_equal(client_batch_envelope(&in, 0, 3, &b), 2);
    assert_string_equal(b.p, "{\"objects\":[{\"id\":\"a--1\"},{\"id\":\"a--3\"}]}");
    enlace_buf_free(&b);
    client_input_free(&in);
}

static void test_spans_of_page(void **state) {
    (void)state;
    const char *page = "{\"more\":true,\"next\":\"abc\",\"objects\":[ {\"id\":\"a--1\",\"s\":\"]}\"} , {\"id\":\"a--2\"}]}";
    size_t offs[4], lens[4], n;
    assert_int_equal(client_json_array_spans(page, strlen(page), "objects", offs, lens, 4, &n), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(page + offs[0], "{\"id\":\"a--1\",\"s\":\"]}\"}", lens[0]);
    assert_memory_equal(page + offs[1], "{\"id\":\"a--2\"}", lens[1]);
    assert_int_equal(client_json_array_spans("{\"more\":false}", 14, "objects", offs, lens, 4, &n), -1);
}

static void test_query_add(void **state) {
    (void)state;
    char q[128] = "collections/c/objects/";
    assert_int_equal(client_query_add(q, sizeof q, "match[type]", "indicator,malware"), 0);
    assert_int_equal(client_query_add(q, sizeof q, "added_after", "2020-01-01T00:00:00.000000Z"), 0);
    assert_string_equal(q, "collections/c/objects/?match[type]=indicator%2Cmalware"
                           "&added_after=2020-01-01T00%3A00%3A00.000000Z");
    char small[16] = "x/";
    assert_int_equal(client_query_add(small, sizeof small, "limit", "1000000000000"), -1);
    assert_string_equal(small, "x/"); /* untouched when it does not fit */
}

/* Never crash, and stay consistent, on damaged input: every byte flipped, deleted or truncated
 * (deterministic pseudo-random mutations of a small bundle). Run under ASan in CI. */
static void test_mutations_never_crash(void **state) {
    (void)state;
    const char *good = "{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":[{\"type\":\"note\","
                       "\"id\":\"note--1\",\"content\":\"a\\\"b\\u00e9]}\",\"n\":[1,2.5e3,{\"k\":null}]},"
                       "{\"id\":\"x--2\",\"created\":\"2020-01-01T00:00:00.000Z\"}]}";
    size_t len = strlen(good);
    char buf[512];
    uint32_t seed = 12345;
    static const char alphabet[] = "{}[]\",:\\ \n0aeu\xc3\xa9\xff";
    for (int iter = 0; iter < 4000; iter++) {
        memcpy(buf, good, len);
        size_t n = len;
        for (int m = 0; m < 1 + iter % 3 && n > 1; m++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % n;
            switch ((seed >> 4) % 3) {
            case 0: buf[at] = alphabet[(seed >> 16) % (sizeof alphabet - 1)]; break;
            case 1: memmove(buf + at, buf + at + 1, n - at - 1); n--; break;
            default: n = at + 1; break;
            }
        }
        client_input in;
        enlace_err err;
        assert_int_equal(client_input_parse(buf, n, &in, &err), 0);
        if (!in.error) {
            for (size_t k = 0; k < in.n; k++) {
                const client_item *it = &in.items[k];
                assert_true((it->error == NULL) != (it->json == NULL));
                if (it->json) { /* what would be sent is itself valid JSON */
                    json_object *o = json_tokener_parse(it->json);
                    assert_non_null(o);
                    json_object_put(o);
                }
            }
        }
        client_input_free(&in);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bundle_exact_bytes), cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_bad_elements),       cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_repeated_member),    cmocka_unit_test(test_batch_by_count),
        cmocka_unit_test(test_batch_by_bytes),     cmocka_unit_test(test_batch_covers_all),
        cmocka_unit_test(test_oversize),           cmocka_unit_test(test_batch_splits_repeated_version),           cmocka_unit_test(test_spans_of_page),
        cmocka_unit_test(test_query_add),          cmocka_unit_test(test_mutations_never_crash),          cmocka_unit_test(test_error_describe),
        cmocka_unit_test(test_bom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
