/* json_check.h - strict I-JSON (RFC 7493) check of received text, before any parser sees it. */
#ifndef ENLACE_STIX_JSON_CHECK_H
#define ENLACE_STIX_JSON_CHECK_H

#include <stddef.h>

/* Results of stix_json_check. */
#define STIX_JSON_OK 0
#define STIX_JSON_EINVALID (-1)  /* not I-JSON: the caller answers 400 (TAXII 2.1 §1.6.7) */
#define STIX_JSON_EDEPTH (-2)    /* valid so far but nested deeper than max_depth: 422 */
#define STIX_JSON_ENOMEM (-3)

/* Check that text[0..len) is one JSON value as RFC 8259 defines it, restricted as I-JSON
 * (RFC 7493, which TAXII 2.1 §1.6.7 requires): UTF-8 without overlong forms, encoded surrogates or
 * code points above U+10FFFF (§2.1); no unescaped control characters in strings; escapes only
 * as RFC 8259 §7 lists them, and no \u escape of a lone surrogate (§2.1); numbers in the RFC 8259
 * §6 grammar (so no NaN, Infinity, "1." or leading zeros); no member name twice in one object,
 * comparing names after unescaping (§2.3); only whitespace after the value. Containers nested
 * deeper than max_depth levels give STIX_JSON_EDEPTH.
 * Why this exists: json-c, even with JSON_TOKENER_STRICT, lets NaN, raw tabs in strings, lone
 * surrogate escapes and duplicate names through, and enlace stores and serves the received bytes
 * as they are, so anything it accepts must be readable by every other JSON parser, with the same
 * meaning. Runs in one pass, in O(len + k log k) for an object of k members.
 * On failure writes the byte offset of the problem to *at (may be NULL) and a one-line reason to
 * why (why_len bytes, may be NULL). Allocates only to track member names; can't crash on any
 * input. */
int stix_json_check(const char *text, size_t len, int max_depth, size_t *at, char *why, size_t why_len);

#endif
