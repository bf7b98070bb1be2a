/* hako engine: resource usage of a container (`hako stats`).
 *
 * The figures come from the kernel, the way Docker reads them:
 *   - the cgroup of the container's init, found in /proc/<pid>/cgroup (so the
 *     paths the runtime made are used whatever the layout): v2 files in the
 *     unified hierarchy, v1 files in each controller's hierarchy, and on a
 *     hybrid host (v1 controllers + /sys/fs/cgroup/unified) each figure from
 *     the hierarchy that has its controller;
 *   - the hierarchy mount points from /proc/self/mountinfo (a v1 hierarchy
 *     may carry several controllers: "cpu,cpuacct");
 *   - network bytes from /proc/<pid>/net/dev, the init's network namespace,
 *     every interface but "lo" (Docker counts the container's interfaces).
 * Memory usage is Docker's: the cgroup's usage minus the inactive file cache
 * (v1 total_inactive_file, v2 inactive_file), which the kernel can drop.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "engine/internal.h"
#include "util/path.h"
#include "util/util.h"

#define CG_FILE_MAX (1 << 20)

/* Read a small file under dir; NULL when absent. */
static char *read_small(const char *dir, const char *name)
{
	_cleanup_free_ char *path = path_join(dir, name);
	char *text = NULL;
	size_t len = 0;

	if (read_file_at(AT_FDCWD, path, CG_FILE_MAX, &text, &len, NULL) < 0)
		return NULL;
	return text;
}

static bool read_u64(const char *dir, const char *name, uint64_t *out)
{
	_cleanup_free_ char *t = read_small(dir, name);
	char *end;
	unsigned long long v;

	if (!t)
		return false;
	if (!strncmp(t, "max", 3)) {
		*out = UINT64_MAX;
		return true;
	}
	errno = 0;
	v = strtoull(t, &end, 10);
	if (errno || end == t)
		return false;
	*out = v;
	return true;
}

/* "key value" lines (memory.stat, cpu.stat). */
static bool read_keyed(const char *dir, const char *name, const char *key, uint64_t *out)
{
	_cleanup_free_ char *t = read_small(dir, name);
	size_t kl = strlen(key);

	for (char *line = t; line && *line;) {
		char *nl = strchr(line, '\n');
		if (!strncmp(line, key, kl) && line[kl] == ' ') {
			*out = strtoull(line + kl + 1, NULL, 10);
			return true;
		}
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

/* "key: value" lines (/proc/PID/io). */
static bool read_keyed_sep(const char *dir, const char *name, const char *key, uint64_t *out)
{
	_cleanup_free_ char *t = read_small(dir, name);
	size_t kl = strlen(key);

	for (char *line = t; line && *line;) {
		char *nl = strchr(line, '\n');
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			*out = strtoull(line + kl + 1, NULL, 10);
			return true;
		}
		line = nl ? nl + 1 : NULL;
	}
	return false;
}

/* The hierarchies of a process: for each v1 controller (and "" for v2) the
 * directory of its cgroup. */
struct cg_paths {
	char *v2;     /* unified hierarchy dir, or NULL */
	char *memory; /* v1 dirs, or NULL */
	char *cpuacct;
	char *pids;
	char *blkio;
};

static void cg_paths_free(struct cg_paths *p)
{
	free(p->v2);
	free(p->memory);
	free(p->cpuacct);
	free(p->pids);
	free(p->blkio);
}

/* Whether the comma-separated list has word. */
static bool has_word(const char *list, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = list; p && *p;) {
		const char *c = strchr(p, ',');
		size_t l = c ? (size_t)(c - p) : strlen(p);
		if (l == wl && !strncmp(p, word, wl))
			return true;
		p = c ? c + 1 : NULL;
	}
	return false;
}

/* Mount point of the hierarchy: cgroup2 (ctrl NULL) or the v1 one with ctrl
 * among its super options.  The mount's root must be "/" (a bind mount of a
 * sub-cgroup would shift the paths). */
static char *mount_of(const char *mountinfo, const char *ctrl)
{
	for (const char *line = mountinfo; line && *line;) {
		const char *nl = strchr(line, '\n');
		_cleanup_free_ char *l = nl ? xstrndup(line, (size_t)(nl - line)) : xstrdup(line);
		char *f[6] = {0}, *save = NULL, *sep = strstr(l, " - ");
		size_t n = 0;
		line = nl ? nl + 1 : NULL;
		if (!sep)
			continue;
		*sep = '\0';
		for (char *t = strtok_r(l, " ", &save); t && n < 6; t = strtok_r(NULL, " ", &save))
			f[n++] = t;
		if (n < 5 || strcmp(f[3], "/"))
			continue;
		/* after " - ": fstype source superopts */
		char *rest = sep + 3, *s2 = NULL;
		char *fstype = strtok_r(rest, " ", &s2);
		strtok_r(NULL, " ", &s2);
		char *opts = strtok_r(NULL, " ", &s2);
		if (!fstype)
			continue;
		if (!ctrl && !strcmp(fstype, "cgroup2"))
			return xstrdup(f[4]);
		if (ctrl && !strcmp(fstype, "cgroup") && has_word(opts, ctrl))
			return xstrdup(f[4]);
	}
	return NULL;
}

static int cg_paths_of(pid_t pid, const char *id, struct cg_paths *p, struct hk_error **err)
{
	_cleanup_free_ char *cgfile = xasprintf("/proc/%d/cgroup", (int)pid);
	_cleanup_free_ char *text = NULL, *mi = NULL;
	size_t len = 0;

	memset(p, 0, sizeof(*p));
	if (read_file_at(AT_FDCWD, cgfile, CG_FILE_MAX, &text, &len, err) < 0)
		return -1;
	if (read_file_at(AT_FDCWD, "/proc/self/mountinfo", 1 << 22, &mi, &len, err) < 0)
		return -1;
	for (char *line = text, *save = NULL, *l = strtok_r(line, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		/* hierarchy-id:controllers:path */
		char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		const char *ctrls = c1 + 1, *path = c2 + 1;
		/* A process that is not the container's (its pid was reused)
		 * is in another cgroup: its figures must not be shown. */
		if (!strstr(path, id))
			continue;
		static const char *const want[] = {"memory", "cpuacct", "pids", "blkio"};
		if (!*ctrls) {
			_cleanup_free_ char *m = mount_of(mi, NULL);
			if (m && !p->v2)
				p->v2 = path_join(m, path);
			continue;
		}
		for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
			char **slot = i == 0   ? &p->memory
				      : i == 1 ? &p->cpuacct
				      : i == 2 ? &p->pids
					       : &p->blkio;
			if (*slot || !has_word(ctrls, want[i]))
				continue;
			_cleanup_free_ char *m = mount_of(mi, want[i]);
			if (m)
				*slot = path_join(m, path);
		}
	}
	return 0;
}

static uint64_t host_memory(void)
{
	struct sysinfo si;

	if (sysinfo(&si) < 0)
		return 0;
	return (uint64_t)si.totalram * si.mem_unit;
}

/* One blkio.*io_service_bytes* file: "MAJ:MIN Read N" lines; false when it
 * is missing or counts nothing. */
static bool blkio_file(const char *dir, const char *name, uint64_t *rd, uint64_t *wr)
{
	_cleanup_free_ char *t = read_small(dir, name);
	uint64_t r = 0, w = 0;

	for (char *save = NULL, *l = t ? strtok_r(t, "\n", &save) : NULL; l;
	     l = strtok_r(NULL, "\n", &save)) {
		char dev[64], op[16];
		unsigned long long v;
		if (sscanf(l, "%63s %15s %llu", dev, op, &v) != 3)
			continue;
		if (!strcmp(op, "Read"))
			r += v;
		else if (!strcmp(op, "Write"))
			w += v;
	}
	*rd += r;
	*wr += w;
	return r || w;
}

/* v1 blkio: the first file that has counted anything.  The throttle files
 * count only on devices where blk-throttle is active (since Linux 6.x a
 * queue without any throttle rule skips it, and its counters stay 0); the
 * scheduler's files exist only with CFQ (before 5.0) or BFQ. */
static bool blkio_v1(const char *dir, uint64_t *rd, uint64_t *wr)
{
	static const char *const files[] = {
		"blkio.throttle.io_service_bytes_recursive",
		"blkio.throttle.io_service_bytes",
		"blkio.io_service_bytes_recursive",
		"blkio.bfq.io_service_bytes_recursive",
	};

	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		if (blkio_file(dir, files[i], rd, wr))
			return true;
	return false;
}

/* The storage I/O of the cgroup's processes from /proc/PID/io (read_bytes,
 * write_bytes: what each caused to be read from or sent to the block layer,
 * its reaped children included).  For when the cgroup counts nothing (v1
 * blkio on a device no throttle rule activated): a process that exited
 * without being reaped inside the container is not counted. */
static void io_of_procs(const char *dir, uint64_t *rd, uint64_t *wr)
{
	_cleanup_free_ char *t = dir ? read_small(dir, "cgroup.procs") : NULL;

	for (char *save = NULL, *l = t ? strtok_r(t, "\n", &save) : NULL; l;
	     l = strtok_r(NULL, "\n", &save)) {
		_cleanup_free_ char *path = xasprintf("/proc/%s", l);
		uint64_t v;
		if (read_keyed_sep(path, "io", "read_bytes", &v))
			*rd += v;
		if (read_keyed_sep(path, "io", "write_bytes", &v))
			*wr += v;
	}
}

/* io.stat: "MAJ:MIN rbytes=N wbytes=N rios=..." lines. */
static bool io_v2(const char *dir, uint64_t *rd, uint64_t *wr)
{
	_cleanup_free_ char *t = read_small(dir, "io.stat");
	uint64_t r0 = *rd, w0 = *wr;

	for (char *save = NULL, *l = t ? strtok_r(t, "\n", &save) : NULL; l;
	     l = strtok_r(NULL, "\n", &save)) {
		for (char *s2 = NULL, *w = strtok_r(l, " ", &s2); w; w = strtok_r(NULL, " ", &s2)) {
			if (str_has_prefix(w, "rbytes="))
				*rd += strtoull(w + 7, NULL, 10);
			else if (str_has_prefix(w, "wbytes="))
				*wr += strtoull(w + 7, NULL, 10);
		}
	}
	return *rd != r0 || *wr != w0;
}

static void net_dev(pid_t pid, uint64_t *rx, uint64_t *tx)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/net/dev", (int)pid);
	_cleanup_free_ char *t = NULL;
	size_t len = 0;

	if (read_file_at(AT_FDCWD, path, CG_FILE_MAX, &t, &len, NULL) < 0)
		return;
	for (char *save = NULL, *l = strtok_r(t, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(l, ':');
		unsigned long long v[9];
		if (!colon)
			continue; /* the two header lines */
		*colon = '\0';
		while (*l == ' ')
			l++;
		if (!strcmp(l, "lo"))
			continue;
		/* rx: bytes packets errs drop fifo frame compressed multicast; tx: bytes */
		if (sscanf(colon + 1, "%llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
			   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]) == 9) {
			*rx += v[0];
			*tx += v[8];
		}
	}
}

static void count_procs(const char *dir, uint64_t *n)
{
	_cleanup_free_ char *t = read_small(dir, "cgroup.procs");

	for (char *p = t; p && *p; p++)
		*n += *p == '\n';
}

int engine_stats_read(struct engine *e, const struct engine_container *c, struct engine_stats *st,
		      struct hk_error **err)
{
	struct cg_paths p;
	uint64_t v = 0, host = host_memory();
	bool live = (c->state == ENGINE_RUNNING || c->state == ENGINE_PAUSED) && c->pid > 0 &&
		    engine_monitor_alive(e, c->id);

	memset(st, 0, sizeof(*st));
	st->when_ns = now_ns();
	st->mem_limit = host;
	if (!live)
		return 0;
	if (cg_paths_of(c->pid, c->id, &p, err) < 0) {
		/* The init exited between the check and the read. */
		if (*err && (*err)->errnum == ENOENT) {
			hk_error_free(err);
			return 0;
		}
		return hk_error_wrap(err, "stats of %s", c->name);
	}
	st->running = true;
	/* memory: v1 controller when present, else v2 */
	if (p.memory) {
		uint64_t inactive = 0;
		read_u64(p.memory, "memory.usage_in_bytes", &st->mem_usage);
		if (read_keyed(p.memory, "memory.stat", "total_inactive_file", &inactive) &&
		    inactive < st->mem_usage)
			st->mem_usage -= inactive;
		/* v1 reports "no limit" as LONG_MAX rounded down to a page */
		if (read_u64(p.memory, "memory.limit_in_bytes", &v) && v < host)
			st->mem_limit = v;
	} else if (p.v2) {
		uint64_t inactive = 0;
		read_u64(p.v2, "memory.current", &st->mem_usage);
		if (read_keyed(p.v2, "memory.stat", "inactive_file", &inactive) &&
		    inactive < st->mem_usage)
			st->mem_usage -= inactive;
		if (read_u64(p.v2, "memory.max", &v) && v < host)
			st->mem_limit = v;
	}
	if (p.cpuacct && read_u64(p.cpuacct, "cpuacct.usage", &v))
		st->cpu_ns = v;
	else if (p.v2 && read_keyed(p.v2, "cpu.stat", "usage_usec", &v))
		st->cpu_ns = v * 1000;
	if (!(p.pids && read_u64(p.pids, "pids.current", &st->pids)) &&
	    !(p.v2 && read_u64(p.v2, "pids.current", &st->pids)))
		count_procs(p.v2 ? p.v2 : p.memory ? p.memory : p.cpuacct, &st->pids);
	if (!(p.blkio && blkio_v1(p.blkio, &st->blk_read, &st->blk_write)) &&
	    !(!p.blkio && p.v2 && io_v2(p.v2, &st->blk_read, &st->blk_write)))
		io_of_procs(p.pids ? p.pids
			    : p.v2 ? p.v2
				   : p.memory,
			    &st->blk_read, &st->blk_write);
	/* --network host: the host's interfaces are not the container's
	 * traffic (Docker shows nothing either) */
	{
		json_object *hc = NULL, *nm = NULL;
		json_object_object_get_ex(c->config, "HostConfig", &hc);
		json_object_object_get_ex(hc, "NetworkMode", &nm);
		if (!str_eq(json_object_get_string(nm), "host"))
			net_dev(c->pid, &st->net_rx, &st->net_tx);
	}
	cg_paths_free(&p);
	return 0;
}

double engine_stats_cpu_percent(const struct engine_stats *prev, const struct engine_stats *cur)
{
	if (!prev || !cur->running || !prev->running || cur->when_ns <= prev->when_ns ||
	    cur->cpu_ns < prev->cpu_ns)
		return 0.0;
	return (double)(cur->cpu_ns - prev->cpu_ns) / (double)(cur->when_ns - prev->when_ns) *
	       100.0;
}
