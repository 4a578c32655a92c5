/* checkpoint.c - C2SP tlog-checkpoint signed notes: sign, parse, verify (see checkpoint.h). */
#include "audit/checkpoint.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

#define EM_DASH "\xe2\x80\x94"  /* U+2014, opens every signature line */
#define SIG_ED25519 0x01        /* signed-note signature type of Ed25519 */

void audit_key_id(const char *name, const unsigned char pk[32], unsigned char id[4]) {
    static const unsigned char sep_type[2] = {0x0a, SIG_ED25519};
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)name, strlen(name));
    crypto_hash_sha256_update(&st, sep_type, sizeof sep_type);
    crypto_hash_sha256_update(&st, pk, 32);
    crypto_hash_sha256_final(&st, h);
    memcpy(id, h, 4);
}

void audit_origin(const char *party, const char *identity_id, char out[AUDIT_ORIGIN_MAX]) {
    snprintf(out, AUDIT_ORIGIN_MAX, "enlace/%s/%s", party && *party ? party : "XX",
             identity_id && *identity_id ? identity_id : "node");
}

/* signed-note key names: non-empty, no Unicode spaces (we allow none of ASCII's), no '+'. */
static int name_ok(const char *name) {
    if (!*name || strlen(name) >= AUDIT_ORIGIN_MAX) return 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p <= 0x20 || *p == '+' || *p == 0x7f) return 0;
    return enlace_utf8_seq((const unsigned char *)name, (size_t)-1) != 0;
}

/* Check the signed-note character rules: valid UTF-8, no control characters but '\n'. */
static int note_chars_ok(const char *s, size_t len) {
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 && c != '\n') return 0;
        if (c == 0x7f) return 0;
        size_t n = enlace_utf8_seq((const unsigned char *)s + i, len - i);
        if (!n) return 0;
        i += n;
    }
    return 1;
}

/* Find the text part of a signed note: everything up to and including the newline before the
 * last "\n\n". *text_len gets its length; returns the offset of the signature block or -1. */
static long split_note(const char *note, size_t len, size_t *text_len) {
    if (len < 2) return -1;
    for (size_t i = len - 1; i-- > 0;)
        if (note[i] == '\n' && note[i + 1] == '\n') {
            *text_len = i + 1;
            return (long)(i + 2);
        }
    return -1;
}

int audit_note_sign(const char *text, size_t len, const char *name, const unsigned char sk[64],
                    enlace_buf *out, enlace_err *err) {
    if (!name_ok(name))
        return enlace_err_set(err, ENLACE_EINVAL, "key name '%s' is empty or holds a space or '+'", name);
    if (len == 0 || text[len - 1] != '\n' || !note_chars_ok(text, len))
        return enlace_err_set(err, ENLACE_EINVAL, "note text must end in a newline and hold no control characters");
    for (size_t i = 0; i + 1 < len; i++)
        if (text[i] == '\n' && text[i + 1] == '\n')
            return enlace_err_set(err, ENLACE_EINVAL, "note text must not hold a blank line");
    unsigned char blob[4 + crypto_sign_BYTES];
    audit_key_id(name, sk + 32, blob);  /* libsodium's secret key ends with the public key */
    crypto_sign_detached(blob + 4, NULL, (const unsigned char *)text, len, sk);
    char sig64[sodium_base64_ENCODED_LEN(sizeof blob, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(sig64, sizeof sig64, blob, sizeof blob, sodium_base64_VARIANT_ORIGINAL);
    enlace_buf_append(out, text, len);
    enlace_buf_printf(out, "\n" EM_DASH " %s %s\n", name, sig64);
    return out->oom ? enlace_err_set(err, ENLACE_ENOMEM, "out of memory") : 0;
}

int audit_checkpoint_sign(const char *origin, uint64_t size, const unsigned char root[MERKLE_HASH_LEN],
                          const unsigned char sk[64], enlace_buf *out, enlace_err *err) {
    char root64[sodium_base64_ENCODED_LEN(MERKLE_HASH_LEN, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(root64, sizeof root64, root, MERKLE_HASH_LEN, sodium_base64_VARIANT_ORIGINAL);
    char text[AUDIT_ORIGIN_MAX + 96];
    int n = snprintf(text, sizeof text, "%s\n%llu\n%s\n", origin, (unsigned long long)size, root64);
    if (n < 0 || (size_t)n >= sizeof text) return enlace_err_set(err, ENLACE_EINVAL, "checkpoint origin too long");
    return audit_note_sign(text, (size_t)n, origin, sk, out, err);
}

int audit_checkpoint_parse(const char *note, size_t len, audit_checkpoint *out, enlace_err *err) {
    memset(out, 0, sizeof *out);
    if (len > AUDIT_NOTE_MAX) return enlace_err_set(err, ENLACE_EINVAL, "checkpoint is longer than %d bytes", AUDIT_NOTE_MAX);
    /* the three lines, each ended by '\n' */
    const char *p = note, *end = note + len, *lines[3];
    size_t lens[3];
    for (int i = 0; i < 3; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) return enlace_err_set(err, ENLACE_EINVAL, "checkpoint has fewer than three lines");
        lines[i] = p;
        lens[i] = (size_t)(nl - p);
        p = nl + 1;
    }
    if (lens[0] == 0 || lens[0] >= AUDIT_ORIGIN_MAX) return enlace_err_set(err, ENLACE_EINVAL, "checkpoint origin line is empty or too long");
    memcpy(out->origin, lines[0], lens[0]);
    out->origin[lens[0]] = '\0';
    /* size: decimal ASCII, no sign, no leading zero (tlog-checkpoint) */
    if (lens[1] == 0 || lens[1] > 19 || (lens[1] > 1 && lines[1][0] == '0'))
        return enlace_err_set(err, ENLACE_EINVAL, "checkpoint tree size line is not a decimal number");
    uint64_t v = 0;
    for (size_t i = 0; i < lens[1]; i++) {
        char c = lines[1][i];
        if (c < '0' || c > '9') return enlace_err_set(err, ENLACE_EINVAL, "checkpoint tree size line is not a decimal number");
        v = v * 10 + (uint64_t)(c - '0');
    }
    out->size = v;
    size_t bin_len = 0;
    char b64[64];
    if (lens[2] != 44) return enlace_err_set(err, ENLACE_EINVAL, "checkpoint root hash line is not base64 of 32 bytes");
    memcpy(b64, lines[2], 44);
    b64[44] = '\0';
    if (sodium_base642bin(out->root, MERKLE_HASH_LEN, b64, 44, NULL, &bin_len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        bin_len != MERKLE_HASH_LEN)
        return enlace_err_set(err, ENLACE_EINVAL, "checkpoint root hash line is not base64 of 32 bytes");
    return 0;
}

int audit_note_open(const char *note, size_t len, const char *name, const unsigned char pk[32],
                    size_t *text_len, enlace_err *err) {
    if (len > AUDIT_NOTE_MAX) return enlace_err_set(err, ENLACE_EINVAL, "note is longer than %d bytes", AUDIT_NOTE_MAX);
    if (!note_chars_ok(note, len))
        return enlace_err_set(err, ENLACE_EINVAL, "note holds a control character or ill-formed UTF-8");
    long sigs = split_note(note, len, text_len);
    if (sigs < 0 || note[len - 1] != '\n')
        return enlace_err_set(err, ENLACE_EINVAL, "not a signed note (no blank line before signatures)");
    unsigned char want_id[4];
    audit_key_id(name, pk, want_id);
    size_t name_len = strlen(name);
    int seen_ours = 0;
    for (const char *p = note + sigs, *end = note + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));  /* the note ends in '\n' */
        size_t l = (size_t)(nl - p);
        /* "\u2014 " name " " base64 */
        if (l < 4 || memcmp(p, EM_DASH " ", 4) != 0)
            return enlace_err_set(err, ENLACE_EINVAL, "malformed signature line in the note");
        const char *nm = p + 4, *sp = memchr(nm, ' ', l - 4);
        if (!sp) return enlace_err_set(err, ENLACE_EINVAL, "malformed signature line in the note");
        const char *b64 = sp + 1;
        size_t b64_len = (size_t)(nl - b64);
        unsigned char blob[4 + crypto_sign_BYTES + 16];
        size_t blob_len = 0;
        char tmp[128];
        if (b64_len == 0 || b64_len >= sizeof tmp)
            return enlace_err_set(err, ENLACE_EINVAL, "malformed signature in the note");
        memcpy(tmp, b64, b64_len);
        tmp[b64_len] = '\0';
        if (sodium_base642bin(blob, sizeof blob, tmp, b64_len, NULL, &blob_len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
            blob_len < 5)
            return enlace_err_set(err, ENLACE_EINVAL, "malformed signature in the note");
        p = nl + 1;
        /* signatures by other keys (witnesses, other names) are ignored (signed-note.md) */
        if ((size_t)(sp - nm) != name_len || memcmp(nm, name, name_len) != 0) continue;
        if (memcmp(blob, want_id, 4) != 0) continue;
        seen_ours = 1;
        if (blob_len != 4 + crypto_sign_BYTES ||
            crypto_sign_verify_detached(blob + 4, (const unsigned char *)note, *text_len, pk) != 0)
            return enlace_err_set(err, ENLACE_EAUTH, "bad signature: the signature by the pinned key does not verify");
    }
    if (!seen_ours)
        return enlace_err_set(err, ENLACE_EAUTH, "bad signature: not signed by the pinned key (signed by another key)");
    return 0;
}

int audit_checkpoint_verify(const char *note, size_t len, const unsigned char pk[32],
                            audit_checkpoint *out, enlace_err *err) {
    size_t text_len = 0;
    if (len > AUDIT_NOTE_MAX) return enlace_err_set(err, ENLACE_EINVAL, "checkpoint is longer than %d bytes", AUDIT_NOTE_MAX);
    if (split_note(note, len, &text_len) < 0)
        return enlace_err_set(err, ENLACE_EINVAL, "not a signed note (no blank line before signatures)");
    int rc = audit_checkpoint_parse(note, text_len, out, err);
    if (rc == 0) rc = audit_note_open(note, len, out->origin, pk, &text_len, err);
    return rc;
}

int audit_vkey_format(const char *name, const unsigned char pk[32], enlace_buf *out) {
    unsigned char id[4], typed[33];
    audit_key_id(name, pk, id);
    typed[0] = SIG_ED25519;
    memcpy(typed + 1, pk, 32);
    char b64[sodium_base64_ENCODED_LEN(33, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof b64, typed, sizeof typed, sodium_base64_VARIANT_ORIGINAL);
    enlace_buf_printf(out, "%s+%02x%02x%02x%02x+%s", name, id[0], id[1], id[2], id[3], b64);
    return out->oom ? ENLACE_ENOMEM : 0;
}

int audit_pubkey_parse(const char *text, unsigned char pk[32], enlace_err *err) {
    char name[AUDIT_ORIGIN_MAX];
    return audit_pubkey_parse_name(text, pk, name, err);
}

int audit_checkpoint_verify_pinned(const char *note, size_t len, const char *name, const unsigned char pk[32],
                                   audit_checkpoint *out, enlace_err *err) {
    if (!name || !*name) return audit_checkpoint_verify(note, len, pk, out, err);
    size_t text_len = 0;
    if (len > AUDIT_NOTE_MAX) return enlace_err_set(err, ENLACE_EINVAL, "checkpoint is longer than %d bytes", AUDIT_NOTE_MAX);
    if (split_note(note, len, &text_len) < 0)
        return enlace_err_set(err, ENLACE_EINVAL, "not a signed note (no blank line before signatures)");
    int rc = audit_checkpoint_parse(note, text_len, out, err);
    if (rc) return rc;
    int same = strcmp(out->origin, name) == 0;
    rc = audit_note_open(note, len, name, pk, &text_len, err);
    if (rc == ENLACE_EAUTH && !same && strstr(err->msg, "not signed by the pinned key"))
        return enlace_err_set(err, ENLACE_EAUTH, "bad signature: signed by '%s', not the pinned '%s'", out->origin, name);
    if (rc) return rc;
    if (!same)
        return enlace_err_set(err, ENLACE_EAUTH, "bad signature: origin '%s' is not the pinned key's name '%s'",
                              out->origin, name);
    return 0;
}

int audit_pubkey_parse_name(const char *text, unsigned char pk[32], char name[AUDIT_ORIGIN_MAX], enlace_err *err) {
    char buf[512];
    name[0] = '\0';
    while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r') text++;
    size_t n = strlen(text);
    while (n && (text[n - 1] == ' ' || text[n - 1] == '\t' || text[n - 1] == '\n' || text[n - 1] == '\r')) n--;
    if (n == 0 || n >= sizeof buf) return enlace_err_set(err, ENLACE_EINVAL, "public key is empty or too long");
    memcpy(buf, text, n);
    buf[n] = '\0';
    size_t bin_len = 0;
    if (sodium_base642bin(pk, 32, buf, n, NULL, &bin_len, NULL, sodium_base64_VARIANT_ORIGINAL) == 0 && bin_len == 32)
        return 0;
    /* a verifier key: the name ends at the first '+', then 8 hex digits and '+' (the base64 part
     * may itself hold '+') */
    char *plus1 = strchr(buf, '+');
    char *plus2 = plus1 && strlen(plus1) > 10 ? plus1 + 9 : NULL;
    if (!plus1 || plus1 == buf || !plus2 || *plus2 != '+')
        return enlace_err_set(err, ENLACE_EINVAL, "public key is neither base64 of 32 bytes nor a verifier key");
    /* name+hexid+base64(0x01 || pk) */
    *plus1 = *plus2 = '\0';
    unsigned char typed[33], id[4], want[4];
    size_t id_len = 0;
    if (sodium_hex2bin(id, 4, plus1 + 1, strlen(plus1 + 1), NULL, &id_len, NULL) != 0 || id_len != 4 ||
        sodium_base642bin(typed, sizeof typed, plus2 + 1, strlen(plus2 + 1), NULL, &bin_len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        bin_len != 33 || typed[0] != SIG_ED25519)
        return enlace_err_set(err, ENLACE_EINVAL, "malformed verifier key (want name+hexid+base64 of an Ed25519 key)");
    audit_key_id(buf, typed + 1, want);
    if (memcmp(id, want, 4) != 0)
        return enlace_err_set(err, ENLACE_EINVAL, "verifier key's id does not match its name and key");
    if (strlen(buf) >= AUDIT_ORIGIN_MAX) return enlace_err_set(err, ENLACE_EINVAL, "verifier key's name is too long");
    memcpy(pk, typed + 1, 32);
    snprintf(name, AUDIT_ORIGIN_MAX, "%s", buf);
    return 0;
}
