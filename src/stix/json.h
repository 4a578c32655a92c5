/* json.h - small json-c helpers shared by the modules that read STIX and TAXII JSON. */
#ifndef ENLACE_STIX_JSON_H
#define ENLACE_STIX_JSON_H

#include <json-c/json.h>

/* The string value of member name of object o (borrowed from o), or NULL when o is not a JSON
 * object (NULL included), has no such member, or the member is not a string. */
const char *stix_json_str(json_object *o, const char *name);

#endif
