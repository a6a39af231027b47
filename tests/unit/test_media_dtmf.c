/*
 * RFC 4733 telephone-events: the payload format, the receiver's once-per-digit
 * reporting whatever the network does to the packets, and the sender's packet sequence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/media_int.h"

#include <errno.h>
#include <string.h>

static struct media__te te(uint8_t event, bool end, uint16_t duration)
{
	struct media__te e = {event, end, 10, duration};

	return e;
}

static void test_te_payload_round_trips(void **state)
{
	struct media__te in = {11, true, 10, 1280}, out;
	uint8_t p[4];

	(void)state;
	media__te_write(p, &in);
	assert_int_equal(p[0], 11);
	assert_int_equal(p[1], 0x8A);
	assert_int_equal(p[2], 0x05);
	assert_int_equal(p[3], 0x00);
	assert_int_equal(media__te_parse(p, 4, &out), 0);
	assert_int_equal(out.event, 11);
	assert_true(out.end);
	assert_int_equal(out.volume, 10);
	assert_int_equal(out.duration, 1280);
	assert_int_equal(media__te_parse(p, 3, &out), EINVAL);
}

static void test_te_digit_mapping(void **state)
{
	(void)state;
	assert_int_equal(media__te_digit(0), '0');
	assert_int_equal(media__te_digit(9), '9');
	assert_int_equal(media__te_digit(10), '*');
	assert_int_equal(media__te_digit(11), '#');
	assert_int_equal(media__te_digit(15), 'D');
	assert_int_equal(media__te_digit(16), 0); /* flash */
	assert_int_equal(media__te_event('#'), 11);
	assert_int_equal(media__te_event('b'), 13);
	assert_int_equal(media__te_event('x'), -1);
}

static void test_rx_reports_digit_once_at_its_end(void **state)
{
	struct media__dtmf_rx r = {0};
	struct media__dtmf_out out;
	struct media__te e;
	unsigned reported = 0;

	(void)state;
	e = te(5, false, 160);
	media__dtmf_rx_packet(&r, 8000, &e, 8000, 0, &out);
	assert_true(out.started);
	assert_int_equal(out.ndigits, 0);
	for (uint16_t d = 320; d <= 640; d += 160) {
		e = te(5, false, d);
		media__dtmf_rx_packet(&r, 8000, &e, 8000, 0, &out);
		assert_false(out.started);
		assert_int_equal(out.ndigits, 0);
	}
	for (int i = 0; i < 3; i++) { /* the end, retransmitted twice */
		e = te(5, true, 800);
		media__dtmf_rx_packet(&r, 8000, &e, 8000, 0, &out);
		if (out.ndigits) {
			assert_int_equal(out.digit[0], '5');
			assert_int_equal(out.ms[0], 100);
		}
		reported += out.ndigits;
	}
	assert_int_equal(reported, 1);
}

static void test_rx_reports_digit_whose_start_was_lost(void **state)
{
	struct media__dtmf_rx r = {0};
	struct media__dtmf_out out;
	struct media__te e = te(11, true, 400);

	(void)state;
	media__dtmf_rx_packet(&r, 1000, &e, 8000, 0, &out);
	assert_true(out.started);
	assert_int_equal(out.ndigits, 1);
	assert_int_equal(out.digit[0], '#');
	assert_int_equal(out.ms[0], 50);
}

static void test_rx_reports_digit_whose_ends_were_lost_when_next_starts(void **state)
{
	struct media__dtmf_rx r = {0};
	struct media__dtmf_out out;
	struct media__te e = te(1, false, 480);

	(void)state;
	media__dtmf_rx_packet(&r, 1000, &e, 8000, 0, &out);
	e = te(2, true, 800);
	media__dtmf_rx_packet(&r, 3000, &e, 8000, 0, &out);
	assert_true(out.started);
	assert_int_equal(out.ndigits, 2);
	assert_int_equal(out.digit[0], '1');
	assert_int_equal(out.ms[0], 60);
	assert_int_equal(out.digit[1], '2');
}

static void test_rx_expires_event_without_end(void **state)
{
	struct media__dtmf_rx r = {0};
	struct media__dtmf_out out;
	struct media__te e = te(7, false, 320);

	(void)state;
	media__dtmf_rx_packet(&r, 1000, &e, 8000, 100, &out);
	media__dtmf_rx_expire(&r, 8000, 500, 800, &out);
	assert_int_equal(out.ndigits, 0);
	media__dtmf_rx_expire(&r, 8000, 900, 800, &out);
	assert_int_equal(out.ndigits, 1);
	assert_int_equal(out.digit[0], '7');
	/* Its late end packets are then recognised by their timestamp. */
	e = te(7, true, 800);
	media__dtmf_rx_packet(&r, 1000, &e, 8000, 950, &out);
	assert_int_equal(out.ndigits, 0);
	assert_false(out.started);
}

static void test_rx_same_digit_twice_is_two_events(void **state)
{
	struct media__dtmf_rx r = {0};
	struct media__dtmf_out out;
	struct media__te e = te(3, true, 800);
	unsigned n = 0;

	(void)state;
	for (int i = 0; i < 3; i++) {
		media__dtmf_rx_packet(&r, 1000, &e, 8000, 0, &out);
		n += out.ndigits;
	}
	for (int i = 0; i < 3; i++) {
		media__dtmf_rx_packet(&r, 2600, &e, 8000, 0, &out);
		n += out.ndigits;
	}
	assert_int_equal(n, 2);
}

static void test_rx_ignores_stragglers_and_non_digit_events(void **state)
{
	struct media__dtmf_rx r = {0};
	struct media__dtmf_out out;
	struct media__te e = te(4, true, 800), flash = te(16, true, 800);

	(void)state;
	media__dtmf_rx_packet(&r, 5000, &e, 8000, 0, &out);
	assert_int_equal(out.ndigits, 1);
	e = te(4, false, 160); /* an older event's packet arriving late */
	media__dtmf_rx_packet(&r, 3000, &e, 8000, 0, &out);
	assert_false(out.started);
	assert_int_equal(out.ndigits, 0);
	media__dtmf_rx_packet(&r, 9000, &flash, 8000, 0, &out);
	assert_false(out.started);
	assert_int_equal(out.ndigits, 0);
}

static void test_rx_handles_timestamp_wrap(void **state)
{
	struct media__dtmf_rx r = {0};
	struct media__dtmf_out out;
	struct media__te e = te(8, true, 800);

	(void)state;
	media__dtmf_rx_packet(&r, 0xFFFFFF00u, &e, 8000, 0, &out);
	assert_int_equal(out.ndigits, 1);
	e = te(9, true, 800);
	media__dtmf_rx_packet(&r, 0x00000400u, &e, 8000, 0, &out); /* after the wrap: newer */
	assert_int_equal(out.ndigits, 1);
	assert_int_equal(out.digit[0], '9');
}

static void test_tx_sends_start_continuations_and_three_ends(void **state)
{
	struct media__dtmf_tx t;
	uint8_t p[4];
	bool marker;
	uint32_t ts;
	struct media__te e;
	unsigned npkt = 0, nend = 0;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(media__dtmf_tx_queue(&t, '#', 100, 8000), 0);
	/* 100 ms = 800 units: durations 160, 320, 480, 640, then 800 three times (ends). */
	while (media__dtmf_tx_tick(&t, 50000 + npkt * 160, 160, p, &marker, &ts)) {
		assert_int_equal(media__te_parse(p, 4, &e), 0);
		assert_int_equal(e.event, 11);
		assert_int_equal(ts, 50000); /* every packet carries the event's start */
		assert_int_equal(marker, npkt == 0);
		if (npkt < 4) {
			assert_false(e.end);
			assert_int_equal(e.duration, 160 * (npkt + 1));
		} else {
			assert_true(e.end);
			assert_int_equal(e.duration, 800);
			nend++;
		}
		npkt++;
	}
	assert_int_equal(npkt, 7);
	assert_int_equal(nend, 3);
	assert_false(media__dtmf_tx_busy(&t));
}

static void test_tx_spaces_digits_with_new_timestamps(void **state)
{
	struct media__dtmf_tx t;
	uint8_t p[4];
	bool marker;
	uint32_t ts, first_ts = 0, now = 0;
	unsigned starts = 0, ticks = 0;

	(void)state;
	memset(&t, 0, sizeof(t));
	media__dtmf_tx_queue(&t, '1', 60, 8000);
	media__dtmf_tx_queue(&t, '2', 60, 8000);
	while (media__dtmf_tx_busy(&t) && ticks < 100) {
		if (media__dtmf_tx_tick(&t, now, 160, p, &marker, &ts) && marker) {
			if (starts++ == 0)
				first_ts = ts;
			else
				assert_true(media__ts_diff(ts, first_ts) >= 480 + 3 * 160);
		}
		now += 160;
		ticks++;
	}
	assert_int_equal(starts, 2);
}

static void test_tx_rejects_bad_digits_and_full_queue(void **state)
{
	struct media__dtmf_tx t;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(media__dtmf_tx_queue(&t, 'x', 100, 8000), EINVAL);
	for (int i = 0; i < MEDIA__DTMF_QUEUE; i++)
		assert_int_equal(media__dtmf_tx_queue(&t, '1', 100, 8000), 0);
	assert_int_equal(media__dtmf_tx_queue(&t, '1', 100, 8000), ENOBUFS);
}

static void test_tx_short_digit_is_lengthened(void **state)
{
	struct media__dtmf_tx t;
	uint8_t p[4];
	bool marker;
	uint32_t ts;
	struct media__te e;

	(void)state;
	memset(&t, 0, sizeof(t));
	media__dtmf_tx_queue(&t, '5', 5, 8000); /* below the 40 ms minimum */
	media__dtmf_tx_tick(&t, 0, 160, p, &marker, &ts);
	media__dtmf_tx_tick(&t, 0, 160, p, &marker, &ts);
	media__te_parse(p, 4, &e);
	assert_true(e.end);
	assert_int_equal(e.duration, 320);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_te_payload_round_trips),
	    cmocka_unit_test(test_te_digit_mapping),
	    cmocka_unit_test(test_rx_reports_digit_once_at_its_end),
	    cmocka_unit_test(test_rx_reports_digit_whose_start_was_lost),
	    cmocka_unit_test(test_rx_reports_digit_whose_ends_were_lost_when_next_starts),
	    cmocka_unit_test(test_rx_expires_event_without_end),
	    cmocka_unit_test(test_rx_same_digit_twice_is_two_events),
	    cmocka_unit_test(test_rx_ignores_stragglers_and_non_digit_events),
	    cmocka_unit_test(test_rx_handles_timestamp_wrap),
	    cmocka_unit_test(test_tx_sends_start_continuations_and_three_ends),
	    cmocka_unit_test(test_tx_spaces_digits_with_new_timestamps),
	    cmocka_unit_test(test_tx_rejects_bad_digits_and_full_queue),
	    cmocka_unit_test(test_tx_short_digit_is_lengthened),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
