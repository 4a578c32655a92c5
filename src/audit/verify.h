/* verify.h - what a partner checks about a node's audit log (issue 4 must-have 5): a new signed
 * tree head against the pinned node key and the head kept from last time (signature, origin,
 * rollback, fork, RFC 9162 §2.1.4.2 consistency), and optionally the leaves themselves, folded
 * into a compact range (the hashes of the complete subtrees that make up [0, size)) kept beside
 * the head so each run only reads the new leaves. Pure: fetching is the CLI's job. Every failure
 * message starts with the reason ("bad signature", "rollback", "fork", "origin changed",
 * "leaf I") so the CLI prints it as its one line. */
#ifndef ENLACE_AUDIT_VERIFY_H
#define ENLACE_AUDIT_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "audit/checkpoint.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/merkle.h"

/* The hashes of the complete aligned subtrees that make up leaves [0, size), largest first
 * (one per set bit of size). */
typedef struct audit_range {
    uint64_t size;
    size_t n;
    unsigned char h[64][MERKLE_HASH_LEN];
} audit_range;

/* Add the leaf hash of leaf r->size. Can't fail. */
void audit_range_append(audit_range *r, const unsigned char leaf_hash[MERKLE_HASH_LEN]);
/* The root hash of the r->size leaves (RFC 9162 §2.1.1; empty: merkle_hash_empty). */
void audit_range_root(const audit_range *r, unsigned char out[MERKLE_HASH_LEN]);

/* What verify keeps between runs (the --state FILE). */
typedef struct audit_state {
    int have;                         /* a head is kept */
    char *note;                       /* the kept checkpoint note (malloc'd) */
    audit_checkpoint cp;              /* its contents */
    int have_range;                   /* range holds the leaves [0, cp.size), checked */
    audit_range range;
} audit_state;

/* Read a state file's text (JSON {"checkpoint": note, "range": [base64...]}; "" = no state yet)
 * and re-verify the kept note with pk (a state file is only trusted as far as its signature).
 * ENLACE_EINVAL when malformed, ENLACE_EAUTH when the kept head is not signed by pk. Free with
 * audit_state_free. */
int audit_state_parse(const char *text, size_t len, const unsigned char pk[32], audit_state *st,
                      enlace_err *err);
/* Write st as state file text to out. */
int audit_state_format(const audit_state *st, enlace_buf *out);
void audit_state_free(audit_state *st);

/* Check a freshly fetched checkpoint note against pk and the kept state: the signature
 * (ENLACE_EAUTH "bad signature: ..."), then, when a head is kept: the same origin
 * (ENLACE_ECONFLICT "origin changed: ..."), no smaller size (ENLACE_ECONFLICT "rollback: tree
 * size N < last seen M"), and at the same size the same root (ENLACE_ECONFLICT "fork: ...").
 * Fills *cp. *need_proof = 1 when a consistency proof from the kept size is needed (kept size
 * > 0 and smaller than the new one). */
int audit_verify_head(const audit_state *st, const char *note, size_t len, const unsigned char pk[32],
                      audit_checkpoint *cp, int *need_proof, enlace_err *err);

/* Check the consistency proof from the kept head to cp (RFC 9162 §2.1.4.2). ENLACE_ECONFLICT
 * "fork: the tree head of size N is not consistent with the one kept (size M): ..." when it does
 * not verify. */
int audit_verify_consistency(const audit_state *st, const audit_checkpoint *cp,
                             const unsigned char (*proof)[MERKLE_HASH_LEN], size_t n, enlace_err *err);

/* Check one leaf served by the node while extending a range: data (may be NULL when the entry
 * is not shown to us in full) must hash to leaf_hash ("leaf I: its entry does not match its leaf
 * hash"), and the leaf must be the range's next (index == r->size). Then appends it. */
int audit_verify_leaf(audit_range *r, uint64_t index, const void *data, size_t len,
                      const unsigned char leaf_hash[MERKLE_HASH_LEN], enlace_err *err);

/* After the leaves up to cp->size were added: their root must be cp's ("leaf entries: ..."). */
int audit_verify_range_root(const audit_range *r, const audit_checkpoint *cp, enlace_err *err);

/* Make st hold note (copied) and cp, with range (may be NULL: no range kept). */
int audit_state_set(audit_state *st, const char *note, size_t len, const audit_checkpoint *cp,
                    const audit_range *range, enlace_err *err);

/* Where verify reads a node's log from: the CLI fills it with HTTP calls to /enlace/v1/audit/,
 * tests with a store. Each function returns 0 or an enlace_code with err set. */
typedef int (*audit_leaf_cb)(void *cbctx, uint64_t index, const void *data, size_t len,
                             const unsigned char leaf_hash[MERKLE_HASH_LEN], enlace_err *err);
typedef struct audit_source {
    void *ctx;
    /* the latest signed tree head; *note malloc'd (caller frees) */
    int (*checkpoint)(void *ctx, char **note, size_t *len, enlace_err *err);
    /* a consistency proof between two sizes into proof (MERKLE_MAX_PROOF entries) */
    int (*consistency)(void *ctx, uint64_t first, uint64_t second, unsigned char (*proof)[MERKLE_HASH_LEN],
                       size_t *n, enlace_err *err);
    /* leaves [start, end) in order, each to cb: data NULL when the entry is not shown in full */
    int (*leaves)(void *ctx, uint64_t start, uint64_t end, audit_leaf_cb cb, void *cbctx, enlace_err *err);
} audit_source;

/* What a verify run found. */
typedef struct audit_verify_result {
    uint64_t old_size, new_size;   /* kept size (0 when none) and the new head's size */
    int first_use;                 /* no head was kept: the new one is trusted on first use */
    uint64_t leaves_checked;       /* with check_entries: leaves read this run */
} audit_verify_result;

/* One verify run: fetch the latest head, audit_verify_head against st, the consistency proof
 * from the kept size when needed, and with check_entries the leaves from the kept range's size
 * (0 when no range is kept) to the new size, rebuilding the signed root. On success st holds the
 * new head (and range, with check_entries) for the caller to save. Errors as above: the message
 * is the one-line reason. */
int audit_verify_run(audit_state *st, const audit_source *src, const unsigned char pk[32], int check_entries,
                     audit_verify_result *res, enlace_err *err);

#endif
