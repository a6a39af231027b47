/*
 * Answering-machine detection on a session (media_amd_start): the worker feeds what the
 * session receives, decoded to 8 kHz, to the session's detector (amd.c) and sends its
 * events to the engine as MEDIA_EV_AMD. The detector counts audio time, so whatever does
 * not arrive is fed as silence: a jump in RTP timestamps (lost packets, silence
 * suppression) and, when no packet comes at all for 400 ms, the wall-clock time since
 * the last one. The detector is allocated by the engine thread when detection starts and
 * freed by the worker when it has nothing more to say; nothing is allocated per packet.
 */
#include "media/media_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define QUIET_MS 400	       /* no packet for this long: the peer is silent */
#define GAP_MAX	 (8000u * 10u) /* a larger timestamp jump is a new stream, not a gap */

struct media__amd_leg {
	struct media_amd *d;
	bool have_ts; /* next_ts is what the next packet should carry */
	uint32_t next_ts;
	uint64_t last_pkt_ms; /* when the last packet came (or detection started) */
	uint64_t heard_ms;    /* wall time up to which audio or silence was fed */
};

int media_amd_start(struct media_session *s, const struct media_amd_params *p)
{
	struct media__amd_leg *a;
	struct media__cmd c;
	int err;

	if (!s)
		return EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return ENOMEM;
	err = media_amd_new(p, &a->d);
	if (err) {
		free(a);
		return err;
	}
	memset(&c, 0, sizeof(c));
	c.type = MEDIA__CMD_AMD;
	c.s = s;
	c.u.amd = a;
	media__cmd_push(s->w, &c);
	return 0;
}

void media_amd_stop(struct media_session *s)
{
	struct media__cmd c;

	if (!s)
		return;
	memset(&c, 0, sizeof(c));
	c.type = MEDIA__CMD_AMD;
	c.s = s;
	media__cmd_push(s->w, &c);
}

void media__amd_leg_free(struct media__amd_leg *a)
{
	if (!a)
		return;
	media_amd_free(a->d);
	free(a);
}

void media__amd_set(struct media__worker *w, struct media_session *s, struct media__amd_leg *a)
{
	media__amd_leg_free(s->amd);
	s->amd = a;
	if (a)
		a->last_pkt_ms = a->heard_ms = w->now_ms;
}

/* Sends what the detector has to say; forgets the detector once it is done. */
static void report(struct media__worker *w, struct media_session *s)
{
	struct media_event ev;

	memset(&ev, 0, sizeof(ev));
	while (media_amd_next(s->amd->d, &ev.amd))
		media__event(w->m, MEDIA_EV_AMD, s->owner, &ev);
	if (media_amd_done(s->amd->d))
		media__amd_set(w, s, NULL);
}

void media__amd_feed(struct media__worker *w, struct media_session *s, uint32_t ts, uint32_t ts_len,
		     const int16_t *pcm8, unsigned n8)
{
	struct media__amd_leg *a = s->amd;
	bool ready = false;

	if (a->have_ts) {
		uint32_t gap = ts - a->next_ts;

		if (gap > 0 && gap <= GAP_MAX)
			ready = media_amd_feed(a->d, NULL, gap);
		else if (gap > GAP_MAX && (uint32_t)(a->next_ts - ts) <= GAP_MAX)
			return; /* older than what was fed: a late packet */
	}
	a->have_ts = true;
	a->next_ts = ts + ts_len;
	a->last_pkt_ms = a->heard_ms = w->now_ms;
	ready |= media_amd_feed(a->d, pcm8, n8);
	if (ready || media_amd_done(a->d))
		report(w, s);
}

void media__amd_check(struct media__worker *w, struct media_session *s)
{
	struct media__amd_leg *a = s->amd;

	if (w->now_ms - a->last_pkt_ms < QUIET_MS || w->now_ms <= a->heard_ms)
		return;
	/* The next packet starts afresh: its timestamp jump was fed here already. */
	a->have_ts = false;
	media_amd_feed(a->d, NULL, (size_t)(w->now_ms - a->heard_ms) * 8);
	a->heard_ms = w->now_ms;
	report(w, s);
}
