/* directory.c - GET /enlace/v1/directory: the node's signed statement of who it vouches for (its
 * party, its organizations as STIX identities, the vettings its party made), and the node key it
 * is signed with (issue 3 "Who is who"; partners pull and verify it in issue 5). */
#include <errno.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stix/time.h"
#include "taxii/internal.h"

/* A base64 Ed25519 secret key is 88 characters; anything much longer is not one. */
#define KEY_TEXT_MAX 256

int taxii_node_key_load(const char *path, unsigned char sk[crypto_sign_SECRETKEYBYTES], enlace_err *err) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT) return enlace_err_set(err, ENLACE_ENOTFOUND, "no node key at %s", path);
        return enlace_err_set(err, ENLACE_EIO, "cannot read the node key %s: %s", path, strerror(errno));
    }
    char text[KEY_TEXT_MAX + 2];
    size_t n = fread(text, 1, sizeof text - 1, f);
    int read_err = ferror(f);
    fclose(f);
    text[n] = '\0';
    size_t a = 0, b = n;
    while (a < b && (text[a] == ' ' || text[a] == '\n' || text[a] == '\r' || text[a] == '\t')) a++;
    while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\n' || text[b - 1] == '\r' || text[b - 1] == '\t')) b--;
    size_t bin_len = 0;
    int bad = read_err || n > KEY_TEXT_MAX ||
              sodium_base642bin(sk, crypto_sign_SECRETKEYBYTES, text + a, b - a, NULL, &bin_len, NULL,
                                sodium_base64_VARIANT_ORIGINAL) != 0 ||
              bin_len != crypto_sign_SECRETKEYBYTES;
    sodium_memzero(text, sizeof text);
    if (bad) {
        sodium_memzero(sk, crypto_sign_SECRETKEYBYTES);
        return enlace_err_set(err, ENLACE_EIO, "%s is not a base64 Ed25519 secret key", path);
    }
    return 0;
}

/* Append the organizations this node vouches for: their identity objects as stored. A stored
 * identity that is not a JSON object would make the payload invalid: refuse rather than sign it. */
static int put_organizations(store *s, enlace_buf *p, enlace_err *err) {
    store_org *orgs = NULL;
    size_t n = 0;
    int rc = store_org_list(s, &orgs, &n, err);
    if (rc != 0) return rc;
    enlace_buf_puts(p, ",\"organizations\":[");
    size_t shown = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!orgs[i].vouched) continue;
        char *json = NULL;
        rc = store_org_identity_json(s, orgs[i].rowid, &json, err);
        if (rc != 0) break;
        json_object *o = json ? json_tokener_parse(json) : NULL;
        if (!o || !json_object_is_type(o, json_type_object)) {
            rc = enlace_err_set(err, ENLACE_EIO, "the stored identity of organization %s is not a JSON object",
                                orgs[i].name);
        } else {
            if (shown++) enlace_buf_append(p, ",", 1);
            enlace_buf_puts(p, json);
        }
        json_object_put(o);
        free(json);
    }
    enlace_buf_puts(p, "]");
    free(orgs);
    return rc;
}

/* Append the vettings made by party (the node's). */
static int put_vettings(store *s, const char *party, enlace_buf *p, enlace_err *err) {
    store_vetting *v = NULL;
    size_t n = 0;
    int rc = store_vetting_list(s, &v, &n, err);
    if (rc != 0) return rc;
    enlace_buf_puts(p, ",\"vettings\":[");
    size_t shown = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].by_party, party) != 0) continue;
        char until[TAXII_TIME_LEN];
        taxii_time_format(v[i].until_us, until);
        if (shown++) enlace_buf_append(p, ",", 1);
        enlace_buf_puts(p, "{\"organization\":");
        enlace_buf_json_str(p, v[i].org_identity);
        enlace_buf_puts(p, ",\"party\":");
        enlace_buf_json_str(p, v[i].org_party);
        enlace_buf_puts(p, ",\"vetted_by\":");
        enlace_buf_json_str(p, v[i].by_party);
        enlace_buf_printf(p, ",\"until\":\"%s\"}", until);
    }
    enlace_buf_puts(p, "]");
    free(v);
    return 0;
}

int taxii_directory_build(taxii_server *srv, store *s, int64_t now_us, enlace_buf *out, enlace_err *err) {
    char self_id[POLICY_IDENTITY_LEN + 16] = "";
    int rc = store_meta_get(s, "identity_id", self_id, sizeof self_id, err);
    if (rc != 0 && rc != ENLACE_ENOTFOUND) return rc;
    char issued[TAXII_TIME_LEN];
    taxii_time_format(now_us, issued);

    enlace_buf p = ENLACE_BUF_INIT;
    enlace_buf_puts(&p, "{\"party\":");
    enlace_buf_json_str(&p, srv->party);
    enlace_buf_puts(&p, ",\"node_organization\":");
    enlace_buf_json_str(&p, self_id);
    enlace_buf_printf(&p, ",\"issued\":\"%s\"", issued);
    if ((rc = put_organizations(s, &p, err)) != 0 || (rc = put_vettings(s, srv->party, &p, err)) != 0) {
        enlace_buf_free(&p);
        return rc;
    }
    enlace_buf_puts(&p, "}");
    if (p.oom) {
        enlace_buf_free(&p);
        return enlace_err_set(err, ENLACE_ENOMEM, "out of memory for the directory");
    }

    unsigned char sig[crypto_sign_BYTES], pk[crypto_sign_PUBLICKEYBYTES];
    crypto_sign_detached(sig, NULL, (const unsigned char *)p.p, p.len, srv->node_sk);
    crypto_sign_ed25519_sk_to_pk(pk, srv->node_sk);
    char sig64[sodium_base64_ENCODED_LEN(crypto_sign_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    char pk64[sodium_base64_ENCODED_LEN(crypto_sign_PUBLICKEYBYTES, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(sig64, sizeof sig64, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
    sodium_bin2base64(pk64, sizeof pk64, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);

    enlace_buf_puts(out, "{\"payload\":");
    enlace_buf_json_str(out, p.p);
    enlace_buf_printf(out, ",\"signature\":\"%s\",\"public_key\":\"%s\"}", sig64, pk64);
    enlace_buf_free(&p);
    if (out->oom) return enlace_err_set(err, ENLACE_ENOMEM, "out of memory for the directory");
    return 0;
}
