/*
 * Registrations with carriers: a trunk with `register: true` sends REGISTER to its URI
 * for its username, answers the carrier's digest challenge with its password, and the
 * stack refreshes the binding before it expires (challenged again, it answers again).
 * A refused or unanswered REGISTER is tried again after 5 s, then 10 s, 20 s, ... at
 * most 5 min apart, until the carrier accepts it. Unregistering sends REGISTER with
 * Expires: 0; the handle is freed when the carrier answers (or at the stop). The engine decides
 * when (engine/trunks_live.c); the password is kept here only to answer challenges and is never
 * logged.
 */
#include "sip/sip_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/log.h"

#define RETRY_MIN_MS 5000
#define RETRY_MAX_MS (300 * 1000)

struct sip_trunk_reg {
	struct sip *s;
	nua_handle_t *nh;
	char tenant[64], trunk[64];
	char *user, *pass;
	char registrar[256], expires[24];
	bool registered, auth_tried, leaving;
	unsigned failures; /* in a row, for the retry's back-off */
	su_timer_t *retry; /* the next attempt after a failure, NULL: none made yet */
	struct sip_trunk_reg *next;
};

static void reg_free(struct sip_trunk_reg *r)
{
	struct sip_trunk_reg **p = &r->s->trunk_regs;

	while (*p && *p != r)
		p = &(*p)->next;
	if (*p)
		*p = r->next;
	if (r->retry)
		su_timer_destroy(r->retry);
	if (r->nh)
		nua_handle_destroy(r->nh);
	if (r->pass)
		sodium_memzero(r->pass, strlen(r->pass));
	free(r->pass);
	free(r->user);
	free(r);
}

static void send_register(struct sip_trunk_reg *r)
{
	r->auth_tried = false;
	/* No NAT detection, OPTIONS keep-alives or instance ids: a plain REGISTER as
	 * carriers expect it. */
	nua_register(r->nh, NUTAG_REGISTRAR(r->registrar), NUTAG_M_USERNAME(r->user),
		     NUTAG_OUTBOUND("no-natify no-options-keepalive no-validate no-use-rport"),
		     NUTAG_KEEPALIVE(0), SIPTAG_EXPIRES_STR(r->expires), TAG_END());
}

static void retry_cb(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	struct sip_trunk_reg *r = (struct sip_trunk_reg *)arg;

	(void)magic;
	(void)t;
	if (!r->leaving)
		send_register(r);
}

int sip_trunk_register(struct sip *s, const struct sip_trunk_reg_params *p,
		       struct sip_trunk_reg **out)
{
	const char *host = strncmp(p->uri, "sip:", 4) ? p->uri : p->uri + 4;
	char aor[320], expires[24];
	struct sip_trunk_reg *r;

	if (!p->user || !host[0])
		return EINVAL;
	if (!(r = calloc(1, sizeof(*r))))
		return ENOMEM;
	r->s = s;
	snprintf(r->tenant, sizeof(r->tenant), "%s", p->tenant);
	snprintf(r->trunk, sizeof(r->trunk), "%s", p->trunk);
	r->user = strdup(p->user);
	r->pass = strdup(p->password ? p->password : "");
	snprintf(aor, sizeof(aor), "sip:%s@%s", p->user, host);
	snprintf(expires, sizeof(expires), "%ld", p->expires_s > 0 ? p->expires_s : 3600);
	if (!r->user || !r->pass ||
	    !(r->nh =
		  nua_handle(s->nua, NULL, SIPTAG_TO_STR(aor), SIPTAG_FROM_STR(aor), TAG_END()))) {
		reg_free(r);
		return ENOMEM;
	}
	r->next = s->trunk_regs;
	s->trunk_regs = r;
	snprintf(r->registrar, sizeof(r->registrar), "%s", p->uri);
	snprintf(r->expires, sizeof(r->expires), "%s", expires);
	send_register(r);
	log_info("sip", "tenant=%s event=trunk_registering trunk=%s registrar=%s user=%s",
		 r->tenant, r->trunk, p->uri, p->user);
	*out = r;
	return 0;
}

bool sip_trunk_registered(const struct sip_trunk_reg *r)
{
	return r && r->registered;
}

void sip_trunk_unregister(struct sip_trunk_reg *r)
{
	if (!r)
		return;
	r->leaving = true;
	r->auth_tried = false;
	if (r->retry)
		su_timer_reset(r->retry);
	if (!r->registered) {
		/* Nothing bound at the carrier (or not yet): the handle goes now. */
		log_info("sip", "tenant=%s event=trunk_unregistered trunk=%s", r->tenant, r->trunk);
		reg_free(r);
		return;
	}
	nua_unregister(r->nh, TAG_END());
}

void sip__trunk_reg_event(struct sip *s, nua_event_t event, int status, const char *phrase,
			  nua_handle_t *nh, const sip_t *sip)
{
	struct sip_trunk_reg *r = s->trunk_regs;
	const char *realm = NULL;
	char auth[512];

	while (r && r->nh != nh)
		r = r->next;
	if (!r)
		return;
	if ((status == 401 || status == 407) && !r->auth_tried && sip) {
		if (status == 401 && sip->sip_www_authenticate)
			realm = msg_params_find(sip->sip_www_authenticate->au_params, "realm=");
		if (status == 407 && sip->sip_proxy_authenticate)
			realm = msg_params_find(sip->sip_proxy_authenticate->au_params, "realm=");
		if (realm) {
			r->auth_tried = true;
			/* realm comes quoted from the header, as NUTAG_AUTH wants it. */
			snprintf(auth, sizeof(auth), "Digest:%s:%s:%s", realm, r->user, r->pass);
			nua_authenticate(nh, NUTAG_AUTH(auth), TAG_END());
			sodium_memzero(auth, sizeof(auth));
			return;
		}
	}
	if (status < 200)
		return;
	r->auth_tried = false; /* a refresh may be challenged again */
	if (event == nua_r_unregister || r->leaving) {
		log_info("sip", "tenant=%s event=trunk_unregistered trunk=%s status=%d", r->tenant,
			 r->trunk, status);
		reg_free(r);
		return;
	}
	if (status < 300) {
		r->failures = 0;
		if (!r->registered)
			log_info("sip", "tenant=%s event=trunk_registered trunk=%s status=%d",
				 r->tenant, r->trunk, status);
		r->registered = true;
		return;
	}
	r->registered = false;
	{
		uint64_t ms = RETRY_MIN_MS;
		for (unsigned i = 0; i < r->failures && ms < RETRY_MAX_MS; i++)
			ms *= 2;
		if (ms > RETRY_MAX_MS)
			ms = RETRY_MAX_MS;
		r->failures++;
		if (!r->retry)
			r->retry = su_timer_create(su_root_task(s->root), 0);
		/* Fires once (FIELD-NOTES.md): set again after the next failure. */
		if (r->retry)
			su_timer_set_interval(r->retry, retry_cb, (su_timer_arg_t *)r,
					      (su_duration_t)ms);
		log_warn("sip",
			 "tenant=%s event=trunk_register_failed trunk=%s status=%d phrase=\"%s\" "
			 "retry_in_ms=%llu",
			 r->tenant, r->trunk, status, phrase ? phrase : "",
			 r->retry ? (unsigned long long)ms : 0ULL);
	}
}

void sip__trunk_regs_free(struct sip *s)
{
	while (s->trunk_regs) {
		struct sip_trunk_reg *r = s->trunk_regs;
		r->nh = NULL; /* the stack is gone with its handles */
		reg_free(r);
	}
}
