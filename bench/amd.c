/*
 * Answering-machine detection accuracy on the generated labelled set (tests/unit/
 * amd_set.h: espeak-ng greetings in pl/es/ru/en said by a person or a voicemail that ends
 * in a beep, fax calling tones; leading silence, speech level and line noise varied, µ-law
 * round trip). Each clip is fed to a detector in 20 ms frames, as the media engine feeds
 * it. Prints precision and recall for PERSON and MACHINE, accuracy, fax detection, the
 * beeps found and how late, the time to a decision (p50/p95, audio time since answer),
 * the CPU per second of audio, and the command to reproduce.
 *
 *   bench_amd [-v] [-c CLIP] [-g GREETING_MS] [-s AFTER_GREETING_SILENCE_MS]
 *             [-w MAX_WORDS] [-i INITIAL_SILENCE_MS] [-t TOTAL_MS]
 *   bench_amd [options] FILE.wav...
 *   -v prints every clip with its decision; -c runs only the clips whose description
 *   contains CLIP (e.g. -c 'noise=800', -c '"Halo?"'). With files (WAV, 8 or 16 kHz,
 *   PCM16 or G.711), prints the decision and the beep for each instead.
 */
#include "media/amd.h"

#include "../tests/unit/amd_set.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct outcome {
	enum media_amd_result result;
	enum media_amd_reason reason;
	uint32_t ms;	  /* decision */
	bool beep;	  /* MACHINE_BEEP came */
	uint32_t beep_ms; /* when */
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t pct(uint32_t *v, size_t n, double p)
{
	size_t i;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_u32);
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i];
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run(const struct media_amd_params *p, const struct amd_clip *c, struct outcome *o);

/* Classifies audio files: the decision and the beep of each. */
static int classify(const struct media_amd_params *p, char **files, int n)
{
	int rc = 0;

	for (int i = 0; i < n; i++) {
		struct media__audio *a = NULL;
		struct amd_clip c;
		struct outcome o;
		int err = media__audio_load(files[i], &a);

		if (err) {
			fprintf(stderr, "bench_amd: %s: %s\n", files[i], strerror(err));
			rc = 1;
			continue;
		}
		memset(&c, 0, sizeof(c));
		c.pcm = a->pcm8;
		c.n = a->n8;
		run(p, &c, &o);
		printf("%s: %s %s at %u ms", files[i], media_amd_result_name(o.result),
		       media_amd_reason_name(o.reason), o.ms);
		if (o.beep)
			printf(", beep ended at %u ms", o.beep_ms);
		printf("\n");
		media__audio_free(a);
	}
	return rc;
}

static void run(const struct media_amd_params *p, const struct amd_clip *c, struct outcome *o)
{
	struct media_amd *a;
	struct media_amd_event ev;

	memset(o, 0, sizeof(*o));
	if (media_amd_new(p, &a) != 0) {
		fprintf(stderr, "bench_amd: bad parameters\n");
		exit(2);
	}
	for (size_t at = 0; at < c->n && !media_amd_done(a); at += 160) {
		size_t k = c->n - at < 160 ? c->n - at : 160;

		media_amd_feed(a, c->pcm + at, k);
		while (media_amd_next(a, &ev)) {
			if (ev.result == MEDIA_AMD_MACHINE_BEEP) {
				o->beep = true;
				o->beep_ms = ev.ms;
			} else if (ev.result != MEDIA_AMD_NO_BEEP) {
				o->result = ev.result;
				o->reason = ev.reason;
				o->ms = ev.ms;
			}
		}
	}
	media_amd_free(a);
}

int main(int argc, char **argv)
{
	struct media_amd_params p;
	struct amd_set set;
	bool verbose = false;
	const char *only = NULL;
	int opt, err;
	char cmd[512] = "bench_amd", errbuf[128];

	media_amd_defaults(&p);
	while ((opt = getopt(argc, argv, "vc:g:s:w:i:t:")) != -1) {
		switch (opt) {
		case 'v':
			verbose = true;
			break;
		case 'c':
			only = optarg;
			break;
		case 'g':
			p.greeting_ms = (uint32_t)atoi(optarg);
			break;
		case 's':
			p.after_greeting_silence_ms = (uint32_t)atoi(optarg);
			break;
		case 'w':
			p.max_words = (uint32_t)atoi(optarg);
			break;
		case 'i':
			p.initial_silence_ms = (uint32_t)atoi(optarg);
			break;
		case 't':
			p.total_ms = (uint32_t)atoi(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: %s [-v] [-c CLIP] [-g GREETING_MS] [-s AFTER_SILENCE_MS] "
				"[-w MAX_WORDS] [-i INITIAL_SILENCE_MS] [-t TOTAL_MS]\n",
				argv[0]);
			return 2;
		}
	}
	if (media_amd_check(&p, errbuf, sizeof(errbuf))) {
		fprintf(stderr, "bench_amd: %s\n", errbuf);
		return 2;
	}
	if (optind < argc)
		return classify(&p, argv + optind, argc - optind);
	for (int i = 1; i < argc; i++) {
		strncat(cmd, " ", sizeof(cmd) - strlen(cmd) - 1);
		strncat(cmd, argv[i], sizeof(cmd) - strlen(cmd) - 1);
	}
	fprintf(stderr, "bench_amd: generating the labelled set (espeak-ng)...\n");
	err = amd_set_make(&set, true);
	if (err) {
		fprintf(stderr, "bench_amd: cannot make the set: %s\n", strerror(err));
		return 1;
	}

	/* [label][result]: label person/machine/fax; result none..fax. */
	unsigned conf[3][5] = {{0}}, nlabel[3] = {0}, beeps = 0;
	uint32_t *t_all = calloc(set.n, sizeof(uint32_t)), *t_person = calloc(set.n, 4),
		 *t_machine = calloc(set.n, 4), *t_beep = calloc(set.n, 4),
		 *t_fax = calloc(set.n, 4);
	uint32_t *t_after = calloc(set.n, 4);
	size_t n_after = 0;
	size_t n_all = 0, n_person = 0, n_machine = 0, n_beep = 0, n_fax = 0;
	static const char *langs[] = {"pl", "es", "ru", "en"};
	unsigned lang_ok[4] = {0}, lang_n[4] = {0}, noise_ok[AMD_NNOISE] = {0},
		 noise_n[AMD_NNOISE] = {0};
	double audio_s = 0, cpu0 = cpu_s();
	static const char *labels[] = {"person", "machine", "fax"};

	for (size_t i = 0; i < set.n; i++) {
		const struct amd_clip *c = &set.clips[i];
		struct outcome o;

		if (only && !strstr(c->name, only))
			continue;
		run(&p, c, &o);
		audio_s += (double)c->n / 8000.0;
		nlabel[c->label]++;
		conf[c->label][o.result <= MEDIA_AMD_FAX ? o.result : 0]++;
		if (o.result != MEDIA_AMD_NONE)
			t_all[n_all++] = o.ms;
		if (c->label == AMD_L_PERSON && o.result == MEDIA_AMD_PERSON) {
			t_person[n_person++] = o.ms;
			t_after[n_after++] = o.ms - (c->lead_ms + c->greeting_ms);
		}
		if (c->label == AMD_L_MACHINE && o.result == MEDIA_AMD_MACHINE)
			t_machine[n_machine++] = o.ms;
		if (c->label == AMD_L_FAX && o.result == MEDIA_AMD_FAX)
			t_fax[n_fax++] = o.ms;
		if (c->label == AMD_L_MACHINE && o.beep) {
			beeps++;
			t_beep[n_beep++] =
			    o.beep_ms > c->beep_end_ms ? o.beep_ms - c->beep_end_ms : 0;
		}
		bool ok = (c->label == AMD_L_PERSON && o.result == MEDIA_AMD_PERSON) ||
			  (c->label == AMD_L_MACHINE && o.result == MEDIA_AMD_MACHINE) ||
			  (c->label == AMD_L_FAX && o.result == MEDIA_AMD_FAX);

		for (unsigned l = 0; l < 4; l++)
			if (c->lang && !strcmp(c->lang, langs[l])) {
				lang_n[l]++;
				lang_ok[l] += ok;
			}
		for (unsigned k = 0; k < AMD_NNOISE; k++)
			if (c->noise_rms == amd_noise_levels[k]) {
				noise_n[k]++;
				noise_ok[k] += ok;
			}
		if (verbose || !ok)
			printf("%s %-7s -> %-7s %-15s at %5u ms  %s\n", ok ? "  " : "!!",
			       labels[c->label], media_amd_result_name(o.result),
			       media_amd_reason_name(o.reason), o.ms, c->name);
		if (o.beep && (verbose || !ok))
			printf("      beep reported at %u ms (ends at %u ms)\n", o.beep_ms,
			       c->beep_end_ms);
	}
	double cpu = cpu_s() - cpu0;

	unsigned pp =
	    conf[0][MEDIA_AMD_PERSON] + conf[1][MEDIA_AMD_PERSON] + conf[2][MEDIA_AMD_PERSON];
	unsigned pm =
	    conf[0][MEDIA_AMD_MACHINE] + conf[1][MEDIA_AMD_MACHINE] + conf[2][MEDIA_AMD_MACHINE];
	unsigned pf = conf[0][MEDIA_AMD_FAX] + conf[1][MEDIA_AMD_FAX] + conf[2][MEDIA_AMD_FAX];
	unsigned correct =
	    conf[0][MEDIA_AMD_PERSON] + conf[1][MEDIA_AMD_MACHINE] + conf[2][MEDIA_AMD_FAX];

	printf("\nAMD on %zu generated clips (%u person, %u machine, %u fax; pl/es/ru/en, "
	       "3 voices x 3 rates, noise rms 20-800, µ-law)\n",
	       set.n, nlabel[0], nlabel[1], nlabel[2]);
	printf("thresholds: initial_silence=%u greeting=%u after_greeting_silence=%u total=%u "
	       "min_word=%u between_words=%u max_words=%u beep_min=%u ms\n",
	       p.initial_silence_ms, p.greeting_ms, p.after_greeting_silence_ms, p.total_ms,
	       p.min_word_ms, p.between_words_ms, p.max_words, p.beep_min_ms);
	printf("%-8s %7s %7s %7s %7s %7s\n", "label", "person", "machine", "unsure", "fax", "none");
	for (int l = 0; l < 3; l++)
		printf("%-8s %7u %7u %7u %7u %7u\n", labels[l], conf[l][MEDIA_AMD_PERSON],
		       conf[l][MEDIA_AMD_MACHINE], conf[l][MEDIA_AMD_UNSURE],
		       conf[l][MEDIA_AMD_FAX], conf[l][MEDIA_AMD_NONE]);
	printf("PERSON   precision %.3f  recall %.3f\n",
	       pp ? (double)conf[0][MEDIA_AMD_PERSON] / pp : 0.0,
	       nlabel[0] ? (double)conf[0][MEDIA_AMD_PERSON] / nlabel[0] : 0.0);
	printf("MACHINE  precision %.3f  recall %.3f\n",
	       pm ? (double)conf[1][MEDIA_AMD_MACHINE] / pm : 0.0,
	       nlabel[1] ? (double)conf[1][MEDIA_AMD_MACHINE] / nlabel[1] : 0.0);
	printf("FAX      detected %u/%u, false fax %u\n", conf[2][MEDIA_AMD_FAX], nlabel[2],
	       pf - conf[2][MEDIA_AMD_FAX]);
	printf("accuracy %.3f (%u/%zu)\n", (double)correct / (double)set.n, correct, set.n);
	printf("accuracy by language (person+machine):");
	for (unsigned l = 0; l < 4; l++)
		printf(" %s %u/%u", langs[l], lang_ok[l], lang_n[l]);
	printf("\naccuracy by noise rms (all clips):");
	for (unsigned k = 0; k < AMD_NNOISE; k++)
		printf(" %u: %u/%u", amd_noise_levels[k], noise_ok[k], noise_n[k]);
	printf("\n");
	uint32_t p50 = pct(t_all, n_all, 0.5), p95 = pct(t_all, n_all, 0.95);

	printf("time to decision (audio since answer): all p50 %u ms p95 %u ms", p50, p95);
	p50 = pct(t_person, n_person, 0.5);
	p95 = pct(t_person, n_person, 0.95);
	printf("; person p50 %u p95 %u", p50, p95);
	p50 = pct(t_machine, n_machine, 0.5);
	p95 = pct(t_machine, n_machine, 0.95);
	printf("; machine p50 %u p95 %u", p50, p95);
	p50 = pct(t_fax, n_fax, 0.5);
	p95 = pct(t_fax, n_fax, 0.95);
	printf("; fax p50 %u p95 %u\n", p50, p95);
	p50 = pct(t_after, n_after, 0.5);
	p95 = pct(t_after, n_after, 0.95);
	printf("person decided after the end of their greeting: p50 %u ms p95 %u ms\n", p50, p95);
	p50 = pct(t_beep, n_beep, 0.5);
	p95 = pct(t_beep, n_beep, 0.95);
	printf("beep found on %u/%u machines, reported after its end: p50 %u ms p95 %u ms\n", beeps,
	       nlabel[1], p50, p95);
	printf("cpu: %.1f us per second of audio (%.1f s of audio in %.3f s)\n",
	       cpu / audio_s * 1e6, audio_s, cpu);
	printf("reproduce: make build && build/%s\n", cmd);
	free(t_all);
	free(t_person);
	free(t_machine);
	free(t_beep);
	free(t_fax);
	free(t_after);
	amd_set_free(&set);
	return 0;
}
