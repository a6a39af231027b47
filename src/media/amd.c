/*
 * Answering-machine and fax tone detection (amd.h): pure signal processing on 8 kHz
 * audio, no I/O. Audio is cut into 20 ms blocks; each block is classified as speech,
 * silence or tone, and the greeting's shape (initial silence, words, speech time,
 * silence after it) drives the decision in the manner of Asterisk's app_amd. Beeps are
 * found without knowing their frequency: the block's frequency is estimated from its
 * autocorrelation at lags 1 and 2 (which white line noise does not bias, unlike lag 0),
 * refined with a few Goertzel filters around the estimate, and the share of the block's
 * energy at that frequency says whether the block is a pure tone. Fax tones are left to
 * spandsp's modem connect tone detectors.
 */
#include "media/amd.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spandsp/telephony.h>
#include <spandsp/logging.h>
#include <spandsp/super_tone_rx.h>
#include <spandsp/modem_connect_tones.h>

#define BLOCK	   160 /* 20 ms at 8 kHz */
#define BLOCK_MS   20
#define FLOOR_LEN  50	/* blocks of history for the noise floor: one second */
#define LOUD	   1500 /* mean |sample| that is speech whatever the floor (about -26 dBFS) */
#define FLOOR_K	   2.0f /* speech starts 6 dB above the floor */
#define FLOOR_K_ON 1.4f /* and goes on while 3 dB above it */
#define BEEP_LO	   400.0f
#define BEEP_HI	   2000.0f
#define BEEP_MAX   4000	 /* ms: a longer steady tone is not a voicemail beep */
#define PURITY	   0.65f /* share of a block's energy in one frequency for a tone */
#define TONE_DRIFT 25.0f /* Hz a tone may wander between blocks */
#define FAX_SPEECH 300	 /* ms of speech after which a fax tone is taken for a beep */
#define CNG_HZ	   1100.0f
#define CNG_DRIFT  38.0f /* T.30: 1100 Hz +-38 Hz */
#define QUEUE	   4

struct media_amd {
	struct media_amd_params p;
	modem_connect_tones_rx_state_t *cng, *ced;
	int16_t blk[BLOCK];
	unsigned nblk;
	uint32_t t; /* ms of audio processed (whole blocks) */

	/* Noise floor: mean |sample| of the last FLOOR_LEN blocks. */
	uint32_t hist[FLOOR_LEN];
	unsigned hist_n, hist_i;

	/* Greeting. */
	bool greeted, in_word;
	uint32_t voice_run;   /* ms of consecutive speech blocks */
	uint32_t gap_run;     /* ms of consecutive non-speech blocks */
	uint32_t silence_run; /* ms since the last speech inside a word */
	uint32_t words, speech_ms, initial_ms;

	/* Tone being followed. */
	float tone_hz_sum;
	uint32_t tone_ms;

	/* Fax tone reported by spandsp during the current block. */
	enum media_amd_reason fax_hit;

	enum media_amd_result decided;
	bool done;
	struct media_amd_event q[QUEUE];
	unsigned qh, qn;
};

void media_amd_defaults(struct media_amd_params *p)
{
	memset(p, 0, sizeof(*p));
	p->initial_silence_ms = 2500;
	p->greeting_ms = 1500;
	p->after_greeting_silence_ms = 800;
	p->total_ms = 5000;
	p->min_word_ms = 100;
	p->between_words_ms = 50;
	p->max_words = 3;
	p->beep_min_ms = 150;
	p->beep_wait_ms = 30000;
	p->silence_threshold = 256;
	p->fax = true;
}

/* The numeric thresholds, in the order of media_amd_param_names. */
#define PARAMS(X)                                                                                  \
	X("initial_silence", initial_silence_ms)                                                   \
	X("greeting", greeting_ms)                                                                 \
	X("after_greeting_silence", after_greeting_silence_ms)                                     \
	X("total", total_ms)                                                                       \
	X("min_word", min_word_ms)                                                                 \
	X("between_words", between_words_ms)                                                       \
	X("max_words", max_words)                                                                  \
	X("beep_min", beep_min_ms)                                                                 \
	X("beep_wait", beep_wait_ms)                                                               \
	X("silence_threshold", silence_threshold)

#define NAME(n, f) n,
const char *const media_amd_param_names[] = {PARAMS(NAME) NULL};
#undef NAME

static const size_t param_offsets[] = {
#define OFFSET(n, f) offsetof(struct media_amd_params, f),
    PARAMS(OFFSET)
#undef OFFSET
};

int media_amd_param_set(struct media_amd_params *p, const char *name, uint32_t v)
{
	for (size_t i = 0; media_amd_param_names[i]; i++)
		if (!strcmp(media_amd_param_names[i], name)) {
			memcpy((char *)p + param_offsets[i], &v, sizeof(v));
			return 0;
		}
	return ENOENT;
}

int media_amd_check(const struct media_amd_params *p, char *err, size_t errsize)
{
	const char *field = NULL, *why = NULL;

	/* Every time (all but max_words and silence_threshold). */
	for (size_t i = 0; media_amd_param_names[i] && !field; i++) {
		uint32_t v;

		if (!strcmp(media_amd_param_names[i], "max_words") ||
		    !strcmp(media_amd_param_names[i], "silence_threshold"))
			continue;
		memcpy(&v, (const char *)p + param_offsets[i], sizeof(v));
		if (v > 60000) {
			field = media_amd_param_names[i];
			why = "over 60000 ms";
		}
	}
	if (!field && p->total_ms < 500) {
		field = "total";
		why = "under 500 ms";
	} else if (!field && p->greeting_ms >= p->total_ms) {
		field = "greeting";
		why = "not under total";
	} else if (!field && p->after_greeting_silence_ms >= p->total_ms) {
		field = "after_greeting_silence";
		why = "not under total";
	} else if (!field && p->max_words < 1) {
		field = "max_words";
		why = "under 1";
	} else if (!field && p->max_words > 100) {
		field = "max_words";
		why = "over 100";
	} else if (!field && p->beep_min_ms < 60) {
		field = "beep_min";
		why = "under 60 ms";
	} else if (!field && p->silence_threshold > 8000) {
		field = "silence_threshold";
		why = "over 8000";
	}
	if (!field)
		return 0;
	if (err && errsize)
		snprintf(err, errsize, "%s: %s", field, why);
	return EINVAL;
}

static void on_fax_tone(void *arg, int code, int level, int delay)
{
	struct media_amd *a = arg;

	(void)level;
	(void)delay;
	if (code == MODEM_CONNECT_TONES_FAX_CNG)
		a->fax_hit = MEDIA_AMD_R_FAX_CNG;
	else if (code == MODEM_CONNECT_TONES_FAX_CED || code == MODEM_CONNECT_TONES_FAX_PREAMBLE)
		a->fax_hit = MEDIA_AMD_R_FAX_CED;
}

int media_amd_new(const struct media_amd_params *p, struct media_amd **out)
{
	struct media_amd *a;
	struct media_amd_params def;

	if (!p) {
		media_amd_defaults(&def);
		p = &def;
	}
	if (media_amd_check(p, NULL, 0))
		return EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return ENOMEM;
	a->p = *p;
	if (p->fax) {
		a->cng =
		    modem_connect_tones_rx_init(NULL, MODEM_CONNECT_TONES_FAX_CNG, on_fax_tone, a);
		a->ced = modem_connect_tones_rx_init(NULL, MODEM_CONNECT_TONES_FAX_CED_OR_PREAMBLE,
						     on_fax_tone, a);
		if (!a->cng || !a->ced) {
			media_amd_free(a);
			return ENOMEM;
		}
	}
	*out = a;
	return 0;
}

void media_amd_free(struct media_amd *a)
{
	if (!a)
		return;
	if (a->cng)
		modem_connect_tones_rx_free(a->cng);
	if (a->ced)
		modem_connect_tones_rx_free(a->ced);
	free(a);
}

static void emit(struct media_amd *a, enum media_amd_result r, enum media_amd_reason why, float hz,
		 uint32_t beep_ms)
{
	struct media_amd_event *e;

	if (a->qn == QUEUE)
		return; /* cannot happen: a detector reports two events in its life */
	e = &a->q[(a->qh + a->qn++) % QUEUE];
	memset(e, 0, sizeof(*e));
	e->result = r;
	e->reason = why;
	e->ms = a->t;
	e->beep_hz = (uint32_t)(hz + 0.5f);
	e->beep_ms = beep_ms;
	e->speech_ms = a->speech_ms;
	e->words = a->words;
	e->initial_ms = a->greeted ? a->initial_ms : a->t;
}

static void decide(struct media_amd *a, enum media_amd_result r, enum media_amd_reason why)
{
	a->decided = r;
	emit(a, r, why, 0, 0);
	if (r != MEDIA_AMD_MACHINE || a->t >= a->p.beep_wait_ms)
		a->done = true;
	if (r == MEDIA_AMD_MACHINE && a->done && a->p.beep_wait_ms)
		emit(a, MEDIA_AMD_NO_BEEP, MEDIA_AMD_R_NONE, 0, 0);
}

/* Goertzel power at `hz`, normalised so that a pure tone gives its energy per sample
 * times BLOCK / 2 (the purity test below divides by the block's energy). */
static float goertzel(const int16_t *x, float hz)
{
	float k = 2.0f * cosf(2.0f * (float)M_PI * hz / 8000.0f), s1 = 0, s2 = 0;

	for (unsigned i = 0; i < BLOCK; i++) {
		float s0 = (float)x[i] + k * s1 - s2;

		s2 = s1;
		s1 = s0;
	}
	return s1 * s1 + s2 * s2 - k * s1 * s2;
}

/* The block's frequency when it is a pure tone in the beep band, else 0. */
static float tone_of(const int16_t *x, uint32_t mean_abs)
{
	float r0 = 0, r1 = 0, r2 = 0, c, best = 0, best_hz = 0;

	if (mean_abs < 64)
		return 0;
	for (unsigned i = 0; i < BLOCK; i++) {
		float v = (float)x[i];

		r0 += v * v;
		if (i >= 1)
			r1 += v * (float)x[i - 1];
		if (i >= 2)
			r2 += v * (float)x[i - 2];
	}
	r1 /= BLOCK - 1;
	r2 /= BLOCK - 2;
	/* A tone gives r1 = P cos w and r2 = P cos 2w: 2 r1 c^2 - r2 c - r1 = 0 with c = cos w
	 * of the sign of r1 (the other root is -1/(2c)). */
	if (fabsf(r1) < 1e-3f * (r0 / BLOCK))
		c = 0;
	else {
		float d = sqrtf(r2 * r2 + 8.0f * r1 * r1);

		c = r1 > 0 ? (r2 + d) / (4.0f * r1) : (r2 - d) / (4.0f * r1);
	}
	if (c > 1.0f || c < -1.0f)
		return 0;
	float hz = acosf(c) * 8000.0f / (2.0f * (float)M_PI);

	if (hz < BEEP_LO - 30.0f || hz > BEEP_HI + 30.0f)
		return 0;
	for (int k = -2; k <= 2; k++) {
		float f = hz + 8.0f * (float)k, pw = goertzel(x, f);

		if (pw > best) {
			best = pw;
			best_hz = f;
		}
	}
	/* A pure tone of power P: r0 = BLOCK P, Goertzel = (BLOCK^2 / 2) P. */
	if (r0 <= 0 || 2.0f * best / ((float)BLOCK * r0) < PURITY)
		return 0;
	if (best_hz < BEEP_LO || best_hz > BEEP_HI)
		return 0;
	return best_hz;
}

static uint32_t noise_floor(struct media_amd *a, uint32_t level)
{
	uint32_t min = level;

	a->hist[a->hist_i] = level;
	a->hist_i = (a->hist_i + 1) % FLOOR_LEN;
	if (a->hist_n < FLOOR_LEN)
		a->hist_n++;
	for (unsigned i = 0; i < a->hist_n; i++)
		if (a->hist[i] < min)
			min = a->hist[i];
	return min;
}

/* Follows a tone; returns true when one long enough for a beep just ended. */
static bool track_tone(struct media_amd *a, float hz, float *beep_hz, uint32_t *beep_ms)
{
	if (hz > 0) {
		float mean = a->tone_ms ? a->tone_hz_sum / (float)(a->tone_ms / BLOCK_MS) : hz;

		if (a->tone_ms && fabsf(hz - mean) <= TONE_DRIFT) {
			a->tone_hz_sum += hz;
			a->tone_ms += BLOCK_MS;
			return false;
		}
	}
	bool beep = a->tone_ms >= a->p.beep_min_ms && a->tone_ms <= BEEP_MAX;

	if (beep) {
		*beep_hz = a->tone_hz_sum / (float)(a->tone_ms / BLOCK_MS);
		*beep_ms = a->tone_ms;
	}
	a->tone_hz_sum = hz;
	a->tone_ms = hz > 0 ? BLOCK_MS : 0;
	return beep;
}

static void words_update(struct media_amd *a, bool voice)
{
	if (voice) {
		a->gap_run = 0;
		a->voice_run += BLOCK_MS;
		if (a->in_word) {
			a->speech_ms += BLOCK_MS;
			a->silence_run = 0;
		} else if (a->voice_run >= a->p.min_word_ms) {
			a->in_word = true;
			a->words++;
			a->speech_ms += a->voice_run;
			a->silence_run = 0;
			if (!a->greeted) {
				a->greeted = true;
				a->initial_ms = a->t + BLOCK_MS - a->voice_run;
			}
		}
	} else {
		a->gap_run += BLOCK_MS;
		a->silence_run += BLOCK_MS;
		if (a->gap_run >= a->p.between_words_ms) {
			a->in_word = false;
			a->voice_run = 0;
		}
	}
}

static void block(struct media_amd *a, const int16_t *x)
{
	uint32_t sum = 0, level, thr, floor, beep_ms = 0;
	float hz, beep_hz = 0;
	bool beep;

	a->fax_hit = MEDIA_AMD_R_NONE;
	if (a->cng && !a->decided) {
		modem_connect_tones_rx(a->cng, x, BLOCK);
		modem_connect_tones_rx(a->ced, x, BLOCK);
	}
	for (unsigned i = 0; i < BLOCK; i++)
		sum += (uint32_t)abs(x[i]);
	level = sum / BLOCK;
	floor = noise_floor(a, level);
	/* Hysteresis: speech goes on while it stays 3 dB above the floor, so that a weak
	 * consonant in noise does not cut a word in two. */
	thr = (uint32_t)((float)floor * (a->voice_run ? FLOOR_K_ON : FLOOR_K));
	if (thr > LOUD)
		thr = LOUD;
	if (thr < a->p.silence_threshold)
		thr = a->p.silence_threshold;
	hz = tone_of(x, level);
	beep = track_tone(a, hz, &beep_hz, &beep_ms);
	/* A steady tone is neither a word nor silence to the greeting's measures; while it
	 * has not lasted a beep's length it counts as speech, so that a tonal vowel stays
	 * inside its word. */
	bool voice = level > thr && (hz == 0 || a->tone_ms < a->p.beep_min_ms);

	if (!a->decided)
		words_update(a, voice);
	a->t += BLOCK_MS;

	if (!a->decided) {
		/* A calling tone weaker than spandsp's detector wants is still a tone of
		 * CNG's frequency and length with nothing said before it. */
		if (beep && a->p.fax && fabsf(beep_hz - CNG_HZ) <= CNG_DRIFT && beep_ms >= 350 &&
		    beep_ms <= 800 && a->speech_ms < FAX_SPEECH)
			a->fax_hit = MEDIA_AMD_R_FAX_CNG;
		if (a->fax_hit && a->speech_ms < FAX_SPEECH)
			decide(a, MEDIA_AMD_FAX, a->fax_hit);
		else if (beep) {
			a->decided = MEDIA_AMD_MACHINE;
			emit(a, MEDIA_AMD_MACHINE, MEDIA_AMD_R_BEEP, beep_hz, beep_ms);
			emit(a, MEDIA_AMD_MACHINE_BEEP, MEDIA_AMD_R_BEEP, beep_hz, beep_ms);
			a->done = true;
		} else if (!a->greeted && a->t >= a->p.initial_silence_ms)
			decide(a, MEDIA_AMD_MACHINE, MEDIA_AMD_R_INITIAL_SILENCE);
		else if (a->greeted && a->speech_ms >= a->p.greeting_ms)
			decide(a, MEDIA_AMD_MACHINE, MEDIA_AMD_R_LONG_GREETING);
		else if (a->words >= a->p.max_words)
			decide(a, MEDIA_AMD_MACHINE, MEDIA_AMD_R_MAX_WORDS);
		else if (a->greeted && !a->in_word &&
			 a->silence_run >= a->p.after_greeting_silence_ms)
			decide(a, MEDIA_AMD_PERSON, MEDIA_AMD_R_SHORT_GREETING);
		else if (a->t >= a->p.total_ms)
			decide(a, MEDIA_AMD_UNSURE, MEDIA_AMD_R_TOTAL_TIME);
		return;
	}
	/* MACHINE decided: waiting for the beep. */
	if (beep) {
		emit(a, MEDIA_AMD_MACHINE_BEEP, MEDIA_AMD_R_BEEP, beep_hz, beep_ms);
		a->done = true;
	} else if (a->t >= a->p.beep_wait_ms) {
		emit(a, MEDIA_AMD_NO_BEEP, MEDIA_AMD_R_NONE, 0, 0);
		a->done = true;
	}
}

bool media_amd_feed(struct media_amd *a, const int16_t *pcm, size_t n)
{
	while (n > 0 && !a->done) {
		size_t k = BLOCK - a->nblk;

		if (k > n)
			k = n;
		if (pcm) {
			memcpy(a->blk + a->nblk, pcm, k * sizeof(*pcm));
			pcm += k;
		} else {
			memset(a->blk + a->nblk, 0, k * sizeof(*a->blk));
		}
		a->nblk += (unsigned)k;
		n -= k;
		if (a->nblk == BLOCK) {
			a->nblk = 0;
			block(a, a->blk);
		}
	}
	return a->qn > 0;
}

bool media_amd_next(struct media_amd *a, struct media_amd_event *out)
{
	if (!a->qn)
		return false;
	*out = a->q[a->qh];
	a->qh = (a->qh + 1) % QUEUE;
	a->qn--;
	return true;
}

bool media_amd_done(const struct media_amd *a)
{
	return a->done;
}

const char *media_amd_result_name(enum media_amd_result r)
{
	switch (r) {
	case MEDIA_AMD_PERSON:
		return "person";
	case MEDIA_AMD_MACHINE:
		return "machine";
	case MEDIA_AMD_UNSURE:
		return "unsure";
	case MEDIA_AMD_FAX:
		return "fax";
	case MEDIA_AMD_MACHINE_BEEP:
		return "machine_beep";
	case MEDIA_AMD_NO_BEEP:
		return "no_beep";
	default:
		return "none";
	}
}

const char *media_amd_reason_name(enum media_amd_reason r)
{
	switch (r) {
	case MEDIA_AMD_R_SHORT_GREETING:
		return "short_greeting";
	case MEDIA_AMD_R_INITIAL_SILENCE:
		return "initial_silence";
	case MEDIA_AMD_R_LONG_GREETING:
		return "long_greeting";
	case MEDIA_AMD_R_MAX_WORDS:
		return "max_words";
	case MEDIA_AMD_R_BEEP:
		return "beep";
	case MEDIA_AMD_R_FAX_CNG:
		return "fax_cng";
	case MEDIA_AMD_R_FAX_CED:
		return "fax_ced";
	case MEDIA_AMD_R_TOTAL_TIME:
		return "total_time";
	default:
		return "none";
	}
}
