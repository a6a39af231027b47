/*
 * The packet path. One recvmmsg per readiness of a session's RTP socket; each packet is
 * parsed, latched (symmetric RTP), counted, checked for RFC 4733 digits, copied into the
 * jitter buffer when someone decodes this session's audio, and — when the session is
 * bridged — rewritten in place (SSRC, sequence, timestamp, payload type) or transcoded,
 * then all of the batch goes to the peer in one sendmmsg. Nothing here allocates or
 * locks. Also RTCP reception and our reports.
 */
#include "media/ice.h"
#include "media/fast.h"
#include "media/media_int.h"

#include "core/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#define RELATCH_QUIET_MS 2000 /* a latched source silent this long may be replaced */
#define DTMF_IDLE_MS	 800  /* an event without packets this long has ended */

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void stat_add(_Atomic uint64_t *c, uint64_t n)
{
	/* Only this worker writes its counters: a relaxed load and store, no lock prefix. */
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static inline uint64_t key_of(const struct sockaddr_in *a)
{
	return (uint64_t)a->sin_addr.s_addr << 16 | a->sin_port;
}

static void latch(struct media__worker *w, struct media_session *s, const struct sockaddr_in *from)
{
	uint64_t key = key_of(from);

	if (key == s->remote_key) {
		s->latched = true;
		s->latched_ms = w->now_ms;
		return;
	}
	if (s->latched && w->now_ms - s->latched_ms < RELATCH_QUIET_MS)
		return;
	s->p.remote = *from;
	s->remote_key = key;
	s->latched = true;
	s->latched_ms = w->now_ms;
	if (!s->rtcp_latched) {
		s->rtcp_remote = *from;
		s->rtcp_remote.sin_port = htons((uint16_t)(ntohs(from->sin_port) + 1));
	}
	if (log_enabled(LOG_LEVEL_DEBUG)) {
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &from->sin_addr, a, sizeof(a));
		log_debug("media", "owner=%llu event=latched remote=%s:%u",
			  (unsigned long long)s->owner, a, ntohs(from->sin_port));
	}
}

void media__play_end(struct media__worker *w, struct media_session *s, enum media_play_end end,
		     bool quiet)
{
	struct media_event ev;

	if (!s->play)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.play_id = s->play->id;
	ev.play_end = end;
	media__play_free(s->play);
	s->play = NULL;
	media__tx_idle(s);
	if (!quiet) {
		media__flush(w);
		media__event(w->m, MEDIA_EV_PLAY_DONE, s->owner, &ev);
	}
	media__session_update_ticking(w, s);
}

static void report_digits(struct media__worker *w, struct media_session *s,
			  const struct media__dtmf_out *out)
{
	if (out->started && s->play && s->play->barge_in)
		media__play_end(w, s, MEDIA_PLAY_INTERRUPTED, false);
	for (unsigned i = 0; i < out->ndigits; i++) {
		struct media_event ev;

		memset(&ev, 0, sizeof(ev));
		ev.digit = out->digit[i];
		ev.digit_ms = out->ms[i];
		/* A digit whose start we never saw still interrupts a prompt. */
		if (s->play && s->play->barge_in)
			media__play_end(w, s, MEDIA_PLAY_INTERRUPTED, false);
		media__flush(w);
		media__event(w->m, MEDIA_EV_DIGIT, s->owner, &ev);
	}
}

void media__dtmf_rx_check(struct media__worker *w, struct media_session *s)
{
	struct media__dtmf_out out;

	media__dtmf_rx_expire(&s->dtmf_rx, media__codec_clock(s->p.codec), w->now_ms, DTMF_IDLE_MS,
			      &out);
	report_digits(w, s, &out);
}

/* A received payload decoded at most once per packet, shared by in-band detection and
 * transcoding (G.722 decoder and resampler states must see each packet exactly once). */
struct decoded {
	bool done, done8;
	unsigned n, n8;
	const int16_t *pcm, *pcm8;
};

static bool decode_once(struct media__worker *w, struct media_session *s, const uint8_t *payload,
			size_t len, struct decoded *d)
{
	if (!d->done) {
		d->n = media__decode(s->p.codec, media__dec_of(s), payload, len, w->pcm_a);
		d->pcm = w->pcm_a;
		d->done = true;
	}
	return d->n > 0;
}

static bool decode_once8(struct media__worker *w, struct media_session *s, const uint8_t *payload,
			 size_t len, struct decoded *d)
{
	if (!decode_once(w, s, payload, len, d))
		return false;
	if (!d->done8) {
		if (s->rate == 8000) {
			d->pcm8 = d->pcm;
			d->n8 = d->n;
		} else {
			if (media__rs_ensure(&s->down_rs, 16000, 8000))
				return false;
			d->n8 = media__rs_run(s->down_rs, d->pcm, d->n, w->pcm_b, MEDIA__FRAME_MAX);
			d->pcm8 = w->pcm_b;
		}
		d->done8 = true;
	}
	return d->n8 > 0;
}

static void inband_feed(struct media__worker *w, struct media_session *s, const uint8_t *payload,
			size_t len, struct decoded *d)
{
	if (!decode_once8(w, s, payload, len, d))
		return;
	if (media__inband_feed(s->inband, d->pcm8, d->n8)) {
		struct media__dtmf_out out = {.ndigits = 1};

		out.digit[0] = s->inband->done;
		out.ms[0] = s->inband->done_ms;
		report_digits(w, s, &out);
	} else if (s->inband->digit && s->play && s->play->barge_in) {
		media__play_end(w, s, MEDIA_PLAY_INTERRUPTED, false);
	}
}

static void amd_feed(struct media__worker *w, struct media_session *s, const struct media__rtp *h,
		     const uint8_t *payload, struct decoded *d)
{
	if (!decode_once8(w, s, payload, h->payload_len, d))
		return;
	if (s->p.codec == MEDIA_CODEC_OPUS)
		/* The detector counts 8 kHz samples; Opus's clock runs six times faster. */
		media__amd_feed(w, s, h->ts / 6, d->n8, d->pcm8, d->n8);
	else
		media__amd_feed(w, s, h->ts, (uint32_t)h->payload_len, d->pcm8, d->n8);
}

/* A timestamp difference of `from`'s RTP clock in `to`'s (Opus runs at 48 kHz, the
 * others at 8 kHz). */
static inline uint32_t ts_scale(const struct media_session *from, const struct media_session *to,
				int32_t d)
{
	unsigned fc = media__codec_clock(from->p.codec), tc = media__codec_clock(to->p.codec);

	if (fc == tc)
		return (uint32_t)d;
	if (tc > fc)
		return (uint32_t)d * (tc / fc);
	return (uint32_t)(d / (int32_t)(fc / tc));
}

/* Maps an incoming packet of `from`'s stream onto `to`'s outgoing stream. */
static void relay_map(struct media__worker *w, struct media_session *from, struct media_session *to,
		      const struct media__rtp *h, uint16_t *seq, uint32_t *ts, bool *marker)
{
	struct media__tx *tx = &to->tx;
	int16_t dseq = media__seq_diff(h->seq, tx->src_max_seq);

	*marker = h->marker;
	if (tx->resync || h->ssrc != tx->src_ssrc || dseq > 1000 || dseq < -1000) {
		/* Re-base: continue the outgoing stream where it stopped, however the incoming
		 * one jumped (a new source, a play that interrupted relaying, a restart). */
		uint32_t elapsed = 0;

		if (tx->sent) {
			/* At least the last packet's length: timestamps must not overlap. */
			elapsed = media__us_to_ts(to, w->now_us - tx->last_us);
			if (elapsed < tx->span)
				elapsed = tx->span;
		}
		tx->seq_off = (uint16_t)(tx->seq + 1 - h->seq);
		tx->src_ts = h->ts;
		tx->ts_base = tx->ts + elapsed;
		tx->src_ssrc = h->ssrc;
		tx->src_max_seq = h->seq;
		tx->resync = false;
		tx->gen = false;
		*marker = true;
		dseq = 1;
	}
	*seq = (uint16_t)(h->seq + tx->seq_off);
	*ts = tx->ts_base + ts_scale(from, to, media__ts_diff(h->ts, tx->src_ts));
	if (dseq > 0) {
		/* The base follows the stream, so that differences stay small (and a division
		 * between clocks has nothing to lose at the wrap of the source's clock). */
		tx->src_ts = h->ts;
		tx->ts_base = *ts;
		tx->src_max_seq = h->seq;
		tx->seq = *seq;
		if (media__ts_diff(*ts, tx->ts) > 0 || !tx->sent)
			tx->ts = *ts;
	}
	tx->last_us = w->now_us;
	tx->sent = true;
	tx->sent_since_report = true;
	tx->packets++;
}

/* Encodes `from`'s decoded audio (at its rate: `n` samples of `pcm`) for `to`,
 * resampling 8 to 16 kHz for G.722; *span gets its length in `to`'s RTP clock. */
static size_t encode_for(struct media__worker *w, struct media_session *from,
			 struct media_session *to, const int16_t *pcm, unsigned n, uint8_t *out,
			 uint32_t *span)
{
	if (to->rate != from->rate) {
		if (from->rate != 8000 || media__rs_ensure(&from->up_rs, 8000, 16000))
			return 0;
		n = media__rs_run(from->up_rs, pcm, n, w->pcm_c, MEDIA__FRAME_MAX);
		pcm = w->pcm_c;
	}
	*span = n * media__codec_clock(to->p.codec) / to->rate;
	return media__encode(to->p.codec, media__enc_of(to), pcm, n, out);
}

static size_t transcode(struct media__worker *w, struct media_session *from,
			struct media_session *to, const uint8_t *payload, size_t len,
			struct decoded *d, uint8_t *out, uint32_t *span)
{
	const int16_t *pcm;
	unsigned n;

	if (from->p.codec == MEDIA_CODEC_PCMU && to->p.codec == MEDIA_CODEC_PCMA) {
		for (size_t i = 0; i < len; i++)
			out[i] = media__ulaw2alaw[payload[i]];
		*span = (uint32_t)len;
		return len;
	}
	if (from->p.codec == MEDIA_CODEC_PCMA && to->p.codec == MEDIA_CODEC_PCMU) {
		for (size_t i = 0; i < len; i++)
			out[i] = media__alaw2ulaw[payload[i]];
		*span = (uint32_t)len;
		return len;
	}
	if (to->rate == 8000) {
		if (!decode_once8(w, from, payload, len, d))
			return 0;
		pcm = d->pcm8;
		n = d->n8;
	} else {
		if (!decode_once(w, from, payload, len, d))
			return 0;
		pcm = d->pcm;
		n = d->n;
	}
	if (to->rate == 8000 && from->rate != 8000) {
		/* Already brought to 8 kHz by decode_once8. */
		*span = n * media__codec_clock(to->p.codec) / 8000;
		return media__encode(to->p.codec, media__enc_of(to), pcm, n, out);
	}
	return encode_for(w, from, to, pcm, n, out, span);
}

static void handle_rtcp(struct media__worker *w, struct media_session *s, const uint8_t *buf,
			size_t len, const struct sockaddr_in *from)
{
	struct media__rtcp_info info;
	struct timespec now;
	uint64_t us;

	stat_add(&w->stats.rtcp_in, 1);
	if (media__rtcp_parse(buf, len, &info) != 0) {
		media__qs_malformed(w, s);
		return;
	}
	if (!s->rtcp_latched) {
		s->rtcp_remote = *from;
		s->rtcp_latched = true;
	}
	if (info.has_sr) {
		s->rx_lsr = info.ntp_mid;
		s->rx_lsr_us = w->now_us;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	us = (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
	/* The peer's word on our stream: blocks about other sources are someone else's. */
	for (unsigned i = 0; i < info.nrb; i++)
		if (info.rb[i].ssrc == s->tx.ssrc)
			media__qs_report(w, s, &info.rb[i], us);
}

/* Receive-side bookkeeping for a media packet; returns false when it must be dropped. */
static bool track(struct media__worker *w, struct media_session *s, const struct media__rtp *h,
		  uint32_t arrival_ts, enum media__seq_result *res, uint64_t *lost, unsigned *gap)
{
	*gap = 0;
	if (!s->rx_have || h->ssrc != s->rx_ssrc) {
		s->rx_have = true;
		s->rx_ssrc = h->ssrc;
		media__seq_init(&s->rx_seq, h->seq);
		s->rx_transit_have = false;
		*res = MEDIA__SEQ_NEXT;
	} else {
		int16_t d = media__seq_diff(h->seq, s->rx_seq.max_seq);

		*res = media__seq_update(&s->rx_seq, h->seq);
		if (*res == MEDIA__SEQ_BAD)
			return false;
		if (*res == MEDIA__SEQ_NEXT && d > 1) {
			*lost += (uint64_t)(d - 1);
			*gap = (unsigned)(d - 1);
		}
	}
	media__jitter_update(&s->rx_jitter_q4, &s->rx_transit, &s->rx_transit_have, arrival_ts,
			     h->ts);
	s->rx_last_ms = w->now_ms;
	s->timeout_sent = false;
	s->rx_packets++;
	s->rx_octets += (uint32_t)h->payload_len;
	return true;
}

/* A run of datagrams from one session's RTP socket: where relayed packets go and what
 * waits to be sent. The epoll path runs a recvmmsg batch through it, the io_uring path a
 * single datagram. */
struct rx_run {
	struct media_session *to; /* bridge partner that takes relayed packets, or NULL */
	uint32_t arrival_ts;
	uint64_t bytes_in, bytes_out, lost;
	unsigned n, nsend; /* datagrams seen; entries of w->tx_iov to send */
};

/* Queues a packet for the bridge partner, encrypted when the partner speaks SRTP: then
 * in the batch's own send buffer, since a receive buffer has no room for the trailer.
 * A packet that cannot be encrypted is dropped, never sent in the clear. */
static void queue_out(struct media__worker *w, struct rx_run *r, uint8_t *buf, size_t len)
{
	struct media_session *to = r->to;

	if (r->nsend >= MEDIA__BATCH)
		return;
	if (to->srtp_tx || to->srtp_broken) {
		uint8_t *ob = w->tx_buf[r->nsend];

		if (ob != buf) {
			if (len > sizeof(w->tx_buf[0]))
				return;
			memcpy(ob, buf, len);
		}
		if (!media__srtp_protect(w, to, ob, &len, sizeof(w->tx_buf[0]), false))
			return;
		buf = ob;
	}
	w->tx_iov[r->nsend].iov_base = buf;
	w->tx_iov[r->nsend].iov_len = len;
	r->bytes_out += len;
	r->nsend++;
}

static void run_begin(struct media__worker *w, struct media_session *s, struct rx_run *r)
{
	memset(r, 0, sizeof(*r));
	r->arrival_ts = media__us_to_ts(s, w->now_us);
	if (s->role == MEDIA__ROLE_BRIDGE && s->peer && media__tx_allowed(s->peer) &&
	    !media__tx_busy(s->peer))
		r->to = s->peer;
}

/* Opus packets lost just before `h` (up to three): audio made for them — from the FEC
 * this packet carries for the last one, by concealment before — keeps the decoder's
 * state true and, when the bridge transcodes, goes to the partner in their place. */
#define OPUS_CONCEAL_MAX 3
static void opus_conceal(struct media__worker *w, struct media_session *s, struct rx_run *r,
			 const struct media__rtp *h, const uint8_t *payload, unsigned gap)
{
	unsigned frame = media__opus_samples(payload, h->payload_len);

	if (!frame || gap > OPUS_CONCEAL_MAX)
		return;
	for (unsigned i = gap; i > 0; i--) {
		struct media__rtp lost = *h;
		bool last = i == 1;
		unsigned n =
		    media__opus_conceal(s->opus_dec, last ? payload : NULL,
					last ? h->payload_len : 0, w->pcm_a, MEDIA__FRAME_MAX);
		uint8_t *ob;
		size_t olen;
		uint32_t span = 0;
		uint16_t seq;
		uint32_t ts;
		bool marker;

		/* Room is kept in the batch for the packet that follows the loss. */
		if (!n || !r->to || !s->transcode || r->nsend + 1 >= MEDIA__BATCH)
			continue;
		ob = w->tx_buf[r->nsend];
		olen = encode_for(w, s, r->to, w->pcm_a, n, ob + 12, &span);
		if (!olen)
			continue;
		lost.seq = (uint16_t)(h->seq - i);
		lost.ts = h->ts - i * frame * 6;
		lost.marker = false;
		relay_map(w, s, r->to, &lost, &seq, &ts, &marker);
		media__rtp_write(ob, r->to->p.pt, marker, seq, ts, r->to->tx.ssrc);
		r->to->tx.octets += (uint32_t)olen;
		r->to->tx.span = span;
		queue_out(w, r, ob, 12 + olen);
	}
}

static void run_packet(struct media__worker *w, struct media_session *s, struct rx_run *r,
		       uint8_t *buf, size_t len, const struct sockaddr_in *from)
{
	struct media__rtp h;
	enum media__seq_result res;
	unsigned gap;
	bool rtcp = media__is_rtcp(buf, len);

	r->n++;
	r->bytes_in += len;
	/* WebRTC: STUN answered here, media only from the address ICE nominated. */
	if (s->ice && !media__ice_filter(w, s, buf, len, from))
		return;
	if (!media__srtp_unprotect(w, s, buf, &len, rtcp))
		return;
	if (rtcp) {
		handle_rtcp(w, s, buf, len, from);
		return;
	}
	if (!s->configured || media__rtp_parse(buf, len, &h) != 0)
		return;
	if (h.pt != s->p.pt && (h.pt != s->p.dtmf_pt || !s->p.dtmf_pt)) {
		if (h.pt == MEDIA__PT_CN) {
			latch(w, s, from);
			s->rx_last_ms = w->now_ms;
		}
		return;
	}
	latch(w, s, from);
	if (!track(w, s, &h, r->arrival_ts, &res, &r->lost, &gap))
		return;
	const uint8_t *payload = buf + h.hdr_len;

	if (h.pt == s->p.pt) {
		struct decoded d = {0};

		if (gap && s->p.codec == MEDIA_CODEC_OPUS &&
		    (s->inband || s->amd || (r->to && s->transcode)))
			opus_conceal(w, s, r, &h, payload, gap);
		if (s->jbuf)
			media__jbuf_put(s->jbuf, h.ssrc, h.ts, h.seq, payload, h.payload_len);
		if (s->inband && res != MEDIA__SEQ_LATE)
			inband_feed(w, s, payload, h.payload_len, &d);
		if (s->amd && res != MEDIA__SEQ_LATE)
			amd_feed(w, s, &h, payload, &d);
		if (!r->to)
			return;
		uint16_t seq;
		uint32_t ts;
		bool marker;

		if (!s->transcode) {
			relay_map(w, s, r->to, &h, &seq, &ts, &marker);
			buf[1] = (uint8_t)((marker ? 0x80 : 0) | r->to->p.pt);
			put16(buf + 2, seq);
			put32(buf + 4, ts);
			put32(buf + 8, r->to->tx.ssrc);
			r->to->tx.octets += (uint32_t)h.payload_len;
			/* One payload byte per timestamp unit, G.711 and G.722 alike; Opus says
			 * its length in its table of contents. */
			if (s->p.codec == MEDIA_CODEC_OPUS) {
				unsigned n = media__opus_samples(payload, h.payload_len);

				if (n)
					r->to->tx.span = n * 6;
			} else if (h.payload_len) {
				r->to->tx.span = (uint32_t)h.payload_len;
			}
			queue_out(w, r, buf, len);
		} else {
			uint8_t *ob = w->tx_buf[r->nsend];
			size_t olen;
			uint32_t span = 0;

			/* Codec state runs forward: reordered packets are dropped. */
			if (res == MEDIA__SEQ_LATE || r->nsend >= MEDIA__BATCH)
				return;
			olen = transcode(w, s, r->to, payload, h.payload_len, &d, ob + 12, &span);
			if (!olen)
				return;
			relay_map(w, s, r->to, &h, &seq, &ts, &marker);
			media__rtp_write(ob, r->to->p.pt, marker, seq, ts, r->to->tx.ssrc);
			r->to->tx.octets += (uint32_t)olen;
			r->to->tx.span = span;
			queue_out(w, r, ob, 12 + olen);
		}
	} else {
		struct media__te te;
		struct media__dtmf_out out;

		if (media__te_parse(payload, h.payload_len, &te) != 0)
			return;
		media__dtmf_rx_packet(&s->dtmf_rx, h.ts, &te, media__codec_clock(s->p.codec),
				      w->now_ms, &out);
		report_digits(w, s, &out);
		media__session_update_ticking(w, s);
		/* Pass the event on when the other side understands telephone-event. */
		if (!r->to || !r->to->p.dtmf_pt)
			return;
		uint16_t seq;
		uint32_t ts;
		bool marker;

		relay_map(w, s, r->to, &h, &seq, &ts, &marker);
		if (media__codec_clock(s->p.codec) != media__codec_clock(r->to->p.codec)) {
			/* The event's duration is in timestamp units too (an event over 1.36 s
			 * on the 48 kHz clock stays at the field's limit, as RFC 4733 2.5.1.2
			 * has long events do). */
			uint32_t dur = ts_scale(s, r->to, te.duration);

			put16(buf + h.hdr_len + 2, (uint16_t)(dur > 0xFFFF ? 0xFFFF : dur));
		}
		buf[1] = (uint8_t)((marker ? 0x80 : 0) | r->to->p.dtmf_pt);
		put16(buf + 2, seq);
		put32(buf + 4, ts);
		put32(buf + 8, r->to->tx.ssrc);
		queue_out(w, r, buf, len);
	}
}

static void run_end(struct media__worker *w, struct rx_run *r)
{
	struct media_session *to = r->to;

	stat_add(&w->stats.packets_in, r->n);
	stat_add(&w->stats.bytes_in, r->bytes_in);
	if (r->lost)
		stat_add(&w->stats.late_or_lost, r->lost);
	if (w->uring) {
		/* Queued for this loop turn's one submission, copied out of the receive buffer. */
		for (unsigned i = 0; i < r->nsend; i++)
			media__send(w, to->fd_rtp, w->tx_iov[i].iov_base, w->tx_iov[i].iov_len,
				    &to->p.remote);
	} else if (r->nsend == 1) {
		/* The common case at 50 packets/s per socket: sendto is cheaper than a
		 * sendmmsg of one. */
		if (sendto(to->fd_rtp, w->tx_iov[0].iov_base, w->tx_iov[0].iov_len, MSG_DONTWAIT,
			   (struct sockaddr *)&to->p.remote, sizeof(to->p.remote)) > 0) {
			stat_add(&w->stats.packets_out, 1);
			stat_add(&w->stats.bytes_out, r->bytes_out);
		}
	} else if (r->nsend) {
		for (unsigned i = 0; i < r->nsend; i++) {
			w->tx_msgs[i].msg_hdr.msg_name = &to->p.remote;
			w->tx_msgs[i].msg_hdr.msg_namelen = sizeof(to->p.remote);
		}
		int sent = sendmmsg(to->fd_rtp, w->tx_msgs, r->nsend, MSG_DONTWAIT);

		if (sent > 0) {
			stat_add(&w->stats.packets_out, (uint64_t)sent);
			stat_add(&w->stats.bytes_out, r->bytes_out);
		}
	}
}

/* Kernel relay (fast.h). A packet of a session the kernel relays reached the socket
 * (a new source or SSRC, an RFC 4733 event...): the session comes back first, so the
 * worker relays it from the stream's current state. */
static inline void fast_before(struct media__worker *w, struct media_session *s, uint64_t *key)
{
	*key = s->remote_key;
	if (s->fast)
		media__fast_leave(w, s);
}

/* After the worker's own relaying: the session goes (back) to the kernel when it may; a
 * session that latched to a new remote takes its partner's direction back too (the
 * kernel sends that one to the old address). */
static inline void fast_after(struct media__worker *w, struct media_session *s, uint64_t key)
{
	if (s->remote_key != key && s->peer && s->peer->fast)
		media__fast_leave(w, s->peer);
	media__fast_try(w, s);
}

static void process_batch(struct media__worker *w, struct media_session *s, int n)
{
	struct rx_run r;
	uint64_t key = 0;

	if (w->m->fast)
		fast_before(w, s, &key);
	run_begin(w, s, &r);
	for (int i = 0; i < n; i++)
		run_packet(w, s, &r, w->rx_buf[i], w->rx_msgs[i].msg_len, &w->rx_addr[i]);
	run_end(w, &r);
	if (w->m->fast)
		fast_after(w, s, key);
}

void media__rx_packet(struct media__worker *w, struct media_session *s, uint8_t *buf, size_t len,
		      const struct sockaddr_in *from)
{
	struct rx_run r;
	uint64_t key = 0;

	if (w->m->fast)
		fast_before(w, s, &key);
	run_begin(w, s, &r);
	run_packet(w, s, &r, buf, len, from);
	run_end(w, &r);
	if (w->m->fast)
		fast_after(w, s, key);
}

void media__rx_rtp(struct media__worker *w, struct media_session *s)
{
	for (;;) {
		int n;

		for (int i = 0; i < MEDIA__BATCH; i++)
			w->rx_msgs[i].msg_hdr.msg_namelen = sizeof(w->rx_addr[i]);
		n = recvmmsg(s->fd_rtp, w->rx_msgs, MEDIA__BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		process_batch(w, s, n);
		/* A short batch means recvmmsg met an empty queue (edge-triggered epoll then
		 * reports the next packet); a full one, that more may wait. */
		if (n < MEDIA__BATCH)
			return;
	}
}

void media__rx_rtcp(struct media__worker *w, struct media_session *s)
{
	/* Until empty: the socket is watched edge-triggered. */
	for (;;) {
		struct sockaddr_in from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(s->fd_rtcp, w->rx_buf[0], sizeof(w->rx_buf[0]), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &flen);

		size_t len = (size_t)n;

		if (n <= 0)
			return;
		stat_add(&w->stats.packets_in, 1);
		stat_add(&w->stats.bytes_in, (uint64_t)n);
		if (media__srtp_unprotect(w, s, w->rx_buf[0], &len, true))
			handle_rtcp(w, s, w->rx_buf[0], len, &from);
	}
}

void media__rx_rtcp_packet(struct media__worker *w, struct media_session *s, const uint8_t *buf,
			   size_t len, const struct sockaddr_in *from)
{
	uint8_t copy[MEDIA__PKT_MAX];

	stat_add(&w->stats.packets_in, 1);
	stat_add(&w->stats.bytes_in, len);
	if (s->srtp_rx || s->srtp_broken) {
		/* SRTCP is decrypted in place, and this packet is read-only. */
		if (len > sizeof(copy))
			return;
		memcpy(copy, buf, len);
		if (!media__srtp_unprotect(w, s, copy, &len, true))
			return;
		buf = copy;
	}
	handle_rtcp(w, s, buf, len, from);
}

void media__rtcp_send(struct media__worker *w, struct media_session *s, bool bye)
{
	struct media__rtcp_report r;
	struct timespec now;
	uint8_t buf[256 + MEDIA__SRTP_ROOM];
	size_t len;
	uint64_t us;

	if (!s->configured || s->rtcp_remote.sin_port == 0 || !media__ice_may_send(s))
		return;
	memset(&r, 0, sizeof(r));
	clock_gettime(CLOCK_REALTIME, &now);
	us = (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
	r.ssrc = s->tx.ssrc;
	r.cname = w->m->cname;
	r.bye = bye;
	r.sender = s->tx.sent_since_report;
	if (r.sender) {
		r.ntp = media__ntp_from_us(us);
		r.rtp_ts = s->tx.ts + media__us_to_ts(s, w->now_us - s->tx.last_us);
		r.packets = s->tx.packets;
		r.octets = s->tx.octets;
	}
	if (s->rx_have) {
		struct media__seq *q = &s->rx_seq;
		uint32_t expected = media__seq_expected(q);
		uint32_t exp_int = expected - q->expected_prior;
		uint32_t rec_int = q->received - q->received_prior;
		int32_t lost_int = (int32_t)(exp_int - rec_int);

		q->expected_prior = expected;
		q->received_prior = q->received;
		r.has_rb = true;
		r.rb.ssrc = s->rx_ssrc;
		r.rb.fraction = (exp_int == 0 || lost_int <= 0)
				    ? 0
				    : (uint8_t)(((uint32_t)lost_int << 8) / exp_int);
		r.rb.lost = media__seq_lost(q);
		r.rb.ext_max = media__seq_ext_max(q);
		r.rb.jitter = s->rx_jitter_q4 >> 4;
		if (s->rx_lsr_us) {
			r.rb.lsr = s->rx_lsr;
			r.rb.dlsr = (uint32_t)((w->now_us - s->rx_lsr_us) * 65536 / 1000000);
		}
	}
	len = media__rtcp_build(buf, sizeof(buf) - MEDIA__SRTP_ROOM, &r);
	if (len && media__srtp_protect(w, s, buf, &len, sizeof(buf), true))
		/* rtcp-mux on WebRTC sessions: RTCP shares the RTP port. */
		media__send(w, s->ice ? s->fd_rtp : s->fd_rtcp, buf, len, &s->rtcp_remote);
	s->tx.sent_since_report = false;
}
