/* fed_http.h - the federation's resource of a serving node (issue 5 must-have 1): GET
 * /enlace/v1/epoch, the policy epoch this node serves the calling partner. routes.c
 * authenticates and dispatches here; this file only reads the store. */
#ifndef ENLACE_TAXII_FED_HTTP_H
#define ENLACE_TAXII_FED_HTTP_H

#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

#define TAXII_EPOCH_PATH "/enlace/v1/epoch"

/* 1 when url is /enlace/v1/epoch (with or without the trailing '/'). */
int taxii_epoch_path(const char *url);

/* Answer GET /enlace/v1/epoch for the authenticated user u: a partner node's account (role
 * partner) gets 200 {"party":"US","epoch":"<64 hex>"} (store_policy_epoch of its party: it
 * changes whenever an agreement with that party, a default TLP of one of those collections, a
 * vetting of one of its organizations or its account's state changes); any other account 403
 * (TAXII error resource, T§3.6.1). *status gets the HTTP status and body the JSON; a store
 * failure gives 500 (503 when busy) with err_log (may be NULL) filled. */
void taxii_epoch_serve(store *s, const store_user *u, unsigned *status, enlace_buf *body, enlace_err *err_log);

#endif
