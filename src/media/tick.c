/*
 * The 20 ms tick of a worker: what is generated rather than relayed. Sessions with a
 * play, DTMF to send or a received DTMF event still open; then recordings and mixes;
 * every 200 ms the RTP timeout and RTCP schedule of every session.
 */
#include "media/ice.h"
#include "media/fast.h"
#include "media/media_int.h"

#include <string.h>

#define DTMF_STEP 160 /* 20 ms at an 8 kHz RTP clock (times six for Opus's 48 kHz) */

static void send_dtmf(struct media__worker *w, struct media_session *s)
{
	uint8_t payload[4];
	bool marker, gen_marker;
	uint32_t ts;

	if (!s->configured || !s->p.dtmf_pt) {
		memset(&s->dtmf_tx, 0, sizeof(s->dtmf_tx));
		return;
	}
	if (!media__dtmf_tx_tick(&s->dtmf_tx, media__tx_ts_now(w, s, &gen_marker),
				 (uint16_t)(DTMF_STEP * (media__codec_clock(s->p.codec) / 8000)),
				 payload, &marker, &ts))
		return;
	if (marker) {
		s->dtmf_start_us = w->now_us;
		media__tx_idle(s);
	}
	if (media__tx_allowed(s))
		media__tx_send(w, s, s->p.dtmf_pt, marker, ts, payload, sizeof(payload));
	/* The stream's clock keeps running during the event: audio after it must carry
	 * timestamps past the event's duration. */
	s->tx.ts = ts + media__us_to_ts(s, w->now_us - s->dtmf_start_us);
	s->tx.last_us = w->now_us;
	s->tx.sent = true;
}

static void session_tick(struct media__worker *w, struct media_session *s)
{
	if (media__dtmf_tx_busy(&s->dtmf_tx))
		send_dtmf(w, s);
	if (s->play && s->configured) {
		unsigned n = s->rate / 50;
		unsigned got = media__play_fill(s->play, &w->m->tones, s->rate, w->pcm_a, n);

		/* During a DTMF event the play keeps its place but is not heard. */
		if (got && !s->dtmf_tx.active)
			media__tx_audio(w, s, w->pcm_a, n, s->rate);
		if (media__play_done(s->play))
			media__play_end(w, s, MEDIA_PLAY_COMPLETED, false);
	}
	if (s->dtmf_rx.active)
		media__dtmf_rx_check(w, s);
	media__session_update_ticking(w, s);
}

static void session_check(struct media__worker *w, struct media_session *s)
{
	uint32_t timeout = w->m->cfg.rtp_timeout_ms;

	if (!s->configured)
		return;
	/* The kernel relay's counters: what this session received and its partner sent. */
	if (s->fast)
		media__fast_fold(w, s);
	if (s->peer && s->peer->fast)
		media__fast_fold(w, s->peer);
	if (timeout && !s->timeout_sent &&
	    (s->p.dir == MEDIA_DIR_SENDRECV || s->p.dir == MEDIA_DIR_RECVONLY) &&
	    w->now_ms - s->rx_last_ms >= timeout) {
		s->timeout_sent = true;
		media__event(w->m, MEDIA_EV_RTP_TIMEOUT, s->owner, NULL);
	}
	if (s->amd)
		media__amd_check(w, s);
	if (s->ice)
		media__ice_check_consent(w, s);
	media__qs_rx(s);
	if (w->now_ms >= s->rtcp_next_ms) {
		media__rtcp_send(w, s, false);
		/* RFC 3550 6.3.1: randomised between 0.5 and 1.5 times the interval. */
		s->rtcp_next_ms = w->now_ms + w->m->rtcp_ms / 2 + media__rand(w) % w->m->rtcp_ms;
	}
}

void media__tick(struct media__worker *w)
{
	w->ticks++;
	if (w->m->fast)
		media__fast_consume(w);
	/* Backwards: a session that stops ticking is swapped with the last one. */
	for (size_t i = w->nticking; i-- > 0;)
		session_tick(w, w->ticking[i]);
	for (size_t i = w->nrecs; i-- > 0;)
		media__rec_tick(w, w->recs[i]);
	for (size_t i = 0; i < w->nmixes; i++)
		media__mix_tick(w, w->mixes[i]);
	if (w->ticks % MEDIA__CHECK_TICKS == 0)
		for (size_t i = 0; i < w->nsessions; i++)
			session_check(w, w->sessions[i]);
}
