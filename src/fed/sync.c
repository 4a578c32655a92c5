/* sync.c - one sync pass with one partner node (fed/fed.h; issue 5 must-have 2 and 4): trust
 * check, directory, policy epoch, then every collection the partner lets us read pulled page by
 * page into its mirror (TAXII 2.1 §5.4 GET objects with added_after, match[version]=all and
 * next paging), each page validated like a POST and committed with its cursor. Every request
 * is retried with exponential backoff and jitter; what still fails ends the pass with one line
 * naming the partner, the URL path and the cause, and nothing committed before it is lost. */
#include <fcntl.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "client/client.h"
#include "fed/audit_source.h"
#include "fed/fed.h"
#include "fed/page.h"
#include "stix/json.h"
#include "stix/time.h"
#include "util/clock.h"

void fed_options_default(fed_options *o) {
    memset(o, 0, sizeof *o);
    o->page_limit = 500;
    o->max_page_bytes = (size_t)64 << 20;
    o->connect_timeout_s = 5;
    o->timeout_s = 60;
    o->retries = 3;
    o->backoff_ms = 500;
    o->backoff_max_ms = 10000;
    o->pass_budget_s = 300;
}

void fed_report_free(fed_report *r) {
    if (!r) return;
    free(r->mirrors);
    r->mirrors = NULL;
    r->n_mirrors = 0;
}

/* ---- requests ------------------------------------------------------------------------------ */

typedef struct pass {
    store *s;
    const fed_options *o;
    const store_partner *p;
    client *c;
    fed_report *rep;
    char origin[STORE_URL_MAX];   /* scheme://host[:port] of the partner's URL */
    char base[STORE_URL_MAX];     /* where /enlace/v1/ hangs off (fed_node_base_url), ending '/' */
    int64_t deadline_us;          /* enlace_clock_now_us() past which the pass ends; 0 = none */
} pass;

/* Largest answer to GET /enlace/v1/epoch: it lists every shared collection's default TLP (about
 * 80 bytes each), so 4 MiB holds tens of thousands of them. */
#define FED_EPOCH_MAX ((size_t)4 << 20)

/* 1 when the pass's time budget (fed_options.pass_budget_s) is spent. */
static int over_budget(const pass *ps) { return ps->deadline_us && enlace_clock_now_us() >= ps->deadline_us; }

/* Copy text into out (n bytes) with bytes outside printable ASCII written as \xNN, cut at
 * limit input bytes: for quoting what a partner sent in a one-line message. */
static void escape_text(const char *text, size_t limit, char *out, size_t n) {
    size_t k = 0;
    for (size_t i = 0; text[i] && i < limit && k + 5 < n; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '\\') out[k++] = (char)ch;
        else k += (size_t)snprintf(out + k, n - k, "\\x%02x", ch);
    }
    if (n) out[k < n ? k : n - 1] = '\0';
}

static int cancelled(const pass *ps) { return ps->o->cancel && atomic_load(ps->o->cancel); }

/* Sleep ms milliseconds in slices, returning early when the pass is cancelled. */
static void nap(const pass *ps, long ms) {
    while (ms > 0 && !cancelled(ps)) {
        long step = ms > 100 ? 100 : ms;
        struct timespec t = {step / 1000, (step % 1000) * 1000000L};
        nanosleep(&t, NULL);
        ms -= step;
    }
}

/* The delay before retry number attempt (0-based): backoff_ms doubled each time, capped, and
 * jittered into [d/2, d] so that partners retrying together spread out. */
static long backoff(const fed_options *o, int attempt) {
    long d = o->backoff_ms > 0 ? o->backoff_ms : 1;
    for (int i = 0; i < attempt && d < o->backoff_max_ms; i++) d *= 2;
    if (o->backoff_max_ms > 0 && d > o->backoff_max_ms) d = o->backoff_max_ms;
    return d / 2 + (long)randombytes_uniform((uint32_t)(d / 2 + 1));
}

/* The path part of a request for messages: what follows the origin, without the query. */
static void path_of(const pass *ps, const char *req, char *out, size_t n) {
    char url[1024];
    client_url(ps->c, req, url, sizeof url);
    const char *p = url;
    size_t ol = strlen(ps->origin);
    if (strncmp(url, ps->origin, ol) == 0) p = url + ol;
    snprintf(out, n, "%.*s", (int)strcspn(p, "?"), p);
}

/* What an operator should do about a refused request, appended to its error line: 401/403 (the
 * pull token), 404 (the URL is not the partner's TAXII API root). why: the described response. */
static void what_to_do(const char *party, const char *why, char *out, size_t n) {
    if (strstr(why, "HTTP 401") || strstr(why, "HTTP 403"))
        snprintf(out, n, "; get a new one from %s's admin and run `enlace partner set DIR --party %s --token T`", party,
                 party);
    else if (strstr(why, "HTTP 404"))
        snprintf(out, n, "; --url must be %s's TAXII API root (e.g. http://host:port/api/): "
                         "`enlace partner set DIR --party %s --url URL`", party, party);
    else if (strstr(why, "certificate"))
        snprintf(out, n, "; to trust %s's certificate: `enlace sync --cacert FILE` (the serve worker: "
                         "`enlace serve --sync-cacert FILE`)", party);
    else if (n)
        out[0] = '\0';
}

/* What a request came to. */
enum { REQ_OK = 0, REQ_FAILED, REQ_CURSOR, REQ_AUTH };

/* GET req with retries (accept: NULL for the TAXII media type with the page limit
 * o->max_page_bytes, else that type with the limit cap: enlace's own /enlace/v1/ resources). 200 with a JSON object body: REQ_OK with *root (json_object_put) and
 * resp kept (client_response_free). 400 when cursor_ok: REQ_CURSOR (the partner refused the
 * cursor or next: no retry). 401/403: REQ_AUTH (token error: no retry). Else, after the
 * retries: REQ_FAILED. For the last two, err and the report's error get one line. */
static int fetch(pass *ps, const char *req, const char *accept, size_t cap, int cursor_ok, client_response *resp,
                 json_object **root, enlace_err *err) {
    char path[512], why[512] = "";
    size_t limit = accept && cap && cap < ps->o->max_page_bytes ? cap : ps->o->max_page_bytes;
    path_of(ps, req, path, sizeof path);
    *root = NULL;
    for (int attempt = 0;; attempt++) {
        if (cancelled(ps)) {
            enlace_err_set(err, ENLACE_EIO, "%s: stopped", ps->p->party);
            return REQ_FAILED;
        }
        memset(resp, 0, sizeof *resp);
        enlace_err e;
        enlace_err_clear(&e);
        int rc = client_get_ex(ps->c, req, accept, accept ? limit : 0, resp, &e);
        int retry = 1;
        if (rc) {
            snprintf(why, sizeof why, "%s", e.msg);
            if (rc == ENLACE_ETOOBIG)
                snprintf(why, sizeof why, "%s larger than %zu bytes", accept ? "response" : "page", limit);
        } else if (resp->status == 200) {
            json_tokener *tok = json_tokener_new();
            json_object *j = tok ? json_tokener_parse_ex(tok, resp->body, (int)resp->body_len) : NULL;
            int done = tok && json_tokener_get_error(tok) == json_tokener_success &&
                       (size_t)json_tokener_get_parse_end(tok) == resp->body_len;
            if (tok) json_tokener_free(tok);
            if (j && done && json_object_is_type(j, json_type_object)) {
                *root = j;
                return REQ_OK;
            }
            json_object_put(j);
            snprintf(why, sizeof why, "malformed response (%s)", j && done ? "not a JSON object" : "not JSON");
        } else {
            char d[400];
            client_error_describe(resp, d, sizeof d);
            snprintf(why, sizeof why, "%s", d);
            if (resp->status == 401 || resp->status == 403) {
                client_response_free(resp);
                char todo[300];
                what_to_do(ps->p->party, why, todo, sizeof todo);
                enlace_err_set(err, ENLACE_EAUTH, "%s refused our pull token (GET %s: %.150s)%s", ps->p->party, path,
                               why, todo);
                return REQ_AUTH;
            }
            if (resp->status == 400 && cursor_ok) {
                client_response_free(resp);
                enlace_err_set(err, ENLACE_EINVAL, "%s: GET %s: %s", ps->p->party, path, why);
                return REQ_CURSOR;
            }
            retry = resp->status >= 500 || resp->status == 429 || resp->status == 408;
        }
        /* 404 on the collections list: the URL is not its API root */
        int wrong_root = rc == 0 && resp->status == 404 && strcmp(req, "collections/") == 0;
        client_response_free(resp);
        if (!retry || attempt >= ps->o->retries) {
            char todo[300] = "";
            if (wrong_root || (rc && client_tls_untrusted(ps->c))) what_to_do(ps->p->party, why, todo, sizeof todo);
            enlace_err_set(err, rc == 0 ? ENLACE_ENET : rc, "%s: GET %s: %s%s%s", ps->p->party, path, why,
                           retry && attempt ? " (after retries)" : "", todo);
            if (err && err->code == ENLACE_ETOOBIG) err->code = ENLACE_ENET;
            return REQ_FAILED;
        }
        ps->rep->retries++;
        nap(ps, backoff(ps->o, attempt));
    }
}

/* One collection's default TLP as the partner's epoch response gives it. */
#define MAX_DEFAULTS 256
typedef struct remote_default {
    char id[40];
    int tlp;              /* policy_tlp; POLICY_TLP_NONE for null */
} remote_default;

/* Read {"collections": [{"id", "default_tlp"}]} of an epoch response into out (at most max);
 * entries that are not well-formed are skipped. Returns how many were read. */
static size_t remote_defaults(json_object *root, remote_default *out, size_t max) {
    json_object *arr = NULL;
    if (!json_object_object_get_ex(root, "collections", &arr) || !json_object_is_type(arr, json_type_array)) return 0;
    size_t n = 0, len = json_object_array_length(arr);
    for (size_t i = 0; i < len && n < max; i++) {
        json_object *c = json_object_array_get_idx(arr, i), *d = NULL;
        const char *id = json_object_is_type(c, json_type_object) ? stix_json_str(c, "id") : NULL;
        if (!id || strlen(id) >= sizeof out[n].id || !json_object_object_get_ex(c, "default_tlp", &d)) continue;
        int tlp = POLICY_TLP_NONE;
        if (d != NULL) {
            if (!json_object_is_type(d, json_type_string)) continue;
            tlp = policy_tlp_parse(json_object_get_string(d));
            if (tlp < POLICY_TLP_CLEAR) continue;
        }
        snprintf(out[n].id, sizeof out[n].id, "%s", id);
        out[n].tlp = tlp;
        n++;
    }
    return n;
}

/* ---- one collection ------------------------------------------------------------------------ */

/* Re-read mirror m from the store (after a conflict or a restart). */
static int mirror_reload(pass *ps, store_mirror *m, enlace_err *err) {
    store_mirror *ms = NULL;
    size_t n = 0;
    int code = store_mirror_list(ps->s, ps->p->party, &ms, &n, err);
    if (code) return code;
    code = enlace_err_set(err, ENLACE_ENOTFOUND, "mirror %s vanished", m->coll_id);
    for (size_t i = 0; i < n; i++)
        if (ms[i].coll_rowid == m->coll_rowid) {
            *m = ms[i];
            enlace_err_clear(err);
            code = 0;
        }
    free(ms);
    return code;
}

/* Pull remote collection rid into mirror m to its end; sweep after a full pass. */
static int pull_collection(pass *ps, store_mirror *m, const char *epoch, fed_mirror_report *mr, enlace_err *err) {
    char next[512] = "", after[64] = "";  /* a next token belongs to the query it came with */
    int cursor_refusals = 0, conflicts = 0, stalled = 0;
    for (;;) {
        if (over_budget(ps)) {   /* ends cleanly: the cursor is committed, the next pass resumes */
            ps->rep->budget_reached = 1;
            return 0;
        }
        char req[1400];
        snprintf(req, sizeof req, "collections/%s/objects/", m->remote_id);
        if (!next[0]) snprintf(after, sizeof after, "%s", m->cursor);
        if (after[0]) client_query_add(req, sizeof req, "added_after", after);
        client_query_add(req, sizeof req, "match[version]", "all");
        client_query_add(req, sizeof req, "match[spec_version]", "2.0,2.1");
        char lim[32];
        snprintf(lim, sizeof lim, "%zu", ps->o->page_limit ? ps->o->page_limit : 500);
        client_query_add(req, sizeof req, "limit", lim);
        if (next[0] && client_query_add(req, sizeof req, "next", next) != 0) next[0] = '\0';
        client_response resp;
        json_object *root = NULL;
        int r = fetch(ps, req, NULL, 0, next[0] || m->cursor[0], &resp, &root, err);
        if (r == REQ_CURSOR) {
            /* the partner no longer accepts our next, then our cursor: from the cursor, then
             * from the beginning (a full pass: re-pulls are known, and the end sweeps) */
            if (++cursor_refusals > 2) return ENLACE_ENET;
            if (next[0]) next[0] = '\0';
            else {
                int code = store_mirror_restart(ps->s, m->coll_rowid, epoch, err);
                if (code || (code = mirror_reload(ps, m, err))) return code;
                mr->restarted = 1;
            }
            continue;
        }
        if (r != REQ_OK) return err ? err->code : ENLACE_ENET;
        fed_page pg;
        int code = fed_page_build(&resp, root, &pg, mr->note, sizeof mr->note, err);
        json_object *more_o = NULL, *next_o = NULL;
        int more = json_object_object_get_ex(root, "more", &more_o) && json_object_get_boolean(more_o);
        char new_next[512] = "";
        if (json_object_object_get_ex(root, "next", &next_o) && json_object_is_type(next_o, json_type_string))
            snprintf(new_next, sizeof new_next, "%s", json_object_get_string(next_o));
        /* the cursor the page moves us to: a TAXII timestamp (T§3.2), required on a page with
         * objects; anything else is a malformed page, nothing of it stored */
        int64_t dal_us;
        if (!code && (resp.date_added_last[0] ? taxii_time_parse(resp.date_added_last, &dal_us) != 0
                                               : pg.k + pg.bad > 0)) {
            char shown[200];
            escape_text(resp.date_added_last, 40, shown, sizeof shown);
            fed_page_free(&pg);
            code = resp.date_added_last[0]
                       ? enlace_err_set(err, ENLACE_EUNPROC,
                                        "malformed response (X-TAXII-Date-Added-Last '%s' is not a TAXII timestamp)",
                                        shown)
                       : enlace_err_set(err, ENLACE_EUNPROC,
                                        "malformed response (a page of objects without X-TAXII-Date-Added-Last)");
        }
        if (code) {
            char path[512];
            path_of(ps, req, path, sizeof path);
            char msg[ENLACE_ERR_MSG_MAX];
            snprintf(msg, sizeof msg, "%s", err ? err->msg : "malformed page");
            enlace_err_set(err, ENLACE_ENET, "%s: GET %s: %s", ps->p->party, path, msg);
            json_object_put(root);
            client_response_free(&resp);
            return ENLACE_ENET;
        }
        store_rx_result *res = calloc(pg.k ? pg.k : 1, sizeof *res);
        if (!res) {
            fed_page_free(&pg);
            json_object_put(root);
            client_response_free(&resp);
            return enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
        }
        char cursor[64], before[64];
        snprintf(before, sizeof before, "%s", m->cursor);
        snprintf(cursor, sizeof cursor, "%s", resp.date_added_last[0] ? resp.date_added_last : m->cursor);
        code = store_mirror_put_page(ps->s, m, pg.in, pg.k, cursor, enlace_clock_now_us(), res, err);
        if (code == 0) {
            cursor_refusals = 0;
            mr->pages++;
            mr->refused += pg.bad;
            for (size_t i = 0; i < pg.k; i++) {
                switch (res[i]) {
                case STORE_RX_ADDED: mr->added++; break;
                case STORE_RX_KNOWN: mr->known++; break;
                case STORE_RX_LOOP: mr->loops++; break;
                default: mr->refused++; break;
                }
            }
            snprintf(m->cursor, sizeof m->cursor, "%s", cursor);
        }
        int moved = strcmp(cursor, before) != 0;
        free(res);
        fed_page_free(&pg);
        json_object_put(root);
        client_response_free(&resp);
        if (code == ENLACE_ECONFLICT && ++conflicts <= 3) {
            /* another process moved the mirror: go on from where it is now */
            next[0] = '\0';
            if ((code = mirror_reload(ps, m, err))) return code;
            continue;
        }
        if (code) return code;
        if (!more) break;
        /* "more" with pages that do not move the cursor (empty, or the same objects again)
         * would loop for ever */
        stalled = moved ? 0 : stalled + 1;
        if (stalled >= 3) {
            char path[512];
            path_of(ps, req, path, sizeof path);
            return enlace_err_set(err, ENLACE_ENET, "%s: GET %s: malformed response (more pages announced, none delivered past %s)",
                                  ps->p->party, path, m->cursor[0] ? m->cursor : "the start");
        }
        snprintf(next, sizeof next, "%s", new_next);
    }
    if (m->full_pass) return store_mirror_sweep(ps->s, m, &mr->swept, err);
    return 0;
}

/* ---- the pass ------------------------------------------------------------------------------ */

static fed_mirror_report *report_add(fed_report *rep, enlace_err *err) {
    fed_mirror_report *p = realloc(rep->mirrors, (rep->n_mirrors + 1) * sizeof *p);
    if (!p) {
        enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
        return NULL;
    }
    rep->mirrors = p;
    memset(&p[rep->n_mirrors], 0, sizeof *p);
    return &p[rep->n_mirrors++];
}

/* A mirror whose remote collection the partner no longer lists to us, under a new epoch: the
 * partner serves none of it any more, so a full pass that delivered nothing sweeps it. */
static int sweep_unlisted(pass *ps, json_object *colls, const char *epoch, enlace_err *err) {
    store_mirror *ms = NULL;
    size_t n = 0;
    int code = store_mirror_list(ps->s, ps->p->party, &ms, &n, err);
    for (size_t i = 0; i < n && !code; i++) {
        int listed = 0;
        size_t nc = colls ? json_object_array_length(colls) : 0;
        for (size_t j = 0; j < nc && !listed; j++) {
            json_object *c = json_object_array_get_idx(colls, j), *cr;
            const char *id = json_object_is_type(c, json_type_object) ? stix_json_str(c, "id") : NULL;
            listed = id && strcasecmp(id, ms[i].remote_id) == 0 && json_object_object_get_ex(c, "can_read", &cr) &&
                     json_object_get_boolean(cr);
        }
        if (listed || strcmp(ms[i].epoch, epoch) == 0) continue;
        fed_mirror_report *mr = report_add(ps->rep, err);
        if (!mr) {
            code = ENLACE_ENOMEM;
            break;
        }
        snprintf(mr->remote_id, sizeof mr->remote_id, "%s", ms[i].remote_id);
        snprintf(mr->coll_id, sizeof mr->coll_id, "%s", ms[i].coll_id);
        snprintf(mr->alias, sizeof mr->alias, "%s", ms[i].alias);
        mr->restarted = 1;
        store_mirror m = ms[i];
        if (!(code = store_mirror_restart(ps->s, m.coll_rowid, epoch, err)) && !(code = mirror_reload(ps, &m, err)))
            code = store_mirror_sweep(ps->s, &m, &mr->swept, err);
    }
    free(ms);
    return code;
}

static int run_pass(pass *ps, enlace_err *err) {
    fed_report *rep = ps->rep;
    /* the partner's audit log, then its directory: retried like any request when unreachable;
     * a failed check stops the partner and is audited (fed_trust_failure_record) */
    for (int step = 0; step < 2; step++) {
        for (int attempt = 0;; attempt++) {
            store_dir_conflicts conflicts;
            memset(&conflicts, 0, sizeof conflicts);
            int code = step == 0 ? fed_trust_check(ps->s, ps->c, ps->p, &rep->tree_size, err)
                                 : fed_directory_pull_ex(ps->s, ps->c, ps->p, &rep->dir_orgs, &rep->dir_vettings,
                                                         &conflicts, err);
            if (code == 0) {
                if (step == 0) rep->trust_checked = 1;
                if (step == 1 && conflicts.n > 0)
                    fed_directory_conflict_describe(&conflicts, rep->dir_conflict, sizeof rep->dir_conflict);
                break;
            }
            if (step == 0 && code == ENLACE_ENOTFOUND) break;  /* no audit log: the pass goes on unchecked */
            char m[ENLACE_ERR_MSG_MAX];
            snprintf(m, sizeof m, "%s", err ? err->msg : "");
            if (code == ENLACE_ECONFLICT || code == ENLACE_EAUTH) {
                char reason[512];
                snprintf(reason, sizeof reason, "%s failed: %.400s", step == 0 ? "trust check" : "directory check", m);
                enlace_err re;
                if (fed_trust_failure_record(ps->s, ps->p->party, reason, &re) != 0)
                    return enlace_err_set(err, re.code, "%s: %s; recording it failed: %s", ps->p->party, reason, re.msg);
                return enlace_err_set(err, code, "%s: %s (sync stopped until 'enlace partner resume')", ps->p->party,
                                      reason);
            }
            int retriable = code == ENLACE_ENET || code == ENLACE_EINVAL;
            if (!retriable || attempt >= ps->o->retries || cancelled(ps)) {
                char todo[300];
                what_to_do(ps->p->party, m, todo, sizeof todo);
                if (strstr(m, "HTTP 401") || strstr(m, "HTTP 403"))
                    return enlace_err_set(err, code, "%s refused our pull token (%s: %.150s)%s", ps->p->party,
                                          step == 0 ? "trust check" : "directory", m, todo);
                return enlace_err_set(err, code, "%s: %s: %s%s", ps->p->party,
                                      step == 0 ? "trust check" : "directory", m, todo);
            }
            rep->retries++;
            nap(ps, backoff(ps->o, attempt));
        }
    }
    /* the policy epoch it serves us */
    char req[STORE_URL_MAX + 32], epoch[STORE_EPOCH_LEN];
    snprintf(req, sizeof req, "%senlace/v1/epoch", ps->base);
    client_response resp;
    json_object *root = NULL;
    if (fetch(ps, req, "application/json", FED_EPOCH_MAX, 0, &resp, &root, err) != REQ_OK)
        return err ? err->code : ENLACE_ENET;
    /* {"party": the party it is served to (ours), "epoch"} */
    const char *ep = stix_json_str(root, "epoch");
    int bad = !ep || strlen(ep) != STORE_EPOCH_LEN - 1;
    if (!bad) snprintf(epoch, sizeof epoch, "%s", ep);
    /* the default TLP of each collection it shares with us: our mirror reads unmarked objects
     * under the same default (an older partner that sends none leaves mirrors without one) */
    remote_default defaults[MAX_DEFAULTS];
    size_t n_defaults = bad ? 0 : remote_defaults(root, defaults, MAX_DEFAULTS);
    json_object_put(root);
    client_response_free(&resp);
    if (bad)
        return enlace_err_set(err, ENLACE_ENET, "%s: GET /enlace/v1/epoch: malformed response (no epoch)",
                              ps->p->party);
    /* the collections it lets us read */
    if (fetch(ps, "collections/", NULL, 0, 0, &resp, &root, err) != REQ_OK) return err ? err->code : ENLACE_ENET;
    json_object *colls = NULL;
    int code = 0;
    if (json_object_object_get_ex(root, "collections", &colls) && !json_object_is_type(colls, json_type_array))
        code = enlace_err_set(err, ENLACE_ENET, "%s: GET /collections/: malformed response", ps->p->party);
    if (!code) code = sweep_unlisted(ps, colls, epoch, err);
    size_t nc = colls && !code ? json_object_array_length(colls) : 0;
    for (size_t i = 0; i < nc && !code && !rep->budget_reached; i++) {
        json_object *c = json_object_array_get_idx(colls, i), *cr;
        if (!json_object_is_type(c, json_type_object)) continue;
        const char *id = stix_json_str(c, "id");
        if (!id || !json_object_object_get_ex(c, "can_read", &cr) || !json_object_get_boolean(cr)) continue;
        if (strlen(id) >= 40 || strspn(id, "0123456789abcdefABCDEF-") != strlen(id)) continue; /* not a UUID */
        fed_mirror_report *mr = report_add(rep, err);
        if (!mr) {
            code = ENLACE_ENOMEM;
            break;
        }
        store_mirror m;
        if ((code = store_mirror_ensure(ps->s, ps->p->party, id, stix_json_str(c, "alias"), stix_json_str(c, "title"), &m,
                                        err)))
            break;
        for (size_t k = 0; k < n_defaults; k++)
            if (strcmp(defaults[k].id, m.remote_id) == 0 &&
                (code = store_collection_set_default_tlp(ps->s, m.coll_rowid, defaults[k].tlp, err)))
                break;
        if (code) break;
        snprintf(mr->remote_id, sizeof mr->remote_id, "%s", m.remote_id);
        snprintf(mr->coll_id, sizeof mr->coll_id, "%s", m.coll_id);
        snprintf(mr->alias, sizeof mr->alias, "%s", m.alias);
        if (strcmp(m.epoch, epoch) != 0) {
            if ((code = store_mirror_restart(ps->s, m.coll_rowid, epoch, err)) || (code = mirror_reload(ps, &m, err)))
                break;
            mr->restarted = m.pass > 2;  /* a new mirror's first pass is no restart */
        }
        code = pull_collection(ps, &m, epoch, mr, err);
    }
    json_object_put(root);
    client_response_free(&resp);
    return code;
}

/* Take DIR/sync.lock (flock, exclusive) for one pass, so that passes of one node (`enlace sync`
 * processes, the serve worker) run one at a time: waits up to FED_LOCK_WAIT_MS while another
 * holds it. Returns the descriptor (>= 0; close releases), -1 when dir is NULL or the file
 * cannot be opened (no lock: the store's own checks still keep data right), -2 when another
 * pass still holds it. */
#define FED_LOCK_WAIT_MS 10000
static int pass_lock(const char *dir, const atomic_int *cancel) {
    if (!dir) return -1;
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/sync.lock", dir) >= sizeof path) return -1;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    for (long waited = 0;; waited += 100) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) return fd;
        if (waited >= FED_LOCK_WAIT_MS || (cancel && atomic_load(cancel))) break;
        struct timespec t = {0, 100 * 1000000L};
        nanosleep(&t, NULL);
    }
    close(fd);
    return -2;
}

int fed_sync_partner(store *s, const char *party, const fed_options *o, fed_report *rep, enlace_err *err) {
    if (!s || !party || !o || !rep) return enlace_err_set(err, ENLACE_EINVAL, "fed: bad sync call");
    memset(rep, 0, sizeof *rep);
    snprintf(rep->party, sizeof rep->party, "%s", party);
    store_partner p;
    int code = store_partner_get(s, party, &p, err);
    if (code) {
        if (code == ENLACE_ENOTFOUND) enlace_err_set(err, code, "%s is not a partner", party);
        snprintf(rep->error, sizeof rep->error, "%s", err ? err->msg : "no such partner");
        return code;
    }
    if (p.stopped[0]) {
        code = enlace_err_set(err, ENLACE_EDENIED, "%s: sync stopped: %s ('enlace partner resume' to go on)", party,
                              p.stopped);
        snprintf(rep->error, sizeof rep->error, "%s", err ? err->msg : "stopped");
        return code;
    }
    int lock = pass_lock(o->node_dir, o->cancel);
    if (lock == -2) {
        code = enlace_err_set(err, ENLACE_EBUSY, "%s: another sync of this node is running (%s/sync.lock held "
                              "for over %d s): pass skipped", party, o->node_dir, FED_LOCK_WAIT_MS / 1000);
        snprintf(rep->error, sizeof rep->error, "%s", err ? err->msg : "busy");
        return code;
    }
    pass ps = {s, o, &p, NULL, rep, "", "", 0};
    const char *sep = strstr(p.url, "://");
    size_t ol = sep ? (size_t)(sep - p.url) + 3 + strcspn(sep + 3, "/") : strlen(p.url);
    snprintf(ps.origin, sizeof ps.origin, "%.*s", (int)ol, p.url);
    if (fed_node_base_url(p.url, ps.base, sizeof ps.base) != 0) snprintf(ps.base, sizeof ps.base, "%s/", ps.origin);
    if (o->pass_budget_s > 0) ps.deadline_us = enlace_clock_now_us() + (int64_t)o->pass_budget_s * 1000000;
    client_config cfg = {p.url, NULL, NULL, p.pull_token[0] ? p.pull_token : NULL, o->insecure, o->cacert,
                         o->connect_timeout_s, o->timeout_s, o->max_page_bytes};
    enlace_err e;
    enlace_err_clear(&e);
    if (!p.pull_token[0])
        code = enlace_err_set(&e, ENLACE_EAUTH, "%s: no token to pull with ('enlace partner set --token')", party);
    else if (!(code = client_new(&cfg, &ps.c, &e)))
        code = run_pass(&ps, &e);
    client_free(ps.c);
    rep->ok = code == 0;
    /* the report and the partner row name the party already: the message without "PARTY: " */
    const char *msg = e.msg;
    size_t pl = strlen(party);
    if (strncmp(msg, party, pl) == 0 && msg[pl] == ':' && msg[pl + 1] == ' ') msg += pl + 2;
    if (code) snprintf(rep->error, sizeof rep->error, "%s", msg);
    enlace_err pe;
    store_partner_pass_done(s, party, enlace_clock_now_us(), code ? msg : "", &pe);
    if (lock >= 0) close(lock);
    if (code && err) *err = e;
    return code;
}

void fed_report_line(const fed_report *r, char *out, size_t n) {
    size_t k = 0;
#define PUT(...) do { if (k < n) { int w_ = snprintf(out + k, n - k, __VA_ARGS__); if (w_ > 0) k += (size_t)w_; } } while (0)
    if (!r->ok) {
        PUT("%s: failed: %s", r->party, r->error);
    } else {
        PUT("%s: ok", r->party);
        if (r->budget_reached) PUT(" (budget reached: resumes next pass)");
        if (r->trust_checked) PUT(", trust %llu leaves", (unsigned long long)r->tree_size);
        PUT(", directory %zu orgs %zu vettings", r->dir_orgs, r->dir_vettings);
        if (r->dir_conflict[0]) PUT(" (%s)", r->dir_conflict);
    }
    for (size_t i = 0; i < r->n_mirrors; i++) {
        const fed_mirror_report *m = &r->mirrors[i];
        PUT("; %s +%zu new, %zu known, %zu loop, %zu refused", m->alias, m->added, m->known, m->loops, m->refused);
        if (m->restarted) PUT(", restarted");
        if (m->swept) PUT(", swept %zu", m->swept);
    }
    if (r->retries) PUT("; %d retries", r->retries);
#undef PUT
    if (n) out[n - 1 < k ? n - 1 : k] = '\0';
}
