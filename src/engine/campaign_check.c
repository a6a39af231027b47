/*
 * A tenant's `campaigns:` checked with the rest of the configuration (`centrala check`,
 * `serve` before anything is applied, and each reload): the dialer parses them, and this
 * file answers its questions about the tenant's queues, flows, trunks, calendars and
 * dispositions. A queue the file does not list may be one made through the API: those
 * are read from the store (never created for the purpose: a SQLite file must exist), so
 * the file's campaigns can dial for them. When the store cannot be read the reference is
 * taken on trust with a warning; the running campaign finds its queue among the live ones
 * and the API refuses to remove a queue a campaign dials for.
 */
#include "engine/engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "dialer/dialer.h"

struct check {
	const struct cfg_tenant *t;
	const char *store;
	struct store_db **db; /* opened on the first queue the file does not list */
	bool *db_failed;
	char **api_queues; /* the tenant's queues made through the API, read once */
	size_t napi;
	bool api_read;
};

static int api_queue(const char *key, const char *body, void *arg)
{
	struct check *k = arg;
	char **v = realloc(k->api_queues, (k->napi + 1) * sizeof(*v));

	(void)body;
	if (!v)
		return ENOMEM;
	k->api_queues = v;
	if (!(v[k->napi] = strdup(key)))
		return ENOMEM;
	k->napi++;
	return 0;
}

/* Whether `name` is a queue of the tenant made through the API; true when the store
 * cannot be read (with a warning: checked again when the campaign runs). */
static bool api_queue_exists(struct check *k, const char *name)
{
	int err;

	if (!k->store)
		return false;
	if (!k->api_read) {
		k->api_read = true;
		/* Never create a database to look in: a SQLite file must exist already. */
		if (!strncmp(k->store, "sqlite:", 7) && access(k->store + 7, F_OK))
			return false;
		if (!*k->db && !*k->db_failed && (err = store_db_open(k->store, k->db))) {
			*k->db = NULL;
			*k->db_failed = true;
			log_warn("engine",
				 "event=campaign_queue_unchecked err=%s note=\"the database cannot "
				 "be read: queues made through the API are taken on trust\"",
				 strerror(err));
		}
		if (*k->db &&
		    (err = store_db_objects_api(*k->db, k->t->id, "queues", api_queue, k)))
			*k->db_failed = true;
	}
	if (*k->db_failed)
		return true;
	for (size_t i = 0; i < k->napi; i++)
		if (!strcmp(k->api_queues[i], name))
			return true;
	return false;
}

static bool exists(void *arg, enum dialer_ref kind, const char *name)
{
	struct check *k = arg;
	const struct cfg_tenant *t = k->t;

	switch (kind) {
	case DIALER_REF_QUEUE:
		return cfg_queue_find(t, name) != NULL || api_queue_exists(k, name);
	case DIALER_REF_FLOW:
		return cfg_flow_find(t, name) != NULL;
	case DIALER_REF_TRUNK:
		return cfg_trunk_find(t, name) != NULL;
	case DIALER_REF_CALENDAR:
		return cfg_calendar_find(t, name) != NULL;
	case DIALER_REF_DISPOSITION:
		/* A tenant without a list of dispositions takes any code. */
		for (size_t i = 0; i < t->ndispositions; i++)
			if (!strcmp(t->dispositions[i], name))
				return true;
		return t->ndispositions == 0;
	}
	return false;
}

size_t eng__campaigns_check(struct cfg *cfg)
{
	size_t before = cy_error_count(cfg->cy);
	struct store_db *db = NULL;
	bool db_failed = false;

	for (size_t i = 0; i < cfg->ntenants; i++) {
		struct cfg_tenant *t = &cfg->tenants[i];
		struct check k = {.t = t, .store = cfg->store, .db = &db, .db_failed = &db_failed};
		struct dialer_campaign *v = NULL;
		size_t n = 0;
		char path[64];

		if (!t->campaigns)
			continue;
		snprintf(path, sizeof(path), "tenants[%zu].campaigns", i);
		if (!dialer_campaigns_parse(cfg->cy, t->campaigns, path, exists, &k, &v, &n))
			dialer_campaigns_free(v, n);
		for (size_t j = 0; j < k.napi; j++)
			free(k.api_queues[j]);
		free(k.api_queues);
	}
	if (db)
		store_db_close(db);
	return cy_error_count(cfg->cy) - before;
}
