/*
 * Answering-machine detection on spoken greetings: a small subset of the generated
 * labelled set (amd_set.h: espeak-ng in Polish, Spanish, Russian and English, with
 * leading silence, line noise and µ-law), fed in 20 ms frames as the media engine feeds
 * them. A person's "Halo?", "¿Diga?", "Алло?", "Hello?" is PERSON; a voicemail greeting
 * is MACHINE and its beep is reported when it ends; a fax calling tone is FAX. The whole
 * set's precision and recall are measured by bench/amd.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "amd_set.h"
#include "media/amd.h"

static struct amd_set set;

struct outcome {
	struct media_amd_event decision;
	bool beep;
	struct media_amd_event beep_ev;
};

static void run(const struct amd_clip *c, struct outcome *o)
{
	struct media_amd *a;
	struct media_amd_event ev;

	memset(o, 0, sizeof(*o));
	assert_int_equal(media_amd_new(NULL, &a), 0);
	for (size_t at = 0; at < c->n && !media_amd_done(a); at += 160) {
		media_amd_feed(a, c->pcm + at, c->n - at < 160 ? c->n - at : 160);
		while (media_amd_next(a, &ev)) {
			if (ev.result == MEDIA_AMD_MACHINE_BEEP) {
				o->beep = true;
				o->beep_ev = ev;
			} else if (ev.result != MEDIA_AMD_NO_BEEP) {
				o->decision = ev;
			}
		}
	}
	media_amd_free(a);
}

static int setup(void **state)
{
	(void)state;
	return amd_set_make(&set, false) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	amd_set_free(&set);
	return 0;
}

static void test_subset_covers_every_language_and_label(void **state)
{
	unsigned n[3] = {0};

	(void)state;
	for (size_t i = 0; i < set.n; i++)
		n[set.clips[i].label]++;
	assert_int_equal(n[AMD_L_PERSON], 4);
	assert_int_equal(n[AMD_L_MACHINE], 4);
	assert_int_equal(n[AMD_L_FAX], 1);
}

static void test_short_greetings_are_person(void **state)
{
	(void)state;
	for (size_t i = 0; i < set.n; i++) {
		const struct amd_clip *c = &set.clips[i];
		struct outcome o;

		if (c->label != AMD_L_PERSON)
			continue;
		run(c, &o);
		print_message("%s -> %s %s at %u ms\n", c->name,
			      media_amd_result_name(o.decision.result),
			      media_amd_reason_name(o.decision.reason), o.decision.ms);
		assert_int_equal(o.decision.result, MEDIA_AMD_PERSON);
		/* Decided in the silence after the greeting, before the person speaks again. */
		assert_true(o.decision.ms > c->lead_ms + c->greeting_ms);
		assert_true(o.decision.ms < c->lead_ms + 2 * c->greeting_ms + 2200);
	}
}

static void test_voicemail_greetings_are_machine_with_beep(void **state)
{
	(void)state;
	for (size_t i = 0; i < set.n; i++) {
		const struct amd_clip *c = &set.clips[i];
		struct outcome o;

		if (c->label != AMD_L_MACHINE)
			continue;
		run(c, &o);
		print_message("%s -> %s %s at %u ms, beep %s at %u ms (%u Hz)\n", c->name,
			      media_amd_result_name(o.decision.result),
			      media_amd_reason_name(o.decision.reason), o.decision.ms,
			      o.beep ? "found" : "missed", o.beep_ev.ms, o.beep_ev.beep_hz);
		assert_int_equal(o.decision.result, MEDIA_AMD_MACHINE);
		/* Decided during the greeting, long before its end. */
		assert_true(o.decision.ms < c->lead_ms + c->greeting_ms);
		assert_true(o.beep);
		assert_in_range(o.beep_ev.ms, c->beep_end_ms, c->beep_end_ms + 60);
		assert_in_range(o.beep_ev.beep_hz, c->beep_hz - 25, c->beep_hz + 25);
	}
}

static void test_fax_calling_tone_is_fax(void **state)
{
	(void)state;
	for (size_t i = 0; i < set.n; i++) {
		const struct amd_clip *c = &set.clips[i];
		struct outcome o;

		if (c->label != AMD_L_FAX)
			continue;
		run(c, &o);
		assert_int_equal(o.decision.result, MEDIA_AMD_FAX);
		/* Within the first tone (0.5 s) or just after it. */
		assert_in_range(o.decision.ms, c->lead_ms + 350, c->lead_ms + 600);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_subset_covers_every_language_and_label),
	    cmocka_unit_test(test_short_greetings_are_person),
	    cmocka_unit_test(test_voicemail_greetings_are_machine_with_beep),
	    cmocka_unit_test(test_fax_calling_tone_is_fax),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
