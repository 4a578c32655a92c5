/* cli.h - the `enlace` command groups; each returns the process exit status (0 ok, 1 failure,
 * 2 usage error) and is the only code that prints to the user. */
#ifndef ENLACE_CLI_CLI_H
#define ENLACE_CLI_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "client/client.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

/* argv[0] is the command name ("init", "serve", ...); the rest are its arguments. */
int cli_init(int argc, char **argv);        /* enlace init DIR --party XX --org NAME */
int cli_serve(int argc, char **argv);       /* enlace serve DIR [--listen 127.0.0.1:PORT] ... */
int cli_user(int argc, char **argv);        /* enlace user add (org, roles)|list|disable ... */
int cli_token(int argc, char **argv);       /* enlace token create|revoke|list ... */
int cli_collection(int argc, char **argv);  /* enlace collection create|list|grant|set ... */
int cli_push(int argc, char **argv);        /* enlace push --url URL --collection ID FILE... */
int cli_get(int argc, char **argv);         /* enlace get --url URL --collection ID [filters] */
int cli_party(int argc, char **argv);       /* enlace party add|list DIR ... (party.c) */
int cli_org(int argc, char **argv);         /* enlace org add|list|vet|unvet DIR ... (org.c) */
int cli_agreement(int argc, char **argv);   /* enlace agreement set|list|remove DIR ... (agreement.c) */
int cli_review(int argc, char **argv);      /* enlace review DIR [--within DAYS] (review.c) */
int cli_purge(int argc, char **argv);       /* enlace purge DIR [--dry-run] (review.c) */
int cli_audit(int argc, char **argv);       /* enlace audit verify|show ... (audit.c) */
int cli_partner(int argc, char **argv);     /* enlace partner add|set|list|resume|remove DIR ... (partner.c) */
int cli_sync(int argc, char **argv);        /* enlace sync DIR [--once] [--partner XX] (sync.c) */
int cli_holdings(int argc, char **argv);    /* enlace holdings DIR (holdings.c) */
int cli_import(int argc, char **argv);      /* enlace import ofac-sdn DIR --collection ID ... (import.c) */

/* ---- the audit log of admin changes (src/cli/audit.c; issue 4 must-have 1) ------------------ */

/* An admin change and its audit entry commit together:
 *     } else if (cli_audit_begin(s, &err) != ENLACE_OK ||
 *                cli_audited(s, "user-add", name, store_user_add(s, ...), &err) != ENLACE_OK) {
 * cli_audit_begin opens a write transaction (the store call joins it); cli_audited takes the
 * store call's result: on failure it rolls back and returns it (err as the call set it); on
 * success it appends the entry (action, target; by "cli:<OS user>" of the node's organization
 * and party) and commits, returning 0 or the error (everything rolled back). */
int cli_audit_begin(store *s, enlace_err *err);
int cli_audited(store *s, const char *action, const char *target, int op_rc, enlace_err *err);
/* The same, naming objects (struct audit_object from audit/entry.h). */
struct audit_object;
int cli_audited_objects(store *s, const char *action, const char *target, const struct audit_object *objs,
                        size_t n, int op_rc, enlace_err *err);
/* The same for a call that hands back NUL-separated ids (*ids, *ids_len bytes; read after the call:
 * pass their addresses), named as the entry's objects (purge). */
int cli_audited_ids(store *s, const char *action, char *const *ids, const size_t *ids_len, int op_rc,
                    enlace_err *err);

/* ---- helpers shared by the command files (src/cli/common.c) ---------------------------------- */

/* Exit statuses of every command (docs/cli.md). */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2
#define CLI_EXIT_REJECTED 3   /* push: some objects were rejected */

/* Print "enlace <cmd>: <reason>" (one line) to stderr. Returns CLI_EXIT_FAIL. */
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print "enlace <cmd>: <reason> (see 'enlace <cmd> --help')" to stderr. Returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Report the option getopt_long just refused (its return value c, ':' or '?'), using argv and
 * optind to name it. Returns CLI_EXIT_USAGE. */
int cli_bad_option(const char *cmd, int c, char **argv);

/* Collect the positional arguments left after getopt_long (argv[optind..argc)) into pos, which
 * has room for want, and set *npos. Returns -1 to go on, or CLI_EXIT_USAGE after printing one of
 * "unexpected argument 'X'" (more than want), "missing DIR" (none), "missing <second>" (fewer
 * than want; second names the argument after DIR). */
int cli_positionals(const char *cmd, int argc, char **argv, char **pos, int *npos, int want,
                    const char *second);

/* Write what command cmd built in o to stdout and free o; with secret set (a password or token
 * is in it) wipe the bytes first. Returns CLI_EXIT_OK, or CLI_EXIT_FAIL after printing
 * "out of memory" when building o ran out of memory. */
int cli_emit(const char *cmd, enlace_buf *o, int secret);

/* Open the node store DIR/enlace.db (must exist). On failure prints the reason for cmd and
 * returns CLI_EXIT_FAIL; else 0 with *out owned by the caller (store_close). */
int cli_store_open(const char *cmd, const char *dir, store **out);

/* Read a whole file ("-" = standard input) into a malloc'd, NUL-terminated buffer (*out, caller
 * frees; *len excludes the NUL). Returns 0, or ENLACE_EIO / ENLACE_ENOMEM with err set. */
int cli_read_file(const char *path, char **out, size_t *len, enlace_err *err);

/* Read one line from f into out (n bytes) without its line ending, for --password-stdin.
 * Returns 0, or -1 on end of file before any character, or a line too long for out. */
int cli_read_line(FILE *f, char *out, size_t n);

/* Format microseconds since the epoch as "YYYY-MM-DDTHH:MM:SS.mmmZ" (STIX timestamp with
 * millisecond precision, S§3.2). out needs 32 bytes. */
void cli_time_ms(int64_t us, char out[32]);

/* Check a user name: 1-127 printable ASCII characters, no ':' (HTTP Basic, RFC 7617) or space.
 * Returns 1 when valid. */
int cli_user_name_ok(const char *name);

/* The TLP 2.0 CLEAR marking-definition id (FIRST / OASIS): the marking of the organization
 * identities a node publishes. */
#define CLI_TLP_CLEAR_ID "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"

/* Is name usable as an organization's short name: 1-127 bytes of well-formed UTF-8 without
 * control characters, and not starting with "identity--" (commands take a name or an identity
 * id in the same place)? Returns 1 when it is. */
int cli_org_name_ok(const char *name);

/* Is p an ISO 3166-1 alpha-2 code as enlace writes it: exactly two upper-case ASCII letters?
 * (Lower case is refused, not folded: a party code is compared byte for byte everywhere.) */
int cli_party_ok(const char *p);

/* Parse a TLP level name for --default-tlp / --max-tlp: clear (or white), green, amber,
 * amber+strict, red, case-insensitive; with allow_none also "none" (POLICY_TLP_NONE). Returns
 * the policy_tlp level, or -2 when s is none of those. */
int cli_tlp_parse(const char *s, int allow_none);

/* Parse a date given on the command line into microseconds since the epoch (UTC):
 * "YYYY-MM-DD" means the END of that day (the next midnight, UTC), so that "--until
 * 2027-06-30" includes 30 June; an RFC 3339 date-time "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|
 * -HH:MM)" means that instant (fraction truncated to microseconds). Returns 0, or -1 when s is
 * neither or names an impossible date. */
int cli_parse_date(const char *s, int64_t *us);

/* Find the node's own organization (store_org.self = 1, made by `enlace init`). Returns 0, or
 * an enlace_code with err set (ENLACE_ENOTFOUND for a store without one). */
int cli_node_org(store *s, store_org *out, enlace_err *err);

/* Find an organization by name or identity id for command cmd. On failure prints one line
 * ("no organization 'X' (see 'enlace org list DIR')", or the store's error) and returns
 * CLI_EXIT_FAIL; else 0. */
int cli_org_find(const char *cmd, store *s, const char *name_or_id, store_org *out);

/* Find a collection by id or alias for command cmd; prints "no collection 'X'" (or the store's
 * error) and returns CLI_EXIT_FAIL when there is none; else 0. */
int cli_collection_find(const char *cmd, store *s, const char *id_or_alias, store_collection *out);

/* Append s as a JSON string, or null when s is NULL or "". */
void cli_json_str_or_null(enlace_buf *o, const char *s);

/* Credentials and TLS options shared by push and get, resolved from options and the
 * environment (ENLACE_USER, ENLACE_PASSWORD, ENLACE_TOKEN). */
typedef struct cli_remote {
    const char *url;
    const char *collection;
    const char *user;
    const char *password;
    const char *token;
    int password_stdin;
    int insecure;
    const char *cacert;
    char pw_buf[1024];     /* holds a password read from stdin */
} cli_remote;

/* Fill in credentials from the environment where options left them unset and read the password
 * from stdin when asked. Checks that url and collection were given and that credentials are
 * complete and not contradictory. Returns 0, or prints the usage error and returns
 * CLI_EXIT_USAGE. */
int cli_remote_resolve(const char *cmd, cli_remote *r);

/* Print "enlace <cmd>: <err->msg>" for a failed request of cl, adding, when the server's TLS
 * certificate was not trusted, how to trust it (--cacert FILE or --insecure). Returns
 * CLI_EXIT_FAIL. */
int cli_net_fail(const char *cmd, const client *cl, const enlace_err *err);

/* Check that cl's URL is a TAXII API root (GET it). Returns 0 when it is (*max_content_length, may
 * be NULL, gets its value or 0); else writes one line to out (n bytes) saying what the URL is
 * instead and that --url must be the API root, and returns 1. A network error gives 1 too, with
 * out = the error (and the TLS hint). */
int cli_root_check(client *cl, const char *url, char *out, size_t n, size_t *max_content_length);

/* Print why the request method path of cl failed with resp (not a success): the TAXII error,
 * the URL requested and, on 404, whether --url is really an API root. Returns CLI_EXIT_FAIL. */
int cli_http_fail(const char *cmd, client *cl, const char *url, const char *method, const char *path,
                  const client_response *resp);

#endif
