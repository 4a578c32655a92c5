/* get.c - `enlace get`: fetch a TAXII 2.1 collection's objects (T§5.4) or manifest (T§5.3) with
 * filters (T§3.4.1), following pages (T§3.5) until the server says there is no more. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "client/client.h"
#include "client/input.h"
#include "util/buf.h"

static const char get_usage[] =
    "usage: enlace get --url URL --collection ID [--added-after T] [--type T[,T]] [--id ID[,ID]]\n"
    "                  [--version V] [--spec-version V] [--limit N] [--manifest] [--jsonl]\n"
    "                  [-o FILE] [--user U (--password P | --password-stdin) | --token T]\n"
    "                  [--insecure] [--cacert FILE]\n"
    "\n"
    "Fetch the objects (or, with --manifest, the manifest records) of a TAXII 2.1 collection,\n"
    "following 'next' until 'more' is false (when 'more' comes without 'next', continuing with\n"
    "added_after = the X-TAXII-Date-Added-Last header). Output: one envelope {\"objects\":[...]}\n"
    "({} when nothing matched), or with --jsonl one object per line, each with the bytes the\n"
    "server sent (whitespace outside strings removed). A summary \"N objects in P pages\" goes to\n"
    "stderr.\n"
    "\n"
    "options:\n"
    "  --url URL            the TAXII API root, e.g. http://127.0.0.1:8021/api/\n"
    "  --collection ID      the collection's id (or alias)\n"
    "  --added-after T      only objects added after T (TAXII timestamp, e.g. 2026-01-01T00:00:00.000000Z)\n"
    "  --type T[,T]         match[type]\n"
    "  --id ID[,ID]         match[id]\n"
    "  --version V          match[version]: last (default), first, all, or timestamps\n"
    "  --spec-version V     match[spec_version], e.g. 2.1\n"
    "  --limit N            page size asked of the server (limit)\n"
    "  --manifest           fetch manifest records instead of objects\n"
    "  --jsonl              write one JSON object per line instead of one envelope\n"
    "  -o FILE              write to FILE (replaced only when the whole fetch succeeded)\n"
    "  --user U, --password P, --password-stdin, --token T\n"
    "                       credentials, as for push (or env ENLACE_USER, ENLACE_PASSWORD,\n"
    "                       ENLACE_TOKEN)\n"
    "  --insecure           do not verify the server's TLS certificate\n"
    "  --cacert FILE        verify the server with this PEM CA bundle\n"
    "  --help               this text\n"
    "\n"
    "exit status: 0 ok, 1 failure (network, HTTP error, bad response), 2 usage error\n";

enum { O_URL = 1, O_COLL, O_USER, O_PASSWORD, O_PWSTDIN, O_TOKEN, O_INSECURE, O_CACERT, O_AFTER,
       O_TYPE, O_ID, O_VERSION, O_SPEC, O_LIMIT, O_MANIFEST, O_JSONL, O_HELP };

#define GET_QUERY_MAX 16384

/* A page that brings nothing new this many times in a row means the server is not moving on. */
#define GET_MAX_STALL 10

typedef struct get_out {
    FILE *f;
    int jsonl;
    size_t count;
    enlace_buf scratch;
    uint64_t *seen;       /* open-addressing set of FNV-1a hashes of the elements written */
    size_t seen_cap, seen_n;
} get_out;

static uint64_t fnv1a(const char *p, size_t n) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h ? h : 1; /* 0 marks an empty slot */
}

/* Add h to the set; returns 1 when it was new, 0 when already there, -1 when out of memory. */
static int seen_add(get_out *o, uint64_t h) {
    if (2 * (o->seen_n + 1) > o->seen_cap) {
        size_t cap = o->seen_cap ? 2 * o->seen_cap : 1024;
        uint64_t *t = calloc(cap, sizeof *t);
        if (!t) return -1;
        for (size_t i = 0; i < o->seen_cap; i++) {
            if (!o->seen[i]) continue;
            size_t k = (size_t)o->seen[i] & (cap - 1);
            while (t[k]) k = (k + 1) & (cap - 1);
            t[k] = o->seen[i];
        }
        free(o->seen);
        o->seen = t;
        o->seen_cap = cap;
    }
    size_t k = (size_t)h & (o->seen_cap - 1);
    while (o->seen[k]) {
        if (o->seen[k] == h) return 0;
        k = (k + 1) & (o->seen_cap - 1);
    }
    o->seen[k] = h;
    o->seen_n++;
    return 1;
}

/* Write one element (bytes text[0..len), valid JSON) to the output; *fresh += 1 when it was not
 * written before in this walk. */
static int emit(get_out *o, const char *text, size_t len, size_t *fresh) {
    o->scratch.len = 0;
    if (enlace_buf_reserve(&o->scratch, len + 1) != 0) return -1;
    size_t n = client_json_minify(text, len, o->scratch.p);
    int added = seen_add(o, fnv1a(o->scratch.p, n));
    if (added < 0) return -1;
    *fresh += (size_t)added;
    if (o->jsonl) {
        o->scratch.p[n++] = '\n';
    } else if (o->count == 0) {
        fputs("{\"objects\":[", o->f);
    } else {
        fputc(',', o->f);
    }
    o->count++;
    return fwrite(o->scratch.p, 1, n, o->f) == n ? 0 : -1;
}

/* Write every element of the page's "objects" list (a json array). Returns 0, or -1
 * (write/memory error). */
static int emit_page(get_out *o, const char *body, size_t len, json_object *objs, size_t *fresh) {
    size_t n = json_object_array_length(objs), found = 0;
    size_t *offs = calloc(n + 1, sizeof *offs), *lens = calloc(n + 1, sizeof *lens);
    int rc = 0;
    if (!offs || !lens) rc = -1;
    int spans_ok = rc == 0 && client_json_array_spans(body, len, "objects", offs, lens, n, &found) == 0 && found == n;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (spans_ok) {
            rc = emit(o, body + offs[i], lens[i], fresh);
        } else { /* cannot locate the bytes: re-serialize the same values */
            const char *t = json_object_to_json_string_ext(json_object_array_get_idx(objs, i),
                                                           JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
            rc = t ? emit(o, t, strlen(t), fresh) : -1;
        }
    }
    free(offs);
    free(lens);
    return rc;
}

/* The JSON type name of v, for messages. */
static const char *jtype(json_object *v) {
    switch (json_object_get_type(v)) {
    case json_type_null: return "null";
    case json_type_boolean: return "a boolean";
    case json_type_double:
    case json_type_int: return "a number";
    case json_type_object: return "an object";
    case json_type_array: return "a list";
    case json_type_string: return "a string";
    }
    return "?";
}

typedef struct get_args {
    cli_remote r;
    const char *after, *type, *id, *version, *spec, *limit, *outfile;
    int manifest, jsonl;
} get_args;

/* Run the paging loop, writing to o. Returns 0 or CLI_EXIT_FAIL (printed). */
static int fetch(client *cl, const get_args *a, get_out *o, size_t *pages) {
    char base[GET_QUERY_MAX], q[GET_QUERY_MAX + 1024], after[128] = "";
    char *next = NULL;
    int rc = 0;
    size_t stalled = 0; /* pages in a row that brought no object not written before */
    snprintf(base, sizeof base, "collections/%s/%s/", a->r.collection, a->manifest ? "manifest" : "objects");
    if ((a->type && client_query_add(base, sizeof base, "match[type]", a->type)) ||
        (a->id && client_query_add(base, sizeof base, "match[id]", a->id)) ||
        (a->version && client_query_add(base, sizeof base, "match[version]", a->version)) ||
        (a->spec && client_query_add(base, sizeof base, "match[spec_version]", a->spec)) ||
        (a->limit && client_query_add(base, sizeof base, "limit", a->limit)))
        return cli_fail("get", "filters too long");
    if (a->after) snprintf(after, sizeof after, "%s", a->after);
    *pages = 0;
    for (;;) {
        /* The same filters go with every page; next (T§3.5) or the moved added_after on top. */
        snprintf(q, sizeof q, "%s", base);
        if ((after[0] && client_query_add(q, sizeof q, "added_after", after)) ||
            (next && client_query_add(q, sizeof q, "next", next))) {
            rc = cli_fail("get", "query too long");
            break;
        }
        client_response resp;
        enlace_err err;
        enlace_err_clear(&err);
        if (client_get(cl, q, &resp, &err) != ENLACE_OK) {
            rc = cli_net_fail("get", cl, &err);
            break;
        }
        if (resp.status != 200) {
            rc = cli_http_fail("get", cl, a->r.url, "GET", q, &resp);
            client_response_free(&resp);
            break;
        }
        size_t pageno = ++*pages;
        json_tokener *tok = json_tokener_new_ex(128);
        json_object *page = NULL;
        if (tok) {
            json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
            page = json_tokener_parse_ex(tok, resp.body, (int)resp.body_len);
            json_tokener_free(tok);
        }
        /* Every member the loop relies on is checked for its type before use (T§3.7 envelope,
         * T§5.3 manifest: objects is a list, more a boolean, next a string). */
        json_object *objs = NULL, *more = NULL, *nx = NULL;
        int has_more = 0;
        const char *nv = NULL;
        if (!page || !json_object_is_type(page, json_type_object)) {
            rc = cli_fail("get", "page %zu is not a JSON object", pageno);
        } else if (json_object_object_get_ex(page, "objects", &objs) && !json_object_is_type(objs, json_type_array)) {
            rc = cli_fail("get", "page %zu: 'objects' is %s, not a list", pageno, jtype(objs));
        } else if (json_object_object_get_ex(page, "more", &more) && !json_object_is_type(more, json_type_boolean)) {
            rc = cli_fail("get", "page %zu: 'more' is %s, not a boolean", pageno, jtype(more));
        } else if (json_object_object_get_ex(page, "next", &nx) && !json_object_is_type(nx, json_type_string)) {
            rc = cli_fail("get", "page %zu: 'next' is %s, not a string", pageno, jtype(nx));
        } else {
            has_more = more && json_object_get_boolean(more);
            nv = nx ? json_object_get_string(nx) : NULL;
        }
        size_t fresh = 0;
        if (rc == 0 && objs && emit_page(o, resp.body, resp.body_len, objs, &fresh) != 0)
            rc = cli_fail("get", "cannot write the output: %s", strerror(errno));
        stalled = fresh ? 0 : stalled + 1;
        if (rc == 0 && has_more && nv && *nv) {
            /* A server may keep one next token for a whole walk, but the same token again with
             * nothing new on the page would loop forever. */
            if (next && strcmp(next, nv) == 0 && fresh == 0)
                rc = cli_fail("get", "page %zu: the server repeats 'next' %.100s without new objects; stopping",
                              pageno, nv);
            else if (stalled >= GET_MAX_STALL)
                rc = cli_fail("get", "page %zu: the server says more but its last %d pages brought no new objects; stopping",
                              pageno, GET_MAX_STALL);
            free(next);
            next = strdup(nv);
            if (!next && rc == 0) rc = cli_fail("get", "out of memory");
        } else if (rc == 0 && has_more) {
            /* more without next: continue after the last date_added seen (T§3.5). */
            if (!resp.date_added_last[0])
                rc = cli_fail("get", "the server says more but sends neither 'next' nor X-TAXII-Date-Added-Last");
            else if (strcmp(after, resp.date_added_last) == 0)
                rc = cli_fail("get", "the server says more but X-TAXII-Date-Added-Last does not move (%s)", after);
            else if (stalled >= GET_MAX_STALL)
                rc = cli_fail("get", "page %zu: the server says more but its last %d pages brought no new objects; stopping",
                              pageno, GET_MAX_STALL);
            snprintf(after, sizeof after, "%s", resp.date_added_last);
            free(next);
            next = NULL;
        }
        json_object_put(page);
        client_response_free(&resp);
        if (rc || !has_more) break;
    }
    free(next);
    return rc;
}

int cli_get(int argc, char **argv) {
    static const struct option opts[] = {{"url", required_argument, NULL, O_URL},
                                         {"collection", required_argument, NULL, O_COLL},
                                         {"user", required_argument, NULL, O_USER},
                                         {"password", required_argument, NULL, O_PASSWORD},
                                         {"password-stdin", no_argument, NULL, O_PWSTDIN},
                                         {"token", required_argument, NULL, O_TOKEN},
                                         {"insecure", no_argument, NULL, O_INSECURE},
                                         {"cacert", required_argument, NULL, O_CACERT},
                                         {"added-after", required_argument, NULL, O_AFTER},
                                         {"type", required_argument, NULL, O_TYPE},
                                         {"id", required_argument, NULL, O_ID},
                                         {"version", required_argument, NULL, O_VERSION},
                                         {"spec-version", required_argument, NULL, O_SPEC},
                                         {"limit", required_argument, NULL, O_LIMIT},
                                         {"manifest", no_argument, NULL, O_MANIFEST},
                                         {"jsonl", no_argument, NULL, O_JSONL},
                                         {"help", no_argument, NULL, O_HELP},
                                         {NULL, 0, NULL, 0}};
    get_args a;
    memset(&a, 0, sizeof a);
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
        switch (c) {
        case O_URL: a.r.url = optarg; break;
        case O_COLL: a.r.collection = optarg; break;
        case O_USER: a.r.user = optarg; break;
        case O_PASSWORD: a.r.password = optarg; break;
        case O_PWSTDIN: a.r.password_stdin = 1; break;
        case O_TOKEN: a.r.token = optarg; break;
        case O_INSECURE: a.r.insecure = 1; break;
        case O_CACERT: a.r.cacert = optarg; break;
        case O_AFTER: a.after = optarg; break;
        case O_TYPE: a.type = optarg; break;
        case O_ID: a.id = optarg; break;
        case O_VERSION: a.version = optarg; break;
        case O_SPEC: a.spec = optarg; break;
        case O_LIMIT: a.limit = optarg; break;
        case O_MANIFEST: a.manifest = 1; break;
        case O_JSONL: a.jsonl = 1; break;
        case 'o': a.outfile = optarg; break;
        case 'h':
        case O_HELP: fputs(get_usage, stdout); return CLI_EXIT_OK;
        default: return cli_bad_option("get", c, argv);
        }
    }
    if (optind < argc) return cli_usage_error("get", "unexpected argument '%s'", argv[optind]);
    if (a.limit) {
        char *end;
        long v = strtol(a.limit, &end, 10);
        if (*end || v < 1) return cli_usage_error("get", "--limit needs a positive number");
    }
    if (a.after && strlen(a.after) >= 100) return cli_usage_error("get", "--added-after is too long");
    int rc = cli_remote_resolve("get", &a.r);
    if (rc) return rc;
    if (strpbrk(a.r.collection, "/?#% ") || !*a.r.collection)
        return cli_usage_error("get", "--collection '%s' is not a collection id or alias", a.r.collection);

    get_out o = {stdout, a.jsonl, 0, ENLACE_BUF_INIT, NULL, 0, 0};
    char tmp[4200] = "";
    if (a.outfile) {
        /* Write beside the target and rename at the end, so a failed fetch leaves no half file. */
        snprintf(tmp, sizeof tmp, "%s.tmp.%ld", a.outfile, (long)getpid());
        o.f = fopen(tmp, "wb");
        if (!o.f) return cli_fail("get", "cannot write %s: %s", tmp, strerror(errno));
    }
    client_config cfg = {a.r.url, a.r.user, a.r.password, a.r.token, a.r.insecure, a.r.cacert, 0, 0, 0};
    client *cl = NULL;
    enlace_err err;
    enlace_err_clear(&err);
    size_t pages = 0;
    if (client_new(&cfg, &cl, &err) != ENLACE_OK) rc = cli_fail("get", "%s", err.msg);
    else rc = fetch(cl, &a, &o, &pages);
    client_free(cl);
    if (rc == 0 && !a.jsonl) fputs(o.count ? "]}\n" : "{}\n", o.f);
    if (fflush(o.f) != 0 && rc == 0) rc = cli_fail("get", "cannot write the output: %s", strerror(errno));
    if (a.outfile) {
        if (fclose(o.f) != 0 && rc == 0) rc = cli_fail("get", "cannot write %s: %s", tmp, strerror(errno));
        if (rc == 0 && rename(tmp, a.outfile) != 0) rc = cli_fail("get", "cannot write %s: %s", a.outfile, strerror(errno));
        if (rc != 0) unlink(tmp);
    }
    enlace_buf_free(&o.scratch);
    free(o.seen);
    if (rc == 0) fprintf(stderr, "%zu objects in %zu pages\n", o.count, pages);
    return rc;
}
