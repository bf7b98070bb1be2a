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

int read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *len,
		 struct hk_error **err)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t size = 0, cap = 4096;

	if (fd < 0)
		return hk_error_errno(err, "open %s", path);
	buf = xmalloc(cap + 1);
	for (;;) {
		ssize_t n;
		if (size == cap) {
			if (cap >= max)
				return hk_error_set(err, EFBIG, "%s is larger than %zu bytes", path,
						    max);
			cap = cap * 2 > max ? max : cap * 2;
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

static int rm_rf_children(int dfd, dev_t dev, struct hk_error **err);

int rm_rf_at(int dirfd, const char *name, struct hk_error **err)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return hk_error_errno(err, "stat %s", name);
	}
	if (S_ISDIR(st.st_mode)) {
		_cleanup_close_ int fd =
			openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return hk_error_errno(err, "open %s", name);
		if (rm_rf_children(fd, st.st_dev, err) < 0)
			return hk_error_wrap(err, "%s", name);
		if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
			return hk_error_errno(err, "rmdir %s", name);
		return 0;
	}
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return hk_error_errno(err, "unlink %s", name);
	return 0;
}

static int rm_rf_children(int dfd, dev_t dev, struct hk_error **err)
{
	int fd2 = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
	_cleanup_dir_ DIR *d = NULL;
	struct dirent *de;

	if (fd2 < 0)
		return hk_error_errno(err, "dup");
	d = fdopendir(fd2);
	if (!d) {
		close(fd2);
		return hk_error_errno(err, "fdopendir");
	}
	while ((errno = 0, de = readdir(d))) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		/* Never descend into another file system: a bind mount left
		 * behind must not take the host's files with it. */
		if (S_ISDIR(st.st_mode) && st.st_dev != dev)
			return hk_error_set(err, EBUSY, "%s is a mount point", de->d_name);
		if (rm_rf_at(dfd, de->d_name, err) < 0)
			return -1;
	}
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
