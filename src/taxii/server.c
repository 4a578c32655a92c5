/* server.c - start and stop the TAXII 2.1 HTTP server: listen address, TLS, libmicrohttpd thread
 * pool, the pool of store connections, node settings (cursor key, node key). */
#include "taxii/server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "taxii/internal.h"
#include "util/clock.h"

void taxii_config_defaults(taxii_config *c) {
    memset(c, 0, sizeof *c);
    c->listen = "127.0.0.1:8021";
    c->threads = 4;
    c->max_content_length = 10485760;
    c->page_limit = 1000;
    c->page_max = 10000;
    c->max_objects = 10000;
    c->max_depth = 64;
}

void taxii_log(taxii_server *srv, const char *fmt, ...) {
    if (!srv->cfg.log) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    srv->cfg.log(srv->cfg.log_ctx, line);
}

store *taxii_pool_borrow(taxii_server *srv) {
    pthread_mutex_lock(&srv->mu);
    for (;;) {
        for (size_t i = 0; i < srv->pool_n; i++)
            if (!srv->busy[i]) {
                srv->busy[i] = 1;
                pthread_mutex_unlock(&srv->mu);
                return srv->pool[i];
            }
        pthread_cond_wait(&srv->cv, &srv->mu);
    }
}

void taxii_pool_return(taxii_server *srv, store *s) {
    pthread_mutex_lock(&srv->mu);
    for (size_t i = 0; i < srv->pool_n; i++)
        if (srv->pool[i] == s) srv->busy[i] = 0;
    pthread_cond_signal(&srv->cv);
    pthread_mutex_unlock(&srv->mu);
}

taxii_page_buf *taxii_page_buf_take(taxii_server *srv) {
    taxii_page_buf *pb = NULL;
    pthread_mutex_lock(&srv->mu);
    /* an idle slot holding a buffer first, else any idle slot */
    for (int with_bytes = 1; with_bytes >= 0 && !pb; with_bytes--)
        for (size_t i = 0; i < TAXII_PAGE_BUFS && !pb; i++)
            if (!srv->page_bufs[i].busy && (!with_bytes || srv->page_bufs[i].p)) {
                pb = &srv->page_bufs[i];
                pb->busy = 1;
            }
    pthread_mutex_unlock(&srv->mu);
    return pb;
}

void taxii_page_buf_release(void *cls) {
    taxii_page_buf *pb = cls;
    pthread_mutex_lock(&pb->srv->mu);
    if (pb->cap > TAXII_PAGE_BUF_KEEP) {
        free(pb->p);
        pb->p = NULL;
        pb->cap = 0;
    }
    pb->busy = 0;
    pthread_mutex_unlock(&pb->srv->mu);
}

/* Split "HOST:PORT" / "[V6]:PORT" and resolve it into ss. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *ss_len, int *loopback,
                        enlace_err *err) {
    char host[256];
    const char *port_s;
    if (!listen || !*listen) return enlace_err_set(err, ENLACE_EINVAL, "--listen needs HOST:PORT");
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':' || (size_t)(close - listen - 1) >= sizeof host)
            return enlace_err_set(err, ENLACE_EINVAL, "bad listen address '%s' (want [IPV6]:PORT)", listen);
        memcpy(host, listen + 1, (size_t)(close - listen - 1));
        host[close - listen - 1] = '\0';
        port_s = close + 2;
    } else {
        const char *colon = strrchr(listen, ':');
        if (!colon || (size_t)(colon - listen) >= sizeof host || colon == listen)
            return enlace_err_set(err, ENLACE_EINVAL, "bad listen address '%s' (want HOST:PORT)", listen);
        memcpy(host, listen, (size_t)(colon - listen));
        host[colon - listen] = '\0';
        port_s = colon + 1;
    }
    char *end = NULL;
    long port = strtol(port_s, &end, 10);
    if (!*port_s || *end || port < 0 || port > 65535)
        return enlace_err_set(err, ENLACE_EINVAL, "bad port in listen address '%s'", listen);
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res)
        return enlace_err_set(err, ENLACE_EINVAL, "cannot resolve listen host '%s'", host);
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *ss_len = res->ai_addrlen;
    freeaddrinfo(res);
    if (ss->ss_family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_port = htons((uint16_t)port);
        *loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_port = htons((uint16_t)port);
        const uint8_t *b = a->sin6_addr.s6_addr;
        *loopback = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr) || (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr) && b[12] == 127);
    }
    return 0;
}

/* Read settings from the store: party, org, and the cursor key (made on first start). */
static int load_settings(taxii_server *srv, store *s, enlace_err *err) {
    char hex[2 * TAXII_CURSOR_KEY_LEN + 8];
    store_meta_get(s, "party", srv->party, sizeof srv->party, NULL);
    store_meta_get(s, "org", srv->org, sizeof srv->org, NULL);
    int rc = store_meta_get(s, "cursor_key", hex, sizeof hex, err);
    size_t bin_len = 0;
    if (rc == 0 && strlen(hex) == 2 * TAXII_CURSOR_KEY_LEN &&
        sodium_hex2bin(srv->cursor_key, TAXII_CURSOR_KEY_LEN, hex, strlen(hex), NULL, &bin_len, NULL) == 0 &&
        bin_len == TAXII_CURSOR_KEY_LEN)
        return 0;
    if (rc != 0 && rc != ENLACE_ENOTFOUND) return rc;
    if (rc == 0) return enlace_err_set(err, ENLACE_EIO, "node setting cursor_key is not 64 hex characters");
    randombytes_buf(srv->cursor_key, TAXII_CURSOR_KEY_LEN);
    sodium_bin2hex(hex, sizeof hex, srv->cursor_key, TAXII_CURSOR_KEY_LEN);
    return store_meta_set(s, "cursor_key", hex, err);
}

/* Load the node key that signs the directory: cfg->node_key_path, else node.key in db_path's
 * directory. A missing file is not an error (the directory then answers 503). */
static int load_node_key(taxii_server *srv, const taxii_config *cfg, enlace_err *err) {
    char path[4096];
    if (cfg->node_key_path) {
        if (snprintf(path, sizeof path, "%s", cfg->node_key_path) >= (int)sizeof path)
            return enlace_err_set(err, ENLACE_EINVAL, "node key path too long");
    } else {
        const char *slash = strrchr(cfg->db_path, '/');
        int dir_len = slash ? (int)(slash - cfg->db_path) : 1;
        if (snprintf(path, sizeof path, "%.*s/node.key", dir_len, slash ? cfg->db_path : ".") >= (int)sizeof path)
            return enlace_err_set(err, ENLACE_EINVAL, "node key path too long");
    }
    int rc = taxii_node_key_load(path, srv->node_sk, err);
    if (rc == ENLACE_ENOTFOUND) {
        taxii_log(srv, "no node key at %s: /enlace/v1/directory is unavailable", path);
        return 0;
    }
    if (rc != 0) return rc;
    srv->has_node_key = 1;
    return 0;
}

/* Open the audit log's writer (issue 4): its origin names the node's party and identity; without
 * a node key leaves are still kept, but no tree head is signed. */
static int open_audit(taxii_server *srv, const taxii_config *cfg, store *s, enlace_err *err) {
    if (cfg->audit_off) return 0;
    char identity[POLICY_IDENTITY_LEN] = "";
    store_meta_get(s, "identity_id", identity, sizeof identity, NULL);
    char origin[AUDIT_ORIGIN_MAX];
    audit_origin(srv->party, identity, origin);
    audit_log_config ac = {cfg->db_path, srv->has_node_key ? srv->node_sk : NULL, origin,
                           (cfg->audit_checkpoint_s ? cfg->audit_checkpoint_s : 10) * 1000u, 0};
    if (!srv->has_node_key) taxii_log(srv, "no node key: the audit log signs no tree heads");
    return audit_log_open(&ac, &srv->audit, err);
}

static void free_server(taxii_server *srv) {
    audit_log_close(srv->audit);
    for (size_t i = 0; i < srv->pool_n; i++) store_close(srv->pool[i]);
    free(srv->pool);
    free(srv->busy);
    for (size_t i = 0; i < TAXII_PAGE_BUFS; i++) free(srv->page_bufs[i].p);
    taxii_auth_cache_free(srv->auth);
    sodium_memzero(srv->cursor_key, sizeof srv->cursor_key);
    sodium_memzero(srv->node_sk, sizeof srv->node_sk);
    pthread_mutex_destroy(&srv->mu);
    pthread_cond_destroy(&srv->cv);
    free(srv);
}

int taxii_server_start(const taxii_config *cfg, taxii_server **out, enlace_err *err) {
    struct sockaddr_storage ss;
    socklen_t ss_len = 0;
    int loopback = 0, rc;
    int tls = cfg->tls_cert_pem != NULL;
    if (!cfg->db_path) return enlace_err_set(err, ENLACE_EINVAL, "no node directory");
    if ((cfg->tls_cert_pem == NULL) != (cfg->tls_key_pem == NULL))
        return enlace_err_set(err, ENLACE_EINVAL, "TLS needs both a certificate and a key");
    if (cfg->threads < 1 || cfg->threads > 256) return enlace_err_set(err, ENLACE_EINVAL, "threads must be 1-256");
    if (cfg->max_content_length < 1 || cfg->page_limit < 1 || cfg->page_max < 1 || cfg->max_objects < 1 ||
        cfg->max_depth < 2)
        return enlace_err_set(err, ENLACE_EINVAL, "limits must be positive");
    /* json-c takes an int length, and a body is held in memory several times over while it is
     * parsed: 1 GiB is far above any sane envelope. */
    if (cfg->max_content_length > (size_t)1 << 30)
        return enlace_err_set(err, ENLACE_EINVAL, "max content length must be at most 1073741824 bytes");
    if ((rc = parse_listen(cfg->listen, &ss, &ss_len, &loopback, err)) != 0) return rc;
    if (!tls && !loopback)
        return enlace_err_set(err, ENLACE_EINVAL,
                              "refusing plain HTTP on non-loopback address '%s': give --tls-cert and --tls-key",
                              cfg->listen);

    taxii_server *srv = calloc(1, sizeof *srv);
    if (!srv) return enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
    pthread_mutex_init(&srv->mu, NULL);
    pthread_cond_init(&srv->cv, NULL);
    srv->cfg = *cfg;
    for (size_t i = 0; i < TAXII_PAGE_BUFS; i++) srv->page_bufs[i].srv = srv;
    srv->cfg.db_path = srv->cfg.listen = srv->cfg.tls_cert_pem = srv->cfg.tls_key_pem = NULL;
    srv->cfg.node_key_path = NULL;
    /* One connection per MHD worker, plus one so a slow POST never starves the others. */
    srv->pool_n = cfg->threads + 1;
    srv->pool = calloc(srv->pool_n, sizeof *srv->pool);
    srv->busy = calloc(srv->pool_n, 1);
    if (!srv->pool || !srv->busy) {
        srv->pool_n = 0;
        free_server(srv);
        return enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < srv->pool_n; i++) {
        if ((rc = store_open(cfg->db_path, 0, &srv->pool[i], err)) != 0) {
            srv->pool_n = i;
            free_server(srv);
            return rc;
        }
    }
    int64_t now = enlace_clock_now_us();
    if ((rc = load_settings(srv, srv->pool[0], err)) != 0 ||
        (rc = taxii_auth_cache_new(1024, 60LL * 1000000, &srv->auth, err)) != 0 ||
        (rc = store_status_purge(srv->pool[0], now - TAXII_STATUS_PURGE_US, err)) != 0) {
        free_server(srv);
        return rc;
    }
    srv->last_purge_us = now;
    if ((rc = load_node_key(srv, cfg, err)) != 0 || (rc = open_audit(srv, cfg, srv->pool[0], err)) != 0) {
        free_server(srv);
        return rc;
    }

    /* poll(), not epoll: libmicrohttpd 0.9.75's MHD_quiesce_daemon can race a pool worker over
     * the listen socket's epoll registration and abort the process with "Failed to remove
     * listen FD from epoll set" (seen once in the crash test's clean SIGTERM). With poll there
     * is no such registration; at our connection counts poll costs nothing measurable. */
    /* suspend/resume: a read waits for its audit entries' sync without holding a worker thread */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_POLL | MHD_ALLOW_SUSPEND_RESUME;
    if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    if (tls) flags |= MHD_USE_TLS;
    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cfg->tls_cert_pem},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)cfg->tls_key_pem},
        /* T§8.2.2: TLS 1.2 required, 1.3 recommended; nothing older. GnuTLS never does 0-RTT
         * unless asked to. */
        {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_OptionItem none[] = {{MHD_OPTION_END, 0, NULL}};
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, taxii_access, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)cfg->threads, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)60,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024), MHD_OPTION_CONNECTION_LIMIT, (unsigned int)1000,
        MHD_OPTION_NOTIFY_COMPLETED, taxii_request_done, srv, MHD_OPTION_ARRAY, tls ? tls_opts : none,
        MHD_OPTION_END);
    if (!srv->daemon) {
        free_server(srv);
        return enlace_err_set(err, ENLACE_EIO, "cannot listen on %s%s", cfg->listen,
                              tls ? " (or the TLS certificate/key is unusable)" : "");
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = info ? info->port : 0;
    char addr[INET6_ADDRSTRLEN] = "";
    if (ss.ss_family == AF_INET) {
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof addr);
        snprintf(srv->url, sizeof srv->url, "%s://%s:%u/", tls ? "https" : "http", addr, port);
    } else {
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr, sizeof addr);
        snprintf(srv->url, sizeof srv->url, "%s://[%s]:%u/", tls ? "https" : "http", addr, port);
    }
    *out = srv;
    return 0;
}

const char *taxii_server_url(const taxii_server *s) { return s->url; }

void taxii_server_stop(taxii_server *s, unsigned wait_ms) {
    if (!s) return;
    MHD_socket lsock = MHD_quiesce_daemon(s->daemon);
    /* Let requests in flight finish (idle keep-alive connections don't count): poll until none
     * is left or time is up. */
    for (unsigned waited = 0; waited < wait_ms; waited += 20) {
        pthread_mutex_lock(&s->mu);
        size_t active = s->active;
        pthread_mutex_unlock(&s->mu);
        if (active == 0) break;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    /* Commit what the audit log holds: every response waiting for it is resumed (MHD must not be
     * stopped with a connection suspended), and what is asked from now on is refused. */
    audit_log_shutdown(s->audit);
    MHD_stop_daemon(s->daemon);
    if (lsock != MHD_INVALID_SOCKET) close(lsock);
    free_server(s);
}
