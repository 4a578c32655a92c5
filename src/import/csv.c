/* csv.c - the OFAC legacy CSV dialect (../shared/data/ofac-sdn/PROVENANCE.md "Format notes"): no
 * header, CRLF, a final 0x1A line, fields quoted or bare, "-0- " as null. Odd lines are warned
 * about with their line number and read as far as they make sense. */
#include "import/csv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "util/utf8.h"

#define MAX_LINE (1u << 20)   /* a longer line is odd: warned about and skipped */

/* Split one line (len bytes, no line end) into fields written to out (at least len + 1 bytes:
 * field bytes and commas come from the line, one NUL per comma plus one): f[i] points into out,
 * NULL for the null marker "-0-" (or an empty field). Returns the number of fields seen (may exceed maxf; only maxf are kept); *stray = 1 when a quote was out
 * of place (an unterminated quoted field, text after a closing quote, a quote inside an
 * unquoted field). */
static size_t csv_split(const char *line, size_t len, char *out, char **f, size_t maxf, int *stray) {
    size_t i = 0, w = 0, nf = 0;
    *stray = 0;
    for (;;) {
        size_t start = w;
        int quoted = 0;
        while (i < len && line[i] == ' ') i++;
        if (i < len && line[i] == '"') {
            quoted = 1;
            i++;
            int closed = 0;
            while (i < len) {
                if (line[i] == '"') {
                    if (i + 1 < len && line[i + 1] == '"') {
                        out[w++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    closed = 1;
                    break;
                }
                out[w++] = line[i++];
            }
            if (!closed) *stray = 1;
            /* anything between the closing quote and the comma is out of place: dropped */
            while (i < len && line[i] != ',') {
                if (line[i] != ' ') *stray = 1;
                i++;
            }
        } else {
            while (i < len && line[i] != ',') {
                if (line[i] == '"') *stray = 1;
                else out[w++] = line[i];
                i++;
            }
            while (w > start && out[w - 1] == ' ') w--;
        }
        out[w++] = '\0';
        char *v = out + start;
        int null = !quoted && (v[0] == '\0' || strcmp(v, "-0-") == 0);
        if (quoted && strcmp(v, "-0- ") == 0) null = 1;
        if (nf < maxf) f[nf] = null ? NULL : v;
        nf++;
        if (i >= len) break;
        i++; /* the comma */
    }
    return nf;
}

/* Replace what JSON text cannot carry as it is: control bytes become spaces, bytes of
 * ill-formed UTF-8 become '?'. Well-formed non-ASCII text is kept (the files are ASCII; it is
 * warned about). Sets *non_ascii / *bad when found. */
static void clean_text(char *s, int *non_ascii, int *bad) {
    for (unsigned char *p = (unsigned char *)s; *p;) {
        if (*p < 0x20 || *p == 0x7f) {
            *p++ = ' ';
            *bad = 1;
        } else if (*p < 0x80) {
            p++;
        } else {
            size_t k = enlace_utf8_seq(p, (size_t)-1);
            if (k == 0) {
                *p++ = '?';
                *bad = 1;
            } else {
                p += k;
                *non_ascii = 1;
            }
        }
    }
}

/* Format a warning and hand it to warn (may be NULL). */
static void warnf(import_csv_warn_fn warn, void *ctx, const char *file, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void warnf(import_csv_warn_fn warn, void *ctx, const char *file, size_t line, const char *fmt, ...) {
    if (!warn) return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    warn(ctx, file, line, msg);
}

int import_csv_read(const char *path, size_t want, import_csv_row_fn fn, import_csv_warn_fn warn, void *ctx,
                    enlace_err *err) {
    const char *file = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    FILE *fp = fopen(path, "rb");
    if (!fp) return enlace_err_set(err, ENLACE_EIO, "cannot read %s: %s", path, strerror(errno));
    char *line = NULL, *out = NULL;
    size_t cap = 0, line_no = 0;
    ssize_t got;
    int rc = ENLACE_OK;
    while ((got = getline(&line, &cap, fp)) >= 0) {
        line_no++;
        size_t len = (size_t)got;
        if (len && line[len - 1] == '\n') len--;
        if (len && line[len - 1] == '\r') len--;
        if (len == 1 && line[0] == 0x1a) continue; /* DOS end of file */
        if (len && line[len - 1] == 0x1a) len--;
        if (len == 0) continue;
        if (memchr(line, '\0', len)) {
            warnf(warn, ctx, file, line_no, "NUL byte in the line; skipped");
            continue;
        }
        if (len > MAX_LINE) {
            warnf(warn, ctx, file, line_no, "line longer than %u bytes; skipped", MAX_LINE);
            continue;
        }
        char *o2 = realloc(out, len + IMPORT_CSV_MAX_FIELDS + 2);
        if (!o2) {
            rc = enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
            break;
        }
        out = o2;
        char *f[IMPORT_CSV_MAX_FIELDS];
        int stray = 0, non_ascii = 0, bad = 0;
        size_t nf = csv_split(line, len, out, f, IMPORT_CSV_MAX_FIELDS, &stray);
        size_t kept = nf < IMPORT_CSV_MAX_FIELDS ? nf : IMPORT_CSV_MAX_FIELDS;
        for (size_t i = 0; i < kept; i++)
            if (f[i]) clean_text(f[i], &non_ascii, &bad);
        if (stray) warnf(warn, ctx, file, line_no, "stray or unbalanced quote; fields read as far as they make sense");
        if (bad) warnf(warn, ctx, file, line_no, "control bytes or ill-formed UTF-8 replaced");
        else if (non_ascii) warnf(warn, ctx, file, line_no, "non-ASCII text (the list is ASCII)");
        if (nf != want) warnf(warn, ctx, file, line_no, "%zu fields, expected %zu", nf, want);
        if (fn(ctx, file, line_no, f, kept) != 0) {
            rc = enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
            break;
        }
    }
    if (rc == ENLACE_OK && ferror(fp)) rc = enlace_err_set(err, ENLACE_EIO, "cannot read %s: %s", path, strerror(errno));
    free(line);
    free(out);
    fclose(fp);
    return rc;
}
