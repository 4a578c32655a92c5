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

/* ---- the group-commit writer ---------------------------------------------------------------- */

/* One caller's entries, on its stack while it waits. */
typedef struct pending {
    struct pending *next;
    const audit_entry *entries;
    size_t n;
    enlace_buf *enc;           /* n encodings, made by the caller before queueing */
    int done;
    int rc;
    enlace_err err;
    uint64_t first_idx;
} pending;

struct audit_log {
    store *s;
    unsigned char sk[64];
    int has_key;               /* 0: no node key, no checkpoints (the leaves are still kept) */
    char origin[AUDIT_ORIGIN_MAX];
    unsigned interval_ms;
    size_t max_batch;
    pthread_t thread;
    int thread_started;
    pthread_mutex_t mu;
    pthread_cond_t work;       /* queue, checkpoint request or stop */
    pthread_cond_t done;       /* a batch or a requested checkpoint finished */
    pending *head, *tail;
    int stopping;
    uint64_t ckpt_asked, ckpt_done;  /* checkpoint requests and how many were served */
    int ckpt_rc;
    enlace_err ckpt_err;
    uint64_t batches, entries;
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

static int commit_batch(audit_log *l, pending *batch, enlace_err *err) {
    int rc = store_tx_begin(l->s, err);
    for (pending *p = batch; p && rc == 0; p = p->next)
        for (size_t i = 0; i < p->n && rc == 0; i++) {
            const audit_entry *e = &p->entries[i];
            uint64_t idx = 0;
            rc = store_audit_append(l->s, e->time_us, e->about ? e->about : "", e->principal ? e->principal : "",
                                    p->enc[i].p, p->enc[i].len, &idx, err);
            if (i == 0) p->first_idx = idx;
        }
    if (rc == 0) rc = store_tx_commit(l->s, err);
    if (rc) store_tx_rollback(l->s);
    return rc;
}

static void *writer_main(void *arg) {
    audit_log *l = arg;
    int64_t next_ckpt_us = enlace_clock_now_us() + (int64_t)l->interval_ms * 1000;
    pthread_mutex_lock(&l->mu);
    for (;;) {
        while (!l->head && !l->stopping && l->ckpt_asked == l->ckpt_done &&
               enlace_clock_now_us() < next_ckpt_us) {
            struct timespec ts;
            int64_t wait_ms = (next_ckpt_us - enlace_clock_now_us()) / 1000 + 1;
            deadline_after(&ts, (unsigned)(wait_ms > 0 ? wait_ms : 1));
            pthread_cond_timedwait(&l->work, &l->mu, &ts);
        }
        /* take a batch: whole requests, up to max_batch entries (at least one request) */
        pending *batch = l->head, *last = NULL;
        size_t taken = 0;
        for (pending *p = l->head; p; p = p->next) {
            if (last && taken + p->n > l->max_batch) break;
            taken += p->n;
            last = p;
        }
        if (last) {
            l->head = last->next;
            if (!l->head) l->tail = NULL;
            last->next = NULL;
        } else {
            batch = NULL;
        }
        uint64_t asked = l->ckpt_asked;
        int stopping = l->stopping;
        pthread_mutex_unlock(&l->mu);

        if (batch) {
            enlace_err err;
            enlace_err_clear(&err);
            int rc = commit_batch(l, batch, &err);
            pthread_mutex_lock(&l->mu);
            for (pending *p = batch; p;) {
                pending *next = p->next;  /* p lives on a waiter's stack: read next first */
                p->rc = rc;
                if (rc) p->err = err;
                p->done = 1;
                p = next;
            }
            if (rc == 0) {
                l->batches++;
                l->entries += taken;
            }
            pthread_cond_broadcast(&l->done);
            pthread_mutex_unlock(&l->mu);
        }
        int64_t now = enlace_clock_now_us();
        int ckpt_due = now >= next_ckpt_us || asked != l->ckpt_done || (stopping && !batch);
        if (ckpt_due) {
            enlace_err err;
            enlace_err_clear(&err);
            int rc = l->has_key ? audit_checkpoint_issue(l->s, l->origin, l->sk, now, 0, NULL, NULL, &err) : 0;
            next_ckpt_us = enlace_clock_now_us() + (int64_t)l->interval_ms * 1000;
            pthread_mutex_lock(&l->mu);
            l->ckpt_rc = rc;
            l->ckpt_err = err;
            l->ckpt_done = asked;
            pthread_cond_broadcast(&l->done);
        } else {
            pthread_mutex_lock(&l->mu);
        }
        if (l->stopping && !l->head && ckpt_due) break;
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
            rc = enlace_err_set(err, ENLACE_EIO, "audit: cannot start the log writer thread");
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

int audit_log_append(audit_log *l, const audit_entry *entries, size_t n, uint64_t *first_idx,
                     enlace_err *err) {
    if (n == 0) return 0;
    enlace_buf small[4], *enc = n <= 4 ? small : calloc(n, sizeof *enc);
    if (!enc) return enlace_err_set(err, ENLACE_ENOMEM, "audit: out of memory");
    memset(enc, 0, n * sizeof *enc);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        if (audit_entry_encode(&entries[i], &enc[i]) != 0) rc = enlace_err_set(err, ENLACE_ENOMEM, "audit: out of memory");
    if (rc == 0) {
        pending p = {NULL, entries, n, enc, 0, 0, {0, ""}, 0};
        pthread_mutex_lock(&l->mu);
        if (l->stopping) {
            rc = enlace_err_set(err, ENLACE_EIO, "audit: the log is closing");
        } else {
            if (l->tail) l->tail->next = &p;
            else l->head = &p;
            l->tail = &p;
            pthread_cond_signal(&l->work);
            while (!p.done) pthread_cond_wait(&l->done, &l->mu);
            rc = p.rc;
            if (rc && err) *err = p.err;
            if (rc == 0 && first_idx) *first_idx = p.first_idx;
        }
        pthread_mutex_unlock(&l->mu);
    }
    for (size_t i = 0; i < n; i++) enlace_buf_free(&enc[i]);
    if (enc != small) free(enc);
    return rc;
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

void audit_log_close(audit_log *l) {
    if (!l) return;
    if (l->thread_started) {
        pthread_mutex_lock(&l->mu);
        l->stopping = 1;
        pthread_cond_signal(&l->work);
        pthread_mutex_unlock(&l->mu);
        pthread_join(l->thread, NULL);
    }
    store_close(l->s);
    sodium_memzero(l->sk, sizeof l->sk);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->work);
    pthread_cond_destroy(&l->done);
    free(l);
}
