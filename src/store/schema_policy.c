/* schema_policy.c - migration step 3 (issue 3, originator control): parties, organizations,
 * vettings, agreements, users' organizations and roles, per-id originators, object markings
 * as indexed columns, tombstones. */
#include "store/migrate.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stix/marking.h"
#include "store/internal.h"

/* Upgrading an issue-2 store (meta holds party, org, identity_id, identity_json from `enlace
 * init`): the node's party and organization rows are made from meta; an existing user whose old
 * `org` text is empty or names the node's organization (case-insensitively) joins that
 * organization with the roles its old `role` text named ('admin' -> admin, anything else ->
 * analyst, the only other issue-2 role); any other user (created with another organization's
 * name, e.g. --org DEA) keeps its roles but gets NO organization and is DISABLED, so that it
 * neither reads nor writes as the node's organization: an admin re-creates it in the right
 * organization (F12). Every existing object gets the node's organization as originator; object
 * ids are lower-cased (enlace keys ids in lower case); and every stored body is re-read
 * (store_migration_policy_after, in C, in the same transaction) for its markings: the TLP and
 * handling columns are filled as a POST would fill them, a body whose handling extension is
 * malformed (or that does not parse) is TLP:RED (fail closed) and counted in meta
 * "upgrade_unreadable_markings" (F11).
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
 *   marking_tlp(id)        every marking-definition seen, its TLP level (-1: none) and its
 *                          originator organization
 *   unresolved_ref(org, ref, obj)  a marking reference of version obj (originated by org) that
 *                          no marking-definition of org resolved when it was stored; org's
 *                          definition of ref, when it arrives, re-resolves exactly these rows
 *                          and removes them (a delete of the version removes them too)
 * Per object version (row of `object`):
 *   orig_org, orig_party   copy of origin (constant per id) so the predicate reads one row
 *   tlp                    canonical TLP (0..4), NULL when the version carries none
 *   tlp_base, unres        the TLP without the AMBER floor of unresolved references (NULL:
 *                          none) and how many references are still unresolved (tlp is
 *                          max(tlp_base, AMBER) while unres > 0, else tlp_base)
 *   rel_to, rel_orgs       comma-framed lists (",MX,US,"), NULL when absent
 *   orcon, vetted_only, review_by (microseconds, 0 = none)
 *   l_tlp .. l_review      the same six for the id's latest version on the NODE (newest version
 *                          instant in any collection and spec version; on a tie the row stored
 *                          last), copied onto every version of the id in every collection once
 *                          per envelope (and after a delete), so that "a version is visible only
 *                          when it and the latest are" needs no join. */
const char STORE_MIGRATION_POLICY[] =
    "CREATE TABLE party ("
    "  code TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL DEFAULT ''"
    ") WITHOUT ROWID;"

    "CREATE TABLE org ("
    "  rowid         INTEGER PRIMARY KEY,"
    "  identity_id   TEXT NOT NULL UNIQUE,"          /* lower case */
    "  name          TEXT NOT NULL UNIQUE COLLATE NOCASE,"
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

    /* every marking-definition seen, with its originator organization (a reference resolves only
     * for objects of the same originator); tlp -1: it defines no TLP level */
    "CREATE TABLE marking_tlp ("
    "  id  TEXT PRIMARY KEY,"
    "  tlp INTEGER NOT NULL,"
    "  org INTEGER NOT NULL"
    ") WITHOUT ROWID;"

    /* marking references still unresolved, keyed by the referencing version's originator: a
     * definition posted after the objects that use it (ATT&CK puts its statement last; a push
     * comes in batches) re-resolves them; obj_rowid finds a deleted version's rows */
    "CREATE TABLE unresolved_ref ("
    "  org INTEGER NOT NULL,"
    "  ref TEXT NOT NULL,"
    "  obj INTEGER NOT NULL,"
    "  PRIMARY KEY (org, ref, obj)"
    ") WITHOUT ROWID;"
    "CREATE INDEX unresolved_ref_obj ON unresolved_ref(obj);"

    "ALTER TABLE collection ADD COLUMN default_tlp INTEGER NOT NULL DEFAULT -1;"

    /* the node's own party and organization, from what `enlace init` wrote in meta */
    "UPDATE meta SET value = lower(value) WHERE key = 'identity_id';"
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
    "  org_rowid = CASE WHEN org = '' OR org = (SELECT value FROM meta WHERE key = 'org') COLLATE NOCASE"
    "              THEN (SELECT rowid FROM org WHERE identity_id = "
    "                    (SELECT value FROM meta WHERE key = 'identity_id')) END,"
    "  disabled = CASE WHEN org = '' OR org = (SELECT value FROM meta WHERE key = 'org') COLLATE NOCASE"
    "             THEN disabled ELSE 1 END;"
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
    "ALTER TABLE object ADD COLUMN tlp_base INTEGER;"
    "ALTER TABLE object ADD COLUMN unres INTEGER NOT NULL DEFAULT 0;"
    /* a version deleted (DELETE, purge, a collection's cascade) takes its pending references
     * along, so that no row outlives it (rowids may be reused) */
    "CREATE TRIGGER object_unresolved_del AFTER DELETE ON object WHEN old.unres > 0 BEGIN "
    "  DELETE FROM unresolved_ref WHERE obj = old.rowid; "
    "END;"
    /* ids in lower case; the version flags of ids that merged are recomputed */
    "CREATE TEMP TABLE upgrade_lc(id TEXT PRIMARY KEY) WITHOUT ROWID;"
    "INSERT OR IGNORE INTO temp.upgrade_lc SELECT lower(id) FROM object WHERE id <> lower(id);"
    "UPDATE OR IGNORE object SET id = lower(id) WHERE id <> lower(id);"
    "UPDATE object SET "
    "  is_top_spec = (spec_version = (SELECT max(o.spec_version) FROM object o "
    "     WHERE o.coll = object.coll AND o.id = object.id)), "
    "  is_last_s = (version_key = (SELECT max(o.version_key) FROM object o "
    "     WHERE o.coll = object.coll AND o.id = object.id AND o.spec_version = object.spec_version)), "
    "  is_first_s = (version_key = (SELECT min(o.version_key) FROM object o "
    "     WHERE o.coll = object.coll AND o.id = object.id AND o.spec_version = object.spec_version)), "
    "  is_last_a = (version_key = (SELECT max(o.version_key) FROM object o "
    "     WHERE o.coll = object.coll AND o.id = object.id)), "
    "  is_first_a = (version_key = (SELECT min(o.version_key) FROM object o "
    "     WHERE o.coll = object.coll AND o.id = object.id)) "
    "  WHERE id IN (SELECT id FROM temp.upgrade_lc);"
    "DROP TABLE temp.upgrade_lc;"
    "UPDATE object SET"
    "  orig_org = ifnull((SELECT rowid FROM org WHERE identity_id = "
    "                     (SELECT value FROM meta WHERE key = 'identity_id')), 0),"
    "  orig_party = ifnull((SELECT value FROM meta WHERE key = 'party'), '');"
    "INSERT INTO origin(id, org, party, created_us)"
    "  SELECT id, min(orig_org), min(orig_party), min(date_added) FROM object GROUP BY id;"
    /* an id's versions on the whole node by instant: its latest version (l_ columns) */
    "CREATE INDEX object_node ON object(id, version_key);"
    /* `enlace review` and `enlace purge`: one row per (collection, id) whose latest version on
     * the node carries a review date */
    "CREATE INDEX object_review ON object(l_review_by) "
    "  WHERE l_review_by > 0 AND is_top_spec = 1 AND is_last_s = 1;";

/* ---- step 3, in C: the markings of the bodies already stored (F11) ---------------------------- */

/* One row's markings, as put_one would store them. */
typedef struct up_marks {
    int64_t rowid;
    int tlp;                          /* STIX_TLP_NONE: SQL NULL */
    int has_rel_to, has_rel_orgs;
    char rel_to[sizeof ((stix_marking *)0)->releasable_to];
    char rel_orgs[sizeof ((stix_marking *)0)->releasable_to_orgs];
    int orcon, vetted_only;
    int64_t review_by;
    int base;                         /* tlp without the AMBER floor of unresolved refs */
    int unres;                        /* references no stored definition resolves */
    int any;                          /* 0: nothing to write (the columns' defaults) */
} up_marks;

#define UP_BATCH 256

static json_object *parse_body(const char *t, int len) {
    json_tokener *tok = json_tokener_new();
    if (!tok) return NULL;
    json_object *o = json_tokener_parse_ex(tok, t, len);
    if (json_tokener_get_error(tok) != json_tokener_success) {
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tok);
    return o;
}

int store_migration_policy_after(sqlite3 *db) {
    sqlite3_stmt *sel = NULL, *put = NULL, *get = NULL, *upd = NULL, *unr = NULL;
    int rc = SQLITE_OK;
    long bad = 0;
    up_marks *batch = calloc(UP_BATCH, sizeof *batch);
    if (!batch) return SQLITE_NOMEM;
    /* 1: every stored marking-definition, with its originator (the node's organization) */
    if ((rc = sqlite3_prepare_v2(db, "SELECT id, body, orig_org FROM object WHERE type = 'marking-definition'",
                                 -1, &sel, NULL)) ||
        (rc = sqlite3_prepare_v2(db, "INSERT INTO marking_tlp(id, tlp, org) VALUES (?1, ?2, ?3) "
                                     "ON CONFLICT(id) DO UPDATE SET tlp = max(tlp, excluded.tlp)", -1, &put, NULL)))
        goto done;
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        json_object *o = parse_body((const char *)sqlite3_column_text(sel, 1), sqlite3_column_bytes(sel, 1));
        int t = o ? stix_marking_definition_tlp(o) : STIX_TLP_NONE;
        json_object_put(o);
        sqlite3_bind_text(put, 1, (const char *)sqlite3_column_text(sel, 0), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(put, 2, t < STIX_TLP_CLEAR ? STIX_TLP_NONE : t);
        sqlite3_bind_int64(put, 3, sqlite3_column_int64(sel, 2));
        int r2 = sqlite3_step(put);
        sqlite3_reset(put);
        if (r2 != SQLITE_DONE) {
            rc = r2;
            goto done;
        }
    }
    if (rc != SQLITE_DONE) goto done;
    sqlite3_finalize(sel);
    sel = NULL;
    /* 2: each version's markings, in batches by rowid (no update under a running scan) */
    if ((rc = sqlite3_prepare_v2(db, "SELECT rowid, body, orig_org FROM object WHERE rowid > ?1 ORDER BY rowid "
                                     "LIMIT 256", -1, &sel, NULL)) ||
        (rc = sqlite3_prepare_v2(db, "SELECT tlp FROM marking_tlp WHERE id = ?1 AND org = ?2", -1, &get, NULL)) ||
        (rc = sqlite3_prepare_v2(db, "UPDATE object SET tlp = ?2, rel_to = ?3, rel_orgs = ?4, orcon = ?5, "
                                     "vetted_only = ?6, review_by = ?7, tlp_base = ?8, unres = ?9 "
                                     "WHERE rowid = ?1", -1, &upd, NULL)) ||
        (rc = sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO unresolved_ref(org, ref, obj) VALUES (?1, ?2, ?3)",
                                 -1, &unr, NULL)))
        goto done;
    int64_t after = 0;
    for (;;) {
        size_t n = 0;
        sqlite3_bind_int64(sel, 1, after);
        while ((rc = sqlite3_step(sel)) == SQLITE_ROW && n < UP_BATCH) {
            up_marks *m = &batch[n++];
            memset(m, 0, sizeof *m);
            m->rowid = sqlite3_column_int64(sel, 0);
            m->tlp = m->base = STIX_TLP_NONE;
            int64_t org = sqlite3_column_int64(sel, 2);
            json_object *o = parse_body((const char *)sqlite3_column_text(sel, 1), sqlite3_column_bytes(sel, 1));
            stix_marking mk;
            char reason[256];
            memset(&mk, 0, sizeof mk);
            if (!o || stix_marking_extract(o, &mk, reason, sizeof reason) != 0) {
                m->tlp = m->base = STIX_TLP_RED; /* fail closed: we cannot tell what its author meant */
                m->any = 1;
                bad++;
                json_object_put(o);
                continue;
            }
            json_object_put(o);
            m->base = mk.tlp;
            for (size_t i = 0; i < mk.n_unknown && i < STIX_MARKING_MAX_UNKNOWN; i++) {
                char ref[STIX_MARKING_ID_LEN];
                (void)store_id_lower(mk.unknown_refs[i], ref, sizeof ref);  /* same size: fits */
                sqlite3_bind_text(get, 1, ref, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int64(get, 2, org);
                int r2 = sqlite3_step(get);
                int t = r2 == SQLITE_ROW ? sqlite3_column_int(get, 0) : STIX_TLP_NONE;
                sqlite3_reset(get);
                if (r2 != SQLITE_ROW && r2 != SQLITE_DONE) {
                    rc = r2;
                    goto done;
                }
                if (r2 == SQLITE_ROW) {
                    if (t > m->base) m->base = t;
                    continue;
                }
                /* unresolved: AMBER at least, and pending until org's definition arrives (the
                 * rows are another table's, so the scan of object goes on undisturbed) */
                sqlite3_bind_int64(unr, 1, org);
                sqlite3_bind_text(unr, 2, ref, -1, SQLITE_TRANSIENT);
                sqlite3_bind_int64(unr, 3, m->rowid);
                r2 = sqlite3_step(unr);
                int added = sqlite3_changes(db) > 0;
                sqlite3_reset(unr);
                if (r2 != SQLITE_DONE) {
                    rc = r2;
                    goto done;
                }
                m->unres += added;
            }
            m->tlp = m->base;
            if (m->unres && m->tlp < STIX_TLP_AMBER) m->tlp = STIX_TLP_AMBER;
            m->has_rel_to = mk.has_releasable_to != 0;
            if (m->has_rel_to) snprintf(m->rel_to, sizeof m->rel_to, "%s", mk.releasable_to);
            m->has_rel_orgs = mk.has_releasable_to_orgs != 0;
            if (m->has_rel_orgs) (void)store_id_lower(mk.releasable_to_orgs, m->rel_orgs, sizeof m->rel_orgs);
            m->orcon = mk.orcon != 0;
            m->vetted_only = mk.vetted_only != 0;
            m->review_by = mk.review_by_us;
            m->any = m->tlp != STIX_TLP_NONE || m->has_rel_to || m->has_rel_orgs || m->orcon || m->vetted_only ||
                     m->review_by;
        }
        sqlite3_reset(sel);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) goto done;
        for (size_t i = 0; i < n; i++) {
            up_marks *m = &batch[i];
            after = m->rowid;
            if (!m->any) continue;
            sqlite3_bind_int64(upd, 1, m->rowid);
            if (m->tlp == STIX_TLP_NONE) sqlite3_bind_null(upd, 2);
            else sqlite3_bind_int(upd, 2, m->tlp);
            if (m->has_rel_to) sqlite3_bind_text(upd, 3, m->rel_to, -1, SQLITE_STATIC);
            else sqlite3_bind_null(upd, 3);
            if (m->has_rel_orgs) sqlite3_bind_text(upd, 4, m->rel_orgs, -1, SQLITE_STATIC);
            else sqlite3_bind_null(upd, 4);
            sqlite3_bind_int(upd, 5, m->orcon);
            sqlite3_bind_int(upd, 6, m->vetted_only);
            sqlite3_bind_int64(upd, 7, m->review_by);
            if (m->base == STIX_TLP_NONE) sqlite3_bind_null(upd, 8);
            else sqlite3_bind_int(upd, 8, m->base);
            sqlite3_bind_int(upd, 9, m->unres);
            int r2 = sqlite3_step(upd);
            sqlite3_reset(upd);
            if (r2 != SQLITE_DONE) {
                rc = r2;
                goto done;
            }
        }
        if (n < UP_BATCH) break;
    }
    /* 3: every version gets the markings of its id's latest version on the node */
    rc = sqlite3_exec(db,
                      "UPDATE object SET (l_tlp, l_rel_to, l_rel_orgs, l_orcon, l_vetted_only, l_review_by) = "
                      "(SELECT o.tlp, o.rel_to, o.rel_orgs, o.orcon, o.vetted_only, o.review_by FROM object o "
                      " WHERE o.id = object.id ORDER BY o.version_key DESC, o.rowid DESC LIMIT 1)",
                      NULL, NULL, NULL);
    if (rc == SQLITE_OK && bad > 0) {
        char sql[160];
        snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO meta(key, value) VALUES "
                                  "('upgrade_unreadable_markings', '%ld')", bad);
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    }
done:
    sqlite3_finalize(sel);
    sqlite3_finalize(put);
    sqlite3_finalize(get);
    sqlite3_finalize(upd);
    sqlite3_finalize(unr);
    free(batch);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}
