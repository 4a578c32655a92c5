/* buf.c - growable byte buffer. */
#include "util/buf.h"
#include "util/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int enlace_buf_reserve(enlace_buf *b, size_t n) {
    if (b->oom) return -1;
    if (b->len + n + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

int enlace_buf_append(enlace_buf *b, const void *data, size_t n) {
    if (enlace_buf_reserve(b, n) != 0) return -1;
    if (n) memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int enlace_buf_puts(enlace_buf *b, const char *s) { return enlace_buf_append(b, s, strlen(s)); }

int enlace_buf_printf(enlace_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || enlace_buf_reserve(b, (size_t)n) != 0) return -1;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int enlace_buf_json_str(enlace_buf *b, const char *s) {
    static const char hex[] = "0123456789abcdef";
    if (enlace_buf_append(b, "\"", 1) != 0) return -1;
    const unsigned char *u = (const unsigned char *)s;
    size_t start = 0, i = 0;
    for (; u[i]; i++) {
        const char *esc = NULL;
        char tmp[7];
        switch (u[i]) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default:
            if (u[i] >= 0x80) {
                /* Copy a well-formed UTF-8 sequence as it is; anything else becomes U+FFFD, so
                 * that echoing client input (an error description, a status message) can never
                 * make our own JSON invalid (RFC 8259 §8.1). */
                size_t n = enlace_utf8_seq(u + i, (size_t)-1);
                if (n) {
                    i += n - 1;
                    continue;
                }
                esc = "\\ufffd";
            } else if (u[i] < 0x20) {
                tmp[0] = '\\'; tmp[1] = 'u'; tmp[2] = '0'; tmp[3] = '0';
                tmp[4] = hex[u[i] >> 4]; tmp[5] = hex[u[i] & 15]; tmp[6] = 0;
                esc = tmp;
            }
        }
        if (esc) {
            enlace_buf_append(b, s + start, i - start);
            enlace_buf_puts(b, esc);
            start = i + 1;
        }
    }
    enlace_buf_append(b, s + start, i - start);
    return enlace_buf_append(b, "\"", 1);
}

char *enlace_buf_steal(enlace_buf *b) {
    char *p = b->p;
    b->p = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
    return p;
}

void enlace_buf_free(enlace_buf *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}
