/* entry.c - the canonical encoding of audit log entries and its parser. */
#include "audit/entry.h"

#include <json-c/json.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static void member(enlace_buf *out, const char *name, const char *value) {
    enlace_buf_printf(out, ",\"%s\":", name);
    enlace_buf_json_str(out, value ? value : "");
}

int audit_entry_encode(const audit_entry *e, enlace_buf *out) {
    unsigned char salt[AUDIT_SALT_LEN];
    randombytes_buf(salt, sizeof salt);
    return audit_entry_encode_salted(e, salt, out);
}

int audit_entry_encode_salted(const audit_entry *e, const unsigned char salt[AUDIT_SALT_LEN], enlace_buf *out) {
    char salt64[sodium_base64_ENCODED_LEN(AUDIT_SALT_LEN, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(salt64, sizeof salt64, salt, AUDIT_SALT_LEN, sodium_base64_VARIANT_ORIGINAL);
    enlace_buf_printf(out, "{\"v\":%d,\"salt\":\"%s\",\"time\":%lld", AUDIT_ENTRY_VERSION, salt64,
                      (long long)e->time_us);
    member(out, "principal", e->principal);
    member(out, "org", e->org);
    member(out, "party", e->party);
    member(out, "action", e->action);
    member(out, "collection", e->collection);
    member(out, "about", e->about);
    member(out, "decision", e->decision);
    member(out, "reason", e->reason);
    member(out, "target", e->target);
    enlace_buf_puts(out, ",\"objects\":[");
    for (size_t i = 0; i < e->n_objects; i++) {
        enlace_buf_puts(out, i ? ",[" : "[");
        enlace_buf_json_str(out, e->objects[i].id ? e->objects[i].id : "");
        enlace_buf_puts(out, ",");
        enlace_buf_json_str(out, e->objects[i].version ? e->objects[i].version : "");
        enlace_buf_puts(out, "]");
    }
    enlace_buf_puts(out, "]}");
    return out->oom ? ENLACE_ENOMEM : 0;
}

static const char *str_member(json_object *o, const char *name, int *bad) {
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string)) {
        *bad = 1;
        return "";
    }
    return json_object_get_string(v);
}

int audit_entry_decode(const void *data, size_t len, audit_entry_doc *out, enlace_err *err) {
    memset(out, 0, sizeof *out);
    if (len > 0x7fffffff) return enlace_err_set(err, ENLACE_EINVAL, "audit entry too large");
    json_tokener *tok = json_tokener_new();
    if (!tok) return enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
    json_object *root = json_tokener_parse_ex(tok, data, (int)len);
    int complete = json_tokener_get_error(tok) == json_tokener_success &&
                   json_tokener_get_parse_end(tok) == len;
    json_tokener_free(tok);
    if (!root || !complete || !json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return enlace_err_set(err, ENLACE_EINVAL, "audit entry is not a JSON object");
    }
    int bad = 0;
    json_object *v = NULL, *t = NULL, *objs = NULL;
    if (!json_object_object_get_ex(root, "v", &v) || !json_object_is_type(v, json_type_int) ||
        !json_object_object_get_ex(root, "time", &t) || !json_object_is_type(t, json_type_int) ||
        !json_object_object_get_ex(root, "objects", &objs) || !json_object_is_type(objs, json_type_array))
        bad = 1;
    audit_entry *e = &out->e;
    if (!bad) {
        out->version = json_object_get_int(v);
        if (out->version >= 2) {  /* "salt": base64 of AUDIT_SALT_LEN bytes */
            const char *s64 = str_member(root, "salt", &bad);
            size_t bin = 0;
            if (!bad && (sodium_base642bin(out->salt, AUDIT_SALT_LEN, s64, strlen(s64), NULL, &bin, NULL,
                                           sodium_base64_VARIANT_ORIGINAL) != 0 ||
                         bin != AUDIT_SALT_LEN))
                bad = 1;
            out->has_salt = !bad;
        }
        e->time_us = json_object_get_int64(t);
        e->principal = str_member(root, "principal", &bad);
        e->org = str_member(root, "org", &bad);
        e->party = str_member(root, "party", &bad);
        e->action = str_member(root, "action", &bad);
        e->collection = str_member(root, "collection", &bad);
        e->about = str_member(root, "about", &bad);
        e->decision = str_member(root, "decision", &bad);
        e->reason = str_member(root, "reason", &bad);
        e->target = str_member(root, "target", &bad);
    }
    size_t n = bad ? 0 : json_object_array_length(objs);
    if (!bad && n) {
        out->objs = calloc(n, sizeof *out->objs);
        if (!out->objs) {
            json_object_put(root);
            return enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < n && !bad; i++) {
            json_object *pair = json_object_array_get_idx(objs, i);
            if (!json_object_is_type(pair, json_type_array) || json_object_array_length(pair) != 2) {
                bad = 1;
                break;
            }
            json_object *id = json_object_array_get_idx(pair, 0), *ver = json_object_array_get_idx(pair, 1);
            if (!json_object_is_type(id, json_type_string) || !json_object_is_type(ver, json_type_string)) {
                bad = 1;
                break;
            }
            out->objs[i].id = json_object_get_string(id);
            out->objs[i].version = json_object_get_string(ver);
        }
    }
    if (bad) {
        free(out->objs);
        json_object_put(root);
        memset(out, 0, sizeof *out);
        return enlace_err_set(err, ENLACE_EINVAL, "audit entry lacks a member or has one of the wrong type");
    }
    e->objects = out->objs;
    e->n_objects = n;
    out->priv = root;
    return 0;
}

void audit_entry_doc_free(audit_entry_doc *d) {
    if (!d) return;
    free(d->objs);
    json_object_put(d->priv);
    memset(d, 0, sizeof *d);
}
