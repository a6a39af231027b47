/* Internal to the email channel (src/channels/email*.c). */
#ifndef CENTRALA_CHANNELS_EMAIL_INT_H
#define CENTRALA_CHANNELS_EMAIL_INT_H

#include <stddef.h>

/* GMime and libxml2 set up once for the process; safe from any thread. */
void email__init(void);

/* A growing UTF-8 string. */
struct email__buf {
	char *s;
	size_t len, cap;
	int oom;
};
void email__buf_add(struct email__buf *b, const char *s, size_t n);

#endif
