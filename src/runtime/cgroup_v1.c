/* cgroup v1, and the hybrid layout: one directory per mounted hierarchy
 * (controllers, named ones such as name=systemd, and in hybrid mode the
 * controller-less cgroup2 mount, which still gives cgroup.kill and
 * cgroup.freeze). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup_internal.h"
#include "util/log.h"
#include "util/util.h"

static bool blank(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return *s == '\0';
}

/* A new v1 cpuset starts with empty cpus and mems, and no task may join it
 * until both are set: copy them from the parent, level by level. */
static int cpuset_inherit(int parent_fd, int fd, struct hk_error **err)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
	struct cg_dir p = {.fd = parent_fd}, c = {.fd = fd};

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *mine = NULL, *theirs = NULL;
		if (cg_read(&c, files[i], &mine, err) < 0)
			return -1;
		if (!blank(mine))
			continue;
		if (cg_read(&p, files[i], &theirs, err) < 0 ||
		    cg_write(&c, files[i], theirs, err) < 0)
			return -1;
	}
	return 0;
}

static bool has_controller(const char *list, const char *ctl)
{
	size_t n = strlen(ctl);
	for (const char *p = list; p && *p;) {
		if (strncmp(p, ctl, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

static int v1_create(struct cgroup *cg, const struct cg_layout *l, struct hk_error **err)
{
	cg->dirs = xzalloc((l->n + 1) * sizeof(*cg->dirs));
	for (size_t i = 0; i < l->n; i++) {
		const struct cg_hier *h = &l->h[i];
		struct cg_dir *d = &cg->dirs[cg->ndirs];
		bool created = false;

		int (*cb)(int, int, struct hk_error **) = NULL;

		/* Controllers may live on the hybrid v2 side too (hugetlb
		 * here when no v1 hierarchy holds it). */
		if (h->v2)
			cb = cg_v2_enable_controllers;
		else if (has_controller(h->controllers, "cpuset"))
			cb = cpuset_inherit;
		if (cg_mkdir_path(h->mnt, cg->path, &created, cb, err) < 0)
			return -1;
		d->path = xasprintf("%s%s", h->mnt, cg->path);
		d->controllers = xstrdup(h->controllers);
		d->v2 = h->v2;
		d->created = created;
		d->fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		cg->ndirs++;
		if (d->fd < 0)
			return hk_error_errno(err, "open %s", d->path);
	}
	return 0;
}

static struct cg_dir *need_dir(struct cgroup *cg, const char *ctl, const char *what,
			       struct hk_error **err)
{
	struct cg_dir *d = cg_find_dir(cg, ctl);
	if (!d)
		hk_error_set(err, 0, "%s: the %s cgroup controller is not mounted", what, ctl);
	return d;
}

static int write_i64(struct cg_dir *d, const char *file, int64_t v, struct hk_error **err)
{
	return cg_writef(d, file, err, "%lld", (long long)v) < 0 ? -1 : 0;
}

static int v1_memory(struct cgroup *cg, const struct cg_resources *r, struct hk_error **err)
{
	struct cg_dir *d;

	if (r->mem_limit == CG_UNSET && r->mem_reservation == CG_UNSET && r->mem_swap == CG_UNSET &&
	    r->mem_swappiness == CG_UNSET && r->disable_oom < 0)
		return 0;
	d = need_dir(cg, "memory", "linux.resources.memory", err);
	if (!d)
		return -1;
	if (r->mem_limit != CG_UNSET && r->mem_swap != CG_UNSET) {
		/* memory.limit_in_bytes may never exceed memsw: write them in
		 * the order that keeps limit <= memsw at every step. */
		_cleanup_error_ struct hk_error *e = NULL;
		if (write_i64(d, "memory.limit_in_bytes", r->mem_limit, &e) < 0) {
			if (cg_write_opt(d, "memory.memsw.limit_in_bytes", "-1", err) < 0 ||
			    write_i64(d, "memory.limit_in_bytes", r->mem_limit, err) < 0)
				return -1;
		}
		char buf[32];
		snprintf(buf, sizeof(buf), "%lld", (long long)r->mem_swap);
		if (cg_write_opt(d, "memory.memsw.limit_in_bytes", buf, err) < 0)
			return -1;
	} else if (r->mem_limit != CG_UNSET) {
		if (write_i64(d, "memory.limit_in_bytes", r->mem_limit, err) < 0)
			return -1;
	} else if (r->mem_swap != CG_UNSET) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%lld", (long long)r->mem_swap);
		if (cg_write_opt(d, "memory.memsw.limit_in_bytes", buf, err) < 0)
			return -1;
	}
	if (r->mem_reservation != CG_UNSET &&
	    write_i64(d, "memory.soft_limit_in_bytes", r->mem_reservation, err) < 0)
		return -1;
	if (r->mem_swappiness != CG_UNSET) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%lld", (long long)r->mem_swappiness);
		if (cg_write_opt(d, "memory.swappiness", buf, err) < 0)
			return -1;
	}
	if (r->disable_oom >= 0 &&
	    cg_write_opt(d, "memory.oom_control", r->disable_oom ? "1" : "0", err) < 0)
		return -1;
	return 0;
}

static int64_t rt_read(const char *dir)
{
	_cleanup_free_ char *p = xasprintf("%s/cpu.rt_runtime_us", dir), *text = NULL;
	size_t len = 0;

	if (read_file_at(AT_FDCWD, p, 64, &text, &len, NULL) < 0)
		return -1;
	return strtoll(text, NULL, 10);
}

/* The real-time budget of the cgroups of dir's other children. */
static int64_t rt_siblings(const char *dir, const char *child)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	int64_t sum = 0;

	while (dp && (de = readdir(dp))) {
		_cleanup_free_ char *sub = NULL;
		int64_t v;
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		sub = xasprintf("%s/%s", dir, de->d_name);
		if (!strcmp(sub, child) || (v = rt_read(sub)) <= 0)
			continue;
		sum += v;
	}
	if (dp)
		closedir(dp);
	return sum;
}

/* A v1 cgroup's cpu.rt_runtime_us must fit in its parent's, minus what the
 * parent's other children hold, and a new cgroup starts with none: an rt
 * request fails with EINVAL unless every ancestor has room.  Docker leaves
 * that to the admin (dockerd --cpu-rt-runtime); we give each ancestor below
 * the hierarchy's root what it needs, top-down, as far as the root's own
 * budget (kernel.sched_rt_runtime_us) allows.  The ancestors keep it. */
static int rt_budget(struct cg_dir *d, int64_t want, struct hk_error **err)
{
	_cleanup_strv_ char **dirs = NULL;
	int64_t *need = NULL;
	_cleanup_free_ char *child = xstrdup(d->path);
	size_t n = 0;
	int rc = 0;

	for (;;) {
		_cleanup_free_ char *parent = xstrdup(child);
		char *slash = strrchr(parent, '/');
		_cleanup_free_ char *grand = NULL;
		int64_t cur, req;

		if (!slash || slash == parent)
			break;
		*slash = '\0';
		cur = rt_read(parent);
		if (cur < 0)
			break;
		req = rt_siblings(parent, child) + want;
		if (cur >= req)
			break;
		grand = xstrdup(parent);
		slash = strrchr(grand, '/');
		if (slash)
			*slash = '\0';
		if (!slash || rt_read(grand) < 0) {
			/* parent is the hierarchy's root: its budget is the kernel's */
			free(need);
			return hk_error_set(err, 0,
					    "cpu.rt_runtime_us: %lld us asked, but the host's "
					    "real-time budget has %lld us left (kernel."
					    "sched_rt_runtime_us)",
					    (long long)want, (long long)(cur - (req - want)));
		}
		strv_push(&dirs, parent);
		need = xrealloc(need, (n + 1) * sizeof(*need));
		need[n++] = req;
		want = req;
		free(child);
		child = xstrdup(parent);
	}
	for (size_t i = n; i-- > 0 && rc == 0;) {
		_cleanup_close_ int fd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct cg_dir pd = {.path = dirs[i], .fd = fd};
		if (fd < 0 || write_i64(&pd, "cpu.rt_runtime_us", need[i], err) < 0)
			rc = fd < 0 ? hk_error_errno(err, "open %s", dirs[i])
				    : hk_error_wrap(err, "give the parent cgroup real-time budget");
	}
	free(need);
	return rc;
}

static int v1_cpu(struct cgroup *cg, const struct cg_resources *r, struct hk_error **err)
{
	struct cg_dir *d;

	if (r->cpu_shares || r->cpu_period || r->cpu_quota != CG_UNSET || r->cpu_rt_period ||
	    r->cpu_rt_runtime != CG_UNSET || r->cpu_idle != CG_UNSET) {
		d = need_dir(cg, "cpu", "linux.resources.cpu", err);
		if (!d)
			return -1;
		if (r->cpu_shares && write_i64(d, "cpu.shares", (int64_t)r->cpu_shares, err) < 0)
			return -1;
		/* period before quota: the kernel checks quota against it. */
		if (r->cpu_period &&
		    write_i64(d, "cpu.cfs_period_us", (int64_t)r->cpu_period, err) < 0)
			return -1;
		if (r->cpu_quota != CG_UNSET && r->cpu_quota != 0 &&
		    write_i64(d, "cpu.cfs_quota_us", r->cpu_quota < 0 ? -1 : r->cpu_quota, err) < 0)
			return -1;
		if (r->cpu_rt_period &&
		    write_i64(d, "cpu.rt_period_us", (int64_t)r->cpu_rt_period, err) < 0)
			return -1;
		if (r->cpu_rt_runtime != CG_UNSET && r->cpu_rt_runtime > 0 &&
		    rt_budget(d, r->cpu_rt_runtime, err) < 0)
			return -1;
		if (r->cpu_rt_runtime != CG_UNSET &&
		    write_i64(d, "cpu.rt_runtime_us", r->cpu_rt_runtime, err) < 0)
			return -1;
		if (r->cpu_idle != CG_UNSET) {
			char buf[32];
			snprintf(buf, sizeof(buf), "%lld", (long long)r->cpu_idle);
			if (cg_write_opt(d, "cpu.idle", buf, err) < 0)
				return -1;
		}
	}
	if (r->cpus || r->mems) {
		d = need_dir(cg, "cpuset", "linux.resources.cpu", err);
		if (!d)
			return -1;
		if (r->cpus && cg_write(d, "cpuset.cpus", r->cpus, err) < 0)
			return -1;
		if (r->mems && cg_write(d, "cpuset.mems", r->mems, err) < 0)
			return -1;
	}
	return 0;
}

static int v1_blkio(struct cgroup *cg, const struct cg_resources *r, struct hk_error **err)
{
	static const char *const files[CG_THR_N] = {
		"blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
		"blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"};
	struct cg_dir *d;
	bool any = r->blkio_weight || r->blkio_leaf_weight || r->n_weight_dev;

	for (int t = 0; t < CG_THR_N; t++)
		any = any || r->n_throttle[t];
	if (!any)
		return 0;
	d = cg_find_dir(cg, "blkio");
	if (!d) {
		log_debug("cgroup: no blkio hierarchy; linux.resources.blockIO ignored");
		return 0;
	}
	if (r->blkio_weight) {
		char buf[32];
		int rc;
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)r->blkio_weight);
		rc = cg_write(d, "blkio.weight", buf, err);
		if (rc == -ENOENT) {
			hk_error_free(err);
			rc = cg_write_opt(d, "blkio.bfq.weight", buf, err);
		}
		if (rc < 0)
			return -1;
	}
	if (r->blkio_leaf_weight) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)r->blkio_leaf_weight);
		if (cg_write_opt(d, "blkio.leaf_weight", buf, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < r->n_weight_dev; i++) {
		const struct cg_blkdev *b = &r->weight_dev[i];
		char buf[64];
		if (b->value) {
			snprintf(buf, sizeof(buf), "%lld:%lld %llu", (long long)b->major,
				 (long long)b->minor, (unsigned long long)b->value);
			if (cg_write_opt(d, "blkio.weight_device", buf, err) < 0)
				return -1;
		}
		if (b->leaf_weight) {
			snprintf(buf, sizeof(buf), "%lld:%lld %llu", (long long)b->major,
				 (long long)b->minor, (unsigned long long)b->leaf_weight);
			if (cg_write_opt(d, "blkio.leaf_weight_device", buf, err) < 0)
				return -1;
		}
	}
	for (int t = 0; t < CG_THR_N; t++) {
		for (size_t i = 0; i < r->n_throttle[t]; i++) {
			const struct cg_blkdev *b = &r->throttle[t][i];
			char buf[64];
			snprintf(buf, sizeof(buf), "%lld:%lld %llu", (long long)b->major,
				 (long long)b->minor, (unsigned long long)b->value);
			if (cg_write_opt(d, files[t], buf, err) < 0)
				return -1;
		}
	}
	return 0;
}

static void dev_number(char *buf, size_t size, int64_t v)
{
	if (v < 0)
		snprintf(buf, size, "*");
	else
		snprintf(buf, size, "%lld", (long long)v);
}

/* The rules in order, as the kernel's devices.allow/deny lists take them;
 * "a" (every device) resets the list to allow- or deny-all. */
static int v1_devices(struct cgroup *cg, const struct cg_resources *r, struct hk_error **err)
{
	_cleanup_free_ struct cg_devrule *rules = NULL;
	struct cg_dir *d;
	size_t n = 0;

	if (!r->devices_given)
		return 0;
	d = cg_find_dir(cg, "devices");
	if (!d) {
		if (r->n_devices)
			return hk_error_set(err, 0,
					    "linux.resources.devices: the devices cgroup "
					    "controller is not mounted");
		return 0;
	}
	rules = cg_device_rules(r, &n);
	for (size_t i = 0; i < n; i++) {
		const struct cg_devrule *dr = &rules[i];
		char maj[24], min[24], line[80];

		dev_number(maj, sizeof(maj), dr->major);
		dev_number(min, sizeof(min), dr->minor);
		if (dr->type == 'a' && dr->major < 0 && dr->minor < 0)
			snprintf(line, sizeof(line), "a");
		else
			snprintf(line, sizeof(line), "%c %s:%s %s", dr->type, maj, min, dr->access);
		if (cg_write(d, dr->allow ? "devices.allow" : "devices.deny", line, err) < 0)
			return hk_error_wrap(err, "device rule \"%s\"", line);
	}
	return 0;
}

static int v1_set(struct cgroup *cg, const struct cg_resources *r, struct hk_error **err)
{
	struct cg_dir *d;

	if (v1_memory(cg, r, err) < 0 || v1_cpu(cg, r, err) < 0 || v1_blkio(cg, r, err) < 0 ||
	    v1_devices(cg, r, err) < 0)
		return -1;
	if (r->pids_limit != CG_UNSET && r->pids_limit != 0) {
		d = need_dir(cg, "pids", "linux.resources.pids", err);
		if (!d)
			return -1;
		if (r->pids_limit < 0 ? cg_write(d, "pids.max", "max", err) < 0
				      : write_i64(d, "pids.max", r->pids_limit, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < r->n_hugepages; i++) {
		char file[64];
		d = cg_find_dir(cg, "hugetlb");
		if (d) {
			snprintf(file, sizeof(file), "hugetlb.%s.limit_in_bytes",
				 r->hugepages[i].key);
		} else {
			d = cg_v2_dir(cg);
			snprintf(file, sizeof(file), "hugetlb.%s.max", r->hugepages[i].key);
		}
		if (!d)
			return hk_error_set(err, 0,
					    "linux.resources.hugepageLimits: the hugetlb cgroup "
					    "controller is not mounted");
		int rc = cg_write(d, file, r->hugepages[i].value, err);
		if (rc == -ENOENT)
			return hk_error_set(err, 0,
					    "linux.resources.hugepageLimits[%zu]: no %s (page size "
					    "or controller not available)",
					    i, file);
		if (rc < 0)
			return -1;
	}
	if (r->net_classid != CG_UNSET) {
		d = cg_find_dir(cg, "net_cls");
		if (!d)
			log_debug("cgroup: no net_cls hierarchy; classID ignored");
		else if (write_i64(d, "net_cls.classid", r->net_classid, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < r->n_net_prio; i++) {
		d = cg_find_dir(cg, "net_prio");
		if (!d) {
			log_debug("cgroup: no net_prio hierarchy; priorities ignored");
			break;
		}
		if (cg_writef(d, "net_prio.ifpriomap", err, "%s %s", r->net_prio[i].key,
			      r->net_prio[i].value) < 0)
			return -1;
	}
	if (r->n_unified) {
		/* Only the hybrid layout has a v2 directory to write to, and
		 * it holds no controllers: core cgroup.* files at most. */
		d = cg_v2_dir(cg);
		if (!d)
			return hk_error_set(err, 0,
					    "linux.resources.unified: needs cgroup v2 (this host "
					    "has v1 only)");
		for (size_t i = 0; i < r->n_unified; i++) {
			int rc = cg_write(d, r->unified[i].key, r->unified[i].value, err);
			if (rc == -ENOENT)
				return hk_error_set(err, 0,
						    "linux.resources.unified: %s: not available "
						    "(the controllers are on cgroup v1 here)",
						    r->unified[i].key);
			if (rc < 0)
				return hk_error_wrap(err, "linux.resources.unified");
		}
	}
	return 0;
}

static int v1_enter(struct cgroup *cg, pid_t pid, struct hk_error **err)
{
	for (size_t i = 0; i < cg->ndirs; i++)
		if (cg_enter_dir(&cg->dirs[i], pid, err) < 0)
			return -1;
	return 0;
}

static int freezer_state(struct cg_dir *d, char *buf, size_t size, struct hk_error **err)
{
	_cleanup_free_ char *t = NULL;
	if (cg_read(d, "freezer.state", &t, err) < 0)
		return -1;
	t[strcspn(t, "\n")] = '\0';
	snprintf(buf, size, "%s", t);
	return 0;
}

/* v1 freezing is asynchronous: freezer.state reads FREEZING until every
 * task stopped.  Writing FROZEN again nudges tasks that were forking. */
static int v1_freeze(struct cgroup *cg, bool frozen, struct hk_error **err)
{
	struct cg_dir *d = cg_find_dir(cg, "freezer");
	const char *want = frozen ? "FROZEN" : "THAWED";
	unsigned long long deadline = now_ns() + 10ULL * 1000000000ULL;

	if (!d) {
		struct cg_dir *u = cg_v2_dir(cg);
		if (u)
			return cg_v2_freeze_dir(u, frozen, err);
		return hk_error_set(err, ENOTSUP, "the freezer cgroup controller is not mounted");
	}
	for (int round = 0;; round++) {
		char state[32];
		if (round % 10 == 0 && cg_write(d, "freezer.state", want, err) < 0)
			return -1;
		if (freezer_state(d, state, sizeof(state), err) < 0)
			return -1;
		if (strcmp(state, want) == 0)
			return 0;
		if (now_ns() > deadline) {
			if (frozen)
				cg_write(d, "freezer.state", "THAWED", NULL);
			return hk_error_set(err, ETIMEDOUT, "%s: still %s", d->path, state);
		}
		sleep_ms(round < 10 ? 1 : 10);
	}
}

static int v1_is_frozen(struct cgroup *cg, bool *frozen, struct hk_error **err)
{
	struct cg_dir *d = cg_find_dir(cg, "freezer");
	char state[32];

	if (!d) {
		struct cg_dir *u = cg_v2_dir(cg);
		if (u)
			return cg_v2_is_frozen_dir(u, frozen, err);
		*frozen = false;
		return 0;
	}
	if (freezer_state(d, state, sizeof(state), err) < 0)
		return -1;
	*frozen = strcmp(state, "FROZEN") == 0;
	return 0;
}

static struct cg_dir *v1_procs_dir(struct cgroup *cg)
{
	static const char *const pref[] = {"pids", "freezer", "memory", "cpu"};
	struct cg_dir *d = cg_v2_dir(cg);

	if (d)
		return d;
	for (size_t i = 0; i < ARRAY_SIZE(pref); i++)
		if ((d = cg_find_dir(cg, pref[i])))
			return d;
	return cg->ndirs ? &cg->dirs[0] : NULL;
}

static int v1_kill_all(struct cgroup *cg, struct hk_error **err)
{
	struct cg_dir *u = cg_v2_dir(cg);
	return u ? cg_v2_kill_dir(u, err) : 0;
}

static int v1_stats(struct cgroup *cg, struct cgroup_stats *st, struct hk_error **err)
{
	struct cg_dir *d;

	(void)err;
	if ((d = cg_find_dir(cg, "memory"))) {
		cg_read_u64(d, "memory.usage_in_bytes", &st->memory_usage, NULL);
		cg_read_u64(d, "memory.limit_in_bytes", &st->memory_limit, NULL);
		/* v1 reports "no limit" as LONG_MAX rounded down to a page. */
		if (st->memory_limit >= (UINT64_C(1) << 62))
			st->memory_limit = UINT64_MAX;
		/* "oom_kill_disable 0\nunder_oom 0\noom_kill N" (Linux 4.13+) */
		cg_read_keyed(d, "memory.oom_control", "oom_kill", &st->oom_kills, NULL);
	}
	if ((d = cg_find_dir(cg, "cpuacct")))
		cg_read_u64(d, "cpuacct.usage", &st->cpu_usage_ns, NULL);
	if ((d = cg_find_dir(cg, "pids"))) {
		cg_read_u64(d, "pids.current", &st->pids_current, NULL);
		cg_read_u64(d, "pids.max", &st->pids_limit, NULL);
	}
	return 0;
}

const struct cgroup_ops cg_v1_ops = {
	.name = "v1",
	.create = v1_create,
	.set = v1_set,
	.enter = v1_enter,
	.freeze = v1_freeze,
	.is_frozen = v1_is_frozen,
	.procs_dir = v1_procs_dir,
	.kill_all = v1_kill_all,
	.stats = v1_stats,
};
