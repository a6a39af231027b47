/*
 * Loopback tests of what a session generates and hears on its own: plays (tones, files,
 * loops, stop and replace, barge-in) paced by the worker's timer, RFC 4733 digits
 * received and sent, in-band DTMF detection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_media_util.h"

#include <sndfile.h>
#include <spandsp/telephony.h>
#include <spandsp/logging.h>
#include <spandsp/super_tone_rx.h>
#include <spandsp/dtmf.h>
#include <stdio.h>

#define PORTS_MIN 43300
#define PORTS_MAX 43499

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/centrala-test-play-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_tone_wav(const char *path, int rate, double freq, double seconds)
{
	SF_INFO info = {
	    .samplerate = rate, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
	SNDFILE *f = sf_open(path, SFM_WRITE, &info);
	int n = (int)(rate * seconds);
	short *buf = malloc((size_t)n * sizeof(short));

	assert_non_null(f);
	for (int i = 0; i < n; i++)
		buf[i] = (short)(8000 * sin(2 * M_PI * freq * i / rate));
	sf_writef_short(f, buf, n);
	sf_close(f);
	free(buf);
}

struct fixture {
	struct tmedia t;
	struct tpeer p;
	struct tpeer *peers[1];
	struct media_session *s;
};

static void fx_start(struct fixture *f, enum media_codec codec, uint8_t dtmf_pt)
{
	tm_start(&f->t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&f->p, codec, 0);
	f->peers[0] = &f->p;
	f->s = tm_session(&f->t, 5, NULL, &f->p, codec, dtmf_pt);
}

static void fx_stop(struct fixture *f)
{
	media_session_free(f->s);
	tm_stop(&f->t);
	tp_close(&f->p);
}

static void test_tone_is_paced_at_fifty_packets_a_second(void **state)
{
	struct fixture f;
	struct media_item tone = {
	    .kind = MEDIA_ITEM_TONE, .tone = MEDIA_TONE_RINGBACK, .duration_ms = 1000};
	struct media_play_req req = {.items = &tone, .nitems = 1, .id = 11};
	struct media_event ev;
	uint64_t t0;
	int16_t pcm[8000];
	size_t n;

	(void)state;
	fx_start(&f, MEDIA_CODEC_PCMU, 101);
	t0 = tp_now_us();
	assert_int_equal(media_play(f.s, &req), 0);
	/* Nothing is sent to the session: the worker's timer alone paces the play. */
	assert_true(tm_wait(&f.t, MEDIA_EV_PLAY_DONE, 2000, &ev));
	tp_drain(&f.p);
	assert_in_range(tp_now_us() - t0, 950000, 1600000);
	assert_int_equal(ev.play_id, 11);
	assert_int_equal(ev.play_end, MEDIA_PLAY_COMPLETED);
	assert_int_equal(ev.owner, 5);
	assert_int_equal(f.p.npkts, 50);
	assert_true(f.p.pkts[0].marker);
	for (size_t i = 1; i < f.p.npkts; i++) {
		assert_int_equal(f.p.pkts[i].ts - f.p.pkts[i - 1].ts, 160);
		assert_int_equal((uint16_t)(f.p.pkts[i].seq - f.p.pkts[i - 1].seq), 1);
		assert_false(f.p.pkts[i].marker);
	}
	n = tp_decode(&f.p, 0, MEDIA_CODEC_PCMU, pcm, 8000);
	assert_int_equal(n, 8000);
	assert_true(tp_goertzel(pcm, n, 1, 425, 8000) > 100 * tp_goertzel(pcm, n, 1, 1000, 8000));
	fx_stop(&f);
}

static void test_file_and_silence_items_play_in_order(void **state)
{
	struct fixture f;
	char path[128];
	struct media_item items[2];
	struct media_play_req req = {.items = items, .nitems = 2, .id = 3};
	struct media_event ev;
	int16_t pcm[8000];
	size_t n;

	(void)state;
	snprintf(path, sizeof(path), "%s/prompt.wav", dir);
	write_tone_wav(path, 16000, 1000, 0.4); /* resampled once to 8 kHz for PCMU */
	memset(items, 0, sizeof(items));
	items[0].kind = MEDIA_ITEM_FILE;
	items[0].path = path;
	items[1].kind = MEDIA_ITEM_SILENCE;
	items[1].duration_ms = 200;
	fx_start(&f, MEDIA_CODEC_PCMU, 0);
	assert_int_equal(media_play(f.s, &req), 0);
	assert_true(tm_wait(&f.t, MEDIA_EV_PLAY_DONE, 2000, &ev));
	assert_int_equal(ev.play_end, MEDIA_PLAY_COMPLETED);
	tp_drain(&f.p);
	assert_int_equal(f.p.npkts, 30);
	n = tp_decode(&f.p, 0, MEDIA_CODEC_PCMU, pcm, 8000);
	assert_true(tp_goertzel(pcm + 160, 2880, 1, 1000, 8000) > 1e5);
	assert_true(tp_goertzel(pcm + 3360, 1440, 1, 1000, 8000) < 10);
	assert_int_equal(n, 4800);
	fx_stop(&f);
}

static void test_preloaded_prompt_is_shared_by_plays(void **state)
{
	struct fixture f;
	char path[128];
	struct media_item item = {.kind = MEDIA_ITEM_FILE};
	struct media_play_req req = {.items = &item, .nitems = 1};

	(void)state;
	snprintf(path, sizeof(path), "%s/preload.wav", dir);
	write_tone_wav(path, 8000, 440, 0.1);
	item.path = path;
	fx_start(&f, MEDIA_CODEC_PCMU, 0);
	assert_int_equal(media_prompt_preload(f.t.m, path), 0);
	assert_int_equal(f.t.m->cache.bytes, (800 + 1600) * sizeof(int16_t));
	assert_int_equal(media_play(f.s, &req), 0);
	assert_true(tm_wait(&f.t, MEDIA_EV_PLAY_DONE, 1000, NULL));
	assert_int_equal(f.t.m->cache.bytes, (800 + 1600) * sizeof(int16_t)); /* not reloaded */
	assert_int_equal(media_prompt_preload(f.t.m, "/nonexistent.wav"), ENOENT);
	fx_stop(&f);
}

static void test_missing_file_is_refused(void **state)
{
	struct fixture f;
	struct media_item item = {.kind = MEDIA_ITEM_FILE, .path = "/nonexistent/prompt.wav"};
	struct media_play_req req = {.items = &item, .nitems = 1};

	(void)state;
	fx_start(&f, MEDIA_CODEC_PCMU, 0);
	assert_int_equal(media_play(f.s, &req), ENOENT);
	req.nitems = 0;
	assert_int_equal(media_play(f.s, &req), EINVAL);
	fx_stop(&f);
}

static void test_new_play_stops_the_old_one(void **state)
{
	struct fixture f;
	struct media_item tone = {.kind = MEDIA_ITEM_TONE, .tone = MEDIA_TONE_BUSY};
	struct media_play_req a = {.items = &tone, .nitems = 1, .id = 1};
	struct media_play_req b = {.items = &tone, .nitems = 1, .id = 2};
	struct media_event ev;

	(void)state;
	fx_start(&f, MEDIA_CODEC_PCMA, 0);
	assert_int_equal(media_play(f.s, &a), 0);
	tp_run(f.peers, 1, 5);
	assert_int_equal(media_play(f.s, &b), 0);
	assert_true(tm_wait(&f.t, MEDIA_EV_PLAY_DONE, 500, &ev));
	assert_int_equal(ev.play_id, 1);
	assert_int_equal(ev.play_end, MEDIA_PLAY_STOPPED);
	media_play_stop(f.s);
	assert_true(tm_wait(&f.t, MEDIA_EV_PLAY_DONE, 500, &ev));
	assert_int_equal(ev.play_id, 2);
	assert_int_equal(ev.play_end, MEDIA_PLAY_STOPPED);
	tp_drain(&f.p);
	assert_int_equal(f.p.pkts[0].pt, 8);
	fx_stop(&f);
}

static void test_music_on_hold_loops_until_stopped(void **state)
{
	struct fixture f;
	char path[128];
	struct media_item item = {.kind = MEDIA_ITEM_FILE};
	struct media_play_req req = {.items = &item, .nitems = 1, .loop = true, .id = 9};
	struct media_event ev;

	(void)state;
	snprintf(path, sizeof(path), "%s/moh.wav", dir);
	write_tone_wav(path, 8000, 440, 0.1);
	item.path = path;
	fx_start(&f, MEDIA_CODEC_PCMU, 0);
	assert_int_equal(media_play(f.s, &req), 0);
	assert_false(tm_wait(&f.t, MEDIA_EV_PLAY_DONE, 600, NULL)); /* six times its length */
	media_play_stop(f.s);
	assert_true(tm_wait(&f.t, MEDIA_EV_PLAY_DONE, 500, &ev));
	assert_int_equal(ev.play_end, MEDIA_PLAY_STOPPED);
	tp_drain(&f.p);
	assert_in_range(f.p.npkts, 25, 40);
	fx_stop(&f);
}

/* Sends an RFC 4733 event as a phone does: start, continuations, three ends. */
static void send_digit(struct tpeer *p, uint8_t event, uint32_t ts)
{
	uint8_t payload[4];
	struct media__te e = {event, false, 10, 0};

	for (int i = 1; i <= 4; i++) {
		e.duration = (uint16_t)(160 * i);
		media__te_write(payload, &e);
		tp_send(p, 101, i == 1, ts, payload, 4);
		tp_sleep_ms(20);
	}
	e.end = true;
	e.duration = 800;
	media__te_write(payload, &e);
	for (int i = 0; i < 3; i++)
		tp_send(p, 101, false, ts, payload, 4);
}

static void test_rfc4733_digit_is_reported_once(void **state)
{
	struct fixture f;
	struct media_event ev;

	(void)state;
	fx_start(&f, MEDIA_CODEC_PCMU, 101);
	send_digit(&f.p, 5, 48000);
	assert_true(tm_wait(&f.t, MEDIA_EV_DIGIT, 1000, &ev));
	assert_int_equal(ev.digit, '5');
	assert_int_equal(ev.digit_ms, 100);
	assert_int_equal(ev.owner, 5);
	assert_false(tm_wait(&f.t, MEDIA_EV_DIGIT, 1200, NULL)); /* not again, not on expiry */
	send_digit(&f.p, 11, 58000);
	assert_true(tm_wait(&f.t, MEDIA_EV_DIGIT, 1000, &ev));
	assert_int_equal(ev.digit, '#');
	fx_stop(&f);
}

static void test_digit_interrupts_a_barge_in_play(void **state)
{
	struct fixture f;
	struct media_item tone = {.kind = MEDIA_ITEM_TONE, .tone = MEDIA_TONE_RINGBACK};
	struct media_play_req req = {.items = &tone, .nitems = 1, .barge_in = true, .id = 4};
	struct media_event ev;

	(void)state;
	fx_start(&f, MEDIA_CODEC_PCMU, 101);
	assert_int_equal(media_play(f.s, &req), 0);
	tp_sleep_ms(100);
	send_digit(&f.p, 1, 8000);
	assert_true(tm_wait(&f.t, MEDIA_EV_PLAY_DONE, 1000, &ev));
	assert_int_equal(ev.play_id, 4);
	assert_int_equal(ev.play_end, MEDIA_PLAY_INTERRUPTED);
	assert_true(tm_wait(&f.t, MEDIA_EV_DIGIT, 1000, &ev));
	assert_int_equal(ev.digit, '1');
	fx_stop(&f);
}

static void test_digit_does_not_interrupt_other_plays(void **state)
{
	struct fixture f;
	struct media_item tone = {.kind = MEDIA_ITEM_TONE, .tone = MEDIA_TONE_RINGBACK};
	struct media_play_req req = {.items = &tone, .nitems = 1, .id = 4};

	(void)state;
	fx_start(&f, MEDIA_CODEC_PCMU, 101);
	assert_int_equal(media_play(f.s, &req), 0);
	send_digit(&f.p, 1, 8000);
	assert_true(tm_wait(&f.t, MEDIA_EV_DIGIT, 1000, NULL));
	assert_false(tm_wait(&f.t, MEDIA_EV_PLAY_DONE, 200, NULL));
	fx_stop(&f);
}

static void test_send_dtmf_emits_rfc4733_packets(void **state)
{
	struct fixture f;
	unsigned ends = 0, events = 0;
	uint32_t ts = 0;
	uint16_t last_dur = 0;

	(void)state;
	fx_start(&f, MEDIA_CODEC_PCMU, 101);
	assert_int_equal(media_send_dtmf(f.s, '7', 100), 0);
	assert_int_equal(media_send_dtmf(f.s, 'x', 100), EINVAL);
	tp_run(f.peers, 1, 30);
	for (size_t i = 0; i < f.p.npkts; i++) {
		struct tpkt *k = &f.p.pkts[i];
		struct media__te e;

		assert_int_equal(k->pt, 101);
		assert_int_equal(media__te_parse(k->payload, k->len, &e), 0);
		assert_int_equal(e.event, 7);
		if (i == 0) {
			ts = k->ts;
			assert_true(k->marker);
		} else {
			assert_false(k->marker);
			assert_int_equal(k->ts, ts);
			assert_int_equal((uint16_t)(k->seq - f.p.pkts[i - 1].seq), 1);
			assert_true(e.duration >= last_dur);
		}
		last_dur = e.duration;
		ends += e.end;
		events++;
	}
	assert_int_equal(events, 7);
	assert_int_equal(ends, 3);
	assert_int_equal(last_dur, 800);
	fx_stop(&f);
}

static void test_send_dtmf_without_telephone_event_sends_nothing(void **state)
{
	struct fixture f;

	(void)state;
	fx_start(&f, MEDIA_CODEC_PCMU, 0);
	assert_int_equal(media_send_dtmf(f.s, '7', 100), 0);
	tp_run(f.peers, 1, 10);
	assert_int_equal(f.p.npkts, 0);
	fx_stop(&f);
}

static void test_audio_after_sent_digit_continues_past_the_event(void **state)
{
	struct fixture f;
	struct media_item tone = {.kind = MEDIA_ITEM_TONE, .tone = MEDIA_TONE_RINGBACK};
	struct media_play_req req = {.items = &tone, .nitems = 1};
	uint32_t event_ts = 0, event_end = 0;
	bool after = false;

	(void)state;
	fx_start(&f, MEDIA_CODEC_PCMU, 101);
	assert_int_equal(media_play(f.s, &req), 0);
	tp_run(f.peers, 1, 5);
	assert_int_equal(media_send_dtmf(f.s, '2', 100), 0);
	tp_run(f.peers, 1, 20);
	for (size_t i = 0; i < f.p.npkts; i++) {
		struct tpkt *k = &f.p.pkts[i];
		struct media__te e;

		if (k->pt == 101) {
			media__te_parse(k->payload, k->len, &e);
			event_ts = k->ts;
			event_end = k->ts + e.duration;
		} else if (event_end) {
			/* The play is silent during the event and resumes after its end. */
			assert_true(media__ts_diff(k->ts, event_end) >= 0);
			after = true;
		}
	}
	assert_true(event_ts != 0 && after);
	fx_stop(&f);
}

static void test_inband_dtmf_is_detected(void **state)
{
	struct fixture f;
	dtmf_tx_state_t *gen = dtmf_tx_init(NULL);
	struct media_event ev;
	int16_t pcm[160];
	uint8_t payload[160];
	uint32_t ts = 1000;

	(void)state;
	fx_start(&f, MEDIA_CODEC_PCMA, 0);
	media_inband_dtmf(f.s, true);
	dtmf_tx_put(gen, "3", 1);
	for (int i = 0; i < 25; i++) { /* 500 ms: the tone, then silence */
		int n = dtmf_tx(gen, pcm, 160);

		memset(pcm + n, 0, (size_t)(160 - n) * sizeof(int16_t));
		media__encode(MEDIA_CODEC_PCMA, NULL, pcm, 160, payload);
		tp_send(&f.p, 8, false, ts, payload, 160);
		ts += 160;
		tp_sleep_ms(20);
	}
	assert_true(tm_wait(&f.t, MEDIA_EV_DIGIT, 1000, &ev));
	assert_int_equal(ev.digit, '3');
	assert_in_range(ev.digit_ms, 40, 200);
	dtmf_tx_free(gen);
	fx_stop(&f);
}

static void test_g722_session_plays_wideband(void **state)
{
	struct fixture f;
	struct media_item beep = {.kind = MEDIA_ITEM_TONE, .tone = MEDIA_TONE_BEEP};
	struct media_play_req req = {.items = &beep, .nitems = 1};
	int16_t pcm[16000];
	size_t n;

	(void)state;
	fx_start(&f, MEDIA_CODEC_G722, 0);
	assert_int_equal(media_play(f.s, &req), 0);
	assert_true(tm_wait(&f.t, MEDIA_EV_PLAY_DONE, 1000, NULL));
	tp_drain(&f.p);
	assert_int_equal(f.p.npkts, 13); /* 250 ms, the last frame padded */
	assert_int_equal(f.p.pkts[0].pt, 9);
	assert_int_equal(f.p.pkts[0].len, 160);
	n = tp_decode(&f.p, 9, MEDIA_CODEC_G722, pcm, 16000);
	assert_int_equal(n, 13 * 320);
	assert_true(tp_goertzel(pcm + 320, 3200, 1, 1000, 16000) >
		    100 * tp_goertzel(pcm + 320, 3200, 1, 425, 16000));
	fx_stop(&f);
}

static void test_held_peer_gets_nothing(void **state)
{
	struct fixture f;
	struct media_item tone = {.kind = MEDIA_ITEM_TONE, .tone = MEDIA_TONE_RINGBACK};
	struct media_play_req req = {.items = &tone, .nitems = 1};
	struct media_params p;

	(void)state;
	fx_start(&f, MEDIA_CODEC_PCMU, 0);
	p = tm_params(&f.p, MEDIA_CODEC_PCMU, 0);
	p.dir = MEDIA_DIR_RECVONLY; /* the peer put us on hold */
	assert_int_equal(media_session_set(f.s, &p), 0);
	assert_int_equal(media_play(f.s, &req), 0);
	tp_run(f.peers, 1, 10);
	assert_int_equal(f.p.npkts, 0);
	fx_stop(&f);
}

static void test_ptime_30_packs_three_frames_in_two_packets(void **state)
{
	struct fixture f;
	struct media_item tone = {
	    .kind = MEDIA_ITEM_TONE, .tone = MEDIA_TONE_BUSY, .duration_ms = 480};
	struct media_play_req req = {.items = &tone, .nitems = 1};
	struct media_params p;

	(void)state;
	fx_start(&f, MEDIA_CODEC_PCMU, 0);
	p = tm_params(&f.p, MEDIA_CODEC_PCMU, 0);
	p.ptime_ms = 30;
	assert_int_equal(media_session_set(f.s, &p), 0);
	assert_int_equal(media_play(f.s, &req), 0);
	assert_true(tm_wait(&f.t, MEDIA_EV_PLAY_DONE, 1000, NULL));
	tp_drain(&f.p);
	assert_int_equal(f.p.npkts, 16); /* 480 ms in 30 ms packets */
	for (size_t i = 0; i < f.p.npkts; i++) {
		assert_int_equal(f.p.pkts[i].len, 240);
		if (i)
			assert_int_equal(f.p.pkts[i].ts - f.p.pkts[i - 1].ts, 240);
	}
	fx_stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tone_is_paced_at_fifty_packets_a_second),
	    cmocka_unit_test(test_file_and_silence_items_play_in_order),
	    cmocka_unit_test(test_preloaded_prompt_is_shared_by_plays),
	    cmocka_unit_test(test_missing_file_is_refused),
	    cmocka_unit_test(test_new_play_stops_the_old_one),
	    cmocka_unit_test(test_music_on_hold_loops_until_stopped),
	    cmocka_unit_test(test_rfc4733_digit_is_reported_once),
	    cmocka_unit_test(test_digit_interrupts_a_barge_in_play),
	    cmocka_unit_test(test_digit_does_not_interrupt_other_plays),
	    cmocka_unit_test(test_send_dtmf_emits_rfc4733_packets),
	    cmocka_unit_test(test_send_dtmf_without_telephone_event_sends_nothing),
	    cmocka_unit_test(test_audio_after_sent_digit_continues_past_the_event),
	    cmocka_unit_test(test_inband_dtmf_is_detected),
	    cmocka_unit_test(test_g722_session_plays_wideband),
	    cmocka_unit_test(test_held_peer_gets_nothing),
	    cmocka_unit_test(test_ptime_30_packs_three_frames_in_two_packets),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
