/* init.c - `enlace init DIR --party CC --org NAME`: create a node directory with its store,
 * Ed25519 node key, paging-cursor key, its party, its own organization (a STIX 2.1 identity,
 * vouched for by the node) and the first user, "admin" (role admin: manages, reads nothing). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "stix/id.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/secret.h"

static const char init_usage[] =
    "usage: enlace init DIR --party CC --org NAME [--json]\n"
    "\n"
    "Create a new node in DIR (made with mode 0700 if missing; refused if DIR/enlace.db exists):\n"
    "  DIR/enlace.db   the node's SQLite store\n"
    "  DIR/node.key    the node's Ed25519 secret key, base64 (mode 0600)\n"
    "  DIR/node.pub    its public key, base64 (mode 0644)\n"
    "the node's party and its own organization (a STIX 2.1 identity, TLP:CLEAR), a paging-cursor\n"
    "key, and a user \"admin\" (role admin: manages the node, reads and writes no objects) with a\n"
    "random password that is printed ONCE. Add analysts with 'enlace user add'.\n"
    "\n"
    "options:\n"
    "  --party CC   the node's party: ISO 3166-1 alpha-2 code, two uppercase letters (e.g. MX)\n"
    "  --org NAME   the organization that runs the node: its short name (1-127 bytes, e.g. SSPC)\n"
    "               and its STIX identity's name\n"
    "  --json       print {\"dir\",\"party\",\"org\",\"identity_id\",\"node_pubkey\",\"admin_user\",\n"
    "               \"admin_password\"} instead of text\n"
    "  --help       this text\n"
    "\n"
    "exit status: 0 ok, 1 failure, 2 usage error\n";

/* mkdir -p with mode 0700 for the directories it creates. */
static int mkdir_p(const char *dir) {
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST) return -1;
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* Write text to path with exactly mode (replacing any old file). Returns 0 or -1 (errno). */
static int write_file(const char *path, const char *text, mode_t mode) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return -1;
    size_t n = strlen(text);
    int ok = fchmod(fd, mode) == 0 && write(fd, text, n) == (ssize_t)n && fsync(fd) == 0;
    int saved = errno;
    close(fd);
    errno = saved;
    return ok ? 0 : -1;
}

/* Remove a half-made store so that `enlace init` can be run again. */
static void remove_store(const char *db) {
    char p[4200];
    unlink(db);
    snprintf(p, sizeof p, "%s-wal", db);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", db);
    unlink(p);
}

int cli_init(int argc, char **argv) {
    static const struct option opts[] = {{"party", required_argument, NULL, 'p'},
                                         {"org", required_argument, NULL, 'o'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *party = NULL, *org = NULL;
    int json = 0, c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'p': party = optarg; break;
        case 'o': org = optarg; break;
        case 'j': json = 1; break;
        case 'h': fputs(init_usage, stdout); return CLI_EXIT_OK;
        default: return cli_bad_option("init", c, argv);
        }
    }
    if (optind >= argc) return cli_usage_error("init", "missing DIR");
    if (argc - optind > 1) return cli_usage_error("init", "unexpected argument '%s'", argv[optind + 1]);
    const char *dir = argv[optind];
    if (!party) return cli_usage_error("init", "--party is required");
    if (!cli_party_ok(party))
        return cli_usage_error("init", "--party '%s' is not an ISO 3166-1 alpha-2 code (two uppercase letters)", party);
    if (!org || !*org) return cli_usage_error("init", "--org is required");
    if (!cli_org_name_ok(org))
        return cli_usage_error("init", "--org '%s' must be 1-127 bytes without control characters, not starting with 'identity--'", org);

    char db[4096], keyp[4096], pubp[4096];
    if (snprintf(db, sizeof db, "%s/enlace.db", dir) >= (int)sizeof db ||
        snprintf(keyp, sizeof keyp, "%s/node.key", dir) >= (int)sizeof keyp ||
        snprintf(pubp, sizeof pubp, "%s/node.pub", dir) >= (int)sizeof pubp)
        return cli_usage_error("init", "DIR is too long");
    struct stat st;
    if (stat(db, &st) == 0) return cli_fail("init", "%s already exists; refusing to overwrite a node", db);
    if (mkdir_p(dir) != 0) return cli_fail("init", "cannot create %s: %s", dir, strerror(errno));

    enlace_err err;
    enlace_err_clear(&err);
    store *s = NULL;
    if (store_open(db, 1, &s, &err) != ENLACE_OK) return cli_fail("init", "%s", err.msg);
    chmod(db, 0600); /* users' password hashes and token digests live here */

    int rc = CLI_EXIT_FAIL;
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES], ck[32];
    char pk64[sodium_base64_ENCODED_LEN(crypto_sign_PUBLICKEYBYTES, sodium_base64_VARIANT_ORIGINAL)];
    char sk64[sodium_base64_ENCODED_LEN(crypto_sign_SECRETKEYBYTES, sodium_base64_VARIANT_ORIGINAL) + 1];
    char ckhex[65], uuid[STIX_UUID_STR], identity_id[64], now[32], pw[25], pwhash[ENLACE_PWHASH_LEN];
    enlace_buf ident = ENLACE_BUF_INIT, keytext = ENLACE_BUF_INIT;
    store_org self_org;

    crypto_sign_keypair(pk, sk);
    sodium_bin2base64(pk64, sizeof pk64, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);
    sodium_bin2base64(sk64, sizeof sk64, sk, sizeof sk, sodium_base64_VARIANT_ORIGINAL);
    /* The cursor key authenticates paging cursors (DESIGN invariant 3). */
    randombytes_buf(ck, sizeof ck);
    sodium_bin2hex(ckhex, sizeof ckhex, ck, sizeof ck);
    stix_uuid4(uuid);
    snprintf(identity_id, sizeof identity_id, "identity--%s", uuid);
    int64_t now_us = enlace_clock_now_us();
    cli_time_ms(now_us, now);

    /* The organization's identity (S§4.5): created == modified for a first version (S§3.6). */
    enlace_buf_printf(&ident, "{\"type\":\"identity\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"%s\","
                              "\"modified\":\"%s\",\"name\":", identity_id, now, now);
    enlace_buf_json_str(&ident, org);
    /* A node publishes its own organizations to partners at TLP:CLEAR (issue 3 "Who is who"). */
    enlace_buf_puts(&ident, ",\"identity_class\":\"organization\",\"object_marking_refs\":[\"" CLI_TLP_CLEAR_ID "\"]}");
    enlace_buf_printf(&keytext, "%s\n", sk64);
    if (ident.oom || keytext.oom) {
        cli_fail("init", "out of memory");
        goto out;
    }
    if (write_file(keyp, keytext.p, 0600) != 0) {
        cli_fail("init", "cannot write %s: %s", keyp, strerror(errno));
        goto out;
    }
    char pubtext[sizeof pk64 + 1];
    snprintf(pubtext, sizeof pubtext, "%s\n", pk64);
    if (write_file(pubp, pubtext, 0644) != 0) {
        cli_fail("init", "cannot write %s: %s", pubp, strerror(errno));
        goto out;
    }
    enlace_password_new(pw);
    if (enlace_password_hash(pw, pwhash) != 0) {
        cli_fail("init", "cannot hash the admin password (out of memory)");
        goto out;
    }
    if (store_meta_set(s, "node_pubkey", pk64, &err) || store_meta_set(s, "party", party, &err) ||
        store_meta_set(s, "org", org, &err) || store_meta_set(s, "cursor_key", ckhex, &err) ||
        store_meta_set(s, "identity_json", ident.p, &err) ||
        store_meta_set(s, "identity_id", identity_id, &err) ||
        store_party_add(s, party, NULL, &err) ||
        store_org_add(s, identity_id, org, party, 1, ident.p, now_us, &self_org, &err) ||
        store_user_add(s, "admin", STORE_ROLE_ADMIN, self_org.rowid, pwhash, now_us, NULL, &err)) {
        cli_fail("init", "%s", err.msg);
        goto out;
    }
    rc = CLI_EXIT_OK;
    if (json) {
        enlace_buf o = ENLACE_BUF_INIT;
        enlace_buf_puts(&o, "{\"dir\":");
        enlace_buf_json_str(&o, dir);
        enlace_buf_printf(&o, ",\"party\":\"%s\",\"org\":", party);
        enlace_buf_json_str(&o, org);
        enlace_buf_printf(&o, ",\"identity_id\":\"%s\",\"node_pubkey\":\"%s\",\"admin_user\":\"admin\","
                              "\"admin_password\":\"%s\"}\n", identity_id, pk64, pw);
        if (o.oom) rc = cli_fail("init", "out of memory");
        else fputs(o.p, stdout);
        enlace_buf_free(&o);
    } else {
        printf("node: %s\nparty: %s\norganization: %s (%s)\n"
               "node key: %s (give it to partners: enlace partner add --pubkey; also enlace audit key DIR)\n"
               "admin user: admin\nadmin password: %s\n"
               "(the admin password is shown only once; keep it now)\n",
               dir, party, org, identity_id, pk64, pw);
    }
out:
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(sk64, sizeof sk64);
    if (keytext.p) sodium_memzero(keytext.p, keytext.len);
    sodium_memzero(pw, sizeof pw);
    enlace_buf_free(&ident);
    enlace_buf_free(&keytext);
    store_close(s);
    if (rc != CLI_EXIT_OK) {
        remove_store(db);
        unlink(keyp);
        unlink(pubp);
    }
    return rc;
}
