/* test_util_merkle.c - RFC 9162 §2.1 hashing and proofs: public test vectors, every proof of
 * trees of 1..64 leaves against a naive recursive implementation of the RFC's definitions, and
 * tampered proofs that must not verify.
 *
 * Test vectors: the Certificate Transparency test data (first published in
 * google/certificate-transparency's merkle_tree_test.cc) as kept by transparency-dev/merkle:
 * `proof/verify_test.go` (leaves, roots of sizes 1-8, inclusion and consistency proofs) and
 * `rfc6962/rfc6962_test.go` (empty tree, leaf and node hashes). Only the data is taken. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/merkle.h"

typedef unsigned char hash_t[MERKLE_HASH_LEN];

static void unhex(const char *hex, unsigned char *out, size_t n) {
    size_t got = 0;
    assert_int_equal(sodium_hex2bin(out, n, hex, strlen(hex), NULL, &got, NULL), 0);
    assert_int_equal(got, n);
}

static void assert_hash_hex(const unsigned char *h, const char *hex) {
    char s[2 * MERKLE_HASH_LEN + 1];
    sodium_bin2hex(s, sizeof s, h, MERKLE_HASH_LEN);
    assert_string_equal(s, hex);
}

/* ---- an in-memory tree: every complete aligned subtree hash, level by level ------------------- */

typedef struct mem_tree {
    uint64_t size;
    hash_t *level[65];   /* level[l][i]: subtree (l, i), for i < size >> l */
    int lookups;
} mem_tree;

static void mem_build(mem_tree *t, const hash_t *leaf_hashes, uint64_t size) {
    memset(t, 0, sizeof *t);
    t->size = size;
    for (unsigned l = 0; (size >> l) > 0; l++) {
        uint64_t n = size >> l;
        t->level[l] = calloc(n, sizeof(hash_t));
        for (uint64_t i = 0; i < n; i++) {
            if (l == 0) memcpy(t->level[0][i], leaf_hashes[i], MERKLE_HASH_LEN);
            else merkle_hash_children(t->level[l - 1][2 * i], t->level[l - 1][2 * i + 1], t->level[l][i]);
        }
    }
}

static void mem_free(mem_tree *t) {
    for (unsigned l = 0; l < 65; l++) free(t->level[l]);
}

static int mem_node(void *ctx, unsigned level, uint64_t index, unsigned char out[MERKLE_HASH_LEN], enlace_err *err) {
    mem_tree *t = ctx;
    t->lookups++;
    /* a caller may only ask for COMPLETE aligned subtrees inside the tree */
    if (level > 63 || ((index + 1) << level) > t->size)
        return enlace_err_set(err, ENLACE_EIO, "asked for an incomplete subtree (%u, %llu)", level,
                              (unsigned long long)index);
    memcpy(out, t->level[level][index], MERKLE_HASH_LEN);
    return 0;
}

/* ---- the RFC 9162 §2.1 definitions, literally (recursive, on leaf hashes) ---------------------- */

static void naive_mth(const hash_t *d, uint64_t n, hash_t out) {
    if (n == 0) {
        merkle_hash_empty(out);
        return;
    }
    if (n == 1) {
        memcpy(out, d[0], MERKLE_HASH_LEN);
        return;
    }
    uint64_t k = 1;
    while (k * 2 < n) k *= 2;
    hash_t l, r;
    naive_mth(d, k, l);
    naive_mth(d + k, n - k, r);
    merkle_hash_children(l, r, out);
}

/* PATH(m, D[n]) (RFC 9162 §2.1.3.1) appended to out. */
static void naive_path(uint64_t m, const hash_t *d, uint64_t n, hash_t *out, size_t *len) {
    if (n <= 1) return;
    uint64_t k = 1;
    while (k * 2 < n) k *= 2;
    if (m < k) {
        naive_path(m, d, k, out, len);
        naive_mth(d + k, n - k, out[(*len)++]);
    } else {
        naive_path(m - k, d + k, n - k, out, len);
        naive_mth(d, k, out[(*len)++]);
    }
}

/* SUBPROOF(m, D[n], b) (RFC 9162 §2.1.4.1) appended to out. */
static void naive_subproof(uint64_t m, const hash_t *d, uint64_t n, int b, hash_t *out, size_t *len) {
    if (m == n) {
        if (!b) naive_mth(d, n, out[(*len)++]);
        return;
    }
    uint64_t k = 1;
    while (k * 2 < n) k *= 2;
    if (m <= k) {
        naive_subproof(m, d, k, b, out, len);
        naive_mth(d + k, n - k, out[(*len)++]);
    } else {
        naive_subproof(m - k, d + k, n - k, 0, out, len);
        naive_mth(d, k, out[(*len)++]);
    }
}

/* ---- public vectors ------------------------------------------------------------------------------ */

static void test_hasher_vectors(void **state) {
    (void)state;
    hash_t h;
    merkle_hash_empty(h);
    assert_hash_hex(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    merkle_hash_leaf(NULL, 0, h);
    assert_hash_hex(h, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
    merkle_hash_leaf("L123456", 7, h);
    assert_hash_hex(h, "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56");
    /* the node hasher takes any 32-byte children; the vector hashes 4-byte strings, so check the
     * construction (0x01 || l || r) on them by hand */
    unsigned char buf[9] = {0x01, 'N', '1', '2', '3', 'N', '4', '5', '6'};
    crypto_hash_sha256(h, buf, sizeof buf);
    assert_hash_hex(h, "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb");
    hash_t a, b, c;
    merkle_hash_leaf("Hello", 5, a);
    merkle_hash_leaf("World", 5, b);
    merkle_hash_children(a, b, c);
    unsigned char both[64];
    memcpy(both, a, 32);
    memcpy(both + 32, b, 32);
    merkle_hash_leaf(both, 64, h);
    assert_memory_not_equal(c, h, 32);  /* second pre-image: a node is never a leaf */
    merkle_hash_children(b, a, h);
    assert_memory_not_equal(c, h, 32);  /* order matters */
}

/* The CT leaves: "", 00, 10, 2021, 3031, 40414243, 5051525354555657, 606162636465666768696a6b6c6d6e6f */
static const char *const CT_LEAVES[8] = {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                         "606162636465666768696a6b6c6d6e6f"};
static const char *const CT_ROOTS[8] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void ct_tree(mem_tree *t, hash_t lh[8]) {
    for (int i = 0; i < 8; i++) {
        unsigned char raw[16];
        size_t n = strlen(CT_LEAVES[i]) / 2;
        if (n) unhex(CT_LEAVES[i], raw, n);
        merkle_hash_leaf(raw, n, lh[i]);
    }
    mem_build(t, (const hash_t *)lh, 8);
}

static void test_ct_roots(void **state) {
    (void)state;
    hash_t lh[8], root;
    mem_tree t;
    ct_tree(&t, lh);
    enlace_err err;
    for (uint64_t n = 1; n <= 8; n++) {
        assert_int_equal(merkle_root(mem_node, &t, n, root, &err), 0);
        assert_hash_hex(root, CT_ROOTS[n - 1]);
    }
    merkle_root(mem_node, &t, 0, root, &err);
    assert_hash_hex(root, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    mem_free(&t);
}

typedef struct vec {
    uint64_t a, b;     /* inclusion: leaf index (1-based in the source), size; consistency: size1, size2 */
    size_t n;
    const char *h[3];
} vec;

static const vec CT_INCLUSION[] = {
    {1, 8, 3, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
               "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
               "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6, 8, 3, {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
               "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
               "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {3, 3, 1, {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
    {2, 5, 3, {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
               "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
               "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {1, 1, 0, {NULL}},
};

static const vec CT_CONSISTENCY[] = {
    {1, 1, 0, {NULL}},
    {1, 8, 3, {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
               "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
               "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
    {6, 8, 3, {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
               "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
               "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
    {2, 5, 2, {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
               "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
    {6, 7, 3, {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
               "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
               "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
};

static void test_ct_inclusion_proofs(void **state) {
    (void)state;
    hash_t lh[8], proof[MERKLE_MAX_PROOF], want[3], root;
    mem_tree t;
    ct_tree(&t, lh);
    enlace_err err;
    for (size_t v = 0; v < sizeof CT_INCLUSION / sizeof CT_INCLUSION[0]; v++) {
        const vec *x = &CT_INCLUSION[v];
        size_t n = 99;
        assert_int_equal(merkle_inclusion_proof(mem_node, &t, x->a - 1, x->b, proof, MERKLE_MAX_PROOF, &n, &err), 0);
        assert_int_equal(n, x->n);
        for (size_t i = 0; i < n; i++) {
            unhex(x->h[i], want[i], 32);
            assert_memory_equal(proof[i], want[i], 32);
        }
        unhex(CT_ROOTS[x->b - 1], root, 32);
        assert_int_equal(merkle_verify_inclusion(x->a - 1, x->b, lh[x->a - 1], (const hash_t *)want, x->n, root, &err), 0);
    }
    mem_free(&t);
}

static void test_ct_consistency_proofs(void **state) {
    (void)state;
    hash_t lh[8], proof[MERKLE_MAX_PROOF], want[3], r1, r2;
    mem_tree t;
    ct_tree(&t, lh);
    enlace_err err;
    for (size_t v = 0; v < sizeof CT_CONSISTENCY / sizeof CT_CONSISTENCY[0]; v++) {
        const vec *x = &CT_CONSISTENCY[v];
        size_t n = 99;
        assert_int_equal(merkle_consistency_proof(mem_node, &t, x->a, x->b, proof, MERKLE_MAX_PROOF, &n, &err), 0);
        assert_int_equal(n, x->n);
        for (size_t i = 0; i < n; i++) {
            unhex(x->h[i], want[i], 32);
            assert_memory_equal(proof[i], want[i], 32);
        }
        unhex(CT_ROOTS[x->a - 1], r1, 32);
        unhex(CT_ROOTS[x->b - 1], r2, 32);
        assert_int_equal(merkle_verify_consistency(x->a, x->b, r1, r2, (const hash_t *)want, x->n, &err), 0);
        if (x->n) {
            /* swapped roots: must fail (the vector's own corruption probe) */
            assert_int_not_equal(merkle_verify_consistency(x->a, x->b, r2, r1, (const hash_t *)want, x->n, &err), 0);
        }
    }
    mem_free(&t);
}

/* Edge cases the reference verifier rejects (transparency-dev/merkle TestVerifyConsistency,
 * TestVerifyInclusion). */
static void test_verify_edge_cases(void **state) {
    (void)state;
    hash_t empty, some, root1, root2;
    merkle_hash_empty(empty);
    unhex("abacaba000000000000000000000000000000000000000000060061e00123456", some, 32);
    memset(root1, 1, 32);
    memset(root2, 2, 32);
    enlace_err err;
    const hash_t one[1] = {{0}};
    /* inclusion with an index not below the size */
    assert_int_equal(merkle_verify_inclusion(0, 0, some, NULL, 0, empty, &err), ENLACE_EINVAL);
    assert_int_equal(merkle_verify_inclusion(1, 1, some, NULL, 0, some, &err), ENLACE_EINVAL);
    assert_int_equal(merkle_verify_inclusion(0, 1, some, NULL, 0, some, &err), 0);
    assert_int_not_equal(merkle_verify_inclusion(0, 1, some, NULL, 0, empty, &err), 0);
    /* consistency */
    assert_int_equal(merkle_verify_consistency(0, 0, root1, root1, NULL, 0, &err), 0);
    assert_int_equal(merkle_verify_consistency(0, 1, root1, root2, NULL, 0, &err), 0);
    assert_int_equal(merkle_verify_consistency(1, 1, root2, root2, NULL, 0, &err), 0);
    assert_int_not_equal(merkle_verify_consistency(0, 0, root1, root2, NULL, 0, &err), 0);
    assert_int_not_equal(merkle_verify_consistency(1, 1, root1, root2, NULL, 0, &err), 0);
    assert_int_not_equal(merkle_verify_consistency(1, 0, root1, root2, NULL, 0, &err), 0);  /* back in time */
    assert_int_not_equal(merkle_verify_consistency(2, 1, root1, root2, NULL, 0, &err), 0);
    assert_int_not_equal(merkle_verify_consistency(1, 2, root1, root2, NULL, 0, &err), 0);  /* empty proof */
    assert_int_not_equal(merkle_verify_consistency(0, 0, empty, empty, one, 1, &err), 0);
    assert_int_not_equal(merkle_verify_consistency(0, 1, empty, empty, one, 1, &err), 0);
    assert_int_not_equal(merkle_verify_consistency(1, 1, empty, empty, one, 1, &err), 0);
    /* generation refuses what it cannot prove */
    mem_tree t;
    hash_t lh[8];
    ct_tree(&t, lh);
    hash_t proof[MERKLE_MAX_PROOF];
    size_t n;
    assert_int_equal(merkle_inclusion_proof(mem_node, &t, 8, 8, proof, MERKLE_MAX_PROOF, &n, &err), ENLACE_EINVAL);
    assert_int_equal(merkle_consistency_proof(mem_node, &t, 0, 8, proof, MERKLE_MAX_PROOF, &n, &err), ENLACE_EINVAL);
    assert_int_equal(merkle_consistency_proof(mem_node, &t, 5, 4, proof, MERKLE_MAX_PROOF, &n, &err), ENLACE_EINVAL);
    assert_int_equal(merkle_inclusion_proof(mem_node, &t, 1, 8, proof, 2, &n, &err), ENLACE_EINVAL);  /* cap */
    mem_free(&t);
}

/* ---- every proof of trees 1..64 against the naive definitions, and tampering ------------------ */

#define N_MAX 64

static void random_tree(hash_t lh[N_MAX], mem_tree *t) {
    for (int i = 0; i < N_MAX; i++) {
        char data[32];
        int len = snprintf(data, sizeof data, "leaf %d", i);
        merkle_hash_leaf(data, (size_t)len, lh[i]);
    }
    mem_build(t, (const hash_t *)lh, N_MAX);
}

static void test_all_inclusion_1_to_64(void **state) {
    (void)state;
    hash_t lh[N_MAX], proof[MERKLE_MAX_PROOF], naive[MERKLE_MAX_PROOF], root, want;
    mem_tree t;
    random_tree(lh, &t);
    enlace_err err;
    for (uint64_t size = 1; size <= N_MAX; size++) {
        naive_mth((const hash_t *)lh, size, want);
        assert_int_equal(merkle_root(mem_node, &t, size, root, &err), 0);
        assert_memory_equal(root, want, 32);
        for (uint64_t i = 0; i < size; i++) {
            size_t n = 0, nn = 0;
            t.lookups = 0;
            assert_int_equal(merkle_inclusion_proof(mem_node, &t, i, size, proof, MERKLE_MAX_PROOF, &n, &err), 0);
            /* O(log n) reads: at most one per level per proof element */
            assert_true(t.lookups <= 7 * 7);
            naive_path(i, (const hash_t *)lh, size, naive, &nn);
            assert_int_equal(n, nn);
            assert_memory_equal(proof, naive, n * 32);
            assert_int_equal(merkle_verify_inclusion(i, size, lh[i], (const hash_t *)proof, n, root, &err), 0);
            /* tampering: another leaf, another index, a flipped bit, a missing or extra element */
            assert_int_not_equal(merkle_verify_inclusion(i, size, lh[(i + 1) % N_MAX], (const hash_t *)proof, n, root, &err), 0);
            if (size > 1) {
                assert_int_not_equal(merkle_verify_inclusion((i + 1) % size, size, lh[i], (const hash_t *)proof, n, root, &err), 0);
                assert_int_not_equal(merkle_verify_inclusion(i, size, lh[i], (const hash_t *)proof, n - 1, root, &err), 0);
                for (size_t k = 0; k < n; k++) {
                    proof[k][k % 32] ^= 0x10;
                    assert_int_equal(merkle_verify_inclusion(i, size, lh[i], (const hash_t *)proof, n, root, &err),
                                     ENLACE_ECONFLICT);
                    proof[k][k % 32] ^= 0x10;
                }
            }
            memcpy(proof[n], root, 32);
            assert_int_not_equal(merkle_verify_inclusion(i, size, lh[i], (const hash_t *)proof, n + 1, root, &err), 0);
            if (size * 2 <= N_MAX)
                assert_int_not_equal(merkle_verify_inclusion(i, size * 2, lh[i], (const hash_t *)proof, n, root, &err), 0);
        }
    }
    mem_free(&t);
}

static void test_all_consistency_1_to_64(void **state) {
    (void)state;
    hash_t lh[N_MAX], proof[MERKLE_MAX_PROOF], naive[MERKLE_MAX_PROOF], r1, r2;
    mem_tree t;
    random_tree(lh, &t);
    enlace_err err;
    for (uint64_t m = 1; m <= N_MAX; m++) {
        naive_mth((const hash_t *)lh, m, r1);
        for (uint64_t n2 = m; n2 <= N_MAX; n2++) {
            naive_mth((const hash_t *)lh, n2, r2);
            size_t n = 0, nn = 0;
            assert_int_equal(merkle_consistency_proof(mem_node, &t, m, n2, proof, MERKLE_MAX_PROOF, &n, &err), 0);
            naive_subproof(m, (const hash_t *)lh, n2, 1, naive, &nn);
            assert_int_equal(n, nn);
            assert_memory_equal(proof, naive, n * 32);
            assert_int_equal(merkle_verify_consistency(m, n2, r1, r2, (const hash_t *)proof, n, &err), 0);
            if (m == n2) continue;
            /* a fork: another old root, another new root, swapped roots */
            hash_t bad;
            memcpy(bad, r1, 32);
            bad[0] ^= 1;
            assert_int_equal(merkle_verify_consistency(m, n2, bad, r2, (const hash_t *)proof, n, &err), ENLACE_ECONFLICT);
            memcpy(bad, r2, 32);
            bad[31] ^= 0x80;
            assert_int_equal(merkle_verify_consistency(m, n2, r1, bad, (const hash_t *)proof, n, &err), ENLACE_ECONFLICT);
            assert_int_not_equal(merkle_verify_consistency(m, n2, r2, r1, (const hash_t *)proof, n, &err), 0);
            /* wrong sizes, truncated, extended, prefixed, bit flips */
            if (m > 1) assert_int_not_equal(merkle_verify_consistency(m - 1, n2, r1, r2, (const hash_t *)proof, n, &err), 0);
            if (m + 1 < n2) assert_int_not_equal(merkle_verify_consistency(m + 1, n2, r1, r2, (const hash_t *)proof, n, &err), 0);
            assert_int_not_equal(merkle_verify_consistency(m, n2 * 2, r1, r2, (const hash_t *)proof, n, &err), 0);
            assert_int_not_equal(merkle_verify_consistency(m, n2, r1, r2, (const hash_t *)proof, n - 1, &err), 0);
            memcpy(proof[n], r2, 32);
            assert_int_not_equal(merkle_verify_consistency(m, n2, r1, r2, (const hash_t *)proof, n + 1, &err), 0);
            hash_t pre[MERKLE_MAX_PROOF + 1];
            memcpy(pre[0], r1, 32);
            memcpy(pre + 1, proof, n * 32);
            assert_int_not_equal(merkle_verify_consistency(m, n2, r1, r2, (const hash_t *)pre, n + 1, &err), 0);
            for (size_t k = 0; k < n; k++) {
                proof[k][(k * 7) % 32] ^= 0x08;
                assert_int_not_equal(merkle_verify_consistency(m, n2, r1, r2, (const hash_t *)proof, n, &err), 0);
                proof[k][(k * 7) % 32] ^= 0x08;
            }
        }
    }
    mem_free(&t);
}

/* Roots and proofs read only complete subtrees, O(log n) of them, even for a big tree: a source
 * that makes up a hash for each (level, index) stands for 2^40 leaves (its hashes do not combine,
 * so only the number of reads and the proof lengths are checked). */
static int synth_node(void *ctx, unsigned level, uint64_t index, unsigned char out[MERKLE_HASH_LEN], enlace_err *err) {
    (void)err;
    int *lookups = ctx;
    (*lookups)++;
    uint64_t v[2] = {level, index};
    crypto_hash_sha256(out, (const unsigned char *)v, sizeof v);
    return 0;
}

static void test_big_tree_log_lookups(void **state) {
    (void)state;
    int lookups = 0;
    hash_t root, proof[MERKLE_MAX_PROOF];
    size_t n = 0;
    enlace_err err;
    uint64_t size = ((uint64_t)1 << 40) + 12345;  /* 41 levels, 7 complete pieces on the right edge */
    assert_int_equal(merkle_root(synth_node, &lookups, size, root, &err), 0);
    assert_int_equal(lookups, __builtin_popcountll(size));
    lookups = 0;
    assert_int_equal(merkle_inclusion_proof(synth_node, &lookups, 777777, size, proof, MERKLE_MAX_PROOF, &n, &err), 0);
    assert_int_equal(n, 41);  /* one sibling per level below the root */
    assert_true(lookups <= 41 + 41);
    lookups = 0;
    assert_int_equal(merkle_consistency_proof(synth_node, &lookups, size, size + 999999, proof, MERKLE_MAX_PROOF, &n,
                                              &err), 0);
    assert_true(n <= 42);
    assert_true(lookups <= 2 * 42);
}

int main(void) {
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hasher_vectors),
        cmocka_unit_test(test_ct_roots),
        cmocka_unit_test(test_ct_inclusion_proofs),
        cmocka_unit_test(test_ct_consistency_proofs),
        cmocka_unit_test(test_verify_edge_cases),
        cmocka_unit_test(test_all_inclusion_1_to_64),
        cmocka_unit_test(test_all_consistency_1_to_64),
        cmocka_unit_test(test_big_tree_log_lookups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
