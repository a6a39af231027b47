/*
 * Calls: the B2BUA between a caller's leg and the legs the engine places for it. A call
 * is routed by its number: to a user (every registered phone of the user rings, the
 * first to answer is bridged and recorded), to a queue (answered, music on hold, offers
 * from the ACD glue in queue.c) or to a flow (answered, driven by flow.c). Hold is
 * relayed as music on hold, a phone's blind transfer is followed, a phone's feature
 * codes change its agent state, and the interaction is written when the call ends.
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
#define LEG_EXTRA 15u	      /* a third party: supervisor, conference guest, consulted target */
#define PLAY_CALL 0x80000000u /* ids of plays started here and in queue.c */

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

struct call *eng__call_find(struct engine *e, uint64_t id)
{
	for (struct call *c = e->calls[id & (e->calls_cap - 1)]; c; c = c->hnext)
		if (c->id == id)
			return c;
	return NULL;
}

struct call *eng__call_new(struct engine *e, struct eng_tenant *t)
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
	c->contact = ACD_NONE;
	c->num_priority = -1;
	c->created_ms = clock_wall_ms();
	crm_id_new(c->ix_id); /* known from the start: events and the API name it */
	call_hash_put(e, c);
	e->calls_total++;
	return c;
}

static void call_free_unhashed(struct call *c);

static void call_free(struct call *c)
{
	call_hash_del(c->e, c);
	call_free_unhashed(c);
}

static void call_free_unhashed(struct call *c)
{
	eng__outbound_release(c);
	if (c->mix)
		media_mix_free(c->mix);
	if (c->agent[0]) {
		/* The agent's "current call" must never point at a freed call. */
		struct eng_user *u = strmap_get2(c->e->usernames, c->t->ct->id, c->agent);
		if (u && u->cur == c)
			u->cur = NULL;
	}
	json_decref(c->timeline);
	json_decref(c->ivr_vars);
	json_decref(c->ivr_path);
	free(c->notes);
	free(c->contact_json);
	free(c->contact_history);
	free(c);
}

void eng__call_wrapped(struct call *c, int64_t now)
{
	c->wrapup_ms = now > c->ended_ms ? now - c->ended_ms : 0;
	eng__timeline(c, "wrap_up_ended", "agent", c->agent);
	eng__interaction_write(c->e, c);
	call_free_unhashed(c);
}

void eng__call_maybe_done(struct call *c)
{
	struct eng_user *wrap = NULL;

	if (c->a || c->b || c->nforks || c->xleg)
		return;
	/* A virtual-hold caller who left keeps the place: the call lives on, legless. */
	if (c->callback && c->contact != ACD_NONE && !c->answered_ms)
		return;
	if (c->ivr)
		eng__flow_end(c);
	if (c->contact != ACD_NONE)
		wrap = eng__queue_call_ended(c);
	eng__agents_external_off(c);
	if (c->held_since) {
		c->hold_ms += clock_wall_ms() - c->held_since;
		c->held_since = 0;
	}
	if (!c->ended_ms)
		c->ended_ms = clock_wall_ms();
	if (c->att)
		eng__camp_call_ended(c);
	if (c->target_user && c->target_user->active_calls)
		c->target_user->active_calls--;
	if (c->state != CALL_FEATURE) {
		eng__timeline(c, "ended", "hangup_by", c->hangup_by ? c->hangup_by : "system");
		eng__interaction_write(c->e, c);
		eng__ev_contact(c, "contact.ended", NULL);
	}
	if (wrap && c->state != CALL_FEATURE) {
		/* Written now (crash-safe); written again with the wrap-up when it ends. */
		if (wrap->wrap_call)
			eng__call_wrapped(wrap->wrap_call, clock_wall_ms());
		wrap->wrap_call = c;
		call_hash_del(c->e, c);
		return;
	}
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
			c->fork_user[n] = c->fork_user[i];
			c->forks[n++] = keep;
			continue;
		}
		eng__outbound_leg_ended(c, c->forks[i]);
		sip_leg_set_cookie(c->forks[i], NULL);
		sip_leg_hangup(c->forks[i], 0);
	}
	c->nforks = n;
}

void eng__forks_cancel_user(struct call *c, struct eng_user *u)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nforks; i++) {
		if (u && c->fork_user[i] != u) {
			c->fork_user[n] = c->fork_user[i];
			c->forks[n++] = c->forks[i];
			continue;
		}
		eng__outbound_leg_ended(c, c->forks[i]);
		sip_leg_set_cookie(c->forks[i], NULL);
		sip_leg_hangup(c->forks[i], 0);
	}
	c->nforks = n;
}

struct eng_user *eng__fork_remove(struct call *c, struct sip_leg *l)
{
	for (size_t i = 0; i < c->nforks; i++)
		if (c->forks[i] == l) {
			struct eng_user *u = c->fork_user[i];
			c->nforks--;
			c->forks[i] = c->forks[c->nforks];
			c->fork_user[i] = c->fork_user[c->nforks];
			return u;
		}
	return NULL;
}

static struct eng_user *fork_user(const struct call *c, const struct sip_leg *l)
{
	for (size_t i = 0; i < c->nforks; i++)
		if (c->forks[i] == l)
			return c->fork_user[i];
	return NULL;
}

static bool user_ringing(const struct call *c, const struct eng_user *u)
{
	for (size_t i = 0; i < c->nforks; i++)
		if (c->fork_user[i] == u)
			return true;
	return false;
}

/* The leg the engine's other legs are placed near (same media worker). */
static struct sip_leg *anchor_leg(const struct call *c)
{
	return c->a ? c->a : c->b;
}

/* Places one more fork of call c with d's URI, From and credentials; its media is offered
 * near the call's other leg with that leg's codec first. 0 or the dial's errno. */
static int fork_dial(struct call *c, struct sip_dial *d, struct eng_user *u)
{
	struct sip_leg *anchor = anchor_leg(c), *l;
	const struct media_params *ap = anchor ? sip_leg_params(anchor) : NULL;
	int err;

	if (c->nforks >= ENG_MAX_FORKS)
		return ENOSPC;
	d->first = ap ? ap->codec : MEDIA_CODEC_NONE;
	d->near = anchor ? sip_leg_media(anchor) : NULL;
	d->media_owner = owner_of(c, LEG_FORK0 + (unsigned)c->nforks);
	if ((err = sip_leg_dial(c->e->sip, d, &l)))
		return err;
	sip_leg_set_cookie(l, c);
	c->fork_user[c->nforks] = u;
	c->forks[c->nforks++] = l;
	return 0;
}

int eng__dial_extra(struct call *c, struct eng_user *u, const char *number, struct eng_user *by)
{
	const char *contacts[1];
	const struct cfg_trunk *tk = NULL;
	struct sip_leg *anchor = anchor_leg(c), *l;
	const struct media_params *ap = anchor ? sip_leg_params(anchor) : NULL;
	char uri[320];
	struct sip_dial d = {.from_host = c->t->ct->domain};
	int err;

	if (c->xleg)
		return EBUSY;
	if (u && eng__phone_up(u)) {
		/* The third party's browser phone: rung as its SIP phone would be. */
		if ((err = eng__phone_ring(c, u, &l)))
			return err;
		sip_leg_set_cookie(l, c);
		c->xleg = l;
		c->xanswered = false;
		return 0;
	}
	if (u) {
		if (!u->cu->sip_user ||
		    !sip_contacts(c->e->sip, c->t->ct->domain, u->cu->sip_user, contacts, 1))
			return ENOENT;
		d.uri = contacts[0];
		d.from_user = c->from[0] ? c->from : "anonymous";
		d.srtp = eng__srtp_mode(c->t->ct, NULL);
	} else {
		if (!(tk = eng__trunk_choose(c->t->ct, number, NULL)) || !number || !number[0])
			return ENOENT;
		if ((err = eng__outbound_check(c, number, ENG_VIA_API, by)))
			return err;
		snprintf(uri, sizeof(uri), "sip:%s@%s", number,
			 strncmp(tk->uri, "sip:", 4) ? tk->uri : tk->uri + 4);
		d.uri = uri;
		d.from_user = tk->caller_id ? tk->caller_id : (c->from[0] ? c->from : "anonymous");
		d.auth_user = tk->username;
		d.auth_pass = tk->password;
		d.srtp = eng__srtp_mode(c->t->ct, tk);
	}
	d.first = ap ? ap->codec : MEDIA_CODEC_NONE;
	d.near = anchor ? sip_leg_media(anchor) : NULL;
	d.media_owner = owner_of(c, LEG_EXTRA);
	if ((err = sip_leg_dial(c->e->sip, &d, &l))) {
		if (tk)
			eng__outbound_unplaced(c);
		return err;
	}
	if (tk)
		eng__outbound_placed(c, l);
	sip_leg_set_cookie(l, c);
	c->xleg = l;
	c->xanswered = false;
	return 0;
}

/* Rings u's browser phone as one more fork of c; true when placed. */
static bool ring_phone(struct call *c, struct eng_user *u)
{
	struct sip_leg *l;

	if (c->nforks >= ENG_MAX_FORKS || eng__phone_ring(c, u, &l))
		return false;
	sip_leg_set_cookie(l, c);
	c->fork_user[c->nforks] = u;
	c->forks[c->nforks++] = l;
	if (!c->offered_ms)
		c->offered_ms = clock_wall_ms();
	return true;
}

size_t eng__ring_user(struct call *c, struct eng_user *u)
{
	const char *contacts[ENG_MAX_FORKS];
	size_t n;
	size_t placed = 0;

	/* While the browser phone is up, it is the agent's phone. */
	if (eng__phone_up(u))
		return ring_phone(c, u) ? 1 : 0;
	n = sip_contacts(c->e->sip, u->t->ct->domain, u->cu->sip_user ? u->cu->sip_user : "",
			 contacts, ENG_MAX_FORKS);

	for (size_t i = 0; i < n && c->nforks < ENG_MAX_FORKS; i++) {
		struct sip_dial d = {
		    .uri = contacts[i],
		    /* A campaign's agent sees the lead's number, not the campaign's own. */
		    .from_user = c->att	      ? c->to
				 : c->from[0] ? c->from
					      : "anonymous",
		    .from_host = u->t->ct->domain,
		    /* Click-to-dial: the phones that honour it answer by themselves. */
		    .extra_headers = c->click ? ENG_AUTO_ANSWER_HEADERS : NULL,
		    .srtp = eng__srtp_mode(u->t->ct, NULL),
		};
		if (fork_dial(c, &d, u)) {
			log_warn("engine", "tenant=%s call=%llu event=dial_failed user=%s",
				 u->t->ct->id, (unsigned long long)c->id, u->cu->username);
			continue;
		}
		placed++;
	}
	if (placed && !c->offered_ms)
		c->offered_ms = clock_wall_ms();
	return placed;
}

/* Routes a call (new, transferred or overflowed) to a user's phones. */
int eng__route_user(struct call *c, struct eng_user *u)
{
	size_t placed = u->cu->sip_user || eng__phone_up(u) ? eng__ring_user(c, u) : 0;

	if (!placed) {
		log_info("engine", "tenant=%s call=%llu event=unavailable user=%s", c->t->ct->id,
			 (unsigned long long)c->id, u->cu->username);
		return ENOENT;
	}
	c->target_user = u;
	u->active_calls++;
	c->state = CALL_RINGING;
	snprintf(c->agent, sizeof(c->agent), "%s", u->cu->username);
	eng__timeline(c, "offered", "agent", u->cu->username);
	log_info("engine", "tenant=%s call=%llu event=ringing user=%s legs=%zu", u->t->ct->id,
		 (unsigned long long)c->id, u->cu->username, placed);
	return 0;
}

int eng__dial_out(struct call *c, const char *number, const char *trunk, enum eng_via via,
		  struct eng_user *user)
{
	const struct cfg_trunk *tk = eng__trunk_choose(c->t->ct, number, trunk);
	char uri[320];
	int err;

	if (!tk || !number || !number[0])
		return ENOENT;
	if (c->nforks >= ENG_MAX_FORKS)
		return ENOSPC;
	if ((err = eng__outbound_check(c, number, via, user)))
		return err;
	/* The trunk's URI is "sip:host[:port]": the number goes in front of the host. */
	snprintf(uri, sizeof(uri), "sip:%s@%s", number,
		 strncmp(tk->uri, "sip:", 4) ? tk->uri : tk->uri + 4);
	struct sip_dial d = {
	    .uri = uri,
	    /* A campaign's own caller ID goes before the trunk's. */
	    .from_user = via == ENG_VIA_CAMPAIGN && c->from[0] ? c->from
			 : tk->caller_id		       ? tk->caller_id
			 : c->from[0]			       ? c->from
							       : "anonymous",
	    .from_host = c->t->ct->domain,
	    .auth_user = tk->username,
	    .auth_pass = tk->password,
	    .srtp = eng__srtp_mode(c->t->ct, tk),
	};
	if ((err = fork_dial(c, &d, NULL))) {
		eng__outbound_unplaced(c);
		log_warn("engine", "tenant=%s call=%llu event=dial_failed trunk=%s err=%s",
			 c->t->ct->id, (unsigned long long)c->id, tk->id, strerror(err));
		return err;
	}
	eng__outbound_placed(c, c->forks[c->nforks - 1]);
	if (!c->callback)
		c->state = CALL_RINGING;
	eng__timeline(c, "dialled", "number", number);
	log_info("engine", "tenant=%s call=%llu event=dialled trunk=%s", c->t->ct->id,
		 (unsigned long long)c->id, tk->id);
	return 0;
}

int eng__call_answer(struct call *c)
{
	int err;

	if (c->a_answered)
		return 0;
	if (!c->a)
		return ENOENT;
	/* Ringing first, as phones and trunks expect before a 200 they did not ring for. */
	sip_leg_progress(c->a, 180, false);
	if ((err = sip_leg_answer(c->a)))
		return err;
	c->a_answered = true;
	return 0;
}

void eng__call_hangup(struct call *c, int status, const char *by)
{
	if (!c->hangup_by)
		c->hangup_by = by;
	if (c->a)
		sip_leg_hangup(c->a, status ? status : 503);
	if (c->b)
		sip_leg_hangup(c->b, 0);
	forks_cancel(c, NULL);
}

void eng__play_then_hangup(struct call *c, const struct media_item *items, size_t n)
{
	if (!c->a || !(c->bye_play = eng__play(c, items, n, false)))
		eng__call_hangup(c, 0, "system");
}

uint32_t eng__play(struct call *c, const struct media_item *items, size_t n, bool loop)
{
	struct sip_leg *l = c->a ? c->a : c->b;
	struct media_play_req r = {.items = items, .nitems = n, .loop = loop};

	if (!l)
		return 0;
	r.id = PLAY_CALL | (++c->play_seq & ~PLAY_CALL);
	if (media_play(sip_leg_media(l), &r))
		return 0;
	return r.id;
}

/* A new call in tenant t for the caller's leg; NULL (the leg rejected) when out of memory. */
static struct call *call_start(struct engine *e, struct eng_tenant *t, struct sip_leg *leg,
			       const struct sip_invite_info *info)
{
	struct call *c = eng__call_new(e, t);

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

/* A phone dialled a feature code: answered, a short prompt, then hung up. */
static void feature_call(struct engine *e, struct eng_user *u, struct sip_leg *leg,
			 const struct sip_invite_info *info)
{
	int err = eng__agent_feature(u, info->to_user);
	struct call *c;
	struct media_item it = {.kind = MEDIA_ITEM_FILE};
	char path[512];

	if (err == EPERM) {
		sip_leg_reject(leg, 403, "Not an Agent");
		return;
	}
	if (err) {
		sip_leg_reject(leg, 404, "Not Found");
		return;
	}
	if (!(c = call_start(e, u->t, leg, info)))
		return;
	c->state = CALL_FEATURE;
	it.path =
	    ivr_prompt_path(path, sizeof(path), e->cfg->prompts,
			    u->cu->language ? u->cu->language : u->t->ct->language, "thank-you");
	if (eng__call_answer(c))
		eng__call_hangup(c, 0, "system");
	else
		eng__play_then_hangup(c, &it, 1);
}

/* A number an agent's phone may dial out: digits, optionally after a '+'. */
static bool dialable(const char *s)
{
	size_t n = 0;

	if (*s == '+')
		s++;
	for (; *s; s++, n++)
		if (*s < '0' || *s > '9')
			return false;
	return n >= 2 && n <= 20;
}

/* An authenticated phone dials an outside number: out through the tenant's first trunk.
 * Only this path reaches a trunk from a phone, and only after digest authentication. */
static void outbound_call(struct engine *e, struct eng_user *u, struct sip_leg *leg,
			  const struct sip_invite_info *info)
{
	struct call *c = call_start(e, u->t, leg, info);
	int err;

	if (!c)
		return;
	c->caller_user = u;
	c->outbound = true;
	snprintf(c->from, sizeof(c->from), "%s", u->cu->username);
	snprintf(c->agent, sizeof(c->agent), "%s", u->cu->username);
	log_info("engine", "tenant=%s call=%llu event=outbound user=%s", u->t->ct->id,
		 (unsigned long long)c->id, u->cu->username);
	if ((err = eng__dial_out(c, info->to_user, NULL, ENG_VIA_PHONE, u))) {
		c->hangup_by = "system";
		if (err == EPERM)
			sip_leg_reject(leg, 403, "Outbound Call Refused");
		else
			sip_leg_reject(leg, 503, "Service Unavailable");
	}
}

void eng__incoming(void *arg, struct sip_leg *leg, const struct sip_invite_info *info)
{
	struct engine *e = arg;
	struct eng_tenant *t = eng__tenant_by_host(e, info->req_host);
	const struct cfg_number *num = eng__number(e, &t, info->to_user);
	struct eng_user *caller = info->auth_cookie;
	struct call *c;
	int err;

	if (eng__drain_refuse(e, leg, info))
		return;
	if (eng__srtp_refused(num ? t->ct : caller ? caller->t->ct : NULL, leg, info))
		return;
	if (!num) {
		/* Not one of ours: only an authenticated phone user may go further (to a
		 * colleague by username, a feature code or, later, out through a trunk). */
		struct eng_tenant *ft = eng__tenant_by_host(e, info->from_host);
		struct eng_user *callee = NULL;
		if (ft && strmap_get2(e->sip_users, ft->ct->domain, info->from_user) && !caller) {
			sip_leg_challenge(leg, ft->ct->domain);
			return;
		}
		if (caller && info->to_user[0] == '*') {
			feature_call(e, caller, leg, info);
			return;
		}
		if (caller)
			callee = strmap_get2(e->usernames, caller->t->ct->id, info->to_user);
		if (!callee && caller && caller->t->ct->ntrunks && dialable(info->to_user)) {
			outbound_call(e, caller, leg, info);
			return;
		}
		if (!callee) {
			log_info("engine", "event=rejected status=404 number=%s source=%s",
				 info->to_user, info->source);
			sip_leg_reject(leg, 404, "Not Found");
			return;
		}
		c = call_start(e, caller->t, leg, info);
		if (!c)
			return;
		c->caller_user = caller;
		if (eng__route_user(c, callee)) {
			c->hangup_by = "system";
			sip_leg_reject(leg, 480, "Temporarily Unavailable");
		}
		return;
	}
	if (!caller && eng__inbound_restricted(t->ct) &&
	    !eng__trunk_of_source(t->ct, info->source)) {
		/* The tenant's carriers send from fixed addresses: anyone else must be one of
		 * its phones, and prove it. */
		if (strmap_get2(e->sip_users, t->ct->domain, info->from_user)) {
			sip_leg_challenge(leg, t->ct->domain);
			return;
		}
		log_warn("engine",
			 "tenant=%s event=rejected status=403 reason=not_from_trunk number=%s "
			 "source=%s",
			 t->ct->id, info->to_user, info->source);
		sip_leg_reject(leg, 403, "Forbidden");
		return;
	}
	c = call_start(e, t, leg, info);
	if (!c)
		return;
	snprintf(c->number, sizeof(c->number), "%s", num->number);
	c->num_priority = (int)num->priority;
	eng__call_identity(c, info);
	/* The caller's CRM contact, looked up (or created) on the store's reader thread. */
	if (c->from[0] && e->store &&
	    store_contact_lookup(e->store, t->ct->id, c->from,
				 STORE_LOOKUP_HISTORY |
				     (t->ct->create_contacts ? STORE_LOOKUP_CREATE : 0),
				 e->store_events, c->id))
		log_warn("engine", "tenant=%s call=%llu event=contact_lookup_failed", t->ct->id,
			 (unsigned long long)c->id);
	log_info("engine", "tenant=%s call=%llu event=incoming from=%s number=%s source=%s",
		 t->ct->id, (unsigned long long)c->id, c->from, c->number, info->source);
	switch (num->target.kind) {
	case CFG_TARGET_USER: {
		struct eng_user *u = strmap_get2(e->usernames, t->ct->id, num->target.value);
		if (!u || eng__route_user(c, u)) {
			c->hangup_by = "system";
			sip_leg_reject(leg, 480, "Temporarily Unavailable");
		}
		return;
	}
	case CFG_TARGET_QUEUE:
		if ((err = eng__call_answer(c)) ||
		    (err = eng__queue_enter(c, eng__queue(e, t, num->target.value), -1, NULL, 0)))
			break;
		return;
	case CFG_TARGET_FLOW:
		if ((err = eng__call_answer(c)))
			break;
		c->state = CALL_IVR;
		if ((err = eng__flow_enter(c, num->target.value)))
			break;
		return;
	default:
		err = ENOSYS;
		break;
	}
	log_warn("engine", "tenant=%s call=%llu event=route_failed err=%s", t->ct->id,
		 (unsigned long long)c->id, strerror(err));
	eng__timeline(c, "rejected", "reason", "route not available");
	c->hangup_by = "system";
	if (c->a_answered)
		sip_leg_hangup(leg, 0);
	else
		sip_leg_reject(leg, 503, "Service Unavailable");
}

void eng__bridge(struct call *c, struct sip_leg *b)
{
	struct engine *e = c->e;
	char seg[640];
	int err;

	forks_cancel(c, b);
	eng__fork_remove(c, b);
	c->b = b;
	if (!c->a_answered && eng__call_answer(c)) {
		log_warn("engine", "call=%llu event=answer_failed", (unsigned long long)c->id);
		sip_leg_hangup(b, 0);
		sip_leg_hangup(c->a, 500);
		return;
	}
	/* Music on hold, an announcement or a prompt may be playing to either side. */
	media_play_stop(sip_leg_media(c->a));
	media_play_stop(sip_leg_media(b));
	c->announce_play = 0;
	c->state = CALL_BRIDGED;
	if (!c->answered_ms)
		c->answered_ms = clock_wall_ms();
	e->calls_answered++;
	err = c->t->ct->record ? eng__recording_path(e, c, seg, sizeof(seg)) : ENOENT;
	if (media_bridge(sip_leg_media(c->a), sip_leg_media(b), err ? NULL : seg)) {
		log_error("engine", "call=%llu event=bridge_failed", (unsigned long long)c->id);
		err = EIO;
	}
	if (!err) {
		if (!c->recording[0])
			snprintf(c->recording, sizeof(c->recording), "%s", seg);
		eng__timeline(c, "recording", "path", seg);
	}
	eng__timeline(c, "answered", "agent", c->agent);
	log_info("engine", "tenant=%s call=%llu event=bridged agent=%s recording=%s", c->t->ct->id,
		 (unsigned long long)c->id, c->agent, err ? "" : seg);
	eng__agents_external_on(c);
	if (c->att)
		eng__camp_connected(c);
	eng__ev_contact(c, "contact.answered", NULL);
	if (c->ivr)
		eng__flow_transfer_result(c, true);
}

static const char *fail_text(int status)
{
	static char buf[8];

	snprintf(buf, sizeof(buf), "%d", status);
	return buf;
}

static void on_b_ended(struct call *c, struct sip_leg *l, const struct sip_event *ev)
{
	struct eng_user *u;

	if (l == c->b) {
		c->b = NULL;
		if (!c->hangup_by)
			c->hangup_by = ev->by_peer ? "agent" : "system";
		if (c->a)
			sip_leg_hangup(c->a, 0);
		if (c->xleg)
			sip_leg_hangup(c->xleg, 0);
		forks_cancel(c, NULL);
		return;
	}
	u = eng__fork_remove(c, l);
	if (ev->status > 0 && (c->best_fail == 0 || ev->status == 486 || ev->status < c->best_fail))
		c->best_fail = ev->status;
	if (c->click) {
		eng__click_failed(c, ev->status);
		return;
	}
	if (c->att && !c->a) {
		eng__camp_unanswered(c, ev->status);
		return;
	}
	if (c->callback && !c->a && c->b) {
		/* The customer of a callback did not answer. */
		if (!c->nforks)
			eng__queue_callback_result(c, false);
		return;
	}
	if (c->state == CALL_QUEUED) {
		if (u && !user_ringing(c, u))
			eng__queue_offer_failed(c, u, ev->status);
		return;
	}
	if (ev->status)
		eng__timeline(c, "offer_failed", "status", fail_text(ev->status));
	if (!c->nforks && !c->b && c->a && c->state == CALL_RINGING) {
		int st;
		/* A flow waiting on this transfer takes its `failed` branch instead. */
		if (c->ivr && eng__flow_transfer_result(c, false))
			return;
		st = c->best_fail == 486 ? 486 : (c->best_fail == 603 ? 603 : 480);
		c->hangup_by = "system";
		sip_leg_hangup(c->a, st);
	}
}

/* The agent's phone sent REFER: the caller goes to the user or queue named (a user's
 * name, or one of the tenant's numbers that routes to a user or a queue). */
static void on_refer(struct call *c, struct sip_leg *leg, const struct sip_event *ev)
{
	struct eng_user *u = strmap_get2(c->e->usernames, c->t->ct->id, ev->refer_user);
	struct eng_tenant *t = c->t;
	const struct cfg_number *n = u ? NULL : eng__number(c->e, &t, ev->refer_user);
	struct eng_queue *q = NULL;

	if (!u && n && t == c->t && n->target.kind == CFG_TARGET_USER)
		u = strmap_get2(c->e->usernames, c->t->ct->id, n->target.value);
	if (!u && n && t == c->t && n->target.kind == CFG_TARGET_QUEUE)
		q = eng__queue(c->e, c->t, n->target.value);
	if (!u && !q) {
		sip_leg_refer_result(leg, 404);
		return;
	}
	sip_leg_refer_result(leg, 200);
	/* The transfer is the agent's, whose phone sent it. */
	eng__transfer_blind(c, u, q, NULL, NULL,
			    c->agent[0] ? strmap_get2(c->e->usernames, c->t->ct->id, c->agent)
					: NULL);
}

/* A digit from leg `leg` (LEG_A: the caller), by RTP or SIP INFO. */
static void on_digit(struct call *c, char digit, unsigned leg, const char *via)
{
	log_info("engine", "tenant=%s call=%llu event=digit digit=%c leg=%u via=%s", c->t->ct->id,
		 (unsigned long long)c->id, digit, leg, via);
	if (leg != c->a_leg)
		eng__timeline(c, "digit", "digit", (char[]){digit, 0});
	else if (c->ivr)
		eng__flow_digit(c, digit);
	else if (c->state == CALL_QUEUED)
		eng__queue_digit(c, digit);
	else
		eng__timeline(c, "digit", "digit", (char[]){digit, 0});
}

static void on_media_dir(struct call *c, struct sip_leg *leg, const struct sip_event *ev)
{
	bool hold = ev->dir == MEDIA_DIR_RECVONLY || ev->dir == MEDIA_DIR_INACTIVE;

	if (leg != c->b || !c->a || c->state != CALL_BRIDGED)
		return;
	eng__call_hold(c, hold, false);
}

static void on_answered(struct call *c, struct sip_leg *leg)
{
	if (leg == c->b || leg == c->a)
		return;
	if (c->click) {
		eng__click_answered(c, leg);
		return;
	}
	if (c->att && !c->a) {
		eng__camp_answered(c, leg);
		return;
	}
	if (c->callback && !c->a && c->b) {
		/* The customer of a callback answered: the agent is waiting on c->b. */
		eng__fork_remove(c, leg);
		forks_cancel(c, NULL);
		c->a = leg;
		c->a_answered = true;
		eng__queue_callback_result(c, true);
		return;
	}
	if (c->b || (!c->a && !c->callback)) {
		sip_leg_hangup(leg, 0);
		return;
	}
	if (c->state == CALL_QUEUED)
		eng__queue_offer_answered(c, leg, fork_user(c, leg));
	else
		eng__bridge(c, leg);
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
	if (ev->type == SIP_EV_ENDED)
		eng__outbound_leg_ended(c, leg);
	if (leg == c->xleg && c->xleg) {
		eng__extra_event(c, ev);
		return;
	}
	switch (ev->type) {
	case SIP_EV_PROGRESS:
		if (leg != c->a && c->a && !c->a_answered && c->state == CALL_RINGING)
			sip_leg_progress(c->a, 180, false);
		return;
	case SIP_EV_ANSWERED:
		on_answered(c, leg);
		return;
	case SIP_EV_CONFIRMED:
		return;
	case SIP_EV_MEDIA:
		on_media_dir(c, leg, ev);
		return;
	case SIP_EV_DTMF:
		on_digit(c, ev->digit,
			 leg == c->a		 ? c->a_leg
			 : c->a_leg == LEG_FORK0 ? LEG_FORK0 + 1
						 : LEG_FORK0,
			 "info");
		return;
	case SIP_EV_REFER:
		if (leg == c->b && c->a) {
			on_refer(c, leg, ev);
			return;
		}
		/* Only the agent's side (a phone we rang) may transfer; a caller's REFER
		 * would have the server place calls for whoever sent it. */
		log_warn("engine", "tenant=%s call=%llu event=refer_refused to=%s", c->t->ct->id,
			 (unsigned long long)c->id, ev->refer_user ? ev->refer_user : "");
		eng__timeline(c, "refer_refused", "to", ev->refer_user);
		sip_leg_refer_result(leg, 403);
		return;
	case SIP_EV_ENDED:
		if (leg == c->a) {
			c->a = NULL;
			if (!c->hangup_by)
				c->hangup_by = ev->by_peer ? "caller" : "system";
			if (c->ivr)
				eng__flow_end(c);
			if (c->state == CALL_QUEUED && c->contact != ACD_NONE)
				eng__queue_caller_gone(c);
			if (c->b)
				sip_leg_hangup(c->b, 0);
			if (c->xleg)
				sip_leg_hangup(c->xleg, 0);
			if (!c->callback || c->b)
				forks_cancel(c, NULL);
		} else {
			on_b_ended(c, leg, ev);
		}
		eng__call_maybe_done(c);
		return;
	}
}

void eng__call_leg_media_event(struct call *c, struct sip_leg *leg, const struct media_event *ev)
{
	struct media_event copy = *ev;
	unsigned idx = leg == c->a ? c->a_leg : c->a_leg == LEG_FORK0 ? LEG_FORK0 + 1 : LEG_FORK0;

	copy.owner = owner_of(c, idx);
	eng__media_event(c->e, &copy);
}

void eng__media_event(struct engine *e, const struct media_event *ev)
{
	struct call *c;

	if (ev->owner & ENG_PHONE_OWNER) {
		eng__phone_media_event(e, ev);
		return;
	}
	c = eng__call_find(e, ev->owner >> 4);

	if (!c)
		return;
	switch (ev->type) {
	case MEDIA_EV_DIGIT:
		on_digit(c, ev->digit, (unsigned)(ev->owner & 15), "rtp");
		return;
	case MEDIA_EV_PLAY_DONE:
		if (ev->play_id & PLAY_CALL)
			eng__queue_play_done(c, ev->play_id);
		else if (c->ivr)
			eng__flow_play_done(c, ev->play_id, ev->play_end != MEDIA_PLAY_FAILED);
		return;
	case MEDIA_EV_RECORD_ERROR:
		/* The call goes on unrecorded; the file keeps what was written (a valid WAV). */
		if (!c->rec_failed) {
			c->rec_failed = true;
			log_error("engine", "tenant=%s call=%llu event=recording_failed",
				  c->t->ct->id, (unsigned long long)c->id);
			eng__timeline(c, "recording_failed", NULL, NULL);
		}
		return;
	case MEDIA_EV_RTP_TIMEOUT:
		log_warn("engine", "tenant=%s call=%llu event=rtp_timeout", c->t->ct->id,
			 (unsigned long long)c->id);
		eng__call_hangup(c, 0, "system");
		return;
	case MEDIA_EV_AMD:
		/* Started on an answered outbound leg by the dialer, which acts on it. */
		eng__camp_amd(c, &ev->amd);
		log_info("engine", "tenant=%s call=%llu event=amd leg=%u result=%s reason=%s ms=%u",
			 c->t->ct->id, (unsigned long long)c->id, (unsigned)(ev->owner & 15),
			 media_amd_result_name(ev->amd.result),
			 media_amd_reason_name(ev->amd.reason), ev->amd.ms);
		return;
	default:
		return;
	}
}

void eng__calls_hangup_all(struct engine *e)
{
	for (size_t i = 0; i < e->calls_cap; i++) {
		struct call *c = e->calls[i], *next;
		for (; c; c = next) {
			next = c->hnext;
			eng__call_hangup(c, 503, "system");
			if (c->callback && !c->a && !c->b && !c->nforks) {
				/* A pending callback: nothing to hang up, its record is written. */
				eng__queue_remove(c);
				c->callback = false;
				eng__call_maybe_done(c);
			}
		}
	}
}
