/*
 * IVR flows driven by calls. Placeholder until the interpreter is wired: no flow can be
 * entered, so numbers that point at a flow are answered 503 by the router.
 */
#include "engine/engine_int.h"

#include <errno.h>

int eng__flows_start(struct engine *e)
{
	(void)e;
	return 0;
}

void eng__flows_stop(struct engine *e)
{
	(void)e;
}

size_t eng__flows_check(struct cfg *cfg)
{
	(void)cfg;
	return 0;
}

int eng__flow_enter(struct call *c, const char *name)
{
	(void)c;
	(void)name;
	return ENOSYS;
}

void eng__flow_digit(struct call *c, char digit)
{
	(void)c;
	(void)digit;
}

void eng__flow_play_done(struct call *c, uint32_t id)
{
	(void)c;
	(void)id;
}

void eng__flow_end(struct call *c)
{
	(void)c;
}
