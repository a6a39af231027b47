/*
 * Unit tests of reading a browser's WebRTC offer (src/sip/sdp_webrtc.c): ICE
 * credentials, DTLS fingerprint and setup, rtcp-mux and BUNDLE of the audio stream,
 * session-level attributes as fallback, the codec taken from the offer, offers that
 * cannot be a browser phone's, and our answer written field by field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sip/sdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define FP                                                                                         \
	"sha-256 "                                                                                 \
	"0F:74:31:25:CB:A2:13:EC:28:6F:6D:2C:61:FF:5D:C2:BC:B9:DB:3D:98:14:8D:1A:BB:EA:33:0C:A4:"  \
	"60:A8:8E"

/* As Chromium offers audio alone. */
static const char OFFER[] = "v=0\r\n"
			    "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
			    "s=-\r\n"
			    "t=0 0\r\n"
			    "a=group:BUNDLE 0\r\n"
			    "a=extmap-allow-mixed\r\n"
			    "a=msid-semantic: WMS stream\r\n"
			    "m=audio 9 UDP/TLS/RTP/SAVPF 111 0 8 110 126\r\n"
			    "c=IN IP4 0.0.0.0\r\n"
			    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
			    "a=ice-ufrag:Xk3q\r\n"
			    "a=ice-pwd:5aJ2b9fWq0Zk1lYc8Vn3RtUe\r\n"
			    "a=ice-options:trickle\r\n"
			    "a=fingerprint:" FP "\r\n"
			    "a=setup:actpass\r\n"
			    "a=mid:0\r\n"
			    "a=sendrecv\r\n"
			    "a=rtcp-mux\r\n"
			    "a=rtpmap:111 opus/48000/2\r\n"
			    "a=rtpmap:0 PCMU/8000\r\n"
			    "a=rtpmap:8 PCMA/8000\r\n"
			    "a=rtpmap:110 telephone-event/48000\r\n"
			    "a=rtpmap:126 telephone-event/8000\r\n";

static int read_text(const char *text, struct sdp_webrtc *w, char *msg)
{
	msg[0] = '\0';
	return sdp_webrtc_read(text, strlen(text), w, msg, 200);
}

/* OFFER with `from` replaced by `to` (once). */
static const char *edited(const char *from, const char *to)
{
	static char buf[4096];
	const char *at = strstr(OFFER, from);

	assert_non_null(at);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(at - OFFER), OFFER, to, at + strlen(from));
	return buf;
}

static void test_browser_offer_read(void **state)
{
	struct sdp_webrtc w;
	char msg[200];

	(void)state;
	assert_int_equal(read_text(OFFER, &w, msg), 0);
	assert_string_equal(w.ufrag, "Xk3q");
	assert_string_equal(w.pwd, "5aJ2b9fWq0Zk1lYc8Vn3RtUe");
	assert_string_equal(w.fingerprint, FP);
	assert_string_equal(w.setup, "actpass");
	assert_string_equal(w.mid, "0");
	assert_true(w.rtcp_mux);
	assert_true(w.bundled);
	/* Opus is first in the offer: taken, with telephone-event on its 48 kHz clock. */
	assert_int_equal(w.codec, MEDIA_CODEC_OPUS);
	assert_int_equal(w.pt, 111);
	assert_int_equal(w.dtmf_pt, 110);
	assert_int_equal(w.dir, MEDIA_DIR_SENDRECV);
}

static void test_codec_from_offer(void **state)
{
	struct sdp_webrtc w;
	char msg[200];

	(void)state;
	assert_int_equal(read_text(edited("111 0 8 110 126", "8 0 111 110 126"), &w, msg), 0);
	assert_int_equal(w.codec, MEDIA_CODEC_PCMA);
	assert_int_equal(w.pt, 8);
	assert_int_equal(w.dtmf_pt, 126); /* at 8 kHz, the G.711 clock */
	assert_int_equal(read_text(edited("111 0 8 110 126", "0 111 8 110 126"), &w, msg), 0);
	assert_int_equal(w.codec, MEDIA_CODEC_PCMU);
	assert_int_equal(w.dtmf_pt, 126);
	assert_int_equal(read_text(edited("a=rtpmap:110 telephone-event/48000\r\n", ""), &w, msg),
			 0);
	assert_int_equal(w.codec, MEDIA_CODEC_OPUS);
	assert_int_equal(w.dtmf_pt, 0); /* none at the Opus clock: digits in-band */
	assert_int_equal(read_text(edited("a=sendrecv", "a=sendonly"), &w, msg), 0);
	assert_int_equal(w.dir, MEDIA_DIR_RECVONLY);
	assert_int_equal(read_text(edited("111 0 8 110 126", "110 126"), &w, msg), ENOTSUP);
	assert_non_null(strstr(msg, "codec"));
}

/* The lines of `sdp` in order, each checked against `want` (NULL-terminated). */
static void assert_lines(const char *sdp, const char *const *want)
{
	const char *p = sdp;
	size_t i;

	for (i = 0; want[i]; i++) {
		const char *eol = strstr(p, "\r\n");
		char line[300];

		assert_non_null(eol);
		snprintf(line, sizeof(line), "%.*s", (int)(eol - p), p);
		assert_string_equal(line, want[i]);
		p = eol + 2;
	}
	assert_string_equal(p, "");
}

static void test_answer_to_chromium_offer(void **state)
{
	struct sdp_webrtc w;
	struct sdp_webrtc_local ours = {
	    .port = 30010,
	    .ufrag = "Cen1",
	    .pwd = "abcdefghijklmnopqrstuvwx",
	    .fingerprint = FP,
	    .setup = "active",
	};
	char msg[200], sdp[2048];
	size_t n;
	const char *const want[] = {
	    "v=0",
	    "o=centrala 77 2 IN IP4 127.0.0.1",
	    "s=centrala",
	    "t=0 0",
	    "a=ice-lite",
	    "a=group:BUNDLE 0",
	    "a=msid-semantic: WMS centrala",
	    "m=audio 30010 UDP/TLS/RTP/SAVPF 111 110",
	    "c=IN IP4 127.0.0.1",
	    "a=rtcp:30010 IN IP4 127.0.0.1",
	    "a=ice-ufrag:Cen1",
	    "a=ice-pwd:abcdefghijklmnopqrstuvwx",
	    "a=fingerprint:" FP,
	    "a=setup:active",
	    "a=mid:0",
	    "a=sendrecv",
	    "a=rtcp-mux",
	    "a=rtpmap:111 opus/48000/2",
	    "a=fmtp:111 minptime=10;useinbandfec=1",
	    "a=rtpmap:110 telephone-event/48000",
	    "a=fmtp:110 0-16",
	    "a=ptime:20",
	    "a=msid:centrala audio",
	    "a=candidate:1 1 udp 2130706431 127.0.0.1 30010 typ host",
	    "a=end-of-candidates",
	    NULL,
	};

	(void)state;
	inet_pton(AF_INET, "127.0.0.1", &ours.addr);
	assert_int_equal(read_text(OFFER, &w, msg), 0);
	n = sdp_webrtc_answer(sdp, sizeof(sdp), 77, 2, &w, &ours);
	assert_int_not_equal(n, 0);
	assert_int_equal(n, strlen(sdp));
	assert_lines(sdp, want);
	/* Our answer is itself a WebRTC description that reads back. */
	assert_int_equal(read_text(sdp, &w, msg), 0);
	assert_string_equal(w.ufrag, "Cen1");
	assert_string_equal(w.setup, "active");
	assert_true(w.bundled);
	assert_int_equal(w.codec, MEDIA_CODEC_OPUS);
	assert_int_equal(w.dtmf_pt, 110);
}

/* ice-ufrag, ice-pwd and fingerprint at session level (RFC 8839 allows it). */
static const char OFFER_SESSION[] = "v=0\r\n"
				    "o=- 1 2 IN IP4 127.0.0.1\r\n"
				    "s=-\r\n"
				    "t=0 0\r\n"
				    "a=ice-ufrag:SesU\r\n"
				    "a=ice-pwd:sessionpasswordsessionpw\r\n"
				    "a=fingerprint:" FP "\r\n"
				    "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"
				    "c=IN IP4 0.0.0.0\r\n"
				    "a=setup:active\r\n"
				    "a=rtpmap:0 PCMU/8000\r\n";

static void test_session_level_attributes_used(void **state)
{
	struct sdp_webrtc w;
	char msg[200];

	(void)state;
	assert_int_equal(read_text(OFFER_SESSION, &w, msg), 0);
	assert_string_equal(w.ufrag, "SesU");
	assert_string_equal(w.pwd, "sessionpasswordsessionpw");
	assert_string_equal(w.fingerprint, FP);
	assert_string_equal(w.setup, "active");
	assert_string_equal(w.mid, "");
	assert_false(w.rtcp_mux);
	assert_false(w.bundled);
}

static void test_not_bundled_without_group(void **state)
{
	struct sdp_webrtc w;
	char msg[200];

	(void)state;
	assert_int_equal(read_text(edited("a=group:BUNDLE 0\r\n", ""), &w, msg), 0);
	assert_false(w.bundled);
	assert_int_equal(
	    read_text(edited("a=group:BUNDLE 0\r\n", "a=group:BUNDLE 01 1\r\n"), &w, msg), 0);
	assert_false(w.bundled);
	assert_int_equal(read_text(edited("a=rtcp-mux\r\n", ""), &w, msg), 0);
	assert_false(w.rtcp_mux);
}

static void test_unusable_offers_refused(void **state)
{
	struct sdp_webrtc w;
	char msg[200];

	(void)state;
	assert_int_equal(read_text(edited("UDP/TLS/RTP/SAVPF", "RTP/AVP"), &w, msg), ENOTSUP);
	assert_non_null(strstr(msg, "UDP/TLS/RTP/SAVPF"));
	assert_int_equal(read_text(edited("a=ice-pwd:5aJ2b9fWq0Zk1lYc8Vn3RtUe\r\n", ""), &w, msg),
			 ENOTSUP);
	assert_non_null(strstr(msg, "ice-pwd"));
	assert_int_equal(read_text(edited("sha-256 0F", "sha-1 0F"), &w, msg), ENOTSUP);
	assert_non_null(strstr(msg, "fingerprint"));
	assert_int_equal(read_text(edited("a=setup:actpass", "a=setup:holdconn"), &w, msg),
			 ENOTSUP);
	assert_non_null(strstr(msg, "setup"));
	assert_int_equal(read_text(edited("m=audio 9 ", "m=audio 0 "), &w, msg), ENOTSUP);
	assert_int_equal(read_text("not sdp at all", &w, msg), EPROTO);
	assert_int_equal(read_text(edited("111 0 8 110 126", "111 \"x\""), &w, msg), EPROTO);
}

static void test_answer_without_mid_or_dtmf(void **state)
{
	struct sdp_webrtc w;
	struct sdp_webrtc_local ours = {
	    .port = 30012,
	    .ufrag = "Cen1",
	    .pwd = "abcdefghijklmnopqrstuvwx",
	    .fingerprint = FP,
	    .setup = "passive",
	};
	char msg[200], sdp[2048];

	(void)state;
	assert_int_equal(read_text(OFFER_SESSION, &w, msg), 0);
	assert_int_not_equal(sdp_webrtc_answer(sdp, sizeof(sdp), 1, 1, &w, &ours), 0);
	assert_null(strstr(sdp, "a=group"));
	assert_null(strstr(sdp, "a=mid"));
	assert_null(strstr(sdp, "telephone-event"));
	assert_non_null(strstr(sdp, "m=audio 30012 UDP/TLS/RTP/SAVPF 0\r\n"));
	assert_non_null(strstr(sdp, "a=setup:passive\r\n"));
	/* Too small a buffer, or a missing field: nothing. */
	assert_int_equal(sdp_webrtc_answer(sdp, 100, 1, 1, &w, &ours), 0);
	ours.pwd = NULL;
	assert_int_equal(sdp_webrtc_answer(sdp, sizeof(sdp), 1, 1, &w, &ours), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_browser_offer_read),
	    cmocka_unit_test(test_session_level_attributes_used),
	    cmocka_unit_test(test_not_bundled_without_group),
	    cmocka_unit_test(test_unusable_offers_refused),
	    cmocka_unit_test(test_codec_from_offer),
	    cmocka_unit_test(test_answer_to_chromium_offer),
	    cmocka_unit_test(test_answer_without_mid_or_dtmf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
