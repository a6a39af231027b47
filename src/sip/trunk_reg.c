/*
 * Registrations with carriers: a trunk with `register: true` sends REGISTER to its URI
 * for its username, answers the carrier's digest challenge with its password, and the
 * stack refreshes the binding before it expires (challenged again, it answers again).
 * Unregistering sends REGISTER with Expires: 0; the handle is freed when the carrier
 * answers (or at the stop). The engine decides when (engine/trunks_live.c); the password
 * is kept here only to answer challenges and is never logged.
 */
#include "sip/sip_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/log.h"

struct sip_trunk_reg {
	struct sip *s;
	nua_handle_t *nh;
	char tenant[64], trunk[64];
	char *user, *pass;
	bool registered, auth_tried, leaving;
	struct sip_trunk_reg *next;
};

static void reg_free(struct sip_trunk_reg *r)
{
	struct sip_trunk_reg **p = &r->s->trunk_regs;

	while (*p && *p != r)
		p = &(*p)->next;
	if (*p)
		*p = r->next;
	if (r->nh)
		nua_handle_destroy(r->nh);
	if (r->pass)
		sodium_memzero(r->pass, strlen(r->pass));
	free(r->pass);
	free(r->user);
	free(r);
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
	/* No NAT detection, OPTIONS keep-alives or instance ids: a plain REGISTER as
	 * carriers expect it. */
	nua_register(r->nh, NUTAG_REGISTRAR(p->uri), NUTAG_M_USERNAME(p->user),
		     NUTAG_OUTBOUND("no-natify no-options-keepalive no-validate no-use-rport"),
		     NUTAG_KEEPALIVE(0), SIPTAG_EXPIRES_STR(expires), TAG_END());
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
		if (!r->registered)
			log_info("sip", "tenant=%s event=trunk_registered trunk=%s status=%d",
				 r->tenant, r->trunk, status);
		r->registered = true;
		return;
	}
	r->registered = false;
	log_warn("sip", "tenant=%s event=trunk_register_failed trunk=%s status=%d phrase=\"%s\"",
		 r->tenant, r->trunk, status, phrase ? phrase : "");
}

void sip__trunk_regs_free(struct sip *s)
{
	while (s->trunk_regs) {
		struct sip_trunk_reg *r = s->trunk_regs;
		r->nh = NULL; /* the stack is gone with its handles */
		reg_free(r);
	}
}
