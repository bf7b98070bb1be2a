/* hako runtime: turns an OCI bundle (config.json + rootfs) into an isolated
 * process, with the lifecycle of the OCI runtime spec.  This header is the
 * whole public face of src/runtime/ for the engine and the hako-runtime
 * command line.
 *
 * Process model: runtime_create() forks the container's init process as a
 * direct child of the caller and returns once the container is "created"
 * (namespaces, mounts, cgroups set up; the process blocked on the exec fifo
 * until runtime_start()).  It never daemonizes: the engine's monitor is the
 * parent and can waitpid() it; the hako-runtime CLI simply exits and lets the
 * process be reparented, as runc and crun do.
 *
 * State lives in <state_root>/<id>/state.json (plus the exec fifo), so any
 * later process can start, kill, pause or delete the container.
 */
#ifndef HAKO_RUNTIME_RUNTIME_H
#define HAKO_RUNTIME_RUNTIME_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

enum runtime_cgroup_manager {
	RUNTIME_CGROUP_CGROUPFS = 0,
	RUNTIME_CGROUP_SYSTEMD, /* accepted; handled as cgroupfs with a systemd-style path */
	RUNTIME_CGROUP_DISABLED,
};

struct runtime_opts {
	const char *state_root; /* e.g. /run/hako-runtime; required */
	enum runtime_cgroup_manager cgroup_manager;
	const char *config_path;    /* NULL: <bundle>/config.json */
	const char *console_socket; /* send the pty master there (SCM_RIGHTS) */
	int *console_master_out;    /* or: return the pty master here (engine use) */
	const char *pid_file;	    /* write the container pid there */
	int preserve_fds;	    /* pass fds 3 .. 3+N-1 to the process */
	bool no_pivot;		    /* chroot-style MS_MOVE instead of pivot_root */
	bool no_new_keyring;
	/* stdio of the container process: fds of the caller, -1 to inherit */
	int stdio_fds[3];
	/* exec in the foreground: the caller's ends of the pipes given as
	 * stdio_fds (stdin's write end, stdout's and stderr's read ends; -1:
	 * none).  exec copies our stdin, stdout and stderr through them while
	 * the process runs, so that it never holds a descriptor of the caller's
	 * own stdio (a terminal it could push input into with TIOCSTI), and
	 * closes them before it returns, whatever happens. */
	int relay_fds[3];
};

/* The /proc and /sys paths masked and made read-only by default (Docker's
 * lists), NULL-terminated: `hako-runtime spec` and the engine's
 * unprivileged containers. */
extern const char *const runtime_masked_paths[];
extern const char *const runtime_readonly_paths[];

/* Initialise opts with defaults (stdio inherited, cgroupfs). */
void runtime_opts_init(struct runtime_opts *opts, const char *state_root);

/* create: set the container up and leave its process waiting for start.
 * Runs the createRuntime/createContainer (and prestart) hooks.  On failure
 * nothing is left behind: no state dir, cgroup, mount or process. */
int runtime_create(const char *id, const char *bundle, const struct runtime_opts *opts,
		   pid_t *pid_out, struct hk_error **err);

/* start: release a created container (startContainer in the container,
 * poststart after).  Fails unless the status is "created". */
int runtime_start(const char *state_root, const char *id, struct hk_error **err);

/* run = create + start.  With detach false, waits for the process (forwarding
 * signals to it, reaping zombies as a subreaper), deletes the container unless
 * keep, and returns the process's exit status (128+N for signal N). */
int runtime_run(const char *id, const char *bundle, const struct runtime_opts *opts, bool detach,
		bool keep, struct hk_error **err);

/* For an error of runtime_create/run: 127 when the program was not found,
 * 126 when it is not executable (as a shell exits), else 0. */
int runtime_exec_error_status(const struct hk_error *err);

/* The OCI state of a container: {ociVersion, id, status, pid, bundle,
 * rootfs, created, owner, annotations}.  status is computed live. */
int runtime_state(const char *state_root, const char *id, json_object **out, struct hk_error **err);

/* All containers under state_root as an array of state objects. */
int runtime_list(const char *state_root, json_object **out, struct hk_error **err);

/* kill: send sig to the init process, or (all) to every process in its cgroup. */
int runtime_kill(const char *state_root, const char *id, int sig, bool all, struct hk_error **err);

/* delete: remove a stopped (or, with force, any: killed first) container:
 * poststop hooks, cgroup, state dir. */
int runtime_delete(const char *state_root, const char *id, bool force, struct hk_error **err);

/* pause/resume through the cgroup freezer. */
int runtime_pause(const char *state_root, const char *id, struct hk_error **err);
int runtime_resume(const char *state_root, const char *id, struct hk_error **err);

/* exec: run process (an OCI "process" object) in the container's namespaces
 * and cgroup.  With detach false, waits and returns its exit status; with
 * detach true returns 0 and stores the pid in *pid_out. */
int runtime_exec(const char *state_root, const char *id, json_object *process,
		 const struct runtime_opts *opts, bool detach, pid_t *pid_out,
		 struct hk_error **err);

/* A starting point for exec's process: a copy of the container's process
 * object (env, user, capabilities, noNewPrivileges, rlimits...), without
 * args and with terminal false. */
int runtime_exec_template(const char *state_root, const char *id, json_object **out,
			  struct hk_error **err);

/* pids of every process in the container's cgroup. */
int runtime_pids(const char *state_root, const char *id, pid_t **pids, size_t *n,
		 struct hk_error **err);

/* How many processes of the container the OOM killer took since its
 * cgroup was made (0 without a memory controller).  Read it before delete,
 * which removes the cgroup. */
int runtime_oom_kills(const char *state_root, const char *id, uint64_t *n, struct hk_error **err);

/* update: apply a linux.resources object to a running container. */
int runtime_update(const char *state_root, const char *id, json_object *resources,
		   struct hk_error **err);

/* A default config.json (as `runc spec`); rootless adds a user namespace. */
json_object *runtime_default_spec(bool rootless);

/* The `features` document (OCI runtime features). */
json_object *runtime_features(void);

#endif
