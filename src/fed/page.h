/* page.h - a page of objects pulled from a partner (GET collections/ID/objects/, TAXII 2.1
 * §5.4), validated like a POST (routes.c handle_post) and turned into store inputs. Internal to
 * the sync engine (sync.c). */
#ifndef ENLACE_FED_PAGE_H
#define ENLACE_FED_PAGE_H

#include <json-c/json.h>
#include <stddef.h>

#include "client/client.h"
#include "stix/marking.h"
#include "stix/validate.h"
#include "store/store.h"

/* The valid objects of a page: in[0..k) point into meta, marks and text (all owned by the
 * page, fed_page_free); bad counts the objects refused as invalid. */
typedef struct fed_page {
    stix_meta *meta;
    stix_marking *marks;
    store_object_in *in;
    char *text;            /* the valid objects' bytes, minified */
    char (*parties)[3];    /* in[i].orig_party's storage: the envelope's x_enlace_originators */
    size_t k, bad;
} fed_page;

/* Build pg from a page: resp is the HTTP response (its body the envelope text), root its parsed
 * JSON object. An element that is not an object, fails stix_validate or has unreadable handling
 * markings is counted in bad, and the first one is named in note (note_n bytes: "<id>: <reason>");
 * the others become store inputs (markings extracted, body minified, md_tlp set for a
 * marking-definition; orig_party from the envelope's x_enlace_originators, the originator party
 * an enlace partner names for each object it relays from another party). A page without
 * "objects" is empty. Returns 0; ENLACE_EUNPROC ("malformed
 * response (...)") when "objects" is not a list or cannot be located in the text; ENLACE_ENOMEM.
 * On error pg holds nothing. */
int fed_page_build(const client_response *resp, json_object *root, fed_page *pg, char *note, size_t note_n,
                   enlace_err *err);
void fed_page_free(fed_page *pg);

#endif
