/* test_audit_log.c - the audit log on a real store: O(log n) appends give the RFC 9162 roots and
 * proofs, a leaf commits or rolls back with the write it records, the group-commit writer shares
 * commits between concurrent requests and is durable on return, tree heads are signed, and a
 * partner's verify catches each tampering (an edited leaf, dropped leaves, swapped leaves, a
 * replayed older head, another key) with its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/checkpoint.h"
#include "audit/log.h"
#include "audit/verify.h"
#include "store/audit_store.h"
#include "store/internal.h"
#include "store/store.h"

typedef struct fixture {
    char dir[64];
    char path[96];
    store *s;
    unsigned char pk[32], sk[64];
    char origin[AUDIT_ORIGIN_MAX];
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/enlace-audit-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->path, sizeof f->path, "%s/enlace.db", f->dir);
    enlace_err err;
    if (store_open(f->path, 1, &f->s, &err) != 0) {
        fprintf(stderr, "store_open: %s\n", err.msg);
        return -1;
    }
    crypto_sign_keypair(f->pk, f->sk);
    audit_origin("MX", "identity--00000000-0000-4000-8000-000000000001", f->origin);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    store_close(f->s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) return -1;
    free(f);
    return 0;
}

static void entry_for(int i, audit_entry *e, audit_object *o, char id[80]) {
    snprintf(id, 80, "indicator--00000000-0000-4000-8000-%012d", i);
    o->id = id;
    o->version = "2026-01-01T00:00:00.000Z";
    *e = (audit_entry){1764400000000000LL + i, i % 3 ? "ana.ruiz" : "kate.doyle", i % 3 ? "SSPC" : "DEA",
                       i % 3 ? "MX" : "US", i % 2 ? AUDIT_READ : AUDIT_WRITE, "coll-1", i % 4 ? "MX" : "US",
                       "allow", "", "", o, 1};
}

static void append_n(fixture *f, int from, int to) {
    enlace_err err;
    for (int i = from; i < to; i++) {
        audit_entry e;
        audit_object o;
        char id[80];
        entry_for(i, &e, &o, id);
        uint64_t idx = 0;
        assert_int_equal(audit_append_tx(f->s, &e, &idx, &err), 0);
        assert_int_equal(idx, (uint64_t)i);
    }
}

/* The leaf hashes of the stored entries, folded as a verifier does (from the data itself). */
static int fold_leaf(void *ctx, const store_audit_leaf *leaf) {
    audit_range *r = ctx;
    unsigned char h[32];
    merkle_hash_leaf(leaf->data, leaf->len, h);
    assert_memory_equal(h, leaf->hash, 32);
    assert_int_equal(leaf->idx, r->size);
    audit_range_append(r, h);
    return 0;
}

static int count_cb(void *ctx, const store_audit_leaf *leaf) {
    (void)leaf;
    (*(int *)ctx)++;
    return 0;
}

static void test_append_roots_and_proofs(void **state) {
    fixture *f = *state;
    enlace_err err;
    unsigned char root[32], want[32], proof[MERKLE_MAX_PROOF][32];
    size_t n = 0;
    uint64_t size = 99;
    assert_int_equal(store_audit_size(f->s, &size, &err), 0);
    assert_int_equal(size, 0);
    assert_int_equal(store_audit_root(f->s, 0, root, &err), 0);
    merkle_hash_empty(want);
    assert_memory_equal(root, want, 32);
    unsigned char roots[70][32];
    for (int k = 1; k <= 70; k++) {
        append_n(f, k - 1, k);
        audit_range r = {0};
        assert_int_equal(store_audit_leaves(f->s, 0, UINT64_MAX, NULL, fold_leaf, &r, &err), 0);
        assert_int_equal(r.size, (uint64_t)k);
        audit_range_root(&r, want);
        assert_int_equal(store_audit_root(f->s, (uint64_t)k, roots[k - 1], &err), 0);
        assert_memory_equal(roots[k - 1], want, 32);
    }
    /* node rows: level 0 plus one per completed subtree = 2n - popcount(n) */
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM audit_node", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 2 * 70 - __builtin_popcount(70));
    sqlite3_finalize(st);
    sqlite3_close(db);
    /* every inclusion proof in the tree of 70, and consistency between every pair of sizes */
    for (uint64_t i = 0; i < 70; i++) {
        assert_int_equal(store_audit_inclusion(f->s, i, 70, proof, &n, &err), 0);
        unsigned char lh[32];
        assert_int_equal(store_audit_node(f->s, 0, i, lh, &err), 0);
        assert_int_equal(merkle_verify_inclusion(i, 70, lh, (const unsigned char (*)[32])proof, n, roots[69], &err), 0);
    }
    for (uint64_t a = 1; a <= 70; a += 3)
        for (uint64_t b = a; b <= 70; b += 5) {
            assert_int_equal(store_audit_consistency(f->s, a, b, proof, &n, &err), 0);
            assert_int_equal(merkle_verify_consistency(a, b, roots[a - 1], roots[b - 1], (const unsigned char (*)[32])proof, n, &err), 0);
        }
    /* sizes beyond the log are refused */
    assert_int_equal(store_audit_root(f->s, 71, root, &err), ENLACE_EINVAL);
    assert_int_equal(store_audit_consistency(f->s, 5, 71, proof, &n, &err), ENLACE_EINVAL);
    assert_int_equal(store_audit_inclusion(f->s, 70, 70, proof, &n, &err), ENLACE_EINVAL);
    /* filters */
    int count = 0;
    store_audit_filter fl = {.about = "US"};
    assert_int_equal(store_audit_leaves(f->s, 0, 70, &fl, count_cb, &count, &err), 0);
    assert_int_equal(count, 18);  /* i % 4 == 0 for i < 70 */
    count = 0;
    fl = (store_audit_filter){.principal = "kate.doyle", .contains = "000000000009"};
    assert_int_equal(store_audit_leaves(f->s, 0, 70, &fl, count_cb, &count, &err), 0);
    assert_int_equal(count, 1);  /* leaf 9 */
    count = 0;
    fl = (store_audit_filter){.since_us = 1764400000000010LL, .until_us = 1764400000000020LL};
    assert_int_equal(store_audit_leaves(f->s, 0, 70, &fl, count_cb, &count, &err), 0);
    assert_int_equal(count, 10);
}

/* A leaf appended in a write transaction disappears with it on rollback and stays on commit. */
static void test_leaf_goes_with_its_transaction(void **state) {
    fixture *f = *state;
    enlace_err err;
    audit_entry e;
    audit_object o;
    char id[80];
    entry_for(0, &e, &o, id);
    assert_int_equal(store_tx_begin(f->s, &err), 0);
    assert_int_equal(store_meta_set(f->s, "written", "1", &err), 0);
    assert_int_equal(audit_append_tx(f->s, &e, NULL, &err), 0);
    store_tx_rollback(f->s);
    char v[8];
    assert_int_equal(store_meta_get(f->s, "written", v, sizeof v, &err), ENLACE_ENOTFOUND);
    uint64_t size = 9;
    assert_int_equal(store_audit_size(f->s, &size, &err), 0);
    assert_int_equal(size, 0);
    assert_int_equal(store_tx_begin(f->s, &err), 0);
    assert_int_equal(audit_append_tx(f->s, &e, NULL, &err), 0);
    assert_int_equal(audit_append_tx(f->s, &e, NULL, &err), 0);
    assert_int_equal(store_tx_commit(f->s, &err), 0);
    assert_int_equal(store_audit_size(f->s, &size, &err), 0);
    assert_int_equal(size, 2);
    /* a store call that opens its own transaction joins the caller's (an admin change and its
     * leaf commit together, or not at all) */
    const char *ident = "{\"type\":\"identity\"}";
    assert_int_equal(store_tx_begin(f->s, &err), 0);
    assert_int_equal(store_org_add(f->s, "identity--00000000-0000-4000-8000-0000000000aa", "DEA", "US", 0, ident,
                                   1, NULL, &err), 0);
    assert_int_equal(audit_append_tx(f->s, &e, NULL, &err), 0);
    store_tx_rollback(f->s);
    store_org org;
    assert_int_equal(store_org_get(f->s, "DEA", &org, &err), ENLACE_ENOTFOUND);
    assert_int_equal(store_audit_size(f->s, &size, &err), 0);
    assert_int_equal(size, 2);
    assert_int_equal(store_tx_begin(f->s, &err), 0);
    assert_int_equal(store_org_add(f->s, "identity--00000000-0000-4000-8000-0000000000aa", "DEA", "US", 0, ident,
                                   1, NULL, &err), 0);
    assert_int_equal(audit_append_tx(f->s, &e, NULL, &err), 0);
    assert_int_equal(store_tx_commit(f->s, &err), 0);
    assert_int_equal(store_org_get(f->s, "DEA", &org, &err), 0);
    assert_int_equal(store_audit_size(f->s, &size, &err), 0);
    assert_int_equal(size, 3);
    /* an inner failure rolls everything back and the outer commit reports it */
    assert_int_equal(store_tx_begin(f->s, &err), 0);
    assert_int_equal(audit_append_tx(f->s, &e, NULL, &err), 0);
    assert_int_equal(store_org_add(f->s, "identity--00000000-0000-4000-8000-0000000000aa", "DEA", "US", 0, ident,
                                   1, NULL, &err), ENLACE_ECONFLICT);
    assert_int_not_equal(store_tx_commit(f->s, &err), 0);
    store_tx_rollback(f->s);
    assert_int_equal(store_audit_size(f->s, &size, &err), 0);
    assert_int_equal(size, 3);
}

/* ---- the group-commit writer ------------------------------------------------------------------ */

typedef struct worker {
    audit_log *log;
    int id, n;
    uint64_t idx[64];
    int rc;
} worker;

static void *worker_main(void *arg) {
    worker *w = arg;
    for (int k = 0; k < w->n && w->rc == 0; k++) {
        audit_entry e[2];
        audit_object o[2];
        char id[2][80];
        entry_for(w->id * 1000 + k, &e[0], &o[0], id[0]);
        entry_for(w->id * 1000 + k + 500, &e[1], &o[1], id[1]);
        enlace_err err;
        /* a page mixing two originator parties gives two entries in one request */
        w->rc = audit_log_append(w->log, e, (size_t)(k % 2) + 1, &w->idx[k], &err);
    }
    return NULL;
}

static void test_group_commit(void **state) {
    fixture *f = *state;
    enlace_err err;
    audit_log_config c = {f->path, f->sk, f->origin, 60000, 0};
    audit_log *log = NULL;
    assert_int_equal(audit_log_open(&c, &log, &err), 0);
    enum { W = 8, N = 40 };
    worker w[W];
    pthread_t th[W];
    for (int i = 0; i < W; i++) {
        w[i] = (worker){log, i, N, {0}, 0};
        pthread_create(&th[i], NULL, worker_main, &w[i]);
    }
    for (int i = 0; i < W; i++) pthread_join(th[i], NULL);
    uint64_t batches = 0, entries = 0;
    audit_log_stats(log, &batches, &entries);
    for (int i = 0; i < W; i++) assert_int_equal(w[i].rc, 0);
    assert_int_equal(entries, W * (N / 2) * 3);  /* half the requests carry 2 entries */
    /* concurrent requests shared commits: fewer syncs than requests */
    print_message("group commit: %d requests, %llu entries, %llu commits\n", W * N, (unsigned long long)entries,
                  (unsigned long long)batches);
    assert_true(batches < (uint64_t)(W * N));
    /* every request's entries got distinct, contiguous indexes */
    unsigned char *seen = calloc(entries, 1);
    for (int i = 0; i < W; i++)
        for (int k = 0; k < N; k++) {
            size_t m = (size_t)(k % 2) + 1;
            for (size_t j = 0; j < m; j++) {
                assert_true(w[i].idx[k] + j < entries);
                assert_int_equal(seen[w[i].idx[k] + j], 0);
                seen[w[i].idx[k] + j] = 1;
            }
        }
    free(seen);
    /* durable on return: another connection sees them all, and a head signs them */
    store *other = NULL;
    assert_int_equal(store_open(f->path, 0, &other, &err), 0);
    uint64_t size = 0;
    assert_int_equal(store_audit_size(other, &size, &err), 0);
    assert_int_equal(size, entries);
    assert_int_equal(audit_log_checkpoint_now(log, &err), 0);
    char *note = NULL;
    uint64_t csize = 0;
    assert_int_equal(store_audit_checkpoint_latest(other, &csize, &note, NULL, &err), 0);
    assert_int_equal(csize, entries);
    audit_checkpoint cp;
    assert_int_equal(audit_checkpoint_verify(note, strlen(note), f->pk, &cp, &err), 0);
    unsigned char root[32];
    assert_int_equal(store_audit_root(other, entries, root, &err), 0);
    assert_memory_equal(cp.root, root, 32);
    assert_string_equal(cp.origin, f->origin);
    free(note);
    store_close(other);
    audit_log_close(log);
}

/* Async appends (the HTTP server's path): each callback runs once, after its entries are
 * durable; shutdown commits what is queued and refuses what comes later; batch appends build the
 * same tree as single ones. */
static int copy_leaf(void *ctx, const store_audit_leaf *leaf);

typedef struct cb_state {
    pthread_mutex_t mu;
    int calls, failed;
    const char *path;
} cb_state;

static void on_done(void *ctx, int rc, const enlace_err *err) {
    cb_state *c = ctx;
    (void)err;
    pthread_mutex_lock(&c->mu);
    c->calls++;
    if (rc) c->failed++;
    pthread_mutex_unlock(&c->mu);
}

static void test_async_appends(void **state) {
    fixture *f = *state;
    enlace_err err;
    audit_log_config c = {f->path, f->sk, f->origin, 60000, 0};
    audit_log *log = NULL;
    assert_int_equal(audit_log_open(&c, &log, &err), 0);
    cb_state cs = {PTHREAD_MUTEX_INITIALIZER, 0, 0, f->path};
    for (int i = 0; i < 200; i++) {
        audit_entry e[2];
        audit_object o[2];
        char id[2][80];
        entry_for(i, &e[0], &o[0], id[0]);
        entry_for(i + 1000, &e[1], &o[1], id[1]);
        /* the entries are copied when queued: they may go away at once */
        assert_int_equal(audit_log_append_async(log, e, (size_t)(i % 2) + 1, on_done, &cs, &err), 0);
    }
    audit_log_shutdown(log);
    assert_int_equal(cs.calls, 200);
    assert_int_equal(cs.failed, 0);
    audit_entry e;
    audit_object o;
    char id[80];
    entry_for(1, &e, &o, id);
    assert_int_equal(audit_log_append_async(log, &e, 1, on_done, &cs, &err), ENLACE_EIO);
    assert_int_equal(audit_log_append(log, &e, 1, NULL, &err), ENLACE_EIO);
    audit_log_close(log);
    assert_int_equal(cs.calls, 200);
    uint64_t size = 0;
    assert_int_equal(store_audit_size(f->s, &size, &err), 0);
    assert_int_equal(size, 300);
    /* the same leaves one by one in another store: the same root */
    char path2[128];
    snprintf(path2, sizeof path2, "%s/single.db", f->dir);
    store *s2 = NULL;
    assert_int_equal(store_open(path2, 1, &s2, &err), 0);
    assert_int_equal(store_audit_leaves(f->s, 0, 300, NULL, copy_leaf, s2, &err), 0);
    unsigned char r1[32], r2[32];
    for (uint64_t n = 1; n <= 300; n += 37) {
        assert_int_equal(store_audit_root(f->s, n, r1, &err), 0);
        assert_int_equal(store_audit_root(s2, n, r2, &err), 0);
        assert_memory_equal(r1, r2, 32);
    }
    store_close(s2);
}

static int copy_leaf(void *ctx, const store_audit_leaf *leaf) {
    enlace_err err;
    return store_audit_append(ctx, leaf->time_us, leaf->about, leaf->principal, leaf->data, leaf->len, NULL, &err);
}

/* Regression: an async entry queued while a blocking caller was committing was left for the
 * writer thread, asleep until the next checkpoint tick (60 s here). Another connection holds the
 * write lock so that the blocking caller's commit is certainly in progress when the async entry
 * comes; once the lock goes, the async entry must be committed promptly. */
typedef struct blocker {
    audit_log *log;
    int rc;
} blocker;

static void *blocking_main(void *arg) {
    blocker *b = arg;
    audit_entry e;
    audit_object o;
    char id[80];
    entry_for(1, &e, &o, id);
    enlace_err err;
    b->rc = audit_log_append(b->log, &e, 1, NULL, &err);
    return NULL;
}

static void test_async_while_a_caller_leads(void **state) {
    fixture *f = *state;
    enlace_err err;
    audit_log_config c = {f->path, f->sk, f->origin, 60000, 0};
    audit_log *log = NULL;
    assert_int_equal(audit_log_open(&c, &log, &err), 0);
    sqlite3 *ext = NULL;
    assert_int_equal(sqlite3_open(f->path, &ext), SQLITE_OK);
    assert_int_equal(sqlite3_exec(ext, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    blocker b = {log, -1};
    pthread_t th;
    pthread_create(&th, NULL, blocking_main, &b);
    struct timespec ts = {0, 200 * 1000000L};
    nanosleep(&ts, NULL);  /* the blocking caller leads and waits for the write lock */
    cb_state cs = {PTHREAD_MUTEX_INITIALIZER, 0, 0, f->path};
    audit_entry e;
    audit_object o;
    char id[80];
    entry_for(2, &e, &o, id);
    assert_int_equal(audit_log_append_async(log, &e, 1, on_done, &cs, &err), 0);
    assert_int_equal(sqlite3_exec(ext, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(ext);
    pthread_join(th, NULL);
    assert_int_equal(b.rc, 0);
    for (int waited = 0;; waited++) {
        pthread_mutex_lock(&cs.mu);
        int calls = cs.calls;
        pthread_mutex_unlock(&cs.mu);
        if (calls == 1) break;
        if (waited > 2000) fail_msg("the async entry was not committed within 2 s");
        ts = (struct timespec){0, 1000000L};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(cs.failed, 0);
    audit_log_close(log);
}

/* A head is issued when the log grew and the interval passed, never for an unchanged log. */
static void test_checkpoint_interval(void **state) {
    fixture *f = *state;
    enlace_err err;
    audit_log_config c = {f->path, f->sk, f->origin, 200, 0};
    audit_log *log = NULL;
    assert_int_equal(audit_log_open(&c, &log, &err), 0);
    uint64_t size = 99;
    char *note = NULL;
    /* the empty log got a head of size 0 at open */
    assert_int_equal(store_audit_checkpoint_latest(f->s, &size, &note, NULL, &err), 0);
    assert_int_equal(size, 0);
    free(note);
    audit_entry e;
    audit_object o;
    char id[80];
    entry_for(1, &e, &o, id);
    assert_int_equal(audit_log_append(log, &e, 1, NULL, &err), 0);
    struct timespec ts = {0, 500 * 1000000L};
    nanosleep(&ts, NULL);
    assert_int_equal(store_audit_checkpoint_latest(f->s, &size, &note, NULL, &err), 0);
    assert_int_equal(size, 1);
    free(note);
    audit_log_close(log);
    /* a leaf appended by another process (a CLI admin change) while no log was open: the next
     * open signs it at once */
    assert_int_equal(audit_append_tx(f->s, &e, NULL, &err), 0);
    assert_int_equal(audit_log_open(&c, &log, &err), 0);
    assert_int_equal(store_audit_checkpoint_latest(f->s, &size, &note, NULL, &err), 0);
    assert_int_equal(size, 2);
    free(note);
    audit_log_close(log);
}

/* ---- tampering, caught by verify -------------------------------------------------------------- */

/* A local source: what a node's /enlace/v1/audit/ would serve, read straight from a store. */
typedef struct local_src {
    store *s;
    const char *replay;   /* non-NULL: serve this note as the latest head */
    int redact;           /* serve entries as hashes only */
} local_src;

static int l_checkpoint(void *ctx, char **note, size_t *len, enlace_err *err) {
    local_src *l = ctx;
    if (l->replay) {
        *note = strdup(l->replay);
        *len = strlen(*note);
        return 0;
    }
    int rc = store_audit_checkpoint_latest(l->s, NULL, note, NULL, err);
    if (rc == 0) *len = strlen(*note);
    return rc;
}

static int l_consistency(void *ctx, uint64_t a, uint64_t b, unsigned char (*proof)[32], size_t *n, enlace_err *err) {
    return store_audit_consistency(((local_src *)ctx)->s, a, b, proof, n, err);
}

typedef struct leaves_ctx {
    audit_leaf_cb cb;
    void *cbctx;
    int redact;
    enlace_err *err;
} leaves_ctx;

static int l_leaf(void *ctx, const store_audit_leaf *leaf) {
    leaves_ctx *lc = ctx;
    return lc->cb(lc->cbctx, leaf->idx, lc->redact ? NULL : leaf->data, leaf->len, leaf->hash, lc->err);
}

static int l_leaves(void *ctx, uint64_t start, uint64_t end, audit_leaf_cb cb, void *cbctx, enlace_err *err) {
    local_src *l = ctx;
    leaves_ctx lc = {cb, cbctx, l->redact, err};
    return store_audit_leaves(l->s, start, end, NULL, l_leaf, &lc, err);
}

static int verify(fixture *f, audit_state *st, local_src *src, int entries, enlace_err *err) {
    audit_source as = {src, l_checkpoint, l_consistency, l_leaves};
    audit_verify_result res;
    return audit_verify_run(st, &as, f->pk, entries, &res, err);
}

static void sign_head(fixture *f) {
    enlace_err err;
    assert_int_equal(audit_checkpoint_issue(f->s, f->origin, f->sk, 1764400000000000LL, 1, NULL, NULL, &err), 0);
}

static void sql(fixture *f, const char *q) {
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, q, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", q, msg);
    sqlite3_close(db);
}

/* What an operator who rewrites the log must do for proofs to work again: recompute every
 * subtree hash from the (changed) leaves, and sign new heads. */
typedef struct saved_leaf { int64_t t; char about[8], principal[32]; unsigned char *data; size_t len; } saved_leaf;

static int save_leaf(void *ctx, const store_audit_leaf *leaf) {
    saved_leaf *s = (saved_leaf *)ctx + leaf->idx;
    s->t = leaf->time_us;
    snprintf(s->about, sizeof s->about, "%s", leaf->about);
    snprintf(s->principal, sizeof s->principal, "%s", leaf->principal);
    s->data = malloc(leaf->len);
    memcpy(s->data, leaf->data, leaf->len);
    s->len = leaf->len;
    return 0;
}

static void rebuild_and_resign(fixture *f) {
    enlace_err err;
    uint64_t n = 0;
    assert_int_equal(store_audit_size(f->s, &n, &err), 0);
    saved_leaf *all = calloc(n, sizeof *all);
    assert_int_equal(store_audit_leaves(f->s, 0, n, NULL, save_leaf, all, &err), 0);
    sql(f, "DELETE FROM audit_leaf; DELETE FROM audit_node; DELETE FROM audit_checkpoint;");
    for (uint64_t i = 0; i < n; i++) {
        assert_int_equal(store_audit_append(f->s, all[i].t, all[i].about, all[i].principal, all[i].data, all[i].len,
                                            NULL, &err), 0);
        free(all[i].data);
    }
    free(all);
    sign_head(f);
}

static void expect_caught(fixture *f, audit_state *st, local_src *src, int entries, const char *reason) {
    enlace_err err;
    audit_state keep;
    memset(&keep, 0, sizeof keep);
    assert_int_not_equal(verify(f, st, src, entries, &err), 0);
    print_message("caught: %s\n", err.msg);
    if (strncmp(err.msg, reason, strlen(reason)) != 0) fail_msg("want reason '%s', got '%s'", reason, err.msg);
}

static void test_tamper_edit_leaf(void **state) {
    fixture *f = *state;
    enlace_err err;
    audit_state st = {0};
    local_src src = {f->s, NULL, 0};
    append_n(f, 0, 20);
    sign_head(f);
    assert_int_equal(verify(f, &st, &src, 1, &err), 0);  /* first use, with every leaf checked */
    append_n(f, 20, 25);
    sign_head(f);
    /* (1) a new entry's bytes changed in place (hiding who read): its leaf hash no longer fits */
    sql(f, "UPDATE audit_leaf SET data = replace(data, 'kate.doyle', 'ana.ruiz') WHERE idx = 21");
    audit_state a = {0};
    audit_state_set(&a, st.note, strlen(st.note), &st.cp, &st.range, &err);
    expect_caught(f, &a, &src, 1, "leaf 21: its entry does not match");
    audit_state_free(&a);
    /* (2) the same edit hidden by rebuilding every hash and signing again: the new head is not
     * consistent with the one the partner kept (leaf 3 was already covered by it) */
    sql(f, "UPDATE audit_leaf SET data = replace(data, 'kate.doyle', 'ana.ruiz') WHERE idx = 3");
    rebuild_and_resign(f);
    expect_caught(f, &st, &src, 0, "fork:");
    /* (3) a partner who only audits entries (fresh state) sees every served entry rebuild the
     * signed root: an in-place edit without rebuilding cannot hide */
    sql(f, "UPDATE audit_leaf SET data = replace(data, 'MX', 'US') WHERE idx = 7");
    audit_state fresh = {0};
    expect_caught(f, &fresh, &src, 1, "leaf 7: its entry does not match");
    /* (4) a node that serves the hashes of redacted entries as the edited ones would: the root
     * does not come out */
    sql(f, "UPDATE audit_node SET hash = randomblob(32) WHERE pos = 9 * 64");  /* leaf 9's hash */
    src.redact = 1;
    audit_state_free(&fresh);
    expect_caught(f, &fresh, &src, 1, "leaf entries: the leaves served do not rebuild");
    audit_state_free(&st);
}

static void test_tamper_drop_swap_replay_key(void **state) {
    fixture *f = *state;
    enlace_err err;
    local_src src = {f->s, NULL, 0};
    append_n(f, 0, 30);
    sign_head(f);
    char *old_note = NULL;
    assert_int_equal(store_audit_checkpoint_latest(f->s, NULL, &old_note, NULL, &err), 0);  /* size 30 */
    append_n(f, 30, 40);
    sign_head(f);
    audit_state st = {0};
    assert_int_equal(verify(f, &st, &src, 0, &err), 0);
    assert_int_equal(st.cp.size, 40);

    /* replay an older head (size 30) to a partner who saw 40 */
    src.replay = old_note;
    expect_caught(f, &st, &src, 0, "rollback: tree size 30 < last seen 40");
    src.replay = NULL;

    /* sign with another key: the same tree head, another node key */
    unsigned char pk2[32], sk2[64];
    crypto_sign_keypair(pk2, sk2);
    unsigned char root[32];
    assert_int_equal(store_audit_root(f->s, 40, root, &err), 0);
    enlace_buf forged = ENLACE_BUF_INIT;
    assert_int_equal(audit_checkpoint_sign(f->origin, 40, root, sk2, &forged, &err), 0);
    src.replay = forged.p;
    expect_caught(f, &st, &src, 0, "bad signature");
    src.replay = NULL;
    enlace_buf_free(&forged);

    /* swap two leaves (and rebuild and re-sign so that proofs work): a fork */
    audit_state st2 = {0};
    audit_state_set(&st2, st.note, strlen(st.note), &st.cp, NULL, &err);
    sql(f, "UPDATE audit_leaf SET idx = -1 WHERE idx = 5; UPDATE audit_leaf SET idx = 5 WHERE idx = 6;"
           "UPDATE audit_leaf SET idx = 6 WHERE idx = -1;");
    rebuild_and_resign(f);
    expect_caught(f, &st2, &src, 0, "fork: two different signed roots for tree size 40");
    /* and once the log grows past what the partner saw, still a fork (no consistency proof) */
    append_n(f, 40, 45);
    sign_head(f);
    expect_caught(f, &st2, &src, 0, "fork: the tree head of size 45 is not consistent");
    audit_state_free(&st2);

    /* drop the last leaves: the node now shows a shorter log */
    sql(f, "DELETE FROM audit_leaf WHERE idx >= 35; DELETE FROM audit_node WHERE (pos >> 6) >= 35;"
           "DELETE FROM audit_checkpoint;");
    sign_head(f);
    expect_caught(f, &st, &src, 0, "rollback: tree size 35 < last seen 40");
    free(old_note);
    audit_state_free(&st);
}

/* The state file round-trips, and a state file whose head another key signed is refused. */
static void test_state_file(void **state) {
    fixture *f = *state;
    enlace_err err;
    local_src src = {f->s, NULL, 0};
    append_n(f, 0, 13);
    sign_head(f);
    audit_state st = {0};
    assert_int_equal(verify(f, &st, &src, 1, &err), 0);
    enlace_buf text = ENLACE_BUF_INIT;
    assert_int_equal(audit_state_format(&st, &text), 0);
    audit_state back;
    assert_int_equal(audit_state_parse(text.p, text.len, f->pk, &back, &err), 0);
    assert_int_equal(back.cp.size, 13);
    assert_int_equal(back.have_range, 1);
    assert_int_equal(back.range.n, 3);  /* 13 = 8 + 4 + 1 */
    append_n(f, 13, 20);
    sign_head(f);
    audit_verify_result res;
    audit_source as = {&src, l_checkpoint, l_consistency, l_leaves};
    assert_int_equal(audit_verify_run(&back, &as, f->pk, 1, &res, &err), 0);
    assert_int_equal(res.old_size, 13);
    assert_int_equal(res.leaves_checked, 7);  /* only the new leaves were read */
    unsigned char pk2[32], sk2[64];
    crypto_sign_keypair(pk2, sk2);
    audit_state other;
    assert_int_equal(audit_state_parse(text.p, text.len, pk2, &other, &err), ENLACE_EAUTH);
    assert_int_equal(audit_state_parse("", 0, f->pk, &other, &err), 0);
    assert_int_equal(other.have, 0);
    assert_int_equal(audit_state_parse("{}", 2, f->pk, &other, &err), ENLACE_EINVAL);
    enlace_buf_free(&text);
    audit_state_free(&back);
    audit_state_free(&st);
}

int main(void) {
    if (sodium_init() < 0) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_append_roots_and_proofs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leaf_goes_with_its_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_interval, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_appends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_while_a_caller_leads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_edit_leaf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tamper_drop_swap_replay_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
