/* utf8.c - well-formedness of one UTF-8 sequence (RFC 3629 §4 table). */
#include "util/utf8.h"

size_t enlace_utf8_seq(const unsigned char *p, size_t avail) {
    if (avail == 0) return 0;
    unsigned char c = p[0];
    if (c < 0x80) return 1;
    size_t n;
    unsigned lo = 0x80, hi = 0xBF; /* the range RFC 3629 allows for the second byte */
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c == 0xE0) n = 3, lo = 0xA0;       /* no overlong 3-byte forms */
    else if (c == 0xED) n = 3, hi = 0x9F;       /* no surrogates */
    else if (c >= 0xE1 && c <= 0xEF) n = 3;
    else if (c == 0xF0) n = 4, lo = 0x90;       /* no overlong 4-byte forms */
    else if (c == 0xF4) n = 4, hi = 0x8F;       /* nothing above U+10FFFF */
    else if (c >= 0xF1 && c <= 0xF3) n = 4;
    else return 0;
    if (avail < n) return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (size_t k = 2; k < n; k++)
        if ((p[k] & 0xC0) != 0x80) return 0;
    return n;
}
