/*
 * The growable text buffer used to render JSON and CSV, with the escaping rules of
 * both formats. Rendering a record appends to a buffer the caller reuses, so a long
 * export allocates only while the buffer grows to its largest row.
 */
#include "crm/crm.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int buf_reserve(struct crm_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->err)
		return b->err;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->err = ENOMEM;
		return ENOMEM;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void crm_buf_put(struct crm_buf *b, const char *s, size_t n)
{
	if (buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void crm_buf_puts(struct crm_buf *b, const char *s)
{
	crm_buf_put(b, s, strlen(s));
}

void crm_buf_putc(struct crm_buf *b, char c)
{
	crm_buf_put(b, &c, 1);
}

void crm_buf_printf(struct crm_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (buf_reserve(b, 64))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = EINVAL;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		if (buf_reserve(b, (size_t)n))
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when the bytes are invalid. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points past U+10FFFF are invalid. */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void crm_buf_json_str(struct crm_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *run;

	if (!s) {
		crm_buf_put(b, "null", 4);
		return;
	}
	crm_buf_putc(b, '"');
	run = p;
	while (*p) {
		size_t n = utf8_len(p);
		const char *esc = NULL;
		char tmp[8];

		if (n > 1) {
			p += n;
			continue;
		}
		if (n == 1 && *p >= 0x20 && *p != '"' && *p != '\\') {
			p++;
			continue;
		}
		crm_buf_put(b, (const char *)run, (size_t)(p - run));
		if (n == 0) {
			esc = "\xef\xbf\xbd"; /* U+FFFD for a byte that is not UTF-8 */
		} else if (*p == '"') {
			esc = "\\\"";
		} else if (*p == '\\') {
			esc = "\\\\";
		} else if (*p == '\n') {
			esc = "\\n";
		} else if (*p == '\r') {
			esc = "\\r";
		} else if (*p == '\t') {
			esc = "\\t";
		} else {
			snprintf(tmp, sizeof(tmp), "\\u%04x", *p);
			esc = tmp;
		}
		crm_buf_puts(b, esc);
		p++;
		run = p;
	}
	crm_buf_put(b, (const char *)run, (size_t)(p - run));
	crm_buf_putc(b, '"');
}

void crm_buf_csv_field(struct crm_buf *b, const char *s)
{
	const char *q;

	if (!s)
		return;
	if (!strpbrk(s, ",\"\r\n")) {
		crm_buf_puts(b, s);
		return;
	}
	crm_buf_putc(b, '"');
	while ((q = strchr(s, '"'))) {
		crm_buf_put(b, s, (size_t)(q - s) + 1);
		crm_buf_putc(b, '"');
		s = q + 1;
	}
	crm_buf_puts(b, s);
	crm_buf_putc(b, '"');
}

void crm_buf_reset(struct crm_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void crm_buf_free(struct crm_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->err = 0;
}

json_t *crm_json_string(const char *s)
{
	struct crm_buf b = {0};
	json_t *j;

	if (!s)
		return json_null();
	if ((j = json_string(s)))
		return j;
	/* Not UTF-8: the same replacement crm_buf_json_str makes, read back. */
	crm_buf_json_str(&b, s);
	j = b.err ? NULL : json_loadb(b.p, b.len, JSON_DECODE_ANY, NULL);
	crm_buf_free(&b);
	return j;
}
