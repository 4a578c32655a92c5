/* buf.c - growable byte buffer. */
#include "util/buf.h"

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

/* Length of the well-formed UTF-8 sequence (RFC 3629) at u, or 0. u is NUL-terminated, so a
 * truncated sequence stops at the NUL, which is never a continuation byte. */
static size_t utf8_len(const unsigned char *u) {
    unsigned char c = u[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c == 0xE0) n = 3, lo = 0xA0;
    else if (c == 0xED) n = 3, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF) n = 3;
    else if (c == 0xF0) n = 4, lo = 0x90;
    else if (c == 0xF4) n = 4, hi = 0x8F;
    else if (c >= 0xF1 && c <= 0xF3) n = 4;
    else return 0;
    if (u[1] < lo || u[1] > hi) return 0;
    for (size_t k = 2; k < n; k++)
        if ((u[k] & 0xC0) != 0x80) return 0;
    return n;
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
                size_t n = utf8_len(u + i);
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
