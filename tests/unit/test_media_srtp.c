/*
 * Loopback tests of SRTP in the media engine (src/media/srtp.c), on the packet path the
 * run picks (ctest runs each media test on io_uring and on epoll): a session with SDES
 * keys bridged to a plain one decrypts what its peer sends and encrypts what it
 * relays; the peer, with libsrtp2 and the keys, hears the other side's tone, and the
 * packets on the wire are not plain audio; a tampered packet is dropped and counted;
 * generated audio (a play) is encrypted too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <srtp2/srtp.h>

#include "test_media_util.h"

#define PORTS_MIN 43400
#define PORTS_MAX 43599

/* libsrtp2 is initialised once per process by media_create (tm_start): the test's own
 * contexts are made after it. */

/* The SRTP peer: its own contexts (what it sends, what it receives). */
struct speer {
	struct tpeer p;
	srtp_t tx, rx;
	int16_t heard[16000];
	size_t nheard;
	size_t raw_len_sum, raw_pkts, bad;
	int16_t raw_pcm[16000]; /* payloads decoded without decrypting */
	size_t nraw;
};

/* The share of a signal's power at `freq` (about 1 for a pure tone, 0.5 for a tone
 * half of the time, about 2/n for noise). */
static double tone_share(const int16_t *x, size_t n, double freq)
{
	double ms = 0;

	for (size_t i = 0; i < n; i++)
		ms += (double)x[i] * x[i];
	ms /= n ? (double)n : 1.0;
	return ms > 0 ? 2 * tp_goertzel(x, n, 1, freq, 8000) / ms : 0;
}

static srtp_t make_ctx(const uint8_t *key, bool out)
{
	srtp_policy_t pol;
	uint8_t k[MEDIA_SRTP_KEY_LEN];
	srtp_t s = NULL;

	memset(&pol, 0, sizeof(pol));
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
	memcpy(k, key, sizeof(k));
	pol.key = k;
	pol.ssrc.type = out ? ssrc_any_outbound : ssrc_any_inbound;
	assert_int_equal(srtp_create(&s, &pol), srtp_err_status_ok);
	return s;
}

static void keys(struct media_srtp *k)
{
	k->suite = MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80;
	k->tag = 1;
	for (int i = 0; i < MEDIA_SRTP_KEY_LEN; i++) {
		k->tx_key[i] = (uint8_t)(0x11 * i + 3); /* server -> peer */
		k->rx_key[i] = (uint8_t)(0x07 * i + 9); /* peer -> server */
	}
}

static void speer_send(struct speer *s, bool tamper)
{
	uint8_t buf[600], payload[160];
	int16_t pcm[160];
	int len;

	for (int i = 0; i < 160; i++) {
		pcm[i] = (int16_t)(8000 * sin(s->p.phase));
		s->p.phase += 2 * M_PI * s->p.freq / 8000;
	}
	s->p.phase = fmod(s->p.phase, 2 * M_PI);
	media__encode(MEDIA_CODEC_PCMU, NULL, pcm, 160, payload);
	media__rtp_write(buf, 0, false, s->p.seq++, s->p.ts, s->p.ssrc);
	s->p.ts += 160;
	memcpy(buf + 12, payload, 160);
	len = 172;
	assert_int_equal(srtp_protect(s->tx, buf, &len), srtp_err_status_ok);
	if (tamper)
		buf[40] ^= 0x01;
	tp_send_raw(&s->p, s->p.to_port, buf, (size_t)len);
}

static void speer_drain(struct speer *s)
{
	uint8_t buf[1600];
	ssize_t n;

	while ((n = recv(s->p.fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		int len = (int)n;
		struct media__rtp h;

		if (media__is_rtcp(buf, (size_t)n))
			continue;
		s->raw_pkts++;
		s->raw_len_sum += (size_t)n;
		if (n >= 172 && s->nraw + 160 <= 16000)
			s->nraw += media__decode(MEDIA_CODEC_PCMU, NULL, buf + 12, 160,
						 s->raw_pcm + s->nraw);
		if (srtp_unprotect(s->rx, buf, &len) != srtp_err_status_ok ||
		    media__rtp_parse(buf, (size_t)len, &h)) {
			s->bad++;
			continue;
		}
		if (h.pt == 0 && s->nheard + h.payload_len <= 16000)
			s->nheard += media__decode(MEDIA_CODEC_PCMU, NULL, buf + h.hdr_len,
						   h.payload_len, s->heard + s->nheard);
	}
}

static void run(struct speer *s, struct tpeer *plain, int ticks, bool sending, int tamper_at)
{
	uint64_t next = tp_now_us();

	for (int t = 0; t < ticks; t++) {
		if (sending) {
			speer_send(s, t == tamper_at);
			tp_send_audio(plain);
		}
		next += 20000;
		for (;;) {
			speer_drain(s);
			tp_drain(plain);
			uint64_t now = tp_now_us();
			if (now >= next)
				break;
			tp_sleep_ms(2);
		}
	}
}

static void test_srtp_leg_bridged_to_plain_leg(void **state)
{
	struct tmedia t;
	struct speer *s = calloc(1, sizeof(*s));
	struct tpeer pb;
	struct media_session *a, *b;
	struct media_params pa;
	struct media_stats st;
	int16_t pcm[16000];
	size_t n;

	(void)state;
	assert_non_null(s);
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&s->p, MEDIA_CODEC_PCMU, 440);
	tp_open(&pb, MEDIA_CODEC_PCMU, 1000);
	/* Session a speaks SRTP with peer s; session b plain RTP with peer pb. */
	pa = tm_params(&s->p, MEDIA_CODEC_PCMU, 0);
	keys(&pa.srtp);
	s->tx = make_ctx(pa.srtp.rx_key, true);
	s->rx = make_ctx(pa.srtp.tx_key, false);
	assert_int_equal(media_session_alloc(t.m, 1, NULL, &a), 0);
	assert_int_equal(media_session_set(a, &pa), 0);
	s->p.to_port = media_session_port(a);
	b = tm_session(&t, 2, a, &pb, MEDIA_CODEC_PCMU, 0);
	assert_int_equal(media_bridge(a, b, NULL), 0);
	tp_sleep_ms(30);
	run(s, &pb, 50, true, 25);
	run(s, &pb, 15, false, -1);

	/* The plain side heard the SRTP side's 440 Hz, decrypted; the tampered packet was
	 * dropped, not relayed. */
	assert_in_range(pb.npkts, 44, 49);
	n = tp_decode(&pb, 0, MEDIA_CODEC_PCMU, pcm, 16000);
	assert_true(tp_goertzel(pcm, n, 1, 440, 8000) > 100 * tp_goertzel(pcm, n, 1, 1000, 8000));
	/* The SRTP side got encrypted packets (a 10-byte tag each) it decrypts to 1000 Hz;
	 * read without the key they are noise. */
	assert_in_range(s->raw_pkts, 46, 50);
	assert_int_equal(s->raw_len_sum, s->raw_pkts * 182);
	assert_int_equal(s->bad, 0);
	assert_true(tp_goertzel(s->heard, s->nheard, 1, 1000, 8000) >
		    100 * tp_goertzel(s->heard, s->nheard, 1, 440, 8000));
	assert_true(tone_share(s->heard, s->nheard, 1000) > 0.5);
	assert_true(tone_share(s->raw_pcm, s->nraw, 1000) < 0.05);
	media_stats_get(t.m, &st);
	assert_true(st.srtp_in >= 45);
	assert_true(st.srtp_out >= 46);
	assert_int_equal(st.srtp_failed, 1);

	media_session_free(a);
	media_session_free(b);
	tm_stop(&t);
	srtp_dealloc(s->tx);
	srtp_dealloc(s->rx);
	tp_close(&s->p);
	tp_close(&pb);
	free(s);
}

static void test_srtp_play_is_encrypted(void **state)
{
	struct tmedia t;
	struct speer *s = calloc(1, sizeof(*s));
	struct tpeer idle;
	struct media_session *a;
	struct media_params pa;
	struct media_item tone = {
	    .kind = MEDIA_ITEM_TONE, .tone = MEDIA_TONE_BUSY, .duration_ms = 1000};
	struct media_play_req req = {.items = &tone, .nitems = 1, .id = 1};

	(void)state;
	assert_non_null(s);
	tm_start(&t, PORTS_MIN, PORTS_MAX, 1, 0);
	tp_open(&s->p, MEDIA_CODEC_PCMU, 0);
	tp_open(&idle, MEDIA_CODEC_PCMU, 0);
	pa = tm_params(&s->p, MEDIA_CODEC_PCMU, 0);
	keys(&pa.srtp);
	s->tx = make_ctx(pa.srtp.rx_key, true);
	s->rx = make_ctx(pa.srtp.tx_key, false);
	assert_int_equal(media_session_alloc(t.m, 1, NULL, &a), 0);
	assert_int_equal(media_session_set(a, &pa), 0);
	assert_int_equal(media_play(a, &req), 0);
	run(s, &idle, 40, false, -1);
	/* The busy tone (425 Hz) arrives encrypted and decrypts. */
	assert_true(s->raw_pkts >= 20);
	assert_int_equal(s->bad, 0);
	assert_int_equal(s->raw_len_sum, s->raw_pkts * 182);
	assert_true(tone_share(s->heard, s->nheard, 425) > 0.3);
	assert_true(tone_share(s->raw_pcm, s->nraw, 425) < 0.05);
	media_session_free(a);
	tm_stop(&t);
	srtp_dealloc(s->tx);
	srtp_dealloc(s->rx);
	tp_close(&s->p);
	tp_close(&idle);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_srtp_leg_bridged_to_plain_leg),
	    cmocka_unit_test(test_srtp_play_is_encrypted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
