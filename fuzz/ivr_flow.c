/*
 * libFuzzer harness of the IVR flow loader (src/ivr): any YAML text is parsed as a flow
 * (with its inline calendars, expressions, templates and prompts) and validated; a flow
 * that loads is then run by a fake engine with events chosen from the input's bytes
 * (digits, play ends, timers, lookup/HTTP/record/transfer results, a hang-up), which
 * checks that the interpreter never loops, crashes or leaks on any flow the validator
 * accepts. Build and run: see fuzz/README.md.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/yaml.h"
#include "ivr/ivr.h"

static bool exists(void *arg, enum ivr_ref kind, const char *name)
{
	return name[0] != 'x'; /* names starting with x are unknown: error paths too */
}

static void drive(const struct ivr_flow *flow, const uint8_t *data, size_t size)
{
	static const struct ivr_kv vars[] = {{"caller", "+48601234567"}, {"called", "100"}};
	static const struct ivr_kv fields[] = {
	    {"vip", "true"}, {"first_name", "Anna"}, {"customer.balance", "12.50"}};
	struct ivr_session *s = NULL;
	int64_t now = 1795000000000; /* 2026-11-18 */
	uint32_t play = 0, http = 0;

	if (ivr_session_start(flow, vars, 2, now, &s))
		return;
	for (size_t i = 0; i < size && i < 200 && !ivr_session_done(s); i++) {
		const struct ivr_action *a;
		size_t n = ivr_session_actions(s, &a);
		struct ivr_event ev = {0};
		uint8_t b = data[i];

		for (size_t k = 0; k < n; k++) {
			if (a[k].type == IVR_ACT_PLAY)
				play = a[k].u.play.id;
			if (a[k].type == IVR_ACT_HTTP)
				http = a[k].u.http.id;
		}
		now += 1 + (b & 7) * 700;
		switch (b % 9) {
		case 0:
		case 1:
			ev.type = IVR_EV_DIGIT;
			ev.digit = "0123456789*#"[(b >> 3) % 12];
			break;
		case 2:
			ev.type = IVR_EV_PLAY_DONE;
			ev.id = play;
			ev.ok = b & 16;
			break;
		case 3:
			ev.type = IVR_EV_TIMER;
			if (ivr_session_wake_at(s))
				now = ivr_session_wake_at(s);
			break;
		case 4:
			ev.type = IVR_EV_LOOKUP_DONE;
			ev.ok = b & 16;
			ev.fields = fields;
			ev.nfields = 3;
			break;
		case 5:
			ev.type = IVR_EV_HTTP_DONE;
			ev.id = http;
			ev.ok = b & 16;
			ev.status = b & 32 ? 200 : 500;
			ev.fields = fields;
			ev.nfields = 3;
			break;
		case 6:
			ev.type = IVR_EV_RECORD_DONE;
			ev.ok = true;
			break;
		case 7:
			ev.type = IVR_EV_TRANSFER_DONE;
			ev.ok = b & 16;
			break;
		default:
			ev.type = b & 16 ? IVR_EV_HANGUP : IVR_EV_TIMER;
			break;
		}
		ivr_session_event(s, &ev, now);
	}
	{
		struct ivr_path_entry e;
		size_t it = 0;
		while (ivr_path_next(s, &it, &e))
			if (!e.detail || !e.node)
				abort();
	}
	ivr_session_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ivr_env env = {.exists = exists,
			      .prompt_dir = "prompts",
			      .language = "pl",
			      .timezone = "Europe/Warsaw",
			      .no_file_checks = true};
	struct cfg_named_node def = {.name = "main", .path = "flows.main"};
	struct ivr_flow *flow = NULL;
	struct cy *cy = NULL;
	char *text;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (cy_load_string("fuzz.yaml", text, &cy) == 0 && cy_root(cy)) {
		def.node = cy_root(cy);
		if (ivr_flow_load(cy, &def, &env, &flow) == 0) {
			drive(flow, data, size);
			ivr_flow_free(flow);
		}
	}
	cy_free(cy);
	free(text);
	return 0;
}
