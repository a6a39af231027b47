/*
 * The email channel: a raw RFC 5322 message (as IMAP hands it over) read into what the
 * contact center needs of it. MIME is parsed by GMime 3 (never by hand); HTML bodies are
 * read by libxml2's HTML parser and only their text is kept (nothing is rendered, no
 * resource is fetched, script and style are dropped).
 *
 * Purity: email_parse() touches no global state of ours and no clock; it may be called
 * from any thread (GMime is initialised once, behind pthread_once). It never logs: the
 * caller logs the reason it is given, with the tenant and the mailbox.
 *
 * Memory: email_parse() allocates the message and everything it points to; the caller
 * frees it with email_msg_free(). Every string in it is valid UTF-8 and NUL-terminated.
 *
 * Errors: 0 or a positive errno; on error *out is untouched and err holds a one-line
 * reason fit for a log (no header value is copied into it, so no address leaks there).
 */
#ifndef CENTRALA_CHANNELS_EMAIL_H
#define CENTRALA_CHANNELS_EMAIL_H

#include <stddef.h>
#include <stdint.h>

/* Limits applied while parsing; zero in a field takes the default in brackets. */
struct email_limits {
	size_t max_message;	/* raw message bytes; larger is rejected (25 MiB) */
	size_t max_body;	/* text body bytes kept; longer is cut on a character (256 KiB) */
	size_t max_attachments; /* attachments listed; more are counted as refused (20) */
	size_t max_attachment;	/* decoded bytes of one attachment; larger is refused (10 MiB) */
	int keep_data;		/* 1: attachments not refused keep their bytes (data) */
};

struct email_attachment {
	char *name;  /* file name as the sender gave it ("" when none), UTF-8 */
	char *type;  /* "type/subtype", lower case */
	size_t size; /* decoded bytes */
	int refused; /* 1: over max_attachment, or beyond max_attachments */
	void *data;  /* the decoded bytes (size of them) with keep_data, else NULL */
};

/* Why a message must not be answered (loops with auto-responders, bounces). */
enum email_auto {
	EMAIL_AUTO_NONE,  /* written by a person: may be answered and acknowledged */
	EMAIL_AUTO_REPLY, /* auto-reply or bulk: Auto-Submitted, Precedence, X-Autoreply... */
	EMAIL_AUTO_BOUNCE /* delivery report: Return-Path <>, multipart/report */
};

struct email_msg {
	char *from;	   /* the sender's address (addr-spec only) */
	char *from_name;   /* display name, "" when none */
	char *to;	   /* the first To address, "" when none */
	char *subject;	   /* decoded, "" when none */
	char *message_id;  /* without angle brackets, "" when none */
	char *in_reply_to; /* the first id of In-Reply-To, without brackets, "" when none */
	char **references; /* References ids in header order, without brackets */
	size_t nreferences;
	int64_t date;	    /* Date as Unix seconds, 0 when missing or unreadable */
	char *body;	    /* text/plain preferred, else the text of text/html; "" if none */
	int body_from_html; /* 1: body is the text of an HTML part */
	int body_truncated; /* 1: body was cut at max_body */
	enum email_auto automatic;
	const char *auto_reason; /* static: "auto-submitted", "precedence", ...; NULL if none */
	struct email_attachment *attachments;
	size_t nattachments;
	size_t attachments_refused; /* attachments over a limit (listed or not) */
	int64_t uid;		    /* the IMAP UID, set by email_poll_once (0 otherwise) */
};

/* Parses the raw message DATA of LEN bytes under LIMITS (NULL: defaults). Rejects, with a
 * reason in ERR (ERRLEN bytes, may be 0): a message over max_message (EMSGSIZE), one GMime
 * cannot read or with no sender address (EBADMSG), and one whose headers or text are
 * declared or presumed UTF-8 but are not (EILSEQ). ENOMEM when allocation fails. */
int email_parse(const char *data, size_t len, const struct email_limits *limits,
		struct email_msg **out, char *err, size_t errlen);

/* Frees a parsed message; NULL is ignored. */
void email_msg_free(struct email_msg *m);

/* The ids under which the conversation of M may already be known, most specific first:
 * In-Reply-To, then References from the last to the first, each once. Points into M;
 * returns how many were written to IDS (at most MAX). */
size_t email_thread_keys(const struct email_msg *m, const char **ids, size_t max);

/* The text of an HTML document of LEN bytes, as UTF-8 (block elements end lines, runs of
 * blanks collapse, script/style/head are dropped, entities decoded). Nothing is fetched.
 * Returns a malloc'd string ("" for no text), or NULL when out of memory. */
char *email_html_to_text(const char *html, size_t len);

/* 1 when the LEN bytes at S are valid UTF-8 (no NUL, no overlong form, no surrogate). */
int email_utf8_valid(const char *s, size_t len);

/*
 * IMAP over libcurl (email_imap.c), blocking: for the channel's worker thread only,
 * never the engine's. URL is the queue's `imap:` (imap[s]://host[:port]/MAILBOX);
 * USER and PASS its account (never logged). Each call is one connection, bounded by
 * TIMEOUT_MS. Errors: EINVAL (bad URL), EACCES (login refused), ETIMEDOUT, EIO (any
 * other failure, with libcurl's text in ERR), ENOMEM.
 */
struct email_imap_session;
struct email_imap {
	const char *url, *user, *pass;
	long timeout_ms;
	/* One connection kept across calls (email_imap_session_new), so that a pass logs in
	 * once rather than once a message; NULL: a connection of its own for each call. */
	struct email_imap_session *session;
};

/* A reusable connection for the calls below, on one thread at a time. 0 or ENOMEM. */
int email_imap_session_new(struct email_imap_session **out);
/* Logs out and frees; NULL is ignored. */
void email_imap_session_free(struct email_imap_session *s);

/* The mailbox's UIDVALIDITY (a changed value means every UID was reassigned). */
int email_imap_uidvalidity(const struct email_imap *im, int64_t *out, char *err, size_t errlen);
/* The UIDs above AFTER, ascending, at most MAX of them (the rest on the next call);
 * *n is how many were written to UIDS. */
int email_imap_uids_after(const struct email_imap *im, int64_t after, int64_t *uids, size_t max,
			  size_t *n, char *err, size_t errlen);
/* The raw message of UID, malloc'd (NUL-terminated, *len without the NUL); at most LIMIT
 * bytes are read (EMSGSIZE beyond). ENOENT when the message is gone. */
int email_imap_fetch(const struct email_imap *im, int64_t uid, size_t limit, char **out,
		     size_t *len, char *err, size_t errlen);

/*
 * Writing and sending (email_send.c). A reply is built with GMime: From, To, Subject,
 * a new Message-ID, Date, In-Reply-To and References for threading, the body and the
 * signature as UTF-8 text/plain (quoted-printable), CRLF line ends. An automatic message
 * (acknowledgement) carries Auto-Submitted: auto-replied so that the customer's
 * auto-responder does not answer it.
 */
struct email_out {
	const char *from;	       /* "Name <addr>" or "addr" */
	const char *to;		       /* addr */
	const char *subject;	       /* UTF-8; "Re: " is added unless it starts so or fresh */
	const char *message_id;	       /* without brackets; the caller makes it unique */
	const char *in_reply_to;       /* without brackets, NULL or "": none */
	const char *const *references; /* without brackets, oldest first */
	size_t nreferences;
	const char *body;      /* UTF-8 */
	const char *signature; /* appended after "-- " on its own line; NULL: none */
	int automatic;	       /* 1: Auto-Submitted: auto-replied (auto-generated when fresh) */
	int fresh;	       /* 1: no reply (a chat's transcript): the subject as given */
	int64_t date;	       /* Unix seconds */
	/* Files sent with it (multipart/mixed, base64); none: a single text/plain part. */
	const struct email_file *files;
	size_t nfiles;
};

struct email_file {
	const char *name; /* file name, UTF-8 (RFC 2231 encoded when not ASCII) */
	const char *type; /* "type/subtype", NULL: application/octet-stream */
	const void *data;
	size_t len;
};

/* The message as RFC 5322 text, malloc'd, in *out (*len bytes). EINVAL when an address
 * or a string is unusable (not UTF-8, CR or LF in a header), ENOMEM. */
int email_build(const struct email_out *m, char **out, size_t *len);

/* Sends LEN bytes of MSG through the SMTP server URL (smtp[s]://host[:port]) from the
 * envelope sender FROM to RCPT (addresses only). USER may be NULL (no AUTH). TLS when
 * offered. Blocking, bounded by TIMEOUT_MS; for a worker thread. Errors as for IMAP. */
int email_smtp_send(const char *url, const char *user, const char *pass, long timeout_ms,
		    const char *from, const char *rcpt, const char *msg, size_t len, char *err,
		    size_t errlen);

/*
 * One pass over a queue's mailbox (email_poll.c), on the email worker thread with its
 * own store connection: every message above the last UID handled is fetched, read, and
 * either handed to DELIVER (written by a person) or recorded without it (auto-reply,
 * bounce, refused with its reason logged); each is marked in the store afterwards, so a
 * message is handled once across restarts. A reply is handed over with the interaction
 * of its conversation (found by email_thread_keys in the store), a new conversation with
 * NULL; DELIVER names the interaction it used, and the message's Message-ID is filed
 * under it. A folder whose UIDVALIDITY changed is read from its start.
 */
struct store_db;

/* Takes message M: JOINED is its conversation's interaction or NULL (a new one);
 * writes the interaction it belongs to into IX (64 bytes). Non-zero: not taken, the
 * message stays for the next pass and this pass stops (order is kept). */
typedef int(email_deliver_h)(const struct email_msg *m, const char *joined, char ix[64], void *arg);

struct email_poll {
	const char *tenant, *queue;
	struct email_imap imap;
	struct email_limits limits;
	size_t batch; /* messages a pass at most (default 100) */
	email_deliver_h *deliver;
	void *arg;
};

struct email_poll_stats {
	size_t delivered, joined, automatic, refused;
};

/* Returns 0 (STATS filled) or the first IMAP or store error, logged with tenant and
 * queue; what was handled before it stays handled. */
int email_poll_once(const struct email_poll *p, struct store_db *db, struct email_poll_stats *st);

#endif
