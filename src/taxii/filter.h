/* filter.h - TAXII 2.1 query parameters (T§3.4, T§3.5): parse and check them, and turn them into
 * a store_query plus a hash that ties a paging cursor to the query it came from. */
#ifndef ENLACE_TAXII_FILTER_H
#define ENLACE_TAXII_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

/* The endpoints that take filters; each accepts a different set (T§3.1 table). */
typedef enum {
    TAXII_EP_MANIFEST = 1,   /* T§5.3: added_after, limit, next, match[id|type|version|spec_version] */
    TAXII_EP_OBJECTS = 2,    /* T§5.4: same as the manifest */
    TAXII_EP_OBJECT = 3,     /* T§5.6: added_after, limit, next, match[version|spec_version] */
    TAXII_EP_VERSIONS = 4,   /* T§5.8: added_after, limit, next, match[spec_version]; versions = all */
    TAXII_EP_DELETE = 5      /* T§5.7: match[version|spec_version]; default all versions */
} taxii_endpoint;

/* One query parameter as decoded from the URL; value NULL when it had no '='. */
typedef struct taxii_param {
    const char *key;
    const char *value;
} taxii_param;

/* Parsed filters. Everything is owned by the struct (taxii_filter_free). */
typedef struct taxii_filter {
    int64_t added_after;          /* microseconds, -1 when absent */
    size_t limit;                 /* effective limit: given (capped at the maximum) or the default */
    char *next;                   /* the cursor as given, NULL when absent */
    char *ids_text; const char **ids; size_t n_ids;
    char *types_text; const char **types; size_t n_types;
    unsigned version_flags;       /* STORE_V_*; 0 with no keys means the store's default (last) */
    char (*version_key_buf)[56];  /* STIX_TIME_KEY_MAX each */
    const char **version_keys; size_t n_version_keys;
    char *spec_text; const char **spec_versions; size_t n_spec;
} taxii_filter;

/* Parse the query parameters of one request for endpoint ep (T§3.4.1). Parameters the endpoint
 * does not define, and unknown ones, are ignored (T§3.4.1 "MAY ignore"). Rules: each known
 * parameter at most once; added_after a TAXII/RFC 3339 UTC timestamp; limit a decimal integer
 * > 0, capped at max_limit (not an error); next non-empty; match[id] comma-separated STIX ids;
 * match[type] comma-separated type names; match[version] "first", "last", "all" or STIX
 * timestamps, no repeats, "all" alone; match[spec_version] values like "2.1", no repeats.
 * Empty list elements are malformed. For TAXII_EP_VERSIONS the version selection is forced to
 * all; for TAXII_EP_DELETE the default is all versions (T§5.7).
 * Returns 0 and fills *f (free with taxii_filter_free), or ENLACE_EINVAL with a message naming
 * the parameter (-> 400), or ENLACE_ENOMEM. On error *f holds nothing to free. */
int taxii_filter_parse(taxii_endpoint ep, const taxii_param *params, size_t n_params,
                       size_t default_limit, size_t max_limit, taxii_filter *f, enlace_err *err);

/* Free what taxii_filter_parse allocated. NULL-safe; f may be zeroed. */
void taxii_filter_free(taxii_filter *f);

/* Fill q (zeroed first) from f for collection coll_rowid and, for the object endpoints, the
 * object id (else NULL). q points into f and object_id: they must outlive q. after_us is f's
 * added_after; the caller raises it to a cursor's position. Can't fail. */
void taxii_filter_to_query(const taxii_filter *f, int64_t coll_rowid, const char *object_id,
                           store_query *q);

/* SHA-256 of the normalized query: endpoint, collection id, object id (may be NULL) and every
 * filter except limit and next. Two requests differing only in limit/next hash the same, so a
 * cursor can be checked against "the same original filters" (T§3.5). Can't fail. */
void taxii_filter_hash(const taxii_filter *f, taxii_endpoint ep, const char *collection_id,
                       const char *object_id, unsigned char out[32]);

#endif
