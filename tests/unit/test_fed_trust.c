/* test_fed_trust.c - fed_trust_check, fed_trust_failure_record and fed_directory_pull against
 * real nodes served in-process (src/taxii/server.h): trust on first use, consistency with the
 * kept head as the log grows, and each way a partner's log can lie -- a shorter log (rollback),
 * a rewritten one (fork), another key (bad signature), another party's origin, a node that stops
 * issuing heads -- plus the directory: taken in from the pinned key, refused from another key
 * or for another party. */
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

#include "audit/checkpoint.h"
#include "audit/entry.h"
#include "audit/log.h"
#include "client/client.h"
#include "fed/fed.h"
#include "store/audit_store.h"
#include "store/fed.h"
#include "taxii/server.h"
#include "util/secret.h"
#include "test_store_node.h"

#define TOKEN "fed-trust-test-token-0123456789abcdef"

/* One served node: its directory, store, key and running server. */
typedef struct node {
    char dir[64], db[96], key_path[96];
    unsigned char pk[32], sk[64];
    char pk64[64];
    char party[3];
    char url[128];      /* its API root */
    taxii_server *srv;
} node;

typedef struct fixture {
    char dir[64], db[96];
    store *s;           /* the puller: MX */
    node us, forged, other_key, gt, keyless;
} fixture;

static void write_text(const char *path, const char *text) {
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* n audit entries appended on the node's store, then a head signed over the whole log. */
static void grow(node *nd, int n, const char *tag) {
    store *s = NULL;
    assert_int_equal(store_open(nd->db, 0, &s, NULL), 0);
    for (int i = 0; i < n; i++) {
        char target[64];
        snprintf(target, sizeof target, "%s-%d", tag, i);
        audit_entry e = {1000 + i, "cli:test", "DEA", nd->party, "user-add", "", nd->party, "allow", "", target, NULL, 0};
        assert_int_equal(audit_append_tx(s, &e, NULL, NULL), 0);
    }
    char ident[POLICY_IDENTITY_LEN], origin[AUDIT_ORIGIN_MAX];
    test_identity_of("DEA", ident);
    audit_origin(nd->party, ident, origin);
    enlace_err err;
    assert_int_equal(audit_checkpoint_issue(s, origin, nd->sk, 2000, 1, NULL, NULL, &err), 0);
    store_close(s);
}

/* A node of party with organization DEA (the same identity on every node made here), a user
 * with the test token, its key (seed: one byte repeated; with_key 0: no node.key), the given
 * number of entries, and a vetting of MX's UIN-7 by its party. */
static void node_make(node *nd, const char *party, unsigned char seed, int with_key, int entries) {
    memset(nd, 0, sizeof *nd);
    snprintf(nd->party, sizeof nd->party, "%s", party);
    snprintf(nd->dir, sizeof nd->dir, "/tmp/enlace-fedtrust-XXXXXX");
    assert_non_null(mkdtemp(nd->dir));
    snprintf(nd->db, sizeof nd->db, "%s/enlace.db", nd->dir);
    snprintf(nd->key_path, sizeof nd->key_path, "%s/node.key", nd->dir);
    unsigned char seedb[32];
    memset(seedb, seed, sizeof seedb);
    crypto_sign_seed_keypair(nd->pk, nd->sk, seedb);
    sodium_bin2base64(nd->pk64, sizeof nd->pk64, nd->pk, 32, sodium_base64_VARIANT_ORIGINAL);
    store *s = NULL;
    enlace_err err;
    assert_int_equal(store_open(nd->db, 1, &s, &err), 0);
    /* the node's own organization, as `enlace init` makes it: a STIX identity */
    char ident[POLICY_IDENTITY_LEN], json[400];
    test_identity_of("DEA", ident);
    snprintf(json, sizeof json,
             "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"2026-01-01T00:00:00Z\","
             "\"modified\":\"2026-01-01T00:00:00Z\",\"name\":\"DEA\",\"identity_class\":\"organization\"}", ident);
    store_org self;
    assert_int_equal(store_meta_set(s, "party", party, NULL), 0);
    assert_int_equal(store_meta_set(s, "org", "DEA", NULL), 0);
    assert_int_equal(store_meta_set(s, "identity_id", ident, NULL), 0);
    assert_int_equal(store_party_add(s, party, NULL, NULL), 0);
    assert_int_equal(store_org_add(s, ident, "DEA", party, 1, json, 1, &self, &err), 0);
    int64_t dea = self.rowid;
    store_user u;
    assert_int_equal(store_user_add(s, "sam.price", STORE_ROLE_ANALYST, dea, "", 1, &u, &err), 0);
    unsigned char h[32];
    crypto_hash_sha256(h, (const unsigned char *)TOKEN, strlen(TOKEN));
    assert_int_equal(store_token_add(s, u.rowid, h, "tok1", 1, &err), 0);
    int64_t uin7 = test_org(s, "MX", "UIN-7", 0);
    assert_true(uin7 > 0);
    assert_int_equal(store_vetting_set(s, uin7, party, 4102444800000000LL, 1, &err), 0);
    store_close(s);
    if (with_key) {
        char b64[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)], text[sizeof b64 + 2];
        sodium_bin2base64(b64, sizeof b64, nd->sk, 64, sodium_base64_VARIANT_ORIGINAL);
        snprintf(text, sizeof text, "%s\n", b64);
        write_text(nd->key_path, text);
    }
    if (entries) grow(nd, entries, "init");
    taxii_config c;
    taxii_config_defaults(&c);
    c.db_path = nd->db;
    c.listen = "127.0.0.1:0";
    c.threads = 2;
    c.audit_checkpoint_s = 3600;
    assert_int_equal(taxii_server_start(&c, &nd->srv, &err), 0);
    snprintf(nd->url, sizeof nd->url, "%sapi/", taxii_server_url(nd->srv));
}

static void node_free(node *nd) {
    if (nd->srv) taxii_server_stop(nd->srv, 1000);
    test_remove_dir(nd->dir);
}

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (!f || enlace_secret_init() != 0 || client_global_init() != 0) return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/enlace-fedtrust-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->db, sizeof f->db, "%s/enlace.db", f->dir);
    if (store_open(f->db, 1, &f->s, NULL) != 0) return -1;
    if (!test_node_init(f->s, "MX", "SSPC") || !test_org(f->s, "MX", "UIN-7", 1)) return -1;
    node_make(&f->us, "US", 7, 1, 3);
    node_make(&f->forged, "US", 7, 1, 2);     /* the same key and origin, another (shorter) log */
    node_make(&f->other_key, "US", 8, 1, 3);  /* another key */
    node_make(&f->gt, "GT", 7, 1, 3);         /* the US key, but a GT node */
    node_make(&f->keyless, "US", 7, 0, 0);    /* no node.key: no heads, no directory */
    if (store_partner_add(f->s, "US", f->us.url, f->us.pk64, TOKEN, 1, NULL, NULL) != 0) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    node_free(&f->us);
    node_free(&f->forged);
    node_free(&f->other_key);
    node_free(&f->gt);
    node_free(&f->keyless);
    store_close(f->s);
    test_remove_dir(f->dir);
    client_global_cleanup();
    free(f);
    return 0;
}

/* One trust check of partner US as registered now, reached at url. */
static int check(fixture *f, const char *url, uint64_t *size, enlace_err *err) {
    store_partner p;
    assert_int_equal(store_partner_get(f->s, "US", &p, err), 0);
    snprintf(p.url, sizeof p.url, "%s", url);
    client_config cc = {p.url, NULL, NULL, TOKEN, 0, NULL, 5, 10, 0};
    client *c = NULL;
    assert_int_equal(client_new(&cc, &c, err), 0);
    int rc = fed_trust_check(f->s, c, &p, size, err);
    client_free(c);
    return rc;
}

static char *kept(fixture *f) {
    char *t = NULL;
    assert_int_equal(store_partner_trust_get(f->s, "US", &t, NULL), 0);
    return t;
}

static void test_first_use_then_consistency(void **state) {
    fixture *f = *state;
    enlace_err err;
    uint64_t size = 0;
    char *t = kept(f);
    assert_string_equal(t, "");
    free(t);
    assert_int_equal(check(f, f->us.url, &size, &err), 0);
    assert_int_equal(size, 3);
    t = kept(f);
    assert_non_null(strstr(t, "enlace/US/"));
    free(t);
    /* the log grows: proved consistent with the kept head, the new one kept */
    grow(&f->us, 5, "more");
    assert_int_equal(check(f, f->us.url, &size, &err), 0);
    assert_int_equal(size, 8);
    assert_int_equal(check(f, f->us.url, &size, &err), 0);  /* the same head again */
    assert_int_equal(size, 8);
}

static void test_lies_detected(void **state) {
    fixture *f = *state;
    enlace_err err;
    uint64_t size = 0;
    assert_int_equal(check(f, f->us.url, &size, &err), 0);
    /* a shorter log signed by the same key */
    assert_int_equal(check(f, f->forged.url, &size, &err), ENLACE_ECONFLICT);
    assert_non_null(strstr(err.msg, "rollback"));
    /* the forged log grows past the kept size: not an extension of it */
    grow(&f->forged, 4, "forged");
    assert_int_equal(check(f, f->forged.url, &size, &err), ENLACE_ECONFLICT);
    assert_non_null(strstr(err.msg, "fork"));
    /* the same size, another root */
    grow(&f->us, 3, "more");   /* us: 6 leaves, forged: 6 leaves */
    assert_int_equal(check(f, f->us.url, &size, &err), 0);
    assert_int_equal(size, 6);
    char *before = kept(f);
    assert_int_equal(check(f, f->forged.url, &size, &err), ENLACE_ECONFLICT);
    assert_non_null(strstr(err.msg, "fork"));
    /* signed by another key */
    assert_int_equal(check(f, f->other_key.url, &size, &err), ENLACE_EAUTH);
    assert_non_null(strstr(err.msg, "bad signature"));
    /* another party's node (with the pinned key): its origin changed */
    assert_int_equal(check(f, f->gt.url, &size, &err), ENLACE_ECONFLICT);
    assert_non_null(strstr(err.msg, "origin changed"));
    /* a node that signed heads before and now has no key */
    assert_int_equal(check(f, f->keyless.url, &size, &err), ENLACE_ECONFLICT);
    assert_non_null(strstr(err.msg, "no audit log"));
    /* none of that moved the kept head; the genuine log still checks */
    char *after = kept(f);
    assert_string_equal(before, after);
    free(before);
    free(after);
    assert_int_equal(check(f, f->us.url, &size, &err), 0);
    assert_int_equal(size, 6);
    /* unreachable: not a trust failure */
    assert_int_equal(check(f, "http://127.0.0.1:1/api/", &size, &err), ENLACE_ENET);
}

static void test_first_contact_cases(void **state) {
    fixture *f = *state;
    enlace_err err;
    uint64_t size = 9;
    /* no key, nothing kept: no audit log, not a failure, nothing kept */
    assert_int_equal(check(f, f->keyless.url, &size, &err), ENLACE_ENOTFOUND);
    assert_non_null(strstr(err.msg, "no audit log"));
    assert_int_equal(size, 0);
    char *t = kept(f);
    assert_string_equal(t, "");
    free(t);
    /* a first head of another party's log is not trusted on first use */
    assert_int_equal(check(f, f->gt.url, &size, &err), ENLACE_EAUTH);
    assert_non_null(strstr(err.msg, "bad origin"));
    t = kept(f);
    assert_string_equal(t, "");
    free(t);
}

typedef struct found {
    int n;
    char reason[600];
} found;

static int find_failure(void *ctx, const store_audit_leaf *leaf) {
    found *fd = ctx;
    audit_entry_doc d;
    if (audit_entry_decode(leaf->data, leaf->len, &d, NULL) != 0) return 0;
    if (strcmp(d.e.action, FED_TRUST_FAILURE_ACTION) == 0 && strcmp(d.e.about, "US") == 0 &&
        strcmp(d.e.principal, FED_SYNC_PRINCIPAL) == 0 && strcmp(d.e.decision, "deny") == 0) {
        fd->n++;
        snprintf(fd->reason, sizeof fd->reason, "%s", d.e.reason);
    }
    audit_entry_doc_free(&d);
    return 0;
}

static void test_failure_record(void **state) {
    fixture *f = *state;
    enlace_err err;
    found fd = {0, ""};
    assert_int_equal(fed_trust_failure_record(f->s, "GT", "x", &err), ENLACE_ENOTFOUND);
    assert_int_equal(store_audit_leaves(f->s, 0, UINT64_MAX, NULL, find_failure, &fd, &err), 0);
    assert_int_equal(fd.n, 0);
    uint64_t size0 = 0;
    assert_int_equal(store_audit_size(f->s, &size0, &err), 0);
    assert_int_equal(fed_trust_failure_record(f->s, "GT", "x", &err), ENLACE_ENOTFOUND);
    uint64_t size1 = 0;
    assert_int_equal(store_audit_size(f->s, &size1, &err), 0);
    assert_int_equal(size1, size0);  /* nothing appended for a refused record */

    assert_int_equal(fed_trust_failure_record(f->s, "US", "rollback: tree size 2 < last seen 3", &err), 0);
    store_partner p;
    assert_int_equal(store_partner_get(f->s, "US", &p, &err), 0);
    assert_string_equal(p.stopped, "rollback: tree size 2 < last seen 3");
    assert_int_equal(store_audit_leaves(f->s, 0, UINT64_MAX, NULL, find_failure, &fd, &err), 0);
    assert_int_equal(fd.n, 1);
    assert_string_equal(fd.reason, "rollback: tree size 2 < last seen 3");
}

static size_t us_vettings_of_uin7(store *s) {
    store_vetting *v = NULL;
    size_t n = 0, hits = 0;
    assert_int_equal(store_vetting_list(s, &v, &n, NULL), 0);
    for (size_t i = 0; i < n; i++) hits += strcmp(v[i].by_party, "US") == 0 && strcmp(v[i].org_name, "UIN-7") == 0;
    free(v);
    return hits;
}

static int pull(fixture *f, const char *url, size_t *no, size_t *nv, enlace_err *err) {
    store_partner p;
    assert_int_equal(store_partner_get(f->s, "US", &p, err), 0);
    snprintf(p.url, sizeof p.url, "%s", url);
    client_config cc = {p.url, NULL, NULL, TOKEN, 0, NULL, 5, 10, 0};
    client *c = NULL;
    assert_int_equal(client_new(&cc, &c, err), 0);
    int rc = fed_directory_pull(f->s, c, &p, no, nv, err);
    client_free(c);
    return rc;
}

static void test_directory(void **state) {
    fixture *f = *state;
    enlace_err err;
    size_t no = 0, nv = 0;
    /* another key, another party, no key: refused, nothing taken in */
    int prc = pull(f, f->other_key.url, &no, &nv, &err);
    if (prc != ENLACE_EAUTH) fprintf(stderr, "pull: %s\n", err.msg);
    assert_int_equal(prc, ENLACE_EAUTH);
    assert_non_null(strstr(err.msg, "another key"));
    assert_int_equal(pull(f, f->gt.url, &no, &nv, &err), ENLACE_EAUTH);
    assert_non_null(strstr(err.msg, "party"));
    assert_int_equal(pull(f, f->keyless.url, &no, &nv, &err), ENLACE_ENET);
    assert_int_equal(us_vettings_of_uin7(f->s), 0);
    store_org o;
    assert_int_equal(store_org_get(f->s, "DEA", &o, &err), ENLACE_ENOTFOUND);
    /* the genuine one: US's DEA known, US's vetting of MX's UIN-7 taken in */
    assert_int_equal(pull(f, f->us.url, &no, &nv, &err), 0);
    assert_int_equal(no, 1);
    assert_int_equal(nv, 1);
    assert_int_equal(store_org_get(f->s, "DEA", &o, &err), 0);
    assert_string_equal(o.party, "US");
    assert_int_equal(o.vouched, 0);
    assert_int_equal(us_vettings_of_uin7(f->s), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_first_use_then_consistency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lies_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_first_contact_cases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directory, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
