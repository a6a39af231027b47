/*
 * The OpenAPI 3.1 document served at /api/v1/openapi.json. It is written as JSON in
 * src/api/openapi.json, checked by the tests against real responses, and built into
 * the binary so that the server needs no file at run time.
 */
#include "api/api_int.h"

__asm__(".section .rodata\n"
	".global centrala_openapi_start\n"
	".global centrala_openapi_end\n"
	"centrala_openapi_start:\n"
	".incbin \"" OPENAPI_JSON "\"\n"
	"centrala_openapi_end:\n"
	".previous\n");

extern const char centrala_openapi_start[], centrala_openapi_end[];

const char *api__openapi(size_t *len)
{
	*len = (size_t)(centrala_openapi_end - centrala_openapi_start);
	return centrala_openapi_start;
}
