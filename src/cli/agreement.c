/* agreement.c - `enlace agreement set|list|remove`: sharing agreements, the only door through
 * which a partner party's node pulls this node's collections, and the highest TLP that may flow
 * through it (DESIGN.md "Policy model"; issue 3 rules 3 and 4, issue 5 builds the partner side). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/buf.h"
#include "util/clock.h"

static const char agreement_usage[] =
    "usage: enlace agreement set DIR --partner CC --collection ID [--max-tlp LEVEL] [--json]\n"
    "       enlace agreement list DIR [--json]\n"
    "       enlace agreement remove DIR --partner CC --collection ID\n"
    "\n"
    "set     let partner party CC pull COLLECTION (id or alias), objects up to TLP LEVEL;\n"
    "        replaces an earlier agreement for the same party and collection. An agreement only\n"
    "        narrows what the objects' markings allow; it never widens it.\n"
    "list    list agreements: partner, collection, highest TLP\n"
    "remove  end an agreement: the partner no longer pulls that collection\n"
    "\n"
    "options:\n"
    "  --partner CC       the partner party, ISO 3166-1 alpha-2 (not this node's own party)\n"
    "  --collection ID    the collection's id or alias\n"
    "  --max-tlp LEVEL    clear, green, amber, amber+strict or red (default red: no cap beyond\n"
    "                     the markings; RED objects reach only their originator anyway)\n"
    "  --json             set: {\"partner\",\"collection\",\"alias\",\"max_tlp\"};\n"
    "                     list: {\"agreements\":[{\"partner\",\"collection\",\"alias\",\"max_tlp\",\"created\"}]}\n"
    "  --help             this text\n"
    "\n"
    "exit status: 0 ok, 1 failure (no such node, collection or agreement), 2 usage error\n";

enum { O_PARTNER = 1, O_COLLECTION, O_MAXTLP, O_JSON, O_HELP };

typedef struct agr_args {
    const char *partner, *collection, *max_tlp;
    int json;
    char *pos[1];
    int npos;
} agr_args;

/* Parse the options; exactly one positional argument (DIR). Returns -1 to go on, else the
 * exit status. */
static int parse(const char *cmd, int argc, char **argv, agr_args *a) {
    static const struct option opts[] = {{"partner", required_argument, NULL, O_PARTNER},
                                         {"collection", required_argument, NULL, O_COLLECTION},
                                         {"max-tlp", required_argument, NULL, O_MAXTLP},
                                         {"json", no_argument, NULL, O_JSON},
                                         {"help", no_argument, NULL, O_HELP},
                                         {NULL, 0, NULL, 0}};
    int c;
    memset(a, 0, sizeof *a);
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case O_PARTNER: a->partner = optarg; break;
        case O_COLLECTION: a->collection = optarg; break;
        case O_MAXTLP: a->max_tlp = optarg; break;
        case O_JSON: a->json = 1; break;
        case 'h':
        case O_HELP: fputs(agreement_usage, stdout); return CLI_EXIT_OK;
        default: return cli_bad_option(cmd, c, argv);
        }
    }
    return cli_positionals(cmd, argc, argv, a->pos, &a->npos, 1, NULL);
}

/* --partner and --collection, both required by set and remove. */
static int need_target(const char *cmd, const agr_args *a) {
    if (!a->partner) return cli_usage_error(cmd, "--partner CC is required");
    if (!cli_party_ok(a->partner))
        return cli_usage_error(cmd, "--partner '%s' is not an ISO 3166-1 alpha-2 code (two upper-case letters)", a->partner);
    if (!a->collection || !*a->collection) return cli_usage_error(cmd, "--collection ID is required");
    return -1;
}

/* Make sure the partner party is known (recorded without a name when new), keeping the name a
 * known party has. Returns 0 or the store's code (err set). */
static int party_known(store *s, const char *code, enlace_err *err) {
    store_party *ps = NULL;
    size_t n = 0;
    int rc = store_party_list(s, &ps, &n, err);
    if (rc != ENLACE_OK) return rc;
    int known = 0;
    for (size_t i = 0; i < n; i++) known |= strcmp(ps[i].code, code) == 0;
    free(ps);
    return known ? ENLACE_OK : store_party_add(s, code, NULL, err);
}

static int agr_set(int argc, char **argv) {
    const char *cmd = "agreement set";
    agr_args a;
    int rc = parse(cmd, argc, argv, &a);
    if (rc >= 0 || (rc = need_target(cmd, &a)) >= 0) return rc;
    int max_tlp = POLICY_TLP_RED;
    if (a.max_tlp && (max_tlp = cli_tlp_parse(a.max_tlp, 0)) < 0)
        return cli_usage_error(cmd, "--max-tlp '%s' is not one of clear, green, amber, amber+strict, red", a.max_tlp);
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    enlace_err err;
    enlace_err_clear(&err);
    store_org self;
    store_collection c;
    char what[160];  /* the audit entry's target */
    rc = CLI_EXIT_FAIL;
    if (cli_node_org(s, &self, &err) != ENLACE_OK) {
        cli_fail(cmd, "%s", err.msg);
    } else if (strcmp(a.partner, self.party) == 0) {
        rc = cli_usage_error(cmd, "--partner %s is this node's own party; agreements are with other parties", a.partner);
    } else if (cli_collection_find(cmd, s, a.collection, &c) != 0) {
        /* printed */
    } else if (party_known(s, a.partner, &err) != ENLACE_OK || cli_audit_begin(s, &err) != ENLACE_OK ||
               snprintf(what, sizeof what, "%s on %s up to %s", a.partner, c.id, policy_tlp_name(max_tlp)) < 0 ||
               cli_audited(s, "agreement-set", what,
                           store_agreement_set(s, a.partner, c.rowid, max_tlp, enlace_clock_now_us(), &err),
                           &err) != ENLACE_OK) {
        rc = err.code == ENLACE_EINVAL ? cli_usage_error(cmd, "%s", err.msg) : cli_fail(cmd, "%s", err.msg);
    } else if (a.json) {
        enlace_buf o = ENLACE_BUF_INIT;
        enlace_buf_printf(&o, "{\"partner\":\"%s\",\"collection\":\"%s\",\"alias\":", a.partner, c.id);
        cli_json_str_or_null(&o, c.alias);
        enlace_buf_printf(&o, ",\"max_tlp\":\"%s\"}\n", policy_tlp_name(max_tlp));
        rc = cli_emit(cmd, &o, 0);
    } else {
        printf("%s may pull collection %s%s%s%s, objects up to TLP:%s\n", a.partner, c.id, *c.alias ? " (" : "",
               c.alias, *c.alias ? ")" : "", policy_tlp_name(max_tlp));
        rc = CLI_EXIT_OK;
    }
    store_close(s);
    return rc;
}

static int agr_list(int argc, char **argv) {
    const char *cmd = "agreement list";
    agr_args a;
    int rc = parse(cmd, argc, argv, &a);
    if (rc >= 0) return rc;
    if (a.partner || a.collection || a.max_tlp)
        return cli_usage_error(cmd, "--partner/--collection/--max-tlp belong to 'agreement set' and 'agreement remove'");
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    store_agreement *ag = NULL;
    store_collection *cs = NULL;
    size_t n = 0, nc = 0;
    enlace_err err;
    enlace_err_clear(&err);
    if (store_agreement_list(s, &ag, &n, &err) != ENLACE_OK ||
        store_collection_list(s, 0, &cs, &nc, &err) != ENLACE_OK) {
        free(ag);
        store_close(s);
        return cli_fail(cmd, "%s", err.msg);
    }
    store_close(s);
    enlace_buf o = ENLACE_BUF_INIT;
    if (a.json) enlace_buf_puts(&o, "{\"agreements\":[");
    else enlace_buf_printf(&o, "%-7s %-36s  %-20s %-12s %s\n", "PARTNER", "COLLECTION", "ALIAS", "MAX_TLP", "CREATED");
    for (size_t i = 0; i < n; i++) {
        const char *alias = "";
        for (size_t k = 0; k < nc; k++)
            if (cs[k].rowid == ag[i].coll_rowid) alias = cs[k].alias;
        char t[32];
        cli_time_ms(ag[i].created_us, t);
        if (a.json) {
            enlace_buf_printf(&o, "%s{\"partner\":\"%s\",\"collection\":\"%s\",\"alias\":", i ? "," : "",
                              ag[i].party, ag[i].coll_id);
            cli_json_str_or_null(&o, alias);
            enlace_buf_printf(&o, ",\"max_tlp\":\"%s\",\"created\":\"%s\"}", policy_tlp_name(ag[i].max_tlp), t);
        } else {
            enlace_buf_printf(&o, "%-7s %-36s  %-20s %-12s %s\n", ag[i].party, ag[i].coll_id, *alias ? alias : "-",
                              policy_tlp_name(ag[i].max_tlp), t);
        }
    }
    if (a.json) enlace_buf_puts(&o, "]}\n");
    free(ag);
    free(cs);
    return cli_emit(cmd, &o, 0);
}

static int agr_remove(int argc, char **argv) {
    const char *cmd = "agreement remove";
    agr_args a;
    int rc = parse(cmd, argc, argv, &a);
    if (rc >= 0 || (rc = need_target(cmd, &a)) >= 0) return rc;
    if (a.max_tlp) return cli_usage_error(cmd, "--max-tlp belongs to 'agreement set'");
    if (a.json) return cli_usage_error(cmd, "--json is not an option of 'agreement remove'");
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    enlace_err err;
    enlace_err_clear(&err);
    store_collection c;
    char what[160];  /* the audit entry's target */
    rc = CLI_EXIT_FAIL;
    if (cli_collection_find(cmd, s, a.collection, &c) != 0) {
        /* printed */
    } else if (cli_audit_begin(s, &err) != ENLACE_OK ||
               snprintf(what, sizeof what, "%s on %s", a.partner, c.id) < 0 ||
               cli_audited(s, "agreement-remove", what, store_agreement_remove(s, a.partner, c.rowid, &err),
                           &err) != ENLACE_OK) {
        if (err.code == ENLACE_ENOTFOUND) cli_fail(cmd, "no agreement with %s on collection %s", a.partner, c.id);
        else cli_fail(cmd, "%s", err.msg);
    } else {
        printf("%s may no longer pull collection %s\n", a.partner, c.id);
        rc = CLI_EXIT_OK;
    }
    store_close(s);
    return rc;
}

int cli_agreement(int argc, char **argv) {
    if (argc < 2) return cli_usage_error("agreement", "missing subcommand (set, list, remove)");
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        fputs(agreement_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(sub, "set")) return agr_set(argc - 1, argv + 1);
    if (!strcmp(sub, "list")) return agr_list(argc - 1, argv + 1);
    if (!strcmp(sub, "remove")) return agr_remove(argc - 1, argv + 1);
    return cli_usage_error("agreement", "unknown subcommand '%s'", sub);
}
