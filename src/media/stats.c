/*
 * Call-quality figures of a session (media_session_stats): what it receives (loss and
 * jitter from sequence numbers and arrival times) and what the peer's RTCP receiver and
 * sender reports say of what we send (fraction lost, cumulative loss, jitter, and the
 * round trip from LSR and DLSR, RFC 3550 6.4.1). The worker writes them under a
 * sequence count; the engine thread reads a consistent snapshot without a lock. Also
 * the Prometheus text of the engine-wide ICE, DTLS, SRTP and RTCP counters.
 */
#include "media/media_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static inline void stat_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static void write_begin(struct media_session *s)
{
	atomic_fetch_add(&s->qs.seq, 1);
}

static void write_end(struct media_session *s)
{
	atomic_fetch_add(&s->qs.seq, 1);
}

static uint32_t ts_to_us(const struct media_session *s, uint32_t units)
{
	return (uint32_t)((uint64_t)units * 1000000u / media__codec_clock(s->p.codec));
}

void media__qs_report(struct media__worker *w, struct media_session *s,
		      const struct media__rtcp_rb *rb, uint64_t now_us)
{
	(void)w;
	write_begin(s);
	atomic_store(&s->qs.fraction, rb->fraction);
	atomic_store(&s->qs.cumulative_lost, rb->lost);
	atomic_store(&s->qs.jitter_us, ts_to_us(s, rb->jitter));
	if (rb->lsr) {
		/* RFC 3550 6.4.1: A - LSR - DLSR, in 1/65536 s on the middle 32 bits of NTP
		 * time. A peer whose clock or arithmetic is off gives a negative figure:
		 * it is ignored. */
		uint32_t mid = (uint32_t)(media__ntp_from_us(now_us) >> 16);
		int32_t rtt = (int32_t)(mid - rb->lsr - rb->dlsr);

		if (rtt >= 0)
			atomic_store(&s->qs.rtt_ms1, (int32_t)(((int64_t)rtt * 1000 >> 16) + 1));
	}
	atomic_fetch_add(&s->qs.reports, 1);
	write_end(s);
}

void media__qs_malformed(struct media__worker *w, struct media_session *s)
{
	stat_add(&w->stats.rtcp_malformed, 1);
	atomic_fetch_add(&s->qs.rtcp_malformed, 1);
}

void media__qs_rx(struct media_session *s)
{
	if (!s->rx_have)
		return;
	write_begin(s);
	atomic_store(&s->qs.packets_in, s->rx_seq.received);
	atomic_store(&s->qs.lost_in, media__seq_lost(&s->rx_seq));
	atomic_store(&s->qs.jitter_in_us, ts_to_us(s, s->rx_jitter_q4 >> 4));
	write_end(s);
}

void media__qs_reset(struct media_session *s)
{
	write_begin(s);
	atomic_store(&s->qs.packets_in, 0);
	atomic_store(&s->qs.reports, 0);
	atomic_store(&s->qs.rtcp_malformed, 0);
	atomic_store(&s->qs.lost_in, 0);
	atomic_store(&s->qs.jitter_in_us, 0);
	atomic_store(&s->qs.fraction, 0);
	atomic_store(&s->qs.jitter_us, 0);
	atomic_store(&s->qs.cumulative_lost, 0);
	atomic_store(&s->qs.rtt_ms1, 0);
	write_end(s);
}

void media_session_stats(const struct media_session *s, struct media_session_stats *out)
{
	struct media_session_stats st;
	struct media_session *q = (struct media_session *)s;
	uint32_t before, after;

	do {
		before = atomic_load(&q->qs.seq);
		st.packets_in = atomic_load(&q->qs.packets_in);
		st.lost_in = atomic_load(&q->qs.lost_in);
		st.jitter_in_us = atomic_load(&q->qs.jitter_in_us);
		st.reports = atomic_load(&q->qs.reports);
		st.fraction_lost = atomic_load(&q->qs.fraction) / 256.0;
		st.cumulative_lost = atomic_load(&q->qs.cumulative_lost);
		st.jitter_us = atomic_load(&q->qs.jitter_us);
		st.rtt_ms = atomic_load(&q->qs.rtt_ms1) - 1;
		st.rtcp_malformed = atomic_load(&q->qs.rtcp_malformed);
		after = atomic_load(&q->qs.seq);
	} while ((before & 1) || before != after);
	*out = st;
}

size_t media_stats_prometheus(const struct media_stats *st, char *buf, size_t size)
{
	/* The counters are read one by one while workers run: never below zero. */
	uint64_t named = st->srtp_auth_failed + st->srtp_replayed;
	uint64_t other = st->srtp_failed > named ? st->srtp_failed - named : 0;
	int n = snprintf(
	    buf, size,
	    "# HELP centrala_ice_checks_total ICE connectivity checks answered with success.\n"
	    "# TYPE centrala_ice_checks_total counter\ncentrala_ice_checks_total %" PRIu64 "\n"
	    "# HELP centrala_ice_refused_total ICE checks answered with an error.\n"
	    "# TYPE centrala_ice_refused_total counter\ncentrala_ice_refused_total %" PRIu64 "\n"
	    "# HELP centrala_ice_malformed_total Malformed or unanswerable STUN, dropped.\n"
	    "# TYPE centrala_ice_malformed_total counter\n"
	    "centrala_ice_malformed_total %" PRIu64 "\n"
	    "# HELP centrala_ice_dropped_total Datagrams dropped on WebRTC sessions (not from "
	    "the nominated peer, after consent was lost, or of no known kind).\n"
	    "# TYPE centrala_ice_dropped_total counter\ncentrala_ice_dropped_total %" PRIu64 "\n"
	    "# HELP centrala_dtls_handshakes_total DTLS-SRTP handshakes, by result.\n"
	    "# TYPE centrala_dtls_handshakes_total counter\n"
	    "centrala_dtls_handshakes_total{result=\"connected\"} %" PRIu64 "\n"
	    "centrala_dtls_handshakes_total{result=\"failed\"} %" PRIu64 "\n"
	    "# HELP centrala_dtls_malformed_total Malformed DTLS records, dropped.\n"
	    "# TYPE centrala_dtls_malformed_total counter\n"
	    "centrala_dtls_malformed_total %" PRIu64 "\n"
	    "# HELP centrala_srtp_refused_total SRTP and SRTCP packets refused, by reason.\n"
	    "# TYPE centrala_srtp_refused_total counter\n"
	    "centrala_srtp_refused_total{reason=\"auth\"} %" PRIu64 "\n"
	    "centrala_srtp_refused_total{reason=\"replay\"} %" PRIu64 "\n"
	    "centrala_srtp_refused_total{reason=\"other\"} %" PRIu64 "\n"
	    "# HELP centrala_rtcp_packets_total RTCP packets received.\n"
	    "# TYPE centrala_rtcp_packets_total counter\n"
	    "centrala_rtcp_packets_total %" PRIu64 "\n"
	    "# HELP centrala_rtcp_malformed_total Malformed RTCP packets, dropped.\n"
	    "# TYPE centrala_rtcp_malformed_total counter\n"
	    "centrala_rtcp_malformed_total %" PRIu64 "\n"
	    "# HELP centrala_rtp_kernel_relay Whether the kernel relay of bridged RTP runs.\n"
	    "# TYPE centrala_rtp_kernel_relay gauge\ncentrala_rtp_kernel_relay %d\n"
	    "# HELP centrala_rtp_kernel_relayed_total RTP packets the kernel relay moved (also "
	    "in centrala_rtp_packets_total).\n"
	    "# TYPE centrala_rtp_kernel_relayed_total counter\n"
	    "centrala_rtp_kernel_relayed_total %" PRIu64 "\n",
	    st->ice_checks, st->ice_refused, st->ice_malformed, st->ice_dropped, st->dtls_connected,
	    st->dtls_failed, st->dtls_malformed, st->srtp_auth_failed, st->srtp_replayed, other,
	    st->rtcp_in, st->rtcp_malformed, st->kernel_relay ? 1 : 0, st->kernel_packets);

	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}
