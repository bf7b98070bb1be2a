/* hako runtime: control groups.  One handle covers the container's cgroup in
 * every hierarchy the host has: cgroup v2 (unified), v1 (one directory per
 * controller), and the hybrid layout (v1 controllers plus a v2 mount at
 * /sys/fs/cgroup/unified).  The layout is detected once; v1 and v2 sit behind
 * a table of operations (struct cgroup_ops in the private header). */
#ifndef HAKO_RUNTIME_CGROUP_H
#define HAKO_RUNTIME_CGROUP_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/runtime.h"
#include "util/error.h"

struct cgroup;

struct cgroup_stats {
	uint64_t memory_usage; /* bytes */
	uint64_t memory_limit; /* bytes; UINT64_MAX when unlimited */
	uint64_t cpu_usage_ns; /* total CPU time */
	uint64_t pids_current;
	uint64_t pids_limit; /* UINT64_MAX when unlimited */
	uint64_t oom_kills;  /* processes the OOM killer took (v2 memory.events,
			      * v1 memory.oom_control, Linux 4.13+: oom_kill) */
};

/* Create the cgroup for container id.  path is linux.cgroupsPath (NULL: a
 * default under "hako/<id>"; "slice:prefix:name" systemd-style paths are
 * mapped to cgroupfs directories).  resources (linux.resources, may be NULL)
 * are applied before any process joins.  With RUNTIME_CGROUP_DISABLED the
 * handle is empty and every other call succeeds without doing anything.  On
 * failure nothing is left behind. */
int cgroup_create(const char *path, const char *id, enum runtime_cgroup_manager manager,
		  json_object *resources, struct cgroup **out, struct hk_error **err);

/* Move pid into the cgroup in every hierarchy. */
int cgroup_enter(struct cgroup *cg, pid_t pid, struct hk_error **err);

/* An O_PATH directory fd of the v2 cgroup for clone3(CLONE_INTO_CGROUP), or
 * -1 when the host is not pure v2 (then cgroup_enter() is used). */
int cgroup_v2_dirfd(struct cgroup *cg);

/* Apply a linux.resources object to a live cgroup (runtime update). */
int cgroup_update(struct cgroup *cg, json_object *resources, struct hk_error **err);

/* Freeze or thaw every process; returns once the state is reached. */
int cgroup_freeze(struct cgroup *cg, bool frozen, struct hk_error **err);
int cgroup_is_frozen(struct cgroup *cg, bool *frozen, struct hk_error **err);

/* Every pid in the cgroup (caller frees *pids). */
int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n, struct hk_error **err);

/* Send sig to every process in the cgroup. */
int cgroup_kill(struct cgroup *cg, int sig, struct hk_error **err);

/* Kill what is left (thawing first), then remove the directories in every
 * hierarchy, retrying briefly while the kernel still reports them busy. */
int cgroup_destroy(struct cgroup *cg, struct hk_error **err);

/* Usage figures for `stats` and `ps`. */
int cgroup_stats(struct cgroup *cg, struct cgroup_stats *st, struct hk_error **err);

/* Persist a handle in the container's state.json, and load it back. */
json_object *cgroup_to_json(const struct cgroup *cg);
int cgroup_from_json(json_object *o, struct cgroup **out, struct hk_error **err);

/* The path of the container's cgroup relative to the v2 (or first v1)
 * hierarchy root, for the cgroup namespace and the state. */
const char *cgroup_path(const struct cgroup *cg);

void cgroup_free(struct cgroup *cg);

#endif
