/* hako: small helpers every module uses: cleanup attributes, allocation that
 * never returns NULL, whole-buffer I/O, files and strings. */
#ifndef HAKO_UTIL_UTIL_H
#define HAKO_UTIL_UTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "util/error.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- cleanup attributes ---- */
void hk_freep(void *p);
void hk_closep(int *fd);
void hk_fclosep(FILE **f);
void hk_closedirp(DIR **d);
void hk_strvfreep(char ***v);

#define _cleanup_(f)	 __attribute__((cleanup(f)))
#define _cleanup_free_	 _cleanup_(hk_freep)
#define _cleanup_close_	 _cleanup_(hk_closep)
#define _cleanup_fclose_ _cleanup_(hk_fclosep)
#define _cleanup_dir_	 _cleanup_(hk_closedirp)
#define _cleanup_strv_	 _cleanup_(hk_strvfreep)
#define _cleanup_error_	 _cleanup_(hk_error_free)

/* Take ownership of *pp, leaving NULL behind. */
static inline void *steal_ptr_impl(void **pp)
{
	void *p = *pp;
	*pp = NULL;
	return p;
}
#define steal_ptr(pp) steal_ptr_impl((void **)(pp))

/* Take ownership of *fdp, leaving -1 behind. */
static inline int steal_fd(int *fdp)
{
	int fd = *fdp;
	*fdp = -1;
	return fd;
}

/* ---- allocation: abort on out-of-memory, never return NULL ---- */
void *xmalloc(size_t n);
void *xzalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) HK_PRINTF(1, 2);

/* ---- string vectors (NULL-terminated char *arrays) ---- */
size_t strv_len(char *const *v);
void strv_free(char **v);
/* Append a copy of s to *v (which may be NULL). */
void strv_push(char ***v, const char *s);
char **strv_dup(char *const *v);
/* Whether v holds s. */
bool strv_has(char *const *v, const char *s);

/* ---- strings ---- */
bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);
bool str_eq(const char *a, const char *b); /* NULL-safe */

/* ---- I/O ---- */
/* Write all of buf, retrying on EINTR and short writes; -1 with errno. */
ssize_t write_all(int fd, const void *buf, size_t len);
/* Read until len bytes or EOF; returns bytes read, -1 with errno. */
ssize_t read_all(int fd, void *buf, size_t len);

/* Read fd to EOF into a NUL-terminated *out (caller frees), at most max
 * bytes: more is an EFBIG error naming path; hint is the first buffer size
 * (st_size + 1, or 0 for 4 KiB). */
int read_fd_bounded(int fd, const char *path, size_t hint, size_t max, char **out, size_t *len,
		    struct hk_error **err);
/* Read a whole file relative to dirfd (AT_FDCWD allowed) into a NUL-terminated
 * buffer.  Files over max bytes are refused. */
int read_file_at(int dirfd, const char *path, size_t max, char **out, size_t *len,
		 struct hk_error **err);
/* Write data to path relative to dirfd (O_TRUNC|O_CREAT with mode). */
int write_file_at(int dirfd, const char *path, const void *data, size_t len, mode_t mode,
		  struct hk_error **err);
/* Replace the content of an existing regular file in place, keeping its
 * inode (for files bind-mounted into containers: /etc/hosts, resolv.conf):
 * written from offset 0, then cut to len.  Not O_TRUNC: ext4 flushes a file
 * truncated to zero and rewritten when it is closed (auto_da_alloc), ~1 ms
 * a file.  A missing file is left missing (returns 0). */
int file_rewrite_in_place(const char *path, const void *data, size_t len, struct hk_error **err);
/* Write atomically: a temp file in the same directory, fsync'ed, renamed. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
		      struct hk_error **err);
/* The same without the fsync: a reader never sees half of the file, but a
 * power loss may leave it empty.  For files that are regenerated (a
 * container's config.json) or live in the runroot (a tmpfs, gone at boot). */
int write_file_replace(const char *path, const void *data, size_t len, mode_t mode,
		       struct hk_error **err);
/* mkdir -p; existing directories are fine. */
int mkdir_p(const char *path, mode_t mode, struct hk_error **err);
/* rm -rf without following symlinks and without crossing mount points. */
int rm_rf(const char *path, struct hk_error **err);
int rm_rf_at(int dirfd, const char *name, struct hk_error **err);

/* Parse a decimal integer within [min, max]; -1 with errno EINVAL/ERANGE. */
int parse_ll(const char *s, long long min, long long max, long long *out);

/* Monotonic clock in nanoseconds. */
unsigned long long now_ns(void);
/* Sleep ms milliseconds; a signal does not cut it short. */
void sleep_ms(long ms);

/* End a forked child as _exit(2) does.  Under AddressSanitizer, run
 * LeakSanitizer's check first: its at-exit pass never runs after _exit(), so
 * a long-lived child (a container monitor) would hide its leaks.  A leak ends
 * the process with ASAN_OPTIONS' exitcode instead of code. */
void hk_child_exit(int code) __attribute__((noreturn));

#endif
