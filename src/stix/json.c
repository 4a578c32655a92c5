/* json.c - small json-c helpers (json.h). */
#include "stix/json.h"

const char *stix_json_str(json_object *o, const char *name) {
    json_object *v;
    if (json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, name, &v) &&
        json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return NULL;
}
