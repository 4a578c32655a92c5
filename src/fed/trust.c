/* trust.c - the trust check of a partner's audit log in each sync pass (issue 5 must-have 3):
 * its latest signed tree head, verified with the pinned node key and proved consistent with the
 * head kept from the last pass (audit_verify_run over fed/audit_source.c), and the record of a
 * failure (the partner stopped and an audit entry, in one transaction). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/checkpoint.h"
#include "audit/log.h"
#include "audit/verify.h"
#include "fed/audit_source.h"
#include "fed/fed.h"
#include "fed/internal.h"
#include "store/audit_store.h"
#include "util/buf.h"
#include "util/clock.h"

/* What a keyless node says in its 503 (src/taxii/audit_http.c): it issues no tree heads. A 503
 * without it ("the store is busy") is an ordinary failure to ask. */
#define KEYLESS_TEXT "no signing key"
/* ... and a node whose log has no signed head yet, in its 404. */
#define NO_HEAD_TEXT "not signed a tree head yet"

int fed_trust_check(store *s, struct client *c, const store_partner *p, uint64_t *tree_size, enlace_err *err) {
    if (tree_size) *tree_size = 0;
    if (!s || !c || !p) return enlace_err_set(err, ENLACE_EINVAL, "fed: bad trust check");
    unsigned char pk[32];
    if (audit_pubkey_parse(p->pubkey, pk, err) != 0)
        return enlace_err_set(err, ENLACE_EINVAL, "the pinned key of %s is not an Ed25519 key: %s", p->party, err->msg);
    char *text = NULL;
    int rc = store_partner_trust_get(s, p->party, &text, err);
    /* ENLACE_ENOTFOUND means "no audit log" to the caller: a partner removed meanwhile is not that */
    if (rc == ENLACE_ENOTFOUND) return enlace_err_set(err, ENLACE_EINVAL, "%s is no longer a partner", p->party);
    if (rc) return rc;
    /* the kept head is trusted only as far as its signature by the pinned key */
    audit_state st;
    memset(&st, 0, sizeof st);
    rc = audit_state_parse(text, strlen(text), pk, &st, err);
    free(text);
    if (rc == ENLACE_EAUTH) return rc;  /* our kept head is not signed by the pinned key */
    if (rc) return enlace_err_set(err, ENLACE_EIO, "the kept audit state of %s is unreadable: %s", p->party, err->msg);

    fed_audit_http h;
    audit_source src;
    audit_verify_result res;
    rc = fed_audit_http_init(&h, c, p->url, "", pk, err);
    if (rc == 0) {
        fed_audit_http_source(&h, &src);
        rc = audit_verify_run(&st, &src, pk, 0, &res, err);
    }
    if (rc && h.failed_http && h.status == 404 && strstr(err->msg, NO_HEAD_TEXT)) {
        /* a new node that signed nothing yet; one that did before lost or reset its log */
        if (st.have)
            rc = enlace_err_set(err, ENLACE_ECONFLICT,
                                "rollback: %s's node has no signed tree head any more (last seen size %llu)",
                                p->party, (unsigned long long)st.cp.size);
        else
            rc = enlace_err_set(err, ENLACE_ENOTFOUND, "no audit log yet: %s's node has not signed a tree head yet",
                                p->party);
    } else if (rc && h.failed_http && h.status == 503 && strstr(err->msg, KEYLESS_TEXT)) {
        /* a node without a key keeps no verifiable log: nothing to check, unless it issued heads
         * before (then it hides its log: a trust failure) */
        if (st.have)
            rc = enlace_err_set(err, ENLACE_ECONFLICT,
                                "no audit log: %s's node signed tree heads before (size %llu) and now issues none",
                                p->party, (unsigned long long)st.cp.size);
        else
            rc = enlace_err_set(err, ENLACE_ENOTFOUND, "no audit log: %s's node has no signing key and issues no tree heads",
                                p->party);
    } else if (rc && h.malformed && rc != ENLACE_EAUTH && rc != ENLACE_ECONFLICT) {
        rc = ENLACE_EINVAL;  /* the partner's fault, not proof of tampering */
    }
    /* a log speaks for one node: enlace/<PARTY>/<identity> with the partner's party */
    if (rc == 0) {
        char want[16];
        snprintf(want, sizeof want, "enlace/%s/", p->party);
        if (strncmp(st.cp.origin, want, strlen(want)) != 0)
            rc = enlace_err_set(err, ENLACE_EAUTH, "bad origin: the log '%s' is not of a %s node", st.cp.origin, p->party);
    }
    if (rc == 0) {
        enlace_buf out = ENLACE_BUF_INIT;
        if (audit_state_format(&st, &out) != 0 || out.oom) rc = enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
        else if ((rc = store_partner_trust_set(s, p->party, out.p, err)) == ENLACE_ENOTFOUND)
            rc = enlace_err_set(err, ENLACE_EINVAL, "%s is no longer a partner", p->party);
        enlace_buf_free(&out);
        if (rc == 0 && tree_size) *tree_size = res.new_size;
    }
    audit_state_free(&st);
    return rc;
}

/* internal.h */
int fed_node_self(store *s, char *org, size_t org_n, char party[POLICY_PARTY_LEN], enlace_err *err) {
    store_org *orgs = NULL;
    size_t n = 0;
    int rc = store_org_list(s, &orgs, &n, err);
    if (rc) return rc;
    rc = enlace_err_set(err, ENLACE_ENOTFOUND, "the node has no organization of its own");
    for (size_t i = 0; i < n; i++)
        if (orgs[i].self) {
            snprintf(org, org_n, "%s", orgs[i].name);
            snprintf(party, POLICY_PARTY_LEN, "%s", orgs[i].party);
            rc = 0;
            enlace_err_clear(err);
            break;
        }
    free(orgs);
    return rc;
}

int fed_trust_failure_record(store *s, const char *party, const char *reason, enlace_err *err) {
    if (!s || !party || !reason || !*reason) return enlace_err_set(err, ENLACE_EINVAL, "fed: bad trust failure record");
    char org[128], self_party[POLICY_PARTY_LEN], target[64];
    int rc = fed_node_self(s, org, sizeof org, self_party, err);
    if (rc) return rc;
    snprintf(target, sizeof target, "partner %s stopped", party);
    if ((rc = store_audit_begin(s, err))) return rc;
    rc = store_partner_set_stopped(s, party, reason, err);
    if (rc == 0) {
        audit_entry e = {enlace_clock_now_us(), FED_SYNC_PRINCIPAL, org, self_party, FED_TRUST_FAILURE_ACTION, "",
                         party, "deny", reason, target, NULL, 0};
        rc = audit_append_tx(s, &e, NULL, err);
    }
    if (rc == 0) rc = store_audit_commit(s, err);
    if (rc) store_audit_rollback(s);
    return rc;
}
