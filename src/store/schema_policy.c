/* schema_policy.c - migration step 3 (issue 3, originator control): parties, organizations,
 * vettings, agreements, users' organizations and roles, per-id originators, object markings
 * as indexed columns, tombstones. */
#include "store/migrate.h"

/* Upgrading an issue-2 store (meta holds party, org, identity_id, identity_json from `enlace
 * init`): the node's party and organization rows are made from meta; every existing user joins
 * that organization with the roles its old `role` text named ('admin' -> admin, anything else
 * -> analyst, the only other issue-2 role); every existing object gets that organization as
 * originator. Existing objects are NOT re-read for markings: their tlp is NULL (unmarked), so
 * they are AMBER unless their collection sets a default TLP, i.e. visible to the node's own
 * party only and to no partner. Issue 2 had only the node's own users, so nobody loses access
 * they had; an operator who wants them shared re-posts them or sets a collection default.
 *
 * Node-wide:
 *   party(code)            every party known here; the node's own is meta "party"
 *   org(rowid)             organizations (STIX identities); the node's own is the one whose
 *                          identity_id is meta "identity_id" (computed, so `init` may write
 *                          meta and rows in any order)
 *   vetting(org, by_party) party by_party vets organization org until until_us (exclusive)
 *   agreement(party, coll) party may pull coll, up to max_tlp
 *   origin(id)             each id's originator, fixed by its first version (in any collection)
 *   tombstone(id)          purged ids (never taken in again) and the purge record
 *   marking_tlp(id)        marking-definitions seen that define a TLP level (custom ids)
 * Per object version (row of `object`):
 *   orig_org, orig_party   copy of origin (constant per id) so the predicate reads one row
 *   tlp                    canonical TLP (0..4), NULL when the version carries none
 *   rel_to, rel_orgs       comma-framed lists (",MX,US,"), NULL when absent
 *   orcon, vetted_only, review_by (microseconds, 0 = none)
 *   l_tlp .. l_review      the same six for the id's latest version in the collection (the row
 *                          with is_top_spec = 1 AND is_last_s = 1), copied onto every version
 *                          of the id once per envelope (and after a delete), so that "a version
 *                          is visible only when it and the latest are" needs no join. */
const char STORE_MIGRATION_POLICY[] =
    "CREATE TABLE party ("
    "  code TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL DEFAULT ''"
    ") WITHOUT ROWID;"

    "CREATE TABLE org ("
    "  rowid         INTEGER PRIMARY KEY,"
    "  identity_id   TEXT NOT NULL UNIQUE,"
    "  name          TEXT NOT NULL UNIQUE,"
    "  party         TEXT NOT NULL REFERENCES party(code),"
    "  vouched       INTEGER NOT NULL DEFAULT 0,"
    "  identity_json TEXT NOT NULL DEFAULT '',"
    "  created_us    INTEGER NOT NULL"
    ");"
    "CREATE INDEX org_party ON org(party);"

    "CREATE TABLE vetting ("
    "  org        INTEGER NOT NULL REFERENCES org(rowid) ON DELETE CASCADE,"
    "  by_party   TEXT NOT NULL REFERENCES party(code),"
    "  until_us   INTEGER NOT NULL,"
    "  created_us INTEGER NOT NULL,"
    "  PRIMARY KEY (org, by_party)"
    ") WITHOUT ROWID;"

    "CREATE TABLE agreement ("
    "  party      TEXT NOT NULL REFERENCES party(code),"
    "  coll       INTEGER NOT NULL REFERENCES collection(rowid) ON DELETE CASCADE,"
    "  max_tlp    INTEGER NOT NULL,"
    "  created_us INTEGER NOT NULL,"
    "  PRIMARY KEY (party, coll)"
    ") WITHOUT ROWID;"

    "CREATE TABLE origin ("
    "  id         TEXT PRIMARY KEY,"
    "  org        INTEGER NOT NULL,"
    "  party      TEXT NOT NULL,"
    "  created_us INTEGER NOT NULL"
    ") WITHOUT ROWID;"

    "CREATE TABLE tombstone ("
    "  id        TEXT PRIMARY KEY,"
    "  org       INTEGER NOT NULL,"
    "  party     TEXT NOT NULL,"
    "  purged_us INTEGER NOT NULL,"
    "  by_who    TEXT NOT NULL"
    ") WITHOUT ROWID;"

    "CREATE TABLE marking_tlp ("
    "  id  TEXT PRIMARY KEY,"
    "  tlp INTEGER NOT NULL"
    ") WITHOUT ROWID;"

    "ALTER TABLE collection ADD COLUMN default_tlp INTEGER NOT NULL DEFAULT -1;"

    /* the node's own party and organization, from what `enlace init` wrote in meta */
    "INSERT INTO party(code) SELECT value FROM meta WHERE key = 'party';"
    "INSERT INTO org(identity_id, name, party, vouched, identity_json, created_us) "
    "  SELECT i.value, o.value, p.value, 1, ifnull((SELECT value FROM meta WHERE key = 'identity_json'), ''),"
    "         CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)"
    "  FROM meta i, meta o, meta p"
    "  WHERE i.key = 'identity_id' AND o.key = 'org' AND p.key = 'party';"

    /* users: the old free-text role and organization name become a role mask and an org row */
    "ALTER TABLE user ADD COLUMN roles INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE user ADD COLUMN org_rowid INTEGER REFERENCES org(rowid);"
    "UPDATE user SET roles = CASE role WHEN 'admin' THEN 8 ELSE 1 END,"
    "  org_rowid = (SELECT rowid FROM org WHERE identity_id = "
    "               (SELECT value FROM meta WHERE key = 'identity_id'));"
    "ALTER TABLE user DROP COLUMN role;"
    "ALTER TABLE user DROP COLUMN org;"
    "ALTER TABLE user RENAME COLUMN org_rowid TO org;"

    /* objects: originator and markings */
    "ALTER TABLE object ADD COLUMN orig_org INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE object ADD COLUMN orig_party TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE object ADD COLUMN tlp INTEGER;"
    "ALTER TABLE object ADD COLUMN rel_to TEXT;"
    "ALTER TABLE object ADD COLUMN rel_orgs TEXT;"
    "ALTER TABLE object ADD COLUMN orcon INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE object ADD COLUMN vetted_only INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE object ADD COLUMN review_by INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE object ADD COLUMN l_tlp INTEGER;"
    "ALTER TABLE object ADD COLUMN l_rel_to TEXT;"
    "ALTER TABLE object ADD COLUMN l_rel_orgs TEXT;"
    "ALTER TABLE object ADD COLUMN l_orcon INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE object ADD COLUMN l_vetted_only INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE object ADD COLUMN l_review_by INTEGER NOT NULL DEFAULT 0;"
    "UPDATE object SET"
    "  orig_org = ifnull((SELECT rowid FROM org WHERE identity_id = "
    "                     (SELECT value FROM meta WHERE key = 'identity_id')), 0),"
    "  orig_party = ifnull((SELECT value FROM meta WHERE key = 'party'), '');"
    "INSERT INTO origin(id, org, party, created_us)"
    "  SELECT id, min(orig_org), min(orig_party), min(date_added) FROM object GROUP BY id;"
    /* `enlace review` and `enlace purge`: the latest versions that carry a review date */
    "CREATE INDEX object_review ON object(review_by) "
    "  WHERE review_by > 0 AND is_top_spec = 1 AND is_last_s = 1;";
