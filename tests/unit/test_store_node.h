/* test_store_node.h - for the store's unit tests: make a store a node of a party with its own
 * organization (what `enlace init` does), and the principal of that organization. */
#ifndef ENLACE_TEST_STORE_NODE_H
#define ENLACE_TEST_STORE_NODE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

/* A fixed identity id per organization name, so tests can write created_by_ref literally:
 * identity--00000000-0000-4000-8000-<12 hex digits from the name>. */
static inline void test_identity_of(const char *name, char out[POLICY_IDENTITY_LEN]) {
    unsigned long long h = 1469598103934665603ull;
    for (const char *p = name; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
    snprintf(out, POLICY_IDENTITY_LEN, "identity--00000000-0000-4000-8000-%012llx", h & 0xffffffffffffull);
}

/* Make s the node of party with its own organization org_name (meta party, org, identity_id,
 * the party and organization rows). Returns the organization's rowid, 0 on failure. */
static inline int64_t test_node_init(store *s, const char *party, const char *org_name) {
    char ident[POLICY_IDENTITY_LEN];
    test_identity_of(org_name, ident);
    store_org o;
    if (store_meta_set(s, "party", party, NULL) || store_meta_set(s, "org", org_name, NULL) ||
        store_meta_set(s, "identity_id", ident, NULL) || store_party_add(s, party, NULL, NULL) ||
        store_org_add(s, ident, org_name, party, 1, "{}", 1, &o, NULL))
        return 0;
    return o.rowid;
}

/* Add an organization (vouched when of the node's party); its rowid, 0 on failure. */
static inline int64_t test_org(store *s, const char *party, const char *name, int vouched) {
    char ident[POLICY_IDENTITY_LEN];
    test_identity_of(name, ident);
    store_org o;
    if (store_org_add(s, ident, name, party, vouched, "{}", 1, &o, NULL)) return 0;
    return o.rowid;
}

/* A local user principal of organization org_rowid of party (node party node_party). */
static inline policy_principal test_principal(policy_kind kind, int64_t org_rowid, const char *org_name,
                                              const char *party, const char *node_party) {
    policy_principal p;
    memset(&p, 0, sizeof p);
    p.kind = kind;
    p.org = org_rowid;
    test_identity_of(org_name, p.org_identity);
    snprintf(p.party, sizeof p.party, "%s", party);
    snprintf(p.node_party, sizeof p.node_party, "%s", node_party);
    p.now_us = 1;
    return p;
}

/* The normalized instant key of a STIX timestamp (what stix_time_parse yields): no 'Z', no
 * trailing fractional zeros, no bare '.'. */
static inline void test_key_of(const char *ts, char *key, size_t n) {
    snprintf(key, n, "%s", ts);
    size_t len = strlen(key);
    if (len && key[len - 1] == 'Z') key[--len] = '\0';
    if (strchr(key, '.')) {
        while (len && key[len - 1] == '0') key[--len] = '\0';
        if (len && key[len - 1] == '.') key[--len] = '\0';
    }
}

/* A fresh store in a new temporary directory: dir (64 bytes) gets "/tmp/enlace-<name>-XXXXXX"
 * made by mkdtemp, path (96 bytes) "<dir>/node.db", *s the opened store. 0, or -1. */
static inline int test_store_tmp_open(const char *name, char dir[64], char path[96], store **s) {
    snprintf(dir, 64, "/tmp/enlace-%s-XXXXXX", name);
    if (!mkdtemp(dir)) return -1;
    snprintf(path, 96, "%s/node.db", dir);
    enlace_err err;
    return store_open(path, 1, s, &err) == 0 ? 0 : -1;
}

/* Remove a test's temporary directory dir (made by mkdtemp). 0, or -1 when rm failed. */
static inline int test_remove_dir(const char *dir) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
