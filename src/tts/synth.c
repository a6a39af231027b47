/*
 * Synthesis with libespeak-ng in synchronous retrieval mode: its callback hands us
 * 22050 Hz samples, which speexdsp resamples to 8 or 16 kHz, and libsndfile writes as
 * a 16-bit mono WAV. espeak-ng keeps global state and is not thread-safe, so it is
 * initialised once per process and every use is serialised by `engine_lock`; in
 * practice only the TTS worker thread ever takes it. It is never terminated: with
 * espeak-ng 1.51, espeak_Terminate() followed by a new espeak_Initialize() hangs, and
 * a process that made a tts object once may well make another (tests, config reload).
 */
#include "tts/tts_int.h"

#include <errno.h>
#include <espeak-ng/speak_lib.h>
#include <math.h>
#include <sndfile.h>
#include <speex/speex_resampler.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Protects espeak-ng's global state and engine_rate. */
static pthread_mutex_t engine_lock = PTHREAD_MUTEX_INITIALIZER;
static int engine_rate; /* espeak-ng's sample rate once initialised, 0 before */

struct pcm_buf {
	int16_t *v;
	size_t n, cap;
	bool failed;
};

static int synth_cb(short *wav, int n, espeak_EVENT *ev)
{
	struct pcm_buf *b = ev ? ev->user_data : NULL;

	if (!b || !wav || n <= 0)
		return 0;
	if (b->n + (size_t)n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 65536;
		int16_t *v;
		while (cap < b->n + (size_t)n)
			cap *= 2;
		/* Ten minutes of speech is far past any prompt: stop there. */
		if (cap > (size_t)22050 * 600 || !(v = realloc(b->v, cap * sizeof(*v)))) {
			b->failed = true;
			return 1;
		}
		b->v = v;
		b->cap = cap;
	}
	memcpy(b->v + b->n, wav, (size_t)n * sizeof(*wav));
	b->n += (size_t)n;
	return 0;
}

int tts__engine_acquire(void)
{
	int rc = 0;

	pthread_mutex_lock(&engine_lock);
	if (engine_rate <= 0) {
		int r = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 200, NULL,
					  espeakINITIALIZE_DONT_EXIT);
		if (r <= 0) {
			rc = EIO;
		} else {
			espeak_SetSynthCallback(synth_cb);
			engine_rate = r;
		}
	}
	pthread_mutex_unlock(&engine_lock);
	return rc;
}

int tts__wav_write(const char *path, const char *tmp, const int16_t *pcm, size_t n, unsigned rate)
{
	SF_INFO info = {
	    .samplerate = (int)rate, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_16};
	SNDFILE *f = sf_open(tmp, SFM_WRITE, &info);
	int rc = 0;

	if (!f)
		return EIO;
	if (sf_write_short(f, pcm, (sf_count_t)n) != (sf_count_t)n)
		rc = EIO;
	if (sf_close(f))
		rc = EIO;
	if (!rc && rename(tmp, path))
		rc = errno;
	if (rc)
		unlink(tmp);
	return rc;
}

static int resample(const int16_t *in, size_t nin, unsigned from, unsigned to, int16_t **out,
		    size_t *nout)
{
	SpeexResamplerState *st;
	spx_uint32_t ilen, olen;
	size_t cap, lat;
	int16_t *o, *pad;
	int err = 0;

	st = speex_resampler_init(1, from, to, SPEEX_RESAMPLER_QUALITY_DEFAULT, &err);
	if (!st)
		return ENOMEM;
	lat = (size_t)speex_resampler_get_input_latency(st);
	cap = (size_t)((double)(nin + lat) * to / from) + 64;
	o = malloc(cap * sizeof(*o));
	pad = calloc(lat + 1, sizeof(*pad));
	if (!o || !pad) {
		free(o);
		free(pad);
		speex_resampler_destroy(st);
		return ENOMEM;
	}
	/* Skip the filter's leading delay, then flush its tail with zeros. */
	speex_resampler_skip_zeros(st);
	ilen = (spx_uint32_t)nin;
	olen = (spx_uint32_t)cap;
	speex_resampler_process_int(st, 0, in, &ilen, o, &olen);
	*nout = olen;
	ilen = (spx_uint32_t)lat;
	olen = (spx_uint32_t)(cap - *nout);
	speex_resampler_process_int(st, 0, pad, &ilen, o + *nout, &olen);
	*nout += olen;
	free(pad);
	speex_resampler_destroy(st);
	*out = o;
	return 0;
}

/* Drops the silence espeak-ng leaves before and after speech (up to 0.1 s), keeping
 * 10 ms, so that words composed from several files (numbers) follow each other
 * naturally. */
static void trim(struct pcm_buf *b, int rate)
{
	const int16_t floor = 200;
	size_t pad = (size_t)rate / 100, start = 0, end = b->n;

	while (start < b->n && b->v[start] < floor && b->v[start] > -floor)
		start++;
	while (end > start && b->v[end - 1] < floor && b->v[end - 1] > -floor)
		end--;
	if (start == end)
		return; /* all silence: leave it to the caller to notice */
	start = start > pad ? start - pad : 0;
	end = end + pad < b->n ? end + pad : b->n;
	memmove(b->v, b->v + start, (end - start) * sizeof(*b->v));
	b->n = end - start;
}

int tts__synth(struct tts_job *j)
{
	struct pcm_buf b = {0};
	int16_t *out = NULL;
	size_t nout = 0;
	int rc = 0, rate;

	pthread_mutex_lock(&engine_lock);
	rate = engine_rate;
	if (espeak_SetVoiceByName(j->voice) != EE_OK) {
		rc = EINVAL;
	} else {
		espeak_SetParameter(espeakRATE, (int)j->rate, 0);
		/* In synchronous mode espeak_Synth returns when the text is spoken. */
		if (espeak_Synth(j->text, strlen(j->text) + 1, 0, POS_CHARACTER, 0,
				 espeakCHARS_UTF8, NULL, &b) != EE_OK)
			rc = EIO;
	}
	pthread_mutex_unlock(&engine_lock);
	if (!rc && (b.failed || b.n == 0))
		rc = EIO;
	if (!rc)
		trim(&b, rate);
	if (!rc)
		rc = resample(b.v, b.n, (unsigned)rate, j->sample_rate, &out, &nout);
	if (!rc)
		rc = tts__wav_write(j->path, j->tmp, out, nout, j->sample_rate);
	free(b.v);
	free(out);
	return rc;
}

int tts__tone(const char *path, unsigned hz, unsigned ms)
{
	size_t n = (size_t)ms * 8, ramp = 80; /* 10 ms fade in and out: no clicks */
	int16_t *pcm;
	char tmp[1200];
	int rc;

	if (!hz || hz > 3900 || !ms || ms > 10000)
		return EINVAL;
	pcm = malloc(n * sizeof(*pcm));
	if (!pcm)
		return ENOMEM;
	for (size_t i = 0; i < n; i++) {
		double env = 1.0;
		if (i < ramp)
			env = (double)i / ramp;
		else if (n - i < ramp)
			env = (double)(n - i) / ramp;
		pcm[i] = (int16_t)(env * 12000.0 * sin(2.0 * M_PI * hz * (double)i / 8000.0));
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid());
	rc = tts__wav_write(path, tmp, pcm, n, 8000);
	free(pcm);
	return rc;
}
