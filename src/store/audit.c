/* audit.c - the audit log's tables on a node store connection: O(log n) appends of leaves and
 * complete-subtree hashes, roots, RFC 9162 proofs, leaf ranges and signed tree heads
 * (schema_audit.c describes the tables). */
#include "store/audit_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "util/buf.h"

/* audit_node's key of subtree (level, index): its last leaf * 64 + level (schema_audit.c). */
static sqlite3_int64 node_pos(unsigned level, uint64_t index) {
    return (sqlite3_int64)(((((index + 1) << level) - 1) << 6) | level);
}

static int get_node(store *s, unsigned level, uint64_t index, unsigned char out[MERKLE_HASH_LEN],
                    enlace_err *err) {
    sqlite3_stmt *st = store_cached_stmt(s, "SELECT hash FROM audit_node WHERE pos = ?1", err);
    if (!st) return err ? err->code : ENLACE_EIO;
    if (level > 62 || index >= ((uint64_t)1 << (56 - (level < 56 ? level : 56))))
        return enlace_err_set(err, ENLACE_ENOTFOUND, "audit: no subtree (%u, %llu)", level, (unsigned long long)index);
    sqlite3_bind_int64(st, 1, node_pos(level, index));
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

/* Rows per multi-row INSERT: a batch is written in chunks of a power of two rows at most this
 * many (one statement per chunk instead of one per row; the few SQL texts stay in the
 * connection's statement cache). */
#define LEAF_CHUNK 32
#define NODE_CHUNK 64

/* The cached INSERT of k rows (k a power of two <= chunk) into table(cols), nvals columns each. */
static sqlite3_stmt *multi_insert(store *s, const char *head, unsigned nvals, size_t k, enlace_err *err) {
    char sql[64 + 128 + NODE_CHUNK * 16];
    size_t len = (size_t)snprintf(sql, sizeof sql, "%s VALUES ", head);
    for (size_t r = 0; r < k; r++) {
        sql[len++] = r ? ',' : ' ';
        sql[len++] = '(';
        for (unsigned c = 0; c < nvals; c++) {
            if (c) sql[len++] = ',';
            sql[len++] = '?';
        }
        sql[len++] = ')';
    }
    sql[len] = '\0';
    return store_cached_stmt(s, sql, err);
}

static size_t chunk_of(size_t left, size_t max) {
    size_t k = max;
    while (k > left) k >>= 1;
    return k;
}

static int put_leaves(store *s, uint64_t first, const store_audit_in *in, size_t n, enlace_err *err) {
    for (size_t i = 0; i < n; i++)
        if (in[i].len > 0x7fffffff) return enlace_err_set(err, ENLACE_ETOOBIG, "audit: entry too large");
    for (size_t done = 0; done < n;) {
        size_t k = chunk_of(n - done, LEAF_CHUNK);
        sqlite3_stmt *st = multi_insert(s, "INSERT INTO audit_leaf(idx, time_us, about, principal, data)", 5, k, err);
        if (!st) return err ? err->code : ENLACE_EIO;
        for (size_t r = 0; r < k; r++) {
            const store_audit_in *e = &in[done + r];
            int b = (int)r * 5;
            sqlite3_bind_int64(st, b + 1, (sqlite3_int64)(first + done + r));
            sqlite3_bind_int64(st, b + 2, e->time_us);
            sqlite3_bind_text(st, b + 3, e->about ? e->about : "", -1, SQLITE_STATIC);
            sqlite3_bind_text(st, b + 4, e->principal ? e->principal : "", -1, SQLITE_STATIC);
            sqlite3_bind_blob(st, b + 5, e->len ? e->data : "", (int)e->len, SQLITE_STATIC);
        }
        int rc = sqlite3_step(st);
        int code = rc == SQLITE_DONE ? 0 : store_sqlite_fail(s, err, "audit leaf write");
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        if (code) return code;
        done += k;
    }
    return 0;
}

typedef struct node_row {
    sqlite3_int64 pos;
    unsigned char h[MERKLE_HASH_LEN];
} node_row;

static int put_nodes(store *s, const node_row *rows, size_t n, enlace_err *err) {
    for (size_t done = 0; done < n;) {
        size_t k = chunk_of(n - done, NODE_CHUNK);
        sqlite3_stmt *st = multi_insert(s, "INSERT INTO audit_node(pos, hash)", 2, k, err);
        if (!st) return err ? err->code : ENLACE_EIO;
        for (size_t r = 0; r < k; r++) {
            sqlite3_bind_int64(st, (int)r * 2 + 1, rows[done + r].pos);
            sqlite3_bind_blob(st, (int)r * 2 + 2, rows[done + r].h, MERKLE_HASH_LEN, SQLITE_STATIC);
        }
        int rc = sqlite3_step(st);
        int code = rc == SQLITE_DONE ? 0 : store_sqlite_fail(s, err, "audit node write");
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        if (code) return code;
        done += k;
    }
    return 0;
}

/* Load the tree's right edge of size leaves (one complete subtree per set bit of size) into
 * edge, unless edge already holds it: same size and the same last (smallest) subtree hash, one
 * lookup instead of popcount(size). */
static int load_edge(store *s, uint64_t size, store_audit_edge *edge, enlace_err *err) {
    if (edge->valid && edge->size == size) {
        if (size == 0) return 0;
        unsigned low = (unsigned)__builtin_ctzll(size);
        unsigned char h[MERKLE_HASH_LEN];
        int code = get_node(s, low, (size - 1) >> low, h, err);
        if (code && code != ENLACE_ENOTFOUND) return code;
        if (code == 0 && memcmp(h, edge->h[low], MERKLE_HASH_LEN) == 0) return 0;
    }
    edge->valid = 0;
    uint64_t start = 0;
    for (int b = 63; b >= 0; b--) {
        if (!(size >> b & 1)) continue;
        int code = get_node(s, (unsigned)b, start >> b, edge->h[b], err);
        if (code) return code;
        start += (uint64_t)1 << b;
    }
    edge->size = size;
    edge->valid = 1;
    return 0;
}

/* Append leaves inside the open transaction. The tree's right edge (the complete subtrees that
 * make up [0, size), largest first: one per set bit of size) is in memory (edge): each new leaf
 * hash merges with it while the new subtree completes (the node is a right child), and every
 * subtree made is stored. The leaves go in with one INSERT per chunk, then the subtree hashes
 * (keys ascending: the b-tree's right edge) the same way. edge describes the new tree when this
 * returns 0 (the caller drops it if its transaction does not commit). */
static int append_in_tx(store *s, const store_audit_in *in, size_t n, store_audit_edge *edge, uint64_t *first_idx,
                        enlace_err *err) {
    uint64_t size = 0;
    int code = store_audit_size(s, &size, err);
    if (code) return code;
    if ((code = load_edge(s, size, edge, err)) != 0) return code;
    edge->valid = 0;  /* until the rows are in */
    node_row small[64], *rows = 2 * n + 64 <= 64 ? small : malloc((2 * n + 64) * sizeof *rows);
    if (!rows) return enlace_err_set(err, ENLACE_ENOMEM, "audit: out of memory");
    size_t nr = 0;
    for (size_t k = 0; k < n; k++) {
        uint64_t idx = size + k;
        unsigned char h[MERKLE_HASH_LEN];
        if (in[k].hash)
            memcpy(h, in[k].hash, MERKLE_HASH_LEN);
        else
            merkle_hash_leaf(in[k].data, in[k].len, h);
        rows[nr].pos = node_pos(0, idx);
        memcpy(rows[nr++].h, h, MERKLE_HASH_LEN);
        unsigned level = 0;
        for (uint64_t i = idx; i & 1; i >>= 1) {
            /* the left sibling is the edge's subtree one level below; together they make the
             * parent */
            merkle_hash_children(edge->h[level], h, h);
            level++;
            rows[nr].pos = node_pos(level, i >> 1);
            memcpy(rows[nr++].h, h, MERKLE_HASH_LEN);
        }
        memcpy(edge->h[level], h, MERKLE_HASH_LEN);
    }
    code = put_leaves(s, size, in, n, err);
    if (code == 0) code = put_nodes(s, rows, nr, err);
    if (rows != small) free(rows);
    if (code) return code;
    edge->size = size + n;
    edge->valid = 1;
    if (first_idx) *first_idx = size;
    return 0;
}

int store_audit_append_edge(store *s, const store_audit_in *in, size_t n, store_audit_edge *edge,
                            uint64_t *first_idx, enlace_err *err) {
    if (!sqlite3_get_autocommit(store_sqlite(s))) return append_in_tx(s, in, n, edge, first_idx, err);
    int code = store_tx_begin(s, err);
    if (code) return code;
    code = append_in_tx(s, in, n, edge, first_idx, err);
    if (code == 0) code = store_tx_commit(s, err);
    if (code) {
        store_tx_rollback(s);
        edge->valid = 0;
    }
    return code;
}

int store_audit_append_batch(store *s, const store_audit_in *in, size_t n, uint64_t *first_idx, enlace_err *err) {
    store_audit_edge edge;
    edge.valid = 0;
    return store_audit_append_edge(s, in, n, &edge, first_idx, err);
}

int store_audit_append(store *s, int64_t time_us, const char *about, const char *principal,
                       const void *data, size_t len, uint64_t *idx, enlace_err *err) {
    store_audit_in in = {time_us, about, principal, data, len, NULL};
    return store_audit_append_batch(s, &in, 1, idx, err);
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
                    " JOIN audit_node n ON n.pos = l.idx * 64 WHERE l.idx >= ?1 AND l.idx < ?2");
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
    char key[STORE_ID_MAX];
    if (store_id_lower(id, key, sizeof key) != 0) return 0;  /* too long to be stored: unknown */
    sqlite3_stmt *st = store_cached_stmt(
        s, "SELECT party FROM origin WHERE id = ?1 UNION ALL SELECT party FROM tombstone WHERE id = ?1 LIMIT 1", err);
    if (!st) return err ? err->code : ENLACE_EIO;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
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
