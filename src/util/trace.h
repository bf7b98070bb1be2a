/* hako: phase timestamps for performance work.  With HAKO_TRACE=FILE in the
 * environment, every hk_trace() call appends one line
 *   "<CLOCK_MONOTONIC ms> <pid> <comm> <message>"
 * to FILE (one write(2) each, O_APPEND, so lines of several processes
 * interleave whole).  Without it, a call costs a branch. */
#ifndef HAKO_UTIL_TRACE_H
#define HAKO_UTIL_TRACE_H

#include "util/error.h"

void hk_trace(const char *fmt, ...) HK_PRINTF(1, 2);

#endif
