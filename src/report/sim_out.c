/*
 * Printing simulation results: text tables for people (one per queue and one for all
 * queues, a line per interval and a total) and one JSON document for programs.
 */
#include "report/report_int.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char *const sl_text[ACD_SL_COUNT] = {
    "answered within T / (answered + abandoned - short abandons)",
    "answered within T / answered",
    "(answered + abandoned within T) / (answered + abandoned)",
    "answered within T / (answered + abandoned)",
};

static void clock_label(char *buf, size_t size, uint64_t ms)
{
	uint64_t min = ms / 60000;

	snprintf(buf, size, "%02u:%02u", (unsigned)(min / 60 % 100), (unsigned)(min % 60));
}

static void interval_label(const struct report_sim_result *r, size_t i, char *buf, size_t size)
{
	char a[16], b[16];
	uint64_t from = r->start_label_ms + i * r->interval_ms;
	uint64_t to = from + r->interval_ms;

	if (to > r->start_label_ms + r->duration_ms)
		to = r->start_label_ms + r->duration_ms;
	clock_label(a, sizeof(a), from);
	clock_label(b, sizeof(b), to);
	snprintf(buf, size, "%s-%s", a, b);
}

static void cell(FILE *f, double v, double scale, const char *unit, int width)
{
	char buf[32];

	if (v < 0)
		snprintf(buf, sizeof(buf), "-");
	else
		snprintf(buf, sizeof(buf), "%.1f%s", v * scale, unit);
	fprintf(f, " %*s", width, buf);
}

static void row(FILE *f, const char *label, const struct report_sim_figures *x)
{
	fprintf(f, "%-12s %8llu %8llu %9llu %8llu", label, (unsigned long long)x->offered,
		(unsigned long long)x->answered, (unsigned long long)x->abandoned,
		(unsigned long long)x->overflowed);
	cell(f, x->service_level, 100, "", 6);
	cell(f, x->asa_s, 1, "s", 8);
	cell(f, x->aht_s, 1, "s", 8);
	cell(f, x->occupancy, 100, "", 6);
	fputc('\n', f);
}

static void table(const struct report_sim_result *r, size_t q, FILE *f)
{
	char label[32];
	const struct report_sim_figures *tot = report_sim_figures(r, q, r->nintervals);

	fprintf(f, "%-12s %8s %8s %9s %8s %6s %8s %8s %6s\n", "interval", "offered", "answered",
		"abandoned", "overflow", "SL%", "ASA", "AHT", "occ%");
	for (size_t i = 0; i < r->nintervals; i++) {
		interval_label(r, i, label, sizeof(label));
		row(f, label, report_sim_figures(r, q, i));
	}
	row(f, "total", tot);
	if (tot->abandoned_short || tot->unfinished)
		fprintf(
		    f, "(%llu short abandons; %llu contacts still waiting when the run ended)\n",
		    (unsigned long long)tot->abandoned_short, (unsigned long long)tot->unfinished);
}

void report_sim_print_text(const struct report_sim_result *r, FILE *f)
{
	fprintf(f, "centrala simulate: %s%s%s%s\n", r->name && *r->name ? r->name : "",
		r->name && *r->name ? " (" : "", r->file, r->name && *r->name ? ")" : "");
	fprintf(f,
		"seed %llu; %.4gh in %.4gmin intervals; %llu agents; %llu contacts; %.2f s of "
		"CPU\n",
		(unsigned long long)r->seed, r->duration_ms / 3600000.0, r->interval_ms / 60000.0,
		(unsigned long long)r->agents, (unsigned long long)r->contacts, r->cpu_s);
	for (size_t q = 0; q < r->nqueues; q++) {
		fprintf(f, "\nqueue %s (%s): target %u%% within %.4gs; SL = %s\n", r->queue_ids[q],
			acd_strategy_name(r->strategies[q]), r->sl_pct[q], r->sl_ms[q] / 1000.0,
			sl_text[r->formulas[q]]);
		table(r, q, f);
	}
	if (r->nqueues > 1) {
		fprintf(f, "\nall queues: SL = %s\n", sl_text[r->formulas[r->nqueues]]);
		table(r, r->nqueues, f);
	}
}

static json_t *num(double v)
{
	return v < 0 ? json_null() : json_real(v);
}

static json_t *figures_json(const struct report_sim_figures *x)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "offered", json_integer((json_int_t)x->offered));
	json_object_set_new(o, "answered", json_integer((json_int_t)x->answered));
	json_object_set_new(o, "abandoned", json_integer((json_int_t)x->abandoned));
	json_object_set_new(o, "abandoned_short", json_integer((json_int_t)x->abandoned_short));
	json_object_set_new(o, "overflowed", json_integer((json_int_t)x->overflowed));
	json_object_set_new(o, "unfinished", json_integer((json_int_t)x->unfinished));
	json_object_set_new(o, "service_level", num(x->service_level));
	json_object_set_new(o, "asa_s", num(x->asa_s));
	json_object_set_new(o, "aht_s", num(x->aht_s));
	json_object_set_new(o, "occupancy", num(x->occupancy));
	return o;
}

static json_t *series_json(const struct report_sim_result *r, size_t q)
{
	json_t *o = json_object(), *iv = json_array();
	char label[32];

	if (!o || !iv) {
		json_decref(o);
		json_decref(iv);
		return NULL;
	}
	for (size_t i = 0; i < r->nintervals; i++) {
		json_t *x = figures_json(report_sim_figures(r, q, i));
		if (!x)
			continue;
		interval_label(r, i, label, sizeof(label));
		json_object_set_new(x, "interval", json_string(label));
		json_object_set_new(x, "start_s",
				    json_integer((json_int_t)(i * r->interval_ms / 1000)));
		json_array_append_new(iv, x);
	}
	if (q < r->nqueues) {
		json_object_set_new(o, "id", json_string(r->queue_ids[q]));
		json_object_set_new(o, "strategy",
				    json_string(acd_strategy_name(r->strategies[q])));
		json_object_set_new(o, "service_level_target", json_real(r->sl_pct[q] / 100.0));
		json_object_set_new(o, "service_level_s", json_real(r->sl_ms[q] / 1000.0));
	}
	json_object_set_new(o, "sl_formula", json_string(acd_sl_formula_name(r->formulas[q])));
	json_object_set_new(o, "intervals", iv);
	json_object_set_new(o, "total", figures_json(report_sim_figures(r, q, r->nintervals)));
	return o;
}

int report_sim_print_json(const struct report_sim_result *r, FILE *f)
{
	json_t *root = json_object(), *qs = json_array();
	int rc;

	if (!root || !qs) {
		json_decref(root);
		json_decref(qs);
		return ENOMEM;
	}
	json_object_set_new(root, "scenario", json_string(r->name ? r->name : ""));
	json_object_set_new(root, "file", json_string(r->file));
	json_object_set_new(root, "seed", json_integer((json_int_t)r->seed));
	json_object_set_new(root, "duration_s", json_integer((json_int_t)(r->duration_ms / 1000)));
	json_object_set_new(root, "interval_s", json_integer((json_int_t)(r->interval_ms / 1000)));
	json_object_set_new(root, "agents", json_integer((json_int_t)r->agents));
	json_object_set_new(root, "contacts", json_integer((json_int_t)r->contacts));
	for (size_t q = 0; q < r->nqueues; q++)
		json_array_append_new(qs, series_json(r, q));
	json_object_set_new(root, "queues", qs);
	json_object_set_new(root, "all", series_json(r, r->nqueues));
	rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_REAL_PRECISION(6) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
	json_decref(root);
	return rc ? EIO : 0;
}
