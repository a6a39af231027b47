/* Campaign configuration (DESIGN.md contract 8): the contract's example, defaults,
 * every field, and errors with FILE:LINE:COL and the key path. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/yaml.h"
#include "dialer/dialer.h"

static bool exists(void *arg, enum dialer_ref kind, const char *name)
{
	(void)arg;
	switch (kind) {
	case DIALER_REF_QUEUE:
		return !strcmp(name, "outbound");
	case DIALER_REF_FLOW:
		return !strcmp(name, "survey");
	case DIALER_REF_TRUNK:
		return !strcmp(name, "pstn");
	case DIALER_REF_CALENDAR:
		return !strcmp(name, "office");
	case DIALER_REF_DISPOSITION:
		return !strcmp(name, "sale") || !strcmp(name, "later") || !strcmp(name, "optout");
	}
	return false;
}

static int parse(const char *text, struct cy **cy, struct dialer_campaign **v, size_t *n)
{
	assert_int_equal(cy_load_string("c.yaml", text, cy), 0);
	return dialer_campaigns_parse(*cy, cy_get(cy_root(*cy), "campaigns"), "campaigns", exists,
				      NULL, v, n);
}

static bool has_error(struct cy *cy, const char *text)
{
	for (size_t i = 0; i < cy_error_count(cy); i++)
		if (strstr(cy_error_at(cy, i), text))
			return true;
	return false;
}

static void test_the_contracts_example(void **state)
{
	struct cy *cy = NULL;
	struct dialer_campaign *v = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(
	    parse("campaigns:\n"
		  "  - {id: renewals, mode: predictive, queue: outbound, trunk: pstn,\n"
		  "     caller_id: \"+48221234567\", window: {from: \"08:00\", to: \"21:00\"},\n"
		  "     max_attempts: 3, retry: {busy: 10m, no_answer: 1h}, abandon_cap: 3%,\n"
		  "     amd: {action: hangup}, lists: [nov]}\n",
		  &cy, &v, &n),
	    0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].id, "renewals");
	assert_int_equal(v[0].mode, DIALER_PREDICTIVE);
	assert_int_equal(v[0].pacer.mode, DIALER_PREDICTIVE);
	assert_string_equal(v[0].queue, "outbound");
	assert_string_equal(v[0].trunk, "pstn");
	assert_string_equal(v[0].caller_id, "+48221234567");
	assert_int_equal(v[0].rules.window_from, 8 * 60);
	assert_int_equal(v[0].rules.window_to, 21 * 60);
	assert_int_equal(v[0].rules.max_attempts, 3);
	assert_int_equal(v[0].rules.retry_ms[DIALER_R_BUSY], 600000);
	assert_int_equal(v[0].rules.retry_ms[DIALER_R_NO_ANSWER], 3600000);
	assert_true(v[0].pacer.abandon_cap > 0.0299 && v[0].pacer.abandon_cap < 0.0301);
	assert_int_equal(v[0].amd_action, DIALER_AMD_HANGUP);
	assert_int_equal(v[0].nlists, 1);
	assert_string_equal(v[0].lists[0].id, "nov");
	assert_false(v[0].paused);
	/* Defaults: ring 25 s, a 30-day window for the cap, invalid numbers close. */
	assert_int_equal(v[0].ring_ms, 25000);
	assert_int_equal(v[0].pacer.window_ms, 30ull * 24 * 3600 * 1000);
	assert_true(v[0].rules.closes[DIALER_R_INVALID]);
	/* No abandon message on a predictive campaign: a warning, not an error. */
	assert_int_equal(cy_warning_count(cy), 1);
	dialer_campaigns_free(v, n);
	cy_free(cy);
}

static void test_every_field(void **state)
{
	struct cy *cy = NULL;
	struct dialer_campaign *v = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(parse("campaigns:\n"
			       "  - id: survey\n"
			       "    name: Satisfaction survey\n"
			       "    mode: agentless\n"
			       "    flow: survey\n"
			       "    lines: 20\n"
			       "    country: PL\n"
			       "    timezone: Europe/Warsaw\n"
			       "    holidays: office\n"
			       "    ring_time: 30s\n"
			       "    max_attempts: 5\n"
			       "    max_per_day: 2\n"
			       "    close: [invalid, rejected]\n"
			       "    abandon_window: 24h\n"
			       "    paused: true\n"
			       "  - id: sales\n"
			       "    queue: outbound\n"
			       "    mode: preview\n"
			       "    preview_timeout: 45s\n"
			       "    callback_grace: 5m\n"
			       "    script: \"Hello {{name}}\"\n"
			       "    abandon_message: \"This is ACME calling.\"\n"
			       "    amd: {action: message, message: \"Please call ACME back.\"}\n"
			       "    lists: [{id: hot, priority: 10}, cold]\n"
			       "    dispositions: {sale: close, later: callback, optout: dnc}\n",
			       &cy, &v, &n),
			 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].mode, DIALER_AGENTLESS);
	assert_int_equal(v[0].pacer.lines, 20);
	assert_string_equal(v[0].country, "PL");
	assert_string_equal(v[0].holidays, "office");
	assert_int_equal(v[0].ring_ms, 30000);
	assert_int_equal(v[0].rules.max_per_day, 2);
	assert_true(v[0].rules.closes[DIALER_R_REJECTED]);
	assert_false(v[0].rules.closes[DIALER_R_FAX]);
	assert_int_equal(v[0].pacer.window_ms, 24 * 3600000);
	assert_true(v[0].paused);
	assert_int_equal(v[1].mode, DIALER_PREVIEW);
	assert_int_equal(v[1].preview_ms, 45000);
	assert_int_equal(v[1].callback_grace_ms, 5 * 60000);
	assert_int_equal(v[0].callback_grace_ms, 15 * 60000);
	assert_int_equal(v[1].amd_action, DIALER_AMD_MESSAGE);
	assert_int_equal(v[1].lists[0].priority, 10);
	assert_string_equal(v[1].lists[1].id, "cold");
	assert_int_equal(v[1].ndispositions, 3);
	assert_int_equal(v[1].dispositions[1].action, DIALER_DISP_CALLBACK);
	assert_int_equal(v[1].dispositions[2].action, DIALER_DISP_DNC);
	dialer_campaigns_free(v, n);
	cy_free(cy);
}

static void test_errors_carry_position_and_path(void **state)
{
	struct cy *cy = NULL;
	struct dialer_campaign *v = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(parse("campaigns:\n"
			       "  - id: Bad Id\n"
			       "    mode: robocall\n"
			       "    queue: nowhere\n"
			       "    trunk: tin-can\n"
			       "    caller_id: \"0221234567\"\n"
			       "    window: {from: \"21:00\", to: \"08:00\"}\n"
			       "    ring_time: 10s\n"
			       "    retry: {busy: soon, person: 1h}\n"
			       "    abandon_cap: 0%\n"
			       "    amd: {action: shout}\n"
			       "    lists: [a, a]\n"
			       "    dispositions: {sale: later-maybe, bribe: close}\n"
			       "    colour: red\n"
			       "  - {id: x, mode: agentless}\n"
			       "  - {id: x, queue: outbound}\n",
			       &cy, &v, &n),
			 EINVAL);
	assert_null(v);
	assert_true(has_error(cy, "c.yaml:2:9: campaigns[0].id: use lower-case letters"));
	assert_true(has_error(cy, "c.yaml:3:11: campaigns[0].mode: expected preview, "
				  "progressive, predictive or agentless, got \"robocall\""));
	assert_true(has_error(cy, "c.yaml:4:12: campaigns[0].queue: unknown queue \"nowhere\""));
	assert_true(has_error(cy, "campaigns[0].trunk: unknown trunk \"tin-can\""));
	assert_true(has_error(cy, "campaigns[0].caller_id: expected a number in E.164"));
	assert_true(has_error(cy, "campaigns[0].window: the window must end after it starts"));
	assert_true(has_error(cy, "c.yaml:8:16: campaigns[0].ring_time: must be at least 15s"));
	assert_true(has_error(cy, "campaigns[0].retry.busy:"));
	assert_true(has_error(cy, "campaigns[0].retry.person: unknown result"));
	assert_true(has_error(cy, "campaigns[0].abandon_cap: expected a share above 0"));
	assert_true(has_error(cy, "campaigns[0].amd.action: expected connect, hangup or message"));
	assert_true(has_error(cy, "campaigns[0].lists[1]: list \"a\" is listed twice"));
	assert_true(has_error(cy, "campaigns[0].dispositions.sale: expected close, callback"));
	assert_true(has_error(cy, "campaigns[0].dispositions.bribe: \"bribe\" is not one of"));
	assert_true(has_error(cy, "c.yaml:14:5: campaigns[0].colour: unknown key"));
	assert_true(has_error(cy, "campaigns[1].flow: an agentless campaign needs the flow"));
	assert_true(has_error(cy, "campaigns[1].lines: an agentless campaign needs"));
	assert_true(has_error(cy, "campaigns[2]: duplicate campaign id \"x\""));
	cy_free(cy);
}

static void test_the_config_file_keeps_campaigns_for_the_dialer(void **state)
{
	struct cfg *cfg = NULL;

	(void)state;
	assert_int_equal(cfg_load_string("t.yaml",
					 "store: \"sqlite::memory:\"\n"
					 "tenants:\n"
					 "  - id: acme\n"
					 "    campaigns: [{id: renewals, queue: outbound}]\n",
					 &cfg),
			 0);
	assert_int_equal(cfg_error_count(cfg), 0);
	assert_non_null(cfg->tenants[0].campaigns);
	cfg_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_the_contracts_example),
	    cmocka_unit_test(test_every_field),
	    cmocka_unit_test(test_errors_carry_position_and_path),
	    cmocka_unit_test(test_the_config_file_keeps_campaigns_for_the_dialer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
