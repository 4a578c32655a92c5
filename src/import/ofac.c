/* ofac.c - the OFAC SDN legacy CSV files (sdn.csv, add.csv, alt.csv) as STIX 2.1 objects (issue 5
 * must-have 5). Reading: the files' quirks (no header, CRLF, trailing 0x1A, "-0- " nulls,
 * programs "A] [B", ';'-separated remarks) are described in ../shared/data/ofac-sdn/PROVENANCE.md;
 * odd records are warned about with their line number and skipped or read as far as they make
 * sense. Building: the mapping is documented in docs/cli.md ("enlace import ofac-sdn"). */
#include "import/ofac.h"

#include <ctype.h>
#include <stdarg.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/csv.h"
#include "import/uuid5.h"
#include "stix/time.h"
#include "util/buf.h"


/* ---- the records read ------------------------------------------------------------------------ */

typedef struct strlist {
    char **v;
    size_t n, cap;
} strlist;

typedef struct sdn_rec {
    long ent;
    size_t line;
    char *name, *type, *programs, *title, *remarks;  /* type NULL: entity */
    int kept, cartel;
    strlist aliases;          /* alt.csv names, then remarks' a.k.a./f.k.a./n.k.a. not already there */
    char identity_id[64], actor_id[64];
} sdn_rec;

typedef struct add_rec {
    long ent, add;
    size_t line;
    char *address, *csp, *country, *remarks;
} add_rec;

typedef struct ctx {
    const ofac_options *o;
    ofac_warn_fn warn;
    void *warn_ctx;
    sdn_rec *sdn;
    size_t n_sdn, cap_sdn;
    add_rec *add;
    size_t n_add, cap_add;
    size_t *by_name;          /* indices of sdn sorted by name */
    ofac_result *res;
    size_t cap_obj;
    char stamp[40];           /* "<list_date>T00:00:00.000Z" */
    int oom;
} ctx;

static void warnf(ctx *c, const char *file, size_t line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void warnf(ctx *c, const char *file, size_t line, const char *fmt, ...) {
    if (!c->warn) return;
    char msg[512], shown[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* what the file said is quoted in warnings: bytes outside printable ASCII (controls, and
     * any non-ASCII text, which the list never has) are shown as \xNN, not sent to a terminal */
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)msg; *p && k + 5 < sizeof shown; p++) {
        if (*p >= 0x20 && *p < 0x7f) shown[k++] = (char)*p;
        else k += (size_t)snprintf(shown + k, sizeof shown - k, "\\x%02x", *p);
    }
    shown[k] = '\0';
    c->warn(c->warn_ctx, file, line, shown);
}

static char *dup_or_null(ctx *c, const char *s) {
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) c->oom = 1;
    return d;
}

static int strlist_has(const strlist *l, const char *s) {
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0) return 1;
    return 0;
}

/* Append a copy of s (n bytes) unless it is empty or already there. */
static void strlist_add(ctx *c, strlist *l, const char *s, size_t n) {
    while (n && isspace((unsigned char)*s)) s++, n--;
    while (n && isspace((unsigned char)s[n - 1])) n--;
    if (!n) return;
    char *d = strndup(s, n);
    if (!d) {
        c->oom = 1;
        return;
    }
    if (strlist_has(l, d)) {
        free(d);
        return;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 4;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            free(d);
            c->oom = 1;
            return;
        }
        l->v = v, l->cap = cap;
    }
    l->v[l->n++] = d;
}

static void strlist_free(strlist *l) {
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* A positive decimal number (at most 9 digits), else -1. */
/* Make room for one more element in the array *arr of *cap elements of size elem, n in use
 * (doubling, from 1024). Returns 0, or -1 with c->oom set. */
static int grow(ctx *c, void **arr, size_t *cap, size_t n, size_t elem) {
    if (n < *cap) return 0;
    size_t want = *cap ? 2 * *cap : 1024;
    void *v = realloc(*arr, want * elem);
    if (!v) {
        c->oom = 1;
        return -1;
    }
    *arr = v, *cap = want;
    return 0;
}

static long parse_num(const char *s) {
    if (!s || !*s || strlen(s) > 9) return -1;
    long v = 0;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s)) return -1;
        v = v * 10 + (*s - '0');
    }
    return v > 0 ? v : -1;
}

static int cmp_ent(const void *a, const void *b) {
    long x = ((const sdn_rec *)a)->ent, y = ((const sdn_rec *)b)->ent;
    return x < y ? -1 : x > y;
}

/* The sdn record of ent (c->sdn sorted by ent), or NULL. */
static sdn_rec *find_ent(ctx *c, long ent) {
    sdn_rec key;
    key.ent = ent;
    if (!c->n_sdn) return NULL;
    return bsearch(&key, c->sdn, c->n_sdn, sizeof *c->sdn, cmp_ent);
}

/* ---- programs and remarks ------------------------------------------------------------------------ */

/* Does programs ("A] [B") carry one of o's program tags (any, when o names none)? */
static int program_kept(const ofac_options *o, const char *programs) {
    if (o->n_programs == 0) return 1;
    if (!programs) return 0;
    const char *p = programs;
    for (;;) {
        const char *e = strstr(p, "] [");
        size_t n = e ? (size_t)(e - p) : strlen(p);
        for (size_t i = 0; i < o->n_programs; i++)
            if (strlen(o->programs[i]) == n && strncmp(o->programs[i], p, n) == 0) return 1;
        if (!e) return 0;
        p = e + 3;
    }
}

static json_object *programs_json(const char *programs) {
    json_object *a = json_object_new_array();
    for (const char *p = programs; p && a;) {
        const char *e = strstr(p, "] [");
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n) json_object_array_add(a, json_object_new_string_len(p, (int)n));
        if (!e) break;
        p = e + 3;
    }
    return a;
}

/* One remarks item ("DOB 12 Dec 1952", "a.k.a. 'X'") without surrounding spaces. */
typedef struct item {
    const char *p;
    size_t n;
} item;

/* Split remarks on ';' into items (at most max); the last item loses a trailing '.', unless
 * keep_dot. Returns the count. */
static size_t remark_items(const char *r, item *it, size_t max) {
    size_t n = 0;
    for (const char *p = r; p && *p && n < max;) {
        const char *e = strchr(p, ';');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        const char *s = p;
        while (len && isspace((unsigned char)*s)) s++, len--;
        while (len && isspace((unsigned char)s[len - 1])) len--;
        if (len) it[n++] = (item){s, len};
        p = e ? e + 1 : NULL;
    }
    return n;
}

/* Does item start with prefix? Then *rest gets the text after it. */
static int item_is(const item *it, const char *prefix, item *rest) {
    size_t k = strlen(prefix);
    if (it->n < k || strncmp(it->p, prefix, k) != 0) return 0;
    rest->p = it->p + k;
    rest->n = it->n - k;
    while (rest->n && isspace((unsigned char)*rest->p)) rest->p++, rest->n--;
    return 1;
}

/* The value without a trailing '.' (the remarks' final full stop) and, for names, the quotes
 * around it ('BNC'). */
static item unquote(item v, int strip_dot) {
    if (strip_dot && v.n && v.p[v.n - 1] == '.') v.n--;
    if (v.n >= 2 && v.p[0] == '\'' && v.p[v.n - 1] == '\'') v.p++, v.n -= 2;
    return v;
}

#define MAX_ITEMS 128

/* Is word (upper case) a whole word of s? */
static int has_word(const char *s, const char *word) {
    size_t k = strlen(word);
    for (const char *p = s; (p = strstr(p, word)) != NULL; p++) {
        int before = p == s || !isalnum((unsigned char)p[-1]);
        int after = !isalnum((unsigned char)p[k]);
        if (before && after) return 1;
    }
    return 0;
}

/* The cartel rule (docs/cli.md): an entity of a narcotics or transnational-crime program
 * (SDNTK, SDNT, ILLICIT-DRUGS-EO14059, TCO) whose name or an alias has the word CARTEL or
 * ORGANIZATION, whose remarks say "Criminal Organization", or whose name is a Spanish gang name
 * "LOS <...>" / "CLAN <...>" without the comma or period of a company name. */
static int is_cartel(const sdn_rec *r) {
    static const char *const criminal[] = {"SDNTK", "SDNT", "ILLICIT-DRUGS-EO14059", "TCO"};
    ofac_options crim = {criminal, sizeof criminal / sizeof *criminal, NULL, NULL, NULL};
    if (r->type || !program_kept(&crim, r->programs)) return 0;
    if (has_word(r->name, "CARTEL") || has_word(r->name, "ORGANIZATION")) return 1;
    for (size_t i = 0; i < r->aliases.n; i++)
        if (has_word(r->aliases.v[i], "CARTEL") || has_word(r->aliases.v[i], "ORGANIZATION")) return 1;
    if (r->remarks && strstr(r->remarks, "Criminal Organization")) return 1;
    if ((strncmp(r->name, "LOS ", 4) == 0 || strncmp(r->name, "CLAN ", 5) == 0) && !strpbrk(r->name, ",."))
        return 1;
    return 0;
}

/* ---- rows ----------------------------------------------------------------------------------------- */

static void sdn_row(ctx *c, const char *file, size_t line, char **f, size_t nf) {
    long ent = nf > 0 ? parse_num(f[0]) : -1;
    if (ent < 0) {
        warnf(c, file, line, "ent_num '%s' is not a positive number; row skipped", nf > 0 && f[0] ? f[0] : "");
        return;
    }
    if (nf < 2 || !f[1]) {
        warnf(c, file, line, "ent_num %ld has no name; row skipped", ent);
        return;
    }
    const char *type = nf > 2 ? f[2] : NULL;
    if (type && strcmp(type, "individual") != 0 && strcmp(type, "vessel") != 0 && strcmp(type, "aircraft") != 0) {
        warnf(c, file, line, "unknown SDN_Type '%s'; read as an entity", type);
        type = NULL;
    }
    if (grow(c, (void **)&c->sdn, &c->cap_sdn, c->n_sdn, sizeof *c->sdn)) return;
    sdn_rec *r = &c->sdn[c->n_sdn++];
    memset(r, 0, sizeof *r);
    r->ent = ent;
    r->line = line;
    r->name = dup_or_null(c, f[1]);
    r->type = dup_or_null(c, type);
    r->programs = dup_or_null(c, nf > 3 ? f[3] : NULL);
    r->title = dup_or_null(c, nf > 4 ? f[4] : NULL);
    r->remarks = dup_or_null(c, nf > 11 ? f[11] : NULL);
}

static void add_row(ctx *c, const char *file, size_t line, char **f, size_t nf) {
    long ent = nf > 0 ? parse_num(f[0]) : -1, add = nf > 1 ? parse_num(f[1]) : -1;
    if (ent < 0 || add < 0) {
        warnf(c, file, line, "ent_num or add_num is not a positive number; row skipped");
        return;
    }
    sdn_rec *r = find_ent(c, ent);
    if (!r) {
        warnf(c, file, line, "ent_num %ld is not in the sdn file; row skipped", ent);
        return;
    }
    if (!r->kept) return;
    const char *address = nf > 2 ? f[2] : NULL, *csp = nf > 3 ? f[3] : NULL, *country = nf > 4 ? f[4] : NULL;
    if (!address && !csp && !country) return; /* an empty address: nothing to say */
    if (!country) {
        warnf(c, file, line, "address %ld of ent_num %ld has no country; skipped (a location needs one)", add, ent);
        return;
    }
    if (grow(c, (void **)&c->add, &c->cap_add, c->n_add, sizeof *c->add)) return;
    add_rec *a = &c->add[c->n_add++];
    memset(a, 0, sizeof *a);
    a->ent = ent, a->add = add, a->line = line;
    a->address = dup_or_null(c, address);
    a->csp = dup_or_null(c, csp);
    a->country = dup_or_null(c, country);
    a->remarks = dup_or_null(c, nf > 5 ? f[5] : NULL);
}

static void alt_row(ctx *c, const char *file, size_t line, char **f, size_t nf) {
    long ent = nf > 0 ? parse_num(f[0]) : -1;
    if (ent < 0) {
        warnf(c, file, line, "ent_num is not a positive number; row skipped");
        return;
    }
    sdn_rec *r = find_ent(c, ent);
    if (!r) {
        warnf(c, file, line, "ent_num %ld is not in the sdn file; row skipped", ent);
        return;
    }
    if (!r->kept) return;
    if (nf < 4 || !f[3]) {
        warnf(c, file, line, "alias of ent_num %ld has no name; row skipped", ent);
        return;
    }
    strlist_add(c, &r->aliases, f[3], strlen(f[3]));
}

/* import_csv_read's callbacks: a row (non-zero when memory ran out), a warning. */
static int sdn_cb(void *vc, const char *file, size_t line, char **f, size_t nf) {
    sdn_row(vc, file, line, f, nf);
    return ((ctx *)vc)->oom;
}

static int add_cb(void *vc, const char *file, size_t line, char **f, size_t nf) {
    add_row(vc, file, line, f, nf);
    return ((ctx *)vc)->oom;
}

static int alt_cb(void *vc, const char *file, size_t line, char **f, size_t nf) {
    alt_row(vc, file, line, f, nf);
    return ((ctx *)vc)->oom;
}

static void csv_warn(void *vc, const char *file, size_t line, const char *msg) {
    ctx *c = vc;
    if (c->warn) c->warn(c->warn_ctx, file, line, msg);
}

/* ---- country names (as OFAC writes them) to ISO 3166-1 alpha-2 ---------------------------------- */

static const char *const COUNTRIES[][2] = {
    {"Afghanistan", "AF"}, {"Argentina", "AR"}, {"Aruba", "AW"}, {"Australia", "AU"}, {"Austria", "AT"},
    {"Barbados", "BB"}, {"Belgium", "BE"}, {"Belize", "BZ"}, {"Benin", "BJ"}, {"Bolivia", "BO"},
    {"Bosnia and Herzegovina", "BA"}, {"Brazil", "BR"}, {"Burma", "MM"}, {"Canada", "CA"}, {"Chile", "CL"},
    {"China", "CN"}, {"Colombia", "CO"}, {"Congo, Republic of the", "CG"}, {"Costa Rica", "CR"},
    {"Cuba", "CU"}, {"Dominica", "DM"}, {"Dominican Republic", "DO"}, {"Ecuador", "EC"},
    {"El Salvador", "SV"}, {"France", "FR"}, {"Germany", "DE"}, {"Gibraltar", "GI"}, {"Guatemala", "GT"},
    {"Honduras", "HN"}, {"Hong Kong", "HK"}, {"India", "IN"}, {"Iran", "IR"}, {"Israel", "IL"},
    {"Italy", "IT"}, {"Jamaica", "JM"}, {"Kosovo", "XK"}, {"Lebanon", "LB"}, {"Liechtenstein", "LI"},
    {"Mexico", "MX"}, {"Montenegro", "ME"}, {"Mozambique", "MZ"}, {"Netherlands", "NL"},
    {"Netherlands Antilles", "AN"}, {"New Zealand", "NZ"}, {"Nicaragua", "NI"}, {"Pakistan", "PK"},
    {"Panama", "PA"}, {"Paraguay", "PY"}, {"Peru", "PE"}, {"Romania", "RO"}, {"Russia", "RU"},
    {"Saint Kitts and Nevis", "KN"}, {"Serbia", "RS"}, {"Seychelles", "SC"}, {"Singapore", "SG"},
    {"Slovenia", "SI"}, {"South Africa", "ZA"}, {"Spain", "ES"}, {"Switzerland", "CH"}, {"Tanzania", "TZ"},
    {"Thailand", "TH"}, {"Turkey", "TR"}, {"United Arab Emirates", "AE"}, {"United Kingdom", "GB"},
    {"United States", "US"}, {"Uruguay", "UY"}, {"Venezuela", "VE"}, {"Virgin Islands, British", "VG"},
};

static const char *country_code(const char *name) {
    for (size_t i = 0; i < sizeof COUNTRIES / sizeof COUNTRIES[0]; i++)
        if (strcmp(COUNTRIES[i][0], name) == 0) return COUNTRIES[i][1];
    return NULL;
}

/* ---- building ------------------------------------------------------------------------------------- */

/* The fixed namespace of enlace's OFAC ids; names are "ofac-sdn:<ent_num>:<kind>". Changing
 * it changes every id: never. */
#define OFAC_NS "73f9bb21-454e-4e93-8258-c4968d1658dd"

static void make_id(char *out, size_t n, const char *type, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void make_id(char *out, size_t n, const char *type, const char *fmt, ...) {
    char name[256], u[37];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    import_uuid5(OFAC_NS, name, k < 0 ? 0 : (size_t)k < sizeof name ? (size_t)k : sizeof name - 1, u);
    snprintf(out, n, "%s--%s", type, u);
}

static void put_str(json_object *o, const char *k, const char *v) {
    if (v) json_object_object_add(o, k, json_object_new_string(v));
}

static json_object *common(ctx *c, const char *type, const char *id) {
    json_object *o = json_object_new_object();
    if (!o) return NULL;
    put_str(o, "type", type);
    put_str(o, "spec_version", "2.1");
    put_str(o, "id", id);
    put_str(o, "created", c->stamp);
    put_str(o, "modified", c->stamp);
    put_str(o, "created_by_ref", c->o->created_by_ref);
    return o;
}

static void finish(ctx *c, json_object *o) {
    if (c->o->tlp_marking_ref) {
        json_object *m = json_object_new_array();
        json_object_array_add(m, json_object_new_string(c->o->tlp_marking_ref));
        json_object_object_add(o, "object_marking_refs", m);
    }
}

static json_object *ext_ref(long ent) {
    char id[24], url[96];
    snprintf(id, sizeof id, "%ld", ent);
    snprintf(url, sizeof url, "https://sanctionssearch.ofac.treas.gov/Details.aspx?id=%ld", ent);
    json_object *a = json_object_new_array(), *r = json_object_new_object();
    put_str(r, "source_name", "ofac-sdn");
    put_str(r, "external_id", id);
    put_str(r, "url", url);
    json_object_array_add(a, r);
    return a;
}

/* Serialize o into the result and free it. */
static void emit(ctx *c, json_object *o) {
    if (!o) {
        c->oom = 1;
        return;
    }
    const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    char *d = s ? strdup(s) : NULL;
    json_object_put(o);
    ofac_result *r = c->res;
    if (d && r->n == c->cap_obj) {
        size_t cap = c->cap_obj ? 2 * c->cap_obj : 1024;
        char **v = realloc(r->objects, cap * sizeof *v);
        if (!v) {
            free(d);
            d = NULL;
        } else {
            r->objects = v, c->cap_obj = cap;
        }
    }
    if (!d) {
        c->oom = 1;
        return;
    }
    r->objects[r->n++] = d;
}

static json_object *list_json(const strlist *l) {
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < l->n; i++) json_object_array_add(a, json_object_new_string(l->v[i]));
    return a;
}

static void relationship(ctx *c, const char *rtype, const char *src, const char *dst, const char *idname) {
    char id[80];
    make_id(id, sizeof id, "relationship", "%s", idname);
    json_object *o = common(c, "relationship", id);
    if (!o) {
        c->oom = 1;
        return;
    }
    put_str(o, "relationship_type", rtype);
    put_str(o, "source_ref", src);
    put_str(o, "target_ref", dst);
    finish(c, o);
    emit(c, o);
    c->res->relationships++;
}

/* The identity (and for a cartel the threat-actor) of one kept row. */
static void build_sdn(ctx *c, sdn_rec *r) {
    item it[MAX_ITEMS];
    size_t n = r->remarks ? remark_items(r->remarks, it, MAX_ITEMS) : 0;
    strlist dob = {0}, pob = {0}, nat = {0}, cit = {0}, gender = {0};
    for (size_t i = 0; i < n; i++) {
        item v;
        int last = i + 1 == n;
        if (item_is(&it[i], "a.k.a.", &v) || item_is(&it[i], "f.k.a.", &v) || item_is(&it[i], "n.k.a.", &v)) {
            v = unquote(v, last);
            strlist_add(c, &r->aliases, v.p, v.n);
        } else if (item_is(&it[i], "DOB", &v) || item_is(&it[i], "alt. DOB", &v)) {
            v = unquote(v, last);
            strlist_add(c, &dob, v.p, v.n);
        } else if (item_is(&it[i], "POB", &v) || item_is(&it[i], "alt. POB", &v)) {
            v = unquote(v, last);
            strlist_add(c, &pob, v.p, v.n);
        } else if (item_is(&it[i], "nationality", &v) || item_is(&it[i], "alt. nationality", &v)) {
            v = unquote(v, last);
            strlist_add(c, &nat, v.p, v.n);
        } else if (item_is(&it[i], "citizen", &v) || item_is(&it[i], "alt. citizen", &v)) {
            v = unquote(v, last);
            strlist_add(c, &cit, v.p, v.n);
        } else if (item_is(&it[i], "Gender", &v)) {
            v = unquote(v, last);
            strlist_add(c, &gender, v.p, v.n);
        }
    }
    r->cartel = is_cartel(r);
    json_object *o = common(c, "identity", r->identity_id);
    if (!o) {
        c->oom = 1;
        goto out;
    }
    put_str(o, "name", r->name);
    put_str(o, "identity_class", r->type ? "individual" : "organization");
    put_str(o, "description", r->remarks);
    json_object_object_add(o, "external_references", ext_ref(r->ent));
    finish(c, o);
    put_str(o, "x_ofac_sdn_type", r->type ? r->type : "entity");
    json_object_object_add(o, "x_ofac_programs", programs_json(r->programs));
    put_str(o, "x_ofac_title", r->title);
    if (r->aliases.n) json_object_object_add(o, "x_ofac_aliases", list_json(&r->aliases));
    if (dob.n) json_object_object_add(o, "x_ofac_dob", list_json(&dob));
    if (pob.n) json_object_object_add(o, "x_ofac_pob", list_json(&pob));
    if (nat.n) json_object_object_add(o, "x_ofac_nationality", list_json(&nat));
    if (cit.n) json_object_object_add(o, "x_ofac_citizen", list_json(&cit));
    if (gender.n) put_str(o, "x_ofac_gender", gender.v[0]);
    emit(c, o);
    if (r->type) c->res->individuals++;
    else c->res->entities++;
    if (r->cartel) {
        json_object *t = common(c, "threat-actor", r->actor_id);
        if (!t) {
            c->oom = 1;
            goto out;
        }
        put_str(t, "name", r->name);
        json_object *types = json_object_new_array();
        json_object_array_add(types, json_object_new_string("crime-syndicate"));
        json_object_object_add(t, "threat_actor_types", types);
        if (r->aliases.n) json_object_object_add(t, "aliases", list_json(&r->aliases));
        json_object_object_add(t, "external_references", ext_ref(r->ent));
        finish(c, t);
        json_object_object_add(t, "x_ofac_programs", programs_json(r->programs));
        emit(c, t);
        c->res->threat_actors++;
        char idname[64];
        snprintf(idname, sizeof idname, "ofac-sdn:%ld:attributed-to", r->ent);
        relationship(c, "attributed-to", r->actor_id, r->identity_id, idname);
    }
out:
    strlist_free(&dob);
    strlist_free(&pob);
    strlist_free(&nat);
    strlist_free(&cit);
    strlist_free(&gender);
}

static void build_location(ctx *c, const add_rec *a) {
    sdn_rec *r = find_ent(c, a->ent);
    if (!r) return;
    char id[80], idname[96];
    make_id(id, sizeof id, "location", "ofac-sdn:%ld:location:%ld", a->ent, a->add);
    json_object *o = common(c, "location", id);
    if (!o) {
        c->oom = 1;
        return;
    }
    enlace_buf name = ENLACE_BUF_INIT;
    const char *parts[3] = {a->address, a->csp, a->country};
    for (int i = 0; i < 3; i++)
        if (parts[i]) enlace_buf_printf(&name, "%s%s", name.len ? ", " : "", parts[i]);
    put_str(o, "name", name.p);
    enlace_buf_free(&name);
    put_str(o, "description", a->remarks);
    const char *cc = country_code(a->country);
    put_str(o, "country", cc ? cc : a->country);
    put_str(o, "street_address", a->address);
    if (a->csp) {
        const char *comma = strchr(a->csp, ',');
        char *city = strndup(a->csp, comma ? (size_t)(comma - a->csp) : strlen(a->csp));
        if (!city) c->oom = 1;
        else if (*city) put_str(o, "city", city);
        free(city);
    }
    finish(c, o);
    put_str(o, "x_ofac_country", a->country);
    put_str(o, "x_ofac_city_state_postal", a->csp);
    emit(c, o);
    c->res->locations++;
    snprintf(idname, sizeof idname, "ofac-sdn:%ld:located-at:%ld", a->ent, a->add);
    relationship(c, "located-at", r->identity_id, id, idname);
}

static int cmp_name_idx(const void *a, const void *b, void *arg) {
    const sdn_rec *s = arg;
    return strcmp(s[*(const size_t *)a].name, s[*(const size_t *)b].name);
}

/* The kept row named exactly name (n bytes); *found_unkept = 1 when the name exists but its row
 * was not imported. */
static sdn_rec *find_name(ctx *c, const char *name, size_t n, int *found_unkept) {
    size_t lo = 0, hi = c->n_sdn;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *m = c->sdn[c->by_name[mid]].name;
        int d = strncmp(m, name, n);
        if (d == 0 && m[n] != '\0') d = 1;
        if (d < 0) lo = mid + 1;
        else hi = mid;
    }
    for (; lo < c->n_sdn; lo++) {
        sdn_rec *r = &c->sdn[c->by_name[lo]];
        if (strncmp(r->name, name, n) != 0 || r->name[n] != '\0') break;
        if (r->kept) return r;
        *found_unkept = 1;
    }
    return NULL;
}

static void build_links(ctx *c, const char *file, sdn_rec *r) {
    item it[MAX_ITEMS];
    size_t n = r->remarks ? remark_items(r->remarks, it, MAX_ITEMS) : 0;
    for (size_t i = 0; i < n; i++) {
        item v;
        if (!item_is(&it[i], "Linked To:", &v) || !v.n) continue;
        int unkept = 0;
        sdn_rec *t = find_name(c, v.p, v.n, &unkept);
        if (!t && v.p[v.n - 1] == '.') t = find_name(c, v.p, v.n - 1, &unkept);
        if (!t) {
            warnf(c, file, r->line, "ent_num %ld: Linked To: %.*s: %s; no relationship", r->ent, (int)v.n, v.p,
                  unkept ? "not among the rows imported" : "no row of that name");
            continue;
        }
        if (t == r) continue;
        char idname[96];
        snprintf(idname, sizeof idname, "ofac-sdn:%ld:linked-to:%ld", r->ent, t->ent);
        relationship(c, "related-to", r->identity_id, t->identity_id, idname);
    }
}

/* ---- the entry point ------------------------------------------------------------------------------ */

static int date_ok(const char *d) {
    if (!d || strlen(d) != 10) return 0;
    char t[40], key[STIX_TIME_KEY_MAX];
    snprintf(t, sizeof t, "%sT00:00:00.000Z", d);
    return stix_time_parse(t, strlen(t), key, NULL) == 0;
}

static void ctx_free(ctx *c) {
    for (size_t i = 0; i < c->n_sdn; i++) {
        sdn_rec *r = &c->sdn[i];
        free(r->name), free(r->type), free(r->programs), free(r->title), free(r->remarks);
        strlist_free(&r->aliases);
    }
    for (size_t i = 0; i < c->n_add; i++) {
        add_rec *a = &c->add[i];
        free(a->address), free(a->csp), free(a->country), free(a->remarks);
    }
    free(c->sdn);
    free(c->add);
    free(c->by_name);
}

int ofac_import(const char *sdn_path, const char *add_path, const char *alt_path, const ofac_options *o,
                ofac_warn_fn warn, void *warn_ctx, ofac_result *res, enlace_err *err) {
    memset(res, 0, sizeof *res);
    if (!sdn_path || !o) return enlace_err_set(err, ENLACE_EINVAL, "no sdn file");
    if (!date_ok(o->list_date))
        return enlace_err_set(err, ENLACE_EINVAL, "list date '%s' is not a date YYYY-MM-DD",
                              o->list_date ? o->list_date : "");
    ctx c;
    memset(&c, 0, sizeof c);
    c.o = o, c.warn = warn, c.warn_ctx = warn_ctx, c.res = res;
    snprintf(c.stamp, sizeof c.stamp, "%sT00:00:00.000Z", o->list_date);
    const char *sdn_file = strrchr(sdn_path, '/') ? strrchr(sdn_path, '/') + 1 : sdn_path;
    int rc = import_csv_read(sdn_path, 12, sdn_cb, csv_warn, &c, err);
    if (rc == ENLACE_OK) {
        /* one row per ent_num: a repeated one is odd, the first is kept */
        size_t *order = malloc((c.n_sdn ? c.n_sdn : 1) * sizeof *order);
        if (!order) rc = enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
        else {
            /* sort by ent (qsort is not stable: of equal ent_nums the earlier line is kept) */
            if (c.n_sdn) qsort(c.sdn, c.n_sdn, sizeof *c.sdn, cmp_ent);
            size_t w = 0;
            for (size_t i = 0; i < c.n_sdn; i++) {
                if (w && c.sdn[w - 1].ent == c.sdn[i].ent) {
                    sdn_rec *keep = &c.sdn[w - 1], *drop = &c.sdn[i];
                    if (drop->line < keep->line) {
                        sdn_rec t = *keep;
                        *keep = *drop;
                        *drop = t;
                    }
                    warnf(&c, sdn_file, drop->line, "ent_num %ld repeats line %zu; row skipped", drop->ent, keep->line);
                    free(drop->name), free(drop->type), free(drop->programs), free(drop->title), free(drop->remarks);
                    continue;
                }
                c.sdn[w++] = c.sdn[i];
            }
            c.n_sdn = w;
            for (size_t i = 0; i < c.n_sdn; i++) {
                sdn_rec *r = &c.sdn[i];
                order[i] = i;
                r->kept = program_kept(o, r->programs) && (!r->type || strcmp(r->type, "individual") == 0);
                if (!r->kept) res->skipped_rows++;
                make_id(r->identity_id, sizeof r->identity_id, "identity", "ofac-sdn:%ld:identity", r->ent);
                make_id(r->actor_id, sizeof r->actor_id, "threat-actor", "ofac-sdn:%ld:threat-actor", r->ent);
            }
            if (c.n_sdn) qsort_r(order, c.n_sdn, sizeof *order, cmp_name_idx, c.sdn);
            c.by_name = order;
        }
    }
    if (rc == ENLACE_OK && alt_path) rc = import_csv_read(alt_path, 5, alt_cb, csv_warn, &c, err);
    if (rc == ENLACE_OK && add_path) rc = import_csv_read(add_path, 6, add_cb, csv_warn, &c, err);
    for (size_t i = 0; rc == ENLACE_OK && i < c.n_sdn && !c.oom; i++)
        if (c.sdn[i].kept) build_sdn(&c, &c.sdn[i]);
    for (size_t i = 0; rc == ENLACE_OK && i < c.n_add && !c.oom; i++) build_location(&c, &c.add[i]);
    for (size_t i = 0; rc == ENLACE_OK && i < c.n_sdn && !c.oom; i++)
        if (c.sdn[i].kept) build_links(&c, sdn_file, &c.sdn[i]);
    if (rc == ENLACE_OK && c.oom) rc = enlace_err_set(err, ENLACE_ENOMEM, "out of memory");
    ctx_free(&c);
    if (rc != ENLACE_OK) ofac_result_free(res);
    return rc;
}

void ofac_result_free(ofac_result *res) {
    if (!res) return;
    for (size_t i = 0; i < res->n; i++) free(res->objects[i]);
    free(res->objects);
    memset(res, 0, sizeof *res);
}
