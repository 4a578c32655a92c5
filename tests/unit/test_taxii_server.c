/* test_taxii_server.c - server start-up rules: plain HTTP only on loopback (T§1.6.6), listen
 * address parsing, real port reporting, a cursor key made once and kept across restarts, and
 * the node key (node.key beside the store) that signs the directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "store/store.h"
#include "taxii/server.h"
#include "util/secret.h"

typedef struct fixture {
    char dir[64];
    char db[128];
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (!f || enlace_secret_init() != 0) return -1;
    strcpy(f->dir, "/tmp/enlace-test-server-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->db, sizeof f->db, "%s/enlace.db", f->dir);
    store *s = NULL;
    if (store_open(f->db, 1, &s, NULL) != 0) return -1;
    store_close(s);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) return -1;
    free(f);
    return 0;
}

static int start_with(fixture *f, const char *listen, taxii_server **srv, enlace_err *err) {
    taxii_config c;
    taxii_config_defaults(&c);
    c.db_path = f->db;
    c.listen = listen;
    c.threads = 1;
    return taxii_server_start(&c, srv, err);
}

static void refuses_bad_configs(void **state) {
    fixture *f = *state;
    taxii_server *srv = NULL;
    enlace_err err;
    /* Plain HTTP off loopback is a usage error with a clear message. */
    assert_int_equal(start_with(f, "0.0.0.0:0", &srv, &err), ENLACE_EINVAL);
    assert_non_null(strstr(err.msg, "plain HTTP"));
    assert_int_equal(start_with(f, "[::]:0", &srv, &err), ENLACE_EINVAL);
    assert_int_equal(start_with(f, "127.0.0.1", &srv, &err), ENLACE_EINVAL);
    assert_int_equal(start_with(f, "127.0.0.1:99999", &srv, &err), ENLACE_EINVAL);
    assert_int_equal(start_with(f, "127.0.0.1:x", &srv, &err), ENLACE_EINVAL);
    assert_int_equal(start_with(f, "[::1:0", &srv, &err), ENLACE_EINVAL);
    assert_null(srv);
    /* TLS needs both halves. */
    taxii_config c;
    taxii_config_defaults(&c);
    c.db_path = f->db;
    c.listen = "127.0.0.1:0";
    c.tls_cert_pem = "-----BEGIN CERTIFICATE-----\n";
    assert_int_equal(taxii_server_start(&c, &srv, &err), ENLACE_EINVAL);
    /* A node directory without a store. */
    c.tls_cert_pem = NULL;
    c.db_path = "/nonexistent/enlace.db";
    assert_int_not_equal(taxii_server_start(&c, &srv, &err), 0);
}

static void reports_port_and_keeps_cursor_key(void **state) {
    fixture *f = *state;
    taxii_server *srv = NULL;
    enlace_err err;
    assert_int_equal(start_with(f, "127.0.0.1:0", &srv, &err), 0);
    const char *url = taxii_server_url(srv);
    unsigned port = 0;
    assert_int_equal(sscanf(url, "http://127.0.0.1:%u/", &port), 1);
    assert_true(port > 0);
    taxii_server_stop(srv, 1000);

    store *s = NULL;
    char key1[100], key2[100];
    assert_int_equal(store_open(f->db, 0, &s, NULL), 0);
    assert_int_equal(store_meta_get(s, "cursor_key", key1, sizeof key1, NULL), 0);
    store_close(s);
    assert_int_equal(strlen(key1), 64);
    assert_int_equal(strspn(key1, "0123456789abcdef"), 64);

    /* A restart reuses the key, so cursors survive (DESIGN invariant 3). */
    assert_int_equal(start_with(f, "127.0.0.1:0", &srv, &err), 0);
    taxii_server_stop(srv, 1000);
    assert_int_equal(store_open(f->db, 0, &s, NULL), 0);
    assert_int_equal(store_meta_get(s, "cursor_key", key2, sizeof key2, NULL), 0);
    store_close(s);
    assert_string_equal(key1, key2);
}

static void write_text(const char *path, const char *text) {
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* Without node.key the node still serves (the directory answers 503); a node.key that is not a
 * base64 Ed25519 secret key refuses the start rather than run unable to sign; a real one (as
 * `enlace init` writes it, with its newline) is accepted, found beside the store by default. */
static void node_key_rules(void **state) {
    fixture *f = *state;
    taxii_server *srv = NULL;
    enlace_err err;
    char key[160];
    snprintf(key, sizeof key, "%s/node.key", f->dir);
    assert_int_equal(start_with(f, "127.0.0.1:0", &srv, &err), 0);
    taxii_server_stop(srv, 1000);
    srv = NULL;

    write_text(key, "not a key\n");
    assert_int_equal(start_with(f, "127.0.0.1:0", &srv, &err), ENLACE_EIO);
    assert_null(srv);
    assert_non_null(strstr(err.msg, "node.key"));
    /* A valid base64 of the wrong length (a 32-byte public key) is no secret key either. */
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_keypair(pk, sk);
    char b64[sodium_base64_ENCODED_LEN(crypto_sign_SECRETKEYBYTES, sodium_base64_VARIANT_ORIGINAL)];
    char text[sizeof b64 + 2];
    sodium_bin2base64(b64, sizeof b64, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);
    snprintf(text, sizeof text, "%s\n", b64);
    write_text(key, text);
    assert_int_equal(start_with(f, "127.0.0.1:0", &srv, &err), ENLACE_EIO);

    sodium_bin2base64(b64, sizeof b64, sk, sizeof sk, sodium_base64_VARIANT_ORIGINAL);
    snprintf(text, sizeof text, "%s\n", b64);
    write_text(key, text);
    assert_int_equal(start_with(f, "127.0.0.1:0", &srv, &err), 0);
    taxii_server_stop(srv, 1000);
    /* An explicit path wins over the default one: a bad key beside the store is not read. */
    char key2[160];
    snprintf(key2, sizeof key2, "%s/other.key", f->dir);
    write_text(key2, text);
    write_text(key, "not a key\n");
    taxii_config c;
    taxii_config_defaults(&c);
    c.db_path = f->db;
    c.listen = "127.0.0.1:0";
    c.threads = 1;
    c.node_key_path = key2;
    srv = NULL;
    assert_int_equal(taxii_server_start(&c, &srv, &err), 0);
    taxii_server_stop(srv, 1000);
    unlink(key2);
    unlink(key);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refuses_bad_configs),
        cmocka_unit_test(reports_port_and_keeps_cursor_key),
        cmocka_unit_test(node_key_rules),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
