/* err.h - error codes and the message buffer every enlace library function fills. */
#ifndef ENLACE_UTIL_ERR_H
#define ENLACE_UTIL_ERR_H

#include <stddef.h>

/* Error codes shared by all modules. Library code returns one of these (0 = ok) and fills an
 * enlace_err with a one-line, human-readable message; it never prints and never exits. */
typedef enum {
    ENLACE_OK = 0,
    ENLACE_EINVAL = 1,     /* bad input from the caller (maps to HTTP 400 / CLI exit 2) */
    ENLACE_ENOTFOUND = 2,  /* no such thing (404) */
    ENLACE_ECONFLICT = 3,  /* already exists / differs from what is stored (409, or a status failure) */
    ENLACE_EDENIED = 4,    /* not allowed (403) */
    ENLACE_EAUTH = 5,      /* bad or missing credentials (401) */
    ENLACE_ETOOBIG = 6,    /* over a size limit (413) */
    ENLACE_EUNPROC = 7,    /* well-formed but will not be processed (422) */
    ENLACE_EIO = 8,        /* storage or system failure (500) */
    ENLACE_ENOMEM = 9,     /* out of memory (500) */
    ENLACE_EVERSION = 10,  /* store written by a newer enlace (refuse to open) */
    ENLACE_ENET = 11,      /* network / remote peer failure (client side) */
    ENLACE_EBUSY = 12      /* the store is held by another writer past the busy timeout (503) */
} enlace_code;

#define ENLACE_ERR_MSG_MAX 512

typedef struct enlace_err {
    int code;                       /* an enlace_code */
    char msg[ENLACE_ERR_MSG_MAX];   /* one line, no trailing newline */
} enlace_err;

/* Set err (may be NULL) to code and a printf-style message; returns code, so that callers can
 * write `return enlace_err_set(err, ENLACE_EINVAL, "bad id %s", id);`. Can't fail. */
int enlace_err_set(enlace_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reset err to ENLACE_OK with an empty message. err may be NULL. */
void enlace_err_clear(enlace_err *err);

#endif
