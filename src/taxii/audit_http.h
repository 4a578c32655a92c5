/* audit_http.h - the audit log's HTTP API under /enlace/v1/audit/ (issue 4 must-have 4): the
 * latest signed tree head, consistency and inclusion proofs, and leaf entries by range, each
 * entry in full only to whom it concerns (docs/audit.md "API"). routes.c authenticates and
 * dispatches here; this file only reads the store. */
#ifndef ENLACE_TAXII_AUDIT_HTTP_H
#define ENLACE_TAXII_AUDIT_HTTP_H

#include <stddef.h>

#include "audit/log.h"
#include "store/store.h"
#include "taxii/filter.h"
#include "util/buf.h"

#define TAXII_AUDIT_PREFIX "/enlace/v1/audit/"
/* Entries per /entries request at most (a larger range is cut, with "more": true). */
#define TAXII_AUDIT_ENTRIES_MAX 1000

/* 1 when url is under /enlace/v1/audit (with or without the trailing '/'). */
int taxii_audit_path(const char *url);

/* Who asks: an entry is shown in full when the caller made the request it records, or the caller
 * is the partner node of the party the entry is about (the originator of the objects it names);
 * else only its leaf hash. */
typedef struct taxii_audit_caller {
    const char *name;    /* user name */
    const char *party;   /* its party */
    int partner;         /* 1: a partner node's principal (role partner), the one that verifies
                          * the log for its party */
    int node_keyless;    /* 1: the serving node has no signing key (no node.key): it issues no
                          * tree heads, so `checkpoint` answers 503 rather than an old head
                          * (security review F6) */
} taxii_audit_caller;

typedef struct taxii_audit_reply {
    unsigned status;          /* HTTP status */
    enlace_buf body;          /* response body (owned by the caller after the call) */
    const char *ctype;        /* Content-Type: "text/plain; charset=utf-8" for the checkpoint,
                               * "application/json" otherwise (errors are TAXII error resources,
                               * T§3.6.1) */
} taxii_audit_reply;

/* Answer GET url (under TAXII_AUDIT_PREFIX) with query parameters ps[0..n) on store s:
 *   checkpoint                         the latest signed tree head, a C2SP tlog-checkpoint note
 *                                      (404 before the first; 503 when who->node_keyless)
 *   consistency?first=M&second=N       {"first","second","proof":[base64...]} (RFC 9162 §2.1.4)
 *   inclusion?index=I&size=N           {"index","size","leaf_hash","proof":[...]} (§2.1.3)
 *   entries?start=A[&end=B]            {"size","start","end","more","entries":[{"index",
 *                                      "leaf_hash", "data"?}]}: data is the canonical entry text
 *                                      (hash it as is: it is the leaf), present only when the
 *                                      caller may see it
 * 400 for missing or bad parameters (sizes beyond the log included), 404 for other paths,
 * 500/503 when the store fails (err_log gets the cause, when non-NULL). Fills r (status, body,
 * ctype). Can't fail otherwise; on OOM the body is marked oom. */
void taxii_audit_serve(store *s, const char *url, const taxii_param *ps, size_t n,
                       const taxii_audit_caller *who, taxii_audit_reply *r, enlace_err *err_log);

/* ---- recording a request (issue 4 must-have 1) ----------------------------------------------- */

/* What one request did: who, the action, the collection, the decision, and the object versions
 * it returned or stored with each one's originator party. Entries are made per originator party
 * (a page mixing US and MX objects gives two, so each party can be shown its own in full). */
typedef struct taxii_audit_rec {
    audit_entry base;        /* time, principal, org, party, action, collection, decision,
                              * reason; about and objects are filled per party */
    char *arena;             /* copies of the strings added */
    size_t len, cap;
    struct taxii_audit_item { size_t party, id, version; } *items;  /* offsets into arena */
    size_t n, n_cap;
    int oom;
    char strs[4][128];       /* copies of principal, org, party, collection */
} taxii_audit_rec;

/* Start recording action (AUDIT_READ, ...) on collection (id; "" or NULL for none) by the user
 * named name of organization org and party party, at now_us, decision "allow". Can't fail. */
void taxii_audit_rec_init(taxii_audit_rec *r, const char *name, const char *org, const char *party,
                          const char *action, const char *collection, int64_t now_us);
/* Name the collection by its id once it is known (the URL may have named it by alias). */
void taxii_audit_rec_collection(taxii_audit_rec *r, const char *id);
/* Record a denial: decision "deny" and why. */
void taxii_audit_rec_deny(taxii_audit_rec *r, const char *reason);
/* Add an object version (copied) with its originator party. Returns 0 or -1 on OOM. */
int taxii_audit_rec_add(taxii_audit_rec *r, const char *orig_party, const char *id, const char *version);
/* Append the entries (one per originator party in order of first appearance; one about
 * node_party with no objects when none was added) through the group-commit log: returns once
 * they are durable. ENLACE_ENOMEM, or the log's error. */
int taxii_audit_rec_log(taxii_audit_rec *r, audit_log *log, const char *node_party, enlace_err *err);
/* The same through audit_log_append_async: returns once queued; done(ctx, ...) runs from the
 * log's writer thread when they are durable (or failed). r may be freed on return. */
int taxii_audit_rec_log_async(taxii_audit_rec *r, audit_log *log, const char *node_party, audit_done_fn done,
                              void *ctx, enlace_err *err);
/* The same, appended on store s inside its open write transaction (the write it records). */
int taxii_audit_rec_append_tx(taxii_audit_rec *r, store *s, const char *node_party, enlace_err *err);
void taxii_audit_rec_free(taxii_audit_rec *r);

#endif
