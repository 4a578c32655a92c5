/* internal.h - for fed module files only: what trust.c and directory.c share. */
#ifndef ENLACE_FED_INTERNAL_H
#define ENLACE_FED_INTERNAL_H

#include <stddef.h>

#include "store/store.h"
#include "util/err.h"

/* The node's own organization (its name into org, org_n bytes) and party: who the federation's
 * audit entries (fed-trust-failure, fed-directory-conflict) say acted. ENLACE_ENOTFOUND when
 * the node has no organization of its own. trust.c. */
int fed_node_self(store *s, char *org, size_t org_n, char party[POLICY_PARTY_LEN], enlace_err *err);

#endif
