/*
 * DTLS-SRTP endpoints on OpenSSL (dtls.h). Records pass through memory BIOs: a received
 * datagram is written to the read BIO and the handshake driven; what OpenSSL writes is
 * cut back into datagrams at record boundaries (OpenSSL 3.0 has no datagram memory
 * BIO). The peer's certificate is accepted only when its SHA-256 digest is the one the
 * SDP announced: self-signed certificates are the rule in WebRTC, so the fingerprint
 * is the whole of the check (RFC 5763 5).
 */
#include "media/dtls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define REC_HDR	  13 /* DTLS record header: type, version, epoch, sequence, length */
#define STAGE_MAX (32 * 1024)
#define KEY_LEN	  16
#define SALT_LEN  14

struct media__dtls_cert {
	SSL_CTX *ctx;
	char fp[MEDIA__DTLS_FP_MAX];
};

struct media__dtls {
	SSL *ssl;
	BIO *rbio, *wbio;
	bool client, started;
	enum media__dtls_state state;
	uint8_t peer_fp[32];
	bool fp_ok; /* the peer's certificate matched peer_fp */
	struct media_srtp keys;
	size_t stage_len, stage_off;
	uint8_t stage[STAGE_MAX];
};

static int data_idx = -1;
static CRYPTO_ONCE idx_once = CRYPTO_ONCE_STATIC_INIT;

static void idx_init(void)
{
	data_idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static void fp_format(const uint8_t md[32], char *out)
{
	int n = snprintf(out, MEDIA__DTLS_FP_MAX, "sha-256 ");

	for (int i = 0; i < 32; i++)
		n += snprintf(out + n, (size_t)(MEDIA__DTLS_FP_MAX - n), i ? ":%02X" : "%02X",
			      md[i]);
}

static int fp_parse(const char *s, uint8_t md[32])
{
	const char *p;

	if (!s || strncasecmp(s, "sha-256 ", 8) != 0)
		return EINVAL;
	p = s + 8;
	for (int i = 0; i < 32; i++) {
		unsigned v;
		int used = 0;

		if (sscanf(p, "%2x%n", &v, &used) != 1 || used != 2)
			return EINVAL;
		md[i] = (uint8_t)v;
		p += 2;
		if (i < 31 && *p++ != ':')
			return EINVAL;
	}
	return *p ? EINVAL : 0;
}

static int verify_cb(int preverify, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct media__dtls *d = ssl ? SSL_get_ex_data(ssl, data_idx) : NULL;
	X509 *cert = X509_STORE_CTX_get_current_cert(x);
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	(void)preverify;
	if (!d || !cert)
		return 0;
	/* Only the peer's own certificate is judged, by its digest alone. */
	if (X509_STORE_CTX_get_error_depth(x) != 0)
		return 1;
	if (!X509_digest(cert, EVP_sha256(), md, &mdlen) || mdlen != 32 ||
	    CRYPTO_memcmp(md, d->peer_fp, 32) != 0) {
		d->fp_ok = false;
		return 0;
	}
	d->fp_ok = true;
	return 1;
}

int media__dtls_cert_new(struct media__dtls_cert **out)
{
	struct media__dtls_cert *c = NULL;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	X509_NAME *name;
	uint8_t md[EVP_MAX_MD_SIZE], serial[8];
	unsigned mdlen = 0;
	BIGNUM *bn = NULL;
	int err = EIO;

	CRYPTO_THREAD_run_once(&idx_once, idx_init);
	if (data_idx < 0)
		return EIO;
	c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	key = EVP_EC_gen("P-256");
	x = X509_new();
	if (!key || !x || RAND_bytes(serial, sizeof(serial)) != 1)
		goto out;
	serial[0] &= 0x7F;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	name = X509_get_subject_name(x);
	if (!bn || !X509_set_version(x, 2) || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -86400) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 365L * 86400) || !X509_set_pubkey(x, key) ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"centrala",
					-1, -1, 0) ||
	    !X509_set_issuer_name(x, name) || !X509_sign(x, key, EVP_sha256()) ||
	    !X509_digest(x, EVP_sha256(), md, &mdlen) || mdlen != 32)
		goto out;
	fp_format(md, c->fp);
	c->ctx = SSL_CTX_new(DTLS_method());
	if (!c->ctx || !SSL_CTX_set_min_proto_version(c->ctx, DTLS1_2_VERSION) ||
	    SSL_CTX_use_certificate(c->ctx, x) != 1 || SSL_CTX_use_PrivateKey(c->ctx, key) != 1 ||
	    SSL_CTX_check_private_key(c->ctx) != 1 ||
	    /* 0 is success for this one. */
	    SSL_CTX_set_tlsext_use_srtp(c->ctx, "SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32"))
		goto out;
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
	SSL_CTX_set_read_ahead(c->ctx, 1);
	*out = c;
	c = NULL;
	err = 0;
out:
	if (c) {
		SSL_CTX_free(c->ctx);
		free(c);
	}
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return err;
}

void media__dtls_cert_free(struct media__dtls_cert *c)
{
	if (!c)
		return;
	SSL_CTX_free(c->ctx);
	free(c);
}

const char *media__dtls_cert_fingerprint(const struct media__dtls_cert *c)
{
	return c->fp;
}

int media__dtls_setup_parse(const char *s, enum media__dtls_setup *out)
{
	if (!s)
		return EINVAL;
	if (!strcmp(s, "actpass"))
		*out = MEDIA__DTLS_ACTPASS;
	else if (!strcmp(s, "active"))
		*out = MEDIA__DTLS_ACTIVE;
	else if (!strcmp(s, "passive"))
		*out = MEDIA__DTLS_PASSIVE;
	else
		return EINVAL;
	return 0;
}

int media__dtls_role(enum media__dtls_setup peer, bool answering, enum media__dtls_setup *ours)
{
	switch (peer) {
	case MEDIA__DTLS_ACTPASS:
		if (!answering)
			return EINVAL;
		*ours = MEDIA__DTLS_ACTIVE;
		return 0;
	case MEDIA__DTLS_ACTIVE:
		*ours = MEDIA__DTLS_PASSIVE;
		return 0;
	case MEDIA__DTLS_PASSIVE:
		*ours = MEDIA__DTLS_ACTIVE;
		return 0;
	}
	return EINVAL;
}

int media__dtls_new(struct media__dtls_cert *c, enum media__dtls_setup setup, const char *peer_fp,
		    struct media__dtls **out)
{
	struct media__dtls *d;

	if (!c || (setup != MEDIA__DTLS_ACTIVE && setup != MEDIA__DTLS_PASSIVE))
		return EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return ENOMEM;
	if (fp_parse(peer_fp, d->peer_fp) != 0) {
		free(d);
		return EINVAL;
	}
	d->client = setup == MEDIA__DTLS_ACTIVE;
	d->ssl = SSL_new(c->ctx);
	d->rbio = BIO_new(BIO_s_mem());
	d->wbio = BIO_new(BIO_s_mem());
	if (!d->ssl || !d->rbio || !d->wbio) {
		BIO_free(d->rbio);
		BIO_free(d->wbio);
		SSL_free(d->ssl);
		free(d);
		ERR_clear_error();
		return ENOMEM;
	}
	BIO_set_mem_eof_return(d->rbio, -1);
	BIO_set_mem_eof_return(d->wbio, -1);
	SSL_set_bio(d->ssl, d->rbio, d->wbio);
	SSL_set_ex_data(d->ssl, data_idx, d);
	SSL_set_options(d->ssl, SSL_OP_NO_QUERY_MTU);
	SSL_set_mtu(d->ssl, MEDIA__DTLS_MTU);
	DTLS_set_link_mtu(d->ssl, MEDIA__DTLS_MTU);
	if (d->client)
		SSL_set_connect_state(d->ssl);
	else
		SSL_set_accept_state(d->ssl);
	*out = d;
	return 0;
}

void media__dtls_free(struct media__dtls *d)
{
	if (!d)
		return;
	SSL_free(d->ssl); /* frees its BIOs */
	OPENSSL_cleanse(&d->keys, sizeof(d->keys));
	free(d);
}

static void connected(struct media__dtls *d)
{
	const SRTP_PROTECTION_PROFILE *prof = SSL_get_selected_srtp_profile(d->ssl);
	uint8_t km[2 * (KEY_LEN + SALT_LEN)];
	const uint8_t *ck = km, *sk = km + KEY_LEN, *cs = km + 2 * KEY_LEN,
		      *ss = km + 2 * KEY_LEN + SALT_LEN;
	uint8_t *tx = d->keys.tx_key, *rx = d->keys.rx_key;

	d->state = MEDIA__DTLS_FAILED;
	/* Belt and braces: the callback ran and matched, and use_srtp was agreed. */
	if (!d->fp_ok || !SSL_get0_peer_certificate(d->ssl) || !prof ||
	    (prof->id != SRTP_AES128_CM_SHA1_80 && prof->id != SRTP_AES128_CM_SHA1_32))
		return;
	if (SSL_export_keying_material(d->ssl, km, sizeof(km), "EXTRACTOR-dtls_srtp", 19, NULL, 0,
				       0) != 1)
		return;
	/* RFC 5764 4.2: client key, server key, client salt, server salt. */
	memcpy(tx, d->client ? ck : sk, KEY_LEN);
	memcpy(tx + KEY_LEN, d->client ? cs : ss, SALT_LEN);
	memcpy(rx, d->client ? sk : ck, KEY_LEN);
	memcpy(rx + KEY_LEN, d->client ? ss : cs, SALT_LEN);
	d->keys.suite = prof->id == SRTP_AES128_CM_SHA1_80 ? MEDIA_SRTP_AES_CM_128_HMAC_SHA1_80
							   : MEDIA_SRTP_AES_CM_128_HMAC_SHA1_32;
	OPENSSL_cleanse(km, sizeof(km));
	d->state = MEDIA__DTLS_CONNECTED;
}

static void drive(struct media__dtls *d)
{
	int r;

	if (d->state != MEDIA__DTLS_HANDSHAKE)
		return;
	d->started = true;
	r = SSL_do_handshake(d->ssl);
	if (r == 1) {
		connected(d);
	} else {
		int e = SSL_get_error(d->ssl, r);

		if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			d->state = MEDIA__DTLS_FAILED;
	}
	ERR_clear_error();
}

bool media__dtls_records_ok(const uint8_t *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return false;
	while (off < len) {
		const uint8_t *r = buf + off;
		size_t rlen;

		if (len - off < REC_HDR || r[0] < 20 || r[0] > 25 || r[1] != 254 ||
		    (r[2] != 253 && r[2] != 255))
			return false;
		rlen = (size_t)r[11] << 8 | r[12];
		if (rlen > len - off - REC_HDR)
			return false;
		off += REC_HDR + rlen;
	}
	return true;
}

enum media__dtls_state media__dtls_input(struct media__dtls *d, const uint8_t *buf, size_t len)
{
	if (len < REC_HDR || buf[0] < 20 || buf[0] > 63 || len > INT32_MAX)
		return d->state;
	if (d->state == MEDIA__DTLS_HANDSHAKE) {
		if (BIO_write(d->rbio, buf, (int)len) != (int)len)
			return d->state;
		drive(d);
	} else if (d->state == MEDIA__DTLS_CONNECTED) {
		uint8_t tmp[64];

		/* Retransmitted flights and alerts after the handshake: OpenSSL answers what
		 * needs answering (the peer missed our last flight). No application data is
		 * expected. */
		if (BIO_write(d->rbio, buf, (int)len) == (int)len)
			while (SSL_read(d->ssl, tmp, sizeof(tmp)) > 0)
				;
		if (SSL_get_shutdown(d->ssl) & SSL_RECEIVED_SHUTDOWN)
			d->state = MEDIA__DTLS_FAILED;
		ERR_clear_error();
	}
	return d->state;
}

size_t media__dtls_output(struct media__dtls *d, uint8_t *buf, size_t cap)
{
	size_t len = 0;

	if (d->client && !d->started)
		drive(d);
	if (d->stage_off == d->stage_len) {
		int n = BIO_read(d->wbio, d->stage, sizeof(d->stage));

		d->stage_off = d->stage_len = 0;
		if (n <= 0)
			return 0;
		d->stage_len = (size_t)n;
	}
	/* Whole records, as many as fit in one datagram. */
	while (d->stage_len - d->stage_off >= REC_HDR) {
		const uint8_t *r = d->stage + d->stage_off;
		size_t rl = REC_HDR + (size_t)(r[11] << 8 | r[12]);

		if (rl > d->stage_len - d->stage_off) {
			d->stage_off = d->stage_len; /* cannot happen with whole writes: drop */
			break;
		}
		if (len + rl > cap || (len && len + rl > MEDIA__DTLS_MTU))
			break;
		memcpy(buf + len, r, rl);
		len += rl;
		d->stage_off += rl;
	}
	if (!len && d->stage_off < d->stage_len)
		d->stage_off = d->stage_len; /* a record larger than `cap`: lost */
	return len;
}

void media__dtls_timer(struct media__dtls *d)
{
	if (d->state == MEDIA__DTLS_HANDSHAKE && DTLSv1_handle_timeout(d->ssl) < 0)
		d->state = MEDIA__DTLS_FAILED;
	ERR_clear_error();
}

long media__dtls_timeout_ms(struct media__dtls *d)
{
	struct timeval tv;

	if (d->state != MEDIA__DTLS_HANDSHAKE || DTLSv1_get_timeout(d->ssl, &tv) != 1)
		return -1;
	return (long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

enum media__dtls_state media__dtls_state(const struct media__dtls *d)
{
	return d->state;
}

int media__dtls_keys(const struct media__dtls *d, struct media_srtp *out)
{
	if (d->state != MEDIA__DTLS_CONNECTED)
		return EAGAIN;
	*out = d->keys;
	return 0;
}
