/* page.c - one page pulled from a partner, made ready for the store (fed/page.h): each object
 * validated as a POST validates it (TAXII 2.1 §5.5; STIX 2.1 §3-§7 through stix_validate, the
 * handling markings through stix_marking_extract), kept as its received bytes minified. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fed/page.h"
#include "stix/json.h"
#include "stix/span.h"

/* The party x_enlace_originators names for id (copied into out), or NULL when none or not a
 * party code. The serving node keys it by the id as it stores it: in lower case. */
static const char *relayed_from(json_object *root, const char *id, char out[3]) {
    json_object *map, *v;
    if (!json_object_object_get_ex(root, "x_enlace_originators", &map) || !json_object_is_type(map, json_type_object))
        return NULL;
    char lid[STIX_ID_MAX];
    size_t n = strlen(id);
    if (n >= sizeof lid) return NULL;
    for (size_t i = 0; i <= n; i++) lid[i] = (char)(id[i] >= 'A' && id[i] <= 'Z' ? id[i] + 32 : id[i]);
    if (!json_object_object_get_ex(map, lid, &v) || !json_object_is_type(v, json_type_string)) return NULL;
    const char *p = json_object_get_string(v);
    if (strlen(p) != 2 || p[0] < 'A' || p[0] > 'Z' || p[1] < 'A' || p[1] > 'Z') return NULL;
    memcpy(out, p, 3);
    return out;
}

void fed_page_free(fed_page *pg) {
    free(pg->meta);
    free(pg->marks);
    free(pg->in);
    free(pg->text);
    free(pg->parties);
    memset(pg, 0, sizeof *pg);
}

int fed_page_build(const client_response *resp, json_object *root, fed_page *pg, char *note, size_t note_n,
                   enlace_err *err) {
    memset(pg, 0, sizeof *pg);
    json_object *arr;
    if (!json_object_object_get_ex(root, "objects", &arr)) return 0; /* an empty page omits it */
    if (!json_object_is_type(arr, json_type_array))
        return enlace_err_set(err, ENLACE_EUNPROC, "malformed response ('objects' is not a list)");
    size_t n = json_object_array_length(arr);
    stix_span *spans = calloc(n ? n : 1, sizeof *spans);
    pg->meta = calloc(n ? n : 1, sizeof *pg->meta);
    pg->marks = calloc(n ? n : 1, sizeof *pg->marks);
    pg->in = calloc(n ? n : 1, sizeof *pg->in);
    pg->text = malloc(resp->body_len + 1);
    pg->parties = calloc(n ? n : 1, sizeof *pg->parties);
    if (!spans || !pg->meta || !pg->marks || !pg->in || !pg->text || !pg->parties) {
        free(spans);
        fed_page_free(pg);
        return enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
    }
    size_t n_spans = 0, used = 0;
    if (stix_envelope_spans(resp->body, resp->body_len, spans, n, &n_spans) != 0 || n_spans != n) {
        free(spans);
        fed_page_free(pg);
        return enlace_err_set(err, ENLACE_EUNPROC, "malformed response (objects not found in the text)");
    }
    for (size_t i = 0; i < n; i++) {
        json_object *el = json_object_array_get_idx(arr, i);
        char reason[512];
        stix_meta *mt = &pg->meta[pg->k];
        stix_marking *mk = &pg->marks[pg->k];
        memset(mk, 0, sizeof *mk);
        int ok = 0;
        if (!json_object_is_type(el, json_type_object))
            snprintf(reason, sizeof reason, "element %zu of 'objects' is not a JSON object", i);
        else if (stix_validate(el, mt, reason, sizeof reason) != 0) ;
        else if (stix_marking_extract(el, mk, reason, sizeof reason) != 0) ;
        else ok = 1;
        if (!ok) {
            if (pg->bad++ == 0) {
                const char *id = json_object_is_type(el, json_type_object) ? stix_json_str(el, "id") : NULL;
                snprintf(note, note_n, "%.100s: %.140s", id ? id : "(no id)", reason);
            }
            continue;
        }
        size_t mlen = stix_json_minify(resp->body + spans[i].off, spans[i].len, pg->text + used);
        int is_md = strcmp(mt->type, "marking-definition") == 0;
        pg->in[pg->k] = (store_object_in){mt->id, mt->type, mt->spec_version, mt->has_version, mt->version,
                                          mt->version_key, pg->text + used, mlen,
                                          mt->created_by_ref[0] ? mt->created_by_ref : NULL, mk,
                                          is_md ? stix_marking_definition_tlp(el) : STIX_TLP_NONE, NULL};
        pg->in[pg->k].orig_party = relayed_from(root, mt->id, pg->parties[pg->k]);
        used += mlen;
        pg->k++;
    }
    free(spans);
    return 0;
}

