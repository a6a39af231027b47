/*
 * Interpreter tests, part two: hours, lookup, http, queue, transfer, voicemail,
 * callback, goto and hangup nodes, `say` parts and time variables, driven by a fake
 * engine and a fake clock.
 */
#include "test_ivr_fixture.h"

static const char *const hours_flow =
    "start: h\n"
    "nodes:\n"
    "  h:\n"
    "    type: hours\n"
    "    calendar:\n"
    "      timezone: Europe/Warsaw\n"
    "      weekly: {mon-fri: '08:00-18:00'}\n"
    "      holidays: ['12-25', {date: 2026-12-24, hours: '08:00-12:00'}]\n"
    "    open: in\n"
    "    closed: out\n"
    "    holiday: feast\n"
    "  in: {type: queue, queue: sales}\n"
    "  out: {type: hangup, prompt: closed}\n"
    "  feast: {type: queue, queue: support}\n";

static const char *hours_outcome(const char *iso)
{
	static char out[64];
	struct fx f;
	const struct ivr_action *a;

	fx_load(&f, hours_flow);
	f.now = fx_time(iso);
	fx_start(&f);
	a = fx_find(&f, IVR_ACT_ENQUEUE);
	snprintf(out, sizeof(out), "%s",
		 a			     ? a->u.route.queue
		 : fx_find(&f, IVR_ACT_PLAY) ? "closed"
					     : "?");
	fx_done(&f);
	return out;
}

static void test_hours_open_closed_and_holiday_branches(void **state)
{
	/* Monday 2026-11-23: 08:00 local is 07:00 UTC (CET). */
	assert_string_equal(hours_outcome("2026-11-23T06:59:00Z"), "closed");
	assert_string_equal(hours_outcome("2026-11-23T07:00:00Z"), "sales");
	assert_string_equal(hours_outcome("2026-11-23T16:59:00Z"), "sales");
	assert_string_equal(hours_outcome("2026-11-23T17:00:00Z"), "closed");
	assert_string_equal(hours_outcome("2026-11-28T10:00:00Z"), "closed");  /* Saturday */
	assert_string_equal(hours_outcome("2026-12-25T10:00:00Z"), "support"); /* Friday */
	assert_string_equal(hours_outcome("2026-12-24T10:00:00Z"), "sales");   /* 11:00 */
	assert_string_equal(hours_outcome("2026-12-24T11:00:00Z"), "support"); /* 12:00 */
}

static void test_hours_node_on_the_new_york_dst_change_day(void **state)
{
	static const char *const ny = "start: h\n"
				      "nodes:\n"
				      "  h: {type: hours, calendar: {timezone: America/New_York, "
				      "weekly: {daily: '09:00-17:00'}}, open: in, closed: out}\n"
				      "  in: {type: queue, queue: sales}\n"
				      "  out: {type: queue, queue: support}\n";
	static const struct {
		const char *at, *queue;
	} cases[] = {
	    {"2026-03-07T13:59:00Z", "support"}, /* 08:59 EST */
	    {"2026-03-07T14:00:00Z", "sales"},	 /* 09:00 EST */
	    {"2026-03-08T12:59:00Z", "support"}, /* 08:59 EDT, the first day of DST */
	    {"2026-03-08T13:00:00Z", "sales"},	 /* 09:00 EDT */
	    {"2026-03-08T20:59:00Z", "sales"},	 /* 16:59 EDT */
	    {"2026-03-08T21:00:00Z", "support"}, /* 17:00 EDT */
	};
	struct fx f;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fx_load(&f, ny);
		f.now = fx_time(cases[i].at);
		fx_start(&f);
		assert_string_equal(fx_find(&f, IVR_ACT_ENQUEUE)->u.route.queue, cases[i].queue);
		fx_done(&f);
	}
}

static void test_hours_are_in_the_path_log(void **state)
{
	struct fx f;

	fx_load(&f, hours_flow);
	f.now = fx_time("2026-11-28T10:00:00Z");
	fx_start(&f);
	fx_expect_path_contains(&f, "hours:h:closed node:out:hangup");
	fx_play_done(&f);
	assert_non_null(fx_find(&f, IVR_ACT_HANGUP));
	fx_done(&f);
}

static const char *const lookup_flow =
    "start: who\n"
    "nodes:\n"
    "  who: {type: lookup, vip_priority: 90, timeout: 2s, "
    "found: hi, not_found: anon, error: broken}\n"
    "  hi: {type: play, tts: 'Dzień dobry, {contact.first_name}', "
    "next: q}\n"
    "  anon: {type: queue, queue: sales}\n"
    "  broken: {type: queue, queue: support}\n"
    "  q: {type: queue, queue: sales}\n";

static void test_lookup_found_sets_contact_and_vip_priority(void **state)
{
	const struct ivr_kv fields[] = {{"first_name", "Jan"}, {"vip", "true"}, {"id", "c-17"}};
	struct ivr_event ev = {
	    .type = IVR_EV_LOOKUP_DONE, .ok = true, .fields = fields, .nfields = 3};
	struct fx f;
	const struct ivr_action *a;
	size_t n;

	fx_load(&f, lookup_flow);
	fx_start(&f);
	a = fx_find(&f, IVR_ACT_LOOKUP);
	assert_non_null(a);
	assert_string_equal(a->u.lookup.number, "+48601234567");
	assert_int_equal(ivr_session_wake_at(f.s), f.now + 2000);
	f.now += 40;
	fx_event(&f, &ev);
	assert_string_equal(fx_play_items(&f, &n)[0].text, "Dzień dobry, Jan");
	assert_string_equal(ivr_session_var(f.s, "contact.id"), "c-17");
	fx_play_done(&f);
	a = fx_find(&f, IVR_ACT_ENQUEUE);
	assert_int_equal(a->u.route.priority, 90);
	fx_expect_path_contains(&f, "lookup:who:found");
	fx_done(&f);
}

static void test_lookup_not_found_branch(void **state)
{
	struct ivr_event ev = {.type = IVR_EV_LOOKUP_DONE, .ok = false};
	struct fx f;

	fx_load(&f, lookup_flow);
	fx_start(&f);
	fx_event(&f, &ev);
	assert_string_equal(fx_find(&f, IVR_ACT_ENQUEUE)->u.route.queue, "sales");
	assert_int_equal(fx_find(&f, IVR_ACT_ENQUEUE)->u.route.priority, -1);
	fx_expect_path_contains(&f, "lookup:who:not_found");
	fx_done(&f);
}

static void test_lookup_timeout_takes_error_branch(void **state)
{
	struct ivr_event late = {.type = IVR_EV_LOOKUP_DONE, .ok = true};
	struct fx f;

	fx_load(&f, lookup_flow);
	fx_start(&f);
	fx_timer(&f);
	assert_string_equal(fx_find(&f, IVR_ACT_ENQUEUE)->u.route.queue, "support");
	fx_expect_path_contains(&f, "lookup:who:timeout");
	assert_int_equal(fx_event(&f, &late), EINVAL);
	fx_done(&f);
}

static void test_digits_typed_during_a_lookup_answer_the_next_menu(void **state)
{
	struct ivr_event ev = {.type = IVR_EV_LOOKUP_DONE, .ok = false};
	struct fx f;

	fx_load(&f, "start: who\n"
		    "nodes:\n"
		    "  who: {type: lookup, next: m}\n"
		    "  m: {type: menu, prompt: m.wav, options: {'3': q}}\n"
		    "  q: {type: queue, queue: billing}\n");
	fx_start(&f);
	fx_digit(&f, '3');
	assert_int_equal(fx_nacts(&f), 0);
	fx_event(&f, &ev);
	assert_null(fx_find(&f, IVR_ACT_PLAY));
	assert_string_equal(fx_find(&f, IVR_ACT_ENQUEUE)->u.route.queue, "billing");
	fx_done(&f);
}

static const char *const http_flow =
    "start: acct\n"
    "nodes:\n"
    "  acct: {type: collect, prompt: acct.wav, var: account, max: 6, next: dip}\n"
    "  dip:\n"
    "    type: http\n"
    "    method: POST\n"
    "    url: 'http://127.0.0.1:9/balance?caller={caller}'\n"
    "    headers: {X-Tenant: acme}\n"
    "    params: {account: '{account}', lang: '{lang}'}\n"
    "    timeout: 3s\n"
    "    into: crm\n"
    "    map: {balance: customer.balance}\n"
    "    next: say\n"
    "    error: sorry\n"
    "  say:\n"
    "    type: play\n"
    "    prompt:\n"
    "      - {tts: 'Saldo'}\n"
    "      - {say: money, value: '{balance}', currency: PLN}\n"
    "    next: q\n"
    "  q: {type: queue, queue: billing}\n"
    "  sorry: {type: queue, queue: support}\n";

static void test_http_posts_variables_and_maps_the_json_reply(void **state)
{
	const struct ivr_kv fields[] = {{"customer.balance", "12.50"}, {"customer.name", "Ola"}};
	struct ivr_event ev = {
	    .type = IVR_EV_HTTP_DONE, .ok = true, .status = 200, .fields = fields, .nfields = 2};
	struct fx f;
	const struct ivr_action *a;
	size_t n;

	fx_load(&f, http_flow);
	fx_start(&f);
	fx_digits(&f, "123456");
	a = fx_find(&f, IVR_ACT_HTTP);
	assert_non_null(a);
	assert_string_equal(a->u.http.method, "POST");
	assert_string_equal(a->u.http.url, "http://127.0.0.1:9/balance?caller=+48601234567");
	assert_int_equal(a->u.http.nheaders, 1);
	assert_string_equal(a->u.http.headers[0].name, "X-Tenant");
	assert_string_equal(a->u.http.headers[0].value, "acme");
	assert_int_equal(a->u.http.nfields, 2);
	assert_string_equal(a->u.http.fields[0].value, "123456");
	assert_string_equal(a->u.http.fields[1].value, "pl");
	assert_int_equal(a->u.http.timeout_ms, 3000);
	ev.id = f.http_id;
	fx_event(&f, &ev);
	assert_string_equal(ivr_session_var(f.s, "balance"), "12.50");
	assert_string_equal(ivr_session_var(f.s, "crm.customer.name"), "Ola");
	assert_string_equal(ivr_session_var(f.s, "crm.status"), "200");
	assert_string_equal(fx_play_items(&f, &n)[1].text, "12 złotych 50 groszy");
	fx_expect_path_contains(&f, "http:dip:ok");
	fx_done(&f);
}

static void test_http_error_status_takes_the_error_branch(void **state)
{
	struct ivr_event ev = {
	    .type = IVR_EV_HTTP_DONE, .ok = false, .status = 500, .error = "HTTP 500"};
	struct fx f;
	struct ivr_path_entry e;
	size_t it = 0;
	int status = 0;

	fx_load(&f, http_flow);
	fx_start(&f);
	fx_digits(&f, "123456");
	ev.id = f.http_id;
	fx_event(&f, &ev);
	assert_string_equal(fx_find(&f, IVR_ACT_ENQUEUE)->u.route.queue, "support");
	assert_string_equal(ivr_session_var(f.s, "crm.status"), "500");
	assert_string_equal(ivr_session_var(f.s, "crm.error"), "HTTP 500");
	while (ivr_path_next(f.s, &it, &e))
		if (e.kind == IVR_PATH_HTTP)
			status = e.status;
	assert_int_equal(status, 500);
	fx_done(&f);
}

static void test_http_without_answer_times_out_to_the_error_branch(void **state)
{
	struct ivr_event late = {.type = IVR_EV_HTTP_DONE, .ok = true, .status = 200};
	struct fx f;

	fx_load(&f, http_flow);
	fx_start(&f);
	fx_digits(&f, "123456");
	late.id = f.http_id;
	assert_int_equal(ivr_session_wake_at(f.s), f.now + 4000);
	fx_timer(&f);
	assert_string_equal(fx_find(&f, IVR_ACT_ENQUEUE)->u.route.queue, "support");
	fx_expect_path_contains(&f, "http:dip:timeout");
	assert_int_equal(fx_event(&f, &late), EINVAL);
	fx_done(&f);
}

static void test_http_result_with_another_id_is_ignored(void **state)
{
	struct ivr_event ev = {.type = IVR_EV_HTTP_DONE, .ok = true, .status = 200};
	struct fx f;

	fx_load(&f, http_flow);
	fx_start(&f);
	fx_digits(&f, "123456");
	ev.id = f.http_id + 1;
	assert_int_equal(fx_event(&f, &ev), EINVAL);
	assert_int_equal(fx_nacts(&f), 0);
	fx_done(&f);
}

static void test_queue_plays_its_prompt_before_enqueueing(void **state)
{
	struct fx f;
	const struct ivr_action *a;

	fx_load(&f, "start: q\nnodes:\n"
		    "  q: {type: queue, queue: sales, priority: 20, prompt: please-hold}\n");
	fx_start(&f);
	assert_non_null(fx_find(&f, IVR_ACT_PLAY));
	assert_null(fx_find(&f, IVR_ACT_ENQUEUE));
	fx_play_done(&f);
	a = fx_find(&f, IVR_ACT_ENQUEUE);
	assert_non_null(a);
	assert_int_equal(a->u.route.priority, 20);
	assert_true(ivr_session_done(f.s));
	fx_done(&f);
}

static void test_transfer_to_a_number_through_a_trunk_and_failed_branch(void **state)
{
	struct ivr_event ok = {.type = IVR_EV_TRANSFER_DONE, .ok = true};
	struct ivr_event failed = {.type = IVR_EV_TRANSFER_DONE, .ok = false};
	struct fx f;
	const struct ivr_action *a;

	fx_load(&f, "start: t\nnodes:\n"
		    "  t: {type: transfer, number: '+48{called}', trunk: pstn, failed: vm}\n"
		    "  vm: {type: voicemail, queue: support, beep: false}\n");
	fx_start(&f);
	a = fx_find(&f, IVR_ACT_TRANSFER);
	assert_non_null(a);
	assert_string_equal(a->u.route.number, "+48100");
	assert_string_equal(a->u.route.trunk, "pstn");
	assert_null(a->u.route.user);
	assert_true(a->u.route.wait_result);
	assert_false(ivr_session_done(f.s));
	fx_event(&f, &failed);
	assert_non_null(fx_find(&f, IVR_ACT_RECORD));
	fx_expect_path_contains(&f, "error:t:transfer failed node:vm:voicemail");
	fx_done(&f);

	fx_load(&f, "start: t\nnodes:\n"
		    "  t: {type: transfer, number: '+48{called}', trunk: pstn, failed: vm}\n"
		    "  vm: {type: voicemail, queue: support, beep: false}\n");
	fx_start(&f);
	fx_event(&f, &ok);
	assert_true(ivr_session_done(f.s));
	fx_done(&f);
}

static void test_voicemail_beeps_records_then_goes_on(void **state)
{
	struct ivr_event rec = {.type = IVR_EV_RECORD_DONE, .ok = true, .duration_ms = 8000};
	struct fx f;
	const struct ivr_item *it;
	const struct ivr_action *a;
	size_t n;

	fx_load(&f, "start: vm\nnodes:\n"
		    "  vm: {type: voicemail, prompt: leave-message, max: 90s, queue: support, "
		    "priority: 5, next: bye}\n"
		    "  bye: {type: hangup, prompt: thank-you}\n");
	fx_start(&f);
	it = fx_play_items(&f, &n);
	assert_int_equal(n, 2);
	assert_string_equal(it[0].path, "prompts/pl/leave-message.wav");
	assert_string_equal(it[1].path, "prompts/pl/beep.wav");
	fx_play_done(&f);
	a = fx_find(&f, IVR_ACT_RECORD);
	assert_non_null(a);
	assert_int_equal(a->u.route.max_ms, 90000);
	assert_string_equal(a->u.route.queue, "support");
	assert_int_equal(a->u.route.priority, 5);
	f.now += 8000;
	fx_event(&f, &rec);
	assert_non_null(fx_find(&f, IVR_ACT_PLAY));
	fx_play_done(&f);
	assert_non_null(fx_find(&f, IVR_ACT_HANGUP));
	fx_done(&f);
}

static void test_callback_on_a_collected_number(void **state)
{
	struct fx f;
	const struct ivr_action *a;

	fx_load(&f, "start: num\nnodes:\n"
		    "  num: {type: collect, prompt: num.wav, var: cb, min: 9, max: 9, next: cb}\n"
		    "  cb: {type: callback, number: '+48{cb}', queue: sales, next: bye}\n"
		    "  bye: {type: hangup, prompt: callback-confirm}\n");
	fx_start(&f);
	fx_digits(&f, "601234567");
	a = fx_find(&f, IVR_ACT_CALLBACK);
	assert_non_null(a);
	assert_string_equal(a->u.route.number, "+48601234567");
	assert_string_equal(a->u.route.queue, "sales");
	assert_non_null(fx_find(&f, IVR_ACT_PLAY)); /* the goodbye of the next node */
	fx_done(&f);
}

static void test_callback_defaults_to_the_caller(void **state)
{
	struct fx f;

	fx_load(&f, "start: cb\nnodes:\n  cb: {type: callback}\n");
	fx_start(&f);
	assert_string_equal(fx_find(&f, IVR_ACT_CALLBACK)->u.route.number, "+48601234567");
	assert_non_null(fx_find(&f, IVR_ACT_HANGUP));
	fx_done(&f);
}

static void test_goto_moves_to_another_flow(void **state)
{
	struct fx f;
	struct cfg_named_node defs[2];
	struct ivr_env env = fx_env();
	struct fy_node *flows;

	memset(&f, 0, sizeof(f));
	f.now = fx_time("2026-11-23T10:00:00Z");
	assert_int_equal(cy_load_string("flows.yaml",
					"main:\n"
					"  start: m\n"
					"  nodes:\n"
					"    m: {type: menu, prompt: m.wav, options: {'9': away}}\n"
					"    away: {type: goto, flow: other, node: second}\n"
					"other:\n"
					"  start: first\n"
					"  lang: en\n"
					"  nodes:\n"
					"    first: {type: hangup}\n"
					"    second: {type: queue, queue: vip, prompt: goodbye}\n",
					&f.cy),
			 0);
	flows = cy_root(f.cy);
	defs[0] = (struct cfg_named_node){.name = "main", .node = cy_get(flows, "main")};
	defs[1] = (struct cfg_named_node){.name = "other", .node = cy_get(flows, "other")};
	snprintf(defs[0].path, sizeof(defs[0].path), "flows.main");
	snprintf(defs[1].path, sizeof(defs[1].path), "flows.other");
	assert_int_equal(ivr_flowset_load(f.cy, defs, 2, &env, &f.set), 0);
	assert_int_equal(cy_warning_count(f.cy), 1); /* other.first is unreachable */
	f.flow = (struct ivr_flow *)ivr_flowset_find(f.set, "main");
	fx_start(&f);
	fx_digit(&f, '9');
	/* The session keeps its language (pl) across flows. */
	fx_expect_path_contains(&f, "node:away:goto node:second:queue");
	fx_play_done(&f);
	assert_string_equal(fx_find(&f, IVR_ACT_ENQUEUE)->u.route.queue, "vip");
	fx_done(&f);
}

static void test_say_number_uses_the_prompt_set_of_the_language(void **state)
{
	const struct ivr_kv vars[] = {{"caller", "x"}, {"pos", "22"}, {"lang", "ru"}};
	struct fx f;
	const struct ivr_item *it;
	size_t n;

	fx_load(&f, "start: p\nnodes:\n"
		    "  p: {type: play, prompt: [you-are-number, {say: number, value: '{pos}'}, "
		    "estimated-wait, {say: number, value: '21', unit: minutes}]}\n");
	fx_start_vars(&f, vars, 3);
	it = fx_play_items(&f, &n);
	assert_int_equal(n, 7);
	assert_string_equal(it[0].path, "prompts/ru/you-are-number.wav");
	assert_string_equal(it[1].path, "prompts/ru/20.wav");
	assert_string_equal(it[2].path, "prompts/ru/2.wav");
	assert_string_equal(it[3].path, "prompts/ru/estimated-wait.wav");
	assert_string_equal(it[4].path, "prompts/ru/20.wav");
	assert_string_equal(it[5].path, "prompts/ru/1-feminine.wav");
	assert_string_equal(it[6].path, "prompts/ru/minute-one.wav");
	fx_done(&f);
}

static void test_say_falls_back_to_tts_without_a_prompt_set(void **state)
{
	const struct ivr_kv vars[] = {{"caller", "x"}, {"acct", "4711"}, {"lang", "de"}};
	struct fx f;
	const struct ivr_item *it;
	size_t n;

	fx_load(&f, "start: p\nnodes:\n"
		    "  p: {type: play, prompt: [{say: digits, value: '{acct}'}, "
		    "{say: date, value: '2026-11-23'}]}\n");
	fx_start_vars(&f, vars, 3);
	it = fx_play_items(&f, &n);
	assert_int_equal(n, 2);
	assert_int_equal(it[0].kind, IVR_ITEM_TTS);
	assert_string_equal(it[0].text, "4 7 1 1 ");
	assert_string_equal(it[0].lang, "de");
	assert_string_equal(it[1].text, "November 23, 2026");
	fx_done(&f);
}

static void test_say_date_and_money_are_spoken_text(void **state)
{
	const struct ivr_kv vars[] = {{"caller", "x"}, {"lang", "es"}};
	struct fx f;
	const struct ivr_item *it;
	size_t n;

	fx_load(&f, "start: p\nnodes:\n"
		    "  p: {type: play, prompt: [{say: date, value: '2026-11-23'}, "
		    "{say: money, value: '1.01', currency: EUR}, {silence: 300ms}, "
		    "{say: digits, value: '905'}]}\n");
	fx_start_vars(&f, vars, 2);
	it = fx_play_items(&f, &n);
	assert_int_equal(n, 6);
	assert_string_equal(it[0].text, "23 de noviembre de 2026");
	assert_string_equal(it[1].text, "1 euro con 1 céntimo");
	assert_int_equal(it[2].kind, IVR_ITEM_SILENCE);
	assert_int_equal(it[2].duration_ms, 300);
	assert_string_equal(it[3].path, "prompts/es/9.wav");
	assert_string_equal(it[4].path, "prompts/es/0.wav");
	assert_string_equal(it[5].path, "prompts/es/5.wav");
	fx_done(&f);
}

static void test_time_variables_follow_the_tenant_timezone(void **state)
{
	struct fx f;

	fx_load(&f, "start: c\nnodes:\n"
		    "  c: {type: condition, if: 'time.hour >= 8 and time.hour < 12 and "
		    "time.weekday <= 5', then: morning, else: other}\n"
		    "  morning: {type: queue, queue: sales}\n"
		    "  other: {type: queue, queue: support}\n");
	f.now = fx_time("2026-07-06T06:30:00Z"); /* Monday 08:30 CEST */
	fx_start(&f);
	assert_string_equal(ivr_session_var(f.s, "time.hhmm"), "08:30");
	assert_string_equal(ivr_session_var(f.s, "time.day"), "mon");
	assert_string_equal(ivr_session_var(f.s, "time.date"), "2026-07-06");
	assert_string_equal(fx_find(&f, IVR_ACT_ENQUEUE)->u.route.queue, "sales");
	ivr_session_free(f.s);
	f.now = fx_time("2026-07-06T05:30:00Z"); /* 07:30 CEST */
	fx_start(&f);
	assert_string_equal(fx_find(&f, IVR_ACT_ENQUEUE)->u.route.queue, "support");
	fx_done(&f);
}

static void test_hangup_plays_its_prompt_first(void **state)
{
	struct fx f;

	fx_load(&f, "start: bye\nnodes:\n  bye: {type: hangup, prompt: goodbye}\n");
	fx_start(&f);
	assert_non_null(fx_find(&f, IVR_ACT_PLAY));
	assert_null(fx_find(&f, IVR_ACT_HANGUP));
	fx_play_done(&f);
	assert_non_null(fx_find(&f, IVR_ACT_HANGUP));
	assert_true(ivr_session_done(f.s));
	fx_expect_path_contains(&f, "end:bye:hangup");
	fx_done(&f);
}

static void test_failed_play_is_logged_and_the_flow_goes_on(void **state)
{
	struct ivr_event ev = {.type = IVR_EV_PLAY_DONE, .ok = false};
	struct fx f;

	fx_load(&f, "start: p\nnodes:\n  p: {type: play, file: gone.wav, next: q}\n"
		    "  q: {type: queue, queue: sales}\n");
	fx_start(&f);
	ev.id = f.play_id;
	fx_event(&f, &ev);
	assert_non_null(fx_find(&f, IVR_ACT_ENQUEUE));
	fx_expect_path_contains(&f, "error:p:play failed");
	fx_done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hours_open_closed_and_holiday_branches),
	    cmocka_unit_test(test_hours_node_on_the_new_york_dst_change_day),
	    cmocka_unit_test(test_hours_are_in_the_path_log),
	    cmocka_unit_test(test_lookup_found_sets_contact_and_vip_priority),
	    cmocka_unit_test(test_lookup_not_found_branch),
	    cmocka_unit_test(test_lookup_timeout_takes_error_branch),
	    cmocka_unit_test(test_digits_typed_during_a_lookup_answer_the_next_menu),
	    cmocka_unit_test(test_http_posts_variables_and_maps_the_json_reply),
	    cmocka_unit_test(test_http_error_status_takes_the_error_branch),
	    cmocka_unit_test(test_http_without_answer_times_out_to_the_error_branch),
	    cmocka_unit_test(test_http_result_with_another_id_is_ignored),
	    cmocka_unit_test(test_queue_plays_its_prompt_before_enqueueing),
	    cmocka_unit_test(test_transfer_to_a_number_through_a_trunk_and_failed_branch),
	    cmocka_unit_test(test_voicemail_beeps_records_then_goes_on),
	    cmocka_unit_test(test_callback_on_a_collected_number),
	    cmocka_unit_test(test_callback_defaults_to_the_caller),
	    cmocka_unit_test(test_goto_moves_to_another_flow),
	    cmocka_unit_test(test_say_number_uses_the_prompt_set_of_the_language),
	    cmocka_unit_test(test_say_falls_back_to_tts_without_a_prompt_set),
	    cmocka_unit_test(test_say_date_and_money_are_spoken_text),
	    cmocka_unit_test(test_time_variables_follow_the_tenant_timezone),
	    cmocka_unit_test(test_hangup_plays_its_prompt_first),
	    cmocka_unit_test(test_failed_play_is_logged_and_the_flow_goes_on),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
