/*
 * RTP and RTCP: header parsing and writing, RFC 5761 demultiplexing, sequence numbers
 * and timestamps across their 16- and 32-bit wraps, loss and jitter, RTCP reports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/media_int.h"

#include <errno.h>
#include <string.h>

static void test_rtp_write_then_parse_round_trips(void **state)
{
	uint8_t buf[200];
	struct media__rtp h;

	(void)state;
	assert_int_equal(media__rtp_write(buf, 8, true, 65535, 0xFFFFFFF0u, 0xDEADBEEF), 12);
	memset(buf + 12, 0xD5, 160);
	assert_int_equal(media__rtp_parse(buf, 172, &h), 0);
	assert_int_equal(h.pt, 8);
	assert_true(h.marker);
	assert_int_equal(h.seq, 65535);
	assert_int_equal(h.ts, 0xFFFFFFF0u);
	assert_int_equal(h.ssrc, 0xDEADBEEF);
	assert_int_equal(h.hdr_len, 12);
	assert_int_equal(h.payload_len, 160);
}

static void test_rtp_parse_skips_csrcs_extension_and_padding(void **state)
{
	uint8_t buf[100];
	struct media__rtp h;

	(void)state;
	memset(buf, 0, sizeof(buf));
	media__rtp_write(buf, 0, false, 1, 2, 3);
	buf[0] = 0x80 | 0x20 | 0x10 | 2; /* padding, extension, two CSRCs */
	/* extension header after the CSRCs: profile 0xBEDE, one 32-bit word */
	buf[20] = 0xBE;
	buf[21] = 0xDE;
	buf[22] = 0;
	buf[23] = 1;
	/* payload 10 bytes then 2 bytes of padding */
	buf[28 + 10 + 1] = 2;
	assert_int_equal(media__rtp_parse(buf, 28 + 12, &h), 0);
	assert_int_equal(h.hdr_len, 28);
	assert_int_equal(h.payload_len, 10);
}

static void test_rtp_parse_rejects_malformed_packets(void **state)
{
	uint8_t buf[40];
	struct media__rtp h;

	(void)state;
	memset(buf, 0, sizeof(buf));
	media__rtp_write(buf, 0, false, 1, 2, 3);
	assert_int_equal(media__rtp_parse(buf, 11, &h), EINVAL); /* short */
	buf[0] = 0x40;
	assert_int_equal(media__rtp_parse(buf, 40, &h), EINVAL); /* version 1 */
	buf[0] = 0x8F;
	assert_int_equal(media__rtp_parse(buf, 40, &h), EINVAL); /* 15 CSRCs past the end */
	buf[0] = 0x90;
	buf[14] = 0xFF;
	buf[15] = 0xFF;
	assert_int_equal(media__rtp_parse(buf, 40, &h), EINVAL); /* extension past the end */
	buf[0] = 0xA0;
	buf[39] = 0;
	assert_int_equal(media__rtp_parse(buf, 40, &h), EINVAL); /* zero padding count */
	buf[39] = 200;
	assert_int_equal(media__rtp_parse(buf, 40, &h), EINVAL); /* padding past the start */
}

static void test_rtcp_is_told_apart_from_rtp_on_one_port(void **state)
{
	uint8_t rtp[12], rtcp[8] = {0x80, 200, 0, 1, 0, 0, 0, 0};

	(void)state;
	media__rtp_write(rtp, 0, true, 1, 2, 3); /* PCMU with marker: byte 1 is 0x80 */
	assert_false(media__is_rtcp(rtp, sizeof(rtp)));
	assert_true(media__is_rtcp(rtcp, sizeof(rtcp)));
	rtcp[1] = 201;
	assert_true(media__is_rtcp(rtcp, sizeof(rtcp)));
	media__rtp_write(rtp, 101, true, 1, 2, 3); /* telephone-event with marker: 0xE5 */
	assert_false(media__is_rtcp(rtp, sizeof(rtp)));
}

static void test_seq_wrap_counts_cycles(void **state)
{
	struct media__seq s = {0};

	(void)state;
	assert_int_equal(media__seq_update(&s, 65534), MEDIA__SEQ_NEXT);
	assert_int_equal(media__seq_update(&s, 65535), MEDIA__SEQ_NEXT);
	assert_int_equal(media__seq_update(&s, 0), MEDIA__SEQ_NEXT);
	assert_int_equal(media__seq_update(&s, 1), MEDIA__SEQ_NEXT);
	assert_int_equal(s.cycles, 65536);
	assert_int_equal(media__seq_ext_max(&s), 65537);
	assert_int_equal(media__seq_expected(&s), 4);
	assert_int_equal(media__seq_lost(&s), 0);
}

static void test_seq_reordered_packet_across_wrap_is_late(void **state)
{
	struct media__seq s = {0};

	(void)state;
	media__seq_update(&s, 65535);
	assert_int_equal(media__seq_update(&s, 1), MEDIA__SEQ_NEXT); /* 0 is missing */
	assert_int_equal(media__seq_lost(&s), 1);
	assert_int_equal(media__seq_update(&s, 0), MEDIA__SEQ_LATE); /* ... and arrives */
	assert_int_equal(media__seq_lost(&s), 0);
	assert_int_equal(s.cycles, 65536);			     /* not counted twice */
	assert_int_equal(media__seq_update(&s, 1), MEDIA__SEQ_LATE); /* duplicate */
}

static void test_seq_gap_counts_losses(void **state)
{
	struct media__seq s = {0};

	(void)state;
	media__seq_update(&s, 100);
	media__seq_update(&s, 101);
	media__seq_update(&s, 105);
	assert_int_equal(media__seq_expected(&s), 6);
	assert_int_equal(media__seq_lost(&s), 3);
}

static void test_seq_large_jump_restarts_after_confirmation(void **state)
{
	struct media__seq s = {0};

	(void)state;
	media__seq_update(&s, 10);
	media__seq_update(&s, 11);
	assert_int_equal(media__seq_update(&s, 30000), MEDIA__SEQ_BAD);
	assert_int_equal(s.max_seq, 11);
	assert_int_equal(media__seq_update(&s, 30001), MEDIA__SEQ_RESTART);
	assert_int_equal(s.max_seq, 30001);
	assert_int_equal(media__seq_update(&s, 30002), MEDIA__SEQ_NEXT);
}

static void test_serial_differences_wrap(void **state)
{
	(void)state;
	assert_int_equal(media__seq_diff(0, 65535), 1);
	assert_int_equal(media__seq_diff(65535, 0), -1);
	assert_int_equal(media__seq_diff(100, 100), 0);
	assert_int_equal(media__ts_diff(80, 0xFFFFFFB0u), 160);
	assert_int_equal(media__ts_diff(0xFFFFFFB0u, 80), -160);
	assert_int_equal(media__ts_diff(160, 0), 160);
}

static void test_jitter_is_zero_for_regular_arrivals_and_grows_with_variation(void **state)
{
	uint32_t j = 0;
	int32_t transit = 0;
	bool have = false;

	(void)state;
	/* Timestamps near the 32-bit wrap: transit differences stay right. */
	for (uint32_t i = 0; i < 100; i++)
		media__jitter_update(&j, &transit, &have, 5000 + i * 160, 0xFFFFF000u + i * 160);
	assert_int_equal(j >> 4, 0);
	for (uint32_t i = 100; i < 400; i++)
		media__jitter_update(&j, &transit, &have, 5000 + i * 160 + (i % 2) * 80,
				     0xFFFFF000u + i * 160);
	assert_in_range(j >> 4, 60, 80); /* alternating 80-unit steps converge near 80 */
}

static void test_rtcp_sender_report_round_trips(void **state)
{
	struct media__rtcp_report r;
	struct media__rtcp_info info;
	uint8_t buf[256];
	size_t len;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.ssrc = 0x11223344;
	r.sender = true;
	r.ntp = 0xAABBCCDD11223344ull;
	r.rtp_ts = 12345;
	r.packets = 600;
	r.octets = 96000;
	r.has_rb = true;
	r.rb.ssrc = 0x55667788;
	r.rb.fraction = 25;
	r.rb.lost = -3;
	r.rb.ext_max = 70000;
	r.rb.jitter = 12;
	r.rb.lsr = 0xCCDD1122;
	r.rb.dlsr = 65536;
	r.cname = "centrala@127.0.0.1";
	len = media__rtcp_build(buf, sizeof(buf), &r);
	assert_true(len > 0);
	assert_int_equal(len % 4, 0);
	assert_int_equal(media__rtcp_parse(buf, len, &info), 0);
	assert_true(info.has_sr);
	assert_int_equal(info.ssrc, 0x11223344);
	assert_int_equal(info.ntp_mid, 0xCCDD1122);
	assert_int_equal(info.sr_rtp_ts, 12345);
	assert_int_equal(info.sr_packets, 600);
	assert_int_equal(info.sr_octets, 96000);
	assert_int_equal(info.nrb, 1);
	assert_int_equal(info.rb[0].ssrc, 0x55667788);
	assert_int_equal(info.rb[0].fraction, 25);
	assert_int_equal(info.rb[0].lost, -3);
	assert_int_equal(info.rb[0].ext_max, 70000);
	assert_int_equal(info.rb[0].jitter, 12);
	assert_int_equal(info.rb[0].lsr, 0xCCDD1122);
	assert_int_equal(info.rb[0].dlsr, 65536);
}

static void test_rtcp_receiver_report_without_blocks(void **state)
{
	struct media__rtcp_report r;
	struct media__rtcp_info info;
	uint8_t buf[256];
	size_t len;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.ssrc = 7;
	r.cname = "x";
	len = media__rtcp_build(buf, sizeof(buf), &r);
	assert_int_equal(len, 8 + 12); /* RR header + SDES with a 1-byte CNAME */
	assert_int_equal(buf[1], 201);
	assert_int_equal(media__rtcp_parse(buf, len, &info), 0);
	assert_false(info.has_sr);
	assert_int_equal(info.ssrc, 7);
	assert_int_equal(info.nrb, 0);
	assert_int_equal(media__rtcp_build(buf, 10, &r), 0); /* too small */
}

static void test_rtcp_parse_rejects_invalid_compounds(void **state)
{
	uint8_t sdes_first[8] = {0x81, 202, 0, 1, 0, 0, 0, 1};
	uint8_t long_len[8] = {0x80, 201, 0, 9, 0, 0, 0, 1};
	uint8_t bad_count[8] = {0x81, 201, 0, 1, 0, 0, 0, 1};
	uint8_t trailing[11] = {0x80, 201, 0, 1, 0, 0, 0, 1, 0x80, 203, 0};
	struct media__rtcp_info info;

	(void)state;
	assert_int_equal(media__rtcp_parse(sdes_first, 8, &info), EINVAL);
	assert_int_equal(media__rtcp_parse(long_len, 8, &info), EINVAL);
	assert_int_equal(media__rtcp_parse(bad_count, 8, &info), EINVAL);
	assert_int_equal(media__rtcp_parse(trailing, 11, &info), EINVAL);
	assert_int_equal(media__rtcp_parse(trailing, 4, &info), EINVAL);
}

static void test_rtcp_report_can_end_with_bye(void **state)
{
	struct media__rtcp_report r = {.ssrc = 9, .cname = "c", .bye = true};
	struct media__rtcp_info info;
	uint8_t buf[64];
	size_t len;

	(void)state;
	len = media__rtcp_build(buf, sizeof(buf), &r);
	assert_int_equal(len, 8 + 12 + 8);
	assert_int_equal(buf[len - 7], 203);
	assert_int_equal(media__rtcp_parse(buf, len, &info), 0);
	assert_true(info.bye);
	assert_int_equal(media__rtcp_build(buf, 24, &r), 0);
}

static void test_rtcp_bye_is_noticed(void **state)
{
	uint8_t pkt[16] = {0x80, 201, 0, 1, 0, 0, 0, 9, 0x81, 203, 0, 1, 0, 0, 0, 9};
	struct media__rtcp_info info;

	(void)state;
	assert_int_equal(media__rtcp_parse(pkt, sizeof(pkt), &info), 0);
	assert_true(info.bye);
}

static void test_ntp_conversion(void **state)
{
	(void)state;
	/* The Unix epoch is 2208988800 s after the NTP epoch; half a second is 2^31. */
	assert_int_equal(media__ntp_from_us(0) >> 32, 2208988800u);
	assert_int_equal((uint32_t)media__ntp_from_us(500000), 0x80000000u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rtp_write_then_parse_round_trips),
	    cmocka_unit_test(test_rtp_parse_skips_csrcs_extension_and_padding),
	    cmocka_unit_test(test_rtp_parse_rejects_malformed_packets),
	    cmocka_unit_test(test_rtcp_is_told_apart_from_rtp_on_one_port),
	    cmocka_unit_test(test_seq_wrap_counts_cycles),
	    cmocka_unit_test(test_seq_reordered_packet_across_wrap_is_late),
	    cmocka_unit_test(test_seq_gap_counts_losses),
	    cmocka_unit_test(test_seq_large_jump_restarts_after_confirmation),
	    cmocka_unit_test(test_serial_differences_wrap),
	    cmocka_unit_test(test_jitter_is_zero_for_regular_arrivals_and_grows_with_variation),
	    cmocka_unit_test(test_rtcp_sender_report_round_trips),
	    cmocka_unit_test(test_rtcp_receiver_report_without_blocks),
	    cmocka_unit_test(test_rtcp_parse_rejects_invalid_compounds),
	    cmocka_unit_test(test_rtcp_report_can_end_with_bye),
	    cmocka_unit_test(test_rtcp_bye_is_noticed),
	    cmocka_unit_test(test_ntp_conversion),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
