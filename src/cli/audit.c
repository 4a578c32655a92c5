/* audit.c - `enlace audit verify|show`: check a node's signed tree heads the way a partner does
 * (signature, rollback, fork, consistency, optionally every entry), and list a node's own audit
 * log entries with filters (issue 4 must-have 5; docs/audit.md). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <pwd.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/checkpoint.h"
#include "audit/entry.h"
#include "audit/log.h"
#include "audit/verify.h"
#include "cli/cli.h"
#include "fed/audit_source.h"
#include "stix/time.h"
#include "store/audit_store.h"
#include "util/clock.h"

/* Exit status when the log fails verification (a bad signature, a rollback, a fork, an entry
 * that does not match): distinct from 1 (could not check: network, files). */
#define AUDIT_EXIT_FAILED 3

static const char audit_usage[] =
    "usage: enlace audit verify --url URL --pubkey KEY --state FILE [--entries] [credentials]\n"
    "       enlace audit show DIR [filters] [--json]\n"
    "       enlace audit key DIR [--json]\n"
    "\n"
    "verify  fetch the node's latest signed tree head (URL/enlace/v1/audit/checkpoint), check its\n"
    "        Ed25519 signature with the pinned KEY, prove it consistent (RFC 9162 §2.1.4) with the\n"
    "        head kept in FILE, and keep it there (written atomically). The first run trusts the\n"
    "        head it gets (and says so). Prints one line: what was checked, or why it failed:\n"
    "          bad signature: ...   the head is not signed by KEY (or its signature is wrong)\n"
    "          rollback: tree size N < last seen M   an older or truncated log\n"
    "          fork: ...            the log was rewritten (not an extension of the kept head)\n"
    "          leaf I: ... / leaf entries: ...   (--entries) an entry does not match the tree\n"
    "show    list the audit log entries of the node in DIR (read locally), oldest first\n"
    "key     print what a partner pins: the log's origin, the node's public key, and the\n"
    "        verifier key (NAME+ID+KEY) that signed-note tools (Go sumdb/note, ...) read\n"
    "\n"
    "verify options:\n"
    "  --url URL          the node's base URL (http(s)://HOST:PORT/; a trailing api/ is dropped)\n"
    "  --pubkey KEY       the node key: base64 of the 32-byte Ed25519 key (its node.pub), a\n"
    "                     verifier key NAME+ID+KEY (signed-note form), or a file holding either\n"
    "  --state FILE       where the last verified head is kept (created on first use)\n"
    "  --entries          also read every entry since the last run (all on the first) and check\n"
    "                     that they rebuild the signed root; entries other than your own requests\n"
    "                     (and, for a partner node, those about your party's objects) come as\n"
    "                     leaf hashes only\n"
    "  --user NAME, --password-stdin, --token TOKEN   credentials (or ENLACE_USER,\n"
    "                     ENLACE_PASSWORD, ENLACE_TOKEN)\n"
    "  --cacert FILE, --insecure   TLS trust, as for push and get\n"
    "  --json             print {\"ok\",\"origin\",\"size\",\"previous_size\",\"first_use\",\n"
    "                     \"entries_checked\",\"reason\"} instead of the line\n"
    "\n"
    "show filters (all optional, combined with AND):\n"
    "  --party XX         entries by principals of party XX (who acted)\n"
    "  --about XX         entries about objects originated by party XX\n"
    "  --principal NAME   entries by this user\n"
    "  --role ROLE        entries by users holding ROLE (e.g. liaison)\n"
    "  --action ACTION    read, write, delete, or an admin action (user-add, token-create, ...)\n"
    "  --object ID        entries naming this object id (case does not matter)\n"
    "  --since T, --until T   time range [T, T'), RFC 3339 (2026-11-29T10:00:00Z) or a date\n"
    "  --json             one JSON object per line: {\"index\",\"leaf_hash\",\"edited\",\"entry\"}\n"
    "every entry shown is hashed and checked against its stored leaf hash: one that does not match\n"
    "is marked \"EDITED: entry does not match its leaf hash\" (\"edited\":true), and the exit status is 3\n"
    "\n"
    "exit status: 0 ok, 1 could not check (network, files, a malformed or oversized answer:\n"
    "             \"malformed response: ...\"; with --json the object is printed too), 2 usage error,\n"
    "             3 verification failed (bad signature, rollback, fork, edited entry)\n"
    "example: enlace audit show mynode --party US --role liaison --action read\n";

/* ---- admin changes (cli.h) ---------------------------------------------------------------------- */

int cli_audit_begin(store *s, enlace_err *err) { return store_audit_begin(s, err); }

int cli_audited_objects(store *s, const char *action, const char *target, const audit_object *objs, size_t n,
                        int op_rc, enlace_err *err) {
    if (op_rc != ENLACE_OK) {
        store_audit_rollback(s);
        return op_rc;
    }
    /* Who: the operating-system account that ran the command (the CLI works on the node's files,
     * with no enlace login), acting for the node's own organization and party. */
    char principal[160], party[POLICY_PARTY_LEN] = "";
    struct passwd *pw = getpwuid(geteuid());
    snprintf(principal, sizeof principal, "cli:%s", pw && pw->pw_name ? pw->pw_name : "?");
    store_org self;
    memset(&self, 0, sizeof self);
    int rc = cli_node_org(s, &self, err);
    if (rc == ENLACE_OK) snprintf(party, sizeof party, "%s", self.party);
    audit_entry e = {enlace_clock_now_us(), principal, self.name, party, action, "", party, "allow", "", target,
                     objs, n};
    if (rc == ENLACE_OK) rc = audit_append_tx(s, &e, NULL, err);
    if (rc == ENLACE_OK) rc = store_audit_commit(s, err);
    if (rc != ENLACE_OK) store_audit_rollback(s);
    return rc;
}

int cli_audited(store *s, const char *action, const char *target, int op_rc, enlace_err *err) {
    return cli_audited_objects(s, action, target, NULL, 0, op_rc, err);
}

int cli_audited_ids(store *s, const char *action, char *const *ids, const size_t *ids_len, int op_rc,
                    enlace_err *err) {
    if (op_rc != ENLACE_OK) return cli_audited_objects(s, action, "", NULL, 0, op_rc, err);
    size_t n = 0;
    for (size_t off = 0; *ids && off < *ids_len; off += strlen(*ids + off) + 1) n++;
    audit_object *objs = calloc(n ? n : 1, sizeof *objs);
    if (!objs) {
        store_audit_rollback(s);
        return enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
    }
    size_t i = 0;
    for (size_t off = 0; *ids && off < *ids_len; off += strlen(*ids + off) + 1) objs[i++] = (audit_object){*ids + off, ""};
    char target[64];
    snprintf(target, sizeof target, "%zu object%s", n, n == 1 ? "" : "s");
    int rc = cli_audited_objects(s, action, target, objs, n, op_rc, err);
    free(objs);
    return rc;
}

/* ---- verify ------------------------------------------------------------------------------------ */

/* The HTTP source (requests, size caps per resource, malformed answers) is fed/audit_source.c,
 * shared with the federation trust check. */

/* The same words as cli_net_fail's hint (common.c). */
#define AUDIT_TLS_HINT                                                                                              \
    "; the server's TLS certificate is not trusted: give its CA certificate with --cacert FILE (or skip "            \
    "verification with --insecure)"

/* Write text to path atomically: a new temporary file in the same directory (O_EXCL|O_NOFOLLOW,
 * so nothing already there, nor a link planted there, is written through), with the mode of the
 * file it replaces, fsync, rename, directory fsync. */
static int write_atomic(const char *path, const char *text, size_t len, enlace_err *err) {
    char tmp[4200];
    unsigned char rnd[6];
    randombytes_buf(rnd, sizeof rnd);
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%02x%02x%02x%02x%02x%02x", path, (long)getpid(), rnd[0], rnd[1], rnd[2],
                 rnd[3], rnd[4], rnd[5]) >= (int)sizeof tmp)
        return enlace_err_set(err, ENLACE_EINVAL, "state path too long");
    struct stat old;
    mode_t mode = lstat(path, &old) == 0 && S_ISREG(old.st_mode) ? old.st_mode & 07777 : 0644;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return enlace_err_set(err, ENLACE_EIO, "cannot write %s: %s", tmp, strerror(errno));
    int ok = fchmod(fd, mode) == 0 && write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
    int saved = errno;
    close(fd);
    if (!ok || rename(tmp, path) != 0) {
        if (ok) saved = errno;
        unlink(tmp);
        return enlace_err_set(err, ENLACE_EIO, "cannot write %s: %s", path, strerror(saved));
    }
    /* the rename itself is durable once the directory is synced */
    char dir[4200];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    int dfd = open(slash ? (dir[0] ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* KEY as given, or the contents of the file it names; name gets a verifier key's name ("" for a
 * bare key). ENLACE_EIO "cannot read FILE: ..." when KEY is no key and no readable file. */
static int load_pubkey(const char *arg, unsigned char pk[32], char name[AUDIT_ORIGIN_MAX], enlace_err *err) {
    struct stat st;
    int st_rc = stat(arg, &st);
    if (st_rc == 0 && S_ISREG(st.st_mode)) {
        char *text = NULL;
        size_t len = 0;
        int rc = cli_read_file(arg, &text, &len, err);
        if (rc) return rc;
        rc = audit_pubkey_parse_name(text, pk, name, err);
        free(text);
        if (rc) enlace_err_set(err, rc, "%s: %s", arg, err->msg);
        return rc;
    }
    int saved = st_rc != 0 ? errno : EISDIR;  /* not a regular file: a directory, a device */
    int rc = audit_pubkey_parse_name(arg, pk, name, err);
    /* not a key: when it does not look like one either (no '+', not 44 characters), it was a
     * file name */
    if (rc && !strchr(arg, '+') && strlen(arg) != 44)
        return enlace_err_set(err, ENLACE_EIO, "cannot read %s: %s", arg, strerror(saved));
    return rc;
}

/* A failure before or while checking (exit 1): the line on stderr, and with --json the result
 * object on stdout too. */
static int verify_error(const char *cmd, int json, const char *reason) {
    if (json) {
        enlace_buf o = ENLACE_BUF_INIT;
        enlace_buf_puts(&o, "{\"ok\":false,\"checked\":false,\"reason\":");
        enlace_buf_json_str(&o, reason);
        enlace_buf_puts(&o, "}\n");
        cli_emit(cmd, &o, 0);
    }
    return cli_fail(cmd, "%s", reason);
}

static int cmd_verify(int argc, char **argv) {
    enum { O_URL = 1, O_PUBKEY, O_STATE, O_ENTRIES, O_USER, O_PWSTDIN, O_TOKEN, O_CACERT, O_INSECURE, O_JSON, O_HELP };
    static const struct option opts[] = {
        {"url", required_argument, NULL, O_URL},         {"pubkey", required_argument, NULL, O_PUBKEY},
        {"state", required_argument, NULL, O_STATE},     {"entries", no_argument, NULL, O_ENTRIES},
        {"user", required_argument, NULL, O_USER},       {"password-stdin", no_argument, NULL, O_PWSTDIN},
        {"token", required_argument, NULL, O_TOKEN},     {"cacert", required_argument, NULL, O_CACERT},
        {"insecure", no_argument, NULL, O_INSECURE},     {"json", no_argument, NULL, O_JSON},
        {"help", no_argument, NULL, O_HELP},             {NULL, 0, NULL, 0}};
    const char *cmd = "audit verify", *url = NULL, *key = NULL, *state_path = NULL, *user = NULL, *token = NULL,
               *cacert = NULL;
    int entries = 0, pw_stdin = 0, insecure = 0, json = 0, c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case O_URL: url = optarg; break;
        case O_PUBKEY: key = optarg; break;
        case O_STATE: state_path = optarg; break;
        case O_ENTRIES: entries = 1; break;
        case O_USER: user = optarg; break;
        case O_PWSTDIN: pw_stdin = 1; break;
        case O_TOKEN: token = optarg; break;
        case O_CACERT: cacert = optarg; break;
        case O_INSECURE: insecure = 1; break;
        case O_JSON: json = 1; break;
        case 'h':
        case O_HELP: fputs(audit_usage, stdout); return CLI_EXIT_OK;
        default: return cli_bad_option(cmd, c, argv);
        }
    }
    if (optind < argc) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!url) return cli_usage_error(cmd, "--url is required");
    if (!key) return cli_usage_error(cmd, "--pubkey is required");
    if (!state_path) return cli_usage_error(cmd, "--state is required");
    /* credentials: options, then the environment */
    char pw[1024] = "";
    const char *password = NULL;
    if (!user && !token) user = getenv("ENLACE_USER");
    if (!token && !user) token = getenv("ENLACE_TOKEN");
    if (user && token) return cli_usage_error(cmd, "give --user or --token, not both");
    if (pw_stdin) {
        if (!user) return cli_usage_error(cmd, "--password-stdin needs --user");
        if (cli_read_line(stdin, pw, sizeof pw) != 0) return cli_usage_error(cmd, "no password on standard input");
        password = pw;
    } else if (user) {
        password = getenv("ENLACE_PASSWORD");
        if (!password) return cli_usage_error(cmd, "--user needs a password (--password-stdin or ENLACE_PASSWORD)");
    }
    if (!user && !token) return cli_usage_error(cmd, "credentials are required (--user or --token)");

    enlace_err err;
    enlace_err_clear(&err);
    unsigned char pk[32];
    char pin_name[AUDIT_ORIGIN_MAX];
    int krc = load_pubkey(key, pk, pin_name, &err);
    if (krc == ENLACE_EIO) {
        sodium_memzero(pw, sizeof pw);
        return verify_error(cmd, json, err.msg);
    }
    if (krc) {
        sodium_memzero(pw, sizeof pw);
        return cli_usage_error(cmd, "--pubkey: %s", err.msg);
    }
    /* the node's base URL: drop a trailing "api/" (a TAXII API root given by habit) */
    char base[2048];
    if (fed_node_base_url(url, base, sizeof base) != 0) return cli_usage_error(cmd, "--url is too long");

    /* the kept head: re-verified with the pinned key before it is trusted */
    audit_state st;
    memset(&st, 0, sizeof st);
    char *text = NULL;
    size_t tlen = 0;
    if (access(state_path, F_OK) == 0) {
        if (cli_read_file(state_path, &text, &tlen, &err) != 0) {
            sodium_memzero(pw, sizeof pw);
            return verify_error(cmd, json, err.msg);
        }
        size_t ws = 0;
        while (ws < tlen && (text[ws] == ' ' || text[ws] == '\n' || text[ws] == '\t' || text[ws] == '\r')) ws++;
        if (ws == tlen) {  /* not "first use": a kept head was lost (a crash, a full disk, ...) */
            free(text);
            sodium_memzero(pw, sizeof pw);
            char msg[4300];
            snprintf(msg, sizeof msg, "state file %s is empty: delete it to start over", state_path);
            return verify_error(cmd, json, msg);
        }
        int rc = audit_state_parse(text, tlen, pk, &st, &err);
        free(text);
        if (rc == 0 && pin_name[0] && strcmp(st.cp.origin, pin_name) != 0) {
            rc = enlace_err_set(&err, ENLACE_EAUTH, "bad signature: the head kept in the state file is of '%s', not the pinned '%s'",
                                st.cp.origin, pin_name);
            audit_state_free(&st);
        }
        if (rc == ENLACE_EAUTH) {
            sodium_memzero(pw, sizeof pw);
            if (json) {
                enlace_buf o = ENLACE_BUF_INIT;
                enlace_buf_puts(&o, "{\"ok\":false,\"checked\":true,\"reason\":");
                enlace_buf_json_str(&o, err.msg);
                enlace_buf_puts(&o, "}\n");
                cli_emit(cmd, &o, 0);
            }
            fprintf(stderr, "enlace %s: %s (%s)\n", cmd, err.msg, state_path);
            return AUDIT_EXIT_FAILED;
        }
        if (rc) {
            sodium_memzero(pw, sizeof pw);
            char msg[ENLACE_ERR_MSG_MAX + 4200];
            snprintf(msg, sizeof msg, "%s: %s", state_path, err.msg);
            return verify_error(cmd, json, msg);
        }
    }
    client_config cc = {base, user, password, token, insecure, cacert, 0, 60, FED_AUDIT_MAX_PAGE};
    client *cl = NULL;
    fed_audit_http h;
    int crc = client_new(&cc, &cl, &err);
    if (crc == 0) crc = fed_audit_http_init(&h, cl, base, pin_name, pk, &err);
    if (crc != 0) {
        sodium_memzero(pw, sizeof pw);
        audit_state_free(&st);
        client_free(cl);
        return verify_error(cmd, json, err.msg);
    }
    audit_source src;
    fed_audit_http_source(&h, &src);
    audit_verify_result res;
    int rc = audit_verify_run(&st, &src, pk, entries, &res, &err);
    int exit_code = CLI_EXIT_OK;
    if (rc == ENLACE_ENET || rc == ENLACE_ENOMEM || rc == ENLACE_EIO || rc == ENLACE_EINVAL || h.malformed) {
        /* could not check: network, memory, or a malformed response (not proof of tampering) */
        char msg[ENLACE_ERR_MSG_MAX + 200];
        if (rc == ENLACE_EINVAL && !h.malformed && strncmp(err.msg, "malformed response", 18) != 0)
            snprintf(msg, sizeof msg, "malformed response: %s", err.msg);
        else
            snprintf(msg, sizeof msg, "%s%s", err.msg,
                     rc == ENLACE_ENET && !h.failed_http && client_tls_untrusted(cl) ? AUDIT_TLS_HINT : "");
        exit_code = verify_error(cmd, json, msg);
    } else if (rc != 0) {
        exit_code = AUDIT_EXIT_FAILED;
        if (json) {
            enlace_buf o = ENLACE_BUF_INIT;
            enlace_buf_puts(&o, "{\"ok\":false,\"checked\":true,\"reason\":");
            enlace_buf_json_str(&o, err.msg);
            enlace_buf_puts(&o, "}\n");
            cli_emit(cmd, &o, 0);
        } else {
            fprintf(stderr, "enlace %s: %s\n", cmd, err.msg);
        }
    } else {
        /* verified: say so first, then whether the new head could be kept */
        enlace_buf out = ENLACE_BUF_INIT;
        int wrc = audit_state_format(&st, &out) != 0 ? enlace_err_set(&err, ENLACE_ENOMEM, "out of memory")
                                                     : write_atomic(state_path, out.p, out.len, &err);
        if (json) {
            enlace_buf o = ENLACE_BUF_INIT;
            enlace_buf_puts(&o, "{\"ok\":true,\"origin\":");
            enlace_buf_json_str(&o, st.cp.origin);
            enlace_buf_printf(&o, ",\"size\":%llu,\"previous_size\":%llu,\"first_use\":%s,\"entries_checked\":%llu",
                              (unsigned long long)res.new_size, (unsigned long long)res.old_size,
                              res.first_use ? "true" : "false", (unsigned long long)res.leaves_checked);
            if (wrc) {
                enlace_buf_puts(&o, ",\"state_saved\":false,\"error\":");
                enlace_buf_json_str(&o, err.msg);
            }
            enlace_buf_puts(&o, "}\n");
            exit_code = cli_emit(cmd, &o, 0);
        } else if (res.first_use) {
            printf("ok: first use: keeping %s at tree size %llu%s\n", st.cp.origin, (unsigned long long)res.new_size,
                   entries ? " (every entry checked)" : "");
        } else {
            printf("ok: %s tree size %llu is consistent with %llu%s\n", st.cp.origin, (unsigned long long)res.new_size,
                   (unsigned long long)res.old_size,
                   entries ? (res.leaves_checked ? " (new entries checked)" : " (no new entries)") : "");
        }
        fflush(stdout);
        if (wrc) exit_code = cli_fail(cmd, "the head was verified but not kept: %s", err.msg);
        enlace_buf_free(&out);
    }
    client_free(cl);
    audit_state_free(&st);
    sodium_memzero(pw, sizeof pw);
    return exit_code;
}

/* ---- show --------------------------------------------------------------------------------------- */

typedef struct show_ctx {
    const char *party, *action, *role_name, *object;
    char **role_users;   /* names of users holding --role */
    size_t n_role_users;
    int json;
    size_t shown, edited;
    int failed;
} show_ctx;

static int in_role(const show_ctx *sc, const char *name) {
    for (size_t i = 0; i < sc->n_role_users; i++)
        if (strcmp(sc->role_users[i], name) == 0) return 1;
    return 0;
}

/* What the mark says of an entry whose bytes do not hash to its stored leaf hash (security
 * review F4): someone changed the entry in the store after it was logged. */
#define EDITED_MARK "EDITED: entry does not match its leaf hash"

static int show_leaf(void *ctx, const store_audit_leaf *leaf) {
    show_ctx *sc = ctx;
    audit_entry_doc d;
    enlace_err err;
    unsigned char h[MERKLE_HASH_LEN];
    merkle_hash_leaf(leaf->data, leaf->len, h);
    int edited = sodium_memcmp(h, leaf->hash, MERKLE_HASH_LEN) != 0;
    char b64[sodium_base64_ENCODED_LEN(MERKLE_HASH_LEN, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, leaf->hash, MERKLE_HASH_LEN, sodium_base64_VARIANT_ORIGINAL);
    if (audit_entry_decode(leaf->data, leaf->len, &d, &err) != 0) {
        if (edited) {  /* edited into something that is not even an entry */
            sc->edited++;
            if (sc->json)
                printf("{\"index\":%llu,\"leaf_hash\":\"%s\",\"edited\":true,\"entry\":null}\n",
                       (unsigned long long)leaf->idx, b64);
            else
                printf("%llu " EDITED_MARK " (and is not an entry: %s)\n", (unsigned long long)leaf->idx, err.msg);
        }
        fprintf(stderr, "enlace audit show: leaf %llu: %s\n", (unsigned long long)leaf->idx, err.msg);
        sc->failed = 1;
        return 0;
    }
    const audit_entry *e = &d.e;
    int keep = (!sc->party || strcmp(e->party, sc->party) == 0) && (!sc->action || strcmp(e->action, sc->action) == 0) &&
               (!sc->role_name || in_role(sc, e->principal));
    if (keep && sc->object) {  /* the store matched the text; the entry must name the id */
        keep = 0;
        for (size_t i = 0; i < e->n_objects && !keep; i++) keep = strcmp(e->objects[i].id, sc->object) == 0;
    }
    if (keep) {
        sc->shown++;
        if (edited) sc->edited++;
        if (sc->json) {
            printf("{\"index\":%llu,\"leaf_hash\":\"%s\",\"edited\":%s,\"entry\":%.*s}\n", (unsigned long long)leaf->idx,
                   b64, edited ? "true" : "false", (int)leaf->len, (const char *)leaf->data);
        } else {
            char t[TAXII_TIME_LEN];
            taxii_time_format(e->time_us, t);
            printf("%llu %s%s %s (%s, %s) %s", (unsigned long long)leaf->idx, edited ? EDITED_MARK ": " : "", t,
                   e->principal, e->org, e->party, e->action);
            if (e->collection[0]) printf(" collection=%s", e->collection);
            if (e->target[0]) printf(" target=%s", e->target);
            printf(" about=%s %s", e->about, e->decision);
            if (e->reason[0]) printf(" (%s)", e->reason);
            printf(" %zu object%s", e->n_objects, e->n_objects == 1 ? "" : "s");
            for (size_t i = 0; i < e->n_objects && i < 3; i++)
                printf("%s%s%s%s", i ? ", " : ": ", e->objects[i].id, e->objects[i].version[0] ? "@" : "",
                       e->objects[i].version);
            if (e->n_objects > 3) printf(", +%zu more", e->n_objects - 3);
            putchar('\n');
        }
    }
    audit_entry_doc_free(&d);
    return 0;
}

/* The actions entries are written with (docs/audit.md "Leaf encoding"). */
static const char *const known_actions[] = {
    AUDIT_READ, AUDIT_WRITE, AUDIT_DELETE, "user-add", "user-disable", "user-enable", "user-password",
    "token-create", "token-revoke", "org-add", "org-vet", "org-unvet", "party-add", "agreement-set",
    "agreement-remove", "collection-create", "grant", "collection-default-tlp", "purge", "review", "purge-dry-run",
    "fed-trust-failure", "fed-directory-conflict", "partner-add", "partner-set", "partner-resume",
    "partner-remove", "import-ofac-sdn"};

static int known_action(const char *a) {
    for (size_t i = 0; i < sizeof known_actions / sizeof *known_actions; i++)
        if (strcmp(known_actions[i], a) == 0) return 1;
    return 0;
}

/* A party code as given: two ASCII letters, upper-cased into out (3 bytes). -1 otherwise. */
static int party_arg(const char *s, char out[3]) {
    if (strlen(s) != 2) return -1;
    for (int i = 0; i < 2; i++) {
        char c = s[i];
        if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
        if (c < 'A' || c > 'Z') return -1;
        out[i] = c;
    }
    out[2] = '\0';
    return 0;
}

static int parse_when(const char *s, int64_t *us) {
    char buf[64];
    if (strlen(s) == 10) {  /* a date: its midnight UTC */
        snprintf(buf, sizeof buf, "%sT00:00:00Z", s);
        s = buf;
    }
    return taxii_time_parse(s, us);
}

static int cmd_show(int argc, char **argv) {
    enum { O_PARTY = 1, O_ABOUT, O_PRINCIPAL, O_ROLE, O_ACTION, O_OBJECT, O_SINCE, O_UNTIL, O_JSON, O_HELP };
    static const struct option opts[] = {
        {"party", required_argument, NULL, O_PARTY},   {"about", required_argument, NULL, O_ABOUT},
        {"principal", required_argument, NULL, O_PRINCIPAL}, {"role", required_argument, NULL, O_ROLE},
        {"action", required_argument, NULL, O_ACTION}, {"object", required_argument, NULL, O_OBJECT},
        {"since", required_argument, NULL, O_SINCE},   {"until", required_argument, NULL, O_UNTIL},
        {"json", no_argument, NULL, O_JSON},           {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0}};
    const char *cmd = "audit show";
    show_ctx sc;
    memset(&sc, 0, sizeof sc);
    store_audit_filter f;
    memset(&f, 0, sizeof f);
    char party[3], about[3], object[300];
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case O_PARTY:
            if (party_arg(optarg, party) != 0)
                return cli_usage_error(cmd, "--party '%s' is not a party code (two letters, e.g. US)", optarg);
            sc.party = party;
            break;
        case O_ABOUT:
            if (party_arg(optarg, about) != 0)
                return cli_usage_error(cmd, "--about '%s' is not a party code (two letters, e.g. MX)", optarg);
            f.about = about;
            break;
        case O_PRINCIPAL: f.principal = optarg; break;
        case O_ROLE: sc.role_name = optarg; break;
        case O_ACTION:
            if (!known_action(optarg))
                return cli_usage_error(cmd, "--action '%s' is not an action (read, write, delete, user-add, ...)", optarg);
            sc.action = optarg;
            break;
        case O_OBJECT: {
            /* STIX ids are lower case (type and UUID): normalise what was typed */
            size_t ol = strlen(optarg);
            if (ol == 0 || ol >= sizeof object) return cli_usage_error(cmd, "--object '%s' is not an object id", optarg);
            for (size_t i = 0; i <= ol; i++)
                object[i] = optarg[i] >= 'A' && optarg[i] <= 'Z' ? (char)(optarg[i] - 'A' + 'a') : optarg[i];
            f.contains = sc.object = object;
            break;
        }
        case O_SINCE:
            if (parse_when(optarg, &f.since_us) != 0) return cli_usage_error(cmd, "--since '%s' is not a timestamp", optarg);
            break;
        case O_UNTIL:
            if (parse_when(optarg, &f.until_us) != 0) return cli_usage_error(cmd, "--until '%s' is not a timestamp", optarg);
            break;
        case O_JSON: sc.json = 1; break;
        case 'h':
        case O_HELP: fputs(audit_usage, stdout); return CLI_EXIT_OK;
        default: return cli_bad_option(cmd, c, argv);
        }
    }
    if (optind >= argc) return cli_usage_error(cmd, "missing DIR");
    if (argc - optind > 1) return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
    unsigned role = 0;
    if (sc.role_name && !(role = store_roles_parse(sc.role_name)))
        return cli_usage_error(cmd, "--role '%s' is not a role (analyst, liaison, approver, admin, partner)",
                               sc.role_name);
    store *s = NULL;
    int rc = cli_store_open(cmd, argv[optind], &s);
    if (rc) return rc;
    enlace_err err;
    store_user *users = NULL;
    size_t nu = 0;
    if (role) {
        if (store_user_list(s, &users, &nu, &err) != 0) {
            store_close(s);
            return cli_fail(cmd, "%s", err.msg);
        }
        sc.role_users = calloc(nu ? nu : 1, sizeof *sc.role_users);
        for (size_t i = 0; sc.role_users && i < nu; i++)
            if (users[i].roles & role) sc.role_users[sc.n_role_users++] = users[i].name;
    }
    /* one snapshot for the whole listing */
    rc = store_read_begin(s, &err);
    if (rc == 0) rc = store_audit_leaves(s, 0, UINT64_MAX, &f, show_leaf, &sc, &err);
    store_read_end(s, NULL);
    int exit_code = rc ? cli_fail(cmd, "%s", err.msg) : sc.edited ? AUDIT_EXIT_FAILED : sc.failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
    if (rc == 0 && !sc.json && sc.shown == 0 && !sc.edited) fprintf(stderr, "enlace %s: no entries match\n", cmd);
    if (rc == 0 && sc.edited)
        fprintf(stderr, "enlace %s: %zu entr%s shown do%s not match %s leaf hash: edited in the store after it was logged\n",
                cmd, sc.edited, sc.edited == 1 ? "y" : "ies", sc.edited == 1 ? "es" : "", sc.edited == 1 ? "its" : "their");
    free(sc.role_users);
    free(users);
    store_close(s);
    return exit_code;
}

/* ---- key ---------------------------------------------------------------------------------------- */

static int cmd_key(int argc, char **argv) {
    const char *cmd = "audit key";
    int json = 0;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return fputs(audit_usage, stdout), CLI_EXIT_OK;
        else if (argv[i][0] == '-') return cli_usage_error(cmd, "unknown option '%s'", argv[i]);
        else if (dir) return cli_usage_error(cmd, "unexpected argument '%s'", argv[i]);
        else dir = argv[i];
    }
    if (!dir) return cli_usage_error(cmd, "missing DIR");
    store *s = NULL;
    int rc = cli_store_open(cmd, dir, &s);
    if (rc) return rc;
    enlace_err err;
    char party[16] = "", identity[64] = "", pk64[128] = "";
    store_meta_get(s, "party", party, sizeof party, NULL);
    store_meta_get(s, "identity_id", identity, sizeof identity, NULL);
    store_meta_get(s, "node_pubkey", pk64, sizeof pk64, NULL);
    store_close(s);
    /* the key beside the store (what `serve` signs with) wins over the one recorded at init */
    char path[4200], *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/node.pub", dir);
    unsigned char pk[32];
    if (access(path, F_OK) == 0 && cli_read_file(path, &text, &len, &err) == 0) {
        snprintf(pk64, sizeof pk64, "%s", text);
        free(text);
    }
    if (audit_pubkey_parse(pk64, pk, &err) != 0) return cli_fail(cmd, "the node has no usable public key: %s", err.msg);
    char origin[AUDIT_ORIGIN_MAX], b64[64];
    audit_origin(party, identity, origin);
    sodium_bin2base64(b64, sizeof b64, pk, 32, sodium_base64_VARIANT_ORIGINAL);
    enlace_buf vk = ENLACE_BUF_INIT, o = ENLACE_BUF_INIT;
    audit_vkey_format(origin, pk, &vk);
    if (json) {
        enlace_buf_puts(&o, "{\"origin\":");
        enlace_buf_json_str(&o, origin);
        enlace_buf_printf(&o, ",\"pubkey\":\"%s\",\"vkey\":", b64);
        enlace_buf_json_str(&o, vk.p ? vk.p : "");
        enlace_buf_puts(&o, "}\n");
    } else {
        enlace_buf_printf(&o, "origin: %s\npubkey: %s\nvkey: %s\n", origin, b64, vk.p ? vk.p : "");
    }
    enlace_buf_free(&vk);
    return cli_emit(cmd, &o, 0);
}

int cli_audit(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(audit_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "verify") == 0) return cmd_verify(argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0) return cmd_show(argc - 1, argv + 1);
    if (strcmp(argv[1], "key") == 0) return cmd_key(argc - 1, argv + 1);
    return cli_usage_error("audit", "unknown subcommand '%s' (verify, show, key)", argv[1]);
}
