/*
 * Recordings through the API. GET /api/v1/interactions/{id}/recording answers the whole
 * call as one WAV: a call recorded in several segments (bridged again after a transfer,
 * a consultation or a conference; see docs/operations.md) is served as its segments in
 * order behind one header that counts them all, which is what a player and a reviewer
 * expect; a call with one segment gets its file as stored. `?segment=N` answers segment
 * N (from 1) alone, as stored, and .../recording/segments lists them. Either download is
 * whole or the one byte range asked for (206 with Content-Range; 416 when the range
 * starts past the end), ranges counting in the bytes served.
 *
 * A worker finds the interaction (an agent only its own; supervisors, QA and admins any
 * of the tenant; another tenant's is not found), opens each segment, checks that what it
 * opened lies inside the configured recordings directory under the tenant's folder (the
 * paths in the record are never trusted), and writes the audit entry; the service thread
 * then streams the open files in chunks as the socket drains (lws_serve_http_file has no
 * ranges in this build of libwebsockets), so memory per download stays one chunk. A
 * recording encrypted at rest (core/crec.h) is decrypted record by record as it streams,
 * with the tenant's key: the client gets the WAV, and ranges count in the WAV's bytes.
 */
#include "api/api_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/crec.h"
#include "core/log.h"
#include "store/store.h"

#define CHUNK (64u * 1024)

void api__h_recording(struct api_conn *conn, struct api_session *s, const char *target)
{
	struct api_job j;
	char range[128], seg[16];
	unsigned long n;
	char *end;

	(void)s;
	api__job_init(&j, conn, JOB_RECORDING, target, json_object());
	if (api__query(conn, "segment", seg, sizeof(seg))) {
		errno = 0;
		n = strtoul(seg, &end, 10);
		if (errno || *end || !n || n > API_REC_SEGMENTS_MAX || seg[0] < '1' ||
		    seg[0] > '9') {
			json_decref(j.args);
			api__respond_error(conn, 400, "invalid_segment",
					   "segment is a number from 1", "segment");
			return;
		}
		json_object_set_new(j.args, "segment", json_integer((json_int_t)n));
	}
	/* A Range header too long for us is treated as absent: the whole file. */
	if (lws_hdr_total_length(conn->wsi, WSI_TOKEN_HTTP_RANGE) > 0 &&
	    lws_hdr_copy(conn->wsi, range, sizeof(range), WSI_TOKEN_HTTP_RANGE) > 0)
		json_object_set_new(j.args, "range", json_string(range));
	api__job(conn, &j);
}

void api__h_recording_segments(struct api_conn *conn, struct api_session *s, const char *target)
{
	struct api_job j;

	(void)s;
	api__job_init(&j, conn, JOB_RECORDING, target, json_pack("{s:b}", "list", 1));
	api__job(conn, &j);
}

/* ---- the worker's part ---- */

struct rec_find {
	const char *only_agent;
	bool found;
	unsigned n;
	char *path[API_REC_SEGMENTS_MAX];
	char *ts[API_REC_SEGMENTS_MAX]; /* when it began (the timeline's), or NULL */
};

static int seg_add(struct rec_find *f, const char *path, const char *ts)
{
	for (unsigned i = 0; i < f->n; i++)
		if (!strcmp(f->path[i], path)) {
			if (!f->ts[i] && ts && !(f->ts[i] = strdup(ts)))
				return ENOMEM;
			return 0;
		}
	if (f->n == API_REC_SEGMENTS_MAX)
		return 0; /* more than anyone transfers one call; the rest are not served */
	if (!(f->path[f->n] = strdup(path)) || (ts && !(f->ts[f->n] = strdup(ts))))
		return ENOMEM;
	f->n++;
	return 0;
}

/* The recording, then each further segment in the order its timeline names them
 * ("recording" events with their path). */
static int rec_row(const struct crm_interaction *ix, void *arg)
{
	struct rec_find *f = arg;
	json_t *tl, *ev;
	size_t i;
	int err = 0;

	if (f->only_agent && (!ix->agent || strcmp(ix->agent, f->only_agent)))
		return 0;
	f->found = true;
	if (!ix->recording || !*ix->recording)
		return 0;
	if ((err = seg_add(f, ix->recording, NULL)))
		return err;
	tl = ix->timeline_json ? json_loads(ix->timeline_json, 0, NULL) : NULL;
	json_array_foreach(tl, i, ev)
	{
		const char *type = json_string_value(json_object_get(ev, "event"));
		const char *path = json_string_value(json_object_get(ev, "path"));
		if (!err && type && path && *path && !strcmp(type, "recording"))
			err = seg_add(f, path, json_string_value(json_object_get(ev, "ts")));
	}
	json_decref(tl);
	return err;
}

static void rec_find_free(struct rec_find *f)
{
	for (unsigned i = 0; i < f->n; i++) {
		free(f->path[i]);
		free(f->ts[i]);
	}
}

/* Parses a Range header against a file of `size` bytes. Returns 0 with [*first, *last]
 * for one satisfiable range, ENOENT to serve the whole file (no range, or one this
 * server ignores as RFC 9110 allows: several ranges, other units, bad syntax), ERANGE
 * when it cannot be satisfied. */
int api__range_parse(const char *h, uint64_t size, uint64_t *first, uint64_t *last)
{
	const char *p;
	char *end;
	unsigned long long a, b;

	if (!h || strncmp(h, "bytes=", 6) || strchr(h, ','))
		return ENOENT;
	p = h + 6;
	while (*p == ' ')
		p++;
	if (*p == '-') { /* the last n bytes */
		if (p[1] < '0' || p[1] > '9')
			return ENOENT;
		errno = 0;
		b = strtoull(p + 1, &end, 10);
		if (errno || *end)
			return ENOENT;
		if (!b || !size)
			return ERANGE;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return 0;
	}
	if (*p < '0' || *p > '9')
		return ENOENT;
	errno = 0;
	a = strtoull(p, &end, 10);
	if (errno || *end != '-')
		return ENOENT;
	p = end + 1;
	if (!*p) {
		b = ULLONG_MAX;
	} else {
		if (*p < '0' || *p > '9')
			return ENOENT;
		b = strtoull(p, &end, 10);
		if (errno || *end || b < a)
			return ENOENT;
	}
	if (a >= size)
		return ERANGE;
	*first = a;
	*last = b >= size ? size - 1 : b;
	return 0;
}

/* Whether the open file fd lies under dir/tenant/ (both resolved, links followed). */
static bool inside(int fd, const char *dir, const char *tenant)
{
	char link[64], real[PATH_MAX], root[PATH_MAX];
	ssize_t n;
	size_t rl;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if ((n = readlink(link, real, sizeof(real) - 1)) <= 0)
		return false;
	real[n] = '\0';
	if (!realpath(dir, root))
		return false;
	rl = strlen(root);
	return !strncmp(real, root, rl) && real[rl] == '/' &&
	       !strncmp(real + rl + 1, tenant, strlen(tenant)) &&
	       real[rl + 1 + strlen(tenant)] == '/';
}

void api__download_free(struct api_download *dl)
{
	if (!dl)
		return;
	for (unsigned i = 0; i < dl->nparts; i++) {
		if (dl->parts[i].fd >= 0)
			close(dl->parts[i].fd);
		crec_reader_free(dl->parts[i].sealed);
	}
	free(dl);
}

/* Reads n bytes at off of one part's file (plain or decrypted). */
static bool part_read(const struct api_download_part *p, uint64_t off, unsigned char *buf, size_t n)
{
	ssize_t got;

	if (p->sealed)
		return crec_read(p->sealed, off, buf, n) == 0;
	got = pread(p->fd, buf, n, (off_t)off);
	return got >= 0 && (size_t)got == n;
}

/* Opens segment `path` as part p (whole file, skip 0). 0, ENOENT (missing, not a file,
 * or outside the tenant's recordings), ENOKEY/EIO (cannot be decrypted). */
static int part_open(struct api *a, const struct api_job *j, const char *dir, const char *path,
		     struct api_download_part *p)
{
	struct stat st;
	int fd, err;

	p->fd = -1;
	p->sealed = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return ENOENT;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return ENOENT;
	}
	if (!inside(fd, dir, j->tenant)) {
		log_error("api", "tenant=%s event=recording_outside_dir interaction=%s", j->tenant,
			  j->target);
		close(fd);
		return ENOENT;
	}
	p->skip = 0;
	p->len = (uint64_t)st.st_size;
	if (!crec_is_sealed_fd(fd)) {
		p->fd = fd;
		return 0;
	}
	const struct cfg_tenant *ct = cfg_tenant_find(a->c.cfg, j->tenant);
	err = ct && ct->rec_encrypt ? crec_reader_open_fd(fd, ct->rec_key, &p->sealed) : ENOKEY;
	if (err == ENOKEY)
		close(fd); /* otherwise the reader's now, also on error */
	if (err) {
		log_error("api", "tenant=%s event=recording_unreadable interaction=%s err=%s",
			  j->tenant, j->target, strerror(err));
		p->sealed = NULL;
		return err == ENOKEY ? ENOKEY : EIO;
	}
	p->len = crec_reader_size(p->sealed);
	return 0;
}

static uint32_t rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Makes part p its WAV data only (after the canonical 44-byte header the recorder
 * writes, media/wav.c), checking the format matches `fmt` (the first segment's, copied
 * there when fmt[0] is 0). False when the file is not such a WAV or differs. */
static bool part_data(struct api_download_part *p, unsigned char head[44])
{
	unsigned char h[44];
	uint64_t data;

	if (p->len < 44 || !part_read(p, 0, h, 44) || memcmp(h, "RIFF", 4) ||
	    memcmp(h + 8, "WAVEfmt ", 8) || rd32(h + 16) != 16 || memcmp(h + 36, "data", 4))
		return false;
	if (!head[0])
		memcpy(head, h, 44);
	else if (memcmp(head + 20, h + 20, 16))
		return false;
	/* A file cut short (the server killed mid-call) counts what its header says. */
	data = rd32(h + 40);
	p->skip = 44;
	p->len = data < p->len - 44 ? data : p->len - 44;
	return true;
}

static void reply_store_error(struct api *a, const struct api_job *j, int err)
{
	if (err == EAGAIN)
		api_reply_error(a, j->req, 503, "store_unavailable", "the database is unreachable");
	else
		api_reply_error(a, j->req, 500, "store_error", "the database refused the request");
}

/* GET .../recording/segments: each segment's number, start and size as served. */
static void list_segments(struct api *a, const struct api_job *j, const struct rec_find *f,
			  const char *dir)
{
	json_t *items = json_array();

	for (unsigned i = 0; i < f->n; i++) {
		struct api_download_part p;
		unsigned char head[44] = {0};
		int err = dir ? part_open(a, j, dir, f->path[i], &p) : ENOENT;
		json_t *o =
		    json_pack("{s:I, s:s?}", "segment", (json_int_t)(i + 1), "started", f->ts[i]);
		if (!err) {
			json_object_set_new(o, "bytes", json_integer((json_int_t)p.len));
			if (part_data(&p, head) && rd32(head + 28))
				json_object_set_new(o, "duration_s",
						    json_real((double)p.len / rd32(head + 28)));
			if (p.fd >= 0)
				close(p.fd);
			crec_reader_free(p.sealed);
		}
		json_object_set_new(o, "available", json_boolean(!err));
		json_array_append_new(items, o);
	}
	api_reply(a, j->req, 200, json_pack("{s:o, s:n}", "items", items, "next"));
}

/* The download: one segment as stored (`seg` from 1), or every available segment behind
 * one header (seg 0; a call of one segment is served as stored). */
static int download_make(struct api *a, const struct api_job *j, const struct rec_find *f,
			 const char *dir, unsigned seg, struct api_download **out)
{
	struct api_download *dl;
	unsigned from = seg ? seg - 1 : 0, to = seg ? seg : f->n;
	uint64_t data = 0;
	int err = ENOENT;

	if (!(dl = calloc(1, sizeof(*dl) + (to - from) * sizeof(dl->parts[0]))))
		return ENOMEM;
	for (unsigned i = from; i < to; i++) {
		struct api_download_part *p = &dl->parts[dl->nparts];
		int e = part_open(a, j, dir, f->path[i], p);
		if (e) {
			/* A segment gone (deleted by hand) leaves the others to serve. */
			if (e != ENOENT)
				err = e;
			log_warn("api",
				 "tenant=%s event=recording_segment_missing interaction=%s "
				 "segment=%u",
				 j->tenant, j->target, i + 1);
			continue;
		}
		dl->nparts++;
	}
	if (!dl->nparts)
		goto fail;
	if (dl->nparts > 1) {
		for (unsigned i = 0; i < dl->nparts; i++) {
			if (!part_data(&dl->parts[i], dl->head)) {
				log_error(
				    "api",
				    "tenant=%s event=recording_segments_differ interaction=%s",
				    j->tenant, j->target);
				err = EILSEQ;
				goto fail;
			}
			data += dl->parts[i].len;
		}
		if (data > UINT32_MAX - 36) {
			err = EFBIG;
			goto fail;
		}
		wr32(dl->head + 4, (uint32_t)(36 + data));
		wr32(dl->head + 40, (uint32_t)data);
		dl->head_len = 44;
	}
	*out = dl;
	return 0;
fail:
	api__download_free(dl);
	return err;
}

static uint64_t download_size(const struct api_download *dl)
{
	uint64_t n = dl->head_len;

	for (unsigned i = 0; i < dl->nparts; i++)
		n += dl->parts[i].len;
	return n;
}

void api__recording_run(struct api *a, struct store_db *db, const struct api_job *j)
{
	struct rec_find f = {0};
	const char *dir = API_CFG(a) ? API_CFG(a)->recordings : NULL;
	const char *range = json_string_value(json_object_get(j->args, "range"));
	unsigned seg = (unsigned)json_integer_value(json_object_get(j->args, "segment"));
	struct api_resp *r = NULL;
	struct api_download *dl = NULL;
	uint64_t first = 0, last = 0, size;
	char detail[128], extra[200], segs[48];
	int err, rc;

	if (!(j->roles & (API_ROLE_SUPERVISOR | API_ROLE_ADMIN | API_ROLE_QA)))
		f.only_agent = j->user;
	err = store_db_interaction_get(db, j->tenant, j->target, rec_row, &f);
	if (err == ENOENT)
		err = 0; /* not found, below */
	if (err) {
		reply_store_error(a, j, err);
		goto out;
	}
	if (!f.found) {
		api_reply_error(a, j->req, 404, "not_found", "no such interaction");
		goto out;
	}
	if (json_is_true(json_object_get(j->args, "list"))) {
		list_segments(a, j, &f, dir);
		goto out;
	}
	if (seg > f.n && f.n) {
		api_reply_error(a, j->req, 404, "not_found", "the recording has no such segment");
		goto out;
	}
	err = f.n && dir ? download_make(a, j, &f, dir, seg, &dl) : ENOENT;
	if (err == ENOENT) {
		api_reply_error(a, j->req, 404, "not_found", "the interaction has no recording");
		goto out;
	}
	if (err) {
		api_reply_error(a, j->req, 500, "recording_unreadable",
				err == EILSEQ ? "the recording's segments differ in format"
					      : "the recording cannot be read");
		goto out;
	}
	size = download_size(dl);
	if (!(r = calloc(1, sizeof(*r)))) {
		api_reply_error(a, j->req, 503, "busy", "out of memory");
		goto out;
	}
	r->req = j->req;
	r->file = true;
	/* Which segments this is, for the client and the audit log. */
	if (seg)
		snprintf(segs, sizeof(segs), "segment %u of %u", seg, f.n);
	else
		snprintf(segs, sizeof(segs), "segments %u of %u", dl->nparts, f.n);
	rc = api__range_parse(range, size, &first, &last);
	if (rc == ERANGE) {
		json_t *e = api__error_json("range_not_satisfiable",
					    "the range starts past the end of the recording", NULL);
		r->status = 416;
		r->ctype = "application/json";
		r->body = json_dumps(e, JSON_COMPACT);
		r->len = r->body ? strlen(r->body) : 0;
		json_decref(e);
		snprintf(extra, sizeof(extra), "Content-Range: bytes */%llu\r\n",
			 (unsigned long long)size);
		snprintf(detail, sizeof(detail), "unsatisfiable %.64s, %s", range, segs);
	} else {
		r->ctype = "audio/wav";
		r->dl = dl;
		dl = NULL;
		if (rc == 0) {
			r->status = 206;
			r->file_off = first;
			r->file_len = last - first + 1;
			snprintf(
			    extra, sizeof(extra),
			    "Content-Range: bytes %llu-%llu/%llu\r\nX-Recording-Segments: %u\r\n",
			    (unsigned long long)first, (unsigned long long)last,
			    (unsigned long long)size, f.n);
			snprintf(detail, sizeof(detail), "bytes %llu-%llu/%llu, %s",
				 (unsigned long long)first, (unsigned long long)last,
				 (unsigned long long)size, segs);
		} else {
			r->status = 200;
			r->file_len = size;
			snprintf(extra, sizeof(extra), "X-Recording-Segments: %u\r\n", f.n);
			snprintf(detail, sizeof(detail), "whole %llu, %s", (unsigned long long)size,
				 segs);
		}
	}
	if (!(r->extra = strdup(extra))) {
		api__resp_free(r);
		api_reply_error(a, j->req, 503, "busy", "out of memory");
		goto out;
	}
	api__audit(db, j, "interaction", j->target, "download", detail);
	log_info("api", "tenant=%s event=recording_download interaction=%s user=%s status=%d %s",
		 j->tenant, j->target, j->user, r->status, detail);
	api__post(a, r);
out:
	api__download_free(dl);
	rec_find_free(&f);
}

/* ---- the service thread's part ---- */

static const char *reason(int status)
{
	return status == 206 ? "Partial Content" : status == 416 ? "Range Not Satisfiable" : "OK";
}

/* Reads n bytes of the download at its offset: the header made here, then the parts. */
static bool file_read(struct api_conn *conn, unsigned char *buf, size_t n)
{
	const struct api_download *dl = conn->file_dl;
	uint64_t off = conn->file_off;

	if (dl && off < dl->head_len && n) {
		size_t k = dl->head_len - off < n ? (size_t)(dl->head_len - off) : n;
		memcpy(buf, dl->head + off, k);
		buf += k;
		n -= k;
		off += k;
	}
	off -= dl ? dl->head_len : 0;
	for (unsigned i = 0; dl && i < dl->nparts && n; i++) {
		const struct api_download_part *p = &dl->parts[i];
		size_t k;
		if (off >= p->len) {
			off -= p->len;
			continue;
		}
		k = p->len - off < n ? (size_t)(p->len - off) : n;
		if (!part_read(p, p->skip + off, buf, k))
			return false;
		buf += k;
		n -= k;
		off = 0;
	}
	return n == 0;
}

/* Writes up to one chunk of the open file; ends the transaction after the last. */
int api__file_more(struct api_conn *conn)
{
	size_t n = conn->file_left > CHUNK ? CHUNK : (size_t)conn->file_left;

	if (!file_read(conn, conn->file_buf + LWS_PRE, n)) {
		/* The file shrank or failed under us: the client sees a short body. */
		log_error("api", "event=recording_read_failed path=%s", conn->path);
		return -1;
	}
	if (n && lws_write(conn->wsi, conn->file_buf + LWS_PRE, n, LWS_WRITE_HTTP) < 0)
		return -1;
	conn->file_off += n;
	conn->file_left -= n;
	if (conn->file_left) {
		lws_callback_on_writable(conn->wsi);
		return 0;
	}
	api__file_close(conn);
	return lws_http_transaction_completed(conn->wsi) ? -1 : 0;
}

void api__file_close(struct api_conn *conn)
{
	api__download_free(conn->file_dl);
	conn->file_dl = NULL;
	conn->file_open = false;
	conn->file_left = 0;
	free(conn->file_buf);
	conn->file_buf = NULL;
}

int api__file_start(struct api_conn *conn, struct api_resp *r)
{
	char head[512];
	int hl;
	size_t total, n;

	hl = snprintf(head, sizeof(head),
		      "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %llu\r\n"
		      "Accept-Ranges: bytes\r\nCache-Control: no-store\r\n"
		      "X-Content-Type-Options: nosniff\r\n%s\r\n",
		      r->status, reason(r->status), r->ctype,
		      (unsigned long long)(r->len + r->file_len), r->extra ? r->extra : "");
	if (hl < 0 || (size_t)hl >= sizeof(head))
		return -1;
	api__file_close(conn);
	total = LWS_PRE + (size_t)hl + r->len + CHUNK;
	if (!(conn->file_buf = malloc(total)))
		return -1;
	memcpy(conn->file_buf + LWS_PRE, head, (size_t)hl);
	if (r->len)
		memcpy(conn->file_buf + LWS_PRE + hl, r->body, r->len);
	conn->file_dl = r->dl;
	r->dl = NULL;
	conn->file_open = conn->file_dl != NULL;
	conn->file_off = r->file_off;
	conn->file_left = conn->file_open ? r->file_len : 0;
	/* The headers and the first chunk in one write (see FIELD-NOTES: pipelining). */
	n = conn->file_left > CHUNK ? CHUNK : (size_t)conn->file_left;
	if (!file_read(conn, conn->file_buf + LWS_PRE + hl + r->len, n))
		return -1;
	if (lws_write(conn->wsi, conn->file_buf + LWS_PRE, (size_t)hl + r->len + n,
		      LWS_WRITE_HTTP_HEADERS) < 0)
		return -1;
	conn->file_off += n;
	conn->file_left -= n;
	if (conn->file_left) {
		lws_callback_on_writable(conn->wsi);
		return 0;
	}
	api__file_close(conn);
	return lws_http_transaction_completed(conn->wsi) ? -1 : 0;
}
