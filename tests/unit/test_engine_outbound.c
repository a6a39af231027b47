/* Trusted addresses and the choice of trunk (src/engine/outbound.c): address and
 * network matching, which trunk a call source belongs to, and the trunk the tenant's
 * rules choose for a destination. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
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
	return (struct cfg_trunk){.id = (char *)id, .uri = (char *)uri, .inbound_from = from,
				  .ninbound_from = n};
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_addr_match_hosts_and_networks),
	    cmocka_unit_test(test_trunk_source_by_uri_host_or_inbound_from),
	    cmocka_unit_test(test_trunk_choice_follows_routes_then_default),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
