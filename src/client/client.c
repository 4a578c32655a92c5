/* client.c - TAXII 2.1 requests over libcurl: URL joining, headers, auth, TLS, body capture. */
#include "client/client.h"

#include <ctype.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"

struct client {
    char *base;           /* API root URL, always ending in '/' */
    client_config cfg;    /* borrowed strings, base_url replaced by base */
    CURL *curl;           /* reused between requests so connections are kept alive */
    int last_curl;        /* CURLcode of the last request */
};

/* What a transfer writes into while it runs. */
typedef struct xfer {
    enlace_buf body;
    size_t max_body;
    int too_big;
    client_response *resp;
} xfer;

int client_global_init(void) { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1; }

void client_global_cleanup(void) { curl_global_cleanup(); }

int client_new(const client_config *cfg, client **out, enlace_err *err) {
    *out = NULL;
    if (!cfg || !cfg->base_url || !*cfg->base_url)
        return enlace_err_set(err, ENLACE_EINVAL, "no TAXII API root URL given");
    client *c = calloc(1, sizeof *c);
    if (!c) return enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
    size_t n = strlen(cfg->base_url);
    c->base = malloc(n + 2);
    c->curl = curl_easy_init();
    if (!c->base || !c->curl) {
        client_free(c);
        return enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
    }
    memcpy(c->base, cfg->base_url, n + 1);
    /* TAXII endpoints all end in '/' (T§3.1); relative paths are joined after it. */
    if (c->base[n - 1] != '/') {
        c->base[n] = '/';
        c->base[n + 1] = '\0';
    }
    c->cfg = *cfg;
    c->cfg.base_url = c->base;
    if (!c->cfg.connect_timeout_s) c->cfg.connect_timeout_s = 10;
    if (!c->cfg.timeout_s) c->cfg.timeout_s = 300;
    if (!c->cfg.max_body) c->cfg.max_body = (size_t)512 << 20;
    *out = c;
    return ENLACE_OK;
}

void client_free(client *c) {
    if (!c) return;
    if (c->curl) curl_easy_cleanup(c->curl);
    free(c->base);
    free(c);
}

void client_response_free(client_response *resp) {
    if (!resp) return;
    free(resp->body);
    memset(resp, 0, sizeof *resp);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud) {
    xfer *x = ud;
    size_t n = size * nmemb;
    if (x->body.len + n > x->max_body) {
        x->too_big = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (enlace_buf_append(&x->body, data, n) != 0) return 0;
    return n;
}

/* Copy a header value (trimmed) into out when the line's name matches. */
static void header_take(const char *line, size_t len, const char *name, char *out, size_t out_len) {
    size_t nl = strlen(name);
    if (len <= nl || line[nl] != ':' || strncasecmp(line, name, nl) != 0) return;
    const char *v = line + nl + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t')) v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t')) end--;
    size_t vl = (size_t)(end - v);
    if (vl >= out_len) vl = out_len - 1;
    memcpy(out, v, vl);
    out[vl] = '\0';
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ud) {
    xfer *x = ud;
    size_t n = size * nmemb;
    /* A new status line (e.g. after "100 Continue") starts a new set of headers. */
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        x->resp->content_type[0] = x->resp->date_added_first[0] = x->resp->date_added_last[0] = '\0';
        return n;
    }
    header_take(data, n, "Content-Type", x->resp->content_type, sizeof x->resp->content_type);
    header_take(data, n, "X-TAXII-Date-Added-First", x->resp->date_added_first,
                sizeof x->resp->date_added_first);
    header_take(data, n, "X-TAXII-Date-Added-Last", x->resp->date_added_last,
                sizeof x->resp->date_added_last);
    return n;
}

/* Run one request; body == NULL means GET. */
static int perform(client *c, const char *path, const char *accept, const char *body, size_t len, size_t max_body,
                   client_response *resp, enlace_err *err) {
    memset(resp, 0, sizeof *resp);
    enlace_buf url = ENLACE_BUF_INIT;
    if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0) {
        enlace_buf_puts(&url, path);
    } else {
        while (*path == '/') path++; /* relative to the API root, never to the host root */
        enlace_buf_puts(&url, c->base);
        enlace_buf_puts(&url, path);
    }
    if (url.oom) return enlace_err_set(err, ENLACE_ENOMEM, "out of memory");

    CURL *h = c->curl;
    curl_easy_reset(h);
    char curl_msg[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_msg);
    xfer x = {ENLACE_BUF_INIT, max_body, 0, resp};
    struct curl_slist *hdrs = NULL;
    enlace_buf acc = ENLACE_BUF_INIT;
    enlace_buf_printf(&acc, "Accept: %s", accept ? accept : CLIENT_TAXII_MEDIA);
    if (acc.oom) {
        enlace_buf_free(&url);
        return enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
    }
    hdrs = curl_slist_append(hdrs, acc.p);
    enlace_buf_free(&acc); /* curl_slist_append copied it */
    if (body) {
        hdrs = curl_slist_append(hdrs, "Content-Type: " CLIENT_TAXII_MEDIA);
        hdrs = curl_slist_append(hdrs, "Expect:"); /* no 100-continue round trip */
    }
    enlace_buf auth = ENLACE_BUF_INIT;
    if (c->cfg.token) {
        enlace_buf_printf(&auth, "Authorization: Bearer %s", c->cfg.token);
        if (!auth.oom) hdrs = curl_slist_append(hdrs, auth.p);
    }
    curl_easy_setopt(h, CURLOPT_URL, url.p);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_USERAGENT, CLIENT_USER_AGENT);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->cfg.connect_timeout_s);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, c->cfg.timeout_s);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
    if (!c->cfg.token && c->cfg.user) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, c->cfg.user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, c->cfg.password ? c->cfg.password : "");
    }
    if (c->cfg.insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (c->cfg.cacert) curl_easy_setopt(h, CURLOPT_CAINFO, c->cfg.cacert);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    CURLcode rc = curl_easy_perform(h);
    c->last_curl = (int)rc;
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL); /* curl_msg goes out of scope */
    curl_slist_free_all(hdrs);
    if (auth.p) {
        memset(auth.p, 0, auth.len); /* the token should not linger in freed memory */
        enlace_buf_free(&auth);
    }
    int ret = ENLACE_OK;
    if (x.too_big) {
        ret = enlace_err_set(err, ENLACE_ETOOBIG, "%s: response larger than %zu bytes", url.p, max_body);
    } else if (rc != CURLE_OK) {
        /* libcurl's own detail ("SSL certificate problem: self-signed certificate") says more
         * than the code's generic text. */
        size_t ml = strlen(curl_msg);
        while (ml && (curl_msg[ml - 1] == '\n' || curl_msg[ml - 1] == '\r')) curl_msg[--ml] = '\0';
        ret = enlace_err_set(err, x.body.oom ? ENLACE_ENOMEM : ENLACE_ENET, "%s: %s", url.p,
                             ml ? curl_msg : curl_easy_strerror(rc));
    } else {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
        if (!x.body.p && enlace_buf_append(&x.body, "", 0) != 0)
            ret = enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
    }
    enlace_buf_free(&url);
    if (ret != ENLACE_OK) {
        enlace_buf_free(&x.body);
        memset(resp, 0, sizeof *resp);
        return ret;
    }
    resp->body_len = x.body.len;
    resp->body = enlace_buf_steal(&x.body);
    return ENLACE_OK;
}

static void one_line(char *out, size_t n, const char *s, size_t max);

void client_url(const client *c, const char *path_query, char *out, size_t n) {
    if (n == 0) return;
    if (strncmp(path_query, "http://", 7) == 0 || strncmp(path_query, "https://", 8) == 0) {
        snprintf(out, n, "%s", path_query);
        return;
    }
    while (*path_query == '/') path_query++;
    snprintf(out, n, "%s%s", c->base, path_query);
}

int client_tls_untrusted(const client *c) {
    if (!c) return 0;
    switch ((CURLcode)c->last_curl) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ISSUER_ERROR:
        return 1;
    default:
        return 0;
    }
}

int client_probe_root(client *c, client_root_kind *kind, long *status, char *hint, size_t n,
                      size_t *max_content_length, enlace_err *err) {
    client_response resp;
    *kind = CLIENT_ROOT_OTHER;
    *status = 0;
    if (n) hint[0] = '\0';
    if (max_content_length) *max_content_length = 0;
    int rc = client_get(c, "", &resp, err);
    if (rc != ENLACE_OK) return rc;
    *status = resp.status;
    if (resp.status != 200) client_error_describe(&resp, hint, n);
    json_object *doc = resp.status == 200 ? json_tokener_parse(resp.body) : NULL, *v = NULL;
    if (doc && json_object_is_type(doc, json_type_object)) {
        if (json_object_object_get_ex(doc, "api_roots", &v) || json_object_object_get_ex(doc, "default", &v)) {
            *kind = CLIENT_ROOT_DISCOVERY;
            json_object *first = NULL;
            if (json_object_object_get_ex(doc, "api_roots", &v) && json_object_is_type(v, json_type_array) &&
                json_object_array_length(v) > 0)
                first = json_object_array_get_idx(v, 0);
            if (!(first && json_object_is_type(first, json_type_string)) &&
                json_object_object_get_ex(doc, "default", &v))
                first = v;
            if (first && json_object_is_type(first, json_type_string) && n) {
                hint[0] = '\0';
                one_line(hint, n, json_object_get_string(first), 400);
            }
        } else if (json_object_object_get_ex(doc, "title", &v) && json_object_is_type(v, json_type_string) &&
                   json_object_object_get_ex(doc, "versions", &v) && json_object_is_type(v, json_type_array)) {
            *kind = CLIENT_ROOT_API;
            if (max_content_length && json_object_object_get_ex(doc, "max_content_length", &v) &&
                json_object_is_type(v, json_type_int) && json_object_get_int64(v) > 0)
                *max_content_length = (size_t)json_object_get_int64(v);
        }
    }
    json_object_put(doc);
    client_response_free(&resp);
    return ENLACE_OK;
}

int client_get(client *c, const char *path_query, client_response *resp, enlace_err *err) {
    return perform(c, path_query, NULL, NULL, 0, c->cfg.max_body, resp, err);
}

int client_get_ex(client *c, const char *path_query, const char *accept, size_t max_body, client_response *resp,
                  enlace_err *err) {
    return perform(c, path_query, accept, NULL, 0,
                   max_body && max_body < c->cfg.max_body ? max_body : c->cfg.max_body, resp, err);
}

int client_post(client *c, const char *path, const char *body, size_t len, client_response *resp,
                enlace_err *err) {
    return perform(c, path, NULL, body ? body : "", len, c->cfg.max_body, resp, err);
}

/* Copy s into out as one line: control characters become spaces. */
static void one_line(char *out, size_t n, const char *s, size_t max) {
    size_t o = strlen(out);
    for (size_t i = 0; s[i] && i < max && o + 1 < n; i++)
        out[o++] = (unsigned char)s[i] < 0x20 ? ' ' : s[i];
    out[o] = '\0';
}

void client_error_describe(const client_response *resp, char *out, size_t n) {
    if (n == 0) return;
    snprintf(out, n, "HTTP %ld", resp ? resp->status : 0L);
    if (!resp || !resp->body || !resp->body_len) return;
    json_object *doc = json_tokener_parse(resp->body);
    json_object *title = NULL, *desc = NULL;
    if (doc && json_object_is_type(doc, json_type_object) &&
        json_object_object_get_ex(doc, "title", &title) && json_object_is_type(title, json_type_string)) {
        one_line(out, n, ": ", 2);
        one_line(out, n, json_object_get_string(title), 300);
        if (json_object_object_get_ex(doc, "description", &desc) &&
            json_object_is_type(desc, json_type_string) && *json_object_get_string(desc)) {
            one_line(out, n, ": ", 2);
            one_line(out, n, json_object_get_string(desc), 400);
            /* the server answers 404 for a collection the user may not read too (it hides that
             * the collection exists) */
            if (resp->status == 404 && strcmp(json_object_get_string(desc), "no such collection") == 0)
                one_line(out, n, " (or this user may not read it: enlace collection grant DIR COLL --user U --read)",
                         200);
        }
    } else {
        one_line(out, n, ": ", 2);
        one_line(out, n, resp->body, 200);
    }
    json_object_put(doc);
}

int client_query_add(char *out, size_t n, const char *name, const char *value) {
    static const char hex[] = "0123456789ABCDEF";
    size_t o = strlen(out), start = o;
    char sep = strchr(out, '?') ? '&' : '?';
    if (o + 1 + strlen(name) + 1 >= n) return -1;
    out[o++] = sep;
    for (const char *p = name; *p; p++) out[o++] = *p;
    out[o++] = '=';
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            if (o + 1 >= n) goto full;
            out[o++] = (char)*p;
        } else {
            if (o + 3 >= n) goto full;
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o] = '\0';
    return 0;
full:
    out[start] = '\0'; /* leave the query as it was rather than half a parameter */
    return -1;
}
