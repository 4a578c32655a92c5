/* server.h - the TAXII 2.1 HTTP server (libmicrohttpd): configuration, start and graceful stop.
 * Discovery at /taxii2/, one API root at /api/ (T§4, T§5).
 *
 * Choices the spec leaves open, as served:
 *  - every response, 401 included, is application/taxii+json;version=2.1; errors are error
 *    resources (T§3.6.1) and never say whether an invisible collection/object/status exists;
 *  - DELETE (T§5.7) answers 200 with the body {} (the spec defines no resource for it);
 *  - manifest, versions and envelope all carry `next` when `more` is true (T§3.5);
 *  - empty results: {"more":false} (no list member, T§2); the X-TAXII-Date-Added-* headers are
 *    omitted on an empty page;
 *  - object and versions endpoints answer 404 when no version matches the filters (T§5.6);
 *  - status resources are served to their poster for 7 days (T§4.3 asks for >= 24 h);
 *  - unauthenticated requests get 401 before any routing, so unknown paths don't leak;
 *  - every object, manifest and versions read goes through the originator-control decision
 *    (policy/policy.h) as the store's query predicate: what a principal may not read is 404 /
 *    absent, exactly like what does not exist; admin-only users get 403 there;
 *  - enlace's own resources live under /enlace/v1/ (application/json, same error shape):
 *    GET /enlace/v1/directory is the node's signed directory (party, vouched organizations,
 *    vettings made by its party). */
#ifndef ENLACE_TAXII_SERVER_H
#define ENLACE_TAXII_SERVER_H

#include <stddef.h>

#include "util/err.h"

/* One line of diagnostics (no newline) from the server, e.g. a storage failure behind a 500.
 * The server never prints; the CLI decides where lines go. Called from server threads. */
typedef void (*taxii_log_fn)(void *ctx, const char *line);

typedef struct taxii_config {
    const char *db_path;          /* the node's store (DIR/enlace.db); must exist */
    const char *listen;           /* "HOST:PORT" or "[v6]:PORT"; port 0 picks a free port */
    const char *tls_cert_pem;     /* PEM text (not a path); NULL for plain HTTP */
    const char *tls_key_pem;      /* PEM text; set together with tls_cert_pem */
    unsigned threads;             /* worker threads = store connections */
    size_t max_content_length;    /* bytes of a POST body (T§4.2.1), also reported in the API root */
    size_t page_limit;            /* default `limit` (T§3.4.1) */
    size_t page_max;              /* largest `limit` honoured; larger requests are capped */
    size_t max_objects;           /* objects per POSTed envelope */
    int max_depth;                /* JSON nesting depth of a POST body */
    const char *node_key_path;    /* the node's Ed25519 secret key (base64 of libsodium's 64-byte
                                   * secret key, as `enlace init` writes DIR/node.key); it signs
                                   * /enlace/v1/directory. NULL: node.key beside db_path. A missing
                                   * file leaves the directory unavailable (503); an unreadable or
                                   * malformed one refuses the start */
    unsigned audit_checkpoint_s;  /* the audit log signs a tree head at least this often (seconds)
                                   * while it grows (issue 4); 0 = 10 */
    int audit_off;                /* BENCHMARKS ONLY (bench/bench_audit): no audit log, to measure
                                   * its cost. Nothing else sets it: a node always logs every read
                                   * and write (DESIGN invariant 5) */
    taxii_log_fn log;             /* may be NULL */
    void *log_ctx;
} taxii_config;

typedef struct taxii_server taxii_server;

/* Fill c with the defaults: listen 127.0.0.1:8021, 4 threads, max_content_length 10485760,
 * page limit 1000 (max 10000), 10000 objects per envelope, depth 64, no TLS, no log.
 * db_path stays NULL. Can't fail. */
void taxii_config_defaults(taxii_config *c);

/* Open the store pool (cfg->threads + 1 connections), load node settings (party, org; create the
 * "cursor_key" setting when absent), purge statuses older than 7 days, bind and start serving.
 * Plain HTTP is refused unless the listen address is loopback (127.0.0.0/8, ::1): T§1.6.6 wants
 * HTTPS everywhere else. TLS allows TLS 1.2 and 1.3 only (T§8.2.2).
 * Returns 0 and *out (stop with taxii_server_stop); ENLACE_EINVAL for a bad configuration (bad
 * listen address, plain HTTP off loopback, bad limits) -> usage error; ENLACE_ENOTFOUND when
 * the store is missing; ENLACE_EIO when the store or the socket/TLS setup fails. */
int taxii_server_start(const taxii_config *cfg, taxii_server **out, enlace_err *err);

/* The base URL actually served, e.g. "http://127.0.0.1:40123/" (the real port when 0 was asked,
 * "https://" with TLS, "[::1]" for IPv6). Owned by the server. */
const char *taxii_server_url(const taxii_server *s);

/* Stop gracefully: stop accepting connections, wait (at most wait_ms milliseconds) for requests
 * in flight to finish, stop the daemon, close every store connection and free s. NULL is fine. */
void taxii_server_stop(taxii_server *s, unsigned wait_ms);

#endif
