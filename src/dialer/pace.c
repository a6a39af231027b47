/*
 * Pacing: how many calls a campaign starts now. Preview never dials by itself,
 * progressive dials one call per free agent, agentless keeps `lines` calls going, and
 * predictive dials ahead of the agents from live estimates.
 *
 * The predictive model: a call dialed now is answered by a person with probability p
 * (learned from outcomes) after about the time to answer R (learned). By then the agents
 * available are the free ones, less the persons already waiting, plus those likely to
 * finish within R + grace: an agent in wrap-up whose remaining wrap-up (learned mean
 * less time spent) fits, counts fully; otherwise its chance is 1 - e^(-H/remaining),
 * the same for an agent talking with the remaining talk plus wrap-up. With K calls in
 * the air the persons answering are X ~ Binomial(K, p); the share of them who would find
 * no agent is E[(X - A)+] / E[X]. The pacer keeps the largest K whose share stays under
 * the target, and dials K less the calls already dialing.
 *
 * The target follows the cap: over the window, with k abandoned of n persons, the upper
 * 95% bound u (Wilson) exceeds the observed rate by h = u - k/n; keeping the future rate
 * under cap - h keeps u under the cap (the pacer aims at 70% of that goal: the model is
 * approximate). When the observed rate is already over the goal the target drops by
 * twice the excess, and when one more abandon would put u over the cap (or nothing is
 * known yet) the pacer dials progressively until enough persons have been served without
 * abandonment. The estimate of p, R and the handle times decays slowly (about the last
 * 300 calls), so the pacer follows a list whose answer rate drifts during the day.
 */
#include "dialer/dialer.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS      64
#define DECAY	      (1.0 - 1.0 / 300.0)
#define PRIOR_WEIGHT  20.0
#define EWMA_MIN      (1.0 / 200.0)
#define MAX_K	      4000
#define Z95_ONE_SIDED 1.6448536269514722
/* Share of the goal the pacer aims at: the model is an approximation (calls ringing for
 * long are less likely to be answered, agents' handle times are not exponential), and
 * the margin keeps the bound under the cap while the estimates settle. */
#define GOAL_SHARE 0.7

struct bucket {
	uint64_t epoch; /* now / bucket_ms + 1 (0: never used) */
	uint32_t person, abandoned;
};

struct pagent {
	uint8_t st;
	uint64_t since;
};

struct mean {
	double v, n;
};

struct dialer_pacer {
	struct dialer_pacer_params p;
	uint32_t nagents;
	struct pagent *ag;
	uint32_t count[4];
	uint32_t dialing, waiting;
	uint64_t dialed, person, machine, connected, abandoned;
	double out_n, out_person; /* decayed outcome counts */
	struct mean ring, handle, wrap;
	uint64_t bucket_ms;
	struct bucket b[NBUCKETS];
	double target, upper, rate;
	uint64_t wperson, wabandoned;
	bool at_risk;
};

double dialer_wilson_upper(uint64_t k, uint64_t n)
{
	double z = Z95_ONE_SIDED, z2 = z * z, nn = (double)n, ph, c, s;

	if (n == 0)
		return 1.0;
	if (k > n)
		k = n;
	ph = (double)k / nn;
	c = ph + z2 / (2 * nn);
	s = z * sqrt(ph * (1 - ph) / nn + z2 / (4 * nn * nn));
	return fmin(1.0, (c + s) / (1 + z2 / nn));
}

static void mean_add(struct mean *m, double x)
{
	double a;

	m->n += 1;
	a = fmax(1.0 / m->n, EWMA_MIN);
	m->v += a * (x - m->v);
}

int dialer_pacer_new(const struct dialer_pacer_params *params, uint32_t max_agents, uint64_t now_ms,
		     struct dialer_pacer **out)
{
	struct dialer_pacer *p;

	if (!params || !out || params->mode >= DIALER_MODE_COUNT || params->abandon_cap < 0 ||
	    params->abandon_cap >= 1 || params->prior_answer < 0 || params->prior_answer > 1 ||
	    params->max_ratio < 0)
		return EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return ENOMEM;
	p->ag = calloc(max_agents ? max_agents : 1, sizeof(*p->ag));
	if (!p->ag) {
		free(p);
		return ENOMEM;
	}
	p->p = *params;
	if (!(p->p.abandon_cap > 0))
		p->p.abandon_cap = 0.03;
	if (!p->p.window_ms)
		p->p.window_ms = 30ull * 24 * 3600 * 1000;
	if (!(p->p.max_ratio > 0))
		p->p.max_ratio = 10;
	if (!(p->p.prior_answer > 0))
		p->p.prior_answer = 0.25;
	if (!(p->p.prior_ring_s > 0))
		p->p.prior_ring_s = 10;
	if (!(p->p.prior_handle_s > 0))
		p->p.prior_handle_s = 180;
	if (!(p->p.prior_wrap_s > 0))
		p->p.prior_wrap_s = 30;
	if (!(p->p.connect_grace_s > 0))
		p->p.connect_grace_s = 2;
	p->nagents = max_agents;
	for (uint32_t i = 0; i < max_agents; i++)
		p->ag[i] = (struct pagent){DIALER_AGENT_AWAY, now_ms};
	p->count[DIALER_AGENT_AWAY] = max_agents;
	p->out_n = PRIOR_WEIGHT;
	p->out_person = PRIOR_WEIGHT * p->p.prior_answer;
	p->ring = (struct mean){p->p.prior_ring_s, 1};
	p->handle = (struct mean){p->p.prior_handle_s, 1};
	p->wrap = (struct mean){p->p.prior_wrap_s, 1};
	p->bucket_ms = p->p.window_ms / NBUCKETS;
	if (!p->bucket_ms)
		p->bucket_ms = 1;
	p->at_risk = true;
	*out = p;
	return 0;
}

void dialer_pacer_free(struct dialer_pacer *p)
{
	if (!p)
		return;
	free(p->ag);
	free(p);
}

void dialer_pacer_set_mode(struct dialer_pacer *p, enum dialer_mode m)
{
	if (m < DIALER_MODE_COUNT)
		p->p.mode = m;
}

int dialer_pacer_set_params(struct dialer_pacer *p, const struct dialer_pacer_params *params)
{
	struct dialer_pacer_params n;

	if (!p || !params || params->mode >= DIALER_MODE_COUNT || params->abandon_cap < 0 ||
	    params->abandon_cap >= 1 || params->max_ratio < 0)
		return EINVAL;
	n = p->p;
	n.mode = params->mode;
	n.abandon_cap = params->abandon_cap > 0 ? params->abandon_cap : 0.03;
	n.lines = params->lines;
	n.max_ratio = params->max_ratio > 0 ? params->max_ratio : 10;
	n.connect_grace_s = params->connect_grace_s > 0 ? params->connect_grace_s : 2;
	if ((params->window_ms ? params->window_ms : 30ull * 24 * 3600 * 1000) != p->p.window_ms) {
		/* Buckets of another width cannot be split: the count starts again, and the
		 * pacer dials progressively until it has seen enough persons. */
		n.window_ms = params->window_ms ? params->window_ms : 30ull * 24 * 3600 * 1000;
		p->bucket_ms = n.window_ms / NBUCKETS ? n.window_ms / NBUCKETS : 1;
		memset(p->b, 0, sizeof(p->b));
		p->at_risk = true;
	}
	p->p = n;
	return 0;
}

enum dialer_mode dialer_pacer_mode(const struct dialer_pacer *p)
{
	return p->p.mode;
}

int dialer_pacer_agent(struct dialer_pacer *p, uint32_t agent, enum dialer_agent_state st,
		       uint64_t now_ms)
{
	struct pagent *a;
	double spent;

	if (agent >= p->nagents || st > DIALER_AGENT_WRAP)
		return EINVAL;
	a = &p->ag[agent];
	if (a->st == st)
		return 0;
	spent = now_ms > a->since ? (double)(now_ms - a->since) / 1000.0 : 0;
	if (a->st == DIALER_AGENT_TALK)
		mean_add(&p->handle, spent);
	else if (a->st == DIALER_AGENT_WRAP)
		mean_add(&p->wrap, spent);
	p->count[a->st]--;
	p->count[st]++;
	a->st = (uint8_t)st;
	a->since = now_ms;
	return 0;
}

void dialer_pacer_dialed(struct dialer_pacer *p, uint64_t now_ms)
{
	(void)now_ms;
	p->dialing++;
	p->dialed++;
}

static struct bucket *bucket_at(struct dialer_pacer *p, uint64_t now_ms)
{
	uint64_t e = now_ms / p->bucket_ms + 1;
	struct bucket *b = &p->b[e % NBUCKETS];

	if (b->epoch != e)
		*b = (struct bucket){e, 0, 0};
	return b;
}

int dialer_pacer_outcome(struct dialer_pacer *p, enum dialer_result r, uint64_t ring_ms,
			 uint64_t now_ms)
{
	if (r >= DIALER_R_COUNT || r == DIALER_R_ABANDONED)
		return EINVAL;
	if (p->dialing)
		p->dialing--;
	p->out_n = p->out_n * DECAY + 1;
	p->out_person = p->out_person * DECAY + (r == DIALER_R_PERSON);
	if (r == DIALER_R_PERSON || r == DIALER_R_MACHINE || r == DIALER_R_FAX)
		mean_add(&p->ring, (double)ring_ms / 1000.0);
	if (r == DIALER_R_PERSON) {
		p->person++;
		p->waiting++;
		bucket_at(p, now_ms)->person++;
	} else if (r == DIALER_R_MACHINE || r == DIALER_R_FAX) {
		p->machine++;
	}
	return 0;
}

void dialer_pacer_connected(struct dialer_pacer *p, uint64_t now_ms)
{
	(void)now_ms;
	if (p->waiting)
		p->waiting--;
	p->connected++;
}

void dialer_pacer_abandoned(struct dialer_pacer *p, uint64_t now_ms)
{
	if (p->waiting)
		p->waiting--;
	p->abandoned++;
	bucket_at(p, now_ms)->abandoned++;
}

/* Sums the window and sets the target and the at-risk flag. */
static void update_target(struct dialer_pacer *p, uint64_t now_ms)
{
	uint64_t e = now_ms / p->bucket_ms + 1, n = 0, k = 0;
	double cap = p->p.abandon_cap, goal;

	for (size_t i = 0; i < NBUCKETS; i++) {
		const struct bucket *b = &p->b[i];
		if (b->epoch && b->epoch + NBUCKETS > e && b->epoch <= e) {
			n += b->person;
			k += b->abandoned;
		}
	}
	p->wperson = n;
	p->wabandoned = k;
	p->rate = n ? (double)k / (double)n : 0;
	p->upper = dialer_wilson_upper(k, n);
	goal = (cap - (p->upper - p->rate)) * GOAL_SHARE;
	if (p->rate > goal)
		goal -= 2 * (p->rate - goal);
	/* Dial ahead only while one more abandon would still leave the bound under
	   the cap: abandons of calls already dialing land after this decision. */
	if (dialer_wilson_upper(k + 1, n + 1) >= cap || goal < cap * 0.02) {
		p->at_risk = true;
		p->target = 0;
	} else {
		p->at_risk = false;
		p->target = goal;
	}
}

/* Agents free now or likely to be within h seconds, less the persons waiting. */
static double available(const struct dialer_pacer *p, uint64_t now_ms, double h)
{
	double a = (double)p->count[DIALER_AGENT_FREE] - (double)p->waiting;

	for (uint32_t i = 0; i < p->nagents; i++) {
		const struct pagent *g = &p->ag[i];
		double spent, rem;
		if (g->st != DIALER_AGENT_TALK && g->st != DIALER_AGENT_WRAP)
			continue;
		spent = now_ms > g->since ? (double)(now_ms - g->since) / 1000.0 : 0;
		if (g->st == DIALER_AGENT_WRAP) {
			/* Wrap-up is nearly fixed: done in time or not. */
			rem = p->wrap.v - spent;
			a += rem <= h ? 1 : 0;
			continue;
		}
		/* Talking: free in time only if the talk ends before h less the whole
		   wrap-up. The remaining talk is taken as exponential with the mean
		   less the time spent, but at least half the mean (long calls stay
		   long). */
		if (h <= p->wrap.v)
			continue;
		rem = fmax(p->handle.v - spent, p->handle.v * 0.5);
		a += 1 - exp(-(h - p->wrap.v) / rem);
	}
	return a;
}

/* E[(X - a)+] / E[X] for X ~ Binomial(k, q). */
static double unserved_share(uint32_t k, double q, double a)
{
	double pmf, served = 0, mean = k * q;

	if (k == 0 || mean <= 0)
		return 0;
	if (a <= 0)
		return 1;
	pmf = pow(1 - q, k);
	if (pmf <= 0) {
		/* Too many calls for the exact sum: the normal approximation,
		   E[(X - a)+] = s phi(d) + (mean - a) Phi(d), d = (mean - a) / s. */
		double s = sqrt(mean * (1 - q)), d = (mean - a) / s;
		double over =
		    s * exp(-d * d / 2) / sqrt(2 * M_PI) + (mean - a) * 0.5 * erfc(-d / sqrt(2));
		return fmin(1, fmax(0, over / mean));
	}
	for (uint32_t x = 0; x <= k; x++) {
		served += pmf * fmin((double)x, a);
		if ((double)x >= a) {
			/* From here on min(x, a) = a: add a times the remaining mass. */
			double rest = 0, m = pmf;
			for (uint32_t y = x + 1; y <= k; y++) {
				m *= (double)(k - y + 1) / y * q / (1 - q);
				rest += m;
			}
			served += a * rest;
			break;
		}
		pmf *= (double)(k - x) / (x + 1) * q / (1 - q);
	}
	return fmax(0, (mean - served) / mean);
}

static uint32_t predictive(struct dialer_pacer *p, uint64_t now_ms, uint32_t base)
{
	double q = p->out_person / p->out_n, h, a;
	uint32_t lo, hi, kmax;

	update_target(p, now_ms);
	if (p->at_risk)
		return base;
	q = fmin(fmax(q, 0.001), 0.999);
	h = p->ring.v + p->p.connect_grace_s;
	a = available(p, now_ms, h);
	if (a <= 0)
		return base;
	kmax = (uint32_t)fmin(MAX_K, ceil(p->p.max_ratio * a));
	if (kmax <= p->dialing)
		return base;
	/* The largest k in [dialing, kmax] whose share stays under the target. */
	lo = p->dialing;
	hi = kmax;
	if (unserved_share(lo, q, a) > p->target)
		return base;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo + 1) / 2;
		if (unserved_share(mid, q, a) <= p->target)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo - p->dialing > base ? lo - p->dialing : base;
}

uint32_t dialer_pacer_want(struct dialer_pacer *p, uint64_t now_ms)
{
	uint32_t busy = p->dialing + p->waiting, n = 0;

	switch (p->p.mode) {
	case DIALER_PREVIEW:
		return 0;
	case DIALER_AGENTLESS:
		return p->p.lines > busy ? p->p.lines - busy : 0;
	case DIALER_PROGRESSIVE:
		n = p->count[DIALER_AGENT_FREE] > busy ? p->count[DIALER_AGENT_FREE] - busy : 0;
		break;
	case DIALER_PREDICTIVE:
		n = p->count[DIALER_AGENT_FREE] > busy ? p->count[DIALER_AGENT_FREE] - busy : 0;
		n = predictive(p, now_ms, n);
		break;
	default:
		return 0;
	}
	if (p->p.lines)
		n = p->p.lines > busy ? (n < p->p.lines - busy ? n : p->p.lines - busy) : 0;
	return n;
}

void dialer_pacer_calls(const struct dialer_pacer *p, uint32_t *dialing, uint32_t *waiting)
{
	*dialing = p->dialing;
	*waiting = p->waiting;
}

void dialer_pacer_figures(struct dialer_pacer *p, uint64_t now_ms, struct dialer_pacer_figures *o)
{
	double a;

	update_target(p, now_ms);
	a = available(p, now_ms, p->ring.v + p->p.connect_grace_s);
	memset(o, 0, sizeof(*o));
	o->agents_free = p->count[DIALER_AGENT_FREE];
	o->agents_talk = p->count[DIALER_AGENT_TALK];
	o->agents_wrap = p->count[DIALER_AGENT_WRAP];
	o->agents_away = p->count[DIALER_AGENT_AWAY];
	o->dialing = p->dialing;
	o->waiting = p->waiting;
	o->dialed = p->dialed;
	o->answered_person = p->person;
	o->answered_machine = p->machine;
	o->connected = p->connected;
	o->abandoned = p->abandoned;
	o->window_person = p->wperson;
	o->window_abandoned = p->wabandoned;
	o->window_rate = p->rate;
	o->window_upper = p->upper;
	o->target = p->target;
	o->at_risk = p->p.mode == DIALER_PREDICTIVE && p->at_risk;
	o->est_answer = p->out_person / p->out_n;
	o->est_ring_s = p->ring.v;
	o->est_handle_s = p->handle.v;
	o->est_wrap_s = p->wrap.v;
	o->dial_ratio = a > 0 ? (double)p->dialing / a : 0;
}
