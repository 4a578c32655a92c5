/* trust.c - what this node keeps of a partner's word (issue 5 must-haves 2 and 3): the audit
 * trust state of its log (the last signed tree head proved consistent) and the organizations and
 * vettings its signed directory publishes, taken in for this node's own decisions
 * (created_by_ref originators, vetted_only). The "trust and directory" section of store/fed.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/fed.h"
#include "store/internal.h"

/* ---- trust state --------------------------------------------------------------------------- */

int store_partner_trust_get(store *s, const char *party, char **state, enlace_err *err) {
    if (!s || !party || !state) return enlace_err_set(err, ENLACE_EINVAL, "store: bad trust state get");
    *state = NULL;
    sqlite3_stmt *st = store_cached_stmt(s, "SELECT trust_state FROM partner WHERE party = ?1", err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, party, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), code = 0;
    if (rc == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        if (!(*state = strdup(t ? t : ""))) code = enlace_err_set(err, ENLACE_ENOMEM, "store: out of memory");
    } else if (rc == SQLITE_DONE) {
        code = enlace_err_set(err, ENLACE_ENOTFOUND, "store: %s is not a partner", party);
    } else {
        code = store_sqlite_fail(s, err, "trust state get");
    }
    store_stmt_done(st);
    return code;
}

int store_partner_trust_set(store *s, const char *party, const char *state, enlace_err *err) {
    if (!s || !party || !state) return enlace_err_set(err, ENLACE_EINVAL, "store: bad trust state set");
    sqlite3_stmt *st = store_cached_stmt(s, "UPDATE partner SET trust_state = ?2 WHERE party = ?1", err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, party, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
    int code = store_step_done(s, st, "trust state set", err);
    if (!code && sqlite3_changes(store_sqlite(s)) == 0)
        code = enlace_err_set(err, ENLACE_ENOTFOUND, "store: %s is not a partner", party);
    return code;
}

/* ---- directory intake ---------------------------------------------------------------------- */

static int party_ok(const char *code) {
    return code && code[0] >= 'A' && code[0] <= 'Z' && code[1] >= 'A' && code[1] <= 'Z' && !code[2];
}

/* The organization with identity id lid (lower case): *rowid (0 when none) and its party. */
static int org_by_identity(store *s, const char *lid, int64_t *rowid, char party[POLICY_PARTY_LEN],
                           enlace_err *err) {
    *rowid = 0;
    party[0] = '\0';
    sqlite3_stmt *st = store_cached_stmt(s, "SELECT rowid, party FROM org WHERE identity_id = ?1", err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, lid, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), code = 0;
    if (rc == SQLITE_ROW) {
        *rowid = sqlite3_column_int64(st, 0);
        store_col_copy(party, POLICY_PARTY_LEN, st, 1);
    } else if (rc != SQLITE_DONE) {
        code = store_sqlite_fail(s, err, "directory organization");
    }
    store_stmt_done(st);
    return code;
}

/* *taken = 1 when an organization of this node is named name (names compare case-insensitively). */
static int name_taken(store *s, const char *name, int *taken, enlace_err *err) {
    sqlite3_stmt *st = store_cached_stmt(s, "SELECT 1 FROM org WHERE name = ?1", err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), code = 0;
    if (rc == SQLITE_ROW) *taken = 1;
    else if (rc == SQLITE_DONE) *taken = 0;
    else code = store_sqlite_fail(s, err, "directory organization name");
    store_stmt_done(st);
    return code;
}

/* A published name this node can record: non-empty, no control characters, not an identity id,
 * short enough to take a " (XX)" suffix within store_org's 128 bytes. */
static int name_ok(const char *name) {
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n + 6 >= sizeof ((store_org *)0)->name || strncasecmp(name, "identity--", 10) == 0) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f) return 0;
    return 1;
}

/* 1 when name has the form "<XX> node" reserved for partners' node organizations (partner.c). */
static int name_reserved(const char *name) {
    return isalpha((unsigned char)name[0]) && isalpha((unsigned char)name[1]) && strcasecmp(name + 2, " node") == 0;
}

/* Count a refused organization in *c (the first one's id, name and holding party kept). */
static void conflict_add(store_dir_conflicts *c, const char *lid, const char *name, const char *holder) {
    if (c->n++ > 0) return;
    snprintf(c->first_id, sizeof c->first_id, "%s", lid);
    snprintf(c->first_name, sizeof c->first_name, "%s", name);
    snprintf(c->first_party, sizeof c->first_party, "%s", holder);
}

/* Take in one published organization of party; *taken = 1 when it is (now) known under party.
 * Refused as a conflict (counted in *c): an identity id known as another party's organization,
 * reserved for a pinned partner's node, or naming an object this node holds from another
 * party's originator. */
static int take_org(store *s, const char *party, const store_dir_org *o, int64_t now_us, int *taken,
                    store_dir_conflicts *c, enlace_err *err) {
    *taken = 0;
    char lid[POLICY_IDENTITY_LEN], known_party[POLICY_PARTY_LEN];
    if (!o->identity_id || strncasecmp(o->identity_id, "identity--", 10) != 0 ||
        store_id_lower(o->identity_id, lid, sizeof lid) != 0 || !name_ok(o->name))
        return 0;  /* not something this node can record: skipped */
    int64_t rowid = 0;
    int code = org_by_identity(s, lid, &rowid, known_party, err);
    if (code) return code;
    if (rowid) {
        if (strcmp(known_party, party) != 0) {  /* another party's: a partner speaks only for its own */
            conflict_add(c, lid, o->name, known_party);
            return 0;
        }
        /* known already: its published identity is the current one (the name stays as recorded) */
        sqlite3_stmt *st = store_cached_stmt(s, "UPDATE org SET identity_json = ?2 WHERE rowid = ?1 AND vouched = 0", err);
        if (!st) return ENLACE_EIO;
        sqlite3_bind_int64(st, 1, rowid);
        sqlite3_bind_text(st, 2, o->identity_json ? o->identity_json : "", -1, SQLITE_STATIC);
        if ((code = store_step_done(s, st, "directory organization update", err))) return code;
        *taken = 1;
        return 0;
    }
    /* the identity a pinned partner's node organization is (or would be) named by */
    int reserved = 0;
    if ((code = store_node_identity_reserved(s, lid, &reserved, err))) return code;
    if (reserved) {
        conflict_add(c, lid, o->name, "");
        return 0;
    }
    /* an object already on this node under that id, originated by another party: the partner
     * must not become its originator by publishing the id (store_org_add's claim would move it) */
    sqlite3_stmt *st = store_cached_stmt(s, "SELECT party FROM origin WHERE id = ?1", err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, lid, -1, SQLITE_STATIC);
    int src = sqlite3_step(st), foreign = 0;
    char holder[POLICY_PARTY_LEN] = "";
    if (src == SQLITE_ROW) {
        store_col_copy(holder, sizeof holder, st, 0);
        foreign = strcmp(holder, party) != 0;
    } else if (src != SQLITE_DONE) {
        code = store_sqlite_fail(s, err, "directory organization origin");
    }
    store_stmt_done(st);
    if (code) return code;
    if (foreign) {
        conflict_add(c, lid, o->name, holder);
        return 0;
    }
    char name[sizeof ((store_org *)0)->name];
    snprintf(name, sizeof name, "%s", o->name);
    int clash = name_reserved(name);
    if (!clash && (code = name_taken(s, name, &clash, err))) return code;
    if (clash) {  /* a name taken on this node, or reserved: "<name> (<PARTY>)" */
        snprintf(name, sizeof name, "%s (%s)", o->name, party);
        if ((code = name_taken(s, name, &clash, err))) return code;
        if (clash) return 0;  /* taken too: skipped */
    }
    /* store_org_add joins our transaction; everything it could refuse was checked above, and its
     * claim of the identity id (F10) applies as for an organization added by hand */
    code = store_org_add(s, lid, name, party, 0, o->identity_json ? o->identity_json : "", now_us, NULL, err);
    if (code == 0) *taken = 1;
    return code;
}

/* Compare the conflicts with the partner's last report (partner.dir_conflict) and keep them:
 * c->changed = 1 when they differ. Not a partner: changed when any. */
static int conflicts_keep(store *s, const char *party, store_dir_conflicts *c, enlace_err *err) {
    char now[POLICY_IDENTITY_LEN + 32] = "", before[POLICY_IDENTITY_LEN + 32] = "";
    if (c->n) snprintf(now, sizeof now, "%zu %s", c->n, c->first_id);
    sqlite3_stmt *st = store_cached_stmt(s, "SELECT dir_conflict FROM partner WHERE party = ?1", err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, party, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), code = 0, partner = rc == SQLITE_ROW;
    if (partner) store_col_copy(before, sizeof before, st, 0);
    else if (rc != SQLITE_DONE) code = store_sqlite_fail(s, err, "directory conflict");
    store_stmt_done(st);
    if (code) return code;
    c->changed = strcmp(now, before) != 0;
    if (!partner || !c->changed) return 0;
    if (!(st = store_cached_stmt(s, "UPDATE partner SET dir_conflict = ?2 WHERE party = ?1", err))) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, party, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
    return store_step_done(s, st, "directory conflict", err);
}

/* Replace the vettings by party with the published ones of organizations known here (not of
 * party itself); a vetting published again keeps its created_us. *taken gets how many are kept. */
static int take_vettings(store *s, const char *party, const store_dir_vetting *v, size_t n, int64_t now_us,
                         size_t *taken, enlace_err *err) {
    *taken = 0;
    int64_t *kept = calloc(n ? n : 1, sizeof *kept);
    if (!kept) return enlace_err_set(err, ENLACE_ENOMEM, "store: out of memory");
    int code = 0;
    size_t nk = 0;
    for (size_t i = 0; i < n && code == 0; i++) {
        char lid[POLICY_IDENTITY_LEN], org_party[POLICY_PARTY_LEN];
        int64_t rowid = 0;
        if (!v[i].identity_id || store_id_lower(v[i].identity_id, lid, sizeof lid) != 0) continue;
        if ((code = org_by_identity(s, lid, &rowid, org_party, err))) break;
        if (!rowid || strcmp(org_party, party) == 0) continue;  /* unknown here, or its own */
        sqlite3_stmt *st = store_cached_stmt(s,
            "INSERT INTO vetting(org, by_party, until_us, created_us) VALUES (?1, ?2, ?3, ?4) "
            "ON CONFLICT(org, by_party) DO UPDATE SET until_us = excluded.until_us", err);
        if (!st) {
            code = ENLACE_EIO;
            break;
        }
        sqlite3_bind_int64(st, 1, rowid);
        sqlite3_bind_text(st, 2, party, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, v[i].until_us);
        sqlite3_bind_int64(st, 4, now_us);
        if ((code = store_step_done(s, st, "directory vetting", err))) break;
        int dup = 0;
        for (size_t k = 0; k < nk && !dup; k++) dup = kept[k] == rowid;
        if (!dup) kept[nk++] = rowid;
    }
    /* the ones no longer published go */
    if (code == 0) {
        int64_t *old = NULL;
        size_t no = 0;
        sqlite3_stmt *st = store_cached_stmt(s, "SELECT org FROM vetting WHERE by_party = ?1", err);
        if (!st) code = ENLACE_EIO;
        else {
            sqlite3_bind_text(st, 1, party, -1, SQLITE_STATIC);
            int rc;
            while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                int64_t *grown = realloc(old, (no + 1) * sizeof *old);
                if (!grown) {
                    code = enlace_err_set(err, ENLACE_ENOMEM, "store: out of memory");
                    break;
                }
                old = grown;
                old[no++] = sqlite3_column_int64(st, 0);
            }
            if (code == 0 && rc != SQLITE_DONE) code = store_sqlite_fail(s, err, "directory vettings");
            store_stmt_done(st);
        }
        for (size_t i = 0; i < no && code == 0; i++) {
            int keep = 0;
            for (size_t k = 0; k < nk && !keep; k++) keep = kept[k] == old[i];
            if (keep) continue;
            if (!(st = store_cached_stmt(s, "DELETE FROM vetting WHERE org = ?1 AND by_party = ?2", err))) {
                code = ENLACE_EIO;
                break;
            }
            sqlite3_bind_int64(st, 1, old[i]);
            sqlite3_bind_text(st, 2, party, -1, SQLITE_STATIC);
            code = store_step_done(s, st, "directory vetting remove", err);
        }
        free(old);
    }
    free(kept);
    if (code == 0) *taken = nk;
    return code;
}

int store_directory_take_in(store *s, const char *party, const store_dir_org *orgs, size_t n_orgs,
                            const store_dir_vetting *vettings, size_t n_vettings, int64_t now_us,
                            size_t *taken_orgs, size_t *taken_vettings, store_dir_conflicts *conflicts,
                            enlace_err *err) {
    store_dir_conflicts local;
    store_dir_conflicts *c = conflicts ? conflicts : &local;
    memset(c, 0, sizeof *c);
    if (taken_orgs) *taken_orgs = 0;
    if (taken_vettings) *taken_vettings = 0;
    if (!s || (n_orgs && !orgs) || (n_vettings && !vettings))
        return enlace_err_set(err, ENLACE_EINVAL, "store: bad directory");
    if (!party_ok(party))
        return enlace_err_set(err, ENLACE_EINVAL, "store: party code %s is not two upper-case letters",
                              party ? party : "(none)");
    char self_party[POLICY_PARTY_LEN];
    int code = store_self(s, self_party, NULL, err);
    if (code) return code;
    if (strcmp(self_party, party) == 0)
        return enlace_err_set(err, ENLACE_EINVAL, "store: %s is this node's own party: its directory is not taken in",
                              party);
    if ((code = store_tx_begin(s, err))) return code;
    sqlite3_stmt *st = store_cached_stmt(s, "INSERT OR IGNORE INTO party(code) VALUES (?1)", err);
    if (!st) code = ENLACE_EIO;
    else {
        sqlite3_bind_text(st, 1, party, -1, SQLITE_STATIC);
        code = store_step_done(s, st, "party add", err);
    }
    size_t no = 0, nv = 0;
    for (size_t i = 0; i < n_orgs && code == 0; i++) {
        int taken = 0;
        code = take_org(s, party, &orgs[i], now_us, &taken, c, err);
        no += (size_t)taken;
    }
    if (code == 0) code = take_vettings(s, party, vettings, n_vettings, now_us, &nv, err);
    if (code == 0) code = conflicts_keep(s, party, c, err);
    if (code == 0) code = store_tx_commit(s, err);
    if (code) {
        store_tx_rollback(s);
        memset(c, 0, sizeof *c);
        return code;
    }
    if (taken_orgs) *taken_orgs = no;
    if (taken_vettings) *taken_vettings = nv;
    return 0;
}
