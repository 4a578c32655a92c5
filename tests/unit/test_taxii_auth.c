/* test_taxii_auth.c - request authentication (T§1.6.9): Basic with the credential cache, bearer
 * tokens, and that disabling or a password change beats a cached credential. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "store/store.h"
#include "taxii/auth.h"
#include "util/secret.h"

typedef struct fixture {
    char dir[64];
    store *s;
    taxii_auth_cache *cache;
    char token[ENLACE_TOKEN_LEN];
    char token_id[ENLACE_TOKEN_ID_LEN];
} fixture;

static void basic(char *out, size_t cap, const char *user_pass) {
    char b64[256];
    sodium_bin2base64(b64, sizeof b64, (const unsigned char *)user_pass, strlen(user_pass),
                      sodium_base64_VARIANT_ORIGINAL);
    snprintf(out, cap, "Basic %s", b64);
}

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (!f || enlace_secret_init() != 0) return -1;
    strcpy(f->dir, "/tmp/enlace-test-auth-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    char path[128], hash[ENLACE_PWHASH_LEN];
    snprintf(path, sizeof path, "%s/enlace.db", f->dir);
    if (store_open(path, 1, &f->s, NULL) != 0) return -1;
    store_user u;
    store_org org;
    /* Every user belongs to an organization of the node's party (issue 3). */
    static const char ident[] = "identity--0b0d3e6a-1c2f-4e5a-9b7c-6d8e9f0a1b2c";
    if (store_meta_set(f->s, "party", "MX", NULL) != 0 || store_meta_set(f->s, "identity_id", ident, NULL) != 0 ||
        store_org_add(f->s, ident, "SSPC", "MX", 1,
                      "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"identity--0b0d3e6a-1c2f-4e5a-9b7c-"
                      "6d8e9f0a1b2c\",\"created\":\"2026-01-01T00:00:00.000Z\",\"modified\":\"2026-01-01T00:00:00.000Z\","
                      "\"name\":\"SSPC\",\"identity_class\":\"organization\"}",
                      1, &org, NULL) != 0)
        return -1;
    if (enlace_password_hash("s3cret", hash) != 0) return -1;
    if (store_user_add(f->s, "alice", STORE_ROLE_ANALYST, org.rowid, hash, 1, &u, NULL) != 0) return -1;
    if (store_user_add(f->s, "tok", STORE_ROLE_ANALYST, org.rowid, NULL, 1, &u, NULL) != 0) return -1;
    unsigned char sha[32];
    enlace_token_new(f->token, sha, f->token_id);
    if (store_token_add(f->s, u.rowid, sha, f->token_id, 1, NULL) != 0) return -1;
    if (taxii_auth_cache_new(16, 60LL * 1000000, &f->cache, NULL) != 0) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    char cmd[160];
    taxii_auth_cache_free(f->cache);
    store_close(f->s);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) return -1;
    free(f);
    return 0;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void basic_auth(void **state) {
    fixture *f = *state;
    char h[300];
    store_user u;
    enlace_err err;
    basic(h, sizeof h, "alice:s3cret");
    assert_int_equal(taxii_authenticate(f->cache, f->s, h, 1000, &u, &err), 0);
    assert_string_equal(u.name, "alice");
    basic(h, sizeof h, "alice:wrong");
    assert_int_equal(taxii_authenticate(f->cache, f->s, h, 1000, &u, &err), ENLACE_EAUTH);
    basic(h, sizeof h, "mallory:s3cret");
    assert_int_equal(taxii_authenticate(f->cache, f->s, h, 1000, &u, &err), ENLACE_EAUTH);
    basic(h, sizeof h, "alices3cret");  /* no ':' */
    assert_int_equal(taxii_authenticate(f->cache, f->s, h, 1000, &u, &err), ENLACE_EAUTH);
    basic(h, sizeof h, "tok:");  /* a token-only user has no password */
    assert_int_equal(taxii_authenticate(f->cache, f->s, h, 1000, &u, &err), ENLACE_EAUTH);
    assert_int_equal(taxii_authenticate(f->cache, f->s, NULL, 1000, &u, &err), ENLACE_EAUTH);
    assert_int_equal(taxii_authenticate(f->cache, f->s, "Basic !!!notbase64", 1000, &u, &err), ENLACE_EAUTH);
    assert_int_equal(taxii_authenticate(f->cache, f->s, "Digest abc", 1000, &u, &err), ENLACE_EAUTH);
}

static void cache_skips_argon2_but_not_checks(void **state) {
    fixture *f = *state;
    char h[300], hash[ENLACE_PWHASH_LEN];
    store_user u;
    basic(h, sizeof h, "alice:s3cret");
    double t0 = now_s();
    assert_int_equal(taxii_authenticate(f->cache, f->s, h, 5000, &u, NULL), 0);  /* miss: Argon2id */
    double t1 = now_s();
    assert_int_equal(taxii_authenticate(f->cache, f->s, h, 5001, &u, NULL), 0);  /* hit */
    double t2 = now_s();
    if (!(t2 - t1 < (t1 - t0) / 4)) fail_msg("cache hit took %.4fs, miss %.4fs", t2 - t1, t1 - t0);

    /* Disabling wins over the cache. */
    assert_int_equal(store_user_set_disabled(f->s, "alice", 1, NULL), 0);
    assert_int_equal(taxii_authenticate(f->cache, f->s, h, 5002, &u, NULL), ENLACE_EAUTH);
    assert_int_equal(store_user_set_disabled(f->s, "alice", 0, NULL), 0);
    assert_int_equal(taxii_authenticate(f->cache, f->s, h, 5003, &u, NULL), 0);

    /* A password change wins over the cache: the old password stops working at once. */
    assert_int_equal(enlace_password_hash("n3w", hash), 0);
    assert_int_equal(store_user_set_password(f->s, "alice", hash, NULL), 0);
    assert_int_equal(taxii_authenticate(f->cache, f->s, h, 5004, &u, NULL), ENLACE_EAUTH);
    char h2[300];
    basic(h2, sizeof h2, "alice:n3w");
    assert_int_equal(taxii_authenticate(f->cache, f->s, h2, 5005, &u, NULL), 0);
    /* Without a cache everything still works. */
    assert_int_equal(taxii_authenticate(NULL, f->s, h2, 5006, &u, NULL), 0);
}

static void bearer_tokens(void **state) {
    fixture *f = *state;
    char h[200];
    store_user u;
    snprintf(h, sizeof h, "Bearer %s", f->token);
    assert_int_equal(taxii_authenticate(f->cache, f->s, h, 1, &u, NULL), 0);
    assert_string_equal(u.name, "tok");
    assert_int_equal(taxii_authenticate(f->cache, f->s, "Bearer enl_nope", 1, &u, NULL), ENLACE_EAUTH);
    assert_int_equal(taxii_authenticate(f->cache, f->s, "Bearer ", 1, &u, NULL), ENLACE_EAUTH);
    assert_int_equal(store_user_set_disabled(f->s, "tok", 1, NULL), 0);
    assert_int_equal(taxii_authenticate(f->cache, f->s, h, 1, &u, NULL), ENLACE_EAUTH);
    assert_int_equal(store_user_set_disabled(f->s, "tok", 0, NULL), 0);
    assert_int_equal(store_token_revoke(f->s, f->token_id, NULL), 0);
    assert_int_equal(taxii_authenticate(f->cache, f->s, h, 1, &u, NULL), ENLACE_EAUTH);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(basic_auth),
        cmocka_unit_test(cache_skips_argon2_but_not_checks),
        cmocka_unit_test(bearer_tokens),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
