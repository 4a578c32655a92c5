/* input.c - split bundles, envelopes, arrays and single objects into exact object bytes, and
 * pack them into TAXII envelopes under the server's count and size limits. */
#include "client/input.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deep enough for real STIX (ATT&CK, reports with nested extensions), bounded against abuse. */
#define INPUT_MAX_DEPTH 128

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static size_t skip_ws(const char *t, size_t len, size_t i) {
    while (i < len && is_ws(t[i])) i++;
    return i;
}

/* Index one past the string starting at t[i] == '"'. */
static size_t skip_string(const char *t, size_t len, size_t i) {
    for (i++; i < len; i++) {
        if (t[i] == '\\') i++;
        else if (t[i] == '"') return i + 1;
    }
    return len;
}

/* Index one past the value starting at t[i] (valid JSON assumed). */
static size_t skip_value(const char *t, size_t len, size_t i) {
    if (i >= len) return len;
    if (t[i] == '"') return skip_string(t, len, i);
    if (t[i] == '{' || t[i] == '[') {
        size_t depth = 0;
        while (i < len) {
            char c = t[i];
            if (c == '"') {
                i = skip_string(t, len, i);
                continue;
            }
            if (c == '{' || c == '[') depth++;
            else if (c == '}' || c == ']') {
                if (--depth == 0) return i + 1;
            }
            i++;
        }
        return len;
    }
    while (i < len && t[i] != ',' && t[i] != ']' && t[i] != '}' && !is_ws(t[i])) i++;
    return i;
}

/* Record the elements of the array at t[i] == '['. */
static int array_spans(const char *t, size_t len, size_t i, size_t *offs, size_t *lens, size_t max,
                       size_t *n) {
    *n = 0;
    if (i >= len || t[i] != '[') return -1;
    i = skip_ws(t, len, i + 1);
    if (i < len && t[i] == ']') return 0;
    while (i < len) {
        size_t end = skip_value(t, len, i);
        if (*n < max) {
            offs[*n] = i;
            lens[*n] = end - i;
        }
        (*n)++;
        i = skip_ws(t, len, end);
        if (i >= len || t[i] != ',') break;
        i = skip_ws(t, len, i + 1);
    }
    return 0;
}

int client_json_array_spans(const char *text, size_t len, const char *top_member, size_t *offs,
                            size_t *lens, size_t max, size_t *n) {
    size_t i = skip_ws(text, len, 0);
    *n = 0;
    if (!top_member) return array_spans(text, len, i, offs, lens, max, n);
    if (i >= len || text[i] != '{') return -1;
    size_t want = strlen(top_member), found = (size_t)-1;
    i = skip_ws(text, len, i + 1);
    while (i < len && text[i] == '"') {
        size_t kend = skip_string(text, len, i);
        int match = kend - i == want + 2 && memcmp(text + i + 1, top_member, want) == 0;
        i = skip_ws(text, len, kend);
        if (i >= len || text[i] != ':') return -1;
        i = skip_ws(text, len, i + 1);
        if (match) found = i; /* keep the last, as json-c does for repeated members */
        i = skip_ws(text, len, skip_value(text, len, i));
        if (i >= len || text[i] != ',') break;
        i = skip_ws(text, len, i + 1);
    }
    if (found == (size_t)-1) return -1;
    return array_spans(text, len, found, offs, lens, max, n);
}

size_t client_json_minify(const char *in, size_t n, char *out) {
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c == '"') {
            size_t end = skip_string(in, n, i);
            memcpy(out + o, in + i, end - i);
            o += end - i;
            i = end - 1;
        } else if (!is_ws(c)) {
            out[o++] = c;
        }
    }
    return o;
}

/* printf into a fresh malloc'd string; NULL when out of memory. */
static char *str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *str_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static void copy_str_member(json_object *o, const char *name, char *out, size_t out_len) {
    json_object *v;
    if (json_object_object_get_ex(o, name, &v) && json_object_is_type(v, json_type_string))
        snprintf(out, out_len, "%s", json_object_get_string(v));
}

/* Fill one item from element elem (index k), whose bytes are text[off..off+len) or, when
 * text is NULL, to be re-serialized. Returns 0 or -1 when out of memory. */
static int item_fill(client_item *it, json_object *elem, size_t k, const char *text, size_t len) {
    if (!json_object_is_type(elem, json_type_object)) {
        it->error = str_printf("element %zu is not a JSON object", k + 1);
        return it->error ? 0 : -1;
    }
    copy_str_member(elem, "id", it->id, sizeof it->id);
    copy_str_member(elem, "modified", it->version, sizeof it->version);
    if (!it->version[0]) copy_str_member(elem, "created", it->version, sizeof it->version);
    if (!it->id[0]) {
        /* The server could not name it in a status (T§4.3.1 needs an id), so refuse it here. */
        it->error = str_printf("element %zu has no string 'id'", k + 1);
        return it->error ? 0 : -1;
    }
    if (!text) {
        text = json_object_to_json_string_ext(elem, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text) return -1;
        len = strlen(text);
    }
    it->json = malloc(len + 1);
    if (!it->json) return -1;
    it->len = client_json_minify(text, len, it->json);
    it->json[it->len] = '\0';
    return 0;
}

static int doc_error(client_input *in, const char *fmt, const char *arg) {
    in->error = str_printf(fmt, arg);
    return in->error ? 0 : -1;
}

int client_input_parse(const char *text, size_t len, client_input *in, enlace_err *err) {
    memset(in, 0, sizeof *in);
    in->kind = "object";
    /* A leading UTF-8 byte order mark may be ignored (RFC 8259 §8.1); editors on Windows write one. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    json_tokener *tok = json_tokener_new_ex(INPUT_MAX_DEPTH);
    if (!tok) return enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *doc = len ? json_tokener_parse_ex(tok, text, (int)len) : NULL;
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    int rc = 0;
    if (len > (size_t)0x7fffffff) {
        rc = doc_error(in, "%s", "file too large to parse (over 2 GiB)");
    } else if (!len || jerr == json_tokener_continue) {
        rc = doc_error(in, "%s", "not JSON: unexpected end of data");
    } else if (!doc && jerr != json_tokener_success) {
        /* Say where, so a hand-edited file can be fixed. */
        size_t end = json_tokener_get_parse_end(tok), line = 1, col = 1;
        for (size_t i = 0; i < end && i < len; i++, col++)
            if (text[i] == '\n') {
                line++;
                col = 0;
            }
        in->error = str_printf("not JSON: %s at line %zu, column %zu", json_tokener_error_desc(jerr), line, col);
        rc = in->error ? 0 : -1;
    } else if (skip_ws(text, len, json_tokener_get_parse_end(tok)) != len) {
        rc = doc_error(in, "%s", "not JSON: unexpected text after the JSON value");
    }
    json_tokener_free(tok);
    if (rc != 0 || in->error) {
        json_object_put(doc);
        if (rc) return enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
        return ENLACE_OK;
    }

    json_object *arr = NULL, *type = NULL;
    const char *member = NULL;
    if (json_object_is_type(doc, json_type_array)) {
        in->kind = "array";
        arr = doc;
    } else if (json_object_is_type(doc, json_type_object)) {
        json_object_object_get_ex(doc, "type", &type);
        int is_bundle = type && json_object_is_type(type, json_type_string) &&
                        strcmp(json_object_get_string(type), "bundle") == 0;
        json_object *objs = NULL;
        int has_objs = json_object_object_get_ex(doc, "objects", &objs);
        if (is_bundle || (!type && has_objs)) {
            in->kind = is_bundle ? "bundle" : "envelope";
            if (has_objs && !json_object_is_type(objs, json_type_array)) {
                rc = doc_error(in, "the %s's 'objects' is not an array", in->kind);
            }
            arr = has_objs ? objs : NULL;
            member = "objects";
        }
    } else {
        rc = doc_error(in, "%s", "the top level is neither an object nor an array");
    }
    if (rc || in->error) goto done;

    size_t n = arr ? json_object_array_length(arr) : (member ? 0 : 1);
    in->items = n ? calloc(n, sizeof *in->items) : NULL;
    size_t *offs = n ? calloc(n, sizeof *offs) : NULL, *lens = n ? calloc(n, sizeof *lens) : NULL;
    if (n && (!in->items || !offs || !lens)) {
        free(offs);
        free(lens);
        rc = -1;
        goto done;
    }
    in->n = n;
    size_t found = 0;
    int spans_ok;
    if (n == 0) {
        spans_ok = 0;
    } else if (!arr) { /* a single object: its bytes are the whole text, trimmed */
        size_t a = skip_ws(text, len, 0), b = len;
        while (b > a && is_ws(text[b - 1])) b--;
        offs[0] = a;
        lens[0] = b - a;
        spans_ok = 1;
    } else {
        spans_ok = client_json_array_spans(text, len, member, offs, lens, n, &found) == 0 && found == n;
    }
    for (size_t k = 0; k < n && rc == 0; k++) {
        json_object *elem = arr ? json_object_array_get_idx(arr, k) : doc;
        if (item_fill(&in->items[k], elem, k, spans_ok ? text + offs[k] : NULL, spans_ok ? lens[k] : 0) != 0)
            rc = -1;
    }
    free(offs);
    free(lens);
done:
    json_object_put(doc);
    if (rc) {
        client_input_free(in);
        return enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
    }
    return ENLACE_OK;
}

void client_input_free(client_input *in) {
    if (!in) return;
    for (size_t k = 0; k < in->n; k++) {
        free(in->items[k].json);
        free(in->items[k].error);
    }
    free(in->items);
    free(in->error);
    memset(in, 0, sizeof *in);
    in->kind = "object";
}

size_t client_input_mark_oversize(client_input *in, size_t max_bytes) {
    size_t marked = 0;
    for (size_t k = 0; k < in->n; k++) {
        client_item *it = &in->items[k];
        if (it->error || !max_bytes || it->len + CLIENT_ENVELOPE_OVERHEAD <= max_bytes) continue;
        it->error = str_printf("object is %zu bytes; the server accepts at most %zu per request",
                               it->len, max_bytes);
        if (!it->error) return (size_t)-1;
        free(it->json);
        it->json = NULL;
        it->len = 0;
        marked++;
    }
    return marked;
}

/* Length of a version string without the fraction's trailing zeros (and a bare '.'), so that
 * "…00.5Z" and "…00.500Z", the same instant (S§3.2), compare equal. */
static size_t version_core(const char *v, size_t *zpos) {
    size_t n = strlen(v);
    *zpos = n;
    if (n == 0 || v[n - 1] != 'Z' || !strchr(v, '.')) return n;
    size_t e = n - 1;
    while (e > 0 && v[e - 1] == '0') e--;
    if (e > 0 && v[e - 1] == '.') e--;
    *zpos = e;
    return e;
}

static int same_version(const client_item *a, const client_item *b) {
    if (strcmp(a->id, b->id) != 0) return 0;
    size_t za, zb;
    size_t la = version_core(a->version, &za), lb = version_core(b->version, &zb);
    return la == lb && memcmp(a->version, b->version, la) == 0;
}

static uint64_t version_hash(const client_item *it) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const char *p = it->id; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
    size_t z, l = version_core(it->version, &z);
    for (size_t i = 0; i < l; i++) h = (h ^ (unsigned char)it->version[i]) * 1099511628211ull;
    return h;
}

size_t client_batch_end(const client_input *in, size_t start, size_t max_count, size_t max_bytes) {
    size_t count = 0, bytes = CLIENT_ENVELOPE_OVERHEAD, k = start;
    /* Indexes (+1) of the batch's items by (id, version): a version may appear only once per
     * envelope, so that the status's successes and failures name each object unambiguously. */
    size_t cap = 16, limit = max_count ? max_count : in->n - start;
    while (cap < 2 * limit && cap < ((size_t)1 << 24)) cap *= 2;
    size_t *seen = calloc(cap, sizeof *seen);
    for (; k < in->n; k++) {
        const client_item *it = &in->items[k];
        if (it->error) continue;
        size_t add = it->len + (count ? 1 : 0);
        if (count > 0 && ((max_count && count >= max_count) || (max_bytes && bytes + add > max_bytes)))
            break;
        if (seen) {
            size_t slot = (size_t)version_hash(it) & (cap - 1), dup = 0;
            while (seen[slot]) {
                if (same_version(&in->items[seen[slot] - 1], it)) {
                    dup = 1;
                    break;
                }
                slot = (slot + 1) & (cap - 1);
            }
            if (dup) break;
            if (count < cap / 2) seen[slot] = k + 1;
        } else {
            /* Out of memory for the table: fall back to a linear scan of the batch so far. */
            int dup = 0;
            for (size_t j = start; j < k && !dup; j++)
                dup = !in->items[j].error && same_version(&in->items[j], it);
            if (dup) break;
        }
        count++;
        bytes += add;
    }
    free(seen);
    if (count == 0) return in->n;
    return k;
}

size_t client_batch_envelope(const client_input *in, size_t start, size_t end, enlace_buf *out) {
    size_t count = 0;
    enlace_buf_puts(out, "{\"objects\":[");
    for (size_t k = start; k < end && k < in->n; k++) {
        const client_item *it = &in->items[k];
        if (it->error) continue;
        if (count++) enlace_buf_append(out, ",", 1);
        enlace_buf_append(out, it->json, it->len);
    }
    enlace_buf_puts(out, "]}");
    return out->oom ? (size_t)-1 : count;
}
