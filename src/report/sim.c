/*
 * The contact center simulator: the real ACD library (src/acd, the code the daemon
 * routes with) driven by virtual time. It plays the engine's part: Poisson arrivals per
 * queue per interval, agents who answer every offer (after answer_delay), talk for a
 * drawn handle time and hang up, callers who give up after a drawn patience, shifts
 * and breaks. Every figure comes from what happened to each simulated contact,
 * counted in the interval it arrived in; agent time (for occupancy) comes from the
 * ACD's own state events.
 *
 * One loop takes the earliest of the simulator's own events and the ACD's next
 * deadline. Arrivals stop at the end of the day; the run then drains (calls in
 * progress end, waiting callers are served or give up) for at most a day more.
 */
#include "report/report_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/rand.h"

#define DRAIN_MS     (24ull * 3600 * 1000)
#define BREAK_REASON 2
#define NO_INTERVAL  UINT32_MAX

enum sev_type {
	SEV_ARRIVAL,
	SEV_ANSWER,
	SEV_END,
	SEV_ABANDON,
	SEV_SHIFT_START,
	SEV_SHIFT_END,
	SEV_BREAK_START,
	SEV_BREAK_END,
};

struct sev {
	uint64_t at;
	uint32_t type, id, aux;
	uint64_t seq; /* FIFO among equal times: runs are reproducible */
};

enum scon_state { SC_WAITING, SC_CONNECTED, SC_DONE };

struct scon {
	uint32_t queue, acd_id, interval, agent;
	uint8_t state;
	uint64_t arrival, answered_at;
};

struct sagent {
	uint32_t acd_id, group;
	enum acd_state state;
	uint64_t since;
	uint32_t cur_queue;    /* queue of the contact being handled */
	uint32_t last_contact; /* ended last: its wrap-up adds to its handle time */
	uint32_t *queues;      /* member queues, for splitting idle time */
	size_t nqueues;
	bool on_shift, on_break;
};

struct sim {
	const struct report_scenario *s;
	struct report_sim_result *r;
	struct acd *acd;
	uint64_t now, rng, seq;
	struct sev *heap;
	size_t nheap, heap_cap;
	struct scon *con;
	size_t ncon, con_cap;
	struct sagent *ag;
	size_t nag;
	size_t rejected;
	int oom;
};

/* ---- random numbers ---- */

/* Uniform in (0, 1]. */
static double unif(struct sim *m)
{
	return rand_unif(&m->rng);
}

static double gauss(struct sim *m)
{
	return rand_gauss(&m->rng);
}

/* A draw in seconds; INFINITY for REPORT_DIST_NONE. */
static double draw(struct sim *m, const struct report_dist *d)
{
	double v;
	int tries;

	switch (d->kind) {
	case REPORT_DIST_NONE:
		return INFINITY;
	case REPORT_DIST_FIXED:
		return d->mean;
	case REPORT_DIST_UNIFORM:
		return d->min + (d->max - d->min) * (1.0 - unif(m));
	case REPORT_DIST_NORMAL:
		for (tries = 0; tries < 100; tries++) {
			v = d->mean + d->sd * gauss(m);
			if (v > 0)
				return v;
		}
		return d->mean;
	case REPORT_DIST_LOGNORMAL: {
		double s2 = log(1.0 + (d->sd * d->sd) / (d->mean * d->mean));
		return exp(log(d->mean) - s2 / 2 + sqrt(s2) * gauss(m));
	}
	case REPORT_DIST_EXPONENTIAL:
	default:
		return -d->mean * log(unif(m));
	}
}

static uint64_t to_ms(double s)
{
	if (!(s < 1e12))
		return UINT64_MAX;
	return (uint64_t)llround(s * 1000.0);
}

/* ---- event heap ---- */

static bool sev_less(const struct sev *a, const struct sev *b)
{
	return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void push(struct sim *m, uint64_t at, uint32_t type, uint32_t id, uint32_t aux)
{
	size_t i;

	if (m->nheap == m->heap_cap) {
		size_t cap = m->heap_cap ? m->heap_cap * 2 : 1024;
		struct sev *nh = realloc(m->heap, cap * sizeof(*nh));
		if (!nh) {
			m->oom = 1;
			return;
		}
		m->heap = nh;
		m->heap_cap = cap;
	}
	i = m->nheap++;
	m->heap[i] = (struct sev){.at = at, .type = type, .id = id, .aux = aux, .seq = m->seq++};
	while (i && sev_less(&m->heap[i], &m->heap[(i - 1) / 2])) {
		struct sev t = m->heap[i];
		m->heap[i] = m->heap[(i - 1) / 2];
		m->heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

static struct sev pop(struct sim *m)
{
	struct sev top = m->heap[0];
	size_t i = 0;

	m->heap[0] = m->heap[--m->nheap];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, b = i;
		if (l < m->nheap && sev_less(&m->heap[l], &m->heap[b]))
			b = l;
		if (r < m->nheap && sev_less(&m->heap[r], &m->heap[b]))
			b = r;
		if (b == i)
			break;
		struct sev t = m->heap[i];
		m->heap[i] = m->heap[b];
		m->heap[b] = t;
		i = b;
	}
	return top;
}

/* ---- accounting ---- */

static uint32_t interval_of(const struct sim *m, uint64_t t)
{
	if (t >= m->s->duration_ms)
		return NO_INTERVAL;
	return (uint32_t)(t / m->s->interval_ms);
}

/* Adds agent time [from, to) in `state` to the intervals it spans (within the day). */
static void account_time(struct sim *m, struct sagent *a, enum acd_state state, uint64_t from,
			 uint64_t to)
{
	bool busy =
	    state == ACD_STATE_RESERVED || state == ACD_STATE_BUSY || state == ACD_STATE_WRAP_UP;

	if (to > m->s->duration_ms)
		to = m->s->duration_ms;
	if (!busy && state != ACD_STATE_READY)
		return;
	while (from < to) {
		uint32_t i = (uint32_t)(from / m->s->interval_ms);
		uint64_t end = (uint64_t)(i + 1) * m->s->interval_ms;
		double len;
		if (end > to)
			end = to;
		len = (double)(end - from);
		if (busy && a->cur_queue != NO_INTERVAL) {
			report__fig(m->r, a->cur_queue, i)->busy_ms += len;
		} else if (!busy && a->nqueues) {
			for (size_t k = 0; k < a->nqueues; k++)
				report__fig(m->r, a->queues[k], i)->idle_ms += len / a->nqueues;
		}
		from = end;
	}
}

static struct report_sim_figures *con_fig(struct sim *m, const struct scon *c)
{
	return report__fig(m->r, c->queue, c->interval);
}

/* ---- the engine's part, through the ACD's callbacks ---- */

static void answered(struct sim *m, uint32_t ci, uint32_t ai)
{
	struct scon *c = &m->con[ci];
	const struct report_sim_queue *q = &m->s->queues[c->queue];
	struct report_sim_figures *f = con_fig(m, c);
	uint64_t wait = m->now - c->arrival;

	c->state = SC_CONNECTED;
	c->agent = ai;
	c->answered_at = m->now;
	f->answered++;
	f->wait_answered_ms += wait;
	if (wait <= q->p.service_level_ms)
		f->answered_in_sl++;
	m->ag[ai].cur_queue = c->queue;
	push(m, m->now + to_ms(draw(m, &q->handle)), SEV_END, ci, 0);
}

static void on_offer(const struct acd_offer *o, void *arg)
{
	struct sim *m = arg;

	if (m->s->answer_delay_ms) {
		push(m, m->now + m->s->answer_delay_ms, SEV_ANSWER, (uint32_t)o->contact_ref,
		     (uint32_t)o->agent_ref);
		return;
	}
	/* Ring-all: the first offer accepted wins, the others are already void. */
	if (acd_offer_accept(m->acd, o->contact, o->agent, m->now) == 0)
		answered(m, (uint32_t)o->contact_ref, (uint32_t)o->agent_ref);
}

static void on_overflow(const struct acd_overflow *ov, void *arg)
{
	struct sim *m = arg;
	struct scon *c = &m->con[ov->contact_ref];

	c->state = SC_DONE;
	con_fig(m, c)->overflowed++;
}

static void on_state(const struct acd_state_event *ev, void *arg)
{
	struct sim *m = arg;
	struct sagent *a = &m->ag[ev->agent_ref];
	struct acd_contact_info ci;

	account_time(m, a, a->state, a->since, m->now);
	if (a->state == ACD_STATE_WRAP_UP && a->last_contact != UINT32_MAX) {
		struct scon *c = &m->con[a->last_contact];
		con_fig(m, c)->handle_ms += m->now - a->since;
		a->last_contact = UINT32_MAX;
	}
	if (ev->to == ACD_STATE_RESERVED && acd_contact_info(m->acd, ev->contact, m->now, &ci) == 0)
		a->cur_queue = ci.queue;
	a->state = ev->to;
	a->since = m->now;
}

/* ---- simulator events ---- */

/* Schedules the next Poisson arrival of queue qi after time t (memoryless across
 * interval boundaries: an unused draw is redrawn with the next interval's rate). */
static void next_arrival(struct sim *m, uint32_t qi, uint64_t t)
{
	const struct report_sim_queue *q = &m->s->queues[qi];

	while (t < m->s->duration_ms) {
		uint32_t i = (uint32_t)(t / m->s->interval_ms);
		double rate = q->rates[i < q->nrates ? i : q->nrates - 1];
		uint64_t end = (uint64_t)(i + 1) * m->s->interval_ms, at;
		if (end > m->s->duration_ms)
			end = m->s->duration_ms;
		if (rate > 0) {
			at = t + to_ms(-log(unif(m)) / rate);
			if (at < end) {
				push(m, at, SEV_ARRIVAL, qi, 0);
				return;
			}
		}
		t = end;
	}
}

static void arrival(struct sim *m, uint32_t qi)
{
	const struct report_sim_queue *q = &m->s->queues[qi];
	struct acd_contact_params cp;
	struct scon *c;
	uint32_t ci;
	double patience;

	next_arrival(m, qi, m->now);
	if (m->ncon == m->con_cap) {
		size_t cap = m->con_cap ? m->con_cap * 2 : 4096;
		struct scon *nc = realloc(m->con, cap * sizeof(*nc));
		if (!nc) {
			m->oom = 1;
			return;
		}
		m->con = nc;
		m->con_cap = cap;
	}
	ci = (uint32_t)m->ncon++;
	c = &m->con[ci];
	*c = (struct scon){.queue = qi,
			   .arrival = m->now,
			   .interval = interval_of(m, m->now),
			   .state = SC_WAITING,
			   .agent = UINT32_MAX};
	con_fig(m, c)->offered++;
	patience = draw(m, &q->patience);
	acd_contact_params_default(&cp);
	cp.queue = qi;
	cp.ref = ci;
	if (acd_contact_enqueue(m->acd, &cp, m->now, &c->acd_id)) {
		m->rejected++;
		c->state = SC_DONE;
		con_fig(m, c)->unfinished++;
		return;
	}
	if (c->state == SC_WAITING && isfinite(patience))
		push(m, m->now + to_ms(patience), SEV_ABANDON, ci, 0);
}

static void end_contact(struct sim *m, uint32_t ci)
{
	struct scon *c = &m->con[ci];
	struct report_sim_figures *f = con_fig(m, c);

	f->handled++;
	f->handle_ms += m->now - c->answered_at; /* wrap-up is added when it ends */
	c->state = SC_DONE;
	m->ag[c->agent].last_contact = ci;
	acd_contact_end(m->acd, c->acd_id, m->now);
}

static void abandon(struct sim *m, uint32_t ci)
{
	struct scon *c = &m->con[ci];
	const struct report_sim_queue *q = &m->s->queues[c->queue];
	struct report_sim_figures *f = con_fig(m, c);
	uint64_t wait = m->now - c->arrival;

	if (c->state != SC_WAITING || acd_contact_abandon(m->acd, c->acd_id, m->now))
		return;
	c->state = SC_DONE;
	f->abandoned++;
	if (wait <= q->p.service_level_ms)
		f->abandoned_in_sl++;
	if (wait <= q->p.short_abandon_ms)
		f->abandoned_short++;
}

static void set_presence(struct sim *m, uint32_t ai)
{
	struct sagent *a = &m->ag[ai];
	enum acd_state st = !a->on_shift  ? ACD_STATE_LOGGED_OUT
			    : a->on_break ? ACD_STATE_NOT_READY
					  : ACD_STATE_READY;

	acd_agent_set_state(m->acd, a->acd_id, st, st == ACD_STATE_NOT_READY ? BREAK_REASON : 0,
			    m->now);
}

static void handle(struct sim *m, const struct sev *e)
{
	switch (e->type) {
	case SEV_ARRIVAL:
		arrival(m, e->id);
		break;
	case SEV_ANSWER:
		if (acd_offer_accept(m->acd, m->con[e->id].acd_id, m->ag[e->aux].acd_id, m->now) ==
		    0)
			answered(m, e->id, e->aux);
		break;
	case SEV_END:
		end_contact(m, e->id);
		break;
	case SEV_ABANDON:
		abandon(m, e->id);
		break;
	case SEV_SHIFT_START:
	case SEV_SHIFT_END:
		m->ag[e->id].on_shift = e->type == SEV_SHIFT_START;
		set_presence(m, e->id);
		break;
	case SEV_BREAK_START:
	case SEV_BREAK_END:
		m->ag[e->id].on_break = e->type == SEV_BREAK_START;
		set_presence(m, e->id);
		break;
	}
}

/* ---- set-up and run ---- */

static int setup(struct sim *m, FILE *err)
{
	const struct report_scenario *s = m->s;
	struct acd_params ap;
	struct acd_handlers h = {
	    .state = on_state, .offer = on_offer, .overflow = on_overflow, .arg = m};
	double expected = 0, peak = 0;
	uint32_t id, *qids = NULL;
	size_t i, g, k, total = 0;
	int rc;

	for (i = 0; i < s->nqueues; i++) {
		for (k = 0; k < s->queues[i].nrates; k++)
			if (s->queues[i].rates[k] > peak)
				peak = s->queues[i].rates[k];
		expected += s->queues[i].rates[0];
	}
	for (g = 0; g < s->ngroups; g++)
		total += s->groups[g].count;
	acd_params_default(&ap);
	ap.max_agents = (uint32_t)(total ? total : 1);
	ap.max_queues = (uint32_t)s->nqueues;
	ap.max_skills = (uint32_t)(s->nskills ? s->nskills : 1);
	/* Room for two hours of the busiest rate in every queue at once, plus the agents. */
	expected = peak * (double)s->nqueues * 7200.0 + (double)total * 4 + 1024;
	ap.max_contacts = expected > 4000000 ? 4000000 : (uint32_t)expected;
	ap.seed = m->rng;
	rc = acd_new(&ap, &h, &m->acd);
	if (rc)
		return rc;
	for (i = 0; i < s->nskills; i++) {
		rc = acd_skill_intern(m->acd, s->skills[i], &id);
		if (rc)
			return rc;
	}
	/* Queues first without relaxation (a step may name a later queue), then with it. */
	for (i = 0; i < s->nqueues; i++) {
		struct acd_queue_params p = s->queues[i].p;
		p.nrelax = 0;
		p.ref = i;
		rc = acd_queue_add(m->acd, &p, 0, &id);
		if (rc) {
			fprintf(err, "%s: queues[%zu] (%s): the ACD refuses this queue: %s\n",
				s->file, i, s->queues[i].id, strerror(rc));
			return EINVAL;
		}
	}
	for (i = 0; i < s->nqueues; i++) {
		struct acd_queue_params p = s->queues[i].p;
		if (!p.nrelax)
			continue;
		p.ref = i;
		rc = acd_queue_update(m->acd, (uint32_t)i, &p, 0);
		if (rc) {
			fprintf(err,
				"%s: queues[%zu] (%s): the ACD refuses its relaxation steps: %s\n",
				s->file, i, s->queues[i].id, strerror(rc));
			return EINVAL;
		}
	}
	m->ag = calloc(total ? total : 1, sizeof(*m->ag));
	qids = calloc(s->nqueues ? s->nqueues : 1, sizeof(*qids));
	if (!m->ag || !qids) {
		free(qids);
		return ENOMEM;
	}
	for (g = 0; g < s->ngroups; g++) {
		const struct report_sim_group *gr = &s->groups[g];
		struct acd_agent_params p;
		acd_agent_params_default(&p);
		p.skills = gr->skills;
		p.nskills = gr->nskills;
		p.queues = gr->queues;
		p.nqueues = gr->nqueues;
		memcpy(p.capacity, gr->capacity, sizeof(p.capacity));
		for (k = 0; k < gr->count; k++) {
			struct sagent *a = &m->ag[m->nag];
			size_t nq;
			p.ref = m->nag;
			rc = acd_agent_add(m->acd, &p, 0, &a->acd_id);
			if (rc) {
				fprintf(err,
					"%s: agents[%zu] (%s): the ACD refuses this agent: %s\n",
					s->file, g, gr->name, strerror(rc));
				free(qids);
				return EINVAL;
			}
			a->group = (uint32_t)g;
			a->state = ACD_STATE_LOGGED_OUT;
			a->cur_queue = NO_INTERVAL;
			a->last_contact = UINT32_MAX;
			nq = acd_agent_queues(m->acd, a->acd_id, qids, s->nqueues);
			if (nq) {
				a->queues = malloc(nq * sizeof(*a->queues));
				if (!a->queues) {
					free(qids);
					return ENOMEM;
				}
				memcpy(a->queues, qids, nq * sizeof(*a->queues));
				a->nqueues = nq;
			}
			push(m, gr->start_ms, SEV_SHIFT_START, (uint32_t)m->nag, 0);
			if (gr->end_ms != UINT64_MAX)
				push(m, gr->end_ms, SEV_SHIFT_END, (uint32_t)m->nag, 0);
			for (size_t b = 0; b < gr->nbreaks; b++) {
				push(m, gr->breaks[b].at_ms, SEV_BREAK_START, (uint32_t)m->nag, 0);
				push(m, gr->breaks[b].at_ms + gr->breaks[b].len_ms, SEV_BREAK_END,
				     (uint32_t)m->nag, 0);
			}
			m->nag++;
		}
	}
	free(qids);
	for (i = 0; i < s->nqueues; i++)
		next_arrival(m, (uint32_t)i, 0);
	return m->oom ? ENOMEM : 0;
}

static int result_new(const struct report_scenario *s, uint64_t seed,
		      struct report_sim_result **out)
{
	struct report_sim_result *r = calloc(1, sizeof(*r));
	size_t i;

	if (!r)
		return ENOMEM;
	r->seed = seed;
	r->duration_ms = s->duration_ms;
	r->interval_ms = s->interval_ms;
	r->start_label_ms = s->start_label_ms;
	r->nqueues = s->nqueues;
	r->nintervals = (size_t)((s->duration_ms + s->interval_ms - 1) / s->interval_ms);
	r->file = strdup(s->file);
	r->name = strdup(s->name ? s->name : "");
	r->queue_ids = calloc(s->nqueues + 1, sizeof(*r->queue_ids));
	r->strategies = calloc(s->nqueues + 1, sizeof(*r->strategies));
	r->formulas = calloc(s->nqueues + 1, sizeof(*r->formulas));
	r->sl_ms = calloc(s->nqueues + 1, sizeof(*r->sl_ms));
	r->sl_pct = calloc(s->nqueues + 1, sizeof(*r->sl_pct));
	r->fig = calloc((r->nqueues + 1) * (r->nintervals + 1), sizeof(*r->fig));
	if (!r->file || !r->name || !r->queue_ids || !r->strategies || !r->formulas || !r->sl_ms ||
	    !r->sl_pct || !r->fig) {
		report_sim_result_free(r);
		return ENOMEM;
	}
	for (i = 0; i < s->nqueues; i++) {
		r->queue_ids[i] = strdup(s->queues[i].id);
		if (!r->queue_ids[i]) {
			report_sim_result_free(r);
			return ENOMEM;
		}
		r->strategies[i] = s->queues[i].p.strategy;
		r->formulas[i] = s->queues[i].p.sl_formula;
		r->sl_ms[i] = s->queues[i].p.service_level_ms;
		r->sl_pct[i] = s->queues[i].p.service_level_pct;
	}
	*out = r;
	return 0;
}

void report__figures_finish(struct report_sim_figures *f, enum acd_sl_formula formula)
{
	struct acd_queue_counters c = {
	    .answered = f->answered,
	    .answered_in_sl = f->answered_in_sl,
	    .abandoned = f->abandoned,
	    .abandoned_in_sl = f->abandoned_in_sl,
	    .abandoned_short = f->abandoned_short,
	};

	f->service_level = acd_service_level(&c, formula);
	f->asa_s = f->answered ? (double)f->wait_answered_ms / f->answered / 1000.0 : -1;
	f->aht_s = f->handled ? (double)f->handle_ms / f->handled / 1000.0 : -1;
	f->occupancy = f->busy_ms + f->idle_ms > 0 ? f->busy_ms / (f->busy_ms + f->idle_ms) : -1;
}

static void add_fig(struct report_sim_figures *to, const struct report_sim_figures *f)
{
	to->offered += f->offered;
	to->answered += f->answered;
	to->abandoned += f->abandoned;
	to->abandoned_short += f->abandoned_short;
	to->overflowed += f->overflowed;
	to->unfinished += f->unfinished;
	to->answered_in_sl += f->answered_in_sl;
	to->abandoned_in_sl += f->abandoned_in_sl;
	to->wait_answered_ms += f->wait_answered_ms;
	to->handled += f->handled;
	to->handle_ms += f->handle_ms;
	to->busy_ms += f->busy_ms;
	to->idle_ms += f->idle_ms;
}

/* Totals per queue, per interval over all queues, and overall; then the ratios. */
static void totals(struct report_sim_result *r)
{
	size_t q, i, nq = r->nqueues, ni = r->nintervals;

	for (q = 0; q < nq; q++) {
		for (i = 0; i < ni; i++) {
			const struct report_sim_figures *f = report__fig(r, q, i);
			add_fig(report__fig(r, q, ni), f);
			add_fig(report__fig(r, nq, i), f);
			add_fig(report__fig(r, nq, ni), f);
		}
	}
	/* All queues together: the first queue's formula when they all agree, else the
	 * default one. */
	r->formulas[nq] = nq ? r->formulas[0] : ACD_SL_ALL_EXCL_SHORT;
	for (q = 1; q < nq; q++)
		if (r->formulas[q] != r->formulas[0])
			r->formulas[nq] = ACD_SL_ALL_EXCL_SHORT;
	for (q = 0; q <= nq; q++)
		for (i = 0; i <= ni; i++)
			report__figures_finish(report__fig(r, q, i), r->formulas[q]);
}

int report_sim_run(const struct report_scenario *s, bool use_seed, uint64_t seed, FILE *err,
		   struct report_sim_result **out)
{
	struct sim m = {.s = s};
	struct report_sim_result *r = NULL;
	clock_t c0 = clock();
	uint64_t limit = s->duration_ms + DRAIN_MS;
	int rc;

	if (!use_seed)
		seed = s->seed;
	m.rng = seed;
	rc = result_new(s, seed, &r);
	if (rc)
		return rc;
	m.r = r;
	rc = setup(&m, err);
	while (!rc && !m.oom) {
		uint64_t d = acd_next_deadline(m.acd);
		if (m.nheap && m.heap[0].at <= d) {
			struct sev e = pop(&m);
			if (e.at > limit)
				break;
			m.now = e.at;
			handle(&m, &e);
		} else if (d != ACD_NEVER && d <= limit) {
			m.now = d;
			acd_tick(m.acd, d);
		} else {
			break;
		}
	}
	if (!rc && m.oom)
		rc = ENOMEM;
	if (!rc) {
		for (size_t i = 0; i < m.ncon; i++)
			if (m.con[i].state == SC_WAITING)
				con_fig(&m, &m.con[i])->unfinished++;
		for (size_t a = 0; a < m.nag; a++)
			account_time(&m, &m.ag[a], m.ag[a].state, m.ag[a].since, m.now);
		r->contacts = m.ncon;
		r->agents = m.nag;
		r->end_ms = m.now;
		totals(r);
		r->cpu_s = (double)(clock() - c0) / CLOCKS_PER_SEC;
		if (m.rejected)
			fprintf(err,
				"%s: %zu contacts found the simulator's contact pool full and were "
				"counted as unfinished\n",
				s->file, m.rejected);
	}
	acd_free(m.acd);
	for (size_t a = 0; a < m.nag; a++)
		free(m.ag[a].queues);
	free(m.ag);
	free(m.con);
	free(m.heap);
	if (rc) {
		report_sim_result_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void report_sim_result_free(struct report_sim_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->queue_ids && i < r->nqueues; i++)
		free(r->queue_ids[i]);
	free(r->queue_ids);
	free(r->strategies);
	free(r->formulas);
	free(r->sl_ms);
	free(r->sl_pct);
	free(r->fig);
	free(r->file);
	free(r->name);
	free(r);
}

size_t report_sim_nqueues(const struct report_sim_result *r)
{
	return r->nqueues;
}

size_t report_sim_nintervals(const struct report_sim_result *r)
{
	return r->nintervals;
}

const char *report_sim_queue_id(const struct report_sim_result *r, size_t q)
{
	return q < r->nqueues ? r->queue_ids[q] : NULL;
}

const struct report_sim_figures *report_sim_figures(const struct report_sim_result *r, size_t q,
						    size_t i)
{
	if (q > r->nqueues || i > r->nintervals)
		return NULL;
	return &r->fig[q * (r->nintervals + 1) + i];
}

uint64_t report_sim_contacts(const struct report_sim_result *r)
{
	return r->contacts;
}
