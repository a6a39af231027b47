/* The email channel's message reader (src/channels/email_parse.c, email_html.c) on
 * handwritten messages: headers and threading ids, text preferred to HTML, HTML reduced
 * to text, attachments under limits, auto-replies and bounces, and malformed MIME and
 * invalid UTF-8 refused with a reason while the next message still reads. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "channels/email.h"

static struct email_msg *parse_ok(const char *raw)
{
	struct email_msg *m = NULL;
	char err[128] = "";

	assert_int_equal(email_parse(raw, strlen(raw), NULL, &m, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_non_null(m);
	return m;
}

static int parse_err(const char *raw, size_t len, char *err, size_t errlen)
{
	struct email_msg *m = NULL;
	int rc = email_parse(raw, len, NULL, &m, err, errlen);

	assert_null(m);
	return rc;
}

static const char plain[] = "Return-Path: <jan@example.pl>\r\n"
			    "From: =?UTF-8?Q?Jan_Kowalski?= <jan@example.pl>\r\n"
			    "To: Support <support@acme.example>, other@acme.example\r\n"
			    "Subject: =?UTF-8?B?WmFtw7N3aWVuaWUgbnIgNDI=?=\r\n"
			    "Message-ID: <abc.1@example.pl>\r\n"
			    "In-Reply-To: <t1@acme.example>\r\n"
			    "References: <root@acme.example> <t1@acme.example>\r\n"
			    "Date: Thu, 03 Dec 2026 10:00:00 +0100\r\n"
			    "MIME-Version: 1.0\r\n"
			    "Content-Type: text/plain; charset=utf-8\r\n"
			    "Content-Transfer-Encoding: 8bit\r\n"
			    "\r\n"
			    "Dzień dobry,\r\nproszę o pomoc.\r\n";

static void test_headers_and_plain_body(void **state)
{
	struct email_msg *m = parse_ok(plain);

	(void)state;
	assert_string_equal(m->from, "jan@example.pl");
	assert_string_equal(m->from_name, "Jan Kowalski");
	assert_string_equal(m->to, "support@acme.example");
	assert_string_equal(m->subject, "Zamówienie nr 42");
	assert_string_equal(m->message_id, "abc.1@example.pl");
	assert_string_equal(m->in_reply_to, "t1@acme.example");
	assert_int_equal(m->nreferences, 2);
	assert_string_equal(m->references[0], "root@acme.example");
	assert_string_equal(m->references[1], "t1@acme.example");
	assert_int_equal(m->date, 1796288400); /* 2026-12-03T09:00:00Z */
	assert_string_equal(m->body, "Dzień dobry,\r\nproszę o pomoc.\r\n");
	assert_int_equal(m->body_from_html, 0);
	assert_int_equal(m->automatic, EMAIL_AUTO_NONE);
	assert_null(m->auto_reason);
	assert_int_equal(m->nattachments, 0);
	email_msg_free(m);
}

static void test_thread_keys_most_specific_first_once(void **state)
{
	struct email_msg *m = parse_ok(plain);
	const char *ids[8];

	(void)state;
	assert_int_equal(email_thread_keys(m, ids, 8), 2);
	assert_string_equal(ids[0], "t1@acme.example");
	assert_string_equal(ids[1], "root@acme.example");
	assert_int_equal(email_thread_keys(m, ids, 1), 1);
	email_msg_free(m);
}

static void test_new_message_has_no_thread_keys(void **state)
{
	struct email_msg *m = parse_ok("From: a@b.example\r\nSubject: hi\r\n\r\nhello\r\n");
	const char *ids[4];

	(void)state;
	assert_int_equal(email_thread_keys(m, ids, 4), 0);
	assert_string_equal(m->message_id, "");
	assert_string_equal(m->in_reply_to, "");
	assert_string_equal(m->to, "");
	assert_int_equal(m->date, 0);
	assert_string_equal(m->body, "hello\r\n");
	email_msg_free(m);
}

static void test_plain_preferred_to_html(void **state)
{
	struct email_msg *m =
	    parse_ok("From: a@b.example\r\nMIME-Version: 1.0\r\n"
		     "Content-Type: multipart/alternative; boundary=\"XX\"\r\n\r\n"
		     "--XX\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>html</p>\r\n"
		     "--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain text\r\n"
		     "--XX--\r\n");

	(void)state;
	assert_string_equal(m->body, "plain text");
	assert_int_equal(m->body_from_html, 0);
	assert_int_equal(m->nattachments, 0);
	email_msg_free(m);
}

static void test_html_only_becomes_text(void **state)
{
	struct email_msg *m =
	    parse_ok("From: a@b.example\r\nMIME-Version: 1.0\r\n"
		     "Content-Type: text/html; charset=iso-8859-2\r\n"
		     "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
		     "<html><head><title>T</title><style>p{color:red}</style>"
		     "<script>alert(1)</script></head><body><p>Dzie=F1 &amp; noc</p>"
		     "<img src=3D\"http://tracker.example/x.png\">"
		     "<div>drugi   wiersz<br>trzeci</div><!-- ukryty --></body></html>\r\n");

	(void)state;
	assert_int_equal(m->body_from_html, 1);
	assert_string_equal(m->body, "Dzień & noc\n\ndrugi wiersz\ntrzeci");
	email_msg_free(m);
}

static void test_html_to_text_drops_markup(void **state)
{
	const char *h = "<b>a</b>&lt;script&gt;<script>x</script><ul><li>one<li>two</ul>";
	char *t = email_html_to_text(h, strlen(h));

	(void)state;
	assert_string_equal(t, "a<script>\n\none\ntwo");
	free(t);
	t = email_html_to_text("", 0);
	assert_string_equal(t, "");
	free(t);
}

static const char with_attachments[] =
    "From: a@b.example\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
    "--B\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
    "--B\r\nContent-Type: application/PDF; name=\"faktura.pdf\"\r\n"
    "Content-Disposition: attachment; filename=\"faktura.pdf\"\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\nAAECAwQFBgcICQ==\r\n"
    "--B\r\nContent-Type: image/png\r\n"
    "Content-Disposition: attachment; filename*=UTF-8''zdj%C4%99cie.png\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\n"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n"
    "--B\r\nContent-Type: text/plain; name=\"notes.txt\"\r\n"
    "Content-Disposition: attachment; filename=\"notes.txt\"\r\n\r\nsecond text\r\n"
    "--B--\r\n";

static void test_attachments_listed_with_sizes(void **state)
{
	struct email_msg *m = parse_ok(with_attachments);

	(void)state;
	assert_string_equal(m->body, "see attached");
	assert_int_equal(m->nattachments, 3);
	assert_string_equal(m->attachments[0].name, "faktura.pdf");
	assert_string_equal(m->attachments[0].type, "application/pdf");
	assert_int_equal(m->attachments[0].size, 10);
	assert_int_equal(m->attachments[0].refused, 0);
	assert_string_equal(m->attachments[1].name, "zdjęcie.png");
	assert_string_equal(m->attachments[1].type, "image/png");
	assert_int_equal(m->attachments[1].size, 57);
	assert_string_equal(m->attachments[2].name, "notes.txt");
	assert_int_equal(m->attachments_refused, 0);
	email_msg_free(m);
}

static void test_attachment_limits(void **state)
{
	struct email_limits lim = {.max_attachments = 2, .max_attachment = 20};
	struct email_msg *m = NULL;
	char err[64];

	(void)state;
	assert_int_equal(
	    email_parse(with_attachments, strlen(with_attachments), &lim, &m, err, sizeof(err)), 0);
	assert_int_equal(m->nattachments, 2);
	assert_int_equal(m->attachments[0].refused, 0);
	assert_int_equal(m->attachments[1].refused, 1); /* 57 bytes over 20 */
	assert_int_equal(m->attachments_refused, 2);	/* and the third not listed */
	assert_string_equal(m->body, "see attached");
	email_msg_free(m);
}

static void test_message_size_limit(void **state)
{
	struct email_limits lim = {.max_message = 100};
	struct email_msg *m = NULL;
	char err[80];

	(void)state;
	assert_int_equal(email_parse(plain, strlen(plain), &lim, &m, err, sizeof(err)), EMSGSIZE);
	assert_null(m);
	assert_non_null(strstr(err, "over the limit"));
}

static void test_body_cut_on_a_character(void **state)
{
	const char *raw = "From: a@b.example\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
			  "ąąąą";
	struct email_limits lim = {.max_body = 5};
	struct email_msg *m = NULL;

	(void)state;
	assert_int_equal(email_parse(raw, strlen(raw), &lim, &m, NULL, 0), 0);
	assert_string_equal(m->body, "ąą");
	assert_int_equal(m->body_truncated, 1);
	email_msg_free(m);
}

static void expect_auto(const char *headers, enum email_auto kind, const char *reason)
{
	char raw[512];
	struct email_msg *m;

	snprintf(raw, sizeof(raw), "From: a@b.example\r\n%s\r\nbody\r\n", headers);
	m = parse_ok(raw);
	assert_int_equal(m->automatic, kind);
	if (reason)
		assert_string_equal(m->auto_reason, reason);
	else
		assert_null(m->auto_reason);
	email_msg_free(m);
}

static void test_auto_replies_and_bounces_recognised(void **state)
{
	(void)state;
	expect_auto("Auto-Submitted: auto-replied\r\n", EMAIL_AUTO_REPLY, "auto-submitted");
	expect_auto("Auto-Submitted: auto-generated; x=1\r\n", EMAIL_AUTO_REPLY, "auto-submitted");
	expect_auto("Auto-Submitted: no\r\n", EMAIL_AUTO_NONE, NULL);
	expect_auto("Precedence: bulk\r\n", EMAIL_AUTO_REPLY, "precedence");
	expect_auto("Precedence: junk\r\n", EMAIL_AUTO_REPLY, "precedence");
	expect_auto("Precedence: list\r\n", EMAIL_AUTO_REPLY, "precedence");
	expect_auto("Precedence: auto_reply\r\n", EMAIL_AUTO_REPLY, "precedence");
	expect_auto("Precedence: first-class\r\n", EMAIL_AUTO_NONE, NULL);
	expect_auto("X-Autoreply: yes\r\n", EMAIL_AUTO_REPLY, "x-autoreply");
	expect_auto("X-Autorespond: yes\r\n", EMAIL_AUTO_REPLY, "x-autoreply");
	expect_auto("Return-Path: <>\r\n", EMAIL_AUTO_BOUNCE, "return-path-null");
	expect_auto("Return-Path: <a@b.example>\r\n", EMAIL_AUTO_NONE, NULL);
	expect_auto(
	    "Content-Type: multipart/report; report-type=delivery-status; "
	    "boundary=R\r\n\r\n--R\r\nContent-Type: text/plain\r\n\r\nfailed\r\n"
	    "--R\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--R--\r\n",
	    EMAIL_AUTO_BOUNCE, "multipart-report");
}

static void test_mailer_daemon_is_a_bounce(void **state)
{
	struct email_msg *m =
	    parse_ok("From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered\r\n\r\nx\r\n");

	(void)state;
	assert_int_equal(m->automatic, EMAIL_AUTO_BOUNCE);
	email_msg_free(m);
}

static void test_malformed_rejected_with_reason(void **state)
{
	char err[128];

	(void)state;
	err[0] = '\0';
	assert_int_equal(parse_err("", 0, err, sizeof(err)), EBADMSG);
	assert_true(err[0] != '\0');
	assert_int_equal(parse_err("garbage without headers\r\n\r\n", 27, err, sizeof(err)),
			 EBADMSG);
	assert_int_equal(parse_err("From: not an address\r\n\r\nx", 25, err, sizeof(err)), EBADMSG);
	assert_string_equal(err, "no sender address");
}

static void test_broken_multipart_still_reads(void **state)
{
	/* No closing boundary, a part without headers, a boundary never used: GMime reads
	 * what there is; nothing crashes and the text is kept. */
	struct email_msg *m = parse_ok("From: a@b.example\r\n"
				       "Content-Type: multipart/mixed; boundary=\"Q\"\r\n\r\n"
				       "preamble\r\n--Q\r\n\r\nfirst\r\n--Q\r\n"
				       "Content-Type: text/plain\r\n\r\nsecond");
	(void)state;
	assert_non_null(strstr(m->body, "first"));
	email_msg_free(m);
	m = parse_ok("From: a@b.example\r\nContent-Type: multipart/mixed\r\n\r\nno boundary\r\n");
	email_msg_free(m);
}

static void test_invalid_utf8_rejected(void **state)
{
	char err[128];
	static const char bad_body[] = "From: a@b.example\r\n"
				       "Content-Type: text/plain; charset=utf-8\r\n\r\n"
				       "ok \xC3\x28 bad\r\n";
	static const char bad_header[] = "From: a@b.example\r\nSubject: \xFF\xFE\r\n\r\nx\r\n";
	static const char bad_no_charset[] = "From: a@b.example\r\n\r\n\xE2\x82\r\n";
	static const char overlong[] = "From: a@b.example\r\n\r\n\xC0\xAF\r\n";
	static const char surrogate[] = "From: a@b.example\r\n\r\n\xED\xA0\x80\r\n";
	static const char nul[] = "From: a@b.example\r\n\r\na\0b\r\n";

	(void)state;
	assert_int_equal(parse_err(bad_body, sizeof(bad_body) - 1, err, sizeof(err)), EILSEQ);
	assert_string_equal(err, "invalid UTF-8 in the text");
	assert_int_equal(parse_err(bad_header, sizeof(bad_header) - 1, err, sizeof(err)), EILSEQ);
	assert_string_equal(err, "invalid UTF-8 in a header");
	assert_int_equal(parse_err(bad_no_charset, sizeof(bad_no_charset) - 1, err, sizeof(err)),
			 EILSEQ);
	assert_int_equal(parse_err(overlong, sizeof(overlong) - 1, err, sizeof(err)), EILSEQ);
	assert_int_equal(parse_err(surrogate, sizeof(surrogate) - 1, err, sizeof(err)), EILSEQ);
	assert_int_equal(parse_err(nul, sizeof(nul) - 1, err, sizeof(err)), EILSEQ);
}

static void test_other_charsets_converted(void **state)
{
	struct email_msg *m = parse_ok("From: a@b.example\r\n"
				       "Subject: =?KOI8-R?B?8NLJ18XU?=\r\n"
				       "Content-Type: text/plain; charset=windows-1251\r\n\r\n"
				       "\xcf\xf0\xe8\xe2\xe5\xf2\r\n");

	(void)state;
	assert_string_equal(m->subject, "Привет");
	assert_string_equal(m->body, "Привет\r\n");
	email_msg_free(m);
}

/* A mailbox read in order: the bad message in the middle is refused with its reason,
 * the messages around it are read in full. */
static void test_bad_message_loses_nothing_else(void **state)
{
	const char *box[] = {plain, "From: x@y.example\r\n\r\n\xFF\r\n", with_attachments};
	int ok = 0, refused = 0;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct email_msg *m = NULL;
		char err[128];

		if (email_parse(box[i], strlen(box[i]), NULL, &m, err, sizeof(err)) == 0) {
			ok++;
			email_msg_free(m);
		} else {
			refused++;
			assert_int_equal(i, 1);
		}
	}
	assert_int_equal(ok, 2);
	assert_int_equal(refused, 1);
}

/* Found by fuzz/email.c: an empty text part left GMime's buffer NULL. */
static void test_empty_text_part(void **state)
{
	struct email_msg *m = parse_ok("From: a@b.example\r\nContent-Type: text/plain\r\n\r\n");

	(void)state;
	assert_string_equal(m->body, "");
	email_msg_free(m);
}

static void test_utf8_validator(void **state)
{
	(void)state;
	assert_true(email_utf8_valid("", 0));
	assert_true(email_utf8_valid(NULL, 0));
	assert_true(email_utf8_valid("a\xC5\x82\xE2\x82\xAC\xF0\x9F\x98\x80", 10));
	assert_false(email_utf8_valid("\xC5", 1));
	assert_false(email_utf8_valid("\xE0\x80\x80", 3));
	assert_false(email_utf8_valid("\xF4\x90\x80\x80", 4));
	assert_false(email_utf8_valid("\xF5\x80\x80\x80", 4));
	assert_false(email_utf8_valid("\x80", 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_headers_and_plain_body),
	    cmocka_unit_test(test_thread_keys_most_specific_first_once),
	    cmocka_unit_test(test_new_message_has_no_thread_keys),
	    cmocka_unit_test(test_plain_preferred_to_html),
	    cmocka_unit_test(test_html_only_becomes_text),
	    cmocka_unit_test(test_html_to_text_drops_markup),
	    cmocka_unit_test(test_attachments_listed_with_sizes),
	    cmocka_unit_test(test_attachment_limits),
	    cmocka_unit_test(test_message_size_limit),
	    cmocka_unit_test(test_body_cut_on_a_character),
	    cmocka_unit_test(test_auto_replies_and_bounces_recognised),
	    cmocka_unit_test(test_mailer_daemon_is_a_bounce),
	    cmocka_unit_test(test_malformed_rejected_with_reason),
	    cmocka_unit_test(test_broken_multipart_still_reads),
	    cmocka_unit_test(test_invalid_utf8_rejected),
	    cmocka_unit_test(test_other_charsets_converted),
	    cmocka_unit_test(test_bad_message_loses_nothing_else),
	    cmocka_unit_test(test_empty_text_part),
	    cmocka_unit_test(test_utf8_validator),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
