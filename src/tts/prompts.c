/*
 * Making prompt sets from their catalogues (prompts/<lang>/prompts.tsv): each entry is
 * rendered through the TTS cache and copied to prompts/<lang>/<name>.wav, so that the
 * IVR can compose numbers and phrases from plain files. A manifest (.made) remembers
 * which files were made here and from which text: a changed text is rendered again,
 * and a file that is not in the manifest (a studio recording dropped in its place) is
 * never overwritten.
 */
#include "tts/tts_int.h"

#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct made {
	char name[64];
	char hash[17];
};

struct manifest {
	struct made *v;
	size_t n, cap;
	bool changed;
};

static void text_hash(const char *lang, const char *text, char out[17])
{
	unsigned char h[8];
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)lang, strlen(lang) + 1);
	crypto_generichash_update(&st, (const unsigned char *)text, strlen(text));
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(out, 17, h, sizeof(h));
}

static struct made *manifest_find(struct manifest *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].name, name))
			return &m->v[i];
	return NULL;
}

static int manifest_set(struct manifest *m, const char *name, const char *hash)
{
	struct made *e = manifest_find(m, name);

	if (!e) {
		if (m->n == m->cap) {
			size_t cap = m->cap ? m->cap * 2 : 64;
			struct made *v = realloc(m->v, cap * sizeof(*v));
			if (!v)
				return ENOMEM;
			m->v = v;
			m->cap = cap;
		}
		e = &m->v[m->n++];
		snprintf(e->name, sizeof(e->name), "%s", name);
	}
	snprintf(e->hash, sizeof(e->hash), "%s", hash);
	m->changed = true;
	return 0;
}

static void manifest_read(struct manifest *m, const char *path)
{
	char line[256];
	FILE *f = fopen(path, "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *tab = strchr(line, '\t');
		if (!tab || strlen(tab + 1) < 16)
			continue;
		*tab = '\0';
		tab[17] = '\0';
		manifest_set(m, line, tab + 1);
	}
	m->changed = false;
	fclose(f);
}

static int manifest_write(const struct manifest *m, const char *path)
{
	char tmp[1100];
	FILE *f;
	int rc = 0;

	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	f = fopen(tmp, "w");
	if (!f)
		return errno;
	for (size_t i = 0; i < m->n; i++)
		fprintf(f, "%s\t%s\n", m->v[i].name, m->v[i].hash);
	if (fclose(f))
		rc = EIO;
	if (!rc && rename(tmp, path))
		rc = errno;
	if (rc)
		unlink(tmp);
	return rc;
}

static int copy_file(const char *from, const char *to)
{
	char tmp[1400], buf[8192];
	FILE *in = fopen(from, "rb"), *out = NULL;
	size_t n;
	int rc = 0;

	if (!in)
		return errno;
	snprintf(tmp, sizeof(tmp), "%.1300s.%d.tmp", to, (int)getpid());
	out = fopen(tmp, "wb");
	if (!out) {
		rc = errno;
		fclose(in);
		return rc;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = EIO;
	if (ferror(in))
		rc = EIO;
	fclose(in);
	if (fclose(out))
		rc = EIO;
	if (!rc && rename(tmp, to))
		rc = errno;
	if (rc)
		unlink(tmp);
	return rc;
}

static bool name_ok(const char *s)
{
	if (!*s || strlen(s) > 63)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

static int make_one(struct tts *t, const char *lang, const char *text, const char *dest)
{
	unsigned hz, ms;
	char cached[TTS_PATH_MAX];
	struct tts_params p = {.text = text, .lang = lang, .sample_rate = 8000};
	int rc;

	if (sscanf(text, "[tone %u %u]", &hz, &ms) == 2)
		return tts__tone(dest, hz, ms);
	rc = tts_render_sync(t, &p, cached, sizeof(cached));
	return rc ? rc : copy_file(cached, dest);
}

int tts_prompts_make(struct tts *t, const char *prompt_dir, const char *lang, unsigned *made)
{
	struct manifest m = {0};
	char path[1024], mpath[1024], line[2048];
	unsigned count = 0;
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s/prompts.tsv", prompt_dir, lang);
	snprintf(mpath, sizeof(mpath), "%s/%s/.made", prompt_dir, lang);
	f = fopen(path, "r");
	if (!f)
		return ENOENT;
	manifest_read(&m, mpath);
	while (!rc && fgets(line, sizeof(line), f)) {
		char *tab = strchr(line, '\t'), *text, hash[17], dest[1200 + 64];
		struct made *e;
		size_t n;
		if (line[0] == '#' || !tab)
			continue;
		*tab = '\0';
		text = tab + 1;
		n = strlen(text);
		while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
			text[--n] = '\0';
		if (!name_ok(line) || !n)
			continue;
		/* name_ok() keeps names under 64 bytes. */
		snprintf(dest, sizeof(dest), "%.1024s/%.32s/%.63s.wav", prompt_dir, lang, line);
		text_hash(lang, text, hash);
		e = manifest_find(&m, line);
		if (access(dest, R_OK) == 0 && (!e || !strcmp(e->hash, hash)))
			continue; /* up to date, or recorded by a person */
		rc = make_one(t, lang, text, dest);
		if (!rc) {
			rc = manifest_set(&m, line, hash);
			count++;
		}
	}
	fclose(f);
	if (m.changed) {
		int wrc = manifest_write(&m, mpath);
		if (!rc)
			rc = wrc;
	}
	free(m.v);
	if (made)
		*made = count;
	return rc;
}
