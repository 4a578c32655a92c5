/* audit_source.h - a node's audit log read over HTTP (GET /enlace/v1/audit/checkpoint,
 * /consistency, /entries; docs/audit.md): the audit_source that audit_verify_run checks, shared
 * by `enlace audit verify` (src/cli/audit.c) and the federation trust check (fed/trust.c), with
 * a size cap per resource (security review F7). */
#ifndef ENLACE_FED_AUDIT_SOURCE_H
#define ENLACE_FED_AUDIT_SOURCE_H

#include <stddef.h>

#include "audit/checkpoint.h"
#include "audit/verify.h"
#include "client/client.h"
#include "util/err.h"

/* Largest responses read, per resource: a checkpoint is refused past AUDIT_NOTE_MAX anyway; a
 * consistency proof holds at most 64 hashes (about 3 KiB of JSON); an entries page is asked
 * again in smaller pages when it is larger than FED_AUDIT_MAX_PAGE. */
#define FED_AUDIT_MAX_CHECKPOINT 8192
#define FED_AUDIT_MAX_PROOF 8192
#define FED_AUDIT_MAX_PAGE ((size_t)8 << 20)
#define FED_AUDIT_PAGE_ENTRIES 1000

/* A node's base URL is where /enlace/v1/ hangs off: its TAXII API root with a trailing "api/"
 * dropped ("http://h:8021/api/" and "http://h:8021/api" -> "http://h:8021/"), else the URL with
 * a '/' added when missing. Writes out (n bytes). -1 when it does not fit (out is then ""). */
int fed_node_base_url(const char *url, char *out, size_t n);

/* The source's state. Fill with fed_audit_http_init; read the flags after a run. */
typedef struct fed_audit_http {
    client *cl;                /* borrowed; requests go to absolute URLs under base */
    char base[2048];           /* the node's base URL, ending in '/' */
    const char *pin_name;      /* a pinned verifier key's name ("" or NULL: a bare key) */
    const unsigned char *pk;   /* the pinned key (32 bytes, borrowed) */
    int failed_http;           /* a request got an answer other than 200 */
    long status;               /* that answer's HTTP status (503: the node has no signing key) */
    int malformed;             /* a response was malformed or oversized (not proof of tampering) */
} fed_audit_http;

/* Set h to read the log of the node at base_url (any URL fed_node_base_url takes) through cl,
 * checking checkpoints against (pin_name, pk). ENLACE_EINVAL when the URL is too long. */
int fed_audit_http_init(fed_audit_http *h, client *cl, const char *base_url, const char *pin_name,
                        const unsigned char pk[32], enlace_err *err);

/* The audit_source over h (h must outlive src). Its errors: ENLACE_ENET "GET <path>: HTTP <status>
 * ..." for an answer other than 200 (h->failed_http, h->status), the client's errors,
 * ENLACE_EINVAL "malformed response: ..." (h->malformed) for a malformed or oversized answer,
 * ENLACE_EAUTH / ENLACE_ECONFLICT from the checkpoint's verification (bad signature, origin). */
void fed_audit_http_source(fed_audit_http *h, audit_source *src);

#endif
