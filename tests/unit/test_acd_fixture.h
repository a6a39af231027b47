/*
 * Shared fixture of the ACD unit tests: an instance driven by a fake clock, and a
 * recorder of every callback so tests can assert what the engine would have been told.
 * Included by each tests/unit/test_acd*.c (one executable each).
 */
#ifndef TEST_ACD_FIXTURE_H
#define TEST_ACD_FIXTURE_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acd/acd.h"

#define FX_MAX_EV 4096

enum fx_ev_type { FX_STATE, FX_OFFER, FX_CANCEL, FX_OVERFLOW, FX_ANNOUNCE };

struct fx_ev {
	enum fx_ev_type type;
	enum acd_cancel_reason why;
	struct acd_state_event st;
	struct acd_offer of;
	struct acd_overflow ov;
	struct acd_announce an;
};

struct fx {
	struct acd *acd;
	uint64_t now;
	struct fx_ev ev[FX_MAX_EV];
	size_t nev;
	bool auto_accept; /* accept every offer from inside the handler */
};

static inline void fx_push(struct fx *f, const struct fx_ev *e)
{
	if (f->nev < FX_MAX_EV)
		f->ev[f->nev++] = *e;
}

static inline void fx_on_state(const struct acd_state_event *ev, void *arg)
{
	struct fx_ev e = {.type = FX_STATE, .st = *ev};
	fx_push(arg, &e);
}

static inline void fx_on_offer(const struct acd_offer *o, void *arg)
{
	struct fx *f = arg;
	struct fx_ev e = {.type = FX_OFFER, .of = *o};
	fx_push(f, &e);
	if (f->auto_accept)
		assert_int_equal(acd_offer_accept(f->acd, o->contact, o->agent, f->now), 0);
}

static inline void fx_on_cancel(const struct acd_offer *o, enum acd_cancel_reason why, void *arg)
{
	struct fx_ev e = {.type = FX_CANCEL, .of = *o, .why = why};
	fx_push(arg, &e);
}

static inline void fx_on_overflow(const struct acd_overflow *ov, void *arg)
{
	struct fx_ev e = {.type = FX_OVERFLOW, .ov = *ov};
	fx_push(arg, &e);
}

static inline void fx_on_announce(const struct acd_announce *an, void *arg)
{
	struct fx_ev e = {.type = FX_ANNOUNCE, .an = *an};
	fx_push(arg, &e);
}

static inline struct fx *fx_new_with(const struct acd_params *p)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct acd_handlers h = {
	    .state = fx_on_state,
	    .offer = fx_on_offer,
	    .cancel = fx_on_cancel,
	    .overflow = fx_on_overflow,
	    .announce = fx_on_announce,
	};

	assert_non_null(f);
	h.arg = f;
	f->now = 1000000;
	assert_int_equal(acd_new(p, &h, &f->acd), 0);
	return f;
}

static inline struct fx *fx_new(void)
{
	struct acd_params p;

	acd_params_default(&p);
	p.seed = 42;
	return fx_new_with(&p);
}

static inline int fx_setup(void **state)
{
	*state = fx_new();
	return 0;
}

static inline int fx_teardown(void **state)
{
	struct fx *f = *state;
	acd_free(f->acd);
	free(f);
	return 0;
}

static inline uint32_t fx_skill(struct fx *f, const char *name)
{
	uint32_t id;
	assert_int_equal(acd_skill_intern(f->acd, name, &id), 0);
	return id;
}

/* A queue with the given strategy and optional one required skill (NULL: none). */
static inline uint32_t fx_queue_p(struct fx *f, const struct acd_queue_params *p)
{
	uint32_t id;
	assert_int_equal(acd_queue_add(f->acd, p, f->now, &id), 0);
	return id;
}

static inline void fx_qparams(struct fx *f, struct acd_queue_params *p, enum acd_strategy_id st,
			      const char *skill, uint8_t level)
{
	acd_queue_params_default(p);
	p->strategy = st;
	if (skill) {
		p->skills[0].skill = fx_skill(f, skill);
		p->skills[0].level = level;
		p->nskills = 1;
	}
}

static inline uint32_t fx_queue(struct fx *f, enum acd_strategy_id st, const char *skill)
{
	struct acd_queue_params p;
	fx_qparams(f, &p, st, skill, 1);
	return fx_queue_p(f, &p);
}

/* An agent with one skill at `level` (skill NULL: none), logged out. */
static inline uint32_t fx_agent(struct fx *f, const char *skill, uint8_t level)
{
	struct acd_agent_params p;
	struct acd_skill_level sl;
	uint32_t id;

	acd_agent_params_default(&p);
	if (skill) {
		sl.skill = fx_skill(f, skill);
		sl.level = level;
		p.skills = &sl;
		p.nskills = 1;
	}
	assert_int_equal(acd_agent_add(f->acd, &p, f->now, &id), 0);
	return id;
}

/* An agent that explicitly lists one queue with a penalty. */
static inline uint32_t fx_agent_in(struct fx *f, uint32_t q, int penalty, uint32_t order)
{
	struct acd_agent_params p;
	struct acd_membership m = {.queue = q, .penalty = penalty, .order = order};
	uint32_t id;

	acd_agent_params_default(&p);
	p.queues = &m;
	p.nqueues = 1;
	assert_int_equal(acd_agent_add(f->acd, &p, f->now, &id), 0);
	return id;
}

static inline void fx_ready(struct fx *f, uint32_t a)
{
	assert_int_equal(acd_agent_set_state(f->acd, a, ACD_STATE_READY, 0, f->now), 0);
}

static inline uint32_t fx_enqueue_p(struct fx *f, const struct acd_contact_params *p)
{
	uint32_t id;
	assert_int_equal(acd_contact_enqueue(f->acd, p, f->now, &id), 0);
	return id;
}

static inline uint32_t fx_enqueue(struct fx *f, uint32_t q, int priority)
{
	struct acd_contact_params p;
	acd_contact_params_default(&p);
	p.queue = q;
	p.priority = priority;
	return fx_enqueue_p(f, &p);
}

static inline void fx_advance(struct fx *f, uint64_t ms)
{
	f->now += ms;
	acd_tick(f->acd, f->now);
}

/* Runs the clock to `ms` later, ticking at every deadline on the way. */
static inline void fx_run(struct fx *f, uint64_t ms)
{
	uint64_t end = f->now + ms;

	for (;;) {
		uint64_t d = acd_next_deadline(f->acd);
		if (d > end)
			break;
		if (d > f->now)
			f->now = d;
		acd_tick(f->acd, f->now);
	}
	f->now = end;
	acd_tick(f->acd, f->now);
}

static inline void fx_clear(struct fx *f)
{
	f->nev = 0;
}

static inline size_t fx_count(const struct fx *f, enum fx_ev_type t)
{
	size_t n = 0;
	for (size_t i = 0; i < f->nev; i++)
		n += f->ev[i].type == t;
	return n;
}

/* The i-th event of type t (0 = first, -1 = last), or NULL. */
static inline const struct fx_ev *fx_nth(const struct fx *f, enum fx_ev_type t, int i)
{
	if (i < 0) {
		for (size_t k = f->nev; k-- > 0;)
			if (f->ev[k].type == t && ++i == 0)
				return &f->ev[k];
		return NULL;
	}
	for (size_t k = 0; k < f->nev; k++)
		if (f->ev[k].type == t && i-- == 0)
			return &f->ev[k];
	return NULL;
}

/* Agent of the last offer, ACD_NONE when none. */
static inline uint32_t fx_last_offer_agent(const struct fx *f)
{
	const struct fx_ev *e = fx_nth(f, FX_OFFER, -1);
	return e ? e->of.agent : ACD_NONE;
}

static inline enum acd_state fx_state(const struct fx *f, uint32_t a)
{
	struct acd_agent_info in;
	assert_int_equal(acd_agent_info(f->acd, a, &in), 0);
	return in.state;
}

/* Offer, accept, talk for `talk_ms`, end: the agent has handled one contact. */
static inline void fx_handle(struct fx *f, uint32_t q, uint64_t talk_ms)
{
	uint32_t c = fx_enqueue(f, q, -1);
	uint32_t a = fx_last_offer_agent(f);
	assert_int_not_equal(a, ACD_NONE);
	assert_int_equal(acd_offer_accept(f->acd, c, a, f->now), 0);
	fx_advance(f, talk_ms);
	assert_int_equal(acd_contact_end(f->acd, c, f->now), 0);
}

static inline struct acd_queue_stats fx_stats(const struct fx *f, uint32_t q)
{
	struct acd_queue_stats s;
	assert_int_equal(acd_queue_stats(f->acd, q, f->now, &s), 0);
	return s;
}

#endif
