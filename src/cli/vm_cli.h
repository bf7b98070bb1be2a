/* Shared by the vm commands and by `hako run --vm` (the engine's run calls
 * vm_cli_run() when it sees --vm). */
#ifndef HAKO_CLI_VM_CLI_H
#define HAKO_CLI_VM_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "cli/command.h"
#include "util/error.h"

struct vm_cli_run {
	const char *rootfs;
	const char *kernel;
	const char *workdir;
	char **env;
	uint64_t memory;
	int cpus;
	bool interactive, tty;
};

extern const struct hk_command cmd_vm_run_ref;

/* `hako run --vm ...`: true when --vm is among the options before IMAGE;
 * run then hands its whole argv to vm_cli_run_command(). */
bool vm_cli_wants_vm(int argc, char **argv);
int vm_cli_run_command(int argc, char **argv, struct hk_error **err);

/* Take one option of vm run / run --vm: 'e' (-e K=V), 'w', 'm' (--memory),
 * 'c' (--cpus), 'k' (--kernel), 'R' (--rootfs), 'i', 't', 'r' (--rm, a no-op). */
int vm_cli_run_opt(struct vm_cli_run *r, int opt, const char *arg, struct hk_error **err);
void vm_cli_run_free(struct vm_cli_run *r);

/* Run image (or r->rootfs when image is NULL) with the command in argv (or
 * the image's entrypoint and cmd when argc is 0) in a micro VM; returns the
 * command's exit status. */
int vm_cli_run(const struct vm_cli_run *r, const char *image, int argc, char **argv,
	       struct hk_error **err);

#endif
