/* audit_source.c - a node's audit log read over HTTP (/enlace/v1/audit/): the checkpoint, a
 * consistency proof, pages of leaves, each with its size cap, for audit_verify_run. */
#include "fed/audit_source.h"

#include <json-c/json.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fed_node_base_url(const char *url, char *out, size_t n) {
    size_t ul = url ? strlen(url) : 0;
    if (n == 0) return -1;
    if (snprintf(out, n, "%s%s", url ? url : "", ul && url[ul - 1] == '/' ? "" : "/") >= (int)n) {
        out[0] = '\0';
        return -1;
    }
    size_t bl = strlen(out);
    if (bl > 5 && strcmp(out + bl - 5, "/api/") == 0) out[bl - 4] = '\0';
    return 0;
}

int fed_audit_http_init(fed_audit_http *h, client *cl, const char *base_url, const char *pin_name,
                        const unsigned char pk[32], enlace_err *err) {
    memset(h, 0, sizeof *h);
    h->cl = cl;
    h->pin_name = pin_name ? pin_name : "";
    h->pk = pk;
    if (fed_node_base_url(base_url, h->base, sizeof h->base) != 0)
        return enlace_err_set(err, ENLACE_EINVAL, "the node's URL is too long");
    return 0;
}

static int malformed(fed_audit_http *h, enlace_err *err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int malformed(fed_audit_http *h, enlace_err *err, const char *fmt, ...) {
    h->malformed = 1;
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return enlace_err_set(err, ENLACE_EINVAL, "malformed response: %s", what);
}

/* GET base + path with a body cap; anything but 200 is an error naming the path. */
static int get_ok(fed_audit_http *h, const char *path, size_t cap, const char *what, client_response *resp,
                  enlace_err *err) {
    char url[2300];
    if (snprintf(url, sizeof url, "%s%s", h->base, path) >= (int)sizeof url)
        return enlace_err_set(err, ENLACE_EINVAL, "the node's URL is too long");
    int rc = client_get_ex(h->cl, url, NULL, cap, resp, err);
    if (rc == ENLACE_ETOOBIG) return malformed(h, err, "%s too large (over %zu bytes)", what, cap);
    if (rc) return rc;
    if (resp->status != 200) {
        char desc[300];
        client_error_describe(resp, desc, sizeof desc);
        h->failed_http = 1;
        h->status = resp->status;
        client_response_free(resp);
        return enlace_err_set(err, ENLACE_ENET, "GET %s: %s", path, desc);
    }
    return 0;
}

static int src_checkpoint(void *ctx, char **note, size_t *len, enlace_err *err) {
    fed_audit_http *h = ctx;
    client_response resp;
    int rc = get_ok(h, "enlace/v1/audit/checkpoint", FED_AUDIT_MAX_CHECKPOINT, "checkpoint", &resp, err);
    if (rc) return rc;
    /* a malformed note is the node's fault but not proof of tampering; the pinned key's name
     * must be the note's origin (security review F5) */
    audit_checkpoint cp;
    enlace_err e2;
    enlace_err_clear(&e2);
    rc = audit_checkpoint_verify_pinned(resp.body, resp.body_len, h->pin_name, h->pk, &cp, &e2);
    if (rc == ENLACE_EINVAL) rc = malformed(h, err, "checkpoint: %s", e2.msg);
    else if (rc) rc = enlace_err_set(err, rc, "%s", e2.msg);
    if (rc) {
        client_response_free(&resp);
        return rc;
    }
    *note = resp.body;  /* taken over: freed by the caller */
    *len = resp.body_len;
    resp.body = NULL;
    client_response_free(&resp);
    return 0;
}

static int b64_hash(const char *s, unsigned char out[MERKLE_HASH_LEN]) {
    size_t n = 0;
    return s && sodium_base642bin(out, MERKLE_HASH_LEN, s, strlen(s), NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) == 0 &&
                   n == MERKLE_HASH_LEN
               ? 0
               : -1;
}

static json_object *parse_json(const client_response *resp) {
    if (resp->body_len > 0x7fffffff) return NULL;
    json_tokener *tok = json_tokener_new();
    if (!tok) return NULL;
    json_object *o = json_tokener_parse_ex(tok, resp->body, (int)resp->body_len);
    json_tokener_free(tok);
    return o;
}

static int src_consistency(void *ctx, uint64_t first, uint64_t second, unsigned char (*proof)[MERKLE_HASH_LEN],
                           size_t *n, enlace_err *err) {
    fed_audit_http *h = ctx;
    char path[128];
    snprintf(path, sizeof path, "enlace/v1/audit/consistency?first=%llu&second=%llu", (unsigned long long)first,
             (unsigned long long)second);
    client_response resp;
    int rc = get_ok(h, path, FED_AUDIT_MAX_PROOF, "consistency proof", &resp, err);
    if (rc) return rc;
    json_object *o = parse_json(&resp), *arr = NULL;
    client_response_free(&resp);
    *n = 0;
    if (!o || !json_object_object_get_ex(o, "proof", &arr) || !json_object_is_type(arr, json_type_array))
        rc = malformed(h, err, "no consistency proof from size %llu", (unsigned long long)first);
    else if (json_object_array_length(arr) > MERKLE_MAX_PROOF)
        rc = malformed(h, err, "consistency proof from size %llu holds too many hashes", (unsigned long long)first);
    for (size_t i = 0; rc == 0 && i < json_object_array_length(arr); i++)
        if (b64_hash(json_object_get_string(json_object_array_get_idx(arr, i)), proof[i]) != 0)
            rc = malformed(h, err, "consistency proof holds a malformed hash (hash %zu)", i);
    if (rc == 0) *n = json_object_array_length(arr);
    json_object_put(o);
    return rc;
}

static int src_leaves(void *ctx, uint64_t start, uint64_t end, audit_leaf_cb cb, void *cbctx, enlace_err *err) {
    fed_audit_http *h = ctx;
    uint64_t page = FED_AUDIT_PAGE_ENTRIES;
    while (start < end) {
        char path[128];
        uint64_t stop = end - start > page ? start + page : end;
        snprintf(path, sizeof path, "enlace/v1/audit/entries?start=%llu&end=%llu", (unsigned long long)start,
                 (unsigned long long)stop);
        client_response resp;
        int rc = get_ok(h, path, FED_AUDIT_MAX_PAGE, "entries page", &resp, err);
        if (rc == ENLACE_EINVAL && page > 1) {  /* too large: ask for fewer entries at once */
            h->malformed = 0;
            page /= 2;
            continue;
        }
        if (rc) return rc;
        json_object *o = parse_json(&resp), *arr = NULL;
        client_response_free(&resp);
        if (!o || !json_object_object_get_ex(o, "entries", &arr) || !json_object_is_type(arr, json_type_array)) {
            json_object_put(o);
            return malformed(h, err, "entries from %llu are not an entries page", (unsigned long long)start);
        }
        if (json_object_array_length(arr) == 0) {
            json_object_put(o);
            return enlace_err_set(err, ENLACE_ECONFLICT, "leaf entries: the node served no entries from %llu (of %llu)",
                                  (unsigned long long)start, (unsigned long long)end);
        }
        for (size_t i = 0; i < json_object_array_length(arr) && rc == 0; i++) {
            json_object *e = json_object_array_get_idx(arr, i), *idx = NULL, *lh = NULL, *data = NULL;
            unsigned char hh[MERKLE_HASH_LEN];
            if (!json_object_object_get_ex(e, "index", &idx) || !json_object_is_type(idx, json_type_int) ||
                json_object_get_int64(idx) < 0 || !json_object_object_get_ex(e, "leaf_hash", &lh) ||
                b64_hash(json_object_get_string(lh), hh) != 0) {
                rc = malformed(h, err, "a malformed entry near leaf %llu", (unsigned long long)start);
                break;
            }
            int has = json_object_object_get_ex(e, "data", &data) && json_object_is_type(data, json_type_string);
            rc = cb(cbctx, (uint64_t)json_object_get_int64(idx), has ? json_object_get_string(data) : NULL,
                    has ? (size_t)json_object_get_string_len(data) : 0, hh, err);
            start = (uint64_t)json_object_get_int64(idx) + 1;
        }
        json_object_put(o);
        if (rc) return rc;
    }
    return 0;
}

void fed_audit_http_source(fed_audit_http *h, audit_source *src) {
    src->ctx = h;
    src->checkpoint = src_checkpoint;
    src->consistency = src_consistency;
    src->leaves = src_leaves;
}
