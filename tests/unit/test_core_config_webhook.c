/*
 * Where webhooks may go (src/core/config_webhook.c): the addresses refused unless
 * http.webhooks.allow_private (loopback, link-local, private, shared, multicast and
 * reserved, in every form a resolver reads, IPv4 inside IPv6 included), the URLs whose
 * host is written as one of them, the file's webhooks checked with their position
 * whichever comes first in the file, and the http.webhooks keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
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
	for (size_t i = 0; i < cfg_error_count(c); i++)
		print_message("error: %s\n", cfg_error_at(c, i));
	return 0;
}

static bool private_addr(const char *text)
{
	struct sockaddr_in s4 = {.sin_family = AF_INET};
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};

	if (inet_pton(AF_INET, text, &s4.sin_addr) == 1)
		return cfg_addr_private((const struct sockaddr *)&s4);
	assert_int_equal(inet_pton(AF_INET6, text, &s6.sin6_addr), 1);
	return cfg_addr_private((const struct sockaddr *)&s6);
}

static void test_private_and_public_addresses(void **state)
{
	static const char *const refused[] = {"127.0.0.1",
					      "127.255.255.254",
					      "10.0.0.1",
					      "172.16.0.1",
					      "172.31.255.255",
					      "192.168.0.1",
					      "169.254.169.254",
					      "100.64.0.1",
					      "100.127.255.1",
					      "0.0.0.0",
					      "192.0.0.8",
					      "198.18.0.1",
					      "224.0.0.1",
					      "255.255.255.255",
					      "::1",
					      "::",
					      "fe80::1",
					      "fc00::1",
					      "fd12:3456::1",
					      "ff02::1",
					      "::ffff:127.0.0.1",
					      "::ffff:10.1.2.3",
					      "64:ff9b::a9fe:a9fe",
					      "fec0::1"};
	static const char *const allowed[] = {
	    "8.8.8.8",	       "1.1.1.1",	  "172.15.255.255", "172.32.0.1",
	    "100.63.255.255",  "100.128.0.1",	  "192.0.2.1",	    "193.0.0.1",
	    "223.255.255.255", "2001:4860::8888", "::ffff:8.8.8.8", "2a00:1450::1"};

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (!private_addr(refused[i]))
			fail_msg("%s is not refused", refused[i]);
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (private_addr(allowed[i]))
			fail_msg("%s is refused", allowed[i]);
}

static void test_urls_naming_private_addresses(void **state)
{
	static const char *const refused[] = {"http://127.0.0.1/x",
					      "https://127.0.0.1:8443",
					      "http://localhost/x",
					      "http://LOCALHOST.:80/x",
					      "http://api.localhost/x",
					      "http://[::1]:8080/x",
					      "http://[::ffff:10.0.0.1]/",
					      "http://2130706433/",
					      "http://127.1/",
					      "http://0x7f.0.0.1/",
					      "http://017700000001/",
					      "http://10.1.2.3?x=1",
					      "http://169.254.169.254/latest",
					      "http://user:pw@192.168.1.1/",
					      "http://a@b@10.0.0.1/",
					      "http://[fe80::1%25eth0]/"};
	static const char *const allowed[] = {"https://crm.example/hook",
					      "http://127.0.0.1.example/x",
					      "http://localhost.example/x",
					      "http://8.8.8.8/x",
					      "http://[2001:db8::1]/x",
					      "http://10.0.0.1@crm.example/x",
					      "http://crm.example/?next=http://127.0.0.1/"};

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (!cfg_webhook_target_error(refused[i]))
			fail_msg("%s is not refused", refused[i]);
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (cfg_webhook_target_error(allowed[i]))
			fail_msg("%s is refused", allowed[i]);
}

static void test_file_webhook_to_loopback_needs_allow_private(void **state)
{
	static const char *const tenants =
	    "tenants:\n"
	    "  - id: acme\n"
	    "    webhooks:\n"
	    "      - {id: crm, url: \"http://127.0.0.1:9000/x\", events: [\"*\"],\n"
	    "         secret: 0123456789abcdef}\n";
	char text[512];
	struct cfg *c = load(tenants);

	(void)state;
	assert_true(has_error(c, "t.yaml:4:25: tenants[0].webhooks[0].url: the URL names a "
				 "loopback, link-local or private address (set "
				 "http.webhooks.allow_private to deliver there)"));
	cfg_free(c);
	/* Allowed, whether http: comes before the tenants or after them. */
	snprintf(text, sizeof(text), "http: {webhooks: {allow_private: true}}\n%s", tenants);
	c = load(text);
	assert_int_equal(cfg_error_count(c), 0);
	assert_true(c->http_webhooks.allow_private);
	cfg_free(c);
	snprintf(text, sizeof(text), "%shttp: {webhooks: {allow_private: yes}}\n", tenants);
	c = load(text);
	assert_int_equal(cfg_error_count(c), 0);
	cfg_free(c);
}

static void test_http_webhooks_keys(void **state)
{
	struct cfg *c = load("http: {webhooks: {per_target: 2, per_tenant: 8}}\n");

	(void)state;
	assert_int_equal(cfg_error_count(c), 0);
	assert_false(c->http_webhooks.allow_private);
	assert_int_equal(c->http_webhooks.per_target, 2);
	assert_int_equal(c->http_webhooks.per_tenant, 8);
	cfg_free(c);
	c = load("http: {webhooks: {per_target: 0, per_tenant: 1000, allow_private: maybe, "
		 "speed: 3}}\n");
	assert_true(has_error(c, "http.webhooks.per_target"));
	assert_true(has_error(c, "http.webhooks.per_tenant"));
	assert_true(has_error(c, "http.webhooks.allow_private: expected true or false"));
	assert_true(has_error(c, "speed"));
	cfg_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_private_and_public_addresses),
	    cmocka_unit_test(test_urls_naming_private_addresses),
	    cmocka_unit_test(test_file_webhook_to_loopback_needs_allow_private),
	    cmocka_unit_test(test_http_webhooks_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
