/* audit.c - the audit log's tables on a node store connection: O(log n) appends of leaves and
 * complete-subtree hashes, roots, RFC 9162 proofs, leaf ranges and signed tree heads
 * (schema_audit.c describes the tables). */
#include "store/audit_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "util/buf.h"

static int get_node(store *s, unsigned level, uint64_t index, unsigned char out[MERKLE_HASH_LEN],
                    enlace_err *err) {
    sqlite3_stmt *st = store_cached_stmt(s, "SELECT hash FROM audit_node WHERE level = ?1 AND idx = ?2", err);
    if (!st) return err ? err->code : ENLACE_EIO;
    sqlite3_bind_int(st, 1, (int)level);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)index);
    int rc = sqlite3_step(st), code = 0;
    if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == MERKLE_HASH_LEN)
        memcpy(out, sqlite3_column_blob(st, 0), MERKLE_HASH_LEN);
    else if (rc == SQLITE_ROW)
        code = enlace_err_set(err, ENLACE_EIO, "audit: subtree (%u, %llu) hash is not 32 bytes", level,
                              (unsigned long long)index);
    else if (rc == SQLITE_DONE)
        code = enlace_err_set(err, ENLACE_ENOTFOUND, "audit: subtree (%u, %llu) is not complete", level,
                              (unsigned long long)index);
    else
        code = store_sqlite_fail(s, err, "audit node read");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return code;
}

int store_audit_node(void *ctx, unsigned level, uint64_t index, unsigned char out[MERKLE_HASH_LEN],
                     enlace_err *err) {
    return get_node(ctx, level, index, out, err);
}

static int put_node(store *s, unsigned level, uint64_t index, const unsigned char h[MERKLE_HASH_LEN],
                    enlace_err *err) {
    sqlite3_stmt *st = store_cached_stmt(s, "INSERT INTO audit_node(level, idx, hash) VALUES (?1, ?2, ?3)", err);
    if (!st) return err ? err->code : ENLACE_EIO;
    sqlite3_bind_int(st, 1, (int)level);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)index);
    sqlite3_bind_blob(st, 3, h, MERKLE_HASH_LEN, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int code = rc == SQLITE_DONE ? 0 : store_sqlite_fail(s, err, "audit node write");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return code;
}

int store_audit_size(store *s, uint64_t *size, enlace_err *err) {
    /* max(rowid) is one b-tree descent, not a count */
    sqlite3_stmt *st = store_cached_stmt(s, "SELECT max(idx) FROM audit_leaf", err);
    if (!st) return err ? err->code : ENLACE_EIO;
    int rc = sqlite3_step(st), code = 0;
    if (rc == SQLITE_ROW)
        *size = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : (uint64_t)sqlite3_column_int64(st, 0) + 1;
    else
        code = store_sqlite_fail(s, err, "audit size");
    sqlite3_reset(st);
    return code;
}

static int append_in_tx(store *s, int64_t time_us, const char *about, const char *principal,
                        const void *data, size_t len, uint64_t *idx_out, enlace_err *err) {
    uint64_t idx = 0;
    int code = store_audit_size(s, &idx, err);
    if (code) return code;
    sqlite3_stmt *st = store_cached_stmt(
        s, "INSERT INTO audit_leaf(idx, time_us, about, principal, data) VALUES (?1, ?2, ?3, ?4, ?5)", err);
    if (!st) return err ? err->code : ENLACE_EIO;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)idx);
    sqlite3_bind_int64(st, 2, time_us);
    sqlite3_bind_text(st, 3, about, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, principal, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, len ? data : "", (int)len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    code = rc == SQLITE_DONE ? 0 : store_sqlite_fail(s, err, "audit leaf write");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (code) return code;
    /* The leaf hash, then each subtree this leaf completes: while the node is a right child its
     * left sibling is complete and stored, and the two make their parent (one row per level). */
    unsigned char h[MERKLE_HASH_LEN], left[MERKLE_HASH_LEN];
    merkle_hash_leaf(data, len, h);
    if ((code = put_node(s, 0, idx, h, err)) != 0) return code;
    unsigned level = 0;
    for (uint64_t i = idx; i & 1; i >>= 1) {
        if ((code = get_node(s, level, i - 1, left, err)) != 0) return code;
        merkle_hash_children(left, h, h);
        level++;
        if ((code = put_node(s, level, i >> 1, h, err)) != 0) return code;
    }
    if (idx_out) *idx_out = idx;
    return 0;
}

int store_audit_append(store *s, int64_t time_us, const char *about, const char *principal,
                       const void *data, size_t len, uint64_t *idx, enlace_err *err) {
    if (len > 0x7fffffff) return enlace_err_set(err, ENLACE_ETOOBIG, "audit: entry too large");
    if (!sqlite3_get_autocommit(store_sqlite(s)))
        return append_in_tx(s, time_us, about, principal, data, len, idx, err);
    int code = store_tx_begin(s, err);
    if (code) return code;
    code = append_in_tx(s, time_us, about, principal, data, len, idx, err);
    if (code == 0) code = store_tx_commit(s, err);
    if (code) store_tx_rollback(s);
    return code;
}

static int check_size(store *s, uint64_t size, enlace_err *err) {
    uint64_t cur = 0;
    int code = store_audit_size(s, &cur, err);
    if (code) return code;
    if (size > cur)
        return enlace_err_set(err, ENLACE_EINVAL, "tree size %llu is larger than the log (%llu entries)",
                              (unsigned long long)size, (unsigned long long)cur);
    return 0;
}

int store_audit_root(store *s, uint64_t size, unsigned char out[MERKLE_HASH_LEN], enlace_err *err) {
    int code = check_size(s, size, err);
    return code ? code : merkle_root(store_audit_node, s, size, out, err);
}

int store_audit_inclusion(store *s, uint64_t index, uint64_t size,
                          unsigned char (*proof)[MERKLE_HASH_LEN], size_t *n, enlace_err *err) {
    *n = 0;
    int code = check_size(s, size, err);
    return code ? code : merkle_inclusion_proof(store_audit_node, s, index, size, proof, MERKLE_MAX_PROOF, n, err);
}

int store_audit_consistency(store *s, uint64_t first, uint64_t second,
                            unsigned char (*proof)[MERKLE_HASH_LEN], size_t *n, enlace_err *err) {
    *n = 0;
    int code = check_size(s, second, err);
    return code ? code
                : merkle_consistency_proof(store_audit_node, s, first, second, proof, MERKLE_MAX_PROOF, n, err);
}

int store_audit_leaves(store *s, uint64_t start, uint64_t end, const store_audit_filter *f,
                       store_audit_leaf_fn fn, void *ctx, enlace_err *err) {
    enlace_buf sql = ENLACE_BUF_INIT;
    enlace_buf_puts(&sql,
                    "SELECT l.idx, l.time_us, l.about, l.principal, l.data, n.hash FROM audit_leaf l"
                    " JOIN audit_node n ON n.level = 0 AND n.idx = l.idx WHERE l.idx >= ?1 AND l.idx < ?2");
    if (f && f->about) enlace_buf_puts(&sql, " AND l.about = ?3");
    if (f && f->principal) enlace_buf_puts(&sql, " AND l.principal = ?4");
    if (f && f->contains) enlace_buf_puts(&sql, " AND instr(l.data, CAST(?5 AS BLOB)) > 0");
    if (f && f->since_us) enlace_buf_puts(&sql, " AND l.time_us >= ?6");
    if (f && f->until_us) enlace_buf_puts(&sql, " AND l.time_us < ?7");
    enlace_buf_puts(&sql, " ORDER BY l.idx");
    if (sql.oom) {
        enlace_buf_free(&sql);
        return enlace_err_set(err, ENLACE_ENOMEM, "audit: out of memory");
    }
    /* Prepared here, not taken from the connection's cache: the callback may run other store
     * calls, whose cache use must not recycle a statement still being stepped. */
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(store_sqlite(s), sql.p, -1, &st, NULL) != SQLITE_OK) {
        enlace_buf_free(&sql);
        return store_sqlite_fail(s, err, "audit leaves query");
    }
    enlace_buf_free(&sql);
    if (end > (uint64_t)INT64_MAX) end = (uint64_t)INT64_MAX;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)start);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)end);
    if (f && f->about) sqlite3_bind_text(st, 3, f->about, -1, SQLITE_STATIC);
    if (f && f->principal) sqlite3_bind_text(st, 4, f->principal, -1, SQLITE_STATIC);
    if (f && f->contains) sqlite3_bind_text(st, 5, f->contains, -1, SQLITE_STATIC);
    if (f && f->since_us) sqlite3_bind_int64(st, 6, f->since_us);
    if (f && f->until_us) sqlite3_bind_int64(st, 7, f->until_us);
    int rc, code = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_audit_leaf leaf;
        leaf.idx = (uint64_t)sqlite3_column_int64(st, 0);
        leaf.time_us = sqlite3_column_int64(st, 1);
        const unsigned char *a = sqlite3_column_text(st, 2), *p = sqlite3_column_text(st, 3);
        leaf.about = a ? (const char *)a : "";
        leaf.principal = p ? (const char *)p : "";
        leaf.data = sqlite3_column_blob(st, 4);
        leaf.len = (size_t)sqlite3_column_bytes(st, 4);
        if (!leaf.data) leaf.data = (const unsigned char *)"";
        if (sqlite3_column_bytes(st, 5) != MERKLE_HASH_LEN) {
            code = enlace_err_set(err, ENLACE_EIO, "audit: leaf %llu hash is not 32 bytes",
                                  (unsigned long long)leaf.idx);
            break;
        }
        memcpy(leaf.hash, sqlite3_column_blob(st, 5), MERKLE_HASH_LEN);
        if ((code = fn(ctx, &leaf)) != 0) break;
    }
    if (!code && rc != SQLITE_DONE) code = store_sqlite_fail(s, err, "audit leaves read");
    sqlite3_finalize(st);
    return code;
}

int store_audit_checkpoint_put(store *s, uint64_t size, const unsigned char root[MERKLE_HASH_LEN],
                               const char *note, int64_t time_us, enlace_err *err) {
    sqlite3_stmt *st = store_cached_stmt(
        s, "INSERT OR IGNORE INTO audit_checkpoint(size, root, note, time_us) VALUES (?1, ?2, ?3, ?4)", err);
    if (!st) return err ? err->code : ENLACE_EIO;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
    sqlite3_bind_blob(st, 2, root, MERKLE_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, note, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, time_us);
    int rc = sqlite3_step(st);
    int code = rc == SQLITE_DONE ? 0 : store_sqlite_fail(s, err, "audit checkpoint write");
    int inserted = sqlite3_changes(store_sqlite(s)) > 0;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (code || inserted) return code;
    /* a head for this size exists: it must be the same tree */
    st = store_cached_stmt(s, "SELECT root FROM audit_checkpoint WHERE size = ?1", err);
    if (!st) return err ? err->code : ENLACE_EIO;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) != MERKLE_HASH_LEN || memcmp(sqlite3_column_blob(st, 0), root, MERKLE_HASH_LEN))
            code = enlace_err_set(err, ENLACE_ECONFLICT,
                                  "audit: a different root is already signed for tree size %llu",
                                  (unsigned long long)size);
    } else {
        code = store_sqlite_fail(s, err, "audit checkpoint read");
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return code;
}

int store_audit_checkpoint_latest(store *s, uint64_t *size, char **note, int64_t *time_us,
                                  enlace_err *err) {
    if (note) *note = NULL;
    sqlite3_stmt *st = store_cached_stmt(
        s, "SELECT size, note, time_us FROM audit_checkpoint ORDER BY size DESC LIMIT 1", err);
    if (!st) return err ? err->code : ENLACE_EIO;
    int rc = sqlite3_step(st), code = 0;
    if (rc == SQLITE_ROW) {
        if (size) *size = (uint64_t)sqlite3_column_int64(st, 0);
        if (time_us) *time_us = sqlite3_column_int64(st, 2);
        if (note) {
            const unsigned char *t = sqlite3_column_text(st, 1);
            *note = strdup(t ? (const char *)t : "");
            if (!*note) code = enlace_err_set(err, ENLACE_ENOMEM, "audit: out of memory");
        }
    } else if (rc == SQLITE_DONE) {
        code = enlace_err_set(err, ENLACE_ENOTFOUND, "audit: no signed tree head yet");
    } else {
        code = store_sqlite_fail(s, err, "audit checkpoint read");
    }
    sqlite3_reset(st);
    return code;
}

int store_audit_originator(store *s, const char *id, char party[3], enlace_err *err) {
    party[0] = '\0';
    sqlite3_stmt *st = store_cached_stmt(
        s, "SELECT party FROM origin WHERE id = ?1 UNION ALL SELECT party FROM tombstone WHERE id = ?1 LIMIT 1", err);
    if (!st) return err ? err->code : ENLACE_EIO;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), code = 0;
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(party, 3, "%s", t ? (const char *)t : "");
    } else if (rc != SQLITE_DONE) {
        code = store_sqlite_fail(s, err, "audit originator");
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return code;
}

int store_audit_begin(store *s, enlace_err *err) { return store_tx_begin(s, err); }
int store_audit_commit(store *s, enlace_err *err) {
    int rc = store_tx_commit(s, err);
    if (rc) store_tx_rollback(s);
    return rc;
}
void store_audit_rollback(store *s) { store_tx_rollback(s); }
