/*
 * Numbers (DIDs) changed while the server runs: made, re-routed or removed through the
 * API, they take effect for the next call (calls in progress keep their route), and the
 * ones the API made are loaded again at start from the store. The file owns the numbers
 * it lists: those are never changed here. An object's parsed configuration stays
 * allocated until the engine stops, so nothing a call may still point at is freed.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

struct eng_api_obj {
	struct cfg *cfg;
	struct eng_tenant *t;
	const struct cfg_number *number;
	struct eng_api_obj *next;
};

/* The tenant whose file lists `number`, or NULL. */
static const struct cfg_tenant *file_owner(const struct engine *e, const char *number)
{
	for (size_t i = 0; i < e->cfg->ntenants; i++) {
		const struct cfg_tenant *ct = &e->cfg->tenants[i];
		for (size_t j = 0; j < ct->nnumbers; j++)
			if (!strcmp(ct->numbers[j].number, number))
				return ct;
	}
	return NULL;
}

bool eng__number_in_file(const struct engine *e, const char *number)
{
	return file_owner(e, number) != NULL;
}

/* Why the target of n cannot be used in t, or NULL when it can. */
static const char *target_problem(struct engine *e, struct eng_tenant *t,
				  const struct cfg_number *n, const char **field)
{
	const struct cfg_target *tg = &n->target;

	*field = tg->kind == CFG_TARGET_QUEUE  ? "queue"
		 : tg->kind == CFG_TARGET_USER ? "user"
					       : "flow";
	if (tg->kind == CFG_TARGET_QUEUE && !eng__queue(e, t, tg->value))
		return "no such queue in this tenant";
	if (tg->kind == CFG_TARGET_USER && !strmap_get2(e->usernames, t->ct->id, tg->value))
		return "no such user in this tenant";
	if (tg->kind == CFG_TARGET_FLOW && !eng__flow_exists(t, tg->value))
		return "no such flow in this tenant";
	return NULL;
}

int eng__number_put(struct engine *e, struct eng_tenant *t, struct cfg *owner, const char **why,
		    const char **field)
{
	const struct cfg_number *n = &owner->tenants[0].numbers[0];
	struct eng_tenant *holder = strmap_get2(e->numbers, "", n->number);
	struct eng_api_obj *o;

	*field = "number";
	if (file_owner(e, n->number)) {
		*why = "the number is defined in the configuration file; change it there";
		return EEXIST;
	}
	if (holder && holder != t) {
		*why = "the number belongs to another tenant";
		return EEXIST;
	}
	if ((*why = target_problem(e, t, n, field)))
		return EINVAL;
	if (!(o = calloc(1, sizeof(*o))))
		return ENOMEM;
	o->cfg = owner;
	o->t = t;
	o->number = n;
	o->next = e->api_objs;
	e->api_objs = o;
	if (strmap_put2(e->numbers, t->ct->id, n->number, (void *)n) ||
	    strmap_put2(e->numbers, "", n->number, t))
		return ENOMEM;
	log_info("engine", "tenant=%s event=number_routed number=%s target=%s", t->ct->id,
		 n->number, n->target.value);
	return 0;
}

int eng__number_delete(struct engine *e, struct eng_tenant *t, const char *number)
{
	if (file_owner(e, number))
		return EEXIST;
	if (strmap_get2(e->numbers, "", number) != t || !strmap_get2(e->numbers, t->ct->id, number))
		return ENOENT;
	strmap_put2(e->numbers, t->ct->id, number, NULL);
	strmap_put2(e->numbers, "", number, NULL);
	log_info("engine", "tenant=%s event=number_removed number=%s", t->ct->id, number);
	return 0;
}

const struct cfg_number *eng__api_number_to(struct engine *e, struct eng_tenant *t,
					    enum cfg_target_kind kind, const char *queue)
{
	for (const struct eng_api_obj *o = e->api_objs; o; o = o->next)
		if (o->t == t &&
		    strmap_get2(e->numbers, t->ct->id, o->number->number) == o->number &&
		    o->number->target.kind == kind && !strcmp(o->number->target.value, queue))
			return o->number;
	return NULL;
}

json_t *eng__number_json(const struct cfg_number *n, bool from_file)
{
	static const char *const kinds[] = {
	    [CFG_TARGET_QUEUE] = "queue", [CFG_TARGET_USER] = "user", [CFG_TARGET_FLOW] = "flow"};
	json_t *j =
	    json_pack("{s:s, s:s}", "number", n->number, "source", from_file ? "file" : "api");

	if (j && n->target.kind <= CFG_TARGET_FLOW && kinds[n->target.kind])
		json_object_set_new(j, kinds[n->target.kind], json_string(n->target.value));
	if (j && n->priority >= 0)
		json_object_set_new(j, "priority", json_integer(n->priority));
	return j;
}

json_t *eng__numbers_json(struct engine *e, struct eng_tenant *t)
{
	json_t *items = json_array();

	for (size_t i = 0; i < t->ct->nnumbers; i++)
		json_array_append_new(items, eng__number_json(&t->ct->numbers[i], true));
	/* The API's, newest first; a replaced or removed one is no longer what the map holds. */
	for (struct eng_api_obj *o = e->api_objs; o; o = o->next)
		if (o->t == t && strmap_get2(e->numbers, t->ct->id, o->number->number) == o->number)
			json_array_append_new(items, eng__number_json(o->number, false));
	return items;
}

static int load_one(const char *key, const char *body, void *arg)
{
	struct eng_api_load *l = arg;
	struct cfg *c = NULL;
	const char *why = NULL, *field;
	int err;

	/* Provisioning gave the row to the file already; say so once more here. */
	if (eng__api_load_in_file(l, key, file_owner(l->e, key)))
		return 0;
	if (!(err = cfg_load_fragment(l->t->ct->id, "numbers", body, &c)) && !cfg_error_count(c))
		err = eng__number_put(l->e, l->t, c, &why, &field);
	eng__api_load_put(l, key, c, err, why, "out of memory");
	return 0;
}

static int scan(struct store_db *db, struct eng_api_load *l)
{
	return store_db_objects_api(db, l->t->ct->id, "numbers", load_one, l);
}

int eng__numbers_load_api(struct engine *e)
{
	return eng__api_load_all(e, "number", "numbers", scan);
}

void eng__api_objs_free(struct engine *e)
{
	while (e->api_objs) {
		struct eng_api_obj *o = e->api_objs;
		e->api_objs = o->next;
		cfg_free(o->cfg);
		free(o);
	}
}

void eng__numbers_retire(struct engine *e, struct eng_tenant *t)
{
	for (const struct eng_api_obj *o = e->api_objs; o; o = o->next) {
		if (o->t != t)
			continue;
		if (strmap_get2(e->numbers, t->ct->id, o->number->number) == o->number)
			strmap_put2(e->numbers, t->ct->id, o->number->number, NULL);
		if (strmap_get2(e->numbers, "", o->number->number) == t)
			strmap_put2(e->numbers, "", o->number->number, NULL);
	}
}
