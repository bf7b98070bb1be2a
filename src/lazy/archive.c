/* hako: libarchive, loaded on first use (see lazy.h). */
#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "lazy/lazy.h"

static struct lazy_lib arc = {.soname = "libarchive.so.13"};

#define E struct archive_entry *e
#define A struct archive *a

/* archive */
LAZY_FN(arc, struct archive *, archive_read_new, (void), ())
LAZY_FN(arc, struct archive *, archive_write_new, (void), ())
LAZY_FN(arc, int, archive_errno, (A), (a))
LAZY_FN(arc, const char *, archive_error_string, (A), (a))
LAZY_FN(arc, la_ssize_t, archive_read_data, (A, void *buf, size_t n), (a, buf, n))
LAZY_FN(arc, int, archive_read_data_block, (A, const void **buf, size_t *size, la_int64_t *offset),
	(a, buf, size, offset))
LAZY_FN(arc, int, archive_read_free, (A), (a))
LAZY_FN(arc, int, archive_read_next_header, (A, struct archive_entry **e), (a, e))
LAZY_FN(arc, int, archive_read_open,
	(A, void *data, archive_open_callback *o, archive_read_callback *r,
	 archive_close_callback *c),
	(a, data, o, r, c))
LAZY_FN(arc, const char *, archive_bzlib_version, (void), ())
LAZY_FN(arc, int, archive_read_open_fd, (A, int fd, size_t block), (a, fd, block))
LAZY_FN(arc, int, archive_read_support_filter_all, (A), (a))
LAZY_FN(arc, int, archive_read_support_filter_bzip2, (A), (a))
LAZY_FN(arc, int, archive_read_support_filter_gzip, (A), (a))
LAZY_FN(arc, int, archive_read_support_filter_none, (A), (a))
LAZY_FN(arc, int, archive_read_support_filter_xz, (A), (a))
LAZY_FN(arc, int, archive_read_support_filter_zstd, (A), (a))
LAZY_FN(arc, int, archive_read_support_format_empty, (A), (a))
LAZY_FN(arc, int, archive_read_support_format_gnutar, (A), (a))
LAZY_FN(arc, int, archive_read_support_format_raw, (A), (a))
LAZY_FN(arc, int, archive_read_support_format_tar, (A), (a))
LAZY_FN(arc, int, archive_write_add_filter_gzip, (A), (a))
LAZY_FN(arc, int, archive_write_add_filter_none, (A), (a))
LAZY_FN(arc, int, archive_write_close, (A), (a))
LAZY_FN(arc, la_ssize_t, archive_write_data, (A, const void *buf, size_t n), (a, buf, n))
LAZY_FN(arc, int, archive_write_free, (A), (a))
LAZY_FN(arc, int, archive_write_header, (A, E), (a, e))
LAZY_FN(arc, int, archive_write_open2,
	(A, void *data, archive_open_callback *o, archive_write_callback *w,
	 archive_close_callback *c, archive_free_callback *fr),
	(a, data, o, w, c, fr))
LAZY_FN(arc, int, archive_write_open_fd, (A, int fd), (a, fd))
LAZY_FN(arc, int, archive_write_open_filename, (A, const char *file), (a, file))
LAZY_FN(arc, int, archive_write_set_bytes_in_last_block, (A, int n), (a, n))
LAZY_FN(arc, int, archive_write_set_format_cpio_newc, (A), (a))
LAZY_FN(arc, int, archive_write_set_format_pax_restricted, (A), (a))

/* variadic: format here, hand over the text */
void(archive_set_error)(struct archive *a, int err, const char *fmt, ...)
{
	static __typeof__(&archive_set_error) fn;
	__typeof__(&archive_set_error) f = __atomic_load_n(&fn, __ATOMIC_ACQUIRE);
	char msg[1024];
	va_list ap;

	if (!f) {
		f = (__typeof__(&archive_set_error))lazy_sym(&arc, "archive_set_error");
		__atomic_store_n(&fn, f, __ATOMIC_RELEASE);
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f(a, err, "%s", msg);
}

/* archive_entry */
LAZY_FN(arc, void, archive_entry_copy_pathname, (E, const char *s), (e, s))
LAZY_FN(arc, void, archive_entry_copy_stat, (E, const struct stat *st), (e, st))
LAZY_FN(arc, void, archive_entry_copy_symlink, (E, const char *s), (e, s))
LAZY_FN(arc, void, archive_entry_xattr_add_entry, (E, const char *name, const void *v, size_t n),
	(e, name, v, n))
LAZY_FN(arc, struct archive_entry_linkresolver *, archive_entry_linkresolver_new, (void), ())
LAZY_FN(arc, void, archive_entry_linkresolver_free, (struct archive_entry_linkresolver * r), (r))
LAZY_FN(arc, void, archive_entry_linkresolver_set_strategy,
	(struct archive_entry_linkresolver * r, int format), (r, format))
LAZY_FN(arc, void, archive_entry_linkify,
	(struct archive_entry_linkresolver * r, struct archive_entry **a, struct archive_entry **b),
	(r, a, b))
LAZY_FN(arc, struct archive_entry *, archive_entry_new, (void), ())
LAZY_FN(arc, void, archive_entry_free, (E), (e))
LAZY_FN(arc, time_t, archive_entry_atime, (E), (e))
LAZY_FN(arc, int, archive_entry_atime_is_set, (E), (e))
LAZY_FN(arc, long, archive_entry_atime_nsec, (E), (e))
LAZY_FN(arc, __LA_MODE_T, archive_entry_filetype, (E), (e))
LAZY_FN(arc, la_int64_t, archive_entry_gid, (E), (e))
LAZY_FN(arc, const char *, archive_entry_hardlink, (E), (e))
LAZY_FN(arc, time_t, archive_entry_mtime, (E), (e))
LAZY_FN(arc, long, archive_entry_mtime_nsec, (E), (e))
LAZY_FN(arc, const char *, archive_entry_pathname, (E), (e))
LAZY_FN(arc, __LA_MODE_T, archive_entry_perm, (E), (e))
LAZY_FN(arc, dev_t, archive_entry_rdev, (E), (e))
LAZY_FN(arc, la_int64_t, archive_entry_size, (E), (e))
LAZY_FN(arc, const char *, archive_entry_symlink, (E), (e))
LAZY_FN(arc, la_int64_t, archive_entry_uid, (E), (e))
LAZY_FN(arc, void, archive_entry_set_filetype, (E, unsigned int t), (e, t))
LAZY_FN(arc, void, archive_entry_set_gid, (E, la_int64_t v), (e, v))
LAZY_FN(arc, void, archive_entry_set_hardlink, (E, const char *s), (e, s))
LAZY_FN(arc, void, archive_entry_set_gname, (E, const char *s), (e, s))
LAZY_FN(arc, void, archive_entry_set_mode, (E, __LA_MODE_T m), (e, m))
LAZY_FN(arc, void, archive_entry_set_mtime, (E, time_t t, long ns), (e, t, ns))
LAZY_FN(arc, void, archive_entry_set_nlink, (E, unsigned int n), (e, n))
LAZY_FN(arc, void, archive_entry_set_pathname, (E, const char *s), (e, s))
LAZY_FN(arc, void, archive_entry_set_perm, (E, __LA_MODE_T m), (e, m))
LAZY_FN(arc, void, archive_entry_set_size, (E, la_int64_t v), (e, v))
LAZY_FN(arc, void, archive_entry_set_symlink, (E, const char *s), (e, s))
LAZY_FN(arc, void, archive_entry_set_uid, (E, la_int64_t v), (e, v))
LAZY_FN(arc, void, archive_entry_set_uname, (E, const char *s), (e, s))
LAZY_FN(arc, int, archive_entry_xattr_next, (E, const char **name, const void **value, size_t *n),
	(e, name, value, n))
LAZY_FN(arc, int, archive_entry_xattr_reset, (E), (e))
