/*
 * The tenant list changed by a reload of the file (SIGHUP), on the engine's thread.
 *
 * A tenant added is set up as at start (calendars, queues, users, numbers, codes, its
 * ACD and flows) in a spare slot of e->tenants, which is never moved because calls keep
 * pointers into it; from then on its domain, numbers and phones are served. A tenant
 * removed leaves every index (domain, numbers, usernames, SIP users, queue ids) at once,
 * so a new call to it is refused as any unknown number, its phones no longer
 * authenticate and API requests naming it find nothing; its calls in progress keep
 * their tenant, queues and users, which stay allocated until the engine stops. A tenant
 * whose domain changed is removed and added again; the order of the list is not
 * significant.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"

struct eng_tenant *eng__tenant_find(struct engine *e, const char *id)
{
	for (size_t i = 0; id && i < e->ntenants; i++)
		if (!e->tenants[i].removed && !strcmp(e->tenants[i].ct->id, id))
			return &e->tenants[i];
	return NULL;
}

void eng__tenant_retire(struct engine *e, struct eng_tenant *t)
{
	const struct cfg_tenant *ct = t->ct;
	size_t calls = 0;

	if (t->removed)
		return;
	if (strmap_get(e->by_domain, ct->domain) == t)
		strmap_put(e->by_domain, ct->domain, NULL);
	for (size_t i = 0; i < ct->nnumbers; i++) {
		const char *n = ct->numbers[i].number;
		strmap_put2(e->numbers, ct->id, n, NULL);
		if (strmap_get2(e->numbers, "", n) == t)
			strmap_put2(e->numbers, "", n, NULL);
	}
	eng__numbers_retire(e, t);
	for (size_t i = 0; i < t->nusers; i++) {
		const struct cfg_user *cu = t->users[i]->cu;
		if (strmap_get2(e->usernames, ct->id, cu->username) == t->users[i])
			strmap_put2(e->usernames, ct->id, cu->username, NULL);
		if (cu->sip_user &&
		    strmap_get2(e->sip_users, ct->domain, cu->sip_user) == t->users[i])
			strmap_put2(e->sip_users, ct->domain, cu->sip_user, NULL);
	}
	for (size_t i = 0; i < t->nqueues; i++)
		if (strmap_get2(e->queue_ids, ct->id, t->queues[i]->cq->id) == t->queues[i])
			strmap_put2(e->queue_ids, ct->id, t->queues[i]->cq->id, NULL);
	eng__trunks_retire(e, t);
	t->removed = true;
	for (size_t b = 0; b < e->calls_cap; b++)
		for (const struct call *c = e->calls[b]; c; c = c->hnext)
			calls += c->t == t;
	log_info("engine",
		 "tenant=%s event=tenant_removed domain=%s calls=%zu note=\"new calls are "
		 "refused; calls in progress finish\"",
		 ct->id, ct->domain, calls);
}

int eng__tenant_add(struct engine *e, const struct cfg_tenant *ct, struct eng_tenant **out)
{
	struct eng_tenant *t;
	int err;

	if (e->ntenants == e->tenants_cap) {
		log_error("engine",
			  "tenant=%s event=tenant_not_added note=\"%d tenants added since the "
			  "start already: restart to apply\"",
			  ct->id, ENG_TENANTS_SPARE);
		return ENOSPC;
	}
	t = &e->tenants[e->ntenants++];
	memset(t, 0, sizeof(*t));
	/* Counted before it is complete: the stop frees what was made either way. */
	if ((err = eng__tenant_provision(e, t, ct)) || (err = eng__tenant_acd_start(e, t)) ||
	    (err = eng__flows_load_tenant(e, t))) {
		log_error("engine", "tenant=%s event=tenant_not_added err=%s", ct->id,
			  strerror(err));
		eng__tenant_retire(e, t);
		return err;
	}
	log_info("engine",
		 "tenant=%s event=tenant_added domain=%s users=%zu queues=%zu numbers=%zu "
		 "trunks=%zu",
		 ct->id, ct->domain, ct->nusers, ct->nqueues, ct->nnumbers, ct->ntrunks);
	*out = t;
	return 0;
}

unsigned eng__reload_tenants_retire(struct engine *e, const struct cfg *nc)
{
	unsigned n = 0;

	for (size_t i = 0; i < e->ntenants; i++) {
		struct eng_tenant *t = &e->tenants[i];
		const struct cfg_tenant *nt = t->removed ? NULL : cfg_tenant_find(nc, t->ct->id);
		if (t->removed || (nt && !strcmp(nt->domain, t->ct->domain)))
			continue;
		if (nt)
			log_info("engine",
				 "tenant=%s event=tenant_domain_changed from=%s to=%s "
				 "note=\"removed and added again\"",
				 t->ct->id, t->ct->domain, nt->domain);
		eng__tenant_retire(e, t);
		n++;
	}
	return n;
}

unsigned eng__reload_tenants_add(struct engine *e)
{
	const struct cfg *nc = e->cfg;
	struct eng_tenant *t;
	unsigned n = 0;

	for (size_t i = 0; i < nc->ntenants; i++)
		if (!eng__tenant_find(e, nc->tenants[i].id) &&
		    !eng__tenant_add(e, &nc->tenants[i], &t))
			n++;
	return n;
}
