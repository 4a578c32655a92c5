/* serve.c - `enlace serve DIR`: run the node's TAXII 2.1 server until SIGTERM/SIGINT. */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "fed/fed.h"
#include "taxii/server.h"
#include "util/secret.h"

static const char serve_usage[] =
    "usage: enlace serve DIR [options]\n"
    "Serve the node in DIR over TAXII 2.1 (discovery /taxii2/, API root /api/).\n"
    "  --listen HOST:PORT        address to listen on (default 127.0.0.1:8021; port 0 picks a free\n"
    "                            port; plain HTTP only on loopback, else TLS is required)\n"
    "  --tls-cert FILE           PEM certificate (chain) for HTTPS, with --tls-key\n"
    "  --tls-key FILE            PEM private key for HTTPS\n"
    "  --threads N               worker threads (default 4)\n"
    "  --max-content-length B    largest POST body in bytes (default 10485760)\n"
    "  --page-limit N            default page size (default 1000)\n"
    "  --page-max N              largest page size honoured (default 10000)\n"
    "  --audit-checkpoint S      sign an audit tree head at least every S seconds while the log\n"
    "                            grows (default 10; docs/audit.md)\n"
    "  --sync-interval S         pull from partner nodes every S seconds (default 30; 0 = no sync\n"
    "                            worker; docs/federation.md); each pass logs one line\n"
    "  --sync-cacert FILE        PEM bundle the sync worker verifies partners' TLS certificates\n"
    "                            with (default: the system's)\n"
    "  --pass-budget S           end a partner's pass after S seconds, resuming at its cursors\n"
    "                            on the next pass (default 300; 0 = no limit)\n"
    "  --help                    show this help\n"
    "When ready, prints one line: enlace: listening on URL\n";

/* Print server diagnostics as single lines on stderr. */
static void log_line(void *ctx, const char *line) {
    (void)ctx;
    fprintf(stderr, "enlace: %s\n", line);
}

static int parse_size(const char *opt, const char *v, size_t *out) {
    char *end = NULL;
    errno = 0;
    unsigned long long n = v ? strtoull(v, &end, 10) : 0;
    if (!v || !*v || *end || errno || n == 0 || v[0] == '-') {
        fprintf(stderr, "enlace serve: %s needs a positive integer\n", opt);
        return -1;
    }
    *out = (size_t)n;
    return 0;
}

/* Read a whole (small) file into a NUL-terminated malloc'd string. */
static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[4096];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap || len + n > 1 << 20) {
            cap = (len + n + 1) * 2;
            char *p = len + n > 1 << 20 ? NULL : realloc(buf, cap);
            if (!p) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (!buf) buf = calloc(1, 1);
    else buf[len] = '\0';
    return buf;
}

int cli_serve(int argc, char **argv) {
    taxii_config cfg;
    taxii_config_defaults(&cfg);
    const char *dir = NULL, *cert_path = NULL, *key_path = NULL;
    size_t threads = cfg.threads;
    long sync_interval = 30, pass_budget = -1;
    const char *sync_cacert = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(serve_usage, stdout);
            return 0;
        }
        int takes_value = 1, rc = 0;
        if (strcmp(a, "--listen") == 0) cfg.listen = v;
        else if (strcmp(a, "--tls-cert") == 0) cert_path = v;
        else if (strcmp(a, "--tls-key") == 0) key_path = v;
        else if (strcmp(a, "--threads") == 0) rc = parse_size(a, v, &threads);
        else if (strcmp(a, "--max-content-length") == 0) rc = parse_size(a, v, &cfg.max_content_length);
        else if (strcmp(a, "--page-limit") == 0) rc = parse_size(a, v, &cfg.page_limit);
        else if (strcmp(a, "--page-max") == 0) rc = parse_size(a, v, &cfg.page_max);
        else if (strcmp(a, "--audit-checkpoint") == 0) {
            size_t sec = 0;
            rc = parse_size(a, v, &sec);
            if (rc == 0 && sec > 86400) {
                fprintf(stderr, "enlace serve: --audit-checkpoint is at most 86400 seconds\n");
                return 2;
            }
            cfg.audit_checkpoint_s = (unsigned)sec;
        }
        else if (strcmp(a, "--sync-interval") == 0) {
            char *end = NULL;
            errno = 0;
            sync_interval = v ? strtol(v, &end, 10) : -1;
            if (!v || !*v || *end || errno || sync_interval < 0 || sync_interval > 86400) {
                fprintf(stderr, "enlace serve: --sync-interval must be 0-86400 seconds\n");
                return 2;
            }
        }
        else if (strcmp(a, "--sync-cacert") == 0) {
            if (!v || !*v || access(v, R_OK) != 0) {
                fprintf(stderr, "enlace serve: --sync-cacert needs a readable PEM file\n");
                return 2;
            }
            sync_cacert = v;
        }
        else if (strcmp(a, "--pass-budget") == 0) {
            char *end = NULL;
            errno = 0;
            pass_budget = v ? strtol(v, &end, 10) : -1;
            if (!v || !*v || *end || errno || pass_budget < 0 || pass_budget > 86400) {
                fprintf(stderr, "enlace serve: --pass-budget must be 0-86400 seconds\n");
                return 2;
            }
        }
        else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "enlace serve: unknown option %s (see --help)\n", a);
            return 2;
        } else {
            takes_value = 0;
            if (dir) {
                fprintf(stderr, "enlace serve: one node directory only (see --help)\n");
                return 2;
            }
            dir = a;
        }
        if (rc) return 2;
        if (takes_value) {
            if (!v) {
                fprintf(stderr, "enlace serve: %s needs a value\n", a);
                return 2;
            }
            i++;
        }
    }
    if (!dir) {
        fprintf(stderr, "enlace serve: missing node directory (see --help)\n");
        return 2;
    }
    if (threads > 256) {
        fprintf(stderr, "enlace serve: --threads must be 1-256\n");
        return 2;
    }
    cfg.threads = (unsigned)threads;
    if (!cert_path != !key_path) {
        fprintf(stderr, "enlace serve: --tls-cert and --tls-key go together\n");
        return 2;
    }
    if (enlace_secret_init() != 0) {
        fprintf(stderr, "enlace serve: cannot initialise libsodium\n");
        return 1;
    }
    char *cert = NULL, *key = NULL;
    if (cert_path) {
        cert = read_file(cert_path);
        key = read_file(key_path);
        if (!cert || !key) {
            fprintf(stderr, "enlace serve: cannot read %s\n", !cert ? cert_path : key_path);
            free(cert);
            free(key);
            return 1;
        }
    }
    char db[PATH_MAX];
    snprintf(db, sizeof db, "%s/enlace.db", dir);
    cfg.db_path = db;
    cfg.tls_cert_pem = cert;
    cfg.tls_key_pem = key;
    cfg.log = log_line;

    /* Block the stop signals before any server thread exists, so every thread inherits the
     * mask and only sigwait() below sees them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* Keep the server's memory independent of the store size and of which worker served the
     * largest request (bench/README.md, RSS). glibc raises its mmap threshold after the first
     * large free, so later multi-MB page buffers and envelopes come from the per-thread arenas
     * and stay there after free(); a fixed threshold (which also stops the raising) gives every
     * buffer above 128 KiB its own mapping, returned to the kernel on free(). Two arenas are
     * enough for 4 workers on this workload and cap how many heaps keep freed small blocks. */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mallopt(M_ARENA_MAX, 2);

    taxii_server *srv = NULL;
    enlace_err err;
    enlace_err_clear(&err);
    int rc = taxii_server_start(&cfg, &srv, &err);
    if (key) {
        memset(key, 0, strlen(key));
        free(key);
    }
    free(cert);
    if (rc != 0) {
        if (rc == ENLACE_ENOTFOUND)
            fprintf(stderr, "enlace serve: no node at %s (run: enlace init %s)\n", dir, dir);
        else
            fprintf(stderr, "enlace serve: %s\n", err.msg);
        return rc == ENLACE_EINVAL ? 2 : 1;
    }
    /* The sync worker pulls from partners with its own store connection (fed/worker.c). */
    fed_worker *worker = NULL;
    if (sync_interval > 0) {
        fed_options fo;
        fed_options_default(&fo);
        fo.node_dir = dir;
        if (pass_budget >= 0) fo.pass_budget_s = pass_budget;
        if (sync_cacert) fo.cacert = sync_cacert;
        if (fed_worker_start(db, &fo, sync_interval, log_line, NULL, &worker, &err) != 0) {
            fprintf(stderr, "enlace serve: %s\n", err.msg);
            taxii_server_stop(srv, 10000);
            return 1;
        }
    }
    printf("enlace: listening on %s\n", taxii_server_url(srv));
    fflush(stdout);
    int sig = 0;
    sigwait(&stop, &sig);
    fed_worker_stop(worker);
    taxii_server_stop(srv, 10000);
    return 0;
}
