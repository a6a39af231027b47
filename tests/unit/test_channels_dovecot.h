/*
 * A real Dovecot on loopback for the email channel's tests, started by the group setup
 * (tests/channels/dovecot-start; port DOVECOT_PORT + PROTOCOL_SLOT_BASE, or one from the
 * process id) and stopped by its teardown; or the one CENTRALA_TEST_IMAP (inbox URL, account
 * box/pw) and CENTRALA_TEST_IMAP_DIR (its Maildir) name. need_server() skips a test when
 * Dovecot is missing, and fails it under CI=true. Included by one test file each.
 */
#ifndef CENTRALA_TEST_CHANNELS_DOVECOT_H
#define CENTRALA_TEST_CHANNELS_DOVECOT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Each test file its own port block, so that ctest -j runs them side by side. */
#ifndef DOVECOT_PORT
#error "define DOVECOT_PORT (27500: test_channels_imap, 27800: test_channels_poll)"
#endif

static const char *url, *maildir;
static char dir[64], url_buf[128], maildir_buf[128];

static int dovecot_setup(void **state)
{
	const char *base = getenv("PROTOCOL_SLOT_BASE");
	char cmd[300];
	FILE *f;
	int port = DOVECOT_PORT + (base ? atoi(base) % 100 : (int)(getpid() % 100));

	(void)state;
	url = getenv("CENTRALA_TEST_IMAP");
	maildir = getenv("CENTRALA_TEST_IMAP_DIR");
	if (url && maildir)
		return 0;
	url = maildir = NULL;
	snprintf(dir, sizeof(dir), "/tmp/centrala-imap-test.XXXXXX");
	if (!mkdtemp(dir))
		return 0;
	snprintf(cmd, sizeof(cmd), "tests/channels/dovecot-start %s %d > %s/url", dir, port, dir);
	if (system(cmd) != 0)
		return 0;
	snprintf(cmd, sizeof(cmd), "%s/url", dir);
	if ((f = fopen(cmd, "r"))) {
		if (fgets(url_buf, sizeof(url_buf), f)) {
			url_buf[strcspn(url_buf, "\n")] = '\0';
			url = url_buf;
			snprintf(maildir_buf, sizeof(maildir_buf), "%s/mail/box", dir);
			maildir = maildir_buf;
		}
		fclose(f);
	}
	return 0;
}

static int dovecot_teardown(void **state)
{
	char cmd[300];

	(void)state;
	if (dir[0]) {
		snprintf(cmd, sizeof(cmd), "tests/channels/dovecot-stop %s; rm -rf %s", dir, dir);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

static void need_server(void)
{
	const char *ci = getenv("CI");

	if (url && maildir)
		return;
	if (ci && !strcmp(ci, "true"))
		fail_msg("no Dovecot (scripts/install-deps --test installs dovecot-imapd)");
	skip();
}

/* Delivers a message the way an MTA does into a Maildir: written in tmp/, renamed. */
static void deliver(const char *name, const char *raw, size_t len)
{
	char tmp[512], dst[512];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/tmp/%s", maildir, name);
	snprintf(dst, sizeof(dst), "%s/new/%s", maildir, name);
	f = fopen(tmp, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(raw, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, dst), 0);
}

#endif
