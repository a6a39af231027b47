/*
 * Loading what a flow says: prompts made of parts (a WAV file, a prompt of the
 * language's set, TTS text, `say` of a number/digits/date/time/money, silence), text
 * templates, and the checks that the audio they name exists for every language the
 * flow may speak (its own and any `set: lang`). A prompt of a set exists when
 * <prompt_dir>/<lang>/<name>.wav is there or when <prompt_dir>/<lang>/prompts.tsv lists
 * it (such prompts are rendered by TTS when the server starts).
 */
#include "ivr/ivr_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/yaml.h"

static const char *const part_keys[] = {"file", "prompt", "tts",   "say",  "value",   "currency",
					"unit", "lang",	  "voice", "rate", "silence", NULL};

int ivr__load_tpl(struct ivr_load *l, struct fy_node *n, const char *path, struct ivr_tpl *out)
{
	const char *s = cy_text(n);
	char err[256];
	bool dyn = false;

	if (!s) {
		ivr__lerror(l, n, path, "expected text");
		return EINVAL;
	}
	if (ivr__tpl_check(s, &dyn, err, sizeof(err))) {
		ivr__lerror(l, n, path, "%s", err);
		return EINVAL;
	}
	out->text = strdup(s);
	if (!out->text)
		return ENOMEM;
	out->dynamic = dyn;
	return 0;
}

bool ivr__prompt_known(const char *prompt_dir, const char *lang, const char *name)
{
	char path[1024], line[1024];
	size_t nlen = strlen(name);
	bool found = false;
	FILE *f;

	ivr_prompt_path(path, sizeof(path), prompt_dir, lang, name);
	if (access(path, R_OK) == 0)
		return true;
	snprintf(path, sizeof(path), "%s/%s/prompts.tsv", prompt_dir, lang);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, name, nlen) && line[nlen] == '\t';
	fclose(f);
	return found;
}

static bool is_file_path(const char *s)
{
	size_t n = strlen(s);

	return strchr(s, '/') || (n > 4 && !strcmp(s + n - 4, ".wav"));
}

static int check_file(struct ivr_load *l, struct fy_node *n, const char *path, const char *file)
{
	if (l->env->no_file_checks || access(file, R_OK) == 0)
		return 0;
	ivr__lerror(l, n, path, "file not found: %s", file);
	return EINVAL;
}

static int say_kind(const char *s, enum ivr_say_kind *out)
{
	static const char *const names[] = {"number", "digits", "date", "time", "money"};

	for (int i = 0; i < 5; i++)
		if (!strcmp(s, names[i])) {
			*out = (enum ivr_say_kind)i;
			return 0;
		}
	return EINVAL;
}

/* Reads the part keys of `map` (a part mapping, or a play node written in short form). */
static int load_part_map(struct ivr_load *l, struct fy_node *map, const char *path,
			 struct ivr_part *pt)
{
	static const char *const kinds[] = {"file", "prompt", "tts", "say", "silence"};
	struct cy *c = l->c;
	const char *s = NULL;
	int nkinds = 0, rc = 0;
	char p[512];

	for (int i = 0; i < 5; i++)
		if (cy_get(map, kinds[i]))
			nkinds++;
	if (nkinds != 1) {
		ivr__lerror(l, map, path,
			    nkinds
				? "a part is one of file, prompt, tts, say or silence, not several"
				: "expected one of file, prompt, tts, say or silence");
		return EINVAL;
	}
	pt->src = map;
	if (cy_get_str(c, map, path, "lang", false, &s) == 0) {
		if (!ivr__valid_lang(s))
			ivr__lerror(l, cy_get(map, "lang"), cy_path(p, sizeof(p), path, "lang"),
				    "expected a language code such as pl, es, ru or en, got \"%s\"",
				    s);
		else if (!(pt->lang = strdup(s)))
			return ENOMEM;
	}
	if (cy_get_dup(c, map, path, "voice", false, &pt->voice) == ENOMEM)
		return ENOMEM;
	{
		long rate = 0;
		if (cy_get_int(c, map, path, "rate", false, 80, 450, &rate) == 0)
			pt->rate = (uint32_t)rate;
	}
	if (cy_get_str(c, map, path, "file", false, &s) == 0) {
		pt->kind = IVR_PART_FILE;
		if (!(pt->path = strdup(s)))
			return ENOMEM;
		return check_file(l, cy_get(map, "file"), cy_path(p, sizeof(p), path, "file"), s);
	}
	if (cy_get_str(c, map, path, "prompt", false, &s) == 0) {
		pt->kind = IVR_PART_PROMPT;
		if (!(pt->name = strdup(s)))
			return ENOMEM;
		return 0;
	}
	if (cy_get(map, "tts")) {
		pt->kind = IVR_PART_TTS;
		return ivr__load_tpl(l, cy_get(map, "tts"), cy_path(p, sizeof(p), path, "tts"),
				     &pt->text);
	}
	if (cy_get(map, "silence")) {
		uint64_t ms = 0;
		pt->kind = IVR_PART_SILENCE;
		if (cy_get_ms(c, map, path, "silence", true, &ms))
			return EINVAL;
		if (ms == 0 || ms > 60000) {
			ivr__lerror(l, cy_get(map, "silence"),
				    cy_path(p, sizeof(p), path, "silence"),
				    "silence is between 1ms and 60s");
			return EINVAL;
		}
		pt->ms = (uint32_t)ms;
		return 0;
	}
	pt->kind = IVR_PART_SAY;
	if (cy_get_str(c, map, path, "say", true, &s))
		return EINVAL;
	if (say_kind(s, &pt->say)) {
		ivr__lerror(l, cy_get(map, "say"), cy_path(p, sizeof(p), path, "say"),
			    "expected number, digits, date, time or money, got \"%s\"", s);
		return EINVAL;
	}
	if (!cy_get(map, "value")) {
		ivr__lerror(l, map, cy_path(p, sizeof(p), path, "value"),
			    "missing required key (what to say, e.g. \"{account}\")");
		return EINVAL;
	}
	rc =
	    ivr__load_tpl(l, cy_get(map, "value"), cy_path(p, sizeof(p), path, "value"), &pt->text);
	if (rc)
		return rc;
	if (pt->say == IVR_SAY_MONEY) {
		static const char *const cur[] = {"PLN", "EUR", "USD", "RUB", NULL};
		int i;
		if (cy_get_str(c, map, path, "currency", true, &s))
			return EINVAL;
		for (i = 0; cur[i] && strcmp(cur[i], s); i++)
			;
		if (!cur[i]) {
			ivr__lerror(l, cy_get(map, "currency"),
				    cy_path(p, sizeof(p), path, "currency"),
				    "expected PLN, EUR, USD or RUB, got \"%s\"", s);
			return EINVAL;
		}
		if (!(pt->currency = strdup(s)))
			return ENOMEM;
	}
	if (cy_get_str(c, map, path, "unit", false, &s) == 0) {
		if (pt->say != IVR_SAY_NUMBER)
			ivr__lerror(l, cy_get(map, "unit"), cy_path(p, sizeof(p), path, "unit"),
				    "a unit goes with say: number");
		else if (!strcmp(s, "minutes"))
			pt->unit = IVR_UNIT_MINUTE;
		else if (!strcmp(s, "seconds"))
			pt->unit = IVR_UNIT_SECOND;
		else
			ivr__lerror(l, cy_get(map, "unit"), cy_path(p, sizeof(p), path, "unit"),
				    "expected minutes or seconds, got \"%s\"", s);
	}
	return 0;
}

static int load_part(struct ivr_load *l, struct fy_node *n, const char *path, struct ivr_part *pt)
{
	const char *s;

	if (n && fy_node_is_scalar(n)) {
		s = cy_text(n);
		pt->src = n;
		if (!*s) {
			ivr__lerror(l, n, path, "empty prompt");
			return EINVAL;
		}
		if (is_file_path(s)) {
			pt->kind = IVR_PART_FILE;
			if (!(pt->path = strdup(s)))
				return ENOMEM;
			return check_file(l, n, path, s);
		}
		pt->kind = IVR_PART_PROMPT;
		pt->name = strdup(s);
		return pt->name ? 0 : ENOMEM;
	}
	if (!cy_is_map(l->c, n, path))
		return EINVAL;
	cy_check_keys(l->c, n, path, part_keys);
	return load_part_map(l, n, path, pt);
}

int ivr__load_prompt(struct ivr_load *l, struct fy_node *n, const char *path,
		     struct ivr_prompt *out)
{
	size_t cnt = 1, i = 0;
	int rc = 0;

	if (n && fy_node_is_sequence(n))
		cnt = (size_t)fy_node_sequence_item_count(n);
	out->parts = calloc(cnt ? cnt : 1, sizeof(*out->parts));
	if (!out->parts)
		return ENOMEM;
	if (n && fy_node_is_sequence(n)) {
		void *it = NULL;
		struct fy_node *item;
		while ((item = cy_items(n, &it)) && i < cnt) {
			char ip[512];
			int r = load_part(l, item, cy_path_idx(ip, sizeof(ip), path, i),
					  &out->parts[i]);
			i++;
			if (r == ENOMEM)
				rc = ENOMEM;
		}
	} else {
		rc = load_part(l, n, path, &out->parts[0]);
		i = 1;
	}
	out->n = i;
	return rc == ENOMEM ? ENOMEM : 0;
}

/* Reads a play node written in short form ({type: play, tts: "...", lang: pl}). */
int ivr__load_short_part(struct ivr_load *l, struct fy_node *map, const char *path,
			 struct ivr_prompt *out)
{
	out->parts = calloc(1, sizeof(*out->parts));
	if (!out->parts)
		return ENOMEM;
	out->n = 1;
	return load_part_map(l, map, path, &out->parts[0]) == ENOMEM ? ENOMEM : 0;
}

/* Every name a language's number grammar can produce, to check a prompt set once. */
static bool say_set_complete(struct ivr_load *l, const char *lang, char *missing, size_t size)
{
	static const long samples[] = {
	    0,	 1,   2,   3,	4,   5,	   6,	 7,    8,     9,     10,     11,  12,  13,
	    14,	 15,  16,  17,	18,  19,   20,	 21,   22,    23,    24,     25,  26,  27,
	    28,	 29,  30,  40,	50,  60,   70,	 80,   90,    100,   101,    200, 300, 400,
	    500, 600, 700, 800, 900, 1000, 2000, 5000, 21000, 22000, 101000, 31};
	const char *names[32];

	for (int u = 0; u <= 2; u++) {
		for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
			size_t n = ivr_say_number(lang, samples[i], (enum ivr_unit)u, names, 32);
			for (size_t j = 0; j < n; j++)
				if (!ivr__prompt_known(l->f->prompt_dir, lang, names[j])) {
					snprintf(missing, size, "%s", names[j]);
					return false;
				}
		}
	}
	return true;
}

void ivr__check_prompt_files(struct ivr_load *l, const struct ivr_prompt *p, struct fy_node *n,
			     const char *path)
{
	char file[1024], missing[64];

	if (l->env->no_file_checks)
		return;
	for (size_t i = 0; i < p->n; i++) {
		const struct ivr_part *pt = &p->parts[i];
		struct fy_node *at = pt->src ? pt->src : n;
		for (size_t k = 0; k < l->nlangs; k++) {
			const char *lang = l->langs[k];
			if (pt->kind == IVR_PART_PROMPT &&
			    !ivr__prompt_known(l->f->prompt_dir, lang, pt->name)) {
				ivr__lerror(l, at, path, "prompt \"%s\" is not in the %s set (%s)",
					    pt->name, lang,
					    ivr_prompt_path(file, sizeof(file), l->f->prompt_dir,
							    lang, pt->name));
			} else if (pt->kind == IVR_PART_SAY &&
				   (pt->say == IVR_SAY_NUMBER || pt->say == IVR_SAY_DIGITS) &&
				   ivr_say_supported(lang) && k < 64 &&
				   !(l->say_checked & (1ull << k))) {
				l->say_checked |= 1ull << k;
				if (say_set_complete(l, lang, missing, sizeof(missing)))
					continue;
				ivr__lerror(
				    l, at, path,
				    "the %s prompt set lacks \"%s\" needed to say numbers (%s)",
				    lang, missing,
				    ivr_prompt_path(file, sizeof(file), l->f->prompt_dir, lang,
						    missing));
			}
		}
	}
}
