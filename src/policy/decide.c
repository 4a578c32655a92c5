/* decide.c - the originator-control decision (issue 3 rules 1-6): may this principal read this object? */
#include "policy/policy.h"

#include <string.h>

/* Whether the comma-framed list `list` (",MX,US,") contains the item `item` as a whole entry:
 * a scan of the entries, each compared in place. No allocation, no locale, no strstr set-up,
 * because this runs once or twice per row inside SQLite queries. An empty item never matches
 * (",," is the empty list, and a principal without a party or identity must not match it). */
static int list_has(const char *list, const char *item) {
    size_t n = strlen(item);
    if (list == NULL || n == 0 || list[0] != ',') return 0;
    for (const char *e = list + 1; *e != '\0';) {
        /* e starts an entry; it matches when the item is followed by the entry's closing comma */
        if (e[0] == item[0] && strncmp(e, item, n) == 0 && e[n] == ',') return 1;
        const char *comma = strchr(e, ',');
        if (comma == NULL) return 0;
        e = comma + 1;
    }
    return 0;
}

/* The principal's party is the originator's party (both non-empty: an unset party is nobody). */
static int same_party(const policy_principal *p, const policy_object *o) {
    return p->party[0] != '\0' && strcmp(p->party, o->orig_party) == 0;
}

/* The TLP the decision uses: the object's own, else the collection's default, else AMBER
 * (DESIGN.md "Policy model": unmarked objects are AMBER, the safe default). */
static int effective_tlp(const policy_context *c, const policy_object *o) {
    if (o->tlp != POLICY_TLP_NONE) return o->tlp;
    if (c->default_tlp != POLICY_TLP_NONE) return c->default_tlp;
    return POLICY_TLP_AMBER;
}

static policy_decision allow(policy_reason r) { return (policy_decision){1, r}; }
static policy_decision deny(policy_reason r) { return (policy_decision){0, r}; }

/* Rule 4: the TLP level against the principal's party and organization. Returns the allow
 * reason the later rules keep when they pass, or the denial. A level outside the known range
 * (corrupt metadata) is treated as RED: fail closed. */
static policy_decision rule_tlp(const policy_principal *p, const policy_context *c,
                                const policy_object *o, int tlp) {
    switch (tlp) {
    case POLICY_TLP_CLEAR:
        return allow(POLICY_ALLOW_TLP_CLEAR);
    case POLICY_TLP_GREEN:
        if (same_party(p, o)) return allow(POLICY_ALLOW_SAME_PARTY);
        if (o->releasable_to != NULL)
            return list_has(o->releasable_to, p->party) ? allow(POLICY_ALLOW_RELEASABLE)
                                                        : deny(POLICY_DENY_TLP_GREEN);
        return c->agreement ? allow(POLICY_ALLOW_AGREEMENT) : deny(POLICY_DENY_TLP_GREEN);
    case POLICY_TLP_AMBER:
        if (same_party(p, o)) return allow(POLICY_ALLOW_SAME_PARTY);
        return list_has(o->releasable_to, p->party) ? allow(POLICY_ALLOW_RELEASABLE)
                                                    : deny(POLICY_DENY_TLP_AMBER);
    case POLICY_TLP_AMBER_STRICT:
        /* The originator organization itself passed rule 1; nobody else but the named. */
        return list_has(o->releasable_to_orgs, p->org_identity) ? allow(POLICY_ALLOW_NAMED_ORG)
                                                                 : deny(POLICY_DENY_TLP_AMBER_STRICT);
    default:
        return deny(POLICY_DENY_TLP_RED);
    }
}

/* Rule 5: a vetted_only object needs an unexpired vetting of the principal (its organization;
 * for a partner, any organization of its party) by the originator party. */
static int rule_vetting(const policy_principal *p, const policy_object *o, policy_reason *why) {
    int expired = 0;
    size_t n = p->n_vetted < POLICY_MAX_VETTINGS ? p->n_vetted : POLICY_MAX_VETTINGS;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(p->vetted[i].party, o->orig_party) != 0) continue;
        if (p->now_us < p->vetted[i].until_us) return 1;
        expired = 1;
    }
    *why = expired ? POLICY_DENY_VETTING_EXPIRED : POLICY_DENY_NOT_VETTED;
    return 0;
}

policy_decision policy_decide(const policy_principal *p, const policy_context *c, const policy_object *o) {
    /* Rule 1: the originator organization always sees its own objects. */
    if (p->org > 0 && p->org == o->orig_org) return allow(POLICY_ALLOW_ORIGINATOR);

    /* Rule 2: past review_by only the originator sees it, until reviewed or purged. */
    if (o->review_by_us != 0 && p->now_us >= o->review_by_us) return deny(POLICY_DENY_REVIEW);

    int tlp = effective_tlp(c, o);

    /* Rule 3: a partner node reads only through an agreement, which only narrows. */
    if (p->kind == POLICY_PARTNER) {
        if (!c->agreement) return deny(POLICY_DENY_NO_AGREEMENT);
        if (tlp > c->max_tlp) return deny(POLICY_DENY_ABOVE_AGREEMENT);
    }

    /* Rule 4: TLP. Its allow reason is the decision's unless a later rule denies. */
    policy_decision d = rule_tlp(p, c, o, tlp);
    if (!d.allow) return d;

    /* Rule 5: vetted units only. */
    policy_reason why;
    if (o->vetted_only && !rule_vetting(p, o, &why)) return deny(why);

    /* Rule 6: relaying. A partner pulling from a node that is not the originator party's gets
     * only what the originator released to its party and did not put under ORCON. */
    if (p->kind == POLICY_PARTNER && strcmp(p->node_party, o->orig_party) != 0 &&
        tlp != POLICY_TLP_CLEAR) {
        if (o->orcon) return deny(POLICY_DENY_RELAY_ORCON);
        if (!list_has(o->releasable_to, p->party)) return deny(POLICY_DENY_RELAY_NOT_RELEASABLE);
    }
    return d;
}

policy_decision policy_visible(const policy_principal *p, const policy_context *c,
                               const policy_object *version, const policy_object *latest) {
    policy_decision d = policy_decide(p, c, version);
    if (!d.allow) return d;
    policy_decision l = policy_decide(p, c, latest);
    return l.allow ? d : l;
}

const char *policy_reason_name(policy_reason r) {
    switch (r) {
    case POLICY_ALLOW_ORIGINATOR: return "allow_originator";
    case POLICY_ALLOW_TLP_CLEAR: return "allow_tlp_clear";
    case POLICY_ALLOW_SAME_PARTY: return "allow_same_party";
    case POLICY_ALLOW_RELEASABLE: return "allow_releasable";
    case POLICY_ALLOW_AGREEMENT: return "allow_agreement";
    case POLICY_ALLOW_NAMED_ORG: return "allow_named_org";
    case POLICY_DENY_REVIEW: return "deny_review";
    case POLICY_DENY_NO_AGREEMENT: return "deny_no_agreement";
    case POLICY_DENY_ABOVE_AGREEMENT: return "deny_above_agreement";
    case POLICY_DENY_TLP_GREEN: return "deny_tlp_green";
    case POLICY_DENY_TLP_AMBER: return "deny_tlp_amber";
    case POLICY_DENY_TLP_AMBER_STRICT: return "deny_tlp_amber_strict";
    case POLICY_DENY_TLP_RED: return "deny_tlp_red";
    case POLICY_DENY_NOT_VETTED: return "deny_not_vetted";
    case POLICY_DENY_VETTING_EXPIRED: return "deny_vetting_expired";
    case POLICY_DENY_RELAY_ORCON: return "deny_relay_orcon";
    case POLICY_DENY_RELAY_NOT_RELEASABLE: return "deny_relay_not_releasable";
    }
    return "unknown";
}

const char *policy_tlp_name(int tlp) {
    switch (tlp) {
    case POLICY_TLP_NONE: return "none";
    case POLICY_TLP_CLEAR: return "clear";
    case POLICY_TLP_GREEN: return "green";
    case POLICY_TLP_AMBER: return "amber";
    case POLICY_TLP_AMBER_STRICT: return "amber+strict";
    case POLICY_TLP_RED: return "red";
    }
    return "unknown";
}

/* ASCII case-insensitive equality (no locale: tolower() depends on it). */
static int ascii_ieq(const char *a, const char *b) {
    for (;; a++, b++) {
        char x = *a, y = *b;
        if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
        if (x != y) return 0;
        if (x == '\0') return 1;
    }
}

int policy_tlp_parse(const char *s) {
    static const struct { const char *name; int tlp; } names[] = {
        {"clear", POLICY_TLP_CLEAR}, {"white", POLICY_TLP_CLEAR}, {"green", POLICY_TLP_GREEN},
        {"amber", POLICY_TLP_AMBER}, {"amber+strict", POLICY_TLP_AMBER_STRICT},
        {"red", POLICY_TLP_RED},     {"none", POLICY_TLP_NONE},
    };
    if (s == NULL) return -2;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (ascii_ieq(s, names[i].name)) return names[i].tlp;
    return -2;
}
