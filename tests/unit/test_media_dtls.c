/*
 * Unit tests of DTLS-SRTP (src/media/dtls.c): two endpoints of the module, each with its
 * own certificate and a UDP socket on 127.0.0.1, one client and one server, complete
 * the handshake; the keys they export agree crosswise and, in the SRTP contexts of
 * src/media/srtp.c, a packet protected by one is unprotected by the other; a wrong
 * fingerprint is refused by either side; a=setup role selection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "media/dtls.h"
#include "media/media_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct end {
	int fd;
	struct sockaddr_in addr;
	struct media__dtls *d;
};

static void end_open(struct end *e)
{
	socklen_t len = sizeof(e->addr);

	e->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(e->fd >= 0);
	memset(&e->addr, 0, sizeof(e->addr));
	e->addr.sin_family = AF_INET;
	e->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(e->fd, (struct sockaddr *)&e->addr, sizeof(e->addr)), 0);
	getsockname(e->fd, (struct sockaddr *)&e->addr, &len);
}

/* Sends what `from` has to send, reads what came to `from`. */
static void pump(struct end *from, struct end *to)
{
	uint8_t buf[2048];
	size_t n;
	ssize_t got;

	while ((n = media__dtls_output(from->d, buf, sizeof(buf))) > 0)
		assert_int_equal(
		    sendto(from->fd, buf, n, 0, (struct sockaddr *)&to->addr, sizeof(to->addr)),
		    (ssize_t)n);
	while ((got = recv(from->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		media__dtls_input(from->d, buf, (size_t)got);
	if (media__dtls_timeout_ms(from->d) == 0)
		media__dtls_timer(from->d);
}

/* Runs both ends until neither is handshaking (bounded: 5 s). */
static void handshake(struct end *c, struct end *s)
{
	for (int i = 0; i < 500; i++) {
		struct pollfd p[2] = {{.fd = c->fd, .events = POLLIN},
				      {.fd = s->fd, .events = POLLIN}};

		pump(c, s);
		pump(s, c);
		if (media__dtls_state(c->d) != MEDIA__DTLS_HANDSHAKE &&
		    media__dtls_state(s->d) != MEDIA__DTLS_HANDSHAKE)
			return;
		poll(p, 2, 10);
	}
}

static void setup_pair(struct media__dtls_cert *cc, struct media__dtls_cert *sc,
		       const char *c_expects, const char *s_expects, struct end *c, struct end *s)
{
	end_open(c);
	end_open(s);
	assert_int_equal(media__dtls_new(cc, MEDIA__DTLS_ACTIVE, c_expects, &c->d), 0);
	assert_int_equal(media__dtls_new(sc, MEDIA__DTLS_PASSIVE, s_expects, &s->d), 0);
	handshake(c, s);
}

static void end_close(struct end *e)
{
	media__dtls_free(e->d);
	close(e->fd);
}

static void test_dtls_handshake_exports_matching_srtp_keys(void **state)
{
	struct media__dtls_cert *cc, *sc;
	struct end c, s;
	struct media_srtp kc, ks;
	struct media__worker *w = calloc(1, sizeof(*w));
	struct media_session *sa = calloc(1, sizeof(*sa)), *sb = calloc(1, sizeof(*sb));
	uint8_t pkt[12 + 160 + MEDIA__SRTP_ROOM], orig[12 + 160];
	size_t len = 12 + 160;

	(void)state;
	assert_int_equal(media__srtp_init(), 0);
	assert_int_equal(media__dtls_cert_new(&cc), 0);
	assert_int_equal(media__dtls_cert_new(&sc), 0);
	assert_int_equal(strlen(media__dtls_cert_fingerprint(cc)), 8 + 32 * 3 - 1);
	assert_memory_equal(media__dtls_cert_fingerprint(cc), "sha-256 ", 8);
	assert_string_not_equal(media__dtls_cert_fingerprint(cc), media__dtls_cert_fingerprint(sc));
	setup_pair(cc, sc, media__dtls_cert_fingerprint(sc), media__dtls_cert_fingerprint(cc), &c,
		   &s);
	assert_int_equal(media__dtls_state(c.d), MEDIA__DTLS_CONNECTED);
	assert_int_equal(media__dtls_state(s.d), MEDIA__DTLS_CONNECTED);
	assert_int_equal(media__dtls_keys(c.d, &kc), 0);
	assert_int_equal(media__dtls_keys(s.d, &ks), 0);
	assert_int_equal(kc.suite, MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80);
	assert_int_equal(ks.suite, kc.suite);
	assert_memory_equal(kc.tx_key, ks.rx_key, MEDIA_SRTP_KEY_LEN);
	assert_memory_equal(kc.rx_key, ks.tx_key, MEDIA_SRTP_KEY_LEN);
	assert_memory_not_equal(kc.tx_key, kc.rx_key, MEDIA_SRTP_KEY_LEN);

	/* The keys in the media engine's SRTP contexts: the client's session protects, the
	 * server's unprotects; a changed byte fails authentication. */
	media__srtp_configure(w, sa, &kc);
	media__srtp_configure(w, sb, &ks);
	assert_non_null(sa->srtp_tx);
	assert_non_null(sb->srtp_rx);
	media__rtp_write(pkt, 0, false, 1234, 160, 0xCAFE);
	for (int i = 0; i < 160; i++)
		pkt[12 + i] = (uint8_t)(i * 7);
	memcpy(orig, pkt, sizeof(orig));
	assert_true(media__srtp_protect(w, sa, pkt, &len, sizeof(pkt), false));
	assert_int_equal(len, 12 + 160 + 10);
	assert_memory_not_equal(pkt + 12, orig + 12, 160);
	assert_true(media__srtp_unprotect(w, sb, pkt, &len, false));
	assert_int_equal(len, 12 + 160);
	assert_memory_equal(pkt, orig, len);
	len = 12 + 160;
	media__rtp_write(pkt, 0, false, 1235, 320, 0xCAFE);
	assert_true(media__srtp_protect(w, sa, pkt, &len, sizeof(pkt), false));
	pkt[30] ^= 1;
	assert_false(media__srtp_unprotect(w, sb, pkt, &len, false));

	media__srtp_free(sa);
	media__srtp_free(sb);
	free(sa);
	free(sb);
	free(w);
	end_close(&c);
	end_close(&s);
	media__dtls_cert_free(cc);
	media__dtls_cert_free(sc);
}

static void test_dtls_wrong_fingerprint_refused(void **state)
{
	struct media__dtls_cert *cc, *sc, *other;
	struct end c, s;
	struct media_srtp k;

	(void)state;
	assert_int_equal(media__dtls_cert_new(&cc), 0);
	assert_int_equal(media__dtls_cert_new(&sc), 0);
	assert_int_equal(media__dtls_cert_new(&other), 0);
	/* The client expects another certificate than the server's. */
	setup_pair(cc, sc, media__dtls_cert_fingerprint(other), media__dtls_cert_fingerprint(cc),
		   &c, &s);
	assert_int_equal(media__dtls_state(c.d), MEDIA__DTLS_FAILED);
	assert_int_not_equal(media__dtls_state(s.d), MEDIA__DTLS_CONNECTED);
	assert_int_equal(media__dtls_keys(c.d, &k), EAGAIN);
	assert_int_equal(media__dtls_keys(s.d, &k), EAGAIN);
	end_close(&c);
	end_close(&s);
	/* The server expects another certificate than the client's. */
	setup_pair(cc, sc, media__dtls_cert_fingerprint(sc), media__dtls_cert_fingerprint(other),
		   &c, &s);
	assert_int_equal(media__dtls_state(s.d), MEDIA__DTLS_FAILED);
	assert_int_not_equal(media__dtls_state(c.d), MEDIA__DTLS_CONNECTED);
	assert_int_equal(media__dtls_keys(s.d, &k), EAGAIN);
	end_close(&c);
	end_close(&s);
	media__dtls_cert_free(cc);
	media__dtls_cert_free(sc);
	media__dtls_cert_free(other);
}

static void test_dtls_bad_fingerprint_text_einval(void **state)
{
	struct media__dtls_cert *cc;
	struct media__dtls *d = NULL;
	char fp[MEDIA__DTLS_FP_MAX];

	(void)state;
	assert_int_equal(media__dtls_cert_new(&cc), 0);
	strcpy(fp, media__dtls_cert_fingerprint(cc));
	assert_int_equal(media__dtls_new(cc, MEDIA__DTLS_ACTIVE, fp, &d), 0);
	media__dtls_free(d);
	fp[0] = 'S'; /* hash names are case-insensitive */
	assert_int_equal(media__dtls_new(cc, MEDIA__DTLS_ACTIVE, fp, &d), 0);
	media__dtls_free(d);
	assert_int_equal(media__dtls_new(cc, MEDIA__DTLS_ACTIVE, "sha-1 AB:CD", &d), EINVAL);
	fp[strlen(fp) - 3] = '-';
	assert_int_equal(media__dtls_new(cc, MEDIA__DTLS_ACTIVE, fp, &d), EINVAL);
	strcpy(fp, media__dtls_cert_fingerprint(cc));
	fp[strlen(fp) - 1] = '\0';
	assert_int_equal(media__dtls_new(cc, MEDIA__DTLS_ACTIVE, fp, &d), EINVAL);
	assert_int_equal(
	    media__dtls_new(cc, MEDIA__DTLS_ACTPASS, media__dtls_cert_fingerprint(cc), &d), EINVAL);
	media__dtls_cert_free(cc);
}

static void test_dtls_role_from_setup(void **state)
{
	enum media__dtls_setup peer, ours;

	(void)state;
	assert_int_equal(media__dtls_setup_parse("actpass", &peer), 0);
	assert_int_equal(media__dtls_role(peer, true, &ours), 0);
	assert_int_equal(ours, MEDIA__DTLS_ACTIVE);
	assert_int_equal(media__dtls_role(peer, false, &ours), EINVAL);
	assert_int_equal(media__dtls_setup_parse("active", &peer), 0);
	assert_int_equal(media__dtls_role(peer, true, &ours), 0);
	assert_int_equal(ours, MEDIA__DTLS_PASSIVE);
	assert_int_equal(media__dtls_role(peer, false, &ours), 0);
	assert_int_equal(ours, MEDIA__DTLS_PASSIVE);
	assert_int_equal(media__dtls_setup_parse("passive", &peer), 0);
	assert_int_equal(media__dtls_role(peer, true, &ours), 0);
	assert_int_equal(ours, MEDIA__DTLS_ACTIVE);
	assert_int_equal(media__dtls_setup_parse("holdconn", &peer), EINVAL);
	assert_int_equal(media__dtls_setup_parse(NULL, &peer), EINVAL);
}

static void test_dtls_record_framing(void **state)
{
	/* A ClientHello's header (DTLS 1.0 record version) with its 3-byte body, two
	 * records in one datagram, and what does not frame. */
	static const uint8_t one[] = {22, 254, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3};
	static const uint8_t two[] = {22, 254, 253, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 9,
				      20, 254, 253, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 1};
	uint8_t b[sizeof(two)];

	(void)state;
	assert_true(media__dtls_records_ok(one, sizeof(one)));
	assert_true(media__dtls_records_ok(two, sizeof(two)));
	assert_false(media__dtls_records_ok(one, 0));
	assert_false(media__dtls_records_ok(one, 12));		    /* short header */
	assert_false(media__dtls_records_ok(one, sizeof(one) - 1)); /* body cut */
	memcpy(b, two, sizeof(two));
	b[14] = 30; /* second record: no content type of DTLS */
	assert_false(media__dtls_records_ok(b, sizeof(b)));
	memcpy(b, two, sizeof(two));
	b[1] = 3; /* TLS, not DTLS */
	assert_false(media__dtls_records_ok(b, sizeof(b)));
	memcpy(b, two, sizeof(two));
	b[12] = 2; /* first record's length swallows the second's header */
	assert_false(media__dtls_records_ok(b, sizeof(b)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dtls_handshake_exports_matching_srtp_keys),
	    cmocka_unit_test(test_dtls_wrong_fingerprint_refused),
	    cmocka_unit_test(test_dtls_bad_fingerprint_text_einval),
	    cmocka_unit_test(test_dtls_role_from_setup),
	    cmocka_unit_test(test_dtls_record_framing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
