/* time.h - STIX 2.1 timestamps (S§3.2) and TAXII 2.1 timestamps (T§2): parse, normalize, format. */
#ifndef ENLACE_STIX_TIME_H
#define ENLACE_STIX_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Longest normalized instant key: "YYYY-MM-DDTHH:MM:SS." + up to 32 fraction digits + NUL. */
#define STIX_TIME_KEY_MAX 56
/* A TAXII timestamp "YYYY-MM-DDTHH:MM:SS.ffffffZ" + NUL. */
#define TAXII_TIME_LEN 28

/* Parse a STIX timestamp (S§3.2, RFC 3339 in UTC): "YYYY-MM-DDTHH:MM:SS[.f+]Z", 'Z' mandatory,
 * no offsets, any number of fraction digits (at most 32), seconds 00-60, day valid for the month
 * (leap years honoured). s is s_len bytes, not necessarily NUL-terminated.
 * On success writes to key (STIX_TIME_KEY_MAX bytes) the normalized instant: the same text with
 * 'Z' dropped and trailing zero fraction digits (and a bare '.') removed, so that two strings for
 * the same instant give the same key and strcmp() orders keys chronologically
 * ("2016-01-01T00:00:00.500Z" and "2016-01-01T00:00:00.5Z" both -> "2016-01-01T00:00:00.5").
 * *frac_digits (may be NULL) gets the number of fraction digits as written.
 * Returns 0, or -1 when s is not such a timestamp. */
int stix_time_parse(const char *s, size_t s_len, char *key, int *frac_digits);

/* Convert a normalized key (from stix_time_parse) or a timestamp to microseconds since the
 * epoch, truncating finer digits. Returns 0 or -1 when unparseable or out of range. */
int stix_time_to_us(const char *s, int64_t *us);

/* Format microseconds since the epoch as a TAXII timestamp (T§2): exactly six fraction digits,
 * UTC, 'Z'. out must hold TAXII_TIME_LEN bytes. Can't fail for years 0001-9999. */
void taxii_time_format(int64_t us, char out[TAXII_TIME_LEN]);

/* Parse a timestamp given by a client as a TAXII query value (added_after, T§3.4.1), with any
 * number of fraction digits (RFC 3339, 'Z' required), into microseconds since the epoch, rounding
 * down (so "date_added > value" keeps its meaning). Returns 0 or -1 when malformed. */
int taxii_time_parse(const char *s, int64_t *us);

#endif
