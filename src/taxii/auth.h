/* auth.h - authenticate TAXII requests (T§1.6.9, T§8.5.1): HTTP Basic against Argon2id password
 * hashes, with a short-lived cache so a request doesn't pay an Argon2id each time, and bearer
 * tokens looked up by SHA-256. */
#ifndef ENLACE_TAXII_AUTH_H
#define ENLACE_TAXII_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/err.h"

typedef struct taxii_auth_cache taxii_auth_cache;

/* Make a cache of verified Basic credentials: slots entries (bounded memory), each valid for
 * ttl_us microseconds. Returns 0, or ENLACE_ENOMEM. Free with taxii_auth_cache_free. The cache
 * has its own mutex, so one cache serves every server thread. */
int taxii_auth_cache_new(size_t slots, int64_t ttl_us, taxii_auth_cache **out, enlace_err *err);

/* Free the cache (wiping its keys). NULL is fine. */
void taxii_auth_cache_free(taxii_auth_cache *c);

/* Authenticate the value of an Authorization header (may be NULL) using store s:
 *  - "Basic base64(user:password)": the user must exist, not be disabled, have a password, and
 *    enlace_password_verify must accept it. A verified credential is remembered (keyed by
 *    SHA-256(user ":" password), never the password itself) for the cache's ttl; a hit still
 *    reloads the user row and requires the same pw_hash and not disabled, so a password change
 *    or disabling takes effect at once.
 *  - "Bearer <token>": enlace_token_hash then store_token_find; the owner must not be disabled.
 * now_us is the current time (enlace_clock_now_us). Fills *user and returns 0; ENLACE_EAUTH
 * (-> 401) for missing, malformed or wrong credentials (the message never says which part was
 * wrong); ENLACE_EIO when the store fails. c may be NULL (no caching). */
int taxii_authenticate(taxii_auth_cache *c, store *s, const char *authorization, int64_t now_us,
                       store_user *user, enlace_err *err);

#endif
