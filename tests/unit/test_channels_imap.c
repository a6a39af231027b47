/*
 * The email channel's IMAP reader (src/channels/email_imap.c) against a real Dovecot on
 * loopback (test_channels_dovecot.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "channels/email.h"

#define DOVECOT_PORT 27500
#include "test_channels_dovecot.h"

static void test_mailbox_read_in_order_bad_message_loses_nothing(void **state)
{
	static const char m1[] = "From: Jan <jan@example.pl>\r\nSubject: pierwsza\r\n"
				 "Message-ID: <m1@example.pl>\r\n\r\nDzie\xc5\x84 dobry\r\n";
	static const char m2[] = "From: x@example.pl\r\nSubject: bad\r\n\r\n\xff\xfe\r\n";
	static const char m3[] = "From: Ewa <ewa@example.pl>\r\nSubject: Re: pierwsza\r\n"
				 "Message-ID: <m3@example.pl>\r\nIn-Reply-To: <m1@example.pl>\r\n"
				 "\r\nodpowied\xc5\xba\r\n";
	struct email_imap im = {url, "box", "pw", 10000, NULL};
	int64_t v1 = 0, v2 = 0, uids[16];
	size_t n = 0, ok = 0, refused = 0;
	char err[256];

	(void)state;
	need_server();
	deliver("1.m1", m1, sizeof(m1) - 1);
	deliver("2.m2", m2, sizeof(m2) - 1);
	deliver("3.m3", m3, sizeof(m3) - 1);
	assert_int_equal(email_imap_uidvalidity(&im, &v1, err, sizeof(err)), 0);
	assert_true(v1 > 0);
	assert_int_equal(email_imap_uids_after(&im, 0, uids, 16, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_true(uids[0] < uids[1] && uids[1] < uids[2]);
	for (size_t i = 0; i < n; i++) {
		struct email_msg *m = NULL;
		char *raw = NULL;
		size_t len = 0;

		assert_int_equal(
		    email_imap_fetch(&im, uids[i], 1 << 20, &raw, &len, err, sizeof(err)), 0);
		if (email_parse(raw, len, NULL, &m, err, sizeof(err)) == 0) {
			ok++;
			if (i == 2) {
				assert_string_equal(m->in_reply_to, "m1@example.pl");
				assert_string_equal(m->body, "odpowiedź\r\n");
			}
			email_msg_free(m);
		} else {
			refused++;
			assert_int_equal(i, 1);
			assert_string_equal(err, "invalid UTF-8 in the text");
		}
		free(raw);
	}
	assert_int_equal(ok, 2);
	assert_int_equal(refused, 1);

	/* After the last handled UID, nothing ("N:*" matches the highest UID even below
	 * N); then a new message alone. The folder generation stays. */
	assert_int_equal(email_imap_uids_after(&im, uids[2], uids, 16, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	deliver("4.m4", m1, sizeof(m1) - 1);
	assert_int_equal(email_imap_uids_after(&im, uids[2], uids + 3, 13, &n, err, sizeof(err)),
			 0);
	assert_int_equal(n, 1);
	assert_true(uids[3] > uids[2]);
	assert_int_equal(email_imap_uidvalidity(&im, &v2, err, sizeof(err)), 0);
	assert_int_equal(v1, v2);

	/* One session serves many calls (one login): the same answers, the message gone
	 * mid-session is ENOENT and the session goes on. */
	assert_int_equal(email_imap_session_new(&im.session), 0);
	for (int round = 0; round < 2; round++) {
		char *raw = NULL;
		size_t len = 0;

		assert_int_equal(email_imap_uidvalidity(&im, &v2, err, sizeof(err)), 0);
		assert_int_equal(v1, v2);
		assert_int_equal(
		    email_imap_fetch(&im, uids[3], 1 << 20, &raw, &len, err, sizeof(err)), 0);
		assert_int_equal(len, sizeof(m1) - 1);
		free(raw);
		raw = NULL;
		assert_int_equal(
		    email_imap_fetch(&im, uids[3] + 100, 1 << 20, &raw, &len, err, sizeof(err)),
		    ENOENT);
	}
	email_imap_session_free(im.session);
	im.session = NULL;
}

/* 5,000 waiting messages: a plain SEARCH would answer one line of over 16 KiB, which
 * libcurl was seen to cut; every UID comes, in order, none skipped. */
static void test_large_folder_lists_every_uid(void **state)
{
	static const char m[] = "From: a@example.pl\r\nSubject: x\r\n\r\nx\r\n";
	struct email_imap im = {url, "box", "pw", 30000, NULL};
	int64_t first, uids[1000];
	size_t n = 0;
	char err[256], name[32];

	(void)state;
	need_server();
	assert_int_equal(email_imap_uids_after(&im, 0, uids, 1, &n, err, sizeof(err)), 0);
	first = n ? uids[0] : 1;
	assert_int_equal(email_imap_uids_after(&im, first, uids, 1000, &n, err, sizeof(err)), 0);
	first += (int64_t)n; /* the highest UID so far */
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "big.%d", i);
		deliver(name, m, sizeof(m) - 1);
	}
	for (int64_t after = first; after < first + 5000; after += 1000) {
		assert_int_equal(
		    email_imap_uids_after(&im, after, uids, 1000, &n, err, sizeof(err)), 0);
		assert_int_equal(n, 1000);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(uids[i], after + 1 + (int64_t)i);
	}
	assert_int_equal(email_imap_uids_after(&im, first + 5000, uids, 1000, &n, err, sizeof(err)),
			 0);
	assert_int_equal(n, 0);
}

static void test_limits_and_errors(void **state)
{
	struct email_imap im = {url, "box", "pw", 10000, NULL};
	struct email_imap wrong = {url, "box", "not-the-password", 10000, NULL};
	int64_t uids[4], v;
	size_t n = 0, len;
	char err[256], *raw = NULL;

	(void)state;
	need_server();
	assert_int_equal(email_imap_uids_after(&im, 0, uids, 4, &n, err, sizeof(err)), 0);
	assert_true(n >= 1);
	assert_int_equal(email_imap_fetch(&im, uids[0], 10, &raw, &len, err, sizeof(err)),
			 EMSGSIZE);
	assert_null(raw);
	assert_int_equal(email_imap_fetch(&im, 999999, 1 << 20, &raw, &len, err, sizeof(err)),
			 ENOENT);
	assert_int_equal(email_imap_uidvalidity(&wrong, &v, err, sizeof(err)), EACCES);
	assert_null(strstr(err, "not-the-password"));
	im.url = "imap://127.0.0.1:1/";
	assert_int_equal(email_imap_uidvalidity(&im, &v, err, sizeof(err)), EINVAL);
	im.url = "imap://127.0.0.1:1/INBOX";
	assert_int_equal(email_imap_uidvalidity(&im, &v, err, sizeof(err)), EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mailbox_read_in_order_bad_message_loses_nothing),
	    cmocka_unit_test(test_limits_and_errors),
	    cmocka_unit_test(test_large_folder_lists_every_uid),
	};
	return cmocka_run_group_tests(tests, dovecot_setup, dovecot_teardown);
}
