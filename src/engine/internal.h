/* hako engine: declarations shared by the files of src/engine/ (private). */
#ifndef HAKO_ENGINE_INTERNAL_H
#define HAKO_ENGINE_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "monitor/mon.h"

/* ---- misc.c ---- */
int engine_state_from_name(const char *s);
int64_t engine_parse_time(const char *s);
bool engine_valid_name(const char *name);

/* ---- paths ---- */
char *engine_ctr_dir(struct engine *e, const char *id);	     /* <root>/containers/<id> */
char *engine_run_dir(struct engine *e, const char *id);	     /* <runroot>/containers/<id> */
char *engine_runtime_root(struct engine *e);		     /* <runroot>/runtime */
char *engine_volume_dir(struct engine *e, const char *name); /* <root>/volumes/<name> */

/* ---- store.c: the containers table ---- */
int store_db(struct engine *e, sqlite3 **out, struct hk_error **err);
void store_close(struct engine *e);
int store_insert(struct engine *e, const struct engine_container *c, struct hk_error **err);
int store_load(struct engine *e, const char *ref, struct engine_container **out,
	       struct hk_error **err);
int store_load_id(struct engine *e, const char *id, struct engine_container **out,
		  struct hk_error **err);
int store_list(struct engine *e, struct engine_container ***out, size_t *n, struct hk_error **err);
int store_delete(struct engine *e, const char *id, struct hk_error **err);
/* UPDATE containers SET <set> WHERE id = ?; types: 'i' int64, 's' text per
 * placeholder in set, given as varargs before the id. */
int store_update(struct engine *e, const char *id, const char *set, const char *types,
		 struct hk_error **err, ...);
int store_set_state(struct engine *e, const char *id, enum engine_state s, struct hk_error **err);

/* volumes */
int store_volume_create(struct engine *e, const char *name, bool anonymous, json_object *labels,
			bool *created, struct hk_error **err);
int store_volume_link(struct engine *e, const char *ctr, const char *vol, struct hk_error **err);
/* volume.c: copy what the rootfs has at dest (a directory) into the volume
 * directory data when data is empty, as Docker does for a new volume;
 * symlink-safe, owners, modes and times kept.  Nothing there: nothing done. */
int engine_volume_copy_up(const char *rootfs, const char *dest, const char *data,
			  struct hk_error **err);

/* ---- container.c: the rootfs mount, held while the container runs ---- */
/* Mount the rootfs of container id (idempotent: a mount already there,
 * a leftover of a crash, is reused, never stacked); *mp may be NULL. */
int engine_rootfs_mount(struct engine *e, const char *id, char **mp, struct hk_error **err);
/* Unmount it (idempotent, lazy when busy); failures are logged. */
void engine_rootfs_unmount(struct engine *e, const char *id);
/* For a command that uses c->rootfs whatever the state (cp, export): mount
 * it when it is not; *mounted says engine_rootfs_release() must undo it,
 * which it does unless a monitor holds the container by then. */
int engine_rootfs_hold(struct engine *e, const struct engine_container *c, bool *mounted,
		       struct hk_error **err);
void engine_rootfs_release(struct engine *e, const struct engine_container *c, bool mounted);

/* ---- monitor.c ---- */
struct monitor_args {
	struct engine *e;
	struct engine_container *c;
	int attach_fd; /* an already-attached client, or -1 */
	int sync_fd;   /* report start success/failure here */
	int lock_fd;   /* the monitor.lock, held for the monitor's life */
};
/* Never returns: the monitor process body (after fork). */
void monitor_main(struct monitor_args *a) __attribute__((noreturn));

/* ---- the attach protocol and the monitor's event loop: src/monitor/mon.h ---- */

/* ---- logfile.c: a container's log configuration ---- */
/* Parse HostConfig.LogConfig (NULL: the defaults, json-file 10m x 3). */
int logfile_config(json_object *cfg, enum mon_log_format *fmt, int64_t *max_size, int *max_file,
		   struct hk_error **err);
/* Open <dir>/ctr.log as cfg says; free with logfile_close(). */
int logfile_open(const char *dir, json_object *log_config, struct mon_log **out,
		 struct hk_error **err);
void logfile_close(struct mon_log *l);

/* ---- network.c: the glue to src/net/ ---- */
/* The network of a container without --network ($HAKO_DEFAULT_NETWORK or bridge). */
const char *engine_default_network(void);
/* True for a mode that is a bridge network (not none, host, container:X). */
bool engine_net_is_bridge(const char *mode);
/* Check the network options of o and record them in the config (all, hc);
 * exposed: the image's ExposedPorts, for -P. */
int engine_net_config(struct engine *e, const struct engine_create_opts *o, char **exposed,
		      json_object *all, json_object *hc, struct hk_error **err);
/* Connect a created container (init pid) to its network, if it has one. */
int engine_net_connect(struct engine *e, const struct engine_container *c, pid_t pid,
		       struct hk_error **err);
/* Docker's NetworkSettings of c into ns: Networks.{NAME}.{IPAddress,
 * IPPrefixLen, Gateway, MacAddress, Aliases, NetworkID, EndpointID}, Ports
 * {"80/tcp": [{HostIp, HostPort}]} (null for an exposed port without a
 * binding), SandboxKey, and the default network's legacy top-level fields. */
void engine_net_settings(struct engine *e, const struct engine_container *c, json_object *ns);
/* --network container:NAME: point the spec at NAME's namespace as it runs
 * now (before each start); a clear error when NAME is not running. */
int engine_net_refresh_joined(struct engine *e, const struct engine_container *c,
			      struct hk_error **err);
/* Disconnect a container from every network; never fails visibly.  exited:
 * its processes are gone (see net_teardown_container). */
void engine_net_teardown(struct engine *e, const char *id, bool exited);
/* "/proc/PID/ns/net" of the container named by mode "container:NAME" (NULL
 * and no error for other modes; NULL with *err when it cannot be joined). */
char *engine_net_namespace_path(struct engine *e, const char *mode, struct hk_error **err);

/* ---- spec.c ---- */
int spec_generate(struct engine *e, const struct engine_container *c, const char *rootfs,
		  json_object **out, struct hk_error **err);
int spec_write_etc_files(struct engine *e, const struct engine_container *c, struct hk_error **err);
/* Check that process.args[0] exists and can run in rootfs; 0, or 126/127 with *err. */
int spec_check_command(json_object *spec, const char *rootfs, struct hk_error **err);
int spec_resolve_user(int rootfd, const char *user, uid_t *uid, gid_t *gid, gid_t **groups,
		      size_t *ngroups, struct hk_error **err);

/* ---- events.c ---- */
/* Record a container event (attributes: image, name, labels, and key=value
 * when key is not NULL); never fails visibly. */
void engine_event(struct engine *e, const struct engine_container *c, const char *action,
		  const char *key, const char *value);

/* ---- container.c ---- */
int engine_monitor_alive(struct engine *e, const char *id);
int engine_remove_files(struct engine *e, const struct engine_container *c, bool volumes,
			struct hk_error **err);
int engine_bring_lo_up(pid_t pid, struct hk_error **err);

#endif
