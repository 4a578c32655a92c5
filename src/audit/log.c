/* log.c - audit log appends: inside a caller's transaction, or through the group-commit writer
 * thread that batches concurrent requests into one durable commit; signed tree heads. */
#include "audit/log.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/audit_store.h"
#include "store/internal.h"
#include "util/buf.h"
#include "util/clock.h"

int audit_append_tx(store *s, const audit_entry *e, uint64_t *idx, enlace_err *err) {
    enlace_buf b = ENLACE_BUF_INIT;
    if (audit_entry_encode(e, &b) != 0) {
        enlace_buf_free(&b);
        return enlace_err_set(err, ENLACE_ENOMEM, "audit: out of memory");
    }
    int rc = store_audit_append(s, e->time_us, e->about ? e->about : "", e->principal ? e->principal : "",
                                b.p, b.len, idx, err);
    enlace_buf_free(&b);
    return rc;
}

int audit_checkpoint_issue(store *s, const char *origin, const unsigned char sk[64], int64_t now_us,
                           int force, uint64_t *size_out, int *issued, enlace_err *err) {
    if (issued) *issued = 0;
    int own_tx = sqlite3_get_autocommit(store_sqlite(s));
    int rc = own_tx ? store_tx_begin(s, err) : 0;
    if (rc) return rc;
    uint64_t size = 0, last = 0;
    int have_last = 1;
    enlace_buf note = ENLACE_BUF_INIT;
    rc = store_audit_size(s, &size, err);
    if (rc == 0) {
        rc = store_audit_checkpoint_latest(s, &last, NULL, NULL, err);
        if (rc == ENLACE_ENOTFOUND) {
            have_last = 0;
            rc = 0;
        }
    }
    if (rc == 0 && (have_last ? size > last : (size > 0 || force))) {
        unsigned char root[MERKLE_HASH_LEN];
        rc = store_audit_root(s, size, root, err);
        if (rc == 0) rc = audit_checkpoint_sign(origin, size, root, sk, &note, err);
        if (rc == 0) rc = store_audit_checkpoint_put(s, size, root, note.p, now_us, err);
        if (rc == 0 && issued) *issued = 1;
    }
    if (rc == 0 && size_out) *size_out = have_last && size <= last ? last : size;
    if (own_tx) {
        if (rc == 0) rc = store_tx_commit(s, err);
        if (rc) store_tx_rollback(s);
    }
    enlace_buf_free(&note);
    return rc;
}

/* ---- group commit ----------------------------------------------------------------------------- */

/* Entries wait in a queue; whoever commits takes everything queued (whole requests, up to
 * max_batch entries) and commits it in one transaction on the log's own connection: one sync per
 * batch. Two kinds of callers:
 *  - audit_log_append blocks. When no commit is running it leads: it commits the queue itself,
 *    on a thread that already has the CPU; else it waits for the batch that holds its entries.
 *  - audit_log_append_async returns at once; the writer thread commits and calls back. The HTTP
 *    server uses it with suspended connections, so that every connection waiting for the sync,
 *    not only every worker thread, can share one batch.
 * The writer thread also signs tree heads (taking the connection the same way). */

/* One entry as queued: its encoding and the columns kept beside it (copied, so an async
 * caller's entries may go away once queued). */
typedef struct leaf_in {
    enlace_buf enc;
    unsigned char hash[MERKLE_HASH_LEN];  /* merkle_hash_leaf(enc): hashed by the caller's thread,
                                           * so the writer's serial path only merges subtrees */
    int64_t time_us;
    char about[8];
    char principal[160];
} leaf_in;

/* The writer's linger: when a batch was committed less than AUDIT_LINGER_HOT_US ago and fewer
 * than AUDIT_LINGER_ENOUGH entries wait, it waits AUDIT_LINGER_US before committing. */
#define AUDIT_LINGER_US 300
#define AUDIT_LINGER_HOT_US 2000
#define AUDIT_LINGER_ENOUGH 16

typedef struct pending {
    struct pending *next;
    size_t n;
    leaf_in *in;               /* n entries, encoded by the caller before queueing */
    audit_done_fn cb;          /* async: called once committed (the pending is then freed);
                                * NULL: a blocking caller waits on `done` (on its stack) */
    void *cb_ctx;
    int done;
    int rc;
    enlace_err err;
    uint64_t first_idx;
} pending;

struct audit_log {
    store *s;                  /* used only by whoever holds `busy` */
    unsigned char sk[64];
    int has_key;               /* 0: no node key, no checkpoints (the leaves are still kept) */
    char origin[AUDIT_ORIGIN_MAX];
    unsigned interval_ms;
    size_t max_batch;
    pthread_t thread;          /* the writer: async entries and tree heads */
    int thread_started;
    pthread_mutex_t mu;
    pthread_cond_t work;       /* wakes the writer: entries queued, a checkpoint request, stop */
    pthread_cond_t done;       /* a batch committed, or the connection became free */
    pending *head, *tail;
    size_t queued;             /* entries in the queue */
    int64_t last_commit_us;    /* when the last batch was committed */
    int busy;                  /* a leader or the writer is using s (under mu) */
    int stopping;
    uint64_t ckpt_asked, ckpt_done;  /* checkpoint requests and how many were served */
    int ckpt_rc;
    enlace_err ckpt_err;
    uint64_t batches, entries;
    store_audit_edge edge;     /* the tree's right edge after the last batch (used with s) */
};

static void deadline_after(struct timespec *ts, unsigned ms) {
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static int commit_batch(audit_log *l, pending *batch, size_t n, enlace_err *err) {
    store_audit_in small[32], *in = n <= 32 ? small : malloc(n * sizeof *in);
    if (!in) return enlace_err_set(err, ENLACE_ENOMEM, "audit: out of memory");
    size_t k = 0;
    for (pending *p = batch; p; p = p->next)
        for (size_t i = 0; i < p->n; i++, k++) {
            const leaf_in *e = &p->in[i];
            in[k] = (store_audit_in){e->time_us, e->about, e->principal, e->enc.p, e->enc.len, e->hash};
        }
    uint64_t first = 0;
    int rc = store_tx_begin(l->s, err);
    if (rc == 0) rc = store_audit_append_edge(l->s, in, n, &l->edge, &first, err);
    if (rc == 0) rc = store_tx_commit(l->s, err);
    if (rc) {
        store_tx_rollback(l->s);
        l->edge.valid = 0;
    }
    for (pending *p = batch; p && rc == 0; p = p->next) {
        p->first_idx = first;
        first += p->n;
    }
    if (in != small) free(in);
    return rc;
}

static void free_encodings(leaf_in *in, size_t n) {
    for (size_t i = 0; i < n; i++) enlace_buf_free(&in[i].enc);
}

/* Called with mu held and busy taken: commit what is queued, wake the blocking callers, call
 * back the async ones (without mu), then give busy back. */
static void lead_batch(audit_log *l) {
    pending *batch = l->head, *last = NULL;
    size_t taken = 0;
    for (pending *p = l->head; p; p = p->next) {
        if (last && taken + p->n > l->max_batch) break;
        taken += p->n;
        last = p;
    }
    l->head = last->next;
    if (!l->head) l->tail = NULL;
    last->next = NULL;
    l->queued -= taken;
    pthread_mutex_unlock(&l->mu);
    enlace_err err;
    enlace_err_clear(&err);
    int rc = commit_batch(l, batch, taken, &err);
    pthread_mutex_lock(&l->mu);
    pending *async = NULL;
    for (pending *p = batch; p;) {
        pending *next = p->next;  /* a blocking caller's p lives on its stack: read next first */
        p->rc = rc;
        if (rc) p->err = err;
        if (p->cb) {
            p->next = async;
            async = p;
        } else {
            p->done = 1;
        }
        p = next;
    }
    if (rc == 0) {
        l->batches++;
        l->entries += taken;
    }
    l->last_commit_us = enlace_clock_now_us();
    pthread_cond_broadcast(&l->done);
    if (async) {
        pthread_mutex_unlock(&l->mu);
        while (async) {
            pending *next = async->next;
            async->cb(async->cb_ctx, async->rc, async->rc ? &async->err : NULL);
            free_encodings(async->in, async->n);
            free(async);
            async = next;
        }
        pthread_mutex_lock(&l->mu);
    }
    l->busy = 0;
    pthread_cond_broadcast(&l->done);
    /* async entries queued during this commit wait for the writer, which went back to sleep
     * while the connection was busy */
    if (l->head) pthread_cond_signal(&l->work);
}

static void *writer_main(void *arg) {
    audit_log *l = arg;
    int64_t next_ckpt_us = enlace_clock_now_us() + (int64_t)l->interval_ms * 1000;
    pthread_mutex_lock(&l->mu);
    for (;;) {
        while (!l->stopping && l->ckpt_asked == l->ckpt_done && enlace_clock_now_us() < next_ckpt_us &&
               !(l->head && !l->busy)) {
            struct timespec ts;
            int64_t wait_ms = (next_ckpt_us - enlace_clock_now_us()) / 1000 + 1;
            deadline_after(&ts, (unsigned)(wait_ms > 0 ? wait_ms : 1));
            pthread_cond_timedwait(&l->work, &l->mu, &ts);
        }
        while (l->busy) pthread_cond_wait(&l->done, &l->mu);
        /* queued entries first: async ones wait for nobody else, and a head signed now (or the
         * last one, on stop) covers them */
        while (l->head) {
            l->busy = 1;
            /* Under load (a batch was committed moments ago) wait a little for more requests to
             * join this one: fewer syncs per request. An idle log commits at once. Measured in
             * bench/bench_audit (16 connections): 300 us took 5 entries per sync to 8. */
            if (l->queued < AUDIT_LINGER_ENOUGH && !l->stopping &&
                enlace_clock_now_us() - l->last_commit_us < AUDIT_LINGER_HOT_US) {
                pthread_mutex_unlock(&l->mu);
                struct timespec ts = {0, AUDIT_LINGER_US * 1000L};
                nanosleep(&ts, NULL);
                pthread_mutex_lock(&l->mu);
            }
            lead_batch(l);
        }
        uint64_t asked = l->ckpt_asked;
        int stopping = l->stopping;
        if (!(stopping || asked != l->ckpt_done || enlace_clock_now_us() >= next_ckpt_us)) continue;
        l->busy = 1;
        pthread_mutex_unlock(&l->mu);
        enlace_err err;
        enlace_err_clear(&err);
        int rc = l->has_key ? audit_checkpoint_issue(l->s, l->origin, l->sk, enlace_clock_now_us(), 0, NULL, NULL, &err)
                            : 0;
        next_ckpt_us = enlace_clock_now_us() + (int64_t)l->interval_ms * 1000;
        pthread_mutex_lock(&l->mu);
        l->busy = 0;
        l->ckpt_rc = rc;
        l->ckpt_err = err;
        l->ckpt_done = asked;
        pthread_cond_broadcast(&l->done);
        if (stopping && !l->head) break;
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

int audit_log_open(const audit_log_config *c, audit_log **out, enlace_err *err) {
    *out = NULL;
    audit_log *l = calloc(1, sizeof *l);
    if (!l) return enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
    if (c->node_sk) memcpy(l->sk, c->node_sk, sizeof l->sk);
    l->has_key = c->node_sk != NULL;
    snprintf(l->origin, sizeof l->origin, "%s", c->origin ? c->origin : "");
    l->interval_ms = c->checkpoint_interval_ms ? c->checkpoint_interval_ms : 10000;
    l->max_batch = c->max_batch ? c->max_batch : 4096;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->work, NULL);
    pthread_cond_init(&l->done, NULL);
    int rc = store_open(c->db_path, 0, &l->s, err);
    /* the log grew while the node was down (CLI admin changes), or has no head yet: sign one */
    if (rc == 0 && l->has_key)
        rc = audit_checkpoint_issue(l->s, l->origin, l->sk, enlace_clock_now_us(), 1, NULL, NULL, err);
    if (rc == 0) {
        if (pthread_create(&l->thread, NULL, writer_main, l) != 0)
            rc = enlace_err_set(err, ENLACE_EIO, "audit: cannot start the log's writer thread");
        else
            l->thread_started = 1;
    }
    if (rc) {
        audit_log_close(l);
        return rc;
    }
    *out = l;
    return 0;
}

static int encode_all(const audit_entry *entries, size_t n, leaf_in *in, enlace_err *err) {
    memset(in, 0, n * sizeof *in);
    for (size_t i = 0; i < n; i++) {
        const audit_entry *e = &entries[i];
        in[i].time_us = e->time_us;
        snprintf(in[i].about, sizeof in[i].about, "%s", e->about ? e->about : "");
        snprintf(in[i].principal, sizeof in[i].principal, "%s", e->principal ? e->principal : "");
        if (audit_entry_encode(e, &in[i].enc) != 0) {
            free_encodings(in, n);
            return enlace_err_set(err, ENLACE_ENOMEM, "audit: out of memory");
        }
        merkle_hash_leaf(in[i].enc.p, in[i].enc.len, in[i].hash);
    }
    return 0;
}

static void enqueue(audit_log *l, pending *p) {
    if (l->tail) l->tail->next = p;
    else l->head = p;
    l->tail = p;
    l->queued += p->n;
}

int audit_log_append(audit_log *l, const audit_entry *entries, size_t n, uint64_t *first_idx,
                     enlace_err *err) {
    if (n == 0) return 0;
    leaf_in small[2], *in = n <= 2 ? small : calloc(n, sizeof *in);
    if (!in) return enlace_err_set(err, ENLACE_ENOMEM, "audit: out of memory");
    int rc = encode_all(entries, n, in, err);
    if (rc == 0) {
        pending p = {NULL, n, in, NULL, NULL, 0, 0, {0, ""}, 0};
        pthread_mutex_lock(&l->mu);
        if (l->stopping) {
            rc = enlace_err_set(err, ENLACE_EIO, "audit: the log is closing");
        } else {
            enqueue(l, &p);
            while (!p.done) {
                if (!l->busy) {  /* lead: commit what is queued, ours included */
                    l->busy = 1;
                    lead_batch(l);
                } else {
                    pthread_cond_wait(&l->done, &l->mu);
                }
            }
            rc = p.rc;
            if (rc && err) *err = p.err;
            if (rc == 0 && first_idx) *first_idx = p.first_idx;
        }
        pthread_mutex_unlock(&l->mu);
        free_encodings(in, n);
    }
    if (in != small) free(in);
    return rc;
}

int audit_log_append_async(audit_log *l, const audit_entry *entries, size_t n, audit_done_fn done, void *ctx,
                           enlace_err *err) {
    if (n == 0) return enlace_err_set(err, ENLACE_EINVAL, "audit: nothing to append");
    /* one block: the pending, then its entries as queued (copied: the caller's may go away) */
    pending *p = calloc(1, sizeof *p + n * sizeof(leaf_in));
    if (!p) return enlace_err_set(err, ENLACE_ENOMEM, "audit: out of memory");
    p->in = (leaf_in *)(p + 1);
    p->n = n;
    p->cb = done;
    p->cb_ctx = ctx;
    if (encode_all(entries, n, p->in, err) != 0) {
        free(p);
        return ENLACE_ENOMEM;
    }
    pthread_mutex_lock(&l->mu);
    if (l->stopping) {
        pthread_mutex_unlock(&l->mu);
        free_encodings(p->in, n);
        free(p);
        return enlace_err_set(err, ENLACE_EIO, "audit: the log is closing");
    }
    enqueue(l, p);
    pthread_cond_signal(&l->work);
    pthread_mutex_unlock(&l->mu);
    return 0;
}

int audit_log_checkpoint_now(audit_log *l, enlace_err *err) {
    pthread_mutex_lock(&l->mu);
    uint64_t mine = ++l->ckpt_asked;
    pthread_cond_signal(&l->work);
    while (l->ckpt_done < mine && l->thread_started) pthread_cond_wait(&l->done, &l->mu);
    int rc = l->ckpt_rc;
    if (rc && err) *err = l->ckpt_err;
    pthread_mutex_unlock(&l->mu);
    return rc;
}

void audit_log_stats(audit_log *l, uint64_t *batches, uint64_t *entries) {
    pthread_mutex_lock(&l->mu);
    if (batches) *batches = l->batches;
    if (entries) *entries = l->entries;
    pthread_mutex_unlock(&l->mu);
}

void audit_log_shutdown(audit_log *l) {
    if (!l) return;
    pthread_mutex_lock(&l->mu);
    l->stopping = 1;
    int join = l->thread_started;
    l->thread_started = 0;
    pthread_cond_signal(&l->work);
    pthread_mutex_unlock(&l->mu);
    if (join) pthread_join(l->thread, NULL);
}

void audit_log_close(audit_log *l) {
    if (!l) return;
    audit_log_shutdown(l);
    store_close(l->s);
    sodium_memzero(l->sk, sizeof l->sk);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->work);
    pthread_cond_destroy(&l->done);
    free(l);
}
