/* review.c - retention review and purge (issue 3 must-have 4): objects whose latest version
 * carries a review_by date, their removal, and the tombstones that keep purged ids out. */
#include <stdlib.h>
#include <string.h>

#include "stix/id.h"
#include "store/internal.h"
#include "store/store.h"

/* The objects (one row per collection holding the id) whose latest version ON THE NODE has a
 * review date before ?1: l_review_by is that version's, copied onto every row of the id, so a
 * stale older version in another collection is never due by itself (F8). object_review (a
 * partial index holding only such rows) drives it, oldest date first. */
#define REVIEW_SQL \
    "SELECT o.id, o.type, c.id, ifnull(g.name, ''), o.orig_party, o.l_review_by " \
    "FROM object o INDEXED BY object_review JOIN collection c ON c.rowid = o.coll " \
    "LEFT JOIN org g ON g.rowid = o.orig_org " \
    "WHERE o.l_review_by > 0 AND o.is_top_spec = 1 AND o.is_last_s = 1 AND o.l_review_by < ?1 " \
    "ORDER BY o.l_review_by, o.id, c.rowid"

static void review_fill(sqlite3_stmt *st, void *e) {
    store_review_item *r = e;
    memset(r, 0, sizeof *r);
    store_col_copy(r->id, sizeof r->id, st, 0);
    store_col_copy(r->type, sizeof r->type, st, 1);
    store_col_copy(r->coll_id, sizeof r->coll_id, st, 2);
    store_col_copy(r->orig_org, sizeof r->orig_org, st, 3);
    store_col_copy(r->orig_party, sizeof r->orig_party, st, 4);
    r->review_by_us = sqlite3_column_int64(st, 5);
}

int store_review_list(store *s, int64_t until_us, store_review_item **out, size_t *n,
                      enlace_err *err) {
    if (!s || !out || !n) return enlace_err_set(err, ENLACE_EINVAL, "store: bad review list");
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = store_cached_stmt(s, REVIEW_SQL, err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_int64(st, 1, until_us);
    return store_collect_rows(s, st, sizeof **out, review_fill, (void **)out, n, "review list", err);
}

/* One id to purge and its originator (for the tombstone). */
typedef struct purge_item {
    char id[STORE_ID_MAX];
    int64_t org;
    char party[POLICY_PARTY_LEN];
} purge_item;

static void purge_fill(sqlite3_stmt *st, void *e) {
    purge_item *p = e;
    memset(p, 0, sizeof *p);
    store_col_copy(p->id, sizeof p->id, st, 0);
    p->org = sqlite3_column_int64(st, 1);
    store_col_copy(p->party, sizeof p->party, st, 2);
}

/* Append id and a NUL to the growing buffer *b (len *len, capacity *cap). */
static int append_id(char **b, size_t *len, size_t *cap, const char *id) {
    size_t need = strlen(id) + 1;
    if (*len + need > *cap) {
        size_t ncap = *cap ? *cap * 2 : 256;
        while (ncap < *len + need) ncap *= 2;
        char *p = realloc(*b, ncap);
        if (!p) return -1;
        *b = p;
        *cap = ncap;
    }
    memcpy(*b + *len, id, need);
    *len += need;
    return 0;
}

int store_purge_due(store *s, int64_t now_us, const char *by, size_t *n_purged, char **ids_out,
                    size_t *ids_len, enlace_err *err) {
    if (!s || !n_purged || !by) return enlace_err_set(err, ENLACE_EINVAL, "store: bad purge");
    *n_purged = 0;
    if (ids_out) *ids_out = NULL;
    if (ids_len) *ids_len = 0;
    int code = store_tx_begin(s, err);
    if (code) return code;
    purge_item *items = NULL;
    size_t n = 0;
    char *ids = NULL;
    size_t len = 0, cap = 0;
    sqlite3_stmt *st = store_cached_stmt(
        s, "SELECT DISTINCT o.id, o.orig_org, o.orig_party FROM object o INDEXED BY object_review "
           "WHERE o.l_review_by > 0 AND o.is_top_spec = 1 AND o.is_last_s = 1 AND o.l_review_by < ?1 "
           "ORDER BY o.id", err);
    if (!st) goto io;
    sqlite3_bind_int64(st, 1, now_us);
    if ((code = store_collect_rows(s, st, sizeof *items, purge_fill, (void **)&items, &n, "purge", err)))
        goto fail;
    for (size_t i = 0; i < n; i++) {
        if (i && strcmp(items[i].id, items[i - 1].id) == 0) continue; /* due in two collections */
        /* every collection holding it saw a withdrawal; then every version in every collection:
         * object_key (coll, id, ...) probed per collection */
        if ((code = store_withdrawal_bump(s, 0, items[i].id, err))) goto fail;
        st = store_cached_stmt(s, "DELETE FROM object WHERE coll IN (SELECT rowid FROM collection) AND id = ?1", err);
        if (!st) goto io;
        sqlite3_bind_text(st, 1, items[i].id, -1, SQLITE_STATIC);
        if ((code = store_step_done(s, st, "purge", err))) goto fail;
        st = store_cached_stmt(s, "DELETE FROM origin WHERE id = ?1", err);
        if (!st) goto io;
        sqlite3_bind_text(st, 1, items[i].id, -1, SQLITE_STATIC);
        if ((code = store_step_done(s, st, "purge", err))) goto fail;
        st = store_cached_stmt(s, "INSERT OR REPLACE INTO tombstone(id, org, party, purged_us, by_who) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5)", err);
        if (!st) goto io;
        sqlite3_bind_text(st, 1, items[i].id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, items[i].org);
        sqlite3_bind_text(st, 3, items[i].party, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, now_us);
        sqlite3_bind_text(st, 5, by, -1, SQLITE_STATIC);
        if ((code = store_step_done(s, st, "tombstone", err))) goto fail;
        if (ids_out && append_id(&ids, &len, &cap, items[i].id)) {
            code = enlace_err_set(err, ENLACE_ENOMEM, "store: out of memory");
            goto fail;
        }
        (*n_purged)++;
    }
    if ((code = store_tx_commit(s, err))) goto fail;
    free(items);
    if (ids_out) *ids_out = ids;
    if (ids_len) *ids_len = len;
    return 0;
io:
    code = ENLACE_EIO;
fail:
    store_tx_rollback(s);
    free(items);
    free(ids);
    *n_purged = 0;
    return code;
}

int store_is_tombstoned(store *s, const char *id, int *yes, enlace_err *err) {
    if (!s || !id || !yes) return enlace_err_set(err, ENLACE_EINVAL, "store: bad tombstone lookup");
    *yes = 0;
    char lid[STIX_ID_MAX];
    if (store_id_lower(id, lid, sizeof lid)) return 0; /* too long to be stored */
    sqlite3_stmt *st = store_cached_stmt(s, "SELECT 1 FROM tombstone WHERE id = ?1", err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, lid, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), code = 0;
    if (rc == SQLITE_ROW) *yes = 1;
    else if (rc != SQLITE_DONE) code = store_sqlite_fail(s, err, "tombstone lookup");
    store_stmt_done(st);
    return code;
}
