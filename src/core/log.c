/*
 * Structured key=value log lines. Formatting happens into a stack buffer and the line
 * goes out in one write(2), so no lock is needed between threads. With the JSON format
 * the same key=value body is parsed back into pairs and written as one jansson object.
 */
#include "core/log.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level min_level = LOG_LEVEL_INFO;
static int log_fd = 2;
static enum log_format format = LOG_FORMAT_KV;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_setup(enum log_level min, int fd)
{
	__atomic_store_n(&min_level, min, __ATOMIC_RELAXED);
	log_fd = fd;
}

void log_set_level(enum log_level min)
{
	__atomic_store_n(&min_level, min, __ATOMIC_RELAXED);
}

void log_set_format(enum log_format f)
{
	__atomic_store_n(&format, f, __ATOMIC_RELAXED);
}

int log_format_parse(const char *s, enum log_format *out)
{
	if (!strcmp(s, "kv"))
		*out = LOG_FORMAT_KV;
	else if (!strcmp(s, "json"))
		*out = LOG_FORMAT_JSON;
	else
		return EINVAL;
	return 0;
}

int log_level_parse(const char *s, enum log_level *out)
{
	for (int i = 0; i <= LOG_LEVEL_ERROR; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return EINVAL;
}

int log_enabled(enum log_level lvl)
{
	return lvl >= __atomic_load_n(&min_level, __ATOMIC_RELAXED);
}

/* A JSON string for v[0..n): invalid UTF-8 bytes become '?' rather than losing the line. */
static json_t *jstr(const char *v, size_t n)
{
	json_t *j = json_stringn(v, n);
	char fixed[2048];

	if (j)
		return j;
	n = n < sizeof(fixed) ? n : sizeof(fixed);
	for (size_t i = 0; i < n; i++)
		fixed[i] = (unsigned char)v[i] < 0x80 ? v[i] : '?';
	return json_stringn(fixed, n);
}

/* Parses a body of `key=value`, `key="quoted \"value\""` and bare words into `o`. */
static void body_pairs(json_t *o, const char *p)
{
	char msg[1024], val[1024], key[64];
	size_t nmsg = 0;

	while (*p) {
		const char *k = p, *w;
		size_t nk, nv = 0;

		while (*p == ' ')
			p++;
		if (!*p)
			break;
		k = p;
		while (isalnum((unsigned char)*p) || *p == '_' || *p == '.' || *p == '-')
			p++;
		nk = (size_t)(p - k);
		if (*p == '=' && nk && nk < sizeof(key)) {
			memcpy(key, k, nk);
			key[nk] = '\0';
			p++;
			if (*p == '"') {
				for (p++; *p && *p != '"'; p++) {
					if (*p == '\\' && p[1])
						p++;
					if (nv < sizeof(val))
						val[nv++] = *p;
				}
				if (*p == '"')
					p++;
				json_object_set_new(o, key, jstr(val, nv));
			} else {
				w = p;
				while (*p && *p != ' ')
					p++;
				json_object_set_new(o, key, jstr(w, (size_t)(p - w)));
			}
			continue;
		}
		/* A word that is no pair: part of the message. */
		w = k;
		while (*p && *p != ' ')
			p++;
		if (nmsg && nmsg < sizeof(msg))
			msg[nmsg++] = ' ';
		for (; w < p && nmsg < sizeof(msg); w++)
			msg[nmsg++] = *w;
	}
	if (nmsg)
		json_object_set_new(o, "msg", jstr(msg, nmsg));
}

static void write_json(enum log_level lvl, const char *mod, const char *ts, const char *body)
{
	char line[4096];
	json_t *o = json_object();
	size_t n = 0;

	if (o) {
		json_object_set_new(o, "ts", json_string(ts));
		json_object_set_new(o, "level", json_string(level_names[lvl]));
		json_object_set_new(o, "mod", jstr(mod, strlen(mod)));
		body_pairs(o, body);
		n = json_dumpb(o, line, sizeof(line) - 1, JSON_COMPACT);
		json_decref(o);
	}
	if (!n || n > sizeof(line) - 1) {
		/* Too long or out of memory: a line that still says what happened. */
		json_t *f = json_pack("{s:s, s:s, s:s, s:s}", "ts", ts, "level", level_names[lvl],
				      "mod", mod, "msg", "log line too long for JSON");
		n = f ? json_dumpb(f, line, sizeof(line) - 1, JSON_COMPACT) : 0;
		json_decref(f);
		if (!n || n > sizeof(line) - 1)
			return;
	}
	line[n++] = '\n';
	while (write(log_fd, line, n) < 0 && errno == EINTR)
		;
}

void log_vwrite(enum log_level lvl, const char *mod, const char *fmt, va_list ap)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int r;

	if (lvl < __atomic_load_n(&min_level, __ATOMIC_RELAXED))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (__atomic_load_n(&format, __ATOMIC_RELAXED) == LOG_FORMAT_JSON) {
		char stamp[40], body[2048];
		size_t k = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(stamp + k, sizeof(stamp) - k, ".%03ldZ", ts.tv_nsec / 1000000);
		vsnprintf(body, sizeof(body), fmt, ap);
		write_json(lvl, mod, stamp, body);
		return;
	}
	n = strftime(line, sizeof(line), "ts=%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n, ".%03ldZ level=%s mod=%s ", ts.tv_nsec / 1000000,
		     level_names[lvl], mod);
	if (r > 0)
		n += (size_t)r;
	r = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (r > 0)
		n += (size_t)r < sizeof(line) - n - 1 ? (size_t)r : sizeof(line) - n - 2;
	line[n++] = '\n';
	while (write(log_fd, line, n) < 0 && errno == EINTR)
		;
}

void log_write(enum log_level lvl, const char *mod, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(lvl, mod, fmt, ap);
	va_end(ap);
}
