/* fed.h - the store's federation interface (issue 5; DESIGN.md "Federation"): partners (the
 * other parties' nodes we pull from and that pull from us), the policy epoch we serve each
 * partner, mirror collections with their resumable cursors, provenance, and each partner's
 * audit trust state and published directory taken in. Same conventions as store.h: one
 * connection, enlace_code results, err filled on failure. Tables: schema_fed.c (step 5).
 *
 * Implemented in three files: partner.c (partners, epoch, holdings), mirror.c (mirror
 * collections, pages, sweep), trust.c (trust state, directory intake). */
#ifndef ENLACE_STORE_FED_H
#define ENLACE_STORE_FED_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* ---- partners (partner.c) -------------------------------------------------------------------- */

#define STORE_URL_MAX 512
#define STORE_PUBKEY_MAX 64     /* base64 of a 32-byte Ed25519 public key is 44 characters */
#define STORE_TOKEN_MAX 128
#define STORE_EPOCH_LEN 65      /* hex SHA-256 + NUL */

typedef struct store_partner {
    char party[POLICY_PARTY_LEN];
    char url[STORE_URL_MAX];          /* its TAXII API root, e.g. "http://127.0.0.1:8022/api/" */
    char pubkey[STORE_PUBKEY_MAX];    /* base64 Ed25519 node public key, pinned */
    char pull_token[STORE_TOKEN_MAX]; /* the bearer token we pull from it with; "" = none yet */
    int64_t user_rowid;               /* the principal it pulls from us as (role partner) */
    int64_t org_rowid;                /* its node organization on this node */
    char user_name[128];              /* that user's name ("partner-us") */
    int64_t created_us;
    int64_t last_pass_us;             /* 0 = never */
    char last_error[512];             /* "" after a clean pass */
    char stopped[512];                /* non-empty: sync stopped for this reason until resumed */
} store_partner;

/* Register partner party (two upper-case letters, not the node's own) reachable at url, its node
 * key pubkey (base64, 32 bytes decoded: else ENLACE_EINVAL) pinned, pull_token (may be NULL/"").
 * In one transaction: records the party if new, an organization for its node ("<PARTY> node",
 * identity id derived from the key, not vouched), a user "partner-<party lower>" with role
 * partner, and the partner row. ENLACE_ECONFLICT when the party is already a partner. Fills
 * *out (may be NULL). The token the partner pulls with is made by the caller (token_add). */
int store_partner_add(store *s, const char *party, const char *url, const char *pubkey,
                      const char *pull_token, int64_t now_us, store_partner *out, enlace_err *err);
/* Update url / pubkey / pull_token (NULL: unchanged). A changed pubkey clears the trust state
 * (the old log's heads were signed by the old key). ENLACE_ENOTFOUND when not a partner. */
int store_partner_update(store *s, const char *party, const char *url, const char *pubkey,
                         const char *pull_token, enlace_err *err);
/* Remove the partner: its row goes, its user is disabled and its tokens revoked (added again,
 * the account is enabled but the old tokens stay dead), its agreements are removed. Mirror
 * collections and the objects in them stay (no data loss). ENLACE_ENOTFOUND when not a
 * partner. */
int store_partner_remove(store *s, const char *party, enlace_err *err);
int store_partner_get(store *s, const char *party, store_partner *out, enlace_err *err);
/* All partners by party code; malloc'd array (free()). */
int store_partner_list(store *s, store_partner **out, size_t *n, enlace_err *err);
/* Record the end of a pass: time and error ("" = clean). */
int store_partner_pass_done(store *s, const char *party, int64_t now_us, const char *error,
                            enlace_err *err);
/* Stop (reason non-empty) or resume (reason "" or NULL) a partner's sync. */
int store_partner_set_stopped(store *s, const char *party, const char *reason, enlace_err *err);

/* The policy epoch this node serves partner party (issue 5 must-have 1): hex SHA-256 over
 * everything that decides what the partner may read besides the objects themselves -- its
 * agreements (collection id, max TLP), those collections' default TLPs, the vettings of its
 * party's organizations (by whom, until, and whether still in force at now_us, so that an
 * expiry changes it too), its account's disabled flag -- so it changes exactly when one of
 * them changes -- and the withdrawal counts of the collections under its agreements (a version
 * deleted, purged or swept there, or a latest marking changed: internal.h
 * store_withdrawal_bump), not those of other collections. out gets STORE_EPOCH_LEN bytes. */
int store_policy_epoch(store *s, const char *party, int64_t now_us, char out[STORE_EPOCH_LEN],
                       enlace_err *err);

/* What a node holds, for `enlace holdings`: one row per (collection, originator organization). */
typedef struct store_holding {
    char coll_id[40];
    char coll_title[256];
    char mirror_of[POLICY_PARTY_LEN];   /* "" for a collection of our own, else the partner */
    char orig_org[128];                 /* originator organization name */
    char orig_party[POLICY_PARTY_LEN];
    int64_t objects;                    /* distinct ids */
    int64_t versions;
} store_holding;
int store_holdings(store *s, store_holding **out, size_t *n, enlace_err *err);

/* ---- mirror collections (mirror.c) ----------------------------------------------------------- */

typedef struct store_mirror {
    int64_t coll_rowid;              /* the local collection */
    char coll_id[40];                /* its TAXII id: deterministic from (party, remote id) */
    char alias[128];                 /* "<party lower>-<remote alias or remote id>" */
    char party[POLICY_PARTY_LEN];
    char remote_id[40];              /* the partner's collection id */
    char cursor[64];                 /* the partner's date_added of the last committed page; "" = start */
    char epoch[STORE_EPOCH_LEN];     /* the partner's policy epoch of the current pass; "" = none */
    int64_t pass;
    int full_pass;
} store_mirror;

/* Find or create the mirror of (party, remote_id): a local collection titled "<remote_title>
 * (<PARTY>)" with a deterministic id and alias, and its mirror row. Fills *out. The remote
 * title's control characters (C0, DEL, C1) become '?' and it is cut at STORE_MIRROR_TITLE_MAX
 * bytes (a character boundary); the alias keeps letters, digits, '.', '_', '-'. ENLACE_EINVAL
 * for a remote id with a space, control or non-ASCII character; ENLACE_ETOOBIG when party has
 * STORE_MIRRORS_MAX mirrors already (the message names the collection not mirrored). */
#define STORE_MIRRORS_MAX 256
#define STORE_MIRROR_TITLE_MAX 200
int store_mirror_ensure(store *s, const char *party, const char *remote_id, const char *remote_alias,
                        const char *remote_title, store_mirror *out, enlace_err *err);
/* Mirrors of party (NULL: all); malloc'd array (free()). */
int store_mirror_list(store *s, const char *party, store_mirror **out, size_t *n, enlace_err *err);
/* *yes = 1 when coll_rowid is a mirror collection (read-only: no POST, no DELETE, no write
 * grant), and party (may be NULL, POLICY_PARTY_LEN) gets its partner. */
int store_collection_is_mirror(store *s, int64_t coll_rowid, int *yes, char *party, enlace_err *err);
/* Restart a mirror from the beginning under epoch: cursor "", pass + 1, full_pass = 1. */
int store_mirror_restart(store *s, int64_t coll_rowid, const char *epoch, enlace_err *err);

/* What happened to one object of a page. */
typedef enum {
    STORE_RX_ADDED = 0,     /* stored in the mirror */
    STORE_RX_KNOWN = 1,     /* this version is already in this mirror (re-pull): seen, not stored */
    STORE_RX_LOOP = 2,      /* this version is already on the node elsewhere (our own, or
                             * received through another partner): nothing stored twice */
    STORE_RX_REFUSED = 3    /* originator control refused it (tombstone, another originator,
                             * impersonation) or it is a conflicting body: not stored */
} store_rx_result;

/* Store one page pulled for mirror m, in ONE transaction with the cursor (issue 5 must-have 2):
 * each object as store_put_objects would with actor {partner's node org, from_partner = 1}
 * (created_by_ref naming an organization of the partner's party becomes the originator) -- or,
 * for an object the partner relays from another party that is our partner too (its
 * orig_party), with that party's node org, as if pulled from that party directly,
 * provenance (party, now_us, m->pass) for added versions and the pass updated for known ones,
 * and then the mirror's cursor set to new_cursor. A crash leaves either all of it or none.
 * results (n entries, may be NULL) gets each object's outcome. ENLACE_ECONFLICT when the
 * mirror's pass or cursor in the store is no longer m's (another process moved it): nothing is
 * kept and the caller re-reads the mirror. */
int store_mirror_put_page(store *s, const store_mirror *m, const store_object_in *objs, size_t n,
                          const char *new_cursor, int64_t now_us, store_rx_result *results,
                          enlace_err *err);
/* After a full pass (full_pass = 1) reached the end: remove from the mirror every version the
 * pass did not deliver (the partner no longer serves it to us: narrowed agreement, vetting,
 * markings, deleted), and set full_pass = 0. *removed gets the number of versions removed. */
int store_mirror_sweep(store *s, const store_mirror *m, size_t *removed, enlace_err *err);

/* ---- trust and directory (trust.c) ----------------------------------------------------------- */

/* The partner's audit trust state (audit/verify.h state text; malloc'd, "" when none). */
int store_partner_trust_get(store *s, const char *party, char **state, enlace_err *err);
int store_partner_trust_set(store *s, const char *party, const char *state, enlace_err *err);

/* One organization a partner's signed directory publishes (its own party's). */
typedef struct store_dir_org {
    const char *identity_id;
    const char *name;
    const char *identity_json;       /* the STIX identity object as published */
} store_dir_org;
/* One vetting a partner's directory publishes: its party vets the organization identity_id. */
typedef struct store_dir_vetting {
    const char *identity_id;
    int64_t until_us;
} store_dir_vetting;

/* The published organizations a directory take-in refused as conflicts: identity ids registered
 * on this node to another party (first come between partners: the operator decides, `org list`
 * shows the party), ids reserved for a pinned partner's node organization, or ids of objects
 * another party originated here. */
typedef struct store_dir_conflicts {
    size_t n;                              /* how many published organizations were refused */
    char first_id[POLICY_IDENTITY_LEN];    /* the first one's identity id (lower case) */
    char first_name[128];                  /* its published name */
    char first_party[POLICY_PARTY_LEN];    /* the party holding it here ("" for a reserved id) */
    int changed;                           /* 1 when n / first_id differ from the last report
                                            * kept for this partner (report and audit it then) */
} store_dir_conflicts;

/* Take in party's published directory (its signature already checked by the caller), in one
 * transaction: its organizations become known organizations of party (not vouched; a name
 * taken on this node, or of the reserved form "<XX> node", gets " (<PARTY>)" appended), and the
 * vettings by party are replaced by the published ones (of organizations known here; others
 * skipped). A published organization whose identity id is registered here to another party, is
 * the key-derived identity of a pinned partner's node (partner.c), or names an object another
 * party originated here is NOT taken in: it is counted in *conflicts (may be NULL), and for a
 * partner its summary is kept so that conflicts->changed says whether it is news. *n_orgs /
 * *n_vettings (may be NULL) get how many were taken in. */
int store_directory_take_in(store *s, const char *party, const store_dir_org *orgs, size_t n_orgs,
                            const store_dir_vetting *vettings, size_t n_vettings, int64_t now_us,
                            size_t *taken_orgs, size_t *taken_vettings, store_dir_conflicts *conflicts,
                            enlace_err *err);

#endif
