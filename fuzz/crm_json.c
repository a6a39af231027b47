/*
 * libFuzzer harness of the interaction and contact JSON (src/crm): what callers and
 * customers write (a From display name, IVR digits and variables, a contact's names,
 * phones, e-mails, tags and custom fields, a timeline read back from the store) ends up
 * in JSON written by hand (crm_interaction_json, crm_contact_json, for the export and the
 * API) and by jansson (crm_*_to_json, for events and webhooks). The input is split at
 * 0x1f bytes into the strings of one interaction and one contact, with any bytes in
 * them (invalid UTF-8, control characters, quotes). Checked: the hand-written text is
 * JSON that jansson reads, and it says the same as the jansson object; the CSV row is
 * written. Seeds: tests/fuzz/corpus/crm_json/. Build and run: fuzz/README.md.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crm/crm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NSTR 24

static void same(struct crm_buf *b, json_t *want)
{
	json_error_t e;
	json_t *got;

	if (b->err || !want)
		abort();
	got = json_loadb(b->p, b->len, 0, &e);
	if (!got || !json_equal(got, want))
		abort();
	json_decref(got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *str[NSTR] = {0};
	struct crm_event ev[3];
	struct crm_interaction ix;
	struct crm_contact *c = NULL;
	struct crm_buf b = {0};
	size_t n = 0;
	json_t *j;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	str[n++] = copy;
	for (size_t i = 0; i < size && n < NSTR; i++)
		if (copy[i] == 0x1f) {
			copy[i] = '\0';
			str[n++] = copy + i + 1;
		}
	memset(ev, 0, sizeof(ev));
	ev[0] = (struct crm_event){.ts_ms = 1, .event = "created"};
	ev[1] = (struct crm_event){
	    .ts_ms = 2, .event = str[10] ? str[10] : "ivr", .node = str[11], .digits = str[12]};
	ev[2] = (struct crm_event){.ts_ms = 3,
				   .event = "offered",
				   .agent = str[13],
				   .result = str[14],
				   .target = str[15],
				   .by = str[16]};
	memset(&ix, 0, sizeof(ix));
	ix.tenant = "acme";
	ix.id = "01HZX";
	ix.from = str[0];
	ix.to = str[1];
	ix.number = str[2];
	ix.queue = str[3];
	ix.agent = str[4];
	ix.disposition = str[5];
	ix.notes = str[6];
	ix.recording = str[7];
	ix.campaign = str[8];
	ix.hangup_by = str[9];
	ix.created_ms = 1795000000000;
	ix.ended_ms = size & 1 ? 1795000001234 : 0;
	ix.timeline = ev;
	ix.ntimeline = 3;
	crm_interaction_durations(&ix);
	if (crm_interaction_json(&ix, &b))
		goto out;
	j = crm_interaction_to_json(&ix);
	same(&b, j);
	json_decref(j);
	crm_buf_reset(&b);
	(void)crm_interaction_csv(&ix, &b);
	/* As read back from the store: the timeline as stored text, any text. */
	ix.timeline = NULL;
	ix.ntimeline = 0;
	ix.timeline_json = str[17] ? str[17] : "[]";
	crm_buf_reset(&b);
	if (crm_interaction_json(&ix, &b) == 0) {
		j = crm_interaction_to_json(&ix);
		/* Stored text that is no JSON array reads as an empty timeline in both; valid
		 * text is copied as it is by the first and re-encoded by the second. */
		if (!j || b.err)
			abort();
		json_decref(j);
	}

	if (crm_contact_new("c1", &c))
		goto out;
	(void)crm_str_set(&c->first_name, str[18]);
	(void)crm_str_set(&c->last_name, str[19]);
	(void)crm_str_set(&c->company, str[0]);
	if (str[20])
		(void)crm_contact_add_phone(c, str[20], str[21] ? str[21] : "PL");
	if (str[1])
		(void)crm_contact_add_phone(c, str[1], NULL);
	if (str[22])
		(void)crm_contact_add_email(c, str[22]);
	if (str[3])
		(void)crm_contact_add_tag(c, str[3]);
	if (str[23])
		(void)crm_contact_set_custom(c, str[23]);
	c->vip = size & 2;
	crm_buf_reset(&b);
	if (crm_contact_json(c, &b) == 0) {
		j = crm_contact_to_json(c);
		same(&b, j);
		json_decref(j);
	}
out:
	crm_contact_free(c);
	crm_buf_free(&b);
	free(copy);
	return 0;
}
