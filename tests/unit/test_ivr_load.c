/*
 * Loader and validator tests: every error a flow author can make is reported with the
 * file, line, column and key path, and with the exact message; unreachable nodes are
 * warnings; loops that never wait for input are errors, inside a flow and across flows.
 */
#include "test_ivr_fixture.h"

#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

/* Column (1-based) of the first `needle` on line `line` (1-based) of `text`. */
static int col_of(const char *text, int line, const char *needle)
{
	const char *p = text, *hit;

	while (--line > 0)
		p = strchr(p, '\n') + 1;
	hit = strstr(p, needle);
	assert_non_null(hit);
	assert_true(memchr(p, '\n', (size_t)(hit - p)) == NULL);
	return (int)(hit - p) + 1;
}

/* Loads the flow at tenants[0].flows.main of a config text; returns the rc. */
static int load_config(struct fx *f, const char *yaml, const struct ivr_env *env)
{
	struct cfg_named_node def = {.name = "main"};
	struct fy_node *t;

	memset(f, 0, sizeof(*f));
	assert_int_equal(cy_load_string("acme.yaml", yaml, &f->cy), 0);
	assert_int_equal(cy_error_count(f->cy), 0);
	t = fy_node_sequence_get_by_index(cy_get(cy_root(f->cy), "tenants"), 0);
	def.node = cy_get(cy_get(t, "flows"), "main");
	assert_non_null(def.node);
	snprintf(def.path, sizeof(def.path), "tenants[0].flows.main");
	return ivr_flow_load(f->cy, &def, env, &f->flow);
}

static void expect_message(const char *got, const char *want)
{
	if (!got || strcmp(got, want))
		print_message("got:  %s\nwant: %s\n", got ? got : "(none)", want);
	assert_non_null(got);
	assert_string_equal(got, want);
}

static void expect_error(struct fx *f, int line, int col, const char *path_msg)
{
	char want[512];

	snprintf(want, sizeof(want), "acme.yaml:%d:%d: %s", line, col, path_msg);
	for (size_t i = 0; i < cy_error_count(f->cy); i++)
		if (!strcmp(cy_error_at(f->cy, i), want))
			return;
	fx_print_messages(f->cy);
	print_message("wanted: %s\n", want);
	fail();
}

static const char *const design_flow =
    "tenants:\n"
    "  - id: acme\n"
    "    flows:\n"
    "      main:\n"
    "        start: greet\n"
    "        nodes:\n"
    "          greet: {type: play, tts: \"Dzień dobry\", lang: pl, next: menu}\n"
    "          menu:  {type: menu, prompt: {file: prompts/menu.wav}, timeout: 5s,\n"
    "                  retries: 2, options: {\"1\": sales2, \"2\": help},\n"
    "                  invalid: menu, no_input: help}\n"
    "          sales: {type: queue, queue: sales}\n"
    "          help:  {type: queue, queue: support}\n";

static void test_unknown_node_in_an_option_names_file_line_column_and_path(void **state)
{
	struct ivr_env env = fx_env();
	struct fx f;

	assert_int_equal(load_config(&f, design_flow, &env), EINVAL);
	assert_null(f.flow);
	assert_int_equal(cy_error_count(f.cy), 1);
	expect_error(&f, 9, col_of(design_flow, 9, "sales2"),
		     "tenants[0].flows.main.nodes.menu.options.1: unknown node \"sales2\"");
	fx_done(&f);
}

static void test_the_design_example_loads_and_warns_of_nothing(void **state)
{
	static const char *const ok =
	    "tenants:\n"
	    "  - id: acme\n"
	    "    flows:\n"
	    "      main:\n"
	    "        start: greet\n"
	    "        nodes:\n"
	    "          greet: {type: play, tts: \"Dzień dobry\", lang: pl, next: menu}\n"
	    "          menu:  {type: menu, prompt: {file: prompts/menu.wav}, timeout: 5s,\n"
	    "                  retries: 2, options: {\"1\": sales, \"2\": help},\n"
	    "                  invalid: menu, no_input: help}\n"
	    "          sales: {type: queue, queue: sales}\n"
	    "          help:  {type: queue, queue: support}\n";
	struct ivr_env env = fx_env();
	struct fx f;

	assert_int_equal(load_config(&f, ok, &env), 0);
	assert_int_equal(cy_error_count(f.cy), 0);
	assert_int_equal(cy_warning_count(f.cy), 0);
	fx_done(&f);
}

static void test_unreachable_node_is_a_warning(void **state)
{
	static const char *const y = "tenants:\n"
				     "  - id: acme\n"
				     "    flows:\n"
				     "      main:\n"
				     "        start: a\n"
				     "        nodes:\n"
				     "          a: {type: queue, queue: sales}\n"
				     "          lost: {type: hangup}\n";
	struct ivr_env env = fx_env();
	struct fx f;
	char want[256];

	assert_int_equal(load_config(&f, y, &env), 0);
	assert_int_equal(cy_warning_count(f.cy), 1);
	snprintf(want, sizeof(want),
		 "acme.yaml:8:%d: tenants[0].flows.main.nodes.lost: unreachable node (no path "
		 "from start \"a\")",
		 col_of(y, 8, "type"));
	expect_message(cy_warning_at(f.cy, 0), want);
	fx_done(&f);
}

static const char *config_with(const char *nodes)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf),
		 "tenants:\n"
		 "  - id: acme\n"
		 "    flows:\n"
		 "      main:\n"
		 "        start: a\n"
		 "        nodes:\n"
		 "%s",
		 nodes);
	return buf;
}

static void test_unknown_start_node(void **state)
{
	const char *y = "tenants:\n"
			"  - id: acme\n"
			"    flows:\n"
			"      main:\n"
			"        start: nowhere\n"
			"        nodes:\n"
			"          a: {type: hangup}\n";
	struct ivr_env env = fx_env();
	struct fx f;

	assert_int_equal(load_config(&f, y, &env), EINVAL);
	expect_error(&f, 5, col_of(y, 5, "nowhere"),
		     "tenants[0].flows.main.start: unknown node \"nowhere\"");
	fx_done(&f);
}

static void test_bad_durations_are_errors(void **state)
{
	const char *y = config_with(
	    "          a: {type: menu, prompt: m.wav, timeout: 5x, options: {'1': b}}\n"
	    "          b: {type: collect, prompt: m.wav, var: v, inter_digit: 10m, next: a}\n");
	struct ivr_env env = fx_env();
	struct fx f;

	assert_int_equal(load_config(&f, y, &env), EINVAL);
	expect_error(&f, 7, col_of(y, 7, "5x"),
		     "tenants[0].flows.main.nodes.a.timeout: expected a duration such as 20s, 5m "
		     "or 1h, got \"5x\"");
	expect_error(&f, 8, col_of(y, 8, "10m"),
		     "tenants[0].flows.main.nodes.b.inter_digit: duration out of range 500ms..1m");
	fx_done(&f);
}

static void test_option_keys_are_one_digit_star_or_hash(void **state)
{
	const char *y = config_with("          a: {type: menu, prompt: m.wav, options: {'12': b, "
				    "A: b, '*': b}}\n"
				    "          b: {type: hangup}\n");
	struct ivr_env env = fx_env();
	struct fx f;

	assert_int_equal(load_config(&f, y, &env), EINVAL);
	expect_error(&f, 7, col_of(y, 7, "12"),
		     "tenants[0].flows.main.nodes.a.options: option keys are one digit 0-9, * or "
		     "#, got \"12\"");
	expect_error(&f, 7, col_of(y, 7, "A:"),
		     "tenants[0].flows.main.nodes.a.options: option keys are one digit 0-9, * or "
		     "#, got \"A\"");
	assert_int_equal(cy_error_count(f.cy), 2);
	fx_done(&f);
}

static void test_missing_prompt_file_is_an_error(void **state)
{
	const char *y = config_with("          a: {type: play, file: sounds/nothere.wav, next: b}\n"
				    "          b: {type: hangup, prompt: [sounds/alsonot.wav]}\n");
	struct ivr_env env = fx_env();
	struct fx f;

	env.no_file_checks = false;
	assert_int_equal(load_config(&f, y, &env), EINVAL);
	expect_error(&f, 7, col_of(y, 7, "sounds/"),
		     "tenants[0].flows.main.nodes.a.file: file not found: sounds/nothere.wav");
	expect_error(&f, 8, col_of(y, 8, "sounds/"),
		     "tenants[0].flows.main.nodes.b.prompt[0]: file not found: sounds/alsonot.wav");
	fx_done(&f);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static char *prompt_dir(const char *pl_tsv)
{
	char *d = strdup("/tmp/centrala-ivr-XXXXXX"), path[256];
	FILE *f;

	assert_non_null(mkdtemp(d));
	snprintf(path, sizeof(path), "%s/pl", d);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/pl/prompts.tsv", d);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(pl_tsv, f);
	fclose(f);
	return d;
}

static void test_prompt_missing_from_a_language_set_is_an_error(void **state)
{
	const char *y = config_with("          a: {type: play, prompt: goodbye, next: b}\n"
				    "          b: {type: set, lang: es, next: c}\n"
				    "          c: {type: play, prompt: [thank-you]}\n");
	char *dir = prompt_dir("goodbye\tDo widzenia.\n"), want[512], path[300];
	struct ivr_env env = fx_env();
	struct fx f;
	FILE *w;

	/* thank-you exists as a recording in the Polish set. */
	snprintf(path, sizeof(path), "%s/pl/thank-you.wav", dir);
	w = fopen(path, "w");
	fclose(w);
	env.no_file_checks = false;
	env.prompt_dir = dir;
	assert_int_equal(load_config(&f, y, &env), EINVAL);
	snprintf(want, sizeof(want),
		 "tenants[0].flows.main.nodes.a: prompt \"goodbye\" is not in the es set "
		 "(%s/es/goodbye.wav)",
		 dir);
	expect_error(&f, 7, col_of(y, 7, "goodbye"), want);
	snprintf(want, sizeof(want),
		 "tenants[0].flows.main.nodes.c: prompt \"thank-you\" is not in the es set "
		 "(%s/es/thank-you.wav)",
		 dir);
	expect_error(&f, 9, col_of(y, 9, "thank-you"), want);
	assert_int_equal(cy_error_count(f.cy), 2); /* the Polish set has both */
	fx_done(&f);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

static void test_saying_numbers_needs_the_number_prompts(void **state)
{
	const char *y = config_with("          a: {type: play, say: number, value: '{n}'}\n");
	char *dir = prompt_dir("0\tzero\n1\tjeden\n"), want[512];
	struct ivr_env env = fx_env();
	struct fx f;

	env.no_file_checks = false;
	env.prompt_dir = dir;
	assert_int_equal(load_config(&f, y, &env), EINVAL);
	snprintf(want, sizeof(want),
		 "tenants[0].flows.main.nodes.a: the pl prompt set lacks \"2\" needed to say "
		 "numbers (%s/pl/2.wav)",
		 dir);
	expect_error(&f, 7, col_of(y, 7, "type"), want);
	fx_done(&f);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

static void test_the_shipped_prompt_sets_can_say_numbers(void **state)
{
	static const char *const langs[] = {"pl", "es", "ru", "en"};
	const char *y;
	struct ivr_env env = fx_env();
	struct fx f;

	env.no_file_checks = false;
	for (int i = 0; i < 4; i++) {
		y = (config_with("          a: {type: play, prompt: [you-are-number, {say: "
				 "number, value: '{n}'}, estimated-wait, {say: number, value: "
				 "'{m}', unit: minutes}, thank-you, goodbye], next: b}\n"
				 "          b: {type: voicemail}\n"));
		env.language = langs[i];
		assert_int_equal(load_config(&f, y, &env), 0);
		fx_done(&f);
	}
}

static void test_loop_that_never_takes_input_is_an_error(void **state)
{
	const char *y = config_with("          a: {type: play, tts: 'Proszę czekać', next: b}\n"
				    "          b: {type: set, vars: {x: '1'}, next: c}\n"
				    "          c: {type: goto, flow: main}\n");
	struct ivr_env env = fx_env();
	struct fx f;

	assert_int_equal(load_config(&f, y, &env), EINVAL);
	expect_error(&f, 7, col_of(y, 7, "type"),
		     "tenants[0].flows.main.nodes.a: loop through a, b, c never waits for input "
		     "(add a menu or collect, or end it)");
	assert_int_equal(cy_error_count(f.cy), 1);
	fx_done(&f);
}

static void test_loop_through_a_menu_is_allowed(void **state)
{
	const char *y = config_with("          a: {type: menu, prompt: m.wav, options: {'1': b, "
				    "'2': d}, no_input: a}\n"
				    "          b: {type: play, tts: 'Raz jeszcze', next: c}\n"
				    "          c: {type: goto, flow: main}\n"
				    "          d: {type: hangup}\n");
	struct ivr_env env = fx_env();
	struct fx f;

	assert_int_equal(load_config(&f, y, &env), 0);
	assert_int_equal(cy_warning_count(f.cy), 0);
	fx_done(&f);
}

static void test_condition_loop_is_an_error(void **state)
{
	const char *y =
	    config_with("          a: {type: condition, if: 'x == 1', then: a, else: b}\n"
			"          b: {type: hangup}\n");
	struct ivr_env env = fx_env();
	struct fx f;

	assert_int_equal(load_config(&f, y, &env), EINVAL);
	expect_error(&f, 7, col_of(y, 7, "type"),
		     "tenants[0].flows.main.nodes.a: loop through a never waits for input (add a "
		     "menu or collect, or end it)");
	fx_done(&f);
}

static void test_unknown_references_are_errors(void **state)
{
	const char *y =
	    config_with("          a: {type: queue, queue: nosuch}\n"
			"          b: {type: transfer, user: bob, trunk: sip9}\n"
			"          c: {type: goto, flow: elsewhere}\n"
			"          d: {type: hours, calendar: office, open: a, closed: b}\n");
	struct ivr_env env = fx_env();
	struct fx f;

	assert_int_equal(load_config(&f, y, &env), EINVAL);
	expect_error(&f, 7, col_of(y, 7, "nosuch"),
		     "tenants[0].flows.main.nodes.a.queue: unknown queue \"nosuch\"");
	expect_error(&f, 8, col_of(y, 8, "bob"),
		     "tenants[0].flows.main.nodes.b.user: unknown user \"bob\"");
	expect_error(&f, 8, col_of(y, 8, "sip9"),
		     "tenants[0].flows.main.nodes.b.trunk: unknown trunk \"sip9\"");
	expect_error(&f, 9, col_of(y, 9, "elsewhere"),
		     "tenants[0].flows.main.nodes.c.flow: unknown flow \"elsewhere\"");
	expect_error(&f, 10, col_of(y, 10, "office"),
		     "tenants[0].flows.main.nodes.d.calendar: unknown calendar \"office\"");
	fx_done(&f);
}

static void test_named_calendar_is_found(void **state)
{
	const char *y = config_with("          a: {type: hours, calendar: office, open: b, "
				    "closed: b}\n"
				    "          b: {type: hangup}\n");
	struct ivr_env env = fx_env();
	struct ivr_calendar *cal;
	const struct ivr_calendar *cals[1];
	struct cy *cc;
	struct fx f;

	assert_int_equal(cy_load_string("cal.yaml", "{weekly: {daily: 24h}}", &cc), 0);
	assert_int_equal(
	    ivr_calendar_load(cc, cy_root(cc), "calendars.office", "office", NULL, &cal), 0);
	cals[0] = cal;
	env.calendars = cals;
	env.ncalendars = 1;
	assert_int_equal(load_config(&f, y, &env), 0);
	fx_done(&f);
	ivr_calendar_free(cal);
	cy_free(cc);
}

static void test_unknown_type_and_unknown_key(void **state)
{
	const char *y = config_with("          a: {type: dance, next: b}\n"
				    "          b: {type: hangup, propmt: goodbye}\n");
	struct ivr_env env = fx_env();
	struct fx f;

	assert_int_equal(load_config(&f, y, &env), EINVAL);
	expect_error(&f, 7, col_of(y, 7, "dance"),
		     "tenants[0].flows.main.nodes.a.type: unknown node type \"dance\" (play, menu, "
		     "collect, set, condition, hours, lookup, http, queue, transfer, voicemail, "
		     "callback, goto, hangup)");
	expect_error(&f, 8, col_of(y, 8, "propmt"),
		     "tenants[0].flows.main.nodes.b.propmt: unknown key");
	fx_done(&f);
}

static void test_bad_condition_names_the_character(void **state)
{
	const char *y =
	    config_with("          a: {type: condition, if: 'caller ==', then: b, "
			"else: b}\n"
			"          b: {type: condition, cases: [{if: 'x in 1..', next: c}], "
			"else: c}\n"
			"          c: {type: condition, if: 'a = 1', then: d, else: d}\n"
			"          d: {type: hangup}\n");
	struct ivr_env env = fx_env();
	struct fx f;

	assert_int_equal(load_config(&f, y, &env), EINVAL);
	expect_error(&f, 7, col_of(y, 7, "caller =="),
		     "tenants[0].flows.main.nodes.a.if: expected a value (a variable, a number or "
		     "'text') at character 10");
	expect_error(&f, 8, col_of(y, 8, "x in"),
		     "tenants[0].flows.main.nodes.b.cases[0].if: expected a value (a variable, a "
		     "number or 'text') at character 9");
	expect_error(&f, 9, col_of(y, 9, "a = 1"),
		     "tenants[0].flows.main.nodes.c.if: unknown operator \"=\" (use == or !=) at "
		     "character 3");
	fx_done(&f);
}

static void test_bad_template_is_an_error(void **state)
{
	const char *y =
	    config_with("          a: {type: play, tts: 'Dzień dobry {contact.name', "
			"next: b}\n"
			"          b: {type: set, vars: {'9x': a, y: '{bad name}'}, next: "
			"c}\n"
			"          c: {type: hangup}\n");
	struct ivr_env env = fx_env();
	struct fx f;

	assert_int_equal(load_config(&f, y, &env), EINVAL);
	expect_error(&f, 7, col_of(y, 7, "Dzie"),
		     "tenants[0].flows.main.nodes.a.tts: unclosed \"{\" at character 13");
	expect_error(&f, 8, col_of(y, 8, "9x"),
		     "tenants[0].flows.main.nodes.b.vars.9x: \"9x\" is not a variable name");
	expect_error(&f, 8, col_of(y, 8, "{bad"),
		     "tenants[0].flows.main.nodes.b.vars.y: \"{bad name}\" is not a variable name "
		     "(letters, digits, _ and dots, as in {contact.first_name})");
	fx_done(&f);
}

static void test_node_shape_errors(void **state)
{
	const char *y = config_with(
	    "          a: {type: collect, prompt: p.wav, var: v, min: 6, max: 4, next: b}\n"
	    "          b: {type: transfer, next: c}\n"
	    "          c: {type: set, next: d}\n"
	    "          d: {type: play, prompt: [{file: x.wav, tts: hi}], next: e}\n"
	    "          e: {type: lookup}\n");
	struct ivr_env env = fx_env();
	struct fx f;

	assert_int_equal(load_config(&f, y, &env), EINVAL);
	expect_error(&f, 7, col_of(y, 7, "4,"),
		     "tenants[0].flows.main.nodes.a.max: max is less than min (6)");
	expect_error(&f, 8, col_of(y, 8, "type"),
		     "tenants[0].flows.main.nodes.b: a transfer goes to either user: or number:");
	expect_error(&f, 9, col_of(y, 9, "type"),
		     "tenants[0].flows.main.nodes.c: a set node needs vars, lang, priority or "
		     "skills");
	expect_error(&f, 10, col_of(y, 10, "file"),
		     "tenants[0].flows.main.nodes.d.prompt[0]: a part is one of file, prompt, tts, "
		     "say or silence, not several");
	expect_error(&f, 11, col_of(y, 11, "type"),
		     "tenants[0].flows.main.nodes.e: a lookup needs next:, or both found: and "
		     "not_found:");
	fx_done(&f);
}

static void test_every_node_type_loads_without_warnings(void **state)
{
	const char *y = config_with(
	    "          a: {type: hours, calendar: {timezone: America/New_York, weekly: "
	    "{mon-fri: '09:00-17:00'}}, open: who, closed: vm}\n"
	    "          who: {type: lookup, vip_priority: 80, next: lang}\n"
	    "          lang: {type: menu, prompt: [{tts: 'Polski: 1', lang: pl}, {tts: "
	    "'Español: 2', lang: es}], options: {'1': pl, '2': es}, no_input: pl}\n"
	    "          pl: {type: set, lang: pl, next: main}\n"
	    "          es: {type: set, lang: es, skills: {spanish: 3}, next: main}\n"
	    "          main: {type: menu, prompt: [{say: number, value: '{time.hour}'}], "
	    "options: {'1': acct, '2': q, '3': t, '4': cb, '0': bye}, invalid: main}\n"
	    "          acct: {type: collect, prompt: [{tts: 'Numer?'}], var: acct, max: 8, "
	    "next: dip}\n"
	    "          dip: {type: http, url: 'https://crm.example/a/{acct}', map: {bal: "
	    "balance}, next: check, error: q}\n"
	    "          check: {type: condition, if: 'bal > 0', then: q, else: cb}\n"
	    "          q: {type: queue, queue: sales, priority: 5}\n"
	    "          t: {type: transfer, number: '+48221234567', trunk: pstn, failed: vm}\n"
	    "          cb: {type: callback, queue: support, next: bye}\n"
	    "          vm: {type: voicemail, queue: support, max: 2m, next: bye}\n"
	    "          bye: {type: hangup, prompt: goodbye}\n");
	struct ivr_env env = fx_env();
	struct fx f;
	size_t it = 0, n = 0;
	const char *text, *lang, *voice;

	assert_int_equal(load_config(&f, y, &env), 0);
	fx_print_messages(f.cy);
	assert_int_equal(cy_warning_count(f.cy), 0);
	/* The static texts, for rendering before calls come. */
	while (ivr_flow_static_tts(f.flow, &it, &text, &lang, &voice)) {
		n++;
		if (n == 1) {
			assert_string_equal(text, "Polski: 1");
			assert_string_equal(lang, "pl");
		}
		if (n == 2)
			assert_string_equal(lang, "es");
	}
	assert_int_equal(n, 3);
	assert_string_equal(ivr_flow_name(f.flow), "main");
	assert_string_equal(ivr_flow_language(f.flow), "pl");
	fx_done(&f);
}

static void test_cross_flow_checks_in_a_set(void **state)
{
	const char *y = "main:\n"
			"  start: a\n"
			"  nodes:\n"
			"    a: {type: play, tts: 'A', next: b}\n"
			"    b: {type: goto, flow: other}\n"
			"other:\n"
			"  start: x\n"
			"  nodes:\n"
			"    x: {type: goto, flow: main}\n"
			"third:\n"
			"  start: y\n"
			"  nodes:\n"
			"    y: {type: goto, flow: main, node: nope}\n";
	struct ivr_env env = fx_env();
	struct cfg_named_node defs[3];
	static const char *const names[] = {"main", "other", "third"};
	struct ivr_flowset *set = NULL;
	struct cy *cy;
	char want[256];

	env.exists = NULL;
	assert_int_equal(cy_load_string("flows.yaml", y, &cy), 0);
	for (int i = 0; i < 3; i++) {
		defs[i] = (struct cfg_named_node){.name = (char *)names[i],
						  .node = cy_get(cy_root(cy), names[i])};
		snprintf(defs[i].path, sizeof(defs[i].path), "flows.%s", names[i]);
	}
	assert_int_equal(ivr_flowset_load(cy, defs, 3, &env, &set), EINVAL);
	assert_null(set);
	snprintf(want, sizeof(want),
		 "flows.yaml:4:%d: flows.main.nodes.a: loop through flows never waits for input "
		 "(goto between flows without a menu or collect on the way)",
		 col_of(y, 4, "type"));
	expect_message(cy_error_at(cy, 1), want);
	snprintf(want, sizeof(want),
		 "flows.yaml:13:%d: flows.third.nodes.y.node: flow \"main\" has no node \"nope\"",
		 col_of(y, 13, "nope"));
	expect_message(cy_error_at(cy, 0), want);
	assert_int_equal(cy_error_count(cy), 2);
	cy_free(cy);
}

static void test_a_flow_with_errors_is_not_returned(void **state)
{
	const char *y = config_with("          a: {type: queue}\n");
	struct ivr_env env = fx_env();
	struct fx f;
	struct ivr_flow *sentinel = (struct ivr_flow *)&f;

	f.flow = sentinel;
	assert_int_equal(load_config(&f, y, &env), EINVAL);
	assert_null(f.flow); /* load_config cleared it; ivr_flow_load did not write */
	expect_error(&f, 7, col_of(y, 7, "type"),
		     "tenants[0].flows.main.nodes.a.queue: missing required key");
	fx_done(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unknown_node_in_an_option_names_file_line_column_and_path),
	    cmocka_unit_test(test_the_design_example_loads_and_warns_of_nothing),
	    cmocka_unit_test(test_unreachable_node_is_a_warning),
	    cmocka_unit_test(test_unknown_start_node),
	    cmocka_unit_test(test_bad_durations_are_errors),
	    cmocka_unit_test(test_option_keys_are_one_digit_star_or_hash),
	    cmocka_unit_test(test_missing_prompt_file_is_an_error),
	    cmocka_unit_test(test_prompt_missing_from_a_language_set_is_an_error),
	    cmocka_unit_test(test_saying_numbers_needs_the_number_prompts),
	    cmocka_unit_test(test_the_shipped_prompt_sets_can_say_numbers),
	    cmocka_unit_test(test_loop_that_never_takes_input_is_an_error),
	    cmocka_unit_test(test_loop_through_a_menu_is_allowed),
	    cmocka_unit_test(test_condition_loop_is_an_error),
	    cmocka_unit_test(test_unknown_references_are_errors),
	    cmocka_unit_test(test_named_calendar_is_found),
	    cmocka_unit_test(test_unknown_type_and_unknown_key),
	    cmocka_unit_test(test_bad_condition_names_the_character),
	    cmocka_unit_test(test_bad_template_is_an_error),
	    cmocka_unit_test(test_node_shape_errors),
	    cmocka_unit_test(test_every_node_type_loads_without_warnings),
	    cmocka_unit_test(test_cross_flow_checks_in_a_set),
	    cmocka_unit_test(test_a_flow_with_errors_is_not_returned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
