/* hako engine: containers made from images, each owned by a small monitor.
 *
 * This header is the whole public face of src/engine/ for the command line
 * (and later the API server).
 *
 * Process model (see docs/engine.md): no daemon.  `hako run` records the
 * container in the database, prepares its rootfs through storage and an OCI
 * spec, then forks a MONITOR (setsid, like conmon).  The monitor creates the
 * container through the runtime library (so the container's init is its
 * direct child), holds its stdio pipes or pty, writes the log, serves attach
 * on a unix socket in the container's run dir, waits for the exit, records
 * it in the database, applies the restart policy and, with --rm, removes
 * everything.  The monitor holds an exclusive flock on <rundir>/monitor.lock
 * for its whole life: a lock nobody holds means no monitor, which is how a
 * crashed monitor is detected and repaired (engine_repair()).
 *
 * Every state change is one database transaction.
 */
#ifndef HAKO_ENGINE_ENGINE_H
#define HAKO_ENGINE_ENGINE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* The states of a container as stored (Docker's State.Status words). */
enum engine_state {
	ENGINE_CREATED = 0,
	ENGINE_RUNNING,
	ENGINE_PAUSED,
	ENGINE_RESTARTING,
	ENGINE_EXITED,
	ENGINE_REMOVING,
	ENGINE_DEAD,
};

const char *engine_state_name(enum engine_state s);

/* One container as stored in the database. */
struct engine_container {
	char *id;	     /* 64 hex digits */
	char *name;	     /* without the leading "/" */
	char *image;	     /* the reference the user gave */
	char *image_id;	     /* sha256:... */
	json_object *config; /* {"Config":{...},"HostConfig":{...}} (Docker's shapes) */
	enum engine_state state;
	pid_t pid;	   /* the container's init, 0 when not running */
	pid_t monitor_pid; /* 0 when no monitor */
	int exit_code;
	bool oom_killed;
	int restart_count;
	bool stop_requested; /* set by stop/kill: no restart policy applies */
	int64_t created;     /* unix nanoseconds */
	int64_t started_at;  /* 0: never */
	int64_t finished_at; /* 0: never */
	char *error;	     /* the last start error, or NULL */
	char *rootfs;	     /* merged rootfs path while mounted, or NULL */
};

void engine_container_free(struct engine_container *c);
void engine_container_freep(struct engine_container **c);
#define _cleanup_container_ __attribute__((cleanup(engine_container_freep)))

/* Where the engine keeps its state. */
struct engine {
	char *root;    /* --root */
	char *runroot; /* --runroot */
	void *db;      /* sqlite3 *, opened lazily */
};

/* Open the engine (directories, database, migrations) and repair what a
 * crash left behind (containers whose monitor died).  engine_close() frees. */
int engine_open(struct engine *e, const char *root, const char *runroot, struct hk_error **err);
void engine_close(struct engine *e);

/* The monitor process after its small hako-monitor saw the init exit with
 * code (`hako __monitor-exit`): record the exit, apply the restart policy
 * (starting the container again and handing it back to hako-monitor) and
 * --rm, send code to the attached clients.  lock_fd: the monitor.lock it
 * holds; listen_fd: the attach socket; clients: attached connections.
 * Never returns. */
void engine_monitor_resume(struct engine *e, const char *id, int code, int lock_fd, int listen_fd,
			   const int *clients, size_t n_clients) __attribute__((noreturn));

/* Check every container whose monitor should be alive; a dead one is marked
 * exited, its processes killed, its cgroup and mounts removed.  Called by
 * engine_open(); cheap when nothing needs repair. */
int engine_repair(struct engine *e, struct hk_error **err);

/* ---- creating and running ---- */

/* What `hako create` / `hako run` asked for, before the image is merged in.
 * Strings are borrowed from argv; vectors are NULL-terminated. */
struct engine_create_opts {
	const char *image;
	const char *name; /* NULL: generated (adjective_noun) */
	char **cmd;	  /* NULL: the image's Cmd */
	char **entrypoint;
	bool entrypoint_set; /* --entrypoint given (possibly "") */
	char **env;	     /* K=V, in order; later wins */
	char **labels;	     /* K=V */
	const char *workdir;
	const char *user;
	const char *hostname;
	char **volumes;		    /* SRC:DST[:ro|rw] or NAME:DST */
	char **tmpfs;		    /* DST[:opts] */
	char **mounts;		    /* --mount type=bind|volume|tmpfs,KEY=VALUE,... */
	char **devices;		    /* --device HOST[:CONTAINER][:PERMS] */
	char **device_cgroup_rules; /* 'c 1:3 rwm' */
	char **volumes_from;	    /* CTR[:ro|rw] */
	bool read_only;
	bool init;
	bool tty, interactive;
	bool attach_stdout; /* run without -d */
	bool auto_remove;   /* --rm */
	bool keep_mounted;  /* leave the rootfs mounted for an engine_start() right
			     * after (run); else a created container holds no mount */
	int64_t memory;	    /* bytes, 0: unlimited */
	int64_t memory_swap;
	int64_t nano_cpus;
	int64_t cpu_shares;
	int64_t pids_limit;
	char **cap_add, **cap_drop;
	bool privileged;
	char **security_opt;
	const char *network;	/* bridge|none|host|container:NAME|NETWORK; NULL: the default
				 * ($HAKO_DEFAULT_NETWORK, else bridge) */
	char **networks;	/* --network given again: more networks to join; --ip,
				 * --ip6, --mac-address, --network-alias are the first's */
	char **network_aliases; /* more names on the network */
	const char *ip;		/* --ip: a fixed address */
	const char *ip6;	/* --ip6: a fixed IPv6 address (a network made with --ipv6) */
	const char *mac_address;
	char **publish;	  /* -p specs: [IP:][HOST:]CONTAINER[/PROTO] */
	bool publish_all; /* -P: every EXPOSE of the image, on random host ports */
	char **add_hosts; /* NAME:IP for /etc/hosts */
	char **dns;	  /* nameservers for /etc/resolv.conf */
	const char *stop_signal;
	int stop_timeout;    /* -1: default 10 */
	const char *restart; /* no|always|unless-stopped|on-failure[:N] */
	const char *log_driver;
	char **log_opts; /* max-size=..., max-file=... */

	/* limits (docs/engine.md, "Limits") */
	char **ulimits;		    /* NAME=SOFT[:HARD] (-1 or unlimited) */
	int64_t shm_size;	    /* bytes of /dev/shm, 0: 64 MiB */
	char **sysctls;		    /* K=V, namespaced ones only */
	const char *cpuset_cpus;    /* "0-2,4" */
	const char *cpuset_mems;    /* NUMA nodes */
	int64_t cpu_quota;	    /* microseconds per period, 0: none */
	int64_t cpu_period;	    /* microseconds, 0: the kernel's */
	int64_t cpu_rt_runtime;	    /* real-time microseconds per period, 0: none */
	int64_t cpu_rt_period;	    /* microseconds, 0: the kernel's */
	int64_t memory_reservation; /* soft limit, bytes */
	int64_t memory_swappiness;  /* 0-100, -1: the host's */
	int64_t kernel_memory;	    /* accepted and ignored, as docker */
	int oom_score_adj;	    /* -1000..1000 */
	bool oom_kill_disable;
	int blkio_weight; /* 10-1000, 0: none */
	char **blkio_weight_device, **device_read_bps, **device_write_bps, **device_read_iops,
		**device_write_iops; /* PATH:VALUE */

	/* namespaces and identity */
	const char *pid_mode;	   /* ""|host|container:NAME */
	const char *ipc_mode;	   /* ""|none|private|shareable|host|container:NAME */
	const char *uts_mode;	   /* ""|host|container:NAME */
	const char *cgroupns_mode; /* ""|host|private */
	const char *userns_mode;   /* ""|host */
	const char *cgroup_parent; /* the container's cgroup goes under it, not hako/ */
	char **group_add;	   /* more groups (names from the image's /etc/group, or ids) */

	/* other */
	const char *domainname;
	char **expose;	    /* PORT[/PROTO] or a range: more Config.ExposedPorts */
	char **dns_search;  /* search domains for /etc/resolv.conf */
	char **dns_options; /* options for /etc/resolv.conf */
	char **annotations; /* K=V, into the OCI spec */
	int attach;	    /* -a: ENGINE_ATTACH_* bits, 0: the default (all) */
};

#define ENGINE_ATTACH_STDIN  1
#define ENGINE_ATTACH_STDOUT 2
#define ENGINE_ATTACH_STDERR 4

void engine_create_opts_init(struct engine_create_opts *o);

/* Create a container: the record, its rootfs, its spec and files.  On
 * failure nothing is left (no row, no directory, no mount).  *id_out gets
 * the full id. */
int engine_create(struct engine *e, const struct engine_create_opts *o, char **id_out,
		  struct hk_error **err);
/* Did engine_create() fail because its image is not in the store (and so
 * made nothing)? */
bool engine_error_no_image(const struct hk_error *err);

/* Start a created or exited container: fork its monitor and wait until the
 * container runs (or failed to start; then the error says why and
 * *exec_status is 126/127 for a command that cannot run, else 125).
 * attach_fd >= 0: a socket end the monitor treats as an attached client
 * from the first byte of output (used by run/start -a). */
int engine_start(struct engine *e, const char *ref, int attach_fd, int *exec_status,
		 struct hk_error **err);

/* ---- finding ---- */

/* Load a container by full id, unique id prefix or name. */
int engine_lookup(struct engine *e, const char *ref, struct engine_container **out,
		  struct hk_error **err);

/* Every container, newest first. */
int engine_list(struct engine *e, struct engine_container ***out, size_t *n, struct hk_error **err);
void engine_list_free(struct engine_container **list, size_t n);

/* ---- lifecycle ---- */

/* stop: the stop signal, then SIGKILL after timeout seconds (< 0: the
 * container's own).  *killed tells whether SIGKILL was needed. */
int engine_stop(struct engine *e, const char *ref, int timeout, bool *killed,
		struct hk_error **err);
int engine_kill(struct engine *e, const char *ref, int sig, struct hk_error **err);
int engine_pause(struct engine *e, const char *ref, bool pause, struct hk_error **err);
/* rm: force kills a running one first; volumes removes its anonymous volumes. */
int engine_remove(struct engine *e, const char *ref, bool force, bool volumes,
		  struct hk_error **err);
/* wait until the container is not running; *code = its exit code. */
int engine_wait(struct engine *e, const char *ref, int *code, struct hk_error **err);
int engine_rename(struct engine *e, const char *ref, const char *name, struct hk_error **err);

/* Process ids in the container (for top). */
int engine_pids(struct engine *e, const char *ref, pid_t **pids, size_t *n, struct hk_error **err);

/* ---- stats (src/engine/stats.c) ---- */

/* One reading of a container's resource usage (zeros when not running). */
struct engine_stats {
	bool running;
	uint64_t when_ns;	      /* monotonic time of the reading */
	uint64_t cpu_ns;	      /* the cgroup's total CPU time */
	uint64_t mem_usage;	      /* bytes, without the inactive file cache (as Docker) */
	uint64_t mem_limit;	      /* the memory limit, or the host's memory */
	uint64_t net_rx, net_tx;      /* bytes, every interface but lo */
	uint64_t blk_read, blk_write; /* bytes */
	uint64_t pids;
};
/* Read the container's cgroup (v1, v2 or hybrid) and network counters. */
int engine_stats_read(struct engine *e, const struct engine_container *c, struct engine_stats *st,
		      struct hk_error **err);
/* CPU % between two readings as Docker computes it: CPU time used over wall
 * time, x 100 (a container busy on two CPUs shows 200%). */
double engine_stats_cpu_percent(const struct engine_stats *prev, const struct engine_stats *cur);

/* ---- networks (src/engine/network.c) ---- */

/* Connect a running container to one more network (network connect). */
int engine_network_connect(struct engine *e, const char *ref, const char *network, const char *ip,
			   const char *ip6, char **aliases, struct hk_error **err);
int engine_network_disconnect(struct engine *e, const char *ref, const char *network,
			      struct hk_error **err);
/* Remove every network no container uses (their names appended to
 * *removed), and take the default network's bridge and rules down when it is
 * unused (system prune). */
int engine_network_prune(struct engine *e, char ***removed, struct hk_error **err);
/* The published ports of a container: "80/tcp -> 0.0.0.0:8080" lines. */
int engine_ports(struct engine *e, const char *ref, char ***lines, struct hk_error **err);
/* The PORTS column of `ps`, as docker's: "0.0.0.0:8080->80/tcp, 81/tcp,
 * 0.0.0.0:9000-9001->9000-9001/udp" (a running container's published ports
 * and exposed ones without a mapping, by port, runs merged); "" when none
 * or not running.  Caller frees. */
char *engine_ports_summary(struct engine *e, const struct engine_container *c);

/* ---- presenting ---- */

/* Docker's inspect object for a container (new reference). */
json_object *engine_inspect_json(struct engine *e, const struct engine_container *c);

/* The STATUS column: "Up 3 minutes", "Exited (0) 2 seconds ago", ... */
char *engine_status_string(const struct engine_container *c, int64_t now);

/* Docker's human duration: "Less than a second", "5 seconds", "About a
 * minute", "3 minutes", "About an hour", "4 hours", "3 days", ... */
char *engine_human_duration(int64_t ns);

/* The command as ps shows it: entrypoint + cmd, joined by spaces. */
char *engine_command_string(const struct engine_container *c);

/* ---- attach and logs ---- */

/* Attach the caller's terminal (or stdio) to a running container.  fd is a
 * connected attach socket (engine_attach_connect() or the run socketpair).
 * tty: raw mode and SIGWINCH; stdin: forward our stdin; detach_keys as
 * Docker's ("ctrl-p,ctrl-q"; NULL: that default).  Returns 0 with *exit_code
 * set when the container exited, 1 when detached. */
int engine_attach_connect(struct engine *e, const struct engine_container *c, int *fd,
			  struct hk_error **err);
int engine_attach_stream(int fd, bool tty, bool stdin_on, const char *detach_keys, int *exit_code,
			 struct hk_error **err);

struct engine_logs_opts {
	bool follow;
	bool timestamps;
	long tail;     /* -1: all */
	int64_t since; /* unix ns, 0: all */
	int64_t until; /* unix ns, 0: none */
};
int engine_logs(struct engine *e, const char *ref, const struct engine_logs_opts *o,
		struct hk_error **err);

/* ---- exec ---- */
struct engine_exec_opts {
	char **cmd;
	char **env;
	const char *user;
	const char *workdir;
	bool tty, interactive, detach, privileged;
	const char *detach_keys;
};
int engine_exec(struct engine *e, const char *ref, const struct engine_exec_opts *o, int *exit_code,
		struct hk_error **err);

/* ---- files ---- */

/* cp between the container's rootfs and the host; to_container: src is a
 * host path and dst a path in the container, else the reverse.  Container
 * paths resolve inside the rootfs only (symlinks cannot lead out); writing
 * through an existing symlink at the destination is refused. */
int engine_cp(struct engine *e, const char *ref, const char *src, const char *dst,
	      bool to_container, struct hk_error **err);

/* export: the container's filesystem (running or stopped; mounted for the
 * time of the call when it is not) as a tar written to fd. */
int engine_export(struct engine *e, const char *ref, int fd, struct hk_error **err);

/* commit: a new image = the container's image + one layer of its changes
 * (storage_diff_tar), its config from the container's Config with the
 * Dockerfile instructions of changes applied, a history entry. */
struct engine_commit_opts {
	const char *tag; /* REPO[:TAG] or NULL */
	const char *author, *message;
	char **changes; /* NULL-terminated or NULL */
	bool pause;	/* freeze a running container while its layer is read */
};
int engine_commit(struct engine *e, const char *ref, const struct engine_commit_opts *o,
		  char out_id[72], struct hk_error **err);

/* The changes of container id's rootfs as an uncompressed layer tar blob in
 * store (OCI whiteouts; the placeholders of the engine's /etc/hosts,
 * /etc/hostname and /etc/resolv.conf mounts left out, and those of
 * extra_skip: absolute paths of other file mount targets, or NULL), as commit
 * makes it; also the layer of a build's RUN step.  The blob's digest is its
 * diff id. */
struct image_store;
int engine_diff_layer(struct engine *e, const char *id, struct image_store *store,
		      const char *const *extra_skip, char blob[72], int64_t *size,
		      struct hk_error **err);

/* ---- disk usage (system df, src/engine/df.c) ---- */
struct engine_df_image {
	char *id;
	char **tags;
	int64_t created;	      /* seconds */
	int64_t size, shared, unique; /* bytes of its layers; shared with other images */
	int containers;
};
struct engine_df_container {
	char *id, *name, *image, *command, *status;
	int64_t created; /* ns */
	int64_t size;	 /* its writable layer */
	int volumes;
	bool running;
};
struct engine_df_volume {
	char *name;
	int links;
	int64_t size;
};
struct engine_df {
	struct engine_df_image *images;
	struct engine_df_container *containers;
	struct engine_df_volume *volumes;
	size_t n_images, n_containers, n_volumes;
	size_t images_active, containers_active, volumes_active;
	int64_t images_size, containers_size, volumes_size; /* apparent bytes (du -sb) */
	int64_t images_reclaimable, containers_reclaimable, volumes_reclaimable;
};
/* Measure every layer (each once), writable layer and volume now.  Active:
 * images with containers, running containers, volumes with containers;
 * reclaimable: the rest. */
int engine_disk_usage(struct engine *e, struct engine_df *df, struct hk_error **err);
void engine_df_free(struct engine_df *df);

/* ---- volumes (local driver, <root>/volumes/<name>/_data) ---- */
struct engine_volume {
	char *name, *driver, *labels /* JSON object */, *mountpoint;
	bool anonymous;
	int64_t created;
	int users; /* containers using it */
};
/* name NULL: every volume; else that one (not found is an error). */
int engine_volume_list(struct engine *e, const char *name, struct engine_volume ***out, size_t *n,
		       struct hk_error **err);
void engine_volume_list_free(struct engine_volume **list, size_t n);
/* name NULL: a random one; labels K=V. */
int engine_volume_create(struct engine *e, const char *name, char **labels, char **name_out,
			 struct hk_error **err);
/* Refused while a container uses it unless force. */
int engine_volume_remove(struct engine *e, const char *name, bool force, struct hk_error **err);

/* ---- events (src/engine/events.c; the log: src/events/events.h) ---- */

/* Record an event of type (image, network, volume...) for actor in the
 * engine's database; attrs borrowed, may be NULL.  Never fails visibly. */
void engine_event_record(struct engine *e, const char *type, const char *action, const char *actor,
			 json_object *attrs);

/* ---- helpers shared with the command line (parsing) ---- */

/* "512m", "1g", "1024" -> bytes; < 0 on a bad value. */
int engine_parse_size(const char *s, int64_t *out);
/* "SIGTERM", "TERM", "15" -> signal number; < 0 when unknown. */
int engine_parse_signal(const char *s);
/* RFC3339 with nanoseconds, UTC ("2024-05-01T10:00:00.123456789Z"). */
char *engine_format_time(int64_t ns);
int64_t engine_now(void);
/* A new adjective_noun name (not checked for uniqueness). */
char *engine_random_name(void);
/* 64 random hex digits. */
char *engine_new_id(void);

#endif
