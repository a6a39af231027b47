/* centrala command line: serve, check, simulate, erlang, export, version. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "version") == 0) {
		printf("centrala %s\n", CENTRALA_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: centrala serve|check|simulate|erlang|export|version\n");
	return 2;
}
