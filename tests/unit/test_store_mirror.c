/* test_store_mirror.c - mirror collections (store/fed.h, mirror.c; issue 5 must-have 2):
 * deterministic ensure, a page stored with its cursor in one transaction (a crash keeps all
 * or none; a refused object never takes the good ones down), KNOWN / LOOP / REFUSED, the
 * originator a received version keeps, and the sweep after a full pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/fed.h"
#include "test_store_node.h"

#define PUBKEY "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
#define REMOTE "1a2b3c4d-0000-4000-8000-000000000001"

typedef struct fixture {
    char dir[64];
    char path[96];
    store *s;
    int64_t self;       /* the node's own organization (MX) */
    int64_t local;      /* a collection of our own */
    store_partner us;   /* the partner US */
    int64_t dea;        /* an organization of US known here */
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (test_store_tmp_open("mirror", f->dir, f->path, &f->s) != 0) return -1;
    enlace_err err;
    if (!(f->self = test_node_init(f->s, "MX", "SSPC"))) return -1;
    store_collection c;
    if (store_collection_create(f->s, NULL, "Local", NULL, "local", &c, &err) != 0) return -1;
    f->local = c.rowid;
    if (store_partner_add(f->s, "US", "http://127.0.0.1:1/api/", PUBKEY, "tok", 1, &f->us, &err) != 0) {
        fprintf(stderr, "partner add: %s\n", err.msg);
        return -1;
    }
    if (!(f->dea = test_org(f->s, "US", "DEA", 0))) return -1;
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    store_close(f->s);
    if (test_remove_dir(f->dir) != 0) return -1;
    free(f);
    return 0;
}

/* An indicator version: id from n, modified from v; created_by_ref cbr (NULL: none). */
typedef struct obj {
    char id[64], ver[40], key[40], body[512];
    store_object_in in;
} obj;

static void mk(obj *o, int n, int v, const char *cbr) {
    snprintf(o->id, sizeof o->id, "indicator--00000000-0000-4000-8000-%012d", n);
    snprintf(o->ver, sizeof o->ver, "2026-01-01T00:00:%02d.000Z", v);
    test_key_of(o->ver, o->key, sizeof o->key);
    snprintf(o->body, sizeof o->body,
             "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"2026-01-01T00:00:00.000Z\","
             "\"modified\":\"%s\",\"pattern\":\"[x:y='%d']\",\"pattern_type\":\"stix\",\"valid_from\":"
             "\"2026-01-01T00:00:00Z\"%s%s%s}",
             o->id, o->ver, n, cbr ? ",\"created_by_ref\":\"" : "", cbr ? cbr : "", cbr ? "\"" : "");
    o->in = (store_object_in){o->id, "indicator", "2.1", 1, o->ver, o->key, o->body, strlen(o->body), cbr, NULL,
                              STIX_TLP_NONE, NULL};
}

static store_mirror mirror_now(fixture *f, const char *remote) {
    store_mirror m;
    assert_int_equal(store_mirror_ensure(f->s, "US", remote, "narcotics", "Narcotics", &m, NULL), 0);
    return m;
}

static int64_t count(fixture *f, int64_t coll) {
    int64_t n = -1;
    assert_int_equal(store_count_objects(f->s, coll, &n, NULL), 0);
    return n;
}

/* One integer from the store file (a second connection). */
static int64_t sql_int(fixture *f, const char *sql) {
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void test_ensure(void **state) {
    fixture *f = *state;
    enlace_err err;
    store_mirror a, b, c;
    assert_int_equal(store_mirror_ensure(f->s, "US", REMOTE, "narcotics", "Narcotics", &a, &err), 0);
    assert_string_equal(a.alias, "us-narcotics");
    assert_string_equal(a.party, "US");
    assert_string_equal(a.cursor, "");
    assert_int_equal(a.full_pass, 1);
    /* idempotent, and the id does not depend on the case of the remote id */
    assert_int_equal(store_mirror_ensure(f->s, "US", "1A2B3C4D-0000-4000-8000-000000000001", "x", "y", &b, &err), 0);
    assert_int_equal(a.coll_rowid, b.coll_rowid);
    assert_string_equal(a.coll_id, b.coll_id);
    assert_int_equal(a.coll_id[14], '5'); /* version 5 layout */
    /* another remote collection with the same alias gets "-2"; odd characters are replaced */
    assert_int_equal(store_mirror_ensure(f->s, "US", "1a2b3c4d-0000-4000-8000-000000000002", "narcotics", "N2", &c, &err), 0);
    assert_string_equal(c.alias, "us-narcotics-2");
    assert_string_not_equal(c.coll_id, a.coll_id);
    store_mirror d;
    assert_int_equal(store_mirror_ensure(f->s, "US", "1a2b3c4d-0000-4000-8000-000000000003", "a b/c", NULL, &d, &err), 0);
    assert_string_equal(d.alias, "us-a-b-c");
    store_collection col;
    assert_int_equal(store_collection_find(f->s, a.alias, 0, &col, &err), 0);
    assert_string_equal(col.title, "Narcotics (US)");
    int yes = 0;
    char party[POLICY_PARTY_LEN];
    assert_int_equal(store_collection_is_mirror(f->s, a.coll_rowid, &yes, party, &err), 0);
    assert_int_equal(yes, 1);
    assert_string_equal(party, "US");
    assert_int_equal(store_collection_is_mirror(f->s, f->local, &yes, party, &err), 0);
    assert_int_equal(yes, 0);
    store_mirror *ms = NULL;
    size_t n = 0;
    assert_int_equal(store_mirror_list(f->s, "US", &ms, &n, &err), 0);
    assert_int_equal(n, 3);
    free(ms);
    assert_int_equal(store_mirror_list(f->s, "GT", &ms, &n, &err), 0);
    assert_int_equal(n, 0);
    free(ms);
}

static void test_page_outcomes(void **state) {
    fixture *f = *state;
    enlace_err err;
    /* our own object, and one version of it the partner would relay back */
    obj own;
    mk(&own, 900, 1, NULL);
    store_put_outcome out;
    assert_int_equal(store_put_objects(f->s, f->local, NULL, &own.in, 1, 10, &out, &err), 0);
    assert_int_equal(out.result, STORE_ADDED);
    obj own_v2;
    mk(&own_v2, 900, 2, NULL);
    char sspc_id[POLICY_IDENTITY_LEN], dea_id[POLICY_IDENTITY_LEN];
    test_identity_of("SSPC", sspc_id);
    test_identity_of("DEA", dea_id);

    store_mirror m = mirror_now(f, REMOTE);
    obj o[6];
    mk(&o[0], 1, 1, NULL);         /* new: the partner's node originates it */
    mk(&o[1], 2, 1, dea_id);       /* new: created by DEA, an organization of US */
    mk(&o[2], 3, 1, sspc_id);      /* impersonates our organization: refused */
    mk(&o[3], 900, 1, NULL);       /* already here in our own collection: loop */
    o[3] = own;
    mk(&o[4], 900, 2, NULL);       /* a new version of our own object from them: refused */
    mk(&o[5], 4, 1, NULL);
    o[5].in.id = NULL;             /* unusable input: refused, the rest stays */
    store_object_in in[6];
    for (int i = 0; i < 6; i++) in[i] = o[i].in;
    store_rx_result r[6];
    assert_int_equal(store_mirror_put_page(f->s, &m, in, 6, "2026-02-01T00:00:00.000001Z", 20, r, &err), 0);
    assert_int_equal(r[0], STORE_RX_ADDED);
    assert_int_equal(r[1], STORE_RX_ADDED);
    assert_int_equal(r[2], STORE_RX_REFUSED);
    assert_int_equal(r[3], STORE_RX_LOOP);
    assert_int_equal(r[4], STORE_RX_REFUSED);
    assert_int_equal(r[5], STORE_RX_REFUSED);
    assert_int_equal(count(f, m.coll_rowid), 2);
    assert_int_equal(count(f, f->local), 1);
    /* originators: the partner's node organization, and DEA */
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT orig_org FROM object WHERE id = '%s'", o[0].id);
    assert_int_equal(sql_int(f, sql), f->us.org_rowid);
    snprintf(sql, sizeof sql, "SELECT orig_org FROM object WHERE id = '%s'", o[1].id);
    assert_int_equal(sql_int(f, sql), f->dea);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM received WHERE party = 'US' AND received_us = 20"), 2);

    /* the cursor moved with the page */
    store_mirror m2 = mirror_now(f, REMOTE);
    assert_string_equal(m2.cursor, "2026-02-01T00:00:00.000001Z");
    /* a stale view of the mirror (old cursor) stores nothing */
    obj late;
    mk(&late, 5, 1, NULL);
    assert_int_equal(store_mirror_put_page(f->s, &m, &late.in, 1, "2026-03-01T00:00:00Z", 30, r, &err), ENLACE_ECONFLICT);
    assert_int_equal(count(f, m.coll_rowid), 2);
    /* a re-pull is idempotent: known, nothing stored twice; a new version is added */
    obj again[2];
    again[0] = o[0];
    mk(&again[1], 1, 2, NULL);
    store_object_in in2[2] = {again[0].in, again[1].in};
    assert_int_equal(store_mirror_put_page(f->s, &m2, in2, 2, "2026-02-02T00:00:00Z", 40, r, &err), 0);
    assert_int_equal(r[0], STORE_RX_KNOWN);
    assert_int_equal(r[1], STORE_RX_ADDED);
    assert_int_equal(count(f, m.coll_rowid), 3);
    /* an empty page with no cursor keeps the cursor */
    store_mirror m3 = mirror_now(f, REMOTE);
    assert_int_equal(store_mirror_put_page(f->s, &m3, NULL, 0, NULL, 50, NULL, &err), 0);
    m3 = mirror_now(f, REMOTE);
    assert_string_equal(m3.cursor, "2026-02-02T00:00:00Z");
}

/* A SIGKILL inside the page's transaction (the store's crash hooks: after the first object
 * was inserted, before the commit) keeps none of the page and not its cursor. */
static void crash_child(const char *path, const char *env, store_object_in *in, size_t n) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        store *s;
        if (store_open(path, 0, &s, NULL) != 0) _exit(3);
        setenv(env, "1", 1);
        store_mirror m;
        if (store_mirror_ensure(s, "US", REMOTE, "narcotics", "Narcotics", &m, NULL) != 0) _exit(4);
        store_mirror_put_page(s, &m, in, n, "2026-05-05T00:00:00Z", 60, NULL, NULL);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
}

static void test_page_crash(void **state) {
    fixture *f = *state;
    store_mirror m = mirror_now(f, REMOTE);
    obj o[3];
    store_object_in in[3];
    for (int i = 0; i < 3; i++) {
        mk(&o[i], 10 + i, 1, NULL);
        in[i] = o[i].in;
    }
    crash_child(f->path, "ENLACE_CRASH_AFTER_OBJECTS", in, 3);
    assert_int_equal(count(f, m.coll_rowid), 0);
    store_mirror after = mirror_now(f, REMOTE);
    assert_string_equal(after.cursor, "");
    assert_int_equal(sql_int(f, "SELECT count(*) FROM received"), 0);
    /* the store's "before commit" hook fires inside the page's transaction too (the put joins
     * it): still nothing */
    crash_child(f->path, "ENLACE_CRASH_BEFORE_COMMIT", in, 3);
    assert_int_equal(count(f, m.coll_rowid), 0);
    after = mirror_now(f, REMOTE);
    assert_string_equal(after.cursor, "");
    assert_int_equal(store_mirror_put_page(f->s, &after, in, 3, "2026-05-05T00:00:00Z", 60, NULL, NULL), 0);
    assert_int_equal(count(f, m.coll_rowid), 3);
    after = mirror_now(f, REMOTE);
    assert_string_equal(after.cursor, "2026-05-05T00:00:00Z");
    assert_int_equal(sql_int(f, "SELECT count(*) FROM received"), 3);
}

static void test_sweep(void **state) {
    fixture *f = *state;
    enlace_err err;
    store_mirror m = mirror_now(f, REMOTE);
    obj o[3];
    store_object_in in[3];
    mk(&o[0], 20, 1, NULL);
    mk(&o[1], 20, 2, NULL);
    mk(&o[2], 21, 1, NULL);
    for (int i = 0; i < 3; i++) in[i] = o[i].in;
    assert_int_equal(store_mirror_put_page(f->s, &m, in, 3, "c1", 10, NULL, &err), 0);
    assert_int_equal(count(f, m.coll_rowid), 3);
    /* a new epoch: the pass restarts; the partner now delivers only version 1 of id 20 */
    assert_int_equal(store_mirror_restart(f->s, m.coll_rowid, "e2", &err), 0);
    store_mirror r = mirror_now(f, REMOTE);
    assert_int_equal(r.pass, m.pass + 1);
    assert_int_equal(r.full_pass, 1);
    assert_string_equal(r.cursor, "");
    assert_string_equal(r.epoch, "e2");
    store_rx_result res[1];
    assert_int_equal(store_mirror_put_page(f->s, &r, &in[0], 1, "c2", 20, res, &err), 0);
    assert_int_equal(res[0], STORE_RX_KNOWN);
    size_t removed = 0;
    assert_int_equal(store_mirror_sweep(f->s, &r, &removed, &err), 0);
    assert_int_equal(removed, 2);
    assert_int_equal(count(f, m.coll_rowid), 1);
    store_mirror after = mirror_now(f, REMOTE);
    assert_int_equal(after.full_pass, 0);
    /* the remaining version is the id's first and last again */
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT is_last_a + is_first_a + is_last_s + is_top_spec FROM object WHERE id = '%s'", o[0].id);
    assert_int_equal(sql_int(f, sql), 4);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM received"), 1);
    /* a stale pass cannot sweep */
    assert_int_equal(store_mirror_sweep(f->s, &m, &removed, &err), ENLACE_ECONFLICT);
    assert_int_equal(count(f, m.coll_rowid), 1);
    /* what was swept comes back when delivered again */
    store_rx_result res2[2];
    assert_int_equal(store_mirror_put_page(f->s, &after, &in[1], 2, "c3", 30, res2, &err), 0);
    assert_int_equal(res2[0], STORE_RX_ADDED);
    assert_int_equal(res2[1], STORE_RX_ADDED);
    assert_int_equal(count(f, m.coll_rowid), 3);
}

/* The standard TLP marking-definitions are owned by nobody: a partner delivering TLP:WHITE first
 * does not stop a local user storing it; a body defining another level than its id stands for
 * is refused. */
static void test_tlp_ids_owned_by_nobody(void **state) {
    fixture *f = *state;
    enlace_err err;
    store_mirror m = mirror_now(f, REMOTE);
    const char *white = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9";
    const char *body = "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":"
                       "\"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9\",\"created\":\"2017-01-20T00:00:00.000Z\","
                       "\"definition_type\":\"tlp\",\"name\":\"TLP:WHITE\",\"definition\":{\"tlp\":\"white\"}}";
    char key[40];
    test_key_of("2017-01-20T00:00:00.000Z", key, sizeof key);
    store_object_in in = {white, "marking-definition", "2.1", 1, "2017-01-20T00:00:00.000Z", key, body, strlen(body),
                          NULL, NULL, STIX_TLP_CLEAR, NULL};
    store_rx_result rx = STORE_RX_REFUSED;
    assert_int_equal(store_mirror_put_page(f->s, &m, &in, 1, "c1", 10, &rx, &err), 0);
    assert_int_equal(rx, STORE_RX_ADDED);
    store_put_outcome out;
    assert_int_equal(store_put_objects(f->s, f->local, NULL, &in, 1, 11, &out, &err), 0);
    assert_int_equal(out.result, STORE_ADDED);
    assert_int_equal(sql_int(f, "SELECT count(*) FROM origin WHERE id LIKE 'marking-definition--613f2e26%'"), 0);
    /* the TLP:CLEAR (2.0) id defining red: refused, with the reason */
    const char *clear = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";
    const char *bad = "{\"type\":\"marking-definition\",\"spec_version\":\"2.1\",\"id\":"
                      "\"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487\",\"created\":\"2022-10-01T00:00:00.000Z\","
                      "\"definition_type\":\"tlp\",\"name\":\"TLP:RED\",\"definition\":{\"tlp\":\"red\"}}";
    test_key_of("2022-10-01T00:00:00.000Z", key, sizeof key);
    store_object_in in2 = {clear, "marking-definition", "2.1", 1, "2022-10-01T00:00:00.000Z", key, bad, strlen(bad),
                           NULL, NULL, STIX_TLP_RED, NULL};
    assert_int_equal(store_put_objects(f->s, f->local, NULL, &in2, 1, 12, &out, &err), 0);
    assert_int_equal(out.result, STORE_REFUSED);
    assert_non_null(strstr(out.reason, "standard TLP"));
    m = mirror_now(f, REMOTE);
    assert_int_equal(store_mirror_put_page(f->s, &m, &in2, 1, "c2", 13, &rx, &err), 0);
    assert_int_equal(rx, STORE_RX_REFUSED);
}

/* A hostile partner's collection listing: titles with escape sequences are shown with '?', long
 * ones cut; ids with control characters refused; at most STORE_MIRRORS_MAX mirrors a partner. */
static void test_hostile_listing(void **state) {
    fixture *f = *state;
    enlace_err err;
    store_mirror m;
    assert_int_equal(store_mirror_ensure(f->s, "US", "1a2b3c4d-0000-4000-8000-0000000000aa", "x\x1b[2J",
                                         "Evil\x1b]0;pwned\x07\nfake row \xc2\x9b" "1m caf\xc3\xa9", &m, &err), 0);
    store_collection col;
    assert_int_equal(store_collection_find(f->s, m.alias, 0, &col, &err), 0);
    assert_string_equal(col.title, "Evil?]0;pwned??fake row ?1m caf\xc3\xa9 (US)");
    assert_string_equal(m.alias, "us-x--2J");
    char longt[600];
    memset(longt, 'a', sizeof longt - 1);
    longt[sizeof longt - 1] = '\0';
    longt[STORE_MIRROR_TITLE_MAX - 1] = '\xc3';  /* a two-byte character the cut splits */
    longt[STORE_MIRROR_TITLE_MAX] = '\xa9';
    assert_int_equal(store_mirror_ensure(f->s, "US", "1a2b3c4d-0000-4000-8000-0000000000ab", "long", longt, &m, &err), 0);
    assert_int_equal(store_collection_find(f->s, m.alias, 0, &col, &err), 0);
    assert_int_equal(strlen(col.title), STORE_MIRROR_TITLE_MAX - 1 + strlen(" (US)"));
    assert_int_equal(store_mirror_ensure(f->s, "US", "abc\r\ndef", "a", "t", &m, &err), ENLACE_EINVAL);
    /* the cap: 2 made above; fill to the limit, the next is refused, known ones still found */
    for (int i = 2; i < STORE_MIRRORS_MAX; i++) {
        char rid[40];
        snprintf(rid, sizeof rid, "c-%d", i);
        assert_int_equal(store_mirror_ensure(f->s, "US", rid, NULL, "t", &m, &err), 0);
    }
    assert_int_equal(store_mirror_ensure(f->s, "US", "one-too-many", NULL, "t", &m, &err), ENLACE_ETOOBIG);
    assert_non_null(strstr(err.msg, "one-too-many"));
    assert_int_equal(store_mirror_ensure(f->s, "US", "c-7", NULL, "t", &m, &err), 0);
    store_mirror *all = NULL;
    size_t n = 0;
    assert_int_equal(store_mirror_list(f->s, "US", &all, &n, &err), 0);
    assert_int_equal(n, STORE_MIRRORS_MAX);
    free(all);
}

static void test_not_partner(void **state) {
    fixture *f = *state;
    enlace_err err;
    store_mirror m;
    assert_int_equal(store_mirror_ensure(f->s, "GT", REMOTE, NULL, NULL, &m, &err), 0);
    obj o;
    mk(&o, 30, 1, NULL);
    assert_int_equal(store_mirror_put_page(f->s, &m, &o.in, 1, "c", 1, NULL, &err), ENLACE_ENOTFOUND);
    assert_int_equal(count(f, m.coll_rowid), 0);
    assert_int_equal(store_mirror_restart(f->s, f->local, "e", &err), ENLACE_ENOTFOUND);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ensure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_outcomes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tlp_ids_owned_by_nobody, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_listing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_partner, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
