/* merkle.h - RFC 9162 §2.1 Merkle tree hashing, inclusion and consistency proofs (generation and
 * verification), SHA-256 through libsodium. Pure: the tree's stored hashes are reached through a
 * callback, so the store (audit_node table), tests (arrays) and benchmarks share one algorithm.
 *
 * Terms (RFC 9162 §2.1.1): MTH(D[a:b]) is the hash of the tree over leaves a..b-1; the tree of n
 * > 1 leaves splits at k, the largest power of two smaller than n. An "aligned subtree" (level
 * l, index i) covers leaves [i*2^l, (i+1)*2^l): every node of a complete RFC 9162 tree is one,
 * and every proof element is either one or an incomplete right edge made of them, so a store
 * that keeps the hash of every COMPLETE aligned subtree answers any root or proof in O(log n)
 * lookups. */
#ifndef ENLACE_UTIL_MERKLE_H
#define ENLACE_UTIL_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define MERKLE_HASH_LEN 32
/* Upper bound on the number of hashes in any proof of a tree of at most 2^63 leaves (an
 * inclusion proof has at most 63, a consistency proof at most 64). */
#define MERKLE_MAX_PROOF 128

/* Hash of a complete aligned subtree: level (0 = the leaf hash of leaf index), index (its
 * position among subtrees of that level). Writes 32 bytes to out and returns 0, or an
 * enlace_code (err filled) when the hash cannot be read; that code is passed on unchanged. */
typedef int (*merkle_node_fn)(void *ctx, unsigned level, uint64_t index,
                              unsigned char out[MERKLE_HASH_LEN], enlace_err *err);

/* Leaf hash SHA-256(0x00 || data) (RFC 9162 §2.1.1). data may be NULL when len is 0. Can't fail. */
void merkle_hash_leaf(const void *data, size_t len, unsigned char out[MERKLE_HASH_LEN]);

/* Interior node hash SHA-256(0x01 || left || right) (RFC 9162 §2.1.1). out may alias left or
 * right. Can't fail. */
void merkle_hash_children(const unsigned char left[MERKLE_HASH_LEN],
                          const unsigned char right[MERKLE_HASH_LEN],
                          unsigned char out[MERKLE_HASH_LEN]);

/* MTH({}) = SHA-256 of the empty string, the root of an empty tree. Can't fail. */
void merkle_hash_empty(unsigned char out[MERKLE_HASH_LEN]);

/* Largest power of two strictly smaller than n (n >= 2): RFC 9162's split point k. */
uint64_t merkle_split(uint64_t n);

/* MTH(D[start:end]) for start < end, built from complete aligned subtrees read through fn: one
 * lookup per set bit of (end - start) when start is aligned (always so for roots and proofs).
 * Returns 0, ENLACE_EINVAL when start >= end, or fn's code. */
int merkle_range_hash(merkle_node_fn fn, void *ctx, uint64_t start, uint64_t end,
                      unsigned char out[MERKLE_HASH_LEN], enlace_err *err);

/* Root hash of the tree of the first size leaves (size 0: merkle_hash_empty). Returns 0 or fn's
 * code. */
int merkle_root(merkle_node_fn fn, void *ctx, uint64_t size, unsigned char out[MERKLE_HASH_LEN],
                enlace_err *err);

/* Inclusion proof PATH(index, D[0:size]) (RFC 9162 §2.1.3.1): the sibling subtree hashes from
 * the leaf up, written to proof (cap entries); *n gets their number (0 for a tree of one leaf).
 * Returns 0, ENLACE_EINVAL when index >= size or cap is too small, or fn's code. */
int merkle_inclusion_proof(merkle_node_fn fn, void *ctx, uint64_t index, uint64_t size,
                           unsigned char (*proof)[MERKLE_HASH_LEN], size_t cap, size_t *n,
                           enlace_err *err);

/* Consistency proof PROOF(first, D[0:second]) (RFC 9162 §2.1.4.1) written to proof (cap
 * entries), *n gets their number (0 when first == second). Requires 0 < first <= second:
 * ENLACE_EINVAL otherwise (a proof from the empty tree is meaningless, RFC 9162 §2.1.4), or
 * when cap is too small; else 0 or fn's code. */
int merkle_consistency_proof(merkle_node_fn fn, void *ctx, uint64_t first, uint64_t second,
                             unsigned char (*proof)[MERKLE_HASH_LEN], size_t cap, size_t *n,
                             enlace_err *err);

/* Verify an inclusion proof (RFC 9162 §2.1.3.2): leaf_hash (a merkle_hash_leaf result) is leaf
 * index of the tree of size leaves whose root is root. Returns 0 when it is; ENLACE_EINVAL when
 * index >= size or the proof has the wrong length; ENLACE_ECONFLICT when the recomputed root
 * differs from root (err says which). */
int merkle_verify_inclusion(uint64_t index, uint64_t size, const unsigned char leaf_hash[MERKLE_HASH_LEN],
                            const unsigned char (*proof)[MERKLE_HASH_LEN], size_t n,
                            const unsigned char root[MERKLE_HASH_LEN], enlace_err *err);

/* Verify a consistency proof (RFC 9162 §2.1.4.2): the tree of first leaves with root
 * first_root is a prefix of the tree of second leaves with root second_root. first == second
 * needs an empty proof and equal roots; first == 0 needs an empty proof (the empty tree is a
 * prefix of every tree). Returns 0 when consistent; ENLACE_EINVAL when first > second or the
 * proof has the wrong shape (empty, too long, too short); ENLACE_ECONFLICT when a recomputed
 * root differs (err says which): a fork, or a rewritten log. */
int merkle_verify_consistency(uint64_t first, uint64_t second,
                              const unsigned char first_root[MERKLE_HASH_LEN],
                              const unsigned char second_root[MERKLE_HASH_LEN],
                              const unsigned char (*proof)[MERKLE_HASH_LEN], size_t n,
                              enlace_err *err);

#endif
