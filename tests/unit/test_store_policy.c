/* test_store_policy.c - originator control in the store (issue 3): originator rules on put,
 * marking resolution, the "latest version too" rule, delete rights, review and purge with
 * tombstones, the query plans under the predicate, and a property test that the query
 * predicate and policy_visible agree on random principals and objects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stix/id.h"
#include "store/internal.h"
#include "store/store.h"
#include "test_store_node.h"

#define NOW 1000000000LL /* the tests' clock, microseconds */

typedef struct fixture {
    char dir[64];
    char path[96];
    store *s;
    int64_t coll, coll2;
    int64_t sspc, uin7, fgr, dea, usnode, gtnode;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/enlace-policy-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->path, sizeof f->path, "%s/node.db", f->dir);
    enlace_err err;
    if (store_open(f->path, 1, &f->s, &err) != 0) return -1;
    if (!(f->sspc = test_node_init(f->s, "MX", "SSPC"))) return -1;
    f->uin7 = test_org(f->s, "MX", "UIN-7", 1);
    f->fgr = test_org(f->s, "MX", "FGR", 1);
    f->dea = test_org(f->s, "US", "DEA", 0);
    f->usnode = test_org(f->s, "US", "US-NODE", 0);
    f->gtnode = test_org(f->s, "GT", "GT-NODE", 0);
    if (!f->uin7 || !f->fgr || !f->dea || !f->usnode || !f->gtnode) return -1;
    store_collection c;
    if (store_collection_create(f->s, NULL, "Shared", NULL, NULL, &c, &err) != 0) return -1;
    f->coll = c.rowid;
    if (store_collection_create(f->s, NULL, "Other", NULL, NULL, &c, &err) != 0) return -1;
    f->coll2 = c.rowid;
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

/* ---- objects ---------------------------------------------------------------------------------- */

typedef struct obj {
    char id[80];
    char type[40];
    char body[512];
    char version[40];
    char key[40];
    char cbr[POLICY_IDENTITY_LEN];
    stix_marking mk;
    store_object_in in;
} obj;

/* An object; tlp STIX_TLP_NONE = unmarked (marking NULL). */
static void mkobj(obj *o, const char *id, const char *modified, int tlp, const char *created_by_ref) {
    memset(o, 0, sizeof *o);
    snprintf(o->id, sizeof o->id, "%s", id);
    snprintf(o->type, sizeof o->type, "%.*s", (int)(strstr(id, "--") - id), id);
    snprintf(o->version, sizeof o->version, "%s", modified);
    test_key_of(modified, o->key, sizeof o->key);
    snprintf(o->body, sizeof o->body, "{\"type\":\"%s\",\"id\":\"%s\",\"modified\":\"%s\"}", o->type, id, modified);
    o->mk.tlp = tlp;
    o->in = (store_object_in){.id = o->id, .type = o->type, .spec_version = "2.1", .has_version = 1,
                              .version = o->version, .version_key = o->key, .body = o->body,
                              .body_len = strlen(o->body), .marking = tlp == STIX_TLP_NONE ? NULL : &o->mk,
                              .md_tlp = STIX_TLP_NONE};
    if (created_by_ref) {
        snprintf(o->cbr, sizeof o->cbr, "%s", created_by_ref);
        o->in.created_by_ref = o->cbr;
    }
}

/* Re-point in's internal pointers after obj was copied. */
static void fix(obj *o) {
    o->in.id = o->id;
    o->in.type = o->type;
    o->in.version = o->version;
    o->in.version_key = o->key;
    o->in.body = o->body;
    if (o->in.marking) o->in.marking = &o->mk;
    if (o->in.created_by_ref) o->in.created_by_ref = o->cbr;
}

static store_put_outcome put_as(fixture *f, int64_t coll, int64_t org, int from_partner, obj *o) {
    enlace_err err;
    store_put_outcome out;
    store_actor a = {.org_rowid = org, .from_partner = from_partner};
    fix(o);
    assert_int_equal(store_put_objects(f->s, coll, org ? &a : NULL, &o->in, 1, NOW, &out, &err), 0);
    return out;
}

/* What a principal gets from a query. */
typedef struct seen {
    size_t n;
    char ids[64][80];
    char versions[64][40];
    int64_t orig_org[64];
    char orig_party[64][POLICY_PARTY_LEN];
    int more;
} seen;

static int see(void *ctx, const store_row *r) {
    seen *g = ctx;
    if (g->n >= 64) return 1;
    snprintf(g->ids[g->n], sizeof g->ids[0], "%s", r->id);
    snprintf(g->versions[g->n], sizeof g->versions[0], "%s", r->version);
    g->orig_org[g->n] = r->orig_org;
    snprintf(g->orig_party[g->n], POLICY_PARTY_LEN, "%s", r->orig_party);
    assert_true(r->rowid > 0);
    g->n++;
    return 0;
}

static seen query(fixture *f, int64_t coll, const policy_principal *p, unsigned vflags, const char *object_id) {
    seen g;
    memset(&g, 0, sizeof g);
    enlace_err err;
    store_query q = {.coll_rowid = coll, .after_us = -1, .version_flags = vflags, .object_id = object_id,
                     .limit = 60, .principal = p};
    assert_int_equal(store_query_objects(f->s, &q, see, &g, &g.more, &err), 0);
    return g;
}

static int has(const seen *g, const char *id) {
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->ids[i], id) == 0) return 1;
    return 0;
}

#define ID_A "indicator--0a000000-0000-4000-8000-000000000001"
#define ID_B "indicator--0b000000-0000-4000-8000-000000000002"
#define ID_C "indicator--0c000000-0000-4000-8000-000000000003"
#define ID_D "indicator--0d000000-0000-4000-8000-000000000004"
#define ID_E "indicator--0e000000-0000-4000-8000-000000000005"
#define ID_F "indicator--0f000000-0000-4000-8000-000000000006"
#define ID_G "indicator--10000000-0000-4000-8000-000000000007"
#define ID_H "indicator--11000000-0000-4000-8000-000000000008"
#define MITRE "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"
/* the one refusal text for an id that is not open to the writer (F4) */
#define REFUSED_TEXT "this id is not open to you: it belongs to another organization or was withdrawn"
#define T1 "2021-01-01T00:00:00.000Z"
#define T2 "2021-02-01T00:00:00.000Z"
#define T3 "2021-03-01T00:00:00.000Z"

static const char *ident(const char *name) {
    static char buf[4][POLICY_IDENTITY_LEN];
    static int k;
    char *b = buf[k++ % 4];
    test_identity_of(name, b);
    return b;
}

/* ---- originator rules ------------------------------------------------------------------------ */

static void test_originator_rules(void **state) {
    fixture *f = *state;
    enlace_err err;
    obj o;
    /* the first version fixes the originator; only it adds versions, in any collection */
    mkobj(&o, ID_A, T1, STIX_TLP_CLEAR, NULL);
    assert_int_equal(put_as(f, f->coll, f->sspc, 0, &o).result, STORE_ADDED);
    mkobj(&o, ID_A, T2, STIX_TLP_CLEAR, NULL);
    store_put_outcome out = put_as(f, f->coll, f->uin7, 0, &o);
    assert_int_equal(out.result, STORE_REFUSED);
    assert_string_equal(out.reason, REFUSED_TEXT);
    assert_string_equal(out.version, T2);
    assert_int_equal(put_as(f, f->coll2, f->uin7, 0, &o).result, STORE_REFUSED);
    /* re-posting the originator's own version as someone else is refused, not a duplicate */
    mkobj(&o, ID_A, T1, STIX_TLP_CLEAR, NULL);
    assert_int_equal(put_as(f, f->coll, f->uin7, 0, &o).result, STORE_REFUSED);
    mkobj(&o, ID_A, T2, STIX_TLP_CLEAR, NULL);
    assert_int_equal(put_as(f, f->coll, f->sspc, 0, &o).result, STORE_ADDED);
    assert_int_equal(put_as(f, f->coll2, 0, 0, &o).result, STORE_ADDED); /* actor NULL: the node's org */

    /* no one speaks for another agency; the rest of the envelope is kept */
    obj env[2];
    mkobj(&env[0], ID_B, T1, STIX_TLP_CLEAR, ident("SSPC"));
    mkobj(&env[1], ID_C, T1, STIX_TLP_CLEAR, ident("UIN-7"));
    fix(&env[0]);
    fix(&env[1]);
    store_object_in in[2] = {env[0].in, env[1].in};
    store_put_outcome outs[2];
    store_actor uin = {.org_rowid = f->uin7};
    assert_int_equal(store_put_objects(f->s, f->coll, &uin, in, 2, NOW, outs, &err), 0);
    assert_int_equal(outs[0].result, STORE_REFUSED);
    assert_non_null(strstr(outs[0].reason, "another organization"));
    assert_int_equal(outs[1].result, STORE_ADDED);
    /* an outside author (not an organization of the exchange): the poster originates it */
    mkobj(&o, ID_D, T1, STIX_TLP_CLEAR, MITRE);
    assert_int_equal(put_as(f, f->coll, f->uin7, 0, &o).result, STORE_ADDED);
    /* a local writer may not post as a known organization of another party either */
    mkobj(&o, ID_E, T1, STIX_TLP_CLEAR, ident("DEA"));
    assert_int_equal(put_as(f, f->coll, f->fgr, 0, &o).result, STORE_REFUSED);
    /* from a partner node: its party's organization becomes the originator; another party's
     * is refused; without created_by_ref the partner node's organization originates it */
    mkobj(&o, ID_E, T1, STIX_TLP_CLEAR, ident("DEA"));
    assert_int_equal(put_as(f, f->coll, f->usnode, 1, &o).result, STORE_ADDED);
    mkobj(&o, ID_F, T1, STIX_TLP_CLEAR, ident("FGR"));
    assert_int_equal(put_as(f, f->coll, f->usnode, 1, &o).result, STORE_REFUSED);
    mkobj(&o, ID_G, T1, STIX_TLP_CLEAR, NULL);
    assert_int_equal(put_as(f, f->coll, f->usnode, 1, &o).result, STORE_ADDED);
    /* a partner's later version keeps the originator it named */
    mkobj(&o, ID_E, T2, STIX_TLP_CLEAR, ident("DEA"));
    assert_int_equal(put_as(f, f->coll, f->usnode, 1, &o).result, STORE_ADDED);
    mkobj(&o, ID_E, T3, STIX_TLP_CLEAR, NULL);  /* now as the node itself: not DEA */
    assert_int_equal(put_as(f, f->coll, f->usnode, 1, &o).result, STORE_REFUSED);
    /* an unknown actor organization is an error, not a silent originator */
    store_actor ghost = {.org_rowid = 9999};
    fix(&o);
    assert_int_equal(store_put_objects(f->s, f->coll, &ghost, &o.in, 1, NOW, outs, &err), ENLACE_EINVAL);

    policy_principal ana = test_principal(POLICY_USER, f->sspc, "SSPC", "MX", "MX");
    seen g = query(f, f->coll, &ana, STORE_V_ALL, NULL);
    assert_int_equal(g.n, 7); /* A x2, C, D, E x2, G */
    for (size_t i = 0; i < g.n; i++) {
        int64_t want = !strcmp(g.ids[i], ID_A) ? f->sspc
                     : !strcmp(g.ids[i], ID_C) || !strcmp(g.ids[i], ID_D) ? f->uin7
                     : !strcmp(g.ids[i], ID_E) ? f->dea
                     : f->usnode;
        assert_int_equal(g.orig_org[i], want);
        assert_string_equal(g.orig_party[i], want == f->dea || want == f->usnode ? "US" : "MX");
    }
}

/* ---- markings -------------------------------------------------------------------------------- */

#define MD_RED "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"  /* OpenCTI-style custom id */
#define MD_OTHER "marking-definition--13f5a1b4-7c6d-4e8f-9a0b-1c2d3e4f5a6b"

static void test_marking_definitions_resolve(void **state) {
    fixture *f = *state;
    enlace_err err;
    /* one envelope: an object referencing a TLP marking-definition that comes after it */
    obj env[2];
    mkobj(&env[0], ID_A, T1, STIX_TLP_CLEAR, NULL);
    snprintf(env[0].mk.unknown_refs[0], STIX_MARKING_ID_LEN, "%s", MD_RED);
    env[0].mk.n_unknown = 1;
    mkobj(&env[1], MD_RED, T1, STIX_TLP_NONE, NULL);
    env[1].in.md_tlp = STIX_TLP_RED;
    fix(&env[0]);
    fix(&env[1]);
    store_object_in in[2] = {env[0].in, env[1].in};
    store_put_outcome outs[2];
    assert_int_equal(store_put_objects(f->s, f->coll, NULL, in, 2, NOW, outs, &err), 0);
    assert_int_equal(outs[0].result, STORE_ADDED);
    assert_int_equal(outs[1].result, STORE_ADDED);
    /* a later envelope: resolved from what the store holds; the most restrictive wins over the
     * CLEAR it also carries */
    obj o;
    mkobj(&o, ID_B, T1, STIX_TLP_CLEAR, NULL);
    snprintf(o.mk.unknown_refs[0], STIX_MARKING_ID_LEN, "%s", MD_OTHER);
    snprintf(o.mk.unknown_refs[1], STIX_MARKING_ID_LEN, "%s", MD_RED);
    o.mk.n_unknown = 2;
    assert_int_equal(put_as(f, f->coll, 0, 0, &o).result, STORE_ADDED);
    /* a reference to a non-TLP marking (registered, defining no level) changes nothing */
    mkobj(&o, MD_OTHER, T1, STIX_TLP_NONE, NULL);
    assert_int_equal(put_as(f, f->coll, 0, 0, &o).result, STORE_ADDED);
    mkobj(&o, ID_C, T1, STIX_TLP_CLEAR, NULL);
    snprintf(o.mk.unknown_refs[0], STIX_MARKING_ID_LEN, "%s", MD_OTHER);
    o.mk.n_unknown = 1;
    assert_int_equal(put_as(f, f->coll, 0, 0, &o).result, STORE_ADDED);
    /* md_tlp of another type registers nothing (zero-initialised inputs are CLEAR = 0): a
     * reference to it does not resolve, and fails closed (AMBER, not the collection's GREEN) */
    mkobj(&o, ID_H, T1, STIX_TLP_NONE, NULL);
    o.in.md_tlp = STIX_TLP_CLEAR;
    assert_int_equal(put_as(f, f->coll, 0, 0, &o).result, STORE_ADDED);
    mkobj(&o, ID_D, T1, STIX_TLP_NONE, NULL);
    o.in.marking = &o.mk;
    o.mk.tlp = STIX_TLP_NONE;
    snprintf(o.mk.unknown_refs[0], STIX_MARKING_ID_LEN, "%s", ID_H);
    o.mk.n_unknown = 1;
    assert_int_equal(store_collection_set_default_tlp(f->s, f->coll, POLICY_TLP_GREEN, &err), 0);
    assert_int_equal(put_as(f, f->coll, 0, 0, &o).result, STORE_ADDED);

    /* a US liaison: sees CLEAR (C) and the default GREEN via agreement... no agreement for a
     * liaison's party here, so GREEN without releasable_to is refused: D invisible too */
    policy_principal kate = test_principal(POLICY_LIAISON, f->dea, "DEA", "US", "MX");
    seen g = query(f, f->coll, &kate, STORE_V_ALL, NULL);
    assert_int_equal(g.n, 1);
    assert_true(has(&g, ID_C));
    /* with an agreement covering the collection, GREEN H (unmarked, default GREEN) shows; the
     * marking-definitions themselves are unmarked (GREEN by default) and show too; A, B stay
     * RED; D (an unresolved reference) is AMBER */
    assert_int_equal(store_agreement_set(f->s, "US", f->coll, POLICY_TLP_RED, 1, &err), 0);
    g = query(f, f->coll, &kate, STORE_V_ALL, NULL);
    assert_false(has(&g, ID_A));
    assert_false(has(&g, ID_B));
    assert_true(has(&g, ID_C));
    assert_false(has(&g, ID_D));
    assert_true(has(&g, MD_OTHER));
    assert_true(has(&g, ID_H));
    assert_true(has(&g, MD_RED));
    /* the same party's other organization does not see RED either; the originator does */
    policy_principal luis = test_principal(POLICY_USER, f->uin7, "UIN-7", "MX", "MX");
    g = query(f, f->coll, &luis, STORE_V_ALL, NULL);
    assert_false(has(&g, ID_A));
    assert_false(has(&g, ID_B));
    assert_true(has(&g, ID_C));
    policy_principal ana = test_principal(POLICY_USER, f->sspc, "SSPC", "MX", "MX");
    g = query(f, f->coll, &ana, STORE_V_ALL, NULL);
    assert_int_equal(g.n, 7);
}

/* A version is visible only when it and the latest version are; the latest is recomputed on
 * insert (any order) and on delete. */
static void test_latest_version_decides_too(void **state) {
    fixture *f = *state;
    enlace_err err;
    policy_principal kate = test_principal(POLICY_LIAISON, f->dea, "DEA", "US", "MX");
    obj o;
    mkobj(&o, ID_A, T1, STIX_TLP_CLEAR, NULL);
    put_as(f, f->coll, f->sspc, 0, &o);
    assert_int_equal(query(f, f->coll, &kate, STORE_V_ALL, NULL).n, 1);
    mkobj(&o, ID_A, T3, STIX_TLP_RED, NULL);
    put_as(f, f->coll, f->sspc, 0, &o);
    assert_int_equal(query(f, f->coll, &kate, STORE_V_ALL, NULL).n, 0);
    assert_int_equal(query(f, f->coll, &kate, STORE_V_FIRST, NULL).n, 0);
    assert_int_equal(query(f, f->coll, &kate, 0, NULL).n, 0);
    assert_int_equal(query(f, f->coll, &kate, STORE_V_ALL, ID_A).n, 0);
    /* an older version arriving later does not reopen it */
    mkobj(&o, ID_A, T2, STIX_TLP_CLEAR, NULL);
    put_as(f, f->coll, f->sspc, 0, &o);
    assert_int_equal(query(f, f->coll, &kate, STORE_V_ALL, ID_A).n, 0);
    /* the originator sees all three */
    policy_principal ana = test_principal(POLICY_USER, f->sspc, "SSPC", "MX", "MX");
    assert_int_equal(query(f, f->coll, &ana, STORE_V_ALL, ID_A).n, 3);
    /* its delete of the RED latest makes the CLEAR versions visible again */
    const char *k3[] = {"2021-03-01T00:00:00"};
    store_query d = {.coll_rowid = f->coll, .object_id = ID_A, .version_keys = k3, .n_version_keys = 1,
                     .principal = &ana};
    size_t nd = 0;
    assert_int_equal(store_delete_object(f->s, &d, &nd, &err), 0);
    assert_int_equal(nd, 1);
    seen g = query(f, f->coll, &kate, STORE_V_ALL, ID_A);
    assert_int_equal(g.n, 2);
    g = query(f, f->coll, &kate, 0, NULL);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.versions[0], T2);
    /* and a newer RED version in one envelope with a CLEAR one closes it again, once */
    obj env[2];
    mkobj(&env[0], ID_A, "2021-05-01T00:00:00.000Z", STIX_TLP_RED, NULL);
    mkobj(&env[1], ID_A, "2021-04-01T00:00:00.000Z", STIX_TLP_CLEAR, NULL);
    fix(&env[0]);
    fix(&env[1]);
    store_object_in in[2] = {env[0].in, env[1].in};
    store_put_outcome outs[2];
    assert_int_equal(store_put_objects(f->s, f->coll, NULL, in, 2, NOW, outs, &err), 0);
    assert_int_equal(query(f, f->coll, &kate, STORE_V_ALL, ID_A).n, 0);
}

static void test_delete_rights(void **state) {
    fixture *f = *state;
    enlace_err err;
    obj o;
    mkobj(&o, ID_A, T1, STIX_TLP_GREEN, NULL);
    put_as(f, f->coll, f->sspc, 0, &o);
    policy_principal kate = test_principal(POLICY_LIAISON, f->dea, "DEA", "US", "MX");
    policy_principal luis = test_principal(POLICY_USER, f->uin7, "UIN-7", "MX", "MX");
    policy_principal ana = test_principal(POLICY_USER, f->sspc, "SSPC", "MX", "MX");
    store_query d = {.coll_rowid = f->coll, .object_id = ID_A, .principal = &kate};
    size_t nd = 0;
    /* invisible: not found (existence never leaks) */
    assert_int_equal(store_delete_object(f->s, &d, &nd, &err), ENLACE_ENOTFOUND);
    /* visible but not its originator: denied */
    d.principal = &luis;
    assert_int_equal(store_delete_object(f->s, &d, &nd, &err), ENLACE_EDENIED);
    assert_int_equal(query(f, f->coll, &ana, STORE_V_ALL, ID_A).n, 1);
    d.principal = &ana;
    assert_int_equal(store_delete_object(f->s, &d, &nd, &err), 0);
    assert_int_equal(nd, 1);
    assert_int_equal(query(f, f->coll, &ana, STORE_V_ALL, ID_A).n, 0);
}

/* ---- review and purge ------------------------------------------------------------------------ */

static void test_review_and_purge(void **state) {
    fixture *f = *state;
    enlace_err err;
    obj o;
    mkobj(&o, ID_A, T1, STIX_TLP_CLEAR, NULL);
    o.mk.review_by_us = 100;
    put_as(f, f->coll, f->uin7, 0, &o);
    put_as(f, f->coll2, f->uin7, 0, &o);
    mkobj(&o, ID_B, T1, STIX_TLP_CLEAR, NULL);
    o.mk.review_by_us = 300;
    put_as(f, f->coll, f->sspc, 0, &o);
    mkobj(&o, ID_C, T1, STIX_TLP_CLEAR, NULL);
    put_as(f, f->coll, f->sspc, 0, &o);
    /* D: an older version had a review date, the latest has none: not due */
    mkobj(&o, ID_D, T1, STIX_TLP_CLEAR, NULL);
    o.mk.review_by_us = 50;
    put_as(f, f->coll, f->sspc, 0, &o);
    mkobj(&o, ID_D, T2, STIX_TLP_CLEAR, NULL);
    put_as(f, f->coll, f->sspc, 0, &o);

    store_review_item *r = NULL;
    size_t n = 0;
    assert_int_equal(store_review_list(f->s, 200, &r, &n, &err), 0);
    assert_int_equal(n, 2); /* A in both collections */
    assert_string_equal(r[0].id, ID_A);
    assert_string_equal(r[0].orig_org, "UIN-7");
    assert_string_equal(r[0].orig_party, "MX");
    assert_string_equal(r[0].type, "indicator");
    assert_int_equal(r[0].review_by_us, 100);
    assert_string_not_equal(r[0].coll_id, r[1].coll_id);
    free(r);
    assert_int_equal(store_review_list(f->s, 1000, &r, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(r[2].id, ID_B); /* oldest date first */
    free(r);

    /* past review_by only the originator sees it (rule 2), before any purge */
    policy_principal luis = test_principal(POLICY_USER, f->uin7, "UIN-7", "MX", "MX");
    policy_principal ana = test_principal(POLICY_USER, f->sspc, "SSPC", "MX", "MX");
    ana.now_us = luis.now_us = 150;
    assert_false(has((seen[]){query(f, f->coll, &ana, 0, NULL)}, ID_A));
    assert_true(has((seen[]){query(f, f->coll, &luis, 0, NULL)}, ID_A));

    size_t purged = 0, len = 0;
    char *ids = NULL;
    assert_int_equal(store_purge_due(f->s, 200, "admin", &purged, &ids, &len, &err), 0);
    assert_int_equal(purged, 1);
    assert_int_equal(len, strlen(ID_A) + 1);
    assert_string_equal(ids, ID_A);
    free(ids);
    /* gone from both collections, even for the originator; the others stay */
    assert_int_equal(query(f, f->coll, &luis, STORE_V_ALL, ID_A).n, 0);
    assert_int_equal(query(f, f->coll2, &luis, STORE_V_ALL, ID_A).n, 0);
    assert_int_equal(query(f, f->coll, &ana, STORE_V_ALL, NULL).n, 4);
    int yes = 0;
    assert_int_equal(store_is_tombstoned(f->s, ID_A, &yes, &err), 0);
    assert_int_equal(yes, 1);
    assert_int_equal(store_is_tombstoned(f->s, ID_B, &yes, &err), 0);
    assert_int_equal(yes, 0);
    /* never taken in again, by anyone, in any collection */
    mkobj(&o, ID_A, T3, STIX_TLP_CLEAR, NULL);
    store_put_outcome out = put_as(f, f->coll2, f->uin7, 0, &o);
    assert_int_equal(out.result, STORE_REFUSED);
    assert_string_equal(out.reason, REFUSED_TEXT); /* the same text as another organization's id */
    assert_int_equal(put_as(f, f->coll, f->usnode, 1, &o).result, STORE_REFUSED);
    /* nothing more is due now; a purge with nothing due is fine */
    assert_int_equal(store_purge_due(f->s, 200, "admin", &purged, NULL, NULL, &err), 0);
    assert_int_equal(purged, 0);
    assert_int_equal(store_review_list(f->s, 200, &r, &n, &err), 0);
    assert_int_equal(n, 0);
    free(r);
}

/* ---- security review regressions --------------------------------------------------------------- */

/* Upper-case copy of an id (RFC 4122 UUIDs are read in either case). */
static const char *upper(const char *id) {
    static char buf[4][STIX_ID_MAX];
    static int k;
    char *b = buf[k++ % 4];
    size_t i = 0;
    for (; id[i] && i + 1 < STIX_ID_MAX; i++) b[i] = (id[i] >= 'a' && id[i] <= 'z') ? (char)(id[i] - 32) : id[i];
    b[i] = 0;
    return b;
}

typedef struct body_ctx { int n, upper_body; } body_ctx;

/* The row is keyed in lower case, its body is the upper-case text as received. */
static int body_upper(void *ctx, const store_row *r) {
    body_ctx *bc = ctx;
    bc->n++;
    bc->upper_body = strstr(r->body, "INDICATOR--0A000000") != NULL && strcmp(r->id, ID_A) == 0;
    return 0;
}

/* F2/F3/F14: ids are compared in lower case: an upper-case id is the same id for the originator
 * check, the tombstone and created_by_ref; reads, match[id], deletes find it either way; the
 * stored body stays byte-exact. */
static void test_id_case_is_one_id(void **state) {
    fixture *f = *state;
    enlace_err err;
    obj o;
    mkobj(&o, ID_A, T1, STIX_TLP_GREEN, NULL);
    assert_int_equal(put_as(f, f->coll, f->sspc, 0, &o).result, STORE_ADDED);
    /* F2: another organization's "new version" of SSPC's id, written in upper case */
    mkobj(&o, upper(ID_A), T2, STIX_TLP_CLEAR, NULL);
    store_put_outcome out = put_as(f, f->coll, f->uin7, 0, &o);
    assert_int_equal(out.result, STORE_REFUSED);
    assert_string_equal(out.reason, REFUSED_TEXT);
    assert_int_equal(put_as(f, f->coll2, f->fgr, 0, &o).result, STORE_REFUSED);
    /* F14: naming another organization's identity in upper case */
    mkobj(&o, ID_B, T1, STIX_TLP_CLEAR, upper(ident("SSPC")));
    assert_int_equal(put_as(f, f->coll, f->uin7, 0, &o).result, STORE_REFUSED);
    /* the originator's own upper-case version is a version of the same id; the row is keyed in
     * lower case, the body is kept as received */
    mkobj(&o, upper(ID_A), T2, STIX_TLP_GREEN, upper(ident("SSPC")));
    assert_int_equal(put_as(f, f->coll, f->sspc, 0, &o).result, STORE_ADDED);
    policy_principal ana = test_principal(POLICY_USER, f->sspc, "SSPC", "MX", "MX");
    policy_principal luis = test_principal(POLICY_USER, f->uin7, "UIN-7", "MX", "MX");
    seen g = query(f, f->coll, &ana, STORE_V_ALL, upper(ID_A));
    assert_int_equal(g.n, 2);
    assert_string_equal(g.ids[0], ID_A);
    assert_string_equal(g.ids[1], ID_A);
    assert_int_equal(query(f, f->coll, &luis, STORE_V_ALL, ID_A).n, 2);
    body_ctx bc = {0, 0};
    const char *ids[] = {upper(ID_A)};
    store_query q = {.coll_rowid = f->coll, .after_us = -1, .ids = ids, .n_ids = 1, .limit = 10,
                     .version_flags = STORE_V_LAST, .principal = &ana};
    int more = 0;
    assert_int_equal(store_query_objects(f->s, &q, body_upper, &bc, &more, &err), 0);
    assert_int_equal(bc.n, 1);
    assert_int_equal(bc.upper_body, 1);
    /* F3: a purged id re-posted in upper case stays out */
    mkobj(&o, ID_C, T1, STIX_TLP_CLEAR, NULL);
    o.mk.review_by_us = 100;
    assert_int_equal(put_as(f, f->coll, f->uin7, 0, &o).result, STORE_ADDED);
    size_t purged = 0;
    assert_int_equal(store_purge_due(f->s, 200, "admin", &purged, NULL, NULL, &err), 0);
    assert_int_equal(purged, 1);
    int yes = 0;
    assert_int_equal(store_is_tombstoned(f->s, upper(ID_C), &yes, &err), 0);
    assert_int_equal(yes, 1);
    mkobj(&o, upper(ID_C), T2, STIX_TLP_CLEAR, NULL);
    out = put_as(f, f->coll, f->uin7, 0, &o);
    assert_int_equal(out.result, STORE_REFUSED);
    assert_string_equal(out.reason, REFUSED_TEXT); /* F4: the same text as another org's id */
    assert_int_equal(put_as(f, f->coll2, f->fgr, 0, &o).result, STORE_REFUSED);
    /* a delete by the upper-case id removes the lower-case rows */
    store_query d = {.coll_rowid = f->coll, .object_id = upper(ID_A), .principal = &ana};
    size_t nd = 0;
    assert_int_equal(store_delete_object(f->s, &d, &nd, &err), 0);
    assert_int_equal(nd, 2);
    assert_int_equal(query(f, f->coll, &ana, STORE_V_ALL, ID_A).n, 0);
}

/* F4: a refusal never says which of "another organization's" or "withdrawn" it is, and never
 * names an organization. */
static void test_refusal_text_is_generic(void **state) {
    fixture *f = *state;
    enlace_err err;
    obj o;
    mkobj(&o, ID_A, T1, STIX_TLP_RED, NULL);
    put_as(f, f->coll, f->sspc, 0, &o);
    mkobj(&o, ID_B, T1, STIX_TLP_RED, NULL);
    o.mk.review_by_us = 100;
    put_as(f, f->coll, f->sspc, 0, &o);
    size_t purged = 0;
    assert_int_equal(store_purge_due(f->s, 200, "admin", &purged, NULL, NULL, &err), 0);
    assert_int_equal(purged, 1);
    mkobj(&o, ID_A, T2, STIX_TLP_RED, NULL);
    store_put_outcome taken = put_as(f, f->coll, f->fgr, 0, &o);
    mkobj(&o, ID_B, T2, STIX_TLP_RED, NULL);
    store_put_outcome gone = put_as(f, f->coll, f->fgr, 0, &o);
    assert_int_equal(taken.result, STORE_REFUSED);
    assert_int_equal(gone.result, STORE_REFUSED);
    assert_string_equal(taken.reason, gone.reason);
    assert_null(strstr(taken.reason, "SSPC"));
    assert_null(strstr(taken.reason, "purged"));
    assert_null(strstr(taken.reason, "indicator--"));
}

/* F6: a marking reference resolves only against a marking-definition of the referencing
 * object's own originator; one defined by another organization (or unknown) is at least
 * AMBER. */
#define MD_X "marking-definition--7a1b2c3d-4e5f-4a6b-8c7d-000000000001"
#define MD_Y "marking-definition--7a1b2c3d-4e5f-4a6b-8c7d-000000000002"
#define MD_Z "marking-definition--7a1b2c3d-4e5f-4a6b-8c7d-000000000003"
#define MD_S "marking-definition--7a1b2c3d-4e5f-4a6b-8c7d-000000000004"

static void ref_to(obj *o, const char *md) {
    o->in.marking = &o->mk;
    snprintf(o->mk.unknown_refs[o->mk.n_unknown++], STIX_MARKING_ID_LEN, "%s", md);
}

static void test_marking_definitions_are_the_originators(void **state) {
    fixture *f = *state;
    enlace_err err;
    policy_principal kate = test_principal(POLICY_LIAISON, f->dea, "DEA", "US", "MX");
    policy_principal luis = test_principal(POLICY_USER, f->uin7, "UIN-7", "MX", "MX");
    assert_int_equal(store_agreement_set(f->s, "US", f->coll, POLICY_TLP_RED, 1, &err), 0);
    obj o;
    /* FGR defines X as CLEAR and Y as RED for the whole node */
    mkobj(&o, MD_X, T1, STIX_TLP_NONE, NULL);
    o.in.md_tlp = STIX_TLP_CLEAR;
    assert_int_equal(put_as(f, f->coll2, f->fgr, 0, &o).result, STORE_ADDED);
    mkobj(&o, MD_Y, T1, STIX_TLP_NONE, NULL);
    o.in.md_tlp = STIX_TLP_RED;
    assert_int_equal(put_as(f, f->coll2, f->fgr, 0, &o).result, STORE_ADDED);
    /* SSPC's objects marked X (only) are not CLEAR: AMBER, not for DEA's liaison */
    mkobj(&o, ID_A, T1, STIX_TLP_NONE, NULL);
    ref_to(&o, MD_X);
    assert_int_equal(put_as(f, f->coll, f->sspc, 0, &o).result, STORE_ADDED);
    assert_false(has((seen[]){query(f, f->coll, &kate, STORE_V_ALL, NULL)}, ID_A));
    assert_true(has((seen[]){query(f, f->coll, &luis, STORE_V_ALL, NULL)}, ID_A));
    /* nor does FGR's RED Y hide SSPC's CLEAR object marked Y from its own party */
    mkobj(&o, ID_B, T1, STIX_TLP_CLEAR, NULL);
    ref_to(&o, upper(MD_Y));
    assert_int_equal(put_as(f, f->coll, f->sspc, 0, &o).result, STORE_ADDED);
    assert_true(has((seen[]){query(f, f->coll, &luis, STORE_V_ALL, NULL)}, ID_B));
    assert_false(has((seen[]){query(f, f->coll, &kate, STORE_V_ALL, NULL)}, ID_B));
    /* FGR's own objects do resolve against FGR's definitions */
    mkobj(&o, ID_C, T1, STIX_TLP_NONE, NULL);
    ref_to(&o, MD_X);
    assert_int_equal(put_as(f, f->coll, f->fgr, 0, &o).result, STORE_ADDED);
    assert_true(has((seen[]){query(f, f->coll, &kate, STORE_V_ALL, NULL)}, ID_C));
    /* SSPC's definitions, in the same envelope after the object (RED Z) or earlier (a statement
     * S, defining no TLP), resolve for SSPC's objects */
    obj env[2];
    mkobj(&env[0], ID_D, T1, STIX_TLP_CLEAR, NULL);
    ref_to(&env[0], MD_Z);
    mkobj(&env[1], MD_Z, T1, STIX_TLP_NONE, NULL);
    env[1].in.md_tlp = STIX_TLP_RED;
    fix(&env[0]);
    fix(&env[1]);
    store_object_in in[2] = {env[0].in, env[1].in};
    store_put_outcome outs[2];
    store_actor sspc = {.org_rowid = f->sspc};
    assert_int_equal(store_put_objects(f->s, f->coll, &sspc, in, 2, NOW, outs, &err), 0);
    assert_int_equal(outs[0].result, STORE_ADDED);
    assert_false(has((seen[]){query(f, f->coll, &luis, STORE_V_ALL, NULL)}, ID_D));
    mkobj(&o, MD_S, T1, STIX_TLP_NONE, NULL);
    assert_int_equal(put_as(f, f->coll2, f->sspc, 0, &o).result, STORE_ADDED);
    mkobj(&o, ID_E, T1, STIX_TLP_CLEAR, NULL);
    ref_to(&o, MD_S);
    assert_int_equal(put_as(f, f->coll, f->sspc, 0, &o).result, STORE_ADDED);
    assert_true(has((seen[]){query(f, f->coll, &kate, STORE_V_ALL, NULL)}, ID_E));
    /* FGR may not redefine SSPC's marking-definition */
    mkobj(&o, MD_Z, T2, STIX_TLP_NONE, NULL);
    o.in.md_tlp = STIX_TLP_CLEAR;
    assert_int_equal(put_as(f, f->coll2, f->fgr, 0, &o).result, STORE_REFUSED);
}

/* F8/F9/F13: "the latest version" is the id's latest on the node, by version instant, across
 * collections and spec versions. */
static void test_latest_version_is_the_nodes(void **state) {
    fixture *f = *state;
    enlace_err err;
    policy_principal luis = test_principal(POLICY_USER, f->uin7, "UIN-7", "MX", "MX");
    policy_principal ana = test_principal(POLICY_USER, f->sspc, "SSPC", "MX", "MX");
    obj o;
    /* F9: v1 GREEN in the joint collection, v2 RED in the internal one */
    mkobj(&o, ID_A, T1, STIX_TLP_GREEN, NULL);
    put_as(f, f->coll, f->sspc, 0, &o);
    assert_int_equal(query(f, f->coll, &luis, 0, ID_A).n, 1);
    mkobj(&o, ID_A, T2, STIX_TLP_RED, NULL);
    put_as(f, f->coll2, f->sspc, 0, &o);
    assert_int_equal(query(f, f->coll, &luis, 0, ID_A).n, 0);
    assert_int_equal(query(f, f->coll, &luis, STORE_V_ALL, NULL).n, 0);
    assert_int_equal(query(f, f->coll, &ana, 0, ID_A).n, 1);
    /* an older version arriving later in a third place does not reopen it */
    mkobj(&o, ID_A, "2021-01-15T00:00:00.000Z", STIX_TLP_CLEAR, NULL);
    put_as(f, f->coll2, f->sspc, 0, &o);
    assert_int_equal(query(f, f->coll2, &luis, STORE_V_ALL, NULL).n, 0);
    /* deleting the RED latest in the internal collection reopens the joint one */
    const char *k2[] = {"2021-02-01T00:00:00"};
    store_query d = {.coll_rowid = f->coll2, .object_id = ID_A, .version_keys = k2, .n_version_keys = 1,
                     .principal = &ana};
    size_t nd = 0;
    assert_int_equal(store_delete_object(f->s, &d, &nd, &err), 0);
    assert_int_equal(nd, 1);
    assert_int_equal(query(f, f->coll, &luis, 0, ID_A).n, 1);
    /* F13: a newer STIX 2.0 RED version hides the older 2.1 GREEN one */
    mkobj(&o, ID_B, T1, STIX_TLP_GREEN, NULL);
    put_as(f, f->coll, f->sspc, 0, &o);
    assert_int_equal(query(f, f->coll, &luis, 0, ID_B).n, 1);
    mkobj(&o, ID_B, T2, STIX_TLP_RED, NULL);
    o.in.spec_version = "2.0";
    put_as(f, f->coll, f->sspc, 0, &o);
    assert_int_equal(query(f, f->coll, &luis, 0, ID_B).n, 0);
    assert_int_equal(query(f, f->coll, &luis, STORE_V_ALL, ID_B).n, 0);
    /* F8: a stale older version overdue in another collection does not purge a reviewed object */
    mkobj(&o, ID_C, T1, STIX_TLP_GREEN, NULL);
    o.mk.review_by_us = 100;
    put_as(f, f->coll2, f->sspc, 0, &o);
    mkobj(&o, ID_C, T2, STIX_TLP_GREEN, NULL);  /* reviewed: no review date any more */
    put_as(f, f->coll, f->sspc, 0, &o);
    store_review_item *r = NULL;
    size_t n = 9;
    assert_int_equal(store_review_list(f->s, 200, &r, &n, &err), 0);
    assert_int_equal(n, 0);
    free(r);
    size_t purged = 9;
    assert_int_equal(store_purge_due(f->s, 200, "admin", &purged, NULL, NULL, &err), 0);
    assert_int_equal(purged, 0);
    assert_int_equal(query(f, f->coll2, &ana, STORE_V_ALL, ID_C).n, 1);
    assert_int_equal(query(f, f->coll, &ana, STORE_V_ALL, ID_C).n, 1);
    /* and the other way round: the latest (in another collection) is overdue: both listed, one
     * id purged from both */
    mkobj(&o, ID_C, T3, STIX_TLP_GREEN, NULL);
    o.mk.review_by_us = 150;
    put_as(f, f->coll2, f->sspc, 0, &o);
    assert_int_equal(store_review_list(f->s, 200, &r, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(r[0].review_by_us, 150);
    free(r);
    assert_int_equal(store_purge_due(f->s, 200, "admin", &purged, NULL, NULL, &err), 0);
    assert_int_equal(purged, 1);
    assert_int_equal(query(f, f->coll, &ana, STORE_V_ALL, ID_C).n, 0);
}

/* Many versions of one id over two collections in one envelope each stay one refresh per id. */
static void test_many_versions_node_latest(void **state) {
    fixture *f = *state;
    enum { N = 10000 };
    obj *o = calloc(N, sizeof *o);
    store_object_in *in = calloc(N, sizeof *in);
    store_put_outcome *out = calloc(N, sizeof *out);
    assert_non_null(o);
    assert_non_null(in);
    assert_non_null(out);
    for (int i = 0; i < N; i++) {
        int v = (i * 7) % N; /* out of order; markings alternate, the newest is RED */
        char ts[40];
        snprintf(ts, sizeof ts, "2020-01-01T00:00:%02d.%06dZ", v / 1000000, v % 1000000);
        mkobj(&o[i], ID_A, ts, v == N - 1 ? STIX_TLP_RED : (v % 2 ? STIX_TLP_GREEN : STIX_TLP_CLEAR), NULL);
    }
    enlace_err err;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int c = 0; c < 2; c++) {
        int half = c ? N / 2 : 0;
        for (int i = 0; i < N / 2; i++) {
            fix(&o[half + i]);
            in[i] = o[half + i].in;
        }
        assert_int_equal(store_put_objects(f->s, c ? f->coll2 : f->coll, NULL, in, N / 2, NOW, out, &err), 0);
        for (int i = 0; i < N / 2; i++) assert_int_equal(out[i].result, STORE_ADDED);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    print_message("10 000 versions of one id over two collections: %.2f s\n", secs);
    assert_true(secs < 20.0);
    policy_principal luis = test_principal(POLICY_USER, f->uin7, "UIN-7", "MX", "MX");
    assert_int_equal(query(f, f->coll, &luis, STORE_V_ALL, ID_A).n, 0);
    assert_int_equal(query(f, f->coll2, &luis, STORE_V_ALL, ID_A).n, 0);
    free(o);
    free(in);
    free(out);
}

/* F10: an id that is a registered organization's identity is that organization's: nobody else
 * may post it first. */
static void test_identity_squatting(void **state) {
    fixture *f = *state;
    obj o;
    mkobj(&o, ident("SSPC"), T1, STIX_TLP_CLEAR, NULL);
    store_put_outcome out = put_as(f, f->coll, f->fgr, 0, &o);
    assert_int_equal(out.result, STORE_REFUSED);
    assert_string_equal(out.reason, REFUSED_TEXT);
    mkobj(&o, upper(ident("SSPC")), T1, STIX_TLP_CLEAR, NULL);
    assert_int_equal(put_as(f, f->coll, f->fgr, 0, &o).result, STORE_REFUSED);
    mkobj(&o, ident("SSPC"), T1, STIX_TLP_CLEAR, NULL);
    assert_int_equal(put_as(f, f->coll, f->sspc, 0, &o).result, STORE_ADDED);
    /* a partner node may bring its own party's organization's identity (that organization
     * originates it), not another party's */
    mkobj(&o, ident("DEA"), T1, STIX_TLP_CLEAR, NULL);
    assert_int_equal(put_as(f, f->coll, f->gtnode, 1, &o).result, STORE_REFUSED);
    assert_int_equal(put_as(f, f->coll, f->usnode, 1, &o).result, STORE_ADDED);
    policy_principal ana = test_principal(POLICY_USER, f->sspc, "SSPC", "MX", "MX");
    seen g = query(f, f->coll, &ana, 0, ident("DEA"));
    assert_int_equal(g.n, 1);
    assert_int_equal(g.orig_org[0], f->dea);
    /* an identity that is no organization of the exchange: the poster originates it */
    mkobj(&o, MITRE, T1, STIX_TLP_CLEAR, NULL);
    assert_int_equal(put_as(f, f->coll, f->fgr, 0, &o).result, STORE_ADDED);
    /* squatted before the organization was registered: registering it claims the id back */
    char hsi[POLICY_IDENTITY_LEN];
    test_identity_of("HSI", hsi);
    mkobj(&o, hsi, T1, STIX_TLP_CLEAR, NULL);
    assert_int_equal(put_as(f, f->coll, f->fgr, 0, &o).result, STORE_ADDED);
    int64_t h = test_org(f->s, "MX", "HSI", 1);
    assert_true(h > 0);
    mkobj(&o, hsi, T2, STIX_TLP_CLEAR, NULL);
    assert_int_equal(put_as(f, f->coll, f->fgr, 0, &o).result, STORE_REFUSED);
    assert_int_equal(put_as(f, f->coll, h, 0, &o).result, STORE_ADDED);
    g = query(f, f->coll, &ana, STORE_V_ALL, hsi);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.orig_org[0], h);
    assert_int_equal(g.orig_org[1], h);
}

/* ---- marking-definitions posted after the objects that use them ------------------------------ */

#define MD_LATE_S "marking-definition--fa42a846-8d90-4e51-bc29-71d5b4802168" /* ATT&CK's statement */
#define MD_LATE_R "marking-definition--7a1b2c3d-4e5f-4a6b-8c7d-0000000000a1"
#define MD_LATE_P "marking-definition--7a1b2c3d-4e5f-4a6b-8c7d-0000000000a2"
#define MD_LATE_Q "marking-definition--7a1b2c3d-4e5f-4a6b-8c7d-0000000000a3"

/* One integer from SQL on the store's connection. */
static int64_t sql_int(fixture *f, const char *sql, const char *arg) {
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(store_sqlite(f->s), sql, -1, &st, NULL), SQLITE_OK);
    if (arg) sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* A marking-definition (md_tlp the level it defines, STIX_TLP_NONE for a statement). */
static store_put_outcome put_md(fixture *f, int64_t coll, int64_t org, const char *id, const char *ts, int md_tlp) {
    obj o;
    mkobj(&o, id, ts, STIX_TLP_NONE, NULL);
    o.in.md_tlp = md_tlp;
    return put_as(f, coll, org, 0, &o);
}

/* A reference that does not resolve when its object is stored stays pending: the originator's
 * definition, posted in a later envelope (or later in the same one), re-resolves it; another
 * organization's definition of the same id changes nothing. */
static void test_definitions_posted_later(void **state) {
    fixture *f = *state;
    enlace_err err;
    policy_principal kate = test_principal(POLICY_LIAISON, f->dea, "DEA", "US", "MX");
    policy_principal luis = test_principal(POLICY_USER, f->uin7, "UIN-7", "MX", "MX");
    assert_int_equal(store_collection_set_default_tlp(f->s, f->coll, POLICY_TLP_CLEAR, &err), 0);
    obj o;
    /* ATT&CK-like: SSPC pushes objects referencing its statement (no TLP otherwise; A in two
     * versions, one per collection), the statement comes in a later envelope */
    mkobj(&o, ID_A, T1, STIX_TLP_NONE, NULL);
    ref_to(&o, MD_LATE_S);
    assert_int_equal(put_as(f, f->coll, f->sspc, 0, &o).result, STORE_ADDED);
    mkobj(&o, ID_A, T2, STIX_TLP_NONE, NULL);
    ref_to(&o, upper(MD_LATE_S));
    assert_int_equal(put_as(f, f->coll2, f->sspc, 0, &o).result, STORE_ADDED);
    mkobj(&o, ID_B, T1, STIX_TLP_CLEAR, NULL);
    ref_to(&o, MD_LATE_S);
    assert_int_equal(put_as(f, f->coll, f->sspc, 0, &o).result, STORE_ADDED);
    /* ... and one that also references a RED definition to come, and one with two statements
     * of which only one will come */
    mkobj(&o, ID_C, T1, STIX_TLP_CLEAR, NULL);
    ref_to(&o, MD_LATE_S);
    ref_to(&o, MD_LATE_R);
    assert_int_equal(put_as(f, f->coll, f->sspc, 0, &o).result, STORE_ADDED);
    mkobj(&o, ID_D, T1, STIX_TLP_NONE, NULL);
    ref_to(&o, MD_LATE_P);
    ref_to(&o, MD_LATE_Q);
    assert_int_equal(put_as(f, f->coll, f->sspc, 0, &o).result, STORE_ADDED);
    /* FGR's object referencing the same statement id */
    mkobj(&o, ID_E, T1, STIX_TLP_NONE, NULL);
    ref_to(&o, MD_LATE_S);
    assert_int_equal(put_as(f, f->coll, f->fgr, 0, &o).result, STORE_ADDED);
    /* unresolved: AMBER, seen by the same party, not by DEA's liaison */
    seen g = query(f, f->coll, &kate, STORE_V_ALL, NULL);
    assert_int_equal(g.n, 0);
    g = query(f, f->coll, &luis, STORE_V_ALL, NULL);
    assert_int_equal(g.n, 5);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM unresolved_ref", NULL), 8);

    /* another organization's definition of the statement id (FGR posts it first, so it is
     * FGR's) resolves FGR's object only: SSPC's stay AMBER */
    assert_int_equal(put_md(f, f->coll2, f->fgr, MD_LATE_S, T1, STIX_TLP_NONE).result, STORE_ADDED);
    g = query(f, f->coll, &kate, STORE_V_ALL, NULL);
    assert_int_equal(g.n, 1);
    assert_true(has(&g, ID_E));
    assert_int_equal(sql_int(f, "SELECT count(*) FROM unresolved_ref", NULL), 7);
    /* and SSPC may not post it then (the id is FGR's): its objects stay AMBER */
    assert_int_equal(put_md(f, f->coll2, f->sspc, MD_LATE_S, T2, STIX_TLP_NONE).result, STORE_REFUSED);
    assert_false(has((seen[]){query(f, f->coll, &kate, STORE_V_ALL, NULL)}, ID_A));
    /* FGR defining P as CLEAR does not touch SSPC's D either */
    assert_int_equal(put_md(f, f->coll2, f->fgr, MD_LATE_P, T1, STIX_TLP_CLEAR).result, STORE_ADDED);
    assert_false(has((seen[]){query(f, f->coll, &kate, STORE_V_ALL, NULL)}, ID_D));
    assert_int_equal(sql_int(f, "SELECT tlp FROM object WHERE id = ?1", ID_D), STIX_TLP_AMBER);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM unresolved_ref", NULL), 7);
}

/* The same, with definitions SSPC owns: statements open the objects up to their own TLP, a RED
 * definition hides them at once, two pending references need both. */
static void test_definitions_posted_later_resolve(void **state) {
    fixture *f = *state;
    enlace_err err;
    policy_principal kate = test_principal(POLICY_LIAISON, f->dea, "DEA", "US", "MX");
    policy_principal luis = test_principal(POLICY_USER, f->uin7, "UIN-7", "MX", "MX");
    policy_principal ana = test_principal(POLICY_USER, f->sspc, "SSPC", "MX", "MX");
    assert_int_equal(store_collection_set_default_tlp(f->s, f->coll, POLICY_TLP_CLEAR, &err), 0);
    assert_int_equal(store_collection_set_default_tlp(f->s, f->coll2, POLICY_TLP_CLEAR, &err), 0);
    obj o;
    mkobj(&o, ID_A, T1, STIX_TLP_NONE, NULL);
    ref_to(&o, MD_LATE_S);
    assert_int_equal(put_as(f, f->coll, f->sspc, 0, &o).result, STORE_ADDED);
    mkobj(&o, ID_A, T2, STIX_TLP_NONE, NULL);
    ref_to(&o, upper(MD_LATE_S));
    assert_int_equal(put_as(f, f->coll2, f->sspc, 0, &o).result, STORE_ADDED);
    mkobj(&o, ID_B, T1, STIX_TLP_GREEN, NULL);
    ref_to(&o, MD_LATE_S);
    assert_int_equal(put_as(f, f->coll, f->sspc, 0, &o).result, STORE_ADDED);
    mkobj(&o, ID_C, T1, STIX_TLP_CLEAR, NULL);
    ref_to(&o, MD_LATE_R);
    assert_int_equal(put_as(f, f->coll, f->sspc, 0, &o).result, STORE_ADDED);
    mkobj(&o, ID_D, T1, STIX_TLP_NONE, NULL);
    ref_to(&o, MD_LATE_P);
    ref_to(&o, MD_LATE_Q);
    assert_int_equal(put_as(f, f->coll, f->sspc, 0, &o).result, STORE_ADDED);
    assert_int_equal(query(f, f->coll, &kate, STORE_V_ALL, NULL).n, 0);
    assert_int_equal(query(f, f->coll2, &kate, STORE_V_ALL, NULL).n, 0);
    assert_true(has((seen[]){query(f, f->coll, &luis, STORE_V_ALL, NULL)}, ID_C));

    /* the statement arrives (in another collection, a later envelope): A (both versions, both
     * collections: the latest copies were refreshed) is CLEAR by default, B its own GREEN */
    assert_int_equal(put_md(f, f->coll2, f->sspc, MD_LATE_S, T1, STIX_TLP_NONE).result, STORE_ADDED);
    seen g = query(f, f->coll, &kate, STORE_V_ALL, NULL);
    assert_int_equal(g.n, 1);
    assert_true(has(&g, ID_A));
    g = query(f, f->coll2, &kate, STORE_V_ALL, NULL);
    assert_true(has(&g, ID_A));
    assert_true(has(&g, MD_LATE_S));
    assert_int_equal(sql_int(f, "SELECT count(*) FROM object WHERE id = ?1 AND tlp IS NULL AND l_tlp IS NULL "
                                "AND unres = 0", ID_A), 2);
    assert_int_equal(sql_int(f, "SELECT tlp FROM object WHERE id = ?1", ID_B), STIX_TLP_GREEN);
    assert_true(has((seen[]){query(f, f->coll, &luis, STORE_V_ALL, NULL)}, ID_B));

    /* a TLP:RED definition arriving later makes C RED: hidden from its own party at once */
    assert_int_equal(put_md(f, f->coll2, f->sspc, MD_LATE_R, T1, STIX_TLP_RED).result, STORE_ADDED);
    assert_false(has((seen[]){query(f, f->coll, &luis, STORE_V_ALL, NULL)}, ID_C));
    assert_true(has((seen[]){query(f, f->coll, &ana, STORE_V_ALL, NULL)}, ID_C));
    assert_int_equal(sql_int(f, "SELECT l_tlp FROM object WHERE id = ?1", ID_C), STIX_TLP_RED);

    /* two pending references, one arrives: still the AMBER floor; the other too: open */
    assert_int_equal(put_md(f, f->coll2, f->sspc, MD_LATE_P, T1, STIX_TLP_NONE).result, STORE_ADDED);
    assert_false(has((seen[]){query(f, f->coll, &kate, STORE_V_ALL, NULL)}, ID_D));
    assert_int_equal(sql_int(f, "SELECT unres FROM object WHERE id = ?1", ID_D), 1);
    assert_int_equal(put_md(f, f->coll2, f->sspc, MD_LATE_Q, T1, STIX_TLP_NONE).result, STORE_ADDED);
    assert_true(has((seen[]){query(f, f->coll, &kate, STORE_V_ALL, NULL)}, ID_D));
    assert_int_equal(sql_int(f, "SELECT count(*) FROM unresolved_ref", NULL), 0);

    /* later in the same envelope, and a delete takes the pending rows along */
    obj env[3];
    mkobj(&env[0], ID_E, T1, STIX_TLP_NONE, NULL);
    ref_to(&env[0], "marking-definition--7a1b2c3d-4e5f-4a6b-8c7d-0000000000a4");
    mkobj(&env[1], ID_F, T1, STIX_TLP_NONE, NULL);
    ref_to(&env[1], "marking-definition--7a1b2c3d-4e5f-4a6b-8c7d-0000000000a5");
    mkobj(&env[2], "marking-definition--7a1b2c3d-4e5f-4a6b-8c7d-0000000000a4", T1, STIX_TLP_NONE, NULL);
    store_object_in in[3];
    for (int i = 0; i < 3; i++) {
        fix(&env[i]);
        in[i] = env[i].in;
    }
    store_put_outcome outs[3];
    store_actor sspc = {.org_rowid = f->sspc};
    assert_int_equal(store_put_objects(f->s, f->coll, &sspc, in, 3, NOW, outs, &err), 0);
    g = query(f, f->coll, &kate, STORE_V_ALL, NULL);
    assert_true(has(&g, ID_E));
    assert_false(has(&g, ID_F));
    assert_int_equal(sql_int(f, "SELECT count(*) FROM unresolved_ref", NULL), 1);
    store_query d = {.coll_rowid = f->coll, .object_id = ID_F, .principal = &ana};
    size_t nd = 0;
    assert_int_equal(store_delete_object(f->s, &d, &nd, &err), 0);
    assert_int_equal(nd, 1);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM unresolved_ref", NULL), 0);
}

/* 10 000 versions of one id waiting for one definition: it resolves them in one statement and
 * refreshes the id once. */
static void test_many_versions_resolve_later(void **state) {
    fixture *f = *state;
    enlace_err err;
    enum { N = 10000 };
    obj *o = calloc(N, sizeof *o);
    store_object_in *in = calloc(N, sizeof *in);
    store_put_outcome *out = calloc(N, sizeof *out);
    assert_non_null(o);
    assert_non_null(in);
    assert_non_null(out);
    assert_int_equal(store_collection_set_default_tlp(f->s, f->coll, POLICY_TLP_CLEAR, &err), 0);
    for (int i = 0; i < N; i++) {
        int v = (i * 7) % N;
        char ts[40];
        snprintf(ts, sizeof ts, "2020-01-01T00:00:%02d.%06dZ", v / 1000000, v % 1000000);
        mkobj(&o[i], ID_A, ts, STIX_TLP_NONE, NULL);
        ref_to(&o[i], MD_LATE_S);
        fix(&o[i]);
        in[i] = o[i].in;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(store_put_objects(f->s, f->coll, NULL, in, N, NOW, out, &err), 0);
    for (int i = 0; i < N; i++) assert_int_equal(out[i].result, STORE_ADDED);
    assert_int_equal(put_md(f, f->coll, 0, MD_LATE_S, T1, STIX_TLP_NONE).result, STORE_ADDED);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    print_message("10 000 versions resolved by a later definition: %.2f s\n", secs);
    assert_true(secs < 20.0);
    policy_principal kate = test_principal(POLICY_LIAISON, f->dea, "DEA", "US", "MX");
    seen g = query(f, f->coll, &kate, STORE_V_ALL, ID_A);
    assert_int_equal(g.n, 60); /* the page limit: all are open */
    assert_int_equal(sql_int(f, "SELECT count(*) FROM object WHERE id = ?1 AND tlp IS NULL AND l_tlp IS NULL",
                             ID_A), N);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM unresolved_ref", NULL), 0);
    free(o);
    free(in);
    free(out);
}

/* ---- query plans ------------------------------------------------------------------------------ */

/* The plan of the most recent query statement that contains all of needles (found among the
 * connection's prepared statements), as one string. */
static void plan_of(store *s, const char *n1, const char *n2, char *out, size_t out_len) {
    sqlite3 *db = store_sqlite(s);
    out[0] = 0;
    for (sqlite3_stmt *st = sqlite3_next_stmt(db, NULL); st; st = sqlite3_next_stmt(db, st)) {
        const char *sql = sqlite3_sql(st);
        if (!sql || strncmp(sql, "SELECT id,", 10) != 0 || !strstr(sql, "enlace_visible") ||
            (n1 && !strstr(sql, n1)) || (n2 && !strstr(sql, n2)))
            continue;
        char eqp[4096];
        snprintf(eqp, sizeof eqp, "EXPLAIN QUERY PLAN %s", sql);
        sqlite3_stmt *e = NULL;
        assert_int_equal(sqlite3_prepare_v2(db, eqp, -1, &e, NULL), SQLITE_OK);
        size_t used = 0;
        while (sqlite3_step(e) == SQLITE_ROW) {
            int w = snprintf(out + used, out_len - used, "%s; ", (const char *)sqlite3_column_text(e, 3));
            if (w > 0 && (size_t)w < out_len - used) used += (size_t)w;
        }
        sqlite3_finalize(e);
        return;
    }
}

static void test_query_plans_keep_indexes(void **state) {
    fixture *f = *state;
    obj o;
    mkobj(&o, ID_A, T1, STIX_TLP_CLEAR, NULL);
    put_as(f, f->coll, f->sspc, 0, &o);
    policy_principal kate = test_principal(POLICY_LIAISON, f->dea, "DEA", "US", "MX");
    char plan[2048];
    /* the default listing: the partial index, in date_added order, no sort */
    query(f, f->coll, &kate, 0, NULL);
    plan_of(f->s, "is_last_s = 1", NULL, plan, sizeof plan);
    print_message("default listing: %s\n", plan);
    assert_non_null(strstr(plan, "object_added_last"));
    assert_null(strstr(plan, "TEMP B-TREE"));
    /* one object: object_key */
    query(f, f->coll, &kate, STORE_V_ALL, ID_A);
    plan_of(f->s, "id = ?4", NULL, plan, sizeof plan);
    print_message("one object: %s\n", plan);
    assert_non_null(strstr(plan, "object_key"));
    /* every version: object_added */
    query(f, f->coll, &kate, STORE_V_ALL, NULL);
    plan_of(f->s, "date_added > ?2 AND is_top_spec = 1 AND (orig_org", NULL, plan, sizeof plan);
    print_message("all versions: %s\n", plan);
    assert_non_null(strstr(plan, "object_added"));
    assert_null(strstr(plan, "TEMP B-TREE"));
    /* match[type] on the default listing */
    seen g;
    memset(&g, 0, sizeof g);
    enlace_err err;
    const char *types[] = {"indicator"};
    store_query q = {.coll_rowid = f->coll, .after_us = -1, .types = types, .n_types = 1, .limit = 10,
                     .principal = &kate};
    assert_int_equal(store_query_objects(f->s, &q, see, &g, &g.more, &err), 0);
    plan_of(f->s, "type IN", "is_last_s = 1", plan, sizeof plan);
    print_message("match[type]: %s\n", plan);
    assert_non_null(strstr(plan, "object_type_last"));
}

/* ---- property: the query predicate is policy_visible ----------------------------------------- */

typedef struct rng { uint64_t s; } rng;

static uint64_t rnd(rng *r) { /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static int rint_(rng *r, int n) { return (int)(rnd(r) % (uint64_t)n); }
static int chance(rng *r, int pct) { return rint_(r, 100) < pct; }

static const char *const PARTIES[] = {"MX", "US", "GT"};
#define N_PARTIES 3
#define ORGS_PER_PARTY 3
#define N_IDS 36
#define MAX_VERSIONS 4
#define N_PRINCIPALS 16
#define N_COLLS 3      /* ids shared between collections, with different versions in each */

typedef struct pver {
    obj o;
    int coll;          /* 0 .. N_COLLS - 1 */
    int added;         /* stored (ADDED) */
    long seq;          /* order stored in (the copy stored last wins a tie of instants) */
} pver;

typedef struct world {
    store *s;
    char node_party[POLICY_PARTY_LEN];
    int64_t org[N_PARTIES][ORGS_PER_PARTY];
    char org_name[N_PARTIES][ORGS_PER_PARTY][16];
    int64_t coll[N_COLLS];
    int default_tlp[N_COLLS];
    int agree[N_PARTIES][N_COLLS];  /* -1 none, else max_tlp */
    pver v[N_IDS * MAX_VERSIONS * N_COLLS];
    size_t nv;
    int64_t orig_org[N_IDS];
    int orig_party[N_IDS];
} world;

static int party_ix(const char *p) {
    for (int i = 0; i < N_PARTIES; i++)
        if (!strcmp(PARTIES[i], p)) return i;
    return -1;
}

/* Random markings for a version: every field independently, lists from the world's parties and
 * organizations. */
static void random_marks(rng *r, world *w, stix_marking *m) {
    memset(m, 0, sizeof *m);
    m->tlp = rint_(r, 6) - 1; /* NONE .. RED */
    if (chance(r, 50)) {
        m->has_releasable_to = 1;
        strcpy(m->releasable_to, ",");
        for (int p = 0; p < N_PARTIES; p++)
            if (chance(r, 40)) {
                strcat(m->releasable_to, PARTIES[p]);
                strcat(m->releasable_to, ",");
            }
        if (!strcmp(m->releasable_to, ",")) strcpy(m->releasable_to, ",,");
    }
    if (chance(r, 40)) {
        m->has_releasable_to_orgs = 1;
        strcpy(m->releasable_to_orgs, ",");
        for (int p = 0; p < N_PARTIES; p++)
            for (int k = 0; k < ORGS_PER_PARTY; k++)
                if (chance(r, 25)) {
                    char id[POLICY_IDENTITY_LEN];
                    test_identity_of(w->org_name[p][k], id);
                    strcat(m->releasable_to_orgs, id);
                    strcat(m->releasable_to_orgs, ",");
                }
        if (!strcmp(m->releasable_to_orgs, ",")) strcpy(m->releasable_to_orgs, ",,");
    }
    m->orcon = chance(r, 30);
    m->vetted_only = chance(r, 25);
    if (chance(r, 20)) m->review_by_us = NOW + (chance(r, 50) ? -1 : 1) * (1 + rint_(r, 1000));
}

static void marks_to_obj(const stix_marking *m, int64_t org, const char *party, policy_object *o) {
    memset(o, 0, sizeof *o);
    o->orig_org = org;
    snprintf(o->orig_party, sizeof o->orig_party, "%s", party);
    o->tlp = m->tlp;
    o->releasable_to = m->has_releasable_to ? m->releasable_to : NULL;
    o->releasable_to_orgs = m->has_releasable_to_orgs ? m->releasable_to_orgs : NULL;
    o->orcon = m->orcon;
    o->vetted_only = m->vetted_only;
    o->review_by_us = m->review_by_us;
}

/* Build a random node: parties, organizations, vettings, collections with defaults,
 * agreements, objects of random originators with random markings in random envelopes. */
static void build_world(rng *r, world *w, const char *path) {
    enlace_err err;
    memset(w, 0, sizeof *w);
    assert_int_equal(store_open(path, 1, &w->s, &err), 0);
    int np = rint_(r, N_PARTIES);
    snprintf(w->node_party, sizeof w->node_party, "%s", PARTIES[np]);
    for (int p = 0; p < N_PARTIES; p++)
        for (int k = 0; k < ORGS_PER_PARTY; k++) {
            snprintf(w->org_name[p][k], sizeof w->org_name[p][k], "%s-%d", PARTIES[p], k);
            w->org[p][k] = p == np && k == 0 ? test_node_init(w->s, PARTIES[p], w->org_name[p][k]) : 0;
        }
    for (int p = 0; p < N_PARTIES; p++)
        for (int k = 0; k < ORGS_PER_PARTY; k++) {
            if (!w->org[p][k]) w->org[p][k] = test_org(w->s, PARTIES[p], w->org_name[p][k], p == np);
            assert_true(w->org[p][k] > 0);
            for (int v = 0; v < N_PARTIES; v++)
                if (v != p && chance(r, 35))
                    assert_int_equal(store_vetting_set(w->s, w->org[p][k], PARTIES[v],
                                                       NOW + (chance(r, 30) ? -1 : 1) * (1 + rint_(r, 500)), 1,
                                                       &err), 0);
        }
    for (int c = 0; c < N_COLLS; c++) {
        store_collection sc;
        char title[8];
        snprintf(title, sizeof title, "C%d", c);
        assert_int_equal(store_collection_create(w->s, NULL, title, NULL, NULL, &sc, &err), 0);
        w->coll[c] = sc.rowid;
        w->default_tlp[c] = rint_(r, 3) ? rint_(r, 6) - 1 : POLICY_TLP_NONE;
        assert_int_equal(store_collection_set_default_tlp(w->s, sc.rowid, w->default_tlp[c], &err), 0);
        for (int p = 0; p < N_PARTIES; p++) {
            w->agree[p][c] = -1;
            if (p != np && chance(r, 60)) {
                w->agree[p][c] = rint_(r, 5);
                assert_int_equal(store_agreement_set(w->s, PARTIES[p], sc.rowid, w->agree[p][c], 1, &err), 0);
            }
        }
    }
    /* objects: each id has one writer (a local organization, or a partner node pulling) */
    typedef struct { size_t first, n; int64_t org; int from_partner; } env;
    env *envs = calloc(N_IDS * N_COLLS * 2, sizeof *envs);
    size_t ne = 0;
    for (int i = 0; i < N_IDS; i++) {
        int partner = chance(r, 30);
        int p = partner ? (np + 1 + rint_(r, N_PARTIES - 1)) % N_PARTIES : np;
        w->orig_org[i] = w->org[p][rint_(r, ORGS_PER_PARTY)];
        w->orig_party[i] = p;
        /* an id lives in one collection, or (40%) in several, each holding its own versions:
         * the latest version on the node may be in another collection, or of another spec */
        int shared = chance(r, 40), home = rint_(r, N_COLLS);
        char id[80];
        snprintf(id, sizeof id, "indicator--%08x-0000-4000-8000-%012d", (unsigned)rnd(r), i);
        for (int c = 0; c < N_COLLS; c++) {
            if (c != home && !(shared && chance(r, 70))) continue;
            int nver = 1 + rint_(r, MAX_VERSIONS);
            size_t first = w->nv;
            /* versions shuffled: distinct seconds in the collection (possibly the same instant
             * as a version in another collection), random order */
            int secs[2 * MAX_VERSIONS];
            for (int k = 0; k < 2 * MAX_VERSIONS; k++) secs[k] = k + 1;
            for (int k = 2 * MAX_VERSIONS - 1; k > 0; k--) {
                int j = rint_(r, k + 1), t = secs[k];
                secs[k] = secs[j];
                secs[j] = t;
            }
            for (int k = 0; k < nver; k++) {
                pver *pv = &w->v[w->nv++];
                char ts[40];
                snprintf(ts, sizeof ts, "2022-01-01T00:00:%02d.500Z", secs[k]);
                mkobj(&pv->o, id, ts, STIX_TLP_NONE, NULL);
                if (chance(r, 20)) pv->o.in.spec_version = "2.0";
                random_marks(r, w, &pv->o.mk);
                pv->o.in.marking = chance(r, 15) ? NULL : &pv->o.mk;
                if (!pv->o.in.marking) memset(&pv->o.mk, 0, sizeof pv->o.mk), pv->o.mk.tlp = STIX_TLP_NONE;
                pv->coll = c;
            }
            /* one or two envelopes */
            size_t cut = nver > 1 && chance(r, 50) ? 1 + (size_t)rint_(r, nver - 1) : (size_t)nver;
            envs[ne++] = (env){first, cut, w->orig_org[i], partner};
            if (cut < (size_t)nver) envs[ne++] = (env){first + cut, (size_t)nver - cut, w->orig_org[i], partner};
        }
    }
    for (size_t k = ne; k > 1; k--) { /* envelopes in random order */
        size_t j = (size_t)rint_(r, (int)k);
        env t = envs[k - 1];
        envs[k - 1] = envs[j];
        envs[j] = t;
    }
    long seq = 0;
    for (size_t e = 0; e < ne; e++) {
        store_object_in in[MAX_VERSIONS];
        store_put_outcome outs[MAX_VERSIONS];
        for (size_t k = 0; k < envs[e].n; k++) {
            fix(&w->v[envs[e].first + k].o);
            in[k] = w->v[envs[e].first + k].o.in;
        }
        store_actor a = {.org_rowid = envs[e].org, .from_partner = envs[e].from_partner};
        assert_int_equal(store_put_objects(w->s, w->coll[w->v[envs[e].first].coll], &a, in, envs[e].n,
                                           NOW + (int64_t)e, outs, &err), 0);
        for (size_t k = 0; k < envs[e].n; k++) {
            assert_int_equal(outs[k].result, STORE_ADDED);
            w->v[envs[e].first + k].added = 1;
            w->v[envs[e].first + k].seq = ++seq;
        }
        /* someone else trying to version the id is refused and changes nothing */
        if (chance(r, 20)) {
            pver *pv = &w->v[envs[e].first];
            obj o2 = pv->o;
            snprintf(o2.version, sizeof o2.version, "2022-01-01T00:01:00.000Z");
            test_key_of(o2.version, o2.key, sizeof o2.key);
            fix(&o2);
            int64_t other = w->org[np][1];
            if (other == envs[e].org) other = w->org[np][2];
            store_actor b = {.org_rowid = other};
            assert_int_equal(store_put_objects(w->s, w->coll[pv->coll], &b, &o2.in, 1, NOW, outs, &err), 0);
            assert_int_equal(outs[0].result, STORE_REFUSED);
        }
    }
    free(envs);
}

/* The id index of a stored version (its id ends with the index). */
static int id_ix(const char *id) { return atoi(id + strlen(id) - 12); }

/* What the model says principal p sees in collection c with version selection vflags:
 * "id|version" strings into out (malloc'd array), count returned. */
static size_t model(world *w, const policy_principal *p, int c, unsigned vflags, const char *only_id,
                    char (*out)[128], size_t *hidden) {
    policy_context ctx = {.default_tlp = w->default_tlp[c], .agreement = 0, .max_tlp = POLICY_TLP_RED};
    int pp = party_ix(p->party);
    if (pp >= 0 && w->agree[pp][c] >= 0) {
        ctx.agreement = 1;
        ctx.max_tlp = w->agree[pp][c];
    }
    size_t n = 0;
    for (size_t i = 0; i < w->nv; i++) {
        pver *v = &w->v[i];
        if (v->coll != c || !v->added || (only_id && strcmp(v->o.id, only_id) != 0)) continue;
        /* TAXII's selection in this collection: the id's highest spec version there, its
         * newest / oldest version; the policy's: the id's latest version on the NODE (newest
         * instant in any collection and spec version; on a tie the copy stored last) */
        const char *top = v->o.in.spec_version;
        for (size_t j = 0; j < w->nv; j++) {
            pver *u = &w->v[j];
            if (u->coll == c && u->added && strcmp(u->o.id, v->o.id) == 0 && strcmp(u->o.in.spec_version, top) > 0)
                top = u->o.in.spec_version;
        }
        if (strcmp(v->o.in.spec_version, top) != 0) continue;
        pver *newest = v, *first = v, *latest = v;
        for (size_t j = 0; j < w->nv; j++) {
            pver *u = &w->v[j];
            if (!u->added || strcmp(u->o.id, v->o.id) != 0) continue;
            int k = strcmp(u->o.key, latest->o.key);
            if (k > 0 || (k == 0 && u->seq > latest->seq)) latest = u;
            if (u->coll != c || strcmp(u->o.in.spec_version, top) != 0) continue;
            if (strcmp(u->o.key, newest->o.key) > 0) newest = u;
            if (strcmp(u->o.key, first->o.key) < 0) first = u;
        }
        if (vflags == 0 && v != newest) continue;
        if (vflags == STORE_V_FIRST && v != first) continue;
        int ix = id_ix(v->o.id);
        policy_object ov, ol;
        marks_to_obj(&v->o.mk, w->orig_org[ix], PARTIES[w->orig_party[ix]], &ov);
        marks_to_obj(&latest->o.mk, w->orig_org[ix], PARTIES[w->orig_party[ix]], &ol);
        if (!policy_visible(p, &ctx, &ov, &ol).allow) {
            if (hidden) (*hidden)++;
            continue;
        }
        snprintf(out[n++], 128, "%s|%s", v->o.id, v->o.version);
    }
    return n;
}

typedef struct pgot {
    char (*rows)[128];
    size_t n, cap;
    int64_t last_da;
} pgot;

static int pcollect(void *ctx, const store_row *r) {
    pgot *g = ctx;
    if (g->n >= g->cap) return 1;
    snprintf(g->rows[g->n++], 128, "%s|%s", r->id, r->version);
    g->last_da = r->date_added;
    return 0;
}

static int cmp128(const void *a, const void *b) { return strcmp(a, b); }

/* Page through the query with limit `limit`, checking `more` on every page. Returns the rows. */
static size_t paged(world *w, const policy_principal *p, int c, unsigned vflags, const char *only_id,
                    size_t limit, size_t expect, char (*out)[128], size_t cap) {
    pgot g = {out, 0, cap, -1};
    enlace_err err;
    for (int pages = 0; pages < 1000; pages++) {
        store_query q = {.coll_rowid = w->coll[c], .after_us = g.last_da, .version_flags = vflags,
                         .object_id = only_id, .limit = limit, .principal = p};
        size_t before = g.n;
        int more = -1;
        assert_int_equal(store_query_objects(w->s, &q, pcollect, &g, &more, &err), 0);
        /* exact paging: a full page says more exactly when rows remain */
        assert_int_equal(more, g.n < expect);
        if (!more) break;
        assert_int_equal(g.n - before, limit);
    }
    return g.n;
}

static void test_property_predicate_is_policy_visible(void **state) {
    fixture *f = *state;
    uint64_t seed = 20261129;
    const char *env = getenv("ENLACE_PROPERTY_SEED");
    if (env && *env) seed = strtoull(env, NULL, 10);
    print_message("property seed %llu (ENLACE_PROPERTY_SEED=N to replay)\n", (unsigned long long)seed);
    rng r = {seed};
    enum { WORLDS = 6 };
    size_t cases = 0, visible_total = 0, hidden_total = 0, rows_total = 0;
    char (*want)[128] = calloc(2048, sizeof *want);
    char (*got)[128] = calloc(2048, sizeof *got);
    world *w = calloc(1, sizeof *w);
    /* the worlds on tmpfs when there is one: their ~1000 durable commits (fsync) would otherwise
     * take most of the run; durability is test_store_durability's business */
    char shmdir[64] = "/dev/shm/enlace-prop-XXXXXX", *shm = NULL;
    if (access("/dev/shm", W_OK) == 0) shm = mkdtemp(shmdir);
    assert_non_null(want);
    assert_non_null(got);
    assert_non_null(w);
    for (int wi = 0; wi < WORLDS; wi++) {
        char path[160];
        snprintf(path, sizeof path, "%s/world%d.db", shm ? shm : f->dir, wi);
        build_world(&r, w, path);
        int np = party_ix(w->node_party);
        for (int pi = 0; pi < N_PRINCIPALS; pi++) {
            /* a random principal, built by the store from a user row like the server does */
            int kind = rint_(&r, 3);
            int p = kind == POLICY_USER ? np : (np + 1 + rint_(&r, N_PARTIES - 1)) % N_PARTIES;
            int64_t org = w->org[p][rint_(&r, ORGS_PER_PARTY)];
            unsigned roles = kind == POLICY_USER ? (chance(&r, 50) ? STORE_ROLE_ANALYST : STORE_ROLE_APPROVER)
                           : kind == POLICY_LIAISON ? STORE_ROLE_LIAISON : STORE_ROLE_PARTNER;
            char name[32];
            snprintf(name, sizeof name, "u%d", pi);
            store_user u;
            enlace_err err;
            assert_int_equal(store_user_add(w->s, name, roles, org, NULL, 1, &u, &err), 0);
            policy_principal pr;
            assert_int_equal(store_principal_for_user(w->s, &u, NOW, &pr, &err), 0);
            assert_int_equal(pr.kind, kind);
            for (int c = 0; c < N_COLLS; c++) {
                static const unsigned modes[3] = {0, STORE_V_FIRST, STORE_V_ALL};
                for (int m = 0; m < 3; m++) {
                    size_t nw = model(w, &pr, c, modes[m], NULL, want, &hidden_total);
                    size_t limit = 1 + (size_t)rint_(&r, 7);
                    size_t ng = paged(w, &pr, c, modes[m], NULL, limit, nw, got, 2048);
                    qsort(want, nw, sizeof *want, cmp128);
                    qsort(got, ng, sizeof *got, cmp128);
                    if (ng != nw) print_message("world %d principal %d coll %d mode %d: got %zu want %zu\n", wi, pi,
                                                c, m, ng, nw);
                    assert_int_equal(ng, nw);
                    for (size_t k = 0; k < nw; k++) assert_string_equal(got[k], want[k]);
                    cases++;
                    visible_total += nw;
                }
                /* single-object GETs: 0 exactly when the model says invisible */
                for (size_t i = 0; i < w->nv; i += 3) {
                    if (w->v[i].coll != c) continue;
                    size_t nw = model(w, &pr, c, STORE_V_ALL, w->v[i].o.id, want, NULL);
                    size_t ng = paged(w, &pr, c, STORE_V_ALL, w->v[i].o.id, 100, nw, got, 2048);
                    assert_int_equal(ng, nw);
                    cases++;
                }
            }
        }
        for (size_t i = 0; i < w->nv; i++) rows_total += w->v[i].added;
        store_close(w->s);
    }
    print_message("property: %zu cases, %zu versions stored, %zu visible and %zu hidden rows compared\n",
                  cases, rows_total, visible_total, hidden_total);
    /* the generator must produce both outcomes, or the property says little */
    assert_true(visible_total > 0);
    assert_true(hidden_total > 0);
    assert_true(cases > 500);
    free(want);
    free(got);
    free(w);
    if (shm) assert_int_equal(test_remove_dir(shm), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_originator_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_marking_definitions_resolve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_latest_version_decides_too, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_rights, setup, teardown),
        cmocka_unit_test_setup_teardown(test_review_and_purge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_query_plans_keep_indexes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_id_case_is_one_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusal_text_is_generic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_marking_definitions_are_the_originators, setup, teardown),
        cmocka_unit_test_setup_teardown(test_latest_version_is_the_nodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_versions_node_latest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identity_squatting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_definitions_posted_later, setup, teardown),
        cmocka_unit_test_setup_teardown(test_definitions_posted_later_resolve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_versions_resolve_later, setup, teardown),
        cmocka_unit_test_setup_teardown(test_property_predicate_is_policy_visible, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
