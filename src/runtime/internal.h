/* hako runtime (private): what the files of src/runtime/ share. */
#ifndef HAKO_RUNTIME_INTERNAL_H
#define HAKO_RUNTIME_INTERNAL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/types.h>

#include "runtime/runtime.h"
#include "runtime/spec.h"
#include "util/error.h"

struct cgroup;

/* ---- state (state.c) ---- */

/* A container as recorded in <state_root>/<id>/state.json. */
struct rt_container {
	char *id;
	char *dir; /* <state_root>/<id> */
	json_object *json;
	pid_t pid;
	unsigned long long start_time; /* field 22 of /proc/PID/stat */
	const char *bundle;	       /* borrowed from json */
	struct cgroup *cg;	       /* NULL when the state has none */
};

enum rt_status { RT_CREATING, RT_CREATED, RT_RUNNING, RT_PAUSED, RT_STOPPED };

/* Check an id: [A-Za-z0-9_.+-], not "." or "..", at most 256 bytes. */
int rt_check_id(const char *id, struct hk_error **err);

int container_load(const char *state_root, const char *id, struct rt_container *c,
		   struct hk_error **err);
void container_free(struct rt_container *c);
enum rt_status container_status(struct rt_container *c);
const char *rt_status_name(enum rt_status s);
/* The OCI state object (new reference). */
json_object *container_state_json(struct rt_container *c, enum rt_status st);
/* Is pid alive and still the process started at start_time? */
bool rt_pid_alive(pid_t pid, unsigned long long start_time);
int rt_proc_start_time(pid_t pid, unsigned long long *out);

/* ---- hooks (hooks.c) ---- */

/* Run every hook of a list with state on stdin; the first failure stops.
 * Hooks run in the container (createContainer, startContainer) are exec'd
 * through the sealed stub of stub_fd (sealexec.h), host hooks with -1. */
int hooks_run(const struct rt_hooks *hooks, const char *kind, const char *state, int stub_fd,
	      struct hk_error **err);
/* Hooks from their JSON form (as saved in state.json for poststop). */
int hooks_from_json(json_object *arr, struct rt_hooks *out, struct hk_error **err);
void hooks_free(struct rt_hooks *h);

/* ---- mounts and rootfs (mounts.c), run in the container's mount ns ---- */

/* Everything from making / private to pivot_root; rootfs is the absolute
 * host path of the container's root.  is_userns: devices are bind mounted. */
/* Idmapped bind mounts of a container with its own user namespace are made
 * by the runtime before the clone (the kernel wants CAP_SYS_ADMIN over the
 * filesystem); their fds (mounts_idmapped_fds) must survive into the init. */
#define MOUNTS_MAX_IDMAPPED 2 /* child_close_fds() keeps 8 fds at most */
int mounts_prepare_idmapped(struct rt_spec *s, struct hk_error **err);
size_t mounts_idmapped_fds(const struct rt_spec *s, int *fds, size_t max);

int rootfs_prepare(const struct rt_spec *s, const char *rootfs, bool is_userns,
		   struct hk_error **err);
/* After setup: pivot_root (or MS_MOVE + chroot). */
int rootfs_pivot(const char *rootfs, bool no_pivot, struct hk_error **err);
/* After pivot: masked and read-only paths, read-only root. */
int rootfs_finish(const struct rt_spec *s, struct hk_error **err);

/* ---- process (process.c), in the container, before exec ---- */

/* The last steps of every container process (init or exec): rlimits, oom
 * score, user and groups, capabilities, no_new_privs, seccomp (unless
 * seccomp_late), umask, cwd.  Returns the resolved executable in *exe. */
int process_prepare(const struct rt_process *p, json_object *seccomp, bool in_userns,
		    bool seccomp_late_ok, char **exe, struct hk_error **err);
/* Apply the seccomp filter late (after no_new_privs), if process_prepare left
 * it for later. */
int process_finish(const struct rt_process *p, json_object *seccomp, struct hk_error **err);
/* Find args[0] in PATH of env; errors name the program as runc does. */
int process_find_exe(const char *arg0, char *const *env, char **out, struct hk_error **err);
/* 127 (not found), 126 (not executable) or 0 for an error from process_find_exe. */
int process_exec_status(const struct hk_error *err);
/* Exec the program: through the sealed stub of stub_fd (sealexec.h; the
 * stub reports an exec error on report_fd, after tag unless it is 0), or
 * straight when stub_fd < 0, or when the stub would cost the program file
 * capabilities and this process could not write the runtime's binary
 * anyway.  Returns only on failure, with err set and errno kept. */
int process_exec(const struct rt_process *p, const char *exe, int stub_fd, int report_fd, char tag,
		 struct hk_error **err);

/* ---- console (console.c) ---- */

/* Allocate a pty in the current mount ns (/dev/ptmx); returns the master,
 * the slave in *slave. */
int console_open_pty(int *slave, unsigned rows, unsigned cols, struct hk_error **err);
/* Send / receive one fd over a unix socket with SCM_RIGHTS. */
int fd_send(int sock, int fd, struct hk_error **err);
int fd_recv(int sock, int *fd, struct hk_error **err);
/* Connect to a unix socket path (the --console-socket). */
int unix_connect(const char *path, struct hk_error **err);
/* Foreground terminal for run/exec: our stdin raw, the window size copied;
 * input typed before is written to master, and true returned when it ended
 * with an EOF (our stdin is then done).
 * console_pump copies what is readable from one fd to another; 0 on EOF. */
bool console_proxy_setup(int master);
void console_proxy_restore(void);
void console_resize(int master);
int console_pump(int from, int to);

/* ---- sync protocol between the runtime and its children ---- */
enum {
	SYNC_GO = 'G',	   /* parent: cgroup joined, id maps written */
	SYNC_USERNS = 'U', /* child: user namespace unshared, write the maps */
	SYNC_PID = 'P',	   /* child: the pid of the real init follows */
	SYNC_STATE = 'S',  /* parent: the state JSON for hooks follows */
	SYNC_PTY = 'T',	   /* child: the pty master follows (SCM_RIGHTS) */
	SYNC_READY = 'R',  /* child: set up, waiting on the exec fifo */
	SYNC_ERROR = 'E',  /* child: an error follows (hk_error_send) */
};
int sync_send(int fd, char tag, const void *data, size_t len);
/* Receive one tag (0 on EOF); *data gets a payload of known length. */
int sync_recv_tag(int fd, char *tag, struct hk_error **err);
/* Report err to the parent and _exit(1). */
void sync_fail(int fd, struct hk_error *err) __attribute__((noreturn));

/* In a container or exec child: open a pty, send its master to the parent
 * over fd and make the slave our stdio and controlling terminal; any failure
 * is reported with sync_fail(). */
void child_setup_terminal(int fd, unsigned rows, unsigned cols);
/* In a child on its way into the container: close every fd above stdio but
 * 3 .. 3+preserve-1 (--preserve-fds, kept open across exec) and the nkeep
 * (at most 8) fds of keep (the sync socket..., left close-on-exec).  Whatever the caller
 * had open (cgroup and state directories, the engine's database, sockets)
 * must be gone before the child can be seen in the container or resolves
 * its cwd: a host directory fd is a way out (CVE-2016-9962, CVE-2024-21626).
 * Logging falls back to stderr, its file is closed too. */
void child_close_fds(int preserve, const int *keep, size_t nkeep);
/* In a child about to exec: every signal back to SIG_DFL and none blocked.
 * The caller's ignored signals (the monitor ignores SIGPIPE, SIGHUP and
 * SIGINT) would otherwise survive execve into the container's program. */
void child_reset_signals(void);

/* ---- foreground (foreground.c): run and exec without --detach ---- */

/* Block the signals to forward and open a signalfd for them (and SIGCHLD,
 * SIGWINCH); the old mask goes to *old.  Children unblock in their setup. */
int fg_signals_block(sigset_t *old, struct hk_error **err);
/* Forward signals to pid, copy the pty (master >= 0) or the relay pipes
 * (relay_fds, see struct runtime_opts; may be NULL), reap every child (we
 * may be a subreaper) until pid exits; returns its status as a shell does
 * (128+N for signal N).  Relay fds it closes are set to -1. */
int fg_wait(int sfd, pid_t pid, int master, int *relay_fds, struct hk_error **err);

int rt_pidfd_open(pid_t pid);

/* The runtime's state dir of a container. */
char *rt_state_dir(const char *state_root, const char *id);

#endif
