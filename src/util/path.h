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
