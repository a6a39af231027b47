/*
 * Tests of SDP offer/answer (src/sip/sdp.c): which codec and telephone-event type we
 * pick from real offers (the forms SIPp, baresip and common desk phones send), the
 * errors that become 488 (no common codec) and 400 (not SDP), the direction seen from
 * our side (sendonly, recvonly, inactive, c=0.0.0.0), and our own SDP parsed back.
 * SRTP (RTP/SAVP with a=crypto) is tested in test_sip_sdp_srtp.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sip/sdp.h"

#define SDP_HEAD                                                                                   \
	"v=0\r\n"                                                                                  \
	"o=- 53655765 2353687637 IN IP4 192.0.2.10\r\n"                                            \
	"s=-\r\n"                                                                                  \
	"c=IN IP4 192.0.2.10\r\n"                                                                  \
	"t=0 0\r\n"

static int offer(const char *sdp, struct media_params *out, char *msg, size_t msgsize)
{
	struct sdp_prefs prefs;

	sdp_prefs_default(&prefs);
	return sdp_negotiate_offer(sdp, strlen(sdp), &prefs, out, msg, msgsize);
}

static void assert_remote(const struct media_params *p, const char *ip, uint16_t port)
{
	char got[INET_ADDRSTRLEN];

	assert_int_equal(p->remote.sin_family, AF_INET);
	assert_non_null(inet_ntop(AF_INET, &p->remote.sin_addr, got, sizeof(got)));
	assert_string_equal(got, ip);
	assert_int_equal(ntohs(p->remote.sin_port), port);
}

static void test_offer_pcmu_pcma_dtmf_picks_pcmu(void **state)
{
	static const char sdp[] = SDP_HEAD "m=audio 6000 RTP/AVP 0 8 101\r\n"
					   "a=rtpmap:0 PCMU/8000\r\n"
					   "a=rtpmap:8 PCMA/8000\r\n"
					   "a=rtpmap:101 telephone-event/8000\r\n"
					   "a=fmtp:101 0-16\r\n"
					   "a=sendrecv\r\n";
	struct media_params p;
	char msg[128];

	assert_int_equal(offer(sdp, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.codec, MEDIA_CODEC_PCMU);
	assert_int_equal(p.pt, 0);
	assert_int_equal(p.dtmf_pt, 101);
	assert_int_equal(p.ptime_ms, 20);
	assert_int_equal(p.dir, MEDIA_DIR_SENDRECV);
	assert_remote(&p, "192.0.2.10", 6000);
}

static void test_offer_order_is_the_offerers(void **state)
{
	static const char sdp[] = SDP_HEAD "m=audio 6000 RTP/AVP 8 0 101\r\n"
					   "a=rtpmap:8 PCMA/8000\r\n"
					   "a=rtpmap:0 PCMU/8000\r\n"
					   "a=rtpmap:101 telephone-event/8000\r\n";
	struct media_params p;
	char msg[128];

	assert_int_equal(offer(sdp, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.codec, MEDIA_CODEC_PCMA);
	assert_int_equal(p.pt, 8);
}

static void test_offer_g722_first_picks_g722(void **state)
{
	static const char sdp[] = SDP_HEAD "m=audio 7078 RTP/AVP 9 0 8 101\r\n"
					   "a=rtpmap:9 G722/8000\r\n"
					   "a=rtpmap:0 PCMU/8000\r\n"
					   "a=rtpmap:8 PCMA/8000\r\n"
					   "a=rtpmap:101 telephone-event/8000\r\n"
					   "a=fmtp:101 0-15\r\n"
					   "a=ptime:20\r\n";
	struct media_params p;
	char msg[128];

	assert_int_equal(offer(sdp, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.codec, MEDIA_CODEC_G722);
	assert_int_equal(p.pt, 9);
	assert_int_equal(p.dtmf_pt, 101);
	assert_remote(&p, "192.0.2.10", 7078);
}

static void test_offer_static_types_without_rtpmap(void **state)
{
	static const char sdp[] = SDP_HEAD "m=audio 6000 RTP/AVP 8\r\n";
	struct media_params p;
	char msg[128];

	assert_int_equal(offer(sdp, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.codec, MEDIA_CODEC_PCMA);
	assert_int_equal(p.pt, 8);
	assert_int_equal(p.dtmf_pt, 0);
}

static void test_offer_unsupported_codecs_skipped(void **state)
{
	/* speex and GSM first, G.711 further down. */
	static const char sdp[] = SDP_HEAD "m=audio 10000 RTP/AVP 96 97 3 0 101\r\n"
					   "a=rtpmap:96 speex/8000\r\n"
					   "a=rtpmap:97 speex/16000\r\n"
					   "a=rtpmap:3 GSM/8000\r\n"
					   "a=rtpmap:0 PCMU/8000\r\n"
					   "a=rtpmap:101 telephone-event/8000\r\n";
	struct media_params p;
	char msg[128];

	assert_int_equal(offer(sdp, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.codec, MEDIA_CODEC_PCMU);
	assert_int_equal(p.dtmf_pt, 101);
}

static void test_offer_dynamic_telephone_event_type(void **state)
{
	static const char sdp[] = SDP_HEAD "m=audio 6000 RTP/AVP 0 96\r\n"
					   "a=rtpmap:96 telephone-event/8000\r\n";
	struct media_params p;
	char msg[128];

	assert_int_equal(offer(sdp, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.dtmf_pt, 96);
}

static void test_offer_wideband_telephone_event_ignored(void **state)
{
	static const char sdp[] = SDP_HEAD "m=audio 6000 RTP/AVP 0 100\r\n"
					   "a=rtpmap:100 telephone-event/48000\r\n";
	struct media_params p;
	char msg[128];

	assert_int_equal(offer(sdp, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.dtmf_pt, 0);
}

static void test_offer_no_common_codec_enotsup(void **state)
{
	static const char sdp[] = SDP_HEAD "m=audio 6000 RTP/AVP 3\r\n"
					   "a=rtpmap:3 GSM/8000\r\n";
	struct media_params p;
	char msg[128];

	memset(&p, 0x5a, sizeof(p));
	assert_int_equal(offer(sdp, &p, msg, sizeof(msg)), ENOTSUP);
	assert_non_null(strstr(msg, "codec"));
	/* Out-parameter untouched on error. */
	assert_int_equal(((unsigned char *)&p)[0], 0x5a);
}

static void test_offer_prefs_limit_codecs(void **state)
{
	static const char sdp[] = SDP_HEAD "m=audio 6000 RTP/AVP 0 8\r\n";
	struct sdp_prefs prefs = {.codecs = {MEDIA_CODEC_PCMA}, .ncodecs = 1, .dtmf_pt = 101};
	struct media_params p;
	char msg[128];

	assert_int_equal(sdp_negotiate_offer(sdp, strlen(sdp), &prefs, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.codec, MEDIA_CODEC_PCMA);
	prefs.codecs[0] = MEDIA_CODEC_G722;
	assert_int_equal(sdp_negotiate_offer(sdp, strlen(sdp), &prefs, &p, msg, sizeof(msg)),
			 ENOTSUP);
}

static void test_offer_without_audio_enotsup(void **state)
{
	static const char sdp[] = SDP_HEAD "m=video 6002 RTP/AVP 96\r\n"
					   "a=rtpmap:96 H264/90000\r\n";
	struct media_params p;
	char msg[128];

	assert_int_equal(offer(sdp, &p, msg, sizeof(msg)), ENOTSUP);
	assert_true(msg[0] != '\0');
}

static void test_offer_disabled_stream_skipped(void **state)
{
	/* A stream with port 0 is declined; the next audio stream is the one to use. */
	static const char sdp[] = SDP_HEAD "m=audio 0 RTP/AVP 0\r\n"
					   "m=audio 6004 RTP/AVP 8\r\n";
	struct media_params p;
	char msg[128];

	assert_int_equal(offer(sdp, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.codec, MEDIA_CODEC_PCMA);
	assert_int_equal(ntohs(p.remote.sin_port), 6004);
}

static void test_offer_garbage_eproto(void **state)
{
	static const char *const bad[] = {
	    "this is not SDP at all",
	    "\x01\x02\x03\xff\xfe",
	    "v=0\r\nm=audio\r\n",
	    "",
	};
	struct media_params p;
	char msg[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = offer(bad[i], &p, msg, sizeof(msg));
		if (rc != EPROTO)
			fail_msg("case %zu: rc=%d msg=\"%s\", want EPROTO", i, rc, msg);
		assert_true(msg[0] != '\0');
	}
}

/* m= lines of the right shape, with the blanks lenient parsers accept. */
static void test_offer_well_formed_media_lines_accepted(void **state)
{
	static const char *const good[] = {
	    SDP_HEAD "m=audio 6000 RTP/AVP 0 8 101  \r\n",
	    SDP_HEAD "m=audio 6000/2 RTP/AVP 0\r\n",
	    SDP_HEAD "m=image 6002 udptl t38\r\nm=audio 6000 RTP/AVP 0\r\n",
	    SDP_HEAD "  m=audio  6000  RTP/AVP  0\n",
	};
	struct media_params p;
	char msg[128];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int rc = offer(good[i], &p, msg, sizeof(msg));
		if (rc != 0)
			fail_msg("case %zu: rc=%d msg=\"%s\", want 0", i, rc, msg);
	}
}

/* Found by fuzz/sip_sdp.c: sofia-sip 1.12.11 loops for ever, allocating, on these. */
static void test_offer_bad_byte_in_media_line_eproto(void **state)
{
	static const char *const bad[] = {
	    "v=0\r\nm=audio 1 UDP \"x\"\r\n",
	    "v=0\r\nm=image 1 udptl t38 (x)",
	    "v=0\r\n  m=audio 1 X/Y \xc6\r\n",
	    SDP_HEAD "m=audio 6000 RTP/\xc6\xdf 0 8 101\r\n",
	    SDP_HEAD "m=audio 6000VTR /APP 0 101\r\n",
	    SDP_HEAD "m=audio 6000 UDP a//b\r\n",
	    SDP_HEAD "m=audio 6000 RTP/AVP 0\t8\r\n",
	};
	struct media_params p;
	char msg[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = offer(bad[i], &p, msg, sizeof(msg));
		if (rc != EPROTO)
			fail_msg("case %zu: rc=%d msg=\"%s\", want EPROTO", i, rc, msg);
	}
}

static void test_offer_ipv6_connection_eproto(void **state)
{
	static const char sdp[] = "v=0\r\n"
				  "o=- 1 1 IN IP6 2001:db8::1\r\n"
				  "s=-\r\n"
				  "c=IN IP6 2001:db8::1\r\n"
				  "t=0 0\r\n"
				  "m=audio 6000 RTP/AVP 0\r\n";
	struct media_params p;
	char msg[128];

	assert_int_equal(offer(sdp, &p, msg, sizeof(msg)), EPROTO);
	assert_non_null(strstr(msg, "IPv4"));
}

static void test_offer_media_connection_overrides_session(void **state)
{
	static const char sdp[] = SDP_HEAD "m=audio 6000 RTP/AVP 0\r\n"
					   "c=IN IP4 198.51.100.7\r\n";
	struct media_params p;
	char msg[128];

	assert_int_equal(offer(sdp, &p, msg, sizeof(msg)), 0);
	assert_remote(&p, "198.51.100.7", 6000);
}

static void test_offer_ptime_read(void **state)
{
	static const char sdp[] = SDP_HEAD "m=audio 6000 RTP/AVP 0\r\n"
					   "a=ptime:30\r\n";
	static const char odd[] = SDP_HEAD "m=audio 6000 RTP/AVP 0\r\n"
					   "a=ptime:25\r\n";
	struct media_params p;
	char msg[128];

	assert_int_equal(offer(sdp, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.ptime_ms, 30);
	assert_int_equal(offer(odd, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.ptime_ms, 20);
}

static enum media_dir dir_for(const char *attr_line)
{
	char sdp[512];
	struct media_params p;
	char msg[128];

	snprintf(sdp, sizeof(sdp), SDP_HEAD "m=audio 6000 RTP/AVP 0\r\n%s", attr_line);
	assert_int_equal(offer(sdp, &p, msg, sizeof(msg)), 0);
	return p.dir;
}

static void test_offer_sendonly_gives_our_recvonly(void **state)
{
	assert_int_equal(dir_for("a=sendonly\r\n"), MEDIA_DIR_RECVONLY);
}

static void test_offer_recvonly_gives_our_sendonly(void **state)
{
	assert_int_equal(dir_for("a=recvonly\r\n"), MEDIA_DIR_SENDONLY);
}

static void test_offer_inactive_gives_inactive(void **state)
{
	assert_int_equal(dir_for("a=inactive\r\n"), MEDIA_DIR_INACTIVE);
}

static void test_offer_session_level_direction(void **state)
{
	static const char sdp[] = SDP_HEAD "a=sendonly\r\n"
					   "m=audio 6000 RTP/AVP 0\r\n";
	struct media_params p;
	char msg[128];

	assert_int_equal(offer(sdp, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.dir, MEDIA_DIR_RECVONLY);
}

static void test_offer_zero_address_is_inactive(void **state)
{
	static const char sdp[] = "v=0\r\n"
				  "o=- 1 2 IN IP4 192.0.2.10\r\n"
				  "s=-\r\n"
				  "c=IN IP4 0.0.0.0\r\n"
				  "t=0 0\r\n"
				  "m=audio 6000 RTP/AVP 0\r\n";
	struct media_params p;
	char msg[128];

	assert_int_equal(offer(sdp, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.dir, MEDIA_DIR_INACTIVE);
}

static void test_write_offer_parsed_back(void **state)
{
	struct sdp_prefs prefs;
	struct in_addr addr;
	struct media_params p;
	char buf[1024], msg[128];
	size_t n;

	sdp_prefs_default(&prefs);
	inet_pton(AF_INET, "127.0.0.1", &addr);
	n = sdp_write(buf, sizeof(buf), 42, 1, &addr, 30002, &prefs, NULL, MEDIA_CODEC_PCMA,
		      MEDIA_DIR_SENDRECV);
	assert_true(n > 0);
	assert_int_equal(n, strlen(buf));
	assert_non_null(strstr(buf, "m=audio 30002 RTP/AVP 8 0 9 111 101 110\r\n"));
	assert_non_null(strstr(buf, "a=rtpmap:101 telephone-event/8000\r\n"));
	assert_non_null(strstr(buf, "a=sendrecv\r\n"));
	/* The callee reading it picks our first codec. */
	assert_int_equal(sdp_negotiate_offer(buf, n, &prefs, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.codec, MEDIA_CODEC_PCMA);
	assert_int_equal(p.dtmf_pt, 101);
	assert_int_equal(p.dir, MEDIA_DIR_SENDRECV);
	assert_remote(&p, "127.0.0.1", 30002);
}

static void test_write_offer_default_order(void **state)
{
	struct sdp_prefs prefs;
	struct in_addr addr;
	char buf[1024];

	sdp_prefs_default(&prefs);
	inet_pton(AF_INET, "127.0.0.1", &addr);
	assert_true(sdp_write(buf, sizeof(buf), 1, 1, &addr, 30000, &prefs, NULL, MEDIA_CODEC_NONE,
			      MEDIA_DIR_SENDRECV) > 0);
	assert_non_null(strstr(buf, "m=audio 30000 RTP/AVP 0 8 9 111 101 110\r\n"));
}

static void test_write_answer_parsed_back(void **state)
{
	static const char sdp_in[] = SDP_HEAD "m=audio 7078 RTP/AVP 9 0 101\r\n"
					      "a=rtpmap:9 G722/8000\r\n"
					      "a=rtpmap:101 telephone-event/8000\r\n"
					      "a=sendonly\r\n";
	struct sdp_prefs prefs;
	struct in_addr addr;
	struct media_params in, back;
	char buf[1024], msg[128];
	size_t n;

	sdp_prefs_default(&prefs);
	assert_int_equal(offer(sdp_in, &in, msg, sizeof(msg)), 0);
	assert_int_equal(in.dir, MEDIA_DIR_RECVONLY);
	inet_pton(AF_INET, "127.0.0.1", &addr);
	n = sdp_write(buf, sizeof(buf), 7, 3, &addr, 30010, &prefs, &in, MEDIA_CODEC_NONE, in.dir);
	assert_true(n > 0);
	/* The answer names only the chosen codec and telephone-event, and says recvonly. */
	assert_non_null(strstr(buf, "m=audio 30010 RTP/AVP 9 101\r\n"));
	assert_non_null(strstr(buf, "a=recvonly\r\n"));
	assert_null(strstr(buf, "PCMU"));
	assert_int_equal(sdp_negotiate_answer(buf, n, &prefs, &back, msg, sizeof(msg)), 0);
	assert_int_equal(back.codec, MEDIA_CODEC_G722);
	assert_int_equal(back.pt, 9);
	assert_int_equal(back.dtmf_pt, 101);
	assert_int_equal(back.dir, MEDIA_DIR_SENDONLY); /* its recvonly, seen from the offerer */
	assert_remote(&back, "127.0.0.1", 30010);
}

static void test_write_answer_without_dtmf(void **state)
{
	struct sdp_prefs prefs;
	struct in_addr addr;
	struct media_params only = {.codec = MEDIA_CODEC_PCMU, .pt = 0, .dtmf_pt = 0};
	char buf[1024];

	sdp_prefs_default(&prefs);
	inet_pton(AF_INET, "127.0.0.1", &addr);
	assert_true(sdp_write(buf, sizeof(buf), 7, 3, &addr, 30010, &prefs, &only, MEDIA_CODEC_NONE,
			      MEDIA_DIR_INACTIVE) > 0);
	assert_non_null(strstr(buf, "m=audio 30010 RTP/AVP 0\r\n"));
	assert_null(strstr(buf, "telephone-event"));
	assert_non_null(strstr(buf, "a=inactive\r\n"));
}

static void test_write_too_small_buffer_returns_zero(void **state)
{
	struct sdp_prefs prefs;
	struct in_addr addr;
	char buf[64];

	sdp_prefs_default(&prefs);
	inet_pton(AF_INET, "127.0.0.1", &addr);
	assert_int_equal(sdp_write(buf, sizeof(buf), 1, 1, &addr, 30000, &prefs, NULL,
				   MEDIA_CODEC_NONE, MEDIA_DIR_SENDRECV),
			 0);
}

static void test_codec_names(void **state)
{
	assert_string_equal(sdp_codec_name(MEDIA_CODEC_PCMU), "PCMU");
	assert_string_equal(sdp_codec_name(MEDIA_CODEC_PCMA), "PCMA");
	assert_string_equal(sdp_codec_name(MEDIA_CODEC_G722), "G722");
	assert_string_equal(sdp_codec_name(MEDIA_CODEC_NONE), "none");
}

static void test_offer_opus_first_taken(void **state)
{
	/* baresip's usual offer: opus first under a dynamic type of its own, with events
	 * at 8000 only: Opus is taken, the events are not (they would run on another
	 * clock than the audio). */
	static const char sdp[] = SDP_HEAD "m=audio 10000 RTP/AVP 96 97 3 0 101\r\n"
					   "a=rtpmap:96 opus/48000/2\r\n"
					   "a=fmtp:96 stereo=1;sprop-stereo=1\r\n"
					   "a=rtpmap:97 speex/16000\r\n"
					   "a=rtpmap:3 GSM/8000\r\n"
					   "a=rtpmap:0 PCMU/8000\r\n"
					   "a=rtpmap:101 telephone-event/8000\r\n";
	struct media_params p;
	char msg[128];

	assert_int_equal(offer(sdp, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.codec, MEDIA_CODEC_OPUS);
	assert_int_equal(p.pt, 96);
	assert_int_equal(p.dtmf_pt, 0);
}

static void test_offer_opus_events_at_48k(void **state)
{
	/* Chromium's offer: opus 111, telephone-event at 48000 (110) and 8000 (126). */
	static const char sdp[] = SDP_HEAD "m=audio 9 RTP/AVP 111 63 9 0 8 13 110 126\r\n"
					   "a=rtpmap:111 opus/48000/2\r\n"
					   "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
					   "a=rtpmap:63 red/48000/2\r\n"
					   "a=rtpmap:9 G722/8000\r\n"
					   "a=rtpmap:0 PCMU/8000\r\n"
					   "a=rtpmap:8 PCMA/8000\r\n"
					   "a=rtpmap:13 CN/8000\r\n"
					   "a=rtpmap:126 telephone-event/8000\r\n"
					   "a=rtpmap:110 telephone-event/48000\r\n";
	struct media_params p;
	char msg[128];

	assert_int_equal(offer(sdp, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.codec, MEDIA_CODEC_OPUS);
	assert_int_equal(p.pt, 111);
	assert_int_equal(p.dtmf_pt, 110);
}

static void test_offer_opus_wrong_clock_refused(void **state)
{
	/* opus at any clock but 48000 is not RFC 7587's; PCMU further down is taken. */
	static const char sdp[] = SDP_HEAD "m=audio 10000 RTP/AVP 96 0\r\n"
					   "a=rtpmap:96 opus/8000\r\n"
					   "a=rtpmap:0 PCMU/8000\r\n";
	struct media_params p;
	char msg[128];

	assert_int_equal(offer(sdp, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.codec, MEDIA_CODEC_PCMU);
}

static void test_offer_opus_not_in_prefs(void **state)
{
	static const char sdp[] = SDP_HEAD "m=audio 10000 RTP/AVP 96 8\r\n"
					   "a=rtpmap:96 opus/48000/2\r\n";
	struct sdp_prefs prefs;
	struct media_params p;
	char msg[128];

	memset(&prefs, 0, sizeof(prefs));
	prefs.codecs[prefs.ncodecs++] = MEDIA_CODEC_PCMA;
	assert_int_equal(sdp_negotiate_offer(sdp, strlen(sdp), &prefs, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.codec, MEDIA_CODEC_PCMA);
}

static void test_write_opus_answer_parsed_back(void **state)
{
	static const char sdp_in[] = SDP_HEAD "m=audio 7078 RTP/AVP 109 0 110\r\n"
					      "a=rtpmap:109 opus/48000/2\r\n"
					      "a=rtpmap:110 telephone-event/48000\r\n";
	struct sdp_prefs prefs;
	struct in_addr addr;
	struct media_params in, back;
	char buf[1024], msg[128];
	size_t n;

	sdp_prefs_default(&prefs);
	assert_int_equal(offer(sdp_in, &in, msg, sizeof(msg)), 0);
	assert_int_equal(in.codec, MEDIA_CODEC_OPUS);
	assert_int_equal(in.dtmf_pt, 110);
	inet_pton(AF_INET, "127.0.0.1", &addr);
	n = sdp_write(buf, sizeof(buf), 7, 3, &addr, 30010, &prefs, &in, MEDIA_CODEC_NONE, in.dir);
	assert_true(n > 0);
	/* The offer's types, RFC 7587's rtpmap, our fmtp, events at 48000. */
	assert_non_null(strstr(buf, "m=audio 30010 RTP/AVP 109 110\r\n"));
	assert_non_null(strstr(buf, "a=rtpmap:109 opus/48000/2\r\n"));
	assert_non_null(strstr(buf, "a=fmtp:109 minptime=10;useinbandfec=1\r\n"));
	assert_non_null(strstr(buf, "a=rtpmap:110 telephone-event/48000\r\n"));
	assert_null(strstr(buf, "telephone-event/8000"));
	assert_int_equal(sdp_negotiate_answer(buf, n, &prefs, &back, msg, sizeof(msg)), 0);
	assert_int_equal(back.codec, MEDIA_CODEC_OPUS);
	assert_int_equal(back.pt, 109);
	assert_int_equal(back.dtmf_pt, 110);
}

static void test_write_offer_opus_first(void **state)
{
	/* The other leg speaks Opus: our offer puts it first, with events at both clocks;
	 * an answerer that takes it gets the events at 48000. */
	struct sdp_prefs prefs;
	struct in_addr addr;
	struct media_params p;
	char buf[1024], msg[128];
	size_t n;

	sdp_prefs_default(&prefs);
	inet_pton(AF_INET, "127.0.0.1", &addr);
	n = sdp_write(buf, sizeof(buf), 1, 1, &addr, 30000, &prefs, NULL, MEDIA_CODEC_OPUS,
		      MEDIA_DIR_SENDRECV);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "m=audio 30000 RTP/AVP 111 0 8 9 101 110\r\n"));
	assert_non_null(strstr(buf, "a=rtpmap:111 opus/48000/2\r\n"));
	assert_non_null(strstr(buf, "a=fmtp:111 minptime=10;useinbandfec=1\r\n"));
	assert_non_null(strstr(buf, "a=rtpmap:110 telephone-event/48000\r\n"));
	assert_int_equal(sdp_negotiate_offer(buf, n, &prefs, &p, msg, sizeof(msg)), 0);
	assert_int_equal(p.codec, MEDIA_CODEC_OPUS);
	assert_int_equal(p.pt, 111);
	assert_int_equal(p.dtmf_pt, 110);
	assert_string_equal(sdp_codec_name(MEDIA_CODEC_OPUS), "opus");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_offer_pcmu_pcma_dtmf_picks_pcmu),
	    cmocka_unit_test(test_offer_order_is_the_offerers),
	    cmocka_unit_test(test_offer_g722_first_picks_g722),
	    cmocka_unit_test(test_offer_static_types_without_rtpmap),
	    cmocka_unit_test(test_offer_unsupported_codecs_skipped),
	    cmocka_unit_test(test_offer_opus_first_taken),
	    cmocka_unit_test(test_offer_opus_events_at_48k),
	    cmocka_unit_test(test_offer_opus_wrong_clock_refused),
	    cmocka_unit_test(test_offer_opus_not_in_prefs),
	    cmocka_unit_test(test_write_opus_answer_parsed_back),
	    cmocka_unit_test(test_write_offer_opus_first),
	    cmocka_unit_test(test_offer_dynamic_telephone_event_type),
	    cmocka_unit_test(test_offer_wideband_telephone_event_ignored),
	    cmocka_unit_test(test_offer_no_common_codec_enotsup),
	    cmocka_unit_test(test_offer_prefs_limit_codecs),
	    cmocka_unit_test(test_offer_without_audio_enotsup),
	    cmocka_unit_test(test_offer_disabled_stream_skipped),
	    cmocka_unit_test(test_offer_garbage_eproto),
	    cmocka_unit_test(test_offer_well_formed_media_lines_accepted),
	    cmocka_unit_test(test_offer_bad_byte_in_media_line_eproto),
	    cmocka_unit_test(test_offer_ipv6_connection_eproto),
	    cmocka_unit_test(test_offer_media_connection_overrides_session),
	    cmocka_unit_test(test_offer_ptime_read),
	    cmocka_unit_test(test_offer_sendonly_gives_our_recvonly),
	    cmocka_unit_test(test_offer_recvonly_gives_our_sendonly),
	    cmocka_unit_test(test_offer_inactive_gives_inactive),
	    cmocka_unit_test(test_offer_session_level_direction),
	    cmocka_unit_test(test_offer_zero_address_is_inactive),
	    cmocka_unit_test(test_write_offer_parsed_back),
	    cmocka_unit_test(test_write_offer_default_order),
	    cmocka_unit_test(test_write_answer_parsed_back),
	    cmocka_unit_test(test_write_answer_without_dtmf),
	    cmocka_unit_test(test_write_too_small_buffer_returns_zero),
	    cmocka_unit_test(test_codec_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
