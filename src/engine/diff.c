/*
 * `centrala check` against the database: which configuration objects differ between the
 * file and what the API made (docs/api.md, "Changing the configuration while it runs").
 * One line per object: made through the API and not in the file (kept, loaded at
 * start), or listed by the file too (the file takes it over at the next start). `serve`
 * says the same in its log at start (event=api_object, event=api_object_replaced).
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct diff {
	const char *file;
	const struct cfg_tenant *t;
	const char *noun;
	bool (*listed)(const struct cfg_tenant *t, const char *key);
	unsigned n;
};

static bool queue_listed(const struct cfg_tenant *t, const char *key)
{
	return cfg_queue_find(t, key) != NULL;
}

static bool user_listed(const struct cfg_tenant *t, const char *key)
{
	return cfg_user_find(t, key) != NULL;
}

static bool number_listed(const struct cfg_tenant *t, const char *key)
{
	for (size_t i = 0; i < t->nnumbers; i++)
		if (!strcmp(t->numbers[i].number, key))
			return true;
	return false;
}

static bool trunk_listed(const struct cfg_tenant *t, const char *key)
{
	return cfg_trunk_find(t, key) != NULL;
}

static bool campaign_listed(const struct cfg_tenant *t, const char *key)
{
	struct fy_node *n, *id;
	void *it = NULL;

	while (t->campaigns && (n = cy_items(t->campaigns, &it)))
		if ((id = cy_get(n, "id")) && cy_text(id) && !strcmp(cy_text(id), key))
			return true;
	return false;
}

static void line(struct diff *d, const char *key)
{
	if (d->listed(d->t, key))
		printf("%s: tenant %s: %s %s: made through the API and listed by the file: the "
		       "file takes it over at the next start\n",
		       d->file, d->t->id, d->noun, key);
	else
		printf("%s: tenant %s: %s %s: made through the API, not in the file (kept)\n",
		       d->file, d->t->id, d->noun, key);
	d->n++;
}

static int obj_row(const char *key, const char *body, void *arg)
{
	(void)body;
	line(arg, key);
	return 0;
}

static int user_row(const char *key, const char *body, const char *md5, const char *sha, void *arg)
{
	(void)body;
	(void)md5;
	(void)sha;
	line(arg, key);
	return 0;
}

int eng__check_api_objects(const struct cfg *cfg, const char *file)
{
	struct store_db *db = NULL;
	unsigned n = 0;
	int err = 0;

	/* Never create a database to compare with: a SQLite file must exist already. */
	if (!cfg->store || (!strncmp(cfg->store, "sqlite:", 7) && access(cfg->store + 7, F_OK))) {
		printf("%s: no database yet: nothing made through the API\n", file);
		return 0;
	}
	if ((err = store_db_open(cfg->store, &db))) {
		printf("%s: the database cannot be read (%s): objects made through the API not "
		       "compared\n",
		       file, strerror(err));
		return err;
	}
	for (size_t i = 0; i < cfg->ntenants && !err; i++) {
		struct diff d = {.file = file, .t = &cfg->tenants[i]};
		d.noun = "user";
		d.listed = user_listed;
		err = store_db_users_api(db, d.t->id, user_row, &d);
		d.noun = "queue";
		d.listed = queue_listed;
		if (!err)
			err = store_db_objects_api(db, d.t->id, "queues", obj_row, &d);
		d.noun = "number";
		d.listed = number_listed;
		if (!err)
			err = store_db_objects_api(db, d.t->id, "numbers", obj_row, &d);
		d.noun = "trunk";
		d.listed = trunk_listed;
		if (!err)
			err = store_db_objects_api(db, d.t->id, "trunks", obj_row, &d);
		d.noun = "campaign";
		d.listed = campaign_listed;
		if (!err)
			err = store_db_objects_api(db, d.t->id, "campaigns", obj_row, &d);
		n += d.n;
	}
	store_db_close(db);
	if (!err && !n)
		printf("%s: the database holds nothing made through the API\n", file);
	return err;
}
