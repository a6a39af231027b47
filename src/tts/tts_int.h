/*
 * Private structures of the TTS module: the request queue shared by callers and the
 * worker, the synthesis helpers (espeak-ng, resampling, WAV writing) and the cache
 * naming. Nothing outside src/tts includes this file.
 */
#ifndef CENTRALA_TTS_INT_H
#define CENTRALA_TTS_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tts/tts.h"

#define TTS_DIR_MAX  190
#define TTS_PATH_MAX 232
#define TTS_TEXT_MAX 4000 /* bytes of text per request */

/* A synchronous caller waits on this until the worker has answered. */
struct tts_wait {
	pthread_mutex_t lock; /* protects done, status, path */
	pthread_cond_t cond;
	bool done;
	int status;
	char path[TTS_PATH_MAX];
};

struct tts_job {
	struct tts_job *next;
	char *text;
	char voice[64];
	unsigned rate, sample_rate;
	uint64_t cookie;
	struct tts_wait *wait; /* NULL: answer with a message on the results queue */
	char path[TTS_PATH_MAX];
	char tmp[TTS_PATH_MAX + 32];
};

struct tts {
	char dir[TTS_DIR_MAX + 1];
	struct mq *results;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock; /* protects the job list, stop, stats and known */
	pthread_cond_t cond;
	struct tts_job *head, *tail;
	bool stop;
	struct tts_stats stats;
	uint64_t *known; /* open-addressing set of cache keys seen on disk (first 8 bytes) */
	size_t nknown, capknown;
};

/* Normalises params (defaults, voice for a language) into the job; EINVAL when bad. */
int tts__job_params(struct tts_job *j, const struct tts_params *p);
/* Cache file name for the job's (text, voice, rate, sample rate) into j->path; returns
 * the key's first 8 bytes for the in-memory set. */
uint64_t tts__cache_path(const char *dir, struct tts_job *j);
bool tts__known(struct tts *t, uint64_t key);	  /* call with t->lock held */
void tts__known_add(struct tts *t, uint64_t key); /* call with t->lock held */

/* Synthesises the job's text into j->path (through j->tmp + rename). Worker only. */
int tts__synth(struct tts_job *j);
/* Writes a tone ("[tone HZ MS]") as an 8 kHz WAV at path, atomically. */
int tts__tone(const char *path, unsigned hz, unsigned ms);
/* Writes 16-bit mono samples at `rate` to path through a temporary file and rename. */
int tts__wav_write(const char *path, const char *tmp, const int16_t *pcm, size_t n, unsigned rate);
/* espeak-ng is one per process: initialised by the first tts_create(), kept after. */
int tts__engine_acquire(void);

#endif
