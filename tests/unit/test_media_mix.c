/*
 * Loopback tests of conferences: each member hears the others but not itself; LISTEN
 * members hear all and are heard by none; WHISPER is heard only by its target; members
 * must share a worker; a mix recording holds the first member left, the rest right.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_media_util.h"

#include <sndfile.h>
#include <stdio.h>

#define PORTS_MIN 43700
#define PORTS_MAX 43899

static const double freq[3] = {400, 1000, 1700};

struct conf {
	struct tmedia t;
	struct tpeer p[3];
	struct tpeer *peers[3];
	struct media_session *s[3];
	struct media_mix *x;
};

static void conf_start(struct conf *c, const char *record_path, enum media_codec third)
{
	tm_start(&c->t, PORTS_MIN, PORTS_MAX, 1, 0);
	assert_int_equal(media_mix_create(c->t.m, record_path, &c->x), 0);
	media_mix_set_owner(c->x, 99);
	for (int i = 0; i < 3; i++) {
		enum media_codec codec = i == 2 ? third : MEDIA_CODEC_PCMU;

		tp_open(&c->p[i], codec, freq[i]);
		c->peers[i] = &c->p[i];
		c->s[i] =
		    tm_session(&c->t, (uint64_t)(i + 1), i ? c->s[0] : NULL, &c->p[i], codec, 0);
	}
}

static void conf_stop(struct conf *c)
{
	for (int i = 0; i < 3; i++)
		media_session_free(c->s[i]);
	media_mix_free(c->x);
	tm_stop(&c->t);
	for (int i = 0; i < 3; i++)
		tp_close(&c->p[i]);
}

static void conf_talk(struct conf *c, int ticks)
{
	for (int i = 0; i < 3; i++) {
		tp_reset(&c->p[i]);
		c->p[i].active = true;
	}
	tp_run(c->peers, 3, ticks);
	for (int i = 0; i < 3; i++)
		c->p[i].active = false;
}

/* Power of a frequency in what peer i heard, after the first half second. */
static double heard(struct conf *c, int i, double f)
{
	static int16_t pcm[32000];
	enum media_codec codec = c->p[i].codec;
	unsigned rate = media__codec_rate(codec);
	size_t n = tp_decode(&c->p[i], c->p[i].pt, codec, pcm, 32000);

	if (n <= rate / 2)
		return 0;
	return tp_goertzel(pcm + rate / 2, n - rate / 2, 1, f, rate);
}

static void test_each_member_hears_the_others_but_not_itself(void **state)
{
	struct conf c;

	(void)state;
	conf_start(&c, NULL, MEDIA_CODEC_PCMU);
	for (int i = 0; i < 3; i++)
		assert_int_equal(media_mix_join(c.x, c.s[i], MEDIA_MIX_FULL, NULL), 0);
	conf_talk(&c, 75);
	for (int i = 0; i < 3; i++) {
		assert_in_range(c.p[i].npkts, 60, 90); /* one per tick, ±scheduling */
		for (int j = 0; j < 3; j++) {
			if (i == j)
				assert_true(heard(&c, i, freq[j]) < 1e3);
			else
				assert_true(heard(&c, i, freq[j]) > 1e5);
		}
	}
	conf_stop(&c);
}

static void test_listener_hears_all_and_is_heard_by_none(void **state)
{
	struct conf c;

	(void)state;
	conf_start(&c, NULL, MEDIA_CODEC_PCMU);
	assert_int_equal(media_mix_join(c.x, c.s[0], MEDIA_MIX_FULL, NULL), 0);
	assert_int_equal(media_mix_join(c.x, c.s[1], MEDIA_MIX_FULL, NULL), 0);
	assert_int_equal(media_mix_join(c.x, c.s[2], MEDIA_MIX_LISTEN, NULL), 0);
	conf_talk(&c, 75);
	assert_true(heard(&c, 2, freq[0]) > 1e5);
	assert_true(heard(&c, 2, freq[1]) > 1e5);
	assert_true(heard(&c, 0, freq[2]) < 1e3);
	assert_true(heard(&c, 1, freq[2]) < 1e3);
	conf_stop(&c);
}

static void test_whisper_is_heard_only_by_its_target(void **state)
{
	struct conf c;

	(void)state;
	/* 0: customer, 1: agent, 2: supervisor coaching the agent (in G.722). */
	conf_start(&c, NULL, MEDIA_CODEC_G722);
	assert_int_equal(media_mix_join(c.x, c.s[0], MEDIA_MIX_FULL, NULL), 0);
	assert_int_equal(media_mix_join(c.x, c.s[1], MEDIA_MIX_FULL, NULL), 0);
	assert_int_equal(media_mix_join(c.x, c.s[2], MEDIA_MIX_WHISPER, NULL), EINVAL);
	assert_int_equal(media_mix_join(c.x, c.s[2], MEDIA_MIX_WHISPER, c.s[1]), 0);
	conf_talk(&c, 75);
	assert_true(heard(&c, 1, freq[2]) > 1e5); /* the agent hears the coach */
	assert_true(heard(&c, 0, freq[2]) < 1e3); /* the customer does not */
	assert_true(heard(&c, 2, freq[0]) > 1e5); /* the coach hears both */
	assert_true(heard(&c, 2, freq[1]) > 1e5);
	conf_stop(&c);
}

static void test_leaving_member_is_no_longer_heard(void **state)
{
	struct conf c;

	(void)state;
	conf_start(&c, NULL, MEDIA_CODEC_PCMU);
	for (int i = 0; i < 3; i++)
		assert_int_equal(media_mix_join(c.x, c.s[i], MEDIA_MIX_FULL, NULL), 0);
	media_mix_leave(c.x, c.s[2]);
	conf_talk(&c, 50);
	assert_true(heard(&c, 0, freq[1]) > 1e5);
	assert_true(heard(&c, 0, freq[2]) < 1e3);
	assert_int_equal(c.p[2].npkts, 0);
	conf_stop(&c);
}

static void test_member_placed_on_another_worker_is_moved_to_the_mix(void **state)
{
	struct conf c;

	(void)state;
	tm_start(&c.t, PORTS_MIN, PORTS_MAX, 2, 0);
	assert_int_equal(media_mix_create(c.t.m, NULL, &c.x), 0);
	for (int i = 0; i < 3; i++) {
		tp_open(&c.p[i], MEDIA_CODEC_PCMU, freq[i]);
		c.peers[i] = &c.p[i];
		/* No `near`: the sessions spread over both workers. */
		c.s[i] = tm_session(&c.t, (uint64_t)(i + 1), NULL, &c.p[i], MEDIA_CODEC_PCMU, 0);
	}
	assert_ptr_not_equal(c.s[0]->w, c.s[1]->w);
	for (int i = 0; i < 3; i++)
		assert_int_equal(media_mix_join(c.x, c.s[i], MEDIA_MIX_FULL, NULL), 0);
	assert_ptr_equal(c.s[1]->w, c.s[0]->w);
	conf_talk(&c, 60);
	assert_true(heard(&c, 0, freq[1]) > 1e5);
	assert_true(heard(&c, 1, freq[0]) > 1e5);
	assert_true(heard(&c, 1, freq[2]) > 1e5);
	conf_stop(&c);
}

static void test_mix_recording_puts_first_member_left_and_others_right(void **state)
{
	struct conf c;
	char dir[] = "/tmp/centrala-test-mix-XXXXXX", path[96], cmd[128];
	SF_INFO info;
	SNDFILE *f;
	short *pcm;
	struct media_event ev;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/conf.wav", dir);
	conf_start(&c, path, MEDIA_CODEC_PCMU);
	for (int i = 0; i < 3; i++)
		assert_int_equal(media_mix_join(c.x, c.s[i], MEDIA_MIX_FULL, NULL), 0);
	conf_talk(&c, 75);
	media_mix_free(c.x);
	assert_true(tm_wait(&c.t, MEDIA_EV_RECORD_DONE, 2000, &ev));
	assert_int_equal(ev.owner, 99);
	c.x = NULL;
	conf_stop(&c);

	memset(&info, 0, sizeof(info));
	f = sf_open(path, SFM_READ, &info);
	assert_non_null(f);
	assert_int_equal(info.channels, 2);
	assert_int_equal(info.samplerate, 8000);
	assert_true(info.frames >= 10400); /* 1.5 s of talk, give or take a stall */
	pcm = calloc((size_t)info.frames * 2, sizeof(short));
	sf_readf_short(f, pcm, info.frames);
	sf_close(f);
	/* A second from 0.5 s on, or what a stalled run recorded of it (never past the end). */
	size_t win = (size_t)info.frames - 4000 < 8000 ? (size_t)info.frames - 4000 : 8000;
	double l0 = tp_goertzel(pcm + 2 * 4000, win, 2, freq[0], 8000);
	double l1 = tp_goertzel(pcm + 2 * 4000, win, 2, freq[1], 8000);
	double r0 = tp_goertzel(pcm + 2 * 4000 + 1, win, 2, freq[0], 8000);
	double r1 = tp_goertzel(pcm + 2 * 4000 + 1, win, 2, freq[1], 8000);
	double r2 = tp_goertzel(pcm + 2 * 4000 + 1, win, 2, freq[2], 8000);
	assert_true(l0 > 1e5 && l1 < 1e3);
	assert_true(r1 > 1e5 && r2 > 1e5 && r0 < 1e3);
	free(pcm);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_each_member_hears_the_others_but_not_itself),
	    cmocka_unit_test(test_listener_hears_all_and_is_heard_by_none),
	    cmocka_unit_test(test_whisper_is_heard_only_by_its_target),
	    cmocka_unit_test(test_leaving_member_is_no_longer_heard),
	    cmocka_unit_test(test_member_placed_on_another_worker_is_moved_to_the_mix),
	    cmocka_unit_test(test_mix_recording_puts_first_member_left_and_others_right),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
