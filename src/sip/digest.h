/*
 * SIP digest authentication, server side (RFC 3261 §22, RFC 7616 algorithms as used by
 * RFC 8760): stateless nonces signed with a per-process key and carrying their birth
 * time, response checks with MD5 or SHA-256 against stored HA1 values, and a table of
 * addresses that failed too often. Pure: no I/O; time is passed in.
 */
#ifndef CENTRALA_SIP_DIGEST_H
#define CENTRALA_SIP_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum digest_alg { DIGEST_MD5, DIGEST_SHA256 };

/* What an Authorization header said, as parsed by sofia-sip (pointers are borrowed). */
struct digest_response {
	const char *username, *realm, *nonce, *uri, *response, *algorithm;
	const char *cnonce, *qop, *nc;
};

enum digest_result {
	DIGEST_OK,
	DIGEST_STALE, /* right password, expired nonce: challenge again with stale=true */
	DIGEST_BAD,   /* wrong response, foreign nonce or malformed */
};

struct digest_key {
	unsigned char k[32];
	uint32_t serial; /* of the next nonce: no two challenges share one */
};

/* Fills a fresh random signing key. */
void digest_key_init(struct digest_key *key);
/* Writes a new nonce for time `now_s` into buf (at least 64 bytes); each call gives a
 * different nonce. */
void digest_nonce_make(struct digest_key *key, int64_t now_s, char *buf, size_t size);
/* Checks a nonce: 0 valid, ETIMEDOUT older than ttl_s, EINVAL not ours. */
int digest_nonce_check(const struct digest_key *key, const char *nonce, int64_t now_s,
		       int64_t ttl_s);
/* Parses the algorithm name ("MD5" or absent, "SHA-256"); false for anything else. */
bool digest_alg_parse(const char *s, enum digest_alg *out);
/* Hex hash of "a:b:c..." pieces joined with ':' (NULL-terminated list) with `alg`. */
void digest_hash_join(enum digest_alg alg, char *out, const char *const *parts);

/*
 * Verifies a response for `method` against the stored HA1 for the response's algorithm
 * (ha1 is hex, MD5 or SHA-256 to match). Expired but otherwise valid → DIGEST_STALE.
 */
enum digest_result digest_verify(const struct digest_key *key, const struct digest_response *r,
				 const char *method, const char *ha1, int64_t now_s, int64_t ttl_s);

/*
 * True for user agents known to fail the whole request when a challenge they cannot
 * answer is offered beside one they can (RFC 8760 §2.4 says to use the first one they
 * support): baresip before 2.0 (libre's digest code knows MD5 only and stops with ENOSYS
 * at the SHA-256 challenge). These are challenged with MD5 alone.
 */
bool digest_ua_md5_only(const char *user_agent);

/* Builds the value of a WWW-/Proxy-Authenticate header:
 * Digest realm="...", nonce="...", algorithm=..., qop="auth"[, stale=true]. */
void digest_challenge(struct digest_key *key, const char *realm, enum digest_alg alg, bool stale,
		      int64_t now_s, char *buf, size_t size);

/*
 * Nonce-count replay protection (RFC 7616 §3.4.5 / RFC 2617 §3.2.2): for each nonce in
 * use, the highest nc of a response already accepted. A fixed table allocated once (no
 * allocation per request), set-associative; nonces stay stateless (nothing is stored
 * when a challenge is sent). When a live entry must make room, the table remembers the
 * newest birth time it has forgotten, and any nonce born then or before that it does not
 * hold is answered "stale" (the phone simply re-authenticates with a fresh nonce), so a
 * forgotten nonce can never be replayed. A response without qop counts as nc 1: such a
 * nonce serves once.
 */
struct digest_nc_table;
/* `slots` is rounded up to a multiple of 4. Returns 0 or ENOMEM. */
int digest_nc_create(size_t slots, struct digest_nc_table **out);
void digest_nc_free(struct digest_nc_table *t);
/*
 * Call after digest_verify() returned DIGEST_OK for `nonce` (one of ours, checked) and
 * nonce-count `nc` (1 to 8 hex digits, or NULL without qop). Returns 0 and remembers nc when
 * it is higher than every nc accepted before with this nonce; EALREADY when it is not (a
 * replay: answer as for a stale nonce); ESTALE when the table forgot this nonce to make
 * room; EINVAL for a malformed nc or nonce. now_s and ttl_s as for digest_verify.
 */
int digest_nc_accept(struct digest_nc_table *t, const char *nonce, const char *nc, int64_t now_s,
		     int64_t ttl_s);

/*
 * Addresses that fail authentication repeatedly are blocked for a while. A fixed table
 * allocated once, set-associative (4 ways) with a secret hash: one address's failures
 * cannot erase another's block, and a blocked address keeps its slot until the block
 * ends. When all the slots an address could use hold running blocks, its failures are
 * not counted (digest_guard_fail returns false) rather than freeing one early.
 */
struct digest_guard;
/* `slots` is rounded up to a multiple of 4. Returns 0 or ENOMEM. */
int digest_guard_create(size_t slots, unsigned limit, uint64_t window_ms, uint64_t block_ms,
			struct digest_guard **out);
void digest_guard_free(struct digest_guard *g);
/* True while `addr` is blocked. */
bool digest_guard_blocked(struct digest_guard *g, const char *addr, uint64_t now_ms);
/* Counts a failure; returns true when this failure blocked the address. */
bool digest_guard_fail(struct digest_guard *g, const char *addr, uint64_t now_ms);
/* A success clears the address's count (not a block). */
void digest_guard_ok(struct digest_guard *g, const char *addr);

#endif
