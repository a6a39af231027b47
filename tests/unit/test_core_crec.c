/*
 * Tests of encrypted recordings (src/core/crec.c): what is appended, in pieces of any
 * size across record boundaries, reads back whole and by ranges at every boundary; the
 * head is rewritten; a file read at any moment of its writing decrypts to what was
 * appended so far; a wrong key, a changed byte and records moved within the file are
 * refused (EBADMSG), and the file holds no plaintext.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/crec.h"

#define HEAD_LEN 44

static char path[64];
static const uint8_t key[CREC_KEY_BYTES] = "0123456789abcdef0123456789abcde";

static int setup(void **state)
{
	snprintf(path, sizeof(path), "/tmp/test-crec-%d.enc", (int)getpid());
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	return 0;
}

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 131 + (i >> 9));
}

/* Writes a recording of `n` data bytes appended in pieces of `piece` bytes. */
static void write_rec(size_t n, size_t piece)
{
	struct crec_writer *w;
	uint8_t head[HEAD_LEN], *buf = malloc(piece);

	assert_non_null(buf);
	memset(head, 'H', sizeof(head));
	assert_int_equal(crec_create(path, key, head, sizeof(head), &w), 0);
	for (size_t off = 0; off < n;) {
		size_t k = n - off < piece ? n - off : piece;
		for (size_t i = 0; i < k; i++)
			buf[i] = pattern(off + i);
		assert_int_equal(crec_append(w, buf, k), 0);
		off += k;
		head[0] = (uint8_t)off;
		assert_int_equal(crec_write_head(w, head, sizeof(head)), 0);
	}
	assert_int_equal(crec_close(w), 0);
	free(buf);
}

static struct crec_reader *open_rec(const uint8_t *k)
{
	struct crec_reader *r = NULL;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_true(crec_is_sealed_fd(fd));
	assert_int_equal(crec_reader_open_fd(fd, k, &r), 0);
	return r;
}

static void check_range(struct crec_reader *r, uint64_t off, size_t len)
{
	uint8_t *buf = malloc(len + 1);

	assert_non_null(buf);
	assert_int_equal(crec_read(r, off, buf, len), 0);
	for (size_t i = 0; i < len; i++) {
		uint64_t at = off + i;
		uint8_t want = at < HEAD_LEN ? (at == 0 ? 0 : 'H') : pattern(at - HEAD_LEN);
		if (at == 0)
			continue; /* the head's first byte changes with every write */
		if (buf[i] != want)
			fail_msg("byte %llu: %u, expected %u", (unsigned long long)at, buf[i],
				 want);
	}
	free(buf);
}

static void test_round_trip_across_records(void **state)
{
	size_t n = 3 * CREC_CHUNK + 12345;
	struct crec_reader *r;
	uint64_t bounds[] = {0,
			     1,
			     HEAD_LEN - 1,
			     HEAD_LEN,
			     HEAD_LEN + CREC_CHUNK - 1,
			     HEAD_LEN + CREC_CHUNK,
			     HEAD_LEN + 2 * CREC_CHUNK + 7};

	write_rec(n, 32000); /* one second of 8 kHz stereo, as the recorder writes */
	r = open_rec(key);
	assert_int_equal(crec_reader_size(r), HEAD_LEN + n);
	check_range(r, 0, HEAD_LEN + n);
	for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++)
		check_range(r, bounds[i], 3000);
	check_range(r, HEAD_LEN + n - 1, 1);
	{
		uint8_t b;
		assert_int_equal(crec_read(r, HEAD_LEN + n, &b, 1), ERANGE);
	}
	crec_reader_free(r);
}

static void test_exact_chunks_and_small_pieces(void **state)
{
	struct crec_reader *r;

	write_rec(2 * CREC_CHUNK, 1000);
	r = open_rec(key);
	assert_int_equal(crec_reader_size(r), HEAD_LEN + 2 * CREC_CHUNK);
	check_range(r, 0, HEAD_LEN + 2 * CREC_CHUNK);
	crec_reader_free(r);
}

static void test_readable_while_written(void **state)
{
	struct crec_writer *w;
	struct crec_reader *r;
	uint8_t head[HEAD_LEN], buf[5000];

	memset(head, 'H', sizeof(head));
	head[0] = 0;
	assert_int_equal(crec_create(path, key, head, sizeof(head), &w), 0);
	for (size_t off = 0; off < 2 * CREC_CHUNK; off += sizeof(buf)) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = pattern(off + i);
		assert_int_equal(crec_append(w, buf, sizeof(buf)), 0);
		r = open_rec(key);
		assert_int_equal(crec_reader_size(r), HEAD_LEN + off + sizeof(buf));
		check_range(r, 1, HEAD_LEN - 1 + off + sizeof(buf));
		crec_reader_free(r);
	}
	assert_int_equal(crec_close(w), 0);
}

static void test_wrong_key_refused(void **state)
{
	uint8_t other[CREC_KEY_BYTES], b[10];
	struct crec_reader *r;

	memcpy(other, key, sizeof(other));
	other[5] ^= 1;
	write_rec(1000, 1000);
	r = open_rec(other);
	assert_int_equal(crec_read(r, 0, b, sizeof(b)), EBADMSG);
	assert_int_equal(crec_read(r, HEAD_LEN, b, sizeof(b)), EBADMSG);
	crec_reader_free(r);
}

static void test_tampering_refused(void **state)
{
	struct crec_reader *r;
	struct stat st;
	uint8_t b[10], *all;
	int fd;

	write_rec(2 * CREC_CHUNK + 100, 32000);
	/* One bit changed in the second data record. */
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	all = malloc((size_t)st.st_size);
	assert_non_null(all);
	assert_int_equal(pread(fd, all, (size_t)st.st_size, 0), st.st_size);
	/* No plaintext in the file: the pattern's first 64 bytes appear nowhere. */
	{
		uint8_t probe[64];
		for (size_t i = 0; i < sizeof(probe); i++)
			probe[i] = pattern(i);
		assert_null(memmem(all, (size_t)st.st_size, probe, sizeof(probe)));
	}
	{
		size_t full = 24 + CREC_CHUNK + 17, first = 32 + 24 + HEAD_LEN + 17;
		uint8_t *rec1 = all + first, *rec2 = all + first + full;
		uint8_t *tmp = malloc(full);

		/* Swapping the first two data records: each authenticates its position. */
		memcpy(tmp, rec1, full);
		memcpy(rec1, rec2, full);
		memcpy(rec2, tmp, full);
		assert_int_equal(pwrite(fd, all, (size_t)st.st_size, 0), st.st_size);
		r = open_rec(key);
		assert_int_equal(crec_read(r, HEAD_LEN, b, sizeof(b)), EBADMSG);
		crec_reader_free(r);
		/* Back in place, one bit changed in the second. */
		memcpy(rec2, rec1, full);
		memcpy(rec1, tmp, full);
		rec2[100] ^= 0x10;
		assert_int_equal(pwrite(fd, all, (size_t)st.st_size, 0), st.st_size);
		free(tmp);
	}
	close(fd);
	free(all);
	r = open_rec(key);
	check_range(r, 1, HEAD_LEN - 1 + CREC_CHUNK); /* the first record is intact */
	assert_int_equal(crec_read(r, HEAD_LEN + CREC_CHUNK, b, sizeof(b)), EBADMSG);
	crec_reader_free(r);
}

static void test_plain_file_not_sealed(void **state)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	struct crec_reader *r = NULL;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "RIFF\0\0\0\0WAVEfmt ", 16), 16);
	assert_false(crec_is_sealed_fd(fd));
	assert_int_equal(crec_reader_open_fd(fd, key, &r), EINVAL);
	assert_null(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_round_trip_across_records, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_exact_chunks_and_small_pieces, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_readable_while_written, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_key_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tampering_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_plain_file_not_sealed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
