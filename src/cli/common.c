/* common.c - helpers shared by the `enlace` commands: error lines, option errors, opening the
 * node store, reading files and secrets, credentials for talking to a node. */
#include "cli/cli.h"

#include <sodium.h>

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int cli_fail(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "enlace %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CLI_EXIT_FAIL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "enlace %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see 'enlace %s --help')\n", cmd);
    return CLI_EXIT_USAGE;
}

int cli_bad_option(const char *cmd, int c, char **argv) {
    const char *opt = optind > 0 ? argv[optind - 1] : "?";
    if (c == ':') return cli_usage_error(cmd, "option '%s' needs a value", opt);
    if (optopt && optopt != '?')
        return cli_usage_error(cmd, "unknown option '-%c'", optopt);
    return cli_usage_error(cmd, "unknown option '%s'", opt);
}

int cli_store_open(const char *cmd, const char *dir, store **out) {
    char path[4096];
    struct stat st;
    *out = NULL;
    if (snprintf(path, sizeof path, "%s/enlace.db", dir) >= (int)sizeof path)
        return cli_fail(cmd, "path too long: %s", dir);
    if (stat(path, &st) != 0)
        return cli_fail(cmd, "%s is not an enlace node (no enlace.db; run 'enlace init' first)", dir);
    enlace_err err;
    enlace_err_clear(&err);
    if (store_open(path, 0, out, &err) != ENLACE_OK) return cli_fail(cmd, "%s", err.msg);
    return 0;
}

int cli_read_file(const char *path, char **out, size_t *len, enlace_err *err) {
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    *out = NULL;
    *len = 0;
    if (!f) return enlace_err_set(err, ENLACE_EIO, "%s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *p = malloc(cap);
    while (p) {
        if (n + 1 >= cap) {
            char *q = realloc(p, cap * 2);
            if (!q) {
                free(p);
                p = NULL;
                break;
            }
            p = q;
            cap *= 2;
        }
        size_t got = fread(p + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    int failed = !p ? ENLACE_ENOMEM : ferror(f) ? ENLACE_EIO : 0;
    int saved = errno;
    if (f != stdin) fclose(f);
    if (failed) {
        free(p);
        if (failed == ENLACE_ENOMEM) return enlace_err_set(err, ENLACE_ENOMEM, "%s: out of memory", path);
        return enlace_err_set(err, ENLACE_EIO, "%s: %s", path, strerror(saved));
    }
    p[n] = '\0';
    *out = p;
    *len = n;
    return ENLACE_OK;
}

int cli_read_line(FILE *f, char *out, size_t n) {
    if (!fgets(out, (int)n, f)) return -1;
    size_t l = strlen(out);
    if (l == n - 1 && out[l - 1] != '\n' && !feof(f)) return -1; /* longer than the buffer */
    while (l && (out[l - 1] == '\n' || out[l - 1] == '\r')) out[--l] = '\0';
    return 0;
}

void cli_time_ms(int64_t us, char out[32]) {
    time_t secs = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    unsigned ms = (unsigned)((us % 1000000) / 1000) % 1000u;
    out[n++] = '.';
    out[n++] = (char)('0' + ms / 100);
    out[n++] = (char)('0' + ms / 10 % 10);
    out[n++] = (char)('0' + ms % 10);
    out[n++] = 'Z';
    out[n] = '\0';
}

int cli_user_name_ok(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n > 127) return 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == ':') return 0;
    return 1;
}

int cli_remote_resolve(const char *cmd, cli_remote *r) {
    if (!r->url) return cli_usage_error(cmd, "--url is required");
    if (!r->collection) return cli_usage_error(cmd, "--collection is required");
    if (r->token && (r->user || r->password || r->password_stdin))
        return cli_usage_error(cmd, "give either --token or --user with a password, not both");
    if (r->password && r->password_stdin)
        return cli_usage_error(cmd, "give either --password or --password-stdin, not both");
    /* Options win over the environment; a token in the environment is used only when no user
     * was named on the command line. */
    if (!r->token && !r->user) {
        const char *t = getenv("ENLACE_TOKEN");
        if (t && *t) r->token = t;
    }
    if (!r->token && !r->user) {
        const char *u = getenv("ENLACE_USER");
        if (u && *u) r->user = u;
    }
    if (r->user && !r->password && !r->password_stdin) {
        const char *p = getenv("ENLACE_PASSWORD");
        if (p) r->password = p;
    }
    if (!r->user && (r->password || r->password_stdin))
        return cli_usage_error(cmd, "a password needs --user (or ENLACE_USER)");
    if (r->password_stdin) {
        if (cli_read_line(stdin, r->pw_buf, sizeof r->pw_buf) != 0)
            return cli_usage_error(cmd, "--password-stdin: no password on standard input");
        r->password = r->pw_buf;
    }
    if (r->user && !r->password)
        return cli_usage_error(cmd, "--user needs --password, --password-stdin or ENLACE_PASSWORD");
    return 0;
}

#define CLI_TLS_HINT "; the server's TLS certificate is not trusted: give its CA certificate with --cacert FILE (or skip verification with --insecure)"
#define CLI_ROOT_EXAMPLE "http://127.0.0.1:8021/api/"

int cli_net_fail(const char *cmd, const client *cl, const enlace_err *err) {
    return cli_fail(cmd, "%s%s", err->msg, client_tls_untrusted(cl) ? CLI_TLS_HINT : "");
}

int cli_root_check(client *cl, const char *url, char *out, size_t n, size_t *max_content_length) {
    client_root_kind kind;
    long status = 0;
    char hint[600];
    enlace_err err;
    enlace_err_clear(&err);
    if (client_probe_root(cl, &kind, &status, hint, sizeof hint, max_content_length, &err) != ENLACE_OK) {
        snprintf(out, n, "%s%s", err.msg, client_tls_untrusted(cl) ? CLI_TLS_HINT : "");
        return 1;
    }
    if (kind == CLIENT_ROOT_API) return 0;
    if (kind == CLIENT_ROOT_DISCOVERY) {
        /* api_roots may be relative to the server (T§4.1): put it on url's scheme and host. */
        char abs[800];
        const char *host = strstr(url, "://");
        size_t hl = host ? (size_t)(host + 3 - url) + strcspn(host + 3, "/?#") : 0;
        if (hint[0] == '/' && host && hl < 200) snprintf(abs, sizeof abs, "%.*s%s", (int)hl, url, hint);
        else snprintf(abs, sizeof abs, "%s", hint[0] ? hint : CLI_ROOT_EXAMPLE);
        snprintf(out, n, "%s is a TAXII discovery URL, not an API root; --url must be the API root, e.g. %s",
                 url, abs);
    }
    else if (status != 200 && status != 404)
        snprintf(out, n, "API root %s: %s", url, hint); /* 401, 403, 5xx: the server's reason */
    else
        snprintf(out, n, "%s is not a TAXII API root (GET answered %s); --url must be the API root, e.g. %s",
                 url, status == 200 ? "something else than an api-root resource" : hint, CLI_ROOT_EXAMPLE);
    return 1;
}

int cli_http_fail(const char *cmd, client *cl, const char *url, const char *method, const char *path,
                  const client_response *resp) {
    char why[1024], where[2048], advice[1400] = "";
    client_error_describe(resp, why, sizeof why);
    client_url(cl, path, where, sizeof where);
    if (resp->status == 404 && cli_root_check(cl, url, advice, sizeof advice, NULL) == 1)
        return cli_fail(cmd, "%s (%s %s); %s", why, method, where, advice);
    return cli_fail(cmd, "%s (%s %s)", why, method, where);
}

int cli_emit(const char *cmd, enlace_buf *o, int secret) {
    int rc = CLI_EXIT_OK;
    if (o->oom || !o->p) rc = cli_fail(cmd, "out of memory");
    else fputs(o->p, stdout);
    if (secret && o->p) sodium_memzero(o->p, o->cap);
    enlace_buf_free(o);
    return rc;
}
