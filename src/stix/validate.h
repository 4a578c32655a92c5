/* validate.h - STIX 2.1 (and 2.0) object validation of everything posted to a node (S§3-§7). */
#ifndef ENLACE_STIX_VALIDATE_H
#define ENLACE_STIX_VALIDATE_H

#include <json-c/json.h>
#include <stddef.h>

#include "stix/id.h"
#include "stix/time.h"

/* What the store needs to know about one valid object. All strings are copies owned by the struct. */
typedef struct stix_meta {
    char id[STIX_ID_MAX];
    char type[256];
    char spec_version[8];        /* "2.1", or "2.0" for SDO/SRO without spec_version (S§3.2) */
    int has_version;             /* 1 when modified or created is present */
    char version[80];            /* the producer's modified string, else created, byte-exact */
    char version_key[STIX_TIME_KEY_MAX]; /* stix_time_parse() key of version */
    char created_by_ref[STIX_ID_MAX];    /* "" when absent */
    int revoked;                 /* "revoked": true */
    char warnings[512];          /* "; "-separated warnings (e.g. UUID version SHOULDs), "" if none */
} stix_meta;

/* Validate one STIX object (a json-c object parsed from a TAXII envelope) against STIX 2.1
 * (S§3.2 common properties, S§4 SDOs, S§5 SROs, S§6 SCOs, S§7 meta objects), or STIX 2.0
 * rules when an SDO/SRO/marking-definition has no spec_version (or says "2.0"). Checks: it is a
 * JSON object; type, id form and that the id's type matches; spec_version ("2.1" or "2.0",
 * anything else is "unsupported spec_version"); created/modified as STIX timestamps with >= 3
 * fraction digits (2.0 asked for exactly 3: more is accepted with a warning), modified >= created;
 * each standard type's required properties and value types; *_ref / *_refs values being ids (of
 * the allowed types where the spec names them); lists non-empty; no null values;
 * granular_markings entries; custom types (x-... or unknown) get the common-property checks only.
 * Returns 0 and fills *meta when valid; returns -1 and writes a precise one-line reason to
 * reason (reason_len bytes), e.g. "indicator: missing required property 'pattern_type'".
 * Warnings (not failures) go to meta->warnings. Can't crash on any JSON input. */
int stix_validate(json_object *obj, stix_meta *meta, char *reason, size_t reason_len);

#endif
