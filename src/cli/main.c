/* hako: entry point.  One binary serves as `hako` and, when called as
 * `hako-runtime` (or `hako runtime ...`), as the OCI runtime. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "util/log.h"
#include "util/util.h"
#include "util/trace.h"

#ifndef HAKO_VERSION
#define HAKO_VERSION "0.1.0"
#endif

extern const struct hk_command *const __start_hk_cmd_hako[];
extern const struct hk_command *const __stop_hk_cmd_hako[];

int runtime_cli_main(int argc, char **argv);

/* An alias list is comma-separated: names of two words ("vm undefine") are
 * one alias, never two ("undefine" alone once removed a VM).  Each alias of
 * c in turn, trimmed: *name and *len; a is where the walk is (NULL first). */
static bool next_alias(const struct hk_command *c, const char **a, const char **name, size_t *len)
{
	const char *p = *a ? *a : c->aliases, *end;

	if (!p || !*p)
		return false;
	while (*p == ' ')
		p++;
	end = strchr(p, ',');
	*name = p;
	*len = end ? (size_t)(end - p) : strlen(p);
	while (*len && p[*len - 1] == ' ')
		(*len)--;
	*a = end ? end + 1 : p + strlen(p);
	return true;
}

static bool name_matches(const struct hk_command *c, const char *name)
{
	const char *a = NULL, *alias;
	size_t n = strlen(name), len;

	if (!strcmp(c->name, name))
		return true;
	while (next_alias(c, &a, &alias, &len))
		if (len == n && !strncmp(alias, name, n))
			return true;
	return false;
}

static const struct hk_command *lookup(const char *name)
{
	for (const struct hk_command *const *c = __start_hk_cmd_hako; c < __stop_hk_cmd_hako; c++)
		if (name_matches(*c, name))
			return *c;
	return NULL;
}

/* Find "group verb" first (argv[0] argv[1]), then a single word. */
static const struct hk_command *find_command(int argc, char **argv, int *used)
{
	const struct hk_command *c;

	if (argc >= 2 && argv[1][0] != '-') {
		_cleanup_free_ char *two = xasprintf("%s %s", argv[0], argv[1]);
		if ((c = lookup(two))) {
			*used = 2;
			return c;
		}
	}
	*used = 1;
	return lookup(argv[0]);
}

/* The name of c in group ("vm list", or the alias "container run" of run)
 * into buf; false when c is not in the group. */
static bool name_in_group(const struct hk_command *c, const char *group, char *buf, size_t size)
{
	size_t g = strlen(group), len;
	const char *a = NULL, *alias;

	if (!strncmp(c->name, group, g) && c->name[g] == ' ') {
		snprintf(buf, size, "%s", c->name);
		return true;
	}
	while (next_alias(c, &a, &alias, &len)) {
		if (len > g && !strncmp(alias, group, g) && alias[g] == ' ') {
			snprintf(buf, size, "%.*s", (int)len, alias);
			return true;
		}
	}
	return false;
}

/* Whether some command is named "group ..." (vm, network, container, ...). */
static bool is_group(const char *group)
{
	char buf[64];

	for (const struct hk_command *const *c = __start_hk_cmd_hako; c < __stop_hk_cmd_hako; c++)
		if (name_in_group(*c, group, buf, sizeof(buf)))
			return true;
	return false;
}

static int cmp_cmd(const void *a, const void *b)
{
	return strcmp((*(const struct hk_command *const *)a)->name,
		      (*(const struct hk_command *const *)b)->name);
}

/* Every command, or with group ("vm") the commands of that group. */
static void usage(FILE *out, const char *group)
{
	char name[64];
	size_t n = (size_t)(__stop_hk_cmd_hako - __start_hk_cmd_hako);
	const struct hk_command **sorted = xmalloc(n * sizeof(*sorted));

	memcpy(sorted, __start_hk_cmd_hako, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_cmd);
	if (group) {
		fprintf(out, "Usage: hako %s COMMAND [ARG...]\n\nCommands:\n", group);
		for (size_t i = 0; i < n; i++)
			if (name_in_group(sorted[i], group, name, sizeof(name)))
				fprintf(out, "  %-22s %s\n", name, sorted[i]->summary);
		fprintf(out, "\nRun 'hako %s COMMAND --help' for more on a command.\n", group);
		free(sorted);
		return;
	}
	fprintf(out,
		"Usage: hako [OPTIONS] COMMAND [ARG...]\n\n"
		"Containers and virtual machines from OCI images.\n\n"
		"Options:\n"
		"      --root DIR      persistent state (default /var/lib/hako)\n"
		"      --runroot DIR   runtime state (default /run/hako; one per root at a time)\n"
		"      --debug         print debug messages\n"
		"  -v, --version       print the version\n"
		"  -h, --help          print this help\n\n"
		"Commands:\n");
	for (size_t i = 0; i < n; i++)
		if (strncmp(sorted[i]->name, "__", 2)) /* internal commands */
			fprintf(out, "  %-22s %s\n", sorted[i]->name, sorted[i]->summary);
	fprintf(out, "  %-22s %s\n", "runtime", "the OCI runtime (same as hako-runtime)");
	fprintf(out, "\nRun 'hako COMMAND --help' for more on a command.\n");
	free(sorted);
}

static int hako_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'}, {"runroot", required_argument, NULL, 'R'},
		{"debug", no_argument, NULL, 'D'},	{"version", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},	{0},
	};
	_cleanup_error_ struct hk_error *err = NULL;
	const struct hk_command *cmd;
	const char *env;
	int c, used = 0, rc;

	if ((env = getenv("HAKO_ROOT")) && *env)
		hk_globals.root = env;
	if ((env = getenv("HAKO_RUNROOT")) && *env)
		hk_globals.runroot = env;
	while ((c = getopt_long(argc, argv, "+vhD", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			hk_globals.root = optarg;
			break;
		case 'R':
			hk_globals.runroot = optarg;
			break;
		case 'D':
			hk_globals.debug = true;
			log_set_level(HK_LOG_DEBUG);
			break;
		case 'v':
			printf("hako version %s\n", HAKO_VERSION);
			return 0;
		case 'h':
			usage(stdout, NULL);
			return 0;
		default:
			usage(stderr, NULL);
			return 125;
		}
	}
	if (optind >= argc) {
		usage(stderr, NULL);
		return 125;
	}
	argc -= optind;
	argv += optind;
	if (!strcmp(argv[0], "runtime"))
		return runtime_cli_main(argc, argv);
	if (!strcmp(argv[0], "help")) {
		usage(stdout, NULL);
		return 0;
	}
	cmd = find_command(argc, argv, &used);
	if (!cmd && is_group(argv[0])) {
		/* `hako vm` alone lists the group's commands, as `docker network`; an
		 * unknown verb is an error, never another command of the group */
		if (argc == 1 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			usage(stdout, argv[0]);
			return 0;
		}
		fprintf(stderr, "hako: unknown command '%s %s'; see 'hako %s --help'\n", argv[0],
			argv[1], argv[0]);
		return 125;
	}
	if (!cmd) {
		fprintf(stderr, "hako: unknown command '%s'; see 'hako --help'\n", argv[0]);
		return 125;
	}
	/* argv[0] of the command becomes its full name. */
	argc -= used - 1;
	argv += used - 1;
	argv[0] = (char *)cmd->name;
	if (cmd->h_is_option ? command_wants_long_help(argc, argv)
			     : command_wants_help(argc, argv)) {
		command_print_help(cmd, "hako");
		return 0;
	}
	optind = 0; /* reset getopt for the command's own options */
	rc = cmd->run(argc, argv, &err);
	if (rc < 0) {
		hk_error_print(err, "hako");
		return 125;
	}
	return rc;
}

int main(int argc, char **argv)
{
	_cleanup_free_ char *self = xstrdup(argv[0]);
	const char *base = basename(self);

	if (getenv("HAKO_TRACE")) {
		char line[256] = "";
		for (int i = 1; i < argc; i++)
			snprintf(line + strlen(line), sizeof(line) - strlen(line), " %s", argv[i]);
		hk_trace("main%s", line);
	}
	if (!strcmp(base, "hako-runtime"))
		return runtime_cli_main(argc, argv);
	return hako_main(argc, argv);
}
