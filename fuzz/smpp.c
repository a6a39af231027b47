/*
 * libFuzzer harness of the SMS channel's readers (src/channels/sms_pdu.c with
 * libsmpp34, sms_text.c, sms_http.c). The input is a byte stream from an SMSC: PDUs
 * are framed by their headers as the session does (a bad length ends the stream);
 * each deliver_sm is unpacked, its UDH read, its parts reassembled, its text decoded
 * (every decoded string is UTF-8) and a receipt read. The whole input is also a webhook
 * body, and, when it is UTF-8, a text to split: its parts must decode back to it, and
 * a customer's text read for opt-out keywords: folding gives UTF-8 and folding that
 * again changes nothing.
 * Seeds: tests/fuzz/corpus/smpp/.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channels/sms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void utf8_check(const char *s)
{
	/* sms_split accepts only UTF-8 without NUL: what the decoder writes must pass. */
	struct sms_split sp;
	int err;

	if (!*s)
		return;
	err = sms_split(s, 1, SMS_PARTS_MAX, &sp);
	if (err == EILSEQ)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[SMS_TEXT_MAX * 2];
	struct sms_reasm *r = sms_reasm_new();
	size_t off = 0;

	while (r && off < size) {
		struct smpp_header h;
		struct smpp_deliver d;
		char err[256], id[80];

		if (smpp_header_read(data + off, size - off, &h) || h.length > size - off)
			break;
		if (h.id == 0x00000005 &&
		    smpp_parse_deliver_sm(data + off, h.length, &d, err, sizeof(err)) == 0) {
			const uint8_t *body = d.sm;
			size_t blen = d.sm_len, hl = 0;
			struct sms_concat c = {0, 0, 0};
			uint8_t *whole = NULL;
			struct sms_receipt rc;

			sms_receipt_parse((const char *)d.sm, d.sm_len, &rc);
			if ((d.esm_class & 0x40) && sms_udh_read(d.sm, d.sm_len, &c, &hl) == 0) {
				body += hl;
				blen -= hl;
			}
			if (c.total > 1 && sms_reasm_add(r, d.from, &c, d.data_coding, body, blen,
							 0, &whole, &blen) == 0) {
				body = whole;
				sms_reasm_done(r, d.from, &c);
			}
			if (c.total <= 1 || whole)
				if (sms_decode(d.data_coding, body, blen, text, sizeof(text)) == 0)
					utf8_check(text);
			free(whole);
		} else if (h.id == 0x80000004) {
			smpp_parse_submit_sm_resp(data + off, h.length, id, sizeof(id));
		} else if (h.id == 0x80000009) {
			smpp_parse_bind_resp(data + off, h.length, id, sizeof(id));
		}
		off += h.length;
	}
	sms_reasm_free(r);

	{
		struct sms_http_in in;
		char why[128];
		sms_http_parse((const char *)data, size, &in, why, sizeof(why));
	}
	if (size < SMS_TEXT_MAX) {
		static struct sms_split sp;
		static uint8_t all[SMS_PARTS_MAX * SMS_PART_SIZE];
		char *s = malloc(size + 1);
		size_t n = 0;

		if (!s)
			return 0;
		memcpy(s, data, size);
		s[size] = '\0';
		if (strlen(s) == size && sms_split(s, 7, SMS_PARTS_MAX, &sp) == 0) {
			for (unsigned i = 0; i < sp.count; i++) {
				size_t hl = sp.udhi ? 6 : 0;
				memcpy(all + n, sp.part[i].data + hl, sp.part[i].len - hl);
				n += sp.part[i].len - hl;
			}
			if (sms_decode(sp.data_coding, all, n, text, sizeof(text)) ||
			    strcmp(text, s))
				abort();
		}
		if (strlen(s) == size) {
			static char f1[SMS_KEYWORD_MAX], f2[SMS_KEYWORD_MAX];
			int err = sms_keyword_fold(s, f1, sizeof(f1));
			if (err != 0 && err != EILSEQ && err != ENOSPC)
				abort();
			if (!err) {
				utf8_check(f1);
				if (sms_keyword_fold(f1, f2, sizeof(f2)) || strcmp(f1, f2))
					abort();
			}
			sms_keyword_match(s, sms_keywords_stop_default, SIZE_MAX,
					  sms_keywords_start_default, SIZE_MAX);
		}
		free(s);
	}
	return 0;
}
