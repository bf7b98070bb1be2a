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

/* The same, with keep[i] (nkeep of them, at most VM_SPAWN_KEEP_MAX) as
 * fd 3 + i in the child (QEMU's -netdev tap,fd=N). */
#define VM_SPAWN_KEEP_MAX 16
int vm_spawn_keep(char *const argv[], int in, int out, int errfd, const int *keep, size_t nkeep,
		  bool new_session, pid_t *pid, struct hk_error **err);

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
int vm_db_set_network(sqlite3 *db, const char *name, const char *network, struct hk_error **err);
int vm_db_delete(sqlite3 *db, const char *name, struct hk_error **err);

struct qmp;
char *vm_dir(const char *root, const char *name);
char *vm_rundir(const char *runroot, const char *name);
bool vm_pid_alive(pid_t pid);
int vm_qmp_open(const char *runroot, const char *name, int timeout_ms, struct qmp **q,
		struct hk_error **err);

/* Build the guest-config part of a kernel command line for a script. */
int vm_script_append(const char *base, const char *script, char **out, struct hk_error **err);

/* ---- NICs (net.c) ---- */
struct net_port;

/* The NICs of a network spec ("user", "none", "bridge:BR", a hako network
 * NAME, comma-separated): a string vector; "none" gives none. */
char **vm_nics(const char *network);
bool vm_mac_valid(const char *mac);
/* Record each NIC's MAC in a network spec: "SPEC=MAC,..." (new string). */
char *vm_network_with_macs(const struct vm_def *d);
/* The MAC of NIC i: the one recorded with it ("SPEC=MAC"), else 52:54:00
 * (QEMU's prefix) and three bytes of the VM's random id, different for each
 * NIC.  vm create records them, so they stay when NICs are detached. */
void vm_nic_mac(const struct vm_def *d, size_t i, char out[18]);
/* Is nic a hako network (not user, none or bridge:)? */
bool vm_nic_is_net(const char *nic);
/* The NIC that carries -p (the first user or hako network NIC), or -1. */
int vm_ports_nic(const char *network);
/* d's -p values as ports (a user NIC's as given; host_ip "" stays). */
int vm_ports_parse(const char *specs, struct net_port **out, size_t *n, struct hk_error **err);
/* Has d a NIC on a hako network? */
bool vm_has_net_nic(const struct vm_def *d);
/* Check a network spec (hako networks must exist). */
int vm_net_check(const char *root, const char *network, struct hk_error **err);
/* A tap on its network's bridge for every hako network NIC of d, with an
 * address from the network (fds[i] -1 for other NICs); undone on failure. */
int vm_net_attach(const char *root, const char *runroot, const struct vm_def *d, int **fds,
		  size_t *n, struct hk_error **err);
/* Release d's addresses and taps (none is fine); a warning on failure. */
void vm_net_release(const char *root, const char *runroot, const char *id);

#endif
