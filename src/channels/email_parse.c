/*
 * Reading one raw message for the email channel with GMime 3: the headers the contact
 * center threads and answers by, the text body (text/plain preferred, else the text of
 * text/html), the attachments' names, types and sizes under limits, and whether the
 * message was written by a machine (auto-replies and bounces are never answered).
 * Text that claims to be UTF-8 but is not is refused rather than repaired, so that what
 * an agent reads is what the customer wrote.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>
#include <libxml/parser.h>

#include "channels/email.h"
#include "channels/email_int.h"

#define DEPTH_MAX 32

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init(void)
{
	g_mime_init();
	xmlInitParser();
}

void email__init(void)
{
	pthread_once(&init_once, init);
}

int email_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end;

	if (len == 0) /* s may be NULL then (an empty GMime buffer) */
		return 1;
	end = p + len;

	while (p < end) {
		unsigned c = *p;
		size_t n;
		unsigned cp;

		if (c == 0)
			return 0;
		if (c < 0x80) {
			p++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if ((size_t)(end - p) < n + 1)
			return 0;
		for (size_t i = 1; i <= n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		p += n + 1;
	}
	return 1;
}

struct parse {
	const struct email_limits *lim;
	struct email_msg *m;
	char *plain, *html; /* first text/plain and text/html bodies, UTF-8 */
	size_t plain_len, html_len;
	size_t natt_cap;
	int err;
	const char *reason;
};

static void fail(struct parse *p, int err, const char *reason)
{
	if (!p->err) {
		p->err = err;
		p->reason = reason;
	}
}

static char *dup_utf8(struct parse *p, const char *s, const char *what)
{
	char *d;

	if (!s)
		s = "";
	if (!email_utf8_valid(s, strlen(s))) {
		fail(p, EILSEQ, what);
		return NULL;
	}
	d = strdup(s);
	if (!d)
		fail(p, ENOMEM, "out of memory");
	return d;
}

static char *strip_brackets(struct parse *p, const char *id)
{
	char *d;
	size_t n;

	if (!id)
		id = "";
	while (*id == '<' || isspace((unsigned char)*id))
		id++;
	d = dup_utf8(p, id, "invalid UTF-8 in a message id");
	if (!d)
		return NULL;
	n = strlen(d);
	while (n > 0 && (d[n - 1] == '>' || isspace((unsigned char)d[n - 1])))
		d[--n] = '\0';
	return d;
}

/* Header values must be ASCII or UTF-8 (RFC 6532); anything else is refused. */
static void check_raw_headers(struct parse *p, GMimeObject *obj)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	int n = hl ? g_mime_header_list_get_count(hl) : 0;

	for (int i = 0; i < n && !p->err; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *v = h ? g_mime_header_get_raw_value(h) : NULL;

		if (v && !email_utf8_valid(v, strlen(v)))
			fail(p, EILSEQ, "invalid UTF-8 in a header");
	}
}

static const char *header(GMimeObject *obj, const char *name)
{
	return g_mime_object_get_header(obj, name);
}

static int word_is(const char *v, const char *w)
{
	size_t n = strlen(w);

	while (*v && isspace((unsigned char)*v))
		v++;
	return strncasecmp(v, w, n) == 0 &&
	       (v[n] == '\0' || v[n] == ';' || isspace((unsigned char)v[n]));
}

static void classify(struct parse *p, GMimeMessage *msg)
{
	GMimeObject *o = GMIME_OBJECT(msg);
	GMimeObject *top = g_mime_message_get_mime_part(msg);
	const char *v;

	if ((v = header(o, "Return-Path"))) {
		const char *s = v;

		while (isspace((unsigned char)*s))
			s++;
		if (strncmp(s, "<>", 2) == 0) {
			p->m->automatic = EMAIL_AUTO_BOUNCE;
			p->m->auto_reason = "return-path-null";
			return;
		}
	}
	if (top && g_mime_content_type_is_type(g_mime_object_get_content_type(top), "multipart",
					       "report")) {
		p->m->automatic = EMAIL_AUTO_BOUNCE;
		p->m->auto_reason = "multipart-report";
		return;
	}
	if (strncasecmp(p->m->from, "mailer-daemon@", 14) == 0) {
		p->m->automatic = EMAIL_AUTO_BOUNCE;
		p->m->auto_reason = "mailer-daemon";
		return;
	}
	if ((v = header(o, "Auto-Submitted")) && !word_is(v, "no")) {
		p->m->automatic = EMAIL_AUTO_REPLY;
		p->m->auto_reason = "auto-submitted";
	} else if ((v = header(o, "Precedence")) &&
		   (word_is(v, "bulk") || word_is(v, "junk") || word_is(v, "list") ||
		    word_is(v, "auto_reply"))) {
		p->m->automatic = EMAIL_AUTO_REPLY;
		p->m->auto_reason = "precedence";
	} else if (header(o, "X-Autoreply") || header(o, "X-Autorespond") ||
		   header(o, "X-Auto-Reply")) {
		p->m->automatic = EMAIL_AUTO_REPLY;
		p->m->auto_reason = "x-autoreply";
	}
}

/* The decoded bytes of a part written to a memory stream; NULL on failure. */
static GByteArray *decoded(GMimePart *part, GMimeStream **mem)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);

	*mem = g_mime_stream_mem_new();
	if (!w || g_mime_data_wrapper_write_to_stream(w, *mem) < 0)
		return NULL;
	return g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(*mem));
}

static int charset_is_utf8(const char *cs)
{
	return !cs || strcasecmp(cs, "utf-8") == 0 || strcasecmp(cs, "utf8") == 0 ||
	       strcasecmp(cs, "us-ascii") == 0 || strcasecmp(cs, "ascii") == 0;
}

/* The text of a text part as UTF-8, NUL-terminated, in *out (malloc'd). */
static void part_text(struct parse *p, GMimePart *part, char **out, size_t *outlen)
{
	const char *cs = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
	char *s = NULL;
	size_t n = 0;

	if (charset_is_utf8(cs)) {
		GMimeStream *mem = NULL;
		GByteArray *a = decoded(part, &mem);

		if (!a) {
			fail(p, EBADMSG, "unreadable text part");
		} else if (!email_utf8_valid((const char *)a->data, a->len)) {
			fail(p, EILSEQ, "invalid UTF-8 in the text");
		} else if (!(s = malloc(a->len + 1))) {
			fail(p, ENOMEM, "out of memory");
		} else {
			if (a->len) /* a->data is NULL for an empty part */
				memcpy(s, a->data, a->len);
			s[a->len] = '\0';
			n = a->len;
		}
		if (mem)
			g_object_unref(mem);
	} else {
		char *t = g_mime_text_part_get_text(GMIME_TEXT_PART(part));

		if (!t) {
			fail(p, EILSEQ, "text in an unknown charset");
		} else if (!email_utf8_valid(t, strlen(t))) {
			fail(p, EILSEQ, "text not convertible to UTF-8");
		} else if (!(s = strdup(t))) {
			fail(p, ENOMEM, "out of memory");
		} else {
			n = strlen(s);
		}
		g_free(t);
	}
	if (s) {
		*out = s;
		*outlen = n;
	}
}

static void add_attachment(struct parse *p, const char *name, const char *type, size_t size,
			   GMimeObject *obj)
{
	struct email_msg *m = p->m;
	const struct email_limits *l = p->lim;
	struct email_attachment *a;

	if (m->nattachments >= l->max_attachments) {
		m->attachments_refused++;
		return;
	}
	if (m->nattachments == p->natt_cap) {
		size_t cap = p->natt_cap ? p->natt_cap * 2 : 4;
		struct email_attachment *n = realloc(m->attachments, cap * sizeof(*n));

		if (!n) {
			fail(p, ENOMEM, "out of memory");
			return;
		}
		m->attachments = n;
		p->natt_cap = cap;
	}
	a = &m->attachments[m->nattachments];
	memset(a, 0, sizeof(*a));
	a->name = dup_utf8(p, name, "invalid UTF-8 in an attachment name");
	a->type = dup_utf8(p, type, "invalid UTF-8 in a content type");
	for (char *c = a->type; c && *c; c++)
		*c = (char)tolower((unsigned char)*c);
	a->size = size;
	a->refused = size > l->max_attachment;
	m->nattachments++;
	if (l->keep_data && !a->refused && size && GMIME_IS_PART(obj)) {
		GMimeStream *mem = NULL;
		GByteArray *b = decoded(GMIME_PART(obj), &mem);

		if (b && b->len == size && (a->data = malloc(size)))
			memcpy(a->data, b->data, size);
		else if (b && b->len == size)
			fail(p, ENOMEM, "out of memory");
		if (mem)
			g_object_unref(mem);
	}
	if (a->refused)
		m->attachments_refused++;
}

static void attachment_of_part(struct parse *p, GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	char *type = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
	const char *name = NULL;
	GMimeStream *null = g_mime_stream_null_new();
	ssize_t size = -1;

	if (GMIME_IS_PART(obj)) {
		GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(obj));

		name = g_mime_part_get_filename(GMIME_PART(obj));
		if (w)
			size = g_mime_data_wrapper_write_to_stream(w, null);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

		if (inner)
			size = g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL, null);
	}
	add_attachment(p, name, type ? type : "application/octet-stream",
		       size < 0 ? 0 : (size_t)size, obj);
	g_free(type);
	g_object_unref(null);
}

static void walk(struct parse *p, GMimeObject *obj, int depth)
{
	if (p->err || !obj)
		return;
	if (depth > DEPTH_MAX) {
		fail(p, EBADMSG, "MIME parts nested too deep");
		return;
	}
	check_raw_headers(p, obj);
	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mp);

		for (int i = 0; i < n && !p->err; i++)
			walk(p, g_mime_multipart_get_part(mp, i), depth + 1);
		return;
	}
	if (GMIME_IS_TEXT_PART(obj) && !g_mime_part_is_attachment(GMIME_PART(obj))) {
		GMimeContentType *ct = g_mime_object_get_content_type(obj);

		if (g_mime_content_type_is_type(ct, "text", "plain") && !p->plain) {
			part_text(p, GMIME_PART(obj), &p->plain, &p->plain_len);
			return;
		}
		if (g_mime_content_type_is_type(ct, "text", "html") && !p->html) {
			part_text(p, GMIME_PART(obj), &p->html, &p->html_len);
			return;
		}
	}
	attachment_of_part(p, obj);
}

static void references(struct parse *p, GMimeMessage *msg)
{
	const char *v = header(GMIME_OBJECT(msg), "References");
	GMimeReferences *refs = v ? g_mime_references_parse(NULL, v) : NULL;
	int n = refs ? g_mime_references_length(refs) : 0;

	if (n > 0) {
		p->m->references = calloc((size_t)n, sizeof(char *));
		if (!p->m->references)
			fail(p, ENOMEM, "out of memory");
	}
	for (int i = 0; i < n && !p->err; i++) {
		char *id = strip_brackets(p, g_mime_references_get_message_id(refs, i));

		if (id)
			p->m->references[p->m->nreferences++] = id;
	}
	if (refs)
		g_mime_references_free(refs);
	v = header(GMIME_OBJECT(msg), "In-Reply-To");
	refs = v ? g_mime_references_parse(NULL, v) : NULL;
	p->m->in_reply_to = strip_brackets(p, refs && g_mime_references_length(refs) > 0
						  ? g_mime_references_get_message_id(refs, 0)
						  : "");
	if (refs)
		g_mime_references_free(refs);
}

static void body(struct parse *p)
{
	struct email_msg *m = p->m;

	if (p->plain) {
		m->body = p->plain;
		p->plain = NULL;
	} else if (p->html) {
		m->body = email_html_to_text(p->html, p->html_len);
		m->body_from_html = 1;
		if (!m->body)
			fail(p, ENOMEM, "out of memory");
	} else {
		m->body = strdup("");
		if (!m->body)
			fail(p, ENOMEM, "out of memory");
	}
	if (m->body && strlen(m->body) > p->lim->max_body) {
		size_t n = p->lim->max_body;

		while (n > 0 && ((unsigned char)m->body[n] & 0xC0) == 0x80)
			n--;
		m->body[n] = '\0';
		m->body_truncated = 1;
	}
}

/* The first mailbox of LIST, looking inside groups. */
static InternetAddressMailbox *first_mailbox(InternetAddressList *list, int depth)
{
	int n = list && depth < 4 ? internet_address_list_length(list) : 0;

	for (int i = 0; i < n; i++) {
		InternetAddress *a = internet_address_list_get_address(list, i);
		InternetAddressMailbox *mb = NULL;

		if (INTERNET_ADDRESS_IS_MAILBOX(a))
			return INTERNET_ADDRESS_MAILBOX(a);
		if (INTERNET_ADDRESS_IS_GROUP(a))
			mb = first_mailbox(
			    internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)),
			    depth + 1);
		if (mb)
			return mb;
	}
	return NULL;
}

static void read_message(struct parse *p, GMimeMessage *msg)
{
	struct email_msg *m = p->m;
	InternetAddressMailbox *mb;
	GDateTime *date;

	check_raw_headers(p, GMIME_OBJECT(msg));
	if (p->err)
		return;
	mb = first_mailbox(g_mime_message_get_from(msg), 0);
	if (!mb || !internet_address_mailbox_get_addr(mb) ||
	    !strchr(internet_address_mailbox_get_addr(mb), '@')) {
		fail(p, EBADMSG, "no sender address");
		return;
	}
	m->from = dup_utf8(p, internet_address_mailbox_get_addr(mb), "invalid UTF-8 in From");
	m->from_name =
	    dup_utf8(p, internet_address_get_name(INTERNET_ADDRESS(mb)), "invalid UTF-8 in From");
	mb = first_mailbox(g_mime_message_get_to(msg), 0);
	m->to = dup_utf8(p, mb ? internet_address_mailbox_get_addr(mb) : "", "invalid UTF-8 in To");
	m->subject = dup_utf8(p, g_mime_message_get_subject(msg), "invalid UTF-8 in Subject");
	m->message_id = strip_brackets(p, g_mime_message_get_message_id(msg));
	if (p->err)
		return;
	references(p, msg);
	date = g_mime_message_get_date(msg);
	m->date = date ? g_date_time_to_unix(date) : 0;
	classify(p, msg);
	walk(p, g_mime_message_get_mime_part(msg), 0);
	if (!p->err)
		body(p);
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int email_parse(const char *data, size_t len, const struct email_limits *limits,
		struct email_msg **out, char *err, size_t errlen)
{
	struct email_limits lim = {25u << 20, 256u << 10, 20, 10u << 20, 0};
	struct parse p = {0};
	GMimeStream *stream = NULL;
	GMimeParser *parser = NULL;
	GMimeMessage *msg = NULL;

	email__init();
	if (limits) {
		if (limits->max_message)
			lim.max_message = limits->max_message;
		if (limits->max_body)
			lim.max_body = limits->max_body;
		if (limits->max_attachments)
			lim.max_attachments = limits->max_attachments;
		if (limits->max_attachment)
			lim.max_attachment = limits->max_attachment;
		lim.keep_data = limits->keep_data;
	}
	p.lim = &lim;
	if (len > lim.max_message) {
		set_err(err, errlen, "message of %zu bytes over the limit of %zu", len,
			lim.max_message);
		return EMSGSIZE;
	}
	p.m = calloc(1, sizeof(*p.m));
	if (!p.m) {
		set_err(err, errlen, "out of memory");
		return ENOMEM;
	}
	/* The stream reads DATA in place: GMime copies what it keeps. */
	stream = g_mime_stream_mem_new_with_buffer(data, len);
	parser = g_mime_parser_new_with_stream(stream);
	msg = g_mime_parser_construct_message(parser, NULL);
	if (!msg)
		fail(&p, EBADMSG, "not a message");
	else
		read_message(&p, msg);
	if (msg)
		g_object_unref(msg);
	g_object_unref(parser);
	g_object_unref(stream);
	free(p.plain);
	free(p.html);
	if (p.err) {
		set_err(err, errlen, "%s", p.reason);
		email_msg_free(p.m);
		return p.err;
	}
	*out = p.m;
	return 0;
}

void email_msg_free(struct email_msg *m)
{
	if (!m)
		return;
	free(m->from);
	free(m->from_name);
	free(m->to);
	free(m->subject);
	free(m->message_id);
	free(m->in_reply_to);
	for (size_t i = 0; i < m->nreferences; i++)
		free(m->references[i]);
	free(m->references);
	free(m->body);
	for (size_t i = 0; i < m->nattachments; i++) {
		free(m->attachments[i].name);
		free(m->attachments[i].type);
		free(m->attachments[i].data);
	}
	free(m->attachments);
	free(m);
}

size_t email_thread_keys(const struct email_msg *m, const char **ids, size_t max)
{
	size_t n = 0;

	if (m->in_reply_to && *m->in_reply_to && n < max)
		ids[n++] = m->in_reply_to;
	for (size_t i = m->nreferences; i-- > 0 && n < max;) {
		const char *id = m->references[i];
		int seen = !*id;

		for (size_t j = 0; j < n && !seen; j++)
			seen = strcmp(ids[j], id) == 0;
		if (!seen)
			ids[n++] = id;
	}
	return n;
}
