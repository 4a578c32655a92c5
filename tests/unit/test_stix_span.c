/* test_stix_span.c - envelope object spans and JSON minification: exact bytes, string-awareness,
 * json-c agreement on real data, and no out-of-bounds reads on truncated or random input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stix/span.h"

/* Spans of text as NUL-terminated copies, for easy comparison. */
static char *span_text(const char *text, stix_span s)
{
    char *p = malloc(s.len + 1);
    assert_non_null(p);
    memcpy(p, text + s.off, s.len);
    p[s.len] = '\0';
    return p;
}

static void expect_spans(const char *text, const char *const *want, size_t nwant)
{
    stix_span sp[16];
    size_t n = 99;
    assert_int_equal(stix_envelope_spans(text, strlen(text), sp, 16, &n), 0);
    assert_int_equal(n, nwant);
    for (size_t i = 0; i < n; i++) {
        char *got = span_text(text, sp[i]);
        assert_string_equal(got, want[i]);
        free(got);
    }
}

static void test_basic_envelope(void **state)
{
    (void)state;
    const char *t = "{\"more\":false,\"objects\":[{\"id\":\"a\"},{\"id\":\"b\",\"x\":[1,{\"y\":2}]}],\"next\":\"n\"}";
    const char *want[] = {"{\"id\":\"a\"}", "{\"id\":\"b\",\"x\":[1,{\"y\":2}]}"};
    expect_spans(t, want, 2);
}

static void test_whitespace_and_strings(void **state)
{
    (void)state;
    /* braces, brackets, commas and escaped quotes inside strings must not confuse the scanner */
    const char *t = " \n{ \"objects\" :\t[ {\"d\": \"}]\\\"{[,\" , \"e\":\"\\\\\"} ,\r\n"
                    "{ \"z\" : \"\\\\\\\"}\" }\n ] } ";
    const char *want[] = {"{\"d\": \"}]\\\"{[,\" , \"e\":\"\\\\\"}", "{ \"z\" : \"\\\\\\\"}\" }"};
    expect_spans(t, want, 2);
    /* non-object elements are spans too (the caller refuses them later) */
    const char *t2 = "{\"objects\":[1, \"two\", null, [3]]}";
    const char *want2[] = {"1", "\"two\"", "null", "[3]"};
    expect_spans(t2, want2, 4);
}

static void test_member_selection(void **state)
{
    (void)state;
    /* only the top-level member counts, and the last repeated one wins, like json-c */
    const char *t = "{\"x\":{\"objects\":[{\"no\":1}]},\"objects\":[{\"first\":1}],\"y\":\"objects\","
                    "\"objects\":[{\"last\":1},{\"last\":2}]}";
    const char *want[] = {"{\"last\":1}", "{\"last\":2}"};
    expect_spans(t, want, 2);
    /* a member name spelled with an escape is the same name to json-c */
    const char *t2 = "{\"obj\\u0065cts\":[{\"e\":1}]}";
    const char *want2[] = {"{\"e\":1}"};
    expect_spans(t2, want2, 1);
    /* and json-c agrees on both rules: last member wins, escapes decode */
    const char *t3 = "{\"objects\":[1],\"objects\":[2,3],\"obj\\u0065cts\":[4,5,6]}";
    json_object *doc = json_tokener_parse(t3);
    assert_non_null(doc);
    size_t n3 = 0;
    assert_int_equal(stix_envelope_spans(t3, strlen(t3), NULL, 0, &n3), 0);
    assert_int_equal(n3, json_object_array_length(json_object_object_get(doc, "objects")));
    assert_int_equal(n3, 3);
    json_object_put(doc);
    /* a name that merely starts like it is another member */
    size_t n = 7;
    assert_int_equal(stix_envelope_spans("{\"objectsx\":[{}]}", 17, NULL, 0, &n), -1);
    assert_int_equal(n, 0);
}

static void test_absent_empty_and_max(void **state)
{
    (void)state;
    size_t n = 5;
    stix_span sp[2];
    assert_int_equal(stix_envelope_spans("{}", 2, sp, 2, &n), -1);
    assert_int_equal(stix_envelope_spans("{\"more\":true}", 13, sp, 2, &n), -1);
    assert_int_equal(stix_envelope_spans("{\"objects\":null}", 16, sp, 2, &n), -1);
    assert_int_equal(stix_envelope_spans("{\"objects\":{}}", 14, sp, 2, &n), -1);
    assert_int_equal(stix_envelope_spans("[{\"objects\":[]}]", 16, sp, 2, &n), -1);
    /* an array then a non-array: the last one (not an array) is what json-c sees */
    assert_int_equal(stix_envelope_spans("{\"objects\":[{}],\"objects\":1}", 28, sp, 2, &n), -1);
    assert_int_equal(stix_envelope_spans("{\"objects\":[ ]}", 15, sp, 2, &n), 0);
    assert_int_equal(n, 0);
    /* more elements than room: the count is still right, only max are written */
    const char *t = "{\"objects\":[{\"a\":1},{\"b\":2},{\"c\":3}]}";
    sp[0].off = sp[1].off = 0;
    assert_int_equal(stix_envelope_spans(t, strlen(t), sp, 2, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(sp[1].len, 7);
    assert_memory_equal(t + sp[1].off, "{\"b\":2}", 7);
}

static void test_minify(void **state)
{
    (void)state;
    const char *in = " {\n  \"a b\" : \"x  y\\\" z\" ,\t\"n\": -1.50e+2 , \"l\" : [ true ,false, null ] ,"
                     "\"e\":\"\\\\\" }\r\n";
    char out[256];
    size_t n = stix_json_minify(in, strlen(in), out);
    out[n] = '\0';
    assert_string_equal(out, "{\"a b\":\"x  y\\\" z\",\"n\":-1.50e+2,\"l\":[true,false,null],\"e\":\"\\\\\"}");
    /* already minimal text is unchanged */
    char again[256];
    size_t m = stix_json_minify(out, n, again);
    assert_int_equal(m, n);
    assert_memory_equal(again, out, n);
    /* UTF-8 bytes in strings are copied as they are */
    const char *u = "{ \"name\": \"Heiz\xc3\xb6lr\xc3\xbc\x63ksto\xc3\x9f\" }";
    n = stix_json_minify(u, strlen(u), out);
    out[n] = '\0';
    assert_string_equal(out, "{\"name\":\"Heiz\xc3\xb6lr\xc3\xbc\x63ksto\xc3\x9f\"}");
}

/* Every prefix of a valid envelope, in a heap block of exactly that size (so a sanitizer build
 * catches any read past the end), and random bytes: no crash, counts stay sane. */
static void test_truncated_and_garbage(void **state)
{
    (void)state;
    const char *t = "{\"objects\":[{\"id\":\"a\\\"b\",\"v\":[1,2,{\"k\":\"}\"}]}, {\"id\":\"c\"}], \"more\":false}";
    size_t len = strlen(t);
    stix_span sp[4];
    for (size_t k = 0; k <= len; k++) {
        char *p = malloc(k ? k : 1);
        assert_non_null(p);
        memcpy(p, t, k);
        size_t n = 0;
        (void)stix_envelope_spans(p, k, sp, 4, &n);
        assert_true(n <= 2);
        for (size_t i = 0; i < n && i < 4; i++)
            assert_true(sp[i].off + sp[i].len <= k);
        char *o = malloc(k ? k : 1);
        assert_non_null(o);
        assert_true(stix_json_minify(p, k, o) <= k);
        free(o);
        free(p);
    }
    unsigned int seed = 12345;
    const char alphabet[] = "{}[]\",:\\ \n0aobjects";
    for (int round = 0; round < 20000; round++) {
        size_t k = (size_t)(rand_r(&seed) % 64);
        char *p = malloc(k ? k : 1);
        assert_non_null(p);
        for (size_t i = 0; i < k; i++)
            p[i] = (round & 1) ? (char)rand_r(&seed) : alphabet[rand_r(&seed) % (sizeof alphabet - 1)];
        if (k > 0 && (round & 2))
            p[0] = '{';
        size_t n = 0;
        (void)stix_envelope_spans(p, k, sp, 4, &n);
        for (size_t i = 0; i < n && i < 4; i++)
            assert_true(sp[i].off + sp[i].len <= k);
        char *o = malloc(k ? k : 1);
        assert_non_null(o);
        assert_true(stix_json_minify(p, k, o) <= k);
        free(o);
        free(p);
    }
}

/* A random JSON value of bounded depth, with strings full of quotes, backslashes, brackets and
 * non-ASCII bytes (json-c escapes what JSON requires when it serializes). */
static json_object *random_value(unsigned int *seed, int depth)
{
    static const char *const pieces[] = {"\"", "\\", "{", "}", "[", "]", ",", ":", " ", "\n", "a",
                                         "objects", "\xc3\xa9", "\\\"", "/", "\t"};
    int kind = depth <= 0 ? (int)(rand_r(seed) % 4) : (int)(rand_r(seed) % 6);
    switch (kind) {
    case 0: {
        char buf[64] = "";
        int n = (int)(rand_r(seed) % 8);
        for (int i = 0; i < n; i++)
            strcat(buf, pieces[rand_r(seed) % (sizeof pieces / sizeof pieces[0])]);
        return json_object_new_string(buf);
    }
    case 1: return json_object_new_int64((int64_t)rand_r(seed) - RAND_MAX / 2);
    case 2: return json_object_new_double((double)rand_r(seed) / 7.0);
    case 3: return rand_r(seed) % 2 ? json_object_new_boolean(1) : NULL;
    case 4: {
        json_object *a = json_object_new_array();
        int n = (int)(rand_r(seed) % 4);
        for (int i = 0; i < n; i++)
            json_object_array_add(a, random_value(seed, depth - 1));
        return a;
    }
    default: {
        json_object *o = json_object_new_object();
        int n = (int)(rand_r(seed) % 4);
        for (int i = 0; i < n; i++) {
            char key[32];
            snprintf(key, sizeof key, "%s%d", pieces[rand_r(seed) % (sizeof pieces / sizeof pieces[0])], i);
            json_object_object_add(o, key, random_value(seed, depth - 1));
        }
        return o;
    }
    }
}

/* Random envelopes serialized by json-c in its three styles: the spans must re-parse to exactly
 * the elements json-c holds, and minified text must parse to the same document. */
static void test_random_envelopes_agree_with_json_c(void **state)
{
    (void)state;
    unsigned int seed = 4242;
    const int styles[] = {JSON_C_TO_STRING_PLAIN, JSON_C_TO_STRING_SPACED, JSON_C_TO_STRING_PRETTY};
    stix_span sp[16];
    for (int round = 0; round < 3000; round++) {
        json_object *env = json_object_new_object();
        if (rand_r(&seed) % 2)
            json_object_object_add(env, "more", random_value(&seed, 2));
        json_object *objs = json_object_new_array();
        int n = (int)(rand_r(&seed) % 6);
        for (int i = 0; i < n; i++)
            json_object_array_add(objs, random_value(&seed, 4));
        json_object_object_add(env, "objects", objs);
        if (rand_r(&seed) % 2)
            json_object_object_add(env, "next", random_value(&seed, 3));
        const char *text = json_object_to_json_string_ext(env, styles[round % 3]);
        size_t len = strlen(text), got = 0;
        assert_int_equal(stix_envelope_spans(text, len, sp, 16, &got), 0);
        assert_int_equal(got, (size_t)n);
        for (size_t i = 0; i < got; i++) {
            char *st = span_text(text, sp[i]);
            json_object *one = json_tokener_parse(st);
            json_object *want = json_object_array_get_idx(objs, i);
            /* a JSON null element parses to NULL; json_object_equal treats two NULLs as equal */
            if (want != NULL)
                assert_non_null(one);
            assert_true(json_object_equal(one, want));
            json_object_put(one);
            free(st);
        }
        char *mini = malloc(len + 1);
        assert_non_null(mini);
        size_t mlen = stix_json_minify(text, len, mini);
        mini[mlen] = '\0';
        json_object *m = json_tokener_parse(mini);
        assert_true(json_object_equal(m, env));
        json_object_put(m);
        free(mini);
        json_object_put(env);
    }
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (p != NULL && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    if (p != NULL) {
        p[n] = '\0';
        *len = (size_t)n;
    }
    return p;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Real bundles (a bundle has the same top-level "objects" array as an envelope): every span
 * parses to exactly the object json-c found, and minified spans too. Prints throughput. */
static void test_real_bundles_agree_with_json_c(void **state)
{
    (void)state;
    char root[1024];
    const char *env = getenv("ENLACE_SHARED_DATA");
    const char *src = getenv("ENLACE_SRC");
    if (env != NULL)
        snprintf(root, sizeof root, "%s", env);
    else
        snprintf(root, sizeof root, "%s/../shared/data", src != NULL ? src : ".");
    const char *files[] = {"stix21-realworld/fireeye-poisonivy-elevator/fireeye-pivy-report-with-indicators.json",
                           "attack-stix21/mobile-attack-17.1.json",
                           "stix21-examples/oasis-json-schemas-examples/threat-reports/apt1.json"};
    int seen = 0;
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", root, files[f]);
        size_t len = 0;
        char *text = read_file(path, &len);
        if (text == NULL) {
            printf("# skip %s: not present\n", path);
            continue;
        }
        seen++;
        json_object *doc = json_tokener_parse(text);
        assert_non_null(doc);
        json_object *objs = json_object_object_get(doc, "objects");
        size_t want = json_object_array_length(objs);
        stix_span *sp = malloc(sizeof *sp * (want + 1));
        size_t n = 0;
        double t0 = now_s();
        assert_int_equal(stix_envelope_spans(text, len, sp, want + 1, &n), 0);
        double t1 = now_s();
        assert_int_equal(n, want);
        char *mini = malloc(len + 1);
        double t2 = now_s();
        size_t mlen = stix_json_minify(text, len, mini);
        double t3 = now_s();
        assert_true(mlen <= len);
        for (size_t i = 0; i < n; i++) {
            char *st = span_text(text, sp[i]);
            json_object *one = json_tokener_parse(st);
            free(st);
            assert_non_null(one);
            assert_true(json_object_equal(one, json_object_array_get_idx(objs, i)));
            json_object_put(one);
        }
        mini[mlen] = '\0';
        json_object *m = json_tokener_parse(mini);
        assert_non_null(m);
        assert_true(json_object_equal(m, doc));
        json_object_put(m);
        printf("# %s: %zu objects, %zu bytes; spans %.0f MB/s, minify %.0f MB/s\n", files[f], n, len,
               (double)len / 1e6 / (t1 - t0 + 1e-9), (double)len / 1e6 / (t3 - t2 + 1e-9));
        free(mini);
        free(sp);
        json_object_put(doc);
        free(text);
    }
    if (seen == 0)
        printf("# skip: no real data under %s\n", root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_envelope),
        cmocka_unit_test(test_whitespace_and_strings),
        cmocka_unit_test(test_member_selection),
        cmocka_unit_test(test_absent_empty_and_max),
        cmocka_unit_test(test_minify),
        cmocka_unit_test(test_truncated_and_garbage),
        cmocka_unit_test(test_random_envelopes_agree_with_json_c),
        cmocka_unit_test(test_real_bundles_agree_with_json_c),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
