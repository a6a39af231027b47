/*
 * Web callbacks in the store (migration 12): each request a visitor made, kept until the
 * interaction with the same id is written, so that one asked for later today survives a
 * restart. Written by the API's workers once the engine took the request; read by the
 * engine at start.
 */
#include "store/store_int.h"

#include <errno.h>
#include <string.h>

#include "core/clock.h"

int store_db_web_callback_put(struct store_db *db, const char *tenant, const char *id,
			      const char *queue, const char *body, int64_t due_ms)
{
	struct store__param p[6] = {store__text(tenant), store__text(id),
				    store__text(queue),	 store__text(body),
				    store__int(due_ms),	 store__int(clock_wall_ms())};

	STORE__TENANT(tenant);
	if (!id || !*id || !queue || !body)
		return EINVAL;
	return store__exec(db, Q_WEBCB_PUT, p, 6);
}

int store_db_web_callbacks_pending(struct store_db *db, const char *tenant, int64_t after_ms,
				   store_web_callback_h h, void *arg)
{
	struct store__param p[2] = {store__text(tenant), store__int(after_ms)};
	int err, herr = 0;

	STORE__TENANT(tenant);
	if ((err = store__query(db, Q_WEBCB_PENDING, p, 2)))
		return err;
	while (store__row(db, Q_WEBCB_PENDING, &err))
		if (!herr)
			herr = h(arg, store__col_text(db, Q_WEBCB_PENDING, 0),
				 store__col_text(db, Q_WEBCB_PENDING, 1));
	return err ? err : herr;
}
