/* hako: help shared by the hako and hako-runtime command lines. */
#include <stdio.h>
#include <string.h>

#include "cli/command.h"

/* Defined here, not in main.c, so that commands linked into the unit tests
 * (which have their own main) resolve it. */
struct hk_globals hk_globals = {
	.root = "/var/lib/hako",
	.runroot = "/run/hako",
};

void command_print_help(const struct hk_command *cmd, const char *prog)
{
	printf("Usage: %s %s\n\n%s\n", prog, cmd->usage, cmd->summary);
	if (cmd->aliases)
		printf("\nAliases: %s\n", cmd->aliases);
	if (cmd->help)
		printf("\n%s", cmd->help);
}

static bool wants_help(int argc, char **argv, bool short_h)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if ((short_h && !strcmp(argv[i], "-h")) || !strcmp(argv[i], "--help"))
			return true;
		if (argv[i][0] != '-')
			break; /* options after the first operand belong to it */
	}
	return false;
}

bool command_wants_help(int argc, char **argv)
{
	return wants_help(argc, argv, true);
}

bool command_wants_long_help(int argc, char **argv)
{
	return wants_help(argc, argv, false);
}
