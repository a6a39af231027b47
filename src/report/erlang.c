/*
 * Erlang C: probability of waiting, average speed of answer, service level and
 * occupancy for N agents carrying A erlangs, and the fewest agents reaching a service
 * level target. Everything goes through the Erlang B recursion, which stays within
 * [0, 1] at every step, so no factorial or power of A is ever formed and large N (tens
 * of thousands of agents) neither overflows nor loses precision.
 */
#include "report/report.h"

#include <errno.h>
#include <math.h>

#define MAX_AGENTS 10000000u

double report_erlang_b(double a, unsigned n)
{
	double b = 1.0;

	for (unsigned k = 1; k <= n; k++)
		b = a * b / (k + a * b);
	return b;
}

/* C from B: N B / (N - A (1 - B)). */
static double c_from_b(double a, unsigned n, double b)
{
	if ((double)n <= a)
		return 1.0;
	return n * b / (n - a * (1.0 - b));
}

double report_erlang_c(double a, unsigned n)
{
	if ((double)n <= a)
		return 1.0;
	return c_from_b(a, n, report_erlang_b(a, n));
}

static double asa_from_c(double a, unsigned n, double aht, double c)
{
	if ((double)n <= a)
		return INFINITY;
	return c * aht / (n - a);
}

static double sl_from_c(double a, unsigned n, double aht, double t, double c)
{
	if ((double)n <= a)
		return 0.0;
	return 1.0 - c * exp(-(n - a) * t / aht);
}

double report_erlang_asa(double a, unsigned n, double aht)
{
	return asa_from_c(a, n, aht, report_erlang_c(a, n));
}

double report_erlang_sl(double a, unsigned n, double aht, double t)
{
	return sl_from_c(a, n, aht, t, report_erlang_c(a, n));
}

double report_erlang_occupancy(double a, unsigned n)
{
	if (!n || (double)n <= a)
		return 1.0;
	return a / n;
}

int report_erlang_solve(double rate_per_s, double aht_s, double within_s, unsigned agents,
			double target, double shrinkage, struct report_erlang *out)
{
	double a, b = 1.0, c;
	unsigned n;

	if (!(rate_per_s > 0) || !(aht_s > 0) || !(within_s >= 0) || !(shrinkage >= 0) ||
	    !(shrinkage < 1) || !isfinite(rate_per_s) || !isfinite(aht_s) || !isfinite(within_s))
		return EINVAL;
	if (!agents && !(target > 0 && target < 1))
		return EINVAL;
	a = rate_per_s * aht_s;
	if (agents) {
		n = agents;
		b = report_erlang_b(a, n);
	} else {
		/* Walk N upwards carrying B(N); the first N > A reaching the target wins. */
		for (n = 1;; n++) {
			if (n > MAX_AGENTS)
				return ERANGE;
			b = a * b / (n + a * b);
			if ((double)n > a &&
			    sl_from_c(a, n, aht_s, within_s, c_from_b(a, n, b)) >= target)
				break;
		}
	}
	c = c_from_b(a, n, b);
	out->agents = n;
	out->traffic_erlangs = a;
	out->p_wait = c;
	out->asa_s = asa_from_c(a, n, aht_s, c);
	out->service_level = sl_from_c(a, n, aht_s, within_s, c);
	out->occupancy = report_erlang_occupancy(a, n);
	out->scheduled = (unsigned)ceil(n / (1.0 - shrinkage) - 1e-9);
	return 0;
}
