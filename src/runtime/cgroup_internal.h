/* hako runtime: the private side of the cgroup module.  cgroup.c holds the
 * public API, layout detection, paths, linux.resources parsing and file
 * helpers; cgroup_v1.c and cgroup_v2.c each fill one struct cgroup_ops.
 * The layout picks the table once; nothing else asks "is this v2?". */
#ifndef HAKO_RUNTIME_CGROUP_INTERNAL_H
#define HAKO_RUNTIME_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime/cgroup.h"

enum cg_mode { CG_MODE_V1, CG_MODE_V2, CG_MODE_HYBRID };

/* One mounted hierarchy.  controllers: "cpu,cpuacct", "name=systemd", or ""
 * for the cgroup2 hierarchy. */
struct cg_hier {
	char *mnt;
	char *controllers;
	bool v2;
};

struct cg_layout {
	enum cg_mode mode;
	struct cg_hier *h;
	size_t n;
};

/* Detect from the text of a mountinfo file (tests feed their own). */
int cg_layout_parse(const char *mountinfo, struct cg_layout *out, struct hk_error **err);
void cg_layout_clear(struct cg_layout *l);
/* The layout of this process's mount namespace, detected on first use. */
int cg_layout_get(const struct cg_layout **out, struct hk_error **err);
/* Tests: forget the cached layout (after entering another mount ns). */
void cg_layout_reset(void);

/* The container's directory in one hierarchy. */
struct cg_dir {
	char *path;	   /* absolute, e.g. /sys/fs/cgroup/memory/hako/x */
	char *controllers; /* as in cg_hier */
	bool v2;
	bool created; /* made by us (removed again when create fails) */
	int fd;	      /* O_RDONLY|O_DIRECTORY, -1 when not open */
};

#define CG_UNSET INT64_MIN

struct cg_blkdev {
	int64_t major, minor;
	uint64_t value; /* weight, or bytes/ops per second */
	uint64_t leaf_weight;
};

struct cg_devrule {
	bool allow;
	char type;	      /* 'a', 'c', 'b' */
	int64_t major, minor; /* -1: any */
	char access[4];
};

struct cg_kv {
	char *key, *value;
};

enum { CG_THR_READ_BPS, CG_THR_WRITE_BPS, CG_THR_READ_IOPS, CG_THR_WRITE_IOPS, CG_THR_N };

/* linux.resources, checked and typed.  CG_UNSET (or 0 / NULL where the spec
 * gives 0 no meaning) marks what the config leaves alone. */
struct cg_resources {
	int64_t mem_limit, mem_reservation, mem_swap, mem_swappiness;
	int disable_oom; /* -1 unset */
	uint64_t cpu_shares, cpu_period, cpu_rt_period;
	int64_t cpu_quota, cpu_rt_runtime, cpu_idle;
	char *cpus, *mems;
	int64_t pids_limit;
	uint64_t blkio_weight, blkio_leaf_weight;
	struct cg_blkdev *weight_dev;
	size_t n_weight_dev;
	struct cg_blkdev *throttle[CG_THR_N];
	size_t n_throttle[CG_THR_N];
	struct cg_kv *hugepages; /* key: page size ("2MB"), value: limit */
	size_t n_hugepages;
	struct cg_devrule *devices;
	size_t n_devices;
	bool devices_given; /* write device rules (always at create) */
	struct cg_kv *unified;
	size_t n_unified;
	int64_t net_classid;
	struct cg_kv *net_prio; /* interface name -> priority */
	size_t n_net_prio;
};

int cg_resources_parse(json_object *res, struct cg_resources *out, struct hk_error **err);
void cg_resources_free(struct cg_resources *r);

struct cgroup_ops {
	const char *name;
	/* Make the directories (cg->path in every hierarchy), filling cg->dirs. */
	int (*create)(struct cgroup *cg, const struct cg_layout *l, struct hk_error **err);
	int (*set)(struct cgroup *cg, const struct cg_resources *r, struct hk_error **err);
	int (*enter)(struct cgroup *cg, pid_t pid, struct hk_error **err);
	int (*freeze)(struct cgroup *cg, bool frozen, struct hk_error **err);
	int (*is_frozen)(struct cgroup *cg, bool *frozen, struct hk_error **err);
	/* The directory whose cgroup.procs lists the members. */
	struct cg_dir *(*procs_dir)(struct cgroup *cg);
	/* SIGKILL everything at once when the kernel can (cgroup.kill);
	 * returns 1 when done, 0 when the caller must signal pid by pid. */
	int (*kill_all)(struct cgroup *cg, struct hk_error **err);
	int (*stats)(struct cgroup *cg, struct cgroup_stats *st, struct hk_error **err);
};

extern const struct cgroup_ops cg_v1_ops; /* v1 and hybrid */
extern const struct cgroup_ops cg_v2_ops;

struct cgroup {
	const struct cgroup_ops *ops; /* NULL: disabled */
	enum cg_mode mode;
	char *path; /* relative to every hierarchy root, starts with "/" */
	struct cg_dir *dirs;
	size_t ndirs;
};

/* Map linux.cgroupsPath to a path under the hierarchy roots. */
int cg_resolve_path(const char *path, const char *id, enum runtime_cgroup_manager manager,
		    char **out, struct hk_error **err);

/* The dir holding controller ctl ("memory", "cpu"...), or NULL. */
struct cg_dir *cg_find_dir(struct cgroup *cg, const char *ctl);
/* The v2 dir (pure v2 or hybrid's unified), or NULL. */
struct cg_dir *cg_v2_dir(struct cgroup *cg);

/* Write a value to a control file; ENOENT is returned as -ENOENT with err
 * set, so callers can treat a missing file as "controller not here". */
int cg_write(struct cg_dir *d, const char *file, const char *value, struct hk_error **err);
int cg_writef(struct cg_dir *d, const char *file, struct hk_error **err, const char *fmt, ...)
	HK_PRINTF(4, 5);
/* Like cg_write, but a missing file is logged (debug) and skipped. */
int cg_write_opt(struct cg_dir *d, const char *file, const char *value, struct hk_error **err);
int cg_read(struct cg_dir *d, const char *file, char **out, struct hk_error **err);
/* A single number ("max" -> UINT64_MAX); missing file -> -ENOENT. */
int cg_read_u64(struct cg_dir *d, const char *file, uint64_t *out, struct hk_error **err);
/* "key value" lines (cpu.stat, memory.stat, cgroup.events). */
int cg_read_keyed(struct cg_dir *d, const char *file, const char *key, uint64_t *out,
		  struct hk_error **err);

/* mkdir -p of rel under mnt; *created tells whether the last level was new.
 * Calls level_cb(parent_fd, dir_fd) for every level made, for cpuset
 * inheritance (v1) and subtree_control (v2). */
int cg_mkdir_path(const char *mnt, const char *rel, bool *created,
		  int (*level_cb)(int parent_fd, int fd, struct hk_error **err),
		  struct hk_error **err);

/* Shared building blocks */
/* cg_mkdir_path callback: delegate the parent's controllers to its children. */
int cg_v2_enable_controllers(int parent_fd, int fd, struct hk_error **err);
int cg_v2_freeze_dir(struct cg_dir *d, bool frozen, struct hk_error **err);
int cg_v2_is_frozen_dir(struct cg_dir *d, bool *frozen, struct hk_error **err);
int cg_v2_kill_dir(struct cg_dir *d, struct hk_error **err);
int cg_enter_dir(struct cg_dir *d, pid_t pid, struct hk_error **err);

/* Device rules: deny all, the config's rules, the defaults every
 * container gets (caller frees).  v1 writes them to devices.allow/deny; v2
 * attaches them as an eBPF program. */
struct cg_devrule *cg_device_rules(const struct cg_resources *r, size_t *n);
struct bpf_insn;
/* Emit the program into out (up to cap instructions); returns its length. */
size_t cg_devices_program(const struct cg_devrule *rules, size_t n, struct bpf_insn *out,
			  size_t cap);
int cg_devices_attach(struct cg_dir *d, const struct cg_devrule *rules, size_t n,
		      struct hk_error **err);

/* Conversions, as runc and crun do them. */
uint64_t cg_shares_to_weight(uint64_t shares);
uint64_t cg_blkio_to_io_weight(uint64_t weight);
/* memory.swap.max from OCI swap (memory+swap) and limit. */
int cg_swap_to_v2(int64_t swap, int64_t limit, int64_t *out, struct hk_error **err);

#endif
