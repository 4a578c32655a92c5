/* internal.h - for store module files other than sqlite.c (audit.c, org.c, review.c): the
 * connection's SQLite handle, its statement cache, transaction and row helpers, and the node's
 * own party and organization. Not part of the store interface. */
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
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK (rollback only when a transaction is open). They nest:
 * store calls made between store_tx_begin and store_tx_commit join that one transaction (their
 * own begin/commit only count), so a caller can commit several calls and an audit leaf at once;
 * an inner rollback ends the whole transaction and the outer commit then fails. */
int store_tx_begin(store *s, enlace_err *err);
int store_tx_commit(store *s, enlace_err *err);
void store_tx_rollback(store *s);

/* Step a bound statement expected to finish without rows; resets it. 0 or an error (what
 * names the operation in the message). */
int store_step_done(store *s, sqlite3_stmt *st, const char *what, enlace_err *err);
/* Reset a statement and clear its bindings (NULL is fine). */
void store_stmt_done(sqlite3_stmt *st);
/* Copy a text column into a fixed buffer of n bytes, truncating; "" for NULL. */
void store_col_copy(char *dst, size_t n, sqlite3_stmt *st, int col);
/* Step a bound statement to its end, filling a malloc'd array of elem_size entries with fill
 * (one per row). *out (free()) and *n are set on success; resets the statement. */
typedef void (*store_row_fill_fn)(sqlite3_stmt *st, void *elem);
int store_collect_rows(store *s, sqlite3_stmt *st, size_t elem_size, store_row_fill_fn fill,
                       void **out, size_t *n, const char *what, enlace_err *err);

/* enlace keys identifiers (object ids, origin and tombstone keys, organization identities,
 * marking references) in lower case (RFC 4122 section 3: UUIDs are read in either case); the
 * stored body stays as received. Copies id lower-cased into out (n bytes); -1 when it does not
 * fit (out is then ""). sqlite.c. */
int store_id_lower(const char *id, char *out, size_t n);

/* After versions of id (lower case) were removed from collection coll_rowid inside an open
 * transaction: recompute the id's version flags in that collection and copy its latest
 * markings node-wide again (what store_delete_object does after its DELETE). sqlite.c; used by
 * the mirror sweep (mirror.c). */
int store_object_fix_removed(store *s, int64_t coll_rowid, const char *id, enlace_err *err);

/* Count one withdrawal (table withdrawal, inside the caller's write transaction) in collection
 * coll_rowid (> 0) and, when id (lower case) is not NULL, in every collection holding a version
 * of id: objects deleted, purged or swept, or an id's latest markings changed -- anything that
 * may narrow what a partner was served before. The policy epoch (store_policy_epoch) of a
 * partner includes the counts of the collections under its agreements, so its pullers restart
 * and sweep what they may no longer hold (issue 5 must-have 1). sqlite.c. */
int store_withdrawal_bump(store *s, int64_t coll_rowid, const char *id, enlace_err *err);

/* *yes = 1 when identity id lid (lower case) is one a pinned partner's node organization may
 * take (derived from its key: partner.c key_identity, every variant), whether or not it took
 * it: a partner's directory must not claim it (trust.c). */
int store_node_identity_reserved(store *s, const char *lid, int *yes, enlace_err *err);

/* The node's own party (meta "party") into party (POLICY_PARTY_LEN bytes, "" when unset) and
 * its own organization's rowid (the org whose identity_id is meta "identity_id"; 0 when
 * none). org.c. */
int store_self(store *s, char party[POLICY_PARTY_LEN], int64_t *org_rowid, enlace_err *err);

/* The predicate's SQL function (org.c): enlace_visible(principal, default_tlp, agreement_max,
 * orig_org, orig_party, tlp, rel_to, rel_orgs, orcon, vetted_only, review_by, l_tlp, l_rel_to,
 * l_rel_orgs, l_orcon, l_vetted_only, l_review_by) -> 1 when policy_visible allows the version,
 * else 0. default_tlp is the collection's (-1 none) and agreement_max the principal's party's
 * agreement on it (NULL: none): the policy_context, read by the query itself (STORE_VISIBLE_CTX,
 * uncorrelated subqueries SQLite runs once per statement execution), so it comes from the same
 * snapshot as the rows. The l_ columns hold the id's latest version ON THE NODE (any
 * collection, any spec version). The 11-argument form (STORE_VISIBLE_ARGS_LATEST) is only for
 * rows known to be that version (their l_ columns equal their own); the store's reads use the
 * 17-argument form, since a collection's latest row need not be the node's latest. The principal is bound with sqlite3_bind_pointer under STORE_PTR_PRINCIPAL. */
#define STORE_PTR_PRINCIPAL "enlace_principal"
/* ?1 is the collection, ?6 the principal's party. The agreement: the principal's party's on the
 * collection; or, for a mirror (issue 5), the one the partner made with THIS node's party for
 * the remote collection -- so this node's own principals count as its agreement party there
 * (rule 4: a GREEN object without releasable_to that the partner shared by agreement is theirs
 * to read), with no cap (rule 3 caps partners only; the partner applied its own cap). */
#define STORE_VISIBLE_CTX \
    "(SELECT default_tlp FROM collection WHERE rowid = ?1), " \
    "ifnull((SELECT max_tlp FROM agreement WHERE party = ?6 AND coll = ?1), " \
    "(SELECT 4 FROM mirror WHERE coll = ?1 AND ?6 = (SELECT value FROM meta WHERE key = 'party')))"
#define STORE_VISIBLE_ARGS_LATEST \
    "orig_org, orig_party, tlp, rel_to, rel_orgs, orcon, vetted_only, review_by"
#define STORE_VISIBLE_ARGS STORE_VISIBLE_ARGS_LATEST \
    ", l_tlp, l_rel_to, l_rel_orgs, l_orcon, l_vetted_only, l_review_by"
int store_register_visible(sqlite3 *db);
/* The predicate as the store's reads write it (parameters ?1 collection, ?5 principal, ?6 its
 * party, ?7 its organization, bound by store_bind_principal). Rule 1 (the originator
 * organization sees its own objects) is the SQL equality in front: the same test as
 * policy_decide's first line, for the version and the latest alike (one originator per id),
 * and SQLite then neither reads the marking columns nor calls the function for those rows —
 * the originator's reads cost what reads without a predicate cost (bench/README.md). The
 * property test in tests/unit/test_store_policy.c checks the whole expression against
 * policy_visible. */
#define STORE_VISIBLE_SQL \
    "(orig_org = ?7 OR enlace_visible(?5, " STORE_VISIBLE_CTX ", " STORE_VISIBLE_ARGS "))"
#define STORE_VISIBLE_SQL_LATEST \
    "(orig_org = ?7 OR enlace_visible(?5, " STORE_VISIBLE_CTX ", " STORE_VISIBLE_ARGS_LATEST "))"
/* Bind ?5, ?6, ?7 of STORE_VISIBLE_SQL for principal p (org.c). */
void store_bind_principal(sqlite3_stmt *st, const policy_principal *p);

#endif
