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

/*
 * The guard is set-associative: an address hashes (SipHash with a key drawn at start,
 * so nobody outside can aim two addresses at one set) to a set of GUARD_WAYS slots and
 * may sit in any of them. A new address takes a free slot, else the slot of the address
 * heard from longest ago that is not blocked. A blocked address is never evicted before
 * its block ends, whatever else arrives: when every slot of its set is blocked, a new
 * address is simply not counted (logged by the caller through the return value).
 */
#define GUARD_WAYS 4

struct guard_slot {
	char addr[48];
	unsigned fails;
	uint64_t first_ms, last_ms, blocked_until_ms;
};

struct digest_guard {
	struct guard_slot *slots;
	size_t nsets;
	unsigned limit;
	uint64_t window_ms, block_ms;
	unsigned char key[crypto_shorthash_KEYBYTES];
};

int digest_guard_create(size_t slots, unsigned limit, uint64_t window_ms, uint64_t block_ms,
			struct digest_guard **out)
{
	struct digest_guard *g = calloc(1, sizeof(*g));

	if (!g)
		return ENOMEM;
	g->nsets = (slots + GUARD_WAYS - 1) / GUARD_WAYS;
	if (!g->nsets)
		g->nsets = 1;
	g->slots = calloc(g->nsets * GUARD_WAYS, sizeof(*g->slots));
	if (!g->slots) {
		free(g);
		return ENOMEM;
	}
	g->limit = limit;
	g->window_ms = window_ms;
	g->block_ms = block_ms;
	crypto_shorthash_keygen(g->key);
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

static struct guard_slot *guard_set(struct digest_guard *g, const char *addr)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t v = 0;

	crypto_shorthash(h, (const unsigned char *)addr, strlen(addr), g->key);
	for (size_t i = 0; i < sizeof(v); i++)
		v = v << 8 | h[i];
	return &g->slots[(v % g->nsets) * GUARD_WAYS];
}

/* The slot holding addr; with `claim`, a slot for it (NULL when every slot of its set
 * holds a block still running at now_ms). */
static struct guard_slot *guard_slot(struct digest_guard *g, const char *addr, bool claim,
				     uint64_t now_ms)
{
	struct guard_slot *set = guard_set(g, addr), *victim = NULL;

	for (size_t i = 0; i < GUARD_WAYS; i++)
		if (set[i].addr[0] && strcmp(set[i].addr, addr) == 0)
			return &set[i];
	if (!claim)
		return NULL;
	for (size_t i = 0; i < GUARD_WAYS; i++) {
		struct guard_slot *s = &set[i];
		if (!s->addr[0]) {
			victim = s;
			break;
		}
		if (s->blocked_until_ms > now_ms)
			continue;
		if (!victim || s->last_ms < victim->last_ms)
			victim = s;
	}
	if (!victim)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	snprintf(victim->addr, sizeof(victim->addr), "%s", addr);
	return victim;
}

bool digest_guard_blocked(struct digest_guard *g, const char *addr, uint64_t now_ms)
{
	struct guard_slot *s = guard_slot(g, addr, false, now_ms);

	return s && s->blocked_until_ms > now_ms;
}

bool digest_guard_fail(struct digest_guard *g, const char *addr, uint64_t now_ms)
{
	struct guard_slot *s = guard_slot(g, addr, true, now_ms);

	if (!s)
		return false;
	s->last_ms = now_ms;
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
	struct guard_slot *s = guard_slot(g, addr, false, 0);

	if (s)
		s->fails = 0;
}
