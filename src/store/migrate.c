/* migrate.c - the SQLite store's schema as numbered migration steps, applied in order. */
#include "store/migrate.h"

#include <stddef.h>
#include <stdio.h>

#include "store/store.h"

/* Step N moves a store from user_version N-1 to N. Steps are append-only: a released step is
 * never edited, a change is a new step (DESIGN.md "Storage").
 *
 * Object rows (step 1): `body` is the JSON text exactly as received; everything else is derived
 * from it so queries never parse JSON. The version flags are maintained on every insert and
 * delete for the object's (coll, id) rows (few rows), so that match[version]=last|first is an
 * index predicate (TAXII 2.1 §3.4.1):
 *   is_top_spec  row's spec_version is the highest stored for the id ("2.1" > "2.0")
 *   is_last_s / is_first_s   newest / oldest version_key among the id's rows of the same spec
 *   is_last_a / is_first_a   newest / oldest version_key among all the id's rows
 * version_key is the normalized instant of modified/created (strcmp orders it in time); for an
 * SCO without timestamps (sco_nv = 1) it is the normalized instant of the first copy's
 * date_added, and sco_nv keeps it apart from a real timestamp in the unique key.
 * date_added is microseconds, strictly increasing per collection (collection.last_added). */
static const char *const MIGRATIONS[] = {
    /* 1: initial schema */
    "CREATE TABLE meta ("
    "  key   TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL"
    ") WITHOUT ROWID;"

    "CREATE TABLE collection ("
    "  rowid       INTEGER PRIMARY KEY,"
    "  id          TEXT NOT NULL UNIQUE,"
    "  title       TEXT NOT NULL,"
    "  description TEXT NOT NULL DEFAULT '',"
    "  alias       TEXT UNIQUE,"                      /* NULL when none */
    "  last_added  INTEGER NOT NULL DEFAULT 0"        /* highest date_added handed out */
    ");"

    "CREATE TABLE user ("
    "  rowid      INTEGER PRIMARY KEY,"
    "  name       TEXT NOT NULL UNIQUE,"
    "  role       TEXT NOT NULL,"
    "  org        TEXT NOT NULL DEFAULT '',"
    "  pw_hash    TEXT NOT NULL DEFAULT '',"
    "  disabled   INTEGER NOT NULL DEFAULT 0,"
    "  created_us INTEGER NOT NULL"
    ");"

    "CREATE TABLE grants ("
    "  user      INTEGER NOT NULL REFERENCES user(rowid) ON DELETE CASCADE,"
    "  coll      INTEGER NOT NULL REFERENCES collection(rowid) ON DELETE CASCADE,"
    "  can_read  INTEGER NOT NULL,"
    "  can_write INTEGER NOT NULL,"
    "  PRIMARY KEY (user, coll)"
    ") WITHOUT ROWID;"
    "CREATE INDEX grants_coll ON grants(coll);"

    "CREATE TABLE token ("
    "  rowid      INTEGER PRIMARY KEY,"
    "  sha256     BLOB NOT NULL UNIQUE,"
    "  token_id   TEXT NOT NULL UNIQUE,"
    "  user       INTEGER NOT NULL REFERENCES user(rowid) ON DELETE CASCADE,"
    "  created_us INTEGER NOT NULL,"
    "  revoked    INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX token_user ON token(user);"

    "CREATE TABLE status ("
    "  id         TEXT PRIMARY KEY,"
    "  user       INTEGER NOT NULL,"
    "  json       TEXT NOT NULL,"
    "  created_us INTEGER NOT NULL"
    ");"
    "CREATE INDEX status_created ON status(created_us);"

    "CREATE TABLE object ("
    "  rowid        INTEGER PRIMARY KEY,"
    "  coll         INTEGER NOT NULL REFERENCES collection(rowid) ON DELETE CASCADE,"
    "  id           TEXT NOT NULL,"
    "  type         TEXT NOT NULL,"
    "  spec_version TEXT NOT NULL,"
    "  version      TEXT NOT NULL,"
    "  version_key  TEXT NOT NULL,"
    "  sco_nv       INTEGER NOT NULL,"
    "  date_added   INTEGER NOT NULL,"
    "  is_top_spec  INTEGER NOT NULL,"
    "  is_last_s    INTEGER NOT NULL,"
    "  is_first_s   INTEGER NOT NULL,"
    "  is_last_a    INTEGER NOT NULL,"
    "  is_first_a   INTEGER NOT NULL,"
    "  body         TEXT NOT NULL"
    ");"
    /* one version per (collection, id, instant): DESIGN invariant 1; also the per-id lookup */
    "CREATE UNIQUE INDEX object_key ON object(coll, id, version_key, sco_nv);"
    /* date_added is unique per collection (invariant 2); serves match[version]=all paging */
    "CREATE UNIQUE INDEX object_added ON object(coll, date_added);"
    /* the default listing: latest version of the latest spec, in date_added order */
    "CREATE INDEX object_added_last ON object(coll, date_added)"
    "  WHERE is_top_spec = 1 AND is_last_s = 1;"
    /* match[type] on the default listing */
    "CREATE INDEX object_type_last ON object(coll, type, date_added)"
    "  WHERE is_top_spec = 1 AND is_last_s = 1;",

    /* 2: an id's newest/oldest version per spec version and its highest spec version as index
     * probes, so that adding a version costs O(log n) whatever number of versions the id has
     * (found by a tester: 10 000 versions of one id in one envelope took minutes). */
    "CREATE INDEX object_spec ON object(coll, id, spec_version, version_key);",

    /* 3: originator control (issue 3): parties, organizations, vettings, agreements, users'
     * organizations and roles, originators, markings, tombstones (schema_policy.c) */
    STORE_MIGRATION_POLICY,

    /* 4: the audit log (issue 4): leaves, Merkle subtree hashes, signed tree heads
     * (schema_audit.c) */
    STORE_MIGRATION_AUDIT,

    /* 5: federation (issue 5): partners, mirror collections, provenance (schema_fed.c) */
    STORE_MIGRATION_FED,
};

#define N_MIGRATIONS ((int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]))

/* A step's C part, run after its SQL in the same transaction (NULL: none): for what SQL alone
 * cannot do, such as re-reading stored JSON bodies. Returns an SQLite result code. */
typedef int (*migration_hook)(sqlite3 *db);
static const migration_hook HOOKS[] = {
    NULL,                           /* 1 */
    NULL,                           /* 2 */
    store_migration_policy_after,   /* 3: the markings of stored bodies */
    NULL,                           /* 4 */
    NULL,                           /* 5 */
};
_Static_assert(sizeof HOOKS / sizeof HOOKS[0] == sizeof MIGRATIONS / sizeof MIGRATIONS[0],
               "one hook entry per migration step");

_Static_assert(sizeof MIGRATIONS / sizeof MIGRATIONS[0] == STORE_SCHEMA_VERSION,
               "STORE_SCHEMA_VERSION must equal the number of migration steps");

static int user_version(sqlite3 *db, int *v) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK) return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

int store_migrate(sqlite3 *db, enlace_err *err) {
    int v = 0;
    if (user_version(db, &v) != 0)
        return enlace_err_set(err, ENLACE_EIO, "store: cannot read schema version: %s",
                              sqlite3_errmsg(db));
    if (v > N_MIGRATIONS)
        return enlace_err_set(err, ENLACE_EVERSION,
                              "store: schema version %d is newer than this enlace (%d); "
                              "upgrade enlace", v, N_MIGRATIONS);
    while (v < N_MIGRATIONS) {
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            return enlace_err_set(err, ENLACE_EIO, "store: cannot begin migration: %s",
                                  sqlite3_errmsg(db));
        /* re-read under the write lock: another process may have migrated meanwhile */
        if (user_version(db, &v) != 0) goto fail;
        if (v > N_MIGRATIONS) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return enlace_err_set(err, ENLACE_EVERSION,
                                  "store: schema version %d is newer than this enlace (%d)", v,
                                  N_MIGRATIONS);
        }
        if (v == N_MIGRATIONS) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            break;
        }
        char bump[48];
        snprintf(bump, sizeof bump, "PRAGMA user_version = %d", v + 1);
        if (sqlite3_exec(db, MIGRATIONS[v], NULL, NULL, NULL) != SQLITE_OK) goto fail;
        if (HOOKS[v] && HOOKS[v](db) != SQLITE_OK) goto fail;
        if (sqlite3_exec(db, bump, NULL, NULL, NULL) != SQLITE_OK) goto fail;
        if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) goto fail;
        v++;
    }
    return 0;
fail:;
    int code = enlace_err_set(err, ENLACE_EIO, "store: migration to version %d failed: %s", v + 1,
                              sqlite3_errmsg(db));
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return code;
}
