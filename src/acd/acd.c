/*
 * The ACD instance: creation with its preallocated pools, the skill dictionary, the
 * event queue through which callbacks are delivered, and the bracketing of API calls.
 *
 * Every public call that can report something runs between acd__enter() and
 * acd__leave(). Events are queued while the library changes its state and handed to the
 * engine's handlers only when the outermost call leaves, so a handler always sees a
 * consistent library and may call back into it; what such a nested call reports is
 * appended and delivered by the same loop, in order.
 */
#include "acd/acd_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void acd_params_default(struct acd_params *p)
{
	memset(p, 0, sizeof(*p));
	p->max_agents = 1024;
	p->max_queues = 256;
	p->max_contacts = 16384;
	p->max_skills = 256;
	p->capacity[ACD_CH_VOICE] = 1;
	p->capacity[ACD_CH_CHAT] = 3;
	p->capacity[ACD_CH_EMAIL] = 5;
	p->capacity[ACD_CH_SMS] = 5;
	p->capacity[ACD_CH_CALLBACK] = 1;
	p->blocks[ACD_CH_VOICE] = ACD_CH_ALL;
	p->blocks[ACD_CH_CALLBACK] = ACD_CH_ALL;
	p->blocks[ACD_CH_CHAT] = ACD_CH_BIT(ACD_CH_VOICE) | ACD_CH_BIT(ACD_CH_CALLBACK);
	p->blocks[ACD_CH_EMAIL] = ACD_CH_BIT(ACD_CH_VOICE) | ACD_CH_BIT(ACD_CH_CALLBACK);
	p->blocks[ACD_CH_SMS] = ACD_CH_BIT(ACD_CH_VOICE) | ACD_CH_BIT(ACD_CH_CALLBACK);
	p->max_no_answer = 3;
	p->no_answer_reason = ACD_REASON_NO_ANSWER;
	p->seed = 0x9e3779b97f4a7c15ull;
}

void *acd__calloc(struct acd *acd, size_t n, size_t size)
{
	void *p = n ? calloc(n, size) : NULL;

	if (p)
		acd->mem += n * size;
	return p;
}

void *acd__realloc(struct acd *acd, void *p, size_t old_n, size_t new_n, size_t size)
{
	void *np = realloc(p, new_n * size);

	if (!np)
		return NULL;
	if (new_n > old_n)
		memset((char *)np + old_n * size, 0, (new_n - old_n) * size);
	acd->mem += new_n * size;
	acd->mem -= old_n * size;
	return np;
}

void acd__free(struct acd *acd, void *p, size_t n, size_t size)
{
	if (!p)
		return;
	acd->mem -= n * size;
	free(p);
}

/* xorshift64*: fast, seeded, reproducible for simulations and tests. */
uint64_t acd__rand(struct acd *acd)
{
	uint64_t x = acd->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	acd->rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

int acd_new(const struct acd_params *p, const struct acd_handlers *h, struct acd **out)
{
	struct acd *acd;
	int err = ENOMEM;
	uint32_t i;

	if (!p->max_agents || !p->max_queues || !p->max_contacts || !p->max_skills ||
	    p->max_contacts > ACD__IDX_MASK || p->max_agents >= ACD__AGENT_BIT)
		return EINVAL;
	acd = calloc(1, sizeof(*acd));
	if (!acd)
		return ENOMEM;
	acd->mem = sizeof(*acd);
	acd->p = *p;
	if (h)
		acd->h = *h;
	acd->rng = p->seed ? p->seed : 1;
	acd->agents = acd__calloc(acd, p->max_agents, sizeof(*acd->agents));
	acd->queues = acd__calloc(acd, p->max_queues, sizeof(*acd->queues));
	acd->skills = acd__calloc(acd, p->max_skills, sizeof(*acd->skills));
	acd->contacts = aligned_alloc(64, (size_t)p->max_contacts * sizeof(*acd->contacts));
	if (acd->contacts) {
		memset(acd->contacts, 0, (size_t)p->max_contacts * sizeof(*acd->contacts));
		acd->mem += (size_t)p->max_contacts * sizeof(*acd->contacts);
	}
	acd->heap = acd__calloc(acd, (size_t)p->max_contacts + p->max_agents, sizeof(*acd->heap));
	acd->ev_cap = 256;
	acd->ev = acd__calloc(acd, acd->ev_cap, sizeof(*acd->ev));
	if (!acd->agents || !acd->queues || !acd->skills || !acd->contacts || !acd->heap ||
	    !acd->ev)
		goto out;
	for (i = 0; i < p->max_contacts; i++) {
		acd->contacts[i].next_free = i + 1 < p->max_contacts ? i + 1 : ACD_NONE;
		acd->contacts[i].hidx = ACD__NO_HEAP;
	}
	acd->free_contact = 0;
	for (i = 0; i < p->max_agents; i++)
		acd->agents[i].hidx = ACD__NO_HEAP;
	*out = acd;
	err = 0;
out:
	if (err)
		acd_free(acd);
	return err;
}

static void queue_release(struct acd *acd, struct acd__queue *q)
{
	acd__free(acd, q->pens, q->pens_cap, sizeof(*q->pens));
	acd__free(acd, q->buckets, (size_t)q->npen * q->nstage, sizeof(*q->buckets));
	acd__free(acd, q->borrowers, q->borrowers_cap, sizeof(*q->borrowers));
	q->pens = NULL;
	q->buckets = NULL;
	q->borrowers = NULL;
}

void acd_free(struct acd *acd)
{
	uint32_t i;

	if (!acd)
		return;
	if (acd->agents) {
		for (i = 0; i < acd->nagents; i++) {
			struct acd__agent *a = &acd->agents[i];
			free(a->skills);
			free(a->explicit_q);
			free(a->members);
			free(a->mhot);
		}
	}
	if (acd->queues)
		for (i = 0; i < acd->nqueues; i++)
			queue_release(acd, &acd->queues[i]);
	if (acd->skills) {
		for (i = 0; i < acd->nskills; i++) {
			free(acd->skills[i].name);
			free(acd->skills[i].agents);
			free(acd->skills[i].queues);
		}
	}
	free(acd->agents);
	free(acd->queues);
	free(acd->skills);
	free(acd->contacts);
	free(acd->heap);
	free(acd->ev);
	free(acd);
}

size_t acd_memory(const struct acd *acd)
{
	return acd->mem;
}

/* ---- call bracketing and events ---- */

void acd__enter(struct acd *acd, uint64_t now)
{
	acd->depth++;
	acd->now = now;
}

static void dispatch(struct acd *acd, const struct acd__event *e)
{
	const struct acd_handlers *h = &acd->h;

	switch (e->type) {
	case ACD__EV_STATE:
		if (h->state)
			h->state(&e->u.st, h->arg);
		break;
	case ACD__EV_OFFER:
		if (h->offer)
			h->offer(&e->u.of, h->arg);
		break;
	case ACD__EV_CANCEL:
		if (h->cancel)
			h->cancel(&e->u.of, e->why, h->arg);
		break;
	case ACD__EV_OVERFLOW:
		if (h->overflow)
			h->overflow(&e->u.ov, h->arg);
		break;
	case ACD__EV_ANNOUNCE:
		if (h->announce)
			h->announce(&e->u.an, h->arg);
		break;
	}
}

void acd__leave(struct acd *acd)
{
	if (--acd->depth > 0 || acd->dispatching)
		return;
	acd->dispatching = true;
	while (acd->ev_n) {
		struct acd__event e = acd->ev[acd->ev_head];
		acd->ev_head = (acd->ev_head + 1) % acd->ev_cap;
		acd->ev_n--;
		dispatch(acd, &e);
	}
	acd->ev_head = 0;
	acd->dispatching = false;
}

/* Queues an event. The queue grows (rarely: ring-all to many agents at once); if that
 * fails the event is delivered at once, which is still correct but earlier than the
 * rest of the state change. */
void acd__emit(struct acd *acd, const struct acd__event *ev)
{
	if (acd->ev_n == acd->ev_cap) {
		size_t cap = acd->ev_cap * 2, i;
		struct acd__event *nv = acd__calloc(acd, cap, sizeof(*nv));
		if (!nv) {
			dispatch(acd, ev);
			return;
		}
		for (i = 0; i < acd->ev_n; i++)
			nv[i] = acd->ev[(acd->ev_head + i) % acd->ev_cap];
		acd__free(acd, acd->ev, acd->ev_cap, sizeof(*acd->ev));
		acd->ev = nv;
		acd->ev_cap = cap;
		acd->ev_head = 0;
	}
	acd->ev[(acd->ev_head + acd->ev_n) % acd->ev_cap] = *ev;
	acd->ev_n++;
}

/* ---- lookups ---- */

struct acd__agent *acd__agent_get(const struct acd *acd, uint32_t a)
{
	if (a >= acd->nagents || !acd->agents[a].used)
		return NULL;
	return &acd->agents[a];
}

struct acd__queue *acd__queue_get(const struct acd *acd, uint32_t q)
{
	if (q >= acd->nqueues || !acd->queues[q].used)
		return NULL;
	return &acd->queues[q];
}

struct acd__contact *acd__contact_get(const struct acd *acd, uint32_t c)
{
	uint32_t i = c & ACD__IDX_MASK;

	if (c == ACD_NONE || i >= acd->p.max_contacts)
		return NULL;
	if (!acd->contacts[i].used || acd->contacts[i].id != c)
		return NULL;
	return &acd->contacts[i];
}

/* ---- skills ---- */

int acd_skill_find(const struct acd *acd, const char *name, uint32_t *out)
{
	uint32_t i;

	for (i = 0; name && i < acd->nskills; i++) {
		if (strcmp(acd->skills[i].name, name) == 0) {
			*out = i;
			return 0;
		}
	}
	return ENOENT;
}

int acd_skill_intern(struct acd *acd, const char *name, uint32_t *out)
{
	char *dup;

	if (!name || !*name)
		return EINVAL;
	if (acd_skill_find(acd, name, out) == 0)
		return 0;
	if (acd->nskills == acd->p.max_skills)
		return ENOSPC;
	dup = strdup(name);
	if (!dup)
		return ENOMEM;
	acd->mem += strlen(name) + 1;
	acd->skills[acd->nskills].name = dup;
	*out = acd->nskills++;
	return 0;
}

/* Checks a list of skill requirements or levels: known skills, levels 1..10, no
 * duplicates, at most `max`. Returns 0, EINVAL or ENOENT. */
int acd__check_skills(const struct acd *acd, const struct acd_skill_level *s, size_t n, size_t max)
{
	size_t i, j;

	if (n > max || (n && !s))
		return EINVAL;
	for (i = 0; i < n; i++) {
		if (s[i].skill >= acd->nskills)
			return ENOENT;
		if (s[i].level < 1 || s[i].level > ACD_MAX_LEVEL)
			return EINVAL;
		for (j = 0; j < i; j++)
			if (s[j].skill == s[i].skill)
				return EINVAL;
	}
	return 0;
}

/* ---- names ---- */

static const char *const state_names[ACD_STATE_COUNT] = {
    "logged_out", "ready", "not_ready", "reserved", "busy", "wrap_up",
};
static const char *const channel_names[ACD_CH_COUNT] = {
    "voice", "chat", "email", "sms", "callback",
};
static const char *const overflow_names[ACD_OVERFLOW_COUNT] = {
    "max_wait",
    "max_len",
    "closed",
};
static const char *const cause_names[] = {
    "request", "offer",	      "answer",	      "missed",	      "no_answer", "cancel",
    "end",     "wrap_up_end", "wrap_up_skip", "provisioning", "external",
};
static const char *const sl_names[ACD_SL_COUNT] = {
    "all_excl_short",
    "answered",
    "with_abandons",
    "all",
};

const char *acd_state_name(enum acd_state s)
{
	return (unsigned)s < ACD_STATE_COUNT ? state_names[s] : "?";
}

const char *acd_channel_name(enum acd_channel ch)
{
	return (unsigned)ch < ACD_CH_COUNT ? channel_names[ch] : "?";
}

int acd_channel_find(const char *name, enum acd_channel *out)
{
	for (int i = 0; name && i < ACD_CH_COUNT; i++) {
		if (strcmp(channel_names[i], name) == 0) {
			*out = (enum acd_channel)i;
			return 0;
		}
	}
	return ENOENT;
}

const char *acd_overflow_name(enum acd_overflow_reason r)
{
	return (unsigned)r < ACD_OVERFLOW_COUNT ? overflow_names[r] : "?";
}

const char *acd_cause_name(enum acd_cause c)
{
	return (unsigned)c < sizeof(cause_names) / sizeof(cause_names[0]) ? cause_names[c] : "?";
}

const char *acd_sl_formula_name(enum acd_sl_formula f)
{
	return (unsigned)f < ACD_SL_COUNT ? sl_names[f] : "?";
}

int acd_sl_formula_find(const char *name, enum acd_sl_formula *out)
{
	for (int i = 0; name && i < ACD_SL_COUNT; i++) {
		if (strcmp(sl_names[i], name) == 0) {
			*out = (enum acd_sl_formula)i;
			return 0;
		}
	}
	return ENOENT;
}
