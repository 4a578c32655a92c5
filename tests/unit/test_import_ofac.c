/* test_import_ofac.c - the OFAC SDN importer (issue 5 must-have 5): UUIDv5 ids, the committed
 * slice of both list dates (counts, every object valid STIX 2.1, deterministic ids shared between
 * the dates), odd records warned about with their line number, random bytes never crashing, and,
 * when ../shared/data/ofac-sdn is present, the full 2021 set and the 2024 sdn.csv. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import/ofac.h"
#include "import/uuid5.h"
#include "stix/validate.h"

#define TLP_CLEAR "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
#define AUTHOR "identity--31222f85-9832-43b3-9f73-89de101719b2"

static char slice_dir[1024], full_dir[1024];

/* Warnings collected: "file:line: msg" lines. */
typedef struct warns {
    char text[65536];
    size_t n;
} warns;

static void collect(void *ctx, const char *file, size_t line, const char *msg) {
    warns *w = ctx;
    size_t len = strlen(w->text);
    snprintf(w->text + len, sizeof w->text - len, "%s:%zu: %s\n", file, line, msg);
    w->n++;
}

static const char *NARCOTICS[] = {"SDNTK", "ILLICIT-DRUGS-EO14059"};

static int run(const char *sdn, const char *add, const char *alt, const char *date, ofac_result *r, warns *w) {
    ofac_options o = {NARCOTICS, 2, date, TLP_CLEAR, AUTHOR};
    enlace_err err;
    if (w) memset(w, 0, sizeof *w);
    return ofac_import(sdn, add, alt, &o, w ? collect : NULL, w, r, &err);
}

/* Every object is valid STIX 2.1 (stix_validate), with no warnings of the validator; returns
 * the count by type through the pointers. */
static void check_valid(const ofac_result *r) {
    for (size_t i = 0; i < r->n; i++) {
        json_object *o = json_tokener_parse(r->objects[i]);
        assert_non_null(o);
        stix_meta m;
        char reason[512] = "";
        if (stix_validate(o, &m, reason, sizeof reason) != 0) fail_msg("%s: %s", r->objects[i], reason);
        assert_string_equal(m.spec_version, "2.1");
        json_object_put(o);
    }
    assert_int_equal(r->n, r->individuals + r->entities + r->locations + r->threat_actors + r->relationships);
}

/* The object whose "id" is id, or NULL. */
static json_object *find_obj(const ofac_result *r, const char *id) {
    for (size_t i = 0; i < r->n; i++)
        if (strstr(r->objects[i], id)) {
            json_object *o = json_tokener_parse(r->objects[i]), *v;
            if (o && json_object_object_get_ex(o, "id", &v) && strcmp(json_object_get_string(v), id) == 0) return o;
            json_object_put(o);
        }
    return NULL;
}

static int has_id(const ofac_result *r, const char *id) {
    json_object *o = find_obj(r, id);
    json_object_put(o);
    return o != NULL;
}

static void test_uuid5(void **state) {
    (void)state;
    char u[37];
    /* RFC 9562 / Python uuid.uuid5(NAMESPACE_DNS, "python.org") */
    assert_int_equal(import_uuid5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "python.org", 10, u), 0);
    assert_string_equal(u, "886313e1-3b8a-5372-9b90-0c9aee199e5d");
    assert_int_equal(import_uuid5("not-a-uuid", "x", 1, u), -1);
    assert_int_equal(import_uuid5("6ba7b810-9dad-11d1-80b4-00c04fd430c", "x", 1, u), -1);
    assert_int_equal(import_uuid5("6ba7b810x9dad-11d1-80b4-00c04fd430c8", "x", 1, u), -1);
}

static void path(char *out, size_t n, const char *dir, const char *file) { snprintf(out, n, "%s/%s", dir, file); }

static void test_slice_2021(void **state) {
    (void)state;
    char sdn[1100], add[1100], alt[1100];
    path(sdn, sizeof sdn, slice_dir, "2021-04/sdn.csv");
    path(add, sizeof add, slice_dir, "2021-04/add.csv");
    path(alt, sizeof alt, slice_dir, "2021-04/alt.csv");
    ofac_result r, again;
    static warns w;
    assert_int_equal(run(sdn, add, alt, "2021-04-25", &r, &w), 0);
    /* PROVENANCE.md: 714 rows, 430 individuals, 284 entities, one address per entity */
    assert_int_equal(r.individuals, 430);
    assert_int_equal(r.entities, 284);
    assert_int_equal(r.locations, 284);
    assert_int_equal(r.threat_actors, 8);
    assert_int_equal(r.relationships, 694);
    assert_int_equal(r.skipped_rows, 0);
    check_valid(&r);
    /* only the three remarks cut at 1,000 characters leave a Linked To unresolved */
    assert_int_equal(w.n, 3);
    assert_non_null(strstr(w.text, "sdn.csv:278: ent_num 12300: Linked To: PROMO RAI"));
    /* deterministic: the same files give the same bytes */
    assert_int_equal(run(sdn, add, alt, "2021-04-25", &again, NULL), 0);
    assert_int_equal(again.n, r.n);
    for (size_t i = 0; i < r.n; i++) assert_string_equal(again.objects[i], r.objects[i]);
    ofac_result_free(&again);
    /* SINALOA CARTEL (ent_num 11440): identity + threat-actor under UUIDv5 ids, aliases from
     * alt.csv and remarks, TLP and author as asked */
    json_object *id = find_obj(&r, "identity--bf0c9de5-8c5e-51fb-b4db-be35ce8f4cf8"), *v;
    assert_non_null(id);
    assert_true(json_object_object_get_ex(id, "name", &v));
    assert_string_equal(json_object_get_string(v), "SINALOA CARTEL");
    assert_true(json_object_object_get_ex(id, "identity_class", &v));
    assert_string_equal(json_object_get_string(v), "organization");
    assert_true(json_object_object_get_ex(id, "created_by_ref", &v));
    assert_string_equal(json_object_get_string(v), AUTHOR);
    assert_true(json_object_object_get_ex(id, "object_marking_refs", &v));
    assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 0)), TLP_CLEAR);
    assert_true(json_object_object_get_ex(id, "x_ofac_aliases", &v));
    assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 0)), "ALLIANCE");
    assert_true(json_object_object_get_ex(id, "external_references", &v));
    assert_non_null(strstr(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), "\"external_id\":\"11440\""));
    json_object_put(id);
    json_object *ta = find_obj(&r, "threat-actor--dae7c298-31d6-58e1-88fc-f45d39fd8e7d");
    assert_non_null(ta);
    assert_true(json_object_object_get_ex(ta, "threat_actor_types", &v));
    assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 0)), "crime-syndicate");
    json_object_put(ta);
    /* an individual: DOB and POB parsed out of the remarks */
    char iid[80], u[37];
    import_uuid5("73f9bb21-454e-4e93-8258-c4968d1658dd", "ofac-sdn:6707:identity", 22, u);
    snprintf(iid, sizeof iid, "identity--%s", u);
    json_object *ind = find_obj(&r, iid);
    assert_non_null(ind);
    assert_true(json_object_object_get_ex(ind, "name", &v));
    assert_string_equal(json_object_get_string(v), "CARO QUINTERO, Rafael");
    assert_true(json_object_object_get_ex(ind, "identity_class", &v));
    assert_string_equal(json_object_get_string(v), "individual");
    assert_true(json_object_object_get_ex(ind, "x_ofac_dob", &v));
    assert_int_equal(json_object_array_length(v), 3);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 0)), "12 Dec 1952");
    assert_true(json_object_object_get_ex(ind, "x_ofac_pob", &v));
    assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 0)), "Mexico");
    json_object_put(ind);
    /* a location: country as ISO 3166-1 alpha-2 */
    size_t mx = 0;
    for (size_t i = 0; i < r.n; i++)
        if (strncmp(r.objects[i], "{\"type\":\"location\"", 18) == 0 && strstr(r.objects[i], "\"country\":\"MX\"")) mx++;
    assert_true(mx > 200);
    ofac_result_free(&r);
}

static void test_slice_2024_same_ids(void **state) {
    (void)state;
    char sdn21[1100], sdn24[1100];
    path(sdn21, sizeof sdn21, slice_dir, "2021-04/sdn.csv");
    path(sdn24, sizeof sdn24, slice_dir, "2024-05-03/sdn.csv");
    ofac_result a, b;
    assert_int_equal(run(sdn21, NULL, NULL, "2021-04-25", &a, NULL), 0);
    assert_int_equal(run(sdn24, NULL, NULL, "2024-05-03", &b, NULL), 0);
    assert_int_equal(b.individuals, 522);
    assert_int_equal(b.entities, 263);
    assert_int_equal(b.locations, 0);
    check_valid(&b);
    /* an ent_num in both lists has one id in both: the identity of SINALOA CARTEL */
    assert_true(has_id(&a, "identity--bf0c9de5-8c5e-51fb-b4db-be35ce8f4cf8"));
    assert_true(has_id(&b, "identity--bf0c9de5-8c5e-51fb-b4db-be35ce8f4cf8"));
    /* and the 2024 identities of ent_nums also in 2021 have the 2021 ids */
    size_t shared = 0;
    for (size_t i = 0; i < b.n; i++) {
        if (strncmp(b.objects[i], "{\"type\":\"identity\"", 18) != 0) continue;
        const char *p = strstr(b.objects[i], "\"id\":\"");
        assert_non_null(p);
        char id[64];
        snprintf(id, sizeof id, "%.46s", p + 6);
        for (size_t k = 0; k < a.n; k++)
            if (strstr(a.objects[k], id)) {
                shared++;
                break;
            }
    }
    /* 596 ent_nums are in both slices, 189 only in 2024 */
    assert_int_equal(shared, 596);
    ofac_result_free(&a);
    ofac_result_free(&b);
}

/* ---- odd records ---------------------------------------------------------------------------- */

static char tmpdir[256];

static void write_file(const char *name, const char *data, size_t len, char *out, size_t n) {
    snprintf(out, n, "%s/%s", tmpdir, name);
    FILE *f = fopen(out, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void test_odd_records(void **state) {
    (void)state;
    static const char sdn[] =
        "100,\"GOOD CARTEL\",-0- ,\"SDNTK\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"a.k.a. 'GC'.\"\r\n"           /* 1 */
        "101,\"SHORT ROW\",\"individual\",\"SDNTK\"\r\n"                                                      /* 2 */
        "102,\"STRAY \"QUOTE\",\"individual\",\"SDNTK\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"           /* 3 */
        "103,-0- ,\"individual\",\"SDNTK\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"                       /* 4 */
        "abc,\"BAD NUMBER\",-0- ,\"SDNTK\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"                      /* 5 */
        "104,\"CAF\xc3\x89 NI\xd1O\",-0- ,\"SDNTK\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"             /* 6 */
        "100,\"REPEATED\",-0- ,\"SDNTK\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"                        /* 7 */
        "105,\"LINKER, Ana\",\"individual\",\"SDNTK\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"
        "\"DOB 01 Jan 1970; Linked To: GOOD CARTEL; Linked To: NOBODY S.A.; Linked To: OTHER PROGRAM.\"\r\n"   /* 8 */
        "106,\"OTHER PROGRAM\",-0- ,\"SDGT\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"                    /* 9 */
        "107,\"EXTRA, Fields\",\"individual\",\"SDNTK\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"x\"\r\n"   /* 10 */
        "108,\"UNTERMINATED\r\n"                                                                              /* 11 */
        "\r\n"                                                                                                /* 12 */
        "\x1a";
    static const char add[] = "100,1,\"Calle 1\",\"Culiacan, Sinaloa\",\"Mexico\",-0- \r\n"
                              "100,2,\"Calle 2\",\"Somewhere\",-0- ,-0- \r\n"
                              "999,3,-0- ,-0- ,\"Mexico\",-0- \r\n"
                              "100,4,-0- ,\"Atlantis\",\"Atlantis\",-0- \r\n";
    static const char alt[] = "100,1,\"aka\",\"GOOD ORGANIZATION\",-0- \r\n100,2,\"aka\",-0- ,-0- \r\nx,y\r\n";
    char sp[512], ap[512], lp[512];
    write_file("sdn.csv", sdn, sizeof sdn - 1, sp, sizeof sp);
    write_file("add.csv", add, sizeof add - 1, ap, sizeof ap);
    write_file("alt.csv", alt, sizeof alt - 1, lp, sizeof lp);
    ofac_result r;
    static warns w;
    assert_int_equal(run(sp, ap, lp, "2024-01-31", &r, &w), 0);
    check_valid(&r);
    const char *expect[] = {
        "sdn.csv:2: 4 fields, expected 12",
        "sdn.csv:3: stray or unbalanced quote",
        "sdn.csv:4: ent_num 103 has no name; row skipped",
        "sdn.csv:5: ent_num 'abc' is not a positive number; row skipped",
        "sdn.csv:6: control bytes or ill-formed UTF-8 replaced",
        "sdn.csv:7: ent_num 100 repeats line 1; row skipped",
        "sdn.csv:8: ent_num 105: Linked To: NOBODY S.A.: no row of that name",
        "sdn.csv:8: ent_num 105: Linked To: OTHER PROGRAM.: not among the rows imported",
        "sdn.csv:10: 13 fields, expected 12",
        "sdn.csv:11: stray or unbalanced quote",
        "add.csv:2: address 2 of ent_num 100 has no country",
        "add.csv:3: ent_num 999 is not in the sdn file",
        "alt.csv:2: alias of ent_num 100 has no name",
        "alt.csv:3: ent_num is not a positive number",
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++)
        if (!strstr(w.text, expect[i])) fail_msg("missing warning '%s' in:\n%s", expect[i], w.text);
    /* kept: 100 (cartel: identity + threat-actor), 101 and 102 (read as far as they go), 104,
     * 105, 107; 103 and abc skipped, the repeat skipped; 106 is of another program and 108, cut
     * short, has none */
    assert_int_equal(r.individuals, 4);
    assert_int_equal(r.entities, 2);
    assert_int_equal(r.threat_actors, 1);
    assert_int_equal(r.skipped_rows, 2);
    /* locations: Culiacan (MX) and Atlantis (name kept as the country); relationships: two
     * located-at, attributed-to, one Linked To */
    assert_int_equal(r.locations, 2);
    assert_int_equal(r.relationships, 4);
    int atl = 0;
    for (size_t i = 0; i < r.n; i++) atl += strstr(r.objects[i], "\"country\":\"Atlantis\"") != NULL;
    assert_int_equal(atl, 1);
    ofac_result_free(&r);
    /* bad options and missing files are errors, not crashes */
    enlace_err err;
    ofac_options o = {NARCOTICS, 2, "2024-02-30", NULL, NULL};
    assert_int_equal(ofac_import(sp, NULL, NULL, &o, NULL, NULL, &r, &err), ENLACE_EINVAL);
    o.list_date = "2024-02-03";
    assert_int_equal(ofac_import("/nonexistent/sdn.csv", NULL, NULL, &o, NULL, NULL, &r, &err), ENLACE_EIO);
    /* an empty file gives nothing */
    write_file("empty.csv", "", 0, sp, sizeof sp);
    assert_int_equal(ofac_import(sp, NULL, NULL, &o, NULL, NULL, &r, &err), 0);
    assert_int_equal(r.n, 0);
    ofac_result_free(&r);
}

/* What a warning quotes from the file comes out as printable ASCII: other bytes as \xNN
 * (well-formed UTF-8 such as U+202E or U+0085 survives the CSV reader's cleaning). */
static void test_warning_escaped(void **state) {
    (void)state;
    static const char sdn[] =
        "\xe2\x80\xae\xc2\x85" "9,\"JUNK\",-0- ,\"SDNTK\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"
        "110,\"OK\",-0- ,\"SDNTK\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"Linked To: N\xc3\x89.\"\r\n";
    char sp[512];
    write_file("esc.csv", sdn, sizeof sdn - 1, sp, sizeof sp);
    ofac_result r;
    static warns w;
    assert_int_equal(run(sp, NULL, NULL, "2024-01-31", &r, &w), 0);
    if (!strstr(w.text, "esc.csv:1: ent_num '\\xe2\\x80\\xae\\xc2\\x859' is not a positive number"))
        fail_msg("unescaped or missing warning:\n%s", w.text);
    if (!strstr(w.text, "Linked To: N\\xc3\\x89.")) fail_msg("unescaped or missing warning:\n%s", w.text);
    for (const unsigned char *p = (const unsigned char *)w.text; *p; p++)
        if ((*p < 0x20 && *p != '\n') || *p >= 0x7f) fail_msg("byte 0x%02x in warnings:\n%s", *p, w.text);
    ofac_result_free(&r);
}

/* The cartel rule: only entities of narcotics / transnational-crime programs become threat
 * actors, whatever their name says; gang names without a company's comma count. */
static void test_cartel_rule(void **state) {
    (void)state;
    static const char sdn[] =
        "200,\"ATOMIC ENERGY ORGANIZATION OF IRAN\",-0- ,\"NPWMD] [IFSR\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"
        "201,\"LOS ZETAS\",-0- ,\"SDNTK] [TCO\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"
        "202,\"LOS ALAMOS TRADING, S.A.\",-0- ,\"SDNTK\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"
        "203,\"CARTEL, Juan\",\"individual\",\"SDNTK\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"
        "204,\"LA EMPRESA\",-0- ,\"ILLICIT-DRUGS-EO14059\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"
        "\"Target Type Criminal Organization; a.k.a. 'LE'.\"\r\n"
        "205,\"NORTE HOLDINGS\",-0- ,\"SDNTK\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"a.k.a. 'NORTH CARTEL'.\"\r\n\x1a";
    char sp[512];
    write_file("sdn.csv", sdn, sizeof sdn - 1, sp, sizeof sp);
    ofac_options o = {NULL, 0, "2024-01-31", NULL, NULL};  /* every program */
    ofac_result r;
    enlace_err err;
    assert_int_equal(ofac_import(sp, NULL, NULL, &o, NULL, NULL, &r, &err), 0);
    check_valid(&r);
    assert_int_equal(r.threat_actors, 3);  /* 201, 204, 205 */
    char id[80], u[37];
    const long want[] = {201, 204, 205}, not[] = {200, 202, 203};
    for (size_t i = 0; i < 3; i++) {
        snprintf(id, sizeof id, "ofac-sdn:%ld:threat-actor", want[i]);
        import_uuid5("73f9bb21-454e-4e93-8258-c4968d1658dd", id, strlen(id), u);
        snprintf(id, sizeof id, "threat-actor--%s", u);
        assert_true(has_id(&r, id));
        snprintf(id, sizeof id, "ofac-sdn:%ld:threat-actor", not[i]);
        import_uuid5("73f9bb21-454e-4e93-8258-c4968d1658dd", id, strlen(id), u);
        snprintf(id, sizeof id, "threat-actor--%s", u);
        assert_false(has_id(&r, id));
    }
    ofac_result_free(&r);
}

/* Random bytes and random mutations of real rows: never a crash (run under ASan by scripts/test),
 * and whatever is built is valid STIX. */
static void test_fuzz(void **state) {
    (void)state;
    char src[1100];
    path(src, sizeof src, slice_dir, "2021-04/sdn.csv");
    FILE *f = fopen(src, "rb");
    assert_non_null(f);
    static char base[8192];
    size_t blen = fread(base, 1, sizeof base, f);
    fclose(f);
    static char buf[8192];
    char sp[512], ap[512];
    for (int round = 0; round < 300; round++) {
        size_t len;
        if (round % 3 == 0) {
            len = randombytes_uniform(4096);
            randombytes_buf(buf, len);
        } else {
            len = blen;
            memcpy(buf, base, len);
            for (int k = 0; k < 1 + round % 40; k++) {
                size_t at = randombytes_uniform((uint32_t)len);
                static const char pick[] = "\",;\r\n\x1a\0-0 '.\xff\xc3";
                buf[at] = randombytes_uniform(2) ? pick[randombytes_uniform(sizeof pick - 1)] : (char)randombytes_random();
            }
        }
        write_file("fuzz-sdn.csv", buf, len, sp, sizeof sp);
        write_file("fuzz-add.csv", buf, len / 2, ap, sizeof ap);
        ofac_result r;
        assert_int_equal(run(sp, ap, sp, "2021-04-25", &r, NULL), 0);
        check_valid(&r);
        ofac_result_free(&r);
    }
}

/* ---- the full files, when present ------------------------------------------------------------- */

static int exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

static void test_full_sets(void **state) {
    (void)state;
    char sdn[1100], add[1100], alt[1100], sdn24[1100];
    path(sdn, sizeof sdn, full_dir, "2021-04-complete-set/sdn.csv");
    path(add, sizeof add, full_dir, "2021-04-complete-set/add.csv");
    path(alt, sizeof alt, full_dir, "2021-04-complete-set/alt.csv");
    path(sdn24, sizeof sdn24, full_dir, "2024-05-03-sdn-only/sdn.csv");
    if (!exists(sdn) || !exists(add) || !exists(alt) || !exists(sdn24)) {
        printf("[   SKIP   ] %s not present: the full-list checks are skipped\n", full_dir);
        skip();
    }
    ofac_result a, b;
    static warns w;
    assert_int_equal(run(sdn, add, alt, "2021-04-25", &a, &w), 0);
    /* ../shared/data/ofac-sdn/PROVENANCE.md: SDNTK 1,813 rows in 2021, one of them an aircraft
     * (N200VR), which is no identity; 8,890 rows in all */
    assert_int_equal(a.individuals + a.entities, 1813 - 1);
    assert_int_equal(a.individuals + a.entities + a.skipped_rows, 8890);
    assert_true(a.locations > 3000);
    assert_true(a.threat_actors >= 30);
    check_valid(&a);
    /* the only odd records of a clean list: addresses without a country, Linked To names cut
     * short by the 1,000-character remarks limit */
    for (char *p = w.text; *p;) {
        char *e = strchr(p, '\n');
        if (!strstr(p, "has no country") && !strstr(p, "Linked To:")) fail_msg("unexpected warning: %.*s", (int)(e - p), p);
        p = e + 1;
    }
    assert_int_equal(run(sdn24, NULL, NULL, "2024-05-03", &b, NULL), 0);
    /* narcotics rows in 2024: 1,714 (SDNTK 1,439, ILLICIT-DRUGS 293, 18 both), the same aircraft */
    assert_int_equal(b.individuals + b.entities, 1714 - 1);
    assert_int_equal(b.individuals + b.entities + b.skipped_rows, 14965);
    check_valid(&b);
    /* the same designations keep their ids across the list dates */
    assert_true(has_id(&a, "identity--bf0c9de5-8c5e-51fb-b4db-be35ce8f4cf8"));
    assert_true(has_id(&b, "identity--bf0c9de5-8c5e-51fb-b4db-be35ce8f4cf8"));
    assert_true(has_id(&b, "threat-actor--dae7c298-31d6-58e1-88fc-f45d39fd8e7d"));
    ofac_result_free(&a);
    ofac_result_free(&b);
}

static int setup(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_import_ofac.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state) {
    (void)state;
    const char *names[] = {"sdn.csv", "add.csv", "alt.csv", "empty.csv", "fuzz-sdn.csv", "fuzz-add.csv"};
    char p[512];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", tmpdir, names[i]);
        unlink(p);
    }
    rmdir(tmpdir);
    return 0;
}

int main(void) {
    if (sodium_init() < 0) return 1;
    const char *src = getenv("ENLACE_SRC");
    if (!src) src = ".";
    snprintf(slice_dir, sizeof slice_dir, "%s/data/ofac-sdn", src);
    const char *full = getenv("ENLACE_OFAC_FULL");
    if (full) snprintf(full_dir, sizeof full_dir, "%s", full);
    else snprintf(full_dir, sizeof full_dir, "%s/../shared/data/ofac-sdn", src);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uuid5),
        cmocka_unit_test(test_slice_2021),
        cmocka_unit_test(test_slice_2024_same_ids),
        cmocka_unit_test(test_odd_records),
        cmocka_unit_test(test_warning_escaped),
        cmocka_unit_test(test_cartel_rule),
        cmocka_unit_test(test_fuzz),
        cmocka_unit_test(test_full_sets),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
