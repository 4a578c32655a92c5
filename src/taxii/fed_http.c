/* fed_http.c - GET /enlace/v1/epoch (issue 5 must-have 1; fed_http.h). The epoch lets a pulling
 * partner notice that what it may read here changed (an agreement, a vetting, a default TLP) and
 * restart its mirrors from the beginning. */
#include <stdio.h>
#include <string.h>

#include "store/fed.h"
#include "taxii/error.h"
#include "taxii/fed_http.h"
#include "util/clock.h"

int taxii_epoch_path(const char *url) {
    return url && (strcmp(url, TAXII_EPOCH_PATH) == 0 || strcmp(url, TAXII_EPOCH_PATH "/") == 0);
}

void taxii_epoch_serve(store *s, const store_user *u, unsigned *status, enlace_buf *body, enlace_err *err_log) {
    if (!(u->roles & STORE_ROLE_PARTNER)) {
        *status = 403;
        taxii_error_json(body, 403, NULL, "the policy epoch is served to partner nodes only");
        return;
    }
    char epoch[STORE_EPOCH_LEN];
    enlace_err err;
    int rc = store_policy_epoch(s, u->party, enlace_clock_now_us(), epoch, &err);
    if (rc != 0) {
        if (err_log) *err_log = err;
        *status = rc == ENLACE_EBUSY ? 503 : 500;
        taxii_error_json(body, (int)*status, NULL, "the server could not complete the request");
        return;
    }
    *status = 200;
    enlace_buf_printf(body, "{\"party\":\"%s\",\"epoch\":\"%s\"}", u->party, epoch);
}
