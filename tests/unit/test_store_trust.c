/* test_store_trust.c - the "trust and directory" section of store/fed.h (issue 5 must-haves 2
 * and 3): a partner's kept audit state, and its signed directory taken in: organizations (name
 * clashes, identities of another party skipped, re-takes idempotent), vettings by the partner's
 * party replaced, and what that changes for this node's own decisions (a US vetting of MX's
 * UIN-7 lets the MX node's UIN-7 user read US vetted_only objects, rule 5). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/policy.h"
#include "store/fed.h"
#include "store/store.h"
#include "test_store_node.h"

#define KEY_US "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="   /* bytes 0..31 */
#define KEY_US2 "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="  /* bytes 1..32 */
#define DAY_US 86400000000LL
#define NOW_US (1800000000LL * 1000000LL)

typedef struct fixture {
    char dir[64];
    char path[96];
    store *s;
    int64_t sspc, uin7, gt_org, dea_local;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (test_store_tmp_open("trust", f->dir, f->path, &f->s) != 0) return -1;
    enlace_err err;
    if (!(f->sspc = test_node_init(f->s, "MX", "SSPC"))) return -1;
    if (!(f->uin7 = test_org(f->s, "MX", "UIN-7", 1))) return -1;
    if (!(f->gt_org = test_org(f->s, "GT", "PNC", 0))) return -1;
    /* a US agency known here by hand (a liaison's), under an identity of its own: "DEA" */
    store_org o;
    if (store_org_add(f->s, "identity--11111111-1111-4111-8111-111111111111", "DEA", "US", 0, "{}", 1, &o, &err))
        return -1;
    f->dea_local = o.rowid;
    if (store_partner_add(f->s, "US", "http://127.0.0.1:8022/api/", KEY_US, "tok", 1, NULL, &err) != 0) return -1;
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

static void test_trust_state(void **state) {
    fixture *f = *state;
    enlace_err err;
    char *t = NULL;
    assert_int_equal(store_partner_trust_get(f->s, "GT", &t, &err), ENLACE_ENOTFOUND);
    assert_null(t);
    assert_int_equal(store_partner_trust_set(f->s, "GT", "{}", &err), ENLACE_ENOTFOUND);
    assert_int_equal(store_partner_trust_get(f->s, "US", &t, &err), 0);
    assert_string_equal(t, "");  /* nothing seen yet: trust on first use */
    free(t);
    assert_int_equal(store_partner_trust_set(f->s, "US", "{\"checkpoint\":\"x\"}", &err), 0);
    assert_int_equal(store_partner_trust_get(f->s, "US", &t, &err), 0);
    assert_string_equal(t, "{\"checkpoint\":\"x\"}");
    free(t);
    /* another pinned key: the old log's heads mean nothing any more */
    assert_int_equal(store_partner_update(f->s, "US", NULL, KEY_US2, NULL, &err), 0);
    assert_int_equal(store_partner_trust_get(f->s, "US", &t, &err), 0);
    assert_string_equal(t, "");
    free(t);
}

/* The organization named name: 0 when none. */
static int64_t org_named(store *s, const char *name, store_org *out) {
    store_org o;
    if (store_org_get(s, name, &o, NULL) != 0) return 0;
    if (out) *out = o;
    return o.rowid;
}

static size_t vettings_by(store *s, const char *party, int64_t org, int64_t *until, int64_t *created) {
    store_vetting *v = NULL;
    size_t n = 0, hits = 0;
    assert_int_equal(store_vetting_list(s, &v, &n, NULL), 0);
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].by_party, party) == 0 && (!org || v[i].org_rowid == org)) {
            hits++;
            if (until) *until = v[i].until_us;
            if (created) *created = v[i].created_us;
        }
    free(v);
    return hits;
}

static void test_take_in_orgs(void **state) {
    fixture *f = *state;
    enlace_err err;
    char sspc_id[POLICY_IDENTITY_LEN];
    test_identity_of("SSPC", sspc_id);
    const store_dir_org orgs[] = {
        {"identity--22222222-2222-4222-8222-222222222222", "DEA", "{\"type\":\"identity\",\"name\":\"DEA\"}"},
        {"IDENTITY--33333333-3333-4333-8333-333333333333", "HSI", "{\"type\":\"identity\",\"name\":\"HSI\"}"},
        /* an identity this node knows as MX's own organization: US cannot speak for it */
        {sspc_id, "SSPC-US", "{}"},
        /* not an identity id, an empty name, a name that is an identity id: skipped */
        {"indicator--44444444-4444-4444-8444-444444444444", "X", "{}"},
        {"identity--55555555-5555-4555-8555-555555555555", "", "{}"},
        {"identity--66666666-6666-4666-8666-666666666666", "identity--abc", "{}"},
    };
    size_t no = 99, nv = 99;
    assert_int_equal(store_directory_take_in(f->s, "US", orgs, 6, NULL, 0, NOW_US, &no, &nv, NULL, &err), 0);
    assert_int_equal(no, 2);
    assert_int_equal(nv, 0);
    store_org o;
    /* DEA was taken: the published one is "DEA (US)", the local one stays as it was */
    assert_true(org_named(f->s, "DEA (US)", &o));
    assert_string_equal(o.identity_id, "identity--22222222-2222-4222-8222-222222222222");
    assert_string_equal(o.party, "US");
    assert_int_equal(o.vouched, 0);
    assert_int_equal(org_named(f->s, "DEA", &o), f->dea_local);
    assert_string_equal(o.identity_id, "identity--11111111-1111-4111-8111-111111111111");
    /* HSI: keyed in lower case, its identity kept as published */
    assert_true(org_named(f->s, "identity--33333333-3333-4333-8333-333333333333", &o));
    assert_string_equal(o.name, "HSI");
    char *json = NULL;
    assert_int_equal(store_org_identity_json(f->s, o.rowid, &json, &err), 0);
    assert_string_equal(json, "{\"type\":\"identity\",\"name\":\"HSI\"}");
    free(json);
    /* SSPC is still MX's own, and no "SSPC-US" appeared */
    assert_int_equal(org_named(f->s, sspc_id, &o), f->sspc);
    assert_string_equal(o.party, "MX");
    assert_int_equal(org_named(f->s, "SSPC-US", NULL), 0);
    assert_int_equal(org_named(f->s, "X", NULL), 0);

    /* taken in again (next pass): nothing new, an identity update is kept, no "DEA (US) (US)" */
    store_org *all = NULL;
    size_t before = 0, after = 0;
    assert_int_equal(store_org_list(f->s, &all, &before, &err), 0);
    free(all);
    store_dir_org again[] = {orgs[0], orgs[1]};
    again[1].identity_json = "{\"type\":\"identity\",\"name\":\"HSI\",\"description\":\"v2\"}";
    assert_int_equal(store_directory_take_in(f->s, "US", again, 2, NULL, 0, NOW_US, &no, &nv, NULL, &err), 0);
    assert_int_equal(no, 2);
    assert_int_equal(store_org_list(f->s, &all, &after, &err), 0);
    free(all);
    assert_int_equal(after, before);
    assert_int_equal(store_org_identity_json(f->s, org_named(f->s, "HSI", NULL), &json, &err), 0);
    assert_non_null(strstr(json, "v2"));
    free(json);

    /* an identity object MX's SSPC put on the node: US publishing its id does not make it US's */
    store_collection coll;
    assert_int_equal(store_collection_create(f->s, NULL, "Local", NULL, "local", &coll, &err), 0);
    const char *sq_id = "identity--77777777-7777-4777-8777-777777777777";
    const char *sq_body = "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"identity--77777777-7777-4777-8777-777777777777\","
                          "\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\",\"name\":\"Front\"}";
    store_object_in in = {sq_id, "identity", "2.1", 1, "2026-01-01T00:00:00Z", "2026-01-01T00:00:00", sq_body,
                          strlen(sq_body), NULL, NULL, 0, NULL};
    store_put_outcome out;
    assert_int_equal(store_put_objects(f->s, coll.rowid, NULL, &in, 1, NOW_US, &out, &err), 0);
    assert_int_equal(out.result, STORE_ADDED);
    const store_dir_org squat[] = {{sq_id, "Front", "{}"}};
    assert_int_equal(store_directory_take_in(f->s, "US", squat, 1, NULL, 0, NOW_US, &no, NULL, NULL, &err), 0);
    assert_int_equal(no, 0);
    assert_int_equal(org_named(f->s, "Front", NULL), 0);

    /* another party's directory cannot take over US's organizations; the node's own party's is refused */
    assert_int_equal(store_directory_take_in(f->s, "GT", orgs, 2, NULL, 0, NOW_US, &no, NULL, NULL, &err), 0);
    assert_int_equal(no, 0);
    assert_string_equal((org_named(f->s, "HSI", &o), o.party), "US");
    assert_int_equal(store_directory_take_in(f->s, "MX", orgs, 2, NULL, 0, NOW_US, &no, NULL, NULL, &err), ENLACE_EINVAL);
    assert_int_equal(store_directory_take_in(f->s, "us", orgs, 2, NULL, 0, NOW_US, &no, NULL, NULL, &err), ENLACE_EINVAL);
}

/* Identity ids are first come between partners; a later claim is refused and REPORTED
 * (store_dir_conflicts), once per change; the identities and names reserved for partners' node
 * organizations are not taken in as published. */
static void test_take_in_conflicts(void **state) {
    fixture *f = *state;
    enlace_err err;
    store_partner gt, us;
    assert_int_equal(store_partner_add(f->s, "GT", "http://127.0.0.1:8023/api/", KEY_US2, "tok", 1, &gt, &err), 0);
    assert_int_equal(store_partner_get(f->s, "US", &us, &err), 0);
    const char *dea = "identity--22222222-2222-4222-8222-222222222222";
    const store_dir_org by_gt[] = {{dea, "Drug Enforcement Administration", "{}"}};
    store_dir_conflicts cf;
    size_t no = 9;
    assert_int_equal(store_directory_take_in(f->s, "GT", by_gt, 1, NULL, 0, NOW_US, &no, NULL, &cf, &err), 0);
    assert_int_equal(no, 1);
    assert_int_equal(cf.n, 0);
    assert_int_equal(cf.changed, 0);
    /* US publishes the same id: not taken in, reported with the holder */
    const store_dir_org by_us[] = {{dea, "DEA HQ", "{}"}, {"identity--33333333-3333-4333-8333-333333333333", "HSI", "{}"}};
    assert_int_equal(store_directory_take_in(f->s, "US", by_us, 2, NULL, 0, NOW_US, &no, NULL, &cf, &err), 0);
    assert_int_equal(no, 1);
    assert_int_equal(cf.n, 1);
    assert_string_equal(cf.first_id, dea);
    assert_string_equal(cf.first_name, "DEA HQ");
    assert_string_equal(cf.first_party, "GT");
    assert_int_equal(cf.changed, 1);
    store_org o;
    assert_string_equal((org_named(f->s, dea, &o), o.party), "GT");
    /* the same next pass: not news; gone from the directory: news again (resolved) */
    assert_int_equal(store_directory_take_in(f->s, "US", by_us, 2, NULL, 0, NOW_US, &no, NULL, &cf, &err), 0);
    assert_int_equal(cf.n, 1);
    assert_int_equal(cf.changed, 0);
    assert_int_equal(store_directory_take_in(f->s, "US", &by_us[1], 1, NULL, 0, NOW_US, &no, NULL, &cf, &err), 0);
    assert_int_equal(cf.n, 0);
    assert_int_equal(cf.changed, 1);

    /* GT publishing US's node identity, an unused identity variant of US's key, or the name
     * "US node": the ids are refused, the name is suffixed */
    store_org us_node;
    assert_int_equal(store_org_get_by_rowid(f->s, us.org_rowid, &us_node, &err), 0);
    unsigned char key[32], in[33], h[crypto_hash_sha256_BYTES];
    size_t len = 0;
    assert_int_equal(sodium_base642bin(key, 32, KEY_US, strlen(KEY_US), NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL), 0);
    memcpy(in, key, 32);
    in[32] = 1;
    crypto_hash_sha256(h, in, 33);
    h[6] = (unsigned char)((h[6] & 0x0f) | 0x50);
    h[8] = (unsigned char)((h[8] & 0x3f) | 0x80);
    char v1[POLICY_IDENTITY_LEN];
    snprintf(v1, sizeof v1, "identity--%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]);
    const store_dir_org squat[] = {
        {us_node.identity_id, "Squat 1", "{}"},
        {v1, "Squat 2", "{}"},
        {"identity--44444444-4444-4444-8444-444444444444", "US node", "{}"},
        {"identity--55555555-5555-4555-8555-555555555555", "mx NODE", "{}"},
    };
    assert_int_equal(store_directory_take_in(f->s, "GT", squat, 4, NULL, 0, NOW_US, &no, NULL, &cf, &err), 0);
    assert_int_equal(no, 2);
    assert_int_equal(cf.n, 2);
    assert_string_equal(cf.first_id, us_node.identity_id);
    assert_string_equal(cf.first_party, "US");
    assert_int_equal(org_named(f->s, v1, NULL), 0);
    assert_int_equal(org_named(f->s, "Squat 1", NULL), 0);
    assert_string_equal((org_named(f->s, "identity--44444444-4444-4444-8444-444444444444", &o), o.name), "US node (GT)");
    assert_string_equal((org_named(f->s, "identity--55555555-5555-4555-8555-555555555555", &o), o.name), "mx NODE (GT)");
    assert_string_equal((org_named(f->s, us_node.identity_id, &o), o.party), "US");
}

static void test_vettings_replaced(void **state) {
    fixture *f = *state;
    enlace_err err;
    char uin7_id[POLICY_IDENTITY_LEN], pnc_id[POLICY_IDENTITY_LEN];
    test_identity_of("UIN-7", uin7_id);
    test_identity_of("PNC", pnc_id);
    const store_dir_org orgs[] = {{"identity--22222222-2222-4222-8222-222222222222", "DEA", "{}"}};
    /* MX's own vetting of a US unit must survive US's directory */
    assert_int_equal(store_vetting_set(f->s, f->dea_local, "MX", NOW_US + DAY_US, 1, &err), 0);
    const store_dir_vetting v1[] = {
        {uin7_id, NOW_US + 30 * DAY_US},                                 /* US vets MX's UIN-7 */
        {pnc_id, NOW_US + 10 * DAY_US},                                  /* and GT's PNC */
        {"identity--22222222-2222-4222-8222-222222222222", NOW_US + DAY_US}, /* its own DEA: skipped */
        {"identity--99999999-9999-4999-8999-999999999999", NOW_US + DAY_US}, /* unknown here: skipped */
        {"not-an-id", NOW_US + DAY_US},
    };
    size_t no = 0, nv = 0;
    assert_int_equal(store_directory_take_in(f->s, "US", orgs, 1, v1, 5, NOW_US, &no, &nv, NULL, &err), 0);
    assert_int_equal(no, 1);
    assert_int_equal(nv, 2);
    int64_t until = 0, created = 0;
    assert_int_equal(vettings_by(f->s, "US", f->uin7, &until, &created), 1);
    assert_int_equal(until, NOW_US + 30 * DAY_US);
    assert_int_equal(created, NOW_US);
    assert_int_equal(vettings_by(f->s, "US", f->gt_org, NULL, NULL), 1);
    assert_int_equal(vettings_by(f->s, "US", 0, NULL, NULL), 2);

    /* next directory: PNC no longer vetted, UIN-7's extended: replaced, created kept */
    const store_dir_vetting v2[] = {{uin7_id, NOW_US + 60 * DAY_US}};
    assert_int_equal(store_directory_take_in(f->s, "US", orgs, 1, v2, 1, NOW_US + DAY_US, &no, &nv, NULL, &err), 0);
    assert_int_equal(nv, 1);
    assert_int_equal(vettings_by(f->s, "US", 0, NULL, NULL), 1);
    assert_int_equal(vettings_by(f->s, "US", f->uin7, &until, &created), 1);
    assert_int_equal(until, NOW_US + 60 * DAY_US);
    assert_int_equal(created, NOW_US);
    assert_int_equal(vettings_by(f->s, "US", f->gt_org, NULL, NULL), 0);
    assert_int_equal(vettings_by(f->s, "MX", f->dea_local, NULL, NULL), 1);

    /* an empty directory: every US vetting goes, MX's stays */
    assert_int_equal(store_directory_take_in(f->s, "US", NULL, 0, NULL, 0, NOW_US, &no, &nv, NULL, &err), 0);
    assert_int_equal(vettings_by(f->s, "US", 0, NULL, NULL), 0);
    assert_int_equal(vettings_by(f->s, "MX", 0, NULL, NULL), 1);
}

/* US vets MX's UIN-7: on the MX node the UIN-7 user then reads US vetted_only objects (rule 5),
 * SSPC's does not; once US stops publishing the vetting, neither does. */
static void test_vetting_reaches_decisions(void **state) {
    fixture *f = *state;
    enlace_err err;
    char uin7_id[POLICY_IDENTITY_LEN];
    test_identity_of("UIN-7", uin7_id);
    store_user luis, ana;
    assert_int_equal(store_user_add(f->s, "luis.mora", STORE_ROLE_APPROVER, f->uin7, "", 1, &luis, &err), 0);
    assert_int_equal(store_user_add(f->s, "ana.ruiz", STORE_ROLE_ANALYST, f->sspc, "", 1, &ana, &err), 0);
    store_partner us;
    assert_int_equal(store_partner_get(f->s, "US", &us, &err), 0);
    /* a US vetted_only object, TLP:GREEN releasable to MX, originated by the US node */
    policy_object o = {us.org_rowid, "US", POLICY_TLP_GREEN, ",MX,", NULL, 0, 1, 0};
    policy_context c = {POLICY_TLP_NONE, 0, POLICY_TLP_RED};

    policy_principal p;
    assert_int_equal(store_principal_for_user(f->s, &luis, NOW_US, &p, &err), 0);
    assert_false(policy_decide(&p, &c, &o).allow);

    const store_dir_vetting v[] = {{uin7_id, NOW_US + 30 * DAY_US}};
    assert_int_equal(store_directory_take_in(f->s, "US", NULL, 0, v, 1, NOW_US, NULL, NULL, NULL, &err), 0);
    assert_int_equal(store_principal_for_user(f->s, &luis, NOW_US, &p, &err), 0);
    policy_decision d = policy_decide(&p, &c, &o);
    assert_true(d.allow);
    assert_int_equal(store_principal_for_user(f->s, &ana, NOW_US, &p, &err), 0);
    d = policy_decide(&p, &c, &o);
    assert_false(d.allow);
    assert_int_equal(d.reason, POLICY_DENY_NOT_VETTED);
    /* past the published date: expired */
    assert_int_equal(store_principal_for_user(f->s, &luis, NOW_US + 31 * DAY_US, &p, &err), 0);
    assert_false(policy_decide(&p, &c, &o).allow);

    assert_int_equal(store_directory_take_in(f->s, "US", NULL, 0, NULL, 0, NOW_US, NULL, NULL, NULL, &err), 0);
    assert_int_equal(store_principal_for_user(f->s, &luis, NOW_US, &p, &err), 0);
    assert_false(policy_decide(&p, &c, &o).allow);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_trust_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take_in_orgs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take_in_conflicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vettings_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vetting_reaches_decisions, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
