/*
 * Replies of the email channel: built with GMime (never by hand: headers encoded per RFC
 * 2047, the body quoted-printable), threaded by In-Reply-To and References, and sent
 * over SMTP with libcurl from a worker thread.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <gmime/gmime.h>

#include "channels/email.h"
#include "channels/email_int.h"

static int header_ok(const char *s)
{
	return s && email_utf8_valid(s, strlen(s)) && !strpbrk(s, "\r\n");
}

static int id_ok(const char *s)
{
	return header_ok(s) && *s && !strpbrk(s, "<> \t");
}

int email_build(const struct email_out *m, char **out, size_t *len)
{
	GMimeMessage *msg = NULL;
	GMimeTextPart *tp = NULL;
	GMimeFormatOptions *fo = NULL;
	InternetAddressList *from = NULL;
	GDateTime *date = NULL;
	GString *refs = NULL, *text = NULL;
	char *subject = NULL, *s = NULL;
	int err = 0;

	email__init();
	if (!header_ok(m->from) || !header_ok(m->to) || !strchr(m->to, '@') ||
	    !header_ok(m->subject ? m->subject : "") || !id_ok(m->message_id) ||
	    (m->in_reply_to && *m->in_reply_to && !id_ok(m->in_reply_to)) || !m->body ||
	    !email_utf8_valid(m->body, strlen(m->body)) ||
	    (m->signature && !email_utf8_valid(m->signature, strlen(m->signature))))
		return EINVAL;
	for (size_t i = 0; i < m->nreferences; i++)
		if (!id_ok(m->references[i]))
			return EINVAL;
	from = internet_address_list_parse(NULL, m->from);
	if (!from || internet_address_list_length(from) != 1) {
		err = EINVAL;
		goto out;
	}
	msg = g_mime_message_new(TRUE);
	internet_address_list_append(g_mime_message_get_from(msg), from);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL, m->to);
	subject = m->subject && !m->fresh && strncasecmp(m->subject, "Re:", 3) != 0
		      ? g_strdup_printf("Re: %s", m->subject)
		      : g_strdup(m->subject ? m->subject : "");
	g_mime_message_set_subject(msg, subject, "utf-8");
	g_mime_message_set_message_id(msg, m->message_id);
	date = g_date_time_new_from_unix_utc(m->date);
	g_mime_message_set_date(msg, date);
	if (m->in_reply_to && *m->in_reply_to) {
		char *v = g_strdup_printf("<%s>", m->in_reply_to);

		g_mime_object_set_header(GMIME_OBJECT(msg), "In-Reply-To", v, NULL);
		g_free(v);
	}
	if (m->nreferences) {
		refs = g_string_new(NULL);
		for (size_t i = 0; i < m->nreferences; i++)
			g_string_append_printf(refs, "%s<%s>", i ? " " : "", m->references[i]);
		g_mime_object_set_header(GMIME_OBJECT(msg), "References", refs->str, NULL);
	}
	if (m->automatic)
		g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted",
					 m->fresh ? "auto-generated" : "auto-replied", NULL);
	text = g_string_new(m->body);
	if (m->signature && *m->signature) {
		if (text->len && text->str[text->len - 1] != '\n')
			g_string_append_c(text, '\n');
		g_string_append_printf(text, "\n-- \n%s\n", m->signature);
	}
	tp = g_mime_text_part_new_with_subtype("plain");
	g_mime_text_part_set_text(tp, text->str);
	g_mime_part_set_content_encoding(GMIME_PART(tp), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	if (m->nfiles) {
		GMimeMultipart *mp = g_mime_multipart_new_with_subtype("mixed");

		g_mime_multipart_add(mp, GMIME_OBJECT(tp));
		for (size_t i = 0; i < m->nfiles && !err; i++) {
			const struct email_file *f = &m->files[i];
			const char *type =
			    f->type && *f->type ? f->type : "application/octet-stream";
			GMimeContentType *ct = g_mime_content_type_parse(NULL, type);
			GMimePart *part;
			GMimeStream *st;
			GMimeDataWrapper *dw;

			if (!f->name || !email_utf8_valid(f->name, strlen(f->name)) ||
			    !header_ok(f->name) || !ct) {
				if (ct)
					g_object_unref(ct);
				err = EINVAL;
				break;
			}
			part = g_mime_part_new_with_type(g_mime_content_type_get_media_type(ct),
							 g_mime_content_type_get_media_subtype(ct));
			g_object_unref(ct);
			st = g_mime_stream_mem_new_with_buffer(f->data, f->len);
			dw =
			    g_mime_data_wrapper_new_with_stream(st, GMIME_CONTENT_ENCODING_DEFAULT);
			g_mime_part_set_content(part, dw);
			g_mime_part_set_filename(part, f->name);
			g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
			g_mime_multipart_add(mp, GMIME_OBJECT(part));
			g_object_unref(dw);
			g_object_unref(st);
			g_object_unref(part);
		}
		g_mime_message_set_mime_part(msg, GMIME_OBJECT(mp));
		g_object_unref(mp);
		if (err)
			goto out;
	} else {
		g_mime_message_set_mime_part(msg, GMIME_OBJECT(tp));
	}
	fo = g_mime_format_options_new();
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
	s = g_mime_object_to_string(GMIME_OBJECT(msg), fo);
	if (!s) {
		err = ENOMEM;
		goto out;
	}
	*len = strlen(s);
	*out = malloc(*len + 1);
	if (!*out)
		err = ENOMEM;
	else
		memcpy(*out, s, *len + 1);
out:
	g_free(s);
	g_free(subject);
	if (fo)
		g_mime_format_options_free(fo);
	if (tp)
		g_object_unref(tp);
	if (text)
		g_string_free(text, TRUE);
	if (refs)
		g_string_free(refs, TRUE);
	if (date)
		g_date_time_unref(date);
	if (msg)
		g_object_unref(msg);
	if (from)
		g_object_unref(from);
	return err;
}

struct src {
	const char *p;
	size_t left;
};

static size_t on_read(char *buf, size_t size, size_t nmemb, void *arg)
{
	struct src *s = arg;
	size_t n = size * nmemb < s->left ? size * nmemb : s->left;

	memcpy(buf, s->p, n);
	s->p += n;
	s->left -= n;
	return n;
}

int email_smtp_send(const char *url, const char *user, const char *pass, long timeout_ms,
		    const char *from, const char *rcpt, const char *msg, size_t len, char *err,
		    size_t errlen)
{
	CURL *c;
	struct curl_slist *to = NULL;
	struct src src = {msg, len};
	char ebuf[CURL_ERROR_SIZE] = "", envfrom[320], envto[320];
	CURLcode rc;
	int ret = 0;

	if (!header_ok(from) || !header_ok(rcpt) || strlen(from) > 300 || strlen(rcpt) > 300 ||
	    strpbrk(from, "<> ") || strpbrk(rcpt, "<> "))
		return EINVAL;
	snprintf(envfrom, sizeof(envfrom), "<%s>", from);
	snprintf(envto, sizeof(envto), "<%s>", rcpt);
	if (!(c = curl_easy_init()))
		return ENOMEM;
	if (!(to = curl_slist_append(NULL, envto))) {
		curl_easy_cleanup(c);
		return ENOMEM;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (user && *user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, pass ? pass : "");
	}
	curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 30000L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, envfrom);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, to);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &src);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	rc = curl_easy_perform(c);
	if (rc == CURLE_LOGIN_DENIED)
		ret = EACCES;
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		ret = ETIMEDOUT;
	else if (rc == CURLE_OUT_OF_MEMORY)
		ret = ENOMEM;
	else if (rc != CURLE_OK)
		ret = EIO;
	if (ret && err && errlen)
		snprintf(err, errlen, "%s", ebuf[0] ? ebuf : curl_easy_strerror(rc));
	curl_slist_free_all(to);
	curl_easy_cleanup(c);
	return ret;
}
