/*
 * The player's sample source: walks a play request's items (cached files, tones with
 * their cadence, silence), looping for music on hold, and writes 20 ms frames at the
 * session's codec rate. Positions count 16 kHz samples so that a play keeps its place
 * if a re-INVITE changes the codec's rate under it. No I/O, no allocation.
 *
 * Tones follow ETSI/Polish practice: ringback 425 Hz 1 s on 4 s off, busy 425 Hz 0.5 s
 * on 0.5 s off, beep 1000 Hz for 250 ms.
 */
#include "media/media_int.h"

#include <stdlib.h>
#include <string.h>

#define FOREVER UINT64_MAX

struct cadence {
	int freq;
	uint32_t on_ms, off_ms, natural_ms; /* natural_ms: length when duration is 0 */
};

static const struct cadence cadences[] = {
    [MEDIA_TONE_RINGBACK] = {MEDIA__F425, 1000, 4000, 0},
    [MEDIA_TONE_BUSY] = {MEDIA__F425, 500, 500, 0},
    [MEDIA_TONE_BEEP] = {MEDIA__F1000, 250, 0, 250},
};

static uint64_t item_len16(const struct media__play_item *it)
{
	switch (it->kind) {
	case MEDIA_ITEM_FILE:
		return it->audio ? it->audio->n16 : 0;
	case MEDIA_ITEM_TONE:
		if (it->duration_ms)
			return (uint64_t)it->duration_ms * 16;
		if (cadences[it->tone].natural_ms)
			return (uint64_t)cadences[it->tone].natural_ms * 16;
		return FOREVER;
	case MEDIA_ITEM_SILENCE:
	default:
		return (uint64_t)it->duration_ms * 16;
	}
}

static void fill_tone(const struct media__play_item *it, const struct media__tones *t,
		      unsigned rate, uint64_t pos, unsigned step, int16_t *out, unsigned n)
{
	const struct cadence *c = &cadences[it->tone];
	const int16_t *table = t->pcm[c->freq][rate == 16000];
	uint32_t period = c->on_ms + c->off_ms;

	for (unsigned i = 0; i < n; i++, pos += step) {
		uint64_t ms = pos / 16;

		if (c->off_ms && ms % period >= c->on_ms)
			out[i] = 0;
		else
			out[i] = table[(pos / step) % rate];
	}
}

unsigned media__play_fill(struct media__play *p, const struct media__tones *t, unsigned rate,
			  int16_t *out, unsigned n)
{
	unsigned step = rate == 16000 ? 1 : 2, written = 0, idle = 0;

	while (written < n) {
		if (p->cur >= p->nitems) {
			if (!p->loop || !p->nitems || idle > p->nitems) {
				p->cur = p->nitems;
				break;
			}
			p->cur = 0;
			p->pos = 0;
		}
		const struct media__play_item *it = &p->items[p->cur];
		uint64_t len = item_len16(it);

		if (p->pos >= len) {
			p->cur++;
			p->pos = 0;
			idle++;
			continue;
		}
		uint64_t avail = (len - p->pos) / step;
		unsigned take = n - written;

		if (avail == 0) { /* half a 16 kHz sample left at 8 kHz */
			p->cur++;
			p->pos = 0;
			idle++;
			continue;
		}
		if (avail < take)
			take = (unsigned)avail;
		switch (it->kind) {
		case MEDIA_ITEM_FILE:
			if (rate == 16000)
				memcpy(out + written, it->audio->pcm16 + p->pos,
				       take * sizeof(*out));
			else
				memcpy(out + written, it->audio->pcm8 + p->pos / 2,
				       take * sizeof(*out));
			break;
		case MEDIA_ITEM_TONE:
			fill_tone(it, t, rate, p->pos, step, out + written, take);
			break;
		default:
			memset(out + written, 0, take * sizeof(*out));
			break;
		}
		p->pos += (uint64_t)take * step;
		written += take;
		idle = 0;
	}
	if (written < n)
		memset(out + written, 0, (n - written) * sizeof(*out));
	/* Step over what just finished, so that a play ending on a frame boundary is done
	 * now rather than one silent frame later. */
	for (size_t k = 0; k < p->nitems && p->cur < p->nitems; k++) {
		if (p->pos < item_len16(&p->items[p->cur]))
			break;
		p->cur++;
		p->pos = 0;
		if (p->cur == p->nitems && p->loop)
			p->cur = 0;
	}
	return written;
}

void media__play_free(struct media__play *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nitems; i++)
		media__audio_put(p->items[i].audio);
	free(p);
}
