/* internal.h - state shared by server.c (daemon, store pool) and routes.c (request handling);
 * not part of the taxii module's public interface (that is server.h). */
#ifndef ENLACE_TAXII_INTERNAL_H
#define ENLACE_TAXII_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/log.h"
#include "store/store.h"
#include "taxii/auth.h"
#include "taxii/page.h"
#include "taxii/server.h"
#include "util/buf.h"

/* How long a status resource is served (T§4.3 asks for at least 24 hours; we keep a week so a
 * client back from a long weekend still finds it) and when it is purged (the same age). */
#define TAXII_STATUS_TTL_US (7LL * 24 * 3600 * 1000000)
#define TAXII_STATUS_PURGE_US TAXII_STATUS_TTL_US

/* Page buffers kept between the pages of one paging walk (routes.c serve_page): a page of up to
 * page_max objects is several MB, and building it in memory that is already mapped and large
 * enough skips the realloc growth, the page faults (~18% of server CPU while paging) and the
 * munmap each fresh buffer costs. A buffer is kept only after a page that says more=true (its
 * client is expected back for the next one) and freed after the last page, so an idle server
 * keeps none; at most TAXII_PAGE_BUFS are kept, each at most TAXII_PAGE_BUF_KEEP bytes. What
 * is kept depends on page_max and concurrency, never on the store size. */
#define TAXII_PAGE_BUFS 4
#define TAXII_PAGE_BUF_KEEP ((size_t)16 << 20)

typedef struct taxii_page_buf {
    struct taxii_server *srv;
    char *p;                          /* kept bytes (NULL: none); owned by the slot when idle */
    size_t cap;
    int busy;                         /* lent to a request or to a queued response (under mu) */
} taxii_page_buf;

struct taxii_server {
    taxii_config cfg;                 /* limits; string pointers are not used after start */
    struct MHD_Daemon *daemon;
    pthread_mutex_t mu;               /* guards the pool and last_purge_us */
    pthread_cond_t cv;                /* signalled when a connection is returned */
    store **pool;                     /* pool_n open connections */
    unsigned char *busy;              /* busy[i]: pool[i] is lent out */
    size_t pool_n;
    int64_t last_purge_us;
    size_t active;                    /* requests between first call and completion (under mu) */
    taxii_page_buf page_bufs[TAXII_PAGE_BUFS];  /* under mu */
    taxii_auth_cache *auth;
    unsigned char cursor_key[TAXII_CURSOR_KEY_LEN];
    char party[16];
    char org[256];
    char url[128];
    int has_node_key;                 /* node_sk holds the node's Ed25519 secret key */
    unsigned char node_sk[crypto_sign_SECRETKEYBYTES];
    audit_log *audit;                 /* the audit log's group-commit writer (NULL only with
                                       * cfg.audit_off, in benchmarks) */
};

/* Per-request state, MHD's *con_cls; freed by taxii_request_done. */
typedef struct taxii_request {
    int64_t started_us;       /* request_timestamp of a POST (T§4.3.1) */
    int begun;                /* first_call has run (POST: on the first call; others: later) */
    int collecting;           /* a POST passed its checks and its body is being read */
    int64_t user_rowid;
    int64_t org_rowid;        /* the poster's organization: the store_actor of a POST */
    int64_t coll_rowid;
    char *body;
    size_t len, cap;
    int too_big;              /* body exceeded max_content_length: answer 413 at the end */
    char user_name[128];      /* the poster, its organization and party, and the collection's
                               * id: the audit leaves of a POST (issue 4) */
    char user_org[128];
    char user_party[POLICY_PARTY_LEN];
    char coll_id[40];
    /* A response held while its audit entries are committed (issue 4: a read is durable in the
     * log before its response goes out): the connection is suspended meanwhile, so waiting for
     * the log's sync holds no worker thread and every waiting connection shares one batch. */
    void *held;               /* the reply (routes.c), or NULL */
    int audit_rc;             /* the log's result, set by the callback (under srv->mu) */
    int audit_done;           /* the callback ran (under srv->mu) */
    int suspended;            /* MHD_suspend_connection was called (under srv->mu) */
    struct MHD_Connection *conn;
    struct taxii_server *srv;
} taxii_request;

/* Lend a store connection to the calling thread (blocks while all are lent). Can't fail. */
store *taxii_pool_borrow(taxii_server *srv);
/* Give it back. */
void taxii_pool_return(taxii_server *srv, store *s);
/* Lend an idle page-buffer slot, preferring one that holds a kept buffer (p may be NULL). The
 * caller takes over p and cap; it either makes the slot hold a response body and passes
 * taxii_page_buf_release to MHD as that body's free callback, or sets p = NULL and calls
 * taxii_page_buf_release itself. Returns NULL when all slots are lent. */
taxii_page_buf *taxii_page_buf_take(taxii_server *srv);
/* MHD free callback of a response built on a page buffer (cls: the taxii_page_buf, whose p is
 * the response body): marks the slot idle, keeping p unless it is larger than
 * TAXII_PAGE_BUF_KEEP. */
void taxii_page_buf_release(void *cls);
/* Send one diagnostic line through cfg.log (printf-style). */
void taxii_log(taxii_server *srv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Read the node's Ed25519 secret key from path (base64, libsodium's 64-byte secret key, as
 * `enlace init` writes it; surrounding whitespace ignored) into sk. Returns 0;
 * ENLACE_ENOTFOUND when the file does not exist; ENLACE_EIO when it cannot be read or is not
 * such a key. The buffer that held the text is wiped. */
int taxii_node_key_load(const char *path, unsigned char sk[crypto_sign_SECRETKEYBYTES], enlace_err *err);

/* Build the body of GET /enlace/v1/directory into out (issue 3 "Who is who"; issue 5 pulls it):
 * {"payload": P, "signature": S, "public_key": K} where P is the JSON text
 * {"party", "node_organization", "issued", "organizations": [the STIX identity objects of the
 * organizations this node vouches for, TLP:CLEAR, as stored], "vettings": [{"organization",
 * "party", "vetted_by", "until"}] (the vettings this node's party made, expired ones included:
 * partners compare "until" themselves)}, S the base64 (RFC 4648 with padding) Ed25519 detached
 * signature of P's UTF-8 bytes with the node key and K the base64 public key. Timestamps are
 * TAXII/STIX timestamps (UTC, microseconds). Needs srv->has_node_key. Returns 0; ENLACE_EIO
 * when the store fails; ENLACE_ENOMEM. */
int taxii_directory_build(taxii_server *srv, store *s, int64_t now_us, enlace_buf *out, enlace_err *err);

/* MHD access handler (closure: the taxii_server). */
enum MHD_Result taxii_access(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                             const char *version, const char *upload_data, size_t *upload_data_size,
                             void **con_cls);
/* MHD completion callback: frees the taxii_request. */
void taxii_request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode toe);

#endif
