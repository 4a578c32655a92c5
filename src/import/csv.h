/* csv.h - read the OFAC legacy CSV files (sdn.csv, add.csv, alt.csv) row by row: no header,
 * CRLF, a final 0x1A line, every text field quoted, "-0- " as the null marker (format notes in
 * ../shared/data/ofac-sdn/PROVENANCE.md). */
#ifndef ENLACE_IMPORT_CSV_H
#define ENLACE_IMPORT_CSV_H

#include <stddef.h>

#include "util/err.h"

#define IMPORT_CSV_MAX_FIELDS 16   /* fields beyond these are counted, not passed on */

/* One row: f[0..nf) (nf <= IMPORT_CSV_MAX_FIELDS), each a NUL-terminated text or NULL for a
 * null field ("-0-" or empty); valid during the call only. Return 0 to go on, non-zero to stop
 * (import_csv_read then fails with ENLACE_ENOMEM: the callback ran out of memory). */
typedef int (*import_csv_row_fn)(void *ctx, const char *file, size_t line, char **f, size_t nf);

/* A warning about line `line` of file (the path's last component). */
typedef void (*import_csv_warn_fn)(void *ctx, const char *file, size_t line, const char *msg);

/* Read path line by line and call row for every non-empty line but the 0x1A end-of-file mark.
 * Quoted fields may hold commas and doubled quotes; bare fields are trimmed. Warned about (warn
 * may be NULL) and still passed on: a field count other than want, a stray or unbalanced quote
 * (the field is read up to the next comma), control bytes or ill-formed UTF-8 (replaced by a
 * space or '?'), well-formed non-ASCII text (kept). Warned about and skipped: a line with a NUL
 * byte or longer than 1 MiB. Errors: ENLACE_EIO (cannot open or read), ENLACE_ENOMEM. */
int import_csv_read(const char *path, size_t want, import_csv_row_fn row, import_csv_warn_fn warn, void *ctx,
                    enlace_err *err);

#endif
