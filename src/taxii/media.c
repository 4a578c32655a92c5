/* media.c - parse Accept and Content-Type media ranges (RFC 9110 §12.5.1) for TAXII 2.1 negotiation. */
#include "taxii/media.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One media range, pointing into the caller's text (not NUL-terminated). */
typedef struct media_range {
    const char *type; size_t type_len;     /* "application/taxii+json" */
    int has_version; char version[16];     /* version parameter, unquoted */
    int q_zero;                            /* q=0 or a malformed q: not acceptable */
} media_range;

static const char *skip_ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    return p;
}

static const char *trim_end(const char *start, const char *end) {
    while (end > start && (end[-1] == ' ' || end[-1] == '\t')) end--;
    return end;
}

/* Find the end of the current element (a ',' or ';' outside quotes, or end). */
static const char *next_sep(const char *p, const char *end, const char *seps) {
    int quoted = 0;
    for (; p < end; p++) {
        if (quoted) {
            if (*p == '\\' && p + 1 < end) p++;
            else if (*p == '"') quoted = 0;
        } else if (*p == '"') {
            quoted = 1;
        } else if (strchr(seps, *p)) {
            return p;
        }
    }
    return end;
}

/* q-value grammar (RFC 9110 §12.4.2): 0[.ddd] or 1[.000]; here only "is it zero" matters. */
static int q_is_zero(const char *v, size_t n) {
    if (n == 0) return 1;
    if (v[0] != '0' && v[0] != '1') return 1;      /* malformed: treat as not acceptable */
    if (n > 1 && (v[1] != '.' || n > 5)) return 1;
    for (size_t i = 2; i < n; i++)
        if (!isdigit((unsigned char)v[i])) return 1;
    if (v[0] == '1') return 0;
    for (size_t i = 2; i < n; i++)
        if (v[i] != '0') return 0;
    return 1;
}

/* Parse one range [p, end) (no top-level ','). Returns 0, or -1 when it has no type. */
static int parse_range(const char *p, const char *end, media_range *r) {
    memset(r, 0, sizeof *r);
    p = skip_ws(p, end);
    const char *semi = next_sep(p, end, ";");
    r->type = p;
    r->type_len = (size_t)(trim_end(p, semi) - p);
    if (r->type_len == 0) return -1;
    p = semi;
    while (p < end) {
        p = skip_ws(p + 1, end);  /* skip ';' */
        const char *pend = next_sep(p, end, ";");
        const char *eq = memchr(p, '=', (size_t)(pend - p));
        if (eq) {
            const char *name_end = trim_end(p, eq);
            const char *v = skip_ws(eq + 1, pend);
            const char *vend = trim_end(v, pend);
            if (vend - v >= 2 && *v == '"' && vend[-1] == '"') { v++; vend--; }
            size_t nlen = (size_t)(name_end - p), vlen = (size_t)(vend - v);
            if (nlen == 7 && strncasecmp(p, "version", 7) == 0) {
                r->has_version = 1;
                if (vlen >= sizeof r->version) vlen = sizeof r->version - 1;
                memcpy(r->version, v, vlen);
                r->version[vlen] = '\0';
            } else if (nlen == 1 && (*p == 'q' || *p == 'Q')) {
                r->q_zero = q_is_zero(v, vlen);
            }
        }
        p = pend;
    }
    return 0;
}

static int type_is(const media_range *r, const char *t) {
    size_t n = strlen(t);
    return r->type_len == n && strncasecmp(r->type, t, n) == 0;
}

static int version_ok(const media_range *r) {
    return !r->has_version || strcmp(r->version, "2.1") == 0;
}

int taxii_accept_ok(const char *accept, int allow_stix) {
    if (!accept) return 1;
    const char *p = accept, *end = accept + strlen(accept);
    if (skip_ws(p, end) == end) return 1;
    while (p < end) {
        const char *comma = next_sep(p, end, ",");
        media_range r;
        if (parse_range(p, comma, &r) == 0 && !r.q_zero) {
            if (type_is(&r, "*/*") || type_is(&r, "application/*")) return 1;
            if (type_is(&r, "application/taxii+json") && version_ok(&r)) return 1;
            if (allow_stix && type_is(&r, "application/stix+json") && version_ok(&r)) return 1;
        }
        p = comma < end ? comma + 1 : end;
    }
    return 0;
}

int taxii_accept_json_ok(const char *accept) {
    if (!accept) return 1;
    const char *p = accept, *end = accept + strlen(accept);
    if (skip_ws(p, end) == end) return 1;
    while (p < end) {
        const char *comma = next_sep(p, end, ",");
        media_range r;
        if (parse_range(p, comma, &r) == 0 && !r.q_zero &&
            (type_is(&r, "*/*") || type_is(&r, "application/*") || type_is(&r, "application/json")))
            return 1;
        p = comma < end ? comma + 1 : end;
    }
    return 0;
}

int taxii_content_type_ok(const char *content_type) {
    if (!content_type) return 0;
    const char *end = content_type + strlen(content_type);
    if (next_sep(content_type, end, ",") != end) return 0;  /* one media type only */
    media_range r;
    if (parse_range(content_type, end, &r) != 0) return 0;
    return type_is(&r, "application/taxii+json") && version_ok(&r);
}
