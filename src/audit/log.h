/* log.h - appending to the node's audit log (issue 4 must-have 1 and 3): entries written inside
 * the caller's store transaction (writes, admin changes), a group-commit writer for reads (one
 * durable commit per batch of concurrent requests, the request waits for it), and signed tree
 * heads issued at least every N seconds while the log grows. */
#ifndef ENLACE_AUDIT_LOG_H
#define ENLACE_AUDIT_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "audit/checkpoint.h"
#include "audit/entry.h"
#include "store/store.h"
#include "util/err.h"

/* Append e to the audit log on store s, in the transaction s has open (the write it records:
 * routes.c's status callback, a CLI admin change between store_tx_begin and commit), else in a
 * transaction of its own. *idx gets the leaf index (may be NULL). Returns 0 or a store error;
 * the caller then rolls the write back, so no write goes unlogged (DESIGN invariant 5). */
int audit_append_tx(store *s, const audit_entry *e, uint64_t *idx, enlace_err *err);

/* Sign and record a tree head of the log's current size on s, when the log grew since the
 * latest head (or none exists and force is set): *size gets the size signed (may be NULL),
 * *issued 1 when a new head was recorded (may be NULL). Runs in one write transaction, so the
 * size and root read belong together. sk is the node's 64-byte Ed25519 secret key, origin the
 * checkpoint origin (audit_origin). */
int audit_checkpoint_issue(store *s, const char *origin, const unsigned char sk[64], int64_t now_us,
                           int force, uint64_t *size, int *issued, enlace_err *err);

typedef struct audit_log audit_log;

typedef struct audit_log_config {
    const char *db_path;             /* the node store (its own connection is opened) */
    const unsigned char *node_sk;    /* 64-byte Ed25519 secret key (copied, wiped on close);
                                      * NULL: leaves are kept but no head is signed */
    const char *origin;              /* checkpoint origin and key name (copied) */
    unsigned checkpoint_interval_ms; /* a new head at least this often while the log grows;
                                      * 0 = 10 000 */
    size_t max_batch;                /* entries per commit at most; 0 = 4096 */
} audit_log_config;

/* Open the log: its own store connection, and a writer thread that commits queued asynchronous
 * entries in batches and issues checkpoints (one at once when the log grew while the node was
 * down). *out is owned by the caller (audit_log_close). Store errors. */
int audit_log_open(const audit_log_config *c, audit_log **out, enlace_err *err);

/* Append n entries and wait until the batch holding them is committed (durable: WAL +
 * synchronous=FULL). Thread-safe; concurrent callers share one commit. *first_idx gets the leaf
 * index of entries[0] (the rest follow it; may be NULL). Returns 0, or the batch's error (nothing
 * of the batch is kept: the caller must not send what it would have recorded). ENLACE_EIO after
 * audit_log_close began. */
int audit_log_append(audit_log *l, const audit_entry *entries, size_t n, uint64_t *first_idx,
                     enlace_err *err);

/* Called once, from the log's writer thread, when the batch holding an async append is committed
 * (rc 0: durable) or failed (rc and err). Must not block or call back into the log. */
typedef void (*audit_done_fn)(void *ctx, int rc, const enlace_err *err);

/* Queue n entries (encoded before it returns; entries may go away then) for the writer thread,
 * which commits them with whatever else is queued (one sync per batch) and then calls
 * done(ctx, ...). Returns 0 when queued (done will be called exactly once), else an error
 * (done will not be called): ENLACE_ENOMEM, ENLACE_EIO after audit_log_close began. For callers
 * that must not hold a thread while the sync runs (the HTTP server suspends the connection). */
int audit_log_append_async(audit_log *l, const audit_entry *entries, size_t n, audit_done_fn done, void *ctx,
                           enlace_err *err);

/* Issue a checkpoint now if the log grew (tests, shutdown). Thread-safe. */
int audit_log_checkpoint_now(audit_log *l, enlace_err *err);

/* Counters since open: batches committed and entries appended (group-commit efficiency). */
void audit_log_stats(audit_log *l, uint64_t *batches, uint64_t *entries);

/* Commit what is queued (every async callback has run when it returns), issue a last
 * checkpoint and stop the writer thread; appends started afterwards fail with ENLACE_EIO, but l
 * stays valid until audit_log_close. The HTTP server calls it before stopping its daemon, so no
 * connection is left suspended. Idempotent; NULL is fine. */
void audit_log_shutdown(audit_log *l);

/* audit_log_shutdown, then close the connection and free l. NULL is fine. */
void audit_log_close(audit_log *l);

#endif
