/* merkle.c - RFC 9162 §2.1 Merkle tree hashes and proofs over complete aligned subtrees. */
#include "util/merkle.h"

#include <sodium.h>
#include <string.h>

void merkle_hash_leaf(const void *data, size_t len, unsigned char out[MERKLE_HASH_LEN]) {
    static const unsigned char prefix = 0x00;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, &prefix, 1);
    if (len) crypto_hash_sha256_update(&st, data, len);
    crypto_hash_sha256_final(&st, out);
}

void merkle_hash_children(const unsigned char left[MERKLE_HASH_LEN],
                          const unsigned char right[MERKLE_HASH_LEN],
                          unsigned char out[MERKLE_HASH_LEN]) {
    unsigned char buf[1 + 2 * MERKLE_HASH_LEN];
    buf[0] = 0x01;
    memcpy(buf + 1, left, MERKLE_HASH_LEN);
    memcpy(buf + 1 + MERKLE_HASH_LEN, right, MERKLE_HASH_LEN);
    crypto_hash_sha256(out, buf, sizeof buf);
}

void merkle_hash_empty(unsigned char out[MERKLE_HASH_LEN]) { crypto_hash_sha256(out, NULL, 0); }

uint64_t merkle_split(uint64_t n) {
    /* highest set bit of n - 1: the largest power of two < n */
    return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

static int is_pow2(uint64_t n) { return n && (n & (n - 1)) == 0; }

int merkle_range_hash(merkle_node_fn fn, void *ctx, uint64_t start, uint64_t end,
                      unsigned char out[MERKLE_HASH_LEN], enlace_err *err) {
    if (start >= end) return enlace_err_set(err, ENLACE_EINVAL, "merkle: empty range [%llu, %llu)",
                                            (unsigned long long)start, (unsigned long long)end);
    uint64_t n = end - start;
    if (is_pow2(n) && start % n == 0) {
        unsigned level = (unsigned)__builtin_ctzll(n);
        return fn(ctx, level, start >> level, out, err);
    }
    /* RFC 9162 §2.1.1: MTH(D[n]) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n])). For an aligned start
     * the left part is one complete subtree and the recursion walks down the right edge only. */
    uint64_t k = is_pow2(n) ? n / 2 : merkle_split(n);
    unsigned char left[MERKLE_HASH_LEN];
    int rc = merkle_range_hash(fn, ctx, start, start + k, left, err);
    if (rc == 0) rc = merkle_range_hash(fn, ctx, start + k, end, out, err);
    if (rc == 0) merkle_hash_children(left, out, out);
    return rc;
}

int merkle_root(merkle_node_fn fn, void *ctx, uint64_t size, unsigned char out[MERKLE_HASH_LEN],
                enlace_err *err) {
    if (size == 0) {
        merkle_hash_empty(out);
        return 0;
    }
    return merkle_range_hash(fn, ctx, 0, size, out, err);
}

/* Copy the n hashes of tmp to proof in reverse order, after `base` entries already there. */
static void reverse_into(unsigned char (*proof)[MERKLE_HASH_LEN], size_t base,
                         unsigned char (*tmp)[MERKLE_HASH_LEN], size_t n) {
    for (size_t i = 0; i < n; i++) memcpy(proof[base + i], tmp[n - 1 - i], MERKLE_HASH_LEN);
}

int merkle_inclusion_proof(merkle_node_fn fn, void *ctx, uint64_t index, uint64_t size,
                           unsigned char (*proof)[MERKLE_HASH_LEN], size_t cap, size_t *n,
                           enlace_err *err) {
    *n = 0;
    if (index >= size)
        return enlace_err_set(err, ENLACE_EINVAL, "leaf index %llu is not below tree size %llu",
                              (unsigned long long)index, (unsigned long long)size);
    /* PATH(m, D[n]) recurses into the half holding m and appends the other half's MTH; walking
     * top-down finds those hashes root-first, so they are reversed at the end (leaf-first). */
    unsigned char tmp[64][MERKLE_HASH_LEN];
    size_t t = 0;
    uint64_t lo = 0, hi = size, m = index;
    while (hi - lo > 1) {
        uint64_t k = merkle_split(hi - lo);
        int rc;
        if (m < k) {
            rc = merkle_range_hash(fn, ctx, lo + k, hi, tmp[t], err);
            hi = lo + k;
        } else {
            rc = merkle_range_hash(fn, ctx, lo, lo + k, tmp[t], err);
            lo += k;
            m -= k;
        }
        if (rc != 0) return rc;
        t++;
    }
    if (t > cap) return enlace_err_set(err, ENLACE_EINVAL, "merkle: proof buffer too small");
    reverse_into(proof, 0, tmp, t);
    *n = t;
    return 0;
}

int merkle_consistency_proof(merkle_node_fn fn, void *ctx, uint64_t first, uint64_t second,
                             unsigned char (*proof)[MERKLE_HASH_LEN], size_t cap, size_t *n,
                             enlace_err *err) {
    *n = 0;
    if (first == 0 || first > second)
        return enlace_err_set(err, ENLACE_EINVAL,
                              "a consistency proof needs 0 < first <= second (got %llu, %llu)",
                              (unsigned long long)first, (unsigned long long)second);
    /* SUBPROOF(m, D[n], b) (RFC 9162 §2.1.4.1) walked top-down: each step keeps the part that
     * holds the old tree's edge and notes the other part's MTH; the base case adds MTH(D[m])
     * unless the old tree is a whole left subtree (b still true: the verifier knows its root). */
    unsigned char tmp[64][MERKLE_HASH_LEN];
    size_t t = 0;
    uint64_t lo = 0, hi = second, m = first;
    int whole = 1;
    int rc;
    while (m != hi - lo) {
        uint64_t k = merkle_split(hi - lo);
        if (m <= k) {
            rc = merkle_range_hash(fn, ctx, lo + k, hi, tmp[t], err);
            hi = lo + k;
        } else {
            rc = merkle_range_hash(fn, ctx, lo, lo + k, tmp[t], err);
            lo += k;
            m -= k;
            whole = 0;
        }
        if (rc != 0) return rc;
        t++;
    }
    size_t base = whole ? 0 : 1;
    if (t + base > cap) return enlace_err_set(err, ENLACE_EINVAL, "merkle: proof buffer too small");
    if (!whole && (rc = merkle_range_hash(fn, ctx, lo, hi, proof[0], err)) != 0) return rc;
    reverse_into(proof, base, tmp, t);
    *n = t + base;
    return 0;
}

int merkle_verify_inclusion(uint64_t index, uint64_t size, const unsigned char leaf_hash[MERKLE_HASH_LEN],
                            const unsigned char (*proof)[MERKLE_HASH_LEN], size_t n,
                            const unsigned char root[MERKLE_HASH_LEN], enlace_err *err) {
    if (index >= size)
        return enlace_err_set(err, ENLACE_EINVAL, "leaf index %llu is not below tree size %llu",
                              (unsigned long long)index, (unsigned long long)size);
    /* RFC 9162 §2.1.3.2, step by step. */
    uint64_t fn = index, sn = size - 1;
    unsigned char r[MERKLE_HASH_LEN];
    memcpy(r, leaf_hash, MERKLE_HASH_LEN);
    for (size_t i = 0; i < n; i++) {
        if (sn == 0) return enlace_err_set(err, ENLACE_EINVAL, "inclusion proof is too long");
        if ((fn & 1) || fn == sn) {
            merkle_hash_children(proof[i], r, r);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            merkle_hash_children(r, proof[i], r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0) return enlace_err_set(err, ENLACE_EINVAL, "inclusion proof is too short");
    if (sodium_memcmp(r, root, MERKLE_HASH_LEN) != 0)
        return enlace_err_set(err, ENLACE_ECONFLICT,
                              "inclusion proof does not lead to the root: leaf %llu is not in the tree",
                              (unsigned long long)index);
    return 0;
}

int merkle_verify_consistency(uint64_t first, uint64_t second,
                              const unsigned char first_root[MERKLE_HASH_LEN],
                              const unsigned char second_root[MERKLE_HASH_LEN],
                              const unsigned char (*proof)[MERKLE_HASH_LEN], size_t n,
                              enlace_err *err) {
    if (first > second)
        return enlace_err_set(err, ENLACE_EINVAL, "tree size %llu is smaller than %llu",
                              (unsigned long long)second, (unsigned long long)first);
    if (first == second) {
        if (n != 0) return enlace_err_set(err, ENLACE_EINVAL, "consistency proof between equal sizes must be empty");
        if (sodium_memcmp(first_root, second_root, MERKLE_HASH_LEN) != 0)
            return enlace_err_set(err, ENLACE_ECONFLICT, "two different roots for tree size %llu",
                                  (unsigned long long)first);
        return 0;
    }
    if (first == 0) {
        if (n != 0) return enlace_err_set(err, ENLACE_EINVAL, "consistency proof from the empty tree must be empty");
        return 0;
    }
    /* RFC 9162 §2.1.4.2, step by step. */
    if (n == 0) return enlace_err_set(err, ENLACE_EINVAL, "consistency proof is empty");
    size_t i = 0;
    unsigned char fr[MERKLE_HASH_LEN], sr[MERKLE_HASH_LEN];
    if (is_pow2(first)) {
        /* the old tree is a complete left subtree: its root is the first element */
        memcpy(fr, first_root, MERKLE_HASH_LEN);
    } else {
        memcpy(fr, proof[0], MERKLE_HASH_LEN);
        i = 1;
    }
    memcpy(sr, fr, MERKLE_HASH_LEN);
    uint64_t fn = first - 1, sn = second - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    for (; i < n; i++) {
        if (sn == 0) return enlace_err_set(err, ENLACE_EINVAL, "consistency proof is too long");
        if ((fn & 1) || fn == sn) {
            merkle_hash_children(proof[i], fr, fr);
            merkle_hash_children(proof[i], sr, sr);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            merkle_hash_children(sr, proof[i], sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0) return enlace_err_set(err, ENLACE_EINVAL, "consistency proof is too short");
    if (sodium_memcmp(fr, first_root, MERKLE_HASH_LEN) != 0)
        return enlace_err_set(err, ENLACE_ECONFLICT,
                              "consistency proof does not rebuild the old root of size %llu",
                              (unsigned long long)first);
    if (sodium_memcmp(sr, second_root, MERKLE_HASH_LEN) != 0)
        return enlace_err_set(err, ENLACE_ECONFLICT,
                              "consistency proof does not rebuild the new root of size %llu",
                              (unsigned long long)second);
    return 0;
}
