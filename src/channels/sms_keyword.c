/*
 * Opt-out keywords of the SMS channel: whether a customer's whole text is STOP (or one of
 * the tenant's words for it) or START. Texts and keywords are compared folded: trimmed of
 * white space and of `.`, `!` and `?` at both ends, in lower case, without accents (the
 * Latin letters of Latin-1 and Latin Extended-A to their base letter, Cyrillic Ё to Е,
 * combining marks dropped), so that "Stop!", " stop " and "STÓP" are STOP and "стоп" is
 * "СТОП". Pure: no allocation, no I/O.
 */
#include "channels/sms.h"

#include <errno.h>
#include <string.h>

/* en, then pl NIE, WYPISZ, es BAJA, ALTO, ru СТОП, ОТПИСАТЬСЯ (written in escapes). */
static const char ru_stop[] = "\xd0\xa1\xd0\xa2\xd0\x9e\xd0\x9f";
static const char ru_unsubscribe[] = "\xd0\x9e\xd0\xa2\xd0\x9f\xd0\x98\xd0\xa1\xd0\x90"
				     "\xd0\xa2\xd0\xac\xd0\xa1\xd0\xaf";
const char *const sms_keywords_stop_default[] = {
    "STOP",   "STOPALL", "UNSUBSCRIBE", "CANCEL", "END",	  "QUIT", "NIE",
    "WYPISZ", "BAJA",	 "ALTO",	ru_stop,  ru_unsubscribe, NULL};

/* en, then pl ZAPISZ, es ALTA, ru СТАРТ. */
static const char ru_start[] = "\xd0\xa1\xd0\xa2\xd0\x90\xd0\xa0\xd0\xa2";
const char *const sms_keywords_start_default[] = {"START", "UNSTOP", "ZAPISZ",
						  "ALTA",  ru_start, NULL};

/* U+00C0..U+00FF and U+0100..U+017F to their base letter in lower case; '*': kept. */
static const char latin1[] = "aaaaaaaceeeeiiii"
			     "dnooooo*ouuuuy**"
			     "aaaaaaaceeeeiiii"
			     "dnooooo*ouuuuy*y";
static const char latin_a[] = "aaaaaaccccccccdd"
			      "ddeeeeeeeeeegggg"
			      "gggghhhhiiiiiiii"
			      "iiiijjkkklllllll"
			      "lllnnnnnnnnnoooo"
			      "oooorrrrrrssssss"
			      "ssttttttuuuuuuuu"
			      "uuuuwwyyyzzzzzzs";
_Static_assert(sizeof(latin1) == 65, "64 letters");
_Static_assert(sizeof(latin_a) == 129, "128 letters");

/* Decodes one UTF-8 character at s (strict: no overlong forms, surrogates or NUL);
 * returns its length, or 0 when the bytes are not UTF-8. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	uint32_t c = s[0];
	size_t n, i;

	if (c < 0x80) {
		*cp = c;
		return c ? 1 : 0;
	}
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, c &= 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, c &= 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, c &= 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* The folded form of one character; 0: dropped. */
static uint32_t fold(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c >= 0xc0 && c <= 0xff && latin1[c - 0xc0] != '*')
		return (unsigned char)latin1[c - 0xc0];
	if (c >= 0x100 && c <= 0x17f)
		return (unsigned char)latin_a[c - 0x100];
	if (c >= 0x410 && c <= 0x42f)
		c += 0x20;
	else if (c >= 0x400 && c <= 0x40f)
		c += 0x50;
	if (c == 0x451) /* ё */
		return 0x435;
	if ((c >= 0x300 && c <= 0x36f) || (c >= 0x200b && c <= 0x200d) || c == 0xfeff)
		return 0; /* combining marks, zero-width characters */
	return c;
}

static bool trimmed(uint32_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0 || c == '.' || c == '!' ||
	       c == '?';
}

static size_t utf8_put(uint32_t c, char *out)
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

int sms_keyword_fold(const char *text, char *out, size_t size)
{
	const unsigned char *s = (const unsigned char *)(text ? text : "");
	size_t len = 0, keep = 0; /* keep: the length up to the last character not trimmed */
	uint32_t c;

	if (!size)
		return ENOSPC;
	while (*s) {
		size_t n = utf8_next(s, &c);
		char buf[4];
		size_t k;
		if (!n)
			return EILSEQ;
		s += n;
		if (!(c = fold(c)) || (!len && trimmed(c)))
			continue;
		k = utf8_put(c, buf);
		if (len + k >= size)
			return ENOSPC;
		memcpy(out + len, buf, k);
		len += k;
		if (!trimmed(c))
			keep = len;
	}
	out[keep] = '\0';
	return 0;
}

/* Whether folded text `t` is one of the words (folded here). */
static bool listed(const char *t, const char *const *words, size_t n)
{
	char w[SMS_KEYWORD_MAX];

	for (size_t i = 0; i < n && words[i]; i++)
		if (!sms_keyword_fold(words[i], w, sizeof(w)) && *w && !strcmp(t, w))
			return true;
	return false;
}

enum sms_keyword sms_keyword_match(const char *text, const char *const *stop, size_t nstop,
				   const char *const *start, size_t nstart)
{
	char t[SMS_KEYWORD_MAX];

	if (sms_keyword_fold(text, t, sizeof(t)) || !*t)
		return SMS_KEYWORD_NONE;
	if (listed(t, stop, nstop))
		return SMS_KEYWORD_STOP;
	if (listed(t, start, nstart))
		return SMS_KEYWORD_START;
	return SMS_KEYWORD_NONE;
}
