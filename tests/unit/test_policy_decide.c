/* test_policy_decide.c - the originator-control decision (issue 3 rules 1-6) as a decision table, plus grid properties. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

/* The decision's clock: a fixed instant, so expiry and review_by are exact. */
#define NOW ((int64_t)1800000000 * 1000000)
#define DAY ((int64_t)86400 * 1000000)
#define N_REASONS (POLICY_DENY_RELAY_NOT_RELEASABLE + 1)

/* The scenario's cast (../shared/SCENARIO.md) as organizations: rowid, identity, party. */
typedef struct persona {
    int64_t org;
    const char *identity;
    const char *party;
} persona;

static const persona SSPC = {10, "identity--0a000000-0000-4000-8000-000000000010", "MX"};
static const persona UIN7 = {11, "identity--0a000000-0000-4000-8000-000000000011", "MX"};
static const persona FGR = {12, "identity--0a000000-0000-4000-8000-000000000012", "MX"};
static const persona MXNODE = {13, "identity--0a000000-0000-4000-8000-000000000013", "MX"};
static const persona DEA = {21, "identity--0a000000-0000-4000-8000-000000000021", "US"};
static const persona HSI = {22, "identity--0a000000-0000-4000-8000-000000000022", "US"};
static const persona USNODE = {23, "identity--0a000000-0000-4000-8000-000000000023", "US"};
static const persona GTNODE = {40, "identity--0a000000-0000-4000-8000-000000000040", "GT"};

#define ORGS_DEA ",identity--0a000000-0000-4000-8000-000000000021,"
#define ORGS_HSI ",identity--0a000000-0000-4000-8000-000000000022,"
#define ORGS_UIN7 ",identity--0a000000-0000-4000-8000-000000000011,"
#define ORGS_USNODE ",identity--0a000000-0000-4000-8000-000000000023,"

enum vet { VET_NONE = 0, VET_VALID, VET_EXPIRED, VET_AT_NOW, VET_OTHER_PARTY, VET_EXPIRED_AND_VALID };
enum review { REV_NONE = 0, REV_PAST, REV_AT_NOW, REV_FUTURE };

/* One row: who reads (kind, organization) on which node (node party), an object of which
 * originator with which markings, from a collection with which default and agreement, and
 * what must come out. TLP levels are names (NULL = none) so that zero-initialised fields mean
 * "absent", and so the table reads like the policy it checks. */
typedef struct row {
    const char *what;
    policy_kind kind;
    const persona *who;
    const char *node;          /* party of the deciding node */
    const persona *orig;       /* originator organization (and party) */
    const char *tlp;           /* NULL: unmarked */
    const char *dflt;          /* collection default TLP; NULL: none */
    const char *rel;           /* releasable_to, comma-framed; NULL: absent */
    const char *rel_orgs;      /* releasable_to_orgs; NULL: absent */
    int orcon, vetted_only;
    int corrupt_tlp;           /* 1: store a level beyond RED (corrupt metadata) */
    enum vet vet;              /* vettings of the principal by the originator party */
    int agreement;
    const char *max_tlp;       /* NULL: the agreement names none (red) */
    enum review review;
    int allow;
    policy_reason reason;
} row;

#define U POLICY_USER
#define L POLICY_LIAISON
#define P POLICY_PARTNER

static const row TABLE[] = {
    /* Rule 1: the originator organization sees its own objects, whatever else holds. */
    {"originator reads its RED", U, &SSPC, "MX", &SSPC, "red", .allow = 1, .reason = POLICY_ALLOW_ORIGINATOR},
    {"originator: rule 1 stops before review, vetting, orcon", U, &SSPC, "MX", &SSPC, "amber+strict",
     .rel = ",,", .orcon = 1, .vetted_only = 1, .review = REV_PAST, .allow = 1, .reason = POLICY_ALLOW_ORIGINATOR},
    {"originator liaison account reads its own", L, &DEA, "MX", &DEA, "red", .allow = 1, .reason = POLICY_ALLOW_ORIGINATOR},
    {"partner pulls back what its node sent, no agreement", P, &USNODE, "MX", &USNODE, "red",
     .allow = 1, .reason = POLICY_ALLOW_ORIGINATOR},

    /* Rule 2: past review_by only the originator sees it. */
    {"same party, CLEAR, past review", U, &UIN7, "MX", &SSPC, "clear", .review = REV_PAST, .allow = 0, .reason = POLICY_DENY_REVIEW},
    {"review_by equal to now is past", U, &UIN7, "MX", &SSPC, "clear", .review = REV_AT_NOW, .allow = 0, .reason = POLICY_DENY_REVIEW},
    {"review_by in the future", U, &UIN7, "MX", &SSPC, "clear", .review = REV_FUTURE, .allow = 1, .reason = POLICY_ALLOW_TLP_CLEAR},
    {"liaison, releasable AMBER, past review", L, &DEA, "MX", &SSPC, "amber", .rel = ",US,", .review = REV_PAST,
     .allow = 0, .reason = POLICY_DENY_REVIEW},
    {"partner, past review comes before the agreement", P, &USNODE, "MX", &SSPC, "clear", .review = REV_PAST,
     .allow = 0, .reason = POLICY_DENY_REVIEW},

    /* Rule 3: a partner reads only through an agreement, which only narrows. */
    {"partner without agreement, CLEAR", P, &USNODE, "MX", &SSPC, "clear", .allow = 0, .reason = POLICY_DENY_NO_AGREEMENT},
    {"partner, GREEN within agreement max GREEN", P, &USNODE, "MX", &SSPC, "green", .agreement = 1, .max_tlp = "green",
     .allow = 1, .reason = POLICY_ALLOW_AGREEMENT},
    {"partner, AMBER above agreement max GREEN", P, &USNODE, "MX", &SSPC, "amber", .rel = ",US,", .agreement = 1,
     .max_tlp = "green", .allow = 0, .reason = POLICY_DENY_ABOVE_AGREEMENT},
    {"partner, unmarked is AMBER: above max GREEN", P, &USNODE, "MX", &SSPC, NULL, .agreement = 1, .max_tlp = "green",
     .allow = 0, .reason = POLICY_DENY_ABOVE_AGREEMENT},
    {"partner, unmarked in a CLEAR collection", P, &USNODE, "MX", &SSPC, NULL, .dflt = "clear", .agreement = 1,
     .max_tlp = "green", .allow = 1, .reason = POLICY_ALLOW_TLP_CLEAR},
    {"partner, AMBER releasable, agreement names no max", P, &USNODE, "MX", &SSPC, "amber", .rel = ",US,",
     .agreement = 1, .allow = 1, .reason = POLICY_ALLOW_RELEASABLE},
    {"partner, agreement does not widen AMBER", P, &USNODE, "MX", &SSPC, "amber", .agreement = 1,
     .allow = 0, .reason = POLICY_DENY_TLP_AMBER},
    {"local user needs no agreement", U, &FGR, "MX", &SSPC, "clear", .allow = 1, .reason = POLICY_ALLOW_TLP_CLEAR},
    {"liaison needs no agreement for CLEAR", L, &DEA, "MX", &SSPC, "clear", .allow = 1, .reason = POLICY_ALLOW_TLP_CLEAR},

    /* Rule 4: CLEAR. */
    {"GT reads CLEAR", L, &GTNODE, "MX", &SSPC, "clear", .allow = 1, .reason = POLICY_ALLOW_TLP_CLEAR},
    {"CLEAR ignores an empty releasable_to", L, &DEA, "MX", &SSPC, "clear", .rel = ",,", .allow = 1, .reason = POLICY_ALLOW_TLP_CLEAR},
    /* Rule 4: GREEN. */
    {"GREEN, same party", U, &UIN7, "MX", &SSPC, "green", .allow = 1, .reason = POLICY_ALLOW_SAME_PARTY},
    {"GREEN, same party even when releasable_to is empty", U, &UIN7, "MX", &SSPC, "green", .rel = ",,",
     .allow = 1, .reason = POLICY_ALLOW_SAME_PARTY},
    {"GREEN, other party, no list, no agreement", L, &DEA, "MX", &SSPC, "green", .allow = 0, .reason = POLICY_DENY_TLP_GREEN},
    {"GREEN, other party, no list, agreement", L, &DEA, "MX", &SSPC, "green", .agreement = 1, .allow = 1,
     .reason = POLICY_ALLOW_AGREEMENT},
    {"GREEN, listed party", L, &DEA, "MX", &SSPC, "green", .rel = ",US,", .allow = 1, .reason = POLICY_ALLOW_RELEASABLE},
    {"GREEN, a list that omits the party beats the agreement", L, &DEA, "MX", &SSPC, "green", .rel = ",GT,",
     .agreement = 1, .allow = 0, .reason = POLICY_DENY_TLP_GREEN},
    {"GREEN, empty list", L, &DEA, "MX", &SSPC, "green", .rel = ",,", .agreement = 1, .allow = 0, .reason = POLICY_DENY_TLP_GREEN},
    {"GREEN, a named organization is not a listed party", L, &DEA, "MX", &SSPC, "green", .rel = ",,",
     .rel_orgs = ORGS_DEA, .allow = 0, .reason = POLICY_DENY_TLP_GREEN},
    /* Rule 4: AMBER. */
    {"AMBER, same party other organization", U, &FGR, "MX", &SSPC, "amber", .allow = 1, .reason = POLICY_ALLOW_SAME_PARTY},
    {"AMBER, other party, no list, agreement", L, &DEA, "MX", &SSPC, "amber", .agreement = 1, .allow = 0,
     .reason = POLICY_DENY_TLP_AMBER},
    {"AMBER, listed party", L, &DEA, "MX", &SSPC, "amber", .rel = ",US,", .allow = 1, .reason = POLICY_ALLOW_RELEASABLE},
    {"AMBER, listed party last of two", L, &DEA, "MX", &SSPC, "amber", .rel = ",GT,US,", .allow = 1, .reason = POLICY_ALLOW_RELEASABLE},
    {"AMBER, a party matches whole entries only", L, &DEA, "MX", &SSPC, "amber", .rel = ",GTUS,MUS,USA,",
     .allow = 0, .reason = POLICY_DENY_TLP_AMBER},
    {"AMBER, an unterminated list matches nothing", L, &DEA, "MX", &SSPC, "amber", .rel = ",US",
     .allow = 0, .reason = POLICY_DENY_TLP_AMBER},
    {"AMBER+STRICT, an organization matches whole entries only", L, &DEA, "MX", &SSPC, "amber+strict",
     .rel_orgs = ",identity--0a000000-0000-4000-8000-0000000000211,", .allow = 0, .reason = POLICY_DENY_TLP_AMBER_STRICT},
    {"AMBER, other party not listed", L, &GTNODE, "MX", &SSPC, "amber", .rel = ",US,", .allow = 0, .reason = POLICY_DENY_TLP_AMBER},
    {"unmarked, no default: AMBER", L, &DEA, "MX", &SSPC, NULL, .allow = 0, .reason = POLICY_DENY_TLP_AMBER},
    {"unmarked, no default, listed: AMBER releasable", L, &DEA, "MX", &SSPC, NULL, .rel = ",US,", .allow = 1,
     .reason = POLICY_ALLOW_RELEASABLE},
    {"unmarked, default GREEN, agreement", L, &DEA, "MX", &SSPC, NULL, .dflt = "green", .agreement = 1, .allow = 1,
     .reason = POLICY_ALLOW_AGREEMENT},
    {"unmarked, default CLEAR", L, &DEA, "MX", &SSPC, NULL, .dflt = "clear", .allow = 1, .reason = POLICY_ALLOW_TLP_CLEAR},
    {"unmarked, default RED", U, &UIN7, "MX", &SSPC, NULL, .dflt = "red", .allow = 0, .reason = POLICY_DENY_TLP_RED},
    {"a marked object ignores the collection default", L, &DEA, "MX", &SSPC, "amber", .dflt = "clear",
     .allow = 0, .reason = POLICY_DENY_TLP_AMBER},
    /* Rule 4: AMBER+STRICT. */
    {"AMBER+STRICT, same party is not enough", U, &UIN7, "MX", &SSPC, "amber+strict", .allow = 0,
     .reason = POLICY_DENY_TLP_AMBER_STRICT},
    {"AMBER+STRICT, named organization of the same party", U, &UIN7, "MX", &SSPC, "amber+strict", .rel_orgs = ORGS_UIN7,
     .allow = 1, .reason = POLICY_ALLOW_NAMED_ORG},
    {"AMBER+STRICT, named organization of another party", L, &DEA, "MX", &SSPC, "amber+strict", .rel = ",,",
     .rel_orgs = ORGS_DEA, .allow = 1, .reason = POLICY_ALLOW_NAMED_ORG},
    {"AMBER+STRICT, listed party but another organization named", L, &DEA, "MX", &SSPC, "amber+strict", .rel = ",US,",
     .rel_orgs = ORGS_HSI, .allow = 0, .reason = POLICY_DENY_TLP_AMBER_STRICT},
    {"AMBER+STRICT, partner node named", P, &USNODE, "MX", &SSPC, "amber+strict", .rel_orgs = ORGS_USNODE,
     .agreement = 1, .allow = 1, .reason = POLICY_ALLOW_NAMED_ORG},
    {"AMBER+STRICT above a partner's max AMBER", P, &USNODE, "MX", &SSPC, "amber+strict", .rel_orgs = ORGS_USNODE,
     .agreement = 1, .max_tlp = "amber", .allow = 0, .reason = POLICY_DENY_ABOVE_AGREEMENT},
    /* Rule 4: RED. */
    {"RED, same party", U, &UIN7, "MX", &SSPC, "red", .allow = 0, .reason = POLICY_DENY_TLP_RED},
    {"RED, listed party and named organization", L, &DEA, "MX", &SSPC, "red", .rel = ",US,", .rel_orgs = ORGS_DEA,
     .allow = 0, .reason = POLICY_DENY_TLP_RED},
    {"RED, partner with agreement up to RED", P, &USNODE, "MX", &SSPC, "red", .rel = ",US,", .agreement = 1,
     .allow = 0, .reason = POLICY_DENY_TLP_RED},
    {"unknown level fails closed as RED", U, &UIN7, "MX", &SSPC, "red", .corrupt_tlp = 1, .allow = 0, .reason = POLICY_DENY_TLP_RED},

    /* Rule 5: vetted units only (US vets UIN-7; the object came to the MX node from US). */
    {"vetted_only, UIN-7 vetted by US", U, &UIN7, "MX", &USNODE, "amber", .rel = ",MX,", .vetted_only = 1,
     .vet = VET_VALID, .allow = 1, .reason = POLICY_ALLOW_RELEASABLE},
    {"vetted_only, SSPC not vetted", U, &SSPC, "MX", &USNODE, "amber", .rel = ",MX,", .vetted_only = 1,
     .allow = 0, .reason = POLICY_DENY_NOT_VETTED},
    {"vetted_only, vetting expired", U, &UIN7, "MX", &USNODE, "amber", .rel = ",MX,", .vetted_only = 1,
     .vet = VET_EXPIRED, .allow = 0, .reason = POLICY_DENY_VETTING_EXPIRED},
    {"vetted_only, vetting ends now: expired", U, &UIN7, "MX", &USNODE, "amber", .rel = ",MX,", .vetted_only = 1,
     .vet = VET_AT_NOW, .allow = 0, .reason = POLICY_DENY_VETTING_EXPIRED},
    {"vetted_only, an expired and a renewed vetting", U, &UIN7, "MX", &USNODE, "amber", .rel = ",MX,", .vetted_only = 1,
     .vet = VET_EXPIRED_AND_VALID, .allow = 1, .reason = POLICY_ALLOW_RELEASABLE},
    {"vetted_only, vetted by another party only", U, &UIN7, "MX", &USNODE, "amber", .rel = ",MX,", .vetted_only = 1,
     .vet = VET_OTHER_PARTY, .allow = 0, .reason = POLICY_DENY_NOT_VETTED},
    {"vetted_only applies to CLEAR too", U, &SSPC, "MX", &USNODE, "clear", .vetted_only = 1, .allow = 0,
     .reason = POLICY_DENY_NOT_VETTED},
    {"vetted_only, TLP decides first", U, &UIN7, "MX", &USNODE, "amber", .rel = ",GT,", .vetted_only = 1,
     .vet = VET_VALID, .allow = 0, .reason = POLICY_DENY_TLP_AMBER},
    {"vetted_only, same party other organization unvetted", U, &HSI, "US", &DEA, "amber", .vetted_only = 1,
     .allow = 0, .reason = POLICY_DENY_NOT_VETTED},
    {"vetted_only, liaison vetted", L, &UIN7, "US", &DEA, "amber", .rel = ",MX,", .vetted_only = 1,
     .vet = VET_VALID, .allow = 1, .reason = POLICY_ALLOW_RELEASABLE},
    {"vetted_only, MX partner pulls: US vets an MX unit", P, &MXNODE, "US", &DEA, "amber", .rel = ",MX,",
     .vetted_only = 1, .vet = VET_VALID, .agreement = 1, .allow = 1, .reason = POLICY_ALLOW_RELEASABLE},
    {"vetted_only, MX partner pulls: no MX unit vetted", P, &MXNODE, "US", &DEA, "amber", .rel = ",MX,",
     .vetted_only = 1, .agreement = 1, .allow = 0, .reason = POLICY_DENY_NOT_VETTED},
    {"vetted_only, MX partner pulls: vetting expired", P, &MXNODE, "US", &DEA, "amber", .rel = ",MX,",
     .vetted_only = 1, .vet = VET_EXPIRED, .agreement = 1, .allow = 0, .reason = POLICY_DENY_VETTING_EXPIRED},

    /* Rule 6: relaying. The MX node holds what US shared; GT's node pulls from MX. */
    {"relay: CLEAR passes", P, &GTNODE, "MX", &USNODE, "clear", .agreement = 1, .allow = 1, .reason = POLICY_ALLOW_TLP_CLEAR},
    {"relay: CLEAR passes even under ORCON", P, &GTNODE, "MX", &USNODE, "clear", .orcon = 1, .agreement = 1,
     .allow = 1, .reason = POLICY_ALLOW_TLP_CLEAR},
    {"relay: GREEN by agreement is not a release", P, &GTNODE, "MX", &USNODE, "green", .agreement = 1, .allow = 0,
     .reason = POLICY_DENY_RELAY_NOT_RELEASABLE},
    {"relay: GREEN released to GT", P, &GTNODE, "MX", &USNODE, "green", .rel = ",MX,GT,", .agreement = 1,
     .allow = 1, .reason = POLICY_ALLOW_RELEASABLE},
    {"relay: AMBER released to GT", P, &GTNODE, "MX", &USNODE, "amber", .rel = ",MX,GT,", .agreement = 1,
     .allow = 1, .reason = POLICY_ALLOW_RELEASABLE},
    {"relay: AMBER released to GT under ORCON", P, &GTNODE, "MX", &USNODE, "amber", .rel = ",MX,GT,", .orcon = 1,
     .agreement = 1, .allow = 0, .reason = POLICY_DENY_RELAY_ORCON},
    {"relay: what US shared with MX under ORCON", P, &GTNODE, "MX", &USNODE, "amber", .rel = ",MX,", .orcon = 1,
     .agreement = 1, .allow = 0, .reason = POLICY_DENY_TLP_AMBER},
    {"relay: AMBER+STRICT naming GT's node, no release", P, &GTNODE, "MX", &USNODE, "amber+strict",
     .rel_orgs = ",identity--0a000000-0000-4000-8000-000000000040,", .agreement = 1, .allow = 0,
     .reason = POLICY_DENY_RELAY_NOT_RELEASABLE},
    {"relay: vetted_only decides before relay", P, &GTNODE, "MX", &USNODE, "amber", .rel = ",MX,GT,",
     .vetted_only = 1, .agreement = 1, .allow = 0, .reason = POLICY_DENY_NOT_VETTED},
    {"relay: US partner, another US agency's GREEN not released", P, &USNODE, "MX", &DEA, "green", .agreement = 1,
     .allow = 0, .reason = POLICY_DENY_RELAY_NOT_RELEASABLE},
    {"not a relay: the originator party's node shares under ORCON", P, &USNODE, "MX", &SSPC, "amber", .rel = ",US,",
     .orcon = 1, .agreement = 1, .allow = 1, .reason = POLICY_ALLOW_RELEASABLE},
    {"not a relay: a GT liaison reads US's release on MX", L, &GTNODE, "MX", &USNODE, "amber", .rel = ",MX,GT,",
     .orcon = 1, .allow = 1, .reason = POLICY_ALLOW_RELEASABLE},
};

static int tlp_of(const char *name) {
    if (name == NULL) return POLICY_TLP_NONE;
    int t = policy_tlp_parse(name);
    assert_true(t >= POLICY_TLP_NONE);
    return t;
}

static void fill_principal(policy_principal *p, policy_kind kind, const persona *who, const char *node,
                           const char *orig_party, enum vet vet) {
    memset(p, 0, sizeof *p);
    p->kind = kind;
    p->org = who->org;
    snprintf(p->org_identity, sizeof p->org_identity, "%s", who->identity);
    snprintf(p->party, sizeof p->party, "%s", who->party);
    snprintf(p->node_party, sizeof p->node_party, "%s", node);
    p->now_us = NOW;
    /* an unrelated vetting first, so a match is not just "the first entry" */
    snprintf(p->vetted[p->n_vetted].party, POLICY_PARTY_LEN, "%s", "ZZ");
    p->vetted[p->n_vetted++].until_us = NOW + 365 * DAY;
    switch (vet) {
    case VET_NONE: break;
    case VET_VALID:
        snprintf(p->vetted[p->n_vetted].party, POLICY_PARTY_LEN, "%s", orig_party);
        p->vetted[p->n_vetted++].until_us = NOW + 30 * DAY;
        break;
    case VET_EXPIRED:
        snprintf(p->vetted[p->n_vetted].party, POLICY_PARTY_LEN, "%s", orig_party);
        p->vetted[p->n_vetted++].until_us = NOW - 1;
        break;
    case VET_AT_NOW:
        snprintf(p->vetted[p->n_vetted].party, POLICY_PARTY_LEN, "%s", orig_party);
        p->vetted[p->n_vetted++].until_us = NOW;
        break;
    case VET_OTHER_PARTY:
        snprintf(p->vetted[p->n_vetted].party, POLICY_PARTY_LEN, "%s", "GT");
        p->vetted[p->n_vetted++].until_us = NOW + 30 * DAY;
        break;
    case VET_EXPIRED_AND_VALID:
        snprintf(p->vetted[p->n_vetted].party, POLICY_PARTY_LEN, "%s", orig_party);
        p->vetted[p->n_vetted++].until_us = NOW - DAY;
        snprintf(p->vetted[p->n_vetted].party, POLICY_PARTY_LEN, "%s", orig_party);
        p->vetted[p->n_vetted++].until_us = NOW + DAY;
        break;
    }
}

static int64_t review_of(enum review r) {
    switch (r) {
    case REV_NONE: return 0;
    case REV_PAST: return NOW - DAY;
    case REV_AT_NOW: return NOW;
    case REV_FUTURE: return NOW + DAY;
    }
    return 0;
}

static void test_decision_table(void **state) {
    (void)state;
    int seen[N_REASONS] = {0};
    int failures = 0;
    for (size_t i = 0; i < sizeof TABLE / sizeof TABLE[0]; i++) {
        const row *r = &TABLE[i];
        policy_principal p;
        fill_principal(&p, r->kind, r->who, r->node, r->orig->party, r->vet);
        policy_context c = {tlp_of(r->dflt), r->agreement, r->max_tlp ? tlp_of(r->max_tlp) : POLICY_TLP_RED};
        policy_object o = {0};
        o.orig_org = r->orig->org;
        snprintf(o.orig_party, sizeof o.orig_party, "%s", r->orig->party);
        o.tlp = tlp_of(r->tlp);
        o.releasable_to = r->rel;
        o.releasable_to_orgs = r->rel_orgs;
        o.orcon = r->orcon;
        o.vetted_only = r->vetted_only;
        o.review_by_us = review_of(r->review);
        if (r->corrupt_tlp) o.tlp = 7;
        policy_decision d = policy_decide(&p, &c, &o);
        if (d.allow != r->allow || d.reason != r->reason) {
            print_error("row %zu \"%s\": got %s %s, want %s %s\n", i, r->what, d.allow ? "allow" : "deny",
                        policy_reason_name(d.reason), r->allow ? "allow" : "deny", policy_reason_name(r->reason));
            failures++;
        }
        /* a reason names its verdict: allow reasons come first in the enum */
        assert_int_equal(r->allow, r->reason < POLICY_DENY_REVIEW);
        seen[r->reason]++;
    }
    assert_int_equal(failures, 0);
    /* the table exercises every reason code at least once */
    for (int k = 0; k < N_REASONS; k++) {
        if (seen[k] == 0) print_error("no row for reason %s\n", policy_reason_name((policy_reason)k));
        assert_true(seen[k] > 0);
    }
}

/* --- properties over a grid of every combination ------------------------------------------ */

static const persona *const WHO[] = {&SSPC, &UIN7, &DEA, &GTNODE, &USNODE};
static const char *const RELS[] = {NULL, ",,", ",US,", ",MX,GT,"};
static const char *const ORGSL[] = {NULL, ORGS_DEA};
static const int DEFAULTS[] = {POLICY_TLP_NONE, POLICY_TLP_CLEAR, POLICY_TLP_GREEN};
static const int MAXES[] = {POLICY_TLP_GREEN, POLICY_TLP_RED};

typedef struct grid_case {
    policy_principal p;
    policy_context c;
    policy_object o;
} grid_case;

/* Calls fn on every combination of principal (kind x persona x node), originator, TLP,
 * default, lists, orcon, vetted_only, vetting, agreement, max and review_by. */
static size_t grid_walk(void (*fn)(const grid_case *g)) {
    static const persona *const ORIGS[] = {&SSPC, &USNODE};
    static const char *const NODES[] = {"MX", "US"};
    size_t n = 0;
    for (int kind = POLICY_USER; kind <= POLICY_PARTNER; kind++)
    for (size_t w = 0; w < sizeof WHO / sizeof WHO[0]; w++)
    for (size_t nd = 0; nd < 2; nd++)
    for (size_t og = 0; og < 2; og++)
    for (int tlp = POLICY_TLP_NONE; tlp <= POLICY_TLP_RED; tlp++)
    for (size_t df = 0; df < 3; df++)
    for (size_t rl = 0; rl < 4; rl++)
    for (size_t ro = 0; ro < 2; ro++)
    for (int orcon = 0; orcon <= 1; orcon++)
    for (int vo = 0; vo <= 1; vo++)
    for (int vet = VET_NONE; vet <= VET_EXPIRED; vet++)
    for (int ag = 0; ag <= 1; ag++)
    for (size_t mx = 0; mx < 2; mx++)
    for (int rv = REV_NONE; rv <= REV_FUTURE; rv += 1) {
        grid_case g;
        fill_principal(&g.p, (policy_kind)kind, WHO[w], NODES[nd], ORIGS[og]->party, (enum vet)vet);
        g.c = (policy_context){DEFAULTS[df], ag, MAXES[mx]};
        memset(&g.o, 0, sizeof g.o);
        g.o.orig_org = ORIGS[og]->org;
        snprintf(g.o.orig_party, sizeof g.o.orig_party, "%s", ORIGS[og]->party);
        g.o.tlp = tlp;
        g.o.releasable_to = RELS[rl];
        g.o.releasable_to_orgs = ORGSL[ro];
        g.o.orcon = orcon;
        g.o.vetted_only = vo;
        g.o.review_by_us = review_of((enum review)rv);
        fn(&g);
        n++;
    }
    return n;
}

static int listed(const char *list, const char *party) {
    char needle[8];
    snprintf(needle, sizeof needle, ",%s,", party);
    return list != NULL && strstr(list, needle) != NULL;
}

static int eff_tlp(const grid_case *g) {
    if (g->o.tlp != POLICY_TLP_NONE) return g->o.tlp;
    return g->c.default_tlp != POLICY_TLP_NONE ? g->c.default_tlp : POLICY_TLP_AMBER;
}

static int has_valid_vetting(const policy_principal *p, const char *party) {
    for (size_t i = 0; i < p->n_vetted; i++)
        if (strcmp(p->vetted[i].party, party) == 0 && p->now_us < p->vetted[i].until_us) return 1;
    return 0;
}

/* Necessary conditions of every allow, each stated directly from the rules. */
static void check_necessary(const grid_case *g) {
    policy_decision d = policy_decide(&g->p, &g->c, &g->o);
    if (g->p.org == g->o.orig_org) {
        assert_true(d.allow);
        assert_int_equal(d.reason, POLICY_ALLOW_ORIGINATOR);
        return;
    }
    assert_int_not_equal(d.reason, POLICY_ALLOW_ORIGINATOR);
    if (!d.allow) return;
    int tlp = eff_tlp(g);
    assert_true(tlp != POLICY_TLP_RED);
    assert_true(g->o.review_by_us == 0 || g->p.now_us < g->o.review_by_us);
    if (g->p.kind == POLICY_PARTNER) {
        assert_true(g->c.agreement);
        assert_true(tlp <= g->c.max_tlp);
        if (strcmp(g->p.node_party, g->o.orig_party) != 0 && tlp != POLICY_TLP_CLEAR) {
            assert_false(g->o.orcon);
            assert_true(listed(g->o.releasable_to, g->p.party));
        }
    }
    if (g->o.vetted_only) assert_true(has_valid_vetting(&g->p, g->o.orig_party));
    if (tlp == POLICY_TLP_AMBER) assert_true(strcmp(g->p.party, g->o.orig_party) == 0 || listed(g->o.releasable_to, g->p.party));
    if (tlp == POLICY_TLP_AMBER_STRICT) assert_true(g->o.releasable_to_orgs && strstr(g->o.releasable_to_orgs, g->p.org_identity));
}

/* Monotonicity: more restrictive markings never turn a denial into an allow. (With
 * releasable_to_orgs present AMBER+STRICT admits named organizations AMBER does not, by the
 * issue's definition, so the TLP step is checked without that list.) */
static void check_monotonic(const grid_case *g) {
    policy_decision d = policy_decide(&g->p, &g->c, &g->o);
    if (d.allow) return;
    grid_case h = *g;
    h.o.orcon = 1;
    assert_false(policy_decide(&h.p, &h.c, &h.o).allow);
    h = *g;
    h.o.vetted_only = 1;
    assert_false(policy_decide(&h.p, &h.c, &h.o).allow);
    if (g->o.releasable_to_orgs == NULL && g->o.tlp != POLICY_TLP_NONE && g->o.tlp < POLICY_TLP_RED) {
        h = *g;
        h.o.tlp = g->o.tlp + 1;
        assert_false(policy_decide(&h.p, &h.c, &h.o).allow);
    }
}

/* A liaison reads exactly what a local user of the same organization reads (it differs only
 * in never writing), and a partner node never reads more than that: the agreement and the
 * relay rule only narrow. */
static void check_kinds(const grid_case *g) {
    if (g->p.kind != POLICY_USER) return;
    policy_decision du = policy_decide(&g->p, &g->c, &g->o);
    grid_case h = *g;
    h.p.kind = POLICY_LIAISON;
    policy_decision dl = policy_decide(&h.p, &h.c, &h.o);
    assert_int_equal(du.allow, dl.allow);
    assert_int_equal(du.reason, dl.reason);
    h.p.kind = POLICY_PARTNER;
    if (policy_decide(&h.p, &h.c, &h.o).allow) assert_true(du.allow);
}

static void test_grid_properties(void **state) {
    (void)state;
    size_t n = grid_walk(check_necessary);
    assert_true(n > 100000);
    grid_walk(check_monotonic);
    grid_walk(check_kinds);
}

/* --- policy_visible: a version shows only when it and the latest version are allowed ------ */

static void test_visible_needs_both_versions(void **state) {
    (void)state;
    policy_principal kate;
    fill_principal(&kate, POLICY_LIAISON, &DEA, "MX", "MX", VET_NONE);
    policy_context c = {POLICY_TLP_NONE, 0, POLICY_TLP_RED};
    policy_object green = {.orig_org = SSPC.org, .orig_party = "MX", .tlp = POLICY_TLP_GREEN, .releasable_to = ",US,"};
    policy_object amber = {.orig_org = SSPC.org, .orig_party = "MX", .tlp = POLICY_TLP_AMBER, .releasable_to = ",,"};

    /* the latest version withdrew the release: the older, releasable version vanishes too */
    policy_decision d = policy_visible(&kate, &c, &green, &amber);
    assert_false(d.allow);
    assert_int_equal(d.reason, POLICY_DENY_TLP_AMBER);
    /* the older version is the restrictive one: it stays hidden, the latest shows */
    d = policy_visible(&kate, &c, &amber, &green);
    assert_false(d.allow);
    assert_int_equal(d.reason, POLICY_DENY_TLP_AMBER);
    d = policy_visible(&kate, &c, &green, &green);
    assert_true(d.allow);
    assert_int_equal(d.reason, POLICY_ALLOW_RELEASABLE);
    /* both allowed: the version's own reason */
    policy_object clear = {.orig_org = SSPC.org, .orig_party = "MX", .tlp = POLICY_TLP_CLEAR};
    d = policy_visible(&kate, &c, &clear, &green);
    assert_true(d.allow);
    assert_int_equal(d.reason, POLICY_ALLOW_TLP_CLEAR);
    /* past review on the latest hides every version */
    policy_object reviewed = clear;
    reviewed.review_by_us = NOW - 1;
    d = policy_visible(&kate, &c, &clear, &reviewed);
    assert_false(d.allow);
    assert_int_equal(d.reason, POLICY_DENY_REVIEW);
    /* the originator sees every version */
    policy_principal ana;
    fill_principal(&ana, POLICY_USER, &SSPC, "MX", "MX", VET_NONE);
    d = policy_visible(&ana, &c, &green, &reviewed);
    assert_true(d.allow);
    assert_int_equal(d.reason, POLICY_ALLOW_ORIGINATOR);
}

/* --- names ------------------------------------------------------------------------------ */

static void test_reason_names(void **state) {
    (void)state;
    for (int a = 0; a < N_REASONS; a++) {
        const char *na = policy_reason_name((policy_reason)a);
        assert_string_not_equal(na, "unknown");
        /* the verdict is in the name: audit leaves and status details are read by people */
        assert_int_equal(strncmp(na, a < POLICY_DENY_REVIEW ? "allow_" : "deny_", a < POLICY_DENY_REVIEW ? 6 : 5), 0);
        for (int b = a + 1; b < N_REASONS; b++) assert_string_not_equal(na, policy_reason_name((policy_reason)b));
    }
    assert_string_equal(policy_reason_name(POLICY_DENY_RELAY_ORCON), "deny_relay_orcon");
    assert_string_equal(policy_reason_name((policy_reason)99), "unknown");
}

static void test_tlp_names(void **state) {
    (void)state;
    for (int t = POLICY_TLP_NONE; t <= POLICY_TLP_RED; t++) assert_int_equal(policy_tlp_parse(policy_tlp_name(t)), t);
    assert_string_equal(policy_tlp_name(POLICY_TLP_AMBER_STRICT), "amber+strict");
    assert_string_equal(policy_tlp_name(POLICY_TLP_CLEAR), "clear");
    assert_string_equal(policy_tlp_name(9), "unknown");
    assert_int_equal(policy_tlp_parse("WHITE"), POLICY_TLP_CLEAR);
    assert_int_equal(policy_tlp_parse("Amber+Strict"), POLICY_TLP_AMBER_STRICT);
    assert_int_equal(policy_tlp_parse("RED"), POLICY_TLP_RED);
    assert_int_equal(policy_tlp_parse("amber "), -2);
    assert_int_equal(policy_tlp_parse("amber+"), -2);
    assert_int_equal(policy_tlp_parse("purple"), -2);
    assert_int_equal(policy_tlp_parse(""), -2);
    assert_int_equal(policy_tlp_parse(NULL), -2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decision_table),
        cmocka_unit_test(test_grid_properties),
        cmocka_unit_test(test_visible_needs_both_versions),
        cmocka_unit_test(test_reason_names),
        cmocka_unit_test(test_tlp_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
