/*
 * Codec layer: RTP payloads to and from linear PCM for G.711 (the tables of g711.c),
 * G.722 (spandsp) and Opus (opus.c), and the speexdsp resamplers used where 8 kHz meets 16 kHz.
 * Codec and resampler states are created when a session's codec or consumers need them, never per
 * packet.
 */
#include "media/media_int.h"

#include <errno.h>
#include <spandsp/telephony.h>
#include <spandsp/g722.h>

#define RESAMPLE_QUALITY SPEEX_RESAMPLER_QUALITY_VOIP

unsigned media__decode(enum media_codec c, void *dec, const uint8_t *in, size_t len, int16_t *out)
{
	switch (c) {
	case MEDIA_CODEC_PCMU:
		for (size_t i = 0; i < len; i++)
			out[i] = media__ulaw2lin[in[i]];
		return (unsigned)len;
	case MEDIA_CODEC_PCMA:
		for (size_t i = 0; i < len; i++)
			out[i] = media__alaw2lin[in[i]];
		return (unsigned)len;
	case MEDIA_CODEC_G722:
		if (!dec)
			return 0;
		if (len > MEDIA__FRAME_MAX / 2)
			return 0;
		return (unsigned)g722_decode(dec, out, in, (int)len);
	case MEDIA_CODEC_OPUS:
		return media__opus_decode(dec, in, len, out, MEDIA__FRAME_MAX);
	default:
		return 0;
	}
}

size_t media__encode(enum media_codec c, void *enc, const int16_t *in, unsigned n, uint8_t *out)
{
	switch (c) {
	case MEDIA_CODEC_PCMU:
		for (unsigned i = 0; i < n; i++)
			out[i] = media__ulaw_enc(in[i]);
		return n;
	case MEDIA_CODEC_PCMA:
		for (unsigned i = 0; i < n; i++)
			out[i] = media__alaw_enc(in[i]);
		return n;
	case MEDIA_CODEC_G722:
		if (!enc)
			return 0;
		return (size_t)g722_encode(enc, out, in, (int)n);
	case MEDIA_CODEC_OPUS:
		return media__opus_encode(enc, in, n, out, MEDIA__OPUS_MAX);
	default:
		return 0;
	}
}

struct g722_encode_state_s *media__g722_enc_new(void)
{
	return g722_encode_init(NULL, 64000, 0);
}

struct g722_decode_state_s *media__g722_dec_new(void)
{
	return g722_decode_init(NULL, 64000, 0);
}

void media__g722_enc_free(struct g722_encode_state_s *s)
{
	if (s)
		g722_encode_free(s);
}

void media__g722_dec_free(struct g722_decode_state_s *s)
{
	if (s)
		g722_decode_free(s);
}

int media__codec_state_ensure(struct media_session *s)
{
	if (s->p.codec == MEDIA_CODEC_G722) {
		if (!s->g722_enc)
			s->g722_enc = media__g722_enc_new();
		if (!s->g722_dec)
			s->g722_dec = media__g722_dec_new();
		return s->g722_enc && s->g722_dec ? 0 : ENOMEM;
	}
	if (s->p.codec == MEDIA_CODEC_OPUS) {
		if (!s->opus_enc && media__opus_enc_new(&s->opus_enc))
			return ENOMEM;
		if (!s->opus_dec && media__opus_dec_new(&s->opus_dec))
			return ENOMEM;
	}
	return 0;
}

void media__codec_state_free(struct media_session *s)
{
	media__g722_enc_free(s->g722_enc);
	media__g722_dec_free(s->g722_dec);
	media__opus_enc_free(s->opus_enc);
	media__opus_dec_free(s->opus_dec);
	s->g722_enc = NULL;
	s->g722_dec = NULL;
	s->opus_enc = NULL;
	s->opus_dec = NULL;
}

int media__rs_ensure(SpeexResamplerState **rs, unsigned in, unsigned out)
{
	spx_uint32_t cur_in, cur_out;
	int err;

	if (*rs) {
		speex_resampler_get_rate(*rs, &cur_in, &cur_out);
		if (cur_in == in && cur_out == out)
			return 0;
		speex_resampler_set_rate(*rs, in, out);
		speex_resampler_reset_mem(*rs);
		return 0;
	}
	*rs = speex_resampler_init(1, in, out, RESAMPLE_QUALITY, &err);
	if (!*rs)
		return ENOMEM;
	/* The filter's initial zeros are kept: every 20 ms in gives exactly 20 ms out, which
	 * the fixed frames of mixers and recorders rely on (the cost is ~2 ms of delay). */
	return 0;
}

void media__rs_free(SpeexResamplerState **rs)
{
	if (*rs) {
		speex_resampler_destroy(*rs);
		*rs = NULL;
	}
}

unsigned media__rs_run(SpeexResamplerState *rs, const int16_t *in, unsigned n, int16_t *out,
		       unsigned max)
{
	spx_uint32_t in_len = n, out_len = max;

	speex_resampler_process_int(rs, 0, in, &in_len, out, &out_len);
	return out_len;
}
