/*
 * The certificate of the SIP-over-TLS listener. sofia-sip's TLS transport reads its
 * certificate and key from one directory (agent.pem: certificate and key; cafile.pem:
 * the CA list), while the configuration names the operator's own files (sip.tls.cert,
 * .key, .ca). Before the stack starts, the files are checked with OpenSSL (readable,
 * PEM, the key matching the certificate) so that a mistake is reported with the file it
 * is in, then copied into a private directory (0700, files 0600) that exists only while
 * the stack binds: the stack reads them once, and sip_create() removes them right after.
 */
#include "sip/sip_int.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "core/log.h"

/* Checks that cert/key load and match; logs what is wrong and where. 0 or EINVAL. */
static int tls_check(const struct cfg *cfg)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	const char *what = NULL, *file = NULL;
	char reason[160] = "";

	if (!ctx)
		return ENOMEM;
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->sip_tls_cert) != 1)
		what = "sip.tls.cert", file = cfg->sip_tls_cert;
	else if (SSL_CTX_use_PrivateKey_file(ctx, cfg->sip_tls_key, SSL_FILETYPE_PEM) != 1)
		what = "sip.tls.key", file = cfg->sip_tls_key;
	else if (SSL_CTX_check_private_key(ctx) != 1)
		what = "sip.tls.key", file = cfg->sip_tls_key;
	else if (cfg->sip_tls_ca && SSL_CTX_load_verify_locations(ctx, cfg->sip_tls_ca, NULL) != 1)
		what = "sip.tls.ca", file = cfg->sip_tls_ca;
	if (what) {
		ERR_error_string_n(ERR_peek_last_error(), reason, sizeof(reason));
		log_error("sip", "event=tls_config_error key=%s file=\"%s\" err=\"%s\"", what, file,
			  reason);
	}
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return what ? EINVAL : 0;
}

/* Appends the whole of file `src` to the open descriptor; 0 or errno. */
static int append_file(int fd, const char *src)
{
	char buf[4096];
	ssize_t n;
	int in = open(src, O_RDONLY | O_CLOEXEC), err = 0;

	if (in < 0)
		return errno;
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(fd, buf, (size_t)n) != n) {
			err = errno ? errno : EIO;
			break;
		}
	}
	if (n < 0)
		err = errno;
	/* The next file's PEM block must start on a line of its own. */
	if (!err && write(fd, "\n", 1) != 1)
		err = errno ? errno : EIO;
	close(in);
	explicit_bzero(buf, sizeof(buf));
	return err;
}

static int write_pem(const char *dir, const char *name, const char *a, const char *b)
{
	char path[PATH_MAX];
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	err = append_file(fd, a);
	if (!err && b)
		err = append_file(fd, b);
	if (close(fd) && !err)
		err = errno;
	return err;
}

void sip__tls_dir_remove(const char *dir)
{
	char path[PATH_MAX];

	if (!dir || !dir[0])
		return;
	snprintf(path, sizeof(path), "%s/agent.pem", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/cafile.pem", dir);
	unlink(path);
	rmdir(dir);
}

int sip__tls_dir_make(const struct cfg *cfg, char *dir, size_t size)
{
	const char *base = getenv("RUNTIME_DIRECTORY");
	int err;

	if ((err = tls_check(cfg)))
		return err;
	if (!base || !base[0])
		base = getenv("TMPDIR");
	if (!base || !base[0])
		base = "/tmp";
	/* RUNTIME_DIRECTORY may list several directories separated by ':'. */
	snprintf(dir, size, "%.*s/centrala-tls.XXXXXX", (int)strcspn(base, ":"), base);
	if (!mkdtemp(dir)) {
		err = errno;
		log_error("sip", "event=tls_dir_failed dir=\"%s\" err=\"%s\"", dir, strerror(err));
		dir[0] = 0;
		return err;
	}
	err = write_pem(dir, "agent.pem", cfg->sip_tls_cert, cfg->sip_tls_key);
	if (!err)
		err = write_pem(dir, "cafile.pem",
				cfg->sip_tls_ca ? cfg->sip_tls_ca : cfg->sip_tls_cert, NULL);
	if (err) {
		log_error("sip", "event=tls_dir_failed dir=\"%s\" err=\"%s\"", dir, strerror(err));
		sip__tls_dir_remove(dir);
		dir[0] = 0;
	}
	return err;
}
