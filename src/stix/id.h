/* id.h - STIX identifiers (S§2.9): "<object-type>--<RFC 4122 UUID>", and UUIDv4 generation. */
#ifndef ENLACE_STIX_ID_H
#define ENLACE_STIX_ID_H

#include <stddef.h>

/* Longest id we accept: a 250-character type, "--", and a 36-character UUID, + NUL. */
#define STIX_ID_MAX 292
#define STIX_UUID_STR 37

/* Check that id (NUL-terminated) is a STIX identifier: a type name of 3-250 characters of
 * a-z, 0-9 and '-' (starting with a letter, not ending with '-', no "--" inside), "--", then an
 * RFC 4122 UUID in 8-4-4-4-12 hex form with variant bits 10xx and a version nibble 1-8.
 * If expected_type is not NULL, the type part must equal it.
 * On success returns 0 and writes the UUID version (1-8) to *uuid_version (may be NULL).
 * On failure returns -1 and writes a one-line reason (why_len bytes) to why (may be NULL),
 * e.g. "id 'file-1389...' is not of the form <type>--<uuid>". */
int stix_id_check(const char *id, const char *expected_type, int *uuid_version, char *why, size_t why_len);

/* Check only a type name (S§3.1 for objects): 3-250 characters, a-z 0-9 '-', starting with a
 * letter. Returns 0 or -1. */
int stix_type_check(const char *type);

/* Write a fresh random RFC 4122 version 4 UUID, lowercase, into out (STIX_UUID_STR bytes).
 * Uses libsodium's randombytes (sodium_init() must have succeeded). Can't fail. */
void stix_uuid4(char out[STIX_UUID_STR]);

/* Return 1 when s is a UUID in canonical 8-4-4-4-12 hex form (any version), else 0. Used for
 * TAXII identifiers (collection and status ids, T§2). */
int stix_uuid_check(const char *s);

#endif
