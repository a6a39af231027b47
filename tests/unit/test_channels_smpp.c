/*
 * The SMPP session (src/channels/sms_smpp.c) against an SMSC written from SMPP 3.4 in
 * Python (tests/channels/smsc.py) on 127.0.0.1, port 27900 (+1 for its control) +
 * PROTOCOL_SLOT_BASE: bind_transceiver, enquire_link, texts in and out (GSM 7-bit, UCS-2,
 * concatenated both ways), a delivery receipt, garbage on the socket recovered from with
 * no text lost, a refused bind retried with back-off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "channels/sms.h"
#include "core/clock.h"

static int port, cport;
static pid_t smsc = -1;
static FILE *ctl;

/* What the session's callbacks saw (written by its thread). */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static json_t *seen;

static int note(json_t *ev)
{
	pthread_mutex_lock(&mu);
	json_array_append_new(seen, ev);
	pthread_mutex_unlock(&mu);
	return 0;
}

/* The first time a text starting with "defer" is complete, it is not taken. */
static int deferred;

static int on_message(void *arg, const char *from, const char *to, const char *text)
{
	(void)arg;
	if (!strncmp(text, "defer", 5) && !deferred++)
		return ENOBUFS;
	return note(json_pack("{s:s, s:s, s:s, s:s}", "ev", "message", "from", from, "to", to,
			      "text", text));
}

static void on_receipt(void *arg, const struct sms_receipt *r)
{
	(void)arg;
	note(json_pack("{s:s, s:s, s:s}", "ev", "receipt", "id", r->id, "stat", r->stat));
}

static void on_sent(void *arg, uint64_t cookie, bool ok, const char *ids, uint32_t status,
		    const char *why)
{
	(void)arg;
	note(json_pack("{s:s, s:I, s:b, s:s, s:i, s:s?}", "ev", "sent", "cookie",
		       (json_int_t)cookie, "ok", ok, "ids", ids, "status", (int)status, "why",
		       why));
}

static void on_state(void *arg, bool bound)
{
	(void)arg;
	note(json_pack("{s:s, s:b}", "ev", "state", "bound", bound));
}

/* Waits up to 10 s for the n-th event of kind `ev` (1-based); returns it (borrowed). */
static json_t *wait_event(const char *ev, size_t n)
{
	for (int i = 0; i < 200; i++) {
		size_t k = 0, idx;
		json_t *e, *found = NULL;
		pthread_mutex_lock(&mu);
		json_array_foreach(
		    seen, idx, e) if (!strcmp(json_string_value(json_object_get(e, "ev")), ev) &&
				      ++k == n) found = e;
		pthread_mutex_unlock(&mu);
		if (found)
			return found;
		usleep(50000);
	}
	return NULL;
}

/* The n-th event of kind `ev` if it came, without waiting. */
static json_t *wait_event_now(const char *ev, size_t n)
{
	size_t k = 0, idx;
	json_t *e, *found = NULL;

	pthread_mutex_lock(&mu);
	json_array_foreach(
	    seen, idx, e) if (!strcmp(json_string_value(json_object_get(e, "ev")), ev) && ++k == n)
	    found = e;
	pthread_mutex_unlock(&mu);
	return found;
}

static json_t *control(const char *fmt, ...)
{
	char line[16384];
	va_list ap;
	json_t *ans;

	va_start(ap, fmt);
	vfprintf(ctl, fmt, ap);
	va_end(ap);
	fputc('\n', ctl);
	fflush(ctl);
	assert_non_null(fgets(line, sizeof(line), ctl));
	ans = json_loads(line, 0, NULL);
	assert_non_null(ans);
	assert_null(json_object_get(ans, "error"));
	return ans;
}

static int smsc_setup(void **state)
{
	const char *base = getenv("PROTOCOL_SLOT_BASE");
	int fds[2], off = base ? atoi(base) % 100 : (int)(getpid() % 100);
	char ps[16], cs[16], ready[16] = "";
	struct sockaddr_in a = {0};
	FILE *out;
	int fd;

	(void)state;
	port = 27900 + 2 * off;
	cport = port + 1;
	snprintf(ps, sizeof(ps), "%d", port);
	snprintf(cs, sizeof(cs), "%d", cport);
	if (pipe(fds))
		return -1;
	if ((smsc = fork()) == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		execlp("python3", "python3", "tests/channels/smsc.py", ps, cs, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	out = fdopen(fds[0], "r");
	if (!out || !fgets(ready, sizeof(ready), out) || strncmp(ready, "ready", 5))
		return -1;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)cport);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	ctl = fdopen(fd, "r+");
	seen = json_array();
	return 0;
}

static int smsc_teardown(void **state)
{
	(void)state;
	if (ctl)
		fclose(ctl);
	if (smsc > 0) {
		kill(smsc, SIGTERM);
		waitpid(smsc, NULL, 0);
	}
	json_decref(seen);
	return 0;
}

static struct smpp_session *start(const char *password)
{
	struct smpp_conf c = {0};
	struct smpp_events ev = {NULL, on_message, on_receipt, on_sent, on_state};
	struct smpp_session *s = NULL;

	c.host = "127.0.0.1";
	c.port = port;
	c.bind.system_id = "centrala";
	c.bind.password = password;
	c.source.addr = "ACME";
	c.source.ton = 5;
	c.enquire_ms = 300;
	c.response_ms = 3000;
	c.reconnect_min_ms = 100;
	c.reconnect_max_ms = 400;
	c.receipts = true;
	c.log_name = "test";
	assert_int_equal(smpp_session_start(&c, &ev, &s), 0);
	return s;
}

static int64_t ival(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static void test_session(void **state)
{
	static const char ru[] =
	    "\xd0\x97\xd0\xb4\xd1\x80\xd0\xb0\xd0\xb2\xd1\x81\xd1\x82\xd0\xb2\xd1\x83\xd0\xb9\xd1"
	    "\x82\xd0\xb5"; /* Здравствуйте, 12 characters */
	char longru[2048] = "", mid[64];
	struct smpp_session *s;
	json_t *st, *ev, *subs;
	size_t nsub;

	(void)state;
	s = start("secret");
	assert_non_null(wait_event("state", 1));
	st = control("{\"cmd\":\"wait\",\"key\":\"enquires\",\"value\":2}");
	assert_true(ival(st, "binds") == 1);
	assert_true(ival(st, "enquires") >= 2); /* enquire_link on silence */
	json_decref(st);

	/* Out: GSM 7-bit one part, with a receipt asked for */
	assert_int_equal(smpp_send(s, 1, "+48601234567", "Hello {ACME} 5\xe2\x82\xac"), 0);
	ev = wait_event("sent", 1);
	assert_non_null(ev);
	assert_true(json_is_true(json_object_get(ev, "ok")));
	snprintf(mid, sizeof(mid), "%s", json_string_value(json_object_get(ev, "ids")));
	st = control("{\"cmd\":\"state\"}");
	subs = json_object_get(st, "submits");
	assert_int_equal(json_array_size(subs), 1);
	ev = json_array_get(subs, 0);
	assert_string_equal(json_string_value(json_object_get(ev, "to")), "48601234567");
	assert_int_equal(ival(ev, "dest_ton"), 1);
	assert_string_equal(json_string_value(json_object_get(ev, "from")), "ACME");
	assert_int_equal(ival(ev, "data_coding"), 0);
	assert_int_equal(ival(ev, "registered_delivery"), 1);
	assert_string_equal(json_string_value(json_object_get(ev, "text")),
			    "Hello {ACME} 5\xe2\x82\xac");
	json_decref(st);

	/* The receipt for it */
	json_decref(control("{\"cmd\":\"receipt\",\"id\":\"%s\",\"stat\":\"DELIVRD\"}", mid));
	ev = wait_event("receipt", 1);
	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(ev, "id")), mid);
	assert_string_equal(json_string_value(json_object_get(ev, "stat")), "DELIVRD");

	/* Out: 300 Russian characters -> 5 UCS-2 parts with one reference */
	for (int i = 0; i < 25; i++)
		strcat(longru, ru);
	assert_int_equal(smpp_send(s, 2, "+79161234567", longru), 0);
	ev = wait_event("sent", 2);
	assert_non_null(ev);
	assert_true(json_is_true(json_object_get(ev, "ok")));
	assert_string_equal(json_string_value(json_object_get(ev, "ids")), "M2,M3,M4,M5,M6");
	st = control("{\"cmd\":\"state\"}");
	subs = json_object_get(st, "submits");
	nsub = json_array_size(subs);
	assert_int_equal(nsub, 6);
	{
		char joined[2048] = "";
		const char *udh0 =
		    json_string_value(json_object_get(json_array_get(subs, 1), "udh"));
		for (size_t i = 1; i < nsub; i++) {
			const char *udh;
			ev = json_array_get(subs, i);
			assert_int_equal(ival(ev, "data_coding"), 8);
			assert_int_equal(ival(ev, "esm_class"), 0x40);
			udh = json_string_value(json_object_get(ev, "udh"));
			/* 00 03 ref 05 seq */
			assert_int_equal(strlen(udh), 10);
			assert_memory_equal(udh, udh0, 6);
			assert_memory_equal(udh + 6, "05", 2);
			assert_int_equal(udh[9] - '0', (int)i);
			strcat(joined, json_string_value(json_object_get(ev, "text")));
		}
		assert_string_equal(joined, longru);
	}
	json_decref(st);

	/* In: GSM, then the 300 characters in 5 UCS-2 parts, sent last part first */
	json_decref(control("{\"cmd\":\"deliver\",\"from\":\"+48601234567\",\"to\":\"ACME\","
			    "\"text\":\"Dzien dobry {1}\",\"coding\":\"gsm\"}"));
	json_decref(control("{\"cmd\":\"deliver\",\"from\":\"0048601234567\",\"to\":\"ACME\","
			    "\"text\":\"ok [gsm] \\u20ac\",\"coding\":\"gsm\"}"));
	ev = wait_event("message", 1);
	assert_non_null(ev);
	{
		json_t *js = json_string(longru);
		char *quoted = json_dumps(js, JSON_ENCODE_ANY);

		json_decref(control("{\"cmd\":\"deliver\",\"from\":\"79161234567\",\"to\":\"ACME\","
				    "\"text\":%s,\"coding\":\"ucs2\",\"reverse\":true,\"ref\":9}",
				    quoted));
		free(quoted);
		json_decref(js);
	}
	ev = wait_event("message", 3);
	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(ev, "from")), "+79161234567");
	assert_string_equal(json_string_value(json_object_get(ev, "text")), longru);
	ev = wait_event("message", 2);
	assert_string_equal(json_string_value(json_object_get(ev, "from")), "+48601234567");
	assert_string_equal(json_string_value(json_object_get(ev, "text")),
			    "ok [gsm] \xe2\x82\xac");
	st = control("{\"cmd\":\"wait\",\"key\":\"unacked\",\"value\":0}");
	assert_int_equal(ival(st, "unacked"), 0);
	json_decref(st);

	/* Garbage on the socket: logged, the session is bound again, and neither the text
	 * queued meanwhile nor the one delivered behind the garbage is lost. */
	json_decref(control("{\"cmd\":\"garbage\",\"hex\":\"000000034741524241474521\"}"));
	json_decref(control("{\"cmd\":\"deliver\",\"from\":\"+48601234567\",\"to\":\"ACME\","
			    "\"text\":\"after the garbage\",\"coding\":\"gsm\"}"));
	assert_int_equal(smpp_send(s, 3, "+48601234567", "reply after garbage"), 0);
	ev = wait_event("message", 4);
	assert_non_null(ev);
	assert_string_equal(json_string_value(json_object_get(ev, "text")), "after the garbage");
	ev = wait_event("sent", 3);
	assert_non_null(ev);
	assert_true(json_is_true(json_object_get(ev, "ok")));
	st = control("{\"cmd\":\"wait\",\"key\":\"unacked\",\"value\":0}");
	assert_int_equal(ival(st, "binds"), 2);
	assert_int_equal(ival(st, "unacked"), 0);
	subs = json_object_get(st, "submits");
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(subs, json_array_size(subs) - 1), "text")),
			    "reply after garbage");
	json_decref(st);
	assert_non_null(wait_event("state", 3)); /* down, then up again */

	/* A long text not taken when complete (a full queue): answered ESME_RMSGQFUL, the
	 * SMSC delivers that part again, and the text comes whole, once. */
	{
		char longtext[400];
		memset(longtext, 0, sizeof(longtext));
		strcpy(longtext, "defer ");
		memset(longtext + 6, 'x', 200);
		json_decref(control("{\"cmd\":\"deliver\",\"from\":\"48601234567\",\"to\":"
				    "\"ACME\",\"text\":\"%s\",\"coding\":\"gsm\",\"ref\":5}",
				    longtext));
		ev = wait_event("message", 5);
		assert_non_null(ev);
		assert_string_equal(json_string_value(json_object_get(ev, "text")), longtext);
		assert_int_equal(deferred, 2); /* refused once, then taken */
		st = control("{\"cmd\":\"wait\",\"key\":\"unacked\",\"value\":0}");
		assert_int_equal(ival(st, "unacked"), 0);
		json_decref(st);
		usleep(500000);
		assert_null(wait_event_now("message", 6));
	}
	smpp_session_stop(s);
}

static void test_bind_refused_backoff(void **state)
{
	struct smpp_session *s;
	json_t *st;
	int64_t t0 = (int64_t)clock_mono_ms();

	(void)state;
	s = start("wrong");
	/* Attempts after 100, 200, 400, 400 ms (doubling to the ceiling): none binds, no
	 * state change reported, the text stays queued. */
	usleep(1300000);
	assert_int_equal(smpp_send(s, 9, "+48601234567", "never"), 0);
	smpp_session_stop(s);
	st = control("{\"cmd\":\"state\"}");
	/* Five attempts in 1.3 s with back-off; without it, hundreds (a loaded machine may
	 * make fewer, never more). */
	assert_true(ival(st, "refused_binds") >= 2 && ival(st, "refused_binds") <= 7);
	json_decref(st);
	assert_true((int64_t)clock_mono_ms() - t0 < 5000);
	pthread_mutex_lock(&mu);
	{
		size_t i;
		json_t *e;
		int binds_up = 0;
		json_array_foreach(
		    seen, i, e) if (!strcmp(json_string_value(json_object_get(e, "ev")), "sent") &&
				    ival(e, "cookie") == 9) binds_up++;
		assert_int_equal(binds_up, 0);
	}
	pthread_mutex_unlock(&mu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_session),
	    cmocka_unit_test(test_bind_refused_backoff),
	};
	return cmocka_run_group_tests(tests, smsc_setup, smsc_teardown);
}
