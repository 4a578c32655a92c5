/* test_store_admin.c - store life cycle (migrations, reopen, newer store refused), settings,
 * collections, grants, users, tokens and status resources. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "test_store_node.h"

typedef struct fixture {
    char dir[64];
    char path[96];
    store *s;
    int64_t org;   /* the node's own organization (MX, "CCN") */
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/enlace-store-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->path, sizeof f->path, "%s/node.db", f->dir);
    enlace_err err;
    if (store_open(f->path, 1, &f->s, &err) != 0) return -1;
    if (!(f->org = test_node_init(f->s, "MX", "CCN"))) return -1;
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

static int file_user_version(const char *path) {
    sqlite3 *db = NULL;
    int v = -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open(path, &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void set_user_version(const char *path, int v) {
    sqlite3 *db = NULL;
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_open_migrates_and_reopens(void **state) {
    fixture *f = *state;
    enlace_err err;
    assert_int_equal(file_user_version(f->path), STORE_SCHEMA_VERSION);
    /* data written before a reopen is still there after it, and the reopen migrates nothing */
    assert_int_equal(store_meta_set(f->s, "node.name", "es-madrid", &err), 0);
    store_close(f->s);
    f->s = NULL;
    assert_int_equal(store_open(f->path, 0, &f->s, &err), 0);
    char v[32];
    assert_int_equal(store_meta_get(f->s, "node.name", v, sizeof v, &err), 0);
    assert_string_equal(v, "es-madrid");
    assert_int_equal(file_user_version(f->path), STORE_SCHEMA_VERSION);
    /* the store is in WAL mode (durable, readers do not block the writer) */
    FILE *wal = NULL;
    char walpath[128];
    snprintf(walpath, sizeof walpath, "%s-wal", f->path);
    wal = fopen(walpath, "r");
    assert_non_null(wal);
    fclose(wal);
}

static void test_open_refuses_newer_store(void **state) {
    fixture *f = *state;
    enlace_err err;
    store_close(f->s);
    f->s = NULL;
    set_user_version(f->path, STORE_SCHEMA_VERSION + 1);
    store *s = NULL;
    assert_int_equal(store_open(f->path, 0, &s, &err), ENLACE_EVERSION);
    assert_null(s);
    assert_non_null(strstr(err.msg, "newer"));
    /* refusing did not touch the file */
    assert_int_equal(file_user_version(f->path), STORE_SCHEMA_VERSION + 1);
    set_user_version(f->path, STORE_SCHEMA_VERSION);
    assert_int_equal(store_open(f->path, 0, &f->s, &err), 0);
}

static void test_open_missing_without_create(void **state) {
    fixture *f = *state;
    enlace_err err;
    char p[128];
    snprintf(p, sizeof p, "%s/absent.db", f->dir);
    store *s = NULL;
    assert_int_equal(store_open(p, 0, &s, &err), ENLACE_ENOTFOUND);
    assert_null(s);
    assert_int_not_equal(access(p, F_OK), 0);
}

static void test_open_refuses_non_store_file(void **state) {
    fixture *f = *state;
    enlace_err err;
    char p[128];
    snprintf(p, sizeof p, "%s/garbage.db", f->dir);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    for (int i = 0; i < 200; i++) fputs("this is not an SQLite database file. ", fp);
    fclose(fp);
    store *s = NULL;
    assert_int_equal(store_open(p, 0, &s, &err), ENLACE_EIO);
    assert_null(s);
    assert_true(err.msg[0] != '\0');
}

static void test_open_migrates_old_empty_file(void **state) {
    fixture *f = *state;
    enlace_err err;
    /* an empty SQLite file (user_version 0) is brought to the current schema */
    char p[128];
    snprintf(p, sizeof p, "%s/empty.db", f->dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
    sqlite3_close(db);
    store *s = NULL;
    assert_int_equal(store_open(p, 0, &s, &err), 0);
    store_collection c;
    assert_int_equal(store_collection_create(s, NULL, "t", NULL, NULL, &c, &err), 0);
    store_close(s);
    assert_int_equal(file_user_version(p), STORE_SCHEMA_VERSION);
}

static void test_meta(void **state) {
    fixture *f = *state;
    enlace_err err;
    char v[8];
    assert_int_equal(store_meta_get(f->s, "k", v, sizeof v, &err), ENLACE_ENOTFOUND);
    assert_int_equal(store_meta_set(f->s, "k", "one", &err), 0);
    assert_int_equal(store_meta_set(f->s, "k", "a-longer-value", &err), 0);
    assert_int_equal(store_meta_get(f->s, "k", v, sizeof v, &err), 0);
    assert_string_equal(v, "a-longe"); /* truncated to out_len */
}

static void test_collections_and_grants(void **state) {
    fixture *f = *state;
    enlace_err err;
    store_collection a, b, got;
    assert_int_equal(store_collection_create(f->s, NULL, "Alpha", "first", "alpha", &a, &err), 0);
    assert_int_equal(strlen(a.id), 36);
    assert_int_equal(a.id[14], '4'); /* UUIDv4 (T§2 identifier) */
    assert_int_equal(store_collection_create(f->s, "91a7b528-80eb-42ed-a74d-c6fbd5a26116", "Beta",
                                             NULL, NULL, &b, &err), 0);
    assert_int_equal(store_collection_create(f->s, NULL, "Dup alias", NULL, "alpha", NULL, &err),
                     ENLACE_ECONFLICT);
    assert_int_equal(store_collection_create(f->s, b.id, "Dup id", NULL, NULL, NULL, &err),
                     ENLACE_ECONFLICT);

    store_user u;
    assert_int_equal(store_user_add(f->s, "ana", STORE_ROLE_ANALYST, f->org, NULL, 1, &u, &err), 0);
    /* find by alias and by id; flags for the user */
    assert_int_equal(store_collection_find(f->s, "alpha", u.rowid, &got, &err), 0);
    assert_int_equal(got.rowid, a.rowid);
    assert_int_equal(got.can_read, 0);
    assert_int_equal(store_grant(f->s, u.rowid, a.rowid, 1, 0, &err), 0);
    assert_int_equal(store_collection_find(f->s, a.id, u.rowid, &got, &err), 0);
    assert_int_equal(got.can_read, 1);
    assert_int_equal(got.can_write, 0);
    assert_string_equal(got.description, "first");
    assert_int_equal(store_collection_find(f->s, "nope", u.rowid, &got, &err), ENLACE_ENOTFOUND);

    store_collection *list = NULL;
    size_t n = 0;
    assert_int_equal(store_collection_list(f->s, 0, &list, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].title, "Alpha"); /* creation order */
    assert_string_equal(list[1].title, "Beta");
    free(list);
    assert_int_equal(store_collection_list(f->s, u.rowid, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].rowid, a.rowid);
    assert_int_equal(list[0].can_read, 1);
    free(list);
    /* regrant changes flags; 0,0 removes */
    assert_int_equal(store_grant(f->s, u.rowid, a.rowid, 1, 1, &err), 0);
    assert_int_equal(store_collection_find(f->s, "alpha", u.rowid, &got, &err), 0);
    assert_int_equal(got.can_write, 1);
    assert_int_equal(store_grant(f->s, u.rowid, a.rowid, 0, 0, &err), 0);
    assert_int_equal(store_collection_list(f->s, u.rowid, &list, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_null(list);
    assert_int_equal(store_grant(f->s, 9999, a.rowid, 1, 1, &err), ENLACE_ENOTFOUND);
}

static void test_users(void **state) {
    fixture *f = *state;
    enlace_err err;
    store_user u, g;
    assert_int_equal(store_user_add(f->s, "ana", STORE_ROLE_ANALYST | STORE_ROLE_APPROVER, f->org,
                                    "$argon2id$v=19$x", 42, &u, &err), 0);
    assert_int_equal(store_user_add(f->s, "ana", STORE_ROLE_ADMIN, f->org, NULL, 43, NULL, &err), ENLACE_ECONFLICT);
    assert_int_equal(store_user_add(f->s, "bob", STORE_ROLE_ADMIN, f->org, NULL, 44, NULL, &err), 0);
    assert_int_equal(store_user_get(f->s, "ana", &g, &err), 0);
    assert_int_equal(g.rowid, u.rowid);
    assert_int_equal(g.roles, STORE_ROLE_ANALYST | STORE_ROLE_APPROVER);
    assert_int_equal(g.org_rowid, f->org);
    assert_string_equal(g.org, "CCN");
    assert_string_equal(g.party, "MX");
    assert_string_equal(g.pw_hash, "$argon2id$v=19$x");
    assert_int_equal(g.created_us, 42);
    assert_int_equal(g.disabled, 0);
    assert_int_equal(store_user_set_disabled(f->s, "ana", 1, &err), 0);
    assert_int_equal(store_user_set_password(f->s, "ana", "$argon2id$new", &err), 0);
    assert_int_equal(store_user_get_by_rowid(f->s, u.rowid, &g, &err), 0);
    assert_int_equal(g.disabled, 1);
    assert_string_equal(g.pw_hash, "$argon2id$new");
    assert_int_equal(store_user_set_disabled(f->s, "zed", 1, &err), ENLACE_ENOTFOUND);
    assert_int_equal(store_user_set_password(f->s, "zed", "x", &err), ENLACE_ENOTFOUND);
    assert_int_equal(store_user_get(f->s, "zed", &g, &err), ENLACE_ENOTFOUND);
    store_user *list = NULL;
    size_t n = 0;
    assert_int_equal(store_user_list(f->s, &list, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].name, "ana");
    assert_string_equal(list[1].name, "bob");
    assert_string_equal(list[1].pw_hash, "");
    free(list);
}

static void test_tokens(void **state) {
    fixture *f = *state;
    enlace_err err;
    store_user u;
    assert_int_equal(store_user_add(f->s, "ana", STORE_ROLE_ANALYST, f->org, NULL, 1, &u, &err), 0);
    unsigned char h1[32], h2[32];
    memset(h1, 0xa1, sizeof h1);
    memset(h2, 0xa1, sizeof h2);
    h2[31] = 0; /* differs in the last byte only: the whole hash is compared */
    assert_int_equal(store_token_add(f->s, u.rowid, h1, "00112233aabbccdd", 7, &err), 0);
    assert_int_equal(store_token_add(f->s, u.rowid, h1, "ffffffffffffffff", 8, &err), ENLACE_ECONFLICT);
    assert_int_equal(store_token_add(f->s, 999, h2, "0000000000000001", 8, &err), ENLACE_ENOTFOUND);
    store_token t;
    assert_int_equal(store_token_find(f->s, h2, &t, &err), ENLACE_ENOTFOUND);
    assert_int_equal(store_token_find(f->s, h1, &t, &err), 0);
    assert_int_equal(t.user_rowid, u.rowid);
    assert_string_equal(t.user_name, "ana");
    assert_string_equal(t.token_id, "00112233aabbccdd");
    assert_int_equal(t.created_us, 7);
    assert_int_equal(store_token_revoke(f->s, "nope", &err), ENLACE_ENOTFOUND);
    assert_int_equal(store_token_revoke(f->s, "00112233aabbccdd", &err), 0);
    assert_int_equal(store_token_find(f->s, h1, &t, &err), ENLACE_ENOTFOUND);
    store_token *list = NULL;
    size_t n = 0;
    assert_int_equal(store_token_list(f->s, &list, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].revoked, 1);
    free(list);
}

static void test_statuses(void **state) {
    fixture *f = *state;
    enlace_err err;
    const int64_t H = 3600LL * 1000000;
    const char *id = "2d086da7-4bdc-4f91-900e-d77486753710";
    assert_int_equal(store_status_put(f->s, id, 5, "{\"status\":\"complete\"}", 100 * H, &err), 0);
    char *json = NULL;
    assert_int_equal(store_status_get(f->s, id, 5, 100 * H + 1, 24 * H, &json, &err), 0);
    assert_string_equal(json, "{\"status\":\"complete\"}");
    free(json);
    /* another user's status is not found */
    assert_int_equal(store_status_get(f->s, id, 6, 100 * H + 1, 24 * H, &json, &err), ENLACE_ENOTFOUND);
    assert_null(json);
    /* expired by max_age: just inside, then just past 24 h */
    assert_int_equal(store_status_get(f->s, id, 5, 124 * H - 1, 24 * H, &json, &err), 0);
    free(json);
    assert_int_equal(store_status_get(f->s, id, 5, 124 * H, 24 * H, &json, &err), ENLACE_ENOTFOUND);
    /* purge removes only older ones */
    assert_int_equal(store_status_put(f->s, "b", 5, "{}", 200 * H, &err), 0);
    assert_int_equal(store_status_purge(f->s, 150 * H, &err), 0);
    assert_int_equal(store_status_get(f->s, id, 5, 100 * H, 1000 * H, &json, &err), ENLACE_ENOTFOUND);
    assert_int_equal(store_status_get(f->s, "b", 5, 200 * H, 24 * H, &json, &err), 0);
    free(json);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_migrates_and_reopens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_refuses_newer_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_missing_without_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_refuses_non_store_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_migrates_old_empty_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_meta, setup, teardown),
        cmocka_unit_test_setup_teardown(test_collections_and_grants, setup, teardown),
        cmocka_unit_test_setup_teardown(test_users, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_statuses, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
