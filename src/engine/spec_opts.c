/* hako engine: the run/create options beyond the first set (limits,
 * namespaces, identity and the rest of Docker's run flags): from options to
 * the stored HostConfig/Config (Docker's names and shapes, so inspect shows
 * them where docker does), and from that to the OCI spec spec.c generated.
 * Everything the host cannot honour is refused at create time with the
 * reason, or, where Docker only warns (a kernel without blkio weight), warned
 * and dropped as Docker does. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "engine/internal.h"
#include "engine/spec.h"
#include "net/net.h"
#include "util/json.h"
#include "util/log.h"
#include "util/path.h"
#include "util/util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define SHM_DEFAULT (64LL << 20)

static const char *jstr_of(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : NULL;
}

static int64_t jint_of(json_object *o, const char *key)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_int64(v) : 0;
}

static json_object *strv_arr(char *const *v)
{
	json_object *a = json_object_new_array();
	for (; v && *v; v++)
		json_object_array_add(a, json_object_new_string(*v));
	return a;
}

/* ------------------------------------------------------------ host facts */

bool spec_host_cgroup_v2(void)
{
	struct statfs fs;
	return statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

/* Does a v1 hierarchy of ctrl have file (at its root)?  "cpu" is mounted as
 * "cpu,cpuacct" on most hosts, with cpu/ and cpuacct/ as links. */
static bool v1_has(const char *ctrl, const char *file)
{
	_cleanup_free_ char *p = xasprintf("/sys/fs/cgroup/%s/%s", ctrl, file);
	return access(p, F_OK) == 0;
}

static bool v2_has_controller(const char *ctrl)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;

	if (read_file_at(AT_FDCWD, "/sys/fs/cgroup/cgroup.controllers", 4096, &text, &len, NULL) <
	    0)
		return false;
	for (char *save = NULL, *t = strtok_r(text, " \n", &save); t;
	     t = strtok_r(NULL, " \n", &save))
		if (!strcmp(t, ctrl))
			return true;
	return false;
}

/* Parse a CPU or node list ("0-2,4") into a bitmap of max bits; false when
 * it is not one. */
static bool list_parse(const char *s, unsigned char *bits, unsigned max)
{
	const char *p = s;

	memset(bits, 0, (max + 7) / 8);
	if (!*s)
		return false;
	while (*p) {
		char *end;
		unsigned long a, b;
		if (!isdigit((unsigned char)*p))
			return false;
		a = strtoul(p, &end, 10);
		b = a;
		if (*end == '-') {
			if (!isdigit((unsigned char)end[1]))
				return false;
			b = strtoul(end + 1, &end, 10);
		}
		if (a > b || b >= max)
			return false;
		for (unsigned long i = a; i <= b; i++)
			bits[i / 8] |= (unsigned char)(1u << (i % 8));
		if (*end == ',')
			end++;
		else if (*end && *end != '\n')
			return false;
		else if (*end == '\n')
			break;
		p = end;
	}
	return true;
}

/* cpus/mems: every one asked for must be online (Docker's check). */
static int check_cpuset(const char *flag, const char *want, const char *online_file,
			struct hk_error **err)
{
	unsigned char w[1024], have[1024];
	_cleanup_free_ char *online = NULL;
	size_t len = 0;

	if (!list_parse(want, w, 8192))
		return hk_error_set(err, 0,
				    "invalid value %s for %s: expected a list such as 0-2,4", want,
				    flag);
	if (read_file_at(AT_FDCWD, online_file, 4096, &online, &len, NULL) < 0)
		online = xstrdup("0");
	if (!list_parse(online, have, 8192))
		return 0;
	for (size_t i = 0; i < sizeof(w); i++)
		if (w[i] & ~have[i])
			return hk_error_set(
				err, 0, "%s: requested %s %s are not available - available: %.*s",
				flag, flag[9] == 'c' ? "CPUs" : "memory nodes", want,
				(int)strcspn(online, "\n"), online);
	return 0;
}

static bool have_cap(cap_value_t cv)
{
	cap_t caps = cap_get_proc();
	cap_flag_value_t v = CAP_CLEAR;

	if (caps) {
		cap_get_flag(caps, cv, CAP_EFFECTIVE, &v);
		cap_free(caps);
	}
	return v == CAP_SET;
}

/* ------------------------------------------------------------ ulimits */

static const char *const ulimit_names[] = {
	"core",	  "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
	"nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack",
};

static int parse_limit_value(const char *s, int64_t *out)
{
	long long n;

	if (!strcmp(s, "unlimited") || !strcmp(s, "-1")) {
		*out = -1;
		return 0;
	}
	if (parse_ll(s, 0, INT64_MAX, &n) < 0)
		return -1;
	*out = n;
	return 0;
}

static int ulimits_json(char **v, json_object **out, struct hk_error **err)
{
	_cleanup_json_ json_object *a = json_object_new_array();

	for (; v && *v; v++) {
		const char *eq = strchr(*v, '=');
		_cleanup_free_ char *name = eq ? xstrndup(*v, (size_t)(eq - *v)) : NULL;
		_cleanup_free_ char *soft_s = NULL;
		const char *colon;
		int64_t soft, hard;
		bool known = false;
		json_object *u;

		for (size_t i = 0; name && i < ARRAY_SIZE(ulimit_names); i++)
			known = known || !strcmp(name, ulimit_names[i]);
		if (!eq || !known)
			return hk_error_set(
				err, 0,
				"--ulimit %s: expected NAME=SOFT[:HARD] with NAME one of "
				"core, cpu, data, fsize, locks, memlock, msgqueue, nice, "
				"nofile, nproc, rss, rtprio, rttime, sigpending, stack",
				*v);
		colon = strchr(eq + 1, ':');
		soft_s = colon ? xstrndup(eq + 1, (size_t)(colon - eq - 1)) : xstrdup(eq + 1);
		if (parse_limit_value(soft_s, &soft) < 0 ||
		    parse_limit_value(colon ? colon + 1 : soft_s, &hard) < 0)
			return hk_error_set(err, 0, "--ulimit %s: bad value (a number or -1)", *v);
		if (hard != -1 && (soft == -1 || soft > hard))
			return hk_error_set(err, 0,
					    "--ulimit %s: ulimit soft limit must be less than or "
					    "equal to hard limit",
					    *v);
		/* one entry per name: the last one given wins, as docker */
		for (size_t i = 0; i < json_object_array_length(a); i++)
			if (!strcmp(jstr_of(json_object_array_get_idx(a, i), "Name"), name)) {
				json_object_array_del_idx(a, i, 1);
				break;
			}
		u = json_object_new_object();
		json_object_object_add(u, "Name", json_object_new_string(name));
		json_object_object_add(u, "Hard", json_object_new_int64(hard));
		json_object_object_add(u, "Soft", json_object_new_int64(soft));
		json_object_array_add(a, u);
	}
	*out = steal_ptr(&a);
	return 0;
}

/* ------------------------------------------------------------ sysctls */

/* Docker's list of namespaced sysctls (opts.ValidateSysctl): the IPC ones
 * and fs.mqueue.* live in the IPC namespace, net.* in the network one;
 * anything else would change the host for everyone. */
static int sysctl_check(const char *key, const char *net, const char *ipc, struct hk_error **err)
{
	static const char *const ipc_keys[] = {
		"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",	    "kernel.sem",
		"kernel.shmall", "kernel.shmmax", "kernel.shm_rmid_forced", "kernel.shmmni",
	};
	bool is_ipc = str_has_prefix(key, "fs.mqueue.");

	for (size_t i = 0; i < ARRAY_SIZE(ipc_keys); i++)
		is_ipc = is_ipc || !strcmp(key, ipc_keys[i]);
	if (is_ipc) {
		if (!strcmp(ipc, "host") || str_has_prefix(ipc, "container:"))
			return hk_error_set(err, 0,
					    "--sysctl %s: not allowed with --ipc %s: the IPC "
					    "namespace is not the container's own",
					    key, ipc);
		return 0;
	}
	if (str_has_prefix(key, "net.")) {
		if (!strcmp(net, "host") || str_has_prefix(net, "container:"))
			return hk_error_set(
				err, 0,
				"--sysctl %s: not allowed with --network %s: the network "
				"namespace is not the container's own",
				key, net);
		return 0;
	}
	return hk_error_set(err, 0,
			    "--sysctl %s: sysctl '%s' is not allowed: only namespaced ones "
			    "(net.*, fs.mqueue.*, kernel.msg*, kernel.sem, kernel.shm*) can be "
			    "set for one container",
			    key, key);
}

/* ------------------------------------------------------------ block I/O */

static int blkdev_json(char **v, const char *flag, const char *field, bool weight, bool rate_size,
		       json_object **out, struct hk_error **err)
{
	_cleanup_json_ json_object *a = json_object_new_array();

	for (; v && *v; v++) {
		const char *colon = strrchr(*v, ':');
		_cleanup_free_ char *path = colon ? xstrndup(*v, (size_t)(colon - *v)) : NULL;
		struct stat st;
		int64_t val;
		long long n;
		json_object *d;

		if (!colon || !*path || path[0] != '/')
			return hk_error_set(err, 0, "%s %s: expected /dev/PATH:VALUE", flag, *v);
		if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
			return hk_error_set(err, 0, "%s %s: %s is not a block device", flag, *v,
					    path);
		if (weight) {
			if (parse_ll(colon + 1, 10, 1000, &n) < 0)
				return hk_error_set(err, 0,
						    "%s %s: the weight must be from 10 to 1000",
						    flag, *v);
			val = n;
		} else if (rate_size) {
			if (engine_parse_size(colon + 1, &val) < 0 || val <= 0)
				return hk_error_set(err, 0, "%s %s: expected a rate such as 1mb",
						    flag, *v);
		} else {
			if (parse_ll(colon + 1, 1, INT64_MAX, &n) < 0)
				return hk_error_set(err, 0, "%s %s: expected a positive number",
						    flag, *v);
			val = n;
		}
		d = json_object_new_object();
		json_object_object_add(d, "Path", json_object_new_string(path));
		json_object_object_add(d, field, json_object_new_int64(val));
		json_object_array_add(a, d);
	}
	*out = steal_ptr(&a);
	return 0;
}

/* What the blkio (v1) or io (v2) controller of this host offers; Docker
 * warns and drops what is missing ("Weight discarded"). */
static bool host_blkio(const char *what)
{
	if (spec_host_cgroup_v2())
		return v2_has_controller("io");
	if (!strcmp(what, "weight"))
		return v1_has("blkio", "blkio.weight") || v1_has("blkio", "blkio.bfq.weight");
	if (!strcmp(what, "weight_device"))
		return v1_has("blkio", "blkio.weight_device") ||
		       v1_has("blkio", "blkio.bfq.weight_device");
	return v1_has("blkio", what);
}

static int blkio_config(const struct engine_create_opts *o, json_object *hc, struct hk_error **err)
{
	static const struct {
		const char *flag, *key, *file, *what;
		bool size;
	} thr[] = {
		{"--device-read-bps", "BlkioDeviceReadBps", "blkio.throttle.read_bps_device",
		 "BPS Block I/O read limit", true},
		{"--device-write-bps", "BlkioDeviceWriteBps", "blkio.throttle.write_bps_device",
		 "BPS Block I/O write limit", true},
		{"--device-read-iops", "BlkioDeviceReadIOps", "blkio.throttle.read_iops_device",
		 "IOPS Block I/O read limit", false},
		{"--device-write-iops", "BlkioDeviceWriteIOps", "blkio.throttle.write_iops_device",
		 "IOPS Block I/O write limit", false},
	};
	char **const lists[] = {o->device_read_bps, o->device_write_bps, o->device_read_iops,
				o->device_write_iops};
	json_object *a = NULL;
	int weight = o->blkio_weight;

	if (weight && (weight < 10 || weight > 1000))
		return hk_error_set(err, 0, "--blkio-weight %d: the range is from 10 to 1000",
				    weight);
	if (weight && !host_blkio("weight")) {
		log_warn("Your kernel does not support Block I/O weight or the cgroup is not "
			 "mounted. Weight discarded.");
		weight = 0;
	}
	json_object_object_add(hc, "BlkioWeight", json_object_new_int(weight));
	if (blkdev_json(o->blkio_weight_device, "--blkio-weight-device", "Weight", true, false, &a,
			err) < 0)
		return -1;
	if (json_object_array_length(a) && !host_blkio("weight_device")) {
		log_warn("Your kernel does not support Block I/O weight_device or the cgroup is "
			 "not mounted. Weight-device discarded.");
		json_object_put(a);
		a = json_object_new_array();
	}
	json_object_object_add(hc, "BlkioWeightDevice", a);
	for (size_t i = 0; i < ARRAY_SIZE(thr); i++) {
		if (blkdev_json(lists[i], thr[i].flag, "Rate", false, thr[i].size, &a, err) < 0)
			return -1;
		if (json_object_array_length(a) && !host_blkio(thr[i].file)) {
			log_warn("Your kernel does not support %s or the cgroup is not mounted. "
				 "%s discarded.",
				 thr[i].what, thr[i].what);
			json_object_put(a);
			a = json_object_new_array();
		}
		json_object_object_add(hc, thr[i].key, a);
	}
	return 0;
}

/* ------------------------------------------------------------ namespaces */

/* pid/ipc/uts modes: "" (private), host, container:NAME; ipc also none,
 * private and shareable (docker's words). */
static int ns_mode_check(struct engine *e, const char *flag, const char *mode, bool ipc,
			 struct hk_error **err)
{
	_cleanup_container_ struct engine_container *other = NULL;

	if (!*mode || !strcmp(mode, "host"))
		return 0;
	if (ipc &&
	    (!strcmp(mode, "none") || !strcmp(mode, "private") || !strcmp(mode, "shareable")))
		return 0;
	if (!ipc && !strcmp(mode, "private"))
		return 0;
	if (!str_has_prefix(mode, "container:") || !mode[10])
		return hk_error_set(err, 0, "%s %s: expected %s", flag, mode,
				    ipc ? "none, private, shareable, host or container:NAME"
					: "private, host or container:NAME");
	if (engine_lookup(e, mode + 10, &other, err) < 0)
		return hk_error_wrap(err, "%s %s", flag, mode);
	if (ipc) {
		json_object *ohc = NULL;
		const char *om;
		json_object_object_get_ex(other->config, "HostConfig", &ohc);
		om = jstr_of(ohc, "IpcMode");
		if (!om || (strcmp(om, "shareable") && strcmp(om, "host")))
			return hk_error_set(err, 0,
					    "%s %s: non-shareable IPC (hint: use --ipc shareable "
					    "for the donor container)",
					    flag, mode);
	}
	return 0;
}

/* /proc/PID/ns/NS of the running container the mode names. */
static char *ns_path(struct engine *e, const char *flag, const char *mode, const char *ns,
		     char **id_out, struct hk_error **err)
{
	_cleanup_container_ struct engine_container *other = NULL;

	if (engine_lookup(e, mode + 10, &other, err) < 0) {
		hk_error_wrap(err, "%s %s", flag, mode);
		return NULL;
	}
	if (other->state != ENGINE_RUNNING && other->state != ENGINE_PAUSED) {
		hk_error_set(err, 0, "%s %s: container %s is not running", flag, mode, other->name);
		return NULL;
	}
	if (id_out) {
		free(*id_out);
		*id_out = xstrdup(other->id);
	}
	return xasprintf("/proc/%d/ns/%s", (int)other->pid, ns);
}

/* ------------------------------------------------------------ config */

static int annotations_json(char **v, json_object *hc, struct hk_error **err)
{
	json_object *a;

	if (!v)
		return 0;
	a = json_object_new_object();
	json_object_object_add(hc, "Annotations", a);
	for (; *v; v++) {
		const char *eq = strchr(*v, '=');
		_cleanup_free_ char *k = eq ? xstrndup(*v, (size_t)(eq - *v)) : NULL;
		if (!eq || !*k)
			return hk_error_set(err, 0, "--annotation %s: expected KEY=VALUE", *v);
		json_object_object_add(a, k, json_object_new_string(eq + 1));
	}
	return 0;
}

/* "80", "80/udp", "8000-8002/tcp" into ExposedPorts keys. */
static int expose_add(json_object *ep, const char *spec, struct hk_error **err)
{
	const char *slash = strchr(spec, '/');
	_cleanup_free_ char *ports = slash ? xstrndup(spec, (size_t)(slash - spec)) : xstrdup(spec);
	const char *proto = slash ? slash + 1 : "tcp";
	char *dash = strchr(ports, '-');
	long long a, b;

	if (dash)
		*dash++ = '\0';
	if (strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
		return hk_error_set(err, 0, "--expose %s: unknown protocol %s", spec, proto);
	if (parse_ll(ports, 1, 65535, &a) < 0 || parse_ll(dash ? dash : ports, 1, 65535, &b) < 0 ||
	    b < a)
		return hk_error_set(err, 0, "--expose %s: invalid range format for --expose", spec);
	for (long long p = a; p <= b; p++) {
		_cleanup_free_ char *k = xasprintf("%lld/%s", p, proto);
		json_object_object_add(ep, k, json_object_new_object());
	}
	return 0;
}

static int limits_config(const struct engine_create_opts *o, json_object *hc, struct hk_error **err)
{
	json_object *ul = NULL, *sc;
	const char *net = jstr_of(hc, "NetworkMode");
	const char *ipc = o->ipc_mode && *o->ipc_mode ? o->ipc_mode : "private";

	if (ulimits_json(o->ulimits, &ul, err) < 0)
		return -1;
	json_object_object_add(hc, "Ulimits", ul);
	if (o->shm_size < 0)
		return hk_error_set(err, 0, "--shm-size: must be greater than 0");
	json_object_object_add(hc, "ShmSize",
			       json_object_new_int64(o->shm_size ? o->shm_size : SHM_DEFAULT));
	if (o->sysctls) {
		sc = json_object_new_object();
		json_object_object_add(hc, "Sysctls", sc);
		for (char **v = o->sysctls; *v; v++) {
			const char *eq = strchr(*v, '=');
			_cleanup_free_ char *k = eq ? xstrndup(*v, (size_t)(eq - *v)) : NULL;
			if (!eq || !*k || strchr(k, '/') || strstr(k, ".."))
				return hk_error_set(err, 0, "--sysctl %s: expected KEY=VALUE", *v);
			if (sysctl_check(k, net ? net : "", ipc, err) < 0)
				return -1;
			json_object_object_add(sc, k, json_object_new_string(eq + 1));
		}
	}

	/* cpu */
	if (o->cpuset_cpus && check_cpuset("--cpuset-cpus", o->cpuset_cpus,
					   "/sys/devices/system/cpu/online", err) < 0)
		return -1;
	if (o->cpuset_mems && check_cpuset("--cpuset-mems", o->cpuset_mems,
					   "/sys/devices/system/node/online", err) < 0)
		return -1;
	json_object_object_add(hc, "CpusetCpus",
			       json_object_new_string(o->cpuset_cpus ? o->cpuset_cpus : ""));
	json_object_object_add(hc, "CpusetMems",
			       json_object_new_string(o->cpuset_mems ? o->cpuset_mems : ""));
	if (o->nano_cpus && o->cpu_period)
		return hk_error_set(err, 0,
				    "Conflicting options: Nano CPUs and CPU Period cannot both be "
				    "set (--cpus and --cpu-period)");
	if (o->nano_cpus && o->cpu_quota)
		return hk_error_set(err, 0,
				    "Conflicting options: Nano CPUs and CPU Quota cannot both be "
				    "set (--cpus and --cpu-quota)");
	if (o->cpu_period && (o->cpu_period < 1000 || o->cpu_period > 1000000))
		return hk_error_set(err, 0,
				    "--cpu-period: CPU cfs period can not be less than 1ms (i.e. "
				    "1000) or larger than 1s (i.e. 1000000)");
	if (o->cpu_quota && o->cpu_quota != -1 && o->cpu_quota < 1000)
		return hk_error_set(err, 0,
				    "--cpu-quota: CPU cfs quota can not be less than 1ms (i.e. "
				    "1000)");
	json_object_object_add(hc, "CpuQuota", json_object_new_int64(o->cpu_quota));
	json_object_object_add(hc, "CpuPeriod", json_object_new_int64(o->cpu_period));
	if (o->cpu_rt_runtime || o->cpu_rt_period) {
		if (spec_host_cgroup_v2() || !v1_has("cpu", "cpu.rt_runtime_us"))
			return hk_error_set(err, 0,
					    "--cpu-rt-runtime/--cpu-rt-period: this kernel does "
					    "not support cgroup cpu real-time runtime (it needs "
					    "cgroup v1 and CONFIG_RT_GROUP_SCHED)");
		if (o->cpu_rt_period && o->cpu_rt_runtime > o->cpu_rt_period)
			return hk_error_set(err, 0,
					    "--cpu-rt-runtime: cannot be higher than "
					    "--cpu-rt-period");
	}
	json_object_object_add(hc, "CpuRealtimePeriod", json_object_new_int64(o->cpu_rt_period));
	json_object_object_add(hc, "CpuRealtimeRuntime", json_object_new_int64(o->cpu_rt_runtime));

	/* memory */
	if (o->memory_reservation && o->memory_reservation < 6 * 1024 * 1024)
		return hk_error_set(err, 0,
				    "--memory-reservation: minimum memory reservation allowed is "
				    "6MB");
	if (o->memory && o->memory_reservation > o->memory)
		return hk_error_set(err, 0,
				    "Minimum memory limit can not be less than memory reservation "
				    "limit, see usage (--memory and --memory-reservation)");
	json_object_object_add(hc, "MemoryReservation",
			       json_object_new_int64(o->memory_reservation));
	if (o->memory_swappiness != -1 && (o->memory_swappiness < 0 || o->memory_swappiness > 100))
		return hk_error_set(err, 0,
				    "--memory-swappiness: invalid value: %lld, valid memory "
				    "swappiness range is 0-100",
				    (long long)o->memory_swappiness);
	json_object_object_add(
		hc, "MemorySwappiness",
		o->memory_swappiness >= 0 ? json_object_new_int64(o->memory_swappiness) : NULL);
	if (o->oom_kill_disable && !o->memory)
		log_warn("Disabling the OOM killer on containers without setting a "
			 "'-m/--memory' limit may be dangerous.");
	json_object_object_add(hc, "OomKillDisable", json_object_new_boolean(o->oom_kill_disable));
	if (o->oom_score_adj < -1000 || o->oom_score_adj > 1000)
		return hk_error_set(err, 0,
				    "--oom-score-adj: invalid value %d, range for oom score adj is "
				    "[-1000, 1000]",
				    o->oom_score_adj);
	if (o->oom_score_adj < 0 && !have_cap(CAP_SYS_RESOURCE)) {
		_cleanup_free_ char *cur = NULL;
		size_t len = 0;
		long long now = 0;
		if (read_file_at(AT_FDCWD, "/proc/self/oom_score_adj", 64, &cur, &len, NULL) == 0)
			now = strtoll(cur, NULL, 10);
		if (o->oom_score_adj < now)
			return hk_error_set(err, 0,
					    "--oom-score-adj %d: lowering the OOM score below %lld "
					    "needs CAP_SYS_RESOURCE, which hako does not have here",
					    o->oom_score_adj, now);
	}
	json_object_object_add(hc, "OomScoreAdj", json_object_new_int(o->oom_score_adj));
	return blkio_config(o, hc, err);
}

static int ns_config(struct engine *e, const struct engine_create_opts *o, json_object *hc,
		     struct hk_error **err)
{
	const char *pid = o->pid_mode ? o->pid_mode : "";
	const char *ipc = o->ipc_mode && *o->ipc_mode ? o->ipc_mode : "private";
	const char *uts = o->uts_mode ? o->uts_mode : "";
	const char *cgns = o->cgroupns_mode && *o->cgroupns_mode ? o->cgroupns_mode
			   : spec_host_cgroup_v2()		 ? "private"
								 : "host";
	const char *userns = o->userns_mode ? o->userns_mode : "";

	if (ns_mode_check(e, "--pid", pid, false, err) < 0 ||
	    ns_mode_check(e, "--ipc", ipc, true, err) < 0 ||
	    ns_mode_check(e, "--uts", uts, false, err) < 0)
		return -1;
	if (!strcmp(uts, "private"))
		uts = "";
	if (!strcmp(pid, "private"))
		pid = "";
	if (*uts && o->hostname)
		return hk_error_set(err, 0,
				    "Conflicting options: hostname and the UTS mode (--hostname "
				    "and --uts %s)",
				    uts);
	if (strcmp(cgns, "host") && strcmp(cgns, "private"))
		return hk_error_set(err, 0, "--cgroupns %s: expected host or private", cgns);
	if (*userns && strcmp(userns, "host"))
		return hk_error_set(err, 0,
				    "--userns %s: not supported: hako runs containers without a "
				    "user namespace (host); remapped ids are not implemented yet",
				    userns);
	json_object_object_add(hc, "PidMode", json_object_new_string(pid));
	json_object_object_add(hc, "IpcMode", json_object_new_string(ipc));
	json_object_object_add(hc, "UTSMode", json_object_new_string(uts));
	json_object_object_add(hc, "CgroupnsMode", json_object_new_string(cgns));
	json_object_object_add(hc, "UsernsMode", json_object_new_string(userns));
	if (o->cgroup_parent) {
		_cleanup_free_ char *clean = path_clean(o->cgroup_parent);
		if (strstr(o->cgroup_parent, "..") || strchr(o->cgroup_parent, ':') ||
		    !strcmp(clean, "/") || !strcmp(clean, "."))
			return hk_error_set(err, 0,
					    "--cgroup-parent %s: expected a cgroup path such as "
					    "/mygroup or mygroup/sub",
					    o->cgroup_parent);
	}
	json_object_object_add(hc, "CgroupParent",
			       json_object_new_string(o->cgroup_parent ? o->cgroup_parent : ""));
	json_object_object_add(hc, "GroupAdd", o->group_add ? strv_arr(o->group_add) : NULL);
	return 0;
}

int spec_opts_config(struct engine *e, const struct engine_create_opts *o, json_object *cfg,
		     json_object *hc, struct hk_error **err)
{
	json_object *ep = NULL, *pb = NULL;

	if (o->domainname) {
		if (strlen(o->domainname) > 64 || strchr(o->domainname, '/'))
			return hk_error_set(err, 0, "--domainname: invalid domain name '%s'",
					    o->domainname);
		json_object_object_add(cfg, "Domainname", json_object_new_string(o->domainname));
	}
	/* ExposedPorts: the image's (put there by spec_build_config), --expose,
	 * and every published container port, as docker */
	if (!json_object_object_get_ex(cfg, "ExposedPorts", &ep) || !ep) {
		ep = json_object_new_object();
		json_object_object_add(cfg, "ExposedPorts", ep);
	}
	for (char **x = o->expose; x && *x; x++)
		if (expose_add(ep, *x, err) < 0)
			return -1;
	if (json_object_object_get_ex(hc, "PortBindings", &pb) && pb) {
		json_object_object_foreach(pb, k, v)
		{
			(void)v;
			json_object_object_add(ep, k, json_object_new_object());
		}
	}
	if (!json_object_object_length(ep))
		json_object_object_del(cfg, "ExposedPorts");
	if (o->attach) {
		json_object_object_add(cfg, "AttachStdin",
				       json_object_new_boolean(o->attach & ENGINE_ATTACH_STDIN));
		json_object_object_add(cfg, "AttachStdout",
				       json_object_new_boolean(o->attach & ENGINE_ATTACH_STDOUT));
		json_object_object_add(cfg, "AttachStderr",
				       json_object_new_boolean(o->attach & ENGINE_ATTACH_STDERR));
	}
	json_object_object_add(hc, "DnsSearch", strv_arr(o->dns_search));
	json_object_object_add(hc, "DnsOptions", strv_arr(o->dns_options));
	if (annotations_json(o->annotations, hc, err) < 0)
		return -1;
	if (ns_config(e, o, hc, err) < 0)
		return -1;
	if (o->kernel_memory)
		log_warn("Specifying a kernel memory limit is deprecated and ignored: kernels "
			 "since 5.16 have no such limit (--kernel-memory)");
	return limits_config(o, hc, err);
}

/* ------------------------------------------------------------ resolv.conf */

char *spec_resolv_apply(const char *text, json_object *hc)
{
	json_object *s = NULL, *o = NULL;
	size_t ns, no, len = 0;
	char *buf = NULL;
	FILE *f;

	json_object_object_get_ex(hc, "DnsSearch", &s);
	json_object_object_get_ex(hc, "DnsOptions", &o);
	ns = s ? json_object_array_length(s) : 0;
	no = o ? json_object_array_length(o) : 0;
	if (!ns && !no)
		return NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	if (ns) {
		fputs("search", f);
		for (size_t i = 0; i < ns; i++)
			fprintf(f, " %s", json_object_get_string(json_object_array_get_idx(s, i)));
		fputc('\n', f);
	}
	for (const char *l = text; l && *l;) {
		size_t n = strcspn(l, "\n");
		bool drop = (ns && (!strncmp(l, "search", 6) || !strncmp(l, "domain", 6))) ||
			    (no && !strncmp(l, "options", 7));
		if (!drop)
			fprintf(f, "%.*s\n", (int)n, l);
		l += n;
		if (*l)
			l++;
	}
	if (no) {
		fputs("options", f);
		for (size_t i = 0; i < no; i++)
			fprintf(f, " %s", json_object_get_string(json_object_array_get_idx(o, i)));
		fputc('\n', f);
	}
	fclose(f);
	return buf;
}

/* ------------------------------------------------------------ OCI spec */

static json_object *get_or_add(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (json_object_object_get_ex(o, key, &v) && v)
		return v;
	v = json_object_new_object();
	json_object_object_add(o, key, v);
	return v;
}

static void rlimits_oci(json_object *hc, json_object *proc)
{
	json_object *ul = NULL, *a;

	if (!json_object_object_get_ex(hc, "Ulimits", &ul) || !ul || !json_object_array_length(ul))
		return;
	a = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(ul); i++) {
		json_object *u = json_object_array_get_idx(ul, i), *r = json_object_new_object();
		_cleanup_free_ char *type = xasprintf("RLIMIT_%s", jstr_of(u, "Name"));
		int64_t soft = jint_of(u, "Soft"), hard = jint_of(u, "Hard");
		for (char *p = type; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		json_object_object_add(r, "type", json_object_new_string(type));
		json_object_object_add(
			r, "hard", json_object_new_uint64(hard < 0 ? UINT64_MAX : (uint64_t)hard));
		json_object_object_add(
			r, "soft", json_object_new_uint64(soft < 0 ? UINT64_MAX : (uint64_t)soft));
		json_object_array_add(a, r);
	}
	json_object_object_add(proc, "rlimits", a);
}

static void blkdevs_oci(json_object *hc, const char *key, const char *field, json_object *bio,
			const char *okey)
{
	json_object *v = NULL, *a;

	if (!json_object_object_get_ex(hc, key, &v) || !v || !json_object_array_length(v))
		return;
	a = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *d = json_object_array_get_idx(v, i), *o;
		struct stat st;
		if (stat(jstr_of(d, "Path"), &st) < 0 || !S_ISBLK(st.st_mode))
			continue; /* gone since create: docker skips it too */
		o = json_object_new_object();
		json_object_object_add(o, "major", json_object_new_int64(major(st.st_rdev)));
		json_object_object_add(o, "minor", json_object_new_int64(minor(st.st_rdev)));
		json_object_object_add(
			o, field,
			json_object_new_int64(jint_of(d, field[0] == 'w' ? "Weight" : "Rate")));
		json_object_array_add(a, o);
	}
	json_object_object_add(bio, okey, a);
}

static void resources_oci(json_object *hc, json_object *lnx)
{
	json_object *res = get_or_add(lnx, "resources"), *v = NULL;
	const char *s;

	if (((s = jstr_of(hc, "CpusetCpus")) && *s) || ((s = jstr_of(hc, "CpusetMems")) && *s) ||
	    jint_of(hc, "CpuQuota") || jint_of(hc, "CpuPeriod") ||
	    jint_of(hc, "CpuRealtimeRuntime") || jint_of(hc, "CpuRealtimePeriod")) {
		json_object *cpu = get_or_add(res, "cpu");
		if ((s = jstr_of(hc, "CpusetCpus")) && *s)
			json_object_object_add(cpu, "cpus", json_object_new_string(s));
		if ((s = jstr_of(hc, "CpusetMems")) && *s)
			json_object_object_add(cpu, "mems", json_object_new_string(s));
		if (jint_of(hc, "CpuQuota"))
			json_object_object_add(cpu, "quota",
					       json_object_new_int64(jint_of(hc, "CpuQuota")));
		if (jint_of(hc, "CpuPeriod"))
			json_object_object_add(cpu, "period",
					       json_object_new_int64(jint_of(hc, "CpuPeriod")));
		if (jint_of(hc, "CpuRealtimeRuntime"))
			json_object_object_add(
				cpu, "realtimeRuntime",
				json_object_new_int64(jint_of(hc, "CpuRealtimeRuntime")));
		if (jint_of(hc, "CpuRealtimePeriod"))
			json_object_object_add(
				cpu, "realtimePeriod",
				json_object_new_int64(jint_of(hc, "CpuRealtimePeriod")));
	}
	if (jint_of(hc, "MemoryReservation") ||
	    (json_object_object_get_ex(hc, "MemorySwappiness", &v) && v) ||
	    (json_object_object_get_ex(hc, "OomKillDisable", &v) && json_object_get_boolean(v))) {
		json_object *mem = get_or_add(res, "memory");
		if (jint_of(hc, "MemoryReservation"))
			json_object_object_add(
				mem, "reservation",
				json_object_new_int64(jint_of(hc, "MemoryReservation")));
		if (json_object_object_get_ex(hc, "MemorySwappiness", &v) && v)
			json_object_object_add(mem, "swappiness",
					       json_object_new_int64(json_object_get_int64(v)));
		if (json_object_object_get_ex(hc, "OomKillDisable", &v) &&
		    json_object_get_boolean(v))
			json_object_object_add(mem, "disableOOMKiller",
					       json_object_new_boolean(true));
	}
	{
		json_object *bio = json_object_new_object();
		if (jint_of(hc, "BlkioWeight"))
			json_object_object_add(bio, "weight",
					       json_object_new_int64(jint_of(hc, "BlkioWeight")));
		blkdevs_oci(hc, "BlkioWeightDevice", "weight", bio, "weightDevice");
		blkdevs_oci(hc, "BlkioDeviceReadBps", "rate", bio, "throttleReadBpsDevice");
		blkdevs_oci(hc, "BlkioDeviceWriteBps", "rate", bio, "throttleWriteBpsDevice");
		blkdevs_oci(hc, "BlkioDeviceReadIOps", "rate", bio, "throttleReadIOPSDevice");
		blkdevs_oci(hc, "BlkioDeviceWriteIOps", "rate", bio, "throttleWriteIOPSDevice");
		if (json_object_object_length(bio))
			json_object_object_add(res, "blockIO", bio);
		else
			json_object_put(bio);
	}
}

/* A group of the image (/etc/group in the rootfs) by name, or a number. */
static int group_id(int rootfd, const char *name, gid_t *gid, struct hk_error **err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0, n = strlen(name);
	long long v;

	if (parse_ll(name, 0, UINT32_MAX - 1, &v) == 0) {
		*gid = (gid_t)v;
		return 0;
	}
	fd = path_open_in_root(rootfd, "/etc/group", O_RDONLY, 0, NULL);
	f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (f)
		fd = -1;
	while (f && getline(&line, &cap, f) > 0) {
		const char *id;
		char *end;
		if (strncmp(line, name, n) || line[n] != ':')
			continue;
		id = strchr(line + n + 1, ':');
		if (!id || !isdigit((unsigned char)id[1]))
			continue;
		errno = 0;
		v = strtoll(id + 1, &end, 10);
		if (!errno && *end == ':' && v >= 0 && v < UINT32_MAX) {
			*gid = (gid_t)v;
			return 0;
		}
	}
	return hk_error_set(err, 0,
			    "--group-add %s: unable to find group %s: no matching entries "
			    "in group file",
			    name, name);
}

static int groups_oci(json_object *hc, int rootfd, json_object *proc, struct hk_error **err)
{
	json_object *ga = NULL, *user = NULL, *ag = NULL;

	if (!json_object_object_get_ex(hc, "GroupAdd", &ga) || !ga)
		return 0;
	json_object_object_get_ex(proc, "user", &user);
	if (!json_object_object_get_ex(user, "additionalGids", &ag) || !ag) {
		ag = json_object_new_array();
		json_object_object_add(user, "additionalGids", ag);
	}
	for (size_t i = 0; i < json_object_array_length(ga); i++) {
		gid_t g = 0;
		bool dup = false;
		if (group_id(rootfd, json_object_get_string(json_object_array_get_idx(ga, i)), &g,
			     err) < 0)
			return -1;
		for (size_t k = 0; k < json_object_array_length(ag); k++)
			dup = dup || json_object_get_int64(json_object_array_get_idx(ag, k)) == g;
		if (!dup)
			json_object_array_add(ag, json_object_new_int64(g));
	}
	return 0;
}

static json_object *find_mount(json_object *mounts, const char *dst, size_t *idx)
{
	for (size_t i = 0; mounts && i < json_object_array_length(mounts); i++) {
		json_object *m = json_object_array_get_idx(mounts, i);
		if (str_eq(jstr_of(m, "destination"), dst)) {
			if (idx)
				*idx = i;
			return m;
		}
	}
	return NULL;
}

static void mount_set(json_object *m, const char *type, const char *src, const char *opts)
{
	json_object *o = json_object_new_array();
	_cleanup_free_ char *copy = xstrdup(opts);
	char *save = NULL;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		json_object_array_add(o, json_object_new_string(t));
	json_object_object_add(m, "type", json_object_new_string(type));
	json_object_object_add(m, "source", json_object_new_string(src));
	json_object_object_add(m, "options", o);
}

static char *shm_dir(struct engine *e, const char *id)
{
	_cleanup_free_ char *rdir = engine_run_dir(e, id);
	return path_join(rdir, "shm");
}

/* /dev/shm as --shm-size and --ipc say: its own tmpfs of that size, none,
 * the host's, or, for a shareable container and those joining it, a tmpfs
 * on the host that each binds (one mount namespace cannot bind a mount of
 * another; docker keeps it on the host for the same reason). */
static void shm_oci(struct engine *e, const struct engine_container *c, json_object *hc,
		    json_object *spec, const char *donor)
{
	json_object *mounts = NULL, *m;
	const char *ipc = jstr_of(hc, "IpcMode");
	size_t idx = 0;

	json_object_object_get_ex(spec, "mounts", &mounts);
	m = find_mount(mounts, "/dev/shm", &idx);
	if (!m)
		return;
	if (str_eq(ipc, "none")) {
		json_object_array_del_idx(mounts, idx, 1);
	} else if (str_eq(ipc, "host")) {
		mount_set(m, "bind", "/dev/shm", "rbind,rprivate");
	} else if (donor || str_eq(ipc, "shareable")) {
		_cleanup_free_ char *src = shm_dir(e, donor ? donor : c->id);
		mount_set(m, "bind", src, "rbind,rprivate");
	} else {
		int64_t size = jint_of(hc, "ShmSize");
		_cleanup_free_ char *opts = xasprintf("nosuid,noexec,nodev,mode=1777,size=%lld",
						      (long long)(size > 0 ? size : SHM_DEFAULT));
		mount_set(m, "tmpfs", "shm", opts);
	}
}

int spec_opts_prepare_start(struct engine *e, const struct engine_container *c,
			    struct hk_error **err)
{
	json_object *hc = NULL;
	_cleanup_free_ char *dir = NULL, *opts = NULL;
	int64_t size;

	json_object_object_get_ex(c->config, "HostConfig", &hc);
	if (!str_eq(jstr_of(hc, "IpcMode"), "shareable"))
		return 0;
	dir = shm_dir(e, c->id);
	size = jint_of(hc, "ShmSize");
	opts = xasprintf("mode=1777,size=%lld", (long long)(size > 0 ? size : SHM_DEFAULT));
	if (mkdir_p(dir, 0700, err) < 0)
		return -1;
	/* a fresh one each start, as a private /dev/shm is */
	umount2(dir, MNT_DETACH);
	if (mount("shm", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
		return hk_error_errno(err, "mount the shareable /dev/shm on %s", dir);
	return 0;
}

void spec_opts_cleanup(struct engine *e, const char *id)
{
	_cleanup_free_ char *dir = shm_dir(e, id);
	umount2(dir, MNT_DETACH);
}

static bool has_ns(json_object *nss, const char *type)
{
	for (size_t i = 0; nss && i < json_object_array_length(nss); i++)
		if (str_eq(jstr_of(json_object_array_get_idx(nss, i), "type"), type))
			return true;
	return false;
}

/* Adjust linux.namespaces (and what depends on them) to the modes; *donor
 * gets the id of the --ipc container:NAME. */
static int namespaces_oci(struct engine *e, json_object *hc, json_object *spec, json_object *lnx,
			  char **donor, struct hk_error **err)
{
	static const struct {
		const char *key, *ns, *flag, *proc;
	} modes[] = {
		{"PidMode", "pid", "--pid", "pid"},
		{"IpcMode", "ipc", "--ipc", "ipc"},
		{"UTSMode", "uts", "--uts", "uts"},
	};
	json_object *nss = NULL;

	json_object_object_get_ex(lnx, "namespaces", &nss);
	for (size_t m = 0; m < ARRAY_SIZE(modes); m++) {
		const char *mode = jstr_of(hc, modes[m].key);
		if (!mode || !*mode || !strcmp(mode, "private") || !strcmp(mode, "shareable") ||
		    !strcmp(mode, "none"))
			continue;
		for (size_t i = 0; nss && i < json_object_array_length(nss); i++) {
			json_object *ns = json_object_array_get_idx(nss, i);
			if (!str_eq(jstr_of(ns, "type"), modes[m].ns))
				continue;
			if (!strcmp(mode, "host")) {
				json_object_array_del_idx(nss, i, 1);
			} else {
				_cleanup_free_ char *p =
					ns_path(e, modes[m].flag, mode, modes[m].proc,
						m == 1 ? donor : NULL, err);
				if (!p)
					return -1;
				json_object_object_add(ns, "path", json_object_new_string(p));
			}
			break;
		}
		if (m == 2) /* no UTS namespace of its own: no hostname to set */
			json_object_object_del(spec, "hostname");
	}
	if (str_eq(jstr_of(hc, "CgroupnsMode"), "private") && !has_ns(nss, "cgroup")) {
		json_object *ns = json_object_new_object();
		json_object_object_add(ns, "type", json_object_new_string("cgroup"));
		json_object_array_add(nss, ns);
	}
	return 0;
}

int spec_opts_oci(struct engine *e, const struct engine_container *c, int rootfd, json_object *spec,
		  struct hk_error **err)
{
	json_object *cfg = NULL, *hc = NULL, *proc = NULL, *lnx = NULL, *v = NULL;
	const char *s;
	_cleanup_free_ char *donor = NULL;

	json_object_object_get_ex(c->config, "Config", &cfg);
	json_object_object_get_ex(c->config, "HostConfig", &hc);
	json_object_object_get_ex(spec, "process", &proc);
	json_object_object_get_ex(spec, "linux", &lnx);
	rlimits_oci(hc, proc);
	if (jint_of(hc, "OomScoreAdj"))
		json_object_object_add(proc, "oomScoreAdj",
				       json_object_new_int64(jint_of(hc, "OomScoreAdj")));
	if (groups_oci(hc, rootfd, proc, err) < 0)
		return -1;
	if (json_object_object_get_ex(hc, "Sysctls", &v) && v && json_object_object_length(v))
		json_object_object_add(lnx, "sysctl", json_object_get(v));
	resources_oci(hc, lnx);
	if (namespaces_oci(e, hc, spec, lnx, &donor, err) < 0)
		return -1;
	shm_oci(e, c, hc, spec, donor);
	if ((s = jstr_of(hc, "CgroupParent")) && *s) {
		_cleanup_free_ char *clean = path_clean(s);
		_cleanup_free_ char *cg = xasprintf("%s/%s", clean, c->id);
		json_object_object_add(lnx, "cgroupsPath", json_object_new_string(cg));
	}
	if ((s = jstr_of(cfg, "Domainname")) && *s &&
	    json_object_object_get_ex(spec, "hostname", NULL))
		json_object_object_add(spec, "domainname", json_object_new_string(s));
	if (json_object_object_get_ex(hc, "Annotations", &v) && v)
		json_object_object_add(spec, "annotations", json_object_get(v));
	return 0;
}

int spec_opts_refresh_joined(struct engine *e, const struct engine_container *c,
			     struct hk_error **err)
{
	json_object *hc = NULL, *lnx = NULL;
	_cleanup_free_ char *dir = NULL, *path = NULL, *text = NULL;
	_cleanup_json_ json_object *spec = NULL;
	const char *pm, *im, *um;
	_cleanup_free_ char *donor = NULL;

	json_object_object_get_ex(c->config, "HostConfig", &hc);
	pm = jstr_of(hc, "PidMode");
	im = jstr_of(hc, "IpcMode");
	um = jstr_of(hc, "UTSMode");
	if (!(pm && str_has_prefix(pm, "container:")) &&
	    !(im && str_has_prefix(im, "container:")) && !(um && str_has_prefix(um, "container:")))
		return 0;
	/* the other container as it runs now (it may have restarted since) */
	dir = engine_ctr_dir(e, c->id);
	path = path_join(dir, "config.json");
	if (json_parse_file(path, 64 << 20, &spec, err) < 0)
		return -1;
	json_object_object_get_ex(spec, "linux", &lnx);
	if (namespaces_oci(e, hc, spec, lnx, &donor, err) < 0)
		return hk_error_wrap(err, "join the namespaces of another container (start it "
					  "first)");
	shm_oci(e, c, hc, spec, donor);
	text = json_to_string(spec, true);
	return write_file_replace(path, text, strlen(text), 0600, err);
}
