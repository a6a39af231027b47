/*
 * Helpers for the media loopback tests: a real media engine on 127.0.0.1 and plain UDP
 * sockets acting as the far ends of calls. A peer sends 20 ms packets of a tone in its
 * codec on a paced tick and records every packet it receives, so tests can check
 * headers packet by packet and decode what was heard. Everything is bounded in time.
 */
#ifndef CENTRALA_TEST_MEDIA_UTIL_H
#define CENTRALA_TEST_MEDIA_UTIL_H

#include "core/mq.h"
#include "media/media_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TP_MAX_PKTS 600

struct tpkt {
	uint8_t pt;
	bool marker;
	uint16_t seq;
	uint32_t ts, ssrc;
	size_t len; /* payload bytes */
	uint8_t payload[480];
};

struct tpeer {
	int fd, rtcp_fd;
	uint16_t port;
	/* What it sends. */
	bool active;
	uint16_t to_port;
	enum media_codec codec;
	uint8_t pt;
	double freq, phase;
	uint16_t seq;
	uint32_t ts, ssrc;
	struct g722_encode_state_s *enc;
	struct media__opus_enc *opus_enc;
	bool drop_one; /* the next packet is made but not sent (a loss) */
	/* What it received. */
	struct tpkt *pkts;
	size_t npkts;
	size_t rtcp_packets;
	uint8_t last_rtcp[512];
	size_t last_rtcp_len;
};

struct tmedia {
	struct mq *events;
	struct media *m;
};

static inline uint64_t tp_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static inline void tp_sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static inline int tp_bind(uint16_t port, uint16_t *bound)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int big = 1 << 20;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(port);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	getsockname(fd, (struct sockaddr *)&sa, &len);
	*bound = ntohs(sa.sin_port);
	return fd;
}

/* Opens a peer with an RTP socket on an even port and its RTCP socket on the next one. */
/* The payload type the tests give a codec: static ones, 111 for Opus (as Chromium). */
static inline uint8_t tp_pt(enum media_codec codec)
{
	return codec == MEDIA_CODEC_PCMA   ? 8
	       : codec == MEDIA_CODEC_G722 ? 9
	       : codec == MEDIA_CODEC_OPUS ? 111
					   : 0;
}

static inline void tp_open(struct tpeer *p, enum media_codec codec, double freq)
{
	memset(p, 0, sizeof(*p));
	for (int tries = 0; tries < 200; tries++) {
		uint16_t port, port2;
		int fd = tp_bind(0, &port);

		if (fd < 0)
			continue;
		if (port & 1) {
			close(fd);
			continue;
		}
		int rfd = tp_bind((uint16_t)(port + 1), &port2);

		if (rfd < 0) {
			close(fd);
			continue;
		}
		p->fd = fd;
		p->rtcp_fd = rfd;
		p->port = port;
		break;
	}
	assert_true(p->port != 0);
	p->codec = codec;
	p->pt = tp_pt(codec);
	p->freq = freq;
	p->seq = (uint16_t)(65500 + p->port % 30); /* wraps during the tests */
	p->ts = 0xFFFFF000u - p->port;		   /* so does the timestamp */
	p->ssrc = 0x1000u + p->port;
	p->pkts = calloc(TP_MAX_PKTS, sizeof(*p->pkts));
	if (codec == MEDIA_CODEC_G722)
		p->enc = media__g722_enc_new();
	if (codec == MEDIA_CODEC_OPUS)
		assert_int_equal(media__opus_enc_new(&p->opus_enc), 0);
}

static inline void tp_close(struct tpeer *p)
{
	close(p->fd);
	close(p->rtcp_fd);
	free(p->pkts);
	media__g722_enc_free(p->enc);
	media__opus_enc_free(p->opus_enc);
	memset(p, 0, sizeof(*p));
}

static inline void tp_send_raw(struct tpeer *p, uint16_t to_port, const void *buf, size_t len)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons(to_port);
	assert_int_equal(sendto(p->fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)),
			 (ssize_t)len);
}

static inline void tp_send(struct tpeer *p, uint8_t pt, bool marker, uint32_t ts,
			   const uint8_t *payload, size_t len)
{
	uint8_t buf[600];

	media__rtp_write(buf, pt, marker, p->seq++, ts, p->ssrc);
	memcpy(buf + 12, payload, len);
	tp_send_raw(p, p->to_port, buf, 12 + len);
}

/* One 20 ms packet of the peer's tone (silence when freq is 0). */
static inline void tp_send_audio(struct tpeer *p)
{
	unsigned rate = media__codec_rate(p->codec), n = rate / 50;
	int16_t pcm[320];
	uint8_t payload[MEDIA__OPUS_MAX];
	size_t len;

	for (unsigned i = 0; i < n; i++) {
		pcm[i] = (int16_t)(p->freq ? 8000 * sin(p->phase) : 0);
		p->phase += 2 * M_PI * p->freq / rate;
	}
	p->phase = fmod(p->phase, 2 * M_PI);
	len = media__encode(p->codec,
			    p->codec == MEDIA_CODEC_OPUS ? (void *)p->opus_enc : (void *)p->enc,
			    pcm, n, payload);
	if (p->drop_one) {
		p->drop_one = false;
		p->seq++;
	} else {
		tp_send(p, p->pt, false, p->ts, payload, len);
	}
	p->ts += (uint32_t)media__codec_clock(p->codec) / 50;
}

static inline void tp_drain(struct tpeer *p)
{
	uint8_t buf[1600];
	ssize_t n;

	while ((n = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		struct media__rtp h;

		if (media__rtp_parse(buf, (size_t)n, &h) != 0 || p->npkts == TP_MAX_PKTS)
			continue;
		struct tpkt *k = &p->pkts[p->npkts++];

		k->pt = h.pt;
		k->marker = h.marker;
		k->seq = h.seq;
		k->ts = h.ts;
		k->ssrc = h.ssrc;
		k->len = h.payload_len < sizeof(k->payload) ? h.payload_len : sizeof(k->payload);
		memcpy(k->payload, buf + h.hdr_len, k->len);
	}
	while ((n = recv(p->rtcp_fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		p->rtcp_packets++;
		p->last_rtcp_len =
		    (size_t)n < sizeof(p->last_rtcp) ? (size_t)n : sizeof(p->last_rtcp);
		memcpy(p->last_rtcp, buf, p->last_rtcp_len);
	}
}

/* Runs `ticks` 20 ms ticks: active peers send one packet each, all peers drain. */
static inline void tp_run(struct tpeer **peers, int n, int ticks)
{
	uint64_t next = tp_now_us();

	for (int t = 0; t < ticks; t++) {
		for (int i = 0; i < n; i++)
			if (peers[i]->active)
				tp_send_audio(peers[i]);
		next += 20000;
		for (;;) {
			for (int i = 0; i < n; i++)
				tp_drain(peers[i]);
			uint64_t now = tp_now_us();

			if (now >= next)
				break;
			tp_sleep_ms(
			    (unsigned)((next - now) / 1000 > 5 ? 5 : (next - now) / 1000 + 1));
		}
	}
}

static inline void tp_reset(struct tpeer *p)
{
	p->npkts = 0;
}

/* Decodes the audio packets received with payload type `pt` (in arrival order). */
static inline size_t tp_decode(const struct tpeer *p, uint8_t pt, enum media_codec codec,
			       int16_t *out, size_t max)
{
	struct g722_decode_state_s *g722 = codec == MEDIA_CODEC_G722 ? media__g722_dec_new() : NULL;
	struct media__opus_dec *opus = NULL;
	void *dec = g722;
	size_t n = 0;

	if (codec == MEDIA_CODEC_OPUS) {
		assert_int_equal(media__opus_dec_new(&opus), 0);
		dec = opus;
	}
	for (size_t i = 0; i < p->npkts; i++) {
		int16_t pcm[MEDIA__FRAME_MAX];
		unsigned k;

		if (p->pkts[i].pt != pt)
			continue;
		k = media__decode(codec, dec, p->pkts[i].payload, p->pkts[i].len, pcm);
		if (n + k > max)
			break;
		memcpy(out + n, pcm, k * sizeof(int16_t));
		n += k;
	}
	media__g722_dec_free(g722);
	media__opus_dec_free(opus);
	return n;
}

static inline double tp_goertzel(const int16_t *x, size_t n, size_t stride, double freq,
				 double rate)
{
	double k = 2.0 * cos(2.0 * M_PI * freq / rate), s1 = 0, s2 = 0;

	for (size_t i = 0; i < n; i++) {
		double s0 = x[i * stride] + k * s1 - s2;

		s2 = s1;
		s1 = s0;
	}
	return (s1 * s1 + s2 * s2 - k * s1 * s2) / ((double)n * n);
}

static inline void tm_start(struct tmedia *t, uint16_t port_min, uint16_t port_max,
			    unsigned workers, uint32_t rtp_timeout_ms)
{
	struct media_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	inet_pton(AF_INET, "127.0.0.1", &cfg.address);
	cfg.port_min = port_min;
	cfg.port_max = port_max;
	cfg.workers = workers;
	cfg.max_sessions = 64;
	cfg.rtp_timeout_ms = rtp_timeout_ms;
	/* CENTRALA_RTP_IO picks the packet path (ctest runs each media test on both). */
	if (getenv("CENTRALA_RTP_IO"))
		assert_int_equal(media_io_parse(getenv("CENTRALA_RTP_IO"), &cfg.io), 0);
	if (getenv("CENTRALA_RTP_KERNEL"))
		assert_int_equal(
		    media_kernel_parse(getenv("CENTRALA_RTP_KERNEL"), &cfg.kernel_relay), 0);
	assert_int_equal(mq_alloc(&t->events, 1024), 0);
	assert_int_equal(media_create(&cfg, t->events, &t->m), 0);
	if (cfg.io != MEDIA_IO_AUTO)
		assert_int_equal(media_io_path(t->m), cfg.io);
}

static inline void tm_stop(struct tmedia *t)
{
	media_destroy(t->m);
	mq_free(t->events);
	t->m = NULL;
	t->events = NULL;
}

static inline struct media_params tm_params(const struct tpeer *peer, enum media_codec codec,
					    uint8_t dtmf_pt)
{
	struct media_params p;

	memset(&p, 0, sizeof(p));
	p.remote.sin_family = AF_INET;
	p.remote.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p.remote.sin_port = htons(peer ? peer->port : 9);
	p.codec = codec;
	p.pt = tp_pt(codec);
	p.dtmf_pt = dtmf_pt;
	p.ptime_ms = 20;
	p.dir = MEDIA_DIR_SENDRECV;
	return p;
}

/* A session facing `peer` (which then sends to it). */
static inline struct media_session *tm_session(struct tmedia *t, uint64_t owner,
					       struct media_session *near, struct tpeer *peer,
					       enum media_codec codec, uint8_t dtmf_pt)
{
	struct media_session *s = NULL;
	struct media_params p = tm_params(peer, codec, dtmf_pt);

	assert_int_equal(media_session_alloc(t->m, owner, near, &s), 0);
	assert_int_equal(media_session_set(s, &p), 0);
	if (peer)
		peer->to_port = media_session_port(s);
	return s;
}

/* Waits for an event of `type` (others are discarded). */
static inline bool tm_wait(struct tmedia *t, enum media_event_type type, unsigned timeout_ms,
			   struct media_event *out)
{
	uint64_t end = tp_now_us() + (uint64_t)timeout_ms * 1000;
	union {
		struct media_event ev;
		unsigned char raw[MQ_MSG_MAX];
	} buf;

	for (;;) {
		while (mq_pop(t->events, buf.raw) > 0) {
			if (buf.ev.type == type) {
				if (out)
					*out = buf.ev;
				return true;
			}
		}
		uint64_t now = tp_now_us();

		if (now >= end)
			return false;
		struct pollfd pfd = {.fd = mq_fd(t->events), .events = POLLIN};

		poll(&pfd, 1, (int)((end - now) / 1000) + 1);
		mq_drain_fd(t->events);
	}
}

/* Counts events of `type` already queued or arriving within `ms`. */
static inline unsigned tm_count(struct tmedia *t, enum media_event_type type, unsigned ms)
{
	unsigned n = 0;

	while (tm_wait(t, type, ms, NULL))
		n++;
	return n;
}

#endif
