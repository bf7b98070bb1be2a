/* cgroups: the public API over the v1/v2 operation tables, the layout
 * detection, cgroupsPath mapping and the helpers both tables share. */
#include "runtime/cgroup.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runtime/cgroup_internal.h"
#include "util/json.h"
#include "util/log.h"
#include "util/path.h"
#include "util/util.h"

/* ------------------------------------------------------------------ */
/* layout */

static const char *const v1_controllers[] = {
	"cpu",	    "cpuacct", "cpuset",     "memory",	"devices", "freezer", "net_cls",
	"net_prio", "blkio",   "perf_event", "hugetlb", "pids",	   "rdma",    "misc",
};

struct mi_entry {
	int id, parent;
	char *mnt, *fstype, *opts;
};

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

static bool path_under(const char *p, const char *dir)
{
	size_t n = strlen(dir);
	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(p, dir, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

/* Keep only controller names (and name=...) from a v1 superblock option
 * list: "rw,cpu,cpuacct" -> "cpu,cpuacct". */
static char *v1_controller_list(const char *opts)
{
	_cleanup_free_ char *copy = xstrdup(opts);
	char *out = xstrdup(""), *save = NULL;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		bool keep = str_has_prefix(t, "name=");
		for (size_t i = 0; !keep && i < ARRAY_SIZE(v1_controllers); i++)
			keep = strcmp(t, v1_controllers[i]) == 0;
		if (keep) {
			char *n = xasprintf("%s%s%s", out, *out ? "," : "", t);
			free(out);
			out = n;
		}
	}
	return out;
}

static bool has_real_controller(const char *list)
{
	_cleanup_free_ char *copy = xstrdup(list);
	char *save = NULL;

	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (!str_has_prefix(t, "name="))
			return true;
	return false;
}

void cg_layout_clear(struct cg_layout *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->h[i].mnt);
		free(l->h[i].controllers);
	}
	free(l->h);
	l->h = NULL;
	l->n = 0;
}

static void mi_free(struct mi_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].mnt);
		free(e[i].fstype);
		free(e[i].opts);
	}
	free(e);
}

/* A later mount on the same or an enclosing path hides an earlier one (as
 * `mount -t cgroup2 none /sys/fs/cgroup` hides the v1 mounts below it in a
 * test's mount namespace), unless it is that mount's ancestor. */
static bool mi_hidden(const struct mi_entry *e, size_t n, size_t i)
{
	for (size_t j = i + 1; j < n; j++) {
		bool ancestor = false;
		int cur = e[i].parent;

		if (!path_under(e[i].mnt, e[j].mnt))
			continue;
		for (size_t guard = 0; guard < n && !ancestor; guard++) {
			size_t k;
			if (cur == e[j].id) {
				ancestor = true;
				break;
			}
			for (k = 0; k < n && e[k].id != cur; k++)
				;
			if (k == n)
				break;
			cur = e[k].parent;
		}
		if (!ancestor)
			return true;
	}
	return false;
}

int cg_layout_parse(const char *mountinfo, struct cg_layout *out, struct hk_error **err)
{
	_cleanup_free_ char *copy = xstrdup(mountinfo);
	struct mi_entry *e = NULL;
	size_t n = 0;
	char *save = NULL;
	bool have_v1 = false, have_v2 = false;
	struct cg_layout l = {0};

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[12] = {0}, *s2 = NULL, *sep;
		int nf = 0;

		sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = '\0';
		for (char *t = strtok_r(line, " ", &s2); t && nf < 5; t = strtok_r(NULL, " ", &s2))
			f[nf++] = t;
		if (nf < 5)
			continue;
		s2 = NULL;
		f[5] = strtok_r(sep + 3, " ", &s2); /* fstype */
		f[6] = strtok_r(NULL, " ", &s2);    /* source */
		f[7] = strtok_r(NULL, " ", &s2);    /* super options */
		if (!f[5] || !f[7])
			continue;
		e = xrealloc(e, (n + 1) * sizeof(*e));
		e[n].id = atoi(f[0]);
		e[n].parent = atoi(f[1]);
		e[n].mnt = unescape(f[4]);
		e[n].fstype = xstrdup(f[5]);
		e[n].opts = xstrdup(f[7]);
		n++;
	}

	for (size_t i = 0; i < n; i++) {
		bool v2 = strcmp(e[i].fstype, "cgroup2") == 0;
		_cleanup_free_ char *ctl = NULL;
		bool dup = false;

		if (!v2 && strcmp(e[i].fstype, "cgroup") != 0)
			continue;
		if (mi_hidden(e, n, i))
			continue;
		ctl = v2 ? xstrdup("") : v1_controller_list(e[i].opts);
		if (!v2 && !*ctl)
			continue;
		/* The same hierarchy bind-mounted twice: keep the first. */
		for (size_t k = 0; k < l.n && !dup; k++)
			dup = l.h[k].v2 == v2 && strcmp(l.h[k].controllers, ctl) == 0;
		if (dup)
			continue;
		l.h = xrealloc(l.h, (l.n + 1) * sizeof(*l.h));
		l.h[l.n].mnt = xstrdup(e[i].mnt);
		l.h[l.n].controllers = steal_ptr(&ctl);
		l.h[l.n].v2 = v2;
		if (v2)
			have_v2 = true;
		else if (has_real_controller(l.h[l.n].controllers))
			have_v1 = true;
		l.n++;
	}
	mi_free(e, n);

	if (!have_v1 && !have_v2) {
		cg_layout_clear(&l);
		return hk_error_set(err, 0, "no cgroup filesystem is mounted");
	}
	if (have_v1) {
		l.mode = have_v2 ? CG_MODE_HYBRID : CG_MODE_V1;
	} else {
		/* Only a named v1 hierarchy beside cgroup2: the controllers
		 * are all on v2; the named one is systemd's business. */
		size_t k = 0;
		l.mode = CG_MODE_V2;
		for (size_t i = 0; i < l.n; i++) {
			if (l.h[i].v2 && k == 0) {
				struct cg_hier t = l.h[0];
				l.h[0] = l.h[i];
				l.h[i] = t;
				k = 1;
			}
		}
		for (size_t i = 1; i < l.n; i++) {
			free(l.h[i].mnt);
			free(l.h[i].controllers);
		}
		l.n = 1;
	}
	*out = l;
	return 0;
}

static struct cg_layout cached_layout;
static bool layout_ready;

int cg_layout_get(const struct cg_layout **out, struct hk_error **err)
{
	_cleanup_free_ char *text = NULL;

	if (!layout_ready) {
		if (read_file_at(AT_FDCWD, "/proc/self/mountinfo", 16 << 20, &text, NULL, err) < 0)
			return hk_error_wrap(err, "detect the cgroup layout");
		if (cg_layout_parse(text, &cached_layout, err) < 0)
			return hk_error_wrap(err, "detect the cgroup layout");
		layout_ready = true;
		log_debug("cgroup layout: %s, %zu hierarchies",
			  cached_layout.mode == CG_MODE_V2   ? "v2"
			  : cached_layout.mode == CG_MODE_V1 ? "v1"
							     : "hybrid",
			  cached_layout.n);
	}
	*out = &cached_layout;
	return 0;
}

void cg_layout_reset(void)
{
	cg_layout_clear(&cached_layout);
	layout_ready = false;
}

/* ------------------------------------------------------------------ */
/* paths */

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice", the way systemd nests
 * slices; "-.slice" is the root. */
static int expand_slice(const char *slice, char **out, struct hk_error **err)
{
	_cleanup_free_ char *res = xstrdup("");
	size_t n;

	if (strcmp(slice, "-.slice") == 0) {
		*out = steal_ptr(&res);
		return 0;
	}
	n = strlen(slice);
	if (!str_has_suffix(slice, ".slice") || n == 6 || strchr(slice, '/') || slice[0] == '-' ||
	    strstr(slice, "--") || slice[n - 7] == '-')
		return hk_error_set(err, 0, "invalid slice name %s", slice);
	for (size_t i = 0; i < n - 6; i++) {
		if (slice[i] == '-' || i == n - 7) {
			size_t len = slice[i] == '-' ? i : n - 6;
			char *r = xasprintf("%s/%.*s.slice", res, (int)len, slice);
			free(res);
			res = r;
		}
	}
	*out = steal_ptr(&res);
	return 0;
}

static bool systemd_style(const char *p)
{
	const char *c1 = strchr(p, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	return c1 && c2 && !strchr(c2 + 1, ':') && !strchr(p, '/');
}

int cg_resolve_path(const char *path, const char *id, enum runtime_cgroup_manager manager,
		    char **out, struct hk_error **err)
{
	_cleanup_free_ char *p = NULL, *clean = NULL;

	if (!id || !*id || strchr(id, '/') || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return hk_error_set(err, 0, "cgroup: invalid container id %s", id ? id : "");
	if (!path || !*path) {
		p = xasprintf("/hako/%s", id);
	} else if (systemd_style(path)) {
		/* slice:prefix:name, as runc's systemd driver takes it; we do
		 * not talk to systemd, so the unit becomes its cgroupfs path. */
		_cleanup_free_ char *copy = xstrdup(path), *slice = NULL;
		char *c1 = strchr(copy, ':'), *c2 = strchr(c1 + 1, ':');
		const char *prefix = c1 + 1, *name = c2 + 1;

		*c1 = *c2 = '\0';
		if (!*name)
			return hk_error_set(err, 0, "linux.cgroupsPath: %s: empty unit name", path);
		if (expand_slice(*copy ? copy : "system.slice", &slice, err) < 0)
			return hk_error_wrap(err, "linux.cgroupsPath");
		if (str_has_suffix(name, ".slice") || str_has_suffix(name, ".scope"))
			p = xasprintf("%s/%s", slice, name);
		else if (*prefix)
			p = xasprintf("%s/%s-%s.scope", slice, prefix, name);
		else
			p = xasprintf("%s/%s.scope", slice, name);
	} else if (path[0] == '/') {
		p = xstrdup(path);
	} else {
		/* Relative paths hang from the hierarchy roots (documented in
		 * docs/cgroups.md), never from the caller's own cgroup. */
		p = xasprintf("/%s", path);
	}
	(void)manager;
	clean = path_clean(p);
	if (strcmp(clean, "/") == 0)
		return hk_error_set(err, 0, "linux.cgroupsPath: %s names the root cgroup",
				    path ? path : "");
	*out = steal_ptr(&clean);
	return 0;
}

/* ------------------------------------------------------------------ */
/* files */

static const char *dir_path(const struct cg_dir *d)
{
	return d->path ? d->path : "?";
}

int cg_write(struct cg_dir *d, const char *file, const char *value, struct hk_error **err)
{
	_cleanup_close_ int fd = openat(d->fd, file, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(value);
	ssize_t n;

	if (fd < 0) {
		int e = errno;
		hk_error_errno(err, "open %s/%s", dir_path(d), file);
		return -e;
	}
	n = write(fd, value, len);
	if (n < 0)
		return hk_error_errno(err, "write \"%s\" to %s/%s", value, dir_path(d), file);
	if ((size_t)n != len)
		return hk_error_set(err, EIO, "short write to %s/%s", dir_path(d), file);
	return 0;
}

int cg_writef(struct cg_dir *d, const char *file, struct hk_error **err, const char *fmt, ...)
{
	_cleanup_free_ char *v = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&v, fmt, ap) < 0)
		abort();
	va_end(ap);
	return cg_write(d, file, v, err);
}

int cg_write_opt(struct cg_dir *d, const char *file, const char *value, struct hk_error **err)
{
	int r = cg_write(d, file, value, err);
	if (r == -ENOENT) {
		log_debug("cgroup: %s/%s missing, %s not set", dir_path(d), file, value);
		hk_error_free(err);
		return 0;
	}
	return r;
}

int cg_read(struct cg_dir *d, const char *file, char **out, struct hk_error **err)
{
	_cleanup_close_ int fd = openat(d->fd, file, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 4096;

	if (fd < 0) {
		int e = errno;
		hk_error_errno(err, "open %s/%s", dir_path(d), file);
		return -e;
	}
	buf = xmalloc(cap + 1);
	for (;;) {
		ssize_t n;
		if (len == cap) {
			if (cap >= (4u << 20))
				return hk_error_set(err, EFBIG, "%s/%s: too large", dir_path(d),
						    file);
			cap *= 2;
			buf = xrealloc(buf, cap + 1);
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hk_error_errno(err, "read %s/%s", dir_path(d), file);
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = steal_ptr(&buf);
	return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	while (isspace((unsigned char)*s))
		s++;
	if (str_has_prefix(s, "max")) {
		*out = UINT64_MAX;
		return 0;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	*out = v;
	return 0;
}

int cg_read_u64(struct cg_dir *d, const char *file, uint64_t *out, struct hk_error **err)
{
	_cleanup_free_ char *t = NULL;
	int r = cg_read(d, file, &t, err);

	if (r < 0)
		return r;
	if (parse_u64(t, out) < 0)
		return hk_error_set(err, 0, "%s/%s: not a number: %s", dir_path(d), file, t);
	return 0;
}

int cg_read_keyed(struct cg_dir *d, const char *file, const char *key, uint64_t *out,
		  struct hk_error **err)
{
	_cleanup_free_ char *t = NULL;
	size_t klen = strlen(key);
	int r = cg_read(d, file, &t, err);

	if (r < 0)
		return r;
	for (char *l = t; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, key, klen) == 0 && l[klen] == ' ')
			return parse_u64(l + klen + 1, out) < 0
				       ? hk_error_set(err, 0, "%s/%s: bad %s", dir_path(d), file,
						      key)
				       : 0;
	}
	return hk_error_set(err, ENOENT, "%s/%s: no %s", dir_path(d), file, key);
}

int cg_mkdir_path(const char *mnt, const char *rel, bool *created,
		  int (*level_cb)(int parent_fd, int fd, struct hk_error **err),
		  struct hk_error **err)
{
	_cleanup_free_ char *copy = xstrdup(rel);
	_cleanup_close_ int parent = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char *save = NULL;

	*created = false;
	if (parent < 0)
		return hk_error_errno(err, "open %s", mnt);
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		_cleanup_close_ int fd = -1;
		bool made = true;

		if (mkdirat(parent, c, 0755) < 0) {
			if (errno != EEXIST)
				return hk_error_errno(err, "mkdir %s%s", mnt, rel);
			made = false;
		}
		fd = openat(parent, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			hk_error_errno(err, "open %s%s", mnt, rel);
			if (made)
				unlinkat(parent, c, AT_REMOVEDIR);
			return -1;
		}
		*created = made;
		if (level_cb && level_cb(parent, fd, err) < 0) {
			if (made)
				unlinkat(parent, c, AT_REMOVEDIR);
			*created = false;
			return hk_error_wrap(err, "%s%s", mnt, rel);
		}
		close(parent);
		parent = steal_fd(&fd);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* shared pieces */

struct cg_dir *cg_find_dir(struct cgroup *cg, const char *ctl)
{
	size_t n = strlen(ctl);

	for (size_t i = 0; i < cg->ndirs; i++) {
		const char *c = cg->dirs[i].controllers;
		if (cg->dirs[i].v2 && cg->mode == CG_MODE_V2)
			return &cg->dirs[i];
		for (const char *p = c; p && *p;) {
			if (strncmp(p, ctl, n) == 0 && (p[n] == ',' || p[n] == '\0'))
				return &cg->dirs[i];
			p = strchr(p, ',');
			if (p)
				p++;
		}
	}
	return NULL;
}

struct cg_dir *cg_v2_dir(struct cgroup *cg)
{
	for (size_t i = 0; i < cg->ndirs; i++)
		if (cg->dirs[i].v2)
			return &cg->dirs[i];
	return NULL;
}

int cg_enter_dir(struct cg_dir *d, pid_t pid, struct hk_error **err)
{
	return cg_writef(d, "cgroup.procs", err, "%d", (int)pid) < 0 ? -1 : 0;
}

int cg_v2_is_frozen_dir(struct cg_dir *d, bool *frozen, struct hk_error **err)
{
	uint64_t v = 0;
	int r = cg_read_keyed(d, "cgroup.events", "frozen", &v, err);
	if (r < 0)
		return r;
	*frozen = v == 1;
	return 0;
}

/* cgroup.freeze asks; cgroup.events "frozen 1" says every task stopped. */
int cg_v2_freeze_dir(struct cg_dir *d, bool frozen, struct hk_error **err)
{
	unsigned long long deadline = now_ns() + 10ULL * 1000000000ULL;
	long wait = 1;

	if (cg_write(d, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
		return -1;
	for (;;) {
		bool state;
		if (cg_v2_is_frozen_dir(d, &state, err) < 0)
			return -1;
		if (state == frozen)
			return 0;
		if (now_ns() > deadline)
			return hk_error_set(err, ETIMEDOUT, "%s: the cgroup did not %s",
					    dir_path(d), frozen ? "freeze" : "thaw");
		sleep_ms(wait);
		if (wait < 20)
			wait *= 2;
	}
}

int cg_v2_kill_dir(struct cg_dir *d, struct hk_error **err)
{
	int r = cg_write(d, "cgroup.kill", "1", err);
	if (r == -ENOENT) {
		hk_error_free(err);
		return 0; /* kernel < 5.14 */
	}
	return r < 0 ? -1 : 1;
}

/* ------------------------------------------------------------------ */
/* conversions */

/* runc's linear map of cpu.shares [2, 262144] onto cpu.weight [1, 10000]. */
uint64_t cg_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

/* blkio.weight [10, 1000] onto io.weight [1, 10000]. */
uint64_t cg_blkio_to_io_weight(uint64_t weight)
{
	if (weight == 0)
		return 0;
	if (weight < 10)
		weight = 10;
	if (weight > 1000)
		weight = 1000;
	return 1 + (weight - 10) * 9999 / 990;
}

/* OCI memory.swap is memory+swap (v1's memsw); v2 limits swap alone. */
int cg_swap_to_v2(int64_t swap, int64_t limit, int64_t *out, struct hk_error **err)
{
	if (swap == -1) {
		*out = -1;
		return 0;
	}
	if (swap == 0) {
		*out = CG_UNSET;
		return 0;
	}
	if (limit == CG_UNSET || limit == 0)
		return hk_error_set(
			err, 0, "linux.resources.memory.swap: a swap limit needs a memory limit");
	if (limit == -1) {
		*out = swap;
		return 0;
	}
	if (swap < limit)
		return hk_error_set(err, 0,
				    "linux.resources.memory.swap: %lld is below the memory limit "
				    "%lld (swap counts memory plus swap)",
				    (long long)swap, (long long)limit);
	*out = swap - limit;
	return 0;
}

/* ------------------------------------------------------------------ */
/* linux.resources */

static int get_i64(json_object *o, const char *ctx, const char *key, int64_t *out,
		   struct hk_error **err)
{
	return json_get_int64(o, ctx, key, out, err) < 0 ? -1 : 0;
}

static int parse_blkdevs(json_object *blk, const char *key, bool weight, struct cg_blkdev **out,
			 size_t *n, struct hk_error **err)
{
	json_object *arr = NULL;
	char ctx[96];

	if (json_get_array(blk, "linux.resources.blockIO", key, &arr, err) < 0)
		return -1;
	if (!arr)
		return 0;
	*n = json_object_array_length(arr);
	*out = xzalloc((*n + 1) * sizeof(**out));
	for (size_t i = 0; i < *n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		struct cg_blkdev *d = &(*out)[i];
		snprintf(ctx, sizeof(ctx), "linux.resources.blockIO.%s[%zu]", key, i);
		if (!json_object_is_type(e, json_type_object))
			return hk_error_set(err, 0, "%s: expected an object", ctx);
		d->major = d->minor = -1;
		if (get_i64(e, ctx, "major", &d->major, err) < 0 ||
		    get_i64(e, ctx, "minor", &d->minor, err) < 0 ||
		    json_get_uint64(e, ctx, weight ? "weight" : "rate", &d->value, err) < 0 ||
		    (weight && json_get_uint64(e, ctx, "leafWeight", &d->leaf_weight, err) < 0))
			return -1;
		if (d->major < 0 || d->minor < 0)
			return hk_error_set(err, 0, "%s: major and minor are required", ctx);
	}
	return 0;
}

static int parse_memory(json_object *m, struct cg_resources *r, struct hk_error **err)
{
	const char *ctx = "linux.resources.memory";
	bool oom = false;
	int found;

	if (get_i64(m, ctx, "limit", &r->mem_limit, err) < 0 ||
	    get_i64(m, ctx, "reservation", &r->mem_reservation, err) < 0 ||
	    get_i64(m, ctx, "swap", &r->mem_swap, err) < 0)
		return -1;
	if (json_object_object_get_ex(m, "swappiness", NULL)) {
		uint64_t s = 0;
		if (json_get_uint64(m, ctx, "swappiness", &s, err) < 0)
			return -1;
		if (s > 100)
			return hk_error_set(err, 0, "%s.swappiness: %llu is above 100", ctx,
					    (unsigned long long)s);
		r->mem_swappiness = (int64_t)s;
	}
	found = json_get_bool(m, ctx, "disableOOMKiller", &oom, err);
	if (found < 0)
		return -1;
	if (found)
		r->disable_oom = oom;
	if (r->mem_limit != CG_UNSET && r->mem_limit < -1)
		return hk_error_set(err, 0, "%s.limit: %lld is not a size", ctx,
				    (long long)r->mem_limit);
	if (r->mem_swap != CG_UNSET && r->mem_swap < -1)
		return hk_error_set(err, 0, "%s.swap: %lld is not a size", ctx,
				    (long long)r->mem_swap);
	if (r->mem_limit > 0 && r->mem_swap > 0 && r->mem_swap < r->mem_limit)
		return hk_error_set(err, 0,
				    "%s.swap: %lld is below the limit %lld (swap counts memory "
				    "plus swap)",
				    ctx, (long long)r->mem_swap, (long long)r->mem_limit);
	return 0;
}

static bool cpuset_list_ok(const char *s)
{
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && *s != ',' && *s != '-' && *s != '\n')
			return false;
	return true;
}

static int parse_cpu(json_object *c, struct cg_resources *r, struct hk_error **err)
{
	const char *ctx = "linux.resources.cpu";
	const char *cpus = NULL, *mems = NULL;

	if (json_get_uint64(c, ctx, "shares", &r->cpu_shares, err) < 0 ||
	    get_i64(c, ctx, "quota", &r->cpu_quota, err) < 0 ||
	    json_get_uint64(c, ctx, "period", &r->cpu_period, err) < 0 ||
	    get_i64(c, ctx, "realtimeRuntime", &r->cpu_rt_runtime, err) < 0 ||
	    json_get_uint64(c, ctx, "realtimePeriod", &r->cpu_rt_period, err) < 0 ||
	    get_i64(c, ctx, "idle", &r->cpu_idle, err) < 0 ||
	    json_get_string(c, ctx, "cpus", &cpus, err) < 0 ||
	    json_get_string(c, ctx, "mems", &mems, err) < 0)
		return -1;
	if (cpus && !cpuset_list_ok(cpus))
		return hk_error_set(err, 0, "%s.cpus: bad CPU list \"%s\"", ctx, cpus);
	if (mems && !cpuset_list_ok(mems))
		return hk_error_set(err, 0, "%s.mems: bad node list \"%s\"", ctx, mems);
	if (r->cpu_period && (r->cpu_period < 1000 || r->cpu_period > 1000000))
		return hk_error_set(err, 0, "%s.period: %llu is outside 1000-1000000", ctx,
				    (unsigned long long)r->cpu_period);
	if (r->cpu_quota != CG_UNSET && r->cpu_quota > 0 && r->cpu_quota < 1000)
		return hk_error_set(err, 0, "%s.quota: %lld is below 1000", ctx,
				    (long long)r->cpu_quota);
	r->cpus = cpus && *cpus ? xstrdup(cpus) : NULL;
	r->mems = mems && *mems ? xstrdup(mems) : NULL;
	return 0;
}

static int parse_devices(json_object *arr, struct cg_resources *r, struct hk_error **err)
{
	size_t n = json_object_array_length(arr);

	r->devices = xzalloc((n + 1) * sizeof(*r->devices));
	r->n_devices = n;
	r->devices_given = true;
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		struct cg_devrule *d = &r->devices[i];
		const char *type = NULL, *access = NULL;
		char ctx[64];
		bool allow = false;

		snprintf(ctx, sizeof(ctx), "linux.resources.devices[%zu]", i);
		if (!json_object_is_type(e, json_type_object))
			return hk_error_set(err, 0, "%s: expected an object", ctx);
		d->major = d->minor = -1;
		if (json_get_bool(e, ctx, "allow", &allow, err) < 0 ||
		    json_get_string(e, ctx, "type", &type, err) < 0 ||
		    json_get_string(e, ctx, "access", &access, err) < 0 ||
		    get_i64(e, ctx, "major", &d->major, err) < 0 ||
		    get_i64(e, ctx, "minor", &d->minor, err) < 0)
			return -1;
		d->allow = allow;
		d->type = type && *type ? type[0] : 'a';
		if ((type && strlen(type) > 1) || !strchr("acb", d->type))
			return hk_error_set(err, 0, "%s.type: %s is not a, c or b", ctx, type);
		if (!access || !*access)
			access = "rwm";
		if (strlen(access) > 3 || strspn(access, "rwm") != strlen(access))
			return hk_error_set(err, 0, "%s.access: %s is not a subset of rwm", ctx,
					    access);
		snprintf(d->access, sizeof(d->access), "%s", access);
	}
	return 0;
}

static int parse_kv_map(json_object *obj, const char *ctx, bool numeric, struct cg_kv **out,
			size_t *n, struct hk_error **err)
{
	size_t cap = (size_t)json_object_object_length(obj);

	*out = xzalloc((cap + 1) * sizeof(**out));
	*n = 0;
	json_object_object_foreach(obj, key, val)
	{
		if (numeric ? !json_object_is_type(val, json_type_int)
			    : !json_object_is_type(val, json_type_string))
			return hk_error_set(err, 0, "%s.%s: expected %s", ctx, key,
					    numeric ? "an integer" : "a string");
		(*out)[*n].key = xstrdup(key);
		(*out)[*n].value = xstrdup(json_object_get_string(val));
		(*n)++;
	}
	return 0;
}

static int parse_unified(json_object *u, struct cg_resources *r, struct hk_error **err)
{
	if (parse_kv_map(u, "linux.resources.unified", false, &r->unified, &r->n_unified, err) < 0)
		return -1;
	for (size_t i = 0; i < r->n_unified; i++) {
		const char *k = r->unified[i].key;
		/* The keys become file names in the container's cgroup. */
		if (!*k || strchr(k, '/') || strstr(k, "..") || !strchr(k, '.'))
			return hk_error_set(err, 0, "linux.resources.unified: invalid key \"%s\"",
					    k);
	}
	return 0;
}

static int parse_hugepages(json_object *arr, struct cg_resources *r, struct hk_error **err)
{
	size_t n = json_object_array_length(arr);

	r->hugepages = xzalloc((n + 1) * sizeof(*r->hugepages));
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		const char *size = NULL;
		uint64_t limit = 0;
		char ctx[64];

		snprintf(ctx, sizeof(ctx), "linux.resources.hugepageLimits[%zu]", i);
		if (!json_object_is_type(e, json_type_object))
			return hk_error_set(err, 0, "%s: expected an object", ctx);
		if (json_get_string(e, ctx, "pageSize", &size, err) < 0 ||
		    json_get_uint64(e, ctx, "limit", &limit, err) < 0)
			return -1;
		if (!size || !*size || strlen(size) > 16 ||
		    strspn(size, "0123456789KMGB") != strlen(size))
			return hk_error_set(err, 0, "%s.pageSize: invalid \"%s\"", ctx,
					    size ? size : "");
		r->hugepages[i].key = xstrdup(size);
		r->hugepages[i].value = xasprintf("%llu", (unsigned long long)limit);
		r->n_hugepages++;
	}
	return 0;
}

int cg_resources_parse(json_object *res, struct cg_resources *out, struct hk_error **err)
{
	struct cg_resources r = {
		.mem_limit = CG_UNSET,
		.mem_reservation = CG_UNSET,
		.mem_swap = CG_UNSET,
		.mem_swappiness = CG_UNSET,
		.disable_oom = -1,
		.cpu_quota = CG_UNSET,
		.cpu_rt_runtime = CG_UNSET,
		.cpu_idle = CG_UNSET,
		.pids_limit = CG_UNSET,
		.net_classid = CG_UNSET,
	};
	json_object *o = NULL;
	const char *ctx = "linux.resources";

	*out = r;
	if (!res)
		return 0;
	if (!json_object_is_type(res, json_type_object))
		return hk_error_set(err, 0, "%s: expected an object", ctx);

#define SECTION(key, type, fn)                                                                     \
	do {                                                                                       \
		o = NULL;                                                                          \
		if (json_get_##type(res, ctx, key, &o, err) < 0)                                   \
			goto fail;                                                                 \
		if (o && fn < 0)                                                                   \
			goto fail;                                                                 \
	} while (0)

	SECTION("memory", object, parse_memory(o, &r, err));
	SECTION("cpu", object, parse_cpu(o, &r, err));
	SECTION("devices", array, parse_devices(o, &r, err));
	SECTION("unified", object, parse_unified(o, &r, err));
	SECTION("hugepageLimits", array, parse_hugepages(o, &r, err));
	SECTION("pids", object, get_i64(o, "linux.resources.pids", "limit", &r.pids_limit, err));
	o = NULL;
	if (json_get_object(res, ctx, "blockIO", &o, err) < 0)
		goto fail;
	if (o) {
		const char *bctx = "linux.resources.blockIO";
		static const char *const thr[CG_THR_N] = {
			"throttleReadBpsDevice", "throttleWriteBpsDevice", "throttleReadIOPSDevice",
			"throttleWriteIOPSDevice"};
		if (json_get_uint64(o, bctx, "weight", &r.blkio_weight, err) < 0 ||
		    json_get_uint64(o, bctx, "leafWeight", &r.blkio_leaf_weight, err) < 0 ||
		    parse_blkdevs(o, "weightDevice", true, &r.weight_dev, &r.n_weight_dev, err) < 0)
			goto fail;
		for (int i = 0; i < CG_THR_N; i++)
			if (parse_blkdevs(o, thr[i], false, &r.throttle[i], &r.n_throttle[i], err) <
			    0)
				goto fail;
		if (r.blkio_weight && (r.blkio_weight < 10 || r.blkio_weight > 1000))
			return cg_resources_free(&r),
			       hk_error_set(err, 0, "%s.weight: %llu is outside 10-1000", bctx,
					    (unsigned long long)r.blkio_weight);
	}
	o = NULL;
	if (json_get_object(res, ctx, "network", &o, err) < 0)
		goto fail;
	if (o) {
		json_object *prios = NULL;
		if (get_i64(o, "linux.resources.network", "classID", &r.net_classid, err) < 0 ||
		    json_get_array(o, "linux.resources.network", "priorities", &prios, err) < 0)
			goto fail;
		if (prios) {
			size_t n = json_object_array_length(prios);
			r.net_prio = xzalloc((n + 1) * sizeof(*r.net_prio));
			for (size_t i = 0; i < n; i++) {
				json_object *e = json_object_array_get_idx(prios, i);
				const char *name = NULL;
				uint64_t prio = 0;
				char pctx[64];
				snprintf(pctx, sizeof(pctx),
					 "linux.resources.network.priorities[%zu]", i);
				if (json_get_string(e, pctx, "name", &name, err) < 0 ||
				    json_get_uint64(e, pctx, "priority", &prio, err) < 0)
					goto fail;
				if (!name || !*name || strchr(name, ' ') || strchr(name, '\n')) {
					hk_error_set(err, 0, "%s.name: invalid", pctx);
					goto fail;
				}
				r.net_prio[r.n_net_prio].key = xstrdup(name);
				r.net_prio[r.n_net_prio].value =
					xasprintf("%llu", (unsigned long long)prio);
				r.n_net_prio++;
			}
		}
	}
#undef SECTION
	*out = r;
	return 0;
fail:
	cg_resources_free(&r);
	return -1;
}

static void kv_free(struct cg_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void cg_resources_free(struct cg_resources *r)
{
	free(r->cpus);
	free(r->mems);
	free(r->weight_dev);
	for (int i = 0; i < CG_THR_N; i++)
		free(r->throttle[i]);
	kv_free(r->hugepages, r->n_hugepages);
	free(r->devices);
	kv_free(r->unified, r->n_unified);
	kv_free(r->net_prio, r->n_net_prio);
	memset(r, 0, sizeof(*r));
}

static void resources_cleanup(struct cg_resources *r)
{
	cg_resources_free(r);
}

/* ------------------------------------------------------------------ */
/* the handle */

static void dir_clear(struct cg_dir *d)
{
	if (d->fd >= 0)
		close(d->fd);
	free(d->path);
	free(d->controllers);
}

void cgroup_free(struct cgroup *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; i < cg->ndirs; i++)
		dir_clear(&cg->dirs[i]);
	free(cg->dirs);
	free(cg->path);
	free(cg);
}

static void cgroup_freep(struct cgroup **cg)
{
	cgroup_free(*cg);
}

/* A v1 cpu cgroup's real-time budget stays counted against its parent's
 * after rmdir until the kernel frees the group, which waits for its last
 * exited task to be reaped (late, under some init processes): the next
 * container's --cpu-rt-runtime then fails with EINVAL though every cgroup
 * left shows room.  Give the budget back first; other controllers have no
 * such file. */
static void give_back_rt_budget(int dirfd)
{
	int fd = openat(dirfd, "cpu.rt_runtime_us", O_RDWR | O_CLOEXEC);
	char buf[32];
	ssize_t n;

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n > 0 && !(n == 2 && buf[0] == '0'))
		(void)!write(fd, "0", 1);
	close(fd);
}

/* Remove dir and the cgroups a container made inside it, deepest first.
 * Only directories: the files of a cgroup go with it. */
static int rmdir_tree(int parent, const char *name)
{
	_cleanup_close_ int fd =
		openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		int fd2 = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		DIR *d = fd2 >= 0 ? fdopendir(fd2) : NULL;
		struct dirent *de;

		if (!d && fd2 >= 0)
			close(fd2);
		while (d && (de = readdir(d))) {
			if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			rmdir_tree(fd, de->d_name);
		}
		if (d)
			closedir(d);
		give_back_rt_budget(fd);
	}
	return unlinkat(parent, name, AT_REMOVEDIR);
}

/* rmdir with retries: the kernel reports EBUSY for a moment after the last
 * task of a cgroup exits. */
static int remove_dir(struct cg_dir *d, struct hk_error **err)
{
	_cleanup_free_ char *parent = xstrdup(d->path);
	char *slash = strrchr(parent, '/');
	_cleanup_close_ int pfd = -1;
	unsigned long long deadline = now_ns() + 1000000000ULL;

	if (!slash || slash == parent)
		return hk_error_set(err, EINVAL, "refusing to remove %s", d->path);
	*slash = '\0';
	pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return errno == ENOENT ? 0 : hk_error_errno(err, "open %s", parent);
	for (;;) {
		if (rmdir_tree(pfd, slash + 1) == 0 || errno == ENOENT)
			return 0;
		if ((errno != EBUSY && errno != ENOTEMPTY) || now_ns() > deadline)
			return hk_error_errno(err, "remove cgroup %s", d->path);
		sleep_ms(10);
	}
}

static void remove_created(struct cgroup *cg)
{
	for (size_t i = cg->ndirs; i-- > 0;) {
		_cleanup_error_ struct hk_error *e = NULL;
		if (cg->dirs[i].created && remove_dir(&cg->dirs[i], &e) < 0)
			log_warn("%s", hk_error_msg(e));
	}
}

/* Does an existing directory of ours already hold processes? */
static bool in_use(struct cgroup *cg)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	bool existed = false;

	for (size_t i = 0; i < cg->ndirs; i++)
		existed = existed || !cg->dirs[i].created;
	if (!existed)
		return false;
	return cgroup_pids(cg, &pids, &n, NULL) == 0 && n > 0;
}

int cgroup_create(const char *path, const char *id, enum runtime_cgroup_manager manager,
		  json_object *resources, struct cgroup **out, struct hk_error **err)
{
	_cleanup_(cgroup_freep) struct cgroup *cg = xzalloc(sizeof(*cg));
	_cleanup_(resources_cleanup) struct cg_resources res = {0};
	const struct cg_layout *l;

	/* Checked even when cgroups are disabled: a bad config is bad. */
	if (cg_resources_parse(resources, &res, err) < 0)
		return -1;
	if (manager == RUNTIME_CGROUP_DISABLED) {
		*out = steal_ptr(&cg);
		return 0;
	}
	if (cg_resolve_path(path, id, manager, &cg->path, err) < 0)
		return -1;
	/* Every container starts from "deny all but the basics", as with runc,
	 * whether or not its config lists device rules. */
	res.devices_given = true;
	if (cg_layout_get(&l, err) < 0)
		return -1;
	cg->mode = l->mode;
	cg->ops = l->mode == CG_MODE_V2 ? &cg_v2_ops : &cg_v1_ops;
	if (cg->ops->create(cg, l, err) < 0) {
		remove_created(cg);
		return hk_error_wrap(err, "create cgroup %s", cg->path);
	}
	if (in_use(cg)) {
		/* Another container (same id under another state root, or a
		 * cgroupsPath shared by mistake): joining it would let one
		 * container's delete kill the other's processes. */
		remove_created(cg);
		return hk_error_set(err, EBUSY, "cgroup %s is in use by other processes", cg->path);
	}
	if (cg->ops->set(cg, &res, err) < 0) {
		remove_created(cg);
		return hk_error_wrap(err, "cgroup %s", cg->path);
	}
	*out = steal_ptr(&cg);
	return 0;
}

int cgroup_enter(struct cgroup *cg, pid_t pid, struct hk_error **err)
{
	if (!cg->ops)
		return 0;
	if (cg->ops->enter(cg, pid, err) < 0)
		return hk_error_wrap(err, "join cgroup %s", cg->path);
	return 0;
}

int cgroup_v2_dirfd(struct cgroup *cg)
{
	if (!cg->ops || cg->mode != CG_MODE_V2 || cg->ndirs == 0)
		return -1;
	return cg->dirs[0].fd;
}

int cgroup_update(struct cgroup *cg, json_object *resources, struct hk_error **err)
{
	_cleanup_(resources_cleanup) struct cg_resources res = {0};

	if (cg_resources_parse(resources, &res, err) < 0)
		return -1;
	if (!cg->ops)
		return 0;
	if (cg->ops->set(cg, &res, err) < 0)
		return hk_error_wrap(err, "update cgroup %s", cg->path);
	return 0;
}

int cgroup_freeze(struct cgroup *cg, bool frozen, struct hk_error **err)
{
	if (!cg->ops)
		return 0;
	if (cg->ops->freeze(cg, frozen, err) < 0)
		return hk_error_wrap(err, "%s cgroup %s", frozen ? "freeze" : "thaw", cg->path);
	return 0;
}

int cgroup_is_frozen(struct cgroup *cg, bool *frozen, struct hk_error **err)
{
	*frozen = false;
	if (!cg->ops)
		return 0;
	return cg->ops->is_frozen(cg, frozen, err);
}

int cgroup_pids(struct cgroup *cg, pid_t **pids, size_t *n, struct hk_error **err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ pid_t *v = NULL;
	struct cg_dir *d;
	size_t cnt = 0, cap = 0;

	*pids = NULL;
	*n = 0;
	if (!cg->ops)
		return 0;
	d = cg->ops->procs_dir(cg);
	if (!d)
		return hk_error_set(err, ENOENT, "cgroup %s: no hierarchy lists processes",
				    cg->path);
	if (cg_read(d, "cgroup.procs", &text, err) < 0)
		return -1;
	for (char *p = text; *p;) {
		char *end;
		long v1 = strtol(p, &end, 10);
		if (end == p)
			break;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[cnt++] = (pid_t)v1;
		p = end;
		while (*p == '\n')
			p++;
	}
	*pids = steal_ptr(&v);
	*n = cnt;
	return 0;
}

int cgroup_kill(struct cgroup *cg, int sig, struct hk_error **err)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;

	if (!cg->ops)
		return 0;
	if (sig == SIGKILL) {
		int r = cg->ops->kill_all(cg, err);
		if (r < 0)
			return hk_error_wrap(err, "kill cgroup %s", cg->path);
		if (r > 0)
			return 0;
	}
	if (cgroup_pids(cg, &pids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH)
			return hk_error_errno(err, "kill %d in cgroup %s", (int)pids[i], cg->path);
	return 0;
}

int cgroup_destroy(struct cgroup *cg, struct hk_error **err)
{
	_cleanup_error_ struct hk_error *first = NULL;
	unsigned long long deadline;
	bool frozen = false;

	if (!cg || !cg->ops)
		return 0;
	/* A frozen task cannot die; thaw before the SIGKILL. */
	if (cgroup_is_frozen(cg, &frozen, NULL) == 0 && frozen)
		cgroup_freeze(cg, false, NULL);
	deadline = now_ns() + 2000000000ULL;
	for (int round = 0;; round++) {
		_cleanup_free_ pid_t *pids = NULL;
		size_t n = 0;

		if (cgroup_pids(cg, &pids, &n, NULL) < 0 || n == 0)
			break;
		if (round % 10 == 0)
			cgroup_kill(cg, SIGKILL, NULL);
		if (now_ns() > deadline)
			break;
		sleep_ms(10);
	}
	for (size_t i = cg->ndirs; i-- > 0;) {
		_cleanup_error_ struct hk_error *e = NULL;
		if (remove_dir(&cg->dirs[i], &e) < 0 && !first)
			first = steal_ptr(&e);
	}
	if (first) {
		*err = steal_ptr(&first);
		return -1;
	}
	return 0;
}

int cgroup_stats(struct cgroup *cg, struct cgroup_stats *st, struct hk_error **err)
{
	memset(st, 0, sizeof(*st));
	st->memory_limit = UINT64_MAX;
	st->pids_limit = UINT64_MAX;
	if (!cg->ops)
		return 0;
	return cg->ops->stats(cg, st, err);
}

const char *cgroup_path(const struct cgroup *cg)
{
	return cg ? cg->path : NULL;
}

static const char *mode_name(const struct cgroup *cg)
{
	if (!cg->ops)
		return "disabled";
	return cg->mode == CG_MODE_V2 ? "v2" : cg->mode == CG_MODE_V1 ? "v1" : "hybrid";
}

json_object *cgroup_to_json(const struct cgroup *cg)
{
	json_object *o = json_object_new_object();
	json_object *dirs = json_object_new_array();

	json_object_object_add(o, "mode", json_object_new_string(mode_name(cg)));
	if (cg->path)
		json_object_object_add(o, "path", json_object_new_string(cg->path));
	for (size_t i = 0; i < cg->ndirs; i++) {
		json_object *d = json_object_new_object();
		json_object_object_add(d, "path", json_object_new_string(cg->dirs[i].path));
		json_object_object_add(d, "controllers",
				       json_object_new_string(cg->dirs[i].controllers));
		json_object_object_add(d, "v2", json_object_new_boolean(cg->dirs[i].v2));
		json_object_array_add(dirs, d);
	}
	json_object_object_add(o, "dirs", dirs);
	return o;
}

int cgroup_from_json(json_object *o, struct cgroup **out, struct hk_error **err)
{
	_cleanup_(cgroup_freep) struct cgroup *cg = xzalloc(sizeof(*cg));
	const char *ctx = "state.cgroup", *mode = NULL, *path = NULL;
	json_object *dirs = NULL;
	size_t n;

	if (!json_object_is_type(o, json_type_object))
		return hk_error_set(err, 0, "%s: expected an object", ctx);
	if (json_get_string(o, ctx, "mode", &mode, err) < 0 ||
	    json_get_string(o, ctx, "path", &path, err) < 0 ||
	    json_get_array(o, ctx, "dirs", &dirs, err) < 0)
		return -1;
	if (!mode || strcmp(mode, "disabled") == 0) {
		*out = steal_ptr(&cg);
		return 0;
	}
	if (strcmp(mode, "v2") == 0)
		cg->mode = CG_MODE_V2;
	else if (strcmp(mode, "v1") == 0)
		cg->mode = CG_MODE_V1;
	else if (strcmp(mode, "hybrid") == 0)
		cg->mode = CG_MODE_HYBRID;
	else
		return hk_error_set(err, 0, "%s.mode: unknown \"%s\"", ctx, mode);
	if (!path || !dirs)
		return hk_error_set(err, 0, "%s: path and dirs are required", ctx);
	cg->ops = cg->mode == CG_MODE_V2 ? &cg_v2_ops : &cg_v1_ops;
	cg->path = xstrdup(path);
	n = json_object_array_length(dirs);
	cg->dirs = xzalloc((n + 1) * sizeof(*cg->dirs));
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(dirs, i);
		const char *p = NULL, *c = "";
		bool v2 = false;
		char dctx[48];

		snprintf(dctx, sizeof(dctx), "%s.dirs[%zu]", ctx, i);
		if (json_get_string(d, dctx, "path", &p, err) < 0 ||
		    json_get_string(d, dctx, "controllers", &c, err) < 0 ||
		    json_get_bool(d, dctx, "v2", &v2, err) < 0)
			return -1;
		if (!p || p[0] != '/')
			return hk_error_set(err, 0, "%s.path: expected an absolute path", dctx);
		cg->dirs[i].path = xstrdup(p);
		cg->dirs[i].controllers = xstrdup(c);
		cg->dirs[i].v2 = v2;
		/* Gone already (deleted by hand): calls on it fail, destroy
		 * treats it as removed. */
		cg->dirs[i].fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		cg->ndirs++;
	}
	*out = steal_ptr(&cg);
	return 0;
}
