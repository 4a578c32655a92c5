/* test_stix_marking.c - TLP encodings to one level, the enlace handling extension, and real marked objects (S§7.2, S§7.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "stix/marking.h"
#include "stix/time.h"
#include "stix/validate.h"

#define TLP1_WHITE "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
#define TLP1_GREEN "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
#define TLP1_AMBER "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
#define TLP1_RED "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"
#define TLP2_CLEAR "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
#define TLP2_GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define TLP2_AMBER "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
#define TLP2_AMBER_STRICT "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
#define TLP2_RED "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
#define OPENCTI_AMBER_STRICT "marking-definition--826578e1-40ad-459f-bc73-ede076f81f37"
#define OTHER_MD "marking-definition--4a0042fe-8b88-40fe-9600-dfa128ce6fbd"
#define OTHER_MD_UC "marking-definition--4A0042FE-8B88-40FE-9600-DFA128CE6FBD"
#define TLP2_RED_UC "marking-definition--E828B379-4E03-4974-9AC4-E53A884C97C1"
#define HANDLING_UC "extension-definition--C05BC01B-2963-4D49-A373-A33E30F35E95"

#define HEAD "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--1ed8caa7-a708-4706-b651-f1186ede6ca1\"," \
             "\"created\":\"2017-04-27T16:18:24.318Z\",\"modified\":\"2017-04-27T16:18:24.318Z\"," \
             "\"pattern\":\"[ipv4-addr:value = '198.51.100.1']\",\"pattern_type\":\"stix\"," \
             "\"valid_from\":\"2017-04-27T16:18:24.318Z\""
#define EXT(body) ",\"extensions\":{\"" STIX_ENLACE_HANDLING_EXT "\":{\"extension_type\":\"property-extension\"" body "}}}"

#define ID_DEA "identity--0a000000-0000-4000-8000-000000000021"
#define ID_HSI "identity--0a000000-0000-4000-8000-000000000022"
#define ID_UC "identity--0A00000F-0000-4000-8000-0000000000AB"
#define ID_UC_LOWER "identity--0a00000f-0000-4000-8000-0000000000ab"

static json_object *parse(const char *text) {
    json_object *o = json_tokener_parse(text);
    assert_non_null(o);
    return o;
}

/* Extract from JSON text; returns the rc, the marking in *m, the reason in why. */
static int extract(const char *text, stix_marking *m, char *why, size_t why_len) {
    json_object *o = parse(text);
    int rc = stix_marking_extract(o, m, why, why_len);
    json_object_put(o);
    return rc;
}

static int md_tlp(const char *text) {
    json_object *o = parse(text);
    int t = stix_marking_definition_tlp(o);
    json_object_put(o);
    return t;
}

static void test_fixed_ids(void **state) {
    (void)state;
    assert_int_equal(stix_marking_tlp_of_id(TLP1_WHITE), STIX_TLP_CLEAR);
    assert_int_equal(stix_marking_tlp_of_id(TLP1_GREEN), STIX_TLP_GREEN);
    assert_int_equal(stix_marking_tlp_of_id(TLP1_AMBER), STIX_TLP_AMBER);
    assert_int_equal(stix_marking_tlp_of_id(TLP1_RED), STIX_TLP_RED);
    assert_int_equal(stix_marking_tlp_of_id(TLP2_CLEAR), STIX_TLP_CLEAR);
    assert_int_equal(stix_marking_tlp_of_id(TLP2_GREEN), STIX_TLP_GREEN);
    assert_int_equal(stix_marking_tlp_of_id(TLP2_AMBER), STIX_TLP_AMBER);
    assert_int_equal(stix_marking_tlp_of_id(TLP2_AMBER_STRICT), STIX_TLP_AMBER_STRICT);
    assert_int_equal(stix_marking_tlp_of_id(TLP2_RED), STIX_TLP_RED);
    assert_int_equal(stix_marking_tlp_of_id(OPENCTI_AMBER_STRICT), STIX_TLP_AMBER_STRICT);
    assert_int_equal(stix_marking_tlp_of_id(OTHER_MD), STIX_TLP_NONE);
    /* a mistyped TLP:WHITE id seen in the wild is not TLP:WHITE */
    assert_int_equal(stix_marking_tlp_of_id("marking-definition--613f2e26-407d-48c7-9eba-b56c171b6f0c"), STIX_TLP_NONE);
    /* ids are case-insensitive (RFC 4122 §3): upper-case hex is the same id */
    assert_int_equal(stix_marking_tlp_of_id("marking-definition--5E57C739-391A-4EB3-B6BE-7D15CA92D5ED"), STIX_TLP_RED);
    assert_int_equal(stix_marking_tlp_of_id(TLP2_RED_UC), STIX_TLP_RED);
    assert_int_equal(stix_marking_tlp_of_id("marking-definition--939A9414-2ddd-4D32-a0cd-375EA402B003"),
                     STIX_TLP_AMBER_STRICT);
    assert_int_equal(stix_marking_tlp_of_id("MARKING-DEFINITION--94868C89-83C2-464B-929B-A1A8AA3C8487"), STIX_TLP_CLEAR);
    /* but only the same id: a prefix or an extension of one is not */
    assert_int_equal(stix_marking_tlp_of_id("marking-definition--E828B379-4E03-4974-9AC4-E53A884C97C"), STIX_TLP_NONE);
    assert_int_equal(stix_marking_tlp_of_id(TLP2_RED_UC "1"), STIX_TLP_NONE);
    assert_int_equal(stix_marking_tlp_of_id(""), STIX_TLP_NONE);
    assert_int_equal(stix_marking_tlp_of_id(NULL), STIX_TLP_NONE);
}

static void test_most_restrictive_wins(void **state) {
    (void)state;
    stix_marking m;
    char why[256];
    assert_int_equal(extract(HEAD "}", &m, why, sizeof why), 0);
    assert_int_equal(m.tlp, STIX_TLP_NONE);
    assert_false(m.has_releasable_to);
    assert_int_equal(m.n_unknown, 0);

    assert_int_equal(extract(HEAD ",\"object_marking_refs\":[\"" TLP1_GREEN "\",\"" TLP2_AMBER "\",\"" TLP1_WHITE "\"]}",
                             &m, why, sizeof why), 0);
    assert_int_equal(m.tlp, STIX_TLP_AMBER);
    assert_int_equal(extract(HEAD ",\"object_marking_refs\":[\"" OPENCTI_AMBER_STRICT "\",\"" TLP1_AMBER "\"]}", &m, why,
                             sizeof why), 0);
    assert_int_equal(m.tlp, STIX_TLP_AMBER_STRICT);

    /* a granular marking counts for the whole object */
    assert_int_equal(extract(HEAD ",\"object_marking_refs\":[\"" TLP2_CLEAR "\"],\"granular_markings\":[{\"selectors\":"
                                  "[\"pattern\"],\"marking_ref\":\"" TLP2_RED "\"}]}", &m, why, sizeof why), 0);
    assert_int_equal(m.tlp, STIX_TLP_RED);
    /* a granular language marking is no data marking */
    assert_int_equal(extract(HEAD ",\"granular_markings\":[{\"selectors\":[\"pattern\"],\"lang\":\"de\"}]}", &m, why,
                             sizeof why), 0);
    assert_int_equal(m.tlp, STIX_TLP_NONE);
}

static void test_unknown_refs_kept_for_the_store(void **state) {
    (void)state;
    stix_marking m;
    char why[256];
    assert_int_equal(extract(HEAD ",\"object_marking_refs\":[\"" OTHER_MD "\",\"" TLP1_GREEN "\"],\"granular_markings\":"
                                  "[{\"selectors\":[\"pattern\"],\"marking_ref\":\"" OTHER_MD "\"}]}", &m, why, sizeof why), 0);
    assert_int_equal(m.tlp, STIX_TLP_GREEN);
    assert_int_equal(m.n_unknown, 1); /* once, though referenced twice */
    assert_string_equal(m.unknown_refs[0], OTHER_MD);

    /* ids are case-insensitive: kept in lower case, and a case variant is the same reference */
    assert_int_equal(extract(HEAD ",\"object_marking_refs\":[\"" OTHER_MD_UC "\"],\"granular_markings\":"
                                  "[{\"selectors\":[\"pattern\"],\"marking_ref\":\"" OTHER_MD "\"}]}", &m, why, sizeof why), 0);
    assert_int_equal(m.n_unknown, 1);
    assert_string_equal(m.unknown_refs[0], OTHER_MD);
}

/* An object with `count` distinct non-TLP marking references (ids ...6f00, ...6f01, ...; the
 * first `granular` of them as granular markings), plus `dups` repeats of the first in the other
 * case and the fixed TLP:RED id. */
static int extract_many(int count, int granular, int dups, stix_marking *m, char *why, size_t why_len) {
    char text[16384];
    int n = snprintf(text, sizeof text, "%s,\"object_marking_refs\":[\"%s\"", HEAD, TLP2_RED);
    for (int i = granular; i < count; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, ",\"marking-definition--4a0042fe-8b88-40fe-9600-dfa128ce%04x\"", i);
    for (int i = 0; i < dups; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, ",\"marking-definition--4A0042FE-8B88-40FE-9600-DFA128CE%04X\"", 0);
    n += snprintf(text + n, sizeof text - (size_t)n, "],\"granular_markings\":[{\"selectors\":[\"id\"],\"lang\":\"en\"}");
    for (int i = 0; i < granular; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, ",{\"selectors\":[\"pattern\"],\"marking_ref\":"
                      "\"marking-definition--4a0042fe-8b88-40fe-9600-dfa128ce%04x\"}", i);
    snprintf(text + n, sizeof text - (size_t)n, "]}");
    assert_true(strlen(text) < sizeof text - 1);
    return extract(text, m, why, why_len);
}

/* F5: more non-TLP references than the buffer holds refuse the object (any dropped one could
 * be a custom TLP:RED definition); granular markings count too, duplicates and fixed TLP ids
 * do not. */
static void test_too_many_unknown_refs_refused(void **state) {
    (void)state;
    stix_marking m;
    char why[256];
    assert_int_equal(STIX_MARKING_MAX_UNKNOWN, 32);
    /* exactly the cap: kept, every one, in order */
    assert_int_equal(extract_many(32, 0, 0, &m, why, sizeof why), 0);
    assert_int_equal(m.n_unknown, 32);
    assert_int_equal(m.tlp, STIX_TLP_RED);
    assert_string_equal(m.unknown_refs[31], "marking-definition--4a0042fe-8b88-40fe-9600-dfa128ce001f");
    /* the cap with repeats (in the other case) of one of them: still 32 distinct */
    assert_int_equal(extract_many(32, 5, 7, &m, why, sizeof why), 0);
    assert_int_equal(m.n_unknown, 32);
    /* one more, as an object marking or as a granular marking: refused, the reason says why */
    assert_int_equal(extract_many(33, 0, 0, &m, why, sizeof why), -1);
    assert_string_equal(why, "more than 32 distinct marking references that are not TLP ids");
    assert_int_equal(m.n_unknown, 0);
    assert_int_equal(extract_many(33, 1, 3, &m, why, sizeof why), -1);
    assert_non_null(strstr(why, "more than 32"));
    assert_int_equal(extract_many(33, 33, 0, &m, why, sizeof why), -1);
    assert_int_equal(extract_many(40, 20, 0, &m, why, sizeof why), -1);
}

/* F1: an upper-case TLP id marks the object (it used to fall back to unmarked, i.e. the
 * collection default). */
static void test_upper_case_ids(void **state) {
    (void)state;
    stix_marking m;
    char why[256];
    assert_int_equal(extract(HEAD ",\"object_marking_refs\":[\"" TLP2_RED_UC "\"]}", &m, why, sizeof why), 0);
    assert_int_equal(m.tlp, STIX_TLP_RED);
    assert_int_equal(m.n_unknown, 0); /* a known TLP id, not a reference for the store */
    assert_int_equal(extract(HEAD ",\"object_marking_refs\":[\"" TLP1_WHITE "\"],\"granular_markings\":[{\"selectors\":"
                                  "[\"pattern\"],\"marking_ref\":\"marking-definition--5E57C739-391A-4EB3-B6BE-7D15CA92D5ED\"}]}",
                             &m, why, sizeof why), 0);
    assert_int_equal(m.tlp, STIX_TLP_RED);
}

/* F1: the handling extension under an upper-case key is read (it used to be ignored), strictly
 * as ever; under two keys differing in case it is ambiguous. */
static void test_upper_case_handling_key(void **state) {
    (void)state;
    stix_marking m;
    char why[256];
#define EXT_UC(key, body) ",\"extensions\":{\"" key "\":{\"extension_type\":\"property-extension\"" body "}}}"
    assert_int_equal(extract(HEAD EXT_UC(HANDLING_UC, ",\"releasable_to\":[],\"orcon\":true"), &m, why, sizeof why), 0);
    assert_true(m.has_releasable_to);
    assert_string_equal(m.releasable_to, ",,");
    assert_int_equal(m.orcon, 1);
    assert_int_equal(extract(HEAD EXT_UC("extension-definition--c05bc01b-2963-4D49-A373-a33e30f35e95", ",\"vetted_only\":true"),
                             &m, why, sizeof why), 0);
    assert_int_equal(m.vetted_only, 1);
    assert_int_equal(extract(HEAD EXT_UC(HANDLING_UC, ",\"tlp\":\"red\""), &m, why, sizeof why), -1);
    assert_non_null(strstr(why, "unknown property 'tlp'"));
    /* under two keys differing in case: ambiguous, refused whichever is stricter */
    assert_int_equal(extract(HEAD ",\"extensions\":{\"" STIX_ENLACE_HANDLING_EXT "\":{\"extension_type\":\"property-extension\","
                                  "\"releasable_to\":[]},\"" HANDLING_UC "\":{\"extension_type\":\"property-extension\","
                                  "\"releasable_to\":[\"US\"]}}}", &m, why, sizeof why), -1);
    assert_non_null(strstr(why, "ambiguous"));
    assert_null(strchr(why, '\n'));
    assert_false(m.has_releasable_to);
    /* another extension next to it is no ambiguity */
    assert_int_equal(extract(HEAD ",\"extensions\":{\"" STIX_TLP2_EXT "\":{\"extension_type\":\"property-extension\"},\""
                                  HANDLING_UC "\":{\"extension_type\":\"property-extension\",\"orcon\":true}}}",
                             &m, why, sizeof why), 0);
    assert_int_equal(m.orcon, 1);
#undef EXT_UC
}

/* F1: organization ids come out in lower case, once however they are written, so that the
 * store compares them exactly. */
static void test_upper_case_org_ids(void **state) {
    (void)state;
    stix_marking m;
    char why[256];
    assert_int_equal(extract(HEAD EXT(",\"releasable_to_orgs\":[\"" ID_UC "\",\"" ID_DEA "\",\"" ID_UC_LOWER
                                      "\",\"identity--0A000000-0000-4000-8000-000000000021\"]"), &m, why, sizeof why), 0);
    assert_string_equal(m.releasable_to_orgs, "," ID_UC_LOWER "," ID_DEA ",");
}

static void test_handling_extension(void **state) {
    (void)state;
    stix_marking m;
    char why[256];
    assert_int_equal(extract(HEAD ",\"object_marking_refs\":[\"" TLP2_AMBER "\"]" EXT(
                                  ",\"releasable_to\":[\"US\",\"GT\",\"US\"],\"releasable_to_orgs\":[\"" ID_DEA "\",\"" ID_HSI
                                  "\"],\"orcon\":true,\"vetted_only\":false,\"purpose\":\"joint investigation\","
                                  "\"review_by\":\"2027-06-30T00:00:00.5Z\""),
                             &m, why, sizeof why), 0);
    assert_int_equal(m.tlp, STIX_TLP_AMBER);
    assert_true(m.has_releasable_to);
    assert_string_equal(m.releasable_to, ",US,GT,"); /* duplicates once */
    assert_int_equal(extract(HEAD EXT(",\"releasable_to\":[\"MX\",\"MX\",\"US\",\"MX\",\"US\"],\"releasable_to_orgs\":[\""
                                      ID_HSI "\",\"" ID_HSI "\"]"), &m, why, sizeof why), 0);
    assert_string_equal(m.releasable_to, ",MX,US,");
    assert_string_equal(m.releasable_to_orgs, "," ID_HSI ",");
    assert_int_equal(extract(HEAD ",\"object_marking_refs\":[\"" TLP2_AMBER "\"]" EXT(
                                  ",\"releasable_to\":[\"US\",\"GT\",\"US\"],\"releasable_to_orgs\":[\"" ID_DEA "\",\"" ID_HSI
                                  "\"],\"orcon\":true,\"vetted_only\":false,\"purpose\":\"joint investigation\","
                                  "\"review_by\":\"2027-06-30T00:00:00.5Z\""),
                             &m, why, sizeof why), 0);
    assert_true(m.has_releasable_to_orgs);
    assert_string_equal(m.releasable_to_orgs, "," ID_DEA "," ID_HSI ",");
    assert_int_equal(m.orcon, 1);
    assert_int_equal(m.vetted_only, 0);
    assert_string_equal(m.purpose, "joint investigation");
    int64_t want;
    assert_int_equal(stix_time_to_us("2027-06-30T00:00:00.5Z", &want), 0);
    assert_int_equal(m.review_by_us, want);
    assert_true(m.review_by_us > 0);

    /* an empty list is present and names nobody; absent lists stay absent */
    assert_int_equal(extract(HEAD EXT(",\"releasable_to\":[],\"vetted_only\":true"), &m, why, sizeof why), 0);
    assert_true(m.has_releasable_to);
    assert_string_equal(m.releasable_to, ",,");
    assert_false(m.has_releasable_to_orgs);
    assert_string_equal(m.releasable_to_orgs, "");
    assert_int_equal(m.vetted_only, 1);
    assert_int_equal(m.review_by_us, 0);

    /* just the extension_type: valid, nothing set */
    assert_int_equal(extract(HEAD EXT(""), &m, why, sizeof why), 0);
    assert_false(m.has_releasable_to);
    assert_int_equal(m.orcon, 0);
}

static void test_handling_extension_refused(void **state) {
    (void)state;
    static const struct {
        const char *text;
        const char *why; /* a word the reason must contain */
    } bad[] = {
        {HEAD EXT(",\"releasable_to\":[\"us\"]"), "releasable_to[0]"},
        {HEAD EXT(",\"releasable_to\":[\"USA\"]"), "releasable_to[0]"},
        {HEAD EXT(",\"releasable_to\":[\"MX\",\"U\"]"), "releasable_to[1]"},
        {HEAD EXT(",\"releasable_to\":[\"M1\"]"), "releasable_to[0]"},
        {HEAD EXT(",\"releasable_to\":[1]"), "releasable_to[0]"},
        {HEAD EXT(",\"releasable_to\":\"MX\""), "list"},
        {HEAD EXT(",\"releasable_to_orgs\":[\"malware--0a000000-0000-4000-8000-000000000021\"]"), "releasable_to_orgs[0]"},
        {HEAD EXT(",\"releasable_to_orgs\":[\"identity--not-a-uuid\"]"), "releasable_to_orgs[0]"},
        {HEAD EXT(",\"releasable_to_orgs\":[\"" ID_DEA ",\"]"), "releasable_to_orgs[0]"},
        {HEAD EXT(",\"orcon\":\"true\""), "orcon"},
        {HEAD EXT(",\"vetted_only\":1"), "vetted_only"},
        {HEAD EXT(",\"purpose\":[\"x\"]"), "purpose"},
        {HEAD EXT(",\"review_by\":\"2027-06-30\""), "review_by"},
        {HEAD EXT(",\"review_by\":\"2027-06-30T00:00:00+01:00\""), "review_by"},
        {HEAD EXT(",\"review_by\":1800000000"), "review_by"},
        {HEAD EXT(",\"review_by\":\"1970-01-01T00:00:00Z\""), "review_by"},
        {HEAD EXT(",\"tlp\":\"red\""), "unknown property 'tlp'"},
        {HEAD ",\"extensions\":{\"" STIX_ENLACE_HANDLING_EXT "\":{\"orcon\":true}}}", "extension_type"},
        {HEAD ",\"extensions\":{\"" STIX_ENLACE_HANDLING_EXT "\":{\"extension_type\":\"toplevel-property-extension\"}}}",
         "extension_type"},
        {HEAD ",\"extensions\":{\"" STIX_ENLACE_HANDLING_EXT "\":[]}}", "not an object"},
        {HEAD ",\"extensions\":{\"" STIX_ENLACE_HANDLING_EXT "\":null}}", "not an object"},
        {HEAD ",\"extensions\":{\"" HANDLING_UC "\":null}}", "not an object"},
        {HEAD ",\"extensions\":{\"" HANDLING_UC "\":{\"extension_type\":\"property-extension\"},\"" STIX_ENLACE_HANDLING_EXT
         "\":null}}", "ambiguous"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        stix_marking m;
        char why[256] = "";
        int rc = extract(bad[i].text, &m, why, sizeof why);
        if (rc != -1 || strstr(why, bad[i].why) == NULL)
            print_error("case %zu: rc %d reason \"%s\", want -1 and \"%s\"\n", i, rc, why, bad[i].why);
        assert_int_equal(rc, -1);
        assert_non_null(strstr(why, bad[i].why));
        assert_null(strchr(why, '\n'));
    }
}

static void test_handling_extension_limits(void **state) {
    (void)state;
    stix_marking m;
    char why[256];
    char text[8192];
    /* 21 org ids of 47 bytes each fit in releasable_to_orgs[1024], 22 do not: refused, not cut;
     * repeats (in either case) do not count */
    assert_int_equal(STIX_MARKING_MAX_RELEASABLE_TO_ORGS, 21);
    for (int count = 21; count <= 22; count++) {
        int n = snprintf(text, sizeof text, "%s,\"extensions\":{\"%s\":{\"extension_type\":\"property-extension\","
                         "\"releasable_to_orgs\":[", HEAD, STIX_ENLACE_HANDLING_EXT);
        for (int i = 0; i < count; i++)
            n += snprintf(text + n, sizeof text - (size_t)n, "%s\"identity--0a000000-0000-4000-8000-0000000000%02d\"",
                          i ? "," : "", i);
        for (int i = 0; i < 5; i++)
            n += snprintf(text + n, sizeof text - (size_t)n, ",\"identity--0A000000-0000-4000-8000-0000000000%02d\"", i);
        snprintf(text + n, sizeof text - (size_t)n, "]}}}");
        int rc = extract(text, &m, why, sizeof why);
        assert_int_equal(rc, count == 21 ? 0 : -1);
        if (rc == 0) assert_int_equal(strlen(m.releasable_to_orgs), 1 + 21 * 47);
        else assert_string_equal(why, "enlace handling extension: releasable_to_orgs lists more than 21 distinct "
                                      "organizations (the most enlace keeps)");
    }
    /* 84 party codes fit in releasable_to[256], 85 do not; repeats do not count */
    assert_int_equal(STIX_MARKING_MAX_RELEASABLE_TO, 84);
    for (int count = 84; count <= 85; count++) {
        int n = snprintf(text, sizeof text, "%s,\"extensions\":{\"%s\":{\"extension_type\":\"property-extension\","
                         "\"releasable_to\":[", HEAD, STIX_ENLACE_HANDLING_EXT);
        for (int i = 0; i < count; i++)
            n += snprintf(text + n, sizeof text - (size_t)n, "%s\"%c%c\"", i ? "," : "", 'A' + i / 26, 'A' + i % 26);
        n += snprintf(text + n, sizeof text - (size_t)n, ",\"AA\",\"AB\",\"AA\"");
        snprintf(text + n, sizeof text - (size_t)n, "]}}}");
        int rc = extract(text, &m, why, sizeof why);
        assert_int_equal(rc, count == 84 ? 0 : -1);
        if (rc == 0) assert_int_equal(strlen(m.releasable_to), 1 + 84 * 3);
        else assert_string_equal(why, "enlace handling extension: releasable_to lists more than 84 distinct party codes "
                                      "(the most enlace keeps)");
    }
    /* purpose: 255 bytes fit, 256 are refused */
    for (int len = 255; len <= 256; len++) {
        char purpose[300];
        memset(purpose, 'p', (size_t)len);
        purpose[len] = '\0';
        snprintf(text, sizeof text, "%s,\"extensions\":{\"%s\":{\"extension_type\":\"property-extension\",\"purpose\":\"%s\"}}}",
                 HEAD, STIX_ENLACE_HANDLING_EXT, purpose);
        assert_int_equal(extract(text, &m, why, sizeof why), len == 255 ? 0 : -1);
    }
}

static void test_marking_definition_tlp(void **state) {
    (void)state;
#define MD(id, rest) "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":\"" id "\",\"created\":" \
                     "\"2017-01-20T00:00:00.000Z\"" rest "}"
#define CUSTOM "marking-definition--0b000000-0000-4000-8000-000000000001"
    /* STIX 2.1 TLP 1.0 objects and TLP 2.0 objects */
    assert_int_equal(md_tlp(MD(TLP1_RED, ",\"definition_type\":\"tlp\",\"definition\":{\"tlp\":\"red\"}")), STIX_TLP_RED);
    assert_int_equal(md_tlp(MD(TLP2_AMBER_STRICT, ",\"name\":\"TLP:AMBER+STRICT\",\"extensions\":{\"" STIX_TLP2_EXT
                               "\":{\"extension_type\":\"property-extension\",\"tlp_2_0\":\"amber+strict\"}}")),
                     STIX_TLP_AMBER_STRICT);
    /* OpenCTI: tlp "clear" under the TLP:WHITE id */
    assert_int_equal(md_tlp(MD(TLP1_WHITE, ",\"definition_type\":\"TLP\",\"name\":\"TLP:CLEAR\",\"definition\":{\"tlp\":"
                               "\"clear\"}")), STIX_TLP_CLEAR);
    /* a fixed id wins over the body, both ways */
    assert_int_equal(md_tlp(MD(TLP1_RED, ",\"definition_type\":\"tlp\",\"definition\":{\"tlp\":\"white\"}")), STIX_TLP_RED);
    assert_int_equal(md_tlp(MD(TLP1_GREEN, ",\"definition_type\":\"statement\",\"definition\":{\"statement\":\"(c)\"}")),
                     STIX_TLP_GREEN);
    /* the override holds for a fixed id in any case (it used to be read from the body) */
    assert_int_equal(md_tlp(MD("marking-definition--5E57C739-391A-4EB3-B6BE-7D15CA92D5ED",
                               ",\"definition_type\":\"tlp\",\"definition\":{\"tlp\":\"white\"}")), STIX_TLP_RED);
    assert_int_equal(md_tlp(MD(TLP2_RED_UC, ",\"definition_type\":\"statement\",\"definition\":{\"statement\":\"x\"}")),
                     STIX_TLP_RED);
    /* the TLP 2.0 extension under an upper-case key; under two keys the most restrictive */
    assert_int_equal(md_tlp(MD(CUSTOM, ",\"extensions\":{\"extension-definition--60A3C5C5-0D10-413E-AAB3-9E08DDE9E88D\":"
                                       "{\"extension_type\":\"property-extension\",\"tlp_2_0\":\"red\"}}")), STIX_TLP_RED);
    assert_int_equal(md_tlp(MD(CUSTOM, ",\"extensions\":{\"" STIX_TLP2_EXT "\":{\"extension_type\":\"property-extension\","
                                       "\"tlp_2_0\":\"clear\"},\"extension-definition--60A3C5C5-0D10-413E-AAB3-9E08DDE9E88D\":"
                                       "{\"extension_type\":\"property-extension\",\"tlp_2_0\":\"amber\"}}")), STIX_TLP_AMBER);
    /* other ids: each encoding */
    assert_int_equal(md_tlp(MD(CUSTOM, ",\"definition_type\":\"tlp\",\"definition\":{\"tlp\":\"GREEN\"}")), STIX_TLP_GREEN);
    assert_int_equal(md_tlp(MD(CUSTOM, ",\"definition_type\":\"TLP\",\"definition\":{\"tlp\":\"TLP:AMBER+STRICT\"}")),
                     STIX_TLP_AMBER_STRICT);
    assert_int_equal(md_tlp(MD(CUSTOM, ",\"definition_type\":\"ais\",\"definition\":{\"tlp\":\"white\",\"consent\":\"everyone\"}")),
                     STIX_TLP_CLEAR);
    assert_int_equal(md_tlp(MD(CUSTOM, ",\"extensions\":{\"" STIX_TLP2_EXT "\":{\"extension_type\":\"property-extension\","
                                       "\"tlp_2_0\":\"red\"}}")), STIX_TLP_RED);
    assert_int_equal(md_tlp(MD(CUSTOM, ",\"definition_type\":\"statement\",\"definition\":{\"statement\":\"custom\"},"
                                       "\"x_opencti_definition_type\":\"TLP\",\"x_opencti_definition\":\"TLP:AMBER+STRICT\"")),
                     STIX_TLP_AMBER_STRICT);
    assert_int_equal(md_tlp(MD(CUSTOM, ",\"name\":\"tlp:amber\",\"definition_type\":\"statement\",\"definition\":"
                                       "{\"statement\":\"x\"}")), STIX_TLP_AMBER);
    /* disagreeing encodings: the most restrictive */
    assert_int_equal(md_tlp(MD(CUSTOM, ",\"name\":\"TLP:RED\",\"definition_type\":\"tlp\",\"definition\":{\"tlp\":\"green\"}")),
                     STIX_TLP_RED);
    /* not TLP */
    assert_int_equal(md_tlp(MD(CUSTOM, ",\"definition_type\":\"statement\",\"definition\":{\"statement\":\"TLP:RED\"}")),
                     STIX_TLP_NONE);
    assert_int_equal(md_tlp(MD(CUSTOM, ",\"definition_type\":\"tlp\",\"definition\":{\"tlp\":\"purple\"}")), STIX_TLP_NONE);
    assert_int_equal(md_tlp(MD(CUSTOM, ",\"name\":\"TLP:\"")), STIX_TLP_NONE);
    assert_int_equal(md_tlp(MD(CUSTOM, ",\"name\":\"Copyright TLP:RED holders\"")), STIX_TLP_NONE);
    assert_int_equal(md_tlp("{\"type\":\"indicator\",\"id\":\"" TLP1_RED "\"}"), STIX_TLP_NONE);
    assert_int_equal(md_tlp("[]"), STIX_TLP_NONE);
#undef MD
}

/* --- real data ---------------------------------------------------------------------------- */

/* Objects of a file: a bundle's objects, a JSON list, or the one object. Caller puts root. */
static json_object *objects_of(json_object *root) {
    json_object *objs;
    if (json_object_is_type(root, json_type_object) && json_object_object_get_ex(root, "objects", &objs)) return objs;
    return root;
}

static json_object *find_object(json_object *root, const char *id) {
    json_object *objs = objects_of(root);
    if (json_object_is_type(objs, json_type_object)) objs = NULL;
    size_t n = objs ? json_object_array_length(objs) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_array_get_idx(objs, i), *v;
        if (json_object_object_get_ex(o, "id", &v) && strcmp(json_object_get_string(v), id) == 0) return o;
    }
    json_object *v;
    if (json_object_object_get_ex(root, "id", &v) && strcmp(json_object_get_string(v), id) == 0) return root;
    return NULL;
}

static const char *examples_dir(char *buf, size_t len) {
    const char *src = getenv("ENLACE_SRC");
    struct stat st;
    snprintf(buf, len, "%s/data/stix21-examples", src ? src : ".");
    if (stat(buf, &st) == 0) return buf;
    snprintf(buf, len, "/work/shared/data/stix21-examples");
    if (stat(buf, &st) == 0) return buf;
    return NULL;
}

static json_object *load(const char *dir, const char *rel) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    return json_object_from_file(path);
}

static void test_oasis_examples(void **state) {
    (void)state;
    char buf[1024];
    const char *dir = examples_dir(buf, sizeof buf);
    if (dir == NULL) {
        print_message("stix21-examples absent: skipped\n");
        skip();
    }
    stix_marking m;
    char why[256];
    /* the CTI documentation's granular marking example: TLP:RED on one field makes it RED */
    json_object *root = load(dir, "oasis-cti-documentation-examples/using-granular-markings.json");
    if (root != NULL) {
        json_object *ind = find_object(root, "indicator--1ed8caa7-a708-4706-b651-f1186ede6ca1");
        assert_non_null(ind);
        assert_int_equal(stix_marking_extract(ind, &m, why, sizeof why), 0);
        assert_int_equal(m.tlp, STIX_TLP_RED);
        json_object_put(root);
    }
    /* the validator's TLP 2.0 AMBER definition */
    root = load(dir, "oasis-stix-validator-valid/tlp-amber.json");
    if (root != NULL) {
        json_object *md = find_object(root, TLP2_AMBER);
        assert_non_null(md);
        assert_int_equal(stix_marking_definition_tlp(md), STIX_TLP_AMBER);
        json_object_put(root);
    }
    /* the elevator's AIS idiom: every marked object is TLP 1.0 AMBER */
    root = load(dir, "oasis-stix-elevator-idioms-2.1/ais-marking-a-e-f.json");
    if (root != NULL) {
        json_object *objs = objects_of(root);
        int marked = 0;
        for (size_t i = 0; i < json_object_array_length(objs); i++) {
            json_object *o = json_object_array_get_idx(objs, i), *refs;
            assert_int_equal(stix_marking_extract(o, &m, why, sizeof why), 0);
            if (json_object_object_get_ex(o, "object_marking_refs", &refs)) {
                assert_int_equal(m.tlp, STIX_TLP_AMBER);
                marked++;
            } else {
                assert_int_equal(m.tlp, STIX_TLP_NONE);
            }
        }
        assert_true(marked >= 4);
        json_object_put(root);
    }
    /* the elevator's AIS marking-definition carries TLP:WHITE in definition.tlp */
    root = load(dir, "oasis-stix-slider-idioms-2.1/coa_ind_malicious_file.json");
    if (root != NULL) {
        json_object *md = find_object(root, "marking-definition--3e64bb4f-9b5c-4a39-8b7f-3dcfacda0334");
        if (md != NULL) assert_int_equal(stix_marking_definition_tlp(md), STIX_TLP_CLEAR);
        json_object_put(root);
    }
}

/* Walk every example file: each object extracts without error (none carries the enlace
 * extension), and each marking-definition with definition_type "tlp" yields a level. */
static void walk(const char *dir, int *objects, int *tlp_mds) {
    DIR *d = opendir(dir);
    if (d == NULL) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            if (strcmp(e->d_name, "invalid") != 0) walk(path, objects, tlp_mds);
            continue;
        }
        size_t nl = strlen(e->d_name);
        if (nl < 5 || strcmp(e->d_name + nl - 5, ".json") != 0) continue;
        json_object *root = json_object_from_file(path);
        if (root == NULL) continue;
        json_object *objs = objects_of(root);
        size_t n = json_object_is_type(objs, json_type_array) ? json_object_array_length(objs) : 1;
        for (size_t i = 0; i < n; i++) {
            json_object *o = json_object_is_type(objs, json_type_array) ? json_object_array_get_idx(objs, i) : objs;
            if (!json_object_is_type(o, json_type_object)) continue;
            stix_marking m;
            char why[256];
            assert_int_equal(stix_marking_extract(o, &m, why, sizeof why), 0);
            (*objects)++;
            json_object *dt;
            if (json_object_object_get_ex(o, "definition_type", &dt) && strcmp(json_object_get_string(dt), "tlp") == 0) {
                assert_int_not_equal(stix_marking_definition_tlp(o), STIX_TLP_NONE);
                (*tlp_mds)++;
            }
        }
        json_object_put(root);
    }
    closedir(d);
}

static void test_every_example_extracts(void **state) {
    (void)state;
    char buf[1024];
    const char *dir = examples_dir(buf, sizeof buf);
    if (dir == NULL) skip();
    int objects = 0, tlp_mds = 0;
    walk(dir, &objects, &tlp_mds);
    assert_true(objects > 100);
    assert_true(tlp_mds >= 1);
}

/* --- the published extension ---------------------------------------------------------------- */

static json_object *load_handling(const char *file) {
    const char *src = getenv("ENLACE_SRC");
    char path[1024];
    snprintf(path, sizeof path, "%s/data/enlace-handling/%s", src ? src : ".", file);
    json_object *o = json_object_from_file(path);
    if (o == NULL) fail_msg("cannot read %s", path);
    return o;
}

static void test_published_extension_definition(void **state) {
    (void)state;
    stix_meta meta;
    char why[256];
    json_object *def = load_handling("extension-definition.json");
    if (stix_validate(def, &meta, why, sizeof why) != 0) fail_msg("extension-definition.json: %s", why);
    assert_string_equal(meta.id, STIX_ENLACE_HANDLING_EXT);
    json_object *v;
    assert_true(json_object_object_get_ex(def, "extension_types", &v));
    assert_int_equal(json_object_array_length(v), 1);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 0)), "property-extension");
    /* it is published to everyone */
    stix_marking m;
    assert_int_equal(stix_marking_extract(def, &m, why, sizeof why), 0);
    assert_int_equal(m.tlp, STIX_TLP_CLEAR);
    /* its creator travels with it and is valid too */
    json_object *who = load_handling("identity.json");
    if (stix_validate(who, &meta, why, sizeof why) != 0) fail_msg("identity.json: %s", why);
    assert_true(json_object_object_get_ex(def, "created_by_ref", &v));
    assert_string_equal(json_object_get_string(v), meta.id);
    json_object_put(who);
    json_object_put(def);
}

/* The schema and the reader agree: every property the schema defines is accepted with a
 * value of the schema's type, and the reader knows no property the schema lacks. */
static void test_schema_matches_reader(void **state) {
    (void)state;
    static const struct {
        const char *name, *value;
    } samples[] = {
        {"extension_type", "\"property-extension\""}, {"releasable_to", "[\"MX\"]"},
        {"releasable_to_orgs", "[\"" ID_DEA "\"]"},   {"orcon", "true"},
        {"vetted_only", "true"},                      {"purpose", "\"x\""},
        {"review_by", "\"2027-01-01T00:00:00Z\""},
    };
    json_object *schema = load_handling("schema.json"), *props, *add;
    assert_true(json_object_object_get_ex(schema, "properties", &props));
    assert_true(json_object_object_get_ex(schema, "additionalProperties", &add));
    assert_false(json_object_get_boolean(add));
    size_t n_samples = sizeof samples / sizeof samples[0];
    assert_int_equal((size_t)json_object_object_length(props), n_samples);
    for (size_t i = 0; i < n_samples; i++) {
        json_object *p;
        if (!json_object_object_get_ex(props, samples[i].name, &p)) fail_msg("schema lacks %s", samples[i].name);
        char text[2048];
        snprintf(text, sizeof text, "%s,\"extensions\":{\"%s\":{\"extension_type\":\"property-extension\",\"%s\":%s}}}",
                 HEAD, STIX_ENLACE_HANDLING_EXT, samples[i].name, samples[i].value);
        stix_marking m;
        char why[256];
        if (extract(text, &m, why, sizeof why) != 0) fail_msg("%s refused: %s", samples[i].name, why);
        /* and the object carrying it is valid STIX */
        json_object *o = parse(text);
        stix_meta meta;
        if (stix_validate(o, &meta, why, sizeof why) != 0) fail_msg("%s: %s", samples[i].name, why);
        json_object_put(o);
    }
    /* the lists' limits are stated (F15): maxItems is exactly what the reader keeps */
    static const struct {
        const char *name;
        int max;
    } lists[] = {{"releasable_to", STIX_MARKING_MAX_RELEASABLE_TO}, {"releasable_to_orgs", STIX_MARKING_MAX_RELEASABLE_TO_ORGS}};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        json_object *p, *mx;
        assert_true(json_object_object_get_ex(props, lists[i].name, &p));
        if (!json_object_object_get_ex(p, "maxItems", &mx)) fail_msg("schema: %s has no maxItems", lists[i].name);
        assert_true(json_object_is_type(mx, json_type_int));
        assert_int_equal(json_object_get_int(mx), lists[i].max);
    }
    json_object_put(schema);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_ids),
        cmocka_unit_test(test_most_restrictive_wins),
        cmocka_unit_test(test_unknown_refs_kept_for_the_store),
        cmocka_unit_test(test_too_many_unknown_refs_refused),
        cmocka_unit_test(test_upper_case_ids),
        cmocka_unit_test(test_upper_case_handling_key),
        cmocka_unit_test(test_upper_case_org_ids),
        cmocka_unit_test(test_handling_extension),
        cmocka_unit_test(test_handling_extension_refused),
        cmocka_unit_test(test_handling_extension_limits),
        cmocka_unit_test(test_marking_definition_tlp),
        cmocka_unit_test(test_oasis_examples),
        cmocka_unit_test(test_every_example_extracts),
        cmocka_unit_test(test_published_extension_definition),
        cmocka_unit_test(test_schema_matches_reader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
