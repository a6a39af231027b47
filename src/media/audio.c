/*
 * Audio sources for the player: prompt files decoded once into a shared cache, and tone
 * tables. A file is read with libsndfile (any WAV it understands: PCM16, µ-law, A-law,
 * mono or stereo), mixed down to mono and kept at both 8 and 16 kHz (speexdsp
 * resampling, done once at load), so that a play never touches the disk or resamples
 * per packet. The cache checks the file's identity and mtime on each use, so a prompt
 * rewritten on disk (a regenerated TTS file) is reloaded, and evicts unused entries over
 * its byte budget.
 */
#include "media/media_int.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SECONDS 3600 /* longer files are refused: a prompt, not a film */

void media__cache_init(struct media__cache *c, size_t budget)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->budget = budget;
}

void media__audio_free(struct media__audio *a)
{
	if (!a)
		return;
	free(a->pcm8);
	free(a->pcm16);
	free(a->path);
	free(a);
}

void media__audio_put(struct media__audio *a)
{
	if (a && atomic_fetch_sub(&a->refs, 1) == 1)
		media__audio_free(a);
}

void media__cache_free(struct media__cache *c)
{
	struct media__audio *a = c->head, *next;

	for (; a; a = next) {
		next = a->next;
		media__audio_put(a);
	}
	c->head = NULL;
	pthread_mutex_destroy(&c->lock);
}

/* Resamples a whole buffer, flushing the filter so that the tail is not lost. */
static int resample_all(const int16_t *in, size_t n, unsigned from, unsigned to, int16_t **out,
			size_t *nout)
{
	SpeexResamplerState *rs;
	size_t want = (size_t)((uint64_t)n * to / from);
	size_t cap = want + 1024, done = 0;
	int16_t *buf, zeros[256] = {0};
	int err;

	rs = speex_resampler_init(1, from, to, SPEEX_RESAMPLER_QUALITY_DESKTOP, &err);
	if (!rs)
		return ENOMEM;
	buf = malloc(cap * sizeof(*buf));
	if (!buf) {
		speex_resampler_destroy(rs);
		return ENOMEM;
	}
	speex_resampler_skip_zeros(rs);
	/* Feed in slices so that the uint32 lengths of the API never overflow. */
	for (size_t pos = 0; pos < n;) {
		spx_uint32_t il = (spx_uint32_t)(n - pos > 65536 ? 65536 : n - pos);
		spx_uint32_t ol = (spx_uint32_t)(cap - done > 1u << 20 ? 1u << 20 : cap - done);

		speex_resampler_process_int(rs, 0, in + pos, &il, buf + done, &ol);
		pos += il;
		done += ol;
		if (il == 0 && ol == 0)
			break;
	}
	for (int guard = 0; done < want && guard < 64; guard++) {
		spx_uint32_t il = 256, ol = (spx_uint32_t)(cap - done);

		speex_resampler_process_int(rs, 0, zeros, &il, buf + done, &ol);
		done += ol;
	}
	speex_resampler_destroy(rs);
	if (done > want)
		done = want;
	*out = buf;
	*nout = done;
	return 0;
}

int media__audio_load(const char *path, struct media__audio **out)
{
	struct media__audio *a = NULL;
	SF_INFO info;
	SNDFILE *f;
	short *raw = NULL;
	int16_t *mono = NULL;
	size_t frames, ch;
	int err = 0;

	memset(&info, 0, sizeof(info));
	f = sf_open(path, SFM_READ, &info);
	if (!f)
		return access(path, R_OK) == 0 ? EINVAL : ENOENT;
	if (info.channels < 1 || info.samplerate < 4000 || info.samplerate > 192000 ||
	    info.frames < 0 || info.frames > (sf_count_t)info.samplerate * MAX_SECONDS) {
		err = EINVAL;
		goto out;
	}
	frames = (size_t)info.frames;
	ch = (size_t)info.channels;
	raw = malloc((frames * ch + 1) * sizeof(*raw));
	mono = malloc((frames + 1) * sizeof(*mono));
	a = calloc(1, sizeof(*a));
	if (!raw || !mono || !a || !(a->path = strdup(path))) {
		err = ENOMEM;
		goto out;
	}
	frames = (size_t)sf_readf_short(f, raw, (sf_count_t)frames);
	for (size_t i = 0; i < frames; i++) {
		int32_t sum = 0;

		for (size_t c = 0; c < ch; c++)
			sum += raw[i * ch + c];
		mono[i] = (int16_t)(sum / (int32_t)ch);
	}
	if (info.samplerate == 8000) {
		a->pcm8 = mono;
		a->n8 = frames;
		mono = NULL;
		err = resample_all(a->pcm8, a->n8, 8000, 16000, &a->pcm16, &a->n16);
	} else if (info.samplerate == 16000) {
		a->pcm16 = mono;
		a->n16 = frames;
		mono = NULL;
		err = resample_all(a->pcm16, a->n16, 16000, 8000, &a->pcm8, &a->n8);
	} else {
		err = resample_all(mono, frames, (unsigned)info.samplerate, 8000, &a->pcm8, &a->n8);
		if (!err)
			err = resample_all(mono, frames, (unsigned)info.samplerate, 16000,
					   &a->pcm16, &a->n16);
	}
	if (err)
		goto out;
	/* Both versions must describe the same duration: 16 kHz has exactly twice the
	 * samples, which the player's 16 kHz position counter relies on. */
	if (a->n16 > a->n8 * 2)
		a->n16 = a->n8 * 2;
	if (a->n8 * 2 > a->n16)
		a->n8 = a->n16 / 2;
	atomic_init(&a->refs, 1);
	*out = a;
	a = NULL;
out:
	sf_close(f);
	free(raw);
	free(mono);
	media__audio_free(a);
	return err;
}

static bool same_file(const struct media__audio *a, const struct stat *st)
{
	return a->dev == st->st_dev && a->ino == st->st_ino && a->size == st->st_size &&
	       a->mtime_ns == (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static size_t audio_bytes(const struct media__audio *a)
{
	return (a->n8 + a->n16) * sizeof(int16_t);
}

/* Unlists entries that no play holds, least recently used first, while over budget. */
static void evict(struct media__cache *c, const struct media__audio *keep)
{
	while (c->bytes > c->budget) {
		struct media__audio **pp, **victim = NULL;

		for (pp = &c->head; *pp; pp = &(*pp)->next)
			if (*pp != keep && atomic_load(&(*pp)->refs) == 1 &&
			    (!victim || (*pp)->used < (*victim)->used))
				victim = pp;
		if (!victim)
			return;
		struct media__audio *a = *victim;
		*victim = a->next;
		c->bytes -= audio_bytes(a);
		media__audio_put(a);
	}
}

int media__cache_get(struct media__cache *c, const char *path, struct media__audio **out)
{
	struct media__audio *a, **pp;
	struct stat st;
	int err;

	if (stat(path, &st) != 0)
		return errno == ENOENT || errno == ENOTDIR ? ENOENT : errno;
	if (!S_ISREG(st.st_mode))
		return EINVAL;
	pthread_mutex_lock(&c->lock);
	for (pp = &c->head; *pp; pp = &(*pp)->next) {
		a = *pp;
		if (strcmp(a->path, path) != 0)
			continue;
		if (same_file(a, &st)) {
			atomic_fetch_add(&a->refs, 1);
			a->used = ++c->clock;
			pthread_mutex_unlock(&c->lock);
			*out = a;
			return 0;
		}
		/* Changed on disk: unlist the old copy; plays holding it finish with it. */
		*pp = a->next;
		c->bytes -= audio_bytes(a);
		media__audio_put(a);
		break;
	}
	pthread_mutex_unlock(&c->lock);

	err = media__audio_load(path, &a);
	if (err)
		return err;
	a->dev = st.st_dev;
	a->ino = st.st_ino;
	a->size = st.st_size;
	a->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	atomic_fetch_add(&a->refs, 1); /* the caller's, on top of the cache's */
	pthread_mutex_lock(&c->lock);
	a->used = ++c->clock;
	a->next = c->head;
	c->head = a;
	c->bytes += audio_bytes(a);
	evict(c, a);
	pthread_mutex_unlock(&c->lock);
	*out = a;
	return 0;
}

static const unsigned tone_hz[MEDIA__F_N] = {425, 1000};

int media__tones_init(struct media__tones *t)
{
	memset(t, 0, sizeof(*t));
	for (int f = 0; f < MEDIA__F_N; f++) {
		for (int r = 0; r < 2; r++) {
			unsigned rate = r ? 16000 : 8000;
			int16_t *p = malloc(rate * sizeof(*p));

			if (!p) {
				media__tones_free(t);
				return ENOMEM;
			}
			for (unsigned i = 0; i < rate; i++)
				p[i] = (int16_t)lrint(MEDIA__TONE_AMPLITUDE *
						      sin(2.0 * M_PI * tone_hz[f] * i / rate));
			t->pcm[f][r] = p;
		}
	}
	return 0;
}

void media__tones_free(struct media__tones *t)
{
	for (int f = 0; f < MEDIA__F_N; f++)
		for (int r = 0; r < 2; r++) {
			free(t->pcm[f][r]);
			t->pcm[f][r] = NULL;
		}
}
