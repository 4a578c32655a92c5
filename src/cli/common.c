/* common.c - helpers shared by the `enlace` commands: error lines, option errors, opening the
 * node store, reading files and secrets, credentials for talking to a node, parties,
 * organizations, TLP names and dates given on the command line. */
#include "cli/cli.h"

#include <sodium.h>

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "util/utf8.h"

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

int cli_positionals(const char *cmd, int argc, char **argv, char **pos, int *npos, int want,
                    const char *second) {
    *npos = 0;
    for (int i = optind; i < argc; i++) {
        if (*npos == want) return cli_usage_error(cmd, "unexpected argument '%s'", argv[i]);
        pos[(*npos)++] = argv[i];
    }
    if (*npos == 0 && want > 0) return cli_usage_error(cmd, "missing DIR");
    if (*npos < want) return cli_usage_error(cmd, "missing %s", second ? second : "argument");
    return -1;
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

int cli_party_ok(const char *p) {
    return p && strlen(p) == 2 && p[0] >= 'A' && p[0] <= 'Z' && p[1] >= 'A' && p[1] <= 'Z';
}

int cli_tlp_parse(const char *s, int allow_none) {
    int t = policy_tlp_parse(s);
    if (t == POLICY_TLP_NONE && !allow_none) return -2;
    return t;
}

/* Read exactly n decimal digits at *p into *v and move *p past them. Returns 0 or -1. */
static int digits(const char **p, int n, int *v) {
    *v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (**p < '0' || **p > '9') return -1;
        *v = *v * 10 + (**p - '0');
    }
    return 0;
}

int cli_parse_date(const char *s, int64_t *us) {
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0, frac_us = 0, off_s = 0;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
        return -1;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1) return -1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] + (mo == 2 && leap)) return -1;
    int day_only = *p == '\0';
    if (!day_only) {
        if ((*p != 'T' && *p != 't') || (p++, digits(&p, 2, &h)) || *p++ != ':' || digits(&p, 2, &mi) ||
            *p++ != ':' || digits(&p, 2, &sec))
            return -1;
        if (h > 23 || mi > 59 || sec > 60) return -1;
        if (*p == '.') {
            int n = 0;
            for (p++; *p >= '0' && *p <= '9'; p++, n++)
                if (n < 6) frac_us = frac_us * 10 + (*p - '0');
            if (n == 0) return -1;
            for (; n < 6; n++) frac_us *= 10;
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om;
            if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 || om > 59) return -1;
            off_s = sign * (oh * 3600 + om * 60);
        } else {
            return -1;
        }
        if (*p != '\0') return -1;
    }
    /* Days since the epoch (proleptic Gregorian, civil-from-days inverse), no timegm() so that
     * the TZ environment cannot matter. */
    int64_t yy = y - (mo <= 2), era = yy / 400, yoe = yy - era * 400;
    int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t days = era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
    if (day_only) days += 1; /* the end of that day */
    int64_t t = days * 86400 + h * 3600 + mi * 60 + sec - off_s;
    *us = t * 1000000 + frac_us;
    return 0;
}

int cli_node_org(store *s, store_org *out, enlace_err *err) {
    store_org *orgs = NULL;
    size_t n = 0;
    int rc = store_org_list(s, &orgs, &n, err);
    if (rc != ENLACE_OK) return rc;
    rc = ENLACE_ENOTFOUND;
    for (size_t i = 0; i < n; i++)
        if (orgs[i].self) {
            *out = orgs[i];
            rc = ENLACE_OK;
            break;
        }
    free(orgs);
    if (rc != ENLACE_OK)
        return enlace_err_set(err, rc, "the node has no organization of its own (was it made by 'enlace init'?)");
    return ENLACE_OK;
}

int cli_org_find(const char *cmd, store *s, const char *name_or_id, store_org *out) {
    enlace_err err;
    enlace_err_clear(&err);
    if (store_org_get(s, name_or_id, out, &err) == ENLACE_OK) return 0;
    if (err.code == ENLACE_ENOTFOUND)
        return cli_fail(cmd, "no organization '%s' (see 'enlace org list DIR')", name_or_id);
    return cli_fail(cmd, "%s", err.msg);
}

int cli_collection_find(const char *cmd, store *s, const char *id_or_alias, store_collection *out) {
    enlace_err err;
    enlace_err_clear(&err);
    if (store_collection_find(s, id_or_alias, 0, out, &err) == ENLACE_OK) return 0;
    if (err.code == ENLACE_ENOTFOUND) return cli_fail(cmd, "no collection '%s'", id_or_alias);
    return cli_fail(cmd, "%s", err.msg);
}

void cli_json_str_or_null(enlace_buf *o, const char *s) {
    if (s && *s) enlace_buf_json_str(o, s);
    else enlace_buf_puts(o, "null");
}

int cli_org_name_ok(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n > 127 || strncmp(name, "identity--", 10) == 0) return 0;
    for (size_t i = 0; i < n;) {
        const unsigned char *p = (const unsigned char *)name + i;
        if (*p < 0x20 || *p == 0x7f) return 0;
        size_t k = enlace_utf8_seq(p, n - i);
        if (k == 0) return 0;
        i += k;
    }
    return 1;
}
