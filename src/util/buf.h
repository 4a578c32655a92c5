/* buf.h - a growable byte buffer (always NUL-terminated) used to build responses and bodies. */
#ifndef ENLACE_UTIL_BUF_H
#define ENLACE_UTIL_BUF_H

#include <stddef.h>

typedef struct enlace_buf {
    char *p;      /* owned; NUL-terminated when non-NULL; NULL until the first append */
    size_t len;   /* bytes used, excluding the terminating NUL */
    size_t cap;   /* bytes allocated */
    int oom;      /* set once an allocation failed; further appends are ignored */
} enlace_buf;

#define ENLACE_BUF_INIT {NULL, 0, 0, 0}

/* Append n bytes. Returns 0, or -1 (and sets b->oom) when memory runs out. */
int enlace_buf_append(enlace_buf *b, const void *data, size_t n);
/* Append a NUL-terminated string. Same errors as enlace_buf_append. */
int enlace_buf_puts(enlace_buf *b, const char *s);
/* Append printf-style formatted text. Same errors as enlace_buf_append. */
int enlace_buf_printf(enlace_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append s as a JSON string literal (quotes included, RFC 8259 escaping; well-formed UTF-8
 * copied as it is, every byte of an ill-formed sequence written as \ufffd, so the result is
 * always valid JSON whatever s holds). */
int enlace_buf_json_str(enlace_buf *b, const char *s);
/* Make sure at least n more bytes fit. Returns 0 or -1 on OOM. */
int enlace_buf_reserve(enlace_buf *b, size_t n);
/* Hand the bytes to the caller (who frees them with free()) and reset b. May return NULL when
 * nothing was appended. */
char *enlace_buf_steal(enlace_buf *b);
/* Free the bytes and reset b. */
void enlace_buf_free(enlace_buf *b);

#endif
