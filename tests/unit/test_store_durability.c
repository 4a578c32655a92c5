/* test_store_durability.c - one transaction per envelope under a kill at each crash point
 * (ENLACE_TEST_HOOKS), and date_added order with two writers on one file at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "test_store_node.h"

typedef struct fixture {
    char dir[64];
    char path[96];
    int64_t coll;
    int64_t org;   /* the node's own organization */
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/enlace-store-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->path, sizeof f->path, "%s/node.db", f->dir);
    enlace_err err;
    store *s = NULL;
    store_collection c;
    if (store_open(f->path, 1, &s, &err) != 0) return -1;
    if (!(f->org = test_node_init(s, "MX", "SSPC"))) return -1;
    if (store_collection_create(s, NULL, "Test", NULL, NULL, &c, &err) != 0) return -1;
    f->coll = c.rowid;
    store_close(s);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    if (test_remove_dir(f->dir) != 0) return -1;
    free(f);
    return 0;
}

#define NOBJ 3

typedef struct envelope {
    char ids[NOBJ][80];
    char bodies[NOBJ][256];
    store_object_in in[NOBJ];
} envelope;

/* NOBJ distinct objects; tag makes ids unique across envelopes. */
static void mkenv(envelope *e, int tag) {
    memset(e, 0, sizeof *e);
    for (int i = 0; i < NOBJ; i++) {
        snprintf(e->ids[i], sizeof e->ids[i], "indicator--00000000-0000-4000-8000-%06d%06d", tag, i);
        snprintf(e->bodies[i], sizeof e->bodies[i],
                 "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
                 "\"created\":\"2021-01-01T00:00:00.000Z\",\"modified\":\"2021-01-01T00:00:00.000Z\"}",
                 e->ids[i]);
        e->in[i] = (store_object_in){.id = e->ids[i], .type = "indicator", .spec_version = "2.1",
                                     .has_version = 1, .version = "2021-01-01T00:00:00.000Z",
                                     .version_key = "2021-01-01T00:00:00",
                                     .body = e->bodies[i], .body_len = strlen(e->bodies[i])};
    }
}

/* In a child process with env var name=value set, open the store and post one envelope.
 * Returns the child's wait status. */
static int post_in_child(fixture *f, const char *name, const char *value) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv(name, value, 1);
        enlace_err err;
        store *s = NULL;
        envelope e;
        mkenv(&e, 1);
        store_put_outcome outs[NOBJ];
        if (store_open(f->path, 0, &s, &err) != 0) _exit(3);
        if (store_put_objects(s, f->coll, NULL, e.in, NOBJ, 1000, outs, &err) != 0) _exit(4);
        store_close(s);
        _exit(0);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return st;
}

static int64_t count_after_restart(fixture *f) {
    enlace_err err;
    store *s = NULL;
    int64_t n = -1;
    assert_int_equal(store_open(f->path, 0, &s, &err), 0);
    assert_int_equal(store_count_objects(s, f->coll, &n, &err), 0);
    store_close(s);
    return n;
}

static void test_kill_inside_envelope_keeps_nothing(void **state) {
    fixture *f = *state;
    int st = post_in_child(f, "ENLACE_CRASH_AFTER_OBJECTS", "2");
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGKILL);
    assert_int_equal(count_after_restart(f), 0);
}

static void test_kill_before_commit_keeps_nothing(void **state) {
    fixture *f = *state;
    int st = post_in_child(f, "ENLACE_CRASH_BEFORE_COMMIT", "1");
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGKILL);
    assert_int_equal(count_after_restart(f), 0);
}

static void test_kill_after_commit_keeps_all(void **state) {
    fixture *f = *state;
    int st = post_in_child(f, "ENLACE_CRASH_AFTER_COMMIT", "1");
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGKILL);
    assert_int_equal(count_after_restart(f), NOBJ);
    /* and the collection's date_added counter committed with the objects */
    enlace_err err;
    store *s = NULL;
    envelope e;
    mkenv(&e, 2);
    store_put_outcome outs[NOBJ];
    assert_int_equal(store_open(f->path, 0, &s, &err), 0);
    assert_int_equal(store_put_objects(s, f->coll, NULL, e.in, NOBJ, 1000, outs, &err), 0);
    assert_int_equal(outs[0].date_added, 1000 + NOBJ);
    store_close(s);
}

static void test_no_hook_set_posts_normally(void **state) {
    fixture *f = *state;
    int st = post_in_child(f, "ENLACE_CRASH_UNRELATED", "1");
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_int_equal(count_after_restart(f), NOBJ);
}

/* ---- two writers ---------------------------------------------------------------------------- */

typedef struct writer {
    fixture *f;
    int tag;
    int failures;
} writer;

#define ENVELOPES 40

static void *write_many(void *arg) {
    writer *w = arg;
    enlace_err err;
    store *s = NULL;
    if (store_open(w->f->path, 0, &s, &err) != 0) {
        w->failures++;
        return NULL;
    }
    for (int i = 0; i < ENVELOPES; i++) {
        envelope e;
        mkenv(&e, w->tag * 1000 + i);
        store_put_outcome outs[NOBJ];
        /* the same fixed clock in both writers: ties must still be broken */
        if (store_put_objects(s, w->f->coll, NULL, e.in, NOBJ, 5000, outs, &err) != 0) w->failures++;
    }
    store_close(s);
    return NULL;
}

static int64_t prev_da;
static int order_ok;
static size_t seen;

static int check_order(void *ctx, const store_row *r) {
    (void)ctx;
    if (r->date_added <= prev_da) order_ok = 0;
    prev_da = r->date_added;
    seen++;
    return 0;
}

static void test_two_writers_interleave_in_order(void **state) {
    fixture *f = *state;
    writer a = {f, 1, 0}, b = {f, 2, 0};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, write_many, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, write_many, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(a.failures, 0);
    assert_int_equal(b.failures, 0);
    enlace_err err;
    store *s = NULL;
    assert_int_equal(store_open(f->path, 0, &s, &err), 0);
    policy_principal p = test_principal(POLICY_USER, f->org, "SSPC", "MX", "MX");
    store_query q = {.coll_rowid = f->coll, .after_us = -1, .limit = 100000, .principal = &p};
    int more = 0;
    prev_da = -1;
    order_ok = 1;
    seen = 0;
    assert_int_equal(store_query_objects(s, &q, check_order, NULL, &more, &err), 0);
    store_close(s);
    assert_int_equal(seen, 2 * ENVELOPES * NOBJ);
    assert_true(order_ok);
    assert_int_equal(prev_da, 5000 + 2 * ENVELOPES * NOBJ - 1); /* no gaps, no repeats */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_kill_inside_envelope_keeps_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_before_commit_keeps_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_after_commit_keeps_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_hook_set_posts_normally, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_writers_interleave_in_order, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
