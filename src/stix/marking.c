/* marking.c - an object's data markings (S§7.2) read into one canonical TLP level and enlace's handling extension. */
#include "stix/marking.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "stix/id.h"
#include "stix/json.h"
#include "stix/time.h"

/* Every fixed marking-definition id enlace knows, with its canonical level (docs/policy.md
 * "TLP encodings"). TLP 1.0: S§7.2.1.4. TLP 2.0: OASIS cti-stix-common-objects
 * extension-definition-specifications/tlp-2.0. OpenCTI: its platform uses the TLP 1.0 ids for
 * CLEAR/GREEN/AMBER/RED and this id of its own for AMBER+STRICT
 * (opencti-graphql/src/schema/identifier.js, MARKING_TLP_AMBER_STRICT). */
static const struct {
    const char *id;
    int tlp;
} FIXED_IDS[] = {
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", STIX_TLP_CLEAR},        /* 1.0 WHITE */
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", STIX_TLP_GREEN},        /* 1.0 GREEN */
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", STIX_TLP_AMBER},        /* 1.0 AMBER */
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", STIX_TLP_RED},          /* 1.0 RED */
    {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", STIX_TLP_CLEAR},        /* 2.0 CLEAR */
    {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", STIX_TLP_GREEN},        /* 2.0 GREEN */
    {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", STIX_TLP_AMBER},        /* 2.0 AMBER */
    {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", STIX_TLP_AMBER_STRICT}, /* 2.0 AMBER+STRICT */
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", STIX_TLP_RED},          /* 2.0 RED */
    {"marking-definition--826578e1-40ad-459f-bc73-ede076f81f37", STIX_TLP_AMBER_STRICT}, /* OpenCTI AMBER+STRICT */
};

/* The buffers hold exactly the documented list limits (marking.h, schema.json maxItems). */
_Static_assert(1 + 3 * STIX_MARKING_MAX_RELEASABLE_TO + 1 <= sizeof ((stix_marking *)0)->releasable_to &&
                   1 + 3 * (STIX_MARKING_MAX_RELEASABLE_TO + 1) + 1 > sizeof ((stix_marking *)0)->releasable_to,
               "releasable_to holds exactly STIX_MARKING_MAX_RELEASABLE_TO codes");
_Static_assert(1 + 47 * STIX_MARKING_MAX_RELEASABLE_TO_ORGS + 1 <= sizeof ((stix_marking *)0)->releasable_to_orgs &&
                   1 + 47 * (STIX_MARKING_MAX_RELEASABLE_TO_ORGS + 1) + 1 >
                       sizeof ((stix_marking *)0)->releasable_to_orgs,
               "releasable_to_orgs holds exactly STIX_MARKING_MAX_RELEASABLE_TO_ORGS identity ids");

static char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

/* ASCII case-insensitive equality of two strings (identifiers: RFC 4122 §3 hex in either case;
 * no locale). */
static int id_ieq(const char *a, const char *b) {
    for (; *a != '\0' && *b != '\0'; a++, b++)
        if (ascii_lower(*a) != ascii_lower(*b)) return 0;
    return *a == *b;
}

/* Copy src in lower case into dst (cap bytes). Returns 0, or -1 when it does not fit. */
static int lower_copy(char *dst, size_t cap, const char *src) {
    size_t n = strlen(src);
    if (n >= cap) return -1;
    for (size_t i = 0; i < n; i++) dst[i] = ascii_lower(src[i]);
    dst[n] = '\0';
    return 0;
}

int stix_marking_tlp_of_id(const char *marking_id) {
    if (marking_id == NULL) return STIX_TLP_NONE;
    for (size_t i = 0; i < sizeof FIXED_IDS / sizeof FIXED_IDS[0]; i++)
        if (id_ieq(marking_id, FIXED_IDS[i].id)) return FIXED_IDS[i].tlp;
    return STIX_TLP_NONE;
}

static int max_tlp(int a, int b) { return a > b ? a : b; }

/* ASCII case-insensitive comparison of s[0..n) with the lower-case word w. */
static int ieq_n(const char *s, size_t n, const char *w) {
    if (strlen(w) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (ascii_lower(s[i]) != w[i]) return 0;
    return 1;
}

/* A TLP level as written in marking-definitions in the wild: "clear", "white", "green",
 * "amber", "amber+strict", "red", in any case, with or without a "TLP:" prefix. */
static int level_of_name(const char *s) {
    if (s == NULL) return STIX_TLP_NONE;
    size_t n = strlen(s);
    if (n > 4 && ieq_n(s, 4, "tlp:")) {
        s += 4;
        n -= 4;
    }
    if (ieq_n(s, n, "clear") || ieq_n(s, n, "white")) return STIX_TLP_CLEAR;
    if (ieq_n(s, n, "green")) return STIX_TLP_GREEN;
    if (ieq_n(s, n, "amber")) return STIX_TLP_AMBER;
    if (ieq_n(s, n, "amber+strict")) return STIX_TLP_AMBER_STRICT;
    if (ieq_n(s, n, "red")) return STIX_TLP_RED;
    return STIX_TLP_NONE;
}

static int str_ieq(const char *s, const char *w) { return s != NULL && ieq_n(s, strlen(s), w); }

int stix_marking_definition_tlp(json_object *md) {
    const char *type = stix_json_str(md, "type");
    if (type == NULL || strcmp(type, "marking-definition") != 0) return STIX_TLP_NONE;
    /* a fixed id is what the whole world agrees on: it wins over whatever the body says */
    int fixed = stix_marking_tlp_of_id(stix_json_str(md, "id"));
    if (fixed != STIX_TLP_NONE) return fixed;

    /* Otherwise every TLP encoding the object carries counts, and the most restrictive wins. */
    int tlp = STIX_TLP_NONE;
    json_object *ext;
    /* the TLP 2.0 extension under its id in any case; should it appear under several, each counts */
    if (json_object_object_get_ex(md, "extensions", &ext) && json_object_is_type(ext, json_type_object)) {
        json_object_object_foreach(ext, ek, ev) {
            if (id_ieq(ek, STIX_TLP2_EXT)) tlp = max_tlp(tlp, level_of_name(stix_json_str(ev, "tlp_2_0")));
        }
    }
    /* definition_type "tlp" (S§7.2.1.3), and the US AIS marking ("ais", as the OASIS
     * stix-elevator writes it), which carries the TLP in definition.tlp too */
    json_object *def;
    const char *dt = stix_json_str(md, "definition_type");
    if ((str_ieq(dt, "tlp") || str_ieq(dt, "ais")) && json_object_object_get_ex(md, "definition", &def))
        tlp = max_tlp(tlp, level_of_name(stix_json_str(def, "tlp")));
    /* OpenCTI keeps its own marking model in x_opencti_definition_type/x_opencti_definition
     * and exports TLP levels it has no STIX encoding for as statements carrying those. */
    if (str_ieq(stix_json_str(md, "x_opencti_definition_type"), "tlp"))
        tlp = max_tlp(tlp, level_of_name(stix_json_str(md, "x_opencti_definition")));
    const char *name = stix_json_str(md, "name");
    if (name != NULL && strlen(name) > 4 && ieq_n(name, 4, "tlp:")) tlp = max_tlp(tlp, level_of_name(name));
    return tlp;
}

/* Write a one-line reason; returns -1 so that callers can `return fail(...)`. */
__attribute__((format(printf, 3, 4))) static int fail(char *reason, size_t len, const char *fmt, ...) {
    if (reason != NULL && len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(reason, len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Count one marking reference: a fixed TLP id (any case) raises the level; any other
 * marking-definition id is kept, in lower case and once, for the store to resolve against the
 * definitions it holds. Returns 0, or -1 when that would make more than
 * STIX_MARKING_MAX_UNKNOWN distinct ones (the object must be refused: fail closed). */
static int add_ref(stix_marking *m, json_object *v) {
    if (!json_object_is_type(v, json_type_string)) return 0;
    const char *id = json_object_get_string(v);
    int t = stix_marking_tlp_of_id(id);
    if (t != STIX_TLP_NONE) {
        m->tlp = max_tlp(m->tlp, t);
        return 0;
    }
    /* not a marking-definition id (the validator refuses those): no marking */
    char low[STIX_MARKING_ID_LEN];
    if (strlen(id) < 20 || !ieq_n(id, 20, "marking-definition--") || lower_copy(low, sizeof low, id) != 0) return 0;
    for (size_t i = 0; i < m->n_unknown; i++)
        if (strcmp(m->unknown_refs[i], low) == 0) return 0;
    if (m->n_unknown >= STIX_MARKING_MAX_UNKNOWN) return -1;
    memcpy(m->unknown_refs[m->n_unknown++], low, strlen(low) + 1);
    return 0;
}

/* Append item to the comma-framed list buf (cap bytes, starting as ","), skipping duplicates.
 * Returns 1 when added, 0 when already listed, -1 when it does not fit. */
static int frame_append(char *buf, size_t cap, const char *item) {
    size_t have = strlen(buf), n = strlen(item);
    char needle[STIX_ID_MAX + 3];
    if (n + 3 > sizeof needle) return -1;
    snprintf(needle, sizeof needle, ",%s,", item);
    if (strstr(buf, needle) != NULL) return 0;
    if (have + n + 2 > cap) return -1;
    memcpy(buf + have, item, n);
    buf[have + n] = ',';
    buf[have + n + 1] = '\0';
    return 1;
}

static int two_upper(const char *s) {
    return s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && s[2] == '\0';
}

/* Read the enlace handling extension (data/enlace-handling/schema.json) strictly: any member
 * or value the schema does not allow refuses the object. */
static int read_handling(json_object *h, stix_marking *m, char *reason, size_t len) {
    const char *E = "enlace handling extension";
    if (!json_object_is_type(h, json_type_object)) return fail(reason, len, "%s: not an object", E);
    const char *et = stix_json_str(h, "extension_type");
    if (et == NULL || strcmp(et, "property-extension") != 0)
        return fail(reason, len, "%s: extension_type must be \"property-extension\"", E);
    json_object_object_foreach(h, key, val) {
        if (strcmp(key, "extension_type") == 0) continue;
        if (strcmp(key, "releasable_to") == 0 || strcmp(key, "releasable_to_orgs") == 0) {
            int orgs = strcmp(key, "releasable_to_orgs") == 0;
            if (!json_object_is_type(val, json_type_array)) return fail(reason, len, "%s: %s must be a list", E, key);
            char *buf = orgs ? m->releasable_to_orgs : m->releasable_to;
            size_t cap = orgs ? sizeof m->releasable_to_orgs : sizeof m->releasable_to;
            size_t max = orgs ? STIX_MARKING_MAX_RELEASABLE_TO_ORGS : STIX_MARKING_MAX_RELEASABLE_TO, distinct = 0;
            strcpy(buf, ",");
            size_t n = json_object_array_length(val);
            for (size_t i = 0; i < n; i++) {
                json_object *it = json_object_array_get_idx(val, i);
                const char *s = json_object_is_type(it, json_type_string) ? json_object_get_string(it) : NULL;
                char low[STIX_ID_MAX + 1];
                if (orgs) {
                    /* ids are case-insensitive: kept in lower case, so the store compares exactly */
                    if (s == NULL || stix_id_check(s, "identity", NULL, NULL, 0) != 0 || lower_copy(low, sizeof low, s) != 0)
                        return fail(reason, len, "%s: releasable_to_orgs[%zu] is not an identity id", E, i);
                    s = low;
                } else if (s == NULL || !two_upper(s)) {
                    return fail(reason, len, "%s: releasable_to[%zu] is not a two-letter upper-case party code", E, i);
                }
                int added = frame_append(buf, cap, s);
                if (added > 0) distinct++;
                if (added < 0 || distinct > max)
                    return fail(reason, len, "%s: %s lists more than %zu distinct %s (the most enlace keeps)", E, key, max,
                                orgs ? "organizations" : "party codes");
            }
            /* an empty list is ",,": present, naming nobody (distinct from absent) */
            if (n == 0) strcpy(buf, ",,");
            if (orgs) m->has_releasable_to_orgs = 1;
            else m->has_releasable_to = 1;
        } else if (strcmp(key, "orcon") == 0 || strcmp(key, "vetted_only") == 0) {
            if (!json_object_is_type(val, json_type_boolean)) return fail(reason, len, "%s: %s must be a boolean", E, key);
            *(key[0] == 'o' ? &m->orcon : &m->vetted_only) = json_object_get_boolean(val) ? 1 : 0;
        } else if (strcmp(key, "purpose") == 0) {
            if (!json_object_is_type(val, json_type_string)) return fail(reason, len, "%s: purpose must be a string", E);
            if ((size_t)json_object_get_string_len(val) >= sizeof m->purpose)
                return fail(reason, len, "%s: purpose longer than %zu bytes", E, sizeof m->purpose - 1);
            snprintf(m->purpose, sizeof m->purpose, "%s", json_object_get_string(val));
        } else if (strcmp(key, "review_by") == 0) {
            char k[STIX_TIME_KEY_MAX];
            const char *s = json_object_is_type(val, json_type_string) ? json_object_get_string(val) : NULL;
            if (s == NULL || stix_time_parse(s, strlen(s), k, NULL) != 0 || stix_time_to_us(k, &m->review_by_us) != 0)
                return fail(reason, len, "%s: review_by is not a STIX timestamp", E);
            /* 0 means "none": a review date at the epoch itself would silently vanish */
            if (m->review_by_us <= 0) return fail(reason, len, "%s: review_by before 1970", E);
        } else {
            return fail(reason, len, "%s: unknown property '%s'", E, key);
        }
    }
    return 0;
}

/* Clear *m but its TLP (what was read is still known to be marked at least that high). */
static int refuse(stix_marking *m, int rc) {
    int keep = m->tlp;
    memset(m, 0, sizeof *m);
    m->tlp = keep;
    return rc;
}

int stix_marking_extract(json_object *obj, stix_marking *out, char *reason, size_t reason_len) {
    memset(out, 0, sizeof *out);
    out->tlp = STIX_TLP_NONE;
    if (reason != NULL && reason_len > 0) reason[0] = '\0';
    json_object *v;
    int too_many = 0;
    if (json_object_object_get_ex(obj, "object_marking_refs", &v) && json_object_is_type(v, json_type_array)) {
        size_t n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++) too_many |= add_ref(out, json_object_array_get_idx(v, i)) != 0;
    }
    /* A granular marking counts for the whole object: a TLP:RED field makes the object RED,
     * since enlace releases or withholds whole objects, never parts of them. */
    if (json_object_object_get_ex(obj, "granular_markings", &v) && json_object_is_type(v, json_type_array)) {
        size_t n = json_object_array_length(v);
        for (size_t i = 0; i < n; i++) {
            json_object *g = json_object_array_get_idx(v, i), *ref;
            if (json_object_is_type(g, json_type_object) && json_object_object_get_ex(g, "marking_ref", &ref))
                too_many |= add_ref(out, ref) != 0;
        }
    }
    /* Any of the references dropped could define TLP:RED: refuse rather than guess. */
    if (too_many)
        return refuse(out, fail(reason, reason_len, "more than %d distinct marking references that are not TLP ids",
                                STIX_MARKING_MAX_UNKNOWN));
    /* The handling extension under its id in any case; two keys differing only in case are
     * ambiguous (which one did the author mean?) and refuse the object. */
    json_object *ext, *h = NULL; /* h may be NULL when found: a JSON null, refused as not an object */
    int found = 0;
    if (json_object_object_get_ex(obj, "extensions", &ext) && json_object_is_type(ext, json_type_object)) {
        json_object_object_foreach(ext, ek, ev) {
            if (!id_ieq(ek, STIX_ENLACE_HANDLING_EXT)) continue;
            if (found)
                return refuse(out, fail(reason, reason_len,
                                        "enlace handling extension under two keys differing in case: ambiguous"));
            found = 1;
            h = ev;
        }
    }
    if (found && read_handling(h, out, reason, reason_len) != 0) return refuse(out, -1);
    return 0;
}
