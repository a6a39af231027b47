/*
 * Users made, changed and removed through the API while the server runs. A new user
 * can register its phone at once (its digest credentials are looked up by hash like the
 * file's) and, as an agent, joins the queues its skills and `queues` give it; a change
 * of skills or queues applies to the next routing decision. The file owns the users it
 * lists: those are never changed here.
 *
 * Removal (and taking the agent role away) is refused (EBUSY, 409 in_use) while the
 * user is on a call, rung by an offer or in wrap-up, or a number or queue overflow the
 * API made points at it. A removed user leaves the indexes at once; its record stays
 * allocated until the engine stops, as a phone's registration or an ended call may still
 * name it.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

/* Sets u's SIP user index from `from` to `to` (either NULL). */
static void sip_index(struct engine *e, struct eng_user *u, const char *from, const char *to)
{
	const char *domain = u->t->ct->domain;

	if (from && strmap_get2(e->sip_users, domain, from) == u)
		strmap_put2(e->sip_users, domain, from, NULL);
	if (to)
		strmap_put2(e->sip_users, domain, to, u);
}

/* Checks cu against what runs (u: the user it replaces, or NULL); fills a SIP password
 * left out from u's. NULL when it can run. */
static const char *user_problem(struct engine *e, struct eng_tenant *t, struct cfg_user *cu,
				const struct eng_user *u, const char **field, int *err)
{
	static char msg[160];
	struct eng_user *holder;

	*err = EINVAL;
	*field = "skills";
	if (cu->nskills > 64)
		return "at most 64 skills";
	*field = "queues";
	if (cu->nqueues > 64)
		return "at most 64 queues";
	for (size_t i = 0; i < cu->nqueues; i++)
		if (!eng__queue(e, t, cu->queues[i].queue)) {
			snprintf(msg, sizeof(msg), "no such queue in this tenant: %s",
				 cu->queues[i].queue);
			return msg;
		}
	if (!cu->sip_user)
		return NULL;
	*field = "sip.user";
	holder = strmap_get2(e->sip_users, t->ct->domain, cu->sip_user);
	if (holder && holder != u) {
		*err = EADDRINUSE;
		return "another user of the tenant has this SIP user";
	}
	if (cu->ha1_md5[0])
		return NULL;
	*field = "sip.password";
	if (!u || !u->cu->sip_user || strcmp(u->cu->sip_user, cu->sip_user))
		return "required for a new SIP user";
	memcpy(cu->ha1_md5, u->cu->ha1_md5, sizeof(cu->ha1_md5));
	memcpy(cu->ha1_sha256, u->cu->ha1_sha256, sizeof(cu->ha1_sha256));
	return NULL;
}

static void user_unlink(struct engine *e, struct eng_tenant *t, struct eng_user *u)
{
	for (size_t i = 0; i < t->nusers; i++)
		if (t->users[i] == u) {
			memmove(&t->users[i], &t->users[i + 1],
				(t->nusers - i - 1) * sizeof(*t->users));
			t->nusers--;
			break;
		}
	if (strmap_get2(e->usernames, t->ct->id, u->cu->username) == u)
		strmap_put2(e->usernames, t->ct->id, u->cu->username, NULL);
	sip_index(e, u, u->cu->sip_user, NULL);
}

int eng__user_create(struct engine *e, struct eng_tenant *t, const struct cfg_user *cu,
		     struct cfg *owner, const char **why)
{
	struct eng_user *u;
	int err;

	if ((err = eng__user_append(t, cu, owner, &u)))
		return err;
	if ((cu->roles & CFG_ROLE_AGENT) && t->acd && (err = eng__agent_acd_add(t, u))) {
		user_unlink(e, t, u);
		free(u); /* the caller frees owner */
		*why = err == ENOSPC ? "the tenant has as many agents as it can hold"
				     : "the ACD refused the agent";
		return err == ENOSPC ? ENOSPC : EINVAL;
	}
	log_info("engine", "tenant=%s event=user_added user=%s agent=%d source=%s", t->ct->id,
		 cu->username, u->agent != ACD_NONE, owner ? "api" : "file");
	return 0;
}

int eng__user_replace(struct engine *e, struct eng_tenant *t, struct eng_user *u,
		      const struct cfg_user *cu, struct cfg *owner, const char **why)
{
	const struct cfg_user *old_cu = u->cu;
	struct cfg *old_owner = u->owner;
	uint64_t old_off = u->queues_off;
	bool was = u->agent != ACD_NONE, is = (cu->roles & CFG_ROLE_AGENT) && t->acd;
	int err = 0;

	u->cu = cu;
	u->owner = owner;
	u->queues_off = 0; /* the list may have changed: every listed queue, logged in */
	if (was && is)
		err = eng__agent_acd_update(t, u);
	else if (was)
		err = eng__agent_acd_remove(t, u);
	else if (is)
		err = eng__agent_acd_add(t, u);
	if (err) {
		u->cu = old_cu;
		u->owner = old_owner;
		u->queues_off = old_off;
		*why = err == EBUSY ? "the agent is on a call, rung or in wrap-up"
				    : "the ACD refused the change";
		return err == EBUSY ? EBUSY : EINVAL;
	}
	sip_index(e, u, old_cu->sip_user, NULL);
	sip_index(e, u, NULL, cu->sip_user);
	if (is && !was && u->ncontacts)
		eng__agent_registered(u, u->ncontacts);
	eng__keep_old_cfg(t, old_owner);
	log_info("engine", "tenant=%s event=user_changed user=%s agent=%d source=%s", t->ct->id,
		 cu->username, u->agent != ACD_NONE, owner ? "api" : "file");
	return 0;
}

int eng__user_put(struct engine *e, struct eng_tenant *t, struct cfg *owner, bool *created,
		  const char **why, const char **field)
{
	struct cfg_user *cu = &owner->tenants[0].users[0];
	struct eng_user *u = strmap_get2(e->usernames, t->ct->id, cu->username);
	int err;

	*field = "username";
	*why = NULL;
	if (cfg_user_find(t->ct, cu->username)) {
		*why = "the user is defined in the configuration file; change it there";
		return EEXIST;
	}
	if ((*why = user_problem(e, t, cu, u, field, &err)))
		return err;
	*created = !u;
	*field = NULL;
	return u ? eng__user_replace(e, t, u, cu, owner, why)
		 : eng__user_create(e, t, cu, owner, why);
}

int eng__user_retire(struct engine *e, struct eng_tenant *t, struct eng_user *u, char *why,
		     size_t size)
{
	const char *username = u->cu->username;
	const struct cfg_number *n;
	int err;

	if ((n = eng__api_number_to(e, t, CFG_TARGET_USER, username))) {
		snprintf(why, size, "number %s routes to the user", n->number);
		return EBUSY;
	}
	for (size_t i = 0; i < t->nqueues; i++) {
		const struct cfg_target *tg = &t->queues[i]->cq->overflow;
		if (tg->kind == CFG_TARGET_USER && !strcmp(tg->value, username)) {
			snprintf(why, size, "queue %s overflows to the user", t->queues[i]->cq->id);
			return EBUSY;
		}
	}
	if (u->active_calls || u->offer || u->cur || u->wrap_call ||
	    (u->agent != ACD_NONE && t->acd && (err = eng__agent_acd_remove(t, u)))) {
		snprintf(why, size, "the user is on a call, rung or in wrap-up");
		return EBUSY;
	}
	user_unlink(e, t, u);
	u->removed = true;
	u->retired_next = t->retired_users;
	t->retired_users = u;
	log_info("engine", "tenant=%s event=user_removed user=%s source=%s", t->ct->id, username,
		 u->owner ? "api" : "file");
	return 0;
}

int eng__user_delete(struct engine *e, struct eng_tenant *t, const char *username, char *why,
		     size_t size)
{
	struct eng_user *u = strmap_get2(e->usernames, t->ct->id, username);

	why[0] = '\0';
	if (cfg_user_find(t->ct, username))
		return EEXIST;
	if (!u)
		return ENOENT;
	return eng__user_retire(e, t, u, why, size);
}

json_t *eng__user_json(const struct eng_user *u)
{
	static const struct {
		unsigned bit;
		const char *name;
	} roles[] = {{CFG_ROLE_AGENT, "agent"},
		     {CFG_ROLE_SUPERVISOR, "supervisor"},
		     {CFG_ROLE_ADMIN, "admin"},
		     {CFG_ROLE_QA, "qa"}};
	const struct cfg_user *cu = u->cu;
	json_t *j = json_pack("{s:s, s:b, s:s}", "username", cu->username, "auto_ready",
			      cu->auto_ready, "source", u->owner ? "api" : "file");
	json_t *r = json_array(), *sk = json_object(), *qs = json_object();

	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (cu->roles & roles[i].bit)
			json_array_append_new(r, json_string(roles[i].name));
	for (size_t i = 0; i < cu->nskills; i++)
		json_object_set_new(sk, cu->skills[i].name, json_integer(cu->skills[i].level));
	for (size_t i = 0; i < cu->nqueues; i++)
		json_object_set_new(qs, cu->queues[i].queue, json_integer(cu->queues[i].penalty));
	json_object_set_new(j, "roles", r);
	json_object_set_new(j, "skills", sk);
	json_object_set_new(j, "queues", qs);
	if (cu->name)
		json_object_set_new(j, "name", json_string(cu->name));
	if (cu->language)
		json_object_set_new(j, "language", json_string(cu->language));
	if (cu->sip_user)
		json_object_set_new(j, "sip", json_pack("{s:s}", "user", cu->sip_user));
	return j;
}

/* ---- at start: the users the API made ---- */

static int load_one(const char *key, const char *body, const char *md5, const char *sha256,
		    void *arg)
{
	struct eng_api_load *l = arg;
	struct cfg *c = NULL;
	const char *why = NULL, *field = NULL;
	bool created;
	int err;

	if (eng__api_load_in_file(l, key, cfg_user_find(l->t->ct, key)))
		return 0;
	if (!(err = cfg_load_fragment_in(l->t->ct->id, l->t->ct->domain, "users", body, &c)) &&
	    !cfg_error_count(c)) {
		struct cfg_user *cu = &c->tenants[0].users[0];
		if (cu->sip_user && md5 && sha256) {
			snprintf(cu->ha1_md5, sizeof(cu->ha1_md5), "%s", md5);
			snprintf(cu->ha1_sha256, sizeof(cu->ha1_sha256), "%s", sha256);
		}
		err = eng__user_put(l->e, l->t, c, &created, &why, &field);
	}
	eng__api_load_put(l, key, c, err, why, NULL);
	return 0;
}

static int scan(struct store_db *db, struct eng_api_load *l)
{
	return store_db_users_api(db, l->t->ct->id, load_one, l);
}

int eng__users_load_api(struct engine *e)
{
	return eng__api_load_all(e, "user", "users", scan);
}
