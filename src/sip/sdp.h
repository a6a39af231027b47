/*
 * SDP offer/answer for audio legs (RFC 3264): offers are parsed by sofia-sip's SDP
 * parser; our own SDP is written from the few fields we use. Pure: no I/O.
 */
#ifndef CENTRALA_SIP_SDP_H
#define CENTRALA_SIP_SDP_H

#include <stdbool.h>
#include <stddef.h>

#include "media/media.h"

/* Codecs we accept, in our order of preference when we offer. */
struct sdp_prefs {
	enum media_codec codecs[4];
	size_t ncodecs;
	uint8_t dtmf_pt; /* payload type we offer for telephone-event */
};

void sdp_prefs_default(struct sdp_prefs *p);

/*
 * Answers an offer: picks the offerer's first audio codec that we support, its
 * telephone-event type, the remote address and the direction seen from our side.
 * Returns 0; EPROTO when the text is not SDP (msg gets the parser's reason); ENOTSUP
 * when no codec matches (the caller answers 488).
 */
int sdp_negotiate_offer(const char *sdp, size_t len, const struct sdp_prefs *prefs,
			struct media_params *out, char *msg, size_t msgsize);
/* Reads the answer to our offer; same returns. */
int sdp_negotiate_answer(const char *sdp, size_t len, const struct sdp_prefs *prefs,
			 struct media_params *out, char *msg, size_t msgsize);

/*
 * SRTP with SDES (RFC 4568): an RTP/SAVP offer is accepted with its first a=crypto line
 * of a suite we support (AES_CM_128_HMAC_SHA1_80 or _32, no MKI): out->srtp gets the
 * suite, tag and the offerer's key as rx_key (tx_key is zero: the caller makes ours);
 * an RTP/SAVP offer without a usable one is ENOTSUP. sdp_negotiate_answer_srtp reads the
 * answer to our offer whose SRTP part was `offered` (suite 0: plain RTP): an SRTP offer
 * needs an RTP/SAVP answer with the same tag and suite, a plain one a plain answer
 * (ENOTSUP otherwise); out->srtp keeps our tx_key and gets the answerer's as rx_key.
 */
int sdp_negotiate_answer_srtp(const char *sdp, size_t len, const struct sdp_prefs *prefs,
			      const struct media_srtp *offered, struct media_params *out, char *msg,
			      size_t msgsize);
/*
 * Best-effort SRTP (the legs we place under `srtp: optional`): the offer is RTP/AVP with
 * a=crypto lines, which a plain peer ignores. Reading the answer to such an offer
 * (`offered`: our SRTP part): an RTP/AVP answer with no a=crypto is plain RTP (out->srtp
 * zero); one with a key of our tag and suite, or an RTP/SAVP answer with one, is SRTP
 * (out->srtp keeps our tx_key, gets theirs as rx_key); a key we cannot match is ENOTSUP.
 * With `offered` NULL it reads a re-offer on such a leg: a=crypto on RTP/AVP is taken
 * as on RTP/SAVP. Other returns as sdp_negotiate_offer.
 */
int sdp_negotiate_best_effort(const char *sdp, size_t len, const struct sdp_prefs *prefs,
			      const struct media_srtp *offered, struct media_params *out, char *msg,
			      size_t msgsize);

/*
 * Writes SDP for our side at addr:port. With `only` set, the answer names that codec
 * (and telephone-event when only->dtmf_pt); otherwise every codec of prefs is offered,
 * `first` (when not NONE) ahead of the others. `dir` is our direction.
 * Returns the length written (truncated output is an error: 0).
 */
/*
 * WebRTC (RFC 8829, 8839, 8842, 8843): what a browser's offer says of ICE, DTLS and
 * bundling for its first audio stream, media-level attributes taking precedence over
 * session-level ones. Returns 0; EPROTO when the text is not SDP; ENOTSUP when there is
 * no UDP/TLS/RTP/SAVPF (or UDP/TLS/RTP/SAVP) audio stream, or it lacks ice-ufrag,
 * ice-pwd, a sha-256 fingerprint or a known setup (msg says which). Pure (sdp_webrtc.c).
 */
struct sdp_webrtc {
	char ufrag[MEDIA_ICE_FIELD_MAX + 1], pwd[MEDIA_ICE_FIELD_MAX + 1];
	char fingerprint[104]; /* "sha-256 XX:...", as media_session_dtls takes it */
	char setup[8];	       /* "actpass", "active" or "passive" */
	char mid[33];	       /* the stream's a=mid, "" when none */
	bool rtcp_mux;
	bool bundled; /* its mid is in an a=group:BUNDLE */
	/* The codec we take (sdp_webrtc.c's table, in the offer's order), its payload type,
	 * the offer's telephone-event type at 8000 Hz (0: none) and our direction. An offer
	 * with no codec of that table is ENOTSUP ("no common codec"). */
	enum media_codec codec;
	uint8_t pt, dtmf_pt;
	enum media_dir dir;
};
int sdp_webrtc_read(const char *sdp, size_t len, struct sdp_webrtc *out, char *msg, size_t msgsize);
/*
 * Our answer to a browser's offer read by sdp_webrtc_read: one UDP/TLS/RTP/SAVPF audio
 * stream at addr:port with the chosen codec (and telephone-event when offered),
 * a=ice-lite, our ice-ufrag/ice-pwd, our one host candidate, our fingerprint, our setup
 * role ("active" or "passive"), rtcp-mux, and the offer's mid with a=group:BUNDLE when
 * the offer bundled it. Returns the length written, 0 when it does not fit or a field is
 * missing. Pure.
 */
struct sdp_webrtc_local {
	struct in_addr addr;
	uint16_t port;
	const char *ufrag, *pwd;
	const char *fingerprint; /* media_dtls_fingerprint() */
	const char *setup;	 /* "active" or "passive" */
	const char *msid;	 /* the a=msid stream id of our track, NULL: "centrala" */
};
size_t sdp_webrtc_answer(char *buf, size_t size, uint64_t session_id, uint64_t version,
			 const struct sdp_webrtc *offer, const struct sdp_webrtc_local *ours);
/* The guard against sofia-sip's loop on a bad m= line (sdp.c): true when every m= line
 * is well-formed enough to hand to sdp_parse. */
bool sdp__lines_sane(const char *text, size_t len);

size_t sdp_write(char *buf, size_t size, uint64_t session_id, uint64_t version,
		 const struct in_addr *addr, uint16_t port, const struct sdp_prefs *prefs,
		 const struct media_params *only, enum media_codec first, enum media_dir dir);
/* The same with the SRTP part given apart (sdp_write takes only->srtp): with
 * srtp->suite set, the stream is RTP/SAVP with one a=crypto line (srtp->tag, the suite,
 * srtp->tx_key); NULL or suite 0: RTP/AVP. */
size_t sdp_write_srtp(char *buf, size_t size, uint64_t session_id, uint64_t version,
		      const struct in_addr *addr, uint16_t port, const struct sdp_prefs *prefs,
		      const struct media_params *only, enum media_codec first, enum media_dir dir,
		      const struct media_srtp *srtp);
/* The same with the key (srtp->suite set) on an RTP/AVP stream: a best-effort offer,
 * or the answer on a leg that offered one. */
size_t sdp_write_best_effort(char *buf, size_t size, uint64_t session_id, uint64_t version,
			     const struct in_addr *addr, uint16_t port,
			     const struct sdp_prefs *prefs, const struct media_params *only,
			     enum media_codec first, enum media_dir dir,
			     const struct media_srtp *srtp);

const char *sdp_codec_name(enum media_codec c);

#endif
