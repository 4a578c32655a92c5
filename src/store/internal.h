/* internal.h - for store module files other than sqlite.c (audit.c): the connection's SQLite
 * handle, its statement cache and transaction helpers. Not part of the store interface. */
#ifndef ENLACE_STORE_INTERNAL_H
#define ENLACE_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store/store.h"
#include "util/err.h"

/* The connection's SQLite handle (owned by the store). */
sqlite3 *store_sqlite(store *s);
/* A prepared statement for sql from the connection's cache (kept for its life; the caller
 * resets it after use with sqlite3_reset + sqlite3_clear_bindings). NULL with err set on
 * failure. A row callback must not run a statement of the same text on the same store. */
sqlite3_stmt *store_cached_stmt(store *s, const char *sql, enlace_err *err);
/* err from the connection's last SQLite error: ENLACE_EBUSY when locked, else ENLACE_EIO. */
int store_sqlite_fail(store *s, enlace_err *err, const char *what);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK (rollback only when a transaction is open). */
int store_tx_begin(store *s, enlace_err *err);
int store_tx_commit(store *s, enlace_err *err);
void store_tx_rollback(store *s);

#endif
