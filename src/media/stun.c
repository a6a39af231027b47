/*
 * STUN messages for ICE-lite (stun.h): a bounds-checked parser of one datagram, the
 * MESSAGE-INTEGRITY (HMAC-SHA1) and FINGERPRINT (CRC-32) checks, and a builder. The
 * HMAC runs on SHA-1 states precomputed from the key: OpenSSL 3's HMAC and EVP_MAC
 * interfaces allocate a context on every use (or copy one, which allocates), and the
 * packet path allocates nothing, so the low-level SHA1_* functions are used on purpose
 * (deprecated in OpenSSL 3.0, still part of its API).
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "media/stun.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#define FINGERPRINT_XOR 0x5354554Eu
#define HMAC_BLOCK	64
#define HMAC_LEN	20

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

bool media__stun_is(const uint8_t *buf, size_t len)
{
	return len >= MEDIA__STUN_HDR && buf[0] < 4 && rd32(buf + 4) == MEDIA__STUN_COOKIE &&
	       (rd16(buf + 2) & 3) == 0 && (size_t)rd16(buf + 2) + MEDIA__STUN_HDR == len;
}

static int parse_xaddr(const uint8_t *v, size_t vlen, const uint8_t *hdr, struct media__stun_msg *m)
{
	uint16_t port;

	if (vlen < 4 || v[0] != 0)
		return EINVAL;
	port = (uint16_t)(rd16(v + 2) ^ (MEDIA__STUN_COOKIE >> 16));
	if (v[1] == 1 && vlen == 8) {
		memset(&m->xaddr, 0, sizeof(m->xaddr));
		m->xaddr.sin_family = AF_INET;
		m->xaddr.sin_port = htons(port);
		m->xaddr.sin_addr.s_addr = htonl(rd32(v + 4) ^ MEDIA__STUN_COOKIE);
	} else if (v[1] == 2 && vlen == 20) {
		memset(&m->xaddr6, 0, sizeof(m->xaddr6));
		m->xaddr6.sin6_family = AF_INET6;
		m->xaddr6.sin6_port = htons(port);
		/* XOR with the magic cookie and the transaction id (header bytes 4-19). */
		for (int i = 0; i < 16; i++)
			m->xaddr6.sin6_addr.s6_addr[i] = v[4 + i] ^ hdr[4 + i];
	} else {
		return EINVAL;
	}
	m->xfamily = v[1];
	m->has_xaddr = true;
	return 0;
}

int media__stun_parse(const uint8_t *buf, size_t len, struct media__stun_msg *out)
{
	struct media__stun_msg m;
	size_t off = MEDIA__STUN_HDR;
	bool after_integrity = false;

	if (!media__stun_is(buf, len))
		return EINVAL;
	memset(&m, 0, sizeof(m));
	m.type = rd16(buf);
	memcpy(m.txid, buf + 8, 12);
	while (off < len) {
		uint16_t type, vlen;
		const uint8_t *v;

		if (len - off < 4)
			return EINVAL;
		type = rd16(buf + off);
		vlen = rd16(buf + off + 2);
		if ((size_t)vlen > len - off - 4)
			return EINVAL;
		v = buf + off + 4;
		/* FINGERPRINT is the last attribute when present (RFC 5389 15.5). */
		if (m.fingerprint_at)
			return EINVAL;
		if (type == MEDIA__STUN_A_FINGERPRINT) {
			if (vlen != 4)
				return EINVAL;
			m.fingerprint_at = off;
		} else if (after_integrity) {
			/* Ignored: not covered by the integrity check. */
		} else {
			switch (type) {
			case MEDIA__STUN_A_MESSAGE_INTEGRITY:
				if (vlen != HMAC_LEN)
					return EINVAL;
				m.integrity_at = off;
				after_integrity = true;
				break;
			case MEDIA__STUN_A_USERNAME:
				if (vlen > MEDIA__STUN_USER_MAX)
					return EINVAL;
				if (!m.username) {
					m.username = v;
					m.username_len = vlen;
				}
				break;
			case MEDIA__STUN_A_XOR_MAPPED_ADDRESS:
				if (!m.has_xaddr && parse_xaddr(v, vlen, buf, &m))
					return EINVAL;
				break;
			case MEDIA__STUN_A_PRIORITY:
				if (vlen != 4)
					return EINVAL;
				if (!m.has_priority) {
					m.has_priority = true;
					m.priority = rd32(v);
				}
				break;
			case MEDIA__STUN_A_USE_CANDIDATE:
				if (vlen != 0)
					return EINVAL;
				m.use_candidate = true;
				break;
			case MEDIA__STUN_A_ICE_CONTROLLED:
			case MEDIA__STUN_A_ICE_CONTROLLING:
				if (vlen != 8)
					return EINVAL;
				if (!m.controlled && !m.controlling)
					m.tiebreaker = (uint64_t)rd32(v) << 32 | rd32(v + 4);
				if (type == MEDIA__STUN_A_ICE_CONTROLLED)
					m.controlled = true;
				else
					m.controlling = true;
				break;
			case MEDIA__STUN_A_ERROR_CODE:
				if (vlen < 4 || v[2] < 3 || v[2] > 6 || v[3] > 99)
					return EINVAL;
				if (!m.error_code)
					m.error_code = (uint16_t)(v[2] * 100 + v[3]);
				break;
			default:
				if (type < 0x8000) {
					if (m.nunknown < MEDIA__STUN_UNKNOWN_MAX)
						m.unknown[m.nunknown] = type;
					m.nunknown++;
				}
				break;
			}
		}
		off += 4 + (((size_t)vlen + 3) & ~(size_t)3);
	}
	if (off != len)
		return EINVAL;
	*out = m;
	return 0;
}

/* ---------------------------------------------------------------- HMAC-SHA1, CRC-32 */

void media__stun_key_init(struct media__stun_key *k, const void *pwd, size_t len)
{
	uint8_t key[HMAC_BLOCK], pad[HMAC_BLOCK];

	memset(key, 0, sizeof(key));
	if (len > HMAC_BLOCK)
		SHA1(pwd, len, key);
	else if (len)
		memcpy(key, pwd, len);
	for (int i = 0; i < HMAC_BLOCK; i++)
		pad[i] = key[i] ^ 0x36;
	SHA1_Init(&k->inner);
	SHA1_Update(&k->inner, pad, sizeof(pad));
	for (int i = 0; i < HMAC_BLOCK; i++)
		pad[i] = key[i] ^ 0x5c;
	SHA1_Init(&k->outer);
	SHA1_Update(&k->outer, pad, sizeof(pad));
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(pad, sizeof(pad));
}

/* HMAC-SHA1 of `hdr` (the 20-byte header as the MAC must see it) then `rest`. */
static void hmac(const struct media__stun_key *k, const uint8_t *hdr, const uint8_t *rest,
		 size_t rest_len, uint8_t mac[HMAC_LEN])
{
	SHA_CTX c = k->inner;
	uint8_t ih[SHA_DIGEST_LENGTH];

	SHA1_Update(&c, hdr, MEDIA__STUN_HDR);
	SHA1_Update(&c, rest, rest_len);
	SHA1_Final(ih, &c);
	c = k->outer;
	SHA1_Update(&c, ih, sizeof(ih));
	SHA1_Final(mac, &c);
	OPENSSL_cleanse(&c, sizeof(c));
}

bool media__stun_check_integrity(const uint8_t *buf, const struct media__stun_msg *m,
				 const struct media__stun_key *k)
{
	uint8_t hdr[MEDIA__STUN_HDR], mac[HMAC_LEN];

	if (!m->integrity_at)
		return false;
	/* The length the MAC covers ends with MESSAGE-INTEGRITY (a FINGERPRINT after it
	 * is left out). */
	memcpy(hdr, buf, sizeof(hdr));
	wr16(hdr + 2, (uint16_t)(m->integrity_at + 4 + HMAC_LEN - MEDIA__STUN_HDR));
	hmac(k, hdr, buf + MEDIA__STUN_HDR, m->integrity_at - MEDIA__STUN_HDR, mac);
	return CRYPTO_memcmp(mac, buf + m->integrity_at + 4, HMAC_LEN) == 0;
}

static uint32_t crc_table[256];
static bool crc_ready;

static void crc_init(void)
{
	/* Idempotent: racing threads write the same values. */
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int j = 0; j < 8; j++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
	__atomic_store_n(&crc_ready, true, __ATOMIC_RELEASE);
}

uint32_t media__stun_crc32(const uint8_t *p, size_t len)
{
	uint32_t c = 0xFFFFFFFFu;

	if (!__atomic_load_n(&crc_ready, __ATOMIC_ACQUIRE))
		crc_init();
	for (size_t i = 0; i < len; i++)
		c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
}

bool media__stun_check_fingerprint(const uint8_t *buf, const struct media__stun_msg *m)
{
	if (!m->fingerprint_at)
		return false;
	return (media__stun_crc32(buf, m->fingerprint_at) ^ FINGERPRINT_XOR) ==
	       rd32(buf + m->fingerprint_at + 4);
}

/* ---------------------------------------------------------------- building */

static void set_len(struct media__stun_w *w)
{
	if (!w->overflow)
		wr16(w->buf + 2, (uint16_t)(w->len - MEDIA__STUN_HDR));
}

/* Reserves an attribute of `vlen` value bytes (padded); NULL when it does not fit. */
static uint8_t *reserve(struct media__stun_w *w, uint16_t type, size_t vlen)
{
	size_t padded = (vlen + 3) & ~(size_t)3;
	uint8_t *p;

	if (w->overflow || vlen > 0xFFFF || w->cap - w->len < 4 + padded ||
	    w->len - MEDIA__STUN_HDR + 4 + padded > 0xFFFF) {
		w->overflow = true;
		return NULL;
	}
	p = w->buf + w->len;
	wr16(p, type);
	wr16(p + 2, (uint16_t)vlen);
	memset(p + 4, 0, padded);
	w->len += 4 + padded;
	set_len(w);
	return p + 4;
}

void media__stun_begin(struct media__stun_w *w, uint8_t *buf, size_t cap, uint16_t type,
		       const uint8_t txid[12])
{
	w->buf = buf;
	w->cap = cap;
	w->len = MEDIA__STUN_HDR;
	w->overflow = cap < MEDIA__STUN_HDR;
	if (w->overflow)
		return;
	wr16(buf, type);
	wr16(buf + 2, 0);
	wr32(buf + 4, MEDIA__STUN_COOKIE);
	memcpy(buf + 8, txid, 12);
}

void media__stun_put(struct media__stun_w *w, uint16_t type, const void *val, size_t len)
{
	uint8_t *p = reserve(w, type, len);

	if (p && len)
		memcpy(p, val, len);
}

void media__stun_put_u32(struct media__stun_w *w, uint16_t type, uint32_t v)
{
	uint8_t *p = reserve(w, type, 4);

	if (p)
		wr32(p, v);
}

void media__stun_put_u64(struct media__stun_w *w, uint16_t type, uint64_t v)
{
	uint8_t *p = reserve(w, type, 8);

	if (p) {
		wr32(p, (uint32_t)(v >> 32));
		wr32(p + 4, (uint32_t)v);
	}
}

void media__stun_put_xaddr(struct media__stun_w *w, const struct sockaddr_in *a)
{
	uint8_t *p = reserve(w, MEDIA__STUN_A_XOR_MAPPED_ADDRESS, 8);

	if (!p)
		return;
	p[1] = 1;
	wr16(p + 2, (uint16_t)(ntohs(a->sin_port) ^ (MEDIA__STUN_COOKIE >> 16)));
	wr32(p + 4, ntohl(a->sin_addr.s_addr) ^ MEDIA__STUN_COOKIE);
}

void media__stun_put_error(struct media__stun_w *w, uint16_t code, const char *reason)
{
	size_t rlen = reason ? strlen(reason) : 0;
	uint8_t *p;

	if (rlen > 128)
		rlen = 128;
	p = reserve(w, MEDIA__STUN_A_ERROR_CODE, 4 + rlen);
	if (!p)
		return;
	p[2] = (uint8_t)(code / 100 & 7);
	p[3] = (uint8_t)(code % 100);
	if (rlen)
		memcpy(p + 4, reason, rlen);
}

void media__stun_put_integrity(struct media__stun_w *w, const struct media__stun_key *k)
{
	size_t start = w->len;
	uint8_t *p = reserve(w, MEDIA__STUN_A_MESSAGE_INTEGRITY, HMAC_LEN);

	/* The header's length already counts this attribute, as the MAC requires. */
	if (p)
		hmac(k, w->buf, w->buf + MEDIA__STUN_HDR, start - MEDIA__STUN_HDR, p);
}

void media__stun_put_fingerprint(struct media__stun_w *w)
{
	size_t start = w->len;
	uint8_t *p = reserve(w, MEDIA__STUN_A_FINGERPRINT, 4);

	if (p)
		wr32(p, media__stun_crc32(w->buf, start) ^ FINGERPRINT_XOR);
}

int media__stun_finish(const struct media__stun_w *w, size_t *len)
{
	if (w->overflow)
		return ENOSPC;
	*len = w->len;
	return 0;
}
