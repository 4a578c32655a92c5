/* worker.c - the sync worker of `enlace serve` (fed/fed.h; issue 5 must-have 2): one thread
 * with its own store connection running a pass with every partner every interval, logging
 * one line per pass. It sleeps on a condition variable, so that a stop wakes it at once; a
 * pass in progress is cancelled between requests (fed_options.cancel). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fed/fed.h"

struct fed_worker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_int stop;
    fed_options o;
    char *db_path;
    long interval_s;
    fed_log_fn log_fn;
    void *log_ctx;
};

static void wlog(fed_worker *w, const char *fmt, const char *a, const char *b) {
    char line[2048];
    snprintf(line, sizeof line, fmt, a, b);
    if (w->log_fn) w->log_fn(w->log_ctx, line);
}

/* One pass with every partner. */
static void run_all(fed_worker *w, store *s) {
    store_partner *ps = NULL;
    size_t n = 0;
    enlace_err err;
    if (store_partner_list(s, &ps, &n, &err) != 0) {
        wlog(w, "sync: %s%s", err.msg, "");
        return;
    }
    for (size_t i = 0; i < n && !atomic_load(&w->stop); i++) {
        /* a stopped partner was logged when it stopped (`partner list` shows why); one without
         * a pull token only pulls from us */
        if (ps[i].stopped[0] || !ps[i].pull_token[0]) continue;
        fed_report rep;
        fed_sync_partner(s, ps[i].party, &w->o, &rep, &err);
        char line[1900];
        fed_report_line(&rep, line, sizeof line);
        wlog(w, "sync %s%s", line, "");
        fed_report_free(&rep);
    }
    free(ps);
}

static void *worker_main(void *arg) {
    fed_worker *w = arg;
    store *s = NULL;
    enlace_err err;
    if (store_open(w->db_path, 0, &s, &err) != 0) {
        wlog(w, "sync: cannot open the store: %s%s", err.msg, "");
        return NULL;
    }
    while (!atomic_load(&w->stop)) {
        run_all(w, s);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += w->interval_s;
        pthread_mutex_lock(&w->mu);
        while (!atomic_load(&w->stop)) {
            if (pthread_cond_timedwait(&w->cv, &w->mu, &until) == ETIMEDOUT) break;
        }
        pthread_mutex_unlock(&w->mu);
    }
    store_close(s);
    return NULL;
}

int fed_worker_start(const char *db_path, const fed_options *o, long interval_s, fed_log_fn log_fn, void *log_ctx,
                     fed_worker **out, enlace_err *err) {
    if (!db_path || !o || interval_s <= 0 || !out) return enlace_err_set(err, ENLACE_EINVAL, "fed: bad worker start");
    fed_worker *w = calloc(1, sizeof *w);
    if (!w || !(w->db_path = strdup(db_path))) {
        free(w);
        return enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
    }
    w->o = *o;
    w->o.cancel = &w->stop;
    w->interval_s = interval_s;
    w->log_fn = log_fn;
    w->log_ctx = log_ctx;
    atomic_init(&w->stop, 0);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        free(w->db_path);
        free(w);
        return enlace_err_set(err, ENLACE_EIO, "fed: cannot start the sync thread");
    }
    *out = w;
    return 0;
}

void fed_worker_stop(fed_worker *w) {
    if (!w) return;
    pthread_mutex_lock(&w->mu);
    atomic_store(&w->stop, 1);
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w->db_path);
    free(w);
}
