/*
 * libFuzzer harness for the receive path behind mixing and recording: arbitrary RTP
 * packets (sequence numbers, timestamps, SSRCs, lengths) go through the parser into the
 * jitter buffer and its pool, and frames are pulled as the 20 ms tick would. Each input
 * is a list of length-prefixed datagrams; a zero-length one stands for a tick.
 */
#include "media/media_int.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct media__jbuf *j;
	int16_t frame[320];
	enum media_codec codec;

	if (!init) {
		media__g711_init();
		init = 1;
	}
	if (size < 1)
		return 0;
	codec = data[0] % 3 == 0   ? MEDIA_CODEC_PCMU
		: data[0] % 3 == 1 ? MEDIA_CODEC_PCMA
				   : MEDIA_CODEC_G722;
	if (media__jbuf_new(codec, data[0] & 0x80 ? 16000 : 8000, &j) != 0)
		return 0;
	for (size_t off = 1; off + 2 <= size;) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		struct media__rtp h;

		off += 2;
		if (len == 0 || len > size - off) {
			media__jbuf_get(j, frame);
			continue;
		}
		if (media__rtp_parse(data + off, len, &h) == 0)
			media__jbuf_put(j, h.ssrc, h.ts, h.seq, data + off + h.hdr_len,
					h.payload_len);
		off += len;
	}
	for (int i = 0; i < 4; i++)
		media__jbuf_get(j, frame);
	if (j->free_top > MEDIA__JB_SLOTS)
		abort();
	media__jbuf_free(j);
	return 0;
}
