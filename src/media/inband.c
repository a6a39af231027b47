/*
 * In-band DTMF detection (spandsp's dtmf_rx) for peers that send digits as tones in the
 * audio instead of RFC 4733 events. Fed with the session's received audio at 8 kHz; a
 * digit is reported when its tone ends, with its duration.
 */
#include "media/media_int.h"

#include <errno.h>
#include <stdlib.h>
#include <spandsp/telephony.h>
#include <spandsp/logging.h>
#include <spandsp/super_tone_rx.h>
#include <spandsp/dtmf.h>

static void on_tone(void *arg, int code, int level, int delay)
{
	struct media__inband *ib = arg;

	(void)level;
	(void)delay;
	if (code) {
		ib->digit = (char)code;
		ib->start = ib->pos;
	} else if (ib->digit) {
		uint64_t ms = (ib->pos - ib->start) / 8;

		ib->done = ib->digit;
		ib->done_ms = (uint16_t)(ms > 0xFFFF ? 0xFFFF : ms);
		ib->digit = 0;
	}
}

static void on_digits(void *arg, const char *digits, int len)
{
	/* Digits are taken from the realtime callback, which also gives their timing. */
	(void)arg;
	(void)digits;
	(void)len;
}

int media__inband_new(struct media__inband **out)
{
	struct media__inband *ib = calloc(1, sizeof(*ib));

	if (!ib)
		return ENOMEM;
	ib->rx = dtmf_rx_init(NULL, on_digits, ib);
	if (!ib->rx) {
		free(ib);
		return ENOMEM;
	}
	dtmf_rx_set_realtime_callback(ib->rx, on_tone, ib);
	*out = ib;
	return 0;
}

void media__inband_free(struct media__inband *ib)
{
	if (!ib)
		return;
	dtmf_rx_free(ib->rx);
	free(ib);
}

bool media__inband_feed(struct media__inband *ib, const int16_t *pcm8, unsigned n)
{
	ib->done = 0;
	dtmf_rx(ib->rx, pcm8, (int)n);
	ib->pos += n;
	return ib->done != 0;
}
