/*
 * Control of a call in conversation, for the agent's desktop and the supervisor: hold
 * (music on hold to the customer), mute (silence to the customer in place of the
 * agent), recording pause for card details (silence in the
 * file, marked on the timeline), DTMF to the customer, and a third party rung into the
 * call: a supervisor who listens, whispers to the agent or barges in, a conference
 * guest, or a target the agent consults before completing or cancelling the transfer.
 * Monitoring and conferences move the call into a mixer (media_mix) that records a new
 * segment; a consultation bridges the agent with the target while the customer hears
 * music on hold.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

static void play_loop(struct sip_leg *l, enum media_item_kind kind)
{
	struct media_item it = {.kind = kind, .tone = MEDIA_TONE_RINGBACK};
	struct media_play_req r = {.items = &it, .nitems = 1, .loop = true};

	media_play(sip_leg_media(l), &r);
}

static void event(struct call *c, const char *type)
{
	struct engine *e = c->e;
	const char *agent = eng__call_agent(c);

	if (e->api)
		api_event(e->api, c->t->ct->id, type, agent,
			  json_pack("{s:s, s:s?}", "interaction", c->ix_id, "agent", agent));
}

/* The customer hears silence while the agent is muted: a play on the customer's leg
 * replaces the bridged audio towards it, so the agent's voice never leaves the server. */
static void mute_apply(struct call *c)
{
	if (c->muted && c->a)
		play_loop(c->a, MEDIA_ITEM_SILENCE);
}

int eng__call_hold(struct call *c, bool hold, bool mute_agent)
{
	if (!c->a || !c->b || c->state != CALL_BRIDGED || c->mix)
		return EINVAL;
	if (hold == c->a_held_by_b)
		return EALREADY;
	if (hold) {
		play_loop(c->a, MEDIA_ITEM_TONE);
		if (mute_agent)
			play_loop(c->b, MEDIA_ITEM_SILENCE);
		c->held_since = clock_wall_ms();
		eng__timeline(c, "held", NULL, NULL);
	} else {
		media_play_stop(sip_leg_media(c->a));
		media_play_stop(sip_leg_media(c->b));
		mute_apply(c);
		if (c->held_since)
			c->hold_ms += clock_wall_ms() - c->held_since;
		c->held_since = 0;
		eng__timeline(c, "unheld", NULL, NULL);
	}
	c->a_held_by_b = hold;
	event(c, hold ? "call.held" : "call.resumed");
	return 0;
}

int eng__call_mute(struct call *c, bool mute)
{
	if (!c->a || !c->b || c->state != CALL_BRIDGED || c->mix)
		return EINVAL;
	if (mute == c->muted)
		return EALREADY;
	c->muted = mute;
	/* On hold the customer hears music; the mute takes effect when the hold ends. */
	if (!c->a_held_by_b && !(c->xleg && c->xkind == ENG_X_CONSULT)) {
		if (mute)
			mute_apply(c);
		else
			media_play_stop(sip_leg_media(c->a));
	}
	eng__timeline(c, mute ? "muted" : "unmuted", NULL, NULL);
	event(c, mute ? "call.muted" : "call.unmuted");
	return 0;
}

int eng__call_record_pause(struct call *c, bool paused)
{
	if (!c->a || !c->b || c->state != CALL_BRIDGED || c->mix || !c->recording[0])
		return EINVAL;
	if (paused == c->rec_paused)
		return EALREADY;
	media_record_pause(sip_leg_media(c->a), paused);
	c->rec_paused = paused;
	eng__timeline(c, paused ? "recording_paused" : "recording_resumed", NULL, NULL);
	event(c, paused ? "recording.paused" : "recording.resumed");
	return 0;
}

int eng__call_dtmf(struct call *c, const char *digits)
{
	if (!c->a || c->state != CALL_BRIDGED)
		return EINVAL;
	for (const char *d = digits; *d; d++)
		if (media_send_dtmf(sip_leg_media(c->a), *d, 0))
			return EINVAL;
	eng__timeline(c, "dtmf_sent", "digits", digits);
	return 0;
}

/* ---- a third party ---- */

static const char *const kinds[] = {"", "monitor", "conference", "consult"};
static const char *const modes[] = {"barge", "listen", "whisper"};

int eng__call_extra(struct call *c, enum eng_extra kind, int mode, struct eng_user *u,
		    const char *number, struct eng_user *by)
{
	int err;

	if (!c->a || !c->b || c->state != CALL_BRIDGED)
		return EINVAL;
	if (kind == ENG_X_CONSULT && c->mix)
		return EINVAL;
	if ((err = eng__dial_extra(c, u, number, by)))
		return err;
	c->xkind = kind;
	c->xmode = mode;
	c->xuser = u;
	eng__timeline(c, kinds[kind], kind == ENG_X_MONITOR ? "mode" : "to",
		      kind == ENG_X_MONITOR ? modes[mode]
		      : u		    ? u->cu->username
					    : number);
	log_info("engine", "tenant=%s call=%llu event=%s_ringing to=%s", c->t->ct->id,
		 (unsigned long long)c->id, kinds[kind], u ? u->cu->username : number);
	return 0;
}

/* Puts the call into a mixer (customer and agent at full), recording a new segment. */
static int mix_ensure(struct call *c)
{
	char seg[640];
	int err;

	if (c->mix)
		return 0;
	/* A mute is a play on the customer's leg, which the mixer does not know of: it ends
	 * here, said on the timeline and to the desktop, rather than linger unseen. */
	if (c->muted) {
		c->muted = false;
		media_play_stop(sip_leg_media(c->a));
		eng__timeline(c, "unmuted", NULL, NULL);
		event(c, "call.unmuted");
	}
	err = c->t->ct->record ? eng__recording_path(c->e, c, seg, sizeof(seg)) : ENOENT;
	if ((err = media_mix_create(c->e->media, err ? NULL : seg, &c->mix)))
		return err;
	media_mix_set_owner(c->mix, c->id << 4);
	if (c->t->ct->record)
		eng__timeline(c, "recording", "path", seg);
	if ((err = media_mix_join(c->mix, sip_leg_media(c->a), MEDIA_MIX_FULL, NULL)) ||
	    (err = media_mix_join(c->mix, sip_leg_media(c->b), MEDIA_MIX_FULL, NULL)))
		return err;
	return 0;
}

static int join_extra(struct call *c)
{
	enum media_mix_mode m =
	    c->xkind == ENG_X_CONF ? MEDIA_MIX_FULL : (enum media_mix_mode)c->xmode;
	int err;

	if ((err = mix_ensure(c)))
		return err;
	return media_mix_join(c->mix, sip_leg_media(c->xleg), m,
			      m == MEDIA_MIX_WHISPER ? sip_leg_media(c->b) : NULL);
}

int eng__monitor_mode(struct call *c, int mode)
{
	if (!c->xleg || c->xkind != ENG_X_MONITOR)
		return ENOENT;
	c->xmode = mode;
	eng__timeline(c, "monitor", "mode", modes[mode]);
	return c->xanswered ? join_extra(c) : 0;
}

static void rebridge(struct call *c)
{
	char seg[640];
	int err = c->t->ct->record ? eng__recording_path(c->e, c, seg, sizeof(seg)) : ENOENT;

	media_play_stop(sip_leg_media(c->a));
	mute_apply(c);
	if (media_bridge(sip_leg_media(c->a), sip_leg_media(c->b), err ? NULL : seg) == 0 && !err)
		eng__timeline(c, "recording", "path", seg);
}

void eng__extra_event(struct call *c, const struct sip_event *ev)
{
	struct sip_leg *x = c->xleg;

	if (ev->type == SIP_EV_ANSWERED) {
		c->xanswered = true;
		eng__timeline(c, "third_party_answered", "kind", kinds[c->xkind]);
		if (!c->a || !c->b) {
			sip_leg_hangup(x, 0);
			return;
		}
		if (c->xkind == ENG_X_CONSULT) {
			/* The agent talks to the target; the customer hears music on hold. */
			play_loop(c->a, MEDIA_ITEM_TONE);
			if (media_bridge(sip_leg_media(c->b), sip_leg_media(x), NULL))
				sip_leg_hangup(x, 0);
			return;
		}
		if (join_extra(c)) {
			log_warn("engine", "tenant=%s call=%llu event=mix_failed", c->t->ct->id,
				 (unsigned long long)c->id);
			sip_leg_hangup(x, 0);
		}
		return;
	}
	if (ev->type != SIP_EV_ENDED)
		return;
	c->xleg = NULL;
	eng__timeline(c, "third_party_left", "kind", kinds[c->xkind]);
	if (c->mix)
		media_mix_leave(c->mix, sip_leg_media(x));
	/* A consultation that ended without completing: back to the customer. */
	if (c->xkind == ENG_X_CONSULT && c->a && c->b)
		rebridge(c);
	c->xkind = ENG_X_NONE;
	c->xuser = NULL;
	eng__call_maybe_done(c);
}

int eng__consult_complete(struct call *c)
{
	struct sip_leg *agent = c->b, *x = c->xleg;
	struct eng_user *u = c->xuser;
	char seg[640];
	int err;

	if (!x || c->xkind != ENG_X_CONSULT || !c->xanswered || !c->a || !agent)
		return ENOENT;
	eng__timeline(c, "transferred", "to", u ? u->cu->username : "number");
	eng__ev_contact_with(c, "contact.transferred", NULL,
			     u ? json_pack("{s:s}", "to_agent", u->cu->username) : NULL);
	/* The target takes the agent's place; the agent's leg and its ACD contact end. */
	c->xleg = NULL;
	c->xkind = ENG_X_NONE;
	c->b = x;
	/* The mute was the agent's, who leaves: the target is heard. */
	if (c->muted) {
		c->muted = false;
		eng__timeline(c, "unmuted", NULL, NULL);
	}
	media_play_stop(sip_leg_media(c->a));
	err = c->t->ct->record ? eng__recording_path(c->e, c, seg, sizeof(seg)) : ENOENT;
	if (!media_bridge(sip_leg_media(c->a), sip_leg_media(x), err ? NULL : seg) && !err)
		eng__timeline(c, "recording", "path", seg);
	if (c->contact != ACD_NONE)
		eng__queue_call_ended(c);
	eng__agents_external_off(c);
	if (c->target_user && c->target_user->active_calls)
		c->target_user->active_calls--;
	c->target_user = u;
	if (u) {
		u->active_calls++;
		snprintf(c->agent, sizeof(c->agent), "%s", u->cu->username);
	}
	c->xuser = NULL;
	eng__outbound_leg_ended(c, agent);
	sip_leg_set_cookie(agent, NULL);
	sip_leg_hangup(agent, 0);
	return 0;
}

int eng__consult_cancel(struct call *c)
{
	if (!c->xleg || c->xkind != ENG_X_CONSULT)
		return ENOENT;
	sip_leg_hangup(c->xleg, 0); /* its end re-bridges the customer and the agent */
	return 0;
}
