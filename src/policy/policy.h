/* policy.h - originator control: may this principal read this STIX object? (DESIGN.md "Policy
 * model", invariant 6; issue 3 "The decision"). policy_decide is a pure function of a principal,
 * the collection the object is read from, and the object's policy metadata; the store calls it
 * from its query predicate (SQL function enlace_visible), so listings, counts, manifests and
 * paging are filtered in the query and `limit`/`more`/`next` stay exact. Nothing here touches
 * storage, the clock or the network. */
#ifndef ENLACE_POLICY_POLICY_H
#define ENLACE_POLICY_POLICY_H

#include <stddef.h>
#include <stdint.h>

/* Canonical TLP levels, ordered from least to most restrictive (the most restrictive of
 * conflicting markings wins: take the max). Same numbering as stix_marking.tlp. */
typedef enum {
    POLICY_TLP_NONE = -1,        /* the object carries no TLP marking */
    POLICY_TLP_CLEAR = 0,        /* TLP 2.0 CLEAR = TLP 1.0 WHITE */
    POLICY_TLP_GREEN = 1,
    POLICY_TLP_AMBER = 2,
    POLICY_TLP_AMBER_STRICT = 3,
    POLICY_TLP_RED = 4
} policy_tlp;

/* "clear", "green", "amber", "amber+strict", "red" ("none" for POLICY_TLP_NONE). */
const char *policy_tlp_name(int tlp);
/* Parse one of the names above (case-insensitive; "white" = clear). Returns the level, or -2
 * when s is not a TLP name. */
int policy_tlp_parse(const char *s);

typedef enum {
    POLICY_USER = 0,     /* a local account (analyst, approver) of this node */
    POLICY_LIAISON = 1,  /* an officer of another party with an account here: reads only */
    POLICY_PARTNER = 2   /* another party's node pulling from this one (reads as its party) */
} policy_kind;

#define POLICY_PARTY_LEN 3     /* ISO 3166-1 alpha-2 code + NUL */
#define POLICY_IDENTITY_LEN 48 /* "identity--" + UUID + NUL */
#define POLICY_MAX_VETTINGS 16

/* One vetting that applies to the principal: party `party` vets it until until_us (microseconds
 * since the epoch; expired when now_us >= until_us). */
typedef struct policy_vetting {
    char party[POLICY_PARTY_LEN];
    int64_t until_us;
} policy_vetting;

/* Who is reading. Built by the store from a user row (store_principal_for_user) or, for tests,
 * by hand. */
typedef struct policy_principal {
    policy_kind kind;
    int64_t org;                            /* organization rowid on this node (> 0) */
    char org_identity[POLICY_IDENTITY_LEN]; /* that organization's STIX identity id */
    char party[POLICY_PARTY_LEN];           /* the principal's party */
    char node_party[POLICY_PARTY_LEN];      /* the party of the node deciding */
    /* Users and liaisons: the vettings of their organization. Partners: the vettings of any
     * organization of their party (rule 5: a partner node may pull a vetted_only object when
     * the originator party vets at least one of its party's organizations). */
    policy_vetting vetted[POLICY_MAX_VETTINGS];
    size_t n_vetted;
    int64_t now_us;                         /* the decision's clock (review_by, vetting expiry) */
} policy_principal;

/* The collection an object is read from, as seen by the principal. */
typedef struct policy_context {
    int default_tlp;      /* the collection's TLP for objects carrying none; POLICY_TLP_NONE:
                           * no default (such objects are AMBER) */
    int agreement;        /* 1: the principal's party has a sharing agreement covering this
                           * collection (issue 5 defines agreements; the table exists now) */
    int max_tlp;          /* the agreement's highest TLP that may flow (POLICY_TLP_RED when it
                           * names none); only meaningful when agreement = 1 */
} policy_context;

/* An object version's policy metadata: its id's originator (fixed by the first version) and
 * its own markings. Comma-framed lists (",MX,US,") let a match be one substring search. */
typedef struct policy_object {
    int64_t orig_org;                 /* originator organization rowid */
    char orig_party[POLICY_PARTY_LEN];/* originator party */
    int tlp;                          /* policy_tlp; POLICY_TLP_NONE when unmarked */
    const char *releasable_to;        /* NULL: absent; else ",MX,US," (may be ",," = nobody) */
    const char *releasable_to_orgs;   /* NULL: absent; else ",identity--…,identity--…," */
    int orcon;                        /* 1: onward sharing only with the originator's consent */
    int vetted_only;                  /* 1: only organizations vetted by the originator party */
    int64_t review_by_us;             /* 0: none; else past it only the originator sees it */
} policy_object;

/* Why a decision came out as it did; each rule of issue 3 has its own reasons. */
typedef enum {
    POLICY_ALLOW_ORIGINATOR = 0,     /* rule 1: the principal's organization is the originator */
    POLICY_ALLOW_TLP_CLEAR,          /* rule 4: CLEAR */
    POLICY_ALLOW_SAME_PARTY,         /* rule 4: GREEN/AMBER, principal of the originator party */
    POLICY_ALLOW_RELEASABLE,         /* rule 4: GREEN/AMBER, principal's party in releasable_to */
    POLICY_ALLOW_AGREEMENT,          /* rule 4: GREEN without releasable_to, agreement party */
    POLICY_ALLOW_NAMED_ORG,          /* rule 4: AMBER+STRICT, organization named */
    POLICY_DENY_REVIEW,              /* rule 2: past review_by */
    POLICY_DENY_NO_AGREEMENT,        /* rule 3: partner without an agreement covering the collection */
    POLICY_DENY_ABOVE_AGREEMENT,     /* rule 3: TLP above the agreement's max_tlp */
    POLICY_DENY_TLP_GREEN,           /* rule 4: GREEN, party neither originator, listed nor agreement */
    POLICY_DENY_TLP_AMBER,           /* rule 4: AMBER, party neither originator nor listed */
    POLICY_DENY_TLP_AMBER_STRICT,    /* rule 4: AMBER+STRICT, organization not named */
    POLICY_DENY_TLP_RED,             /* rule 4: RED, not the originator organization */
    POLICY_DENY_NOT_VETTED,          /* rule 5: vetted_only, no (unexpired) vetting by the originator party */
    POLICY_DENY_VETTING_EXPIRED,     /* rule 5: vetted_only, the vetting has expired */
    POLICY_DENY_RELAY_ORCON,         /* rule 6: relay of an ORCON object */
    POLICY_DENY_RELAY_NOT_RELEASABLE /* rule 6: relay of a non-CLEAR object not releasable to the partner's party */
} policy_reason;

typedef struct policy_decision {
    int allow;              /* 1 allow, 0 deny */
    policy_reason reason;
} policy_decision;

/* Decide whether principal p may read object o from a collection with context c (issue 3
 * rules 1-6, in order; rule 1 short-circuits). Pure, total, thread-safe; all pointers must be
 * non-NULL. A version is visible only when it AND its object's latest version are allowed: the
 * caller decides both (policy_visible does). */
policy_decision policy_decide(const policy_principal *p, const policy_context *c, const policy_object *o);

/* policy_decide on a version and on its object's latest version; allowed only when both are.
 * Returns the first denial, else the version's allow. */
policy_decision policy_visible(const policy_principal *p, const policy_context *c,
                               const policy_object *version, const policy_object *latest);

/* Stable snake_case name of a reason ("allow_originator", "deny_tlp_amber", ...) for status
 * details, audit leaves and test tables. */
const char *policy_reason_name(policy_reason r);

#endif
