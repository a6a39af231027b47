/*
 * Callbacks through queues: a caller who pressed the queue's callback digit (virtual
 * hold) or a flow's callback node keeps its place while off the line, a visitor of the
 * website asks to be called back, and once an agent takes the contact the customer is
 * dialled and the two are bridged (or the attempt ends the agent's contact). Split from
 * queue.c.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

int eng__queue_callback(struct call *asker, struct eng_queue *q, const char *number, int priority)
{
	struct acd_contact_params p;
	struct eng_tenant *t = asker->t;
	uint64_t now = clock_mono_ms();
	struct call *c;
	int err;

	if (!q || q->t != t || !number || !number[0])
		return ENOENT;
	if (!asker->cli[0] || strcmp(asker->cli, number)) {
		log_warn("engine",
			 "tenant=%s call=%llu event=callback_refused reason=untrusted_number "
			 "number=%s",
			 t->ct->id, (unsigned long long)asker->id, number);
		eng__timeline(asker, "callback_refused", "reason", "untrusted_number");
		return EPERM;
	}
	if (eng__outbound_refusal(t->ct, number)) {
		log_warn("engine",
			 "tenant=%s call=%llu event=outbound_refused reason=%s via=callback "
			 "number=%s user=-",
			 t->ct->id, (unsigned long long)asker->id,
			 eng__outbound_refusal(t->ct, number), number);
		eng__timeline(asker, "outbound_refused", "reason",
			      eng__outbound_refusal(t->ct, number));
		return EPERM;
	}
	if (!t->ct->ntrunks)
		return ENOTSUP;
	if (!(c = eng__call_new(t->e, t)))
		return ENOMEM;
	snprintf(c->from, sizeof(c->from), "%s", number);
	snprintf(c->cli, sizeof(c->cli), "%s", number); /* vouched for by the caller */
	c->callback = true;
	c->outbound = true;
	c->q = q;
	c->state = CALL_QUEUED;
	c->since_mono = now;
	c->queued_ms = clock_wall_ms();
	snprintf(c->queue, sizeof(c->queue), "%s", q->cq->id);
	eng__timeline(c, "callback_requested", "number", number);
	acd_contact_params_default(&p);
	p.queue = q->id;
	p.priority = priority;
	p.callback = true;
	p.ref = c->id;
	log_info("engine", "tenant=%s call=%llu event=callback_requested queue=%s", t->ct->id,
		 (unsigned long long)c->id, q->cq->id);
	if ((err = acd_contact_enqueue(t->acd, &p, now, &c->contact))) {
		c->contact = ACD_NONE;
		c->hangup_by = "system";
		eng__call_maybe_done(c);
	}
	eng__acd_arm(t);
	return err;
}

int eng__queue_web_callback(struct eng_tenant *t, struct eng_queue *q, const char *id,
			    const char *number, const char *lang)
{
	struct acd_contact_params p;
	uint64_t now = clock_mono_ms();
	struct call *c;
	int err;

	if (!(c = eng__call_new(t->e, t)))
		return ENOMEM;
	snprintf(c->ix_id, sizeof(c->ix_id), "%s", id); /* the id the visitor was given */
	snprintf(c->from, sizeof(c->from), "%s", number);
	snprintf(c->cli, sizeof(c->cli), "%s", number); /* checked by the outbound rules */
	if (lang && *lang)
		snprintf(c->lang, sizeof(c->lang), "%s", lang);
	c->callback = true;
	c->web_callback = true;
	c->outbound = true;
	c->q = q;
	c->state = CALL_QUEUED;
	c->since_mono = now;
	c->queued_ms = clock_wall_ms();
	snprintf(c->queue, sizeof(c->queue), "%s", q->cq->id);
	eng__timeline(c, "web_callback_due", "number", number);
	acd_contact_params_default(&p);
	p.queue = q->id;
	p.callback = true;
	p.ref = c->id;
	log_info("engine", "tenant=%s call=%llu event=web_callback_queued queue=%s id=%s",
		 t->ct->id, (unsigned long long)c->id, q->cq->id, id);
	if ((err = acd_contact_enqueue(t->acd, &p, now, &c->contact))) {
		c->contact = ACD_NONE;
		c->hangup_by = "system";
		eng__call_maybe_done(c);
	}
	eng__acd_arm(t);
	return err;
}

void eng__queue_callback_result(struct call *c, bool answered)
{
	log_info("engine", "tenant=%s call=%llu event=callback_%s number=%s", c->t->ct->id,
		 (unsigned long long)c->id, answered ? "connected" : "failed", c->cli);
	if (!answered) {
		/* The agent's contact ends here (wrap-up), whoever hangs up last. */
		eng__timeline(c, "callback_failed", "number", c->cli);
		c->hangup_by = "system";
		eng__queue_call_ended(c);
		if (c->b)
			sip_leg_hangup(c->b, 0);
		return;
	}
	/* The customer (c->a) meets the agent (c->b): answered time is the customer's, and
	 * who hangs up is counted from now (the caller's release was ours). */
	c->a_answered = true;
	c->hangup_by = NULL;
	eng__bridge(c, c->b);
}
