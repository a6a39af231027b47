/*
 * SIGHUP: the configuration file read again while calls go on. A thread of its own loads
 * and checks the file (the same checks as `centrala check`): a file with errors is
 * logged, each error with its line and column, and the running configuration stays.
 * A valid file is written to the store (provisioning, passwords hashed off the engine's
 * thread), then handed to the engine, which applies the differences of the objects the
 * file owns through the same steps as the API: users, queues, numbers, reason codes,
 * dispositions, flows and calendars added, changed or removed, for the next call; calls
 * in progress keep what they have. A changed flow becomes a new published version: new
 * calls enter it once its prompts are rendered, calls already in a flow finish on the
 * version they started with (flows_live.h). An object still in use (a queue with calls
 * waiting, an agent on a call) is kept and said so; the next reload or restart removes
 * it. Trunks apply to the next call, their registrations with carriers follow
 * (trunks_live.c); the file's webhooks are added, changed or removed (api/webhook.c).
 * Tenants are matched by id, so reordering them is harmless: a tenant added starts
 * serving its domain, numbers, users and flows; a tenant removed takes no new call while
 * its calls in progress finish; a tenant whose domain changed is removed and added again
 * (tenants_live.c). Queues' hours follow their calendars as they go live, like the
 * flows' (a calendar a queue's hours name is kept, and said so). The file's campaigns
are added, changed on the running campaign (its leads keep their state) or removed
(calls in progress finish), after the objects they name (campaign_live.c). Queues'
 * mailboxes and SMS numbers follow: the channels' workers start, restart or stop those
 * whose settings changed and leave the others alone (mail_worker.c, sms_worker.c). The
 * retention job takes the tenants' new limits, the log its level and format. Settings read
 * only at start (listeners, the media engine, the store, TLS certificates) wait for a
 * restart, and the log says so (event=reload_needs_restart). The configuration replaced
 * stays allocated until the engine stops: objects of calls in progress point into it.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "engine/flows_live.h"

static atomic_bool reloading;

struct reload {
	struct engine *e;
	char *path;
};

static void *reload_main(void *arg)
{
	struct reload *r = arg;
	struct engine *e = r->e;
	struct store_provision_report rep;
	struct cfg *c = NULL;
	struct api_cmd m;
	int err;

	pthread_setname_np(pthread_self(), "reload");

	memset(&rep, 0, sizeof(rep));
	if ((err = cfg_load(r->path, &c))) {
		log_error("engine", "event=reload_failed file=%s err=%s", r->path, strerror(err));
		goto out;
	}
	eng__flows_check(c);
	eng__acd_check(c);
	eng__campaigns_check(c);
	if (cfg_error_count(c)) {
		for (size_t i = 0; i < cfg_error_count(c); i++)
			log_error("engine", "event=reload_error error=\"%s\"", cfg_error_at(c, i));
		log_error("engine",
			  "event=reload_failed file=%s errors=%zu note=\"the running configuration "
			  "stays\"",
			  r->path, cfg_error_count(c));
		goto out;
	}
	if (e->store && (err = store_provision(e->store, c, NULL, &rep))) {
		log_error("engine",
			  "event=reload_failed file=%s err=%s where=\"%s\" note=\"the running "
			  "configuration stays\"",
			  r->path, strerror(err), rep.error);
		goto out;
	}
	memset(&m, 0, sizeof(m));
	m.op = API_OP_RELOAD;
	m.obj = c;
	if (!e->api_cmds || mq_push(e->api_cmds, &m, sizeof(m))) {
		log_error("engine", "event=reload_failed file=%s note=\"the engine is busy\"",
			  r->path);
		goto out;
	}
	c = NULL; /* the engine's now */
out:
	cfg_free(c);
	free(r->path);
	free(r);
	atomic_store(&reloading, false);
	return NULL;
}

void eng__reload_wait(void)
{
	for (int i = 0; i < 600 && atomic_load(&reloading); i++)
		usleep(50000);
}

void eng__reload_start(struct engine *e, const char *path)
{
	struct reload *r;
	pthread_attr_t at;
	pthread_t th;
	bool no = false;

	if (!atomic_compare_exchange_strong(&reloading, &no, true)) {
		log_warn("engine", "event=sighup note=\"a reload is in progress already\"");
		return;
	}
	log_info("engine", "event=sighup file=%s note=\"reading the configuration again\"", path);
	if (!(r = calloc(1, sizeof(*r))) || !(r->path = strdup(path))) {
		free(r);
		atomic_store(&reloading, false);
		log_error("engine", "event=reload_failed err=%s", strerror(ENOMEM));
		return;
	}
	r->e = e;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &at, reload_main, r)) {
		free(r->path);
		free(r);
		atomic_store(&reloading, false);
		log_error("engine", "event=reload_failed note=\"no thread\"");
	}
	pthread_attr_destroy(&at);
}

/* ---- on the engine's thread ---- */

struct tally {
	unsigned added, changed, removed, kept;
};

static void kept(struct eng_tenant *t, const char *what, const char *key, const char *why,
		 struct tally *n)
{
	log_warn("engine", "tenant=%s event=reload_kept object=%s key=%s why=\"%s\"", t->ct->id,
		 what, key, why);
	n->kept++;
}

/* True when the file's new cq says what q runs already (the file's own queue). */
static bool queue_same(const struct eng_queue *q, const struct cfg_queue *cq)
{
	struct eng_queue tmp = *q;
	json_t *a, *b;
	bool same;

	if (q->owner)
		return false;
	/* The channels' settings are not in the queue's JSON; a change makes the queue's
	 * written ACD queues and the engine's view of them follow (eng__queue_replace). */
	if (!cfg_email_same(q->cq->email, cq->email) || !cfg_sms_same(q->cq->sms, cq->sms))
		return false;
	tmp.cq = cq;
	a = eng__queue_config_json(q);
	b = eng__queue_config_json(&tmp);
	same = a && b && json_equal(a, b);
	json_decref(a);
	json_decref(b);
	return same;
}

static bool user_same(const struct eng_user *u, const struct cfg_user *cu)
{
	struct eng_user tmp = *u;
	json_t *a, *b;
	bool same;

	if (u->owner || strcmp(u->cu->ha1_md5, cu->ha1_md5) ||
	    strcmp(u->cu->ha1_sha256, cu->ha1_sha256))
		return false;
	tmp.cu = cu;
	a = eng__user_json(u);
	b = eng__user_json(&tmp);
	same = a && b && json_equal(a, b);
	json_decref(a);
	json_decref(b);
	return same;
}

static void apply_queues(struct engine *e, struct eng_tenant *t, const struct cfg_tenant *nt,
			 struct tally *n)
{
	const char *why = NULL;
	char buf[160];

	/* Queues first without relaxation to queues yet to come is not needed: a step's
	 * queue that does not exist yet is left out until the queue's next change. */
	for (size_t i = 0; i < nt->nqueues; i++) {
		const struct cfg_queue *cq = &nt->queues[i];
		struct eng_queue *q = eng__queue(e, t, cq->id);
		if (q && queue_same(q, cq))
			continue;
		if (q && !eng__queue_replace(t, q, cq, NULL, &why))
			n->changed++;
		else if (!q && !eng__queue_create(t, cq, NULL, &why))
			n->added++;
		else
			kept(t, "queue", cq->id, why ? why : "refused", n);
	}
	for (size_t i = 0; i < t->nqueues;) {
		struct eng_queue *q = t->queues[i];
		if (q->owner || cfg_queue_find(nt, q->cq->id)) {
			i++;
			continue;
		}
		if (eng__queue_retire(e, t, q, buf, sizeof(buf))) {
			kept(t, "queue", q->cq->id, buf, n);
			i++;
		} else {
			n->removed++;
		}
	}
}

static void apply_users(struct engine *e, struct eng_tenant *t, const struct cfg_tenant *nt,
			struct tally *n)
{
	const char *why = NULL;
	char buf[160];

	for (size_t i = 0; i < nt->nusers; i++) {
		const struct cfg_user *cu = &nt->users[i];
		struct eng_user *u = strmap_get2(e->usernames, t->ct->id, cu->username);
		struct eng_user *h =
		    cu->sip_user ? strmap_get2(e->sip_users, t->ct->domain, cu->sip_user) : NULL;
		if (h && h != u) {
			kept(t, "user", cu->username, "its SIP user is another user's", n);
			continue;
		}
		if (u && user_same(u, cu))
			continue;
		if (u && !eng__user_replace(e, t, u, cu, NULL, &why))
			n->changed++;
		else if (!u && !eng__user_create(e, t, cu, NULL, &why))
			n->added++;
		else
			kept(t, "user", cu->username, why ? why : "refused", n);
	}
	for (size_t i = 0; i < t->nusers;) {
		struct eng_user *u = t->users[i];
		if (u->owner || cfg_user_find(nt, u->cu->username)) {
			i++;
			continue;
		}
		if (eng__user_retire(e, t, u, buf, sizeof(buf))) {
			kept(t, "user", u->cu->username, buf, n);
			i++;
		} else {
			n->removed++;
		}
	}
}

static const struct cfg_number *number_in(const struct cfg_tenant *ct, const char *number)
{
	for (size_t i = 0; i < ct->nnumbers; i++)
		if (!strcmp(ct->numbers[i].number, number))
			return &ct->numbers[i];
	return NULL;
}

static void apply_numbers(struct engine *e, struct eng_tenant *t, const struct cfg_tenant *nt,
			  struct tally *n)
{
	const struct cfg_tenant *ot = t->ct;

	for (size_t i = 0; i < ot->nnumbers; i++) {
		const struct cfg_number *o = &ot->numbers[i];
		if (number_in(nt, o->number) ||
		    strmap_get2(e->numbers, t->ct->id, o->number) != (void *)o)
			continue;
		strmap_put2(e->numbers, t->ct->id, o->number, NULL);
		if (strmap_get2(e->numbers, "", o->number) == t)
			strmap_put2(e->numbers, "", o->number, NULL);
		n->removed++;
	}
	for (size_t i = 0; i < nt->nnumbers; i++) {
		const struct cfg_number *nn = &nt->numbers[i], *on = number_in(ot, nn->number);
		if (!on)
			n->added++;
		else if (on->target.kind != nn->target.kind || on->priority != nn->priority ||
			 strcmp(on->target.value ? on->target.value : "",
				nn->target.value ? nn->target.value : ""))
			n->changed++;
		strmap_put2(e->numbers, t->ct->id, nn->number, (void *)nn);
		if (!strmap_get2(e->numbers, "", nn->number))
			strmap_put2(e->numbers, "", nn->number, t);
	}
}

static void apply_codes(struct eng_codes *l, char *const *v, size_t nv, struct tally *n)
{
	for (size_t i = 0; i < l->n; i++) {
		struct eng_code *c = &l->v[i];
		bool listed = false;
		for (size_t k = 0; k < nv && !listed; k++)
			listed = !strcmp(v[k], c->name);
		if (!c->api && !c->removed && !listed) {
			c->removed = true;
			n->removed++;
		}
	}
	for (size_t k = 0; k < nv; k++) {
		int i = eng__code_find(l, v[k]);
		if (i >= 0) {
			l->v[i].api = false; /* the file takes an API's code over */
			continue;
		}
		if (!eng__code_add_file(l, v[k]))
			n->added++;
	}
}

/* ---- what a reload cannot change ---- */

/* A file's identity and version: a certificate renewed in place changes it. */
static uint64_t file_stamp(const char *path)
{
	struct stat st;

	if (!path || stat(path, &st))
		return 0;
	return (uint64_t)st.st_ino * 1000003u ^ (uint64_t)st.st_size * 8191u ^
	       (uint64_t)st.st_mtim.tv_sec * 1000000000u ^ (uint64_t)st.st_mtim.tv_nsec;
}

static void tls_stamps(const struct cfg *c, uint64_t out[5])
{
	out[0] = file_stamp(c->sip_tls_cert);
	out[1] = file_stamp(c->sip_tls_key);
	out[2] = file_stamp(c->sip_tls_ca);
	out[3] = file_stamp(c->http_tls_cert);
	out[4] = file_stamp(c->http_tls_key);
}

void eng__reload_remember(struct engine *e)
{
	e->started = e->cfg;
	tls_stamps(e->cfg, e->tls_stamp);
}

static bool str_same(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

static bool listen_same(const struct cfg *a, const struct cfg *b)
{
	if (a->nsip_listen != b->nsip_listen)
		return false;
	for (size_t i = 0; i < a->nsip_listen; i++)
		if (a->sip_listen[i].proto != b->sip_listen[i].proto ||
		    a->sip_listen[i].port != b->sip_listen[i].port ||
		    strcmp(a->sip_listen[i].host, b->sip_listen[i].host))
			return false;
	return true;
}

/* Logs event=reload_needs_restart for each setting the listeners, the media engine or
 * the store took at the start that the file now sets otherwise (compared with the start,
 * so a second reload still says it). Returns how many. */
static unsigned needs_restart(struct engine *e, const struct cfg *nc)
{
	const struct cfg *o = e->started;
	uint64_t st[5];
	unsigned n = 0;

	if (!o)
		return 0;
	tls_stamps(nc, st);
#define RESTART(cond, what)                                                                        \
	do {                                                                                       \
		if (cond) {                                                                        \
			log_warn("engine",                                                         \
				 "event=reload_needs_restart what=%s note=\"applies at the "       \
				 "next start\"",                                                   \
				 what);                                                            \
			n++;                                                                       \
		}                                                                                  \
	} while (0)
	RESTART(!listen_same(o, nc), "sip.listen");
	RESTART(!str_same(o->sip_user_agent, nc->sip_user_agent), "sip.user_agent");
	RESTART(o->auth_fail_limit != nc->auth_fail_limit || o->auth_block_ms != nc->auth_block_ms,
		"sip.auth_fail_limit/auth_block");
	RESTART(o->nonce_ttl_ms != nc->nonce_ttl_ms, "sip.nonce_ttl");
	RESTART(!str_same(o->sip_tls_cert, nc->sip_tls_cert) ||
		    !str_same(o->sip_tls_key, nc->sip_tls_key) ||
		    !str_same(o->sip_tls_ca, nc->sip_tls_ca) || memcmp(st, e->tls_stamp, 3 * 8),
		"sip.tls");
	RESTART(strcmp(o->rtp_address, nc->rtp_address) || o->rtp_port_min != nc->rtp_port_min ||
		    o->rtp_port_max != nc->rtp_port_max || o->media_workers != nc->media_workers ||
		    strcmp(o->rtp_io, nc->rtp_io) ||
		    strcmp(o->rtp_kernel_relay, nc->rtp_kernel_relay),
		"rtp");
	RESTART(strcmp(o->http_listen, nc->http_listen), "http.listen");
	RESTART(!str_same(o->http_static, nc->http_static), "http.static");
	RESTART(!str_same(o->http_tls_cert, nc->http_tls_cert) ||
		    !str_same(o->http_tls_key, nc->http_tls_key) ||
		    memcmp(st + 3, e->tls_stamp + 3, 2 * 8),
		"http.tls");
	RESTART(memcmp(&o->http_limits, &nc->http_limits, sizeof(o->http_limits)), "http.limits");
	RESTART(!str_same(o->store, nc->store), "store");
	RESTART(!str_same(o->recordings, nc->recordings), "recordings");
	RESTART(!str_same(o->tts_cache, nc->tts_cache), "tts.cache");
#undef RESTART
	return n;
}

/* The log's level and format: the file's, from now on. */
static void apply_log(const struct cfg *nc)
{
	enum log_level lvl = LOG_LEVEL_INFO;
	enum log_format lf = LOG_FORMAT_KV;

	if (nc->log_level)
		log_level_parse(nc->log_level, &lvl);
	if (nc->log_format)
		log_format_parse(nc->log_format, &lf);
	log_set_level(lvl);
	log_set_format(lf);
}

void eng__reload_apply(struct engine *e, struct cfg *nc)
{
	struct tally n = {0};
	unsigned t_removed, t_added, restart;
	size_t before;

	t_removed = eng__reload_tenants_retire(e, nc);
	for (size_t i = 0; i < e->ntenants; i++) {
		struct eng_tenant *t = &e->tenants[i];
		const struct cfg_tenant *nt = t->removed ? NULL : cfg_tenant_find(nc, t->ct->id);
		if (!nt) {
			eng__camp_tenant_gone(e, t);
			continue;
		}
		/* Calendars first: a queue's hours may name one this file adds. */
		eng__live_reload_calendars(t, nt, &n.added, &n.changed);
		apply_queues(e, t, nt, &n);
		apply_users(e, t, nt, &n);
		apply_numbers(e, t, nt, &n);
		apply_codes(&t->reasons, nt->reason_codes, nt->nreason_codes, &n);
		apply_codes(&t->dispositions, nt->dispositions, nt->ndispositions, &n);
		if (eng__trunks_file(e, t, nt))
			kept(t, "trunks", "*", "out of memory", &n);
		eng__live_reload(t, nt, &n.added, &n.changed, &n.removed);
		/* Campaigns last: they name queues, trunks, flows and calendars. */
		if (eng__camp_file_apply(e, t, nt, nc->cy, &n.added, &n.changed, &n.removed))
			kept(t, "campaigns", "*", "out of memory", &n);
	}
	/* The replaced file stays: calls and objects in progress point into it. */
	eng__keep_file_cfg(e, e->cfg);
	e->cfg = nc;
	before = e->ntenants;
	t_added = eng__reload_tenants_add(e);
	for (size_t i = before; i < e->ntenants; i++)
		if (!e->tenants[i].removed && e->tenants[i].ct->campaigns &&
		    eng__camp_file_apply(e, &e->tenants[i], e->tenants[i].ct, nc->cy, NULL, NULL,
					 NULL))
			log_warn("engine", "tenant=%s event=campaigns_not_started",
				 e->tenants[i].ct->id);
	if (e->api) {
		api_set_cfg(e->api, nc);
		api_webhooks_reload(e->api, nc);
	}
	/* The written channels' workers: mailboxes and SMS numbers added, changed, removed. */
	if (e->smser)
		eng__smser_reload(e->smser, nc);
	else if (e->sms_events && eng__smser_start(e, &e->smser))
		log_error("engine", "event=sms_worker_failed note=\"after the reload\"");
	if (e->mailer)
		eng__mailer_reload(e->mailer, nc);
	else if (e->mail_events && eng__mailer_start(e, &e->mailer))
		log_error("engine", "event=email_worker_failed note=\"after the reload\"");
	/* Retention: the job takes the tenants' new limits and runs with them now. */
	if (e->retention)
		store_retention_update(e->retention, nc);
	else if (e->store && store_retention_any(nc) &&
		 store_retention_start(e->started ? e->started->store : nc->store, nc, 0,
				       &e->retention))
		log_error("engine", "event=retention_failed note=\"not started after the reload\"");
	apply_log(nc);
	restart = needs_restart(e, nc);
	log_info(
	    "engine",
	    "event=reloaded added=%u changed=%u removed=%u kept=%u tenants_added=%u "
	    "tenants_removed=%u needs_restart=%u note=\"applied: tenants, users, queues, "
	    "numbers, trunks, webhooks, reason codes, dispositions, flows and calendars (for "
	    "new calls), queues' hours, campaigns, mailboxes, SMS numbers, retention, prompts, "
	    "shutdown_grace, log and log_format; at the next start only: sip.*, rtp.*, "
	    "http.listen/tls/static/limits, store, recordings, tts\"",
	    n.added, n.changed, n.removed, n.kept, t_added, t_removed, restart);
}
