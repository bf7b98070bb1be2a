/* hako command line: helpers shared by the container commands (private to
 * src/cli/). */
#ifndef HAKO_CLI_CTR_COMMON_H
#define HAKO_CLI_CTR_COMMON_H

#include <stdbool.h>

#include "engine/engine.h"
#include "util/error.h"

/* engine_open() with the global --root/--runroot. */
int ctr_engine_open(struct engine *e, struct hk_error **err);

/* The action of a command on one container or volume named by the user:
 * < 0 (with *err) when it failed, 0 when the name is to be printed,
 * CTR_EACH_PRINTED when the action printed its own result (wait prints an
 * exit code, start -a the container's output). */
#define CTR_EACH_PRINTED 1
typedef int (*ctr_each_fn)(struct engine *e, const char *name, void *arg, struct hk_error **err);

/* Open the engine and apply fn to every name in names[0..n), as Docker does:
 * print each name that succeeded (unless fn printed its result), print each
 * error and go on; returns 1 when any failed, 0 otherwise, or -1 (with *err)
 * when the engine cannot open. */
int ctr_for_each(int n, char **names, ctr_each_fn fn, void *arg, struct hk_error **err);

/* The prune commands' question: print "WARNING! <what>" and "Are you sure
 * you want to continue? [y/N] " on stderr; true when the line read from
 * stdin starts with y or Y (a closed stdin says no). */
bool ctr_confirm(const char *what);

/* Remove every stopped (exited, created or dead) container and list them
 * under "Deleted Containers:"; a failure is printed when report_errors,
 * and the others are still removed.  -1 (with *err) when they cannot be
 * listed. */
int ctr_prune_stopped(struct engine *e, bool report_errors, struct hk_error **err);

/* The options of create and run, parsed. */
struct ctr_create_cli {
	struct engine_create_opts o;
	bool detach;
	const char *detach_keys;
	/* --pull missing|always|never, --platform OS/ARCH[/VARIANT], -q */
	const char *pull;
	const char *platform;
	bool quiet;
	const char *cidfile; /* --cidfile: the id written there after create */
	bool sig_proxy;	     /* --sig-proxy (default true): signals to the container */
	/* owned vectors (strings borrowed from argv or allocated by env-file) */
	char **env, **labels, **volumes, **tmpfs, **cap_add, **cap_drop, **security_opt, **log_opts,
		**entrypoint, **cmd, **publish, **aliases, **add_hosts, **dns, **networks;
	char **ulimits, **sysctls, **blkio_weight_device, **device_read_bps, **device_write_bps,
		**device_read_iops, **device_write_iops, **group_add, **annotations, **expose,
		**dns_search, **dns_options;
	char **mounts, **devices, **device_cgroup_rules, **volumes_from;
	char **owned; /* strings from --env-file to free */
};
/* Parse create/run options and the IMAGE [CMD...] after them. */
int ctr_parse_create(int argc, char **argv, bool is_run, struct ctr_create_cli *cc,
		     struct hk_error **err);
void ctr_create_cli_free(struct ctr_create_cli *cc);

/* Before anything is made: check --pull and --platform (one this host can
 * run), and with --pull always or --platform pull the image now (a local
 * one of another platform counts as missing).  --pull missing and never
 * cost nothing here: ctr_create() sees a missing image. */
int ctr_check_image(struct ctr_create_cli *cc, struct hk_error **err);

/* engine_create() as --pull says: a missing image is pulled ("Unable to
 * find image 'REF' locally" and the progress on stderr unless -q) and the
 * create done again; with never, docker's "No such image: REF".  A failed
 * pull leaves nothing (engine_create makes nothing without its image). */
int ctr_create(struct engine *e, struct ctr_create_cli *cc, char **id, struct hk_error **err);

/* --cidfile: refused when the file exists (docker's words); the id is
 * written there once the container exists.  path NULL: nothing to do. */
int ctr_cidfile_check(const char *path, struct hk_error **err);
int ctr_cidfile_write(const char *path, const char *id, struct hk_error **err);

/* --sig-proxy: from now on, the signals this process receives (but those
 * about itself: SIGCHLD, SIGPIPE, SIGWINCH, faults) are sent to the
 * container id by a thread of their own. */
void ctr_sig_proxy_start(const char *id);

/* The help text of create and run. */
extern const char ctr_create_help[];

/* Print an error and return the exit code for a failed start (126/127/125). */
int ctr_start_failed(int status, struct hk_error **err);

/* Run a container's output attached to our terminal until it exits or we
 * detach; returns the exit status to exit with. */
int ctr_attach_and_wait(struct engine *e, const char *id, int fd, bool tty, bool stdin_on,
			const char *detach_keys, struct hk_error **err);

#endif
