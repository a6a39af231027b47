/*
 * Sessions and login limits, on the service thread only. A token is 256 random bits
 * shown once (base64url); the table keeps only its BLAKE2b hash, so a memory dump or a
 * log never yields a usable token. Tokens expire after session_idle_s unused and
 * session_max_s after login. Failed logins are counted per address and per user; past
 * login_fail_max the address or user is refused for login_block_s, like SIP digest.
 */
#include "api/api_int.h"

#include <errno.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

#define DEF(v, d) ((v) ? (v) : (d))
#define NBUCKETS  4096

struct api_fail {
	unsigned n;
	int64_t until_ms; /* blocked until, 0: not blocked */
	int64_t last_ms;
	struct api_fail *next;
};

int api__sessions_init(struct api *a)
{
	a->sessions = calloc(NBUCKETS, sizeof(*a->sessions));
	if (!a->sessions || sodium_init() < 0)
		return ENOMEM;
	return strmap_create(256, &a->login_fails);
}

void api__sessions_free(struct api *a)
{
	for (size_t i = 0; a->sessions && i < NBUCKETS; i++) {
		struct api_session *s = a->sessions[i], *n;
		for (; s; s = n) {
			n = s->next;
			sodium_memzero(s, sizeof(*s));
			free(s);
		}
	}
	free(a->sessions);
	a->sessions = NULL;
	/* The map has no walk: its values are freed from the list kept alongside. */
	while (a->fail_list) {
		struct api_fail *f = a->fail_list;
		a->fail_list = f->next;
		free(f);
	}
	strmap_free(a->login_fails);
	a->login_fails = NULL;
}

static size_t bucket(const unsigned char h[32])
{
	return ((size_t)h[0] | (size_t)h[1] << 8) & (NBUCKETS - 1);
}

static void token_hash(const char *tok, unsigned char out[32])
{
	crypto_generichash(out, 32, (const unsigned char *)tok, strlen(tok), NULL, 0);
}

struct api_session *api__session_token(struct api *a, const char *tok)
{
	unsigned char h[32];
	struct api_session *s;
	int64_t now = clock_wall_ms();

	if (!tok || strlen(tok) < 20 || strlen(tok) > 128)
		return NULL;
	token_hash(tok, h);
	for (s = a->sessions[bucket(h)]; s; s = s->next)
		if (!sodium_memcmp(s->hash, h, 32))
			break;
	if (!s)
		return api__key_find(a, h); /* an API key: no expiry */
	if (s->revoked)
		return NULL;
	if (now - s->used_ms > (int64_t)DEF(a->c.session_idle_s, 8 * 3600) * 1000 ||
	    now - s->created_ms > (int64_t)DEF(a->c.session_max_s, 24 * 3600) * 1000)
		return NULL; /* expired: swept by api__sessions_expire */
	s->used_ms = now;
	return s;
}

struct api_session *api__session(struct api *a, struct api_conn *conn)
{
	char hdr[256], q[160];
	const char *tok = NULL;

	if (lws_hdr_copy(conn->wsi, hdr, sizeof(hdr), WSI_TOKEN_HTTP_AUTHORIZATION) > 7 &&
	    !strncasecmp(hdr, "Bearer ", 7))
		tok = hdr + 7;
	else
		tok = api__query(conn, "token", q, sizeof(q));
	return api__session_token(a, tok);
}

int api__session_new(struct api *a, const char *tenant, const char *user, uint32_t roles,
		     char tok[64])
{
	unsigned char raw[32];
	struct api_session *s = calloc(1, sizeof(*s));
	size_t b;

	if (!s)
		return ENOMEM;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(tok, 64, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	token_hash(tok, s->hash);
	snprintf(s->tenant, sizeof(s->tenant), "%s", tenant);
	snprintf(s->user, sizeof(s->user), "%s", user);
	s->roles = roles;
	s->created_ms = s->used_ms = s->bucket_ms = clock_wall_ms();
	s->tokens = 4.0 * DEF(a->c.rate_per_s, 1000);
	b = bucket(s->hash);
	s->next = a->sessions[b];
	a->sessions[b] = s;
	atomic_fetch_add(&a->n_sessions, 1);
	log_info("api", "tenant=%s event=login user=%s", tenant, user);
	return 0;
}

void api__session_drop(struct api *a, struct api_session *s)
{
	struct api_session **pp = &a->sessions[bucket(s->hash)];

	if (s->key)
		return; /* an API key is revoked by DELETE /api/v1/keys/{id} only */
	if (s->nws) {
		/* Its sockets are closing; the sweep frees it once they are gone. */
		s->revoked = true;
		api__ws_kill_session(a, s);
		log_info("api", "tenant=%s event=logout user=%s", s->tenant, s->user);
		return;
	}
	for (; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			log_info("api", "tenant=%s event=logout user=%s", s->tenant, s->user);
			sodium_memzero(s, sizeof(*s));
			free(s);
			atomic_fetch_sub(&a->n_sessions, 1);
			return;
		}
}

void api__sessions_expire(struct api *a)
{
	static size_t cursor;
	int64_t now = clock_wall_ms();
	int64_t idle = (int64_t)DEF(a->c.session_idle_s, 8 * 3600) * 1000;
	int64_t max = (int64_t)DEF(a->c.session_max_s, 24 * 3600) * 1000;

	/* A few buckets per tick: expiry costs nothing per request. */
	for (int k = 0; k < 64; k++, cursor = (cursor + 1) & (NBUCKETS - 1)) {
		struct api_session **pp = &a->sessions[cursor];
		while (*pp) {
			struct api_session *s = *pp;
			if (!s->nws &&
			    (s->revoked || now - s->used_ms > idle || now - s->created_ms > max)) {
				*pp = s->next;
				sodium_memzero(s, sizeof(*s));
				free(s);
				atomic_fetch_sub(&a->n_sessions, 1);
			} else {
				pp = &s->next;
			}
		}
	}
}

bool api__rate_ok(struct api *a, struct api_session *s)
{
	double rate = DEF(a->c.rate_per_s, 1000);
	int64_t now = clock_wall_ms();

	s->tokens += (double)(now - s->bucket_ms) * rate / 1000.0;
	if (s->tokens > 4 * rate)
		s->tokens = 4 * rate;
	s->bucket_ms = now;
	if (s->tokens < 1)
		return false;
	s->tokens -= 1;
	return true;
}

static struct api_fail *fail_get(struct api *a, const char *k1, const char *k2, bool create)
{
	struct api_fail *f =
	    k2 ? strmap_get2(a->login_fails, k1, k2) : strmap_get(a->login_fails, k1);

	if (f || !create)
		return f;
	/* Bounded: the map never shrinks, so after this many distinct keys new failures are
	 * no longer tracked by key (the per-address limit of known addresses still holds). */
	if (strmap_count(a->login_fails) >= 100000 || !(f = calloc(1, sizeof(*f))))
		return NULL;
	if (k2 ? strmap_put2(a->login_fails, k1, k2, f) : strmap_put(a->login_fails, k1, f)) {
		free(f);
		return NULL;
	}
	f->next = a->fail_list;
	a->fail_list = f;
	return f;
}

static bool fail_blocked(const struct api_fail *f, int64_t now)
{
	return f && f->until_ms > now;
}

bool api__login_blocked(struct api *a, const char *addr, const char *tenant, const char *user)
{
	int64_t now = clock_wall_ms();

	return fail_blocked(fail_get(a, addr, NULL, false), now) ||
	       fail_blocked(fail_get(a, tenant, user, false), now);
}

/* An address gets four times a user's allowance: many agents may sit behind one NAT. */
static void fail_count(struct api *a, struct api_fail *f, int64_t now, unsigned factor)
{
	if (!f)
		return;
	if (now - f->last_ms > (int64_t)DEF(a->c.login_block_s, 300) * 1000)
		f->n = 0;
	f->last_ms = now;
	if (++f->n >= factor * DEF(a->c.login_fail_max, 5)) {
		f->until_ms = now + (int64_t)DEF(a->c.login_block_s, 300) * 1000;
		f->n = 0;
	}
}

void api__login_failed(struct api *a, const char *addr, const char *tenant, const char *user)
{
	int64_t now = clock_wall_ms();

	fail_count(a, fail_get(a, addr, NULL, true), now, 4);
	fail_count(a, fail_get(a, tenant, user, true), now, 1);
	log_warn("api", "tenant=%s event=login_failed user=%s addr=%s", tenant, user, addr);
}

void api__login_ok(struct api *a, const char *tenant, const char *user)
{
	struct api_fail *f = fail_get(a, tenant, user, false);

	if (f)
		f->n = 0;
}
