/*
 * The jitter buffer used wherever audio is decoded for mixing or recording: reordered
 * packets come out in timestamp order, missing ones as silence, a restarted source is
 * followed, and the output rate is what the consumer asked for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/media_int.h"

#include <string.h>

static int setup(void **state)
{
	(void)state;
	media__g711_init();
	return 0;
}

/* A 20 ms µ-law packet whose every sample decodes to `level`. */
static void put_level(struct media__jbuf *j, uint32_t ssrc, uint16_t seq, uint32_t ts,
		      int16_t level)
{
	uint8_t payload[160];

	memset(payload, media__ulaw_enc(level), sizeof(payload));
	media__jbuf_put(j, ssrc, ts, seq, payload, sizeof(payload));
}

static int16_t level_of(const int16_t *frame, unsigned n)
{
	for (unsigned i = 1; i < n; i++)
		if (frame[i] != frame[0])
			return -1; /* mixed frame */
	return frame[0];
}

static const int16_t levels[] = {1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000};

static void test_reordered_packets_come_out_in_order(void **state)
{
	struct media__jbuf *j;
	int16_t frame[160];
	int order[8] = {0, 2, 1, 3, 5, 4, 7, 6};
	int16_t expect[8];

	(void)state;
	for (int i = 0; i < 8; i++)
		expect[i] = media__ulaw2lin[media__ulaw_enc(levels[i])];
	assert_int_equal(media__jbuf_new(MEDIA_CODEC_PCMU, 8000, &j), 0);
	/* All eight arrive at once, shuffled; the reader then takes one per tick. */
	for (int i = 0; i < 8; i++) {
		int k = order[i];

		put_level(j, 42, (uint16_t)(65533 + k), 0xFFFFFC00u + (uint32_t)k * 160, levels[k]);
	}
	for (int i = 0; i < 8; i++) {
		media__jbuf_get(j, frame);
		assert_int_equal(level_of(frame, 160), expect[i]);
	}
	media__jbuf_free(j);
}

static void test_missing_packet_becomes_silence(void **state)
{
	struct media__jbuf *j;
	int16_t frame[160];

	(void)state;
	assert_int_equal(media__jbuf_new(MEDIA_CODEC_PCMU, 8000, &j), 0);
	put_level(j, 1, 10, 1600, 3000);
	put_level(j, 1, 12, 1920, 5000); /* 11 lost */
	media__jbuf_get(j, frame);
	assert_true(level_of(frame, 160) > 2800);
	media__jbuf_get(j, frame);
	assert_int_equal(level_of(frame, 160), 0);
	media__jbuf_get(j, frame);
	assert_true(level_of(frame, 160) > 4800);
	media__jbuf_free(j);
}

static void test_empty_buffer_gives_silence(void **state)
{
	struct media__jbuf *j;
	int16_t frame[320];

	(void)state;
	assert_int_equal(media__jbuf_new(MEDIA_CODEC_PCMA, 16000, &j), 0);
	memset(frame, 0x55, sizeof(frame));
	media__jbuf_get(j, frame);
	assert_int_equal(level_of(frame, 320), 0);
	media__jbuf_free(j);
}

static void test_steady_stream_passes_every_packet(void **state)
{
	struct media__jbuf *j;
	int16_t frame[160];
	unsigned silent = 0;

	(void)state;
	assert_int_equal(media__jbuf_new(MEDIA_CODEC_PCMU, 8000, &j), 0);
	/* One packet per tick, as a live call delivers them, for 10 s. */
	for (uint32_t i = 0; i < 500; i++) {
		put_level(j, 9, (uint16_t)i, i * 160, levels[i % 8]);
		media__jbuf_get(j, frame);
		if (level_of(frame, 160) == 0)
			silent++;
	}
	assert_true(silent <= 2);			 /* only while the buffer settles */
	assert_true(j->free_top >= MEDIA__JB_SLOTS - 3); /* the pool does not leak slots */
	media__jbuf_free(j);
}

static void test_new_source_resets_the_buffer(void **state)
{
	struct media__jbuf *j;
	int16_t frame[160];

	(void)state;
	assert_int_equal(media__jbuf_new(MEDIA_CODEC_PCMU, 8000, &j), 0);
	put_level(j, 1, 100, 5000, 1000);
	media__jbuf_get(j, frame);
	/* A new SSRC with unrelated numbers (a re-INVITE, a transfer) is played at once. */
	put_level(j, 2, 7, 900000, 6000);
	media__jbuf_get(j, frame);
	assert_true(level_of(frame, 160) > 5800);
	media__jbuf_free(j);
}

static void test_output_follows_consumer_rate(void **state)
{
	struct media__jbuf *j;
	int16_t frame[320];

	(void)state;
	assert_int_equal(media__jbuf_new(MEDIA_CODEC_PCMU, 16000, &j), 0);
	for (int i = 0; i < 5; i++)
		put_level(j, 1, (uint16_t)i, (uint32_t)i * 160, 4000);
	for (int i = 0; i < 5; i++)
		media__jbuf_get(j, frame);
	/* 8 kHz packets upsampled to 16 kHz frames: a steady level stays near itself. */
	assert_in_range(frame[200], 3700, 4300);
	assert_int_equal(media__jbuf_reconfigure(j, MEDIA_CODEC_G722, 16000), 0);
	assert_null(j->rs);
	media__jbuf_free(j);
}

static void test_pool_exhaustion_drops_instead_of_allocating(void **state)
{
	struct media__jbuf *j;

	(void)state;
	assert_int_equal(media__jbuf_new(MEDIA_CODEC_PCMU, 8000, &j), 0);
	for (int i = 0; i < MEDIA__JB_SLOTS + 5; i++)
		put_level(j, 1, (uint16_t)i, (uint32_t)i * 160, 1000);
	assert_int_equal(j->free_top, 0);
	assert_int_equal(j->late_or_lost, 5);
	media__jbuf_free(j); /* the held slots go back through the destroy callback */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reordered_packets_come_out_in_order),
	    cmocka_unit_test(test_missing_packet_becomes_silence),
	    cmocka_unit_test(test_empty_buffer_gives_silence),
	    cmocka_unit_test(test_steady_stream_passes_every_packet),
	    cmocka_unit_test(test_new_source_resets_the_buffer),
	    cmocka_unit_test(test_output_follows_consumer_rate),
	    cmocka_unit_test(test_pool_exhaustion_drops_instead_of_allocating),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
