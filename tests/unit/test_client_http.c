/* test_client_http.c - the TAXII client's requests as a server sees them (src/client/client.c):
 * URL joining, TAXII media types (T§3.1), User-Agent, Basic and bearer auth, header capture
 * (X-TAXII-Date-Added-Last, T§3.2), body limits and network errors. Uses an in-process
 * libmicrohttpd server on a free loopback port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"

/* What the server saw of the last request. */
typedef struct seen {
    char method[8], url[256], query_type[64], accept[128], ctype[128], ua[64], auth[128];
    char body[256];
    size_t body_len;
} seen;

typedef struct server {
    struct MHD_Daemon *d;
    unsigned port;
    seen last;
    size_t reply_size;   /* bytes of body to answer with */
} server;

static void copy_hdr(struct MHD_Connection *c, enum MHD_ValueKind kind, const char *name, char *out, size_t n) {
    const char *v = MHD_lookup_connection_value(c, kind, name);
    snprintf(out, n, "%s", v ? v : "");
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *upload, size_t *upload_size, void **state) {
    (void)version;
    server *s = cls;
    if (!*state) { /* first call: headers only */
        *state = s;
        memset(&s->last, 0, sizeof s->last);
        return MHD_YES;
    }
    if (*upload_size) {
        size_t room = sizeof s->last.body - 1 - s->last.body_len, n = *upload_size < room ? *upload_size : room;
        memcpy(s->last.body + s->last.body_len, upload, n);
        s->last.body_len += n;
        *upload_size = 0;
        return MHD_YES;
    }
    snprintf(s->last.method, sizeof s->last.method, "%s", method);
    snprintf(s->last.url, sizeof s->last.url, "%s", url);
    copy_hdr(c, MHD_GET_ARGUMENT_KIND, "match[type]", s->last.query_type, sizeof s->last.query_type);
    copy_hdr(c, MHD_HEADER_KIND, "Accept", s->last.accept, sizeof s->last.accept);
    copy_hdr(c, MHD_HEADER_KIND, "Content-Type", s->last.ctype, sizeof s->last.ctype);
    copy_hdr(c, MHD_HEADER_KIND, "User-Agent", s->last.ua, sizeof s->last.ua);
    copy_hdr(c, MHD_HEADER_KIND, "Authorization", s->last.auth, sizeof s->last.auth);
    char *body = malloc(s->reply_size + 1);
    memset(body, 'x', s->reply_size);
    if (s->reply_size >= 2) {
        body[0] = '{';
        body[1] = '}';
        memset(body + 2, ' ', s->reply_size - 2);
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(s->reply_size, body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", CLIENT_TAXII_MEDIA);
    MHD_add_response_header(r, "X-TAXII-Date-Added-First", "2026-01-01T00:00:00.000001Z");
    MHD_add_response_header(r, "X-TAXII-Date-Added-Last", "2026-01-02T00:00:00.000002Z");
    enum MHD_Result ret = MHD_queue_response(c, strcmp(method, "POST") == 0 ? 202 : 200, r);
    MHD_destroy_response(r);
    return ret;
}

static int setup(void **state) {
    server *s = calloc(1, sizeof *s);
    s->reply_size = 2;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* loopback only; port 0 = any free port */
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, s,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
    if (!s->d) return -1;
    s->port = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT)->port;
    *state = s;
    return 0;
}

static int teardown(void **state) {
    server *s = *state;
    MHD_stop_daemon(s->d);
    free(s);
    return 0;
}

static void test_get_basic(void **state) {
    server *s = *state;
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%u/api", s->port); /* no trailing '/' */
    client_config cfg = {base, "u", "p", NULL, 0, NULL, 5, 10, 0};
    client *cl;
    enlace_err err;
    assert_int_equal(client_new(&cfg, &cl, &err), 0);
    char q[128] = "collections/c1/objects/";
    assert_int_equal(client_query_add(q, sizeof q, "match[type]", "indicator,malware"), 0);
    client_response r;
    assert_int_equal(client_get(cl, q, &r, &err), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{}");
    assert_string_equal(r.content_type, CLIENT_TAXII_MEDIA);
    assert_string_equal(r.date_added_first, "2026-01-01T00:00:00.000001Z");
    assert_string_equal(r.date_added_last, "2026-01-02T00:00:00.000002Z");
    assert_string_equal(s->last.method, "GET");
    assert_string_equal(s->last.url, "/api/collections/c1/objects/");
    assert_string_equal(s->last.query_type, "indicator,malware");
    assert_string_equal(s->last.accept, CLIENT_TAXII_MEDIA);
    assert_string_equal(s->last.ua, CLIENT_USER_AGENT);
    assert_string_equal(s->last.auth, "Basic dTpw"); /* base64("u:p") */
    client_response_free(&r);
    /* "" is the API root itself (T§4.2). */
    assert_int_equal(client_get(cl, "", &r, &err), 0);
    assert_string_equal(s->last.url, "/api/");
    client_response_free(&r);
    client_free(cl);
}

static void test_post_bearer(void **state) {
    server *s = *state;
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%u/api/", s->port);
    client_config cfg = {base, "ignored", "ignored", "enl_tok", 0, NULL, 5, 10, 0};
    client *cl;
    enlace_err err;
    assert_int_equal(client_new(&cfg, &cl, &err), 0);
    const char *env = "{\"objects\":[{\"id\":\"x--1\"}]}";
    client_response r;
    assert_int_equal(client_post(cl, "collections/c1/objects/", env, strlen(env), &r, &err), 0);
    assert_int_equal(r.status, 202);
    assert_string_equal(s->last.method, "POST");
    assert_string_equal(s->last.ctype, CLIENT_TAXII_MEDIA);
    assert_string_equal(s->last.accept, CLIENT_TAXII_MEDIA);
    assert_string_equal(s->last.auth, "Bearer enl_tok"); /* the token wins over Basic */
    assert_int_equal(s->last.body_len, strlen(env));
    assert_memory_equal(s->last.body, env, strlen(env));
    client_response_free(&r);
    client_free(cl);
}

static void test_body_limit(void **state) {
    server *s = *state;
    s->reply_size = 5000;
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%u/api/", s->port);
    client_config cfg = {base, NULL, NULL, NULL, 0, NULL, 5, 10, 1000};
    client *cl;
    enlace_err err;
    assert_int_equal(client_new(&cfg, &cl, &err), 0);
    client_response r;
    assert_int_equal(client_get(cl, "", &r, &err), ENLACE_ETOOBIG);
    assert_null(r.body);
    assert_string_equal(s->last.auth, ""); /* no credentials configured, none sent */
    cfg.max_body = 0; /* default limit: fits */
    client_free(cl);
    assert_int_equal(client_new(&cfg, &cl, &err), 0);
    assert_int_equal(client_get(cl, "", &r, &err), 0);
    assert_int_equal(r.body_len, 5000);
    client_response_free(&r);
    client_free(cl);
    s->reply_size = 2;
}

static void test_network_error(void **state) {
    (void)state;
    /* Port 1 on loopback: nothing listens there. */
    client_config cfg = {"http://127.0.0.1:1/api/", NULL, NULL, NULL, 0, NULL, 2, 5, 0};
    client *cl;
    enlace_err err;
    assert_int_equal(client_new(&cfg, &cl, &err), 0);
    client_response r;
    assert_int_equal(client_get(cl, "", &r, &err), ENLACE_ENET);
    assert_non_null(strstr(err.msg, "127.0.0.1:1"));
    client_free(cl);
    client_config none = {NULL, NULL, NULL, NULL, 0, NULL, 0, 0, 0};
    assert_int_equal(client_new(&none, &cl, &err), ENLACE_EINVAL);
}

int main(void) {
    client_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_basic),
        cmocka_unit_test(test_post_bearer),
        cmocka_unit_test(test_body_limit),
        cmocka_unit_test(test_network_error),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    client_global_cleanup();
    return rc;
}
