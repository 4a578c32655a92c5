/* push.c - `enlace push`: send STIX files (bundles, envelopes, arrays, single objects) to a TAXII
 * 2.1 collection in envelopes under the server's limits (T§5.5), follow each status (T§4.3) and
 * report every object as accepted or rejected. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "client/client.h"
#include "client/input.h"
#include "client/status.h"
#include "util/buf.h"

static const char push_usage[] =
    "usage: enlace push --url URL --collection ID [--user U (--password P | --password-stdin) | --token T]\n"
    "                   [--batch N] [--insecure] [--cacert FILE] [--json] FILE...\n"
    "\n"
    "Send the STIX objects in each FILE to a TAXII 2.1 collection. A FILE may hold a STIX bundle,\n"
    "a TAXII envelope, a JSON array of objects or one object; \"-\" reads standard input. Objects\n"
    "are sent with their bytes as written (whitespace outside strings removed), in envelopes of at\n"
    "most N objects and at most the API root's max_content_length bytes; pending statuses are\n"
    "polled until complete.\n"
    "\n"
    "options:\n"
    "  --url URL           the TAXII API root, e.g. http://127.0.0.1:8021/api/\n"
    "  --collection ID     the collection's id (or alias)\n"
    "  --user U            HTTP Basic user (or env ENLACE_USER)\n"
    "  --password P        its password (or env ENLACE_PASSWORD)\n"
    "  --password-stdin    read the password from the first line of standard input\n"
    "  --token T           bearer token instead of a user (or env ENLACE_TOKEN)\n"
    "  --batch N           at most N objects per request (default 1000)\n"
    "  --insecure          do not verify the server's TLS certificate\n"
    "  --cacert FILE       verify the server with this PEM CA bundle\n"
    "  --json              JSON lines: one per object\n"
    "                      {\"file\",\"id\",\"version\",\"result\":\"accepted\"|\"rejected\",\"message\"}\n"
    "                      then {\"summary\":{\"objects\",\"accepted\",\"rejected\"}}\n"
    "  --help              this text\n"
    "\n"
    "Text output, per file: \"FILE: N objects, A accepted, R rejected\", then one line\n"
    "\"  rejected ID VERSION: MESSAGE\" per rejected object. A file that is not JSON, an element\n"
    "that is not an object or has no id, or an object larger than the server accepts is rejected\n"
    "locally with the reason. Progress goes to stderr when it is a terminal.\n"
    "\n"
    "exit status: 0 every object accepted; 3 some objects rejected; 1 failure (network, HTTP\n"
    "error, unreadable file); 2 usage error\n";

enum { O_URL = 1, O_COLL, O_USER, O_PASSWORD, O_PWSTDIN, O_TOKEN, O_BATCH, O_INSECURE, O_CACERT, O_JSON, O_HELP };

typedef struct push_run {
    client *cl;
    const char *url;        /* --url as given */
    char path[512];         /* collections/<id>/objects/ */
    size_t batch, max_bytes;
    int json, progress;
    size_t objects, accepted, rejected;
} push_run;

/* Times a POST answered 503 (store busy, nothing kept) is sent again: 2+4+8 s of pauses. */
#define PUSH_BUSY_RETRIES 3

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static const char *jstr(json_object *o, const char *name) {
    json_object *v;
    if (o && json_object_object_get_ex(o, name, &v) && json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return NULL;
}

/* Parse a status body; returns the document (caller puts) or NULL. */
static json_object *parse_status(const client_response *resp) {
    json_object *st = json_tokener_parse(resp->body);
    if (st && (!json_object_is_type(st, json_type_object) || !jstr(st, "status"))) {
        json_object_put(st);
        st = NULL;
    }
    return st;
}

/* POST one envelope of [start, end) and wait for its status to complete. Returns 0, or
 * CLI_EXIT_FAIL after printing why. */
static int send_batch(push_run *run, const client_input *in, size_t start, size_t end, client_outcome *res) {
    enlace_buf env = ENLACE_BUF_INIT;
    enlace_err err;
    enlace_err_clear(&err);
    if (client_batch_envelope(in, start, end, &env) == (size_t)-1) {
        enlace_buf_free(&env);
        return cli_fail("push", "out of memory");
    }
    client_response resp;
    int rc;
    /* 503: the node's store was busy and nothing was kept, so the same envelope is sent again,
     * a bounded number of times with growing pauses (the node asks for 2 s in Retry-After). */
    for (int attempt = 0;; attempt++) {
        rc = client_post(run->cl, run->path, env.p, env.len, &resp, &err);
        if (rc != ENLACE_OK || resp.status != 503 || attempt == PUSH_BUSY_RETRIES) break;
        client_response_free(&resp);
        if (run->progress) fprintf(stderr, "\r  node busy, retrying in %d s   ", 2 << attempt);
        sleep_ms(2000L << attempt);
    }
    enlace_buf_free(&env);
    if (rc != ENLACE_OK) return cli_net_fail("push", run->cl, &err);
    if (resp.status != 202) {
        rc = cli_http_fail("push", run->cl, run->url, "POST", run->path, &resp);
        client_response_free(&resp);
        return rc;
    }
    json_object *st = parse_status(&resp);
    client_response_free(&resp);
    if (!st) return cli_fail("push", "the server's 202 response is not a TAXII status resource");

    /* A pending status SHOULD be polled until complete (T§5.5, T§4.3). */
    long wait_ms = 100, waited_ms = 0;
    while (strcmp(jstr(st, "status"), "pending") == 0) {
        const char *sid = jstr(st, "id");
        char spath[256];
        if (!sid || strlen(sid) > 64 || strpbrk(sid, "/?#%")) {
            json_object_put(st);
            return cli_fail("push", "pending status without a usable id");
        }
        if (waited_ms > 600000) {
            json_object_put(st);
            return cli_fail("push", "status %s still pending after 10 minutes", sid);
        }
        sleep_ms(wait_ms);
        waited_ms += wait_ms;
        if (wait_ms < 2000) wait_ms *= 2;
        snprintf(spath, sizeof spath, "status/%s/", sid);
        json_object_put(st);
        if (client_get(run->cl, spath, &resp, &err) != ENLACE_OK) return cli_net_fail("push", run->cl, &err);
        if (resp.status != 200) {
            char why[1024];
            client_error_describe(&resp, why, sizeof why);
            client_response_free(&resp);
            return cli_fail("push", "polling status: %s", why);
        }
        st = parse_status(&resp);
        client_response_free(&resp);
        if (!st) return cli_fail("push", "the status endpoint did not return a TAXII status resource");
    }
    client_status_apply(st, in, start, end, res);
    json_object_put(st);
    return 0;
}

static void json_line(const char *file, const char *id, const char *version, int accepted,
                      const char *message) {
    enlace_buf o = ENLACE_BUF_INIT;
    enlace_buf_puts(&o, "{\"file\":");
    enlace_buf_json_str(&o, file);
    enlace_buf_puts(&o, ",\"id\":");
    if (id && *id) enlace_buf_json_str(&o, id);
    else enlace_buf_puts(&o, "null");
    enlace_buf_puts(&o, ",\"version\":");
    if (version && *version) enlace_buf_json_str(&o, version);
    else enlace_buf_puts(&o, "null");
    enlace_buf_printf(&o, ",\"result\":\"%s\",\"message\":", accepted ? "accepted" : "rejected");
    enlace_buf_json_str(&o, message ? message : "");
    enlace_buf_puts(&o, "}\n");
    if (o.p) fputs(o.p, stdout);
    enlace_buf_free(&o);
}

/* Report the items of [start, end) once their fate is known. */
static void report_items(push_run *run, const char *file, const client_input *in, size_t start,
                         size_t end, client_outcome *res, enlace_buf *rejected_lines, size_t *acc, size_t *rej) {
    for (size_t k = start; k < end; k++) {
        const client_item *it = &in->items[k];
        client_outcome *r = &res[k];
        if (it->error) {
            r->fate = CLIENT_REJECTED;
            snprintf(r->message, sizeof r->message, "%s", it->error);
        }
        const char *version = r->version[0] ? r->version : it->version;
        int ok = r->fate == CLIENT_ACCEPTED;
        if (ok) (*acc)++;
        else (*rej)++;
        if (run->json) {
            json_line(file, it->id, version, ok, r->message);
        } else if (!ok) {
            enlace_buf_printf(rejected_lines, "  rejected %s %s: %s\n", it->id[0] ? it->id : "-",
                              version[0] ? version : "-", r->message);
        }
    }
    fflush(stdout);
}

/* Returned by push_file for a file that could not be read: reported, and the others go on. */
#define PUSH_UNREADABLE (-1)

/* Push one file. Returns 0, PUSH_UNREADABLE, or CLI_EXIT_FAIL on a transport or HTTP error
 * (each already printed). */
static int push_file(push_run *run, const char *file) {
    char *text;
    size_t len;
    enlace_err err;
    enlace_err_clear(&err);
    if (cli_read_file(file, &text, &len, &err) != ENLACE_OK) {
        cli_fail("push", "%s", err.msg);
        return PUSH_UNREADABLE;
    }
    client_input in;
    int rc = client_input_parse(text, len, &in, &err);
    free(text);
    if (rc != ENLACE_OK) return cli_fail("push", "%s: %s", file, err.msg);

    size_t acc = 0, rej = 0;
    enlace_buf lines = ENLACE_BUF_INIT;
    if (in.error) {
        rej = 1;
        if (run->json) json_line(file, NULL, NULL, 0, in.error);
        else enlace_buf_printf(&lines, "  rejected - -: %s\n", in.error);
    } else if (client_input_mark_oversize(&in, run->max_bytes) == (size_t)-1) {
        client_input_free(&in);
        return cli_fail("push", "out of memory");
    }
    client_outcome *res = in.n ? calloc(in.n, sizeof *res) : NULL;
    if (in.n && !res) {
        client_input_free(&in);
        return cli_fail("push", "out of memory");
    }
    int printed_progress = 0;
    size_t start = 0;
    rc = 0;
    while (start < in.n) {
        size_t end = client_batch_end(&in, start, run->batch, run->max_bytes);
        int any = 0;
        for (size_t k = start; k < end && !any; k++) any = !in.items[k].error;
        if (any && (rc = send_batch(run, &in, start, end, res)) != 0) break;
        report_items(run, file, &in, start, end, res, &lines, &acc, &rej);
        if (run->progress && in.n > run->batch) {
            fprintf(stderr, "\r  %zu/%zu objects", end, in.n);
            printed_progress = 1;
        }
        start = end;
    }
    if (printed_progress) fputs("\r\033[K", stderr);
    if (rc == 0) {
        size_t n = in.error ? 1 : in.n;
        if (!run->json) {
            printf("%s: %zu objects, %zu accepted, %zu rejected\n", file, n, acc, rej);
            if (lines.p) fputs(lines.p, stdout);
        }
        run->objects += n;
        run->accepted += acc;
        run->rejected += rej;
    }
    enlace_buf_free(&lines);
    free(res);
    client_input_free(&in);
    return rc;
}

/* GET the API root (T§4.2) to learn max_content_length, and to say early when --url is not one. */
static int learn_limits(push_run *run) {
    char why[2048];
    size_t mcl = 0;
    if (cli_root_check(run->cl, run->url, why, sizeof why, &mcl) != 0) return cli_fail("push", "%s", why);
    if (mcl) run->max_bytes = mcl;
    return 0;
}

int cli_push(int argc, char **argv) {
    static const struct option opts[] = {{"url", required_argument, NULL, O_URL},
                                         {"collection", required_argument, NULL, O_COLL},
                                         {"user", required_argument, NULL, O_USER},
                                         {"password", required_argument, NULL, O_PASSWORD},
                                         {"password-stdin", no_argument, NULL, O_PWSTDIN},
                                         {"token", required_argument, NULL, O_TOKEN},
                                         {"batch", required_argument, NULL, O_BATCH},
                                         {"insecure", no_argument, NULL, O_INSECURE},
                                         {"cacert", required_argument, NULL, O_CACERT},
                                         {"json", no_argument, NULL, O_JSON},
                                         {"help", no_argument, NULL, O_HELP},
                                         {NULL, 0, NULL, 0}};
    cli_remote r;
    memset(&r, 0, sizeof r);
    push_run run;
    memset(&run, 0, sizeof run);
    run.batch = 1000;
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case O_URL: r.url = optarg; break;
        case O_COLL: r.collection = optarg; break;
        case O_USER: r.user = optarg; break;
        case O_PASSWORD: r.password = optarg; break;
        case O_PWSTDIN: r.password_stdin = 1; break;
        case O_TOKEN: r.token = optarg; break;
        case O_BATCH: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 1000000) return cli_usage_error("push", "--batch needs a number from 1 to 1000000");
            run.batch = (size_t)v;
            break;
        }
        case O_INSECURE: r.insecure = 1; break;
        case O_CACERT: r.cacert = optarg; break;
        case O_JSON: run.json = 1; break;
        case 'h':
        case O_HELP: fputs(push_usage, stdout); return CLI_EXIT_OK;
        default: return cli_bad_option("push", c, argv);
        }
    }
    if (optind >= argc) return cli_usage_error("push", "no FILE given");
    int stdin_files = 0;
    for (int i = optind; i < argc; i++) stdin_files += strcmp(argv[i], "-") == 0;
    if (stdin_files > 1) return cli_usage_error("push", "standard input ('-') can be read only once");
    if (stdin_files && r.password_stdin)
        return cli_usage_error("push", "--password-stdin and FILE '-' both need standard input");
    int rc = cli_remote_resolve("push", &r);
    if (rc) return rc;
    if (strpbrk(r.collection, "/?#% ") || !*r.collection)
        return cli_usage_error("push", "--collection '%s' is not a collection id or alias", r.collection);
    snprintf(run.path, sizeof run.path, "collections/%s/objects/", r.collection);
    run.progress = isatty(2);
    run.url = r.url;

    client_config cfg = {r.url, r.user, r.password, r.token, r.insecure, r.cacert, 0, 0, 0};
    enlace_err err;
    enlace_err_clear(&err);
    if (client_new(&cfg, &run.cl, &err) != ENLACE_OK) return cli_fail("push", "%s", err.msg);
    rc = learn_limits(&run);
    int file_failed = 0;
    for (int i = optind; i < argc && rc == 0; i++) {
        int frc = push_file(&run, argv[i]);
        /* An unreadable file does not stop the others; a transport or HTTP error does. */
        if (frc == PUSH_UNREADABLE) file_failed = 1;
        else rc = frc;
    }
    client_free(run.cl);
    if (rc == 0 && run.json)
        printf("{\"summary\":{\"objects\":%zu,\"accepted\":%zu,\"rejected\":%zu}}\n", run.objects,
               run.accepted, run.rejected);
    if (rc != 0 || file_failed) return CLI_EXIT_FAIL;
    return run.rejected ? CLI_EXIT_REJECTED : CLI_EXIT_OK;
}
