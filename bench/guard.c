/*
 * Cost of the security checks a request or a dial pays: the failed-authentication guard
 * (a failure recorded and a "blocked?" look-up, with the table filled by an attacker's
 * many addresses, blocked ones included) and the outbound prefix rules (a destination
 * normalised to E.164 and compared with the default premium/satellite blocks and a
 * tenant's lists). CPU time per operation, taken on a shared machine: compare runs, and
 * prefer `valgrind --tool=callgrind` instruction counts for small differences.
 *
 *   build/bench_guard [--ops N]
 *
 * Prints figures and the command that produced them; asserts nothing about time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "engine/engine_int.h"
#include "sip/digest.h"

static uint64_t cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000u +
		(uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec)) *
	       1000u;
}

int main(int argc, char **argv)
{
	size_t ops = 2000000;
	struct digest_guard *g = NULL;
	char addr[48];
	uint64_t t0, blocked_hits = 0;
	char *allow[] = {"+48", "+49", "+44", "+33"}, *block[] = {"+4822", "+4470"};
	struct cfg_tenant ct = {
	    .id = "acme",
	    .country = "PL",
	    .outbound = {
		.block_defaults = true, .allow = allow, .nallow = 4, .block = block, .nblock = 2}};
	static const char *const numbers[] = {"+48601234567",  "221234567",	"0048701234567",
					      "+881612345678", "+447700900123", "+12025550143"};
	size_t refused = 0;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--ops") && i + 1 < argc)
			ops = strtoul(argv[++i], NULL, 10);
	if (digest_guard_create(4096, 10, 60000, 600000, &g))
		return 1;
	/* Fill the table: a quarter of the addresses get blocked. */
	for (unsigned i = 0; i < 8192; i++) {
		snprintf(addr, sizeof(addr), "198.51.%u.%u", i / 250, i % 250);
		for (int k = 0; k < (i % 4 ? 1 : 10); k++)
			digest_guard_fail(g, addr, 1000);
	}
	t0 = cpu_ns();
	for (size_t i = 0; i < ops; i++) {
		snprintf(addr, sizeof(addr), "203.0.%zu.%zu", (i / 250) % 250, i % 250);
		digest_guard_fail(g, addr, 2000 + i / 1000);
		blocked_hits += digest_guard_blocked(g, addr, 2000 + i / 1000);
	}
	printf("guard: %zu failures + look-ups, %.1f ns CPU per pair (table 4096 slots, "
	       "full of older addresses, a quarter blocked; %llu look-ups found a block)\n",
	       ops, (double)(cpu_ns() - t0) / (double)ops, (unsigned long long)blocked_hits);
	digest_guard_free(g);

	t0 = cpu_ns();
	for (size_t i = 0; i < ops; i++)
		refused += eng__outbound_refusal(&ct, numbers[i % 6]) != NULL;
	printf("outbound prefix rules: %zu destinations, %.1f ns CPU each (%zu refused)\n", ops,
	       (double)(cpu_ns() - t0) / (double)ops, refused);
	printf("command: %s --ops %zu\n", argv[0], ops);
	return 0;
}
