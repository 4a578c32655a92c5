/* migrate.h - internal to the SQLite store: numbered schema migrations (PRAGMA user_version). */
#ifndef ENLACE_STORE_MIGRATE_H
#define ENLACE_STORE_MIGRATE_H

#include <sqlite3.h>

#include "util/err.h"

/* Bring db's schema up to STORE_SCHEMA_VERSION by applying, in order, every numbered migration
 * step above the file's PRAGMA user_version; each step and its user_version bump commit in one
 * BEGIN IMMEDIATE transaction, so a crash leaves the store at a whole step and two processes
 * opening the same file at once do not both apply a step (the version is re-read under the
 * write lock). Returns 0, ENLACE_EVERSION when the file's user_version is higher than this build
 * knows (the store was written by a newer enlace; nothing is changed), or ENLACE_EIO. */
int store_migrate(sqlite3 *db, enlace_err *err);

/* The SQL of migration steps kept in their own files (several statements each). */
extern const char STORE_MIGRATION_POLICY[];  /* step 3, schema_policy.c */
extern const char STORE_MIGRATION_AUDIT[];   /* step 4, schema_audit.c */
extern const char STORE_MIGRATION_FED[];     /* step 5, schema_fed.c */

/* Step 3's C part, run after its SQL in the same transaction (schema_policy.c): re-reads every
 * stored body for its markings (F11). Returns an SQLite result code. */
int store_migration_policy_after(sqlite3 *db);

#endif
