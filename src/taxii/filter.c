/* filter.c - parse TAXII 2.1 query parameters (T§3.4.1) into a store_query; every malformed or
 * repeated parameter is a 400 naming it. */
#include "taxii/filter.h"

#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stix/id.h"
#include "stix/time.h"
#include "util/buf.h"

/* Longest cursor we bother to read; ours are far shorter. */
#define FILTER_NEXT_MAX 512

enum { P_ADDED_AFTER, P_LIMIT, P_NEXT, P_ID, P_TYPE, P_VERSION, P_SPEC, P_COUNT };
static const char *const param_names[P_COUNT] = {
    "added_after", "limit", "next", "match[id]", "match[type]", "match[version]", "match[spec_version]"};

/* Which parameters each endpoint defines (T§3.1 table), as a bit set over P_*. */
static unsigned endpoint_params(taxii_endpoint ep) {
    const unsigned paging = 1u << P_ADDED_AFTER | 1u << P_LIMIT | 1u << P_NEXT;
    switch (ep) {
    case TAXII_EP_MANIFEST:
    case TAXII_EP_OBJECTS: return paging | 1u << P_ID | 1u << P_TYPE | 1u << P_VERSION | 1u << P_SPEC;
    case TAXII_EP_OBJECT: return paging | 1u << P_VERSION | 1u << P_SPEC;
    case TAXII_EP_VERSIONS: return paging | 1u << P_SPEC;
    case TAXII_EP_DELETE: return 1u << P_VERSION | 1u << P_SPEC;
    }
    return 0;
}

/* Split a copy of value at commas into a malloc'd pointer array. Empty elements are an error. */
static int split_list(const char *name, const char *value, char **text, const char ***items, size_t *n,
                      enlace_err *err) {
    size_t count = 1;
    for (const char *p = value; *p; p++)
        if (*p == ',') count++;
    *text = strdup(value);
    *items = calloc(count, sizeof **items);
    if (!*text || !*items) return enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
    char *p = *text;
    for (size_t i = 0; i < count; i++) {
        char *comma = strchr(p, ',');
        if (comma) *comma = '\0';
        if (*p == '\0')
            return enlace_err_set(err, ENLACE_EINVAL, "invalid query parameter '%s': empty value in list", name);
        (*items)[i] = p;
        if (comma) p = comma + 1;
    }
    *n = count;
    return 0;
}

static int parse_limit(const char *v, size_t max_limit, size_t *out, enlace_err *err) {
    if (!isdigit((unsigned char)v[0]))
        return enlace_err_set(err, ENLACE_EINVAL, "invalid query parameter 'limit': not a positive integer");
    for (const char *p = v; *p; p++)
        if (!isdigit((unsigned char)*p))
            return enlace_err_set(err, ENLACE_EINVAL, "invalid query parameter 'limit': not a positive integer");
    errno = 0;
    unsigned long long n = strtoull(v, NULL, 10);
    if (n == 0) return enlace_err_set(err, ENLACE_EINVAL, "invalid query parameter 'limit': must be greater than 0");
    /* A huge value (even one that overflows) just asks for everything: cap it (T§3.4.1). */
    if (errno == ERANGE || n > max_limit) n = max_limit;
    *out = (size_t)n;
    return 0;
}

static int parse_versions(taxii_filter *f, const char *value, enlace_err *err) {
    char *text = NULL;
    const char **items = NULL;
    size_t n = 0;
    int rc = split_list("match[version]", value, &text, &items, &n, err);
    if (rc == 0) {
        f->version_key_buf = calloc(n, sizeof *f->version_key_buf);
        f->version_keys = calloc(n, sizeof *f->version_keys);
        if (!f->version_key_buf || !f->version_keys) rc = enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *v = items[i];
        unsigned flag = strcmp(v, "last") == 0 ? STORE_V_LAST
                        : strcmp(v, "first") == 0 ? STORE_V_FIRST
                        : strcmp(v, "all") == 0 ? STORE_V_ALL : 0;
        if (flag) {
            if (f->version_flags & flag)
                rc = enlace_err_set(err, ENLACE_EINVAL, "invalid query parameter 'match[version]': '%s' repeated", v);
            f->version_flags |= flag;
            continue;
        }
        char *key = f->version_key_buf[f->n_version_keys];
        if (stix_time_parse(v, strlen(v), key, NULL) != 0) {
            rc = enlace_err_set(err, ENLACE_EINVAL,
                                "invalid query parameter 'match[version]': '%.80s' is not first, last, all or a timestamp", v);
            break;
        }
        for (size_t j = 0; j < f->n_version_keys; j++)
            if (strcmp(f->version_keys[j], key) == 0)
                rc = enlace_err_set(err, ENLACE_EINVAL, "invalid query parameter 'match[version]': '%.80s' repeated", v);
        f->version_keys[f->n_version_keys++] = key;
    }
    if (rc == 0 && (f->version_flags & STORE_V_ALL) && n > 1)
        rc = enlace_err_set(err, ENLACE_EINVAL, "invalid query parameter 'match[version]': 'all' cannot be combined");
    free(text);
    free(items);
    return rc;
}

/* "2.1": digits '.' digits, short. */
static int spec_version_ok(const char *v) {
    size_t n = strlen(v);
    if (n < 3 || n > 7) return 0;
    const char *dot = strchr(v, '.');
    if (!dot || dot == v || dot[1] == '\0') return 0;
    for (const char *p = v; *p; p++)
        if (p != dot && !isdigit((unsigned char)*p)) return 0;
    return 1;
}

static int parse_one(taxii_filter *f, int which, const char *value, size_t max_limit, enlace_err *err) {
    const char *name = param_names[which];
    switch (which) {
    case P_ADDED_AFTER:
        if (taxii_time_parse(value, &f->added_after) != 0)
            return enlace_err_set(err, ENLACE_EINVAL, "invalid query parameter 'added_after': not an RFC 3339 UTC timestamp");
        return 0;
    case P_LIMIT: return parse_limit(value, max_limit, &f->limit, err);
    case P_NEXT:
        if (strlen(value) > FILTER_NEXT_MAX) return enlace_err_set(err, ENLACE_EINVAL, "invalid next");
        f->next = strdup(value);
        return f->next ? 0 : enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
    case P_ID: {
        int rc = split_list(name, value, &f->ids_text, &f->ids, &f->n_ids, err);
        for (size_t i = 0; rc == 0 && i < f->n_ids; i++)
            if (stix_id_check(f->ids[i], NULL, NULL, NULL, 0) != 0)
                rc = enlace_err_set(err, ENLACE_EINVAL, "invalid query parameter 'match[id]': '%.300s' is not a STIX id", f->ids[i]);
        return rc;
    }
    case P_TYPE: {
        int rc = split_list(name, value, &f->types_text, &f->types, &f->n_types, err);
        for (size_t i = 0; rc == 0 && i < f->n_types; i++)
            if (stix_type_check(f->types[i]) != 0)
                rc = enlace_err_set(err, ENLACE_EINVAL, "invalid query parameter 'match[type]': '%.260s' is not a STIX type", f->types[i]);
        return rc;
    }
    case P_VERSION: return parse_versions(f, value, err);
    case P_SPEC: {
        int rc = split_list(name, value, &f->spec_text, &f->spec_versions, &f->n_spec, err);
        for (size_t i = 0; rc == 0 && i < f->n_spec; i++) {
            if (!spec_version_ok(f->spec_versions[i]))
                rc = enlace_err_set(err, ENLACE_EINVAL, "invalid query parameter 'match[spec_version]': '%.40s' is not a version like 2.1",
                                    f->spec_versions[i]);
            for (size_t j = 0; rc == 0 && j < i; j++)
                if (strcmp(f->spec_versions[i], f->spec_versions[j]) == 0)
                    rc = enlace_err_set(err, ENLACE_EINVAL, "invalid query parameter 'match[spec_version]': '%.40s' repeated",
                                        f->spec_versions[i]);
        }
        return rc;
    }
    }
    return 0;
}

int taxii_filter_parse(taxii_endpoint ep, const taxii_param *params, size_t n_params,
                       size_t default_limit, size_t max_limit, taxii_filter *f, enlace_err *err) {
    memset(f, 0, sizeof *f);
    f->added_after = -1;
    unsigned allowed = endpoint_params(ep), seen = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n_params; i++) {
        int which = -1;
        for (int k = 0; k < P_COUNT; k++)
            if (params[i].key && strcmp(params[i].key, param_names[k]) == 0) which = k;
        if (which < 0 || !(allowed & (1u << which))) continue;  /* unknown here: ignored */
        if (seen & (1u << which)) {
            rc = enlace_err_set(err, ENLACE_EINVAL, "invalid query parameter '%s': given more than once", param_names[which]);
            break;
        }
        seen |= 1u << which;
        if (!params[i].value || !params[i].value[0]) {
            rc = enlace_err_set(err, ENLACE_EINVAL, "invalid query parameter '%s': no value", param_names[which]);
            break;
        }
        rc = parse_one(f, which, params[i].value, max_limit, err);
    }
    if (rc != 0) {
        taxii_filter_free(f);
        return rc;
    }
    if (f->limit == 0) f->limit = default_limit < max_limit ? default_limit : max_limit;
    if (ep == TAXII_EP_VERSIONS) f->version_flags = STORE_V_ALL;
    if (ep == TAXII_EP_DELETE && f->version_flags == 0 && f->n_version_keys == 0) f->version_flags = STORE_V_ALL;
    return 0;
}

void taxii_filter_free(taxii_filter *f) {
    if (!f) return;
    free(f->next);
    free(f->ids_text);
    free(f->ids);
    free(f->types_text);
    free(f->types);
    free(f->version_key_buf);
    free(f->version_keys);
    free(f->spec_text);
    free(f->spec_versions);
    memset(f, 0, sizeof *f);
    f->added_after = -1;
}

void taxii_filter_to_query(const taxii_filter *f, int64_t coll_rowid, const char *object_id,
                           store_query *q) {
    memset(q, 0, sizeof *q);
    q->coll_rowid = coll_rowid;
    q->object_id = object_id;
    q->after_us = f->added_after;
    q->ids = f->ids;
    q->n_ids = f->n_ids;
    q->types = f->types;
    q->n_types = f->n_types;
    q->version_flags = f->version_flags;
    q->version_keys = f->version_keys;
    q->n_version_keys = f->n_version_keys;
    q->spec_versions = f->spec_versions;
    q->n_spec = f->n_spec;
    q->limit = f->limit;
}

static void hash_list(crypto_hash_sha256_state *st, const char *tag, const char *const *v, size_t n) {
    crypto_hash_sha256_update(st, (const unsigned char *)tag, strlen(tag));
    for (size_t i = 0; i < n; i++) {
        /* Each value is NUL-terminated in the hash input, so lists can't be confused. */
        crypto_hash_sha256_update(st, (const unsigned char *)v[i], strlen(v[i]) + 1);
    }
    crypto_hash_sha256_update(st, (const unsigned char *)"\n", 1);
}

void taxii_filter_hash(const taxii_filter *f, taxii_endpoint ep, const char *collection_id,
                       const char *object_id, unsigned char out[32]) {
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    char head[96];
    int n = snprintf(head, sizeof head, "enlace-query-1\n%d\n%lld\n%u\n", (int)ep, (long long)f->added_after,
                     f->version_flags);
    crypto_hash_sha256_update(&st, (const unsigned char *)head, (size_t)n);
    const char *c = collection_id ? collection_id : "", *o = object_id ? object_id : "";
    hash_list(&st, "coll", &c, 1);
    hash_list(&st, "object", &o, 1);
    hash_list(&st, "ids", f->ids, f->n_ids);
    hash_list(&st, "types", f->types, f->n_types);
    hash_list(&st, "versions", f->version_keys, f->n_version_keys);
    hash_list(&st, "spec", f->spec_versions, f->n_spec);
    crypto_hash_sha256_final(&st, out);
}
