/*
 * Answering-machine detection (AMD) and fax tone detection on the audio a called party
 * sends after answering. A detector is fed 8 kHz 16-bit PCM, in frames of any length (the
 * media engine feeds 20 ms packets), and decides once whether a person, a machine or a
 * fax answered, or that it cannot tell, from the first seconds:
 *
 *   - initial silence: nobody speaks for `initial_silence_ms` -> MACHINE;
 *   - the greeting: speech adding up to `greeting_ms` -> MACHINE (a person says "Hello?"
 *     and waits; a machine reads its greeting), as does reaching `max_words` words (runs
 *     of speech of at least `min_word_ms`, separated by at least `between_words_ms` of
 *     silence);
 *   - silence after the greeting: `after_greeting_silence_ms` of silence after a short
 *     greeting -> PERSON (the person waits for an answer);
 *   - a beep (a pure tone between 400 and 2000 Hz lasting at least `beep_min_ms`) ->
 *     MACHINE;
 *   - a fax calling tone (CNG, 1100 Hz) or answer tone (CED, 2100 Hz), found with
 *     spandsp's modem connect tone detectors, or a 1100 Hz tone of CNG's length (0.35 to
 *     0.8 s) on a line where nobody spoke -> FAX;
 *   - `total_ms` of audio without any of these -> UNSURE.
 * After MACHINE the detector keeps listening for the voicemail's beep until `beep_wait_ms`
 * of audio have passed since the start, and reports MACHINE_BEEP when the beep ends (the
 * moment to start leaving a message), or NO_BEEP when the wait runs out.
 *
 * Speech is told from silence by the frame's mean absolute amplitude against the larger
 * of `silence_threshold` and the line's noise floor (the quietest frame of the last
 * second) raised by 6 dB to start a run of speech and by 3 dB to go on with it; a frame
 * louder than about -26 dBFS is always speech.
 *
 * Times are audio time (samples fed / 8), so the decision is the same however the audio
 * arrives. Memory: media_amd_new allocates the detector and its spandsp states; feeding
 * never allocates. Not thread-safe: one detector is fed by one thread at a time.
 */
#ifndef CENTRALA_MEDIA_AMD_H
#define CENTRALA_MEDIA_AMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct media_amd;

enum media_amd_result {
	MEDIA_AMD_NONE = 0,	/* nothing decided yet */
	MEDIA_AMD_PERSON,	/* a person answered */
	MEDIA_AMD_MACHINE,	/* an answering machine or voicemail answered */
	MEDIA_AMD_UNSURE,	/* total_ms passed without a decision */
	MEDIA_AMD_FAX,		/* a fax machine answered */
	MEDIA_AMD_MACHINE_BEEP, /* after MACHINE: the beep ended, leave the message now */
	MEDIA_AMD_NO_BEEP,	/* after MACHINE: no beep within beep_wait_ms */
};

/* Why the decision was taken. */
enum media_amd_reason {
	MEDIA_AMD_R_NONE = 0,
	MEDIA_AMD_R_SHORT_GREETING,  /* PERSON: a short greeting, then silence */
	MEDIA_AMD_R_INITIAL_SILENCE, /* MACHINE: nobody spoke */
	MEDIA_AMD_R_LONG_GREETING,   /* MACHINE: speech for greeting_ms */
	MEDIA_AMD_R_MAX_WORDS,	     /* MACHINE: max_words words */
	MEDIA_AMD_R_BEEP,	     /* MACHINE: a beep (before any other reason) */
	MEDIA_AMD_R_FAX_CNG,	     /* FAX: calling tone */
	MEDIA_AMD_R_FAX_CED,	     /* FAX: answer tone */
	MEDIA_AMD_R_TOTAL_TIME,	     /* UNSURE */
};

/* Thresholds. Start from media_amd_defaults(); every time is in milliseconds of audio. */
struct media_amd_params {
	uint32_t initial_silence_ms;	    /* 2500 */
	uint32_t greeting_ms;		    /* 1500 */
	uint32_t after_greeting_silence_ms; /* 800 */
	uint32_t total_ms;		    /* 5000 */
	uint32_t min_word_ms;		    /* 100 */
	uint32_t between_words_ms;	    /* 50 */
	uint32_t max_words;		    /* 3 */
	uint32_t beep_min_ms;		    /* 150 */
	uint32_t beep_wait_ms;		    /* 30000; 0: no beep search after the decision */
	uint32_t silence_threshold;	    /* 256: mean |sample| under which a frame is silent */
	bool fax;			    /* true: detect fax tones */
};

/* What a detector reports: the decision, or one of the beep events after MACHINE. */
struct media_amd_event {
	enum media_amd_result result;
	enum media_amd_reason reason;
	uint32_t ms;	     /* audio time of the event since the start */
	uint32_t beep_hz;    /* MACHINE_BEEP (and MACHINE by beep): the beep's frequency */
	uint32_t beep_ms;    /* ... and its length */
	uint32_t speech_ms;  /* speech heard up to the event */
	uint32_t words;	     /* words heard up to the event */
	uint32_t initial_ms; /* silence before the first word */
};

void media_amd_defaults(struct media_amd_params *p);
/* The numeric thresholds by the names configuration gives them, NULL-terminated:
 * "initial_silence", "greeting", "after_greeting_silence", "total", "min_word",
 * "between_words", "max_words", "beep_min", "beep_wait" (milliseconds, or a count for
 * max_words) and "silence_threshold" (an amplitude). */
extern const char *const media_amd_param_names[];
/* Sets the threshold called `name` (one of media_amd_param_names) to `v`. Returns 0 or
 * ENOENT (no such name); values are checked by media_amd_check. */
int media_amd_param_set(struct media_amd_params *p, const char *name, uint32_t v);
/* Checks thresholds: each time at most 60000 ms, total_ms at least 500, greeting_ms and
 * after_greeting_silence_ms under total_ms, max_words 1 to 100, beep_min_ms at least 60,
 * silence_threshold at most 8000. Returns 0, or EINVAL with the name of the first bad
 * field and why in `err` (for configuration errors). */
int media_amd_check(const struct media_amd_params *p, char *err, size_t errsize);

/* Creates a detector (p NULL: defaults). Returns 0, EINVAL (media_amd_check fails) or
 * ENOMEM; *out is written only on success. */
int media_amd_new(const struct media_amd_params *p, struct media_amd **out);
void media_amd_free(struct media_amd *a);

/* Feeds `n` samples of 8 kHz audio; NULL feeds that much silence (a gap in the stream).
 * Returns true when events are ready to take with media_amd_next. A detector reports at
 * most two events in its life (the decision, then MACHINE_BEEP or NO_BEEP after MACHINE),
 * so none is lost however much is fed between takes. */
bool media_amd_feed(struct media_amd *a, const int16_t *pcm, size_t n);
/* Takes the oldest pending event. Returns false when there is none. */
bool media_amd_next(struct media_amd *a, struct media_amd_event *out);
/* True once the detector has nothing more to report (the decision and, after MACHINE,
 * the beep search are over): feeding it further is wasted. */
bool media_amd_done(const struct media_amd *a);

/* "person", "machine", "unsure", "fax", "machine_beep", "no_beep" ("none" for NONE). */
const char *media_amd_result_name(enum media_amd_result r);
/* "short_greeting", "initial_silence", ... ("none" for NONE). */
const char *media_amd_reason_name(enum media_amd_reason r);

#endif
