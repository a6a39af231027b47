/* The definitions of live flows (src/engine/flows_live.c): version numbers, the cap on
 * kept versions, the document an API flow is stored as, through the objects table of
 * both store back ends and back, and the file's YAML flows as the JSON they are kept
 * as. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_store_fixture.h"

#include "core/config.h"
#include "core/log.h"
#include "core/yaml.h"
#include "engine/flows_live.h"

struct fx {
	struct eng_tenant t;
	struct eng_live l;
};

static struct eng_flowdef *def(struct fx *f, const char *name)
{
	memset(f, 0, sizeof(*f));
	f->t.live = &f->l;
	return eng__live_flowdef_add(&f->t, name);
}

static void fx_free(struct fx *f)
{
	while (f->l.nflows)
		eng__live_flowdef_remove(&f->t, &f->l.flows[0]);
	free(f->l.flows);
}

static void test_versions_number_up_and_a_refused_one_gives_its_number_back(void **state)
{
	struct fx f;
	struct eng_flowdef *d = def(&f, "main");

	assert_non_null(d);
	for (int i = 0; i < 3; i++)
		assert_int_equal(eng__live_ver_add(d, "api:ada", "{\"start\":\"a\"}"), 0);
	assert_int_equal(d->nv, 3);
	assert_int_equal(d->v[2].no, 3);
	assert_string_equal(d->v[2].by, "api:ada");
	eng__live_ver_drop_last(d);
	assert_int_equal(eng__live_ver_add(d, "api:ada", "{}"), 0);
	assert_int_equal(d->v[2].no, 3);
	assert_null(eng__flow_ver(d, 4));
	assert_non_null(eng__flow_ver(d, 2));
	fx_free(&f);
}

static void test_old_versions_go_but_never_the_published_one(void **state)
{
	struct fx f;
	struct eng_flowdef *d = def(&f, "main");

	for (int i = 0; i < LIVE_MAX_VERSIONS; i++)
		assert_int_equal(eng__live_ver_add(d, "file", "{}"), 0);
	d->published = 1;
	assert_int_equal(eng__live_ver_add(d, "file", "{}"), 0);
	assert_int_equal(d->nv, LIVE_MAX_VERSIONS);
	assert_int_equal(d->v[0].no, 1); /* published: kept */
	assert_int_equal(d->v[1].no, 3); /* the oldest other went */
	assert_int_equal(d->v[d->nv - 1].no, LIVE_MAX_VERSIONS + 1);
	d->published = LIVE_MAX_VERSIONS + 1;
	assert_int_equal(eng__live_ver_add(d, "file", "{}"), 0);
	assert_int_equal(d->v[0].no, 3);
	fx_free(&f);
}

static int row(const char *key, const char *body, void *arg)
{
	char **out = arg;

	assert_string_equal(key, "live");
	*out = strdup(body);
	return 0;
}

static void test_a_flow_with_its_versions_survives_the_store(void **state)
{
	struct backend *b = *state;
	struct fx f, g;
	struct eng_flowdef *d = def(&f, "live"), *e;
	json_t *doc;
	char *text, *back = NULL, *none = NULL;

	struct cfg *c = NULL;
	struct store_provision_report rep;

	/* The tenants' rows first, as the server's start makes them. */
	assert_int_equal(cfg_load_string("t.yaml", "tenants: [{id: acme}, {id: beta}]\n", &c), 0);
	assert_int_equal(store_db_provision(b->db, c, NULL, &rep), 0);
	cfg_free(c);
	assert_int_equal(eng__live_ver_add(d, "api:ada", "{\"start\":\"a\",\"nodes\":{}}"), 0);
	assert_int_equal(eng__live_ver_add(d, "api:bob", "{\"start\":\"b\",\"nodes\":{}}"), 0);
	assert_int_equal(eng__live_ver_add(d, "api:ada", "{\"start\":\"c\",\"nodes\":{}}"), 0);
	d->published = 2; /* 3 is a draft */
	doc = eng__flowdef_doc(d);
	text = json_dumps(doc, JSON_COMPACT);
	assert_int_equal(store_db_object_put(b->db, "acme", "flows", "live", text), 0);
	assert_int_equal(store_db_objects_api(b->db, "acme", "flows", row, &back), 0);
	assert_non_null(back);
	/* Another tenant has none. */
	assert_int_equal(store_db_objects_api(b->db, "beta", "flows", row, &none), 0);
	assert_null(none);

	e = def(&g, "live");
	assert_int_equal(eng__flowdef_load_doc(e, back), 0);
	assert_int_equal(e->nv, 3);
	assert_int_equal(e->published, 2);
	assert_int_equal(e->next_no, 4);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(e->v[i].no, d->v[i].no);
		assert_string_equal(e->v[i].by, d->v[i].by);
		assert_string_equal(e->v[i].body, d->v[i].body);
		assert_true(e->v[i].created_ms == d->v[i].created_ms);
	}
	assert_int_equal(store_db_object_delete(b->db, "acme", "flows", "live"), 0);
	free(back);
	back = NULL;
	assert_int_equal(store_db_objects_api(b->db, "acme", "flows", row, &back), 0);
	assert_null(back);
	json_decref(doc);
	free(text);
	fx_free(&f);
	fx_free(&g);
}

static void test_a_document_without_its_published_version_is_refused(void **state)
{
	struct fx f;
	struct eng_flowdef *d = def(&f, "x");

	assert_int_equal(eng__flowdef_load_doc(d, "{\"published\":2,\"next\":3,\"versions\":[{"
						  "\"version\":1,\"by\":\"api:a\",\"created_ms\":1,"
						  "\"flow\":{}}]}"),
			 EINVAL);
	fx_free(&f);
	d = def(&f, "x");
	assert_int_equal(eng__flowdef_load_doc(d, "[1]"), EINVAL);
	fx_free(&f);
}

static void test_a_yaml_flow_is_kept_as_compact_json_in_its_order(void **state)
{
	struct cy *c = NULL;
	char *s;

	assert_int_equal(cy_load_string("t",
					"start: menu\nnodes:\n  menu: {type: menu, retries: "
					"2, timeout: 5s, options: {1: a}, x: true}\n  a: "
					"{type: hangup, prompt: \"Dzień dobry\"}\n",
					&c),
			 0);
	s = eng__node_json(cy_root(c));
	assert_non_null(s);
	assert_string_equal(s, "{\"start\":\"menu\",\"nodes\":{\"menu\":{\"type\":\"menu\","
			       "\"retries\":2,\"timeout\":\"5s\",\"options\":{\"1\":\"a\"},\"x\":"
			       "true},\"a\":{\"type\":\"hangup\",\"prompt\":\"Dzień dobry\"}}}");
	free(s);
	cy_free(c);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
	    cmocka_unit_test(test_versions_number_up_and_a_refused_one_gives_its_number_back),
	    cmocka_unit_test(test_old_versions_go_but_never_the_published_one),
	    cmocka_unit_test(test_a_document_without_its_published_version_is_refused),
	    cmocka_unit_test(test_a_yaml_flow_is_kept_as_compact_json_in_its_order),
	};
	const struct CMUnitTest stored[] = {
	    cmocka_unit_test_setup_teardown(test_a_flow_with_its_versions_survives_the_store,
					    fresh_db, cleanup),
	};
	int failed;

	log_setup((enum log_level)(LOG_LEVEL_ERROR + 1), 2);
	failed = cmocka_run_group_tests_name("flow versions", pure, NULL, NULL);

	failed +=
	    cmocka_run_group_tests_name("flow documents on sqlite", stored, group_sqlite, NULL);
	if (getenv("CENTRALA_TEST_PG"))
		failed += cmocka_run_group_tests_name("flow documents on postgresql", stored,
						      group_pg, NULL);
	return failed;
}
