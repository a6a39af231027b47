/*
 * libFuzzer harness of what an IMAP server answers to the UID searches of the email
 * channel (src/channels/email_imap.c): the ESEARCH sequence set ("1:13,1766,6767:10000",
 * email__imap_set_uids) and a plain SEARCH line ("* SEARCH 2 84 882",
 * email__imap_search_uids). The first 8 bytes of an input are the UID we have read up
 * to (AFTER), the next byte the room for UIDs (1 to 256); the rest is the answer. Every
 * UID given back must be above AFTER (the set) or within the window asked (SEARCH), and
 * never more than the room.
 * Seeds: tests/fuzz/corpus/imap_uids/. Build and run: fuzz/README.md.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channels/email_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t uids[256], after, lo, hi;
	uint64_t raw = 0;
	size_t max, k;
	char *text;

	if (size < 9)
		return 0;
	for (size_t i = 0; i < 8; i++)
		raw = raw << 8 | data[i];
	/* What we store is a UID we read: 0 to 2^32 - 1 in IMAP, but any int64 is taken. */
	after = (int64_t)raw;
	max = (size_t)data[8] + 1;
	text = malloc(size - 9 + 1);
	if (!text)
		return 0;
	memcpy(text, data + 9, size - 9);
	text[size - 9] = '\0';

	k = email__imap_set_uids(text, after, uids, 0, max);
	if (k > max)
		abort();
	for (size_t i = 0; i < k; i++)
		if (uids[i] <= after)
			abort();

	/* The window of a plain SEARCH: AFTER + 1 up to MAX UIDs further. */
	lo = after < INT64_MAX - 512 ? after + 1 : INT64_MAX - 512;
	hi = lo + (int64_t)max - 1;
	k = email__imap_search_uids(text, lo, hi, uids, 0, max);
	if (k > max)
		abort();
	for (size_t i = 0; i < k; i++)
		if (uids[i] < lo || uids[i] > hi)
			abort();
	free(text);
	return 0;
}
