/*
 * The email channel's worker thread: the only place where the channel does I/O. It reads
 * every queue's mailbox every `poll:` (email_poll_once over IMAP, its own store
 * connection), hands each message to the engine through e->mail_events (with the stored
 * record of its conversation when the engine may no longer hold it, and the CRM contact
 * of its sender), keeps the attachments beside the recordings, and sends what the engine
 * asks for (replies, acknowledgements) through SMTP, filing each sent Message-ID under
 * its conversation so that the customer's answer joins it. A reply's API request is
 * answered from here once the SMTP server has taken the message.
 *
 * At start it hands over the conversations the store holds open (not closed before a
 * restart), so that they wait in their queues again.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "channels/email.h"
#include "core/clock.h"
#include "core/log.h"

#define MAIL_TIMEOUT_MS 30000
#define MAIL_RESUME_MAX 10000

struct mw_box {
	const struct cfg_tenant *ct;
	const struct cfg_queue *cq;
	const struct cfg_email *ce;
	char envelope[320]; /* the address of `from` alone */
	uint64_t next_ms;
	struct eng_mailer *w;
	int64_t uid; /* the message being handed over, for the attachments' names */
};

struct eng_mailer {
	struct engine *e;
	struct api *api;
	struct eng_worker wk; /* the thread, its jobs and store connection (worker.c) */
	struct mq *out;	      /* e->mail_events */
	struct mw_box *boxes;
	size_t nboxes;
	const char *recordings;
};

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static int post(struct eng_mailer *w, json_t *msg)
{
	struct eng_mail_msg m = {.msg = msg};
	int err = mq_push(w->out, &m, sizeof(m));

	if (err)
		json_decref(msg);
	return err;
}

/* "Name <a@b>" or "a@b" to "a@b". */
static void addr_only(const char *from, char *out, size_t size)
{
	const char *lt = strchr(from, '<');

	if (lt)
		snprintf(out, size, "%.*s", (int)strcspn(lt + 1, ">"), lt + 1);
	else
		snprintf(out, size, "%s", from);
}

static int contact_cb(const struct crm_contact *c, void *arg)
{
	struct crm_buf b = {0};
	json_t **out = arg;

	if (!crm_contact_json(c, &b) && !b.err && b.p)
		*out = json_loads(b.p, 0, NULL);
	crm_buf_free(&b);
	return 1;
}

/* The tenant's CRM contact with this address, or NULL. */
static json_t *contact_of(struct eng_mailer *w, const char *tenant, const char *addr)
{
	json_t *c = NULL;
	int err = store_db_contacts_search(w->wk.db, tenant, STORE_CONTACT_EMAIL, addr, NULL, 1,
					   contact_cb, &c);

	if (err && err != 1 && err != EINVAL)
		log_warn("channels", "tenant=%s event=email_contact_lookup_failed err=%s", tenant,
			 strerror(err));
	return c;
}

static int stored_cb(const struct crm_interaction *ix, void *arg)
{
	json_t **out = arg, *tl = ix->timeline_json ? json_loads(ix->timeline_json, 0, NULL) : NULL;

	*out = json_pack("{s:o, s:s?, s:s?, s:s?, s:s?, s:s?, s:I, s:I}", "timeline",
			 tl ? tl : json_array(), "agent", ix->agent, "from", ix->from, "to", ix->to,
			 "queue", ix->queue, "contact", ix->contact, "created_ms",
			 (json_int_t)ix->created_ms, "ended_ms", (json_int_t)ix->ended_ms);
	return 0;
}

static int mkdirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0750) && errno != EEXIST) {
			*p = '/';
			return errno;
		}
		*p = '/';
	}
	if (mkdir(path, 0750) && errno != EEXIST)
		return errno;
	return 0;
}

/* Writes the attachment's bytes beside the recordings:
 * RECORDINGS/TENANT/email/YYYY-MM-DD/INTERACTION/UID-N-NAME. 0 or errno. */
static int attachment_save(struct mw_box *b, const char *ix, size_t n,
			   const struct email_attachment *a, char *path, size_t size)
{
	char dir[512], name[96];
	time_t now = time(NULL);
	struct tm tm;
	FILE *f;
	size_t k = 0;
	int err = 0;

	gmtime_r(&now, &tm);
	snprintf(dir, sizeof(dir), "%s/%s/email/%04d-%02d-%02d/%s", b->w->recordings, b->ct->id,
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, ix);
	if ((err = mkdirs(dir)))
		return err;
	/* The sender's file name, kept to safe bytes: it names a file on our disk. */
	for (const char *s = a->name; *s && k < sizeof(name) - 1; s++)
		name[k++] = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
				    (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' || *s == '_'
				? *s
				: '_';
	name[k] = '\0';
	if (!k || name[0] == '.')
		snprintf(name, sizeof(name), "attachment");
	snprintf(path, size, "%s/%lld-%zu-%s", dir, (long long)b->uid, n, name);
	if (!(f = fopen(path, "wb")))
		return errno;
	if (fwrite(a->data, 1, a->size, f) != a->size)
		err = EIO;
	if (fclose(f) && !err)
		err = errno;
	return err;
}

static json_t *attachments_json(struct mw_box *b, const struct email_msg *m, const char *ix)
{
	json_t *out = json_array();
	char path[768];

	for (size_t i = 0; i < m->nattachments; i++) {
		const struct email_attachment *a = &m->attachments[i];
		json_t *j = json_pack("{s:s, s:s, s:I, s:b}", "name", a->name, "type", a->type,
				      "size", (json_int_t)a->size, "refused", a->refused);
		int err = 0;

		if (!j)
			continue;
		if (a->refused) {
			log_warn("channels",
				 "tenant=%s queue=%s event=email_attachment_refused interaction=%s "
				 "uid=%lld size=%zu reason=\"over the size limit\"",
				 b->ct->id, b->cq->id, ix, (long long)b->uid, a->size);
		} else if (a->data &&
			   !(err = attachment_save(b, ix, i + 1, a, path, sizeof(path)))) {
			json_object_set_new(j, "path", json_string(path));
		} else if (a->data) {
			log_error("channels",
				  "tenant=%s queue=%s event=email_attachment_not_saved "
				  "interaction=%s err=%s",
				  b->ct->id, b->cq->id, ix, strerror(err));
		}
		json_array_append_new(out, j);
	}
	if (m->attachments_refused > m->nattachments)
		log_warn("channels",
			 "tenant=%s queue=%s event=email_attachment_refused interaction=%s "
			 "uid=%lld count=%zu reason=\"too many attachments\"",
			 b->ct->id, b->cq->id, ix, (long long)b->uid, m->attachments_refused);
	return out;
}

/* email_poll's hand-over: the message to the engine, with its conversation's record. */
static int deliver(const struct email_msg *m, const char *joined, char ix[64], void *arg)
{
	struct mw_box *b = arg;
	struct eng_mailer *w = b->w;
	char id[CRM_ID_SIZE];
	json_t *msg, *refs = json_array(), *stored = NULL, *contact;
	int err;

	b->uid = m->uid;
	if (joined)
		snprintf(id, sizeof(id), "%s", joined);
	else
		crm_id_new(id);
	if (joined &&
	    (err = store_db_interaction_get(w->wk.db, b->ct->id, joined, stored_cb, &stored)))
		return err;
	for (size_t i = 0; i < m->nreferences; i++)
		json_array_append_new(refs, json_string(m->references[i]));
	contact = contact_of(w, b->ct->id, m->from);
	msg = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:b, s:I, "
			"s:I, s:o, s:o, s:o}",
			"type", "in", "tenant", b->ct->id, "queue", b->cq->id, "interaction", id,
			"from", m->from, "from_name", m->from_name, "to", m->to, "subject",
			m->subject, "message_id", m->message_id, "in_reply_to", m->in_reply_to,
			"references", refs, "body", m->body, "body_truncated", m->body_truncated,
			"date", (json_int_t)m->date, "uid", (json_int_t)b->uid, "attachments",
			attachments_json(b, m, id), "stored", stored ? stored : json_null(),
			"contact", contact ? contact : json_null());
	if (!msg)
		return ENOMEM;
	/* A full queue: the message stays in the mailbox for the next pass. */
	if ((err = post(w, msg)))
		return err;
	snprintf(ix, 64, "%s", id);
	return 0;
}

/* One pass over b's mailbox. */
static void poll_box(struct mw_box *b)
{
	struct email_poll p = {
	    .tenant = b->ct->id,
	    .queue = b->cq->id,
	    .imap = {.url = b->ce->imap,
		     .user = b->ce->username,
		     .pass = b->ce->password,
		     .timeout_ms = MAIL_TIMEOUT_MS},
	    .limits = {.keep_data = 1},
	    .deliver = deliver,
	    .arg = b,
	};
	struct email_poll_stats st;
	int err;

	b->uid = 0;
	err = email_poll_once(&p, b->w->wk.db, &st);
	if (!err && (st.delivered || st.joined || st.automatic || st.refused))
		log_info("channels",
			 "tenant=%s queue=%s event=email_polled delivered=%zu joined=%zu "
			 "automatic=%zu refused=%zu",
			 b->ct->id, b->cq->id, st.delivered, st.joined, st.automatic, st.refused);
}

static int resume_cb(const struct crm_interaction *ix, void *arg)
{
	json_t *list = arg;

	if (!ix->ended_ms && ix->id)
		json_array_append_new(list, json_string(ix->id));
	return 0;
}

/* The conversations of b's queue left open by the last run, back to the engine. */
static void resume_box(struct mw_box *b)
{
	struct store_ix_search q;
	json_t *ids = json_array(), *v;
	size_t i;
	int err;

	memset(&q, 0, sizeof(q));
	q.f.queue = b->cq->id;
	q.f.limit = MAIL_RESUME_MAX;
	q.channel = "email";
	q.abandoned = -1;
	if ((err = store_db_interactions_search(b->w->wk.db, b->ct->id, &q, resume_cb, ids)))
		log_warn("channels", "tenant=%s queue=%s event=email_resume_failed err=%s",
			 b->ct->id, b->cq->id, strerror(err));
	/* The search gives the newest first: the oldest conversation is queued first. */
	for (i = json_array_size(ids); i-- > 0;) {
		json_t *stored = NULL;

		v = json_array_get(ids, i);
		if (store_db_interaction_get(b->w->wk.db, b->ct->id, json_string_value(v),
					     stored_cb, &stored) ||
		    !stored)
			continue;
		post(b->w,
		     json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "type", "resume", "tenant",
			       b->ct->id, "queue", b->cq->id, "interaction", json_string_value(v),
			       "stored", stored, "contact", json_null()));
	}
	json_decref(ids);
}

static struct mw_box *box_of(struct eng_mailer *w, const char *tenant, const char *queue)
{
	for (size_t i = 0; i < w->nboxes; i++)
		if (!strcmp(w->boxes[i].ct->id, tenant) && !strcmp(w->boxes[i].cq->id, queue))
			return &w->boxes[i];
	return NULL;
}

/* A chat's transcript (engine/chat.c asks for it): its messages as the store holds them,
 * one line each with the time (UTC), who wrote it and the text, in the visitor's
 * language; the agents are named by their role only, as the visitor saw first names. */
struct transcript {
	struct crm_buf b;
	const char *visitor, *agent;
};

static int transcript_row(void *arg, const struct store_chat_message *m)
{
	struct transcript *tr = arg;
	time_t s = (time_t)(m->ts_ms / 1000);
	struct tm tm;
	char hm[8] = "--:--";

	if (gmtime_r(&s, &tm))
		strftime(hm, sizeof(hm), "%H:%M", &tm);
	crm_buf_printf(&tr->b, "[%s] %s: %s\n", hm,
		       !strcmp(m->author, "agent") ? tr->agent : tr->visitor, m->text);
	return 0;
}

static int transcript_body(struct eng_mailer *w, struct mw_box *b, json_t *job, char *err,
			   size_t errsize)
{
	const char *lang = jstr(job, "language");
	bool pl = !strncmp(lang, "pl", 2), es = !strncmp(lang, "es", 2),
	     ru = !strncmp(lang, "ru", 2);
	const char *company = b->ct->name && *b->ct->name ? b->ct->name : b->ct->id;
	struct transcript tr = {.visitor = *jstr(job, "name") ? jstr(job, "name")
					   : pl		      ? "Ty"
					   : es		      ? "Usted"
					   : ru		      ? "Вы"
							      : "You",
				.agent = pl   ? "Konsultant"
					 : es ? "Agente"
					 : ru ? "Оператор"
					      : "Agent"};
	int rc;

	crm_buf_printf(
	    &tr.b,
	    pl	 ? "Zapis Twojego czatu z %s (numer %s, godziny UTC):\n\n"
	    : es ? "La transcripción de su chat con %s (referencia %s, horas UTC):\n\n"
	    : ru ? "Запись вашего чата с %s (номер %s, время UTC):\n\n"
		 : "The transcript of your chat with %s (reference %s, times in UTC):\n\n",
	    company, jstr(job, "interaction"));
	rc = store_db_chat_messages(w->wk.db, b->ct->id, jstr(job, "interaction"), transcript_row,
				    &tr);
	if (!rc && tr.b.err)
		rc = tr.b.err;
	if (rc)
		snprintf(err, errsize, "the chat's messages cannot be read (%s)", strerror(rc));
	else
		json_object_set_new(job, "body", json_stringn(tr.b.p, tr.b.len));
	crm_buf_free(&tr.b);
	return rc;
}

void eng__mail_reply_sent(struct api *api, const json_t *sent)
{
	uint64_t req = (uint64_t)json_integer_value(json_object_get(sent, "req"));
	bool invalid = !strcmp(jstr(sent, "code"), "invalid_field");

	if (!req || !api)
		return;
	if (json_is_true(json_object_get(sent, "ok")))
		api_reply(api, req, 200,
			  json_pack("{s:s, s:s}", "interaction", jstr(sent, "interaction"),
				    "message_id", jstr(sent, "message_id")));
	else
		api_reply_error(api, req, invalid ? 400 : 502,
				invalid ? "invalid_field" : "smtp_failed", jstr(sent, "error"));
}

/* Sends one job; its outcome goes back to the engine, which answers a reply's request. */
static void send_one(struct eng_mailer *w, json_t *job)
{
	struct mw_box *b = box_of(w, jstr(job, "tenant"), jstr(job, "queue"));
	json_t *refs = json_object_get(job, "references"),
	       *atts = json_object_get(job, "attachments"), *v;
	const char **rv = NULL;
	struct email_file *files = NULL;
	size_t nrefs = json_array_size(refs), nfiles = json_array_size(atts), i, len = 0;
	char err[256] = "", *raw = NULL;
	int rc = 0;

	if (!b) {
		rc = ENOENT;
		snprintf(err, sizeof(err), "the queue has no mailbox");
		goto out;
	}
	rv = calloc(nrefs + 1, sizeof(*rv));
	files = calloc(nfiles + 1, sizeof(*files));
	if (!rv || !files) {
		rc = ENOMEM;
		goto out;
	}
	json_array_foreach(refs, i, v) rv[i] = json_string_value(v);
	if (!strcmp(jstr(job, "kind"), "transcript") &&
	    (rc = transcript_body(w, b, job, err, sizeof(err))))
		goto out;
	json_array_foreach(atts, i, v)
	{
		const char *b64 = jstr(v, "content");
		size_t cap = strlen(b64) / 4 * 3 + 3, got = 0;
		unsigned char *data = malloc(cap ? cap : 1);

		if (!data || sodium_base642bin(data, cap, b64, strlen(b64), "\r\n", &got, NULL,
					       sodium_base64_VARIANT_ORIGINAL)) {
			free(data);
			rc = EINVAL;
			snprintf(err, sizeof(err), "attachment %zu is not base64", i + 1);
			goto out;
		}
		files[i] =
		    (struct email_file){.name = jstr(v, "name"),
					.type = json_string_value(json_object_get(v, "type")),
					.data = data,
					.len = got};
	}
	{
		struct email_out o = {
		    .from = b->ce->from,
		    .to = jstr(job, "to"),
		    .subject = jstr(job, "subject"),
		    .message_id = jstr(job, "message_id"),
		    .in_reply_to = jstr(job, "in_reply_to"),
		    .references = rv,
		    .nreferences = nrefs,
		    .body = jstr(job, "body"),
		    .signature = json_string_value(json_object_get(job, "signature")),
		    .automatic = json_is_true(json_object_get(job, "automatic")),
		    .fresh = !strcmp(jstr(job, "kind"), "transcript"),
		    .date = clock_wall_ms() / 1000,
		    .files = files,
		    .nfiles = nfiles,
		};
		if ((rc = email_build(&o, &raw, &len))) {
			snprintf(err, sizeof(err), "the message cannot be written (%s)",
				 strerror(rc));
			goto out;
		}
	}
	rc = email_smtp_send(b->ce->smtp, b->ce->username, b->ce->password, MAIL_TIMEOUT_MS,
			     b->envelope, jstr(job, "to"), raw, len, err, sizeof(err));
	/* A transcript starts no conversation: an answer to it is a new one. */
	if (!rc && strcmp(jstr(job, "kind"), "transcript") &&
	    (rc = store_db_email_thread_put(w->wk.db, b->ct->id, jstr(job, "message_id"),
					    jstr(job, "interaction"))))
		snprintf(err, sizeof(err), "sent, but not filed in the store (%s)", strerror(rc));
out:
	log_info("channels",
		 "tenant=%s queue=%s event=email_sent interaction=%s kind=%s ok=%d%s%s%s",
		 jstr(job, "tenant"), jstr(job, "queue"), jstr(job, "interaction"),
		 jstr(job, "kind"), rc == 0, rc ? " reason=\"" : "", rc ? err : "", rc ? "\"" : "");
	/* The request is answered by the engine once the message is on the timeline (an
	 * agent who closes the conversation the moment the reply is answered finds it in
	 * the history); here only when the engine cannot be told. */
	if (rc) {
		json_object_set_new(job, "code",
				    json_string(rc == EINVAL ? "invalid_field" : "smtp_failed"));
		if (!err[0])
			snprintf(err, sizeof(err), "%s", strerror(rc));
	}
	json_object_del(job, "attachments");
	json_object_set_new(job, "type", json_string("sent"));
	json_object_set_new(job, "ok", json_boolean(rc == 0));
	json_object_set_new(job, "error", json_string(err));
	if (!rc) {
		/* The timeline keeps what the customer got: the text, signature included. */
		const char *sig = json_string_value(json_object_get(job, "signature"));
		if (sig && *sig) {
			char *t = NULL;
			if (asprintf(&t, "%s\n\n-- \n%s", jstr(job, "body"), sig) > 0) {
				json_object_set_new(job, "body", json_string(t));
				free(t);
			}
		}
		if (nfiles)
			json_object_set_new(job, "files", json_integer((json_int_t)nfiles));
	}
	/* A copy: the engine owns what it is handed, this thread frees the job. */
	if (post(w, json_deep_copy(job)))
		eng__mail_reply_sent(w->api, job);
	for (i = 0; files && i < nfiles; i++)
		free((void *)files[i].data);
	free(files);
	free(rv);
	free(raw);
}

/* The mailboxes of configuration c: those whose settings are unchanged keep their place
 * in the polling round; changed and new ones are read at once; removed ones are read no
 * more (what was handed to the engine stays there; the store remembers each message
 * handled, so a mailbox given back later reads only what is new). Runs between passes. */
static void boxes_set(struct eng_mailer *w, const struct cfg *c)
{
	struct mw_box *v;
	size_t n = 0, k = 0;
	unsigned kept = 0, started = 0;

	for (size_t i = 0; i < c->ntenants; i++)
		for (size_t j = 0; j < c->tenants[i].nqueues; j++)
			n += c->tenants[i].queues[j].email != NULL;
	if (!(v = calloc(n ? n : 1, sizeof(*v)))) {
		log_error("channels", "event=email_reload_failed err=%s", strerror(ENOMEM));
		return;
	}
	for (size_t i = 0; i < c->ntenants; i++)
		for (size_t j = 0; j < c->tenants[i].nqueues; j++) {
			const struct cfg_queue *cq = &c->tenants[i].queues[j];
			struct mw_box *b = &v[k], *old;
			if (!cq->email)
				continue;
			k++;
			old = box_of(w, c->tenants[i].id, cq->id);
			if (old && cfg_email_same(old->ce, cq->email)) {
				*b = *old;
				kept++;
			} else {
				memset(b, 0, sizeof(*b));
				started++;
				log_info("channels",
					 "tenant=%s queue=%s event=email_mailbox poll_ms=%llu%s",
					 c->tenants[i].id, cq->id,
					 (unsigned long long)cq->email->poll_ms,
					 old ? " reason=changed" : "");
			}
			b->ct = &c->tenants[i];
			b->cq = cq;
			b->ce = cq->email;
			b->w = w;
			addr_only(cq->email->from, b->envelope, sizeof(b->envelope));
		}
	for (size_t i = 0; i < w->nboxes; i++) {
		const struct cfg_tenant *nt = cfg_tenant_find(c, w->boxes[i].ct->id);
		const struct cfg_queue *nq = nt ? cfg_queue_find(nt, w->boxes[i].cq->id) : NULL;
		if (!nq || !nq->email)
			log_info("channels", "tenant=%s queue=%s event=email_mailbox_stopped",
				 w->boxes[i].ct->id, w->boxes[i].cq->id);
	}
	if (w->boxes)
		log_info("channels", "event=email_reloaded kept=%u started=%u stopped=%zu", kept,
			 started, w->nboxes - kept);
	free(w->boxes);
	w->boxes = v;
	w->nboxes = k;
}

static void jobs_run(struct eng_mailer *w)
{
	json_t *job;

	while ((job = eng__worker_pop(&w->wk))) {
		if (!strcmp(jstr(job, "kind"), "reload"))
			boxes_set(w, (const struct cfg *)(intptr_t)json_integer_value(
					 json_object_get(job, "cfg")));
		else
			send_one(w, job);
		json_decref(job);
	}
}

static void *run(void *arg)
{
	struct eng_mailer *w = arg;

	pthread_setname_np(pthread_self(), "mail");

	for (size_t i = 0; i < w->nboxes && !w->wk.stop; i++)
		resume_box(&w->boxes[i]);
	while (!w->wk.stop) {
		uint64_t now = clock_mono_ms(), next = now + 200;

		for (size_t i = 0; i < w->nboxes && !w->wk.stop; i++) {
			if (w->boxes[i].next_ms <= now) {
				poll_box(&w->boxes[i]);
				w->boxes[i].next_ms = clock_mono_ms() + w->boxes[i].ce->poll_ms;
				/* Replies do not wait behind every mailbox; a reload here may
				 * rebuild the boxes (i then names the next box or none). */
				jobs_run(w);
				now = clock_mono_ms();
			}
			if (i < w->nboxes && w->boxes[i].next_ms < next)
				next = w->boxes[i].next_ms;
		}
		now = clock_mono_ms();
		eng__worker_wait(&w->wk, next > now ? (int)(next - now) : 0);
		jobs_run(w);
	}
	jobs_run(w);
	return NULL;
}

int eng__mailer_reload(struct eng_mailer *w, const struct cfg *c)
{
	return eng__mailer_job(
	    w, json_pack("{s:s, s:I}", "kind", "reload", "cfg", (json_int_t)(intptr_t)c));
}

int eng__mailer_job(struct eng_mailer *w, json_t *job)
{
	if (!w) {
		json_decref(job);
		return ENOENT;
	}
	return eng__worker_push(&w->wk, job);
}

int eng__mailer_start(struct engine *e, struct eng_mailer **out)
{
	struct eng_mailer *w;
	size_t n = 0;
	int err;

	*out = NULL;
	for (size_t i = 0; i < e->cfg->ntenants; i++)
		for (size_t j = 0; j < e->cfg->tenants[i].nqueues; j++)
			n += e->cfg->tenants[i].queues[j].email != NULL;
	if (!n)
		return 0;
	if (!(w = calloc(1, sizeof(*w))))
		return ENOMEM;
	w->e = e;
	w->api = e->api;
	w->out = e->mail_events;
	w->recordings = e->cfg->recordings;
	boxes_set(w, e->cfg);
	if ((err = eng__worker_open(&w->wk, e->cfg->store)) ||
	    (err = eng__worker_run(&w->wk, run, w))) {
		eng__worker_close(&w->wk);
		free(w->boxes);
		free(w);
		return err;
	}
	*out = w;
	return 0;
}

void eng__mailer_stop(struct eng_mailer *w)
{
	if (!w)
		return;
	eng__worker_close(&w->wk);
	free(w->boxes);
	free(w);
}
