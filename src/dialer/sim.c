/*
 * A campaign's day with virtual time on the real pacer. The simulator plays the
 * engine's and the world's parts: every call the pacer asks for is dialed; it is
 * answered by a person or a machine after a drawn ring time, or gives up at the ring
 * timeout; a person waits up to the grace time (after AMD's decision) for a free agent
 * and is abandoned otherwise; agents talk for a drawn handle time, then wrap up, then
 * take the person who waits longest or become free. The pacer is asked after every
 * event and once a second (agents draw nearer to the end of their calls).
 */
#include "dialer/dialer.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rand.h"

enum ev_type { EV_ANSWER, EV_NOANSWER, EV_GRACE, EV_TALK_END, EV_WRAP_END, EV_TICK };

struct ev {
	uint64_t at, seq;
	uint32_t type, id;
};

struct sim {
	const struct dialer_sim_params *p;
	struct dialer_pacer *pacer;
	uint64_t rng, seq, now;
	struct ev *h;
	size_t nh, caph;
	/* persons waiting for an agent: a FIFO of call ids and their ring time */
	uint32_t *wq;
	size_t wq_head, wq_n, wq_cap;
	uint32_t *free_agents, nfree;
	uint8_t *agent_machine; /* agent is on a machine (no AMD) */
	uint64_t ncalls;
	uint64_t *grace_of;  /* per call: deadline, 0 when served */
	uint64_t *dialed_at; /* per call */
	size_t grace_cap;
	struct dialer_sim_result r;
	double work_ms, free_ms;
	uint64_t *free_since;
	uint64_t decisions, risky;
};

/* Uniform in (0, 1]. */
static double unif(struct sim *m)
{
	return rand_unif(&m->rng);
}

static double gauss(struct sim *m)
{
	return rand_gauss(&m->rng);
}

static double draw(struct sim *m, const struct dialer_dist *d)
{
	switch (d->kind) {
	case DIALER_DIST_FIXED:
		return d->mean;
	case DIALER_DIST_UNIFORM:
		return d->min + (d->max - d->min) * (1.0 - unif(m));
	case DIALER_DIST_NORMAL:
		for (int i = 0; i < 100; i++) {
			double v = d->mean + d->sd * gauss(m);
			if (v > 0)
				return v;
		}
		return d->mean;
	case DIALER_DIST_LOGNORMAL: {
		double s2 = log(1.0 + (d->sd * d->sd) / (d->mean * d->mean));
		return exp(log(d->mean) - s2 / 2 + sqrt(s2) * gauss(m));
	}
	case DIALER_DIST_EXPONENTIAL:
	default:
		return -d->mean * log(unif(m));
	}
}

static uint64_t ms(double s)
{
	return s > 0 ? (uint64_t)llround(s * 1000.0) : 0;
}

static bool ev_less(const struct ev *a, const struct ev *b)
{
	return a->at != b->at ? a->at < b->at : a->seq < b->seq;
}

static int push(struct sim *m, uint64_t at, uint32_t type, uint32_t id)
{
	size_t i;

	if (m->nh == m->caph) {
		size_t cap = m->caph ? m->caph * 2 : 256;
		struct ev *h = realloc(m->h, cap * sizeof(*h));
		if (!h)
			return ENOMEM;
		m->h = h;
		m->caph = cap;
	}
	i = m->nh++;
	m->h[i] = (struct ev){at, m->seq++, type, id};
	while (i > 0 && ev_less(&m->h[i], &m->h[(i - 1) / 2])) {
		struct ev t = m->h[i];
		m->h[i] = m->h[(i - 1) / 2];
		m->h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
	return 0;
}

static struct ev pop(struct sim *m)
{
	struct ev top = m->h[0];
	size_t i = 0;

	m->h[0] = m->h[--m->nh];
	for (;;) {
		size_t c = 2 * i + 1;
		struct ev t;
		if (c >= m->nh)
			break;
		if (c + 1 < m->nh && ev_less(&m->h[c + 1], &m->h[c]))
			c++;
		if (!ev_less(&m->h[c], &m->h[i]))
			break;
		t = m->h[i];
		m->h[i] = m->h[c];
		m->h[c] = t;
		i = c;
	}
	return top;
}

/* Agent work from now for len_ms, counted within the day only. */
static void work(struct sim *m, uint64_t len_ms)
{
	uint64_t end = m->now + len_ms;

	if (m->now >= m->p->duration_ms)
		return;
	if (end > m->p->duration_ms)
		end = m->p->duration_ms;
	m->work_ms += (double)(end - m->now);
}

static int agent_free(struct sim *m, uint32_t a)
{
	m->free_agents[m->nfree++] = a;
	m->free_since[a] = m->now;
	return dialer_pacer_agent(m->pacer, a, DIALER_AGENT_FREE, m->now);
}

/* Agent a takes a call: a person (talk drawn) or, without AMD, a machine. */
static int agent_take(struct sim *m, uint32_t a, bool machine)
{
	double talk = machine ? (m->p->machine_talk_s > 0 ? m->p->machine_talk_s : 15)
			      : draw(m, &m->p->handle);

	uint64_t until = m->now < m->p->duration_ms ? m->now : m->p->duration_ms;

	if (until > m->free_since[a])
		m->free_ms += (double)(until - m->free_since[a]);
	dialer_pacer_agent(m->pacer, a, DIALER_AGENT_TALK, m->now);
	work(m, ms(talk));
	return push(m, m->now + ms(talk), EV_TALK_END, a);
}

static uint32_t take_free(struct sim *m)
{
	return m->free_agents[--m->nfree];
}

static int grow_calls(struct sim *m, uint64_t id)
{
	if (id < m->grace_cap)
		return 0;
	size_t cap = m->grace_cap ? m->grace_cap * 2 : 1024;
	while (cap <= id)
		cap *= 2;
	uint64_t *g = realloc(m->grace_of, cap * sizeof(*g)), *d;
	uint8_t *mm;
	if (!g)
		return ENOMEM;
	memset(g + m->grace_cap, 0, (cap - m->grace_cap) * sizeof(*g));
	m->grace_of = g;
	d = realloc(m->dialed_at, cap * sizeof(*d));
	if (!d)
		return ENOMEM;
	m->dialed_at = d;
	mm = realloc(m->agent_machine, cap);
	if (!mm)
		return ENOMEM;
	memset(mm + m->grace_cap, 0, cap - m->grace_cap);
	m->agent_machine = mm;
	m->grace_cap = cap;
	return 0;
}

static int wq_push(struct sim *m, uint32_t id)
{
	if (m->wq_n == m->wq_cap) {
		size_t cap = m->wq_cap ? m->wq_cap * 2 : 64;
		uint32_t *q = malloc(cap * sizeof(*q));
		if (!q)
			return ENOMEM;
		for (size_t i = 0; i < m->wq_n; i++)
			q[i] = m->wq[(m->wq_head + i) % m->wq_cap];
		free(m->wq);
		m->wq = q;
		m->wq_head = 0;
		m->wq_cap = cap;
	}
	m->wq[(m->wq_head + m->wq_n++) % m->wq_cap] = id;
	return 0;
}

/* The oldest person still waiting (skipping those already abandoned). */
static bool wq_pop(struct sim *m, uint32_t *id)
{
	while (m->wq_n) {
		uint32_t c = m->wq[m->wq_head];
		m->wq_head = (m->wq_head + 1) % m->wq_cap;
		m->wq_n--;
		if (m->grace_of[c]) {
			*id = c;
			return true;
		}
	}
	return false;
}

static int dial(struct sim *m)
{
	uint32_t id = (uint32_t)m->ncalls++;
	double u = unif(m);
	double timeout = m->p->ring_timeout_s > 0 ? m->p->ring_timeout_s : 25;
	int rc = grow_calls(m, id);

	if (rc)
		return rc;
	dialer_pacer_dialed(m->pacer, m->now);
	m->dialed_at[id] = m->now;
	m->r.dialed++;
	if (u <= m->p->person_rate + m->p->machine_rate) {
		double ring = fmin(draw(m, &m->p->ring), timeout);
		m->agent_machine[id] = u > m->p->person_rate;
		return push(m, m->now + ms(ring), EV_ANSWER, id);
	}
	return push(m, m->now + ms(timeout), EV_NOANSWER, id);
}

static int answered(struct sim *m, uint32_t id, uint64_t ring_ms)
{
	bool machine = m->agent_machine[id];
	int rc;

	if (machine) {
		m->r.machine++;
		if (m->p->amd)
			return dialer_pacer_outcome(m->pacer, DIALER_R_MACHINE, ring_ms, m->now);
	} else {
		m->r.person++;
	}
	/* Without AMD a machine looks like a person to the dialer. */
	rc = dialer_pacer_outcome(m->pacer, DIALER_R_PERSON, ring_ms, m->now);
	if (rc)
		return rc;
	if (m->nfree) {
		dialer_pacer_connected(m->pacer, m->now);
		m->r.connected += !machine;
		return agent_take(m, take_free(m), machine);
	}
	m->grace_of[id] =
	    m->now + ms(m->p->pacer.connect_grace_s > 0 ? m->p->pacer.connect_grace_s : 2);
	rc = wq_push(m, id);
	if (!rc)
		rc = push(m, m->grace_of[id], EV_GRACE, id);
	return rc;
}

static int handle(struct sim *m, const struct ev *e)
{
	uint32_t id;

	switch (e->type) {
	case EV_ANSWER:
		/* AMD's decision comes amd_s after the answer; the ring time the pacer
		   learns is the whole wait until a person can be connected. */
		if (m->p->amd && m->p->amd_s > 0 && !(e->id & 0x80000000u)) {
			return push(m, m->now + ms(m->p->amd_s), EV_ANSWER, e->id | 0x80000000u);
		}
		id = e->id & 0x7fffffffu;
		return answered(m, id, m->now - m->dialed_at[id]);
	case EV_NOANSWER:
		m->r.no_answer++;
		return dialer_pacer_outcome(m->pacer, DIALER_R_NO_ANSWER, 0, m->now);
	case EV_GRACE:
		if (!m->grace_of[e->id])
			return 0;
		m->grace_of[e->id] = 0;
		dialer_pacer_abandoned(m->pacer, m->now);
		if (!m->agent_machine[e->id])
			m->r.abandoned++;
		return 0;
	case EV_TALK_END:
		dialer_pacer_agent(m->pacer, e->id, DIALER_AGENT_WRAP, m->now);
		work(m, ms(m->p->wrap_s));
		return push(m, m->now + ms(m->p->wrap_s), EV_WRAP_END, e->id);
	case EV_WRAP_END:
		if (wq_pop(m, &id)) {
			bool machine = m->agent_machine[id];
			m->grace_of[id] = 0;
			dialer_pacer_connected(m->pacer, m->now);
			m->r.connected += !machine;
			m->free_since[e->id] = m->now;
			return agent_take(m, e->id, machine);
		}
		return agent_free(m, e->id);
	case EV_TICK:
		if (m->now + 1000 < m->p->duration_ms)
			return push(m, m->now + 1000, EV_TICK, 0);
		return 0;
	}
	return 0;
}

int dialer_sim_run(const struct dialer_sim_params *p, struct dialer_sim_result *out)
{
	struct sim m = {.p = p};
	int rc;

	if (!p || !out || !p->agents || !p->duration_ms || p->person_rate < 0 ||
	    p->machine_rate < 0 || p->person_rate + p->machine_rate > 1 || p->wrap_s < 0)
		return EINVAL;
	m.rng = p->seed;
	rc = dialer_pacer_new(&p->pacer, p->agents, 0, &m.pacer);
	if (rc)
		return rc;
	rc = ENOMEM;
	m.free_agents = calloc(p->agents, sizeof(*m.free_agents));
	m.free_since = calloc(p->agents, sizeof(*m.free_since));
	if (!m.free_agents || !m.free_since)
		goto out;
	for (uint32_t a = 0; a < p->agents; a++)
		if ((rc = agent_free(&m, p->agents - 1 - a)))
			goto out;
	if ((rc = push(&m, 0, EV_TICK, 0)))
		goto out;
	for (;;) {
		if (m.now < p->duration_ms) {
			uint32_t n = dialer_pacer_want(m.pacer, m.now);
			struct dialer_pacer_figures f;
			m.decisions++;
			if (p->pacer.mode == DIALER_PREDICTIVE) {
				dialer_pacer_figures(m.pacer, m.now, &f);
				m.risky += f.at_risk;
			}
			for (uint32_t i = 0; i < n; i++)
				if ((rc = dial(&m)))
					goto out;
		}
		if (!m.nh)
			break;
		struct ev e = pop(&m);
		m.now = e.at;
		if ((rc = handle(&m, &e)))
			goto out;
	}
	for (uint32_t i = 0; i < m.nfree; i++) {
		uint32_t a = m.free_agents[i];
		uint64_t end = p->duration_ms > m.free_since[a] ? p->duration_ms : m.free_since[a];
		m.free_ms += (double)(end - m.free_since[a]);
	}
	m.r.hours = (double)p->duration_ms / 3600000.0;
	m.r.abandon_rate = m.r.person ? (double)m.r.abandoned / (double)m.r.person : 0;
	m.r.abandon_upper = dialer_wilson_upper(m.r.abandoned, m.r.person);
	m.r.occupancy = m.work_ms + m.free_ms > 0 ? m.work_ms / (m.work_ms + m.free_ms) : 0;
	m.r.work_min_per_agent_hour = m.work_ms / 60000.0 / (p->agents * m.r.hours);
	m.r.calls_per_hour = (double)m.r.dialed / m.r.hours;
	m.r.connects_per_hour = (double)m.r.connected / m.r.hours;
	m.r.risk_share = m.decisions ? (double)m.risky / (double)m.decisions : 0;
	*out = m.r;
	rc = 0;
out:
	dialer_pacer_free(m.pacer);
	free(m.h);
	free(m.wq);
	free(m.free_agents);
	free(m.free_since);
	free(m.grace_of);
	free(m.dialed_at);
	free(m.agent_machine);
	return rc;
}
