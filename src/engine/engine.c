/*
 * `centrala serve` and `centrala check`: load the configuration, start media and SIP on
 * the engine thread's su_root, and run until a signal. Media events arrive through a
 * queue whose eventfd is registered with the root, so the engine thread sleeps in one
 * place for every source of work.
 */
#include "engine/engine_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/log.h"
#include "core/service.h"
#include "engine/flows_live.h"

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t stop_signals; /* how many: a second one ends the drain */
static volatile sig_atomic_t hup_received;

static void on_signal(int sig)
{
	stop_requested = sig;
	stop_signals++;
}

/* SIGHUP reads the configuration file again (reload.c); calls go on. */
static void on_hup(int sig)
{
	hup_received = sig;
}

/* The systemd watchdog: pinged from the engine thread itself, so an engine stuck in a
 * loop or a lock misses its pings and the service manager restarts it. */
static void watchdog_tick(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	(void)magic;
	(void)t;
	(void)arg;
	service_watchdog();
}

static int print_problems(const struct cfg *cfg)
{
	size_t nerr = cfg_error_count(cfg), nwarn = cy_warning_count(cfg->cy);

	for (size_t i = 0; i < nerr; i++)
		fprintf(stderr, "error: %s\n", cfg_error_at(cfg, i));
	for (size_t i = 0; i < nwarn; i++)
		fprintf(stderr, "warning: %s\n", cy_warning_at(cfg->cy, i));
	return nerr ? 1 : 0;
}

int engine_check_cli(int argc, char **argv)
{
	struct cfg *cfg = NULL;
	int rc;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: centrala check FILE\n");
		return 2;
	}
	if (cfg_load(argv[1], &cfg)) {
		fprintf(stderr, "centrala: out of memory\n");
		return 1;
	}
	eng__flows_check(cfg);
	eng__acd_check(cfg);
	eng__campaigns_check(cfg);
	rc = print_problems(cfg);
	if (!rc) {
		printf("%s: ok (%zu tenant%s)\n", argv[1], cfg->ntenants,
		       cfg->ntenants == 1 ? "" : "s");
		/* The file is valid whatever the database says: this only informs. */
		eng__check_api_objects(cfg, argv[1]);
	}
	cfg_free(cfg);
	return rc;
}

static int media_ready(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct engine *e = (struct engine *)arg;
	unsigned char buf[MQ_MSG_MAX];

	mq_drain_fd(e->media_events);
	while (mq_pop(e->media_events, buf) == sizeof(struct media_event))
		eng__media_event(e, (const struct media_event *)buf);
	return 0;
}

#define STATS_EVERY_MS 60000

/* Once a minute: the engine's, the store's and every queue's figures, one line each. */
static void stats_tick(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	struct engine *e = (struct engine *)arg;
	struct store_stats ss;

	(void)magic;
	(void)t;
	memset(&ss, 0, sizeof(ss));
	if (e->store)
		store_stats(e->store, &ss);
	log_info(
	    "engine",
	    "event=stats calls=%zu calls_total=%llu answered=%llu stored=%llu store_failed=%llu "
	    "store_queue=%llu spool_backlog=%llu db_up=%d",
	    e->ncalls, (unsigned long long)e->calls_total, (unsigned long long)e->calls_answered,
	    (unsigned long long)e->stored, (unsigned long long)e->store_failed,
	    (unsigned long long)ss.queue_len, (unsigned long long)ss.spool_backlog, ss.db_up);
	eng__queue_minute(e);
}

static int store_ready(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct engine *e = (struct engine *)arg;
	struct store_msg m;
	unsigned char buf[MQ_MSG_MAX];

	mq_drain_fd(e->store_events);
	while (mq_pop(e->store_events, buf) == sizeof(m)) {
		memcpy(&m, buf, sizeof(m));
		switch (m.type) {
		case STORE_MSG_COMMITTED:
			e->stored++;
			break;
		case STORE_MSG_FAILED:
			e->store_failed++;
			log_error("engine", "call=%llu event=store_failed err=%s",
				  (unsigned long long)m.cookie, strerror(m.err));
			break;
		case STORE_MSG_CONTACT:
			/* The caller's contact (found or created) goes on the interaction. */
			if (m.contact && m.contact->id) {
				struct call *c = eng__call_find(e, m.cookie);
				struct crm_buf b = {0};
				if (c) {
					snprintf(c->contact_id, sizeof(c->contact_id), "%s",
						 m.contact->id);
					/* Kept as JSON for the agent's screen pop. */
					if (e->api && !crm_contact_json(m.contact, &b) && !b.err) {
						free(c->contact_json);
						c->contact_json = b.p;
						b.p = NULL;
					}
					crm_buf_free(&b);
					free(c->contact_history);
					c->contact_history = m.history;
					m.history = NULL;
					/* An agent offered the call before the look-up came back
					 * (a free agent takes a caller in milliseconds): its screen
					 * gets the contact now. */
					if (c->offered_ms && c->state != CALL_ENDED)
						eng__ev_contact(c, "contact.updated", NULL);
				}
			}
			break;
		default:
			break;
		}
		if (m.contact)
			crm_contact_free(m.contact);
		free(m.history);
	}
	return 0;
}

/* Opens the store, applies the configuration's tenants (Argon2id hashing happens here,
 * before any call is taken) and listens for commit acknowledgements. */
static int open_store(struct engine *e)
{
	struct store_provision_report rep;
	int err;

	if ((err = store_create(e->cfg->store, NULL, &e->store))) {
		log_error("engine", "event=store_failed store=%s err=%s", e->cfg->store,
			  strerror(err));
		return err;
	}
	memset(&rep, 0, sizeof(rep));
	if ((err = store_provision(e->store, e->cfg, NULL, &rep))) {
		log_error("engine", "event=provision_failed err=\"%s\"", rep.error);
		return err;
	}
	log_info("engine", "event=provisioned created=%u updated=%u deleted=%u unchanged=%u",
		 rep.created, rep.updated, rep.deleted, rep.unchanged);
	if ((err = mq_alloc(&e->store_events, 65536)))
		return err;
	su_wait_create(&e->store_wait, mq_fd(e->store_events), SU_WAIT_IN);
	e->store_reg = su_root_register(e->root, &e->store_wait, store_ready, e, 0);
	return 0;
}

static int api_ready(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	struct engine *e = (struct engine *)arg;
	unsigned char buf[MQ_MSG_MAX];
	struct api_cmd m;

	mq_drain_fd(e->api_cmds);
	while (mq_pop(e->api_cmds, buf) == sizeof(m)) {
		memcpy(&m, buf, sizeof(m));
		eng__cti_command(e, &m);
	}
	return 0;
}

static void qstats_tick(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	eng__queue_stats_tick((struct engine *)arg);
	eng__camp_stats_tick((struct engine *)arg);
	eng__webcb_tick((struct engine *)arg);
	eng__chat_tick((struct engine *)arg);
}

/* The HTTP API on its own thread; its commands reach this thread through api_cmds. */
static int api_start(struct engine *e)
{
	struct api_config ac = {
	    .listen = e->cfg->http_listen,
	    .tls_cert = e->cfg->http_tls_cert,
	    .tls_key = e->cfg->http_tls_key,
	    .static_dir = e->cfg->http_static,
	    .store_url = e->cfg->store,
	    .cfg = e->cfg,
	};
	const struct cfg_http_limits *l = &e->cfg->http_limits;
	int err;

	ac.max_body = (size_t)l->body_max;
	ac.ws_max = (unsigned)l->ws_max;
	ac.ws_per_token = (unsigned)l->ws_per_token;
	ac.ws_queue_max = (unsigned)l->ws_queue_max;
	ac.rate_per_s = (unsigned)l->rate_per_s;
	ac.login_fail_max = (unsigned)l->login_fail_max;
	ac.session_idle_s = (unsigned)(l->session_idle_ms / 1000);
	ac.session_max_s = (unsigned)(l->session_max_ms / 1000);
	ac.login_block_s = (unsigned)(l->login_block_ms / 1000);
	ac.req_timeout_ms = (unsigned)l->request_timeout_ms;
	ac.header_max = (unsigned)l->header_max;
	ac.event_ring = (unsigned)l->event_ring;
	ac.idle_timeout_s = (unsigned)((l->idle_timeout_ms + 999) / 1000);
	if ((err = mq_alloc(&e->api_cmds, 16384)))
		return err;
	ac.cmds = e->api_cmds;
	su_wait_create(&e->api_wait, mq_fd(e->api_cmds), SU_WAIT_IN);
	e->api_reg = su_root_register(e->root, &e->api_wait, api_ready, e, 0);
	if ((err = api_create(&ac, &e->api))) {
		log_error("engine", "event=http_failed listen=%s err=%s", e->cfg->http_listen,
			  strerror(err));
		return err;
	}
	if ((e->qstats_timer = su_timer_create(su_root_task(e->root), 1000)))
		su_timer_set_for_ever(e->qstats_timer, qstats_tick, e);
	return 0;
}

static void api_stop(struct engine *e)
{
	unsigned char buf[MQ_MSG_MAX];
	struct api_cmd m;

	if (e->qstats_timer)
		su_timer_destroy(e->qstats_timer);
	e->qstats_timer = NULL;
	api_destroy(e->api);
	e->api = NULL;
	if (!e->api_cmds)
		return;
	su_root_deregister(e->root, e->api_reg);
	while (mq_pop(e->api_cmds, buf) == sizeof(m)) {
		memcpy(&m, buf, sizeof(m));
		json_decref(m.args);
		cfg_free(m.obj);
	}
	mq_free(e->api_cmds);
	e->api_cmds = NULL;
}

static int mkdir_p(const char *dir)
{
	char tmp[512];

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0750);
			*p = '/';
		}
	return mkdir(tmp, 0750) && errno != EEXIST ? errno : 0;
}

static int engine_run(struct engine *e)
{
	struct media_config mc = {0};
	struct sip_config sc = {.cfg = e->cfg};
	struct sip_handlers h = {
	    .lookup = eng__lookup,
	    .incoming = eng__incoming,
	    .event = eng__sip_event,
	    .registration = eng__registration,
	};
	uint64_t wd_ms;
	int err;

	if ((err = mkdir_p(e->cfg->recordings)))
		return err;
	e->calls_cap = 1 << 14;
	e->calls = calloc(e->calls_cap, sizeof(*e->calls));
	if (!e->calls)
		return ENOMEM;
	if ((err = eng__provision(e)))
		return err;
	e->root = su_root_create(NULL);
	if (!e->root)
		return ENOMEM;
	/* READY=1 goes to systemd once the store, SIP and HTTP are up (core/service.h). */
	service_expect(SERVICE_STORE | SERVICE_SIP | SERVICE_HTTP);
	if ((err = open_store(e)))
		goto fail_mq;
	service_up(SERVICE_STORE);
	if ((err = store_retention_start(e->cfg->store, e->cfg, 0, &e->retention)))
		goto fail_mq;
	eng__reload_remember(e);
	if ((err = mq_alloc(&e->media_events, 65536)))
		goto fail_mq;
	inet_pton(AF_INET, e->cfg->rtp_address, &mc.address);
	mc.port_min = e->cfg->rtp_port_min;
	mc.port_max = e->cfg->rtp_port_max;
	mc.workers = (unsigned)e->cfg->media_workers;
	mc.max_sessions = (size_t)(mc.port_max - mc.port_min + 1) / 2;
	mc.rtp_timeout_ms = 60000;
	mc.record_key = eng__record_key;
	mc.record_key_arg = e;
	if (e->cfg->rtp_io[0])
		media_io_parse(e->cfg->rtp_io, &mc.io); /* checked by the config loader */
	mc.kernel_relay = MEDIA_KERNEL_AUTO;
	if (e->cfg->rtp_kernel_relay[0])
		media_kernel_parse(e->cfg->rtp_kernel_relay, &mc.kernel_relay);
	if ((err = media_create(&mc, e->media_events, &e->media))) {
		log_error("engine", "event=media_failed err=%s", strerror(err));
		goto fail_media;
	}
	su_wait_create(&e->media_wait, mq_fd(e->media_events), SU_WAIT_IN);
	e->media_reg = su_root_register(e->root, &e->media_wait, media_ready, e, 0);
	sc.media = e->media;
	if ((err = eng__acd_start(e)) || (err = eng__flows_start(e)))
		goto fail_sip;
	if ((err = sip_create(e->root, &sc, &h, e, &e->sip)))
		goto fail_sip;
	if ((err = eng__queues_load_api(e)))
		log_warn("engine", "event=api_objects_not_loaded object=queues err=%s",
			 strerror(err));
	if ((err = eng__codes_load_api(e)))
		log_warn("engine", "event=api_objects_not_loaded object=codes err=%s",
			 strerror(err));
	if ((err = eng__users_load_api(e)))
		log_warn("engine", "event=api_objects_not_loaded object=users err=%s",
			 strerror(err));
	if ((err = eng__numbers_load_api(e)))
		log_warn("engine", "event=api_objects_not_loaded object=numbers err=%s",
			 strerror(err));
	if ((err = eng__trunks_load_api(e)))
		log_warn("engine", "event=api_objects_not_loaded object=trunks err=%s",
			 strerror(err));
	eng__trunks_start(e);
	if ((err = eng__flows_live(e)))
		goto fail_api;
	if ((err = api_start(e)))
		goto fail_api;
	service_up(SERVICE_HTTP);
	if ((err = eng__mail_start(e)))
		log_warn("engine", "event=email_not_started err=%s", strerror(err));
	if ((err = eng__sms_start(e)))
		log_warn("engine", "event=sms_not_started err=%s", strerror(err));
	eng__webcb_load(e);
	if ((err = eng__campaigns_start(e))) {
		/* The server serves without them: the log says which failed. */
		log_warn("engine", "event=campaigns_not_started err=%s", strerror(err));
		err = 0;
	}
	log_info("engine", "event=started version=%s tenants=%zu", CENTRALA_VERSION,
		 e->cfg->ntenants);
	if ((e->stats_timer = su_timer_create(su_root_task(e->root), STATS_EVERY_MS)))
		su_timer_set_for_ever(e->stats_timer, stats_tick, e);
	if ((wd_ms = service_watchdog_ms()) &&
	    (e->watchdog_timer =
		 su_timer_create(su_root_task(e->root), wd_ms / 2 ? wd_ms / 2 : 1))) {
		service_watchdog();
		su_timer_set_for_ever(e->watchdog_timer, watchdog_tick, e);
	}
	service_up(SERVICE_SIP);
	while (!stop_requested) {
		su_root_step(e->root, 200);
		if (hup_received) {
			hup_received = 0;
			eng__reload_start(e, e->cfg_path);
		}
	}
	log_info("engine", "event=stopping signal=%d calls=%zu", (int)stop_requested, e->ncalls);
	eng__reload_wait();
	service_stopping();
	eng__drain(e, &stop_signals);
	if (e->stats_timer)
		su_timer_destroy(e->stats_timer);
	if (e->watchdog_timer)
		su_timer_destroy(e->watchdog_timer);
	eng__calls_hangup_all(e);
	for (int i = 0; i < 50 && e->ncalls; i++)
		su_root_step(e->root, 20);
	eng__campaigns_stop(e);
	eng__sms_stop(e);
	eng__mail_stop(e);
	eng__chat_stop(e);
fail_api:
	/* Render threads post to the command queue api_stop frees: joined first. */
	eng__gens_stop(e);
	api_stop(e);
	eng__trunks_stop(e);
	sip_destroy(e->sip);
fail_sip:
	eng__phones_free(e);
	eng__flows_stop(e);
	eng__acd_stop(e);
	su_root_deregister(e->root, e->media_reg);
	media_destroy(e->media);
fail_media:
	mq_free(e->media_events);
fail_mq:
	store_retention_stop(e->retention);
	if (e->store) {
		/* Everything ended calls submitted is committed (or spooled) before exit. */
		store_destroy(e->store);
		store_ready(NULL, NULL, (su_wakeup_arg_t *)e);
		su_root_deregister(e->root, e->store_reg);
		mq_free(e->store_events);
		log_info("engine", "event=stopped stored=%llu failed=%llu",
			 (unsigned long long)e->stored, (unsigned long long)e->store_failed);
	}
	su_root_destroy(e->root);
	return err;
}

int engine_serve_cli(int argc, char **argv)
{
	struct engine e;
	const char *path = NULL;
	enum log_level lvl;
	enum log_format lf;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			path = argv[++i];
		else {
			fprintf(stderr, "usage: centrala serve --config FILE\n");
			return 2;
		}
	}
	if (!path) {
		fprintf(stderr, "usage: centrala serve --config FILE\n");
		return 2;
	}
	memset(&e, 0, sizeof(e));
	e.cfg_path = path;
	if (cfg_load(path, &e.cfg)) {
		fprintf(stderr, "centrala: out of memory\n");
		return 1;
	}
	/* Flows and calendars are checked too before anything is applied to the store. */
	eng__flows_check(e.cfg);
	eng__acd_check(e.cfg);
	eng__campaigns_check(e.cfg);
	if (print_problems(e.cfg)) {
		cfg_free(e.cfg);
		return 1;
	}
	if (!log_level_parse(e.cfg->log_level, &lvl))
		log_setup(lvl, 2);
	if (!log_format_parse(e.cfg->log_format, &lf))
		log_set_format(lf);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_hup);
	signal(SIGPIPE, SIG_IGN);
	su_init();
	rc = engine_run(&e);
	su_deinit();
	eng__api_objs_free(&e);
	eng__unprovision(&e);
	free(e.calls);
	cfg_free(e.cfg);
	eng__old_files_free(&e);
	if (rc)
		log_error("engine", "event=exit err=%s", strerror(rc));
	return rc ? 1 : 0;
}

int eng__lookup(void *arg, const char *domain, const char *user, struct sip_cred *out)
{
	struct engine *e = arg;
	struct eng_user *u = strmap_get2(e->sip_users, domain, user);

	if (!u)
		return ENOENT;
	memcpy(out->ha1_md5, u->cu->ha1_md5, sizeof(out->ha1_md5));
	memcpy(out->ha1_sha256, u->cu->ha1_sha256, sizeof(out->ha1_sha256));
	out->cookie = u;
	return 0;
}

void eng__registration(void *arg, void *cookie, const char *domain, const char *user, size_t n)
{
	struct eng_user *u = cookie;

	if (!u)
		return;
	u->ncontacts = n;
	eng__agent_registered(u, n);
}
