/*
 * The browser phone: an agent's web desktop as its phone (docs/webrtc.md). The page
 * sends its WebRTC offer on the events WebSocket (API_OP_PHONE "offer"); here a media
 * session is made for the agent (ICE-lite, DTLS-SRTP, rtcp-mux, one bundled audio
 * stream) and our answer goes back to that socket. The session is nailed up for the
 * login: each call offered to the agent rings it as a local leg (sip.h) that borrows
 * the session, so queues, hold, recording and hang-up treat it as they treat a SIP
 * phone's leg. The socket's close, "close", a lost ICE consent or a failed handshake
 * ends the phone; while it is up, the agent's SIP phones are not rung. A supervisor's
 * browser phone is the one rung to listen, whisper or barge (as is a consulted or
 * conferenced user's). A new offer from the same page renegotiates in place (an ICE
 * restart keeps the session, its keys and the call). The agent's state follows the
 * phone: ready with it gone and no SIP phone registered is not ready (phone_lost) until
 * it is back.
 *
 * Messages to the page (api_phone_send): phone.answer {sdp}, phone.state {media:
 * "connected" | "ice"}, phone.ring {interaction, from, queue, agent, ring_timeout_s,
 * auto_answer}, phone.hangup {reason}, phone.closed {reason}, phone.error {code,
 * message}. Engine thread only.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/clock.h"
#include "core/log.h"
#include "sip/sdp.h"

struct eng_phone {
	struct engine *e;
	struct eng_user *u;
	uint64_t id; /* media owner: ENG_PHONE_OWNER | id */
	uint64_t ws; /* the events socket that made it (api_phone_send) */
	struct media_session *ms;
	struct media_params params;
	char ufrag[9], pwd[25]; /* our ICE credentials */
	char rufrag[MEDIA_ICE_FIELD_MAX + 1], rpwd[MEDIA_ICE_FIELD_MAX + 1]; /* the browser's */
	char fingerprint[104];						     /* the browser's */
	bool client;	     /* we are the DTLS client (a=setup:active) */
	unsigned version;    /* of our SDP */
	bool media_up;	     /* DTLS-SRTP keys in place */
	struct sip_leg *leg; /* the call it rings or carries, or NULL */
	struct eng_phone *next;
};

static void send_msg(struct eng_phone *p, const char *type, json_t *data)
{
	if (p->e->api)
		api_phone_send(p->e->api, p->u->t->ct->id, p->u->cu->username, p->ws, type, data);
}

static void send_error(struct engine *e, const struct api_cmd *m, uint64_t ws, const char *code,
		       const char *msg)
{
	static const struct {
		const char *code;
		int status;
	} statuses[] = {{"no_call", 404},     {"forbidden", 403},     {"disabled", 403},
			{"invalid_sdp", 400}, {"invalid_field", 400}, {"internal", 500}};
	int status = 409;

	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		if (!strcmp(statuses[i].code, code))
			status = statuses[i].status;
	if (m->req)
		api_reply_error(e->api, m->req, status, code, msg);
	else if (e->api)
		api_phone_send(e->api, m->tenant, m->user, ws, "phone.error",
			       json_pack("{s:s, s:s}", "code", code, "message", msg));
}

/* Letters and digits only: ice-chars (RFC 8839) that need no escaping anywhere. */
static void random_token(char *out, size_t n)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

	for (size_t i = 0; i < n; i++)
		out[i] = abc[randombytes_uniform(sizeof(abc) - 1)];
	out[n] = '\0';
}

static struct eng_phone *phone_by_id(struct engine *e, uint64_t id)
{
	for (struct eng_phone *p = e->phones; p; p = p->next)
		if (p->id == id)
			return p;
	return NULL;
}

/*
 * The agent's state follows the phone. An agent who was ready when his browser phone
 * went (the page closed, the network or its media lost) and has no SIP phone registered
 * could take no call: he goes not ready with reason phone_lost, so the ACD offers him
 * nothing and the wallboard says why. When a phone of his connects again and he is
 * still not ready for that reason (nobody changed it meanwhile), he is ready again. A
 * connected contact finishes first: the ACD applies the presence after it and its
 * wrap-up.
 */
static void agent_phone_lost(struct eng_user *u, const char *why)
{
	struct eng_tenant *t = u->t;
	struct acd_agent_info info;

	if (u->agent == ACD_NONE || !t->acd || (u->cu->sip_user && u->ncontacts) ||
	    acd_agent_info(t->acd, u->agent, &info) || info.presence != ACD_STATE_READY)
		return;
	if (acd_agent_set_state(t->acd, u->agent, ACD_STATE_NOT_READY, ENG_REASON_PHONE_LOST,
				clock_mono_ms()))
		return;
	log_info("engine", "tenant=%s event=agent_phone_lost agent=%s reason=%s", t->ct->id,
		 u->cu->username, why);
	eng__acd_arm(t);
}

static void agent_phone_back(struct eng_user *u)
{
	struct eng_tenant *t = u->t;
	struct acd_agent_info info;

	if (u->agent == ACD_NONE || !t->acd || acd_agent_info(t->acd, u->agent, &info) ||
	    info.presence != ACD_STATE_NOT_READY || info.reason != ENG_REASON_PHONE_LOST)
		return;
	if (acd_agent_set_state(t->acd, u->agent, ACD_STATE_READY, 0, clock_mono_ms()))
		return;
	log_info("engine", "tenant=%s event=agent_phone_back agent=%s", t->ct->id, u->cu->username);
	eng__acd_arm(t);
}

/* Ends the phone: its call leg (the call goes on as when a phone hangs up), its
 * session, and the page is told why (unless it asked). */
static void phone_free(struct eng_phone *p, const char *reason, bool tell)
{
	struct engine *e = p->e;

	for (struct eng_phone **pp = &e->phones; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	if (p->leg) {
		/* The leg's end comes later (a timer); it must not find the phone, and the
		 * session goes with it. */
		sip_leg_local_end(p->leg, 480);
		sip_leg_local_adopt(p->leg);
		p->leg = NULL;
		p->ms = NULL;
	}
	if (tell)
		send_msg(p, "phone.closed", json_pack("{s:s}", "reason", reason));
	log_info("engine", "tenant=%s event=phone_closed agent=%s reason=%s", p->u->t->ct->id,
		 p->u->cu->username, reason);
	if (p->u->phone == p)
		p->u->phone = NULL;
	/* A phone replaced by a newer offer is followed by that one at once; at the stop
	 * nothing is offered any more. */
	if (p->media_up && strcmp(reason, "replaced") && strcmp(reason, "stopping"))
		agent_phone_lost(p->u, reason);
	if (p->ms)
		media_session_free(p->ms);
	free(p);
}

/* The leg went (sip.h's gone handler): after the engine heard SIP_EV_ENDED. */
static void leg_gone(void *arg, struct sip_leg *l, bool by_phone)
{
	struct engine *e = arg;

	for (struct eng_phone *p = e->phones; p; p = p->next)
		if (p->leg == l) {
			p->leg = NULL;
			if (!by_phone)
				send_msg(p, "phone.hangup", json_pack("{s:s}", "reason", "ended"));
			return;
		}
}

/* Writes our answer to offer w for phone p into sdp; false when it does not fit. */
static bool answer_write(struct eng_phone *p, const struct sdp_webrtc *w, char *sdp, size_t size)
{
	struct sdp_webrtc_local ours;

	memset(&ours, 0, sizeof(ours));
	ours.addr = *media_address(p->e->media);
	ours.port = media_session_port(p->ms);
	ours.ufrag = p->ufrag;
	ours.pwd = p->pwd;
	ours.fingerprint = media_dtls_fingerprint(p->e->media);
	ours.setup = p->client ? "active" : "passive";
	return sdp_webrtc_answer(sdp, size, p->id, ++p->version, w, &ours) != 0;
}

/*
 * A new offer from the page whose phone is up, with the same DTLS certificate: the same
 * session goes on (a call on it too). New ICE credentials of the browser are an ICE
 * restart (RFC 8445 9): ours change as well, and media keeps flowing to the nominated
 * address until the browser nominates again; the DTLS association and its keys stay.
 */
static void renegotiate(struct eng_phone *p, const struct sdp_webrtc *w, const struct api_cmd *m)
{
	struct media_params np = p->params;
	bool restart = strcmp(w->ufrag, p->rufrag) || strcmp(w->pwd, p->rpwd);
	char sdp[2048];

	if (restart) {
		struct media_ice ice = {.ufrag = p->ufrag, .pwd = p->pwd, .remote_ufrag = w->ufrag};
		random_token(p->ufrag, 8);
		random_token(p->pwd, 24);
		if (media_session_ice(p->ms, &ice)) {
			send_error(p->e, m, p->ws, "invalid_sdp",
				   "the offer's ICE values are unusable");
			return;
		}
		snprintf(p->rufrag, sizeof(p->rufrag), "%s", w->ufrag);
		snprintf(p->rpwd, sizeof(p->rpwd), "%s", w->pwd);
	}
	np.codec = w->codec;
	np.pt = w->pt;
	np.dtmf_pt = w->dtmf_pt;
	np.dir = w->dir;
	if (memcmp(&np, &p->params, sizeof(np)) && !media_session_set(p->ms, &np))
		p->params = np;
	if (!answer_write(p, w, sdp, sizeof(sdp))) {
		send_error(p->e, m, p->ws, "internal", "answer too long");
		return;
	}
	log_info("engine", "tenant=%s event=phone_renegotiated agent=%s ice_restart=%d",
		 p->u->t->ct->id, p->u->cu->username, restart);
	send_msg(p, "phone.answer", json_pack("{s:s, s:s}", "type", "answer", "sdp", sdp));
}

static void offer(struct engine *e, struct eng_tenant *t, struct eng_user *u,
		  const struct api_cmd *m, uint64_t ws)
{
	const char *text = json_string_value(json_object_get(m->args, "sdp"));
	struct sdp_webrtc w;
	struct media_ice ice;
	struct eng_phone *p = NULL;
	char msg[160], sdp[2048];
	int err;

	if (!text || sdp_webrtc_read(text, strlen(text), &w, msg, sizeof(msg))) {
		send_error(e, m, ws, "invalid_sdp", text ? msg : "no sdp");
		return;
	}
	if (!w.rtcp_mux) {
		send_error(e, m, ws, "invalid_sdp", "a=rtcp-mux is required");
		return;
	}
	if (u->phone && u->phone->ws == ws && !strcmp(u->phone->fingerprint, w.fingerprint)) {
		renegotiate(u->phone, &w, m);
		return;
	}
	if (u->phone && u->phone->leg) {
		send_error(e, m, ws, "busy", "the browser phone is on a call");
		return;
	}
	if (u->phone)
		phone_free(u->phone, "replaced", u->phone->ws != ws);
	if (!(p = calloc(1, sizeof(*p)))) {
		send_error(e, m, ws, "internal", "out of memory");
		return;
	}
	p->e = e;
	p->u = u;
	p->id = ++e->next_phone;
	p->ws = ws;
	if ((err = media_session_alloc(e->media, ENG_PHONE_OWNER | p->id, NULL, &p->ms))) {
		free(p);
		send_error(e, m, ws, "busy", "no media port free");
		return;
	}
	random_token(p->ufrag, 8);
	random_token(p->pwd, 24);
	snprintf(p->rufrag, sizeof(p->rufrag), "%s", w.ufrag);
	snprintf(p->rpwd, sizeof(p->rpwd), "%s", w.pwd);
	snprintf(p->fingerprint, sizeof(p->fingerprint), "%s", w.fingerprint);
	ice = (struct media_ice){.ufrag = p->ufrag, .pwd = p->pwd, .remote_ufrag = w.ufrag};
	/* RFC 5763 5: answering actpass we are active (saves a round trip); otherwise the
	 * role the browser left us. */
	p->client = strcmp(w.setup, "active") != 0;
	p->params.codec = w.codec;
	p->params.pt = w.pt;
	p->params.dtmf_pt = w.dtmf_pt;
	p->params.ptime_ms = 20;
	p->params.dir = w.dir;
	p->params.remote.sin_family = AF_INET;
	if (media_session_ice(p->ms, &ice) ||
	    media_session_dtls(p->ms, p->client ? MEDIA_DTLS_CLIENT : MEDIA_DTLS_SERVER,
			       w.fingerprint) ||
	    media_session_set(p->ms, &p->params) || !answer_write(p, &w, sdp, sizeof(sdp))) {
		media_session_free(p->ms);
		free(p);
		send_error(e, m, ws, "invalid_sdp", "the offer's ICE or DTLS values are unusable");
		return;
	}
	p->next = e->phones;
	e->phones = p;
	u->phone = p;
	log_info("engine", "tenant=%s event=phone_offer agent=%s codec=%s port=%u setup=%s",
		 t->ct->id, u->cu->username, sdp_codec_name(w.codec), media_session_port(p->ms),
		 p->client ? "active" : "passive");
	send_msg(p, "phone.answer", json_pack("{s:s, s:s}", "type", "answer", "sdp", sdp));
}

static void reply_ok(struct engine *e, const struct api_cmd *m, struct call *c)
{
	if (m->req)
		api_reply(e->api, m->req, 200,
			  json_pack("{s:s}", "interaction", c ? c->ix_id : ""));
}

void eng__phone_command(struct engine *e, struct eng_tenant *t, const struct api_cmd *m)
{
	const char *action = json_string_value(json_object_get(m->args, "action"));
	struct eng_user *u = strmap_get2(e->usernames, t->ct->id, m->user);
	uint64_t ws = m->req ? 0 : strtoull(m->target, NULL, 10);
	struct eng_phone *p;
	struct call *c;
	int err = 0;

	if (!action)
		action = "";
	if (!strcmp(action, "close")) {
		/* The socket that made the phone closed, or the page let it go. */
		if (u && u->phone && (!ws || u->phone->ws == ws))
			phone_free(u->phone, "closed", false);
		reply_ok(e, m, NULL);
		return;
	}
	/* Agents take calls on it; supervisors listen, whisper and barge with it. */
	if (!u || !(m->roles & (API_ROLE_AGENT | API_ROLE_SUPERVISOR)) ||
	    (u->agent == ACD_NONE && !(m->roles & API_ROLE_SUPERVISOR))) {
		send_error(e, m, ws, "forbidden",
			   "the browser phone is for agents and supervisors");
		return;
	}
	if (!t->ct->browser_phone) {
		send_error(e, m, ws, "disabled", "the browser phone is turned off for this tenant");
		return;
	}
	if (!strcmp(action, "offer")) {
		offer(e, t, u, m, ws);
		return;
	}
	p = u->phone;
	if (!p || !p->leg) {
		send_error(e, m, ws, "no_call", "the browser phone has no call");
		return;
	}
	c = sip_leg_cookie(p->leg);
	if (!strcmp(action, "accept")) {
		err = sip_leg_local_answer(p->leg);
	} else if (!strcmp(action, "reject") || !strcmp(action, "hangup")) {
		err = sip_leg_local_end(p->leg, !strcmp(action, "reject") ? 603 : 0);
	} else if (!strcmp(action, "hold") || !strcmp(action, "resume")) {
		err =
		    c && c->b == p->leg ? eng__call_hold(c, !strcmp(action, "hold"), true) : EINVAL;
		if (err == EALREADY)
			err = 0;
	} else {
		send_error(e, m, ws, "invalid_field", "unknown phone action");
		return;
	}
	if (err) {
		send_error(e, m, ws, "conflict", "the call is not in a state for that");
		return;
	}
	reply_ok(e, m, c);
}

bool eng__phone_connected(const struct eng_user *u)
{
	return u->phone && u->phone->media_up;
}

bool eng__phone_up(const struct eng_user *u)
{
	return u->phone && u->phone->media_up && !u->phone->leg;
}

int eng__phone_ring(struct call *c, struct eng_user *u, struct sip_leg **out)
{
	struct eng_phone *p = u->phone;
	const struct cfg_queue *cq = c->q ? c->q->cq : NULL;
	int err;

	if (!eng__phone_up(u))
		return ENOENT;
	if ((err = sip_leg_local(c->e->sip, p->ms, &p->params, leg_gone, c->e, &p->leg)))
		return err;
	/* Click-to-dial: the agent asked for the call, the page answers by itself (as SIP
	 * phones do on Call-Info answer-after=0). */
	send_msg(p, "phone.ring",
		 json_pack("{s:s, s:s, s:s, s:s?, s:i, s:b}", "interaction", c->ix_id, "from",
			   c->att ? c->to : c->from, "queue", c->queue, "agent", u->cu->username,
			   "ring_timeout_s", cq ? (int)(cq->ring_timeout_ms / 1000) : 0,
			   "auto_answer", c->click));
	*out = p->leg;
	return 0;
}

void eng__phone_media_event(struct engine *e, const struct media_event *ev)
{
	struct eng_phone *p = phone_by_id(e, ev->owner & ~ENG_PHONE_OWNER);
	struct call *c;

	if (!p)
		return;
	switch (ev->type) {
	case MEDIA_EV_ICE_CONNECTED:
		send_msg(p, "phone.state", json_pack("{s:s}", "media", "ice"));
		return;
	case MEDIA_EV_DTLS_CONNECTED:
		p->media_up = true;
		log_info("engine", "tenant=%s event=phone_connected agent=%s", p->u->t->ct->id,
			 p->u->cu->username);
		send_msg(p, "phone.state", json_pack("{s:s}", "media", "connected"));
		agent_phone_back(p->u);
		return;
	case MEDIA_EV_DTLS_FAILED:
		phone_free(p, "dtls_failed", true);
		return;
	case MEDIA_EV_ICE_CONSENT_LOST:
		phone_free(p, "consent_lost", true);
		return;
	case MEDIA_EV_RTP_TIMEOUT:
		phone_free(p, "rtp_timeout", true);
		return;
	default:
		/* Digits (RFC 4733 from insertDTMF), plays and recordings belong to the call. */
		if (p->leg && (c = sip_leg_cookie(p->leg)))
			eng__call_leg_media_event(c, p->leg, ev);
		return;
	}
}

void eng__phones_free(struct engine *e)
{
	while (e->phones) {
		struct eng_phone *p = e->phones;
		p->leg = NULL; /* freed with the SIP stack, which let go of the session */
		phone_free(p, "stopping", false);
	}
}

unsigned eng__phones_count(const struct engine *e, const struct eng_tenant *t)
{
	unsigned n = 0;

	for (const struct eng_phone *p = e->phones; p; p = p->next)
		if (p->u->t == t && p->media_up)
			n++;
	return n;
}
