/* user.c - `enlace user add|list|disable|enable|passwd`: manage a node's local users (the
 * principals that authenticate with HTTP Basic or bearer tokens, T§1.6.9), each of one
 * organization and with roles (issue 3 "Who is who"). */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/secret.h"

static const char user_usage[] =
    "usage: enlace user add DIR NAME [--role ROLE[,ROLE...]] [--org ORG]\n"
    "                       [--password P | --password-stdin] [--json]\n"
    "       enlace user list DIR [--json]\n"
    "       enlace user disable DIR NAME\n"
    "       enlace user enable DIR NAME\n"
    "       enlace user passwd DIR NAME [--password P | --password-stdin] [--json]\n"
    "\n"
    "add      add a user of an organization with roles (analyst by default; the organization\n"
    "         defaults to the node's own). Without a password option a random password is made\n"
    "         and printed once.\n"
    "list     list users: name, roles, status, organization, party\n"
    "disable  stop a user (and its tokens) from authenticating\n"
    "enable   let a disabled user authenticate again\n"
    "passwd   set a user's password (random and printed once without a password option)\n"
    "\n"
    "roles (comma-separated, e.g. analyst,approver):\n"
    "  analyst    reads objects; writes them as its organization\n"
    "  approver   reads objects; approves operation requests (later)\n"
    "  liaison    an officer of a partner party with an account here: reads only, every access\n"
    "             audited; its organization must be of another party than the node's\n"
    "  admin      manages the node; reads and writes no objects by itself\n"
    "  partner    another party's node pulling from this one (its organization: that node's)\n"
    "analyst, approver and admin belong to an organization of the node's own party.\n"
    "\n"
    "options:\n"
    "  --role R[,R...]     the user's roles (default analyst)\n"
    "  --org ORG           the user's organization: name or identity id (default: the node's)\n"
    "  --password P        the password (visible to other local users via ps; prefer stdin)\n"
    "  --password-stdin    read the password from the first line of standard input\n"
    "  --json              add: {\"user\",\"roles\",\"org\",\"party\"[,\"password\"]};\n"
    "                      list: {\"users\":[{\"name\",\"roles\",\"org\",\"party\",\"disabled\",\"created\"}]};\n"
    "                      passwd: {\"user\"[,\"password\"]}\n"
    "  --help              this text\n"
    "\n"
    "exit status: 0 ok, 1 failure (no such node, user or organization; name taken), 2 usage error\n"
    "(also roles that do not fit the organization)\n";

enum { O_ROLE = 1, O_ORG, O_PASSWORD, O_PWSTDIN, O_JSON, O_HELP };

typedef struct user_args {
    const char *role, *org, *password;
    int pw_stdin, json;
    char *pos[3];
    int npos;
} user_args;

/* Parse options shared by the subcommands; returns -1 to continue, else an exit status. */
static int parse(const char *cmd, int argc, char **argv, user_args *a) {
    static const struct option opts[] = {{"role", required_argument, NULL, O_ROLE},
                                         {"roles", required_argument, NULL, O_ROLE},
                                         {"org", required_argument, NULL, O_ORG},
                                         {"password", required_argument, NULL, O_PASSWORD},
                                         {"password-stdin", no_argument, NULL, O_PWSTDIN},
                                         {"json", no_argument, NULL, O_JSON},
                                         {"help", no_argument, NULL, O_HELP},
                                         {NULL, 0, NULL, 0}};
    int c;
    memset(a, 0, sizeof *a);
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case O_ROLE: a->role = optarg; break;
        case O_ORG: a->org = optarg; break;
        case O_PASSWORD: a->password = optarg; break;
        case O_PWSTDIN: a->pw_stdin = 1; break;
        case O_JSON: a->json = 1; break;
        case 'h':
        case O_HELP: fputs(user_usage, stdout); return CLI_EXIT_OK;
        default: return cli_bad_option(cmd, c, argv);
        }
    }
    for (int i = optind; i < argc; i++) {
        if (a->npos == 3) return cli_usage_error(cmd, "unexpected argument '%s'", argv[i]);
        a->pos[a->npos++] = argv[i];
    }
    if (a->password && a->pw_stdin)
        return cli_usage_error(cmd, "give either --password or --password-stdin, not both");
    if (a->password && !*a->password) return cli_usage_error(cmd, "--password must not be empty");
    return -1;
}

/* Fill pw with the chosen password (from args or stdin) or a fresh random one (*generated=1). */
static int choose_password(const char *cmd, const user_args *a, char *pw, size_t n, int *generated) {
    *generated = 0;
    if (a->password) {
        if (strlen(a->password) >= n) return cli_usage_error(cmd, "--password is too long");
        snprintf(pw, n, "%s", a->password);
    } else if (a->pw_stdin) {
        if (cli_read_line(stdin, pw, n) != 0 || !*pw)
            return cli_usage_error(cmd, "--password-stdin: no password on standard input");
    } else {
        enlace_password_new(pw);
        *generated = 1;
    }
    return -1;
}

/* Append the roles of mask as a JSON array of names. */
static void json_roles(enlace_buf *o, unsigned roles) {
    char text[128];
    store_roles_format(roles, text, sizeof text);
    enlace_buf_puts(o, "[");
    for (char *p = text, *q; *p; p = q) {
        q = p + strcspn(p, ",");
        enlace_buf_printf(o, "%s\"%.*s\"", p == text ? "" : ",", (int)(q - p), p);
        if (*q) q++;
    }
    enlace_buf_puts(o, "]");
}

static int user_add(int argc, char **argv) {
    const char *cmd = "user add";
    user_args a;
    int rc = parse(cmd, argc, argv, &a);
    if (rc >= 0) return rc;
    if (a.npos < 2) return cli_usage_error(cmd, a.npos ? "missing NAME" : "missing DIR and NAME");
    if (a.npos > 2) return cli_usage_error(cmd, "unexpected argument '%s'", a.pos[2]);
    const char *name = a.pos[1], *role = a.role ? a.role : "analyst";
    if (!cli_user_name_ok(name))
        return cli_usage_error(cmd, "bad user name '%s' (1-127 printable characters, no space or ':')", name);
    unsigned roles = store_roles_parse(role);
    if (roles == 0)
        return cli_usage_error(cmd, "--role '%s' is not a list of analyst, approver, liaison, admin, partner", role);
    if (a.org && !*a.org) return cli_usage_error(cmd, "--org must not be empty");
    char pw[1024], hash[ENLACE_PWHASH_LEN];
    int generated;
    if ((rc = choose_password(cmd, &a, pw, sizeof pw, &generated)) >= 0) return rc;

    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) {
        sodium_memzero(pw, sizeof pw);
        return rc;
    }
    enlace_err err;
    enlace_err_clear(&err);
    store_org org;
    store_user u;
    rc = CLI_EXIT_FAIL;
    if (a.org) {
        if (cli_org_find(cmd, s, a.org, &org) != 0) goto out;
    } else if (cli_node_org(s, &org, &err) != ENLACE_OK) {
        cli_fail(cmd, "%s", err.msg);
        goto out;
    }
    if (enlace_password_hash(pw, hash) != 0) {
        cli_fail(cmd, "cannot hash the password (out of memory)");
    } else if (cli_audit_begin(s, &err) != ENLACE_OK ||
               cli_audited(s, "user-add", name,
                           store_user_add(s, name, roles, org.rowid, hash, enlace_clock_now_us(), &u, &err),
                           &err) != ENLACE_OK) {
        if (err.code == ENLACE_ECONFLICT) cli_fail(cmd, "user '%s' already exists", name);
        else if (err.code == ENLACE_EINVAL) rc = cli_usage_error(cmd, "%s", err.msg);
        else cli_fail(cmd, "%s", err.msg);
    } else {
        rc = CLI_EXIT_OK;
        char rtext[128];
        store_roles_format(roles, rtext, sizeof rtext);
        if (a.json) {
            enlace_buf o = ENLACE_BUF_INIT;
            enlace_buf_puts(&o, "{\"user\":");
            enlace_buf_json_str(&o, name);
            enlace_buf_puts(&o, ",\"roles\":");
            json_roles(&o, roles);
            enlace_buf_puts(&o, ",\"org\":");
            enlace_buf_json_str(&o, org.name);
            enlace_buf_printf(&o, ",\"party\":\"%s\"", org.party);
            if (generated) {
                enlace_buf_puts(&o, ",\"password\":");
                enlace_buf_json_str(&o, pw);
            }
            enlace_buf_puts(&o, "}\n");
            rc = cli_emit(cmd, &o, 1);
        } else {
            printf("user: %s (roles %s, organization %s, party %s)\n", name, rtext, org.name, org.party);
            if (generated) printf("password: %s\n(the password is shown only once; keep it now)\n", pw);
        }
    }
out:
    sodium_memzero(pw, sizeof pw);
    store_close(s);
    return rc;
}

static int user_list(int argc, char **argv) {
    const char *cmd = "user list";
    user_args a;
    int rc = parse(cmd, argc, argv, &a);
    if (rc >= 0) return rc;
    if (a.npos < 1) return cli_usage_error(cmd, "missing DIR");
    if (a.npos > 1) return cli_usage_error(cmd, "unexpected argument '%s'", a.pos[1]);
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    store_user *u = NULL;
    size_t n = 0;
    enlace_err err;
    enlace_err_clear(&err);
    if (store_user_list(s, &u, &n, &err) != ENLACE_OK) {
        store_close(s);
        return cli_fail(cmd, "%s", err.msg);
    }
    enlace_buf o = ENLACE_BUF_INIT;
    if (a.json) enlace_buf_puts(&o, "{\"users\":[");
    else enlace_buf_printf(&o, "%-20s %-18s %-9s %-5s %s\n", "NAME", "ROLES", "STATUS", "PARTY", "ORGANIZATION");
    for (size_t i = 0; i < n; i++) {
        char t[32], rtext[128];
        cli_time_ms(u[i].created_us, t);
        store_roles_format(u[i].roles, rtext, sizeof rtext);
        if (a.json) {
            enlace_buf_puts(&o, i ? ",{\"name\":" : "{\"name\":");
            enlace_buf_json_str(&o, u[i].name);
            enlace_buf_puts(&o, ",\"roles\":");
            json_roles(&o, u[i].roles);
            enlace_buf_puts(&o, ",\"org\":");
            enlace_buf_json_str(&o, u[i].org);
            enlace_buf_puts(&o, ",\"party\":");
            cli_json_str_or_null(&o, u[i].party);
            enlace_buf_printf(&o, ",\"disabled\":%s,\"created\":\"%s\"}", u[i].disabled ? "true" : "false", t);
        } else {
            enlace_buf_printf(&o, "%-20s %-18s %-9s %-5s %s\n", u[i].name, rtext,
                              u[i].disabled ? "disabled" : "enabled", *u[i].party ? u[i].party : "-",
                              *u[i].org ? u[i].org : "-");
        }
    }
    if (a.json) enlace_buf_puts(&o, "]}\n");
    free(u);
    store_close(s);
    return cli_emit(cmd, &o, 0);
}

static int user_set_disabled(int argc, char **argv, int disabled) {
    const char *cmd = disabled ? "user disable" : "user enable";
    user_args a;
    int rc = parse(cmd, argc, argv, &a);
    if (rc >= 0) return rc;
    if (a.npos < 2) return cli_usage_error(cmd, a.npos ? "missing NAME" : "missing DIR and NAME");
    if (a.npos > 2) return cli_usage_error(cmd, "unexpected argument '%s'", a.pos[2]);
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    enlace_err err;
    enlace_err_clear(&err);
    if (cli_audit_begin(s, &err) != ENLACE_OK ||
        cli_audited(s, disabled ? "user-disable" : "user-enable", a.pos[1],
                    store_user_set_disabled(s, a.pos[1], disabled, &err), &err) != ENLACE_OK) {
        rc = err.code == ENLACE_ENOTFOUND ? cli_fail(cmd, "no user '%s'", a.pos[1]) : cli_fail(cmd, "%s", err.msg);
    } else {
        printf("user %s %s\n", a.pos[1], disabled ? "disabled" : "enabled");
        rc = CLI_EXIT_OK;
    }
    store_close(s);
    return rc;
}

static int user_passwd(int argc, char **argv) {
    const char *cmd = "user passwd";
    user_args a;
    int rc = parse(cmd, argc, argv, &a);
    if (rc >= 0) return rc;
    if (a.npos < 2) return cli_usage_error(cmd, a.npos ? "missing NAME" : "missing DIR and NAME");
    if (a.npos > 2) return cli_usage_error(cmd, "unexpected argument '%s'", a.pos[2]);
    char pw[1024], hash[ENLACE_PWHASH_LEN];
    int generated;
    if ((rc = choose_password(cmd, &a, pw, sizeof pw, &generated)) >= 0) return rc;
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    enlace_err err;
    enlace_err_clear(&err);
    rc = CLI_EXIT_FAIL;
    if (enlace_password_hash(pw, hash) != 0) {
        cli_fail(cmd, "cannot hash the password (out of memory)");
    } else if (cli_audit_begin(s, &err) != ENLACE_OK ||
               cli_audited(s, "user-password", a.pos[1], store_user_set_password(s, a.pos[1], hash, &err),
                           &err) != ENLACE_OK) {
        if (err.code == ENLACE_ENOTFOUND) cli_fail(cmd, "no user '%s'", a.pos[1]);
        else cli_fail(cmd, "%s", err.msg);
    } else {
        rc = CLI_EXIT_OK;
        if (a.json) {
            enlace_buf o = ENLACE_BUF_INIT;
            enlace_buf_puts(&o, "{\"user\":");
            enlace_buf_json_str(&o, a.pos[1]);
            if (generated) {
                enlace_buf_puts(&o, ",\"password\":");
                enlace_buf_json_str(&o, pw);
            }
            enlace_buf_puts(&o, "}\n");
            rc = cli_emit(cmd, &o, 1);
        } else {
            printf("password of %s changed\n", a.pos[1]);
            if (generated) printf("password: %s\n(the password is shown only once; keep it now)\n", pw);
        }
    }
    sodium_memzero(pw, sizeof pw);
    store_close(s);
    return rc;
}

int cli_user(int argc, char **argv) {
    if (argc < 2) return cli_usage_error("user", "missing subcommand (add, list, disable, enable, passwd)");
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        fputs(user_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(sub, "add")) return user_add(argc - 1, argv + 1);
    if (!strcmp(sub, "list")) return user_list(argc - 1, argv + 1);
    if (!strcmp(sub, "disable")) return user_set_disabled(argc - 1, argv + 1, 1);
    if (!strcmp(sub, "enable")) return user_set_disabled(argc - 1, argv + 1, 0);
    if (!strcmp(sub, "passwd")) return user_passwd(argc - 1, argv + 1);
    return cli_usage_error("user", "unknown subcommand '%s'", sub);
}
