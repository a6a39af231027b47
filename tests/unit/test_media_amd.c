/*
 * Answering-machine detection: the detector's rules on synthetic audio (silence, noise
 * bursts standing for words, tones for beeps, fax calling tones), its thresholds'
 * checks, and the media engine reporting its events for a session over loopback RTP,
 * whether the peer sends audio or nothing at all. Spoken greetings are in
 * test_amd_speech.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_media_util.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#define PORTS_MIN  44100
#define PORTS_MAX  44199
#define MAX_EVENTS 4

/* A test signal: 8 kHz samples built piece by piece. */
struct sig {
	int16_t *x;
	size_t n, cap;
	uint64_t rng;
};

static void sig_init(struct sig *s)
{
	memset(s, 0, sizeof(*s));
	s->cap = 8000 * 40;
	s->x = calloc(s->cap, sizeof(int16_t));
	s->rng = 12345;
	assert_non_null(s->x);
}

static double noise1(struct sig *s)
{
	s->rng = s->rng * 6364136223846793005ull + 1442695040888963407ull;
	return (double)(int32_t)(s->rng >> 32) / 2147483648.0;
}

static void sig_silence(struct sig *s, unsigned ms)
{
	s->n += (size_t)ms * 8;
	assert_true(s->n <= s->cap);
}

/* White noise of `rms`: loud and not tonal, as speech is to the detector. */
static void sig_voice(struct sig *s, unsigned ms, double rms)
{
	for (size_t i = 0; i < (size_t)ms * 8; i++)
		s->x[s->n++] = (int16_t)(rms * 1.7 * noise1(s));
	assert_true(s->n <= s->cap);
}

static void sig_tone(struct sig *s, unsigned ms, double hz, double amp)
{
	for (size_t i = 0; i < (size_t)ms * 8; i++)
		s->x[s->n++] = (int16_t)(amp * sin(2 * M_PI * hz * (double)i / 8000.0));
	assert_true(s->n <= s->cap);
}

/* Feeds the signal in `chunk`-sample frames until the detector is done; returns the
 * number of events. */
static size_t run(const struct media_amd_params *p, const struct sig *s, size_t chunk,
		  struct media_amd_event *ev)
{
	struct media_amd *a;
	size_t nev = 0;

	assert_int_equal(media_amd_new(p, &a), 0);
	for (size_t at = 0; at < s->n && !media_amd_done(a); at += chunk) {
		size_t k = s->n - at < chunk ? s->n - at : chunk;

		media_amd_feed(a, s->x + at, k);
		while (nev < MAX_EVENTS && media_amd_next(a, &ev[nev]))
			nev++;
	}
	media_amd_free(a);
	return nev;
}

static void test_defaults_are_documented_values(void **state)
{
	struct media_amd_params p;
	char err[96] = "";

	(void)state;
	media_amd_defaults(&p);
	assert_int_equal(p.initial_silence_ms, 2500);
	assert_int_equal(p.greeting_ms, 1500);
	assert_int_equal(p.after_greeting_silence_ms, 800);
	assert_int_equal(p.total_ms, 5000);
	assert_int_equal(p.min_word_ms, 100);
	assert_int_equal(p.between_words_ms, 50);
	assert_int_equal(p.max_words, 3);
	assert_int_equal(p.beep_min_ms, 150);
	assert_true(p.fax);
	assert_int_equal(media_amd_check(&p, err, sizeof(err)), 0);
}

static void test_bad_thresholds_are_named(void **state)
{
	struct media_amd_params p;
	struct media_amd *a = NULL;
	char err[96] = "";

	(void)state;
	media_amd_defaults(&p);
	p.greeting_ms = 6000;
	assert_int_equal(media_amd_check(&p, err, sizeof(err)), EINVAL);
	assert_string_equal(err, "greeting: not under total");
	assert_int_equal(media_amd_new(&p, &a), EINVAL);
	assert_null(a);
	media_amd_defaults(&p);
	p.beep_wait_ms = 70000;
	assert_int_equal(media_amd_check(&p, err, sizeof(err)), EINVAL);
	assert_string_equal(err, "beep_wait: over 60000 ms");
	media_amd_defaults(&p);
	p.max_words = 0;
	assert_int_equal(media_amd_check(&p, err, sizeof(err)), EINVAL);
	assert_string_equal(err, "max_words: under 1");
}

static void test_thresholds_are_set_by_name(void **state)
{
	struct media_amd_params p, q;
	size_t n = 0;

	(void)state;
	media_amd_defaults(&p);
	q = p;
	assert_int_equal(media_amd_param_set(&p, "after_greeting_silence", 600), 0);
	assert_int_equal(p.after_greeting_silence_ms, 600);
	assert_int_equal(media_amd_param_set(&p, "max_words", 4), 0);
	assert_int_equal(p.max_words, 4);
	assert_int_equal(media_amd_param_set(&p, "silence_threshold", 300), 0);
	assert_int_equal(p.silence_threshold, 300);
	assert_int_equal(media_amd_param_set(&p, "greting", 1), ENOENT);
	/* Nothing else moved. */
	q.after_greeting_silence_ms = 600;
	q.max_words = 4;
	q.silence_threshold = 300;
	assert_memory_equal(&p, &q, sizeof(p));
	while (media_amd_param_names[n])
		n++;
	assert_int_equal(n, 10);
}

static void test_short_greeting_then_silence_is_person(void **state)
{
	struct sig s;
	struct media_amd_event ev[MAX_EVENTS];

	(void)state;
	sig_init(&s);
	sig_silence(&s, 600);
	sig_voice(&s, 400, 3000);
	sig_silence(&s, 3000);
	assert_int_equal(run(NULL, &s, 160, ev), 1);
	assert_int_equal(ev[0].result, MEDIA_AMD_PERSON);
	assert_int_equal(ev[0].reason, MEDIA_AMD_R_SHORT_GREETING);
	assert_int_equal(ev[0].words, 1);
	assert_int_equal(ev[0].initial_ms, 600);
	/* After 800 ms of silence following the greeting's end (at 1000 ms). */
	assert_in_range(ev[0].ms, 1800, 1860);
	free(s.x);
}

static void test_long_greeting_is_machine_then_beep(void **state)
{
	struct sig s;
	struct media_amd_event ev[MAX_EVENTS];
	struct media_amd_params p;

	(void)state;
	media_amd_defaults(&p);
	p.max_words = 20;
	sig_init(&s);
	sig_silence(&s, 300);
	for (int i = 0; i < 8; i++) {
		sig_voice(&s, 400, 2500);
		sig_silence(&s, 150);
	}
	sig_silence(&s, 500);
	size_t beep_end = s.n / 8 + 400;

	sig_tone(&s, 400, 1000, 6000);
	sig_silence(&s, 2000);
	assert_int_equal(run(&p, &s, 160, ev), 2);
	assert_int_equal(ev[0].result, MEDIA_AMD_MACHINE);
	assert_int_equal(ev[0].reason, MEDIA_AMD_R_LONG_GREETING);
	/* 1500 ms of speech: about the fourth word's 300th ms (a 20 ms frame straddling a
	 * word's edge counts as speech, and 150 ms gaps do not fall on frame edges). */
	assert_int_equal(ev[0].speech_ms, 1500);
	assert_int_equal(ev[0].words, 4);
	assert_in_range(ev[0].ms, 300 + 3 * 550 + 240, 300 + 3 * 550 + 340);
	assert_int_equal(ev[1].result, MEDIA_AMD_MACHINE_BEEP);
	assert_in_range(ev[1].ms, beep_end, beep_end + 40);
	assert_in_range(ev[1].beep_hz, 990, 1010);
	assert_in_range(ev[1].beep_ms, 360, 420);
	free(s.x);
}

static void test_many_words_are_machine(void **state)
{
	struct sig s;
	struct media_amd_event ev[MAX_EVENTS];

	(void)state;
	sig_init(&s);
	sig_silence(&s, 300);
	for (int i = 0; i < 6; i++) {
		sig_voice(&s, 200, 2500);
		sig_silence(&s, 200);
	}
	sig_silence(&s, 3000);
	assert_true(run(NULL, &s, 160, ev) >= 1);
	assert_int_equal(ev[0].result, MEDIA_AMD_MACHINE);
	assert_int_equal(ev[0].reason, MEDIA_AMD_R_MAX_WORDS);
	assert_int_equal(ev[0].words, 3);
	/* The third word counts once it has lasted min_word_ms. */
	assert_in_range(ev[0].ms, 300 + 2 * 400 + 100, 300 + 2 * 400 + 140);
	free(s.x);
}

static void test_nobody_speaks_is_machine_and_no_beep(void **state)
{
	struct sig s;
	struct media_amd_event ev[MAX_EVENTS];
	struct media_amd_params p;

	(void)state;
	media_amd_defaults(&p);
	p.beep_wait_ms = 4000;
	sig_init(&s);
	sig_silence(&s, 6000);
	assert_int_equal(run(&p, &s, 160, ev), 2);
	assert_int_equal(ev[0].result, MEDIA_AMD_MACHINE);
	assert_int_equal(ev[0].reason, MEDIA_AMD_R_INITIAL_SILENCE);
	assert_int_equal(ev[0].ms, 2500);
	assert_int_equal(ev[1].result, MEDIA_AMD_NO_BEEP);
	assert_int_equal(ev[1].ms, 4000);
	free(s.x);
}

static void test_neither_is_unsure(void **state)
{
	struct sig s;
	struct media_amd_event ev[MAX_EVENTS];
	struct media_amd_params p;

	(void)state;
	media_amd_defaults(&p);
	p.greeting_ms = 4000;
	p.max_words = 20;
	sig_init(&s);
	for (int i = 0; i < 12; i++) {
		sig_voice(&s, 200, 2500);
		sig_silence(&s, 400);
	}
	assert_int_equal(run(&p, &s, 160, ev), 1);
	assert_int_equal(ev[0].result, MEDIA_AMD_UNSURE);
	assert_int_equal(ev[0].reason, MEDIA_AMD_R_TOTAL_TIME);
	assert_int_equal(ev[0].ms, 5000);
	free(s.x);
}

static void test_beep_first_is_machine(void **state)
{
	struct sig s;
	struct media_amd_event ev[MAX_EVENTS];

	(void)state;
	sig_init(&s);
	sig_silence(&s, 500);
	sig_tone(&s, 300, 440, 4000);
	sig_silence(&s, 1000);
	assert_int_equal(run(NULL, &s, 160, ev), 2);
	assert_int_equal(ev[0].result, MEDIA_AMD_MACHINE);
	assert_int_equal(ev[0].reason, MEDIA_AMD_R_BEEP);
	assert_int_equal(ev[1].result, MEDIA_AMD_MACHINE_BEEP);
	assert_in_range(ev[1].ms, 800, 840);
	assert_in_range(ev[1].beep_hz, 430, 450);
	free(s.x);
}

static void test_tone_outside_band_or_short_is_no_beep(void **state)
{
	struct sig s;
	struct media_amd_event ev[MAX_EVENTS];
	struct media_amd_params p;

	(void)state;
	media_amd_defaults(&p);
	p.fax = false;
	sig_init(&s);
	sig_silence(&s, 300);
	sig_tone(&s, 100, 1000, 4000); /* too short */
	sig_silence(&s, 300);
	sig_tone(&s, 400, 2600, 4000); /* above the band */
	sig_silence(&s, 300);
	sig_tone(&s, 400, 300, 4000); /* below it */
	sig_silence(&s, 3000);
	assert_true(run(&p, &s, 160, ev) >= 1);
	assert_int_not_equal(ev[0].reason, MEDIA_AMD_R_BEEP);
	free(s.x);
}

static void test_fax_calling_tone_is_fax(void **state)
{
	struct sig s;
	struct media_amd_event ev[MAX_EVENTS];

	(void)state;
	sig_init(&s);
	sig_silence(&s, 300);
	sig_tone(&s, 500, 1100, 5000);
	sig_silence(&s, 3000);
	sig_tone(&s, 500, 1100, 5000);
	assert_int_equal(run(NULL, &s, 160, ev), 1);
	assert_int_equal(ev[0].result, MEDIA_AMD_FAX);
	assert_int_equal(ev[0].reason, MEDIA_AMD_R_FAX_CNG);
	assert_in_range(ev[0].ms, 600, 840);
	free(s.x);
}

static void test_frame_size_does_not_change_results(void **state)
{
	struct sig s;
	struct media_amd_event a[MAX_EVENTS], b[MAX_EVENTS];
	size_t na, nb;

	(void)state;
	sig_init(&s);
	sig_silence(&s, 450);
	for (int i = 0; i < 5; i++) {
		sig_voice(&s, 330, 2000);
		sig_silence(&s, 170);
	}
	sig_silence(&s, 700);
	sig_tone(&s, 350, 1400, 5000);
	sig_silence(&s, 1000);
	na = run(NULL, &s, 160, a);
	nb = run(NULL, &s, 37, b);
	assert_int_equal(na, 2);
	assert_int_equal(nb, na);
	for (size_t i = 0; i < na; i++) {
		assert_int_equal(a[i].result, b[i].result);
		assert_int_equal(a[i].reason, b[i].reason);
		assert_int_equal(a[i].ms, b[i].ms);
	}
	free(s.x);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(media_amd_result_name(MEDIA_AMD_MACHINE_BEEP), "machine_beep");
	assert_string_equal(media_amd_result_name(MEDIA_AMD_PERSON), "person");
	assert_string_equal(media_amd_reason_name(MEDIA_AMD_R_LONG_GREETING), "long_greeting");
	assert_string_equal(media_amd_reason_name(MEDIA_AMD_R_FAX_CNG), "fax_cng");
}

/* Waits for the next MEDIA_EV_AMD. */
static struct media_event wait_amd(struct tmedia *t, unsigned ms)
{
	struct media_event ev;

	assert_true(tm_wait(t, MEDIA_EV_AMD, ms, &ev));
	return ev;
}

static void test_engine_reports_decision_and_beep_over_rtp(void **state)
{
	struct tmedia t;
	struct tpeer peer, *peers[] = {&peer};
	struct media_session *s;
	struct media_event ev;
	struct media_amd_params p;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&peer, MEDIA_CODEC_PCMU, 0);
	s = tm_session(&t, 77, NULL, &peer, MEDIA_CODEC_PCMU, 0);
	media_amd_defaults(&p);
	p.initial_silence_ms = 1000;
	assert_int_equal(media_amd_start(s, &p), 0);
	peer.active = true;
	tp_run(peers, 1, 60); /* 1.2 s of silence */
	ev = wait_amd(&t, 2000);
	assert_int_equal(ev.owner, 77);
	assert_int_equal(ev.amd.result, MEDIA_AMD_MACHINE);
	assert_int_equal(ev.amd.reason, MEDIA_AMD_R_INITIAL_SILENCE);
	assert_int_equal(ev.amd.ms, 1000);
	peer.freq = 1000;
	tp_run(peers, 1, 15); /* a 300 ms beep */
	peer.freq = 0;
	tp_run(peers, 1, 10);
	ev = wait_amd(&t, 2000);
	assert_int_equal(ev.amd.result, MEDIA_AMD_MACHINE_BEEP);
	assert_in_range(ev.amd.beep_hz, 990, 1010);
	assert_in_range(ev.amd.beep_ms, 260, 320);
	/* Detection is over: nothing more comes. */
	tp_run(peers, 1, 10);
	assert_int_equal(tm_count(&t, MEDIA_EV_AMD, 100), 0);
	media_session_free(s);
	tp_close(&peer);
	tm_stop(&t);
}

static void test_engine_decodes_g722_for_detection(void **state)
{
	struct tmedia t;
	struct tpeer peer, *peers[] = {&peer};
	struct media_session *s;
	struct media_event ev;
	struct media_amd_params p;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&peer, MEDIA_CODEC_G722, 0);
	s = tm_session(&t, 80, NULL, &peer, MEDIA_CODEC_G722, 0);
	media_amd_defaults(&p);
	p.initial_silence_ms = 600;
	assert_int_equal(media_amd_start(s, &p), 0);
	peer.active = true;
	tp_run(peers, 1, 35);
	ev = wait_amd(&t, 2000);
	assert_int_equal(ev.amd.result, MEDIA_AMD_MACHINE);
	assert_int_equal(ev.amd.reason, MEDIA_AMD_R_INITIAL_SILENCE);
	peer.freq = 1400;
	tp_run(peers, 1, 20); /* a 400 ms beep */
	peer.freq = 0;
	tp_run(peers, 1, 10);
	ev = wait_amd(&t, 2000);
	assert_int_equal(ev.amd.result, MEDIA_AMD_MACHINE_BEEP);
	assert_in_range(ev.amd.beep_hz, 1390, 1410);
	media_session_free(s);
	tp_close(&peer);
	tm_stop(&t);
}

static void test_engine_feeds_timestamp_gaps_as_silence(void **state)
{
	struct tmedia t;
	struct tpeer peer;
	struct media_session *s;
	struct media_event ev;
	struct media_amd_params p;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&peer, MEDIA_CODEC_PCMU, 0);
	s = tm_session(&t, 81, NULL, &peer, MEDIA_CODEC_PCMU, 0);
	media_amd_defaults(&p);
	p.initial_silence_ms = 1000;
	assert_int_equal(media_amd_start(s, &p), 0);
	tp_sleep_ms(50); /* the start command reaches the worker before the packets */
	/* In one burst, far faster than real time: 100 ms of silence, a 2 s jump in
	 * timestamps (silence suppression), a 300 ms beep, 200 ms of silence. Only the
	 * timestamps tell the detector how much time passed. */
	for (int i = 0; i < 5; i++)
		tp_send_audio(&peer);
	peer.ts += 16000;
	peer.freq = 1000;
	for (int i = 0; i < 15; i++)
		tp_send_audio(&peer);
	peer.freq = 0;
	for (int i = 0; i < 10; i++)
		tp_send_audio(&peer);
	ev = wait_amd(&t, 2000);
	assert_int_equal(ev.amd.result, MEDIA_AMD_MACHINE);
	assert_int_equal(ev.amd.reason, MEDIA_AMD_R_INITIAL_SILENCE);
	assert_int_equal(ev.amd.ms, 1000);
	ev = wait_amd(&t, 2000);
	assert_int_equal(ev.amd.result, MEDIA_AMD_MACHINE_BEEP);
	/* The beep ends at 100 + 2000 + 300 ms of audio (less 20 ms for each of the first
	 * packets a slow worker would have read before the start command). */
	assert_in_range(ev.amd.ms, 2300, 2440);
	media_session_free(s);
	tp_close(&peer);
	tm_stop(&t);
}

static void test_engine_hears_a_silent_peer_as_silence(void **state)
{
	struct tmedia t;
	struct tpeer peer;
	struct media_session *s;
	struct media_event ev;
	struct media_amd_params p;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&peer, MEDIA_CODEC_PCMA, 0);
	s = tm_session(&t, 78, NULL, &peer, MEDIA_CODEC_PCMA, 0);
	media_amd_defaults(&p);
	p.initial_silence_ms = 1000;
	p.beep_wait_ms = 0;
	assert_int_equal(media_amd_start(s, &p), 0);
	/* The peer sends nothing at all. */
	ev = wait_amd(&t, 3000);
	assert_int_equal(ev.owner, 78);
	assert_int_equal(ev.amd.result, MEDIA_AMD_MACHINE);
	assert_int_equal(ev.amd.reason, MEDIA_AMD_R_INITIAL_SILENCE);
	assert_int_equal(ev.amd.ms, 1000);
	assert_int_equal(tm_count(&t, MEDIA_EV_AMD, 300), 0);
	media_session_free(s);
	tp_close(&peer);
	tm_stop(&t);
}

static void test_engine_stop_ends_detection(void **state)
{
	struct tmedia t;
	struct tpeer peer;
	struct media_session *s;
	struct media_amd_params p;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&peer, MEDIA_CODEC_PCMU, 0);
	s = tm_session(&t, 79, NULL, &peer, MEDIA_CODEC_PCMU, 0);
	media_amd_defaults(&p);
	p.initial_silence_ms = 600;
	p.greeting_ms = 400;
	p.after_greeting_silence_ms = 400;
	assert_int_equal(media_amd_start(s, &p), 0);
	media_amd_stop(s);
	assert_int_equal(tm_count(&t, MEDIA_EV_AMD, 1200), 0);
	p.total_ms = 100;
	assert_int_equal(media_amd_start(s, &p), EINVAL);
	media_session_free(s);
	tp_close(&peer);
	tm_stop(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_are_documented_values),
	    cmocka_unit_test(test_bad_thresholds_are_named),
	    cmocka_unit_test(test_thresholds_are_set_by_name),
	    cmocka_unit_test(test_short_greeting_then_silence_is_person),
	    cmocka_unit_test(test_long_greeting_is_machine_then_beep),
	    cmocka_unit_test(test_many_words_are_machine),
	    cmocka_unit_test(test_nobody_speaks_is_machine_and_no_beep),
	    cmocka_unit_test(test_neither_is_unsure),
	    cmocka_unit_test(test_beep_first_is_machine),
	    cmocka_unit_test(test_tone_outside_band_or_short_is_no_beep),
	    cmocka_unit_test(test_fax_calling_tone_is_fax),
	    cmocka_unit_test(test_frame_size_does_not_change_results),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_engine_reports_decision_and_beep_over_rtp),
	    cmocka_unit_test(test_engine_decodes_g722_for_detection),
	    cmocka_unit_test(test_engine_feeds_timestamp_gaps_as_silence),
	    cmocka_unit_test(test_engine_hears_a_silent_peer_as_silence),
	    cmocka_unit_test(test_engine_stop_ends_detection),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
