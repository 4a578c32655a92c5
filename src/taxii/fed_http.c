/* fed_http.c - GET /enlace/v1/epoch (issue 5 must-have 1; fed_http.h). The epoch lets a pulling
 * partner notice that what it may read here changed (an agreement, a vetting, a default TLP) and
 * restart its mirrors from the beginning. Served as {"party", "epoch", "collections": [{"id",
 * "default_tlp": "clear"|...|null}]} -- the collections its agreements cover and their default TLP. */
#include <stdio.h>
#include <stdlib.h>
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
    /* The collections its agreements cover, with their default TLP: objects without a TLP
     * marking were decided here under that default, and the puller's mirror must read them the
     * same way (else an unmarked CLEAR object would count as AMBER there). */
    store_agreement *a = NULL;
    size_t n = 0;
    if ((rc = store_agreement_list(s, &a, &n, &err)) != 0) {
        if (err_log) *err_log = err;
        *status = rc == ENLACE_EBUSY ? 503 : 500;
        taxii_error_json(body, (int)*status, NULL, "the server could not complete the request");
        return;
    }
    *status = 200;
    enlace_buf_printf(body, "{\"party\":\"%s\",\"epoch\":\"%s\",\"collections\":[", u->party, epoch);
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(a[i].party, u->party) != 0) continue;
        enlace_buf_printf(body, "%s{\"id\":\"%s\",\"default_tlp\":", shown++ ? "," : "", a[i].coll_id);
        if (a[i].default_tlp == POLICY_TLP_NONE) enlace_buf_puts(body, "null}");
        else enlace_buf_printf(body, "\"%s\"}", policy_tlp_name(a[i].default_tlp));
    }
    enlace_buf_puts(body, "]}");
    free(a);
}
