/* mirror.c - mirror collections (store/fed.h "mirror collections"; issue 5 must-have 2): the
 * local read-only collection per (partner, remote collection) that a sync pass pulls into, its
 * resumable cursor committed with each page, provenance of what was received, and the sweep of
 * what a full pass no longer delivered. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/fed.h"
#include "stix/id.h"
#include "store/internal.h"

#define MIRROR_COLS "m.coll, c.id, ifnull(c.alias, ''), m.party, m.remote_id, m.cursor, m.epoch, " \
    "m.pass, m.full_pass FROM mirror m JOIN collection c ON c.rowid = m.coll"

static void mirror_fill(sqlite3_stmt *st, void *e) {
    store_mirror *m = e;
    memset(m, 0, sizeof *m);
    m->coll_rowid = sqlite3_column_int64(st, 0);
    store_col_copy(m->coll_id, sizeof m->coll_id, st, 1);
    store_col_copy(m->alias, sizeof m->alias, st, 2);
    store_col_copy(m->party, sizeof m->party, st, 3);
    store_col_copy(m->remote_id, sizeof m->remote_id, st, 4);
    store_col_copy(m->cursor, sizeof m->cursor, st, 5);
    store_col_copy(m->epoch, sizeof m->epoch, st, 6);
    m->pass = sqlite3_column_int64(st, 7);
    m->full_pass = sqlite3_column_int(st, 8);
}

/* The mirror of (party, remote id) if any: 0 with *found set. */
static int mirror_get(store *s, const char *party, const char *remote_id, store_mirror *out, int *found,
                      enlace_err *err) {
    sqlite3_stmt *st = store_cached_stmt(s, "SELECT " MIRROR_COLS " WHERE m.party = ?1 AND m.remote_id = ?2", err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_text(st, 1, party, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, remote_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    if (*found) mirror_fill(st, out);
    store_stmt_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_sqlite_fail(s, err, "mirror lookup");
    return 0;
}

/* The mirror's collection id: a UUID (version 5 layout) from SHA-256("enlace-mirror\0" party
 * "\0" remote id), so that every node names the mirror of the same remote collection alike
 * and a re-created mirror gets its old id back. */
static void mirror_coll_id(const char *party, const char *remote_id, char out[40]) {
    crypto_hash_sha256_state h;
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_init(&h);
    crypto_hash_sha256_update(&h, (const unsigned char *)"enlace-mirror", sizeof "enlace-mirror");
    crypto_hash_sha256_update(&h, (const unsigned char *)party, strlen(party) + 1);
    crypto_hash_sha256_update(&h, (const unsigned char *)remote_id, strlen(remote_id));
    crypto_hash_sha256_final(&h, d);
    d[6] = (unsigned char)((d[6] & 0x0f) | 0x50);
    d[8] = (unsigned char)((d[8] & 0x3f) | 0x80);
    snprintf(out, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13],
             d[14], d[15]);
}

/* "<party lower>-<name>" in the alias characters collection create accepts (letters, digits,
 * '.', '_', '-'; anything else becomes '-'), at most 120 bytes. */
static void mirror_alias(const char *party, const char *name, char *out, size_t n) {
    size_t k = 0;
    for (const char *p = party; *p && k + 1 < n; p++)
        out[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    if (k + 1 < n) out[k++] = '-';
    for (const unsigned char *p = (const unsigned char *)name; *p && k + 1 < n && k < 120; p++) {
        int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                 *p == '.' || *p == '_' || *p == '-';
        out[k++] = ok ? (char)*p : '-';
    }
    out[k] = '\0';
}

/* The partner's title as this node shows it: control characters (C0, DEL, C1 in UTF-8) become
 * '?', so that no escape sequence reaches a terminal (`collection list`), and at most
 * STORE_MIRROR_TITLE_MAX bytes, cut at a UTF-8 character boundary. */
static void mirror_title(const char *in, char *out, size_t n) {
    size_t k = 0, max = n - 1 < STORE_MIRROR_TITLE_MAX ? n - 1 : STORE_MIRROR_TITLE_MAX;
    const unsigned char *p = (const unsigned char *)in;
    for (; *p && k < max; p++) {
        if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {  /* a C1 control, U+0080..U+009F */
            out[k++] = '?';
            p++;
        } else {
            out[k++] = *p < 0x20 || *p == 0x7f ? '?' : (char)*p;
        }
    }
    if (*p) {  /* cut: drop a character the cut split (its lead byte says how long it is) */
        size_t lead = k;
        while (lead > 0 && ((unsigned char)out[lead - 1] & 0xc0) == 0x80) lead--;
        if (lead > 0 && (unsigned char)out[lead - 1] >= 0xc0) {
            unsigned char b = (unsigned char)out[lead - 1];
            size_t len = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
            if (k - (lead - 1) < len) k = lead - 1;
        }
    }
    out[k] = '\0';
}

static int remote_id_ok(const char *id) {
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f) return 0;
    return 1;
}

int store_mirror_ensure(store *s, const char *party, const char *remote_id, const char *remote_alias,
                        const char *remote_title, store_mirror *out, enlace_err *err) {
    if (!s || !party || !remote_id || !*remote_id || !out)
        return enlace_err_set(err, ENLACE_EINVAL, "store: bad mirror ensure");
    char rid[40];
    if (store_id_lower(remote_id, rid, sizeof rid))
        return enlace_err_set(err, ENLACE_EINVAL, "store: remote collection id %.60s is too long", remote_id);
    if (!remote_id_ok(rid))
        return enlace_err_set(err, ENLACE_EINVAL, "store: remote collection id has a space, control or non-ASCII "
                              "character");
    int found = 0;
    int code = mirror_get(s, party, rid, out, &found, err);
    if (code || found) return code;
    if ((code = store_tx_begin(s, err))) return code;
    if ((code = mirror_get(s, party, rid, out, &found, err)) || found) { /* made meanwhile */
        if (code) store_tx_rollback(s);
        else code = store_tx_commit(s, err);
        return code;
    }
    /* at most STORE_MIRRORS_MAX mirrors per partner: a partner listing thousands of
     * collections does not make thousands of collections here */
    sqlite3_stmt *st = store_cached_stmt(s, "SELECT count(*) FROM mirror WHERE party = ?1", err);
    if (!st) {
        store_tx_rollback(s);
        return ENLACE_EIO;
    }
    sqlite3_bind_text(st, 1, party, -1, SQLITE_STATIC);
    int64_t have = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    store_stmt_done(st);
    if (have < 0) {
        code = store_sqlite_fail(s, err, "mirror count");
        store_tx_rollback(s);
        return code;
    }
    if (have >= STORE_MIRRORS_MAX) {
        store_tx_rollback(s);
        return enlace_err_set(err, ENLACE_ETOOBIG, "store: partner %s has %d mirror collections already (the "
                              "limit): its collection %s is not mirrored", party, STORE_MIRRORS_MAX, rid);
    }
    char cid[40], base[128], alias[128], title[256], shown[STORE_MIRROR_TITLE_MAX + 1];
    mirror_coll_id(party, rid, cid);
    mirror_alias(party, remote_alias && *remote_alias ? remote_alias : rid, base, sizeof base);
    mirror_title(remote_title && *remote_title ? remote_title : rid, shown, sizeof shown);
    snprintf(title, sizeof title, "%s (%s)", shown, party);
    snprintf(alias, sizeof alias, "%s", base);
    store_collection c;
    for (int k = 2;; k++) {
        store_collection other;
        int rc = store_collection_find(s, alias, 0, &other, err);
        if (rc == ENLACE_ENOTFOUND) break;
        if (rc) {
            store_tx_rollback(s);
            return rc;
        }
        if (k > 1000) {
            store_tx_rollback(s);
            return enlace_err_set(err, ENLACE_ECONFLICT, "store: no free alias for mirror %s", base);
        }
        snprintf(alias, sizeof alias, "%s-%d", base, k);
    }
    if ((code = store_collection_create(s, cid, title, NULL, alias, &c, err))) {
        store_tx_rollback(s);
        return code;
    }
    st = store_cached_stmt(s, "INSERT INTO mirror(coll, party, remote_id) VALUES (?1, ?2, ?3)", err);
    if (!st) {
        store_tx_rollback(s);
        return ENLACE_EIO;
    }
    sqlite3_bind_int64(st, 1, c.rowid);
    sqlite3_bind_text(st, 2, party, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, rid, -1, SQLITE_STATIC);
    if ((code = store_step_done(s, st, "mirror insert", err)) ||
        (code = mirror_get(s, party, rid, out, &found, err)) || (code = store_tx_commit(s, err))) {
        store_tx_rollback(s);
        return code;
    }
    return found ? 0 : enlace_err_set(err, ENLACE_EIO, "store: mirror %s vanished", rid);
}

int store_mirror_list(store *s, const char *party, store_mirror **out, size_t *n, enlace_err *err) {
    if (!s || !out || !n) return enlace_err_set(err, ENLACE_EINVAL, "store: bad mirror list");
    sqlite3_stmt *st = store_cached_stmt(s, "SELECT " MIRROR_COLS " WHERE ?1 IS NULL OR m.party = ?1 "
                                            "ORDER BY m.party, c.rowid", err);
    if (!st) return ENLACE_EIO;
    if (party) sqlite3_bind_text(st, 1, party, -1, SQLITE_STATIC);
    return store_collect_rows(s, st, sizeof(store_mirror), mirror_fill, (void **)out, n, "mirror list", err);
}

int store_collection_is_mirror(store *s, int64_t coll_rowid, int *yes, char *party, enlace_err *err) {
    if (!s || !yes) return enlace_err_set(err, ENLACE_EINVAL, "store: bad mirror check");
    sqlite3_stmt *st = store_cached_stmt(s, "SELECT party FROM mirror WHERE coll = ?1", err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_int64(st, 1, coll_rowid);
    int rc = sqlite3_step(st);
    *yes = rc == SQLITE_ROW;
    if (party) {
        if (rc == SQLITE_ROW) store_col_copy(party, POLICY_PARTY_LEN, st, 0);
        else party[0] = '\0';
    }
    store_stmt_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_sqlite_fail(s, err, "mirror check");
    return 0;
}

int store_mirror_restart(store *s, int64_t coll_rowid, const char *epoch, enlace_err *err) {
    if (!s || !epoch) return enlace_err_set(err, ENLACE_EINVAL, "store: bad mirror restart");
    sqlite3_stmt *st = store_cached_stmt(s, "UPDATE mirror SET cursor = '', epoch = ?2, pass = pass + 1, "
                                            "full_pass = 1 WHERE coll = ?1", err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_int64(st, 1, coll_rowid);
    sqlite3_bind_text(st, 2, epoch, -1, SQLITE_STATIC);
    int code = store_step_done(s, st, "mirror restart", err);
    if (!code && sqlite3_changes(store_sqlite(s)) == 0)
        code = enlace_err_set(err, ENLACE_ENOTFOUND, "store: collection %lld is not a mirror", (long long)coll_rowid);
    return code;
}

/* ---- a page -------------------------------------------------------------------------------- */

/* The row of o's version in collection coll (in = 1) or in any other collection (in = 0);
 * *rowid = 0 when none. An SCO without timestamps is matched by id alone. */
static int version_find(store *s, int64_t coll, const store_object_in *o, const char *id, int in,
                        int64_t *rowid, enlace_err *err) {
    static const char *const sql[2][2] = {
        {"SELECT rowid FROM object INDEXED BY object_node WHERE id = ?2 AND version_key = ?3 "
         "AND sco_nv = 0 AND coll != ?1 LIMIT 1",
         "SELECT rowid FROM object INDEXED BY object_node WHERE id = ?2 AND sco_nv = 1 AND coll != ?1 LIMIT 1"},
        {"SELECT rowid FROM object WHERE coll = ?1 AND id = ?2 AND version_key = ?3 AND sco_nv = 0",
         "SELECT rowid FROM object WHERE coll = ?1 AND id = ?2 AND sco_nv = 1 LIMIT 1"}};
    sqlite3_stmt *st = store_cached_stmt(s, sql[in][!o->has_version], err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_int64(st, 1, coll);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    if (o->has_version) sqlite3_bind_text(st, 3, o->version_key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *rowid = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    store_stmt_done(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_sqlite_fail(s, err, "mirror object lookup");
    return 0;
}

/* Provenance of version row obj: received from party in pass (received_us kept when known). */
static int received_mark(store *s, int64_t obj, const char *party, int64_t now_us, int64_t pass,
                         enlace_err *err) {
    sqlite3_stmt *st = store_cached_stmt(s, "INSERT INTO received(obj, party, received_us, pass) "
                                            "VALUES (?1, ?2, ?3, ?4) ON CONFLICT(obj) DO UPDATE "
                                            "SET pass = excluded.pass", err);
    if (!st) return ENLACE_EIO;
    sqlite3_bind_int64(st, 1, obj);
    sqlite3_bind_text(st, 2, party, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now_us);
    sqlite3_bind_int64(st, 4, pass);
    return store_step_done(s, st, "provenance", err);
}

/* Could store_put_objects take o at all (its hard input errors would end the page's
 * transaction)? 1 when it could. */
static int input_ok(const store_object_in *o, char *id, size_t idn) {
    return o->id && o->type && o->spec_version && o->body && o->body_len <= INT32_MAX &&
           (!o->has_version || (o->version && o->version_key)) && store_id_lower(o->id, id, idn) == 0;
}

/* Who puts an object the partner relays from party (its x_enlace_originators): that party's
 * node organization when the party is a partner of ours too -- so the object gets the
 * originator it would get pulled from that party directly, and that party's own later versions
 * are accepted -- else the relaying partner's node organization (issue 5: "the partner's
 * party"). */
static int relay_actor(store *s, const store_mirror *m, int64_t actor_org, const char *party, int64_t *org,
                       enlace_err *err) {
    *org = actor_org;
    if (!party || !*party || strcmp(party, m->party) == 0) return 0;
    store_partner p;
    int code = store_partner_get(s, party, &p, err);
    if (code == ENLACE_ENOTFOUND) return 0;
    if (!code) *org = p.org_rowid;
    return code;
}

/* Store todo[0..k) (outs in the same order), one store_put_objects per actor: the relaying
 * partner's node organization, or that of the party a relayed object comes from. */
static int put_by_originator(store *s, const store_mirror *m, int64_t actor_org, const store_object_in *todo,
                             size_t k, int64_t now_us, store_put_outcome *outs, enlace_err *err) {
    int64_t *org = malloc(k * sizeof *org);
    size_t *pick = malloc(k * sizeof *pick);
    store_object_in *sub = malloc(k * sizeof *sub);
    store_put_outcome *sub_out = malloc(k * sizeof *sub_out);
    unsigned char *done = calloc(k, 1);
    int code = !org || !pick || !sub || !sub_out || !done ? enlace_err_set(err, ENLACE_ENOMEM, "store: out of memory") : 0;
    for (size_t j = 0; j < k && !code; j++) code = relay_actor(s, m, actor_org, todo[j].orig_party, &org[j], err);
    for (size_t j = 0; j < k && !code; j++) {
        if (done[j]) continue;
        size_t n = 0;
        for (size_t i = j; i < k; i++)
            if (!done[i] && org[i] == org[j]) {
                done[i] = 1;
                pick[n] = i;
                sub[n++] = todo[i];
            }
        store_actor actor = {org[j], 1};
        if ((code = store_put_objects(s, m->coll_rowid, &actor, sub, n, now_us, sub_out, err))) break;
        for (size_t i = 0; i < n; i++) outs[pick[i]] = sub_out[i];
    }
    free(org);
    free(pick);
    free(sub);
    free(sub_out);
    free(done);
    return code;
}

/* The page inside its open transaction: classify, store the rest in one put, mark provenance. */
static int put_page(store *s, const store_mirror *m, int64_t actor_org, const store_object_in *objs, size_t n,
                    int64_t now_us, store_rx_result *res, enlace_err *err) {
    store_object_in *todo = malloc((n ? n : 1) * sizeof *todo);
    size_t *where = malloc((n ? n : 1) * sizeof *where);
    store_put_outcome *outs = calloc(n ? n : 1, sizeof *outs);
    int code = 0;
    if (!todo || !where || !outs) {
        code = enlace_err_set(err, ENLACE_ENOMEM, "store: out of memory");
        goto done;
    }
    size_t k = 0;
    for (size_t i = 0; i < n && !code; i++) {
        char id[STIX_ID_MAX];
        int64_t row = 0;
        if (!input_ok(&objs[i], id, sizeof id)) {
            res[i] = STORE_RX_REFUSED;
        } else if ((code = version_find(s, m->coll_rowid, &objs[i], id, 1, &row, err))) {
            break;
        } else if (row) {
            res[i] = STORE_RX_KNOWN;
            code = received_mark(s, row, m->party, now_us, m->pass, err);
        } else if ((code = version_find(s, m->coll_rowid, &objs[i], id, 0, &row, err))) {
            break;
        } else if (row) {
            res[i] = STORE_RX_LOOP;
        } else {
            res[i] = STORE_RX_ADDED;  /* decided by the put */
            todo[k] = objs[i];
            where[k++] = i;
        }
    }
    if (code || k == 0) goto done;
    if ((code = put_by_originator(s, m, actor_org, todo, k, now_us, outs, err))) goto done;
    sqlite3_stmt *st = NULL;
    for (size_t j = 0; j < k && !code; j++) {
        store_rx_result *r = &res[where[j]];
        if (outs[j].result == STORE_REFUSED || outs[j].result == STORE_CONFLICT) {
            *r = STORE_RX_REFUSED;
            continue;
        }
        /* ADDED, or DUPLICATE: the same version twice in the page */
        *r = outs[j].result == STORE_ADDED ? STORE_RX_ADDED : STORE_RX_KNOWN;
        if (!(st = store_cached_stmt(s, "SELECT rowid FROM object WHERE coll = ?1 AND date_added = ?2", err))) {
            code = ENLACE_EIO;
            break;
        }
        sqlite3_bind_int64(st, 1, m->coll_rowid);
        sqlite3_bind_int64(st, 2, outs[j].date_added);
        int rc = sqlite3_step(st);
        int64_t row = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        store_stmt_done(st);
        if (rc != SQLITE_ROW) code = rc == SQLITE_DONE ? enlace_err_set(err, ENLACE_EIO, "store: stored version not found")
                                                       : store_sqlite_fail(s, err, "mirror object read");
        else code = received_mark(s, row, m->party, now_us, m->pass, err);
    }
done:
    free(todo);
    free(where);
    free(outs);
    return code;
}

int store_mirror_put_page(store *s, const store_mirror *m, const store_object_in *objs, size_t n,
                          const char *new_cursor, int64_t now_us, store_rx_result *results,
                          enlace_err *err) {
    if (!s || !m || (n && !objs)) return enlace_err_set(err, ENLACE_EINVAL, "store: bad mirror page");
    store_rx_result *res = results ? results : malloc((n ? n : 1) * sizeof *res);
    if (!res) return enlace_err_set(err, ENLACE_ENOMEM, "store: out of memory");
    store_partner p;
    int code = store_partner_get(s, m->party, &p, err);
    if (code == ENLACE_ENOTFOUND)
        code = enlace_err_set(err, ENLACE_ENOTFOUND, "store: %s is not a partner", m->party);
    if (code) goto out;
    if ((code = store_tx_begin(s, err))) goto out;
    /* the cursor first: the page is for the pass and position m was read at, else nothing */
    const char *cur = new_cursor && *new_cursor ? new_cursor : m->cursor;
    sqlite3_stmt *st = store_cached_stmt(s, "UPDATE mirror SET cursor = ?4 WHERE coll = ?1 AND pass = ?2 "
                                            "AND cursor = ?3", err);
    if (!st) code = ENLACE_EIO;
    if (!code) {
        sqlite3_bind_int64(st, 1, m->coll_rowid);
        sqlite3_bind_int64(st, 2, m->pass);
        sqlite3_bind_text(st, 3, m->cursor, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, cur, -1, SQLITE_STATIC);
        code = store_step_done(s, st, "mirror cursor", err);
    }
    if (!code && sqlite3_changes(store_sqlite(s)) == 0)
        code = enlace_err_set(err, ENLACE_ECONFLICT, "store: mirror %s moved on (pass or cursor changed)", m->coll_id);
    if (!code) code = put_page(s, m, p.org_rowid, objs, n, now_us, res, err);
    if (!code) code = store_tx_commit(s, err);
    if (code) store_tx_rollback(s);
out:
    if (res != results) free(res);
    return code;
}

int store_mirror_sweep(store *s, const store_mirror *m, size_t *removed, enlace_err *err) {
    if (!s || !m) return enlace_err_set(err, ENLACE_EINVAL, "store: bad mirror sweep");
    if (removed) *removed = 0;
    int code = store_tx_begin(s, err);
    if (code) return code;
    /* the ids touched, then the rows: flags and latest markings are fixed per id afterwards */
    char **ids = NULL;
    size_t n_ids = 0, cap = 0;
    sqlite3_stmt *st = store_cached_stmt(s, "SELECT DISTINCT o.id FROM object o LEFT JOIN received r ON r.obj = o.rowid "
                                            "WHERE o.coll = ?1 AND ifnull(r.pass, 0) < ?2", err);
    if (!st) code = ENLACE_EIO;
    if (!code) {
        sqlite3_bind_int64(st, 1, m->coll_rowid);
        sqlite3_bind_int64(st, 2, m->pass);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (n_ids == cap) {
                cap = cap ? cap * 2 : 16;
                char **p = realloc(ids, cap * sizeof *p);
                if (!p) {
                    code = enlace_err_set(err, ENLACE_ENOMEM, "store: out of memory");
                    break;
                }
                ids = p;
            }
            if (!(ids[n_ids] = strdup((const char *)sqlite3_column_text(st, 0)))) {
                code = enlace_err_set(err, ENLACE_ENOMEM, "store: out of memory");
                break;
            }
            n_ids++;
        }
        if (!code && rc != SQLITE_DONE) code = store_sqlite_fail(s, err, "mirror sweep");
        store_stmt_done(st);
    }
    size_t n_rm = 0;
    if (!code && n_ids) {
        st = store_cached_stmt(s, "DELETE FROM object WHERE coll = ?1 AND rowid IN (SELECT o.rowid FROM object o "
                                  "LEFT JOIN received r ON r.obj = o.rowid WHERE o.coll = ?1 AND ifnull(r.pass, 0) < ?2)",
                               err);
        if (!st) code = ENLACE_EIO;
        else {
            sqlite3_bind_int64(st, 1, m->coll_rowid);
            sqlite3_bind_int64(st, 2, m->pass);
            code = store_step_done(s, st, "mirror sweep", err);
            if (!code) n_rm = (size_t)sqlite3_changes(store_sqlite(s));
        }
        for (size_t i = 0; i < n_ids && !code; i++) code = store_object_fix_removed(s, m->coll_rowid, ids[i], err);
    }
    for (size_t i = 0; i < n_ids; i++) free(ids[i]);
    free(ids);
    if (!code) {
        st = store_cached_stmt(s, "UPDATE mirror SET full_pass = 0 WHERE coll = ?1 AND pass = ?2", err);
        if (!st) code = ENLACE_EIO;
        else {
            sqlite3_bind_int64(st, 1, m->coll_rowid);
            sqlite3_bind_int64(st, 2, m->pass);
            code = store_step_done(s, st, "mirror sweep", err);
            if (!code && sqlite3_changes(store_sqlite(s)) == 0)
                code = enlace_err_set(err, ENLACE_ECONFLICT, "store: mirror %s moved on (pass changed)", m->coll_id);
        }
    }
    if (!code && n_rm > 0) code = store_withdrawal_bump(s, m->coll_rowid, NULL, err);
    if (!code) code = store_tx_commit(s, err);
    if (code) {
        store_tx_rollback(s);
        return code;
    }
    if (removed) *removed = n_rm;
    return 0;
}
