/* client.h - a small TAXII 2.1 HTTP client over libcurl, used by `enlace push|get` and later by
 * federation (fed/): one configured API root, GET and POST with the TAXII media type, auth, TLS. */
#ifndef ENLACE_CLIENT_CLIENT_H
#define ENLACE_CLIENT_CLIENT_H

#include <stddef.h>

#include "util/err.h"

/* The TAXII 2.1 media type sent in Accept (always) and Content-Type (POST) (T§1.6.8, T§3.1). */
#define CLIENT_TAXII_MEDIA "application/taxii+json;version=2.1"
#define CLIENT_USER_AGENT "enlace/0.1"

/* How to reach one TAXII API root. Strings are borrowed: they must outlive the client. */
typedef struct client_config {
    const char *base_url;      /* API root URL, e.g. "http://127.0.0.1:8021/api/" ('/' added if
                                * missing); relative paths given to client_get/post hang off it */
    const char *user;          /* HTTP Basic user (T§1.6.9), NULL for none */
    const char *password;      /* HTTP Basic password (with user) */
    const char *token;         /* bearer token; used instead of Basic when non-NULL */
    int insecure;              /* 1: do not verify the server certificate or host name */
    const char *cacert;        /* PEM CA bundle file to verify the server with, NULL = system */
    long connect_timeout_s;    /* 0 = 10 s */
    long timeout_s;            /* whole-request limit, 0 = 300 s */
    size_t max_body;           /* largest response body accepted, bytes; 0 = 512 MiB */
} client_config;

/* One HTTP response. body is malloc'd and NUL-terminated (body_len excludes the NUL). */
typedef struct client_response {
    long status;                   /* HTTP status code */
    char *body;                    /* owned; "" (not NULL) after a successful call */
    size_t body_len;
    char content_type[160];        /* Content-Type header, "" when absent */
    char date_added_first[64];     /* X-TAXII-Date-Added-First (T§3.2), "" when absent */
    char date_added_last[64];      /* X-TAXII-Date-Added-Last (T§3.2), "" when absent */
} client_response;

typedef struct client client;

/* Initialise libcurl once per process (call from main() before any thread starts).
 * Returns 0, or -1 when libcurl cannot initialise. */
int client_global_init(void);
/* Release what client_global_init took. */
void client_global_cleanup(void);

/* Make a client for cfg (copied; the strings it points to are borrowed). *out is owned by the
 * caller (client_free). Errors: ENLACE_EINVAL (no base_url), ENLACE_ENOMEM. */
int client_new(const client_config *cfg, client **out, enlace_err *err);
/* Free a client. NULL is fine. */
void client_free(client *c);

/* GET path_query, a path relative to the API root ("" for the API root itself, T§4.2;
 * "collections/ID/objects/?limit=10") or an absolute http(s) URL. Sends Accept with the TAXII
 * media type and User-Agent. On return 0, resp is filled for ANY HTTP status (check
 * resp->status) and must be freed with client_response_free. Errors: ENLACE_ENET (connection,
 * TLS, timeout; message from libcurl), ENLACE_ETOOBIG (body over max_body), ENLACE_ENOMEM. */
int client_get(client *c, const char *path_query, client_response *resp, enlace_err *err);

/* client_get with another Accept header and a smaller body limit for this one request: accept
 * (NULL: the TAXII media type) is sent as is, e.g. "application/json" for enlace's own
 * /enlace/v1/ resources (the directory, the epoch; T§1.6.8 does not cover them); max_body bytes
 * when smaller than the client's (0: the client's), ENLACE_ETOOBIG past it as for client_get, so
 * a resource known to be small (an audit checkpoint, a proof, a directory) is refused without
 * being read whole. Same results and errors as client_get. */
int client_get_ex(client *c, const char *path_query, const char *accept, size_t max_body, client_response *resp,
                  enlace_err *err);

/* POST body (len bytes) to path with Content-Type and Accept set to the TAXII media type (T§5.5).
 * Same results and errors as client_get. */
int client_post(client *c, const char *path, const char *body, size_t len, client_response *resp,
                enlace_err *err);

/* Write the full URL a request for path_query goes to (as client_get/client_post join it) to out
 * (n bytes, NUL-terminated, truncated when too long). */
void client_url(const client *c, const char *path_query, char *out, size_t n);

/* 1 when the last failed request of c failed because the server's TLS certificate could not be
 * verified (unknown issuer, self-signed, expired, wrong host name), else 0. */
int client_tls_untrusted(const client *c);

/* What a URL given as an API root turned out to be (client_probe_root). */
typedef enum {
    CLIENT_ROOT_API = 0,        /* a TAXII api-root resource (T§4.2): title and versions */
    CLIENT_ROOT_DISCOVERY = 1,  /* a discovery resource (T§4.1): has api_roots */
    CLIENT_ROOT_OTHER = 2       /* anything else: an HTTP error, a collection list, not JSON... */
} client_root_kind;

/* GET the configured API root itself and say what it is. *status gets the HTTP status; hint
 * (n bytes) gets, for CLIENT_ROOT_DISCOVERY, its first API root URL (or its default), and for a
 * status other than 200 the client_error_describe line, else ""; *max_content_length (may be NULL) gets the api-root's value, 0 when
 * absent. Returns 0 with *kind set, or the client_get error. */
int client_probe_root(client *c, client_root_kind *kind, long *status, char *hint, size_t n,
                      size_t *max_content_length, enlace_err *err);

/* Free resp's body and reset it. NULL is fine. */
void client_response_free(client_response *resp);

/* Write a one-line description of an unsuccessful response to out (n bytes): "HTTP <status>"
 * followed by the TAXII error resource's title and description when the body is one (T§3.6.1),
 * else by the start of the body. Can't fail. */
void client_error_describe(const client_response *resp, char *out, size_t n);

/* Append to out (n bytes, NUL-terminated, truncated) "&name=value" (or "?name=value" when out has
 * no '?' yet) with value percent-encoded (RFC 3986 unreserved kept) so that filters like
 * match[type] and added_after travel intact (T§3.4). Returns 0, or -1 when it did not fit. */
int client_query_add(char *out, size_t n, const char *name, const char *value);

#endif
