/*
 * Replies of the email channel (src/channels/email_send.c): built with the threading
 * headers, the signature and the automatic mark, read back by the channel's own reader;
 * refused when a header would break; and sent over SMTP to a real receiver on loopback
 * (tests/channels/smtp-sink.py, started for the run on port 27600 +
 * PROTOCOL_SLOT_BASE), which must hold the message as sent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "channels/email.h"

static char dir[64];
static int port;
static long sink_pid;

static int setup(void **state)
{
	const char *base = getenv("PROTOCOL_SLOT_BASE");
	char cmd[400], path[128];
	FILE *f;

	(void)state;
	port = 27600 + (base ? atoi(base) % 100 : (int)(getpid() % 100));
	snprintf(dir, sizeof(dir), "/tmp/centrala-smtp-test.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "python3 tests/channels/smtp-sink.py %s %d >%s/sink.log 2>&1 & echo $! >%s/pid",
		 dir, port, dir, dir);
	if (system(cmd) != 0)
		return 0;
	snprintf(path, sizeof(path), "%s/pid", dir);
	if ((f = fopen(path, "r"))) {
		if (fscanf(f, "%ld", &sink_pid) != 1)
			sink_pid = 0;
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/ready", dir);
	for (int i = 0; i < 100 && access(path, F_OK) != 0; i++)
		usleep(50000);
	return 0;
}

static int teardown(void **state)
{
	char cmd[200];

	(void)state;
	if (sink_pid > 0)
		kill((pid_t)sink_pid, SIGTERM);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *const refs[] = {"root@example.pl", "m1@example.pl"};

static struct email_out reply(void)
{
	return (struct email_out){
	    .from = "ACME Obsługa <support@acme.example>",
	    .to = "jan@example.pl",
	    .subject = "Zamówienie nr 42",
	    .message_id = "r1.ix1@acme.example",
	    .in_reply_to = "m1@example.pl",
	    .references = refs,
	    .nreferences = 2,
	    .body = "Dzień dobry,\nwysłaliśmy paczkę.",
	    .signature = "ACME, +48 22 123 45 67",
	    .date = 1796288400,
	};
}

static void test_reply_threaded_and_signed(void **state)
{
	struct email_out o = reply();
	struct email_msg *m = NULL;
	const char *ids[4];
	char *raw = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(email_build(&o, &raw, &len), 0);
	assert_non_null(strstr(raw, "\r\nIn-Reply-To: <m1@example.pl>\r\n"));
	assert_null(strstr(raw, "Auto-Submitted"));
	assert_int_equal(email_parse(raw, len, NULL, &m, NULL, 0), 0);
	assert_string_equal(m->from, "support@acme.example");
	assert_string_equal(m->from_name, "ACME Obsługa");
	assert_string_equal(m->to, "jan@example.pl");
	assert_string_equal(m->subject, "Re: Zamówienie nr 42");
	assert_string_equal(m->message_id, "r1.ix1@acme.example");
	assert_string_equal(m->in_reply_to, "m1@example.pl");
	assert_int_equal(m->nreferences, 2);
	assert_string_equal(m->references[1], "m1@example.pl");
	assert_int_equal(email_thread_keys(m, ids, 4), 2);
	assert_int_equal(m->date, 1796288400);
	assert_string_equal(
	    m->body, "Dzień dobry,\r\nwysłaliśmy paczkę.\r\n\r\n-- \r\nACME, +48 22 123 45 67\r\n");
	assert_int_equal(m->automatic, EMAIL_AUTO_NONE);
	email_msg_free(m);
	free(raw);
}

static void test_acknowledgement_is_marked_automatic(void **state)
{
	struct email_out o = reply();
	struct email_msg *m = NULL;
	char *raw = NULL;
	size_t len = 0;

	(void)state;
	o.automatic = 1;
	o.subject = "Re: Zamówienie nr 42";
	o.signature = NULL;
	assert_int_equal(email_build(&o, &raw, &len), 0);
	assert_int_equal(email_parse(raw, len, NULL, &m, NULL, 0), 0);
	assert_string_equal(m->subject, "Re: Zamówienie nr 42");
	assert_int_equal(m->automatic, EMAIL_AUTO_REPLY);
	email_msg_free(m);
	free(raw);
}

/* A chat's transcript answers no message: its subject as given, no threading headers,
 * marked auto-generated (RFC 3834), so an auto-responder does not answer it either. */
static void test_transcript_is_fresh_and_generated(void **state)
{
	struct email_out o = reply();
	struct email_msg *m = NULL;
	char *raw = NULL;
	size_t len = 0;

	(void)state;
	o.automatic = 1;
	o.fresh = 1;
	o.subject = "Запись чата: ACME";
	o.in_reply_to = NULL;
	o.nreferences = 0;
	o.signature = NULL;
	assert_int_equal(email_build(&o, &raw, &len), 0);
	assert_non_null(strstr(raw, "\r\nAuto-Submitted: auto-generated\r\n"));
	assert_null(strstr(raw, "In-Reply-To"));
	assert_int_equal(email_parse(raw, len, NULL, &m, NULL, 0), 0);
	assert_string_equal(m->subject, "Запись чата: ACME");
	assert_int_equal(m->automatic, EMAIL_AUTO_REPLY);
	email_msg_free(m);
	free(raw);
}

/* Files go as base64 parts of a multipart/mixed message after the text; the reader
 * with keep_data gives them back byte for byte, and a name with a line end is refused. */
static void test_files_attached_and_read_back(void **state)
{
	static const unsigned char bin[] = {0x00, 0xff, 0x10, 'P', 'D', 'F', '\n', 0x80};
	struct email_file files[] = {
	    {.name = "faktura-żółw.pdf",
	     .type = "application/pdf",
	     .data = bin,
	     .len = sizeof(bin)},
	    {.name = "note.txt", .type = NULL, .data = "RMA 42", .len = 6},
	};
	struct email_limits lim = {.keep_data = 1};
	struct email_out o = reply();
	struct email_msg *m = NULL;
	char *raw = NULL;
	size_t len = 0;

	(void)state;
	o.files = files;
	o.nfiles = 2;
	assert_int_equal(email_build(&o, &raw, &len), 0);
	assert_non_null(strstr(raw, "multipart/mixed"));
	assert_int_equal(email_parse(raw, len, &lim, &m, NULL, 0), 0);
	assert_non_null(strstr(m->body, "wysłaliśmy paczkę."));
	assert_int_equal(m->nattachments, 2);
	assert_string_equal(m->attachments[0].name, "faktura-żółw.pdf");
	assert_string_equal(m->attachments[0].type, "application/pdf");
	assert_int_equal(m->attachments[0].size, sizeof(bin));
	assert_memory_equal(m->attachments[0].data, bin, sizeof(bin));
	assert_string_equal(m->attachments[1].type, "application/octet-stream");
	assert_memory_equal(m->attachments[1].data, "RMA 42", 6);
	email_msg_free(m);
	m = NULL;
	/* Without keep_data the reader lists them only. */
	assert_int_equal(email_parse(raw, len, NULL, &m, NULL, 0), 0);
	assert_null(m->attachments[0].data);
	email_msg_free(m);
	free(raw);
	raw = NULL;
	files[1].name = "evil\r\nBcc: x@y";
	assert_int_equal(email_build(&o, &raw, &len), EINVAL);
	assert_null(raw);
}

static void test_broken_headers_refused(void **state)
{
	struct email_out o = reply();
	char *raw = NULL;
	size_t len = 0;

	(void)state;
	o.subject = "x\r\nBcc: victim@example.com";
	assert_int_equal(email_build(&o, &raw, &len), EINVAL);
	o = reply();
	o.message_id = "a b@c";
	assert_int_equal(email_build(&o, &raw, &len), EINVAL);
	o = reply();
	o.to = "not-an-address";
	assert_int_equal(email_build(&o, &raw, &len), EINVAL);
	o = reply();
	o.body = "\xff";
	assert_int_equal(email_build(&o, &raw, &len), EINVAL);
	assert_null(raw);
}

static void test_sent_over_smtp_arrives_threaded(void **state)
{
	struct email_out o = reply();
	struct email_msg *m = NULL;
	char url[64], path[128], err[256], env[256], *raw = NULL, got[8192];
	size_t len = 0, n;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/ready", dir);
	if (access(path, F_OK) != 0) {
		const char *ci = getenv("CI");

		if (ci && !strcmp(ci, "true"))
			fail_msg("no SMTP receiver (python3 with smtpd, Debian 12)");
		skip();
	}
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", port);
	assert_int_equal(email_build(&o, &raw, &len), 0);
	assert_int_equal(email_smtp_send(url, NULL, NULL, 10000, "support@acme.example",
					 "jan@example.pl", raw, len, err, sizeof(err)),
			 0);
	free(raw);
	snprintf(path, sizeof(path), "%s/0001.env", dir);
	for (int i = 0; i < 100 && access(path, F_OK) != 0; i++)
		usleep(50000);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(env, 1, sizeof(env) - 1, f);
	env[n] = '\0';
	fclose(f);
	assert_string_equal(env, "support@acme.example\njan@example.pl\n");
	snprintf(path, sizeof(path), "%s/0001.eml", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(got, 1, sizeof(got) - 1, f);
	got[n] = '\0';
	fclose(f);
	assert_int_equal(email_parse(got, n, NULL, &m, NULL, 0), 0);
	assert_string_equal(m->in_reply_to, "m1@example.pl");
	assert_string_equal(m->message_id, "r1.ix1@acme.example");
	assert_non_null(strstr(m->body, "wysłaliśmy paczkę."));
	email_msg_free(m);
	/* A closed port and a bad envelope address. */
	snprintf(url, sizeof(url), "smtp://127.0.0.1:1");
	assert_int_equal(email_smtp_send(url, NULL, NULL, 5000, "a@b.example", "c@d.example", "x",
					 1, err, sizeof(err)),
			 EIO);
	assert_int_equal(email_smtp_send(url, NULL, NULL, 5000, "a@b.example", "c@d>x", "x", 1, err,
					 sizeof(err)),
			 EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reply_threaded_and_signed),
	    cmocka_unit_test(test_acknowledgement_is_marked_automatic),
	    cmocka_unit_test(test_transcript_is_fresh_and_generated),
	    cmocka_unit_test(test_files_attached_and_read_back),
	    cmocka_unit_test(test_broken_headers_refused),
	    cmocka_unit_test(test_sent_over_smtp_arrives_threaded),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
