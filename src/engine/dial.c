/*
 * Calls the API places and moves: click-to-dial (the agent's phone first, with the
 * auto-answer hint most phones honour, or its browser phone when that is up, then the
 * customer through the tenant's trunk)
 * and blind transfer of a bridged call's customer (shared with the phone's REFER).
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

int eng__click_dial(struct eng_user *u, const char *number, struct call **out)
{
	struct eng_tenant *t = u->t;
	struct call *c;

	const char *why;

	if (!t->ct->ntrunks || (!eng__phone_up(u) && (!u->cu->sip_user || !u->ncontacts)))
		return ENOENT;
	/* A number the tenant may not dial is refused before the agent's phone rings (the
	 * full check, caps included, runs when the customer's leg is placed). */
	if ((why = eng__outbound_refusal(t->ct, number))) {
		log_warn("engine",
			 "tenant=%s event=outbound_refused reason=%s via=api number=%s user=%s",
			 t->ct->id, why, number, u->cu->username);
		return EPERM;
	}
	if (!(c = eng__call_new(t->e, t)))
		return ENOMEM;
	c->click = true;
	c->outbound = true;
	c->caller_user = u;
	/* The agent's phone shows the number it is about to call. */
	snprintf(c->from, sizeof(c->from), "%s", number);
	snprintf(c->to, sizeof(c->to), "%s", number);
	snprintf(c->agent, sizeof(c->agent), "%s", u->cu->username);
	c->state = CALL_RINGING;
	eng__timeline(c, "click_to_dial", "number", number);
	log_info("engine", "tenant=%s call=%llu event=click_to_dial agent=%s", t->ct->id,
		 (unsigned long long)c->id, u->cu->username);
	if (!eng__ring_user(c, u)) {
		c->hangup_by = "system";
		eng__call_maybe_done(c);
		return ENOENT;
	}
	*out = c;
	return 0;
}

void eng__click_answered(struct call *c, struct sip_leg *leg)
{
	struct eng_user *u = c->caller_user;

	if (!c->b) {
		/* The agent is on the line: ringback to it while the customer is called. */
		struct media_item it = {.kind = MEDIA_ITEM_TONE, .tone = MEDIA_TONE_RINGBACK};
		struct media_play_req r = {.items = &it, .nitems = 1, .loop = true};

		eng__fork_remove(c, leg);
		eng__forks_cancel_user(c, NULL);
		c->b = leg;
		eng__timeline(c, "agent_connected", "agent", c->agent);
		media_play(sip_leg_media(leg), &r);
		snprintf(c->from, sizeof(c->from), "%s",
			 u && u->cu->sip_user ? u->cu->sip_user : c->agent);
		if (eng__dial_out(c, c->to, NULL, ENG_VIA_API, u)) {
			eng__timeline(c, "dial_failed", "number", c->to);
			c->hangup_by = "system";
			sip_leg_hangup(c->b, 0);
		}
		return;
	}
	if (!c->a) {
		eng__fork_remove(c, leg);
		eng__forks_cancel_user(c, NULL);
		c->a = leg;
		c->a_answered = true;
		eng__bridge(c, c->b);
		return;
	}
	sip_leg_hangup(leg, 0);
}

void eng__click_failed(struct call *c, int status)
{
	char st[16];

	if (c->nforks)
		return;
	snprintf(st, sizeof(st), "%d", status);
	c->hangup_by = "system";
	if (!c->b) {
		eng__timeline(c, "agent_not_reached", "status", st);
		return; /* no leg left: the call ends */
	}
	if (!c->a) {
		eng__timeline(c, "customer_not_reached", "status", st);
		sip_leg_hangup(c->b, 0);
	}
}

int eng__transfer_blind(struct call *c, struct eng_user *u, struct eng_queue *q, const char *flow,
			const char *number, struct eng_user *by)
{
	struct sip_leg *agent = c->b;
	const char *to = u ? u->cu->username : q ? q->cq->id : flow ? flow : number;
	int err;

	if (!c->a || !agent)
		return ENOENT;
	/* Refused by the tenant's outbound rules: the agent keeps the caller. */
	if (number && !u && !q && !flow &&
	    (err = eng__outbound_precheck(c, number, ENG_VIA_TRANSFER, by)))
		return err;
	eng__timeline(c, "transferred", "to", to);
	eng__ev_contact_with(c, "contact.transferred", NULL,
			     json_pack("{s:s}",
				       u      ? "to_agent"
				       : q    ? "to_queue"
				       : flow ? "to_flow"
					      : "to_number",
				       to));
	media_unbridge(sip_leg_media(c->a));
	c->b = NULL;
	sip_leg_hangup(agent, 0);
	if (c->contact != ACD_NONE)
		eng__queue_call_ended(c);
	eng__agents_external_off(c);
	if (c->target_user && c->target_user->active_calls)
		c->target_user->active_calls--;
	c->target_user = NULL;
	if (u)
		err = eng__route_user(c, u);
	else if (q)
		err = eng__queue_enter(c, q, -1, NULL, 0);
	else if (flow)
		err = eng__flow_enter(c, flow);
	else
		err = eng__dial_out(c, number, NULL, ENG_VIA_TRANSFER, by);
	if (err) {
		log_info("engine", "tenant=%s call=%llu event=transfer_failed to=%s err=%s",
			 c->t->ct->id, (unsigned long long)c->id, to, strerror(err));
		c->hangup_by = "system";
		sip_leg_hangup(c->a, 480);
	}
	return err;
}
