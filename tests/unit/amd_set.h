/*
 * The labelled audio set for answering-machine detection, generated at test and bench
 * time (no audio is kept in the tree): espeak-ng (through the project's tts module) says
 * short greetings in Polish, Spanish, Russian and English, which a person answering says
 * ("Halo?", "¿Diga?", "Алло?", "Hello?"), labelled PERSON; and voicemail greetings ending
 * in a beep, labelled MACHINE; plus fax calling tones (CNG: 1100 Hz, 0.5 s on, 3 s off),
 * labelled FAX. Each clip gets leading silence, a speech level, white line noise and a
 * G.711 µ-law round trip, all drawn from a seeded generator, so the set is the same on
 * every run. Used by tests/unit/test_amd_set.c (a small subset) and bench/amd.c (all).
 */
#ifndef CENTRALA_TEST_AMD_SET_H
#define CENTRALA_TEST_AMD_SET_H

#include "media/media_int.h"
#include "tts/tts.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum amd_label { AMD_L_PERSON, AMD_L_MACHINE, AMD_L_FAX };

struct amd_clip {
	enum amd_label label;
	char name[160];
	const char *lang; /* NULL for fax */
	int16_t *pcm;	  /* 8 kHz */
	size_t n;
	uint32_t lead_ms;     /* silence before the greeting (or the first fax tone) */
	uint32_t greeting_ms; /* length of the spoken greeting */
	uint32_t beep_end_ms; /* MACHINE: where the beep ends */
	uint32_t beep_hz;
	uint32_t noise_rms;
	uint32_t speech_rms; /* RMS of the greeting's active 20 ms blocks (within 20 dB of
			      * its loudest), before noise */
};

struct amd_set {
	struct amd_clip *clips;
	size_t n, cap;
	char dir[64];
	struct tts *tts;
	uint64_t rng;
};

struct amd_text {
	const char *lang;
	const char *text;
};

static const struct amd_text amd_person_texts[] = {
    {"pl", "Halo?"},  {"pl", "Słucham?"}, {"pl", "Tak?"},	{"pl", "Halo, słucham?"},
    {"es", "¿Diga?"}, {"es", "¿Sí?"},	  {"es", "¿Dígame?"},	{"es", "¿Bueno?"},
    {"ru", "Алло?"},  {"ru", "Да?"},	  {"ru", "Слушаю."},	{"ru", "Алло, да?"},
    {"en", "Hello?"}, {"en", "Yes?"},	  {"en", "Hi, hello?"}, {"en", "Speaking."},
};

static const struct amd_text amd_machine_texts[] = {
    {"pl", "Dzień dobry, dodzwoniłeś się do Anny Kowalskiej. Nie mogę teraz odebrać, "
	   "zostaw wiadomość po sygnale."},
    {"pl", "Witamy w poczcie głosowej. Abonent jest chwilowo niedostępny, proszę zostawić "
	   "wiadomość po sygnale."},
    {"pl", "Cześć, tu Marek. Oddzwonię, jak tylko będę mógł. Zostaw wiadomość po sygnale."},
    {"es", "Hola, has llamado a María García. Ahora no puedo atenderte, deja tu mensaje "
	   "después de la señal."},
    {"es", "Bienvenido al buzón de voz. El número marcado no está disponible, por favor deje "
	   "su mensaje después del tono."},
    {"es", "Hola, soy Carlos. No estoy disponible, deja un mensaje y te llamaré."},
    {"ru", "Здравствуйте, вы позвонили Ивану Петрову. Сейчас я не могу ответить, оставьте "
	   "сообщение после сигнала."},
    {"ru", "Абонент не может ответить на ваш звонок. Пожалуйста, оставьте сообщение после "
	   "звукового сигнала."},
    {"ru", "Привет, это Ольга. Перезвоню позже, оставь сообщение после сигнала."},
    {"en", "Hello, you have reached John Smith. I can't take your call right now, please "
	   "leave a message after the beep."},
    {"en", "Welcome to the voice mailbox. The person you are calling is not available, please "
	   "leave your message after the tone."},
    {"en", "Hi, this is Kate. Leave a message and I'll call you back."},
};

#define AMD_NPERSON  (sizeof(amd_person_texts) / sizeof(amd_person_texts[0]))
#define AMD_NMACHINE (sizeof(amd_machine_texts) / sizeof(amd_machine_texts[0]))

static inline uint32_t amd_rand(struct amd_set *s)
{
	/* xorshift64*: deterministic across platforms. */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return (uint32_t)((s->rng * 2685821657736338717ull) >> 32);
}

static inline uint32_t amd_pick(struct amd_set *s, uint32_t lo, uint32_t hi)
{
	return lo + amd_rand(s) % (hi - lo + 1);
}

static inline double amd_gauss(struct amd_set *s)
{
	double u1 = (amd_rand(s) + 1.0) / 4294967297.0, u2 = amd_rand(s) / 4294967296.0;

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* Renders `text` and returns its 8 kHz samples (malloc'd) in *out. */
static inline int amd_say(struct amd_set *s, const char *lang, const char *voice, unsigned rate,
			  const char *text, int16_t **out, size_t *n)
{
	struct tts_params p = {.text = text, .lang = lang, .voice = voice, .rate = rate};
	struct media__audio *a = NULL;
	char path[256];
	int err = tts_render_sync(s->tts, &p, path, sizeof(path));

	if (!err)
		err = media__audio_load(path, &a);
	if (err)
		return err;
	*out = malloc(a->n8 * sizeof(int16_t));
	if (!*out) {
		media__audio_free(a);
		return ENOMEM;
	}
	memcpy(*out, a->pcm8, a->n8 * sizeof(int16_t));
	*n = a->n8;
	media__audio_free(a);
	return 0;
}

static inline struct amd_clip *amd_clip_new(struct amd_set *s, enum amd_label label,
					    uint32_t total_ms)
{
	struct amd_clip *c;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct amd_clip *v = realloc(s->clips, cap * sizeof(*v));

		if (!v)
			return NULL;
		s->clips = v;
		s->cap = cap;
	}
	c = &s->clips[s->n];
	memset(c, 0, sizeof(*c));
	c->label = label;
	c->n = (size_t)total_ms * 8;
	c->pcm = calloc(c->n, sizeof(int16_t));
	if (!c->pcm)
		return NULL;
	s->n++;
	return c;
}

/* Active speech level of x scaled by gain. */
static inline uint32_t amd_level(const int16_t *x, size_t n, double gain)
{
	double max = 0, sum = 0;
	size_t cnt = 0;

	for (int pass = 0; pass < 2; pass++)
		for (size_t b = 0; b + 160 <= n; b += 160) {
			double e = 0;

			for (size_t i = b; i < b + 160; i++)
				e += (double)x[i] * x[i];
			e = e / 160 * gain * gain;
			if (pass == 0 && e > max)
				max = e;
			else if (pass == 1 && e >= max / 100) {
				sum += e;
				cnt++;
			}
		}
	return cnt ? (uint32_t)sqrt(sum / (double)cnt) : 0;
}

static inline void amd_mix(struct amd_clip *c, uint32_t at_ms, const int16_t *x, size_t n,
			   double gain)
{
	size_t at = (size_t)at_ms * 8;

	for (size_t i = 0; i < n && at + i < c->n; i++)
		c->pcm[at + i] = (int16_t)(x[i] * gain);
}

static inline void amd_tone(struct amd_clip *c, uint32_t at_ms, uint32_t ms, double hz, double amp)
{
	size_t at = (size_t)at_ms * 8, n = (size_t)ms * 8, ramp = 40;

	for (size_t i = 0; i < n && at + i < c->n; i++) {
		double env = i < ramp	    ? (double)i / ramp
			     : n - i < ramp ? (double)(n - i) / ramp
					    : 1;

		c->pcm[at + i] = (int16_t)(amp * env * sin(2.0 * M_PI * hz * (double)i / 8000.0));
	}
}

/* Adds white noise of `rms` and passes the clip through µ-law, as a phone line would. */
static inline void amd_line(struct amd_set *s, struct amd_clip *c, uint32_t rms)
{
	c->noise_rms = rms;
	for (size_t i = 0; i < c->n; i++) {
		double v = c->pcm[i] + rms * amd_gauss(s);

		v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
		c->pcm[i] = media__ulaw2lin[media__ulaw_enc((int16_t)v)];
	}
}

/* Line noise, RMS: about -64, -52, -44, -38 and -32 dBFS. */
static const uint32_t amd_noise_levels[] = {20, 80, 200, 400, 800};
#define AMD_NNOISE (sizeof(amd_noise_levels) / sizeof(amd_noise_levels[0]))

static inline int amd_add_person(struct amd_set *s, const struct amd_text *t, const char *voice,
				 unsigned rate, uint32_t noise)
{
	int16_t *v;
	size_t n;
	int err = amd_say(s, t->lang, voice, rate, t->text, &v, &n);
	struct amd_clip *c;

	if (err)
		return err;
	c = amd_clip_new(s, AMD_L_PERSON, 7000);
	if (!c) {
		free(v);
		return ENOMEM;
	}
	c->lead_ms = amd_pick(s, 200, 1800);
	c->greeting_ms = (uint32_t)(n / 8);
	double gain = amd_pick(s, 40, 100) / 100.0;

	amd_mix(c, c->lead_ms, v, n, gain);
	c->speech_rms = amd_level(v, n, gain);
	/* Nobody answers: the person asks again. */
	amd_mix(c, c->lead_ms + c->greeting_ms + 2200, v, n, gain);
	amd_line(s, c, noise);
	c->lang = t->lang;
	snprintf(c->name, sizeof(c->name),
		 "person %s voice=%s rate=%u speech=%u noise=%u lead=%u \"%s\"", t->lang,
		 voice ? voice : t->lang, rate, c->speech_rms, noise, c->lead_ms, t->text);
	free(v);
	return 0;
}

static const uint32_t amd_beep_hz[] = {1000, 1400, 850, 440, 1900, 1000, 600};

static inline int amd_add_machine(struct amd_set *s, const struct amd_text *t, const char *voice,
				  unsigned rate, uint32_t noise)
{
	int16_t *v;
	size_t n;
	int err = amd_say(s, t->lang, voice, rate, t->text, &v, &n);
	struct amd_clip *c;
	uint32_t gap, beep_ms;

	if (err)
		return err;
	c = amd_clip_new(s, AMD_L_MACHINE, (uint32_t)(n / 8) + 5000);
	if (!c) {
		free(v);
		return ENOMEM;
	}
	c->lead_ms = amd_pick(s, 200, 1500);
	c->greeting_ms = (uint32_t)(n / 8);
	gap = amd_pick(s, 300, 900);
	beep_ms = amd_pick(s, 200, 900);
	c->beep_hz = amd_beep_hz[amd_rand(s) % (sizeof(amd_beep_hz) / sizeof(amd_beep_hz[0]))];
	double gain = amd_pick(s, 40, 100) / 100.0;

	amd_mix(c, c->lead_ms, v, n, gain);
	c->speech_rms = amd_level(v, n, gain);
	amd_tone(c, c->lead_ms + c->greeting_ms + gap, beep_ms, c->beep_hz,
		 amd_pick(s, 2000, 9000));
	c->beep_end_ms = c->lead_ms + c->greeting_ms + gap + beep_ms;
	amd_line(s, c, noise);
	c->lang = t->lang;
	snprintf(
	    c->name, sizeof(c->name),
	    "machine %s voice=%s rate=%u speech=%u noise=%u lead=%u beep=%uHz@%ums \"%.40s...\"",
	    t->lang, voice ? voice : t->lang, rate, c->speech_rms, noise, c->lead_ms, c->beep_hz,
	    c->beep_end_ms, t->text);
	free(v);
	return 0;
}

static inline int amd_add_fax(struct amd_set *s, uint32_t noise)
{
	struct amd_clip *c = amd_clip_new(s, AMD_L_FAX, 8000);

	if (!c)
		return ENOMEM;
	c->lead_ms = amd_pick(s, 100, 1000);
	for (uint32_t at = c->lead_ms; at < 8000; at += 3500)
		amd_tone(c, at, 500, 1100, amd_pick(s, 1500, 6000));
	amd_line(s, c, noise);
	snprintf(c->name, sizeof(c->name), "fax cng noise=%u lead=%u", noise, c->lead_ms);
	return 0;
}

static inline void amd_set_free(struct amd_set *s)
{
	char cmd[128];

	for (size_t i = 0; i < s->n; i++)
		free(s->clips[i].pcm);
	free(s->clips);
	if (s->tts)
		tts_destroy(s->tts);
	if (s->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "amd_set: could not remove %s\n", s->dir);
	}
	memset(s, 0, sizeof(*s));
}

/* Makes the set in memory: `full` for the benchmark's whole set (every text in three
 * voices at three speaking rates, 15 fax clips), otherwise one person and one machine
 * per language and one fax clip. Returns 0 or an errno (the set is then freed). */
static inline int amd_set_make(struct amd_set *s, bool full)
{
	static const char *voices[] = {NULL, "+f3", "+m3"};
	static const unsigned rates[] = {140, 180, 230};
	const char *tmp = getenv("TMPDIR");
	char voice[32];
	int err = 0;
	unsigned k = 0; /* clips made: picks each clip's noise level in turn */

	memset(s, 0, sizeof(*s));
	s->rng = 0x9E3779B97F4A7C15ull;
	media__g711_init();
	snprintf(s->dir, sizeof(s->dir), "%s/amd-set-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(s->dir)) {
		s->dir[0] = 0;
		return errno;
	}
	err = tts_create(s->dir, NULL, &s->tts);
	for (size_t i = 0; !err && i < AMD_NPERSON; i++)
		for (unsigned v = 0; !err && v < (full ? 3u : 1u); v++)
			for (unsigned r = 0; !err && r < (full ? 3u : 1u); r++) {
				if (!full && i % 4)
					continue;
				snprintf(voice, sizeof(voice), "%s%s", amd_person_texts[i].lang,
					 voices[v] ? voices[v] : "");
				err = amd_add_person(s, &amd_person_texts[i], v ? voice : NULL,
						     full ? rates[r] : 175,
						     amd_noise_levels[k++ % AMD_NNOISE]);
			}
	for (size_t i = 0; !err && i < AMD_NMACHINE; i++)
		for (unsigned v = 0; !err && v < (full ? 3u : 1u); v++)
			for (unsigned r = 0; !err && r < (full ? 3u : 1u); r++) {
				if (!full && i % 3)
					continue;
				snprintf(voice, sizeof(voice), "%s%s", amd_machine_texts[i].lang,
					 voices[v] ? voices[v] : "");
				err = amd_add_machine(s, &amd_machine_texts[i], v ? voice : NULL,
						      full ? rates[r] : 175,
						      amd_noise_levels[k++ % AMD_NNOISE]);
			}
	for (unsigned i = 0; !err && i < (full ? 15u : 1u); i++)
		err = amd_add_fax(s, amd_noise_levels[full ? i % AMD_NNOISE : 3]);
	if (err)
		amd_set_free(s);
	return err;
}

#endif
