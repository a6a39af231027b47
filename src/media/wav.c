/*
 * The WAV writer behind recordings: canonical 44-byte PCM16 header, data appended in
 * large chunks, and the RIFF and data sizes rewritten after every append, so that the
 * file is a valid WAV at every moment (a crash or a reader mid-call sees everything
 * flushed so far). Data goes out before the header that counts it.
 */
#include "media/media_int.h"

#include "core/crec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

void media__wav_header(uint8_t h[MEDIA__WAV_HEADER], uint32_t rate, uint16_t channels,
		       uint32_t data_bytes)
{
	memcpy(h, "RIFF", 4);
	wr32(h + 4, 36 + data_bytes);
	memcpy(h + 8, "WAVEfmt ", 8);
	wr32(h + 16, 16);
	wr16(h + 20, 1); /* PCM */
	wr16(h + 22, channels);
	wr32(h + 24, rate);
	wr32(h + 28, rate * channels * 2);
	wr16(h + 32, (uint16_t)(channels * 2));
	wr16(h + 34, 16);
	memcpy(h + 36, "data", 4);
	wr32(h + 40, data_bytes);
}

static int mkdir_parents(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(buf))
		return ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0750) != 0 && errno != EEXIST)
			return errno;
		*p = '/';
	}
	return 0;
}

static int write_all(int fd, const void *data, size_t len, off_t off)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

int media__wav_open(struct media__wav *w, const char *path, uint32_t rate, uint16_t channels)
{
	uint8_t h[MEDIA__WAV_HEADER];
	char part[4096];
	int fd, err;

	/* Written under a temporary name and renamed once the header is in: a crash at any
	 * moment leaves either no file or a valid WAV by the recording's name. */
	if (snprintf(part, sizeof(part), "%s.part", path) >= (int)sizeof(part))
		return ENAMETOOLONG;
	fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0 && errno == ENOENT) {
		/* First recording of a new day or tenant: make its directories. */
		err = mkdir_parents(path);
		if (err)
			return err;
		fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	}
	if (fd < 0)
		return errno;
	media__wav_header(h, rate, channels, 0);
	err = write_all(fd, h, sizeof(h), 0);
	if (!err && rename(part, path) != 0)
		err = errno;
	if (err) {
		close(fd);
		unlink(part);
		return err;
	}
	w->fd = fd;
	w->sealed = NULL;
	w->rate = rate;
	w->channels = channels;
	w->data_bytes = 0;
	return 0;
}

int media__wav_open_sealed(struct media__wav *w, const char *path, uint32_t rate, uint16_t channels,
			   const uint8_t key[32])
{
	uint8_t h[MEDIA__WAV_HEADER];
	int err;

	media__wav_header(h, rate, channels, 0);
	err = crec_create(path, key, h, sizeof(h), &w->sealed);
	if (err == ENOENT && !(err = mkdir_parents(path)))
		err = crec_create(path, key, h, sizeof(h), &w->sealed);
	if (err)
		return err;
	w->fd = -1;
	w->rate = rate;
	w->channels = channels;
	w->data_bytes = 0;
	return 0;
}

int media__wav_append(struct media__wav *w, const void *data, size_t len)
{
	uint8_t h[MEDIA__WAV_HEADER];
	int err;

	if (w->data_bytes + len > UINT32_MAX - 36)
		return EFBIG;
	if (w->sealed) {
		if ((err = crec_append(w->sealed, data, len)))
			return err;
		w->data_bytes += len;
		media__wav_header(h, w->rate, w->channels, (uint32_t)w->data_bytes);
		return crec_write_head(w->sealed, h, sizeof(h));
	}
	err = write_all(w->fd, data, len, (off_t)(MEDIA__WAV_HEADER + w->data_bytes));
	if (err) {
		/* A part written before the disk filled up goes: the file stays a WAV whose
		 * header says exactly what it holds. */
		int rc = ftruncate(w->fd, (off_t)(MEDIA__WAV_HEADER + w->data_bytes));
		(void)rc;
		return err;
	}
	w->data_bytes += len;
	media__wav_header(h, w->rate, w->channels, (uint32_t)w->data_bytes);
	return write_all(w->fd, h, sizeof(h), 0);
}

int media__wav_close(struct media__wav *w)
{
	int err = 0;

	if (w->sealed) {
		err = crec_close(w->sealed);
		w->sealed = NULL;
	}
	if (w->fd >= 0 && close(w->fd) != 0)
		err = errno;
	w->fd = -1;
	return err;
}
