/* fed.h - federation: pulling from partner nodes over TAXII 2.1 (issue 5; DESIGN.md
 * "Federation"). One pass per partner: trust check of its audit log (trust.c), its signed
 * directory taken in (directory.c), its policy epoch, then every collection it lets us read is
 * pulled into a mirror collection with added_after cursors and next paging (sync.c). A worker
 * thread runs passes on an interval inside `enlace serve` (worker.c). Library code: nothing is
 * printed; each pass returns a report and a one-line error. */
#ifndef ENLACE_FED_FED_H
#define ENLACE_FED_FED_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "store/fed.h"
#include "util/err.h"

/* Knobs of a pass. fed_options_default fills the defaults given. */
typedef struct fed_options {
    size_t page_limit;          /* objects asked per page (limit=): 500 */
    size_t max_page_bytes;      /* largest page body accepted: 64 MiB; a larger one is an error */
    long connect_timeout_s;     /* 5 */
    long timeout_s;             /* whole request: 60 */
    int retries;                /* attempts per request after the first: 3 */
    long backoff_ms;            /* first retry delay, doubled each time (jittered): 500 */
    long backoff_max_ms;        /* cap: 10 000 */
    int insecure;               /* 1: do not verify TLS certificates (tests only) */
    const char *cacert;         /* PEM bundle to verify partners with; NULL = system */
    long pass_budget_s;         /* seconds one partner's pass may take before it ends cleanly at a
                                 * page boundary (cursors kept, the next pass resumes; the report
                                 * says budget_reached): 300; 0 = no budget */
    const char *node_dir;       /* the node's directory (for its key, audit entries; its sync.lock
                                 * serializes passes of one node across processes); may be NULL */
    const atomic_int *cancel;   /* non-NULL: checked between requests and during backoff; when set
                                 * the pass ends ("stopped") with what it committed (the worker's
                                 * stop); NULL = never */
} fed_options;

void fed_options_default(fed_options *o);

/* What one mirror got in a pass. */
typedef struct fed_mirror_report {
    char remote_id[40];
    char coll_id[40];               /* the local mirror collection */
    char alias[128];
    size_t pages, added, known, loops, refused, swept;
    int restarted;                  /* 1: the partner's policy epoch changed: pulled from the start */
    char note[256];                 /* the first object refused as invalid and why; "" = none */
} fed_mirror_report;

/* What one pass with one partner did. */
typedef struct fed_report {
    char party[POLICY_PARTY_LEN];
    int ok;                          /* 1: the pass completed */
    char error[512];                 /* the one-line cause when !ok */
    int trust_checked;               /* 1: its signed tree head was proved consistent */
    uint64_t tree_size;              /* the head's size */
    size_t dir_orgs, dir_vettings;   /* taken in from its directory */
    char dir_conflict[256];          /* "" or fed_directory_conflict_describe's line: published
                                      * organizations refused (identity held by another party) */
    size_t n_mirrors;
    fed_mirror_report *mirrors;      /* malloc'd (fed_report_free) */
    int retries;                     /* requests retried in the pass */
    int budget_reached;              /* 1 (with ok): the pass ended at o->pass_budget_s, not at the
                                      * end of every collection; the next pass goes on from the
                                      * cursors */
} fed_report;

void fed_report_free(fed_report *r);

/* One sync pass with partner party (sync.c): fails fast (ENLACE_EDENIED, report error set) when
 * the partner is stopped; else trust check, directory, epoch, every readable collection pulled
 * to its end. A failed trust check stops the partner (store_partner_set_stopped) and appends an
 * audit entry (action "fed-trust-failure", about the partner). Network failures, HTTP errors,
 * malformed or oversized pages: each request is retried with backoff (o->retries); when a
 * request still fails, the pass ends with that error and everything committed before it stays
 * (cursors moved only with their pages). The store is opened by the caller (one connection).
 * Records the pass (store_partner_pass_done). o->pass_budget_s spent: the pass ends at a page
 * boundary, 0 with rep->budget_reached. With o->node_dir, the pass holds flock(node_dir/sync.lock)
 * so that passes of one node run one at a time: held by another for over 10 s, ENLACE_EBUSY
 * "<PARTY>: another sync of this node is running ..." (nothing done, nothing recorded). Returns
 * 0 when the pass completed, else the enlace_code of the failure with rep->error and err set. */
int fed_sync_partner(store *s, const char *party, const fed_options *o, fed_report *rep,
                     enlace_err *err);

/* The partner's audit log (trust.c, issue 5 must-have 3): GET /enlace/v1/audit/checkpoint
 * (under the node's base URL: p->url with a trailing "api/" dropped; c is the client for p,
 * requests go to absolute URLs), verify its signature with the pinned key and prove it consistent
 * with the kept head (/enlace/v1/audit/consistency), check that its origin is
 * "enlace/<p->party>/...", then keep it (store_partner_trust_set). The first head is trusted on
 * first use. ENLACE_ECONFLICT / ENLACE_EAUTH with the verifier's one-line reason ("bad
 * signature: ...", "rollback: ...", "fork: ...", "origin changed: ...", "bad origin: ...", or "no
 * audit log: ... signed tree heads before ... and now issues none") when the check fails: a trust
 * failure (the caller calls fed_trust_failure_record); "rollback: ..." also when a node whose
 * head was kept answers that it has none. ENLACE_ENOTFOUND "no audit log: ..." when the node has
 * no signing key (HTTP 503) or has signed no head yet (HTTP 404) and none was kept: not a
 * failure, the pass goes on unchecked (ENLACE_ENOTFOUND means nothing else: a partner removed
 * meanwhile is ENLACE_EINVAL). ENLACE_ENET, ENLACE_EINVAL ("malformed response: ..."), ENLACE_EIO and others for a
 * partner that could not be asked (not a trust failure). *tree_size gets the head's size. */
struct client;
int fed_trust_check(store *s, struct client *c, const store_partner *p, uint64_t *tree_size,
                    enlace_err *err);

/* Who the audit entries of the sync engine name as principal, and the action of a trust failure
 * (`enlace audit show --action fed-trust-failure`). */
#define FED_SYNC_PRINCIPAL "enlace-sync"
#define FED_TRUST_FAILURE_ACTION "fed-trust-failure"

/* Record a failed trust check of partner party (trust.c): in ONE transaction, stop the partner
 * (store_partner_set_stopped with reason, the one-line cause) and append an audit entry (action
 * FED_TRUST_FAILURE_ACTION, principal FED_SYNC_PRINCIPAL of the node's own organization, about
 * party, decision "deny", reason, target "partner <PARTY> stopped"). Both or neither. Store
 * errors; ENLACE_ENOTFOUND when party is not a partner. */
int fed_trust_failure_record(store *s, const char *party, const char *reason, enlace_err *err);

/* The partner's signed directory (directory.c): GET /enlace/v1/directory (under the node's base
 * URL, as for fed_trust_check), check that its key is the pinned one and its signature, that it
 * speaks for p->party, then store_directory_take_in. ENLACE_EAUTH for a bad signature, another
 * key or another party (a trust failure: the caller records it with fed_trust_failure_record);
 * ENLACE_EINVAL "malformed response: ..." (over FED_DIRECTORY_MAX bytes, not JSON, missing
 * members, too many entries), ENLACE_ENET (HTTP errors, 503 from a keyless node included) and
 * store errors otherwise. */
#define FED_DIRECTORY_MAX ((size_t)4 << 20)       /* bytes of the whole response */
#define FED_DIRECTORY_MAX_ORGS 10000
#define FED_DIRECTORY_MAX_VETTINGS 10000
#define FED_DIRECTORY_MAX_IDENTITY 65536          /* bytes of one published identity */
int fed_directory_pull(store *s, struct client *c, const store_partner *p, size_t *n_orgs,
                       size_t *n_vettings, enlace_err *err);
/* The same, and *conflicts (may be NULL) gets the published organizations refused as conflicts
 * (store_dir_conflicts: an identity id registered here to another party, reserved for a
 * partner's node, or of an object another party originated). When they are news
 * (conflicts->changed), an audit entry (action FED_DIRECTORY_CONFLICT_ACTION, principal
 * FED_SYNC_PRINCIPAL, about p->party, decision "deny", reason
 * fed_directory_conflict_describe's text, target "directory of <PARTY>") is appended in the
 * take-in's transaction. The sync pass prints conflicts when n > 0 (the CLI and the worker log
 * it). */
#define FED_DIRECTORY_CONFLICT_ACTION "fed-directory-conflict"
int fed_directory_pull_ex(store *s, struct client *c, const store_partner *p, size_t *n_orgs,
                          size_t *n_vettings, store_dir_conflicts *conflicts, enlace_err *err);
/* One line describing conflicts (n > 0) into out (n bytes): how many were refused, the first's
 * identity id, its published name (printable ASCII, shortened) and the party holding it. */
void fed_directory_conflict_describe(const store_dir_conflicts *conflicts, char *out, size_t n);

/* Sync worker (worker.c): one thread running a pass with every partner every interval_s
 * seconds, with its own store connection to db_path; each pass's outcome is logged by log_fn
 * as one line. fed_worker_stop wakes it and joins it (a pass in progress finishes its current
 * request first). */
typedef void (*fed_log_fn)(void *ctx, const char *line);
typedef struct fed_worker fed_worker;
int fed_worker_start(const char *db_path, const fed_options *o, long interval_s, fed_log_fn log_fn,
                     void *log_ctx, fed_worker **out, enlace_err *err);
void fed_worker_stop(fed_worker *w);

/* One line describing a report (for the CLI and the worker's log). */
void fed_report_line(const fed_report *r, char *out, size_t n);

#endif
