/* hako runtime (private): the OCI config.json as C structures.  Parsing
 * checks types and values up front, so create fails before anything is made,
 * with an error naming the field ("config.json: process.args: expected an
 * array"). */
#ifndef HAKO_RUNTIME_SPEC_H
#define HAKO_RUNTIME_SPEC_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "runtime/caps.h"
#include "util/error.h"

/* One parsed "options" list of a mount. */
struct rt_mount_opts {
	unsigned long flags;	   /* MS_* to set */
	unsigned long clear;	   /* MS_* explicitly cleared (rw, suid, dev...) */
	unsigned long propagation; /* MS_PRIVATE/SHARED/SLAVE/UNBINDABLE (| MS_REC) or 0 */
	uint64_t attr_set;	   /* MOUNT_ATTR_* applied recursively (rro, rnosuid...) */
	uint64_t attr_clr;
	bool bind, recursive;
	unsigned extra; /* RT_MNT_* (crun's extensions) */
	char *idmap;	/* "uids=...;gids=..." of idmap=/ridmap=, NULL: the container's maps */
	bool has_tree;	/* tree_fd: the idmapped tree, made by the runtime before the clone */
	int tree_fd;
	char *data; /* filesystem options, comma separated; NULL when none */
};

/* crun's mount option extensions (crun(1), "Mount options"). */
enum {
	RT_MNT_SRC_NOFOLLOW = 1 << 0,  /* a symlink source is bound itself */
	RT_MNT_DEST_NOFOLLOW = 1 << 1, /* a symlink destination is mounted over itself */
	RT_MNT_COPY_SYMLINK = 1 << 2,  /* a symlink source is copied, not bound */
	RT_MNT_TMPCOPYUP = 1 << 3,     /* a tmpfs gets what was under it */
	RT_MNT_IDMAP = 1 << 4,	       /* idmapped (mount_setattr MOUNT_ATTR_IDMAP) */
	RT_MNT_IDMAP_REC = 1 << 5,     /* ridmap: every submount too */
};

struct rt_mount {
	char *destination, *source, *type;
	struct rt_mount_opts o;
};

struct rt_idmap {
	uint32_t container_id, host_id, size;
};

struct rt_rlimit {
	int resource;
	char *name;
	uint64_t soft, hard;
};

struct rt_ns {
	int type; /* CLONE_NEW* */
	char *path;
};

struct rt_device {
	char *path;
	char type; /* c, b, u, p */
	int64_t major, minor;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

struct rt_hook {
	char *path;
	char **args, **env;
	int timeout; /* seconds, 0: none */
};

enum rt_hook_kind {
	RT_HOOK_PRESTART,
	RT_HOOK_CREATE_RUNTIME,
	RT_HOOK_CREATE_CONTAINER,
	RT_HOOK_START_CONTAINER,
	RT_HOOK_POSTSTART,
	RT_HOOK_POSTSTOP,
	RT_HOOK_MAX,
};

struct rt_hooks {
	struct rt_hook *v;
	size_t n;
};

struct rt_process {
	bool terminal;
	uint32_t console_rows, console_cols;
	uid_t uid;
	gid_t gid;
	gid_t *gids;
	size_t ngids;
	bool has_umask;
	mode_t umask;
	char **args, **env;
	char *cwd;
	bool has_caps;
	struct caps caps;
	bool nnp;
	struct rt_rlimit *rlimits;
	size_t nrlimits;
	bool has_oom;
	int oom_score_adj;
	char *apparmor, *selinux;
};

struct rt_sysctl {
	char *key, *value;
};

struct rt_spec {
	json_object *json; /* the whole document (owned) */
	char *oci_version;
	char *root_path; /* as written, relative to the bundle or absolute */
	bool root_readonly;
	char *hostname, *domainname;
	struct rt_mount *mounts;
	size_t nmounts;
	bool has_process;
	struct rt_process process;
	struct rt_hooks hooks[RT_HOOK_MAX];
	/* linux */
	struct rt_ns *ns;
	size_t nns;
	struct rt_idmap *uidmaps, *gidmaps;
	size_t nuidmaps, ngidmaps;
	struct rt_device *devices;
	size_t ndevices;
	char **masked, **readonly;
	unsigned long rootfs_propagation; /* 0: default (rslave) */
	struct rt_sysctl *sysctl;
	size_t nsysctl;
	json_object *seccomp, *resources, *annotations; /* borrowed from json */
	char *cgroups_path;
	int64_t time_offsets[2][2]; /* [monotonic|boottime][secs, nanosecs] */
	bool has_time_offsets;
	char *mount_label;
	char *personality_domain;
};

/* Parse a whole config.json document (takes a reference on doc). */
int spec_parse(json_object *doc, struct rt_spec *out, struct hk_error **err);

/* Load <path> and parse it; errors start with "config.json: ". */
int spec_load(const char *path, struct rt_spec *out, struct hk_error **err);

void spec_free(struct rt_spec *s);

/* Parse a process object (ctx names it in errors: "process"). */
int spec_parse_process(json_object *p, const char *ctx, struct rt_process *out,
		       struct hk_error **err);
void spec_process_free(struct rt_process *p);

/* Parse a mount's options array.  ctx names it in errors; bind tells whether
 * unknown words are an error (a bind mount has no filesystem data). */
int spec_parse_mount_options(char *const *opts, bool bind_type, const char *ctx,
			     struct rt_mount_opts *out, struct hk_error **err);

/* Namespace name <-> CLONE_NEW* ("network" -> CLONE_NEWNET); -1/NULL unknown. */
int spec_ns_from_name(const char *name);
const char *spec_ns_name(int type);
/* The /proc/PID/ns/ file name of a CLONE_NEW* ("net"). */
const char *spec_ns_proc_name(int type);

/* The namespace entry of type, or NULL when the spec has none. */
const struct rt_ns *spec_find_ns(const struct rt_spec *s, int type);

/* RLIMIT_* from a name ("RLIMIT_NOFILE"); -1 unknown. */
int spec_rlimit_from_name(const char *name);

#endif
