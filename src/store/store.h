/* store.h - the node's storage interface: objects and versions, collections, users, tokens,
 * permissions, statuses and node settings (DESIGN.md "Storage"). sqlite.c implements it on an
 * embedded SQLite file; a PostgreSQL implementation (later) keeps the same contract.
 *
 * One `store` is one connection and is not thread-safe; a server opens one per worker thread.
 * Writers serialize inside the database (BEGIN IMMEDIATE + busy timeout), so several
 * connections on one file are safe. Every function returns an enlace_code (0 = ok) and fills
 * err (may be NULL) with a one-line message on failure. */
#ifndef ENLACE_STORE_STORE_H
#define ENLACE_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"
#include "stix/marking.h"
#include "util/err.h"

typedef struct store store;

/* Highest schema migration this build knows. A store whose user_version is higher is refused
 * with ENLACE_EVERSION. */
#define STORE_SCHEMA_VERSION 5  /* 3: originator control (issue 3), 4: audit log (issue 4),
                                 * 5: federation (issue 5) */

/* ---- life cycle ---------------------------------------------------------------------------- */

/* Open (create=1: create if missing) the SQLite store at path, in WAL mode with synchronous=FULL
 * (durable commits), foreign keys on, a busy timeout, and apply pending numbered migrations in
 * one transaction each. Returns ENLACE_EVERSION for a store newer than this build,
 * ENLACE_ENOTFOUND when create=0 and the file is missing, ENLACE_EIO otherwise. *out is owned
 * by the caller (store_close). */
int store_open(const char *path, int create, store **out, enlace_err *err);

/* Close the connection (checkpointing is left to SQLite). NULL is fine. */
void store_close(store *s);

/* Open a read transaction (BEGIN DEFERRED): the reads until store_read_end see one snapshot
 * and pay for one WAL read lock, instead of one autocommit transaction per call. Only reading
 * calls may run inside it (a writing call fails: transactions do not nest). ENLACE_EIO when a
 * transaction is already open or SQLite fails. */
int store_read_begin(store *s, enlace_err *err);
/* End the read transaction (nothing was written, so this cannot lose data). 0 when none is
 * open; ENLACE_EIO on failure (the transaction is rolled back). */
int store_read_end(store *s, enlace_err *err);

/* ---- node settings (key/value) -------------------------------------------------------------- */

/* Set key to value (NUL-terminated text). */
int store_meta_set(store *s, const char *key, const char *value, enlace_err *err);
/* Get key into out (out_len bytes, truncated). ENLACE_ENOTFOUND if absent. */
int store_meta_get(store *s, const char *key, char *out, size_t out_len, enlace_err *err);

/* ---- collections (T§5.1, T§5.2) -------------------------------------------------------------- */

typedef struct store_collection {
    int64_t rowid;           /* internal key used by every object call */
    char id[40];             /* TAXII identifier (UUIDv4) */
    char title[256];
    char description[1024];  /* "" when none */
    char alias[128];         /* "" when none; unique in the API root */
    int can_read, can_write; /* filled for a given user by store_collection_list/find_for_user */
} store_collection;

/* Create a collection. id may be NULL (a UUIDv4 is made); alias/description may be NULL.
 * ENLACE_ECONFLICT when id or alias is taken. Fills *out (may be NULL). */
int store_collection_create(store *s, const char *id, const char *title, const char *description,
                            const char *alias, store_collection *out, enlace_err *err);

/* Find a collection by id or alias; fill can_read/can_write for user_rowid (0: both 0).
 * ENLACE_ENOTFOUND if none. */
int store_collection_find(store *s, const char *id_or_alias, int64_t user_rowid,
                          store_collection *out, enlace_err *err);

/* List collections in a stable order (creation order). With user_rowid > 0 only those the user
 * may read or write, with its flags; with user_rowid == 0 all of them (flags 0). *out is a
 * malloc'd array of *n entries (free()); NULL when *n == 0. */
int store_collection_list(store *s, int64_t user_rowid, store_collection **out, size_t *n,
                          enlace_err *err);

/* Set a user's can_read / can_write on a collection (both 0 removes the grant). */
int store_grant(store *s, int64_t user_rowid, int64_t coll_rowid, int can_read, int can_write,
                enlace_err *err);

/* ---- users and tokens ------------------------------------------------------------------------ */

/* Roles (issue 3 "Who is who"); a user may hold several. */
#define STORE_ROLE_ANALYST  1u  /* reads; writes as its organization */
#define STORE_ROLE_LIAISON  2u  /* an officer of a partner party: reads only, every access audited */
#define STORE_ROLE_APPROVER 4u  /* reads; approves operations (a later issue) */
#define STORE_ROLE_ADMIN    8u  /* manages the node; no right to read or write objects by itself */
#define STORE_ROLE_PARTNER 16u  /* another party's node pulling from this one (issue 5) */

/* Parse "analyst,approver" (comma-separated role names) into a mask; 0 when a name is unknown
 * or the list is empty. */
unsigned store_roles_parse(const char *s);
/* Format a mask as "analyst,approver" into out (out_len bytes). */
void store_roles_format(unsigned roles, char *out, size_t out_len);

typedef struct store_user {
    int64_t rowid;
    char name[128];
    unsigned roles;          /* STORE_ROLE_* mask */
    int64_t org_rowid;       /* the user's organization (store_org); every user has one */
    char org[128];           /* that organization's name (filled by the store) */
    char party[POLICY_PARTY_LEN]; /* that organization's party (filled by the store) */
    char pw_hash[160];       /* libsodium crypto_pwhash_str (Argon2id) string, "" when no password */
    int disabled;
    int64_t created_us;
} store_user;

/* Add a user of organization org_rowid with roles (a non-zero STORE_ROLE_* mask). pw_hash may
 * be NULL/"" (token-only user). ENLACE_ECONFLICT if the name exists, ENLACE_ENOTFOUND when the
 * organization does not, ENLACE_EINVAL for roles that do not fit the organization: a liaison
 * belongs to an organization of another party than the node's; analyst, approver and admin to
 * one of the node's own party; a partner to a node organization of another party. */
int store_user_add(store *s, const char *name, unsigned roles, int64_t org_rowid,
                   const char *pw_hash, int64_t now_us, store_user *out, enlace_err *err);
/* Look a user up by name. ENLACE_ENOTFOUND if absent. */
int store_user_get(store *s, const char *name, store_user *out, enlace_err *err);
/* Look a user up by rowid. ENLACE_ENOTFOUND if absent. */
int store_user_get_by_rowid(store *s, int64_t rowid, store_user *out, enlace_err *err);
/* All users in creation order: malloc'd array (free()). */
int store_user_list(store *s, store_user **out, size_t *n, enlace_err *err);
/* Disable (1) or enable (0) a user; disabled users and their tokens no longer authenticate. */
int store_user_set_disabled(store *s, const char *name, int disabled, enlace_err *err);
/* Replace a user's password hash. */
int store_user_set_password(store *s, const char *name, const char *pw_hash, enlace_err *err);

typedef struct store_token {
    int64_t rowid;
    char token_id[40];       /* public handle shown by `token list` and used by `token revoke` */
    int64_t user_rowid;
    char user_name[128];
    int64_t created_us;
    int revoked;
} store_token;

/* Record a bearer token by its SHA-256 (32 bytes); the token itself is never stored. */
int store_token_add(store *s, int64_t user_rowid, const unsigned char sha256[32],
                    const char *token_id, int64_t now_us, enlace_err *err);
/* Find an unrevoked token by its SHA-256. ENLACE_ENOTFOUND when unknown or revoked. */
int store_token_find(store *s, const unsigned char sha256[32], store_token *out, enlace_err *err);
/* Revoke by token_id. ENLACE_ENOTFOUND when unknown. */
int store_token_revoke(store *s, const char *token_id, enlace_err *err);
/* All tokens (revoked included), malloc'd array. */
int store_token_list(store *s, store_token **out, size_t *n, enlace_err *err);

/* ---- parties, organizations, vettings, agreements (issue 3 "Who is who") -------------------- */

/* The node's own party and organization are set by `enlace init` (meta "party", and the
 * organization row marked self = 1, whose identity is meta "identity_id"). */

typedef struct store_party {
    char code[POLICY_PARTY_LEN];  /* ISO 3166-1 alpha-2, upper case */
    char name[128];               /* "" when none given */
    int self;                     /* 1: this node's party */
} store_party;

/* Record a party (idempotent for the same code: the name is updated). ENLACE_EINVAL when code
 * is not two upper-case ASCII letters. */
int store_party_add(store *s, const char *code, const char *name, enlace_err *err);
/* All known parties, the node's own first. malloc'd array (free()). */
int store_party_list(store *s, store_party **out, size_t *n, enlace_err *err);

typedef struct store_org {
    int64_t rowid;
    char identity_id[POLICY_IDENTITY_LEN]; /* its STIX identity (identity_class organization) */
    char name[128];               /* short name, unique on this node ("UIN-7") */
    char party[POLICY_PARTY_LEN];
    int self;                     /* 1: this node's own organization */
    int vouched;                  /* 1: an organization of this node's party, vouched for by this
                                   * node (published to partners); 0: another party's, known here
                                   * (a liaison's agency, a partner node, a unit this party vets) */
    int64_t created_us;
} store_org;

/* Record an organization. identity_json is its STIX identity object (TLP:CLEAR; kept as given
 * and published when vouched). vouched = 1 requires party == the node's party (a node may vouch
 * only for its own party's organizations: else ENLACE_EINVAL). The party is recorded if new.
 * ENLACE_ECONFLICT when the name or identity id is taken. */
int store_org_add(store *s, const char *identity_id, const char *name, const char *party,
                  int vouched, const char *identity_json, int64_t now_us, store_org *out,
                  enlace_err *err);
/* Find by name or identity id. ENLACE_ENOTFOUND if absent. */
int store_org_get(store *s, const char *name_or_identity, store_org *out, enlace_err *err);
int store_org_get_by_rowid(store *s, int64_t rowid, store_org *out, enlace_err *err);
/* All organizations in creation order (the node's own first). malloc'd array (free()). */
int store_org_list(store *s, store_org **out, size_t *n, enlace_err *err);
/* The stored identity JSON of an organization (malloc'd, caller frees). */
int store_org_identity_json(store *s, int64_t org_rowid, char **json, enlace_err *err);

typedef struct store_vetting {
    int64_t org_rowid;
    char org_name[128];
    char org_identity[POLICY_IDENTITY_LEN];
    char org_party[POLICY_PARTY_LEN];
    char by_party[POLICY_PARTY_LEN];  /* the vetting party */
    int64_t until_us;                 /* expiry (exclusive) */
    int64_t created_us;
} store_vetting;

/* Record that by_party vets organization org_rowid until until_us (replaces an earlier vetting
 * by the same party). ENLACE_EINVAL when the organization belongs to by_party itself. */
int store_vetting_set(store *s, int64_t org_rowid, const char *by_party, int64_t until_us,
                      int64_t now_us, enlace_err *err);
/* Remove a vetting. ENLACE_ENOTFOUND when there is none. */
int store_vetting_remove(store *s, int64_t org_rowid, const char *by_party, enlace_err *err);
/* All vettings (expired included), malloc'd array (free()). */
int store_vetting_list(store *s, store_vetting **out, size_t *n, enlace_err *err);

typedef struct store_agreement {
    char party[POLICY_PARTY_LEN];  /* the partner party */
    int64_t coll_rowid;
    char coll_id[40];
    int max_tlp;                   /* policy_tlp: the highest TLP that may flow (RED = no cap) */
    int64_t created_us;
    int default_tlp;               /* the collection's default TLP (POLICY_TLP_NONE: none) */
} store_agreement;

/* A sharing agreement: party may pull collection coll_rowid, objects up to max_tlp (issue 5
 * defines the partner side; the decision uses agreements already, rules 3 and 4). Replaces an
 * earlier agreement for the same (party, collection). ENLACE_EINVAL for the node's own party. */
int store_agreement_set(store *s, const char *party, int64_t coll_rowid, int max_tlp,
                        int64_t now_us, enlace_err *err);
int store_agreement_remove(store *s, const char *party, int64_t coll_rowid, enlace_err *err);
int store_agreement_list(store *s, store_agreement **out, size_t *n, enlace_err *err);

/* Set a collection's default TLP for objects carrying none (POLICY_TLP_NONE: no default, such
 * objects are AMBER). */
int store_collection_set_default_tlp(store *s, int64_t coll_rowid, int tlp, enlace_err *err);

/* Build the principal a user reads as: kind from its roles (partner > liaison > user), its
 * organization, party and vettings (all vettings of the organization, or for a partner those of
 * every organization of its party), the node's party, now_us. ENLACE_EDENIED when the user may
 * not read objects at all (admin only). */
int store_principal_for_user(store *s, const store_user *u, int64_t now_us, policy_principal *p,
                             enlace_err *err);

/* ---- objects (T§5.3-§5.8) -------------------------------------------------------------------- */

/* One object of a POSTed envelope, already validated (stix_validate) and minified. */
typedef struct store_object_in {
    const char *id;
    const char *type;
    const char *spec_version;   /* "2.1" or "2.0" */
    int has_version;            /* 0 for an SCO without created/modified */
    const char *version;        /* producer's string (when has_version) */
    const char *version_key;    /* stix_time_parse key (when has_version) */
    const char *body;           /* minified JSON text, stored as is */
    size_t body_len;
    const char *created_by_ref; /* NULL when absent */
    const stix_marking *marking;/* its markings (stix_marking_extract); NULL = unmarked */
    int md_tlp;                 /* a marking-definition object: the TLP level it defines
                                 * (stix_marking_definition_tlp), so that later objects that
                                 * reference its id resolve; else STIX_TLP_NONE */
    const char *orig_party;     /* mirror pages only (store_mirror_put_page): the originator
                                 * party the partner names for an object it relays from another
                                 * party (x_enlace_originators); NULL: the partner's own. Ignored
                                 * by store_put_objects. */
} store_object_in;

/* Who puts objects on the node (issue 3 "Originator"). */
typedef struct store_actor {
    int64_t org_rowid;          /* the organization writing (a user's; a partner's node org) */
    int from_partner;           /* 1: objects pulled from a partner node (issue 5): a
                                 * created_by_ref naming an organization vouched for by its own
                                 * party's node becomes the originator */
} store_actor;

typedef enum {
    STORE_ADDED = 0,      /* new version stored */
    STORE_DUPLICATE = 1,  /* identical version already stored: idempotent success */
    STORE_CONFLICT = 2,   /* a different body is stored under the same (id, version): refused */
    STORE_REFUSED = 3     /* originator control refused it: another organization originated the
                           * id, or it is another organization's identity, or it was purged
                           * (tombstone) -- one reason text for all three, naming nobody -- or
                           * created_by_ref names another known organization */
} store_put_result;

typedef struct store_put_outcome {
    store_put_result result;
    char version[80];     /* version reported in the status (T§4.3.1): the producer's string, or
                           * for an unversioned SCO the TAXII timestamp of its first date_added */
    int64_t date_added;   /* microseconds; the stored row's */
    char reason[256];     /* for STORE_CONFLICT */
} store_put_outcome;

/* Originator control (issue 3): actor NULL means the node's own organization. Ids are keyed in
 * lower case (the body is stored as received). The first version of an id fixes its originator
 * (organization, party) node-wide; a registered organization's identity id is that
 * organization's; a later version from another organization, an object whose created_by_ref
 * names another known organization, and a purged (tombstoned) id are STORE_REFUSED with a
 * reason, the rest of the envelope is kept. Markings are kept per version in indexed columns
 * for the query predicate, with the markings of the id's latest version on the node (any
 * collection, any spec version) copied onto each version; a marking reference resolves only
 * against a marking-definition of the object's own originator, else counts as at least AMBER.
 *
 * Store n objects into collection coll_rowid in ONE transaction (DESIGN invariant 4): each new
 * version gets a date_added strictly greater than any before in the collection (now_us, bumped
 * on ties; invariant 2); first/last version flags are maintained. A version is keyed by
 * (id, version_key) or, for an SCO without timestamps, by the date_added of its first copy.
 * Re-posting a stored version is STORE_DUPLICATE when the bodies are equal as JSON values,
 * STORE_CONFLICT otherwise. outs has n entries. On a storage error nothing is kept and an error
 * is returned (the caller reports every object as failed). */
int store_put_objects(store *s, int64_t coll_rowid, const store_actor *actor,
                      const store_object_in *objs, size_t n, int64_t now_us,
                      store_put_outcome *outs, enlace_err *err);

/* Builds the status resource (T§4.3) of an envelope from its outcomes (outs[0..n), as filled
 * by the store). Sets *json to NUL-terminated text owned by ctx that stays valid until the
 * store call returns. Returns 0, or an enlace_code to abort the envelope. */
typedef int (*store_status_fn)(void *ctx, const store_put_outcome *outs, size_t n, const char **json);

/* store_put_objects, plus the POST's status resource (as store_status_put: status_id,
 * user_rowid, made at now_us) written in the SAME transaction, so a POST costs one durable
 * commit and a status never names objects a crash lost. build runs once, after the objects are
 * in and before COMMIT. On any error (storage, or build's code) nothing is kept, neither
 * objects nor status; the caller may then report every object as failed with
 * store_status_put. */
int store_put_objects_status(store *s, int64_t coll_rowid, const store_actor *actor,
                             const store_object_in *objs, size_t n,
                             int64_t now_us, store_put_outcome *outs, const char *status_id,
                             int64_t user_rowid, store_status_fn build, void *ctx,
                             enlace_err *err);

/* Version selection (match[version], T§3.4.1). */
#define STORE_V_LAST  1u
#define STORE_V_FIRST 2u
#define STORE_V_ALL   4u

typedef struct store_query {
    int64_t coll_rowid;
    const char *object_id;        /* non-NULL: only this id (T§5.6-§5.8) */
    int64_t after_us;             /* only date_added > after_us (added_after and/or cursor); -1: none */
    const char *const *ids; size_t n_ids;        /* match[id], ORed */
    const char *const *types; size_t n_types;    /* match[type], ORed */
    unsigned version_flags;       /* STORE_V_*; 0 with n_version_keys == 0 means LAST */
    const char *const *version_keys; size_t n_version_keys; /* normalized timestamps, ORed with flags */
    const char *const *spec_versions; size_t n_spec;  /* match[spec_version]; 0 = latest spec only */
    size_t limit;                 /* max rows to deliver (> 0) */
    const policy_principal *principal; /* REQUIRED for reads (NULL: ENLACE_EINVAL): only
                                   * versions policy_visible allows are matched, counted and
                                   * delivered (DESIGN invariant 6; issue 3 must-have 1) */
} store_query;

typedef struct store_row {
    const char *id;
    const char *type;
    const char *spec_version;
    const char *version;          /* as reported in manifests, versions and statuses */
    int64_t date_added;           /* microseconds */
    const char *body; size_t body_len;   /* stored JSON text (not NUL-terminated) */
    int64_t orig_org;             /* originator organization rowid */
    const char *orig_party;       /* originator party code */
    int64_t rowid;                /* the stored version's row (audit leaves name it) */
} store_row;

/* Called once per row in date_added order; pointers are valid only during the call.
 * Return 0 to continue, non-zero to stop (store_query_objects then returns ENLACE_EIO). */
typedef int (*store_row_fn)(void *ctx, const store_row *row);

/* Deliver up to q->limit matching rows in ascending date_added order; *more = 1 when at least
 * one further row matches. Semantics (T§3.4.1): without match[spec_version] only versions of
 * each object's latest spec_version count; version LAST/FIRST then pick the newest/oldest of
 * those (by version instant); ALL keeps every version; timestamps match version_key exactly.
 * Filtering happens in the query, so limit and more are exact. */
int store_query_objects(store *s, const store_query *q, store_row_fn fn, void *ctx, int *more,
                        enlace_err *err);

/* Delete the versions of object_id in the collection that match the query's version and spec
 * filters (T§5.7; no filter = all versions), fixing first/last flags of what remains.
 * Without match[spec_version], STORE_V_ALL (or no version filter) deletes every version of
 * every spec version, a timestamp deletes that version whatever its spec, and LAST/FIRST mean
 * the versions a GET shows (latest spec). after_us and limit are ignored.
 * *n_deleted gets the count; ENLACE_ENOTFOUND when nothing matched.
 * q->principal is required: an object it may not see is ENLACE_ENOTFOUND (its existence never
 * leaks); one it sees but did not originate (its organization is not the originator) is
 * ENLACE_EDENIED: only the originator deletes. */
int store_delete_object(store *s, const store_query *q, size_t *n_deleted, enlace_err *err);

/* Count the versions stored in a collection (all versions, all spec versions). */
int store_count_objects(store *s, int64_t coll_rowid, int64_t *count, enlace_err *err);

/* ---- review and purge (issue 3 must-have 4) --------------------------------------------------- */

#define STORE_ID_MAX 128

typedef struct store_review_item {
    char id[STORE_ID_MAX];
    char type[64];
    char coll_id[40];
    char orig_org[128];           /* originator organization name */
    char orig_party[POLICY_PARTY_LEN];
    int64_t review_by_us;         /* of the object's latest version on the node */
} store_review_item;

/* Objects (one item per collection holding the id) whose latest version on the node has a
 * review_by before until_us (due, or overdue when before now), oldest first: metadata only,
 * never bodies. malloc'd array (free()). */
int store_review_list(store *s, int64_t until_us, store_review_item **out, size_t *n,
                      enlace_err *err);

/* Remove every version (in every collection) of each object whose latest version on the node
 * has a review_by before now_us, and leave a tombstone per id (id, originator, purged_us, by) so that the id
 * is never taken in again (store_put refuses it). One transaction. *n_purged gets the number
 * of ids purged; their ids are appended (NUL-separated) to ids_out when non-NULL (malloc'd,
 * caller frees). */
int store_purge_due(store *s, int64_t now_us, const char *by, size_t *n_purged, char **ids_out,
                    size_t *ids_len, enlace_err *err);

/* *yes = 1 when id has a tombstone (purged), 0 when not. */
int store_is_tombstoned(store *s, const char *id, int *yes, enlace_err *err);

/* ---- status resources (T§4.3) ---------------------------------------------------------------- */

/* Keep a status resource: its JSON text (as served), the user it belongs to, and when it was
 * made. Statuses are served for at least 24 hours; store_status_purge removes older ones. */
int store_status_put(store *s, const char *status_id, int64_t user_rowid, const char *json,
                     int64_t now_us, enlace_err *err);
/* Fetch a status's JSON (malloc'd, caller frees) if it belongs to user_rowid and is younger than
 * max_age_us. ENLACE_ENOTFOUND otherwise. */
int store_status_get(store *s, const char *status_id, int64_t user_rowid, int64_t now_us,
                     int64_t max_age_us, char **json, enlace_err *err);
/* Remove statuses made before older_than_us. */
int store_status_purge(store *s, int64_t older_than_us, enlace_err *err);

#endif
