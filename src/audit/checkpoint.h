/* checkpoint.h - signed tree heads as C2SP tlog-checkpoint signed notes (issue 4 must-have 3):
 * make and sign one with the node's Ed25519 key, parse and verify one against a pinned key.
 *
 * A checkpoint (https://github.com/C2SP/C2SP/blob/main/tlog-checkpoint.md) is the note text
 *     <origin>\n<tree size, decimal>\n<root hash, base64>\n
 * signed as a C2SP signed note (signed-note.md): the text, an empty line, then one line per
 * signature, "\u2014 <key name> <base64(key id || signature)>\n", where for Ed25519 the key id is
 * the first 4 bytes of SHA-256(key name || 0x0A || 0x01 || public key) and the signature covers
 * the text (final newline included). enlace signs with key name = origin, so tools that read
 * checkpoints (Go golang.org/x/mod/sumdb/note, transparency-dev, sigsum) read ours given the
 * verifier key audit_vkey_format prints. */
#ifndef ENLACE_AUDIT_CHECKPOINT_H
#define ENLACE_AUDIT_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/merkle.h"

#define AUDIT_ORIGIN_MAX 256
#define AUDIT_NOTE_MAX 8192   /* a checkpoint note longer than this is refused */

typedef struct audit_checkpoint {
    char origin[AUDIT_ORIGIN_MAX];          /* the log's name, first line */
    uint64_t size;                          /* tree size */
    unsigned char root[MERKLE_HASH_LEN];    /* RFC 9162 root hash of the first size leaves */
} audit_checkpoint;

/* The signed-note key id of an Ed25519 key named name (see above). Can't fail. */
void audit_key_id(const char *name, const unsigned char pk[32], unsigned char id[4]);

/* Sign note text (len bytes, ending in '\n', no blank line, no control characters) as a C2SP
 * signed note with Ed25519 key sk (64-byte libsodium secret key) under key name name, appending
 * the note to out. ENLACE_EINVAL for a bad name or text; ENLACE_ENOMEM. */
int audit_note_sign(const char *text, size_t len, const char *name, const unsigned char sk[64],
                    enlace_buf *out, enlace_err *err);

/* Check that note (len bytes) is a signed note with a valid signature by (name, pk); *text_len
 * gets the length of its signed text. Signature lines of other keys are ignored. ENLACE_EINVAL
 * when malformed; ENLACE_EAUTH "bad signature: ..." when no line is by that key or its signature
 * does not verify. */
int audit_note_open(const char *note, size_t len, const char *name, const unsigned char pk[32],
                    size_t *text_len, enlace_err *err);

/* The origin enlace uses for a node's log: "enlace/<party>/<node identity id>" into out
 * (AUDIT_ORIGIN_MAX bytes). Can't fail (truncates). */
void audit_origin(const char *party, const char *identity_id, char out[AUDIT_ORIGIN_MAX]);

/* Append the signed checkpoint of (origin, size, root) to out, signed with the 64-byte libsodium
 * Ed25519 secret key sk under key name origin. ENLACE_EINVAL when origin is empty or holds a
 * space, '+', or a control character (signed-note key-name rules); ENLACE_ENOMEM. */
int audit_checkpoint_sign(const char *origin, uint64_t size, const unsigned char root[MERKLE_HASH_LEN],
                          const unsigned char sk[64], enlace_buf *out, enlace_err *err);

/* Parse the checkpoint text of a note (its first three lines; extension lines after them are
 * allowed and ignored) WITHOUT checking any signature. ENLACE_EINVAL when malformed. */
int audit_checkpoint_parse(const char *note, size_t len, audit_checkpoint *out, enlace_err *err);

/* Parse note and verify it is signed by Ed25519 public key pk under the key name of its own
 * origin (signatures by other keys are ignored, as signed-note.md says). Returns 0 with *out
 * filled; ENLACE_EINVAL when the note is malformed; ENLACE_EAUTH when no signature line is by
 * pk (unknown key id: "signed by another key") or the signature does not verify ("bad
 * signature"). */
int audit_checkpoint_verify(const char *note, size_t len, const unsigned char pk[32],
                            audit_checkpoint *out, enlace_err *err);

/* The verifier key text "<name>+<hex key id>+<base64(0x01 || pk)>" (the form Go's
 * sumdb/note.NewVerifier reads) into out. */
int audit_vkey_format(const char *name, const unsigned char pk[32], enlace_buf *out);

/* Read a public key given as base64 of the 32 raw bytes (node.pub, meta node_pubkey) or as a
 * verifier key (audit_vkey_format; its key id must match). Surrounding whitespace is ignored.
 * ENLACE_EINVAL when it is neither. */
int audit_pubkey_parse(const char *text, unsigned char pk[32], enlace_err *err);
/* The same, and name gets the key's name when text is a verifier key ("" for a bare base64 key). */
int audit_pubkey_parse_name(const char *text, unsigned char pk[32], char name[AUDIT_ORIGIN_MAX], enlace_err *err);

/* audit_checkpoint_verify with a pinned key name (from a verifier key NAME+ID+KEY; NULL or "" =
 * none: as audit_checkpoint_verify): the note must be signed by pk under key name name AND its
 * origin must be name (security review F5: the NAME of a pinned verifier key was ignored).
 * ENLACE_EAUTH "bad signature: signed by '<origin>', not the pinned '<name>'" when no signature
 * by (name, pk) is on a note of another origin; "origin '<o>' is not the pinned key's name
 * '<name>'" when such a signature is there but the origin differs; other errors as above. */
int audit_checkpoint_verify_pinned(const char *note, size_t len, const char *name, const unsigned char pk[32],
                                   audit_checkpoint *out, enlace_err *err);

#endif
