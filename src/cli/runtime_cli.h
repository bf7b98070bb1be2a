/* hako-runtime: the OCI runtime command line (runc/crun compatible).
 * Its commands live in src/cli/rt_*.c and register with HK_COMMAND(runtime, ...). */
#ifndef HAKO_CLI_RUNTIME_CLI_H
#define HAKO_CLI_RUNTIME_CLI_H

#include <stdbool.h>

struct runtime_globals {
	const char *root;	    /* --root: state directory (default /run/hako-runtime) */
	const char *log;	    /* --log FILE */
	const char *log_format;	    /* --log-format text|json */
	const char *cgroup_manager; /* --cgroup-manager cgroupfs|systemd|disabled */
	bool debug;
	bool systemd_cgroup; /* --systemd-cgroup (runc) */
	bool rootless;	     /* --rootless (accepted for runc compatibility) */
};
extern struct runtime_globals runtime_globals;

int runtime_cli_main(int argc, char **argv);

#endif
