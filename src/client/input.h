/* input.h - turn a file of STIX content (bundle, TAXII envelope, JSON array or one object) into
 * the exact bytes of each object, and plan TAXII envelopes under count and byte limits (T§5.5). */
#ifndef ENLACE_CLIENT_INPUT_H
#define ENLACE_CLIENT_INPUT_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

/* Bytes an envelope adds around its objects: {"objects":[ ... ]}; k objects add k-1 commas. */
#define CLIENT_ENVELOPE_OVERHEAD 14

/* One element of the input. */
typedef struct client_item {
    char *json;          /* owned: the element's text with insignificant whitespace removed
                          * (every token byte-exact); NULL when rejected locally */
    size_t len;          /* strlen(json) */
    char id[300];        /* the element's "id" string, "" when absent */
    char version[80];    /* its "modified", else "created", string; "" when absent */
    char *error;         /* owned one-line local rejection reason, NULL when sendable */
} client_item;

typedef struct client_input {
    const char *kind;    /* "bundle", "envelope", "array" or "object" (static strings) */
    client_item *items;  /* owned array of n items */
    size_t n;
    char *error;         /* owned: why the whole document was rejected (not JSON, ...), else NULL */
} client_input;

/* Split text (len bytes, need not be NUL-terminated) into items. The top level may be a STIX
 * bundle (S§8: its "objects"), a TAXII envelope (T§3.7: an object with "objects" and no "type"),
 * a JSON array of objects, or a single object. JSON is parsed strictly (RFC 8259, UTF-8
 * checked); a leading UTF-8 byte order mark is skipped (RFC 8259 §8.1). Each element's bytes are located in text and minified, so members, order, numbers
 * and string escapes stay exactly as written; if that ever fails, the element is re-serialized
 * by json-c instead (same values). Elements that are not objects or lack a string "id" get
 * item->error. A document that is not JSON, or whose shape is wrong, gets in->error (with the
 * parser's message) and no items: that is not a failure of this function.
 * Returns 0, or ENLACE_ENOMEM. *in must be freed with client_input_free. */
int client_input_parse(const char *text, size_t len, client_input *in, enlace_err *err);

/* Free everything in in and reset it. */
void client_input_free(client_input *in);

/* Mark every sendable item that alone would make an envelope over max_bytes as rejected
 * ("object is N bytes; the server accepts at most M per request"), since the server would refuse
 * it with 413 (T§4.2.1 max_content_length). Returns how many were marked, or (size_t)-1 when
 * out of memory. */
size_t client_input_mark_oversize(client_input *in, size_t max_bytes);

/* Plan the next envelope: starting at index start, return the index one past the last item to
 * include so that the envelope holds at most max_count sendable items (items with error are
 * skipped and not counted) and is at most max_bytes long (CLIENT_ENVELOPE_OVERHEAD + bytes +
 * commas), and never holds two items with the same (id, version) — versions compared as
 * instants, "…00.5Z" == "…00.500Z" — so that each entry of the status (T§4.3.1) names exactly
 * one sent object: a repeat starts the next envelope. At least one sendable item is always
 * included when any remains, even if it alone is too big (the server then answers 413).
 * Returns in->n when nothing sendable remains.
 * max_count 0 means no count limit; max_bytes 0 means no byte limit. */
size_t client_batch_end(const client_input *in, size_t start, size_t max_count, size_t max_bytes);

/* Append the envelope {"objects":[...]} of the sendable items in [start, end) to out.
 * Returns the number of objects written, or (size_t)-1 when out of memory. */
size_t client_batch_envelope(const client_input *in, size_t start, size_t end, enlace_buf *out);

/* Locate the elements of a JSON array in valid JSON text: if top_member is NULL the text's top
 * level must be the array; else the text's top level is an object and the array is the value
 * of its member named top_member (the last one when repeated, as json-c does). Writes the byte
 * offset and length of up to max elements to offs/lens; *n gets the element count.
 * Returns 0, or -1 when there is no such array. Used for received pages too (`enlace get`). */
int client_json_array_spans(const char *text, size_t len, const char *top_member, size_t *offs,
                            size_t *lens, size_t max, size_t *n);

/* Copy JSON text in[0..n) to out without whitespace outside strings. out must hold n bytes.
 * Returns the length written. Input must be valid JSON. */
size_t client_json_minify(const char *in, size_t n, char *out);

#endif
