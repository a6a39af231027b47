/*
 * Backups of a live installation (store.h, "backup and restore"): a consistent copy of
 * a SQLite database taken with SQLite's online backup API while the server writes to it,
 * copies of the recording files with their index (path, size, SHA-256), and the way
 * back: the database copied into place with the same API, recording paths rewritten to
 * the new recordings directory, every file checked against the index before it is put
 * back. The command-line side is backup_cli.c.
 */
#include "store/store_int.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <ftw.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int sqlite_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
		return 0;
	case SQLITE_NOMEM:
		return ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return EAGAIN;
	case SQLITE_CANTOPEN:
		return ENOENT;
	default:
		return EIO;
	}
}

/* Copies every page of `from` into `to` in one step: one read transaction on the
 * source, so the copy is the database as of one instant even while a writer commits
 * (WAL readers never wait for the writer, nor the writer for them). */
static int copy_db(sqlite3 *from, sqlite3 *to, char *err, size_t errlen)
{
	sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
	int rc;

	if (!b) {
		snprintf(err, errlen, "backup: %s", sqlite3_errmsg(to));
		return EIO;
	}
	do {
		rc = sqlite3_backup_step(b, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(50);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "backup: %s", sqlite3_errstr(rc));
		return sqlite_errno(rc) ? sqlite_errno(rc) : EIO;
	}
	return 0;
}

int store_sqlite_copy(const char *src, const char *dst, char *err, size_t errlen)
{
	sqlite3 *from = NULL, *to = NULL;
	char *msg = NULL;
	int rc, e = 0;

	if ((rc = sqlite3_open_v2(src, &from, SQLITE_OPEN_READONLY, NULL)) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", src, from ? sqlite3_errmsg(from) : "cannot open");
		e = sqlite_errno(rc);
		goto out;
	}
	sqlite3_busy_timeout(from, 10000);
	store__mkdirs_for(dst);
	if ((rc = sqlite3_open_v2(dst, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", dst, to ? sqlite3_errmsg(to) : "cannot open");
		e = sqlite_errno(rc);
		goto out;
	}
	if ((e = copy_db(from, to, err, errlen)))
		goto out;
	/* The copy is a database like the live one: WAL, and whole. */
	rc = sqlite3_exec(to, "PRAGMA journal_mode = WAL", NULL, NULL, &msg);
	if (rc == SQLITE_OK) {
		sqlite3_stmt *st = NULL;
		rc = sqlite3_prepare_v2(to, "PRAGMA quick_check", -1, &st, NULL);
		if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
		    strcmp((const char *)sqlite3_column_text(st, 0), "ok")) {
			snprintf(err, errlen, "%s: quick_check: %s", dst,
				 sqlite3_column_text(st, 0));
			e = EIO;
		}
		sqlite3_finalize(st);
	}
	if (rc != SQLITE_OK && !e) {
		snprintf(err, errlen, "%s: %s", dst, msg ? msg : sqlite3_errstr(rc));
		e = EIO;
	}
out:
	sqlite3_free(msg);
	sqlite3_close(to);
	sqlite3_close(from);
	return e;
}

int store_sqlite_info(const char *path, int *schema_version, long long *interactions)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc, e = 0;

	if ((rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL)) != SQLITE_OK) {
		e = sqlite_errno(rc);
		goto out;
	}
	rc = sqlite3_prepare_v2(db,
				"SELECT (SELECT coalesce(max(version), 0) FROM schema_version), "
				"(SELECT count(*) FROM interactions)",
				-1, &st, NULL);
	if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		e = EIO;
		goto out;
	}
	*schema_version = sqlite3_column_int(st, 0);
	*interactions = sqlite3_column_int64(st, 1);
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return e;
}

int store_sqlite_recordings(const char *path, store_recording_h *h, void *arg)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc, e = 0;

	if ((rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL)) != SQLITE_OK) {
		e = sqlite_errno(rc);
		goto out;
	}
	rc = sqlite3_prepare_v2(db,
				"SELECT tenant, id, recording FROM interactions WHERE recording IS "
				"NOT NULL AND recording <> '' ORDER BY tenant, id",
				-1, &st, NULL);
	if (rc != SQLITE_OK) {
		e = EIO;
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((e = h((const char *)sqlite3_column_text(st, 0),
			   (const char *)sqlite3_column_text(st, 1),
			   (const char *)sqlite3_column_text(st, 2), arg)))
			goto out;
	if (rc != SQLITE_DONE)
		e = EIO;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return e;
}

int store_sqlite_rebase_recordings(const char *path, const char *old_root, const char *new_root,
				   long long *changed)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *o = NULL, *n = NULL, *oq = NULL, *nq = NULL;
	int rc, e = 0;

	/* Whole path components only: "rec/" matches "rec/acme/..." but not "records/". */
	if (asprintf(&o, "%s/", old_root) < 0 || asprintf(&n, "%s/", new_root) < 0 ||
	    asprintf(&oq, "\"%s/", old_root) < 0 || asprintf(&nq, "\"%s/", new_root) < 0) {
		e = ENOMEM;
		goto out;
	}
	if ((rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL)) != SQLITE_OK) {
		e = sqlite_errno(rc);
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	/* The interaction's recording, and the recording paths its timeline names. */
	rc = sqlite3_prepare_v2(db,
				"UPDATE interactions SET recording = ?2 || substr(recording, "
				"length(?1) + 1), timeline = replace(timeline, ?3, ?4) WHERE "
				"substr(recording, 1, length(?1)) = ?1 OR instr(timeline, ?3) > 0",
				-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, o, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, n, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, oq, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, nq, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE) {
		e = EIO;
		goto out;
	}
	*changed = sqlite3_changes(db);
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(o);
	free(n);
	free(oq);
	free(nq);
	return e;
}

int store_file_copy(const char *src, const char *dst, char sha256_hex[65], long long *bytes)
{
	crypto_hash_sha256_state h;
	unsigned char buf[65536], sum[crypto_hash_sha256_BYTES];
	char tmp[PATH_MAX];
	int in = -1, out = -1, e = 0;
	long long total = 0;
	ssize_t n;

	if (dst && snprintf(tmp, sizeof(tmp), "%s.part", dst) >= (int)sizeof(tmp))
		return ENAMETOOLONG;
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return errno;
	if (dst) {
		store__mkdirs_for(dst);
		if ((out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0) {
			e = errno;
			goto out;
		}
	}
	crypto_hash_sha256_init(&h);
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			e = errno;
			goto out;
		}
		crypto_hash_sha256_update(&h, buf, (unsigned long long)n);
		total += n;
		for (ssize_t off = 0; out >= 0 && off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				e = errno;
				goto out;
			}
			off += w;
		}
	}
	if (out >= 0 && (fsync(out) || close(out))) {
		e = errno;
		out = -1;
		goto out;
	}
	out = -1;
	if (dst && rename(tmp, dst)) {
		e = errno;
		goto out;
	}
	crypto_hash_sha256_final(&h, sum);
	sodium_bin2hex(sha256_hex, 65, sum, sizeof(sum));
	*bytes = total;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (e && dst)
		unlink(tmp);
	return e;
}

/* nftw has no argument for its callback: one walk at a time per process. */
static store_file_h *walk_h;
static void *walk_arg;
static size_t walk_root_len;
static int walk_err;

static int walk_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag != FTW_F)
		return 0;
	/* A file another backup or restore left half-copied is no recording. */
	size_t n = strlen(path);
	if (n > 5 && !strcmp(path + n - 5, ".part"))
		return 0;
	walk_err = walk_h(path, path + walk_root_len + 1, walk_arg);
	return walk_err ? 1 : 0;
}

int store_files_walk(const char *root, store_file_h *h, void *arg)
{
	struct stat st;
	int rc;

	if (stat(root, &st))
		return errno == ENOENT ? 0 : errno;
	walk_h = h;
	walk_arg = arg;
	walk_root_len = strlen(root);
	while (walk_root_len > 1 && root[walk_root_len - 1] == '/')
		walk_root_len--;
	walk_err = 0;
	rc = nftw(root, walk_one, 32, FTW_PHYS);
	if (rc < 0)
		return errno;
	return walk_err;
}
