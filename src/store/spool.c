/*
 * The spool: where records go while the database cannot take them (PostgreSQL
 * restarting, SQLite's disk full), so calls go on and nothing is lost.
 *
 * File: the magic "CSPOOL01", then records, each a 4-byte length, a 4-byte CRC-32 of the
 * data, and the data (a serialized record, record.c). Appends are fdatasync'd once per
 * batch before the writer reports the records as spooled. The replay position (how far
 * records are known to be in the database) lives in "<spool>.pos", written after every
 * replayed transaction but not synced: losing it only replays records again, and every
 * record is an upsert keyed by its id, so a second write changes nothing. When
 * everything is replayed the file is cut back to its header.
 *
 * At open a torn record at the end (the process died inside an append) is cut off;
 * it had not been reported as spooled. A record that cannot be read for want of memory
 * or because of an I/O error is never taken for a torn or damaged one: open or peek
 * fails and the file is left as it is, so nothing confirmed is lost to a transient
 * failure. An open spool is locked (flock) so that a
 * second store, in this process or another, cannot append to it at the same time.
 */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"

#define MAGIC	   "CSPOOL01"
#define HEAD_LEN   8
#define REC_HEAD   8
#define REC_MAXLEN (64u << 20)

struct store__spool {
	int fd, pos_fd;
	char *path;
	size_t max_bytes;
	uint64_t end;		/* bytes of valid records (file size) */
	uint64_t read_off;	/* replay position */
	uint64_t peek_off;	/* end of the records handed out by the last peek */
	size_t peeked;		/* how many */
	uint64_t appended;	/* records in the file (index of the next one appended) */
	uint64_t consumed;	/* records before read_off */
	uint64_t fail_noted_ms; /* when a write failure was last logged (once a minute) */
	unsigned fail_unlogged; /* failures since, not logged */
};

/* CRC-32 continued over p[0..n) from a previous value (0 to start). */
static uint32_t crc32_more(uint32_t crc, const uint8_t *p, size_t n)
{
	static uint32_t table[256];
	static int ready;
	uint32_t c = crc ^ 0xffffffffu;
	size_t i;

	if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
		for (uint32_t k = 0; k < 256; k++) {
			uint32_t v = k;

			for (int j = 0; j < 8; j++)
				v = v & 1 ? 0xedb88320u ^ (v >> 1) : v >> 1;
			table[k] = v;
		}
		__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	}
	for (i = 0; i < n; i++)
		c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static uint32_t crc32(const uint8_t *p, size_t n)
{
	return crc32_more(0, p, n);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * The record at `off`: returns its data length, REC_INVALID when there is no valid
 * record there (torn or damaged), or REC_FAILED with errno set when it could not be
 * read for a reason that says nothing about the file (no memory, an I/O error): such a
 * record must be neither cut off nor skipped. With `data`, the data is read into a new
 * buffer (the caller's to free); without, it is checked through a fixed buffer, with no
 * allocation at all.
 */
#define REC_INVALID (-1)
#define REC_FAILED  (-2)
static int64_t read_rec(struct store__spool *sp, uint64_t off, uint8_t **data)
{
	uint8_t head[REC_HEAD], chunk[16384];
	uint32_t len, crc = 0;
	uint8_t *buf;
	ssize_t got;

	if (off + REC_HEAD > sp->end)
		return REC_INVALID;
	if ((got = pread(sp->fd, head, REC_HEAD, (off_t)off)) != (ssize_t)REC_HEAD) {
		if (got < 0)
			return REC_FAILED;
		errno = EIO;
		return REC_FAILED;
	}
	len = get_u32(head);
	if (len == 0 || len > REC_MAXLEN || off + REC_HEAD + len > sp->end)
		return REC_INVALID;
	if (!data) {
		for (uint32_t done = 0; done < len;) {
			size_t want = len - done < sizeof(chunk) ? len - done : sizeof(chunk);
			got = pread(sp->fd, chunk, want, (off_t)(off + REC_HEAD + done));
			if (got != (ssize_t)want) {
				if (got >= 0)
					errno = EIO;
				return REC_FAILED;
			}
			crc = crc32_more(crc, chunk, want);
			done += (uint32_t)want;
		}
		return crc == get_u32(head + 4) ? (int64_t)len : REC_INVALID;
	}
	if (!(buf = malloc(len))) {
		errno = ENOMEM;
		return REC_FAILED;
	}
	if ((got = pread(sp->fd, buf, len, (off_t)(off + REC_HEAD))) != (ssize_t)len) {
		free(buf);
		if (got >= 0)
			errno = EIO;
		return REC_FAILED;
	}
	if (crc32(buf, len) != get_u32(head + 4)) {
		free(buf);
		return REC_INVALID;
	}
	*data = buf;
	return len;
}

static void write_pos(struct store__spool *sp)
{
	uint8_t b[12];

	put_u32(b, (uint32_t)sp->read_off);
	put_u32(b + 4, (uint32_t)(sp->read_off >> 32));
	put_u32(b + 8, crc32(b, 8));
	if (pwrite(sp->pos_fd, b, sizeof(b), 0) != (ssize_t)sizeof(b))
		log_warn("store", "event=spool_pos_write_failed error=\"%s\"", strerror(errno));
}

static uint64_t read_pos(struct store__spool *sp)
{
	uint8_t b[12];

	if (pread(sp->pos_fd, b, sizeof(b), 0) != (ssize_t)sizeof(b) ||
	    crc32(b, 8) != get_u32(b + 8))
		return HEAD_LEN;
	return (uint64_t)get_u32(b) | (uint64_t)get_u32(b + 4) << 32;
}

/* Walks the file, counting records and cutting off anything invalid at the end, and
 * places the replay position at `pos` when that is a record boundary (else at the
 * first record: replaying again is harmless, skipping is not). */
static int scan(struct store__spool *sp, uint64_t pos)
{
	uint64_t off = HEAD_LEN, size, at_pos = 0;
	bool pos_ok = pos == HEAD_LEN;
	struct stat st;
	int64_t len;

	if (fstat(sp->fd, &st))
		return errno;
	size = (uint64_t)st.st_size;
	sp->end = size;
	sp->appended = 0;
	while ((len = read_rec(sp, off, NULL)) >= 0) {
		sp->appended++;
		off += REC_HEAD + (uint64_t)len;
		if (off == pos) {
			pos_ok = true;
			at_pos = sp->appended;
		}
	}
	if (len == REC_FAILED) {
		/* Not the file's fault: open fails, and the file is left as it is. */
		int err = errno ? errno : EIO;
		log_error("store", "event=spool_read_failed path=%s offset=%llu error=\"%s\"",
			  sp->path, (unsigned long long)off, strerror(err));
		return err;
	}
	if (off != size) {
		log_warn("store", "event=spool_truncated path=%s bytes=%llu", sp->path,
			 (unsigned long long)(size - off));
		if (ftruncate(sp->fd, (off_t)off))
			return errno;
	}
	sp->end = off;
	sp->read_off = pos_ok ? pos : HEAD_LEN;
	sp->consumed = pos_ok ? at_pos : 0;
	return 0;
}

int store__spool_open(const char *path, size_t max_bytes, struct store__spool **out)
{
	struct store__spool *sp = calloc(1, sizeof(*sp));
	char head[HEAD_LEN], *pos_path = NULL;
	ssize_t n;
	int err = 0;

	if (sp)
		sp->fd = sp->pos_fd = -1;
	if (!sp || !(sp->path = strdup(path)) || asprintf(&pos_path, "%s.pos", path) < 0) {
		err = ENOMEM;
		pos_path = NULL;
		goto out;
	}
	sp->max_bytes = max_bytes;
	store__mkdirs_for(path);
	sp->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	sp->pos_fd = sp->fd < 0 ? -1 : open(pos_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (sp->fd < 0 || sp->pos_fd < 0) {
		err = errno;
		log_error("store", "event=spool_open_failed path=%s error=\"%s\"", path,
			  strerror(err));
		goto out;
	}
	/* Two writers appending to one spool would interleave records; the lock goes
	 * with the process, so a killed one leaves none behind. */
	if (flock(sp->fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? EBUSY : errno;
		log_error("store", "event=spool_open_failed path=%s error=\"%s\"", path,
			  err == EBUSY ? "in use by another store" : strerror(err));
		goto out;
	}
	n = pread(sp->fd, head, HEAD_LEN, 0);
	if (n == 0) {
		if (pwrite(sp->fd, MAGIC, HEAD_LEN, 0) != HEAD_LEN || fdatasync(sp->fd)) {
			err = errno ? errno : EIO;
			goto out;
		}
	} else if (n != HEAD_LEN || memcmp(head, MAGIC, HEAD_LEN)) {
		log_error("store", "event=spool_open_failed path=%s error=\"not a spool file\"",
			  path);
		err = EINVAL;
		goto out;
	}
	if ((err = scan(sp, read_pos(sp))))
		goto out;
	sp->peek_off = sp->read_off;
	if (sp->appended > sp->consumed)
		log_info("store", "event=spool_found path=%s records=%llu", path,
			 (unsigned long long)(sp->appended - sp->consumed));
out:
	free(pos_path);
	if (err) {
		store__spool_close(sp);
		return err;
	}
	*out = sp;
	return 0;
}

void store__spool_close(struct store__spool *sp)
{
	if (!sp)
		return;
	if (sp->fd >= 0)
		close(sp->fd);
	if (sp->pos_fd >= 0)
		close(sp->pos_fd);
	free(sp->path);
	free(sp);
}

int store__spool_append(struct store__spool *sp, struct store__rec *list, size_t *n,
			uint64_t *first_index)
{
	uint64_t off = sp->end;
	size_t count = 0;
	struct store__rec *r;
	uint8_t head[REC_HEAD];

	*first_index = sp->appended;
	for (r = list; r; r = r->next) {
		if (off + REC_HEAD + r->len > sp->max_bytes && count + sp->appended > sp->consumed)
			break; /* full; a lone record always fits so the spool never wedges */
		put_u32(head, r->len);
		put_u32(head + 4, crc32(r->data, r->len));
		if (pwrite(sp->fd, head, REC_HEAD, (off_t)off) != REC_HEAD ||
		    pwrite(sp->fd, r->data, r->len, (off_t)(off + REC_HEAD)) != (ssize_t)r->len)
			goto fail;
		off += REC_HEAD + r->len;
		count++;
	}
	if (count && fdatasync(sp->fd))
		goto fail;
	sp->end = off;
	sp->appended += count;
	*n = count;
	return 0;
fail:
	/* The writer retries with back-off; a full disk fails every time: once a minute. */
	if (!sp->fail_noted_ms || clock_mono_ms() - sp->fail_noted_ms >= 60000) {
		log_error("store", "event=spool_write_failed path=%s error=\"%s\" since_last=%u",
			  sp->path, strerror(errno), sp->fail_unlogged);
		sp->fail_noted_ms = clock_mono_ms();
		sp->fail_unlogged = 0;
	} else {
		sp->fail_unlogged++;
	}
	/* Cut off whatever part was written, so the file stays a sequence of records. */
	if (ftruncate(sp->fd, (off_t)sp->end))
		log_error("store", "event=spool_truncate_failed path=%s", sp->path);
	*n = 0;
	return EIO;
}

int store__spool_peek(struct store__spool *sp, size_t max, struct store__rec **list, size_t *n,
		      uint64_t *first_index)
{
	struct store__rec *head = NULL, **tail = &head, *r;
	uint64_t off = sp->read_off;
	size_t count = 0;

	*first_index = sp->consumed;
	while (count < max && off < sp->end) {
		uint8_t *data = NULL;
		int64_t len = read_rec(sp, off, &data);

		if (len == REC_FAILED) {
			/* No memory or an I/O error: nothing is handed out or skipped; the
			 * writer tries again later. */
			int err = errno ? errno : EIO;
			store__rec_list_free(head);
			sp->peeked = 0;
			return err;
		}
		if (len < 0) {
			/* Damaged in place since it was checked: skip to the end rather than
			 * replaying garbage; the damage is logged. */
			log_error("store", "event=spool_damaged path=%s offset=%llu", sp->path,
				  (unsigned long long)off);
			off = sp->end;
			break;
		}
		if (!(r = calloc(1, sizeof(*r) + (size_t)len))) {
			free(data);
			store__rec_list_free(head);
			sp->peeked = 0;
			return ENOMEM;
		}
		r->len = (uint32_t)len;
		memcpy(r->data, data, (size_t)len);
		free(data);
		*tail = r;
		tail = &r->next;
		off += REC_HEAD + (uint64_t)len;
		count++;
	}
	sp->peek_off = off;
	sp->peeked = count;
	*list = head;
	*n = count;
	return 0;
}

int store__spool_consume(struct store__spool *sp, size_t n)
{
	if (n != sp->peeked)
		return EINVAL;
	sp->read_off = sp->peek_off;
	sp->consumed += n;
	sp->peeked = 0;
	if (sp->read_off >= sp->end) {
		/* All in the database: start the file afresh. */
		if (ftruncate(sp->fd, HEAD_LEN))
			return errno;
		sp->end = sp->read_off = sp->peek_off = HEAD_LEN;
		sp->appended = sp->consumed = 0;
	}
	write_pos(sp);
	return 0;
}

uint64_t store__spool_backlog(const struct store__spool *sp)
{
	return sp->appended - sp->consumed;
}

uint64_t store__spool_bytes(const struct store__spool *sp)
{
	return sp->end;
}
