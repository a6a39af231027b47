/*
 * A streaming CSV reader (RFC 4180): quoted fields with doubled quotes, separators and
 * line breaks inside quotes, LF or CRLF line ends, a UTF-8 byte order mark skipped.
 * It holds one record at a time in buffers it reuses, so a file of any length is read
 * in constant memory (bounded by the longest record). The reader reports where each
 * record starts (line) and, for errors, the line and column (1-based, in bytes) of the
 * problem.
 */
#ifndef CENTRALA_CORE_CSV_H
#define CENTRALA_CORE_CSV_H

#include <stddef.h>
#include <stdio.h>

struct csv;

/* Largest record accepted (bytes); a longer one is an error (EFBIG). */
#define CSV_MAX_RECORD (1u << 20)

/* Reads from `f` (not closed by the reader) with `sep` (',' or ';' or '\t'). Returns 0,
 * EINVAL or ENOMEM. */
int csv_open(FILE *f, char sep, struct csv **out);
void csv_close(struct csv *r);
/*
 * The next record: its fields (NUL-terminated, valid until the next call) and count, and
 * the line it starts on. Returns 0; ENOENT at the end of the input; EILSEQ for a quote
 * in an unquoted field or text after a closing quote, EPROTO for a quoted field the input
 * ends inside, EFBIG for a record over CSV_MAX_RECORD: then csv_error_pos() tells where,
 * and the reader goes on with the next line. EIO (a read error) and ENOMEM are final:
 * the caller stops.
 */
int csv_next(struct csv *r, char ***fields, size_t *nfields, long *line);
void csv_error_pos(const struct csv *r, long *line, long *col);
/* A record whose fields are all empty (a blank line reads as one empty field). */
int csv_blank(char *const *fields, size_t n);

#endif
