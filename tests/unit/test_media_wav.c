/*
 * The WAV writer behind recordings (a valid file after every flush, read back with
 * libsndfile), the prompt loader and cache, and the player's sample source.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/media_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/centrala-test-wav-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static double goertzel(const int16_t *x, size_t n, size_t stride, double freq, double rate)
{
	double k = 2.0 * cos(2.0 * M_PI * freq / rate), s1 = 0, s2 = 0;

	for (size_t i = 0; i < n; i++) {
		double s0 = x[i * stride] + k * s1 - s2;

		s2 = s1;
		s1 = s0;
	}
	return (s1 * s1 + s2 * s2 - k * s1 * s2) / ((double)n * n);
}

/* Frames libsndfile reads from the file as it is on disk now. */
static sf_count_t frames_on_disk(const char *path, int *channels, int *rate)
{
	SF_INFO info;
	SNDFILE *f;
	sf_count_t n;

	memset(&info, 0, sizeof(info));
	f = sf_open(path, SFM_READ, &info);
	if (!f)
		return -1;
	n = info.frames;
	*channels = info.channels;
	*rate = info.samplerate;
	sf_close(f);
	return n;
}

static void write_wav(const char *path, int rate, int channels, int format, double freq,
		      double seconds)
{
	SF_INFO info = {.samplerate = rate, .channels = channels, .format = format};
	SNDFILE *f = sf_open(path, SFM_WRITE, &info);
	size_t n = (size_t)(rate * seconds);
	short *buf = malloc(n * (size_t)channels * sizeof(short));

	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < channels; c++)
			buf[i * (size_t)channels + (size_t)c] =
			    (short)(8000 * sin(2 * M_PI * freq * (double)i / rate));
	assert_int_equal(sf_writef_short(f, buf, (sf_count_t)n), (sf_count_t)n);
	sf_close(f);
	free(buf);
}

static void test_wav_header_fields(void **state)
{
	uint8_t h[MEDIA__WAV_HEADER];

	(void)state;
	media__wav_header(h, 8000, 2, 32000);
	assert_memory_equal(h, "RIFF", 4);
	assert_int_equal(h[4] | h[5] << 8 | h[6] << 16, 36 + 32000);
	assert_memory_equal(h + 8, "WAVEfmt ", 8);
	assert_int_equal(h[20], 1);		     /* PCM */
	assert_int_equal(h[22], 2);		     /* channels */
	assert_int_equal(h[24] | h[25] << 8, 8000);  /* rate */
	assert_int_equal(h[28] | h[29] << 8, 32000); /* bytes per second */
	assert_int_equal(h[32], 4);		     /* block align */
	assert_int_equal(h[34], 16);		     /* bits */
	assert_memory_equal(h + 36, "data", 4);
	assert_int_equal(h[40] | h[41] << 8, 32000);
}

static void test_wav_is_valid_after_open_and_every_append(void **state)
{
	struct media__wav w;
	char path[128];
	int16_t chunk[8000 * 2];
	int ch, rate;

	(void)state;
	snprintf(path, sizeof(path), "%s/grow.wav", dir);
	assert_int_equal(media__wav_open(&w, path, 8000, 2), 0);
	assert_int_equal(frames_on_disk(path, &ch, &rate), 0);
	assert_int_equal(ch, 2);
	assert_int_equal(rate, 8000);
	memset(chunk, 0, sizeof(chunk));
	for (int i = 1; i <= 3; i++) {
		assert_int_equal(media__wav_append(&w, chunk, sizeof(chunk)), 0);
		/* Still open, being written: already a complete file of i seconds. */
		assert_int_equal(frames_on_disk(path, &ch, &rate), 8000 * i);
	}
	assert_int_equal(media__wav_close(&w), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 44 + 3 * sizeof(chunk));
}

static void test_wav_keeps_channels_apart(void **state)
{
	struct media__wav w;
	char path[128];
	int16_t frames[1600 * 2];
	short back[1600 * 2];
	SF_INFO info;
	SNDFILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/stereo.wav", dir);
	for (int i = 0; i < 1600; i++) {
		frames[2 * i] = 1000;	   /* left */
		frames[2 * i + 1] = -2000; /* right */
	}
	assert_int_equal(media__wav_open(&w, path, 16000, 2), 0);
	assert_int_equal(media__wav_append(&w, frames, sizeof(frames)), 0);
	media__wav_close(&w);
	memset(&info, 0, sizeof(info));
	f = sf_open(path, SFM_READ, &info);
	assert_non_null(f);
	assert_int_equal(info.samplerate, 16000);
	assert_int_equal(sf_readf_short(f, back, 1600), 1600);
	sf_close(f);
	for (int i = 0; i < 1600; i++) {
		assert_int_equal(back[2 * i], 1000);
		assert_int_equal(back[2 * i + 1], -2000);
	}
}

static void test_wav_open_creates_parent_directories(void **state)
{
	struct media__wav w;
	char path[160];

	(void)state;
	snprintf(path, sizeof(path), "%s/acme/2026/11/23/call.wav", dir);
	assert_int_equal(media__wav_open(&w, path, 8000, 2), 0);
	media__wav_close(&w);
	assert_int_equal(access(path, R_OK), 0);
	assert_int_not_equal(media__wav_open(&w, "/proc/no/such/place.wav", 8000, 2), 0);
}

static void test_audio_loader_keeps_both_rates(void **state)
{
	char p8[128], p16[128];
	struct media__audio *a = NULL, *b = NULL;

	(void)state;
	snprintf(p8, sizeof(p8), "%s/p8.wav", dir);
	snprintf(p16, sizeof(p16), "%s/p16.wav", dir);
	write_wav(p8, 8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 440, 1.0);
	write_wav(p16, 16000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 440, 1.0);
	assert_int_equal(media__audio_load(p8, &a), 0);
	assert_int_equal(media__audio_load(p16, &b), 0);
	assert_int_equal(a->n8, 8000);
	assert_int_equal(a->n16, 16000);
	assert_int_equal(b->n8, 8000);
	assert_int_equal(b->n16, 16000);
	/* The other rate is the same tone, not noise. */
	assert_true(goertzel(a->pcm16 + 1000, 14000, 1, 440, 16000) >
		    1000 * goertzel(a->pcm16 + 1000, 14000, 1, 1000, 16000));
	assert_true(goertzel(b->pcm8 + 500, 7000, 1, 440, 8000) >
		    1000 * goertzel(b->pcm8 + 500, 7000, 1, 1000, 8000));
	media__audio_free(a);
	media__audio_free(b);
}

static void test_audio_loader_resamples_other_rates_and_mixes_down(void **state)
{
	char path[128];
	struct media__audio *a = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/cd.wav", dir);
	write_wav(path, 44100, 2, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1000, 0.5);
	assert_int_equal(media__audio_load(path, &a), 0);
	assert_int_equal(a->n8, 4000);
	assert_int_equal(a->n16, 8000);
	assert_true(goertzel(a->pcm8 + 400, 3200, 1, 1000, 8000) >
		    1000 * goertzel(a->pcm8 + 400, 3200, 1, 440, 8000));
	media__audio_free(a);
}

static void test_audio_loader_reads_ulaw_wav(void **state)
{
	char path[128];
	struct media__audio *a = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/ulaw.wav", dir);
	write_wav(path, 8000, 1, SF_FORMAT_WAV | SF_FORMAT_ULAW, 440, 0.5);
	assert_int_equal(media__audio_load(path, &a), 0);
	assert_int_equal(a->n8, 4000);
	media__audio_free(a);
}

static void test_audio_loader_errors(void **state)
{
	char path[128];
	struct media__audio *a = NULL;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/text.wav", dir);
	f = fopen(path, "w");
	fputs("not audio at all\n", f);
	fclose(f);
	assert_int_equal(media__audio_load(path, &a), EINVAL);
	snprintf(path, sizeof(path), "%s/missing.wav", dir);
	assert_int_equal(media__audio_load(path, &a), ENOENT);
}

static void test_cache_shares_and_reloads_changed_files(void **state)
{
	struct media__cache c;
	struct media__audio *a, *b, *d;
	char path[128];
	struct timespec later[2];

	(void)state;
	snprintf(path, sizeof(path), "%s/prompt.wav", dir);
	write_wav(path, 8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 440, 0.2);
	media__cache_init(&c, 1 << 20);
	assert_int_equal(media__cache_get(&c, path, &a), 0);
	assert_int_equal(media__cache_get(&c, path, &b), 0);
	assert_ptr_equal(a, b); /* decoded once, shared */
	assert_int_equal(atomic_load(&a->refs), 3);
	/* Rewritten (a regenerated prompt): the next play gets the new audio, while the
	 * plays holding the old copy keep it. */
	write_wav(path, 8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 440, 0.3);
	clock_gettime(CLOCK_REALTIME, &later[0]);
	later[0].tv_sec += 5;
	later[1] = later[0];
	utimensat(AT_FDCWD, path, later, 0);
	assert_int_equal(media__cache_get(&c, path, &d), 0);
	assert_ptr_not_equal(d, a);
	assert_int_equal(d->n8, 2400);
	assert_int_equal(a->n8, 1600);
	media__audio_put(a);
	media__audio_put(b); /* last reference to the old copy: freed */
	media__audio_put(d);
	assert_int_equal(media__cache_get(&c, "/nonexistent/x.wav", &a), ENOENT);
	media__cache_free(&c);
}

static void test_cache_evicts_unused_entries_over_budget(void **state)
{
	struct media__cache c;
	struct media__audio *a, *b;
	char p1[128], p2[128];

	(void)state;
	snprintf(p1, sizeof(p1), "%s/e1.wav", dir);
	snprintf(p2, sizeof(p2), "%s/e2.wav", dir);
	write_wav(p1, 8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 440, 1.0);
	write_wav(p2, 8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 440, 1.0);
	media__cache_init(&c, 60000); /* one second at both rates is 48000 bytes */
	assert_int_equal(media__cache_get(&c, p1, &a), 0);
	media__audio_put(a);
	assert_int_equal(media__cache_get(&c, p2, &b), 0);
	assert_int_equal(c.bytes, 48000); /* the first, unused, made room */
	media__audio_put(b);
	media__cache_free(&c);
}

static void test_player_tone_cadence_and_completion(void **state)
{
	struct media__tones t;
	struct media__play *p = calloc(1, sizeof(*p) + 2 * sizeof(p->items[0]));
	int16_t frame[320];
	unsigned frames = 0, loud = 0;

	(void)state;
	assert_int_equal(media__tones_init(&t), 0);
	p->nitems = 2;
	p->items[0].kind = MEDIA_ITEM_TONE;
	p->items[0].tone = MEDIA_TONE_BUSY; /* 0.5 s on, 0.5 s off */
	p->items[0].duration_ms = 2000;
	p->items[1].kind = MEDIA_ITEM_SILENCE;
	p->items[1].duration_ms = 100;
	while (!media__play_done(p) && frames < 1000) {
		unsigned got = media__play_fill(p, &t, 8000, frame, 160);
		int peak = 0;

		assert_true(got > 0);
		for (int i = 0; i < 160; i++)
			peak = abs(frame[i]) > peak ? abs(frame[i]) : peak;
		if (peak > 1000)
			loud++;
		frames++;
	}
	assert_int_equal(frames, 105); /* 2.1 s of 20 ms frames */
	assert_int_equal(loud, 50);    /* half of the 2 s tone */
	media__play_free(p);
	media__tones_free(&t);
}

static void test_player_loops_and_plays_files_at_both_rates(void **state)
{
	struct media__tones t;
	struct media__play *p = calloc(1, sizeof(*p) + sizeof(p->items[0]));
	char path[128];
	int16_t frame[320];

	(void)state;
	snprintf(path, sizeof(path), "%s/loop.wav", dir);
	write_wav(path, 8000, 1, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 440, 0.05); /* 400 samples */
	assert_int_equal(media__tones_init(&t), 0);
	p->nitems = 1;
	p->loop = true;
	p->items[0].kind = MEDIA_ITEM_FILE;
	assert_int_equal(media__audio_load(path, &p->items[0].audio), 0);
	for (int i = 0; i < 20; i++) { /* 0.4 s out of a 50 ms file */
		assert_int_equal(media__play_fill(p, &t, 8000, frame, 160), 160);
		assert_false(media__play_done(p));
	}
	assert_int_equal(media__play_fill(p, &t, 16000, frame, 320), 320);
	p->loop = false;
	while (!media__play_done(p))
		media__play_fill(p, &t, 8000, frame, 160);
	media__play_free(p); /* drops the audio reference: freed */
	media__tones_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wav_header_fields),
	    cmocka_unit_test(test_wav_is_valid_after_open_and_every_append),
	    cmocka_unit_test(test_wav_keeps_channels_apart),
	    cmocka_unit_test(test_wav_open_creates_parent_directories),
	    cmocka_unit_test(test_audio_loader_keeps_both_rates),
	    cmocka_unit_test(test_audio_loader_resamples_other_rates_and_mixes_down),
	    cmocka_unit_test(test_audio_loader_reads_ulaw_wav),
	    cmocka_unit_test(test_audio_loader_errors),
	    cmocka_unit_test(test_cache_shares_and_reloads_changed_files),
	    cmocka_unit_test(test_cache_evicts_unused_entries_over_budget),
	    cmocka_unit_test(test_player_tone_cadence_and_completion),
	    cmocka_unit_test(test_player_loops_and_plays_files_at_both_rates),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
