/* gen.c - deterministic synthetic STIX 2.1 objects (indicators, identities, relationships). */
#include "gen.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* 2026-01-01T00:00:00Z in milliseconds: every generated timestamp lies after it. */
#define GEN_EPOCH_MS 1767225600000LL
#define TLP_WHITE "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"

static uint64_t mix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* A small splitmix64 stream for one object. */
typedef struct rng { uint64_t s; } rng;
static uint64_t rnext(rng *r) { r->s += 0x9e3779b97f4a7c15ULL; return mix64(r->s); }
static unsigned rbelow(rng *r, unsigned n) { return (unsigned)(rnext(r) % n); }

static const char *type_of(uint64_t i) {
    switch (i % 5) {
    case 3: return "relationship";
    case 4: return "identity";
    default: return "indicator";
    }
}

void gen_id(uint64_t seed, uint64_t i, char out[64]) {
    uint64_t a = mix64(seed * 0x100000001b3ULL ^ mix64(i)), b = mix64(a ^ 0x5bd1e995ULL);
    unsigned char u[16];
    for (int k = 0; k < 8; k++) { u[k] = (unsigned char)(a >> (8 * k)); u[8 + k] = (unsigned char)(b >> (8 * k)); }
    u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);   /* version 4 */
    u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);   /* variant 10xx */
    snprintf(out, 64,
             "%s--%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             type_of(i), u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
             u[12], u[13], u[14], u[15]);
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" for ms since the epoch. */
static void fmt_ms(long long ms, char out[32]) {
    /* years stay 4-digit (2026..), so the text is 24 bytes; a 64-byte scratch keeps gcc calm */
    char tmp[64];
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
    memcpy(out, tmp, 31);
    out[31] = '\0';
}

/* The store's normalized key: drop 'Z', trailing zero fraction digits and a bare '.'. */
static void version_key(const char *ts, char out[32]) {
    size_t n = strlen(ts);
    memcpy(out, ts, n + 1);
    if (n && out[n - 1] == 'Z') out[--n] = '\0';
    if (strchr(out, '.')) {
        while (n && out[n - 1] == '0') out[--n] = '\0';
        if (n && out[n - 1] == '.') out[--n] = '\0';
    }
}

typedef struct sbuf { char *p; size_t len, cap; } sbuf;
static void put(sbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (k > 0) b->len += (size_t)k < b->cap - b->len ? (size_t)k : b->cap - b->len - 1;
}

static const char *const WORDS[] = {
    "cartel", "shipment", "precursor", "laboratory", "fentanyl", "border", "crossing", "courier",
    "wire", "transfer", "front", "company", "observed", "vessel", "port", "warehouse", "route",
    "network", "seizure", "analyst", "assessment", "moderate", "confidence", "linked", "payment",
    "account", "invoice", "freight", "container", "broker", "tunnel", "checkpoint", "sighting",
    "domain", "server", "registrar", "phone", "handset", "encrypted", "channel", "pill", "press",
    "chemical", "supplier", "customs", "declaration", "cash", "exchange", "laundering", "cell",
};
#define N_WORDS (sizeof WORDS / sizeof WORDS[0])
static const char *const SECTORS[] = {"financial-services", "transportation", "manufacturing",
                                      "retail", "logistics", "pharmaceuticals", "technology"};

/* Append `"description":"words..."}` so that the whole body reaches about target bytes. */
static void finish(sbuf *b, rng *r, size_t target) {
    put(b, ",\"description\":\"Synthetic benchmark object.");
    while (b->len + 2 < target && b->len + 20 < b->cap) put(b, " %s", WORDS[rbelow(r, N_WORDS)]);
    put(b, "\"}");
}

void gen_object(uint64_t seed, uint64_t i, gen_obj *o) {
    rng r = {mix64(seed ^ mix64(i ^ 0xabcdefULL))};
    sbuf b = {o->body, 0, sizeof o->body};
    char created[32], modified[32], ref1[64], ref2[64];
    long long c_ms = GEN_EPOCH_MS + (long long)i * 1000 + rbelow(&r, 1000);
    long long m_ms = c_ms + (rbelow(&r, 3) == 0 ? 0 : (long long)rbelow(&r, 86400000));
    fmt_ms(c_ms, created);
    fmt_ms(m_ms, modified);
    gen_id(seed, i, o->id);
    o->type = type_of(i);
    snprintf(o->version, sizeof o->version, "%s", modified);
    version_key(modified, o->version_key);
    size_t target = 500 + rbelow(&r, 501);

    put(&b, "{\"type\":\"%s\",\"spec_version\":\"2.1\",\"id\":\"%s\",\"created\":\"%s\",\"modified\":\"%s\"",
        o->type, o->id, created, modified);
    switch (i % 5) {
    case 3: { /* relationship: an indicator of this group -> an identity (earlier when possible) */
        uint64_t base = i - 3;
        gen_id(seed, base + rbelow(&r, 3), ref1);
        gen_id(seed, base >= 5 ? base - 1 - 5 * rbelow(&r, (unsigned)(base / 5 < 50 ? base / 5 : 50)) : base + 4, ref2);
        put(&b, ",\"relationship_type\":\"related-to\",\"source_ref\":\"%s\",\"target_ref\":\"%s\","
                "\"start_time\":\"%s\",\"object_marking_refs\":[\"" TLP_WHITE "\"]",
            ref1, ref2, created);
        break;
    }
    case 4: /* identity */
        put(&b, ",\"name\":\"Front Company %llu S.A. de C.V.\",\"identity_class\":\"organization\","
                "\"sectors\":[\"%s\"],\"contact_information\":\"contact-%llu@front.example.com\","
                "\"object_marking_refs\":[\"" TLP_WHITE "\"]",
            (unsigned long long)i, SECTORS[rbelow(&r, 7)], (unsigned long long)i);
        break;
    default: /* indicator */
        put(&b, ",\"name\":\"Bench indicator %llu\",\"indicator_types\":[\"malicious-activity\"],"
                "\"pattern\":\"[ipv4-addr:value = '198.51.%u.%u'] OR [domain-name:value = '%s-%u.example.net']\","
                "\"pattern_type\":\"stix\",\"pattern_version\":\"2.1\",\"valid_from\":\"%s\","
                "\"confidence\":%u,\"labels\":[\"bench\",\"synthetic\"],"
                "\"external_references\":[{\"source_name\":\"enlace-bench\",\"external_id\":\"BENCH-%08llu\"}],"
                "\"object_marking_refs\":[\"" TLP_WHITE "\"]",
            (unsigned long long)i, rbelow(&r, 256), rbelow(&r, 256), WORDS[rbelow(&r, N_WORDS)],
            rbelow(&r, 100000), created, 10 + rbelow(&r, 90), (unsigned long long)i);
        break;
    }
    finish(&b, &r, target);
    o->body_len = b.len;
}
