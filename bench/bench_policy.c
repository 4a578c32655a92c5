/* bench_policy.c - what originator control costs in the store: paging and single-object
 * lookups through store_query_objects (the enlace_visible predicate on every candidate row)
 * against the same SQL without the predicate on the same file (plain SQLite). The SQL is the
 * store's own, read back from its connection (store_sql). */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gen.h"
#include "store/internal.h" /* the predicate's SQL text and function, the store's connection */
#include "store/store.h"

#define SEED 7

static double wall_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The measurements use this thread's CPU time: on a machine shared with other builds, wall
 * time moved by +-30% run to run, CPU time by a few percent, and both sides of every ratio run
 * in this one thread (the file is in the kernel's page cache after the warm-up pass). */
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const enlace_err *err) {
    fprintf(stderr, "bench_policy: %s: %s\n", what, err ? err->msg : "");
    exit(1);
}

static uint64_t rnd(uint64_t *s) { /* splitmix64: the same lookups every run */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The realistic mix of markings object i carries (deterministic): 40% CLEAR, 25% GREEN, 20%
 * AMBER (half of them releasable to US), 4% AMBER+STRICT naming DEA, 5% RED, 6% unmarked
 * (AMBER: no collection default); 10% ORCON, 5% vetted-only, 2% with a review date ahead. */
static const stix_marking *marking_of(uint64_t i, stix_marking *m, const char *dea_identity) {
    memset(m, 0, sizeof *m);
    uint64_t h = i * 0x9e3779b97f4a7c15ull;
    int r = (int)((h >> 32) % 100);
    if (r < 6) return NULL;
    m->tlp = r < 46 ? STIX_TLP_CLEAR : r < 71 ? STIX_TLP_GREEN : r < 91 ? STIX_TLP_AMBER
           : r < 95 ? STIX_TLP_AMBER_STRICT : STIX_TLP_RED;
    if (m->tlp == STIX_TLP_AMBER && (h >> 8) % 2) {
        m->has_releasable_to = 1;
        strcpy(m->releasable_to, ",MX,US,");
    }
    if (m->tlp == STIX_TLP_AMBER_STRICT) {
        m->has_releasable_to_orgs = 1;
        snprintf(m->releasable_to_orgs, sizeof m->releasable_to_orgs, ",%s,", dea_identity);
    }
    m->orcon = (h >> 16) % 10 == 0;
    m->vetted_only = (h >> 20) % 20 == 0;
    if ((h >> 24) % 50 == 0) m->review_by_us = (int64_t)4102444800 * 1000000; /* 2100 */
    return m;
}

typedef struct sink {
    size_t rows, bytes;
    int64_t last_da;
} sink;

static int consume(void *ctx, const store_row *r) {
    sink *k = ctx;
    k->rows++;
    k->bytes += r->body_len;
    k->last_da = r->date_added;
    return 0;
}

/* Page the default listing as principal p, `limit` rows per call, each call in its own read
 * transaction as the server does. Returns seconds; *k gets rows and bytes delivered. */
static double page_store(store *s, int64_t coll, const policy_principal *p, size_t limit, sink *k) {
    enlace_err err;
    memset(k, 0, sizeof *k);
    k->last_da = -1;
    double t0 = now_s();
    for (;;) {
        store_query q = {.coll_rowid = coll, .after_us = k->last_da, .limit = limit, .principal = p};
        int more = 0;
        if (store_read_begin(s, &err) || store_query_objects(s, &q, consume, k, &more, &err) ||
            store_read_end(s, &err))
            die("query", &err);
        if (!more) break;
    }
    return now_s() - t0;
}

/* The SQL of the raw variants is the store's own: after one listing page and one GET through
 * store_query_objects, the statements it prepared are read back from its connection
 * (sqlite3_next_stmt + sqlite3_sql on store_sqlite(s)). The "+ predicate" variants run that
 * text as it is; the baseline runs it with " AND " STORE_VISIBLE_SQL cut out, which must occur
 * exactly once. So the benchmark measures whatever predicate form the store runs (today the
 * 17-argument one on the row's and the node-wide latest version's markings), and breaks
 * loudly, not silently, when the store's text no longer has that shape. */
#define SELECT_COLS \
    "SELECT id, type, spec_version, version, date_added, body, orig_org, orig_party, rowid FROM object"
#define PRED " AND " STORE_VISIBLE_SQL
static char *sql_page_pred, *sql_get_pred, *sql_page_raw, *sql_get_raw;

/* The store's statement for a listing page (get 0) or a GET by id (get 1), copied (free()). */
static char *store_sql(store *s, int get) {
    sqlite3 *db = store_sqlite(s);
    const char *found = NULL;
    int n = 0;
    for (sqlite3_stmt *st = sqlite3_next_stmt(db, NULL); st; st = sqlite3_next_stmt(db, st)) {
        const char *sql = sqlite3_sql(st);
        if (!sql || strncmp(sql, SELECT_COLS " ", strlen(SELECT_COLS) + 1) != 0 || !strstr(sql, "enlace_visible"))
            continue;
        if ((strstr(sql, " AND id = ?4") != NULL) != get) continue;
        found = sql;
        n++;
    }
    if (n != 1) {
        fprintf(stderr, "bench_policy: expected one %s statement of store_query_objects, found %d\n",
                get ? "GET" : "listing", n);
        exit(1);
    }
    char *copy = strdup(found);
    if (!copy) die("out of memory", NULL);
    return copy;
}

/* sql without its one occurrence of PRED (free()); exits when it is not there exactly once or
 * something of the predicate is left. */
static char *without_pred(const char *sql) {
    const char *at = strstr(sql, PRED);
    if (!at || strstr(at + 1, PRED)) {
        fprintf(stderr, "bench_policy: the store's SQL does not hold \"%s\" exactly once: %s\n", PRED, sql);
        exit(1);
    }
    size_t head = (size_t)(at - sql), tail = strlen(at + strlen(PRED));
    char *out = malloc(head + tail + 1);
    if (!out) die("out of memory", NULL);
    memcpy(out, sql, head);
    memcpy(out + head, at + strlen(PRED), tail + 1);
    if (strstr(out, "enlace_visible") || strstr(out, "?5") || strstr(out, "?6") || strstr(out, "?7")) {
        fprintf(stderr, "bench_policy: the store's SQL has more of the predicate than %s: %s\n", PRED, sql);
        exit(1);
    }
    return out;
}

/* EXPLAIN QUERY PLAN of sql on db, its detail lines joined by "; " into out; with skip_ctx,
 * without the predicate's context subqueries (on collection, agreement, and for a mirror's
 * agreement mirror and meta: STORE_VISIBLE_CTX). */
static void query_plan(sqlite3 *db, const char *sql, int skip_ctx, char *out, size_t n) {
    char *eqp = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql);
    sqlite3_stmt *st = NULL;
    if (!eqp || sqlite3_prepare_v2(db, eqp, -1, &st, NULL) != SQLITE_OK) die("explain prepare", NULL);
    size_t len = 0;
    out[0] = 0;
    while (sqlite3_step(st) == SQLITE_ROW && len < n) {
        const char *d = (const char *)sqlite3_column_text(st, 3);
        if (skip_ctx && d &&
            (!strncmp(d, "SCALAR SUBQUERY", 15) || strstr(d, " collection ") || strstr(d, " agreement ") ||
             strstr(d, " mirror ") || strstr(d, " meta ")))
            continue;
        int w = snprintf(out + len, n - len, "%s%s", len ? "; " : "", (const char *)sqlite3_column_text(st, 3));
        if (w > 0) len += (size_t)w;
    }
    sqlite3_finalize(st);
    sqlite3_free(eqp);
}

/* The baseline must read the same rows the same way: the plan of the text without the
 * predicate has to be the plan with it, minus the context subqueries. */
static void same_plan(sqlite3 *db, const char *with, const char *without) {
    char a[1024], a_rows[1024], b[1024];
    query_plan(db, with, 0, a, sizeof a);
    query_plan(db, with, 1, a_rows, sizeof a_rows);
    query_plan(db, without, 0, b, sizeof b);
    printf("plan: %s\n", a);
    if (strcmp(a_rows, b) != 0) {
        fprintf(stderr, "bench_policy: plan without the predicate: %s\n", b);
        fprintf(stderr, "bench_policy: the baseline's plan differs from the store's\n");
        exit(1);
    }
}

/* Bind the predicate's principal when the statement has it. */
static void bind_principal(sqlite3_stmt *st, const policy_principal *p) {
    if (p) store_bind_principal(st, p);
}

/* BEGIN / COMMIT as prepared statements, as the store keeps them (sqlite3_exec would parse
 * the text on every call and make the baseline slower than it is). */
static sqlite3_stmt *raw_begin, *raw_commit;

static void raw_step(sqlite3 *db, sqlite3_stmt *st) {
    if (sqlite3_step(st) != SQLITE_DONE) {
        fprintf(stderr, "bench_policy: %s: %s\n", sqlite3_sql(st), sqlite3_errmsg(db));
        exit(1);
    }
    sqlite3_reset(st);
}

/* Page with plain SQLite: p NULL without the predicate, else with it as principal p. */
static double page_raw(sqlite3 *db, int64_t coll, const policy_principal *p, size_t limit, sink *k) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, p ? sql_page_pred : sql_page_raw, -1, &st, NULL) != SQLITE_OK) die("raw prepare", NULL);
    memset(k, 0, sizeof *k);
    k->last_da = -1;
    double t0 = now_s();
    for (;;) {
        raw_step(db, raw_begin);
        sqlite3_bind_int64(st, 1, coll);
        sqlite3_bind_int64(st, 2, k->last_da);
        sqlite3_bind_int64(st, 3, (int64_t)limit + 1);
        bind_principal(st, p);
        size_t n = 0;
        int more = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            if (n == limit) {
                more = 1;
                break;
            }
            /* read what the store's row hands out */
            (void)sqlite3_column_text(st, 0);
            (void)sqlite3_column_text(st, 1);
            (void)sqlite3_column_text(st, 2);
            (void)sqlite3_column_text(st, 3);
            k->last_da = sqlite3_column_int64(st, 4);
            (void)sqlite3_column_text(st, 5);
            k->bytes += (size_t)sqlite3_column_bytes(st, 5);
            (void)sqlite3_column_int64(st, 6);
            (void)sqlite3_column_text(st, 7);
            (void)sqlite3_column_int64(st, 8);
            n++;
        }
        sqlite3_reset(st);
        raw_step(db, raw_commit);
        k->rows += n;
        if (!more) break;
    }
    double t = now_s() - t0;
    sqlite3_finalize(st);
    return t;
}

static double get_store(store *s, int64_t coll, const policy_principal *p, char (*ids)[64], size_t n,
                        size_t *found) {
    enlace_err err;
    sink k = {0};
    double t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        store_query q = {.coll_rowid = coll, .after_us = -1, .object_id = ids[i], .limit = 1000, .principal = p};
        int more = 0;
        if (store_read_begin(s, &err) || store_query_objects(s, &q, consume, &k, &more, &err) ||
            store_read_end(s, &err))
            die("get", &err);
    }
    *found = k.rows;
    return now_s() - t0;
}

static double get_raw(sqlite3 *db, int64_t coll, const policy_principal *p, char (*ids)[64], size_t n,
                      size_t *found) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, p ? sql_get_pred : sql_get_raw, -1, &st, NULL) != SQLITE_OK) die("raw prepare", NULL);
    *found = 0;
    double t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        raw_step(db, raw_begin);
        sqlite3_bind_int64(st, 1, coll);
        sqlite3_bind_int64(st, 2, -1);
        sqlite3_bind_int64(st, 3, 1001);
        sqlite3_bind_text(st, 4, ids[i], -1, SQLITE_STATIC);
        bind_principal(st, p);
        while (sqlite3_step(st) == SQLITE_ROW) {
            (void)sqlite3_column_text(st, 5);
            (*found)++;
        }
        sqlite3_reset(st);
        raw_step(db, raw_commit);
    }
    double t = now_s() - t0;
    sqlite3_finalize(st);
    return t;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median over passes of 1 - t(raw) / t(v) (paging times pt or lookup times gt, [pass][nv]). */
static double median_cost(const double *pt, const double *gt, int passes, int nv, int v, int get) {
    const double *t = get ? gt : pt;
    double c[64];
    int n = passes < 64 ? passes : 64;
    for (int i = 0; i < n; i++) c[i] = 1 - t[i * nv] / t[i * nv + v];
    qsort(c, (size_t)n, sizeof *c, cmp_double);
    return n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
}

static void usage(void) {
    fprintf(stderr,
            "usage: bench_policy [--count N] [--batch B] [--limit L] [--lookups K] [--passes P] [--dir DIR] [--keep]\n"
            "  N objects (default 200000) in envelopes of B (1000); paging with limit L (1000);\n"
            "  K single-object lookups (20000); best of P passes (5); the store file in DIR (.)\n");
    exit(2);
}

int main(int argc, char **argv) {
    size_t count = 200000, batch = 1000, limit = 1000, lookups = 20000;
    int passes = 5, keep = 0;
    const char *dir = ".";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--keep")) {
            keep = 1;
            continue;
        }
        if (!v) usage();
        if (!strcmp(a, "--count")) count = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--batch")) batch = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--limit")) limit = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--lookups")) lookups = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--passes")) passes = atoi(v);
        else if (!strcmp(a, "--dir")) dir = v;
        else usage();
        i++;
    }
    if (!count || !batch || !limit || !lookups || passes < 1) usage();

    char path[512];
    snprintf(path, sizeof path, "%s/bench-policy-%d.db", dir, (int)getpid());
    enlace_err err;
    store *s = NULL;
    if (store_open(path, 1, &s, &err)) die("open", &err);

    /* The MX node of the scenario: SSPC (its own), UIN-7 (vetted by US), DEA (US), the US
     * partner node with an agreement up to AMBER on the collection. */
    store_org sspc, uin7, dea, usnode;
    if (store_meta_set(s, "party", "MX", &err) || store_meta_set(s, "org", "SSPC", &err) ||
        store_meta_set(s, "identity_id", "identity--0b6f3e7a-5a6c-4a1e-9f0b-4f1c2d3e4a01", &err) ||
        store_party_add(s, "MX", "Mexico", &err) ||
        store_org_add(s, "identity--0b6f3e7a-5a6c-4a1e-9f0b-4f1c2d3e4a01", "SSPC", "MX", 1, "{}", 1, &sspc, &err) ||
        store_org_add(s, "identity--0b6f3e7a-5a6c-4a1e-9f0b-4f1c2d3e4a02", "UIN-7", "MX", 1, "{}", 1, &uin7, &err) ||
        store_org_add(s, "identity--0b6f3e7a-5a6c-4a1e-9f0b-4f1c2d3e4a03", "DEA", "US", 0, "{}", 1, &dea, &err) ||
        store_org_add(s, "identity--0b6f3e7a-5a6c-4a1e-9f0b-4f1c2d3e4a04", "US-NODE", "US", 0, "{}", 1, &usnode, &err) ||
        store_vetting_set(s, uin7.rowid, "US", INT64_MAX, 1, &err))
        die("setup", &err);
    store_collection coll;
    if (store_collection_create(s, NULL, "Bench", NULL, NULL, &coll, &err) ||
        store_agreement_set(s, "US", coll.rowid, POLICY_TLP_AMBER, 1, &err))
        die("collection", &err);
    store_user ana, partner;
    if (store_user_add(s, "ana.ruiz", STORE_ROLE_ANALYST, sspc.rowid, NULL, 1, &ana, &err) ||
        store_user_add(s, "us-node", STORE_ROLE_PARTNER, usnode.rowid, NULL, 1, &partner, &err))
        die("users", &err);
    int64_t now = (int64_t)time(NULL) * 1000000;
    policy_principal p_orig, p_partner;
    if (store_principal_for_user(s, &ana, now, &p_orig, &err) ||
        store_principal_for_user(s, &partner, now, &p_partner, &err))
        die("principals", &err);

    /* Load: every object by the node's own organization (actor NULL), markings mixed. */
    fprintf(stderr, "bench_policy: loading %zu objects into %s\n", count, path);
    gen_obj *objs = malloc(batch * sizeof *objs);
    store_object_in *in = calloc(batch, sizeof *in);
    stix_marking *mk = calloc(batch, sizeof *mk);
    store_put_outcome *outs = calloc(batch, sizeof *outs);
    if (!objs || !in || !mk || !outs) die("out of memory", NULL);
    double t0 = wall_s();
    for (size_t done = 0; done < count;) {
        size_t n = count - done < batch ? count - done : batch;
        for (size_t k = 0; k < n; k++) {
            gen_object(SEED, done + k, &objs[k]);
            in[k] = (store_object_in){.id = objs[k].id, .type = objs[k].type, .spec_version = "2.1",
                                      .has_version = 1, .version = objs[k].version,
                                      .version_key = objs[k].version_key, .body = objs[k].body,
                                      .body_len = objs[k].body_len,
                                      .marking = marking_of(done + k, &mk[k], dea.identity_id),
                                      .md_tlp = STIX_TLP_NONE};
        }
        if (store_put_objects(s, coll.rowid, NULL, in, n, now + (int64_t)done, outs, &err)) die("put", &err);
        for (size_t k = 0; k < n; k++)
            if (outs[k].result != STORE_ADDED) die("an object was not added", NULL);
        done += n;
    }
    double load_s = wall_s() - t0;
    free(objs);
    free(in);
    free(mk);
    free(outs);

    char (*ids)[64] = malloc(lookups * sizeof *ids);
    if (!ids) die("out of memory", NULL);
    uint64_t r = 42;
    for (size_t i = 0; i < lookups; i++) {
        gen_id(SEED, rnd(&r) % count, ids[i]);
        /* the store keys ids in lower case and lower-cases the GET's id; the raw variants bind
         * the id as given, so it must already be the key */
        char key[64];
        if (store_id_lower(ids[i], key, sizeof key) || strcmp(key, ids[i])) die("a generated id is not its key", NULL);
    }

    /* one page and one GET through the store, then its SQL (see store_sql) */
    sink k;
    size_t found = 0;
    page_store(s, coll.rowid, &p_orig, limit, &k);
    get_store(s, coll.rowid, &p_orig, ids, 1, &found);
    sql_page_pred = store_sql(s, 0);
    sql_get_pred = store_sql(s, 1);
    sql_page_raw = without_pred(sql_page_pred);
    sql_get_raw = without_pred(sql_get_pred);
    printf("store SQL, listing: %s\nstore SQL, GET:     %s\nbaseline: the same without \"%s\"\n", sql_page_pred,
           sql_get_pred, PRED);

    /* The raw variants run on the store's own connection: same open flags (no mutex), page
     * cache, pragmas and registered function; only the SQL text and the store's API differ. */
    sqlite3 *raw = store_sqlite(s);
    if (sqlite3_prepare_v2(raw, "BEGIN", -1, &raw_begin, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(raw, "COMMIT", -1, &raw_commit, NULL) != SQLITE_OK)
        die("raw prepare", NULL);
    same_plan(raw, sql_page_pred, sql_page_raw);
    same_plan(raw, sql_get_pred, sql_get_raw);

    /* best of `passes` for each measurement, after one warm-up pass of the file; the variants
     * alternate within each pass so that load on the machine hits them alike, each pass
     * starting one variant later than the one before (no variant always runs first or right
     * after the same one) */
    enum { RAW, PRED_A, PRED_B, STORE_A, STORE_B, NV };
    static const char *const NAMES[NV] = {"raw SQLite, no predicate", "raw SQLite + predicate, (a) originator",
                                          "raw SQLite + predicate, (b) US partner", "store API, (a) originator",
                                          "store API, (b) US partner"};
    const policy_principal *who[NV] = {NULL, &p_orig, &p_partner, &p_orig, &p_partner};
    page_raw(raw, coll.rowid, NULL, limit, &k);
    double pbest[NV], gbest[NV];
    double *pt = calloc((size_t)passes * NV, sizeof *pt), *gt = calloc((size_t)passes * NV, sizeof *gt);
    if (!pt || !gt) die("out of memory", NULL);
    size_t prows[NV] = {0}, pbytes[NV] = {0}, gfound[NV] = {0};
    for (int v = 0; v < NV; v++) pbest[v] = gbest[v] = 1e9;
    for (int pass = 0; pass < passes; pass++)
        for (int j = 0; j < NV; j++) {
            int v = (pass + j) % NV;
            double t = v < STORE_A ? page_raw(raw, coll.rowid, who[v], limit, &k)
                                   : page_store(s, coll.rowid, who[v], limit, &k);
            if (t < pbest[v]) pbest[v] = t;
            pt[pass * NV + v] = t;
            prows[v] = k.rows;
            pbytes[v] = k.bytes;
            t = v < STORE_A ? get_raw(raw, coll.rowid, who[v], ids, lookups, &gfound[v])
                            : get_store(s, coll.rowid, who[v], ids, lookups, &gfound[v]);
            if (t < gbest[v]) gbest[v] = t;
            gt[pass * NV + v] = t;
        }
    if (prows[RAW] != count || prows[PRED_A] != count || prows[STORE_A] != count || pbytes[STORE_A] != pbytes[RAW])
        die("the originator did not page back every object", NULL);
    if (prows[PRED_B] != prows[STORE_B] || gfound[PRED_B] != gfound[STORE_B])
        die("the store and the raw predicate disagree", NULL);
    if (gfound[RAW] != lookups || gfound[STORE_A] != lookups) die("a lookup missed", NULL);

    printf("bench_policy, %zu objects (load %.1f s, %.0f objects/s), paging limit %zu, %zu lookups, best of %d, "
           "CPU time; partner (b) sees %.1f%% of the objects\n",
           count, load_s, (double)count / load_s, limit, lookups, passes, 100.0 * (double)prows[PRED_B] / (double)count);
    printf("%-44s %14s %14s %14s\n", "variant", "paging rows/s", "examined/s", "GET lookups/s");
    for (int v = 0; v < NV; v++)
        printf("%-44s %14.0f %14.0f %14.0f\n", NAMES[v], (double)prows[v] / pbest[v], (double)count / pbest[v],
               (double)lookups / gbest[v]);
    /* cost = 1 - (rate without) / (rate with) = 1 - t_without / t_with, per pass against the raw
     * run of the same pass (paired, so drift in the machine's load cancels), median of the
     * passes; on rows examined (every listing row is examined once whatever the principal may
     * see) and on lookups */
    printf("cost vs raw (median of per-pass ratios)      %14s %14s\n", "paging", "GET");
    for (int v = PRED_A; v < NV; v++)
        printf("%-44s %13.1f%% %13.1f%%\n", NAMES[v], 100 * median_cost(pt, gt, passes, NV, v, 0),
               100 * median_cost(pt, gt, passes, NV, v, 1));
    /* key=value lines for bench/run */
    static const char *const KEYS[NV] = {"raw", "pred_a", "pred_b", "store_a", "store_b"};
    for (int v = 0; v < NV; v++) {
        printf("examined_per_s_%s=%.0f\nget_per_s_%s=%.0f\n", KEYS[v], (double)count / pbest[v], KEYS[v],
               (double)lookups / gbest[v]);
        if (v > RAW)
            printf("cost_paging_%s=%.3f\ncost_get_%s=%.3f\n", KEYS[v], median_cost(pt, gt, passes, NV, v, 0),
                   KEYS[v], median_cost(pt, gt, passes, NV, v, 1));
    }
    free(pt);
    free(gt);
    free(ids);
    free(sql_page_pred);
    free(sql_get_pred);
    free(sql_page_raw);
    free(sql_get_raw);
    sqlite3_finalize(raw_begin);
    sqlite3_finalize(raw_commit);
    store_close(s);
    if (!keep) {
        char f[600];
        snprintf(f, sizeof f, "%s-wal", path);
        unlink(f);
        snprintf(f, sizeof f, "%s-shm", path);
        unlink(f);
        unlink(path);
    }
    return 0;
}
