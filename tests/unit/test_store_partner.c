/* test_store_partner.c - the partners section of store/fed.h (issue 5 must-have 1): adding a
 * partner (node organization, account, refusals, all-or-nothing), update, stop/resume, pass
 * bookkeeping, removal (mirrors kept, account disabled, agreements gone), the policy epoch
 * (changes exactly when what the partner may read changes) and the holdings report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/fed.h"
#include "store/internal.h"
#include "store/store.h"
#include "test_store_node.h"

#define KEY_US "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="   /* bytes 0..31 */
#define KEY_US2 "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="  /* bytes 1..32 */
#define KEY_31 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="   /* 31 bytes */

typedef struct fixture {
    char dir[64];
    char path[96];
    store *s;
    int64_t sspc;     /* the node's own organization (MX) */
    int64_t coll, other;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (test_store_tmp_open("partner", f->dir, f->path, &f->s) != 0) return -1;
    enlace_err err;
    if (!(f->sspc = test_node_init(f->s, "MX", "SSPC"))) return -1;
    store_collection c;
    if (store_collection_create(f->s, NULL, "Shared", NULL, "shared", &c, &err) != 0) return -1;
    f->coll = c.rowid;
    if (store_collection_create(f->s, NULL, "Other", NULL, "other", &c, &err) != 0) return -1;
    f->other = c.rowid;
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

static void test_add_refusals(void **state) {
    fixture *f = *state;
    enlace_err err;
    const char *url = "http://127.0.0.1:8022/api/";
    assert_int_equal(store_partner_add(f->s, "MX", url, KEY_US, NULL, 1, NULL, &err), ENLACE_EINVAL);
    assert_int_equal(store_partner_add(f->s, "us", url, KEY_US, NULL, 1, NULL, &err), ENLACE_EINVAL);
    assert_int_equal(store_partner_add(f->s, "USA", url, KEY_US, NULL, 1, NULL, &err), ENLACE_EINVAL);
    assert_int_equal(store_partner_add(f->s, "US", "ftp://x/", KEY_US, NULL, 1, NULL, &err), ENLACE_EINVAL);
    assert_int_equal(store_partner_add(f->s, "US", "http://", KEY_US, NULL, 1, NULL, &err), ENLACE_EINVAL);
    assert_int_equal(store_partner_add(f->s, "US", url, KEY_31, NULL, 1, NULL, &err), ENLACE_EINVAL);
    assert_int_equal(store_partner_add(f->s, "US", url, "not base64!", NULL, 1, NULL, &err), ENLACE_EINVAL);
    assert_int_equal(store_partner_add(f->s, "US", url, "", NULL, 1, NULL, &err), ENLACE_EINVAL);
    /* nothing was left behind by the refusals */
    store_partner *ps = NULL;
    size_t n = 9;
    assert_int_equal(store_partner_list(f->s, &ps, &n, &err), 0);
    assert_int_equal(n, 0);
    free(ps);
    store_user u;
    assert_int_equal(store_user_get(f->s, "partner-us", &u, &err), ENLACE_ENOTFOUND);

    /* an organization already named "GT node" (another identity): the partner is added all the
     * same, its node organization under the deterministic fallback "GT node <8 hex>" */
    int64_t squat = test_org(f->s, "GT", "GT node", 0);
    assert_true(squat > 0);
    store_partner p;
    assert_int_equal(store_partner_add(f->s, "GT", url, KEY_US, NULL, 1, &p, &err), 0);
    assert_true(p.org_rowid != squat);
    store_org o;
    assert_int_equal(store_org_get_by_rowid(f->s, p.org_rowid, &o, &err), 0);
    assert_int_equal(strncmp(o.name, "GT node ", 8), 0);
    assert_int_equal(strlen(o.name), 8 + 8);
    assert_int_equal(strncmp(o.name + 8, o.identity_id + 10, 8), 0);
}

/* key_identity of partner.c, variant 0: what a partner's node organization is named by. */
static void key_ident0(const char *b64, char out[POLICY_IDENTITY_LEN]) {
    unsigned char key[32], h[crypto_hash_sha256_BYTES];
    size_t len = 0;
    assert_int_equal(sodium_base642bin(key, 32, b64, strlen(b64), NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL), 0);
    crypto_hash_sha256(h, key, 32);
    h[6] = (unsigned char)((h[6] & 0x0f) | 0x50);
    h[8] = (unsigned char)((h[8] & 0x3f) | 0x80);
    snprintf(out, POLICY_IDENTITY_LEN,
             "identity--%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13],
             h[14], h[15]);
}

/* Another party's organization squatting the name "US node" or the identity derived from US's
 * key (published by a hostile partner's directory before US was added) cannot make adding US
 * fail: the name falls back to "US node <8 hex>", the identity to the key's next variant. */
static void test_add_squatted(void **state) {
    fixture *f = *state;
    enlace_err err;
    const char *url = "http://127.0.0.1:8022/api/";
    char ident[POLICY_IDENTITY_LEN];
    key_ident0(KEY_US, ident);
    assert_int_equal(store_org_add(f->s, ident, "Not US", "GT", 0, "{}", 1, NULL, &err), 0);
    assert_true(test_org(f->s, "GT", "US node", 0) > 0);
    store_partner p;
    assert_int_equal(store_partner_add(f->s, "US", url, KEY_US, NULL, 1, &p, &err), 0);
    store_org o;
    assert_int_equal(store_org_get_by_rowid(f->s, p.org_rowid, &o, &err), 0);
    assert_string_equal(o.party, "US");
    assert_string_not_equal(o.identity_id, ident);
    assert_int_equal(strncmp(o.name, "US node ", 8), 0);
    /* deterministic: removed and added again, the same organization */
    int64_t first = p.org_rowid;
    assert_int_equal(store_partner_remove(f->s, "US", &err), 0);
    assert_int_equal(store_partner_add(f->s, "US", url, KEY_US, NULL, 2, &p, &err), 0);
    assert_int_equal(p.org_rowid, first);
    /* the id alone squatted: the name stays "CA node" */
    key_ident0(KEY_US2, ident);
    assert_int_equal(store_org_add(f->s, ident, "Not CA", "GT", 0, "{}", 1, NULL, &err), 0);
    assert_int_equal(store_partner_add(f->s, "CA", url, KEY_US2, NULL, 1, &p, &err), 0);
    assert_int_equal(store_org_get_by_rowid(f->s, p.org_rowid, &o, &err), 0);
    assert_string_equal(o.name, "CA node");
    assert_string_not_equal(o.identity_id, ident);
    /* the reserved identities of pinned partners */
    int yes = 0;
    assert_int_equal(store_node_identity_reserved(f->s, ident, &yes, &err), 0);
    assert_true(yes);
    assert_int_equal(store_node_identity_reserved(f->s, o.identity_id, &yes, &err), 0);
    assert_true(yes);
    assert_int_equal(store_node_identity_reserved(f->s, "identity--00000000-0000-4000-8000-000000000000", &yes, &err), 0);
    assert_false(yes);
    /* a URL or token with a space or control character: refused */
    assert_int_equal(store_partner_add(f->s, "BR", "http://x/\nUS  http://evil/", KEY_US, NULL, 1, NULL, &err), ENLACE_EINVAL);
    assert_int_equal(store_partner_update(f->s, "US", "http://x/ y", NULL, NULL, &err), ENLACE_EINVAL);
    assert_int_equal(store_partner_update(f->s, "US", "http://x/\x1b[2J", NULL, NULL, &err), ENLACE_EINVAL);
    assert_int_equal(store_partner_update(f->s, "US", NULL, NULL, "tok\r\nX-Evil: 1", &err), ENLACE_EINVAL);
    assert_int_equal(store_partner_update(f->s, "US", NULL, NULL, "tok en", &err), ENLACE_EINVAL);
    assert_int_equal(store_partner_get(f->s, "US", &p, &err), 0);
    assert_string_equal(p.url, url);
    assert_string_equal(p.pull_token, "");
}

static void test_add_get_update(void **state) {
    fixture *f = *state;
    enlace_err err;
    store_partner p;
    assert_int_equal(store_partner_add(f->s, "US", "https://us.example/api/", KEY_US, "tok-we-pull", 42, &p, &err), 0);
    assert_string_equal(p.party, "US");
    assert_string_equal(p.url, "https://us.example/api/");
    assert_string_equal(p.pubkey, KEY_US);
    assert_string_equal(p.pull_token, "tok-we-pull");
    assert_string_equal(p.user_name, "partner-us");
    assert_int_equal(p.created_us, 42);
    assert_int_equal(p.last_pass_us, 0);
    assert_string_equal(p.stopped, "");

    store_org o;
    assert_int_equal(store_org_get_by_rowid(f->s, p.org_rowid, &o, &err), 0);
    assert_string_equal(o.name, "US node");
    assert_string_equal(o.party, "US");
    assert_int_equal(o.vouched, 0);
    assert_int_equal(o.self, 0);
    /* identity--UUID from SHA-256 of the key: version 5, RFC 4122 variant, deterministic */
    assert_int_equal(strlen(o.identity_id), 10 + 36);
    assert_int_equal(o.identity_id[10 + 14], '5');
    assert_non_null(strchr("89ab", o.identity_id[10 + 19]));
    char *json = NULL;
    assert_int_equal(store_org_identity_json(f->s, o.rowid, &json, &err), 0);
    assert_non_null(strstr(json, o.identity_id));
    assert_non_null(strstr(json, "\"identity_class\":\"organization\""));
    assert_non_null(strstr(json, "\"name\":\"US node\""));
    assert_non_null(strstr(json, "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"));
    free(json);

    store_user u;
    assert_int_equal(store_user_get(f->s, "partner-us", &u, &err), 0);
    assert_int_equal(u.roles, STORE_ROLE_PARTNER);
    assert_int_equal(u.org_rowid, o.rowid);
    assert_int_equal(u.rowid, p.user_rowid);

    assert_int_equal(store_partner_add(f->s, "US", "http://x/", KEY_US2, NULL, 1, NULL, &err), ENLACE_ECONFLICT);

    /* update: NULL keeps, a value replaces; bad values refused */
    assert_int_equal(store_partner_update(f->s, "US", "http://127.0.0.1:9/api/", NULL, NULL, &err), 0);
    assert_int_equal(store_partner_get(f->s, "US", &p, &err), 0);
    assert_string_equal(p.url, "http://127.0.0.1:9/api/");
    assert_string_equal(p.pull_token, "tok-we-pull");
    assert_int_equal(store_partner_update(f->s, "US", NULL, KEY_US2, "t2", &err), 0);
    assert_int_equal(store_partner_get(f->s, "US", &p, &err), 0);
    assert_string_equal(p.pubkey, KEY_US2);
    assert_string_equal(p.pull_token, "t2");
    assert_int_equal(store_partner_update(f->s, "US", "gopher://x", NULL, NULL, &err), ENLACE_EINVAL);
    assert_int_equal(store_partner_update(f->s, "US", NULL, KEY_31, NULL, &err), ENLACE_EINVAL);
    assert_int_equal(store_partner_update(f->s, "GT", "http://x/", NULL, NULL, &err), ENLACE_ENOTFOUND);

    /* a changed key clears the trust state, an unchanged one keeps it */
    sqlite3 *db = store_sqlite(f->s);
    assert_int_equal(sqlite3_exec(db, "UPDATE partner SET trust_state = 'x' WHERE party = 'US'", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(store_partner_update(f->s, "US", NULL, KEY_US2, NULL, &err), 0);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT trust_state FROM partner WHERE party = 'US'", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "x");
    sqlite3_reset(st);
    assert_int_equal(store_partner_update(f->s, "US", NULL, KEY_US, NULL, &err), 0);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "");
    sqlite3_finalize(st);

    /* pass bookkeeping and stop/resume */
    assert_int_equal(store_partner_pass_done(f->s, "US", 777, "partner down", &err), 0);
    assert_int_equal(store_partner_set_stopped(f->s, "US", "trust check failed", &err), 0);
    assert_int_equal(store_partner_get(f->s, "US", &p, &err), 0);
    assert_int_equal(p.last_pass_us, 777);
    assert_string_equal(p.last_error, "partner down");
    assert_string_equal(p.stopped, "trust check failed");
    assert_int_equal(store_partner_pass_done(f->s, "US", 778, NULL, &err), 0);
    assert_int_equal(store_partner_set_stopped(f->s, "US", NULL, &err), 0);
    assert_int_equal(store_partner_get(f->s, "US", &p, &err), 0);
    assert_string_equal(p.last_error, "");
    assert_string_equal(p.stopped, "");
    assert_int_equal(store_partner_pass_done(f->s, "GT", 1, "", &err), ENLACE_ENOTFOUND);
    assert_int_equal(store_partner_set_stopped(f->s, "GT", "x", &err), ENLACE_ENOTFOUND);

    /* list by party */
    assert_int_equal(store_partner_add(f->s, "GT", "http://gt/", KEY_US2, NULL, 1, NULL, &err), 0);
    store_partner *ps = NULL;
    size_t n = 0;
    assert_int_equal(store_partner_list(f->s, &ps, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(ps[0].party, "GT");
    assert_string_equal(ps[0].user_name, "partner-gt");
    assert_string_equal(ps[1].party, "US");
    free(ps);
}

static void test_remove(void **state) {
    fixture *f = *state;
    enlace_err err;
    store_partner p;
    assert_int_equal(store_partner_add(f->s, "US", "http://us/", KEY_US, NULL, 1, &p, &err), 0);
    unsigned char sha[32];
    memset(sha, 7, sizeof sha);
    assert_int_equal(store_token_add(f->s, p.user_rowid, sha, "tok1", 1, &err), 0);
    store_token tk;
    assert_int_equal(store_token_find(f->s, sha, &tk, &err), 0);
    assert_int_equal(store_agreement_set(f->s, "US", f->coll, POLICY_TLP_AMBER, 1, &err), 0);
    assert_int_equal(store_agreement_set(f->s, "GT", f->coll, POLICY_TLP_AMBER, 1, &err), 0);
    assert_int_equal(store_partner_remove(f->s, "US", &err), 0);
    assert_int_equal(store_partner_get(f->s, "US", &p, &err), ENLACE_ENOTFOUND);
    assert_int_equal(store_partner_remove(f->s, "US", &err), ENLACE_ENOTFOUND);
    store_user u;
    assert_int_equal(store_user_get(f->s, "partner-us", &u, &err), 0);
    assert_int_equal(u.disabled, 1);
    store_agreement *ag = NULL;
    size_t n = 0;
    assert_int_equal(store_agreement_list(f->s, &ag, &n, &err), 0);
    assert_int_equal(n, 1); /* GT's stays */
    assert_string_equal(ag[0].party, "GT");
    free(ag);
    /* added again with the same key: the same organization, the account enabled again */
    store_partner p2;
    assert_int_equal(store_partner_add(f->s, "US", "http://us/", KEY_US, NULL, 2, &p2, &err), 0);
    assert_int_equal(p2.org_rowid, p.org_rowid);
    assert_int_equal(p2.user_rowid, p.user_rowid);
    assert_int_equal(store_user_get(f->s, "partner-us", &u, &err), 0);
    assert_int_equal(u.disabled, 0);
    assert_int_equal(store_token_find(f->s, sha, &tk, &err), ENLACE_ENOTFOUND); /* stays revoked */
}

#define NOW 1500  /* the vettings below run until 1000, 2000: in force at NOW unless 1000 */

static void epoch(fixture *f, const char *party, char out[STORE_EPOCH_LEN]) {
    enlace_err err;
    assert_int_equal(store_policy_epoch(f->s, party, NOW, out, &err), 0);
    assert_int_equal(strlen(out), 64);
}

/* The epoch changes after a change and is stable otherwise. */
#define CHANGED(f, prev) do { char e_[STORE_EPOCH_LEN]; epoch(f, "US", e_); \
    assert_string_not_equal(e_, prev); memcpy(prev, e_, STORE_EPOCH_LEN); } while (0)
#define SAME(f, prev) do { char e_[STORE_EPOCH_LEN]; epoch(f, "US", e_); \
    assert_string_equal(e_, prev); } while (0)

static void test_epoch(void **state) {
    fixture *f = *state;
    enlace_err err;
    char e[STORE_EPOCH_LEN], gt[STORE_EPOCH_LEN];
    epoch(f, "US", e);
    epoch(f, "GT", gt);
    assert_string_not_equal(e, gt);  /* the party is part of it */
    SAME(f, e);
    assert_int_equal(store_partner_add(f->s, "US", "http://us/", KEY_US, NULL, 1, NULL, &err), 0);
    CHANGED(f, e);  /* an account now exists, enabled */

    assert_int_equal(store_agreement_set(f->s, "US", f->coll, POLICY_TLP_AMBER, 1, &err), 0);
    CHANGED(f, e);
    assert_int_equal(store_agreement_set(f->s, "US", f->coll, POLICY_TLP_AMBER, 5, &err), 0);
    SAME(f, e);  /* same agreement set again */
    assert_int_equal(store_agreement_set(f->s, "US", f->coll, POLICY_TLP_GREEN, 6, &err), 0);
    CHANGED(f, e);
    assert_int_equal(store_collection_set_default_tlp(f->s, f->coll, POLICY_TLP_GREEN, &err), 0);
    CHANGED(f, e);
    assert_int_equal(store_collection_set_default_tlp(f->s, f->other, POLICY_TLP_CLEAR, &err), 0);
    SAME(f, e);  /* not a collection of its agreements */

    /* vettings of an organization of the partner's party */
    int64_t dea = test_org(f->s, "US", "DEA", 0);
    int64_t uin = test_org(f->s, "MX", "UIN-7", 1);
    assert_true(dea > 0 && uin > 0);
    SAME(f, e);
    assert_int_equal(store_vetting_set(f->s, dea, "MX", 1000, 1, &err), 0);
    CHANGED(f, e);
    assert_int_equal(store_vetting_set(f->s, dea, "MX", 2000, 1, &err), 0);
    CHANGED(f, e);
    /* time passing the expiry changes it; time passing nothing does not */
    char later[STORE_EPOCH_LEN], much_later[STORE_EPOCH_LEN];
    assert_int_equal(store_policy_epoch(f->s, "US", 1999, later, &err), 0);
    assert_string_equal(later, e);
    assert_int_equal(store_policy_epoch(f->s, "US", 2000, much_later, &err), 0);
    assert_string_not_equal(much_later, e);
    assert_int_equal(store_vetting_set(f->s, uin, "US", 2000, 1, &err), 0);
    SAME(f, e);  /* an organization of another party */
    assert_int_equal(store_vetting_remove(f->s, dea, "MX", &err), 0);
    CHANGED(f, e);

    /* unrelated: an object posted, another party's agreement, another party's epoch moved */
    store_object_in in;
    memset(&in, 0, sizeof in);
    const char *body = "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\","
                       "\"created\":\"2020-01-01T00:00:00.000Z\",\"modified\":\"2020-01-01T00:00:00.000Z\"}";
    in.id = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
    in.type = "indicator";
    in.spec_version = "2.1";
    in.has_version = 1;
    in.version = "2020-01-01T00:00:00.000Z";
    in.version_key = "2020-01-01T00:00:00";
    in.body = body;
    in.body_len = strlen(body);
    in.md_tlp = -1;
    store_put_outcome out;
    assert_int_equal(store_put_objects(f->s, f->coll, NULL, &in, 1, 10, &out, &err), 0);
    assert_int_equal(out.result, STORE_ADDED);
    SAME(f, e);
    assert_int_equal(store_agreement_set(f->s, "GT", f->coll, POLICY_TLP_AMBER, 1, &err), 0);
    SAME(f, e);
    char gt2[STORE_EPOCH_LEN];
    epoch(f, "GT", gt2);
    assert_string_not_equal(gt, gt2);

    /* a withdrawal (what a partner was served may be gone): a new version with other markings,
     * then the object deleted -- each moves the epoch, so pullers restart and sweep */
    const char *body2 = "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f\","
                        "\"created\":\"2020-01-01T00:00:00.000Z\",\"modified\":\"2020-02-01T00:00:00.000Z\","
                        "\"object_marking_refs\":[\"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed\"]}";
    store_object_in in2 = in;
    in2.version = "2020-02-01T00:00:00.000Z";
    in2.version_key = "2020-02-01T00:00:00";
    in2.body = body2;
    in2.body_len = strlen(body2);
    stix_marking red;
    memset(&red, 0, sizeof red);
    red.tlp = STIX_TLP_RED;
    in2.marking = &red;
    assert_int_equal(store_put_objects(f->s, f->coll, NULL, &in2, 1, 11, &out, &err), 0);
    assert_int_equal(out.result, STORE_ADDED);
    CHANGED(f, e);
    policy_principal me;
    memset(&me, 0, sizeof me);
    assert_int_equal(store_self(f->s, me.node_party, &me.org, &err), 0);
    snprintf(me.party, sizeof me.party, "%s", me.node_party);
    me.now_us = NOW;
    store_query dq = {.principal = &me, .coll_rowid = f->coll, .object_id = in.id};
    size_t nd = 0;
    assert_int_equal(store_delete_object(f->s, &dq, &nd, &err), 0);
    assert_int_equal(nd, 2);
    CHANGED(f, e);

    /* withdrawals in a collection NOT under US's agreements leave its epoch alone (one
     * partner's churn elsewhere must not restart US's pulls): a new version with other
     * markings, then the delete, in "other" */
    store_object_in o1 = in, o2 = in2;
    o1.id = o2.id = "indicator--1d7c4a6e-0d39-4e7e-9c55-2a1f1f7b4a10";
    const char *ob1 = "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--1d7c4a6e-0d39-4e7e-9c55-2a1f1f7b4a10\","
                      "\"created\":\"2020-01-01T00:00:00.000Z\",\"modified\":\"2020-01-01T00:00:00.000Z\"}";
    const char *ob2 = "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--1d7c4a6e-0d39-4e7e-9c55-2a1f1f7b4a10\","
                      "\"created\":\"2020-01-01T00:00:00.000Z\",\"modified\":\"2020-02-01T00:00:00.000Z\","
                      "\"object_marking_refs\":[\"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed\"]}";
    o1.body = ob1;
    o1.body_len = strlen(ob1);
    o2.body = ob2;
    o2.body_len = strlen(ob2);
    assert_int_equal(store_put_objects(f->s, f->other, NULL, &o1, 1, 12, &out, &err), 0);
    assert_int_equal(out.result, STORE_ADDED);
    assert_int_equal(store_put_objects(f->s, f->other, NULL, &o2, 1, 13, &out, &err), 0);
    assert_int_equal(out.result, STORE_ADDED);
    SAME(f, e);
    store_query oq = {.principal = &me, .coll_rowid = f->other, .object_id = o1.id};
    assert_int_equal(store_delete_object(f->s, &oq, &nd, &err), 0);
    assert_int_equal(nd, 2);
    SAME(f, e);

    /* the agreement removed; the account disabled (partner removed) */
    assert_int_equal(store_agreement_remove(f->s, "US", f->coll, &err), 0);
    CHANGED(f, e);
    assert_int_equal(store_user_set_disabled(f->s, "partner-us", 1, &err), 0);
    CHANGED(f, e);
    /* inside a caller's transaction it reads the same */
    char in_tx[STORE_EPOCH_LEN];
    assert_int_equal(store_tx_begin(f->s, &err), 0);
    assert_int_equal(store_policy_epoch(f->s, "US", NOW, in_tx, &err), 0);
    assert_int_equal(store_tx_commit(f->s, &err), 0);
    assert_string_equal(in_tx, e);
}

static void test_holdings(void **state) {
    fixture *f = *state;
    enlace_err err;
    store_partner p;
    assert_int_equal(store_partner_add(f->s, "US", "http://us/", KEY_US, NULL, 1, &p, &err), 0);
    store_collection m;
    assert_int_equal(store_collection_create(f->s, NULL, "Sightings (US)", NULL, "us-sightings", &m, &err), 0);
    char sql[160];
    snprintf(sql, sizeof sql, "INSERT INTO mirror(coll, party, remote_id) VALUES (%lld, 'US', 'x')", (long long)m.rowid);
    assert_int_equal(sqlite3_exec(store_sqlite(f->s), sql, NULL, NULL, NULL), SQLITE_OK);

    /* own collection: 2 ids, 3 versions by SSPC; mirror: 1 id, 1 version by US node */
    static const char *const IDS[] = {"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                                      "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                                      "indicator--1e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                                      "indicator--2e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"};
    static const char *const MOD[] = {"2020-01-01T00:00:00.000Z", "2020-01-02T00:00:00.000Z",
                                      "2020-01-01T00:00:00.000Z", "2020-01-01T00:00:00.000Z"};
    char bodies[4][400], keys[4][40];
    store_object_in in[4];
    memset(in, 0, sizeof in);
    for (int i = 0; i < 4; i++) {
        snprintf(bodies[i], sizeof bodies[i],
                 "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
                 "\"created\":\"2020-01-01T00:00:00.000Z\",\"modified\":\"%s\"}", IDS[i], MOD[i]);
        test_key_of(MOD[i], keys[i], sizeof keys[i]);
        in[i].id = IDS[i];
        in[i].type = "indicator";
        in[i].spec_version = "2.1";
        in[i].has_version = 1;
        in[i].version = MOD[i];
        in[i].version_key = keys[i];
        in[i].body = bodies[i];
        in[i].body_len = strlen(bodies[i]);
        in[i].md_tlp = -1;
    }
    store_put_outcome outs[4];
    assert_int_equal(store_put_objects(f->s, f->coll, NULL, in, 3, 10, outs, &err), 0);
    store_actor us = {p.org_rowid, 1};
    assert_int_equal(store_put_objects(f->s, m.rowid, &us, in + 3, 1, 10, outs, &err), 0);
    assert_int_equal(outs[0].result, STORE_ADDED);

    store_holding *h = NULL;
    size_t n = 0;
    assert_int_equal(store_holdings(f->s, &h, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(h[0].coll_title, "Shared");
    assert_string_equal(h[0].mirror_of, "");
    assert_string_equal(h[0].orig_org, "SSPC");
    assert_string_equal(h[0].orig_party, "MX");
    assert_int_equal(h[0].objects, 2);
    assert_int_equal(h[0].versions, 3);
    assert_string_equal(h[1].coll_id, m.id);
    assert_string_equal(h[1].mirror_of, "US");
    assert_string_equal(h[1].orig_org, "US node");
    assert_string_equal(h[1].orig_party, "US");
    assert_int_equal(h[1].objects, 1);
    assert_int_equal(h[1].versions, 1);
    free(h);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_squatted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_get_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_epoch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_holdings, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
