/* page.h - the paging cursor (`next`, T§3.5): stateless, opaque, MAC'd with the node's cursor key,
 * bound to the query and the user, and valid across restarts (DESIGN invariant 3). */
#ifndef ENLACE_TAXII_PAGE_H
#define ENLACE_TAXII_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Bytes needed for an encoded cursor, NUL included (ours are 87 characters). */
#define TAXII_CURSOR_MAX 96
/* The cursor key: 32 bytes (libsodium crypto_auth_KEYBYTES). */
#define TAXII_CURSOR_KEY_LEN 32

/* Encode a cursor for "continue after last_date_added_us" (the date_added, in microseconds, of
 * the last item returned; date_added is unique within a collection, so it is the whole position).
 * query_hash comes from taxii_filter_hash; user_rowid is the caller. Layout, base64url without
 * padding: version byte 1, last_date_added (8 bytes big-endian), first 16 bytes of query_hash,
 * user_rowid (8 bytes big-endian), then crypto_auth (HMAC-SHA-512-256) over those 33 bytes with
 * key. out needs TAXII_CURSOR_MAX bytes. The same inputs always give the same cursor, so
 * retrying a page is safe. Can't fail. */
void taxii_cursor_encode(const unsigned char key[TAXII_CURSOR_KEY_LEN], int64_t last_date_added_us,
                         const unsigned char query_hash[32], int64_t user_rowid,
                         char out[TAXII_CURSOR_MAX]);

/* Check and decode a cursor a client sent back. Returns 0 and sets *last_date_added_us, or
 * ENLACE_EINVAL with the message "invalid next" when the text is not base64url of the right
 * length, the MAC fails (tampered, or another node's key), the format version is unknown, or the
 * cursor was made for another query or another user (-> 400). */
int taxii_cursor_decode(const unsigned char key[TAXII_CURSOR_KEY_LEN], const char *cursor,
                        const unsigned char query_hash[32], int64_t user_rowid,
                        int64_t *last_date_added_us, enlace_err *err);

#endif
