/* hako runtime: the container's filesystem view.  Runs in the init process,
 * in its new mount namespace, before pivot_root.
 *
 * Every destination is resolved inside the rootfs (path_mkdir_in_root /
 * path_mkfile_in_root, openat2 RESOLVE_IN_ROOT) and the mount is made onto
 * /proc/self/fd/N of the resolved directory, so a symlink planted in the
 * image (etc -> /host/path) can never redirect a mount outside the rootfs
 * (the class of CVE-2021-30465). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "runtime/internal.h"
#include "util/log.h"
#include "util/path.h"
#include "util/util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

struct mount_attr_ {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

static int rootfd_g = -1;
/* rootfs_prepare runs in the container's user namespace */
static bool in_userns_g;
/* rootfsPropagation to set on the new root after pivot_root, or 0 */
static unsigned long final_propagation_g;

/* mkdir -p inside the root.  A component that is a dangling symlink
 * (etc -> /host/path, absent in the rootfs) gets its target made inside the
 * root, as if the root were "/", so the mount lands there, never outside. */
static int mkdir_in_root(const char *path, int depth, struct hk_error **err)
{
	_cleanup_free_ char *clean = NULL;
	int fd = path_mkdir_in_root(rootfd_g, path, 0755, NULL);

	if (fd >= 0)
		return fd;
	if (depth > 16)
		return hk_error_set(err, ELOOP, "%s: too many levels of symbolic links", path);
	clean = path_clean(path);
	for (char *slash = clean + 1;; slash++) {
		char saved = *slash;
		struct stat st;
		_cleanup_close_ int l = -1;
		if (saved && saved != '/')
			continue;
		*slash = '\0';
		l = path_open_in_root(rootfd_g, clean, O_PATH | O_NOFOLLOW, 0, NULL);
		if (l >= 0 && fstat(l, &st) == 0 && S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlinkat(l, "", target, sizeof(target) - 1);
			if (n > 0) {
				_cleanup_free_ char *t = NULL;
				target[n] = '\0';
				if (target[0] == '/') {
					t = xstrdup(target);
				} else {
					char *dir = xstrdup(clean);
					*strrchr(dir, '/') = '\0';
					t = xasprintf("%s/%s", dir, target);
					free(dir);
				}
				int d = mkdir_in_root(t, depth + 1, err);
				if (d < 0)
					return -1;
				close(d);
			}
		}
		*slash = saved;
		if (l < 0 || !saved)
			break;
	}
	return path_mkdir_in_root(rootfd_g, path, 0755, err);
}

static int target_dir(const char *dest, struct hk_error **err)
{
	return mkdir_in_root(dest, 0, err);
}

/* A file to mount on.  When dest's last component is a dangling symlink,
 * its target is made inside the root (never on the host), as directories
 * are by mkdir_in_root. */
static int target_file_depth(const char *dest, int depth, struct hk_error **err)
{
	_cleanup_free_ char *parent = path_clean(dest);
	char *slash = strrchr(parent, '/');
	int fd = path_mkfile_in_root(rootfd_g, dest, 0644, NULL);
	_cleanup_close_ int dir = -1;
	char target[4096];
	ssize_t n;

	if (fd >= 0)
		return fd;
	if (depth > 16)
		return hk_error_set(err, ELOOP, "%s: too many levels of symbolic links", dest);
	if (!slash)
		return path_mkfile_in_root(rootfd_g, dest, 0644, err);
	*slash = '\0';
	dir = mkdir_in_root(*parent ? parent : "/", 0, err);
	if (dir < 0)
		return -1;
	n = readlinkat(dir, slash + 1, target, sizeof(target) - 1);
	if (n > 0) {
		_cleanup_free_ char *t = NULL;
		target[n] = '\0';
		t = target[0] == '/' ? xstrdup(target) : xasprintf("%s/%s", parent, target);
		return target_file_depth(t, depth + 1, err);
	}
	return path_mkfile_in_root(rootfd_g, dest, 0644, err);
}

static int target_file(const char *dest, struct hk_error **err)
{
	return target_file_depth(dest, 0, err);
}

/* The flags the kernel locks on a mount we did not create (nodev, nosuid,
 * noexec, atime flags in a user namespace) must be repeated on a remount. */
static unsigned long locked_flags(const char *path)
{
	struct statvfs sv;
	unsigned long f = 0;

	if (statvfs(path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

static int remount(const char *path, unsigned long flags, const char *what, struct hk_error **err)
{
	if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | flags, NULL) == 0)
		return 0;
	if (errno == EPERM &&
	    mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | flags | locked_flags(path), NULL) == 0)
		return 0;
	return hk_error_errno(err, "remount %s", what);
}

/* Open dest (inside the root) again: after a mount the old fd still names
 * the directory underneath, a fresh lookup gives the new mount. */
static int reopen(const char *dest, bool nofollow, struct hk_error **err)
{
	return path_open_in_root(rootfd_g, dest, O_PATH | (nofollow ? O_NOFOLLOW : 0), 0, err);
}

static int apply_flags(const struct rt_mount *m, const char *dest, bool fresh_bind,
		       struct hk_error **err)
{
	const struct rt_mount_opts *o = &m->o;
	unsigned long fl = o->flags & ~(MS_REMOUNT);
	char buf[64];

	if ((fresh_bind && fl) || o->propagation || o->attr_set || o->attr_clr) {
		_cleanup_close_ int fd =
			reopen(dest, o->extra & (RT_MNT_SRC_NOFOLLOW | RT_MNT_DEST_NOFOLLOW), err);
		if (fd < 0)
			return -1;
		path_fd(fd, buf, sizeof(buf));
		if (fresh_bind && fl && remount(buf, fl, dest, err) < 0)
			return -1;
		if (o->propagation && mount(NULL, buf, NULL, o->propagation, NULL) < 0)
			return hk_error_errno(err, "set propagation of %s", dest);
		if (o->attr_set || o->attr_clr) {
			struct mount_attr_ a = {.attr_set = o->attr_set, .attr_clr = o->attr_clr};
			if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a,
				    sizeof(a)) < 0)
				return hk_error_errno(err, "set recursive attributes of %s", dest);
		}
	}
	return 0;
}

/* "0-1000-10#10-2000-5" (one key of crun's idmap=uids=...;gids=...) as
 * the lines of a uid_map/gid_map file. */
static char *idmap_lines(const char *spec, const char *key, struct hk_error **err)
{
	_cleanup_free_ char *out = xstrdup("");
	const char *p = spec;
	size_t klen = strlen(key);

	while (p && *p && !(str_has_prefix(p, key) && p[klen] == '='))
		p = strchr(p, ';') ? strchr(p, ';') + 1 : NULL;
	if (!p || !*p) {
		hk_error_set(err, 0, "idmap: no %s= mappings", key);
		return NULL;
	}
	p += klen + 1;
	while (*p && *p != ';') {
		unsigned long c, h, n;
		int used = 0;
		if (sscanf(p, "%lu-%lu-%lu%n", &c, &h, &n, &used) != 3 || !n || c > UINT32_MAX ||
		    h > UINT32_MAX || n > UINT32_MAX) {
			hk_error_set(err, 0, "idmap: bad %s mapping \"%s\" (want C-H-S)", key, p);
			return NULL;
		}
		char *l = xasprintf("%s%lu %lu %lu\n", out, c, h, n);
		free(out);
		out = l;
		p += used;
		if (*p == '#' || *p == ',')
			p++;
	}
	return steal_ptr(&out);
}

/* A user namespace holding the given maps, for MOUNT_ATTR_IDMAP: a child
 * unshares it and stops; we write its maps, keep /proc/PID/ns/user, and
 * kill it.  The namespace lives on through the fd. */
static int make_idmap_userns(const char *uids, const char *gids, struct hk_error **err)
{
	static const char *const files[2] = {"uid_map", "gid_map"};
	const char *text[2] = {uids, gids};
	char path[64], hostpid[32] = "";
	int status, fd = -1, p[2];
	pid_t pid;

	/* /proc is still the host's here, and the init may be in a new pid
	 * namespace: the child tells its pid as that /proc names it. */
	if (pipe2(p, O_CLOEXEC) < 0)
		return hk_error_errno(err, "pipe");
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return hk_error_errno(err, "fork for an idmap user namespace");
	}
	if (pid == 0) {
		ssize_t n = readlink("/proc/self", hostpid, sizeof(hostpid) - 1);
		/* In the container's user namespace the init is not dumpable,
		 * so /proc/PID/ of this copy belongs to the host's root, whom the
		 * namespace cannot write for: be dumpable (nothing of the
		 * container runs yet, and this process only stops and dies). */
		if (in_userns_g)
			prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		if (n <= 0 || write(p[1], hostpid, (size_t)n) != n || unshare(CLONE_NEWUSER) < 0)
			_exit(1);
		raise(SIGSTOP);
		_exit(0);
	}
	close(p[1]);
	if (waitpid(pid, &status, WUNTRACED) < 0 || !WIFSTOPPED(status) ||
	    read(p[0], hostpid, sizeof(hostpid) - 1) <= 0) {
		hk_error_set(err, 0, "idmap: could not make a user namespace");
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		_cleanup_close_ int f = -1;
		snprintf(path, sizeof(path), "/proc/%s/%s", hostpid, files[i]);
		f = open(path, O_WRONLY | O_CLOEXEC);
		if (f < 0 || write(f, text[i], strlen(text[i])) != (ssize_t)strlen(text[i])) {
			hk_error_errno(err, "idmap: write %s", files[i]);
			goto out;
		}
	}
	snprintf(path, sizeof(path), "/proc/%s/ns/user", hostpid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		hk_error_errno(err, "idmap: open %s", path);
out:
	close(p[0]);
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return fd;
}

static char *maps_text(const struct rt_idmap *m, size_t n, bool identity)
{
	char *t = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *l = xasprintf("%s%u %u %u\n", t, m[i].container_id,
				    identity ? m[i].container_id : m[i].host_id, m[i].size);
		free(t);
		t = l;
	}
	return t;
}

/* The mount's own maps (idmap=, mounts[].uidMappings), else the
 * container's: with those, uid 0 on disk is uid 0 in the container. */
static int idmap_userns_fd(const struct rt_mount *m, const struct rt_spec *s, struct hk_error **err)
{
	_cleanup_free_ char *u = NULL, *g = NULL;

	if (m->o.idmap && *m->o.idmap) {
		u = idmap_lines(m->o.idmap, "uids", err);
		g = u ? idmap_lines(m->o.idmap, "gids", err) : NULL;
		if (!g)
			return -1;
	} else if (s->nuidmaps && s->ngidmaps) {
		/* Inside the container's user namespace the helper's maps are
		 * written in that namespace's ids: the identity over them maps
		 * them to the same host ids as the container's maps do. */
		u = maps_text(s->uidmaps, s->nuidmaps, in_userns_g);
		g = maps_text(s->gidmaps, s->ngidmaps, in_userns_g);
	} else {
		return hk_error_set(err, 0,
				    "idmap: no mappings (give idmap=uids=...;gids=..., the "
				    "mount's uidMappings/gidMappings, or a user namespace)");
	}
	return make_idmap_userns(u, g, err);
}

/* The kernel idmaps a mount only for a caller with CAP_SYS_ADMIN over the
 * filesystem (the host's user namespace): the init of a container with its
 * own user namespace cannot.  The runtime makes those trees before the
 * clone, the init inherits the fds and attaches them. */
int mounts_prepare_idmapped(struct rt_spec *s, struct hk_error **err)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nmounts; i++) {
		struct rt_mount *m = &s->mounts[i];
		unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
		_cleanup_close_ int tree = -1, uns = -1;
		struct mount_attr a = {.attr_set = MOUNT_ATTR_IDMAP};

		if (!(m->o.extra & RT_MNT_IDMAP) || !m->o.bind)
			continue;
		if (++n > MOUNTS_MAX_IDMAPPED)
			return hk_error_set(err, 0,
					    "mounts[%zu]: at most %d idmapped mounts with a user "
					    "namespace",
					    i, MOUNTS_MAX_IDMAPPED);
		if (m->o.recursive)
			flags |= AT_RECURSIVE;
		if (m->o.extra & RT_MNT_SRC_NOFOLLOW)
			flags |= AT_SYMLINK_NOFOLLOW;
		tree = open_tree(AT_FDCWD, m->source, flags);
		if (tree < 0)
			return hk_error_errno(err, "mounts[%zu]: open_tree %s", i, m->source);
		in_userns_g = false;
		uns = idmap_userns_fd(m, s, err);
		if (uns < 0)
			return hk_error_wrap(err, "mounts[%zu]", i);
		a.userns_fd = (uint64_t)uns;
		if (mount_setattr(tree, "",
				  AT_EMPTY_PATH |
					  ((m->o.extra & RT_MNT_IDMAP_REC) ? AT_RECURSIVE : 0),
				  &a, sizeof(a)) < 0)
			return hk_error_errno(err, "mounts[%zu]: idmap mount %s", i, m->source);
		m->o.tree_fd = steal_fd(&tree);
		m->o.has_tree = true;
	}
	return 0;
}

size_t mounts_idmapped_fds(const struct rt_spec *s, int *fds, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nmounts && n < max; i++)
		if (s->mounts[i].o.has_tree)
			fds[n++] = s->mounts[i].o.tree_fd;
	return n;
}

/* Bind through the new mount API: the source may be a symlink itself
 * (src-nofollow), the tree may be idmapped before it is attached. */
static int bind_detached(const struct rt_mount *m, const struct rt_spec *s, int target,
			 const char *dest, struct hk_error **err)
{
	unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
	_cleanup_close_ int tree = -1, uns = -1;

	if (m->o.has_tree) {
		/* idmapped by the runtime before the clone (user namespace) */
		if (move_mount(m->o.tree_fd, "", target, "",
			       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			return hk_error_errno(err, "bind mount %s on %s", m->source, dest);
		return 0;
	}
	if (m->o.recursive)
		flags |= AT_RECURSIVE;
	if (m->o.extra & RT_MNT_SRC_NOFOLLOW)
		flags |= AT_SYMLINK_NOFOLLOW;
	tree = open_tree(AT_FDCWD, m->source, flags);
	if (tree < 0)
		return hk_error_errno(err, "open_tree %s", m->source);
	if (m->o.extra & RT_MNT_IDMAP) {
		struct mount_attr a = {.attr_set = MOUNT_ATTR_IDMAP};
		uns = idmap_userns_fd(m, s, err);
		if (uns < 0)
			return -1;
		a.userns_fd = (uint64_t)uns;
		if (mount_setattr(tree, "",
				  AT_EMPTY_PATH |
					  ((m->o.extra & RT_MNT_IDMAP_REC) ? AT_RECURSIVE : 0),
				  &a, sizeof(a)) < 0)
			return hk_error_errno(err, "idmap mount %s", m->source);
	}
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return hk_error_errno(err, "bind mount %s on %s", m->source, dest);
	return 0;
}

/* copy-symlink: the source symlink is recreated at dest, nothing mounted. */
static int copy_symlink(const char *source, const char *dest, struct hk_error **err)
{
	_cleanup_free_ char *parent = path_clean(dest);
	_cleanup_close_ int dir = -1, real = -1;
	char target[4096], buf[64];
	char *slash = strrchr(parent, '/');
	ssize_t n = readlink(source, target, sizeof(target) - 1);

	if (n < 0)
		return hk_error_errno(err, "readlink %s", source);
	target[n] = '\0';
	*slash = '\0';
	dir = mkdir_in_root(*parent ? parent : "/", 0, err);
	if (dir < 0)
		return -1;
	real = open(path_fd(dir, buf, sizeof(buf)), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (real < 0)
		return hk_error_errno(err, "open parent of %s", dest);
	if (symlinkat(target, real, slash + 1) == 0)
		return 0;
	if (errno == EEXIST) {
		char old[4096];
		ssize_t k = readlinkat(real, slash + 1, old, sizeof(old) - 1);
		if (k == n && !memcmp(old, target, (size_t)n))
			return 0;
	}
	return hk_error_errno(err, "symlink %s -> %s", dest, target);
}

static int mount_bind(const struct rt_mount *m, const struct rt_spec *s, const char *dest,
		      struct hk_error **err)
{
	_cleanup_close_ int target = -1;
	struct stat st;
	bool link = false;
	char buf[64];

	if (lstat(m->source, &st) == 0 && S_ISLNK(st.st_mode)) {
		if (m->o.extra & RT_MNT_COPY_SYMLINK)
			return copy_symlink(m->source, dest, err);
		link = m->o.extra & RT_MNT_SRC_NOFOLLOW;
	}
	if (!link && stat(m->source, &st) < 0)
		return hk_error_errno(err, "bind mount source %s", m->source);
	if (S_ISDIR(st.st_mode))
		target = target_dir(dest, err);
	else if ((m->o.extra & RT_MNT_DEST_NOFOLLOW) &&
		 (target = path_open_in_root(rootfd_g, dest, O_PATH | O_NOFOLLOW, 0, NULL)) >= 0)
		; /* an existing symlink (or file) at dest is mounted over itself */
	else
		target = target_file(dest, err);
	if (target < 0)
		return -1;
	if (link || (m->o.extra & (RT_MNT_IDMAP | RT_MNT_DEST_NOFOLLOW))) {
		if (bind_detached(m, s, target, dest, err) < 0)
			return -1;
	} else if (mount(m->source, path_fd(target, buf, sizeof(buf)), NULL,
			 MS_BIND | (m->o.recursive ? MS_REC : 0), NULL) < 0) {
		return hk_error_errno(err, "bind mount %s on %s", m->source, dest);
	}
	return apply_flags(m, dest, true, err);
}

/* The init's cgroup in the hierarchy with these v1 controllers (or the
 * unified one: key ""), from /proc/self/cgroup: "/" inside a cgroup
 * namespace, the host's path without one. */
static char *own_cgroup(const char *text, const char *key)
{
	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		const char *c = strchr(line, ':'), *p = c ? strchr(c + 1, ':') : NULL;
		size_t llen = end ? (size_t)(end - line) : strlen(line);
		if (p && p < line + llen && (size_t)(p - c - 1) == strlen(key) &&
		    !strncmp(c + 1, key, strlen(key)))
			return xstrndup(p + 1, llen - (size_t)(p + 1 - line));
		line = end ? end + 1 : NULL;
	}
	return NULL;
}

/* One hierarchy under the container's /sys/fs/cgroup, showing the
 * container's own cgroup as its root.  In a cgroup namespace a fresh mount
 * does that; without one a fresh mount would show the host's whole tree, and
 * in a user namespace without one the kernel refuses it (EPERM): bind the
 * container's directory of the host's mount instead, as runc and crun do. */
static int mount_cgroup_hierarchy(const char *self_cgroup, const char *fstype, const char *data,
				  const char *hostmp, int target, const char *dest,
				  unsigned long fl)
{
	_cleanup_free_ char *own = own_cgroup(self_cgroup, data ? data : "");
	_cleanup_free_ char *src = NULL;
	_cleanup_close_ int fd = -1;
	char buf[64];

	path_fd(target, buf, sizeof(buf));
	if (own && !strcmp(own, "/") && mount(fstype, buf, fstype, fl, data) == 0)
		return 0;
	if (!own)
		return mount(fstype, buf, fstype, fl, data);
	src = xasprintf("%s%s", hostmp, strcmp(own, "/") ? own : "");
	if (mount(src, buf, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -1;
	fd = reopen(dest, false, NULL);
	if (fd < 0)
		return -1;
	path_fd(fd, buf, sizeof(buf));
	/* the flags of a bind come with a remount (and keep the locked ones) */
	if (mount(NULL, buf, NULL, MS_REMOUNT | MS_BIND | fl, NULL) < 0 &&
	    mount(NULL, buf, NULL, MS_REMOUNT | MS_BIND | fl | locked_flags(buf), NULL) < 0)
		return -1;
	return 0;
}

/* /sys/fs/cgroup: cgroup2 on a unified host; on v1 and hybrid hosts a tmpfs
 * holding each v1 hierarchy (and the unified one) as the host has them. */
static int mount_cgroup_v1(const struct rt_mount *m, const char *dest, struct hk_error **err)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_close_ int target = -1;
	_cleanup_free_ char *line = NULL;
	unsigned long fl = m->o.flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME);
	_cleanup_free_ char *self_cgroup = NULL;
	size_t cap = 0, len;
	char buf[64];

	target = target_dir(dest, err);
	if (target < 0)
		return -1;
	if (mount("tmpfs", path_fd(target, buf, sizeof(buf)), "tmpfs", fl, "mode=755") < 0)
		return hk_error_errno(err, "mount tmpfs on %s", dest);
	/* read once: which cgroup of each hierarchy is the init's */
	if (read_file_at(AT_FDCWD, "/proc/self/cgroup", 1 << 16, &self_cgroup, &len, NULL) < 0)
		self_cgroup = NULL;
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return hk_error_errno(err, "open /proc/self/mountinfo");
	while (getline(&line, &cap, f) > 0) {
		char mp[4096], fstype[64], super[1024];
		const char *sep = strstr(line, " - ");
		_cleanup_free_ char *sub = NULL;
		_cleanup_close_ int d = -1;
		char *name, *data = NULL;

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 ||
		    sscanf(sep, " - %63s %*s %1023s", fstype, super) != 2)
			continue;
		if (!str_has_prefix(mp, "/sys/fs/cgroup/") ||
		    (strcmp(fstype, "cgroup") && strcmp(fstype, "cgroup2")))
			continue;
		name = mp + strlen("/sys/fs/cgroup/");
		if (!*name || strchr(name, '/'))
			continue;
		if (!strcmp(fstype, "cgroup")) {
			/* keep the controllers and name=, drop rw/ro */
			_cleanup_free_ char *d2 = xstrdup("");
			char *save = NULL;
			for (char *t = strtok_r(super, ",", &save); t;
			     t = strtok_r(NULL, ",", &save)) {
				if (!strcmp(t, "rw") || !strcmp(t, "ro"))
					continue;
				char *n = xasprintf("%s%s%s", d2, *d2 ? "," : "", t);
				free(d2);
				d2 = n;
			}
			data = steal_ptr(&d2);
		}
		sub = xasprintf("%s/%s", dest, name);
		d = target_dir(sub, err);
		if (d < 0) {
			free(data);
			return -1;
		}
		if (mount_cgroup_hierarchy(self_cgroup, fstype, data, mp, d, sub,
					   fl | (m->o.flags & MS_RDONLY)) < 0) {
			log_warn("mount %s (%s) on %s: %s", fstype, data ? data : "", sub,
				 strerror(errno));
		}
		free(data);
	}
	/* the host's "cpu -> cpu,cpuacct" links */
	{
		_cleanup_dir_ DIR *dir = opendir("/sys/fs/cgroup");
		struct dirent *de;
		_cleanup_close_ int real = -1;
		real = open(path_fd(target, buf, sizeof(buf)), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		while (dir && real >= 0 && (de = readdir(dir))) {
			char lnk[256];
			ssize_t n;
			if (de->d_type != DT_LNK)
				continue;
			n = readlinkat(dirfd(dir), de->d_name, lnk, sizeof(lnk) - 1);
			if (n <= 0 || memchr(lnk, '/', (size_t)n))
				continue;
			lnk[n] = '\0';
			if (symlinkat(lnk, real, de->d_name) < 0 && errno != EEXIST)
				log_warn("symlink %s/%s: %s", dest, de->d_name, strerror(errno));
		}
	}
	if (m->o.flags & MS_RDONLY) {
		_cleanup_close_ int fd = reopen(dest, false, err);
		if (fd < 0)
			return -1;
		if (remount(path_fd(fd, buf, sizeof(buf)), MS_RDONLY | fl, dest, err) < 0)
			return -1;
	}
	return 0;
}

static int mount_cgroup(const struct rt_mount *m, const char *dest, struct hk_error **err)
{
	struct statfs sf;
	_cleanup_close_ int target = -1;
	char buf[64];

	if (statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC) {
		target = target_dir(dest, err);
		if (target < 0)
			return -1;
		if (mount("cgroup2", path_fd(target, buf, sizeof(buf)), "cgroup2", m->o.flags,
			  NULL) < 0) {
			/* without a cgroup namespace an unprivileged user ns
			 * may not mount cgroup2: fall back to the host's */
			if (errno != EPERM)
				return hk_error_errno(err, "mount cgroup2 on %s", dest);
			if (mount("/sys/fs/cgroup", buf, NULL, MS_BIND | MS_REC, NULL) < 0)
				return hk_error_errno(err, "bind mount /sys/fs/cgroup on %s", dest);
			return apply_flags(m, dest, true, err);
		}
		return apply_flags(m, dest, false, err);
	}
	return mount_cgroup_v1(m, dest, err);
}

/* tmpcopyup: what was under a tmpfs is copied into it, with owners, modes
 * and symlinks (runc's and crun's extension; /etc or /var as tmpfs keep the
 * image's files).  Both fds are real directory fds. */
static int copy_tree(int from, int to, int depth, struct hk_error **err)
{
	_cleanup_dir_ DIR *dir = NULL;
	struct dirent *de;
	int dup = fcntl(from, F_DUPFD_CLOEXEC, 3);

	if (depth > 64)
		return hk_error_set(err, ELOOP, "tmpcopyup: too deep");
	if (dup < 0 || !(dir = fdopendir(dup))) {
		if (dup >= 0)
			close(dup);
		return hk_error_errno(err, "tmpcopyup: read directory");
	}
	while ((de = readdir(dir))) {
		const char *n = de->d_name;
		struct stat st;
		int r = 0;
		if (!strcmp(n, ".") || !strcmp(n, ".."))
			continue;
		if (fstatat(from, n, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return hk_error_errno(err, "tmpcopyup: stat %s", n);
		if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int a = -1, b = -1;
			if (mkdirat(to, n, 0700) < 0 && errno != EEXIST)
				return hk_error_errno(err, "tmpcopyup: mkdir %s", n);
			a = openat(from, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			b = openat(to, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (a < 0 || b < 0)
				return hk_error_errno(err, "tmpcopyup: open %s", n);
			if (copy_tree(a, b, depth + 1, err) < 0)
				return hk_error_wrap(err, "%s", n);
		} else if (S_ISREG(st.st_mode)) {
			_cleanup_close_ int a = openat(from, n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			_cleanup_close_ int b = -1;
			char data[65536];
			ssize_t k;
			if (a < 0)
				return hk_error_errno(err, "tmpcopyup: open %s", n);
			b = openat(to, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				   0600);
			if (b < 0)
				return hk_error_errno(err, "tmpcopyup: create %s", n);
			while ((k = read(a, data, sizeof(data))) > 0)
				if (write(b, data, (size_t)k) != k)
					return hk_error_errno(err, "tmpcopyup: write %s", n);
			if (k < 0)
				return hk_error_errno(err, "tmpcopyup: read %s", n);
		} else if (S_ISLNK(st.st_mode)) {
			char t[4096];
			ssize_t k = readlinkat(from, n, t, sizeof(t) - 1);
			if (k < 0)
				return hk_error_errno(err, "tmpcopyup: readlink %s", n);
			t[k] = '\0';
			r = symlinkat(t, to, n);
		} else {
			r = mknodat(to, n, st.st_mode, st.st_rdev);
		}
		if (r < 0)
			return hk_error_errno(err, "tmpcopyup: copy %s", n);
		if (fchownat(to, n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 &&
		    errno != EINVAL)
			return hk_error_errno(err, "tmpcopyup: chown %s", n);
		if (!S_ISLNK(st.st_mode) && fchmodat(to, n, st.st_mode & 07777, 0) < 0)
			return hk_error_errno(err, "tmpcopyup: chmod %s", n);
	}
	return 0;
}

static int tmpcopyup(int under, const char *dest, bool has_mode, struct hk_error **err)
{
	_cleanup_close_ int top = reopen(dest, false, err), real = -1;
	char buf[64];
	struct stat st;

	if (top < 0)
		return -1;
	real = open(path_fd(top, buf, sizeof(buf)), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (real < 0)
		return hk_error_errno(err, "tmpcopyup: open %s", dest);
	/* the tmpfs root takes the directory's owner, and its mode unless the
	 * options give one */
	if (fstat(under, &st) == 0 &&
	    ((fchown(real, st.st_uid, st.st_gid) < 0 && errno != EINVAL) ||
	     (!has_mode && fchmod(real, st.st_mode & 07777) < 0)))
		return hk_error_errno(err, "tmpcopyup: chown/chmod %s", dest);
	if (copy_tree(under, real, 0, err) < 0)
		return hk_error_wrap(err, "tmpcopyup %s", dest);
	return 0;
}

static int mount_one(const struct rt_mount *m, const struct rt_spec *s, bool is_userns,
		     struct hk_error **err)
{
	_cleanup_free_ char *dest = path_clean(m->destination);
	_cleanup_close_ int target = -1, under = -1;
	unsigned long fl = m->o.flags;
	char buf[64];
	int r;

	if (m->o.bind)
		return mount_bind(m, s, dest, err);
	if (m->o.extra & RT_MNT_IDMAP)
		return hk_error_set(err, EINVAL, "idmap: only bind mounts can be idmapped (%s)",
				    dest);
	if (str_eq(m->type, "cgroup"))
		return mount_cgroup(m, dest, err);
	target = target_dir(dest, err);
	if (target < 0)
		return -1;
	path_fd(target, buf, sizeof(buf));
	if ((m->o.extra & RT_MNT_TMPCOPYUP) && str_eq(m->type, "tmpfs")) {
		/* keep what is under the mount point to copy it up */
		under = open(buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (under < 0)
			return hk_error_errno(err, "tmpcopyup: open %s", dest);
	}
	r = mount(m->source, buf, m->type, fl & ~MS_REMOUNT, m->o.data);
	if (r == 0 && under >= 0) {
		bool has_mode = m->o.data &&
				(str_has_prefix(m->o.data, "mode=") || strstr(m->o.data, ",mode="));
		if (tmpcopyup(under, dest, has_mode, err) < 0)
			return -1;
	}
	if (r < 0 && str_eq(m->type, "sysfs") && (errno == EPERM || errno == EACCES) && is_userns) {
		/* sysfs needs a network namespace owned by our user namespace;
		 * when it is not, show the host's read-only (as runc does) */
		r = mount("/sys", buf, NULL, MS_BIND | MS_REC, NULL);
		if (r == 0)
			return apply_flags(m, dest, true, err);
	}
	if (r < 0 && str_eq(m->type, "devpts") && errno == EINVAL && is_userns && m->o.data &&
	    strstr(m->o.data, "gid=")) {
		/* gid=5 (tty) is not mapped in every user namespace: the
		 * kernel refuses the option then, drop it as crun does */
		_cleanup_free_ char *d = xstrdup("");
		_cleanup_free_ char *all = xstrdup(m->o.data);
		char *save = NULL;
		for (char *t = strtok_r(all, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			if (str_has_prefix(t, "gid="))
				continue;
			char *n = xasprintf("%s%s%s", d, *d ? "," : "", t);
			free(d);
			d = n;
		}
		r = mount(m->source, buf, m->type, fl & ~MS_REMOUNT, d);
	}
	if (r < 0 && str_eq(m->type, "mqueue") && errno == EPERM && is_userns) {
		/* a user namespace without its own IPC namespace may not
		 * mount mqueue: show the host's, as crun does */
		if (mount("/dev/mqueue", buf, NULL, MS_BIND | MS_REC, NULL) == 0)
			return apply_flags(m, dest, true, err);
		log_warn("mount mqueue on %s: %s (skipped in a user namespace)", dest,
			 strerror(errno));
		return 0;
	}
	if (r < 0)
		return hk_error_errno(err, "mount %s on %s%s%s%s", m->type, dest,
				      m->o.data ? " (options " : "", m->o.data ? m->o.data : "",
				      m->o.data ? ")" : "");
	return apply_flags(m, dest, false, err);
}

static const struct {
	const char *name;
	unsigned maj, min;
} default_devices[] = {
	{"null", 1, 3},	  {"zero", 1, 5},    {"full", 1, 7},
	{"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

/* The host's node of a device under another name (/dev/hk-zero for 1:5):
 * the first of /dev's entries with that type and number. */
static char *host_device(mode_t type, dev_t rdev)
{
	_cleanup_dir_ DIR *dir = opendir("/dev");
	struct dirent *de;
	struct stat st;

	while (dir && (de = readdir(dir))) {
		if (de->d_type != DT_CHR && de->d_type != DT_BLK)
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    (st.st_mode & S_IFMT) == type && st.st_rdev == rdev)
			return xasprintf("/dev/%s", de->d_name);
	}
	return NULL;
}

static int make_device(const char *path, char type, unsigned maj, unsigned min, mode_t mode,
		       uid_t uid, gid_t gid, bool is_userns, struct hk_error **err)
{
	_cleanup_free_ char *clean = path_clean(path);
	_cleanup_free_ char *parent = xstrdup(clean);
	_cleanup_close_ int dir = -1;
	char *slash = strrchr(parent, '/');
	const char *base = strrchr(clean, '/') + 1;
	mode_t t = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
	char buf[64];

	if (is_userns && t != S_IFIFO) {
		/* mknod is not allowed in a user namespace: bind the host's */
		_cleanup_close_ int f = target_file(clean, err);
		_cleanup_free_ char *host = xasprintf("/dev/%s", base);
		struct stat st;
		if (f < 0)
			return -1;
		if (!str_has_prefix(path, "/dev/") || stat(host, &st) < 0 ||
		    (st.st_mode & S_IFMT) != t || st.st_rdev != makedev(maj, min)) {
			free(host);
			host = host_device(t, makedev(maj, min));
		}
		if (!host)
			return hk_error_set(err, EPERM,
					    "device %s: cannot create it in a user namespace "
					    "(no matching host device to bind)",
					    path);
		if (mount(host, path_fd(f, buf, sizeof(buf)), NULL, MS_BIND, NULL) < 0)
			return hk_error_errno(err, "bind mount %s on %s", host, path);
		return 0;
	}
	*slash = '\0';
	dir = path_mkdir_in_root(rootfd_g, *parent ? parent : "/", 0755, err);
	if (dir < 0)
		return -1;
	if (unlinkat(dir, base, 0) < 0 && errno != ENOENT)
		return hk_error_errno(err, "remove %s", path);
	if (mknodat(dir, base, t | (mode & 07777), makedev(maj, min)) < 0)
		return hk_error_errno(err, "mknod %s", path);
	{
		_cleanup_close_ int f = openat(dir, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (f < 0)
			return hk_error_errno(err, "open %s", path);
		/* mknod applies the umask; set the mode and owner asked for */
		if (fchmodat(AT_FDCWD, path_fd(f, buf, sizeof(buf)), mode & 07777, 0) < 0 ||
		    fchownat(f, "", uid, gid, AT_EMPTY_PATH) < 0)
			return hk_error_errno(err, "chmod/chown %s", path);
	}
	return 0;
}

static int make_default_devices(bool is_userns, struct hk_error **err)
{
	static const char *const links[][2] = {
		{"/proc/self/fd", "fd"},       {"/proc/self/fd/0", "stdin"},
		{"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
		{"pts/ptmx", "ptmx"},
	};
	_cleanup_close_ int dev = -1, real = -1;
	char buf[64];

	for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
		_cleanup_free_ char *p = xasprintf("/dev/%s", default_devices[i].name);
		if (make_device(p, 'c', default_devices[i].maj, default_devices[i].min, 0666, 0, 0,
				is_userns, err) < 0)
			return -1;
	}
	dev = path_mkdir_in_root(rootfd_g, "/dev", 0755, err);
	if (dev < 0)
		return -1;
	real = open(path_fd(dev, buf, sizeof(buf)), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (real < 0)
		return hk_error_errno(err, "open /dev");
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		if (symlinkat(links[i][0], real, links[i][1]) < 0 && errno != EEXIST)
			return hk_error_errno(err, "symlink /dev/%s", links[i][1]);
	}
	return 0;
}

int rootfs_prepare(const struct rt_spec *s, const char *rootfs, bool is_userns,
		   struct hk_error **err)
{
	unsigned long prop = s->rootfs_propagation ? s->rootfs_propagation : MS_SLAVE | MS_REC;
	bool dev_tmpfs = false;

	/* Nothing we mount may propagate back to the host: "/" is a slave
	 * while the rootfs is built.  shared and unbindable are applied to the
	 * new root last (rootfs_finish): pivot_root refuses a shared root, and
	 * the binds of the rootfs and of readonlyPaths an unbindable tree. */
	in_userns_g = is_userns;
	final_propagation_g = prop & (MS_SHARED | MS_UNBINDABLE) ? prop : 0;
	if (final_propagation_g)
		prop = MS_SLAVE | MS_REC;
	if (mount(NULL, "/", NULL, prop, NULL) < 0)
		return hk_error_errno(err, "make / %s", prop & MS_SLAVE ? "slave" : "private");
	/* pivot_root needs the rootfs to be a mount point */
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return hk_error_errno(err, "bind mount rootfs %s", rootfs);
	if (rootfd_g >= 0)
		close(rootfd_g);
	rootfd_g = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd_g < 0)
		return hk_error_errno(err, "open rootfs %s", rootfs);
	for (size_t i = 0; i < s->nmounts; i++) {
		const struct rt_mount *m = &s->mounts[i];
		_cleanup_free_ char *d = path_clean(m->destination);
		if (mount_one(m, s, is_userns, err) < 0)
			return hk_error_wrap(err, "mounts[%zu]", i);
		if (!strcmp(d, "/dev") && !m->o.bind)
			dev_tmpfs = true;
	}
	if (dev_tmpfs && make_default_devices(is_userns, err) < 0)
		return -1;
	for (size_t i = 0; i < s->ndevices; i++) {
		const struct rt_device *d = &s->devices[i];
		if (make_device(d->path, d->type, (unsigned)d->major, (unsigned)d->minor, d->mode,
				d->uid, d->gid, is_userns, err) < 0)
			return hk_error_wrap(err, "linux.devices[%zu]", i);
	}
	return 0;
}

static int set_final_propagation(struct hk_error **err)
{
	if (final_propagation_g && mount(NULL, "/", NULL, final_propagation_g, NULL) < 0)
		return hk_error_errno(err, "set rootfsPropagation of /");
	return 0;
}

int rootfs_pivot(const char *rootfs, bool no_pivot, struct hk_error **err)
{
	_cleanup_close_ int oldroot = -1, newroot = -1;

	if (chdir(rootfs) < 0)
		return hk_error_errno(err, "chdir %s", rootfs);
	if (no_pivot) {
		if (mount(rootfs, "/", NULL, MS_MOVE, NULL) < 0)
			return hk_error_errno(err, "move rootfs to /");
		if (chroot(".") < 0)
			return hk_error_errno(err, "chroot");
		if (chdir("/") < 0)
			return hk_error_errno(err, "chdir /");
		return 0;
	}
	/* pivot_root(".", "."): the old root ends up stacked under the new
	 * one and is detached right after, no temporary directory needed. */
	oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	newroot = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (oldroot < 0 || newroot < 0)
		return hk_error_errno(err, "open roots");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return hk_error_errno(err, "pivot_root %s", rootfs);
	if (fchdir(oldroot) < 0)
		return hk_error_errno(err, "fchdir old root");
	/* keep the detach from propagating to the host's mounts */
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return hk_error_errno(err, "make old root slave");
	if (umount2(".", MNT_DETACH) < 0)
		return hk_error_errno(err, "detach old root");
	if (fchdir(newroot) < 0 || chdir("/") < 0)
		return hk_error_errno(err, "chdir to new root");
	if (rootfd_g >= 0) {
		close(rootfd_g);
		rootfd_g = -1;
	}
	return 0;
}

static int mask_path(const char *p, struct hk_error **err)
{
	_cleanup_close_ int fd = path_open_in_root(AT_FDCWD, p, O_PATH | O_NOFOLLOW, 0, NULL);
	struct stat st;
	char buf[64];

	if (fd < 0)
		return 0; /* nothing to mask */
	if (fstat(fd, &st) < 0)
		return hk_error_errno(err, "stat %s", p);
	path_fd(fd, buf, sizeof(buf));
	if (S_ISDIR(st.st_mode)) {
		if (mount("tmpfs", buf, "tmpfs", MS_RDONLY, "size=0k") < 0)
			return hk_error_errno(err, "mask %s", p);
	} else if (!S_ISLNK(st.st_mode)) {
		if (mount("/dev/null", buf, NULL, MS_BIND, NULL) < 0)
			return hk_error_errno(err, "mask %s", p);
	}
	return 0;
}

static int readonly_path(const char *p, struct hk_error **err)
{
	_cleanup_close_ int fd = path_open_in_root(AT_FDCWD, p, O_PATH | O_NOFOLLOW, 0, NULL);
	_cleanup_close_ int fd2 = -1;
	char buf[64];

	if (fd < 0)
		return 0;
	if (mount(path_fd(fd, buf, sizeof(buf)), buf, NULL, MS_BIND | MS_REC, NULL) < 0)
		return hk_error_errno(err, "bind %s read-only", p);
	fd2 = path_open_in_root(AT_FDCWD, p, O_PATH | O_NOFOLLOW, 0, err);
	if (fd2 < 0)
		return -1;
	return remount(path_fd(fd2, buf, sizeof(buf)), MS_RDONLY, p, err);
}

int rootfs_finish(const struct rt_spec *s, struct hk_error **err)
{
	_cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (root < 0)
		return hk_error_errno(err, "open /");
	for (size_t i = 0; s->readonly && s->readonly[i]; i++)
		if (readonly_path(s->readonly[i], err) < 0)
			return hk_error_wrap(err, "linux.readonlyPaths[%zu]", i);
	for (size_t i = 0; s->masked && s->masked[i]; i++)
		if (mask_path(s->masked[i], err) < 0)
			return hk_error_wrap(err, "linux.maskedPaths[%zu]", i);
	if (s->root_readonly && remount("/", MS_RDONLY, "/ read-only", err) < 0)
		return -1;
	return set_final_propagation(err);
}
