/*
 * Webhooks made through the API, their deliveries and API keys. A delivery is written
 * when an event is offered to a webhook (state "pending") and again after each attempt,
 * so pending deliveries survive a restart and the rows double as the delivery log. API
 * keys are kept only as the hash of the key: the key itself is shown once, at creation.
 * Every statement is scoped by tenant.
 */
#include "store/store_int.h"

#include <errno.h>
#include <string.h>

#include "core/clock.h"

int store_db_webhook_insert(struct store_db *db, const struct store_webhook *w)
{
	struct store__param p[6];

	STORE__TENANT(w->tenant);
	if (!w->id || !w->url || !w->events || !w->secret)
		return EINVAL;
	p[0] = store__text(w->tenant);
	p[1] = store__text(w->id);
	p[2] = store__text(w->url);
	p[3] = store__text(w->events);
	p[4] = store__text(w->secret);
	p[5] = store__int(w->created_ms ? w->created_ms : clock_wall_ms());
	return store__exec(db, Q_WEBHOOK_INSERT, p, 6);
}

int store_db_webhook_update(struct store_db *db, const struct store_webhook *w)
{
	struct store__param p[6];

	STORE__TENANT(w->tenant);
	if (!w->id || !w->url || !w->events)
		return EINVAL;
	p[0] = store__text(w->tenant);
	p[1] = store__text(w->id);
	p[2] = store__text(w->url);
	p[3] = store__text(w->events);
	p[4] = store__text(w->secret);
	p[5] = store__int(w->updated_ms ? w->updated_ms : clock_wall_ms());
	return store__exec(db, Q_WEBHOOK_UPDATE, p, 6);
}

int store_db_webhook_delete(struct store_db *db, const char *tenant, const char *id)
{
	struct store__param p[2] = {store__text(tenant), store__text(id)};
	int err;

	STORE__TENANT(tenant);
	if (!id)
		return EINVAL;
	if ((err = store__tx_begin(db)))
		return err;
	err = store__exec(db, Q_DELIVERY_DELETE_HOOK, p, 2);
	if (!err)
		err = store__exec(db, Q_WEBHOOK_DELETE, p, 2);
	return store__tx_end(db, err);
}

int store_db_webhooks(struct store_db *db, const char *tenant, store_webhook_h *h, void *arg)
{
	struct store__param p[1] = {store__text(tenant)};
	struct store_webhook w;
	int err, stop;

	STORE__TENANT(tenant);
	if ((err = store__query(db, Q_WEBHOOK_LIST, p, 1)))
		return err;
	while (store__row(db, Q_WEBHOOK_LIST, &err)) {
		memset(&w, 0, sizeof(w));
		w.tenant = tenant;
		w.id = store__col_text(db, Q_WEBHOOK_LIST, 0);
		w.url = store__col_text(db, Q_WEBHOOK_LIST, 1);
		w.events = store__col_text(db, Q_WEBHOOK_LIST, 2);
		w.secret = store__col_text(db, Q_WEBHOOK_LIST, 3);
		w.created_ms = store__col_int(db, Q_WEBHOOK_LIST, 4);
		w.updated_ms = store__col_int(db, Q_WEBHOOK_LIST, 5);
		if ((stop = h(&w, arg))) {
			store__done(db, Q_WEBHOOK_LIST);
			return stop;
		}
	}
	return err;
}

int store_db_delivery_insert(struct store_db *db, const struct store_delivery *d)
{
	struct store__param p[7];

	STORE__TENANT(d->tenant);
	if (!d->id || !d->webhook || !d->event_type || !d->body)
		return EINVAL;
	p[0] = store__text(d->tenant);
	p[1] = store__text(d->id);
	p[2] = store__text(d->webhook);
	p[3] = store__int((int64_t)d->event_seq);
	p[4] = store__text(d->event_type);
	p[5] = store__text(d->body);
	p[6] = store__int(d->created_ms ? d->created_ms : clock_wall_ms());
	return store__exec(db, Q_DELIVERY_INSERT, p, 7);
}

int store_db_delivery_update(struct store_db *db, const struct store_delivery *d)
{
	struct store__param p[8];

	STORE__TENANT(d->tenant);
	if (!d->id || !d->state)
		return EINVAL;
	p[0] = store__text(d->tenant);
	p[1] = store__text(d->id);
	p[2] = store__text(d->state);
	p[3] = store__int(d->attempts);
	p[4] = store__int(d->next_ms);
	p[5] = store__int_or_null(d->last_status);
	p[6] = store__text(d->last_error);
	p[7] = store__int(d->updated_ms ? d->updated_ms : clock_wall_ms());
	return store__exec(db, Q_DELIVERY_UPDATE, p, 8);
}

int store_db_deliveries_pending(struct store_db *db, const char *tenant, store_delivery_h *h,
				void *arg)
{
	struct store__param p[1] = {store__text(tenant)};
	struct store_delivery d;
	int err, stop;

	STORE__TENANT(tenant);
	if ((err = store__query(db, Q_DELIVERY_PENDING, p, 1)))
		return err;
	while (store__row(db, Q_DELIVERY_PENDING, &err)) {
		memset(&d, 0, sizeof(d));
		d.tenant = tenant;
		d.state = "pending";
		d.id = store__col_text(db, Q_DELIVERY_PENDING, 0);
		d.webhook = store__col_text(db, Q_DELIVERY_PENDING, 1);
		d.event_seq = (uint64_t)store__col_int(db, Q_DELIVERY_PENDING, 2);
		d.event_type = store__col_text(db, Q_DELIVERY_PENDING, 3);
		d.body = store__col_text(db, Q_DELIVERY_PENDING, 4);
		d.attempts = (unsigned)store__col_int(db, Q_DELIVERY_PENDING, 5);
		d.next_ms = store__col_int(db, Q_DELIVERY_PENDING, 6);
		d.created_ms = store__col_int(db, Q_DELIVERY_PENDING, 7);
		if ((stop = h(&d, arg))) {
			store__done(db, Q_DELIVERY_PENDING);
			return stop;
		}
	}
	return err;
}

int store_db_deliveries(struct store_db *db, const char *tenant, const char *webhook, size_t limit,
			store_delivery_h *h, void *arg)
{
	struct store__param p[3] = {store__text(tenant), store__text(webhook),
				    store__int(limit ? (int64_t)limit : 100)};
	struct store_delivery d;
	int err, stop;

	STORE__TENANT(tenant);
	if (!webhook)
		return EINVAL;
	if ((err = store__query(db, Q_DELIVERY_LIST, p, 3)))
		return err;
	while (store__row(db, Q_DELIVERY_LIST, &err)) {
		memset(&d, 0, sizeof(d));
		d.tenant = tenant;
		d.id = store__col_text(db, Q_DELIVERY_LIST, 0);
		d.webhook = store__col_text(db, Q_DELIVERY_LIST, 1);
		d.event_seq = (uint64_t)store__col_int(db, Q_DELIVERY_LIST, 2);
		d.event_type = store__col_text(db, Q_DELIVERY_LIST, 3);
		d.state = store__col_text(db, Q_DELIVERY_LIST, 4);
		d.attempts = (unsigned)store__col_int(db, Q_DELIVERY_LIST, 5);
		d.next_ms = store__col_int(db, Q_DELIVERY_LIST, 6);
		d.last_status = (int)store__col_int(db, Q_DELIVERY_LIST, 7);
		d.last_error = store__col_text(db, Q_DELIVERY_LIST, 8);
		d.created_ms = store__col_int(db, Q_DELIVERY_LIST, 9);
		d.updated_ms = store__col_int(db, Q_DELIVERY_LIST, 10);
		if ((stop = h(&d, arg))) {
			store__done(db, Q_DELIVERY_LIST);
			return stop;
		}
	}
	return err;
}

int store_db_api_key_insert(struct store_db *db, const struct store_api_key *k)
{
	struct store__param p[7];

	STORE__TENANT(k->tenant);
	if (!k->id || !k->name || !k->hash || !k->roles)
		return EINVAL;
	p[0] = store__text(k->tenant);
	p[1] = store__text(k->id);
	p[2] = store__text(k->name);
	p[3] = store__text(k->hash);
	p[4] = store__text(k->roles);
	p[5] = store__text(k->created_by);
	p[6] = store__int(k->created_ms ? k->created_ms : clock_wall_ms());
	return store__exec(db, Q_KEY_INSERT, p, 7);
}

int store_db_api_key_delete(struct store_db *db, const char *tenant, const char *id)
{
	struct store__param p[2] = {store__text(tenant), store__text(id)};

	STORE__TENANT(tenant);
	if (!id)
		return EINVAL;
	return store__exec(db, Q_KEY_DELETE, p, 2);
}

int store_db_api_keys(struct store_db *db, const char *tenant, store_api_key_h *h, void *arg)
{
	struct store__param p[1] = {store__text(tenant)};
	struct store_api_key k;
	int err, stop;

	STORE__TENANT(tenant);
	if ((err = store__query(db, Q_KEY_LIST, p, 1)))
		return err;
	while (store__row(db, Q_KEY_LIST, &err)) {
		memset(&k, 0, sizeof(k));
		k.tenant = tenant;
		k.id = store__col_text(db, Q_KEY_LIST, 0);
		k.name = store__col_text(db, Q_KEY_LIST, 1);
		k.hash = store__col_text(db, Q_KEY_LIST, 2);
		k.roles = store__col_text(db, Q_KEY_LIST, 3);
		k.created_by = store__col_text(db, Q_KEY_LIST, 4);
		k.created_ms = store__col_int(db, Q_KEY_LIST, 5);
		if ((stop = h(&k, arg))) {
			store__done(db, Q_KEY_LIST);
			return stop;
		}
	}
	return err;
}
