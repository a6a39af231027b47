/* Queue routing of the ACD: priority, several queues per agent, penalty tiers,
 * relaxation, per-contact skills, sticky agents, overflow, virtual hold,
 * announcements, provisioning changes and re-entrant handlers. */
#include "test_acd_fixture.h"

static uint32_t offer_contact(const struct fx *f, int i)
{
	return fx_nth(f, FX_OFFER, i)->of.contact;
}

static void test_priority_orders_the_queue(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t a = fx_agent(f, "s", 5);
	uint32_t low = fx_enqueue(f, q, 10);
	uint32_t high;

	fx_advance(f, 1000);
	high = fx_enqueue(f, q, 50);
	fx_ready(f, a);
	assert_int_equal(offer_contact(f, 0), high);
	(void)low;
}

static void test_fifo_within_a_priority(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t a = fx_agent(f, "s", 5), c[3];

	for (int i = 0; i < 3; i++) {
		c[i] = fx_enqueue(f, q, 5);
		fx_advance(f, 10);
	}
	f->auto_accept = true;
	fx_ready(f, a);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(offer_contact(f, i), c[i]);
		assert_int_equal(acd_contact_end(f->acd, c[i], f->now), 0);
	}
}

static void test_priority_change_reorders_a_waiting_contact(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t a = fx_agent(f, "s", 5), c0, c1;
	struct acd_contact_info in;

	c0 = fx_enqueue(f, q, 0);
	c1 = fx_enqueue(f, q, 0);
	assert_int_equal(acd_contact_info(f->acd, c1, f->now, &in), 0);
	assert_int_equal(in.position, 2);
	assert_int_equal(acd_contact_set_priority(f->acd, c1, 90, f->now), 0);
	assert_int_equal(acd_contact_info(f->acd, c1, f->now, &in), 0);
	assert_int_equal(in.position, 1);
	fx_ready(f, a);
	assert_int_equal(offer_contact(f, 0), c1);
	(void)c0;
}

static void test_agent_in_several_queues_takes_oldest_highest_priority(void **state)
{
	struct fx *f = *state;
	uint32_t q1 = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "sales");
	uint32_t q2 = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "support");
	struct acd_skill_level sl[2] = {{fx_skill(f, "sales"), 5}, {fx_skill(f, "support"), 5}};
	struct acd_agent_params p;
	uint32_t a, old1, old2, new1;

	acd_agent_params_default(&p);
	p.skills = sl;
	p.nskills = 2;
	assert_int_equal(acd_agent_add(f->acd, &p, f->now, &a), 0);
	old2 = fx_enqueue(f, q2, 5);
	fx_advance(f, 1000);
	old1 = fx_enqueue(f, q1, 5);
	fx_advance(f, 1000);
	new1 = fx_enqueue(f, q1, 7);
	f->auto_accept = true;
	fx_ready(f, a);
	assert_int_equal(offer_contact(f, 0), new1); /* highest priority first */
	assert_int_equal(acd_contact_end(f->acd, new1, f->now), 0);
	assert_int_equal(offer_contact(f, 1), old2); /* then the oldest, across queues */
	assert_int_equal(acd_contact_end(f->acd, old2, f->now), 0);
	assert_int_equal(offer_contact(f, 2), old1);
}

static void test_penalty_tier_better_agents_first(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, NULL);
	uint32_t worse = fx_agent_in(f, q, 2, 0), better = fx_agent_in(f, q, 0, 0);

	fx_ready(f, worse); /* idles longer, but is in a worse tier */
	fx_advance(f, 1000);
	fx_ready(f, better);
	fx_enqueue(f, q, -1);
	assert_int_equal(fx_last_offer_agent(f), better);
}

static void test_worse_tier_gets_contacts_when_better_are_busy(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, NULL);
	uint32_t worse = fx_agent_in(f, q, 1, 0), better = fx_agent_in(f, q, 0, 0);

	f->auto_accept = true;
	fx_ready(f, worse);
	fx_ready(f, better);
	fx_enqueue(f, q, -1);
	fx_enqueue(f, q, -1);
	assert_int_equal(fx_nth(f, FX_OFFER, 0)->of.agent, better);
	assert_int_equal(fx_nth(f, FX_OFFER, 1)->of.agent, worse);
}

static void test_relaxation_opens_worse_tier_after_wait(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t q, worse, better;

	acd_queue_params_default(&p);
	p.max_penalty = 0;
	p.nrelax = 1;
	p.relax[0].after_ms = 30000;
	p.relax[0].max_penalty = 5;
	q = fx_queue_p(f, &p);
	worse = fx_agent_in(f, q, 3, 0);
	better = fx_agent_in(f, q, 0, 0);
	fx_ready(f, worse);
	fx_enqueue(f, q, -1);
	assert_int_equal(fx_count(f, FX_OFFER), 0);
	fx_run(f, 29999);
	assert_int_equal(fx_count(f, FX_OFFER), 0);
	fx_run(f, 1);
	assert_int_equal(fx_last_offer_agent(f), worse);
	(void)better;
}

static void test_relaxed_tier_agent_takes_only_relaxed_contacts_when_freed(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t q, worse, old, young;

	acd_queue_params_default(&p);
	p.max_penalty = 0;
	p.nrelax = 1;
	p.relax[0].after_ms = 30000;
	p.relax[0].max_penalty = 5;
	q = fx_queue_p(f, &p);
	worse = fx_agent_in(f, q, 3, 0);
	old = fx_enqueue(f, q, 50);
	fx_advance(f, 40000);
	young = fx_enqueue(f, q, 90); /* higher priority but not yet relaxed */
	fx_ready(f, worse);
	assert_int_equal(fx_count(f, FX_OFFER), 1);
	assert_int_equal(offer_contact(f, 0), old);
	(void)young;
}

static void test_relaxation_lowers_required_level(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t q, novice, c;
	struct acd_contact_info in;

	fx_qparams(f, &p, ACD_STRATEGY_LONGEST_IDLE, "polish", 5);
	p.nrelax = 1;
	p.relax[0].after_ms = 30000;
	p.relax[0].min_level = 1;
	q = fx_queue_p(f, &p);
	novice = fx_agent(f, "polish", 2);
	fx_ready(f, novice);
	c = fx_enqueue(f, q, -1);
	assert_int_equal(fx_count(f, FX_OFFER), 0);
	fx_run(f, 30000);
	assert_int_equal(fx_last_offer_agent(f), novice);
	assert_int_equal(acd_contact_info(f->acd, c, f->now, &in), 0);
	assert_int_equal(in.stage, 1);
}

static void test_agent_below_every_stage_is_not_a_member(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, NULL);
	struct acd_queue_params p;
	uint32_t q2, a;
	struct acd_agent_info in;

	fx_qparams(f, &p, ACD_STRATEGY_LONGEST_IDLE, "polish", 5);
	q2 = fx_queue_p(f, &p);
	a = fx_agent(f, "polish", 4);
	assert_int_equal(acd_agent_info(f->acd, a, &in), 0);
	assert_int_equal(in.nqueues, 0);
	(void)q;
	(void)q2;
}

static void test_relaxation_adds_another_queues_agents(void **state)
{
	struct fx *f = *state;
	uint32_t general = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "general");
	struct acd_queue_params p;
	uint32_t vip, helper;

	fx_qparams(f, &p, ACD_STRATEGY_LONGEST_IDLE, "vip", 1);
	p.nrelax = 2;
	p.relax[0].after_ms = 30000;
	p.relax[0].min_level = 1;
	p.relax[1].after_ms = 60000;
	p.relax[1].add_queue = general;
	vip = fx_queue_p(f, &p);
	helper = fx_agent(f, "general", 5);
	fx_ready(f, helper);
	fx_enqueue(f, vip, -1);
	fx_run(f, 59999);
	assert_int_equal(fx_count(f, FX_OFFER), 0);
	fx_run(f, 1);
	assert_int_equal(fx_last_offer_agent(f), helper);
}

static void test_borrowed_agent_takes_relaxed_contact_when_freed(void **state)
{
	struct fx *f = *state;
	uint32_t general = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "general");
	struct acd_queue_params p;
	uint32_t vip, helper, c;

	fx_qparams(f, &p, ACD_STRATEGY_LONGEST_IDLE, "vip", 1);
	p.nrelax = 1;
	p.relax[0].after_ms = 60000;
	p.relax[0].add_queue = general;
	vip = fx_queue_p(f, &p);
	helper = fx_agent(f, "general", 5);
	c = fx_enqueue(f, vip, -1);
	fx_run(f, 70000);
	fx_ready(f, helper);
	assert_int_equal(fx_last_offer_agent(f), helper);
	assert_int_equal(offer_contact(f, 0), c);
}

static void test_relaxation_queue_must_share_the_channel(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t chat, id;

	acd_queue_params_default(&p);
	p.channel = ACD_CH_CHAT;
	chat = fx_queue_p(f, &p);
	acd_queue_params_default(&p);
	p.nrelax = 1;
	p.relax[0].after_ms = 1000;
	p.relax[0].add_queue = chat;
	assert_int_equal(acd_queue_add(f->acd, &p, f->now, &id), EINVAL);
	p.relax[0].add_queue = 55;
	assert_int_equal(acd_queue_add(f->acd, &p, f->now, &id), EINVAL);
}

static void test_contact_skills_narrow_the_agents(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "support");
	struct acd_skill_level both[2] = {{fx_skill(f, "support"), 5}, {fx_skill(f, "polish"), 6}};
	struct acd_agent_params ap;
	struct acd_contact_params cp;
	uint32_t plain = fx_agent(f, "support", 5), polyglot;

	acd_agent_params_default(&ap);
	ap.skills = both;
	ap.nskills = 2;
	assert_int_equal(acd_agent_add(f->acd, &ap, f->now, &polyglot), 0);
	fx_ready(f, plain); /* idles longest but speaks no Polish */
	fx_advance(f, 1000);
	fx_ready(f, polyglot);
	acd_contact_params_default(&cp);
	cp.queue = q;
	cp.skills[0] = (struct acd_skill_level){fx_skill(f, "polish"), 5};
	cp.nskills = 1;
	fx_enqueue_p(f, &cp);
	assert_int_equal(fx_last_offer_agent(f), polyglot);
}

static void test_contact_skills_set_later_route_it(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "support");
	struct acd_contact_params cp;
	struct acd_skill_level need = {fx_skill(f, "polish"), 9};
	struct acd_skill_level none = {0};
	uint32_t a = fx_agent(f, "support", 5), c;

	acd_contact_params_default(&cp);
	cp.queue = q;
	cp.skills[0] = need;
	cp.nskills = 1;
	c = fx_enqueue_p(f, &cp);
	fx_ready(f, a);
	assert_int_equal(fx_count(f, FX_OFFER), 0);
	assert_int_equal(acd_contact_set_skills(f->acd, c, &none, 0, f->now), 0);
	assert_int_equal(fx_last_offer_agent(f), a);
}

static void test_sticky_agent_is_offered_first(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t a0 = fx_agent(f, "s", 5), a1 = fx_agent(f, "s", 5);
	struct acd_contact_params cp;

	fx_ready(f, a0);
	fx_ready(f, a1);
	acd_contact_params_default(&cp);
	cp.queue = q;
	cp.preferred_agent = a1;
	cp.sticky_ms = 20000;
	fx_enqueue_p(f, &cp);
	assert_int_equal(fx_last_offer_agent(f), a1);
}

static void test_sticky_contact_waits_for_busy_preferred_agent(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t a0 = fx_agent(f, "s", 5), a1 = fx_agent(f, "s", 5), c0, c;
	struct acd_contact_params cp;
	struct acd_contact_info in;

	fx_ready(f, a1);
	c0 = fx_enqueue(f, q, -1);
	assert_int_equal(acd_offer_accept(f->acd, c0, a1, f->now), 0);
	fx_ready(f, a0);
	acd_contact_params_default(&cp);
	cp.queue = q;
	cp.preferred_agent = a1;
	cp.sticky_ms = 20000;
	c = fx_enqueue_p(f, &cp);
	assert_int_equal(fx_count(f, FX_OFFER), 1); /* a0 is free but not preferred */
	assert_int_equal(acd_contact_info(f->acd, c, f->now, &in), 0);
	assert_int_equal(in.state, ACD_CONTACT_STICKY);
	fx_advance(f, 5000);
	assert_int_equal(acd_contact_end(f->acd, c0, f->now), 0);
	assert_int_equal(fx_last_offer_agent(f), a1);
	assert_int_equal(offer_contact(f, -1), c);
}

static void test_sticky_expiry_goes_to_other_agents(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t a0 = fx_agent(f, "s", 5), a1 = fx_agent(f, "s", 5);
	struct acd_contact_params cp;

	fx_ready(f, a0);
	acd_contact_params_default(&cp);
	cp.queue = q;
	cp.preferred_agent = a1; /* logged out */
	cp.sticky_ms = 20000;
	fx_enqueue_p(f, &cp);
	fx_run(f, 19999);
	assert_int_equal(fx_count(f, FX_OFFER), 0);
	fx_run(f, 1);
	assert_int_equal(fx_last_offer_agent(f), a0);
}

static void test_overflow_on_max_wait(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t q, c;
	const struct fx_ev *e;

	fx_qparams(f, &p, ACD_STRATEGY_LONGEST_IDLE, "s", 1);
	p.max_wait_ms = 300000;
	q = fx_queue_p(f, &p);
	c = fx_enqueue(f, q, -1);
	fx_run(f, 299999);
	assert_int_equal(fx_count(f, FX_OVERFLOW), 0);
	fx_run(f, 1);
	e = fx_nth(f, FX_OVERFLOW, 0);
	assert_non_null(e);
	assert_int_equal(e->ov.contact, c);
	assert_int_equal(e->ov.reason, ACD_OVERFLOW_MAX_WAIT);
	assert_int_equal(e->ov.waited_ms, 300000);
	assert_int_equal(fx_stats(f, q).c.overflowed[ACD_OVERFLOW_MAX_WAIT], 1);
	assert_int_equal(fx_stats(f, q).waiting, 0);
	assert_int_equal(acd_contact_abandon(f->acd, c, f->now), ENOENT);
}

static void test_max_wait_lets_a_ringing_offer_finish(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t q, a, c;

	fx_qparams(f, &p, ACD_STRATEGY_LONGEST_IDLE, "s", 1);
	p.max_wait_ms = 60000;
	q = fx_queue_p(f, &p);
	a = fx_agent(f, "s", 5);
	c = fx_enqueue(f, q, -1);
	fx_advance(f, 50000);
	fx_ready(f, a); /* rings from 50 s to 65 s */
	fx_run(f, 12000);
	assert_int_equal(fx_count(f, FX_OVERFLOW), 0);
	assert_int_equal(acd_offer_accept(f->acd, c, a, f->now), 0);
	fx_run(f, 60000);
	assert_int_equal(fx_count(f, FX_OVERFLOW), 0);
}

static void test_max_wait_overflows_when_the_late_offer_is_missed(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t q, a;

	fx_qparams(f, &p, ACD_STRATEGY_LONGEST_IDLE, "s", 1);
	p.max_wait_ms = 60000;
	q = fx_queue_p(f, &p);
	a = fx_agent(f, "s", 5);
	fx_enqueue(f, q, -1);
	fx_advance(f, 50000);
	fx_ready(f, a);
	fx_run(f, 15000);
	assert_int_equal(fx_count(f, FX_OVERFLOW), 1);
	assert_int_equal(fx_nth(f, FX_OVERFLOW, 0)->ov.at_ms, f->now);
}

static void test_overflow_on_max_length(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t q, c;

	fx_qparams(f, &p, ACD_STRATEGY_LONGEST_IDLE, "s", 1);
	p.max_len = 2;
	q = fx_queue_p(f, &p);
	fx_enqueue(f, q, -1);
	fx_enqueue(f, q, -1);
	c = fx_enqueue(f, q, -1);
	assert_int_equal(fx_count(f, FX_OVERFLOW), 1);
	assert_int_equal(fx_nth(f, FX_OVERFLOW, 0)->ov.contact, c);
	assert_int_equal(fx_nth(f, FX_OVERFLOW, 0)->ov.reason, ACD_OVERFLOW_MAX_LEN);
	assert_int_equal(fx_stats(f, q).c.offered, 2);
	assert_int_equal(fx_stats(f, q).waiting, 2);
}

static void test_overflow_when_closed(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t waiting = fx_enqueue(f, q, -1);

	assert_int_equal(acd_queue_set_open(f->acd, q, false, f->now), 0);
	fx_enqueue(f, q, -1);
	assert_int_equal(fx_nth(f, FX_OVERFLOW, 0)->ov.reason, ACD_OVERFLOW_CLOSED);
	assert_int_equal(fx_stats(f, q).waiting, 1); /* those inside stay */
	assert_int_equal(acd_queue_overflow_all(f->acd, q, ACD_OVERFLOW_CLOSED, f->now), 0);
	assert_int_equal(fx_count(f, FX_OVERFLOW), 2);
	assert_int_equal(fx_nth(f, FX_OVERFLOW, 1)->ov.contact, waiting);
	assert_int_equal(fx_stats(f, q).waiting, 0);
}

static void test_virtual_hold_keeps_place_and_offers_a_callback(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t q, a, cb, later;
	struct acd_contact_info in;

	fx_qparams(f, &p, ACD_STRATEGY_LONGEST_IDLE, "s", 1);
	p.max_wait_ms = 60000;
	p.announce_ms = 10000;
	q = fx_queue_p(f, &p);
	a = fx_agent(f, "s", 5);
	cb = fx_enqueue(f, q, -1);
	fx_advance(f, 1000);
	later = fx_enqueue(f, q, -1);
	assert_int_equal(acd_contact_to_callback(f->acd, cb, f->now), 0);
	assert_int_equal(acd_contact_to_callback(f->acd, cb, f->now), EINVAL);
	assert_int_equal(acd_contact_info(f->acd, cb, f->now, &in), 0);
	assert_true(in.callback);
	assert_int_equal(in.position, 1);
	fx_run(f, 120000); /* no announcements, no max-wait overflow for the callback */
	assert_int_equal(fx_count(f, FX_OVERFLOW), 1);
	assert_int_equal(fx_nth(f, FX_OVERFLOW, 0)->ov.contact, later);
	for (size_t i = 0; i < f->nev; i++)
		if (f->ev[i].type == FX_ANNOUNCE)
			assert_int_not_equal(f->ev[i].an.contact, cb);
	fx_ready(f, a);
	assert_int_equal(offer_contact(f, 0), cb);
	assert_true(fx_nth(f, FX_OFFER, 0)->of.callback);
	assert_int_equal(acd_offer_accept(f->acd, cb, a, f->now), 0);
	assert_int_equal(fx_stats(f, q).c.callbacks_answered, 1);
	assert_int_equal(fx_stats(f, q).c.answered, 0);
}

static void test_announcements_give_position_and_ewt(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t q, a, c1;
	const struct fx_ev *e;

	fx_qparams(f, &p, ACD_STRATEGY_LONGEST_IDLE, "s", 1);
	p.announce_ms = 30000;
	p.aht_hint_ms = 120000;
	q = fx_queue_p(f, &p);
	a = fx_agent(f, "s", 5);
	fx_ready(f, a);
	f->auto_accept = true;
	fx_enqueue(f, q, -1); /* connected: the one staffed agent is busy */
	fx_enqueue(f, q, -1);
	c1 = fx_enqueue(f, q, -1);
	fx_run(f, 30000);
	assert_int_equal(fx_count(f, FX_ANNOUNCE), 2);
	e = fx_nth(f, FX_ANNOUNCE, 0);
	if (e->an.contact != c1)
		e = fx_nth(f, FX_ANNOUNCE, 1);
	assert_int_equal(e->an.contact, c1);
	assert_int_equal(e->an.position, 2);
	assert_int_equal(e->an.ewt_ms, 2 * 120000);
	assert_int_equal(e->an.waited_ms, 30000);
	fx_run(f, 30000);
	assert_int_equal(fx_count(f, FX_ANNOUNCE), 4);
}

static void test_announcement_ewt_unknown_without_staff(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t q;

	fx_qparams(f, &p, ACD_STRATEGY_LONGEST_IDLE, "s", 1);
	p.announce_ms = 10000;
	q = fx_queue_p(f, &p);
	fx_enqueue(f, q, -1);
	fx_run(f, 10000);
	assert_int_equal(fx_nth(f, FX_ANNOUNCE, 0)->an.ewt_ms, ACD_NEVER);
}

static void test_queue_update_keeps_places_and_applies_new_rules(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t q, a, c0, c1;

	fx_qparams(f, &p, ACD_STRATEGY_LONGEST_IDLE, "s", 8);
	q = fx_queue_p(f, &p);
	a = fx_agent(f, "s", 5);
	fx_ready(f, a);
	c0 = fx_enqueue(f, q, -1);
	c1 = fx_enqueue(f, q, -1);
	assert_int_equal(fx_count(f, FX_OFFER), 0);
	p.skills[0].level = 3;
	assert_int_equal(acd_queue_update(f->acd, q, &p, f->now), 0);
	assert_int_equal(fx_count(f, FX_OFFER), 1);
	assert_int_equal(offer_contact(f, 0), c0);
	(void)c1;
}

static void test_queue_update_can_change_strategy(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t q, a[3];

	fx_qparams(f, &p, ACD_STRATEGY_LONGEST_IDLE, NULL, 1);
	q = fx_queue_p(f, &p);
	for (int i = 0; i < 3; i++) {
		a[i] = fx_agent_in(f, q, 0, (uint32_t)(3 - i));
		fx_ready(f, a[i]);
	}
	p.strategy = ACD_STRATEGY_LINEAR;
	assert_int_equal(acd_queue_update(f->acd, q, &p, f->now), 0);
	fx_enqueue(f, q, -1);
	assert_int_equal(fx_last_offer_agent(f), a[2]); /* order 1 */
	p.strategy = ACD_STRATEGY_RING_ALL;
	assert_int_equal(acd_queue_update(f->acd, q, &p, f->now), 0);
	fx_clear(f);
	fx_enqueue(f, q, -1);
	assert_int_equal(fx_count(f, FX_OFFER), 2); /* the two free agents */
	assert_int_equal(fx_stats(f, q).staffed, 3);
}

static void test_queue_remove_refused_while_in_use(void **state)
{
	struct fx *f = *state;
	uint32_t general = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "general");
	struct acd_queue_params p;
	uint32_t vip, c;

	acd_queue_params_default(&p);
	p.nrelax = 1;
	p.relax[0].after_ms = 1000;
	p.relax[0].add_queue = general;
	vip = fx_queue_p(f, &p);
	assert_int_equal(acd_queue_remove(f->acd, general, f->now), EBUSY);
	c = fx_enqueue(f, vip, -1);
	assert_int_equal(acd_queue_remove(f->acd, vip, f->now), EBUSY);
	assert_int_equal(acd_contact_remove(f->acd, c, f->now), 0);
	assert_int_equal(acd_queue_remove(f->acd, vip, f->now), 0);
	assert_int_equal(acd_queue_remove(f->acd, general, f->now), 0);
	assert_int_equal(acd_queue_remove(f->acd, general, f->now), ENOENT);
}

static void test_removed_queue_leaves_its_members(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, NULL);
	uint32_t a = fx_agent_in(f, q, 0, 0);
	struct acd_agent_info in;

	fx_ready(f, a);
	assert_int_equal(acd_queue_remove(f->acd, q, f->now), 0);
	assert_int_equal(acd_agent_info(f->acd, a, &in), 0);
	assert_int_equal(in.nqueues, 0);
}

static void test_stale_contact_id_is_refused(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t c = fx_enqueue(f, q, -1), c2;

	assert_int_equal(acd_contact_abandon(f->acd, c, f->now), 0);
	c2 = fx_enqueue(f, q, -1); /* reuses the slot */
	assert_int_not_equal(c2, c);
	assert_int_equal(acd_contact_abandon(f->acd, c, f->now), ENOENT);
	assert_int_equal(acd_contact_abandon(f->acd, c2, f->now), 0);
}

static void test_contact_pool_full_is_enospc(void **state)
{
	struct acd_params p;
	struct fx *f;
	uint32_t q, c;
	struct acd_contact_params cp;

	acd_params_default(&p);
	p.max_contacts = 2;
	f = fx_new_with(&p);
	q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	fx_enqueue(f, q, -1);
	fx_enqueue(f, q, -1);
	acd_contact_params_default(&cp);
	cp.queue = q;
	assert_int_equal(acd_contact_enqueue(f->acd, &cp, f->now, &c), ENOSPC);
	assert_int_equal(fx_count(f, FX_OVERFLOW), 0);
	acd_free(f->acd);
	free(f);
	(void)state;
}

static void test_handlers_may_call_back_into_the_library(void **state)
{
	struct fx *f = *state;
	uint32_t q = fx_queue(f, ACD_STRATEGY_LONGEST_IDLE, "s");
	uint32_t a = fx_agent(f, "s", 5), c;
	const struct fx_ev *e;

	f->auto_accept = true;
	fx_ready(f, a);
	c = fx_enqueue(f, q, -1);
	assert_int_equal(fx_state(f, a), ACD_STATE_BUSY);
	/* Events arrive in order: reserved, offer, busy. */
	e = fx_nth(f, FX_STATE, -1);
	assert_int_equal(e->st.to, ACD_STATE_BUSY);
	assert_int_equal(e->st.contact, c);
	assert_true(fx_nth(f, FX_STATE, -2)->st.to == ACD_STATE_RESERVED);
}

static void test_queue_add_checks_params(void **state)
{
	struct fx *f = *state;
	struct acd_queue_params p;
	uint32_t id;

	acd_queue_params_default(&p);
	p.strategy = ACD_STRATEGY_COUNT;
	assert_int_equal(acd_queue_add(f->acd, &p, f->now, &id), EINVAL);
	acd_queue_params_default(&p);
	p.nrelax = 2;
	p.relax[0].after_ms = 2000;
	p.relax[1].after_ms = 1000;
	assert_int_equal(acd_queue_add(f->acd, &p, f->now, &id), EINVAL);
	acd_queue_params_default(&p);
	p.skills[0].skill = 40;
	p.skills[0].level = 1;
	p.nskills = 1;
	assert_int_equal(acd_queue_add(f->acd, &p, f->now, &id), ENOENT);
	acd_queue_params_default(&p);
	p.priority = 101;
	assert_int_equal(acd_queue_add(f->acd, &p, f->now, &id), EINVAL);
}

static void test_skill_interning_is_stable(void **state)
{
	struct fx *f = *state;
	uint32_t a = fx_skill(f, "polish"), b = fx_skill(f, "english"), x;

	assert_int_equal(fx_skill(f, "polish"), a);
	assert_int_not_equal(a, b);
	assert_int_equal(acd_skill_find(f->acd, "english", &x), 0);
	assert_int_equal(x, b);
	assert_int_equal(acd_skill_find(f->acd, "klingon", &x), ENOENT);
	assert_int_equal(acd_skill_intern(f->acd, "", &x), EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(x) cmocka_unit_test_setup_teardown(x, fx_setup, fx_teardown)
	    T(test_priority_orders_the_queue),
	    T(test_fifo_within_a_priority),
	    T(test_priority_change_reorders_a_waiting_contact),
	    T(test_agent_in_several_queues_takes_oldest_highest_priority),
	    T(test_penalty_tier_better_agents_first),
	    T(test_worse_tier_gets_contacts_when_better_are_busy),
	    T(test_relaxation_opens_worse_tier_after_wait),
	    T(test_relaxed_tier_agent_takes_only_relaxed_contacts_when_freed),
	    T(test_relaxation_lowers_required_level),
	    T(test_agent_below_every_stage_is_not_a_member),
	    T(test_relaxation_adds_another_queues_agents),
	    T(test_borrowed_agent_takes_relaxed_contact_when_freed),
	    T(test_relaxation_queue_must_share_the_channel),
	    T(test_contact_skills_narrow_the_agents),
	    T(test_contact_skills_set_later_route_it),
	    T(test_sticky_agent_is_offered_first),
	    T(test_sticky_contact_waits_for_busy_preferred_agent),
	    T(test_sticky_expiry_goes_to_other_agents),
	    T(test_overflow_on_max_wait),
	    T(test_max_wait_lets_a_ringing_offer_finish),
	    T(test_max_wait_overflows_when_the_late_offer_is_missed),
	    T(test_overflow_on_max_length),
	    T(test_overflow_when_closed),
	    T(test_virtual_hold_keeps_place_and_offers_a_callback),
	    T(test_announcements_give_position_and_ewt),
	    T(test_announcement_ewt_unknown_without_staff),
	    T(test_queue_update_keeps_places_and_applies_new_rules),
	    T(test_queue_update_can_change_strategy),
	    T(test_queue_remove_refused_while_in_use),
	    T(test_removed_queue_leaves_its_members),
	    T(test_stale_contact_id_is_refused),
	    T(test_contact_pool_full_is_enospc),
	    T(test_handlers_may_call_back_into_the_library),
	    T(test_queue_add_checks_params),
	    T(test_skill_interning_is_stable),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
