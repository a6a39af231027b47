/*
 * libFuzzer harness for the Opus receive path: arbitrary payloads given to the decoder
 * as a bridge does (media__decode, its concealment with and without the next packet's
 * FEC) and to the jitter buffer of a recorded or mixed Opus leg, frames pulled as the
 * tick does. Each input is a list of length-prefixed payloads; a zero-length one stands
 * for a lost packet (concealed from the next one's FEC) and a tick.
 */
#include "media/media_int.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct media__opus_dec *dec;
	struct media__jbuf *j;
	int16_t pcm[MEDIA__FRAME_MAX], frame[320];
	uint32_t ts = 0;
	uint16_t seq = 0;
	bool lost = false;

	if (media__opus_dec_new(&dec) != 0)
		return 0;
	if (media__jbuf_new(MEDIA_CODEC_OPUS, size && data[0] & 1 ? 16000 : 8000, &j) != 0) {
		media__opus_dec_free(dec);
		return 0;
	}
	for (size_t off = 1; off + 2 <= size;) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		unsigned n;

		off += 2;
		if (len == 0 || len > size - off) {
			lost = true;
			media__jbuf_get(j, frame);
			continue;
		}
		if (lost)
			(void)media__opus_conceal(dec, data + off, len, pcm, MEDIA__FRAME_MAX);
		lost = false;
		n = media__decode(MEDIA_CODEC_OPUS, dec, data + off, len, pcm);
		if (n > MEDIA__FRAME_MAX || (n && n != media__opus_samples(data + off, len)))
			abort();
		media__jbuf_put(j, 0x1234, ts, seq++, data + off, len);
		ts += n ? n * 6 : 960;
		off += len;
	}
	(void)media__opus_conceal(dec, NULL, 0, pcm, MEDIA__FRAME_MAX);
	for (int i = 0; i < 4; i++)
		media__jbuf_get(j, frame);
	if (j->free_top > MEDIA__JB_SLOTS)
		abort();
	media__jbuf_free(j);
	media__opus_dec_free(dec);
	return 0;
}
