/*
 * The email channel's settings: a queue's mailbox (`email:` under the queue) and the
 * tenant's defaults for its queues (`email:` under the tenant: the SMTP server, the
 * sender, the credentials, the signature). A queue that has `email:` polls its mailbox;
 * what it leaves out it takes from the tenant. Checked here, so that `centrala check`
 * names a wrong URL or a missing password by its place in the file; the password itself
 * is never written into an error.
 */
#include "core/config_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

static const char *const email_keys[] = {"imap",      "smtp", "username",    "password", "from",
					 "signature", "poll", "acknowledge", NULL};

#define EMAIL_POLL_DEFAULT_MS 30000
#define EMAIL_POLL_MIN_MS     1000

static void free_email(struct cfg_email *e)
{
	if (!e)
		return;
	free(e->imap);
	free(e->smtp);
	free(e->username);
	if (e->password) {
		sodium_memzero(e->password, strlen(e->password));
		free(e->password);
	}
	free(e->from);
	free(e->signature);
	free(e);
}

void cfg__free_email(struct cfg_email *e)
{
	free_email(e);
}

static int has_scheme(const char *url, const char *const *schemes)
{
	for (; *schemes; schemes++) {
		size_t n = strlen(*schemes);

		if (strncasecmp(url, *schemes, n) == 0 && url[n] != '\0' && url[n] != '/')
			return 1;
	}
	return 0;
}

/* "addr@domain" or "Name <addr@domain>": one @ with text on both sides, no blanks. */
static int address_ok(const char *s)
{
	const char *lt = strchr(s, '<'), *at, *end;

	if (lt) {
		s = lt + 1;
		end = strchr(s, '>');
		if (!end || end[1] != '\0')
			return 0;
	} else {
		end = s + strlen(s);
	}
	at = memchr(s, '@', (size_t)(end - s));
	if (!at || at == s || at + 1 >= end || memchr(at + 1, '@', (size_t)(end - at - 1)))
		return 0;
	for (const char *p = s; p < end; p++)
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			return 0;
	return 1;
}

void cfg__parse_email(struct cy *c, struct fy_node *parent, const char *path,
		      struct cfg_email **out)
{
	static const char *const imap_schemes[] = {"imap://", "imaps://", NULL};
	static const char *const smtp_schemes[] = {"smtp://", "smtps://", NULL};
	struct fy_node *n = cy_get(parent, "email");
	struct cfg_email *e;
	char p[512], kp[512];

	if (!n)
		return;
	cy_path(p, sizeof(p), path, "email");
	if (!cy_is_map(c, n, p))
		return;
	e = calloc(1, sizeof(*e));
	if (!e) {
		cy_error(c, n, p, "out of memory");
		return;
	}
	cy_pos(n, &e->line, &e->col);
	cy_check_keys(c, n, p, email_keys);
	cy_get_dup(c, n, p, "imap", false, &e->imap);
	cy_get_dup(c, n, p, "smtp", false, &e->smtp);
	cy_get_dup(c, n, p, "username", false, &e->username);
	cy_get_dup(c, n, p, "password", false, &e->password);
	cy_get_dup(c, n, p, "from", false, &e->from);
	cy_get_dup(c, n, p, "signature", false, &e->signature);
	cy_get_ms(c, n, p, "poll", false, &e->poll_ms);
	e->acknowledge = -1;
	{
		bool b;

		if (cy_get_bool(c, n, p, "acknowledge", false, &b) == 0)
			e->acknowledge = b;
	}
	if (e->imap && !has_scheme(e->imap, imap_schemes))
		cy_error(c, cy_get(n, "imap"), cy_path(kp, sizeof(kp), p, "imap"),
			 "expected imap://HOST[:PORT]/MAILBOX or imaps://...");
	if (e->smtp && !has_scheme(e->smtp, smtp_schemes))
		cy_error(c, cy_get(n, "smtp"), cy_path(kp, sizeof(kp), p, "smtp"),
			 "expected smtp://HOST[:PORT] or smtps://...");
	if (e->from && !address_ok(e->from))
		cy_error(c, cy_get(n, "from"), cy_path(kp, sizeof(kp), p, "from"),
			 "expected an address, \"support@example.com\" or \"Name "
			 "<support@example.com>\"");
	if (e->poll_ms && e->poll_ms < EMAIL_POLL_MIN_MS)
		cy_error(c, cy_get(n, "poll"), cy_path(kp, sizeof(kp), p, "poll"), "at least 1s");
	*out = e;
}

static char *inherit(char *mine, const char *theirs)
{
	return mine ? mine : theirs ? strdup(theirs) : NULL;
}

void cfg__resolve_email(struct cy *c, struct cfg_tenant *t, const char *path)
{
	const struct cfg_email *d = t->email;
	char p[512];

	for (size_t i = 0; i < t->nqueues; i++) {
		struct cfg_email *e = t->queues[i].email;
		static const char *const need[] = {"imap", "smtp", "username", "password", "from"};

		if (!e)
			continue;
		snprintf(p, sizeof(p), "%s.queues[%zu].email", path, i);
		if (d) {
			e->imap = inherit(e->imap, d->imap);
			e->smtp = inherit(e->smtp, d->smtp);
			e->username = inherit(e->username, d->username);
			e->password = inherit(e->password, d->password);
			e->from = inherit(e->from, d->from);
			e->signature = inherit(e->signature, d->signature);
			if (!e->poll_ms)
				e->poll_ms = d->poll_ms;
			if (e->acknowledge < 0)
				e->acknowledge = d->acknowledge;
		}
		if (!e->poll_ms)
			e->poll_ms = EMAIL_POLL_DEFAULT_MS;
		if (e->acknowledge < 0)
			e->acknowledge = 1;
		const char *have[] = {e->imap, e->smtp, e->username, e->password, e->from};
		for (size_t k = 0; k < sizeof(need) / sizeof(need[0]); k++)
			if (!have[k])
				cy_error(c, NULL, p,
					 "%d:%d: missing \"%s\" (here or in the tenant's email:)",
					 e->line, e->col, need[k]);
		for (size_t j = 0; j < i && e->imap; j++) {
			const struct cfg_email *o = t->queues[j].email;

			if (o && o->imap && strcasecmp(o->imap, e->imap) == 0 &&
			    (!o->username || !e->username || !strcmp(o->username, e->username)))
				cy_error(c, NULL, p,
					 "%d:%d: mailbox already polled for queue \"%s\"", e->line,
					 e->col, t->queues[j].id ? t->queues[j].id : "?");
		}
	}
}

static bool str_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

bool cfg_email_same(const struct cfg_email *a, const struct cfg_email *b)
{
	if (!a || !b)
		return a == b;
	return str_same(a->imap, b->imap) && str_same(a->smtp, b->smtp) &&
	       str_same(a->username, b->username) && str_same(a->password, b->password) &&
	       str_same(a->from, b->from) && str_same(a->signature, b->signature) &&
	       a->poll_ms == b->poll_ms && a->acknowledge == b->acknowledge;
}
