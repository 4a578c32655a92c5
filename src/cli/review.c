/* review.c - `enlace review` and `enlace purge`: retention of criminal intelligence. Objects
 * carry a review date (the enlace handling extension's review_by); past it only the originator
 * sees them until they are reviewed or purged, and a purge leaves a tombstone so that the id is
 * never taken in again (issue 3 must-have 4). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/entry.h"
#include "cli/cli.h"
#include "util/buf.h"
#include "util/clock.h"

static const char review_usage[] =
    "usage: enlace review DIR [--within DAYS] [--json]\n"
    "\n"
    "List the objects whose review date (review_by of their latest version) falls before now +\n"
    "DAYS, oldest first: metadata only (id, type, collection, originator, review date, overdue),\n"
    "never contents. Overdue objects are visible only to their originator organization until\n"
    "they are reviewed (a new version with a later review_by) or purged ('enlace purge').\n"
    "\n"
    "options:\n"
    "  --within DAYS   how far ahead to look, in days (0-36500; default 30)\n"
    "  --json          {\"now\",\"until\",\"objects\":[{\"id\",\"type\",\"collection\",\"originator\":\n"
    "                  {\"org\",\"party\"},\"review_by\",\"overdue\"}]}\n"
    "  --help          this text\n"
    "\n"
    "exit status: 0 ok (also when nothing is due), 1 failure (no such node), 2 usage error\n";

static const char purge_usage[] =
    "usage: enlace purge DIR [--dry-run] [--json]\n"
    "\n"
    "Remove every version, in every collection, of each object whose review date (review_by of\n"
    "its latest version) has passed, in one transaction, and leave a tombstone per id (id,\n"
    "originator, when, by whom) so that the id is never taken in again: a later POST or pull of\n"
    "it is refused. The tombstones are the record of the purge. Prints what it purged.\n"
    "\n"
    "options:\n"
    "  --dry-run   only list what would be purged; change nothing\n"
    "  --json      {\"dry_run\",\"purged\":[{\"id\",\"type\",\"collection\",\"originator\":{\"org\",\"party\"},\n"
    "              \"review_by\"}],\"count\"} (type, collection, originator and review_by are null\n"
    "              when an id was not in the listing made just before the purge)\n"
    "  --help      this text\n"
    "\n"
    "exit status: 0 ok (also when nothing is due), 1 failure (no such node), 2 usage error\n";

#define DAY_US (86400LL * 1000000LL)

enum { O_WITHIN = 1, O_DRYRUN, O_JSON, O_HELP };

typedef struct review_args {
    const char *within;
    int dry_run, json;
    char *pos[1];
    int npos;
} review_args;

/* Parse options of review (purge = 0) or purge (purge = 1). Returns -1 to go on, else the
 * exit status. */
static int parse(const char *cmd, int argc, char **argv, review_args *a, int purge) {
    static const struct option opts[] = {{"within", required_argument, NULL, O_WITHIN},
                                         {"dry-run", no_argument, NULL, O_DRYRUN},
                                         {"json", no_argument, NULL, O_JSON},
                                         {"help", no_argument, NULL, O_HELP},
                                         {NULL, 0, NULL, 0}};
    int c;
    memset(a, 0, sizeof *a);
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case O_WITHIN: a->within = optarg; break;
        case O_DRYRUN: a->dry_run = 1; break;
        case O_JSON: a->json = 1; break;
        case 'h':
        case O_HELP: fputs(purge ? purge_usage : review_usage, stdout); return CLI_EXIT_OK;
        default: return cli_bad_option(cmd, c, argv);
        }
    }
    int rc = cli_positionals(cmd, argc, argv, a->pos, &a->npos, 1, NULL);
    if (rc != -1) return rc;
    if (purge && a->within) return cli_usage_error(cmd, "--within belongs to 'enlace review'");
    if (!purge && a->dry_run) return cli_usage_error(cmd, "--dry-run belongs to 'enlace purge'");
    return -1;
}

/* Append one review item as JSON; overdue < 0 leaves the overdue flag out (purge output). */
static void json_item(enlace_buf *o, const store_review_item *it, int overdue) {
    char t[32];
    cli_time_ms(it->review_by_us, t);
    enlace_buf_puts(o, "{\"id\":");
    enlace_buf_json_str(o, it->id);
    enlace_buf_puts(o, ",\"type\":");
    enlace_buf_json_str(o, it->type);
    enlace_buf_printf(o, ",\"collection\":\"%s\",\"originator\":{\"org\":", it->coll_id);
    enlace_buf_json_str(o, it->orig_org);
    enlace_buf_printf(o, ",\"party\":\"%s\"},\"review_by\":\"%s\"", it->orig_party, t);
    if (overdue >= 0) enlace_buf_printf(o, ",\"overdue\":%s", overdue ? "true" : "false");
    enlace_buf_puts(o, "}");
}

/* An admin read of the ids listed (review, purge --dry-run): one entry, action, target
 * "N objects", the ids as its objects (version "": the listing names objects, not versions). */
static int audited_listing(store *s, const char *action, const store_review_item *it, size_t n, enlace_err *err) {
    audit_object *objs = calloc(n ? n : 1, sizeof *objs);
    if (!objs) return enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) objs[i] = (audit_object){it[i].id, ""};
    char target[64];
    snprintf(target, sizeof target, "%zu object%s", n, n == 1 ? "" : "s");
    int rc = cli_audit_begin(s, err);
    if (rc == ENLACE_OK) rc = cli_audited_objects(s, action, target, objs, n, ENLACE_OK, err);
    free(objs);
    return rc;
}

int cli_review(int argc, char **argv) {
    const char *cmd = "review";
    review_args a;
    int rc = parse(cmd, argc, argv, &a, 0);
    if (rc >= 0) return rc;
    long days = 30;
    if (a.within) {
        char *end;
        days = strtol(a.within, &end, 10);
        if (!*a.within || *end || days < 0 || days > 36500)
            return cli_usage_error(cmd, "--within '%s' is not a number of days from 0 to 36500", a.within);
    }
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    int64_t now_us = enlace_clock_now_us(), until_us = now_us + days * DAY_US;
    store_review_item *it = NULL;
    size_t n = 0;
    enlace_err err;
    enlace_err_clear(&err);
    rc = store_review_list(s, until_us, &it, &n, &err);
    /* the ids listed are an admin read: in the log before they are shown */
    if (rc == ENLACE_OK) rc = audited_listing(s, "review", it, n, &err);
    store_close(s);
    if (rc != ENLACE_OK) {
        free(it);
        return cli_fail(cmd, "%s", err.msg);
    }
    enlace_buf o = ENLACE_BUF_INIT;
    char now[32], until[32];
    cli_time_ms(now_us, now);
    cli_time_ms(until_us, until);
    size_t overdue_n = 0;
    if (a.json) enlace_buf_printf(&o, "{\"now\":\"%s\",\"until\":\"%s\",\"objects\":[", now, until);
    else if (n) enlace_buf_printf(&o, "%-24s %-8s %-16s %-36s  %-20s %s\n", "REVIEW_BY", "STATUS", "TYPE",
                                  "COLLECTION", "ORIGINATOR", "ID");
    for (size_t i = 0; i < n; i++) {
        int overdue = it[i].review_by_us <= now_us;
        overdue_n += (size_t)overdue;
        if (a.json) {
            if (i) enlace_buf_puts(&o, ",");
            json_item(&o, &it[i], overdue);
        } else {
            char t[32], orig[160];
            cli_time_ms(it[i].review_by_us, t);
            snprintf(orig, sizeof orig, "%s (%s)", it[i].orig_org, it[i].orig_party);
            enlace_buf_printf(&o, "%-24s %-8s %-16s %-36s  %-20s %s\n", t, overdue ? "overdue" : "due", it[i].type,
                              it[i].coll_id, orig, it[i].id);
        }
    }
    if (a.json) enlace_buf_puts(&o, "]}\n");
    else enlace_buf_printf(&o, "%zu object%s due for review by %s (%zu overdue)\n", n, n == 1 ? "" : "s", until,
                           overdue_n);
    free(it);
    return cli_emit(cmd, &o, 0);
}

int cli_purge(int argc, char **argv) {
    const char *cmd = "purge";
    review_args a;
    int rc = parse(cmd, argc, argv, &a, 1);
    if (rc >= 0) return rc;
    store *s;
    if ((rc = cli_store_open(cmd, a.pos[0], &s)) != 0) return rc;
    int64_t now_us = enlace_clock_now_us();
    enlace_err err;
    enlace_err_clear(&err);
    /* The listing before the purge gives each id's metadata for the report; what is purged is
     * what store_purge_due says, whatever changed in between. review_by < now is exactly what
     * store_purge_due takes (the listing's bound is exclusive as well). */
    store_review_item *it = NULL;
    size_t n = 0, n_purged = 0, ids_len = 0;
    char *ids = NULL;
    if (store_review_list(s, now_us, &it, &n, &err) != ENLACE_OK) {
        store_close(s);
        return cli_fail(cmd, "%s", err.msg);
    }
    /* the purge and its audit entry (the ids removed) commit together */
    if (a.dry_run && audited_listing(s, "purge-dry-run", it, n, &err) != ENLACE_OK) {
        free(it);
        store_close(s);
        return cli_fail(cmd, "%s", err.msg);
    }
    if (!a.dry_run && (cli_audit_begin(s, &err) != ENLACE_OK ||
                       cli_audited_ids(s, "purge", &ids, &ids_len,
                                       store_purge_due(s, now_us, "enlace purge", &n_purged, &ids, &ids_len, &err),
                                       &err) != ENLACE_OK)) {
        free(it);
        store_close(s);
        return cli_fail(cmd, "%s", err.msg);
    }
    store_close(s);
    enlace_buf o = ENLACE_BUF_INIT;
    if (a.json) enlace_buf_printf(&o, "{\"dry_run\":%s,\"purged\":[", a.dry_run ? "true" : "false");
    size_t count = 0;
    /* Walk either the listing (dry run) or the purged ids (NUL-separated). */
    for (size_t off = 0, i = 0; a.dry_run ? i < n : off < ids_len; i++) {
        const char *id = a.dry_run ? it[i].id : ids + off;
        if (!a.dry_run) off += strlen(id) + 1;
        const store_review_item *meta = NULL;
        if (a.dry_run) meta = &it[i];
        else
            for (size_t k = 0; k < n && !meta; k++)
                if (strcmp(it[k].id, id) == 0) meta = &it[k];
        if (a.json) {
            if (count) enlace_buf_puts(&o, ",");
            if (meta) {
                json_item(&o, meta, -1);
            } else {
                enlace_buf_puts(&o, "{\"id\":");
                enlace_buf_json_str(&o, id);
                enlace_buf_puts(&o, ",\"type\":null,\"collection\":null,\"originator\":null,\"review_by\":null}");
            }
        } else if (meta) {
            char t[32];
            cli_time_ms(meta->review_by_us, t);
            enlace_buf_printf(&o, "%s %s (%s, collection %s, originator %s (%s), review by %s)\n",
                              a.dry_run ? "would purge" : "purged", id, meta->type, meta->coll_id, meta->orig_org,
                              meta->orig_party, t);
        } else {
            enlace_buf_printf(&o, "%s %s\n", a.dry_run ? "would purge" : "purged", id);
        }
        count++;
    }
    if (!a.dry_run && count != n_purged) count = n_purged; /* trust the store's count */
    if (a.json) enlace_buf_printf(&o, "],\"count\":%zu}\n", count);
    else if (a.dry_run) enlace_buf_printf(&o, "%zu object%s would be purged (dry run: nothing changed)\n", count,
                                          count == 1 ? "" : "s");
    else enlace_buf_printf(&o, "%zu object%s purged; tombstones keep their ids out for good\n", count,
                           count == 1 ? "" : "s");
    free(it);
    free(ids);
    return cli_emit(cmd, &o, 0);
}
