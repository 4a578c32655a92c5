/* audit_http.c - GET /enlace/v1/audit/{checkpoint,consistency,inclusion,entries} (audit_http.h). */
#include "taxii/audit_http.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/audit_store.h"
#include "taxii/error.h"
#include "util/merkle.h"

#define CT_JSON "application/json"
#define CT_TEXT "text/plain; charset=utf-8"

int taxii_audit_path(const char *url) {
    return strncmp(url, TAXII_AUDIT_PREFIX, sizeof TAXII_AUDIT_PREFIX - 1) == 0 ||
           strcmp(url, "/enlace/v1/audit") == 0;
}

static void fail(taxii_audit_reply *r, unsigned status, const char *description) {
    enlace_buf_free(&r->body);
    r->status = status;
    r->ctype = CT_JSON;
    taxii_error_json(&r->body, (int)status, NULL, description);
}

static void fail_store(taxii_audit_reply *r, const enlace_err *e, enlace_err *err_log) {
    if (err_log) *err_log = *e;
    if (e->code == ENLACE_EINVAL) return fail(r, 400, e->msg);  /* a size beyond the log, ... */
    if (e->code == ENLACE_EBUSY) return fail(r, 503, "the store is busy; retry shortly");
    fail(r, 500, "the server could not read the audit log");
}

/* The value of parameter name, or NULL. */
static const char *param(const taxii_param *ps, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(ps[i].key, name) == 0) return ps[i].value ? ps[i].value : "";
    return NULL;
}

/* A decimal tree size or index: digits only, at most 2^62. */
static int parse_u64(const char *s, uint64_t *out) {
    if (!s || !*s || strlen(s) > 19) return -1;
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v > ((uint64_t)1 << 62)) return -1;
    *out = v;
    return 0;
}

static int need(const taxii_param *ps, size_t n, const char *name, uint64_t *v, taxii_audit_reply *r) {
    const char *s = param(ps, n, name);
    char msg[128];
    if (!s) {
        snprintf(msg, sizeof msg, "the '%s' parameter is required", name);
        fail(r, 400, msg);
        return -1;
    }
    if (parse_u64(s, v) != 0) {
        snprintf(msg, sizeof msg, "'%s' must be a non-negative decimal integer", name);
        fail(r, 400, msg);
        return -1;
    }
    return 0;
}

static void b64(enlace_buf *b, const unsigned char h[MERKLE_HASH_LEN]) {
    char s[sodium_base64_ENCODED_LEN(MERKLE_HASH_LEN, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(s, sizeof s, h, MERKLE_HASH_LEN, sodium_base64_VARIANT_ORIGINAL);
    enlace_buf_printf(b, "\"%s\"", s);
}

static void proof_json(enlace_buf *b, const unsigned char (*proof)[MERKLE_HASH_LEN], size_t n) {
    enlace_buf_puts(b, "\"proof\":[");
    for (size_t i = 0; i < n; i++) {
        if (i) enlace_buf_puts(b, ",");
        b64(b, proof[i]);
    }
    enlace_buf_puts(b, "]");
}

static void serve_checkpoint(store *s, const taxii_audit_caller *who, taxii_audit_reply *r, enlace_err *err_log) {
    /* a node without its key signs no head: the last one it signed (before the key went) would
     * be served as current forever */
    if (who && who->node_keyless) return fail(r, 503, "this node has no signing key: it issues no tree heads");
    char *note = NULL;
    enlace_err e;
    int rc = store_audit_checkpoint_latest(s, NULL, &note, NULL, &e);
    if (rc == ENLACE_ENOTFOUND) return fail(r, 404, "this node has not signed a tree head yet");
    if (rc) return fail_store(r, &e, err_log);
    r->status = 200;
    r->ctype = CT_TEXT;
    enlace_buf_puts(&r->body, note);
    free(note);
}

static void serve_consistency(store *s, const taxii_param *ps, size_t n, taxii_audit_reply *r, enlace_err *err_log) {
    uint64_t first, second;
    if (need(ps, n, "first", &first, r) || need(ps, n, "second", &second, r)) return;
    if (first == 0 || first > second) return fail(r, 400, "a consistency proof needs 0 < first <= second");
    unsigned char proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN];
    size_t np = 0;
    enlace_err e;
    int rc = store_audit_consistency(s, first, second, proof, &np, &e);
    if (rc) return fail_store(r, &e, err_log);
    r->status = 200;
    enlace_buf_printf(&r->body, "{\"first\":%llu,\"second\":%llu,", (unsigned long long)first,
                      (unsigned long long)second);
    proof_json(&r->body, (const unsigned char (*)[MERKLE_HASH_LEN])proof, np);
    enlace_buf_puts(&r->body, "}");
}

static void serve_inclusion(store *s, const taxii_param *ps, size_t n, taxii_audit_reply *r, enlace_err *err_log) {
    uint64_t index, size;
    if (need(ps, n, "index", &index, r) || need(ps, n, "size", &size, r)) return;
    if (index >= size) return fail(r, 400, "an inclusion proof needs index < size");
    unsigned char proof[MERKLE_MAX_PROOF][MERKLE_HASH_LEN], leaf[MERKLE_HASH_LEN];
    size_t np = 0;
    enlace_err e;
    int rc = store_audit_inclusion(s, index, size, proof, &np, &e);
    if (rc == 0) rc = store_audit_node(s, 0, index, leaf, &e);
    if (rc) return fail_store(r, &e, err_log);
    r->status = 200;
    enlace_buf_printf(&r->body, "{\"index\":%llu,\"size\":%llu,\"leaf_hash\":", (unsigned long long)index,
                      (unsigned long long)size);
    b64(&r->body, leaf);
    enlace_buf_puts(&r->body, ",");
    proof_json(&r->body, (const unsigned char (*)[MERKLE_HASH_LEN])proof, np);
    enlace_buf_puts(&r->body, "}");
}

typedef struct entries_ctx {
    enlace_buf *b;
    const taxii_audit_caller *who;
    size_t count;
} entries_ctx;

static int entry_row(void *ctx, const store_audit_leaf *leaf) {
    entries_ctx *ec = ctx;
    enlace_buf *b = ec->b;
    enlace_buf_printf(b, "%s{\"index\":%llu,\"leaf_hash\":", ec->count++ ? "," : "", (unsigned long long)leaf->idx);
    b64(b, leaf->hash);
    /* must-have 4: in full only about the caller's party's objects or the caller's own requests.
     * "About its party's objects" is shown to the party's partner node only: an entry about MX
     * names objects of every MX organization (ids, versions, collections, who read them), and
     * another MX organization's analyst may not even know those ids exist (security review F7).
     * The node's own admins read everything locally with `enlace audit show`. */
    int full = (ec->who->partner && ec->who->party[0] && strcmp(leaf->about, ec->who->party) == 0) ||
               strcmp(leaf->principal, ec->who->name) == 0;
    if (full) {
        /* the canonical bytes as a JSON string: a client hashes exactly what it decodes */
        char *text = malloc(leaf->len + 1);
        if (!text) return 1;
        memcpy(text, leaf->data, leaf->len);
        text[leaf->len] = '\0';
        enlace_buf_puts(b, ",\"data\":");
        enlace_buf_json_str(b, text);
        free(text);
    }
    enlace_buf_puts(b, "}");
    return b->oom ? 1 : 0;
}

static void serve_entries(store *s, const taxii_param *ps, size_t n, const taxii_audit_caller *who,
                          taxii_audit_reply *r, enlace_err *err_log) {
    uint64_t start, end, size = 0;
    if (need(ps, n, "start", &start, r)) return;
    if (param(ps, n, "end") ? need(ps, n, "end", &end, r) : (end = start + TAXII_AUDIT_ENTRIES_MAX, 0)) return;
    if (end < start) return fail(r, 400, "'end' must not be below 'start'");
    enlace_err e;
    int rc = store_audit_size(s, &size, &e);
    if (rc) return fail_store(r, &e, err_log);
    if (end > size) end = size;
    if (start > end) start = end;
    int more = 0;
    if (end - start > TAXII_AUDIT_ENTRIES_MAX) {
        end = start + TAXII_AUDIT_ENTRIES_MAX;
        more = 1;
    }
    r->status = 200;
    enlace_buf_printf(&r->body, "{\"size\":%llu,\"start\":%llu,\"end\":%llu,\"more\":%s,\"entries\":[",
                      (unsigned long long)size, (unsigned long long)start, (unsigned long long)end,
                      more ? "true" : "false");
    entries_ctx ec = {&r->body, who, 0};
    rc = store_audit_leaves(s, start, end, NULL, entry_row, &ec, &e);
    if (rc && r->body.oom) return;  /* reply_send turns an oom body into a 500 */
    if (rc) return fail_store(r, &e, err_log);
    enlace_buf_puts(&r->body, "]}");
}

void taxii_audit_serve(store *s, const char *url, const taxii_param *ps, size_t n,
                       const taxii_audit_caller *who, taxii_audit_reply *r, enlace_err *err_log) {
    r->status = 500;
    r->ctype = CT_JSON;
    char what[32];
    size_t plen = sizeof TAXII_AUDIT_PREFIX - 1;
    const char *rest = strlen(url) >= plen ? url + plen : "";
    size_t len = strlen(rest);
    if (len && rest[len - 1] == '/') len--;  /* the trailing '/' is optional */
    if (len >= sizeof what) return fail(r, 404, "no such resource");
    memcpy(what, rest, len);
    what[len] = '\0';
    if (strcmp(what, "checkpoint") == 0) serve_checkpoint(s, who, r, err_log);
    else if (strcmp(what, "consistency") == 0) serve_consistency(s, ps, n, r, err_log);
    else if (strcmp(what, "inclusion") == 0) serve_inclusion(s, ps, n, r, err_log);
    else if (strcmp(what, "entries") == 0) serve_entries(s, ps, n, who, r, err_log);
    else fail(r, 404, "no such resource");
}

/* ---- recording a request ---------------------------------------------------------------------- */

void taxii_audit_rec_init(taxii_audit_rec *r, const char *name, const char *org, const char *party,
                          const char *action, const char *collection, int64_t now_us) {
    memset(r, 0, sizeof *r);
    snprintf(r->strs[0], sizeof r->strs[0], "%s", name ? name : "");
    snprintf(r->strs[1], sizeof r->strs[1], "%s", org ? org : "");
    snprintf(r->strs[2], sizeof r->strs[2], "%s", party ? party : "");
    snprintf(r->strs[3], sizeof r->strs[3], "%s", collection ? collection : "");
    r->base = (audit_entry){now_us, r->strs[0], r->strs[1], r->strs[2], action, r->strs[3], "", "allow", "", "",
                            NULL, 0};
}

void taxii_audit_rec_collection(taxii_audit_rec *r, const char *id) {
    snprintf(r->strs[3], sizeof r->strs[3], "%s", id ? id : "");
}

void taxii_audit_rec_deny(taxii_audit_rec *r, const char *reason) {
    r->base.decision = "deny";
    r->base.reason = reason;
}

static size_t arena_put(taxii_audit_rec *r, const char *s) {
    size_t n = strlen(s) + 1;
    if (r->len + n > r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 4096;
        while (cap < r->len + n) cap *= 2;
        char *p = realloc(r->arena, cap);
        if (!p) {
            r->oom = 1;
            return 0;
        }
        r->arena = p;
        r->cap = cap;
    }
    memcpy(r->arena + r->len, s, n);
    r->len += n;
    return r->len - n;
}

int taxii_audit_rec_add(taxii_audit_rec *r, const char *orig_party, const char *id, const char *version) {
    if (r->oom) return -1;
    if (r->n == r->n_cap) {
        size_t cap = r->n_cap ? r->n_cap * 2 : 64;
        void *p = realloc(r->items, cap * sizeof *r->items);
        if (!p) {
            r->oom = 1;
            return -1;
        }
        r->items = p;
        r->n_cap = cap;
    }
    struct taxii_audit_item it;
    it.party = arena_put(r, orig_party ? orig_party : "");
    it.id = arena_put(r, id ? id : "");
    it.version = arena_put(r, version ? version : "");
    if (r->oom) return -1;
    r->items[r->n++] = it;
    return 0;
}

/* Build the entries: entries[k] for the k-th distinct party, its objects in objs. */
static int rec_entries(taxii_audit_rec *r, const char *node_party, audit_entry **entries, size_t *n_entries,
                       audit_object **objs) {
    *entries = NULL;
    *objs = NULL;
    *n_entries = 0;
    if (r->oom) return ENLACE_ENOMEM;
    size_t n = r->n;
    audit_entry *es = calloc(n ? n : 1, sizeof *es);
    audit_object *os = calloc(n ? n : 1, sizeof *os);
    size_t *part = calloc(n ? n : 1, sizeof *part);  /* entry index of item i */
    if (!es || !os || !part) {
        free(es);
        free(os);
        free(part);
        return ENLACE_ENOMEM;
    }
    size_t ne = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = r->arena + r->items[i].party;
        size_t k = 0;
        while (k < ne && strcmp(es[k].about, p) != 0) k++;
        if (k == ne) {
            es[ne] = r->base;
            es[ne].about = p;
            ne++;
        }
        es[k].n_objects++;
        part[i] = k;
    }
    /* objects grouped per entry, each group in the order the items came */
    size_t off = 0;
    for (size_t k = 0; k < ne; k++) {
        es[k].objects = os + off;
        off += es[k].n_objects;
        es[k].n_objects = 0;
    }
    for (size_t i = 0; i < n; i++) {
        audit_entry *e = &es[part[i]];
        audit_object *o = (audit_object *)e->objects + e->n_objects++;
        o->id = r->arena + r->items[i].id;
        o->version = r->arena + r->items[i].version;
    }
    free(part);
    if (ne == 0) {  /* nothing named: one entry about the node's own party */
        es[0] = r->base;
        es[0].about = node_party;
        ne = 1;
    }
    *entries = es;
    *objs = os;
    *n_entries = ne;
    return 0;
}

int taxii_audit_rec_log(taxii_audit_rec *r, audit_log *log, const char *node_party, enlace_err *err) {
    audit_entry *es;
    audit_object *os;
    size_t n;
    if (rec_entries(r, node_party, &es, &n, &os) != 0) return enlace_err_set(err, ENLACE_ENOMEM, "audit: out of memory");
    int rc = audit_log_append(log, es, n, NULL, err);
    free(es);
    free(os);
    return rc;
}

int taxii_audit_rec_log_async(taxii_audit_rec *r, audit_log *log, const char *node_party, audit_done_fn done,
                              void *ctx, enlace_err *err) {
    audit_entry *es;
    audit_object *os;
    size_t n;
    if (rec_entries(r, node_party, &es, &n, &os) != 0) return enlace_err_set(err, ENLACE_ENOMEM, "audit: out of memory");
    int rc = audit_log_append_async(log, es, n, done, ctx, err);  /* encodes them before it returns */
    free(es);
    free(os);
    return rc;
}

int taxii_audit_rec_append_tx(taxii_audit_rec *r, store *s, const char *node_party, enlace_err *err) {
    audit_entry *es;
    audit_object *os;
    size_t n;
    if (rec_entries(r, node_party, &es, &n, &os) != 0) return enlace_err_set(err, ENLACE_ENOMEM, "audit: out of memory");
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) rc = audit_append_tx(s, &es[i], NULL, err);
    free(es);
    free(os);
    return rc;
}

void taxii_audit_rec_free(taxii_audit_rec *r) {
    free(r->arena);
    free(r->items);
    memset(r, 0, sizeof *r);
}
