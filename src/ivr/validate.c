/*
 * Checks a loaded flow as a whole: every link names a node, prompt audio exists for
 * each language the flow may speak, no loop can run without waiting for the caller's
 * input (a cycle of nodes none of which is a menu or a collect would spin forever:
 * play -> set -> goto itself), and every node can be reached from the start (a
 * warning). Loops are strongly connected components (Tarjan) of the graph of edges
 * leaving nodes that take no input. The same check runs across the flows of a set,
 * following `goto` edges.
 */
#include "ivr/ivr_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/yaml.h"

/* ---- a small graph for loops and reachability ---- */

struct graph {
	size_t n;
	int **adj;   /* adjacency lists, each ended by -1 */
	bool *input; /* vertex takes input: its edges do not count for loops */
	/* Tarjan state */
	int *index, *low, *stack, *comp;
	bool *on;
	int next_index, sp, ncomp;
};

static int graph_init(struct graph *g, size_t n)
{
	memset(g, 0, sizeof(*g));
	g->n = n;
	g->adj = calloc(n + 1, sizeof(*g->adj));
	g->input = calloc(n + 1, sizeof(*g->input));
	g->index = calloc(n + 1, sizeof(int));
	g->low = calloc(n + 1, sizeof(int));
	g->stack = calloc(n + 1, sizeof(int));
	g->comp = calloc(n + 1, sizeof(int));
	g->on = calloc(n + 1, sizeof(bool));
	return g->adj && g->input && g->index && g->low && g->stack && g->comp && g->on ? 0
											: ENOMEM;
}

static void graph_free(struct graph *g)
{
	for (size_t i = 0; g->adj && i < g->n; i++)
		free(g->adj[i]);
	free(g->adj);
	free(g->input);
	free(g->index);
	free(g->low);
	free(g->stack);
	free(g->comp);
	free(g->on);
}

static void strongconnect(struct graph *g, int v)
{
	g->index[v] = g->low[v] = ++g->next_index;
	g->stack[g->sp++] = v;
	g->on[v] = true;
	for (int *e = g->input[v] ? NULL : g->adj[v]; e && *e >= 0; e++) {
		int w = *e;
		if (!g->index[w]) {
			strongconnect(g, w);
			if (g->low[w] < g->low[v])
				g->low[v] = g->low[w];
		} else if (g->on[w] && g->index[w] < g->low[v]) {
			g->low[v] = g->index[w];
		}
	}
	if (g->low[v] == g->index[v]) {
		int w;
		g->ncomp++;
		do {
			w = g->stack[--g->sp];
			g->on[w] = false;
			g->comp[w] = g->ncomp;
		} while (w != v);
	}
}

static void tarjan(struct graph *g)
{
	for (size_t v = 0; v < g->n; v++)
		if (!g->index[v])
			strongconnect(g, (int)v);
}

/* A vertex is on a loop without input when its component has another vertex, or it has
 * an edge to itself. */
static bool on_loop(const struct graph *g, int v)
{
	if (g->input[v])
		return false;
	for (size_t w = 0; w < g->n; w++)
		if ((int)w != v && g->comp[w] == g->comp[v])
			return true;
	for (int *e = g->adj[v]; e && *e >= 0; e++)
		if (*e == v)
			return true;
	return false;
}

/* Successors of node `n` of flow `f` inside the flow (goto to the same flow included). */
static size_t node_edges(const struct ivr_flow *f, const struct ivr_node *n, int *out, size_t max)
{
	size_t k = 0;

	for (int s = 0; s < IVR_SLOT_COUNT && k < max; s++)
		if (n->link[s].idx >= 0)
			out[k++] = n->link[s].idx;
	for (size_t i = 0; i < n->ncases && k < max; i++)
		if (n->cases[i].link.idx >= 0)
			out[k++] = n->cases[i].link.idx;
	if (n->type == IVR_NODE_GOTO && n->flow && !strcmp(n->flow, f->name) && k < max) {
		int t = n->target ? ivr__node_find(f, n->target) : f->start;
		if (t >= 0)
			out[k++] = t;
	}
	return k;
}

/* Room for the successors of any node of `f` (slots, cases, a goto). */
static size_t edges_max(const struct ivr_flow *f)
{
	size_t m = 0;

	for (size_t i = 0; i < f->nnodes; i++)
		if (f->nodes[i].ncases > m)
			m = f->nodes[i].ncases;
	return IVR_SLOT_COUNT + m + 2;
}

static int set_adj(struct graph *g, size_t v, const int *e, size_t n)
{
	g->adj[v] = malloc((n + 1) * sizeof(int));
	if (!g->adj[v])
		return ENOMEM;
	memcpy(g->adj[v], e, n * sizeof(int));
	g->adj[v][n] = -1;
	return 0;
}

static void resolve(struct ivr_load *l, struct ivr_link *k)
{
	if (!k->name)
		return;
	k->idx = ivr__node_find(l->f, k->name);
	if (k->idx < 0)
		ivr__lerror(l, k->src, k->path, "unknown node \"%s\"", k->name);
}

static void loop_message(struct ivr_load *l, struct graph *g, int v)
{
	char list[512];
	size_t o = 0;

	list[0] = '\0';
	for (size_t w = 0; w < g->n && o < sizeof(list) - 64; w++)
		if (g->comp[w] == g->comp[v])
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", o ? ", " : "",
					      l->f->nodes[w].name);
	ivr__lerror(l, l->f->nodes[v].src, l->f->nodes[v].path,
		    "loop through %s never waits for input (add a menu or collect, or end it)",
		    list);
}

void ivr__validate(struct ivr_load *l)
{
	struct ivr_flow *f = l->f;
	struct graph g;
	int *edges = NULL;
	size_t emax = edges_max(f);
	int *queue = NULL;
	bool *seen = NULL, *reported = NULL;

	for (size_t i = 0; i < f->nnodes; i++) {
		struct ivr_node *n = &f->nodes[i];
		for (int s = 0; s < IVR_SLOT_COUNT; s++)
			resolve(l, &n->link[s]);
		for (size_t c = 0; c < n->ncases; c++)
			resolve(l, &n->cases[c].link);
		if (n->type == IVR_NODE_GOTO && n->flow && n->target && !strcmp(n->flow, f->name) &&
		    ivr__node_find(f, n->target) < 0) {
			char p[512];
			ivr__lerror(l, cy_get(n->src, "node"),
				    cy_path(p, sizeof(p), n->path, "node"), "unknown node \"%s\"",
				    n->target);
		}
		ivr__check_prompt_files(l, &n->prompt, n->src, n->path);
		ivr__check_prompt_files(l, &n->invalid_prompt, n->src, n->path);
		ivr__check_prompt_files(l, &n->no_input_prompt, n->src, n->path);
	}
	if (l->errors || cy_error_count(l->c) > l->errors0 || f->start < 0)
		return;
	edges = malloc(emax * sizeof(*edges));
	if (graph_init(&g, f->nnodes) || !edges) {
		l->errors++;
		goto out;
	}
	for (size_t i = 0; i < f->nnodes; i++) {
		g.input[i] = ivr__node_takes_input(&f->nodes[i]);
		if (set_adj(&g, i, edges, node_edges(f, &f->nodes[i], edges, emax))) {
			l->errors++;
			goto out;
		}
	}
	tarjan(&g);
	reported = calloc(g.ncomp + 1, sizeof(bool));
	seen = calloc(f->nnodes, sizeof(bool));
	queue = calloc(f->nnodes, sizeof(int));
	if (!reported || !seen || !queue) {
		l->errors++;
		goto out;
	}
	for (size_t i = 0; i < f->nnodes; i++)
		if (!reported[g.comp[i]] && on_loop(&g, (int)i)) {
			reported[g.comp[i]] = true;
			loop_message(l, &g, (int)i);
		}
	/* Reachability over every edge, input or not. */
	{
		size_t head = 0, tail = 0;
		queue[tail++] = f->start;
		seen[f->start] = true;
		while (head < tail) {
			int v = queue[head++];
			for (int *e = g.adj[v]; *e >= 0; e++)
				if (!seen[*e]) {
					seen[*e] = true;
					queue[tail++] = *e;
				}
		}
		for (size_t i = 0; i < f->nnodes; i++)
			if (!seen[i])
				ivr__lwarn(l, f->nodes[i].src, f->nodes[i].path,
					   "unreachable node (no path from start \"%s\")",
					   f->nodes[f->start].name);
	}
out:
	free(edges);
	free(queue);
	free(seen);
	free(reported);
	graph_free(&g);
}

/* ---- across the flows of a set ---- */

void ivr__validate_set(struct cy *c, const struct ivr_flowset *set)
{
	size_t total = 0, *base = NULL;
	struct graph g;
	bool *reported = NULL;
	int *edges = NULL;
	size_t emax = 0;

	memset(&g, 0, sizeof(g));
	base = calloc(set->n + 1, sizeof(*base));
	if (!base)
		return;
	for (size_t i = 0; i < set->n; i++) {
		base[i] = total;
		total += set->flows[i]->nnodes;
		if (edges_max(set->flows[i]) > emax)
			emax = edges_max(set->flows[i]);
	}
	edges = malloc((emax + 1) * sizeof(*edges));
	if (!edges || graph_init(&g, total))
		goto out;
	for (size_t i = 0; i < set->n; i++) {
		const struct ivr_flow *f = set->flows[i];
		for (size_t j = 0; j < f->nnodes; j++) {
			const struct ivr_node *n = &f->nodes[j];
			size_t k = node_edges(f, n, edges, emax);
			g.input[base[i] + j] = ivr__node_takes_input(n);
			for (size_t e = 0; e < k; e++)
				edges[e] += (int)base[i];
			if (n->type == IVR_NODE_GOTO && strcmp(n->flow, f->name)) {
				const struct ivr_flow *t = ivr_flowset_find(set, n->flow);
				int ti = -1;
				size_t tb = 0;
				for (size_t q = 0; t && q < set->n; q++)
					if (set->flows[q] == t)
						tb = base[q];
				if (t)
					ti = n->target ? ivr__node_find(t, n->target) : t->start;
				if (t && ti < 0) {
					char p[512];
					cy_error(c, cy_get(n->src, "node"),
						 cy_path(p, sizeof(p), n->path, "node"),
						 "flow \"%s\" has no node \"%s\"", t->name,
						 n->target);
				} else if (t) {
					edges[k++] = (int)tb + ti;
				}
			}
			if (set_adj(&g, base[i] + j, edges, k))
				goto out;
		}
	}
	tarjan(&g);
	reported = calloc(g.ncomp + 1, sizeof(bool));
	if (!reported)
		goto out;
	for (size_t i = 0; i < set->n; i++) {
		const struct ivr_flow *f = set->flows[i];
		for (size_t j = 0; j < f->nnodes; j++) {
			int v = (int)(base[i] + j);
			bool other_flow = false;
			if (reported[g.comp[v]] || !on_loop(&g, v))
				continue;
			/* Loops inside one flow were reported when it loaded. */
			for (size_t w = 0; w < total; w++)
				if (g.comp[w] == g.comp[v] &&
				    (w < base[i] || w >= base[i] + f->nnodes))
					other_flow = true;
			if (!other_flow)
				continue;
			reported[g.comp[v]] = true;
			cy_error(c, f->nodes[j].src, f->nodes[j].path,
				 "loop through flows never waits for input (goto between flows "
				 "without a menu or collect on the way)");
		}
	}
out:
	free(edges);
	free(reported);
	free(base);
	graph_free(&g);
}
