/* party.c - `enlace party add|list`: the parties (sovereigns, ISO 3166-1 alpha-2 codes) a node
 * knows: its own (set by `enlace init`) and its partners' (issue 3 "Who is who"). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/buf.h"

static const char party_usage[] =
    "usage: enlace party add DIR CODE [--name NAME] [--json]\n"
    "       enlace party list DIR [--json]\n"
    "\n"
    "add   record a party by its ISO 3166-1 alpha-2 code (two upper-case letters, e.g. US);\n"
    "      adding a known code again changes its name (when --name is given)\n"
    "list  list the parties, the node's own first\n"
    "\n"
    "options:\n"
    "  --name NAME   the party's name (e.g. \"United States\"; at most 127 bytes)\n"
    "  --json        add: {\"code\",\"name\",\"self\"} (name null when none);\n"
    "                list: {\"parties\":[{\"code\",\"name\",\"self\"}]}\n"
    "  --help        this text\n"
    "\n"
    "exit status: 0 ok, 1 failure (no such node), 2 usage error\n";

enum { O_NAME = 1, O_JSON, O_HELP };

typedef struct party_args {
    const char *name;
    int json;
    char *pos[2];
    int npos;
} party_args;

/* Parse the options of a subcommand with exactly want positional arguments (DIR[, CODE]).
 * Returns -1 to go on, else the exit status. */
static int parse(const char *cmd, int argc, char **argv, party_args *a, int want) {
    static const struct option opts[] = {{"name", required_argument, NULL, O_NAME},
                                         {"json", no_argument, NULL, O_JSON},
                                         {"help", no_argument, NULL, O_HELP},
                                         {NULL, 0, NULL, 0}};
    int c;
    memset(a, 0, sizeof *a);
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case O_NAME: a->name = optarg; break;
        case O_JSON: a->json = 1; break;
        case 'h':
        case O_HELP: fputs(party_usage, stdout); return CLI_EXIT_OK;
        default: return cli_bad_option(cmd, c, argv);
        }
    }
    return cli_positionals(cmd, argc, argv, a->pos, &a->npos, want, "CODE");
}

static void json_party(enlace_buf *o, const store_party *p) {
    enlace_buf_printf(o, "{\"code\":\"%s\",\"name\":", p->code);
    cli_json_str_or_null(o, p->name);
    enlace_buf_printf(o, ",\"self\":%s}", p->self ? "true" : "false");
}

/* Look a party up among the known ones. Returns ENLACE_OK, ENLACE_ENOTFOUND or the store's
 * error (err set). */
static int party_get(store *s, const char *code, store_party *out, enlace_err *err) {
    store_party *ps = NULL;
    size_t n = 0;
    int rc = store_party_list(s, &ps, &n, err);
    if (rc != ENLACE_OK) return rc;
    rc = ENLACE_ENOTFOUND;
    for (size_t i = 0; i < n; i++)
        if (strcmp(ps[i].code, code) == 0) {
            *out = ps[i];
            rc = ENLACE_OK;
        }
    free(ps);
    return rc;
}

static int party_add(int argc, char **argv) {
    const char *cmd = "party add";
    party_args a;
    int rc = parse(cmd, argc, argv, &a, 2);
    if (rc >= 0) return rc;
    const char *code = a.pos[1];
    if (!cli_party_ok(code))
        return cli_usage_error(cmd, "'%s' is not an ISO 3166-1 alpha-2 code (two upper-case letters)", code);
    if (a.name && (!*a.name || !cli_org_name_ok(a.name)))
        return cli_usage_error(cmd, "--name must be 1-127 bytes of UTF-8 without control characters");
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    enlace_err err;
    enlace_err_clear(&err);
    store_party p;
    rc = CLI_EXIT_FAIL;
    /* Adding a known code without --name must not erase the name it has. */
    int known = party_get(s, code, &p, &err);
    if (known != ENLACE_OK && known != ENLACE_ENOTFOUND) {
        cli_fail(cmd, "%s", err.msg);
    } else if (cli_audit_begin(s, &err) != ENLACE_OK ||
               cli_audited(s, "party-add", code,
                           store_party_add(s, code, a.name ? a.name : known == ENLACE_OK ? p.name : NULL, &err),
                           &err) != ENLACE_OK ||
               party_get(s, code, &p, &err) != ENLACE_OK) {
        rc = err.code == ENLACE_EINVAL ? cli_usage_error(cmd, "%s", err.msg) : cli_fail(cmd, "%s", err.msg);
    } else if (a.json) {
        enlace_buf o = ENLACE_BUF_INIT;
        json_party(&o, &p);
        enlace_buf_puts(&o, "\n");
        rc = cli_emit(cmd, &o, 0);
    } else {
        printf("party %s%s%s%s%s\n", p.code, *p.name ? " (" : "", p.name, *p.name ? ")" : "",
               p.self ? ": this node's party" : known == ENLACE_OK ? " updated" : " added");
        rc = CLI_EXIT_OK;
    }
    store_close(s);
    return rc;
}

static int party_list(int argc, char **argv) {
    const char *cmd = "party list";
    party_args a;
    int rc = parse(cmd, argc, argv, &a, 1);
    if (rc >= 0) return rc;
    if (a.name) return cli_usage_error(cmd, "--name belongs to 'party add'");
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    store_party *ps = NULL;
    size_t n = 0;
    enlace_err err;
    enlace_err_clear(&err);
    rc = store_party_list(s, &ps, &n, &err);
    store_close(s);
    if (rc != ENLACE_OK) return cli_fail(cmd, "%s", err.msg);
    enlace_buf o = ENLACE_BUF_INIT;
    if (a.json) enlace_buf_puts(&o, "{\"parties\":[");
    else enlace_buf_printf(&o, "%-5s %-5s %s\n", "CODE", "SELF", "NAME");
    for (size_t i = 0; i < n; i++) {
        if (a.json) {
            if (i) enlace_buf_puts(&o, ",");
            json_party(&o, &ps[i]);
        } else {
            enlace_buf_printf(&o, "%-5s %-5s %s\n", ps[i].code, ps[i].self ? "yes" : "-",
                              *ps[i].name ? ps[i].name : "-");
        }
    }
    if (a.json) enlace_buf_puts(&o, "]}\n");
    free(ps);
    return cli_emit(cmd, &o, 0);
}

int cli_party(int argc, char **argv) {
    if (argc < 2) return cli_usage_error("party", "missing subcommand (add, list)");
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        fputs(party_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(sub, "add")) return party_add(argc - 1, argv + 1);
    if (!strcmp(sub, "list")) return party_list(argc - 1, argv + 1);
    return cli_usage_error("party", "unknown subcommand '%s'", sub);
}
