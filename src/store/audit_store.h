/* audit_store.h - the audit log's storage on a node store connection (issue 4): append leaves in
 * O(log n), read subtree hashes, roots and RFC 9162 proofs, leaf ranges, signed tree heads.
 * What a leaf says (its canonical encoding) and who may see it are the audit module's business
 * (src/audit/); this layer only keeps bytes and hashes. Same contract as store.h: one connection,
 * not thread-safe; every function returns an enlace_code and fills err. */
#ifndef ENLACE_STORE_AUDIT_STORE_H
#define ENLACE_STORE_AUDIT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/merkle.h"

/* Append one leaf: data (len bytes, the canonical entry) made at time_us, about the originator
 * party `about`, by `principal` (both NUL-terminated copies of what data says). Runs inside the
 * caller's open write transaction when there is one (store_tx_begin, or a store call's status
 * callback), so the leaf commits or rolls back with the write it records; else in its own
 * transaction. The leaf index is the current size (read under the write lock); *idx gets it
 * (may be NULL). Adds the leaf hash and the hash of every subtree the leaf completes. */
int store_audit_append(store *s, int64_t time_us, const char *about, const char *principal,
                       const void *data, size_t len, uint64_t *idx, enlace_err *err);

/* One leaf to append (store_audit_append's arguments). */
typedef struct store_audit_in {
    int64_t time_us;
    const char *about;
    const char *principal;
    const void *data;
    size_t len;
    const unsigned char *hash;  /* merkle_hash_leaf(data, len) when the caller has it (the log's
                                 * request threads do, off the writer's serial path), else NULL */
} store_audit_in;

/* Append n leaves in order, as store_audit_append does one (same transaction rules), reading the
 * tree's right edge once (popcount(size) lookups) instead of per leaf: the group commit's path.
 * *first_idx gets the first leaf's index (may be NULL). */
int store_audit_append_batch(store *s, const store_audit_in *in, size_t n, uint64_t *first_idx, enlace_err *err);

/* The tree's right edge as a writer keeps it between batches: the hash of the complete subtree
 * for each set bit b of size in h[b] (valid set). Checked against the store at each append (the
 * size, and the smallest subtree's stored hash: other connections append too), reloaded when it
 * does not match. */
typedef struct store_audit_edge {
    uint64_t size;
    int valid;
    unsigned char h[64][MERKLE_HASH_LEN];
} store_audit_edge;

/* store_audit_append_batch with the right edge kept by the caller in *edge (zero it, or set
 * valid to 0, before the first call): it describes the new tree when this returns 0. A caller
 * whose enclosing transaction then fails must set edge->valid = 0. */
int store_audit_append_edge(store *s, const store_audit_in *in, size_t n, store_audit_edge *edge,
                            uint64_t *first_idx, enlace_err *err);

/* The number of leaves (the current tree size). */
int store_audit_size(store *s, uint64_t *size, enlace_err *err);

/* merkle_node_fn over a store (ctx is the store *): the hash of the complete aligned subtree
 * (level, index). ENLACE_ENOTFOUND when that subtree is not complete (not stored). */
int store_audit_node(void *ctx, unsigned level, uint64_t index, unsigned char out[MERKLE_HASH_LEN],
                     enlace_err *err);

/* Root hash of the first size leaves (RFC 9162 §2.1.1); ENLACE_EINVAL when size is above the
 * current size. */
int store_audit_root(store *s, uint64_t size, unsigned char out[MERKLE_HASH_LEN], enlace_err *err);

/* Inclusion proof of leaf index in the tree of size leaves (RFC 9162 §2.1.3.1), into proof
 * (MERKLE_MAX_PROOF entries), *n hashes. ENLACE_EINVAL when index >= size or size is above the
 * current size. */
int store_audit_inclusion(store *s, uint64_t index, uint64_t size,
                          unsigned char (*proof)[MERKLE_HASH_LEN], size_t *n, enlace_err *err);

/* Consistency proof between sizes first and second (RFC 9162 §2.1.4.1), into proof
 * (MERKLE_MAX_PROOF entries), *n hashes. ENLACE_EINVAL unless 0 < first <= second <= current
 * size. */
int store_audit_consistency(store *s, uint64_t first, uint64_t second,
                            unsigned char (*proof)[MERKLE_HASH_LEN], size_t *n, enlace_err *err);

/* One stored leaf as read back; pointers are valid only during the callback. */
typedef struct store_audit_leaf {
    uint64_t idx;
    int64_t time_us;
    const char *about;          /* originator party the entry is about */
    const char *principal;      /* who acted */
    const unsigned char *data;  /* the canonical entry bytes (not NUL-terminated) */
    size_t len;
    unsigned char hash[MERKLE_HASH_LEN];  /* the stored leaf hash (audit_node level 0) */
} store_audit_leaf;

/* Called per leaf in index order; return non-zero to stop (the call then returns that value). */
typedef int (*store_audit_leaf_fn)(void *ctx, const store_audit_leaf *leaf);

/* Filters for store_audit_leaves; NULL / 0 fields match everything. */
typedef struct store_audit_filter {
    const char *about;          /* leaves about this party */
    const char *principal;      /* leaves by this principal */
    const char *contains;       /* leaves whose data contains this text (e.g. an object id) */
    int64_t since_us, until_us; /* time_us in [since_us, until_us); 0 = unbounded */
} store_audit_filter;

/* Deliver leaves with start <= idx < end (end clipped to the current size) that match f (may be
 * NULL) to fn, in index order. Returns 0, fn's non-zero value, or a store error. */
int store_audit_leaves(store *s, uint64_t start, uint64_t end, const store_audit_filter *f,
                       store_audit_leaf_fn fn, void *ctx, enlace_err *err);

/* Record a signed tree head: the checkpoint text (note) of tree size size with root root, made
 * at time_us. Idempotent for the same size and root; ENLACE_ECONFLICT when a different root is
 * already recorded for that size (the log would have forked). */
int store_audit_checkpoint_put(store *s, uint64_t size, const unsigned char root[MERKLE_HASH_LEN],
                               const char *note, int64_t time_us, enlace_err *err);

/* The latest signed tree head (largest size): *note malloc'd (caller frees), *size, *time_us
 * (each may be NULL). ENLACE_ENOTFOUND when none was issued yet. */
int store_audit_checkpoint_latest(store *s, uint64_t *size, char **note, int64_t *time_us,
                                  enlace_err *err);

/* A write transaction for a store call and the audit leaf that records it, so both commit or
 * neither does (issue 4 must-have 1): store calls made inside join it (store/internal.h). For
 * layers above the store (taxii DELETE, CLI admin changes). */
int store_audit_begin(store *s, enlace_err *err);
int store_audit_commit(store *s, enlace_err *err);
void store_audit_rollback(store *s);

/* The originator party of object id (any case: ids are keyed in lower case) (the node-wide
 * origin fixed by its first version; for a purged id its tombstone's) into party (3 bytes); ""
 * when the id is unknown. For audit leaves
 * of writes, which are grouped by originator party. */
int store_audit_originator(store *s, const char *id, char party[3], enlace_err *err);

#endif
