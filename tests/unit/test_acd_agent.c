/* Agent state machine of the ACD: presence, offers, answer, wrap-up, missed offers,
 * capacity and blocking across channels. */
#include "test_acd_fixture.h"

/* The last state event of agent a. */
static const struct acd_state_event *last_state(const struct fx *f, uint32_t a)
{
	for (size_t k = f->nev; k-- > 0;)
		if (f->ev[k].type == FX_STATE && f->ev[k].st.agent == a)
			return &f->ev[k].st;
	return NULL;
}

/* Whether agent a went from -> to for this cause. */
static bool saw_state(const struct fx *f, uint32_t a, enum acd_state from, enum acd_state to,
		      enum acd_cause cause)
{
	for (size_t k = 0; k < f->nev; k++)
		if (f->ev[k].type == FX_STATE && f->ev[k].st.agent == a &&
		    f->ev[k].st.from == from && f->ev[k].st.to == to && f->ev[k].st.cause == cause)
			return true;
	return false;
}

static void test_agent_starts_logged_out(void **state)
{
	struct fx *f = *state;
	uint32_t a = fx_agent(f, "s", 5);

	assert_int_equal(fx_state(f, a), ACD_STATE_LOGGED_OUT);
	assert_int_equal(fx_count(f, FX_STATE), 0);
}

static void test_ready_is_reported_with_time_and_cause(void **state)
{
	struct fx *f = *state;
	uint32_t a = fx_agent(f, "s", 5);
	const struct acd_state_event *ev;

	fx_ready(f, a);
	ev = last_state(f, a);
	assert_non_null(ev);
	assert_int_equal(ev->from, ACD_STATE_LOGGED_OUT);
	assert_int_equal(ev->to, ACD_STATE_READY);
	assert_int_equal(ev->cause, ACD_CAUSE_REQUEST);
	assert_int_equal(ev->at_ms, f->now);
}

static void test_not_ready_carries_reason_and_reason_change_is_reported(void **state)
{
	struct fx *f = *state;
	uint32_t a = fx_agent(f, "s", 5);

	fx_ready(f, a);
	assert_int_equal(acd_agent_set_state(f->acd, a, ACD_STATE_NOT_READY, 17, f->now), 0);
	assert_int_equal(last_state(f, a)->to, ACD_STATE_NOT_READY);
	assert_int_equal(last_state(f, a)->reason, 17);
	assert_int_equal(acd_agent_set_state(f->acd, a, ACD_STATE_NOT_READY, 18, f->now), 0);
	assert_int_equal(last_state(f, a)->from, ACD_STATE_NOT_READY);
	assert_int_equal(last_state(f, a)->reason, 18);
	assert_int_equal(fx_count(f, FX_STATE), 3);
}

static void test_set_state_refuses_derived_states(void **state)
{
	struct fx *f = *state;
	uint32_t a = fx_agent(f, "s", 5);

	assert_int_equal(acd_agent_set_state(f->acd, a, ACD_STATE_BUSY, 0, f->now), EINVAL);
	assert_int_equal(acd_agent_set_state(f->acd, 999, ACD_STATE_READY, 0, f->now), ENOENT);
}

static void test_offer_reserves_then_answer_makes_busy(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t a = fx_agent(f, "s", 5), c;

	fx_ready(f, a);
	c = fx_enqueue(f, q, -1);
	assert_int_equal(fx_state(f, a), ACD_STATE_RESERVED);
	assert_int_equal(last_state(f, a)->cause, ACD_CAUSE_OFFER);
	assert_int_equal(last_state(f, a)->contact, c);
	assert_int_equal(acd_offer_accept(f->acd, c, a, f->now), 0);
	assert_int_equal(fx_state(f, a), ACD_STATE_BUSY);
	assert_int_equal(last_state(f, a)->cause, ACD_CAUSE_ANSWER);
}

static void test_end_starts_wrap_up_then_ready(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t q, a;

	fx_qparams(f, &p, ACD_STRATEGY_LONGEST_IDLE, "s", 1);
	p.wrap_up_ms = 10000;
	q = fx_queue_p(f, &p);
	a = fx_agent(f, "s", 5);
	fx_ready(f, a);
	fx_handle(f, q, 5000);
	assert_int_equal(fx_state(f, a), ACD_STATE_WRAP_UP);
	assert_int_equal(acd_next_deadline(f->acd), f->now + 10000);
	fx_advance(f, 9999);
	assert_int_equal(fx_state(f, a), ACD_STATE_WRAP_UP);
	fx_advance(f, 1);
	assert_int_equal(fx_state(f, a), ACD_STATE_READY);
	assert_int_equal(last_state(f, a)->cause, ACD_CAUSE_WRAP_UP_END);
}

static void test_agent_may_end_wrap_up_early(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t q, a;

	fx_qparams(f, &p, ACD_STRATEGY_LONGEST_IDLE, "s", 1);
	p.wrap_up_ms = 60000;
	q = fx_queue_p(f, &p);
	a = fx_agent(f, "s", 5);
	fx_ready(f, a);
	fx_handle(f, q, 5000);
	fx_advance(f, 3000);
	assert_int_equal(acd_agent_end_wrap_up(f->acd, a, f->now), 0);
	assert_int_equal(fx_state(f, a), ACD_STATE_READY);
	assert_int_equal(last_state(f, a)->cause, ACD_CAUSE_WRAP_UP_SKIP);
	assert_int_equal(acd_agent_end_wrap_up(f->acd, a, f->now), EALREADY);
	assert_int_equal(acd_next_deadline(f->acd), ACD_NEVER);
}

static void test_agent_in_wrap_up_is_not_offered(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t q, a;

	fx_qparams(f, &p, ACD_STRATEGY_LONGEST_IDLE, "s", 1);
	p.wrap_up_ms = 10000;
	q = fx_queue_p(f, &p);
	a = fx_agent(f, "s", 5);
	fx_ready(f, a);
	fx_handle(f, q, 5000);
	fx_clear(f);
	fx_enqueue(f, q, -1);
	assert_int_equal(fx_count(f, FX_OFFER), 0);
	fx_run(f, 10000);
	assert_int_equal(fx_count(f, FX_OFFER), 1);
	/* The end of wrap-up is reported, then the offer it leads to. */
	assert_int_equal(last_state(f, a)->from, ACD_STATE_READY);
	assert_int_equal(last_state(f, a)->to, ACD_STATE_RESERVED);
	assert_int_equal(last_state(f, a)->cause, ACD_CAUSE_OFFER);
	assert_true(saw_state(f, a, ACD_STATE_WRAP_UP, ACD_STATE_READY, ACD_CAUSE_WRAP_UP_END));
}

static void test_ready_by_request_is_reported_before_the_offer(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t a = fx_agent(f, "s", 5);

	fx_enqueue(f, q, -1);
	fx_clear(f);
	fx_ready(f, a);
	assert_int_equal(fx_count(f, FX_OFFER), 1);
	assert_int_equal(fx_count(f, FX_STATE), 2);
	assert_true(saw_state(f, a, ACD_STATE_LOGGED_OUT, ACD_STATE_READY, ACD_CAUSE_REQUEST));
	assert_int_equal(last_state(f, a)->from, ACD_STATE_READY);
	assert_int_equal(last_state(f, a)->to, ACD_STATE_RESERVED);
	assert_int_equal(last_state(f, a)->cause, ACD_CAUSE_OFFER);
}

static void test_external_call_keeps_offers_away_without_wrap_up(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t q, a;

	fx_qparams(f, &p, ACD_STRATEGY_LONGEST_IDLE, "s", 1);
	p.wrap_up_ms = 10000;
	q = fx_queue_p(f, &p);
	a = fx_agent(f, "s", 5);
	fx_ready(f, a);
	fx_clear(f);
	assert_int_equal(acd_agent_external(f->acd, a, ACD_CH_VOICE, true, f->now), 0);
	assert_int_equal(fx_state(f, a), ACD_STATE_BUSY);
	assert_true(saw_state(f, a, ACD_STATE_READY, ACD_STATE_BUSY, ACD_CAUSE_EXTERNAL));
	fx_enqueue(f, q, -1);
	assert_int_equal(fx_count(f, FX_OFFER), 0);
	/* Off the direct call: ready at once (no wrap-up) and offered the waiting contact. */
	assert_int_equal(acd_agent_external(f->acd, a, ACD_CH_VOICE, false, f->now), 0);
	assert_true(saw_state(f, a, ACD_STATE_BUSY, ACD_STATE_READY, ACD_CAUSE_EXTERNAL));
	assert_int_equal(fx_count(f, FX_OFFER), 1);
	assert_int_equal(fx_stats(f, q).c.answered, 0);
	assert_int_equal(fx_stats(f, q).c.handled, 0);
	assert_int_equal(acd_agent_external(f->acd, a, ACD_CH_CHAT, false, f->now), EALREADY);
	assert_int_equal(acd_agent_external(f->acd, a, ACD_CH_COUNT, true, f->now), EINVAL);
}

static void test_external_call_withdraws_a_ringing_offer(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t a = fx_agent(f, "s", 5), b = fx_agent(f, "s", 5);

	fx_ready(f, a);
	fx_enqueue(f, q, -1);
	assert_int_equal(fx_last_offer_agent(f), a);
	fx_ready(f, b);
	fx_clear(f);
	assert_int_equal(acd_agent_external(f->acd, a, ACD_CH_VOICE, true, f->now), 0);
	assert_int_equal(fx_count(f, FX_CANCEL), 1);
	assert_int_equal(fx_nth(f, FX_CANCEL, 0)->why, ACD_CANCEL_AGENT_UNAVAILABLE);
	assert_int_equal(fx_last_offer_agent(f), b);
	assert_int_equal(fx_state(f, a), ACD_STATE_BUSY);
}

static void test_not_ready_while_busy_applies_after_the_contact(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t a = fx_agent(f, "s", 5), c;

	fx_ready(f, a);
	c = fx_enqueue(f, q, -1);
	assert_int_equal(acd_offer_accept(f->acd, c, a, f->now), 0);
	assert_int_equal(acd_agent_set_state(f->acd, a, ACD_STATE_NOT_READY, 4, f->now), 0);
	assert_int_equal(fx_state(f, a), ACD_STATE_BUSY);
	fx_enqueue(f, q, -1); /* waits: the agent will not be free for it */
	assert_int_equal(acd_contact_end(f->acd, c, f->now), 0);
	assert_int_equal(fx_state(f, a), ACD_STATE_NOT_READY);
	assert_int_equal(last_state(f, a)->reason, 4);
	assert_int_equal(fx_count(f, FX_OFFER), 1);
}

static void test_logout_while_ringing_withdraws_offer_and_contact_goes_on(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t a0 = fx_agent(f, "s", 5), a1 = fx_agent(f, "s", 5), c;

	fx_ready(f, a0);
	c = fx_enqueue(f, q, -1);
	assert_int_equal(fx_last_offer_agent(f), a0);
	fx_ready(f, a1);
	assert_int_equal(acd_agent_set_state(f->acd, a0, ACD_STATE_LOGGED_OUT, 0, f->now), 0);
	assert_int_equal(fx_nth(f, FX_CANCEL, -1)->why, ACD_CANCEL_AGENT_UNAVAILABLE);
	assert_int_equal(fx_last_offer_agent(f), a1);
	assert_int_equal(fx_state(f, a0), ACD_STATE_LOGGED_OUT);
	assert_int_equal(acd_offer_accept(f->acd, c, a0, f->now), ENOENT);
	assert_int_equal(fx_stats(f, q).c.missed_offers, 0);
}

static void test_caller_hanging_up_while_ringing_cancels_the_offer(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t a = fx_agent(f, "s", 5), c;
	struct acd_agent_info in;

	fx_ready(f, a);
	c = fx_enqueue(f, q, -1);
	assert_int_equal(acd_contact_abandon(f->acd, c, f->now), 0);
	assert_int_equal(fx_nth(f, FX_CANCEL, -1)->why, ACD_CANCEL_CONTACT_GONE);
	assert_int_equal(last_state(f, a)->from, ACD_STATE_RESERVED);
	assert_int_equal(last_state(f, a)->to, ACD_STATE_READY);
	assert_int_equal(last_state(f, a)->cause, ACD_CAUSE_CANCEL);
	assert_int_equal(acd_agent_info(f->acd, a, &in), 0);
	assert_int_equal(in.missed, 0); /* not the agent's fault */
	assert_int_equal(fx_stats(f, q).c.abandoned, 1);
}

static void test_logout_while_busy_applies_after_the_contact(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t q, a, c;

	fx_qparams(f, &p, ACD_STRATEGY_LONGEST_IDLE, "s", 1);
	p.wrap_up_ms = 30000;
	q = fx_queue_p(f, &p);
	a = fx_agent(f, "s", 5);
	fx_ready(f, a);
	c = fx_enqueue(f, q, -1);
	assert_int_equal(acd_offer_accept(f->acd, c, a, f->now), 0);
	assert_int_equal(acd_agent_set_state(f->acd, a, ACD_STATE_LOGGED_OUT, 0, f->now), 0);
	assert_int_equal(fx_state(f, a), ACD_STATE_BUSY);
	assert_int_equal(acd_contact_end(f->acd, c, f->now), 0);
	assert_int_equal(fx_state(f, a), ACD_STATE_WRAP_UP); /* wrap-up is still done */
	fx_run(f, 30000);
	assert_int_equal(fx_state(f, a), ACD_STATE_LOGGED_OUT);
	assert_int_equal(fx_stats(f, q).c.handled, 1);
}

static void test_reject_counts_missed_and_goes_to_next_agent(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t a0 = fx_agent(f, "s", 5), a1 = fx_agent(f, "s", 5), c;
	struct acd_agent_info in;

	fx_ready(f, a0);
	fx_ready(f, a1);
	c = fx_enqueue(f, q, -1);
	assert_int_equal(fx_last_offer_agent(f), a0);
	assert_int_equal(acd_offer_reject(f->acd, c, a0, f->now), 0);
	assert_int_equal(fx_last_offer_agent(f), a1);
	assert_int_equal(acd_agent_info(f->acd, a0, &in), 0);
	assert_int_equal(in.missed, 1);
	assert_int_equal(in.state, ACD_STATE_READY);
	assert_int_equal(fx_stats(f, q).c.missed_offers, 1);
}

static void test_ring_timeout_goes_to_next_agent(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t a0 = fx_agent(f, "s", 5), a1 = fx_agent(f, "s", 5);

	fx_ready(f, a0);
	fx_ready(f, a1);
	fx_enqueue(f, q, -1);
	assert_int_equal(fx_last_offer_agent(f), a0);
	assert_int_equal(acd_next_deadline(f->acd), f->now + 15000);
	fx_run(f, 15000);
	assert_int_equal(fx_nth(f, FX_CANCEL, -1)->why, ACD_CANCEL_TIMEOUT);
	assert_int_equal(fx_nth(f, FX_CANCEL, -1)->of.agent, a0);
	assert_int_equal(fx_last_offer_agent(f), a1);
	assert_int_equal(fx_state(f, a0), ACD_STATE_READY);
}

static void test_consecutive_misses_pause_agent_with_no_answer(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t q, a;

	fx_qparams(f, &p, ACD_STRATEGY_LONGEST_IDLE, "s", 1);
	p.max_no_answer = 2;
	p.retry_ms = 0;
	q = fx_queue_p(f, &p);
	a = fx_agent(f, "s", 5);
	fx_ready(f, a);
	fx_enqueue(f, q, -1);
	fx_run(f, 15000); /* first miss: offered again at once (no retry delay) */
	assert_int_equal(fx_count(f, FX_OFFER), 2);
	assert_int_equal(fx_state(f, a), ACD_STATE_RESERVED);
	fx_run(f, 15000); /* second miss: paused */
	assert_int_equal(fx_state(f, a), ACD_STATE_NOT_READY);
	assert_int_equal(last_state(f, a)->cause, ACD_CAUSE_NO_ANSWER);
	assert_int_equal(last_state(f, a)->reason, ACD_REASON_NO_ANSWER);
	assert_int_equal(fx_count(f, FX_OFFER), 2);
	fx_ready(f, a); /* back from the pause: offered again, count starts over */
	assert_int_equal(fx_count(f, FX_OFFER), 3);
}

static void test_answer_resets_missed_count(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t a = fx_agent(f, "s", 5), c;
	struct acd_agent_info in;

	fx_ready(f, a);
	c = fx_enqueue(f, q, -1);
	assert_int_equal(acd_offer_reject(f->acd, c, a, f->now), 0);
	assert_int_equal(acd_offer_reject(f->acd, c, a, f->now), ENOENT); /* resting */
	fx_run(f, 5000);						  /* retry_ms */
	assert_int_equal(fx_last_offer_agent(f), a);
	assert_int_equal(acd_agent_info(f->acd, a, &in), 0);
	assert_int_equal(in.missed, 1);
	assert_int_equal(acd_offer_accept(f->acd, c, a, f->now), 0);
	assert_int_equal(acd_agent_info(f->acd, a, &in), 0);
	assert_int_equal(in.missed, 0);
}

static void test_missed_contact_not_offered_to_same_agent_until_retry(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t a = fx_agent(f, "s", 5), c;

	fx_ready(f, a);
	c = fx_enqueue(f, q, -1);
	assert_int_equal(acd_offer_reject(f->acd, c, a, f->now), 0);
	assert_int_equal(fx_count(f, FX_OFFER), 1);
	fx_run(f, 4999);
	assert_int_equal(fx_count(f, FX_OFFER), 1);
	fx_run(f, 1);
	assert_int_equal(fx_count(f, FX_OFFER), 2);
}

static uint32_t chan_queue(struct fx *f, enum acd_channel ch)
{
	struct acd_queue_params p;
	fx_qparams(f, &p, ACD_STRATEGY_LONGEST_IDLE, "s", 1);
	p.channel = ch;
	return fx_queue_p(f, &p);
}

static void test_chat_capacity_takes_several_contacts(void **state)
{
	struct fx *f = *state;
	uint32_t q = chan_queue(f, ACD_CH_CHAT);
	uint32_t a = fx_agent(f, "s", 5);
	struct acd_agent_info in;

	fx_ready(f, a);
	f->auto_accept = true;
	for (int i = 0; i < 4; i++)
		fx_enqueue(f, q, -1);
	assert_int_equal(fx_count(f, FX_OFFER), 3); /* default chat capacity 3 */
	assert_int_equal(acd_agent_info(f->acd, a, &in), 0);
	assert_int_equal(in.load[ACD_CH_CHAT], 3);
	assert_int_equal(in.state, ACD_STATE_BUSY);
	assert_int_equal(fx_stats(f, q).waiting, 1);
	assert_int_equal(acd_contact_end(f->acd, fx_nth(f, FX_OFFER, 0)->of.contact, f->now), 0);
	assert_int_equal(fx_count(f, FX_OFFER), 4);
}

static void test_voice_blocks_new_chat(void **state)
{
	struct fx *f = *state;
	uint32_t qv = chan_queue(f, ACD_CH_VOICE), qc = chan_queue(f, ACD_CH_CHAT);
	uint32_t a = fx_agent(f, "s", 5);

	fx_ready(f, a);
	f->auto_accept = true;
	fx_enqueue(f, qv, -1);
	fx_enqueue(f, qc, -1);
	assert_int_equal(fx_count(f, FX_OFFER), 1);
	assert_int_equal(acd_contact_end(f->acd, fx_nth(f, FX_OFFER, 0)->of.contact, f->now), 0);
	assert_int_equal(fx_count(f, FX_OFFER), 2);
	assert_int_equal(fx_nth(f, FX_OFFER, 1)->of.channel, ACD_CH_CHAT);
}

static void test_chat_blocks_new_voice_but_not_more_chat(void **state)
{
	struct fx *f = *state;
	uint32_t qv = chan_queue(f, ACD_CH_VOICE), qc = chan_queue(f, ACD_CH_CHAT);
	uint32_t a = fx_agent(f, "s", 5);

	fx_ready(f, a);
	f->auto_accept = true;
	fx_enqueue(f, qc, -1);
	fx_enqueue(f, qv, -1);
	fx_enqueue(f, qc, -1);
	assert_int_equal(fx_count(f, FX_OFFER), 2);
	assert_int_equal(fx_nth(f, FX_OFFER, 1)->of.channel, ACD_CH_CHAT);
	assert_int_equal(fx_stats(f, qv).waiting, 1);
}

static void test_blocking_rules_are_per_tenant(void **state)
{
	struct acd_params p;
	struct fx *f;
	uint32_t qv, qc, a;

	acd_params_default(&p);
	p.blocks[ACD_CH_CHAT] = 0; /* this tenant lets agents take calls while chatting */
	f = fx_new_with(&p);
	qv = chan_queue(f, ACD_CH_VOICE);
	qc = chan_queue(f, ACD_CH_CHAT);
	a = fx_agent(f, "s", 5);
	fx_ready(f, a);
	f->auto_accept = true;
	fx_enqueue(f, qc, -1);
	fx_enqueue(f, qv, -1);
	assert_int_equal(fx_count(f, FX_OFFER), 2);
	acd_free(f->acd);
	free(f);
	(void)state;
}

static void test_email_queue_is_routed_by_the_same_code(void **state)
{
	struct fx *f = *state;
	uint32_t q = chan_queue(f, ACD_CH_EMAIL);
	uint32_t a = fx_agent(f, "s", 5);

	fx_ready(f, a);
	fx_enqueue(f, q, -1);
	assert_int_equal(fx_last_offer_agent(f), a);
	assert_int_equal(fx_nth(f, FX_OFFER, -1)->of.channel, ACD_CH_EMAIL);
}

static void test_agent_capacity_zero_takes_no_channel(void **state)
{
	struct fx *f = *state;
	uint32_t q = chan_queue(f, ACD_CH_CHAT);
	struct acd_agent_params p;
	struct acd_skill_level sl = {.skill = fx_skill(f, "s"), .level = 5};
	uint32_t a;

	acd_agent_params_default(&p);
	p.skills = &sl;
	p.nskills = 1;
	p.capacity[ACD_CH_CHAT] = 0;
	assert_int_equal(acd_agent_add(f->acd, &p, f->now, &a), 0);
	fx_ready(f, a);
	fx_enqueue(f, q, -1);
	assert_int_equal(fx_count(f, FX_OFFER), 0);
	p.capacity[ACD_CH_CHAT] = 2;
	assert_int_equal(acd_agent_update(f->acd, a, &p, f->now), 0);
	assert_int_equal(fx_count(f, FX_OFFER), 1);
}

static void test_agent_remove_refused_while_busy(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t a = fx_agent(f, "s", 5), c;

	fx_ready(f, a);
	c = fx_enqueue(f, q, -1);
	assert_int_equal(acd_agent_remove(f->acd, a, f->now), EBUSY);
	assert_int_equal(acd_offer_accept(f->acd, c, a, f->now), 0);
	assert_int_equal(acd_agent_remove(f->acd, a, f->now), EBUSY);
	assert_int_equal(acd_contact_end(f->acd, c, f->now), 0);
	assert_int_equal(acd_agent_remove(f->acd, a, f->now), 0);
	assert_int_equal(last_state(f, a)->to, ACD_STATE_LOGGED_OUT);
	assert_int_equal(fx_stats(f, q).staffed, 0);
	assert_int_equal(acd_agent_set_state(f->acd, a, ACD_STATE_READY, 0, f->now), ENOENT);
}

static void test_agent_add_checks_params(void **state)
{
	struct fx *f = *state;
	struct acd_agent_params p;
	struct acd_skill_level sl[2] = {{.skill = fx_skill(f, "s"), .level = 11}};
	struct acd_membership m = {.queue = 77};
	uint32_t a;

	acd_agent_params_default(&p);
	p.skills = sl;
	p.nskills = 1;
	assert_int_equal(acd_agent_add(f->acd, &p, f->now, &a), EINVAL);
	sl[0].level = 5;
	sl[1] = sl[0];
	p.nskills = 2;
	assert_int_equal(acd_agent_add(f->acd, &p, f->now, &a), EINVAL); /* duplicate */
	sl[1].skill = 99;
	assert_int_equal(acd_agent_add(f->acd, &p, f->now, &a), ENOENT);
	p.nskills = 1;
	p.queues = &m;
	p.nqueues = 1;
	assert_int_equal(acd_agent_add(f->acd, &p, f->now, &a), ENOENT);
}

static void test_state_names(void **state)
{
	assert_string_equal(acd_state_name(ACD_STATE_WRAP_UP), "wrap_up");
	assert_string_equal(acd_state_name(ACD_STATE_NOT_READY), "not_ready");
	assert_string_equal(acd_cause_name(ACD_CAUSE_NO_ANSWER), "no_answer");
	assert_string_equal(acd_channel_name(ACD_CH_SMS), "sms");
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(x) cmocka_unit_test_setup_teardown(x, fx_setup, fx_teardown)
	    T(test_agent_starts_logged_out),
	    T(test_ready_is_reported_with_time_and_cause),
	    T(test_not_ready_carries_reason_and_reason_change_is_reported),
	    T(test_set_state_refuses_derived_states),
	    T(test_offer_reserves_then_answer_makes_busy),
	    T(test_end_starts_wrap_up_then_ready),
	    T(test_agent_may_end_wrap_up_early),
	    T(test_agent_in_wrap_up_is_not_offered),
	    T(test_ready_by_request_is_reported_before_the_offer),
	    T(test_external_call_keeps_offers_away_without_wrap_up),
	    T(test_external_call_withdraws_a_ringing_offer),
	    T(test_not_ready_while_busy_applies_after_the_contact),
	    T(test_logout_while_ringing_withdraws_offer_and_contact_goes_on),
	    T(test_caller_hanging_up_while_ringing_cancels_the_offer),
	    T(test_logout_while_busy_applies_after_the_contact),
	    T(test_reject_counts_missed_and_goes_to_next_agent),
	    T(test_ring_timeout_goes_to_next_agent),
	    T(test_consecutive_misses_pause_agent_with_no_answer),
	    T(test_answer_resets_missed_count),
	    T(test_missed_contact_not_offered_to_same_agent_until_retry),
	    T(test_chat_capacity_takes_several_contacts),
	    T(test_voice_blocks_new_chat),
	    T(test_chat_blocks_new_voice_but_not_more_chat),
	    T(test_blocking_rules_are_per_tenant),
	    T(test_email_queue_is_routed_by_the_same_code),
	    T(test_agent_capacity_zero_takes_no_channel),
	    T(test_agent_remove_refused_while_busy),
	    T(test_agent_add_checks_params),
	    T(test_state_names),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
