/* hako engine: spec building (private to src/engine/). */
#ifndef HAKO_ENGINE_SPEC_H
#define HAKO_ENGINE_SPEC_H

#include <json-c/json.h>

#include "engine/engine.h"
#include "image/image.h"

int spec_build_config(struct engine *e, const struct engine_create_opts *o,
		      const struct image_config *ic, const char *id, json_object **out,
		      struct hk_error **err);
int spec_parse_restart(const char *s, const char **name, int *max, struct hk_error **err);
char *engine_find_init(void);
/* A helper program of hako (hako-init, hako-monitor): next to the running
 * binary, in ../libexec/hako/ from it, or in /usr[/local]/libexec/hako/;
 * NULL when none is found. */
char *engine_find_helper(const char *name);

/* spec_opts.c: the options beyond the first set (limits, namespaces,
 * identity, the rest).  Fill cfg/hc (after NetworkMode and PortBindings are
 * in hc); refuse what this host cannot do, with the reason. */
int spec_opts_config(struct engine *e, const struct engine_create_opts *o, json_object *cfg,
		     json_object *hc, struct hk_error **err);
/* Apply the stored config of those options to the OCI spec spec_generate()
 * made (rootfd: the container's rootfs, for --group-add names). */
int spec_opts_oci(struct engine *e, const struct engine_container *c, int rootfd, json_object *spec,
		  struct hk_error **err);
/* At start: point --pid/--ipc/--uts container:NAME at that container as it
 * runs now (its config.json rewritten); nothing to do for other modes. */
int spec_opts_refresh_joined(struct engine *e, const struct engine_container *c,
			     struct hk_error **err);
/* Before a start: the host-side /dev/shm of an --ipc shareable container
 * (a fresh tmpfs of its --shm-size under its run dir).  cleanup unmounts it
 * (removal). */
int spec_opts_prepare_start(struct engine *e, const struct engine_container *c,
			    struct hk_error **err);
void spec_opts_cleanup(struct engine *e, const char *id);
/* resolv.conf text with --dns-search/--dns-option (hc's DnsSearch and
 * DnsOptions) in place of the search and options lines; NULL when neither
 * is set.  Caller frees. */
char *spec_resolv_apply(const char *text, json_object *hc);
/* spec_mounts.c: --mount (into Mounts, as -v, and HostConfig.Mounts),
 * --volumes-from, --device, --device-cgroup-rule (HostConfig), checked here. */
int spec_mounts_config(struct engine *e, const struct engine_create_opts *o, json_object *mounts,
		       json_object *hc, struct hk_error **err);
/* The devices into the OCI spec: linux.devices, linux.resources.devices. */
int spec_mounts_oci(const struct engine_container *c, json_object *spec, struct hk_error **err);
/* Is /sys/fs/cgroup a cgroup2 mount (unified, not v1 or hybrid)? */
bool spec_host_cgroup_v2(void);

#endif
