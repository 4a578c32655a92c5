/* decide.c - PLACEHOLDER until the decision lands: denies everything. */
#include "policy/policy.h"

policy_decision policy_decide(const policy_principal *p, const policy_context *c, const policy_object *o) {
    (void)p; (void)c; (void)o;
    return (policy_decision){0, POLICY_DENY_TLP_RED};
}
policy_decision policy_visible(const policy_principal *p, const policy_context *c,
                               const policy_object *version, const policy_object *latest) {
    (void)latest;
    return policy_decide(p, c, version);
}
const char *policy_reason_name(policy_reason r) { (void)r; return "deny"; }
const char *policy_tlp_name(int tlp) { (void)tlp; return "none"; }
int policy_tlp_parse(const char *s) { (void)s; return -2; }
