/*
 * The SMS channel's HTTP gateway, for providers with a REST API: a text goes out as a
 * JSON POST to the provider's URL (libcurl, blocking: a worker's), and comes in as a JSON
 * POST to the tenant's webhook, signed with HMAC-SHA256 of the shared secret.
 */
#include "channels/sms.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

void sms_http_sign(const char *secret, const uint8_t *body, size_t len, char hex[65])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, 65, mac, sizeof(mac));
}

bool sms_http_verify(const char *secret, const uint8_t *body, size_t len, const char *sig)
{
	char want[65];

	if (!secret || !*secret || !sig)
		return false;
	if (!strncmp(sig, "sha256=", 7))
		sig += 7;
	if (strlen(sig) != 64)
		return false;
	sms_http_sign(secret, body, len, want);
	/* Lower-case hex expected; compared in constant time. */
	return sodium_memcmp(want, sig, 64) == 0;
}

static bool copy_field(const json_t *o, const char *key, char *out, size_t size, bool need)
{
	const json_t *v = json_object_get(o, key);

	if (!v)
		return !need;
	if (!json_is_string(v) || json_string_length(v) >= size || json_string_length(v) == 0)
		return false;
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return !memchr(out, '\0', json_string_length(v));
}

int sms_http_parse(const char *body, size_t len, struct sms_http_in *in, char *why, size_t whysize)
{
	json_error_t je;
	json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);

	memset(in, 0, sizeof(in[0]));
	if (!o || !json_is_object(o)) {
		snprintf(why, whysize, "the body is not a JSON object (%s)", o ? "" : je.text);
		json_decref(o);
		return EINVAL;
	}
	if (!copy_field(o, "from", in->from, sizeof(in->from), true) ||
	    !copy_field(o, "to", in->to, sizeof(in->to), true) ||
	    !copy_field(o, "text", in->text, sizeof(in->text), true) ||
	    !copy_field(o, "id", in->id, sizeof(in->id), false)) {
		snprintf(why, whysize, "from, to and text are required strings (id optional)");
		json_decref(o);
		return EINVAL;
	}
	json_decref(o);
	return 0;
}

struct buf {
	char data[4096];
	size_t len;
};

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t take = size * n;

	if (take > sizeof(b->data) - 1 - b->len)
		take = sizeof(b->data) - 1 - b->len;
	memcpy(b->data + b->len, p, take);
	b->len += take;
	b->data[b->len] = '\0';
	return size * n;
}

int sms_http_send(const struct sms_http_out *o, const char *from, const char *to, const char *text,
		  const char *reference, char *id, size_t idsize, char *why, size_t whysize)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:s?}", "from", from ? from : "", "to", to, "text",
			      text, "reference", reference);
	char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	struct curl_slist *h = NULL;
	struct buf resp = {{0}, 0};
	char hdr[512], sig[65];
	long status = 0;
	CURLcode rc;
	CURL *c;
	int err = 0;

	json_decref(j);
	id[0] = '\0';
	why[0] = '\0';
	if (!body || !(c = curl_easy_init())) {
		free(body);
		snprintf(why, whysize, "out of memory");
		return ENOMEM;
	}
	h = curl_slist_append(h, "Content-Type: application/json");
	if (o->secret && *o->secret) {
		sms_http_sign(o->secret, (const uint8_t *)body, strlen(body), sig);
		snprintf(hdr, sizeof(hdr), "X-Centrala-Signature: sha256=%s", sig);
		h = curl_slist_append(h, hdr);
	}
	if (o->token && *o->token) {
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", o->token);
		h = curl_slist_append(h, hdr);
	}
	curl_easy_setopt(c, CURLOPT_URL, o->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o->timeout_ms > 0 ? o->timeout_ms : 10000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		snprintf(why, whysize, "%s", curl_easy_strerror(rc));
		err = EIO;
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (status < 200 || status > 299) {
			snprintf(why, whysize, "the gateway answered HTTP %ld", status);
			err = EPROTO;
		} else {
			json_t *r = json_loadb(resp.data, resp.len, 0, NULL);
			const char *s = json_string_value(json_object_get(r, "id"));
			if (s)
				snprintf(id, idsize, "%s", s);
			json_decref(r);
		}
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(body);
	return err;
}
