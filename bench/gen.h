/* gen.h - deterministic synthetic STIX 2.1 objects for the benchmarks (same seed, same bytes). */
#ifndef ENLACE_BENCH_GEN_H
#define ENLACE_BENCH_GEN_H

#include <stddef.h>
#include <stdint.h>

/* Largest body gen_object writes (bodies are 500-1000 bytes; this leaves headroom). */
#define GEN_BODY_MAX 2048

/* One generated object: its minified JSON text and the columns a store derives from it. */
typedef struct gen_obj {
    char id[64];            /* "<type>--<uuid v4>" */
    const char *type;       /* "indicator", "identity" or "relationship" (static string) */
    char version[32];       /* the `modified` string, e.g. "2026-01-15T10:20:30.123Z" */
    char version_key[32];   /* normalized instant: 'Z' dropped, trailing fraction zeros removed */
    char body[GEN_BODY_MAX];
    size_t body_len;
} gen_obj;

/* Fill *o with object number i (0-based) of the stream selected by seed. Deterministic: the
 * same (seed, i) always gives the same bytes, on any machine. Objects cycle through
 * indicator, indicator, indicator, relationship, identity; relationships point at an earlier
 * indicator and identity of the same stream. Valid STIX 2.1: spec_version "2.1", ids with a
 * UUID v4, created/modified with milliseconds, indicators with pattern, pattern_type,
 * valid_from; every object carries the TLP 1.0 WHITE marking. Can't fail. */
void gen_object(uint64_t seed, uint64_t i, gen_obj *o);

/* Write just the id of object i of stream seed into out (64 bytes). Can't fail. */
void gen_id(uint64_t seed, uint64_t i, char out[64]);

#endif
