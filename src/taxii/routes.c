/* routes.c - TAXII 2.1 request handling: authenticate, route, negotiate, then serve discovery,
 * the API root, collections, manifests, objects, versions, POST and DELETE (T§4, T§5), each
 * read filtered by originator control (issue 3: the principal goes on every store query), and
 * enlace's own /enlace/v1/directory and /enlace/v1/epoch (fed_http.c). Mirror collections are
 * read-only (issue 5): POST and DELETE on them are refused. */
#include <json-c/json.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stix/id.h"
#include "stix/json.h"
#include "stix/json_check.h"
#include "stix/marking.h"
#include "stix/span.h"
#include "stix/time.h"
#include "stix/validate.h"
#include "store/audit_store.h"
#include "store/fed.h"
#include "taxii/audit_http.h"
#include "taxii/error.h"
#include "taxii/fed_http.h"
#include "taxii/filter.h"
#include "taxii/internal.h"
#include "taxii/media.h"
#include "util/buf.h"
#include "util/clock.h"

#define STIX_MEDIA_21 "application/stix+json;version=2.1"
/* enlace's own resources under /enlace/v1/ (DESIGN.md "HTTP"): plain JSON, TAXII's error shape. */
#define ENLACE_MEDIA_JSON "application/json"
/* Query parameters read per request; more is a 400 (no real client sends that many). */
#define MAX_PARAMS 64
#define MAX_HEADERS 4

/* ---- replies -------------------------------------------------------------------------------- */

typedef struct reply {
    unsigned status;
    enlace_buf body;
    int nh;
    const char *hname[MAX_HEADERS];
    char hval[MAX_HEADERS][128];
    const char *ctype;   /* Content-Type; NULL: the TAXII media type */
    taxii_page_buf *pb;  /* a kept page buffer lent to this reply (serve_page), or NULL */
    int keep_pb;         /* keep the body as that slot's buffer after sending (more=true) */
    taxii_audit_rec *audit;  /* entries to commit before this reply goes out (reply_after_audit), or NULL */
} reply;

static void reply_header(reply *r, const char *name, const char *value) {
    if (r->nh >= MAX_HEADERS) return;
    r->hname[r->nh] = name;
    snprintf(r->hval[r->nh], sizeof r->hval[r->nh], "%s", value);
    r->nh++;
}

/* Replace whatever r holds by an error resource (T§3.6.1). */
static void reply_error(reply *r, unsigned status, const char *description) {
    enlace_buf_free(&r->body);
    r->status = status;
    r->nh = 0;
    taxii_error_json(&r->body, (int)status, NULL, description);
}

/* A store failure: 503 with Retry-After when another writer held the store past the busy
 * timeout (the request can simply be repeated), else 500. The cause goes to the node's log only. */
static void reply_500(taxii_server *srv, reply *r, const char *what, const enlace_err *err) {
    taxii_log(srv, "%s: %s", what, err ? err->msg : "failed");
    if (err && err->code == ENLACE_EBUSY) {
        reply_error(r, 503, "the store is busy with another write; retry the request shortly");
        reply_header(r, "Retry-After", "2");
        return;
    }
    reply_error(r, 500, "the server could not complete the request");
}

/* Queue r on conn (taking its body); every TAXII response carries the TAXII media type (T§3.1),
 * enlace's own resources application/json. */
static enum MHD_Result reply_send(struct MHD_Connection *conn, reply *r) {
    static const char oom_body[] = "{\"title\":\"Internal Server Error\",\"http_status\":\"500\"}";
    struct MHD_Response *resp;
    unsigned status = r->status;
    if (r->body.oom || !r->body.p) {
        enlace_buf_free(&r->body);
        status = 500;
        r->nh = 0;
        resp = MHD_create_response_from_buffer(sizeof oom_body - 1, (void *)oom_body, MHD_RESPMEM_PERSISTENT);
    } else if (r->pb && r->keep_pb) {
        /* The slot keeps the bytes; MHD gives the slot back once the response is sent. */
        taxii_page_buf *pb = r->pb;
        size_t len = r->body.len;
        pb->cap = r->body.cap;
        pb->p = enlace_buf_steal(&r->body);
        r->pb = NULL;
        resp = MHD_create_response_from_buffer_with_free_callback_cls(len, pb->p, taxii_page_buf_release, pb);
        if (!resp) {
            free(pb->p);
            pb->p = NULL;
            pb->cap = 0;
            taxii_page_buf_release(pb);
        }
    } else {
        size_t len = r->body.len;
        char *p = enlace_buf_steal(&r->body);
        resp = MHD_create_response_from_buffer(len, p, MHD_RESPMEM_MUST_FREE);
        if (!resp) free(p);
    }
    if (r->pb) {  /* the body went out (or was freed) as an ordinary reply: the slot is empty */
        r->pb->p = NULL;
        r->pb->cap = 0;
        taxii_page_buf_release(r->pb);
        r->pb = NULL;
    }
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype ? r->ctype : TAXII_MEDIA_TYPE);
    for (int i = 0; i < r->nh; i++) MHD_add_response_header(resp, r->hname[i], r->hval[i]);
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- routing -------------------------------------------------------------------------------- */

typedef enum {
    R_NONE, R_DISCOVERY, R_APIROOT, R_STATUS, R_COLLECTIONS, R_COLLECTION, R_MANIFEST, R_OBJECTS, R_OBJECT,
    R_VERSIONS, R_DIRECTORY, R_AUDIT, R_EPOCH
} route_kind;

typedef struct route {
    route_kind kind;
    char coll[256];          /* collection id or alias */
    char obj[STIX_ID_MAX];   /* object id */
    char status_id[64];
} route;

static int copy_seg(char *dst, size_t cap, const char *src) {
    size_t n = strlen(src);
    if (n == 0 || n >= cap) return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

/* enlace's own resources: not TAXII, so the trailing '/' is optional. */
static int is_enlace_path(const char *url) { return strncmp(url, "/enlace/", 8) == 0; }

/* Parse url into r. TAXII paths must end in '/' (T§3.1). Returns 0, or -1 for "no such
 * resource". */
static int route_parse(const char *url, route *r) {
    char buf[1024], *seg[8];
    int n = 0;
    memset(r, 0, sizeof *r);
    if (strcmp(url, "/enlace/v1/directory") == 0 || strcmp(url, "/enlace/v1/directory/") == 0)
        return r->kind = R_DIRECTORY, 0;
    if (taxii_audit_path(url)) return r->kind = R_AUDIT, 0;  /* audit_http.c routes further */
    if (taxii_epoch_path(url)) return r->kind = R_EPOCH, 0;
    size_t len = strlen(url);
    if (len < 2 || len >= sizeof buf || url[0] != '/' || url[len - 1] != '/') return -1;
    memcpy(buf, url + 1, len - 1);
    buf[len - 2] = '\0';  /* drop the trailing '/' */
    for (char *p = buf;;) {
        if (n == 8) return -1;
        seg[n++] = p;
        char *slash = strchr(p, '/');
        if (!slash) break;
        *slash = '\0';
        p = slash + 1;
    }
    for (int i = 0; i < n; i++)
        if (!*seg[i]) return -1;
    if (n == 1 && strcmp(seg[0], "taxii2") == 0) return r->kind = R_DISCOVERY, 0;
    if (strcmp(seg[0], "api") != 0) return -1;
    if (n == 1) return r->kind = R_APIROOT, 0;
    if (n == 3 && strcmp(seg[1], "status") == 0) {
        if (copy_seg(r->status_id, sizeof r->status_id, seg[2])) return -1;
        return r->kind = R_STATUS, 0;
    }
    if (strcmp(seg[1], "collections") != 0) return -1;
    if (n == 2) return r->kind = R_COLLECTIONS, 0;
    if (copy_seg(r->coll, sizeof r->coll, seg[2])) return -1;
    if (n == 3) return r->kind = R_COLLECTION, 0;
    if (n == 4 && strcmp(seg[3], "manifest") == 0) return r->kind = R_MANIFEST, 0;
    if (strcmp(seg[3], "objects") != 0) return -1;
    if (n == 4) return r->kind = R_OBJECTS, 0;
    if (copy_seg(r->obj, sizeof r->obj, seg[4])) return -1;
    if (n == 5) return r->kind = R_OBJECT, 0;
    if (n == 6 && strcmp(seg[5], "versions") == 0) return r->kind = R_VERSIONS, 0;
    return -1;
}

static const char *route_allow(route_kind k) {
    return k == R_OBJECTS ? "GET, POST" : k == R_OBJECT ? "GET, DELETE" : "GET";
}

/* Routes whose GETs are recorded in the audit log (issue 4: they read objects or name them).
 * Discovery, the API root, the collections list, the directory, the epoch and the audit API
 * are not. */
static int route_audited(route_kind k) {
    return k == R_STATUS || k == R_COLLECTION || k == R_MANIFEST || k == R_OBJECTS || k == R_OBJECT ||
           k == R_VERSIONS;
}

static int method_allowed(route_kind k, const char *method) {
    if (strcmp(method, "GET") == 0) return 1;
    if (strcmp(method, "POST") == 0) return k == R_OBJECTS;
    if (strcmp(method, "DELETE") == 0) return k == R_OBJECT;
    return 0;
}

/* ---- who may do what (issue 3 "Who is who") -------------------------------------------------- */

/* Roles that read objects: all but an admin by itself (which objects: the principal decides). */
static int user_reads(const store_user *u) {
    return (u->roles & (STORE_ROLE_ANALYST | STORE_ROLE_LIAISON | STORE_ROLE_APPROVER | STORE_ROLE_PARTNER)) != 0;
}

/* Only analysts write (as their organization); a liaison or a partner never does, whatever else
 * it holds. */
static int user_writes(const store_user *u) {
    return (u->roles & STORE_ROLE_ANALYST) && !(u->roles & (STORE_ROLE_LIAISON | STORE_ROLE_PARTNER));
}

static int user_is_partner(const store_user *u) { return (u->roles & STORE_ROLE_PARTNER) != 0; }

/* 1 when agreements ags[0..n) give party a door to collection coll_rowid. */
static int agreement_covers(const store_agreement *ags, size_t n, const char *party, int64_t coll_rowid) {
    for (size_t i = 0; i < n; i++)
        if (ags[i].coll_rowid == coll_rowid && strcmp(ags[i].party, party) == 0) return 1;
    return 0;
}

/* Turn the grants the store filled into c into what u may do there, and return whether u sees
 * the collection at all. Reading needs a reading role, writing an analyst. A partner node's
 * only door is a sharing agreement with its party (DESIGN "Sharing agreements"): it sees and
 * reads exactly the collections one covers, grants do not count, and it never writes. An admin
 * by itself still sees its granted collections, flagged neither readable nor writable. */
static int access_apply(const store_user *u, int covered, store_collection *c) {
    if (user_is_partner(u)) {
        c->can_read = covered;
        c->can_write = 0;
        return covered;
    }
    int visible = c->can_read || c->can_write;
    c->can_read = c->can_read && user_reads(u);
    c->can_write = c->can_write && user_writes(u);
    return visible;
}

/* The principal u reads objects as (issue 3 "The decision"), at now_us. An account whose roles
 * read no objects (an admin by itself) gets 403 here, before anything about a collection or an
 * object is looked up; a store failure 500. Returns 0, or -1 with r filled. */
static int principal_of(taxii_server *srv, store *s, const store_user *u, int64_t now_us, policy_principal *p,
                        reply *r) {
    enlace_err err;
    if (!user_reads(u)) {
        reply_error(r, 403, "your roles do not allow reading objects (an admin account manages the node only)");
        return -1;
    }
    int rc = store_principal_for_user(s, u, now_us, p, &err);
    if (rc == ENLACE_EDENIED) {
        reply_error(r, 403, "your roles do not allow reading objects (an admin account manages the node only)");
        return -1;
    }
    if (rc != 0) {
        reply_500(srv, r, "principal", &err);
        return -1;
    }
    return 0;
}

/* ---- query parameters ----------------------------------------------------------------------- */

typedef struct params {
    taxii_param p[MAX_PARAMS];
    size_t n;
    int overflow;
    int has_nul;  /* a name or value held a %00: MHD's C strings would silently cut it short */
} params;

static enum MHD_Result collect_param(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                     const char *value, size_t value_size) {
    (void)kind;
    params *ps = cls;
    if (strlen(key) != key_size || (value && strlen(value) != value_size)) {
        ps->has_nul = 1;
        return MHD_NO;
    }
    if (ps->n == MAX_PARAMS) {
        ps->overflow = 1;
        return MHD_NO;
    }
    ps->p[ps->n].key = key;
    ps->p[ps->n].value = value;
    ps->n++;
    return MHD_YES;
}

/* ---- simple resources (T§4.1, T§4.2, T§4.3, T§5.1, T§5.2) ----------------------------------- */

static void serve_discovery(taxii_server *srv, reply *r) {
    enlace_buf *b = &r->body;
    r->status = 200;
    enlace_buf_puts(b, "{\"title\":");
    enlace_buf_printf(b, "\"enlace node%s%s\"", srv->party[0] ? " " : "", srv->party);
    enlace_buf_puts(b, ",\"description\":");
    char d[400];
    snprintf(d, sizeof d, "STIX 2.1 over TAXII 2.1%s%s", srv->org[0] ? " for " : "", srv->org);
    enlace_buf_json_str(b, d);
    enlace_buf_puts(b, ",\"default\":\"/api/\",\"api_roots\":[\"/api/\"]}");
}

static void serve_api_root(taxii_server *srv, reply *r) {
    enlace_buf *b = &r->body;
    r->status = 200;
    enlace_buf_puts(b, "{\"title\":");
    char t[300];
    snprintf(t, sizeof t, "enlace API root%s%s", srv->org[0] ? " of " : "", srv->org);
    enlace_buf_json_str(b, t);
    enlace_buf_printf(b,
                      ",\"description\":\"Collections of STIX 2.1 objects shared through this node\""
                      ",\"versions\":[\"" TAXII_MEDIA_TYPE "\"],\"max_content_length\":%zu}",
                      srv->cfg.max_content_length);
}

static void serve_status(taxii_server *srv, store *s, const route *rt, const store_user *u, reply *r) {
    char *json = NULL;
    enlace_err err;
    int rc = store_status_get(s, rt->status_id, u->rowid, enlace_clock_now_us(), TAXII_STATUS_TTL_US, &json, &err);
    if (rc == ENLACE_ENOTFOUND) return reply_error(r, 404, "no such status resource");
    if (rc != 0) return reply_500(srv, r, "status lookup", &err);
    r->status = 200;
    enlace_buf_puts(&r->body, json);
    free(json);
}

/* GET /enlace/v1/directory: any authenticated principal (what it says is public to partners). */
static void serve_directory(taxii_server *srv, store *s, reply *r) {
    if (!srv->has_node_key) return reply_error(r, 503, "this node has no signing key (node.key); no directory");
    enlace_err err;
    int rc = taxii_directory_build(srv, s, enlace_clock_now_us(), &r->body, &err);
    if (rc != 0) return reply_500(srv, r, "directory", &err);
    r->status = 200;
}

/* GET /enlace/v1/epoch: a partner node's policy epoch (fed_http.c); 403 for other accounts. */
static void serve_epoch(taxii_server *srv, store *s, const store_user *u, reply *r) {
    enlace_err err;
    enlace_err_clear(&err);
    enlace_buf_free(&r->body);
    taxii_epoch_serve(s, u, &r->status, &r->body, &err);
    if (r->status >= 500) reply_500(srv, r, "policy epoch", &err);
}

/* A mirror collection of a partner's is read-only on this node (issue 5): fills r with 403 and
 * returns -1 when c is one (500 when the store fails), else 0. */
static int refuse_mirror(taxii_server *srv, store *s, const store_collection *c, reply *r) {
    enlace_err err;
    char party[POLICY_PARTY_LEN];
    int yes = 0;
    if (store_collection_is_mirror(s, c->rowid, &yes, party, &err) != 0) {
        reply_500(srv, r, "mirror lookup", &err);
        return -1;
    }
    if (!yes) return 0;
    char msg[128];
    snprintf(msg, sizeof msg, "this collection is a read-only mirror of partner %s", party);
    reply_error(r, 403, msg);
    return -1;
}

static void collection_json(enlace_buf *b, const store_collection *c) {
    enlace_buf_puts(b, "{\"id\":");
    enlace_buf_json_str(b, c->id);
    enlace_buf_puts(b, ",\"title\":");
    enlace_buf_json_str(b, c->title);
    if (c->description[0]) {
        enlace_buf_puts(b, ",\"description\":");
        enlace_buf_json_str(b, c->description);
    }
    if (c->alias[0]) {
        enlace_buf_puts(b, ",\"alias\":");
        enlace_buf_json_str(b, c->alias);
    }
    enlace_buf_printf(b, ",\"can_read\":%s,\"can_write\":%s,\"media_types\":[\"" STIX_MEDIA_21 "\"]}",
                      c->can_read ? "true" : "false", c->can_write ? "true" : "false");
}

static void serve_collections(taxii_server *srv, store *s, const store_user *u, reply *r) {
    store_collection *cs = NULL;
    store_agreement *ags = NULL;
    size_t n = 0, n_ags = 0;
    enlace_err err;
    int partner = user_is_partner(u);
    /* A partner's collections are those its agreements cover: list them all, keep those. */
    if (store_collection_list(s, partner ? 0 : u->rowid, &cs, &n, &err) != 0 ||
        (partner && store_agreement_list(s, &ags, &n_ags, &err) != 0)) {
        free(cs);
        return reply_500(srv, r, "collection list", &err);
    }
    r->status = 200;
    enlace_buf_puts(&r->body, "{");
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        if (!access_apply(u, partner && agreement_covers(ags, n_ags, u->party, cs[i].rowid), &cs[i])) continue;
        enlace_buf_puts(&r->body, shown++ ? "," : "\"collections\":[");
        collection_json(&r->body, &cs[i]);
    }
    enlace_buf_puts(&r->body, shown ? "]}" : "}");  /* no collections: {} (T§5.1.1) */
    free(cs);
    free(ags);
}

/* Find the collection the route names as seen by u, its flags set by u's roles (access_apply).
 * Fills r with 404/500 and returns -1 when it is unknown or invisible (no grant; for a partner
 * no agreement), so its existence never leaks (T App. B). */
static int find_collection(taxii_server *srv, store *s, const route *rt, const store_user *u, store_collection *c,
                           reply *r) {
    enlace_err err;
    int rc = store_collection_find(s, rt->coll, u->rowid, c, &err);
    int covered = 0;
    if (rc == 0 && user_is_partner(u)) {
        store_agreement *ags = NULL;
        size_t n_ags = 0;
        rc = store_agreement_list(s, &ags, &n_ags, &err);
        covered = rc == 0 && agreement_covers(ags, n_ags, u->party, c->rowid);
        free(ags);
    }
    if (rc == ENLACE_ENOTFOUND || (rc == 0 && !access_apply(u, covered, c))) {
        reply_error(r, 404, "no such collection");
        return -1;
    }
    if (rc != 0) {
        reply_500(srv, r, "collection lookup", &err);
        return -1;
    }
    return 0;
}

/* ---- the audit log (issue 4) ------------------------------------------------------------------ */

/* Record a request in the audit log before its response goes out (DESIGN invariant 5): allowed
 * when r is a success, denied (with the status title) when r refuses it; a failure of ours (5xx)
 * served nothing and is not recorded. The read transaction on s ends first, so the log writer's
 * checkpoint never waits for a reader that waits for it. When the log cannot take the entries,
 * r becomes a 500: nothing is served unlogged. */
static void audit_request(taxii_server *srv, store *s, taxii_audit_rec *rec, reply *r) {
    if (!srv->audit || r->status >= 500) return;
    if (r->status >= 400) taxii_audit_rec_deny(rec, taxii_status_title((int)r->status));
    enlace_err err;
    if (s && store_read_end(s, &err) != 0) taxii_log(srv, "ending a read: %s", err.msg);
    if (taxii_audit_rec_log(rec, srv->audit, srv->party, &err) != 0) {
        r->keep_pb = 0;
        reply_500(srv, r, "audit log", &err);
    }
}

/* A refused request that names no object (a POST refused before its body, ...). */
static void audit_refusal(taxii_server *srv, const store_user *u, const char *action, const char *coll, reply *r) {
    if (!srv->audit || r->status < 400 || r->status >= 500 || r->status == 401) return;
    taxii_audit_rec rec;
    taxii_audit_rec_init(&rec, u->name, u->org, u->party, action, coll, enlace_clock_now_us());
    audit_request(srv, NULL, &rec, r);
    taxii_audit_rec_free(&rec);
}

/* A refused POST whose body was read (not JSON, not an envelope, too many objects, too large):
 * the user and collection come from what post_precheck kept in req. */
static void audit_post_refusal(taxii_server *srv, const taxii_request *req, reply *r) {
    store_user u;
    memset(&u, 0, sizeof u);
    snprintf(u.name, sizeof u.name, "%s", req->user_name);
    snprintf(u.org, sizeof u.org, "%s", req->user_org);
    snprintf(u.party, sizeof u.party, "%s", req->user_party);
    audit_refusal(srv, &u, AUDIT_WRITE, req->coll_id, r);
}

/* A read entry held with r (taxii_access commits it through the group commit before the reply
 * goes out), for a GET that names no object version: the collection resource, a status
 * resource, a GET refused before it was served. Allowed when r is a success, denied with the
 * status title otherwise; a 5xx served nothing and is not recorded. what, when non-NULL, is the
 * entry's reason on success (e.g. the status resource read). */
typedef struct held_rec {
    taxii_audit_rec rec;  /* first: r->audit points here and is freed as one block */
    char reason[96];
} held_rec;

static void audit_hold_read(taxii_server *srv, const store_user *u, const char *coll, const char *what, reply *r) {
    if (!srv->audit || r->status >= 500 || r->status == 401 || r->audit) return;
    held_rec *h = malloc(sizeof *h);
    if (!h) return reply_error(r, 500, "out of memory");
    taxii_audit_rec_init(&h->rec, u->name, u->org, u->party, AUDIT_READ, coll, enlace_clock_now_us());
    if (what) {
        snprintf(h->reason, sizeof h->reason, "%s", what);
        h->rec.base.reason = h->reason;
    }
    if (r->status >= 400) taxii_audit_rec_deny(&h->rec, taxii_status_title((int)r->status));
    r->audit = &h->rec;
}

/* GET /enlace/v1/audit/...: tree heads, proofs and entries (audit_http.c), to any authenticated
 * principal; an entry is shown in full only to whom it concerns. */
static void serve_audit(taxii_server *srv, store *s, const char *url, const store_user *u, const params *ps,
                        reply *r) {
    taxii_audit_caller who = {u->name, u->party, (u->roles & STORE_ROLE_PARTNER) != 0, !srv->has_node_key};
    taxii_audit_reply ar = {500, ENLACE_BUF_INIT, NULL};
    enlace_err err;
    enlace_err_clear(&err);
    taxii_audit_serve(s, url, ps->p, ps->n, &who, &ar, &err);
    if (ar.status >= 500) taxii_log(srv, "audit: %s", err.msg);
    enlace_buf_free(&r->body);
    r->status = ar.status;
    r->body = ar.body;
    r->ctype = ar.ctype;
}

/* ---- manifest, objects, object, versions (T§5.3, T§5.4, T§5.6, T§5.8) ---------------------- */

typedef struct page_ctx {
    route_kind kind;
    enlace_buf *b;
    size_t count;
    int64_t first_us, last_us;
    taxii_audit_rec *rec;     /* the versions delivered, for the audit log */
    enlace_buf *relayed;      /* partner reads of objects: "id":"PARTY" of each version whose
                               * originator party is not this node's (NULL: not collected) */
    const char *node_party;
} page_ctx;

/* store_row_fn: append one row to the response being built, streaming stored text as is. */
static int page_row(void *ctx, const store_row *row) {
    page_ctx *p = ctx;
    enlace_buf *b = p->b;
    if (p->count == 0) {
        enlace_buf_puts(b, p->kind == R_VERSIONS ? "{\"versions\":[" : "{\"objects\":[");
        p->first_us = row->date_added;
    } else {
        enlace_buf_append(b, ",", 1);
    }
    if (p->kind == R_OBJECTS || p->kind == R_OBJECT) {
        enlace_buf_append(b, row->body, row->body_len);
    } else if (p->kind == R_VERSIONS) {
        enlace_buf_json_str(b, row->version);
    } else {
        char ts[TAXII_TIME_LEN];
        taxii_time_format(row->date_added, ts);
        enlace_buf_puts(b, "{\"id\":");
        enlace_buf_json_str(b, row->id);
        enlace_buf_printf(b, ",\"date_added\":\"%s\",\"version\":", ts);
        enlace_buf_json_str(b, row->version);
        enlace_buf_puts(b, ",\"media_type\":");
        char mt[64];
        snprintf(mt, sizeof mt, "application/stix+json;version=%s", row->spec_version);
        enlace_buf_json_str(b, mt);
        enlace_buf_puts(b, "}");
    }
    if (p->relayed && row->orig_party && strcmp(row->orig_party, p->node_party) != 0) {
        if (p->relayed->len) enlace_buf_append(p->relayed, ",", 1);
        enlace_buf_json_str(p->relayed, row->id);
        enlace_buf_append(p->relayed, ":", 1);
        enlace_buf_json_str(p->relayed, row->orig_party);
    }
    p->last_us = row->date_added;
    p->count++;
    if (p->rec && taxii_audit_rec_add(p->rec, row->orig_party, row->id, row->version) != 0) return 1;
    return b->oom ? 1 : 0;
}

static taxii_endpoint endpoint_of(route_kind k) {
    switch (k) {
    case R_MANIFEST: return TAXII_EP_MANIFEST;
    case R_OBJECT: return TAXII_EP_OBJECT;
    case R_VERSIONS: return TAXII_EP_VERSIONS;
    default: return TAXII_EP_OBJECTS;
    }
}

/* Objects, manifest, object, versions: one store query with the principal on it, so only what
 * the decision allows is matched, counted and paged (issue 3 must-have 1; DESIGN invariant 3):
 * an object the principal may not read is 404 exactly like a missing one. */
static void serve_page_read(taxii_server *srv, store *s, const route *rt, const store_user *u, const params *ps,
                            reply *r, taxii_audit_rec *rec) {
    policy_principal pr;
    if (principal_of(srv, s, u, enlace_clock_now_us(), &pr, r) != 0) return;
    store_collection c;
    if (find_collection(srv, s, rt, u, &c, r) != 0) return;
    if (rec) taxii_audit_rec_collection(rec, c.id);
    if (!c.can_read) return reply_error(r, 403, "you may not read this collection");
    const char *object_id = (rt->kind == R_OBJECT || rt->kind == R_VERSIONS) ? rt->obj : NULL;
    taxii_endpoint ep = endpoint_of(rt->kind);
    taxii_filter f;
    enlace_err err;
    int rc = taxii_filter_parse(ep, ps->p, ps->n, srv->cfg.page_limit, srv->cfg.page_max, &f, &err);
    if (rc == ENLACE_EINVAL) return reply_error(r, 400, err.msg);
    if (rc != 0) return reply_500(srv, r, "query parameters", &err);

    unsigned char qhash[32];
    taxii_filter_hash(&f, ep, c.id, object_id, qhash);
    store_query q;
    taxii_filter_to_query(&f, c.rowid, object_id, &q);
    q.principal = &pr;
    if (f.next) {
        int64_t pos = 0;
        if (taxii_cursor_decode(srv->cursor_key, f.next, qhash, u->rowid, &pos, &err) != 0) {
            taxii_filter_free(&f);
            return reply_error(r, 400, "invalid next");
        }
        if (pos > q.after_us) q.after_us = pos;
    }
    /* Objects served to a partner node carry, in the envelope's custom property
     * x_enlace_originators (TAXII 2.1 §3.1: custom properties on resources), the originator
     * party of each object this node relays from another party, so that the puller keeps the
     * real originator (issue 5 must-have 2) instead of crediting us. Other clients ignore it. */
    enlace_buf relayed = ENLACE_BUF_INIT;
    int want_relayed = rt->kind == R_OBJECTS && (u->roles & STORE_ROLE_PARTNER);
    page_ctx p = {rt->kind, &r->body, 0, 0, 0, rec, want_relayed ? &relayed : NULL, pr.node_party};
    if (!r->body.p && (r->pb = taxii_page_buf_take(srv)) != NULL && r->pb->p) {
        /* the buffer of an earlier page of some walk: already mapped and large enough */
        r->body = (enlace_buf){r->pb->p, 0, r->pb->cap, 0};
        r->body.p[0] = '\0';
        r->pb->p = NULL;
        r->pb->cap = 0;
    }
    enlace_buf_reserve(&r->body, 64 * 1024);  /* skip the first doublings of a typical page */
    int more = 0;
    rc = store_query_objects(s, &q, page_row, &p, &more, &err);
    int had_next = f.next != NULL;
    taxii_filter_free(&f);
    if (rc != 0 || relayed.oom) {
        enlace_buf_free(&relayed);
        return reply_500(srv, r, "object query", &err);
    }
    /* T§5.6/§5.8: an object with no version visible under these filters is "not found", the same
     * answer as for a deleted or never-stored one. A page reached through `next` may be empty. */
    if (p.count == 0 && object_id && !had_next) return reply_error(r, 404, "no such object");
    r->status = 200;
    enlace_buf_puts(&r->body, p.count ? "]," : "{");
    if (relayed.len) {
        enlace_buf_puts(&r->body, "\"x_enlace_originators\":{");
        enlace_buf_append(&r->body, relayed.p, relayed.len);
        enlace_buf_puts(&r->body, "},");
    }
    enlace_buf_free(&relayed);
    enlace_buf_printf(&r->body, "\"more\":%s", more ? "true" : "false");
    if (more && p.count) {
        r->keep_pb = 1;  /* the client is expected back for the next page */
        char cur[TAXII_CURSOR_MAX];
        taxii_cursor_encode(srv->cursor_key, p.last_us, qhash, u->rowid, cur);
        enlace_buf_printf(&r->body, ",\"next\":\"%s\"", cur);
    }
    enlace_buf_puts(&r->body, "}");
    if (p.count) {  /* T§3.2: date_added of the first and last item of this response */
        char ts[TAXII_TIME_LEN];
        taxii_time_format(p.first_us, ts);
        reply_header(r, "X-TAXII-Date-Added-First", ts);
        taxii_time_format(p.last_us, ts);
        reply_header(r, "X-TAXII-Date-Added-Last", ts);
    }
}

/* A read, recorded in the audit log (issue 4): one entry per originator party of the versions
 * delivered, or one saying nothing was (a refusal, an empty page). */
static void serve_page(taxii_server *srv, store *s, const route *rt, const store_user *u, const params *ps,
                       reply *r) {
    if (!srv->audit) return serve_page_read(srv, s, rt, u, ps, r, NULL);
    taxii_audit_rec *rec = malloc(sizeof *rec);
    if (!rec) return reply_error(r, 500, "out of memory");
    taxii_audit_rec_init(rec, u->name, u->org, u->party, AUDIT_READ, rt->coll, enlace_clock_now_us());
    serve_page_read(srv, s, rt, u, ps, r, rec);
    if (r->status >= 500) {  /* nothing served: nothing to record */
        taxii_audit_rec_free(rec);
        free(rec);
        return;
    }
    if (r->status >= 400) taxii_audit_rec_deny(rec, taxii_status_title((int)r->status));
    r->audit = rec;  /* taxii_access commits it before the reply goes out */
}

/* ---- replies held for the audit log ------------------------------------------------------------ */

/* audit_done_fn: the entries of a held reply are committed (or failed): resume its connection. */
static void held_committed(void *ctx, int rc, const enlace_err *err) {
    taxii_request *req = ctx;
    taxii_server *srv = req->srv;
    if (rc) taxii_log(srv, "audit log: %s", err ? err->msg : "failed");
    pthread_mutex_lock(&srv->mu);
    req->audit_rc = rc;
    req->audit_done = 1;
    if (req->suspended) MHD_resume_connection(req->conn);
    pthread_mutex_unlock(&srv->mu);
}

static enum MHD_Result send_held(taxii_server *srv, struct MHD_Connection *conn, taxii_request *req) {
    reply *r = req->held;
    req->held = NULL;
    if (req->audit_rc) {  /* not in the log: not sent (DESIGN invariant 5) */
        r->keep_pb = 0;
        reply_500(srv, r, "audit log", NULL);
    }
    enum MHD_Result ret = reply_send(conn, r);
    free(r);
    return ret;
}

/* Send r once its audit entries are durable: queue them on the log's group commit and suspend
 * the connection until the batch that holds them is committed (taxii_access sends it then). */
static enum MHD_Result reply_after_audit(taxii_server *srv, struct MHD_Connection *conn, taxii_request *req,
                                         reply *r) {
    taxii_audit_rec *rec = r->audit;
    r->audit = NULL;
    reply *held = malloc(sizeof *held);
    enlace_err err;
    int rc = held ? 0 : enlace_err_set(&err, ENLACE_ENOMEM, "out of memory");
    if (rc == 0) {
        *held = *r;  /* takes over the body and the page buffer */
        req->held = held;
        req->conn = conn;
        req->srv = srv;
        req->audit_done = req->suspended = 0;
        rc = taxii_audit_rec_log_async(rec, srv->audit, srv->party, held_committed, req, &err);
        if (rc) {
            req->held = NULL;
            *r = *held;
            free(held);
        }
    }
    taxii_audit_rec_free(rec);
    free(rec);
    if (rc) {
        r->keep_pb = 0;
        reply_500(srv, r, "audit log", &err);
        return reply_send(conn, r);
    }
    pthread_mutex_lock(&srv->mu);
    int done = req->audit_done;
    if (!done) {
        MHD_suspend_connection(conn);
        req->suspended = 1;
    }
    pthread_mutex_unlock(&srv->mu);
    return done ? send_held(srv, conn, req) : MHD_YES;
}

/* ---- DELETE (T§5.7) --------------------------------------------------------------------------- */

/* 200 with an empty JSON object as body: T§5.7 defines no response resource, and "{}" keeps the
 * body valid for the media type every response carries. */
static void serve_delete(taxii_server *srv, store *s, const route *rt, const store_user *u, const params *ps,
                         reply *r) {
    policy_principal pr;
    if (principal_of(srv, s, u, enlace_clock_now_us(), &pr, r) != 0) return;
    store_collection c;
    if (find_collection(srv, s, rt, u, &c, r) != 0 || refuse_mirror(srv, s, &c, r) != 0) return;
    if (!c.can_read || !c.can_write) return reply_error(r, 403, "deleting needs read and write access");
    taxii_filter f;
    enlace_err err;
    int rc = taxii_filter_parse(TAXII_EP_DELETE, ps->p, ps->n, srv->cfg.page_limit, srv->cfg.page_max, &f, &err);
    if (rc == ENLACE_EINVAL) return reply_error(r, 400, err.msg);
    if (rc != 0) return reply_500(srv, r, "query parameters", &err);
    store_query q;
    taxii_filter_to_query(&f, c.rowid, rt->obj, &q);
    q.after_us = -1;
    q.principal = &pr;  /* what the principal may not see is "not found"; what it sees but did
                         * not originate is refused (issue 3: only the creator versions or
                         * removes an object) */
    size_t n = 0;
    /* the versions go and their audit entry (about the object's originator party) comes, in
     * one transaction (issue 4 must-have 1) */
    char orig[POLICY_PARTY_LEN] = "";
    int audited = srv->audit != NULL;
    rc = audited ? store_audit_begin(s, &err) : 0;
    if (rc == 0 && audited) rc = store_audit_originator(s, rt->obj, orig, &err);
    if (rc == 0) rc = store_delete_object(s, &q, &n, &err);
    if (rc == 0 && audited) {
        taxii_audit_rec rec;
        char why[64];
        snprintf(why, sizeof why, "%zu version%s", n, n == 1 ? "" : "s");
        taxii_audit_rec_init(&rec, u->name, u->org, u->party, AUDIT_DELETE, c.id, enlace_clock_now_us());
        rec.base.reason = why;
        if (taxii_audit_rec_add(&rec, orig[0] ? orig : u->party, rt->obj, "") != 0)
            rc = enlace_err_set(&err, ENLACE_ENOMEM, "out of memory");
        if (rc == 0) rc = taxii_audit_rec_append_tx(&rec, s, srv->party, &err);
        if (rc == 0) rc = store_audit_commit(s, &err);
        taxii_audit_rec_free(&rec);
    }
    if (rc != 0 && audited) store_audit_rollback(s);
    taxii_filter_free(&f);
    if (rc == ENLACE_ENOTFOUND) return reply_error(r, 404, "no such object");
    if (rc == ENLACE_EDENIED) return reply_error(r, 403, "only the originator may delete");
    if (rc == ENLACE_EINVAL) return reply_error(r, 400, err.msg);
    if (rc != 0) return reply_500(srv, r, "delete", &err);
    r->status = 200;
    enlace_buf_puts(&r->body, "{}");
}

/* ---- POST (T§5.5) ----------------------------------------------------------------------------- */

/* One status-details entry (T§4.3.1), without a separator. */
static void detail_json(enlace_buf *b, const char *id, const char *version, const char *message) {
    enlace_buf_puts(b, "{\"id\":");
    enlace_buf_json_str(b, id);
    enlace_buf_puts(b, ",\"version\":");
    enlace_buf_json_str(b, version);
    if (message && *message) {
        enlace_buf_puts(b, ",\"message\":");
        enlace_buf_json_str(b, message);
    }
    enlace_buf_puts(b, "}");
}

/* Append one status-details entry to a list being built, comma-separated. */
static void status_detail(enlace_buf *b, const char *id, const char *version, const char *message) {
    if (b->len) enlace_buf_append(b, ",", 1);
    detail_json(b, id, version, message);
}

/* The version a status entry reports for an element we could not store: modified, else created,
 * else "" (T§4.3.1). */
static const char *element_version(json_object *o) {
    const char *v = stix_json_str(o, "modified");
    if (!v) v = stix_json_str(o, "created");
    return v ? v : "";
}

/* The distinct markings of an envelope's objects. A stix_marking is ~2 KB and most envelopes
 * mark their objects alike (ATT&CK: one statement on every object), so an object whose
 * markings equal the last distinct ones shares them, and an unmarked object has none. */
typedef struct marking_pool {
    stix_marking *m;
    size_t n, cap;
} marking_pool;

/* Extract obj's markings (stix_marking_extract) and set *ref to their 1-based place in the pool,
 * 0 when obj carries none. Returns 0; -1 with reason when the handling extension is malformed;
 * ENLACE_ENOMEM. */
static int marking_pool_add(marking_pool *pool, json_object *obj, size_t *ref, char *reason, size_t reason_len) {
    stix_marking mk;
    memset(&mk, 0, sizeof mk);  /* zeroed so that equal markings compare equal byte for byte */
    if (stix_marking_extract(obj, &mk, reason, reason_len) != 0) return -1;
    if (mk.tlp == STIX_TLP_NONE && !mk.has_releasable_to && !mk.has_releasable_to_orgs && !mk.orcon &&
        !mk.vetted_only && !mk.purpose[0] && !mk.review_by_us && mk.n_unknown == 0) {
        *ref = 0;
        return 0;
    }
    if (pool->n && memcmp(&pool->m[pool->n - 1], &mk, sizeof mk) == 0) {
        *ref = pool->n;
        return 0;
    }
    if (pool->n == pool->cap) {
        size_t cap = pool->cap ? pool->cap * 2 : 8;
        stix_marking *p = realloc(pool->m, cap * sizeof *p);
        if (!p) return ENLACE_ENOMEM;
        pool->m = p;
        pool->cap = cap;
    }
    pool->m[pool->n++] = mk;
    *ref = pool->n;
    return 0;
}

/* Parse the body into *root (T§5.5). The strict I-JSON check runs first (T§1.6.7): enlace serves
 * the received bytes as they are, so it must refuse what json-c would quietly accept (NaN, raw
 * control characters, lone surrogates, duplicate member names, overlong UTF-8). On failure fills
 * r (400 syntax / 422 nesting) and returns -1. */
static int parse_envelope(taxii_server *srv, const char *body, size_t len, json_object **root, reply *r) {
    char msg[256], why[128];
    size_t at = 0;
    int crc = stix_json_check(body, len, srv->cfg.max_depth, &at, why, sizeof why);
    if (crc == STIX_JSON_EDEPTH) {
        snprintf(msg, sizeof msg, "the body nests JSON deeper than %d levels", srv->cfg.max_depth);
        reply_error(r, 422, msg);
        return -1;
    }
    if (crc == STIX_JSON_ENOMEM) {
        reply_error(r, 500, "out of memory");
        return -1;
    }
    if (crc != STIX_JSON_OK) {
        snprintf(msg, sizeof msg, "invalid JSON: %s at byte %zu", why, at);
        reply_error(r, 400, msg);
        return -1;
    }
    /* json-c refuses a document once its nesting reaches max_depth - 1 containers, so ask for one
     * more level than we allow: exactly max_depth levels parse (the check above refused deeper). */
    json_tokener *tok = json_tokener_new_ex(srv->cfg.max_depth + 1);
    if (!tok) {
        reply_error(r, 500, "out of memory");
        return -1;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    *root = json_tokener_parse_ex(tok, body, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (jerr != json_tokener_success) {
        /* Only a disagreement between the two parsers gets here; json-c has the last word. */
        if (*root) json_object_put(*root);
        *root = NULL;
        snprintf(msg, sizeof msg, "invalid JSON: %s at byte %zu", json_tokener_error_desc(jerr), end);
        reply_error(r, 400, msg);
        return -1;
    }
    return 0;
}

static void maybe_purge(taxii_server *srv, store *s, int64_t now) {
    int due = 0;
    pthread_mutex_lock(&srv->mu);
    if (now - srv->last_purge_us > 3600LL * 1000000) {
        srv->last_purge_us = now;
        due = 1;
    }
    pthread_mutex_unlock(&srv->mu);
    enlace_err err;
    if (due && store_status_purge(s, now - TAXII_STATUS_PURGE_US, &err) != 0) taxii_log(srv, "status purge: %s", err.msg);
}

/* What the status resource of one POST is built from (handle_post's arrays). */
typedef struct post_status {
    const taxii_request *req;
    size_t n;                 /* elements in the envelope */
    const size_t *kof;        /* element i went to store input kof[i] - 1; 0: refused */
    const size_t *boff;       /* refused element i: its detail starts at bad->p + boff[i] */
    const enlace_buf *bad;
    const stix_meta *meta;
    int stored;               /* 0: the store failed, every stored-bound element is a failure */
    const char *sid;
    enlace_buf *body;         /* receives the status JSON (replaced on every call) */
    store *s;                 /* the POST's store (its transaction is open while status_build
                               * runs with stored = 1): the audit entries go in it; NULL: no log */
    const char *node_party;
} post_status;

/* The audit entries of a stored envelope (issue 4), appended in its transaction: the versions
 * stored (new or already there) and, denied, those refused (originator control, conflict), each
 * grouped by its id's originator party. Returns 0 or an enlace_code (the envelope is then not
 * kept). */
static int audit_post(const post_status *ps, const store_put_outcome *outs) {
    const taxii_request *req = ps->req;
    taxii_audit_rec ok, no;
    int64_t now = enlace_clock_now_us();
    taxii_audit_rec_init(&ok, req->user_name, req->user_org, req->user_party, AUDIT_WRITE, req->coll_id, now);
    taxii_audit_rec_init(&no, req->user_name, req->user_org, req->user_party, AUDIT_WRITE, req->coll_id, now);
    taxii_audit_rec_deny(&no, "refused (originator control or conflict)");
    enlace_err err;
    int rc = 0;
    for (size_t i = 0; i < ps->n && rc == 0; i++) {
        if (!ps->kof[i]) continue;
        const store_put_outcome *o = &outs[ps->kof[i] - 1];
        char party[POLICY_PARTY_LEN] = "";
        rc = store_audit_originator(ps->s, ps->meta[i].id, party, &err);
        if (rc == 0) {
            int good = o->result == STORE_ADDED || o->result == STORE_DUPLICATE;
            if (taxii_audit_rec_add(good ? &ok : &no, party[0] ? party : req->user_party, ps->meta[i].id,
                                    o->version) != 0)
                rc = ENLACE_ENOMEM;
        }
    }
    if (rc == 0 && ok.n) rc = taxii_audit_rec_append_tx(&ok, ps->s, ps->node_party, &err);
    if (rc == 0 && no.n) rc = taxii_audit_rec_append_tx(&no, ps->s, ps->node_party, &err);
    taxii_audit_rec_free(&ok);
    taxii_audit_rec_free(&no);
    return rc;
}

/* store_status_fn: build the status resource (T§4.3.1) into ps->body. Both lists follow the
 * envelope's order, so a client can pair entries with its elements. */
static int status_build(void *ctx, const store_put_outcome *outs, size_t n_outs, const char **json) {
    post_status *ps = ctx;
    (void)n_outs;
    size_t n_ok = 0, n_fail = 0;
    enlace_buf succ = ENLACE_BUF_INIT, fail = ENLACE_BUF_INIT;
    for (size_t i = 0; i < ps->n; i++) {
        if (!ps->kof[i]) {
            size_t end = i + 1 < ps->n ? ps->boff[i + 1] : ps->bad->len;
            if (fail.len) enlace_buf_append(&fail, ",", 1);
            enlace_buf_append(&fail, ps->bad->p + ps->boff[i], end - ps->boff[i]);
            n_fail++;
            continue;
        }
        size_t j = ps->kof[i] - 1;
        const stix_meta *m = &ps->meta[i];
        char msg[800];
        if (!ps->stored) {
            status_detail(&fail, m->id, m->has_version ? m->version : "", "not stored: the node's storage failed");
            n_fail++;
        } else if (outs[j].result == STORE_CONFLICT) {
            status_detail(&fail, m->id, outs[j].version,
                          outs[j].reason[0] ? outs[j].reason : "a different object is stored under this id and version");
            n_fail++;
        } else if (outs[j].result == STORE_REFUSED) {
            status_detail(&fail, m->id, outs[j].version,
                          outs[j].reason[0] ? outs[j].reason : "refused by originator control");
            n_fail++;
        } else {
            if (outs[j].result == STORE_DUPLICATE)
                snprintf(msg, sizeof msg, "already stored%s%s", m->warnings[0] ? "; " : "", m->warnings);
            else
                snprintf(msg, sizeof msg, "%s", m->warnings);
            status_detail(&succ, m->id, outs[j].version, msg);
            n_ok++;
        }
    }
    char ts[TAXII_TIME_LEN];
    taxii_time_format(ps->req->started_us, ts);
    enlace_buf *b = ps->body;
    enlace_buf_free(b);
    enlace_buf_reserve(b, 256 + succ.len + fail.len);
    enlace_buf_printf(b, "{\"id\":\"%s\",\"status\":\"complete\",\"request_timestamp\":\"%s\",\"total_count\":%zu,"
                         "\"success_count\":%zu",
                      ps->sid, ts, ps->n, n_ok);
    if (n_ok) {
        enlace_buf_puts(b, ",\"successes\":[");
        enlace_buf_append(b, succ.p, succ.len);
        enlace_buf_puts(b, "]");
    }
    enlace_buf_printf(b, ",\"failure_count\":%zu", n_fail);
    if (n_fail) {
        enlace_buf_puts(b, ",\"failures\":[");
        enlace_buf_append(b, fail.p, fail.len);
        enlace_buf_puts(b, "]");
    }
    enlace_buf_puts(b, ",\"pending_count\":0}");
    int oom = succ.oom || fail.oom || ps->bad->oom || b->oom;
    enlace_buf_free(&succ);
    enlace_buf_free(&fail);
    if (oom) return ENLACE_ENOMEM;
    if (ps->stored && ps->s) {
        int rc = audit_post(ps, outs);
        if (rc) return rc;
    }
    *json = b->p;
    return 0;
}

static void handle_post(taxii_server *srv, store *s, taxii_request *req, reply *r) {
    json_object *root = NULL, *arr = NULL;
    if (parse_envelope(srv, req->body ? req->body : "", req->len, &root, r) != 0) return;
    if (!json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return reply_error(r, 422, "the body is not a TAXII envelope (a JSON object)");
    }
    if (!json_object_object_get_ex(root, "objects", &arr) || !json_object_is_type(arr, json_type_array)) {
        json_object_put(root);
        return reply_error(r, 422, "the envelope has no 'objects' list");
    }
    size_t n = json_object_array_length(arr);
    if (n > srv->cfg.max_objects) {
        json_object_put(root);
        char msg[128];
        snprintf(msg, sizeof msg, "the envelope holds %zu objects; at most %zu are accepted", n, srv->cfg.max_objects);
        return reply_error(r, 422, msg);
    }
    stix_span *spans = calloc(n ? n : 1, sizeof *spans);
    stix_meta *meta = calloc(n ? n : 1, sizeof *meta);
    store_object_in *in = calloc(n ? n : 1, sizeof *in);
    store_put_outcome *outs = calloc(n ? n : 1, sizeof *outs);
    size_t *kof = calloc(n ? n : 1, sizeof *kof);   /* element i went to in[kof[i] - 1]; 0: refused */
    size_t *boff = calloc(n ? n : 1, sizeof *boff); /* refused element i: its detail in bad[boff[i]..] */
    size_t *mof = calloc(n ? n : 1, sizeof *mof);   /* store input j's markings: marks[mof[j] - 1]; 0: none */
    char *minified = malloc(req->len + 1);
    enlace_buf bad = ENLACE_BUF_INIT;
    marking_pool marks = {NULL, 0, 0};
    size_t n_spans = 0, k = 0;
    if (!spans || !meta || !in || !outs || !kof || !boff || !mof || !minified) {
        reply_error(r, 500, "out of memory");
        goto done;
    }
    if (stix_envelope_spans(req->body, req->len, spans, n, &n_spans) != 0 || n_spans != n) {
        reply_500(srv, r, "envelope scan", NULL);
        goto done;
    }
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *el = json_object_array_get_idx(arr, i);
        char reason[512];
        boff[i] = bad.len;
        if (!json_object_is_type(el, json_type_object)) {
            snprintf(reason, sizeof reason, "element %zu of 'objects' is not a JSON object", i);
            detail_json(&bad, "", "", reason);
            continue;
        }
        if (stix_validate(el, &meta[i], reason, sizeof reason) != 0) {
            const char *id = stix_json_str(el, "id");
            detail_json(&bad, id ? id : "", element_version(el), reason);
            continue;
        }
        /* Markings decide every later read: an object whose handling extension we cannot read
         * is refused, never stored with weaker handling than its author meant. */
        int mrc = marking_pool_add(&marks, el, &mof[k], reason, sizeof reason);
        if (mrc == ENLACE_ENOMEM) {
            reply_error(r, 500, "out of memory");
            goto done;
        }
        if (mrc != 0) {
            detail_json(&bad, meta[i].id, meta[i].has_version ? meta[i].version : "", reason);
            continue;
        }
        size_t mlen = stix_json_minify(req->body + spans[i].off, spans[i].len, minified + used);
        in[k] = (store_object_in){meta[i].id, meta[i].type, meta[i].spec_version, meta[i].has_version,
                                  meta[i].version, meta[i].version_key, minified + used, mlen,
                                  meta[i].created_by_ref[0] ? meta[i].created_by_ref : NULL, NULL,
                                  strcmp(meta[i].type, "marking-definition") == 0 ? stix_marking_definition_tlp(el)
                                                                                   : STIX_TLP_NONE,
                                  NULL};
        used += mlen;
        kof[i] = ++k;
    }
    /* The pool is final now: point each input at its markings. */
    for (size_t j = 0; j < k; j++) in[j].marking = mof[j] ? &marks.m[mof[j] - 1] : NULL;
    /* The parsed tree is no longer needed: drop it before the store work to cut peak memory. */
    json_object_put(root);
    root = NULL;
    int64_t now = enlace_clock_now_us();
    enlace_err err;
    char sid[STIX_UUID_STR];
    stix_uuid4(sid);
    post_status ps = {req, n, kof, boff, &bad, meta, 1, sid, &r->body, srv->audit ? s : NULL, srv->party};
    const char *json = NULL;
    /* The status goes into the envelope's transaction: one durable commit per POST. */
    /* Objects are put on the node as the poster's organization (issue 3 "Originator"). */
    store_actor actor = {req->org_rowid, 0};
    int stored = k > 0 && store_put_objects_status(s, req->coll_rowid, &actor, in, k, now, outs, sid,
                                                   req->user_rowid, status_build, &ps, &err) == 0;
    if (!stored && k > 0 && err.code == ENLACE_EBUSY) {
        /* Nothing was kept and nothing is wrong with the objects: let the client repeat it. */
        reply_500(srv, r, "storing objects", &err);
        goto done;
    }
    if (!stored) {
        if (k > 0) taxii_log(srv, "storing %zu objects: %s", k, err.msg);
        /* Nothing of the envelope was kept (or it had nothing to keep): say so on its own. */
        ps.stored = k == 0;
        if (status_build(&ps, outs, k, &json) != 0) {
            reply_error(r, 500, "out of memory");
            goto done;
        }
        if (store_status_put(s, sid, req->user_rowid, json, now, &err) != 0) {
            reply_500(srv, r, "saving a status", &err);
            goto done;
        }
        if (srv->audit) {  /* an attempted write that stored nothing is recorded too */
            taxii_audit_rec rec;
            taxii_audit_rec_init(&rec, req->user_name, req->user_org, req->user_party, AUDIT_WRITE, req->coll_id, now);
            taxii_audit_rec_deny(&rec, k ? "not stored: storage failure" : "not stored: no valid object");
            int arc = taxii_audit_rec_log(&rec, srv->audit, srv->party, &err);
            taxii_audit_rec_free(&rec);
            if (arc != 0) {
                reply_500(srv, r, "audit log", &err);
                goto done;
            }
        }
    }
    r->status = 202;
    maybe_purge(srv, s, now);
done:
    enlace_buf_free(&bad);
    free(spans);
    free(meta);
    free(in);
    free(outs);
    free(kof);
    free(boff);
    free(mof);
    free(marks.m);
    free(minified);
    json_object_put(root);
#ifdef __GLIBC__
    /* json-c built a tree of the whole envelope out of tens of thousands of small blocks; once
     * freed they stay resident in this thread's malloc arena, and how much an arena keeps then
     * depends on which envelopes happened to meet in it, not on what is live. Give the free
     * pages back (about a millisecond per envelope, measured against ~50 ms to store one). */
    malloc_trim(0);
#endif
}

/* Checks a POST must pass before its body is read (T§5.5). Returns 1 when the body should be
 * collected, 0 when r holds the answer. */
static int post_precheck(taxii_server *srv, struct MHD_Connection *conn, store *s, const route *rt,
                         const store_user *u, taxii_request *req, reply *r) {
    if (!taxii_content_type_ok(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE))) {
        reply_error(r, 415, "the body must be application/taxii+json;version=2.1");
        return 0;
    }
    /* Only analysts write (issue 3 "Who is who"): refused before the body is read. */
    if (!user_writes(u)) {
        reply_error(r, 403, "your roles do not allow writing objects (only analysts write)");
        return 0;
    }
    store_collection c;
    if (find_collection(srv, s, rt, u, &c, r) != 0 || refuse_mirror(srv, s, &c, r) != 0) return 0;
    if (!c.can_write) {
        reply_error(r, 403, "you may not write to this collection");
        return 0;
    }
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end = NULL;
        unsigned long long v = strtoull(cl, &end, 10);
        if (end && *end == '\0' && v > srv->cfg.max_content_length) {
            char msg[128];
            snprintf(msg, sizeof msg, "the body is larger than max_content_length (%zu bytes)", srv->cfg.max_content_length);
            reply_error(r, 413, msg);
            return 0;
        }
        if (end && *end == '\0' && v > 0) {
            req->body = malloc((size_t)v + 1);
            req->cap = req->body ? (size_t)v + 1 : 0;
        }
    }
    req->user_rowid = u->rowid;
    req->org_rowid = u->org_rowid;
    req->coll_rowid = c.rowid;
    snprintf(req->user_name, sizeof req->user_name, "%s", u->name);
    snprintf(req->user_org, sizeof req->user_org, "%s", u->org);
    snprintf(req->user_party, sizeof req->user_party, "%s", u->party);
    snprintf(req->coll_id, sizeof req->coll_id, "%s", c.id);
    req->collecting = 1;
    return 1;
}

/* ---- the handler ------------------------------------------------------------------------------ */

static void unauthorized(reply *r) {
    reply_error(r, 401, "valid credentials are required");
    reply_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"enlace\", charset=\"UTF-8\"");
    reply_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"enlace\"");
}

/* Everything up to (not including) a POST body. Returns 1 to go on reading the body. */
static int first_call(taxii_server *srv, struct MHD_Connection *conn, const char *url, const char *method,
                      taxii_request *req, reply *r) {
    store *s = taxii_pool_borrow(srv);
    store_user u;
    enlace_err err;
    int go_on = 0;
    route rt;
    const char *authz = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (is_enlace_path(url)) r->ctype = ENLACE_MEDIA_JSON;  /* errors included, 401 too */
    /* A GET only reads (token, user, collection, objects): one read transaction for all of
     * them instead of one per lookup. POST and DELETE open their own write transactions. */
    int reading = strcmp(method, "GET") == 0;
    int rc = reading ? store_read_begin(s, &err) : 0;
    if (rc == 0) rc = taxii_authenticate(srv->auth, s, authz, enlace_clock_now_us(), &u, &err);
    if (rc == ENLACE_EAUTH) {
        unauthorized(r);
    } else if (rc != 0) {
        reply_500(srv, r, "authentication", &err);
    } else if (route_parse(url, &rt) != 0) {
        reply_error(r, 404, "no such resource");
    } else if (!method_allowed(rt.kind, method)) {
        reply_error(r, 405, "method not allowed here");
        reply_header(r, MHD_HTTP_HEADER_ALLOW, route_allow(rt.kind));
    } else if (rt.kind != R_AUDIT &&  /* audit resources answer whatever Accept says (docs/audit.md) */
               (rt.kind == R_DIRECTORY || rt.kind == R_EPOCH
                    ? !taxii_accept_json_ok(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT))
                    : !taxii_accept_ok(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT),
                                       rt.kind == R_MANIFEST))) {
        reply_error(r, 406, rt.kind == R_DIRECTORY || rt.kind == R_EPOCH ? "responses are application/json"
                                                   : "responses are application/taxii+json;version=2.1");
    } else if (strcmp(method, "POST") == 0) {
        go_on = post_precheck(srv, conn, s, &rt, &u, req, r);
        if (!go_on) audit_refusal(srv, &u, AUDIT_WRITE, rt.coll, r);  /* e.g. a liaison trying to write */
    } else {
        params ps = {.n = 0};
        MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, collect_param, &ps);
        if (ps.has_nul || ps.overflow) {
            reply_error(r, 400, ps.has_nul ? "a query parameter holds a NUL byte (%00)" : "too many query parameters");
            if (strcmp(method, "DELETE") == 0) {
                audit_refusal(srv, &u, AUDIT_DELETE, rt.coll, r);
            } else if (route_audited(rt.kind)) {
                audit_hold_read(srv, &u, rt.kind == R_STATUS ? "" : rt.coll, NULL, r);
            }
        } else if (strcmp(method, "DELETE") == 0) {
            serve_delete(srv, s, &rt, &u, &ps, r);
            if (r->status >= 400) audit_refusal(srv, &u, AUDIT_DELETE, rt.coll, r);
        } else {
            switch (rt.kind) {
            case R_DISCOVERY: serve_discovery(srv, r); break;
            case R_APIROOT: serve_api_root(srv, r); break;
            case R_STATUS: {
                char what[96];
                snprintf(what, sizeof what, "status %s", rt.status_id);
                serve_status(srv, s, &rt, &u, r);
                audit_hold_read(srv, &u, "", what, r);  /* it lists object ids */
                break;
            }
            case R_COLLECTIONS: serve_collections(srv, s, &u, r); break;
            case R_DIRECTORY: serve_directory(srv, s, r); break;
            case R_EPOCH: serve_epoch(srv, s, &u, r); break;
            case R_AUDIT: serve_audit(srv, s, url, &u, &ps, r); break;
            case R_COLLECTION: {
                store_collection c;
                int found = find_collection(srv, s, &rt, &u, &c, r) == 0;
                if (found) {
                    r->status = 200;
                    collection_json(&r->body, &c);
                }
                audit_hold_read(srv, &u, found ? c.id : rt.coll, NULL, r);
                break;
            }
            default: serve_page(srv, s, &rt, &u, &ps, r); break;
            }
        }
    }
    if (reading && store_read_end(s, &err) != 0) taxii_log(srv, "ending a read: %s", err.msg);
    taxii_pool_return(srv, s);
    return go_on;
}

enum MHD_Result taxii_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                             const char *version, const char *upload_data, size_t *upload_data_size,
                             void **con_cls) {
    (void)version;
    taxii_server *srv = cls;
    taxii_request *req = *con_cls;
    reply r = {.status = 500, .body = ENLACE_BUF_INIT};
    if (!req) {
        req = calloc(1, sizeof *req);
        if (!req) return MHD_NO;
        req->started_us = enlace_clock_now_us();
        *con_cls = req;
        pthread_mutex_lock(&srv->mu);
        srv->active++;
        pthread_mutex_unlock(&srv->mu);
        if (strcmp(method, "POST") != 0) return MHD_YES;  /* answered on a later call, see below */
        /* A POST is checked before its body is read, so a refusal (401, 404, 413, 415...) costs no
         * upload; libmicrohttpd then closes the connection, which is right for an unread body. */
        req->begun = 1;
        if (first_call(srv, conn, url, method, req, &r)) return MHD_YES;
        return reply_send(conn, &r);
    }
    if (!req->begun) {
        /* Other methods answer once the whole request is in: libmicrohttpd 0.9.75 keeps the
         * connection alive only for responses queued after the first call. A body sent with
         * GET or DELETE means nothing here and is dropped. */
        if (*upload_data_size) {
            *upload_data_size = 0;
            return MHD_YES;
        }
        req->begun = 1;
        first_call(srv, conn, url, method, req, &r);
        return r.audit ? reply_after_audit(srv, conn, req, &r) : reply_send(conn, &r);
    }
    if (req->held) {  /* resumed: its audit entries are committed (or failed) */
        pthread_mutex_lock(&srv->mu);
        int done = req->audit_done;
        pthread_mutex_unlock(&srv->mu);
        return done ? send_held(srv, conn, req) : MHD_YES;
    }
    if (!req->collecting) return MHD_NO;  /* a response was already queued */
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (req->too_big) return MHD_YES;
        if (req->len + n > srv->cfg.max_content_length) {
            /* Keep reading (and dropping) so the client gets a clean 413 at the end. */
            req->too_big = 1;
            free(req->body);
            req->body = NULL;
            req->len = req->cap = 0;
            return MHD_YES;
        }
        if (req->len + n + 1 > req->cap) {
            size_t cap = req->cap ? req->cap : 65536;
            while (cap < req->len + n + 1) cap *= 2;
            char *p = realloc(req->body, cap);
            if (!p) return MHD_NO;
            req->body = p;
            req->cap = cap;
        }
        memcpy(req->body + req->len, upload_data, n);
        req->len += n;
        req->body[req->len] = '\0';
        return MHD_YES;
    }
    req->collecting = 0;
    if (req->too_big) {
        char msg[128];
        snprintf(msg, sizeof msg, "the body is larger than max_content_length (%zu bytes)", srv->cfg.max_content_length);
        reply_error(&r, 413, msg);
    } else {
        store *s = taxii_pool_borrow(srv);
        handle_post(srv, s, req, &r);
        taxii_pool_return(srv, s);
    }
    /* a body refused as a whole (413, not JSON, not an envelope, too many objects) stored
     * nothing and wrote no entry yet: record the attempt */
    if (r.status >= 400) audit_post_refusal(srv, req, &r);
    return reply_send(conn, &r);
}

void taxii_request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode toe) {
    (void)conn;
    (void)toe;
    taxii_server *srv = cls;
    taxii_request *req = *con_cls;
    if (!req) return;
    pthread_mutex_lock(&srv->mu);
    srv->active--;
    pthread_mutex_unlock(&srv->mu);
    if (req->held) {  /* the connection went away before its reply was sent */
        reply *r = req->held;
        if (r->pb) {
            r->pb->p = NULL;
            r->pb->cap = 0;
            taxii_page_buf_release(r->pb);
        }
        enlace_buf_free(&r->body);
        free(r);
    }
    free(req->body);
    free(req);
    *con_cls = NULL;
}
