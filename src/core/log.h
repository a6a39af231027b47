/*
 * Structured logging: one line per event, key=value pairs, safe from any thread.
 * Callers pass the key=value body themselves ("tenant=acme call=42 event=answered");
 * never a password, token or full card number.
 */
#ifndef CENTRALA_CORE_LOG_H
#define CENTRALA_CORE_LOG_H

#include <stdarg.h>

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

/* How a line is written: "ts=... level=... mod=... k=v ..." (the default), or one JSON
 * object per line for log shippers (Loki, Elasticsearch): {"ts", "level", "mod", then
 * every key of the body in order}. In JSON every value is a string (a key that is a
 * number on one line and text on another must not break an index's field type);
 * quoted values lose their quotes and escapes; words without "=" are joined into "msg". */
enum log_format { LOG_FORMAT_KV, LOG_FORMAT_JSON };

/* Sets the lowest level written and the file descriptor (default: info, stderr). */
void log_setup(enum log_level min, int fd);
/* Sets the lowest level written; any thread, any time (a reload). */
void log_set_level(enum log_level min);
/* Sets the line format (default LOG_FORMAT_KV); any thread, any time (a reload). */
void log_set_format(enum log_format f);
/* Parses "kv" or "json"; returns 0 or EINVAL. */
int log_format_parse(const char *s, enum log_format *out);
/* Parses "debug", "info", "warn", "error"; returns 0 or EINVAL. */
int log_level_parse(const char *s, enum log_level *out);
int log_enabled(enum log_level lvl);

/* Writes "ts=... level=... mod=MOD " followed by the formatted body and a newline,
 * with one write(2) so that lines from different threads never interleave. */
void log_write(enum log_level lvl, const char *mod, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_vwrite(enum log_level lvl, const char *mod, const char *fmt, va_list ap);

#define log_debug(mod, ...)                                                                        \
	do {                                                                                       \
		if (log_enabled(LOG_LEVEL_DEBUG))                                                  \
			log_write(LOG_LEVEL_DEBUG, mod, __VA_ARGS__);                              \
	} while (0)
#define log_info(mod, ...)  log_write(LOG_LEVEL_INFO, mod, __VA_ARGS__)
#define log_warn(mod, ...)  log_write(LOG_LEVEL_WARN, mod, __VA_ARGS__)
#define log_error(mod, ...) log_write(LOG_LEVEL_ERROR, mod, __VA_ARGS__)

#endif
