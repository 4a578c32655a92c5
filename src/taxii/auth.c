/* auth.c - HTTP Basic and bearer-token authentication with a bounded cache of verified passwords. */
#include "taxii/auth.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/secret.h"

/* Longest Authorization value we decode; anything longer is refused before any work. */
#define AUTH_MAX 1024
/* An Argon2id hash (same cost as real ones) of a password nobody uses: checked when the user
 * is unknown, disabled or password-less, so the answer takes as long as for a wrong password and
 * timing doesn't reveal which user names exist. */
static const char decoy_hash[] =
    "$argon2id$v=19$m=65536,t=2,p=1$2XCYZr1bRWHPLJrUwKOR7w$CrYXYzOIkYCuNT4j9Hmmn/BmGJhG2sZLdHXjSW2yu4s";

typedef struct auth_entry {
    unsigned char key[32];   /* SHA-256(user ":" password); all zero = empty slot */
    int64_t user_rowid;
    char pw_hash[160];       /* the hash that was verified; must still be the user's */
    int64_t expires_us;
} auth_entry;

struct taxii_auth_cache {
    pthread_mutex_t mu;
    size_t slots;
    int64_t ttl_us;
    auth_entry *e;           /* direct-mapped: slot = first bytes of key mod slots */
};

int taxii_auth_cache_new(size_t slots, int64_t ttl_us, taxii_auth_cache **out, enlace_err *err) {
    taxii_auth_cache *c = calloc(1, sizeof *c);
    if (c) c->e = calloc(slots ? slots : 1, sizeof *c->e);
    if (!c || !c->e) {
        free(c);
        return enlace_err_set(err, ENLACE_ENOMEM, "out of memory for the credential cache");
    }
    pthread_mutex_init(&c->mu, NULL);
    c->slots = slots ? slots : 1;
    c->ttl_us = ttl_us;
    *out = c;
    return 0;
}

void taxii_auth_cache_free(taxii_auth_cache *c) {
    if (!c) return;
    sodium_memzero(c->e, c->slots * sizeof *c->e);
    free(c->e);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static size_t slot_of(const taxii_auth_cache *c, const unsigned char key[32]) {
    uint64_t v = 0;
    memcpy(&v, key, sizeof v);
    return (size_t)(v % c->slots);
}

/* Look the key up; on a live hit copy rowid and pw_hash out and return 1. */
static int cache_get(taxii_auth_cache *c, const unsigned char key[32], int64_t now_us, int64_t *rowid,
                     char pw_hash[160]) {
    int hit = 0;
    pthread_mutex_lock(&c->mu);
    auth_entry *e = &c->e[slot_of(c, key)];
    if (e->expires_us > now_us && sodium_memcmp(e->key, key, 32) == 0) {
        *rowid = e->user_rowid;
        memcpy(pw_hash, e->pw_hash, 160);
        hit = 1;
    }
    pthread_mutex_unlock(&c->mu);
    return hit;
}

static void cache_put(taxii_auth_cache *c, const unsigned char key[32], int64_t now_us, int64_t rowid,
                      const char *pw_hash) {
    pthread_mutex_lock(&c->mu);
    auth_entry *e = &c->e[slot_of(c, key)];
    memcpy(e->key, key, 32);
    e->user_rowid = rowid;
    snprintf(e->pw_hash, sizeof e->pw_hash, "%s", pw_hash);
    e->expires_us = now_us + c->ttl_us;
    pthread_mutex_unlock(&c->mu);
}

static int denied(enlace_err *err) {
    return enlace_err_set(err, ENLACE_EAUTH, "valid credentials are required");
}

/* Map a store lookup failure: "not found" is a plain authentication failure. */
static int lookup_failed(int rc, enlace_err *err) {
    return rc == ENLACE_ENOTFOUND ? denied(err) : enlace_err_set(err, ENLACE_EIO, "cannot check credentials");
}

static int auth_basic(taxii_auth_cache *c, store *s, const char *b64, int64_t now_us, store_user *user,
                      enlace_err *err) {
    unsigned char raw[AUTH_MAX];
    size_t raw_len = 0;
    while (*b64 == ' ') b64++;
    size_t n = strlen(b64);
    while (n && b64[n - 1] == ' ') n--;
    if (sodium_base642bin(raw, sizeof raw - 1, b64, n, NULL, &raw_len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
        return denied(err);
    raw[raw_len] = '\0';
    char *colon = memchr(raw, ':', raw_len);
    if (!colon || strlen((char *)raw) != raw_len) {  /* no ':' or an embedded NUL */
        sodium_memzero(raw, sizeof raw);
        return denied(err);
    }
    unsigned char key[32];
    crypto_hash_sha256(key, raw, raw_len);
    *colon = '\0';
    const char *name = (const char *)raw, *password = colon + 1;

    int rc;
    int64_t rowid = 0;
    char cached_hash[160];
    if (c && cache_get(c, key, now_us, &rowid, cached_hash)) {
        rc = store_user_get_by_rowid(s, rowid, user, err);
        if (rc == 0 && !user->disabled && strcmp(user->pw_hash, cached_hash) == 0 && strcmp(user->name, name) == 0) {
            sodium_memzero(raw, sizeof raw);
            return 0;
        }
        if (rc != 0 && rc != ENLACE_ENOTFOUND) {
            sodium_memzero(raw, sizeof raw);
            return lookup_failed(rc, err);
        }
        /* Stale entry: fall through to a full check. */
    }
    rc = store_user_get(s, name, user, err);
    int usable = rc == 0 && !user->disabled && user->pw_hash[0];
    int ok = enlace_password_verify(password, usable ? user->pw_hash : decoy_hash) && usable;
    sodium_memzero(raw, sizeof raw);
    if (rc != 0 && rc != ENLACE_ENOTFOUND) return lookup_failed(rc, err);
    if (!ok) return denied(err);
    if (c) cache_put(c, key, now_us, user->rowid, user->pw_hash);
    return 0;
}

static int auth_bearer(store *s, const char *token, store_user *user, enlace_err *err) {
    while (*token == ' ') token++;
    if (!*token) return denied(err);
    unsigned char sha[32];
    enlace_token_hash(token, sha);
    store_token t;
    int rc = store_token_find(s, sha, &t, err);
    if (rc != 0) return lookup_failed(rc, err);
    rc = store_user_get_by_rowid(s, t.user_rowid, user, err);
    if (rc != 0) return lookup_failed(rc, err);
    if (user->disabled) return denied(err);
    return 0;
}

int taxii_authenticate(taxii_auth_cache *c, store *s, const char *authorization, int64_t now_us,
                       store_user *user, enlace_err *err) {
    if (!authorization || strlen(authorization) > AUTH_MAX) return denied(err);
    while (*authorization == ' ') authorization++;
    if (strncasecmp(authorization, "Basic ", 6) == 0) return auth_basic(c, s, authorization + 6, now_us, user, err);
    if (strncasecmp(authorization, "Bearer ", 7) == 0) return auth_bearer(s, authorization + 7, user, err);
    return denied(err);
}
