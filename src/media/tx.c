/*
 * Outgoing streams. Each session has one: its own SSRC, sequence and timestamp, shared
 * by everything that sends to its peer (relayed packets, plays, DTMF, the mixer). Each
 * source continues the stream where the previous one stopped, with the marker bit set
 * at the switch, so the peer's jitter buffer sees one continuous stream.
 */
#include "media/ice.h"
#include "media/media_int.h"
#include "media/uring.h"

#include <string.h>
#include <sys/socket.h>

static inline void stat_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

void media__send(struct media__worker *w, int fd, const void *buf, size_t len,
		 const struct sockaddr_in *to)
{
	if (w->uring) {
		/* Counted when the kernel reports the send done (uring.c). */
		media__uring_send(w->uring, fd, buf, len, to);
		return;
	}
	if (sendto(fd, buf, len, MSG_DONTWAIT, (const struct sockaddr *)to, sizeof(*to)) > 0) {
		stat_add(&w->stats.packets_out, 1);
		stat_add(&w->stats.bytes_out, len);
	}
}

void media__flush(struct media__worker *w)
{
	if (w->uring)
		media__uring_submit(w->uring, false);
}

bool media__tx_allowed(const struct media_session *s)
{
	return s->configured && s->p.remote.sin_port != 0 && media__ice_may_send(s) &&
	       (s->p.dir == MEDIA_DIR_SENDRECV || s->p.dir == MEDIA_DIR_SENDONLY);
}

uint32_t media__tx_ts_now(struct media__worker *w, struct media_session *s, bool *marker)
{
	struct media__tx *tx = &s->tx;
	uint32_t elapsed;

	if (tx->gen) {
		*marker = false;
		return tx->ts + tx->span;
	}
	*marker = true;
	if (!tx->sent)
		return tx->ts;
	/* After a pause, the timestamp moves on by the time that passed (at least one frame
	 * beyond the last packet, so timestamps never go back). */
	elapsed = media__us_to_ts(s, w->now_us - tx->last_us);
	if (elapsed < tx->span)
		elapsed = tx->span;
	return tx->ts + elapsed;
}

void media__tx_send(struct media__worker *w, struct media_session *s, uint8_t pt, bool marker,
		    uint32_t ts, const uint8_t *payload, size_t len)
{
	struct media__tx *tx = &s->tx;
	uint8_t buf[MEDIA__PKT_MAX + MEDIA__SRTP_ROOM];
	size_t plen = 12 + len;

	if (len > MEDIA__PKT_MAX - 12)
		return;
	tx->seq++;
	media__rtp_write(buf, pt, marker, tx->seq, ts, tx->ssrc);
	memcpy(buf + 12, payload, len);
	if (media__srtp_protect(w, s, buf, &plen, sizeof(buf), false))
		media__send(w, s->fd_rtp, buf, plen, &s->p.remote);
	tx->ts = ts;
	tx->last_us = w->now_us;
	tx->sent = true;
	tx->sent_since_report = true;
	tx->packets++;
	tx->octets += (uint32_t)len;
	/* Relayed packets that follow must be re-based onto this stream. */
	tx->resync = true;
}

void media__tx_audio(struct media__worker *w, struct media_session *s, const int16_t *pcm,
		     unsigned n, unsigned rate)
{
	struct media__tx *tx = &s->tx;
	unsigned pkt = (unsigned)s->p.ptime_ms * 8; /* bytes = timestamp units per packet */
	size_t len;

	if (!media__tx_allowed(s)) {
		media__tx_idle(s);
		return;
	}
	if (rate != s->rate) {
		if (media__rs_ensure(&s->tx_rs, rate, s->rate))
			return;
		n = media__rs_run(s->tx_rs, pcm, n, w->pcm_c, MEDIA__FRAME_MAX);
		pcm = w->pcm_c;
	}
	if (s->p.codec == MEDIA_CODEC_OPUS) {
		/* Each 20 ms frame is a packet of its own (a ptime is only a preference, and
		 * a receiver of Opus takes any packet length). */
		uint8_t out[MEDIA__OPUS_MAX];
		bool marker;
		uint32_t ts;

		len = media__opus_encode(s->opus_enc, pcm, n, out, sizeof(out));
		if (!len)
			return;
		ts = media__tx_ts_now(w, s, &marker);
		media__tx_send(w, s, s->p.pt, marker, ts, out, len);
		tx->span = n * (48000 / s->rate);
		tx->gen = true;
		return;
	}
	if (pkt > sizeof(tx->acc))
		pkt = 160;
	if (n > (sizeof(tx->acc) - tx->acc_len) * (s->rate / 8000))
		tx->acc_len = 0; /* cannot happen with 20 ms frames; never overflow */
	len = media__encode(s->p.codec, s->g722_enc, pcm, n, tx->acc + tx->acc_len);
	tx->acc_len += (unsigned)len;
	while (tx->acc_len >= pkt) {
		bool marker;
		uint32_t ts = media__tx_ts_now(w, s, &marker);

		media__tx_send(w, s, s->p.pt, marker, ts, tx->acc, pkt);
		tx->span = pkt;
		tx->gen = true;
		tx->acc_len -= pkt;
		memmove(tx->acc, tx->acc + pkt, tx->acc_len);
	}
}

void media__tx_idle(struct media_session *s)
{
	if (s->tx.gen) {
		s->tx.gen = false;
		s->tx.resync = true;
	}
	s->tx.acc_len = 0;
}
