/*
 * One pass over a queue's mailbox: new UIDs from IMAP, each message read, threaded
 * against the store and handed to the caller (or, when a machine wrote it or it cannot
 * be read, only recorded), then marked handled. Runs on the email worker thread; the
 * engine hears of a message only through what DELIVER sends it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "channels/email.h"
#include "core/log.h"
#include "store/store.h"

#define BATCH_DEFAULT 100
#define KEYS_MAX      32

static int handle(const struct email_poll *p, struct store_db *db, int64_t validity, int64_t uid,
		  struct email_poll_stats *st)
{
	struct email_msg *m = NULL;
	char err[256] = "", joined[64], ix[64] = "";
	const char *keys[KEYS_MAX], *outcome;
	char *raw = NULL;
	size_t len = 0, nkeys;
	int rc, found = 0;

	rc = email_imap_fetch(&p->imap, uid,
			      p->limits.max_message ? p->limits.max_message : 25u << 20, &raw, &len,
			      err, sizeof(err));
	if (rc == ENOENT || rc == EMSGSIZE) {
		log_warn("channels",
			 "tenant=%s queue=%s event=email_refused uid=%lld reason=\"%s\"", p->tenant,
			 p->queue, (long long)uid,
			 rc == ENOENT ? "message gone" : "over the size limit");
		st->refused++;
		return store_db_email_mark(db, p->tenant, p->queue, validity, uid, NULL, NULL,
					   "refused", NULL);
	}
	if (rc)
		return rc;
	rc = email_parse(raw, len, &p->limits, &m, err, sizeof(err));
	free(raw);
	if (rc == ENOMEM)
		return rc;
	if (rc) {
		log_warn("channels",
			 "tenant=%s queue=%s event=email_refused uid=%lld reason=\"%s\"", p->tenant,
			 p->queue, (long long)uid, err);
		st->refused++;
		return store_db_email_mark(db, p->tenant, p->queue, validity, uid, NULL, NULL,
					   "refused", NULL);
	}
	m->uid = uid;
	if (m->automatic != EMAIL_AUTO_NONE) {
		log_info("channels", "tenant=%s queue=%s event=email_automatic uid=%lld reason=%s",
			 p->tenant, p->queue, (long long)uid, m->auto_reason);
		st->automatic++;
		outcome = m->automatic == EMAIL_AUTO_BOUNCE ? "bounce" : "auto-reply";
		rc = store_db_email_mark(db, p->tenant, p->queue, validity, uid, m->message_id,
					 NULL, outcome, NULL);
		goto out;
	}
	nkeys = email_thread_keys(m, keys, KEYS_MAX);
	rc = store_db_email_thread_find(db, p->tenant, keys, nkeys, joined, sizeof(joined));
	if (rc == 0)
		found = 1;
	else if (rc != ENOENT)
		goto out;
	rc = p->deliver(m, found ? joined : NULL, ix, p->arg);
	if (rc)
		goto out;
	ix[sizeof(ix) - 1] = '\0';
	if (*m->message_id)
		rc = store_db_email_thread_put(db, p->tenant, m->message_id, ix);
	if (!rc)
		rc = store_db_email_mark(db, p->tenant, p->queue, validity, uid, m->message_id, ix,
					 found ? "joined" : "queued", NULL);
	if (!rc) {
		if (found)
			st->joined++;
		else
			st->delivered++;
	}
out:
	email_msg_free(m);
	return rc;
}

int email_poll_once(const struct email_poll *pp, struct store_db *db, struct email_poll_stats *st)
{
	size_t batch = pp->batch ? pp->batch : BATCH_DEFAULT, n = 0;
	struct email_poll q = *pp, *p = &q;
	struct email_imap_session *own = NULL;
	int64_t validity = 0, last = 0, *uids;
	char err[256] = "";
	int rc;

	memset(st, 0, sizeof(*st));
	/* One connection for the whole pass unless the caller keeps one across passes. */
	if (!q.imap.session && email_imap_session_new(&own) == 0)
		q.imap.session = own;
	uids = calloc(batch, sizeof(*uids));
	if (!uids) {
		email_imap_session_free(own);
		return ENOMEM;
	}
	rc = email_imap_uidvalidity(&p->imap, &validity, err, sizeof(err));
	if (!rc)
		rc = store_db_email_last_uid(db, p->tenant, p->queue, validity, &last);
	if (!rc)
		rc = email_imap_uids_after(&p->imap, last, uids, batch, &n, err, sizeof(err));
	for (size_t i = 0; !rc && i < n; i++) {
		int seen = 0;

		rc = store_db_email_seen(db, p->tenant, p->queue, validity, uids[i], &seen);
		if (!rc && !seen)
			rc = handle(p, db, validity, uids[i], st);
	}
	if (rc)
		log_warn("channels",
			 "tenant=%s queue=%s event=email_poll_failed error=%d reason=\"%s\"",
			 p->tenant, p->queue, rc, err[0] ? err : "store or delivery");
	free(uids);
	email_imap_session_free(own);
	return rc;
}
