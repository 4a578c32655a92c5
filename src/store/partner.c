/* partner.c - the partners section of store/fed.h (issue 5 must-have 1): partner nodes with their
 * pinned key, the node organization and the account each pulls from us as, pass bookkeeping,
 * the policy epoch served to each partner, and the holdings report (what a node holds, by
 * collection and originator). Tables: partner (schema_fed.c), org, user, agreement, vetting. */
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "stix/time.h"
#include "store/fed.h"
#include "store/internal.h"

/* A fresh statement for a fixed SQL text, cached by the connection. */
static sqlite3_stmt *q(store *s, const char *sql, enlace_err *err) { return store_cached_stmt(s, sql, err); }

static int party_ok(const char *code) {
    return code && isupper((unsigned char)code[0]) && isupper((unsigned char)code[1]) && !code[2] &&
           code[0] <= 'Z' && code[1] <= 'Z';
}

/* Decode a base64 (RFC 4648 standard alphabet, padded) Ed25519 public key; 0 or -1. */
static int pubkey_decode(const char *b64, unsigned char key[32]) {
    size_t len = 0;
    if (!b64 || strlen(b64) >= STORE_PUBKEY_MAX) return -1;
    if (sodium_base642bin(key, 32, b64, strlen(b64), NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
        return -1;
    return len == 32 ? 0 : -1;
}

/* 1 when text has no control character, space or DEL (a URL or token is one printable word: a
 * newline would forge `partner list` rows, CR/LF in a token would inject HTTP headers). */
static int printable_word(const char *t) {
    for (; *t; t++)
        if ((unsigned char)*t <= 0x20 || *t == 0x7f) return 0;
    return 1;
}

static int url_ok(const char *url) {
    return url && strlen(url) < STORE_URL_MAX && printable_word(url) &&
           ((strncmp(url, "http://", 7) == 0 && url[7]) || (strncmp(url, "https://", 8) == 0 && url[8]));
}

/* The pull token's checks (NULL: none given): a printable word shorter than STORE_TOKEN_MAX. */
static int token_check(const char *t, enlace_err *err) {
    if (!t) return 0;
    if (strlen(t) >= STORE_TOKEN_MAX)
        return enlace_err_set(err, ENLACE_EINVAL, "store: pull token longer than %d bytes", STORE_TOKEN_MAX - 1);
    if (!printable_word(t))
        return enlace_err_set(err, ENLACE_EINVAL, "store: pull token has a space or control character");
    return 0;
}

/* The node organization's identity id: "identity--" + a name-based UUID (version nibble 5,
 * RFC 4122 variant) from the SHA-256 of the decoded key -- variant 0 -- or, for variant v > 0,
 * of the key followed by the byte v (a fallback when another party's organization holds the
 * previous one), so that the same key always names the same organizations. out holds
 * POLICY_IDENTITY_LEN bytes. */
static void key_identity(const unsigned char key[32], unsigned v, char *out, size_t n) {
    unsigned char h[crypto_hash_sha256_BYTES], in[33];
    memcpy(in, key, 32);
    in[32] = (unsigned char)v;
    crypto_hash_sha256(h, in, v ? 33 : 32);
    h[6] = (unsigned char)((h[6] & 0x0f) | 0x50);
    h[8] = (unsigned char)((h[8] & 0x3f) | 0x80);
    snprintf(out, n,
             "identity--%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13],
             h[14], h[15]);
}

/* How many identity variants a partner's node organization may take (key_identity). */
#define NODE_ID_VARIANTS 4

/* internal.h */
int store_node_identity_reserved(store *s, const char *lid, int *yes, enlace_err *err) {
    *yes = 0;
    sqlite3_stmt *st = store_cached_stmt(s, "SELECT pubkey FROM partner", err);
    if (!st) return ENLACE_EIO;
    int rc;
    while (!*yes && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        unsigned char key[32];
        if (pubkey_decode((const char *)sqlite3_column_text(st, 0), key) != 0) continue;
        for (unsigned v = 0; v < NODE_ID_VARIANTS && !*yes; v++) {
            char ident[POLICY_IDENTITY_LEN];
            key_identity(key, v, ident, sizeof ident);
            *yes = strcmp(ident, lid) == 0;
        }
    }
    store_stmt_done(st);
    return 0;
}

/* ---- rows ------------------------------------------------------------------------------------ */

#define PARTNER_COLS "p.party, p.url, p.pubkey, p.pull_token, p.user_rowid, p.org_rowid, " \
    "ifnull(u.name, ''), p.created_us, p.last_pass_us, p.last_error, p.stopped"
#define PARTNER_FROM " FROM partner p LEFT JOIN user u ON u.rowid = p.user_rowid"

static void partner_fill(sqlite3_stmt *st, void *e) {
    store_partner *p = e;
    memset(p, 0, sizeof *p);
    store_col_copy(p->party, sizeof p->party, st, 0);
    store_col_copy(p->url, sizeof p->url, st, 1);
    store_col_copy(p->pubkey, sizeof p->pubkey, st, 2);
    store_col_copy(p->pull_token, sizeof p->pull_token, st, 3);
    p->user_rowid = sqlite3_column_int64(st, 4);
    p->org_rowid = sqlite3_column_int64(st, 5);
    store_col_copy(p->user_name, sizeof p->user_name, st, 6);
    p->created_us = sqlite3_column_int64(st, 7);
    p->last_pass_us = sqlite3_column_int64(st, 8);
    store_col_copy(p->last_error, sizeof p->last_error, st, 9);
    store_col_copy(p->stopped, sizeof p->stopped, st, 10);
}

int store_partner_get(store *s, const char *party, store_partner *out, enlace_err *err) {
    if (!s || !party || !out) return enlace_err_set(err, ENLACE_EINVAL, "store: bad partner get");
    sqlite3_stmt *st = q(s, "SELECT " PARTNER_COLS PARTNER_FROM " WHERE p.party = ?1", err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, party, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), code = 0;
    if (rc == SQLITE_ROW) partner_fill(st, out);
    else if (rc == SQLITE_DONE) code = enlace_err_set(err, ENLACE_ENOTFOUND, "store: %s is not a partner", party);
    else code = store_sqlite_fail(s, err, "partner get");
    store_stmt_done(st);
    return code;
}

int store_partner_list(store *s, store_partner **out, size_t *n, enlace_err *err) {
    if (!s || !out || !n) return enlace_err_set(err, ENLACE_EINVAL, "store: bad partner list");
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = q(s, "SELECT " PARTNER_COLS PARTNER_FROM " ORDER BY p.party", err);
    if (!st) return ENLACE_EIO;
    return store_collect_rows(s, st, sizeof **out, partner_fill, (void **)out, n, "partner list", err);
}

/* ---- add ------------------------------------------------------------------------------------- */

/* *taken = 1 when an organization is named name (names compare case-insensitively). */
static int org_name_taken(store *s, const char *name, int *taken, enlace_err *err) {
    store_org o;
    int code = store_org_get(s, name, &o, err);
    *taken = code == 0 && strcasecmp(o.name, name) == 0;
    return code == ENLACE_ENOTFOUND ? 0 : code;
}

/* The partner's node organization: the one already named by the key's identity (a partner
 * removed and added again with the same key), else a new "<PARTY> node" with a minimal STIX 2.1
 * identity marked TLP:CLEAR, as the node's own (cli/init.c). The name and the key's identity are
 * reserved for it, but another party's directory (or an admin) may have taken either first: an
 * identity held by another party's organization moves to the key's next variant
 * (key_identity), a name taken by any organization becomes "<PARTY> node <8 hex of the
 * identity>" -- deterministic, and nobody can make the partner's addition fail. Inside the
 * caller's transaction. */
static int node_org(store *s, const char *party, const unsigned char key[32], int64_t now_us,
                    store_org *o, enlace_err *err) {
    char ident[POLICY_IDENTITY_LEN];
    int code, free_v = -1;
    /* one of this party's already (added before): that one; else the first variant nobody holds */
    for (unsigned v = 0; v < NODE_ID_VARIANTS; v++) {
        key_identity(key, v, ident, sizeof ident);
        code = store_org_get(s, ident, o, err);
        if (code == 0 && strcmp(o->party, party) == 0) return 0;
        if (code == ENLACE_ENOTFOUND && free_v < 0) free_v = (int)v;
        else if (code && code != ENLACE_ENOTFOUND) return code;
    }
    if (free_v < 0)
        return enlace_err_set(err, ENLACE_ECONFLICT, "store: every identity of this key belongs to another party");
    key_identity(key, (unsigned)free_v, ident, sizeof ident);
    char name[64], now[TAXII_TIME_LEN], json[512];
    snprintf(name, sizeof name, "%s node", party);
    int taken = 0;
    if ((code = org_name_taken(s, name, &taken, err))) return code;
    if (taken) snprintf(name, sizeof name, "%s node %.8s", party, ident + 10);
    taxii_time_format(now_us, now);
    snprintf(json, sizeof json,
             "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"%s\","
             "\"modified\":\"%s\",\"name\":\"%s\",\"identity_class\":\"organization\","
             "\"object_marking_refs\":[\"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487\"]}",
             ident, now, now, name);
    code = store_org_add(s, ident, name, party, 0, json, now_us, o, err);
    if (code == ENLACE_ECONFLICT)
        return enlace_err_set(err, code, "store: an organization named '%s' exists already", name);
    return code;
}

/* The account the partner pulls with: "partner-<party lower>", role partner, of org. An
 * account of that name left disabled by a removal of the same partner is enabled again. */
static int node_user(store *s, const char *party, const store_org *org, int64_t now_us, store_user *u,
                     enlace_err *err) {
    char name[32];
    snprintf(name, sizeof name, "partner-%c%c", tolower((unsigned char)party[0]), tolower((unsigned char)party[1]));
    int code = store_user_get(s, name, u, err);
    if (code == ENLACE_ENOTFOUND) return store_user_add(s, name, STORE_ROLE_PARTNER, org->rowid, NULL, now_us, u, err);
    if (code) return code;
    if (u->roles != STORE_ROLE_PARTNER || u->org_rowid != org->rowid)
        return enlace_err_set(err, ENLACE_ECONFLICT, "store: a user named %s exists and is not this partner's", name);
    if (u->disabled && (code = store_user_set_disabled(s, name, 0, err))) return code;
    u->disabled = 0;
    return 0;
}

int store_partner_add(store *s, const char *party, const char *url, const char *pubkey,
                      const char *pull_token, int64_t now_us, store_partner *out, enlace_err *err) {
    if (!s) return enlace_err_set(err, ENLACE_EINVAL, "store: no store");
    if (!party_ok(party))
        return enlace_err_set(err, ENLACE_EINVAL, "store: party code %s is not two upper-case letters "
                              "(ISO 3166-1 alpha-2)", party ? party : "(none)");
    if (!url_ok(url))
        return enlace_err_set(err, ENLACE_EINVAL, "store: partner URL is not one word (no spaces or control "
                              "characters) starting with http:// or https://");
    unsigned char key[32];
    if (pubkey_decode(pubkey, key) != 0)
        return enlace_err_set(err, ENLACE_EINVAL, "store: partner key is not base64 of a 32-byte Ed25519 public key");
    if (token_check(pull_token, err)) return ENLACE_EINVAL;
    char self_party[POLICY_PARTY_LEN];
    int code = store_self(s, self_party, NULL, err);
    if (code) return code;
    if (strcmp(party, self_party) == 0)
        return enlace_err_set(err, ENLACE_EINVAL, "store: %s is this node's own party, not a partner", party);
    if ((code = store_tx_begin(s, err))) return code;
    store_partner existing;
    store_org org;
    store_user u;
    code = store_partner_get(s, party, &existing, err);
    if (code == 0) {
        code = enlace_err_set(err, ENLACE_ECONFLICT, "store: %s is already a partner", party);
        goto fail;
    }
    if (code != ENLACE_ENOTFOUND) goto fail;
    sqlite3_stmt *st = q(s, "INSERT OR IGNORE INTO party(code) VALUES (?1)", err);
    if (!st) {
        code = ENLACE_EIO;
        goto fail;
    }
    sqlite3_bind_text(st, 1, party, -1, SQLITE_STATIC);
    if ((code = store_step_done(s, st, "party add", err)) || (code = node_org(s, party, key, now_us, &org, err)) ||
        (code = node_user(s, party, &org, now_us, &u, err)))
        goto fail;
    st = q(s, "INSERT INTO partner(party, url, pubkey, pull_token, user_rowid, org_rowid, created_us) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", err);
    if (!st) {
        code = ENLACE_EIO;
        goto fail;
    }
    sqlite3_bind_text(st, 1, party, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, url, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, pubkey, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, pull_token ? pull_token : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, u.rowid);
    sqlite3_bind_int64(st, 6, org.rowid);
    sqlite3_bind_int64(st, 7, now_us);
    if ((code = store_step_done(s, st, "partner add", err)) || (code = store_tx_commit(s, err))) goto fail;
    return out ? store_partner_get(s, party, out, err) : 0;
fail:
    store_tx_rollback(s);
    return code;
}

/* ---- update, remove, pass bookkeeping --------------------------------------------------------- */

/* Run a one-row UPDATE/DELETE already bound; ENLACE_ENOTFOUND when no row changed. */
static int one_row(store *s, sqlite3_stmt *st, const char *party, const char *what, enlace_err *err) {
    int code = store_step_done(s, st, what, err);
    if (code) return code;
    if (sqlite3_changes(store_sqlite(s)) == 0)
        return enlace_err_set(err, ENLACE_ENOTFOUND, "store: %s is not a partner", party);
    return 0;
}

int store_partner_update(store *s, const char *party, const char *url, const char *pubkey,
                         const char *pull_token, enlace_err *err) {
    if (!s || !party) return enlace_err_set(err, ENLACE_EINVAL, "store: bad partner update");
    unsigned char key[32];
    if (url && !url_ok(url))
        return enlace_err_set(err, ENLACE_EINVAL, "store: partner URL is not one word (no spaces or control "
                              "characters) starting with http:// or https://");
    if (pubkey && pubkey_decode(pubkey, key) != 0)
        return enlace_err_set(err, ENLACE_EINVAL, "store: partner key is not base64 of a 32-byte Ed25519 public key");
    if (token_check(pull_token, err)) return ENLACE_EINVAL;
    /* ?3 NULL: key unchanged; a changed key drops the trust state (heads of the old key's log). */
    sqlite3_stmt *st = q(s, "UPDATE partner SET url = ifnull(?2, url), "
                            "trust_state = CASE WHEN ?3 IS NOT NULL AND ?3 <> pubkey THEN '' ELSE trust_state END, "
                            "pubkey = ifnull(?3, pubkey), pull_token = ifnull(?4, pull_token) WHERE party = ?1",
                         err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, party, -1, SQLITE_STATIC);
    if (url) sqlite3_bind_text(st, 2, url, -1, SQLITE_STATIC);
    if (pubkey) sqlite3_bind_text(st, 3, pubkey, -1, SQLITE_STATIC);
    if (pull_token) sqlite3_bind_text(st, 4, pull_token, -1, SQLITE_STATIC);
    return one_row(s, st, party, "partner update", err);
}

int store_partner_remove(store *s, const char *party, enlace_err *err) {
    if (!s || !party) return enlace_err_set(err, ENLACE_EINVAL, "store: bad partner remove");
    int code = store_tx_begin(s, err);
    if (code) return code;
    static const char *const SQL[] = {
        "UPDATE user SET disabled = 1 WHERE rowid = (SELECT user_rowid FROM partner WHERE party = ?1)",
        "UPDATE token SET revoked = 1 WHERE user = (SELECT user_rowid FROM partner WHERE party = ?1)",
        "DELETE FROM agreement WHERE party = ?1",
        "DELETE FROM partner WHERE party = ?1",
    };
    for (size_t i = 0; i < sizeof SQL / sizeof SQL[0]; i++) {
        sqlite3_stmt *st = q(s, SQL[i], err);
        if (!st) {
            code = ENLACE_EIO;
            goto fail;
        }
        sqlite3_bind_text(st, 1, party, -1, SQLITE_STATIC);
        code = i == 3 ? one_row(s, st, party, "partner remove", err) : store_step_done(s, st, "partner remove", err);
        if (code) goto fail;
    }
    if ((code = store_tx_commit(s, err))) goto fail;
    return 0;
fail:
    store_tx_rollback(s);
    return code;
}

int store_partner_pass_done(store *s, const char *party, int64_t now_us, const char *error,
                            enlace_err *err) {
    if (!s || !party) return enlace_err_set(err, ENLACE_EINVAL, "store: bad partner pass");
    sqlite3_stmt *st = q(s, "UPDATE partner SET last_pass_us = ?2, last_error = ?3 WHERE party = ?1", err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, party, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now_us);
    sqlite3_bind_text(st, 3, error ? error : "", -1, SQLITE_STATIC);
    return one_row(s, st, party, "partner pass", err);
}

int store_partner_set_stopped(store *s, const char *party, const char *reason, enlace_err *err) {
    if (!s || !party) return enlace_err_set(err, ENLACE_EINVAL, "store: bad partner stop");
    sqlite3_stmt *st = q(s, "UPDATE partner SET stopped = ?2 WHERE party = ?1", err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, party, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, reason ? reason : "", -1, SQLITE_STATIC);
    return one_row(s, st, party, "partner stop", err);
}

/* ---- policy epoch ---------------------------------------------------------------------------- */

/* Hash the rows of a bound statement, each column as text, one line per row. */
static int hash_rows(store *s, sqlite3_stmt *st, const char *tag, crypto_hash_sha256_state *h,
                     enlace_err *err) {
    int rc, ncol = sqlite3_column_count(st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        crypto_hash_sha256_update(h, (const unsigned char *)tag, strlen(tag));
        for (int c = 0; c < ncol; c++) {
            const unsigned char *t = sqlite3_column_text(st, c);
            int len = sqlite3_column_bytes(st, c);
            crypto_hash_sha256_update(h, (const unsigned char *)"\t", 1);
            if (t) crypto_hash_sha256_update(h, t, (unsigned long long)len);
            else crypto_hash_sha256_update(h, (const unsigned char *)"-", 1);
        }
        crypto_hash_sha256_update(h, (const unsigned char *)"\n", 1);
    }
    int code = rc == SQLITE_DONE ? 0 : store_sqlite_fail(s, err, "policy epoch");
    store_stmt_done(st);
    return code;
}

int store_policy_epoch(store *s, const char *party, int64_t now_us, char out[STORE_EPOCH_LEN],
                       enlace_err *err) {
    if (!s || !party || !out) return enlace_err_set(err, ENLACE_EINVAL, "store: bad policy epoch");
    out[0] = 0;
    /* Deterministic text, in a fixed order: the partner account's state, each agreement
     * (collection id, max TLP, the collection's default TLP, its withdrawal count) by collection
     * id -- withdrawals in collections outside its agreements do not move it --, each vetting of
     * an organization of the party (identity, vetting party, until, in force) by identity and
     * party. */
    static const char *const SQL[] = {
        "SELECT ?1, ifnull((SELECT u.disabled FROM partner p JOIN user u ON u.rowid = p.user_rowid "
        "WHERE p.party = ?1), -1)",
        "SELECT c.id, a.max_tlp, c.default_tlp, ifnull(w.n, 0) FROM agreement a "
        "JOIN collection c ON c.rowid = a.coll LEFT JOIN withdrawal w ON w.coll = a.coll "
        "WHERE a.party = ?1 ORDER BY c.id",
        "SELECT o.identity_id, v.by_party, v.until_us, v.until_us > ?2 FROM vetting v JOIN org o ON o.rowid = v.org "
        "WHERE o.party = ?1 ORDER BY o.identity_id, v.by_party",
    };
    static const char *const TAG[] = {"partner", "agreement", "vetting"};
    crypto_hash_sha256_state h;
    crypto_hash_sha256_init(&h);
    /* one snapshot: a read transaction of our own unless the caller has one open */
    int own_read = sqlite3_get_autocommit(store_sqlite(s)) && store_read_begin(s, NULL) == 0, code = 0;
    for (size_t i = 0; i < sizeof SQL / sizeof SQL[0] && !code; i++) {
        sqlite3_stmt *st = q(s, SQL[i], err);
        if (!st) {
            code = ENLACE_EIO;
            break;
        }
        sqlite3_bind_text(st, 1, party, -1, SQLITE_STATIC);
        if (i == 2) sqlite3_bind_int64(st, 2, now_us);
        code = hash_rows(s, st, TAG[i], &h, err);
    }
    if (own_read) store_read_end(s, NULL);
    if (code) return code;
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&h, d);
    sodium_bin2hex(out, STORE_EPOCH_LEN, d, sizeof d);
    return 0;
}

/* ---- holdings -------------------------------------------------------------------------------- */

static void holding_fill(sqlite3_stmt *st, void *e) {
    store_holding *h = e;
    memset(h, 0, sizeof *h);
    store_col_copy(h->coll_id, sizeof h->coll_id, st, 0);
    store_col_copy(h->coll_title, sizeof h->coll_title, st, 1);
    store_col_copy(h->mirror_of, sizeof h->mirror_of, st, 2);
    store_col_copy(h->orig_org, sizeof h->orig_org, st, 3);
    store_col_copy(h->orig_party, sizeof h->orig_party, st, 4);
    h->objects = sqlite3_column_int64(st, 5);
    h->versions = sqlite3_column_int64(st, 6);
}

int store_holdings(store *s, store_holding **out, size_t *n, enlace_err *err) {
    if (!s || !out || !n) return enlace_err_set(err, ENLACE_EINVAL, "store: bad holdings");
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = q(s,
        "SELECT c.id, c.title, ifnull(m.party, ''), ifnull(g.name, '?'), o.orig_party, "
        "count(DISTINCT o.id), count(*) "
        "FROM object o JOIN collection c ON c.rowid = o.coll LEFT JOIN mirror m ON m.coll = c.rowid "
        "LEFT JOIN org g ON g.rowid = o.orig_org "
        "GROUP BY o.coll, o.orig_org, o.orig_party ORDER BY o.coll, count(*) DESC, g.name", err);
    if (!st) return ENLACE_EIO;
    return store_collect_rows(s, st, sizeof **out, holding_fill, (void **)out, n, "holdings", err);
}
