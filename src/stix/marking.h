/* marking.h - read an object's data markings (STIX 2.1 §7.2) into one canonical form: the TLP
 * level however it is encoded (TLP 1.0 ids, TLP 2.0 extension ids, OpenCTI-style definitions),
 * and enlace's handling extension (releasable_to, releasable_to_orgs, orcon, vetted_only,
 * purpose, review_by). The mapping table is documented in docs/policy.md. Leaf library: no
 * storage, no policy decisions (policy/policy.h uses the same TLP numbering). */
#ifndef ENLACE_STIX_MARKING_H
#define ENLACE_STIX_MARKING_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

/* TLP levels: same numbers as policy_tlp (policy/policy.h). */
#define STIX_TLP_NONE (-1)
#define STIX_TLP_CLEAR 0
#define STIX_TLP_GREEN 1
#define STIX_TLP_AMBER 2
#define STIX_TLP_AMBER_STRICT 3
#define STIX_TLP_RED 4

/* The id of enlace's handling extension definition (an extension-definition object published
 * in data/enlace-handling/ with its JSON schema; used as a property extension on the object:
 * "extensions": {STIX_ENLACE_HANDLING_EXT: {"extension_type": "property-extension", ...}}). */
#define STIX_ENLACE_HANDLING_EXT "extension-definition--c05bc01b-2963-4d49-a373-a33e30f35e95"

/* The TLP 2.0 extension definition (FIRST / OASIS cti-stix-common-objects). */
#define STIX_TLP2_EXT "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

/* At most this many distinct marking-definition ids that are not fixed TLP ids (object and
 * granular markings together, compared case-insensitively); an object referencing more is
 * refused, since any of the others could define TLP:RED. */
#define STIX_MARKING_MAX_UNKNOWN 32
#define STIX_MARKING_ID_LEN 64

/* The most distinct entries the handling extension's lists may carry: exactly what the
 * comma-framed buffers below hold (",XX," is 1 + 3 per code + NUL in 256 bytes; an identity id is
 * 46 bytes, 1 + 47 per id + NUL in 1024 bytes). data/enlace-handling/schema.json says the same
 * (maxItems); a longer list refuses the object. */
#define STIX_MARKING_MAX_RELEASABLE_TO 84
#define STIX_MARKING_MAX_RELEASABLE_TO_ORGS 21

typedef struct stix_marking {
    int tlp;                      /* most restrictive TLP found (object and granular markings
                                   * count alike); STIX_TLP_NONE when none */
    int has_releasable_to;        /* the handling extension carries releasable_to */
    char releasable_to[256];      /* comma-framed upper-case party codes: ",MX,US," ("" when
                                   * absent; ",," for an empty list = nobody outside) */
    int has_releasable_to_orgs;
    char releasable_to_orgs[1024];/* comma-framed identity ids in lower case: ",identity--…," */
    int orcon;                    /* 0/1 */
    int vetted_only;              /* 0/1 */
    char purpose[256];            /* "" when absent */
    int64_t review_by_us;         /* microseconds since the epoch; 0 when absent */
    /* marking-definition ids referenced that are not a known TLP id, in lower case, once each:
     * the store resolves them against TLP marking-definitions it holds
     * (stix_marking_definition_tlp). More than STIX_MARKING_MAX_UNKNOWN refuses the object. */
    char unknown_refs[STIX_MARKING_MAX_UNKNOWN][STIX_MARKING_ID_LEN];
    size_t n_unknown;
} stix_marking;

/* Fill *out from a validated STIX object obj (object_marking_refs, granular_markings[].
 * marking_ref, extensions[STIX_ENLACE_HANDLING_EXT]); out is caller-owned, nothing allocated.
 * Identifiers are case-insensitive (RFC 4122 §3): fixed TLP ids and the extension's key match
 * in any case, and every id written to *out is in lower case. The TLP is the most restrictive
 * fixed id referenced (S§7.2; granular markings count for the whole object); other
 * marking-definition ids go to unknown_refs, once each. The handling extension is read strictly
 * against data/enlace-handling/schema.json: extension_type must be "property-extension",
 * unknown members are refused, duplicate list entries are kept once, an empty list is present
 * (",,"). Returns 0, or -1 with a one-line reason (reason_len bytes) when the object's markings
 * cannot be kept whole: more than STIX_MARKING_MAX_UNKNOWN distinct non-TLP marking references,
 * the handling extension under two keys differing in case, or a malformed handling extension
 * (not an object, a party code that is not two upper-case letters, an id that is not an
 * identity id, a non-boolean flag, a purpose that is not a string of at most 255 bytes, a
 * review_by that is not a STIX timestamp after the epoch, or more distinct list entries than
 * STIX_MARKING_MAX_RELEASABLE_TO / _ORGS). Such an object must be refused (never stored with
 * weaker handling than its author meant). Can't crash on any JSON. */
int stix_marking_extract(json_object *obj, stix_marking *out, char *reason, size_t reason_len);

/* The TLP level of a marking-definition id when it is one of the fixed ids enlace knows (TLP
 * 1.0, TLP 2.0, OpenCTI's AMBER+STRICT), compared ASCII case-insensitively, else
 * STIX_TLP_NONE. */
int stix_marking_tlp_of_id(const char *marking_id);

/* The TLP level a marking-definition object defines — definition_type "tlp" (or the AIS
 * marking's "ais") with definition.tlp, or the TLP 2.0 extension's tlp_2_0, or (OpenCTI)
 * x_opencti_definition_type "TLP" with x_opencti_definition, or a name "TLP:<LEVEL>" — else
 * STIX_TLP_NONE. Levels are read case-insensitively, with or without a "TLP:" prefix, "white" =
 * CLEAR; the TLP 2.0 extension's key is matched case-insensitively. When several encodings disagree the most restrictive wins. When the object's id is a
 * known fixed id, that id's level wins over the body (so OpenCTI's `tlp: clear` under the
 * TLP:WHITE id is CLEAR either way, and a "statement" posted under the TLP:GREEN id, as some
 * OASIS examples do, is GREEN). md may be any json-c value; not a marking-definition object ->
 * STIX_TLP_NONE. Can't fail. */
int stix_marking_definition_tlp(json_object *md);

#endif
