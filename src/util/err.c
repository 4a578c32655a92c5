/* err.c - filling the shared error structure. */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>

int enlace_err_set(enlace_err *err, int code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void enlace_err_clear(enlace_err *err) {
    if (err) {
        err->code = ENLACE_OK;
        err->msg[0] = '\0';
    }
}
