/* test_taxii_audit.c - the audit API's building blocks: a request's entries are one per
 * originator party (a page mixing US and MX objects gives two, each with its own objects), and
 * /enlace/v1/audit/entries shows an entry in full only to the party it is about or to whoever
 * made the request, hashes of the others; proofs and errors. */
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

#include "audit/entry.h"
#include "audit/log.h"
#include "store/audit_store.h"
#include "taxii/audit_http.h"

typedef struct fixture {
    char dir[64];
    char path[96];
    store *s;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/enlace-taudit-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->path, sizeof f->path, "%s/enlace.db", f->dir);
    enlace_err err;
    if (store_open(f->path, 1, &f->s, &err) != 0) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    store_close(f->s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) return -1;
    free(f);
    return 0;
}

static json_object *entries_of(fixture *f, const char *name, const char *party, int partner, int start, int end) {
    char a[16], b[16];
    snprintf(a, sizeof a, "%d", start);
    snprintf(b, sizeof b, "%d", end);
    taxii_param ps[2] = {{"start", a}, {"end", b}};
    taxii_audit_caller who = {name, party, partner, 0};
    taxii_audit_reply r = {0, ENLACE_BUF_INIT, NULL};
    taxii_audit_serve(f->s, "/enlace/v1/audit/entries", ps, 2, &who, &r, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.ctype, "application/json");
    json_object *o = json_tokener_parse(r.body.p);
    enlace_buf_free(&r.body);
    assert_non_null(o);
    return o;
}

/* A read that returned objects of two originator parties is two entries; the store keeps each
 * with its party, and each party sees its own in full. */
static void test_one_entry_per_originator_party(void **state) {
    fixture *f = *state;
    enlace_err err;
    taxii_audit_rec rec;
    taxii_audit_rec_init(&rec, "luis.mora", "UIN-7", "MX", AUDIT_READ, "coll-a", 1000);
    taxii_audit_rec_collection(&rec, "0d9f5d8a-coll");
    assert_int_equal(taxii_audit_rec_add(&rec, "MX", "indicator--a", "v1"), 0);
    assert_int_equal(taxii_audit_rec_add(&rec, "US", "indicator--b", "v2"), 0);
    assert_int_equal(taxii_audit_rec_add(&rec, "MX", "indicator--c", "v3"), 0);
    assert_int_equal(taxii_audit_rec_add(&rec, "US", "indicator--d", "v4"), 0);
    assert_int_equal(taxii_audit_rec_add(&rec, "GT", "indicator--e", "v5"), 0);
    assert_int_equal(taxii_audit_rec_append_tx(&rec, f->s, "MX", &err), 0);
    taxii_audit_rec_free(&rec);
    /* nothing named: one entry about the node's party, with the denial */
    taxii_audit_rec_init(&rec, "kate.doyle", "DEA", "US", AUDIT_WRITE, "coll-a", 2000);
    taxii_audit_rec_deny(&rec, "Forbidden");
    assert_int_equal(taxii_audit_rec_append_tx(&rec, f->s, "MX", &err), 0);
    taxii_audit_rec_free(&rec);

    json_object *o = entries_of(f, "luis.mora", "MX", 0, 0, 10), *arr = NULL;
    assert_true(json_object_object_get_ex(o, "entries", &arr));
    assert_int_equal(json_object_array_length(arr), 4);
    const char *want_about[4] = {"MX", "US", "GT", "MX"};
    const char *want_ids[3] = {"[[\"indicator--a\",\"v1\"],[\"indicator--c\",\"v3\"]]",
                               "[[\"indicator--b\",\"v2\"],[\"indicator--d\",\"v4\"]]", "[[\"indicator--e\",\"v5\"]]"};
    for (size_t i = 0; i < 4; i++) {
        json_object *e = json_object_array_get_idx(arr, i), *data = NULL;
        /* luis made the three reads: all his in full; kate's denial is about MX, but luis is a
         * local user, not MX's partner node: its hash only (security review F7) */
        if (i == 3) {
            assert_false(json_object_object_get_ex(e, "data", &data));
            continue;
        }
        assert_true(json_object_object_get_ex(e, "data", &data));
        audit_entry_doc d;
        assert_int_equal(audit_entry_decode(json_object_get_string(data), (size_t)json_object_get_string_len(data), &d,
                                            &err), 0);
        assert_string_equal(d.e.about, want_about[i]);
        assert_string_equal(d.e.collection, "0d9f5d8a-coll");
        assert_string_equal(d.e.decision, "allow");
        assert_non_null(strstr(json_object_get_string(data), want_ids[i]));
        audit_entry_doc_free(&d);
    }
    json_object_put(o);

    /* MX's partner node: every entry about MX in full (luis's MX read, kate's denial) */
    o = entries_of(f, "mx-node", "MX", 1, 0, 10);
    json_object_object_get_ex(o, "entries", &arr);
    for (size_t i = 0; i < 4; i++) {
        json_object *e = json_object_array_get_idx(arr, i), *data = NULL;
        int has = json_object_object_get_ex(e, "data", &data);
        assert_int_equal(has, i == 0 || i == 3);
        if (i == 3) {
            audit_entry_doc d;
            assert_int_equal(audit_entry_decode(json_object_get_string(data),
                                                (size_t)json_object_get_string_len(data), &d, &err), 0);
            assert_string_equal(d.e.decision, "deny");
            assert_string_equal(d.e.reason, "Forbidden");
            assert_int_equal(d.e.n_objects, 0);
            audit_entry_doc_free(&d);
        }
    }
    json_object_put(o);

    /* kate (US liaison): her own request only; the US partner node: the read about US objects */
    for (int partner = 0; partner <= 1; partner++) {
        o = entries_of(f, partner ? "us-node" : "kate.doyle", "US", partner, 0, 10);
        json_object_object_get_ex(o, "entries", &arr);
        int shown[4];
        for (size_t i = 0; i < 4; i++) {
            json_object *e = json_object_array_get_idx(arr, i), *lh = NULL, *idx = NULL;
            shown[i] = json_object_object_get_ex(e, "data", NULL);
            assert_true(json_object_object_get_ex(e, "leaf_hash", &lh));
            assert_true(json_object_object_get_ex(e, "index", &idx));
            assert_int_equal(json_object_get_int(idx), (int)i);
            unsigned char h[32], want[32];
            size_t n = 0;
            assert_int_equal(sodium_base642bin(h, 32, json_object_get_string(lh), (size_t)json_object_get_string_len(lh),
                                               NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL), 0);
            assert_int_equal(store_audit_node(f->s, 0, i, want, &err), 0);
            assert_memory_equal(h, want, 32);
        }
        assert_int_equal(shown[0], 0);
        assert_int_equal(shown[1], partner);
        assert_int_equal(shown[2], 0);
        assert_int_equal(shown[3], !partner);
        json_object_put(o);
    }
    /* a GT partner node sees only the GT entry */
    o = entries_of(f, "someone", "GT", 1, 0, 10);
    json_object_object_get_ex(o, "entries", &arr);
    int n_full = 0;
    for (size_t i = 0; i < 4; i++) n_full += json_object_object_get_ex(json_object_array_get_idx(arr, i), "data", NULL);
    assert_int_equal(n_full, 1);
    json_object_put(o);
}

static unsigned serve(fixture *f, const char *url, const char *k1, const char *v1, const char *k2, const char *v2,
                      char **body) {
    taxii_param ps[2] = {{k1, v1}, {k2, v2}};
    taxii_audit_caller who = {"ana.ruiz", "MX", 0, 0};
    taxii_audit_reply r = {0, ENLACE_BUF_INIT, NULL};
    taxii_audit_serve(f->s, url, ps, k1 ? (k2 ? 2 : 1) : 0, &who, &r, NULL);
    *body = enlace_buf_steal(&r.body);
    return r.status;
}

static void test_proofs_and_errors(void **state) {
    fixture *f = *state;
    enlace_err err;
    char *body = NULL;
    /* no head signed yet */
    assert_int_equal(serve(f, "/enlace/v1/audit/checkpoint", NULL, NULL, NULL, NULL, &body), 404);
    assert_non_null(strstr(body, "\"http_status\":\"404\""));
    free(body);
    for (int i = 0; i < 11; i++) {
        audit_entry e = {i, "ana.ruiz", "SSPC", "MX", AUDIT_READ, "", "MX", "allow", "", "", NULL, 0};
        assert_int_equal(audit_append_tx(f->s, &e, NULL, &err), 0);
    }
    unsigned char pk[32], sk[64];
    crypto_sign_keypair(pk, sk);
    assert_int_equal(audit_checkpoint_issue(f->s, "enlace/MX/test", sk, 1, 0, NULL, NULL, &err), 0);
    assert_int_equal(serve(f, "/enlace/v1/audit/checkpoint/", NULL, NULL, NULL, NULL, &body), 200);
    audit_checkpoint cp;
    assert_int_equal(audit_checkpoint_verify(body, strlen(body), pk, &cp, &err), 0);
    assert_int_equal(cp.size, 11);
    free(body);
    /* security review F6: a node without its key answers 503, not its last head */
    {
        taxii_audit_caller keyless = {"ana.ruiz", "MX", 0, 1};
        taxii_audit_reply r = {0, ENLACE_BUF_INIT, NULL};
        taxii_audit_serve(f->s, "/enlace/v1/audit/checkpoint", NULL, 0, &keyless, &r, NULL);
        assert_int_equal(r.status, 503);
        assert_string_equal(r.ctype, "application/json");
        assert_non_null(strstr(r.body.p, "this node has no signing key: it issues no tree heads"));
        assert_non_null(strstr(r.body.p, "\"http_status\":\"503\""));
        enlace_buf_free(&r.body);
        /* the rest of the API still answers */
        r = (taxii_audit_reply){0, ENLACE_BUF_INIT, NULL};
        taxii_param ps[2] = {{"start", "0"}, {"end", "2"}};
        taxii_audit_serve(f->s, "/enlace/v1/audit/entries", ps, 2, &keyless, &r, NULL);
        assert_int_equal(r.status, 200);
        enlace_buf_free(&r.body);
    }
    assert_int_equal(serve(f, "/enlace/v1/audit/consistency", "first", "3", "second", "11", &body), 200);
    assert_non_null(strstr(body, "\"first\":3,\"second\":11,\"proof\":["));
    free(body);
    assert_int_equal(serve(f, "/enlace/v1/audit/inclusion", "index", "10", "size", "11", &body), 200);
    assert_non_null(strstr(body, "\"index\":10,\"size\":11,\"leaf_hash\":"));
    free(body);
    static const char *const bad[][4] = {
        {"first", "0", "second", "3"},  {"first", "4", "second", "3"}, {"first", "1", "second", "12"},
        {"first", "1", NULL, NULL},     {"first", "1x", "second", "3"}, {"first", "99999999999999999999", "second", "3"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(serve(f, "/enlace/v1/audit/consistency", bad[i][0], bad[i][1], bad[i][2], bad[i][3], &body), 400);
        assert_non_null(strstr(body, "\"http_status\":\"400\""));
        free(body);
    }
    assert_int_equal(serve(f, "/enlace/v1/audit/inclusion", "index", "11", "size", "11", &body), 400);
    free(body);
    assert_int_equal(serve(f, "/enlace/v1/audit/other", NULL, NULL, NULL, NULL, &body), 404);
    free(body);
    /* entries: end clipped to the log, a page at most TAXII_AUDIT_ENTRIES_MAX */
    assert_int_equal(serve(f, "/enlace/v1/audit/entries", "start", "9", "end", "100", &body), 200);
    assert_non_null(strstr(body, "{\"size\":11,\"start\":9,\"end\":11,\"more\":false,"));
    free(body);
    assert_int_equal(serve(f, "/enlace/v1/audit/entries", "start", "20", NULL, NULL, &body), 200);
    assert_non_null(strstr(body, "\"start\":11,\"end\":11,\"more\":false,\"entries\":[]"));
    free(body);
    assert_true(taxii_audit_path("/enlace/v1/audit/entries"));
    assert_true(taxii_audit_path("/enlace/v1/audit"));
    assert_false(taxii_audit_path("/enlace/v1/auditx"));
    assert_false(taxii_audit_path("/enlace/v1/directory"));
}

/* A write's entry is about its object's originator, found whatever the case of the id (ids are
 * keyed in lower case); an unknown id has none. */
static void test_originator_lookup(void **state) {
    fixture *f = *state;
    enlace_err err;
    const char *ident = "identity--5c5c0000-1111-4222-8333-444455556607";
    assert_int_equal(store_meta_set(f->s, "party", "MX", &err), 0);
    assert_int_equal(store_meta_set(f->s, "identity_id", ident, &err), 0);
    assert_int_equal(store_org_add(f->s, ident, "SSPC", "MX", 1, "{\"type\":\"identity\"}", 1, NULL, &err), 0);
    store_collection c;
    assert_int_equal(store_collection_create(f->s, NULL, "T", NULL, NULL, &c, &err), 0);
    const char *id = "indicator--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F";
    const char *body = "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F\"}";
    store_object_in in = {.id = id, .type = "indicator", .spec_version = "2.1", .has_version = 1,
                          .version = "2026-01-01T00:00:00.000Z", .version_key = "2026-01-01T00:00:00",
                          .body = body, .body_len = strlen(body), .md_tlp = -1};
    store_put_outcome out;
    assert_int_equal(store_put_objects(f->s, c.rowid, NULL, &in, 1, 10, &out, &err), 0);
    assert_int_equal(out.result, STORE_ADDED);
    char party[3];
    assert_int_equal(store_audit_originator(f->s, id, party, &err), 0);
    assert_string_equal(party, "MX");
    assert_int_equal(store_audit_originator(f->s, "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", party, &err), 0);
    assert_string_equal(party, "MX");
    assert_int_equal(store_audit_originator(f->s, "indicator--00000000-17d4-4cbf-938f-98ee46b3cd3f", party, &err), 0);
    assert_string_equal(party, "");
}

int main(void) {
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_one_entry_per_originator_party, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proofs_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_originator_lookup, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
