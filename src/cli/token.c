/* token.c - `enlace token create|revoke|list`: bearer tokens for a node's users. Only the
 * token's SHA-256 is stored; the token itself is printed once at creation. */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/secret.h"

static const char token_usage[] =
    "usage: enlace token create DIR --user NAME [--json]\n"
    "       enlace token revoke DIR TOKEN_ID\n"
    "       enlace token list DIR [--json]\n"
    "\n"
    "create  make a bearer token for a user. Text output: the token alone on the first line,\n"
    "        then \"token_id: ID\" and \"user: NAME\". The token is shown only once; only its\n"
    "        SHA-256 is kept. Use it as \"Authorization: Bearer TOKEN\".\n"
    "revoke  revoke a token by its public TOKEN_ID\n"
    "list    list tokens (token_id, user, created, status); never prints tokens\n"
    "\n"
    "options:\n"
    "  --user NAME   the user the token authenticates as\n"
    "  --json        create: {\"token\",\"token_id\",\"user\"};\n"
    "                list: {\"tokens\":[{\"token_id\",\"user\",\"created\",\"revoked\"}]}\n"
    "  --help        this text\n"
    "\n"
    "exit status: 0 ok, 1 failure (no such node, user or token), 2 usage error\n";

enum { O_USER = 1, O_JSON, O_HELP };

typedef struct token_args {
    const char *user;
    int json;
    char *pos[2];
    int npos;
} token_args;

static int parse(const char *cmd, int argc, char **argv, token_args *a, int want_pos) {
    static const struct option opts[] = {{"user", required_argument, NULL, O_USER},
                                         {"json", no_argument, NULL, O_JSON},
                                         {"help", no_argument, NULL, O_HELP},
                                         {NULL, 0, NULL, 0}};
    int c;
    memset(a, 0, sizeof *a);
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case O_USER: a->user = optarg; break;
        case O_JSON: a->json = 1; break;
        case 'h':
        case O_HELP: fputs(token_usage, stdout); return CLI_EXIT_OK;
        default: return cli_bad_option(cmd, c, argv);
        }
    }
    return cli_positionals(cmd, argc, argv, a->pos, &a->npos, want_pos, "TOKEN_ID");
}

static int token_create(int argc, char **argv) {
    const char *cmd = "token create";
    token_args a;
    int rc = parse(cmd, argc, argv, &a, 1);
    if (rc >= 0) return rc;
    if (!a.user) return cli_usage_error(cmd, "--user is required");
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    enlace_err err;
    enlace_err_clear(&err);
    store_user u;
    char tok[ENLACE_TOKEN_LEN], id[ENLACE_TOKEN_ID_LEN];
    unsigned char sha[32];
    rc = CLI_EXIT_FAIL;
    if (store_user_get(s, a.user, &u, &err) != ENLACE_OK) {
        if (err.code == ENLACE_ENOTFOUND) cli_fail(cmd, "no user '%s'", a.user);
        else cli_fail(cmd, "%s", err.msg);
    } else if (u.disabled) {
        cli_fail(cmd, "user '%s' is disabled", a.user);
    } else {
        enlace_token_new(tok, sha, id);
        char what[200];
        snprintf(what, sizeof what, "%s for %s", id, a.user);  /* the handle, never the token */
        if (cli_audit_begin(s, &err) != ENLACE_OK ||
            cli_audited(s, "token-create", what, store_token_add(s, u.rowid, sha, id, enlace_clock_now_us(), &err),
                        &err) != ENLACE_OK) {
            cli_fail(cmd, "%s", err.msg);
        } else {
            rc = CLI_EXIT_OK;
            if (a.json) {
                enlace_buf o = ENLACE_BUF_INIT;
                enlace_buf_printf(&o, "{\"token\":\"%s\",\"token_id\":\"%s\",\"user\":", tok, id);
                enlace_buf_json_str(&o, a.user);
                enlace_buf_puts(&o, "}\n");
                rc = cli_emit(cmd, &o, 1);
            } else {
                printf("%s\ntoken_id: %s\nuser: %s\n", tok, id, a.user);
                fputs("(the token is shown only once; keep it now)\n", stderr);
            }
        }
        sodium_memzero(tok, sizeof tok);
    }
    store_close(s);
    return rc;
}

static int token_revoke(int argc, char **argv) {
    const char *cmd = "token revoke";
    token_args a;
    int rc = parse(cmd, argc, argv, &a, 2);
    if (rc >= 0) return rc;
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    enlace_err err;
    enlace_err_clear(&err);
    if (cli_audit_begin(s, &err) != ENLACE_OK ||
        cli_audited(s, "token-revoke", a.pos[1], store_token_revoke(s, a.pos[1], &err), &err) != ENLACE_OK) {
        rc = err.code == ENLACE_ENOTFOUND ? cli_fail(cmd, "no token with id '%s'", a.pos[1])
                                          : cli_fail(cmd, "%s", err.msg);
    } else {
        printf("token %s revoked\n", a.pos[1]);
        rc = CLI_EXIT_OK;
    }
    store_close(s);
    return rc;
}

static int token_list(int argc, char **argv) {
    const char *cmd = "token list";
    token_args a;
    int rc = parse(cmd, argc, argv, &a, 1);
    if (rc >= 0) return rc;
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    store_token *t = NULL;
    size_t n = 0;
    enlace_err err;
    enlace_err_clear(&err);
    if (store_token_list(s, &t, &n, &err) != ENLACE_OK) {
        store_close(s);
        return cli_fail(cmd, "%s", err.msg);
    }
    enlace_buf o = ENLACE_BUF_INIT;
    if (a.json) enlace_buf_puts(&o, "{\"tokens\":[");
    else enlace_buf_printf(&o, "%-16s %-20s %-24s %s\n", "TOKEN_ID", "USER", "CREATED", "STATUS");
    for (size_t i = 0; i < n; i++) {
        char ts[32];
        cli_time_ms(t[i].created_us, ts);
        if (a.json) {
            enlace_buf_puts(&o, i ? ",{\"token_id\":" : "{\"token_id\":");
            enlace_buf_json_str(&o, t[i].token_id);
            enlace_buf_puts(&o, ",\"user\":");
            enlace_buf_json_str(&o, t[i].user_name);
            enlace_buf_printf(&o, ",\"created\":\"%s\",\"revoked\":%s}", ts, t[i].revoked ? "true" : "false");
        } else {
            enlace_buf_printf(&o, "%-16s %-20s %-24s %s\n", t[i].token_id, t[i].user_name, ts,
                              t[i].revoked ? "revoked" : "active");
        }
    }
    if (a.json) enlace_buf_puts(&o, "]}\n");
    free(t);
    store_close(s);
    return cli_emit(cmd, &o, 0);
}

int cli_token(int argc, char **argv) {
    if (argc < 2) return cli_usage_error("token", "missing subcommand (create, revoke, list)");
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        fputs(token_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(sub, "create")) return token_create(argc - 1, argv + 1);
    if (!strcmp(sub, "revoke")) return token_revoke(argc - 1, argv + 1);
    if (!strcmp(sub, "list")) return token_list(argc - 1, argv + 1);
    return cli_usage_error("token", "unknown subcommand '%s'", sub);
}
