/* entry.h - one audit log entry (issue 4 must-have 1) and its canonical encoding, the exact bytes
 * that become a Merkle leaf (docs/audit.md "Leaf encoding"). */
#ifndef ENLACE_AUDIT_ENTRY_H
#define ENLACE_AUDIT_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

/* The encoding version written in every entry ("v"). A change of members or order is a new
 * version; old leaves keep theirs (they are hashed as they are). Version 2 added "salt" (security
 * review F1: without it the text of an entry shown as its leaf hash only was predictable enough
 * to brute-force SHA-256(0x00 || entry)); version 1 leaves (no salt) are still read. */
#define AUDIT_ENTRY_VERSION 2
#define AUDIT_SALT_LEN 16   /* random bytes per entry, written as base64 (24 characters) */

/* Actions. Reads and writes of objects; every admin change has its own name. */
#define AUDIT_READ "read"
#define AUDIT_WRITE "write"
#define AUDIT_DELETE "delete"

/* An object version named by an entry: its id and version (the producer's modified/created
 * string; "" for an SCO without one). */
typedef struct audit_object {
    const char *id;
    const char *version;
} audit_object;

/* What happened, by whom, about whose objects. Strings are borrowed, NUL-terminated; NULL is
 * written as "". */
typedef struct audit_entry {
    int64_t time_us;            /* when (microseconds since the epoch, UTC) */
    const char *principal;      /* user name of who acted */
    const char *org;            /* its organization's name */
    const char *party;          /* its party (ISO 3166-1 alpha-2) */
    const char *action;         /* AUDIT_READ/WRITE/DELETE, or an admin action ("user-add", ...) */
    const char *collection;     /* the collection's id, "" when none */
    const char *about;          /* the originator party of the objects named (the grouping key:
                                 * one entry per request and originator party); for admin
                                 * changes and requests that named no object, the node's party */
    const char *decision;       /* "allow" or "deny" */
    const char *reason;         /* why, when there is something to say (a policy reason name,
                                 * "no read grant", a refusal reason), else "" */
    const char *target;         /* admin changes: what was changed ("kate.doyle", a token id,
                                 * "UIN-7 by US"), else "" */
    const audit_object *objects; /* the object versions returned or stored, n_objects of them */
    size_t n_objects;
} audit_entry;

/* Append e's canonical encoding to out: one JSON object, no whitespace, members in this fixed
 * order: v, salt, time, principal, org, party, action, collection, about, decision, reason,
 * target, objects; salt the base64 (standard alphabet, padded) of AUDIT_SALT_LEN bytes fresh
 * from randombytes_buf, so that a leaf hash reveals nothing about a predictable entry; time an
 * integer; objects an array of [id, version] pairs in the order given; strings escaped by
 * enlace_buf_json_str (so any bytes give valid JSON, deterministically). Returns 0, or
 * ENLACE_ENOMEM (out->oom). */
int audit_entry_encode(const audit_entry *e, enlace_buf *out);
/* The same with the given salt (tests, re-encoding a decoded entry): deterministic. */
int audit_entry_encode_salted(const audit_entry *e, const unsigned char salt[AUDIT_SALT_LEN], enlace_buf *out);

/* An entry read back from its bytes (audit show, tests). Owns its strings. */
typedef struct audit_entry_doc {
    audit_entry e;              /* points into the doc */
    int version;                /* "v" */
    int has_salt;               /* version 2 and later: salt holds the entry's salt */
    unsigned char salt[AUDIT_SALT_LEN];
    void *priv;                 /* parsed tree (json-c); audit_entry_doc_free releases it */
    audit_object *objs;
} audit_entry_doc;

/* Parse data (len bytes) written by audit_entry_encode (version 1, without salt, or 2).
 * ENLACE_EINVAL when it is not such an entry (not JSON, missing members, wrong types, a version
 * 2 entry without a 16-byte salt). Free with audit_entry_doc_free. */
int audit_entry_decode(const void *data, size_t len, audit_entry_doc *out, enlace_err *err);
void audit_entry_doc_free(audit_entry_doc *d);

#endif
