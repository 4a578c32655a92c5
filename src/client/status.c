/* status.c - match a TAXII 2.1 status resource's successes and failures to the objects sent. */
#include "client/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *jstr(json_object *o, const char *name) {
    json_object *v;
    if (o && json_object_object_get_ex(o, name, &v) && json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return NULL;
}

static json_object *jarray(json_object *o, const char *name) {
    json_object *v;
    if (json_object_object_get_ex(o, name, &v) && json_object_is_type(v, json_type_array)) return v;
    return NULL;
}

/* Find an unused status-details entry (T§4.3.1) of list naming id, preferring the same version
 * string. Returns its index or -1. */
static int find_detail(json_object *list, const char *used, const char *id, const char *version) {
    size_t n = list ? json_object_array_length(list) : 0;
    int loose = -1;
    for (size_t i = 0; i < n; i++) {
        if (used[i]) continue;
        json_object *d = json_object_array_get_idx(list, i);
        const char *did = jstr(d, "id"), *dver = jstr(d, "version");
        if (!did || strcmp(did, id) != 0) continue;
        if (!*version || !dver || strcmp(dver, version) == 0) return (int)i;
        if (loose < 0) loose = (int)i;
    }
    return loose;
}

static void take_detail(client_outcome *r, json_object *d, client_fate fate, const char *fallback) {
    const char *v = jstr(d, "version"), *m = jstr(d, "message");
    r->fate = fate;
    snprintf(r->version, sizeof r->version, "%s", v ? v : "");
    snprintf(r->message, sizeof r->message, "%s", m ? m : fallback);
    for (char *p = r->message; *p; p++)
        if ((unsigned char)*p < 0x20) *p = ' '; /* one line per object in reports */
}

int client_status_apply(json_object *status, const client_input *in, size_t start, size_t end,
                        client_outcome *outs) {
    json_object *succ = jarray(status, "successes"), *fail = jarray(status, "failures"), *sc;
    size_t ns = succ ? json_object_array_length(succ) : 0, nf = fail ? json_object_array_length(fail) : 0;
    char *used_s = calloc(ns + 1, 1), *used_f = calloc(nf + 1, 1);
    if (end > in->n) end = in->n;
    if (!used_s || !used_f) {
        for (size_t k = start; k < end; k++) {
            if (in->items[k].error) continue;
            outs[k].fate = CLIENT_REJECTED;
            snprintf(outs[k].message, sizeof outs[k].message, "out of memory reading the status");
        }
        free(used_s);
        free(used_f);
        return -1;
    }
    size_t unnamed = 0;
    for (size_t k = start; k < end; k++) {
        const client_item *it = &in->items[k];
        client_outcome *r = &outs[k];
        if (it->error) continue;
        int i;
        if ((i = find_detail(fail, used_f, it->id, it->version)) >= 0) {
            used_f[i] = 1;
            take_detail(r, json_object_array_get_idx(fail, (size_t)i), CLIENT_REJECTED, "rejected by the server");
        } else if ((i = find_detail(succ, used_s, it->id, it->version)) >= 0) {
            used_s[i] = 1;
            take_detail(r, json_object_array_get_idx(succ, (size_t)i), CLIENT_ACCEPTED, "");
        } else {
            r->fate = CLIENT_UNKNOWN;
            unnamed++;
        }
    }
    /* Without a successes list, trust success_count for the objects the failures did not name. */
    int64_t count = -1;
    if (json_object_object_get_ex(status, "success_count", &sc) && json_object_is_type(sc, json_type_int))
        count = json_object_get_int64(sc);
    int trust = !succ && count >= 0 && (size_t)count == unnamed;
    for (size_t k = start; k < end && unnamed; k++) {
        client_outcome *r = &outs[k];
        if (in->items[k].error || r->fate != CLIENT_UNKNOWN) continue;
        r->version[0] = r->message[0] = '\0';
        if (trust) {
            r->fate = CLIENT_ACCEPTED;
        } else {
            r->fate = CLIENT_REJECTED;
            snprintf(r->message, sizeof r->message, "not reported in the server's status");
        }
    }
    free(used_s);
    free(used_f);
    return 0;
}
