/*
 * Who may make the server dial out, where, how often, and through which trunk. A contact center's
 * trunks cost money per minute and its numbers are public, so the number a call presents is trusted
 * only when something vouches for it: an authenticated phone, or a carrier sending from one of its
 * trunk's configured addresses (P-Asserted-Identity, else From). Callbacks and virtual hold dial
 * only such numbers. The trunk for a call that names none is the tenant's choice: the longest
 * matching `outbound.routes` prefix, else `outbound.trunk`, else the first trunk.
 *
 * Every leg the server places through a trunk, whatever asked for it (a phone, a flow's
 * transfer, a queue's overflow, a callback, the API's click-to-dial, transfers and
 * consultations, later campaigns), passes one
 * check first, eng__outbound_check: the destination's prefix against the tenant's
 * allowed and blocked ones (premium-rate and satellite ranges blocked by default), the
 * calling hours for agent-dialled calls (a phone's, the API's, a transfer's, a
 * campaign's), the cap on concurrent outside legs (each leg counts, a consultation on a
 * call that already has one included, until that leg ends), and the calls per hour of
 * the tenant and of the user who dialled or asked for the leg. A refusal is logged with its reason
 * and goes on the call's timeline.
 */
#include "engine/engine_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "crm/crm.h"

/* The address part of "ip:port", "[v6]:port" or a bare address. */
static void source_ip(const char *source, char *out, size_t size)
{
	const char *end;
	size_t n;

	out[0] = '\0';
	if (!source)
		return;
	if (*source == '[') {
		end = strchr(source, ']');
		n = end ? (size_t)(end - source - 1) : 0;
		source++;
	} else {
		end = strrchr(source, ':');
		/* "a:b:c" without brackets is an IPv6 address with no port. */
		n = end && strchr(source, ':') == end ? (size_t)(end - source) : strlen(source);
	}
	if (n >= size)
		n = size - 1;
	memcpy(out, source, n);
	out[n] = '\0';
}

bool eng__addr_match(const char *ip, const char *pattern)
{
	unsigned char a[16], b[16];
	char net[64];
	const char *slash = strchr(pattern, '/');
	size_t n = slash ? (size_t)(slash - pattern) : strlen(pattern);
	int fam = strchr(ip, ':') ? AF_INET6 : AF_INET;
	long bits;

	if (n == 0 || n >= sizeof(net))
		return false;
	memcpy(net, pattern, n);
	net[n] = '\0';
	if ((strchr(net, ':') ? AF_INET6 : AF_INET) != fam || inet_pton(fam, ip, a) != 1 ||
	    inet_pton(fam, net, b) != 1)
		return false;
	bits = slash ? strtol(slash + 1, NULL, 10) : (fam == AF_INET ? 32 : 128);
	for (long i = 0; i < bits / 8; i++)
		if (a[i] != b[i])
			return false;
	if (bits % 8) {
		unsigned char mask = (unsigned char)(0xff << (8 - bits % 8));
		if ((a[bits / 8] & mask) != (b[bits / 8] & mask))
			return false;
	}
	return true;
}

/* The host of a trunk URI "sip:host[:port][;params]" (an IPv6 host in brackets). */
static void trunk_host(const char *uri, char *out, size_t size)
{
	const char *h = strncmp(uri, "sip:", 4) ? uri : uri + 4;
	const char *at = strchr(h, '@');
	size_t n;

	if (at)
		h = at + 1;
	if (*h == '[') {
		h++;
		n = strcspn(h, "]");
	} else {
		n = strcspn(h, ":;>");
	}
	if (n >= size)
		n = size - 1;
	memcpy(out, h, n);
	out[n] = '\0';
}

bool eng__trunk_from(const struct cfg_trunk *tk, const char *source)
{
	char ip[64], host[128];

	source_ip(source, ip, sizeof(ip));
	if (!ip[0])
		return false;
	if (tk->ninbound_from) {
		for (size_t i = 0; i < tk->ninbound_from; i++)
			if (eng__addr_match(ip, tk->inbound_from[i]))
				return true;
		return false;
	}
	trunk_host(tk->uri, host, sizeof(host));
	return eng__addr_match(ip, host);
}

const struct cfg_trunk *eng__trunk_of_source(const struct cfg_tenant *ct, const char *source)
{
	for (size_t i = 0; i < ct->ntrunks; i++)
		if (eng__trunk_from(&ct->trunks[i], source))
			return &ct->trunks[i];
	return NULL;
}

bool eng__inbound_restricted(const struct cfg_tenant *ct)
{
	for (size_t i = 0; i < ct->ntrunks; i++)
		if (ct->trunks[i].ninbound_from)
			return true;
	return false;
}

/* Digits of a number or prefix without its '+': prefixes compare digit for digit. */
static const char *digits_of(const char *s)
{
	return *s == '+' ? s + 1 : s;
}

static bool has_prefix(const char *key, const char *prefix)
{
	const char *p = digits_of(prefix);

	return strncmp(digits_of(key), p, strlen(p)) == 0;
}

void eng__dest_key(const struct cfg_tenant *ct, const char *number, char *out, size_t size)
{
	char e164[CRM_E164_SIZE];

	if (!crm_phone_e164(number, ct->country, e164))
		snprintf(out, size, "%s", e164);
	else if (!strncmp(number, "00", 2))
		snprintf(out, size, "+%s", number + 2);
	else
		snprintf(out, size, "%s", number);
}

const struct cfg_trunk *eng__trunk_choose(const struct cfg_tenant *ct, const char *number,
					  const char *requested)
{
	const struct cfg_outbound *o = &ct->outbound;
	const struct cfg_route *best = NULL;
	char key[64];

	if (requested)
		return cfg_trunk_find(ct, requested);
	eng__dest_key(ct, number ? number : "", key, sizeof(key));
	for (size_t i = 0; i < o->nroutes; i++) {
		const struct cfg_route *r = &o->routes[i];
		if (has_prefix(key, r->prefix) &&
		    (!best || strlen(digits_of(r->prefix)) > strlen(digits_of(best->prefix))))
			best = r;
	}
	if (best)
		return cfg_trunk_find(ct, best->trunk);
	if (o->trunk)
		return cfg_trunk_find(ct, o->trunk);
	return ct->ntrunks ? &ct->trunks[0] : NULL;
}

void eng__call_identity(struct call *c, const struct sip_invite_info *info)
{
	const struct cfg_trunk *tk;
	const char *who = NULL, *by = NULL;

	if (info->auth_cookie) {
		who = info->from_user;
		by = "phone";
	} else if ((tk = eng__trunk_of_source(c->t->ct, info->source))) {
		who = info->pai_user && info->pai_user[0] ? info->pai_user : info->from_user;
		by = tk->id;
	}
	if (who && who[0]) {
		snprintf(c->cli, sizeof(c->cli), "%s", who);
		log_info("engine", "tenant=%s call=%llu event=identity number=%s by=%s",
			 c->t->ct->id, (unsigned long long)c->id, c->cli, by);
	}
}

/*
 * Premium-rate and satellite ranges, blocked unless `outbound.block_defaults: false`:
 * Inmarsat (+870), global mobile satellite (+881), international networks (+882, +883),
 * international premium rate (+979), and the national premium ranges most abused in
 * toll fraud where the tenant's country makes national numbers comparable (NANP 900 and
 * 976, UK 09, PL 70x, DE 0900 and 0137, FR 089, IT 899, ES 803/806/807/905, AT 0900 and
 * 0930, CH 0900 and 0901, NL 0900).
 */
static const char *const default_blocked[] = {
    "+870",   "+881",	"+882",	  "+883",   "+979",   "+1900",	"+1976",  "+449",
    "+4870",  "+49900", "+49137", "+3389",  "+39899", "+34803", "+34806", "+34807",
    "+34905", "+43900", "+43930", "+41900", "+41901", "+3190",	NULL};

const char *eng__outbound_refusal(const struct cfg_tenant *ct, const char *number)
{
	const struct cfg_outbound *o = &ct->outbound;
	char key[64];
	size_t n = 0;
	bool allowed;

	if (!number)
		return "invalid_number";
	for (const char *p = *number == '+' ? number + 1 : number; *p; p++, n++)
		if (*p < '0' || *p > '9')
			return "invalid_number";
	if (n < 2 || n > 20)
		return "invalid_number";
	eng__dest_key(ct, number, key, sizeof(key));
	for (size_t i = 0; o->block_defaults && default_blocked[i]; i++)
		if (has_prefix(key, default_blocked[i]))
			return "blocked_prefix";
	for (size_t i = 0; i < o->nblock; i++)
		if (has_prefix(key, o->block[i]))
			return "blocked_prefix";
	allowed = !o->nallow;
	for (size_t i = 0; i < o->nallow && !allowed; i++)
		allowed = has_prefix(key, o->allow[i]);
	return allowed ? NULL : "not_allowed_prefix";
}

/* Calls per hour as 60 one-minute buckets: the count covers the last 60 to 61 minutes. */
static void rate_advance(struct eng_rate *r, int64_t now_ms)
{
	int64_t minute = now_ms / 60000;

	if (minute - r->minute >= 60)
		memset(r->n, 0, sizeof(r->n));
	else
		for (int64_t m = r->minute + 1; m <= minute; m++)
			r->n[m % 60] = 0;
	if (minute > r->minute)
		r->minute = minute;
}

unsigned eng__rate_count(struct eng_rate *r, int64_t now_ms)
{
	unsigned sum = 0;

	rate_advance(r, now_ms);
	for (size_t i = 0; i < 60; i++)
		sum += r->n[i];
	return sum;
}

void eng__rate_add(struct eng_rate *r, int64_t now_ms)
{
	rate_advance(r, now_ms);
	if (r->n[r->minute % 60] < UINT16_MAX)
		r->n[r->minute % 60]++;
}

static const char *const via_names[] = {
    [ENG_VIA_PHONE] = "phone",	     [ENG_VIA_TRANSFER] = "transfer", [ENG_VIA_FLOW] = "flow",
    [ENG_VIA_OVERFLOW] = "overflow", [ENG_VIA_CALLBACK] = "callback", [ENG_VIA_API] = "api",
    [ENG_VIA_CAMPAIGN] = "campaign",
};

const char *eng__via_name(enum eng_via via)
{
	return via < sizeof(via_names) / sizeof(via_names[0]) && via_names[via] ? via_names[via]
										: "?";
}

/* Why the rules refuse this leg now, or NULL. */
static const char *verdict(struct call *c, const char *number, enum eng_via via,
			   struct eng_user *user, int64_t now)
{
	struct eng_tenant *t = c->t;
	const struct cfg_outbound *o = &t->ct->outbound;
	const char *why = eng__outbound_refusal(t->ct, number);

	if (!why && o->hours &&
	    (via == ENG_VIA_PHONE || via == ENG_VIA_API || via == ENG_VIA_TRANSFER ||
	     via == ENG_VIA_CAMPAIGN)) {
		const struct ivr_calendar *cal = eng__calendar(t, o->hours);
		if (cal && !ivr_calendar_is_open(cal, now))
			why = "outside_hours";
	}
	/* Every leg takes a slot: a consultation or a conference on a call that already
	 * has an outside leg is one more line to the carrier. */
	if (!why && ((o->max_concurrent && t->ob_active >= (unsigned long)o->max_concurrent) ||
		     c->ob_pending + c->ob_n >= sizeof(c->ob_legs) / sizeof(c->ob_legs[0])))
		why = "concurrent_cap";
	if (!why && o->per_hour && eng__rate_count(&t->ob_hour, now) >= (unsigned long)o->per_hour)
		why = "tenant_hour_cap";
	if (!why && user && o->per_user_hour &&
	    eng__rate_count(&user->ob_hour, now) >= (unsigned long)o->per_user_hour)
		why = "user_hour_cap";
	if (why) {
		log_warn("engine",
			 "tenant=%s call=%llu event=outbound_refused reason=%s via=%s number=%s "
			 "user=%s",
			 t->ct->id, (unsigned long long)c->id, why, eng__via_name(via),
			 number ? number : "", user ? user->cu->username : "-");
		eng__timeline(c, "outbound_refused", "reason", why);
	}
	return why;
}

int eng__outbound_check(struct call *c, const char *number, enum eng_via via, struct eng_user *user)
{
	struct eng_tenant *t = c->t;
	int64_t now = clock_wall_ms();

	if (verdict(c, number, via, user, now))
		return EPERM;
	eng__rate_add(&t->ob_hour, now);
	if (user)
		eng__rate_add(&user->ob_hour, now);
	c->ob_pending++;
	t->ob_active++;
	return 0;
}

int eng__outbound_precheck(struct call *c, const char *number, enum eng_via via,
			   struct eng_user *user)
{
	return verdict(c, number, via, user, clock_wall_ms()) ? EPERM : 0;
}

static void slot_free(struct call *c)
{
	if (c->t->ob_active)
		c->t->ob_active--;
}

void eng__outbound_placed(struct call *c, struct sip_leg *leg)
{
	if (!c->ob_pending)
		return;
	c->ob_pending--;
	c->ob_legs[c->ob_n++] = leg;
}

void eng__outbound_unplaced(struct call *c)
{
	if (!c->ob_pending)
		return;
	c->ob_pending--;
	slot_free(c);
}

void eng__outbound_leg_ended(struct call *c, struct sip_leg *leg)
{
	for (unsigned i = 0; i < c->ob_n; i++)
		if (c->ob_legs[i] == leg) {
			c->ob_legs[i] = c->ob_legs[--c->ob_n];
			slot_free(c);
			return;
		}
}

void eng__outbound_release(struct call *c)
{
	for (unsigned i = c->ob_pending + c->ob_n; i > 0; i--)
		slot_free(c);
	c->ob_pending = c->ob_n = 0;
}
