/*
 * Seeded pseudo-random numbers for the simulations (dialer pacing, report scenarios):
 * splitmix64 over a caller-owned 64-bit state, so a seed gives the same run every time.
 * Not for anything secret.
 */
#ifndef CORE_RAND_H
#define CORE_RAND_H

#include <math.h>
#include <stdint.h>

/* The next 64 bits of the sequence of *state. */
static inline uint64_t rand_next(uint64_t *state)
{
	/* splitmix64 */
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in (0, 1]. */
static inline double rand_unif(uint64_t *state)
{
	return ((double)(rand_next(state) >> 11) + 1.0) / 9007199254740992.0;
}

/* Standard normal (Box-Muller). */
static inline double rand_gauss(uint64_t *state)
{
	return sqrt(-2.0 * log(rand_unif(state))) * cos(2.0 * M_PI * rand_unif(state));
}

#endif
