/*
 * Search keys for names: the text folded to lower case letter by letter with the
 * Unicode case mappings of the C.UTF-8 locale (glibc ships it built in), runs of white
 * space made one space, ends trimmed. Folding happens here, in C, rather than with the
 * database's LOWER(): SQLite's LOWER folds only ASCII ("ŁUKASZ" stays upper-case) and
 * PostgreSQL's depends on the database's collation, so the same name would match on
 * one back end and not on the other. The store writes these keys and searches them as
 * byte prefixes, which mean the same on both.
 */
#include "crm/crm.h"

#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <string.h>
#include <wctype.h>

static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_init(void)
{
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* Decodes one UTF-8 sequence at s (n bytes left); returns its length, 0 if invalid. */
static size_t utf8_dec(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c = s[0];

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0)
		len = 2, c &= 0x1f;
	else if ((c & 0xf0) == 0xe0)
		len = 3, c &= 0x0f;
	else if ((c & 0xf8) == 0xf0)
		len = 4, c &= 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are not text. */
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return len;
}

static size_t utf8_enc(uint32_t c, char out[4])
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

int crm_name_fold(const char *in, struct crm_buf *out)
{
	const unsigned char *s = (const unsigned char *)(in ? in : "");
	size_t n = strlen((const char *)s), i = 0, start = out->len;
	bool space = false;

	pthread_once(&utf8_once, utf8_init);
	while (i < n) {
		uint32_t c;
		size_t len = utf8_dec(s + i, n - i, &c);
		char enc[4];

		if (!len) {
			out->len = start;
			if (out->p)
				out->p[start] = '\0';
			return EINVAL;
		}
		i += len;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0xa0) {
			space = true;
			continue;
		}
		if (space && out->len > start)
			crm_buf_putc(out, ' ');
		space = false;
		if (utf8_locale)
			c = (uint32_t)towlower_l((wint_t)c, utf8_locale);
		else if (c < 0x80)
			c = (uint32_t)towlower((wint_t)c);
		crm_buf_put(out, enc, utf8_enc(c, enc));
	}
	if (out->len == start)
		crm_buf_put(out, "", 0);
	return out->err;
}
