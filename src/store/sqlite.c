/* sqlite.c - the store interface (store.h) on an embedded SQLite file: WAL, durable commits,
 * one transaction per envelope, version flags kept on write so listings are index range scans. */
#include "store/store.h"

#include <json-c/json.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stix/id.h"
#include "stix/time.h"
#include "store/internal.h"
#include "store/migrate.h"
#include "util/buf.h"

/* ---- statements ---------------------------------------------------------------------------- */

/* Fixed statements, prepared on first use and kept for the connection's life. */
enum {
    ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_BEGIN_READ,
    ST_META_SET, ST_META_GET,
    ST_COLL_INSERT, ST_COLL_FIND_ID, ST_COLL_FIND_ALIAS, ST_COLL_LIST_ALL, ST_COLL_LIST_USER,
    ST_GRANT_SET, ST_GRANT_DEL,
    ST_USER_ADD, ST_USER_GET, ST_USER_GET_ID, ST_USER_LIST, ST_USER_DISABLE, ST_USER_PW,
    ST_TOKEN_ADD, ST_TOKEN_FIND, ST_TOKEN_REVOKE, ST_TOKEN_LIST,
    ST_STATUS_PUT, ST_STATUS_GET, ST_STATUS_PURGE,
    ST_COLL_LAST, ST_COLL_SET_LAST,
    ST_OBJ_MATCH, ST_OBJ_MATCH_NV, ST_OBJ_EXTREMES, ST_OBJ_BY_ROWID, ST_OBJ_INSERT, ST_OBJ_FLAGS,
    ST_CLR_LAST_S, ST_CLR_FIRST_S, ST_CLR_LAST_A, ST_CLR_FIRST_A, ST_CLR_TOP, ST_OBJ_COUNT,
    ST_TOMB_GET, ST_ORIGIN_GET, ST_ORIGIN_PUT, ST_ORG_BY_IDENT, ST_MD_GET, ST_MD_PUT,
    ST_LATEST_MARKS, ST_COPY_LATEST, ST_UNRES_PUT, ST_UNRES_IDS, ST_UNRES_APPLY, ST_UNRES_DEL,
    ST__COUNT
};

#define COLL_COLS "c.rowid, c.id, c.title, c.description, ifnull(c.alias, '')"
#define USER_COLS "u.rowid, u.name, u.roles, ifnull(u.org, 0), ifnull(o.name, ''), " \
    "ifnull(o.party, ''), u.pw_hash, u.disabled, u.created_us FROM user u LEFT JOIN org o ON o.rowid = u.org"
#define TOKEN_COLS "t.rowid, t.token_id, t.user, u.name, t.created_us, t.revoked"

static const char *const FIXED_SQL[ST__COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_BEGIN_READ] = "BEGIN DEFERRED",
    [ST_META_SET] = "INSERT INTO meta(key, value) VALUES (?1, ?2) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    [ST_META_GET] = "SELECT value FROM meta WHERE key = ?1",
    [ST_COLL_INSERT] = "INSERT INTO collection(id, title, description, alias) VALUES (?1, ?2, ?3, ?4)",
    /* two probes of unique indexes, id first (an id wins over an alias equal to it); one
     * query with "id = ?1 OR alias = ?1" plans as a multi-index OR plus a temp b-tree */
    [ST_COLL_FIND_ID] = "SELECT " COLL_COLS ", ifnull(g.can_read, 0), ifnull(g.can_write, 0) "
                        "FROM collection c LEFT JOIN grants g ON g.coll = c.rowid AND g.user = ?2 "
                        "WHERE c.id = ?1",
    [ST_COLL_FIND_ALIAS] = "SELECT " COLL_COLS ", ifnull(g.can_read, 0), ifnull(g.can_write, 0) "
                           "FROM collection c LEFT JOIN grants g ON g.coll = c.rowid AND g.user = ?2 "
                           "WHERE c.alias = ?1",
    [ST_COLL_LIST_ALL] = "SELECT " COLL_COLS ", 0, 0 FROM collection c ORDER BY c.rowid",
    [ST_COLL_LIST_USER] = "SELECT " COLL_COLS ", g.can_read, g.can_write "
                          "FROM collection c JOIN grants g ON g.coll = c.rowid "
                          "WHERE g.user = ?1 AND (g.can_read OR g.can_write) ORDER BY c.rowid",
    [ST_GRANT_SET] = "INSERT INTO grants(user, coll, can_read, can_write) VALUES (?1, ?2, ?3, ?4) "
                     "ON CONFLICT(user, coll) DO UPDATE SET can_read = excluded.can_read, "
                     "can_write = excluded.can_write",
    [ST_GRANT_DEL] = "DELETE FROM grants WHERE user = ?1 AND coll = ?2",
    [ST_USER_ADD] = "INSERT INTO user(name, roles, org, pw_hash, created_us) VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_USER_GET] = "SELECT " USER_COLS " WHERE u.name = ?1",
    [ST_USER_GET_ID] = "SELECT " USER_COLS " WHERE u.rowid = ?1",
    [ST_USER_LIST] = "SELECT " USER_COLS " ORDER BY u.rowid",
    [ST_USER_DISABLE] = "UPDATE user SET disabled = ?2 WHERE name = ?1",
    [ST_USER_PW] = "UPDATE user SET pw_hash = ?2 WHERE name = ?1",
    [ST_TOKEN_ADD] = "INSERT INTO token(sha256, token_id, user, created_us) VALUES (?1, ?2, ?3, ?4)",
    [ST_TOKEN_FIND] = "SELECT " TOKEN_COLS " FROM token t JOIN user u ON u.rowid = t.user "
                      "WHERE t.sha256 = ?1 AND t.revoked = 0",
    [ST_TOKEN_REVOKE] = "UPDATE token SET revoked = 1 WHERE token_id = ?1",
    [ST_TOKEN_LIST] = "SELECT " TOKEN_COLS " FROM token t JOIN user u ON u.rowid = t.user "
                      "ORDER BY t.rowid",
    [ST_STATUS_PUT] = "INSERT OR REPLACE INTO status(id, user, json, created_us) VALUES (?1, ?2, ?3, ?4)",
    [ST_STATUS_GET] = "SELECT json FROM status WHERE id = ?1 AND user = ?2 AND created_us > ?3",
    [ST_STATUS_PURGE] = "DELETE FROM status WHERE created_us < ?1",
    [ST_COLL_LAST] = "SELECT last_added FROM collection WHERE rowid = ?1",
    [ST_COLL_SET_LAST] = "UPDATE collection SET last_added = ?2 WHERE rowid = ?1",
    /* the stored copy of a version, if any (object_key) */
    [ST_OBJ_MATCH] = "SELECT rowid FROM object WHERE coll = ?1 AND id = ?2 AND version_key = ?3 AND sco_nv = 0",
    [ST_OBJ_MATCH_NV] = "SELECT rowid FROM object WHERE coll = ?1 AND id = ?2 AND sco_nv = 1 LIMIT 1",
    /* an id's extremes before an insert: newest/oldest of one spec version (object_spec), newest/
     * oldest of all (object_key), highest spec version (object_spec); each an index probe */
    [ST_OBJ_EXTREMES] =
        "SELECT (SELECT max(version_key) FROM object WHERE coll = ?1 AND id = ?2 AND spec_version = ?3), "
        "(SELECT min(version_key) FROM object WHERE coll = ?1 AND id = ?2 AND spec_version = ?3), "
        "(SELECT max(version_key) FROM object WHERE coll = ?1 AND id = ?2), "
        "(SELECT min(version_key) FROM object WHERE coll = ?1 AND id = ?2), "
        "(SELECT max(spec_version) FROM object WHERE coll = ?1 AND id = ?2)",
    [ST_OBJ_BY_ROWID] = "SELECT body, version, date_added FROM object WHERE rowid = ?1",
    [ST_OBJ_INSERT] = "INSERT INTO object(coll, id, type, spec_version, version, version_key, sco_nv, "
                      "date_added, is_top_spec, is_last_s, is_first_s, is_last_a, is_first_a, body, "
                      "orig_org, orig_party, tlp, rel_to, rel_orgs, orcon, vetted_only, review_by, "
                      "l_tlp, l_rel_to, l_rel_orgs, l_orcon, l_vetted_only, l_review_by, tlp_base, unres) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                      "?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)",
    /* take a flag from the one row that held it before a new version displaced it */
    [ST_CLR_LAST_S] = "UPDATE object SET is_last_s = 0 WHERE coll = ?1 AND id = ?2 AND spec_version = ?3 AND version_key = ?4",
    [ST_CLR_FIRST_S] = "UPDATE object SET is_first_s = 0 WHERE coll = ?1 AND id = ?2 AND spec_version = ?3 AND version_key = ?4",
    [ST_CLR_LAST_A] = "UPDATE object SET is_last_a = 0 WHERE coll = ?1 AND id = ?2 AND ?3 IS NOT NULL AND version_key = ?4",
    [ST_CLR_FIRST_A] = "UPDATE object SET is_first_a = 0 WHERE coll = ?1 AND id = ?2 AND ?3 IS NOT NULL AND version_key = ?4",
    [ST_CLR_TOP] = "UPDATE object SET is_top_spec = 0 WHERE coll = ?1 AND id = ?2 AND spec_version < ?3",
    /* recompute the version flags of one id's rows (a handful) after an insert or delete; the
     * subqueries read only columns this UPDATE does not change */
    [ST_OBJ_FLAGS] =
        "UPDATE object SET "
        "is_top_spec = (spec_version = (SELECT max(o.spec_version) FROM object o "
        "   WHERE o.coll = ?1 AND o.id = ?2)), "
        "is_last_s = (version_key = (SELECT max(o.version_key) FROM object o "
        "   WHERE o.coll = ?1 AND o.id = ?2 AND o.spec_version = object.spec_version)), "
        "is_first_s = (version_key = (SELECT min(o.version_key) FROM object o "
        "   WHERE o.coll = ?1 AND o.id = ?2 AND o.spec_version = object.spec_version)), "
        "is_last_a = (version_key = (SELECT max(o.version_key) FROM object o "
        "   WHERE o.coll = ?1 AND o.id = ?2)), "
        "is_first_a = (version_key = (SELECT min(o.version_key) FROM object o "
        "   WHERE o.coll = ?1 AND o.id = ?2)) "
        "WHERE coll = ?1 AND id = ?2",
    [ST_OBJ_COUNT] = "SELECT count(*) FROM object WHERE coll = ?1",
    [ST_TOMB_GET] = "SELECT 1 FROM tombstone WHERE id = ?1",
    [ST_ORIGIN_GET] = "SELECT org, party FROM origin WHERE id = ?1",
    [ST_ORIGIN_PUT] = "INSERT INTO origin(id, org, party, created_us) VALUES (?1, ?2, ?3, ?4)",
    [ST_ORG_BY_IDENT] = "SELECT rowid, party FROM org WHERE identity_id = ?1",
    /* a marking-definition resolves only for objects of its own originator (F6) */
    [ST_MD_GET] = "SELECT tlp FROM marking_tlp WHERE id = ?1 AND org = ?2",
    /* every marking-definition (tlp -1: defines none); an id seen twice with different levels
     * keeps the most restrictive (only its originator adds versions) */
    [ST_MD_PUT] = "INSERT INTO marking_tlp(id, tlp, org) VALUES (?1, ?2, ?3) "
                  "ON CONFLICT(id) DO UPDATE SET tlp = max(tlp, excluded.tlp)",
    /* the markings of an id's latest version on the NODE: newest version instant in any
     * collection and any spec version, the copy stored last on a tie; one backward probe of
     * object_node (id, version_key) */
    [ST_LATEST_MARKS] = "SELECT tlp, rel_to, rel_orgs, orcon, vetted_only, review_by, version_key "
                        "FROM object INDEXED BY object_node WHERE id = ?1 "
                        "ORDER BY version_key DESC, rowid DESC LIMIT 1",
    /* copy them onto the id's versions, in every collection, that do not hold them yet */
    [ST_COPY_LATEST] = "UPDATE object INDEXED BY object_node SET l_tlp = ?2, l_rel_to = ?3, "
                       "l_rel_orgs = ?4, l_orcon = ?5, l_vetted_only = ?6, l_review_by = ?7 "
                       "WHERE id = ?1 AND NOT "
                       "(l_tlp IS ?2 AND l_rel_to IS ?3 AND l_rel_orgs IS ?4 AND l_orcon = ?5 AND "
                       "l_vetted_only = ?6 AND l_review_by = ?7)",
    /* a version's marking reference that did not resolve when it was stored: kept under the
     * version's originator, so that the originator's marking-definition, when it arrives,
     * finds exactly the versions it resolves (primary key range (org, ref)) */
    [ST_UNRES_PUT] = "INSERT OR IGNORE INTO unresolved_ref(org, ref, obj) VALUES (?1, ?2, ?3)",
    [ST_UNRES_IDS] = "SELECT o.id FROM unresolved_ref u JOIN object o ON o.rowid = u.obj "
                     "WHERE u.org = ?1 AND u.ref = ?2",
    /* ref of originator ?1 now resolves to level ?3 (-1: none): fold it into tlp_base, one
     * reference fewer is pending, and the AMBER floor stays only while another one is */
    [ST_UNRES_APPLY] = "UPDATE object SET "
                       "tlp_base = CASE WHEN ?3 > ifnull(tlp_base, -1) THEN ?3 ELSE tlp_base END, "
                       "tlp = CASE WHEN unres > 1 THEN max(ifnull(tlp_base, -1), ?3, 2) "
                       "  WHEN ?3 > ifnull(tlp_base, -1) THEN ?3 ELSE tlp_base END, "
                       "unres = unres - 1 "
                       "WHERE rowid IN (SELECT obj FROM unresolved_ref WHERE org = ?1 AND ref = ?2)",
    [ST_UNRES_DEL] = "DELETE FROM unresolved_ref WHERE org = ?1 AND ref = ?2",
};

/* Prepared query statements are cached by SQL text (so a row callback must not run a query of
 * the same shape on the same store: that would reset the statement under it); the shapes are few (which filters are
 * present and list lengths; org.c, review.c and audit add fixed texts), and the bound keeps memory
 * flat. */
#define QCACHE_N 48

/* WAL pages after which a commit checkpoints (SQLite's default auto-checkpoint), and after
 * which it also waits for readers so the WAL starts over (RESTART). */
#define WAL_CHECKPOINT_FRAMES 1000
#define WAL_RESTART_FRAMES 8192

/* What store_query_objects's SQL text depends on (memcmp-compared: zeroed before filling). */
typedef struct query_shape {
    unsigned version_flags;
    uint32_t n_ids, n_types, n_spec, n_version_keys;
    uint8_t object_id, both_specs, used;
} query_shape;
#define SHAPES_N 16

struct store {
    sqlite3 *db;
    sqlite3_stmt *fixed[ST__COUNT];
    /* hash: FNV-1a of sql, so a lookup compares texts (hundreds of bytes with long common
     * prefixes) only for the entry that matches */
    struct { char *sql; uint64_t hash; sqlite3_stmt *st; } qcache[QCACHE_N];
    unsigned qnext;   /* next cache slot to recycle (round robin) */
    /* store_query_objects's statements by query shape (which filters, list lengths): a repeated
     * shape (every GET, every page) neither builds nor looks up its SQL text. Owned here. */
    struct { query_shape key; sqlite3_stmt *st; } shapes[SHAPES_N];
    unsigned snext;
    unsigned tx_depth; /* open tx_begin calls: an inner one joins the outermost write
                        * transaction (a store call inside store_tx_begin, e.g. an admin change
                        * and its audit leaf committed together); 0 outside and in read txs */
};

static int db_fail(store *s, enlace_err *err, const char *what) {
    int rc = sqlite3_errcode(s->db);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        return enlace_err_set(err, ENLACE_EBUSY, "store: %s: the store is busy (locked by another writer)",
                              what);
    return enlace_err_set(err, ENLACE_EIO, "store: %s: %s", what, sqlite3_errmsg(s->db));
}

/* The fixed statement `which`, prepared on first use; NULL (err set) on failure. The caller
 * resets it after use (stmt_done) so it holds no read lock between calls. */
static sqlite3_stmt *stmt(store *s, int which, enlace_err *err) {
    if (!s->fixed[which] &&
        sqlite3_prepare_v3(s->db, FIXED_SQL[which], -1, SQLITE_PREPARE_PERSISTENT,
                           &s->fixed[which], NULL) != SQLITE_OK) {
        db_fail(s, err, "prepare");
        s->fixed[which] = NULL;
        return NULL;
    }
    return s->fixed[which];
}

static void stmt_done(sqlite3_stmt *st) {
    if (st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
}

/* A cached prepared statement for sql (a generated query); NULL (err set) on failure. */
static sqlite3_stmt *qstmt(store *s, const char *sql, enlace_err *err) {
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)sql; *p; p++) h = (h ^ *p) * 1099511628211ull;
    for (unsigned i = 0; i < QCACHE_N; i++)
        if (s->qcache[i].sql && s->qcache[i].hash == h && strcmp(s->qcache[i].sql, sql) == 0)
            return s->qcache[i].st;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        db_fail(s, err, "prepare query");
        return NULL;
    }
    char *copy = strdup(sql);
    if (!copy) {
        sqlite3_finalize(st);
        enlace_err_set(err, ENLACE_ENOMEM, "store: out of memory");
        return NULL;
    }
    /* recycle round robin, but never a statement that is running (a row callback may prepare
     * other statements while a query steps) */
    unsigned slot = s->qnext++ % QCACHE_N;
    for (unsigned tries = 0; tries < QCACHE_N && s->qcache[slot].st && sqlite3_stmt_busy(s->qcache[slot].st); tries++)
        slot = s->qnext++ % QCACHE_N;
    free(s->qcache[slot].sql);
    sqlite3_finalize(s->qcache[slot].st);
    s->qcache[slot].sql = copy;
    s->qcache[slot].hash = h;
    s->qcache[slot].st = st;
    return st;
}

static int tx_begin(store *s, enlace_err *err) {
    if (s->tx_depth > 0 && !sqlite3_get_autocommit(s->db)) {
        s->tx_depth++;
        return 0;
    }
    sqlite3_stmt *st = stmt(s, ST_BEGIN, err);
    if (!st) return ENLACE_EIO;
    int rc = sqlite3_step(st);
    stmt_done(st);
    if (rc == SQLITE_DONE) s->tx_depth = 1;
    return rc == SQLITE_DONE ? 0 : db_fail(s, err, "begin");
}

static int tx_commit(store *s, enlace_err *err) {
    if (s->tx_depth > 1) {  /* the outermost tx_begin's caller commits */
        s->tx_depth--;
        return 0;
    }
    s->tx_depth = 0;
    sqlite3_stmt *st = stmt(s, ST_COMMIT, err);
    if (!st) return ENLACE_EIO;
    int rc = sqlite3_step(st);
    stmt_done(st);
    return rc == SQLITE_DONE ? 0 : db_fail(s, err, "commit");
}

/* Roll back if a transaction is open; keeps err as the first failure set it. */
static void tx_rollback(store *s) {
    s->tx_depth = 0;  /* an inner failure ends the whole transaction: the outer commit then fails */
    if (sqlite3_get_autocommit(s->db)) return;
    sqlite3_stmt *st = stmt(s, ST_ROLLBACK, NULL);
    if (st) {
        sqlite3_step(st);
        stmt_done(st);
    } else {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    }
}

/* Copy a column's text into a fixed field, truncating. */
static void col_copy(char *dst, size_t n, sqlite3_stmt *st, int col) {
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, n, "%s", t ? (const char *)t : "");
}

/* enlace keys identifiers in lower case (RFC 4122 section 3: UUIDs are read in either case):
 * every id that reaches a key column or a lookup goes through this. 0, or -1 when id does not
 * fit out (n bytes). */
int store_id_lower(const char *id, char *out, size_t n) {
    size_t i = 0;
    if (!id || !n) return -1;
    for (; id[i]; i++) {
        if (i + 1 >= n) {
            out[0] = 0;
            return -1;
        }
        char c = id[i];
        out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    out[i] = 0;
    return 0;
}

/* Run a statement expected to finish with no rows (already bound); resets it. */
static int step_done(store *s, sqlite3_stmt *st, const char *what, enlace_err *err) {
    int rc = sqlite3_step(st);
    int code = 0;
    if (rc != SQLITE_DONE) code = db_fail(s, err, what);
    stmt_done(st);
    return code;
}

/* ---- life cycle ---------------------------------------------------------------------------- */

typedef void (*row_fill_fn)(sqlite3_stmt *st, void *elem);
static int collect_rows(store *s, sqlite3_stmt *st, size_t elem_size, row_fill_fn fill,
                        void **out, size_t *n, const char *what, enlace_err *err);

/* sqlite3_wal_hook, run after each commit with the write lock released. SQLite's own
 * auto-checkpoint is PASSIVE: under steady concurrent writers some connection always has a
 * snapshot in the WAL, the WAL is never restarted and grows without bound (measured: ~1 GB
 * after 200k objects), and with it the WAL-index (-shm) every connection maps, which is RSS
 * that grows with the amount ever written. A RESTART checkpoint once the WAL is long waits
 * (busy timeout) for those readers and lets the next writer start the WAL over. Failures are
 * not errors: the data is committed, and the next commit tries again. */
static int wal_hook(void *ctx, sqlite3 *db, const char *name, int frames) {
    (void)ctx;
    if (frames >= WAL_RESTART_FRAMES)
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
    else if (frames >= WAL_CHECKPOINT_FRAMES)
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

int store_open(const char *path, int create, store **out, enlace_err *err) {
    if (!path || !out) return enlace_err_set(err, ENLACE_EINVAL, "store: no path");
    *out = NULL;
    if (!create && access(path, F_OK) != 0)
        return enlace_err_set(err, ENLACE_ENOTFOUND, "store: %s does not exist", path);
    store *s = calloc(1, sizeof *s);
    if (!s) return enlace_err_set(err, ENLACE_ENOMEM, "store: out of memory");
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        int code = enlace_err_set(err, ENLACE_EIO, "store: cannot open %s: %s", path,
                                  s->db ? sqlite3_errmsg(s->db) : "out of memory");
        store_close(s);
        return code;
    }
    sqlite3_extended_result_codes(s->db, 0);
    /* Writers wait for each other rather than fail (BEGIN IMMEDIATE takes the write lock). */
    sqlite3_busy_timeout(s->db, 10000);
    /* WAL: readers never block the writer; synchronous=FULL: a commit is on disk when it
     * returns (DESIGN invariant 4). Memory must not grow with the store (bench/README.md, RSS):
     * a server holds several connections, and every one fills its page cache and any mmap
     * window once the file is larger than they are. So each connection's cache is capped at
     * 2 MiB (cache_size in KiB when negative) and there is no mmap window: the kernel's page
     * cache, shared by all connections and not part of our RSS, keeps the hot file pages.
     * 2 MiB, not less: it holds the b-tree interior pages of a 1M-object store, without which
     * every row of a listing re-reads them (paging 1M objects ran at 0.25 of raw SQLite with
     * 256 KiB, 0.38 with 2 MiB); the cost is a fixed ceiling of connections x 2 MiB. */
    static const char *const PRAGMAS =
        "PRAGMA journal_mode = WAL;"
        "PRAGMA synchronous = FULL;"
        "PRAGMA foreign_keys = ON;"
        "PRAGMA cache_size = -2048;"
        "PRAGMA temp_store = MEMORY;"
        "PRAGMA mmap_size = 0;";
    char *msg = NULL;
    if (sqlite3_exec(s->db, PRAGMAS, NULL, NULL, &msg) != SQLITE_OK) {
        int code = sqlite3_errcode(s->db) == SQLITE_NOTADB
                       ? enlace_err_set(err, ENLACE_EIO, "store: %s is not an SQLite store", path)
                       : enlace_err_set(err, ENLACE_EIO, "store: cannot set up %s: %s", path,
                                        msg ? msg : "?");
        sqlite3_free(msg);
        store_close(s);
        return code;
    }
    sqlite3_wal_hook(s->db, wal_hook, s);
    int code = store_migrate(s->db, err);
    if (code) {
        store_close(s);
        return code;
    }
    /* every object read passes through this function (issue 3 must-have 1) */
    if (store_register_visible(s->db) != SQLITE_OK) {
        code = enlace_err_set(err, ENLACE_EIO, "store: cannot register the policy predicate: %s",
                              sqlite3_errmsg(s->db));
        store_close(s);
        return code;
    }
    *out = s;
    return 0;
}

/* ---- internal.h: for the store's other files ------------------------------------------------ */

sqlite3 *store_sqlite(store *s) { return s->db; }
sqlite3_stmt *store_cached_stmt(store *s, const char *sql, enlace_err *err) { return qstmt(s, sql, err); }
int store_sqlite_fail(store *s, enlace_err *err, const char *what) { return db_fail(s, err, what); }
int store_tx_begin(store *s, enlace_err *err) { return tx_begin(s, err); }
int store_tx_commit(store *s, enlace_err *err) { return tx_commit(s, err); }
void store_tx_rollback(store *s) { tx_rollback(s); }
int store_step_done(store *s, sqlite3_stmt *st, const char *what, enlace_err *err) {
    return step_done(s, st, what, err);
}
void store_stmt_done(sqlite3_stmt *st) { stmt_done(st); }
void store_col_copy(char *dst, size_t n, sqlite3_stmt *st, int col) { col_copy(dst, n, st, col); }
int store_collect_rows(store *s, sqlite3_stmt *st, size_t elem_size, store_row_fill_fn fill,
                       void **out, size_t *n, const char *what, enlace_err *err) {
    return collect_rows(s, st, elem_size, fill, out, n, what, err);
}

void store_close(store *s) {
    if (!s) return;
    for (int i = 0; i < ST__COUNT; i++) sqlite3_finalize(s->fixed[i]);
    for (unsigned i = 0; i < QCACHE_N; i++) {
        sqlite3_finalize(s->qcache[i].st);
        free(s->qcache[i].sql);
    }
    for (unsigned i = 0; i < SHAPES_N; i++) sqlite3_finalize(s->shapes[i].st);
    sqlite3_close(s->db);
    free(s);
}

int store_read_begin(store *s, enlace_err *err) {
    if (!s) return enlace_err_set(err, ENLACE_EINVAL, "store: no store");
    sqlite3_stmt *st = stmt(s, ST_BEGIN_READ, err);
    if (!st) return ENLACE_EIO;
    return step_done(s, st, "begin read", err);
}

int store_read_end(store *s, enlace_err *err) {
    if (!s) return enlace_err_set(err, ENLACE_EINVAL, "store: no store");
    if (sqlite3_get_autocommit(s->db)) return 0;  /* none open (or SQLite ended it on an error) */
    int code = tx_commit(s, err);
    if (code) tx_rollback(s);
    return code;
}

/* ---- node settings ------------------------------------------------------------------------- */

int store_meta_set(store *s, const char *key, const char *value, enlace_err *err) {
    if (!s || !key || !value) return enlace_err_set(err, ENLACE_EINVAL, "store: meta key/value missing");
    char lid[STIX_ID_MAX];
    if (strcmp(key, "identity_id") == 0) { /* keyed like the org row it names (lower case) */
        if (store_id_lower(value, lid, sizeof lid))
            return enlace_err_set(err, ENLACE_EINVAL, "store: identity id too long");
        value = lid;
    }
    sqlite3_stmt *st = stmt(s, ST_META_SET, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    return step_done(s, st, "meta set", err);
}

int store_meta_get(store *s, const char *key, char *out, size_t out_len, enlace_err *err) {
    if (!s || !key || !out || !out_len) return enlace_err_set(err, ENLACE_EINVAL, "store: bad meta get");
    sqlite3_stmt *st = stmt(s, ST_META_GET, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), code = 0;
    if (rc == SQLITE_ROW) col_copy(out, out_len, st, 0);
    else if (rc == SQLITE_DONE) code = enlace_err_set(err, ENLACE_ENOTFOUND, "store: no setting %s", key);
    else code = db_fail(s, err, "meta get");
    stmt_done(st);
    return code;
}

/* ---- collections --------------------------------------------------------------------------- */

static void coll_row(sqlite3_stmt *st, store_collection *c) {
    memset(c, 0, sizeof *c);
    c->rowid = sqlite3_column_int64(st, 0);
    col_copy(c->id, sizeof c->id, st, 1);
    col_copy(c->title, sizeof c->title, st, 2);
    col_copy(c->description, sizeof c->description, st, 3);
    col_copy(c->alias, sizeof c->alias, st, 4);
    c->can_read = sqlite3_column_int(st, 5) != 0;
    c->can_write = sqlite3_column_int(st, 6) != 0;
}

int store_collection_create(store *s, const char *id, const char *title, const char *description,
                            const char *alias, store_collection *out, enlace_err *err) {
    if (!s || !title) return enlace_err_set(err, ENLACE_EINVAL, "store: a collection needs a title");
    char made[STIX_UUID_STR];
    if (!id) {
        stix_uuid4(made);
        id = made;
    }
    if (alias && !*alias) alias = NULL;
    sqlite3_stmt *st = stmt(s, ST_COLL_INSERT, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, description ? description : "", -1, SQLITE_STATIC);
    if (alias) sqlite3_bind_text(st, 4, alias, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), code = 0;
    if (rc == SQLITE_CONSTRAINT)
        code = enlace_err_set(err, ENLACE_ECONFLICT, "store: a collection with id %s or alias %s exists",
                              id, alias ? alias : "(none)");
    else if (rc != SQLITE_DONE) code = db_fail(s, err, "collection create");
    stmt_done(st);
    if (code || !out) return code;
    memset(out, 0, sizeof *out);
    out->rowid = sqlite3_last_insert_rowid(s->db);
    snprintf(out->id, sizeof out->id, "%s", id);
    snprintf(out->title, sizeof out->title, "%s", title);
    snprintf(out->description, sizeof out->description, "%s", description ? description : "");
    snprintf(out->alias, sizeof out->alias, "%s", alias ? alias : "");
    return 0;
}

int store_collection_find(store *s, const char *id_or_alias, int64_t user_rowid,
                          store_collection *out, enlace_err *err) {
    if (!s || !id_or_alias || !out) return enlace_err_set(err, ENLACE_EINVAL, "store: bad collection find");
    for (int which = ST_COLL_FIND_ID; which <= ST_COLL_FIND_ALIAS; which++) {
        sqlite3_stmt *st = stmt(s, which, err);
        if (!st) return ENLACE_EIO;
        sqlite3_bind_text(st, 1, id_or_alias, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, user_rowid);
        int rc = sqlite3_step(st), code = 0;
        if (rc == SQLITE_ROW) coll_row(st, out);
        else if (rc != SQLITE_DONE) code = db_fail(s, err, "collection find");
        stmt_done(st);
        if (rc != SQLITE_DONE) return code;
    }
    return enlace_err_set(err, ENLACE_ENOTFOUND, "store: no collection %s", id_or_alias);
}

/* Collect every row of a bound statement into a malloc'd array via fill(). */

static int collect_rows(store *s, sqlite3_stmt *st, size_t elem_size, row_fill_fn fill,
                        void **out, size_t *n, const char *what, enlace_err *err) {
    char *arr = NULL;
    size_t cnt = 0, cap = 0;
    int rc, code = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (cnt == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            char *p = realloc(arr, ncap * elem_size);
            if (!p) {
                code = enlace_err_set(err, ENLACE_ENOMEM, "store: out of memory");
                break;
            }
            arr = p;
            cap = ncap;
        }
        fill(st, arr + cnt * elem_size);
        cnt++;
    }
    if (!code && rc != SQLITE_DONE) code = db_fail(s, err, what);
    stmt_done(st);
    if (code) {
        free(arr);
        return code;
    }
    *out = arr;
    *n = cnt;
    return 0;
}

static void coll_fill(sqlite3_stmt *st, void *e) { coll_row(st, e); }

int store_collection_list(store *s, int64_t user_rowid, store_collection **out, size_t *n,
                          enlace_err *err) {
    if (!s || !out || !n) return enlace_err_set(err, ENLACE_EINVAL, "store: bad collection list");
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt(s, user_rowid > 0 ? ST_COLL_LIST_USER : ST_COLL_LIST_ALL, err);
    if (!st) return ENLACE_EIO;
    if (user_rowid > 0) sqlite3_bind_int64(st, 1, user_rowid);
    return collect_rows(s, st, sizeof **out, coll_fill, (void **)out, n, "collection list", err);
}

int store_grant(store *s, int64_t user_rowid, int64_t coll_rowid, int can_read, int can_write,
                enlace_err *err) {
    if (!s) return enlace_err_set(err, ENLACE_EINVAL, "store: no store");
    int del = !can_read && !can_write;
    sqlite3_stmt *st = stmt(s, del ? ST_GRANT_DEL : ST_GRANT_SET, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_int64(st, 1, user_rowid);
    sqlite3_bind_int64(st, 2, coll_rowid);
    if (!del) {
        sqlite3_bind_int(st, 3, can_read != 0);
        sqlite3_bind_int(st, 4, can_write != 0);
    }
    int rc = sqlite3_step(st), code = 0;
    if (rc == SQLITE_CONSTRAINT) /* foreign key: no such user or collection */
        code = enlace_err_set(err, ENLACE_ENOTFOUND, "store: no such user or collection");
    else if (rc != SQLITE_DONE) code = db_fail(s, err, "grant");
    stmt_done(st);
    return code;
}

/* ---- users and tokens ---------------------------------------------------------------------- */

static void user_row(sqlite3_stmt *st, void *e) {
    store_user *u = e;
    memset(u, 0, sizeof *u);
    u->rowid = sqlite3_column_int64(st, 0);
    col_copy(u->name, sizeof u->name, st, 1);
    u->roles = (unsigned)sqlite3_column_int(st, 2);
    u->org_rowid = sqlite3_column_int64(st, 3);
    col_copy(u->org, sizeof u->org, st, 4);
    col_copy(u->party, sizeof u->party, st, 5);
    col_copy(u->pw_hash, sizeof u->pw_hash, st, 6);
    u->disabled = sqlite3_column_int(st, 7) != 0;
    u->created_us = sqlite3_column_int64(st, 8);
}

/* The role/organization rules of store_user_add (issue 3 "Who is who"): 0 or ENLACE_EINVAL. */
static int user_roles_fit(store *s, const char *name, unsigned roles, const store_org *o,
                          enlace_err *err) {
    char node_party[POLICY_PARTY_LEN];
    int code = store_self(s, node_party, NULL, err);
    if (code) return code;
    if (!*node_party)
        return enlace_err_set(err, ENLACE_EINVAL, "store: the node's party is not set (enlace init)");
    int own = strcmp(o->party, node_party) == 0;
    if ((roles & STORE_ROLE_PARTNER) && roles != STORE_ROLE_PARTNER)
        return enlace_err_set(err, ENLACE_EINVAL, "store: %s: a partner node account holds no other role", name);
    if ((roles & (STORE_ROLE_PARTNER | STORE_ROLE_LIAISON)) && own)
        return enlace_err_set(err, ENLACE_EINVAL, "store: %s: a %s belongs to an organization of another "
                              "party than this node's (%s is of %s)", name,
                              (roles & STORE_ROLE_PARTNER) ? "partner" : "liaison", o->name, o->party);
    if ((roles & (STORE_ROLE_ANALYST | STORE_ROLE_APPROVER | STORE_ROLE_ADMIN)) && !own)
        return enlace_err_set(err, ENLACE_EINVAL, "store: %s: analysts, approvers and admins belong to an "
                              "organization of this node's party %s (%s is of %s)", name, node_party,
                              o->name, o->party);
    return 0;
}

int store_user_add(store *s, const char *name, unsigned roles, int64_t org_rowid,
                   const char *pw_hash, int64_t now_us, store_user *out, enlace_err *err) {
    if (!s || !name || !*name || !roles)
        return enlace_err_set(err, ENLACE_EINVAL, "store: a user needs a name and a role");
    if (roles & ~(unsigned)(STORE_ROLE_ANALYST | STORE_ROLE_LIAISON | STORE_ROLE_APPROVER |
                            STORE_ROLE_ADMIN | STORE_ROLE_PARTNER))
        return enlace_err_set(err, ENLACE_EINVAL, "store: unknown role bits 0x%x", roles);
    if (pw_hash && strlen(pw_hash) >= sizeof out->pw_hash)
        return enlace_err_set(err, ENLACE_EINVAL, "store: password hash too long");
    store_org org;
    int code = store_org_get_by_rowid(s, org_rowid, &org, err);
    if (code == ENLACE_ENOTFOUND)
        return enlace_err_set(err, code, "store: no organization %lld for user %s", (long long)org_rowid, name);
    if (code || (code = user_roles_fit(s, name, roles, &org, err))) return code;
    sqlite3_stmt *st = stmt(s, ST_USER_ADD, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, (int)roles);
    sqlite3_bind_int64(st, 3, org_rowid);
    sqlite3_bind_text(st, 4, pw_hash ? pw_hash : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now_us);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT)
        code = enlace_err_set(err, ENLACE_ECONFLICT, "store: user %s exists", name);
    else if (rc != SQLITE_DONE) code = db_fail(s, err, "user add");
    stmt_done(st);
    if (code || !out) return code;
    return store_user_get_by_rowid(s, sqlite3_last_insert_rowid(s->db), out, err);
}

static int user_one(store *s, sqlite3_stmt *st, store_user *out, const char *what, enlace_err *err) {
    int rc = sqlite3_step(st), code = 0;
    if (rc == SQLITE_ROW) user_row(st, out);
    else if (rc == SQLITE_DONE) code = enlace_err_set(err, ENLACE_ENOTFOUND, "store: no such user");
    else code = db_fail(s, err, what);
    stmt_done(st);
    return code;
}

int store_user_get(store *s, const char *name, store_user *out, enlace_err *err) {
    if (!s || !name || !out) return enlace_err_set(err, ENLACE_EINVAL, "store: bad user get");
    sqlite3_stmt *st = stmt(s, ST_USER_GET, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    return user_one(s, st, out, "user get", err);
}

int store_user_get_by_rowid(store *s, int64_t rowid, store_user *out, enlace_err *err) {
    if (!s || !out) return enlace_err_set(err, ENLACE_EINVAL, "store: bad user get");
    sqlite3_stmt *st = stmt(s, ST_USER_GET_ID, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_int64(st, 1, rowid);
    return user_one(s, st, out, "user get", err);
}

int store_user_list(store *s, store_user **out, size_t *n, enlace_err *err) {
    if (!s || !out || !n) return enlace_err_set(err, ENLACE_EINVAL, "store: bad user list");
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt(s, ST_USER_LIST, err);
    if (!st) return ENLACE_EIO;
    return collect_rows(s, st, sizeof **out, user_row, (void **)out, n, "user list", err);
}

/* Run an UPDATE keyed by user name; ENLACE_ENOTFOUND when no user has that name. */
static int user_update(store *s, int which, const char *name, sqlite3_stmt **pst, enlace_err *err) {
    (void)name;
    sqlite3_stmt *st = *pst;
    int rc = sqlite3_step(st), code = 0;
    if (rc != SQLITE_DONE) code = db_fail(s, err, which == ST_USER_PW ? "set password" : "set disabled");
    else if (sqlite3_changes(s->db) == 0)
        code = enlace_err_set(err, ENLACE_ENOTFOUND, "store: no user %s", name);
    stmt_done(st);
    return code;
}

int store_user_set_disabled(store *s, const char *name, int disabled, enlace_err *err) {
    if (!s || !name) return enlace_err_set(err, ENLACE_EINVAL, "store: no user name");
    sqlite3_stmt *st = stmt(s, ST_USER_DISABLE, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, disabled != 0);
    return user_update(s, ST_USER_DISABLE, name, &st, err);
}

int store_user_set_password(store *s, const char *name, const char *pw_hash, enlace_err *err) {
    if (!s || !name) return enlace_err_set(err, ENLACE_EINVAL, "store: no user name");
    if (pw_hash && strlen(pw_hash) >= sizeof ((store_user *)0)->pw_hash)
        return enlace_err_set(err, ENLACE_EINVAL, "store: password hash too long");
    sqlite3_stmt *st = stmt(s, ST_USER_PW, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, pw_hash ? pw_hash : "", -1, SQLITE_STATIC);
    return user_update(s, ST_USER_PW, name, &st, err);
}

static void token_row(sqlite3_stmt *st, void *e) {
    store_token *t = e;
    memset(t, 0, sizeof *t);
    t->rowid = sqlite3_column_int64(st, 0);
    col_copy(t->token_id, sizeof t->token_id, st, 1);
    t->user_rowid = sqlite3_column_int64(st, 2);
    col_copy(t->user_name, sizeof t->user_name, st, 3);
    t->created_us = sqlite3_column_int64(st, 4);
    t->revoked = sqlite3_column_int(st, 5) != 0;
}

int store_token_add(store *s, int64_t user_rowid, const unsigned char sha256[32],
                    const char *token_id, int64_t now_us, enlace_err *err) {
    if (!s || !sha256 || !token_id || !*token_id)
        return enlace_err_set(err, ENLACE_EINVAL, "store: a token needs a hash and an id");
    sqlite3_stmt *st = stmt(s, ST_TOKEN_ADD, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_blob(st, 1, sha256, 32, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, token_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, user_rowid);
    sqlite3_bind_int64(st, 4, now_us);
    int rc = sqlite3_step(st), code = 0;
    if (rc == SQLITE_CONSTRAINT) {
        /* either a duplicate hash/id or (foreign key) an unknown user */
        sqlite3_stmt *chk = NULL;
        int user_known = 0;
        if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM user WHERE rowid = ?1", -1, &chk, NULL) == SQLITE_OK) {
            sqlite3_bind_int64(chk, 1, user_rowid);
            user_known = sqlite3_step(chk) == SQLITE_ROW;
        }
        sqlite3_finalize(chk);
        code = user_known ? enlace_err_set(err, ENLACE_ECONFLICT, "store: token %s exists", token_id)
                          : enlace_err_set(err, ENLACE_ENOTFOUND, "store: no user with rowid %lld",
                                           (long long)user_rowid);
    } else if (rc != SQLITE_DONE) {
        code = db_fail(s, err, "token add");
    }
    stmt_done(st);
    return code;
}

int store_token_find(store *s, const unsigned char sha256[32], store_token *out, enlace_err *err) {
    if (!s || !sha256 || !out) return enlace_err_set(err, ENLACE_EINVAL, "store: bad token find");
    sqlite3_stmt *st = stmt(s, ST_TOKEN_FIND, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_blob(st, 1, sha256, 32, SQLITE_STATIC);
    int rc = sqlite3_step(st), code = 0;
    if (rc == SQLITE_ROW) token_row(st, out);
    else if (rc == SQLITE_DONE) code = enlace_err_set(err, ENLACE_ENOTFOUND, "store: unknown or revoked token");
    else code = db_fail(s, err, "token find");
    stmt_done(st);
    return code;
}

int store_token_revoke(store *s, const char *token_id, enlace_err *err) {
    if (!s || !token_id) return enlace_err_set(err, ENLACE_EINVAL, "store: no token id");
    sqlite3_stmt *st = stmt(s, ST_TOKEN_REVOKE, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, token_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), code = 0;
    if (rc != SQLITE_DONE) code = db_fail(s, err, "token revoke");
    else if (sqlite3_changes(s->db) == 0)
        code = enlace_err_set(err, ENLACE_ENOTFOUND, "store: no token %s", token_id);
    stmt_done(st);
    return code;
}

int store_token_list(store *s, store_token **out, size_t *n, enlace_err *err) {
    if (!s || !out || !n) return enlace_err_set(err, ENLACE_EINVAL, "store: bad token list");
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt(s, ST_TOKEN_LIST, err);
    if (!st) return ENLACE_EIO;
    return collect_rows(s, st, sizeof **out, token_row, (void **)out, n, "token list", err);
}

/* ---- objects: writing ---------------------------------------------------------------------- */

/* Equal as JSON values (member order and insignificant whitespace aside). Returns 1, 0, or 0
 * when either text does not parse (then they are not "the same object"). */
static int json_text_equal(const char *a, size_t alen, const char *b, size_t blen) {
    if (alen > INT32_MAX || blen > INT32_MAX) return 0;
    json_tokener *tok = json_tokener_new();
    if (!tok) return 0;
    json_object *ja = json_tokener_parse_ex(tok, a, (int)alen);
    int oka = json_tokener_get_error(tok) == json_tokener_success;
    json_tokener_reset(tok);
    json_object *jb = json_tokener_parse_ex(tok, b, (int)blen);
    int okb = json_tokener_get_error(tok) == json_tokener_success;
    int eq = oka && okb && json_object_equal(ja, jb);
    json_object_put(ja);
    json_object_put(jb);
    json_tokener_free(tok);
    return eq;
}

/* A version's markings as stored (the policy columns). has_* = 0 stores SQL NULL. */
typedef struct marks {
    int tlp;                 /* POLICY_TLP_NONE = NULL */
    int has_rel_to, has_rel_orgs;
    char rel_to[sizeof ((stix_marking *)0)->releasable_to];
    char rel_orgs[sizeof ((stix_marking *)0)->releasable_to_orgs];
    int orcon, vetted_only;
    int64_t review_by;
} marks;

static int marks_equal(const marks *a, const marks *b) {
    return a->tlp == b->tlp && a->has_rel_to == b->has_rel_to && a->has_rel_orgs == b->has_rel_orgs &&
           (!a->has_rel_to || strcmp(a->rel_to, b->rel_to) == 0) &&
           (!a->has_rel_orgs || strcmp(a->rel_orgs, b->rel_orgs) == 0) && a->orcon == b->orcon &&
           a->vetted_only == b->vetted_only && a->review_by == b->review_by;
}

/* Bind m to six consecutive parameters from first (tlp, rel_to, rel_orgs, orcon, vetted_only,
 * review_by). m must outlive the statement's step. */
static void marks_bind(sqlite3_stmt *st, int first, const marks *m) {
    if (m->tlp == POLICY_TLP_NONE) sqlite3_bind_null(st, first);
    else sqlite3_bind_int(st, first, m->tlp);
    if (m->has_rel_to) sqlite3_bind_text(st, first + 1, m->rel_to, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, first + 1);
    if (m->has_rel_orgs) sqlite3_bind_text(st, first + 2, m->rel_orgs, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, first + 2);
    sqlite3_bind_int(st, first + 3, m->orcon);
    sqlite3_bind_int(st, first + 4, m->vetted_only);
    sqlite3_bind_int64(st, first + 5, m->review_by);
}

/* Read the markings of an id's latest version on the node (newest version instant in any
 * collection and spec version; on a tie the copy stored last) into *m, and its version key
 * into key (STIX_TIME_KEY_MAX + 8 bytes) when non-NULL; *found = 0 when the id has no version. */
static int latest_marks(store *s, const char *id, marks *m, char *key, int *found, enlace_err *err) {
    sqlite3_stmt *st = stmt(s, ST_LATEST_MARKS, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), code = 0;
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW) {
        memset(m, 0, sizeof *m);
        m->tlp = sqlite3_column_type(st, 0) == SQLITE_NULL ? POLICY_TLP_NONE : sqlite3_column_int(st, 0);
        m->has_rel_to = sqlite3_column_type(st, 1) != SQLITE_NULL;
        if (m->has_rel_to) col_copy(m->rel_to, sizeof m->rel_to, st, 1);
        m->has_rel_orgs = sqlite3_column_type(st, 2) != SQLITE_NULL;
        if (m->has_rel_orgs) col_copy(m->rel_orgs, sizeof m->rel_orgs, st, 2);
        m->orcon = sqlite3_column_int(st, 3) != 0;
        m->vetted_only = sqlite3_column_int(st, 4) != 0;
        m->review_by = sqlite3_column_int64(st, 5);
        if (key) col_copy(key, STIX_TIME_KEY_MAX + 8, st, 6);
    } else if (rc != SQLITE_DONE) {
        code = db_fail(s, err, "latest markings");
    }
    stmt_done(st);
    return code;
}

/* Copy the markings of an id's latest version on the node onto all its versions, in every
 * collection (only the rows that differ are written). Once per id per envelope or delete,
 * never per version. */
static int refresh_latest(store *s, const char *id, enlace_err *err) {
    marks m;
    int found = 0;
    int code = latest_marks(s, id, &m, NULL, &found, err);
    if (code || !found) return code;
    sqlite3_stmt *st = stmt(s, ST_COPY_LATEST, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    marks_bind(st, 2, &m);
    return step_done(s, st, "latest markings", err);
}

/* What one envelope's objects share: who puts them, and the ids whose latest markings changed. */
typedef struct put_env {
    int64_t actor_org;
    char actor_party[POLICY_PARTY_LEN];
    int from_partner;
    char **dirty;            /* ids (lower case, malloc'd) to refresh_latest at the end */
    size_t n_dirty, cap_dirty;
} put_env;

static int dirty_add(put_env *e, const char *id, enlace_err *err) {
    if (e->n_dirty && strcmp(e->dirty[e->n_dirty - 1], id) == 0) return 0; /* same id in a row */
    if (e->n_dirty == e->cap_dirty) {
        size_t cap = e->cap_dirty ? e->cap_dirty * 2 : 16;
        char **p = realloc(e->dirty, cap * sizeof *p);
        if (!p) return enlace_err_set(err, ENLACE_ENOMEM, "store: out of memory");
        e->dirty = p;
        e->cap_dirty = cap;
    }
    if (!(e->dirty[e->n_dirty] = strdup(id))) return enlace_err_set(err, ENLACE_ENOMEM, "store: out of memory");
    e->n_dirty++;
    return 0;
}

static void dirty_free(put_env *e) {
    for (size_t i = 0; i < e->n_dirty; i++) free(e->dirty[i]);
    free(e->dirty);
    e->dirty = NULL;
    e->n_dirty = e->cap_dirty = 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Why author_of refuses an object. */
enum { AUTHOR_OK = 0, AUTHOR_CLOSED, AUTHOR_IMPERSONATES, AUTHOR_WRONG_TLP };

/* The one text for an id that is not open to the writer (F4): another organization's id and a
 * purged one read the same, and no organization is named. */
#define REFUSED_CLOSED "this id is not open to you: it belongs to another organization or was withdrawn"

/* The TLP level o's body defines by itself, its id left aside (stix_marking_definition_tlp
 * lets a fixed id win over the body); STIX_TLP_NONE when none or not JSON. */
static int body_tlp(const store_object_in *o) {
    json_tokener *tok = json_tokener_new();
    if (!tok) return STIX_TLP_NONE;
    json_object *md = o->body_len <= INT32_MAX ? json_tokener_parse_ex(tok, o->body, (int)o->body_len) : NULL;
    json_tokener_free(tok);
    int tlp = STIX_TLP_NONE;
    if (md && json_object_is_type(md, json_type_object)) {
        json_object_object_del(md, "id");
        tlp = stix_marking_definition_tlp(md);
    }
    json_object_put(md);
    return tlp;
}

/* Originator control for o, whose id is id (lower case) (issue 3 "Originator"), without
 * side effects: sets *org/party to the id's originator, or *refused to AUTHOR_CLOSED (purged,
 * another organization's id or identity) or AUTHOR_IMPERSONATES (created_by_ref names another
 * organization). *new_origin = 1 when the id has none yet (the caller records it). */
static int author_of(store *s, const put_env *e, const store_object_in *o, const char *id, int64_t *org,
                     char party[POLICY_PARTY_LEN], int *new_origin, int *refused, enlace_err *err) {
    *refused = AUTHOR_OK;
    *new_origin = 0;
    /* the standard TLP marking-definitions (TLP 1.0, 2.0 ids) are owned by nobody: anyone may
     * store them, no origin or tombstone is recorded or checked -- but a body defining a level
     * must define the one its id stands for (parsed here: only these few objects; the fixed id
     * wins wherever it is referenced, so a body defining none changes nothing) */
    int std_tlp = stix_marking_tlp_of_id(id);
    if (std_tlp != STIX_TLP_NONE) {
        int says = body_tlp(o);
        if (says != STIX_TLP_NONE && says != std_tlp) {
            *refused = AUTHOR_WRONG_TLP;
            return 0;
        }
        *org = e->actor_org;
        snprintf(party, POLICY_PARTY_LEN, "%s", e->actor_party);
        return 0;
    }
    sqlite3_stmt *st = stmt(s, ST_TOMB_GET, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    stmt_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_fail(s, err, "tombstone lookup");
    if (rc == SQLITE_ROW) {
        *refused = AUTHOR_CLOSED;
        return 0;
    }
    /* The author: the writer itself, an outside author (not an organization of the exchange),
     * or for objects pulled from a partner node an organization of that partner's party. */
    *org = e->actor_org;
    snprintf(party, POLICY_PARTY_LEN, "%s", e->actor_party);
    /* k = 0: created_by_ref; k = 1: the id itself, when it is a registered organization's
     * identity: that organization originates it, nobody else (F10) */
    for (int k = 0; k < 2; k++) {
        const char *ref = k == 0 ? o->created_by_ref : id;
        char lref[STIX_ID_MAX];
        if (!ref) continue;
        if (k == 1 && strncmp(id, "identity--", 10) != 0) continue;
        if (store_id_lower(ref, lref, sizeof lref)) {
            *refused = AUTHOR_IMPERSONATES;
            return 0;
        }
        st = stmt(s, ST_ORG_BY_IDENT, err);
        if (!st) return ENLACE_EIO;
        sqlite3_bind_text(st, 1, lref, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        int64_t k_org = 0;
        char k_party[POLICY_PARTY_LEN] = "";
        if (rc == SQLITE_ROW) {
            k_org = sqlite3_column_int64(st, 0);
            col_copy(k_party, sizeof k_party, st, 1);
        }
        stmt_done(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_fail(s, err, "organization lookup");
        if (rc != SQLITE_ROW) continue;
        if (k_org == e->actor_org) {
            *org = k_org;
            snprintf(party, POLICY_PARTY_LEN, "%s", k_party);
        } else if (e->from_partner && strcmp(k_party, e->actor_party) == 0) {
            *org = k_org;   /* vouched for by its own party's node, which sent it */
            snprintf(party, POLICY_PARTY_LEN, "%s", k_party);
        } else {
            *refused = k == 0 ? AUTHOR_IMPERSONATES : AUTHOR_CLOSED;
            return 0;
        }
    }
    st = stmt(s, ST_ORIGIN_GET, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    int64_t have_org = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    char have_party[POLICY_PARTY_LEN] = "";
    if (rc == SQLITE_ROW) col_copy(have_party, sizeof have_party, st, 1);
    stmt_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_fail(s, err, "origin lookup");
    if (rc == SQLITE_DONE) {
        *new_origin = 1;
        return 0;
    }
    if (have_org != *org) {
        /* STIX: only the creator versions an object; which organization that is stays unsaid */
        *refused = AUTHOR_CLOSED;
        return 0;
    }
    snprintf(party, POLICY_PARTY_LEN, "%s", have_party);
    return 0;
}

/* The TLP level marking-definition ref (lower case) stands for in an object originated by
 * orig_org: a marking-definition of the same originator stored earlier (marking_tlp; one put
 * earlier in the same envelope is stored already) (F6). *resolved = 0 when none: the caller
 * fails closed and keeps the reference pending (unresolved_ref), so that the definition, when
 * its originator posts it later in this envelope or in another, re-resolves the version
 * (md_register). *tlp is STIX_TLP_NONE for a resolved definition of no TLP level. */
static int resolve_ref(store *s, const char *lref, int64_t orig_org, int *tlp, int *resolved,
                       enlace_err *err) {
    *tlp = STIX_TLP_NONE;
    *resolved = 0;
    sqlite3_stmt *st = stmt(s, ST_MD_GET, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, lref, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, orig_org);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *tlp = sqlite3_column_int(st, 0);
        *resolved = 1;
    }
    stmt_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_fail(s, err, "marking lookup");
    return 0;
}

/* A version's references that did not resolve (lower case), and its TLP without their AMBER
 * floor: what md_register needs to re-resolve it later. */
typedef struct pending_refs {
    int base;       /* fixed TLP ids and resolved references (STIX_TLP_NONE: none) */
    size_t n;
    char ref[STIX_MARKING_MAX_UNKNOWN][STIX_MARKING_ID_LEN];
} pending_refs;

/* The policy columns of o, originated by orig_org: its marking, with references to
 * marking-definitions resolved; the most restrictive level wins (issue 3 "Markings"). A
 * reference that does not resolve (not posted yet, or defined by another organization) counts
 * as at least AMBER: we cannot tell what it asks (F6); it goes to *p (once, lower case) with the
 * level without that floor, for put_one to keep pending. No statement beyond one marking_tlp
 * probe per reference. */
static int marks_of(store *s, const store_object_in *o, int64_t orig_org, marks *m, pending_refs *p,
                    enlace_err *err) {
    memset(m, 0, sizeof *m);
    m->tlp = POLICY_TLP_NONE;
    p->base = STIX_TLP_NONE;
    p->n = 0;
    const stix_marking *k = o->marking;
    if (!k) return 0;
    p->base = k->tlp;
    for (size_t i = 0; i < k->n_unknown && i < STIX_MARKING_MAX_UNKNOWN; i++) {
        int t, resolved;
        char *lref = p->ref[p->n];
        if (store_id_lower(k->unknown_refs[i], lref, STIX_MARKING_ID_LEN)) {
            /* longer than any stored id: it can never resolve */
            snprintf(lref, STIX_MARKING_ID_LEN, "%.*s", STIX_MARKING_ID_LEN - 1, k->unknown_refs[i]);
            resolved = 0;
            t = STIX_TLP_NONE;
        } else {
            int code = resolve_ref(s, lref, orig_org, &t, &resolved, err);
            if (code) return code;
        }
        if (resolved) {
            if (t > p->base) p->base = t;
            continue;
        }
        size_t j = 0;
        while (j < p->n && strcmp(p->ref[j], lref) != 0) j++;
        if (j == p->n) p->n++; /* pending once, whatever case it came in */
    }
    m->tlp = p->base;
    if (p->n && m->tlp < STIX_TLP_AMBER) m->tlp = STIX_TLP_AMBER;
    m->has_rel_to = k->has_releasable_to != 0;
    if (m->has_rel_to) snprintf(m->rel_to, sizeof m->rel_to, "%s", k->releasable_to);
    m->has_rel_orgs = k->has_releasable_to_orgs != 0;
    if (m->has_rel_orgs) {
        /* identity ids are keyed in lower case, like the principal's org_identity */
        if (store_id_lower(k->releasable_to_orgs, m->rel_orgs, sizeof m->rel_orgs))
            snprintf(m->rel_orgs, sizeof m->rel_orgs, "%s", k->releasable_to_orgs);
    }
    m->orcon = k->orcon != 0;
    m->vetted_only = k->vetted_only != 0;
    m->review_by = k->review_by_us;
    return 0;
}

static void refuse(store_put_outcome *out, const store_object_in *o, const char *fmt, const char *arg) {
    out->result = STORE_REFUSED;
    if (o->has_version) snprintf(out->version, sizeof out->version, "%s", o->version);
    snprintf(out->reason, sizeof out->reason, fmt, arg);
}

/* author_of, reporting a refusal in out (*refused = 1). */
static int originate(store *s, const put_env *e, const store_object_in *o, const char *id, int64_t *org,
                     char party[POLICY_PARTY_LEN], int *new_origin, int *refused,
                     store_put_outcome *out, enlace_err *err) {
    int why = AUTHOR_OK;
    int code = author_of(s, e, o, id, org, party, new_origin, &why, err);
    *refused = why != AUTHOR_OK;
    if (code || !why) return code;
    if (why == AUTHOR_IMPERSONATES)
        refuse(out, o, "created_by_ref %s names another organization of the exchange: "
                       "no one speaks for another agency", o->created_by_ref);
    else if (why == AUTHOR_WRONG_TLP)
        refuse(out, o, "%s is a standard TLP marking-definition id: its definition must be that TLP level "
                       "(the body defines another level)", id);
    else
        refuse(out, o, "%s", REFUSED_CLOSED);
    return 0;
}

/* Every marking-definition is registered with its originator (tlp -1: it defines no level), so
 * that references from the same originator's objects resolve (F6). Versions of the same
 * originator stored before it (in an earlier envelope, or earlier in this one) whose reference
 * to it was pending resolve now: their TLP becomes what their fixed ids and resolved
 * references give, the AMBER floor staying only while another reference is pending, and
 * their ids are marked for the refresh of the latest markings at the end of the envelope
 * (once per id). One probe of unresolved_ref when nothing is pending; otherwise O(rows
 * resolved). Another organization's definition of the id touches nothing: marking_tlp keeps
 * the id's originator, and pending rows are keyed by the versions' originator. */
static int md_register(store *s, put_env *e, const store_object_in *o, const char *id, int64_t orig_org,
                       enlace_err *err) {
    if (strcmp(o->type, "marking-definition") != 0) return 0;
    sqlite3_stmt *st = stmt(s, ST_MD_PUT, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, o->md_tlp < STIX_TLP_CLEAR ? STIX_TLP_NONE : o->md_tlp);
    sqlite3_bind_int64(st, 3, orig_org);
    int code = step_done(s, st, "marking-definition", err);
    if (code) return code;
    /* the level the id now defines for orig_org (the most restrictive registered) */
    int tlp, resolved;
    if ((code = resolve_ref(s, id, orig_org, &tlp, &resolved, err)) || !resolved) return code;
    if (!(st = stmt(s, ST_UNRES_IDS, err))) return ENLACE_EIO;
    sqlite3_bind_int64(st, 1, orig_org);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    size_t n = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        n++;
        if ((code = dirty_add(e, (const char *)sqlite3_column_text(st, 0), err))) break;
    }
    if (!code && rc != SQLITE_DONE) code = db_fail(s, err, "pending markings");
    stmt_done(st);
    if (code || n == 0) return code;
    if (!(st = stmt(s, ST_UNRES_APPLY, err))) return ENLACE_EIO;
    sqlite3_bind_int64(st, 1, orig_org);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, tlp < STIX_TLP_CLEAR ? STIX_TLP_NONE : tlp);
    if ((code = step_done(s, st, "pending markings", err))) return code;
    if (!(st = stmt(s, ST_UNRES_DEL, err))) return ENLACE_EIO;
    sqlite3_bind_int64(st, 1, orig_org);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    return step_done(s, st, "pending markings", err);
}

/* Store or match one object inside the open envelope transaction. *last is the collection's
 * highest date_added so far (updated on insert). Returns 0 (outcome filled) or an error. */
static int put_one(store *s, put_env *e, int64_t coll, const store_object_in *o, int64_t now_us,
                   int64_t *last, store_put_outcome *out, enlace_err *err) {
    memset(out, 0, sizeof *out);
    if (!o->id || !o->type || !o->spec_version || !o->body ||
        (o->has_version && (!o->version || !o->version_key)))
        return enlace_err_set(err, ENLACE_EINVAL, "store: object %s lacks a required field",
                              o->id ? o->id : "(no id)");
    if (o->body_len > INT32_MAX)
        return enlace_err_set(err, ENLACE_ETOOBIG, "store: object %s is too large", o->id);

    /* the id as enlace keys it (lower case); the body stays as received */
    char id[STIX_ID_MAX];
    if (store_id_lower(o->id, id, sizeof id))
        return enlace_err_set(err, ENLACE_EINVAL, "store: object id %.64s... is too long", o->id);
    int64_t orig_org = 0;
    char orig_party[POLICY_PARTY_LEN];
    int new_origin = 0, refused = 0;
    int code = originate(s, e, o, id, &orig_org, orig_party, &new_origin, &refused, out, err);
    if (code || refused) return code;

    /* Is this version stored already? One probe of object_key. */
    sqlite3_stmt *st = stmt(s, o->has_version ? ST_OBJ_MATCH : ST_OBJ_MATCH_NV, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_int64(st, 1, coll);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    if (o->has_version) sqlite3_bind_text(st, 3, o->version_key, -1, SQLITE_STATIC);
    int64_t match = 0;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) match = sqlite3_column_int64(st, 0);
    stmt_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_fail(s, err, "object lookup");

    if (match) {
        st = stmt(s, ST_OBJ_BY_ROWID, err);
        if (!st) return ENLACE_EIO;
        sqlite3_bind_int64(st, 1, match);
        if (sqlite3_step(st) != SQLITE_ROW) {
            int code = db_fail(s, err, "object read");
            stmt_done(st);
            return code;
        }
        const char *body = (const char *)sqlite3_column_text(st, 0);
        size_t blen = (size_t)sqlite3_column_bytes(st, 0);
        int same = (blen == o->body_len && memcmp(body, o->body, blen) == 0) ||
                   json_text_equal(body, blen, o->body, o->body_len);
        out->result = same ? STORE_DUPLICATE : STORE_CONFLICT;
        if (o->has_version) snprintf(out->version, sizeof out->version, "%s", o->version);
        else col_copy(out->version, sizeof out->version, st, 1);
        out->date_added = sqlite3_column_int64(st, 2);
        if (!same)
            snprintf(out->reason, sizeof out->reason,
                     "a different object is already stored under this id and version");
        stmt_done(st);
        return same ? md_register(s, e, o, id, orig_org, err) : 0;
    }

    /* A new version: strictly after everything before it in the collection (invariant 2). */
    int64_t da = now_us > *last ? now_us : *last + 1;
    char sco_version[TAXII_TIME_LEN], sco_key[STIX_TIME_KEY_MAX];
    const char *version = o->version, *key = o->version_key;
    if (!o->has_version) {
        /* An SCO without timestamps: its version is the TAXII timestamp of this first copy, and
         * its key that timestamp normalized like any other, so match[version]=<that> finds it. */
        taxii_time_format(da, sco_version);
        if (stix_time_parse(sco_version, strlen(sco_version), sco_key, NULL) != 0)
            return enlace_err_set(err, ENLACE_EINVAL, "store: date_added %lld out of range",
                                  (long long)da);
        version = sco_version;
        key = sco_key;
    }
    /* The id's extremes before this version: the flags it takes, and the rows it takes them from
     * (index probes, so any number of versions costs O(log n) per insert). */
    char ext[5][STIX_TIME_KEY_MAX + 8];
    int have[5];
    st = stmt(s, ST_OBJ_EXTREMES, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_int64(st, 1, coll);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, o->spec_version, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) {
        int code = db_fail(s, err, "version extremes");
        stmt_done(st);
        return code;
    }
    for (int k = 0; k < 5; k++) {
        have[k] = sqlite3_column_type(st, k) != SQLITE_NULL;
        if (have[k]) col_copy(ext[k], sizeof ext[k], st, k);
    }
    stmt_done(st);
    /* ext: 0 newest of this spec, 1 oldest of this spec, 2 newest of all, 3 oldest of all, 4 top spec */
    int last_s = !have[0] || strcmp(key, ext[0]) > 0, first_s = !have[1] || strcmp(key, ext[1]) < 0;
    int last_a = !have[2] || strcmp(key, ext[2]) > 0, first_a = !have[3] || strcmp(key, ext[3]) < 0;
    int spec_cmp = have[4] ? strcmp(o->spec_version, ext[4]) : 1;
    /* The id's latest version on the node (newest instant in any collection and spec version)
     * before this one: this version's copy of the latest markings, and whether the id's other
     * versions, in every collection, need a new copy (once, at the end of the envelope). A
     * version of the same instant as the latest becomes the latest (stored last). */
    marks own, latest;
    pending_refs pend;
    char latest_key[STIX_TIME_KEY_MAX + 8];
    int have_latest = 0;
    if ((code = marks_of(s, o, orig_org, &own, &pend, err)) ||
        (code = latest_marks(s, id, &latest, latest_key, &have_latest, err)))
        return code;
    int becomes_latest = !have_latest || strcmp(key, latest_key) >= 0;
    const marks *lm = becomes_latest ? &own : &latest;
    if (becomes_latest && have_latest && !marks_equal(&latest, &own) && (code = dirty_add(e, id, err)))
        return code;
    static const int clr_stmt[4] = {ST_CLR_LAST_S, ST_CLR_FIRST_S, ST_CLR_LAST_A, ST_CLR_FIRST_A};
    const int takes[4] = {last_s && have[0], first_s && have[1], last_a && have[2], first_a && have[3]};
    for (int k = 0; k < 4; k++) {
        if (!takes[k]) continue;
        st = stmt(s, clr_stmt[k], err);
        if (!st) return ENLACE_EIO;
        sqlite3_bind_int64(st, 1, coll);
        sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, o->spec_version, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, ext[k], -1, SQLITE_STATIC);
        if ((code = step_done(s, st, "version flags", err))) return code;
    }
    if (spec_cmp > 0 && have[4]) { /* a higher spec version than any before: the others step down */
        st = stmt(s, ST_CLR_TOP, err);
        if (!st) return ENLACE_EIO;
        sqlite3_bind_int64(st, 1, coll);
        sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, o->spec_version, -1, SQLITE_STATIC);
        if ((code = step_done(s, st, "version flags", err))) return code;
    }
    st = stmt(s, ST_OBJ_INSERT, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_int64(st, 1, coll);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, o->type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, o->spec_version, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, version, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, key, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, !o->has_version);
    sqlite3_bind_int64(st, 8, da);
    sqlite3_bind_int(st, 9, spec_cmp >= 0);
    sqlite3_bind_int(st, 10, last_s);
    sqlite3_bind_int(st, 11, first_s);
    sqlite3_bind_int(st, 12, last_a);
    sqlite3_bind_int(st, 13, first_a);
    sqlite3_bind_text(st, 14, o->body, (int)o->body_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 15, orig_org);
    sqlite3_bind_text(st, 16, orig_party, -1, SQLITE_STATIC);
    marks_bind(st, 17, &own);
    marks_bind(st, 23, lm);
    if (pend.base == STIX_TLP_NONE) sqlite3_bind_null(st, 29);
    else sqlite3_bind_int(st, 29, pend.base);
    sqlite3_bind_int(st, 30, (int)pend.n);
    if ((code = step_done(s, st, "object insert", err))) return code;
    if (pend.n) {
        int64_t rowid = sqlite3_last_insert_rowid(s->db);
        for (size_t i = 0; i < pend.n; i++) {
            if (!(st = stmt(s, ST_UNRES_PUT, err))) return ENLACE_EIO;
            sqlite3_bind_int64(st, 1, orig_org);
            sqlite3_bind_text(st, 2, pend.ref[i], -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 3, rowid);
            if ((code = step_done(s, st, "pending markings", err))) return code;
        }
    }
    if (new_origin) {
        st = stmt(s, ST_ORIGIN_PUT, err);
        if (!st) return ENLACE_EIO;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, orig_org);
        sqlite3_bind_text(st, 3, orig_party, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, da);
        if ((code = step_done(s, st, "origin", err))) return code;
    }
    if ((code = md_register(s, e, o, id, orig_org, err))) return code;
    *last = da;
    out->result = STORE_ADDED;
    snprintf(out->version, sizeof out->version, "%s", version);
    out->date_added = da;
    return 0;
}

#ifdef ENLACE_TEST_HOOKS
/* Crash points for the crash test (tests/http), compiled only with ENLACE_TEST_HOOKS:
 *   ENLACE_CRASH_AFTER_OBJECTS=N  SIGKILL right after the N-th new object of an envelope was
 *                                 inserted, inside the open transaction;
 *   ENLACE_CRASH_BEFORE_COMMIT=1  SIGKILL just before COMMIT;
 *   ENLACE_CRASH_AFTER_COMMIT=1   SIGKILL right after COMMIT returned.
 * A restarted node must show none of the envelope in the first two cases, all of it in the
 * third. */
static long crash_env(const char *name) {
    const char *v = getenv(name);
    return v && *v ? strtol(v, NULL, 10) : 0;
}
#define CRASH_IF(cond) do { if (cond) raise(SIGKILL); } while (0)
#else
#define crash_env(name) 0L
#define CRASH_IF(cond) do { (void)0; } while (0)
#endif

/* The status resource a POST writes in its envelope's transaction (NULL: none). */
typedef struct status_in {
    const char *id;
    int64_t user_rowid;
    store_status_fn build;
    void *ctx;
} status_in;

/* Insert the status built from outs, inside the open transaction. */
static int put_status(store *s, const status_in *sin, const store_put_outcome *outs, size_t n,
                      int64_t now_us, enlace_err *err) {
    const char *json = NULL;
    int code = sin->build(sin->ctx, outs, n, &json);
    if (code || !json)
        return enlace_err_set(err, code ? code : ENLACE_EINVAL, "store: the status could not be built");
    sqlite3_stmt *st = stmt(s, ST_STATUS_PUT, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, sin->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, sin->user_rowid);
    sqlite3_bind_text(st, 3, json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now_us);
    return step_done(s, st, "status put", err);
}

/* Who writes: actor, or the node's own organization (actor NULL). */
static int put_env_init(store *s, const store_actor *actor, put_env *e, enlace_err *err) {
    memset(e, 0, sizeof *e);
    int64_t self_org = 0;
    int code = store_self(s, e->actor_party, &self_org, err);
    if (code) return code;
    e->actor_org = actor ? actor->org_rowid : self_org;
    e->from_partner = actor ? actor->from_partner != 0 : 0;
    if (actor) {
        store_org o;
        if ((code = store_org_get_by_rowid(s, actor->org_rowid, &o, err)))
            return code == ENLACE_ENOTFOUND
                       ? enlace_err_set(err, ENLACE_EINVAL, "store: no organization %lld writes here",
                                        (long long)actor->org_rowid)
                       : code;
        snprintf(e->actor_party, sizeof e->actor_party, "%s", o.party);
    } else if (!self_org) {
        return enlace_err_set(err, ENLACE_EINVAL, "store: the node has no organization of its own (enlace init)");
    }
    return 0;
}

static int put_envelope(store *s, int64_t coll_rowid, const store_actor *actor,
                        const store_object_in *objs, size_t n, int64_t now_us,
                        store_put_outcome *outs, const status_in *sin, enlace_err *err) {
    if (!s || (n && (!objs || !outs))) return enlace_err_set(err, ENLACE_EINVAL, "store: bad put");
    long crash_after = crash_env("ENLACE_CRASH_AFTER_OBJECTS");
    int code = tx_begin(s, err);
    if (code) return code;
    put_env e;
    if ((code = put_env_init(s, actor, &e, err))) {
        tx_rollback(s);
        return code;
    }
    sqlite3_stmt *st = stmt(s, ST_COLL_LAST, err);
    if (!st) {
        tx_rollback(s);
        return ENLACE_EIO;
    }
    sqlite3_bind_int64(st, 1, coll_rowid);
    int rc = sqlite3_step(st);
    int64_t last = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    stmt_done(st);
    if (rc != SQLITE_ROW) {
        code = rc == SQLITE_DONE
                   ? enlace_err_set(err, ENLACE_ENOTFOUND, "store: no collection %lld",
                                    (long long)coll_rowid)
                   : db_fail(s, err, "collection read");
        tx_rollback(s);
        return code;
    }
    int64_t first_last = last;
    long inserted = 0;
    for (size_t i = 0; i < n; i++) {
        if ((code = put_one(s, &e, coll_rowid, &objs[i], now_us, &last, &outs[i], err))) {
            dirty_free(&e);
            tx_rollback(s);
            return code;
        }
        if (outs[i].result == STORE_ADDED) {
            inserted++;
            CRASH_IF(crash_after > 0 && inserted == crash_after);
        }
    }
    /* the ids whose latest version's markings changed: each id's versions once; partners
     * re-pull (their access may have narrowed: store_withdrawal_bump) */
    if (e.n_dirty > 1) qsort(e.dirty, e.n_dirty, sizeof *e.dirty, cmp_str);
    for (size_t i = 0; i < e.n_dirty && !code; i++)
        if (i == 0 || strcmp(e.dirty[i], e.dirty[i - 1]) != 0)
            if (!(code = store_withdrawal_bump(s, 0, e.dirty[i], err))) code = refresh_latest(s, e.dirty[i], err);
    dirty_free(&e);
    if (code) {
        tx_rollback(s);
        return code;
    }
    if (last != first_last) {
        st = stmt(s, ST_COLL_SET_LAST, err);
        if (!st) {
            tx_rollback(s);
            return ENLACE_EIO;
        }
        sqlite3_bind_int64(st, 1, coll_rowid);
        sqlite3_bind_int64(st, 2, last);
        if ((code = step_done(s, st, "collection update", err))) {
            tx_rollback(s);
            return code;
        }
    }
    if (sin && (code = put_status(s, sin, outs, n, now_us, err))) {
        tx_rollback(s);
        return code;
    }
    CRASH_IF(crash_env("ENLACE_CRASH_BEFORE_COMMIT") == 1);
    if ((code = tx_commit(s, err))) {
        tx_rollback(s);
        return code;
    }
    CRASH_IF(crash_env("ENLACE_CRASH_AFTER_COMMIT") == 1);
    return 0;
}

int store_put_objects(store *s, int64_t coll_rowid, const store_actor *actor,
                      const store_object_in *objs, size_t n, int64_t now_us,
                      store_put_outcome *outs, enlace_err *err) {
    return put_envelope(s, coll_rowid, actor, objs, n, now_us, outs, NULL, err);
}

int store_put_objects_status(store *s, int64_t coll_rowid, const store_actor *actor,
                             const store_object_in *objs, size_t n, int64_t now_us,
                             store_put_outcome *outs, const char *status_id,
                             int64_t user_rowid, store_status_fn build, void *ctx,
                             enlace_err *err) {
    if (!status_id || !build) return enlace_err_set(err, ENLACE_EINVAL, "store: bad status put");
    status_in sin = {status_id, user_rowid, build, ctx};
    return put_envelope(s, coll_rowid, actor, objs, n, now_us, outs, &sin, err);
}

/* ---- objects: reading and deleting --------------------------------------------------------- */

/* Parameters: ?1 coll, ?2 after_us, ?3 limit + 1, ?4 object_id, ?5 the principal
 * (sqlite3_bind_pointer), ?6 its party (for the agreement), ?7 its organization (rule 1); lists
 * follow from ?8 in the order ids, types, spec versions, version keys (bind_lists walks the
 * same order). */
#define FIRST_LIST_PARAM 8
static void add_in_list(enlace_buf *b, const char *col, size_t n, int *next) {
    enlace_buf_printf(b, " AND %s IN (", col);
    for (size_t i = 0; i < n; i++) enlace_buf_printf(b, i ? ", ?%d" : "?%d", (*next)++);
    enlace_buf_puts(b, ")");
}

static int spec_has(const store_query *q, const char *v) {
    for (size_t i = 0; i < q->n_spec; i++)
        if (q->spec_versions[i] && strcmp(q->spec_versions[i], v) == 0) return 1;
    return 0;
}

/* Append the version and spec predicates (T§3.4.1). Which flags apply:
 *   no spec filter            -> is_top_spec = 1 and the per-spec flags (_s)
 *   one spec version named    -> spec_version = it and the _s flags
 *   2.0 and 2.1 both named    -> the cross-spec flags (_a): every stored spec is considered.
 * A delete (T§5.7) differs only without a spec filter: "all" (or no version filter) removes
 * every version of every spec, and a timestamp removes that version whatever its spec, so that
 * after DELETE with no filters a GET of the object is 404; last/first still mean what a GET
 * would show (latest spec). */
static void add_version_filter(enlace_buf *b, const store_query *q, int for_delete, int *next) {
    unsigned vf = q->version_flags;
    size_t nk = q->n_version_keys;
    const char *suffix = "s";
    int top_in_terms = 0; /* delete without spec filter: is_top_spec goes inside last/first */
    if (q->n_spec == 0) {
        if (for_delete) {
            if ((vf & STORE_V_ALL) || (vf == 0 && nk == 0)) return;
            top_in_terms = 1;
        } else {
            enlace_buf_puts(b, " AND is_top_spec = 1");
        }
    } else {
        add_in_list(b, "spec_version", q->n_spec, next);
        if (spec_has(q, "2.0") && spec_has(q, "2.1")) suffix = "a";
    }
    if (vf == 0 && nk == 0) {
        if (for_delete) return; /* spec filter only: every version of those specs */
        vf = STORE_V_LAST;
    }
    if (vf & STORE_V_ALL) return;
    const char *top = top_in_terms ? "is_top_spec = 1 AND " : "";
    int terms = ((vf & STORE_V_LAST) != 0) + ((vf & STORE_V_FIRST) != 0) + (nk > 0);
    if (terms == 1 && nk == 0) {
        /* plain AND terms, so the partial index object_added_last applies */
        enlace_buf_printf(b, " AND %sis_%s_%s = 1", top, (vf & STORE_V_LAST) ? "last" : "first",
                          suffix);
        return;
    }
    enlace_buf_puts(b, " AND (");
    const char *sep = "";
    if (vf & STORE_V_LAST) {
        enlace_buf_printf(b, "(%sis_last_%s = 1)", top, suffix);
        sep = " OR ";
    }
    if (vf & STORE_V_FIRST) {
        enlace_buf_printf(b, "%s(%sis_first_%s = 1)", sep, top, suffix);
        sep = " OR ";
    }
    if (nk) {
        enlace_buf_printf(b, "%sversion_key IN (", sep);
        for (size_t i = 0; i < nk; i++) enlace_buf_printf(b, i ? ", ?%d" : "?%d", (*next)++);
        enlace_buf_puts(b, ")");
    }
    enlace_buf_puts(b, ")");
}

/* Bind the lists in the order build_filter numbered them. Returns 0 or -1 (NULL entry). */
static int bind_lists(sqlite3_stmt *st, const store_query *q, int for_delete) {
    int p = FIRST_LIST_PARAM;
    const char *const *lists[3] = {q->ids, q->types, q->spec_versions};
    size_t counts[3] = {q->n_ids, q->n_types, q->n_spec};
    for (int l = 0; l < 3; l++)
        for (size_t i = 0; i < counts[l]; i++) {
            if (!lists[l][i]) return -1;
            sqlite3_bind_text(st, p++, lists[l][i], -1, SQLITE_STATIC);
        }
    /* version keys are numbered only when the version predicate was emitted with them */
    int keys_used = !(q->version_flags & STORE_V_ALL) && q->n_version_keys > 0;
    (void)for_delete;
    if (keys_used)
        for (size_t i = 0; i < q->n_version_keys; i++) {
            if (!q->version_keys[i]) return -1;
            sqlite3_bind_text(st, p++, q->version_keys[i], -1, SQLITE_STATIC);
        }
    return 0;
}

/* Build the WHERE clause shared by query and delete. The policy predicate comes last, so that
 * SQLite evaluates it only on rows the index and the cheap filters let through; it is the same
 * function for listings, single objects, manifests, versions and deletes (issue 3 must-have 1). */
static void build_where(enlace_buf *b, const store_query *q, int for_delete) {
    int next = FIRST_LIST_PARAM;
    enlace_buf_puts(b, " WHERE coll = ?1");
    if (!for_delete) enlace_buf_puts(b, " AND date_added > ?2");
    if (q->object_id) enlace_buf_puts(b, " AND id = ?4");
    if (q->n_ids) add_in_list(b, "id", q->n_ids, &next);
    if (q->n_types) add_in_list(b, "type", q->n_types, &next);
    add_version_filter(b, q, for_delete, &next);
    /* Always the 17-argument form: a row that is the latest of its collection (the default
     * listing, a GET) need not be its id's latest on the node (a newer version in another
     * collection or another spec version), so its l_ columns may differ from its own (F9). */
    enlace_buf_puts(b, " AND " STORE_VISIBLE_SQL);
}

/* A copy of q whose object_id and match[id] values are lower case (ids are keyed in lower
 * case). *buf (malloc'd, caller frees; NULL when not needed) holds the copies. */
static int query_lower(const store_query *q, store_query *lq, char **buf, enlace_err *err) {
    *lq = *q;
    *buf = NULL;
    size_t n = (q->object_id ? 1 : 0) + q->n_ids;
    if (!n) return 0;
    char *b = malloc(n * (STIX_ID_MAX + sizeof(char *)));
    if (!b) return enlace_err_set(err, ENLACE_ENOMEM, "store: out of memory");
    const char **ptrs = (const char **)(void *)b;
    char *text = b + n * sizeof(char *);
    size_t k = 0;
    if (q->object_id) {
        if (store_id_lower(q->object_id, text, STIX_ID_MAX)) text[0] = 0; /* matches nothing */
        lq->object_id = text;
        text += STIX_ID_MAX;
    }
    for (size_t i = 0; i < q->n_ids; i++) {
        ptrs[k] = NULL;
        if (q->ids[i]) {
            if (store_id_lower(q->ids[i], text, STIX_ID_MAX)) text[0] = 0;
            ptrs[k] = text;
        }
        text += STIX_ID_MAX;
        k++;
    }
    lq->ids = q->n_ids ? ptrs : q->ids;
    *buf = b;
    return 0;
}

/* The prepared statement for q's shape, built and prepared on the shape's first use; NULL (err
 * set) on failure. */
static sqlite3_stmt *query_stmt(store *s, const store_query *q, enlace_err *err) {
    query_shape k;
    memset(&k, 0, sizeof k);
    k.version_flags = q->version_flags;
    k.n_ids = (uint32_t)q->n_ids;
    k.n_types = (uint32_t)q->n_types;
    k.n_spec = (uint32_t)q->n_spec;
    k.n_version_keys = (uint32_t)q->n_version_keys;
    k.object_id = q->object_id != NULL;
    k.both_specs = spec_has(q, "2.0") && spec_has(q, "2.1");
    k.used = 1;
    for (unsigned i = 0; i < SHAPES_N; i++)
        if (s->shapes[i].st && memcmp(&s->shapes[i].key, &k, sizeof k) == 0) return s->shapes[i].st;
    enlace_buf sql = ENLACE_BUF_INIT;
    enlace_buf_puts(&sql, "SELECT id, type, spec_version, version, date_added, body, orig_org, "
                          "orig_party, rowid FROM object");
    /* one id (or a few): probe object_key rather than walk the collection in date order */
    if (q->object_id || q->n_ids) enlace_buf_puts(&sql, " INDEXED BY object_key");
    build_where(&sql, q, 0);
    enlace_buf_puts(&sql, " ORDER BY date_added LIMIT ?3");
    if (sql.oom) {
        enlace_buf_free(&sql);
        enlace_err_set(err, ENLACE_ENOMEM, "store: out of memory");
        return NULL;
    }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(s->db, sql.p, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    enlace_buf_free(&sql);
    if (rc != SQLITE_OK) {
        db_fail(s, err, "prepare query");
        return NULL;
    }
    /* recycle round robin, never a statement that is running (a row callback may query) */
    unsigned slot = s->snext++ % SHAPES_N;
    for (unsigned tries = 0; tries < SHAPES_N && s->shapes[slot].st && sqlite3_stmt_busy(s->shapes[slot].st);
         tries++)
        slot = s->snext++ % SHAPES_N;
    sqlite3_finalize(s->shapes[slot].st);
    s->shapes[slot].key = k;
    s->shapes[slot].st = st;
    return st;
}

static int query_objects(store *s, const store_query *q, store_row_fn fn, void *ctx, int *more,
                         enlace_err *err);

int store_query_objects(store *s, const store_query *q, store_row_fn fn, void *ctx, int *more,
                        enlace_err *err) {
    if (!s || !q || !fn || !more) return enlace_err_set(err, ENLACE_EINVAL, "store: bad query");
    if (!q->principal) return enlace_err_set(err, ENLACE_EINVAL, "store: a read needs a principal");
    if (q->limit == 0) return enlace_err_set(err, ENLACE_EINVAL, "store: limit must be > 0");
    *more = 0;
    if (!q->object_id && !q->n_ids) return query_objects(s, q, fn, ctx, more, err);
    store_query lq;
    char *buf = NULL;
    int code = query_lower(q, &lq, &buf, err);
    if (!code) code = query_objects(s, &lq, fn, ctx, more, err);
    free(buf);
    return code;
}

static int query_objects(store *s, const store_query *q, store_row_fn fn, void *ctx, int *more,
                         enlace_err *err) {
    int code = 0;
    sqlite3_stmt *st = query_stmt(s, q, err);
    if (!st) return err ? err->code : ENLACE_EIO;
    sqlite3_bind_int64(st, 1, q->coll_rowid);
    sqlite3_bind_int64(st, 2, q->after_us);
    sqlite3_bind_int64(st, 3, q->limit >= (size_t)INT64_MAX ? INT64_MAX : (int64_t)q->limit + 1);
    if (q->object_id) sqlite3_bind_text(st, 4, q->object_id, -1, SQLITE_STATIC);
    store_bind_principal(st, q->principal);
    if (bind_lists(st, q, 0)) {
        stmt_done(st);
        return enlace_err_set(err, ENLACE_EINVAL, "store: NULL entry in a filter list");
    }
    size_t delivered = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (delivered == q->limit) {
            *more = 1;
            break;
        }
        store_row r = {
            .id = (const char *)sqlite3_column_text(st, 0),
            .type = (const char *)sqlite3_column_text(st, 1),
            .spec_version = (const char *)sqlite3_column_text(st, 2),
            .version = (const char *)sqlite3_column_text(st, 3),
            .date_added = sqlite3_column_int64(st, 4),
            .body = (const char *)sqlite3_column_text(st, 5),
            .orig_org = sqlite3_column_int64(st, 6),
            .orig_party = (const char *)sqlite3_column_text(st, 7),
            .rowid = sqlite3_column_int64(st, 8),
        };
        r.body_len = (size_t)sqlite3_column_bytes(st, 5);
        delivered++;
        if (fn(ctx, &r) != 0) {
            code = enlace_err_set(err, ENLACE_EIO, "store: query stopped by its consumer");
            break;
        }
    }
    if (!code && rc != SQLITE_ROW && rc != SQLITE_DONE) code = db_fail(s, err, "query");
    stmt_done(st);
    return code;
}

/* Bind what a delete statement built by build_where needs (coll, id, principal, lists). */
static int bind_delete(sqlite3_stmt *st, const store_query *q) {
    sqlite3_bind_int64(st, 1, q->coll_rowid);
    sqlite3_bind_text(st, 4, q->object_id, -1, SQLITE_STATIC);
    store_bind_principal(st, q->principal);
    return bind_lists(st, q, 1);
}

static int delete_object(store *s, const store_query *q, size_t *n_deleted, enlace_err *err);

int store_delete_object(store *s, const store_query *q, size_t *n_deleted, enlace_err *err) {
    if (!s || !q || !q->object_id || !n_deleted)
        return enlace_err_set(err, ENLACE_EINVAL, "store: delete needs an object id");
    if (!q->principal) return enlace_err_set(err, ENLACE_EINVAL, "store: a delete needs a principal");
    *n_deleted = 0;
    store_query lq;
    char *buf = NULL;
    int code = query_lower(q, &lq, &buf, err);
    if (!code) code = delete_object(s, &lq, n_deleted, err);
    free(buf);
    return code;
}

static int tombstone_if_gone(store *s, const char *id, int64_t orig_org, int64_t now_us, enlace_err *err);

static int delete_object(store *s, const store_query *q, size_t *n_deleted, enlace_err *err) {
    int code;
    /* First what the principal sees of the matched versions (a version it may not see is not
     * there for it: 404, its existence never leaks), then whether it originated them (only the
     * originator deletes: 403), then the delete itself, all in one write transaction. */
    enlace_buf sel = ENLACE_BUF_INIT, del = ENLACE_BUF_INIT;
    enlace_buf_puts(&sel, "SELECT count(*), min(orig_org) FROM object");
    build_where(&sel, q, 1);
    enlace_buf_puts(&del, "DELETE FROM object");
    build_where(&del, q, 1);
    if (sel.oom || del.oom) {
        enlace_buf_free(&sel);
        enlace_buf_free(&del);
        return enlace_err_set(err, ENLACE_ENOMEM, "store: out of memory");
    }
    if ((code = tx_begin(s, err))) {
        enlace_buf_free(&sel);
        enlace_buf_free(&del);
        return code;
    }
    sqlite3_stmt *st = qstmt(s, sel.p, err);
    enlace_buf_free(&sel);
    if (!st) {
        enlace_buf_free(&del);
        tx_rollback(s);
        return err ? err->code : ENLACE_EIO;
    }
    if (bind_delete(st, q)) {
        stmt_done(st);
        enlace_buf_free(&del);
        tx_rollback(s);
        return enlace_err_set(err, ENLACE_EINVAL, "store: NULL entry in a filter list");
    }
    int rc = sqlite3_step(st);
    int64_t seen = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    int64_t orig = rc == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
    if (rc != SQLITE_ROW) code = db_fail(s, err, "delete");
    stmt_done(st);
    if (!code && seen == 0)
        code = enlace_err_set(err, ENLACE_ENOTFOUND, "store: no matching version of %s", q->object_id);
    if (!code && orig != q->principal->org)
        code = enlace_err_set(err, ENLACE_EDENIED, "store: only the originator of %s deletes it", q->object_id);
    if (code) {
        enlace_buf_free(&del);
        tx_rollback(s);
        return code;
    }
    st = qstmt(s, del.p, err);
    enlace_buf_free(&del);
    if (!st) {
        tx_rollback(s);
        return err ? err->code : ENLACE_EIO;
    }
    bind_delete(st, q);
    if ((code = step_done(s, st, "delete", err))) {
        tx_rollback(s);
        return code;
    }
    size_t n = (size_t)sqlite3_changes(s->db);
    st = stmt(s, ST_OBJ_FLAGS, err);
    if (!st) {
        tx_rollback(s);
        return ENLACE_EIO;
    }
    sqlite3_bind_int64(st, 1, q->coll_rowid);
    sqlite3_bind_text(st, 2, q->object_id, -1, SQLITE_STATIC);
    if ((code = step_done(s, st, "version flags", err)) ||
        (code = refresh_latest(s, q->object_id, err)) ||
        (code = tombstone_if_gone(s, q->object_id, orig, q->principal->now_us, err)) ||
        (code = store_withdrawal_bump(s, q->coll_rowid, q->object_id, err)) || (code = tx_commit(s, err))) {
        tx_rollback(s);
        return code;
    }
    *n_deleted = n;
    return 0;
}

/* Issue 5: a deleted id leaves a tombstone, like a purged one, once no version of it is left
 * on the node (any collection), so that no partner's copy brings it back. */
static int tombstone_if_gone(store *s, const char *id, int64_t orig_org, int64_t now_us, enlace_err *err) {
    if (stix_marking_tlp_of_id(id) != STIX_TLP_NONE) return 0;  /* owned by nobody: no tombstone */
    sqlite3_stmt *st = store_cached_stmt(s, "SELECT 1 FROM object WHERE id = ?1 LIMIT 1", err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    stmt_done(st);
    if (rc == SQLITE_ROW) return 0;
    if (rc != SQLITE_DONE) return db_fail(s, err, "tombstone check");
    st = store_cached_stmt(s, "INSERT OR REPLACE INTO tombstone(id, org, party, purged_us, by_who) "
                              "SELECT ?1, ?2, ifnull((SELECT party FROM org WHERE rowid = ?2), ''), ?3, 'delete'",
                           err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, orig_org);
    sqlite3_bind_int64(st, 3, now_us);
    return step_done(s, st, "tombstone", err);
}

/* internal.h */
int store_withdrawal_bump(store *s, int64_t coll_rowid, const char *id, enlace_err *err) {
    sqlite3_stmt *st;
    int code = 0;
    if (coll_rowid > 0) {
        st = store_cached_stmt(s, "INSERT INTO withdrawal(coll, n) VALUES (?1, 1) "
                                  "ON CONFLICT(coll) DO UPDATE SET n = n + 1", err);
        if (!st) return ENLACE_EIO;
        sqlite3_bind_int64(st, 1, coll_rowid);
        if ((code = step_done(s, st, "withdrawal count", err))) return code;
    }
    if (id) {
        /* object_key (coll, id, ...) probed per collection */
        st = store_cached_stmt(s, "INSERT INTO withdrawal(coll, n) SELECT DISTINCT coll, 1 FROM object "
                                  "WHERE coll IN (SELECT rowid FROM collection) AND id = ?1 AND coll <> ?2 "
                                  "ON CONFLICT(coll) DO UPDATE SET n = n + 1", err);
        if (!st) return ENLACE_EIO;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, coll_rowid);
        code = step_done(s, st, "withdrawal count", err);
    }
    return code;
}

/* internal.h: after versions of id were removed from coll inside an open transaction (a
 * mirror's sweep), recompute the id's version flags there and its latest markings node-wide,
 * as delete_object does. */
int store_object_fix_removed(store *s, int64_t coll_rowid, const char *id, enlace_err *err) {
    sqlite3_stmt *st = stmt(s, ST_OBJ_FLAGS, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_int64(st, 1, coll_rowid);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    int code = step_done(s, st, "version flags", err);
    /* the collections still holding id may serve other latest markings now: a withdrawal there */
    if (!code) code = store_withdrawal_bump(s, 0, id, err);
    return code ? code : refresh_latest(s, id, err);
}

int store_count_objects(store *s, int64_t coll_rowid, int64_t *count, enlace_err *err) {
    if (!s || !count) return enlace_err_set(err, ENLACE_EINVAL, "store: bad count");
    sqlite3_stmt *st = stmt(s, ST_OBJ_COUNT, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_int64(st, 1, coll_rowid);
    int rc = sqlite3_step(st), code = 0;
    if (rc == SQLITE_ROW) *count = sqlite3_column_int64(st, 0);
    else code = db_fail(s, err, "count");
    stmt_done(st);
    return code;
}

/* ---- status resources ---------------------------------------------------------------------- */

int store_status_put(store *s, const char *status_id, int64_t user_rowid, const char *json,
                     int64_t now_us, enlace_err *err) {
    if (!s || !status_id || !json) return enlace_err_set(err, ENLACE_EINVAL, "store: bad status put");
    sqlite3_stmt *st = stmt(s, ST_STATUS_PUT, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, status_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, user_rowid);
    sqlite3_bind_text(st, 3, json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now_us);
    return step_done(s, st, "status put", err);
}

int store_status_get(store *s, const char *status_id, int64_t user_rowid, int64_t now_us,
                     int64_t max_age_us, char **json, enlace_err *err) {
    if (!s || !status_id || !json) return enlace_err_set(err, ENLACE_EINVAL, "store: bad status get");
    *json = NULL;
    sqlite3_stmt *st = stmt(s, ST_STATUS_GET, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, status_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, user_rowid);
    sqlite3_bind_int64(st, 3, now_us - max_age_us);
    int rc = sqlite3_step(st), code = 0;
    if (rc == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        *json = strdup(t ? t : "");
        if (!*json) code = enlace_err_set(err, ENLACE_ENOMEM, "store: out of memory");
    } else if (rc == SQLITE_DONE) {
        code = enlace_err_set(err, ENLACE_ENOTFOUND, "store: no status %s", status_id);
    } else {
        code = db_fail(s, err, "status get");
    }
    stmt_done(st);
    return code;
}

int store_status_purge(store *s, int64_t older_than_us, enlace_err *err) {
    if (!s) return enlace_err_set(err, ENLACE_EINVAL, "store: no store");
    sqlite3_stmt *st = stmt(s, ST_STATUS_PURGE, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_int64(st, 1, older_than_us);
    return step_done(s, st, "status purge", err);
}
