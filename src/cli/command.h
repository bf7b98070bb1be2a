/* hako: command registration.  Each command lives in its own file under
 * src/cli/ and registers itself with HK_COMMAND(); main() finds it by name.
 * Registration goes through a linker section, so adding a command never
 * touches a shared table. */
#ifndef HAKO_CLI_COMMAND_H
#define HAKO_CLI_COMMAND_H

#include <stdbool.h>

#include "util/error.h"

struct hk_command {
	const char *name;    /* "run", or a group and a verb: "image build-default" */
	const char *aliases; /* other names, comma-separated ("container ls, container list"), or
				NULL */
	const char *usage;   /* "run [OPTIONS] IMAGE [COMMAND] [ARG...]" */
	const char *summary; /* one line for the command list */
	const char *help;    /* the options, shown by --help; may be NULL */
	/* argv[0] is the command name; returns the process exit status (>= 0)
	 * or < 0 with *err set. */
	int (*run)(int argc, char **argv, struct hk_error **err);
	bool h_is_option; /* -h is one of its options (run/create: --hostname), not help */
};

/* Options given before the command; shared by every hako command. */
struct hk_globals {
	const char *root;    /* --root: persistent state (default /var/lib/hako) */
	const char *runroot; /* --runroot: runtime state (default /run/hako) */
	bool debug;
};
extern struct hk_globals hk_globals;

#define HK_SECTION_HAKO	   hk_cmd_hako
#define HK_SECTION_RUNTIME hk_cmd_runtime
#define HK_STR_(x)	   #x
#define HK_STR(x)	   HK_STR_(x)

/* HK_COMMAND(hako, cmd_run) or HK_COMMAND(runtime, rt_create). */
#define HK_COMMAND(group, var)                                                                     \
	static const struct hk_command *const var##_entry                                          \
		__attribute__((used, section(HK_STR(hk_cmd_##group)), aligned(sizeof(void *)))) =  \
			&var

/* Print usage and the help text of cmd to stdout. */
void command_print_help(const struct hk_command *cmd, const char *prog);

/* True when argv has -h or --help before any "--"; commands call this first. */
bool command_wants_help(int argc, char **argv);
/* The same with only --help (for commands whose -h is an option). */
bool command_wants_long_help(int argc, char **argv);

#endif
