/*
 * Text-to-speech with espeak-ng (the library, not the command), rendered to 8 or 16 kHz
 * mono 16-bit WAV files and cached on disk under a directory, named by a hash of
 * (text, voice, rate, sample rate). Synthesis runs on one worker thread that owns
 * espeak-ng (which is not thread-safe); the engine thread never synthesises and never
 * waits for it: it asks with tts_request() and gets a struct tts_done message on its
 * queue. tts_render_sync() is for configuration time (static prompts rendered before
 * the server takes calls). Files are written to a temporary name and renamed, so a
 * reader never sees half a file.
 *
 * Voices: a language code (pl, es, ru, en, ... any espeak-ng language) or an espeak-ng
 * voice name ("pl+f3"). Threading: every function may be called from any thread.
 * Memory: the tts object owns its thread and buffers; tts_destroy() joins the thread.
 */
#ifndef CENTRALA_TTS_H
#define CENTRALA_TTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mq;
struct tts;

#define TTS_MSG_DONE 0x54545301u /* first field of a struct tts_done message */

struct tts_params {
	const char *text;     /* UTF-8 */
	const char *lang;     /* language code; NULL: "en" */
	const char *voice;    /* espeak-ng voice name overriding lang's voice; NULL: none */
	unsigned rate;	      /* words per minute, 80..450; 0: 160 */
	unsigned sample_rate; /* 8000 or 16000; 0: 8000 */
};

/* The completion of tts_request(), pushed to the results queue. */
struct tts_done {
	uint32_t kind; /* TTS_MSG_DONE */
	int status;    /* 0, or an errno (EINVAL bad voice/params, EIO synthesis/write) */
	uint64_t cookie;
	bool cached;	/* it was already in the cache: nothing was synthesised */
	char path[232]; /* the WAV file when status is 0 */
};

struct tts_stats {
	uint64_t syntheses;  /* texts actually synthesised */
	uint64_t cache_hits; /* requests answered from the disk cache */
	uint64_t failures;
	uint64_t queued; /* requests waiting for the worker now */
};

/*
 * Creates the cache directory (and its parents) if needed and starts the worker. `results`
 * receives struct tts_done messages for tts_request(); it may be NULL when only the
 * synchronous calls are used. Returns 0, ENAMETOOLONG (cache_dir longer than 190
 * bytes), ENOMEM, or the errno of creating the directory or the thread.
 */
int tts_create(const char *cache_dir, struct mq *results, struct tts **out);
/* Stops the worker after the request in progress; requests still queued are dropped
 * without a completion message. */
void tts_destroy(struct tts *t);

/* Writes the cache path for `p` into path (at least 232 bytes). Returns 0 when the file
 * is in the cache, ENOENT when it is not (path still written), EINVAL for bad params. */
int tts_path_for(struct tts *t, const struct tts_params *p, char *path, size_t size);
/* Renders `p` (or finds it in the cache) and writes its path; blocks the caller until
 * done. Returns 0, EINVAL, EIO or ENOMEM. */
int tts_render_sync(struct tts *t, const struct tts_params *p, char *path, size_t size);
/* Queues a render; a struct tts_done with `cookie` follows on the results queue (even
 * for a cache hit). Returns 0, EINVAL (bad params or no results queue) or ENOMEM; on
 * error no message will come. */
int tts_request(struct tts *t, const struct tts_params *p, uint64_t cookie);
void tts_stats(struct tts *t, struct tts_stats *out);

/*
 * Makes a language's prompt set: reads <prompt_dir>/<lang>/prompts.tsv ("name<TAB>text"
 * lines, "#" comments, "[tone HZ MS]" for a tone) and writes <prompt_dir>/<lang>/
 * <name>.wav at 8 kHz for each entry whose file is missing or was made from another
 * text. A file that is there but was not made here (a studio recording) is left alone.
 * Made files are listed in <prompt_dir>/<lang>/.made. Blocks (for server start-up and
 * scripts/make-prompts). *made (may be NULL) gets the number of files written.
 * Returns 0, ENOENT (no prompts.tsv), EIO, ENOMEM.
 */
int tts_prompts_make(struct tts *t, const char *prompt_dir, const char *lang, unsigned *made);

#endif
