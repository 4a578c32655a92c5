/* span.h - locate each object's exact bytes in a received envelope, and strip insignificant
 * whitespace, so that stored objects keep every member and value exactly as received. */
#ifndef ENLACE_STIX_SPAN_H
#define ENLACE_STIX_SPAN_H

#include <stddef.h>

typedef struct stix_span {
    size_t off;   /* byte offset of the element's first byte ('{' for an object) */
    size_t len;   /* length in bytes of the element's text */
} stix_span;

/* text (len bytes) must be valid JSON whose top level is an object (an envelope, T§3.7).
 * Find the array value of its top-level "objects" member (the last one if repeated, matching
 * json-c) and write the span of each element, in order, to spans (at most max entries).
 * *n gets the element count (which may exceed max: then only max are written).
 * Returns 0; -1 when the text has no top-level "objects" array. */
int stix_envelope_spans(const char *text, size_t len, stix_span *spans, size_t max, size_t *n);

/* Copy JSON text in[0..n) to out, dropping whitespace outside strings; every token (strings with
 * their escapes, numbers as written) is kept byte-exact. out must hold n bytes. Returns the
 * length written. Input must be valid JSON. */
size_t stix_json_minify(const char *in, size_t n, char *out);

#endif
