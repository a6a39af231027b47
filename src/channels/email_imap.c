/*
 * Reading a queue's mailbox over IMAP with libcurl, one short connection per call: the
 * folder's UIDVALIDITY (STATUS), the UIDs above the last one handled (UID SEARCH), and
 * one message by UID (UID FETCH). Blocking, for the email worker thread. What a server
 * answers is parsed only as far as these three replies need; the message itself goes to
 * email_parse().
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "channels/email.h"
#include "channels/email_int.h"

struct sink {
	struct email__buf b;
	size_t limit;
	int over;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;

	if (s->limit && s->b.len + n > s->limit) {
		s->over = 1;
		return 0;
	}
	email__buf_add(&s->b, p, n);
	return s->b.oom ? 0 : n;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* The URL's "scheme://host[:port]/" and its mailbox (decoded), or EINVAL. */
static int split_url(const char *url, char *base, size_t baselen, char *box, size_t boxlen)
{
	const char *host = strstr(url, "://"), *slash;
	size_t n;

	if (!host)
		return EINVAL;
	slash = strchr(host + 3, '/');
	if (!slash || !slash[1])
		return EINVAL;
	n = (size_t)(slash - url) + 1;
	if (n >= baselen || strlen(slash + 1) >= boxlen || strpbrk(slash + 1, "\"\\\r\n"))
		return EINVAL;
	memcpy(base, url, n);
	base[n] = '\0';
	snprintf(box, boxlen, "%s", slash + 1);
	return 0;
}

/* Runs one request: URL, optional custom command; the body (untagged replies, or the
 * message) in S. */
static int run(const struct email_imap *im, const char *url, const char *custom, struct sink *s,
	       char *err, size_t errlen)
{
	CURL *c = im->session ? (CURL *)im->session : curl_easy_init();
	char ebuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	int ret = 0;

	if (!c)
		return ENOMEM;
	/* A session's handle keeps its live connection across a reset (libcurl). */
	if (im->session)
		curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_USERNAME, im->user);
	curl_easy_setopt(c, CURLOPT_PASSWORD, im->pass);
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, im->timeout_ms > 0 ? im->timeout_ms : 30000L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	if (custom)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, custom);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK && s->b.oom)
		rc = CURLE_OUT_OF_MEMORY;
	switch (rc) {
	case CURLE_OK:
		break;
	case CURLE_LOGIN_DENIED:
		ret = EACCES;
		break;
	case CURLE_REMOTE_FILE_NOT_FOUND: /* UID FETCH of a message that is gone */
		ret = ENOENT;
		break;
	case CURLE_OPERATION_TIMEDOUT:
		ret = ETIMEDOUT;
		break;
	case CURLE_WRITE_ERROR:
		ret = s->over ? EMSGSIZE : s->b.oom ? ENOMEM : EIO;
		break;
	case CURLE_OUT_OF_MEMORY:
		ret = ENOMEM;
		break;
	default:
		ret = EIO;
	}
	if (ret)
		set_err(err, errlen, "%s", ebuf[0] ? ebuf : curl_easy_strerror(rc));
	if (!im->session)
		curl_easy_cleanup(c);
	return ret;
}

int email_imap_session_new(struct email_imap_session **out)
{
	CURL *c = curl_easy_init();

	if (!c)
		return ENOMEM;
	*out = (struct email_imap_session *)c;
	return 0;
}

void email_imap_session_free(struct email_imap_session *s)
{
	if (s)
		curl_easy_cleanup((CURL *)s);
}

int email_imap_uidvalidity(const struct email_imap *im, int64_t *out, char *err, size_t errlen)
{
	char base[512], box[256], cmd[300];
	struct sink s = {0};
	const char *p;
	int ret;

	if (split_url(im->url, base, sizeof(base), box, sizeof(box)))
		return EINVAL;
	snprintf(cmd, sizeof(cmd), "STATUS \"%s\" (UIDVALIDITY)", box);
	ret = run(im, base, cmd, &s, err, errlen);
	if (!ret) {
		p = s.b.s ? strstr(s.b.s, "UIDVALIDITY ") : NULL;
		if (p && isdigit((unsigned char)p[12])) {
			*out = strtoll(p + 12, NULL, 10);
		} else {
			set_err(err, errlen, "no UIDVALIDITY in the STATUS reply");
			ret = EIO;
		}
	}
	free(s.b.s);
	return ret;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

size_t email__imap_set_uids(const char *set, int64_t after, int64_t *uids, size_t k, size_t max)
{
	const char *p = set;

	if (after == INT64_MAX)
		return k; /* nothing is above it */
	while (k < max && *p >= '0' && *p <= '9') {
		char *end;
		long long lo = strtoll(p, &end, 10), hi = lo;

		if (*end == ':') {
			hi = strtoll(end + 1, &end, 10);
			if (hi < lo) {
				long long t = lo;
				lo = hi;
				hi = t;
			}
		}
		/* Bounded by k < max, and stopped at hi before v could pass LLONG_MAX. */
		for (long long v = lo > after ? lo : after + 1; v <= hi && k < max; v++) {
			uids[k++] = v;
			if (v == hi)
				break;
		}
		p = *end == ',' ? end + 1 : end;
		if (p == end && *end != ',')
			break;
	}
	return k;
}

/* Plain SEARCH answers one line of every UID. libcurl 7.88 was seen to drop whole
 * 16 KiB pieces of such a line when it is longer than its buffer (a 10,000-message
 * folder: the UIDs 14 to 1765 missing), so the range asked is bounded: MAX UIDs a
 * window, windows until MAX are found or UIDNEXT is reached. */
size_t email__imap_search_uids(const char *reply, int64_t lo, int64_t hi, int64_t *uids, size_t k,
			       size_t max)
{
	for (const char *p = strstr(reply, "* SEARCH"); p && *p && *p != '\r';) {
		char *end;
		long long v;

		while (*p == ' ' || (*p >= 'A' && *p <= 'Z') || *p == '*')
			p++;
		v = strtoll(p, &end, 10);
		if (end == p)
			break;
		p = end;
		if (v >= lo && v <= hi && k < max)
			uids[k++] = v;
	}
	return k;
}

static int search_windows(const struct email_imap *im, int64_t after, int64_t uidnext,
			  int64_t *uids, size_t max, size_t *n, char *err, size_t errlen)
{
	size_t k = 0;
	int ret = 0;

	for (int64_t lo = after + 1; !ret && k < max && lo < uidnext;) {
		int64_t hi = lo + (int64_t)max - 1;
		struct sink s = {0};
		char cmd[80];

		if (hi >= uidnext)
			hi = uidnext - 1;
		snprintf(cmd, sizeof(cmd), "UID SEARCH UID %lld:%lld", (long long)lo,
			 (long long)hi);
		ret = run(im, im->url, cmd, &s, err, errlen);
		if (!ret && s.b.s)
			k = email__imap_search_uids(s.b.s, lo, hi, uids, k, max);
		free(s.b.s);
		lo = hi + 1;
	}
	if (!ret)
		*n = k;
	return ret;
}

int email_imap_uids_after(const struct email_imap *im, int64_t after, int64_t *uids, size_t max,
			  size_t *n, char *err, size_t errlen)
{
	char base[512], box[256], cmd[300];
	struct sink s = {0};
	int64_t uidnext = 0;
	size_t k = 0;
	const char *p;
	int ret;

	if (split_url(im->url, base, sizeof(base), box, sizeof(box)))
		return EINVAL;
	/* ESEARCH (RFC 4731) answers a sequence set ("1:13,1766,6767:10000"): one short line
	 * however many messages wait. */
	snprintf(cmd, sizeof(cmd), "UID SEARCH RETURN (ALL) UID %lld:*", (long long)after + 1);
	ret = run(im, im->url, cmd, &s, err, errlen);
	if (!ret && s.b.s && (p = strstr(s.b.s, "* ESEARCH"))) {
		p = strstr(p, " ALL ");
		/* No ALL: nothing matched. "n:*" always matches the highest UID, even below n:
		 * set_uids keeps only those above AFTER. */
		k = p ? email__imap_set_uids(p + 5, after, uids, 0, max) : 0;
		qsort(uids, k, sizeof(*uids), cmp_i64);
		*n = k;
		free(s.b.s);
		return 0;
	}
	free(s.b.s);
	s = (struct sink){0};
	/* Without ESEARCH: bounded windows of plain SEARCH up to the folder's UIDNEXT. */
	snprintf(cmd, sizeof(cmd), "STATUS \"%s\" (UIDNEXT)", box);
	ret = run(im, base, cmd, &s, err, errlen);
	if (!ret) {
		p = s.b.s ? strstr(s.b.s, "UIDNEXT ") : NULL;
		if (p && isdigit((unsigned char)p[8])) {
			uidnext = strtoll(p + 8, NULL, 10);
		} else {
			set_err(err, errlen, "no UIDNEXT in the STATUS reply");
			ret = EIO;
		}
	}
	free(s.b.s);
	if (!ret)
		ret = search_windows(im, after, uidnext, uids, max, n, err, errlen);
	return ret;
}

int email_imap_fetch(const struct email_imap *im, int64_t uid, size_t limit, char **out,
		     size_t *len, char *err, size_t errlen)
{
	char url[800];
	struct sink s = {.limit = limit};
	int ret;

	snprintf(url, sizeof(url), "%s%s;UID=%lld", im->url,
		 im->url[strlen(im->url) - 1] == '/' ? "" : "/", (long long)uid);
	ret = run(im, url, NULL, &s, err, errlen);
	if (!ret && s.b.len == 0)
		ret = ENOENT;
	if (!ret) {
		*out = s.b.s;
		*len = s.b.len;
		return 0;
	}
	free(s.b.s);
	return ret;
}
