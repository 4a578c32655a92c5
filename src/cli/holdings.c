/* holdings.c - `enlace holdings DIR [--json]`: what the node holds and from whom (issue 5
 * must-have 6): per collection, our own or a mirror of a partner's, the objects (distinct ids)
 * and versions by originator organization and party (store_holdings). Metadata only. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/fed.h"
#include "util/buf.h"

static const char holdings_usage[] =
    "usage: enlace holdings DIR [--json]\n"
    "\n"
    "What the node holds: one line per collection (own, or \"mirror of CC\") and originator\n"
    "organization, with its party, the number of objects (distinct ids) and of versions.\n"
    "Collections without objects are not listed.\n"
    "\n"
    "options:\n"
    "  --json   {\"holdings\":[{\"collection\",\"title\",\"mirror_of\",\"originator\",\"party\",\n"
    "           \"objects\",\"versions\"}]} (mirror_of null for a collection of our own)\n"
    "  --help   this text\n"
    "\n"
    "exit status: 0 ok, 1 failure (no such node), 2 usage error\n";

enum { O_JSON = 1, O_HELP };

/* Append the text table of hs[0..n): column widths fit the longest title and organization. */
static void table(enlace_buf *o, const store_holding *hs, size_t n) {
    int wt = 10, wo = 10;
    for (size_t i = 0; i < n; i++) {
        int lt = (int)strlen(hs[i].coll_title), lo = (int)strlen(hs[i].orig_org);
        if (lt > wt) wt = lt > 48 ? 48 : lt;
        if (lo > wo) wo = lo > 32 ? 32 : lo;
    }
    enlace_buf_printf(o, "%-*s %-9s %-*s %-5s %8s %8s\n", wt, "COLLECTION", "SOURCE", wo, "ORIGINATOR", "PARTY",
                      "OBJECTS", "VERSIONS");
    for (size_t i = 0; i < n; i++) {
        char src[16];
        snprintf(src, sizeof src, "%s%s", hs[i].mirror_of[0] ? "mirror:" : "own", hs[i].mirror_of);
        enlace_buf_printf(o, "%-*.*s %-9s %-*.*s %-5s %8lld %8lld\n", wt, wt, hs[i].coll_title, src, wo, wo,
                          hs[i].orig_org, hs[i].orig_party, (long long)hs[i].objects, (long long)hs[i].versions);
    }
}

int cli_holdings(int argc, char **argv) {
    const char *cmd = "holdings";
    static const struct option opts[] = {{"json", no_argument, NULL, O_JSON},
                                         {"help", no_argument, NULL, O_HELP},
                                         {NULL, 0, NULL, 0}};
    int c, json = 0, npos = 0;
    char *pos[1];
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case O_JSON: json = 1; break;
        case 'h':
        case O_HELP: fputs(holdings_usage, stdout); return CLI_EXIT_OK;
        default: return cli_bad_option(cmd, c, argv);
        }
    }
    int rc = cli_positionals(cmd, argc, argv, pos, &npos, 1, NULL);
    if (rc >= 0) return rc;
    store *s;
    if ((rc = cli_store_open(cmd, pos[0], &s)) != 0) return rc;
    store_holding *hs = NULL;
    size_t n = 0;
    enlace_err err;
    enlace_err_clear(&err);
    rc = store_holdings(s, &hs, &n, &err);
    store_close(s);
    if (rc != ENLACE_OK) return cli_fail(cmd, "%s", err.msg);
    enlace_buf o = ENLACE_BUF_INIT;
    if (json) {
        enlace_buf_puts(&o, "{\"holdings\":[");
        for (size_t i = 0; i < n; i++) {
            enlace_buf_printf(&o, "%s{\"collection\":\"%s\",\"title\":", i ? "," : "", hs[i].coll_id);
            enlace_buf_json_str(&o, hs[i].coll_title);
            enlace_buf_puts(&o, ",\"mirror_of\":");
            cli_json_str_or_null(&o, hs[i].mirror_of);
            enlace_buf_puts(&o, ",\"originator\":");
            enlace_buf_json_str(&o, hs[i].orig_org);
            enlace_buf_printf(&o, ",\"party\":\"%s\",\"objects\":%lld,\"versions\":%lld}", hs[i].orig_party,
                              (long long)hs[i].objects, (long long)hs[i].versions);
        }
        enlace_buf_puts(&o, "]}\n");
    } else {
        table(&o, hs, n);
    }
    free(hs);
    return cli_emit(cmd, &o, 0);
}
