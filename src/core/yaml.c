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

/* Configuration files are small; anything bigger is a mistake (a log or a recording
 * passed by accident), refused before it is read. */
#define CY_MAX_FILE (16u << 20)

/*
 * Returns the offset of the first byte that does not belong to well-formed UTF-8 (RFC
 * 3629: no overlong forms, no surrogates, nothing above U+10FFFF), or NUL, or `len`
 * when the whole text is valid. libfyaml must never see such bytes: a `%` directive
 * followed by invalid UTF-8 makes its scanner loop for ever, and elsewhere it lets them
 * through into values. Line and column (1-based, the column counted in characters, as
 * libfyaml counts them) of the bad byte go to *line and *col.
 */
static size_t utf8_bad(const unsigned char *p, size_t len, int *line, int *col)
{
	size_t i = 0;

	*line = 1;
	*col = 1;
	while (i < len) {
		unsigned char b = p[i];
		size_t n;
		unsigned char lo = 0x80, hi = 0xbf;

		if (b == 0)
			return i;
		if (b < 0x80) {
			i++;
			if (b == '\n') {
				(*line)++;
				*col = 1;
			} else {
				(*col)++;
			}
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf)
			n = 1;
		else if (b >= 0xe0 && b <= 0xef) {
			n = 2;
			lo = b == 0xe0 ? 0xa0 : 0x80; /* overlong */
			hi = b == 0xed ? 0x9f : 0xbf; /* surrogates */
		} else if (b >= 0xf0 && b <= 0xf4) {
			n = 3;
			lo = b == 0xf0 ? 0x90 : 0x80; /* overlong */
			hi = b == 0xf4 ? 0x8f : 0xbf; /* above U+10FFFF */
		} else
			return i;
		if (len - i <= n || p[i + 1] < lo || p[i + 1] > hi)
			return i;
		for (size_t k = 2; k <= n; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return i;
		i += n + 1;
		(*col)++;
	}
	return len;
}

/* libfyaml reports syntax errors through its diag object; we collect them afterwards. */
static void diag_discard(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
}

/* Parses `buf` (len bytes, NUL-terminated, from malloc): the document takes it over and
 * frees it, also when parsing fails. Text that is not UTF-8 is refused before libfyaml
 * sees it. Returns 0, or ENOMEM when nothing could be set up. */
static int cy_parse(struct cy *c, char *buf, size_t len)
{
	struct fy_diag_cfg dcfg;
	struct fy_parse_cfg pcfg;
	int line, col;
	size_t bad = utf8_bad((const unsigned char *)buf, len, &line, &col);

	if (bad < len) {
		char *s = NULL;
		if (asprintf(&s, "%s:%d:%d: invalid %s (byte 0x%02x): the file must be UTF-8 text",
			     c->file, line, col, buf[bad] ? "UTF-8" : "NUL byte",
			     (unsigned char)buf[bad]) < 0)
			s = NULL;
		msgs_add(&c->errors, s);
		free(buf);
		return 0;
	}
	fy_diag_cfg_default(&dcfg);
	dcfg.fp = NULL;
	dcfg.output_fn = diag_discard;
	dcfg.colorize = false;
	c->diag = fy_diag_create(&dcfg);
	if (!c->diag) {
		free(buf);
		return ENOMEM;
	}
	memset(&pcfg, 0, sizeof(pcfg));
	pcfg.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG;
	pcfg.diag = c->diag;
	/* libfyaml reads the buffer in place and owns it from here on, freeing it even on
	 * failure; node texts stay valid as long as the document lives. */
	c->doc = fy_document_build_from_malloc_string(&pcfg, buf, len);
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
			cy_error(c, NULL, "", "cannot parse the YAML text");
		if (c->doc) {
			fy_document_destroy(c->doc);
			c->doc = NULL;
		}
	}
	return 0;
}

/* Reads a whole file into a NUL-terminated buffer from malloc. Returns 0 or an errno;
 * EFBIG when it is larger than CY_MAX_FILE. */
static int read_file(const char *path, char **out, size_t *out_len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int err = 0;

	if (!f)
		return errno;
	for (;;) {
		size_t got;
		if (len + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : 8192;
			char *nb;
			if (cap > CY_MAX_FILE) {
				err = EFBIG;
				goto out;
			}
			nb = realloc(buf, ncap);
			if (!nb) {
				err = ENOMEM;
				goto out;
			}
			buf = nb;
			cap = ncap;
		}
		got = fread(buf + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0) {
			if (ferror(f))
				err = errno ? errno : EIO;
			break;
		}
	}
	if (len > CY_MAX_FILE)
		err = EFBIG;
out:
	fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
}

int cy_load_file(const char *path, struct cy **out)
{
	struct cy *c = cy_new(path);
	char *buf = NULL;
	size_t len = 0;
	int err;

	if (!c)
		return ENOMEM;
	err = read_file(path, &buf, &len);
	if (err == ENOMEM) {
		cy_free(c);
		return ENOMEM;
	}
	if (err) {
		cy_error(c, NULL, "", "cannot read: %s",
			 err == EFBIG ? "larger than 16 MiB" : strerror(err));
		*out = c;
		return 0;
	}
	if (cy_parse(c, buf, len)) {
		cy_free(c);
		return ENOMEM;
	}
	*out = c;
	return 0;
}

int cy_load_string(const char *name, const char *text, struct cy **out)
{
	struct cy *c = cy_new(name);
	size_t len = strlen(text);
	char *copy;

	if (!c)
		return ENOMEM;
	/* The document gets its own copy, so node texts stay valid however long the
	 * caller's buffer lives. */
	copy = malloc(len + 1);
	if (!copy) {
		cy_free(c);
		return ENOMEM;
	}
	memcpy(copy, text, len + 1);
	if (cy_parse(c, copy, len)) {
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
