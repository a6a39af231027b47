/*
 * libFuzzer harness of the email channel's message reader (src/channels/email_parse.c:
 * GMime 3 for the MIME structure, libxml2's HTML parser for HTML bodies). Any bytes are a
 * raw message: it is read or refused with a reason; what is read must hold UTF-8 strings
 * only, a body no longer than the limit, attachments no more than the limit, and the
 * thread keys must point into the message. Seeds: tests/fuzz/corpus/email/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channels/email.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *s)
{
	if (!s || !email_utf8_valid(s, strlen(s)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct email_limits lim = {.max_message = 1u << 20,
				   .max_body = 4096,
				   .max_attachments = 8,
				   .max_attachment = 1024,
				   .keep_data = 1};
	struct email_msg *m = NULL;
	const char *ids[16];
	char err[128];
	size_t n;

	err[0] = '\0';
	if (email_parse((const char *)data, size, &lim, &m, err, sizeof(err)) != 0) {
		if (!err[0] || m)
			abort();
		return 0;
	}
	check(m->from);
	check(m->from_name);
	check(m->to);
	check(m->subject);
	check(m->message_id);
	check(m->in_reply_to);
	check(m->body);
	if (strlen(m->body) > lim.max_body || m->nattachments > lim.max_attachments)
		abort();
	for (size_t i = 0; i < m->nreferences; i++)
		check(m->references[i]);
	for (size_t i = 0; i < m->nattachments; i++) {
		check(m->attachments[i].name);
		check(m->attachments[i].type);
		if (m->attachments[i].refused != (m->attachments[i].size > lim.max_attachment))
			abort();
		/* Kept bytes only for an attachment taken, and every one of them readable. */
		if (m->attachments[i].data && m->attachments[i].refused)
			abort();
		if (m->attachments[i].data) {
			const unsigned char *b = m->attachments[i].data;
			unsigned sum = 0;

			for (size_t k = 0; k < m->attachments[i].size; k++)
				sum += b[k];
			if (sum > 255u * m->attachments[i].size)
				abort();
		}
	}
	n = email_thread_keys(m, ids, 16);
	for (size_t i = 0; i < n; i++)
		check(ids[i]);
	email_msg_free(m);
	return 0;
}
