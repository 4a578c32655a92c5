/* utf8.h - well-formed UTF-8 (RFC 3629), shared by everything that reads or writes JSON text. */
#ifndef ENLACE_UTIL_UTF8_H
#define ENLACE_UTIL_UTF8_H

#include <stddef.h>

/* Length (1-4) of the well-formed UTF-8 sequence starting at p, or 0 when it is ill-formed:
 * overlong forms, encoded surrogates (U+D800-U+DFFF), code points above U+10FFFF, stray
 * continuation bytes, or a sequence cut short. At most avail bytes are read; for a NUL-terminated
 * string pass (size_t)-1: bytes are read in order and a NUL, which is never a continuation
 * byte, ends the check. Can't fail. */
size_t enlace_utf8_seq(const unsigned char *p, size_t avail);

#endif
