/* schema_audit.c - migration step 4: the audit log's tables (issue 4; docs/audit.md "Storage"). */
#include "store/migrate.h"

/* audit_leaf   one row per log entry, idx = its 0-based leaf index (allocated as max + 1 inside
 *              the appending write transaction, so appends from every connection serialize in
 *              SQLite and indexes never repeat or skip). data is the canonical entry, the exact
 *              bytes hashed into the leaf (RFC 9162 §2.1.1: SHA-256(0x00 || data)); about (the
 *              originator party the entry is about) and principal are copies of two of its
 *              members, kept as columns so that the API's access rule and `audit show` never
 *              parse JSON.
 * audit_node   the hash of every COMPLETE aligned subtree: (level, idx) covers leaves
 *              [idx * 2^level, (idx + 1) * 2^level); level 0 holds the leaf hashes. An append
 *              adds the leaf hash and each subtree it completes (on average 2 rows per leaf),
 *              and any root or proof is O(log n) primary-key lookups (util/merkle.h). The key is
 *              pos = last * 64 + level, last = (idx + 1) * 2^level - 1 the last leaf covered: the
 *              rows an append adds are the subtrees ending at the new leaf, so keys only grow and
 *              a commit writes the b-tree's right edge (2-3 pages), not one page per level.
 * audit_checkpoint  the signed tree heads issued (C2SP tlog-checkpoint text in note), by size.
 * Nothing is ever updated or deleted: the log is append-only (DESIGN invariant 5). */
const char STORE_MIGRATION_AUDIT[] =
    "CREATE TABLE audit_leaf ("
    "  idx       INTEGER PRIMARY KEY,"
    "  time_us   INTEGER NOT NULL,"
    "  about     TEXT NOT NULL,"
    "  principal TEXT NOT NULL,"
    "  data      BLOB NOT NULL"
    ");"
    "CREATE TABLE audit_node ("
    "  pos  INTEGER PRIMARY KEY,"
    "  hash BLOB NOT NULL"
    ");"
    "CREATE TABLE audit_checkpoint ("
    "  size    INTEGER PRIMARY KEY,"
    "  root    BLOB NOT NULL,"
    "  note    TEXT NOT NULL,"
    "  time_us INTEGER NOT NULL"
    ");";
