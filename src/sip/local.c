/*
 * Local legs (sip.h): legs that are no SIP dialog, for the browser phone, whose
 * signalling goes over the events WebSocket and whose media session, made for the
 * agent's login, outlives every call. To the engine they look like the legs it places
 * to phones: they ring, answer (SIP_EV_ANSWERED) and end (SIP_EV_ENDED), so queues,
 * hold, recording and transfers treat both kinds alike. An end is delivered from a
 * timer, never from inside the call that caused it, as a dialog's end comes from the
 * stack.
 */
#include "sip/sip_int.h"

#include <errno.h>
#include <string.h>

#include "core/log.h"

static void local_ended(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	struct sip_leg *l = (struct sip_leg *)arg;
	struct sip_event ev = {.type = SIP_EV_ENDED};
	sip_local_gone_h *gone = l->local_gone;
	void *garg = l->local_arg;

	(void)magic;
	(void)t;
	ev.status = l->final_status;
	ev.by_peer = l->by_peer;
	ev.reason = l->by_peer ? "phone" : "hangup";
	sip__leg_emit(l, &ev);
	if (gone)
		gone(garg, l, l->by_peer);
	sip__leg_free(l);
}

int sip_leg_local(struct sip *s, struct media_session *ms, const struct media_params *p,
		  sip_local_gone_h *gone, void *arg, struct sip_leg **out)
{
	struct sip_leg *l = sip__leg_new(s, NULL, false);

	if (!l)
		return ENOMEM;
	l->local = true;
	l->local_timer = su_timer_create(su_root_task(s->root), 0);
	if (!l->local_timer) {
		sip__leg_free(l);
		return ENOMEM;
	}
	l->ms = ms;
	l->params = *p;
	memset(&l->params.srtp, 0, sizeof(l->params.srtp)); /* DTLS-SRTP is the session's */
	l->have_params = true;
	l->state = LEG_EARLY;
	l->local_gone = gone;
	l->local_arg = arg;
	*out = l;
	return 0;
}

bool sip_leg_is_local(const struct sip_leg *l)
{
	return l->local;
}

void sip_leg_local_adopt(struct sip_leg *l)
{
	if (l->local)
		l->local_owns_ms = true;
}

bool sip_leg_answered(const struct sip_leg *l)
{
	return l->state == LEG_ANSWERED || l->state == LEG_CONFIRMED;
}

int sip_leg_local_answer(struct sip_leg *l)
{
	struct sip_event ev = {.type = SIP_EV_ANSWERED};

	if (!l->local || l->state != LEG_EARLY)
		return EINVAL;
	l->state = LEG_CONFIRMED;
	sip__leg_emit(l, &ev);
	return 0;
}

static void local_end(struct sip_leg *l)
{
	l->state = LEG_ENDING;
	/* Its media session stays the phone's: it leaves the call's bridge now. */
	media_unbridge(l->ms);
	media_play_stop(l->ms);
	su_timer_set_interval(l->local_timer, local_ended, l, 0);
}

int sip_leg_local_end(struct sip_leg *l, int status)
{
	if (!l->local || l->state == LEG_ENDING)
		return EINVAL;
	l->by_peer = true;
	if (l->state == LEG_EARLY)
		l->final_status = status ? status : 603;
	local_end(l);
	return 0;
}

void sip__local_hangup(struct sip_leg *l)
{
	if (l->state == LEG_EARLY)
		l->final_status = 487;
	local_end(l);
}

void sip__local_free(struct sip_leg *l)
{
	if (l->local_timer) {
		su_timer_destroy(l->local_timer);
		l->local_timer = NULL;
	}
	if (l->ms && l->local_owns_ms) {
		media_session_free(l->ms);
	} else if (l->ms && l->state != LEG_ENDING) {
		media_unbridge(l->ms);
		media_play_stop(l->ms);
	}
	l->ms = NULL;
}
