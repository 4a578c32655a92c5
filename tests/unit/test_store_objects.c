/* test_store_objects.c - object versions in the store: date_added order, first/last flags,
 * spec-version rule, duplicates and conflicts, unversioned SCOs, filters, paging, deletion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/internal.h"
#include "store/store.h"
#include "test_store_node.h"

#define MAXROWS 4096

typedef struct got_row {
    char id[128];
    char version[64];
    char spec[8];
    int64_t date_added;
    char body[512];
} got_row;

typedef struct fixture {
    char dir[64];
    char path[96];
    store *s;
    int64_t coll;
    policy_principal p;      /* the node's own organization: sees everything (rule 1) */
    got_row rows[MAXROWS];
    size_t n;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/enlace-store-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->path, sizeof f->path, "%s/node.db", f->dir);
    enlace_err err;
    store_collection c;
    if (store_open(f->path, 1, &f->s, &err) != 0) return -1;
    int64_t org = test_node_init(f->s, "MX", "SSPC");
    if (!org) return -1;
    f->p = test_principal(POLICY_USER, org, "SSPC", "MX", "MX");
    if (store_collection_create(f->s, NULL, "Test", NULL, NULL, &c, &err) != 0) return -1;
    f->coll = c.rowid;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    store_close(f->s);
    if (test_remove_dir(f->dir) != 0) return -1;
    free(f);
    return 0;
}

/* An indicator-like object; its body records the spec and version so tests can tell rows apart. */
typedef struct obj {
    char body[512];
    char key[64];
    char version[64];
    store_object_in in;
} obj;

static void mkobj(obj *o, const char *id, const char *spec, const char *modified, const char *name) {
    memset(o, 0, sizeof *o);
    snprintf(o->body, sizeof o->body,
             "{\"type\":\"indicator\",\"spec_version\":\"%s\",\"id\":\"%s\","
             "\"created\":\"2020-01-01T00:00:00.000Z\",\"modified\":\"%s\",\"name\":\"%s\"}",
             spec, id, modified, name);
    test_key_of(modified, o->key, sizeof o->key);
    snprintf(o->version, sizeof o->version, "%s", modified);
    o->in.id = id;
    o->in.type = "indicator";
    o->in.spec_version = spec;
    o->in.has_version = 1;
    o->in.version = o->version;
    o->in.version_key = o->key;
    o->in.body = o->body;
    o->in.body_len = strlen(o->body);
}

/* Forget every tombstone (a test that deletes the same id several times). */
static void untombstone(fixture *f) {
    assert_int_equal(sqlite3_exec(store_sqlite(f->s), "DELETE FROM tombstone", NULL, NULL, NULL), SQLITE_OK);
}

static store_put_outcome put1(fixture *f, const store_object_in *in, int64_t now_us) {
    enlace_err err;
    store_put_outcome out;
    assert_int_equal(store_put_objects(f->s, f->coll, NULL, in, 1, now_us, &out, &err), 0);
    return out;
}

static int collect(void *ctx, const store_row *r) {
    fixture *f = ctx;
    if (f->n >= MAXROWS) return 1;
    got_row *g = &f->rows[f->n++];
    snprintf(g->id, sizeof g->id, "%s", r->id);
    snprintf(g->version, sizeof g->version, "%s", r->version);
    snprintf(g->spec, sizeof g->spec, "%s", r->spec_version);
    g->date_added = r->date_added;
    snprintf(g->body, sizeof g->body, "%.*s", (int)r->body_len, r->body);
    return 0;
}

/* Run q and collect its rows into f->rows; returns *more. */
static int run(fixture *f, store_query q) {
    enlace_err err;
    int more = -1;
    q.coll_rowid = f->coll;
    q.principal = &f->p;
    if (!q.limit) q.limit = MAXROWS - 1;
    f->n = 0;
    assert_int_equal(store_query_objects(f->s, &q, collect, f, &more, &err), 0);
    return more;
}

static const store_query Q0 = {.after_us = -1};

#define ID_A "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
#define ID_B "indicator--26ffb872-1dd9-446e-b6f5-d58527e5b5d2"
#define ID_C "indicator--b8f8b7e0-52d0-4e6a-8d1a-2ad3b3e54f6a"

static void test_date_added_strictly_increasing(void **state) {
    fixture *f = *state;
    enlace_err err;
    /* a fixed clock: every new version still gets a distinct, increasing date_added, also
     * across envelopes and within one */
    static obj objs[300];
    static char ids[300][80];
    for (int i = 0; i < 300; i++) {
        snprintf(ids[i], sizeof ids[i], "indicator--00000000-0000-4000-8000-%012d", i);
        mkobj(&objs[i], ids[i], "2.1", "2021-01-01T00:00:00.000Z", "n");
    }
    store_object_in in[100];
    store_put_outcome outs[100];
    const int64_t now = 1700000000000000LL;
    for (int e = 0; e < 3; e++) {
        for (int i = 0; i < 100; i++) in[i] = objs[e * 100 + i].in;
        assert_int_equal(store_put_objects(f->s, f->coll, NULL, in, 100, now, outs, &err), 0);
        for (int i = 0; i < 100; i++) {
            assert_int_equal(outs[i].result, STORE_ADDED);
            assert_int_equal(outs[i].date_added, now + e * 100 + i);
        }
    }
    /* a clock that goes backwards does not break the order either */
    obj late;
    mkobj(&late, ID_A, "2.1", "2021-01-01T00:00:00.000Z", "n");
    store_put_outcome o = put1(f, &late.in, now - 5000000);
    assert_int_equal(o.date_added, now + 300);
    /* and a later clock is used as is */
    mkobj(&late, ID_B, "2.1", "2021-01-01T00:00:00.000Z", "n");
    o = put1(f, &late.in, now + 10000000);
    assert_int_equal(o.date_added, now + 10000000);
    /* the counter survives reopening */
    store_close(f->s);
    assert_int_equal(store_open(f->path, 0, &f->s, &err), 0);
    mkobj(&late, ID_C, "2.1", "2021-01-01T00:00:00.000Z", "n");
    o = put1(f, &late.in, now);
    assert_int_equal(o.date_added, now + 10000001);
    assert_int_equal(run(f, Q0), 0);
    assert_int_equal(f->n, 303);
    for (size_t i = 1; i < f->n; i++) assert_true(f->rows[i].date_added > f->rows[i - 1].date_added);
}

static void test_first_last_out_of_order(void **state) {
    fixture *f = *state;
    obj v1, v2, v3;
    mkobj(&v1, ID_A, "2.1", "2021-01-01T00:00:00.000Z", "v1");
    mkobj(&v2, ID_A, "2.1", "2021-02-01T00:00:00.000Z", "v2");
    mkobj(&v3, ID_A, "2.1", "2021-03-01T00:00:00.000Z", "v3");
    put1(f, &v2.in, 10);
    put1(f, &v1.in, 20);
    put1(f, &v3.in, 30);

    store_query q = Q0;
    assert_int_equal(run(f, q), 0); /* default: last */
    assert_int_equal(f->n, 1);
    assert_string_equal(f->rows[0].version, "2021-03-01T00:00:00.000Z");
    q.version_flags = STORE_V_FIRST;
    run(f, q);
    assert_int_equal(f->n, 1);
    assert_string_equal(f->rows[0].version, "2021-01-01T00:00:00.000Z");
    q.version_flags = STORE_V_FIRST | STORE_V_LAST;
    run(f, q);
    assert_int_equal(f->n, 2);
    assert_string_equal(f->rows[0].version, "2021-01-01T00:00:00.000Z"); /* date_added 20 */
    assert_string_equal(f->rows[1].version, "2021-03-01T00:00:00.000Z");
    q.version_flags = STORE_V_ALL;
    run(f, q);
    assert_int_equal(f->n, 3);
    assert_string_equal(f->rows[0].version, "2021-02-01T00:00:00.000Z"); /* date_added order */

    /* delete the last version: v2 becomes last; delete the first: v2 is also first */
    enlace_err err;
    size_t nd = 0;
    const char *k3[] = {v3.key};
    store_query d = {.principal = &f->p, .coll_rowid = f->coll, .object_id = ID_A, .version_keys = k3, .n_version_keys = 1};
    assert_int_equal(store_delete_object(f->s, &d, &nd, &err), 0);
    assert_int_equal(nd, 1);
    run(f, Q0);
    assert_int_equal(f->n, 1);
    assert_string_equal(f->rows[0].version, "2021-02-01T00:00:00.000Z");
    d.version_keys = NULL;
    d.n_version_keys = 0;
    d.version_flags = STORE_V_FIRST;
    assert_int_equal(store_delete_object(f->s, &d, &nd, &err), 0);
    assert_int_equal(nd, 1);
    q.version_flags = STORE_V_FIRST;
    run(f, q);
    assert_int_equal(f->n, 1);
    assert_string_equal(f->rows[0].version, "2021-02-01T00:00:00.000Z");
    /* nothing left to match */
    assert_int_equal(store_delete_object(f->s, &d, &nd, &err), 0);
    assert_int_equal(store_delete_object(f->s, &d, &nd, &err), ENLACE_ENOTFOUND);
    assert_int_equal(nd, 0);
    int64_t count = -1;
    assert_int_equal(store_count_objects(f->s, f->coll, &count, &err), 0);
    assert_int_equal(count, 0);
}

static void test_delete_all_versions(void **state) {
    fixture *f = *state;
    enlace_err err;
    obj a1, a2, b1;
    mkobj(&a1, ID_A, "2.1", "2021-01-01T00:00:00.000Z", "a1");
    mkobj(&a2, ID_A, "2.0", "2022-01-01T00:00:00.000Z", "a2");
    mkobj(&b1, ID_B, "2.1", "2021-01-01T00:00:00.000Z", "b1");
    put1(f, &a1.in, 1);
    put1(f, &a2.in, 2);
    put1(f, &b1.in, 3);
    size_t nd = 0;
    store_query d = {.principal = &f->p, .coll_rowid = f->coll, .object_id = ID_A};
    assert_int_equal(store_delete_object(f->s, &d, &nd, &err), 0); /* no filter: every version */
    assert_int_equal(nd, 2);
    /* issue 5: an id with no version left on the node leaves a tombstone; it is never taken in
     * again (the rest of this test clears it to go on deleting the same id) */
    int dead = 0;
    assert_int_equal(store_is_tombstoned(f->s, ID_A, &dead, &err), 0);
    assert_int_equal(dead, 1);
    assert_int_equal(put1(f, &a1.in, 4).result, STORE_REFUSED);
    untombstone(f);
    /* match[version]=all without a spec filter also reaches every spec (then GET is 404) */
    put1(f, &a1.in, 4);
    put1(f, &a2.in, 5);
    d.version_flags = STORE_V_ALL;
    assert_int_equal(store_delete_object(f->s, &d, &nd, &err), 0);
    assert_int_equal(nd, 2);
    untombstone(f);
    /* a timestamp without a spec filter deletes that version even when it is not the top spec;
     * last means the version GET shows */
    put1(f, &a1.in, 6);
    put1(f, &a2.in, 7);
    const char *k20[] = {a2.key};
    d.version_flags = 0;
    d.version_keys = k20;
    d.n_version_keys = 1;
    assert_int_equal(store_delete_object(f->s, &d, &nd, &err), 0);
    assert_int_equal(nd, 1);
    put1(f, &a2.in, 8);
    d.version_keys = NULL;
    d.n_version_keys = 0;
    d.version_flags = STORE_V_LAST;
    assert_int_equal(store_delete_object(f->s, &d, &nd, &err), 0);
    assert_int_equal(nd, 1);
    run(f, (store_query){.after_us = -1, .object_id = ID_A}); /* only 2.0 is left, now the top */
    assert_int_equal(f->n, 1);
    assert_string_equal(f->rows[0].spec, "2.0");
    d.version_flags = 0;
    assert_int_equal(store_delete_object(f->s, &d, &nd, &err), 0);
    store_query q = Q0;
    q.version_flags = STORE_V_ALL;
    const char *specs[] = {"2.0", "2.1"};
    q.spec_versions = specs;
    q.n_spec = 2;
    run(f, q);
    assert_int_equal(f->n, 1);
    assert_string_equal(f->rows[0].id, ID_B);
}

static void test_spec_version_rule(void **state) {
    fixture *f = *state;
    obj a21, a20;
    /* a 2.1 version, then a NEWER 2.0 version of the same id */
    mkobj(&a21, ID_A, "2.1", "2021-01-01T00:00:00.000Z", "a21");
    mkobj(&a20, ID_A, "2.0", "2022-01-01T00:00:00.000Z", "a20");
    put1(f, &a21.in, 1);
    put1(f, &a20.in, 2);

    store_query q = Q0;
    run(f, q); /* only the latest spec counts: the 2.1 version */
    assert_int_equal(f->n, 1);
    assert_string_equal(f->rows[0].spec, "2.1");
    q.version_flags = STORE_V_ALL; /* all versions, still only of the latest spec */
    run(f, q);
    assert_int_equal(f->n, 1);
    assert_string_equal(f->rows[0].spec, "2.1");

    const char *s20[] = {"2.0"};
    q = Q0;
    q.spec_versions = s20;
    q.n_spec = 1;
    run(f, q);
    assert_int_equal(f->n, 1);
    assert_string_equal(f->rows[0].spec, "2.0");

    const char *both[] = {"2.0", "2.1"};
    q.spec_versions = both;
    q.n_spec = 2;
    q.version_flags = STORE_V_LAST;
    run(f, q); /* newest overall */
    assert_int_equal(f->n, 1);
    assert_string_equal(f->rows[0].version, "2022-01-01T00:00:00.000Z");
    assert_string_equal(f->rows[0].spec, "2.0");
    q.version_flags = STORE_V_FIRST;
    run(f, q);
    assert_int_equal(f->n, 1);
    assert_string_equal(f->rows[0].spec, "2.1");
    q.version_flags = STORE_V_ALL;
    run(f, q);
    assert_int_equal(f->n, 2);
    /* a spec version nobody has matches nothing */
    const char *s22[] = {"2.2"};
    q = Q0;
    q.spec_versions = s22;
    q.n_spec = 1;
    run(f, q);
    assert_int_equal(f->n, 0);
}

static void test_duplicate_and_conflict(void **state) {
    fixture *f = *state;
    enlace_err err;
    obj a, same, reordered, other;
    mkobj(&a, ID_A, "2.1", "2021-01-01T00:00:00.000Z", "a");
    put1(f, &a.in, 100);
    /* byte-equal */
    same = a;
    same.in.body = same.body;
    same.in.version = same.version;
    same.in.version_key = same.key;
    store_put_outcome o = put1(f, &same.in, 200);
    assert_int_equal(o.result, STORE_DUPLICATE);
    assert_int_equal(o.date_added, 100);
    assert_string_equal(o.version, "2021-01-01T00:00:00.000Z");
    /* equal as JSON: other member order and whitespace; and the same instant spelled with more
     * fraction digits is the same version */
    mkobj(&reordered, ID_A, "2.1", "2021-01-01T00:00:00.000000Z", "a");
    snprintf(reordered.body, sizeof reordered.body,
             "{ \"name\":\"a\", \"id\":\"%s\", \"type\":\"indicator\", \"spec_version\":\"2.1\","
             "\"modified\":\"2021-01-01T00:00:00.000Z\", \"created\":\"2020-01-01T00:00:00.000Z\" }",
             ID_A);
    reordered.in.body_len = strlen(reordered.body);
    o = put1(f, &reordered.in, 300);
    assert_int_equal(o.result, STORE_DUPLICATE);
    assert_string_equal(o.version, "2021-01-01T00:00:00.000000Z"); /* the producer's string */
    /* different body, same version */
    mkobj(&other, ID_A, "2.1", "2021-01-01T00:00:00.000Z", "b");
    o = put1(f, &other.in, 400);
    assert_int_equal(o.result, STORE_CONFLICT);
    assert_string_equal(o.reason, "a different object is already stored under this id and version");
    int64_t count;
    assert_int_equal(store_count_objects(f->s, f->coll, &count, &err), 0);
    assert_int_equal(count, 1);
    run(f, Q0);
    assert_int_equal(f->n, 1);
    assert_string_equal(f->rows[0].body, a.body); /* the stored text is unchanged */

    /* within one envelope: new, duplicate of it, conflicting copy of it, another new */
    obj b, b_dup, b_bad, c;
    mkobj(&b, ID_B, "2.1", "2021-05-05T00:00:00.000Z", "b");
    b_dup = b;
    b_dup.in.body = b_dup.body;
    b_dup.in.version = b_dup.version;
    b_dup.in.version_key = b_dup.key;
    mkobj(&b_bad, ID_B, "2.1", "2021-05-05T00:00:00.000Z", "not b");
    mkobj(&c, ID_C, "2.1", "2021-05-05T00:00:00.000Z", "c");
    store_object_in in[4] = {b.in, b_dup.in, b_bad.in, c.in};
    store_put_outcome outs[4];
    assert_int_equal(store_put_objects(f->s, f->coll, NULL, in, 4, 500, outs, &err), 0);
    assert_int_equal(outs[0].result, STORE_ADDED);
    assert_int_equal(outs[1].result, STORE_DUPLICATE);
    assert_int_equal(outs[1].date_added, outs[0].date_added);
    assert_int_equal(outs[2].result, STORE_CONFLICT);
    assert_int_equal(outs[3].result, STORE_ADDED);
    assert_int_equal(outs[3].date_added, outs[0].date_added + 1);
    assert_int_equal(store_count_objects(f->s, f->coll, &count, &err), 0);
    assert_int_equal(count, 3);
}

static void test_sco_without_timestamps(void **state) {
    fixture *f = *state;
    enlace_err err;
    const char *id = "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd";
    char body[160], body2[160];
    snprintf(body, sizeof body, "{\"type\":\"ipv4-addr\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"value\":\"198.51.100.3\"}", id);
    snprintf(body2, sizeof body2, "{\"type\":\"ipv4-addr\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"value\":\"198.51.100.4\"}", id);
    store_object_in in = {.id = id, .type = "ipv4-addr", .spec_version = "2.1", .has_version = 0,
                          .body = body, .body_len = strlen(body)};
    /* 2026-11-29T10:00:00.5Z */
    const int64_t t0 = 1795946400500000LL;
    store_put_outcome o = put1(f, &in, t0);
    assert_int_equal(o.result, STORE_ADDED);
    assert_string_equal(o.version, "2026-11-29T10:00:00.500000Z");
    /* re-posting later is a duplicate keyed by the first copy's date_added */
    o = put1(f, &in, t0 + 5000000);
    assert_int_equal(o.result, STORE_DUPLICATE);
    assert_string_equal(o.version, "2026-11-29T10:00:00.500000Z");
    assert_int_equal(o.date_added, t0);
    /* a different body under that id is a conflict, not a new version */
    in.body = body2;
    in.body_len = strlen(body2);
    o = put1(f, &in, t0 + 6000000);
    assert_int_equal(o.result, STORE_CONFLICT);
    int64_t count;
    assert_int_equal(store_count_objects(f->s, f->coll, &count, &err), 0);
    assert_int_equal(count, 1);
    /* listed with that version, and matched by it as a timestamp (normalized key) */
    run(f, Q0);
    assert_int_equal(f->n, 1);
    assert_string_equal(f->rows[0].version, "2026-11-29T10:00:00.500000Z");
    const char *k[] = {"2026-11-29T10:00:00.5"};
    store_query q = Q0;
    q.version_keys = k;
    q.n_version_keys = 1;
    run(f, q);
    assert_int_equal(f->n, 1);
    const char *k2[] = {"2026-11-29T10:00:00.6"};
    q.version_keys = k2;
    run(f, q);
    assert_int_equal(f->n, 0);
}

static void test_paging_every_row_once(void **state) {
    fixture *f = *state;
    enlace_err err;
    /* 50 ids with 1-3 versions each, inserted interleaved */
    static obj objs[150];
    static char ids[50][80];
    size_t n = 0;
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 50; i++) {
            if (round > i % 3) continue;
            snprintf(ids[i], sizeof ids[i], "indicator--00000000-0000-4000-8000-%012d", i);
            char mod[40];
            snprintf(mod, sizeof mod, "2021-0%d-01T00:00:00.000Z", round + 1);
            mkobj(&objs[n++], ids[i], "2.1", mod, "x");
        }
    assert_int_equal(n, 50 + 33 + 16);
    for (size_t i = 0; i < n; i += 7) {
        store_object_in in[7];
        store_put_outcome outs[7];
        size_t k = n - i < 7 ? n - i : 7;
        for (size_t j = 0; j < k; j++) in[j] = objs[i + j].in;
        assert_int_equal(store_put_objects(f->s, f->coll, NULL, in, k, 1000, outs, &err), 0);
    }
    unsigned modes[] = {0, STORE_V_ALL, STORE_V_FIRST};
    size_t expect[] = {50, n, 50};
    for (int m = 0; m < 3; m++) {
        store_query q = Q0;
        q.version_flags = modes[m];
        run(f, q);
        assert_int_equal(f->n, expect[m]);
        got_row all[160];
        memcpy(all, f->rows, f->n * sizeof all[0]);
        size_t total = f->n;
        for (size_t limit = 1; limit <= 11; limit += 5) {
            size_t seen = 0;
            int64_t after = -1;
            for (;;) {
                q.after_us = after;
                q.limit = limit;
                int more = run(f, q);
                assert_true(f->n <= limit);
                for (size_t i = 0; i < f->n; i++) {
                    assert_string_equal(f->rows[i].id, all[seen + i].id);
                    assert_string_equal(f->rows[i].version, all[seen + i].version);
                }
                seen += f->n;
                /* more is exact: set exactly when rows remain */
                assert_int_equal(more, seen < total);
                if (!more) break;
                after = f->rows[f->n - 1].date_added;
            }
            assert_int_equal(seen, total);
        }
    }
}

static void test_match_id_type_version(void **state) {
    fixture *f = *state;
    enlace_err err;
    obj a1, a2, b1, m1;
    mkobj(&a1, ID_A, "2.1", "2021-01-01T00:00:00.000Z", "a1");
    mkobj(&a2, ID_A, "2.1", "2021-01-02T00:00:00.123Z", "a2");
    mkobj(&b1, ID_B, "2.1", "2021-01-01T00:00:00.000Z", "b1");
    mkobj(&m1, "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b", "2.1", "2021-01-03T00:00:00.000Z", "m");
    m1.in.type = "malware";
    store_object_in in[4] = {a1.in, a2.in, b1.in, m1.in};
    store_put_outcome outs[4];
    assert_int_equal(store_put_objects(f->s, f->coll, NULL, in, 4, 1, outs, &err), 0);

    store_query q = Q0;
    const char *ids[] = {ID_B, ID_A};
    q.ids = ids;
    q.n_ids = 2;
    run(f, q);
    assert_int_equal(f->n, 2);
    assert_string_equal(f->rows[0].body, a2.body); /* date_added order, last versions */
    assert_string_equal(f->rows[1].body, b1.body);

    const char *types[] = {"malware", "tool"};
    q = Q0;
    q.types = types;
    q.n_types = 2;
    run(f, q);
    assert_int_equal(f->n, 1);
    assert_string_equal(f->rows[0].id, "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b");

    /* timestamps match version_key exactly; combined with a type filter (AND) */
    const char *keys[] = {"2021-01-01T00:00:00", "2021-01-02T00:00:00.123"};
    q = Q0;
    q.version_keys = keys;
    q.n_version_keys = 2;
    run(f, q);
    assert_int_equal(f->n, 3);
    const char *ind[] = {"indicator"};
    q.types = ind;
    q.n_types = 1;
    q.n_version_keys = 1;
    run(f, q);
    assert_int_equal(f->n, 2);
    assert_string_equal(f->rows[0].body, a1.body);
    assert_string_equal(f->rows[1].body, b1.body);
    /* timestamp OR first */
    const char *k2[] = {"2021-01-02T00:00:00.123"};
    q = Q0;
    q.object_id = ID_A;
    q.version_keys = k2;
    q.n_version_keys = 1;
    q.version_flags = STORE_V_FIRST;
    run(f, q);
    assert_int_equal(f->n, 2);
    /* one object's versions, and an id the collection lacks */
    q = Q0;
    q.object_id = ID_A;
    q.version_flags = STORE_V_ALL;
    run(f, q);
    assert_int_equal(f->n, 2);
    q.object_id = ID_C;
    run(f, q);
    assert_int_equal(f->n, 0);
    /* after_us narrows the object's versions too */
    q.object_id = ID_A;
    q.after_us = outs[0].date_added;
    run(f, q);
    assert_int_equal(f->n, 1);
    assert_string_equal(f->rows[0].body, a2.body);
}

static void test_collections_are_separate(void **state) {
    fixture *f = *state;
    enlace_err err;
    store_collection other;
    assert_int_equal(store_collection_create(f->s, NULL, "Other", NULL, NULL, &other, &err), 0);
    obj a;
    mkobj(&a, ID_A, "2.1", "2021-01-01T00:00:00.000Z", "a");
    store_put_outcome o;
    assert_int_equal(store_put_objects(f->s, other.rowid, NULL, &a.in, 1, 5, &o, &err), 0);
    assert_int_equal(o.result, STORE_ADDED);
    o = put1(f, &a.in, 5); /* the same version in another collection is new here */
    assert_int_equal(o.result, STORE_ADDED);
    assert_int_equal(o.date_added, 5); /* each collection has its own date_added sequence */
    assert_int_equal(store_put_objects(f->s, 9999, NULL, &a.in, 1, 5, &o, &err), ENLACE_ENOTFOUND);
}

/* store_status_fn for the tests: the status names the outcome it was built from. */
typedef struct status_ctx {
    int calls;
    int fail;            /* return this code instead of building */
    char json[128];
} status_ctx;

static int build_status(void *ctx, const store_put_outcome *outs, size_t n, const char **json) {
    status_ctx *c = ctx;
    c->calls++;
    if (c->fail) return c->fail;
    snprintf(c->json, sizeof c->json, "{\"n\":%zu,\"first\":%d}", n, (int)outs[0].result);
    *json = c->json;
    return 0;
}

/* The status is written in the envelope's transaction, built from the outcomes; a failing
 * builder keeps nothing of the envelope. */
static void test_put_with_status(void **state) {
    fixture *f = *state;
    enlace_err err;
    obj a, b;
    mkobj(&a, ID_A, "2.1", "2021-01-01T00:00:00.000Z", "a");
    mkobj(&b, ID_B, "2.1", "2021-01-01T00:00:00.000Z", "b");
    store_put_outcome o;
    status_ctx c = {0};
    assert_int_equal(store_put_objects_status(f->s, f->coll, NULL, &a.in, 1, 5, &o, "st-1", 7, build_status, &c, &err), 0);
    assert_int_equal(c.calls, 1);
    char *json = NULL;
    assert_int_equal(store_status_get(f->s, "st-1", 7, 6, 100, &json, &err), 0);
    assert_string_equal(json, "{\"n\":1,\"first\":0}");
    free(json);

    status_ctx bad = {.fail = ENLACE_ENOMEM};
    assert_int_equal(store_put_objects_status(f->s, f->coll, NULL, &b.in, 1, 6, &o, "st-2", 7, build_status, &bad, &err),
                     ENLACE_ENOMEM);
    assert_int_equal(store_status_get(f->s, "st-2", 7, 7, 100, &json, &err), ENLACE_ENOTFOUND);
    run(f, Q0);
    assert_int_equal(f->n, 1);  /* b was rolled back with the status */
    assert_string_equal(f->rows[0].body, a.body);
}

/* Reads inside a read transaction work; a write inside one fails cleanly; ending twice is fine. */
static void test_read_transaction(void **state) {
    fixture *f = *state;
    enlace_err err;
    obj a;
    mkobj(&a, ID_A, "2.1", "2021-01-01T00:00:00.000Z", "a");
    put1(f, &a.in, 5);
    assert_int_equal(store_read_begin(f->s, &err), 0);
    assert_int_not_equal(store_read_begin(f->s, &err), 0);
    run(f, Q0);
    assert_int_equal(f->n, 1);
    store_put_outcome o;
    assert_int_not_equal(store_put_objects(f->s, f->coll, NULL, &a.in, 1, 6, &o, &err), 0);
    assert_int_equal(store_read_end(f->s, &err), 0);
    assert_int_equal(store_read_end(f->s, &err), 0);
    assert_int_equal(store_put_objects(f->s, f->coll, NULL, &a.in, 1, 6, &o, &err), 0);
    assert_int_equal(o.result, STORE_DUPLICATE);
}

/* A consumer that stops: the query reports it and the statement is reusable afterwards. */
static int stop_now(void *ctx, const store_row *r) {
    (void)ctx;
    (void)r;
    return 1;
}

static void test_consumer_stop(void **state) {
    fixture *f = *state;
    enlace_err err;
    obj a;
    mkobj(&a, ID_A, "2.1", "2021-01-01T00:00:00.000Z", "a");
    put1(f, &a.in, 5);
    store_query q = Q0;
    q.coll_rowid = f->coll;
    q.principal = &f->p;
    q.limit = 10;
    int more = 0;
    assert_int_equal(store_query_objects(f->s, &q, stop_now, NULL, &more, &err), ENLACE_EIO);
    run(f, Q0);
    assert_int_equal(f->n, 1);
    q.limit = 0;
    assert_int_equal(store_query_objects(f->s, &q, stop_now, NULL, &more, &err), ENLACE_EINVAL);
    /* no principal: no read at all (issue 3 must-have 1: no path around the decision) */
    q.limit = 10;
    q.principal = NULL;
    assert_int_equal(store_query_objects(f->s, &q, stop_now, NULL, &more, &err), ENLACE_EINVAL);
    store_query d = {.coll_rowid = f->coll, .object_id = ID_A};
    size_t nd = 0;
    assert_int_equal(store_delete_object(f->s, &d, &nd, &err), ENLACE_EINVAL);
    run(f, Q0);
    assert_int_equal(f->n, 1);
}

/* Regression: adding a version cost O(versions) row work (O(n^2) flag recomputation), so one
 * envelope of 10 000 versions of one id held the write lock for minutes. Now each insert updates
 * only the rows that lose a flag; check the flags stay right over many versions, inserted out of
 * order within one envelope, across two spec versions. */
static void test_many_versions_one_envelope(void **state) {
    fixture *f = *state;
    enum { N = 3000 };
    obj *o = calloc(N, sizeof *o);
    store_object_in *in = calloc(N, sizeof *in);
    store_put_outcome *out = calloc(N, sizeof *out);
    assert_non_null(o);
    assert_non_null(in);
    assert_non_null(out);
    for (int i = 0; i < N; i++) {
        /* a permutation of 0..N-1 (7 is prime to N), so versions arrive out of order; versions
         * 2000.. are STIX 2.0 ones, the newest of which is the newest overall */
        int v = (i * 7) % N;
        char ts[40];
        snprintf(ts, sizeof ts, "2020-01-01T00:00:%02d.%06dZ", v / 1000000, v % 1000000);
        mkobj(&o[i], ID_A, v >= 2000 ? "2.0" : "2.1", ts, "v");
        in[i] = o[i].in;
    }
    enlace_err err;
    assert_int_equal(store_put_objects(f->s, f->coll, NULL, in, N, 100, out, &err), 0);
    for (int i = 0; i < N; i++) assert_int_equal(out[i].result, STORE_ADDED);

    store_query q = Q0; /* default: last of the latest spec (2.1) */
    run(f, q);
    assert_int_equal(f->n, 1);
    assert_string_equal(f->rows[0].version, "2020-01-01T00:00:00.001999Z");
    q.version_flags = STORE_V_FIRST;
    run(f, q);
    assert_int_equal(f->n, 1);
    assert_string_equal(f->rows[0].version, "2020-01-01T00:00:00.000000Z");
    const char *s20[] = {"2.0"}, *both[] = {"2.0", "2.1"};
    q.spec_versions = s20;
    q.n_spec = 1;
    q.version_flags = STORE_V_FIRST | STORE_V_LAST;
    run(f, q);
    assert_int_equal(f->n, 2);
    q.spec_versions = both;
    q.n_spec = 2;
    q.version_flags = STORE_V_LAST;
    run(f, q);
    assert_int_equal(f->n, 1);
    assert_string_equal(f->rows[0].version, "2020-01-01T00:00:00.002999Z");
    q.version_flags = STORE_V_ALL;
    run(f, q);
    assert_int_equal(f->n, N);
    free(o);
    free(in);
    free(out);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_date_added_strictly_increasing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_last_out_of_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_all_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spec_version_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_and_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sco_without_timestamps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paging_every_row_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_match_id_type_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_collections_are_separate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_consumer_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_with_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_versions_one_envelope, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
