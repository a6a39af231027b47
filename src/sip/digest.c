/*
 * Digest authentication arithmetic and the brute-force guard. Nonces are
 * "<seconds hex><serial: 8 hex>.<HMAC-SHA256 prefix hex>": nothing is stored per
 * challenge, a restart invalidates them all (phones simply re-authenticate), expiry is
 * checked exactly, and the serial makes every challenge's nonce different, so that the
 * nonce-count table (digest_nc.c) tells phones challenged in the same second apart.
 */
#include "sip/digest.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void digest_key_init(struct digest_key *key)
{
	randombytes_buf(key->k, sizeof(key->k));
	key->serial = 0;
}

static void hexify(const unsigned char *in, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static void nonce_mac(const struct digest_key *key, const char *stamp, size_t len, char out[33])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256(mac, (const unsigned char *)stamp, len, key->k);
	hexify(mac, 16, out);
}

void digest_nonce_make(struct digest_key *key, int64_t now_s, char *buf, size_t size)
{
	char stamp[32], mac[33];
	int n =
	    snprintf(stamp, sizeof(stamp), "%" PRIx64 "%08" PRIx32, (uint64_t)now_s, key->serial++);

	nonce_mac(key, stamp, (size_t)n, mac);
	snprintf(buf, size, "%s.%s", stamp, mac);
}

int digest_nonce_check(const struct digest_key *key, const char *nonce, int64_t now_s,
		       int64_t ttl_s)
{
	const char *dot = nonce ? strchr(nonce, '.') : NULL;
	char mac[33], born_hex[17], *end;
	uint64_t born;
	size_t stamp_len = dot ? (size_t)(dot - nonce) : 0;

	/* The stamp is the birth time in hex (1 to 16 digits) and 8 digits of serial. */
	if (!dot || stamp_len < 9 || stamp_len > 24 || strlen(dot + 1) != 32)
		return EINVAL;
	nonce_mac(key, nonce, stamp_len, mac);
	if (sodium_memcmp(mac, dot + 1, 32) != 0)
		return EINVAL;
	memcpy(born_hex, nonce, stamp_len - 8);
	born_hex[stamp_len - 8] = '\0';
	born = strtoull(born_hex, &end, 16);
	if (*end || end == born_hex)
		return EINVAL;
	if ((int64_t)born > now_s + 5 || now_s - (int64_t)born > ttl_s)
		return ETIMEDOUT;
	return 0;
}

bool digest_alg_parse(const char *s, enum digest_alg *out)
{
	if (!s || !*s || !strcasecmp(s, "MD5")) {
		*out = DIGEST_MD5;
		return true;
	}
	if (!strcasecmp(s, "SHA-256")) {
		*out = DIGEST_SHA256;
		return true;
	}
	return false;
}

void digest_hash_join(enum digest_alg alg, char *out, const char *const *parts)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	out[0] = '\0';
	if (!ctx)
		return;
	EVP_DigestInit_ex(ctx, alg == DIGEST_SHA256 ? EVP_sha256() : EVP_md5(), NULL);
	for (size_t i = 0; parts[i]; i++) {
		if (i)
			EVP_DigestUpdate(ctx, ":", 1);
		EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]));
	}
	EVP_DigestFinal_ex(ctx, h, &n);
	EVP_MD_CTX_free(ctx);
	hexify(h, n, out);
}

enum digest_result digest_verify(const struct digest_key *key, const struct digest_response *r,
				 const char *method, const char *ha1, int64_t now_s, int64_t ttl_s)
{
	enum digest_alg alg;
	char ha2[65], expect[65];
	int nonce_rc;
	size_t len;

	if (!r->username || !r->nonce || !r->uri || !r->response || !ha1 || !*ha1)
		return DIGEST_BAD;
	if (!digest_alg_parse(r->algorithm, &alg))
		return DIGEST_BAD;
	len = alg == DIGEST_SHA256 ? 64 : 32;
	if (strlen(ha1) != len || strlen(r->response) != len)
		return DIGEST_BAD;
	nonce_rc = digest_nonce_check(key, r->nonce, now_s, ttl_s);
	if (nonce_rc == EINVAL)
		return DIGEST_BAD;
	digest_hash_join(alg, ha2, (const char *const[]){method, r->uri, NULL});
	if (r->qop) {
		if (strcasecmp(r->qop, "auth") || !r->nc || !r->cnonce)
			return DIGEST_BAD;
		digest_hash_join(
		    alg, expect,
		    (const char *const[]){ha1, r->nonce, r->nc, r->cnonce, "auth", ha2, NULL});
	} else {
		digest_hash_join(alg, expect, (const char *const[]){ha1, r->nonce, ha2, NULL});
	}
	/* Case-insensitive hex compare in constant time. */
	unsigned char diff = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char a = (unsigned char)expect[i], b = (unsigned char)r->response[i];
		if (b >= 'A' && b <= 'F')
			b = (unsigned char)(b + 32);
		diff |= (unsigned char)(a ^ b);
	}
	if (diff)
		return DIGEST_BAD;
	return nonce_rc == ETIMEDOUT ? DIGEST_STALE : DIGEST_OK;
}

bool digest_ua_md5_only(const char *ua)
{
	return ua && (!strncmp(ua, "baresip v0.", 11) || !strncmp(ua, "baresip v1.", 11));
}

void digest_challenge(struct digest_key *key, const char *realm, enum digest_alg alg, bool stale,
		      int64_t now_s, char *buf, size_t size)
{
	char nonce[64];

	digest_nonce_make(key, now_s, nonce, sizeof(nonce));
	snprintf(buf, size, "Digest realm=\"%s\", nonce=\"%s\", algorithm=%s, qop=\"auth\"%s",
		 realm, nonce, alg == DIGEST_SHA256 ? "SHA-256" : "MD5",
		 stale ? ", stale=true" : "");
}

struct guard_slot {
	char addr[48];
	unsigned fails;
	uint64_t first_ms, blocked_until_ms;
};

struct digest_guard {
	struct guard_slot *slots;
	size_t n;
	unsigned limit;
	uint64_t window_ms, block_ms;
};

int digest_guard_create(size_t slots, unsigned limit, uint64_t window_ms, uint64_t block_ms,
			struct digest_guard **out)
{
	struct digest_guard *g = calloc(1, sizeof(*g));

	if (!g)
		return ENOMEM;
	g->slots = calloc(slots, sizeof(*g->slots));
	if (!g->slots) {
		free(g);
		return ENOMEM;
	}
	g->n = slots;
	g->limit = limit;
	g->window_ms = window_ms;
	g->block_ms = block_ms;
	*out = g;
	return 0;
}

void digest_guard_free(struct digest_guard *g)
{
	if (!g)
		return;
	free(g->slots);
	free(g);
}

/* FNV-1a; the table is small and direct-mapped: a collision evicts the older address,
 * which at worst forgets some failures of a quiet address. */
static struct guard_slot *guard_slot(struct digest_guard *g, const char *addr, bool claim)
{
	uint32_t h = 2166136261u;
	struct guard_slot *s;

	for (const char *p = addr; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	s = &g->slots[h % g->n];
	if (strcmp(s->addr, addr) == 0)
		return s;
	if (!claim)
		return NULL;
	memset(s, 0, sizeof(*s));
	snprintf(s->addr, sizeof(s->addr), "%s", addr);
	return s;
}

bool digest_guard_blocked(struct digest_guard *g, const char *addr, uint64_t now_ms)
{
	struct guard_slot *s = guard_slot(g, addr, false);

	return s && s->blocked_until_ms > now_ms;
}

bool digest_guard_fail(struct digest_guard *g, const char *addr, uint64_t now_ms)
{
	struct guard_slot *s = guard_slot(g, addr, true);

	if (s->fails == 0 || now_ms - s->first_ms > g->window_ms) {
		s->fails = 0;
		s->first_ms = now_ms;
	}
	if (++s->fails >= g->limit) {
		s->blocked_until_ms = now_ms + g->block_ms;
		s->fails = 0;
		return true;
	}
	return false;
}

void digest_guard_ok(struct digest_guard *g, const char *addr)
{
	struct guard_slot *s = guard_slot(g, addr, false);

	if (s)
		s->fails = 0;
}
