/*
 * centrala's command line: serve, check, simulate, erlang, export, backup, restore, hold,
 * migrate, recording, hash-password, version. Each command lives in its module; this file
 * only dispatches and prints usage.
 */
#include <stdio.h>
#include <string.h>

#include "core/crec.h"
#include "engine/engine.h"
#include "report/report.h"
#include "store/store.h"

static const char usage[] =
    "usage: centrala COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  serve --config FILE        run the server\n"
    "  check FILE                 validate a configuration (errors as FILE:LINE:COL)\n"
    "  export interactions --config FILE [--since TIME] [--format jsonl|csv]\n"
    "                             write interactions, one per line\n"
    "  import leads --config FILE --tenant T --list ID [--country CC] [--map phone=COL,...]\n"
    "         [--skip-bad] FILE.csv\n"
    "                             import a lead list (streamed; all or nothing by default)\n"
    "  import dnc --config FILE --tenant T [--campaign C] FILE.csv\n"
    "                             add numbers to a do-not-call list\n"
    "  export leads --config FILE --tenant T --list ID\n"
    "                             a list's leads and their results as CSV\n"
    "  backup --config FILE DIR   copy the store (online) and the recordings to DIR\n"
    "  restore --config FILE DIR [--force]\n"
    "                             put a backup back into the configured store\n"
    "  hold --config FILE --tenant ID [--release] INTERACTION...\n"
    "                             legal hold: retention keeps these interactions\n"
    "  migrate --config FILE      bring the store's schema to this build's version\n"
    "  recording keygen           print a new key for recording_encryption.key_file\n"
    "  recording decrypt (--config FILE --tenant ID | --key-file FILE) IN [OUT]\n"
    "                             write the WAV an encrypted recording holds\n"
    "  simulate SCENARIO.yaml     simulate a day of traffic on the real routing code\n"
    "  erlang --rate 720/h --aht 240s --answer-within 15s [--agents N] [--target 0.8]\n"
    "                             Erlang C staffing figures as JSON\n"
    "  hash-password              read a password, print its Argon2id hash (operators)\n"
    "  version                    print the version\n";

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd || !strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		fputs(usage, cmd ? stdout : stderr);
		return cmd ? 0 : 2;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		printf("centrala %s\n", CENTRALA_VERSION);
		return 0;
	}
	if (!strcmp(cmd, "check"))
		return engine_check_cli(argc - 1, argv + 1);
	if (!strcmp(cmd, "erlang"))
		return report_erlang_cli(argc - 1, argv + 1);
	if (!strcmp(cmd, "simulate"))
		return report_simulate_cli(argc - 1, argv + 1);
	if (!strcmp(cmd, "export"))
		return store_export_cli(argc - 1, argv + 1);
	if (!strcmp(cmd, "import"))
		return store_import_cli(argc - 1, argv + 1);
	if (!strcmp(cmd, "backup"))
		return store_backup_cli(argc - 1, argv + 1);
	if (!strcmp(cmd, "restore"))
		return store_restore_cli(argc - 1, argv + 1);
	if (!strcmp(cmd, "hold"))
		return store_hold_cli(argc - 1, argv + 1);
	if (!strcmp(cmd, "migrate"))
		return store_migrate_cli(argc - 1, argv + 1);
	if (!strcmp(cmd, "recording"))
		return crec_cli(argc - 1, argv + 1);
	if (!strcmp(cmd, "hash-password"))
		return store_hash_password_cli(argc - 1, argv + 1);
	if (!strcmp(cmd, "serve"))
		return engine_serve_cli(argc - 1, argv + 1);
	fprintf(stderr, "centrala: unknown command \"%s\"\n\n%s", cmd, usage);
	return 2;
}
