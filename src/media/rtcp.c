/*
 * RTCP (RFC 3550 section 6): building our SR or RR with an SDES CNAME, and parsing what
 * peers send, for statistics (loss, jitter, round-trip time). Pure functions, fuzzed by
 * fuzz/rtp.c.
 */
#include "media/media_int.h"

#include <errno.h>
#include <string.h>

#define RTCP_SR	  200
#define RTCP_RR	  201
#define RTCP_SDES 202
#define RTCP_BYE  203

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void parse_blocks(const uint8_t *p, unsigned count, struct media__rtcp_info *out)
{
	for (unsigned i = 0; i < count && out->nrb < 4; i++, p += 24) {
		struct media__rtcp_rb *rb = &out->rb[out->nrb++];
		uint32_t lost = rd32(p + 4) & 0xFFFFFF;

		rb->ssrc = rd32(p);
		rb->fraction = p[4];
		rb->lost = (lost & 0x800000) ? (int32_t)(lost | 0xFF000000u) : (int32_t)lost;
		rb->ext_max = rd32(p + 8);
		rb->jitter = rd32(p + 12);
		rb->lsr = rd32(p + 16);
		rb->dlsr = rd32(p + 20);
	}
}

int media__rtcp_parse(const uint8_t *buf, size_t len, struct media__rtcp_info *out)
{
	struct media__rtcp_info info;
	size_t off = 0;
	bool first = true;

	memset(&info, 0, sizeof(info));
	if (len < 8)
		return EINVAL;
	while (off < len) {
		const uint8_t *p = buf + off;
		size_t plen;
		unsigned count;
		uint8_t pt;

		if (len - off < 4 || (p[0] >> 6) != 2)
			return EINVAL;
		count = p[0] & 0x1F;
		pt = p[1];
		plen = ((size_t)rd16(p + 2) + 1) * 4;
		if (plen > len - off)
			return EINVAL;
		if (first && pt != RTCP_SR && pt != RTCP_RR)
			return EINVAL;
		if (pt == RTCP_SR) {
			if (plen < 28 + 24u * count)
				return EINVAL;
			if (first) {
				info.has_sr = true;
				info.ssrc = rd32(p + 4);
				info.ntp_mid = rd32(p + 10);
				info.sr_rtp_ts = rd32(p + 16);
				info.sr_packets = rd32(p + 20);
				info.sr_octets = rd32(p + 24);
			}
			parse_blocks(p + 28, count, &info);
		} else if (pt == RTCP_RR) {
			if (plen < 8 + 24u * count)
				return EINVAL;
			if (first)
				info.ssrc = rd32(p + 4);
			parse_blocks(p + 8, count, &info);
		} else if (pt == RTCP_BYE) {
			info.bye = true;
		}
		first = false;
		off += plen;
	}
	*out = info;
	return 0;
}

static size_t write_block(uint8_t *p, const struct media__rtcp_rb *rb)
{
	wr32(p, rb->ssrc);
	wr32(p + 4, (uint32_t)rb->fraction << 24 | ((uint32_t)rb->lost & 0xFFFFFF));
	wr32(p + 8, rb->ext_max);
	wr32(p + 12, rb->jitter);
	wr32(p + 16, rb->lsr);
	wr32(p + 20, rb->dlsr);
	return 24;
}

size_t media__rtcp_build(uint8_t *buf, size_t size, const struct media__rtcp_report *r)
{
	size_t cname_len = r->cname ? strlen(r->cname) : 0;
	size_t first = (r->sender ? 28 : 8) + (r->has_rb ? 24 : 0);
	/* SDES: header, SSRC, CNAME item (type, length, text), then 1-4 zero bytes. */
	size_t sdes, n = 0;

	if (cname_len > 255)
		cname_len = 255;
	sdes = (8 + 2 + cname_len + 4) & ~(size_t)3;
	if (size < first + sdes + (r->bye ? 8 : 0))
		return 0;
	buf[0] = (uint8_t)(0x80 | (r->has_rb ? 1 : 0));
	buf[1] = r->sender ? RTCP_SR : RTCP_RR;
	wr16(buf + 2, (uint16_t)(first / 4 - 1));
	wr32(buf + 4, r->ssrc);
	n = 8;
	if (r->sender) {
		wr32(buf + 8, (uint32_t)(r->ntp >> 32));
		wr32(buf + 12, (uint32_t)r->ntp);
		wr32(buf + 16, r->rtp_ts);
		wr32(buf + 20, r->packets);
		wr32(buf + 24, r->octets);
		n = 28;
	}
	if (r->has_rb)
		n += write_block(buf + n, &r->rb);
	buf[n] = 0x81;
	buf[n + 1] = RTCP_SDES;
	wr16(buf + n + 2, (uint16_t)(sdes / 4 - 1));
	wr32(buf + n + 4, r->ssrc);
	buf[n + 8] = 1; /* CNAME */
	buf[n + 9] = (uint8_t)cname_len;
	if (cname_len)
		memcpy(buf + n + 10, r->cname, cname_len);
	memset(buf + n + 10 + cname_len, 0, sdes - 10 - cname_len);
	n += sdes;
	if (r->bye) {
		buf[n] = 0x81;
		buf[n + 1] = RTCP_BYE;
		wr16(buf + n + 2, 1);
		wr32(buf + n + 4, r->ssrc);
		n += 8;
	}
	return n;
}

uint64_t media__ntp_from_us(uint64_t epoch_us)
{
	uint64_t sec = epoch_us / 1000000u + 2208988800u;
	uint64_t frac = ((epoch_us % 1000000u) << 32) / 1000000u;

	return sec << 32 | frac;
}
