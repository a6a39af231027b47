/*
 * Calls: the B2BUA between a caller's leg and the legs the engine places for it. A call
 * is routed by its number (to a user now; queues and flows plug in here), rings every
 * registered phone of the target, bridges and records the first that answers, relays
 * hold as music on hold, follows a phone's blind transfer, and writes its interaction
 * when it ends.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

#define LEG_A	  0u
#define LEG_FORK0 1u

static uint64_t owner_of(const struct call *c, unsigned leg)
{
	return c->id << 4 | leg;
}

static void call_hash_put(struct engine *e, struct call *c)
{
	size_t i = c->id & (e->calls_cap - 1);

	c->hnext = e->calls[i];
	e->calls[i] = c;
	e->ncalls++;
}

static void call_hash_del(struct engine *e, struct call *c)
{
	struct call **p = &e->calls[c->id & (e->calls_cap - 1)];

	for (; *p; p = &(*p)->hnext)
		if (*p == c) {
			*p = c->hnext;
			e->ncalls--;
			return;
		}
}

static struct call *call_find(struct engine *e, uint64_t id)
{
	for (struct call *c = e->calls[id & (e->calls_cap - 1)]; c; c = c->hnext)
		if (c->id == id)
			return c;
	return NULL;
}

static struct call *call_new(struct engine *e, struct eng_tenant *t)
{
	struct call *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->timeline = json_array();
	if (!c->timeline) {
		free(c);
		return NULL;
	}
	c->id = ++e->next_call_id;
	c->e = e;
	c->t = t;
	c->state = CALL_ROUTING;
	c->created_ms = clock_wall_ms();
	call_hash_put(e, c);
	e->calls_total++;
	return c;
}

static void call_free(struct call *c)
{
	call_hash_del(c->e, c);
	json_decref(c->timeline);
	free(c);
}

/* The call is over once no leg is left; its interaction is written then. */
static void call_maybe_done(struct call *c)
{
	if (c->a || c->b || c->nforks)
		return;
	if (!c->ended_ms)
		c->ended_ms = clock_wall_ms();
	eng__timeline(c, "ended", "hangup_by", c->hangup_by ? c->hangup_by : "system");
	if (c->target_user && c->target_user->active_calls)
		c->target_user->active_calls--;
	eng__interaction_write(c->e, c);
	call_free(c);
}

/*
 * Cancels every fork but `keep` and detaches it from the call. An INVITE that got no
 * provisional response (a phone gone from the network) cannot be cancelled and ends only
 * by timeout, 32 s later; the call's end, its talk time, its interaction and the agent's
 * busy count must not wait for it. A detached leg's events find no call: its ENDED is
 * ignored, and a 2xx that crossed our CANCEL is hung up (eng__sip_event).
 */
static void forks_cancel(struct call *c, struct sip_leg *keep)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nforks; i++) {
		if (c->forks[i] == keep) {
			c->forks[n++] = keep;
			continue;
		}
		sip_leg_set_cookie(c->forks[i], NULL);
		sip_leg_hangup(c->forks[i], 0);
	}
	c->nforks = n;
}

static void fork_remove(struct call *c, struct sip_leg *l)
{
	for (size_t i = 0; i < c->nforks; i++)
		if (c->forks[i] == l) {
			c->forks[i] = c->forks[--c->nforks];
			return;
		}
}

/* Rings every registered phone of `u` for call c. Returns the number of legs placed. */
static size_t ring_user(struct call *c, struct eng_user *u)
{
	struct engine *e = c->e;
	const char *contacts[ENG_MAX_FORKS];
	const struct media_params *ap = sip_leg_params(c->a);
	size_t n = sip_contacts(e->sip, u->t->ct->domain, u->cu->sip_user ? u->cu->sip_user : "",
				contacts, ENG_MAX_FORKS);
	size_t placed = 0;

	for (size_t i = 0; i < n && c->nforks < ENG_MAX_FORKS; i++) {
		struct sip_dial d = {
		    .uri = contacts[i],
		    .from_user = c->from[0] ? c->from : "anonymous",
		    .from_host = u->t->ct->domain,
		    .first = ap ? ap->codec : MEDIA_CODEC_NONE,
		    .near = sip_leg_media(c->a),
		    .media_owner = owner_of(c, LEG_FORK0 + (unsigned)c->nforks),
		};
		struct sip_leg *l;
		if (sip_leg_dial(e->sip, &d, &l))
			continue;
		sip_leg_set_cookie(l, c);
		c->forks[c->nforks++] = l;
		placed++;
	}
	if (placed) {
		c->target_user = u;
		u->active_calls++;
		c->state = CALL_RINGING;
		if (!c->offered_ms)
			c->offered_ms = clock_wall_ms();
		snprintf(c->agent, sizeof(c->agent), "%s", u->cu->username);
		eng__timeline(c, "offered", "agent", u->cu->username);
		log_info("engine", "tenant=%s call=%llu event=ringing user=%s legs=%zu",
			 u->t->ct->id, (unsigned long long)c->id, u->cu->username, placed);
	}
	return placed;
}

/* Routes a call (new, or transferred) to the target of a number or a user. */
static int route_user(struct call *c, struct eng_user *u)
{
	if (!u->cu->sip_user || !ring_user(c, u)) {
		log_info("engine", "tenant=%s call=%llu event=unavailable user=%s", c->t->ct->id,
			 (unsigned long long)c->id, u->cu->username);
		return ENOENT;
	}
	return 0;
}

/* A new call in tenant t for the caller's leg; NULL (the leg rejected) when out of memory. */
static struct call *call_start(struct engine *e, struct eng_tenant *t, struct sip_leg *leg,
			       const struct sip_invite_info *info)
{
	struct call *c = call_new(e, t);

	if (!c) {
		sip_leg_reject(leg, 500, "Server Error");
		return NULL;
	}
	c->a = leg;
	sip_leg_set_cookie(leg, c);
	sip_leg_set_media_owner(leg, owner_of(c, LEG_A));
	snprintf(c->from, sizeof(c->from), "%s", info->from_user);
	snprintf(c->to, sizeof(c->to), "%s", info->to_user);
	eng__timeline(c, "created", "from", c->from);
	return c;
}

void eng__incoming(void *arg, struct sip_leg *leg, const struct sip_invite_info *info)
{
	struct engine *e = arg;
	struct eng_tenant *t = eng__tenant_by_host(e, info->req_host);
	const struct cfg_number *num = eng__number(e, &t, info->to_user);
	struct eng_user *caller = info->auth_cookie;
	struct call *c;

	if (!num) {
		/* Not one of ours: only an authenticated phone user may go further (to a
		 * colleague by username or, later, out through a trunk). */
		struct eng_tenant *ft = eng__tenant_by_host(e, info->from_host);
		struct eng_user *callee = NULL;
		if (ft && strmap_get2(e->sip_users, ft->ct->domain, info->from_user) && !caller) {
			sip_leg_challenge(leg, ft->ct->domain);
			return;
		}
		if (caller)
			callee = strmap_get2(e->usernames, caller->t->ct->id, info->to_user);
		if (!callee) {
			log_info("engine", "event=rejected status=404 number=%s source=%s",
				 info->to_user, info->source);
			sip_leg_reject(leg, 404, "Not Found");
			return;
		}
		c = call_start(e, caller->t, leg, info);
		if (!c)
			return;
		if (route_user(c, callee)) {
			c->hangup_by = "system";
			sip_leg_reject(leg, 480, "Temporarily Unavailable");
		}
		return;
	}
	c = call_start(e, t, leg, info);
	if (!c)
		return;
	snprintf(c->number, sizeof(c->number), "%s", num->number);
	log_info("engine", "tenant=%s call=%llu event=incoming from=%s number=%s source=%s",
		 t->ct->id, (unsigned long long)c->id, c->from, c->number, info->source);
	switch (num->target.kind) {
	case CFG_TARGET_USER: {
		struct eng_user *u = strmap_get2(e->usernames, t->ct->id, num->target.value);
		if (!u || route_user(c, u)) {
			c->hangup_by = "system";
			sip_leg_reject(leg, 480, "Temporarily Unavailable");
		}
		return;
	}
	default:
		c->hangup_by = "system";
		eng__timeline(c, "rejected", "reason", "route not available");
		sip_leg_reject(leg, 503, "Service Unavailable");
		return;
	}
}

static void bridge(struct call *c, struct sip_leg *b)
{
	struct engine *e = c->e;
	int err;

	forks_cancel(c, b);
	fork_remove(c, b);
	c->b = b;
	if (c->state == CALL_RINGING && sip_leg_answer(c->a)) {
		log_warn("engine", "call=%llu event=answer_failed", (unsigned long long)c->id);
		sip_leg_hangup(b, 0);
		sip_leg_hangup(c->a, 500);
		return;
	}
	c->state = CALL_BRIDGED;
	if (!c->answered_ms)
		c->answered_ms = clock_wall_ms();
	e->calls_answered++;
	err = c->t->ct->record ? eng__recording_path(e, c) : ENOENT;
	if (media_bridge(sip_leg_media(c->a), sip_leg_media(b), err ? NULL : c->recording)) {
		log_error("engine", "call=%llu event=bridge_failed", (unsigned long long)c->id);
		c->recording[0] = '\0';
	}
	eng__timeline(c, "answered", "agent", c->agent);
	log_info("engine", "tenant=%s call=%llu event=bridged agent=%s recording=%s", c->t->ct->id,
		 (unsigned long long)c->id, c->agent, c->recording);
}

static void on_b_ended(struct call *c, struct sip_leg *l, const struct sip_event *ev)
{
	if (l == c->b) {
		c->b = NULL;
		if (c->a) {
			if (!c->hangup_by)
				c->hangup_by = ev->by_peer ? "agent" : "system";
			sip_leg_hangup(c->a, 0);
		}
		return;
	}
	fork_remove(c, l);
	if (ev->status > 0 && (c->best_fail == 0 || ev->status == 486 || ev->status < c->best_fail))
		c->best_fail = ev->status;
	if (ev->status)
		eng__timeline(c, "offer_failed", "status",
			      ev->status == 486 ? "486" : (ev->status == 487 ? "487" : "failed"));
	if (!c->nforks && !c->b && c->a && c->state == CALL_RINGING) {
		int st = c->best_fail == 486 ? 486 : (c->best_fail == 603 ? 603 : 480);
		c->hangup_by = "system";
		sip_leg_hangup(c->a, st);
	}
}

void eng__sip_event(void *arg, struct sip_leg *leg, const struct sip_event *ev)
{
	struct call *c = sip_leg_cookie(leg);

	if (!c) {
		/* A cancelled fork whose phone answered before our CANCEL reached it. */
		if (ev->type == SIP_EV_ANSWERED)
			sip_leg_hangup(leg, 0);
		return;
	}
	switch (ev->type) {
	case SIP_EV_PROGRESS:
		if (leg != c->a && c->state == CALL_RINGING)
			sip_leg_progress(c->a, 180, false);
		return;
	case SIP_EV_ANSWERED:
		if (leg == c->b)
			return;
		if (c->b || !c->a) {
			sip_leg_hangup(leg, 0);
			return;
		}
		bridge(c, leg);
		return;
	case SIP_EV_CONFIRMED:
		return;
	case SIP_EV_MEDIA:
		if (leg == c->b && c->a && c->state == CALL_BRIDGED) {
			bool hold = ev->dir == MEDIA_DIR_RECVONLY || ev->dir == MEDIA_DIR_INACTIVE;
			if (hold && !c->a_held_by_b) {
				struct media_item moh = {.kind = MEDIA_ITEM_TONE,
							 .tone = MEDIA_TONE_RINGBACK};
				struct media_play_req r = {
				    .items = &moh, .nitems = 1, .loop = true};
				media_play(sip_leg_media(c->a), &r);
				eng__timeline(c, "held", NULL, NULL);
			} else if (!hold && c->a_held_by_b) {
				media_play_stop(sip_leg_media(c->a));
				eng__timeline(c, "unheld", NULL, NULL);
			}
			c->a_held_by_b = hold;
		}
		return;
	case SIP_EV_DTMF:
		log_info("engine", "call=%llu event=digit digit=%c via=info",
			 (unsigned long long)c->id, ev->digit);
		return;
	case SIP_EV_REFER:
		if (leg == c->b && c->a) {
			struct eng_user *u =
			    strmap_get2(c->e->usernames, c->t->ct->id, ev->refer_user);
			struct eng_tenant *t = c->t;
			const struct cfg_number *n =
			    u ? NULL : eng__number(c->e, &t, ev->refer_user);
			if (!u && n && n->target.kind == CFG_TARGET_USER)
				u = strmap_get2(c->e->usernames, c->t->ct->id, n->target.value);
			if (!u) {
				sip_leg_refer_result(leg, 404);
				return;
			}
			eng__timeline(c, "transferred", "to", u->cu->username);
			sip_leg_refer_result(leg, 200);
			media_unbridge(sip_leg_media(c->a));
			c->b = NULL;
			sip_leg_hangup(leg, 0);
			c->state = CALL_RINGING;
			if (c->target_user && c->target_user->active_calls)
				c->target_user->active_calls--;
			c->target_user = NULL;
			if (route_user(c, u)) {
				c->hangup_by = "system";
				sip_leg_hangup(c->a, 480);
			}
		}
		return;
	case SIP_EV_ENDED:
		if (leg == c->a) {
			c->a = NULL;
			if (!c->hangup_by)
				c->hangup_by = ev->by_peer ? "caller" : "system";
			if (c->b)
				sip_leg_hangup(c->b, 0);
			forks_cancel(c, NULL);
		} else {
			on_b_ended(c, leg, ev);
		}
		call_maybe_done(c);
		return;
	}
}

void eng__media_event(struct engine *e, const struct media_event *ev)
{
	struct call *c = call_find(e, ev->owner >> 4);

	if (!c)
		return;
	switch (ev->type) {
	case MEDIA_EV_DIGIT:
		log_info("engine", "tenant=%s call=%llu event=digit digit=%c leg=%u", c->t->ct->id,
			 (unsigned long long)c->id, ev->digit, (unsigned)(ev->owner & 15));
		eng__timeline(c, "digit", "digit", (char[]){ev->digit, 0});
		return;
	case MEDIA_EV_RTP_TIMEOUT:
		log_warn("engine", "tenant=%s call=%llu event=rtp_timeout", c->t->ct->id,
			 (unsigned long long)c->id);
		c->hangup_by = "system";
		if (c->a)
			sip_leg_hangup(c->a, 0);
		if (c->b)
			sip_leg_hangup(c->b, 0);
		return;
	default:
		return;
	}
}

void eng__calls_hangup_all(struct engine *e)
{
	for (size_t i = 0; i < e->calls_cap; i++)
		for (struct call *c = e->calls[i]; c; c = c->hnext) {
			c->hangup_by = "system";
			if (c->a)
				sip_leg_hangup(c->a, 503);
			if (c->b)
				sip_leg_hangup(c->b, 0);
			forks_cancel(c, NULL);
		}
}
