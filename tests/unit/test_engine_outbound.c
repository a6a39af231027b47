/* Trusted addresses and the choice of trunk (src/engine/outbound.c): address and
 * network matching, which trunk a call source belongs to, and the trunk the tenant's
 * rules choose for a destination. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdint.h>

#include <cmocka.h>

#include "engine/engine_int.h"

static void test_addr_match_hosts_and_networks(void **state)
{
	assert_true(eng__addr_match("192.0.2.7", "192.0.2.7"));
	assert_false(eng__addr_match("192.0.2.7", "192.0.2.8"));
	assert_true(eng__addr_match("192.0.2.7", "192.0.2.0/24"));
	assert_false(eng__addr_match("192.0.3.7", "192.0.2.0/24"));
	assert_true(eng__addr_match("192.0.2.130", "192.0.2.128/25"));
	assert_false(eng__addr_match("192.0.2.127", "192.0.2.128/25"));
	assert_true(eng__addr_match("10.1.2.3", "0.0.0.0/0"));
	assert_true(eng__addr_match("2001:db8::5", "2001:db8::/32"));
	assert_false(eng__addr_match("2001:db9::5", "2001:db8::/32"));
	/* Families never meet; names are not addresses. */
	assert_false(eng__addr_match("192.0.2.7", "::/0"));
	assert_false(eng__addr_match("192.0.2.7", "carrier.example"));
	assert_false(eng__addr_match("", "192.0.2.7"));
}

static struct cfg_trunk trunk(const char *id, const char *uri, char **from, size_t n)
{
	return (struct cfg_trunk){
	    .id = (char *)id, .uri = (char *)uri, .inbound_from = from, .ninbound_from = n};
}

static void test_trunk_source_by_uri_host_or_inbound_from(void **state)
{
	char *nets[] = {"198.51.100.0/24"};
	struct cfg_trunk tk[2] = {trunk("a", "sip:192.0.2.1:5060", NULL, 0),
				  trunk("b", "sip:carrier.example", nets, 1)};
	struct cfg_tenant ct = {.id = "acme", .trunks = tk, .ntrunks = 2};

	assert_true(eng__trunk_from(&tk[0], "192.0.2.1:5060"));
	assert_true(eng__trunk_from(&tk[0], "192.0.2.1:41234")); /* any port */
	assert_false(eng__trunk_from(&tk[0], "192.0.2.2:5060"));
	assert_true(eng__trunk_from(&tk[1], "198.51.100.9:5060"));
	/* With inbound_from, the URI's host is not an address of the trunk any more. */
	tk[0].inbound_from = nets;
	tk[0].ninbound_from = 1;
	assert_false(eng__trunk_from(&tk[0], "192.0.2.1:5060"));
	tk[0].inbound_from = NULL;
	tk[0].ninbound_from = 0;
	assert_ptr_equal(eng__trunk_of_source(&ct, "198.51.100.200:5070"), &tk[1]);
	assert_null(eng__trunk_of_source(&ct, "203.0.113.1:5060"));
	assert_false(eng__inbound_restricted(&(struct cfg_tenant){.trunks = tk, .ntrunks = 1}));
	assert_true(eng__inbound_restricted(&ct));
}

static void test_trunk_choice_follows_routes_then_default(void **state)
{
	struct cfg_trunk tk[3] = {trunk("first", "sip:192.0.2.1", NULL, 0),
				  trunk("pl", "sip:192.0.2.2", NULL, 0),
				  trunk("uk", "sip:192.0.2.3", NULL, 0)};
	struct cfg_route routes[] = {{"+44", "uk"}, {"+4822", "pl"}, {"+48", "first"}};
	struct cfg_tenant ct = {.id = "acme", .country = "PL", .trunks = tk, .ntrunks = 3};

	/* No rules: the first trunk. */
	assert_ptr_equal(eng__trunk_choose(&ct, "+447700900123", NULL), &tk[0]);
	ct.outbound.trunk = "pl";
	assert_ptr_equal(eng__trunk_choose(&ct, "+447700900123", NULL), &tk[1]);
	ct.outbound.routes = routes;
	ct.outbound.nroutes = 3;
	assert_ptr_equal(eng__trunk_choose(&ct, "+447700900123", NULL), &tk[2]);
	assert_ptr_equal(eng__trunk_choose(&ct, "00447700900123", NULL), &tk[2]);
	/* National numbers are normalised by the tenant's country; longest prefix wins. */
	assert_ptr_equal(eng__trunk_choose(&ct, "022 123 45 67", NULL), &tk[1]);
	assert_ptr_equal(eng__trunk_choose(&ct, "601234567", NULL), &tk[0]);
	assert_ptr_equal(eng__trunk_choose(&ct, "+12025550143", NULL), &tk[1]);
	/* A trunk asked for by name is that trunk, or none. */
	assert_ptr_equal(eng__trunk_choose(&ct, "+447700900123", "pl"), &tk[1]);
	assert_null(eng__trunk_choose(&ct, "+447700900123", "nope"));
}

static void test_prefix_rules_block_premium_and_satellite_by_default(void **state)
{
	struct cfg_tenant ct = {
	    .id = "acme", .country = "PL", .outbound = {.block_defaults = true}};

	assert_null(eng__outbound_refusal(&ct, "+48221234567"));
	assert_null(eng__outbound_refusal(&ct, "221234567")); /* national, PL */
	assert_string_equal(eng__outbound_refusal(&ct, "+881612345678"), "blocked_prefix");
	assert_string_equal(eng__outbound_refusal(&ct, "00870773123456"), "blocked_prefix");
	assert_string_equal(eng__outbound_refusal(&ct, "701234567"), "blocked_prefix");
	assert_string_equal(eng__outbound_refusal(&ct, "+19005550100"), "blocked_prefix");
	assert_string_equal(eng__outbound_refusal(&ct, "+449012345678"), "blocked_prefix");
	assert_string_equal(eng__outbound_refusal(&ct, "12a4"), "invalid_number");
	assert_string_equal(eng__outbound_refusal(&ct, "1"), "invalid_number");
	assert_string_equal(eng__outbound_refusal(&ct, ""), "invalid_number");
	/* An operator who knows better may lift the defaults. */
	ct.outbound.block_defaults = false;
	assert_null(eng__outbound_refusal(&ct, "+881612345678"));
}

static void test_prefix_rules_allow_and_block_lists(void **state)
{
	char *allow[] = {"+48", "+49"}, *block[] = {"+4822"};
	struct cfg_tenant ct = {
	    .id = "acme",
	    .country = "PL",
	    .outbound = {
		.block_defaults = true, .allow = allow, .nallow = 2, .block = block, .nblock = 1}};

	assert_null(eng__outbound_refusal(&ct, "+48601234567"));
	assert_null(eng__outbound_refusal(&ct, "+4930123456"));
	assert_string_equal(eng__outbound_refusal(&ct, "+447700900123"), "not_allowed_prefix");
	assert_string_equal(eng__outbound_refusal(&ct, "221234567"), "blocked_prefix");
	/* Blocks win over allows, defaults included. */
	assert_string_equal(eng__outbound_refusal(&ct, "+49900123456"), "blocked_prefix");
	/* Without a country a national form is compared as dialled. */
	ct.country = NULL;
	assert_string_equal(eng__outbound_refusal(&ct, "601234567"), "not_allowed_prefix");
	assert_null(eng__outbound_refusal(&ct, "48601234567"));
}

static void test_rate_counts_the_last_hour(void **state)
{
	struct eng_rate r = {0};
	int64_t t0 = 1800000000000;

	assert_int_equal(eng__rate_count(&r, t0), 0);
	eng__rate_add(&r, t0);
	eng__rate_add(&r, t0 + 1000);
	eng__rate_add(&r, t0 + 30 * 60000);
	assert_int_equal(eng__rate_count(&r, t0 + 30 * 60000), 3);
	assert_int_equal(eng__rate_count(&r, t0 + 59 * 60000), 3);
	/* An hour (and at most a minute) later the first two are gone, then the third. */
	assert_int_equal(eng__rate_count(&r, t0 + 61 * 60000), 1);
	assert_int_equal(eng__rate_count(&r, t0 + 91 * 60000), 0);
	/* A long silence clears everything at once. */
	eng__rate_add(&r, t0 + 100 * 60000);
	assert_int_equal(eng__rate_count(&r, t0 + 1000 * 60000), 0);
}

/* The one check: caps on concurrent calls and on calls per hour of the tenant and of a
 * user, a refusal on the call's timeline, and a slot given back when the call ends. */
static void test_check_caps_and_timeline(void **state)
{
	struct cfg_user cu = {.username = "alice"};
	struct cfg_tenant ct = {
	    .id = "acme",
	    .country = "PL",
	    .outbound = {
		.block_defaults = true, .max_concurrent = 2, .per_hour = 3, .per_user_hour = 1}};
	struct eng_tenant t = {.ct = &ct};
	struct eng_user u = {.cu = &cu, .t = &t};
	struct call c[4];

	for (size_t i = 0; i < 4; i++) {
		c[i] = (struct call){.id = i + 1, .t = &t, .timeline = json_array()};
		assert_non_null(c[i].timeline);
	}
	assert_int_equal(eng__outbound_check(&c[0], "+48221234567", ENG_VIA_PHONE, &u), 0);
	/* alice's one call this hour is used up; a flow's transfer is nobody's. */
	assert_int_equal(eng__outbound_check(&c[1], "+48221234567", ENG_VIA_PHONE, &u), EPERM);
	assert_int_equal(eng__outbound_check(&c[1], "+48221234567", ENG_VIA_FLOW, NULL), 0);
	assert_int_equal(t.ob_active, 2);
	/* A second leg of a call already counted (a consultation) needs a slot of its own. */
	assert_int_equal(eng__outbound_check(&c[1], "+48221234568", ENG_VIA_API, NULL), EPERM);
	assert_int_equal(t.ob_active, 2);
	assert_int_equal(eng__outbound_check(&c[2], "+48221234567", ENG_VIA_OVERFLOW, NULL), EPERM);
	/* c[0]'s leg is placed and ends: its slot comes back, though the call goes on. */
	eng__outbound_placed(&c[0], (struct sip_leg *)&c[0]);
	eng__outbound_leg_ended(&c[0], (struct sip_leg *)&c[1]); /* not one of its legs */
	assert_int_equal(t.ob_active, 2);
	eng__outbound_leg_ended(&c[0], (struct sip_leg *)&c[0]);
	assert_int_equal(t.ob_active, 1);
	eng__outbound_release(&c[0]);
	assert_int_equal(t.ob_active, 1);
	/* Now c[1]'s consultation fits: two legs of one call, two slots. */
	assert_int_equal(eng__outbound_check(&c[1], "+48221234568", ENG_VIA_API, NULL), 0);
	assert_int_equal(t.ob_active, 2);
	eng__outbound_unplaced(&c[1]); /* its dial failed */
	assert_int_equal(t.ob_active, 1);
	/* A slot is free, but the tenant placed 3 legs this hour. */
	assert_int_equal(eng__outbound_check(&c[2], "+48221234567", ENG_VIA_OVERFLOW, NULL), EPERM);
	assert_int_equal(eng__outbound_check(&c[3], "+881612345678", ENG_VIA_CALLBACK, NULL),
			 EPERM);
	assert_int_equal(json_array_size(c[1].timeline), 2);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(c[1].timeline, 0), "reason")),
	    "user_hour_cap");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(c[1].timeline, 1), "reason")),
	    "concurrent_cap");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(c[2].timeline, 1), "reason")),
	    "tenant_hour_cap");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(c[2].timeline, 0), "reason")),
	    "concurrent_cap");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(c[3].timeline, 0), "reason")),
	    "blocked_prefix");
	for (size_t i = 0; i < 4; i++)
		json_decref(c[i].timeline);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_addr_match_hosts_and_networks),
	    cmocka_unit_test(test_trunk_source_by_uri_host_or_inbound_from),
	    cmocka_unit_test(test_trunk_choice_follows_routes_then_default),
	    cmocka_unit_test(test_prefix_rules_block_premium_and_satellite_by_default),
	    cmocka_unit_test(test_prefix_rules_allow_and_block_lists),
	    cmocka_unit_test(test_rate_counts_the_last_hour),
	    cmocka_unit_test(test_check_caps_and_timeline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
