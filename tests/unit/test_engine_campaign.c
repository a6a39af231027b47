/* The engine's dialer mappings (src/engine/campaign_result.c): SIP outcomes and AMD's
 * verdicts to attempt results, a campaign's retry delays and closing results driving a
 * lead through the dialer library, the stored state names, and agents' dispositions. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/yaml.h"
#include "engine/campaign_int.h"
#include "media/amd.h"

#define MIN (60 * 1000LL)
#define T0  (1767340800000LL + 12 * 60 * MIN) /* 2026-01-02 12:00 UTC */

static void test_unanswered_sip_results(void **state)
{
	(void)state;
	assert_int_equal(eng__camp_result_unanswered(486, false), DIALER_R_BUSY);
	assert_int_equal(eng__camp_result_unanswered(600, false), DIALER_R_BUSY);
	assert_int_equal(eng__camp_result_unanswered(480, false), DIALER_R_NO_ANSWER);
	assert_int_equal(eng__camp_result_unanswered(408, false), DIALER_R_NO_ANSWER);
	assert_int_equal(eng__camp_result_unanswered(603, false), DIALER_R_REJECTED);
	assert_int_equal(eng__camp_result_unanswered(404, false), DIALER_R_INVALID);
	assert_int_equal(eng__camp_result_unanswered(484, false), DIALER_R_INVALID);
	assert_int_equal(eng__camp_result_unanswered(503, false), DIALER_R_NETWORK);
	assert_int_equal(eng__camp_result_unanswered(500, false), DIALER_R_NETWORK);
	/* No final response at all: a transport error. */
	assert_int_equal(eng__camp_result_unanswered(0, false), DIALER_R_NETWORK);
	/* Our ring timeout cancelled it: whatever the CANCEL brought, no answer. */
	assert_int_equal(eng__camp_result_unanswered(487, true), DIALER_R_NO_ANSWER);
	assert_int_equal(eng__camp_result_unanswered(0, true), DIALER_R_NO_ANSWER);
	/* Cancelled for another reason (a shutdown) is not the lead's doing. */
	assert_int_equal(eng__camp_result_unanswered(487, false), DIALER_R_NETWORK);
	assert_int_equal(eng__camp_result_unanswered(200, false), DIALER_R_NETWORK);
}

static void test_amd_verdicts(void **state)
{
	(void)state;
	assert_int_equal(eng__camp_result_amd(MEDIA_AMD_PERSON), DIALER_R_PERSON);
	assert_int_equal(eng__camp_result_amd(MEDIA_AMD_UNSURE), DIALER_R_PERSON);
	assert_int_equal(eng__camp_result_amd(MEDIA_AMD_MACHINE), DIALER_R_MACHINE);
	assert_int_equal(eng__camp_result_amd(MEDIA_AMD_MACHINE_BEEP), DIALER_R_MACHINE);
	assert_int_equal(eng__camp_result_amd(MEDIA_AMD_NO_BEEP), DIALER_R_MACHINE);
	assert_int_equal(eng__camp_result_amd(MEDIA_AMD_FAX), DIALER_R_FAX);
}

struct fixture {
	struct cy *cy;
	struct dialer_campaign *v;
	size_t n;
	struct dialer_leads *leads;
};

static int setup(void **state)
{
	static struct fixture f;

	memset(&f, 0, sizeof(f));
	if (cy_load_string("c.yaml",
			   "campaigns:\n"
			   "  - {id: nov, queue: outbound, max_attempts: 3,\n"
			   "     window: {from: \"00:00\", to: \"23:59\"},\n"
			   "     retry: {busy: 10m, no_answer: 1h},\n"
			   "     dispositions: {sale: close, later: callback, optout: dnc,\n"
			   "                    stop: opt_out, no_money: 7d}, lists: [nov]}\n",
			   &f.cy) ||
	    dialer_campaigns_parse(f.cy, cy_get(cy_root(f.cy), "campaigns"), "campaigns", NULL,
				   NULL, &f.v, &f.n) ||
	    dialer_leads_new(&f.v[0].rules, &f.leads))
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	dialer_leads_free(f->leads);
	dialer_campaigns_free(f->v, f->n);
	cy_free(f->cy);
	return 0;
}

static void add(struct fixture *f, uint64_t id, const char *phone)
{
	struct dialer_lead l = {.id = id, .phone = phone, .agent = UINT32_MAX};

	assert_int_equal(dialer_leads_add(f->leads, &l), 0);
}

static void dial(struct fixture *f, int64_t now, uint64_t want)
{
	struct dialer_pick p;

	assert_int_equal(dialer_leads_next(f->leads, now, UINT32_MAX, &p), 0);
	assert_int_equal(p.kind, DIALER_PICK_DIAL);
	assert_int_equal(p.id, want);
}

/* A busy lead is retried after the campaign's 10 minutes, not before; an unanswered
 * one after its hour; an invalid number closes the lead at once. */
static void test_results_schedule_retries_and_close(void **state)
{
	struct fixture *f = *state;
	struct dialer_lead_status st;
	struct dialer_pick p;

	add(f, 1, "+48601000001");
	add(f, 2, "+48601000002");
	add(f, 3, "+48601000003");
	dial(f, T0, 1);
	dial(f, T0, 2);
	dial(f, T0, 3);
	assert_int_equal(dialer_leads_status(f->leads, 1, &st), 0);
	assert_string_equal(eng__camp_lead_state_name(st.state), "dialing");
	assert_int_equal(dialer_leads_result(f->leads, 1, eng__camp_result_unanswered(486, false),
					     T0 + 1000, &st),
			 0);
	assert_string_equal(eng__camp_lead_state_name(st.state), "ready");
	assert_int_equal(st.next_ms, T0 + 1000 + 10 * MIN);
	assert_int_equal(dialer_leads_result(f->leads, 2, eng__camp_result_unanswered(487, true),
					     T0 + 25000, &st),
			 0);
	assert_int_equal(st.next_ms, T0 + 25000 + 60 * MIN);
	assert_int_equal(dialer_leads_result(f->leads, 3, eng__camp_result_unanswered(404, false),
					     T0 + 500, &st),
			 0);
	assert_string_equal(eng__camp_lead_state_name(st.state), "done");
	/* Nothing is due before the busy lead's retry; then it is the one. */
	assert_int_equal(dialer_leads_next(f->leads, T0 + 9 * MIN, UINT32_MAX, &p), ENOENT);
	assert_int_equal(dialer_leads_wake(f->leads), T0 + 1000 + 10 * MIN);
	dial(f, T0 + 1000 + 10 * MIN, 1);
	assert_int_equal(dialer_leads_status(f->leads, 1, &st), 0);
	assert_int_equal(st.attempts, 2);
}

/* The third busy closes the lead (max_attempts: 3). */
static void test_last_attempt_closes(void **state)
{
	struct fixture *f = *state;
	struct dialer_lead_status st;
	int64_t now = T0;

	add(f, 7, "+48601000007");
	for (int i = 0; i < 3; i++) {
		dial(f, now, 7);
		assert_int_equal(dialer_leads_result(f->leads, 7, DIALER_R_BUSY, now, &st), 0);
		now += 11 * MIN;
	}
	assert_string_equal(eng__camp_lead_state_name(st.state), "done");
	assert_int_equal(st.attempts, 3);
}

static void test_agent_dispositions(void **state)
{
	struct fixture *f = *state;
	enum dialer_dispose d;
	int64_t at;
	enum eng_camp_dnc dnc;

	assert_int_equal(eng__camp_disposition(&f->v[0], "sale", T0, 0, &d, &at, &dnc), 0);
	assert_int_equal(d, DIALER_DISPOSE_CLOSE);
	assert_int_equal(dnc, ENG_CAMP_DNC_NONE);
	assert_int_equal(eng__camp_disposition(&f->v[0], "optout", T0, 0, &d, &at, &dnc), 0);
	assert_int_equal(d, DIALER_DISPOSE_CLOSE);
	assert_int_equal(dnc, ENG_CAMP_DNC_CAMPAIGN);
	/* The contact's opt-out: the tenant's list, for every campaign. */
	assert_int_equal(eng__camp_disposition(&f->v[0], "stop", T0, 0, &d, &at, &dnc), 0);
	assert_int_equal(d, DIALER_DISPOSE_CLOSE);
	assert_int_equal(dnc, ENG_CAMP_DNC_TENANT);
	assert_int_equal(eng__camp_disposition(&f->v[0], "no_money", T0, 0, &d, &at, &dnc), 0);
	assert_int_equal(d, DIALER_DISPOSE_RETRY);
	assert_int_equal(at, T0 + 7 * 24 * 60 * MIN);
	/* A callback at the agent's time, or in an hour without one. */
	assert_int_equal(eng__camp_disposition(&f->v[0], "later", T0, T0 + 30 * MIN, &d, &at, &dnc),
			 0);
	assert_int_equal(d, DIALER_DISPOSE_CALLBACK);
	assert_int_equal(at, T0 + 30 * MIN);
	assert_int_equal(eng__camp_disposition(&f->v[0], "later", T0, 0, &d, &at, &dnc), 0);
	assert_int_equal(at, T0 + 60 * MIN);
	assert_int_equal(eng__camp_disposition(&f->v[0], "other", T0, 0, &d, &at, &dnc), ENOENT);
	assert_int_equal(eng__camp_disposition(&f->v[0], NULL, T0, 0, &d, &at, &dnc), ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unanswered_sip_results),
	    cmocka_unit_test(test_amd_verdicts),
	    cmocka_unit_test_setup_teardown(test_results_schedule_retries_and_close, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_last_attempt_closes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_agent_dispositions, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
