/*
 * Turns the loaded configuration into the engine's runtime indexes: tenants by domain,
 * numbers, SIP users and usernames, so that every event is routed by hash lookups.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int eng__provision(struct engine *e)
{
	const struct cfg *cfg = e->cfg;
	int err;

	if ((err = strmap_create(16, &e->by_domain)) || (err = strmap_create(64, &e->numbers)) ||
	    (err = strmap_create(256, &e->sip_users)) || (err = strmap_create(256, &e->usernames)))
		return err;
	e->tenants = calloc(cfg->ntenants ? cfg->ntenants : 1, sizeof(*e->tenants));
	if (!e->tenants)
		return ENOMEM;
	e->ntenants = cfg->ntenants;
	for (size_t i = 0; i < cfg->ntenants; i++) {
		struct eng_tenant *t = &e->tenants[i];
		const struct cfg_tenant *ct = &cfg->tenants[i];
		t->ct = ct;
		strmap_put(e->by_domain, ct->domain, t);
		t->users = calloc(ct->nusers ? ct->nusers : 1, sizeof(*t->users));
		if (!t->users)
			return ENOMEM;
		t->nusers = ct->nusers;
		for (size_t j = 0; j < ct->nusers; j++) {
			struct eng_user *u = &t->users[j];
			u->cu = &ct->users[j];
			u->t = t;
			strmap_put2(e->usernames, ct->id, u->cu->username, u);
			if (u->cu->sip_user)
				strmap_put2(e->sip_users, ct->domain, u->cu->sip_user, u);
		}
		for (size_t j = 0; j < ct->nnumbers; j++) {
			const struct cfg_number *n = &ct->numbers[j];
			strmap_put2(e->numbers, ct->id, n->number, (void *)n);
			/* Calls from trunks name our address, not a domain: a number that
			 * only one tenant has is found without one. */
			if (!strmap_get2(e->numbers, "", n->number))
				strmap_put2(e->numbers, "", n->number, t);
		}
	}
	return 0;
}

void eng__unprovision(struct engine *e)
{
	for (size_t i = 0; i < e->ntenants; i++)
		free(e->tenants[i].users);
	free(e->tenants);
	strmap_free(e->by_domain);
	strmap_free(e->numbers);
	strmap_free(e->sip_users);
	strmap_free(e->usernames);
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
