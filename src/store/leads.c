/*
 * Lead lists and do-not-call lists (docs/dialer.md): CSV import streamed row by row
 * inside one transaction (all or nothing unless asked to skip bad rows), numbers
 * normalised to E.164, duplicates within and across lists found through the leads'
 * phone index (so memory stays constant however long the file), every bad row reported
 * as FILE:LINE:COL; the export of a list's results; do-not-call numbers one by one.
 */
#include "store/store_int.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/csv.h"
#include "crm/crm.h"

enum { F_PHONE, F_NAME, F_TZ, F_PRIO, F_COUNT };
static const char *const field_names[F_COUNT] = {"phone", "name", "timezone", "priority"};

struct imp {
	struct store_db *db;
	const struct store_import_opts *o;
	struct store_import_result r;
	const char *name;
	size_t reported[3]; /* bad, dup_list, dup_other */
	int col[F_COUNT];   /* header index per field, -1 when absent */
	char **header;
	size_t nheader;
	bool dnc;
};

static void say(struct imp *m, int kind, const char *fmt, ...)
{
	va_list ap;

	if (!m->o->err)
		return;
	if (m->o->max_report && m->reported[kind]++ >= m->o->max_report)
		return;
	va_start(ap, fmt);
	vfprintf(m->o->err, fmt, ap);
	va_end(ap);
	fputc('\n', m->o->err);
}

static void free_header(struct imp *m)
{
	for (size_t i = 0; i < m->nheader; i++)
		free(m->header[i]);
	free(m->header);
	m->header = NULL;
	m->nheader = 0;
}

/* Reads the header row and the column mapping. Returns 0, EINVAL (told) or ENOMEM. */
static int read_header(struct imp *m, struct csv *r)
{
	char **v, map[512];
	size_t n;
	long line;
	int rc = csv_next(r, &v, &n, &line);

	if (rc == ENOENT || (rc == 0 && csv_blank(v, n))) {
		say(m, 0, "%s:1: the file is empty (a header row naming the columns comes first)",
		    m->name);
		return EINVAL;
	}
	if (rc) {
		long l, c;
		csv_error_pos(r, &l, &c);
		say(m, 0, "%s:%ld:%ld: the header row is not valid CSV", m->name, l, c);
		return rc == ENOMEM ? ENOMEM : EINVAL;
	}
	m->header = calloc(n, sizeof(*m->header));
	if (!m->header)
		return ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char *h = v[i];
		while (*h == ' ')
			h++;
		if (!(m->header[i] = strdup(h)))
			return ENOMEM;
		m->nheader++;
		for (char *e = m->header[i] + strlen(m->header[i]);
		     e > m->header[i] && e[-1] == ' ';)
			*--e = '\0';
		for (size_t j = 0; j < i; j++)
			if (!strcmp(m->header[i], m->header[j])) {
				say(m, 0, "%s:1:%zu: column \"%s\" appears twice", m->name, i + 1,
				    m->header[i]);
				return EINVAL;
			}
	}
	/* Our fields by their own names first, then the mapping. */
	for (int f = 0; f < F_COUNT; f++) {
		m->col[f] = -1;
		for (size_t i = 0; i < m->nheader; i++)
			if (!strcasecmp(m->header[i], field_names[f]))
				m->col[f] = (int)i;
	}
	snprintf(map, sizeof(map), "%s", m->o->map ? m->o->map : "");
	for (char *save = NULL, *tok = strtok_r(map, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		int f;
		for (f = 0; f < F_COUNT; f++)
			if (eq && (size_t)(eq - tok) == strlen(field_names[f]) &&
			    !strncmp(tok, field_names[f], (size_t)(eq - tok)))
				break;
		if (!eq || f == F_COUNT || (m->dnc && f != F_PHONE)) {
			say(m, 0, "--map: \"%s\": expected FIELD=COLUMN with FIELD one of %s", tok,
			    m->dnc ? "phone" : "phone, name, timezone, priority");
			return EINVAL;
		}
		m->col[f] = -1;
		for (size_t i = 0; i < m->nheader; i++)
			if (!strcmp(m->header[i], eq + 1))
				m->col[f] = (int)i;
		if (m->col[f] < 0) {
			say(m, 0, "%s:1: no column \"%s\" (--map %s)", m->name, eq + 1, tok);
			return EINVAL;
		}
	}
	if (m->col[F_PHONE] < 0) {
		say(m, 0,
		    "%s:1: no phone column (name it \"phone\" or map it with --map phone=COLUMN)",
		    m->name);
		return EINVAL;
	}
	return 0;
}

static bool tz_plausible(const char *s)
{
	if (!isalpha((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("/_-+", *s))
			return false;
	return true;
}

static bool is_ours(const struct imp *m, size_t i)
{
	for (int f = 0; f < F_COUNT; f++)
		if (m->col[f] == (int)i)
			return true;
	return false;
}

/* Checks for the number in the tenant's lists: 1 already in this list, 0 not. */
static int dup_check(struct imp *m, const char *e164, long line, int *err)
{
	struct store__param p[3] = {store__text(m->o->tenant), store__text(e164),
				    store__text(m->o->list)};
	int found = 0;

	if ((*err = store__query(m->db, Q_LEAD_BY_PHONE, p, 3)))
		return 0;
	while (store__row(m->db, Q_LEAD_BY_PHONE, err)) {
		const char *list = store__col_text(m->db, Q_LEAD_BY_PHONE, 0);
		long long id = (long long)store__col_int(m->db, Q_LEAD_BY_PHONE, 1);
		long long at = (long long)store__col_int(m->db, Q_LEAD_BY_PHONE, 2);
		if (list && !strcmp(list, m->o->list)) {
			if (!found)
				say(m, 1, "%s:%ld: %s is already in list %s (line %lld): skipped",
				    m->name, line, e164, list, at);
			found = 1;
			store__done(m->db, Q_LEAD_BY_PHONE);
			break;
		}
		if (found == 0) {
			say(m, 2, "%s:%ld: %s is also in list %s (lead %lld)", m->name, line, e164,
			    list ? list : "?", id);
			found = -1;
		}
	}
	if (found == 1)
		m->r.dup_list++;
	else if (found == -1)
		m->r.dup_other++;
	return found == 1;
}

/* One data row: checked, then written unless an earlier row was bad and the import is
 * all or nothing. Returns 0 or a database error. */
static int row(struct imp *m, char **v, size_t n, long line, int64_t *next_id, int64_t now)
{
	char e164[CRM_E164_SIZE];
	const char *phone, *name = NULL, *tz = NULL;
	long prio = 0;
	int err = 0;

	m->r.rows++;
	if (n != m->nheader) {
		say(m, 0, "%s:%ld:%zu: expected %zu columns as in the header, found %zu", m->name,
		    line, (n < m->nheader ? n : m->nheader) + 1, m->nheader, n);
		m->r.bad++;
		return 0;
	}
	phone = v[m->col[F_PHONE]];
	if (!*phone) {
		say(m, 0, "%s:%ld:%d: missing phone number", m->name, line, m->col[F_PHONE] + 1);
		m->r.bad++;
		return 0;
	}
	if (crm_phone_e164(phone, m->o->country, e164)) {
		say(m, 0, "%s:%ld:%d: invalid phone number \"%s\"%s", m->name, line,
		    m->col[F_PHONE] + 1, phone,
		    m->o->country ? "" : " (national numbers need --country)");
		m->r.bad++;
		return 0;
	}
	if (!m->dnc) {
		if (m->col[F_NAME] >= 0 && *v[m->col[F_NAME]])
			name = v[m->col[F_NAME]];
		if (m->col[F_TZ] >= 0 && *v[m->col[F_TZ]]) {
			tz = v[m->col[F_TZ]];
			if (!tz_plausible(tz)) {
				say(m, 0,
				    "%s:%ld:%d: invalid time zone \"%s\" (e.g. Europe/Warsaw)",
				    m->name, line, m->col[F_TZ] + 1, tz);
				m->r.bad++;
				return 0;
			}
		}
		if (m->col[F_PRIO] >= 0 && *v[m->col[F_PRIO]]) {
			char *end;
			prio = strtol(v[m->col[F_PRIO]], &end, 10);
			if (*end || prio < -1000 || prio > 1000) {
				say(m, 0,
				    "%s:%ld:%d: priority must be a whole number from -1000 to "
				    "1000, got \"%s\"",
				    m->name, line, m->col[F_PRIO] + 1, v[m->col[F_PRIO]]);
				m->r.bad++;
				return 0;
			}
		}
	}
	if (m->r.bad && !m->o->skip_bad)
		return 0; /* all or nothing: only checking from here on */
	if (m->dnc) {
		struct store__param p[5] = {
		    store__text(m->o->tenant), store__text(m->o->campaign ? m->o->campaign : ""),
		    store__text(e164), store__text(m->name), store__int(now)};
		if (!(err = store__exec(m->db, Q_DNC_PUT, p, 5))) {
			m->r.imported++;
			if (m->o->on_number)
				m->o->on_number(e164, m->o->on_number_arg);
		}
		return err;
	}
	if (dup_check(m, e164, line, &err) || err)
		return err;
	{
		json_t *o = json_object();
		char *fields;
		if (!o)
			return ENOMEM;
		for (size_t i = 0; i < n; i++)
			if (!is_ours(m, i) && *v[i])
				json_object_set_new(o, m->header[i], json_string(v[i]));
		fields = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(o);
		if (!fields)
			return ENOMEM;
		struct store__param p[10] = {store__text(m->o->tenant), store__text(m->o->list),
					     store__int((*next_id)++),	store__text(e164),
					     store__text(name),		store__text(tz),
					     store__int(prio),		store__text(fields),
					     store__int(line),		store__int(now)};
		err = store__exec(m->db, Q_LEAD_INSERT, p, 10);
		free(fields);
	}
	if (!err)
		m->r.imported++;
	return err;
}

static int import(struct store_db *db, FILE *in, const struct store_import_opts *o, bool dnc,
		  struct store_import_result *out)
{
	struct imp m = {.db = db, .o = o, .name = o->name ? o->name : "-", .dnc = dnc};
	struct csv *r = NULL;
	int64_t now = clock_wall_ms(), next_id = 1;
	int err, dberr = 0;
	char **v;
	size_t n;
	long line;

	STORE__TENANT(o->tenant);
	if (!dnc && (!o->list || !*o->list))
		return EINVAL;
	if ((err = csv_open(in, o->sep ? o->sep : ',', &r)))
		return err;
	if ((err = read_header(&m, r)))
		goto out;
	if ((err = store__tx_begin(db)))
		goto out;
	if (!dnc) {
		struct store__param p[4] = {store__text(o->tenant), store__text(o->list),
					    store__text(o->country), store__int(now)};
		struct store__param q[2] = {store__text(o->tenant), store__text(o->list)};
		dberr = store__exec(db, Q_LIST_PUT, p, 4);
		if (!dberr && !(dberr = store__query(db, Q_LEAD_NEXT_ID, q, 2)))
			while (store__row(db, Q_LEAD_NEXT_ID, &dberr))
				next_id = store__col_int(db, Q_LEAD_NEXT_ID, 0);
	}
	while (!dberr && (err = csv_next(r, &v, &n, &line)) != ENOENT) {
		if (err == EIO || err == ENOMEM) {
			say(&m, 0, "%s: %s", m.name, strerror(err));
			dberr = err;
			break;
		}
		if (err) {
			long el, ec;
			csv_error_pos(r, &el, &ec);
			say(&m, 0, "%s:%ld:%ld: %s", m.name, el, ec,
			    err == EPROTO  ? "a quoted field is never closed"
			    : err == EFBIG ? "the row is too long"
					   : "a quote inside a field that does not start with one");
			m.r.rows++;
			m.r.bad++;
			continue;
		}
		if (csv_blank(v, n))
			continue;
		dberr = row(&m, v, n, line, &next_id, now);
	}
	err = 0;
	if (dberr) {
		store__tx_end(db, dberr);
		err = dberr == ENOMEM ? ENOMEM : EIO;
	} else if (m.r.bad && !o->skip_bad) {
		store__tx_end(db, ECANCELED);
		m.r.imported = 0;
		err = EINVAL;
	} else if ((err = store__tx_end(db, 0))) {
		err = EIO;
	}
	for (int k = 0; k < 3 && o->err && o->max_report; k++)
		if (m.reported[k] > o->max_report)
			fprintf(o->err, "%s: ... and %zu more like this\n", m.name,
				m.reported[k] - o->max_report);
	if (out)
		*out = m.r;
out:
	free_header(&m);
	csv_close(r);
	return err;
}

int store_db_import_leads(struct store_db *db, FILE *in, const struct store_import_opts *o,
			  struct store_import_result *out)
{
	return import(db, in, o, false, out);
}

int store_db_import_dnc(struct store_db *db, FILE *in, const struct store_import_opts *o,
			struct store_import_result *out)
{
	return import(db, in, o, true, out);
}

int store_db_dnc_put(struct store_db *db, const char *tenant, const char *campaign,
		     const char *phone, const char *source, int64_t now_ms)
{
	struct store__param p[5] = {store__text(tenant), store__text(campaign ? campaign : ""),
				    store__text(phone), store__text(source), store__int(now_ms)};

	STORE__TENANT(tenant);
	return store__exec(db, Q_DNC_PUT, p, 5);
}

int store_db_dnc_delete(struct store_db *db, const char *tenant, const char *campaign,
			const char *phone)
{
	struct store__param p[3] = {store__text(tenant), store__text(campaign ? campaign : ""),
				    store__text(phone)};

	STORE__TENANT(tenant);
	return store__exec(db, Q_DNC_DELETE, p, 3);
}

int store_db_dnc_has(struct store_db *db, const char *tenant, const char *campaign,
		     const char *phone, bool *out)
{
	struct store__param p[3] = {store__text(tenant), store__text(campaign ? campaign : ""),
				    store__text(phone)};
	bool has = false;
	int err;

	STORE__TENANT(tenant);
	if ((err = store__query(db, Q_DNC_HAS, p, 3)))
		return err;
	while (store__row(db, Q_DNC_HAS, &err))
		has = true;
	if (!err)
		*out = has;
	return err;
}

int store_db_dnc_delete_source(struct store_db *db, const char *tenant, const char *campaign,
			       const char *phone, const char *source)
{
	struct store__param p[4] = {store__text(tenant), store__text(campaign ? campaign : ""),
				    store__text(phone), store__text(source)};

	STORE__TENANT(tenant);
	return store__exec(db, Q_DNC_DELETE_SOURCE, p, 4);
}

int store_db_dnc_list(struct store_db *db, const char *tenant, const char *campaign,
		      store_phone_h *h, void *arg)
{
	return store_db_dnc_list_after(db, tenant, campaign, "", h, arg);
}

int store_db_dnc_list_after(struct store_db *db, const char *tenant, const char *campaign,
			    const char *from, store_phone_h *h, void *arg)
{
	char after[CRM_E164_SIZE + 8];
	int err = 0;

	STORE__TENANT(tenant);
	snprintf(after, sizeof(after), "%s", from ? from : "");
	for (;;) {
		struct store__param p[3] = {
		    store__text(tenant), store__text(campaign ? campaign : ""), store__text(after)};
		size_t got = 0;
		if ((err = store__query(db, Q_DNC_LIST, p, 3)))
			return err;
		while (store__row(db, Q_DNC_LIST, &err)) {
			const char *ph = store__col_text(db, Q_DNC_LIST, 0);
			int rc;
			got++;
			snprintf(after, sizeof(after), "%s", ph ? ph : "");
			if ((rc = h(after, arg))) {
				store__done(db, Q_DNC_LIST);
				return rc;
			}
		}
		if (err || got < 1000)
			return err;
	}
}

static void csv_field(FILE *f, const char *s, bool last)
{
	if (s && strpbrk(s, ",\"\r\n")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else if (s) {
		fputs(s, f);
	}
	fputc(last ? '\n' : ',', f);
}

int store_db_lead_lists(struct store_db *db, const char *tenant, store_list_h *h, void *arg)
{
	char after[256] = "";
	int err = 0;

	STORE__TENANT(tenant);
	for (;;) {
		struct store__param p[2] = {store__text(tenant), store__text(after)};
		size_t got = 0;
		if ((err = store__query(db, Q_LIST_LIST, p, 2)))
			return err;
		while (store__row(db, Q_LIST_LIST, &err)) {
			const char *id = store__col_text(db, Q_LIST_LIST, 0);
			struct store_lead_list l;
			int rc;
			got++;
			snprintf(after, sizeof(after), "%s", id ? id : "");
			l.id = after;
			l.country = store__col_text(db, Q_LIST_LIST, 1);
			l.created_ms = store__col_int(db, Q_LIST_LIST, 2);
			l.updated_ms = store__col_int(db, Q_LIST_LIST, 3);
			l.leads = (uint64_t)store__col_int(db, Q_LIST_LIST, 4);
			l.open = (uint64_t)store__col_int(db, Q_LIST_LIST, 5);
			if ((rc = h(&l, arg))) {
				store__done(db, Q_LIST_LIST);
				return rc;
			}
		}
		if (err || got < 1000)
			return err;
	}
}

int store_db_export_leads(struct store_db *db, const char *tenant, const char *list, FILE *out)
{
	int64_t after = 0;
	int err = 0;

	STORE__TENANT(tenant);
	fputs("id,phone,name,timezone,priority,state,attempts,last_result,disposition,next_ms,"
	      "fields\n",
	      out);
	for (;;) {
		struct store__param p[3] = {store__text(tenant), store__text(list),
					    store__int(after)};
		size_t got = 0;
		if ((err = store__query(db, Q_LEAD_EXPORT, p, 3)))
			return err;
		while (store__row(db, Q_LEAD_EXPORT, &err)) {
			char num[32];
			got++;
			after = store__col_int(db, Q_LEAD_EXPORT, 0);
			snprintf(num, sizeof(num), "%lld", (long long)after);
			csv_field(out, num, false);
			for (int c = 1; c <= 10; c++) {
				if (c == 4 || c == 6 || c == 9) {
					snprintf(num, sizeof(num), "%lld",
						 (long long)store__col_int(db, Q_LEAD_EXPORT, c));
					csv_field(out, num, false);
				} else {
					csv_field(out, store__col_text(db, Q_LEAD_EXPORT, c),
						  c == 10);
				}
			}
		}
		if (err || got < 1000)
			break;
	}
	if (!err && ferror(out))
		err = EIO;
	return err;
}

/* ---- the dialer's batches and write-behind ---- */

int store_db_leads_open(struct store_db *db, const char *tenant, const char *list, int64_t after_id,
			int limit, store_lead_h *h, void *arg)
{
	struct store__param p[4] = {store__text(tenant), store__text(list), store__int(after_id),
				    store__int(limit > 0 ? limit : 1000)};
	int err;

	STORE__TENANT(tenant);
	if ((err = store__query(db, Q_LEADS_OPEN, p, 4)))
		return err;
	while (store__row(db, Q_LEADS_OPEN, &err)) {
		struct store_lead l = {
		    .id = store__col_int(db, Q_LEADS_OPEN, 0),
		    .phone = store__col_text(db, Q_LEADS_OPEN, 1),
		    .name = store__col_text(db, Q_LEADS_OPEN, 2),
		    .timezone = store__col_text(db, Q_LEADS_OPEN, 3),
		    .priority = (int)store__col_int(db, Q_LEADS_OPEN, 4),
		    .state = store__col_text(db, Q_LEADS_OPEN, 5),
		    .attempts = (int)store__col_int(db, Q_LEADS_OPEN, 6),
		    .day_attempts = (int)store__col_int(db, Q_LEADS_OPEN, 7),
		    .day = (int)store__col_int(db, Q_LEADS_OPEN, 8),
		    .next_ms = store__col_int(db, Q_LEADS_OPEN, 9),
		    .callback_agent = store__col_text(db, Q_LEADS_OPEN, 10),
		    .fields = store__col_text(db, Q_LEADS_OPEN, 11),
		};
		int rc = h(&l, arg);
		if (rc) {
			store__done(db, Q_LEADS_OPEN);
			return rc;
		}
	}
	return err;
}

/* Reads the row of query q (Q_LEAD_GET's columns) into *l. */
static void lead_row(struct store_db *db, int q, struct store_lead *l)
{
	memset(l, 0, sizeof(*l));
	l->id = store__col_int(db, q, 0);
	l->phone = store__col_text(db, q, 1);
	l->name = store__col_text(db, q, 2);
	l->timezone = store__col_text(db, q, 3);
	l->priority = (int)store__col_int(db, q, 4);
	l->state = store__col_text(db, q, 5);
	l->attempts = (int)store__col_int(db, q, 6);
	l->day_attempts = (int)store__col_int(db, q, 7);
	l->day = (int)store__col_int(db, q, 8);
	l->next_ms = store__col_int(db, q, 9);
	l->callback_agent = store__col_text(db, q, 10);
	l->fields = store__col_text(db, q, 11);
	l->last_result = store__col_text(db, q, 12);
}

int store_db_lead_get(struct store_db *db, const char *tenant, const char *list, int64_t id,
		      store_lead_h *h, void *arg)
{
	struct store__param p[3] = {store__text(tenant), store__text(list), store__int(id)};
	struct store_lead l;
	bool found = false;
	int err, rc = 0;

	STORE__TENANT(tenant);
	if ((err = store__query(db, Q_LEAD_GET, p, 3)))
		return err;
	while (store__row(db, Q_LEAD_GET, &err)) {
		found = true;
		lead_row(db, Q_LEAD_GET, &l);
		if ((rc = h(&l, arg))) {
			store__done(db, Q_LEAD_GET);
			return rc;
		}
	}
	return err ? err : found ? 0 : ENOENT;
}

int store_db_dnc_blocks(struct store_db *db, const char *tenant, const char *campaign,
			const char *phone, bool *out)
{
	struct store__param p[3] = {store__text(tenant), store__text(campaign ? campaign : ""),
				    store__text(phone)};
	bool found = false;
	int err;

	STORE__TENANT(tenant);
	if ((err = store__query(db, Q_DNC_BLOCKS, p, 3)))
		return err;
	while (store__row(db, Q_DNC_BLOCKS, &err))
		found = true;
	if (!err)
		*out = found;
	return err;
}

int store_db_leads_dnc_closed(struct store_db *db, const char *tenant, const char *list,
			      const char *phone, store_lead_h *h, void *arg)
{
	struct store__param p[3] = {store__text(tenant), store__text(list), store__text(phone)};
	struct store_lead l;
	int err, rc;

	STORE__TENANT(tenant);
	if ((err = store__query(db, Q_LEADS_DNC_CLOSED, p, 3)))
		return err;
	while (store__row(db, Q_LEADS_DNC_CLOSED, &err)) {
		lead_row(db, Q_LEADS_DNC_CLOSED, &l);
		if ((rc = h(&l, arg))) {
			store__done(db, Q_LEADS_DNC_CLOSED);
			return rc;
		}
	}
	return err;
}

int store_db_lead_update(struct store_db *db, const char *tenant, const char *list,
			 const struct store_lead *l, int64_t now_ms)
{
	struct store__param p[12] = {store__text(tenant),
				     store__text(list),
				     store__int(l->id),
				     store__text(l->state),
				     store__int(l->attempts),
				     store__int(l->day_attempts),
				     store__int(l->day),
				     store__int(l->next_ms),
				     store__text(l->last_result),
				     store__text(l->disposition),
				     store__text(l->callback_agent),
				     store__int(now_ms)};

	STORE__TENANT(tenant);
	if (!l->state)
		return EINVAL;
	return store__exec(db, Q_LEAD_UPDATE, p, 12);
}

int store_db_attempt_put(struct store_db *db, const char *tenant, const struct store_attempt *a)
{
	struct store__param p[9] = {
	    store__text(tenant),       store__text(a->campaign), store__text(a->list),
	    store__int(a->lead),       store__int(a->attempt),	 store__text(a->interaction),
	    store__int(a->started_ms), store__text(a->result),	 store__text(a->disposition)};

	STORE__TENANT(tenant);
	if (!a->campaign || !a->list)
		return EINVAL;
	return store__exec(db, Q_ATTEMPT_PUT, p, 9);
}
