/* hako build: COPY and ADD sources (the context is hostile input) and
 * writing them into the rootfs of a step.
 *
 * Sources are reached from the context's directory fd only: a path is
 * cleaned lexically and refused when it leaves the context ("../x"), then
 * opened with RESOLVE_IN_ROOT so a symlink on the way cannot lead out; the
 * last component is never followed: a symlink is copied as a symlink.
 * Destinations are resolved inside the step's rootfs the same way.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/build_int.h"
#include "image/image.h"
#include "util/path.h"
#include "util/util.h"

#define COPY_BUF (128 * 1024)

/* "a/../b" -> "b"; "../x" -> NULL (outside); "/" or "" -> ".". */
static char *clean_rel(const char *p)
{
	_cleanup_strv_ char **parts = xzalloc(sizeof(char *));
	_cleanup_free_ char *copy = xstrdup(p);
	char *save = NULL;
	size_t n = 0;

	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			/* an absolute source is relative to the context root, and
			 * ".." at the root stays there (Docker's rule); a relative
			 * one must not climb out */
			if (!n) {
				if (*p == '/')
					continue;
				return NULL;
			}
			free(parts[--n]);
			parts[n] = NULL;
			continue;
		}
		strv_push(&parts, c);
		n++;
	}
	if (!n)
		return xstrdup(".");
	{
		size_t len = 0;
		char *out, *w;
		for (size_t i = 0; i < n; i++)
			len += strlen(parts[i]) + 1;
		out = w = xmalloc(len + 1);
		for (size_t i = 0; i < n; i++)
			w += sprintf(w, "%s%s", i ? "/" : "", parts[i]);
		return out;
	}
}

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static bool ignored(const struct copy_source *cs, const char *rel)
{
	return cs->ig && strcmp(rel, ".") && build_ignore_match(cs->ig, rel);
}

static int names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory rel of the source root, sorted (for stable digests). */
static int list_dir(const struct copy_source *cs, const char *rel, char ***out,
		    struct hk_error **err)
{
	int fd = path_open_in_root(cs->rootfd, rel, O_RDONLY | O_DIRECTORY, 0, err);
	_cleanup_dir_ DIR *d = NULL;
	char **names = xzalloc(sizeof(char *));
	struct dirent *de;

	if (fd < 0) {
		strv_free(names);
		return -1;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		strv_free(names);
		return hk_error_errno(err, "read directory %s", rel);
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		strv_push(&names, de->d_name);
	}
	qsort(names, strv_len(names), sizeof(char *), names_cmp);
	*out = names;
	return 0;
}

static char *join_rel(const char *dir, const char *name)
{
	return strcmp(dir, ".") ? xasprintf("%s/%s", dir, name) : xstrdup(name);
}

/* lstat of rel inside the source root, never following its last component. */
static int stat_rel(const struct copy_source *cs, const char *rel, struct stat *sb,
		    struct hk_error **err)
{
	_cleanup_close_ int fd = -1;

	if (!strcmp(rel, "."))
		return fstat(cs->rootfd, sb) < 0 ? hk_error_errno(err, "stat the context") : 0;
	fd = path_open_in_root(cs->rootfd, rel, O_PATH | O_NOFOLLOW, 0, err);
	if (fd < 0)
		return -1;
	if (fstatat(fd, "", sb, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return hk_error_errno(err, "stat %s", rel);
	return 0;
}

static int glob_walk(const struct copy_source *cs, const char *dir, char **parts, size_t i,
		     char ***out, struct hk_error **err)
{
	if (!parts[i]) {
		if (!ignored(cs, dir))
			strv_push(out, dir);
		return 0;
	}
	if (!has_glob(parts[i])) {
		_cleanup_free_ char *next = join_rel(dir, parts[i]);
		struct stat sb;
		struct hk_error *e2 = NULL;
		if (stat_rel(cs, next, &sb, &e2) < 0) {
			hk_error_free(&e2);
			return 0;
		}
		if (parts[i + 1] && !S_ISDIR(sb.st_mode))
			return 0;
		return glob_walk(cs, next, parts, i + 1, out, err);
	}
	{
		_cleanup_strv_ char **names = NULL;
		struct hk_error *e2 = NULL;
		if (list_dir(cs, dir, &names, &e2) < 0) {
			hk_error_free(&e2);
			return 0;
		}
		for (char **n = names; *n; n++) {
			_cleanup_free_ char *next = NULL;
			if (fnmatch(parts[i], *n, FNM_PERIOD * 0) != 0)
				continue;
			next = join_rel(dir, *n);
			if (glob_walk(cs, next, parts, i + 1, out, err) < 0)
				return -1;
		}
	}
	return 0;
}

int copy_glob(const struct copy_source *cs, const char *src, char ***out, struct hk_error **err)
{
	_cleanup_free_ char *rel = clean_rel(src);
	_cleanup_strv_ char **parts = NULL, **found = xzalloc(sizeof(char *));
	_cleanup_free_ char *copy = NULL;
	char *save = NULL;

	if (!rel)
		return hk_error_set(err, EPERM, "%s: outside the build context", src);
	parts = xzalloc(sizeof(char *));
	copy = xstrdup(rel);
	if (strcmp(rel, "."))
		for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save))
			strv_push(&parts, c);
	if (glob_walk(cs, ".", parts, 0, &found, err) < 0)
		return -1;
	if (!found[0])
		return hk_error_set(err, ENOENT, "%s: no such file or directory%s", src,
				    cs->ig ? " in the build context (or excluded by .dockerignore)"
					   : "");
	*out = steal_ptr(&found);
	return 0;
}

/* ---------------------------------------------------------------- digest */

static void dg_str(struct digester *dg, const char *s)
{
	digester_update(dg, s, strlen(s) + 1);
}

int copy_digest(const struct copy_source *cs, const char *rel, struct digester *dg,
		struct hk_error **err)
{
	struct stat sb;
	char meta[96];

	if (stat_rel(cs, rel, &sb, err) < 0)
		return -1;
	snprintf(meta, sizeof(meta), "%o %u %u %lld", (unsigned)sb.st_mode, (unsigned)sb.st_uid,
		 (unsigned)sb.st_gid, S_ISREG(sb.st_mode) ? (long long)sb.st_size : 0LL);
	dg_str(dg, rel);
	dg_str(dg, meta);
	if (S_ISLNK(sb.st_mode)) {
		char target[4096];
		_cleanup_close_ int fd =
			path_open_in_root(cs->rootfd, rel, O_PATH | O_NOFOLLOW, 0, err);
		ssize_t n;
		if (fd < 0)
			return -1;
		n = readlinkat(fd, "", target, sizeof(target) - 1);
		if (n < 0)
			return hk_error_errno(err, "readlink %s", rel);
		target[n] = '\0';
		dg_str(dg, target);
	} else if (S_ISREG(sb.st_mode)) {
		_cleanup_close_ int fd =
			path_open_in_root(cs->rootfd, rel, O_RDONLY | O_NOFOLLOW, 0, err);
		_cleanup_free_ char *buf = xmalloc(COPY_BUF);
		ssize_t n;
		if (fd < 0)
			return -1;
		while ((n = read(fd, buf, COPY_BUF)) > 0)
			digester_update(dg, buf, (size_t)n);
		if (n < 0)
			return hk_error_errno(err, "read %s", rel);
	} else if (S_ISDIR(sb.st_mode)) {
		_cleanup_strv_ char **names = NULL;
		if (list_dir(cs, rel, &names, err) < 0)
			return -1;
		for (char **n = names; *n; n++) {
			_cleanup_free_ char *child = join_rel(rel, *n);
			if (ignored(cs, child) && !build_ignore_has_exceptions(cs->ig))
				continue;
			if (ignored(cs, child)) {
				struct stat cb;
				if (stat_rel(cs, child, &cb, err) < 0)
					return -1;
				if (!S_ISDIR(cb.st_mode))
					continue;
			}
			if (copy_digest(cs, child, dg, err) < 0)
				return -1;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- writing */

bool copy_is_dir(int rootfd, const char *dst)
{
	struct hk_error *e2 = NULL;
	int fd = path_open_in_root(rootfd, dst, O_PATH | O_DIRECTORY, 0, &e2);

	hk_error_free(&e2);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static char *dirname_of(const char *p)
{
	const char *s = strrchr(p, '/');
	if (!s || s == p)
		return xstrdup("/");
	return xstrndup(p, (size_t)(s - p));
}

static const char *basename_of(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* mkdir -p of dst in the root; the directories made here belong to
 * --chown's user, as BuildKit and buildah make them.  Returns an O_PATH fd. */
static int mkdir_owned(const struct copy_dest *cd, const char *dst, struct hk_error **err)
{
	_cleanup_free_ char *copy = NULL;
	char *p;

	if (cd->keep_owner || (cd->uid == 0 && cd->gid == 0) || copy_is_dir(cd->rootfd, dst))
		return path_mkdir_in_root(cd->rootfd, dst, 0755, err);
	copy = xstrdup(dst);
	for (p = copy + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = '\0';
		if (!copy_is_dir(cd->rootfd, copy)) {
			_cleanup_close_ int fd = path_mkdir_in_root(cd->rootfd, copy, 0755, err);
			if (fd < 0)
				return -1;
			if (fchownat(fd, "", cd->uid, cd->gid, AT_EMPTY_PATH) < 0)
				return hk_error_errno(err, "chown %s", copy);
		}
		*p = c;
		if (!c)
			break;
	}
	return path_mkdir_in_root(cd->rootfd, dst, 0755, err);
}

static int set_meta(int dfd, const char *name, const struct stat *sb, const struct copy_dest *cd,
		    const char *what, struct hk_error **err)
{
	uid_t uid = cd->keep_owner ? sb->st_uid : cd->uid;
	gid_t gid = cd->keep_owner ? sb->st_gid : cd->gid;
	struct timespec ts[2] = {sb->st_atim, sb->st_mtim};

	if (fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return hk_error_errno(err, "chown %s", what);
	if (!S_ISLNK(sb->st_mode)) {
		mode_t mode = cd->mode >= 0 ? (mode_t)cd->mode : (sb->st_mode & 07777);
		if (fchmodat(dfd, name, mode, 0) < 0)
			return hk_error_errno(err, "chmod %s", what);
	}
	if (utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return hk_error_errno(err, "set the times of %s", what);
	return 0;
}

/* Remove what is at dfd/name unless it is a directory and keep_dir. */
static int clear_target(int dfd, const char *name, bool keep_dir, const char *what,
			struct hk_error **err)
{
	struct stat sb;

	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : hk_error_errno(err, "stat %s", what);
	if (S_ISDIR(sb.st_mode)) {
		if (keep_dir)
			return 0;
		return rm_rf_at(dfd, name, err);
	}
	if (unlinkat(dfd, name, 0) < 0)
		return hk_error_errno(err, "replace %s", what);
	return 0;
}

static int copy_file_fd(int in, int out, const char *what, struct hk_error **err)
{
	_cleanup_free_ char *buf = xmalloc(COPY_BUF);
	ssize_t n;

	for (;;) {
		ssize_t c = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (c > 0)
			continue;
		if (c == 0)
			return 0;
		break; /* EXDEV, ENOSYS, EINVAL: plain copy */
	}
	while ((n = read(in, buf, COPY_BUF)) > 0)
		if (write_all(out, buf, (size_t)n) != n)
			return hk_error_errno(err, "write %s", what);
	return n < 0 ? hk_error_errno(err, "read %s", what) : 0;
}

static int copy_entry(const struct copy_source *cs, const char *rel, const struct copy_dest *cd,
		      const char *dst, struct hk_error **err);

/* dst is an absolute path in the destination root. */
static int copy_tree(const struct copy_source *cs, const char *rel, const struct copy_dest *cd,
		     const char *dst, struct hk_error **err)
{
	_cleanup_strv_ char **names = NULL;

	if (list_dir(cs, rel, &names, err) < 0)
		return -1;
	for (char **n = names; *n; n++) {
		_cleanup_free_ char *child = join_rel(rel, *n);
		_cleanup_free_ char *cdst = path_join(dst, *n);
		if (ignored(cs, child)) {
			struct stat sb;
			if (!build_ignore_has_exceptions(cs->ig))
				continue;
			if (stat_rel(cs, child, &sb, err) < 0)
				return -1;
			if (!S_ISDIR(sb.st_mode))
				continue;
		}
		if (copy_entry(cs, child, cd, cdst, err) < 0)
			return -1;
	}
	return 0;
}

static int copy_entry(const struct copy_source *cs, const char *rel, const struct copy_dest *cd,
		      const char *dst, struct hk_error **err)
{
	_cleanup_free_ char *parent = dirname_of(dst);
	const char *name = basename_of(dst);
	_cleanup_close_ int dfd = -1;
	struct stat sb;

	if (stat_rel(cs, rel, &sb, err) < 0)
		return -1;
	dfd = mkdir_owned(cd, parent, err);
	if (dfd < 0)
		return -1;
	if (S_ISDIR(sb.st_mode)) {
		if (strcmp(dst, "/")) {
			if (clear_target(dfd, name, true, dst, err) < 0)
				return -1;
			if (mkdirat(dfd, name, 0755) < 0 && errno != EEXIST)
				return hk_error_errno(err, "mkdir %s", dst);
		}
		if (copy_tree(cs, rel, cd, dst, err) < 0)
			return -1;
		return strcmp(dst, "/") ? set_meta(dfd, name, &sb, cd, dst, err) : 0;
	}
	if (clear_target(dfd, name, false, dst, err) < 0)
		return -1;
	if (S_ISLNK(sb.st_mode)) {
		char target[4096];
		_cleanup_close_ int sfd =
			path_open_in_root(cs->rootfd, rel, O_PATH | O_NOFOLLOW, 0, err);
		ssize_t n;
		if (sfd < 0)
			return -1;
		n = readlinkat(sfd, "", target, sizeof(target) - 1);
		if (n < 0)
			return hk_error_errno(err, "readlink %s", rel);
		target[n] = '\0';
		/* copied as it is: the link is resolved in the image, never here */
		if (symlinkat(target, dfd, name) < 0)
			return hk_error_errno(err, "symlink %s", dst);
	} else if (S_ISREG(sb.st_mode)) {
		_cleanup_close_ int in =
			path_open_in_root(cs->rootfd, rel, O_RDONLY | O_NOFOLLOW, 0, err);
		_cleanup_close_ int out = -1;
		if (in < 0)
			return -1;
		out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (out < 0)
			return hk_error_errno(err, "create %s", dst);
		if (copy_file_fd(in, out, dst, err) < 0)
			return -1;
	} else {
		/* sockets, fifos and devices of a context are not copied */
		return 0;
	}
	return set_meta(dfd, name, &sb, cd, dst, err);
}

int copy_into(const struct copy_source *cs, const char *rel, const struct copy_dest *cd,
	      const char *dst, bool into_dir, struct hk_error **err)
{
	struct stat sb;
	_cleanup_free_ char *target = NULL;

	if (stat_rel(cs, rel, &sb, err) < 0)
		return -1;
	if (S_ISDIR(sb.st_mode)) {
		/* a directory's contents go into dst; a dst made here belongs
		 * to --chown's user (the Dockerfile reference: "all new files and
		 * directories") */
		_cleanup_close_ int fd = mkdir_owned(cd, dst, err);
		if (fd < 0)
			return -1;
		return copy_tree(cs, rel, cd, dst, err);
	}
	if (into_dir) {
		_cleanup_close_ int fd = mkdir_owned(cd, dst, err);
		if (fd < 0)
			return -1;
		target = path_join(dst, basename_of(rel));
	} else {
		target = xstrdup(dst);
	}
	return copy_entry(cs, rel, cd, target, err);
}

int copy_write_file(const struct copy_dest *cd, const char *dst, const char *content,
		    struct hk_error **err)
{
	_cleanup_free_ char *parent = dirname_of(dst);
	const char *name = basename_of(dst);
	_cleanup_close_ int dfd = mkdir_owned(cd, parent, err);
	_cleanup_close_ int out = -1;
	size_t len = strlen(content);

	if (dfd < 0 || clear_target(dfd, name, false, dst, err) < 0)
		return -1;
	out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return hk_error_errno(err, "create %s", dst);
	if (write_all(out, content, len) != (ssize_t)len)
		return hk_error_errno(err, "write %s", dst);
	if (fchown(out, cd->uid, cd->gid) < 0 ||
	    fchmod(out, cd->mode >= 0 ? (mode_t)cd->mode : 0644) < 0)
		return hk_error_errno(err, "set the owner and mode of %s", dst);
	return 0;
}

/* ---------------------------------------------------------------- owners */

/* Find name (or a numeric id) in a passwd/group file: field 3 is the id,
 * field 4 the primary group (passwd). */
static int lookup_db(int rootfd, const char *file, const char *name, long *id, long *gid)
{
	_cleanup_close_ int fd = -1;
	_cleanup_fclose_ FILE *f = NULL;
	char line[1024];
	struct hk_error *e2 = NULL;

	fd = path_open_in_root(rootfd, file, O_RDONLY, 0, &e2);
	hk_error_free(&e2);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "r");
	if (!f)
		return -1;
	fd = -1;
	while (fgets(line, sizeof(line), f)) {
		char *fields[5] = {0}, *save = NULL, *p = line;
		size_t n = 0;
		for (char *tok = strsep(&p, ":"); tok && n < 5; tok = strsep(&p, ":"))
			fields[n++] = tok;
		(void)save;
		if (n < 3 || strcmp(fields[0], name))
			continue;
		*id = strtol(fields[2], NULL, 10);
		if (gid)
			*gid = n >= 4 ? strtol(fields[3], NULL, 10) : *id;
		return 0;
	}
	return -1;
}

int copy_resolve_owner(int rootfd, const char *spec, uid_t *uid, gid_t *gid, struct hk_error **err)
{
	_cleanup_free_ char *user = xstrdup(spec);
	char *group = strchr(user, ':');
	long long n;
	long u = 0, g = -1;

	if (group)
		*group++ = '\0';
	if (!*user)
		return hk_error_set(err, 0, "--chown=%s: no user", spec);
	if (parse_ll(user, 0, 0xfffffffe, &n) == 0) {
		u = (long)n;
		g = (long)n; /* a UID without GID: the same number */
	} else if (lookup_db(rootfd, "/etc/passwd", user, &u, &g) < 0) {
		return hk_error_set(err, 0, "--chown=%s: no user '%s' in the image's /etc/passwd",
				    spec, user);
	}
	if (group && *group) {
		if (parse_ll(group, 0, 0xfffffffe, &n) == 0)
			g = (long)n;
		else if (lookup_db(rootfd, "/etc/group", group, &g, NULL) < 0)
			return hk_error_set(err, 0,
					    "--chown=%s: no group '%s' in the image's /etc/group",
					    spec, group);
	}
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return 0;
}
