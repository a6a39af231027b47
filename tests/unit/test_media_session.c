/*
 * Loopback tests of sessions and bridges: two sessions created by media_create on
 * 127.0.0.1, plain UDP sockets as the far ends. Relaying, symmetric RTP, stream
 * continuity, transcoding, RTP timeout, RTCP, ports and workers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_media_util.h"

#define PORTS_MIN 43000
#define PORTS_MAX 43199

static void test_bridge_relays_packets_both_ways(void **state)
{
	struct tmedia t;
	struct tpeer pa, pb;
	struct tpeer *peers[] = {&pa, &pb};
	struct media_session *a, *b;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&pa, MEDIA_CODEC_PCMU, 440);
	tp_open(&pb, MEDIA_CODEC_PCMU, 1000);
	a = tm_session(&t, 1, NULL, &pa, MEDIA_CODEC_PCMU, 101);
	b = tm_session(&t, 2, a, &pb, MEDIA_CODEC_PCMU, 101);
	assert_int_equal(media_bridge(a, b, NULL), 0);
	tp_sleep_ms(30);
	pa.active = pb.active = true;
	tp_run(peers, 2, 50);
	pa.active = pb.active = false;
	tp_run(peers, 2, 15);

	/* Each peer got the other's 50 packets, as one continuous stream of its own. */
	assert_in_range(pb.npkts, 46, 50);
	assert_in_range(pa.npkts, 46, 50);
	for (size_t i = 1; i < pb.npkts; i++) {
		assert_int_equal(pb.pkts[i].ssrc, pb.pkts[0].ssrc);
		assert_int_equal((uint16_t)(pb.pkts[i].seq - pb.pkts[i - 1].seq), 1);
		assert_int_equal(pb.pkts[i].ts - pb.pkts[i - 1].ts, 160);
		assert_int_equal(pb.pkts[i].pt, 0);
		assert_int_equal(pb.pkts[i].len, 160);
	}
	assert_int_not_equal(pb.pkts[0].ssrc, pa.ssrc); /* the B2BUA's own SSRC */
	assert_true(pb.pkts[0].marker);
	/* The audio is the other side's tone, untouched. */
	int16_t pcm[8000];
	size_t n = tp_decode(&pb, 0, MEDIA_CODEC_PCMU, pcm, 8000);
	assert_true(tp_goertzel(pcm, n, 1, 440, 8000) > 100 * tp_goertzel(pcm, n, 1, 1000, 8000));
	n = tp_decode(&pa, 0, MEDIA_CODEC_PCMU, pcm, 8000);
	assert_true(tp_goertzel(pcm, n, 1, 1000, 8000) > 100 * tp_goertzel(pcm, n, 1, 440, 8000));

	struct media_stats st;
	media_stats_get(t.m, &st);
	assert_int_equal(st.sessions, 2);
	assert_true(st.packets_in >= 98);
	assert_true(st.packets_out >= 96);
	assert_true(st.bytes_in >= 98 * 172);
	/* With the kernel relay, it moved all but the first packets of each direction. */
	if (st.kernel_relay)
		assert_true(st.kernel_packets >= 90);
	else
		assert_int_equal(st.kernel_packets, 0);

	media_session_free(a);
	media_session_free(b);
	tm_stop(&t);
	tp_close(&pa);
	tp_close(&pb);
}

static void test_symmetric_rtp_latches_on_the_source(void **state)
{
	struct tmedia t;
	struct tpeer pa, pb;
	struct tpeer *peers[] = {&pa, &pb};
	struct media_session *a, *b;
	struct media_params p;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&pa, MEDIA_CODEC_PCMU, 440);
	tp_open(&pb, MEDIA_CODEC_PCMU, 1000);
	/* Signalling gave a wrong port for A (a phone behind NAT). */
	assert_int_equal(media_session_alloc(t.m, 1, NULL, &a), 0);
	p = tm_params(NULL, MEDIA_CODEC_PCMU, 0);
	assert_int_equal(media_session_set(a, &p), 0);
	pa.to_port = media_session_port(a);
	b = tm_session(&t, 2, a, &pb, MEDIA_CODEC_PCMU, 0);
	assert_int_equal(media_bridge(a, b, NULL), 0);
	pa.active = true; /* A speaks first: its source address is learnt */
	tp_run(peers, 2, 5);
	pb.active = true;
	tp_run(peers, 2, 20);
	pa.active = pb.active = false;
	tp_run(peers, 2, 15);
	assert_in_range(pa.npkts, 16, 20);
	media_session_free(a);
	media_session_free(b);
	tm_stop(&t);
	tp_close(&pa);
	tp_close(&pb);
}

static void test_stream_stays_continuous_when_a_play_interrupts_relaying(void **state)
{
	struct tmedia t;
	struct tpeer pa, pb;
	struct tpeer *peers[] = {&pa, &pb};
	struct media_session *a, *b;
	struct media_item beep = {.kind = MEDIA_ITEM_TONE, .tone = MEDIA_TONE_BEEP};
	struct media_play_req req = {.items = &beep, .nitems = 1, .id = 7};
	struct media_event ev;
	unsigned markers = 0;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&pa, MEDIA_CODEC_PCMU, 440);
	tp_open(&pb, MEDIA_CODEC_PCMU, 1000);
	a = tm_session(&t, 1, NULL, &pa, MEDIA_CODEC_PCMU, 0);
	b = tm_session(&t, 2, a, &pb, MEDIA_CODEC_PCMU, 0);
	assert_int_equal(media_bridge(a, b, NULL), 0);
	pb.active = true;
	tp_run(peers, 2, 20);
	assert_int_equal(media_play(a, &req), 0); /* a 250 ms beep to A, over B's voice */
	tp_run(peers, 2, 30);
	pb.active = false;
	tp_run(peers, 2, 15);
	assert_true(tm_wait(&t, MEDIA_EV_PLAY_DONE, 500, &ev));
	assert_int_equal(ev.play_id, 7);
	assert_int_equal(ev.play_end, MEDIA_PLAY_COMPLETED);
	assert_int_equal(ev.owner, 1);

	/* A hears one stream: relayed, beep, relayed again, without a seam in SSRC or
	 * numbering, timestamps always moving forward, a marker at each switch. */
	assert_in_range(pa.npkts, 44, 56);
	for (size_t i = 1; i < pa.npkts; i++) {
		assert_int_equal(pa.pkts[i].ssrc, pa.pkts[0].ssrc);
		assert_int_equal((uint16_t)(pa.pkts[i].seq - pa.pkts[i - 1].seq), 1);
		assert_true(media__ts_diff(pa.pkts[i].ts, pa.pkts[i - 1].ts) >= 160);
		markers += pa.pkts[i].marker;
	}
	assert_in_range(markers, 2, 3);
	media_session_free(a);
	media_session_free(b);
	tm_stop(&t);
	tp_close(&pa);
	tp_close(&pb);
}

static void test_bridge_transcodes_pcmu_and_pcma(void **state)
{
	struct tmedia t;
	struct tpeer pa, pb;
	struct tpeer *peers[] = {&pa, &pb};
	struct media_session *a, *b;
	int16_t pcm[8000];
	size_t n;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&pa, MEDIA_CODEC_PCMU, 440);
	tp_open(&pb, MEDIA_CODEC_PCMA, 1000);
	a = tm_session(&t, 1, NULL, &pa, MEDIA_CODEC_PCMU, 0);
	b = tm_session(&t, 2, a, &pb, MEDIA_CODEC_PCMA, 0);
	assert_int_equal(media_bridge(a, b, NULL), 0);
	tp_sleep_ms(30);
	pa.active = pb.active = true;
	tp_run(peers, 2, 40);
	pa.active = pb.active = false;
	tp_run(peers, 2, 15);
	assert_in_range(pb.npkts, 36, 40);
	assert_int_equal(pb.pkts[5].pt, 8);
	n = tp_decode(&pb, 8, MEDIA_CODEC_PCMA, pcm, 8000);
	assert_true(tp_goertzel(pcm, n, 1, 440, 8000) > 100 * tp_goertzel(pcm, n, 1, 1000, 8000));
	assert_int_equal(pa.pkts[5].pt, 0);
	n = tp_decode(&pa, 0, MEDIA_CODEC_PCMU, pcm, 8000);
	assert_true(tp_goertzel(pcm, n, 1, 1000, 8000) > 100 * tp_goertzel(pcm, n, 1, 440, 8000));
	media_session_free(a);
	media_session_free(b);
	tm_stop(&t);
	tp_close(&pa);
	tp_close(&pb);
}

static void test_bridge_transcodes_g722_and_pcmu(void **state)
{
	struct tmedia t;
	struct tpeer pa, pb;
	struct tpeer *peers[] = {&pa, &pb};
	struct media_session *a, *b;
	int16_t pcm[16000];
	size_t n;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&pa, MEDIA_CODEC_G722, 1000);
	tp_open(&pb, MEDIA_CODEC_PCMU, 440);
	a = tm_session(&t, 1, NULL, &pa, MEDIA_CODEC_G722, 0);
	b = tm_session(&t, 2, a, &pb, MEDIA_CODEC_PCMU, 0);
	assert_int_equal(media_bridge(a, b, NULL), 0);
	tp_sleep_ms(30);
	pa.active = pb.active = true;
	tp_run(peers, 2, 40);
	pa.active = pb.active = false;
	tp_run(peers, 2, 15);
	/* G.722 (16 kHz audio) to G.711 through the resampler, and back. */
	assert_in_range(pb.npkts, 36, 40);
	assert_int_equal(pb.pkts[5].len, 160);
	n = tp_decode(&pb, 0, MEDIA_CODEC_PCMU, pcm, 16000);
	assert_true(tp_goertzel(pcm + 800, n - 800, 1, 1000, 8000) >
		    100 * tp_goertzel(pcm + 800, n - 800, 1, 440, 8000));
	assert_in_range(pa.npkts, 36, 40);
	assert_int_equal(pa.pkts[5].pt, 9);
	assert_int_equal(pa.pkts[5].len, 160);
	assert_int_equal(pa.pkts[6].ts - pa.pkts[5].ts, 160); /* G.722's 8 kHz RTP clock */
	n = tp_decode(&pa, 9, MEDIA_CODEC_G722, pcm, 16000);
	assert_true(tp_goertzel(pcm + 1600, n - 1600, 1, 440, 16000) >
		    100 * tp_goertzel(pcm + 1600, n - 1600, 1, 1000, 16000));
	media_session_free(a);
	media_session_free(b);
	tm_stop(&t);
	tp_close(&pa);
	tp_close(&pb);
}

/* RMS of n samples. */
static double rms(const int16_t *x, size_t n)
{
	double e = 0;

	for (size_t i = 0; i < n; i++)
		e += (double)x[i] * x[i];
	return n ? sqrt(e / (double)n) : 0;
}

static void test_bridge_transcodes_opus_and_pcmu(void **state)
{
	struct tmedia t;
	struct tpeer pa, pb;
	struct tpeer *peers[] = {&pa, &pb};
	struct media_session *a, *b;
	int16_t pcm[16000];
	size_t n;
	double level_in = 8000 / sqrt(2); /* the peers' tones */

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&pa, MEDIA_CODEC_OPUS, 1000);
	tp_open(&pb, MEDIA_CODEC_PCMU, 440);
	a = tm_session(&t, 1, NULL, &pa, MEDIA_CODEC_OPUS, 0);
	b = tm_session(&t, 2, a, &pb, MEDIA_CODEC_PCMU, 0);
	assert_int_equal(media_bridge(a, b, NULL), 0);
	tp_sleep_ms(30);
	pa.active = pb.active = true;
	tp_run(peers, 2, 20);
	pa.drop_one = true; /* one Opus packet lost: concealed, a G.711 packet in its place */
	tp_run(peers, 2, 30);
	pa.active = pb.active = false;
	tp_run(peers, 2, 15);
	/* Opus (decoded at 8 kHz by libopus) to G.711: 20 ms packets on the 8 kHz clock,
	 * the lost one's place filled, the 1 kHz tone at its level. */
	assert_in_range(pb.npkts, 45, 50);
	assert_int_equal(pb.pkts[5].pt, 0);
	assert_int_equal(pb.pkts[5].len, 160);
	assert_int_equal(pb.pkts[6].ts - pb.pkts[5].ts, 160);
	for (size_t i = 1; i < pb.npkts; i++) {
		assert_int_equal((uint16_t)(pb.pkts[i].seq - pb.pkts[i - 1].seq), 1);
		assert_int_equal(pb.pkts[i].ts - pb.pkts[i - 1].ts, 160);
	}
	n = tp_decode(&pb, 0, MEDIA_CODEC_PCMU, pcm, 16000);
	assert_true(n > 6000);
	assert_true(tp_goertzel(pcm + 800, n - 800, 1, 1000, 8000) >
		    100 * tp_goertzel(pcm + 800, n - 800, 1, 440, 8000));
	assert_true(rms(pcm + 800, n - 800) > level_in * 0.7);
	assert_true(rms(pcm + 800, n - 800) < level_in * 1.3);
	/* G.711 to Opus: 20 ms packets on the 48 kHz clock, the 440 Hz tone at its level. */
	assert_in_range(pa.npkts, 45, 50);
	assert_int_equal(pa.pkts[5].pt, 111);
	assert_int_equal(pa.pkts[6].ts - pa.pkts[5].ts, 960);
	assert_true(pa.pkts[5].len > 10 && pa.pkts[5].len < 200);
	n = tp_decode(&pa, 111, MEDIA_CODEC_OPUS, pcm, 16000);
	assert_true(n > 6000);
	assert_true(tp_goertzel(pcm + 800, n - 800, 1, 440, 8000) >
		    100 * tp_goertzel(pcm + 800, n - 800, 1, 1000, 8000));
	assert_true(rms(pcm + 800, n - 800) > level_in * 0.7);
	assert_true(rms(pcm + 800, n - 800) < level_in * 1.3);
	media_session_free(a);
	media_session_free(b);
	tm_stop(&t);
	tp_close(&pa);
	tp_close(&pb);
}

static void test_bridge_relays_opus_to_opus(void **state)
{
	struct tmedia t;
	struct tpeer pa, pb;
	struct tpeer *peers[] = {&pa, &pb};
	struct media_session *a, *b;
	int16_t pcm[16000];
	size_t n;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&pa, MEDIA_CODEC_OPUS, 1000);
	tp_open(&pb, MEDIA_CODEC_OPUS, 440);
	a = tm_session(&t, 1, NULL, &pa, MEDIA_CODEC_OPUS, 0);
	b = tm_session(&t, 2, a, &pb, MEDIA_CODEC_OPUS, 0);
	assert_int_equal(media_bridge(a, b, NULL), 0);
	tp_sleep_ms(30);
	pa.active = pb.active = true;
	tp_run(peers, 2, 40);
	pa.active = pb.active = false;
	tp_run(peers, 2, 10);
	/* Both legs speak Opus: packets pass as they are, on the 48 kHz clock. */
	assert_in_range(pb.npkts, 36, 40);
	assert_int_equal(pb.pkts[6].ts - pb.pkts[5].ts, 960);
	n = tp_decode(&pb, 111, MEDIA_CODEC_OPUS, pcm, 16000);
	assert_true(tp_goertzel(pcm + 800, n - 800, 1, 1000, 8000) >
		    100 * tp_goertzel(pcm + 800, n - 800, 1, 440, 8000));
	media_session_free(a);
	media_session_free(b);
	tm_stop(&t);
	tp_close(&pa);
	tp_close(&pb);
}

static void test_play_to_an_opus_leg(void **state)
{
	struct tmedia t;
	struct tpeer pa;
	struct tpeer *peers[] = {&pa};
	struct media_session *a;
	struct media_item beep = {.kind = MEDIA_ITEM_TONE, .tone = MEDIA_TONE_BEEP};
	struct media_play_req req = {.items = &beep, .nitems = 1, .id = 7};
	int16_t pcm[16000];
	size_t n;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&pa, MEDIA_CODEC_OPUS, 0);
	a = tm_session(&t, 1, NULL, &pa, MEDIA_CODEC_OPUS, 0);
	assert_int_equal(media_play(a, &req), 0);
	assert_true(tm_wait(&t, MEDIA_EV_PLAY_DONE, 2000, NULL));
	tp_run(peers, 1, 5);
	/* A 250 ms beep: about 12 packets of 20 ms on the 48 kHz clock, 1 kHz heard. */
	assert_in_range(pa.npkts, 11, 14);
	assert_int_equal(pa.pkts[0].pt, 111);
	assert_int_equal(pa.pkts[3].ts - pa.pkts[2].ts, 960);
	n = tp_decode(&pa, 111, MEDIA_CODEC_OPUS, pcm, 16000);
	assert_true(n >= 1600);
	assert_true(tp_goertzel(pcm + 160, n - 320, 1, 1000, 8000) >
		    100 * tp_goertzel(pcm + 160, n - 320, 1, 440, 8000));
	media_session_free(a);
	tm_stop(&t);
	tp_close(&pa);
}

/* Sends an RFC 4733 event as a phone does: start, continuations, three ends. */
static void send_digit(struct tpeer *p, uint8_t pt, uint8_t event, uint32_t ts)
{
	uint8_t payload[4];
	struct media__te e = {event, false, 10, 0};

	for (int i = 1; i <= 4; i++) {
		e.duration = (uint16_t)(160 * i);
		media__te_write(payload, &e);
		tp_send(p, pt, i == 1, ts, payload, 4);
		tp_sleep_ms(20);
	}
	e.end = true;
	e.duration = 800;
	media__te_write(payload, &e);
	for (int i = 0; i < 3; i++)
		tp_send(p, pt, false, ts, payload, 4);
}

static void test_bridge_passes_telephone_events_across(void **state)
{
	struct tmedia t;
	struct tpeer pa, pb;
	struct tpeer *peers[] = {&pa, &pb};
	struct media_session *a, *b;
	struct media_event ev;
	unsigned events = 0, ends = 0;
	uint32_t ts = 0;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&pa, MEDIA_CODEC_PCMU, 440);
	tp_open(&pb, MEDIA_CODEC_PCMA, 1000);
	a = tm_session(&t, 1, NULL, &pa, MEDIA_CODEC_PCMU, 101);
	b = tm_session(&t, 2, a, &pb, MEDIA_CODEC_PCMA, 96); /* another payload type */
	assert_int_equal(media_bridge(a, b, NULL), 0);
	pa.active = true;
	tp_run(peers, 2, 5);
	pa.active = false;
	send_digit(&pa, 101, 9, pa.ts);
	tp_run(peers, 2, 5);
	assert_true(tm_wait(&t, MEDIA_EV_DIGIT, 500, &ev));
	assert_int_equal(ev.digit, '9');
	assert_int_equal(ev.owner, 1);
	for (size_t i = 0; i < pb.npkts; i++) {
		struct media__te e;

		if (pb.pkts[i].pt != 96)
			continue;
		assert_int_equal(media__te_parse(pb.pkts[i].payload, pb.pkts[i].len, &e), 0);
		assert_int_equal(e.event, 9);
		if (events++ == 0)
			ts = pb.pkts[i].ts;
		assert_int_equal(pb.pkts[i].ts, ts);
		assert_int_equal(pb.pkts[i].ssrc, pb.pkts[0].ssrc); /* same stream as the audio */
		ends += e.end;
	}
	assert_int_equal(events, 7);
	assert_int_equal(ends, 3);
	assert_true(media__ts_diff(ts, pb.pkts[0].ts) > 0);
	media_session_free(a);
	media_session_free(b);
	tm_stop(&t);
	tp_close(&pa);
	tp_close(&pb);
}

/* RFC 4733 events between a PCMU leg (8 kHz clock) and an Opus leg (48 kHz): timestamps
 * and durations scaled, the digit's length read on each leg's own clock. */
static void test_telephone_events_between_pcmu_and_opus(void **state)
{
	struct tmedia t;
	struct tpeer pa, pb;
	struct tpeer *peers[] = {&pa, &pb};
	struct media_session *a, *b;
	struct media_event ev;
	struct media__te e;
	unsigned ends = 0;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&pa, MEDIA_CODEC_PCMU, 440);
	tp_open(&pb, MEDIA_CODEC_OPUS, 1000);
	a = tm_session(&t, 1, NULL, &pa, MEDIA_CODEC_PCMU, 101);
	b = tm_session(&t, 2, a, &pb, MEDIA_CODEC_OPUS, 110);
	assert_int_equal(media_bridge(a, b, NULL), 0);
	pa.active = pb.active = true;
	tp_run(peers, 2, 5);
	pa.active = pb.active = false;
	/* PCMU to Opus: 100 ms (800 units) arrives as 4800 units of the 48 kHz clock. */
	tp_reset(&pb);
	send_digit(&pa, 101, 5, pa.ts);
	tp_run(peers, 2, 5);
	assert_true(tm_wait(&t, MEDIA_EV_DIGIT, 500, &ev));
	assert_int_equal(ev.digit, '5');
	assert_in_range(ev.digit_ms, 95, 105);
	for (size_t i = 0; i < pb.npkts; i++) {
		if (pb.pkts[i].pt != 110)
			continue;
		assert_int_equal(media__te_parse(pb.pkts[i].payload, pb.pkts[i].len, &e), 0);
		assert_int_equal(e.event, 5);
		if (e.end) {
			assert_int_equal(e.duration, 4800);
			ends++;
		}
	}
	assert_int_equal(ends, 3);
	/* Opus to PCMU: the Opus peer's 100 ms is 4800 units, 800 on the PCMU leg. */
	struct media__te oe = {7, false, 10, 0};
	uint8_t payload[4];

	tp_reset(&pa);
	for (int i = 1; i <= 4; i++) {
		oe.duration = (uint16_t)(960 * i);
		media__te_write(payload, &oe);
		tp_send(&pb, 110, i == 1, pb.ts, payload, 4);
		tp_sleep_ms(20);
	}
	oe.end = true;
	oe.duration = 4800;
	media__te_write(payload, &oe);
	for (int i = 0; i < 3; i++)
		tp_send(&pb, 110, false, pb.ts, payload, 4);
	tp_run(peers, 2, 5);
	assert_true(tm_wait(&t, MEDIA_EV_DIGIT, 500, &ev));
	assert_int_equal(ev.digit, '7');
	assert_int_equal(ev.owner, 2);
	assert_in_range(ev.digit_ms, 95, 105);
	ends = 0;
	for (size_t i = 0; i < pa.npkts; i++) {
		if (pa.pkts[i].pt != 101)
			continue;
		assert_int_equal(media__te_parse(pa.pkts[i].payload, pa.pkts[i].len, &e), 0);
		if (e.end) {
			assert_int_equal(e.duration, 800);
			ends++;
		}
	}
	assert_int_equal(ends, 3);
	media_session_free(a);
	media_session_free(b);
	tm_stop(&t);
	tp_close(&pa);
	tp_close(&pb);
}

static void test_events_are_not_passed_to_a_peer_without_telephone_event(void **state)
{
	struct tmedia t;
	struct tpeer pa, pb;
	struct tpeer *peers[] = {&pa, &pb};
	struct media_session *a, *b;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&pa, MEDIA_CODEC_PCMU, 440);
	tp_open(&pb, MEDIA_CODEC_PCMU, 1000);
	a = tm_session(&t, 1, NULL, &pa, MEDIA_CODEC_PCMU, 101);
	b = tm_session(&t, 2, a, &pb, MEDIA_CODEC_PCMU, 0);
	assert_int_equal(media_bridge(a, b, NULL), 0);
	tp_sleep_ms(30);
	send_digit(&pa, 101, 4, 1000);
	tp_run(peers, 2, 5);
	assert_true(tm_wait(&t, MEDIA_EV_DIGIT, 500, NULL)); /* still heard by the engine */
	assert_int_equal(pb.npkts, 0);
	media_session_free(a);
	media_session_free(b);
	tm_stop(&t);
	tp_close(&pa);
	tp_close(&pb);
}

static void test_codec_change_mid_call_switches_to_transcoding(void **state)
{
	struct tmedia t;
	struct tpeer pa, pb;
	struct tpeer *peers[] = {&pa, &pb};
	struct media_session *a, *b;
	struct media_params p;
	int16_t pcm[8000];
	size_t n;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&pa, MEDIA_CODEC_PCMU, 440);
	tp_open(&pb, MEDIA_CODEC_PCMU, 1000);
	a = tm_session(&t, 1, NULL, &pa, MEDIA_CODEC_PCMU, 0);
	b = tm_session(&t, 2, a, &pb, MEDIA_CODEC_PCMU, 0);
	assert_int_equal(media_bridge(a, b, NULL), 0);
	pa.active = true;
	tp_run(peers, 2, 10);
	/* A re-INVITE moves B to A-law: relaying becomes transcoding, same stream. */
	p = tm_params(&pb, MEDIA_CODEC_PCMA, 0);
	assert_int_equal(media_session_set(b, &p), 0);
	tp_sleep_ms(10);
	tp_reset(&pb);
	tp_run(peers, 2, 40);
	pa.active = false;
	tp_run(peers, 2, 15);
	assert_in_range(pb.npkts, 36, 41);
	assert_int_equal(pb.pkts[3].pt, 8);
	n = tp_decode(&pb, 8, MEDIA_CODEC_PCMA, pcm, 8000);
	assert_true(tp_goertzel(pcm, n, 1, 440, 8000) > 1e5);
	for (size_t i = 1; i < pb.npkts; i++)
		assert_int_equal((uint16_t)(pb.pkts[i].seq - pb.pkts[i - 1].seq), 1);
	media_session_free(a);
	media_session_free(b);
	tm_stop(&t);
	tp_close(&pa);
	tp_close(&pb);
}

static void test_unbridged_session_relays_nothing(void **state)
{
	struct tmedia t;
	struct tpeer pa, pb;
	struct tpeer *peers[] = {&pa, &pb};
	struct media_session *a, *b;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&pa, MEDIA_CODEC_PCMU, 440);
	tp_open(&pb, MEDIA_CODEC_PCMU, 1000);
	a = tm_session(&t, 1, NULL, &pa, MEDIA_CODEC_PCMU, 0);
	b = tm_session(&t, 2, a, &pb, MEDIA_CODEC_PCMU, 0);
	assert_int_equal(media_bridge(a, b, NULL), 0);
	media_unbridge(b);
	tp_sleep_ms(30);
	pa.active = true;
	tp_run(peers, 2, 10);
	assert_int_equal(pb.npkts, 0);
	media_session_free(a);
	media_session_free(b);
	tm_stop(&t);
	tp_close(&pa);
	tp_close(&pb);
}

static void test_rtp_timeout_is_reported_once(void **state)
{
	struct tmedia t;
	struct tpeer pa;
	struct media_session *a;
	struct media_event ev;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 300);
	tp_open(&pa, MEDIA_CODEC_PCMU, 440);
	a = tm_session(&t, 77, NULL, &pa, MEDIA_CODEC_PCMU, 0);
	assert_true(tm_wait(&t, MEDIA_EV_RTP_TIMEOUT, 1000, &ev));
	assert_int_equal(ev.owner, 77);
	assert_false(tm_wait(&t, MEDIA_EV_RTP_TIMEOUT, 500, NULL));
	media_session_free(a);
	tm_stop(&t);
	tp_close(&pa);
}

static void test_flowing_rtp_or_hold_prevents_timeout(void **state)
{
	struct tmedia t;
	struct tpeer pa, pb;
	struct tpeer *peers[] = {&pa};
	struct media_session *a, *b;
	struct media_params p;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 300);
	tp_open(&pa, MEDIA_CODEC_PCMU, 440);
	tp_open(&pb, MEDIA_CODEC_PCMU, 440);
	a = tm_session(&t, 1, NULL, &pa, MEDIA_CODEC_PCMU, 0);
	/* b's peer holds nothing back, but we hold it (sendonly): no RTP is expected. */
	assert_int_equal(media_session_alloc(t.m, 2, a, &b), 0);
	p = tm_params(&pb, MEDIA_CODEC_PCMU, 0);
	p.dir = MEDIA_DIR_SENDONLY;
	assert_int_equal(media_session_set(b, &p), 0);
	pa.active = true;
	tp_run(peers, 1, 40);
	assert_false(tm_wait(&t, MEDIA_EV_RTP_TIMEOUT, 10, NULL));
	media_session_free(a);
	media_session_free(b);
	tm_stop(&t);
	tp_close(&pa);
	tp_close(&pb);
}

static void test_rtcp_reports_are_sent_and_received(void **state)
{
	struct tmedia t;
	struct tpeer pa;
	struct tpeer *peers[] = {&pa};
	struct media_session *a;
	struct media_item tone = {.kind = MEDIA_ITEM_TONE, .tone = MEDIA_TONE_RINGBACK};
	struct media_play_req req = {.items = &tone, .nitems = 1, .id = 1};
	struct media__rtcp_info info;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	t.m->rtcp_ms = 200;
	tp_open(&pa, MEDIA_CODEC_PCMU, 440);
	a = tm_session(&t, 1, NULL, &pa, MEDIA_CODEC_PCMU, 0);
	assert_int_equal(media_play(a, &req), 0);
	pa.active = true;
	tp_run(peers, 1, 60);
	/* Every ~200 ms a compound SR (we send) with a report block on what we receive: in
	 * 1.2 s at least two even when a loaded machine delays the worker's ticks. */
	assert_in_range(pa.rtcp_packets, 2, 10);
	assert_int_equal(media__rtcp_parse(pa.last_rtcp, pa.last_rtcp_len, &info), 0);
	assert_true(info.has_sr);
	assert_int_equal(info.ssrc, pa.pkts[0].ssrc);
	assert_int_equal(info.nrb, 1);
	assert_int_equal(info.rb[0].ssrc, pa.ssrc);
	assert_int_equal(info.rb[0].lost, 0);
	assert_true(info.sr_packets >= 20);
	/* Our RTCP toward the session is parsed without upsetting anything. */
	struct media__rtcp_report rr = {.ssrc = pa.ssrc, .cname = "peer", .has_rb = true};
	uint8_t buf[128];
	size_t len;
	rr.rb.ssrc = info.ssrc;
	len = media__rtcp_build(buf, sizeof(buf), &rr);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(pa.to_port + 1)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(sendto(pa.rtcp_fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)),
			 (ssize_t)len);
	tp_run(peers, 1, 5);
	media_session_free(a);
	tm_stop(&t);
	tp_close(&pa);
}

/* Waits up to `ms` for an RTCP packet on the peer's RTCP socket; returns its length. */
static size_t recv_rtcp(struct tpeer *p, uint8_t *buf, size_t cap, unsigned ms)
{
	uint64_t end = tp_now_us() + ms * 1000ull;

	while (tp_now_us() < end) {
		ssize_t n = recv(p->rtcp_fd, buf, cap, MSG_DONTWAIT);

		if (n > 0)
			return (size_t)n;
		tp_sleep_ms(1);
	}
	return 0;
}

static void send_rtcp(struct tpeer *p, const void *buf, size_t len)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(p->to_port + 1)};

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(sendto(p->rtcp_fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)),
			 (ssize_t)len);
}

static bool wait_stats(struct media_session *s, struct media_session_stats *st, uint64_t reports,
		       uint64_t malformed)
{
	for (int i = 0; i < 200; i++) {
		media_session_stats(s, st);
		if (st->reports >= reports && st->rtcp_malformed >= malformed)
			return true;
		tp_sleep_ms(10);
	}
	return false;
}

static void test_rtcp_feedback_read_into_session_stats(void **state)
{
	struct tmedia t;
	struct tpeer pa;
	struct tpeer *peers[] = {&pa};
	struct media_session *a;
	struct media_item tone = {.kind = MEDIA_ITEM_TONE, .tone = MEDIA_TONE_RINGBACK};
	struct media_play_req req = {.items = &tone, .nitems = 1, .id = 1};
	struct media__rtcp_info info;
	struct media_session_stats st;
	struct media_stats ms;
	uint8_t buf[512];
	size_t len;
	uint64_t got_us;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	t.m->rtcp_ms = 200;
	tp_open(&pa, MEDIA_CODEC_PCMU, 440);
	a = tm_session(&t, 1, NULL, &pa, MEDIA_CODEC_PCMU, 0);
	media_session_stats(a, &st);
	assert_int_equal(st.reports, 0);
	assert_int_equal(st.rtt_ms, -1);
	assert_int_equal(media_play(a, &req), 0);
	pa.active = true;
	tp_run(peers, 1, 10);
	pa.drop_one = true; /* one packet of ours lost on the way: the session counts it */
	tp_run(peers, 1, 10);
	pa.active = false;
	/* The session's next SR, as the peer reads it ... */
	do {
		len = recv_rtcp(&pa, buf, sizeof(buf), 2000);
		assert_true(len > 0);
		assert_int_equal(media__rtcp_parse(buf, len, &info), 0);
	} while (!info.has_sr);
	got_us = tp_now_us();
	tp_sleep_ms(100);
	/* ... answered by an RR about it: a quarter lost in the interval, 12 in all,
	 * jitter 80 units (10 ms at 8 kHz), and a DLSR 50 ms shorter than the time the
	 * peer held the SR, so the round trip comes out at about 50 ms. */
	struct media__rtcp_report rr = {.ssrc = pa.ssrc, .cname = "peer", .has_rb = true};
	uint64_t held_us = tp_now_us() - got_us;

	rr.rb.ssrc = info.ssrc;
	rr.rb.fraction = 64;
	rr.rb.lost = 12;
	rr.rb.jitter = 80;
	rr.rb.lsr = info.ntp_mid;
	rr.rb.dlsr = (uint32_t)((held_us - 50000) * 65536 / 1000000);
	len = media__rtcp_build(buf, sizeof(buf), &rr);
	send_rtcp(&pa, buf, len);
	assert_true(wait_stats(a, &st, 1, 0));
	assert_int_equal(st.reports, 1);
	assert_true(st.fraction_lost == 0.25);
	assert_int_equal(st.cumulative_lost, 12);
	assert_int_equal(st.jitter_us, 10000);
	/* The RR reaches the worker within milliseconds on loopback; a loaded machine may
	 * add a little more. */
	assert_in_range(st.rtt_ms, 45, 250);
	/* What the session received: 19 packets and the one the peer left out. */
	assert_true(st.packets_in >= 19);
	assert_int_equal(st.lost_in, 1);
	/* A report block about some other source is not about us. */
	rr.rb.ssrc = info.ssrc + 1;
	rr.rb.fraction = 255;
	len = media__rtcp_build(buf, sizeof(buf), &rr);
	send_rtcp(&pa, buf, len);
	/* Malformed RTCP (a length beyond the datagram; an SDES first) is counted and
	 * dropped; the session goes on. */
	static const uint8_t bad_len[] = {0x81, 201, 0x00, 0x20, 1, 2, 3, 4};
	static const uint8_t sdes_first[] = {0x81, 202, 0x00, 0x01, 1, 2, 3, 4};
	send_rtcp(&pa, bad_len, sizeof(bad_len));
	send_rtcp(&pa, sdes_first, sizeof(sdes_first));
	assert_true(wait_stats(a, &st, 1, 2));
	assert_int_equal(st.rtcp_malformed, 2);
	assert_int_equal(st.reports, 1);
	assert_true(st.fraction_lost == 0.25);
	media_stats_get(t.m, &ms);
	assert_int_equal(ms.rtcp_malformed, 2);
	assert_true(ms.rtcp_in >= 4);
	tp_reset(&pa);
	tp_run(peers, 1, 10);
	assert_true(pa.npkts >= 5); /* the play still flows */
	media_session_free(a);
	tm_stop(&t);
	tp_close(&pa);
}

static void test_ports_are_even_pairs_and_run_out_with_eagain(void **state)
{
	struct tmedia t;
	struct media_session *s[3];

	(void)state;
	tm_start(&t, 43201, 43205, 1, 0); /* even ports 43202 and 43204 only */
	assert_int_equal(media_session_alloc(t.m, 1, NULL, &s[0]), 0);
	assert_int_equal(media_session_alloc(t.m, 2, NULL, &s[1]), 0);
	assert_int_equal(media_session_port(s[0]) % 2, 0);
	assert_int_equal(media_session_port(s[1]) % 2, 0);
	assert_int_not_equal(media_session_port(s[0]), media_session_port(s[1]));
	assert_int_equal(media_session_alloc(t.m, 3, NULL, &s[2]), EAGAIN);
	media_session_free(s[0]);
	/* The port comes back once the worker has released the session. */
	int err = EAGAIN;
	for (int i = 0; i < 100 && err == EAGAIN; i++) {
		err = media_session_alloc(t.m, 3, NULL, &s[2]);
		if (err == EAGAIN)
			tp_sleep_ms(5);
	}
	assert_int_equal(err, 0);
	media_session_free(s[1]);
	media_session_free(s[2]);
	tm_stop(&t);
}

static void test_bridge_moves_a_session_placed_on_another_worker(void **state)
{
	struct tmedia t;
	struct tpeer pa, pb, pc;
	struct tpeer *peers[] = {&pa, &pb, &pc};
	struct media_session *a, *b, *c;
	struct media_item tone = {.kind = MEDIA_ITEM_TONE, .tone = MEDIA_TONE_RINGBACK};
	struct media_play_req req = {.items = &tone, .nitems = 1, .id = 5};
	struct media__worker *wb;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 2, 0);
	tp_open(&pa, MEDIA_CODEC_PCMU, 440);
	tp_open(&pb, MEDIA_CODEC_PCMU, 1000);
	tp_open(&pc, MEDIA_CODEC_PCMU, 1700);
	a = tm_session(&t, 1, NULL, &pa, MEDIA_CODEC_PCMU, 0);
	b = tm_session(&t, 2, NULL, &pb, MEDIA_CODEC_PCMU, 0); /* balanced: the other worker */
	c = tm_session(&t, 3, b, &pc, MEDIA_CODEC_PCMU, 0);
	wb = b->w;
	assert_ptr_not_equal(a->w, wb);
	assert_int_equal(media_bridge(b, c, NULL), 0); /* bridged on b's worker... */
	assert_int_equal(media_play(b, &req), 0);      /* ... and playing to b's peer */
	tp_run(peers, 3, 5);
	assert_int_equal(media_bridge(a, b, NULL), 0); /* b moves, leaving c */
	assert_ptr_equal(b->w, a->w);
	assert_int_equal(media_bridge(a, a, NULL), EINVAL);
	tp_reset(&pa);
	tp_reset(&pb);
	tp_reset(&pc);
	pa.active = pc.active = true;
	tp_run(peers, 3, 30);
	pa.active = pc.active = false;
	tp_run(peers, 3, 3);
	/* b's peer still hears its play (it travelled with b): packets keep coming. */
	assert_in_range(pb.npkts, 20, 36);
	media_play_stop(b);
	assert_true(tm_wait(&t, MEDIA_EV_PLAY_DONE, 500, NULL));
	tp_reset(&pb);
	pa.active = pc.active = true;
	tp_run(peers, 3, 30);
	pa.active = pc.active = false;
	tp_run(peers, 3, 3);
	int16_t pcm[8000];
	size_t n = tp_decode(&pb, 0, MEDIA_CODEC_PCMU, pcm, 8000);
	assert_true(tp_goertzel(pcm, n, 1, 440, 8000) > 1e5);  /* from a, across workers */
	assert_true(tp_goertzel(pcm, n, 1, 1700, 8000) < 1e3); /* c is no longer bridged */
	assert_int_equal(pa.npkts, 0); /* b's peer sends nothing, so a's hears nothing */
	media_session_free(a);
	media_session_free(b);
	media_session_free(c);
	tm_stop(&t);
	tp_close(&pa);
	tp_close(&pb);
	tp_close(&pc);
}

static void test_create_rejects_bad_config(void **state)
{
	struct media_config cfg;
	struct media *m;
	struct mq *q;

	(void)state;
	assert_int_equal(mq_alloc(&q, 8), 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.port_min = 40001;
	cfg.port_max = 40001; /* no even pair */
	cfg.max_sessions = 4;
	assert_int_equal(media_create(&cfg, q, &m), EINVAL);
	cfg.port_max = 40000;
	assert_int_equal(media_create(&cfg, q, &m), EINVAL);
	cfg.port_max = 40010;
	cfg.max_sessions = 0;
	assert_int_equal(media_create(&cfg, q, &m), EINVAL);
	mq_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bridge_relays_packets_both_ways),
	    cmocka_unit_test(test_symmetric_rtp_latches_on_the_source),
	    cmocka_unit_test(test_stream_stays_continuous_when_a_play_interrupts_relaying),
	    cmocka_unit_test(test_bridge_transcodes_pcmu_and_pcma),
	    cmocka_unit_test(test_bridge_transcodes_g722_and_pcmu),
	    cmocka_unit_test(test_bridge_transcodes_opus_and_pcmu),
	    cmocka_unit_test(test_bridge_relays_opus_to_opus),
	    cmocka_unit_test(test_play_to_an_opus_leg),
	    cmocka_unit_test(test_bridge_passes_telephone_events_across),
	    cmocka_unit_test(test_telephone_events_between_pcmu_and_opus),
	    cmocka_unit_test(test_events_are_not_passed_to_a_peer_without_telephone_event),
	    cmocka_unit_test(test_codec_change_mid_call_switches_to_transcoding),
	    cmocka_unit_test(test_unbridged_session_relays_nothing),
	    cmocka_unit_test(test_rtp_timeout_is_reported_once),
	    cmocka_unit_test(test_flowing_rtp_or_hold_prevents_timeout),
	    cmocka_unit_test(test_rtcp_reports_are_sent_and_received),
	    cmocka_unit_test(test_rtcp_feedback_read_into_session_stats),
	    cmocka_unit_test(test_ports_are_even_pairs_and_run_out_with_eagain),
	    cmocka_unit_test(test_bridge_moves_a_session_placed_on_another_worker),
	    cmocka_unit_test(test_create_rejects_bad_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
