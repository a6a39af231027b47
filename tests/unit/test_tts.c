/*
 * Tests of the TTS module against the real espeak-ng: each of Polish, Spanish, Russian
 * and English renders non-silent audio of a plausible length, the disk cache answers
 * the second request without synthesis, asynchronous requests post their completion,
 * and prompt sets are made from their catalogues without overwriting recordings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <poll.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mq.h"
#include "tts/tts.h"

struct audio {
	int rate, channels;
	double seconds, rms;
};

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *tmpdir(void)
{
	char *d = strdup("/tmp/centrala-tts-XXXXXX");

	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

static void measure(const char *path, struct audio *a)
{
	SF_INFO info = {0};
	SNDFILE *f = sf_open(path, SFM_READ, &info);
	short buf[4096];
	double sum = 0;
	sf_count_t n, total = 0;

	assert_non_null(f);
	while ((n = sf_read_short(f, buf, 4096)) > 0) {
		for (sf_count_t i = 0; i < n; i++)
			sum += (double)buf[i] * buf[i];
		total += n;
	}
	sf_close(f);
	a->rate = info.samplerate;
	a->channels = info.channels;
	a->seconds = (double)total / info.samplerate;
	a->rms = total ? sqrt(sum / (double)total) : 0;
}

static void renders_speech(const char *lang, const char *text)
{
	char *dir = tmpdir(), path[256];
	struct tts *t;
	struct tts_params p = {.text = text, .lang = lang};
	struct audio a;

	assert_int_equal(tts_create(dir, NULL, &t), 0);
	assert_int_equal(tts_render_sync(t, &p, path, sizeof(path)), 0);
	measure(path, &a);
	print_message("%s: %.2f s, RMS %.0f\n", lang, a.seconds, a.rms);
	assert_int_equal(a.rate, 8000);
	assert_int_equal(a.channels, 1);
	assert_true(a.seconds > 0.3 && a.seconds < 10.0);
	assert_true(a.rms > 300.0);
	tts_destroy(t);
	rm_rf(dir);
	free(dir);
}

static void test_polish_renders_speech(void **state)
{
	renders_speech("pl", "Dzień dobry, w czym możemy pomóc?");
}

static void test_spanish_renders_speech(void **state)
{
	renders_speech("es", "Buenos días, ¿en qué podemos ayudarle?");
}

static void test_russian_renders_speech(void **state)
{
	renders_speech("ru", "Добрый день, чем мы можем помочь?");
}

static void test_english_renders_speech(void **state)
{
	renders_speech("en", "Good morning, how can we help you?");
}

static void test_second_render_is_a_cache_hit(void **state)
{
	char *dir = tmpdir(), p1[256], p2[256];
	struct tts *t;
	struct tts_params p = {.text = "Dziękujemy za cierpliwość.", .lang = "pl"};
	struct tts_stats st;

	assert_int_equal(tts_create(dir, NULL, &t), 0);
	assert_int_equal(tts_path_for(t, &p, p1, sizeof(p1)), ENOENT);
	assert_int_equal(tts_render_sync(t, &p, p1, sizeof(p1)), 0);
	assert_int_equal(tts_render_sync(t, &p, p2, sizeof(p2)), 0);
	assert_string_equal(p1, p2);
	tts_stats(t, &st);
	assert_int_equal(st.syntheses, 1);
	assert_int_equal(st.cache_hits, 1);
	assert_int_equal(tts_path_for(t, &p, p2, sizeof(p2)), 0);
	assert_string_equal(p1, p2);
	tts_destroy(t);
	rm_rf(dir);
	free(dir);
}

static void test_cache_survives_a_restart(void **state)
{
	char *dir = tmpdir(), path[256];
	struct tts *t;
	struct tts_params p = {.text = "Hello again.", .lang = "en"};
	struct tts_stats st;

	assert_int_equal(tts_create(dir, NULL, &t), 0);
	assert_int_equal(tts_render_sync(t, &p, path, sizeof(path)), 0);
	tts_destroy(t);
	assert_int_equal(tts_create(dir, NULL, &t), 0);
	assert_int_equal(tts_path_for(t, &p, path, sizeof(path)), 0);
	assert_int_equal(tts_render_sync(t, &p, path, sizeof(path)), 0);
	tts_stats(t, &st);
	assert_int_equal(st.syntheses, 0);
	assert_int_equal(st.cache_hits, 1);
	tts_destroy(t);
	rm_rf(dir);
	free(dir);
}

static void test_cache_key_includes_voice_rate_and_sample_rate(void **state)
{
	char *dir = tmpdir(), a[256], b[256], c[256], d[256];
	struct tts *t;
	struct tts_params p = {.text = "Uno dos tres.", .lang = "es"};
	struct audio au;

	assert_int_equal(tts_create(dir, NULL, &t), 0);
	tts_path_for(t, &p, a, sizeof(a));
	p.rate = 200;
	tts_path_for(t, &p, b, sizeof(b));
	p.rate = 0;
	p.voice = "es+f3";
	tts_path_for(t, &p, c, sizeof(c));
	p.voice = NULL;
	p.sample_rate = 16000;
	tts_path_for(t, &p, d, sizeof(d));
	assert_string_not_equal(a, b);
	assert_string_not_equal(a, c);
	assert_string_not_equal(a, d);
	assert_int_equal(tts_render_sync(t, &p, d, sizeof(d)), 0);
	measure(d, &au);
	assert_int_equal(au.rate, 16000);
	assert_true(au.rms > 300.0);
	tts_destroy(t);
	rm_rf(dir);
	free(dir);
}

static void test_bad_parameters_are_refused(void **state)
{
	char *dir = tmpdir(), path[256];
	struct tts *t;
	struct tts_params empty = {.text = "", .lang = "en"};
	struct tts_params rate = {.text = "x", .lang = "en", .rate = 1000};
	struct tts_params sr = {.text = "x", .lang = "en", .sample_rate = 44100};
	struct tts_params voice = {.text = "x", .voice = "../etc"};
	struct tts_params unknown = {.text = "x", .voice = "no-such-voice"};

	assert_int_equal(tts_create(dir, NULL, &t), 0);
	assert_int_equal(tts_render_sync(t, &empty, path, sizeof(path)), EINVAL);
	assert_int_equal(tts_render_sync(t, &rate, path, sizeof(path)), EINVAL);
	assert_int_equal(tts_render_sync(t, &sr, path, sizeof(path)), EINVAL);
	assert_int_equal(tts_render_sync(t, &voice, path, sizeof(path)), EINVAL);
	assert_int_equal(tts_render_sync(t, &unknown, path, sizeof(path)), EINVAL);
	assert_int_equal(tts_request(t, &empty, 1), EINVAL);
	tts_destroy(t);
	rm_rf(dir);
	free(dir);
}

static void wait_done(struct mq *q, struct tts_done *d)
{
	struct pollfd pfd = {.fd = mq_fd(q), .events = POLLIN};
	unsigned char buf[MQ_MSG_MAX];

	/* Waiting for the worker thread's answer, bounded. */
	assert_int_equal(poll(&pfd, 1, 60000), 1);
	mq_drain_fd(q);
	assert_int_equal(mq_pop(q, buf), sizeof(*d));
	memcpy(d, buf, sizeof(*d));
}

static void test_request_posts_completion_with_cookie(void **state)
{
	char *dir = tmpdir();
	struct mq *q;
	struct tts *t;
	struct tts_params p = {.text = "Please hold.", .lang = "en"};
	struct tts_done d;
	struct audio a;

	assert_int_equal(mq_alloc(&q, 16), 0);
	assert_int_equal(tts_create(dir, q, &t), 0);
	assert_int_equal(tts_request(t, &p, 42), 0);
	wait_done(q, &d);
	assert_int_equal(d.kind, TTS_MSG_DONE);
	assert_int_equal(d.status, 0);
	assert_int_equal(d.cookie, 42);
	assert_false(d.cached);
	measure(d.path, &a);
	assert_true(a.rms > 300.0);
	assert_int_equal(tts_request(t, &p, 43), 0);
	wait_done(q, &d);
	assert_int_equal(d.cookie, 43);
	assert_true(d.cached);
	tts_destroy(t);
	mq_free(q);
	rm_rf(dir);
	free(dir);
}

static void test_no_temporary_files_remain(void **state)
{
	char *dir = tmpdir(), path[256];
	struct tts *t;
	struct tts_params p = {.text = "Spasibo.", .lang = "ru"};
	struct dirent *e;
	DIR *d;
	int files = 0;

	assert_int_equal(tts_create(dir, NULL, &t), 0);
	assert_int_equal(tts_render_sync(t, &p, path, sizeof(path)), 0);
	tts_destroy(t);
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' && (!e->d_name[1] || !strcmp(e->d_name, "..")))
			continue;
		assert_null(strstr(e->d_name, "tmp"));
		files++;
	}
	closedir(d);
	assert_int_equal(files, 1);
	rm_rf(dir);
	free(dir);
}

static void test_missing_cache_parents_are_created(void **state)
{
	char *dir = tmpdir(), cache[300], path[400];
	struct tts *t;
	struct tts_params p = {.text = "Hola.", .lang = "es"};

	snprintf(cache, sizeof(cache), "%s/var/tts/", dir);
	assert_int_equal(tts_create(cache, NULL, &t), 0);
	assert_int_equal(tts_render_sync(t, &p, path, sizeof(path)), 0);
	tts_destroy(t);
	rm_rf(dir);
	free(dir);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_prompt_set_is_made_and_recordings_are_kept(void **state)
{
	char *dir = tmpdir(), cache[300], sub[300], path[400];
	struct tts *t;
	struct audio a;
	struct stat st;
	unsigned made = 0;

	snprintf(cache, sizeof(cache), "%s/cache", dir);
	snprintf(sub, sizeof(sub), "%s/pl", dir);
	mkdir(sub, 0755);
	snprintf(path, sizeof(path), "%s/prompts.tsv", sub);
	write_file(path, "# test set\n5\tpięć\ngoodbye\tDo widzenia.\nbeep\t[tone 1000 400]\n"
			 "welcome\tWitamy.\n");
	/* A recording made by a person, already in place. */
	snprintf(path, sizeof(path), "%s/welcome.wav", sub);
	write_file(path, "RIFF-recorded");
	assert_int_equal(tts_create(cache, NULL, &t), 0);
	assert_int_equal(tts_prompts_make(t, dir, "pl", &made), 0);
	assert_int_equal(made, 3);
	snprintf(path, sizeof(path), "%s/5.wav", sub);
	measure(path, &a);
	assert_true(a.rms > 300.0 && a.seconds > 0.2);
	snprintf(path, sizeof(path), "%s/beep.wav", sub);
	measure(path, &a);
	assert_int_equal(a.rate, 8000);
	assert_true(a.seconds > 0.39 && a.seconds < 0.41);
	snprintf(path, sizeof(path), "%s/welcome.wav", sub);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 13);
	/* Nothing changed: nothing is made again. */
	assert_int_equal(tts_prompts_make(t, dir, "pl", &made), 0);
	assert_int_equal(made, 0);
	/* A changed text is made again. */
	snprintf(path, sizeof(path), "%s/prompts.tsv", sub);
	write_file(path, "5\tpięć\ngoodbye\tDo zobaczenia.\nbeep\t[tone 1000 400]\n");
	assert_int_equal(tts_prompts_make(t, dir, "pl", &made), 0);
	assert_int_equal(made, 1);
	assert_int_equal(tts_prompts_make(t, dir, "xx", &made), ENOENT);
	tts_destroy(t);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_polish_renders_speech),
	    cmocka_unit_test(test_spanish_renders_speech),
	    cmocka_unit_test(test_russian_renders_speech),
	    cmocka_unit_test(test_english_renders_speech),
	    cmocka_unit_test(test_second_render_is_a_cache_hit),
	    cmocka_unit_test(test_cache_survives_a_restart),
	    cmocka_unit_test(test_cache_key_includes_voice_rate_and_sample_rate),
	    cmocka_unit_test(test_bad_parameters_are_refused),
	    cmocka_unit_test(test_request_posts_completion_with_cookie),
	    cmocka_unit_test(test_no_temporary_files_remain),
	    cmocka_unit_test(test_missing_cache_parents_are_created),
	    cmocka_unit_test(test_prompt_set_is_made_and_recordings_are_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
