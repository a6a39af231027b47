/*
 * One pass over a queue's mailbox (src/channels/email_poll.c) against a real Dovecot on
 * loopback (test_channels_dovecot.h) and the store on SQLite: a new conversation is
 * handed over once, a reply joins its interaction, auto-replies, bounces and unreadable
 * messages are recorded without being handed over, a second pass on a new connection
 * (a restart) hands over nothing again, and a message the handler cannot take stays for
 * the next pass.
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

#include "channels/email.h"
#include "store/store.h"

#define DOVECOT_PORT 27800
#include "test_channels_dovecot.h"

struct seen {
	int calls, refuse;
	char subjects[8][64];
	char joined[8][64];
};

static int deliver_h(const struct email_msg *m, const char *joined, char ix[64], void *arg)
{
	struct seen *s = arg;

	if (s->refuse)
		return EAGAIN;
	if (s->calls < 8) {
		snprintf(s->subjects[s->calls], 64, "%s", m->subject);
		snprintf(s->joined[s->calls], 64, "%s", joined ? joined : "-");
	}
	s->calls++;
	snprintf(ix, 64, "%s", joined ? joined : s->calls == 1 ? "ix-first" : "ix-other");
	return 0;
}

#define MSG(name, headers, body)                                                                   \
	static const char name[] = "From: Jan <jan@example.pl>\r\n" headers "\r\n" body "\r\n"

MSG(m_new, "Subject: order 42\r\nMessage-ID: <n1@example.pl>\r\n", "hello");
MSG(m_auto, "Subject: away\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <a1@example.pl>\r\n",
    "out of office");
MSG(m_bad, "Subject: bad\r\nContent-Type: text/plain; charset=utf-8\r\n", "\xc3\x28");
MSG(m_reply,
    "Subject: Re: order 42\r\nMessage-ID: <n2@example.pl>\r\n"
    "In-Reply-To: <ack.n1@acme.example>\r\nReferences: <n1@example.pl> "
    "<ack.n1@acme.example>\r\n",
    "thanks");
MSG(m_other, "Subject: another\r\nMessage-ID: <o1@example.pl>\r\n", "second conversation");

static void test_pass_hands_over_once_and_threads(void **state)
{
	char sqlite_url[128], dbdir[64] = "/tmp/centrala-poll-test.XXXXXX", cmd[128];
	struct email_poll p = {.tenant = "acme", .queue = "support", .deliver = deliver_h};
	struct email_poll_stats st;
	struct seen s = {0};
	struct store_db *db;

	(void)state;
	need_server();
	assert_non_null(mkdtemp(dbdir));
	snprintf(sqlite_url, sizeof(sqlite_url), "sqlite:%s/centrala.db", dbdir);
	p.imap = (struct email_imap){url, "box", "pw", 10000, NULL};
	p.arg = &s;
	deliver("1.new", m_new, sizeof(m_new) - 1);
	deliver("2.auto", m_auto, sizeof(m_auto) - 1);
	deliver("3.bad", m_bad, sizeof(m_bad) - 1);

	assert_int_equal(store_db_open(sqlite_url, &db), 0);
	assert_int_equal(email_poll_once(&p, db, &st), 0);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(st.automatic, 1);
	assert_int_equal(st.refused, 1);
	assert_int_equal(s.calls, 1);
	assert_string_equal(s.subjects[0], "order 42");
	assert_string_equal(s.joined[0], "-");
	/* The acknowledgement sent for it is filed under the same interaction. */
	assert_int_equal(store_db_email_thread_put(db, "acme", "ack.n1@acme.example", "ix-first"),
			 0);
	store_db_close(db);

	/* A restart: a new connection, the same mailbox. Nothing is handed over twice; the
	 * reply joins its conversation; a message the engine cannot take waits. */
	deliver("4.reply", m_reply, sizeof(m_reply) - 1);
	assert_int_equal(store_db_open(sqlite_url, &db), 0);
	s.refuse = 1;
	assert_int_equal(email_poll_once(&p, db, &st), EAGAIN);
	assert_int_equal(s.calls, 1);
	s.refuse = 0;
	assert_int_equal(email_poll_once(&p, db, &st), 0);
	assert_int_equal(st.joined, 1);
	assert_int_equal(st.delivered + st.automatic + st.refused, 0);
	assert_int_equal(s.calls, 2);
	assert_string_equal(s.joined[1], "ix-first");
	deliver("5.other", m_other, sizeof(m_other) - 1);
	assert_int_equal(email_poll_once(&p, db, &st), 0);
	assert_int_equal(st.delivered, 1);
	assert_string_equal(s.joined[2], "-");
	assert_int_equal(email_poll_once(&p, db, &st), 0);
	assert_int_equal(st.delivered + st.joined + st.automatic + st.refused, 0);
	assert_int_equal(s.calls, 3);
	store_db_close(db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dbdir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pass_hands_over_once_and_threads),
	};
	return cmocka_run_group_tests(tests, dovecot_setup, dovecot_teardown);
}
