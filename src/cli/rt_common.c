/* hako-runtime: helpers of the rt_*.c commands. */
#include "cli/rt_common.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli/runtime_cli.h"
#include "util/util.h"

void rt_cli_opts(struct runtime_opts *o)
{
	runtime_opts_init(o, runtime_globals.root);
	if (!strcmp(runtime_globals.cgroup_manager, "systemd"))
		o->cgroup_manager = RUNTIME_CGROUP_SYSTEMD;
	else if (!strcmp(runtime_globals.cgroup_manager, "disabled"))
		o->cgroup_manager = RUNTIME_CGROUP_DISABLED;
}

int rt_need_id(int argc, char **argv, const char **id, struct hk_error **err)
{
	if (optind >= argc)
		return hk_error_set(err, 0, "%s: missing container id", argv[0]);
	if (optind + 1 < argc)
		return hk_error_set(err, 0, "%s: unexpected argument \"%s\"", argv[0],
				    argv[optind + 1]);
	*id = argv[optind];
	return 0;
}

int rt_parse_create(int argc, char **argv, bool run, struct runtime_opts *o,
		    struct rt_create_args *a, const char **id, struct hk_error **err)
{
	static const struct option opts[] = {
		{"bundle", required_argument, NULL, 'b'},
		{"console-socket", required_argument, NULL, 'c'},
		{"pid-file", required_argument, NULL, 'p'},
		{"preserve-fds", required_argument, NULL, 'P'},
		{"no-pivot", no_argument, NULL, 'n'},
		{"no-new-keyring", no_argument, NULL, 'k'},
		{"detach", no_argument, NULL, 'd'},
		{"keep", no_argument, NULL, 'K'},
		{"config", required_argument, NULL, 'C'},
		{"no-subreaper", no_argument, NULL, 'S'},
		{0},
	};
	long long n;
	int c;

	rt_cli_opts(o);
	memset(a, 0, sizeof(*a));
	a->bundle = ".";
	while ((c = getopt_long(argc, argv, "+b:d", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			a->bundle = optarg;
			break;
		case 'c':
			o->console_socket = optarg;
			break;
		case 'p':
			o->pid_file = optarg;
			break;
		case 'P':
			if (parse_ll(optarg, 0, 1 << 20, &n) < 0)
				return hk_error_set(err, 0, "--preserve-fds: bad number \"%s\"",
						    optarg);
			o->preserve_fds = (int)n;
			break;
		case 'n':
			o->no_pivot = true;
			break;
		case 'k':
			o->no_new_keyring = true;
			break;
		case 'd':
			if (!run)
				return hk_error_set(err, 0, "%s: unknown option --detach", argv[0]);
			a->detach = true;
			break;
		case 'K':
			if (!run)
				return hk_error_set(err, 0, "%s: unknown option --keep", argv[0]);
			a->keep = true;
			break;
		case 'C':
			o->config_path = optarg;
			break;
		case 'S':
			break;
		default:
			return hk_error_set(err, 0, "%s: bad option (see --help)", argv[0]);
		}
	}
	return rt_need_id(argc, argv, id, err);
}

int rt_parse_signal(const char *s)
{
	long long n;

	if (parse_ll(s, 1, 64, &n) == 0)
		return (int)n;
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (int i = 1; i < NSIG; i++) {
		const char *name = sigabbrev_np(i);
		if (name && !strcasecmp(name, s))
			return i;
	}
	if (!strncasecmp(s, "RTMIN+", 6) && parse_ll(s + 6, 0, 32, &n) == 0 &&
	    SIGRTMIN + n <= SIGRTMAX)
		return SIGRTMIN + (int)n;
	return -1;
}
