/*
 * Realtime counters per queue and the figures derived from them (service level by the
 * chosen formula, ASA, AHT, abandonment rate, estimated wait), plus acd_tick(), which
 * runs the timers. Counters are plain sums updated where things happen; derived figures
 * are computed only when read, and the per-state agent counts by walking the queue's
 * members then, so routing events never pay for a wallboard.
 */
#include "acd/acd_int.h"

#include <errno.h>
#include <string.h>

/* Weight of the newest handle time in the recent-handle-time average used for EWT. */
#define AHT_ALPHA 0.0625

void acd__stats_answered(struct acd__queue *q, struct acd__contact *c, uint64_t now)
{
	uint64_t wait = now - c->entered;

	if (c->callback) {
		q->c.callbacks_answered++;
		return;
	}
	q->c.answered++;
	q->c.wait_answered_ms += wait;
	if (wait <= q->p.service_level_ms)
		q->c.answered_in_sl++;
	if (wait > q->c.max_wait_answered_ms)
		q->c.max_wait_answered_ms = wait;
}

void acd__stats_left(struct acd__queue *q, struct acd__contact *c, uint64_t now, bool abandon)
{
	uint64_t wait = now - c->entered;

	if (!abandon || c->callback) {
		q->c.removed++;
		return;
	}
	q->c.abandoned++;
	q->c.wait_abandoned_ms += wait;
	if (wait <= q->p.service_level_ms)
		q->c.abandoned_in_sl++;
	if (wait <= q->p.short_abandon_ms)
		q->c.abandoned_short++;
}

void acd__stats_handled(struct acd__queue *q, uint64_t talk_ms, uint64_t wrap_ms)
{
	q->c.handled++;
	q->c.talk_ms += talk_ms;
	q->c.wrap_ms += wrap_ms;
	q->aht_ewma += AHT_ALPHA * ((double)(talk_ms + wrap_ms) - q->aht_ewma);
}

uint64_t acd__ewt(const struct acd__queue *q, uint32_t position)
{
	if (q->navail >= position)
		return 0;
	if (!q->staffed)
		return ACD_NEVER;
	return (uint64_t)((double)position * q->aht_ewma / q->staffed);
}

void acd_service_level_parts(const struct acd_queue_counters *c, enum acd_sl_formula f,
			     uint64_t *within, uint64_t *counted)
{
	*within = c->answered_in_sl;
	switch (f) {
	case ACD_SL_ANSWERED:
		*counted = c->answered;
		break;
	case ACD_SL_WITH_ABANDONS:
		*within += c->abandoned_in_sl;
		*counted = c->answered + c->abandoned;
		break;
	case ACD_SL_ALL:
		*counted = c->answered + c->abandoned;
		break;
	case ACD_SL_ALL_EXCL_SHORT:
	default:
		*counted = c->answered + c->abandoned - c->abandoned_short;
		break;
	}
}

double acd_service_level(const struct acd_queue_counters *c, enum acd_sl_formula f)
{
	uint64_t num, den;

	acd_service_level_parts(c, f, &num, &den);
	return den > 0 ? (double)num / (double)den : -1.0;
}

/* a += b, field by field: every field of the counters is a uint64_t. */
static void counters_add(struct acd_queue_counters *a, const struct acd_queue_counters *b)
{
	_Static_assert(sizeof(*a) % sizeof(uint64_t) == 0, "counters are uint64_t");
	uint64_t *x = (uint64_t *)a;
	const uint64_t *y = (const uint64_t *)b;

	for (size_t i = 0; i < sizeof(*a) / sizeof(uint64_t); i++)
		x[i] += y[i];
}

uint64_t acd_queue_ewt(const struct acd *acd, uint32_t id, uint64_t now_ms)
{
	const struct acd__queue *q = acd__queue_get(acd, id);

	return q ? acd__ewt(q, q->nwaiting + 1) : ACD_NEVER;
}

int acd_queue_stats(const struct acd *acd, uint32_t id, uint64_t now_ms,
		    struct acd_queue_stats *out)
{
	const struct acd__queue *q = acd__queue_get(acd, id);
	const struct acd__contact *c;
	const struct acd__member *m;
	uint64_t live;

	if (!q)
		return ENOENT;
	memset(out, 0, sizeof(*out));
	out->c = q->c;
	out->waiting = q->nqueued;
	out->callbacks_waiting = q->ncbqueued;
	for (c = q->arr_head; c; c = c->anext) {
		if (!c->callback) {
			out->longest_wait_ms = now_ms - c->entered;
			break;
		}
	}
	for (m = q->members; m; m = m->qnext)
		out->agents[acd->agents[m->agent].state]++;
	out->staffed = q->staffed;
	out->available = q->navail;
	out->sl_formula = q->p.sl_formula;
	out->service_level = acd_service_level(&q->c, q->p.sl_formula);
	out->asa_ms = q->c.answered ? (double)q->c.wait_answered_ms / q->c.answered : -1.0;
	out->aht_ms = q->c.handled ? (double)(q->c.talk_ms + q->c.wrap_ms) / q->c.handled : -1.0;
	live = q->c.offered - q->c.callbacks;
	out->abandon_rate = live ? (double)q->c.abandoned / live : -1.0;
	out->ewt_ms = acd__ewt(q, q->nwaiting + 1);
	out->service_level_pct = q->p.service_level_pct;
	out->service_level_ms = q->p.service_level_ms;
	out->total = q->before;
	counters_add(&out->total, &q->c);
	return 0;
}

void acd_stats_reset(struct acd *acd, uint64_t now_ms)
{
	uint32_t i;

	for (i = 0; i < acd->nqueues; i++) {
		counters_add(&acd->queues[i].before, &acd->queues[i].c);
		memset(&acd->queues[i].c, 0, sizeof(acd->queues[i].c));
	}
	for (i = 0; i < acd->nagents; i++) {
		acd->agents[i].answered = 0;
		acd->agents[i].talk_ms = 0;
	}
	/* least-calls and least-talk-time keys depend on these. */
	acd__agent_rekey_all(acd);
}

void acd_tick(struct acd *acd, uint64_t now_ms)
{
	uint32_t owner;

	acd__enter(acd, now_ms);
	while ((owner = acd__timer_pop_due(acd, now_ms)) != UINT32_MAX) {
		if (owner & ACD__AGENT_BIT)
			acd__agent_tick(acd, &acd->agents[owner & ~ACD__AGENT_BIT]);
		else
			acd__contact_tick(acd, &acd->contacts[owner]);
	}
	acd__leave(acd);
}
