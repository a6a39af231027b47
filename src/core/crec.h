/*
 * Recordings encrypted at rest (a tenant's `recording_encryption`): a file of records,
 * each sealed with libsodium's crypto_secretstream (XChaCha20-Poly1305) under the
 * tenant's key. The plaintext is a head (the WAV header, rewritten as the recording
 * grows) and then data in fixed-size chunks, each its own record, so that a byte range
 * of the plaintext maps to the few records that hold it (HTTP Range) and the growing
 * tail is rewritten without touching what came before.
 *
 * Layout: "CENTREC1", a random 16-byte file id, the chunk size and the head length
 * (32-bit little-endian each); then the head record; then data records. A record is a
 * secretstream header (24 bytes) and one message (plaintext + 17 bytes); its additional
 * data is the file id and the record's index (0 the head, 1.. the chunks), so records
 * cannot be moved within a file or between files unnoticed. The plaintext length is
 * known from the file's size.
 *
 * Not thread-safe per object; distinct objects may be used from distinct threads.
 */
#ifndef CENTRALA_CORE_CREC_H
#define CENTRALA_CORE_CREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CREC_KEY_BYTES 32
#define CREC_CHUNK     65536u /* plaintext bytes per data record */
#define CREC_SUFFIX    ".enc" /* what an encrypted recording's name ends with */

struct crec_writer;
struct crec_reader;

/* Creates (or truncates) `path`, making missing parent directories, with a head of
 * head_len bytes (at most 256) given now and rewritten by crec_write_head. The writer
 * keeps a copy of the key and one chunk of plaintext (wiped when closed). Returns 0 or
 * an errno. */
int crec_create(const char *path, const uint8_t key[CREC_KEY_BYTES], const void *head,
		size_t head_len, struct crec_writer **out);
/* Appends data: full chunks are sealed once, the partial tail is sealed again at each
 * call, so that after a return the file decrypts to everything appended. 0 or errno. */
int crec_append(struct crec_writer *w, const void *data, size_t len);
/* Rewrites the head (same length as given to crec_create). 0 or errno. */
int crec_write_head(struct crec_writer *w, const void *head, size_t head_len);
/* Closes the file and frees the writer. 0 or the errno of closing. */
int crec_close(struct crec_writer *w);

/* True when the first bytes of the open file are this format's magic. */
bool crec_is_sealed_fd(int fd);
/* Reads an encrypted recording from open file `fd` (owned by the reader from then on,
 * also on error). Returns 0, EINVAL (not this format or damaged framing), or errno. */
int crec_reader_open_fd(int fd, const uint8_t key[CREC_KEY_BYTES], struct crec_reader **out);
/* The plaintext's length in bytes. */
uint64_t crec_reader_size(const struct crec_reader *r);
/* Decrypts `len` bytes at plaintext offset `off` into buf. Returns 0, EBADMSG (a record
 * fails authentication: wrong key, damaged or tampered file), ERANGE (beyond the end)
 * or errno. */
int crec_read(struct crec_reader *r, uint64_t off, void *buf, size_t len);
void crec_reader_free(struct crec_reader *r);

/* `centrala recording keygen|decrypt ...` (argv[0] is "recording"); the exit status. */
int crec_cli(int argc, char **argv);

#endif
