/* org.c - who is who in the store (issue 3): roles, parties, organizations, vettings,
 * agreements, collection default TLP, the principal a user reads as, and the SQL function
 * enlace_visible through which every object read passes (policy_visible, one code path). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/policy.h"
#include "stix/id.h"
#include "store/internal.h"
#include "store/store.h"

/* ---- roles --------------------------------------------------------------------------------- */

static const struct { const char *name; unsigned bit; } ROLES[] = {
    {"analyst", STORE_ROLE_ANALYST}, {"liaison", STORE_ROLE_LIAISON},
    {"approver", STORE_ROLE_APPROVER}, {"admin", STORE_ROLE_ADMIN},
    {"partner", STORE_ROLE_PARTNER},
};
#define N_ROLES (sizeof ROLES / sizeof ROLES[0])
#define ALL_ROLES (STORE_ROLE_ANALYST | STORE_ROLE_LIAISON | STORE_ROLE_APPROVER | \
                   STORE_ROLE_ADMIN | STORE_ROLE_PARTNER)

unsigned store_roles_parse(const char *s) {
    if (!s) return 0;
    unsigned mask = 0;
    const char *p = s;
    for (;;) {
        while (*p == ' ') p++;
        const char *e = p;
        while (*e && *e != ',') e++;
        const char *t = e;
        while (t > p && t[-1] == ' ') t--;
        size_t len = (size_t)(t - p);
        unsigned bit = 0;
        for (size_t i = 0; i < N_ROLES; i++)
            if (strlen(ROLES[i].name) == len && strncmp(ROLES[i].name, p, len) == 0) bit = ROLES[i].bit;
        if (!bit) return 0; /* unknown or empty name */
        mask |= bit;
        if (!*e) break;
        p = e + 1;
    }
    return mask;
}

void store_roles_format(unsigned roles, char *out, size_t out_len) {
    if (!out || !out_len) return;
    out[0] = 0;
    size_t used = 0;
    for (size_t i = 0; i < N_ROLES; i++) {
        if (!(roles & ROLES[i].bit)) continue;
        int w = snprintf(out + used, out_len - used, "%s%s", used ? "," : "", ROLES[i].name);
        if (w < 0 || (size_t)w >= out_len - used) return; /* truncated */
        used += (size_t)w;
    }
}

/* ---- helpers ------------------------------------------------------------------------------- */

static int party_ok(const char *code) {
    return code && isupper((unsigned char)code[0]) && isupper((unsigned char)code[1]) && !code[2] &&
           code[0] <= 'Z' && code[1] <= 'Z';
}

/* A fresh statement for a fixed SQL text, cached by the connection. */
static sqlite3_stmt *q(store *s, const char *sql, enlace_err *err) { return store_cached_stmt(s, sql, err); }

int store_self(store *s, char party[POLICY_PARTY_LEN], int64_t *org_rowid, enlace_err *err) {
    sqlite3_stmt *st = q(s,
        "SELECT (SELECT value FROM meta WHERE key = 'party'), "
        "(SELECT rowid FROM org WHERE identity_id = (SELECT value FROM meta WHERE key = 'identity_id'))",
        err);
    if (!st) return ENLACE_EIO;
    int rc = sqlite3_step(st), code = 0;
    if (rc == SQLITE_ROW) {
        if (party) store_col_copy(party, POLICY_PARTY_LEN, st, 0);
        if (org_rowid) *org_rowid = sqlite3_column_int64(st, 1);
    } else {
        code = store_sqlite_fail(s, err, "node identity");
    }
    store_stmt_done(st);
    return code;
}

/* ---- parties ------------------------------------------------------------------------------- */

int store_party_add(store *s, const char *code, const char *name, enlace_err *err) {
    if (!s) return enlace_err_set(err, ENLACE_EINVAL, "store: no store");
    if (!party_ok(code))
        return enlace_err_set(err, ENLACE_EINVAL, "store: party code %s is not two upper-case letters "
                              "(ISO 3166-1 alpha-2)", code ? code : "(none)");
    sqlite3_stmt *st = q(s, name ? "INSERT INTO party(code, name) VALUES (?1, ?2) "
                                   "ON CONFLICT(code) DO UPDATE SET name = excluded.name"
                                 : "INSERT OR IGNORE INTO party(code) VALUES (?1)", err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
    if (name) sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    return store_step_done(s, st, "party add", err);
}

static void party_fill(sqlite3_stmt *st, void *e) {
    store_party *p = e;
    memset(p, 0, sizeof *p);
    store_col_copy(p->code, sizeof p->code, st, 0);
    store_col_copy(p->name, sizeof p->name, st, 1);
    p->self = sqlite3_column_int(st, 2) != 0;
}

int store_party_list(store *s, store_party **out, size_t *n, enlace_err *err) {
    if (!s || !out || !n) return enlace_err_set(err, ENLACE_EINVAL, "store: bad party list");
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = q(s, "SELECT code, name, ifnull(code = (SELECT value FROM meta WHERE key = 'party'), 0) AS self "
                            "FROM party ORDER BY self DESC, code", err);
    if (!st) return ENLACE_EIO;
    return store_collect_rows(s, st, sizeof **out, party_fill, (void **)out, n, "party list", err);
}

/* ---- organizations ------------------------------------------------------------------------- */

#define ORG_COLS "rowid, identity_id, name, party, " \
    "ifnull(identity_id = (SELECT value FROM meta WHERE key = 'identity_id'), 0), vouched, created_us"

static void org_fill(sqlite3_stmt *st, void *e) {
    store_org *o = e;
    memset(o, 0, sizeof *o);
    o->rowid = sqlite3_column_int64(st, 0);
    store_col_copy(o->identity_id, sizeof o->identity_id, st, 1);
    store_col_copy(o->name, sizeof o->name, st, 2);
    store_col_copy(o->party, sizeof o->party, st, 3);
    o->self = sqlite3_column_int(st, 4) != 0;
    o->vouched = sqlite3_column_int(st, 5) != 0;
    o->created_us = sqlite3_column_int64(st, 6);
}

static int org_one(store *s, sqlite3_stmt *st, store_org *out, const char *what, enlace_err *err) {
    int rc = sqlite3_step(st), code = 0;
    if (rc == SQLITE_ROW) org_fill(st, out);
    else if (rc == SQLITE_DONE) code = enlace_err_set(err, ENLACE_ENOTFOUND, "store: no such organization");
    else code = store_sqlite_fail(s, err, what);
    store_stmt_done(st);
    return code;
}

int store_org_get_by_rowid(store *s, int64_t rowid, store_org *out, enlace_err *err) {
    if (!s || !out) return enlace_err_set(err, ENLACE_EINVAL, "store: bad organization get");
    sqlite3_stmt *st = q(s, "SELECT " ORG_COLS " FROM org WHERE rowid = ?1", err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_int64(st, 1, rowid);
    return org_one(s, st, out, "organization get", err);
}

int store_org_get(store *s, const char *name_or_identity, store_org *out, enlace_err *err) {
    if (!s || !name_or_identity || !out)
        return enlace_err_set(err, ENLACE_EINVAL, "store: bad organization get");
    /* two unique-index probes; identity ids and names cannot be confused ("identity--" prefix);
     * identities are keyed in lower case, names compare case-insensitively (COLLATE NOCASE) */
    int by_ident = strncasecmp(name_or_identity, "identity--", 10) == 0;
    char lid[STIX_ID_MAX];
    if (by_ident && store_id_lower(name_or_identity, lid, sizeof lid))
        return enlace_err_set(err, ENLACE_ENOTFOUND, "store: no organization %.64s", name_or_identity);
    sqlite3_stmt *st = q(s, by_ident ? "SELECT " ORG_COLS " FROM org WHERE identity_id = ?1"
                                     : "SELECT " ORG_COLS " FROM org WHERE name = ?1", err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, by_ident ? lid : name_or_identity, -1, SQLITE_STATIC);
    int code = org_one(s, st, out, "organization get", err);
    if (code == ENLACE_ENOTFOUND)
        enlace_err_set(err, code, "store: no organization %s", name_or_identity);
    return code;
}

int store_org_add(store *s, const char *identity_id, const char *name, const char *party,
                  int vouched, const char *identity_json, int64_t now_us, store_org *out,
                  enlace_err *err) {
    if (!s || !identity_id || !name || !*name)
        return enlace_err_set(err, ENLACE_EINVAL, "store: an organization needs an identity id and a name");
    char lid[POLICY_IDENTITY_LEN];
    if (strncasecmp(identity_id, "identity--", 10) != 0 || store_id_lower(identity_id, lid, sizeof lid))
        return enlace_err_set(err, ENLACE_EINVAL, "store: %s is not an identity id", identity_id);
    identity_id = lid; /* keyed in lower case, like every id the store compares */
    if (strncasecmp(name, "identity--", 10) == 0 || strlen(name) >= sizeof out->name)
        return enlace_err_set(err, ENLACE_EINVAL, "store: bad organization name %s", name);
    if (!party_ok(party))
        return enlace_err_set(err, ENLACE_EINVAL, "store: party code %s is not two upper-case letters",
                              party ? party : "(none)");
    char self_party[POLICY_PARTY_LEN];
    int code = store_self(s, self_party, NULL, err);
    if (code) return code;
    if (vouched && strcmp(party, self_party) != 0)
        return enlace_err_set(err, ENLACE_EINVAL,
                              "store: this node (party %s) may vouch only for its own party's "
                              "organizations, not one of %s", *self_party ? self_party : "(unset)", party);
    if ((code = store_tx_begin(s, err))) return code;
    sqlite3_stmt *st = q(s, "INSERT OR IGNORE INTO party(code) VALUES (?1)", err);
    if (!st) goto io;
    sqlite3_bind_text(st, 1, party, -1, SQLITE_STATIC);
    if ((code = store_step_done(s, st, "party add", err))) goto fail;
    st = q(s, "INSERT INTO org(identity_id, name, party, vouched, identity_json, created_us) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", err);
    if (!st) goto io;
    sqlite3_bind_text(st, 1, identity_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, party, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, vouched != 0);
    sqlite3_bind_text(st, 5, identity_json ? identity_json : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now_us);
    int rc = sqlite3_step(st);
    store_stmt_done(st);
    if (rc == SQLITE_CONSTRAINT) {
        code = enlace_err_set(err, ENLACE_ECONFLICT, "store: an organization named %s or with identity %s exists",
                              name, identity_id);
        goto fail;
    }
    if (rc != SQLITE_DONE) {
        code = store_sqlite_fail(s, err, "organization add");
        goto fail;
    }
    int64_t rowid = sqlite3_last_insert_rowid(store_sqlite(s));
    /* An organization's identity id is its own (F10): if someone put an object under that id
     * before the organization was registered, the id's originator becomes the organization, so
     * the squatter can add no version and the organization can. */
    /* Its versions' pending marking references move with them: only the new originator's
     * definitions may resolve them from now on (F6); those it posted already do not come
     * again, so such a reference stays at the AMBER floor (fail closed). */
    static const char *const CLAIM[3] = {
        "UPDATE origin SET org = ?2, party = ?3 WHERE id = ?1",
        "UPDATE unresolved_ref SET org = ?2 WHERE obj IN "
        "(SELECT rowid FROM object INDEXED BY object_node WHERE id = ?1 AND unres > 0)",
        "UPDATE object INDEXED BY object_node SET orig_org = ?2, orig_party = ?3 WHERE id = ?1"};
    for (int k = 0; k < 3; k++) {
        if (!(st = q(s, CLAIM[k], err))) goto io;
        sqlite3_bind_text(st, 1, identity_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, rowid);
        sqlite3_bind_text(st, 3, party, -1, SQLITE_STATIC);
        if ((code = store_step_done(s, st, "organization identity", err))) goto fail;
    }
    if ((code = store_tx_commit(s, err))) goto fail;
    return out ? store_org_get_by_rowid(s, rowid, out, err) : 0;
io:
    code = ENLACE_EIO;
fail:
    store_tx_rollback(s);
    return code;
}

int store_org_list(store *s, store_org **out, size_t *n, enlace_err *err) {
    if (!s || !out || !n) return enlace_err_set(err, ENLACE_EINVAL, "store: bad organization list");
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = q(s, "SELECT " ORG_COLS " FROM org ORDER BY "
                            "ifnull(identity_id = (SELECT value FROM meta WHERE key = 'identity_id'), 0) DESC, rowid", err);
    if (!st) return ENLACE_EIO;
    return store_collect_rows(s, st, sizeof **out, org_fill, (void **)out, n, "organization list", err);
}

int store_org_identity_json(store *s, int64_t org_rowid, char **json, enlace_err *err) {
    if (!s || !json) return enlace_err_set(err, ENLACE_EINVAL, "store: bad identity get");
    *json = NULL;
    sqlite3_stmt *st = q(s, "SELECT identity_json FROM org WHERE rowid = ?1", err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_int64(st, 1, org_rowid);
    int rc = sqlite3_step(st), code = 0;
    if (rc == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        if (!(*json = strdup(t ? t : ""))) code = enlace_err_set(err, ENLACE_ENOMEM, "store: out of memory");
    } else if (rc == SQLITE_DONE) {
        code = enlace_err_set(err, ENLACE_ENOTFOUND, "store: no organization %lld", (long long)org_rowid);
    } else {
        code = store_sqlite_fail(s, err, "identity get");
    }
    store_stmt_done(st);
    return code;
}

/* ---- vettings ------------------------------------------------------------------------------ */

int store_vetting_set(store *s, int64_t org_rowid, const char *by_party, int64_t until_us,
                      int64_t now_us, enlace_err *err) {
    if (!s) return enlace_err_set(err, ENLACE_EINVAL, "store: no store");
    if (!party_ok(by_party))
        return enlace_err_set(err, ENLACE_EINVAL, "store: party code %s is not two upper-case letters",
                              by_party ? by_party : "(none)");
    store_org o;
    int code = store_org_get_by_rowid(s, org_rowid, &o, err);
    if (code) return code;
    if (strcmp(o.party, by_party) == 0)
        return enlace_err_set(err, ENLACE_EINVAL, "store: %s is an organization of %s itself; a party "
                              "vets only other parties' organizations", o.name, by_party);
    if ((code = store_tx_begin(s, err))) return code;
    sqlite3_stmt *st = q(s, "INSERT OR IGNORE INTO party(code) VALUES (?1)", err);
    if (!st) {
        store_tx_rollback(s);
        return ENLACE_EIO;
    }
    sqlite3_bind_text(st, 1, by_party, -1, SQLITE_STATIC);
    if ((code = store_step_done(s, st, "party add", err))) goto fail;
    st = q(s, "INSERT INTO vetting(org, by_party, until_us, created_us) VALUES (?1, ?2, ?3, ?4) "
              "ON CONFLICT(org, by_party) DO UPDATE SET until_us = excluded.until_us, "
              "created_us = excluded.created_us", err);
    if (!st) {
        code = ENLACE_EIO;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, org_rowid);
    sqlite3_bind_text(st, 2, by_party, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, until_us);
    sqlite3_bind_int64(st, 4, now_us);
    if ((code = store_step_done(s, st, "vetting set", err)) || (code = store_tx_commit(s, err))) goto fail;
    return 0;
fail:
    store_tx_rollback(s);
    return code;
}

int store_vetting_remove(store *s, int64_t org_rowid, const char *by_party, enlace_err *err) {
    if (!s || !by_party) return enlace_err_set(err, ENLACE_EINVAL, "store: bad vetting remove");
    sqlite3_stmt *st = q(s, "DELETE FROM vetting WHERE org = ?1 AND by_party = ?2", err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_int64(st, 1, org_rowid);
    sqlite3_bind_text(st, 2, by_party, -1, SQLITE_STATIC);
    int code = store_step_done(s, st, "vetting remove", err);
    if (!code && sqlite3_changes(store_sqlite(s)) == 0)
        code = enlace_err_set(err, ENLACE_ENOTFOUND, "store: %s does not vet organization %lld", by_party,
                              (long long)org_rowid);
    return code;
}

static void vetting_fill(sqlite3_stmt *st, void *e) {
    store_vetting *v = e;
    memset(v, 0, sizeof *v);
    v->org_rowid = sqlite3_column_int64(st, 0);
    store_col_copy(v->org_name, sizeof v->org_name, st, 1);
    store_col_copy(v->org_identity, sizeof v->org_identity, st, 2);
    store_col_copy(v->org_party, sizeof v->org_party, st, 3);
    store_col_copy(v->by_party, sizeof v->by_party, st, 4);
    v->until_us = sqlite3_column_int64(st, 5);
    v->created_us = sqlite3_column_int64(st, 6);
}

int store_vetting_list(store *s, store_vetting **out, size_t *n, enlace_err *err) {
    if (!s || !out || !n) return enlace_err_set(err, ENLACE_EINVAL, "store: bad vetting list");
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = q(s, "SELECT v.org, o.name, o.identity_id, o.party, v.by_party, v.until_us, v.created_us "
                            "FROM vetting v JOIN org o ON o.rowid = v.org ORDER BY o.rowid, v.by_party", err);
    if (!st) return ENLACE_EIO;
    return store_collect_rows(s, st, sizeof **out, vetting_fill, (void **)out, n, "vetting list", err);
}

/* ---- agreements and collection defaults ------------------------------------------------------ */

static int tlp_ok(int tlp) { return tlp >= POLICY_TLP_CLEAR && tlp <= POLICY_TLP_RED; }

static int coll_exists(store *s, int64_t coll_rowid, enlace_err *err) {
    sqlite3_stmt *st = q(s, "SELECT 1 FROM collection WHERE rowid = ?1", err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_int64(st, 1, coll_rowid);
    int rc = sqlite3_step(st), code = 0;
    if (rc == SQLITE_DONE) code = enlace_err_set(err, ENLACE_ENOTFOUND, "store: no collection %lld", (long long)coll_rowid);
    else if (rc != SQLITE_ROW) code = store_sqlite_fail(s, err, "collection lookup");
    store_stmt_done(st);
    return code;
}

int store_agreement_set(store *s, const char *party, int64_t coll_rowid, int max_tlp,
                        int64_t now_us, enlace_err *err) {
    if (!s) return enlace_err_set(err, ENLACE_EINVAL, "store: no store");
    if (!party_ok(party))
        return enlace_err_set(err, ENLACE_EINVAL, "store: party code %s is not two upper-case letters",
                              party ? party : "(none)");
    if (!tlp_ok(max_tlp)) return enlace_err_set(err, ENLACE_EINVAL, "store: %d is not a TLP level", max_tlp);
    char self_party[POLICY_PARTY_LEN];
    int code = store_self(s, self_party, NULL, err);
    if (code) return code;
    if (strcmp(party, self_party) == 0)
        return enlace_err_set(err, ENLACE_EINVAL, "store: %s is this node's own party; agreements are "
                              "with partner parties", party);
    if ((code = coll_exists(s, coll_rowid, err))) return code;
    if ((code = store_tx_begin(s, err))) return code;
    sqlite3_stmt *st = q(s, "INSERT OR IGNORE INTO party(code) VALUES (?1)", err);
    if (!st) {
        store_tx_rollback(s);
        return ENLACE_EIO;
    }
    sqlite3_bind_text(st, 1, party, -1, SQLITE_STATIC);
    if ((code = store_step_done(s, st, "party add", err))) goto fail;
    st = q(s, "INSERT INTO agreement(party, coll, max_tlp, created_us) VALUES (?1, ?2, ?3, ?4) "
              "ON CONFLICT(party, coll) DO UPDATE SET max_tlp = excluded.max_tlp, "
              "created_us = excluded.created_us", err);
    if (!st) {
        code = ENLACE_EIO;
        goto fail;
    }
    sqlite3_bind_text(st, 1, party, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, coll_rowid);
    sqlite3_bind_int(st, 3, max_tlp);
    sqlite3_bind_int64(st, 4, now_us);
    if ((code = store_step_done(s, st, "agreement set", err)) || (code = store_tx_commit(s, err))) goto fail;
    return 0;
fail:
    store_tx_rollback(s);
    return code;
}

int store_agreement_remove(store *s, const char *party, int64_t coll_rowid, enlace_err *err) {
    if (!s || !party) return enlace_err_set(err, ENLACE_EINVAL, "store: bad agreement remove");
    sqlite3_stmt *st = q(s, "DELETE FROM agreement WHERE party = ?1 AND coll = ?2", err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, party, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, coll_rowid);
    int code = store_step_done(s, st, "agreement remove", err);
    if (!code && sqlite3_changes(store_sqlite(s)) == 0)
        code = enlace_err_set(err, ENLACE_ENOTFOUND, "store: no agreement with %s on collection %lld",
                              party, (long long)coll_rowid);
    return code;
}

static void agreement_fill(sqlite3_stmt *st, void *e) {
    store_agreement *a = e;
    memset(a, 0, sizeof *a);
    store_col_copy(a->party, sizeof a->party, st, 0);
    a->coll_rowid = sqlite3_column_int64(st, 1);
    store_col_copy(a->coll_id, sizeof a->coll_id, st, 2);
    a->max_tlp = sqlite3_column_int(st, 3);
    a->created_us = sqlite3_column_int64(st, 4);
    a->default_tlp = sqlite3_column_int(st, 5);
}

int store_agreement_list(store *s, store_agreement **out, size_t *n, enlace_err *err) {
    if (!s || !out || !n) return enlace_err_set(err, ENLACE_EINVAL, "store: bad agreement list");
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = q(s, "SELECT a.party, a.coll, c.id, a.max_tlp, a.created_us, c.default_tlp FROM agreement a "
                            "JOIN collection c ON c.rowid = a.coll ORDER BY a.party, a.coll", err);
    if (!st) return ENLACE_EIO;
    return store_collect_rows(s, st, sizeof **out, agreement_fill, (void **)out, n, "agreement list", err);
}

int store_collection_set_default_tlp(store *s, int64_t coll_rowid, int tlp, enlace_err *err) {
    if (!s) return enlace_err_set(err, ENLACE_EINVAL, "store: no store");
    if (tlp != POLICY_TLP_NONE && !tlp_ok(tlp))
        return enlace_err_set(err, ENLACE_EINVAL, "store: %d is not a TLP level", tlp);
    sqlite3_stmt *st = q(s, "UPDATE collection SET default_tlp = ?2 WHERE rowid = ?1", err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_int64(st, 1, coll_rowid);
    sqlite3_bind_int(st, 2, tlp);
    int code = store_step_done(s, st, "collection default TLP", err);
    if (!code && sqlite3_changes(store_sqlite(s)) == 0)
        code = enlace_err_set(err, ENLACE_ENOTFOUND, "store: no collection %lld", (long long)coll_rowid);
    return code;
}

/* ---- principals ---------------------------------------------------------------------------- */

int store_principal_for_user(store *s, const store_user *u, int64_t now_us, policy_principal *p,
                             enlace_err *err) {
    if (!s || !u || !p) return enlace_err_set(err, ENLACE_EINVAL, "store: bad principal");
    memset(p, 0, sizeof *p);
    if (u->roles & STORE_ROLE_PARTNER) p->kind = POLICY_PARTNER;
    else if (u->roles & STORE_ROLE_LIAISON) p->kind = POLICY_LIAISON;
    else if (u->roles & (STORE_ROLE_ANALYST | STORE_ROLE_APPROVER)) p->kind = POLICY_USER;
    else
        return enlace_err_set(err, ENLACE_EDENIED, "store: user %s has no role that reads objects", u->name);
    store_org o;
    int code = store_org_get_by_rowid(s, u->org_rowid, &o, err);
    if (code == ENLACE_ENOTFOUND)
        return enlace_err_set(err, ENLACE_EDENIED, "store: user %s has no organization", u->name);
    if (code) return code;
    p->org = o.rowid;
    snprintf(p->org_identity, sizeof p->org_identity, "%s", o.identity_id);
    snprintf(p->party, sizeof p->party, "%s", o.party);
    if ((code = store_self(s, p->node_party, NULL, err))) return code;
    p->now_us = now_us;
    /* A partner node pulls for its whole party: a vetting of any of its party's organizations
     * counts (rule 5); the latest expiry per vetting party is the one that matters. */
    sqlite3_stmt *st = q(s, p->kind == POLICY_PARTNER
                                ? "SELECT v.by_party, max(v.until_us) FROM vetting v JOIN org o ON o.rowid = v.org "
                                  "WHERE o.party = ?2 GROUP BY v.by_party ORDER BY 2 DESC"
                                : "SELECT by_party, until_us FROM vetting WHERE org = ?1 ORDER BY until_us DESC",
                         err);
    if (!st) return ENLACE_EIO;
    if (p->kind == POLICY_PARTNER) sqlite3_bind_text(st, 2, o.party, -1, SQLITE_STATIC);
    else sqlite3_bind_int64(st, 1, o.rowid);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && p->n_vetted < POLICY_MAX_VETTINGS) {
        store_col_copy(p->vetted[p->n_vetted].party, POLICY_PARTY_LEN, st, 0);
        p->vetted[p->n_vetted].until_us = sqlite3_column_int64(st, 1);
        p->n_vetted++;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) code = store_sqlite_fail(s, err, "vettings");
    store_stmt_done(st);
    return code;
}

/* ---- the predicate ----------------------------------------------------------------------------- */

/* Fill a policy_object from 8 consecutive arguments of enlace_visible (tlp, rel_to, rel_orgs,
 * orcon, vetted_only, review_by); the originator comes from the caller. Text pointers stay
 * valid for the function call (SQLite owns them). */
static void marks_from(policy_object *o, sqlite3_value **v) {
    o->tlp = sqlite3_value_type(v[0]) == SQLITE_NULL ? POLICY_TLP_NONE : sqlite3_value_int(v[0]);
    o->releasable_to = (const char *)sqlite3_value_text(v[1]);   /* NULL for SQL NULL */
    o->releasable_to_orgs = (const char *)sqlite3_value_text(v[2]);
    o->orcon = sqlite3_value_int(v[3]) != 0;
    o->vetted_only = sqlite3_value_int(v[4]) != 0;
    o->review_by_us = sqlite3_value_int64(v[5]);
}

/* enlace_visible(principal, default_tlp, agreement_max, STORE_VISIBLE_ARGS): policy_visible
 * on the row's version and its id's latest version. With 11 arguments (STORE_VISIBLE_ARGS_LATEST)
 * the row is itself its id's latest version, and policy_visible(p, c, v, v) is policy_decide(p,
 * c, v): one decision. A missing principal (a statement bound wrongly) denies. Runs once per
 * candidate row: no allocation, no printf. */
static void visible_fn(sqlite3_context *cx, int argc, sqlite3_value **v) {
    const policy_principal *p = sqlite3_value_pointer(v[0], STORE_PTR_PRINCIPAL);
    if (!p) {
        sqlite3_result_int(cx, 0);
        return;
    }
    policy_context c;
    c.default_tlp = sqlite3_value_type(v[1]) == SQLITE_NULL ? POLICY_TLP_NONE : sqlite3_value_int(v[1]);
    c.agreement = sqlite3_value_type(v[2]) != SQLITE_NULL;
    c.max_tlp = c.agreement ? sqlite3_value_int(v[2]) : POLICY_TLP_RED;
    policy_object ver, lat;
    ver.orig_org = sqlite3_value_int64(v[3]);
    const unsigned char *party = sqlite3_value_text(v[4]);
    ver.orig_party[0] = party && party[0] ? (char)party[0] : 0;
    ver.orig_party[1] = party && party[0] ? (char)party[1] : 0;
    ver.orig_party[2] = 0;
    marks_from(&ver, v + 5);
    if (argc == 11) {
        sqlite3_result_int(cx, policy_decide(p, &c, &ver).allow != 0);
        return;
    }
    lat.orig_org = ver.orig_org;
    memcpy(lat.orig_party, ver.orig_party, sizeof lat.orig_party);
    marks_from(&lat, v + 11);
    sqlite3_result_int(cx, policy_visible(p, &c, &ver, &lat).allow != 0);
}

int store_register_visible(sqlite3 *db) {
    /* Not SQLITE_DETERMINISTIC: the result depends on what the principal pointer points at.
     * DIRECTONLY: never callable from schema objects (views, triggers) of a file someone else
     * wrote. */
    int rc = sqlite3_create_function_v2(db, "enlace_visible", 17, SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL,
                                        visible_fn, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function_v2(db, "enlace_visible", 11, SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL,
                                        visible_fn, NULL, NULL, NULL);
    return rc;
}

void store_bind_principal(sqlite3_stmt *st, const policy_principal *p) {
    sqlite3_bind_pointer(st, 5, (void *)p, STORE_PTR_PRINCIPAL, NULL);
    sqlite3_bind_text(st, 6, p->party, -1, SQLITE_STATIC);
    /* policy_decide's rule 1 holds only for a real organization (org > 0) */
    sqlite3_bind_int64(st, 7, p->org > 0 ? p->org : -1);
}
