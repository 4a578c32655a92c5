/* clock.h - the one source of "now" for the whole node, settable by tests. */
#ifndef ENLACE_UTIL_CLOCK_H
#define ENLACE_UTIL_CLOCK_H

#include <stdint.h>

/* Current time in microseconds since the Unix epoch (UTC). Every timestamp enlace makes
 * (date_added, status request_timestamp and expiry, later review dates and vetting expiry)
 * comes from here. When the environment variable ENLACE_CLOCK_OFFSET is set to a signed number
 * of seconds (e.g. "90000" for +25 h), that offset is added: tests move a node's clock by
 * starting it with the variable set. Can't fail. */
int64_t enlace_clock_now_us(void);

#endif
