/* collection.c - `enlace collection create|list|grant|set`: a node's TAXII collections
 * (T§5.1-§5.2), which users may read or write them (can_read / can_write), and the default TLP
 * of objects in them that carry none (issue 3 "Markings"). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "stix/id.h"
#include "store/fed.h"
#include "util/buf.h"

static const char collection_usage[] =
    "usage: enlace collection create DIR --title T [--id UUID] [--alias A] [--description D]\n"
    "                                [--default-tlp LEVEL] [--json]\n"
    "       enlace collection list DIR [--json]\n"
    "       enlace collection grant DIR COLLECTION --user NAME [--read] [--write]\n"
    "       enlace collection set DIR COLLECTION --default-tlp LEVEL|none\n"
    "\n"
    "create  make a collection; prints its id alone on the first line (for scripts)\n"
    "list    list collections: id, alias, object count (all versions), title\n"
    "grant   set what a user may do on COLLECTION (its id or alias): --read and/or --write;\n"
    "        neither flag revokes the user's access. A mirror of a partner's collection is\n"
    "        read-only: --write is refused there\n"
    "set     change a collection's default TLP\n"
    "\n"
    "options:\n"
    "  --title T          the collection's title (required for create)\n"
    "  --id UUID          its TAXII identifier (a UUID; default: a new random UUIDv4)\n"
    "  --alias A          a unique short name usable instead of the id in URLs\n"
    "                     (letters, digits, '.', '_', '-'; at most 127 characters)\n"
    "  --description D    a description\n"
    "  --default-tlp L    the TLP of objects in the collection that carry none: clear, green,\n"
    "                     amber, amber+strict, red; none (the default) = no default, such\n"
    "                     objects count as AMBER. Public data (ATT&CK, OFAC lists): clear\n"
    "  --user NAME        the user whose access grant sets\n"
    "  --read, --write    the rights grant gives\n"
    "  --json             create: {\"id\",\"title\",\"alias\",\"description\",\"default_tlp\"}\n"
    "                     (null when absent);\n"
    "                     list: {\"collections\":[{\"id\",\"title\",\"alias\",\"description\",\"objects\"}]}\n"
    "  --help             this text\n"
    "\n"
    "exit status: 0 ok, 1 failure (no such node, collection or user; id or alias taken),\n"
    "2 usage error\n";

enum { O_TITLE = 1, O_ID, O_ALIAS, O_DESC, O_USER, O_READ, O_WRITE, O_DEFTLP, O_JSON, O_HELP };

typedef struct coll_args {
    const char *title, *id, *alias, *desc, *user, *default_tlp;
    int read, write, json;
    char *pos[2];
    int npos;
} coll_args;

static int parse(const char *cmd, int argc, char **argv, coll_args *a, int want_pos) {
    static const struct option opts[] = {{"title", required_argument, NULL, O_TITLE},
                                         {"id", required_argument, NULL, O_ID},
                                         {"alias", required_argument, NULL, O_ALIAS},
                                         {"description", required_argument, NULL, O_DESC},
                                         {"user", required_argument, NULL, O_USER},
                                         {"read", no_argument, NULL, O_READ},
                                         {"write", no_argument, NULL, O_WRITE},
                                         {"default-tlp", required_argument, NULL, O_DEFTLP},
                                         {"json", no_argument, NULL, O_JSON},
                                         {"help", no_argument, NULL, O_HELP},
                                         {NULL, 0, NULL, 0}};
    int c;
    memset(a, 0, sizeof *a);
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case O_TITLE: a->title = optarg; break;
        case O_ID: a->id = optarg; break;
        case O_ALIAS: a->alias = optarg; break;
        case O_DESC: a->desc = optarg; break;
        case O_USER: a->user = optarg; break;
        case O_READ: a->read = 1; break;
        case O_WRITE: a->write = 1; break;
        case O_DEFTLP: a->default_tlp = optarg; break;
        case O_JSON: a->json = 1; break;
        case 'h':
        case O_HELP: fputs(collection_usage, stdout); return CLI_EXIT_OK;
        default: return cli_bad_option(cmd, c, argv);
        }
    }
    return cli_positionals(cmd, argc, argv, a->pos, &a->npos, want_pos, "COLLECTION");
}

/* Is s 36 characters in the 8-4-4-4-12 hex layout of a UUID (either case)? */
static int uuid_shaped(const char *s) {
    if (strlen(s) != 36) return 0;
    for (int i = 0; i < 36; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return 0;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return 0;
        }
    }
    return 1;
}

/* A collection id must be a UUIDv4 (T§2 identifier: version nibble 4, variant 8-b), lowercase so
 * that it matches itself in URLs. Returns NULL when s is one, else why not. */
static const char *collection_id_problem(const char *s) {
    if (!uuid_shaped(s)) return "is not a UUID (8-4-4-4-12 hexadecimal digits)";
    for (const char *p = s; *p; p++)
        if (*p >= 'A' && *p <= 'F') return "has uppercase letters; write the UUID in lowercase";
    if (s[14] != '4') return "is not a version 4 UUID (the first digit of its third group must be 4)";
    if (!strchr("89ab", s[19])) return "is not an RFC 4122 UUIDv4 (the first digit of its fourth group must be 8, 9, a or b)";
    return NULL;
}

/* An alias appears in URL paths (T§5.2), so keep it to unreserved characters, and never in
 * UUID form, which would make "id or alias" ambiguous. */
static int alias_ok(const char *s) {
    size_t n = strlen(s);
    /* "." and ".." are path segments a URL resolves away (RFC 3986 §5.2.4): unreachable. */
    if (n == 0 || n > 127 || uuid_shaped(s) || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

static void json_str_or_null(enlace_buf *o, const char *s) {
    if (s && *s) enlace_buf_json_str(o, s);
    else enlace_buf_puts(o, "null");
}

/* Inside the transaction cli_audit_begin opened, after c was created: set its default TLP (when
 * one was given) and append the "collection-create" entry, target "<id>[ default_tlp=LEVEL]";
 * commits, or rolls everything back. */
static int coll_create_audited(store *s, const store_collection *c, int tlp, enlace_err *err) {
    char target[128];
    if (tlp == POLICY_TLP_NONE) snprintf(target, sizeof target, "%s", c->id);
    else snprintf(target, sizeof target, "%s default_tlp=%s", c->id, policy_tlp_name(tlp));
    int op = tlp == POLICY_TLP_NONE ? ENLACE_OK : store_collection_set_default_tlp(s, c->rowid, tlp, err);
    return cli_audited(s, "collection-create", target, op, err);
}

static int coll_create(int argc, char **argv) {
    const char *cmd = "collection create";
    coll_args a;
    int rc = parse(cmd, argc, argv, &a, 1);
    if (rc >= 0) return rc;
    if (!a.title || !*a.title) return cli_usage_error(cmd, "--title is required");
    if (strlen(a.title) > 255) return cli_usage_error(cmd, "--title is longer than 255 bytes");
    if (a.desc && strlen(a.desc) > 1023) return cli_usage_error(cmd, "--description is longer than 1023 bytes");
    const char *why = a.id ? collection_id_problem(a.id) : NULL;
    if (why) return cli_usage_error(cmd, "--id '%s' %s", a.id, why);
    if (a.alias && !alias_ok(a.alias))
        return cli_usage_error(cmd, "--alias '%s' must be 1-127 letters, digits, '.', '_' or '-', not '.' or '..', and not a UUID", a.alias);
    if (a.user || a.read || a.write) return cli_usage_error(cmd, "--user/--read/--write belong to 'collection grant'");
    int tlp = POLICY_TLP_NONE;
    if (a.default_tlp && (tlp = cli_tlp_parse(a.default_tlp, 1)) == -2)
        return cli_usage_error(cmd, "--default-tlp '%s' is not one of clear, green, amber, amber+strict, red, none",
                               a.default_tlp);
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    enlace_err err;
    enlace_err_clear(&err);
    store_collection c;
    /* Say which of id and alias is taken (the store's conflict names both, and for a generated
     * id one the user never saw). */
    if (a.alias && store_collection_find(s, a.alias, 0, &c, &err) == ENLACE_OK) {
        rc = cli_fail(cmd, "alias '%s' is already used by collection %s", a.alias, c.id);
    } else if (a.id && store_collection_find(s, a.id, 0, &c, &err) == ENLACE_OK) {
        rc = cli_fail(cmd, "a collection with id %s exists", a.id);
    } else if (enlace_err_clear(&err), cli_audit_begin(s, &err) != ENLACE_OK) {
        rc = cli_fail(cmd, "%s", err.msg);
    } else if (store_collection_create(s, a.id, a.title, a.desc, a.alias, &c, &err) != ENLACE_OK) {
        cli_audited(s, "collection-create", "", ENLACE_EINVAL, &err);  /* rolls back; err kept */
        if (err.code == ENLACE_ECONFLICT && a.alias && !a.id)
            rc = cli_fail(cmd, "alias '%s' is already used by another collection", a.alias);
        else
            rc = cli_fail(cmd, "%s", err.msg);
    } else if (coll_create_audited(s, &c, tlp, &err) != ENLACE_OK) {
        /* the collection, its default TLP and the entry commit together, or none does */
        rc = cli_fail(cmd, "%s", err.msg);
    } else if (a.json) {
        enlace_buf o = ENLACE_BUF_INIT;
        enlace_buf_puts(&o, "{\"id\":");
        enlace_buf_json_str(&o, c.id);
        enlace_buf_puts(&o, ",\"title\":");
        enlace_buf_json_str(&o, c.title);
        enlace_buf_puts(&o, ",\"alias\":");
        json_str_or_null(&o, c.alias);
        enlace_buf_puts(&o, ",\"description\":");
        json_str_or_null(&o, c.description);
        enlace_buf_puts(&o, ",\"default_tlp\":");
        json_str_or_null(&o, tlp == POLICY_TLP_NONE ? NULL : policy_tlp_name(tlp));
        enlace_buf_puts(&o, "}\n");
        rc = cli_emit(cmd, &o, 0);
    } else {
        printf("%s\n", c.id);
        rc = CLI_EXIT_OK;
    }
    store_close(s);
    return rc;
}

static int coll_list(int argc, char **argv) {
    const char *cmd = "collection list";
    coll_args a;
    int rc = parse(cmd, argc, argv, &a, 1);
    if (rc >= 0) return rc;
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    store_collection *cs = NULL;
    size_t n = 0;
    enlace_err err;
    enlace_err_clear(&err);
    if (store_collection_list(s, 0, &cs, &n, &err) != ENLACE_OK) {
        store_close(s);
        return cli_fail(cmd, "%s", err.msg);
    }
    enlace_buf o = ENLACE_BUF_INIT;
    if (a.json) enlace_buf_puts(&o, "{\"collections\":[");
    else enlace_buf_printf(&o, "%-36s  %-20s %8s  %s\n", "ID", "ALIAS", "OBJECTS", "TITLE");
    rc = CLI_EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        int64_t count = 0;
        if (store_count_objects(s, cs[i].rowid, &count, &err) != ENLACE_OK) {
            rc = cli_fail(cmd, "%s", err.msg);
            break;
        }
        if (a.json) {
            enlace_buf_puts(&o, i ? ",{\"id\":" : "{\"id\":");
            enlace_buf_json_str(&o, cs[i].id);
            enlace_buf_puts(&o, ",\"title\":");
            enlace_buf_json_str(&o, cs[i].title);
            enlace_buf_puts(&o, ",\"alias\":");
            json_str_or_null(&o, cs[i].alias);
            enlace_buf_puts(&o, ",\"description\":");
            json_str_or_null(&o, cs[i].description);
            enlace_buf_printf(&o, ",\"objects\":%lld}", (long long)count);
        } else {
            enlace_buf_printf(&o, "%-36s  %-20s %8lld  %s\n", cs[i].id, *cs[i].alias ? cs[i].alias : "-",
                              (long long)count, cs[i].title);
        }
    }
    if (a.json) enlace_buf_puts(&o, "]}\n");
    free(cs);
    store_close(s);
    if (rc != CLI_EXIT_OK) {
        enlace_buf_free(&o);
        return rc;
    }
    return cli_emit(cmd, &o, 0);
}

static int coll_grant(int argc, char **argv) {
    const char *cmd = "collection grant";
    coll_args a;
    int rc = parse(cmd, argc, argv, &a, 2);
    if (rc >= 0) return rc;
    if (!a.user) return cli_usage_error(cmd, "--user is required");
    if (a.default_tlp) return cli_usage_error(cmd, "--default-tlp belongs to 'collection create' and 'collection set'");
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    enlace_err err;
    enlace_err_clear(&err);
    store_user u;
    store_collection c;
    char what[256];  /* the audit entry's target */
    char mirror_of[POLICY_PARTY_LEN];
    int mirror = 0;
    rc = CLI_EXIT_FAIL;
    if (store_user_get(s, a.user, &u, &err) != ENLACE_OK) {
        if (err.code == ENLACE_ENOTFOUND) cli_fail(cmd, "no user '%s'", a.user);
        else cli_fail(cmd, "%s", err.msg);
    } else if (store_collection_find(s, a.pos[1], 0, &c, &err) != ENLACE_OK) {
        if (err.code == ENLACE_ENOTFOUND) cli_fail(cmd, "no collection '%s'", a.pos[1]);
        else cli_fail(cmd, "%s", err.msg);
    } else if (a.write && store_collection_is_mirror(s, c.rowid, &mirror, mirror_of, &err) != ENLACE_OK) {
        cli_fail(cmd, "%s", err.msg);
    } else if (a.write && mirror) {
        /* What a partner serves lands in a mirror as it was served (issue 5): nobody writes there. */
        cli_fail(cmd, "collection %s is a read-only mirror of partner %s; grant --read only", a.pos[1], mirror_of);
    } else if (snprintf(what, sizeof what, "%s on %s: read %s, write %s", a.user, c.id, a.read ? "yes" : "no",
                        a.write ? "yes" : "no") < 0 ||
               cli_audit_begin(s, &err) != ENLACE_OK ||
               cli_audited(s, "grant", what, store_grant(s, u.rowid, c.rowid, a.read, a.write, &err), &err) !=
                   ENLACE_OK) {
        cli_fail(cmd, "%s", err.msg);
    } else {
        if (a.read || a.write)
            printf("%s may now %s%s%s collection %s\n", a.user, a.read ? "read" : "",
                   a.read && a.write ? " and " : "", a.write ? "write" : "", c.id);
        else
            printf("%s no longer has access to collection %s\n", a.user, c.id);
        rc = CLI_EXIT_OK;
    }
    store_close(s);
    return rc;
}

static int coll_set(int argc, char **argv) {
    const char *cmd = "collection set";
    coll_args a;
    int rc = parse(cmd, argc, argv, &a, 2);
    if (rc >= 0) return rc;
    if (a.title || a.id || a.alias || a.desc || a.user || a.read || a.write || a.json)
        return cli_usage_error(cmd, "only --default-tlp can be set");
    if (!a.default_tlp) return cli_usage_error(cmd, "--default-tlp LEVEL|none is required");
    int tlp = cli_tlp_parse(a.default_tlp, 1);
    if (tlp == -2)
        return cli_usage_error(cmd, "--default-tlp '%s' is not one of clear, green, amber, amber+strict, red, none",
                               a.default_tlp);
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    enlace_err err;
    enlace_err_clear(&err);
    store_collection c;
    rc = CLI_EXIT_FAIL;
    char target[128] = "";
    if (cli_collection_find(cmd, s, a.pos[1], &c) != 0) {
        /* printed */
    } else if (snprintf(target, sizeof target, "%s default_tlp=%s", c.id,
                        tlp == POLICY_TLP_NONE ? "none" : policy_tlp_name(tlp)) < 0 ||
               cli_audit_begin(s, &err) != ENLACE_OK ||
               cli_audited(s, "collection-default-tlp", target,
                           store_collection_set_default_tlp(s, c.rowid, tlp, &err), &err) != ENLACE_OK) {
        cli_fail(cmd, "%s", err.msg);
    } else {
        if (tlp == POLICY_TLP_NONE)
            printf("collection %s has no default TLP: objects without one count as AMBER\n", c.id);
        else
            printf("collection %s: objects without a TLP marking count as TLP:%s\n", c.id, policy_tlp_name(tlp));
        rc = CLI_EXIT_OK;
    }
    store_close(s);
    return rc;
}

int cli_collection(int argc, char **argv) {
    if (argc < 2) return cli_usage_error("collection", "missing subcommand (create, list, grant, set)");
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        fputs(collection_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(sub, "create")) return coll_create(argc - 1, argv + 1);
    if (!strcmp(sub, "list")) return coll_list(argc - 1, argv + 1);
    if (!strcmp(sub, "grant")) return coll_grant(argc - 1, argv + 1);
    if (!strcmp(sub, "set")) return coll_set(argc - 1, argv + 1);
    return cli_usage_error("collection", "unknown subcommand '%s'", sub);
}
