/*
 * libFuzzer harness for the parsers of the media engine that read what the network
 * sends: RTP headers, RTCP compound packets, RFC 4733 telephone-event payloads and the
 * digit receiver state machine fed with a sequence of events. See fuzz/README.md.
 */
#include "media/media_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct media__rtp h;
	struct media__rtcp_info info;
	struct media__te te;
	struct media__dtmf_rx rx;
	struct media__dtmf_out out;
	uint64_t now = 0;

	if (media__rtp_parse(data, size, &h) == 0) {
		if (h.hdr_len < 12 || h.hdr_len + h.payload_len > size)
			abort();
		if (media__te_parse(data + h.hdr_len, h.payload_len, &te) == 0)
			(void)media__te_digit(te.event);
	}
	(void)media__is_rtcp(data, size);
	if (media__rtcp_parse(data, size, &info) == 0 && info.nrb > 4)
		abort();

	/* The digit receiver over a sequence of (timestamp, event) records. */
	memset(&rx, 0, sizeof(rx));
	for (size_t off = 0; off + 9 <= size; off += 9) {
		if (media__te_parse(data + off + 4, 4, &te) != 0)
			abort();
		media__dtmf_rx_packet(&rx, rd32(data + off), &te, 8000, now, &out);
		if (out.ndigits > 2)
			abort();
		for (unsigned i = 0; i < out.ndigits; i++)
			if (!strchr("0123456789*#ABCD", out.digit[i]) || !out.digit[i])
				abort();
		now += data[off + 8];
		media__dtmf_rx_expire(&rx, 8000, now, 800, &out);
	}
	return 0;
}
