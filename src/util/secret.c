/* secret.c - random tokens, SHA-256 token digests and Argon2id password hashes via libsodium. */
#include "util/secret.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

int enlace_secret_init(void) { return sodium_init() < 0 ? -1 : 0; }

void enlace_token_new(char out[ENLACE_TOKEN_LEN], unsigned char sha[32], char id[ENLACE_TOKEN_ID_LEN]) {
    unsigned char raw[32], idraw[8];
    randombytes_buf(raw, sizeof raw);
    randombytes_buf(idraw, sizeof idraw);
    memcpy(out, "enl_", 4);
    sodium_bin2base64(out + 4, ENLACE_TOKEN_LEN - 4, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_bin2hex(id, ENLACE_TOKEN_ID_LEN, idraw, sizeof idraw);
    enlace_token_hash(out, sha);
    sodium_memzero(raw, sizeof raw);
}

void enlace_token_hash(const char *token, unsigned char sha[32]) {
    crypto_hash_sha256(sha, (const unsigned char *)token, strlen(token));
}

void enlace_password_new(char out[25]) {
    unsigned char raw[18];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, 25, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int enlace_password_hash(const char *password, char out[ENLACE_PWHASH_LEN]) {
    return crypto_pwhash_str_alg(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                 crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) == 0
               ? 0
               : -1;
}

int enlace_password_verify(const char *password, const char *stored) {
    return crypto_pwhash_str_verify(stored, password, strlen(password)) == 0;
}
