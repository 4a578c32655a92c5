/* bench_audit.c - what the audit log costs (issue 4 must-have 7): GET-by-id requests/s with the
 * log on against the log off in the same run (the same node, server and load, alternating), the
 * group commit's entries per sync, bytes of store per entry, and proof generation at 1M leaves.
 * bench/README.md "Audit log" says how to read the numbers. */
#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/log.h"
#include "gen.h"
#include "store/audit_store.h"
#include "taxii/internal.h"
#include "taxii/server.h"
#include "util/merkle.h"

#define TAXII_MT "application/taxii+json;version=2.1"
#define SEED 7

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what) {
    fprintf(stderr, "bench_audit: %s\n", what);
    exit(1);
}

/* Run a shell command, return its stdout (malloc'd). */
static char *sh(const char *cmd, const char *input) {
    char full[8192];
    char tmp[] = "/tmp/bench-audit-in-XXXXXX";
    if (input) {
        int fd = mkstemp(tmp);
        if (fd < 0 || write(fd, input, strlen(input)) != (ssize_t)strlen(input)) die("temp file");
        close(fd);
        snprintf(full, sizeof full, "%s < %s", cmd, tmp);
    } else {
        snprintf(full, sizeof full, "%s", cmd);
    }
    FILE *p = popen(full, "r");
    if (!p) die("popen");
    size_t cap = 1 << 16, n = 0;
    char *out = malloc(cap);
    size_t got;
    while ((got = fread(out + n, 1, cap - n - 1, p)) > 0) n += got;
    out[n] = '\0';
    int rc = pclose(p);
    if (input) unlink(tmp);
    if (rc != 0) {
        fprintf(stderr, "bench_audit: '%s' failed:\n%s\n", full, out);
        exit(1);
    }
    return out;
}

/* The string value of "key":"..." in json, into out. */
static void json_str(const char *json, const char *key, char *out, size_t n) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(json, pat);
    if (!p) die("unexpected CLI output");
    p += strlen(pat);
    const char *q = strchr(p, '"');
    snprintf(out, n, "%.*s", (int)(q - p), p);
}

static size_t discard(char *d, size_t s, size_t n, void *u) {
    (void)d;
    (void)u;
    return s * n;
}

/* Keep the first bytes of a response body (a POST's status). */
static size_t keep_head(char *d, size_t s, size_t n, void *u) {
    char *out = u;
    size_t have = strlen(out), k = s * n;
    if (have + 1 < 4096) {
        size_t c = k < 4095 - have ? k : 4095 - have;
        memcpy(out + have, d, c);
        out[have + c] = '\0';
    }
    return s * n;
}

static long long file_bytes(const char *path) {
    struct stat st;
    char p[4200];
    long long total = 0;
    if (stat(path, &st) == 0) total += st.st_size;
    snprintf(p, sizeof p, "%s-wal", path);
    if (stat(p, &st) == 0) total += st.st_size;
    return total;
}

/* Store bytes in use (pages in the file minus free pages, after a checkpoint folds the WAL in). */
static long long store_bytes(const char *db) {
    char cmd[4400];
    snprintf(cmd, sizeof cmd,
             "sqlite3 '%s' 'PRAGMA wal_checkpoint(TRUNCATE);' 'SELECT (page_count - freelist_count) * page_size "
             "FROM pragma_page_count, pragma_freelist_count, pragma_page_size;' 2>/dev/null | tail -1",
             db);
    FILE *p = popen(cmd, "r");
    long long v = -1;
    if (p) {
        if (fscanf(p, "%lld", &v) != 1) v = -1;
        pclose(p);
    }
    return v > 0 ? v : file_bytes(db);
}

/* The server's diagnostics (a 500's cause) on stderr. */
static void server_log(void *ctx, const char *line) {
    (void)ctx;
    fprintf(stderr, "bench_audit: server: %s\n", line);
}

/* ---- load ------------------------------------------------------------------------------------- */

typedef struct load {
    const char *base;      /* server URL */
    const char *coll;
    const char *auth;      /* "Authorization: Bearer ..." */
    size_t n_objects;
    double until;
    atomic_long ok, bad;
    unsigned seed;
    _Atomic double load_cpu;   /* CPU seconds of the load threads (the rest of the process is the server) */
} load;

static void *load_main(void *arg) {
    load *L = arg;
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, L->auth);
    h = curl_slist_append(h, "Accept: " TAXII_MT);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    unsigned seed = (unsigned)(uintptr_t)pthread_self() ^ L->seed;
    char url[512], id[64];
    long ok = 0, bad = 0;
    while (now_s() < L->until) {
        gen_id(SEED, (uint64_t)rand_r(&seed) % L->n_objects, id);
        snprintf(url, sizeof url, "%sapi/collections/%s/objects/%s/", L->base, L->coll, id);
        curl_easy_setopt(c, CURLOPT_URL, url);
        long code = 0;
        if (curl_easy_perform(c) == CURLE_OK && curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK &&
            code == 200)
            ok++;
        else
            bad++;
    }
    atomic_fetch_add(&L->ok, ok);
    atomic_fetch_add(&L->bad, bad);
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    double mine = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9, cur = atomic_load(&L->load_cpu);
    while (!atomic_compare_exchange_weak(&L->load_cpu, &cur, cur + mine)) {
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return NULL;
}

static double cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

typedef struct run_result {
    double rps;
    double cpu_us;  /* process CPU (server and load threads together) per request */
    double srv_us;  /* the server's part: process CPU minus the load threads' */
    long bad;
    uint64_t batches, entries;
} run_result;

static run_result measure(const char *db, int audit_on, unsigned threads, int conns, double seconds,
                          const char *coll, const char *auth, size_t n_objects) {
    taxii_config cfg;
    taxii_config_defaults(&cfg);
    cfg.db_path = db;
    cfg.listen = "127.0.0.1:0";
    cfg.log = server_log;
    cfg.threads = threads;
    cfg.audit_off = !audit_on;  /* benchmarks only: production never turns the log off */
    taxii_server *srv = NULL;
    enlace_err err;
    if (taxii_server_start(&cfg, &srv, &err) != 0) die(err.msg);
    load L = {taxii_server_url(srv), coll, auth, n_objects, 0, 0, 0, (unsigned)audit_on * 7919u, 0};
    /* warm up a second, then measure */
    L.until = now_s() + 1.0;
    pthread_t th[256];
    for (int i = 0; i < conns; i++) pthread_create(&th[i], NULL, load_main, &L);
    for (int i = 0; i < conns; i++) pthread_join(th[i], NULL);
    uint64_t b0 = 0, e0 = 0;
    if (srv->audit) audit_log_stats(srv->audit, &b0, &e0);
    atomic_store(&L.ok, 0);
    atomic_store(&L.bad, 0);
    atomic_store(&L.load_cpu, 0);
    double t0 = now_s(), c0 = cpu_s();
    L.until = t0 + seconds;
    for (int i = 0; i < conns; i++) pthread_create(&th[i], NULL, load_main, &L);
    for (int i = 0; i < conns; i++) pthread_join(th[i], NULL);
    double dt = now_s() - t0, dc = cpu_s() - c0;
    long ok = atomic_load(&L.ok);
    double srv_cpu = dc - atomic_load(&L.load_cpu);
    run_result r = {(double)ok / dt, ok ? dc / (double)ok * 1e6 : 0, ok ? srv_cpu / (double)ok * 1e6 : 0,
                    atomic_load(&L.bad), 0, 0};
    if (srv->audit) {
        uint64_t b1, e1;
        audit_log_stats(srv->audit, &b1, &e1);
        r.batches = b1 - b0;
        r.entries = e1 - e0;
    }
    taxii_server_stop(srv, 5000);
    return r;
}

static void load_objects(const char *db, const char *coll, const char *auth, size_t n) {
    taxii_config cfg;
    taxii_config_defaults(&cfg);
    cfg.db_path = db;
    cfg.listen = "127.0.0.1:0";
    cfg.log = server_log;
    taxii_server *srv = NULL;
    enlace_err err;
    if (taxii_server_start(&cfg, &srv, &err) != 0) die(err.msg);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, auth);
    h = curl_slist_append(h, "Accept: " TAXII_MT);
    h = curl_slist_append(h, "Content-Type: " TAXII_MT);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    char status[4096];
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_head);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, (void *)status);
    char url[512];
    snprintf(url, sizeof url, "%sapi/collections/%s/objects/", taxii_server_url(srv), coll);
    curl_easy_setopt(c, CURLOPT_URL, url);
    size_t batch = 1000;
    char *body = malloc(batch * GEN_BODY_MAX + 64);
    gen_obj o;
    for (size_t i = 0; i < n; i += batch) {
        size_t len = (size_t)sprintf(body, "{\"objects\":[");
        for (size_t k = i; k < i + batch && k < n; k++) {
            gen_object(SEED, k, &o);
            if (k > i) body[len++] = ',';
            memcpy(body + len, o.body, o.body_len);
            len += o.body_len;
        }
        len += (size_t)sprintf(body + len, "]}");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
        long code = 0;
        status[0] = '\0';
        if (curl_easy_perform(c) != CURLE_OK || curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK ||
            code != 202)
            die("loading objects failed");
        char want[64];  /* near the start of the status (failure_count comes after the successes) */
        snprintf(want, sizeof want, "\"success_count\":%zu,", (i + batch < n ? i + batch : n) - i);
        if (!strstr(status, want)) {
            fprintf(stderr, "bench_audit: objects refused: %.600s\n", status);
            exit(1);
        }
    }
    free(body);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    taxii_server_stop(srv, 5000);
}

/* ---- proofs at 1M leaves ------------------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void proofs(const char *dir, uint64_t leaves, int n_proofs) {
    char db[4200];
    snprintf(db, sizeof db, "%s/proofs.db", dir);
    unlink(db);
    store *s = NULL;
    enlace_err err;
    if (store_open(db, 1, &s, &err) != 0) die(err.msg);
    long long before = store_bytes(db);
    /* entries like a GET of one object by a liaison */
    double t0 = now_s();
    char id[64];
    uint64_t done = 0;
    size_t data_bytes = 0;
    while (done < leaves) {
        if (store_audit_begin(s, &err) != 0) die(err.msg);
        for (uint64_t k = 0; k < 10000 && done < leaves; k++, done++) {
            gen_id(SEED, done, id);
            audit_object obj = {id, "2026-01-15T10:20:30.123Z"};
            audit_entry e = {1764400000000000LL + (int64_t)done, "kate.doyle", "DEA", "US", AUDIT_READ,
                             "3f1c2a9e-5b7d-4e0f-9a8b-7c6d5e4f3a21", "MX", "allow", "", "", &obj, 1};
            enlace_buf b = ENLACE_BUF_INIT;
            audit_entry_encode(&e, &b);
            data_bytes += b.len;
            if (store_audit_append(s, e.time_us, "MX", "kate.doyle", b.p, b.len, NULL, &err) != 0) die(err.msg);
            enlace_buf_free(&b);
        }
        if (store_audit_commit(s, &err) != 0) die(err.msg);
    }
    double append_s = now_s() - t0;
    store_close(s);
    long long after = store_bytes(db);
    printf("audit: %llu leaves appended in %.1f s: %.0f leaves/s (10 000 per transaction)\n",
           (unsigned long long)leaves, append_s, (double)leaves / append_s);
    printf("audit: bytes per entry at %llu leaves: %.0f in the store (entry text %.0f, the rest: leaf row, "
           "subtree hashes, indexes)\n",
           (unsigned long long)leaves, (double)(after - before) / (double)leaves, (double)data_bytes / (double)leaves);
    printf("leaves=%llu\nbytes_per_leaf=%.0f\n", (unsigned long long)leaves, (double)(after - before) / (double)leaves);
    if (store_open(db, 0, &s, &err) != 0) die(err.msg);
    unsigned char root[MERKLE_HASH_LEN], proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], lh[MERKLE_HASH_LEN];
    size_t np = 0;
    double *us = malloc(sizeof(double) * (size_t)n_proofs);
    unsigned seed = 12345;
    /* root of the whole tree */
    t0 = now_s();
    for (int i = 0; i < 100; i++)
        if (store_audit_root(s, leaves, root, &err) != 0) die(err.msg);
    double root_us = (now_s() - t0) / 100 * 1e6;
    for (int kind = 0; kind < 2; kind++) {
        for (int i = 0; i < n_proofs; i++) {
            uint64_t a = ((uint64_t)rand_r(&seed) * 65536u + (uint64_t)rand_r(&seed)) % leaves;
            double t = now_s();
            int rc = kind == 0 ? store_audit_inclusion(s, a, leaves, proof, &np, &err)
                               : store_audit_consistency(s, a + 1, leaves, proof, &np, &err);
            us[i] = (now_s() - t) * 1e6;
            if (rc != 0) die(err.msg);
            if (i == 0 && kind == 0) {  /* sanity: the proof verifies */
                if (store_audit_node(s, 0, a, lh, &err) != 0 ||
                    merkle_verify_inclusion(a, leaves, lh, (const unsigned char (*)[MERKLE_HASH_LEN])proof, np, root, &err))
                    die("an inclusion proof did not verify");
            }
        }
        qsort(us, (size_t)n_proofs, sizeof *us, cmp_double);
        double sum = 0;
        for (int i = 0; i < n_proofs; i++) sum += us[i];
        printf("audit: %s proof at %llu leaves: mean %.1f us, p50 %.1f us, p99 %.1f us (%d proofs, %zu hashes "
               "in the last)\n",
               kind == 0 ? "inclusion" : "consistency", (unsigned long long)leaves, sum / n_proofs, us[n_proofs / 2],
               us[(size_t)n_proofs * 99 / 100], n_proofs, np);
        printf("%s_us=%.1f\n", kind == 0 ? "inclusion" : "consistency", sum / n_proofs);
    }
    printf("audit: root hash at %llu leaves: %.1f us\n", (unsigned long long)leaves, root_us);
    free(us);
    store_close(s);
    if (!getenv("ENLACE_BENCH_KEEP")) unlink(db);
}

/* The log writer's commit alone, without HTTP: `batches` transactions of `per` entries each
 * (store_audit_append_edge with the right edge kept between them, as the writer does), durable
 * (WAL, synchronous=FULL). Prints the CPU (this thread's) and wall time per commit. */
static void commit_cost(const char *dir, int batches, int per) {
    char db[4200];
    snprintf(db, sizeof db, "%s/commits.db", dir);
    unlink(db);
    store *s = NULL;
    enlace_err err;
    if (store_open(db, 1, &s, &err) != 0) die(err.msg);
    enlace_buf enc[64];
    store_audit_in in[64];
    unsigned char lh[64][MERKLE_HASH_LEN];  /* hashed before, as the log's request threads do */
    char id[64];
    if (per < 1 || per > 64) die("bad --commit-entries");
    for (int k = 0; k < per; k++) {
        gen_id(SEED, (uint64_t)k, id);
        audit_object obj = {id, "2026-01-15T10:20:30.123Z"};
        audit_entry e = {1764400000000000LL + k, "kate.doyle", "DEA", "US", AUDIT_READ,
                         "3f1c2a9e-5b7d-4e0f-9a8b-7c6d5e4f3a21", "MX", "allow", "", "", &obj, 1};
        enc[k] = (enlace_buf)ENLACE_BUF_INIT;
        audit_entry_encode(&e, &enc[k]);
        merkle_hash_leaf(enc[k].p, enc[k].len, lh[k]);
        in[k] = (store_audit_in){e.time_us, "MX", "kate.doyle", enc[k].p, enc[k].len, lh[k]};
    }
    store_audit_edge *edge = calloc(1, sizeof *edge);
    struct timespec c0, c1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    double t0 = now_s();
    double append_cpu = 0;  /* the rows and hashes, without BEGIN and the durable COMMIT */
    for (int b = 0; b < batches; b++) {
        struct timespec a0, a1;
        if (store_audit_begin(s, &err) != 0) die(err.msg);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a0);
        if (store_audit_append_edge(s, in, (size_t)per, edge, NULL, &err) != 0) die(err.msg);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a1);
        append_cpu += (double)(a1.tv_sec - a0.tv_sec) + (double)(a1.tv_nsec - a0.tv_nsec) / 1e9;
        if (store_audit_commit(s, &err) != 0) die(err.msg);
    }
    double wall = now_s() - t0;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
    double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
    printf("audit: writer commits alone: %d commits of %d entries: CPU %.0f us per commit (%.1f per entry; "
           "the appends' rows and hashes %.0f us of it), wall %.0f us per commit\n",
           batches, per, cpu / batches * 1e6, cpu / batches / per * 1e6, append_cpu / batches * 1e6,
           wall / batches * 1e6);
    printf("commit_cpu_us=%.0f\nappend_cpu_us=%.0f\ncommit_wall_us=%.0f\n", cpu / batches * 1e6,
           append_cpu / batches * 1e6, wall / batches * 1e6);
    free(edge);
    for (int k = 0; k < per; k++) enlace_buf_free(&enc[k]);
    store_close(s);
    unlink(db);
}

int main(int argc, char **argv) {
    const char *bin = NULL, *work = NULL;
    size_t objects = 5000;
    double seconds = 5;
    int conns = 16, rounds = 3, n_proofs = 10000, modes = 3, commits = 0, commit_entries = 10;  /* bit 0: log off, bit 1: log on */
    unsigned threads = 4;
    uint64_t leaves = 1000000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) die("every option takes a value (see the header of bench/bench_audit.c)");
        if (strcmp(a, "--enlace") == 0) bin = v;
        else if (strcmp(a, "--work") == 0) work = v;
        else if (strcmp(a, "--objects") == 0) objects = strtoul(v, NULL, 10);
        else if (strcmp(a, "--seconds") == 0) seconds = atof(v);
        else if (strcmp(a, "--conns") == 0) conns = atoi(v);
        else if (strcmp(a, "--threads") == 0) threads = (unsigned)atoi(v);
        else if (strcmp(a, "--rounds") == 0) rounds = atoi(v);
        else if (strcmp(a, "--leaves") == 0) leaves = strtoull(v, NULL, 10);
        else if (strcmp(a, "--proofs") == 0) n_proofs = atoi(v);
        else if (strcmp(a, "--commits") == 0) commits = atoi(v);
        else if (strcmp(a, "--commit-entries") == 0) commit_entries = atoi(v);
        else if (strcmp(a, "--mode") == 0) modes = strcmp(v, "on") == 0 ? 2 : strcmp(v, "off") == 0 ? 1 : 3;  /* profiling */
        else die("unknown option");
        i++;
    }
    if (!work || (!bin && commits <= 0)) {
        fprintf(stderr, "usage: bench_audit --enlace BIN --work DIR [--objects N] [--seconds S] [--conns C] "
                        "[--threads T] [--rounds R] [--leaves M] [--proofs P]\n"
                        "       bench_audit --work DIR --commits N [--commit-entries E]\n");
        return 2;
    }
    if (conns < 1 || conns > 256 || rounds < 1 || objects < 1 || n_proofs < 1) die("bad option value");
    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0) die("init");
    if (commits > 0) {  /* --commits N: only the writer's commit cost (no node, no HTTP) */
        commit_cost(work, commits, commit_entries);
        curl_global_cleanup();
        return 0;
    }
    char dir[4200], db[4300], cmd[8192];
    snprintf(dir, sizeof dir, "%s/audit-node", work);
    snprintf(db, sizeof db, "%s/enlace.db", dir);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) die("rm");
    /* a node made as an operator would */
    snprintf(cmd, sizeof cmd, "'%s' init '%s' --party MX --org Bench --json", bin, dir);
    free(sh(cmd, NULL));
    snprintf(cmd, sizeof cmd, "'%s' user add '%s' bench --role analyst --password-stdin > /dev/null", bin, dir);
    free(sh(cmd, "a long benchmark password\n"));
    snprintf(cmd, sizeof cmd, "'%s' token create '%s' --user bench --json", bin, dir);
    char *out = sh(cmd, NULL), token[128], coll[64], auth[200];
    json_str(out, "token", token, sizeof token);
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' collection create '%s' --title Bench --json", bin, dir);
    out = sh(cmd, NULL);
    json_str(out, "id", coll, sizeof coll);
    free(out);
    snprintf(cmd, sizeof cmd, "'%s' collection grant '%s' '%s' --user bench --read --write > /dev/null", bin, dir, coll);
    free(sh(cmd, NULL));
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    load_objects(db, coll, auth, objects);

    printf("audit: GET object by id, %d connections, %u server threads, %.0f s per run, %d rounds "
           "(off and on alternate)\n", conns, threads, seconds, rounds);
    double best[2] = {0, 0}, srv_sum[2] = {0, 0};
    uint64_t batches = 0, entries = 0;
    long bad = 0;
    long long bytes0 = store_bytes(db);
    uint64_t size0 = 0, size1 = 0;
    store *s = NULL;
    enlace_err err;
    if (store_open(db, 0, &s, &err) != 0 || store_audit_size(s, &size0, &err) != 0) die(err.msg);
    store_close(s);
    for (int r = 0; r < rounds; r++)
        for (int on = 0; on < 2; on++) {
            if (!(modes & (1 << on))) continue;
            run_result rr = measure(db, on, threads, conns, seconds, coll, auth, objects);
            printf("audit:   round %d log %-3s %8.0f requests/s, CPU us/request: %4.0f server, %4.0f with the load%s\n",
                   r + 1, on ? "on" : "off", rr.rps, rr.srv_us, rr.cpu_us, rr.bad ? " (some requests failed!)" : "");
            srv_sum[on] += rr.srv_us;
            if (rr.rps > best[on]) best[on] = rr.rps;
            batches += rr.batches;
            entries += rr.entries;
            bad += rr.bad;
        }
    if (store_open(db, 0, &s, &err) != 0 || store_audit_size(s, &size1, &err) != 0) die(err.msg);
    store_close(s);
    long long bytes1 = store_bytes(db);
    printf("audit: GET object by id, requests/s: log off %.0f, log on %.0f, ratio %.2f (aim >= 0.80; best of %d)\n",
           best[0], best[1], best[0] > 0 ? best[1] / best[0] : 0, rounds);
    if (modes == 3)
        printf("audit: server CPU per request: log off %.0f us, log on %.0f us (+%.0f%%; mean of %d rounds)\n",
               srv_sum[0] / rounds, srv_sum[1] / rounds,
               srv_sum[0] > 0 ? (srv_sum[1] / srv_sum[0] - 1) * 100 : 0, rounds);
    /* key=value lines for bench/run */
    printf("rps_off=%.0f\nrps_on=%.0f\nsrv_us_off=%.0f\nsrv_us_on=%.0f\n", best[0], best[1], srv_sum[0] / rounds,
           srv_sum[1] / rounds);
    if (batches) printf("entries_per_sync=%.1f\n", (double)entries / (double)batches);
    if (size1 > size0) printf("bytes_per_entry=%.0f\n", (double)(bytes1 - bytes0) / (double)(size1 - size0));
    if (batches)
        printf("audit: group commit: %llu entries in %llu commits, %.1f entries per sync\n",
               (unsigned long long)entries, (unsigned long long)batches, (double)entries / (double)batches);
    if (size1 > size0)
        printf("audit: bytes per entry (these reads, one object each): %.0f\n",
               (double)(bytes1 - bytes0) / (double)(size1 - size0));
    if (bad) printf("audit: warning: %ld requests did not answer 200\n", bad);
    if (leaves) proofs(work, leaves, n_proofs);
    curl_global_cleanup();
    return bad ? 1 : 0;
}
