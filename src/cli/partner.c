/* partner.c - `enlace partner add|set|list|resume|remove`: the other parties' nodes this node
 * pulls from and that pull from it (issue 5 must-have 1; store/fed.h "partners"). Adding a
 * partner pins its node key, keeps the token WE pull from it with, and prints once the token IT
 * pulls from us with. Every change is an audited admin change. */
#include <getopt.h>
#include <sodium.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/checkpoint.h"
#include "cli/cli.h"
#include "store/fed.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/secret.h"

/* Each subcommand's synopsis (its --help), in the order of partner_usage. */
static const char *const sub_usage[][2] = {
    {"add", "usage: enlace partner add DIR --party CC --url URL --pubkey KEY [--token T] [--json]\n"},
    {"set", "usage: enlace partner set DIR --party CC [--url URL] [--pubkey KEY] [--token T]\n"},
    {"list", "usage: enlace partner list DIR [--json]\n"},
    {"resume", "usage: enlace partner resume DIR --party CC\n"},
    {"remove", "usage: enlace partner remove DIR --party CC\n"}};

static const char partner_usage[] =
    "usage: enlace partner add DIR --party CC --url URL --pubkey KEY [--token T] [--json]\n"
    "       enlace partner set DIR --party CC [--url URL] [--pubkey KEY] [--token T]\n"
    "       enlace partner list DIR [--json]\n"
    "       enlace partner resume DIR --party CC\n"
    "       enlace partner remove DIR --party CC\n"
    "\n"
    "add     register party CC's node: its TAXII API root URL and its node public key KEY\n"
    "        (pinned; what `enlace audit key DIR` prints on that node). Creates its organization\n"
    "        \"CC node\" and its account \"partner-cc\" (role partner), and prints ONCE the bearer\n"
    "        token CC pulls from this node with (first line of the text output). --token is the\n"
    "        token THIS node pulls from CC with (made on CC's node).\n"
    "set     change the URL, key (clears the kept audit trust state; a stopped partner stays\n"
    "        stopped until `partner resume`) or pull token\n"
    "list    partners: party, URL, key fingerprint (first 16 base64 characters), whether a\n"
    "        pull token is set (never the token), mirror collections, last pass, last error,\n"
    "        and the reason its sync is stopped\n"
    "resume  clear a stop (after a failed trust check): the next pass syncs again\n"
    "remove  forget the partner: its account is disabled and its tokens revoked, and its\n"
    "        agreements are removed; its mirror collections and their objects stay\n"
    "\n"
    "options:\n"
    "  --party CC     the partner party, ISO 3166-1 alpha-2 (not this node's own party)\n"
    "  --url URL      its TAXII API root, http:// or https:// (e.g. http://127.0.0.1:8022/api/;\n"
    "                 warns when it does not end in '/' or is a discovery URL .../taxii2/)\n"
    "  --pubkey KEY   its node's Ed25519 public key: base64 of 32 bytes, the vkey line, or a file\n"
    "                 holding either (what `enlace audit key DIR` prints on the partner's node);\n"
    "                 not this node's own key nor a key pinned for another partner\n"
    "  --token T      the bearer token this node pulls from it with\n"
    "  --json         add: {\"party\",\"url\",\"user\",\"token\",\"org\",\"identity_id\"};\n"
    "                 list: {\"partners\":[{\"party\",\"url\",\"key_fingerprint\",\"pull_token_set\",\n"
    "                 \"user\",\"mirrors\",\"last_pass\",\"last_error\",\"stopped\"}]}\n"
    "  --help         this text\n"
    "\n"
    "exit status: 0 ok, 1 failure (no such node or partner, already a partner), 2 usage error\n";

enum { O_PARTY = 1, O_URL, O_PUBKEY, O_TOKEN, O_JSON, O_HELP };

typedef struct partner_args {
    const char *party, *url, *pubkey, *token;
    char pubkey_b64[48];   /* --pubkey as base64 of its 32 bytes */
    int json;
    char *pos[1];
    int npos;
} partner_args;

/* Parse the options; exactly one positional argument (DIR). Returns -1 to go on, else the
 * exit status. */
static int parse(const char *cmd, int argc, char **argv, partner_args *a) {
    static const struct option opts[] = {{"party", required_argument, NULL, O_PARTY},
                                         {"url", required_argument, NULL, O_URL},
                                         {"pubkey", required_argument, NULL, O_PUBKEY},
                                         {"token", required_argument, NULL, O_TOKEN},
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
        case O_URL: a->url = optarg; break;
        case O_PUBKEY: a->pubkey = optarg; break;
        case O_TOKEN: a->token = optarg; break;
        case O_JSON: a->json = 1; break;
        case 'h':
        case O_HELP: {
            const char *sub = strchr(cmd, ' ') ? strchr(cmd, ' ') + 1 : cmd;
            for (size_t i = 0; i < sizeof sub_usage / sizeof sub_usage[0]; i++)
                if (!strcmp(sub, sub_usage[i][0])) fputs(sub_usage[i][1], stdout);
            fputs("(`enlace partner --help` explains every subcommand and option)\n", stdout);
            return CLI_EXIT_OK;
        }
        default: return cli_bad_option(cmd, c, argv);
        }
    }
    return cli_positionals(cmd, argc, argv, a->pos, &a->npos, 1, NULL);
}

/* --party, required by every subcommand but list. */
static int need_party(const char *cmd, const partner_args *a) {
    if (!a->party) return cli_usage_error(cmd, "--party CC is required");
    if (!cli_party_ok(a->party))
        return cli_usage_error(cmd, "--party '%s' is not an ISO 3166-1 alpha-2 code (two upper-case letters)", a->party);
    return -1;
}

/* Refuse the options a subcommand does not take (allowed: mask of O_* bits). */
static int only(const char *cmd, const partner_args *a, unsigned allowed) {
    const struct { const void *set; unsigned bit; const char *name; } o[] = {
        {a->url, 1u << O_URL, "--url"}, {a->pubkey, 1u << O_PUBKEY, "--pubkey"},
        {a->token, 1u << O_TOKEN, "--token"}, {a->json ? a : NULL, 1u << O_JSON, "--json"}};
    for (size_t i = 0; i < sizeof o / sizeof o[0]; i++)
        if (o[i].set && !(allowed & o[i].bit))
            return cli_usage_error(cmd, "%s is not an option of '%s'", o[i].name, cmd);
    return -1;
}

/* A node public key as `enlace audit verify --pubkey` takes it: base64 of the 32 bytes, the
 * verifier key line (`enlace audit key` "vkey:"), or a file holding either. 0 with pk, else -1. */
static int read_pubkey(const char *arg, unsigned char pk[32]) {
    enlace_err err;
    char name[AUDIT_ORIGIN_MAX];
    struct stat st;
    if (stat(arg, &st) == 0 && S_ISREG(st.st_mode)) {
        char *text = NULL;
        size_t len = 0;
        if (cli_read_file(arg, &text, &len, &err) != 0) return -1;
        int rc = audit_pubkey_parse_name(text, pk, name, &err);
        free(text);
        return rc ? -1 : 0;
    }
    return audit_pubkey_parse_name(arg, pk, name, &err) ? -1 : 0;
}

/* Refuse pinning this node's own key or a key already pinned for another partner party (a
 * copy-paste slip). Returns -1 to go on, else the exit status (the message printed). */
static int check_key_unique(const char *cmd, store *s, const char *party, const char *pubkey) {
    char own[STORE_PUBKEY_MAX] = "";
    store_meta_get(s, "node_pubkey", own, sizeof own, NULL);
    if (own[0] && strcmp(own, pubkey) == 0)
        return cli_usage_error(cmd, "--pubkey: that is this node's own key (give %s's key: `enlace audit key DIR` on "
                                    "%s's node)", party, party);
    store_partner *ps = NULL;
    size_t n = 0;
    enlace_err err;
    int rc = -1;
    if (store_partner_list(s, &ps, &n, &err) != ENLACE_OK) return cli_fail(cmd, "%s", err.msg);
    for (size_t i = 0; i < n && rc < 0; i++)
        if (strcmp(ps[i].party, party) != 0 && strcmp(ps[i].pubkey, pubkey) == 0)
            rc = cli_usage_error(cmd, "--pubkey: that key is already pinned for partner %s", ps[i].party);
    free(ps);
    return rc;
}

/* Check --url and --pubkey when given (the store checks again); --pubkey is rewritten to the
 * base64 of its 32 bytes. */
static int check_values(const char *cmd, partner_args *a) {
    if (a->url && strncmp(a->url, "http://", 7) != 0 && strncmp(a->url, "https://", 8) != 0)
        return cli_usage_error(cmd, "--url '%s' must start with http:// or https://", a->url);
    if (a->pubkey) {
        unsigned char key[32];
        if (read_pubkey(a->pubkey, key) != 0)
            return cli_usage_error(cmd, "--pubkey is not a node public key: base64 of 32 bytes, the vkey line, or "
                                        "a file holding either (what `enlace audit key DIR` prints on the partner's node)");
        sodium_bin2base64(a->pubkey_b64, sizeof a->pubkey_b64, key, sizeof key, sodium_base64_VARIANT_ORIGINAL);
        a->pubkey = a->pubkey_b64;
    }
    if (a->token && (!*a->token || strlen(a->token) >= STORE_TOKEN_MAX))
        return cli_usage_error(cmd, "--token must be 1-%d characters", STORE_TOKEN_MAX - 1);
    return -1;
}

/* After a stored --url: a warning on stderr (not an error: the first sync pass tells for sure)
 * when it does not look like a TAXII API root. */
static void warn_url(const char *cmd, const char *url) {
    size_t ul = url ? strlen(url) : 0;
    if (!ul) return;
    if (strstr(url, "/taxii2"))
        fprintf(stderr, "enlace %s: warning: --url %s looks like a TAXII discovery URL; give the partner's "
                        "API root (e.g. http://host:port/api/)\n", cmd, url);
    else if (url[ul - 1] != '/')
        fprintf(stderr, "enlace %s: warning: --url %s does not end in '/'; a TAXII API root does "
                        "(e.g. http://host:port/api/)\n", cmd, url);
}

/* The store's error for cmd: EINVAL is a usage error, a missing partner says so. */
static int store_fail(const char *cmd, const char *party, const enlace_err *err) {
    if (err->code == ENLACE_EINVAL) return cli_usage_error(cmd, "%s", err->msg);
    if (err->code == ENLACE_ENOTFOUND) return cli_fail(cmd, "%s is not a partner (see 'enlace partner list DIR')", party);
    if (err->code == ENLACE_ECONFLICT && strstr(err->msg, "already a partner"))
        return cli_fail(cmd, "%s is already a partner (change it with 'enlace partner set')", party);
    return cli_fail(cmd, "%s", err->msg);
}

static int partner_add(int argc, char **argv) {
    const char *cmd = "partner add";
    partner_args a;
    int rc = parse(cmd, argc, argv, &a);
    if (rc >= 0 || (rc = need_party(cmd, &a)) >= 0 || (rc = check_values(cmd, &a)) >= 0) return rc;
    if (!a.url) return cli_usage_error(cmd, "--url URL is required");
    if (!a.pubkey) return cli_usage_error(cmd, "--pubkey KEY is required");
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    enlace_err err;
    enlace_err_clear(&err);
    store_org self, org;
    store_partner p;
    char tok[ENLACE_TOKEN_LEN], id[ENLACE_TOKEN_ID_LEN], what[200];
    unsigned char sha[32];
    enlace_token_new(tok, sha, id);
    rc = CLI_EXIT_FAIL;
    if (cli_node_org(s, &self, &err) != ENLACE_OK) {
        cli_fail(cmd, "%s", err.msg);
    } else if (strcmp(a.party, self.party) == 0) {
        rc = cli_usage_error(cmd, "--party %s is this node's own party; partners are other parties' nodes", a.party);
    } else if ((rc = check_key_unique(cmd, s, a.party, a.pubkey)) >= 0) {
        /* refused */
    } else if (cli_audit_begin(s, &err) != ENLACE_OK) {
        rc = cli_fail(cmd, "%s", err.msg);
    } else {
        /* The partner, its account and the token it pulls with: one audited change. */
        int64_t now = enlace_clock_now_us();
        int op = store_partner_add(s, a.party, a.url, a.pubkey, a.token, now, &p, &err);
        if (op == ENLACE_OK) op = store_token_add(s, p.user_rowid, sha, id, now, &err);
        snprintf(what, sizeof what, "%s at %.120s (token %s)", a.party, a.url, id);  /* never the token */
        if (cli_audited(s, "partner-add", what, op, &err) != ENLACE_OK) {
            rc = store_fail(cmd, a.party, &err);
        } else if (store_org_get_by_rowid(s, p.org_rowid, &org, &err) != ENLACE_OK) {
            rc = cli_fail(cmd, "%s", err.msg);
        } else if (a.json) {
            enlace_buf o = ENLACE_BUF_INIT;
            enlace_buf_printf(&o, "{\"party\":\"%s\",\"url\":", p.party);
            enlace_buf_json_str(&o, p.url);
            enlace_buf_puts(&o, ",\"user\":");
            enlace_buf_json_str(&o, p.user_name);
            enlace_buf_printf(&o, ",\"token\":\"%s\",\"org\":", tok);
            enlace_buf_json_str(&o, org.name);
            enlace_buf_printf(&o, ",\"identity_id\":\"%s\"}\n", org.identity_id);
            rc = cli_emit(cmd, &o, 1);
            warn_url(cmd, a.url);
        } else {
            printf("%s\nparty: %s\nuser: %s\norg: %s (%s)\n", tok, p.party, p.user_name, org.name, org.identity_id);
            fprintf(stderr, "(the first line is the token %s pulls from this node with; it is shown only once: "
                            "give it to %s's admin for 'enlace partner add ... --token T', or, if %s already "
                            "added this node, 'enlace partner set DIR --party %s --token T')\n",
                    p.party, p.party, p.party, self.party);
            warn_url(cmd, a.url);
            rc = CLI_EXIT_OK;
        }
    }
    sodium_memzero(tok, sizeof tok);
    store_close(s);
    return rc;
}

static int partner_set(int argc, char **argv) {
    const char *cmd = "partner set";
    partner_args a;
    int rc = parse(cmd, argc, argv, &a);
    if (rc >= 0 || (rc = need_party(cmd, &a)) >= 0 || (rc = only(cmd, &a, 1u << O_URL | 1u << O_PUBKEY | 1u << O_TOKEN)) >= 0 ||
        (rc = check_values(cmd, &a)) >= 0)
        return rc;
    if (!a.url && !a.pubkey && !a.token) return cli_usage_error(cmd, "nothing to change: give --url, --pubkey or --token");
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    enlace_err err;
    enlace_err_clear(&err);
    char what[64];
    snprintf(what, sizeof what, "%s%s%s%s", a.party, a.url ? " url" : "", a.pubkey ? " pubkey" : "",
             a.token ? " token" : "");
    store_partner p;
    if (a.pubkey && (rc = check_key_unique(cmd, s, a.party, a.pubkey)) >= 0) {
        /* refused */
    } else if (cli_audit_begin(s, &err) != ENLACE_OK ||
        cli_audited(s, "partner-set", what, store_partner_update(s, a.party, a.url, a.pubkey, a.token, &err), &err) != ENLACE_OK) {
        rc = store_fail(cmd, a.party, &err);
    } else {
        printf("partner %s updated:%s%s%s\n", a.party, a.url ? " url" : "", a.pubkey ? " key (trust state cleared)" : "",
               a.token ? " pull token" : "");
        warn_url(cmd, a.url);
        /* a new key or token does not lift a stop after a failed trust check: the admin does */
        if (store_partner_get(s, a.party, &p, &err) == ENLACE_OK && p.stopped[0])
            printf("still stopped: run enlace partner resume DIR --party %s\n", a.party);
        rc = CLI_EXIT_OK;
    }
    store_close(s);
    return rc;
}

static int partner_list(int argc, char **argv) {
    const char *cmd = "partner list";
    partner_args a;
    int rc = parse(cmd, argc, argv, &a);
    if (rc >= 0) return rc;
    if (a.party || a.url || a.pubkey || a.token)
        return cli_usage_error(cmd, "--party/--url/--pubkey/--token are not options of 'partner list'");
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    store_partner *ps = NULL;
    store_mirror *ms = NULL;
    size_t n = 0, nm = 0;
    enlace_err err;
    enlace_err_clear(&err);
    if (store_partner_list(s, &ps, &n, &err) != ENLACE_OK || store_mirror_list(s, NULL, &ms, &nm, &err) != ENLACE_OK) {
        free(ps);
        store_close(s);
        return cli_fail(cmd, "%s", err.msg);
    }
    store_close(s);
    enlace_buf o = ENLACE_BUF_INIT;
    if (a.json) enlace_buf_puts(&o, "{\"partners\":[");
    else enlace_buf_printf(&o, "%-5s %-32s %-16s %-5s %-7s %-24s %s\n", "PARTY", "URL", "KEY", "TOKEN", "MIRRORS",
                           "LAST_PASS", "STATUS");
    for (size_t i = 0; i < n; i++) {
        const store_partner *p = &ps[i];
        size_t mirrors = 0;
        for (size_t k = 0; k < nm; k++) mirrors += strcmp(ms[k].party, p->party) == 0;
        char fp[17], last[32] = "never";
        snprintf(fp, sizeof fp, "%.16s", p->pubkey);
        if (p->last_pass_us) cli_time_ms(p->last_pass_us, last);
        if (a.json) {
            enlace_buf_printf(&o, "%s{\"party\":\"%s\",\"url\":", i ? "," : "", p->party);
            enlace_buf_json_str(&o, p->url);
            enlace_buf_printf(&o, ",\"key_fingerprint\":\"%s\",\"pull_token_set\":%s,\"user\":", fp,
                              p->pull_token[0] ? "true" : "false");
            enlace_buf_json_str(&o, p->user_name);
            enlace_buf_printf(&o, ",\"mirrors\":%zu,\"last_pass\":", mirrors);
            cli_json_str_or_null(&o, p->last_pass_us ? last : NULL);
            enlace_buf_puts(&o, ",\"last_error\":");
            cli_json_str_or_null(&o, p->last_error);
            enlace_buf_puts(&o, ",\"stopped\":");
            cli_json_str_or_null(&o, p->stopped);
            enlace_buf_puts(&o, "}");
        } else {
            const char *status = p->stopped[0] ? "stopped: " : p->last_error[0] ? "error: " : "ok";
            const char *why = p->stopped[0] ? p->stopped : p->last_error;
            enlace_buf_printf(&o, "%-5s %-32s %-16s %-5s %-7zu %-24s %s%s\n", p->party, p->url, fp,
                              p->pull_token[0] ? "set" : "none", mirrors, last, status, why);
        }
    }
    if (a.json) enlace_buf_puts(&o, "]}\n");
    free(ps);
    free(ms);
    return cli_emit(cmd, &o, 0);
}

static int partner_resume(int argc, char **argv) {
    const char *cmd = "partner resume";
    partner_args a;
    int rc = parse(cmd, argc, argv, &a);
    if (rc >= 0 || (rc = need_party(cmd, &a)) >= 0 || (rc = only(cmd, &a, 0)) >= 0) return rc;
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    enlace_err err;
    enlace_err_clear(&err);
    store_partner p;
    if (store_partner_get(s, a.party, &p, &err) != ENLACE_OK) {
        rc = store_fail(cmd, a.party, &err);
    } else if (!p.stopped[0]) {
        printf("partner %s is not stopped\n", a.party);
        rc = CLI_EXIT_OK;
    } else if (cli_audit_begin(s, &err) != ENLACE_OK ||
               cli_audited(s, "partner-resume", a.party, store_partner_set_stopped(s, a.party, NULL, &err), &err) != ENLACE_OK) {
        rc = store_fail(cmd, a.party, &err);
    } else {
        printf("partner %s resumed (it was stopped: %s)\n", a.party, p.stopped);
        rc = CLI_EXIT_OK;
    }
    store_close(s);
    return rc;
}

static int partner_remove(int argc, char **argv) {
    const char *cmd = "partner remove";
    partner_args a;
    int rc = parse(cmd, argc, argv, &a);
    if (rc >= 0 || (rc = need_party(cmd, &a)) >= 0 || (rc = only(cmd, &a, 0)) >= 0) return rc;
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    enlace_err err;
    enlace_err_clear(&err);
    store_partner p;
    store_agreement *ag = NULL;
    size_t n_ag = 0, agreements = 0;
    if (store_partner_get(s, a.party, &p, &err) != ENLACE_OK || store_agreement_list(s, &ag, &n_ag, &err) != ENLACE_OK) {
        rc = store_fail(cmd, a.party, &err);
    } else if (cli_audit_begin(s, &err) != ENLACE_OK ||
               cli_audited(s, "partner-remove", a.party, store_partner_remove(s, a.party, &err), &err) != ENLACE_OK) {
        rc = store_fail(cmd, a.party, &err);
    } else {
        for (size_t i = 0; i < n_ag; i++) agreements += strcmp(ag[i].party, a.party) == 0;
        printf("partner %s removed: user %s disabled, %zu agreement%s removed, mirror collections kept\n", a.party,
               p.user_name, agreements, agreements == 1 ? "" : "s");
        rc = CLI_EXIT_OK;
    }
    free(ag);
    store_close(s);
    return rc;
}

int cli_partner(int argc, char **argv) {
    if (argc < 2) return cli_usage_error("partner", "missing subcommand (add, set, list, resume, remove)");
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        fputs(partner_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(sub, "add")) return partner_add(argc - 1, argv + 1);
    if (!strcmp(sub, "set")) return partner_set(argc - 1, argv + 1);
    if (!strcmp(sub, "list")) return partner_list(argc - 1, argv + 1);
    if (!strcmp(sub, "resume")) return partner_resume(argc - 1, argv + 1);
    if (!strcmp(sub, "remove")) return partner_remove(argc - 1, argv + 1);
    return cli_usage_error("partner", "unknown subcommand '%s'", sub);
}
