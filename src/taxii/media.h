/* media.h - TAXII 2.1 content negotiation: which Accept and Content-Type headers we serve (T§1.6.8, T§3.1). */
#ifndef ENLACE_TAXII_MEDIA_H
#define ENLACE_TAXII_MEDIA_H

/* The one media type every response carries (T§3.1: the version is required on responses). */
#define TAXII_MEDIA_TYPE "application/taxii+json;version=2.1"

/* Decide whether an Accept header value lets us answer with TAXII_MEDIA_TYPE (T§3.1).
 * accept may be NULL or empty (a missing header is treated as "anything", RFC 9110 §12.5.1).
 * A media range matches when it is star/star, application/star, or application/taxii+json whose
 * version parameter is absent or "2.1"; with allow_stix (the manifest, T§5.3) also
 * application/stix+json with version absent or "2.1". Types and parameter names compare
 * case-insensitively, spaces around ';' and '=' are allowed, values may be quoted, and a range
 * with q=0 (or a malformed q) is not acceptable. Returns 1 when acceptable, else 0 (-> 406).
 * Can't fail. */
int taxii_accept_ok(const char *accept, int allow_stix);

/* The same negotiation for enlace's own resources under /enlace/v1/ (DESIGN.md "HTTP"), served
 * as application/json: acceptable when accept is NULL/empty or holds star/star,
 * application/star or application/json with q > 0. Returns 1 or 0 (-> 406). Can't fail. */
int taxii_accept_json_ok(const char *accept);

/* Decide whether a request Content-Type is a TAXII envelope we accept on POST (T§5.5):
 * application/taxii+json (case-insensitive) with version absent or "2.1"; other parameters
 * (e.g. charset) are ignored. NULL or anything else returns 0 (-> 415); acceptable returns 1. */
int taxii_content_type_ok(const char *content_type);

#endif
