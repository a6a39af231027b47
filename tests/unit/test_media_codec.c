/*
 * Codec tests: G.711 tables against spandsp's reference implementation, round trips,
 * direct µ-law/A-law conversion, G.722 through spandsp, Opus through libopus (a tone
 * through PCMU -> Opus -> PCMU, frame lengths, concealment of a loss), and the
 * resampler glue.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/media_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <spandsp/telephony.h>
#include <spandsp/bit_operations.h>
#include <spandsp/g711.h>

static double goertzel(const int16_t *x, size_t n, double freq, double rate)
{
	double k = 2.0 * cos(2.0 * M_PI * freq / rate), s1 = 0, s2 = 0;

	for (size_t i = 0; i < n; i++) {
		double s0 = x[i] + k * s1 - s2;

		s2 = s1;
		s1 = s0;
	}
	return (s1 * s1 + s2 * s2 - k * s1 * s2) / ((double)n * n);
}

static int setup(void **state)
{
	(void)state;
	media__g711_init();
	return 0;
}

static void test_ulaw_encoder_matches_spandsp_for_every_sample(void **state)
{
	(void)state;
	for (int x = -32768; x <= 32767; x++)
		assert_int_equal(media__ulaw_enc((int16_t)x), linear_to_ulaw(x));
}

static void test_alaw_encoder_matches_spandsp_for_every_sample(void **state)
{
	(void)state;
	for (int x = -32768; x <= 32767; x++)
		assert_int_equal(media__alaw_enc((int16_t)x), linear_to_alaw(x));
}

static void test_g711_decoders_match_spandsp(void **state)
{
	(void)state;
	for (int c = 0; c < 256; c++) {
		assert_int_equal(media__ulaw2lin[c], ulaw_to_linear((uint8_t)c));
		assert_int_equal(media__alaw2lin[c], alaw_to_linear((uint8_t)c));
	}
}

static void test_ulaw_round_trip_keeps_every_code(void **state)
{
	(void)state;
	for (int c = 0; c < 256; c++) {
		uint8_t back = media__ulaw_enc(media__ulaw2lin[c]);

		/* 0x7F is µ-law's negative zero: it decodes to 0, which encodes as +0. */
		if (c == 0x7F)
			assert_int_equal(back, 0xFF);
		else
			assert_int_equal(back, c);
	}
}

static void test_alaw_round_trip_keeps_every_code(void **state)
{
	(void)state;
	for (int c = 0; c < 256; c++)
		assert_int_equal(media__alaw_enc(media__alaw2lin[c]), c);
}

static void test_g711_known_values(void **state)
{
	(void)state;
	assert_int_equal(media__ulaw2lin[0x00], -32124);
	assert_int_equal(media__ulaw2lin[0x80], 32124);
	assert_int_equal(media__ulaw2lin[0xFF], 0);
	assert_int_equal(media__ulaw_enc(0), 0xFF);
	assert_int_equal(media__alaw2lin[0xD5], 8);
	assert_int_equal(media__alaw2lin[0x55], -8);
	assert_int_equal(media__alaw2lin[0xAA], 32256);
	assert_int_equal(media__alaw2lin[0x2A], -32256);
}

static void test_g711_quantisation_error_is_bounded(void **state)
{
	(void)state;
	/* The largest segment's step is 1024 (µ-law) / 1024 (A-law): the error stays
	 * within half of it plus the clipping at full scale. */
	for (int x = -32000; x <= 32000; x += 7) {
		int eu = media__ulaw2lin[media__ulaw_enc((int16_t)x)] - x;
		int ea = media__alaw2lin[media__alaw_enc((int16_t)x)] - x;

		assert_true(abs(eu) <= 1024);
		assert_true(abs(ea) <= 1024);
		/* Small signals are fine-grained: within 8 of the input. */
		if (abs(x) < 100) {
			assert_true(abs(eu) <= 8);
			assert_true(abs(ea) <= 8);
		}
	}
}

static void test_ulaw_alaw_direct_tables_follow_linear_path(void **state)
{
	(void)state;
	for (int c = 0; c < 256; c++) {
		assert_int_equal(media__ulaw2alaw[c], media__alaw_enc(media__ulaw2lin[c]));
		assert_int_equal(media__alaw2ulaw[c], media__ulaw_enc(media__alaw2lin[c]));
	}
}

static void test_codec_rates_and_sizes(void **state)
{
	(void)state;
	assert_int_equal(media__codec_rate(MEDIA_CODEC_PCMU), 8000);
	assert_int_equal(media__codec_rate(MEDIA_CODEC_PCMA), 8000);
	assert_int_equal(media__codec_rate(MEDIA_CODEC_G722), 16000);
	assert_int_equal(media__codec_samples(MEDIA_CODEC_PCMU, 160), 160);
	assert_int_equal(media__codec_samples(MEDIA_CODEC_G722, 160), 320);
}

static void test_pcmu_encode_decode_through_codec_layer(void **state)
{
	int16_t in[160], out[160];
	uint8_t payload[160];

	(void)state;
	for (int i = 0; i < 160; i++)
		in[i] = (int16_t)(8000 * sin(2 * M_PI * 1000 * i / 8000.0));
	assert_int_equal(media__encode(MEDIA_CODEC_PCMU, NULL, in, 160, payload), 160);
	assert_int_equal(media__decode(MEDIA_CODEC_PCMU, NULL, payload, 160, out), 160);
	for (int i = 0; i < 160; i++)
		assert_true(abs(out[i] - in[i]) <= 256);
}

static void test_g722_round_trip_keeps_a_tone(void **state)
{
	struct g722_encode_state_s *enc = media__g722_enc_new();
	struct g722_decode_state_s *dec = media__g722_dec_new();
	int16_t in[320], out[640];
	int16_t all[16000];
	uint8_t payload[320];
	size_t pos = 0;

	(void)state;
	assert_non_null(enc);
	assert_non_null(dec);
	for (int f = 0; f < 50; f++) {
		for (int i = 0; i < 320; i++)
			in[i] = (int16_t)(8000 * sin(2 * M_PI * 1000 * (f * 320 + i) / 16000.0));
		size_t len = media__encode(MEDIA_CODEC_G722, enc, in, 320, payload);

		assert_int_equal(len, 160); /* 64 kbit/s: 20 ms in 160 bytes */
		unsigned n = media__decode(MEDIA_CODEC_G722, dec, payload, len, out);

		assert_int_equal(n, 320);
		memcpy(all + pos, out, n * sizeof(int16_t));
		pos += n;
	}
	/* After the codec's start-up, the decoded audio is the same tone. */
	double on = goertzel(all + 3200, 12800, 1000, 16000);
	double off = goertzel(all + 3200, 12800, 3000, 16000);

	assert_true(on > 1e6);
	assert_true(on > off * 1000);
	media__g722_enc_free(enc);
	media__g722_dec_free(dec);
}

static void test_g722_carries_wideband_audio(void **state)
{
	struct g722_encode_state_s *enc = media__g722_enc_new();
	struct g722_decode_state_s *dec = media__g722_dec_new();
	int16_t in[320], out[320], all[16000];
	uint8_t payload[160];

	(void)state;
	/* 6 kHz is above what 8 kHz sampling can carry: only a wideband codec keeps it. */
	for (int f = 0; f < 50; f++) {
		for (int i = 0; i < 320; i++)
			in[i] = (int16_t)(6000 * sin(2 * M_PI * 6000 * (f * 320 + i) / 16000.0));
		media__encode(MEDIA_CODEC_G722, enc, in, 320, payload);
		media__decode(MEDIA_CODEC_G722, dec, payload, 160, out);
		memcpy(all + f * 320, out, sizeof(out));
	}
	assert_true(goertzel(all + 3200, 12800, 6000, 16000) > 1e5);
	media__g722_enc_free(enc);
	media__g722_dec_free(dec);
}

static void test_resampler_doubles_and_halves_frames(void **state)
{
	SpeexResamplerState *up = NULL, *down = NULL;
	int16_t in[160], mid[320], back[160], all[8000];

	(void)state;
	assert_int_equal(media__rs_ensure(&up, 8000, 16000), 0);
	assert_int_equal(media__rs_ensure(&down, 16000, 8000), 0);
	for (int f = 0; f < 50; f++) {
		for (int i = 0; i < 160; i++)
			in[i] = (int16_t)(8000 * sin(2 * M_PI * 440 * (f * 160 + i) / 8000.0));
		/* Every 20 ms in gives exactly 20 ms out: fixed frames rely on it. */
		assert_int_equal(media__rs_run(up, in, 160, mid, 320), 320);
		assert_int_equal(media__rs_run(down, mid, 320, back, 160), 160);
		memcpy(all + f * 160, back, sizeof(back));
	}
	assert_true(goertzel(all + 800, 7200, 440, 8000) >
		    100 * goertzel(all + 800, 7200, 1000, 8000));
	/* Re-rating an existing resampler keeps it. */
	SpeexResamplerState *same = up;
	assert_int_equal(media__rs_ensure(&up, 16000, 8000), 0);
	assert_ptr_equal(up, same);
	media__rs_free(&up);
	media__rs_free(&down);
	assert_null(up);
}

static double rms(const int16_t *x, size_t n)
{
	double e = 0;

	for (size_t i = 0; i < n; i++)
		e += (double)x[i] * x[i];
	return sqrt(e / (double)n);
}

/* A second of a 440 Hz tone as 50 PCMU packets, through Opus and back to PCMU, as a
 * bridge between a G.711 leg and an Opus leg transcodes it. */
static void test_opus_pcmu_round_trip_keeps_frequency_and_level(void **state)
{
	struct media__opus_enc *enc;
	struct media__opus_dec *dec;
	int16_t in[8000], out[8000];
	size_t n = 0;
	double level_in;

	(void)state;
	assert_int_equal(media__opus_enc_new(&enc), 0);
	assert_int_equal(media__opus_dec_new(&dec), 0);
	for (int i = 0; i < 8000; i++)
		in[i] = (int16_t)(8000 * sin(2 * M_PI * 440 * i / 8000.0));
	for (int f = 0; f < 50; f++) {
		uint8_t ulaw[160], opus[MEDIA__OPUS_MAX], back[160];
		int16_t pcm[MEDIA__FRAME_MAX];
		unsigned k;
		size_t len;

		assert_int_equal(media__encode(MEDIA_CODEC_PCMU, NULL, in + f * 160, 160, ulaw),
				 160);
		assert_int_equal(media__decode(MEDIA_CODEC_PCMU, NULL, ulaw, 160, pcm), 160);
		len = media__encode(MEDIA_CODEC_OPUS, enc, pcm, 160, opus);
		assert_true(len > 10 && len < 120); /* ~20 kbit/s */
		assert_int_equal(media__opus_samples(opus, len), 160);
		k = media__decode(MEDIA_CODEC_OPUS, dec, opus, len, pcm);
		assert_int_equal(k, 160);
		assert_int_equal(media__encode(MEDIA_CODEC_PCMU, NULL, pcm, k, back), 160);
		n += media__decode(MEDIA_CODEC_PCMU, NULL, back, 160, out + n);
	}
	assert_int_equal(n, 8000);
	/* After the codec's start-up: the tone, at its level (within 3 dB). */
	level_in = rms(in + 800, 7200);
	assert_true(goertzel(out + 800, 7200, 440, 8000) >
		    1000 * goertzel(out + 800, 7200, 1000, 8000));
	assert_true(rms(out + 800, 7200) > level_in * 0.7);
	assert_true(rms(out + 800, 7200) < level_in * 1.42);
	media__opus_enc_free(enc);
	media__opus_dec_free(dec);
}

static void test_opus_frame_lengths(void **state)
{
	struct media__opus_enc *enc;
	int16_t pcm[480] = {0};
	uint8_t out[MEDIA__OPUS_MAX];
	size_t len;

	(void)state;
	assert_int_equal(media__opus_enc_new(&enc), 0);
	/* 10, 20, 40, 60 ms are Opus frames; 30 ms (G.711 at ptime 30) is three 10 ms
	 * frames in one packet; 25 ms cannot be said. */
	for (unsigned n = 80; n <= 480; n += 80) {
		len = media__opus_encode(enc, pcm, n, out, sizeof(out));
		assert_true(len > 0);
		assert_int_equal(media__opus_samples(out, len), n);
	}
	assert_int_equal(media__opus_encode(enc, pcm, 200, out, sizeof(out)), 0);
	assert_int_equal(media__opus_samples((const uint8_t *)"", 0), 0);
	media__opus_enc_free(enc);
}

static void test_opus_loss_is_concealed(void **state)
{
	struct media__opus_enc *enc;
	struct media__opus_dec *dec;
	uint8_t pkt[20][MEDIA__OPUS_MAX];
	size_t len[20];
	int16_t in[3200], pcm[MEDIA__FRAME_MAX];
	unsigned k;

	(void)state;
	assert_int_equal(media__opus_enc_new(&enc), 0);
	assert_int_equal(media__opus_dec_new(&dec), 0);
	for (int i = 0; i < 3200; i++)
		in[i] = (int16_t)(8000 * sin(2 * M_PI * 440 * i / 8000.0));
	for (int f = 0; f < 20; f++) {
		len[f] = media__opus_encode(enc, in + f * 160, 160, pkt[f], MEDIA__OPUS_MAX);
		assert_true(len[f] > 0);
	}
	for (int f = 0; f < 10; f++)
		assert_int_equal(media__opus_decode(dec, pkt[f], len[f], pcm, MEDIA__FRAME_MAX),
				 160);
	/* Packet 10 lost: recovered from packet 11's FEC, a 20 ms frame of the tone. */
	k = media__opus_conceal(dec, pkt[11], len[11], pcm, MEDIA__FRAME_MAX);
	assert_int_equal(k, 160);
	assert_true(rms(pcm, k) > 2000);
	assert_true(goertzel(pcm, k, 440, 8000) > 10 * goertzel(pcm, k, 1000, 8000));
	assert_int_equal(media__opus_decode(dec, pkt[11], len[11], pcm, MEDIA__FRAME_MAX), 160);
	/* Packets 12 and 13 lost with nothing after them yet: concealment, not silence. */
	k = media__opus_conceal(dec, NULL, 0, pcm, MEDIA__FRAME_MAX);
	assert_int_equal(k, 160);
	assert_true(rms(pcm, k) > 1000);
	/* Junk is not a packet. */
	assert_int_equal(
	    media__opus_decode(dec, (const uint8_t *)"\xff\xff\xff", 3, pcm, MEDIA__FRAME_MAX), 0);
	media__opus_enc_free(enc);
	media__opus_dec_free(dec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ulaw_encoder_matches_spandsp_for_every_sample),
	    cmocka_unit_test(test_alaw_encoder_matches_spandsp_for_every_sample),
	    cmocka_unit_test(test_g711_decoders_match_spandsp),
	    cmocka_unit_test(test_ulaw_round_trip_keeps_every_code),
	    cmocka_unit_test(test_alaw_round_trip_keeps_every_code),
	    cmocka_unit_test(test_g711_known_values),
	    cmocka_unit_test(test_g711_quantisation_error_is_bounded),
	    cmocka_unit_test(test_ulaw_alaw_direct_tables_follow_linear_path),
	    cmocka_unit_test(test_codec_rates_and_sizes),
	    cmocka_unit_test(test_pcmu_encode_decode_through_codec_layer),
	    cmocka_unit_test(test_g722_round_trip_keeps_a_tone),
	    cmocka_unit_test(test_g722_carries_wideband_audio),
	    cmocka_unit_test(test_resampler_doubles_and_halves_frames),
	    cmocka_unit_test(test_opus_pcmu_round_trip_keeps_frequency_and_level),
	    cmocka_unit_test(test_opus_frame_lengths),
	    cmocka_unit_test(test_opus_loss_is_concealed),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
