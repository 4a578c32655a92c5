/* clock.c - wall clock in microseconds, with a test offset taken from the environment. */
#include "util/clock.h"

#include <stdlib.h>
#include <time.h>

int64_t enlace_clock_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    const char *off = getenv("ENLACE_CLOCK_OFFSET");
    if (off && *off) {
        char *end = NULL;
        double s = strtod(off, &end);
        if (end && *end == '\0') us += (int64_t)(s * 1e6);
    }
    return us;
}
