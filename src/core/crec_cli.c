/*
 * `centrala recording keygen` and `centrala recording decrypt`: the operator's tools for
 * recordings encrypted at rest (core/crec.h). keygen prints a new random key (64
 * hexadecimal digits) for a tenant's recording_encryption.key_file; decrypt writes the
 * WAV an encrypted recording holds, for export, backup checks or playback outside
 * centrala, with the key of the tenant in the configuration or from a key file.
 */
#include "core/crec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "core/config.h"

static const char usage[] =
    "usage: centrala recording keygen\n"
    "       centrala recording decrypt (--config FILE --tenant ID | --key-file FILE) IN [OUT]\n"
    "                 (OUT: the WAV; default standard output)\n";

static int keygen(void)
{
	uint8_t key[CREC_KEY_BYTES];
	char hex[2 * CREC_KEY_BYTES + 1];

	if (sodium_init() < 0)
		return 1;
	randombytes_buf(key, sizeof(key));
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	printf("%s\n", hex);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(hex, sizeof(hex));
	return fflush(stdout) ? 1 : 0;
}

/* The key: from --key-file, or the tenant's in the configuration. 0 or 1 (printed). */
static int find_key(const char *config, const char *tenant, const char *key_file,
		    uint8_t key[CREC_KEY_BYTES])
{
	struct cfg *cfg = NULL;
	const struct cfg_tenant *t;
	int err, rc = 1;

	if (key_file) {
		if ((err = cfg_rec_key_read(key_file, key))) {
			fprintf(stderr, "recording: %s: %s\n", key_file,
				err == EINVAL ? "expected 64 hexadecimal digits" : strerror(err));
			return 1;
		}
		return 0;
	}
	if ((err = cfg_load(config, &cfg)) || cfg_error_count(cfg)) {
		fprintf(stderr, "recording: %s: %s\n", config,
			err ? strerror(err) : cfg_error_at(cfg, 0));
		goto out;
	}
	if (!(t = cfg_tenant_find(cfg, tenant))) {
		fprintf(stderr, "recording: no tenant \"%s\" in %s\n", tenant, config);
		goto out;
	}
	if (!t->rec_encrypt) {
		fprintf(stderr, "recording: tenant \"%s\" has no recording_encryption\n", tenant);
		goto out;
	}
	memcpy(key, t->rec_key, CREC_KEY_BYTES);
	rc = 0;
out:
	cfg_free(cfg);
	return rc;
}

static int decrypt(const char *in, const char *out, const uint8_t key[CREC_KEY_BYTES])
{
	static uint8_t buf[CREC_CHUNK];
	struct crec_reader *r = NULL;
	uint64_t off = 0, size;
	int fd = open(in, O_RDONLY | O_CLOEXEC), ofd = -1, err, rc = 1;

	if (fd < 0) {
		fprintf(stderr, "recording: %s: %s\n", in, strerror(errno));
		return 1;
	}
	if (!crec_is_sealed_fd(fd)) {
		fprintf(stderr, "recording: %s: not an encrypted recording\n", in);
		close(fd);
		return 1;
	}
	if ((err = crec_reader_open_fd(fd, key, &r))) {
		fprintf(stderr, "recording: %s: %s\n", in, strerror(err));
		return 1;
	}
	ofd = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640) : STDOUT_FILENO;
	if (ofd < 0) {
		fprintf(stderr, "recording: %s: %s\n", out, strerror(errno));
		goto done;
	}
	size = crec_reader_size(r);
	while (off < size) {
		size_t n = size - off > sizeof(buf) ? sizeof(buf) : (size_t)(size - off);

		if ((err = crec_read(r, off, buf, n))) {
			fprintf(stderr, "recording: %s: %s at byte %llu\n", in,
				err == EBADMSG ? "wrong key, or the file was damaged or altered"
					       : strerror(err),
				(unsigned long long)off);
			goto done;
		}
		for (size_t w = 0; w < n;) {
			ssize_t k = write(ofd, buf + w, n - w);

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				fprintf(stderr, "recording: %s: %s\n", out ? out : "stdout",
					strerror(errno));
				goto done;
			}
			w += (size_t)k;
		}
		off += n;
	}
	rc = 0;
done:
	sodium_memzero(buf, sizeof(buf));
	if (out && ofd >= 0 && close(ofd) && !rc) {
		fprintf(stderr, "recording: %s: %s\n", out, strerror(errno));
		rc = 1;
	}
	crec_reader_free(r);
	return rc;
}

int crec_cli(int argc, char **argv)
{
	const char *config = NULL, *tenant = NULL, *key_file = NULL, *in = NULL, *out = NULL;
	uint8_t key[CREC_KEY_BYTES];
	int i, rc;

	if (argc >= 2 && !strcmp(argv[1], "keygen") && argc == 2)
		return keygen();
	if (argc < 2 || strcmp(argv[1], "decrypt")) {
		fputs(usage, stderr);
		return 2;
	}
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			config = argv[++i];
		else if (!strcmp(argv[i], "--tenant") && i + 1 < argc)
			tenant = argv[++i];
		else if (!strcmp(argv[i], "--key-file") && i + 1 < argc)
			key_file = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1])
			break;
		else if (!in)
			in = argv[i];
		else if (!out)
			out = argv[i];
		else
			break;
	}
	if (i < argc || !in || (!key_file && (!config || !tenant))) {
		fputs(usage, stderr);
		return 2;
	}
	if (find_key(config, tenant, key_file, key))
		return 1;
	rc = decrypt(in, out, key);
	sodium_memzero(key, sizeof(key));
	return rc;
}
