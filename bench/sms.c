/*
 * The SMS channel's costs. CPU: N texts (default 100,000; half 40-character GSM, half
 * 300-character Russian in five UCS-2 parts) split and packed into submit_sm PDUs by
 * libsmpp34, and the same number of deliver_sm PDUs unpacked and decoded, on one thread:
 * texts per second and CPU microseconds per text. Session (with -p PORT): T texts
 * (default 2,000, the same mix) through one SMPP session to tests/channels/smsc.py, which
 * this program starts on 127.0.0.1:PORT (and PORT+1): texts and parts per second from the
 * first submit to the last submit_sm_resp. The test SMSC is Python: the session figure
 * is its bound as much as centrala's.
 *
 *   bench_sms [-n TEXTS] [-p PORT -t TEXTS]
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "channels/sms.h"

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static char ru[1024];
static const char gsm[] = "Your order 42 is on its way {ACME} 5 EUR.";

static atomic_uint sent_ok, sent_bad;
static void on_sent(void *arg, uint64_t cookie, bool ok, const char *ids, uint32_t status,
		    const char *why)
{
	(void)arg, (void)cookie, (void)ids, (void)status, (void)why;
	if (ok)
		atomic_fetch_add(&sent_ok, 1);
	else
		atomic_fetch_add(&sent_bad, 1);
}
static atomic_bool bound;
static void on_state(void *arg, bool up)
{
	(void)arg;
	atomic_store(&bound, up);
}

int main(int argc, char **argv)
{
	long n = 100000, t = 2000;
	int port = 0, opt;
	static uint8_t buf[SMPP_PDU_MAX], dlv[SMPP_PDU_MAX];
	static char text[SMS_TEXT_MAX * 2];
	struct sms_split s;
	uint64_t c0, parts = 0;

	while ((opt = getopt(argc, argv, "n:p:t:")) != -1) {
		if (opt == 'n')
			n = atol(optarg);
		else if (opt == 'p')
			port = atoi(optarg);
		else if (opt == 't')
			t = atol(optarg);
	}
	for (int i = 0; i < 25; i++)
		strcat(ru,
		       "\xd0\x97\xd0\xb4\xd1\x80\xd0\xb0\xd0\xb2\xd1\x81\xd1\x82\xd0\xb2\xd1\x83"
		       "\xd0\xb9\xd1\x82\xd0\xb5"); /* 12 characters */
	{
		struct smpp_addr src = {"48221234567", 1, 1}, dst = {"48601234567", 1, 1};
		c0 = cpu_ns();
		for (long i = 0; i < n; i++) {
			if (sms_split(i % 2 ? ru : gsm, (uint8_t)i, 0, &s))
				return 1;
			for (unsigned k = 0; k < s.count; k++, parts++)
				if (smpp_pdu_submit_sm(buf, sizeof(buf), (uint32_t)i + 1, &src,
						       &dst, &s, k, true) < 0)
					return 1;
		}
		c0 = cpu_ns() - c0;
		printf("split+submit_sm: %ld texts (%llu parts) %.0f texts/s, %.2f us/text\n", n,
		       (unsigned long long)parts, n / (c0 / 1e9), c0 / 1e3 / n);
	}
	{
		/* A one-part UCS-2 deliver_sm, as an SMSC writes it. */
		uint8_t *p = dlv + 16;
		size_t len;
		struct smpp_deliver d;
		char err[128];
		sms_split(
		    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82, \xd0\xb3\xd0\xb4\xd0\xb5"
		    " \xd0\xb7\xd0\xb0\xd0\xba\xd0\xb0\xd0\xb7 42?",
		    1, 0, &s);
		static const uint8_t head[] = {0,   1,	 1,   '7', '9', '1', '6', '1', '2', '3',
					       '4', '5', '6', '7', 0,	1,   1,	  '4', '8', '2',
					       '2', '1', '2', '3', '4', '5', '6', '7', 0,   0,
					       0,   0,	 0,   0,   0,	0,   8,	  0};
		memcpy(p, head, sizeof(head));
		p += sizeof(head);
		*p++ = (uint8_t)s.part[0].len;
		memcpy(p, s.part[0].data, s.part[0].len);
		p += s.part[0].len;
		len = (size_t)(p - dlv);
		memcpy(dlv, (uint8_t[]){0, 0, 0, (uint8_t)len, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1},
		       16);
		c0 = cpu_ns();
		for (long i = 0; i < n; i++)
			if (smpp_parse_deliver_sm(dlv, len, &d, err, sizeof(err)) ||
			    sms_decode(d.data_coding, d.sm, d.sm_len, text, sizeof(text)))
				return fprintf(stderr, "%s\n", err), 1;
		c0 = cpu_ns() - c0;
		printf("deliver_sm+decode: %ld texts %.0f texts/s, %.2f us/text\n", n,
		       n / (c0 / 1e9), c0 / 1e3 / n);
	}
	if (port) {
		char ps[16], cs[16];
		pid_t pid;
		struct smpp_conf c = {0};
		struct smpp_events ev = {NULL, NULL, NULL, on_sent, on_state};
		struct smpp_session *ss;
		uint64_t w0, w1;
		unsigned long long tparts = 0;

		snprintf(ps, sizeof(ps), "%d", port);
		snprintf(cs, sizeof(cs), "%d", port + 1);
		if ((pid = fork()) == 0) {
			execlp("python3", "python3", "tests/channels/smsc.py", ps, cs,
			       (char *)NULL);
			_exit(127);
		}
		c.host = "127.0.0.1";
		c.port = port;
		c.bind.system_id = "centrala";
		c.bind.password = "secret";
		c.source.addr = "48221234567";
		c.source.ton = 1;
		c.reconnect_min_ms = 100;
		c.reconnect_max_ms = 200;
		c.log_name = "bench";
		if (smpp_session_start(&c, &ev, &ss))
			return 1;
		for (int i = 0; i < 100 && !atomic_load(&bound); i++)
			usleep(100000);
		if (!atomic_load(&bound))
			return fprintf(stderr, "not bound\n"), 1;
		w0 = wall_ns();
		for (long i = 0; i < t; i++) {
			sms_split(i % 2 ? ru : gsm, 1, 0, &s);
			tparts += s.count;
			while (smpp_send(ss, (uint64_t)i, "+48601234567", i % 2 ? ru : gsm))
				usleep(1000);
		}
		while (atomic_load(&sent_ok) + atomic_load(&sent_bad) < (unsigned)t)
			usleep(1000);
		w1 = wall_ns() - w0;
		printf("session to smsc.py: %ld texts (%llu parts) in %.2f s: %.0f texts/s, %.0f "
		       "parts/s, %u refused\n",
		       t, tparts, w1 / 1e9, t / (w1 / 1e9), tparts / (w1 / 1e9),
		       atomic_load(&sent_bad));
		smpp_session_stop(ss);
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	if (port)
		printf("reproduce: build/bench_sms -n %ld -p %d -t %ld\n", n, port, t);
	else
		printf("reproduce: build/bench_sms -n %ld\n", n);
	return 0;
}
