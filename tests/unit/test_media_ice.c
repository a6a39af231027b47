/*
 * Loopback tests of the ICE-lite responder of WebRTC sessions (src/media/ice.c) on the
 * packet path the run picks (ctest runs each media test on io_uring and on epoll): a
 * test client sends STUN Binding requests as a browser does and checks the answers
 * (success with its address, MESSAGE-INTEGRITY and FINGERPRINT; 401, 487 and 420
 * errors; silence for what must not be answered); media flows only after a checked
 * request with USE-CANDIDATE and only with that address (plain RTP never latches);
 * RTCP shares the RTP port (rtcp-mux); consent expires and media stops. With DTLS-SRTP
 * (src/media/dtls.c), the session says hello once a peer is nominated, completes the
 * handshake with a peer built on the same module, and media flows encrypted with the
 * exported keys only then.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/dtls.h"
#include "media/stun.h"
#include "test_media_util.h"

#define PORTS_MIN 44600
#define PORTS_MAX 44799

#define L_UFRAG "srvU"
#define L_PWD	"serverpasswordserverpw12"
#define R_UFRAG "brws"

static const struct media_ice CREDS = {.ufrag = L_UFRAG, .pwd = L_PWD, .remote_ufrag = R_UFRAG};

/* What the browser side got on its RTP socket. */
struct seen {
	unsigned stun, rtp, rtcp;
	uint8_t last_stun[256];
	size_t last_stun_len;
};

enum req_flags {
	REQ_NOMINATE = 1,
	REQ_BAD_PWD = 2,
	REQ_BAD_USER = 4,
	REQ_NO_FP = 8,
	REQ_CONTROLLED = 16,
	REQ_UNKNOWN = 32,
};

/* Sends a Binding request from `p` to `port` and returns its transaction id's first
 * byte (the id is that byte repeated). */
static void send_check(struct tpeer *p, uint16_t port, uint8_t id, unsigned flags)
{
	uint8_t buf[256], txid[12];
	struct media__stun_w w;
	struct media__stun_key k;
	const char *user = flags & REQ_BAD_USER ? L_UFRAG ":xxxx" : L_UFRAG ":" R_UFRAG;
	const char *pwd = flags & REQ_BAD_PWD ? "not-the-password-of-it" : L_PWD;
	size_t len;

	memset(txid, id, sizeof(txid));
	media__stun_key_init(&k, pwd, strlen(pwd));
	media__stun_begin(&w, buf, sizeof(buf), MEDIA__STUN_BINDING_REQUEST, txid);
	media__stun_put(&w, MEDIA__STUN_A_USERNAME, user, strlen(user));
	media__stun_put_u32(&w, MEDIA__STUN_A_PRIORITY, 1853817087u);
	if (flags & REQ_UNKNOWN)
		media__stun_put_u32(&w, 0x0031, 1);
	if (flags & REQ_NOMINATE)
		media__stun_put(&w, MEDIA__STUN_A_USE_CANDIDATE, NULL, 0);
	media__stun_put_u64(&w,
			    flags & REQ_CONTROLLED ? MEDIA__STUN_A_ICE_CONTROLLED
						   : MEDIA__STUN_A_ICE_CONTROLLING,
			    0x1122334455667788ull);
	media__stun_put_integrity(&w, &k);
	if (!(flags & REQ_NO_FP))
		media__stun_put_fingerprint(&w);
	assert_int_equal(media__stun_finish(&w, &len), 0);
	tp_send_raw(p, port, buf, len);
}

static void drain(struct tpeer *p, struct seen *s)
{
	uint8_t buf[1600];
	ssize_t n;

	while ((n = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		if (buf[0] < 4) {
			s->stun++;
			s->last_stun_len = (size_t)n < sizeof(s->last_stun) ? (size_t)n : 0;
			memcpy(s->last_stun, buf, s->last_stun_len);
		} else if (media__is_rtcp(buf, (size_t)n)) {
			s->rtcp++;
		} else {
			s->rtp++;
		}
	}
}

/* Waits up to `ms` for a STUN answer on `p`. */
static bool wait_stun(struct tpeer *p, struct seen *s, unsigned ms)
{
	unsigned before = s->stun;

	for (unsigned i = 0; i < ms / 5; i++) {
		drain(p, s);
		if (s->stun > before)
			return true;
		tp_sleep_ms(5);
	}
	return false;
}

static struct media_session *webrtc_session(struct tmedia *t, uint64_t owner)
{
	struct media_session *s;
	struct media_params p = tm_params(NULL, MEDIA_CODEC_PCMU, 0);

	assert_int_equal(media_session_alloc(t->m, owner, NULL, &s), 0);
	assert_int_equal(media_session_ice(s, &CREDS), 0);
	assert_int_equal(media_session_set(s, &p), 0);
	return s;
}

static void test_ice_check_answered(void **state)
{
	struct tmedia t;
	struct tpeer pa;
	struct seen seen = {0};
	struct media_session *a;
	struct media__stun_msg m;
	struct media__stun_key k;
	struct media_stats st;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&pa, MEDIA_CODEC_PCMU, 440);
	a = webrtc_session(&t, 1);
	tp_sleep_ms(20);
	send_check(&pa, media_session_port(a), 0x41, 0);
	assert_true(wait_stun(&pa, &seen, 1000));
	assert_int_equal(media__stun_parse(seen.last_stun, seen.last_stun_len, &m), 0);
	assert_int_equal(m.type, MEDIA__STUN_BINDING_SUCCESS);
	assert_int_equal(m.txid[0], 0x41);
	assert_int_equal(m.txid[11], 0x41);
	assert_true(m.has_xaddr);
	assert_int_equal(ntohl(m.xaddr.sin_addr.s_addr), INADDR_LOOPBACK);
	assert_int_equal(ntohs(m.xaddr.sin_port), pa.port);
	media__stun_key_init(&k, L_PWD, strlen(L_PWD));
	assert_true(media__stun_check_integrity(seen.last_stun, &m, &k));
	assert_true(media__stun_check_fingerprint(seen.last_stun, &m));
	/* A check without USE-CANDIDATE nominates nothing: no media, no event. */
	assert_false(tm_wait(&t, MEDIA_EV_ICE_CONNECTED, 100, NULL));
	media_stats_get(t.m, &st);
	assert_int_equal(st.ice_checks, 1);
	assert_int_equal(st.ice_refused, 0);

	media_session_free(a);
	tm_stop(&t);
	tp_close(&pa);
}

static void expect_error(struct tpeer *p, struct seen *seen, uint16_t port, uint8_t id,
			 unsigned flags, uint16_t code, bool signed_)
{
	struct media__stun_msg m;
	struct media__stun_key k;

	send_check(p, port, id, flags);
	assert_true(wait_stun(p, seen, 1000));
	assert_int_equal(media__stun_parse(seen->last_stun, seen->last_stun_len, &m), 0);
	assert_int_equal(m.type, MEDIA__STUN_BINDING_ERROR);
	assert_int_equal(m.txid[0], id);
	assert_int_equal(m.error_code, code);
	assert_true(media__stun_check_fingerprint(seen->last_stun, &m));
	media__stun_key_init(&k, L_PWD, strlen(L_PWD));
	assert_true(media__stun_check_integrity(seen->last_stun, &m, &k) == signed_);
}

static void test_ice_bad_checks_refused(void **state)
{
	struct tmedia t;
	struct tpeer pa;
	struct seen seen = {0};
	struct media_session *a;
	struct media_stats st;
	uint16_t port;
	uint8_t junk[40];

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&pa, MEDIA_CODEC_PCMU, 440);
	a = webrtc_session(&t, 1);
	port = media_session_port(a);
	tp_sleep_ms(20);
	expect_error(&pa, &seen, port, 1, REQ_NOMINATE | REQ_BAD_PWD, 401, false);
	expect_error(&pa, &seen, port, 2, REQ_NOMINATE | REQ_BAD_USER, 401, false);
	expect_error(&pa, &seen, port, 3, REQ_NOMINATE | REQ_CONTROLLED, 487, true);
	expect_error(&pa, &seen, port, 4, REQ_NOMINATE | REQ_UNKNOWN, 420, true);
	/* No FINGERPRINT, or not STUN at all (first byte 0, bad cookie): no answer. */
	send_check(&pa, port, 5, REQ_NOMINATE | REQ_NO_FP);
	memset(junk, 0, sizeof(junk));
	junk[3] = 20;
	tp_send_raw(&pa, port, junk, sizeof(junk));
	assert_false(wait_stun(&pa, &seen, 200));
	/* None of them nominated anything. */
	assert_false(tm_wait(&t, MEDIA_EV_ICE_CONNECTED, 50, NULL));
	media_stats_get(t.m, &st);
	assert_int_equal(st.ice_checks, 0);
	/* Four answered with an error; the two without an answer counted apart. */
	assert_int_equal(st.ice_refused, 4);
	assert_int_equal(st.ice_malformed, 2);

	media_session_free(a);
	tm_stop(&t);
	tp_close(&pa);
}

/* Runs `ticks` of 20 ms: `pa` (when `a_sends`) and `pb` send their tones, `intruder`
 * (when given) sends RTP to a's port too; everyone drains. */
static void run(struct tpeer *pa, struct seen *sa, struct tpeer *pb, struct tpeer *intruder,
		int ticks, bool a_sends)
{
	for (int i = 0; i < ticks; i++) {
		if (a_sends)
			tp_send_audio(pa);
		tp_send_audio(pb);
		if (intruder)
			tp_send_audio(intruder);
		tp_sleep_ms(20);
		drain(pa, sa);
		tp_drain(pb);
		if (intruder)
			tp_drain(intruder);
	}
}

static void test_ice_media_only_after_nomination(void **state)
{
	struct tmedia t;
	struct tpeer pa, pb, other;
	struct seen seen = {0};
	struct media_session *a, *b;
	struct media_stats st;
	int16_t pcm[16000];
	size_t n;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	t.m->rtcp_ms = 300;
	tp_open(&pa, MEDIA_CODEC_PCMU, 440);
	tp_open(&pb, MEDIA_CODEC_PCMU, 1000);
	tp_open(&other, MEDIA_CODEC_PCMU, 2000);
	a = webrtc_session(&t, 1);
	b = tm_session(&t, 2, a, &pb, MEDIA_CODEC_PCMU, 0);
	assert_int_equal(media_bridge(a, b, NULL), 0);
	pa.to_port = other.to_port = media_session_port(a);
	tp_sleep_ms(30);

	/* Before any check: a's peer's RTP goes nowhere and a sends nothing, RTCP neither. */
	run(&pa, &seen, &pb, NULL, 25, true);
	assert_int_equal(pb.npkts, 0);
	assert_int_equal(seen.rtp + seen.rtcp, 0);

	/* A plain check, then one with USE-CANDIDATE: media flows with that address. */
	send_check(&pa, pa.to_port, 7, 0);
	assert_true(wait_stun(&pa, &seen, 1000));
	assert_false(tm_wait(&t, MEDIA_EV_ICE_CONNECTED, 50, NULL));
	send_check(&pa, pa.to_port, 8, REQ_NOMINATE);
	assert_true(wait_stun(&pa, &seen, 1000));
	assert_true(tm_wait(&t, MEDIA_EV_ICE_CONNECTED, 1000, NULL));
	tp_reset(&pb);
	run(&pa, &seen, &pb, &other, 40, true);
	/* b's peer heard a's peer (440 Hz), never the intruder (2000 Hz). */
	assert_in_range(pb.npkts, 34, 41);
	n = tp_decode(&pb, 0, MEDIA_CODEC_PCMU, pcm, 16000);
	assert_true(tp_goertzel(pcm, n, 1, 440, 8000) > 100 * tp_goertzel(pcm, n, 1, 2000, 8000));
	/* a's peer got b's audio, and RTCP on the same port (rtcp-mux). */
	assert_in_range(seen.rtp, 34, 41);
	assert_true(seen.rtcp >= 1);
	tp_drain(&pa);
	assert_int_equal(pa.rtcp_packets, 0);
	media_stats_get(t.m, &st);
	assert_true(st.ice_dropped >= 25 + 35); /* before nomination, and the intruder's */
	assert_int_equal(st.ice_checks, 2);

	media_session_free(a);
	media_session_free(b);
	tm_stop(&t);
	tp_close(&pa);
	tp_close(&pb);
	tp_close(&other);
}

static void test_ice_consent_expires(void **state)
{
	struct tmedia t;
	struct tpeer pa, pb;
	struct seen seen = {0};
	struct media_session *a, *b;
	struct media_event ev;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	t.m->consent_ms = 600;
	tp_open(&pa, MEDIA_CODEC_PCMU, 440);
	tp_open(&pb, MEDIA_CODEC_PCMU, 1000);
	a = webrtc_session(&t, 5);
	b = tm_session(&t, 6, a, &pb, MEDIA_CODEC_PCMU, 0);
	assert_int_equal(media_bridge(a, b, NULL), 0);
	pa.to_port = media_session_port(a);
	tp_sleep_ms(30);
	send_check(&pa, pa.to_port, 9, REQ_NOMINATE);
	assert_true(wait_stun(&pa, &seen, 1000));
	assert_true(tm_wait(&t, MEDIA_EV_ICE_CONNECTED, 1000, NULL));

	/* Consent checks every 200 ms keep it alive for twice its lifetime. */
	for (int i = 0; i < 6; i++) {
		run(&pa, &seen, &pb, NULL, 10, true);
		send_check(&pa, pa.to_port, (uint8_t)(10 + i), 0);
	}
	assert_false(tm_wait(&t, MEDIA_EV_ICE_CONSENT_LOST, 10, NULL));
	assert_true(seen.rtp > 40);
	/* Then none: consent is lost, the engine hears of it, media stops both ways. */
	run(&pa, &seen, &pb, NULL, 45, true);
	assert_true(tm_wait(&t, MEDIA_EV_ICE_CONSENT_LOST, 1000, &ev));
	assert_int_equal(ev.owner, 5);
	tp_reset(&pb);
	seen.rtp = 0;
	run(&pa, &seen, &pb, NULL, 20, true);
	assert_int_equal(pb.npkts, 0);
	assert_int_equal(seen.rtp, 0);

	media_session_free(a);
	media_session_free(b);
	tm_stop(&t);
	tp_close(&pa);
	tp_close(&pb);
}

static void test_ice_credentials_checked(void **state)
{
	struct tmedia t;
	struct media_session *a;
	struct media_ice c = CREDS;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	assert_int_equal(media_session_alloc(t.m, 1, NULL, &a), 0);
	c.pwd = "short";
	assert_int_equal(media_session_ice(a, &c), EINVAL);
	c = CREDS;
	c.ufrag = "ab:c";
	assert_int_equal(media_session_ice(a, &c), EINVAL);
	c = CREDS;
	c.remote_ufrag = "abc";
	assert_int_equal(media_session_ice(a, &c), EINVAL);
	assert_int_equal(media_session_ice(a, &CREDS), 0);
	assert_int_equal(media_session_ice(a, NULL), 0);
	media_session_free(a);
	tm_stop(&t);
}

/* The browser side of DTLS-SRTP: its own endpoint and, for SRTP, contexts of srtp.c on a
 * worker and session of its own (never run: only their SRTP state is used). */
struct dpeer {
	struct media__dtls_cert *cert;
	struct media__dtls *d;
	struct media__worker *w;
	struct media_session *s;
	unsigned ok, bad;
	int16_t heard[8000];
	size_t nheard;
};

static void dpeer_drain(struct tpeer *p, struct dpeer *dp, uint16_t port)
{
	uint8_t buf[1600];
	ssize_t n;
	size_t len;

	while ((n = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		struct media__rtp h;

		len = (size_t)n;
		if (buf[0] >= 20 && buf[0] <= 63) {
			media__dtls_input(dp->d, buf, len);
		} else if (buf[0] >= 128 && !media__is_rtcp(buf, len)) {
			if (!media__srtp_unprotect(dp->w, dp->s, buf, &len, false) ||
			    media__rtp_parse(buf, len, &h)) {
				dp->bad++;
				continue;
			}
			dp->ok++;
			if (dp->nheard + h.payload_len <= 8000)
				dp->nheard += media__decode(MEDIA_CODEC_PCMU, NULL, buf + h.hdr_len,
							    h.payload_len, dp->heard + dp->nheard);
		}
	}
	while ((len = media__dtls_output(dp->d, buf, sizeof(buf))) > 0)
		tp_send_raw(p, port, buf, len);
}

/* One 20 ms SRTP packet of the peer's tone; `mangle`: 0 as it is, 1 with one bit of its
 * authentication tag flipped, 2 sent twice (a replay). */
static void dpeer_send_audio_as(struct tpeer *p, struct dpeer *dp, int mangle)
{
	uint8_t buf[12 + 160 + MEDIA__SRTP_ROOM], payload[160];
	int16_t pcm[160];
	size_t len = 12 + 160;

	for (int i = 0; i < 160; i++) {
		pcm[i] = (int16_t)(8000 * sin(p->phase));
		p->phase += 2 * M_PI * p->freq / 8000;
	}
	p->phase = fmod(p->phase, 2 * M_PI);
	media__encode(MEDIA_CODEC_PCMU, NULL, pcm, 160, payload);
	media__rtp_write(buf, 0, false, p->seq++, p->ts, p->ssrc);
	p->ts += 160;
	memcpy(buf + 12, payload, 160);
	assert_true(media__srtp_protect(dp->w, dp->s, buf, &len, sizeof(buf), false));
	if (mangle == 1)
		buf[len - 1] ^= 0x01;
	tp_send_raw(p, p->to_port, buf, len);
	if (mangle == 2)
		tp_send_raw(p, p->to_port, buf, len);
}

static void dpeer_send_audio(struct tpeer *p, struct dpeer *dp)
{
	dpeer_send_audio_as(p, dp, 0);
}

static void test_webrtc_dtls_srtp_media(void **state)
{
	struct tmedia t;
	struct tpeer pa, pb;
	struct dpeer dp = {0};
	struct media_session *a, *b;
	struct media_srtp keys;
	int16_t pcm[16000];
	size_t n;
	bool connected = false;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&pa, MEDIA_CODEC_PCMU, 440);
	tp_open(&pb, MEDIA_CODEC_PCMU, 1000);
	dp.w = calloc(1, sizeof(*dp.w));
	dp.s = calloc(1, sizeof(*dp.s));
	assert_int_equal(media__dtls_cert_new(&dp.cert), 0);
	/* We answered the browser's actpass: we are the client, it the server. */
	assert_int_equal(
	    media__dtls_new(dp.cert, MEDIA__DTLS_PASSIVE, media_dtls_fingerprint(t.m), &dp.d), 0);
	a = webrtc_session(&t, 1);
	assert_int_equal(media_session_dtls(a, MEDIA_DTLS_CLIENT, "sha-1 00"), EINVAL);
	assert_int_equal(
	    media_session_dtls(a, MEDIA_DTLS_CLIENT, media__dtls_cert_fingerprint(dp.cert)), 0);
	b = tm_session(&t, 2, a, &pb, MEDIA_CODEC_PCMU, 0);
	assert_int_equal(media_bridge(a, b, NULL), 0);
	pa.to_port = media_session_port(a);
	tp_sleep_ms(30);

	/* Nominated, but no keys yet: the peer's media still goes nowhere. */
	send_check(&pa, pa.to_port, 1, REQ_NOMINATE);
	assert_true(tm_wait(&t, MEDIA_EV_ICE_CONNECTED, 1000, NULL));
	for (int i = 0; i < 5; i++)
		tp_send_audio(&pa);
	tp_sleep_ms(100);
	tp_drain(&pb);
	assert_int_equal(pb.npkts, 0);
	for (int i = 0; i < 300 && !connected; i++) {
		tp_sleep_ms(10);
		dpeer_drain(&pa, &dp, pa.to_port);
		connected = media__dtls_state(dp.d) == MEDIA__DTLS_CONNECTED &&
			    tm_wait(&t, MEDIA_EV_DTLS_CONNECTED, 0, NULL);
	}
	assert_true(connected);
	assert_int_equal(media__dtls_keys(dp.d, &keys), 0);
	media__srtp_configure(dp.w, dp.s, &keys);
	assert_non_null(dp.s->srtp_tx);

	/* Encrypted media both ways with the exported keys. */
	for (int i = 0; i < 40; i++) {
		dpeer_send_audio(&pa, &dp);
		tp_send_audio(&pb);
		tp_sleep_ms(20);
		dpeer_drain(&pa, &dp, pa.to_port);
		tp_drain(&pb);
	}
	assert_in_range(pb.npkts, 34, 41);
	n = tp_decode(&pb, 0, MEDIA_CODEC_PCMU, pcm, 16000);
	assert_true(tp_goertzel(pcm, n, 1, 440, 8000) > 100 * tp_goertzel(pcm, n, 1, 1000, 8000));
	assert_in_range(dp.ok, 34, 41);
	assert_int_equal(dp.bad, 0);
	assert_true(tp_goertzel(dp.heard, dp.nheard, 1, 1000, 8000) >
		    100 * tp_goertzel(dp.heard, dp.nheard, 1, 440, 8000));

	/* Bad input from the nominated peer: each kind counted apart and dropped, and the
	 * call goes on. A DTLS record whose length runs past the datagram, one of an
	 * unknown version; STUN that is no message (a bad cookie); SRTP with a flipped bit
	 * in its tag (five), a replayed packet (two). */
	static const uint8_t dtls_long[] = {22, 254, 253, 0, 1, 0, 0, 0, 0, 0, 9, 0, 200, 1, 2};
	static const uint8_t dtls_ver[] = {23, 3, 3, 0, 1, 0, 0, 0, 0, 0, 9, 0, 1, 7};
	uint8_t stun_bad[20] = {0, 1, 0, 0, 0xde, 0xad, 0xbe, 0xef};
	struct media_stats st0, st;
	char text[4096];

	media_stats_get(t.m, &st0);
	tp_send_raw(&pa, pa.to_port, dtls_long, sizeof(dtls_long));
	tp_send_raw(&pa, pa.to_port, dtls_ver, sizeof(dtls_ver));
	tp_send_raw(&pa, pa.to_port, stun_bad, sizeof(stun_bad));
	for (int i = 0; i < 5; i++)
		dpeer_send_audio_as(&pa, &dp, 1);
	dpeer_send_audio_as(&pa, &dp, 2);
	dpeer_send_audio_as(&pa, &dp, 2);
	tp_sleep_ms(100);
	media_stats_get(t.m, &st);
	assert_int_equal(st.dtls_malformed - st0.dtls_malformed, 2);
	assert_int_equal(st.ice_malformed - st0.ice_malformed, 1);
	assert_int_equal(st.srtp_auth_failed - st0.srtp_auth_failed, 5);
	assert_int_equal(st.srtp_replayed - st0.srtp_replayed, 2);
	assert_true(st.srtp_failed - st0.srtp_failed >= 7);
	assert_int_equal(st.dtls_connected, 1);
	assert_int_equal(st.dtls_failed, 0);
	assert_true(media_stats_prometheus(&st, text, sizeof(text)) > 0);
	assert_non_null(strstr(text, "centrala_dtls_malformed_total 2\n"));
	assert_non_null(strstr(text, "centrala_dtls_handshakes_total{result=\"connected\"} 1\n"));
	assert_non_null(strstr(text, "centrala_srtp_refused_total{reason=\"auth\"} 5\n"));
	assert_non_null(strstr(text, "centrala_srtp_refused_total{reason=\"replay\"} 2\n"));
	assert_non_null(strstr(text, "centrala_ice_malformed_total 1\n"));
	assert_int_equal(media_stats_prometheus(&st, text, 100), 0);
	assert_false(tm_wait(&t, MEDIA_EV_DTLS_FAILED, 0, NULL));
	/* Media still flows both ways (the replays' first copies were relayed). */
	tp_drain(&pb);
	tp_reset(&pb);
	dp.ok = 0;
	for (int i = 0; i < 20; i++) {
		dpeer_send_audio(&pa, &dp);
		tp_send_audio(&pb);
		tp_sleep_ms(20);
		dpeer_drain(&pa, &dp, pa.to_port);
		tp_drain(&pb);
	}
	assert_in_range(pb.npkts, 15, 21);
	assert_in_range(dp.ok, 15, 21);

	media_session_free(a);
	media_session_free(b);
	tm_stop(&t);
	media__srtp_free(dp.s);
	media__dtls_free(dp.d);
	media__dtls_cert_free(dp.cert);
	free(dp.s);
	free(dp.w);
	tp_close(&pa);
	tp_close(&pb);
}

static void test_webrtc_dtls_wrong_fingerprint_silences(void **state)
{
	struct tmedia t;
	struct tpeer pa, pb;
	struct dpeer dp = {0};
	struct media__dtls_cert *other;
	struct media_session *a, *b;
	bool failed = false;

	(void)state;
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&pa, MEDIA_CODEC_PCMU, 440);
	tp_open(&pb, MEDIA_CODEC_PCMU, 1000);
	dp.w = calloc(1, sizeof(*dp.w));
	dp.s = calloc(1, sizeof(*dp.s));
	assert_int_equal(media__dtls_cert_new(&dp.cert), 0);
	assert_int_equal(media__dtls_cert_new(&other), 0);
	assert_int_equal(
	    media__dtls_new(dp.cert, MEDIA__DTLS_PASSIVE, media_dtls_fingerprint(t.m), &dp.d), 0);
	a = webrtc_session(&t, 1);
	/* The SDP named another certificate than the one the peer shows. */
	assert_int_equal(
	    media_session_dtls(a, MEDIA_DTLS_CLIENT, media__dtls_cert_fingerprint(other)), 0);
	b = tm_session(&t, 2, a, &pb, MEDIA_CODEC_PCMU, 0);
	assert_int_equal(media_bridge(a, b, NULL), 0);
	pa.to_port = media_session_port(a);
	tp_sleep_ms(30);
	send_check(&pa, pa.to_port, 1, REQ_NOMINATE);
	assert_true(tm_wait(&t, MEDIA_EV_ICE_CONNECTED, 1000, NULL));
	for (int i = 0; i < 300 && !failed; i++) {
		tp_sleep_ms(10);
		dpeer_drain(&pa, &dp, pa.to_port);
		failed = tm_wait(&t, MEDIA_EV_DTLS_FAILED, 0, NULL);
	}
	assert_true(failed);
	assert_false(tm_wait(&t, MEDIA_EV_DTLS_CONNECTED, 0, NULL));
	/* Plain RTP from the peer goes nowhere; nothing comes back to it. */
	for (int i = 0; i < 10; i++) {
		tp_send_audio(&pa);
		tp_send_audio(&pb);
		tp_sleep_ms(20);
		dpeer_drain(&pa, &dp, pa.to_port);
		tp_drain(&pb);
	}
	assert_int_equal(pb.npkts, 0);
	assert_int_equal(dp.ok + dp.bad, 0);

	media_session_free(a);
	media_session_free(b);
	tm_stop(&t);
	media__dtls_free(dp.d);
	media__dtls_cert_free(dp.cert);
	media__dtls_cert_free(other);
	free(dp.s);
	free(dp.w);
	tp_close(&pa);
	tp_close(&pb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ice_check_answered),
	    cmocka_unit_test(test_ice_bad_checks_refused),
	    cmocka_unit_test(test_ice_media_only_after_nomination),
	    cmocka_unit_test(test_ice_consent_expires),
	    cmocka_unit_test(test_ice_credentials_checked),
	    cmocka_unit_test(test_webrtc_dtls_srtp_media),
	    cmocka_unit_test(test_webrtc_dtls_wrong_fingerprint_silences),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
