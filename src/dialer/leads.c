/*
 * The leads of a campaign that the engine holds in memory, and the choice of the next
 * one to dial. Two binary heaps of lead slots: `ready` (due leads, best first:
 * callbacks, then priority, then the time they became due, then arrival) and `sleep`
 * (leads that may not be dialed before `next_ms`: a retry delay, a window opening, a
 * callback's time). A lead sits in at most one heap and remembers its position, so
 * every move is O(log n). Callbacks due for one agent wait in a short list of their own
 * until that agent asks. Slots of removed leads are reused; ids map to slots through an
 * open-addressing table.
 */
#include "dialer/dialer_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { H_NONE, H_READY, H_SLEEP };

/* ---- id table ---- */

#define TOMB UINT32_MAX - 1
#define FREE UINT32_MAX

static size_t id_hash(uint64_t id, size_t mask)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdull;
	id ^= id >> 33;
	return (size_t)id & mask;
}

static uint32_t *id_find(const struct dialer_leads *l, uint64_t id)
{
	size_t mask = l->idcap - 1;

	for (size_t i = id_hash(id, mask);; i = (i + 1) & mask) {
		uint32_t s = l->ids[i];
		if (s == FREE)
			return NULL;
		if (s != TOMB && l->lead[s].id == id)
			return &l->ids[i];
	}
}

static int id_grow(struct dialer_leads *l)
{
	size_t cap = l->idcap ? l->idcap * 2 : 64, mask = cap - 1;
	uint32_t *t = malloc(cap * sizeof(*t));

	if (!t)
		return ENOMEM;
	for (size_t i = 0; i < cap; i++)
		t[i] = FREE;
	for (size_t i = 0; i < l->idcap; i++) {
		uint32_t s = l->ids[i];
		size_t j;
		if (s == FREE || s == TOMB)
			continue;
		for (j = id_hash(l->lead[s].id, mask); t[j] != FREE; j = (j + 1) & mask)
			;
		t[j] = s;
	}
	free(l->ids);
	l->ids = t;
	l->idcap = cap;
	l->idused = l->nlive;
	return 0;
}

/* ---- heaps ---- */

static bool before(const struct dialer_leads *l, int h, uint32_t a, uint32_t b)
{
	const struct dialer__lead *x = &l->lead[a], *y = &l->lead[b];

	if (h == H_SLEEP)
		return x->next_ms != y->next_ms ? x->next_ms < y->next_ms : x->seq < y->seq;
	if (x->callback != y->callback)
		return x->callback;
	if (x->prio != y->prio)
		return x->prio > y->prio;
	if (x->next_ms != y->next_ms)
		return x->next_ms < y->next_ms;
	return x->seq < y->seq;
}

static struct dialer__heap *heap_of(struct dialer_leads *l, int h)
{
	return h == H_READY ? &l->ready : &l->sleep;
}

static void hset(struct dialer_leads *l, struct dialer__heap *hp, uint32_t i, uint32_t s)
{
	hp->v[i] = s;
	l->lead[s].hpos = i;
}

static void sift(struct dialer_leads *l, int h, uint32_t i)
{
	struct dialer__heap *hp = heap_of(l, h);
	uint32_t s = hp->v[i];

	while (i > 0 && before(l, h, s, hp->v[(i - 1) / 2])) {
		hset(l, hp, i, hp->v[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= hp->n)
			break;
		if (c + 1 < hp->n && before(l, h, hp->v[c + 1], hp->v[c]))
			c++;
		if (!before(l, h, hp->v[c], s))
			break;
		hset(l, hp, i, hp->v[c]);
		i = c;
	}
	hset(l, hp, i, s);
}

/* The heaps have room for every slot (grown with the slots), so this cannot fail. */
static void hpush(struct dialer_leads *l, int h, uint32_t s)
{
	struct dialer__heap *hp = heap_of(l, h);

	l->lead[s].heap = (uint8_t)h;
	hp->v[hp->n] = s;
	l->lead[s].hpos = hp->n++;
	sift(l, h, hp->n - 1);
}

static void hremove(struct dialer_leads *l, uint32_t s)
{
	int h = l->lead[s].heap;
	struct dialer__heap *hp;
	uint32_t i, last;

	if (h == H_NONE)
		return;
	hp = heap_of(l, h);
	i = l->lead[s].hpos;
	last = hp->v[--hp->n];
	l->lead[s].heap = H_NONE;
	if (i < hp->n) {
		hset(l, hp, i, last);
		sift(l, h, i);
	}
}

/* ---- the object ---- */

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

int dialer_leads_new(const struct dialer_rules *r, struct dialer_leads **out)
{
	struct dialer_leads *l;
	int rc;

	if (!r || !out)
		return EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return ENOMEM;
	l->r = *r;
	if (!l->r.max_attempts)
		l->r.max_attempts = 3;
	if (!l->r.window_from && !l->r.window_to) {
		l->r.window_from = 8 * 60;
		l->r.window_to = 21 * 60;
	}
	rc = EINVAL;
	if (l->r.window_from >= l->r.window_to || l->r.window_to > 24 * 60)
		goto fail;
	rc = ENOMEM;
	if (r->nholidays) {
		int32_t *h = malloc(r->nholidays * sizeof(*h));
		if (!h)
			goto fail;
		memcpy(h, r->holidays, r->nholidays * sizeof(*h));
		qsort(h, r->nholidays, sizeof(*h), cmp_i32);
		l->r.holidays = h;
	} else {
		l->r.holidays = NULL;
	}
	if (strmap_create(64, &l->dnc))
		goto fail_h;
	if (id_grow(l))
		goto fail_dnc;
	*out = l;
	return 0;
fail_dnc:
	strmap_free(l->dnc);
fail_h:
	free((void *)l->r.holidays);
fail:
	free(l);
	return rc;
}

int dialer_leads_set_rules(struct dialer_leads *l, const struct dialer_rules *r)
{
	struct dialer_rules nr;
	int32_t *h = NULL;

	if (!l || !r)
		return EINVAL;
	nr = *r;
	if (!nr.max_attempts)
		nr.max_attempts = 3;
	if (!nr.window_from && !nr.window_to) {
		nr.window_from = 8 * 60;
		nr.window_to = 21 * 60;
	}
	if (nr.window_from >= nr.window_to || nr.window_to > 24 * 60)
		return EINVAL;
	if (r->nholidays) {
		if (!(h = malloc(r->nholidays * sizeof(*h))))
			return ENOMEM;
		memcpy(h, r->holidays, r->nholidays * sizeof(*h));
		qsort(h, r->nholidays, sizeof(*h), cmp_i32);
	}
	free((void *)l->r.holidays);
	nr.holidays = h;
	l->r = nr;
	/* Leads asleep for the old window, day or holidays are due again: the next pick
	 * checks them under the new rules (a retry delay or a callback keeps its time). */
	for (uint32_t s = 0; s < l->nslots; s++) {
		struct dialer__lead *d = &l->lead[s];
		if (d->heap != H_SLEEP || !d->wsleep)
			continue;
		hremove(l, s);
		d->next_ms = 0;
		d->wsleep = false;
		hpush(l, H_SLEEP, s);
	}
	return 0;
}

void dialer_leads_free(struct dialer_leads *l)
{
	if (!l)
		return;
	for (uint32_t i = 0; i < l->nslots; i++)
		free(l->lead[i].phone);
	free(l->lead);
	free(l->ids);
	free(l->ready.v);
	free(l->sleep.v);
	free(l->acb);
	free(l->freeslots);
	free((void *)l->r.holidays);
	strmap_free(l->dnc);
	free(l);
}

static int grow_slots(struct dialer_leads *l)
{
	uint32_t cap = l->capslots ? l->capslots * 2 : 64;
	struct dialer__lead *ld;
	uint32_t *a, *b, *c, *f;

	ld = realloc(l->lead, cap * sizeof(*ld));
	if (!ld)
		return ENOMEM;
	l->lead = ld;
	a = realloc(l->ready.v, cap * sizeof(*a));
	if (!a)
		return ENOMEM;
	l->ready.v = a;
	b = realloc(l->sleep.v, cap * sizeof(*b));
	if (!b)
		return ENOMEM;
	l->sleep.v = b;
	c = realloc(l->acb, cap * sizeof(*c));
	if (!c)
		return ENOMEM;
	l->acb = c;
	f = realloc(l->freeslots, cap * sizeof(*f));
	if (!f)
		return ENOMEM;
	l->freeslots = f;
	l->capslots = cap;
	return 0;
}

int dialer_leads_add(struct dialer_leads *l, const struct dialer_lead *in)
{
	struct dialer__lead *d;
	uint32_t s;
	char *phone;
	size_t mask, i;

	if (!in || !in->phone || !in->phone[0])
		return EINVAL;
	if (id_find(l, in->id))
		return EEXIST;
	if ((l->idused + 1) * 2 > l->idcap && id_grow(l))
		return ENOMEM;
	if (!l->nfree && l->nslots == l->capslots && grow_slots(l))
		return ENOMEM;
	phone = strdup(in->phone);
	if (!phone)
		return ENOMEM;
	s = l->nfree ? l->freeslots[--l->nfree] : l->nslots++;
	d = &l->lead[s];
	*d = (struct dialer__lead){
	    .id = in->id,
	    .phone = phone,
	    .prio = in->priority,
	    .tz = in->tz,
	    .attempts = in->attempts,
	    .day_attempts = in->day_attempts,
	    .day = in->day,
	    .next_ms = in->next_ms,
	    .callback = in->callback,
	    .agent = in->callback ? in->agent : DIALER__ANY,
	    .seq = l->seq++,
	    .state = DIALER_LEAD_READY,
	    .last = in->person ? DIALER_R_PERSON : DIALER_R_COUNT,
	};
	mask = l->idcap - 1;
	for (i = id_hash(in->id, mask); l->ids[i] != FREE && l->ids[i] != TOMB; i = (i + 1) & mask)
		;
	if (l->ids[i] == FREE)
		l->idused++;
	l->ids[i] = s;
	l->nlive++;
	if (in->done || (!in->callback && d->attempts >= l->r.max_attempts)) {
		d->state = DIALER_LEAD_DONE;
		d->next_ms = DIALER_NEVER;
		return 0;
	}
	l->open++;
	hpush(l, H_SLEEP, s);
	return 0;
}

static void acb_remove(struct dialer_leads *l, uint32_t s)
{
	for (uint32_t i = 0; i < l->nacb; i++) {
		if (l->acb[i] == s) {
			l->acb[i] = l->acb[--l->nacb];
			return;
		}
	}
}

int dialer_leads_remove(struct dialer_leads *l, uint64_t id)
{
	uint32_t *e = id_find(l, id), s;

	if (!e)
		return ENOENT;
	s = *e;
	if (l->lead[s].state == DIALER_LEAD_DIALING)
		return EBUSY;
	hremove(l, s);
	acb_remove(l, s);
	if (l->lead[s].state != DIALER_LEAD_DONE)
		l->open--;
	free(l->lead[s].phone);
	l->lead[s].phone = NULL;
	*e = TOMB;
	l->nlive--;
	l->freeslots[l->nfree++] = s;
	return 0;
}

size_t dialer_leads_open(const struct dialer_leads *l)
{
	return l->open;
}

/* ---- do-not-call ---- */

/* The set is a string map whose value is non-NULL for a listed number: a removal
 * stores NULL, so nothing is ever deleted from the map (removals are rare). */
int dialer_dnc_add(struct dialer_leads *l, const char *phone)
{
	return strmap_put(l->dnc, phone, (void *)1);
}

int dialer_dnc_remove(struct dialer_leads *l, const char *phone)
{
	if (!strmap_get(l->dnc, phone))
		return ENOENT;
	return strmap_put(l->dnc, phone, NULL);
}

bool dialer_dnc_has(const struct dialer_leads *l, const char *phone)
{
	return strmap_get(l->dnc, phone) != NULL;
}

/* ---- picking ---- */

static void close_lead(struct dialer_leads *l, struct dialer__lead *d)
{
	if (d->state != DIALER_LEAD_DONE)
		l->open--;
	d->state = DIALER_LEAD_DONE;
	d->next_ms = DIALER_NEVER;
}

/* Moves due sleepers to the ready heap or, for one agent's callbacks, to its list. */
static void wake(struct dialer_leads *l, int64_t now_ms)
{
	while (l->sleep.n) {
		uint32_t s = l->sleep.v[0];
		if (l->lead[s].next_ms > now_ms)
			break;
		hremove(l, s);
		if (l->lead[s].callback && l->lead[s].agent != DIALER__ANY)
			l->acb[l->nacb++] = s;
		else
			hpush(l, H_READY, s);
	}
}

/* Checks a due lead: 0 to dial it, 1 when it was put to sleep, 2 when closed (DNC). */
static int check(struct dialer_leads *l, uint32_t s, int64_t now_ms)
{
	struct dialer__lead *d = &l->lead[s];
	int32_t off = dialer__offset(&l->r, d->tz, now_ms), day, minute;
	int64_t open;

	if (dialer_dnc_has(l, d->phone)) {
		close_lead(l, d);
		return 2;
	}
	dialer_local(now_ms, off, &day, &minute);
	if (l->r.max_per_day && d->day == day && d->day_attempts >= l->r.max_per_day)
		open = dialer__next_open(&l->r, d->tz, now_ms, true);
	else if (!dialer__in_window(&l->r, day, minute))
		open = dialer__next_open(&l->r, d->tz, now_ms, false);
	else
		return 0;
	d->next_ms = open;
	d->wsleep = true;
	if (open != DIALER_NEVER)
		hpush(l, H_SLEEP, s);
	return 1;
}

int dialer_leads_next(struct dialer_leads *l, int64_t now_ms, uint32_t agent,
		      struct dialer_pick *out)
{
	struct dialer__lead *d;
	uint32_t s;
	int32_t day, minute;
	int rc;

	wake(l, now_ms);
	for (;;) {
		bool found = false;
		if (agent != DIALER__ANY) {
			for (uint32_t i = 0; i < l->nacb; i++) {
				if (l->lead[l->acb[i]].agent == agent) {
					s = l->acb[i];
					l->acb[i] = l->acb[--l->nacb];
					found = true;
					break;
				}
			}
		}
		if (!found) {
			if (!l->ready.n)
				return ENOENT;
			s = l->ready.v[0];
			hremove(l, s);
		}
		rc = check(l, s, now_ms);
		if (rc == 1)
			continue;
		d = &l->lead[s];
		out->id = d->id;
		out->phone = d->phone;
		out->callback = d->callback;
		out->agent = d->agent;
		if (rc == 2) {
			out->kind = DIALER_PICK_DNC;
			out->attempt = d->attempts;
			return 0;
		}
		dialer_local(now_ms, dialer__offset(&l->r, d->tz, now_ms), &day, &minute);
		if (d->day != day) {
			d->day = day;
			d->day_attempts = 0;
		}
		d->attempts++;
		d->day_attempts++;
		d->state = DIALER_LEAD_DIALING;
		out->kind = DIALER_PICK_DIAL;
		out->attempt = d->attempts;
		return 0;
	}
}

int64_t dialer_leads_wake(const struct dialer_leads *l)
{
	return l->sleep.n ? l->lead[l->sleep.v[0]].next_ms : DIALER_NEVER;
}

static void status_of(const struct dialer__lead *d, struct dialer_lead_status *out)
{
	if (!out)
		return;
	out->state = (enum dialer_lead_state)d->state;
	out->attempts = d->attempts;
	out->next_ms = d->next_ms;
	out->last = (enum dialer_result)d->last;
	out->callback = d->callback;
	out->agent = d->callback ? d->agent : DIALER__ANY;
}

static void sleep_until(struct dialer_leads *l, uint32_t s, int64_t at_ms)
{
	struct dialer__lead *d = &l->lead[s];

	d->state = DIALER_LEAD_READY;
	d->next_ms = at_ms;
	d->wsleep = false;
	d->seq = l->seq++;
	hpush(l, H_SLEEP, s);
}

int dialer_leads_result(struct dialer_leads *l, uint64_t id, enum dialer_result r, int64_t now_ms,
			struct dialer_lead_status *out)
{
	uint32_t *e = id_find(l, id);
	struct dialer__lead *d;

	if (r >= DIALER_R_COUNT)
		return EINVAL;
	if (!e)
		return ENOENT;
	d = &l->lead[*e];
	if (d->state != DIALER_LEAD_DIALING)
		return EINVAL;
	d->last = (uint8_t)r;
	d->callback = false;
	d->agent = DIALER__ANY;
	if (r == DIALER_R_PERSON)
		d->state = DIALER_LEAD_WAITING;
	else if (l->r.closes[r] || d->attempts >= l->r.max_attempts)
		close_lead(l, d);
	else
		sleep_until(l, *e, now_ms + (int64_t)l->r.retry_ms[r]);
	status_of(d, out);
	return 0;
}

int dialer_leads_dispose(struct dialer_leads *l, uint64_t id, enum dialer_dispose how,
			 int64_t at_ms, uint32_t agent, struct dialer_lead_status *out)
{
	uint32_t *e = id_find(l, id);
	struct dialer__lead *d;

	if (!e)
		return ENOENT;
	d = &l->lead[*e];
	if (d->state == DIALER_LEAD_READY && d->last == DIALER_R_PERSON) {
		/* Disposed after its call (in wrap-up): the disposition replaces the retry
		 * the call's end scheduled. */
		acb_remove(l, *e);
		hremove(l, *e);
	} else if (d->state == DIALER_LEAD_DONE && d->last == DIALER_R_PERSON) {
		/* Closed by its call's end (its last attempt): open again for what the
		 * disposition says. */
		d->state = DIALER_LEAD_READY;
		l->open++;
	} else if (d->state != DIALER_LEAD_DIALING && d->state != DIALER_LEAD_WAITING) {
		return EINVAL;
	}
	switch (how) {
	case DIALER_DISPOSE_CLOSE:
		close_lead(l, d);
		break;
	case DIALER_DISPOSE_RETRY:
		if (d->attempts >= l->r.max_attempts)
			close_lead(l, d);
		else
			sleep_until(l, *e, at_ms);
		break;
	case DIALER_DISPOSE_CALLBACK:
		d->callback = true;
		d->agent = agent;
		sleep_until(l, *e, at_ms);
		break;
	default:
		return EINVAL;
	}
	status_of(d, out);
	return 0;
}

int dialer_leads_callback(struct dialer_leads *l, uint64_t id, int64_t at_ms, uint32_t agent,
			  struct dialer_lead_status *out)
{
	uint32_t *e = id_find(l, id);
	struct dialer__lead *d;

	if (!e)
		return ENOENT;
	d = &l->lead[*e];
	if (d->state == DIALER_LEAD_DONE) {
		/* Closed, and now agreed to be called back: open again. */
		d->state = DIALER_LEAD_READY;
		l->open++;
	} else if (d->state != DIALER_LEAD_READY) {
		return EBUSY;
	}
	acb_remove(l, *e);
	hremove(l, *e);
	d->callback = true;
	d->agent = agent;
	sleep_until(l, *e, at_ms);
	status_of(d, out);
	return 0;
}

size_t dialer_leads_release(struct dialer_leads *l, int64_t now_ms, int64_t grace_ms,
			    dialer_present_h *present, void *arg, uint64_t *ids, size_t max)
{
	size_t n = 0;

	wake(l, now_ms);
	for (uint32_t i = 0; i < l->nacb;) {
		uint32_t s = l->acb[i];
		struct dialer__lead *d = &l->lead[s];
		if (d->next_ms > now_ms - grace_ms || present(arg, d->agent)) {
			i++;
			continue;
		}
		l->acb[i] = l->acb[--l->nacb];
		d->agent = DIALER__ANY;
		hpush(l, H_READY, s);
		if (n < max)
			ids[n] = d->id;
		n++;
	}
	return n;
}

int dialer_leads_unpick(struct dialer_leads *l, uint64_t id, int64_t now_ms)
{
	uint32_t *e = id_find(l, id);
	struct dialer__lead *d;

	(void)now_ms;
	if (!e)
		return ENOENT;
	d = &l->lead[*e];
	if (d->state != DIALER_LEAD_DIALING)
		return EINVAL;
	d->attempts--;
	if (d->day_attempts)
		d->day_attempts--;
	d->state = DIALER_LEAD_READY;
	if (d->callback && d->agent != DIALER__ANY)
		l->acb[l->nacb++] = *e;
	else
		hpush(l, H_READY, *e);
	return 0;
}

int dialer_leads_status(const struct dialer_leads *l, uint64_t id, struct dialer_lead_status *out)
{
	const uint32_t *e = id_find(l, id);

	if (!e)
		return ENOENT;
	status_of(&l->lead[*e], out);
	return 0;
}
