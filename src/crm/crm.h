/*
 * CRM-lite: the customer records a contact center keeps, without any storage. This
 * module holds the data model of contacts and interactions and the pure functions
 * around them: phone numbers normalised to E.164, sortable unique ids, the durations of
 * an interaction derived from its timeline, and the one JSON and CSV representation of
 * an interaction used by both `centrala export interactions` and the REST API
 * (DESIGN.md contract 5). The store (src/store) persists these records; nothing here
 * does I/O, except crm_id_new which reads the clock and the system's random source.
 */
#ifndef CENTRALA_CRM_CRM_H
#define CENTRALA_CRM_CRM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* ---- growable text buffer ------------------------------------------------------- */

/*
 * A byte buffer that grows as text is appended. After an allocation failure every
 * later append is ignored and `err` stays ENOMEM, so a caller checks once at the end.
 * The text is always NUL-terminated when len > 0. Zero-initialise before use.
 */
struct crm_buf {
	char *p;
	size_t len, cap;
	int err;
};

void crm_buf_put(struct crm_buf *b, const char *s, size_t n);
void crm_buf_puts(struct crm_buf *b, const char *s);
void crm_buf_putc(struct crm_buf *b, char c);
void crm_buf_printf(struct crm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends `s` as a JSON string literal, quotes included; invalid UTF-8 bytes become
 * U+FFFD so the output is always valid JSON. NULL appends `null`. */
void crm_buf_json_str(struct crm_buf *b, const char *s);
/* Appends `s` as one RFC 4180 CSV field (quoted when it holds a comma, quote, CR or
 * LF; quotes doubled). NULL appends an empty field. */
void crm_buf_csv_field(struct crm_buf *b, const char *s);
/* A new JSON string (jansson) holding s, with bytes that are not UTF-8 replaced by
 * U+FFFD as above; json null for NULL. NULL when memory ran out. */
json_t *crm_json_string(const char *s);
/* The flags every JSON text of the project is written with: compact, keys in the
 * order set, numbers with up to 15 significant digits (so 0.125 s stays "0.125"). */
#define CRM_JSON_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15))
void crm_buf_reset(struct crm_buf *b);
void crm_buf_free(struct crm_buf *b);

/* Formats epoch milliseconds as ISO 8601 UTC ("2025-11-23T10:00:00.000Z", 24 characters
 * and a NUL), the same text as clock_iso8601 without calling the C library, which an
 * export of millions of rows notices. Years 0 to 9999. Returns out. */
char *crm_iso8601(int64_t epoch_ms, char out[25]);

/* ---- phone numbers ---------------------------------------------------------------- */

#define CRM_E164_SIZE 17 /* "+" + at most 15 digits + NUL */

/*
 * Normalises a phone number as people write it ("+48 601-234-567", "0048601234567",
 * "(202) 555-0143", "8 (495) 123-45-67", "020 7946 0018", "tel:+34...") to E.164
 * ("+48601234567"). `country` is the ISO 3166 alpha-2 code (case-insensitive) used for
 * national formats; NULL or unknown accepts only international forms. Spaces, dashes,
 * dots, slashes and parentheses are ignored, and so is "(0)" after a "+"; "+" and the
 * international prefix (00, and 011 for +1, 810 for +7) start an international number;
 * the national trunk prefix (0, or 8 for RU) is dropped. Returns 0 and writes out, or
 * EINVAL when the text is not a plausible number (letters, too short or too long for
 * E.164, a national number of the wrong length, a national form without a country).
 */
int crm_phone_e164(const char *raw, const char *country, char out[CRM_E164_SIZE]);
/* The country calling code for an ISO 3166 alpha-2 code ("PL" -> 48), or 0 when unknown. */
int crm_country_calling_code(const char *country);

/* ---- names ------------------------------------------------------------------------- */

/*
 * Appends `in` folded for search: every letter lower-cased with the Unicode case
 * mappings (Polish "ŁUKASZ ŻÓŁW" -> "łukasz żółw", Spanish "ÑANDÚ" -> "ñandú", Russian
 * "ЁЛКИН" -> "ёлкин"), runs of white space made one space, the ends trimmed. The same
 * on every back end, unlike SQL's LOWER. NULL appends nothing. Returns 0, EINVAL
 * (`in` is not UTF-8; nothing appended) or ENOMEM.
 */
int crm_name_fold(const char *in, struct crm_buf *out);

/* ---- ids ------------------------------------------------------------------------- */

#define CRM_ID_SIZE 27 /* 26 characters + NUL */

/*
 * Writes a new id: 26 characters of Crockford base32 holding 48 bits of milliseconds
 * since the epoch and 80 random bits (the ULID layout), so ids sort by creation time as
 * text. Ids made by one thread within the same millisecond still increase. Safe from
 * any thread.
 */
void crm_id_new(char out[CRM_ID_SIZE]);
/* The same from a given time and 10 random bytes (pure; for tests and replays). */
void crm_id_make(int64_t epoch_ms, const uint8_t rnd[10], char out[CRM_ID_SIZE]);

/* ---- contacts --------------------------------------------------------------------- */

/*
 * A customer. All strings and arrays are owned by the contact (heap) and freed by
 * crm_contact_free; set them through the functions below. Phones are E.164, kept
 * unique, in the order added.
 */
struct crm_contact {
	char *id;
	char *first_name, *last_name, *company;
	char *language, *timezone;
	char **phones;
	size_t nphones;
	char **emails;
	size_t nemails;
	char **tags;
	size_t ntags;
	char *custom_json; /* a JSON object, NULL when none */
	bool vip;
	bool dnc; /* do not call */
	int64_t created_ms, updated_ms;
};

/* Allocates an empty contact; with `id` NULL a new id is made. Returns 0 or ENOMEM. */
int crm_contact_new(const char *id, struct crm_contact **out);
void crm_contact_free(struct crm_contact *c);
/* Replaces *dst with a copy of src (NULL clears). Returns 0 or ENOMEM (unchanged). */
int crm_str_set(char **dst, const char *src);
/* Normalises and adds a phone number (ignored when already present). Returns 0,
 * EINVAL (not a phone number, contact unchanged) or ENOMEM. */
int crm_contact_add_phone(struct crm_contact *c, const char *raw, const char *country);
/* Adds an e-mail address (lower-cased domain, must look like local@domain). */
int crm_contact_add_email(struct crm_contact *c, const char *email);
int crm_contact_add_tag(struct crm_contact *c, const char *tag);
/* Sets the custom fields; `json` must be a JSON object (EINVAL otherwise). */
int crm_contact_set_custom(struct crm_contact *c, const char *json);
/* The most phones, e-mails or tags a contact keeps (the API refuses more). */
#define CRM_CONTACT_LIST_MAX 32
/*
 * Folds duplicate `from` into `keep` (pure; `from` is unchanged): keep's names,
 * company, language and time zone stay, and those it lacks come from `from`; phones,
 * e-mails and tags become the union (keep's first, in order); custom fields the union
 * with keep's value winning a shared key; vip and do-not-call are set when either has
 * them. Returns 0, E2BIG (a union holds more than CRM_CONTACT_LIST_MAX entries) or
 * ENOMEM; keep is unchanged on error.
 */
int crm_contact_merge(struct crm_contact *keep, const struct crm_contact *from);
/* The contact as a new JSON object (jansson; the caller json_decrefs it): id,
 * first_name, last_name, company, phones, emails, language, timezone, tags, custom,
 * vip, do_not_call, in that order. NULL when memory ran out. */
json_t *crm_contact_to_json(const struct crm_contact *c);
/* Appends the same object as compact JSON text. Returns 0 or ENOMEM. */
int crm_contact_json(const struct crm_contact *c, struct crm_buf *out);

/* ---- interactions ------------------------------------------------------------------ */

enum crm_channel {
	CRM_CHANNEL_VOICE,
	CRM_CHANNEL_CHAT,
	CRM_CHANNEL_EMAIL,
	CRM_CHANNEL_SMS,
	CRM_CHANNEL_CALLBACK,
	CRM_CHANNEL_COUNT
};

enum crm_direction { CRM_DIR_INBOUND, CRM_DIR_OUTBOUND, CRM_DIR_INTERNAL, CRM_DIR_COUNT };

const char *crm_channel_name(enum crm_channel ch);
const char *crm_direction_name(enum crm_direction d);
/* Parse the names above; return 0 or EINVAL. */
int crm_channel_parse(const char *s, enum crm_channel *out);
int crm_direction_parse(const char *s, enum crm_direction *out);

/*
 * One entry of an interaction's timeline. `event` names what happened: "created",
 * "ivr" (node), "queued" (queue), "offered" (agent, result: "answered", "no_answer",
 * "rejected", "cancelled"), "answered" (agent), "held", "unheld", "transferred"
 * (target), "ended" (by: "caller", "agent", "system"), or any other word. Optional
 * fields are NULL when they do not apply. The strings belong to the caller.
 */
struct crm_event {
	int64_t ts_ms;
	const char *event;
	const char *agent;
	const char *queue;
	const char *node;
	const char *digits;
	const char *result;
	const char *target;
	const char *by;
};

/*
 * One contact handled by the center (a call; later a chat, e-mail, SMS or callback).
 * Strings belong to the caller and may be NULL. Times are epoch milliseconds, 0 when the
 * step did not happen; durations are milliseconds. Records read back from the store
 * carry their timeline as JSON text in `timeline_json`, which then takes the place of
 * `timeline`.
 */
struct crm_interaction {
	const char *tenant;
	const char *id;
	enum crm_channel channel;
	enum crm_direction direction;
	const char *contact; /* contact id */
	const char *from, *to;
	const char *number; /* the tenant's number (DID) it came in on or went out from */
	const char *queue;  /* queue id */
	const char *agent;  /* username of the agent who handled it */
	int64_t created_ms, queued_ms, offered_ms, answered_ms, ended_ms;
	int64_t wait_ms, talk_ms, hold_ms, wrapup_ms;
	bool abandoned;
	const char *disposition;
	const char *notes;
	const char *recording; /* path of the recording */
	const char *campaign;
	const char *hangup_by; /* "caller", "agent", "system" */
	const struct crm_event *timeline;
	size_t ntimeline;
	const char *timeline_json;
};

/*
 * Fills wait, talk and hold durations from the timestamps and the timeline: wait is
 * queued until answered (or until ended when never answered), hold is the sum of
 * held..unheld spans (an open hold ends at `ended`), talk is answered until ended minus
 * hold. Fields whose inputs are missing are left alone; wrap-up is never touched.
 */
void crm_interaction_durations(struct crm_interaction *ix);

/* The timeline as a new JSON array: [{"ts","event",...}] in order (NULL: no memory). */
json_t *crm_timeline_to_json(const struct crm_event *ev, size_t n);
/* Appends the same array as JSON text. Returns 0 or ENOMEM. */
int crm_timeline_json(const struct crm_event *ev, size_t n, struct crm_buf *out);

/*
 * Appends the interaction as one JSON object, without a newline: id, tenant, channel,
 * direction, contact, from, to, number, queue, agent, created, queued, offered,
 * answered, ended (ISO 8601 UTC with milliseconds, null when not reached), wait_s,
 * talk_s, hold_s, wrapup_s (seconds, millisecond precision), abandoned, disposition,
 * notes, recording, campaign, hangup_by, timeline. This is the one representation used
 * by the export and the REST API. Returns 0 or ENOMEM.
 */
int crm_interaction_json(const struct crm_interaction *ix, struct crm_buf *out);
/* The same object as a new jansson value (the caller json_decrefs it), NULL when memory
 * ran out. A stored timeline_json that is not JSON reads as an empty timeline. */
json_t *crm_interaction_to_json(const struct crm_interaction *ix);
/* Appends the CSV header row (the same fields, in the same order; CRLF-terminated). */
int crm_interaction_csv_header(struct crm_buf *out);
/* Appends one CSV row (RFC 4180, CRLF-terminated); the timeline is one JSON column. */
int crm_interaction_csv(const struct crm_interaction *ix, struct crm_buf *out);

#endif
