/*
 * ICE-lite responder of a WebRTC media session (RFC 8445 lite agent, RFC 7675 consent,
 * RFC 7983 demultiplexing, RFC 5761 rtcp-mux). Internal to the media engine.
 *
 * A session given ICE credentials (media_session_ice) takes on its RTP port only: STUN
 * Binding requests whose USERNAME and MESSAGE-INTEGRITY match its credentials, which it
 * answers; and RTP/RTCP from the address a checked request with USE-CANDIDATE
 * nominated. Nothing else latches the peer's address: plain RTP from anywhere is
 * dropped. When no valid request came from that address for the consent time (30 s),
 * media stops and the engine hears MEDIA_EV_ICE_CONSENT_LOST.
 *
 * media__ice_check is pure (the fuzz harness drives it); the rest runs on the session's
 * worker.
 */
#ifndef CENTRALA_MEDIA_ICE_H
#define CENTRALA_MEDIA_ICE_H

#include "media/media.h"
#include "media/stun.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#define MEDIA__ICE_CONSENT_MS 30000 /* RFC 7675 5.1: consent expires after 30 s */

struct media__worker;
struct media__dtls;

struct media__ice {
	/* Set by the engine thread before the worker gets it; read-only afterwards. */
	char lufrag[MEDIA_ICE_FIELD_MAX + 1], rufrag[MEDIA_ICE_FIELD_MAX + 1];
	size_t lulen, rulen;
	struct media__stun_key key; /* from our ice-pwd: checks we get, answers we sign */
	/* Worker-owned. */
	bool selected;		 /* a nominated peer address */
	struct sockaddr_in peer; /* where media goes and may come from */
	uint64_t consent_ms;	 /* last valid check from `peer` */
	bool consent_lost;
};

/* What a datagram that looked like STUN turned out to be. */
enum media__ice_verdict {
	MEDIA__ICE_DROP,      /* not a message we answer (malformed, a response, bad fingerprint) */
	MEDIA__ICE_QUIET,     /* a well-formed indication (keepalive): nothing to answer */
	MEDIA__ICE_REFUSED,   /* answered with an error response (400, 401, 420, 487) */
	MEDIA__ICE_CHECKED,   /* a valid check, answered with a success response */
	MEDIA__ICE_NOMINATED, /* the same, with USE-CANDIDATE */
};

/* Judges one datagram received from `from` against the credentials and writes the
 * answer, if any, into `out` (`cap` bytes, at least 256) with its length in *out_len
 * (0 when there is none). Pure: no I/O, no allocation. */
enum media__ice_verdict media__ice_check(const struct media__ice *ice, const uint8_t *buf,
					 size_t len, const struct sockaddr_in *from, uint8_t *out,
					 size_t cap, size_t *out_len);

/* Validates credentials and makes the state for them (engine thread). Returns 0,
 * EINVAL (a ufrag outside 4-256 ice-chars, a password outside 22-256) or ENOMEM. */
int media__ice_new(const struct media_ice *cfg, struct media__ice **out);
void media__ice_free(struct media__ice *ice);

/* Worker: installs `ice` on the session (NULL: plain RTP again). A nominated peer of the
 * credentials it replaces (an ICE restart) stays in use until a new one is nominated. */
void media__ice_set(struct media__worker *w, struct media_session *s, struct media__ice *ice);
/* Worker, for every datagram on a WebRTC session's RTP port: answers STUN, drops what
 * must not reach the media path. True when the datagram is RTP or RTCP from the
 * nominated peer while consent holds, to be handled as usual. */
bool media__ice_filter(struct media__worker *w, struct media_session *s, const uint8_t *buf,
		       size_t len, const struct sockaddr_in *from);
/* Worker, every 200 ms: consent freshness. */
void media__ice_check_consent(struct media__worker *w, struct media_session *s);
/* Worker, after media_session_set applied new parameters: the nominated address stays
 * where media goes, whatever the SDP said. */
void media__ice_keep_peer(struct media_session *s);
/* Worker: installs a DTLS-SRTP endpoint on a WebRTC session (replacing one). */
void media__ice_dtls_set(struct media__worker *w, struct media_session *s, struct media__dtls *d);
/* True when the session may send media: no ICE, or a nominated peer with consent (and
 * the DTLS-SRTP keys, when the session has DTLS). */
bool media__ice_may_send(const struct media_session *s);

#endif
