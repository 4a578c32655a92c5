/* page.c - encode and verify TAXII paging cursors (T§3.5, T App. B: never trust `next` blindly). */
#include "taxii/page.h"

#include <sodium.h>
#include <string.h>

#define CURSOR_FORMAT 1
#define PAYLOAD_LEN (1 + 8 + 16 + 8)
#define RAW_LEN (PAYLOAD_LEN + crypto_auth_BYTES)

static void put_be64(unsigned char *p, uint64_t v) {
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

static uint64_t get_be64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return v;
}

static void build_payload(unsigned char p[PAYLOAD_LEN], int64_t last, const unsigned char qh[32], int64_t user) {
    p[0] = CURSOR_FORMAT;
    put_be64(p + 1, (uint64_t)last);
    memcpy(p + 9, qh, 16);
    put_be64(p + 25, (uint64_t)user);
}

void taxii_cursor_encode(const unsigned char key[TAXII_CURSOR_KEY_LEN], int64_t last_date_added_us,
                         const unsigned char query_hash[32], int64_t user_rowid,
                         char out[TAXII_CURSOR_MAX]) {
    unsigned char raw[RAW_LEN];
    build_payload(raw, last_date_added_us, query_hash, user_rowid);
    crypto_auth(raw + PAYLOAD_LEN, raw, PAYLOAD_LEN, key);
    sodium_bin2base64(out, TAXII_CURSOR_MAX, raw, RAW_LEN, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int taxii_cursor_decode(const unsigned char key[TAXII_CURSOR_KEY_LEN], const char *cursor,
                        const unsigned char query_hash[32], int64_t user_rowid,
                        int64_t *last_date_added_us, enlace_err *err) {
    unsigned char raw[RAW_LEN + 1];
    size_t raw_len = 0;
    const char *end = NULL;
    if (!cursor || strlen(cursor) >= TAXII_CURSOR_MAX ||
        sodium_base642bin(raw, sizeof raw, cursor, strlen(cursor), NULL, &raw_len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        *end != '\0' || raw_len != RAW_LEN)
        return enlace_err_set(err, ENLACE_EINVAL, "invalid next");
    if (crypto_auth_verify(raw + PAYLOAD_LEN, raw, PAYLOAD_LEN, key) != 0 || raw[0] != CURSOR_FORMAT)
        return enlace_err_set(err, ENLACE_EINVAL, "invalid next");
    if (sodium_memcmp(raw + 9, query_hash, 16) != 0 || get_be64(raw + 25) != (uint64_t)user_rowid)
        return enlace_err_set(err, ENLACE_EINVAL, "invalid next");
    *last_date_added_us = (int64_t)get_be64(raw + 1);
    return 0;
}
