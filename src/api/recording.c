/*
 * Recordings through the API: GET /api/v1/interactions/{id}/recording answers the
 * call's WAV, whole or the one byte range asked for (206 with Content-Range; 416 when
 * the range starts past the end). A worker finds the interaction (an agent only its
 * own; supervisors, QA and admins any of the tenant; another tenant's is not found),
 * opens the file, checks that what it opened lies inside the configured recordings
 * directory under the tenant's folder (the path in the record is never trusted), and
 * writes the audit entry; the service thread then streams the open file in chunks as
 * the socket drains (lws_serve_http_file has no ranges in this build of
 * libwebsockets), so memory per download stays one chunk. A recording encrypted at rest
 * (core/crec.h) is decrypted record by record as it streams, with the tenant's key: the
 * client gets the WAV, and ranges count in the WAV's bytes.
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
	char range[128];

	api__job_init(&j, conn, JOB_RECORDING, target, json_object());
	/* A Range header too long for us is treated as absent: the whole file. */
	if (lws_hdr_total_length(conn->wsi, WSI_TOKEN_HTTP_RANGE) > 0 &&
	    lws_hdr_copy(conn->wsi, range, sizeof(range), WSI_TOKEN_HTTP_RANGE) > 0)
		json_object_set_new(j.args, "range", json_string(range));
	api__job(conn, &j);
}

/* ---- the worker's part ---- */

struct rec_find {
	const char *only_agent;
	bool found;
	char *path;
};

static int rec_row(const struct crm_interaction *ix, void *arg)
{
	struct rec_find *f = arg;

	if (f->only_agent && (!ix->agent || strcmp(ix->agent, f->only_agent)))
		return 0;
	f->found = true;
	if (ix->recording && *ix->recording && !(f->path = strdup(ix->recording)))
		return ENOMEM;
	return 0;
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

static void audit(struct store_db *db, const struct api_job *j, const char *detail)
{
	char actor[80];
	struct store_audit au = {.tenant = j->tenant,
				 .actor = actor,
				 .object = "interaction",
				 .key = j->target,
				 .action = "download",
				 .detail = detail};
	int err;

	snprintf(actor, sizeof(actor), "api:%s", j->user);
	if ((err = store_db_audit_put(db, &au)))
		log_error("api", "tenant=%s event=audit_failed object=interaction key=%s err=%s",
			  j->tenant, j->target, strerror(err));
}

void api__recording_run(struct api *a, struct store_db *db, const struct api_job *j)
{
	struct rec_find f = {0};
	const char *dir = API_CFG(a) ? API_CFG(a)->recordings : NULL;
	const char *range = json_string_value(json_object_get(j->args, "range"));
	struct api_resp *r = NULL;
	struct crec_reader *sealed = NULL;
	struct stat st;
	uint64_t first = 0, last = 0, size;
	char detail[96], extra[160];
	int fd = -1, err, rc;

	if (!(j->roles & (API_ROLE_SUPERVISOR | API_ROLE_ADMIN | API_ROLE_QA)))
		f.only_agent = j->user;
	err = store_db_interaction_get(db, j->tenant, j->target, rec_row, &f);
	if (err == ENOENT)
		err = 0; /* not found, below */
	if (err) {
		if (err == EAGAIN)
			api_reply_error(a, j->req, 503, "store_unavailable",
					"the database is unreachable");
		else
			api_reply_error(a, j->req, 500, "store_error",
					"the database refused the request");
		goto out;
	}
	if (!f.found) {
		api_reply_error(a, j->req, 404, "not_found", "no such interaction");
		goto out;
	}
	if (!f.path || !dir || (fd = open(f.path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0 ||
	    fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		api_reply_error(a, j->req, 404, "not_found", "the interaction has no recording");
		goto out;
	}
	if (!inside(fd, dir, j->tenant)) {
		log_error("api", "tenant=%s event=recording_outside_dir interaction=%s", j->tenant,
			  j->target);
		api_reply_error(a, j->req, 404, "not_found", "the interaction has no recording");
		goto out;
	}
	size = (uint64_t)st.st_size;
	if (crec_is_sealed_fd(fd)) {
		const struct cfg_tenant *ct = cfg_tenant_find(a->c.cfg, j->tenant);

		err =
		    ct && ct->rec_encrypt ? crec_reader_open_fd(fd, ct->rec_key, &sealed) : ENOKEY;
		if (err != ENOKEY)
			fd = -1; /* the reader's now, also on error */
		if (err) {
			log_error("api",
				  "tenant=%s event=recording_unreadable interaction=%s err=%s",
				  j->tenant, j->target, strerror(err));
			api_reply_error(a, j->req, 500, "recording_unreadable",
					"the recording cannot be decrypted");
			goto out;
		}
		size = crec_reader_size(sealed);
	}
	if (!(r = calloc(1, sizeof(*r)))) {
		api_reply_error(a, j->req, 503, "busy", "out of memory");
		goto out;
	}
	r->req = j->req;
	r->file = true;
	r->fd = -1;
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
		snprintf(detail, sizeof(detail), "unsatisfiable %.64s", range);
	} else {
		r->ctype = "audio/wav";
		r->fd = fd;
		fd = -1;
		r->sealed = sealed;
		sealed = NULL;
		if (rc == 0) {
			r->status = 206;
			r->file_off = first;
			r->file_len = last - first + 1;
			snprintf(extra, sizeof(extra), "Content-Range: bytes %llu-%llu/%llu\r\n",
				 (unsigned long long)first, (unsigned long long)last,
				 (unsigned long long)size);
			snprintf(detail, sizeof(detail), "bytes %llu-%llu/%llu",
				 (unsigned long long)first, (unsigned long long)last,
				 (unsigned long long)size);
		} else {
			r->status = 200;
			r->file_len = size;
			extra[0] = '\0';
			snprintf(detail, sizeof(detail), "whole %llu", (unsigned long long)size);
		}
	}
	if (!(r->extra = strdup(extra))) {
		api__resp_free(r);
		api_reply_error(a, j->req, 503, "busy", "out of memory");
		goto out;
	}
	audit(db, j, detail);
	log_info("api", "tenant=%s event=recording_download interaction=%s user=%s status=%d %s",
		 j->tenant, j->target, j->user, r->status, detail);
	api__post(a, r);
out:
	if (fd >= 0)
		close(fd);
	crec_reader_free(sealed);
	free(f.path);
}

/* ---- the service thread's part ---- */

static const char *reason(int status)
{
	return status == 206 ? "Partial Content" : status == 416 ? "Range Not Satisfiable" : "OK";
}

/* Reads n bytes of the download at its offset: from the file, or decrypted. */
static bool file_read(struct api_conn *conn, unsigned char *buf, size_t n)
{
	ssize_t got;

	if (!n)
		return true;
	if (conn->file_sealed)
		return crec_read(conn->file_sealed, conn->file_off, buf, n) == 0;
	got = pread(conn->file_fd, buf, n, (off_t)conn->file_off);
	return got >= 0 && (size_t)got == n;
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
	if (conn->file_open && conn->file_fd >= 0)
		close(conn->file_fd);
	crec_reader_free(conn->file_sealed);
	conn->file_sealed = NULL;
	conn->file_open = false;
	conn->file_fd = -1;
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
	conn->file_fd = r->fd;
	r->fd = -1;
	conn->file_sealed = r->sealed;
	r->sealed = NULL;
	conn->file_open = conn->file_fd >= 0 || conn->file_sealed;
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
