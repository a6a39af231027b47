/*
 * YAML helpers over libfyaml: collected, positioned error messages and typed getters.
 * libfyaml's own diagnostics (syntax errors) are captured through an output function so
 * that nothing is printed behind the caller's back.
 */
#include "core/yaml.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cy_msgs {
	char **v;
	size_t n, cap;
};

struct cy {
	char *file;
	struct fy_document *doc;
	struct fy_diag *diag;
	struct cy_msgs errors, warnings;
};

static void msgs_add(struct cy_msgs *m, char *s)
{
	if (!s)
		return;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 8;
		char **v = realloc(m->v, cap * sizeof(*v));
		if (!v) {
			free(s);
			return;
		}
		m->v = v;
		m->cap = cap;
	}
	m->v[m->n++] = s;
}

static void msgs_free(struct cy_msgs *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i]);
	free(m->v);
}

static struct cy *cy_new(const char *name)
{
	struct cy *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->file = strdup(name);
	if (!c->file) {
		free(c);
		return NULL;
	}
	return c;
}

/* libfyaml reports syntax errors through its diag object; we collect them afterwards. */
static void diag_discard(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
}

static int cy_parse(struct cy *c, const char *path, const char *text)
{
	struct fy_diag_cfg dcfg;
	struct fy_parse_cfg pcfg;

	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = diag_discard;
	dcfg.colorize = false;
	c->diag = fy_diag_create(&dcfg);
	if (!c->diag)
		return ENOMEM;
	memset(&pcfg, 0, sizeof(pcfg));
	pcfg.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG;
	pcfg.diag = c->diag;
	if (path)
		c->doc = fy_document_build_from_file(&pcfg, path);
	else {
		/* libfyaml reads a string in place: the document gets its own copy, so node
		 * texts stay valid however long the caller's buffer lives. */
		char *copy = strdup(text);
		/* The document owns the copy from here on, freeing it even on failure. */
		c->doc = copy ? fy_document_build_from_malloc_string(&pcfg, copy, FY_NT) : NULL;
	}
	if (!c->doc || fy_diag_got_error(c->diag)) {
		void *it = NULL;
		struct fy_diag_error *e;
		int any = 0;
		while ((e = fy_diag_errors_iterate(c->diag, &it))) {
			char *s = NULL;
			if (asprintf(&s, "%s:%d:%d: %s", c->file, e->line + 1, e->column + 1,
				     e->msg) < 0)
				s = NULL;
			msgs_add(&c->errors, s);
			any = 1;
		}
		if (!any)
			cy_error(c, NULL, "", "%s",
				 path ? "cannot read or parse the file" : "cannot parse the text");
		if (c->doc) {
			fy_document_destroy(c->doc);
			c->doc = NULL;
		}
	}
	return 0;
}

int cy_load_file(const char *path, struct cy **out)
{
	struct cy *c = cy_new(path);
	FILE *f;

	if (!c)
		return ENOMEM;
	f = fopen(path, "r");
	if (!f) {
		cy_error(c, NULL, "", "cannot open: %s", strerror(errno));
		*out = c;
		return 0;
	}
	fclose(f);
	if (cy_parse(c, path, NULL)) {
		cy_free(c);
		return ENOMEM;
	}
	*out = c;
	return 0;
}

int cy_load_string(const char *name, const char *text, struct cy **out)
{
	struct cy *c = cy_new(name);

	if (!c)
		return ENOMEM;
	if (cy_parse(c, NULL, text)) {
		cy_free(c);
		return ENOMEM;
	}
	*out = c;
	return 0;
}

void cy_free(struct cy *c)
{
	if (!c)
		return;
	if (c->doc)
		fy_document_destroy(c->doc);
	if (c->diag)
		fy_diag_destroy(c->diag);
	msgs_free(&c->errors);
	msgs_free(&c->warnings);
	free(c->file);
	free(c);
}

struct fy_node *cy_root(struct cy *c)
{
	return c->doc ? fy_document_root(c->doc) : NULL;
}

const char *cy_file(const struct cy *c)
{
	return c->file;
}

/* libfyaml 0.7 exposes positions only through scalar tokens: a mapping or a list is
 * located at its first scalar (its first key or item). */
static const struct fy_mark *node_mark(struct fy_node *n)
{
	void *it = NULL;

	if (!n)
		return NULL;
	if (fy_node_is_scalar(n)) {
		struct fy_token *t = fy_node_get_scalar_token(n);
		return t ? fy_token_start_mark(t) : NULL;
	}
	if (fy_node_is_mapping(n)) {
		struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
		return p ? node_mark(fy_node_pair_key(p)) : NULL;
	}
	if (fy_node_is_sequence(n))
		return node_mark(fy_node_sequence_iterate(n, &it));
	return NULL;
}

void cy_pos(struct fy_node *n, int *line, int *col)
{
	const struct fy_mark *m = node_mark(n);

	*line = m ? m->line + 1 : 0;
	*col = m ? m->column + 1 : 0;
}

static void cy_vmsg(struct cy *c, struct cy_msgs *m, struct fy_node *n, const char *path,
		    const char *fmt, va_list ap)
{
	char body[1024], *s = NULL;
	int line, col;

	vsnprintf(body, sizeof(body), fmt, ap);
	cy_pos(n, &line, &col);
	if (line && path && *path)
		s = asprintf(&s, "%s:%d:%d: %s: %s", c->file, line, col, path, body) < 0 ? NULL : s;
	else if (line)
		s = asprintf(&s, "%s:%d:%d: %s", c->file, line, col, body) < 0 ? NULL : s;
	else if (path && *path)
		s = asprintf(&s, "%s: %s: %s", c->file, path, body) < 0 ? NULL : s;
	else
		s = asprintf(&s, "%s: %s", c->file, body) < 0 ? NULL : s;
	msgs_add(m, s);
}

void cy_error(struct cy *c, struct fy_node *n, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cy_vmsg(c, &c->errors, n, path, fmt, ap);
	va_end(ap);
}

void cy_warn(struct cy *c, struct fy_node *n, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cy_vmsg(c, &c->warnings, n, path, fmt, ap);
	va_end(ap);
}

size_t cy_error_count(const struct cy *c)
{
	return c->errors.n;
}

size_t cy_warning_count(const struct cy *c)
{
	return c->warnings.n;
}

const char *cy_error_at(const struct cy *c, size_t i)
{
	return i < c->errors.n ? c->errors.v[i] : NULL;
}

const char *cy_warning_at(const struct cy *c, size_t i)
{
	return i < c->warnings.n ? c->warnings.v[i] : NULL;
}

const char *cy_path(char *buf, size_t size, const char *parent, const char *key)
{
	if (parent && *parent)
		snprintf(buf, size, "%s.%s", parent, key);
	else
		snprintf(buf, size, "%s", key);
	return buf;
}

const char *cy_path_idx(char *buf, size_t size, const char *parent, size_t idx)
{
	snprintf(buf, size, "%s[%zu]", parent ? parent : "", idx);
	return buf;
}

bool cy_is_map(struct cy *c, struct fy_node *n, const char *path)
{
	if (n && fy_node_is_mapping(n))
		return true;
	cy_error(c, n, path, "expected a mapping");
	return false;
}

bool cy_is_seq(struct cy *c, struct fy_node *n, const char *path)
{
	if (n && fy_node_is_sequence(n))
		return true;
	cy_error(c, n, path, "expected a list");
	return false;
}

bool cy_is_scalar(struct cy *c, struct fy_node *n, const char *path)
{
	if (n && fy_node_is_scalar(n))
		return true;
	cy_error(c, n, path, "expected a single value");
	return false;
}

struct fy_node_pair *cy_pairs(struct fy_node *map, void **iter)
{
	return map ? fy_node_mapping_iterate(map, iter) : NULL;
}

struct fy_node *cy_items(struct fy_node *seq, void **iter)
{
	return seq ? fy_node_sequence_iterate(seq, iter) : NULL;
}

void cy_check_keys(struct cy *c, struct fy_node *map, const char *path, const char *const *allowed)
{
	struct fy_node_pair *p;
	void *it = NULL;

	if (!map || !fy_node_is_mapping(map))
		return;
	while ((p = fy_node_mapping_iterate(map, &it))) {
		struct fy_node *k = fy_node_pair_key(p);
		const char *name = cy_text(k);
		size_t i;
		for (i = 0; name && allowed[i]; i++)
			if (strcmp(allowed[i], name) == 0)
				break;
		if (!name || !allowed[i]) {
			char p2[512];
			cy_error(c, k, cy_path(p2, sizeof(p2), path, name ? name : "?"),
				 "unknown key");
		}
	}
}

struct fy_node *cy_get(struct fy_node *map, const char *key)
{
	if (!map || !fy_node_is_mapping(map))
		return NULL;
	return fy_node_mapping_lookup_by_string(map, key, FY_NT);
}

const char *cy_text(struct fy_node *n)
{
	if (!n || !fy_node_is_scalar(n))
		return NULL;
	return fy_node_get_scalar0(n);
}

static struct fy_node *get_scalar(struct cy *c, struct fy_node *map, const char *path,
				  const char *key, bool required, char *pbuf, size_t psize, int *rc)
{
	struct fy_node *n = cy_get(map, key);

	cy_path(pbuf, psize, path, key);
	if (!n) {
		if (required)
			cy_error(c, map, pbuf, "missing required key");
		*rc = ENOENT;
		return NULL;
	}
	if (!cy_is_scalar(c, n, pbuf)) {
		*rc = EINVAL;
		return NULL;
	}
	*rc = 0;
	return n;
}

int cy_get_str(struct cy *c, struct fy_node *map, const char *path, const char *key, bool required,
	       const char **out)
{
	char p[512];
	int rc;
	struct fy_node *n = get_scalar(c, map, path, key, required, p, sizeof(p), &rc);

	if (n)
		*out = cy_text(n);
	return rc;
}

int cy_get_dup(struct cy *c, struct fy_node *map, const char *path, const char *key, bool required,
	       char **out)
{
	const char *s;
	int rc = cy_get_str(c, map, path, key, required, &s);

	if (rc)
		return rc;
	*out = strdup(s);
	return *out ? 0 : ENOMEM;
}

int cy_node_bool(struct cy *c, struct fy_node *n, const char *path, bool *out)
{
	const char *s = cy_text(n);

	if (s && (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))) {
		*out = true;
		return 0;
	}
	if (s && (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))) {
		*out = false;
		return 0;
	}
	cy_error(c, n, path, "expected true or false, got \"%s\"", s ? s : "(not a value)");
	return EINVAL;
}

int cy_node_int(struct cy *c, struct fy_node *n, const char *path, long min, long max, long *out)
{
	const char *s = cy_text(n);
	char *end;
	long v;

	if (!s || !*s) {
		cy_error(c, n, path, "expected a whole number");
		return EINVAL;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end) {
		cy_error(c, n, path, "expected a whole number, got \"%s\"", s);
		return EINVAL;
	}
	if (v < min || v > max) {
		cy_error(c, n, path, "%ld is out of range %ld..%ld", v, min, max);
		return EINVAL;
	}
	*out = v;
	return 0;
}

int cy_node_ms(struct cy *c, struct fy_node *n, const char *path, uint64_t *out_ms)
{
	const char *s = cy_text(n);

	if (!s || cy_parse_duration(s, out_ms)) {
		cy_error(c, n, path, "expected a duration such as 20s, 5m or 1h, got \"%s\"",
			 s ? s : "(not a value)");
		return EINVAL;
	}
	return 0;
}

int cy_get_bool(struct cy *c, struct fy_node *map, const char *path, const char *key, bool required,
		bool *out)
{
	char p[512];
	int rc;
	struct fy_node *n = get_scalar(c, map, path, key, required, p, sizeof(p), &rc);

	return n ? cy_node_bool(c, n, p, out) : rc;
}

int cy_get_int(struct cy *c, struct fy_node *map, const char *path, const char *key, bool required,
	       long min, long max, long *out)
{
	char p[512];
	int rc;
	struct fy_node *n = get_scalar(c, map, path, key, required, p, sizeof(p), &rc);

	return n ? cy_node_int(c, n, p, min, max, out) : rc;
}

int cy_get_ms(struct cy *c, struct fy_node *map, const char *path, const char *key, bool required,
	      uint64_t *out_ms)
{
	char p[512];
	int rc;
	struct fy_node *n = get_scalar(c, map, path, key, required, p, sizeof(p), &rc);

	return n ? cy_node_ms(c, n, p, out_ms) : rc;
}

int cy_parse_duration(const char *s, uint64_t *out_ms)
{
	uint64_t total = 0;
	int parts = 0;

	if (!s || !*s)
		return EINVAL;
	while (*s) {
		uint64_t v = 0, unit;
		int digits = 0;
		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (uint64_t)(*s++ - '0');
			if (++digits > 12)
				return EINVAL;
		}
		if (!digits)
			return EINVAL;
		if (!strncmp(s, "ms", 2)) {
			unit = 1;
			s += 2;
		} else if (*s == 's') {
			unit = 1000;
			s++;
		} else if (*s == 'm') {
			unit = 60000;
			s++;
		} else if (*s == 'h') {
			unit = 3600000;
			s++;
		} else if (*s == 'd') {
			unit = 86400000;
			s++;
		} else if (*s == '\0' && parts == 0) {
			unit = 1000;
		} else {
			return EINVAL;
		}
		total += v * unit;
		parts++;
	}
	*out_ms = total;
	return 0;
}
