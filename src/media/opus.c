/*
 * Opus (RFC 6716, RTP payload RFC 7587) through Debian's libopus. The RTP clock of Opus
 * is always 48 kHz, but the media engine's audio is narrowband: encoders and decoders
 * are made at 8 kHz (libopus resamples internally), so a bridge to a G.711 leg needs no
 * resampler of ours, and timestamps are scaled by six between the two clocks (rx.c).
 * Encoder, decoder and repacketizer are allocated when a session's codec becomes Opus,
 * never per packet. A lost packet is concealed: from the in-band FEC of the packet that
 * follows it when there is one, by libopus's packet loss concealment otherwise.
 */
#include "media/media_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <opus.h>

#define OPUS_BITRATE	20000 /* narrowband SILK with room for FEC */
#define OPUS_COMPLEXITY 5     /* about half the CPU of 10, little audible difference */
#define OPUS_LOSS_PERC	5     /* expected loss: makes the encoder add in-band FEC */
#define FRAME_10MS	80    /* samples at 8 kHz */

struct media__opus_enc {
	OpusEncoder *enc;
	OpusRepacketizer *rp;
	/* Frames of one packet longer than a single Opus frame may be (30 ms of G.711 is
	 * three 10 ms frames), encoded apart before the repacketizer joins them. */
	uint8_t frames[6][MEDIA__OPUS_MAX];
};

struct media__opus_dec {
	OpusDecoder *dec;
	unsigned last_samples; /* length of the last decoded frame: what a lost one lasted */
};

int media__opus_enc_new(struct media__opus_enc **out)
{
	struct media__opus_enc *e = calloc(1, sizeof(*e));
	int err = 0;

	if (!e)
		return ENOMEM;
	e->enc = opus_encoder_create(8000, 1, OPUS_APPLICATION_VOIP, &err);
	e->rp = opus_repacketizer_create();
	if (!e->enc || !e->rp || err != OPUS_OK) {
		media__opus_enc_free(e);
		return ENOMEM;
	}
	opus_encoder_ctl(e->enc, OPUS_SET_BITRATE(OPUS_BITRATE));
	opus_encoder_ctl(e->enc, OPUS_SET_COMPLEXITY(OPUS_COMPLEXITY));
	opus_encoder_ctl(e->enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
	opus_encoder_ctl(e->enc, OPUS_SET_INBAND_FEC(1));
	opus_encoder_ctl(e->enc, OPUS_SET_PACKET_LOSS_PERC(OPUS_LOSS_PERC));
	*out = e;
	return 0;
}

void media__opus_enc_free(struct media__opus_enc *e)
{
	if (!e)
		return;
	if (e->enc)
		opus_encoder_destroy(e->enc);
	if (e->rp)
		opus_repacketizer_destroy(e->rp);
	free(e);
}

int media__opus_dec_new(struct media__opus_dec **out)
{
	struct media__opus_dec *d = calloc(1, sizeof(*d));
	int err = 0;

	if (!d)
		return ENOMEM;
	d->dec = opus_decoder_create(8000, 1, &err);
	if (!d->dec || err != OPUS_OK) {
		media__opus_dec_free(d);
		return ENOMEM;
	}
	d->last_samples = 160;
	*out = d;
	return 0;
}

void media__opus_dec_free(struct media__opus_dec *d)
{
	if (!d)
		return;
	if (d->dec)
		opus_decoder_destroy(d->dec);
	free(d);
}

void media__opus_dec_reset(struct media__opus_dec *d)
{
	if (d) {
		opus_decoder_ctl(d->dec, OPUS_RESET_STATE);
		d->last_samples = 160;
	}
}

unsigned media__opus_samples(const uint8_t *payload, size_t len)
{
	int n;

	if (len == 0 || len > MEDIA__OPUS_MAX)
		return 0;
	n = opus_packet_get_nb_samples(payload, (opus_int32)len, 8000);
	return n > 0 && n <= MEDIA__FRAME_MAX ? (unsigned)n : 0;
}

unsigned media__opus_decode(struct media__opus_dec *d, const uint8_t *in, size_t len, int16_t *out,
			    unsigned max)
{
	int n;

	if (!d || len == 0 || len > MEDIA__OPUS_MAX || !media__opus_samples(in, len))
		return 0;
	n = opus_decode(d->dec, in, (opus_int32)len, out, (int)max, 0);
	if (n <= 0)
		return 0;
	d->last_samples = (unsigned)n;
	return (unsigned)n;
}

unsigned media__opus_conceal(struct media__opus_dec *d, const uint8_t *next, size_t next_len,
			     int16_t *out, unsigned max)
{
	unsigned want;
	int n;

	if (!d)
		return 0;
	want = d->last_samples;
	if (want > max)
		want = max;
	/* FEC data describes exactly the frame before `next`; libopus falls back to
	 * concealment by itself when `next` carries none. */
	if (next && next_len && next_len <= MEDIA__OPUS_MAX && media__opus_samples(next, next_len))
		n = opus_decode(d->dec, next, (opus_int32)next_len, out, (int)want, 1);
	else
		n = opus_decode(d->dec, NULL, 0, out, (int)want, 0);
	return n > 0 ? (unsigned)n : 0;
}

static bool frame_ok(unsigned n)
{
	/* 2.5, 5, 10, 20, 40 and 60 ms at 8 kHz. */
	return n == 20 || n == 40 || n == 80 || n == 160 || n == 320 || n == 480;
}

size_t media__opus_encode(struct media__opus_enc *e, const int16_t *in, unsigned n, uint8_t *out,
			  size_t max)
{
	opus_int32 r;
	unsigned nf;

	if (!e || n == 0)
		return 0;
	if (frame_ok(n)) {
		r = opus_encode(e->enc, in, (int)n, out, (opus_int32)max);
		return r > 0 ? (size_t)r : 0;
	}
	/* Other lengths that are whole 10 ms frames (30 or 50 ms of G.711): one packet of
	 * several frames. Anything else cannot be said in Opus. */
	if (n % FRAME_10MS || (nf = n / FRAME_10MS) > 6)
		return 0;
	opus_repacketizer_init(e->rp);
	for (unsigned i = 0; i < nf; i++) {
		r = opus_encode(e->enc, in + i * FRAME_10MS, FRAME_10MS, e->frames[i],
				MEDIA__OPUS_MAX);
		if (r <= 0 || opus_repacketizer_cat(e->rp, e->frames[i], r) != OPUS_OK)
			return 0;
	}
	r = opus_repacketizer_out(e->rp, out, (opus_int32)max);
	return r > 0 ? (size_t)r : 0;
}
