/*
 * HTML to text for the email channel: libxml2's HTML parser (recovering, no network, no
 * error output) builds a tree, and only its text nodes are kept. Nothing is rendered or
 * fetched; script, style, head and comments are dropped; block elements end lines.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "channels/email.h"
#include "channels/email_int.h"

void email__buf_add(struct email__buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->s, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* How much of a break an element makes: 2 a paragraph, 1 a line, 0 none. */
static int break_of(const char *name)
{
	static const char *const paras[] = {"p",  "h1", "h2", "h3",  "h4",    "h5",	   "h6",
					    "ul", "ol", "hr", "pre", "table", "blockquote"};
	static const char *const lines[] = {"br", "div", "li",	    "tr",
					    "dd", "dt",	 "section", "article"};

	for (size_t i = 0; i < sizeof(paras) / sizeof(paras[0]); i++)
		if (strcmp(name, paras[i]) == 0)
			return 2;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (strcmp(name, lines[i]) == 0)
			return 1;
	return 0;
}

struct out {
	struct email__buf b;
	int pending; /* line breaks owed before the next text */
};

static void text(struct out *o, const char *s)
{
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f') {
			if (o->b.len > 0 && !o->pending && o->b.s[o->b.len - 1] != ' ')
				email__buf_add(&o->b, " ", 1);
			continue;
		}
		if (o->pending && o->b.len > 0) {
			while (o->b.len > 0 && o->b.s[o->b.len - 1] == ' ')
				o->b.s[--o->b.len] = '\0';
			email__buf_add(&o->b, "\n\n", (size_t)o->pending);
		}
		o->pending = 0;
		email__buf_add(&o->b, s, 1);
	}
}

static void walk(struct out *o, xmlNode *n, int depth)
{
	/* libxml2 bounds the tree's depth itself (256 unless HTML_PARSE_HUGE); the check
	 * keeps this recursion bounded whatever the library does. */
	if (depth > 512)
		return;
	for (; n; n = n->next) {
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (n->content)
				text(o, (const char *)n->content);
		} else if (n->type == XML_ELEMENT_NODE && n->name) {
			const char *name = (const char *)n->name;
			int br;

			if (strcmp(name, "script") == 0 || strcmp(name, "style") == 0 ||
			    strcmp(name, "head") == 0 || strcmp(name, "title") == 0)
				continue;
			br = break_of(name);
			if (br > o->pending)
				o->pending = br;
			walk(o, n->children, depth + 1);
			if (br > o->pending)
				o->pending = br;
		}
	}
}

char *email_html_to_text(const char *html, size_t len)
{
	struct out o = {0};
	htmlDocPtr doc;

	email__init();
	email__buf_add(&o.b, "", 0);
	if (len > 0 && len <= INT32_MAX) {
		doc =
		    htmlReadMemory(html, (int)len, NULL, "UTF-8",
				   HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
				       HTML_PARSE_NONET | HTML_PARSE_NOBLANKS);
		if (doc) {
			walk(&o, xmlDocGetRootElement(doc), 0);
			xmlFreeDoc(doc);
		}
	}
	if (o.b.oom) {
		free(o.b.s);
		return NULL;
	}
	while (o.b.len > 0 && o.b.s[o.b.len - 1] == ' ')
		o.b.s[--o.b.len] = '\0';
	return o.b.s;
}
