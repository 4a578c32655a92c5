/* schema_fed.c - migration step 5: federation (issue 5; DESIGN.md "Federation"): partners, the
 * mirror collections we pull into, provenance of what was received, and each partner's audit
 * state (the last signed tree head of its log we proved consistent). */
#include "store/migrate.h"

/* partner     one row per partner party: its TAXII API root URL, its node's Ed25519 public key
 *             (base64, pinned), the bearer token WE pull from it with (kept in clear: we must
 *             send it; the store file is 0600), the user it pulls from US as (role partner, of
 *             org_rowid, its node organization here), the last pass's time and error, the
 *             trust state (audit/verify.h state text of its log; '' = none seen yet), and
 *             stopped: non-empty = sync stopped for that reason (a failed trust check) until an
 *             admin resumes it; dir_conflict: the last directory conflict reported ("<n>
 *             <first identity id>", '' = none; store_directory_take_in reports a change once).
 *             A removed partner's row goes; its mirrors and their objects stay.
 * mirror      one row per mirror collection (a local read-only collection) of (party, remote
 *             collection): cursor = the partner's X-TAXII-Date-Added-Last of the last committed
 *             page ('' = from the beginning), epoch = the partner's policy epoch the current pass
 *             runs under, pass = the current pass number (bumped by a restart), full_pass = 1
 *             when the current pass began from the beginning (so at its end what it did not
 *             deliver is no longer served to us and is swept).
 * withdrawal  per collection: how many withdrawals it saw (a version deleted, purged or swept
 *             from it, or an id it holds whose latest markings changed); the policy epoch of a
 *             partner hashes the counts of the collections under its agreements only, so one
 *             partner's churn does not restart every other partner's pulls.
 * received    provenance: the object version row (object.rowid) received from party at
 *             received_us, and the pass of its mirror that last delivered it (sweep). */
const char STORE_MIGRATION_FED[] =
    "CREATE TABLE partner ("
    "  party        TEXT PRIMARY KEY REFERENCES party(code),"
    "  url          TEXT NOT NULL,"
    "  pubkey       TEXT NOT NULL,"
    "  pull_token   TEXT NOT NULL DEFAULT '',"
    "  user_rowid   INTEGER NOT NULL REFERENCES user(rowid),"
    "  org_rowid    INTEGER NOT NULL REFERENCES org(rowid),"
    "  created_us   INTEGER NOT NULL,"
    "  last_pass_us INTEGER NOT NULL DEFAULT 0,"
    "  last_error   TEXT NOT NULL DEFAULT '',"
    "  trust_state  TEXT NOT NULL DEFAULT '',"
    "  stopped      TEXT NOT NULL DEFAULT '',"
    "  dir_conflict TEXT NOT NULL DEFAULT ''"
    ") WITHOUT ROWID;"

    "CREATE TABLE mirror ("
    "  coll      INTEGER PRIMARY KEY REFERENCES collection(rowid) ON DELETE CASCADE,"
    "  party     TEXT NOT NULL,"
    "  remote_id TEXT NOT NULL,"
    "  cursor    TEXT NOT NULL DEFAULT '',"
    "  epoch     TEXT NOT NULL DEFAULT '',"
    "  pass      INTEGER NOT NULL DEFAULT 1,"
    "  full_pass INTEGER NOT NULL DEFAULT 1,"
    "  UNIQUE (party, remote_id)"
    ");"

    "CREATE TABLE withdrawal ("
    "  coll INTEGER PRIMARY KEY REFERENCES collection(rowid) ON DELETE CASCADE,"
    "  n    INTEGER NOT NULL"
    ");"

    "CREATE TABLE received ("
    "  obj         INTEGER PRIMARY KEY,"
    "  party       TEXT NOT NULL,"
    "  received_us INTEGER NOT NULL,"
    "  pass        INTEGER NOT NULL"
    ");"
    /* a version deleted (DELETE, purge, sweep, a collection's cascade) takes its provenance
     * along, so that no row outlives it (object rowids may be reused) */
    "CREATE TRIGGER object_received_del AFTER DELETE ON object BEGIN "
    "  DELETE FROM received WHERE obj = old.rowid; "
    "END;";
