/* verify.c - a partner's checks of a node's signed tree heads, proofs and leaves (verify.h). */
#include "audit/verify.h"

#include <json-c/json.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void audit_range_append(audit_range *r, const unsigned char leaf_hash[MERKLE_HASH_LEN]) {
    unsigned char h[MERKLE_HASH_LEN];
    memcpy(h, leaf_hash, MERKLE_HASH_LEN);
    /* the new leaf completes one subtree per trailing 1 bit of the old size */
    for (uint64_t i = r->size; (i & 1) && r->n > 0; i >>= 1) merkle_hash_children(r->h[--r->n], h, h);
    memcpy(r->h[r->n++], h, MERKLE_HASH_LEN);
    r->size++;
}

void audit_range_root(const audit_range *r, unsigned char out[MERKLE_HASH_LEN]) {
    if (r->n == 0) {
        merkle_hash_empty(out);
        return;
    }
    memcpy(out, r->h[r->n - 1], MERKLE_HASH_LEN);
    for (size_t i = r->n - 1; i-- > 0;) merkle_hash_children(r->h[i], out, out);
}

void audit_state_free(audit_state *st) {
    if (!st) return;
    free(st->note);
    memset(st, 0, sizeof *st);
}

int audit_state_set(audit_state *st, const char *note, size_t len, const audit_checkpoint *cp,
                    const audit_range *range, enlace_err *err) {
    char *copy = malloc(len + 1);
    if (!copy) return enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
    memcpy(copy, note, len);
    copy[len] = '\0';
    free(st->note);
    st->note = copy;
    st->cp = *cp;
    st->have = 1;
    st->have_range = range != NULL;
    if (range) st->range = *range;
    else memset(&st->range, 0, sizeof st->range);
    return 0;
}

int audit_state_parse(const char *text, size_t len, const unsigned char pk[32], audit_state *st,
                      enlace_err *err) {
    memset(st, 0, sizeof *st);
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r')) i++;
    if (i == len) return 0;  /* no head kept yet */
    json_tokener *tok = json_tokener_new();
    if (!tok) return enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
    json_object *root = json_tokener_parse_ex(tok, text, (int)len);
    json_tokener_free(tok);
    json_object *note = NULL, *range = NULL;
    if (!root || !json_object_is_type(root, json_type_object) ||
        !json_object_object_get_ex(root, "checkpoint", &note) || !json_object_is_type(note, json_type_string)) {
        json_object_put(root);
        return enlace_err_set(err, ENLACE_EINVAL, "state file is not an enlace audit state (JSON with a checkpoint)");
    }
    audit_checkpoint cp;
    const char *n = json_object_get_string(note);
    size_t nlen = (size_t)json_object_get_string_len(note);
    int rc = audit_checkpoint_verify(n, nlen, pk, &cp, err);
    if (rc == ENLACE_EAUTH) {
        rc = enlace_err_set(err, ENLACE_EAUTH, "bad signature: the head kept in the state file is not signed by the pinned key");
    }
    audit_range r;
    memset(&r, 0, sizeof r);
    int with_range = rc == 0 && json_object_object_get_ex(root, "range", &range);
    if (with_range) {
        if (!json_object_is_type(range, json_type_array) ||
            json_object_array_length(range) != (size_t)__builtin_popcountll(cp.size)) {
            rc = enlace_err_set(err, ENLACE_EINVAL, "state file's range does not fit its tree size");
        } else {
            for (size_t k = 0; k < json_object_array_length(range) && rc == 0; k++) {
                json_object *h = json_object_array_get_idx(range, k);
                size_t bin = 0;
                const char *b64 = json_object_is_type(h, json_type_string) ? json_object_get_string(h) : "";
                if (sodium_base642bin(r.h[k], MERKLE_HASH_LEN, b64, strlen(b64), NULL, &bin, NULL,
                                      sodium_base64_VARIANT_ORIGINAL) != 0 || bin != MERKLE_HASH_LEN)
                    rc = enlace_err_set(err, ENLACE_EINVAL, "state file's range holds a bad hash");
            }
            r.n = json_object_array_length(range);
            r.size = cp.size;
            /* the kept range must rebuild the kept (signed) root */
            unsigned char got[MERKLE_HASH_LEN];
            if (rc == 0) {
                audit_range_root(&r, got);
                if (sodium_memcmp(got, cp.root, MERKLE_HASH_LEN) != 0)
                    rc = enlace_err_set(err, ENLACE_EINVAL, "state file's range does not rebuild its signed root");
            }
        }
    }
    if (rc == 0) rc = audit_state_set(st, n, nlen, &cp, with_range ? &r : NULL, err);
    json_object_put(root);
    if (rc) audit_state_free(st);
    return rc;
}

int audit_state_format(const audit_state *st, enlace_buf *out) {
    if (!st->have) return 0;
    enlace_buf_puts(out, "{\"checkpoint\":");
    enlace_buf_json_str(out, st->note);
    if (st->have_range) {
        enlace_buf_puts(out, ",\"range\":[");
        for (size_t i = 0; i < st->range.n; i++) {
            char b64[sodium_base64_ENCODED_LEN(MERKLE_HASH_LEN, sodium_base64_VARIANT_ORIGINAL)];
            sodium_bin2base64(b64, sizeof b64, st->range.h[i], MERKLE_HASH_LEN, sodium_base64_VARIANT_ORIGINAL);
            enlace_buf_printf(out, "%s\"%s\"", i ? "," : "", b64);
        }
        enlace_buf_puts(out, "]");
    }
    enlace_buf_puts(out, "}\n");
    return out->oom ? ENLACE_ENOMEM : 0;
}

int audit_verify_head(const audit_state *st, const char *note, size_t len, const unsigned char pk[32],
                      audit_checkpoint *cp, int *need_proof, enlace_err *err) {
    *need_proof = 0;
    enlace_err e2;
    int rc = audit_checkpoint_verify(note, len, pk, cp, &e2);
    if (rc == ENLACE_EAUTH) return enlace_err_set(err, rc, "%s", e2.msg);
    if (rc) return enlace_err_set(err, rc, "bad checkpoint: %s", e2.msg);
    if (!st || !st->have) return 0;
    if (strcmp(cp->origin, st->cp.origin) != 0)
        return enlace_err_set(err, ENLACE_ECONFLICT, "origin changed: the node now signs '%s', the kept head is of '%s'",
                              cp->origin, st->cp.origin);
    if (cp->size < st->cp.size)
        return enlace_err_set(err, ENLACE_ECONFLICT,
                              "rollback: tree size %llu < last seen %llu (the node serves an older or truncated log)",
                              (unsigned long long)cp->size, (unsigned long long)st->cp.size);
    if (cp->size == st->cp.size) {
        if (sodium_memcmp(cp->root, st->cp.root, MERKLE_HASH_LEN) != 0)
            return enlace_err_set(err, ENLACE_ECONFLICT,
                                  "fork: two different signed roots for tree size %llu (the log was rewritten)",
                                  (unsigned long long)cp->size);
        return 0;
    }
    *need_proof = st->cp.size > 0;
    return 0;
}

int audit_verify_consistency(const audit_state *st, const audit_checkpoint *cp,
                             const unsigned char (*proof)[MERKLE_HASH_LEN], size_t n, enlace_err *err) {
    enlace_err e2;
    if (merkle_verify_consistency(st->cp.size, cp->size, st->cp.root, cp->root, proof, n, &e2) != 0)
        return enlace_err_set(err, ENLACE_ECONFLICT,
                              "fork: the tree head of size %llu is not consistent with the one kept (size %llu): %s",
                              (unsigned long long)cp->size, (unsigned long long)st->cp.size, e2.msg);
    return 0;
}

int audit_verify_leaf(audit_range *r, uint64_t index, const void *data, size_t len,
                      const unsigned char leaf_hash[MERKLE_HASH_LEN], enlace_err *err) {
    if (index != r->size)
        return enlace_err_set(err, ENLACE_ECONFLICT, "leaf %llu: expected leaf %llu next (the node skipped or repeated one)",
                              (unsigned long long)index, (unsigned long long)r->size);
    if (data) {
        unsigned char h[MERKLE_HASH_LEN];
        merkle_hash_leaf(data, len, h);
        if (sodium_memcmp(h, leaf_hash, MERKLE_HASH_LEN) != 0)
            return enlace_err_set(err, ENLACE_ECONFLICT,
                                  "leaf %llu: its entry does not match its leaf hash (the entry was edited)",
                                  (unsigned long long)index);
    }
    audit_range_append(r, leaf_hash);
    return 0;
}

int audit_verify_range_root(const audit_range *r, const audit_checkpoint *cp, enlace_err *err) {
    unsigned char got[MERKLE_HASH_LEN];
    if (r->size != cp->size)
        return enlace_err_set(err, ENLACE_ECONFLICT, "leaf entries: the node served %llu leaves for a tree of %llu",
                              (unsigned long long)r->size, (unsigned long long)cp->size);
    audit_range_root(r, got);
    if (sodium_memcmp(got, cp->root, MERKLE_HASH_LEN) != 0)
        return enlace_err_set(err, ENLACE_ECONFLICT,
                              "leaf entries: the leaves served do not rebuild the signed root of size %llu "
                              "(entries were edited, swapped or dropped)",
                              (unsigned long long)cp->size);
    return 0;
}

static int leaf_into_range(void *cbctx, uint64_t index, const void *data, size_t len,
                           const unsigned char leaf_hash[MERKLE_HASH_LEN], enlace_err *err) {
    return audit_verify_leaf(cbctx, index, data, len, leaf_hash, err);
}

int audit_verify_run(audit_state *st, const audit_source *src, const unsigned char pk[32], int check_entries,
                     audit_verify_result *res, enlace_err *err) {
    memset(res, 0, sizeof *res);
    res->old_size = st->have ? st->cp.size : 0;
    res->first_use = !st->have;
    char *note = NULL;
    size_t len = 0;
    int rc = src->checkpoint(src->ctx, &note, &len, err);
    if (rc) return rc;
    audit_checkpoint cp;
    int need_proof = 0;
    rc = audit_verify_head(st, note, len, pk, &cp, &need_proof, err);
    if (rc == 0 && need_proof) {
        unsigned char (*proof)[MERKLE_HASH_LEN] = malloc(MERKLE_MAX_PROOF * MERKLE_HASH_LEN);
        size_t n = 0;
        if (!proof) rc = enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
        else rc = src->consistency(src->ctx, st->cp.size, cp.size, proof, &n, err);
        if (rc == 0) rc = audit_verify_consistency(st, &cp, (const unsigned char (*)[MERKLE_HASH_LEN])proof, n, err);
        free(proof);
    }
    audit_range *range = NULL;
    if (rc == 0 && check_entries) {
        range = malloc(sizeof *range);
        if (!range) rc = enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
        else if (st->have && st->have_range) *range = st->range;
        else memset(range, 0, sizeof *range);
        if (rc == 0 && range->size < cp.size) {
            uint64_t from = range->size;
            rc = src->leaves(src->ctx, from, cp.size, leaf_into_range, range, err);
            res->leaves_checked = range->size - from;
        }
        if (rc == 0) rc = audit_verify_range_root(range, &cp, err);
    }
    res->new_size = cp.size;
    if (rc == 0) {
        /* without check_entries a range kept earlier still describes the kept size only: keep
         * it only if the size did not move */
        const audit_range *keep = range ? range : (st->have_range && st->cp.size == cp.size ? &st->range : NULL);
        audit_range copy;
        if (keep) copy = *keep;
        rc = audit_state_set(st, note, len, &cp, keep ? &copy : NULL, err);
    }
    free(range);
    free(note);
    return rc;
}
