/* Private helpers shared by the files of src/vm/ (not part of the API). */
#ifndef HAKO_VM_INTERNAL_H
#define HAKO_VM_INTERNAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

/* The QEMU system emulator: $HAKO_QEMU or qemu-system-x86_64 from PATH. */
const char *vm_qemu_binary(void);

/* Run argv (PATH lookup) with stdin from /dev/null, capturing stdout and
 * stderr into *out (may be NULL); returns the exit status or < 0. */
int vm_run_capture(char *const argv[], char **out, struct hk_error **err);

/* Fork and exec argv with the given fds as 0/1/2 (-1: /dev/null); every
 * other fd is closed in the child. *pid gets the child. */
int vm_spawn(char *const argv[], int in, int out, int errfd, bool new_session, pid_t *pid,
	     struct hk_error **err);

/* Last non-empty line of a file (QEMU's error), or NULL. */
char *vm_last_line(const char *path);

/* A random hex string of 2*n characters. */
void vm_random_hex(char *buf, size_t n);

#endif
