/*
 * A tenant's reason codes (not ready) and dispositions: the file's list, then those the
 * API added, in order. A reason code's position is the ACD's reason number (position +
 * ENG_REASON_BASE) and the digit of feature code *22N (N = position + 1), so an entry is
 * never moved: one the API removes is marked removed and keeps its name (an agent in
 * that state still shows it) until the engine stops. The lists are short; lookups walk
 * them on an agent's request, never per packet or per routing decision.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

static int push(struct eng_codes *l, char *name, bool api, bool owned)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		struct eng_code *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct eng_code){.name = name, .api = api, .owned = owned};
	return 0;
}

int eng__codes_init(struct eng_tenant *t)
{
	const struct cfg_tenant *ct = t->ct;
	int err = 0;

	for (size_t i = 0; i < ct->nreason_codes && !err; i++)
		err = push(&t->reasons, ct->reason_codes[i], false, false);
	for (size_t i = 0; i < ct->ndispositions && !err; i++)
		err = push(&t->dispositions, ct->dispositions[i], false, false);
	return err;
}

static void codes_free(struct eng_codes *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].owned)
			free(l->v[i].name);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void eng__codes_free(struct eng_tenant *t)
{
	codes_free(&t->reasons);
	codes_free(&t->dispositions);
}

int eng__code_find(const struct eng_codes *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!l->v[i].removed && !strcmp(l->v[i].name, name))
			return (int)i;
	return -1;
}

bool eng__disposition_known(const struct eng_tenant *t, const char *code)
{
	bool any = false;

	for (size_t i = 0; i < t->dispositions.n; i++)
		any = any || !t->dispositions.v[i].removed;
	return !any || eng__code_find(&t->dispositions, code) >= 0;
}

struct eng_codes *eng__codes(struct eng_tenant *t, const char *kind)
{
	if (!strcmp(kind, "reason_codes"))
		return &t->reasons;
	if (!strcmp(kind, "dispositions"))
		return &t->dispositions;
	return NULL;
}

int eng__code_put(struct eng_tenant *t, struct eng_codes *l, const char *code, bool *created)
{
	int i = eng__code_find(l, code);
	char *copy;

	*created = false;
	if (i >= 0)
		return l->v[i].api ? 0 : EEXIST;
	*created = true;
	for (size_t k = 0; k < l->n; k++)
		if (l->v[k].api && l->v[k].removed && !strcmp(l->v[k].name, code)) {
			l->v[k].removed = false; /* back in its old place */
			return 0;
		}
	if (l == &t->reasons && l->n + ENG_REASON_BASE >= 0xffff)
		return ENOSPC;
	if (!(copy = strdup(code)) || push(l, copy, true, true)) {
		free(copy);
		return ENOMEM;
	}
	return 0;
}

int eng__code_add_file(struct eng_codes *l, char *name)
{
	for (size_t k = 0; k < l->n; k++)
		if (!l->v[k].api && l->v[k].removed && !strcmp(l->v[k].name, name)) {
			l->v[k].removed = false; /* back in its old place */
			return 0;
		}
	return push(l, name, false, false);
}

int eng__code_delete(struct eng_codes *l, const char *code)
{
	int i = eng__code_find(l, code);

	if (i < 0)
		return ENOENT;
	if (!l->v[i].api)
		return EEXIST;
	l->v[i].removed = true;
	return 0;
}

json_t *eng__codes_json(const struct eng_codes *l)
{
	json_t *items = json_array();

	for (size_t i = 0; i < l->n; i++)
		if (!l->v[i].removed)
			json_array_append_new(items,
					      json_pack("{s:s, s:s}", "code", l->v[i].name,
							"source", l->v[i].api ? "api" : "file"));
	return items;
}

/* ---- at start: the codes the API added ---- */

struct load {
	struct eng_tenant *t;
	const char *kind;
	unsigned n, skipped;
};

static int load_one(const char *key, const char *body, void *arg)
{
	struct load *l = arg;
	bool created;
	int err;

	(void)body; /* the code is the key */
	if ((err = eng__code_put(l->t, eng__codes(l->t, l->kind), key, &created))) {
		if (err == EEXIST)
			log_info("engine",
				 "tenant=%s event=api_object_replaced object=%s key=%s by=file",
				 l->t->ct->id, l->kind, key);
		else
			log_warn("engine",
				 "tenant=%s event=api_code_skipped kind=%s code=%s err=%s",
				 l->t->ct->id, l->kind, key, strerror(err));
		l->skipped++;
		return 0;
	}
	log_info("engine",
		 "tenant=%s event=api_object object=%s key=%s note=\"made through the API, not in "
		 "the file\"",
		 l->t->ct->id, l->kind, key);
	l->n++;
	return 0;
}

int eng__codes_load_api(struct engine *e)
{
	static const char *const kinds[] = {"reason_codes", "dispositions"};
	struct store_db *db = NULL;
	int err;

	if ((err = store_db_open(e->cfg->store, &db)))
		return err;
	for (size_t i = 0; i < e->ntenants && !err; i++)
		for (int k = 0; k < 2 && !err; k++) {
			struct load l = {.t = &e->tenants[i], .kind = kinds[k]};
			if ((err = store_db_objects_api(db, l.t->ct->id, kinds[k], load_one, &l)))
				break;
			if (l.n || l.skipped)
				log_info("engine",
					 "tenant=%s event=api_objects object=%s loaded=%u "
					 "skipped=%u",
					 l.t->ct->id, kinds[k], l.n, l.skipped);
		}
	store_db_close(db);
	return err;
}
