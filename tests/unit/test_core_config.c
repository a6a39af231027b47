/* Configuration loading: defaults, types, key paths with line:column, references. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/config.h"

static struct cfg *load(const char *text)
{
	struct cfg *c = NULL;

	assert_int_equal(cfg_load_string("t.yaml", text, &c), 0);
	return c;
}

static int has_error(const struct cfg *c, const char *needle)
{
	for (size_t i = 0; i < cfg_error_count(c); i++)
		if (strstr(cfg_error_at(c, i), needle))
			return 1;
	return 0;
}

static void test_demo_shape_loads_with_defaults(void **state)
{
	struct cfg *c =
	    load("sip: {listen: [\"udp:127.0.0.1:5070\"]}\n"
		 "tenants:\n"
		 "  - id: acme\n"
		 "    users:\n"
		 "      - {username: alice, password: pw, roles: [agent],\n"
		 "         sip: {user: alice, password: secret}, skills: {support: 5}}\n"
		 "    queues:\n"
		 "      - {id: support, strategy: longest-idle, skills: {support: 1},\n"
		 "         ring_timeout: 15s, wrap_up: 5s, max_wait: 5m}\n"
		 "    numbers:\n"
		 "      - {number: \"200\", queue: support}\n"
		 "      - {number: \"300\", user: alice}\n");
	assert_int_equal(cfg_error_count(c), 0);
	assert_int_equal(c->nsip_listen, 1);
	assert_int_equal(c->sip_listen[0].port, 5070);
	assert_int_equal(c->rtp_port_min, 30000);
	const struct cfg_tenant *t = cfg_tenant_find(c, "acme");
	assert_non_null(t);
	assert_string_equal(t->domain, "acme");
	const struct cfg_queue *q = cfg_queue_find(t, "support");
	assert_non_null(q);
	assert_int_equal(q->wrap_up_ms, 5000);
	assert_int_equal(q->max_wait_ms, 300000);
	assert_int_equal(q->service_level_ms, 20000);
	const struct cfg_user *u = cfg_user_find(t, "alice");
	assert_non_null(u);
	/* HA1 = MD5("alice:acme:secret") */
	assert_string_equal(u->ha1_md5, "00682793c5e263030e4b650cdfb17373");
	assert_int_equal(strlen(u->ha1_sha256), 64);
	assert_int_equal(u->skills[0].level, 5);
	cfg_free(c);
}

static void test_ha1_matches_rfc_example(void **state)
{
	char md5[33], sha[65];

	/* RFC 7616 section 3.9.1: Mufasa / http-auth@example.org / Circle of Life. */
	cfg_ha1_md5("Mufasa", "http-auth@example.org", "Circle of Life", md5);
	cfg_ha1_sha256("Mufasa", "http-auth@example.org", "Circle of Life", sha);
	assert_string_equal(md5, "3d78807defe7de2157e2b0b6573a855f");
	assert_string_equal(sha,
			    "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232");
}

static void test_unknown_key_reports_line_column_and_path(void **state)
{
	struct cfg *c = load("tenants:\n"
			     "  - id: acme\n"
			     "    queues:\n"
			     "      - id: support\n"
			     "        strategyy: longest-idle\n");
	assert_true(has_error(c, "t.yaml:5:9: tenants[0].queues[0].strategyy: unknown key"));
	cfg_free(c);
}

static void test_bad_duration_is_an_error(void **state)
{
	struct cfg *c = load("tenants:\n"
			     "  - id: acme\n"
			     "    queues:\n"
			     "      - {id: q, ring_timeout: soon}\n");
	assert_true(has_error(c, "tenants[0].queues[0].ring_timeout: expected a duration"));
	cfg_free(c);
}

static void test_number_to_unknown_queue_is_an_error(void **state)
{
	struct cfg *c = load("tenants:\n"
			     "  - id: acme\n"
			     "    numbers:\n"
			     "      - {number: \"200\", queue: nope}\n");
	assert_true(has_error(c, "unknown queue \"nope\""));
	cfg_free(c);
}

static void test_channel_rules_per_tenant(void **state)
{
	struct cfg *c = load("tenants:\n"
			     "  - id: acme\n"
			     "    channels:\n"
			     "      voice: {capacity: 1, blocks: [chat, email]}\n"
			     "      chat: {capacity: 4}\n");
	const struct cfg_tenant *t = &c->tenants[0];

	(void)state;
	assert_int_equal(cfg_error_count(c), 0);
	assert_int_equal(t->channels[0].capacity, 1);
	assert_true(t->channels[0].has_blocks);
	assert_int_equal(t->channels[0].blocks, (1u << 1) | (1u << 2));
	assert_int_equal(t->channels[1].capacity, 4);
	assert_false(t->channels[1].has_blocks);
	assert_int_equal(t->channels[2].capacity, -1);
	cfg_free(c);
}

/* A number is one tenant's: the same number in two tenants (or twice in one) is an
 * error with its position, and so is one SIP domain for two tenants. */
static void test_number_in_two_tenants_is_an_error(void **state)
{
	struct cfg *c = load("tenants:\n"
			     "  - id: acme\n"
			     "    queues: [{id: q}]\n"
			     "    numbers:\n"
			     "      - {number: \"200\", queue: q}\n"
			     "  - id: globex\n"
			     "    domain: acme\n"
			     "    queues: [{id: q}]\n"
			     "    numbers:\n"
			     "      - {number: \"201\", queue: q}\n"
			     "      - {number: \"200\", queue: q}\n"
			     "      - {number: \"201\", queue: q}\n");
	assert_true(has_error(c, "tenants[1].numbers[1]: 11:10: number \"200\" is already tenant "
				 "acme's (line 5)"));
	assert_true(has_error(c, "tenants[1].numbers[2]: 12:10: number \"201\" is already tenant "
				 "globex's (line 10)"));
	assert_true(has_error(c, "domain \"acme\" is tenant acme's too"));
	assert_int_equal(cfg_error_count(c), 3);
	cfg_free(c);
}

/* Outbound rules and trunk addresses: every value checked, errors with positions. */
static void test_outbound_rules_and_trunk_addresses(void **state)
{
	struct cfg *c =
	    load("tenants:\n"
		 "  - id: acme\n"
		 "    trunks:\n"
		 "      - {id: pstn, uri: \"sip:192.0.2.1\", inbound_from: [\"192.0.2.0/24\", "
		 "\"2001:db8::/32\"]}\n"
		 "    outbound:\n"
		 "      allow: [\"+48\", \"+49\"]\n"
		 "      block: [\"+4822\"]\n"
		 "      routes: [{prefix: \"+44\", trunk: pstn}]\n"
		 "      trunk: pstn\n"
		 "      max_concurrent: 5\n"
		 "      per_hour: 100\n"
		 "      per_user_hour: 20\n");
	assert_int_equal(cfg_error_count(c), 0);
	const struct cfg_tenant *t = cfg_tenant_find(c, "acme");
	assert_int_equal(t->trunks[0].ninbound_from, 2);
	assert_string_equal(t->trunks[0].inbound_from[1], "2001:db8::/32");
	assert_int_equal(t->outbound.nallow, 2);
	assert_string_equal(t->outbound.block[0], "+4822");
	assert_true(t->outbound.block_defaults);
	assert_string_equal(t->outbound.routes[0].trunk, "pstn");
	assert_int_equal(t->outbound.max_concurrent, 5);
	assert_int_equal(t->outbound.per_user_hour, 20);
	cfg_free(c);

	c = load("tenants:\n"
		 "  - id: acme\n"
		 "    trunks:\n"
		 "      - {id: pstn, uri: \"sip:192.0.2.1\", inbound_from: [\"carrier.example\"]}\n"
		 "    outbound:\n"
		 "      allow: [\"4x\"]\n"
		 "      routes: [{prefix: \"+44\", trunk: uk}]\n"
		 "      hours: office\n"
		 "      per_day: 3\n");
	assert_true(has_error(c, "t.yaml:4:58: tenants[0].trunks[0].inbound_from[0]: expected an "
				 "address or network"));
	assert_true(has_error(c, "t.yaml:6:16: tenants[0].outbound.allow[0]: expected a prefix"));
	assert_true(has_error(c, "outbound.routes[0]: unknown trunk \"uk\""));
	assert_true(has_error(c, "outbound: unknown calendar \"office\""));
	assert_true(has_error(c, "t.yaml:9:7: tenants[0].outbound.per_day: unknown key"));
	cfg_free(c);
}

/* A trunk that registers: its fields read, a registration without a username or with a
 * lifetime out of range refused with its position. */
static void test_trunk_registration(void **state)
{
	struct cfg *c = load("tenants:\n"
			     "  - id: acme\n"
			     "    trunks:\n"
			     "      - {id: a, uri: \"sip:192.0.2.1\", username: u, password: p, "
			     "register: true, register_expires: 10m}\n"
			     "      - {id: b, uri: \"sip:192.0.2.2\"}\n");
	const struct cfg_tenant *t;

	(void)state;
	assert_int_equal(cfg_error_count(c), 0);
	t = cfg_tenant_find(c, "acme");
	assert_true(t->trunks[0].register_);
	assert_int_equal(t->trunks[0].register_expires_s, 600);
	assert_false(t->trunks[1].register_);
	assert_int_equal(t->trunks[1].register_expires_s, 0);
	cfg_free(c);

	c = load("tenants:\n"
		 "  - id: acme\n"
		 "    trunks:\n"
		 "      - {id: a, uri: \"sip:192.0.2.1\", register: true}\n"
		 "      - {id: b, uri: \"sip:192.0.2.2\", username: u, register_expires: 5s}\n");
	assert_true(has_error(c, "tenants[0].trunks[0].register: a trunk that "
				 "registers needs a username"));
	assert_true(has_error(c, "tenants[0].trunks[1].register_expires: expected a duration "
				 "from 60s to 24h"));
	assert_int_equal(cfg_error_count(c), 2);
	cfg_free(c);
}

static void test_unknown_channel_is_an_error(void **state)
{
	struct cfg *c = load("tenants:\n"
			     "  - id: acme\n"
			     "    channels:\n"
			     "      fax: {capacity: 1}\n"
			     "      voice: {blocks: [pigeon], capacity: 1000}\n");

	(void)state;
	assert_true(has_error(c, "t.yaml:4:7: tenants[0].channels: unknown channel \"fax\""));
	assert_true(has_error(c, "unknown channel \"pigeon\""));
	assert_true(has_error(c, "tenants[0].channels.voice.capacity"));
	cfg_free(c);
}

static void test_webhooks_per_tenant(void **state)
{
	struct cfg *c =
	    load("tenants:\n"
		 "  - id: acme\n"
		 "    webhooks:\n"
		 "      - {id: crm, url: \"https://crm.example/hook\", events: [\"*\"],\n"
		 "         secret: 0123456789abcdef}\n"
		 "      - id: offers\n"
		 "        url: http://crm.internal.example:9000/x\n"
		 "        events: [contact.offered, agent.state]\n"
		 "        secret: fedcba9876543210\n");
	const struct cfg_tenant *t;

	(void)state;
	assert_int_equal(cfg_error_count(c), 0);
	t = cfg_tenant_find(c, "acme");
	assert_int_equal(t->nwebhooks, 2);
	assert_string_equal(t->webhooks[0].id, "crm");
	assert_string_equal(t->webhooks[0].url, "https://crm.example/hook");
	assert_int_equal(t->webhooks[0].nevents, 1);
	assert_string_equal(t->webhooks[0].events[0], "*");
	assert_string_equal(t->webhooks[1].events[1], "agent.state");
	assert_string_equal(t->webhooks[1].secret, "fedcba9876543210");
	cfg_free(c);
}

static void test_webhook_errors_have_positions(void **state)
{
	struct cfg *c =
	    load("tenants:\n"
		 "  - id: acme\n"
		 "    webhooks:\n"
		 "      - {id: a, url: \"ftp://x/\", events: [\"*\"], secret: 0123456789abcdef}\n"
		 "      - {id: b, url: \"http://x/\", events: [agent.nope], secret: short}\n"
		 "      - {id: a, url: \"http://x/\", events: [], secret: 0123456789abcdef}\n"
		 "      - {id: c, url: \"http://x/\", secret: 0123456789abcdef, when: now}\n");

	(void)state;
	assert_true(has_error(c, "t.yaml:4:23: tenants[0].webhooks[0].url: expected an http:// or "
				 "https:// URL"));
	assert_true(has_error(c, "t.yaml:5:44: tenants[0].webhooks[1].events[0]: unknown event "
				 "type \"agent.nope\""));
	assert_true(has_error(c, "tenants[0].webhooks[1].secret: a secret is 16 to 256 bytes"));
	assert_true(has_error(
	    c, "t.yaml:6:10: tenants[0].webhooks[2].events: list at least one event type"));
	assert_true(has_error(c, "duplicate webhook id \"a\""));
	assert_true(has_error(c, "tenants[0].webhooks[3]: missing key \"events\""));
	assert_true(has_error(c, "tenants[0].webhooks[3].when: unknown key"));
	cfg_free(c);
}

static void test_syntax_error_has_position(void **state)
{
	struct cfg *c = load("tenants:\n  - id: [acme\n");
	assert_true(cfg_error_count(c) > 0);
	assert_true(has_error(c, "t.yaml:"));
	cfg_free(c);
}

static void test_wrong_type_and_range(void **state)
{
	struct cfg *c = load("rtp: {ports: 10-20, io: kernel}\n"
			     "tenants:\n"
			     "  - id: acme\n"
			     "    users:\n"
			     "      - {username: bob, skills: {x: 11}, auto_ready: maybe}\n");
	assert_true(has_error(c, "rtp.ports: expected a range"));
	assert_true(has_error(c, "rtp.io: expected auto, uring or epoll, got \"kernel\""));
	assert_true(has_error(c, "tenants[0].users[0].skills.x: 11 is out of range 1..10"));
	assert_true(has_error(c, "tenants[0].users[0].auto_ready: expected true or false"));
	cfg_free(c);
}

static void test_log_format_json_or_kv(void **state)
{
	struct cfg *c = load("log_format: json\n");

	assert_int_equal(cfg_error_count(c), 0);
	assert_string_equal(c->log_format, "json");
	cfg_free(c);
	c = load("log: debug\n");
	assert_string_equal(c->log_format, "kv");
	cfg_free(c);
	c = load("log_format: xml\n");
	assert_true(has_error(c, "t.yaml:1:13: log_format: expected kv or json"));
	cfg_free(c);
}

static void test_tenant_retention(void **state)
{
	struct cfg *c = load("tenants:\n"
			     "  - {id: acme, retention: {recordings: 90d, bodies: 365d}}\n"
			     "  - {id: beta}\n");

	assert_int_equal(cfg_error_count(c), 0);
	assert_int_equal(c->tenants[0].retain_recordings_ms, 90ULL * 86400 * 1000);
	assert_int_equal(c->tenants[0].retain_bodies_ms, 365ULL * 86400 * 1000);
	assert_int_equal(c->tenants[1].retain_recordings_ms, 0);
	cfg_free(c);
	c = load("tenants:\n  - {id: acme, retention: {recording: 90d}}\n");
	assert_true(has_error(c, "tenants[0].retention"));
	cfg_free(c);
}

static void test_tenant_browser_phone_switch(void **state)
{
	struct cfg *c = load("tenants:\n"
			     "  - {id: acme}\n"
			     "  - {id: beta, browser_phone: false}\n");

	assert_int_equal(cfg_error_count(c), 0);
	assert_true(c->tenants[0].browser_phone);
	assert_false(c->tenants[1].browser_phone);
	cfg_free(c);
	c = load("tenants:\n  - {id: acme, browser_phone: maybe}\n");
	assert_true(has_error(c, "tenants[0].browser_phone"));
	cfg_free(c);
}

static void test_duration_forms(void **state)
{
	uint64_t ms;

	assert_int_equal(cy_parse_duration("20s", &ms), 0);
	assert_int_equal(ms, 20000);
	assert_int_equal(cy_parse_duration("1m30s", &ms), 0);
	assert_int_equal(ms, 90000);
	assert_int_equal(cy_parse_duration("250ms", &ms), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(cy_parse_duration("1h", &ms), 0);
	assert_int_equal(ms, 3600000);
	assert_int_equal(cy_parse_duration("15", &ms), 0);
	assert_int_equal(ms, 15000);
	assert_int_not_equal(cy_parse_duration("5x", &ms), 0);
	assert_int_not_equal(cy_parse_duration("", &ms), 0);
}

/* An API body parsed as one object of a tenant: the file's checks and messages, with the
 * object's path, but no look-up of what it refers to. */
static void test_fragment_checks_fields_not_references(void **state)
{
	struct cfg *c;

	assert_int_equal(
	    cfg_load_fragment("acme", "numbers", "{\"number\":\"555\",\"queue\":\"nowhere\"}", &c),
	    0);
	assert_int_equal(cfg_error_count(c), 0);
	assert_string_equal(c->tenants[0].numbers[0].number, "555");
	assert_string_equal(c->tenants[0].numbers[0].target.value, "nowhere");
	cfg_free(c);

	assert_int_equal(cfg_load_fragment("acme", "numbers",
					   "{\"number\":\"555\",\"queue\":\"q\",\"bogus\":1}", &c),
			 0);
	assert_int_equal(cfg_error_count(c), 1);
	assert_non_null(strstr(cfg_error_at(c, 0), "tenants[0].numbers[0].bogus: unknown key"));
	cfg_free(c);

	assert_int_equal(
	    cfg_load_fragment("acme", "numbers",
			      "{\"number\":\"555\",\"queue\":\"q\",\"priority\":\"x\"}", &c),
	    0);
	assert_non_null(strstr(cfg_error_at(c, 0), "tenants[0].numbers[0].priority:"));
	cfg_free(c);
}

/* A list of listeners none of which parses: the errors name each, and the defaults that
 * take their place do not leak the list (found by fuzz/config.c; ASan's leak check). */
static void test_listen_all_invalid_reported_no_leak(void **state)
{
	struct cfg *c = load("sip: {listen: [\"tlr:127.0.0.1:5061\", \"udp:1.2.3.4:99999\"]}\n");

	assert_true(has_error(c, "unknown transport \"tlr\""));
	assert_true(has_error(c, "sip.listen[1]"));
	cfg_free(c);
}

/* shutdown_grace: 30 s unless written; 0s is kept (no drain); not a duration is an error. */
static void test_shutdown_grace(void **state)
{
	struct cfg *c = load("store: \"sqlite:x.db\"\n");

	assert_int_equal(c->shutdown_grace_ms, 30000);
	cfg_free(c);
	c = load("shutdown_grace: 0s\n");
	assert_int_equal(cfg_error_count(c), 0);
	assert_int_equal(c->shutdown_grace_ms, 0);
	cfg_free(c);
	c = load("shutdown_grace: 2m\n");
	assert_int_equal(c->shutdown_grace_ms, 120000);
	cfg_free(c);
	c = load("shutdown_grace: soon\n");
	assert_true(has_error(c, "shutdown_grace"));
	cfg_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_demo_shape_loads_with_defaults),
	    cmocka_unit_test(test_ha1_matches_rfc_example),
	    cmocka_unit_test(test_unknown_key_reports_line_column_and_path),
	    cmocka_unit_test(test_bad_duration_is_an_error),
	    cmocka_unit_test(test_number_to_unknown_queue_is_an_error),
	    cmocka_unit_test(test_channel_rules_per_tenant),
	    cmocka_unit_test(test_unknown_channel_is_an_error),
	    cmocka_unit_test(test_webhooks_per_tenant),
	    cmocka_unit_test(test_webhook_errors_have_positions),
	    cmocka_unit_test(test_number_in_two_tenants_is_an_error),
	    cmocka_unit_test(test_outbound_rules_and_trunk_addresses),
	    cmocka_unit_test(test_syntax_error_has_position),
	    cmocka_unit_test(test_wrong_type_and_range),
	    cmocka_unit_test(test_duration_forms),
	    cmocka_unit_test(test_fragment_checks_fields_not_references),
	    cmocka_unit_test(test_log_format_json_or_kv),
	    cmocka_unit_test(test_tenant_retention),
	    cmocka_unit_test(test_tenant_browser_phone_switch),
	    cmocka_unit_test(test_listen_all_invalid_reported_no_leak),
	    cmocka_unit_test(test_shutdown_grace),
	    cmocka_unit_test(test_trunk_registration),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
