/*
 * The on-disk cache: a rendered text lives at <dir>/<hash>.wav, where hash is BLAKE2b
 * (libsodium) of a format version, the text, the voice, the rate and the sample rate.
 * Keys already seen on disk are remembered in a small in-memory set, so asking for a
 * cached path does not touch the file system twice. Also here: checking and
 * normalising request parameters.
 */
#include "tts/tts_int.h"

#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool voice_ok(const char *v)
{
	size_t n = strlen(v);

	if (!n || n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)v[i]) && !strchr("+-_", v[i]))
			return false;
	return true;
}

int tts__job_params(struct tts_job *j, const struct tts_params *p)
{
	const char *voice = p->voice;
	size_t len;

	if (!p->text || !(len = strlen(p->text)) || len > TTS_TEXT_MAX)
		return EINVAL;
	if (!voice || !*voice) {
		/* espeak-ng's "en" is British; the US voice is the usual IVR English. */
		voice = !p->lang || !*p->lang || !strcmp(p->lang, "en") ? "en-us" : p->lang;
	}
	if (!voice_ok(voice))
		return EINVAL;
	snprintf(j->voice, sizeof(j->voice), "%s", voice);
	j->rate = p->rate ? p->rate : 160;
	if (j->rate < 80 || j->rate > 450)
		return EINVAL;
	j->sample_rate = p->sample_rate ? p->sample_rate : 8000;
	if (j->sample_rate != 8000 && j->sample_rate != 16000)
		return EINVAL;
	j->text = (char *)p->text; /* the caller copies it when the job is queued */
	return 0;
}

uint64_t tts__cache_path(const char *dir, struct tts_job *j)
{
	static const char version[] = "centrala-tts-2"; /* bump when output changes */
	unsigned char h[16];
	char hex[33], num[32];
	crypto_generichash_state st;
	uint64_t key;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)version, sizeof(version));
	crypto_generichash_update(&st, (const unsigned char *)j->text, strlen(j->text) + 1);
	crypto_generichash_update(&st, (const unsigned char *)j->voice, strlen(j->voice) + 1);
	snprintf(num, sizeof(num), "%u/%u", j->rate, j->sample_rate);
	crypto_generichash_update(&st, (const unsigned char *)num, strlen(num) + 1);
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(j->path, sizeof(j->path), "%s/%s.wav", dir, hex);
	snprintf(j->tmp, sizeof(j->tmp), "%s/.%s.%d.tmp", dir, hex, (int)getpid());
	memcpy(&key, h, sizeof(key));
	return key ? key : 1;
}

static size_t slot_of(uint64_t key, size_t cap)
{
	return (size_t)(key * 0x9E3779B97F4A7C15ull >> 7) & (cap - 1);
}

bool tts__known(struct tts *t, uint64_t key)
{
	if (!t->capknown)
		return false;
	for (size_t i = slot_of(key, t->capknown);; i = (i + 1) & (t->capknown - 1)) {
		if (t->known[i] == key)
			return true;
		if (!t->known[i])
			return false;
	}
}

void tts__known_add(struct tts *t, uint64_t key)
{
	if (tts__known(t, key))
		return;
	if ((t->nknown + 1) * 2 > t->capknown) {
		size_t cap = t->capknown ? t->capknown * 2 : 256;
		uint64_t *v = calloc(cap, sizeof(*v));
		if (!v)
			return; /* the set is only a shortcut */
		for (size_t i = 0; i < t->capknown; i++) {
			size_t k;
			if (!t->known[i])
				continue;
			for (k = slot_of(t->known[i], cap); v[k]; k = (k + 1) & (cap - 1))
				;
			v[k] = t->known[i];
		}
		free(t->known);
		t->known = v;
		t->capknown = cap;
	}
	{
		size_t k;
		for (k = slot_of(key, t->capknown); t->known[k]; k = (k + 1) & (t->capknown - 1))
			;
		t->known[k] = key;
		t->nknown++;
	}
}

int tts_path_for(struct tts *t, const struct tts_params *p, char *path, size_t size)
{
	struct tts_job j;
	uint64_t key;
	bool hit;
	int rc = tts__job_params(&j, p);

	if (rc)
		return rc;
	key = tts__cache_path(t->dir, &j);
	snprintf(path, size, "%s", j.path);
	pthread_mutex_lock(&t->lock);
	hit = tts__known(t, key);
	pthread_mutex_unlock(&t->lock);
	if (hit)
		return 0;
	if (access(j.path, R_OK))
		return ENOENT;
	pthread_mutex_lock(&t->lock);
	tts__known_add(t, key);
	pthread_mutex_unlock(&t->lock);
	return 0;
}
