/*
 * Turns the loaded configuration into the engine's runtime indexes: tenants by domain,
 * numbers, SIP users and usernames, so that every event is routed by hash lookups.
 */
#include "engine/engine_int.h"
#include "engine/flows_live.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/* Named business-hours calendars: for queue hours here and for flows (flow.c). */
static int provision_calendars(struct engine *e, struct eng_tenant *t)
{
	const struct cfg_tenant *ct = t->ct;

	t->calendars = calloc(ct->ncalendars ? ct->ncalendars : 1, sizeof(*t->calendars));
	if (!t->calendars)
		return ENOMEM;
	for (size_t i = 0; i < ct->ncalendars; i++) {
		int err = ivr_calendar_load_named(e->cfg->cy, &ct->calendars[i], ct->timezone,
						  &t->calendars[i]);
		if (err)
			return err;
		t->ncalendars++;
	}
	return 0;
}

/* A queue of the tenant's running set (allocated on its own: calls keep pointers to it),
 * indexed by id. Its ACD side is queue.c's. 0 or ENOMEM. */
int eng__queue_append(struct eng_tenant *t, const struct cfg_queue *cq, struct cfg *owner,
		      struct eng_queue **out)
{
	struct eng_queue *q;

	if (t->nqueues == t->queues_cap) {
		size_t cap = t->queues_cap ? 2 * t->queues_cap : 8;
		struct eng_queue **v = realloc(t->queues, cap * sizeof(*v));
		if (!v)
			return ENOMEM;
		t->queues = v;
		t->queues_cap = cap;
	}
	if (!(q = calloc(1, sizeof(*q))))
		return ENOMEM;
	q->cq = cq;
	q->owner = owner;
	q->t = t;
	q->id = ACD_NONE;
	q->email_id = ACD_NONE;
	q->sms_id = ACD_NONE;
	q->chat_id = ACD_NONE;
	q->open = true;
	q->hours = cq->hours ? eng__calendar(t, cq->hours) : NULL;
	if (strmap_put2(t->e->queue_ids, t->ct->id, cq->id, q)) {
		free(q);
		return ENOMEM;
	}
	t->queues[t->nqueues++] = q;
	*out = q;
	return 0;
}

static int provision_queues(struct engine *e, struct eng_tenant *t)
{
	const struct cfg_tenant *ct = t->ct;
	struct eng_queue *q;
	int err;

	(void)e;
	for (size_t i = 0; i < ct->nqueues; i++) {
		if ((err = eng__queue_append(t, &ct->queues[i], NULL, &q)))
			return err;
		if (q->cq->hours && !q->hours)
			return ENOENT;
	}
	return 0;
}

int eng__user_append(struct eng_tenant *t, const struct cfg_user *cu, struct cfg *owner,
		     struct eng_user **out)
{
	struct engine *e = t->e;
	struct eng_user *u;

	if (t->nusers == t->users_cap) {
		size_t cap = t->users_cap ? 2 * t->users_cap : 16;
		struct eng_user **v = realloc(t->users, cap * sizeof(*v));
		if (!v)
			return ENOMEM;
		t->users = v;
		t->users_cap = cap;
	}
	if (!(u = calloc(1, sizeof(*u))))
		return ENOMEM;
	u->cu = cu;
	u->owner = owner;
	u->t = t;
	u->agent = ACD_NONE;
	if (strmap_put2(e->usernames, t->ct->id, cu->username, u) ||
	    (cu->sip_user && strmap_put2(e->sip_users, t->ct->domain, cu->sip_user, u))) {
		strmap_put2(e->usernames, t->ct->id, cu->username, NULL);
		free(u);
		return ENOMEM;
	}
	t->users[t->nusers++] = u;
	*out = u;
	return 0;
}

static void user_free(struct eng_user *u)
{
	cfg_free(u->owner);
	free(u);
}

static void queue_free(struct eng_queue *q)
{
	cfg_free(q->owner);
	free(q);
}

int eng__tenant_provision(struct engine *e, struct eng_tenant *t, const struct cfg_tenant *ct)
{
	int err;

	t->e = e;
	t->ct = ct;
	t->acd_deadline = ACD_NEVER;
	if ((err = strmap_put(e->by_domain, ct->domain, t)) || (err = provision_calendars(e, t)) ||
	    (err = provision_queues(e, t)) || (err = eng__codes_init(t)) ||
	    (err = eng__trunks_init(e, t)))
		return err;
	for (size_t j = 0; j < ct->nusers; j++) {
		struct eng_user *u;
		if ((err = eng__user_append(t, &ct->users[j], NULL, &u)))
			return err;
	}
	for (size_t j = 0; j < ct->nnumbers; j++) {
		const struct cfg_number *n = &ct->numbers[j];
		if ((err = strmap_put2(e->numbers, ct->id, n->number, (void *)n)))
			return err;
		/* Calls from trunks name our address, not a domain: a number that only one
		 * tenant has is found without one. */
		if (!strmap_get2(e->numbers, "", n->number) &&
		    (err = strmap_put2(e->numbers, "", n->number, t)))
			return err;
	}
	return 0;
}

int eng__provision(struct engine *e)
{
	const struct cfg *cfg = e->cfg;
	int err;

	if ((err = strmap_create(16, &e->by_domain)) || (err = strmap_create(64, &e->numbers)) ||
	    (err = strmap_create(256, &e->sip_users)) ||
	    (err = strmap_create(256, &e->usernames)) || (err = strmap_create(64, &e->queue_ids)))
		return err;
	/* Room for the tenants a reload adds: calls keep pointers into this array, so it
	 * is never moved (tenants_live.c). */
	e->tenants_cap = cfg->ntenants + ENG_TENANTS_SPARE;
	e->tenants = calloc(e->tenants_cap, sizeof(*e->tenants));
	if (!e->tenants)
		return ENOMEM;
	e->ntenants = cfg->ntenants;
	for (size_t i = 0; i < cfg->ntenants; i++)
		if ((err = eng__tenant_provision(e, &e->tenants[i], &cfg->tenants[i])))
			return err;
	return 0;
}

void eng__unprovision(struct engine *e)
{
	for (size_t i = 0; i < e->ntenants; i++) {
		struct eng_tenant *t = &e->tenants[i];
		for (size_t j = 0; j < t->ncalendars; j++)
			ivr_calendar_free(t->calendars[j]);
		free(t->calendars);
		for (size_t j = 0; j < t->nqueues; j++)
			queue_free(t->queues[j]);
		free(t->queues);
		eng__objects_free(t);
		eng__codes_free(t);
		eng__trunks_free(t);
		while (t->retired) {
			struct eng_queue *q = t->retired;
			t->retired = q->retired_next;
			queue_free(q);
		}
		for (size_t j = 0; j < t->nusers; j++)
			user_free(t->users[j]);
		free(t->users);
		while (t->retired_users) {
			struct eng_user *u = t->retired_users;
			t->retired_users = u->retired_next;
			user_free(u);
		}
	}
	free(e->tenants);
	strmap_free(e->by_domain);
	strmap_free(e->numbers);
	strmap_free(e->sip_users);
	strmap_free(e->usernames);
	strmap_free(e->queue_ids);
}

struct eng_queue *eng__queue(struct engine *e, struct eng_tenant *t, const char *id)
{
	return id ? strmap_get2(e->queue_ids, t->ct->id, id) : NULL;
}

const struct ivr_calendar *eng__calendar(struct eng_tenant *t, const char *name)
{
	if (t->live && t->live->cur)
		return eng__gen_calendar(t->live->cur, name);
	for (size_t i = 0; i < t->ncalendars; i++)
		if (!strcmp(ivr_calendar_name(t->calendars[i]), name))
			return t->calendars[i];
	return NULL;
}

bool eng__calendar_defined(struct eng_tenant *t, const char *name)
{
	return t->live ? eng__caldef(t, name) != NULL : eng__calendar(t, name) != NULL;
}

static void queue_hours_resolve(struct eng_tenant *t, struct eng_queue *q)
{
	const struct ivr_calendar *cal = q->cq->hours ? eng__calendar(t, q->cq->hours) : NULL;

	if (q->cq->hours && !cal && !q->removed)
		log_warn("engine",
			 "tenant=%s event=queue_hours_missing queue=%s calendar=%s "
			 "note=\"the queue keeps its open or closed state\"",
			 t->ct->id, q->cq->id, q->cq->hours);
	q->hours = cal;
}

void eng__queues_hours_resolve(struct eng_tenant *t)
{
	for (size_t i = 0; i < t->nqueues; i++)
		queue_hours_resolve(t, t->queues[i]);
	for (struct eng_queue *q = t->retired; q; q = q->retired_next)
		queue_hours_resolve(t, q);
}

const char *eng__calendar_queue(struct eng_tenant *t, const char *name)
{
	for (size_t i = 0; i < t->nqueues; i++)
		if (t->queues[i]->cq->hours && !strcmp(t->queues[i]->cq->hours, name))
			return t->queues[i]->cq->id;
	return NULL;
}

struct eng_tenant *eng__tenant_by_host(struct engine *e, const char *host)
{
	return host ? strmap_get(e->by_domain, host) : NULL;
}

const struct cfg_number *eng__number(struct engine *e, struct eng_tenant **t, const char *number)
{
	if (!*t)
		*t = strmap_get2(e->numbers, "", number);
	if (!*t)
		return NULL;
	return strmap_get2(e->numbers, (*t)->ct->id, number);
}
