/*
 * Loopback tests of bridge recordings: each party on its own channel (checked with a
 * Goertzel filter), a valid WAV while the call goes on, silence for pauses and gaps,
 * 16 kHz when a side speaks G.722, and errors reported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_media_util.h"

#include <sndfile.h>
#include <stdio.h>

#define PORTS_MIN 43500
#define PORTS_MAX 43699

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/centrala-test-rec-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

struct wav {
	int rate, channels;
	sf_count_t frames;
	short *pcm;
};

static void read_wav(const char *path, struct wav *w)
{
	SF_INFO info;
	SNDFILE *f;

	memset(&info, 0, sizeof(info));
	f = sf_open(path, SFM_READ, &info);
	assert_non_null(f);
	w->rate = info.samplerate;
	w->channels = info.channels;
	w->frames = info.frames;
	w->pcm = calloc((size_t)(info.frames * info.channels + 1), sizeof(short));
	assert_int_equal(sf_readf_short(f, w->pcm, info.frames), info.frames);
	sf_close(f);
}

/* Power of `freq` in channel `ch` over [from, from + n) frames. */
static double power(const struct wav *w, int ch, sf_count_t from, sf_count_t n, double freq)
{
	return tp_goertzel(w->pcm + from * w->channels + ch, (size_t)n, (size_t)w->channels, freq,
			   w->rate);
}

struct call {
	struct tmedia t;
	struct tpeer customer, agent;
	struct tpeer *peers[2];
	struct media_session *a, *b;
	char path[128];
};

static void call_start(struct call *c, const char *name, enum media_codec ca, enum media_codec cb)
{
	tm_start(&c->t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&c->customer, ca, 440);
	tp_open(&c->agent, cb, 1000);
	c->peers[0] = &c->customer;
	c->peers[1] = &c->agent;
	c->a = tm_session(&c->t, 21, NULL, &c->customer, ca, 101);
	c->b = tm_session(&c->t, 22, c->a, &c->agent, cb, 101);
	snprintf(c->path, sizeof(c->path), "%s/acme/%s.wav", dir, name);
	assert_int_equal(media_bridge(c->a, c->b, c->path), 0);
	tp_sleep_ms(20);
}

static void call_end(struct call *c)
{
	struct media_event ev;

	media_unbridge(c->a);
	assert_true(tm_wait(&c->t, MEDIA_EV_RECORD_DONE, 2000, &ev));
	assert_int_equal(ev.owner, 21);
	media_session_free(c->a);
	media_session_free(c->b);
	tm_stop(&c->t);
	tp_close(&c->customer);
	tp_close(&c->agent);
}

static void test_recording_puts_customer_left_and_agent_right(void **state)
{
	struct call c;
	struct wav w;

	(void)state;
	call_start(&c, "stereo", MEDIA_CODEC_PCMU, MEDIA_CODEC_PCMU);
	c.customer.active = c.agent.active = true;
	tp_run(c.peers, 2, 100);
	c.customer.active = c.agent.active = false;
	call_end(&c);
	read_wav(c.path, &w);
	assert_int_equal(w.channels, 2);
	assert_int_equal(w.rate, 8000);
	assert_in_range(w.frames, 8000 * 19 / 10, 8000 * 3);
	/* Skip the jitter buffer's start; look at the middle second. */
	double l440 = power(&w, 0, 4000, 8000, 440), l1000 = power(&w, 0, 4000, 8000, 1000);
	double r440 = power(&w, 1, 4000, 8000, 440), r1000 = power(&w, 1, 4000, 8000, 1000);

	assert_true(l440 > 1e5);
	assert_true(r1000 > 1e5);
	assert_true(l440 > 1000 * l1000);
	assert_true(r1000 > 1000 * r440);
	free(w.pcm);
}

static void test_recording_is_a_valid_wav_while_the_call_goes_on(void **state)
{
	struct call c;
	struct wav w;

	(void)state;
	call_start(&c, "live", MEDIA_CODEC_PCMA, MEDIA_CODEC_PCMU);
	c.customer.active = c.agent.active = true;
	tp_run(c.peers, 2, 130);
	/* Mid-call: flushed at least every second, header counting what is there. */
	read_wav(c.path, &w);
	assert_int_equal(w.channels, 2);
	assert_true(w.frames >= 8000 * 2);
	assert_int_equal(w.frames % 8000, 0);
	free(w.pcm);
	c.customer.active = c.agent.active = false;
	call_end(&c);
	read_wav(c.path, &w);
	assert_true(w.frames > 8000 * 2);
	free(w.pcm);
}

/* A recorded bridge whose relaying moves between the kernel and the worker mid-call (a
 * play towards the customer takes both directions back, an RFC 4733 event from the
 * customer takes the customer's back, each returns on the next packet): every 20 ms of
 * both channels still holds its party's tone, and the recording is as long as the call.
 * With the kernel relay running (test_media_record_kernel), most packets went through it. */
static void test_recording_stays_whole_across_relay_handovers(void **state)
{
	struct call c;
	struct wav w;
	struct media_item beep = {.kind = MEDIA_ITEM_TONE, .tone = MEDIA_TONE_BEEP};
	struct media_play_req req = {.items = &beep, .nitems = 1, .id = 3};
	struct media_event ev;
	struct media_stats st;
	struct media__te te = {.event = 5, .end = true, .volume = 10, .duration = 800};
	uint8_t digit[4];

	(void)state;
	call_start(&c, "handover", MEDIA_CODEC_PCMU, MEDIA_CODEC_PCMU);
	c.customer.active = c.agent.active = true;
	tp_run(c.peers, 2, 50);
	assert_int_equal(media_play(c.a, &req), 0);
	tp_run(c.peers, 2, 50);
	assert_true(tm_wait(&c.t, MEDIA_EV_PLAY_DONE, 500, &ev));
	media__te_write(digit, &te);
	tp_send(&c.customer, 101, true, c.customer.ts, digit, sizeof(digit));
	tp_run(c.peers, 2, 50);
	c.customer.active = c.agent.active = false;
	media_stats_get(c.t.m, &st);
	call_end(&c);
	read_wav(c.path, &w);
	assert_in_range(w.frames, 8000 * 29 / 10, 8000 * 4);
	/* Past the jitter buffer's start and before the end: no 20 ms without the tone. */
	for (sf_count_t f = 2400; f + 160 <= 8000 * 27 / 10; f += 160) {
		assert_true(power(&w, 0, f, 160, 440) > 1e3);
		assert_true(power(&w, 1, f, 160, 1000) > 1e3);
	}
	if (st.kernel_relay)
		assert_true(st.kernel_packets >= 200);
	free(w.pcm);
}

static void test_pause_writes_silence_and_keeps_the_timeline(void **state)
{
	struct call c;
	struct wav w;

	(void)state;
	call_start(&c, "paused", MEDIA_CODEC_PCMU, MEDIA_CODEC_PCMU);
	c.customer.active = c.agent.active = true;
	tp_run(c.peers, 2, 50);
	media_record_pause(c.b, true); /* either session of the bridge */
	tp_run(c.peers, 2, 50);
	media_record_pause(c.a, false);
	tp_run(c.peers, 2, 50);
	c.customer.active = c.agent.active = false;
	call_end(&c);
	read_wav(c.path, &w);
	assert_in_range(w.frames, 8000 * 29 / 10, 8000 * 4);
	/* The paused second (give or take a tick) is silent on both channels... */
	assert_true(power(&w, 0, 8800, 6400, 440) < 1);
	assert_true(power(&w, 1, 8800, 6400, 1000) < 1);
	/* ... and the audio around it is there. */
	assert_true(power(&w, 0, 2000, 5000, 440) > 1e5);
	assert_true(power(&w, 0, 17600, 5000, 440) > 1e5);
	free(w.pcm);
}

static void test_gap_in_one_side_becomes_silence_on_its_channel(void **state)
{
	struct call c;
	struct wav w;

	(void)state;
	call_start(&c, "gap", MEDIA_CODEC_PCMU, MEDIA_CODEC_PCMU);
	c.customer.active = c.agent.active = true;
	tp_run(c.peers, 2, 50);
	c.customer.active = false; /* the customer's packets stop for a second */
	tp_run(c.peers, 2, 50);
	c.customer.active = true;
	tp_run(c.peers, 2, 50);
	c.customer.active = c.agent.active = false;
	call_end(&c);
	read_wav(c.path, &w);
	assert_in_range(w.frames, 8000 * 29 / 10, 8000 * 4);
	assert_true(power(&w, 0, 9600, 4800, 440) < 1);
	assert_true(power(&w, 1, 9600, 4800, 1000) > 1e5); /* the agent went on */
	assert_true(power(&w, 0, 17600, 4800, 440) > 1e5);
	free(w.pcm);
}

static void test_g722_side_makes_a_wideband_recording(void **state)
{
	struct call c;
	struct wav w;

	(void)state;
	call_start(&c, "wide", MEDIA_CODEC_G722, MEDIA_CODEC_PCMU);
	c.customer.active = c.agent.active = true;
	tp_run(c.peers, 2, 75);
	c.customer.active = c.agent.active = false;
	call_end(&c);
	read_wav(c.path, &w);
	assert_int_equal(w.rate, 16000);
	assert_true(power(&w, 0, 8000, 12000, 440) > 1000 * power(&w, 0, 8000, 12000, 1000));
	assert_true(power(&w, 1, 8000, 12000, 1000) > 1000 * power(&w, 1, 8000, 12000, 440));
	free(w.pcm);
}

static void test_opus_side_is_recorded(void **state)
{
	struct call c;
	struct wav w;

	(void)state;
	/* Opus (48 kHz RTP clock) is recorded at 8 kHz, as libopus decodes it here, with
	 * its lost packet concealed rather than silent. */
	call_start(&c, "opus", MEDIA_CODEC_OPUS, MEDIA_CODEC_PCMU);
	c.customer.active = c.agent.active = true;
	tp_run(c.peers, 2, 50);
	c.customer.drop_one = true;
	tp_run(c.peers, 2, 50);
	c.customer.active = c.agent.active = false;
	call_end(&c);
	read_wav(c.path, &w);
	assert_int_equal(w.channels, 2);
	assert_int_equal(w.rate, 8000);
	assert_in_range(w.frames, 8000 * 19 / 10, 8000 * 3);
	double l440 = power(&w, 0, 4000, 8000, 440), l1000 = power(&w, 0, 4000, 8000, 1000);
	double r440 = power(&w, 1, 4000, 8000, 440), r1000 = power(&w, 1, 4000, 8000, 1000);

	assert_true(l440 > 1e5);
	assert_true(r1000 > 1e5);
	assert_true(l440 > 100 * l1000);
	assert_true(r1000 > 1000 * r440);
	free(w.pcm);
}

static void test_freeing_a_session_finishes_its_recording(void **state)
{
	struct tmedia t;
	struct tpeer pa, pb;
	struct media_session *a, *b;
	char path[128];
	struct wav w;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&pa, MEDIA_CODEC_PCMU, 440);
	tp_open(&pb, MEDIA_CODEC_PCMU, 1000);
	a = tm_session(&t, 31, NULL, &pa, MEDIA_CODEC_PCMU, 0);
	b = tm_session(&t, 32, a, &pb, MEDIA_CODEC_PCMU, 0);
	snprintf(path, sizeof(path), "%s/hangup.wav", dir);
	assert_int_equal(media_bridge(a, b, path), 0);
	tp_sleep_ms(300);
	media_session_free(b); /* the agent hangs up */
	assert_true(tm_wait(&t, MEDIA_EV_RECORD_DONE, 2000, NULL));
	read_wav(path, &w);
	assert_in_range(w.frames, 1600, 4000);
	free(w.pcm);
	media_session_free(a);
	tm_stop(&t);
	tp_close(&pa);
	tp_close(&pb);
}

static void test_destroy_finishes_open_recordings(void **state)
{
	struct tmedia t;
	struct tpeer pa, pb;
	struct media_session *a, *b;
	char path[128];
	struct wav w;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&pa, MEDIA_CODEC_PCMU, 440);
	tp_open(&pb, MEDIA_CODEC_PCMU, 1000);
	a = tm_session(&t, 41, NULL, &pa, MEDIA_CODEC_PCMU, 0);
	b = tm_session(&t, 42, a, &pb, MEDIA_CODEC_PCMU, 0);
	snprintf(path, sizeof(path), "%s/shutdown.wav", dir);
	assert_int_equal(media_bridge(a, b, path), 0);
	tp_sleep_ms(200);
	media_destroy(t.m); /* the sessions are still bridged */
	assert_true(tm_wait(&t, MEDIA_EV_RECORD_DONE, 100, NULL));
	mq_free(t.events);
	read_wav(path, &w);
	assert_true(w.frames >= 800);
	free(w.pcm);
	tp_close(&pa);
	tp_close(&pb);
}

static void test_unwritable_path_fails_the_bridge(void **state)
{
	struct tmedia t;
	struct media_session *a, *b;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	assert_int_equal(media_session_alloc(t.m, 1, NULL, &a), 0);
	assert_int_equal(media_session_alloc(t.m, 2, a, &b), 0);
	assert_int_not_equal(media_bridge(a, b, "/proc/centrala/x.wav"), 0);
	media_session_free(a);
	media_session_free(b);
	tm_stop(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_recording_puts_customer_left_and_agent_right),
	    cmocka_unit_test(test_recording_is_a_valid_wav_while_the_call_goes_on),
	    cmocka_unit_test(test_pause_writes_silence_and_keeps_the_timeline),
	    cmocka_unit_test(test_recording_stays_whole_across_relay_handovers),
	    cmocka_unit_test(test_gap_in_one_side_becomes_silence_on_its_channel),
	    cmocka_unit_test(test_g722_side_makes_a_wideband_recording),
	    cmocka_unit_test(test_opus_side_is_recorded),
	    cmocka_unit_test(test_freeing_a_session_finishes_its_recording),
	    cmocka_unit_test(test_destroy_finishes_open_recordings),
	    cmocka_unit_test(test_unwritable_path_fails_the_bridge),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
