/* cgroup v2: one directory in the unified hierarchy.  Controllers must be
 * enabled in every ancestor's cgroup.subtree_control before their files
 * appear in the container's directory. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "runtime/cgroup_internal.h"
#include "util/log.h"
#include "util/util.h"

/* Enable in the parent every controller it has and has not delegated yet.
 * A failure is not fatal here (the parent may hold processes, which the
 * "no internal processes" rule forbids): the limit that needs the missing
 * controller fails later with a clear message. */
int cg_v2_enable_controllers(int parent_fd, int fd, struct hk_error **err)
{
	struct cg_dir p = {.path = NULL, .fd = parent_fd};
	_cleanup_free_ char *avail = NULL, *enabled = NULL;
	char *save = NULL;

	(void)fd;
	(void)err;
	if (cg_read(&p, "cgroup.controllers", &avail, NULL) < 0)
		return 0;
	if (cg_read(&p, "cgroup.subtree_control", &enabled, NULL) < 0)
		enabled = xstrdup("");
	for (char *c = strtok_r(avail, " \n", &save); c; c = strtok_r(NULL, " \n", &save)) {
		_cleanup_error_ struct hk_error *e = NULL;
		size_t n = strlen(c);
		bool on = false;

		for (const char *q = strstr(enabled, c); q && !on; q = strstr(q + 1, c))
			on = (q == enabled || q[-1] == ' ') &&
			     (q[n] == ' ' || q[n] == '\n' || q[n] == '\0');
		if (on)
			continue;
		if (cg_writef(&p, "cgroup.subtree_control", &e, "+%s", c) < 0)
			log_debug("cgroup: enable %s: %s", c, hk_error_msg(e));
	}
	return 0;
}

static int v2_create(struct cgroup *cg, const struct cg_layout *l, struct hk_error **err)
{
	const struct cg_hier *h = &l->h[0];
	struct cg_dir *d;
	bool created = false;

	if (cg_mkdir_path(h->mnt, cg->path, &created, cg_v2_enable_controllers, err) < 0)
		return -1;
	cg->dirs = xzalloc(sizeof(*cg->dirs));
	cg->ndirs = 1;
	d = &cg->dirs[0];
	d->path = xasprintf("%s%s", h->mnt, cg->path);
	d->controllers = xstrdup("");
	d->v2 = true;
	d->created = created;
	d->fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->fd < 0)
		return hk_error_errno(err, "open %s", d->path);
	return 0;
}

/* A limit the user asked for: a missing file means the controller is not
 * delegated to this cgroup, which must not pass silently. */
static int need(struct cg_dir *d, const char *file, const char *value, struct hk_error **err)
{
	int r = cg_write(d, file, value, err);
	if (r == -ENOENT) {
		char ctl[32];
		snprintf(ctl, sizeof(ctl), "%.*s", (int)strcspn(file, "."), file);
		return hk_error_set(err, 0,
				    "%s: the %s controller is not available (not in the parent's "
				    "cgroup.subtree_control)",
				    file, ctl);
	}
	return r < 0 ? -1 : 0;
}

static int need_ll(struct cg_dir *d, const char *file, long long v, struct hk_error **err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", v);
	return need(d, file, buf, err);
}

static const char *i64_or_max(int64_t v, char *buf, size_t size)
{
	if (v < 0)
		return "max";
	snprintf(buf, size, "%lld", (long long)v);
	return buf;
}

static int v2_memory(struct cg_dir *d, const struct cg_resources *r, struct hk_error **err)
{
	char buf[32];
	int64_t swap = CG_UNSET;

	if (r->mem_swap != CG_UNSET && cg_swap_to_v2(r->mem_swap, r->mem_limit, &swap, err) < 0)
		return -1;
	/* swap first: memory.swap.max may only shrink what memory.max frees. */
	if (swap != CG_UNSET &&
	    need(d, "memory.swap.max", i64_or_max(swap, buf, sizeof(buf)), err) < 0)
		return -1;
	if (r->mem_limit != CG_UNSET &&
	    need(d, "memory.max", i64_or_max(r->mem_limit, buf, sizeof(buf)), err) < 0)
		return -1;
	if (r->mem_reservation != CG_UNSET &&
	    need(d, "memory.low", i64_or_max(r->mem_reservation, buf, sizeof(buf)), err) < 0)
		return -1;
	if (r->mem_swappiness != CG_UNSET)
		log_debug("cgroup v2 has no memory.swappiness; ignored");
	if (r->disable_oom == 1)
		log_debug("cgroup v2 cannot disable the OOM killer; ignored");
	return 0;
}

static int v2_cpu(struct cg_dir *d, const struct cg_resources *r, struct hk_error **err)
{
	if (r->cpu_shares &&
	    need_ll(d, "cpu.weight", (long long)cg_shares_to_weight(r->cpu_shares), err) < 0)
		return -1;
	/* quota -1 is "unlimited", the default: nothing to ask of a cgroup
	 * without the cpu controller */
	bool unlimited_only = r->cpu_quota != CG_UNSET && r->cpu_quota < 0 && !r->cpu_period;
	if (unlimited_only && faccessat(d->fd, "cpu.max", F_OK, 0) < 0)
		;
	else if ((r->cpu_quota != CG_UNSET && r->cpu_quota != 0) || r->cpu_period) {
		char buf[64];
		unsigned long long period = r->cpu_period ? r->cpu_period : 100000;
		if (r->cpu_quota > 0)
			snprintf(buf, sizeof(buf), "%lld %llu", (long long)r->cpu_quota, period);
		else
			snprintf(buf, sizeof(buf), "max %llu", period);
		if (need(d, "cpu.max", buf, err) < 0)
			return -1;
	}
	if (r->cpu_idle != CG_UNSET && need_ll(d, "cpu.idle", r->cpu_idle, err) < 0)
		return -1;
	if (r->cpu_rt_runtime != CG_UNSET || r->cpu_rt_period)
		log_debug("cgroup v2 has no realtime CPU limits; ignored");
	if (r->cpus && need(d, "cpuset.cpus", r->cpus, err) < 0)
		return -1;
	if (r->mems && need(d, "cpuset.mems", r->mems, err) < 0)
		return -1;
	return 0;
}

static int v2_io(struct cg_dir *d, const struct cg_resources *r, struct hk_error **err)
{
	static const char *const keys[CG_THR_N] = {"rbps", "wbps", "riops", "wiops"};

	/* BFQ takes the blkio scale as is; io.weight wants 1-10000. */
	if (r->blkio_weight) {
		int rc = cg_writef(d, "io.bfq.weight", err, "%llu",
				   (unsigned long long)r->blkio_weight);
		if (rc == -ENOENT) {
			hk_error_free(err);
			char buf[32];
			snprintf(buf, sizeof(buf), "default %llu",
				 (unsigned long long)cg_blkio_to_io_weight(r->blkio_weight));
			rc = cg_write_opt(d, "io.weight", buf, err);
		}
		if (rc < 0)
			return -1;
	}
	for (size_t i = 0; i < r->n_weight_dev; i++) {
		char buf[64];
		snprintf(buf, sizeof(buf), "%lld:%lld %llu", (long long)r->weight_dev[i].major,
			 (long long)r->weight_dev[i].minor,
			 (unsigned long long)cg_blkio_to_io_weight(r->weight_dev[i].value));
		if (cg_write_opt(d, "io.weight", buf, err) < 0)
			return -1;
	}
	for (int t = 0; t < CG_THR_N; t++) {
		for (size_t i = 0; i < r->n_throttle[t]; i++) {
			const struct cg_blkdev *b = &r->throttle[t][i];
			char buf[96];
			if (b->value)
				snprintf(buf, sizeof(buf), "%lld:%lld %s=%llu", (long long)b->major,
					 (long long)b->minor, keys[t],
					 (unsigned long long)b->value);
			else
				snprintf(buf, sizeof(buf), "%lld:%lld %s=max", (long long)b->major,
					 (long long)b->minor, keys[t]);
			if (cg_write_opt(d, "io.max", buf, err) < 0)
				return -1;
		}
	}
	return 0;
}

/* Why a unified key has no file: its controller is not enabled for the
 * cgroup (crun: "the requested cgroup controller `x` is not available"),
 * or the controller has no such key. */
static int unified_missing(struct cg_dir *d, const char *key, struct hk_error **err)
{
	_cleanup_free_ char *ctl = xstrndup(key, strcspn(key, "."));
	_cleanup_free_ char *have = NULL;
	bool found = true;

	if (cg_read(d, "cgroup.controllers", &have, NULL) == 0) {
		found = false;
		char *save = NULL;
		for (char *t = strtok_r(have, " \n", &save); t && !found;
		     t = strtok_r(NULL, " \n", &save))
			found = !strcmp(t, ctl);
	}
	if (!found && strcmp(ctl, "cgroup"))
		return hk_error_set(err, 0,
				    "linux.resources.unified: %s: the cgroup controller \"%s\" "
				    "is not available",
				    key, ctl);
	return hk_error_set(err, 0, "linux.resources.unified: %s: no such key", key);
}

static int v2_set(struct cgroup *cg, const struct cg_resources *r, struct hk_error **err)
{
	struct cg_dir *d = &cg->dirs[0];

	if (v2_memory(d, r, err) < 0 || v2_cpu(d, r, err) < 0 || v2_io(d, r, err) < 0)
		return -1;
	if (r->pids_limit != CG_UNSET && r->pids_limit != 0) {
		char buf[32];
		if (need(d, "pids.max", i64_or_max(r->pids_limit, buf, sizeof(buf)), err) < 0)
			return -1;
	}
	for (size_t i = 0; i < r->n_hugepages; i++) {
		char file[64];
		snprintf(file, sizeof(file), "hugetlb.%s.max", r->hugepages[i].key);
		if (need(d, file, r->hugepages[i].value, err) < 0)
			return -1;
	}
	if (r->devices_given) {
		_cleanup_free_ struct cg_devrule *rules = NULL;
		size_t n = 0;
		rules = cg_device_rules(r, &n);
		if (cg_devices_attach(d, rules, n, err) < 0)
			return hk_error_wrap(err, "linux.resources.devices");
	}
	if (r->net_classid != CG_UNSET || r->n_net_prio)
		log_debug("cgroup v2 has no net_cls/net_prio; linux.resources.network ignored");
	for (size_t i = 0; i < r->n_unified; i++) {
		int rc = cg_write(d, r->unified[i].key, r->unified[i].value, err);
		if (rc == -ENOENT)
			return unified_missing(d, r->unified[i].key, err);
		if (rc < 0)
			return hk_error_wrap(err, "linux.resources.unified");
	}
	return 0;
}

static int v2_enter(struct cgroup *cg, pid_t pid, struct hk_error **err)
{
	return cg_enter_dir(&cg->dirs[0], pid, err);
}

static int v2_freeze(struct cgroup *cg, bool frozen, struct hk_error **err)
{
	return cg_v2_freeze_dir(&cg->dirs[0], frozen, err);
}

static int v2_is_frozen(struct cgroup *cg, bool *frozen, struct hk_error **err)
{
	return cg_v2_is_frozen_dir(&cg->dirs[0], frozen, err);
}

static struct cg_dir *v2_procs_dir(struct cgroup *cg)
{
	return cg->ndirs ? &cg->dirs[0] : NULL;
}

static int v2_kill_all(struct cgroup *cg, struct hk_error **err)
{
	return cg_v2_kill_dir(&cg->dirs[0], err);
}

static int v2_stats(struct cgroup *cg, struct cgroup_stats *st, struct hk_error **err)
{
	struct cg_dir *d = &cg->dirs[0];
	uint64_t usec = 0;

	/* Files of controllers that are not enabled are simply absent. */
	(void)err;
	cg_read_u64(d, "memory.current", &st->memory_usage, NULL);
	cg_read_u64(d, "memory.max", &st->memory_limit, NULL);
	if (cg_read_keyed(d, "cpu.stat", "usage_usec", &usec, NULL) == 0)
		st->cpu_usage_ns = usec * 1000;
	cg_read_u64(d, "pids.current", &st->pids_current, NULL);
	cg_read_u64(d, "pids.max", &st->pids_limit, NULL);
	/* hierarchical: memory.events counts the descendants' kills too */
	cg_read_keyed(d, "memory.events", "oom_kill", &st->oom_kills, NULL);
	if (st->pids_current == 0) {
		/* Without the pids controller, count cgroup.procs. */
		_cleanup_free_ char *t = NULL;
		if (cg_read(d, "cgroup.procs", &t, NULL) == 0)
			for (char *p = t; *p; p++)
				st->pids_current += *p == '\n';
	}
	return 0;
}

const struct cgroup_ops cg_v2_ops = {
	.name = "v2",
	.create = v2_create,
	.set = v2_set,
	.enter = v2_enter,
	.freeze = v2_freeze,
	.is_frozen = v2_is_frozen,
	.procs_dir = v2_procs_dir,
	.kill_all = v2_kill_all,
	.stats = v2_stats,
};
