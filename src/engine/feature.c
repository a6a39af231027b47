/*
 * Agents' phones and the ACD: a phone's registration makes an auto_ready agent ready
 * (and its last unregistration logs it out), feature codes dialled from the phone
 * (*21 ready, *22[N] not ready with reason N, *23 log out, *24 end wrap-up) and the
 * API's state changes take the same path, and calls the ACD did not route (direct,
 * internal) keep the agents on them busy for the ACD while they last.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

const char *eng__reason_name(const struct eng_tenant *t, uint16_t r)
{
	if (r == ACD_REASON_NO_ANSWER)
		return "no_answer";
	if (r == ENG_REASON_PHONE_LOST)
		return "phone_lost";
	if (r >= ENG_REASON_BASE && (size_t)(r - ENG_REASON_BASE) < t->reasons.n)
		return t->reasons.v[r - ENG_REASON_BASE].name;
	return NULL;
}

static void external_mark(struct call *c, struct eng_user *u)
{
	if (!u || u->agent == ACD_NONE || !u->t->acd || c->next >= 2)
		return;
	if (c->next == 1 && c->ext[0] == u)
		return;
	if (acd_agent_external(u->t->acd, u->agent, ACD_CH_VOICE, true, clock_mono_ms()))
		return;
	c->ext[c->next++] = u;
	eng__acd_arm(u->t);
}

void eng__agents_external_on(struct call *c)
{
	if (c->contact != ACD_NONE)
		return; /* the ACD routed this one: the agent is busy on it already */
	external_mark(c, c->target_user);
	external_mark(c, c->caller_user);
}

void eng__agents_external_off(struct call *c)
{
	for (size_t i = 0; i < c->next; i++) {
		struct eng_user *u = c->ext[i];
		acd_agent_external(u->t->acd, u->agent, ACD_CH_VOICE, false, clock_mono_ms());
		eng__acd_arm(u->t);
	}
	c->next = 0;
}

void eng__agent_registered(struct eng_user *u, size_t ncontacts)
{
	struct eng_tenant *t = u->t;
	struct acd_agent_info info;

	if (u->agent == ACD_NONE || !u->cu->auto_ready || !t->acd ||
	    acd_agent_info(t->acd, u->agent, &info))
		return;
	if (ncontacts && info.presence == ACD_STATE_LOGGED_OUT)
		acd_agent_set_state(t->acd, u->agent, ACD_STATE_READY, 0, clock_mono_ms());
	else if (!ncontacts && info.presence != ACD_STATE_LOGGED_OUT)
		acd_agent_set_state(t->acd, u->agent, ACD_STATE_LOGGED_OUT, 0, clock_mono_ms());
	eng__acd_arm(t);
}

int eng__agent_feature(struct eng_user *u, const char *code)
{
	struct eng_tenant *t = u->t;
	uint64_t now = clock_mono_ms();
	uint16_t reason = 0;
	int err;

	if (code[0] != '*' || code[1] != '2' || code[2] < '1' || code[2] > '4')
		return ENOENT;
	if (code[3] && (code[2] != '2' || code[4]))
		return ENOENT;
	if (u->agent == ACD_NONE || !t->acd)
		return EPERM;
	switch (code[2]) {
	case '1':
		err = acd_agent_set_state(t->acd, u->agent, ACD_STATE_READY, 0, now);
		break;
	case '2':
		if (code[3]) {
			unsigned d = (unsigned)(code[3] - '0');
			if (code[3] < '1' || code[3] > '9' || d > t->reasons.n ||
			    t->reasons.v[d - 1].removed)
				return EINVAL;
			reason = (uint16_t)(d - 1 + ENG_REASON_BASE);
		}
		err = acd_agent_set_state(t->acd, u->agent, ACD_STATE_NOT_READY, reason, now);
		break;
	case '3':
		err = acd_agent_set_state(t->acd, u->agent, ACD_STATE_LOGGED_OUT, 0, now);
		break;
	default:
		err = acd_agent_end_wrap_up(t->acd, u->agent, now);
		if (err == EALREADY)
			err = 0;
		break;
	}
	log_info("engine", "tenant=%s event=feature_code agent=%s code=%s err=%d", t->ct->id,
		 u->cu->username, code, err);
	eng__acd_arm(t);
	return err;
}

int eng__agent_set_state(struct eng_user *u, enum acd_state to, const char *reason)
{
	struct eng_tenant *t = u->t;
	uint16_t r = 0;
	int err;

	if (u->agent == ACD_NONE || !t->acd)
		return EPERM;
	if (reason) {
		int i = eng__code_find(&t->reasons, reason);
		if (i < 0)
			return EINVAL;
		r = (uint16_t)(i + ENG_REASON_BASE);
	}
	err = acd_agent_set_state(t->acd, u->agent, to, r, clock_mono_ms());
	eng__acd_arm(t);
	return err;
}
