/* uuid5.c - RFC 9562 §5.5 version 5 UUIDs. libsodium has no SHA-1 and the ids must match any
 * other UUIDv5 implementation, so the SHA-1 is Nettle's (Debian nettle-dev, already a dependency
 * of GnuTLS), not our own. */
#include "import/uuid5.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/sha1.h>

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
    struct sha1_ctx c;
    sha1_init(&c);
    sha1_update(&c, sizeof nsb, nsb);
    sha1_update(&c, name_len, (const uint8_t *)name);
    sha1_digest(&c, SHA1_DIGEST_SIZE, h);
    h[6] = (unsigned char)((h[6] & 0x0f) | 0x50); /* version 5 */
    h[8] = (unsigned char)((h[8] & 0x3f) | 0x80); /* variant 10xx */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", h[0], h[1], h[2], h[3],
             h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]);
    return 0;
}
