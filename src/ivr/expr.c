/*
 * Condition expressions of the `condition` node, parsed once when the flow loads:
 *
 *   expr   := or
 *   or     := and ("or" and)*
 *   and    := unary ("and" unary)*
 *   unary  := "not" unary | "(" expr ")" | value [test]
 *   test   := ("==" | "!=" | "<" | "<=" | ">" | ">=") value
 *           | "in" value ".." value           (numeric range, inclusive)
 *           | "in" "[" value ("," value)* "]"  (one of)
 *           | ("startswith" | "endswith" | "contains") value
 *   value  := 'text' | "text" | number | variable (letters, digits, _ . -)
 *
 * A value alone is true when it is not empty, "0" or "false". Comparisons are numeric
 * when both sides are numbers, text otherwise.
 */
#include "ivr/ivr_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum ex_op {
	EX_OR,
	EX_AND,
	EX_NOT,
	EX_TRUTHY,
	EX_EQ,
	EX_NE,
	EX_LT,
	EX_LE,
	EX_GT,
	EX_GE,
	EX_RANGE,
	EX_ONE_OF,
	EX_PREFIX,
	EX_SUFFIX,
	EX_CONTAINS,
};

struct ex_val {
	bool is_var;
	char *s;
};

struct ivr_expr {
	enum ex_op op;
	struct ivr_expr *l, *r;
	struct ex_val a, b, c;
	struct ex_val *list;
	size_t nlist;
};

enum tok_type { T_END, T_LP, T_RP, T_LB, T_RB, T_COMMA, T_DOTDOT, T_OP, T_STR, T_NUM, T_WORD };

struct lex {
	const char *src, *p;
	enum tok_type t;
	const char *start;
	size_t len;
	char op[3];
	char *err;
	size_t errsize;
	int failed;
};

static void fail(struct lex *x, const char *at, const char *fmt, const char *what)
{
	if (x->failed)
		return;
	x->failed = 1;
	snprintf(x->err, x->errsize, fmt, what);
	{
		size_t n = strlen(x->err);
		snprintf(x->err + n, x->errsize - n, " at character %zu",
			 ivr__char_pos(x->src, (size_t)(at - x->src)));
	}
}

static bool word_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_' || ch == '.' || ch == '-' ||
	       (unsigned char)ch >= 0x80;
}

static void next(struct lex *x)
{
	const char *p = x->p;

	while (isspace((unsigned char)*p))
		p++;
	x->start = p;
	x->len = 0;
	if (!*p) {
		x->t = T_END;
	} else if (*p == '(' || *p == ')' || *p == '[' || *p == ']' || *p == ',') {
		x->t = *p == '('   ? T_LP
		       : *p == ')' ? T_RP
		       : *p == '[' ? T_LB
		       : *p == ']' ? T_RB
				   : T_COMMA;
		p++;
	} else if (p[0] == '.' && p[1] == '.') {
		x->t = T_DOTDOT;
		p += 2;
	} else if (strchr("=!<>", *p)) {
		x->t = T_OP;
		x->op[0] = *p;
		x->op[1] = p[1] == '=' ? '=' : '\0';
		x->op[2] = '\0';
		p += p[1] == '=' ? 2 : 1;
		if (!strcmp(x->op, "=") || !strcmp(x->op, "!")) {
			fail(x, x->start, "unknown operator \"%s\" (use == or !=)", x->op);
			x->t = T_END;
		}
	} else if (*p == '\'' || *p == '"') {
		char q = *p++;
		x->start = p;
		while (*p && *p != q)
			p++;
		if (!*p) {
			fail(x, x->start - 1, "%s", "unclosed string");
			x->t = T_END;
		} else {
			x->t = T_STR;
			x->len = (size_t)(p - x->start);
			p++;
		}
	} else if (isdigit((unsigned char)*p) ||
		   ((*p == '-' || *p == '+') && isdigit((unsigned char)p[1]))) {
		p++;
		while (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1])))
			p++;
		x->t = T_NUM;
		x->len = (size_t)(p - x->start);
	} else if (isalpha((unsigned char)*p) || *p == '_') {
		while (word_char(*p) && !(p[0] == '.' && p[1] == '.'))
			p++;
		x->t = T_WORD;
		x->len = (size_t)(p - x->start);
	} else {
		/* Quote the whole character, even a multi-byte one. */
		char bad[5] = {*p, 0};
		for (int i = 1; i < 4 && ((unsigned char)p[i] & 0xC0) == 0x80; i++)
			bad[i] = p[i];
		fail(x, p, "unexpected \"%s\"", bad);
		x->t = T_END;
	}
	x->p = p;
}

static bool is_kw(const struct lex *x, const char *kw)
{
	return x->t == T_WORD && x->len == strlen(kw) && !strncmp(x->start, kw, x->len);
}

static bool is_reserved(const struct lex *x)
{
	static const char *const kws[] = {"and",	"or",	    "not",	"in",
					  "startswith", "endswith", "contains", NULL};
	for (int i = 0; kws[i]; i++)
		if (is_kw(x, kws[i]))
			return true;
	return false;
}

static struct ivr_expr *node(struct lex *x, enum ex_op op)
{
	struct ivr_expr *e = calloc(1, sizeof(*e));

	if (!e)
		fail(x, x->start, "%s", "out of memory");
	else
		e->op = op;
	return e;
}

static int value(struct lex *x, struct ex_val *v)
{
	if (x->t != T_STR && x->t != T_NUM && (x->t != T_WORD || is_reserved(x))) {
		fail(x, x->start, "%s", "expected a value (a variable, a number or 'text')");
		return EINVAL;
	}
	v->is_var = x->t == T_WORD && !is_kw(x, "true") && !is_kw(x, "false");
	v->s = strndup(x->start, x->len);
	if (!v->s) {
		fail(x, x->start, "%s", "out of memory");
		return ENOMEM;
	}
	if (v->is_var && !ivr__valid_var_name(v->s, x->len)) {
		fail(x, x->start, "\"%s\" is not a variable name", v->s);
		return EINVAL;
	}
	next(x);
	return 0;
}

static struct ivr_expr *parse_or(struct lex *x);

static struct ivr_expr *parse_unary(struct lex *x)
{
	struct ivr_expr *e;

	if (x->failed)
		return NULL;
	if (is_kw(x, "not")) {
		next(x);
		e = node(x, EX_NOT);
		if (!e)
			return NULL;
		e->l = parse_unary(x);
		return e;
	}
	if (x->t == T_LP) {
		const char *open = x->start;
		next(x);
		e = parse_or(x);
		if (!x->failed && x->t != T_RP)
			fail(x, open, "%s", "unclosed \"(\"");
		next(x);
		return e;
	}
	e = node(x, EX_TRUTHY);
	if (!e)
		return NULL;
	if (value(x, &e->a))
		return e;
	if (x->t == T_OP) {
		static const struct {
			const char *s;
			enum ex_op op;
		} ops[] = {{"==", EX_EQ}, {"!=", EX_NE}, {"<", EX_LT},
			   {"<=", EX_LE}, {">", EX_GT},	 {">=", EX_GE}};
		for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			if (!strcmp(x->op, ops[i].s))
				e->op = ops[i].op;
		next(x);
		value(x, &e->b);
	} else if (is_kw(x, "startswith") || is_kw(x, "endswith") || is_kw(x, "contains")) {
		e->op = is_kw(x, "startswith") ? EX_PREFIX
			: is_kw(x, "endswith") ? EX_SUFFIX
					       : EX_CONTAINS;
		next(x);
		value(x, &e->b);
	} else if (is_kw(x, "in")) {
		next(x);
		if (x->t == T_LB) {
			e->op = EX_ONE_OF;
			do {
				struct ex_val *nl;
				next(x);
				nl = realloc(e->list, (e->nlist + 1) * sizeof(*nl));
				if (!nl) {
					fail(x, x->start, "%s", "out of memory");
					return e;
				}
				e->list = nl;
				memset(&nl[e->nlist], 0, sizeof(*nl));
				e->nlist++;
				if (value(x, &nl[e->nlist - 1]))
					return e;
			} while (x->t == T_COMMA);
			if (x->t != T_RB)
				fail(x, x->start, "%s", "expected \",\" or \"]\"");
			next(x);
		} else {
			e->op = EX_RANGE;
			if (value(x, &e->b))
				return e;
			if (x->t != T_DOTDOT) {
				fail(x, x->start, "%s",
				     "expected \"..\" of a range such as 1..10 or a list [a, b]");
				return e;
			}
			next(x);
			value(x, &e->c);
		}
	}
	return e;
}

static struct ivr_expr *parse_and(struct lex *x)
{
	struct ivr_expr *l = parse_unary(x);

	while (!x->failed && is_kw(x, "and")) {
		struct ivr_expr *e = node(x, EX_AND);
		if (!e)
			break;
		e->l = l;
		next(x);
		e->r = parse_unary(x);
		l = e;
	}
	return l;
}

static struct ivr_expr *parse_or(struct lex *x)
{
	struct ivr_expr *l = parse_and(x);

	while (!x->failed && is_kw(x, "or")) {
		struct ivr_expr *e = node(x, EX_OR);
		if (!e)
			break;
		e->l = l;
		next(x);
		e->r = parse_and(x);
		l = e;
	}
	return l;
}

int ivr__expr_parse(const char *text, struct ivr_expr **out, char *err, size_t errsize)
{
	struct lex x = {.src = text, .p = text, .err = err, .errsize = errsize};
	struct ivr_expr *e;

	next(&x);
	if (x.t == T_END && !x.failed) {
		snprintf(err, errsize, "empty condition");
		return EINVAL;
	}
	e = parse_or(&x);
	if (!x.failed && x.t != T_END) {
		char tok[32];
		snprintf(tok, sizeof(tok), "%.*s", (int)(x.len ? x.len : 1), x.start);
		fail(&x, x.start, "unexpected \"%s\" (expected and, or, or the end)", tok);
	}
	if (!e && !x.failed) {
		snprintf(err, errsize, "out of memory");
		return ENOMEM;
	}
	if (x.failed) {
		ivr__expr_free(e);
		return EINVAL;
	}
	*out = e;
	return 0;
}

static void val_free(struct ex_val *v)
{
	free(v->s);
}

void ivr__expr_free(struct ivr_expr *e)
{
	if (!e)
		return;
	ivr__expr_free(e->l);
	ivr__expr_free(e->r);
	val_free(&e->a);
	val_free(&e->b);
	val_free(&e->c);
	for (size_t i = 0; i < e->nlist; i++)
		val_free(&e->list[i]);
	free(e->list);
	free(e);
}

bool ivr__truthy(const char *v)
{
	return v && *v && strcmp(v, "0") && strcmp(v, "false") && strcmp(v, "no");
}

static const char *val_get(const struct ex_val *v, ivr_lookup_h *lookup, void *arg)
{
	const char *s;

	if (!v->s)
		return "";
	if (!v->is_var)
		return v->s;
	s = lookup(arg, v->s);
	return s ? s : "";
}

static bool as_number(const char *s, double *out)
{
	char *end;

	if (!*s)
		return false;
	*out = strtod(s, &end);
	return *end == '\0' && isfinite(*out);
}

/* <0, 0, >0 like strcmp; numeric when both are numbers. */
static int compare(const char *a, const char *b)
{
	double x, y;

	if (as_number(a, &x) && as_number(b, &y))
		return x < y ? -1 : x > y ? 1 : 0;
	return strcmp(a, b);
}

bool ivr__expr_eval(const struct ivr_expr *e, ivr_lookup_h *lookup, void *arg)
{
	const char *a, *b;
	double x, lo, hi;
	size_t la, lb;

	if (!e)
		return false;
	switch (e->op) {
	case EX_OR:
		return ivr__expr_eval(e->l, lookup, arg) || ivr__expr_eval(e->r, lookup, arg);
	case EX_AND:
		return ivr__expr_eval(e->l, lookup, arg) && ivr__expr_eval(e->r, lookup, arg);
	case EX_NOT:
		return !ivr__expr_eval(e->l, lookup, arg);
	case EX_TRUTHY:
		return ivr__truthy(val_get(&e->a, lookup, arg));
	default:
		break;
	}
	a = val_get(&e->a, lookup, arg);
	b = val_get(&e->b, lookup, arg);
	switch (e->op) {
	case EX_EQ:
		return compare(a, b) == 0;
	case EX_NE:
		return compare(a, b) != 0;
	case EX_LT:
		return compare(a, b) < 0;
	case EX_LE:
		return compare(a, b) <= 0;
	case EX_GT:
		return compare(a, b) > 0;
	case EX_GE:
		return compare(a, b) >= 0;
	case EX_RANGE:
		return as_number(a, &x) && as_number(b, &lo) &&
		       as_number(val_get(&e->c, lookup, arg), &hi) && x >= lo && x <= hi;
	case EX_ONE_OF:
		for (size_t i = 0; i < e->nlist; i++)
			if (compare(a, val_get(&e->list[i], lookup, arg)) == 0)
				return true;
		return false;
	case EX_PREFIX:
		return strncmp(a, b, strlen(b)) == 0;
	case EX_SUFFIX:
		la = strlen(a);
		lb = strlen(b);
		return la >= lb && strcmp(a + la - lb, b) == 0;
	case EX_CONTAINS:
		return strstr(a, b) != NULL;
	default:
		return false;
	}
}
