/* directory.c - a partner's signed directory taken in each sync pass (issue 5 must-have 2): GET
 * /enlace/v1/directory, {"payload","signature","public_key"} (src/taxii/directory.c), checked
 * against the pinned node key, its organizations and vettings handed to store_directory_take_in
 * for this node's own decisions (created_by_ref originators, vetted_only). */
#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/checkpoint.h"
#include "audit/log.h"
#include "client/client.h"
#include "fed/audit_source.h"
#include "fed/fed.h"
#include "fed/internal.h"
#include "stix/json.h"
#include "stix/time.h"
#include "store/audit_store.h"
#include "util/clock.h"

static int malformed(enlace_err *err, const char *party, const char *what) {
    return enlace_err_set(err, ENLACE_EINVAL, "malformed response: the directory of %s: %s", party, what);
}

static json_object *parse(const char *text, size_t len) {
    if (len > 0x7fffffff) return NULL;
    json_tokener *tok = json_tokener_new();
    if (!tok) return NULL;
    json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    /* one JSON value and nothing after it */
    if (o && json_tokener_get_parse_end(tok) != len) {
        size_t end = json_tokener_get_parse_end(tok);
        while (end < len && (text[end] == ' ' || text[end] == '\n' || text[end] == '\r' || text[end] == '\t')) end++;
        if (end != len) {
            json_object_put(o);
            o = NULL;
        }
    }
    json_tokener_free(tok);
    return o;
}

/* Check the envelope: the key is the pinned one, the signature verifies over the payload's bytes.
 * *payload points into env. */
static int check_signature(json_object *env, const store_partner *p, const unsigned char pk[32],
                           const char **payload, size_t *payload_len, enlace_err *err) {
    json_object *pl = NULL;
    const char *sig64 = stix_json_str(env, "signature"), *key64 = stix_json_str(env, "public_key");
    if (!json_object_object_get_ex(env, "payload", &pl) || !json_object_is_type(pl, json_type_string) || !sig64 ||
        !key64)
        return malformed(err, p->party, "not a signed directory (payload, signature, public_key)");
    unsigned char key[crypto_sign_PUBLICKEYBYTES], sig[crypto_sign_BYTES];
    size_t n = 0;
    if (sodium_base642bin(key, sizeof key, key64, strlen(key64), NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        n != sizeof key)
        return malformed(err, p->party, "public_key is not a base64 Ed25519 key");
    if (sodium_memcmp(key, pk, sizeof key) != 0)
        return enlace_err_set(err, ENLACE_EAUTH, "bad signature: the directory of %s is signed by another key (%.44s), "
                              "not the pinned one", p->party, key64);
    if (sodium_base642bin(sig, sizeof sig, sig64, strlen(sig64), NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        n != sizeof sig)
        return enlace_err_set(err, ENLACE_EAUTH, "bad signature: the directory of %s carries a malformed signature",
                              p->party);
    *payload = json_object_get_string(pl);
    *payload_len = (size_t)json_object_get_string_len(pl);
    if (crypto_sign_verify_detached(sig, (const unsigned char *)*payload, *payload_len, pk) != 0)
        return enlace_err_set(err, ENLACE_EAUTH, "bad signature: the directory of %s does not verify with the pinned key",
                              p->party);
    return 0;
}

/* The payload's organizations (STIX identities) and vettings by p->party into arrays pointing
 * into doc (orgs' identity_json into json-c's serialisations, also owned by doc). */
static int read_payload(json_object *doc, const store_partner *p, store_dir_org **orgs, size_t *n_orgs,
                        store_dir_vetting **vets, size_t *n_vets, enlace_err *err) {
    *orgs = NULL;
    *vets = NULL;
    *n_orgs = *n_vets = 0;
    const char *party = stix_json_str(doc, "party");
    if (!party) return malformed(err, p->party, "the payload names no party");
    if (strcmp(party, p->party) != 0)
        return enlace_err_set(err, ENLACE_EAUTH, "wrong party: the directory signed with %s's key speaks for party "
                              "'%.8s', not %s", p->party, party, p->party);
    json_object *ao = NULL, *av = NULL;
    if (!json_object_object_get_ex(doc, "organizations", &ao) || !json_object_is_type(ao, json_type_array) ||
        !json_object_object_get_ex(doc, "vettings", &av) || !json_object_is_type(av, json_type_array))
        return malformed(err, p->party, "organizations and vettings are not arrays");
    size_t no = json_object_array_length(ao), nv = json_object_array_length(av);
    if (no > FED_DIRECTORY_MAX_ORGS || nv > FED_DIRECTORY_MAX_VETTINGS)
        return malformed(err, p->party, "too many organizations or vettings");
    *orgs = calloc(no ? no : 1, sizeof **orgs);
    *vets = calloc(nv ? nv : 1, sizeof **vets);
    if (!*orgs || !*vets) return enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
    for (size_t i = 0; i < no; i++) {
        json_object *o = json_object_array_get_idx(ao, i);
        const char *type = stix_json_str(o, "type"), *id = stix_json_str(o, "id"), *name = stix_json_str(o, "name");
        if (!json_object_is_type(o, json_type_object) || !type || strcmp(type, "identity") != 0 || !id || !name)
            continue;  /* not an identity: nothing this node can record */
        const char *json = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!json || strlen(json) > FED_DIRECTORY_MAX_IDENTITY) continue;
        (*orgs)[(*n_orgs)++] = (store_dir_org){id, name, json};
    }
    for (size_t i = 0; i < nv; i++) {
        json_object *v = json_object_array_get_idx(av, i);
        const char *org = stix_json_str(v, "organization"), *by = stix_json_str(v, "vetted_by"), *until = stix_json_str(v, "until");
        int64_t until_us = 0;
        /* a directory states its own party's vettings only */
        if (!org || !by || strcmp(by, p->party) != 0 || !until || taxii_time_parse(until, &until_us) != 0) continue;
        (*vets)[(*n_vets)++] = (store_dir_vetting){org, until_us};
    }
    return 0;
}

/* Take the directory in and, when its conflicts are news (store_dir_conflicts.changed), append
 * the audit entry FED_DIRECTORY_CONFLICT_ACTION in the same transaction. */
static int take_in(store *s, const store_partner *p, const store_dir_org *orgs, size_t no,
                   const store_dir_vetting *vets, size_t nv, size_t *n_orgs, size_t *n_vettings,
                   store_dir_conflicts *cf, enlace_err *err) {
    char org[128], self_party[POLICY_PARTY_LEN];
    int rc = fed_node_self(s, org, sizeof org, self_party, err);
    if (rc) return rc;
    if ((rc = store_audit_begin(s, err))) return rc;
    int64_t now = enlace_clock_now_us();
    rc = store_directory_take_in(s, p->party, orgs, no, vets, nv, now, n_orgs, n_vettings, cf, err);
    if (rc == 0 && cf->n > 0 && cf->changed) {
        char reason[512], target[64];
        fed_directory_conflict_describe(cf, reason, sizeof reason);
        snprintf(target, sizeof target, "directory of %s", p->party);
        audit_entry e = {now, FED_SYNC_PRINCIPAL, org, self_party, FED_DIRECTORY_CONFLICT_ACTION, "",
                         p->party, "deny", reason, target, NULL, 0};
        rc = audit_append_tx(s, &e, NULL, err);
    }
    if (rc == 0) rc = store_audit_commit(s, err);
    else store_audit_rollback(s);
    return rc;
}

void fed_directory_conflict_describe(const store_dir_conflicts *cf, char *out, size_t n) {
    char name[64];
    size_t k = 0;
    /* the published name is the partner's word: printable ASCII only, shortened */
    for (const char *q = cf->first_name; *q && k + 1 < sizeof name; q++)
        name[k++] = (unsigned char)*q >= 0x20 && (unsigned char)*q < 0x7f ? *q : '?';
    name[k] = '\0';
    if (cf->first_party[0])
        snprintf(out, n, "%zu published organization%s refused: %s ('%s') is registered here to party %s",
                 cf->n, cf->n == 1 ? "" : "s", cf->first_id, name, cf->first_party);
    else
        snprintf(out, n, "%zu published organization%s refused: %s ('%s') is reserved for a partner's node",
                 cf->n, cf->n == 1 ? "" : "s", cf->first_id, name);
}

int fed_directory_pull(store *s, struct client *c, const store_partner *p, size_t *n_orgs, size_t *n_vettings,
                       enlace_err *err) {
    return fed_directory_pull_ex(s, c, p, n_orgs, n_vettings, NULL, err);
}

int fed_directory_pull_ex(store *s, struct client *c, const store_partner *p, size_t *n_orgs, size_t *n_vettings,
                          store_dir_conflicts *conflicts, enlace_err *err) {
    store_dir_conflicts local;
    store_dir_conflicts *cf = conflicts ? conflicts : &local;
    memset(cf, 0, sizeof *cf);
    if (n_orgs) *n_orgs = 0;
    if (n_vettings) *n_vettings = 0;
    if (!s || !c || !p) return enlace_err_set(err, ENLACE_EINVAL, "fed: bad directory pull");
    unsigned char pk[32];
    if (audit_pubkey_parse(p->pubkey, pk, err) != 0)
        return enlace_err_set(err, ENLACE_EINVAL, "the pinned key of %s is not an Ed25519 key: %s", p->party, err->msg);
    char url[2300];
    if (fed_node_base_url(p->url, url, sizeof url - 32) != 0)
        return enlace_err_set(err, ENLACE_EINVAL, "the URL of %s is too long", p->party);
    strcat(url, "enlace/v1/directory");
    client_response resp;
    int rc = client_get_ex(c, url, "application/json", FED_DIRECTORY_MAX, &resp, err);
    if (rc == ENLACE_ETOOBIG) return malformed(err, p->party, "larger than its limit");
    if (rc) return rc;
    if (resp.status != 200) {
        char desc[300];
        client_error_describe(&resp, desc, sizeof desc);
        client_response_free(&resp);
        return enlace_err_set(err, ENLACE_ENET, "GET enlace/v1/directory: %s", desc);
    }
    json_object *env = parse(resp.body, resp.body_len), *doc = NULL;
    client_response_free(&resp);
    const char *payload = NULL;
    size_t payload_len = 0;
    store_dir_org *orgs = NULL;
    store_dir_vetting *vets = NULL;
    size_t no = 0, nv = 0;
    if (!env || !json_object_is_type(env, json_type_object)) rc = malformed(err, p->party, "not a JSON object");
    else rc = check_signature(env, p, pk, &payload, &payload_len, err);
    if (rc == 0 && (!(doc = parse(payload, payload_len)) || !json_object_is_type(doc, json_type_object)))
        rc = malformed(err, p->party, "its payload is not a JSON object");
    if (rc == 0) rc = read_payload(doc, p, &orgs, &no, &vets, &nv, err);
    if (rc == 0)
        rc = take_in(s, p, orgs, no, vets, nv, n_orgs, n_vettings, cf, err);
    free(orgs);
    free(vets);
    json_object_put(doc);
    json_object_put(env);
    return rc;
}
