/*
 * Encrypted recordings (core/crec.h): the sealed file format, its writer (used by the
 * media engine's recorder thread) and its reader (the API's downloads, `centrala
 * recording decrypt`). Each record is sealed on its own with crypto_secretstream, a
 * fresh random header each time it is written, so rewriting the growing tail never
 * reuses a nonce.
 */
#include "core/crec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define MAGIC	    "CENTREC1"
#define PREFIX	    32u
#define HDR	    crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define ABYTES	    crypto_secretstream_xchacha20poly1305_ABYTES
#define HEAD_MAX    256u
#define FULL_RECORD (HDR + CREC_CHUNK + ABYTES)
#define AD_LEN	    24u

_Static_assert(CREC_KEY_BYTES == crypto_secretstream_xchacha20poly1305_KEYBYTES, "key size");

struct crec_writer {
	int fd;
	uint8_t key[CREC_KEY_BYTES];
	uint8_t id[16];
	size_t head_len;
	uint64_t nfull;	 /* data records sealed for good */
	size_t tail_len; /* plaintext bytes of the partial record */
	uint8_t *tail;	 /* CREC_CHUNK bytes */
	uint8_t *rec;	 /* FULL_RECORD bytes */
};

struct crec_reader {
	int fd;
	uint8_t key[CREC_KEY_BYTES];
	uint8_t id[16];
	size_t head_len;
	uint64_t nfull;	  /* complete data records */
	size_t last_len;  /* plaintext bytes of a last, partial data record (0: none) */
	uint64_t size;	  /* plaintext bytes in all */
	int64_t cached;	  /* record whose plaintext is in `plain` (-1: none) */
	size_t plain_len; /* its length */
	uint8_t *plain;	  /* CREC_CHUNK bytes */
	uint8_t *rec;	  /* FULL_RECORD bytes */
};

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void make_ad(uint8_t ad[AD_LEN], const uint8_t id[16], uint64_t index)
{
	memcpy(ad, id, 16);
	for (int i = 0; i < 8; i++)
		ad[16 + i] = (uint8_t)(index >> (8 * i));
}

static uint64_t head_record(size_t head_len)
{
	return HDR + head_len + ABYTES;
}

/* Where record `index` (0: the head, k: data record k-1) starts. */
static uint64_t record_off(size_t head_len, uint64_t index)
{
	return index == 0 ? PREFIX : PREFIX + head_record(head_len) + (index - 1) * FULL_RECORD;
}

static int write_all(int fd, const void *data, size_t len, uint64_t off)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int read_all(int fd, void *data, size_t len, uint64_t off)
{
	uint8_t *p = data;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return EINVAL; /* shorter than its framing says */
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Seals `len` bytes as record `index` and writes it in place. */
static int seal(struct crec_writer *w, uint64_t index, const uint8_t *plain, size_t len)
{
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t ad[AD_LEN];
	int err;

	make_ad(ad, w->id, index);
	crypto_secretstream_xchacha20poly1305_init_push(&st, w->rec, w->key);
	crypto_secretstream_xchacha20poly1305_push(&st, w->rec + HDR, NULL, plain, len, ad,
						   sizeof(ad),
						   crypto_secretstream_xchacha20poly1305_TAG_FINAL);
	sodium_memzero(&st, sizeof(st));
	err = write_all(w->fd, w->rec, HDR + len + ABYTES, record_off(w->head_len, index));
	return err;
}

int crec_create(const char *path, const uint8_t key[CREC_KEY_BYTES], const void *head,
		size_t head_len, struct crec_writer **out)
{
	struct crec_writer *w;
	uint8_t prefix[PREFIX];
	int err;

	if (head_len > HEAD_MAX || sodium_init() < 0)
		return EINVAL;
	if (!(w = calloc(1, sizeof(*w))))
		return ENOMEM;
	w->tail = malloc(CREC_CHUNK);
	w->rec = malloc(FULL_RECORD);
	if (!w->tail || !w->rec) {
		err = ENOMEM;
		goto fail;
	}
	w->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (w->fd < 0) {
		err = errno;
		goto fail;
	}
	memcpy(w->key, key, CREC_KEY_BYTES);
	randombytes_buf(w->id, sizeof(w->id));
	w->head_len = head_len;
	memcpy(prefix, MAGIC, 8);
	memcpy(prefix + 8, w->id, 16);
	put32(prefix + 24, CREC_CHUNK);
	put32(prefix + 28, (uint32_t)head_len);
	if ((err = write_all(w->fd, prefix, sizeof(prefix), 0)) ||
	    (err = seal(w, 0, head, head_len))) {
		close(w->fd);
		unlink(path);
		goto fail;
	}
	*out = w;
	return 0;
fail:
	free(w->tail);
	free(w->rec);
	sodium_memzero(w, sizeof(*w));
	free(w);
	return err;
}

int crec_append(struct crec_writer *w, const void *data, size_t len)
{
	const uint8_t *p = data;
	int err;

	while (len) {
		size_t take = CREC_CHUNK - w->tail_len;

		if (take > len)
			take = len;
		memcpy(w->tail + w->tail_len, p, take);
		w->tail_len += take;
		p += take;
		len -= take;
		if (w->tail_len == CREC_CHUNK) {
			if ((err = seal(w, w->nfull + 1, w->tail, CREC_CHUNK)))
				return err;
			w->nfull++;
			w->tail_len = 0;
		}
	}
	return w->tail_len ? seal(w, w->nfull + 1, w->tail, w->tail_len) : 0;
}

int crec_write_head(struct crec_writer *w, const void *head, size_t head_len)
{
	if (head_len != w->head_len)
		return EINVAL;
	return seal(w, 0, head, head_len);
}

int crec_close(struct crec_writer *w)
{
	int err = 0;

	if (!w)
		return 0;
	if (close(w->fd) != 0)
		err = errno;
	sodium_memzero(w->tail, CREC_CHUNK);
	free(w->tail);
	free(w->rec);
	sodium_memzero(w, sizeof(*w));
	free(w);
	return err;
}

bool crec_is_sealed_fd(int fd)
{
	char magic[8];

	return pread(fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
	       !memcmp(magic, MAGIC, sizeof(magic));
}

int crec_reader_open_fd(int fd, const uint8_t key[CREC_KEY_BYTES], struct crec_reader **out)
{
	struct crec_reader *r;
	uint8_t prefix[PREFIX];
	struct stat st;
	uint64_t rest, last;
	int err;

	if (sodium_init() < 0) {
		close(fd);
		return EINVAL;
	}
	if (!(r = calloc(1, sizeof(*r)))) {
		close(fd);
		return ENOMEM;
	}
	r->fd = fd;
	r->cached = -1;
	r->plain = malloc(CREC_CHUNK);
	r->rec = malloc(FULL_RECORD);
	if (!r->plain || !r->rec) {
		err = ENOMEM;
		goto fail;
	}
	if (fstat(fd, &st)) {
		err = errno;
		goto fail;
	}
	if ((err = read_all(fd, prefix, sizeof(prefix), 0)))
		goto fail;
	r->head_len = get32(prefix + 28);
	if (memcmp(prefix, MAGIC, 8) || get32(prefix + 24) != CREC_CHUNK ||
	    r->head_len > HEAD_MAX || (uint64_t)st.st_size < PREFIX + head_record(r->head_len)) {
		err = EINVAL;
		goto fail;
	}
	memcpy(r->id, prefix + 8, 16);
	memcpy(r->key, key, CREC_KEY_BYTES);
	rest = (uint64_t)st.st_size - PREFIX - head_record(r->head_len);
	r->nfull = rest / FULL_RECORD;
	last = rest % FULL_RECORD;
	/* A last record too short to hold anything is a write cut short: not counted. */
	r->last_len = last > HDR + ABYTES ? (size_t)(last - HDR - ABYTES) : 0;
	r->size = r->head_len + r->nfull * CREC_CHUNK + r->last_len;
	*out = r;
	return 0;
fail:
	crec_reader_free(r);
	return err;
}

uint64_t crec_reader_size(const struct crec_reader *r)
{
	return r->size;
}

/* Decrypts record `index` into r->plain. */
static int open_record(struct crec_reader *r, uint64_t index)
{
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t ad[AD_LEN], tag;
	unsigned long long got = 0;
	size_t len;
	int err;

	if (r->cached == (int64_t)index)
		return 0;
	r->cached = -1;
	if (index == 0)
		len = r->head_len;
	else if (index <= r->nfull)
		len = CREC_CHUNK;
	else if (index == r->nfull + 1 && r->last_len)
		len = r->last_len;
	else
		return ERANGE;
	if ((err = read_all(r->fd, r->rec, HDR + len + ABYTES, record_off(r->head_len, index))))
		return err;
	make_ad(ad, r->id, index);
	if (crypto_secretstream_xchacha20poly1305_init_pull(&st, r->rec, r->key) != 0 ||
	    crypto_secretstream_xchacha20poly1305_pull(&st, r->plain, &got, &tag, r->rec + HDR,
						       len + ABYTES, ad, sizeof(ad)) != 0 ||
	    got != len || tag != crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
		sodium_memzero(&st, sizeof(st));
		return EBADMSG;
	}
	sodium_memzero(&st, sizeof(st));
	r->cached = (int64_t)index;
	r->plain_len = len;
	return 0;
}

int crec_read(struct crec_reader *r, uint64_t off, void *buf, size_t len)
{
	uint8_t *out = buf;
	int err;

	if (off > r->size || len > r->size - off)
		return ERANGE;
	while (len) {
		uint64_t index, within;
		size_t n;

		if (off < r->head_len) {
			index = 0;
			within = off;
		} else {
			index = (off - r->head_len) / CREC_CHUNK + 1;
			within = (off - r->head_len) % CREC_CHUNK;
		}
		if ((err = open_record(r, index)))
			return err;
		n = r->plain_len - (size_t)within;
		if (n > len)
			n = len;
		memcpy(out, r->plain + within, n);
		out += n;
		off += n;
		len -= n;
	}
	return 0;
}

void crec_reader_free(struct crec_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->plain)
		sodium_memzero(r->plain, CREC_CHUNK);
	free(r->plain);
	free(r->rec);
	sodium_memzero(r, sizeof(*r));
	free(r);
}
