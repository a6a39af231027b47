/*
 * libFuzzer harness for the SDP we read from the outside (src/sip/sdp.c): every offer
 * and answer that a caller, a phone or a trunk sends goes through sdp_negotiate_offer()
 * or sdp_negotiate_answer() before anything else looks at it. Besides crashes and
 * sanitizer reports, the harness checks one invariant: an offer we accept, answered with
 * our own SDP (sdp_write) and read back, names the same codec, payload type and
 * telephone-event type, and the direction mirrored; a browser's offer we read, answered
 * with sdp_webrtc_answer and read back, the same codec, payload types, mid and BUNDLE.
 * Build and run: see fuzz/README.md.
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/sdp.h"

static enum media_dir mirrored(enum media_dir d)
{
	switch (d) {
	case MEDIA_DIR_SENDONLY:
		return MEDIA_DIR_RECVONLY;
	case MEDIA_DIR_RECVONLY:
		return MEDIA_DIR_SENDONLY;
	default:
		return d;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sdp_prefs prefs;
	struct media_params p, back;
	struct sdp_webrtc w;
	struct in_addr lo = {htonl(INADDR_LOOPBACK)};
	char msg[160], answer[1024];
	size_t n;

	sdp_prefs_default(&prefs);
	/* sofia-sip reads exactly `len` bytes: no terminator is needed, and none is given,
	 * so that a read past the end is caught. */
	(void)sdp_negotiate_answer((const char *)data, size, &prefs, &p, msg, sizeof(msg));
	/* The answer to a best-effort SRTP offer, and a re-offer on such a leg. */
	{
		static const struct media_srtp ours = {.suite = MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80,
						       .tag = 1};
		(void)sdp_negotiate_best_effort((const char *)data, size, &prefs, &ours, &p, msg,
						sizeof(msg));
		(void)sdp_negotiate_best_effort((const char *)data, size, &prefs, NULL, &p, msg,
						sizeof(msg));
	}
	/* A browser's offer: what it gives must be terminated and of the promised shape. */
	if (sdp_webrtc_read((const char *)data, size, &w, msg, sizeof(msg)) == 0 &&
	    (!w.ufrag[0] || !w.pwd[0] || strlen(w.ufrag) >= sizeof(w.ufrag) ||
	     strncasecmp(w.fingerprint, "sha-256 ", 8) || !w.setup[0] || (w.bundled && !w.mid[0])))
		abort();
	/* Our answer to an offer we read always fits, and reads back with the same codec,
	 * payload types, mid and bundling. */
	if (sdp_webrtc_read((const char *)data, size, &w, msg, sizeof(msg)) == 0) {
		struct sdp_webrtc_local ours = {.addr = lo,
						.port = 40000,
						.ufrag = "Fuzz",
						.pwd = "fuzzfuzzfuzzfuzzfuzzfuzz",
						.fingerprint = w.fingerprint,
						.setup = "active"};
		struct sdp_webrtc wback;
		char wa[2048];
		size_t wn = sdp_webrtc_answer(wa, sizeof(wa), 1, 1, &w, &ours);

		if (wn == 0 || sdp_webrtc_read(wa, wn, &wback, msg, sizeof(msg)) ||
		    wback.codec != w.codec || wback.pt != w.pt || wback.dtmf_pt != w.dtmf_pt ||
		    strcmp(wback.mid, w.mid) || wback.bundled != w.bundled || !wback.rtcp_mux)
			abort();
	}
	if (sdp_negotiate_offer((const char *)data, size, &prefs, &p, msg, sizeof(msg)) != 0)
		return 0;
	if (p.codec == MEDIA_CODEC_NONE || p.ptime_ms < 10 || p.ptime_ms > 60)
		abort();
	/* A telephone-event type equal to the codec's makes an answer no one could read. */
	if (p.dtmf_pt == p.pt)
		return 0;
	n = sdp_write(answer, sizeof(answer), 1, 1, &lo, 40000, &prefs, &p, MEDIA_CODEC_NONE,
		      p.dir);
	if (n == 0)
		abort();
	if (sdp_negotiate_answer(answer, n, &prefs, &back, msg, sizeof(msg)) != 0)
		abort();
	if (back.codec != p.codec || back.pt != p.pt || back.dtmf_pt != p.dtmf_pt ||
	    back.dir != mirrored(p.dir) || back.remote.sin_addr.s_addr != lo.s_addr ||
	    ntohs(back.remote.sin_port) != 40000)
		abort();
	return 0;
}
