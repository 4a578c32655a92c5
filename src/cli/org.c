/* org.c - `enlace org add|list|vet|unvet`: organizations (agencies, units) as STIX identities,
 * and the vettings by which this node's party vouches for another party's unit until a date
 * (issue 3 "Who is who"). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "stix/id.h"
#include "util/buf.h"
#include "util/clock.h"

static const char org_usage[] =
    "usage: enlace org add DIR NAME [--party CC] [--identity identity--UUID] [--description D] [--json]\n"
    "       enlace org list DIR [--json]\n"
    "       enlace org vet DIR ORG --until DATE [--json]\n"
    "       enlace org unvet DIR ORG\n"
    "\n"
    "add    record an organization (an agency or unit) as a STIX 2.1 identity (identity_class\n"
    "       organization, TLP:CLEAR). One of the node's own party is vouched for by this node and\n"
    "       published to partners; one of another party is only known here (a liaison's agency,\n"
    "       a partner node, a unit this party vets).\n"
    "list   list organizations with their party, identity and vettings\n"
    "vet    record that this node's party vets ORG (another party's organization) until DATE;\n"
    "       replaces an earlier vetting of ORG by this party\n"
    "unvet  remove this node's party's vetting of ORG\n"
    "ORG is an organization's name or identity id.\n"
    "\n"
    "options:\n"
    "  --party CC        the organization's party (default: the node's own)\n"
    "  --identity ID     its STIX identity id, as its own party's node published it\n"
    "                    (default: a new identity--<uuid4>)\n"
    "  --description D   the identity's description\n"
    "  --until DATE      YYYY-MM-DD (the vetting lasts through that day, UTC) or an RFC 3339\n"
    "                    date-time (e.g. 2027-06-30T12:00:00Z): the vetting ends at that instant\n"
    "  --json            add: {\"name\",\"identity_id\",\"party\",\"self\",\"vouched\"};\n"
    "                    list: {\"organizations\":[{\"name\",\"identity_id\",\"party\",\"self\",\"vouched\",\n"
    "                    \"created\",\"vettings\":[{\"by\",\"until\",\"expired\"}]}]};\n"
    "                    vet: {\"org\",\"identity_id\",\"party\",\"by\",\"until\",\"expired\"}\n"
    "  --help            this text\n"
    "\n"
    "exit status: 0 ok, 1 failure (no such node or organization; name or identity taken; no such\n"
    "vetting), 2 usage error (also vetting an organization of the node's own party)\n";

enum { O_PARTY = 1, O_IDENTITY, O_DESC, O_UNTIL, O_JSON, O_HELP };

typedef struct org_args {
    const char *party, *identity, *desc, *until;
    int json;
    char *pos[2];
    int npos;
} org_args;

/* Parse the options of a subcommand with exactly want positional arguments (DIR[, NAME|ORG]).
 * Returns -1 to go on, else the exit status. */
static int parse(const char *cmd, int argc, char **argv, org_args *a, int want) {
    static const struct option opts[] = {{"party", required_argument, NULL, O_PARTY},
                                         {"identity", required_argument, NULL, O_IDENTITY},
                                         {"description", required_argument, NULL, O_DESC},
                                         {"until", required_argument, NULL, O_UNTIL},
                                         {"json", no_argument, NULL, O_JSON},
                                         {"help", no_argument, NULL, O_HELP},
                                         {NULL, 0, NULL, 0}};
    int c;
    memset(a, 0, sizeof *a);
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case O_PARTY: a->party = optarg; break;
        case O_IDENTITY: a->identity = optarg; break;
        case O_DESC: a->desc = optarg; break;
        case O_UNTIL: a->until = optarg; break;
        case O_JSON: a->json = 1; break;
        case 'h':
        case O_HELP: fputs(org_usage, stdout); return CLI_EXIT_OK;
        default: return cli_bad_option(cmd, c, argv);
        }
    }
    return cli_positionals(cmd, argc, argv, a->pos, &a->npos, want, strcmp(cmd, "org add") == 0 ? "NAME" : "ORG");
}

/* Options that belong to one subcommand only: refuse them elsewhere rather than ignore them. */
static int only_for(const char *cmd, const org_args *a, int add, int vet) {
    if (!add && (a->party || a->identity || a->desc))
        return cli_usage_error(cmd, "--party/--identity/--description belong to 'org add'");
    if (!vet && a->until) return cli_usage_error(cmd, "--until belongs to 'org vet'");
    return -1;
}

static int org_add(int argc, char **argv) {
    const char *cmd = "org add";
    org_args a;
    int rc = parse(cmd, argc, argv, &a, 2);
    if (rc >= 0 || (rc = only_for(cmd, &a, 1, 0)) >= 0) return rc;
    const char *name = a.pos[1];
    if (!cli_org_name_ok(name))
        return cli_usage_error(cmd, "bad organization name '%s' (1-127 bytes of UTF-8 without control "
                                    "characters, not starting with 'identity--')", name);
    if (a.party && !cli_party_ok(a.party))
        return cli_usage_error(cmd, "--party '%s' is not an ISO 3166-1 alpha-2 code (two upper-case letters)", a.party);
    char why[256], uuid[STIX_UUID_STR], identity[POLICY_IDENTITY_LEN];
    if (a.identity) {
        if (stix_id_check(a.identity, "identity", NULL, why, sizeof why) != 0)
            return cli_usage_error(cmd, "--identity: %s", why);
        if (strlen(a.identity) >= sizeof identity)
            return cli_usage_error(cmd, "--identity '%s' is too long", a.identity);
        snprintf(identity, sizeof identity, "%s", a.identity);
    } else {
        stix_uuid4(uuid);
        snprintf(identity, sizeof identity, "identity--%s", uuid);
    }
    if (a.desc && strlen(a.desc) > 1023) return cli_usage_error(cmd, "--description is longer than 1023 bytes");

    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    enlace_err err;
    enlace_err_clear(&err);
    store_org self, o;
    enlace_buf ident = ENLACE_BUF_INIT;
    rc = CLI_EXIT_FAIL;
    if (cli_node_org(s, &self, &err) != ENLACE_OK) {
        cli_fail(cmd, "%s", err.msg);
        goto out;
    }
    const char *party = a.party ? a.party : self.party;
    /* A node may vouch only for its own party's organizations (issue 3): the others are known
     * here, never published as ours. */
    int vouched = strcmp(party, self.party) == 0;
    int64_t now_us = enlace_clock_now_us();
    char now[32];
    cli_time_ms(now_us, now);
    /* The identity (S§4.5) as partners will see it: created == modified for a first version
     * (S§3.6), marked TLP:CLEAR because who-is-who is public within the exchange. */
    enlace_buf_printf(&ident, "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"%s\","
                              "\"modified\":\"%s\",\"name\":", identity, now, now);
    enlace_buf_json_str(&ident, name);
    if (a.desc && *a.desc) {
        enlace_buf_puts(&ident, ",\"description\":");
        enlace_buf_json_str(&ident, a.desc);
    }
    enlace_buf_puts(&ident, ",\"identity_class\":\"organization\",\"object_marking_refs\":[\"" CLI_TLP_CLEAR_ID "\"]}");
    if (ident.oom) {
        cli_fail(cmd, "out of memory");
        goto out;
    }
    /* Say which of name and identity is taken (the store's conflict may name either). */
    if (store_org_get(s, name, &o, NULL) == ENLACE_OK) {
        cli_fail(cmd, "an organization named '%s' exists (%s, party %s)", name, o.identity_id, o.party);
    } else if (store_org_get(s, identity, &o, NULL) == ENLACE_OK) {
        cli_fail(cmd, "identity %s is already organization '%s'", identity, o.name);
    } else if (cli_audit_begin(s, &err) != ENLACE_OK ||
               cli_audited(s, "org-add", name, store_org_add(s, identity, name, party, vouched, ident.p, now_us, &o, &err),
                           &err) != ENLACE_OK) {
        rc = err.code == ENLACE_EINVAL ? cli_usage_error(cmd, "%s", err.msg) : cli_fail(cmd, "%s", err.msg);
    } else if (a.json) {
        enlace_buf j = ENLACE_BUF_INIT;
        enlace_buf_puts(&j, "{\"name\":");
        enlace_buf_json_str(&j, o.name);
        enlace_buf_printf(&j, ",\"identity_id\":\"%s\",\"party\":\"%s\",\"self\":%s,\"vouched\":%s}\n",
                          o.identity_id, o.party, o.self ? "true" : "false", o.vouched ? "true" : "false");
        rc = cli_emit(cmd, &j, 0);
    } else {
        printf("organization %s (%s), party %s, %s\n", o.name, o.identity_id, o.party,
               o.vouched ? "vouched for by this node" : "known here (another party's; not vouched)");
        rc = CLI_EXIT_OK;
    }
out:
    enlace_buf_free(&ident);
    store_close(s);
    return rc;
}

static int org_list(int argc, char **argv) {
    const char *cmd = "org list";
    org_args a;
    int rc = parse(cmd, argc, argv, &a, 1);
    if (rc >= 0 || (rc = only_for(cmd, &a, 0, 0)) >= 0) return rc;
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    store_org *os = NULL;
    store_vetting *vs = NULL;
    size_t n = 0, nv = 0;
    enlace_err err;
    enlace_err_clear(&err);
    if (store_org_list(s, &os, &n, &err) != ENLACE_OK || store_vetting_list(s, &vs, &nv, &err) != ENLACE_OK) {
        free(os);
        store_close(s);
        return cli_fail(cmd, "%s", err.msg);
    }
    store_close(s);
    int64_t now_us = enlace_clock_now_us();
    enlace_buf o = ENLACE_BUF_INIT;
    if (a.json) enlace_buf_puts(&o, "{\"organizations\":[");
    else enlace_buf_printf(&o, "%-16s %-5s %-8s %-46s %s\n", "NAME", "PARTY", "STATUS", "IDENTITY", "VETTED BY");
    for (size_t i = 0; i < n; i++) {
        char t[32];
        cli_time_ms(os[i].created_us, t);
        if (a.json) {
            enlace_buf_puts(&o, i ? ",{\"name\":" : "{\"name\":");
            enlace_buf_json_str(&o, os[i].name);
            enlace_buf_printf(&o, ",\"identity_id\":\"%s\",\"party\":\"%s\",\"self\":%s,\"vouched\":%s,"
                                  "\"created\":\"%s\",\"vettings\":[",
                              os[i].identity_id, os[i].party, os[i].self ? "true" : "false",
                              os[i].vouched ? "true" : "false", t);
        } else {
            enlace_buf_printf(&o, "%-16s %-5s %-8s %-46s ", os[i].name, os[i].party,
                              os[i].self ? "self" : os[i].vouched ? "vouched" : "known", os[i].identity_id);
        }
        int first = 1;
        for (size_t k = 0; k < nv; k++) {
            if (vs[k].org_rowid != os[i].rowid) continue;
            char until[32];
            cli_time_ms(vs[k].until_us, until);
            int expired = now_us >= vs[k].until_us;
            if (a.json)
                enlace_buf_printf(&o, "%s{\"by\":\"%s\",\"until\":\"%s\",\"expired\":%s}", first ? "" : ",",
                                  vs[k].by_party, until, expired ? "true" : "false");
            else
                enlace_buf_printf(&o, "%s%s until %s%s", first ? "" : "; ", vs[k].by_party, until,
                                  expired ? " (expired)" : "");
            first = 0;
        }
        if (a.json) enlace_buf_puts(&o, "]}");
        else enlace_buf_puts(&o, first ? "-\n" : "\n");
    }
    if (a.json) enlace_buf_puts(&o, "]}\n");
    free(os);
    free(vs);
    return cli_emit(cmd, &o, 0);
}

static int org_vet(int argc, char **argv) {
    const char *cmd = "org vet";
    org_args a;
    int rc = parse(cmd, argc, argv, &a, 2);
    if (rc >= 0 || (rc = only_for(cmd, &a, 0, 1)) >= 0) return rc;
    if (!a.until) return cli_usage_error(cmd, "--until DATE is required");
    int64_t until_us;
    if (cli_parse_date(a.until, &until_us) != 0)
        return cli_usage_error(cmd, "--until '%s' is not a date (YYYY-MM-DD) or an RFC 3339 date-time", a.until);
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    enlace_err err;
    enlace_err_clear(&err);
    store_org self, o;
    rc = CLI_EXIT_FAIL;
    if (cli_node_org(s, &self, &err) != ENLACE_OK) {
        cli_fail(cmd, "%s", err.msg);
    } else if (cli_org_find(cmd, s, a.pos[1], &o) != 0) {
        /* printed */
    } else if (strcmp(o.party, self.party) == 0) {
        rc = cli_usage_error(cmd, "'%s' is an organization of %s, this node's own party; a party vets "
                                  "only other parties' organizations", o.name, o.party);
    } else if (cli_audit_begin(s, &err) != ENLACE_OK ||
               cli_audited(s, "org-vet", o.name,
                           store_vetting_set(s, o.rowid, self.party, until_us, enlace_clock_now_us(), &err),
                           &err) != ENLACE_OK) {
        rc = err.code == ENLACE_EINVAL ? cli_usage_error(cmd, "%s", err.msg) : cli_fail(cmd, "%s", err.msg);
    } else {
        char until[32];
        cli_time_ms(until_us, until);
        int expired = enlace_clock_now_us() >= until_us;
        if (a.json) {
            enlace_buf j = ENLACE_BUF_INIT;
            enlace_buf_puts(&j, "{\"org\":");
            enlace_buf_json_str(&j, o.name);
            enlace_buf_printf(&j, ",\"identity_id\":\"%s\",\"party\":\"%s\",\"by\":\"%s\",\"until\":\"%s\","
                                  "\"expired\":%s}\n",
                              o.identity_id, o.party, self.party, until, expired ? "true" : "false");
            rc = cli_emit(cmd, &j, 0);
        } else {
            printf("%s (%s) vetted by %s until %s%s\n", o.name, o.party, self.party, until,
                   expired ? " (already expired)" : "");
            rc = CLI_EXIT_OK;
        }
    }
    store_close(s);
    return rc;
}

static int org_unvet(int argc, char **argv) {
    const char *cmd = "org unvet";
    org_args a;
    int rc = parse(cmd, argc, argv, &a, 2);
    if (rc >= 0 || (rc = only_for(cmd, &a, 0, 0)) >= 0) return rc;
    if (a.json) return cli_usage_error(cmd, "--json is not an option of 'org unvet'");
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    enlace_err err;
    enlace_err_clear(&err);
    store_org self, o;
    rc = CLI_EXIT_FAIL;
    if (cli_node_org(s, &self, &err) != ENLACE_OK) {
        cli_fail(cmd, "%s", err.msg);
    } else if (cli_org_find(cmd, s, a.pos[1], &o) != 0) {
        /* printed */
    } else if (cli_audit_begin(s, &err) != ENLACE_OK ||
               cli_audited(s, "org-unvet", o.name, store_vetting_remove(s, o.rowid, self.party, &err), &err) !=
                   ENLACE_OK) {
        if (err.code == ENLACE_ENOTFOUND) cli_fail(cmd, "'%s' is not vetted by %s", o.name, self.party);
        else cli_fail(cmd, "%s", err.msg);
    } else {
        printf("%s (%s) no longer vetted by %s\n", o.name, o.party, self.party);
        rc = CLI_EXIT_OK;
    }
    store_close(s);
    return rc;
}

int cli_org(int argc, char **argv) {
    if (argc < 2) return cli_usage_error("org", "missing subcommand (add, list, vet, unvet)");
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        fputs(org_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(sub, "add")) return org_add(argc - 1, argv + 1);
    if (!strcmp(sub, "list")) return org_list(argc - 1, argv + 1);
    if (!strcmp(sub, "vet")) return org_vet(argc - 1, argv + 1);
    if (!strcmp(sub, "unvet")) return org_unvet(argc - 1, argv + 1);
    return cli_usage_error("org", "unknown subcommand '%s'", sub);
}
