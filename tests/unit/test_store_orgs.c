/* test_store_orgs.c - who is who in the store (issue 3): parties, organizations, vettings,
 * agreements, collection default TLP, users' roles and organizations, the principal a user
 * reads as, and the upgrade of an issue-2 store (migration step 3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "test_store_node.h"

typedef struct fixture {
    char dir[64];
    char path[96];
    store *s;
    int64_t sspc;     /* the node's own organization (MX) */
    int64_t coll;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/enlace-orgs-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->path, sizeof f->path, "%s/node.db", f->dir);
    enlace_err err;
    if (store_open(f->path, 1, &f->s, &err) != 0) return -1;
    if (!(f->sspc = test_node_init(f->s, "MX", "SSPC"))) return -1;
    store_collection c;
    if (store_collection_create(f->s, NULL, "Shared", NULL, "shared", &c, &err) != 0) return -1;
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

static void test_roles_parse_format(void **state) {
    (void)state;
    assert_int_equal(store_roles_parse("analyst"), STORE_ROLE_ANALYST);
    assert_int_equal(store_roles_parse("analyst,approver"), STORE_ROLE_ANALYST | STORE_ROLE_APPROVER);
    assert_int_equal(store_roles_parse(" liaison , admin "), STORE_ROLE_LIAISON | STORE_ROLE_ADMIN);
    assert_int_equal(store_roles_parse("partner"), STORE_ROLE_PARTNER);
    assert_int_equal(store_roles_parse(""), 0);
    assert_int_equal(store_roles_parse("analyst,"), 0);
    assert_int_equal(store_roles_parse("analyst,root"), 0);
    assert_int_equal(store_roles_parse("Analyst"), 0);
    assert_int_equal(store_roles_parse(NULL), 0);
    char out[64];
    store_roles_format(STORE_ROLE_APPROVER | STORE_ROLE_ANALYST, out, sizeof out);
    assert_string_equal(out, "analyst,approver");
    store_roles_format(0, out, sizeof out);
    assert_string_equal(out, "");
    store_roles_format(STORE_ROLE_ADMIN | STORE_ROLE_LIAISON, out, sizeof out);
    assert_int_equal(store_roles_parse(out), STORE_ROLE_ADMIN | STORE_ROLE_LIAISON);
}

static void test_parties(void **state) {
    fixture *f = *state;
    enlace_err err;
    assert_int_equal(store_party_add(f->s, "us", NULL, &err), ENLACE_EINVAL);
    assert_int_equal(store_party_add(f->s, "USA", NULL, &err), ENLACE_EINVAL);
    assert_int_equal(store_party_add(f->s, "", NULL, &err), ENLACE_EINVAL);
    assert_int_equal(store_party_add(f->s, "AA", "first", &err), 0);
    assert_int_equal(store_party_add(f->s, "US", "United States", &err), 0);
    assert_int_equal(store_party_add(f->s, "US", "United States of America", &err), 0); /* idempotent */
    assert_int_equal(store_party_add(f->s, "US", NULL, &err), 0);  /* keeps the name */
    store_party *p = NULL;
    size_t n = 0;
    assert_int_equal(store_party_list(f->s, &p, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(p[0].code, "MX"); /* the node's own first, though AA sorts before it */
    assert_int_equal(p[0].self, 1);
    assert_string_equal(p[1].code, "AA");
    assert_int_equal(p[1].self, 0);
    assert_string_equal(p[2].code, "US");
    assert_string_equal(p[2].name, "United States of America");
    free(p);
}

static void test_orgs(void **state) {
    fixture *f = *state;
    enlace_err err;
    store_org o, g;
    /* a node vouches only for its own party's organizations */
    assert_int_equal(store_org_add(f->s, "identity--6b9a7c0e-2a38-4b3c-9f0e-1c2d3e4f5a6b", "DEA", "US", 1,
                                   "{}", 5, &o, &err), ENLACE_EINVAL);
    assert_int_equal(store_org_add(f->s, "identity--6b9a7c0e-2a38-4b3c-9f0e-1c2d3e4f5a6b", "DEA", "US", 0,
                                   "{\"type\":\"identity\"}", 5, &o, &err), 0);
    assert_int_equal(o.vouched, 0);
    assert_int_equal(o.self, 0);
    assert_string_equal(o.party, "US");
    assert_int_equal(store_org_add(f->s, "identity--0c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5", "UIN-7", "MX", 1,
                                   "{}", 6, NULL, &err), 0);
    /* name and identity id are unique */
    assert_int_equal(store_org_add(f->s, "identity--11111111-2a38-4b3c-9f0e-1c2d3e4f5a6b", "DEA", "US", 0,
                                   "{}", 7, NULL, &err), ENLACE_ECONFLICT);
    assert_int_equal(store_org_add(f->s, "identity--6b9a7c0e-2a38-4b3c-9f0e-1c2d3e4f5a6b", "DEA2", "US", 0,
                                   "{}", 7, NULL, &err), ENLACE_ECONFLICT);
    /* malformed input */
    assert_int_equal(store_org_add(f->s, "indicator--6b9a7c0e-2a38-4b3c-9f0e-1c2d3e4f5a6b", "X", "US", 0,
                                   "{}", 7, NULL, &err), ENLACE_EINVAL);
    assert_int_equal(store_org_add(f->s, "identity--22222222-2a38-4b3c-9f0e-1c2d3e4f5a6b", "X", "usa", 0,
                                   "{}", 7, NULL, &err), ENLACE_EINVAL);
    /* the party of a new organization is recorded */
    assert_int_equal(store_org_add(f->s, "identity--33333333-2a38-4b3c-9f0e-1c2d3e4f5a6b", "MINGOB", "GT", 0,
                                   "{}", 8, NULL, &err), 0);
    store_party *p = NULL;
    size_t n = 0;
    assert_int_equal(store_party_list(f->s, &p, &n, &err), 0);
    assert_int_equal(n, 3);
    free(p);
    /* lookups by name, identity and rowid */
    assert_int_equal(store_org_get(f->s, "DEA", &g, &err), 0);
    assert_int_equal(g.rowid, o.rowid);
    assert_int_equal(store_org_get(f->s, "identity--6b9a7c0e-2a38-4b3c-9f0e-1c2d3e4f5a6b", &g, &err), 0);
    assert_string_equal(g.name, "DEA");
    assert_int_equal(store_org_get_by_rowid(f->s, f->sspc, &g, &err), 0);
    assert_int_equal(g.self, 1);
    assert_int_equal(g.vouched, 1);
    assert_int_equal(store_org_get(f->s, "HSI", &g, &err), ENLACE_ENOTFOUND);
    assert_int_equal(store_org_get_by_rowid(f->s, 9999, &g, &err), ENLACE_ENOTFOUND);
    char *json = NULL;
    assert_int_equal(store_org_identity_json(f->s, o.rowid, &json, &err), 0);
    assert_string_equal(json, "{\"type\":\"identity\"}");
    free(json);
    assert_int_equal(store_org_identity_json(f->s, 9999, &json, &err), ENLACE_ENOTFOUND);
    store_org *list = NULL;
    assert_int_equal(store_org_list(f->s, &list, &n, &err), 0);
    assert_int_equal(n, 4);
    assert_string_equal(list[0].name, "SSPC");
    assert_int_equal(list[0].self, 1);
    assert_string_equal(list[1].name, "DEA");
    assert_string_equal(list[2].name, "UIN-7");
    assert_int_equal(list[2].self, 0);
    assert_int_equal(list[2].vouched, 1);
    free(list);
}

static void test_vettings(void **state) {
    fixture *f = *state;
    enlace_err err;
    int64_t uin7 = test_org(f->s, "MX", "UIN-7", 1);
    assert_true(uin7 > 0);
    /* a party does not vet its own organizations */
    assert_int_equal(store_vetting_set(f->s, uin7, "MX", 100, 1, &err), ENLACE_EINVAL);
    assert_int_equal(store_vetting_set(f->s, 9999, "US", 100, 1, &err), ENLACE_ENOTFOUND);
    assert_int_equal(store_vetting_set(f->s, uin7, "us", 100, 1, &err), ENLACE_EINVAL);
    assert_int_equal(store_vetting_set(f->s, uin7, "US", 100, 1, &err), 0);
    assert_int_equal(store_vetting_set(f->s, uin7, "US", 200, 2, &err), 0); /* replaces */
    assert_int_equal(store_vetting_set(f->s, uin7, "GT", 50, 3, &err), 0);
    store_vetting *v = NULL;
    size_t n = 0;
    assert_int_equal(store_vetting_list(f->s, &v, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].by_party, "GT");
    assert_string_equal(v[1].by_party, "US");
    assert_int_equal(v[1].until_us, 200);
    assert_int_equal(v[1].created_us, 2);
    assert_string_equal(v[1].org_name, "UIN-7");
    assert_string_equal(v[1].org_party, "MX");
    char ident[POLICY_IDENTITY_LEN];
    test_identity_of("UIN-7", ident);
    assert_string_equal(v[1].org_identity, ident);
    free(v);
    assert_int_equal(store_vetting_remove(f->s, uin7, "GT", &err), 0);
    assert_int_equal(store_vetting_remove(f->s, uin7, "GT", &err), ENLACE_ENOTFOUND);
    assert_int_equal(store_vetting_list(f->s, &v, &n, &err), 0);
    assert_int_equal(n, 1);
    free(v);
}

static void test_agreements_and_default_tlp(void **state) {
    fixture *f = *state;
    enlace_err err;
    assert_int_equal(store_agreement_set(f->s, "MX", f->coll, POLICY_TLP_GREEN, 1, &err), ENLACE_EINVAL);
    assert_int_equal(store_agreement_set(f->s, "US", f->coll, 5, 1, &err), ENLACE_EINVAL);
    assert_int_equal(store_agreement_set(f->s, "US", f->coll, POLICY_TLP_NONE, 1, &err), ENLACE_EINVAL);
    assert_int_equal(store_agreement_set(f->s, "US", 9999, POLICY_TLP_GREEN, 1, &err), ENLACE_ENOTFOUND);
    assert_int_equal(store_agreement_set(f->s, "US", f->coll, POLICY_TLP_GREEN, 1, &err), 0);
    assert_int_equal(store_agreement_set(f->s, "US", f->coll, POLICY_TLP_AMBER, 2, &err), 0); /* replaces */
    assert_int_equal(store_agreement_set(f->s, "GT", f->coll, POLICY_TLP_CLEAR, 3, &err), 0);
    store_agreement *a = NULL;
    size_t n = 0;
    assert_int_equal(store_agreement_list(f->s, &a, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(a[0].party, "GT");
    assert_string_equal(a[1].party, "US");
    assert_int_equal(a[1].max_tlp, POLICY_TLP_AMBER);
    assert_int_equal(a[1].coll_rowid, f->coll);
    assert_int_equal(strlen(a[1].coll_id), 36);
    free(a);
    assert_int_equal(store_agreement_remove(f->s, "GT", f->coll, &err), 0);
    assert_int_equal(store_agreement_remove(f->s, "GT", f->coll, &err), ENLACE_ENOTFOUND);

    assert_int_equal(store_collection_set_default_tlp(f->s, f->coll, POLICY_TLP_CLEAR, &err), 0);
    assert_int_equal(store_collection_set_default_tlp(f->s, f->coll, POLICY_TLP_NONE, &err), 0);
    assert_int_equal(store_collection_set_default_tlp(f->s, f->coll, 7, &err), ENLACE_EINVAL);
    assert_int_equal(store_collection_set_default_tlp(f->s, 9999, POLICY_TLP_RED, &err), ENLACE_ENOTFOUND);
}

static void test_user_roles_fit_org(void **state) {
    fixture *f = *state;
    enlace_err err;
    int64_t dea = test_org(f->s, "US", "DEA", 0);
    int64_t usnode = test_org(f->s, "US", "US-NODE", 0);
    assert_true(dea > 0 && usnode > 0);
    store_user u;
    /* a liaison is an officer of a partner party; analysts, approvers, admins are the node's */
    assert_int_equal(store_user_add(f->s, "kate.doyle", STORE_ROLE_LIAISON, dea, NULL, 1, &u, &err), 0);
    assert_int_equal(u.roles, STORE_ROLE_LIAISON);
    assert_string_equal(u.org, "DEA");
    assert_string_equal(u.party, "US");
    assert_int_equal(store_user_add(f->s, "x1", STORE_ROLE_LIAISON, f->sspc, NULL, 1, NULL, &err), ENLACE_EINVAL);
    assert_int_equal(store_user_add(f->s, "x2", STORE_ROLE_ANALYST, dea, NULL, 1, NULL, &err), ENLACE_EINVAL);
    assert_int_equal(store_user_add(f->s, "x3", STORE_ROLE_ADMIN, dea, NULL, 1, NULL, &err), ENLACE_EINVAL);
    assert_int_equal(store_user_add(f->s, "x4", STORE_ROLE_APPROVER, dea, NULL, 1, NULL, &err), ENLACE_EINVAL);
    assert_int_equal(store_user_add(f->s, "x5", STORE_ROLE_LIAISON | STORE_ROLE_ANALYST, dea, NULL, 1, NULL, &err),
                     ENLACE_EINVAL);
    /* a partner node account: another party's organization, no other role */
    assert_int_equal(store_user_add(f->s, "us-node", STORE_ROLE_PARTNER, usnode, NULL, 1, NULL, &err), 0);
    assert_int_equal(store_user_add(f->s, "x6", STORE_ROLE_PARTNER, f->sspc, NULL, 1, NULL, &err), ENLACE_EINVAL);
    assert_int_equal(store_user_add(f->s, "x7", STORE_ROLE_PARTNER | STORE_ROLE_LIAISON, usnode, NULL, 1, NULL, &err),
                     ENLACE_EINVAL);
    /* no role, unknown bits, unknown organization */
    assert_int_equal(store_user_add(f->s, "x8", 0, f->sspc, NULL, 1, NULL, &err), ENLACE_EINVAL);
    assert_int_equal(store_user_add(f->s, "x9", 64, f->sspc, NULL, 1, NULL, &err), ENLACE_EINVAL);
    assert_int_equal(store_user_add(f->s, "x10", STORE_ROLE_ANALYST, 9999, NULL, 1, NULL, &err), ENLACE_ENOTFOUND);
    store_user *list = NULL;
    size_t n = 0;
    assert_int_equal(store_user_list(f->s, &list, &n, &err), 0);
    assert_int_equal(n, 2); /* none of the refused ones was stored */
    free(list);
}

static void test_principal_for_user(void **state) {
    fixture *f = *state;
    enlace_err err;
    int64_t uin7 = test_org(f->s, "MX", "UIN-7", 1);
    int64_t fgr = test_org(f->s, "MX", "FGR", 1);
    int64_t dea = test_org(f->s, "US", "DEA", 0);
    assert_int_equal(store_vetting_set(f->s, uin7, "US", 1000, 1, &err), 0);
    assert_int_equal(store_vetting_set(f->s, uin7, "GT", 500, 1, &err), 0);
    assert_int_equal(store_vetting_set(f->s, fgr, "US", 3000, 1, &err), 0);
    store_user luis, admin, ana, kate;
    assert_int_equal(store_user_add(f->s, "luis.mora", STORE_ROLE_APPROVER, uin7, NULL, 1, &luis, &err), 0);
    assert_int_equal(store_user_add(f->s, "admin", STORE_ROLE_ADMIN, f->sspc, NULL, 1, &admin, &err), 0);
    assert_int_equal(store_user_add(f->s, "ana.ruiz", STORE_ROLE_ANALYST | STORE_ROLE_ADMIN, f->sspc, NULL, 1, &ana,
                                    &err), 0);
    assert_int_equal(store_user_add(f->s, "kate.doyle", STORE_ROLE_LIAISON, dea, NULL, 1, &kate, &err), 0);
    policy_principal p;
    /* admin alone reads nothing */
    assert_int_equal(store_principal_for_user(f->s, &admin, 7, &p, &err), ENLACE_EDENIED);
    assert_int_equal(store_principal_for_user(f->s, &ana, 7, &p, &err), 0);
    assert_int_equal(p.kind, POLICY_USER);
    assert_int_equal(p.org, f->sspc);
    assert_string_equal(p.party, "MX");
    assert_string_equal(p.node_party, "MX");
    assert_int_equal(p.n_vetted, 0);
    assert_int_equal(p.now_us, 7);
    assert_int_equal(store_principal_for_user(f->s, &luis, 7, &p, &err), 0);
    assert_int_equal(p.kind, POLICY_USER);
    char ident[POLICY_IDENTITY_LEN];
    test_identity_of("UIN-7", ident);
    assert_string_equal(p.org_identity, ident);
    assert_int_equal(p.n_vetted, 2);  /* its own organization's vettings only, not FGR's */
    int us = strcmp(p.vetted[0].party, "US") == 0 ? 0 : 1;
    assert_string_equal(p.vetted[us].party, "US");
    assert_int_equal(p.vetted[us].until_us, 1000);
    assert_string_equal(p.vetted[1 - us].party, "GT");
    assert_int_equal(p.vetted[1 - us].until_us, 500);
    assert_int_equal(store_principal_for_user(f->s, &kate, 7, &p, &err), 0);
    assert_int_equal(p.kind, POLICY_LIAISON);
    assert_string_equal(p.party, "US");
    assert_string_equal(p.node_party, "MX");

    /* a partner node reads for its whole party: the vettings of all its party's organizations,
     * the latest expiry per vetting party. Seen from a US node: MX's node pulls. */
    store_close(f->s);
    char p2[128];
    snprintf(p2, sizeof p2, "%s/us.db", f->dir);
    assert_int_equal(store_open(p2, 1, &f->s, &err), 0);
    assert_true(test_node_init(f->s, "US", "DEA") > 0);
    int64_t m_uin7 = test_org(f->s, "MX", "UIN-7", 0), m_fgr = test_org(f->s, "MX", "FGR", 0);
    int64_t m_node = test_org(f->s, "MX", "MX-NODE", 0);
    assert_int_equal(store_vetting_set(f->s, m_uin7, "US", 1000, 1, &err), 0);
    assert_int_equal(store_vetting_set(f->s, m_fgr, "US", 3000, 1, &err), 0);
    assert_int_equal(store_vetting_set(f->s, m_uin7, "GT", 500, 1, &err), 0);
    store_user node;
    assert_int_equal(store_user_add(f->s, "mx-node", STORE_ROLE_PARTNER, m_node, NULL, 1, &node, &err), 0);
    assert_int_equal(store_principal_for_user(f->s, &node, 9, &p, &err), 0);
    assert_int_equal(p.kind, POLICY_PARTNER);
    assert_int_equal(p.org, m_node);
    assert_string_equal(p.party, "MX");
    assert_string_equal(p.node_party, "US");
    assert_int_equal(p.n_vetted, 2);
    us = strcmp(p.vetted[0].party, "US") == 0 ? 0 : 1;
    assert_int_equal(p.vetted[us].until_us, 3000);
    assert_int_equal(p.vetted[1 - us].until_us, 500);
}

/* ---- upgrade of an issue-2 store -------------------------------------------------------------- */

/* Steps 1 and 2 as released with issue 2 (src/store/migrate.c; steps are never edited). */
static const char *const ISSUE2_SCHEMA =
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE collection (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT NOT NULL,"
    "  description TEXT NOT NULL DEFAULT '', alias TEXT UNIQUE, last_added INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE user (rowid INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL,"
    "  org TEXT NOT NULL DEFAULT '', pw_hash TEXT NOT NULL DEFAULT '', disabled INTEGER NOT NULL DEFAULT 0,"
    "  created_us INTEGER NOT NULL);"
    "CREATE TABLE grants (user INTEGER NOT NULL REFERENCES user(rowid) ON DELETE CASCADE,"
    "  coll INTEGER NOT NULL REFERENCES collection(rowid) ON DELETE CASCADE, can_read INTEGER NOT NULL,"
    "  can_write INTEGER NOT NULL, PRIMARY KEY (user, coll)) WITHOUT ROWID;"
    "CREATE INDEX grants_coll ON grants(coll);"
    "CREATE TABLE token (rowid INTEGER PRIMARY KEY, sha256 BLOB NOT NULL UNIQUE, token_id TEXT NOT NULL UNIQUE,"
    "  user INTEGER NOT NULL REFERENCES user(rowid) ON DELETE CASCADE, created_us INTEGER NOT NULL,"
    "  revoked INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX token_user ON token(user);"
    "CREATE TABLE status (id TEXT PRIMARY KEY, user INTEGER NOT NULL, json TEXT NOT NULL, created_us INTEGER NOT NULL);"
    "CREATE INDEX status_created ON status(created_us);"
    "CREATE TABLE object (rowid INTEGER PRIMARY KEY,"
    "  coll INTEGER NOT NULL REFERENCES collection(rowid) ON DELETE CASCADE, id TEXT NOT NULL,"
    "  type TEXT NOT NULL, spec_version TEXT NOT NULL, version TEXT NOT NULL, version_key TEXT NOT NULL,"
    "  sco_nv INTEGER NOT NULL, date_added INTEGER NOT NULL, is_top_spec INTEGER NOT NULL,"
    "  is_last_s INTEGER NOT NULL, is_first_s INTEGER NOT NULL, is_last_a INTEGER NOT NULL,"
    "  is_first_a INTEGER NOT NULL, body TEXT NOT NULL);"
    "CREATE UNIQUE INDEX object_key ON object(coll, id, version_key, sco_nv);"
    "CREATE UNIQUE INDEX object_added ON object(coll, date_added);"
    "CREATE INDEX object_added_last ON object(coll, date_added) WHERE is_top_spec = 1 AND is_last_s = 1;"
    "CREATE INDEX object_type_last ON object(coll, type, date_added) WHERE is_top_spec = 1 AND is_last_s = 1;"
    "CREATE INDEX object_spec ON object(coll, id, spec_version, version_key);"
    "PRAGMA user_version = 2;";

#define OLD_IDENT "identity--5d3c2b1a-0f9e-4d8c-b7a6-958473625140"
#define OLD_OBJ "indicator--0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

static const char *const ISSUE2_DATA =
    "INSERT INTO meta VALUES ('party', 'MX'), ('org', 'SSPC'), ('identity_id', '" OLD_IDENT "'),"
    "  ('identity_json', '{\"type\":\"identity\",\"id\":\"" OLD_IDENT "\"}');"
    "INSERT INTO collection(rowid, id, title, last_added) VALUES (1, '9e8d7c6b-5a49-4382-a716-0f1e2d3c4b5a', 'Old', 20);"
    "INSERT INTO user(rowid, name, role, org, created_us) VALUES (1, 'admin', 'admin', 'SSPC', 1),"
    "  (2, 'ana', 'analyst', 'SSPC', 2);"
    "INSERT INTO grants VALUES (2, 1, 1, 1);"
    "INSERT INTO token(sha256, token_id, user, created_us) VALUES (x'00', 'tok', 2, 3);"
    "INSERT INTO object(coll, id, type, spec_version, version, version_key, sco_nv, date_added, is_top_spec,"
    "  is_last_s, is_first_s, is_last_a, is_first_a, body) VALUES"
    "  (1, '" OLD_OBJ "', 'indicator', '2.1', '2021-01-01T00:00:00.000Z', '2021-01-01T00:00:00', 0, 10, 1, 0, 1, 0, 1, '{\"v\":1}'),"
    "  (1, '" OLD_OBJ "', 'indicator', '2.1', '2021-02-01T00:00:00.000Z', '2021-02-01T00:00:00', 0, 20, 1, 1, 0, 1, 0, '{\"v\":2}');";

static int count_rows(void *ctx, const store_row *r) {
    (void)r;
    (*(int *)ctx)++;
    return 0;
}

static void test_upgrade_issue2_store(void **state) {
    fixture *f = *state;
    enlace_err err;
    char p2[128];
    snprintf(p2, sizeof p2, "%s/issue2.db", f->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(p2, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, ISSUE2_SCHEMA, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, ISSUE2_DATA, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    store *s = NULL;
    assert_int_equal(store_open(p2, 0, &s, &err), 0);
    /* the node's party and organization came from meta */
    store_org self;
    assert_int_equal(store_org_get(s, OLD_IDENT, &self, &err), 0);
    assert_string_equal(self.name, "SSPC");
    assert_string_equal(self.party, "MX");
    assert_int_equal(self.self, 1);
    assert_int_equal(self.vouched, 1);
    char *json = NULL;
    assert_int_equal(store_org_identity_json(s, self.rowid, &json, &err), 0);
    assert_non_null(strstr(json, OLD_IDENT));
    free(json);
    /* users kept their rows (grants, tokens) and got the organization and role masks */
    store_user admin, ana;
    assert_int_equal(store_user_get(s, "admin", &admin, &err), 0);
    assert_int_equal(admin.roles, STORE_ROLE_ADMIN);
    assert_int_equal(admin.org_rowid, self.rowid);
    assert_int_equal(store_user_get(s, "ana", &ana, &err), 0);
    assert_int_equal(ana.roles, STORE_ROLE_ANALYST);
    assert_string_equal(ana.org, "SSPC");
    assert_string_equal(ana.party, "MX");
    store_collection c;
    assert_int_equal(store_collection_find(s, "9e8d7c6b-5a49-4382-a716-0f1e2d3c4b5a", ana.rowid, &c, &err), 0);
    assert_int_equal(c.can_write, 1);
    store_token *toks = NULL;
    size_t nt = 0;
    assert_int_equal(store_token_list(s, &toks, &nt, &err), 0);
    assert_int_equal(nt, 1);
    assert_int_equal(toks[0].user_rowid, ana.rowid);
    free(toks);
    /* objects: the node's organization originated them, and ana (of it) reads every version */
    policy_principal p;
    assert_int_equal(store_principal_for_user(s, &ana, 100, &p, &err), 0);
    store_query q = {.coll_rowid = c.rowid, .after_us = -1, .version_flags = STORE_V_ALL, .limit = 10,
                     .principal = &p};
    int n = 0, more = 0;
    assert_int_equal(store_query_objects(s, &q, count_rows, &n, &more, &err), 0);
    assert_int_equal(n, 2);
    /* unmarked after the upgrade: AMBER, so another party's liaison sees nothing */
    int64_t dea = test_org(s, "US", "DEA", 0);
    store_user kate;
    assert_int_equal(store_user_add(s, "kate", STORE_ROLE_LIAISON, dea, NULL, 1, &kate, &err), 0);
    policy_principal pk;
    assert_int_equal(store_principal_for_user(s, &kate, 100, &pk, &err), 0);
    q.principal = &pk;
    n = 0;
    assert_int_equal(store_query_objects(s, &q, count_rows, &n, &more, &err), 0);
    assert_int_equal(n, 0);
    /* the originator is fixed: another organization may not add a version */
    int64_t uin7 = test_org(s, "MX", "UIN-7", 1);
    const char *body = "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"" OLD_OBJ "\"}";
    store_object_in in = {.id = OLD_OBJ, .type = "indicator", .spec_version = "2.1", .has_version = 1,
                          .version = "2021-03-01T00:00:00.000Z", .version_key = "2021-03-01T00:00:00",
                          .body = body, .body_len = strlen(body), .md_tlp = STIX_TLP_NONE};
    store_actor uin = {.org_rowid = uin7};
    store_put_outcome out;
    assert_int_equal(store_put_objects(s, c.rowid, &uin, &in, 1, 50, &out, &err), 0);
    assert_int_equal(out.result, STORE_REFUSED);
    assert_int_equal(store_put_objects(s, c.rowid, NULL, &in, 1, 50, &out, &err), 0);
    assert_int_equal(out.result, STORE_ADDED);
    assert_int_equal(out.date_added, 50);
    store_close(s);
}

typedef struct got {
    int n;
    char ids[16][96];
} got;

static int collect_ids(void *ctx, const store_row *r) {
    got *g = ctx;
    if (g->n >= 16) return 1;
    snprintf(g->ids[g->n++], sizeof g->ids[0], "%s", r->id);
    return 0;
}

static int seen_id(char (*ids)[96], int n, const char *id) {
    for (int i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0) return 1;
    return 0;
}

/* F11/F12: the upgrade re-reads stored bodies for their markings (a malformed handling extension
 * is RED and counted), lower-cases ids, and gives the node's organization only to old users of
 * it: others are disabled, without an organization. */
#define OLD_RED "indicator--0a1b2c3d-4e5f-4a6b-8c7d-000000000001"
#define OLD_BAD "indicator--0a1b2c3d-4e5f-4a6b-8c7d-000000000002"
#define OLD_CUSTOM "indicator--0a1b2c3d-4e5f-4a6b-8c7d-000000000003"
#define OLD_UNKNOWN "indicator--0a1b2c3d-4e5f-4a6b-8c7d-000000000004"
#define OLD_PLAIN "indicator--0a1b2c3d-4e5f-4a6b-8c7d-000000000005"
#define OLD_UPPER "INDICATOR--0A1B2C3D-4E5F-4A6B-8C7D-000000000006"
#define OLD_MD "marking-definition--0a1b2c3d-4e5f-4a6b-8c7d-000000000007"
#define TLP2_RED "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
#define TLP2_GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define HANDLING "extension-definition--c05bc01b-2963-4d49-a373-a33e30f35e95"
#define ROW(da, id, type, body) \
    "(1, '" id "', '" type "', '2.1', '2021-01-01T00:00:00.000Z', '2021-01-01T00:00:00', 0, " #da \
    ", 1, 1, 1, 1, 1, '" body "')"

static const char *const ISSUE2_MARKED =
    "INSERT INTO meta VALUES ('party', 'MX'), ('org', 'SSPC'), ('identity_id', '" OLD_IDENT "'),"
    "  ('identity_json', '{}');"
    "INSERT INTO collection(rowid, id, title, last_added) VALUES (1, '9e8d7c6b-5a49-4382-a716-0f1e2d3c4b5a', 'Old', 20);"
    "INSERT INTO user(rowid, name, role, org, created_us) VALUES (1, 'ana', 'analyst', 'SSPC', 1),"
    "  (2, 'pedro', 'analyst', '', 2), (3, 'eve', 'analyst', 'DEA', 3), (4, 'root', 'admin', 'sspc', 4),"
    "  (5, 'mallory', 'admin', 'FGR', 5);"
    "INSERT INTO grants VALUES (2, 1, 1, 1), (3, 1, 1, 1);"
    "INSERT INTO object(coll, id, type, spec_version, version, version_key, sco_nv, date_added, is_top_spec,"
    "  is_last_s, is_first_s, is_last_a, is_first_a, body) VALUES "
    ROW(1, OLD_RED, "indicator", "{\"type\":\"indicator\",\"id\":\"" OLD_RED "\",\"object_marking_refs\":[\"" TLP2_RED "\"]}") ","
    ROW(2, OLD_BAD, "indicator", "{\"type\":\"indicator\",\"id\":\"" OLD_BAD "\",\"object_marking_refs\":[\"" TLP2_GREEN
        "\"],\"extensions\":{\"" HANDLING "\":{\"extension_type\":\"property-extension\",\"orcon\":\"yes\"}}}") ","
    ROW(3, OLD_MD, "marking-definition", "{\"type\":\"marking-definition\",\"id\":\"" OLD_MD
        "\",\"definition_type\":\"tlp\",\"definition\":{\"tlp\":\"red\"},\"name\":\"TLP:RED\"}") ","
    ROW(4, OLD_CUSTOM, "indicator", "{\"type\":\"indicator\",\"id\":\"" OLD_CUSTOM "\",\"object_marking_refs\":[\""
        TLP2_GREEN "\",\"" OLD_MD "\"]}") ","
    ROW(5, OLD_UNKNOWN, "indicator", "{\"type\":\"indicator\",\"id\":\"" OLD_UNKNOWN
        "\",\"object_marking_refs\":[\"marking-definition--0a1b2c3d-4e5f-4a6b-8c7d-0000000000ff\"]}") ","
    ROW(6, OLD_PLAIN, "indicator", "{\"type\":\"indicator\",\"id\":\"" OLD_PLAIN "\",\"object_marking_refs\":[\""
        TLP2_GREEN "\"],\"extensions\":{\"" HANDLING "\":{\"extension_type\":\"property-extension\","
        "\"releasable_to\":[\"US\"]}}}") ","
    ROW(7, OLD_UPPER, "indicator", "{\"type\":\"indicator\",\"id\":\"" OLD_UPPER "\"}") ";";

static void test_upgrade_reads_markings_and_users(void **state) {
    fixture *f = *state;
    enlace_err err;
    char p2[128];
    snprintf(p2, sizeof p2, "%s/issue2m.db", f->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(p2, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, ISSUE2_SCHEMA, NULL, NULL, NULL), SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, ISSUE2_MARKED, NULL, NULL, &msg);
    if (rc != SQLITE_OK) print_message("%s\n", msg ? msg : "?");
    sqlite3_free(msg);
    assert_int_equal(rc, SQLITE_OK);
    sqlite3_close(db);

    store *s = NULL;
    assert_int_equal(store_open(p2, 0, &s, &err), 0);
    /* F12: users of the node's organization (empty or its name in any case) keep it; others
     * are disabled and hold no organization */
    store_org self;
    assert_int_equal(store_org_get(s, OLD_IDENT, &self, &err), 0);
    static const struct { const char *name; int ok; } U[] = {
        {"ana", 1}, {"pedro", 1}, {"eve", 0}, {"root", 1}, {"mallory", 0}};
    for (size_t i = 0; i < sizeof U / sizeof U[0]; i++) {
        store_user u;
        assert_int_equal(store_user_get(s, U[i].name, &u, &err), 0);
        assert_int_equal(u.disabled, !U[i].ok);
        assert_int_equal(u.org_rowid, U[i].ok ? self.rowid : 0);
        assert_int_equal(u.roles, strcmp(U[i].name, "root") && strcmp(U[i].name, "mallory") ? STORE_ROLE_ANALYST
                                                                                              : STORE_ROLE_ADMIN);
        policy_principal p;
        if (!U[i].ok) assert_int_equal(store_principal_for_user(s, &u, 100, &p, &err), ENLACE_EDENIED);
    }
    /* F11: markings of stored bodies count after the upgrade */
    int64_t uin7 = test_org(s, "MX", "UIN-7", 1);
    int64_t dea = test_org(s, "US", "DEA", 0);
    store_user luis, kate;
    assert_int_equal(store_user_add(s, "luis", STORE_ROLE_ANALYST, uin7, NULL, 1, &luis, &err), 0);
    assert_int_equal(store_user_add(s, "kate", STORE_ROLE_LIAISON, dea, NULL, 1, &kate, &err), 0);
    policy_principal pl, pk;
    assert_int_equal(store_principal_for_user(s, &luis, 100, &pl, &err), 0);
    assert_int_equal(store_principal_for_user(s, &kate, 100, &pk, &err), 0);
    assert_int_equal(store_collection_set_default_tlp(s, 1, POLICY_TLP_CLEAR, &err), 0);
    got gl = {0}, gk = {0};
    store_query q = {.coll_rowid = 1, .after_us = -1, .version_flags = STORE_V_ALL, .limit = 16, .principal = &pl};
    int more = 0;
    assert_int_equal(store_query_objects(s, &q, collect_ids, &gl, &more, &err), 0);
    q.principal = &pk;
    assert_int_equal(store_query_objects(s, &q, collect_ids, &gk, &more, &err), 0);
    /* UIN-7 (same party): RED, malformed (RED) and RED-by-custom-definition hidden; unknown
     * reference AMBER (seen by the same party), GREEN, the definition, the unmarked one */
    assert_int_equal(gl.n, 4);
    assert_false(seen_id(gl.ids, gl.n, OLD_RED));
    assert_false(seen_id(gl.ids, gl.n, OLD_BAD));
    assert_false(seen_id(gl.ids, gl.n, OLD_CUSTOM));
    assert_true(seen_id(gl.ids, gl.n, OLD_UNKNOWN));
    assert_true(seen_id(gl.ids, gl.n, OLD_PLAIN));
    assert_true(seen_id(gl.ids, gl.n, "indicator--0a1b2c3d-4e5f-4a6b-8c7d-000000000006")); /* lower-cased */
    /* DEA's liaison: GREEN released to US, and the unmarked ones (collection default CLEAR) */
    assert_int_equal(gk.n, 3);
    assert_true(seen_id(gk.ids, gk.n, OLD_PLAIN));
    assert_true(seen_id(gk.ids, gk.n, OLD_MD));
    assert_false(seen_id(gk.ids, gk.n, OLD_UNKNOWN));
    char v[32];
    assert_int_equal(store_meta_get(s, "upgrade_unreadable_markings", v, sizeof v, &err), 0);
    assert_string_equal(v, "1");
    /* the upper-case id is the lower-case id now: its originator is fixed */
    store_actor uin = {.org_rowid = uin7};
    const char *body = "{\"type\":\"indicator\"}";
    store_object_in in = {.id = OLD_UPPER, .type = "indicator", .spec_version = "2.1", .has_version = 1,
                          .version = "2021-03-01T00:00:00.000Z", .version_key = "2021-03-01T00:00:00",
                          .body = body, .body_len = strlen(body), .md_tlp = STIX_TLP_NONE};
    store_put_outcome out;
    assert_int_equal(store_put_objects(s, 1, &uin, &in, 1, 50, &out, &err), 0);
    assert_int_equal(out.result, STORE_REFUSED);
    /* the unknown reference stayed pending through the upgrade: the node's organization's
     * statement definition of that id, posted now, resolves it (no TLP level: the collection's
     * default CLEAR), and DEA's liaison sees it */
    const char *md_id = "marking-definition--0a1b2c3d-4e5f-4a6b-8c7d-0000000000ff";
    const char *md_body = "{\"type\":\"marking-definition\",\"definition_type\":\"statement\"}";
    store_object_in md = {.id = md_id, .type = "marking-definition", .spec_version = "2.1", .has_version = 1,
                          .version = "2021-03-01T00:00:00.000Z", .version_key = "2021-03-01T00:00:00",
                          .body = md_body, .body_len = strlen(md_body), .md_tlp = STIX_TLP_NONE};
    assert_int_equal(store_put_objects(s, 1, NULL, &md, 1, 60, &out, &err), 0);
    assert_int_equal(out.result, STORE_ADDED);
    got gk2 = {0};
    assert_int_equal(store_query_objects(s, &q, collect_ids, &gk2, &more, &err), 0);
    assert_true(seen_id(gk2.ids, gk2.n, OLD_UNKNOWN));
    store_close(s);
}

/* F2: organization identities are keyed in lower case; names are unique in any case. */
static void test_org_identity_and_name_case(void **state) {
    fixture *f = *state;
    enlace_err err;
    store_org o, g;
    assert_int_equal(store_org_add(f->s, "IDENTITY--6B9A7C0E-2A38-4B3C-9F0E-1C2D3E4F5A6B", "DEA", "US", 0, "{}", 5,
                                   &o, &err), 0);
    assert_string_equal(o.identity_id, "identity--6b9a7c0e-2a38-4b3c-9f0e-1c2d3e4f5a6b");
    assert_int_equal(store_org_get(f->s, "identity--6B9A7C0E-2A38-4B3C-9F0E-1C2D3E4F5A6B", &g, &err), 0);
    assert_int_equal(g.rowid, o.rowid);
    assert_int_equal(store_org_add(f->s, "identity--6b9a7c0e-2a38-4b3c-9f0e-1c2d3e4f5a6b", "DEA-2", "US", 0, "{}", 5,
                                   NULL, &err), ENLACE_ECONFLICT);
    assert_int_equal(store_org_add(f->s, "identity--7b9a7c0e-2a38-4b3c-9f0e-1c2d3e4f5a6b", "dea", "US", 0, "{}", 5,
                                   NULL, &err), ENLACE_ECONFLICT);
    assert_int_equal(store_org_add(f->s, "identity--8b9a7c0e-2a38-4b3c-9f0e-1c2d3e4f5a6b", "sspc", "MX", 1, "{}", 5,
                                   NULL, &err), ENLACE_ECONFLICT);
    /* the principal's organization identity comes from the org table: lower case */
    store_user u;
    assert_int_equal(store_user_add(f->s, "kate", STORE_ROLE_LIAISON, o.rowid, NULL, 1, &u, &err), 0);
    policy_principal p;
    assert_int_equal(store_principal_for_user(f->s, &u, 1, &p, &err), 0);
    assert_string_equal(p.org_identity, "identity--6b9a7c0e-2a38-4b3c-9f0e-1c2d3e4f5a6b");
}

/* An issue-2 store that was never initialised (no meta party/org) still upgrades. */
static void test_upgrade_uninitialised_store(void **state) {
    fixture *f = *state;
    enlace_err err;
    char p2[128];
    snprintf(p2, sizeof p2, "%s/bare.db", f->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(p2, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, ISSUE2_SCHEMA, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO user(name, role, created_us) VALUES ('x', 'admin', 1)", NULL,
                                  NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    store *s = NULL;
    assert_int_equal(store_open(p2, 0, &s, &err), 0);
    store_user u;
    assert_int_equal(store_user_get(s, "x", &u, &err), 0);
    assert_int_equal(u.roles, STORE_ROLE_ADMIN);
    assert_int_equal(u.org_rowid, 0);
    store_org *orgs = NULL;
    size_t n = 9;
    assert_int_equal(store_org_list(s, &orgs, &n, &err), 0);
    assert_int_equal(n, 0);
    free(orgs);
    store_close(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles_parse_format),
        cmocka_unit_test_setup_teardown(test_parties, setup, teardown),
        cmocka_unit_test_setup_teardown(test_orgs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vettings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_agreements_and_default_tlp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_roles_fit_org, setup, teardown),
        cmocka_unit_test_setup_teardown(test_principal_for_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_issue2_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_uninitialised_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_reads_markings_and_users, setup, teardown),
        cmocka_unit_test_setup_teardown(test_org_identity_and_name_case, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
