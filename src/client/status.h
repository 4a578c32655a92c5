/* status.h - read a TAXII 2.1 status resource (T§4.3.1) back onto the objects that were sent,
 * so that a client can say which object was accepted and why another was refused. */
#ifndef ENLACE_CLIENT_STATUS_H
#define ENLACE_CLIENT_STATUS_H

#include <json-c/json.h>
#include <stddef.h>

#include "client/input.h"

typedef enum {
    CLIENT_UNKNOWN = 0,    /* not decided yet (not sent, or still pending) */
    CLIENT_ACCEPTED = 1,   /* in the status's successes (an exact duplicate counts: T§5.5) */
    CLIENT_REJECTED = 2    /* in its failures, or refused locally */
} client_fate;

/* What became of one sent object. */
typedef struct client_outcome {
    client_fate fate;
    char version[80];      /* the version the server reported ("" when none), e.g. the
                            * server-chosen one of an object without created/modified */
    char message[512];     /* the server's message, control characters turned to spaces */
} client_outcome;

/* Attribute a complete status resource (json-c object) to the sendable items of in[start, end)
 * (items with a local error are left alone), filling outs[start..end). Each entry of failures
 * and successes is used once; an item matches an entry with its id and the same version string,
 * else (same instant written differently) the first unused entry with its id. client_batch_end
 * keeps one (id, version) per envelope, so the match is unambiguous. Items the status does not
 * name are accepted only when the status has no successes list (it is optional) and its
 * success_count equals the number of such items; otherwise they are rejected with
 * "not reported in the server's status". Returns 0, or -1 when out of memory (then every item
 * of the range is rejected with that reason). */
int client_status_apply(json_object *status, const client_input *in, size_t start, size_t end,
                        client_outcome *outs);

#endif
