/* test_audit_checkpoint.c - C2SP signed notes and tlog-checkpoints: the Go reference vector
 * (golang.org/x/mod/sumdb/note, note_test.go and its package example: the PeterNeumann key and
 * note, reproduced byte for byte since Ed25519 is deterministic), checkpoints we sign verify,
 * and every kind of damage is refused with the right code. Also the canonical entry encoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/checkpoint.h"
#include "audit/entry.h"

static const char GO_VKEY[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char GO_SKEY_B64[] = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";  /* 0x01 || seed */
static const char GO_TEXT[] = "If you think cryptography is the answer to your problem,\n"
                              "then you don't know what your problem is.\n";
static const char GO_NOTE[] = "If you think cryptography is the answer to your problem,\n"
                              "then you don't know what your problem is.\n"
                              "\n"
                              "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

static void go_key(unsigned char pk[32], unsigned char sk[64]) {
    unsigned char typed[33];
    size_t n = 0;
    assert_int_equal(sodium_base642bin(typed, sizeof typed, GO_SKEY_B64, strlen(GO_SKEY_B64), NULL, &n, NULL,
                                       sodium_base64_VARIANT_ORIGINAL), 0);
    assert_int_equal(n, 33);
    assert_int_equal(typed[0], 1);
    crypto_sign_seed_keypair(pk, sk, typed + 1);
}

static void test_go_reference_note(void **state) {
    (void)state;
    unsigned char pk[32], sk[64], vpk[32];
    go_key(pk, sk);
    enlace_err err;
    /* the verifier key names the same key, and its id is the one the vector prints */
    assert_int_equal(audit_pubkey_parse(GO_VKEY, vpk, &err), 0);
    assert_memory_equal(pk, vpk, 32);
    enlace_buf vk = ENLACE_BUF_INIT;
    audit_vkey_format("PeterNeumann", pk, &vk);
    assert_string_equal(vk.p, GO_VKEY);
    enlace_buf_free(&vk);
    /* signing the text reproduces the published note exactly */
    enlace_buf note = ENLACE_BUF_INIT;
    assert_int_equal(audit_note_sign(GO_TEXT, strlen(GO_TEXT), "PeterNeumann", sk, &note, &err), 0);
    assert_string_equal(note.p, GO_NOTE);
    enlace_buf_free(&note);
    size_t text_len = 0;
    assert_int_equal(audit_note_open(GO_NOTE, strlen(GO_NOTE), "PeterNeumann", pk, &text_len, &err), 0);
    assert_int_equal(text_len, strlen(GO_TEXT));
    /* one changed letter of the text */
    char bad[sizeof GO_NOTE];
    memcpy(bad, GO_NOTE, sizeof GO_NOTE);
    bad[20] = 'Y';
    assert_int_equal(audit_note_open(bad, strlen(bad), "PeterNeumann", pk, &text_len, &err), ENLACE_EAUTH);
    assert_non_null(strstr(err.msg, "bad signature"));
}

static void test_checkpoint_sign_verify(void **state) {
    (void)state;
    unsigned char pk[32], sk[64], pk2[32], sk2[64], root[32];
    crypto_sign_keypair(pk, sk);
    crypto_sign_keypair(pk2, sk2);
    memset(root, 0xab, sizeof root);
    enlace_err err;
    char origin[AUDIT_ORIGIN_MAX];
    audit_origin("MX", "identity--8f2a0b4e-6d51-4c3e-9a7b-1f0e2d3c4b5a", origin);
    assert_string_equal(origin, "enlace/MX/identity--8f2a0b4e-6d51-4c3e-9a7b-1f0e2d3c4b5a");
    enlace_buf note = ENLACE_BUF_INIT;
    assert_int_equal(audit_checkpoint_sign(origin, 12345, root, sk, &note, &err), 0);
    /* the tlog-checkpoint body: origin, size, base64 root, then the blank line and signature */
    char want_prefix[1024];
    snprintf(want_prefix, sizeof want_prefix, "%s\n12345\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n\n\xe2\x80\x94 %s ",
             origin, origin);
    assert_int_equal(strncmp(note.p, want_prefix, strlen(want_prefix)), 0);
    audit_checkpoint cp;
    assert_int_equal(audit_checkpoint_verify(note.p, note.len, pk, &cp, &err), 0);
    assert_string_equal(cp.origin, origin);
    assert_int_equal(cp.size, 12345);
    assert_memory_equal(cp.root, root, 32);
    /* another key: not signed by it */
    assert_int_equal(audit_checkpoint_verify(note.p, note.len, pk2, &cp, &err), ENLACE_EAUTH);
    assert_non_null(strstr(err.msg, "another key"));
    /* a witness cosignature line by another key is ignored */
    enlace_buf two = ENLACE_BUF_INIT;
    enlace_buf_append(&two, note.p, note.len);
    enlace_buf_puts(&two, "\xe2\x80\x94 witness.example AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
    assert_int_equal(audit_checkpoint_verify(two.p, two.len, pk, &cp, &err), 0);
    enlace_buf_free(&two);
    /* a changed size, root or origin: the signature no longer holds */
    char *m = strdup(note.p);
    char *sz = strstr(m, "\n12345\n");
    sz[5] = '6';
    assert_int_equal(audit_checkpoint_verify(m, strlen(m), pk, &cp, &err), ENLACE_EAUTH);
    strcpy(m, note.p);
    m[strlen(origin) + 7] ^= 1;  /* first character of the root line */
    assert_int_not_equal(audit_checkpoint_verify(m, strlen(m), pk, &cp, &err), 0);
    /* the same text re-signed by another key under the same name: key id differs */
    enlace_buf other = ENLACE_BUF_INIT;
    assert_int_equal(audit_checkpoint_sign(origin, 12345, root, sk2, &other, &err), 0);
    assert_int_equal(audit_checkpoint_verify(other.p, other.len, pk, &cp, &err), ENLACE_EAUTH);
    /* the right key id but a forged signature */
    strcpy(m, note.p);
    char *sig = strrchr(m, ' ') + 1;
    sig[10] = sig[10] == 'A' ? 'B' : 'A';
    assert_int_equal(audit_checkpoint_verify(m, strlen(m), pk, &cp, &err), ENLACE_EAUTH);
    assert_non_null(strstr(err.msg, "does not verify"));
    /* malformed notes */
    assert_int_equal(audit_checkpoint_verify("x\n1\n", 4, pk, &cp, &err), ENLACE_EINVAL);
    assert_int_equal(audit_checkpoint_parse("o\n01\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n", 48, &cp, &err), ENLACE_EINVAL);
    assert_int_equal(audit_checkpoint_parse("o\n-1\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n", 48, &cp, &err), ENLACE_EINVAL);
    assert_int_equal(audit_checkpoint_parse("o\n1\nq6ur\n", 10, &cp, &err), ENLACE_EINVAL);
    assert_int_equal(audit_checkpoint_sign("bad origin", 1, root, sk, &other, &err), ENLACE_EINVAL);
    assert_int_equal(audit_checkpoint_sign("a+b", 1, root, sk, &other, &err), ENLACE_EINVAL);
    free(m);
    enlace_buf_free(&other);
    enlace_buf_free(&note);
    /* public keys: raw base64 and verifier key forms, and refusals */
    char b64[64];
    sodium_bin2base64(b64, sizeof b64, pk, 32, sodium_base64_VARIANT_ORIGINAL);
    unsigned char got[32];
    assert_int_equal(audit_pubkey_parse(b64, got, &err), 0);
    assert_memory_equal(got, pk, 32);
    enlace_buf vk = ENLACE_BUF_INIT;
    audit_vkey_format(origin, pk, &vk);
    assert_int_equal(audit_pubkey_parse(vk.p, got, &err), 0);
    assert_memory_equal(got, pk, 32);
    vk.p[strlen(origin) + 2] ^= 1;  /* key id digit */
    assert_int_equal(audit_pubkey_parse(vk.p, got, &err), ENLACE_EINVAL);
    enlace_buf_free(&vk);
    assert_int_equal(audit_pubkey_parse("not a key", got, &err), ENLACE_EINVAL);
}

/* Security review F5: the NAME of a pinned verifier key NAME+ID+KEY binds the origin. */
static void test_pinned_key_name(void **state) {
    (void)state;
    unsigned char pk[32], sk[64], root[32], got[32];
    crypto_sign_keypair(pk, sk);
    memset(root, 0x5a, sizeof root);
    enlace_err err;
    const char *mx = "enlace/MX/identity--8f2a0b4e-6d51-4c3e-9a7b-1f0e2d3c4b5a";
    const char *other = "enlace/US/identity--00000000-6d51-4c3e-9a7b-1f0e2d3c4b5a";
    enlace_buf vk = ENLACE_BUF_INIT, good = ENLACE_BUF_INIT, bad = ENLACE_BUF_INIT;
    audit_vkey_format(mx, pk, &vk);
    char name[AUDIT_ORIGIN_MAX];
    assert_int_equal(audit_pubkey_parse_name(vk.p, got, name, &err), 0);
    assert_string_equal(name, mx);
    assert_memory_equal(got, pk, 32);
    char b64[64];
    sodium_bin2base64(b64, sizeof b64, pk, 32, sodium_base64_VARIANT_ORIGINAL);
    assert_int_equal(audit_pubkey_parse_name(b64, got, name, &err), 0);
    assert_string_equal(name, "");
    /* the same key signing a log of another name: refused when the name is pinned */
    assert_int_equal(audit_checkpoint_sign(mx, 7, root, sk, &good, &err), 0);
    assert_int_equal(audit_checkpoint_sign(other, 7, root, sk, &bad, &err), 0);
    audit_checkpoint cp;
    assert_int_equal(audit_checkpoint_verify_pinned(good.p, good.len, mx, pk, &cp, &err), 0);
    assert_int_equal(audit_checkpoint_verify_pinned(bad.p, bad.len, "", pk, &cp, &err), 0);  /* bare key: no name */
    assert_int_equal(audit_checkpoint_verify_pinned(bad.p, bad.len, mx, pk, &cp, &err), ENLACE_EAUTH);
    assert_non_null(strstr(err.msg, "bad signature: signed by 'enlace/US/"));
    assert_non_null(strstr(err.msg, "not the pinned 'enlace/MX/"));
    /* a note of another origin that carries a valid signature under the pinned name */
    char text[512];
    int n = snprintf(text, sizeof text, "%s\n7\nWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlpaWlo=\n", other);
    enlace_buf odd = ENLACE_BUF_INIT;
    assert_int_equal(audit_note_sign(text, (size_t)n, mx, sk, &odd, &err), 0);
    assert_int_equal(audit_checkpoint_verify_pinned(odd.p, odd.len, mx, pk, &cp, &err), ENLACE_EAUTH);
    assert_non_null(strstr(err.msg, "origin 'enlace/US/"));
    assert_non_null(strstr(err.msg, "is not the pinned key's name"));
    enlace_buf_free(&odd);
    enlace_buf_free(&vk);
    enlace_buf_free(&good);
    enlace_buf_free(&bad);
}

static void test_entry_encoding(void **state) {
    (void)state;
    audit_object objs[2] = {{"indicator--1b1a8c9e-4a34-4a0f-8a5e-1f2d3c4b5a69", "2026-01-02T03:04:05.678Z"},
                            {"ipv4-addr--ff1a8c9e-4a34-4a0f-8a5e-1f2d3c4b5a69", ""}};
    audit_entry e = {1764416176123456, "kate.doyle", "DEA", "US", "read", "c0ffee", "MX", "allow", "", "", objs, 2};
    enlace_buf b = ENLACE_BUF_INIT;
    unsigned char salt[AUDIT_SALT_LEN];
    for (int i = 0; i < AUDIT_SALT_LEN; i++) salt[i] = (unsigned char)(0xa0 + i);
    assert_int_equal(audit_entry_encode_salted(&e, salt, &b), 0);
    assert_string_equal(b.p,
                        "{\"v\":2,\"salt\":\"oKGio6SlpqeoqaqrrK2urw==\",\"time\":1764416176123456,"
                        "\"principal\":\"kate.doyle\",\"org\":\"DEA\",\"party\":\"US\","
                        "\"action\":\"read\",\"collection\":\"c0ffee\",\"about\":\"MX\",\"decision\":\"allow\",\"reason\":\"\","
                        "\"target\":\"\",\"objects\":[[\"indicator--1b1a8c9e-4a34-4a0f-8a5e-1f2d3c4b5a69\","
                        "\"2026-01-02T03:04:05.678Z\"],[\"ipv4-addr--ff1a8c9e-4a34-4a0f-8a5e-1f2d3c4b5a69\",\"\"]]}");
    audit_entry_doc d;
    enlace_err err;
    assert_int_equal(audit_entry_decode(b.p, b.len, &d, &err), 0);
    assert_int_equal(d.version, 2);
    assert_true(d.has_salt);
    assert_memory_equal(d.salt, salt, AUDIT_SALT_LEN);
    assert_int_equal(d.e.time_us, 1764416176123456);
    assert_string_equal(d.e.principal, "kate.doyle");
    assert_string_equal(d.e.about, "MX");
    assert_int_equal(d.e.n_objects, 2);
    assert_string_equal(d.e.objects[1].id, "ipv4-addr--ff1a8c9e-4a34-4a0f-8a5e-1f2d3c4b5a69");
    /* decode then encode (with its salt) gives the same bytes: one canonical form */
    enlace_buf b2 = ENLACE_BUF_INIT;
    audit_entry_encode_salted(&d.e, d.salt, &b2);
    assert_string_equal(b.p, b2.p);
    audit_entry_doc_free(&d);
    enlace_buf_free(&b2);
    /* odd characters stay valid JSON; NULLs are "" */
    audit_entry odd = {0, "x\"y\n", NULL, "MX", "user-add", NULL, "MX", "allow", NULL, "bad\xff", NULL, 0};
    enlace_buf_free(&b);
    audit_entry_encode(&odd, &b);
    assert_int_equal(audit_entry_decode(b.p, b.len, &d, &err), 0);
    assert_string_equal(d.e.principal, "x\"y\n");
    assert_string_equal(d.e.org, "");
    assert_string_equal(d.e.target, "bad\xef\xbf\xbd");
    audit_entry_doc_free(&d);
    enlace_buf_free(&b);
    assert_int_equal(audit_entry_decode("{\"v\":1}", 7, &d, &err), ENLACE_EINVAL);
    /* version 1 leaves (no salt) are still read; version 2 needs a 16-byte salt */
    const char *v1 = "{\"v\":1,\"time\":5,\"principal\":\"a\",\"org\":\"b\",\"party\":\"US\",\"action\":\"read\","
                     "\"collection\":\"\",\"about\":\"US\",\"decision\":\"allow\",\"reason\":\"\",\"target\":\"\",\"objects\":[]}";
    assert_int_equal(audit_entry_decode(v1, strlen(v1), &d, &err), 0);
    assert_int_equal(d.version, 1);
    assert_false(d.has_salt);
    audit_entry_doc_free(&d);
    const char *v2bad = "{\"v\":2,\"salt\":\"AAAA\",\"time\":5,\"principal\":\"a\",\"org\":\"b\",\"party\":\"US\",\"action\":\"read\","
                        "\"collection\":\"\",\"about\":\"US\",\"decision\":\"allow\",\"reason\":\"\",\"target\":\"\",\"objects\":[]}";
    assert_int_equal(audit_entry_decode(v2bad, strlen(v2bad), &d, &err), ENLACE_EINVAL);
    assert_int_equal(audit_entry_decode("[]", 2, &d, &err), ENLACE_EINVAL);
}

/* Security review F1: every entry carries a fresh random salt, so the same (predictable) entry
 * never gives the same leaf hash and a hash-only entry cannot be brute-forced. */
static void test_entry_salted(void **state) {
    (void)state;
    audit_entry e = {1764416176123456, "kate.doyle", "DEA", "US", "read", "c0ffee", "MX", "allow", "", "", NULL, 0};
    enlace_buf a = ENLACE_BUF_INIT, b = ENLACE_BUF_INIT;
    assert_int_equal(audit_entry_encode(&e, &a), 0);
    assert_int_equal(audit_entry_encode(&e, &b), 0);
    assert_string_not_equal(a.p, b.p);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.p, "{\"v\":2,\"salt\":\"", 15);
    assert_memory_equal(a.p + 15 + 24, "\",\"time\":1764416176123456,", 26);
    unsigned char ha[MERKLE_HASH_LEN], hb[MERKLE_HASH_LEN];
    merkle_hash_leaf(a.p, a.len, ha);
    merkle_hash_leaf(b.p, b.len, hb);
    assert_memory_not_equal(ha, hb, MERKLE_HASH_LEN);
    audit_entry_doc d1, d2;
    enlace_err err;
    assert_int_equal(audit_entry_decode(a.p, a.len, &d1, &err), 0);
    assert_int_equal(audit_entry_decode(b.p, b.len, &d2, &err), 0);
    assert_memory_not_equal(d1.salt, d2.salt, AUDIT_SALT_LEN);
    audit_entry_doc_free(&d1);
    audit_entry_doc_free(&d2);
    enlace_buf_free(&a);
    enlace_buf_free(&b);
}

int main(void) {
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_go_reference_note),
        cmocka_unit_test(test_checkpoint_sign_verify),
        cmocka_unit_test(test_pinned_key_name),
        cmocka_unit_test(test_entry_encoding),
        cmocka_unit_test(test_entry_salted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
