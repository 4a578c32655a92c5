/* uuid5.c - RFC 9562 §5.5 version 5 UUIDs, with a small SHA-1 (FIPS 180-4 §6.1) of our own:
 * libsodium has no SHA-1 and the ids must match any other UUIDv5 implementation. */
#include "import/uuid5.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct sha1_ctx {
    uint32_t h[5];
    unsigned char block[64];
    size_t used;       /* bytes in block */
    uint64_t total;    /* bytes hashed */
} sha1_ctx;

static uint32_t rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha1_block(sha1_ctx *c, const unsigned char *p) {
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = c->h[0], b = c->h[1], d3 = c->h[2], d = c->h[3], e = c->h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) f = (b & d3) | (~b & d), k = 0x5a827999u;
        else if (i < 40) f = b ^ d3 ^ d, k = 0x6ed9eba1u;
        else if (i < 60) f = (b & d3) | (b & d) | (d3 & d), k = 0x8f1bbcdcu;
        else f = b ^ d3 ^ d, k = 0xca62c1d6u;
        uint32_t t = rol(a, 5) + f + e + k + w[i];
        e = d, d = d3, d3 = rol(b, 30), b = a, a = t;
    }
    c->h[0] += a, c->h[1] += b, c->h[2] += d3, c->h[3] += d, c->h[4] += e;
}

static void sha1_init(sha1_ctx *c) {
    static const uint32_t iv[5] = {0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u, 0xc3d2e1f0u};
    memcpy(c->h, iv, sizeof iv);
    c->used = 0;
    c->total = 0;
}

static void sha1_update(sha1_ctx *c, const unsigned char *p, size_t n) {
    c->total += n;
    while (n) {
        size_t k = 64 - c->used < n ? 64 - c->used : n;
        memcpy(c->block + c->used, p, k);
        c->used += k, p += k, n -= k;
        if (c->used == 64) sha1_block(c, c->block), c->used = 0;
    }
}

static void sha1_final(sha1_ctx *c, unsigned char out[20]) {
    uint64_t bits = c->total * 8;
    unsigned char pad = 0x80, zero = 0, len[8];
    sha1_update(c, &pad, 1);
    while (c->used != 56) sha1_update(c, &zero, 1);
    for (int i = 0; i < 8; i++) len[i] = (unsigned char)(bits >> (56 - 8 * i));
    sha1_update(c, len, 8);
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++) out[4 * i + j] = (unsigned char)(c->h[i] >> (24 - 8 * j));
}

static int hexval(char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

int import_uuid5(const char *ns, const char *name, size_t name_len, char out[37]) {
    unsigned char nsb[16], h[20];
    size_t k = 0;
    for (size_t i = 0; ns[i]; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (ns[i] != '-') return -1;
            continue;
        }
        int hi = hexval(ns[i]), lo = ns[i + 1] ? hexval(ns[i + 1]) : -1;
        if (hi < 0 || lo < 0 || k == 16) return -1;
        nsb[k++] = (unsigned char)(hi << 4 | lo);
        i++;
    }
    if (k != 16 || strlen(ns) != 36) return -1;
    sha1_ctx c;
    sha1_init(&c);
    sha1_update(&c, nsb, 16);
    sha1_update(&c, (const unsigned char *)name, name_len);
    sha1_final(&c, h);
    h[6] = (unsigned char)((h[6] & 0x0f) | 0x50); /* version 5 */
    h[8] = (unsigned char)((h[8] & 0x3f) | 0x80); /* variant 10xx */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", h[0], h[1], h[2], h[3],
             h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]);
    return 0;
}
