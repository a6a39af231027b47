/*
 * RTP (RFC 3550) headers, receive sequence tracking across the 16-bit wrap, and the
 * interarrival jitter estimate. Pure functions: no I/O, no allocation; the fuzz harness
 * in fuzz/rtp.c feeds them arbitrary bytes.
 */
#include "media/media_int.h"

#include <errno.h>
#include <string.h>

#define MAX_DROPOUT  3000
#define MAX_MISORDER 100
#define SEQ_MOD	     (1u << 16)

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int media__rtp_parse(const uint8_t *buf, size_t len, struct media__rtp *out)
{
	size_t hdr, pad = 0;

	if (len < 12 || (buf[0] >> 6) != 2)
		return EINVAL;
	hdr = 12 + 4u * (buf[0] & 0x0F);
	if (hdr > len)
		return EINVAL;
	if (buf[0] & 0x10) {
		/* Header extension: 16-bit profile, 16-bit length in 32-bit words. */
		if (hdr + 4 > len)
			return EINVAL;
		hdr += 4 + 4u * rd16(buf + hdr + 2);
		if (hdr > len)
			return EINVAL;
	}
	if (buf[0] & 0x20) {
		pad = buf[len - 1];
		if (pad == 0 || hdr + pad > len)
			return EINVAL;
	}
	out->pt = buf[1] & 0x7F;
	out->marker = (buf[1] & 0x80) != 0;
	out->seq = rd16(buf + 2);
	out->ts = rd32(buf + 4);
	out->ssrc = rd32(buf + 8);
	out->hdr_len = hdr;
	out->payload_len = len - hdr - pad;
	return 0;
}

size_t media__rtp_write(uint8_t *buf, uint8_t pt, bool marker, uint16_t seq, uint32_t ts,
			uint32_t ssrc)
{
	buf[0] = 0x80;
	buf[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7F));
	buf[2] = (uint8_t)(seq >> 8);
	buf[3] = (uint8_t)seq;
	buf[4] = (uint8_t)(ts >> 24);
	buf[5] = (uint8_t)(ts >> 16);
	buf[6] = (uint8_t)(ts >> 8);
	buf[7] = (uint8_t)ts;
	buf[8] = (uint8_t)(ssrc >> 24);
	buf[9] = (uint8_t)(ssrc >> 16);
	buf[10] = (uint8_t)(ssrc >> 8);
	buf[11] = (uint8_t)ssrc;
	return 12;
}

bool media__is_rtcp(const uint8_t *buf, size_t len)
{
	/* RFC 5761 4: RTCP packet types 192-223 cannot be RTP payload types 64-95 with the
	 * marker, which no one assigns. */
	return len >= 8 && (buf[0] >> 6) == 2 && buf[1] >= 192 && buf[1] <= 223;
}

void media__seq_init(struct media__seq *s, uint16_t seq)
{
	memset(s, 0, sizeof(*s));
	s->init = true;
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = SEQ_MOD + 1;
	s->received = 1;
}

enum media__seq_result media__seq_update(struct media__seq *s, uint16_t seq)
{
	uint16_t udelta;

	if (!s->init) {
		media__seq_init(s, seq);
		return MEDIA__SEQ_NEXT;
	}
	udelta = (uint16_t)(seq - s->max_seq);
	if (udelta == 0) {
		s->received++;
		return MEDIA__SEQ_LATE; /* duplicate of the newest */
	}
	if (udelta < MAX_DROPOUT) {
		if (seq < s->max_seq)
			s->cycles += SEQ_MOD; /* wrapped */
		s->max_seq = seq;
		s->received++;
		return MEDIA__SEQ_NEXT;
	}
	if (udelta <= SEQ_MOD - MAX_MISORDER) {
		/* A very large jump: believe it when the next packet follows it. */
		if (seq == s->bad_seq) {
			uint32_t expected_prior = s->expected_prior,
				 received_prior = s->received_prior;

			media__seq_init(s, seq);
			s->expected_prior = expected_prior;
			s->received_prior = received_prior;
			return MEDIA__SEQ_RESTART;
		}
		s->bad_seq = (seq + 1u) & (SEQ_MOD - 1);
		return MEDIA__SEQ_BAD;
	}
	s->received++;
	return MEDIA__SEQ_LATE;
}

uint32_t media__seq_expected(const struct media__seq *s)
{
	return media__seq_ext_max(s) - s->base_seq + 1;
}

int32_t media__seq_lost(const struct media__seq *s)
{
	int64_t lost = (int64_t)media__seq_expected(s) - (int64_t)s->received;

	/* RFC 3550 6.4.1: clamped to the signed 24-bit field. */
	if (lost > 0x7FFFFF)
		lost = 0x7FFFFF;
	if (lost < -0x800000)
		lost = -0x800000;
	return (int32_t)lost;
}

void media__jitter_update(uint32_t *jitter_q4, int32_t *last_transit, bool *have,
			  uint32_t arrival_ts, uint32_t rtp_ts)
{
	int32_t transit = (int32_t)(arrival_ts - rtp_ts);
	int32_t d;

	if (!*have) {
		*have = true;
		*last_transit = transit;
		return;
	}
	d = transit - *last_transit;
	*last_transit = transit;
	if (d < 0)
		d = -d;
	/* Large steps (a restarted source) would poison the estimate for a long time. */
	if (d > 8000 * 10)
		return;
	*jitter_q4 += (uint32_t)d - ((*jitter_q4 + 8) >> 4);
}
