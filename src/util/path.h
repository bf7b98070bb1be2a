/* hako: resolve paths inside a root directory so that they can never escape it.
 *
 * Every path that comes from an image, a config or a user and names something
 * inside a container's rootfs goes through these functions.  Symlinks are
 * followed as if the root were "/" (RESOLVE_IN_ROOT): an absolute link or a
 * "../../.." stays inside.  Magic links (/proc/self/fd/...) are refused.
 */
#ifndef HAKO_UTIL_PATH_H
#define HAKO_UTIL_PATH_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "util/error.h"

/* Open path inside rootfd.  flags as openat(2) (O_CLOEXEC is added); O_CREAT
 * creates the last component with mode.  Uses openat2(RESOLVE_IN_ROOT) and
 * falls back to a component walk on kernels without it. */
int path_open_in_root(int rootfd, const char *path, int flags, mode_t mode, struct hk_error **err);

/* mkdir -p inside rootfd; returns an O_PATH|O_DIRECTORY fd of the last
 * directory.  Components that exist as symlinks are followed inside the root. */
int path_mkdir_in_root(int rootfd, const char *path, mode_t mode, struct hk_error **err);

/* Create (if missing) a regular empty file inside rootfd, its parents as
 * directories; returns an O_PATH fd of it.  Used for bind-mount targets. */
int path_mkfile_in_root(int rootfd, const char *path, mode_t mode, struct hk_error **err);

/* What a file of this mode is, for messages: "a FIFO", "a block device"... */
const char *path_type_name(mode_t mode);

/* Open for its bytes the file that pathfd (an O_PATH fd) names, only when it
 * is a regular file.  Opening a device node or a FIFO has effects of its own
 * (a FIFO blocks, a tape rewinds, a tty becomes a controlling terminal), so
 * the type is checked on the O_PATH fd first and the same inode is then
 * reopened through /proc/self/fd with flags (O_RDONLY, O_WRONLY, O_TRUNC)
 * plus O_NONBLOCK|O_NOCTTY|O_CLOEXEC: a file swapped in meanwhile is never
 * opened.  *st gets the opened file's fstat.  Another type fails with
 * errnum EFTYPE_HK and "is a FIFO, not a regular file". */
#define EFTYPE_HK EINVAL
int path_reopen_regular(int pathfd, int flags, struct stat *st, struct hk_error **err);

/* Read the regular file path of a root a container or an image controls
 * (a rootfs, a layer) into a NUL-terminated buffer, on the host: resolved
 * in rootfd as path_open_in_root() does (symlinks stay inside, magic links
 * refused), opened by path_reopen_regular() (no device or FIFO is ever
 * opened), refused when larger than max (checked at fstat and while read,
 * so memory stays bounded whatever the file does).  A missing file fails
 * with errnum ENOENT (or ENOTDIR); messages name path. */
int path_read_in_root(int rootfd, const char *path, size_t max, char **out, size_t *len,
		      struct hk_error **err);

/* Tests only: force (or stop forcing) the component walk used where the
 * kernel has no openat2. */
void path_force_walk(bool on);

/* "/proc/self/fd/N" for fd, into buf (at least 32 bytes). */
const char *path_fd(int fd, char *buf, size_t size);

/* Lexically clean a path: collapse "//", "/./" and resolve ".." without going
 * above the start.  The result is absolute when path is. Caller frees. */
char *path_clean(const char *path);

/* Join two paths with exactly one slash between them. Caller frees. */
char *path_join(const char *a, const char *b);

#endif
