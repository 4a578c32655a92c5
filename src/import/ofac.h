/* ofac.h - the US Treasury OFAC SDN list (legacy CSV: sdn.csv, add.csv, alt.csv) as STIX 2.1
 * (issue 5 must-have 5): designated individuals and entities as `identity` objects (aliases,
 * nationality), their addresses as `location`s, cartels as `threat-actor`s, "Linked To:" remarks
 * as `relationship`s. Ids are deterministic (UUIDv5 of the ent_num and kind), so that importing
 * a newer list gives new versions of the same ids instead of duplicates. Pure: parsing and
 * building only; the CLI stores what it returns. Format notes: ../shared/data/ofac-sdn/
 * PROVENANCE.md (no header, CRLF, trailing 0x1A, "-0- " as null). */
#ifndef ENLACE_IMPORT_OFAC_H
#define ENLACE_IMPORT_OFAC_H

#include <stddef.h>

#include "util/err.h"

typedef struct ofac_options {
    const char *const *programs;   /* keep rows carrying any of these program tags; n = 0: all */
    size_t n_programs;
    const char *list_date;         /* "YYYY-MM-DD" the list was published (required): created and
                                    * modified of every object are its midnight UTC; the caller
                                    * keeps created of ids it already holds (docs/cli.md) */
    const char *tlp_marking_ref;   /* marking-definition id put in object_marking_refs; NULL: none */
    const char *created_by_ref;    /* identity id named as author; NULL: none */
} ofac_options;

/* A warning about one odd record (missing fields, stray quotes, unusual bytes). */
typedef void (*ofac_warn_fn)(void *ctx, const char *file, size_t line, const char *msg);

/* The STIX objects built, each a NUL-terminated compact JSON text (malloc'd). */
typedef struct ofac_result {
    char **objects;
    size_t n;
    size_t individuals, entities, locations, threat_actors, relationships;
    size_t skipped_rows;           /* sdn rows not imported: other programs, vessels, aircraft */
} ofac_result;

/* Read sdn_path (required) and add_path / alt_path (may be NULL) and build the objects of the
 * individuals and entities kept by o->programs, in a fixed order (identities and threat-actors
 * in ent_num order, then locations, then Linked To relationships): the same files and options
 * give the same bytes. The mapping and the cartel rule are in docs/cli.md "enlace import". Odd records are reported through warn (may be NULL) with the file
 * and line number and skipped or read as far as they make sense; never a crash. Errors:
 * ENLACE_EIO (a file cannot be read), ENLACE_EINVAL (bad options), ENLACE_ENOMEM. *res is freed
 * with ofac_result_free. */
int ofac_import(const char *sdn_path, const char *add_path, const char *alt_path,
                const ofac_options *o, ofac_warn_fn warn, void *warn_ctx, ofac_result *res,
                enlace_err *err);
void ofac_result_free(ofac_result *res);

#endif
