/*
 * The registrar for agent phones: REGISTER with digest authentication in the tenant's
 * realm, several contacts per user, refresh, un-register, expiry; and the brute-force
 * guard that blocks an address after repeated failures. Bindings live in memory only:
 * phones re-register within their expiry after a restart.
 */
#include "sip/sip_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sofia-sip/auth_digest.h>

#include "core/clock.h"
#include "core/log.h"

#define MIN_EXPIRES	30
#define DEFAULT_EXPIRES 3600
#define MAX_EXPIRES	7200

static uint32_t bucket_of(const char *domain, const char *user)
{
	uint32_t h = 2166136261u;

	for (const char *p = user; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ '@') * 16777619u;
	for (const char *p = domain; *p; p++)
		h = (h ^ (unsigned char)(*p | 0x20)) * 16777619u;
	return h % SIP_AOR_BUCKETS;
}

static struct sip_aor *aor_find(struct sip *s, const char *domain, const char *user, bool create)
{
	uint32_t b = bucket_of(domain, user);
	struct sip_aor *a;

	for (a = s->aors[b]; a; a = a->next)
		if (!strcmp(a->user, user) && !strcasecmp(a->domain, domain))
			return a;
	if (!create)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	snprintf(a->domain, sizeof(a->domain), "%s", domain);
	snprintf(a->user, sizeof(a->user), "%s", user);
	a->next = s->aors[b];
	s->aors[b] = a;
	return a;
}

void sip__aors_free(struct sip *s)
{
	for (size_t i = 0; i < SIP_AOR_BUCKETS; i++) {
		struct sip_aor *a = s->aors[i], *n;
		for (; a; a = n) {
			n = a->next;
			free(a);
		}
		s->aors[i] = NULL;
	}
}

static size_t aor_expire(struct sip_aor *a, int64_t now_s)
{
	size_t j = 0;

	for (size_t i = 0; i < a->n; i++)
		if (a->b[i].expires_s > now_s)
			a->b[j++] = a->b[i];
	a->n = j;
	return j;
}

/* Every AOR is read only when some binding may have expired: with thousands of phones
 * registered for an hour, a scan every 5 s was most of an idle server's CPU. */
void sip__sweep(struct sip *s, int64_t now_s)
{
	int64_t next = INT64_MAX;

	if (now_s < s->next_expiry_s)
		return;
	for (size_t i = 0; i < SIP_AOR_BUCKETS; i++)
		for (struct sip_aor *a = s->aors[i]; a; a = a->next) {
			size_t before = a->n;
			if (before && aor_expire(a, now_s) == 0) {
				log_info("sip", "event=registration_expired user=%s domain=%s",
					 a->user, a->domain);
				if (s->h.registration)
					s->h.registration(s->arg, a->cookie, a->domain, a->user, 0);
			}
			for (size_t j = 0; j < a->n; j++)
				if (a->b[j].expires_s < next)
					next = a->b[j].expires_s;
		}
	s->next_expiry_s = next;
}

size_t sip_contacts(struct sip *s, const char *domain, const char *user, const char **out,
		    size_t max)
{
	struct sip_aor *a = aor_find(s, domain, user, false);
	size_t n = 0;

	if (!a)
		return 0;
	aor_expire(a, clock_wall_ms() / 1000);
	for (size_t i = a->n; i > 0 && n < max; i--)
		out[n++] = a->b[i - 1].uri;
	return n;
}

void sip__source(const sip_t *sip, char *buf, size_t size)
{
	const sip_via_t *v = sip ? sip->sip_via : NULL;

	if (!v) {
		snprintf(buf, size, "unknown");
		return;
	}
	snprintf(buf, size, "%s:%s", v->v_received ? v->v_received : v->v_host,
		 v->v_rport && *v->v_rport ? v->v_rport : (v->v_port ? v->v_port : "5060"));
}

void sip__source_ip(const char *src, char *buf, size_t size)
{
	const char *colon = strrchr(src, ':');
	size_t n = colon ? (size_t)(colon - src) : strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(buf, src, n);
	buf[n] = '\0';
}

/* The digest's uri must name the request's Request-URI (RFC 3261 §22.4, RFC 7616
 * §3.4.6): the same text, or a URI that compares equal to it. */
static bool digest_uri_matches(su_home_t *home, const char *uri, const url_t *ruri)
{
	char *rs;
	url_t *u;

	if (!uri || !ruri)
		return false;
	if ((rs = url_as_string(home, ruri)) && !strcmp(rs, uri))
		return true;
	u = url_make(home, uri);
	return u && u->url_type != url_invalid && url_cmp_all(u, ruri) == 0;
}

enum digest_result sip__check_auth(struct sip *s, const sip_authorization_t *au, const char *realm,
				   const char *method, const url_t *ruri, const char *user_must,
				   struct sip_cred *cred, bool *found)
{
	su_home_t home[1] = {SU_HOME_INIT(home)};
	enum digest_result rc = DIGEST_BAD;
	int64_t now, ttl;

	*found = false;
	for (; au; au = au->au_next) {
		auth_response_t ar;
		memset(&ar, 0, sizeof(ar));
		ar.ar_size = sizeof(ar);
		struct digest_response r;
		enum digest_alg alg;
		if (!au->au_scheme || strcasecmp(au->au_scheme, "Digest"))
			continue;
		if (auth_digest_response_get(home, &ar, au->au_params) < 0)
			continue;
		if (!ar.ar_realm || strcasecmp(ar.ar_realm, realm))
			continue;
		*found = true;
		if (!ar.ar_username || (user_must && strcmp(ar.ar_username, user_must)))
			break;
		if (!digest_uri_matches(home, ar.ar_uri, ruri)) {
			log_warn("sip",
				 "event=digest_uri_mismatch method=%s user=%s realm=%s uri=\"%s\"",
				 method, ar.ar_username, realm, ar.ar_uri ? ar.ar_uri : "");
			break;
		}
		if (!digest_alg_parse(ar.ar_algorithm, &alg))
			break;
		if (s->h.lookup(s->arg, realm, ar.ar_username, cred))
			break;
		r = (struct digest_response){ar.ar_username, ar.ar_realm,    ar.ar_nonce,
					     ar.ar_uri,	     ar.ar_response, ar.ar_algorithm,
					     ar.ar_cnonce,   ar.ar_qop,	     ar.ar_nc};
		now = clock_wall_ms() / 1000;
		ttl = (int64_t)(s->cfg->nonce_ttl_ms / 1000);
		rc = digest_verify(&s->key, &r, method,
				   alg == DIGEST_SHA256 ? cred->ha1_sha256 : cred->ha1_md5, now,
				   ttl);
		if (rc != DIGEST_OK)
			break;
		/* The right answer, but has it been heard before? A replay (or a count
		 * gone backwards) is answered like a stale nonce: the phone that owns the
		 * password authenticates again at once; whoever copied the answer cannot. */
		switch (
		    digest_nc_accept(s->nc, ar.ar_nonce, ar.ar_qop ? ar.ar_nc : NULL, now, ttl)) {
		case 0:
			break;
		case EINVAL:
			rc = DIGEST_BAD;
			break;
		default:
			log_warn("sip", "event=digest_replay method=%s user=%s realm=%s nc=%s",
				 method, ar.ar_username, realm, ar.ar_nc ? ar.ar_nc : "-");
			rc = DIGEST_STALE;
			break;
		}
		break;
	}
	su_home_deinit(home);
	return rc;
}

void sip__challenge_headers(struct sip *s, const char *hname, const char *realm, bool stale,
			    bool md5_only, char *buf, size_t size)
{
	char md5[256], sha[256];
	int64_t now = clock_wall_ms() / 1000;

	digest_challenge(&s->key, realm, DIGEST_MD5, stale, now, md5, sizeof(md5));
	if (md5_only) {
		snprintf(buf, size, "%s: %s", hname, md5);
		return;
	}
	digest_challenge(&s->key, realm, DIGEST_SHA256, stale, now, sha, sizeof(sha));
	snprintf(buf, size, "%s: %s\r\n%s: %s", hname, md5, hname, sha);
}

static void respond(struct sip *s, nua_handle_t *nh, int status, const char *phrase, tag_type_t tag,
		    tag_value_t value, ...)
{
	ta_list ta;

	ta_start(ta, tag, value);
	nua_respond(nh, status, phrase, NUTAG_WITH_THIS(s->nua), ta_tags(ta));
	ta_end(ta);
	nua_handle_destroy(nh);
}

static int64_t contact_expires(const sip_contact_t *m, const sip_t *sip)
{
	int64_t e = DEFAULT_EXPIRES;

	if (m->m_expires)
		e = strtoll(m->m_expires, NULL, 10);
	else if (sip->sip_expires)
		e = (int64_t)sip->sip_expires->ex_delta;
	return e;
}

static void binding_set(struct sip_aor *a, const char *uri, const sip_t *sip, int64_t until)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (!strcmp(a->b[i].uri, uri))
			break;
	if (i == a->n) {
		if (a->n == SIP_MAX_CONTACTS) {
			/* Full: the oldest binding makes room. */
			memmove(&a->b[0], &a->b[1], (SIP_MAX_CONTACTS - 1) * sizeof(a->b[0]));
			i = SIP_MAX_CONTACTS - 1;
		} else {
			a->n++;
		}
	} else if (i != a->n - 1) {
		/* Refreshed: move to the end (freshest last). */
		struct sip_binding tmp = a->b[i];
		memmove(&a->b[i], &a->b[i + 1], (a->n - i - 1) * sizeof(a->b[0]));
		a->b[a->n - 1] = tmp;
		i = a->n - 1;
	}
	snprintf(a->b[i].uri, sizeof(a->b[i].uri), "%s", uri);
	snprintf(a->b[i].call_id, sizeof(a->b[i].call_id), "%s",
		 sip->sip_call_id ? sip->sip_call_id->i_id : "");
	a->b[i].cseq = sip->sip_cseq ? sip->sip_cseq->cs_seq : 0;
	a->b[i].expires_s = until;
}

static void binding_del(struct sip_aor *a, const char *uri)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->b[i].uri, uri)) {
			memmove(&a->b[i], &a->b[i + 1], (a->n - i - 1) * sizeof(a->b[0]));
			a->n--;
			return;
		}
}

void sip__register(struct sip *s, nua_handle_t *nh, const sip_t *sip)
{
	su_home_t home[1] = {SU_HOME_INIT(home)};
	char src[80], ip[64], hdrs[700], contacts[SIP_MAX_CONTACTS * 300];
	const char *domain, *user;
	struct sip_cred cred;
	struct sip_aor *a;
	enum digest_result dr;
	bool found;
	int64_t now = clock_wall_ms() / 1000;
	uint64_t now_ms = clock_mono_ms();
	size_t before;

	sip__source(sip, src, sizeof(src));
	sip__source_ip(src, ip, sizeof(ip));
	if (!sip->sip_to || !sip->sip_to->a_url->url_user || !sip->sip_to->a_url->url_host) {
		respond(s, nh, 400, "Missing To user", TAG_END());
		goto out;
	}
	domain = sip->sip_to->a_url->url_host;
	user = sip->sip_to->a_url->url_user;
	if (digest_guard_blocked(s->guard, ip, now_ms)) {
		s->stats.blocked++;
		respond(s, nh, 403, "Forbidden", TAG_END());
		goto out;
	}
	dr = sip__check_auth(s, sip->sip_authorization, domain, "REGISTER",
			     sip->sip_request ? sip->sip_request->rq_url : NULL, user, &cred,
			     &found);
	if (dr != DIGEST_OK) {
		if (found && dr == DIGEST_BAD) {
			s->stats.registers_failed++;
			log_warn("sip", "event=register_auth_failed user=%s domain=%s source=%s",
				 user, domain, src);
			if (digest_guard_fail(s->guard, ip, now_ms))
				log_warn("sip", "event=address_blocked source=%s for_s=%llu", ip,
					 (unsigned long long)(s->cfg->auth_block_ms / 1000));
		}
		sip__challenge_headers(
		    s, "WWW-Authenticate", domain, dr == DIGEST_STALE,
		    digest_ua_md5_only(sip->sip_user_agent ? sip->sip_user_agent->g_string : NULL),
		    hdrs, sizeof(hdrs));
		respond(s, nh, 401, "Unauthorized", SIPTAG_HEADER_STR(hdrs), TAG_END());
		goto out;
	}
	digest_guard_ok(s->guard, ip);
	a = aor_find(s, domain, user, true);
	if (!a) {
		respond(s, nh, 500, "Out of memory", TAG_END());
		goto out;
	}
	a->cookie = cred.cookie;
	aor_expire(a, now);
	before = a->n;
	for (const sip_contact_t *m = sip->sip_contact; m; m = m->m_next) {
		int64_t e;
		char *uri;
		if (m->m_url->url_type == url_any) { /* Contact: * */
			if (!sip->sip_expires || sip->sip_expires->ex_delta != 0) {
				respond(s, nh, 400, "Contact * needs Expires: 0", TAG_END());
				goto out;
			}
			a->n = 0;
			break;
		}
		e = contact_expires(m, sip);
		uri = url_as_string(home, m->m_url);
		if (!uri)
			continue;
		if (e == 0) {
			binding_del(a, uri);
			continue;
		}
		if (e < MIN_EXPIRES) {
			char me[32];
			snprintf(me, sizeof(me), "%d", MIN_EXPIRES);
			respond(s, nh, 423, "Interval Too Brief", SIPTAG_MIN_EXPIRES_STR(me),
				TAG_END());
			goto out;
		}
		if (e > MAX_EXPIRES)
			e = MAX_EXPIRES;
		binding_set(a, uri, sip, now + e);
		if (now + e < s->next_expiry_s)
			s->next_expiry_s = now + e;
	}
	contacts[0] = '\0';
	for (size_t i = 0; i < a->n; i++) {
		size_t l = strlen(contacts);
		snprintf(contacts + l, sizeof(contacts) - l, "%s<%s>;expires=%lld", i ? ", " : "",
			 a->b[i].uri, (long long)(a->b[i].expires_s - now));
	}
	s->stats.registers_ok++;
	log_info("sip", "event=registered user=%s domain=%s source=%s contacts=%zu", user, domain,
		 src, a->n);
	if (a->n)
		respond(s, nh, 200, "OK", SIPTAG_CONTACT_STR(contacts), TAG_END());
	else
		respond(s, nh, 200, "OK", TAG_END());
	if (before != a->n && s->h.registration)
		s->h.registration(s->arg, a->cookie, a->domain, a->user, a->n);
out:
	su_home_deinit(home);
}
