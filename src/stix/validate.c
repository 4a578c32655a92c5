/* validate.c - STIX 2.1 (and 2.0) object validation (S§3-§7): common properties, per-type
 * required properties and value types driven by property tables, reference target types, and
 * the few cross-property rules the spec states as MUSTs. Runs on every posted object, so it
 * allocates nothing: json-c lookups, fixed buffers and stack-only work. */
#include "stix/validate.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------------------------------------
 * Object kinds and the context of one validation
 * ------------------------------------------------------------------------------------------- */

typedef enum { K_SDO, K_SRO, K_SCO, K_MARKING, K_LANG, K_EXTDEF, K_CUSTOM } vkind;

typedef struct vctx {
    const char *type;     /* the object's "type" (valid type name once set) */
    vkind kind;
    int v20;              /* 1: STIX 2.0 rules (SDO/SRO/marking without spec_version) */
    char *reason;
    size_t reason_len;
    stix_meta *meta;
} vctx;

/* Write "<type>: <message>" to the reason buffer; returns -1 so callers can `return fail(...)`. */
__attribute__((format(printf, 2, 3))) static int fail(vctx *c, const char *fmt, ...)
{
    if (c->reason == NULL || c->reason_len == 0)
        return -1;
    size_t off = 0;
    if (c->type != NULL) {
        int k = snprintf(c->reason, c->reason_len, "%s: ", c->type);
        off = k < 0 ? 0 : (size_t)k;
        if (off >= c->reason_len)
            return -1;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->reason + off, c->reason_len - off, fmt, ap);
    va_end(ap);
    return -1;
}

/* Append a warning to meta->warnings ("; "-separated), truncating quietly when full. */
__attribute__((format(printf, 2, 3))) static void warn(vctx *c, const char *fmt, ...)
{
    char *w = c->meta->warnings;
    size_t cap = sizeof c->meta->warnings;
    size_t len = strlen(w);
    if (len + 3 >= cap)
        return;
    if (len > 0) {
        memcpy(w + len, "; ", 3);
        len += 2;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w + len, cap - len, fmt, ap);
    va_end(ap);
}

/* 1 when member k is present, with its value in *v; a JSON null member gives 1 and *v == NULL
 * (check_members refuses those, so the later checks can use get()'s NULL as "absent"). */
static int has(json_object *o, const char *k, json_object **v)
{
    return json_object_object_get_ex(o, k, v) ? 1 : 0;
}

static json_object *get(json_object *o, const char *k)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, k, &v) ? v : NULL;
}

static int is_type(json_object *v, json_type t) { return v != NULL && json_object_is_type(v, t); }

/* ---------------------------------------------------------------------------------------------
 * Standard type names, so that reference checks can tell an SDO from an SCO (S§4, §5, §6, §7)
 * ------------------------------------------------------------------------------------------- */

static const char *const SDO_TYPES[] = {
    "attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident",
    "indicator", "infrastructure", "intrusion-set", "location", "malware", "malware-analysis",
    "note", "observed-data", "opinion", "report", "threat-actor", "tool", "vulnerability", NULL};
static const char *const SRO_TYPES[] = {"relationship", "sighting", NULL};
static const char *const SCO_TYPES[] = {
    "artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message",
    "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process",
    "software", "url", "user-account", "windows-registry-key", "x509-certificate", NULL};
static const char *const META_TYPES[] = {"marking-definition", "language-content",
                                         "extension-definition", "bundle", NULL};

static int in_list(const char *const *list, const char *s, size_t n)
{
    for (; *list != NULL; list++)
        if ((*list)[0] == s[0] && strlen(*list) == n && memcmp(*list, s, n) == 0)
            return 1;
    return 0;
}

/* Reference target sets. A set is a NULL-terminated list of type names, or one of the two
 * classes below: "#sdo" (a standard SDO or a custom type) and "#sco" (a standard SCO or a
 * custom type). Custom types are allowed in the classes because we can't know their kind. */
static const char *const TO_SDO[] = {"#sdo", NULL};
static const char *const TO_SCO[] = {"#sco", NULL};
static const char *const TO_IDENTITY[] = {"identity", NULL};
static const char *const TO_MARKING[] = {"marking-definition", NULL};
static const char *const TO_WHERE[] = {"identity", "location", NULL};
static const char *const TO_OBSERVED[] = {"observed-data", NULL};
static const char *const TO_FILE_ARTIFACT[] = {"file", "artifact", NULL};
static const char *const TO_SOFTWARE[] = {"software", NULL};
static const char *const TO_SAMPLE[] = {"file", "artifact", "network-traffic", NULL};
static const char *const TO_RESOLVES[] = {"ipv4-addr", "ipv6-addr", "domain-name", NULL};
static const char *const TO_USER[] = {"user-account", NULL};
static const char *const TO_EMAIL_ADDR[] = {"email-addr", NULL};
static const char *const TO_ARTIFACT[] = {"artifact", NULL};
static const char *const TO_DIRECTORY[] = {"directory", NULL};
static const char *const TO_FILE_DIR[] = {"file", "directory", NULL};
static const char *const TO_MAC[] = {"mac-addr", NULL};
static const char *const TO_AS[] = {"autonomous-system", NULL};
static const char *const TO_ENDPOINT[] = {"ipv4-addr", "ipv6-addr", "mac-addr", "domain-name", NULL};
static const char *const TO_TRAFFIC[] = {"network-traffic", NULL};
static const char *const TO_FILE[] = {"file", NULL};
static const char *const TO_PROCESS[] = {"process", NULL};

static int is_standard(const char *t, size_t n)
{
    return in_list(SDO_TYPES, t, n) || in_list(SRO_TYPES, t, n) || in_list(SCO_TYPES, t, n) ||
           in_list(META_TYPES, t, n);
}

/* 1 when the type part (t, n bytes) of an id is allowed by the target set. */
static int ref_allowed(const char *const *to, const char *t, size_t n)
{
    if (to == NULL)
        return 1;
    if (to[0][0] == '#' && to[0][2] == 'd') /* "#sdo" */
        return in_list(SDO_TYPES, t, n) || !is_standard(t, n);
    if (to[0][0] == '#') /* "#sco" */
        return in_list(SCO_TYPES, t, n) || !is_standard(t, n);
    return in_list(to, t, n);
}

/* Describe a target set for a message: "identity or location". */
static void describe_set(const char *const *to, char *out, size_t cap)
{
    size_t off = 0;
    out[0] = '\0';
    for (size_t i = 0; to[i] != NULL && off < cap; i++) {
        const char *name = to[i];
        if (strcmp(name, "#sdo") == 0)
            name = "an SDO";
        else if (strcmp(name, "#sco") == 0)
            name = "an SCO";
        int k = snprintf(out + off, cap - off, "%s%s", i == 0 ? "" : (to[i + 1] ? ", " : " or "), name);
        if (k < 0)
            break;
        off += (size_t)k;
    }
}

/* Check one reference value v (the idx-th element of prop when idx >= 0). Hot (every reference
 * of every object): nothing is formatted unless it fails. */
static int check_ref(vctx *c, const char *prop, long idx, json_object *v, const char *const *to)
{
    char where[300];
#define WHERE() (idx >= 0 ? (snprintf(where, sizeof where, "%s[%ld]", prop, idx), where) : prop)
    if (!is_type(v, json_type_string))
        return fail(c, "%s must be an identifier string", WHERE());
    const char *id = json_object_get_string(v);
    if (stix_id_check(id, NULL, NULL, NULL, 0) != 0) {
        char why[200];
        stix_id_check(id, NULL, NULL, why, sizeof why);
        return fail(c, "%s: %s", WHERE(), why);
    }
    if (to != NULL) {
        size_t tlen = (size_t)json_object_get_string_len(v) - 38;
        if (!ref_allowed(to, id, tlen)) {
            char set[200];
            describe_set(to, set, sizeof set);
            return fail(c, "%s must refer to %s, not '%.*s'", WHERE(), set, (int)(tlen < 100 ? tlen : 100), id);
        }
    }
#undef WHERE
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Property tables
 * ------------------------------------------------------------------------------------------- */

typedef enum {
    P_STR,      /* string */
    P_BOOL,     /* boolean */
    P_INT,      /* integer (JSON number without fraction or exponent), optional range */
    P_NUM,      /* any number, optional range */
    P_TS,       /* STIX timestamp (S§3.2) */
    P_STRLIST,  /* non-empty list of strings */
    P_OBJLIST,  /* non-empty list of objects */
    P_DICT,     /* object (dictionary) */
    P_HASHES,   /* non-empty dictionary of strings (S§2.7 hashes) */
    P_KCP,      /* non-empty list of kill-chain-phase objects (S§2.8) */
    P_BIN,      /* base64 binary (S§2.2, RFC 4648 §4, padded) */
    P_HEX,      /* hex string of whole bytes (S§2.8) */
    P_REF,      /* identifier, optionally of given types */
    P_REFS      /* non-empty list of identifiers, optionally of given types */
} ptype;

typedef struct prop {
    const char *name;
    unsigned char t;            /* a ptype */
    unsigned char req;          /* 1 when required */
    unsigned char ranged;       /* 1 when lo/hi apply */
    const char *const *to;      /* reference target set, NULL for any */
    double lo, hi;
} prop;

#define REQ(n, t) {n, t, 1, 0, NULL, 0, 0}
#define OPT(n, t) {n, t, 0, 0, NULL, 0, 0}
#define REQ_TO(n, t, to) {n, t, 1, 0, to, 0, 0}
#define OPT_TO(n, t, to) {n, t, 0, 0, to, 0, 0}
#define REQ_RANGE(n, t, lo, hi) {n, t, 1, 1, NULL, lo, hi}
#define OPT_RANGE(n, t, lo, hi) {n, t, 0, 1, NULL, lo, hi}
#define END {NULL, 0, 0, 0, NULL, 0, 0}

/* 1 when s (n bytes) is padded base64 (the OASIS schema's binary pattern). */
static int is_base64(const char *s, size_t n)
{
    if (n == 0 || n % 4 != 0)
        return 0;
    size_t pad = (s[n - 1] == '=') + (n >= 2 && s[n - 1] == '=' && s[n - 2] == '=');
    for (size_t i = 0; i < n - pad; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '+' || ch == '/'))
            return 0;
    }
    return 1;
}

static int is_hexstr(const char *s, size_t n)
{
    if (n == 0 || n % 2 != 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')))
            return 0;
    }
    return 1;
}

static int check_value(vctx *c, const prop *p, json_object *v)
{
    const char *n = p->name;
    switch ((ptype)p->t) {
    case P_STR:
        if (!is_type(v, json_type_string))
            return fail(c, "%s must be a string", n);
        return 0;
    case P_BOOL:
        if (!is_type(v, json_type_boolean))
            return fail(c, "%s must be a boolean", n);
        return 0;
    case P_INT:
        if (!is_type(v, json_type_int))
            return fail(c, "%s must be an integer", n);
        if (p->ranged) {
            int64_t x = json_object_get_int64(v);
            if ((double)x < p->lo || (double)x > p->hi)
                return fail(c, "%s must be between %.0f and %.0f", n, p->lo, p->hi);
        }
        return 0;
    case P_NUM:
        if (!is_type(v, json_type_int) && !is_type(v, json_type_double))
            return fail(c, "%s must be a number", n);
        if (p->ranged) {
            double x = json_object_get_double(v);
            if (!(x >= p->lo && x <= p->hi))
                return fail(c, "%s must be between %g and %g", n, p->lo, p->hi);
        }
        return 0;
    case P_TS:
        if (!is_type(v, json_type_string) ||
            stix_time_parse(json_object_get_string(v), (size_t)json_object_get_string_len(v), NULL, NULL) != 0)
            return fail(c, "%s must be a STIX timestamp (RFC 3339, UTC, 'Z')", n);
        return 0;
    case P_STRLIST:
    case P_OBJLIST:
    case P_KCP:
    case P_REFS: {
        if (!is_type(v, json_type_array))
            return fail(c, "%s must be a list", n);
        size_t len = json_object_array_length(v);
        if (len == 0)
            return fail(c, "%s must not be an empty list", n);
        for (size_t i = 0; i < len; i++) {
            json_object *e = json_object_array_get_idx(v, i);
            if (p->t == P_STRLIST && !is_type(e, json_type_string))
                return fail(c, "%s[%zu] must be a string", n, i);
            if ((p->t == P_OBJLIST || p->t == P_KCP) && !is_type(e, json_type_object))
                return fail(c, "%s[%zu] must be an object", n, i);
            if (p->t == P_KCP &&
                (!is_type(get(e, "kill_chain_name"), json_type_string) ||
                 !is_type(get(e, "phase_name"), json_type_string)))
                return fail(c, "%s[%zu] must have string kill_chain_name and phase_name", n, i);
            if (p->t == P_REFS && check_ref(c, n, (long)i, e, p->to) != 0)
                return -1;
        }
        return 0;
    }
    case P_DICT:
        if (!is_type(v, json_type_object))
            return fail(c, "%s must be an object", n);
        return 0;
    case P_HASHES: {
        if (!is_type(v, json_type_object))
            return fail(c, "%s must be an object", n);
        if (json_object_object_length(v) == 0)
            return fail(c, "%s must not be empty", n);
        json_object_object_foreach(v, hk, hv) {
            if (!is_type(hv, json_type_string))
                return fail(c, "%s '%.64s' must be a string", n, hk);
        }
        return 0;
    }
    case P_BIN:
        if (!is_type(v, json_type_string) ||
            !is_base64(json_object_get_string(v), (size_t)json_object_get_string_len(v)))
            return fail(c, "%s must be base64 binary", n);
        return 0;
    case P_HEX:
        if (!is_type(v, json_type_string) ||
            !is_hexstr(json_object_get_string(v), (size_t)json_object_get_string_len(v)))
            return fail(c, "%s must be a hex string of whole bytes", n);
        return 0;
    case P_REF:
        return check_ref(c, n, -1, v, p->to);
    }
    return 0;
}

/* Apply a property table: required ones present, present ones of the right type. */
static int check_props(vctx *c, json_object *o, const prop *props)
{
    for (const prop *p = props; p != NULL && p->name != NULL; p++) {
        json_object *v = NULL;
        if (!has(o, p->name, &v)) {
            if (p->req)
                return fail(c, "missing required property '%s'", p->name);
            continue;
        }
        if (check_value(c, p, v) != 0)
            return -1;
    }
    return 0;
}

/* Common optional properties (S§3.2): checked on every object where present. */
static const prop COMMON_PROPS[] = {
    OPT_TO("created_by_ref", P_REF, TO_IDENTITY),
    OPT("revoked", P_BOOL),
    OPT("labels", P_STRLIST),
    OPT_RANGE("confidence", P_INT, 0, 100),
    OPT("lang", P_STR),
    OPT("external_references", P_OBJLIST),
    OPT_TO("object_marking_refs", P_REFS, TO_MARKING),
    OPT("granular_markings", P_OBJLIST),
    OPT("extensions", P_DICT),
    OPT("defanged", P_BOOL),
    END};

/* Per-type tables for STIX 2.1 (S§4-§7). Only what is required or cheap to type-check. */
static const prop P_ATTACK_PATTERN[] = {REQ("name", P_STR), OPT("description", P_STR),
                                        OPT("aliases", P_STRLIST), OPT("kill_chain_phases", P_KCP), END};
static const prop P_CAMPAIGN[] = {REQ("name", P_STR), OPT("aliases", P_STRLIST),
                                  OPT("first_seen", P_TS), OPT("last_seen", P_TS),
                                  OPT("objective", P_STR), END};
static const prop P_COA[] = {REQ("name", P_STR), OPT("description", P_STR), END};
static const prop P_GROUPING[] = {REQ("context", P_STR), REQ("object_refs", P_REFS),
                                  OPT("name", P_STR), END};
static const prop P_IDENTITY[] = {REQ("name", P_STR), OPT("identity_class", P_STR),
                                  OPT("roles", P_STRLIST), OPT("sectors", P_STRLIST),
                                  OPT("contact_information", P_STR), END};
static const prop P_INCIDENT[] = {REQ("name", P_STR), OPT("kill_chain_phases", P_KCP), END};
static const prop P_INDICATOR[] = {REQ("pattern", P_STR), REQ("pattern_type", P_STR),
                                   REQ("valid_from", P_TS), OPT("valid_until", P_TS),
                                   OPT("name", P_STR), OPT("indicator_types", P_STRLIST),
                                   OPT("pattern_version", P_STR), OPT("kill_chain_phases", P_KCP), END};
static const prop P_INFRASTRUCTURE[] = {REQ("name", P_STR), OPT("infrastructure_types", P_STRLIST),
                                        OPT("aliases", P_STRLIST), OPT("kill_chain_phases", P_KCP),
                                        OPT("first_seen", P_TS), OPT("last_seen", P_TS), END};
static const prop P_INTRUSION_SET[] = {REQ("name", P_STR), OPT("aliases", P_STRLIST),
                                       OPT("first_seen", P_TS), OPT("last_seen", P_TS),
                                       OPT("goals", P_STRLIST), END};
static const prop P_LOCATION[] = {OPT_RANGE("latitude", P_NUM, -90.0, 90.0),
                                  OPT_RANGE("longitude", P_NUM, -180.0, 180.0),
                                  OPT_RANGE("precision", P_NUM, 0.0, 1e300),
                                  OPT("region", P_STR), OPT("country", P_STR),
                                  OPT("administrative_area", P_STR), OPT("city", P_STR),
                                  OPT("street_address", P_STR), OPT("postal_code", P_STR),
                                  OPT("name", P_STR), END};
static const prop P_MALWARE[] = {REQ("is_family", P_BOOL), OPT("name", P_STR),
                                 OPT("malware_types", P_STRLIST), OPT("aliases", P_STRLIST),
                                 OPT("kill_chain_phases", P_KCP), OPT("first_seen", P_TS),
                                 OPT("last_seen", P_TS),
                                 OPT_TO("operating_system_refs", P_REFS, TO_SOFTWARE),
                                 OPT("architecture_execution_envs", P_STRLIST),
                                 OPT("implementation_languages", P_STRLIST),
                                 OPT("capabilities", P_STRLIST),
                                 OPT_TO("sample_refs", P_REFS, TO_FILE_ARTIFACT), END};
static const prop P_MALWARE_ANALYSIS[] = {
    REQ("product", P_STR), OPT("version", P_STR), OPT_TO("host_vm_ref", P_REF, TO_SOFTWARE),
    OPT_TO("operating_system_ref", P_REF, TO_SOFTWARE),
    OPT_TO("installed_software_refs", P_REFS, TO_SOFTWARE), OPT("submitted", P_TS),
    OPT("analysis_started", P_TS), OPT("analysis_ended", P_TS), OPT("result", P_STR),
    OPT_TO("analysis_sco_refs", P_REFS, TO_SCO), OPT_TO("sample_ref", P_REF, TO_SAMPLE), END};
static const prop P_NOTE[] = {REQ("content", P_STR), REQ("object_refs", P_REFS),
                              OPT("abstract", P_STR), OPT("authors", P_STRLIST), END};
static const prop P_OBSERVED[] = {REQ("first_observed", P_TS), REQ("last_observed", P_TS),
                                  REQ_RANGE("number_observed", P_INT, 1, 999999999),
                                  OPT("object_refs", P_REFS), OPT("objects", P_DICT), END};
static const prop P_OPINION[] = {REQ("opinion", P_STR), REQ("object_refs", P_REFS),
                                 OPT("explanation", P_STR), OPT("authors", P_STRLIST), END};
static const prop P_REPORT[] = {REQ("name", P_STR), REQ("published", P_TS), REQ("object_refs", P_REFS),
                                OPT("report_types", P_STRLIST), END};
static const prop P_THREAT_ACTOR[] = {REQ("name", P_STR), OPT("aliases", P_STRLIST),
                                      OPT("threat_actor_types", P_STRLIST), OPT("roles", P_STRLIST),
                                      OPT("goals", P_STRLIST), OPT("first_seen", P_TS),
                                      OPT("last_seen", P_TS), OPT("kill_chain_phases", P_KCP), END};
static const prop P_TOOL[] = {REQ("name", P_STR), OPT("tool_types", P_STRLIST), OPT("aliases", P_STRLIST),
                              OPT("kill_chain_phases", P_KCP), OPT("tool_version", P_STR), END};
static const prop P_VULNERABILITY[] = {REQ("name", P_STR), OPT("description", P_STR), END};
static const prop P_RELATIONSHIP[] = {REQ("relationship_type", P_STR), REQ("source_ref", P_REF),
                                      REQ("target_ref", P_REF), OPT("description", P_STR),
                                      OPT("start_time", P_TS), OPT("stop_time", P_TS), END};
static const prop P_SIGHTING[] = {REQ_TO("sighting_of_ref", P_REF, TO_SDO),
                                  OPT_TO("observed_data_refs", P_REFS, TO_OBSERVED),
                                  OPT_TO("where_sighted_refs", P_REFS, TO_WHERE),
                                  OPT_RANGE("count", P_INT, 0, 999999999),
                                  OPT("first_seen", P_TS), OPT("last_seen", P_TS),
                                  OPT("summary", P_BOOL), OPT("description", P_STR), END};
static const prop P_MARKING[] = {OPT("name", P_STR), OPT("definition_type", P_STR),
                                 OPT("definition", P_DICT), END};
static const prop P_LANG[] = {REQ("object_ref", P_REF), REQ("contents", P_DICT),
                              OPT("object_modified", P_TS), END};
static const prop P_EXTDEF[] = {REQ_TO("created_by_ref", P_REF, TO_IDENTITY), REQ("name", P_STR),
                                REQ("schema", P_STR), REQ("version", P_STR),
                                REQ("extension_types", P_STRLIST), OPT("description", P_STR),
                                OPT("extension_properties", P_STRLIST), END};

/* SCOs (S§6) */
static const prop P_ARTIFACT[] = {OPT("mime_type", P_STR), OPT("payload_bin", P_BIN), OPT("url", P_STR),
                                  OPT("hashes", P_HASHES), OPT("encryption_algorithm", P_STR),
                                  OPT("decryption_key", P_STR), END};
static const prop P_AS[] = {REQ("number", P_INT), OPT("name", P_STR), OPT("rir", P_STR), END};
static const prop P_DIRECTORY[] = {REQ("path", P_STR), OPT("path_enc", P_STR), OPT("ctime", P_TS),
                                   OPT("mtime", P_TS), OPT("atime", P_TS),
                                   OPT_TO("contains_refs", P_REFS, TO_FILE_DIR), END};
static const prop P_DOMAIN[] = {REQ("value", P_STR), OPT_TO("resolves_to_refs", P_REFS, TO_RESOLVES), END};
static const prop P_EMAIL_ADDR[] = {REQ("value", P_STR), OPT("display_name", P_STR),
                                    OPT_TO("belongs_to_ref", P_REF, TO_USER), END};
static const prop P_EMAIL_MSG[] = {REQ("is_multipart", P_BOOL), OPT("date", P_TS), OPT("content_type", P_STR),
                                   OPT_TO("from_ref", P_REF, TO_EMAIL_ADDR),
                                   OPT_TO("sender_ref", P_REF, TO_EMAIL_ADDR),
                                   OPT_TO("to_refs", P_REFS, TO_EMAIL_ADDR),
                                   OPT_TO("cc_refs", P_REFS, TO_EMAIL_ADDR),
                                   OPT_TO("bcc_refs", P_REFS, TO_EMAIL_ADDR), OPT("message_id", P_STR),
                                   OPT("subject", P_STR), OPT("received_lines", P_STRLIST),
                                   OPT("additional_header_fields", P_DICT), OPT("body", P_STR),
                                   OPT("body_multipart", P_OBJLIST),
                                   OPT_TO("raw_email_ref", P_REF, TO_ARTIFACT), END};
static const prop P_FILE[] = {OPT("hashes", P_HASHES), OPT_RANGE("size", P_INT, 0, 9.2e18),
                              OPT("name", P_STR), OPT("name_enc", P_STR), OPT("magic_number_hex", P_HEX),
                              OPT("mime_type", P_STR), OPT("ctime", P_TS), OPT("mtime", P_TS),
                              OPT("atime", P_TS), OPT_TO("parent_directory_ref", P_REF, TO_DIRECTORY),
                              OPT_TO("contains_refs", P_REFS, TO_SCO),
                              OPT_TO("content_ref", P_REF, TO_ARTIFACT), END};
static const prop P_IPADDR[] = {REQ("value", P_STR), OPT_TO("resolves_to_refs", P_REFS, TO_MAC),
                                OPT_TO("belongs_to_refs", P_REFS, TO_AS), END};
static const prop P_MAC[] = {REQ("value", P_STR), END};
static const prop P_MUTEX[] = {REQ("name", P_STR), END};
static const prop P_TRAFFIC[] = {REQ("protocols", P_STRLIST), OPT("start", P_TS), OPT("end", P_TS),
                                 OPT("is_active", P_BOOL), OPT_TO("src_ref", P_REF, TO_ENDPOINT),
                                 OPT_TO("dst_ref", P_REF, TO_ENDPOINT),
                                 OPT_RANGE("src_port", P_INT, 0, 65535), OPT_RANGE("dst_port", P_INT, 0, 65535),
                                 OPT_RANGE("src_byte_count", P_INT, 0, 9.2e18),
                                 OPT_RANGE("dst_byte_count", P_INT, 0, 9.2e18),
                                 OPT_RANGE("src_packets", P_INT, 0, 9.2e18),
                                 OPT_RANGE("dst_packets", P_INT, 0, 9.2e18), OPT("ipfix", P_DICT),
                                 OPT_TO("src_payload_ref", P_REF, TO_ARTIFACT),
                                 OPT_TO("dst_payload_ref", P_REF, TO_ARTIFACT),
                                 OPT_TO("encapsulates_refs", P_REFS, TO_TRAFFIC),
                                 OPT_TO("encapsulated_by_ref", P_REF, TO_TRAFFIC), END};
static const prop P_PROCESS[] = {OPT("is_hidden", P_BOOL), OPT("pid", P_INT), OPT("created_time", P_TS),
                                 OPT("cwd", P_STR), OPT("command_line", P_STR),
                                 OPT("environment_variables", P_DICT),
                                 OPT_TO("opened_connection_refs", P_REFS, TO_TRAFFIC),
                                 OPT_TO("creator_user_ref", P_REF, TO_USER),
                                 OPT_TO("image_ref", P_REF, TO_FILE), OPT_TO("parent_ref", P_REF, TO_PROCESS),
                                 OPT_TO("child_refs", P_REFS, TO_PROCESS), END};
static const prop P_SOFTWARE[] = {REQ("name", P_STR), OPT("cpe", P_STR), OPT("swid", P_STR),
                                  OPT("languages", P_STRLIST), OPT("vendor", P_STR), OPT("version", P_STR), END};
static const prop P_URL[] = {REQ("value", P_STR), END};
static const prop P_USER[] = {OPT("user_id", P_STR), OPT("credential", P_STR), OPT("account_login", P_STR),
                              OPT("account_type", P_STR), OPT("display_name", P_STR),
                              OPT("is_service_account", P_BOOL), OPT("is_privileged", P_BOOL),
                              OPT("can_escalate_privs", P_BOOL), OPT("is_disabled", P_BOOL),
                              OPT("account_created", P_TS), OPT("account_expires", P_TS),
                              OPT("credential_last_changed", P_TS), OPT("account_first_login", P_TS),
                              OPT("account_last_login", P_TS), END};
static const prop P_REGKEY[] = {OPT("key", P_STR), OPT("values", P_OBJLIST), OPT("modified_time", P_TS),
                                OPT_TO("creator_user_ref", P_REF, TO_USER),
                                OPT_RANGE("number_of_subkeys", P_INT, 0, 9.2e18), END};
static const prop P_X509[] = {OPT("is_self_signed", P_BOOL), OPT("hashes", P_HASHES), OPT("version", P_STR),
                              OPT("serial_number", P_STR), OPT("signature_algorithm", P_STR),
                              OPT("issuer", P_STR), OPT("validity_not_before", P_TS),
                              OPT("validity_not_after", P_TS), OPT("subject", P_STR),
                              OPT("subject_public_key_algorithm", P_STR),
                              OPT("subject_public_key_modulus", P_STR),
                              OPT("subject_public_key_exponent", P_INT),
                              OPT("x509_v3_extensions", P_DICT), END};

/* STIX 2.0 (2.0 spec part 2, §2-§3): the twelve SDOs and two SROs, with their required sets. */
static const prop P20_ATTACK_PATTERN[] = {REQ("name", P_STR), OPT("kill_chain_phases", P_KCP), END};
static const prop P20_CAMPAIGN[] = {REQ("name", P_STR), OPT("aliases", P_STRLIST), OPT("first_seen", P_TS),
                                    OPT("last_seen", P_TS), END};
static const prop P20_COA[] = {REQ("name", P_STR), END};
static const prop P20_IDENTITY[] = {REQ("name", P_STR), REQ("identity_class", P_STR),
                                    OPT("sectors", P_STRLIST), END};
static const prop P20_INDICATOR[] = {REQ("pattern", P_STR), REQ("valid_from", P_TS), REQ("labels", P_STRLIST),
                                     OPT("valid_until", P_TS), OPT("kill_chain_phases", P_KCP), END};
static const prop P20_INTRUSION_SET[] = {REQ("name", P_STR), OPT("aliases", P_STRLIST),
                                         OPT("first_seen", P_TS), OPT("last_seen", P_TS), END};
static const prop P20_MALWARE[] = {REQ("name", P_STR), REQ("labels", P_STRLIST),
                                   OPT("kill_chain_phases", P_KCP), END};
static const prop P20_OBSERVED[] = {REQ("first_observed", P_TS), REQ("last_observed", P_TS),
                                    REQ_RANGE("number_observed", P_INT, 1, 999999999),
                                    REQ("objects", P_DICT), END};
static const prop P20_REPORT[] = {REQ("name", P_STR), REQ("published", P_TS), REQ("object_refs", P_REFS),
                                  REQ("labels", P_STRLIST), END};
static const prop P20_THREAT_ACTOR[] = {REQ("name", P_STR), REQ("labels", P_STRLIST),
                                        OPT("aliases", P_STRLIST), END};
static const prop P20_TOOL[] = {REQ("name", P_STR), REQ("labels", P_STRLIST),
                                OPT("kill_chain_phases", P_KCP), END};
static const prop P20_VULNERABILITY[] = {REQ("name", P_STR), END};
static const prop P20_RELATIONSHIP[] = {REQ("relationship_type", P_STR), REQ("source_ref", P_REF),
                                        REQ("target_ref", P_REF), END};
static const prop P20_SIGHTING[] = {REQ_TO("sighting_of_ref", P_REF, TO_SDO),
                                    OPT_TO("observed_data_refs", P_REFS, TO_OBSERVED),
                                    OPT_TO("where_sighted_refs", P_REFS, TO_IDENTITY),
                                    OPT_RANGE("count", P_INT, 0, 999999999), OPT("first_seen", P_TS),
                                    OPT("last_seen", P_TS), END};
static const prop P20_MARKING[] = {REQ("definition_type", P_STR), REQ("definition", P_DICT), END};

/* ---------------------------------------------------------------------------------------------
 * Cross-property rules (the spec's MUSTs that a table can't say)
 * ------------------------------------------------------------------------------------------- */

/* Normalized key of a timestamp property known to be valid (checked by the table), or "" when
 * absent. */
static void ts_key(json_object *o, const char *name, char key[STIX_TIME_KEY_MAX])
{
    json_object *v = get(o, name);
    key[0] = '\0';
    if (is_type(v, json_type_string) &&
        stix_time_parse(json_object_get_string(v), (size_t)json_object_get_string_len(v), key, NULL) != 0)
        key[0] = '\0';
}

/* later must be >= earlier (or > when strict) when both are present. */
static int ts_order(vctx *c, json_object *o, const char *earlier, const char *later, int strict)
{
    char a[STIX_TIME_KEY_MAX], b[STIX_TIME_KEY_MAX];
    ts_key(o, earlier, a);
    ts_key(o, later, b);
    if (a[0] == '\0' || b[0] == '\0')
        return 0;
    int cmp = strcmp(b, a);
    if (cmp < 0)
        return fail(c, "%s must be %s %s", later, strict ? "later than" : "later than or equal to", earlier);
    /* The spec says "later than", but real producers (OpenCTI) write equal instants for a
     * point-in-time relationship; refusing those would lose real data, so it is a warning. */
    if (strict && cmp == 0)
        warn(c, "%s equals %s; it should be later", later, earlier);
    return 0;
}

static int seen_order(vctx *c, json_object *o) { return ts_order(c, o, "first_seen", "last_seen", 0); }

static int x_indicator(vctx *c, json_object *o) { return ts_order(c, o, "valid_from", "valid_until", 1); }

static int x_relationship(vctx *c, json_object *o) { return ts_order(c, o, "start_time", "stop_time", 1); }

static int x_location(vctx *c, json_object *o)
{
    int lat = get(o, "latitude") != NULL, lon = get(o, "longitude") != NULL;
    if (lat != lon)
        return fail(c, "latitude and longitude must be given together");
    if (!lat && get(o, "region") == NULL && get(o, "country") == NULL)
        return fail(c, "one of region, country, or latitude and longitude is required");
    if (get(o, "precision") != NULL && !lat)
        return fail(c, "precision requires latitude and longitude");
    return 0;
}

static int x_malware(vctx *c, json_object *o)
{
    if (!c->v20 && json_object_get_boolean(get(o, "is_family")) && get(o, "name") == NULL)
        return fail(c, "missing required property 'name' (required when is_family is true)");
    return seen_order(c, o);
}

static int x_malware_analysis(vctx *c, json_object *o)
{
    if (get(o, "result") == NULL && get(o, "analysis_sco_refs") == NULL)
        return fail(c, "one of result or analysis_sco_refs is required");
    return 0;
}

static int x_observed(vctx *c, json_object *o)
{
    if (!c->v20) {
        int refs = get(o, "object_refs") != NULL, objs = get(o, "objects") != NULL;
        if (!refs && !objs)
            return fail(c, "missing required property 'object_refs'");
        if (refs && objs)
            return fail(c, "object_refs and the deprecated objects must not both be present");
    }
    return ts_order(c, o, "first_observed", "last_observed", 0);
}

static int x_opinion(vctx *c, json_object *o)
{
    static const char *const ops[] = {"strongly-disagree", "disagree", "neutral", "agree",
                                      "strongly-agree", NULL};
    const char *v = json_object_get_string(get(o, "opinion"));
    if (!in_list(ops, v, strlen(v)))
        return fail(c, "opinion '%.40s' is not in the opinion-enum", v);
    return 0;
}

static int x_marking(vctx *c, json_object *o)
{
    json_object *dt = get(o, "definition_type"), *def = get(o, "definition");
    if (!c->v20 && get(o, "extensions") == NULL) {
        if (dt == NULL)
            return fail(c, "missing required property 'definition_type' (required without extensions)");
        if (def == NULL)
            return fail(c, "missing required property 'definition' (required without extensions)");
    }
    if (dt != NULL && def == NULL)
        return fail(c, "missing required property 'definition' (definition_type is given)");
    if (dt != NULL) {
        const char *t = json_object_get_string(dt);
        if (strcmp(t, "statement") == 0) {
            if (!is_type(get(def, "statement"), json_type_string))
                return fail(c, "statement definition needs a string 'statement'");
        } else if (strcmp(t, "tlp") == 0) {
            /* S§7.2.1.4 lists white/green/amber/red; "clear" is what OpenCTI writes for TLP 2.0
             * on the TLP:WHITE id, seen in real exchanges, so we take it too. */
            static const char *const levels[] = {"white", "green", "amber", "red", "clear", NULL};
            json_object *l = get(def, "tlp");
            if (!is_type(l, json_type_string) ||
                !in_list(levels, json_object_get_string(l), (size_t)json_object_get_string_len(l)))
                return fail(c, "tlp definition needs 'tlp' of white, green, amber or red");
            /* S§7.2.1.4: only the four fixed TLP 1.0 objects may exist. A different id or level
             * is someone's own reading of TLP; policy must not trust it, so say so. */
            static const char *const fixed[][2] = {
                {"white", "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"},
                {"green", "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"},
                {"amber", "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"},
                {"red", "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"}};
            const char *level = json_object_get_string(l), *myid = json_object_get_string(get(o, "id"));
            int canonical = 0;
            for (size_t i = 0; i < 4; i++)
                if (strcmp(fixed[i][0], level) == 0 && strcmp(fixed[i][1], myid) == 0)
                    canonical = 1;
            if (!canonical)
                warn(c, "tlp '%s' marking-definition is not one of the four fixed TLP 1.0 objects (S§7.2.1.4)", level);
        }
    }
    /* S§7.2.1: a marking-definition must not mark itself. */
    json_object *omr = get(o, "object_marking_refs");
    const char *id = json_object_get_string(get(o, "id"));
    for (size_t i = 0; is_type(omr, json_type_array) && i < json_object_array_length(omr); i++) {
        const char *r = json_object_get_string(json_object_array_get_idx(omr, i));
        if (r != NULL && id != NULL && strcmp(r, id) == 0)
            return fail(c, "object_marking_refs must not refer to the marking-definition itself");
    }
    return 0;
}

static const char *const EXT_TYPES[] = {"new-sdo", "new-sco", "new-sro", "property-extension",
                                        "toplevel-property-extension", NULL};

static int x_extdef(vctx *c, json_object *o)
{
    json_object *et = get(o, "extension_types");
    int toplevel = 0;
    for (size_t i = 0; i < json_object_array_length(et); i++) {
        json_object *e = json_object_array_get_idx(et, i);
        const char *s = json_object_get_string(e);
        if (!in_list(EXT_TYPES, s, (size_t)json_object_get_string_len(e)))
            return fail(c, "extension_types[%zu] '%.40s' is not an extension type", i, s);
        if (strcmp(s, "toplevel-property-extension") == 0)
            toplevel = 1;
    }
    if (get(o, "extension_properties") != NULL && !toplevel)
        return fail(c, "extension_properties needs extension_types to include toplevel-property-extension");
    return 0;
}

static int x_lang(vctx *c, json_object *o)
{
    json_object_object_foreach(get(o, "contents"), lk, lv) {
        if (!is_type(lv, json_type_object))
            return fail(c, "contents['%.40s'] must be an object", lk);
    }
    return 0;
}

static int x_artifact(vctx *c, json_object *o)
{
    int bin = get(o, "payload_bin") != NULL, url = get(o, "url") != NULL;
    if (bin && url)
        return fail(c, "payload_bin and url must not both be present");
    if (url && get(o, "hashes") == NULL)
        return fail(c, "missing required property 'hashes' (required with url)");
    return 0;
}

static int x_email_msg(vctx *c, json_object *o)
{
    int multi = json_object_get_boolean(get(o, "is_multipart"));
    if (multi && get(o, "body") != NULL)
        return fail(c, "body must not be present when is_multipart is true");
    if (!multi && get(o, "body_multipart") != NULL)
        return fail(c, "body_multipart must not be present when is_multipart is false");
    json_object *parts = get(o, "body_multipart");
    for (size_t i = 0; parts != NULL && i < json_object_array_length(parts); i++) {
        json_object *p = json_object_array_get_idx(parts, i);
        static const char *const BODY_TO[] = {"artifact", "file", NULL};
        json_object *raw = get(p, "body_raw_ref");
        if (raw != NULL && check_ref(c, "body_multipart.body_raw_ref", (long)i, raw, BODY_TO) != 0)
            return -1;
        if (get(p, "body") != NULL && raw != NULL)
            return fail(c, "body_multipart[%zu] must have only one of body and body_raw_ref", i);
    }
    return 0;
}

static int x_file(vctx *c, json_object *o)
{
    if (get(o, "hashes") == NULL && get(o, "name") == NULL)
        return fail(c, "one of hashes or name is required");
    return 0;
}

static int x_traffic(vctx *c, json_object *o)
{
    if (get(o, "src_ref") == NULL && get(o, "dst_ref") == NULL)
        return fail(c, "one of src_ref or dst_ref is required");
    if (json_object_get_boolean(get(o, "is_active")) && get(o, "end") != NULL)
        return fail(c, "end must not be present when is_active is true");
    return ts_order(c, o, "start", "end", 0);
}

/* S§6.11: a process must carry at least one of its own properties (or an extension). */
static int x_process(vctx *c, json_object *o)
{
    for (const prop *p = P_PROCESS; p->name != NULL; p++)
        if (get(o, p->name) != NULL)
            return 0;
    if (get(o, "extensions") != NULL)
        return 0;
    return fail(c, "at least one process property is required");
}

static int x_x509(vctx *c, json_object *o)
{
    for (const prop *p = P_X509; p->name != NULL; p++)
        if (get(o, p->name) != NULL)
            return 0;
    return fail(c, "at least one x509-certificate property is required");
}

/* ---------------------------------------------------------------------------------------------
 * The type table
 * ------------------------------------------------------------------------------------------- */

typedef struct tdef {
    const char *type;
    vkind kind;
    const prop *p21;                      /* STIX 2.1 properties */
    const prop *p20;                      /* STIX 2.0 properties, NULL when 2.1-only */
    int (*extra)(vctx *, json_object *);  /* cross-property rules, may be NULL */
} tdef;

static const tdef TYPES[] = {
    {"attack-pattern", K_SDO, P_ATTACK_PATTERN, P20_ATTACK_PATTERN, NULL},
    {"campaign", K_SDO, P_CAMPAIGN, P20_CAMPAIGN, seen_order},
    {"course-of-action", K_SDO, P_COA, P20_COA, NULL},
    {"grouping", K_SDO, P_GROUPING, NULL, NULL},
    {"identity", K_SDO, P_IDENTITY, P20_IDENTITY, NULL},
    {"incident", K_SDO, P_INCIDENT, NULL, NULL},
    {"indicator", K_SDO, P_INDICATOR, P20_INDICATOR, x_indicator},
    {"infrastructure", K_SDO, P_INFRASTRUCTURE, NULL, seen_order},
    {"intrusion-set", K_SDO, P_INTRUSION_SET, P20_INTRUSION_SET, seen_order},
    {"location", K_SDO, P_LOCATION, NULL, x_location},
    {"malware", K_SDO, P_MALWARE, P20_MALWARE, x_malware},
    {"malware-analysis", K_SDO, P_MALWARE_ANALYSIS, NULL, x_malware_analysis},
    {"note", K_SDO, P_NOTE, NULL, NULL},
    {"observed-data", K_SDO, P_OBSERVED, P20_OBSERVED, x_observed},
    {"opinion", K_SDO, P_OPINION, NULL, x_opinion},
    {"report", K_SDO, P_REPORT, P20_REPORT, NULL},
    {"threat-actor", K_SDO, P_THREAT_ACTOR, P20_THREAT_ACTOR, seen_order},
    {"tool", K_SDO, P_TOOL, P20_TOOL, NULL},
    {"vulnerability", K_SDO, P_VULNERABILITY, P20_VULNERABILITY, NULL},
    {"relationship", K_SRO, P_RELATIONSHIP, P20_RELATIONSHIP, x_relationship},
    {"sighting", K_SRO, P_SIGHTING, P20_SIGHTING, seen_order},
    {"marking-definition", K_MARKING, P_MARKING, P20_MARKING, x_marking},
    {"language-content", K_LANG, P_LANG, NULL, x_lang},
    {"extension-definition", K_EXTDEF, P_EXTDEF, NULL, x_extdef},
    {"artifact", K_SCO, P_ARTIFACT, NULL, x_artifact},
    {"autonomous-system", K_SCO, P_AS, NULL, NULL},
    {"directory", K_SCO, P_DIRECTORY, NULL, NULL},
    {"domain-name", K_SCO, P_DOMAIN, NULL, NULL},
    {"email-addr", K_SCO, P_EMAIL_ADDR, NULL, NULL},
    {"email-message", K_SCO, P_EMAIL_MSG, NULL, x_email_msg},
    {"file", K_SCO, P_FILE, NULL, x_file},
    {"ipv4-addr", K_SCO, P_IPADDR, NULL, NULL},
    {"ipv6-addr", K_SCO, P_IPADDR, NULL, NULL},
    {"mac-addr", K_SCO, P_MAC, NULL, NULL},
    {"mutex", K_SCO, P_MUTEX, NULL, NULL},
    {"network-traffic", K_SCO, P_TRAFFIC, NULL, x_traffic},
    {"process", K_SCO, P_PROCESS, NULL, x_process},
    {"software", K_SCO, P_SOFTWARE, NULL, NULL},
    {"url", K_SCO, P_URL, NULL, NULL},
    {"user-account", K_SCO, P_USER, NULL, NULL},
    {"windows-registry-key", K_SCO, P_REGKEY, NULL, NULL},
    {"x509-certificate", K_SCO, P_X509, NULL, x_x509},
};

static const tdef *find_type(const char *t)
{
    for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++)
        if (TYPES[i].type[0] == t[0] && strcmp(TYPES[i].type, t) == 0)
            return &TYPES[i];
    return NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Common-property rules
 * ------------------------------------------------------------------------------------------- */

/* external_references entries (S§2.5): source_name required; the 2.1 "at least one of
 * description, url, external_id" is a warning, since real feeds omit it. */
static int check_external_refs(vctx *c, json_object *o)
{
    json_object *er = get(o, "external_references");
    int warned = 0;
    for (size_t i = 0; er != NULL && i < json_object_array_length(er); i++) {
        json_object *e = json_object_array_get_idx(er, i);
        if (!is_type(get(e, "source_name"), json_type_string))
            return fail(c, "external_references[%zu] needs a string source_name", i);
        static const char *const strs[] = {"description", "url", "external_id", NULL};
        int any = 0;
        for (size_t k = 0; strs[k] != NULL; k++) {
            json_object *v = NULL;
            if (has(e, strs[k], &v)) {
                if (!is_type(v, json_type_string))
                    return fail(c, "external_references[%zu].%s must be a string", i, strs[k]);
                any = 1;
            }
        }
        json_object *h = NULL;
        if (has(e, "hashes", &h) && !is_type(h, json_type_object))
            return fail(c, "external_references[%zu].hashes must be an object", i);
        if (!any && !c->v20 && !warned) {
            warn(c, "external_references[%zu] has none of description, url, external_id", i);
            warned = 1;
        }
    }
    return 0;
}

/* granular_markings entries (S§7.2.3): non-empty selectors, exactly one of marking_ref, lang. */
static int check_granular(vctx *c, json_object *o)
{
    json_object *gm = get(o, "granular_markings");
    for (size_t i = 0; gm != NULL && i < json_object_array_length(gm); i++) {
        json_object *g = json_object_array_get_idx(gm, i);
        json_object *sel = get(g, "selectors");
        if (!is_type(sel, json_type_array) || json_object_array_length(sel) == 0)
            return fail(c, "granular_markings[%zu] needs a non-empty list of selectors", i);
        for (size_t k = 0; k < json_object_array_length(sel); k++)
            if (!is_type(json_object_array_get_idx(sel, k), json_type_string))
                return fail(c, "granular_markings[%zu].selectors[%zu] must be a string", i, k);
        json_object *mr = get(g, "marking_ref"), *lang = get(g, "lang");
        if ((mr != NULL) == (lang != NULL))
            return fail(c, "granular_markings[%zu] needs exactly one of marking_ref and lang", i);
        if (mr != NULL && check_ref(c, "granular_markings.marking_ref", (long)i, mr, TO_MARKING) != 0)
            return -1;
        if (lang != NULL && !is_type(lang, json_type_string))
            return fail(c, "granular_markings[%zu].lang must be a string", i);
    }
    return 0;
}

/* extensions (S§3.2, S§7.3): a dictionary of objects; entries keyed by an
 * extension-definition id must say which extension_type they are. */
static int check_extensions(vctx *c, json_object *o)
{
    json_object *ex = get(o, "extensions");
    if (ex == NULL)
        return 0;
    if (json_object_object_length(ex) == 0)
        return fail(c, "extensions must not be empty");
    json_object_object_foreach(ex, ek, ev) {
        if (!is_type(ev, json_type_object))
            return fail(c, "extensions['%.80s'] must be an object", ek);
        if (strncmp(ek, "extension-definition--", 22) == 0) {
            char why[200];
            if (stix_id_check(ek, "extension-definition", NULL, why, sizeof why) != 0)
                return fail(c, "extensions key: %s", why);
            json_object *et = get(ev, "extension_type");
            if (!is_type(et, json_type_string))
                return fail(c, "extensions['%.80s'] needs extension_type", ek);
            const char *s = json_object_get_string(et);
            if (!in_list(EXT_TYPES, s, (size_t)json_object_get_string_len(et)))
                return fail(c, "extension_type '%.40s' is not one of new-sdo, new-sco, new-sro, "
                               "property-extension, toplevel-property-extension", s);
        }
    }
    return 0;
}

/* 1 when name is in the property table (so that table checks it, with its target types). */
static int in_props(const prop *props, const char *name)
{
    for (const prop *p = props; p != NULL && p->name != NULL; p++)
        if (strcmp(p->name, name) == 0)
            return 1;
    return 0;
}

/* Every top-level member: no nulls (S§2: STIX has no null values), no empty lists (S§2.12),
 * and any other *_ref / *_refs (S§3.1 naming) holds identifiers. Members that a table covers
 * (table, or the common one) are left to it, so each reference is checked once. */
static int check_members(vctx *c, json_object *o, const prop *table)
{
    json_object_object_foreach(o, k, v) {
        if (v == NULL)
            return fail(c, "%.80s must not be null", k);
        size_t n = strlen(k);
        if (is_type(v, json_type_array) && json_object_array_length(v) == 0)
            return fail(c, "%.80s must not be an empty list", k);
        /* Custom properties (x_...) follow their producer's rules: ATT&CK writes
         * "x_mitre_data_source_ref": "" on deprecated objects. Note it, don't refuse. */
        if (k[0] == 'x' && k[1] == '_') {
            int bad = 0;
            if (n > 4 && strcmp(k + n - 4, "_ref") == 0)
                bad = !is_type(v, json_type_string) ||
                      stix_id_check(json_object_get_string(v), NULL, NULL, NULL, 0) != 0;
            if (bad)
                warn(c, "custom property %.80s does not hold an identifier", k);
            continue;
        }
        int is_ref = n > 4 && strcmp(k + n - 4, "_ref") == 0;
        int is_refs = !is_ref && n > 5 && strcmp(k + n - 5, "_refs") == 0;
        if ((is_ref || is_refs) && (in_props(table, k) || in_props(COMMON_PROPS, k)))
            continue;
        if (is_ref) {
            if (check_ref(c, k, -1, v, NULL) != 0)
                return -1;
        } else if (is_refs) {
            if (!is_type(v, json_type_array))
                return fail(c, "%.80s must be a list of identifiers", k);
            for (size_t i = 0; i < json_object_array_length(v); i++)
                if (check_ref(c, k, (long)i, json_object_array_get_idx(v, i), NULL) != 0)
                    return -1;
        }
    }
    return 0;
}

/* Copy s into dst (cap bytes), truncating. */
static void copy_str(char *dst, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* created/modified: timestamps, precision, order, and the version fields of meta. */
static int check_times(vctx *c, json_object *o)
{
    json_object *cr = NULL, *mo = NULL;
    int has_cr = has(o, "created", &cr), has_mo = has(o, "modified", &mo);
    int needs_cr = c->kind == K_SDO || c->kind == K_SRO || c->kind == K_MARKING ||
                   c->kind == K_LANG || c->kind == K_EXTDEF;
    int needs_mo = needs_cr && c->kind != K_MARKING;
    if (needs_cr && !has_cr)
        return fail(c, "missing required property 'created'");
    if (needs_mo && !has_mo)
        return fail(c, "missing required property 'modified'");

    char ck[STIX_TIME_KEY_MAX] = "", mk[STIX_TIME_KEY_MAX] = "";
    int cf = 0, mf = 0;
    if (has_cr) {
        if (!is_type(cr, json_type_string) ||
            stix_time_parse(json_object_get_string(cr), (size_t)json_object_get_string_len(cr), ck, &cf) != 0)
            return fail(c, "created must be a STIX timestamp (RFC 3339, UTC, 'Z')");
    }
    if (has_mo) {
        int ok = is_type(mo, json_type_string) &&
                 stix_time_parse(json_object_get_string(mo), (size_t)json_object_get_string_len(mo), mk, &mf) == 0;
        if (!ok && c->kind == K_MARKING) {
            /* marking-definitions have no modified (S§7.2.1): a bad one is ignored, not fatal */
            warn(c, "marking-definition has a 'modified' that is not a timestamp; ignored");
            has_mo = 0;
            mk[0] = '\0';
        } else if (!ok) {
            return fail(c, "modified must be a STIX timestamp (RFC 3339, UTC, 'Z')");
        } else if (c->kind == K_MARKING) {
            warn(c, "marking-definition has a 'modified' property, which S§7.2.1 does not define");
        }
    }
    /* S§3.2: created and modified carry at least millisecond precision in 2.1. STIX 2.0 asked
     * for exactly three digits; we take 2.0 objects with three or more and note the excess.
     * Fewer than three is refused either way (the OASIS schema pattern \.\d{3,}Z), which is
     * what refuses the ATT&CK 3.3.0 sample relationship stamped "...:27Z". */
    if (c->kind != K_SCO) {
        /* (an SCO's created/modified are not STIX's: e.g. 2.0-era process "created") */
        if (has_cr && cf < 3)
            return fail(c, "created must have at least 3 fraction digits (millisecond precision)");
        if (has_mo && mf < 3 && c->kind != K_MARKING)
            return fail(c, "modified must have at least 3 fraction digits (millisecond precision)");
        if (c->v20 && ((has_cr && cf != 3) || (has_mo && mf != 3)))
            warn(c, "STIX 2.0 created/modified should have exactly 3 fraction digits");
    }
    if (has_cr && has_mo && strcmp(mk, ck) < 0) {
        if (c->kind == K_MARKING)
            warn(c, "modified is earlier than created");
        else
            return fail(c, "modified is earlier than created");
    }
    stix_meta *m = c->meta;
    if (has_mo) {
        m->has_version = 1;
        copy_str(m->version, sizeof m->version, json_object_get_string(mo));
        copy_str(m->version_key, sizeof m->version_key, mk);
    } else if (has_cr) {
        m->has_version = 1;
        copy_str(m->version, sizeof m->version, json_object_get_string(cr));
        copy_str(m->version_key, sizeof m->version_key, ck);
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Entry point
 * ------------------------------------------------------------------------------------------- */

int stix_validate(json_object *obj, stix_meta *meta, char *reason, size_t reason_len)
{
    stix_meta scratch;
    if (meta == NULL)
        meta = &scratch;
    memset(meta, 0, sizeof *meta);
    if (reason != NULL && reason_len > 0)
        reason[0] = '\0';
    vctx cx = {NULL, K_CUSTOM, 0, reason, reason_len, meta};
    vctx *c = &cx;

    if (!is_type(obj, json_type_object))
        return fail(c, "a STIX object must be a JSON object");

    /* type (S§3.1) */
    json_object *tv = NULL;
    if (!has(obj, "type", &tv))
        return fail(c, "missing required property 'type'");
    if (!is_type(tv, json_type_string))
        return fail(c, "type must be a string");
    const char *type = json_object_get_string(tv);
    if (stix_type_check(type) != 0)
        return fail(c, "type '%.80s' is not a STIX type name (3-250 of a-z, 0-9, '-')", type);
    c->type = type;
    copy_str(meta->type, sizeof meta->type, type);
    if (strcmp(type, "bundle") == 0)
        return fail(c, "a bundle is not a STIX object; post its objects in a TAXII envelope");

    const tdef *td = find_type(type);
    c->kind = td != NULL ? td->kind : K_CUSTOM;

    /* id (S§2.9): the right form, and of this object's type */
    json_object *iv = NULL;
    if (!has(obj, "id", &iv))
        return fail(c, "missing required property 'id'");
    if (!is_type(iv, json_type_string))
        return fail(c, "id must be a string");
    const char *id = json_object_get_string(iv);
    char why[256];
    int uv = 0;
    if (stix_id_check(id, NULL, &uv, why, sizeof why) != 0)
        return fail(c, "%s", why);
    if (stix_id_check(id, type, NULL, why, sizeof why) != 0)
        return fail(c, "id does not match type: %s", why);
    copy_str(meta->id, sizeof meta->id, id);

    /* spec_version (S§3.2): "2.1", or "2.0" given explicitly or implied by its absence on an
     * SDO/SRO/marking (STIX 2.0 had no spec_version on objects). */
    json_object *sv = NULL;
    if (has(obj, "spec_version", &sv)) {
        if (!is_type(sv, json_type_string))
            return fail(c, "spec_version must be a string");
        const char *s = json_object_get_string(sv);
        if (strcmp(s, "2.1") == 0)
            c->v20 = 0;
        else if (strcmp(s, "2.0") == 0)
            c->v20 = 1;
        else
            return fail(c, "unsupported spec_version '%.20s'", s);
    } else if (c->kind == K_SDO || c->kind == K_SRO || c->kind == K_MARKING) {
        c->v20 = 1;
    } else if (c->kind == K_LANG || c->kind == K_EXTDEF) {
        return fail(c, "missing required property 'spec_version'");
    } else if (c->kind == K_CUSTOM) {
        /* Custom objects shaped like SDOs (with created) without spec_version are 2.0-era. */
        c->v20 = get(obj, "created") != NULL;
    }
    if (c->v20 && c->kind != K_CUSTOM && (td == NULL || td->p20 == NULL)) {
        if (get(obj, "spec_version") == NULL)
            return fail(c, "missing required property 'spec_version' (%s is STIX 2.1 only)", type);
        return fail(c, "unsupported spec_version '2.0' for %s (STIX 2.1 only)", type);
    }
    copy_str(meta->spec_version, sizeof meta->spec_version, c->v20 ? "2.0" : "2.1");

    /* UUID versions are SHOULDs (S§2.9): warnings only. */
    if (c->kind == K_SCO || c->kind == K_CUSTOM) {
        if (uv != 4 && uv != 5)
            warn(c, "id uses UUID version %d; SCOs should use v5 (or v4)", uv);
    } else if (uv != 4) {
        warn(c, "id uses UUID version %d; SDOs, SROs and meta objects should use v4", uv);
    }

    if (check_times(c, obj) != 0)
        return -1;
    const prop *table = td == NULL ? NULL : c->v20 ? td->p20 : td->p21;
    if (check_members(c, obj, table) != 0)
        return -1;
    if (check_props(c, obj, COMMON_PROPS) != 0)
        return -1;
    if (check_external_refs(c, obj) != 0 || check_granular(c, obj) != 0)
        return -1;
    if (!c->v20 && check_extensions(c, obj) != 0)
        return -1;
    if (td != NULL) {
        if (check_props(c, obj, table) != 0)
            return -1;
        if (td->extra != NULL && td->extra(c, obj) != 0)
            return -1;
    }

    json_object *cb = get(obj, "created_by_ref");
    if (cb != NULL)
        copy_str(meta->created_by_ref, sizeof meta->created_by_ref, json_object_get_string(cb));
    meta->revoked = json_object_get_boolean(get(obj, "revoked")) ? 1 : 0;
    return 0;
}
