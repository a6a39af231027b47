/*
 * The SMS channel's settings: a queue's number (`sms:` under the queue) and the tenant's
 * connection to the operator (`sms:` under the tenant: SMPP or an HTTP gateway, the
 * credentials, the shared secret). A queue that has `sms:` takes the texts written to its
 * number; what it leaves out it takes from the tenant. Checked here, so that `centrala
 * check` names a wrong gateway or a missing password by its place in the file; secrets
 * are never written into an error.
 */
#include "core/config_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

static const char *const sms_keys[] = {
    "number", "gateway", "smpp",     "system_id",    "password",      "system_type", "url",
    "secret", "token",	 "receipts", "enquire_link", "reconnect_max", "opt_out",     NULL};
static const char *const opt_out_keys[] = {"enabled",	 "stop",	"start", "dialer",
					   "reply_stop", "reply_start", NULL};

#define SMS_ENQUIRE_DEFAULT_MS	 30000
#define SMS_RECONNECT_DEFAULT_MS 60000

static void zfree(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

void cfg__free_sms(struct cfg_sms *s)
{
	if (!s)
		return;
	free(s->number);
	free(s->gateway);
	free(s->smpp_host);
	free(s->system_id);
	zfree(s->password);
	free(s->system_type);
	free(s->url);
	zfree(s->secret);
	zfree(s->token);
	for (size_t i = 0; i < s->nstop_words; i++)
		free(s->stop_words[i]);
	free(s->stop_words);
	for (size_t i = 0; i < s->nstart_words; i++)
		free(s->start_words[i]);
	free(s->start_words);
	free(s->reply_stop);
	free(s->reply_start);
	free(s);
}

/* A list of keywords: each a string of at most 60 bytes of UTF-8 with a letter in it. */
static void words(struct cy *c, struct fy_node *n, const char *path, char ***out, size_t *nout)
{
	struct fy_node *item;
	void *it = NULL;
	size_t i = 0;
	char p[512];

	if (!n || !cy_is_seq(c, n, path))
		return;
	if (!(*out = calloc((size_t)fy_node_sequence_item_count(n) + 1, sizeof(char *)))) {
		cy_error(c, n, path, "out of memory");
		return;
	}
	while ((item = cy_items(n, &it))) {
		const char *w;
		cy_path_idx(p, sizeof(p), path, i++);
		if (!cy_is_scalar(c, item, p))
			continue;
		w = cy_text(item);
		if (!w || !*w || strlen(w) > 60)
			cy_error(c, item, p, "expected a word of 1 to 60 bytes");
		else
			(*out)[(*nout)++] = strdup(w);
	}
	if (!*nout)
		cy_error(c, n, path, "expected at least one word");
}

static void parse_opt_out(struct cy *c, struct fy_node *n, const char *path, struct cfg_sms *s)
{
	bool b;

	if (!n || !cy_is_map(c, n, path))
		return;
	cy_check_keys(c, n, path, opt_out_keys);
	if (cy_get_bool(c, n, path, "enabled", false, &b) == 0)
		s->opt_out = b;
	if (cy_get_bool(c, n, path, "dialer", false, &b) == 0)
		s->opt_out_dialer = b;
	{
		char kp[512];
		words(c, cy_get(n, "stop"), cy_path(kp, sizeof(kp), path, "stop"), &s->stop_words,
		      &s->nstop_words);
		words(c, cy_get(n, "start"), cy_path(kp, sizeof(kp), path, "start"),
		      &s->start_words, &s->nstart_words);
	}
	cy_get_dup(c, n, path, "reply_stop", false, &s->reply_stop);
	cy_get_dup(c, n, path, "reply_start", false, &s->reply_start);
}

/* "+48221234567" (E.164) or a short code of digits, or an alphanumeric sender of up to 11
 * characters (outgoing only, but a queue may still name it). */
static int number_ok(const char *s)
{
	size_t n = strlen(s), digits = 0;

	if (*s == '+') {
		for (const char *p = s + 1; *p; p++)
			if (!isdigit((unsigned char)*p))
				return 0;
		return n >= 7 && n <= 16 && s[1] != '0';
	}
	for (const char *p = s; *p; p++) {
		if (isdigit((unsigned char)*p))
			digits++;
		else if (!isalnum((unsigned char)*p) && *p != ' ')
			return 0;
	}
	return n > 0 && (digits == n ? n <= 15 : n <= 11);
}

/* "smpp://HOST:PORT" into host and port. */
static int smpp_url(const char *url, char **host, int *port)
{
	const char *h, *colon;
	char *end;
	long p;

	if (strncasecmp(url, "smpp://", 7))
		return -1;
	h = url + 7;
	colon = strrchr(h, ':');
	if (!colon || colon == h)
		return -1;
	p = strtol(colon + 1, &end, 10);
	if (*end != '\0' && strcmp(end, "/"))
		return -1;
	if (p < 1 || p > 65535)
		return -1;
	*host = strndup(h, (size_t)(colon - h));
	*port = (int)p;
	return *host ? 0 : -1;
}

void cfg__parse_sms(struct cy *c, struct fy_node *parent, const char *path, struct cfg_sms **out)
{
	struct fy_node *n = cy_get(parent, "sms");
	struct cfg_sms *s;
	char p[512], kp[512], *smpp = NULL;
	bool b;

	if (!n)
		return;
	cy_path(p, sizeof(p), path, "sms");
	if (!cy_is_map(c, n, p))
		return;
	if (!(s = calloc(1, sizeof(*s)))) {
		cy_error(c, n, p, "out of memory");
		return;
	}
	cy_pos(n, &s->line, &s->col);
	cy_check_keys(c, n, p, sms_keys);
	cy_get_dup(c, n, p, "number", false, &s->number);
	cy_get_dup(c, n, p, "gateway", false, &s->gateway);
	cy_get_dup(c, n, p, "smpp", false, &smpp);
	cy_get_dup(c, n, p, "system_id", false, &s->system_id);
	cy_get_dup(c, n, p, "password", false, &s->password);
	cy_get_dup(c, n, p, "system_type", false, &s->system_type);
	cy_get_dup(c, n, p, "url", false, &s->url);
	cy_get_dup(c, n, p, "secret", false, &s->secret);
	cy_get_dup(c, n, p, "token", false, &s->token);
	cy_get_ms(c, n, p, "enquire_link", false, &s->enquire_ms);
	cy_get_ms(c, n, p, "reconnect_max", false, &s->reconnect_max_ms);
	s->receipts = -1;
	if (cy_get_bool(c, n, p, "receipts", false, &b) == 0)
		s->receipts = b;
	s->opt_out = s->opt_out_dialer = -1;
	parse_opt_out(c, cy_get(n, "opt_out"), cy_path(kp, sizeof(kp), p, "opt_out"), s);
	if (s->number && !number_ok(s->number))
		cy_error(c, cy_get(n, "number"), cy_path(kp, sizeof(kp), p, "number"),
			 "expected an E.164 number (\"+48221234567\"), a short code or a sender "
			 "name of up to 11 letters and digits");
	if (s->gateway && strcmp(s->gateway, "smpp") && strcmp(s->gateway, "http"))
		cy_error(c, cy_get(n, "gateway"), cy_path(kp, sizeof(kp), p, "gateway"),
			 "expected smpp or http");
	if (smpp && smpp_url(smpp, &s->smpp_host, &s->smpp_port))
		cy_error(c, cy_get(n, "smpp"), cy_path(kp, sizeof(kp), p, "smpp"),
			 "expected smpp://HOST:PORT");
	free(smpp);
	if (s->url && strncasecmp(s->url, "http://", 7) && strncasecmp(s->url, "https://", 8))
		cy_error(c, cy_get(n, "url"), cy_path(kp, sizeof(kp), p, "url"),
			 "expected http://... or https://...");
	if (s->system_id && strlen(s->system_id) > 15)
		cy_error(c, cy_get(n, "system_id"), cy_path(kp, sizeof(kp), p, "system_id"),
			 "at most 15 characters (SMPP 3.4)");
	if (s->password && strlen(s->password) > 8)
		cy_error(c, cy_get(n, "password"), cy_path(kp, sizeof(kp), p, "password"),
			 "at most 8 characters (SMPP 3.4)");
	if (s->system_type && strlen(s->system_type) > 12)
		cy_error(c, cy_get(n, "system_type"), cy_path(kp, sizeof(kp), p, "system_type"),
			 "at most 12 characters (SMPP 3.4)");
	if (s->enquire_ms && s->enquire_ms < 1000)
		cy_error(c, cy_get(n, "enquire_link"), cy_path(kp, sizeof(kp), p, "enquire_link"),
			 "at least 1s");
	*out = s;
}

static char *inherit(char *mine, const char *theirs)
{
	return mine ? mine : theirs ? strdup(theirs) : NULL;
}

static char **strv_dup(char *const *v, size_t n, size_t *nout)
{
	char **out = calloc(n + 1, sizeof(char *));

	*nout = 0;
	for (size_t i = 0; out && i < n; i++)
		if ((out[*nout] = strdup(v[i])))
			(*nout)++;
	return out;
}

void cfg__resolve_sms(struct cy *c, struct cfg_tenant *t, const char *path)
{
	const struct cfg_sms *d = t->sms;
	char p[512];

	for (size_t i = 0; i < t->nqueues; i++) {
		struct cfg_sms *s = t->queues[i].sms;

		if (!s)
			continue;
		snprintf(p, sizeof(p), "%s.queues[%zu].sms", path, i);
		if (d) {
			s->gateway = inherit(s->gateway, d->gateway);
			if (!s->smpp_host && d->smpp_host) {
				s->smpp_host = strdup(d->smpp_host);
				s->smpp_port = d->smpp_port;
			}
			s->system_id = inherit(s->system_id, d->system_id);
			s->password = inherit(s->password, d->password);
			s->system_type = inherit(s->system_type, d->system_type);
			s->url = inherit(s->url, d->url);
			s->secret = inherit(s->secret, d->secret);
			s->token = inherit(s->token, d->token);
			if (!s->enquire_ms)
				s->enquire_ms = d->enquire_ms;
			if (!s->reconnect_max_ms)
				s->reconnect_max_ms = d->reconnect_max_ms;
			if (s->receipts < 0)
				s->receipts = d->receipts;
			if (s->opt_out < 0)
				s->opt_out = d->opt_out;
			if (s->opt_out_dialer < 0)
				s->opt_out_dialer = d->opt_out_dialer;
			if (!s->stop_words && d->stop_words)
				s->stop_words =
				    strv_dup(d->stop_words, d->nstop_words, &s->nstop_words);
			if (!s->start_words && d->start_words)
				s->start_words =
				    strv_dup(d->start_words, d->nstart_words, &s->nstart_words);
			s->reply_stop = inherit(s->reply_stop, d->reply_stop);
			s->reply_start = inherit(s->reply_start, d->reply_start);
		}
		if (s->opt_out < 0)
			s->opt_out = 1;
		if (s->opt_out_dialer < 0)
			s->opt_out_dialer = 0;
		if (!s->gateway)
			s->gateway = strdup(s->url && !s->smpp_host ? "http" : "smpp");
		if (!s->enquire_ms)
			s->enquire_ms = SMS_ENQUIRE_DEFAULT_MS;
		if (!s->reconnect_max_ms)
			s->reconnect_max_ms = SMS_RECONNECT_DEFAULT_MS;
		if (s->receipts < 0)
			s->receipts = 1;
		if (!s->number)
			cy_error(c, NULL, p, "%d:%d: missing \"number\" (the queue's number)",
				 s->line, s->col);
		if (s->gateway && !strcmp(s->gateway, "smpp")) {
			if (!s->smpp_host)
				cy_error(c, NULL, p,
					 "%d:%d: missing \"smpp\" (here or in the tenant's sms:)",
					 s->line, s->col);
			if (!s->system_id)
				cy_error(c, NULL, p,
					 "%d:%d: missing \"system_id\" (here or in the tenant's "
					 "sms:)",
					 s->line, s->col);
		} else if (s->gateway && !strcmp(s->gateway, "http")) {
			if (!s->url)
				cy_error(c, NULL, p,
					 "%d:%d: missing \"url\" (here or in the tenant's sms:)",
					 s->line, s->col);
			if (!s->secret)
				cy_error(c, NULL, p,
					 "%d:%d: missing \"secret\": the webhook's signatures are "
					 "checked with it",
					 s->line, s->col);
		}
		for (size_t j = 0; j < i && s->number; j++) {
			const struct cfg_sms *o = t->queues[j].sms;
			if (o && o->number && !strcmp(o->number, s->number))
				cy_error(c, NULL, p, "%d:%d: number already taken by queue \"%s\"",
					 s->line, s->col, t->queues[j].id ? t->queues[j].id : "?");
		}
	}
}

static bool str_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool words_same(char *const *a, size_t na, char *const *b, size_t nb)
{
	if ((!a) != (!b) || na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (!str_same(a[i], b[i]))
			return false;
	return true;
}

bool cfg_sms_same(const struct cfg_sms *a, const struct cfg_sms *b)
{
	if (!a || !b)
		return a == b;
	return str_same(a->number, b->number) && str_same(a->gateway, b->gateway) &&
	       str_same(a->smpp_host, b->smpp_host) && a->smpp_port == b->smpp_port &&
	       str_same(a->system_id, b->system_id) && str_same(a->password, b->password) &&
	       str_same(a->system_type, b->system_type) && str_same(a->url, b->url) &&
	       str_same(a->secret, b->secret) && str_same(a->token, b->token) &&
	       a->enquire_ms == b->enquire_ms && a->reconnect_max_ms == b->reconnect_max_ms &&
	       a->receipts == b->receipts && a->opt_out == b->opt_out &&
	       a->opt_out_dialer == b->opt_out_dialer &&
	       words_same(a->stop_words, a->nstop_words, b->stop_words, b->nstop_words) &&
	       words_same(a->start_words, a->nstart_words, b->start_words, b->nstart_words) &&
	       str_same(a->reply_stop, b->reply_stop) && str_same(a->reply_start, b->reply_start);
}
