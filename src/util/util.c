#include "util/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

void hk_freep(void *p)
{
	free(*(void **)p);
}

void hk_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

void hk_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

void hk_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

void hk_strvfreep(char ***v)
{
	strv_free(*v);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		abort();
	return p;
}

void *xzalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);
	if (!p)
		abort();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		abort();
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (!p)
		abort();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		abort();
	va_end(ap);
	return p;
}

size_t strv_len(char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

void strv_push(char ***v, const char *s)
{
	size_t n = strv_len(*v);
	*v = xrealloc(*v, (n + 2) * sizeof(char *));
	(*v)[n] = xstrdup(s);
	(*v)[n + 1] = NULL;
}

bool strv_has(char *const *v, const char *s)
{
	for (; v && *v; v++)
		if (!strcmp(*v, s))
			return true;
	return false;
}

char **strv_dup(char *const *v)
{
	size_t n = strv_len(v);
	char **r = xzalloc((n + 1) * sizeof(char *));
	for (size_t i = 0; i < n; i++)
		r[i] = xstrdup(v[i]);
	return r;
}

bool str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && strcmp(s + a - b, suffix) == 0;
}

bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

int read_fd_bounded(int fd, const char *path, size_t hint, size_t max, char **out, size_t *len,
		    struct hk_error **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0, cap = hint ? hint : 4096;

	if (cap > max + 1)
		cap = max + 1;
	buf = xmalloc(cap + 1);
	for (;;) {
		ssize_t n;
		if (size == cap) {
			if (cap > max)
				return hk_error_set(err, EFBIG, "read %s: larger than %zu bytes",
						    path, max);
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			buf = xrealloc(buf, cap + 1);
		}
		n = read(fd, buf + size, cap - size);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return hk_error_errno(err, "read %s", path);
		}
		if (n == 0)
			break;
		size += (size_t)n;
	}
	buf[size] = '\0';
	if (len)
		*len = size;
	*out = steal_ptr(&buf);
	return 0;
}

int read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *len,
		 struct hk_error **err)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return hk_error_errno(err, "open %s", path);
	return read_fd_bounded(fd, path, 0, max, out, len, err);
}

int write_file_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
		  struct hk_error **err)
{
	_cleanup_close_ int fd =
		openat(dirfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);

	if (fd < 0)
		return hk_error_errno(err, "open %s", path);
	if (write_all(fd, data, len) < 0)
		return hk_error_errno(err, "write %s", path);
	return 0;
}

int file_rewrite_in_place(const char *path, const void *data, size_t len, struct hk_error **err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t done = 0;

	if (fd < 0)
		return errno == ENOENT ? 0 : hk_error_errno(err, "open %s", path);
	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)data + done, len - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return hk_error_errno(err, "write %s", path);
		done += (size_t)n;
	}
	if (ftruncate(fd, (off_t)len) < 0)
		return hk_error_errno(err, "truncate %s", path);
	return 0;
}

static int write_replace(const char *path, const void *data, size_t len, mode_t mode, bool sync,
			 struct hk_error **err)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	_cleanup_close_ int fd =
		open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);

	if (fd < 0)
		return hk_error_errno(err, "create %s", tmp);
	if (write_all(fd, data, len) < 0 || (sync && fsync(fd) < 0)) {
		hk_error_errno(err, "write %s", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		hk_error_errno(err, "rename %s to %s", tmp, path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      struct hk_error **err)
{
	return write_replace(path, data, len, mode, true, err);
}

int write_file_replace(const char *path, const void *data, size_t len, mode_t mode,
		       struct hk_error **err)
{
	return write_replace(path, data, len, mode, false, err);
}

int mkdir_p(const char *path, mode_t mode, struct hk_error **err)
{
	_cleanup_free_ char *p = xstrdup(path);
	struct stat st;

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return hk_error_errno(err, "mkdir %s", p);
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return hk_error_errno(err, "mkdir %s", p);
	if (stat(p, &st) < 0)
		return hk_error_errno(err, "stat %s", p);
	if (!S_ISDIR(st.st_mode))
		return hk_error_set(err, ENOTDIR, "mkdir %s", p);
	return 0;
}

/* One directory on the way down: its name in its parent, its identity (to
 * check ".." on the way up) and where its scan stopped. */
struct rm_level {
	char *name;
	dev_t dev;
	ino_t ino;
	long off;     /* telldir() after the subdirectory entered, 0: none */
	bool partial; /* the scan started at off, not at the beginning */
};

/* Scan the directory cur: unlink what is not a directory; return (in
 * *child) the first subdirectory, or NULL when none is left. */
static int rm_scan(int cur, struct rm_level *lv, dev_t dev, char **child, struct hk_error **err)
{
	_cleanup_dir_ DIR *d = NULL;
	struct dirent *de;
	int fd = fcntl(cur, F_DUPFD_CLOEXEC, 3);

	*child = NULL;
	if (fd < 0)
		return hk_error_errno(err, "dup");
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return hk_error_errno(err, "read %s", lv->name);
	}
	lv->partial = lv->off != 0;
	if (lv->off)
		seekdir(d, lv->off);
	while ((errno = 0, de = readdir(d))) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(cur, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			/* Never descend into another file system: a bind mount
			 * left behind must not take the host's files with it. */
			if (st.st_dev != dev)
				return hk_error_set(err, EBUSY, "%s is a mount point", de->d_name);
			lv->off = telldir(d);
			*child = xstrdup(de->d_name);
			return 0;
		}
		if (unlinkat(cur, de->d_name, 0) < 0 && errno != ENOENT)
			return hk_error_errno(err, "unlink %s", de->d_name);
	}
	if (errno)
		return hk_error_errno(err, "read %s", lv->name);
	return 0;
}

/* rm -rf of the directory name in dirfd, without recursion: at most two
 * directory fds are open whatever the depth (a container can nest
 * directories hundreds of thousands deep; a recursive walk holding a fd per
 * level ran out of them at 1024 and left the container unremovable).  The
 * way back up is "..", checked against the device and inode recorded on
 * the way down, so nothing moved meanwhile is followed. */
static int rm_tree(int dirfd, const char *name, dev_t dev, struct hk_error **err)
{
	struct rm_level *lv = NULL;
	size_t n = 0;
	int cur = -1, r = -1;
	struct stat st;

	cur = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cur < 0 || fstat(cur, &st) < 0) {
		hk_error_errno(err, "open %s", name);
		goto out;
	}
	lv = xmalloc(sizeof(*lv));
	lv[n++] = (struct rm_level){.name = xstrdup(name), .dev = st.st_dev, .ino = st.st_ino};
	while (n > 0) {
		struct rm_level *top = &lv[n - 1];
		char *child = NULL;
		int next;

		if (rm_scan(cur, top, dev, &child, err) < 0)
			goto out;
		if (child) {
			next = openat(cur, child, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (next < 0 || fstat(next, &st) < 0) {
				hk_error_errno(err, "open %s", child);
				free(child);
				if (next >= 0)
					close(next);
				goto out;
			}
			close(cur);
			cur = next;
			lv = xrealloc(lv, (n + 1) * sizeof(*lv));
			lv[n++] = (struct rm_level){
				.name = child, .dev = st.st_dev, .ino = st.st_ino};
			continue;
		}
		if (top->partial) {
			/* offsets may shift on some file systems as entries go:
			 * one scan from the start confirms the directory is empty */
			top->off = 0;
			continue;
		}
		/* empty: up to the parent and remove it there */
		if (n == 1) {
			close(cur);
			cur = -1;
			if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
				hk_error_errno(err, "rmdir %s", name);
				goto out;
			}
			r = 0;
			goto out;
		}
		next = openat(cur, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 || fstat(next, &st) < 0 || st.st_dev != lv[n - 2].dev ||
		    st.st_ino != lv[n - 2].ino) {
			hk_error_set(err, EBUSY, "%s: moved while it was removed", top->name);
			if (next >= 0)
				close(next);
			goto out;
		}
		close(cur);
		cur = next;
		if (unlinkat(cur, top->name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
			hk_error_errno(err, "rmdir %s", top->name);
			goto out;
		}
		free(top->name);
		n--;
	}
out:
	if (cur >= 0)
		close(cur);
	if (r < 0 && n > 1)
		hk_error_wrap(err, "%s (%zu levels down)", name, n - 1);
	while (n > 0)
		free(lv[--n].name);
	free(lv);
	return r;
}

int rm_rf_at(int dirfd, const char *name, struct hk_error **err)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return hk_error_errno(err, "stat %s", name);
	}
	if (S_ISDIR(st.st_mode))
		return rm_tree(dirfd, name, st.st_dev, err);
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return hk_error_errno(err, "unlink %s", name);
	return 0;
}

int rm_rf(const char *path, struct hk_error **err)
{
	return rm_rf_at(AT_FDCWD, path, err);
}

int parse_ll(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	if (!s || !*s) {
		errno = EINVAL;
		return -1;
	}
	v = strtoll(s, &end, 10);
	if (errno)
		return -1;
	if (*end) {
		errno = EINVAL;
		return -1;
	}
	if (v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

unsigned long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

void hk_child_exit(int code)
{
#ifdef __SANITIZE_ADDRESS__
	__lsan_do_leak_check();
#endif
	_exit(code);
}
