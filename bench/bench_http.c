/* bench_http.c - TAXII 2.1 load driver (libcurl, keep-alive): ingest envelopes, page a collection. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TAXII_MT "application/taxii+json;version=2.1"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct buf { char *p; size_t len, cap; } buf;

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud) {
    buf *b = ud;
    size_t n = size * nmemb;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) return 0;
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return n;
}

/* Count occurrences of needle (which starts with a rare byte, e.g. '{') in hay[0..len): memchr
 * for the first byte, then compare; far cheaper than memmem on megabytes of JSON. */
static size_t count_of(const char *hay, size_t len, const char *needle) {
    size_t n = 0, k = strlen(needle);
    const char *p = hay, *end = hay + len;
    while (p < end && (p = memchr(p, needle[0], (size_t)(end - p))) != NULL) {
        if ((size_t)(end - p) >= k && memcmp(p, needle, k) == 0) n++, p += k;
        else p++;
    }
    return n;
}

/* Value of the integer member `"key":N` (first occurrence), or -1. */
static long long int_member(const char *json, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char *p = strstr(json, pat);
    if (!p) return -1;
    p += strlen(pat);
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ':') p++;
    return strtoll(p, NULL, 10);
}

/* Common options ---------------------------------------------------------------------------- */
static const char *g_url, *g_token, *g_basic, *g_file;
static long g_from = 0, g_to = -1, g_conns = 2, g_limit = 10000, g_passes = 1;
static long long g_expect = -1;

static struct curl_slist *std_headers(int with_body) {
    struct curl_slist *h = NULL;
    char line[1024];
    h = curl_slist_append(h, "Accept: " TAXII_MT);
    if (with_body) {
        h = curl_slist_append(h, "Content-Type: " TAXII_MT);
        h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip for large bodies */
    }
    if (g_token) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", g_token);
        h = curl_slist_append(h, line);
    }
    return h;
}

static CURL *new_handle(struct curl_slist *h, buf *resp) {
    CURL *c = curl_easy_init();
    if (!c) return NULL;
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 600L);
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 512L * 1024); /* fewer callbacks and recv calls */
    if (g_basic) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, g_basic);
    }
    return c;
}

/* ---- ingest --------------------------------------------------------------------------------- */
typedef struct env { const char *p; size_t len, n_objects; } env;
static env *g_envs;
static size_t g_n_envs;
static atomic_size_t g_next;
static atomic_llong g_ok, g_failed, g_bad_status;

static void *ingest_worker(void *arg) {
    (void)arg;
    buf resp = {0};
    struct curl_slist *h = std_headers(1);
    CURL *c = new_handle(h, &resp);
    if (!c) { atomic_fetch_add(&g_bad_status, 1); return NULL; }
    curl_easy_setopt(c, CURLOPT_URL, g_url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    for (;;) {
        size_t i = atomic_fetch_add(&g_next, 1);
        if (i >= g_n_envs) break;
        resp.len = 0;
        if (resp.p) resp.p[0] = '\0';
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, g_envs[i].p);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)g_envs[i].len);
        CURLcode rc = curl_easy_perform(c);
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        long long succ = rc == CURLE_OK && code == 202 && resp.p ? int_member(resp.p, "success_count") : -1;
        if (succ < 0) {
            if (atomic_fetch_add(&g_bad_status, 1) < 3)
                fprintf(stderr, "bench_http: envelope %zu: %s, HTTP %ld: %.300s\n", i,
                        rc == CURLE_OK ? "ok" : curl_easy_strerror(rc), code, resp.p ? resp.p : "");
            atomic_fetch_add(&g_failed, (long long)g_envs[i].n_objects);
            continue;
        }
        atomic_fetch_add(&g_ok, succ);
        if ((size_t)succ != g_envs[i].n_objects) {
            if (atomic_fetch_add(&g_failed, (long long)g_envs[i].n_objects - succ) < 3)
                fprintf(stderr, "bench_http: envelope %zu: success_count %lld of %zu: %.300s\n", i,
                        succ, g_envs[i].n_objects, resp.p);
        }
    }
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    free(resp.p);
    return NULL;
}

static int cmd_ingest(void) {
    FILE *f = fopen(g_file, "rb");
    if (!f) { perror(g_file); return 1; }
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *all = malloc((size_t)sz + 1);
    if (!all || fread(all, 1, (size_t)sz, f) != (size_t)sz) { perror(g_file); return 1; }
    fclose(f);
    all[sz] = '\0';
    size_t cap = 0;
    long line = 0;
    unsigned long long bytes = 0, objects = 0;
    for (char *p = all; p < all + sz;) {
        char *nl = memchr(p, '\n', (size_t)(all + sz - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(all + sz - p);
        if (len && line >= g_from && (g_to < 0 || line < g_to)) {
            if (g_n_envs == cap) {
                cap = cap ? cap * 2 : 1024;
                g_envs = realloc(g_envs, cap * sizeof *g_envs);
                if (!g_envs) return 1;
            }
            env *e = &g_envs[g_n_envs++];
            e->p = p, e->len = len, e->n_objects = count_of(p, len, "{\"type\":\"");
            bytes += len, objects += e->n_objects;
        }
        if (len) line++;
        p += len + 1;
    }
    pthread_t th[64];
    if (g_conns < 1 || g_conns > 64) g_conns = 2;
    double t0 = now_s();
    for (long k = 0; k < g_conns; k++) pthread_create(&th[k], NULL, ingest_worker, NULL);
    for (long k = 0; k < g_conns; k++) pthread_join(th[k], NULL);
    double t = now_s() - t0;
    printf("envelopes=%zu\nobjects=%llu\nrequest_bytes=%llu\nstored=%lld\nfailed=%lld\n"
           "bad_responses=%lld\nseconds=%.4f\nobjects_per_s=%.0f\n",
           g_n_envs, objects, bytes, (long long)g_ok, (long long)g_failed, (long long)g_bad_status,
           t, t > 0 ? (double)g_ok / t : 0.0);
    free(all);
    free(g_envs);
    return g_failed || g_bad_status ? 3 : 0;
}

/* ---- paging --------------------------------------------------------------------------------- */

/* The envelope's own members sit before or after the objects array: look at the first and last
 * few KiB before scanning everything (objects may contain any text). */
#define EDGE 4096
static const char *find_member(const char *json, size_t len, const char *key, size_t klen) {
    const char *p = memmem(json, len < EDGE ? len : EDGE, key, klen);
    if (!p && len > EDGE) p = memmem(json + len - EDGE, EDGE, key, klen);
    return p ? p : memmem(json, len, key, klen);
}

/* Copy the string value of the top-level "next" member into out; 0 if found. */
static int find_next(const char *json, size_t len, char *out, size_t out_len) {
    const char *p = find_member(json, len, "\"next\"", 6), *end = json + len;
    while (p && (p = memmem(p, (size_t)(end - p), "\"next\"", 6)) != NULL) {
        const char *q = p + 6;
        while (q < end && (*q == ' ' || *q == ':' || *q == '\t' || *q == '\n' || *q == '\r')) q++;
        if (q < end && *q == '"') {
            const char *e = memchr(q + 1, '"', (size_t)(end - q - 1));
            if (e && (size_t)(e - q - 1) < out_len) {
                memcpy(out, q + 1, (size_t)(e - q - 1));
                out[e - q - 1] = '\0';
                return 0;
            }
        }
        p += 6;
    }
    return -1;
}

static int more_true(const char *json, size_t len) {
    const char *p = find_member(json, len, "\"more\"", 6);
    if (!p) return 0;
    p += 6;
    while (*p == ' ' || *p == ':' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return strncmp(p, "true", 4) == 0;
}

/* Page the whole collection once over handle c; returns 0 and fills the counters. */
static int page_once(CURL *c, buf *resp, unsigned long long *bytes_o, unsigned long long *objects_o,
                     unsigned long long *pages_o, double *secs) {
    char url[8192], next[4096] = "";
    unsigned long long bytes = 0, objects = 0, pages = 0;
    double t0 = now_s();
    for (;;) {
        if (next[0]) {
            char *esc = curl_easy_escape(c, next, 0);
            snprintf(url, sizeof url, "%s?limit=%ld&next=%s", g_url, g_limit, esc);
            curl_free(esc);
        } else {
            snprintf(url, sizeof url, "%s?limit=%ld", g_url, g_limit);
        }
        curl_easy_setopt(c, CURLOPT_URL, url);
        resp->len = 0;
        CURLcode rc = curl_easy_perform(c);
        long code = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        if (rc != CURLE_OK || code != 200) {
            fprintf(stderr, "bench_http: GET %s: %s, HTTP %ld: %.300s\n", url,
                    rc == CURLE_OK ? "ok" : curl_easy_strerror(rc), code, resp->p ? resp->p : "");
            return 1;
        }
        pages++;
        bytes += resp->len;
        objects += count_of(resp->p, resp->len, "{\"type\":\"");
        if (!more_true(resp->p, resp->len)) break;
        if (find_next(resp->p, resp->len, next, sizeof next) != 0) {
            fprintf(stderr, "bench_http: more=true without next on page %llu\n", pages);
            return 1;
        }
    }
    *secs = now_s() - t0;
    *bytes_o = bytes, *objects_o = objects, *pages_o = pages;
    return 0;
}

static int cmd_page(void) {
    buf resp = {0};
    struct curl_slist *h = std_headers(0);
    CURL *c = new_handle(h, &resp);
    if (!c) return 1;
    unsigned long long bytes = 0, objects = 0, pages = 0;
    double t_first = 0, t = 0;
    for (long p = 0; p < g_passes; p++) {
        double tp;
        if (page_once(c, &resp, &bytes, &objects, &pages, &tp) != 0) return 1;
        if (p == 0) t_first = t = tp;
        else if (tp < t) t = tp;
        if (g_expect >= 0 && (long long)objects != g_expect) break;
    }
    printf("pages=%llu\nobjects=%llu\nresponse_bytes=%llu\npasses=%ld\nseconds=%.4f\nmb_per_s=%.2f\n"
           "first_mb_per_s=%.2f\n", pages, objects, bytes, g_passes, t,
           t > 0 ? (double)bytes / 1e6 / t : 0.0, t_first > 0 ? (double)bytes / 1e6 / t_first : 0.0);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    free(resp.p);
    if (g_expect >= 0 && (long long)objects != g_expect) {
        fprintf(stderr, "bench_http: paged %llu objects, expected %lld\n", objects, g_expect);
        return 3;
    }
    return 0;
}

/* ---- one GET (sanity check before wrk) ------------------------------------------------------ */
static int cmd_get(void) {
    buf resp = {0};
    struct curl_slist *h = std_headers(0);
    CURL *c = new_handle(h, &resp);
    if (!c) return 1;
    curl_easy_setopt(c, CURLOPT_URL, g_url);
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    printf("status=%ld\nbytes=%zu\n", code, resp.len);
    if (rc != CURLE_OK || code != 200)
        fprintf(stderr, "bench_http: GET %s: %s, HTTP %ld: %.300s\n", g_url,
                rc == CURLE_OK ? "ok" : curl_easy_strerror(rc), code, resp.p ? resp.p : "");
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    free(resp.p);
    return rc == CURLE_OK && code == 200 ? 0 : 1;
}

static void usage(void) {
    fprintf(stderr,
            "usage: bench_http ingest --url OBJECTS_URL --file ENVELOPES.jsonl [--from L] [--to L] [--conns C]\n"
            "       bench_http page   --url OBJECTS_URL [--limit N] [--expect N] [--passes K]\n"
            "       bench_http get    --url URL\n"
            "auth:  --token T (Bearer) or --basic USER:PASS. Output: key=value lines.\n"
            "ingest posts envelope lines [L_from, L_to) over C keep-alive connections and checks\n"
            "each 202 status's success_count; page follows `next` until more is false, K times\n"
            "(mb_per_s: the best pass, first_mb_per_s: the first).\n");
}

int main(int argc, char **argv) {
    if (argc < 2) { usage(); return 2; }
    const char *cmd = argv[1];
    for (int a = 2; a < argc; a++) {
        const char *v = a + 1 < argc ? argv[a + 1] : NULL;
        if (!v) { usage(); return 2; }
        if (!strcmp(argv[a], "--url")) g_url = v;
        else if (!strcmp(argv[a], "--token")) g_token = v;
        else if (!strcmp(argv[a], "--basic")) g_basic = v;
        else if (!strcmp(argv[a], "--file")) g_file = v;
        else if (!strcmp(argv[a], "--from")) g_from = atol(v);
        else if (!strcmp(argv[a], "--to")) g_to = atol(v);
        else if (!strcmp(argv[a], "--conns")) g_conns = atol(v);
        else if (!strcmp(argv[a], "--limit")) g_limit = atol(v);
        else if (!strcmp(argv[a], "--expect")) g_expect = atoll(v);
        else if (!strcmp(argv[a], "--passes")) g_passes = atol(v) > 0 ? atol(v) : 1;
        else { usage(); return 2; }
        a++;
    }
    if (!g_url) { usage(); return 2; }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc;
    if (!strcmp(cmd, "ingest") && g_file) rc = cmd_ingest();
    else if (!strcmp(cmd, "page")) rc = cmd_page();
    else if (!strcmp(cmd, "get")) rc = cmd_get();
    else { usage(); rc = 2; }
    curl_global_cleanup();
    return rc;
}
