/*
 * G.711 µ-law and A-law (ITU-T G.711), table-driven. The tables are built once from the
 * segment arithmetic of the recommendation: 256-entry decode tables and 64 K-entry encode
 * tables indexed by the 16-bit sample, so encoding a sample is one lookup. Direct µ-law
 * <-> A-law tables let a bridge between the two laws transcode without a linear step.
 */
#include "media/media_int.h"

#include <pthread.h>

#define ULAW_BIAS 0x84
#define ALAW_AMI  0x55

int16_t media__ulaw2lin[256];
int16_t media__alaw2lin[256];
uint8_t media__lin2ulaw[65536];
uint8_t media__lin2alaw[65536];
uint8_t media__ulaw2alaw[256];
uint8_t media__alaw2ulaw[256];

static pthread_once_t g711_once = PTHREAD_ONCE_INIT;

static int top_bit(unsigned v)
{
	return 31 - __builtin_clz(v);
}

static uint8_t ulaw_encode(int x)
{
	int mask, seg;

	/* Bias the magnitude so that segment boundaries fall on powers of two. */
	if (x >= 0) {
		x = ULAW_BIAS + x;
		mask = 0xFF;
	} else {
		x = ULAW_BIAS - x;
		mask = 0x7F;
	}
	seg = top_bit((unsigned)x | 0xFF) - 7;
	if (seg >= 8)
		return (uint8_t)(0x7F ^ mask);
	return (uint8_t)(((seg << 4) | ((x >> (seg + 3)) & 0xF)) ^ mask);
}

static int16_t ulaw_decode(uint8_t u)
{
	int t;

	u = (uint8_t)~u;
	t = (((u & 0x0F) << 3) + ULAW_BIAS) << ((u & 0x70) >> 4);
	return (int16_t)((u & 0x80) ? (ULAW_BIAS - t) : (t - ULAW_BIAS));
}

static uint8_t alaw_encode(int x)
{
	int mask, seg;

	if (x >= 0) {
		mask = ALAW_AMI | 0x80;
	} else {
		mask = ALAW_AMI;
		x = -x - 1;
	}
	seg = top_bit((unsigned)x | 0xFF) - 7;
	if (seg >= 8)
		return (uint8_t)(0x7F ^ mask);
	return (uint8_t)(((seg << 4) | ((x >> (seg ? seg + 3 : 4)) & 0x0F)) ^ mask);
}

static int16_t alaw_decode(uint8_t a)
{
	int i, seg;

	a ^= ALAW_AMI;
	i = (a & 0x0F) << 4;
	seg = (a & 0x70) >> 4;
	if (seg)
		i = (i + 0x108) << (seg - 1);
	else
		i += 8;
	return (int16_t)((a & 0x80) ? i : -i);
}

static void build(void)
{
	for (int i = 0; i < 256; i++) {
		media__ulaw2lin[i] = ulaw_decode((uint8_t)i);
		media__alaw2lin[i] = alaw_decode((uint8_t)i);
	}
	for (int i = 0; i < 65536; i++) {
		int16_t x = (int16_t)(uint16_t)i;

		media__lin2ulaw[i] = ulaw_encode(x);
		media__lin2alaw[i] = alaw_encode(x);
	}
	for (int i = 0; i < 256; i++) {
		media__ulaw2alaw[i] = media__lin2alaw[(uint16_t)media__ulaw2lin[i]];
		media__alaw2ulaw[i] = media__lin2ulaw[(uint16_t)media__alaw2lin[i]];
	}
}

void media__g711_init(void)
{
	pthread_once(&g711_once, build);
}
