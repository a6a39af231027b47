/*
 * A written contact (a chat, an email conversation) handed to one named agent rather
 * than to a queue: the agent is offered it at once, or it is not handed over at all and
 * the caller keeps it as it was. The ACD does the offering: the contact enters the ACD
 * queue with the agent as its preferred one (sticky), and the sticky routing offers it
 * to that agent only if the agent is available on the contact's channel now (logged in,
 * ready, below the channel's capacity, not blocked by another channel's contact).
 */
#include "engine/engine_int.h"

#include <errno.h>

#include "core/clock.h"

/* How long the named agent is waited for once offered: an offer missed (ring timeout)
 * falls back to the queue when this ends. */
#define HANDOFF_STICKY_MS 60000

int eng__offer_named(struct eng_tenant *t, uint32_t acd_queue, uint64_t ref, struct eng_user *u,
		     uint32_t *out, const char **why)
{
	struct acd_agent_info ai;
	struct acd_contact_info ci;
	struct acd_contact_params p;
	uint64_t now = clock_mono_ms();
	uint32_t contact;
	int err;

	if (!t->acd || acd_queue == ACD_NONE) {
		*why = "the queue takes no contacts of this channel";
		return ENOENT;
	}
	if (!u || u->removed || u->agent == ACD_NONE || acd_agent_info(t->acd, u->agent, &ai)) {
		*why = "no agent with this username in the tenant";
		return ENOENT;
	}
	if (ai.presence == ACD_STATE_LOGGED_OUT) {
		*why = "the agent is not logged in";
		return EAGAIN;
	}
	acd_contact_params_default(&p);
	p.queue = acd_queue;
	p.ref = ref;
	p.preferred_agent = u->agent;
	p.sticky_ms = HANDOFF_STICKY_MS;
	err = acd_contact_enqueue(t->acd, &p, now, &contact);
	if (err) {
		*why = "the queue takes no more contacts now";
		eng__acd_arm(t);
		return err;
	}
	if (acd_contact_info(t->acd, contact, now, &ci) || ci.state != ACD_CONTACT_OFFERED) {
		acd_contact_remove(t->acd, contact, now);
		eng__acd_arm(t);
		*why = "the agent is not ready or has no room for another contact of this channel";
		return EBUSY;
	}
	eng__acd_arm(t);
	*out = contact;
	return 0;
}
