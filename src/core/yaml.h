/*
 * Reading YAML configuration with libfyaml, with errors that say where: every error
 * and warning is "FILE:LINE:COL: KEY.PATH: message". Modules that own a section of the
 * configuration (queues, flows, calendars) read their nodes with these helpers, so all
 * messages look alike and `centrala check` can print them all at once.
 */
#ifndef CENTRALA_CORE_YAML_H
#define CENTRALA_CORE_YAML_H

#include <libfyaml.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cy;

/* Parses a file (or a string, `name` used in messages). On a syntax error the returned
 * context still exists, holds the error, and has no root. Returns 0 or ENOMEM; the file
 * not opening or reading is an error in the context, not a return value. The text must
 * be UTF-8 without NUL bytes: otherwise the error names the first bad byte
 * ("file:line:col: invalid UTF-8 (byte 0xff) ...") and nothing is parsed. */
int cy_load_file(const char *path, struct cy **out);
int cy_load_string(const char *name, const char *text, struct cy **out);
void cy_free(struct cy *c);

struct fy_node *cy_root(struct cy *c);
const char *cy_file(const struct cy *c);

/* Records an error or a warning at node n (NULL: no position) under key path `path`. */
void cy_error(struct cy *c, struct fy_node *n, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void cy_warn(struct cy *c, struct fy_node *n, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
size_t cy_error_count(const struct cy *c);
size_t cy_warning_count(const struct cy *c);
/* The i-th message ("file:line:col: path: text"). */
const char *cy_error_at(const struct cy *c, size_t i);
const char *cy_warning_at(const struct cy *c, size_t i);

/* Line and column (1-based) of a node; 0 when unknown. */
void cy_pos(struct fy_node *n, int *line, int *col);

/* Key path helper: writes "parent.key" (or "key" when parent is empty) into buf. */
const char *cy_path(char *buf, size_t size, const char *parent, const char *key);
const char *cy_path_idx(char *buf, size_t size, const char *parent, size_t idx);

/* Type checks that record an error ("expected a mapping") and return false. */
bool cy_is_map(struct cy *c, struct fy_node *n, const char *path);
bool cy_is_seq(struct cy *c, struct fy_node *n, const char *path);
bool cy_is_scalar(struct cy *c, struct fy_node *n, const char *path);

/* Records an error for every key of `map` not in the NULL-terminated `allowed` list. */
void cy_check_keys(struct cy *c, struct fy_node *map, const char *path, const char *const *allowed);

/* Value of `key` in mapping `map`, or NULL. */
struct fy_node *cy_get(struct fy_node *map, const char *key);
/* A scalar's text (NUL-terminated copy made by libfyaml, owned by the document). */
const char *cy_text(struct fy_node *n);

/*
 * Typed getters for `key` of mapping `map`. Each returns 0 and writes *out when the key
 * is present and valid, ENOENT when absent (an error is recorded if `required`), and
 * EINVAL after recording an error for a present but invalid value.
 */
int cy_get_str(struct cy *c, struct fy_node *map, const char *path, const char *key, bool required,
	       const char **out);
int cy_get_dup(struct cy *c, struct fy_node *map, const char *path, const char *key, bool required,
	       char **out);
int cy_get_bool(struct cy *c, struct fy_node *map, const char *path, const char *key, bool required,
		bool *out);
int cy_get_int(struct cy *c, struct fy_node *map, const char *path, const char *key, bool required,
	       long min, long max, long *out);
int cy_get_ms(struct cy *c, struct fy_node *map, const char *path, const char *key, bool required,
	      uint64_t *out_ms);

/* Node-level versions of the same checks, for sequence items and mapping values. */
int cy_node_bool(struct cy *c, struct fy_node *n, const char *path, bool *out);
int cy_node_int(struct cy *c, struct fy_node *n, const char *path, long min, long max, long *out);
int cy_node_ms(struct cy *c, struct fy_node *n, const char *path, uint64_t *out_ms);

/* Parses a duration: "250ms", "20s", "5m", "1h", "1d", or combinations ("1m30s").
 * A bare number is seconds. Returns 0 or EINVAL. */
int cy_parse_duration(const char *s, uint64_t *out_ms);

/* Iterating a mapping: `void *it = NULL; while ((pair = cy_pairs(map, &it)))`. */
struct fy_node_pair *cy_pairs(struct fy_node *map, void **iter);
struct fy_node *cy_items(struct fy_node *seq, void **iter);

#endif
