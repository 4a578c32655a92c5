/* bench_gen.c - write the synthetic STIX 2.1 stream as TAXII envelopes, one envelope per line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"

static void usage(void) {
    fprintf(stderr,
            "usage: bench_gen [--count N] [--batch B] [--seed S] [--out FILE]\n"
            "       bench_gen --id K [--seed S]     print the id of object K\n"
            "Writes N objects as envelopes {\"objects\":[...]} of B objects, one per line\n"
            "(defaults: N=20000, B=1000, S=1, stdout).\n");
}

int main(int argc, char **argv) {
    unsigned long long count = 20000, batch = 1000, seed = 1, id_of = 0;
    int want_id = 0;
    const char *out = NULL;
    for (int a = 1; a < argc; a++) {
        const char *v = a + 1 < argc ? argv[a + 1] : NULL;
        if (!strcmp(argv[a], "--count") && v) count = strtoull(v, NULL, 10), a++;
        else if (!strcmp(argv[a], "--batch") && v) batch = strtoull(v, NULL, 10), a++;
        else if (!strcmp(argv[a], "--seed") && v) seed = strtoull(v, NULL, 10), a++;
        else if (!strcmp(argv[a], "--out") && v) out = v, a++;
        else if (!strcmp(argv[a], "--id") && v) id_of = strtoull(v, NULL, 10), want_id = 1, a++;
        else { usage(); return 2; }
    }
    if (want_id) {
        char id[64];
        gen_id(seed, id_of, id);
        puts(id);
        return 0;
    }
    if (batch == 0) { usage(); return 2; }
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f) { perror(out); return 1; }
    static gen_obj o;
    unsigned long long bytes = 0;
    for (unsigned long long i = 0; i < count; i++) {
        gen_object(seed, i, &o);
        fputs(i % batch == 0 ? "{\"objects\":[" : ",", f);
        fwrite(o.body, 1, o.body_len, f);
        bytes += o.body_len;
        if (i % batch == batch - 1 || i == count - 1) fputs("]}\n", f);
    }
    if (fflush(f) != 0 || (out && fclose(f) != 0)) { perror(out ? out : "stdout"); return 1; }
    fprintf(stderr, "bench_gen: %llu objects, %llu body bytes (%.0f avg), batch %llu\n", count,
            bytes, count ? (double)bytes / (double)count : 0.0, batch);
    return 0;
}
