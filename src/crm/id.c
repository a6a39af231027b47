/*
 * Sortable unique ids for interactions, contacts and audit entries: the ULID layout
 * (48 bits of milliseconds, 80 random bits, Crockford base32). Text ids sort by time in
 * every database and in file names, need no coordination between nodes, and can be made
 * by the engine before anything is stored.
 */
#include "crm/crm.h"

#include <pthread.h>
#include <string.h>
#include <sys/random.h>

#include "core/clock.h"

static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void crm_id_make(int64_t epoch_ms, const uint8_t rnd[10], char out[CRM_ID_SIZE])
{
	uint64_t t = (uint64_t)epoch_ms & 0xffffffffffffull;
	uint64_t hi, lo;
	int i;

	/* 10 characters of time (50 bits, the top two always 0). */
	for (i = 9; i >= 0; i--) {
		out[i] = b32[t & 31];
		t >>= 5;
	}
	/* 16 characters of randomness: 80 bits as two 40-bit halves. */
	hi = lo = 0;
	for (i = 0; i < 5; i++) {
		hi = (hi << 8) | rnd[i];
		lo = (lo << 8) | rnd[5 + i];
	}
	for (i = 17; i >= 10; i--) {
		out[i] = b32[hi & 31];
		hi >>= 5;
	}
	for (i = 25; i >= 18; i--) {
		out[i] = b32[lo & 31];
		lo >>= 5;
	}
	out[26] = '\0';
}

void crm_id_new(char out[CRM_ID_SIZE])
{
	/* Per process: the last time used and its random part, incremented within one
	 * millisecond, so that ids keep increasing whichever thread makes them (the audit
	 * log is read in id order, and its entries come from several store workers). */
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static int64_t last_ms;
	static uint8_t last_rnd[10];
	int64_t now = clock_wall_ms();
	int i;

	pthread_mutex_lock(&lock);
	if (now <= last_ms) {
		for (i = 9; i >= 0 && ++last_rnd[i] == 0; i--)
			;
		now = last_ms;
	} else {
		if (getrandom(last_rnd, sizeof(last_rnd), 0) != (ssize_t)sizeof(last_rnd)) {
			/* Without a random source, fall back to the clock and an address. */
			uint64_t x = clock_mono_us() ^ (uint64_t)(uintptr_t)&last_ms;
			memcpy(last_rnd, &x, sizeof(x));
		}
		/* Leave room for increments within the millisecond. */
		last_rnd[0] &= 0x7f;
		last_ms = now;
	}
	crm_id_make(now, last_rnd, out);
	pthread_mutex_unlock(&lock);
}
