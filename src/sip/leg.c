/*
 * Call legs: incoming INVITEs (with the proxy authentication that guards trunks), our
 * outgoing INVITEs (answering a trunk's challenge), ringing, answer, re-INVITE for hold,
 * INFO digits, REFER, and the end of the dialog. One nua handle and one media session
 * per leg; SDP is negotiated here.
 */
#include "sip/sip_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "core/clock.h"
#include "core/log.h"

void sip__leg_emit(struct sip_leg *l, const struct sip_event *ev)
{
	if (l->sip->h.event)
		l->sip->h.event(l->sip->arg, l, ev);
}

struct sip_leg *sip__leg_new(struct sip *s, nua_handle_t *nh, bool incoming)
{
	struct sip_leg *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->sip = s;
	l->nh = nh;
	l->incoming = incoming;
	l->sdp_version = 1;
	l->next = s->legs;
	if (s->legs)
		s->legs->prev = l;
	s->legs = l;
	if (nh)
		nua_handle_bind(nh, l);
	return l;
}

void sip__leg_free(struct sip_leg *l)
{
	if (l->prev)
		l->prev->next = l->next;
	else
		l->sip->legs = l->next;
	if (l->next)
		l->next->prev = l->prev;
	if (l->end_timer)
		su_timer_destroy(l->end_timer);
	if (l->local)
		sip__local_free(l);
	else if (l->ms)
		media_session_free(l->ms);
	if (l->nh) {
		nua_handle_bind(l->nh, NULL);
		nua_handle_destroy(l->nh);
	}
	sodium_memzero(&l->params.srtp, sizeof(l->params.srtp));
	sodium_memzero(&l->srtp_offer, sizeof(l->srtp_offer));
	free(l->auth_user);
	free(l->auth_pass);
	free(l);
}

struct media_session *sip_leg_media(struct sip_leg *l)
{
	if (l->local)
		return l->ms; /* borrowed: never made here */
	if (!l->ms && media_session_alloc(l->sip->media, l->media_owner, l->near, &l->ms))
		return NULL;
	return l->ms;
}

const struct media_params *sip_leg_params(const struct sip_leg *l)
{
	return l->have_params ? &l->params : NULL;
}

bool sip_leg_incoming(const struct sip_leg *l)
{
	return l->incoming;
}

void sip_leg_set_cookie(struct sip_leg *l, void *cookie)
{
	l->cookie = cookie;
}

void *sip_leg_cookie(const struct sip_leg *l)
{
	return l->cookie;
}

const char *sip_leg_call_id(const struct sip_leg *l)
{
	return l->call_id;
}

void sip_leg_set_media_owner(struct sip_leg *l, uint64_t owner)
{
	l->media_owner = owner;
}

/* Our SDP for this leg: an answer naming the negotiated codec, or a full offer. */
static size_t leg_sdp(struct sip_leg *l, char *buf, size_t size, bool answer)
{
	struct media_session *ms = sip_leg_media(l);

	if (!ms)
		return 0;
	return (l->srtp_avp ? sdp_write_best_effort : sdp_write_srtp)(
	    buf, size, (uint64_t)(uintptr_t)l & 0xffffffffu, l->sdp_version++,
	    media_address(l->sip->media), media_session_port(ms), &l->sip->prefs,
	    answer ? &l->params : NULL, answer ? MEDIA_CODEC_NONE : l->params.codec,
	    answer ? l->params.dir : MEDIA_DIR_SENDRECV, &l->params.srtp);
}

/* Our key for an SRTP offer we answer: the one we already use when the suite stays,
 * a fresh one otherwise. */
static void srtp_own_key(struct media_srtp *k, const struct media_srtp *before)
{
	if (!k->suite)
		return;
	if (before && before->suite == k->suite)
		memcpy(k->tx_key, before->tx_key, sizeof(k->tx_key));
	else
		randombytes_buf(k->tx_key, sizeof(k->tx_key));
}

int sip_leg_srtp_policy(struct sip_leg *l, enum cfg_srtp mode)
{
	bool srtp = l->params.srtp.suite != MEDIA_SRTP_NONE;

	l->srtp_mode = mode;
	if ((mode == CFG_SRTP_REQUIRED && !srtp) || (mode == CFG_SRTP_OFF && srtp))
		return EPERM;
	return 0;
}

bool sip_leg_srtp(const struct sip_leg *l)
{
	return l->params.srtp.suite != MEDIA_SRTP_NONE;
}

int sip_leg_progress(struct sip_leg *l, int status, bool early_media)
{
	char sdp[1024];

	if (!l->incoming || l->state >= LEG_ANSWERED)
		return EINVAL;
	if (early_media) {
		if (!leg_sdp(l, sdp, sizeof(sdp), true))
			return EAGAIN;
		media_session_set(l->ms, &l->params);
		nua_respond(l->nh, status, sip_status_phrase(status),
			    SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp),
			    TAG_END());
	} else {
		nua_respond(l->nh, status, sip_status_phrase(status), TAG_END());
	}
	l->state = LEG_EARLY;
	return 0;
}

int sip_leg_answer(struct sip_leg *l)
{
	char sdp[1024];

	if (!l->incoming || l->state >= LEG_ANSWERED)
		return EINVAL;
	if (!leg_sdp(l, sdp, sizeof(sdp), true))
		return EAGAIN;
	media_session_set(l->ms, &l->params);
	nua_respond(l->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		    SIPTAG_PAYLOAD_STR(sdp), TAG_END());
	l->state = LEG_ANSWERED;
	return 0;
}

int sip_leg_reject(struct sip_leg *l, int status, const char *phrase)
{
	if (!l->incoming || l->state >= LEG_ANSWERED)
		return EINVAL;
	nua_respond(l->nh, status, phrase ? phrase : sip_status_phrase(status), TAG_END());
	l->final_status = status;
	l->state = LEG_ENDING;
	return 0;
}

int sip_leg_unavailable(struct sip_leg *l, unsigned retry_after_s)
{
	char ra[16];

	if (!l->incoming || l->state >= LEG_ANSWERED)
		return EINVAL;
	snprintf(ra, sizeof(ra), "%u", retry_after_s);
	nua_respond(l->nh, 503, "Service Unavailable", SIPTAG_RETRY_AFTER_STR(ra), TAG_END());
	l->final_status = 503;
	l->state = LEG_ENDING;
	return 0;
}

int sip_leg_challenge(struct sip_leg *l, const char *realm)
{
	char hdrs[700];

	if (!l->incoming || l->state >= LEG_ANSWERED)
		return EINVAL;
	sip__challenge_headers(l->sip, "Proxy-Authenticate", realm, false, l->md5_only, hdrs,
			       sizeof(hdrs));
	nua_respond(l->nh, 407, "Proxy Authentication Required", SIPTAG_HEADER_STR(hdrs),
		    TAG_END());
	l->final_status = 407;
	l->state = LEG_ENDING;
	return 0;
}

/* The engine's end of a leg we sent BYE on (sip_leg_hangup), delivered from a timer,
 * never from inside the call that hung up. */
static void bye_ended(su_root_magic_t *magic, su_timer_t *t, su_timer_arg_t *arg)
{
	struct sip_leg *l = (struct sip_leg *)arg;
	struct sip_event ev = {.type = SIP_EV_ENDED, .status = l->final_status};

	(void)magic;
	(void)t;
	if (l->ended)
		return;
	l->ended = true;
	sip__leg_emit(l, &ev);
	l->cookie = NULL;
	if (l->ms) {
		media_session_free(l->ms);
		l->ms = NULL;
	}
}

void sip_leg_hangup(struct sip_leg *l, int status_if_unanswered)
{
	if (l->state == LEG_ENDING)
		return;
	if (l->local) {
		sip__local_hangup(l);
		return;
	}
	if (l->state >= LEG_ANSWERED) {
		nua_bye(l->nh, TAG_END());
		/* Without a timer the end comes with the BYE's answer, as before. */
		if (!l->end_timer)
			l->end_timer = su_timer_create(su_root_task(l->sip->root), 0);
		if (l->end_timer)
			su_timer_set_interval(l->end_timer, bye_ended, l, 0);
	} else if (l->incoming) {
		int st = status_if_unanswered ? status_if_unanswered : 480;
		nua_respond(l->nh, st, sip_status_phrase(st), TAG_END());
		l->final_status = st;
	} else {
		nua_cancel(l->nh, TAG_END());
	}
	l->state = LEG_ENDING;
}

void sip_leg_refer_result(struct sip_leg *l, int status)
{
	char frag[64];

	if (!l->refer_pending)
		return;
	l->refer_pending = false;
	snprintf(frag, sizeof(frag), "SIP/2.0 %d %s", status, sip_status_phrase(status));
	nua_notify(l->nh, NUTAG_SUBSTATE(nua_substate_terminated),
		   SIPTAG_CONTENT_TYPE_STR("message/sipfrag"), SIPTAG_PAYLOAD_STR(frag),
		   SIPTAG_EVENT_STR("refer"), TAG_END());
}

int sip_leg_dial(struct sip *s, const struct sip_dial *d, struct sip_leg **out)
{
	char sdp[1024], from[384];
	nua_handle_t *nh;
	struct sip_leg *l;

	if (d->from_display && *d->from_display)
		snprintf(from, sizeof(from), "\"%s\" <sip:%s@%s>", d->from_display, d->from_user,
			 d->from_host);
	else
		snprintf(from, sizeof(from), "<sip:%s@%s>", d->from_user, d->from_host);
	nh = nua_handle(s->nua, NULL, SIPTAG_TO_STR(d->uri), SIPTAG_FROM_STR(from), TAG_END());
	if (!nh)
		return ENOMEM;
	l = sip__leg_new(s, nh, false);
	if (!l) {
		nua_handle_destroy(nh);
		return ENOMEM;
	}
	l->media_owner = d->media_owner;
	l->near = d->near;
	l->params.codec = d->first;
	l->srtp_mode = d->srtp;
	if (d->srtp == CFG_SRTP_REQUIRED || d->srtp == CFG_SRTP_OPTIONAL) {
		l->params.srtp.suite = MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80;
		l->params.srtp.tag = 1;
		randombytes_buf(l->params.srtp.tx_key, sizeof(l->params.srtp.tx_key));
		l->srtp_avp = d->srtp == CFG_SRTP_OPTIONAL;
		l->srtp_offer = l->params.srtp;
	}
	if (d->auth_user) {
		l->auth_user = strdup(d->auth_user);
		l->auth_pass = strdup(d->auth_pass ? d->auth_pass : "");
	}
	if (!leg_sdp(l, sdp, sizeof(sdp), false)) {
		sip__leg_free(l);
		return EAGAIN;
	}
	l->params.codec = MEDIA_CODEC_NONE;
	nua_invite(nh, NUTAG_URL(d->uri), SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		   SIPTAG_PAYLOAD_STR(sdp),
		   TAG_IF(d->extra_headers, SIPTAG_HEADER_STR(d->extra_headers)), TAG_END());
	s->stats.invites_out++;
	*out = l;
	return 0;
}

/* The answer to our offer (in a 18x or the 200) into l->params. */
static int leg_answer(struct sip_leg *l, const sip_t *sip, char *msg, size_t msgsize)
{
	if (l->srtp_avp)
		return sdp_negotiate_best_effort(sip->sip_payload->pl_data,
						 sip->sip_payload->pl_len, &l->sip->prefs,
						 &l->srtp_offer, &l->params, msg, msgsize);
	return sdp_negotiate_answer_srtp(sip->sip_payload->pl_data, sip->sip_payload->pl_len,
					 &l->sip->prefs, &l->params.srtp, &l->params, msg, msgsize);
}

static void reinvite(struct sip *s, struct sip_leg *l, const sip_t *sip)
{
	struct media_params p;
	char msg[128], sdp[1024];
	struct sip_event ev = {.type = SIP_EV_MEDIA};

	if (!sip->sip_payload) {
		/* A re-INVITE without an offer asks for ours: offer what we have. */
		if (!leg_sdp(l, sdp, sizeof(sdp), true)) {
			nua_respond(l->nh, 500, "No media", TAG_END());
			return;
		}
		nua_respond(l->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
			    SIPTAG_PAYLOAD_STR(sdp), TAG_END());
		return;
	}
	if ((l->srtp_avp
		 ? sdp_negotiate_best_effort(sip->sip_payload->pl_data, sip->sip_payload->pl_len,
					     &s->prefs, NULL, &p, msg, sizeof(msg))
		 : sdp_negotiate_offer(sip->sip_payload->pl_data, sip->sip_payload->pl_len,
				       &s->prefs, &p, msg, sizeof(msg)))) {
		nua_respond(l->nh, 488, "Not Acceptable Here", SIPTAG_WARNING_STR(msg), TAG_END());
		return;
	}
	/* A re-INVITE may not drop the encryption the leg's rule asks for. */
	if ((l->srtp_mode == CFG_SRTP_REQUIRED && !p.srtp.suite) ||
	    (l->srtp_mode == CFG_SRTP_OFF && p.srtp.suite)) {
		nua_respond(l->nh, 488, "Not Acceptable Here", TAG_END());
		return;
	}
	srtp_own_key(&p.srtp, &l->params.srtp);
	l->params = p;
	if (!leg_sdp(l, sdp, sizeof(sdp), true)) {
		nua_respond(l->nh, 500, "No media", TAG_END());
		return;
	}
	media_session_set(l->ms, &l->params);
	nua_respond(l->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		    SIPTAG_PAYLOAD_STR(sdp), TAG_END());
	ev.dir = p.dir;
	sip__leg_emit(l, &ev);
}

void sip__invite(struct sip *s, nua_handle_t *nh, struct sip_leg *l, const sip_t *sip)
{
	struct sip_invite_info info;
	struct sip_cred cred;
	char src[80], msg[160];
	const url_t *ru;
	bool found;
	enum digest_result dr;

	if (l) {
		reinvite(s, l, sip);
		return;
	}
	s->stats.invites_in++;
	l = sip__leg_new(s, nh, true);
	if (!l) {
		nua_respond(nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	sip__source(sip, src, sizeof(src));
	snprintf(l->call_id, sizeof(l->call_id), "%s",
		 sip->sip_call_id ? sip->sip_call_id->i_id : "");
	l->md5_only =
	    digest_ua_md5_only(sip->sip_user_agent ? sip->sip_user_agent->g_string : NULL);
	ru = sip->sip_request ? sip->sip_request->rq_url : NULL;
	if (!ru || !ru->url_user || !sip->sip_from) {
		sip_leg_reject(l, 404, "Not Found");
		return;
	}
	if (!sip->sip_payload || !sip->sip_payload->pl_len) {
		sip_leg_reject(l, 488, "Offer required");
		return;
	}
	/* A body we cannot read is 415 naming what we can (RFC 3261 §21.4.13), not a
	 * malformed offer (RFC 4475 §3.3.7). */
	if (sip->sip_content_type && sip->sip_content_type->c_type &&
	    strcasecmp(sip->sip_content_type->c_type, "application/sdp")) {
		nua_respond(nh, 415, "Unsupported Media Type", SIPTAG_ACCEPT_STR("application/sdp"),
			    TAG_END());
		l->final_status = 415;
		l->state = LEG_ENDING;
		return;
	}
	switch (sdp_negotiate_offer(sip->sip_payload->pl_data, sip->sip_payload->pl_len, &s->prefs,
				    &l->params, msg, sizeof(msg))) {
	case 0:
		l->have_params = true;
		srtp_own_key(&l->params.srtp, NULL);
		break;
	case ENOTSUP:
		log_info("sip", "event=rejected status=488 call_id=%s reason=\"%s\"", l->call_id,
			 msg);
		nua_respond(nh, 488, "Not Acceptable Here",
			    SIPTAG_WARNING_STR("399 centrala \"no common codec\""), TAG_END());
		l->final_status = 488;
		l->state = LEG_ENDING;
		return;
	default:
		log_info("sip", "event=rejected status=400 call_id=%s reason=\"%s\"", l->call_id,
			 msg);
		nua_respond(nh, 400, "Bad SDP", TAG_END());
		l->final_status = 400;
		l->state = LEG_ENDING;
		return;
	}
	memset(&info, 0, sizeof(info));
	info.from_user = sip->sip_from->a_url->url_user ? sip->sip_from->a_url->url_user : "";
	info.from_display = sip->sip_from->a_display;
	info.from_host = sip->sip_from->a_url->url_host ? sip->sip_from->a_url->url_host : "";
	info.to_user = ru->url_user;
	info.req_host = ru->url_host ? ru->url_host : "";
	info.source = src;
	info.call_id = l->call_id;
	{
		const sip_p_asserted_identity_t *pai = sip_p_asserted_identity(sip);
		if (pai && pai->paid_url->url_type == url_tel)
			info.pai_user = pai->paid_url->url_host;
		else if (pai)
			info.pai_user = pai->paid_url->url_user;
	}
	if (sip->sip_proxy_authorization) {
		char ip[64];
		sip__source_ip(src, ip, sizeof(ip));
		/* A blocked address may not go on guessing passwords through INVITEs. */
		if (digest_guard_blocked(s->guard, ip, clock_mono_ms())) {
			s->stats.blocked++;
			log_warn("sip", "event=invite_blocked source=%s call_id=%s", src,
				 l->call_id);
			sip_leg_reject(l, 403, "Forbidden");
			return;
		}
		/* The user who answers the challenge is the one the From header names: a
		 * phone may not authenticate as itself and call as a colleague. */
		dr = sip__check_auth(s, (const sip_authorization_t *)sip->sip_proxy_authorization,
				     info.from_host, "INVITE", ru, info.from_user, &cred, &found);
		if (dr == DIGEST_OK) {
			info.auth_cookie = cred.cookie;
		} else if (dr == DIGEST_STALE) {
			char hdrs[700];
			sip__challenge_headers(s, "Proxy-Authenticate", info.from_host, true,
					       l->md5_only, hdrs, sizeof(hdrs));
			nua_respond(nh, 407, "Proxy Authentication Required",
				    SIPTAG_HEADER_STR(hdrs), TAG_END());
			l->final_status = 407;
			l->state = LEG_ENDING;
			return;
		} else if (found) {
			log_warn("sip", "event=invite_auth_failed source=%s call_id=%s", src,
				 l->call_id);
			if (digest_guard_fail(s->guard, ip, clock_mono_ms()))
				log_warn("sip", "event=address_blocked source=%s for_s=%llu", ip,
					 (unsigned long long)(s->cfg->auth_block_ms / 1000));
			sip_leg_reject(l, 403, "Forbidden");
			return;
		}
	}
	s->h.incoming(s->arg, l, &info);
}

/* A digit from an INFO body: application/dtmf-relay ("Signal=5\r\nDuration=160") or
 * application/dtmf ("5"). The body is read within its length only (it is not a C
 * string: bytes after it in the datagram are no part of the message), copied into a
 * bounded buffer; anything longer than a DTMF body has no business here. */
static void dtmf_info(struct sip_leg *l, const sip_t *sip)
{
	char body[256];
	const char *p;
	char digit = 0;
	size_t n;
	struct sip_event ev = {.type = SIP_EV_DTMF};

	if (!sip->sip_payload || !sip->sip_content_type || !sip->sip_content_type->c_type ||
	    !sip->sip_payload->pl_data)
		return;
	n = sip->sip_payload->pl_len;
	if (n == 0 || n >= sizeof(body))
		return;
	memcpy(body, sip->sip_payload->pl_data, n);
	body[n] = '\0';
	if (!strcasecmp(sip->sip_content_type->c_type, "application/dtmf-relay")) {
		p = strcasestr(body, "Signal=");
		if (p) {
			p += 7;
			while (*p == ' ')
				p++;
			digit = *p;
		}
	} else if (!strcasecmp(sip->sip_content_type->c_type, "application/dtmf")) {
		digit = body[0];
	}
	if (digit && strchr("0123456789*#ABCDabcd", digit)) {
		ev.digit = digit >= 'a' ? (char)(digit - 32) : digit;
		sip__leg_emit(l, &ev);
	}
}

void sip__leg_event(struct sip *s, nua_event_t event, int status, const char *phrase,
		    nua_handle_t *nh, struct sip_leg *l, const sip_t *sip, tagi_t tags[])
{
	struct sip_event ev;
	char msg[128];

	if (!l)
		return;
	if (l->ended) {
		/* The engine has let this leg go: only the stack's end of the dialog is left. */
		int cs = nua_callstate_init;
		if (event == nua_r_bye && status >= 300)
			log_info("sip",
				 "event=bye_failed call_id=%s status=%d note=\"the call had "
				 "ended already\"",
				 l->call_id, status);
		if (event == nua_i_state) {
			tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
			if (cs == nua_callstate_terminated)
				sip__leg_free(l);
		}
		return;
	}
	memset(&ev, 0, sizeof(ev));
	switch (event) {
	case nua_r_invite:
		if ((status == 401 || status == 407) && l->auth_user && !l->auth_tried) {
			const char *realm = NULL;
			char auth[512];
			if (sip && status == 401 && sip->sip_www_authenticate)
				realm =
				    msg_params_find(sip->sip_www_authenticate->au_params, "realm=");
			if (sip && status == 407 && sip->sip_proxy_authenticate)
				realm = msg_params_find(sip->sip_proxy_authenticate->au_params,
							"realm=");
			l->auth_tried = true;
			if (realm) {
				/* realm comes quoted from the header, as NUTAG_AUTH wants it. */
				snprintf(auth, sizeof(auth), "Digest:%s:%s:%s", realm, l->auth_user,
					 l->auth_pass);
				nua_authenticate(nh, NUTAG_AUTH(auth), TAG_END());
				return;
			}
		}
		if (status == 180 || status == 183) {
			ev.type = SIP_EV_PROGRESS;
			ev.status = status;
			if (sip && sip->sip_payload && sip->sip_payload->pl_len &&
			    !leg_answer(l, sip, msg, sizeof(msg))) {
				l->have_params = true;
				ev.early_media = true;
				media_session_set(l->ms, &l->params);
			}
			l->state = LEG_EARLY;
			sip__leg_emit(l, &ev);
		} else if (status >= 200 && status < 300) {
			if (!sip || !sip->sip_payload || leg_answer(l, sip, msg, sizeof(msg))) {
				if (!l->have_params) {
					log_warn("sip", "event=bad_answer call_id=%s reason=\"%s\"",
						 l->call_id, msg);
					l->state = LEG_ANSWERED;
					l->final_status = 488;
					sip_leg_hangup(l, 0);
					return;
				}
			} else {
				l->have_params = true;
			}
			if (sip && sip->sip_call_id)
				snprintf(l->call_id, sizeof(l->call_id), "%s",
					 sip->sip_call_id->i_id);
			media_session_set(l->ms, &l->params);
			l->state = LEG_ANSWERED;
			ev.type = SIP_EV_ANSWERED;
			sip__leg_emit(l, &ev);
		} else if (status >= 300) {
			l->final_status = status;
			l->by_peer = true;
		}
		return;
	case nua_i_ack:
		if (l->incoming && l->state == LEG_ANSWERED) {
			l->state = LEG_CONFIRMED;
			ev.type = SIP_EV_CONFIRMED;
			sip__leg_emit(l, &ev);
		}
		return;
	case nua_i_bye:
	case nua_i_cancel:
		l->by_peer = true;
		if (event == nua_i_cancel)
			l->final_status = 487;
		return;
	case nua_i_info:
		dtmf_info(l, sip);
		return;
	case nua_i_refer:
		if (sip && sip->sip_refer_to && sip->sip_refer_to->r_url->url_user) {
			l->refer_pending = true;
			ev.type = SIP_EV_REFER;
			ev.refer_user = sip->sip_refer_to->r_url->url_user;
			ev.refer_host = sip->sip_refer_to->r_url->url_host;
			sip__leg_emit(l, &ev);
		}
		return;
	case nua_i_state: {
		int cs = nua_callstate_init;
		tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
		if (cs == nua_callstate_ready && l->incoming && l->state == LEG_ANSWERED) {
			l->state = LEG_CONFIRMED;
			ev.type = SIP_EV_CONFIRMED;
			sip__leg_emit(l, &ev);
		}
		if (cs != nua_callstate_terminated)
			return;
		ev.type = SIP_EV_ENDED;
		ev.status = l->final_status;
		ev.by_peer = l->by_peer;
		ev.reason = phrase;
		sip__leg_emit(l, &ev);
		sip__leg_free(l);
		return;
	}
	default:
		return;
	}
}

size_t sip__legs_release(struct sip *s)
{
	size_t n = 0;

	while (s->legs) {
		sip__leg_free(s->legs);
		n++;
	}
	return n;
}
