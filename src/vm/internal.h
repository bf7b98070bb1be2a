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
/* The same, with fd3 (>= 0) as the child's fd 3. */
int vm_spawn_fd3(char *const argv[], int in, int out, int errfd, int fd3, pid_t *pid,
		 struct hk_error **err);

/* Last non-empty line of a file (QEMU's error), or NULL. */
char *vm_last_line(const char *path);

/* A random hex string of 2*n characters. */
void vm_random_hex(char *buf, size_t n);

/* ---- the vm tables (store.c) ---- */
#include <sqlite3.h>
#include <stdint.h>
struct vm_def;
int vm_db_open(const char *root, sqlite3 **out, struct hk_error **err);
int vm_db_get(sqlite3 *db, const char *name, struct vm_def **out, struct hk_error **err);
int vm_db_insert(sqlite3 *db, const struct vm_def *d, struct hk_error **err);
int vm_db_set_state(sqlite3 *db, const char *name, const char *state, pid_t monitor, pid_t qemu,
		    const char *reason, struct hk_error **err);
int vm_db_set_resources(sqlite3 *db, const char *name, int vcpus, uint64_t memory,
			const char *append, struct hk_error **err);
int vm_db_delete(sqlite3 *db, const char *name, struct hk_error **err);

struct qmp;
char *vm_dir(const char *root, const char *name);
char *vm_rundir(const char *runroot, const char *name);
bool vm_pid_alive(pid_t pid);
int vm_qmp_open(const char *runroot, const char *name, int timeout_ms, struct qmp **q,
		struct hk_error **err);

/* Build the guest-config part of a kernel command line for a script. */
int vm_script_append(const char *base, const char *script, char **out, struct hk_error **err);

#endif
