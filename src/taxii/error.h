/* error.h - the TAXII 2.1 error resource (T§3.6.1) that every 4xx/5xx response carries. */
#ifndef ENLACE_TAXII_ERROR_H
#define ENLACE_TAXII_ERROR_H

#include "util/buf.h"

/* The standard reason phrase for an HTTP status we send ("Not Found"), or "Error". Can't fail. */
const char *taxii_status_title(int http_status);

/* Append an error resource (T§3.6.1) to out: {"title":..., "description":..., "http_status":"<code>"}.
 * title NULL means taxii_status_title(http_status); description NULL or "" is omitted.
 * http_status is written as a string, as T§3.6.1 requires. Callers must word descriptions so
 * they never reveal things the caller may not see (T App. B). Returns 0 or -1 on OOM. */
int taxii_error_json(enlace_buf *out, int http_status, const char *title, const char *description);

#endif
