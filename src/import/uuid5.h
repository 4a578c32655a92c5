/* uuid5.h - name-based UUIDs (RFC 9562 §5.5, version 5: SHA-1 of a namespace UUID and a name)
 * for the deterministic ids of imported objects. SHA-1 is used only because RFC 9562 names it
 * for version 5; nothing here is a security property. */
#ifndef ENLACE_IMPORT_UUID5_H
#define ENLACE_IMPORT_UUID5_H

#include <stddef.h>

/* Write the lower-case 8-4-4-4-12 text of the version 5 UUID of name (name_len bytes) under
 * namespace ns (a UUID in 8-4-4-4-12 hex text) into out (37 bytes). Returns 0, or -1 when ns
 * is not such a text. */
int import_uuid5(const char *ns, const char *name, size_t name_len, char out[37]);

#endif
