/* error.c - build TAXII 2.1 error resources (T§3.6.1). */
#include "taxii/error.h"

const char *taxii_status_title(int http_status) {
    switch (http_status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

int taxii_error_json(enlace_buf *out, int http_status, const char *title, const char *description) {
    enlace_buf_puts(out, "{\"title\":");
    enlace_buf_json_str(out, title ? title : taxii_status_title(http_status));
    if (description && *description) {
        enlace_buf_puts(out, ",\"description\":");
        enlace_buf_json_str(out, description);
    }
    enlace_buf_printf(out, ",\"http_status\":\"%d\"}", http_status);
    return out->oom ? -1 : 0;
}
