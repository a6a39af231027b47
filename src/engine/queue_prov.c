/*
 * The tenant's ACD built from its configuration and kept in step with it: skills, voice
 * queues and the side queues of their mailboxes, SMS and chats, agents and their
 * memberships, the ACD's start and stop with the tenant, and the names `centrala check`
 * verifies (strategies, service-level formulas). Split from queue.c, which keeps the
 * ACD's handlers and the calls in queues.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

/* Memberships of one agent in the ACD: configured queues and their mailboxes' queues. */
#define ENG_MEMBERSHIPS 128

/* ---- provisioning ---- */

static int skill_levels(struct acd *acd, const struct cfg_skill *s, size_t n,
			struct acd_skill_level *out, size_t max)
{
	int err;

	if (n > max)
		return E2BIG;
	for (size_t i = 0; i < n; i++) {
		if ((err = acd_skill_intern(acd, s[i].name, &out[i].skill)))
			return err;
		out[i].level = (uint8_t)s[i].level;
	}
	return 0;
}

static int queue_params(struct eng_tenant *t, const struct eng_queue *q, bool relax,
			struct acd_queue_params *p)
{
	const struct cfg_queue *cq = q->cq;
	int err;

	acd_queue_params_default(p);
	if (cq->strategy && acd_strategy_find(cq->strategy, &p->strategy)) {
		log_error("engine", "tenant=%s event=bad_strategy queue=%s strategy=%s", t->ct->id,
			  cq->id, cq->strategy);
		return EINVAL;
	}
	if (cq->sl_formula && acd_sl_formula_find(cq->sl_formula, &p->sl_formula))
		return EINVAL;
	if ((err = skill_levels(t->acd, cq->skills, cq->nskills, p->skills, ACD_MAX_QUEUE_SKILLS)))
		return err;
	p->nskills = cq->nskills;
	p->ring_timeout_ms = cq->ring_timeout_ms;
	p->wrap_up_ms = cq->wrap_up_ms;
	p->max_wait_ms = cq->max_wait_ms;
	p->max_len = (uint32_t)cq->max_len;
	p->service_level_ms = cq->service_level_ms;
	p->service_level_pct = (uint8_t)cq->service_level_target;
	p->short_abandon_ms = cq->short_abandon_ms;
	p->sticky_ms = cq->sticky_ms;
	if (cq->announce_position || cq->announce_ewt || cq->callback_digit)
		p->announce_ms = cq->announce_every_ms;
	if (cq->priority >= 0)
		p->priority = (uint8_t)cq->priority;
	if (cq->max_no_answer > 0)
		p->max_no_answer = (uint8_t)cq->max_no_answer;
	p->ref = (uint64_t)(uintptr_t)q;
	if (!relax)
		return 0;
	if (cq->nrelax > ACD_MAX_RELAX)
		return E2BIG;
	for (size_t i = 0; i < cq->nrelax; i++) {
		struct acd_relax_step *r = &p->relax[i];
		struct eng_queue *to = eng__queue(t->e, t, cq->relax[i].add_queue);
		r->after_ms = cq->relax[i].after_ms;
		r->min_level = (uint8_t)cq->relax[i].min_level;
		r->max_penalty = (int16_t)cq->relax[i].max_penalty;
		r->add_queue = to ? to->id : ACD_NONE;
	}
	p->nrelax = cq->nrelax;
	return 0;
}

/* The ACD's view of agent u: its skills and the memberships of its configured queues it
 * is logged into (all but those in u->queues_off). */
static int agent_params(struct eng_tenant *t, struct eng_user *u, struct acd_skill_level *skills,
			struct acd_membership *ms, struct acd_agent_params *p)
{
	const struct cfg_user *cu = u->cu;
	size_t nm = 0;
	int err;

	if ((err = skill_levels(t->acd, cu->skills, cu->nskills, skills, 64)))
		return err;
	for (size_t i = 0; i < cu->nqueues && nm < ENG_MEMBERSHIPS; i++) {
		struct eng_queue *q = eng__queue(t->e, t, cu->queues[i].queue);
		if (!q)
			continue; /* removed through the API since: no membership */
		if (i < 64 && (u->queues_off >> i & 1))
			continue;
		ms[nm++] = (struct acd_membership){
		    .queue = q->id, .penalty = cu->queues[i].penalty, .order = (uint32_t)i + 1};
		/* The queue's mailbox and web chat are served by the same agents. */
		if (q->email_id != ACD_NONE && nm < ENG_MEMBERSHIPS)
			ms[nm++] = (struct acd_membership){.queue = q->email_id,
							   .penalty = cu->queues[i].penalty,
							   .order = (uint32_t)i + 1};
		/* And its number's texts, and its web chats. */
		if (q->sms_id != ACD_NONE && nm < ENG_MEMBERSHIPS)
			ms[nm++] = (struct acd_membership){.queue = q->sms_id,
							   .penalty = cu->queues[i].penalty,
							   .order = (uint32_t)i + 1};
		if (q->chat_id != ACD_NONE && nm < ENG_MEMBERSHIPS)
			ms[nm++] = (struct acd_membership){.queue = q->chat_id,
							   .penalty = cu->queues[i].penalty,
							   .order = (uint32_t)i + 1};
	}
	acd_agent_params_default(p);
	p->skills = skills;
	p->nskills = cu->nskills;
	p->queues = ms;
	p->nqueues = nm;
	p->ref = (uint64_t)(uintptr_t)u;
	return 0;
}

static int agent_add(struct eng_tenant *t, struct eng_user *u, uint64_t now)
{
	struct acd_skill_level skills[64];
	struct acd_membership ms[ENG_MEMBERSHIPS];
	struct acd_agent_params p;
	int err;

	if ((err = agent_params(t, u, skills, ms, &p)) ||
	    (err = acd_agent_add(t->acd, &p, now, &u->agent)))
		return err;
	u->state = ACD_STATE_LOGGED_OUT;
	u->state_since = clock_wall_ms();
	return 0;
}

int eng__agent_acd_add(struct eng_tenant *t, struct eng_user *u)
{
	int err = agent_add(t, u, clock_mono_ms());

	if (!err)
		eng__acd_arm(t);
	return err;
}

int eng__agent_acd_update(struct eng_tenant *t, struct eng_user *u)
{
	struct acd_skill_level skills[64];
	struct acd_membership ms[ENG_MEMBERSHIPS];
	struct acd_agent_params p;
	int err;

	if ((err = agent_params(t, u, skills, ms, &p)) ||
	    (err = acd_agent_update(t->acd, u->agent, &p, clock_mono_ms())))
		return err;
	eng__acd_arm(t);
	return 0;
}

int eng__agent_acd_remove(struct eng_tenant *t, struct eng_user *u)
{
	int64_t now = clock_wall_ms();
	int err;

	if (u->offer || u->cur || u->wrap_call)
		return EBUSY;
	if ((err = acd_agent_remove(t->acd, u->agent, clock_mono_ms())))
		return err;
	if (u->state != ACD_STATE_LOGGED_OUT)
		eng__span_write(t, u, u->state, u->reason, u->state_since,
				now > u->state_since ? now : u->state_since + 1);
	u->agent = ACD_NONE;
	u->state = ACD_STATE_LOGGED_OUT;
	eng__acd_arm(t);
	return 0;
}

int eng__agent_queue_member(struct eng_user *u, const char *queue, bool member)
{
	struct eng_tenant *t = u->t;
	struct acd_skill_level skills[64];
	struct acd_membership ms[ENG_MEMBERSHIPS];
	struct acd_agent_params p;
	size_t i;
	int err;

	if (u->agent == ACD_NONE || !t->acd)
		return EPERM;
	for (i = 0; i < u->cu->nqueues && i < 64 && strcmp(u->cu->queues[i].queue, queue); i++)
		;
	if (i == u->cu->nqueues || i >= 64)
		return ENOENT;
	if (member == !(u->queues_off >> i & 1))
		return 0;
	u->queues_off ^= 1ull << i;
	if ((err = agent_params(t, u, skills, ms, &p)) ||
	    (err = acd_agent_update(t->acd, u->agent, &p, clock_mono_ms()))) {
		u->queues_off ^= 1ull << i;
		return err;
	}
	log_info("engine", "tenant=%s event=agent_queue agent=%s queue=%s member=%d", t->ct->id,
		 u->cu->username, queue, member);
	eng__acd_arm(t);
	return 0;
}

/* Whether any of the tenant's queues but `gone` tries the caller's last agent first: only
 * then is the last agent of each caller remembered (last_agent grows by a caller number
 * for every new caller, up to LAST_AGENT_MAX (queue.c), and serves nothing without `sticky`).
 * Called when queues are added, changed or removed, not per call. */
static void sticky_update(struct eng_tenant *t, const struct eng_queue *gone)
{
	t->sticky = false;
	for (size_t i = 0; i < t->nqueues && !t->sticky; i++)
		t->sticky =
		    t->queues[i] != gone && !t->queues[i]->removed && t->queues[i]->cq->sticky_ms;
}

/* The ACD queue of one of q's written channels (its mailbox, its web chat): q's routing
 * (strategy, skills, ring timeout, service level) on channel ch, without what only a
 * caller on the line has (max wait and length, announcements, relaxation into voice
 * queues, wrap-up). */
static int side_queue_params(struct eng_tenant *t, const struct eng_queue *q, enum acd_channel ch,
			     struct acd_queue_params *p)
{
	int err = queue_params(t, q, false, p);

	if (err)
		return err;
	p->channel = ch;
	p->max_wait_ms = 0;
	p->max_len = 0;
	p->announce_ms = 0;
	p->wrap_up_ms = 0;
	p->nrelax = 0;
	return 0;
}

/* Adds, updates or removes the ACD queue *id of q's channel ch as `want` says. 0 or
 * errno. */
static int side_queue_sync(struct eng_tenant *t, struct eng_queue *q, enum acd_channel ch,
			   bool want, uint32_t *id, uint64_t now)
{
	struct acd_queue_params qp;
	int err;

	if (!want) {
		if (*id == ACD_NONE)
			return 0;
		if ((err = acd_queue_remove(t->acd, *id, now)))
			return err;
		*id = ACD_NONE;
		return 0;
	}
	if ((err = side_queue_params(t, q, ch, &qp)))
		return err;
	if (*id != ACD_NONE)
		return acd_queue_update(t->acd, *id, &qp, now);
	return acd_queue_add(t->acd, &qp, now, id);
}

/* q's mailbox, web chat and SMS queues as the configuration says. 0 or errno. */
static int written_queues_sync(struct eng_tenant *t, struct eng_queue *q, uint64_t now)
{
	int err = side_queue_sync(t, q, ACD_CH_EMAIL, q->cq->email != NULL, &q->email_id, now);

	if (err)
		return err;
	err =
	    side_queue_sync(t, q, ACD_CH_CHAT, cfg_chat_queue(t->ct, q->cq->id), &q->chat_id, now);
	if (err)
		return err;
	return side_queue_sync(t, q, ACD_CH_SMS, q->cq->sms != NULL, &q->sms_id, now);
}

/* Indexes q by its ACD id (grown as ids come). 0 or ENOMEM. */
static int qidx_set(struct eng_tenant *t, struct eng_queue *q)
{
	if (q->id >= t->nqidx) {
		size_t n = (size_t)q->id + 1;
		struct eng_queue **v = realloc(t->qidx, n * sizeof(*v));
		if (!v)
			return ENOMEM;
		memset(v + t->nqidx, 0, (n - t->nqidx) * sizeof(*v));
		t->qidx = v;
		t->nqidx = n;
	}
	t->qidx[q->id] = q;
	return 0;
}

int eng__queue_acd_add(struct eng_tenant *t, struct eng_queue *q)
{
	struct acd_queue_params qp;
	uint64_t now = clock_mono_ms();
	int err;

	if ((err = queue_params(t, q, true, &qp)))
		return err;
	if ((err = acd_queue_add(t->acd, &qp, now, &q->id)))
		return err;
	if ((err = qidx_set(t, q)) || (err = written_queues_sync(t, q, now))) {
		acd_queue_remove(t->acd, q->id, now);
		q->id = ACD_NONE;
		return err;
	}
	sticky_update(t, NULL);
	eng__acd_arm(t);
	return 0;
}

int eng__queue_acd_update(struct eng_tenant *t, struct eng_queue *q)
{
	struct acd_queue_params qp;
	uint32_t email = q->email_id, sms = q->sms_id, chat = q->chat_id;
	int err;

	if ((err = queue_params(t, q, true, &qp)) ||
	    (err = acd_queue_update(t->acd, q->id, &qp, clock_mono_ms())) ||
	    (err = written_queues_sync(t, q, clock_mono_ms())))
		return err;
	/* A mailbox, number or chat added or taken away: the queue's agents are members of
	 * its written ACD queues as of now. */
	if (email != q->email_id || sms != q->sms_id || chat != q->chat_id)
		for (size_t i = 0; i < t->nusers; i++) {
			struct eng_user *u = t->users[i];
			if (u->agent == ACD_NONE)
				continue;
			for (size_t k = 0; k < u->cu->nqueues; k++)
				if (!strcmp(u->cu->queues[k].queue, q->cq->id)) {
					if (eng__agent_acd_update(t, u))
						log_warn("engine",
							 "tenant=%s event=agent_queues_not_updated "
							 "agent=%s queue=%s",
							 t->ct->id, u->cu->username, q->cq->id);
					break;
				}
		}
	sticky_update(t, NULL);
	eng__acd_arm(t);
	return 0;
}

int eng__queue_acd_remove(struct eng_tenant *t, struct eng_queue *q)
{
	int err;

	if ((err = side_queue_sync(t, q, ACD_CH_EMAIL, false, &q->email_id, clock_mono_ms())) ||
	    (err = side_queue_sync(t, q, ACD_CH_CHAT, false, &q->chat_id, clock_mono_ms())) ||
	    (err = side_queue_sync(t, q, ACD_CH_SMS, false, &q->sms_id, clock_mono_ms())))
		return err;
	if ((err = acd_queue_remove(t->acd, q->id, clock_mono_ms())))
		return err;
	if (q->id < t->nqidx)
		t->qidx[q->id] = NULL;
	q->id = ACD_NONE;
	sticky_update(t, q);
	eng__acd_arm(t);
	return 0;
}

static int tenant_start(struct engine *e, struct eng_tenant *t)
{
	struct acd_params p;
	struct acd_handlers h;
	struct acd_queue_params qp;
	uint64_t now = clock_mono_ms();
	int err;

	eng__acd_handlers(&h, t);
	acd_params_default(&p);
	/* The tenant's channel rules: capacity per agent and what blocks what. */
	for (int i = 0; i < CFG_CHANNELS; i++) {
		const struct cfg_channel *cc = &t->ct->channels[i];
		enum acd_channel ch, other;
		if (acd_channel_find(cfg_channel_names[i], &ch))
			continue;
		if (cc->capacity >= 0)
			p.capacity[ch] = (uint8_t)cc->capacity;
		if (!cc->has_blocks)
			continue;
		p.blocks[ch] = 0;
		for (int j = 0; j < CFG_CHANNELS; j++)
			if ((cc->blocks & (1u << j)) &&
			    !acd_channel_find(cfg_channel_names[j], &other))
				p.blocks[ch] |= (uint8_t)ACD_CH_BIT(other);
	}
	/* Room for the queues and agents the API adds while running (docs/api.md). */
	p.max_agents = (uint32_t)t->nusers + ENG_AGENTS_SPARE;
	p.max_queues = (uint32_t)t->nqueues + ENG_QUEUES_SPARE;
	p.seed = (uint64_t)clock_mono_us();
	if ((err = acd_new(&p, &h, &t->acd)) || (err = strmap_create(1024, &t->last_agent)))
		return err;
	eng__tz_open(t);
	if (!(t->acd_timer = su_timer_create(su_root_task(e->root), 0)))
		return ENOMEM;
	/* Queues first without relaxation (a step may name a later queue), then with. */
	for (size_t i = 0; i < t->nqueues; i++)
		if ((err = queue_params(t, t->queues[i], false, &qp)) ||
		    (err = acd_queue_add(t->acd, &qp, now, &t->queues[i]->id)))
			goto bad_queue;
	/* ACD queue ids are small indexes: overflow events find their queue directly. */
	for (size_t i = 0; i < t->nqueues; i++)
		if (t->queues[i]->id >= t->nqidx)
			t->nqidx = t->queues[i]->id + 1;
	if (!(t->qidx = calloc(t->nqidx ? t->nqidx : 1, sizeof(*t->qidx))))
		return ENOMEM;
	for (size_t i = 0; i < t->nqueues; i++)
		t->qidx[t->queues[i]->id] = t->queues[i];
	/* Mailboxes' and chats' queues after the voice queues: ACD ids of the latter index qidx. */
	for (size_t i = 0; i < t->nqueues; i++)
		if ((err = written_queues_sync(t, t->queues[i], now)))
			goto bad_queue;
	sticky_update(t, NULL);
	for (size_t i = 0; i < t->nqueues; i++)
		if (t->queues[i]->cq->nrelax &&
		    ((err = queue_params(t, t->queues[i], true, &qp)) ||
		     (err = acd_queue_update(t->acd, t->queues[i]->id, &qp, now))))
			goto bad_queue;
	for (size_t i = 0; i < t->nusers; i++) {
		struct eng_user *u = t->users[i];
		if (!(u->cu->roles & CFG_ROLE_AGENT))
			continue;
		if ((err = agent_add(t, u, now))) {
			log_error("engine", "tenant=%s event=agent_failed agent=%s err=%s",
				  t->ct->id, u->cu->username, strerror(err));
			return err;
		}
	}
	{
		char at[40];
		log_info("engine",
			 "tenant=%s event=acd_started queues=%zu timezone=%s%s "
			 "counters_reset_at=%s",
			 t->ct->id, t->nqueues, t->ct->timezone, t->tz ? "" : " (unknown: UTC)",
			 clock_iso8601(t->next_reset_ms, at, sizeof(at)));
	}
	return 0;
bad_queue:
	log_error("engine", "tenant=%s event=queue_failed err=%s", t->ct->id, strerror(err));
	return err;
}

/* The name at `key` of queue node qn, checked by `find`; an error at its position. */
static size_t check_name(struct cy *cy, struct fy_node *qn, const char *path, const char *key,
			 bool (*known)(const char *), const char *choices)
{
	struct fy_node *v = cy_get(qn, key);
	const char *name = v ? cy_text(v) : NULL;
	char p[512];

	if (!v || (name && known(name)))
		return 0;
	cy_error(cy, v, cy_path(p, sizeof(p), path, key), "unknown %s \"%s\" (%s)", key,
		 name ? name : "", choices);
	return 1;
}

static bool strategy_known(const char *name)
{
	enum acd_strategy_id id;
	return !acd_strategy_find(name, &id);
}

static bool formula_known(const char *name)
{
	enum acd_sl_formula f;
	return !acd_sl_formula_find(name, &f);
}

size_t eng__acd_check(struct cfg *cfg)
{
	struct fy_node *tenants = cy_get(cy_root(cfg->cy), "tenants"), *tn;
	void *ti = NULL;
	size_t errors = 0;

	for (size_t i = 0; tenants && (tn = cy_items(tenants, &ti)); i++) {
		struct fy_node *queues = cy_get(tn, "queues"), *qn;
		void *qi = NULL;
		char tp[64];
		cy_path_idx(tp, sizeof(tp), "tenants", i);
		for (size_t j = 0; queues && (qn = cy_items(queues, &qi)); j++) {
			char qp[128], p[160];
			cy_path_idx(qp, sizeof(qp), cy_path(p, sizeof(p), tp, "queues"), j);
			errors += check_name(cfg->cy, qn, qp, "strategy", strategy_known,
					     "longest-idle, round-robin, least-calls, "
					     "least-talk-time, ring-all, linear, random, "
					     "weighted-random, best-skill");
			errors +=
			    check_name(cfg->cy, qn, qp, "service_level_formula", formula_known,
				       "all_excl_short, answered, with_abandons, all");
		}
	}
	return errors;
}

int eng__tenant_acd_start(struct engine *e, struct eng_tenant *t)
{
	return tenant_start(e, t);
}

int eng__acd_start(struct engine *e)
{
	int err;

	for (size_t i = 0; i < e->ntenants; i++)
		if ((err = tenant_start(e, &e->tenants[i])))
			return err;
	return 0;
}

void eng__acd_stop(struct engine *e)
{
	int64_t now = clock_wall_ms();

	for (size_t i = 0; i < e->ntenants; i++) {
		struct eng_tenant *t = &e->tenants[i];
		/* The spans still open end now. */
		for (size_t j = 0; j < t->nusers; j++) {
			struct eng_user *u = t->users[j];
			if (u->agent != ACD_NONE && u->state != ACD_STATE_LOGGED_OUT)
				eng__span_write(t, u, u->state, u->reason, u->state_since, now);
		}
		/* Calls whose agent is still in wrap-up: written with the wrap-up so far. */
		for (size_t j = 0; j < t->nusers; j++)
			if (t->users[j]->wrap_call) {
				struct call *c = t->users[j]->wrap_call;
				t->users[j]->wrap_call = NULL;
				eng__call_wrapped(c, now);
			}
		if (t->acd_timer)
			su_timer_destroy(t->acd_timer);
		t->acd_timer = NULL;
		acd_free(t->acd);
		t->acd = NULL;
		free(t->qidx);
		t->qidx = NULL;
		strmap_free(t->last_agent);
		eng__webcb_free(t);
		t->last_agent = NULL;
		ivr_calendar_free(t->tz);
		t->tz = NULL;
	}
}
