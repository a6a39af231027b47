/*
 * The email channel's record in the store (migration 11): which messages of a queue's
 * mailbox were handled, so that each is handled once across restarts, and which
 * interaction each Message-ID of a conversation belongs to, so that a reply joins its
 * conversation. Called from the channel's worker thread on its own connection.
 */
#include "store/store_int.h"

#include <errno.h>
#include <string.h>

#include "core/clock.h"

int store_db_email_mark(struct store_db *db, const char *tenant, const char *queue,
			int64_t uidvalidity, int64_t uid, const char *message_id,
			const char *interaction, const char *outcome, int *fresh)
{
	struct store__param p[8] = {store__text(tenant),     store__text(queue),
				    store__int(uidvalidity), store__int(uid),
				    store__text(message_id), store__text(interaction),
				    store__text(outcome),    store__int(clock_wall_ms())};
	int err, seen = 0;

	STORE__TENANT(tenant);
	if (!queue || !*queue || !outcome)
		return EINVAL;
	if ((err = store__tx_begin(db)))
		return err;
	err = store_db_email_seen(db, tenant, queue, uidvalidity, uid, &seen);
	if (!err && !seen)
		err = store__exec(db, Q_EMAIL_MARK, p, 8);
	err = store__tx_end(db, err);
	if (!err && fresh)
		*fresh = !seen;
	return err;
}

int store_db_email_seen(struct store_db *db, const char *tenant, const char *queue,
			int64_t uidvalidity, int64_t uid, int *handled)
{
	struct store__param p[4] = {store__text(tenant), store__text(queue),
				    store__int(uidvalidity), store__int(uid)};
	int err, found = 0;

	STORE__TENANT(tenant);
	if ((err = store__query(db, Q_EMAIL_SEEN, p, 4)))
		return err;
	while (store__row(db, Q_EMAIL_SEEN, &err))
		found = 1;
	if (!err)
		*handled = found;
	return err;
}

int store_db_email_last_uid(struct store_db *db, const char *tenant, const char *queue,
			    int64_t uidvalidity, int64_t *out)
{
	struct store__param p[3] = {store__text(tenant), store__text(queue),
				    store__int(uidvalidity)};
	int64_t v = 0;
	int err;

	STORE__TENANT(tenant);
	if ((err = store__query(db, Q_EMAIL_LAST_UID, p, 3)))
		return err;
	while (store__row(db, Q_EMAIL_LAST_UID, &err))
		v = store__col_int(db, Q_EMAIL_LAST_UID, 0);
	if (!err)
		*out = v;
	return err;
}

int store_db_email_thread_put(struct store_db *db, const char *tenant, const char *message_id,
			      const char *interaction)
{
	struct store__param p[4] = {store__text(tenant), store__text(message_id),
				    store__text(interaction), store__int(clock_wall_ms())};

	STORE__TENANT(tenant);
	if (!message_id || !*message_id || !interaction || !*interaction)
		return EINVAL;
	return store__exec(db, Q_EMAIL_THREAD_PUT, p, 4);
}

int store_db_email_thread_find(struct store_db *db, const char *tenant, const char *const *ids,
			       size_t n, char *out, size_t outlen)
{
	int err = 0;

	STORE__TENANT(tenant);
	for (size_t i = 0; i < n; i++) {
		struct store__param p[2] = {store__text(tenant), store__text(ids[i])};
		const char *ix;
		int found = 0, toolong = 0;

		if (!ids[i] || !*ids[i])
			continue;
		if ((err = store__query(db, Q_EMAIL_THREAD_GET, p, 2)))
			return err;
		while (store__row(db, Q_EMAIL_THREAD_GET, &err)) {
			ix = store__col_text(db, Q_EMAIL_THREAD_GET, 0);
			if (!found && ix) {
				if (strlen(ix) >= outlen)
					toolong = 1;
				else
					memcpy(out, ix, strlen(ix) + 1);
				found = 1;
			}
		}
		if (err)
			return err;
		if (found)
			return toolong ? ENAMETOOLONG : 0;
	}
	return ENOENT;
}
