/*
 * One campaign attempt's call. The lead's leg goes out through the campaign's trunk
 * (eng__dial_out: the tenant's outbound rules apply) with the campaign's caller ID and
 * rings for the campaign's ring time; a final answer before that maps to a result (busy,
 * no answer, rejected, invalid number, network). On answer, answering-machine detection
 * runs when the campaign acts on machines; a person (or AMD unsure) enters the
 * campaign's queue, whose offers ring a free agent with the lead in the screen pop; when
 * no agent is connected within the grace (2 s, DOMAIN.md) the call is abandoned: taken
 * out of the queue, counted, and the campaign's message played before hanging up. The
 * lead's new state and the attempt go to the store when the call ends, and the call's
 * interaction (outbound, to the lead's number) carries the result as its disposition.
 */
#include "engine/campaign_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

static void timer_cb(su_root_magic_t *magic, su_timer_t *tm, su_timer_arg_t *arg);

static uint64_t grace_ms(const struct eng_campaign *cp)
{
	double s = cp->cfg->pacer.connect_grace_s;

	return s > 0 ? (uint64_t)(s * 1000) : 2000;
}

static void timer_stop(struct eng_attempt *a)
{
	if (a->timer)
		su_timer_reset(a->timer);
}

static void timer_start(struct eng_attempt *a, uint64_t ms)
{
	if (!a->timer)
		a->timer = su_timer_create(su_root_task(a->cp->d->e->root), ms);
	if (a->timer)
		su_timer_set_interval(a->timer, timer_cb, a, ms);
}

static void unlink_free(struct eng_attempt *a)
{
	struct eng_campaign *cp = a->cp;

	if (a->prev)
		a->prev->next = a->next;
	else
		cp->attempts = a->next;
	if (a->next)
		a->next->prev = a->prev;
	if (cp->active)
		cp->active--;
	if (a->timer)
		su_timer_destroy(a->timer);
	if (a->c)
		a->c->att = NULL;
	free(a);
}

void eng__camp_attempt_abort(struct eng_attempt *a)
{
	unlink_free(a);
}

static void log_attempt(const struct eng_attempt *a, const char *event, const char *extra)
{
	log_info("dialer", "tenant=%s campaign=%s call=%llu event=%s lead=%lld attempt=%u%s%s",
		 a->cp->t->ct->id, a->cp->cfg->id, (unsigned long long)a->c->id, event,
		 (long long)a->lead->id, a->number, extra ? " " : "", extra ? extra : "");
}

/* The attempt ended before an answer with result r. */
static void unanswered(struct eng_attempt *a, enum dialer_result r)
{
	int64_t now = clock_wall_ms();
	char x[48];

	timer_stop(a);
	dialer_pacer_outcome(a->cp->pacer, r, (uint64_t)(now - a->started_ms), (uint64_t)now);
	a->result = r;
	a->have_result = true;
	a->st = ATT_OVER;
	CAMP_COUNT(a->cp, failed);
	snprintf(x, sizeof(x), "result=%s", dialer_result_name(r));
	log_attempt(a, "attempt_failed", x);
}

int eng__camp_dial(struct eng_campaign *cp, struct eng_lead *l, uint32_t attempt)
{
	return eng__camp_dial_for(cp, l, attempt, NULL);
}

int eng__camp_dial_for(struct eng_campaign *cp, struct eng_lead *l, uint32_t attempt,
		       struct eng_user *u)
{
	struct engine *e = cp->d->e;
	const struct dialer_campaign *cfg = cp->cfg;
	struct dialer_lead_status st;
	struct eng_attempt *a;
	struct call *c;
	int64_t now = clock_wall_ms();
	char num[24];
	int err;

	if (!(a = calloc(1, sizeof(*a))) || !(c = eng__call_new(e, cp->t))) {
		free(a);
		dialer_leads_unpick(cp->leads, l->key, now);
		return ENOMEM;
	}
	a->cp = cp;
	a->c = c;
	a->lead = l;
	a->number = attempt;
	a->agent = u;
	a->st = ATT_RINGING;
	a->started_ms = now;
	a->next = cp->attempts;
	if (cp->attempts)
		cp->attempts->prev = a;
	cp->attempts = a;
	cp->active++;
	c->att = a;
	c->dialed_by = cp;
	c->outbound = true;
	c->state = CALL_RINGING;
	snprintf(c->from, sizeof(c->from), "%s", cfg->caller_id ? cfg->caller_id : "");
	snprintf(c->to, sizeof(c->to), "%s", l->phone);
	if (cp->q)
		snprintf(c->queue, sizeof(c->queue), "%s", cp->q->cq->id);
	eng__timeline(c, "campaign", "campaign", cfg->id);
	snprintf(num, sizeof(num), "%lld", (long long)l->id);
	eng__timeline(c, "lead", "lead", num);
	dialer_pacer_dialed(cp->pacer, (uint64_t)now);
	CAMP_COUNT(cp, dialed);
	if (!dialer_leads_status(cp->leads, l->key, &st))
		eng__camp_lead_write(cp, l, &st, NULL, NULL);
	eng__camp_attempt_write(cp, a, NULL);
	log_attempt(a, "dial", NULL);
	if ((err = eng__dial_out(c, l->phone, cfg->trunk, ENG_VIA_CAMPAIGN, NULL))) {
		eng__timeline(c, "dial_failed", "error", strerror(err));
		unanswered(a, err == ENOENT ? DIALER_R_INVALID : DIALER_R_NETWORK);
		c->hangup_by = "system";
		eng__call_maybe_done(c);
		return err;
	}
	timer_start(a, cfg->ring_ms);
	return 0;
}

void eng__camp_unanswered(struct call *c, int status)
{
	struct eng_attempt *a = c->att;
	char st[16];

	if (!a || a->st != ATT_RINGING || c->nforks)
		return;
	snprintf(st, sizeof(st), "%d", status);
	eng__timeline(c, "not_answered", "status", st);
	unanswered(a, eng__camp_result_unanswered(status, a->timed_out));
	if (!c->hangup_by)
		c->hangup_by = "system";
}

/* No agent took the person within the grace: abandoned, with the message. */
static void abandon(struct eng_attempt *a)
{
	struct call *c = a->c;
	struct eng_campaign *cp = a->cp;
	int64_t now = clock_wall_ms();
	char ms[24];
	struct media_item it = {.kind = MEDIA_ITEM_FILE, .path = cp->abandon_path};

	a->st = ATT_OVER;
	a->result = DIALER_R_ABANDONED;
	a->have_result = true;
	c->camp_abandoned = true;
	dialer_pacer_abandoned(cp->pacer, (uint64_t)now);
	CAMP_COUNT(cp, abandoned);
	snprintf(ms, sizeof(ms), "%lld", (long long)(now - a->waiting_ms));
	eng__timeline(c, "campaign_abandoned", "after_ms", ms);
	log_attempt(a, "abandoned", NULL);
	eng__queue_remove(c);
	eng__forks_cancel_user(c, NULL);
	if (!c->a)
		return;
	media_play_stop(sip_leg_media(c->a));
	c->state = CALL_ROUTING;
	c->hangup_by = "system";
	if (cp->abandon_path[0])
		eng__play_then_hangup(c, &it, 1);
	else
		eng__call_hangup(c, 0, "system");
}

static void timer_cb(su_root_magic_t *magic, su_timer_t *tm, su_timer_arg_t *arg)
{
	struct eng_attempt *a = (struct eng_attempt *)arg;
	struct call *c = a->c;

	(void)magic;
	(void)tm;
	if (a->st == ATT_RINGING) {
		/* Rang for the campaign's ring time: no answer. The forks are cancelled and
		 * detached, so a phone that never answered the INVITE does not hold the
		 * attempt until the transaction times out. */
		a->timed_out = true;
		eng__timeline(c, "ring_timeout", NULL, NULL);
		unanswered(a, DIALER_R_NO_ANSWER);
		c->hangup_by = "system";
		eng__forks_cancel_user(c, NULL);
		eng__call_maybe_done(c);
	} else if (a->st == ATT_WAITING) {
		abandon(a);
	}
}

/* A person (or a machine the campaign connects) goes to an agent, or to the flow. */
static void to_agent(struct eng_attempt *a)
{
	struct eng_campaign *cp = a->cp;
	struct call *c = a->c;
	int err;

	if (cp->cfg->mode == DIALER_AGENTLESS) {
		a->st = ATT_CONNECTED;
		dialer_pacer_connected(cp->pacer, (uint64_t)clock_wall_ms());
		CAMP_COUNT(cp, connected);
		if (!cp->cfg->flow || eng__flow_enter(c, cp->cfg->flow))
			eng__call_hangup(c, 0, "system");
		return;
	}
	a->st = ATT_WAITING;
	a->waiting_ms = clock_wall_ms();
	if (a->agent) {
		/* Preview: the agent who chose the lead, with no grace (it committed). */
		if (eng__route_user(c, a->agent))
			abandon(a);
		return;
	}
	timer_start(a, grace_ms(cp));
	if ((err = eng__queue_enter(c, cp->q, -1, NULL, 0))) {
		log_warn("dialer", "tenant=%s campaign=%s call=%llu event=enqueue_failed err=%s",
			 cp->t->ct->id, cp->cfg->id, (unsigned long long)c->id, strerror(err));
		timer_stop(a);
		abandon(a);
	}
}

static void verdict(struct eng_attempt *a, enum dialer_result r)
{
	struct eng_campaign *cp = a->cp;
	struct call *c = a->c;
	int64_t now = clock_wall_ms();

	dialer_pacer_outcome(cp->pacer, r, (uint64_t)(a->answered_ms - a->started_ms),
			     (uint64_t)now);
	a->result = r;
	a->have_result = true;
	eng__timeline(c, "answered_by", "result", dialer_result_name(r));
	if (r == DIALER_R_PERSON) {
		CAMP_COUNT(cp, person);
		to_agent(a);
		return;
	}
	a->st = ATT_OVER;
	if (r == DIALER_R_FAX) {
		CAMP_COUNT(cp, fax);
		eng__call_hangup(c, 0, "system");
		return;
	}
	CAMP_COUNT(cp, machine);
	if (cp->cfg->amd_action == DIALER_AMD_MESSAGE && cp->amd_path[0]) {
		a->amd_message = true; /* played after the beep (or when none comes) */
		return;
	}
	eng__call_hangup(c, 0, "system");
}

void eng__camp_answered(struct call *c, struct sip_leg *leg)
{
	struct eng_attempt *a = c->att;
	struct media_amd_params p;

	if (a->st != ATT_RINGING || c->a) {
		sip_leg_hangup(leg, 0);
		return;
	}
	timer_stop(a);
	eng__fork_remove(c, leg);
	eng__forks_cancel_user(c, NULL);
	c->a = leg;
	c->a_answered = true;
	/* The lead is the call's customer from now on; its media session keeps the owner
	 * it was placed with (the first fork's), which on_digit takes as the caller's. */
	c->a_leg = 1;
	a->answered_ms = clock_wall_ms();
	CAMP_COUNT(a->cp, answered);
	eng__timeline(c, "lead_answered", "number", c->to);
	log_attempt(a, "answered", NULL);
	if (a->cp->cfg->amd_action == DIALER_AMD_CONNECT) {
		verdict(a, DIALER_R_PERSON);
		return;
	}
	a->st = ATT_AMD;
	media_amd_defaults(&p);
	p.fax = true;
	if (a->cp->cfg->amd_action != DIALER_AMD_MESSAGE)
		p.beep_wait_ms = 0;
	if (media_amd_start(sip_leg_media(leg), &p))
		verdict(a, DIALER_R_PERSON);
}

void eng__camp_amd(struct call *c, const struct media_amd_event *ev)
{
	struct eng_attempt *a = c->att;
	struct media_item it;

	if (!a)
		return;
	if (a->st == ATT_AMD && ev->result != MEDIA_AMD_MACHINE_BEEP &&
	    ev->result != MEDIA_AMD_NO_BEEP && ev->result != MEDIA_AMD_NONE) {
		verdict(a, eng__camp_result_amd((int)ev->result));
		return;
	}
	if (a->amd_message &&
	    (ev->result == MEDIA_AMD_MACHINE_BEEP || ev->result == MEDIA_AMD_NO_BEEP)) {
		a->amd_message = false;
		eng__timeline(c, "machine_message", NULL, NULL);
		it = (struct media_item){.kind = MEDIA_ITEM_FILE, .path = a->cp->amd_path};
		c->hangup_by = "system";
		eng__play_then_hangup(c, &it, 1);
	}
}

void eng__camp_connected(struct call *c)
{
	struct eng_attempt *a = c->att;
	int64_t now = clock_wall_ms();
	char ms[24];

	if (!a || a->st != ATT_WAITING)
		return;
	timer_stop(a);
	a->st = ATT_CONNECTED;
	dialer_pacer_connected(a->cp->pacer, (uint64_t)now);
	CAMP_COUNT(a->cp, connected);
	snprintf(ms, sizeof(ms), "%lld", (long long)(now - a->waiting_ms));
	eng__timeline(c, "campaign_connected", "after_ms", ms);
	log_attempt(a, "connected", c->agent[0] ? c->agent : NULL);
}

void eng__camp_call_ended(struct call *c)
{
	struct eng_attempt *a = c->att;
	struct eng_campaign *cp;
	struct eng_lead *l;
	struct dialer_lead_status st;
	const char *agent_disp, *rname;
	int64_t now = clock_wall_ms();
	enum dialer_result r;

	if (!a)
		return;
	cp = a->cp;
	l = a->lead;
	memset(&st, 0, sizeof(st));
	if (!a->have_result) {
		/* Answered and gone before AMD decided: a person for the pacer (no agent
		 * was missed), the lead's result a person's. */
		if (a->st == ATT_AMD || a->st == ATT_RINGING) {
			r = a->st == ATT_AMD ? DIALER_R_PERSON : DIALER_R_NETWORK;
			dialer_pacer_outcome(cp->pacer, r, (uint64_t)(now - a->started_ms),
					     (uint64_t)now);
			if (r == DIALER_R_PERSON)
				dialer_pacer_connected(cp->pacer, (uint64_t)now);
			a->result = r;
		}
	} else if (a->st == ATT_WAITING) {
		/* The person hung up within the grace: not an abandonment by us. */
		timer_stop(a);
		dialer_pacer_connected(cp->pacer, (uint64_t)now);
		eng__timeline(c, "lead_left_waiting", NULL, NULL);
	}
	r = a->result;
	rname = dialer_result_name(r);
	agent_disp = c->disposition[0] ? c->disposition : NULL;
	if (dialer_leads_result(cp->leads, l->key, r, now, &st)) {
		dialer_leads_status(cp->leads, l->key, &st);
	} else if (r == DIALER_R_PERSON) {
		enum dialer_dispose d = DIALER_DISPOSE_RETRY;
		int64_t at = now + (int64_t)cp->rules.retry_ms[DIALER_R_PERSON];
		enum eng_camp_dnc dnc = ENG_CAMP_DNC_NONE;
		uint32_t who = c->camp_cb_ms ? c->camp_cb_who : UINT32_MAX;
		if (agent_disp)
			eng__camp_disposition(cp->cfg, agent_disp, now, c->camp_cb_ms, &d, &at,
					      &dnc);
		eng__camp_dnc_apply(cp, l->phone, dnc);
		dialer_leads_dispose(cp->leads, l->key, d, at,
				     d == DIALER_DISPOSE_CALLBACK ? who : UINT32_MAX, &st);
		eng__camp_recent_put(c, a);
	}
	if (!agent_disp)
		snprintf(c->disposition, sizeof(c->disposition), "%s", rname);
	eng__timeline(c, "attempt_result", "result", rname);
	eng__camp_lead_write(cp, l, &st, rname, agent_disp);
	eng__camp_attempt_write(cp, a, rname);
	log_attempt(a, "attempt_ended", st.state == DIALER_LEAD_DONE ? "lead=done" : NULL);
	cp->dirty = true;
	a->c = NULL;
	c->att = NULL;
	unlink_free(a);
	if (st.state == DIALER_LEAD_DONE) {
		eng__camp_lead_forget(cp, l);
	} else if (r == DIALER_R_PERSON) {
		/* The agent may still dispose of it in wrap-up. */
		c->camp = cp;
		c->camp_lead = l->key;
	}
}

void eng__camp_disposed_late(struct call *c, const char *code, int64_t cb_ms, uint32_t who)
{
	struct eng_campaign *cp = c->camp;
	struct eng_lead *l = cp ? eng__camp_lead_get(cp, c->camp_lead) : NULL;
	struct dialer_lead_status st;
	enum dialer_dispose d;
	int64_t now = clock_wall_ms(), at;
	enum eng_camp_dnc dnc = ENG_CAMP_DNC_NONE;

	/* A code the campaign does not list leaves the lead as the call's end left it. */
	if (!l || eng__camp_disposition(cp->cfg, code, now, cb_ms, &d, &at, &dnc) ||
	    dialer_leads_dispose(cp->leads, l->key, d, at,
				 d == DIALER_DISPOSE_CALLBACK && cb_ms ? who : UINT32_MAX, &st))
		return;
	eng__camp_dnc_apply(cp, l->phone, dnc);
	eng__timeline(c, "lead_disposed", "code", code);
	eng__camp_lead_write(cp, l, &st, dialer_result_name(DIALER_R_PERSON), code);
	log_info("dialer",
		 "tenant=%s campaign=%s call=%llu event=disposed_in_wrap_up lead=%lld "
		 "code=%s state=%s",
		 cp->t->ct->id, cp->cfg->id, (unsigned long long)c->id, (long long)l->id, code,
		 eng__camp_lead_state_name(st.state));
	cp->dirty = true;
	if (st.state == DIALER_LEAD_DONE) {
		eng__camp_lead_forget(cp, l);
		c->camp = NULL;
	}
}

json_t *eng__camp_lead_json(const struct call *c)
{
	const struct eng_attempt *a = c->att;
	json_t *fields;

	if (!a)
		return NULL;
	const struct dialer_campaign *cfg = a->cp->cfg;
	json_t *codes = json_array();

	/* The campaign's codes that call back: the desktop asks their time and agent. */
	for (size_t i = 0; codes && i < cfg->ndispositions; i++)
		if (cfg->dispositions[i].action == DIALER_DISP_CALLBACK)
			json_array_append_new(codes, json_string(cfg->dispositions[i].code));
	fields = a->lead->fields ? json_loads(a->lead->fields, 0, NULL) : NULL;
	return json_pack("{s:s, s:s, s:I, s:s, s:s?, s:o, s:I, s:s?, s:o}", "campaign", cfg->id,
			 "list", a->cp->lcfg->lists[a->lead->list].id, "id",
			 (json_int_t)a->lead->id, "phone", a->lead->phone, "name", a->lead->name,
			 "fields", fields ? fields : json_object(), "attempt",
			 (json_int_t)a->number, "script", cfg->script, "callback_codes",
			 codes ? codes : json_array());
}
