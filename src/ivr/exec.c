/*
 * The interpreter: entering nodes and reacting to events. A step (start or one event)
 * runs node after node until one has to wait (for a prompt to end, a digit, a timer,
 * a lookup or HTTP result, a recording or a transfer) or the call is handed on. What
 * the engine must do is appended to the step's actions; the next timer goes in
 * wake_at. No I/O, no clock: `now` is given with each step.
 *
 * Digits typed while the flow is busy (a lookup, an HTTP dip, a prompt with barge-in)
 * are kept as type-ahead for the next menu or collect, as callers who know a menu
 * expect.
 */
#include "ivr/ivr_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct ivr_node *cur(const struct ivr_session *s)
{
	return &s->flow->nodes[s->node];
}

static void finish(struct ivr_session *s)
{
	s->done = true;
	s->wait = IVR_WAIT_DONE;
	s->wake_at = 0;
	s->pending = -1;
}

static void hangup(struct ivr_session *s, const char *why)
{
	struct ivr_action *a;

	if (s->playing) {
		/* The hangup ends the play anyway; no STOP_PLAY needed. */
		s->playing = false;
	}
	a = ivr__act(s, IVR_ACT_HANGUP);
	if (!a) {
		/* The action list is full: make room for the one action that matters. */
		s->nacts--;
		a = ivr__act(s, IVR_ACT_HANGUP);
	}
	ivr__path(s, IVR_PATH_END, 0, "%s", why);
	finish(s);
}

static void fail_run(struct ivr_session *s, const char *what)
{
	ivr__path(s, IVR_PATH_ERROR, 0, "%s", what);
	hangup(s, "hangup");
}

/* Goes to the node in `slot`, or hangs up when the flow says nothing more. */
static void follow(struct ivr_session *s, int slot)
{
	int idx = cur(s)->link[slot].idx;

	if (idx >= 0)
		s->pending = idx;
	else
		hangup(s, "hangup");
}

static void ahead_push(struct ivr_session *s, char d)
{
	if (s->nahead < IVR_MAX_DIGITS) {
		s->ahead[s->nahead++] = d;
		s->ahead[s->nahead] = '\0';
	}
}

static char ahead_pop(struct ivr_session *s)
{
	char d;

	if (!s->nahead)
		return 0;
	d = s->ahead[0];
	memmove(s->ahead, s->ahead + 1, s->nahead--);
	return d;
}

/* ---- media items ---- */

static void item_file(struct ivr_session *s, const char *path)
{
	struct ivr_item *it = ivr__item(s);

	if (it) {
		it->kind = IVR_ITEM_FILE;
		it->path = path;
	}
}

static void item_prompt(struct ivr_session *s, const char *name)
{
	char path[1024];

	item_file(s, ivr__sdup(s, ivr_prompt_path(path, sizeof(path), s->flow->prompt_dir, s->lang,
						  name)));
}

static void item_tts(struct ivr_session *s, const char *text, const struct ivr_part *pt)
{
	struct ivr_item *it = ivr__item(s);

	if (!it)
		return;
	it->kind = IVR_ITEM_TTS;
	it->text = ivr__sdup(s, text);
	it->lang = pt && pt->lang ? pt->lang : ivr__sdup(s, s->lang);
	it->voice = pt ? pt->voice : NULL;
	it->rate = pt ? pt->rate : 0;
}

static void say_part(struct ivr_session *s, const struct ivr_part *pt, const char *value)
{
	const char *names[64];
	char text[IVR_MAX_VALUE + 64];
	size_t n = 0;

	while (isspace((unsigned char)*value))
		value++;
	if (pt->say == IVR_SAY_NUMBER) {
		char *end;
		long v = strtol(value, &end, 10);
		while (isspace((unsigned char)*end))
			end++;
		if (*value && !*end && isdigit((unsigned char)value[0]))
			n = ivr_say_number(s->lang, v, pt->unit, names, 64);
	} else if (pt->say == IVR_SAY_DIGITS && ivr_say_supported(s->lang)) {
		n = ivr__say_digits(value, names, 64);
	} else if (pt->say != IVR_SAY_NUMBER && pt->say != IVR_SAY_DIGITS) {
		if (ivr__say_text(s->lang, pt->say, value, pt->currency, text, sizeof(text)) == 0) {
			item_tts(s, text, NULL);
			return;
		}
	}
	if (n) {
		for (size_t i = 0; i < n; i++)
			item_prompt(s, names[i]);
		return;
	}
	if (!*value)
		return;
	/* No prompt set for this language, or a value that is not a number: let TTS read it
	 * (digits one by one for `digits`). */
	if (pt->say == IVR_SAY_DIGITS) {
		size_t o = 0;
		for (const char *p = value; *p && o + 3 < sizeof(text); p++)
			if (isdigit((unsigned char)*p)) {
				text[o++] = *p;
				text[o++] = ' ';
			}
		text[o] = '\0';
		item_tts(s, text, NULL);
	} else {
		item_tts(s, value, NULL);
	}
}

static void add_part(struct ivr_session *s, const struct ivr_part *pt)
{
	char buf[IVR_MAX_VALUE + 1];
	struct ivr_item *it;

	switch (pt->kind) {
	case IVR_PART_FILE:
		item_file(s, pt->path);
		break;
	case IVR_PART_PROMPT:
		item_prompt(s, pt->name);
		break;
	case IVR_PART_TTS:
		ivr__tpl_expand(pt->text.text, ivr__var_lookup, s, buf, sizeof(buf));
		if (*buf)
			item_tts(s, buf, pt);
		break;
	case IVR_PART_SILENCE:
		it = ivr__item(s);
		if (it) {
			it->kind = IVR_ITEM_SILENCE;
			it->duration_ms = pt->ms;
		}
		break;
	case IVR_PART_SAY:
		ivr__tpl_expand(pt->text.text, ivr__var_lookup, s, buf, sizeof(buf));
		say_part(s, pt, buf);
		break;
	}
}

static void add_prompt(struct ivr_session *s, const struct ivr_prompt *p)
{
	for (size_t i = 0; p && i < p->n; i++)
		add_part(s, &p->parts[i]);
}

/* Emits a PLAY of the items added since `first`; false when there is nothing to play. */
static bool play_from(struct ivr_session *s, size_t first, bool barge_in)
{
	struct ivr_action *a;

	if (s->nitems == first)
		return false;
	a = ivr__act(s, IVR_ACT_PLAY);
	if (!a)
		return false;
	a->u.play.id = ++s->play_seq;
	a->u.play.items = &s->items[first];
	a->u.play.nitems = s->nitems - first;
	a->u.play.barge_in = barge_in;
	s->play_id = a->u.play.id;
	s->playing = true;
	return true;
}

static bool play(struct ivr_session *s, const struct ivr_prompt *a, const struct ivr_prompt *b,
		 bool barge_in)
{
	size_t first = s->nitems;

	add_prompt(s, a);
	add_prompt(s, b);
	return play_from(s, first, barge_in);
}

static void stop_play(struct ivr_session *s)
{
	if (s->playing) {
		ivr__act(s, IVR_ACT_STOP_PLAY);
		s->playing = false;
	}
}

static const char *expand(struct ivr_session *s, const struct ivr_tpl *t, const char *def)
{
	char buf[IVR_MAX_VALUE + 1];

	ivr__tpl_expand(t->text ? t->text : def, ivr__var_lookup, s, buf, sizeof(buf));
	return ivr__sdup(s, buf);
}

static void fill_route(struct ivr_session *s, const struct ivr_node *n, struct ivr_act_route *r)
{
	struct ivr_skill *sk = ivr__salloc(s, (s->nskills + n->nskills + 1) * sizeof(*sk));
	size_t k = 0;

	r->priority = n->priority >= 0 ? n->priority : s->priority;
	if (!sk)
		return;
	for (size_t i = 0; i < s->nskills; i++)
		sk[k++] = s->skills[i];
	for (size_t i = 0; i < n->nskills; i++) {
		size_t j;
		for (j = 0; j < k && strcmp(sk[j].name, n->skills[i].name); j++)
			;
		sk[j].name = n->skills[i].name;
		sk[j].level = n->skills[i].level;
		if (j == k)
			k++;
	}
	r->skills = sk;
	r->nskills = k;
}

/* ---- menu and collect ---- */

static void expect_digits(struct ivr_session *s, const struct ivr_node *n)
{
	struct ivr_action *a = ivr__act(s, IVR_ACT_COLLECT);

	if (!a)
		return;
	a->u.collect.min = n->type == IVR_NODE_MENU ? 1 : n->min;
	a->u.collect.max = n->type == IVR_NODE_MENU ? 1 : n->max;
	a->u.collect.terminator = n->type == IVR_NODE_MENU ? 0 : n->terminator;
	a->u.collect.timeout_ms = n->timeout_ms;
	a->u.collect.inter_ms = n->type == IVR_NODE_MENU ? n->timeout_ms : n->inter_ms;
}

/* Plays `pre` (an invalid/no-input message or nothing) and the node's prompt, then waits
 * for digits; the timeout runs from the end of the prompt. */
static void prompt_for_input(struct ivr_session *s, const struct ivr_prompt *pre)
{
	const struct ivr_node *n = cur(s);

	s->ndigits = 0;
	s->digits[0] = '\0';
	s->wait = IVR_WAIT_INPUT;
	if (!play(s, pre, &n->prompt, n->barge_in))
		s->wake_at = s->now + n->timeout_ms;
	else
		s->wake_at = 0;
	expect_digits(s, n);
}

static void input_failed(struct ivr_session *s, enum ivr_fail why)
{
	const struct ivr_node *n = cur(s);
	int slot = why == IVR_FAIL_INVALID ? IVR_SLOT_INVALID : IVR_SLOT_NO_INPUT;

	s->nahead = 0;
	if (++s->attempts <= n->retries) {
		prompt_for_input(s, why == IVR_FAIL_INVALID ? &n->invalid_prompt
							    : &n->no_input_prompt);
		return;
	}
	if (n->link[slot].idx == s->node) {
		/* The branch leads back here: start counting again, with the message. */
		s->attempts = 0;
		prompt_for_input(s, why == IVR_FAIL_INVALID ? &n->invalid_prompt
							    : &n->no_input_prompt);
		return;
	}
	stop_play(s);
	if (n->link[slot].idx >= 0) {
		s->pending = n->link[slot].idx;
		return;
	}
	ivr__path(s, IVR_PATH_ERROR, 0, "retries exhausted");
	hangup(s, "hangup");
}

static void menu_digit(struct ivr_session *s, char d)
{
	const struct ivr_node *n = cur(s);
	const char *at = strchr(ivr__option_keys, d);
	int idx = at && d ? n->link[IVR_SLOT_OPT + (at - ivr__option_keys)].idx : -1;
	char dig[2] = {d, 0};

	stop_play(s);
	if (idx < 0) {
		ivr__path(s, IVR_PATH_INVALID, 0, "%c", d);
		input_failed(s, IVR_FAIL_INVALID);
		return;
	}
	ivr__path(s, IVR_PATH_DIGIT, 0, "%c", d);
	ivr__var_set(s, "digits", dig);
	s->pending = idx;
}

/* Card numbers (Luhn-checked entries) never reach the path log in full. */
static const char *shown(const struct ivr_node *n, const char *digits, char *buf, size_t size)
{
	size_t len = strlen(digits);

	if (!n->luhn)
		return digits;
	snprintf(buf, size, "%.*s%s", (int)(len > 4 ? len - 4 : 0),
		 "********************************", len > 4 ? digits + len - 4 : "");
	return buf;
}

static void collect_finish(struct ivr_session *s)
{
	const struct ivr_node *n = cur(s);
	char masked[IVR_MAX_DIGITS + 1];
	bool ok = s->ndigits >= n->min && s->ndigits <= n->max;

	if (ok && n->has_re)
		ok = regexec(&n->re, s->digits, 0, NULL, 0) == 0;
	if (ok && n->luhn)
		ok = ivr__luhn_ok(s->digits);
	s->wake_at = 0;
	if (!ok) {
		ivr__path(s, IVR_PATH_INVALID, 0, "%s",
			  shown(n, s->digits, masked, sizeof(masked)));
		input_failed(s, IVR_FAIL_INVALID);
		return;
	}
	ivr__path(s, IVR_PATH_DIGIT, 0, "%s", shown(n, s->digits, masked, sizeof(masked)));
	if (n->var)
		ivr__var_set(s, n->var, s->digits);
	ivr__var_set(s, "digits", s->digits);
	follow(s, IVR_SLOT_NEXT);
}

static void collect_digit(struct ivr_session *s, char d)
{
	const struct ivr_node *n = cur(s);

	if (s->playing) {
		if (!n->barge_in)
			return; /* the prompt must be heard first */
		stop_play(s);
	}
	if (n->terminator && d == n->terminator) {
		collect_finish(s);
		return;
	}
	if (!isdigit((unsigned char)d) && d != '*' && d != '#')
		return;
	if (s->ndigits < IVR_MAX_DIGITS) {
		s->digits[s->ndigits++] = d;
		s->digits[s->ndigits] = '\0';
	}
	if (s->ndigits >= n->max) {
		collect_finish(s);
		return;
	}
	s->wake_at = s->now + n->inter_ms;
}

static void input_digit(struct ivr_session *s, char d)
{
	if (cur(s)->type == IVR_NODE_MENU)
		menu_digit(s, d);
	else
		collect_digit(s, d);
}

static void enter_input(struct ivr_session *s)
{
	const struct ivr_node *n = cur(s);

	s->attempts = 0;
	s->ndigits = 0;
	s->digits[0] = '\0';
	if (!s->nahead) {
		prompt_for_input(s, NULL);
		return;
	}
	/* Type-ahead: the caller already answered; skip the prompt. */
	s->wait = IVR_WAIT_INPUT;
	s->wake_at = s->now + (n->type == IVR_NODE_MENU ? n->timeout_ms : n->inter_ms);
	expect_digits(s, n);
	while (s->nahead && s->wait == IVR_WAIT_INPUT && s->pending < 0 && !s->done &&
	       s->node == (int)(n - s->flow->nodes) && s->ndigits < IVR_MAX_DIGITS) {
		char d = ahead_pop(s);
		input_digit(s, d);
		if (n->type == IVR_NODE_MENU)
			break;
	}
}

/* ---- nodes that speak, then act ---- */

static void act_enqueue(struct ivr_session *s, const struct ivr_node *n)
{
	struct ivr_action *a = ivr__act(s, IVR_ACT_ENQUEUE);

	if (!a) {
		fail_run(s, "too many actions");
		return;
	}
	a->u.route.queue = n->queue;
	fill_route(s, n, &a->u.route);
	ivr__path(s, IVR_PATH_END, 0, "queue:%s", n->queue);
	finish(s);
}

static void act_transfer(struct ivr_session *s, const struct ivr_node *n)
{
	struct ivr_action *a = ivr__act(s, IVR_ACT_TRANSFER);

	if (!a) {
		fail_run(s, "too many actions");
		return;
	}
	a->u.route.user = n->user;
	a->u.route.number = n->user ? NULL : expand(s, &n->number, "");
	a->u.route.trunk = n->trunk;
	a->u.route.priority = -1;
	a->u.route.wait_result = n->link[IVR_SLOT_FAILED].idx >= 0;
	if (a->u.route.wait_result) {
		s->wait = IVR_WAIT_TRANSFER;
		return;
	}
	ivr__path(s, IVR_PATH_END, 0, "transfer:%s",
		  n->user	      ? n->user
		  : a->u.route.number ? a->u.route.number
				      : "");
	finish(s);
}

static void act_record(struct ivr_session *s, const struct ivr_node *n)
{
	struct ivr_action *a = ivr__act(s, IVR_ACT_RECORD);

	if (!a) {
		fail_run(s, "too many actions");
		return;
	}
	a->u.route.queue = n->queue;
	a->u.route.max_ms = n->max_ms;
	fill_route(s, n, &a->u.route);
	s->phase = 1;
	s->wait = IVR_WAIT_RECORD;
	/* A backstop in case the engine never reports the recording's end. */
	s->wake_at = s->now + n->max_ms + 10000;
}

static void act_callback(struct ivr_session *s, const struct ivr_node *n)
{
	struct ivr_action *a = ivr__act(s, IVR_ACT_CALLBACK);

	if (!a) {
		fail_run(s, "too many actions");
		return;
	}
	a->u.route.number = expand(s, &n->number, "{caller}");
	a->u.route.queue = n->queue;
	fill_route(s, n, &a->u.route);
	follow(s, IVR_SLOT_NEXT);
}

/* What a node does once its prompt has been played. */
static void after_prompt(struct ivr_session *s)
{
	const struct ivr_node *n = cur(s);

	s->wait = IVR_WAIT_NONE;
	switch (n->type) {
	case IVR_NODE_PLAY:
		follow(s, IVR_SLOT_NEXT);
		break;
	case IVR_NODE_QUEUE:
		act_enqueue(s, n);
		break;
	case IVR_NODE_TRANSFER:
		act_transfer(s, n);
		break;
	case IVR_NODE_VOICEMAIL:
		act_record(s, n);
		break;
	case IVR_NODE_CALLBACK:
		act_callback(s, n);
		break;
	default:
		hangup(s, "hangup");
		break;
	}
}

static void enter_spoken(struct ivr_session *s, const struct ivr_node *n)
{
	size_t first = s->nitems;

	add_prompt(s, &n->prompt);
	if (n->type == IVR_NODE_VOICEMAIL && n->beep)
		item_prompt(s, "beep");
	if (play_from(s, first, n->type == IVR_NODE_PLAY && n->barge_in)) {
		s->wait = IVR_WAIT_PLAY;
		return;
	}
	after_prompt(s);
}

/* ---- data nodes ---- */

static void enter_set(struct ivr_session *s, const struct ivr_node *n)
{
	char buf[IVR_MAX_VALUE + 1];

	for (size_t i = 0; i < n->nassigns; i++) {
		ivr__tpl_expand(n->assigns[i].value.text, ivr__var_lookup, s, buf, sizeof(buf));
		if (!strcmp(n->assigns[i].name, "lang")) {
			if (ivr__valid_lang(buf))
				memcpy(s->lang, buf, strlen(buf) + 1);
			continue;
		}
		if (ivr__var_set(s, n->assigns[i].name, buf))
			ivr__path(s, IVR_PATH_ERROR, 0, "cannot set %s", n->assigns[i].name);
	}
	if (n->lang)
		snprintf(s->lang, sizeof(s->lang), "%s", n->lang);
	if (n->priority >= 0)
		s->priority = n->priority;
	for (size_t i = 0; i < n->nskills; i++) {
		size_t j;
		for (j = 0; j < s->nskills && strcmp(s->skills[j].name, n->skills[i].name); j++)
			;
		if (j == IVR_MAX_SKILLS)
			break;
		s->skills[j].name = n->skills[i].name;
		s->skills[j].level = n->skills[i].level;
		if (j == s->nskills)
			s->nskills++;
	}
	follow(s, IVR_SLOT_NEXT);
}

static void enter_condition(struct ivr_session *s, const struct ivr_node *n)
{
	for (size_t i = 0; i < n->ncases; i++)
		if (ivr__expr_eval(n->cases[i].expr, ivr__var_lookup, s)) {
			s->pending = n->cases[i].link.idx;
			return;
		}
	follow(s, IVR_SLOT_ELSE);
}

static void enter_hours(struct ivr_session *s, const struct ivr_node *n)
{
	static const char *const names[] = {"open", "closed", "holiday"};
	enum ivr_hours_state st = ivr_calendar_state(n->cal, s->now);

	ivr__path(s, IVR_PATH_HOURS, 0, "%s", names[st]);
	if (st == IVR_HOURS_OPEN)
		follow(s, IVR_SLOT_OPEN);
	else if (st == IVR_HOURS_HOLIDAY && n->link[IVR_SLOT_HOLIDAY].idx >= 0)
		follow(s, IVR_SLOT_HOLIDAY);
	else
		follow(s, IVR_SLOT_CLOSED);
}

static void enter_lookup(struct ivr_session *s, const struct ivr_node *n)
{
	struct ivr_action *a = ivr__act(s, IVR_ACT_LOOKUP);

	if (!a) {
		fail_run(s, "too many actions");
		return;
	}
	a->u.lookup.number = expand(s, &n->number, "{caller}");
	a->u.lookup.timeout_ms = n->timeout_ms;
	s->wait = IVR_WAIT_LOOKUP;
	s->wake_at = s->now + n->timeout_ms;
}

static void lookup_outcome(struct ivr_session *s, int slot)
{
	const struct ivr_node *n = cur(s);

	s->wait = IVR_WAIT_NONE;
	s->wake_at = 0;
	if (slot == IVR_SLOT_ERROR && n->link[slot].idx < 0)
		slot = IVR_SLOT_NOT_FOUND;
	if (n->link[slot].idx < 0)
		slot = IVR_SLOT_NEXT;
	follow(s, slot);
}

static struct ivr_kv *expand_kvs(struct ivr_session *s, const struct ivr_assign *a, size_t n)
{
	struct ivr_kv *kv = n ? ivr__kvs(s, n) : NULL;

	for (size_t i = 0; kv && i < n; i++) {
		kv[i].name = a[i].name;
		kv[i].value = expand(s, &a[i].value, "");
	}
	return kv;
}

static void enter_http(struct ivr_session *s, const struct ivr_node *n)
{
	struct ivr_action *a = ivr__act(s, IVR_ACT_HTTP);

	if (!a) {
		fail_run(s, "too many actions");
		return;
	}
	a->u.http.id = s->http_id = ++s->http_seq;
	a->u.http.method = n->method;
	a->u.http.url = expand(s, &n->url, "");
	a->u.http.headers = expand_kvs(s, n->headers, n->nheaders);
	a->u.http.nheaders = a->u.http.headers ? n->nheaders : 0;
	a->u.http.fields = expand_kvs(s, n->fields, n->nfields);
	a->u.http.nfields = a->u.http.fields ? n->nfields : 0;
	a->u.http.timeout_ms = n->timeout_ms;
	s->wait = IVR_WAIT_HTTP;
	/* The dip enforces the timeout; this backstop covers a lost result. */
	s->wake_at = s->now + n->timeout_ms + 1000;
}

static void http_result(struct ivr_session *s, const struct ivr_event *ev)
{
	const struct ivr_node *n = cur(s);
	bool ok = ev->ok && ev->status >= 200 && ev->status < 300;
	char name[256], st[16];

	s->wait = IVR_WAIT_NONE;
	s->wake_at = 0;
	snprintf(st, sizeof(st), "%d", ev->status);
	snprintf(name, sizeof(name), "%s.status", n->into);
	ivr__var_set(s, name, st);
	ivr__path(s, IVR_PATH_HTTP, ev->status, "%s",
		  ok			    ? "ok"
		  : ev->error && *ev->error ? ev->error
					    : "error");
	if (!ok) {
		snprintf(name, sizeof(name), "%s.error", n->into);
		ivr__var_set(s, name, ev->error ? ev->error : "error");
		follow(s, n->link[IVR_SLOT_ERROR].idx >= 0 ? IVR_SLOT_ERROR : IVR_SLOT_NEXT);
		return;
	}
	for (size_t i = 0; i < ev->nfields; i++) {
		snprintf(name, sizeof(name), "%s.%s", n->into, ev->fields[i].name);
		if (ivr__var_set(s, name, ev->fields[i].value ? ev->fields[i].value : ""))
			break;
	}
	for (size_t m = 0; m < n->nmap; m++)
		for (size_t i = 0; i < ev->nfields; i++)
			if (!strcmp(ev->fields[i].name, n->map[m].value.text)) {
				ivr__var_set(s, n->map[m].name,
					     ev->fields[i].value ? ev->fields[i].value : "");
				break;
			}
	follow(s, IVR_SLOT_NEXT);
}

static void enter_goto(struct ivr_session *s, const struct ivr_node *n)
{
	const struct ivr_flow *f =
	    !strcmp(n->flow, s->flow->name) ? s->flow : ivr_flowset_find(s->flow->set, n->flow);
	int idx;

	if (!f) {
		fail_run(s, "goto: flow not loaded");
		return;
	}
	idx = n->target ? ivr__node_find(f, n->target) : f->start;
	if (idx < 0) {
		fail_run(s, "goto: node not found");
		return;
	}
	s->flow = f;
	s->node = -1;
	s->pending = idx;
}

static void enter_node(struct ivr_session *s, int idx)
{
	const struct ivr_node *n = &s->flow->nodes[idx];

	stop_play(s);
	s->node = idx;
	s->phase = 0;
	s->wait = IVR_WAIT_NONE;
	s->wake_at = 0;
	ivr__path(s, IVR_PATH_NODE, 0, "%s", ivr__node_type_name(n->type));
	switch (n->type) {
	case IVR_NODE_PLAY:
	case IVR_NODE_QUEUE:
	case IVR_NODE_TRANSFER:
	case IVR_NODE_VOICEMAIL:
	case IVR_NODE_CALLBACK:
	case IVR_NODE_HANGUP:
		enter_spoken(s, n);
		break;
	case IVR_NODE_MENU:
	case IVR_NODE_COLLECT:
		enter_input(s);
		break;
	case IVR_NODE_SET:
		enter_set(s, n);
		break;
	case IVR_NODE_CONDITION:
		enter_condition(s, n);
		break;
	case IVR_NODE_HOURS:
		enter_hours(s, n);
		break;
	case IVR_NODE_LOOKUP:
		enter_lookup(s, n);
		break;
	case IVR_NODE_HTTP:
		enter_http(s, n);
		break;
	case IVR_NODE_GOTO:
		enter_goto(s, n);
		break;
	default:
		fail_run(s, "unknown node type");
		break;
	}
}

static void run(struct ivr_session *s)
{
	unsigned steps = 0;

	while (s->pending >= 0 && !s->done) {
		int idx = s->pending;
		s->pending = -1;
		if (++steps > IVR_MAX_STEPS) {
			fail_run(s, "too many nodes without waiting");
			break;
		}
		enter_node(s, idx);
	}
}

/* ---- events ---- */

static int on_digit(struct ivr_session *s, char d)
{
	const struct ivr_node *n = cur(s);

	if (!strchr("0123456789*#ABCD", d) || !d)
		return EINVAL;
	switch (s->wait) {
	case IVR_WAIT_INPUT:
		input_digit(s, d);
		return 0;
	case IVR_WAIT_PLAY:
		if (n->type == IVR_NODE_PLAY && n->barge_in) {
			stop_play(s);
			ahead_push(s, d);
			after_prompt(s);
		}
		return 0;
	case IVR_WAIT_LOOKUP:
	case IVR_WAIT_HTTP:
		ahead_push(s, d);
		return 0;
	default:
		return 0; /* nobody listens: the digit is dropped */
	}
}

static int on_timer(struct ivr_session *s)
{
	const struct ivr_node *n = cur(s);

	switch (s->wait) {
	case IVR_WAIT_INPUT:
		if (n->type == IVR_NODE_COLLECT && s->ndigits > 0) {
			collect_finish(s);
		} else {
			ivr__path(s, IVR_PATH_TIMEOUT, 0, "no input");
			input_failed(s, IVR_FAIL_NO_INPUT);
		}
		return 0;
	case IVR_WAIT_LOOKUP:
		ivr__path(s, IVR_PATH_LOOKUP, 0, "timeout");
		lookup_outcome(s, IVR_SLOT_ERROR);
		return 0;
	case IVR_WAIT_HTTP: {
		struct ivr_event ev = {.type = IVR_EV_HTTP_DONE, .error = "timeout"};
		http_result(s, &ev);
		return 0;
	}
	case IVR_WAIT_RECORD:
		ivr__path(s, IVR_PATH_ERROR, 0, "no recording result");
		follow(s, IVR_SLOT_NEXT);
		return 0;
	default:
		return 0;
	}
}

static int on_play_done(struct ivr_session *s, const struct ivr_event *ev)
{
	const struct ivr_node *n = cur(s);

	if (!s->playing || ev->id != s->play_id)
		return EINVAL; /* a play that was stopped or replaced */
	s->playing = false;
	if (!ev->ok)
		ivr__path(s, IVR_PATH_ERROR, 0, "play failed");
	if (s->wait == IVR_WAIT_INPUT) {
		s->wake_at = s->now + (s->ndigits ? n->inter_ms : n->timeout_ms);
		return 0;
	}
	if (s->wait == IVR_WAIT_PLAY)
		after_prompt(s);
	return 0;
}

static int on_lookup(struct ivr_session *s, const struct ivr_event *ev)
{
	const struct ivr_node *n = cur(s);
	char name[256];

	if (s->wait != IVR_WAIT_LOOKUP)
		return EINVAL;
	if (!ev->ok) {
		ivr__path(s, IVR_PATH_LOOKUP, 0, "not_found");
		lookup_outcome(s, IVR_SLOT_NOT_FOUND);
		return 0;
	}
	for (size_t i = 0; i < ev->nfields; i++) {
		snprintf(name, sizeof(name), "contact.%s", ev->fields[i].name);
		if (ivr__var_set(s, name, ev->fields[i].value ? ev->fields[i].value : ""))
			break;
	}
	if (n->vip_priority >= 0 && ivr__truthy(ivr__var_lookup(s, "contact.vip")))
		s->priority = n->vip_priority;
	ivr__path(s, IVR_PATH_LOOKUP, 0, "found");
	lookup_outcome(s, IVR_SLOT_FOUND);
	return 0;
}

static int on_record(struct ivr_session *s, const struct ivr_event *ev)
{
	if (s->wait != IVR_WAIT_RECORD)
		return EINVAL;
	s->wake_at = 0;
	if (!ev->ok)
		ivr__path(s, IVR_PATH_ERROR, 0, "voicemail not stored");
	follow(s, IVR_SLOT_NEXT);
	return 0;
}

static int on_transfer(struct ivr_session *s, const struct ivr_event *ev)
{
	const struct ivr_node *n = cur(s);

	if (s->wait != IVR_WAIT_TRANSFER)
		return EINVAL;
	if (ev->ok) {
		ivr__path(s, IVR_PATH_END, 0, "transfer:%s", n->user ? n->user : "number");
		finish(s);
		return 0;
	}
	ivr__path(s, IVR_PATH_ERROR, 0, "transfer failed");
	follow(s, IVR_SLOT_FAILED);
	return 0;
}

int ivr_session_start(const struct ivr_flow *flow, const struct ivr_kv *vars, size_t nvars,
		      int64_t now_ms, struct ivr_session **out)
{
	struct ivr_session *s;
	int rc = 0;

	if (!flow || flow->start < 0)
		return EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return ENOMEM;
	s->flow = flow;
	s->node = -1;
	s->priority = -1;
	snprintf(s->lang, sizeof(s->lang), "%s", flow->lang);
	for (size_t i = 0; i < nvars && !rc; i++) {
		if (!vars[i].name || !vars[i].value)
			continue;
		if (!strcmp(vars[i].name, "lang")) {
			if (ivr__valid_lang(vars[i].value))
				snprintf(s->lang, sizeof(s->lang), "%s", vars[i].value);
			continue;
		}
		rc = ivr__var_set(s, vars[i].name, vars[i].value);
	}
	if (rc == ENOMEM) {
		ivr_session_free(s);
		return rc;
	}
	ivr__step_begin(s, now_ms);
	s->pending = flow->start;
	run(s);
	*out = s;
	return 0;
}

int ivr_session_event(struct ivr_session *s, const struct ivr_event *ev, int64_t now_ms)
{
	int rc = 0;

	if (!s || !ev || s->done)
		return EINVAL;
	ivr__step_begin(s, now_ms);
	switch (ev->type) {
	case IVR_EV_HANGUP:
		s->playing = false;
		ivr__path(s, IVR_PATH_END, 0, "caller_hangup");
		finish(s);
		return 0;
	case IVR_EV_TIMER:
		if (!s->wake_at || now_ms < s->wake_at)
			return 0; /* early or stale: nothing is due */
		s->wake_at = 0;
		rc = on_timer(s);
		break;
	case IVR_EV_DIGIT:
		rc = on_digit(s, ev->digit);
		break;
	case IVR_EV_PLAY_DONE:
		rc = on_play_done(s, ev);
		break;
	case IVR_EV_LOOKUP_DONE:
		rc = on_lookup(s, ev);
		break;
	case IVR_EV_HTTP_DONE:
		if (s->wait != IVR_WAIT_HTTP || ev->id != s->http_id)
			return EINVAL;
		http_result(s, ev);
		break;
	case IVR_EV_RECORD_DONE:
		rc = on_record(s, ev);
		break;
	case IVR_EV_TRANSFER_DONE:
		rc = on_transfer(s, ev);
		break;
	default:
		return EINVAL;
	}
	run(s);
	return rc;
}
