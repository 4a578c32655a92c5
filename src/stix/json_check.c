/* json_check.c - one-pass strict I-JSON (RFC 8259 + RFC 7493) validator over raw received bytes. */
#include "stix/json_check.h"

#include "util/utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A member name seen in an open object: FNV-1a hash of its unescaped bytes, and where it is. */
typedef struct {
    uint64_t hash;
    size_t off, len; /* the name's text between the quotes, escapes included */
} name_ref;

/* One open container. */
typedef struct {
    char kind;          /* '{' or '[' */
    size_t names_from;  /* first name_ref of this object in the checker's names array */
} frame;

typedef struct {
    const unsigned char *p;
    size_t len, i;
    frame *stack;
    int depth, max_depth;
    name_ref *names;
    size_t n_names, cap_names;
    size_t err_at;
    const char *err;
    int code;
} checker;

static int fail(checker *c, size_t at, const char *why) {
    c->err_at = at;
    c->err = why;
    c->code = STIX_JSON_EINVALID;
    return -1;
}

static void skip_ws(checker *c) {
    while (c->i < c->len) {
        unsigned char b = c->p[c->i];
        if (b != ' ' && b != '\t' && b != '\n' && b != '\r') break;
        c->i++;
    }
}

static int hexval(unsigned char b) {
    if (b >= '0' && b <= '9') return b - '0';
    if (b >= 'a' && b <= 'f') return b - 'a' + 10;
    if (b >= 'A' && b <= 'F') return b - 'A' + 10;
    return -1;
}

/* Read 4 hex digits at p[i..i+4); -1 when not hex or out of bounds. */
static long hex4(const unsigned char *p, size_t len, size_t i) {
    if (i + 4 > len) return -1;
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(p[i + (size_t)k]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

#define FNV_OFFSET 1469598103934665603ULL
#define FNV_PRIME 1099511628211ULL

static uint64_t fnv_byte(uint64_t h, unsigned char b) { return (h ^ b) * FNV_PRIME; }

/* Append the UTF-8 bytes of code point cp to a hash. */
static uint64_t fnv_cp(uint64_t h, uint32_t cp) {
    if (cp < 0x80) return fnv_byte(h, (unsigned char)cp);
    if (cp < 0x800) {
        h = fnv_byte(h, (unsigned char)(0xC0 | (cp >> 6)));
    } else if (cp < 0x10000) {
        h = fnv_byte(h, (unsigned char)(0xE0 | (cp >> 12)));
        h = fnv_byte(h, (unsigned char)(0x80 | ((cp >> 6) & 0x3F)));
    } else {
        h = fnv_byte(h, (unsigned char)(0xF0 | (cp >> 18)));
        h = fnv_byte(h, (unsigned char)(0x80 | ((cp >> 12) & 0x3F)));
        h = fnv_byte(h, (unsigned char)(0x80 | ((cp >> 6) & 0x3F)));
    }
    return fnv_byte(h, (unsigned char)(0x80 | (cp & 0x3F)));
}

/* Scan a string starting at the opening quote c->i. Leaves c->i after the closing quote and, when
 * hash is not NULL, stores the FNV-1a hash of the unescaped bytes. */
static int scan_string(checker *c, uint64_t *hash) {
    const unsigned char *p = c->p;
    size_t len = c->len, i = c->i + 1;
    uint64_t h = FNV_OFFSET;
    for (;;) {
        if (i >= len) return fail(c, c->i, "unterminated string");
        unsigned char b = p[i];
        if (b == '"') break;
        if (b < 0x20) return fail(c, i, "unescaped control character in a string");
        if (b == '\\') {
            if (i + 1 >= len) return fail(c, i, "unterminated escape");
            unsigned char e = p[i + 1];
            uint32_t cp;
            switch (e) {
            case '"': cp = '"'; break;
            case '\\': cp = '\\'; break;
            case '/': cp = '/'; break;
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case 'n': cp = '\n'; break;
            case 'r': cp = '\r'; break;
            case 't': cp = '\t'; break;
            case 'u': {
                long u = hex4(p, len, i + 2);
                if (u < 0) return fail(c, i, "bad \\u escape");
                if (u >= 0xDC00 && u <= 0xDFFF) return fail(c, i, "lone low surrogate escape");
                if (u >= 0xD800 && u <= 0xDBFF) {
                    long lo = (i + 7 < len && p[i + 6] == '\\' && p[i + 7] == 'u') ? hex4(p, len, i + 8) : -1;
                    if (lo < 0xDC00 || lo > 0xDFFF) return fail(c, i, "lone high surrogate escape");
                    cp = 0x10000 + (((uint32_t)u - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
                    i += 6;
                } else {
                    cp = (uint32_t)u;
                }
                i += 4;
                break;
            }
            default: return fail(c, i, "invalid escape in a string");
            }
            h = fnv_cp(h, cp);
            i += 2;
            continue;
        }
        if (b < 0x80) {
            h = fnv_byte(h, b);
            i++;
            continue;
        }
        size_t n = enlace_utf8_seq(p + i, len - i);
        if (!n) return fail(c, i, "invalid UTF-8");
        for (size_t k = 0; k < n; k++) h = fnv_byte(h, p[i + k]);
        i += n;
    }
    if (hash) *hash = h;
    c->i = i + 1;
    return 0;
}

static int scan_number(checker *c) {
    const unsigned char *p = c->p;
    size_t len = c->len, i = c->i;
    if (i < len && p[i] == '-') i++;
    if (i >= len) return fail(c, c->i, "bad number");
    if (p[i] == '0') {
        i++;
    } else if (p[i] >= '1' && p[i] <= '9') {
        while (i < len && p[i] >= '0' && p[i] <= '9') i++;
    } else {
        return fail(c, c->i, "bad number");
    }
    if (i < len && p[i] == '.') {
        i++;
        if (i >= len || p[i] < '0' || p[i] > '9') return fail(c, c->i, "bad number: digits must follow '.'");
        while (i < len && p[i] >= '0' && p[i] <= '9') i++;
    }
    if (i < len && (p[i] == 'e' || p[i] == 'E')) {
        i++;
        if (i < len && (p[i] == '+' || p[i] == '-')) i++;
        if (i >= len || p[i] < '0' || p[i] > '9') return fail(c, c->i, "bad number exponent");
        while (i < len && p[i] >= '0' && p[i] <= '9') i++;
    }
    c->i = i;
    return 0;
}

static int scan_literal(checker *c) {
    static const char *const lits[] = {"true", "false", "null"};
    for (int k = 0; k < 3; k++) {
        size_t n = strlen(lits[k]);
        if (c->i + n <= c->len && memcmp(c->p + c->i, lits[k], n) == 0) {
            c->i += n;
            return 0;
        }
    }
    return fail(c, c->i, "unexpected character (not a JSON value)");
}

/* Write the unescaped bytes of a member name (already checked) to out; returns the length. */
static size_t unescape_name(const unsigned char *s, size_t n, unsigned char *out) {
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] != '\\') {
            out[o++] = s[i++];
            continue;
        }
        unsigned char e = s[i + 1];
        uint32_t cp;
        if (e != 'u') {
            cp = e == 'b' ? '\b' : e == 'f' ? '\f' : e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e;
            i += 2;
        } else {
            cp = (uint32_t)hex4(s, n, i + 2);
            i += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)hex4(s, n, i + 2) - 0xDC00);
                i += 6;
            }
        }
        if (cp < 0x80) {
            out[o++] = (unsigned char)cp;
        } else if (cp < 0x800) {
            out[o++] = (unsigned char)(0xC0 | (cp >> 6));
            out[o++] = (unsigned char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out[o++] = (unsigned char)(0xE0 | (cp >> 12));
            out[o++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            out[o++] = (unsigned char)(0x80 | (cp & 0x3F));
        } else {
            out[o++] = (unsigned char)(0xF0 | (cp >> 18));
            out[o++] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
            out[o++] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            out[o++] = (unsigned char)(0x80 | (cp & 0x3F));
        }
    }
    return o;
}

static int names_equal(const checker *c, const name_ref *a, const name_ref *b) {
    const unsigned char *sa = c->p + a->off, *sb = c->p + b->off;
    if (a->len == b->len && memcmp(sa, sb, a->len) == 0) return 1;
    if (!memchr(sa, '\\', a->len) && !memchr(sb, '\\', b->len)) return 0;
    /* Unescaping never makes a name longer. */
    unsigned char *ua = malloc(a->len + 1), *ub = malloc(b->len + 1);
    int eq = 0;
    if (ua && ub) {
        size_t la = unescape_name(sa, a->len, ua), lb = unescape_name(sb, b->len, ub);
        eq = la == lb && memcmp(ua, ub, la) == 0;
    }
    free(ua);
    free(ub);
    return eq;
}

static int cmp_name(const void *x, const void *y) {
    const name_ref *a = x, *b = y;
    if (a->hash != b->hash) return a->hash < b->hash ? -1 : 1;
    return a->off < b->off ? -1 : a->off > b->off;
}

/* At the close of an object: any name twice among names[from..n_names)? */
static int check_names(checker *c, size_t from) {
    size_t k = c->n_names - from;
    name_ref *v = c->names + from;
    if (k > 1) {
        if (k <= 8) {
            for (size_t a = 0; a < k; a++)
                for (size_t b = a + 1; b < k; b++)
                    if (v[a].hash == v[b].hash && names_equal(c, &v[a], &v[b]))
                        return fail(c, v[b].off - 1, "duplicate member name in an object");
        } else {
            qsort(v, k, sizeof *v, cmp_name);
            for (size_t a = 0; a + 1 < k; a++)
                for (size_t b = a + 1; b < k && v[b].hash == v[a].hash; b++)
                    if (names_equal(c, &v[a], &v[b]))
                        return fail(c, (v[a].off > v[b].off ? v[a].off : v[b].off) - 1,
                                    "duplicate member name in an object");
        }
    }
    c->n_names = from;
    return 0;
}

static int push_name(checker *c, uint64_t hash, size_t off, size_t len) {
    if (c->n_names == c->cap_names) {
        size_t cap = c->cap_names ? c->cap_names * 2 : 64;
        name_ref *n = realloc(c->names, cap * sizeof *n);
        if (!n) {
            c->code = STIX_JSON_ENOMEM;
            c->err = "out of memory";
            c->err_at = off;
            return -1;
        }
        c->names = n;
        c->cap_names = cap;
    }
    c->names[c->n_names++] = (name_ref){hash, off, len};
    return 0;
}

/* The value grammar as a loop over an explicit stack, so that depth never costs C stack. */
static int run(checker *c) {
    enum { VALUE, AFTER_VALUE } state = VALUE;
    for (;;) {
        skip_ws(c);
        if (state == VALUE) {
            if (c->i >= c->len) return fail(c, c->i, "unexpected end of input");
            unsigned char b = c->p[c->i];
            if (b == '{' || b == '[') {
                if (c->depth >= c->max_depth) {
                    c->code = STIX_JSON_EDEPTH;
                    c->err = "nested too deep";
                    c->err_at = c->i;
                    return -1;
                }
                c->stack[c->depth].kind = (char)b;
                c->stack[c->depth].names_from = c->n_names;
                c->depth++;
                c->i++;
                skip_ws(c);
                if (c->i < c->len && c->p[c->i] == (b == '{' ? '}' : ']')) {
                    c->depth--;
                    c->i++;
                    state = AFTER_VALUE;
                    continue;
                }
                if (b == '[') continue; /* state stays VALUE: the first element */
                /* fall into member-name parsing below */
            } else if (b == '"') {
                if (scan_string(c, NULL)) return -1;
                state = AFTER_VALUE;
                continue;
            } else if (b == '-' || (b >= '0' && b <= '9')) {
                if (scan_number(c)) return -1;
                state = AFTER_VALUE;
                continue;
            } else {
                if (scan_literal(c)) return -1;
                state = AFTER_VALUE;
                continue;
            }
        } else { /* AFTER_VALUE */
            if (c->depth == 0) {
                if (c->i != c->len) return fail(c, c->i, "unexpected data after the JSON value");
                return 0;
            }
            if (c->i >= c->len) return fail(c, c->i, "unexpected end of input");
            frame *f = &c->stack[c->depth - 1];
            unsigned char b = c->p[c->i];
            if (b == ',') {
                c->i++;
                if (f->kind == '[') {
                    state = VALUE;
                    continue;
                }
                skip_ws(c);
            } else if (b == (f->kind == '{' ? '}' : ']')) {
                if (f->kind == '{' && check_names(c, f->names_from)) return -1;
                c->depth--;
                c->i++;
                continue;
            } else {
                return fail(c, c->i, f->kind == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
            }
        }
        /* A member: "name" ws ':' then a value. */
        if (c->i >= c->len || c->p[c->i] != '"') return fail(c, c->i, "expected a member name");
        size_t start = c->i;
        uint64_t h;
        if (scan_string(c, &h)) return -1;
        if (push_name(c, h, start + 1, c->i - start - 2)) return -1;
        skip_ws(c);
        if (c->i >= c->len || c->p[c->i] != ':') return fail(c, c->i, "expected ':'");
        c->i++;
        state = VALUE;
    }
}

int stix_json_check(const char *text, size_t len, int max_depth, size_t *at, char *why, size_t why_len) {
    checker c = {0};
    c.p = (const unsigned char *)text;
    c.len = len;
    c.max_depth = max_depth > 0 ? max_depth : 1;
    c.stack = malloc((size_t)c.max_depth * sizeof *c.stack);
    if (!c.stack) {
        if (why && why_len) snprintf(why, why_len, "out of memory");
        return STIX_JSON_ENOMEM;
    }
    int rc = run(&c) == 0 ? STIX_JSON_OK : c.code;
    if (rc != STIX_JSON_OK) {
        if (at) *at = c.err_at;
        if (why && why_len) snprintf(why, why_len, "%s", c.err);
    }
    free(c.stack);
    free(c.names);
    return rc;
}
