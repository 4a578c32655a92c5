/* import.c - `enlace import ofac-sdn`: the public OFAC SDN list as STIX 2.1 objects in one of the
 * node's collections, originated by the node's own organization (issue 5 must-have 5). The
 * objects are built by import/ofac.c; this file decides, per object, whether it is new, a new
 * version of what the collection holds, or unchanged, and stores the new ones in one audited
 * transaction. */
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "audit/entry.h"
#include "cli/cli.h"
#include "import/ofac.h"
#include "stix/json.h"
#include "store/fed.h"
#include "stix/marking.h"
#include "stix/validate.h"
#include "util/buf.h"
#include "util/clock.h"

static const char import_usage[] =
    "usage: enlace import ofac-sdn DIR --collection ID sdn.csv [add.csv [alt.csv]]\n"
    "                              [--program P1,P2|all] [--tlp LEVEL] [--list-date YYYY-MM-DD] [--json]\n"
    "\n"
    "Turn the US Treasury OFAC SDN list (legacy CSV files: sdn.csv, and optionally its add.csv\n"
    "and alt.csv, in that order) into STIX 2.1 objects stored in collection ID (id or alias) as\n"
    "this node's own organization: individuals and entities as identity objects (aliases, dates\n"
    "and places of birth, nationality in x_ofac_* properties), addresses as location objects\n"
    "(located-at), cartels as threat-actor objects (attributed-to their identity), \"Linked To:\"\n"
    "remarks as related-to relationships. Ids are deterministic: importing a newer list gives new\n"
    "versions of the objects whose content changed (modified = the list date), leaves unchanged\n"
    "ones alone, and importing the same list again stores nothing. One audited transaction.\n"
    "\n"
    "options:\n"
    "  --collection ID          the collection (id or alias); required\n"
    "  --program LIST           program tags whose rows are imported, comma-separated (default\n"
    "                           SDNTK,ILLICIT-DRUGS-EO14059, the narcotics programs); 'all': every row\n"
    "  --tlp LEVEL              TLP 2.0 marking of every object: clear (default), green, amber,\n"
    "                           amber+strict, red\n"
    "  --list-date YYYY-MM-DD   the date the list was published (default: the UTC date of sdn.csv's\n"
    "                           modification time, with a warning); created of new objects,\n"
    "                           modified of new versions\n"
    "  --json                   {\"list_date\",\"collection\",\"individuals\",\"entities\",\"locations\",\n"
    "                           \"threat_actors\",\"relationships\",\"skipped_rows\",\"new\",\"versions\",\n"
    "                           \"unchanged\",\"refused\",\"warnings\"}\n"
    "  --help                   this text\n"
    "\n"
    "Odd records (wrong field count, stray quotes, bytes that are not ASCII, a missing name, an\n"
    "unresolved \"Linked To:\") are reported on stderr as FILE:LINE: warning: ... and skipped or\n"
    "read as far as they make sense.\n"
    "\n"
    "exit status: 0 ok (warnings included), 1 failure (no such node or collection, unreadable file,\n"
    "storage error; nothing stored), 2 usage error\n";

#define BATCH 500

enum { O_COLLECTION = 1, O_PROGRAM, O_TLP, O_DATE, O_JSON, O_HELP };

typedef struct imp_args {
    const char *collection, *program, *tlp, *list_date;
    int json;
    char *pos[5];
    int npos;
} imp_args;

static const char *const TLP_IDS[] = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", /* CLEAR */
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", /* GREEN */
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", /* AMBER */
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", /* AMBER+STRICT */
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", /* RED */
};

static int parse(const char *cmd, int argc, char **argv, imp_args *a) {
    static const struct option opts[] = {{"collection", required_argument, NULL, O_COLLECTION},
                                         {"program", required_argument, NULL, O_PROGRAM},
                                         {"tlp", required_argument, NULL, O_TLP},
                                         {"list-date", required_argument, NULL, O_DATE},
                                         {"json", no_argument, NULL, O_JSON},
                                         {"help", no_argument, NULL, O_HELP},
                                         {NULL, 0, NULL, 0}};
    int c;
    memset(a, 0, sizeof *a);
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case O_COLLECTION: a->collection = optarg; break;
        case O_PROGRAM: a->program = optarg; break;
        case O_TLP: a->tlp = optarg; break;
        case O_DATE: a->list_date = optarg; break;
        case O_JSON: a->json = 1; break;
        case 'h':
        case O_HELP: fputs(import_usage, stdout); return CLI_EXIT_OK;
        default: return cli_bad_option(cmd, c, argv);
        }
    }
    for (int i = optind; i < argc; i++) {
        if (a->npos == 4) return cli_usage_error(cmd, "unexpected argument '%s'", argv[i]);
        a->pos[a->npos++] = argv[i];
    }
    if (a->npos == 0) return cli_usage_error(cmd, "missing DIR");
    if (a->npos == 1) return cli_usage_error(cmd, "missing sdn.csv");
    if (!a->collection || !*a->collection) return cli_usage_error(cmd, "--collection ID is required");
    return -1;
}

typedef struct warn_state {
    size_t n;
} warn_state;

static void on_warn(void *ctx, const char *file, size_t line, const char *msg) {
    warn_state *w = ctx;
    w->n++;
    fprintf(stderr, "%s:%zu: warning: %s\n", file, line, msg);
}

/* The stored latest versions of a batch's ids: id -> parsed body. */
typedef struct stored_set {
    char **ids;
    json_object **bodies;
    size_t n, cap;
    int oom;
} stored_set;

static int stored_row(void *ctx, const store_row *row) {
    stored_set *st = ctx;
    if (st->n == st->cap) {
        size_t cap = st->cap ? 2 * st->cap : 64;
        char **ids = realloc(st->ids, cap * sizeof *ids);
        if (ids) st->ids = ids;
        json_object **b = realloc(st->bodies, cap * sizeof *b);
        if (b) st->bodies = b;
        if (!ids || !b) {
            st->oom = 1;
            return 1;
        }
        st->cap = cap;
    }
    json_tokener *tok = json_tokener_new();
    json_object *o = tok ? json_tokener_parse_ex(tok, row->body, (int)row->body_len) : NULL;
    if (tok) json_tokener_free(tok);
    char *id = strdup(row->id);
    if (!id || !o) {
        free(id);
        json_object_put(o);
        st->oom = !id;
        return !id;
    }
    st->ids[st->n] = id;
    st->bodies[st->n++] = o;
    return 0;
}

static void stored_clear(stored_set *st) {
    for (size_t i = 0; i < st->n; i++) {
        free(st->ids[i]);
        json_object_put(st->bodies[i]);
    }
    st->n = 0;
}

static json_object *stored_find(const stored_set *st, const char *id) {
    for (size_t i = st->n; i-- > 0;)
        if (strcasecmp(st->ids[i], id) == 0) return st->bodies[i];
    return NULL;
}

/* Read the latest versions (as the node's own organization, their originator) of ids[0..n)
 * in the collection into st. */
static int load_stored(store *s, int64_t coll, const store_org *self, const char *const *ids, size_t n,
                       stored_set *st, enlace_err *err) {
    policy_principal p;
    memset(&p, 0, sizeof p);
    p.kind = POLICY_USER;
    p.org = self->rowid;
    snprintf(p.org_identity, sizeof p.org_identity, "%s", self->identity_id);
    snprintf(p.party, sizeof p.party, "%s", self->party);
    snprintf(p.node_party, sizeof p.node_party, "%s", self->party);
    p.now_us = enlace_clock_now_us();
    store_query q;
    memset(&q, 0, sizeof q);
    q.coll_rowid = coll;
    q.after_us = -1;
    q.ids = ids;
    q.n_ids = n;
    q.version_flags = STORE_V_LAST;
    q.limit = n + 1; /* one latest version per id */
    q.principal = &p;
    int more = 0;
    if (n == 0) return ENLACE_OK;
    int rc = store_query_objects(s, &q, stored_row, st, &more, err);
    if (st->oom) return enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
    if (rc != ENLACE_OK) return rc;
    return ENLACE_OK;
}

typedef struct counts {
    size_t added_new, versions, unchanged, refused;
} counts;

/* One object to store: its final text and what the audit entry names. */
typedef struct pending {
    char *body;
    char id[STIX_ID_MAX];
    char version[80];
    int had_stored;
} pending;

/* Merge list key of stored into obj (aliases the newer files cannot know without alt.csv). */
static void carry_list(json_object *obj, json_object *stored, const char *key) {
    json_object *old, *cur = NULL;
    if (!json_object_object_get_ex(stored, key, &old) || !json_object_is_type(old, json_type_array)) return;
    json_object *merged = json_object_new_array();
    if (!merged) return;
    for (size_t i = 0; i < json_object_array_length(old); i++)
        json_object_array_add(merged, json_object_get(json_object_array_get_idx(old, i)));
    if (json_object_object_get_ex(obj, key, &cur) && json_object_is_type(cur, json_type_array))
        for (size_t i = 0; i < json_object_array_length(cur); i++) {
            json_object *v = json_object_array_get_idx(cur, i);
            int seen = 0;
            for (size_t k = 0; k < json_object_array_length(old) && !seen; k++)
                seen = json_object_equal(v, json_object_array_get_idx(old, k));
            if (!seen) json_object_array_add(merged, json_object_get(v));
        }
    json_object_object_add(obj, key, merged);
}

/* Decide for each object of objs[0..n) (built for list stamp) against the stored latest
 * versions: unchanged (counted), refused (counted, warned) or pending (appended to *out). */
static int decide_batch(store *s, int64_t coll, const store_org *self, char **objs, size_t n, const char *stamp,
                        int carry_aliases, pending *out, size_t *n_out, counts *k, warn_state *w, enlace_err *err) {
    json_object *parsed[BATCH];
    const char *ids[BATCH];
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        parsed[i] = json_tokener_parse(objs[i]);
        ids[m] = parsed[i] ? stix_json_str(parsed[i], "id") : NULL;
        if (ids[m]) m++;
    }
    stored_set st = {0};
    int rc = load_stored(s, coll, self, ids, m, &st, err);
    for (size_t i = 0; rc == ENLACE_OK && i < n; i++) {
        json_object *o = parsed[i];
        const char *id = o ? stix_json_str(o, "id") : NULL;
        if (!id) {
            k->refused++;
            continue;
        }
        json_object *old = stored_find(&st, id);
        if (old) {
            const char *created = stix_json_str(old, "created"), *modified = stix_json_str(old, "modified");
            if (created) json_object_object_add(o, "created", json_object_new_string(created));
            if (carry_aliases) {
                carry_list(o, old, "x_ofac_aliases");
                carry_list(o, old, "aliases");
            }
            /* the same content under the stored modified: unchanged */
            json_object_object_add(o, "modified", json_object_new_string(modified ? modified : ""));
            if (json_object_equal(o, old)) {
                k->unchanged++;
                continue;
            }
            json_object_object_add(o, "modified", json_object_new_string(stamp));
            if (modified && strcmp(modified, stamp) >= 0) {
                k->refused++;
                w->n++;
                fprintf(stderr, "warning: %s differs from its stored version of %s, which is not older than this list "
                        "(%s): not stored\n", id, modified, stamp);
                continue;
            }
        }
        const char *txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        pending *p = &out[(*n_out)];
        p->body = txt ? strdup(txt) : NULL;
        if (!p->body) {
            rc = enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
            break;
        }
        snprintf(p->id, sizeof p->id, "%s", id);
        snprintf(p->version, sizeof p->version, "%s", stamp);
        p->had_stored = old != NULL;
        (*n_out)++;
    }
    for (size_t i = 0; i < n; i++) json_object_put(parsed[i]);
    stored_clear(&st);
    free(st.ids);
    free(st.bodies);
    return rc;
}

/* Validate and store pend[0..n) in the open transaction; count outcomes; mark stored ones in
 * stored_ok. */
static int store_batch(store *s, int64_t coll, pending *pend, size_t n, counts *k, unsigned char *stored_ok,
                       warn_state *w, enlace_err *err) {
    store_object_in in[BATCH];
    stix_meta *meta = calloc(n ? n : 1, sizeof *meta);
    stix_marking *mk = calloc(n ? n : 1, sizeof *mk);
    store_put_outcome *outs = calloc(n ? n : 1, sizeof *outs);
    size_t idx[BATCH], m = 0;
    int rc = ENLACE_OK;
    if (!meta || !mk || !outs) rc = enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
    for (size_t i = 0; rc == ENLACE_OK && i < n; i++) {
        char reason[512];
        json_object *o = json_tokener_parse(pend[i].body);
        int ok = o && stix_validate(o, &meta[m], reason, sizeof reason) == 0 &&
                 stix_marking_extract(o, &mk[m], reason, sizeof reason) == 0;
        json_object_put(o);
        if (!ok) {
            k->refused++;
            w->n++;
            fprintf(stderr, "warning: %s refused: %s\n", pend[i].id, o ? reason : "not JSON");
            continue;
        }
        in[m] = (store_object_in){meta[m].id, meta[m].type, meta[m].spec_version, meta[m].has_version,
                                  meta[m].version, meta[m].version_key, pend[i].body, strlen(pend[i].body),
                                  meta[m].created_by_ref[0] ? meta[m].created_by_ref : NULL, &mk[m], STIX_TLP_NONE, NULL};
        idx[m++] = i;
    }
    if (rc == ENLACE_OK && m) rc = store_put_objects(s, coll, NULL, in, m, enlace_clock_now_us(), outs, err);
    for (size_t j = 0; rc == ENLACE_OK && j < m; j++) {
        pending *p = &pend[idx[j]];
        switch (outs[j].result) {
        case STORE_ADDED:
            stored_ok[idx[j]] = 1;
            if (p->had_stored) k->versions++;
            else k->added_new++;
            break;
        case STORE_DUPLICATE: k->unchanged++; break;
        default:
            k->refused++;
            w->n++;
            fprintf(stderr, "warning: %s refused: %s\n", p->id,
                    outs[j].reason[0] ? outs[j].reason : "another organization originated it, or it was purged");
        }
    }
    free(meta);
    free(mk);
    free(outs);
    return rc;
}

/* The UTC date of path's modification time into out (11 bytes). */
static int mtime_date(const char *path, char out[11]) {
    struct stat stbuf;
    struct tm tm;
    if (stat(path, &stbuf) != 0 || !gmtime_r(&stbuf.st_mtime, &tm)) return -1;
    return strftime(out, 11, "%Y-%m-%d", &tm) == 10 ? 0 : -1;
}

static int import_ofac(int argc, char **argv) {
    const char *cmd = "import";
    imp_args a;
    int rc = parse(cmd, argc, argv, &a);
    if (rc >= 0) return rc;
    int tlp = a.tlp ? cli_tlp_parse(a.tlp, 0) : 0;
    if (tlp < 0 || tlp > 4) return cli_usage_error(cmd, "--tlp '%s' is not clear, green, amber, amber+strict or red", a.tlp);
    char date[11] = "";
    if (a.list_date && strlen(a.list_date) != 10)
        return cli_usage_error(cmd, "--list-date '%s' is not a date YYYY-MM-DD", a.list_date);
    if (a.list_date) snprintf(date, sizeof date, "%s", a.list_date);
    /* the program list */
    const char *plist = a.program ? a.program : "SDNTK,ILLICIT-DRUGS-EO14059";
    char *pbuf = strdup(plist);
    const char *progs[64];
    size_t n_progs = 0;
    if (!pbuf) return cli_fail(cmd, "out of memory");
    if (strcmp(plist, "all") != 0)
        for (char *save = NULL, *t = strtok_r(pbuf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (n_progs == 64) {
                free(pbuf);
                return cli_usage_error(cmd, "--program names more than 64 programs");
            }
            if (*t) progs[n_progs++] = t;
        }
    if (strcmp(plist, "all") != 0 && n_progs == 0) {
        free(pbuf);
        return cli_usage_error(cmd, "--program names no program");
    }
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) {
        free(pbuf);
        return rc;
    }
    store_collection coll;
    store_org self;
    enlace_err err;
    enlace_err_clear(&err);
    if ((rc = cli_collection_find(cmd, s, a.collection, &coll)) != 0) {
        store_close(s);
        free(pbuf);
        return rc;
    }
    /* a mirror holds what a partner serves: read-only here as over TAXII */
    int mirror = 0;
    char mparty[POLICY_PARTY_LEN] = "";
    if (store_collection_is_mirror(s, coll.rowid, &mirror, mparty, &err) != ENLACE_OK || mirror) {
        store_close(s);
        free(pbuf);
        if (!mirror) return cli_fail(cmd, "%s", err.msg);
        return cli_fail(cmd, "collection %s is a read-only mirror of partner %s; import into one of this node's own "
                        "collections", a.collection, mparty);
    }
    if (cli_node_org(s, &self, &err) != ENLACE_OK) {
        store_close(s);
        free(pbuf);
        return cli_fail(cmd, "%s", err.msg);
    }
    if (!a.list_date && mtime_date(a.pos[1], date) != 0) {
        store_close(s);
        free(pbuf);
        return cli_fail(cmd, "cannot read %s", a.pos[1]);
    }
    if (!a.list_date)   /* a fresh clone's files all date from the clone: say what was used */
        fprintf(stderr, "enlace %s: warning: no --list-date: using %s, the modification date of %s; give the "
                        "list's publication date with --list-date YYYY-MM-DD\n", cmd, date, a.pos[1]);
    ofac_options o = {progs, n_progs, date, TLP_IDS[tlp], self.identity_id};
    ofac_result res;
    warn_state w = {0};
    rc = ofac_import(a.pos[1], a.npos > 2 ? a.pos[2] : NULL, a.npos > 3 ? a.pos[3] : NULL, &o, on_warn, &w, &res, &err);
    free(pbuf);
    if (rc != ENLACE_OK) {
        store_close(s);
        return rc == ENLACE_EINVAL ? cli_usage_error(cmd, "%s", err.msg) : cli_fail(cmd, "%s", err.msg);
    }
    char stamp[40];
    snprintf(stamp, sizeof stamp, "%sT00:00:00.000Z", date);
    counts k = {0};
    pending *pend = calloc(res.n ? res.n : 1, sizeof *pend);
    unsigned char *stored_ok = calloc(res.n ? res.n : 1, 1);
    size_t n_pend = 0;
    if (!pend || !stored_ok) rc = enlace_err_set(&err, ENLACE_ENOMEM, "out of memory");
    for (size_t i = 0; rc == ENLACE_OK && i < res.n; i += BATCH)
        rc = decide_batch(s, coll.rowid, &self, res.objects + i, res.n - i < BATCH ? res.n - i : BATCH, stamp,
                          a.npos < 4, pend, &n_pend, &k, &w, &err);
    /* one transaction: the objects and the audit entry naming them */
    if (rc == ENLACE_OK && n_pend) {
        rc = cli_audit_begin(s, &err);
        int op = rc;
        for (size_t i = 0; op == ENLACE_OK && i < n_pend; i += BATCH)
            op = store_batch(s, coll.rowid, pend + i, n_pend - i < BATCH ? n_pend - i : BATCH, &k, stored_ok + i, &w,
                             &err);
        if (rc == ENLACE_OK) {
            size_t n_aud = 0;
            audit_object *objs = calloc(n_pend, sizeof *objs);
            if (!objs && op == ENLACE_OK) op = enlace_err_set(&err, ENLACE_ENOMEM, "out of memory");
            for (size_t i = 0; objs && i < n_pend; i++)
                if (stored_ok[i]) objs[n_aud++] = (audit_object){pend[i].id, pend[i].version};
            char target[160];
            snprintf(target, sizeof target, "ofac-sdn list of %s into %s", date, coll.id);
            rc = cli_audited_objects(s, "import-ofac-sdn", target, objs, n_aud, op, &err);
            free(objs);
        }
        if (rc != ENLACE_OK) k.added_new = k.versions = 0;
    }
    store_close(s);
    for (size_t i = 0; pend && i < n_pend; i++) free(pend[i].body);
    free(pend);
    free(stored_ok);
    if (rc != ENLACE_OK) {
        ofac_result_free(&res);
        return cli_fail(cmd, "%s (nothing stored)", err.msg);
    }
    enlace_buf out = ENLACE_BUF_INIT;
    if (a.json) {
        enlace_buf_printf(&out, "{\"list_date\":\"%s\",\"collection\":\"%s\",\"individuals\":%zu,\"entities\":%zu,"
                          "\"locations\":%zu,\"threat_actors\":%zu,\"relationships\":%zu,\"skipped_rows\":%zu,"
                          "\"new\":%zu,\"versions\":%zu,\"unchanged\":%zu,\"refused\":%zu,\"warnings\":%zu}\n",
                          date, coll.id, res.individuals, res.entities, res.locations, res.threat_actors,
                          res.relationships, res.skipped_rows, k.added_new, k.versions, k.unchanged, k.refused, w.n);
    } else {
        enlace_buf_printf(&out, "OFAC SDN list of %s -> collection %s%s%s%s\n", date, coll.id, coll.alias[0] ? " (" : "",
                          coll.alias, coll.alias[0] ? ")" : "");
        enlace_buf_printf(&out, "built: %zu individuals, %zu entities, %zu locations, %zu threat actors, %zu relationships "
                          "(%zu rows of other programs or types skipped)\n",
                          res.individuals, res.entities, res.locations, res.threat_actors, res.relationships,
                          res.skipped_rows);
        enlace_buf_printf(&out, "stored: %zu new, %zu new versions; %zu unchanged, %zu refused; %zu warnings\n",
                          k.added_new, k.versions, k.unchanged, k.refused, w.n);
    }
    ofac_result_free(&res);
    return cli_emit(cmd, &out, 0);
}

int cli_import(int argc, char **argv) {
    if (argc < 2) return cli_usage_error("import", "missing source (ofac-sdn)");
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        fputs(import_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(sub, "ofac-sdn")) return import_ofac(argc - 1, argv + 1);
    return cli_usage_error("import", "unknown source '%s' (known: ofac-sdn)", sub);
}
