/* secret.h - bearer tokens and passwords: random tokens stored as SHA-256, Argon2id passwords
 * (libsodium). Shared by the CLI (which makes them) and the server (which checks them). */
#ifndef ENLACE_UTIL_SECRET_H
#define ENLACE_UTIL_SECRET_H

#include <stddef.h>

/* A token as shown once to the user: "enl_" + 43 base64url characters (32 random bytes) + NUL. */
#define ENLACE_TOKEN_LEN 48
/* A public token handle: 16 hex characters + NUL. */
#define ENLACE_TOKEN_ID_LEN 17
/* libsodium crypto_pwhash_STRBYTES. */
#define ENLACE_PWHASH_LEN 128

/* Initialise libsodium. Returns 0 or -1. Call once from main() before anything below. */
int enlace_secret_init(void);

/* Make a new random bearer token (out), its SHA-256 (sha) and a random public handle (id).
 * Can't fail once enlace_secret_init() succeeded. */
void enlace_token_new(char out[ENLACE_TOKEN_LEN], unsigned char sha[32], char id[ENLACE_TOKEN_ID_LEN]);

/* SHA-256 of a presented token string (any length). */
void enlace_token_hash(const char *token, unsigned char sha[32]);

/* Make a random password of 24 base64url characters (out needs 25 bytes). */
void enlace_password_new(char out[25]);

/* Hash a password with Argon2id (interactive limits) into out. Returns 0, or -1 when memory
 * runs out. */
int enlace_password_hash(const char *password, char out[ENLACE_PWHASH_LEN]);

/* Verify a password against a stored Argon2id string. Returns 1 when it matches, else 0. */
int enlace_password_verify(const char *password, const char *stored);

#endif
