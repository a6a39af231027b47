/*
 * Interpreter tests, part one: play, menu, collect, set and condition nodes driven by a
 * fake engine and a fake clock — every branch of menus (digit, invalid, no input,
 * retries exhausted) and collects (terminator, max length, timeouts, pattern, Luhn),
 * barge-in and type-ahead, interpolation and the path log.
 */
#include "test_ivr_fixture.h"

static const char *const menu_flow =
    "start: greet\n"
    "lang: pl\n"
    "nodes:\n"
    "  greet: {type: play, tts: 'Dzień dobry, {contact.first_name}', "
    "next: menu}\n"
    "  menu:\n"
    "    type: menu\n"
    "    prompt: {file: prompts/menu.wav}\n"
    "    timeout: 5s\n"
    "    retries: 2\n"
    "    options: {'1': sales, '2': help, '#': operator}\n"
    "    invalid: help\n"
    "    no_input: operator\n"
    "  sales: {type: queue, queue: sales}\n"
    "  help: {type: queue, queue: support}\n"
    "  operator: {type: transfer, user: alice}\n";

static void test_play_speaks_interpolated_text_then_moves_on(void **state)
{
	const struct ivr_kv vars[] = {{"caller", "+48601234567"}, {"contact.first_name", "Anna"}};
	struct fx f;
	const struct ivr_item *it;
	size_t n;

	fx_load(&f, menu_flow);
	fx_start_vars(&f, vars, 2);
	it = fx_play_items(&f, &n);
	assert_int_equal(n, 1);
	assert_int_equal(it[0].kind, IVR_ITEM_TTS);
	assert_string_equal(it[0].text, "Dzień dobry, Anna");
	assert_string_equal(it[0].lang, "pl");
	assert_int_equal(ivr_session_wake_at(f.s), 0);
	assert_int_equal(fx_play_done(&f), 0);
	it = fx_play_items(&f, &n);
	assert_int_equal(it[0].kind, IVR_ITEM_FILE);
	assert_string_equal(it[0].path, "prompts/menu.wav");
	assert_non_null(fx_find(&f, IVR_ACT_COLLECT));
	fx_done(&f);
}

static void test_missing_variable_interpolates_as_empty(void **state)
{
	struct fx f;
	size_t n;

	fx_load(&f, menu_flow);
	fx_start(&f);
	assert_string_equal(fx_play_items(&f, &n)[0].text, "Dzień dobry, ");
	fx_done(&f);
}

static void test_menu_digit_routes_to_its_option(void **state)
{
	struct fx f;
	const struct ivr_action *a;

	fx_load(&f, menu_flow);
	fx_start(&f);
	fx_play_done(&f);
	fx_play_done(&f);
	assert_int_equal(fx_digit(&f, '1'), 0);
	a = fx_find(&f, IVR_ACT_ENQUEUE);
	assert_non_null(a);
	assert_string_equal(a->u.route.queue, "sales");
	assert_int_equal(a->u.route.priority, -1);
	assert_true(ivr_session_done(&*f.s));
	assert_string_equal(ivr_session_var(f.s, "digits"), "1");
	fx_done(&f);
}

static void test_menu_hash_option(void **state)
{
	struct fx f;
	const struct ivr_action *a;

	fx_load(&f, menu_flow);
	fx_start(&f);
	fx_play_done(&f);
	fx_digit(&f, '#');
	a = fx_find(&f, IVR_ACT_TRANSFER);
	assert_non_null(a);
	assert_string_equal(a->u.route.user, "alice");
	assert_false(a->u.route.wait_result);
	assert_true(ivr_session_done(f.s));
	fx_done(&f);
}

static void test_menu_digit_during_prompt_stops_it(void **state)
{
	struct fx f;
	uint32_t old;

	fx_load(&f, menu_flow);
	fx_start(&f);
	fx_play_done(&f);
	old = f.play_id;
	fx_digit(&f, '2');
	assert_non_null(fx_find(&f, IVR_ACT_STOP_PLAY));
	assert_non_null(fx_find(&f, IVR_ACT_ENQUEUE));
	/* The interrupted play's end comes late and changes nothing. */
	fx_done(&f);
	fx_load(&f, menu_flow);
	fx_start(&f);
	fx_play_done(&f);
	old = f.play_id;
	fx_digit(&f, '7'); /* invalid: the menu plays again */
	f.play_id = old;
	assert_int_equal(fx_play_done(&f), EINVAL);
	fx_done(&f);
}

static void test_menu_timeout_replays_then_takes_no_input(void **state)
{
	struct fx f;
	int64_t t0;

	fx_load(&f, menu_flow);
	fx_start(&f);
	fx_play_done(&f);
	t0 = f.now;
	assert_int_equal(ivr_session_wake_at(f.s), 0); /* the prompt still plays */
	fx_play_done(&f);
	assert_int_equal(ivr_session_wake_at(f.s), t0 + 1000 + 5000);
	fx_timer(&f); /* first retry */
	assert_non_null(fx_find(&f, IVR_ACT_PLAY));
	fx_play_done(&f);
	fx_timer(&f); /* second retry */
	fx_play_done(&f);
	fx_timer(&f); /* retries exhausted */
	assert_non_null(fx_find(&f, IVR_ACT_TRANSFER));
	fx_expect_path_contains(&f, "timeout:menu:no input timeout:menu:no input "
				    "timeout:menu:no input node:operator:transfer");
	fx_done(&f);
}

static void test_early_timer_is_ignored(void **state)
{
	struct fx f;
	struct ivr_event ev = {.type = IVR_EV_TIMER};

	fx_load(&f, menu_flow);
	fx_start(&f);
	fx_play_done(&f);
	fx_play_done(&f);
	f.now += 4999;
	assert_int_equal(fx_event(&f, &ev), 0);
	assert_int_equal(fx_nacts(&f), 0);
	assert_false(ivr_session_done(f.s));
	fx_done(&f);
}

static void test_menu_invalid_digit_says_so_and_retries(void **state)
{
	struct fx f;
	const struct ivr_item *it;
	size_t n;

	fx_load(&f, menu_flow);
	fx_start(&f);
	fx_play_done(&f);
	fx_play_done(&f);
	fx_digit(&f, '9');
	it = fx_play_items(&f, &n);
	assert_int_equal(n, 2);
	assert_string_equal(it[0].path, "prompts/pl/invalid-option.wav");
	assert_string_equal(it[1].path, "prompts/menu.wav");
	assert_false(ivr_session_done(f.s));
	fx_expect_path_contains(&f, "invalid:menu:9");
	fx_done(&f);
}

static void test_menu_retries_exhausted_takes_invalid_branch(void **state)
{
	struct fx f;
	const struct ivr_action *a;

	fx_load(&f, menu_flow);
	fx_start(&f);
	fx_play_done(&f);
	fx_digit(&f, '9');
	fx_digit(&f, '8');
	assert_null(fx_find(&f, IVR_ACT_ENQUEUE));
	fx_digit(&f, '7');
	a = fx_find(&f, IVR_ACT_ENQUEUE);
	assert_non_null(a);
	assert_string_equal(a->u.route.queue, "support");
	fx_done(&f);
}

static void test_menu_without_branch_hangs_up_after_retries(void **state)
{
	struct fx f;

	fx_load(&f, "start: m\n"
		    "nodes:\n"
		    "  m: {type: menu, prompt: x.wav, retries: 0, options: {'1': q}}\n"
		    "  q: {type: queue, queue: sales}\n");
	fx_start(&f);
	fx_play_done(&f);
	fx_timer(&f);
	assert_non_null(fx_find(&f, IVR_ACT_HANGUP));
	assert_true(ivr_session_done(f.s));
	fx_expect_path_contains(&f, "error:m:retries exhausted end:m:hangup");
	fx_done(&f);
}

static void test_menu_whose_invalid_branch_is_itself_keeps_asking(void **state)
{
	struct fx f;
	const struct ivr_item *it;
	size_t n;

	fx_load(&f, "start: menu\n"
		    "nodes:\n"
		    "  menu: {type: menu, prompt: m.wav, retries: 1, options: {'1': q}, "
		    "invalid: menu}\n"
		    "  q: {type: queue, queue: sales}\n");
	fx_start(&f);
	for (int i = 0; i < 5; i++) {
		fx_digit(&f, '9');
		it = fx_play_items(&f, &n);
		assert_int_equal(n, 2);
		assert_string_equal(it[0].path, "prompts/pl/invalid-option.wav");
		assert_false(ivr_session_done(f.s));
	}
	fx_digit(&f, '1');
	assert_non_null(fx_find(&f, IVR_ACT_ENQUEUE));
	fx_done(&f);
}

static void test_play_barge_in_keeps_the_digit_for_the_menu(void **state)
{
	struct fx f;
	const struct ivr_action *a;

	fx_load(&f, "start: intro\n"
		    "nodes:\n"
		    "  intro: {type: play, file: intro.wav, barge_in: true, next: m}\n"
		    "  m: {type: menu, prompt: m.wav, options: {'1': a, '2': b}}\n"
		    "  a: {type: queue, queue: sales}\n"
		    "  b: {type: queue, queue: support}\n");
	fx_start(&f);
	assert_true(fx_find(&f, IVR_ACT_PLAY)->u.play.barge_in);
	fx_digit(&f, '2');
	assert_non_null(fx_find(&f, IVR_ACT_STOP_PLAY));
	a = fx_find(&f, IVR_ACT_ENQUEUE);
	assert_non_null(a);
	assert_string_equal(a->u.route.queue, "support");
	assert_null(fx_find(&f, IVR_ACT_PLAY)); /* the menu prompt was skipped */
	fx_done(&f);
}

static void test_play_without_barge_in_ignores_digits(void **state)
{
	struct fx f;

	fx_load(&f, "start: intro\n"
		    "nodes:\n"
		    "  intro: {type: play, file: intro.wav, next: m}\n"
		    "  m: {type: menu, prompt: m.wav, options: {'1': a}}\n"
		    "  a: {type: queue, queue: sales}\n");
	fx_start(&f);
	assert_false(fx_find(&f, IVR_ACT_PLAY)->u.play.barge_in);
	fx_digit(&f, '1');
	assert_int_equal(fx_nacts(&f), 0);
	fx_play_done(&f);
	assert_non_null(fx_find(&f, IVR_ACT_PLAY)); /* the menu asks */
	fx_done(&f);
}

static const char *const collect_flow = "start: acct\n"
					"nodes:\n"
					"  acct:\n"
					"    type: collect\n"
					"    prompt: {tts: 'Podaj numer konta'}\n"
					"    var: account\n"
					"    min: 4\n"
					"    max: 8\n"
					"    timeout: 6s\n"
					"    inter_digit: 2s\n"
					"    retries: 1\n"
					"    next: ok\n"
					"    invalid: bad\n"
					"    no_input: silent\n"
					"  ok: {type: queue, queue: sales}\n"
					"  bad: {type: queue, queue: support}\n"
					"  silent: {type: hangup}\n";

static void test_collect_ends_at_the_terminator(void **state)
{
	struct fx f;
	const struct ivr_action *c;

	fx_load(&f, collect_flow);
	fx_start(&f);
	c = fx_find(&f, IVR_ACT_COLLECT);
	assert_non_null(c);
	assert_int_equal(c->u.collect.min, 4);
	assert_int_equal(c->u.collect.max, 8);
	assert_int_equal(c->u.collect.terminator, '#');
	fx_play_done(&f);
	fx_digits(&f, "12345#");
	assert_non_null(fx_find(&f, IVR_ACT_ENQUEUE));
	assert_string_equal(ivr_session_var(f.s, "account"), "12345");
	fx_expect_path_contains(&f, "digit:acct:12345");
	fx_done(&f);
}

static void test_collect_ends_at_max_length(void **state)
{
	struct fx f;

	fx_load(&f, collect_flow);
	fx_start(&f);
	fx_digit(&f, '1'); /* barges into the prompt */
	assert_non_null(fx_find(&f, IVR_ACT_STOP_PLAY));
	fx_digits(&f, "2345678");
	assert_non_null(fx_find(&f, IVR_ACT_ENQUEUE));
	assert_string_equal(ivr_session_var(f.s, "account"), "12345678");
	fx_done(&f);
}

static void test_collect_inter_digit_timeout_ends_the_entry(void **state)
{
	struct fx f;
	int64_t t;

	fx_load(&f, collect_flow);
	fx_start(&f);
	fx_play_done(&f);
	fx_digits(&f, "9876");
	t = f.now;
	assert_int_equal(ivr_session_wake_at(f.s), t + 2000);
	fx_timer(&f);
	assert_non_null(fx_find(&f, IVR_ACT_ENQUEUE));
	assert_string_equal(ivr_session_var(f.s, "account"), "9876");
	fx_done(&f);
}

static void test_collect_too_short_is_invalid(void **state)
{
	struct fx f;
	const struct ivr_action *a;

	fx_load(&f, collect_flow);
	fx_start(&f);
	fx_play_done(&f);
	fx_digits(&f, "12#");
	assert_non_null(fx_find(&f, IVR_ACT_PLAY)); /* retry */
	fx_expect_path_contains(&f, "invalid:acct:12");
	fx_play_done(&f);
	fx_digits(&f, "1#");
	a = fx_find(&f, IVR_ACT_ENQUEUE);
	assert_non_null(a);
	assert_string_equal(a->u.route.queue, "support");
	assert_null(ivr_session_var(f.s, "account"));
	fx_done(&f);
}

static void test_collect_no_input_branch(void **state)
{
	struct fx f;

	fx_load(&f, collect_flow);
	fx_start(&f);
	fx_play_done(&f);
	assert_int_equal(ivr_session_wake_at(f.s), f.now + 6000);
	fx_timer(&f);
	fx_play_done(&f);
	fx_timer(&f);
	assert_non_null(fx_find(&f, IVR_ACT_HANGUP));
	fx_expect_path_contains(&f, "node:silent:hangup end:silent:hangup");
	fx_done(&f);
}

static const char *const card_flow =
    "start: card\n"
    "nodes:\n"
    "  card: {type: collect, prompt: card.wav, var: card, min: 13, "
    "max: 19, luhn: true, retries: 1, next: thanks, invalid: sorry}\n"
    "  thanks: {type: queue, queue: billing}\n"
    "  sorry: {type: hangup}\n";

static void test_collect_luhn_rejects_a_bad_card_then_accepts_a_good_one(void **state)
{
	struct fx f;

	fx_load(&f, card_flow);
	fx_start(&f);
	fx_play_done(&f);
	fx_digits(&f, "4111111111111112#");
	assert_null(fx_find(&f, IVR_ACT_ENQUEUE));
	assert_non_null(fx_find(&f, IVR_ACT_PLAY));
	fx_play_done(&f);
	fx_digits(&f, "4111111111111111#");
	assert_non_null(fx_find(&f, IVR_ACT_ENQUEUE));
	assert_string_equal(ivr_session_var(f.s, "card"), "4111111111111111");
	fx_done(&f);
}

static void test_card_numbers_are_masked_in_the_path_log(void **state)
{
	struct fx f;

	fx_load(&f, card_flow);
	fx_start(&f);
	fx_digits(&f, "4111111111111112#");
	fx_digits(&f, "4111111111111111#");
	fx_expect_path_contains(&f, "invalid:card:************1112");
	fx_expect_path_contains(&f, "digit:card:************1111");
	assert_null(strstr(fx_path(&f), "411111"));
	fx_done(&f);
}

static void test_collect_pattern(void **state)
{
	struct fx f;

	fx_load(&f, "start: pin\n"
		    "nodes:\n"
		    "  pin: {type: collect, prompt: pin.wav, var: pin, max: 4, "
		    "pattern: '[1-9][0-9]{3}', next: ok, invalid: no}\n"
		    "  ok: {type: queue, queue: sales}\n"
		    "  no: {type: hangup}\n");
	fx_start(&f);
	fx_digits(&f, "0123");
	assert_null(fx_find(&f, IVR_ACT_ENQUEUE));
	fx_expect_path_contains(&f, "invalid:pin:0123");
	fx_digits(&f, "1234");
	assert_non_null(fx_find(&f, IVR_ACT_ENQUEUE));
	fx_done(&f);
}

static void test_set_language_priority_and_skills_reach_the_queue(void **state)
{
	struct fx f;
	const struct ivr_action *a;
	size_t n;

	fx_load(&f, "start: lang\n"
		    "lang: pl\n"
		    "nodes:\n"
		    "  lang: {type: menu, prompt: lang.wav, options: {'2': es}}\n"
		    "  es: {type: set, lang: es, priority: 7, skills: {spanish: 4}, "
		    "vars: {choice: 'es-{digits}'}, next: hello}\n"
		    "  hello: {type: play, prompt: thank-you, next: q}\n"
		    "  q: {type: queue, queue: support, skills: {billing: 2, spanish: 5}}\n");
	fx_start(&f);
	fx_digit(&f, '2');
	assert_string_equal(ivr_session_language(f.s), "es");
	assert_string_equal(ivr_session_var(f.s, "choice"), "es-2");
	assert_string_equal(fx_play_items(&f, &n)[0].path, "prompts/es/thank-you.wav");
	fx_play_done(&f);
	a = fx_find(&f, IVR_ACT_ENQUEUE);
	assert_non_null(a);
	assert_int_equal(a->u.route.priority, 7);
	assert_int_equal(a->u.route.nskills, 2);
	assert_string_equal(a->u.route.skills[0].name, "spanish");
	assert_int_equal(a->u.route.skills[0].level, 5);
	assert_string_equal(a->u.route.skills[1].name, "billing");
	assert_int_equal(a->u.route.skills[1].level, 2);
	fx_done(&f);
}

static void test_caller_language_variable_picks_the_prompt_set(void **state)
{
	const struct ivr_kv vars[] = {{"caller", "+7495"}, {"lang", "ru"}};
	struct fx f;
	size_t n;

	fx_load(&f, "start: p\nnodes:\n  p: {type: play, prompt: goodbye}\n");
	fx_start_vars(&f, vars, 2);
	assert_string_equal(fx_play_items(&f, &n)[0].path, "prompts/ru/goodbye.wav");
	fx_play_done(&f);
	assert_non_null(fx_find(&f, IVR_ACT_HANGUP)); /* a play without next ends the call */
	fx_done(&f);
}

static const char *const cond_flow =
    "start: c\n"
    "nodes:\n"
    "  c:\n"
    "    type: condition\n"
    "    cases:\n"
    "      - {if: \"vip == 'true' and caller startswith '+48'\", next: "
    "pl_vip}\n"
    "      - {if: 'balance in 0..100 or tier in [\"gold\", \"silver\"]', next: "
    "mid}\n"
    "      - {if: 'not (caller startswith \"+48\")', next: abroad}\n"
    "    else: rest\n"
    "  pl_vip: {type: queue, queue: vip}\n"
    "  mid: {type: queue, queue: billing}\n"
    "  abroad: {type: queue, queue: support}\n"
    "  rest: {type: queue, queue: sales}\n";

static const char *route_with(const char *caller, const char *vip, const char *balance,
			      const char *tier)
{
	const struct ivr_kv vars[] = {
	    {"caller", caller}, {"vip", vip}, {"balance", balance}, {"tier", tier}};
	static char queue[32];
	struct fx f;

	fx_load(&f, cond_flow);
	fx_start_vars(&f, vars, 4);
	snprintf(queue, sizeof(queue), "%s", fx_find(&f, IVR_ACT_ENQUEUE)->u.route.queue);
	fx_done(&f);
	return queue;
}

static void test_condition_equality_prefix_ranges_and_or(void **state)
{
	assert_string_equal(route_with("+48601", "true", "", ""), "vip");
	assert_string_equal(route_with("+48601", "false", "50", ""), "billing");
	assert_string_equal(route_with("+48601", "false", "100.0", ""), "billing");
	assert_string_equal(route_with("+48601", "false", "101", "silver"), "billing");
	assert_string_equal(route_with("+48601", "false", "101", "bronze"), "sales");
	assert_string_equal(route_with("+34911", "true", "", ""), "support");
}

static void test_path_log_records_nodes_and_digits_with_times(void **state)
{
	struct fx f;
	struct ivr_path_entry e;
	size_t it = 0;
	int64_t t0;

	fx_load(&f, menu_flow);
	t0 = f.now;
	fx_start(&f);
	fx_play_done(&f);
	fx_play_done(&f);
	fx_digit(&f, '1');
	assert_true(ivr_path_next(f.s, &it, &e));
	assert_int_equal(e.kind, IVR_PATH_NODE);
	assert_string_equal(e.flow, "main");
	assert_string_equal(e.node, "greet");
	assert_string_equal(e.detail, "play");
	assert_int_equal(e.at_ms, t0);
	assert_true(ivr_path_next(f.s, &it, &e));
	assert_string_equal(e.node, "menu");
	assert_int_equal(e.at_ms, t0 + 1000);
	assert_true(ivr_path_next(f.s, &it, &e));
	assert_int_equal(e.kind, IVR_PATH_DIGIT);
	assert_string_equal(e.detail, "1");
	assert_int_equal(e.at_ms, t0 + 2000);
	assert_true(ivr_path_next(f.s, &it, &e));
	assert_string_equal(e.node, "sales");
	assert_true(ivr_path_next(f.s, &it, &e));
	assert_int_equal(e.kind, IVR_PATH_END);
	assert_string_equal(e.detail, "queue:sales");
	assert_false(ivr_path_next(f.s, &it, &e));
	fx_done(&f);
}

static void test_caller_hangup_ends_the_session(void **state)
{
	struct fx f;
	struct ivr_event ev = {.type = IVR_EV_HANGUP};

	fx_load(&f, menu_flow);
	fx_start(&f);
	assert_int_equal(fx_event(&f, &ev), 0);
	assert_true(ivr_session_done(f.s));
	assert_int_equal(fx_nacts(&f), 0);
	assert_int_equal(ivr_session_wake_at(f.s), 0);
	assert_int_equal(fx_digit(&f, '1'), EINVAL);
	fx_expect_path_contains(&f, "end:greet:caller_hangup");
	fx_done(&f);
}

static void test_session_variables_are_iterated(void **state)
{
	struct fx f;
	struct ivr_kv kv;
	size_t it = 0;
	int seen = 0;

	fx_load(&f, collect_flow);
	fx_start(&f);
	fx_digits(&f, "4444#");
	while (ivr_session_var_next(f.s, &it, &kv))
		if (!strcmp(kv.name, "account") && !strcmp(kv.value, "4444"))
			seen++;
	assert_int_equal(seen, 1);
	fx_done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_play_speaks_interpolated_text_then_moves_on),
	    cmocka_unit_test(test_missing_variable_interpolates_as_empty),
	    cmocka_unit_test(test_menu_digit_routes_to_its_option),
	    cmocka_unit_test(test_menu_hash_option),
	    cmocka_unit_test(test_menu_digit_during_prompt_stops_it),
	    cmocka_unit_test(test_menu_timeout_replays_then_takes_no_input),
	    cmocka_unit_test(test_early_timer_is_ignored),
	    cmocka_unit_test(test_menu_invalid_digit_says_so_and_retries),
	    cmocka_unit_test(test_menu_retries_exhausted_takes_invalid_branch),
	    cmocka_unit_test(test_menu_without_branch_hangs_up_after_retries),
	    cmocka_unit_test(test_menu_whose_invalid_branch_is_itself_keeps_asking),
	    cmocka_unit_test(test_play_barge_in_keeps_the_digit_for_the_menu),
	    cmocka_unit_test(test_play_without_barge_in_ignores_digits),
	    cmocka_unit_test(test_collect_ends_at_the_terminator),
	    cmocka_unit_test(test_collect_ends_at_max_length),
	    cmocka_unit_test(test_collect_inter_digit_timeout_ends_the_entry),
	    cmocka_unit_test(test_collect_too_short_is_invalid),
	    cmocka_unit_test(test_collect_no_input_branch),
	    cmocka_unit_test(test_collect_luhn_rejects_a_bad_card_then_accepts_a_good_one),
	    cmocka_unit_test(test_card_numbers_are_masked_in_the_path_log),
	    cmocka_unit_test(test_collect_pattern),
	    cmocka_unit_test(test_set_language_priority_and_skills_reach_the_queue),
	    cmocka_unit_test(test_caller_language_variable_picks_the_prompt_set),
	    cmocka_unit_test(test_condition_equality_prefix_ranges_and_or),
	    cmocka_unit_test(test_path_log_records_nodes_and_digits_with_times),
	    cmocka_unit_test(test_caller_hangup_ends_the_session),
	    cmocka_unit_test(test_session_variables_are_iterated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
