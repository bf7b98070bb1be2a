/* hako: unix stream sockets by path, for every socket hako binds or
 * connects to (attach, VM console and QMP, the runtime's console socket).
 *
 * A path longer than sun_path (108 bytes, easily reached by a deep --root or
 * --runroot) is reached through an O_PATH descriptor of its directory:
 * "/proc/self/fd/<n>/<name>", as runc does.  Only the last component then
 * has to be short. */
#ifndef HAKO_UTIL_SOCK_H
#define HAKO_UTIL_SOCK_H

#include "util/error.h"

/* A connected SOCK_STREAM socket (SOCK_CLOEXEC | flags, e.g. SOCK_NONBLOCK)
 * or -1 with err set ("connect to <path>: <errno>"). */
int sock_unix_connect(const char *path, int flags, struct hk_error **err);

/* The same for name in the directory dirfd (AT_FDCWD: path as given). */
int sock_unix_connectat(int dirfd, const char *name, int flags, struct hk_error **err);

/* A listening socket bound at path; a stale socket file there is removed
 * first.  -1 with err set ("listen on <path>: <errno>"). */
int sock_unix_listen(const char *path, int flags, int backlog, struct hk_error **err);

/* The same for name in the directory dirfd. */
int sock_unix_listenat(int dirfd, const char *name, int flags, int backlog, struct hk_error **err);

#endif
