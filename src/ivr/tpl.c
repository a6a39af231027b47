/*
 * Text templates: "Dzień dobry, {contact.first_name}" with variables in braces; "{{" and
 * "}}" stand for literal braces. Templates are checked when a flow loads and expanded
 * by the interpreter into caller-supplied buffers, without allocation.
 */
#include "ivr/ivr_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

bool ivr__valid_var_name(const char *s, size_t len)
{
	if (!len || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (!isalnum(ch) && ch != '_' && ch != '.' && ch != '-')
			return false;
		if (ch == '.' && (s[i - 1] == '.' || i == len - 1))
			return false;
	}
	return true;
}

size_t ivr__char_pos(const char *s, size_t off)
{
	size_t n = 1;

	for (size_t i = 0; i < off && s[i]; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

int ivr__tpl_check(const char *text, bool *dynamic, char *err, size_t errsize)
{
	bool dyn = false;

	for (const char *p = text; *p; p++) {
		if (p[0] == '{' && p[1] == '{') {
			p++;
			continue;
		}
		if (p[0] == '}' && p[1] == '}') {
			p++;
			continue;
		}
		if (*p == '}') {
			snprintf(err, errsize,
				 "unmatched \"}\" at character %zu (write \"}}\" for "
				 "a brace)",
				 ivr__char_pos(text, (size_t)(p - text)));
			return EINVAL;
		}
		if (*p == '{') {
			const char *e = strchr(p + 1, '}');
			if (!e) {
				snprintf(err, errsize, "unclosed \"{\" at character %zu",
					 ivr__char_pos(text, (size_t)(p - text)));
				return EINVAL;
			}
			if (!ivr__valid_var_name(p + 1, (size_t)(e - p - 1))) {
				snprintf(err, errsize,
					 "\"{%.*s}\" is not a variable name (letters, digits, _ "
					 "and dots, as in {contact.first_name})",
					 (int)(e - p - 1), p + 1);
				return EINVAL;
			}
			dyn = true;
			p = e;
		}
	}
	*dynamic = dyn;
	return 0;
}

static size_t put(char *buf, size_t size, size_t o, const char *s, size_t n)
{
	if (o + 1 >= size)
		return o;
	if (n > size - 1 - o) {
		/* Never cut a UTF-8 sequence in half. */
		n = size - 1 - o;
		while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(buf + o, s, n);
	return o + n;
}

size_t ivr__tpl_expand(const char *text, ivr_lookup_h *lookup, void *arg, char *buf, size_t size)
{
	size_t o = 0;

	if (!size)
		return 0;
	for (const char *p = text; p && *p; p++) {
		if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
			o = put(buf, size, o, p, 1);
			p++;
			continue;
		}
		if (*p == '{') {
			const char *e = strchr(p + 1, '}');
			char name[128];
			size_t n;
			const char *v;
			if (!e)
				break;
			n = (size_t)(e - p - 1);
			if (n >= sizeof(name))
				n = sizeof(name) - 1;
			memcpy(name, p + 1, n);
			name[n] = '\0';
			v = lookup(arg, name);
			if (v)
				o = put(buf, size, o, v, strlen(v));
			p = e;
			continue;
		}
		o = put(buf, size, o, p, 1);
	}
	buf[o] = '\0';
	return o;
}
