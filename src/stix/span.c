/* span.c - a small JSON scanner that finds each object's exact bytes in an envelope and strips
 * insignificant whitespace, so stored objects keep every member and value as received. It runs
 * on every posted byte after json-c accepted the text, so it is built for speed (memchr over
 * strings) and is bounds-checked everywhere so garbage input can't make it read past the end. */
#include "stix/span.h"

#include <string.h>

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static size_t skip_ws(const char *s, size_t n, size_t i)
{
    while (i < n && is_ws(s[i]))
        i++;
    return i;
}

/* i is just past an opening '"'. Return the index just past the closing '"' (or n when the
 * string is unterminated). A quote is escaped when an odd run of backslashes precedes it; the
 * run can't reach past the opening quote, which is not a backslash. */
static size_t skip_string_body(const char *s, size_t n, size_t i)
{
    size_t start = i;
    for (;;) {
        if (i >= n)
            return n;
        const char *q = memchr(s + i, '"', n - i);
        if (q == NULL)
            return n;
        size_t j = (size_t)(q - s);
        size_t bs = 0;
        while (j - bs > start && s[j - bs - 1] == '\\')
            bs++;
        if ((bs & 1) == 0)
            return j + 1;
        i = j + 1;
    }
}

/* Skip one JSON value starting at s[i] (not whitespace). Returns the index just past it. */
static size_t skip_value(const char *s, size_t n, size_t i)
{
    if (i >= n)
        return n;
    char c = s[i];
    if (c == '"')
        return skip_string_body(s, n, i + 1);
    if (c == '{' || c == '[') {
        size_t depth = 0;
        while (i < n) {
            c = s[i];
            if (c == '"') {
                i = skip_string_body(s, n, i + 1);
                continue;
            }
            if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                if (--depth == 0)
                    return i + 1;
            }
            i++;
        }
        return n;
    }
    /* number, true, false, null: runs until a structural character or whitespace */
    while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' && !is_ws(s[i]))
        i++;
    return i;
}

/* 1 when the member name text (between the quotes, k bytes, escapes undecoded) means
 * "objects". json-c decodes escapes, so "obj\u0065cts" is the same name to it; we decode the
 * simple escapes too rather than miss the member. */
static int key_is_objects(const char *k, size_t len)
{
    static const char want[] = "objects";
    if (len == 7)
        return memcmp(k, want, 7) == 0;
    size_t w = 0;
    for (size_t i = 0; i < len; w++) {
        if (w >= 7)
            return 0;
        char c = k[i];
        if (c == '\\') {
            if (i + 5 < len && k[i + 1] == 'u') {
                int v = 0;
                for (int h = 2; h < 6; h++) {
                    char x = k[i + (size_t)h];
                    int d = (x >= '0' && x <= '9') ? x - '0'
                          : (x >= 'a' && x <= 'f') ? x - 'a' + 10
                          : (x >= 'A' && x <= 'F') ? x - 'A' + 10 : -1;
                    if (d < 0)
                        return 0;
                    v = v * 16 + d;
                }
                c = (char)v;
                if (v > 0x7f)
                    return 0;
                i += 6;
            } else {
                return 0; /* no other escape can spell a letter of "objects" */
            }
        } else {
            i++;
        }
        if (c != want[w])
            return 0;
    }
    return w == 7;
}

int stix_envelope_spans(const char *text, size_t len, stix_span *spans, size_t max, size_t *n)
{
    size_t count = 0;
    int found = 0;
    if (n != NULL)
        *n = 0;
    if (text == NULL)
        return -1;
    size_t i = skip_ws(text, len, 0);
    if (i >= len || text[i] != '{')
        return -1;
    i++;
    for (;;) {
        i = skip_ws(text, len, i);
        if (i >= len || text[i] != '"')
            break; /* '}' or garbage: the members are over */
        size_t kstart = i + 1;
        i = skip_string_body(text, len, kstart);
        if (i >= len)
            break;
        int is_objects = key_is_objects(text + kstart, i - 1 - kstart);
        i = skip_ws(text, len, i);
        if (i >= len || text[i] != ':')
            break;
        i = skip_ws(text, len, i + 1);
        if (i >= len)
            break;
        if (is_objects) {
            /* json-c keeps the last of repeated members: so do we. */
            found = 0;
            count = 0;
            if (text[i] == '[') {
                found = 1;
                i = skip_ws(text, len, i + 1);
                if (i < len && text[i] == ']') {
                    i++;
                } else {
                    while (i < len) {
                        size_t start = i;
                        i = skip_value(text, len, i);
                        if (count < max && spans != NULL) {
                            spans[count].off = start;
                            spans[count].len = i - start;
                        }
                        count++;
                        i = skip_ws(text, len, i);
                        if (i < len && text[i] == ',') {
                            i = skip_ws(text, len, i + 1);
                            continue;
                        }
                        if (i < len && text[i] == ']')
                            i++;
                        break;
                    }
                }
            } else {
                i = skip_value(text, len, i);
            }
        } else {
            i = skip_value(text, len, i);
        }
        i = skip_ws(text, len, i);
        if (i < len && text[i] == ',') {
            i++;
            continue;
        }
        break;
    }
    if (!found)
        return -1;
    if (n != NULL)
        *n = count;
    return 0;
}

size_t stix_json_minify(const char *in, size_t n, char *out)
{
    size_t i = 0, o = 0;
    while (i < n) {
        char c = in[i];
        if (c == '"') {
            size_t end = skip_string_body(in, n, i + 1);
            memcpy(out + o, in + i, end - i);
            o += end - i;
            i = end;
            continue;
        }
        if (!is_ws(c))
            out[o++] = c;
        i++;
    }
    return o;
}
