/* raw_sqlite.c - baseline: insert and read back the benchmark rows with SQLite alone. */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gen.h"

/* The store's object table and its indexes (src/store/migrate.c, schema step 1), plus the
 * collection row whose last_added the store bumps for every batch. */
static const char SCHEMA[] =
    "CREATE TABLE collection ("
    "  rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT NOT NULL,"
    "  description TEXT NOT NULL DEFAULT '', alias TEXT UNIQUE, last_added INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE object ("
    "  rowid INTEGER PRIMARY KEY,"
    "  coll INTEGER NOT NULL REFERENCES collection(rowid) ON DELETE CASCADE,"
    "  id TEXT NOT NULL, type TEXT NOT NULL, spec_version TEXT NOT NULL, version TEXT NOT NULL,"
    "  version_key TEXT NOT NULL, sco_nv INTEGER NOT NULL, date_added INTEGER NOT NULL,"
    "  is_top_spec INTEGER NOT NULL, is_last_s INTEGER NOT NULL, is_first_s INTEGER NOT NULL,"
    "  is_last_a INTEGER NOT NULL, is_first_a INTEGER NOT NULL, body TEXT NOT NULL);"
    "CREATE UNIQUE INDEX object_key ON object(coll, id, version_key, sco_nv);"
    "CREATE UNIQUE INDEX object_added ON object(coll, date_added);"
    "CREATE INDEX object_added_last ON object(coll, date_added) WHERE is_top_spec = 1 AND is_last_s = 1;"
    "CREATE INDEX object_type_last ON object(coll, type, date_added) WHERE is_top_spec = 1 AND is_last_s = 1;"
    "INSERT INTO collection(rowid, id, title) VALUES (1, '6b1e0d56-7a4f-4c1b-9d2e-3f5a6b7c8d9e', 'Bench');";

/* Durability as the store's (WAL, synchronous=FULL, src/store/sqlite.c store_open); the page
 * cache and mmap are SQLite's defaults (2 MB, none) on purpose, not the store's current tuning:
 * the baseline is "raw SQLite", so a cache size the store picks shows up in the ratio. */
static const char PRAGMAS[] =
    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
    "PRAGMA temp_store = MEMORY; PRAGMA busy_timeout = 10000;";

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t wall_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void die(sqlite3 *db, const char *what) {
    fprintf(stderr, "raw_sqlite: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
    exit(1);
}

static void exec(sqlite3 *db, const char *sql) {
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "raw_sqlite: %s: %s\n", sql, msg ? msg : "?");
        exit(1);
    }
}

static sqlite3 *open_db(const char *path) {
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK) die(db, "open");
    exec(db, PRAGMAS);
    return db;
}

/* Read every row of collection coll in date_added order, page rows per query, as the store's
 * default listing does. Returns the seconds taken; fills rows, bytes (body bytes), sum. */
static double read_back(sqlite3 *db, long long coll, unsigned long long page,
                        unsigned long long *rows_out, unsigned long long *bytes_out,
                        unsigned long long *sum_out) {
    sqlite3_stmt *sel = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT date_added, body FROM object WHERE coll = ?3 AND is_top_spec = 1"
                           " AND is_last_s = 1 AND date_added > ?1 ORDER BY date_added LIMIT ?2",
                           -1, &sel, NULL) != SQLITE_OK)
        die(db, "prepare select");
    sqlite3_bind_int64(sel, 3, coll);
    double t0 = now_s();
    unsigned long long rows = 0, bytes = 0, sum = 0;
    int64_t after = -1;
    for (;;) {
        unsigned long long got = 0;
        sqlite3_bind_int64(sel, 1, after);
        sqlite3_bind_int64(sel, 2, (sqlite3_int64)page);
        int rc;
        while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
            after = sqlite3_column_int64(sel, 0);
            const unsigned char *b = sqlite3_column_text(sel, 1);
            int len = sqlite3_column_bytes(sel, 1);
            bytes += (unsigned long long)len;
            sum += b[0] + b[len - 1];
            got++;
        }
        if (rc != SQLITE_DONE) die(db, "select");
        sqlite3_reset(sel);
        rows += got;
        if (got < page) break;
    }
    double t = now_s() - t0;
    sqlite3_finalize(sel);
    *rows_out = rows, *bytes_out = bytes, *sum_out = sum;
    return t;
}

static void usage(void) {
    fprintf(stderr,
            "usage: raw_sqlite --db FILE [--count N] [--batch B] [--seed S] [--page P] [--passes K]\n"
            "Inserts N generated objects into a fresh FILE (WAL, synchronous=FULL, one transaction\n"
            "per B rows), then reads them back in date_added order, P rows per query, K times\n"
            "(read_mb_per_s: the best pass; read_first_mb_per_s: the first). Prints\n"
            "key=value lines: rows, insert_s, insert_rows_per_s, read_bytes, read_s, read_mb_per_s.\n"
            "       raw_sqlite --read FILE [--coll ROWID] [--page P]\n"
            "Only reads collection ROWID (default 1) of an existing store, the same way (analysis).\n");
}

int main(int argc, char **argv) {
    const char *path = NULL, *read_path = NULL;
    long long coll = 1;
    unsigned long long count = 20000, batch = 1000, seed = 1, page = 10000, passes = 3;
    for (int a = 1; a < argc; a++) {
        const char *v = a + 1 < argc ? argv[a + 1] : NULL;
        if (!strcmp(argv[a], "--db") && v) path = v, a++;
        else if (!strcmp(argv[a], "--count") && v) count = strtoull(v, NULL, 10), a++;
        else if (!strcmp(argv[a], "--batch") && v) batch = strtoull(v, NULL, 10), a++;
        else if (!strcmp(argv[a], "--seed") && v) seed = strtoull(v, NULL, 10), a++;
        else if (!strcmp(argv[a], "--page") && v) page = strtoull(v, NULL, 10), a++;
        else if (!strcmp(argv[a], "--passes") && v) passes = strtoull(v, NULL, 10), a++;
        else if (!strcmp(argv[a], "--read") && v) read_path = v, a++;
        else if (!strcmp(argv[a], "--coll") && v) coll = strtoll(v, NULL, 10), a++;
        else { usage(); return 2; }
    }
    if (read_path && page) {
        sqlite3 *db = open_db(read_path);
        unsigned long long rows = 0, bytes = 0, sum = 0;
        double t = read_back(db, coll, page, &rows, &bytes, &sum);
        for (unsigned long long p = 1; p < passes; p++) {
            double tp = read_back(db, coll, page, &rows, &bytes, &sum);
            if (tp < t) t = tp;
        }
        sqlite3_close(db);
        printf("read_rows=%llu\nread_bytes=%llu\nread_s=%.4f\nread_mb_per_s=%.2f\nchecksum=%llu\n",
               rows, bytes, t, t > 0 ? (double)bytes / 1e6 / t : 0.0, sum);
        return 0;
    }
    if (!path || batch == 0 || page == 0 || passes == 0) { usage(); return 2; }
    char side[4096];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path); unlink(side);
    snprintf(side, sizeof side, "%s-shm", path); unlink(side);

    /* ---- insert ---- */
    sqlite3 *db = open_db(path);
    exec(db, SCHEMA);
    sqlite3_stmt *ins = NULL, *bump = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO object(coll, id, type, spec_version, version, version_key,"
                           " sco_nv, date_added, is_top_spec, is_last_s, is_first_s, is_last_a,"
                           " is_first_a, body) VALUES (1, ?1, ?2, '2.1', ?3, ?4, 0, ?5, 1, 1, 1, 1, 1, ?6)",
                           -1, &ins, NULL) != SQLITE_OK)
        die(db, "prepare insert");
    if (sqlite3_prepare_v2(db, "UPDATE collection SET last_added = ?1 WHERE rowid = 1", -1, &bump,
                           NULL) != SQLITE_OK)
        die(db, "prepare bump");
    gen_obj *objs = malloc(sizeof *objs * batch);
    if (!objs) { fprintf(stderr, "raw_sqlite: out of memory\n"); return 1; }
    double t_ins = 0, c_ins = 0;
    int64_t last_added = 0;
    unsigned long long body_bytes = 0;
    for (unsigned long long done = 0; done < count;) {
        unsigned long long n = count - done < batch ? count - done : batch;
        for (unsigned long long k = 0; k < n; k++) gen_object(seed, done + k, &objs[k]);
        double t0 = now_s(), c0 = cpu_s();
        exec(db, "BEGIN IMMEDIATE");
        int64_t now = wall_us();
        for (unsigned long long k = 0; k < n; k++) {
            const gen_obj *o = &objs[k];
            int64_t da = now > last_added ? now : last_added + 1;
            last_added = da;
            sqlite3_bind_text(ins, 1, o->id, -1, SQLITE_STATIC);
            sqlite3_bind_text(ins, 2, o->type, -1, SQLITE_STATIC);
            sqlite3_bind_text(ins, 3, o->version, -1, SQLITE_STATIC);
            sqlite3_bind_text(ins, 4, o->version_key, -1, SQLITE_STATIC);
            sqlite3_bind_int64(ins, 5, da);
            sqlite3_bind_text(ins, 6, o->body, (int)o->body_len, SQLITE_STATIC);
            if (sqlite3_step(ins) != SQLITE_DONE) die(db, "insert");
            sqlite3_reset(ins);
            body_bytes += o->body_len;
        }
        sqlite3_bind_int64(bump, 1, last_added);
        if (sqlite3_step(bump) != SQLITE_DONE) die(db, "bump");
        sqlite3_reset(bump);
        exec(db, "COMMIT");
        t_ins += now_s() - t0;
        c_ins += cpu_s() - c0;
        done += n;
    }
    free(objs);
    sqlite3_finalize(ins);
    sqlite3_finalize(bump);

    /* ---- read back through a second connection, paged like the TAXII listing. The writer stays
     * open, as in the server, so the WAL is not checkpointed away before the read. ---- */
    sqlite3 *wdb = db;
    db = open_db(path);
    unsigned long long rows = 0, bytes = 0, sum = 0;
    double c0 = cpu_s();
    double t_first = read_back(db, 1, page, &rows, &bytes, &sum), t_read = t_first;
    for (unsigned long long p = 1; p < passes; p++) {
        double t = read_back(db, 1, page, &rows, &bytes, &sum);
        if (t < t_read) t_read = t;
    }
    double c_read = cpu_s() - c0;   /* CPU seconds of all passes: steadier than wall time on a busy box */
    sqlite3_close(db);
    sqlite3_close(wdb);
    if (rows != count) {
        fprintf(stderr, "raw_sqlite: read %llu rows, expected %llu\n", rows, count);
        return 1;
    }
    printf("rows=%llu\nbody_bytes=%llu\ninsert_s=%.4f\ninsert_rows_per_s=%.0f\ninsert_cpu_us_per_row=%.1f\n",
           count, body_bytes, t_ins, t_ins > 0 ? (double)count / t_ins : 0.0,
           count ? c_ins * 1e6 / (double)count : 0.0);
    printf("read_rows=%llu\nread_bytes=%llu\nread_passes=%llu\nread_s=%.4f\nread_mb_per_s=%.2f\n"
           "read_first_mb_per_s=%.2f\nread_cpu_mb_per_s=%.2f\nchecksum=%llu\n", rows, bytes, passes,
           t_read, t_read > 0 ? (double)bytes / 1e6 / t_read : 0.0,
           t_first > 0 ? (double)bytes / 1e6 / t_first : 0.0,
           c_read > 0 ? (double)bytes * (double)passes / 1e6 / c_read : 0.0, sum);
    return 0;
}
