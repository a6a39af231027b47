/*
 * Streaming CSV (RFC 4180) for lead lists and do-not-call lists: one record at a time,
 * buffers reused, positions kept for error messages.
 */
#include "core/csv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct csv {
	FILE *f;
	char sep;
	char *buf; /* field bytes, each NUL-terminated */
	size_t len, cap;
	size_t *offs; /* field starts in buf */
	char **fields;
	size_t nf, capf;
	long line, col; /* position of the next byte */
	long err_line, err_col;
	int peeked;
	int started;
};

int csv_open(FILE *f, char sep, struct csv **out)
{
	struct csv *r;

	if (!f || !out || (sep != ',' && sep != ';' && sep != '\t'))
		return EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return ENOMEM;
	r->f = f;
	r->sep = sep;
	r->line = 1;
	r->col = 1;
	r->peeked = EOF - 1;
	*out = r;
	return 0;
}

void csv_close(struct csv *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r->offs);
	free(r->fields);
	free(r);
}

static int get(struct csv *r)
{
	int ch;

	if (r->peeked != EOF - 1) {
		ch = r->peeked;
		r->peeked = EOF - 1;
	} else {
		ch = getc(r->f);
	}
	if (ch == '\n') {
		r->line++;
		r->col = 1;
	} else if (ch != EOF) {
		r->col++;
	}
	return ch;
}

static int peek(struct csv *r)
{
	if (r->peeked == EOF - 1)
		r->peeked = getc(r->f);
	return r->peeked;
}

static int put(struct csv *r, char ch)
{
	if (r->len + 1 >= r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		char *b;
		if (r->len + 1 >= CSV_MAX_RECORD)
			return EFBIG;
		b = realloc(r->buf, cap);
		if (!b)
			return ENOMEM;
		r->buf = b;
		r->cap = cap;
	}
	r->buf[r->len++] = ch;
	return 0;
}

static int end_field(struct csv *r, size_t start)
{
	int rc = put(r, '\0');

	if (rc)
		return rc;
	if (r->nf == r->capf) {
		size_t cap = r->capf ? r->capf * 2 : 16;
		size_t *o = realloc(r->offs, cap * sizeof(*o));
		char **fv;
		if (!o)
			return ENOMEM;
		r->offs = o;
		fv = realloc(r->fields, cap * sizeof(*fv));
		if (!fv)
			return ENOMEM;
		r->fields = fv;
		r->capf = cap;
	}
	r->offs[r->nf++] = start;
	return 0;
}

/* After an error: skip to the end of the line. */
static void skip_line(struct csv *r)
{
	int ch;

	while ((ch = get(r)) != EOF && ch != '\n')
		;
}

static int fail(struct csv *r, int err, long line, long col)
{
	r->err_line = line;
	r->err_col = col;
	if (err != EPROTO)
		skip_line(r);
	return err;
}

int csv_next(struct csv *r, char ***fields, size_t *nfields, long *line)
{
	int ch, rc;
	long start = r->line;

	if (!r->started) {
		r->started = 1;
		/* A UTF-8 byte order mark (spreadsheets write one). */
		if (peek(r) == 0xEF) {
			get(r);
			if (get(r) != 0xBB || get(r) != 0xBF)
				return fail(r, EILSEQ, 1, 1);
			r->col = 1;
		}
	}
	if (peek(r) == EOF)
		return ferror(r->f) ? fail(r, EIO, r->line, r->col) : ENOENT;
	r->len = 0;
	r->nf = 0;
	for (;;) {
		size_t fstart = r->len;
		if (peek(r) == '"') {
			long ql = r->line, qc = r->col;
			get(r);
			for (;;) {
				ch = get(r);
				if (ch == EOF)
					return fail(r, ferror(r->f) ? EIO : EPROTO, ql, qc);
				if (ch == '"') {
					if (peek(r) == '"') {
						get(r);
					} else {
						break;
					}
				}
				if ((rc = put(r, (char)ch)))
					return fail(r, rc, start, r->col);
			}
			ch = peek(r);
			if (ch == '\r') {
				get(r);
				ch = peek(r);
				if (ch != '\n')
					return fail(r, EILSEQ, r->line, r->col - 1);
			}
			if (ch != r->sep && ch != '\n' && ch != EOF)
				return fail(r, EILSEQ, r->line, r->col);
		} else {
			for (;;) {
				ch = peek(r);
				if (ch == r->sep || ch == '\n' || ch == EOF)
					break;
				if (ch == '\r') {
					get(r);
					if (peek(r) == '\n')
						break;
					if ((rc = put(r, '\r')))
						return fail(r, rc, start, r->col);
					continue;
				}
				if (ch == '"')
					return fail(r, EILSEQ, r->line, r->col);
				get(r);
				if ((rc = put(r, (char)ch)))
					return fail(r, rc, start, r->col);
			}
		}
		if ((rc = end_field(r, fstart)))
			return fail(r, rc, start, r->col);
		ch = get(r);
		if (ch != r->sep)
			break; /* '\n' or EOF */
	}
	/* Pointers only now: the buffer may have moved while the record grew. */
	for (size_t i = 0; i < r->nf; i++)
		r->fields[i] = r->buf + r->offs[i];
	*fields = r->fields;
	*nfields = r->nf;
	*line = start;
	return 0;
}

void csv_error_pos(const struct csv *r, long *line, long *col)
{
	*line = r->err_line;
	*col = r->err_col;
}

int csv_blank(char *const *fields, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fields[i][0])
			return 0;
	return 1;
}
