/* hako runtime: the default config.json (`hako-runtime spec`) and the
 * `features` document. */
#include <string.h>

#include "runtime/caps.h"
#include "runtime/runtime.h"
#include "util/json.h"
#include "util/util.h"

/* Docker's lists (moby oci/defaults.go), for `hako-runtime spec` and the
 * engine's unprivileged containers alike. */
const char *const runtime_masked_paths[] = {"/proc/asound",
					    "/proc/acpi",
					    "/proc/kcore",
					    "/proc/keys",
					    "/proc/latency_stats",
					    "/proc/timer_list",
					    "/proc/timer_stats",
					    "/proc/sched_debug",
					    "/proc/scsi",
					    "/sys/firmware",
					    "/sys/devices/virtual/powercap",
					    NULL};
const char *const runtime_readonly_paths[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};

static json_object *strarr(const char *const *v)
{
	return json_strv_new((char *const *)v);
}

static json_object *mount(const char *dest, const char *type, const char *src,
			  const char *const *opts)
{
	json_object *m = json_object_new_object();
	json_object_object_add(m, "destination", json_object_new_string(dest));
	json_object_object_add(m, "type", json_object_new_string(type));
	json_object_object_add(m, "source", json_object_new_string(src));
	json_object_object_add(m, "options", strarr(opts));
	return m;
}

static json_object *idmap(unsigned cid, unsigned hid, unsigned size)
{
	json_object *m = json_object_new_object();
	json_object_object_add(m, "containerID", json_object_new_int64(cid));
	json_object_object_add(m, "hostID", json_object_new_int64(hid));
	json_object_object_add(m, "size", json_object_new_int64(size));
	return m;
}

json_object *runtime_default_spec(bool rootless)
{
	static const char *const caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
					   NULL};
	static const char *const args[] = {"sh", NULL};
	static const char *const env[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
		NULL};
	json_object *spec = json_object_new_object();
	json_object *proc = json_object_new_object(), *user = json_object_new_object();
	json_object *c = json_object_new_object(), *rl = json_object_new_array();
	json_object *rlim = json_object_new_object(), *root = json_object_new_object();
	json_object *mounts = json_object_new_array(), *lnx = json_object_new_object();
	json_object *ns = json_object_new_array();
	const char *nss[] = {"pid", "network", "ipc", "uts", "mount", "cgroup", NULL};

	json_object_object_add(spec, "ociVersion", json_object_new_string("1.2.0"));
	json_object_object_add(proc, "terminal", json_object_new_boolean(1));
	json_object_object_add(user, "uid", json_object_new_int(0));
	json_object_object_add(user, "gid", json_object_new_int(0));
	json_object_object_add(proc, "user", user);
	json_object_object_add(proc, "args", strarr(args));
	json_object_object_add(proc, "env", strarr(env));
	json_object_object_add(proc, "cwd", json_object_new_string("/"));
	json_object_object_add(c, "bounding", strarr(caps));
	json_object_object_add(c, "effective", strarr(caps));
	json_object_object_add(c, "permitted", strarr(caps));
	json_object_object_add(proc, "capabilities", c);
	json_object_object_add(rlim, "type", json_object_new_string("RLIMIT_NOFILE"));
	json_object_object_add(rlim, "hard", json_object_new_int64(1024));
	json_object_object_add(rlim, "soft", json_object_new_int64(1024));
	json_object_array_add(rl, rlim);
	json_object_object_add(proc, "rlimits", rl);
	json_object_object_add(proc, "noNewPrivileges", json_object_new_boolean(1));
	json_object_object_add(spec, "process", proc);

	json_object_object_add(root, "path", json_object_new_string("rootfs"));
	json_object_object_add(root, "readonly", json_object_new_boolean(1));
	json_object_object_add(spec, "root", root);
	json_object_object_add(spec, "hostname", json_object_new_string("hako"));

	json_object_array_add(mounts, mount("/proc", "proc", "proc", (const char *const[]){NULL}));
	json_object_array_add(mounts,
			      mount("/dev", "tmpfs", "tmpfs",
				    (const char *const[]){"nosuid", "strictatime", "mode=755",
							  "size=65536k", NULL}));
	json_object_array_add(
		mounts,
		mount("/dev/pts", "devpts", "devpts",
		      (const char *const[]){"nosuid", "noexec", "newinstance", "ptmxmode=0666",
					    "mode=0620", rootless ? NULL : "gid=5", NULL}));
	json_object_array_add(mounts,
			      mount("/dev/shm", "tmpfs", "shm",
				    (const char *const[]){"nosuid", "noexec", "nodev", "mode=1777",
							  "size=65536k", NULL}));
	json_object_array_add(mounts,
			      mount("/dev/mqueue", "mqueue", "mqueue",
				    (const char *const[]){"nosuid", "noexec", "nodev", NULL}));
	if (rootless)
		json_object_array_add(mounts,
				      mount("/sys", "none", "/sys",
					    (const char *const[]){"rbind", "nosuid", "noexec",
								  "nodev", "ro", NULL}));
	else
		json_object_array_add(mounts, mount("/sys", "sysfs", "sysfs",
						    (const char *const[]){"nosuid", "noexec",
									  "nodev", "ro", NULL}));
	json_object_array_add(mounts, mount("/sys/fs/cgroup", "cgroup", "cgroup",
					    (const char *const[]){"nosuid", "noexec", "nodev",
								  "relatime", "ro", NULL}));
	json_object_object_add(spec, "mounts", mounts);

	for (const char **n = nss; *n; n++) {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "type", json_object_new_string(*n));
		json_object_array_add(ns, e);
	}
	if (rootless) {
		json_object *e = json_object_new_object(), *u = json_object_new_array(),
			    *g = json_object_new_array();
		json_object_object_add(e, "type", json_object_new_string("user"));
		json_object_array_add(ns, e);
		json_object_array_add(u, idmap(0, (unsigned)getuid(), 1));
		json_object_array_add(g, idmap(0, (unsigned)getgid(), 1));
		json_object_object_add(lnx, "uidMappings", u);
		json_object_object_add(lnx, "gidMappings", g);
	}
	json_object_object_add(lnx, "namespaces", ns);
	json_object_object_add(lnx, "maskedPaths", strarr(runtime_masked_paths));
	json_object_object_add(lnx, "readonlyPaths", strarr(runtime_readonly_paths));
	json_object_object_add(spec, "linux", lnx);
	return spec;
}

json_object *runtime_features(void)
{
	static const char *const hooks[] = {"prestart",
					    "createRuntime",
					    "createContainer",
					    "startContainer",
					    "poststart",
					    "poststop",
					    NULL};
	static const char *const opts[] = {
		"async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec",
		"lazytime", "loud", "mand", "noatime", "nodev", "nodiratime", "noexec",
		"nolazytime", "nomand", "norelatime", "nostrictatime", "nosuid", "private", "rbind",
		"rdev", "rdiratime", "relatime", "remount", "rexec", "rnoatime", "rnodev",
		"rnodiratime", "rnoexec", "rnosuid", "ro", "rprivate", "rrelatime", "rro", "rrw",
		"rshared", "rslave", "rstrictatime", "rsuid", "runbindable", "rw", "shared",
		"silent", "slave", "strictatime", "suid", "sync", "unbindable",
		/* crun's extensions */
		"idmap", "ridmap", "tmpcopyup", "copy-symlink", "src-nofollow", "dest-nofollow",
		NULL};
	static const char *const nss[] = {"cgroup", "ipc",  "mount", "network", "pid",
					  "time",   "user", "uts",   NULL};
	json_object *f = json_object_new_object(), *lnx = json_object_new_object();
	json_object *caps = json_object_new_array(), *cg = json_object_new_object();
	json_object *sc = json_object_new_object(), *annotations = json_object_new_object();

	json_object_object_add(f, "ociVersionMin", json_object_new_string("1.0.0"));
	json_object_object_add(f, "ociVersionMax", json_object_new_string("1.2.0"));
	json_object_object_add(f, "hooks", strarr(hooks));
	json_object_object_add(f, "mountOptions", strarr(opts));
	json_object_object_add(lnx, "namespaces", strarr(nss));
	for (int i = 0; i < 64; i++) {
		const char *n = caps_name(i);
		if (n)
			json_object_array_add(caps, json_object_new_string(n));
	}
	json_object_object_add(lnx, "capabilities", caps);
	json_object_object_add(cg, "v1", json_object_new_boolean(1));
	json_object_object_add(cg, "v2", json_object_new_boolean(1));
	json_object_object_add(cg, "systemd", json_object_new_boolean(0));
	json_object_object_add(cg, "systemdUser", json_object_new_boolean(0));
	json_object_object_add(lnx, "cgroup", cg);
	json_object_object_add(sc, "enabled", json_object_new_boolean(1));
	{
		static const char *const actions[] = {
			"SCMP_ACT_ALLOW",	"SCMP_ACT_ERRNO",
			"SCMP_ACT_KILL",	"SCMP_ACT_KILL_PROCESS",
			"SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
			"SCMP_ACT_NOTIFY",	"SCMP_ACT_TRACE",
			"SCMP_ACT_TRAP",	NULL};
		json_object *idm = json_object_new_object(), *ext = json_object_new_object();
		json_object_object_add(sc, "actions", strarr(actions));
		/* runtime-spec features.md: idmapped mounts */
		json_object_object_add(idm, "enabled", json_object_new_boolean(1));
		json_object_object_add(ext, "idmap", idm);
		json_object_object_add(lnx, "mountExtensions", ext);
	}
	json_object_object_add(lnx, "seccomp", sc);
	json_object_object_add(f, "linux", lnx);
	json_object_object_add(annotations, "org.hako.runtime.version",
			       json_object_new_string(HAKO_VERSION));
	json_object_object_add(f, "annotations", annotations);
	return f;
}
