/*
 * One HTTP transfer: building it from a request (query string or JSON body, headers
 * checked so that no value can inject another header), the libcurl easy handle with
 * its timeout and size cap, and the result it turns into.
 */
#include "dip/dip_int.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define URL_MAX 8192

void dip__job_free(struct dip_job *j)
{
	if (!j)
		return;
	if (j->easy)
		curl_easy_cleanup(j->easy);
	curl_slist_free_all(j->headers);
	free(j->url);
	free(j->body);
	free(j->resp);
	free(j);
}

static bool text_ok(const char *s)
{
	for (; s && *s; s++)
		if (*s == '\r' || *s == '\n')
			return false;
	return s != NULL;
}

static bool header_name_ok(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
	return true;
}

/* Percent-encodes all but RFC 3986 unreserved characters; returns the bytes written. */
static size_t escape(char *out, size_t size, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s && o + 4 < size; s++) {
		unsigned char ch = (unsigned char)*s;
		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
	return o;
}

/* Copies the URL into a buffer with room for a query string. */
static int build_url(const struct dip_request *req, char **out)
{
	size_t len = strlen(req->url);
	char *u;

	if (len > URL_MAX / 2)
		return EINVAL;
	u = malloc(URL_MAX + 1);
	if (!u)
		return ENOMEM;
	memcpy(u, req->url, len + 1);
	*out = u;
	return 0;
}

int dip__job_build(const struct dip_request *req, struct dip_job **out)
{
	struct dip_job *j = NULL;
	json_t *obj = NULL;
	char line[1024];
	int rc = 0;

	if (!req || !req->method || !req->url)
		return EINVAL;
	if (strncmp(req->url, "http://", 7) && strncmp(req->url, "https://", 8))
		return EINVAL;
	if (strcasecmp(req->method, "GET") && strcasecmp(req->method, "POST"))
		return EINVAL;
	for (const char *p = req->url; *p; p++)
		if ((unsigned char)*p <= ' ')
			return EINVAL;
	for (size_t i = 0; i < req->nheaders; i++)
		if (!header_name_ok(req->headers[i].name) || !text_ok(req->headers[i].value))
			return EINVAL;
	for (size_t i = 0; i < req->nfields; i++)
		if (!req->fields[i].name || !req->fields[i].value)
			return EINVAL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return ENOMEM;
	j->cookie = req->cookie;
	j->post = !strcasecmp(req->method, "POST");
	j->timeout_ms = req->timeout_ms ? req->timeout_ms : 5000;
	rc = build_url(req, &j->url);
	if (rc)
		goto out;
	if (!j->post) {
		size_t o = strlen(j->url);
		char sep = strchr(j->url, '?') ? '&' : '?';
		for (size_t i = 0; i < req->nfields; i++) {
			if (o + 8 > URL_MAX) {
				rc = EINVAL;
				goto out;
			}
			if (!(i == 0 && sep == '?' && j->url[o - 1] == '?'))
				j->url[o++] = i == 0 ? sep : '&';
			o += escape(j->url + o, URL_MAX - o, req->fields[i].name);
			if (o + 4 > URL_MAX) {
				rc = EINVAL;
				goto out;
			}
			j->url[o++] = '=';
			o += escape(j->url + o, URL_MAX - o, req->fields[i].value);
		}
		j->url[o] = '\0';
	} else {
		obj = json_object();
		if (!obj) {
			rc = ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < req->nfields; i++)
			if (json_object_set_new(obj, req->fields[i].name,
						json_string(req->fields[i].value))) {
				rc = EINVAL; /* not UTF-8 */
				goto out;
			}
		j->body = json_dumps(obj, JSON_COMPACT);
		if (!j->body) {
			rc = ENOMEM;
			goto out;
		}
	}
	j->headers = curl_slist_append(NULL, "Accept: application/json");
	if (j->post && j->headers)
		j->headers = curl_slist_append(j->headers, "Content-Type: application/json");
	for (size_t i = 0; i < req->nheaders && j->headers; i++) {
		snprintf(line, sizeof(line), "%s: %s", req->headers[i].name, req->headers[i].value);
		j->headers = curl_slist_append(j->headers, line);
	}
	if (!j->headers)
		rc = ENOMEM;
out:
	json_decref(obj);
	if (rc) {
		dip__job_free(j);
		return rc;
	}
	*out = j;
	return 0;
}

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
	struct dip_job *j = arg;
	size_t len = size * n;
	char *v;

	if (j->nresp + len > j->max_body) {
		j->too_large = true;
		return 0; /* libcurl stops the transfer */
	}
	v = realloc(j->resp, j->nresp + len + 1);
	if (!v)
		return 0;
	j->resp = v;
	memcpy(j->resp + j->nresp, data, len);
	j->nresp += len;
	j->resp[j->nresp] = '\0';
	return len;
}

int dip__job_start(struct dip *d, struct dip_job *j)
{
	CURL *e = curl_easy_init();

	if (!e)
		return ENOMEM;
	j->easy = e;
	j->max_body = d->cfg.max_body;
	curl_easy_setopt(e, CURLOPT_URL, j->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)j->timeout_ms);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->headers);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "centrala/" CENTRALA_VERSION);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, j);
	if (j->post) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, j->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(j->body));
	}
	return curl_multi_add_handle(d->multi, e) == CURLM_OK ? 0 : ENOMEM;
}

struct dip_result *dip__job_result(struct dip *d, struct dip_job *j, CURLcode code)
{
	struct dip_result *r = calloc(1, sizeof(*r));
	curl_off_t us = 0;
	long status = 0;

	if (!r)
		return NULL;
	r->cookie = j->cookie;
	curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(j->easy, CURLINFO_TOTAL_TIME_T, &us);
	r->status = (int)status;
	r->elapsed_ms = (uint32_t)(us / 1000);
	if (code == CURLE_OPERATION_TIMEDOUT) {
		r->error = DIP_ERR_TIMEOUT;
		snprintf(r->message, sizeof(r->message), "timeout after %u ms", j->timeout_ms);
	} else if (code == CURLE_WRITE_ERROR && j->too_large) {
		r->error = DIP_ERR_TOO_LARGE;
		snprintf(r->message, sizeof(r->message), "reply larger than %zu bytes",
			 j->max_body);
	} else if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
		   code == CURLE_COULDNT_RESOLVE_PROXY) {
		r->error = DIP_ERR_CONNECT;
		snprintf(r->message, sizeof(r->message), "%.120s",
			 *j->errbuf ? j->errbuf : curl_easy_strerror(code));
	} else if (code != CURLE_OK) {
		r->error = DIP_ERR_OTHER;
		snprintf(r->message, sizeof(r->message), "%.120s",
			 *j->errbuf ? j->errbuf : curl_easy_strerror(code));
	} else if (status < 200 || status > 299) {
		r->error = DIP_ERR_HTTP;
		snprintf(r->message, sizeof(r->message), "HTTP %ld", status);
	} else if (j->nresp == 0) {
		r->error = DIP_OK; /* 204 or an empty body: no fields */
		snprintf(r->message, sizeof(r->message), "ok");
	} else {
		r->error = dip__flatten(j->resp, j->nresp, d->cfg.max_fields, r);
		if (r->error == DIP_OK)
			snprintf(r->message, sizeof(r->message), "ok");
	}
	return r;
}
