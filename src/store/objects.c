/*
 * Configuration objects made through the API. They live in the same tables as the
 * file's objects, with a negative position: the file's provisioning leaves them alone
 * (it prunes only rows it placed) and takes a key over when the file comes to list it,
 * and the engine loads them at start. So a restart keeps every API change, and the
 * file keeps the last word on what it lists.
 */
#include "store/store_int.h"

#include <errno.h>
#include <string.h>

#include "core/clock.h"

static int obj_of(const char *kind, enum store__obj *out)
{
	static const char *const names[] = {"queues",	    "numbers",	 "trunks",
					    "flows",	    "calendars", "reason_codes",
					    "dispositions", "campaigns"};

	for (int i = 0; i < OBJ_COUNT; i++)
		if (!strcmp(kind, names[i])) {
			*out = (enum store__obj)i;
			return 0;
		}
	return EINVAL;
}

int store_db_object_put(struct store_db *db, const char *tenant, const char *kind, const char *key,
			const char *body)
{
	struct store__param p[5];
	enum store__obj o;

	STORE__TENANT(tenant);
	if (obj_of(kind, &o) || !key || !body)
		return EINVAL;
	p[0] = store__text(tenant);
	p[1] = store__text(key);
	p[2] = store__int(-1);
	p[3] = store__text(body);
	p[4] = store__int(clock_wall_ms());
	return store__exec(db, Q_OBJ(o, OBJ_OP_UPSERT), p, 5);
}

int store_db_object_delete(struct store_db *db, const char *tenant, const char *kind,
			   const char *key)
{
	struct store__param p[2];
	enum store__obj o;

	STORE__TENANT(tenant);
	if (obj_of(kind, &o) || !key)
		return EINVAL;
	p[0] = store__text(tenant);
	p[1] = store__text(key);
	return store__exec(db, Q_OBJ(o, OBJ_OP_DELETE), p, 2);
}

int store_db_objects_api(struct store_db *db, const char *tenant, const char *kind,
			 store_object_h *h, void *arg)
{
	struct store__param p[1];
	enum store__obj o;
	enum store__q q;
	int err, stop;

	STORE__TENANT(tenant);
	if (obj_of(kind, &o))
		return EINVAL;
	q = Q_OBJ(o, OBJ_OP_API);
	p[0] = store__text(tenant);
	if ((err = store__query(db, q, p, 1)))
		return err;
	while (store__row(db, q, &err)) {
		const char *k = store__col_text(db, q, 0), *b = store__col_text(db, q, 1);
		if (k && b && (stop = h(k, b, arg))) {
			store__done(db, q);
			return stop;
		}
	}
	return err;
}
