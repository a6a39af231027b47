/*
 * Time sources. Pure modules (acd, ivr, dialer pacing) never call these: they are given
 * the time by their caller, so tests and `simulate` can drive them with virtual time.
 */
#ifndef CENTRALA_CORE_CLOCK_H
#define CENTRALA_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Milliseconds on the monotonic clock. */
uint64_t clock_mono_ms(void);
/* Microseconds on the monotonic clock. */
uint64_t clock_mono_us(void);
/* Milliseconds since the Unix epoch (wall clock, UTC). */
int64_t clock_wall_ms(void);
/* Formats epoch milliseconds as ISO 8601 UTC with milliseconds ("2026-11-23T10:00:00.000Z")
 * into buf (at least 25 bytes). Returns buf. */
char *clock_iso8601(int64_t epoch_ms, char *buf, size_t size);
/* Parses ISO 8601 UTC ("2026-11-23T10:00:00Z", fraction and offset optional, or a date
 * alone) into epoch milliseconds. Returns 0 or EINVAL. */
int clock_parse_iso8601(const char *s, int64_t *out);

#endif
