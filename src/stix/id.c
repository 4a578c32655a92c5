/* id.c - STIX identifiers "<type>--<uuid>" (S§2.9) and type names (S§3.1): checks, and fresh
 * UUIDv4 values from libsodium's CSPRNG. */
#include "stix/id.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int is_hex(unsigned char c)
{
    return (unsigned)(c - '0') < 10u || (unsigned)((c | 0x20) - 'a') < 6u;
}

/* 1 when s[0..36) is 8-4-4-4-12 hex (either case, as RFC 4122 §3 asks readers to accept).
 * Hot: every reference of every posted object comes through here, so no per-char branching
 * on the position. */
static int uuid_shape(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[8] != '-' || u[13] != '-' || u[18] != '-' || u[23] != '-')
        return 0;
    unsigned ok = 1;
    for (int i = 0; i < 8; i++)
        ok &= (unsigned)is_hex(u[i]);
    for (int i = 9; i < 13; i++)
        ok &= (unsigned)is_hex(u[i]);
    for (int i = 14; i < 18; i++)
        ok &= (unsigned)is_hex(u[i]);
    for (int i = 19; i < 23; i++)
        ok &= (unsigned)is_hex(u[i]);
    for (int i = 24; i < 36; i++)
        ok &= (unsigned)is_hex(u[i]);
    return (int)ok;
}

/* Type-name rule shared by stix_type_check and stix_id_check, on n bytes at t. "--" is refused
 * because it separates the type from the UUID in an id, and a trailing '-' because the id
 * pattern of the OASIS schema (identifier.json) refuses it. */
static int type_ok(const char *t, size_t n)
{
    if (n < 3 || n > 250 || !(t[0] >= 'a' && t[0] <= 'z') || t[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return 0;
        if (c == '-' && i + 1 < n && t[i + 1] == '-')
            return 0;
    }
    return 1;
}

int stix_type_check(const char *type)
{
    if (type == NULL)
        return -1;
    return type_ok(type, strlen(type)) ? 0 : -1;
}

/* Write "id '<first 60 bytes>...' <what>" into why. */
static int id_fail(const char *id, const char *what, char *why, size_t why_len)
{
    if (why != NULL && why_len > 0) {
        size_t n = strlen(id);
        snprintf(why, why_len, "id '%.60s%s' %s", id, n > 60 ? "..." : "", what);
    }
    return -1;
}

int stix_id_check(const char *id, const char *expected_type, int *uuid_version, char *why, size_t why_len)
{
    if (id == NULL)
        return id_fail("", "is not of the form <type>--<uuid>", why, why_len);
    size_t n = strlen(id);
    /* The UUID is the last 36 bytes, preceded by "--"; the type is everything before. */
    if (n < 3 + 2 + 36 || n >= STIX_ID_MAX)
        return id_fail(id, "is not of the form <type>--<uuid>", why, why_len);
    size_t tlen = n - 38;
    const char *u = id + tlen + 2;
    if (id[tlen] != '-' || id[tlen + 1] != '-' || !type_ok(id, tlen) || !uuid_shape(u))
        return id_fail(id, "is not of the form <type>--<uuid>", why, why_len);
    int version = hex_val(u[14]);
    int variant = hex_val(u[19]);
    if ((variant & 0xC) != 0x8)
        return id_fail(id, "does not hold an RFC 4122 UUID (variant bits are not 10)", why, why_len);
    if (version < 1 || version > 8)
        return id_fail(id, "does not hold an RFC 4122 UUID (version nibble is not 1-8)", why, why_len);
    if (expected_type != NULL &&
        (strlen(expected_type) != tlen || memcmp(id, expected_type, tlen) != 0)) {
        char what[300];
        snprintf(what, sizeof what, "is not of type '%.250s'", expected_type);
        return id_fail(id, what, why, why_len);
    }
    if (uuid_version != NULL)
        *uuid_version = version;
    return 0;
}

void stix_uuid4(char out[STIX_UUID_STR])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    randombytes_buf(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40); /* version 4 (RFC 4122 §4.4) */
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80); /* variant 10xx */
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 0xF];
    }
    *p = '\0';
}

int stix_uuid_check(const char *s)
{
    if (s == NULL || strlen(s) != 36)
        return 0;
    return uuid_shape(s);
}
