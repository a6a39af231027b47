/*
 * The SIP stack's life: NUA created on the engine's su_root with media handled by us
 * (NUTAG_MEDIA_ENABLE(0): SDP bodies pass through untouched), INVITE and REGISTER
 * answered by the application, and the callback that routes NUA events to the
 * registrar and the legs.
 */
#include "sip/sip_int.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sofia-sip/su_log.h>
#include <sofia-sip/tport_tag.h>

#include "core/clock.h"
#include "core/log.h"

static void nua_cb(nua_event_t event, int status, char const *phrase, nua_t *nua, struct sip *s,
		   nua_handle_t *nh, struct sip_leg *l, sip_t const *sip, tagi_t tags[])
{
	switch (event) {
	case nua_i_register:
		sip__register(s, nh, sip);
		return;
	case nua_i_invite:
		sip__invite(s, nh, l, sip);
		return;
	case nua_r_register:
	case nua_r_unregister:
		sip__trunk_reg_event(s, event, status, phrase, nh, sip);
		return;
	case nua_r_shutdown:
		if (status >= 200)
			s->shutdown_done = true;
		return;
	case nua_i_error:
		log_warn("sip", "event=stack_error status=%d phrase=\"%s\"", status,
			 phrase ? phrase : "");
		return;
	case nua_i_options:
	case nua_i_outbound:
		return;
	default:
		if (l) {
			sip__leg_event(s, event, status, phrase, nh, l, sip, tags);
			return;
		}
		/* Requests outside any call that we do not serve (MESSAGE, SUBSCRIBE, ...):
		 * handles made for them by the stack are ours to release. */
		if (nh && event > nua_i_error && event < nua_r_set_params && status < 200 &&
		    event != nua_i_state && event != nua_i_terminated)
			nua_handle_destroy(nh);
		return;
	}
}

static void sweep_cb(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	sip__sweep((struct sip *)arg, clock_wall_ms() / 1000);
}

/* One NUA binds one URL; TCP and UDP share host and port ("sip:H:P" binds both). A TLS
 * listener is bound by a second URL ("sips:H:P", in *out_tls); with no UDP or TCP
 * listener it is the only one. Listeners of UDP and TCP on different addresses are
 * EINVAL. */
static int listen_url(const struct cfg *cfg, char *buf, size_t size,
		      const struct cfg_listen **out_first, bool *out_udp, bool *out_tcp,
		      const struct cfg_listen **out_tls)
{
	bool udp = false, tcp = false;
	const struct cfg_listen *first = NULL, *tls = NULL;

	for (size_t i = 0; i < cfg->nsip_listen; i++) {
		const struct cfg_listen *l = &cfg->sip_listen[i];
		if (l->proto == CFG_PROTO_TLS) {
			tls = l;
			continue;
		}
		if (!first)
			first = l;
		else if (strcmp(first->host, l->host) || first->port != l->port)
			return EINVAL;
		udp |= l->proto == CFG_PROTO_UDP;
		tcp |= l->proto == CFG_PROTO_TCP;
	}
	if (!first && !tls)
		return EINVAL;
	if (first)
		snprintf(buf, size, "sip:%s:%u%s", first->host, first->port,
			 udp && tcp ? "" : (udp ? ";transport=udp" : ";transport=tcp"));
	else
		snprintf(buf, size, "sips:%s:%u", tls->host, tls->port);
	*out_first = first;
	*out_udp = udp;
	*out_tcp = tcp;
	*out_tls = tls;
	return 0;
}

/*
 * Binds and releases the sockets the stack is about to bind, so that a port already in
 * use is reported before nua_create(), whose failure path leaks (see
 * release_root_port). TCP asks for SO_REUSEADDR as the stack does, so connections of
 * a previous run in TIME_WAIT do not count as "in use". Returns 0 or the bind errno.
 */
static int probe_bind(const char *host, unsigned port, bool udp, bool tcp)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_flags = AI_PASSIVE}, *ai = NULL;
	char service[8];
	int err = 0;

	snprintf(service, sizeof(service), "%u", port);
	if (getaddrinfo(host, service, &hints, &ai) || !ai)
		return EADDRNOTAVAIL;
	for (int pass = 0; pass < 2 && !err; pass++) {
		int type = pass == 0 ? SOCK_DGRAM : SOCK_STREAM, fd, one = 1;
		if ((pass == 0 && !udp) || (pass == 1 && !tcp))
			continue;
		fd = socket(ai->ai_family, type | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			err = errno;
			break;
		}
		if (type == SOCK_STREAM)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) || (type == SOCK_STREAM && listen(fd, 1)))
			err = errno;
		close(fd);
	}
	freeaddrinfo(ai);
	return err;
}

/*
 * nua_create() takes a reference to the root's port (it copies the root's task) and,
 * when its stack fails to start (a port taken between probe_bind and the stack's own
 * bind, no memory), frees itself without giving that reference back
 * (sofia-sip 1.12.11): the port and its epoll set then outlive su_root_destroy(). A
 * borrowed copy of the root's task handed to su_task_deinit() drops exactly one
 * reference, and only when the count shows the reference was kept, so a sofia-sip that
 * fixes this is left alone. A port begins with its su_home_t in every sofia-sip.
 */
static void release_root_port(su_root_t *root, size_t refs_before)
{
	su_task_r borrowed;
	su_home_t *port_home = (su_home_t *)su_root_task(root)->sut_port;

	if (!port_home || su_home_refcount(port_home) <= refs_before)
		return;
	memcpy(borrowed, su_root_task(root), sizeof(borrowed));
	su_task_deinit(borrowed);
}

int sip_create(su_root_t *root, const struct sip_config *sc, const struct sip_handlers *h,
	       void *arg, struct sip **out)
{
	struct sip *s;
	char url[128], sips[128] = "", certdir[PATH_MAX] = "";
	const struct cfg_listen *first, *tls;
	bool udp, tcp;
	size_t port_refs;
	int err;

	if ((err = listen_url(sc->cfg, url, sizeof(url), &first, &udp, &tcp, &tls))) {
		if (err == EINVAL)
			log_error("sip",
				  "event=config_error msg=\"UDP and TCP listeners must share "
				  "one address and port\"");
		return err;
	}
	if (first && (err = probe_bind(first->host, first->port, udp, tcp))) {
		log_error("sip", "event=listen_failed url=%s err=\"%s\"", url, strerror(err));
		return err;
	}
	if (tls) {
		snprintf(sips, sizeof(sips), "sips:%s:%u", tls->host, tls->port);
		if ((err = probe_bind(tls->host, tls->port, false, true))) {
			log_error("sip", "event=listen_failed url=tls:%s:%u err=\"%s\"", tls->host,
				  tls->port, strerror(err));
			return err;
		}
		if ((err = sip__tls_dir_make(sc->cfg, certdir, sizeof(certdir)))) {
			log_error("sip", "event=listen_failed url=tls:%s:%u err=\"certificate\"",
				  tls->host, tls->port);
			return err;
		}
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		sip__tls_dir_remove(certdir);
		return ENOMEM;
	}
	s->root = root;
	s->cfg = sc->cfg;
	s->media = sc->media;
	s->h = *h;
	s->arg = arg;
	sdp_prefs_default(&s->prefs);
	digest_key_init(&s->key);
	err = digest_guard_create(4096, (unsigned)sc->cfg->auth_fail_limit, 60000,
				  sc->cfg->auth_block_ms, &s->guard);
	if (err)
		goto fail_guard;
	/* Room for the nonces of some thousands of phones and callers within one nonce
	 * lifetime (24 bytes each); beyond that, phones are re-challenged, never fooled. */
	err = digest_nc_create(SIP_NC_SLOTS, &s->nc);
	if (err)
		goto fail_nc;
	su_log_set_level(NULL, 0);
	if (!sip_stack_timers_round_up())
		log_warn("sip",
			 "event=timer_rounding_inactive msg=\"sofia-sip does not use our "
			 "su_duration: each stack timer ends in a busy wait of up to 1 ms\"");
	/* Parse the extension headers (P-Asserted-Identity) instead of keeping them as
	 * unknown text. The default class is process-wide; setting it again is harmless. */
	sip_update_default_mclass(sip_extend_mclass(NULL));
	/* The stack runs on the engine's thread: sofia-sip would otherwise give it a
	 * thread of its own and pass every event across with a message and a wake-up,
	 * about a tenth of the non-media CPU of a call (docs/performance.md). */
	su_root_threading(root, 0);
	port_refs = su_home_refcount((su_home_t *)su_root_task(root)->sut_port);
	s->nua = nua_create(
	    root, nua_cb, s, NUTAG_URL(url), NUTAG_MEDIA_ENABLE(0), NUTAG_AUTOANSWER(0),
	    NUTAG_AUTOALERT(0), NUTAG_AUTOACK(1), NUTAG_ENABLEINVITE(1),
	    NUTAG_APPL_METHOD("INVITE"), NUTAG_APPL_METHOD("REGISTER"),
	    /* Exactly what we serve (NUTAG_ALLOW would add to the stack's own list, which
	     * names MESSAGE and SUBSCRIBE); OPTIONS is answered by the stack with this
	     * Allow, Accept: application/sdp and Supported: timer, 100rel. */
	    SIPTAG_ALLOW_STR("INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, INFO, REFER, "
			     "NOTIFY, UPDATE, REGISTER"),
	    /* Session timers (RFC 4028): we do not ask for one, but honour the peer's
	     * Session-Expires down to the RFC's floor of 90 s (the stack's default is 120);
	     * when we are the refresher the stack refreshes with UPDATE, which needs no
	     * SDP (a re-INVITE from the stack would carry no offer, media being ours). A
	     * peer that should refresh and does not is sent BYE before the interval ends. */
	    NUTAG_SESSION_TIMER(0), NUTAG_MIN_SE(90), NUTAG_UPDATE_REFRESH(1),
	    /* Bursts of a few hundred calls a second overflow the default UDP receive
	     * buffer (about 200 KiB) before the stack falls behind; the kernel caps this
	     * at net.core.rmem_max. */
	    TPTAG_UDP_RMEM(SIP_UDP_RMEM), SIPTAG_USER_AGENT_STR(sc->cfg->sip_user_agent),
	    /* SIP over TLS: a second URL bound with the certificate directory; no client
	     * certificate is asked for (phones authenticate with digest). The protocol
	     * floor is OpenSSL's: TLS 1.2 at its default security level (docs). */
	    TAG_IF(first && tls, NUTAG_SIPS_URL(sips)), TAG_IF(tls, TPTAG_CERTIFICATE(certdir)),
	    TAG_IF(tls, TPTAG_TLS_VERIFY_POLICY(TPTLS_VERIFY_NONE)), TAG_END());
	/* The stack has read its certificate by now (or failed): no copy of the key stays. */
	sip__tls_dir_remove(certdir);
	certdir[0] = '\0';
	if (!s->nua) {
		log_error("sip", "event=listen_failed url=%s%s%s", url, tls ? " tls=" : "", sips);
		release_root_port(root, port_refs);
		err = EADDRINUSE;
		goto fail_nua;
	}
	s->sweep = su_timer_create(su_root_task(root), 5000);
	if (s->sweep)
		su_timer_set_for_ever(s->sweep, sweep_cb, s);
	if (tls && first)
		log_info("sip", "event=listening url=%s tls=tls:%s:%u", url, tls->host, tls->port);
	else
		log_info("sip", "event=listening url=%s", url);
	*out = s;
	return 0;
fail_nua:
	digest_nc_free(s->nc);
fail_nc:
	digest_guard_free(s->guard);
fail_guard:
	free(s);
	/* Already gone when the stack was started; not when a step before it failed. */
	sip__tls_dir_remove(certdir);
	return err;
}

void sip_destroy(struct sip *s)
{
	uint64_t start = clock_mono_ms();
	size_t n;

	if (!s)
		return;
	if (s->sweep)
		su_timer_destroy(s->sweep);
	/* Legs hung up a moment ago finish their BYE or CANCEL; those still there after a
	 * while are let go, before the shutdown (which ignores handles destroyed after it
	 * starts): an INVITE to a phone gone from the network can be neither answered nor
	 * cancelled (no provisional response) and would hold the stack for 32 s. Waits are
	 * bounded in time, not in steps: a step returns at once while the stack has
	 * messages for itself. */
	while (s->legs && clock_mono_ms() - start < SIP_SHUTDOWN_MS / 3)
		su_root_step(s->root, 10);
	if ((n = sip__legs_release(s)))
		log_warn("sip", "event=shutdown_released legs=%zu", n);
	nua_shutdown(s->nua);
	while (!s->shutdown_done && clock_mono_ms() - start < SIP_SHUTDOWN_MS)
		su_root_step(s->root, 10);
	if (!s->shutdown_done) {
		/* nua_destroy would refuse and leak the whole stack anyway. */
		log_error("sip", "event=shutdown_incomplete after_ms=%d", SIP_SHUTDOWN_MS);
		goto out;
	}
	nua_destroy(s->nua);
out:
	sip__trunk_regs_free(s);
	sip__aors_free(s);
	digest_nc_free(s->nc);
	digest_guard_free(s->guard);
	free(s);
}

void sip_stats_get(const struct sip *s, struct sip_stats *out)
{
	*out = s->stats;
	out->registered_contacts = 0;
	for (size_t i = 0; i < SIP_AOR_BUCKETS; i++)
		for (struct sip_aor *a = s->aors[i]; a; a = a->next)
			out->registered_contacts += a->n;
}
