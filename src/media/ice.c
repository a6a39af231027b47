/*
 * ICE-lite responder of WebRTC sessions (ice.h): judging STUN checks and answering them,
 * demultiplexing a WebRTC session's RTP port (RFC 7983: STUN 0-3, DTLS 20-63, RTP and
 * RTCP 128-191), nominating the peer's address from checked requests only, and consent
 * freshness (RFC 7675). The engine makes the state (media_session_ice); the worker
 * owns it from then on. Nothing on the packet path allocates.
 */
#include "media/dtls.h"
#include "media/ice.h"
#include "media/media_int.h"

#include "core/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static inline void stat_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static bool ice_chars(const char *s, size_t min, size_t *len)
{
	size_t n;

	if (!s)
		return false;
	for (n = 0; s[n]; n++) {
		char c = s[n];

		if (n == MEDIA_ICE_FIELD_MAX ||
		    !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/'))
			return false;
	}
	if (n < min)
		return false;
	*len = n;
	return true;
}

int media__ice_new(const struct media_ice *cfg, struct media__ice **out)
{
	struct media__ice *ice;
	size_t plen;

	if (!cfg || !ice_chars(cfg->pwd, 22, &plen))
		return EINVAL;
	ice = calloc(1, sizeof(*ice));
	if (!ice)
		return ENOMEM;
	if (!ice_chars(cfg->ufrag, 4, &ice->lulen) ||
	    !ice_chars(cfg->remote_ufrag, 4, &ice->rulen)) {
		free(ice);
		return EINVAL;
	}
	memcpy(ice->lufrag, cfg->ufrag, ice->lulen);
	memcpy(ice->rufrag, cfg->remote_ufrag, ice->rulen);
	media__stun_key_init(&ice->key, cfg->pwd, plen);
	*out = ice;
	return 0;
}

void media__ice_free(struct media__ice *ice)
{
	if (!ice)
		return;
	OPENSSL_cleanse(&ice->key, sizeof(ice->key));
	free(ice);
}

/* An error response; signed unless the request failed authentication (RFC 5389 10.1.2:
 * a 400 or 401 carries no MESSAGE-INTEGRITY). */
static size_t error_response(const struct media__ice *ice, const struct media__stun_msg *m,
			     uint16_t code, const char *reason, bool sign, uint8_t *out, size_t cap)
{
	struct media__stun_w w;
	size_t len = 0;

	media__stun_begin(&w, out, cap, MEDIA__STUN_BINDING_ERROR, m->txid);
	media__stun_put_error(&w, code, reason);
	if (code == 420) {
		uint8_t types[2 * MEDIA__STUN_UNKNOWN_MAX];
		unsigned n =
		    m->nunknown < MEDIA__STUN_UNKNOWN_MAX ? m->nunknown : MEDIA__STUN_UNKNOWN_MAX;

		for (unsigned i = 0; i < n; i++) {
			types[2 * i] = (uint8_t)(m->unknown[i] >> 8);
			types[2 * i + 1] = (uint8_t)m->unknown[i];
		}
		media__stun_put(&w, MEDIA__STUN_A_UNKNOWN_ATTRIBUTES, types, 2 * n);
	}
	if (sign)
		media__stun_put_integrity(&w, &ice->key);
	media__stun_put_fingerprint(&w);
	return media__stun_finish(&w, &len) == 0 ? len : 0;
}

enum media__ice_verdict media__ice_check(const struct media__ice *ice, const uint8_t *buf,
					 size_t len, const struct sockaddr_in *from, uint8_t *out,
					 size_t cap, size_t *out_len)
{
	struct media__stun_msg m;
	struct media__stun_w w;
	const uint8_t *u;

	*out_len = 0;
	if (media__stun_parse(buf, len, &m) != 0)
		return MEDIA__ICE_DROP;
	/* ICE sends FINGERPRINT on every message (RFC 8445 7.2.2); without a valid one the
	 * datagram is not ours to answer (RFC 5389 8). */
	if (!media__stun_check_fingerprint(buf, &m))
		return MEDIA__ICE_DROP;
	if (m.type == MEDIA__STUN_BINDING_INDICATION)
		return MEDIA__ICE_QUIET;
	if (m.type != MEDIA__STUN_BINDING_REQUEST)
		return MEDIA__ICE_DROP; /* a lite agent sends no requests: no responses due */
	if (!m.username || !m.integrity_at) {
		*out_len = error_response(ice, &m, 400, "Bad Request", false, out, cap);
		return MEDIA__ICE_REFUSED;
	}
	/* USERNAME is "our ufrag:their ufrag" (RFC 8445 7.2.2). */
	u = m.username;
	if (m.username_len != ice->lulen + 1 + ice->rulen || memcmp(u, ice->lufrag, ice->lulen) ||
	    u[ice->lulen] != ':' || memcmp(u + ice->lulen + 1, ice->rufrag, ice->rulen) ||
	    !media__stun_check_integrity(buf, &m, &ice->key)) {
		*out_len = error_response(ice, &m, 401, "Unauthorized", false, out, cap);
		return MEDIA__ICE_REFUSED;
	}
	if (m.nunknown) {
		*out_len = error_response(ice, &m, 420, "Unknown Attribute", true, out, cap);
		return MEDIA__ICE_REFUSED;
	}
	/* A lite agent is always controlled (RFC 8445 6.1.1): a peer that says it is
	 * controlled too is in conflict, and a lite agent cannot switch (7.3.1.1). */
	if (m.controlled) {
		*out_len = error_response(ice, &m, 487, "Role Conflict", true, out, cap);
		return MEDIA__ICE_REFUSED;
	}
	media__stun_begin(&w, out, cap, MEDIA__STUN_BINDING_SUCCESS, m.txid);
	media__stun_put_xaddr(&w, from);
	media__stun_put_integrity(&w, &ice->key);
	media__stun_put_fingerprint(&w);
	if (media__stun_finish(&w, out_len) != 0) {
		*out_len = 0;
		return MEDIA__ICE_DROP;
	}
	return m.use_candidate ? MEDIA__ICE_NOMINATED : MEDIA__ICE_CHECKED;
}

static bool same_addr(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

static bool dtls_ready(const struct media_session *s)
{
	return !s->dtls || media__dtls_state(s->dtls) == MEDIA__DTLS_CONNECTED;
}

/* Sends what the DTLS endpoint has to send to the nominated peer, and acts on the end of
 * its handshake: keys into the SRTP contexts, or the failure reported. */
static void dtls_pump(struct media__worker *w, struct media_session *s)
{
	struct media__dtls *d = s->dtls;
	uint8_t out[MEDIA__DTLS_MTU + 100];
	size_t n;
	struct media_srtp keys;
	bool was = s->srtp_tx != NULL;

	if (!d || !s->ice || !s->ice->selected)
		return;
	while ((n = media__dtls_output(d, out, sizeof(out))) > 0)
		media__send(w, s->fd_rtp, out, n, &s->ice->peer);
	if (media__dtls_state(d) == MEDIA__DTLS_CONNECTED && !was &&
	    media__dtls_keys(d, &keys) == 0) {
		media__srtp_configure(w, s, &keys);
		explicit_bzero(&keys, sizeof(keys));
		stat_add(&w->stats.dtls_connected, 1);
		log_info("media", "worker=%u owner=%llu event=dtls_connected broken=%d", w->id,
			 (unsigned long long)s->owner, s->srtp_broken);
		media__flush(w);
		media__event(w->m, MEDIA_EV_DTLS_CONNECTED, s->owner, NULL);
	} else if (media__dtls_state(d) == MEDIA__DTLS_FAILED && !s->srtp_broken) {
		/* Nothing goes out and nothing comes in on this session any more. */
		s->srtp_broken = true;
		stat_add(&w->stats.dtls_failed, 1);
		log_warn("media", "worker=%u owner=%llu event=dtls_failed", w->id,
			 (unsigned long long)s->owner);
		media__flush(w);
		media__event(w->m, MEDIA_EV_DTLS_FAILED, s->owner, NULL);
	}
}

void media__ice_dtls_set(struct media__worker *w, struct media_session *s, struct media__dtls *d)
{
	media__dtls_free(s->dtls);
	s->dtls = d;
	media__srtp_free(s);
	s->srtp_broken = false;
	dtls_pump(w, s);
}

/* Media goes to and comes from `peer` from now on, RTCP too (rtcp-mux). */
static void nominate(struct media__worker *w, struct media_session *s, struct media__ice *ice,
		     const struct sockaddr_in *peer)
{
	char a[INET_ADDRSTRLEN];

	if (ice->selected && same_addr(&ice->peer, peer))
		return;
	ice->selected = true;
	ice->peer = *peer;
	ice->consent_ms = w->now_ms;
	ice->consent_lost = false;
	s->p.remote = *peer;
	s->remote_key = (uint64_t)peer->sin_addr.s_addr << 16 | peer->sin_port;
	s->latched = true;
	s->latched_ms = w->now_ms;
	s->rtcp_remote = *peer;
	s->rtcp_latched = true;
	inet_ntop(AF_INET, &peer->sin_addr, a, sizeof(a));
	log_info("media", "worker=%u owner=%llu event=ice_nominated remote=%s:%u", w->id,
		 (unsigned long long)s->owner, a, ntohs(peer->sin_port));
	media__flush(w);
	media__event(w->m, MEDIA_EV_ICE_CONNECTED, s->owner, NULL);
	dtls_pump(w, s); /* a DTLS client says hello */
}

bool media__ice_filter(struct media__worker *w, struct media_session *s, const uint8_t *buf,
		       size_t len, const struct sockaddr_in *from)
{
	struct media__ice *ice = s->ice;
	uint8_t out[256];
	size_t olen;

	if (len && buf[0] < 4) {
		enum media__ice_verdict v =
		    media__ice_check(ice, buf, len, from, out, sizeof(out), &olen);

		if (olen)
			media__send(w, s->fd_rtp, out, olen, from);
		switch (v) {
		case MEDIA__ICE_NOMINATED:
			nominate(w, s, ice, from);
			/* fall through */
		case MEDIA__ICE_CHECKED:
			stat_add(&w->stats.ice_checks, 1);
			/* Consent is refreshed by checks from the nominated address only. */
			if (ice->selected && same_addr(&ice->peer, from) && !ice->consent_lost)
				ice->consent_ms = w->now_ms;
			break;
		case MEDIA__ICE_QUIET:
			break;
		case MEDIA__ICE_DROP:
			stat_add(&w->stats.ice_malformed, 1);
			break;
		case MEDIA__ICE_REFUSED:
			stat_add(&w->stats.ice_refused, 1);
			break;
		}
		return false;
	}
	if (len >= 12 && buf[0] >= 128 && buf[0] <= 191 && ice->selected && !ice->consent_lost &&
	    same_addr(&ice->peer, from) && dtls_ready(s))
		return true;
	if (buf[0] >= 20 && buf[0] <= 63 && s->dtls && ice->selected && !ice->consent_lost &&
	    same_addr(&ice->peer, from)) {
		/* Records that do not even frame are not OpenSSL's to judge. */
		if (!media__dtls_records_ok(buf, len)) {
			stat_add(&w->stats.dtls_malformed, 1);
			return false;
		}
		media__dtls_input(s->dtls, buf, len);
		dtls_pump(w, s);
		return false;
	}
	/* Anything else is no protocol of ours, or not from the nominated peer. */
	stat_add(&w->stats.ice_dropped, 1);
	return false;
}

void media__ice_check_consent(struct media__worker *w, struct media_session *s)
{
	struct media__ice *ice = s->ice;

	/* DTLS retransmissions ride on this 200 ms check (its first timeout is 1 s). */
	if (s->dtls && media__dtls_state(s->dtls) == MEDIA__DTLS_HANDSHAKE &&
	    media__dtls_timeout_ms(s->dtls) == 0) {
		media__dtls_timer(s->dtls);
		dtls_pump(w, s);
	}
	if (!ice || !ice->selected || ice->consent_lost ||
	    w->now_ms - ice->consent_ms < w->m->consent_ms)
		return;
	ice->consent_lost = true;
	log_info("media", "worker=%u owner=%llu event=ice_consent_lost", w->id,
		 (unsigned long long)s->owner);
	media__event(w->m, MEDIA_EV_ICE_CONSENT_LOST, s->owner, NULL);
}

void media__ice_keep_peer(struct media_session *s)
{
	const struct media__ice *ice = s->ice;

	if (!ice || !ice->selected)
		return;
	s->p.remote = ice->peer;
	s->remote_key = (uint64_t)ice->peer.sin_addr.s_addr << 16 | ice->peer.sin_port;
	s->latched = true;
	s->rtcp_remote = ice->peer;
	s->rtcp_latched = true;
}

bool media__ice_may_send(const struct media_session *s)
{
	return !s->ice || (s->ice->selected && !s->ice->consent_lost && dtls_ready(s));
}

void media__ice_set(struct media__worker *w, struct media_session *s, struct media__ice *ice)
{
	struct media__ice *old = s->ice;

	if (ice && old && old->selected && !old->consent_lost) {
		/* An ICE restart: media keeps flowing where it went until a new nomination.
		 * Consent lost under the old credentials is not carried over: a restart is
		 * how a peer asks for it again (RFC 7675 5.1). */
		ice->selected = true;
		ice->peer = old->peer;
		ice->consent_ms = old->consent_ms;
	}
	s->ice = ice;
	media__ice_free(old);
	if (!ice && s->dtls) {
		/* Plain RTP again: no DTLS either. */
		media__dtls_free(s->dtls);
		s->dtls = NULL;
		media__srtp_free(s);
		s->srtp_broken = false;
	}
}

int media_session_ice(struct media_session *s, const struct media_ice *cfg)
{
	struct media__ice *ice = NULL;
	struct media__cmd c;
	int err;

	if (!s)
		return EINVAL;
	if (cfg && (err = media__ice_new(cfg, &ice)))
		return err;
	memset(&c, 0, sizeof(c));
	c.type = MEDIA__CMD_ICE;
	c.s = s;
	c.u.ice = ice;
	media__cmd_push(s->w, &c);
	return 0;
}

int media_session_dtls(struct media_session *s, enum media_dtls_role role,
		       const char *peer_fingerprint)
{
	struct media__dtls *d = NULL;
	struct media__cmd c;
	int err;

	if (!s || (role != MEDIA_DTLS_CLIENT && role != MEDIA_DTLS_SERVER))
		return EINVAL;
	err = media__dtls_new(s->m->dtls_cert,
			      role == MEDIA_DTLS_CLIENT ? MEDIA__DTLS_ACTIVE : MEDIA__DTLS_PASSIVE,
			      peer_fingerprint, &d);
	if (err)
		return err;
	memset(&c, 0, sizeof(c));
	c.type = MEDIA__CMD_DTLS;
	c.s = s;
	c.u.dtls = d;
	media__cmd_push(s->w, &c);
	return 0;
}

const char *media_dtls_fingerprint(const struct media *m)
{
	return media__dtls_cert_fingerprint(m->dtls_cert);
}
