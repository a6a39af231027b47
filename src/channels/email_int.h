/* Internal to the email channel (src/channels/email*.c). */
#ifndef CENTRALA_CHANNELS_EMAIL_INT_H
#define CENTRALA_CHANNELS_EMAIL_INT_H

#include <stddef.h>
#include <stdint.h>

/* GMime and libxml2 set up once for the process; safe from any thread. */
void email__init(void);

/* A growing UTF-8 string. */
struct email__buf {
	char *s;
	size_t len, cap;
	int oom;
};
void email__buf_add(struct email__buf *b, const char *s, size_t n);

/* email_imap.c's readers of a server's answers (what a server sends is outside input).
 * email__imap_set_uids appends the UIDs of sequence set SET ("1:13,1766,6767:10000", an
 * ESEARCH ALL) above AFTER to uids[k..max), returns the new count; SET is read up to
 * its first character that is not part of it. email__imap_search_uids appends the UIDs
 * of a plain SEARCH answer REPLY ("* SEARCH 2 84 882") in [lo, hi]; the same return. */
size_t email__imap_set_uids(const char *set, int64_t after, int64_t *uids, size_t k, size_t max);
size_t email__imap_search_uids(const char *reply, int64_t lo, int64_t hi, int64_t *uids, size_t k,
			       size_t max);

#endif
