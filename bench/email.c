/*
 * The email channel's reading cost: a mailbox of N messages (default 10,000) held in
 * memory, a third plain text, a third multipart/alternative with HTML, a third with a
 * 30 KiB base64 attachment, every tenth an auto-reply, each read by email_parse()
 * (GMime 3, libxml2 for HTML) on one thread. Prints messages per second and CPU
 * microseconds per message of each kind. IMAP's transfer is not included: that is the
 * server's and the network's, one message per UID FETCH.
 *
 *   bench_email [-n MESSAGES]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "channels/email.h"

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static char *make(int i, size_t *len)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t cap = 64 * 1024, n = 0;
	char *s = malloc(cap);

	if (!s)
		exit(1);
	n += (size_t)snprintf(
	    s + n, cap - n,
	    "From: Klient %d <klient%d@example.pl>\r\nTo: support@acme.example\r\n"
	    "Subject: =?UTF-8?Q?Zam=C3=B3wienie_nr_%d?=\r\nMessage-ID: <m%d@example.pl>\r\n"
	    "References: <r%d@acme.example> <a%d@acme.example>\r\nIn-Reply-To: "
	    "<a%d@acme.example>\r\nDate: Thu, 03 Dec 2026 10:00:00 +0100\r\n%s"
	    "MIME-Version: 1.0\r\n",
	    i, i, i, i, i, i, i, i % 10 == 9 ? "Auto-Submitted: auto-replied\r\n" : "");
	switch (i % 3) {
	case 0:
		n += (size_t)snprintf(
		    s + n, cap - n,
		    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
		    "Dzień dobry,\r\nproszę o informację, kiedy przyjdzie paczka.\r\n"
		    "Pozdrawiam\r\n");
		break;
	case 1:
		n += (size_t)snprintf(
		    s + n, cap - n,
		    "Content-Type: multipart/alternative; boundary=\"A\"\r\n\r\n--A\r\n"
		    "Content-Type: text/html; charset=utf-8\r\n\r\n<html><head><style>p{}</style>"
		    "</head><body><p>Dzień dobry,</p><div>proszę o <b>informację</b>.</div>"
		    "<ul><li>jeden<li>dwa</ul></body></html>\r\n--A--\r\n");
		break;
	default:
		n += (size_t)snprintf(
		    s + n, cap - n,
		    "Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\n"
		    "Content-Type: text/plain\r\n\r\nFaktura w załączniku.\r\n--B\r\n"
		    "Content-Type: application/pdf; name=\"f.pdf\"\r\n"
		    "Content-Disposition: attachment; filename=\"f.pdf\"\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\n");
		for (int line = 0; line < 540; line++) {
			for (int k = 0; k < 76; k++)
				s[n++] = b64[(line * 7 + k) % 64];
			s[n++] = '\r';
			s[n++] = '\n';
		}
		n += (size_t)snprintf(s + n, cap - n, "--B--\r\n");
	}
	*len = n;
	return s;
}

int main(int argc, char **argv)
{
	int n = 10000;
	char **msgs;
	size_t *lens, bytes = 0, ok = 0, automatic = 0;
	uint64_t t0, kind_ns[3] = {0}, total;
	int kind_n[3] = {0};

	if (argc == 3 && !strcmp(argv[1], "-n"))
		n = atoi(argv[2]);
	if (n <= 0)
		return 2;
	msgs = calloc((size_t)n, sizeof(*msgs));
	lens = calloc((size_t)n, sizeof(*lens));
	if (!msgs || !lens)
		return 1;
	for (int i = 0; i < n; i++) {
		msgs[i] = make(i, &lens[i]);
		bytes += lens[i];
	}
	email_html_to_text("", 0); /* GMime and libxml2 set up outside the timing */
	total = cpu_ns();
	for (int i = 0; i < n; i++) {
		struct email_msg *m = NULL;

		t0 = cpu_ns();
		if (email_parse(msgs[i], lens[i], NULL, &m, NULL, 0) == 0) {
			ok++;
			automatic += m->automatic != EMAIL_AUTO_NONE;
			email_msg_free(m);
		}
		kind_ns[i % 3] += cpu_ns() - t0;
		kind_n[i % 3]++;
	}
	total = cpu_ns() - total;
	printf("email_parse: %d messages (%.1f MiB), %zu read, %zu automatic\n", n,
	       (double)bytes / (1 << 20), ok, automatic);
	printf("  %.0f messages/s on one thread, %.1f us CPU a message\n",
	       n / ((double)total / 1e9), (double)total / n / 1e3);
	printf("  plain %.1f us, html %.1f us, 30 KiB attachment %.1f us\n",
	       (double)kind_ns[0] / kind_n[0] / 1e3, (double)kind_ns[1] / kind_n[1] / 1e3,
	       (double)kind_ns[2] / kind_n[2] / 1e3);
	printf("reproduce: make build && build/bench_email -n %d\n", n);
	for (int i = 0; i < n; i++)
		free(msgs[i]);
	free(msgs);
	free(lens);
	return ok == (size_t)n ? 0 : 1;
}
