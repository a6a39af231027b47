/*
 * Campaigns on the engine thread (DESIGN.md contract 8): every campaign of the file is
 * made at start, running unless it says `paused: true`. Its leads come from the store in
 * id batches through the dialer's worker (campaign_store.c), go into the dialer
 * library's lead set (window in the lead's local time, do-not-call, attempts per lead
 * and per day, retry delays) and its pacer decides, four times a second, how many calls
 * to start from the campaign queue's agents: one per free agent (progressive), the
 * pacer's ratio under the abandonment cap (predictive), `lines` (agentless) or none
 * (preview: the agents dial). The calls themselves are campaign_call.c's.
 */
#include "engine/campaign_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/yaml.h"
#include "engine/flow_int.h"
#include "tts/tts.h"

#define TICK_MS 250

const char *eng__camp_state_name(enum camp_state s)
{
	return s == CAMP_RUNNING ? "running" : s == CAMP_PAUSED ? "paused" : "stopped";
}

void eng__camp_dirty(struct eng_campaign *cp)
{
	cp->dirty = true;
}

void eng__camp_count(struct eng_campaign *cp, size_t field)
{
	(*(uint64_t *)((char *)&cp->total + field))++;
	(*(uint64_t *)((char *)&cp->today + field))++;
	cp->dirty = true;
}

struct eng_campaign *eng__camp_find(struct engine *e, struct eng_tenant *t, const char *id)
{
	struct eng_dialer *d = e->dialer;

	for (size_t i = 0; d && i < d->n; i++)
		if (d->v[i]->t == t && !d->v[i]->removed && !strcmp(d->v[i]->cfg->id, id))
			return d->v[i];
	return NULL;
}

/* ---- time zones ---- */

static struct ivr_calendar *zone_open(const char *name)
{
	struct ivr_calendar *cal = NULL;
	struct cy *cy = NULL;

	/* A calendar without hours reads a zone's offsets (as midnight.c does). */
	if (cy_load_string("timezone", "{}", &cy) || !cy_root(cy) ||
	    ivr_calendar_load(cy, cy_root(cy), "timezone", NULL, name, &cal))
		cal = NULL;
	cy_free(cy);
	return cal;
}

/* The index of zone `name`, added when new; the default zone when it cannot be read. */
static uint16_t zone_index(struct eng_campaign *cp, const char *name)
{
	struct ivr_calendar *cal;

	if (!name || !*name)
		return cp->default_zone;
	for (size_t i = 0; i < cp->nzones; i++)
		if (!strcmp(cp->zone_names[i], name))
			return (uint16_t)i;
	if (cp->nzones >= UINT16_MAX || !(cal = zone_open(name)))
		return cp->default_zone;
	if (cp->nzones == cp->zones_cap) {
		size_t cap = cp->zones_cap ? cp->zones_cap * 2 : 8;
		char **n = realloc(cp->zone_names, cap * sizeof(*n));
		struct ivr_calendar **z = n ? realloc(cp->zones, cap * sizeof(*z)) : NULL;
		if (n)
			cp->zone_names = n;
		if (!z) {
			ivr_calendar_free(cal);
			return cp->default_zone;
		}
		cp->zones = z;
		cp->zones_cap = cap;
	}
	if (!(cp->zone_names[cp->nzones] = strdup(name))) {
		ivr_calendar_free(cal);
		return cp->default_zone;
	}
	cp->zones[cp->nzones] = cal;
	return (uint16_t)cp->nzones++;
}

static int32_t zone_offset(void *arg, uint16_t tz, int64_t epoch_ms)
{
	struct eng_campaign *cp = arg;

	if (tz >= cp->nzones || !cp->zones[tz])
		return 0;
	return ivr_calendar_utc_offset(cp->zones[tz], epoch_ms);
}

int64_t eng__camp_local_to_utc(struct eng_campaign *cp, uint16_t zone, int64_t local_ms)
{
	/* The offset at the instant itself: twice, for a local time near a DST change. */
	int64_t utc = local_ms - (int64_t)zone_offset(cp, zone, local_ms) * 1000;

	return local_ms - (int64_t)zone_offset(cp, zone, utc) * 1000;
}

/* ---- leads in memory ---- */

struct eng_lead *eng__camp_lead_get(struct eng_campaign *cp, uint64_t key)
{
	if (!cp->lh_cap)
		return NULL;
	for (struct eng_lead *l = cp->lh[key & (cp->lh_cap - 1)]; l; l = l->hnext)
		if (l->key == key)
			return l;
	return NULL;
}

static int lead_put(struct eng_campaign *cp, struct eng_lead *l)
{
	if (cp->nleads >= cp->lh_cap / 2) {
		size_t cap = cp->lh_cap ? cp->lh_cap * 2 : 1024;
		struct eng_lead **v = calloc(cap, sizeof(*v));
		if (!v)
			return ENOMEM;
		for (size_t i = 0; i < cp->lh_cap; i++)
			while (cp->lh[i]) {
				struct eng_lead *x = cp->lh[i];
				cp->lh[i] = x->hnext;
				x->hnext = v[x->key & (cap - 1)];
				v[x->key & (cap - 1)] = x;
			}
		free(cp->lh);
		cp->lh = v;
		cp->lh_cap = cap;
	}
	l->hnext = cp->lh[l->key & (cp->lh_cap - 1)];
	cp->lh[l->key & (cp->lh_cap - 1)] = l;
	cp->nleads++;
	return 0;
}

static void lead_free(struct eng_lead *l)
{
	free(l->phone);
	free(l->name);
	free(l->tz);
	free(l->fields);
	free(l);
}

/* Forgets a closed lead (the store keeps it; the cursor is past it). */
void eng__camp_lead_forget(struct eng_campaign *cp, struct eng_lead *l)
{
	struct eng_lead **p = &cp->lh[l->key & (cp->lh_cap - 1)];

	for (; *p; p = &(*p)->hnext)
		if (*p == l) {
			*p = l->hnext;
			cp->nleads--;
			break;
		}
	dialer_leads_remove(cp->leads, l->key);
	lead_free(l);
}

static void leads_clear(struct eng_campaign *cp)
{
	for (size_t i = 0; i < cp->lh_cap; i++)
		while (cp->lh[i]) {
			struct eng_lead *x = cp->lh[i];
			cp->lh[i] = x->hnext;
			lead_free(x);
		}
	free(cp->lh);
	cp->lh = NULL;
	cp->lh_cap = cp->nleads = 0;
}

static void load_list(struct eng_campaign *cp, uint16_t i)
{
	struct cw_req *r = calloc(1, sizeof(*r));

	if (!r)
		return;
	r->kind = CW_LOAD;
	r->cp = cp;
	r->list_idx = i;
	r->after = cp->after[i];
	snprintf(r->tenant, sizeof(r->tenant), "%s", cp->t->ct->id);
	snprintf(r->list, sizeof(r->list), "%s", cp->lcfg->lists[i].id);
	if (!eng__camp_worker_send(cp->d, r))
		cp->loads_out++;
}

static void load_dnc(struct eng_campaign *cp)
{
	struct cw_req *r = calloc(1, sizeof(*r));

	if (!r)
		return;
	r->kind = CW_DNC;
	r->cp = cp;
	snprintf(r->tenant, sizeof(r->tenant), "%s", cp->t->ct->id);
	snprintf(r->campaign, sizeof(r->campaign), "%s", cp->cfg->id);
	if (!eng__camp_worker_send(cp->d, r))
		cp->loads_out++;
}

void eng__camp_dnc_reload(struct eng_campaign *cp)
{
	load_dnc(cp);
}

/* Asks for more leads when few are open in memory and a list may have more. */
static void refill(struct eng_campaign *cp)
{
	if (cp->loads_out || cp->lists_pending || dialer_leads_open(cp->leads) >= CAMP_LOW_WATER)
		return;
	for (uint16_t i = 0; i < cp->lcfg->nlists; i++)
		if (!cp->exhausted[i])
			load_list(cp, i);
}

struct eng_lead *eng__camp_take(struct eng_campaign *cp, uint16_t list, const struct cw_lead *x,
				bool advance)
{
	uint64_t key = (uint64_t)list << 40 | (uint64_t)x->id;
	struct eng_lead *l;
	struct dialer_lead dl;
	const char *zone;
	int err;

	if (advance && x->id > cp->after[list])
		cp->after[list] = x->id;
	if ((l = eng__camp_lead_get(cp, key)))
		return l; /* in memory already (dialing now, or read twice) */
	if (!(l = calloc(1, sizeof(*l))))
		return NULL;
	l->key = key;
	l->id = x->id;
	l->list = list;
	l->phone = strdup(x->phone);
	l->name = x->name ? strdup(x->name) : NULL;
	l->tz = x->tz ? strdup(x->tz) : NULL;
	l->fields = x->fields ? strdup(x->fields) : NULL;
	l->day = x->day;
	l->day_attempts = x->day_attempts;
	if (!l->phone) {
		lead_free(l);
		return NULL;
	}
	/* The lead's own zone, else its number's country's, else the campaign's. */
	zone = x->tz ? x->tz : dialer_zone_of_number(x->phone);
	memset(&dl, 0, sizeof(dl));
	dl.id = key;
	dl.phone = x->phone;
	dl.priority = cp->lcfg->lists[list].priority + x->priority;
	dl.tz = l->zone = zone_index(cp, zone);
	dl.attempts = (uint32_t)x->attempts;
	dl.day_attempts = (uint32_t)x->day_attempts;
	dl.day = x->day;
	/* A lead left "dialing" or "waiting" by a stop is ready again. */
	dl.next_ms = !strcmp(x->state, "ready") && x->next_ms > 0 ? x->next_ms : 0;
	dl.agent = UINT32_MAX;
	/* Read alone (a callback, a late disposition): a closed lead stays closed until
	 * they open it. */
	dl.done = !strcmp(x->state, "done");
	dl.person = x->last_result && !strcmp(x->last_result, "person");
	/* A callback stays one (to its agent when that agent is still a user). */
	if (x->callback_agent && dl.next_ms) {
		dl.callback = true;
		for (size_t i = 0; i < cp->t->nusers && strcmp(x->callback_agent, "*"); i++)
			if (!strcmp(cp->t->users[i]->cu->username, x->callback_agent))
				dl.agent = (uint32_t)i;
	}
	if ((err = lead_put(cp, l)) || (err = dialer_leads_add(cp->leads, &dl))) {
		if (!err || err == EEXIST) {
			struct eng_lead **p = &cp->lh[key & (cp->lh_cap - 1)];
			for (; *p; p = &(*p)->hnext)
				if (*p == l) {
					*p = l->hnext;
					cp->nleads--;
					break;
				}
		}
		lead_free(l);
		return NULL;
	}
	return l;
}

void eng__camp_loaded(struct eng_campaign *cp, struct cw_rep *r)
{
	if (cp->loads_out)
		cp->loads_out--;
	if (r->kind == CW_GET || r->kind == CW_DNC_GONE) {
		eng__camp_fetched(cp, r); /* frees r */
		return;
	}
	if (cp->removed) {
		/* Deleted meanwhile: what it asked for is no longer wanted. */
	} else if (r->err) {
		log_warn("dialer", "tenant=%s campaign=%s event=load_failed err=%s", cp->t->ct->id,
			 cp->cfg->id, strerror(r->err));
	} else if (r->kind == CW_DNC) {
		for (size_t i = 0; i < r->nphones; i++)
			dialer_dnc_add(cp->leads, r->phones[i]);
		cp->dnc_loaded = true;
		log_info("dialer", "tenant=%s campaign=%s event=dnc_loaded numbers=%zu",
			 cp->t->ct->id, cp->cfg->id, r->nphones);
	} else if (r->list_idx < cp->lcfg->nlists) {
		for (size_t i = 0; i < r->n; i++)
			eng__camp_take(cp, r->list_idx, &r->leads[i], true);
		cp->exhausted[r->list_idx] = !r->more;
		log_info("dialer",
			 "tenant=%s campaign=%s event=leads_loaded list=%s leads=%zu open=%zu",
			 cp->t->ct->id, cp->cfg->id, cp->lcfg->lists[r->list_idx].id, r->n,
			 dialer_leads_open(cp->leads));
		cp->dirty = true;
	}
	eng__camp_rep_free(r);
}

/* ---- writes ---- */

void eng__camp_lead_write(struct eng_campaign *cp, struct eng_lead *l,
			  const struct dialer_lead_status *st, const char *result,
			  const char *disposition)
{
	struct cw_req *r = calloc(1, sizeof(*r));

	if (!r)
		return;
	r->kind = CW_LEAD;
	r->cp = cp;
	snprintf(r->tenant, sizeof(r->tenant), "%s", cp->t->ct->id);
	snprintf(r->list, sizeof(r->list), "%s", cp->lcfg->lists[l->list].id);
	snprintf(r->state, sizeof(r->state), "%s", eng__camp_lead_state_name(st->state));
	snprintf(r->result, sizeof(r->result), "%s", result ? result : "");
	snprintf(r->disposition, sizeof(r->disposition), "%s", disposition ? disposition : "");
	r->lead.id = l->id;
	r->lead.attempts = (int)st->attempts;
	r->lead.day_attempts = l->day_attempts;
	r->lead.day = l->day;
	r->lead.next_ms =
	    st->state == DIALER_LEAD_DONE || st->next_ms == DIALER_NEVER ? 0 : st->next_ms;
	if (st->state == DIALER_LEAD_READY && st->callback)
		snprintf(r->agent, sizeof(r->agent), "%s",
			 st->agent < cp->t->nusers ? cp->t->users[st->agent]->cu->username : "*");
	r->now_ms = clock_wall_ms();
	eng__camp_worker_send(cp->d, r);
}

void eng__camp_attempt_write(struct eng_campaign *cp, const struct eng_attempt *a,
			     const char *result)
{
	struct cw_req *r = calloc(1, sizeof(*r));

	if (!r)
		return;
	r->kind = CW_ATTEMPT;
	r->cp = cp;
	snprintf(r->tenant, sizeof(r->tenant), "%s", cp->t->ct->id);
	snprintf(r->campaign, sizeof(r->campaign), "%s", cp->cfg->id);
	snprintf(r->list, sizeof(r->list), "%s", cp->lcfg->lists[a->lead->list].id);
	snprintf(r->result, sizeof(r->result), "%s", result ? result : "");
	if (a->c)
		snprintf(r->ix, sizeof(r->ix), "%s", a->c->ix_id);
	r->att.lead = a->lead->id;
	r->att.attempt = (int)a->number;
	r->att.started_ms = a->started_ms;
	eng__camp_worker_send(cp->d, r);
}

void eng__camp_dnc_add_tenant(struct engine *e, struct eng_tenant *t, const char *phone)
{
	struct eng_dialer *d = e->dialer;

	for (size_t i = 0; d && i < d->n; i++)
		if (d->v[i]->t == t && !d->v[i]->removed && d->v[i]->leads)
			dialer_dnc_add(d->v[i]->leads, phone);
}

void eng__camp_dnc_put(struct eng_campaign *cp, const char *phone)
{
	struct cw_req *r = calloc(1, sizeof(*r));

	dialer_dnc_add(cp->leads, phone);
	if (!r)
		return;
	r->kind = CW_DNC_PUT;
	r->cp = cp;
	r->now_ms = clock_wall_ms();
	snprintf(r->tenant, sizeof(r->tenant), "%s", cp->t->ct->id);
	snprintf(r->campaign, sizeof(r->campaign), "%s", cp->cfg->id);
	snprintf(r->phone, sizeof(r->phone), "%s", phone);
	eng__camp_worker_send(cp->d, r);
}

void eng__camp_dnc_put_tenant(struct eng_campaign *cp, const char *phone)
{
	struct eng_dialer *d = cp->d;
	struct cw_req *r = calloc(1, sizeof(*r));

	for (size_t i = 0; i < d->n; i++)
		if (d->v[i]->t == cp->t && !d->v[i]->removed && d->v[i]->leads)
			dialer_dnc_add(d->v[i]->leads, phone);
	if (!r)
		return;
	r->kind = CW_DNC_PUT;
	r->cp = cp;
	r->now_ms = clock_wall_ms();
	snprintf(r->tenant, sizeof(r->tenant), "%s", cp->t->ct->id);
	r->campaign[0] = '\0'; /* the tenant's list */
	snprintf(r->phone, sizeof(r->phone), "%s", phone);
	eng__camp_worker_send(cp->d, r);
	log_info("dialer",
		 "tenant=%s campaign=%s event=opt_out note=\"on the tenant's "
		 "do-not-call list\"",
		 cp->t->ct->id, cp->cfg->id);
}

void eng__camp_dnc_apply(struct eng_campaign *cp, const char *phone, enum eng_camp_dnc dnc)
{
	if (dnc == ENG_CAMP_DNC_CAMPAIGN)
		eng__camp_dnc_put(cp, phone);
	else if (dnc == ENG_CAMP_DNC_TENANT)
		eng__camp_dnc_put_tenant(cp, phone);
}

/* ---- pacing ---- */

static bool member_of(struct eng_tenant *t, uint32_t agent, uint32_t q)
{
	uint32_t qs[64];
	size_t n = acd_agent_queues(t->acd, agent, qs, 64);

	for (size_t i = 0; i < n && i < 64; i++)
		if (qs[i] == q)
			return true;
	return false;
}

/* A campaign whose pacer dials for the free agents of its queue. */
static bool dials_for_agents(const struct eng_campaign *cp)
{
	return !cp->removed && cp->q &&
	       (cp->cfg->mode == DIALER_PROGRESSIVE || cp->cfg->mode == DIALER_PREDICTIVE);
}

/* How many of the queue's free agents cp must leave to others: the calls the other
 * campaigns on its queue have in the air (each holds a free agent until it is
 * connected or fails) and, inbound first, the queue's contacts waiting that are not a
 * campaign's. *shared tells whether another campaign dials for the queue. */
static uint32_t agents_held_elsewhere(struct eng_campaign *cp, bool *shared)
{
	struct eng_dialer *d = cp->d;
	uint32_t others = 0, persons = 0, dialing, waiting;
	struct acd_queue_stats st;

	*shared = false;
	for (size_t i = 0; i < d->n; i++) {
		struct eng_campaign *o = d->v[i];
		if (!dials_for_agents(o) || o->q != cp->q)
			continue;
		dialer_pacer_calls(o->pacer, &dialing, &waiting);
		persons += waiting;
		if (o == cp)
			continue;
		*shared = true;
		others += dialing + waiting;
	}
	/* Inbound first: the contacts waiting in the queue (a campaign's persons aside)
	 * take the free agents before the campaign dials for them. */
	if (cp->cfg->inbound_first && cp->t->acd &&
	    !acd_queue_stats(cp->t->acd, cp->q->id, clock_mono_ms(), &st) && st.waiting > persons)
		others += st.waiting - persons;
	return others;
}

/* The pacer hears what each of the queue's agents is doing (only changes). A free agent
 * is the campaign's unless held elsewhere (above); when other campaigns dial for the
 * same queue, an agent talking or in wrap-up is the campaign's only on its own call. */
static void agents_update(struct eng_campaign *cp, int64_t now)
{
	struct eng_tenant *t = cp->t;
	bool shared = false;
	uint32_t held = dials_for_agents(cp) ? agents_held_elsewhere(cp, &shared) : 0;

	for (size_t i = 0; i < cp->nagents && i < t->nusers; i++) {
		struct eng_user *u = t->users[i];
		struct acd_agent_info ai;
		enum dialer_agent_state st = DIALER_AGENT_AWAY;

		if (cp->q && !u->removed && u->agent != ACD_NONE &&
		    !acd_agent_info(t->acd, u->agent, &ai) && member_of(t, u->agent, cp->q->id)) {
			if (ai.state == ACD_STATE_READY && ai.offer == ACD_NONE)
				st = DIALER_AGENT_FREE;
			else if (ai.state == ACD_STATE_READY || ai.state == ACD_STATE_RESERVED ||
				 ai.state == ACD_STATE_BUSY)
				st = DIALER_AGENT_TALK;
			else if (ai.state == ACD_STATE_WRAP_UP)
				st = DIALER_AGENT_WRAP;
		}
		if (st == DIALER_AGENT_FREE && held) {
			held--;
			st = DIALER_AGENT_AWAY;
		} else if (shared && st == DIALER_AGENT_TALK &&
			   !(u->cur && u->cur->dialed_by == cp)) {
			st = DIALER_AGENT_AWAY;
		} else if (shared && st == DIALER_AGENT_WRAP &&
			   !(u->wrap_call && u->wrap_call->dialed_by == cp)) {
			st = DIALER_AGENT_AWAY;
		}
		if (cp->agent_state[i] != st) {
			cp->agent_state[i] = (uint8_t)st;
			dialer_pacer_agent(cp->pacer, (uint32_t)i, st, (uint64_t)now);
			cp->dirty = true;
		}
	}
}

/* Logged in and a member of the campaign's queue: takes its own callbacks. */
static bool agent_present(void *arg, uint32_t agent)
{
	struct eng_campaign *cp = arg;
	struct eng_tenant *t = cp->t;
	struct acd_agent_info ai;
	struct eng_user *u;

	if (agent >= t->nusers)
		return false;
	u = t->users[agent];
	return cp->q && !u->removed && u->agent != ACD_NONE &&
	       !acd_agent_info(t->acd, u->agent, &ai) && ai.state != ACD_STATE_LOGGED_OUT &&
	       member_of(t, u->agent, cp->q->id);
}

void eng__camp_callbacks_release(struct eng_campaign *cp, int64_t now)
{
	uint64_t ids[32];
	size_t n = dialer_leads_release(cp->leads, now, (int64_t)cp->cfg->callback_grace_ms,
					agent_present, cp, ids, 32);

	for (size_t i = 0; i < n && i < 32; i++) {
		struct eng_lead *l = eng__camp_lead_get(cp, ids[i]);
		struct dialer_lead_status st;
		if (!l || dialer_leads_status(cp->leads, ids[i], &st))
			continue;
		eng__camp_lead_write(cp, l, &st, NULL, NULL);
		log_info("dialer",
			 "tenant=%s campaign=%s event=callback_released lead=%lld note=\"its agent "
			 "is logged out: anyone of the campaign calls back\"",
			 cp->t->ct->id, cp->cfg->id, (long long)l->id);
	}
	if (n)
		cp->dirty = true;
}

/* One lead picked to dial for free agent `agent` (its own callbacks first; UINT32_MAX:
 * for any agent), or closed for being on a do-not-call list. False when none is due. */
static bool dial_one(struct eng_campaign *cp, int64_t now, uint32_t agent)
{
	struct dialer_pick pk;
	struct dialer_lead_status st;
	struct eng_lead *l;

	if (dialer_leads_next(cp->leads, now, agent, &pk))
		return false;
	if (!(l = eng__camp_lead_get(cp, pk.id))) {
		dialer_leads_remove(cp->leads, pk.id);
		return true;
	}
	if (pk.kind == DIALER_PICK_DNC) {
		log_info("dialer", "tenant=%s campaign=%s event=dnc_skipped lead=%lld",
			 cp->t->ct->id, cp->cfg->id, (long long)l->id);
		if (!dialer_leads_status(cp->leads, pk.id, &st))
			eng__camp_lead_write(cp, l, &st, "dnc", NULL);
		eng__camp_lead_forget(cp, l);
		return true;
	}
	{
		/* Attempts per local day, as the library counts them, for the store. */
		int32_t day, minute;
		dialer_local(now, zone_offset(cp, l->zone, now), &day, &minute);
		if (day != l->day) {
			l->day = day;
			l->day_attempts = 0;
		}
		l->day_attempts++;
	}
	/* The agent's own callback: the person who answers is put through to that agent. */
	if (pk.callback && pk.agent == agent && agent < cp->t->nusers)
		eng__camp_dial_for(cp, l, pk.attempt, cp->t->users[agent]);
	else
		eng__camp_dial(cp, l, pk.attempt);
	return true;
}

static void leads_reset(struct eng_campaign *cp);
static int lists_switch(struct eng_campaign *cp);
static bool holidays_read(struct eng_campaign *cp, const struct dialer_campaign *cfg, int64_t now);
static void rules_of(struct eng_campaign *cp, const struct dialer_campaign *cfg,
		     struct dialer_rules *r);

static void campaign_tick(struct eng_campaign *cp, int64_t now)
{
	uint32_t want;

	if (cp->removed) {
		/* Its last call ended and nothing is asked of the store: its leads go. */
		if (!cp->active && !cp->loads_out && cp->lh)
			leads_clear(cp);
		return;
	}
	if (now >= cp->day_end_ms) {
		struct dialer_rules r;
		memset(&cp->today, 0, sizeof(cp->today));
		cp->day_end_ms = eng__tenant_next_midnight(cp->t, now);
		cp->dirty = true;
		/* The days off read ahead move on by a day. */
		if (holidays_read(cp, cp->cfg, now)) {
			rules_of(cp, cp->cfg, &r);
			if (!dialer_leads_set_rules(cp->leads, &r))
				cp->rules = r;
		}
	}
	if (cp->lists_pending && !cp->active && !cp->loads_out && !lists_switch(cp))
		leads_reset(cp);
	agents_update(cp, now);
	refill(cp);
	eng__camp_callbacks_release(cp, now);
	if (cp->state != CAMP_RUNNING || !cp->dnc_loaded || cp->lists_pending || cp->d->e->draining)
		return;
	want = dialer_pacer_want(cp->pacer, (uint64_t)now);
	/* A call for each free agent first, so that agents' own callbacks are made. */
	for (size_t i = 0; want && i < cp->nagents && i < cp->t->nusers; i++) {
		if (cp->agent_state[i] != DIALER_AGENT_FREE)
			continue;
		if (!dial_one(cp, now, (uint32_t)i))
			return;
		want--;
	}
	while (want-- && dial_one(cp, now, UINT32_MAX))
		;
}

static void tick(su_root_magic_t *magic, su_timer_t *tm, su_timer_arg_t *arg)
{
	struct eng_dialer *d = (struct eng_dialer *)arg;
	int64_t now = clock_wall_ms();

	(void)magic;
	(void)tm;
	for (size_t i = 0; i < d->n; i++)
		campaign_tick(d->v[i], now);
}

/* ---- start, change and stop ---- */

/* A message to play: a prompt file (".wav") as it is, a text rendered once now. */
static void message_path(struct engine *e, const struct dialer_campaign *cfg, const char *msg,
			 const char *lang, char *out, size_t size)
{
	struct tts_params tp = {.text = msg, .lang = lang};
	size_t n = msg ? strlen(msg) : 0;

	out[0] = '\0';
	if (!n)
		return;
	if (n > 4 && !strcmp(msg + n - 4, ".wav")) {
		snprintf(out, size, "%s", msg);
		return;
	}
	if (!e->flows || !e->flows->tts || tts_render_sync(e->flows->tts, &tp, out, size)) {
		out[0] = '\0';
		log_warn("dialer", "campaign=%s event=tts_failed", cfg->id);
	}
}

static void leads_reset(struct eng_campaign *cp)
{
	leads_clear(cp);
	dialer_leads_free(cp->leads);
	cp->leads = NULL;
	dialer_leads_new(&cp->rules, &cp->leads);
	for (size_t i = 0; i < cp->lcfg->nlists; i++) {
		cp->after[i] = 0;
		cp->exhausted[i] = false;
	}
	cp->dnc_loaded = false;
	if (cp->leads)
		load_dnc(cp);
}

/* The lists of cfg take over from lcfg's (no lead of lcfg's is in a call). 0 or ENOMEM
 * (tried again at the next tick). */
static int lists_switch(struct eng_campaign *cp)
{
	size_t n = cp->cfg->nlists + 1;
	int64_t *after = calloc(n, sizeof(*after));
	bool *ex = calloc(n, sizeof(*ex));

	if (!after || !ex) {
		free(after);
		free(ex);
		return ENOMEM;
	}
	eng__camp_previews_release(cp);
	free(cp->after);
	free(cp->exhausted);
	cp->after = after;
	cp->exhausted = ex;
	cp->lcfg = cp->cfg;
	cp->lists_pending = false;
	log_info("dialer", "tenant=%s campaign=%s event=lists_changed lists=%zu", cp->t->ct->id,
		 cp->cfg->id, cp->cfg->nlists);
	return 0;
}

int eng__camp_control(struct eng_campaign *cp, const char *action)
{
	enum camp_state from = cp->state;

	if (!strcmp(action, "start")) {
		/* A stopped campaign reads its lists again (leads added meanwhile). */
		if (from == CAMP_STOPPED && !cp->active && !cp->loads_out && !cp->lists_pending)
			leads_reset(cp);
		cp->state = CAMP_RUNNING;
	} else if (!strcmp(action, "pause")) {
		cp->state = CAMP_PAUSED;
	} else if (!strcmp(action, "stop")) {
		cp->state = CAMP_STOPPED;
	} else {
		return EINVAL;
	}
	log_info("dialer", "tenant=%s campaign=%s event=%s from=%s", cp->t->ct->id, cp->cfg->id,
		 action, eng__camp_state_name(from));
	cp->dirty = true;
	return 0;
}

/* How far ahead the days off of a campaign's calendar are read (again each midnight). */
#define HOLIDAY_DAYS 400

/* The calendar whose holidays nobody is called on: the campaign's `holidays`, else its
 * queue's hours (the tenant's calendars as they are live now). */
static const struct ivr_calendar *holiday_calendar(struct eng_campaign *cp,
						   const struct dialer_campaign *cfg)
{
	struct eng_queue *q;

	if (cfg->holidays)
		return eng__calendar(cp->t, cfg->holidays);
	q = cfg->queue ? eng__queue(cp->d->e, cp->t, cfg->queue) : NULL;
	return q && q->cq->hours ? eng__calendar(cp->t, q->cq->hours) : NULL;
}

/* Reads cp's days off from cfg's calendar into cp->holidays: true when they changed
 * (false, keeping the old ones, when out of memory). From yesterday: a lead's local
 * date may be a day behind UTC's. */
static bool holidays_read(struct eng_campaign *cp, const struct dialer_campaign *cfg, int64_t now)
{
	const struct ivr_calendar *cal = holiday_calendar(cp, cfg);
	int64_t today = now / 86400000;
	int32_t *v = cal ? malloc(HOLIDAY_DAYS * sizeof(*v)) : NULL;
	size_t n =
	    v ? ivr_calendar_holidays(cal, today - 1, today + HOLIDAY_DAYS - 2, v, HOLIDAY_DAYS)
	      : 0;

	if (cal && !v)
		return false;
	if (n == cp->nholidays && (!n || !memcmp(v, cp->holidays, n * sizeof(*v)))) {
		free(v);
		return false;
	}
	free(cp->holidays);
	cp->holidays = v;
	cp->nholidays = n;
	return true;
}

/* The lead set's rules of cfg for cp: the zones' offsets and the holidays read last. */
static void rules_of(struct eng_campaign *cp, const struct dialer_campaign *cfg,
		     struct dialer_rules *r)
{
	*r = cfg->rules;
	r->utc_offset = zone_offset;
	r->arg = cp;
	r->holidays = cp->holidays;
	r->nholidays = cp->nholidays;
}

void eng__camp_holidays_resolve(struct engine *e, struct eng_tenant *t)
{
	struct eng_dialer *d = e->dialer;
	int64_t now = clock_wall_ms();

	for (size_t i = 0; d && i < d->n; i++) {
		struct eng_campaign *cp = d->v[i];
		struct dialer_rules r;
		if ((t && cp->t != t) || cp->removed || !holidays_read(cp, cp->cfg, now))
			continue;
		rules_of(cp, cp->cfg, &r);
		if (!dialer_leads_set_rules(cp->leads, &r))
			cp->rules = r;
		log_info("dialer", "tenant=%s campaign=%s event=holidays days=%zu", cp->t->ct->id,
			 cp->cfg->id, cp->nholidays);
	}
}

/* Zone 0, the leads' default: the campaign's, else the tenant's, else UTC. */
static int default_zone(struct eng_campaign *cp, const struct dialer_campaign *cfg)
{
	const char *name = cfg->timezone	 ? cfg->timezone
			   : cp->t->ct->timezone ? cp->t->ct->timezone
						 : "UTC";
	struct ivr_calendar *cal;
	char *dup;

	if (!cp->nzones) {
		zone_index(cp, name);
		if (!cp->nzones)
			zone_index(cp, "UTC");
		return cp->nzones ? 0 : ENOMEM;
	}
	if (!strcmp(cp->zone_names[0], name))
		return 0;
	if (!(cal = zone_open(name)) || !(dup = strdup(name))) {
		ivr_calendar_free(cal);
		return EINVAL;
	}
	/* Offsets are read at each pick: no lead holds the old calendar. */
	free(cp->zone_names[0]);
	ivr_calendar_free(cp->zones[0]);
	cp->zone_names[0] = dup;
	cp->zones[0] = cal;
	return 0;
}

static int campaign_new(struct eng_dialer *d, struct eng_tenant *t,
			const struct dialer_campaign *cfg, struct eng_campaign **out)
{
	struct eng_campaign *cp = calloc(1, sizeof(*cp));
	int64_t now = clock_wall_ms();
	const char *lang = cfg->language ? cfg->language : t->ct->language;
	int err = ENOMEM;

	if (!cp)
		return ENOMEM;
	cp->d = d;
	cp->t = t;
	cp->cfg = cp->lcfg = cfg;
	cp->state = cfg->paused ? CAMP_PAUSED : CAMP_RUNNING;
	cp->q = cfg->queue ? eng__queue(d->e, t, cfg->queue) : NULL;
	holidays_read(cp, cfg, now);
	rules_of(cp, cfg, &cp->rules);
	cp->nagents = t->nusers;
	cp->day_end_ms = eng__tenant_next_midnight(t, now);
	cp->default_zone = 0;
	default_zone(cp, cfg);
	if (!(cp->after = calloc(cfg->nlists + 1, sizeof(*cp->after))) ||
	    !(cp->exhausted = calloc(cfg->nlists + 1, sizeof(*cp->exhausted))) ||
	    !(cp->agent_state = calloc(cp->nagents + 1, 1)))
		goto fail;
	if ((err = dialer_pacer_new(&cfg->pacer, (uint32_t)(cp->nagents ? cp->nagents : 1),
				    (uint64_t)now, &cp->pacer)) ||
	    (err = dialer_leads_new(&cp->rules, &cp->leads)))
		goto fail;
	message_path(d->e, cfg, cfg->abandon_message, lang, cp->abandon_path,
		     sizeof(cp->abandon_path));
	message_path(d->e, cfg, cfg->amd_message, lang, cp->amd_path, sizeof(cp->amd_path));
	*out = cp;
	return 0;
fail:
	dialer_pacer_free(cp->pacer);
	free(cp->after);
	free(cp->exhausted);
	free(cp->agent_state);
	free(cp->holidays);
	for (size_t i = 0; i < cp->nzones; i++) {
		free(cp->zone_names[i]);
		ivr_calendar_free(cp->zones[i]);
	}
	free(cp->zone_names);
	free(cp->zones);
	free(cp);
	return err;
}

static void campaign_free(struct eng_campaign *cp)
{
	eng__camp_previews_free(cp);
	while (cp->attempts)
		eng__camp_attempt_abort(cp->attempts);
	leads_clear(cp);
	dialer_leads_free(cp->leads);
	dialer_pacer_free(cp->pacer);
	for (size_t i = 0; i < cp->nzones; i++) {
		free(cp->zone_names[i]);
		ivr_calendar_free(cp->zones[i]);
	}
	free(cp->zone_names);
	free(cp->zones);
	free(cp->after);
	free(cp->exhausted);
	free(cp->agent_state);
	free(cp->holidays);
	json_decref(cp->config);
	free(cp);
}

int eng__camp_keep(struct eng_dialer *d, struct dialer_campaign *v, size_t n)
{
	struct camp_block *b = calloc(1, sizeof(*b));

	if (!b) {
		dialer_campaigns_free(v, n);
		return ENOMEM;
	}
	b->v = v;
	b->n = n;
	b->next = d->blocks;
	d->blocks = b;
	return 0;
}

int eng__dialer_ensure(struct engine *e, struct eng_dialer **out)
{
	struct eng_dialer *d = e->dialer;
	int err;

	if (d) {
		*out = d;
		return 0;
	}
	if (!(d = calloc(1, sizeof(*d))))
		return ENOMEM;
	d->e = e;
	d->reg = -1;
	e->dialer = d;
	if ((err = eng__camp_worker_start(d))) {
		eng__campaigns_stop(e);
		return err;
	}
	if ((d->tick = su_timer_create(su_root_task(e->root), TICK_MS)))
		su_timer_set_for_ever(d->tick, tick, d);
	*out = d;
	return 0;
}

int eng__camp_add(struct engine *e, struct eng_tenant *t, const struct dialer_campaign *cfg,
		  bool api, json_t *config, struct eng_campaign **out)
{
	struct eng_dialer *d;
	struct eng_campaign *cp;
	int err;

	if ((err = eng__dialer_ensure(e, &d)))
		goto fail;
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 8;
		struct eng_campaign **v = realloc(d->v, cap * sizeof(*v));
		if (!v) {
			err = ENOMEM;
			goto fail;
		}
		d->v = v;
		d->cap = cap;
	}
	if ((err = campaign_new(d, t, cfg, &cp)))
		goto fail;
	cp->api = api;
	cp->config = config;
	d->v[d->n++] = cp;
	load_dnc(cp);
	log_info("dialer",
		 "tenant=%s campaign=%s event=campaign_started mode=%s state=%s lists=%zu "
		 "source=%s abandon_message=%s",
		 t->ct->id, cfg->id, dialer_mode_name(cfg->mode), eng__camp_state_name(cp->state),
		 cfg->nlists, api ? "api" : "file", cp->abandon_path[0] ? cp->abandon_path : "-");
	if (out)
		*out = cp;
	return 0;
fail:
	json_decref(config);
	return err;
}

static bool same_lists(const struct dialer_campaign *a, const struct dialer_campaign *b)
{
	if (a->nlists != b->nlists)
		return false;
	for (size_t i = 0; i < a->nlists; i++)
		if (strcmp(a->lists[i].id, b->lists[i].id) ||
		    a->lists[i].priority != b->lists[i].priority)
			return false;
	return true;
}

static bool same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

int eng__camp_change(struct eng_campaign *cp, const struct dialer_campaign *cfg, json_t *config)
{
	struct engine *e = cp->d->e;
	const struct dialer_campaign *old = cp->cfg;
	const char *lang = cfg->language ? cfg->language : cp->t->ct->language;
	struct dialer_rules r;
	int err;

	holidays_read(cp, cfg, clock_wall_ms());
	rules_of(cp, cfg, &r);
	if ((err = dialer_leads_set_rules(cp->leads, &r)) ||
	    (err = dialer_pacer_set_params(cp->pacer, &cfg->pacer))) {
		json_decref(config);
		return err;
	}
	cp->rules = r;
	cp->cfg = cfg;
	json_decref(cp->config);
	cp->config = config;
	cp->q = cfg->queue ? eng__queue(e, cp->t, cfg->queue) : NULL;
	if (default_zone(cp, cfg))
		log_warn("dialer", "tenant=%s campaign=%s event=timezone_unreadable zone=%s",
			 cp->t->ct->id, cfg->id, cfg->timezone ? cfg->timezone : "-");
	if (!same_text(old->abandon_message, cfg->abandon_message) ||
	    !same_text(old->language, cfg->language))
		message_path(e, cfg, cfg->abandon_message, lang, cp->abandon_path,
			     sizeof(cp->abandon_path));
	if (!same_text(old->amd_message, cfg->amd_message) ||
	    !same_text(old->language, cfg->language))
		message_path(e, cfg, cfg->amd_message, lang, cp->amd_path, sizeof(cp->amd_path));
	if (old->paused != cfg->paused)
		cp->state = cfg->paused ? CAMP_PAUSED : CAMP_RUNNING;
	/* Leads held for agents of a campaign no longer previewing go back. */
	if (cfg->mode != DIALER_PREVIEW)
		eng__camp_previews_release(cp);
	if (!same_lists(cp->lcfg, cfg)) {
		/* Its lists are read again, from the store (where every lead's state is),
		 * once no lead of the old lists is in a call. */
		cp->lists_pending = true;
		if (!cp->active && !cp->loads_out && !lists_switch(cp))
			leads_reset(cp);
	} else {
		cp->lcfg = cfg;
		cp->lists_pending = false;
	}
	cp->dirty = true;
	log_info("dialer", "tenant=%s campaign=%s event=campaign_changed mode=%s state=%s%s",
		 cp->t->ct->id, cfg->id, dialer_mode_name(cfg->mode),
		 eng__camp_state_name(cp->state),
		 cp->lists_pending ? " lists=pending note=\"read again when its calls end\"" : "");
	return 0;
}

void eng__camp_remove(struct eng_campaign *cp)
{
	eng__camp_previews_release(cp);
	cp->state = CAMP_STOPPED;
	cp->removed = true;
	cp->dirty = false;
	log_info("dialer", "tenant=%s campaign=%s event=campaign_removed source=%s calls=%zu",
		 cp->t->ct->id, cp->cfg->id, cp->api ? "api" : "file", cp->active);
	if (!cp->active && !cp->loads_out)
		leads_clear(cp);
}

int eng__campaigns_start(struct engine *e)
{
	int err = 0;

	for (size_t i = 0; i < e->ntenants; i++) {
		struct eng_tenant *t = &e->tenants[i];
		if (t->ct->campaigns &&
		    (err = eng__camp_file_apply(e, t, t->ct, e->cfg->cy, NULL, NULL, NULL)))
			break;
	}
	if (!err)
		err = eng__campaigns_load_api(e);
	if (err)
		log_error("dialer", "event=campaigns_failed err=%s", strerror(err));
	return err;
}

void eng__campaigns_stop(struct engine *e)
{
	struct eng_dialer *d = e->dialer;

	if (!d)
		return;
	if (d->tick)
		su_timer_destroy(d->tick);
	d->tick = NULL;
	/* Attempts still up lose their campaign (calls ended already wrote theirs). */
	for (size_t i = 0; i < d->n; i++)
		while (d->v[i]->attempts)
			eng__camp_attempt_abort(d->v[i]->attempts);
	eng__camp_worker_stop(d);
	for (size_t i = 0; i < d->n; i++)
		campaign_free(d->v[i]);
	eng__camp_recent_free(d);
	free(d->v);
	while (d->blocks) {
		struct camp_block *b = d->blocks;
		d->blocks = b->next;
		dialer_campaigns_free(b->v, b->n);
		free(b);
	}
	free(d);
	e->dialer = NULL;
}
