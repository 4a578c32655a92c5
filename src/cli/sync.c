/* sync.c - `enlace sync DIR`: pull from partner nodes now (issue 5 must-have 2): one pass per
 * partner (--once) or passes every --interval seconds, printing per partner and per mirror
 * what the pass did (fed/fed.h does the work). */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "fed/fed.h"
#include "util/buf.h"
#include "util/secret.h"

static const char sync_usage[] =
    "usage: enlace sync DIR [--once] [--partner CC] [--interval S] [--json]\n"
    "                       [--page-limit N] [--max-page-bytes B] [--timeout S] [--retries N] [--pass-budget S]\n"
    "                       [--cacert FILE] [--insecure]\n"
    "\n"
    "Pull from partner nodes what their agreements let this node read, into read-only mirror\n"
    "collections (docs/federation.md): trust check of each partner's audit log, its directory of\n"
    "organizations and vettings, its policy epoch, then every collection it lists to us, page by\n"
    "page from the last committed cursor. Prints per partner, then per mirror:\n"
    "  US: ok, trust 123 leaves, directory 3 orgs 1 vettings\n"
    "    us-narcotics <- US/<remote id>: +120 new, 0 known, 0 loop, 0 refused\n"
    "\n"
    "options:\n"
    "  --once             one pass per partner, then exit (the default without --interval)\n"
    "  --partner CC       only this partner (partners without a pull token are skipped\n"
    "                     otherwise: they only pull from this node)\n"
    "  --interval S       passes every S seconds until interrupted\n"
    "  --page-limit N     objects asked per page (default 500)\n"
    "  --max-page-bytes B largest page body accepted (default 67108864); a larger one fails\n"
    "  --timeout S        limit per request in seconds (default 60)\n"
    "  --retries N        retries per failed request, with backoff (default 3)\n"
    "  --pass-budget S    seconds a partner's pass may take (default 300; 0 = no limit): then it\n"
    "                     ends cleanly at a page boundary, says \"budget reached\" and the next\n"
    "                     pass resumes from the cursors (not a failure: exit 0)\n"
    "  --cacert FILE      PEM bundle to verify partners' TLS certificates with\n"
    "  --insecure         do not verify partners' TLS certificates (tests only)\n"
    "  --json             {\"partners\":[{\"party\",\"ok\",\"error\",\"trust_checked\",\"tree_size\",\n"
    "                     \"dir_orgs\",\"dir_vettings\",\"dir_conflict\",\"retries\",\"budget_reached\",\"mirrors\":[{\"alias\",\"collection\",\n"
    "                     \"remote\",\"pages\",\"added\",\"known\",\"loops\",\"refused\",\"swept\",\n"
    "                     \"restarted\",\"note\"}]}]} per pass\n"
    "  --help             this text\n"
    "\n"
    "Passes of one node run one at a time (DIR/sync.lock, also taken by the serve worker): a\n"
    "pass waits up to 10 s for another to end, then is skipped with \"another sync of this node\n"
    "is running\" (exit 1).\n"
    "\n"
    "exit status: 0 every pass completed or reached its budget, 1 a pass failed or was skipped\n"
    "(one line each says why), 2 usage error\n";

enum { O_ONCE = 1, O_PARTNER, O_INTERVAL, O_JSON, O_PAGE, O_MAXPAGE, O_TIMEOUT, O_RETRIES, O_CACERT, O_INSECURE, O_BUDGET, O_HELP };

static int parse_num(const char *cmd, const char *opt, const char *v, long lo, long hi, long *out) {
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (!*v || *end || errno || n < lo || n > hi) return cli_usage_error(cmd, "%s must be an integer %ld-%ld", opt, lo, hi);
    *out = n;
    return -1;
}

static void print_report(const fed_report *r, enlace_buf *o) {
    char line[1024];
    if (!r->ok) {
        enlace_buf_printf(o, "%s: failed: %s\n", r->party, r->error);
    } else {
        snprintf(line, sizeof line, "%s: ok", r->party);
        enlace_buf_puts(o, line);
        if (r->budget_reached) enlace_buf_puts(o, " (budget reached: resumes next pass)");
        if (r->trust_checked) enlace_buf_printf(o, ", trust %llu leaves", (unsigned long long)r->tree_size);
        enlace_buf_printf(o, ", directory %zu orgs %zu vettings", r->dir_orgs, r->dir_vettings);
        if (r->retries) enlace_buf_printf(o, ", %d retries", r->retries);
        enlace_buf_puts(o, "\n");
        if (r->dir_conflict[0]) enlace_buf_printf(o, "  directory conflict: %s\n", r->dir_conflict);
    }
    for (size_t i = 0; i < r->n_mirrors; i++) {
        const fed_mirror_report *m = &r->mirrors[i];
        enlace_buf_printf(o, "  %s <- %s/%s: +%zu new, %zu known, %zu loop, %zu refused", m->alias, r->party,
                          m->remote_id, m->added, m->known, m->loops, m->refused);
        if (m->restarted) enlace_buf_puts(o, ", restarted");
        if (m->swept) enlace_buf_printf(o, ", swept %zu", m->swept);
        enlace_buf_puts(o, "\n");
        if (m->note[0]) enlace_buf_printf(o, "    refused as invalid: %s\n", m->note);
    }
}

static void json_report(const fed_report *r, enlace_buf *o) {
    enlace_buf_printf(o, "{\"party\":\"%s\",\"ok\":%s,\"error\":", r->party, r->ok ? "true" : "false");
    json_object *e = json_object_new_string(r->error);
    enlace_buf_puts(o, r->ok ? "null" : json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN));
    json_object_put(e);
    json_object *dc = json_object_new_string(r->dir_conflict);
    enlace_buf_printf(o, ",\"dir_conflict\":%s", r->dir_conflict[0] ? json_object_to_json_string_ext(dc, JSON_C_TO_STRING_PLAIN) : "null");
    json_object_put(dc);
    enlace_buf_printf(o, ",\"trust_checked\":%s,\"tree_size\":%llu,\"dir_orgs\":%zu,\"dir_vettings\":%zu,"
                         "\"retries\":%d,\"budget_reached\":%s,\"mirrors\":[",
                      r->trust_checked ? "true" : "false", (unsigned long long)r->tree_size, r->dir_orgs,
                      r->dir_vettings, r->retries, r->budget_reached ? "true" : "false");
    for (size_t i = 0; i < r->n_mirrors; i++) {
        const fed_mirror_report *m = &r->mirrors[i];
        json_object *note = json_object_new_string(m->note);
        enlace_buf_printf(o, "%s{\"alias\":\"%s\",\"collection\":\"%s\",\"remote\":\"%s\",\"pages\":%zu,\"added\":%zu,"
                             "\"known\":%zu,\"loops\":%zu,\"refused\":%zu,\"swept\":%zu,\"restarted\":%s,\"note\":%s}",
                          i ? "," : "", m->alias, m->coll_id, m->remote_id, m->pages, m->added, m->known, m->loops,
                          m->refused, m->swept, m->restarted ? "true" : "false",
                          m->note[0] ? json_object_to_json_string_ext(note, JSON_C_TO_STRING_PLAIN) : "null");
        json_object_put(note);
    }
    enlace_buf_puts(o, "]}");
}

/* One pass with the partners (only `only` when set). Returns 1 when every pass completed. */
static int one_round(const char *cmd, store *s, const char *only, const fed_options *fo, int json) {
    store_partner *ps = NULL;
    size_t n = 0;
    enlace_err err;
    if (store_partner_list(s, &ps, &n, &err) != 0) {
        cli_fail(cmd, "%s", err.msg);
        return 0;
    }
    int all_ok = 1, found = 0;
    enlace_buf o = ENLACE_BUF_INIT;
    if (json) enlace_buf_puts(&o, "{\"partners\":[");
    for (size_t i = 0; i < n; i++) {
        if (only && strcmp(ps[i].party, only) != 0) continue;
        if (!only && !ps[i].pull_token[0]) {
            /* it pulls from us only: nothing to pull from it */
            if (!json) printf("%s: not pulled (no pull token: 'enlace partner set --token')\n", ps[i].party);
            continue;
        }
        fed_report rep;
        fed_sync_partner(s, ps[i].party, fo, &rep, &err);
        if (json) {
            if (found) enlace_buf_puts(&o, ",");
            json_report(&rep, &o);
        } else {
            print_report(&rep, &o);
        }
        found++;
        all_ok &= rep.ok;
        if (!rep.ok) {   /* named once: "US: ..." unless the error starts with the party */
            int named = strncmp(rep.error, rep.party, strlen(rep.party)) == 0;
            fprintf(stderr, "enlace %s: %s%s%s\n", cmd, named ? "" : rep.party, named ? "" : ": ", rep.error);
        }
        fed_report_free(&rep);
        if (!json) {   /* line by line as partners finish */
            fputs(o.p ? o.p : "", stdout);
            fflush(stdout);
            enlace_buf_free(&o);
        }
    }
    free(ps);
    if (json) {
        enlace_buf_puts(&o, "]}\n");
        fputs(o.p ? o.p : "", stdout);
        fflush(stdout);
    }
    enlace_buf_free(&o);
    if (only && !found) {
        cli_fail(cmd, "%s is not a partner (see 'enlace partner list')", only);
        return 0;
    }
    if (!only && n == 0 && !json) printf("no partners (see 'enlace partner add')\n");
    return all_ok;
}

int cli_sync(int argc, char **argv) {
    const char *cmd = "sync";
    static const struct option opts[] = {{"once", no_argument, NULL, O_ONCE},
                                         {"partner", required_argument, NULL, O_PARTNER},
                                         {"interval", required_argument, NULL, O_INTERVAL},
                                         {"json", no_argument, NULL, O_JSON},
                                         {"page-limit", required_argument, NULL, O_PAGE},
                                         {"max-page-bytes", required_argument, NULL, O_MAXPAGE},
                                         {"timeout", required_argument, NULL, O_TIMEOUT},
                                         {"retries", required_argument, NULL, O_RETRIES},
                                         {"cacert", required_argument, NULL, O_CACERT},
                                         {"insecure", no_argument, NULL, O_INSECURE},
                                         {"pass-budget", required_argument, NULL, O_BUDGET},
                                         {"help", no_argument, NULL, O_HELP},
                                         {NULL, 0, NULL, 0}};
    fed_options fo;
    fed_options_default(&fo);
    const char *partner = NULL;
    long interval = 0, v = 0;
    int once = 0, json = 0, c, rc;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case O_ONCE: once = 1; break;
        case O_PARTNER: partner = optarg; break;
        case O_INTERVAL:
            if ((rc = parse_num(cmd, "--interval", optarg, 1, 86400, &interval)) >= 0) return rc;
            break;
        case O_PAGE:
            if ((rc = parse_num(cmd, "--page-limit", optarg, 1, 100000, &v)) >= 0) return rc;
            fo.page_limit = (size_t)v;
            break;
        case O_MAXPAGE:
            if ((rc = parse_num(cmd, "--max-page-bytes", optarg, 1024, 1L << 30, &v)) >= 0) return rc;
            fo.max_page_bytes = (size_t)v;
            break;
        case O_TIMEOUT:
            if ((rc = parse_num(cmd, "--timeout", optarg, 1, 3600, &v)) >= 0) return rc;
            fo.timeout_s = v;
            if (fo.connect_timeout_s > v) fo.connect_timeout_s = v;
            break;
        case O_RETRIES:
            if ((rc = parse_num(cmd, "--retries", optarg, 0, 20, &v)) >= 0) return rc;
            fo.retries = (int)v;
            break;
        case O_BUDGET:
            if ((rc = parse_num(cmd, "--pass-budget", optarg, 0, 86400, &v)) >= 0) return rc;
            fo.pass_budget_s = v;
            break;
        case O_CACERT: fo.cacert = optarg; break;
        case O_INSECURE: fo.insecure = 1; break;
        case O_JSON: json = 1; break;
        case 'h':
        case O_HELP: fputs(sync_usage, stdout); return CLI_EXIT_OK;
        default: return cli_bad_option(cmd, c, argv);
        }
    }
    char *pos[1];
    int npos = 0;
    if ((rc = cli_positionals(cmd, argc, argv, pos, &npos, 1, NULL)) >= 0) return rc;
    if (once && interval) return cli_usage_error(cmd, "--once and --interval exclude each other");
    if (partner && !cli_party_ok(partner))
        return cli_usage_error(cmd, "--partner '%s' is not an ISO 3166-1 alpha-2 code (two upper-case letters)", partner);
    fo.node_dir = pos[0];
    if (enlace_secret_init() != 0) return cli_fail(cmd, "cannot initialise libsodium");
    store *s;
    if ((rc = cli_store_open(cmd, pos[0], &s)) != 0) return rc;
    int ok;
    for (;;) {
        ok = one_round(cmd, s, partner, &fo, json);
        if (!interval) break;
        sleep((unsigned)interval);
    }
    store_close(s);
    return ok ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
