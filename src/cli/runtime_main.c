/* hako-runtime: global flags and dispatch to the OCI runtime commands. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/runtime_cli.h"
#include "util/log.h"
#include "util/util.h"

/* packagers may pass -DHAKO_COMMIT=\"<git hash>\" */
#ifndef HAKO_COMMIT
#define HAKO_COMMIT "unknown"
#endif

struct runtime_globals runtime_globals = {
	.root = "/run/hako-runtime",
	.log_format = "text",
	.cgroup_manager = "cgroupfs",
};

/* Weak: the binary links even while no runtime command is registered. */
extern const struct hk_command *const __start_hk_cmd_runtime[] __attribute__((weak));
extern const struct hk_command *const __stop_hk_cmd_runtime[] __attribute__((weak));

static void runtime_usage(FILE *out)
{
	fprintf(out,
		"Usage: hako-runtime [GLOBAL OPTIONS] COMMAND [OPTIONS] ID\n\n"
		"An OCI runtime, compatible with runc and crun.\n\n"
		"Global options:\n"
		"      --root DIR                 state directory (default /run/hako-runtime)\n"
		"      --log FILE                 write diagnostics to FILE\n"
		"      --log-format text|json     format of --log\n"
		"      --debug                    print debug messages\n"
		"      --cgroup-manager MANAGER   cgroupfs (default), systemd or disabled\n"
		"      --systemd-cgroup           same as --cgroup-manager systemd\n\n"
		"Commands:\n");
	for (const struct hk_command *const *c = __start_hk_cmd_runtime;
	     c && c < __stop_hk_cmd_runtime; c++)
		fprintf(out, "  %-10s %s\n", (*c)->name, (*c)->summary);
}

int runtime_cli_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},
		{"log", required_argument, NULL, 'l'},
		{"log-format", required_argument, NULL, 'f'},
		{"debug", no_argument, NULL, 'D'},
		{"cgroup-manager", required_argument, NULL, 'c'},
		{"systemd-cgroup", no_argument, NULL, 's'},
		{"rootless", required_argument, NULL, 'L'},
		{"version", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	_cleanup_error_ struct hk_error *err = NULL;
	const char *env;
	int c, rc;

	if ((env = getenv("HAKO_RUNTIME_ROOT")) && *env)
		runtime_globals.root = env;
	optind = 0;
	while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			runtime_globals.root = optarg;
			break;
		case 'l':
			runtime_globals.log = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
				fprintf(stderr,
					"hako-runtime: --log-format: unknown format '%s' "
					"(text or json)\n",
					optarg);
				return 1;
			}
			runtime_globals.log_format = optarg;
			break;
		case 'D':
			runtime_globals.debug = true;
			break;
		case 'c':
			if (strcmp(optarg, "cgroupfs") && strcmp(optarg, "systemd") &&
			    strcmp(optarg, "disabled")) {
				fprintf(stderr,
					"hako-runtime: --cgroup-manager: unknown manager "
					"'%s' (cgroupfs, systemd or disabled)\n",
					optarg);
				return 1;
			}
			runtime_globals.cgroup_manager = optarg;
			break;
		case 's':
			runtime_globals.systemd_cgroup = true;
			runtime_globals.cgroup_manager = "systemd";
			break;
		case 'L':
			runtime_globals.rootless = !strcmp(optarg, "true");
			break;
		case 'v':
			/* crun's form: version, commit, rundir, spec, features */
			printf("hako-runtime version %s\ncommit: %s\nrundir: %s\nspec: 1.2.0\n"
			       "+CAP +SECCOMP +IDMAP +CGROUPV1 +CGROUPV2\n",
			       HAKO_VERSION, HAKO_COMMIT, runtime_globals.root);
			return 0;
		case 'h':
			runtime_usage(stdout);
			return 0;
		default:
			runtime_usage(stderr);
			return 1;
		}
	}
	if (log_open(runtime_globals.log, !strcmp(runtime_globals.log_format, "json"),
		     runtime_globals.debug ? HK_LOG_DEBUG : HK_LOG_WARN, &err) < 0) {
		hk_error_print(err, "hako-runtime");
		return 1;
	}
	if (optind >= argc) {
		runtime_usage(stderr);
		return 1;
	}
	argc -= optind;
	argv += optind;
	for (const struct hk_command *const *cp = __start_hk_cmd_runtime;
	     cp && cp < __stop_hk_cmd_runtime; cp++) {
		const struct hk_command *cmd = *cp;
		if (strcmp(cmd->name, argv[0]))
			continue;
		if (command_wants_help(argc, argv)) {
			command_print_help(cmd, "hako-runtime");
			return 0;
		}
		optind = 0;
		rc = cmd->run(argc, argv, &err);
		if (rc < 0) {
			/* runc writes errors to the log as well, where engines read them */
			if (runtime_globals.log)
				log_error("%s", hk_error_msg(err));
			hk_error_print(err, "hako-runtime");
			return 1;
		}
		return rc;
	}
	fprintf(stderr, "hako-runtime: unknown command '%s'\n", argv[0]);
	return 1;
}
