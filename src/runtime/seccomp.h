/* hako runtime: seccomp filters from linux.seccomp, through libseccomp. */
#ifndef HAKO_RUNTIME_SECCOMP_H
#define HAKO_RUNTIME_SECCOMP_H

#include <json-c/json.h>

#include "util/error.h"

/* Build and load the filter described by linux.seccomp (NULL: nothing) into
 * the calling process: defaultAction, defaultErrnoRet, architectures, flags,
 * syscalls[] with names, action, errnoRet and args.  Syscall names this
 * libseccomp or architecture does not know are skipped (not fatal).  Loading
 * needs no_new_privs or CAP_SYS_ADMIN, so the runtime calls it either after
 * PR_SET_NO_NEW_PRIVS or before dropping capabilities. */
int seccomp_apply(json_object *linux_seccomp, struct hk_error **err);

/* Compile linux.seccomp once, before the runtime clones the process that
 * will call seccomp_apply() with the same object: the BPF comes from the
 * cache <state_root>/.seccomp/ when an identical profile was compiled
 * before, else from libseccomp (and is stored there).  seccomp_apply() of
 * that object then loads the raw program.  NULL: nothing to prepare. */
int seccomp_prepare(json_object *linux_seccomp, const char *state_root, struct hk_error **err);

/* Check a linux.seccomp object without loading it (bad action names, bad
 * operators...), so create fails early with a clear error. */
int seccomp_validate(json_object *linux_seccomp, struct hk_error **err);

/* Connect to linux.seccomp.listenerPath (nothing when unset) and keep the
 * container's state JSON: seccomp_apply() then sends the process state and
 * the listener fd of a filter with SCMP_ACT_NOTIFY there.  The init calls it
 * before pivot_root, while the host's path is reachable. */
int seccomp_listener_connect(json_object *linux_seccomp, const char *state, struct hk_error **err);
/* The connected socket (to keep open), or -1. */
int seccomp_listener_fd(void);

/* The key spec.c adds to linux.seccomp when the annotation
 * run.oci.seccomp_fail_unknown_syscall is set: an unknown syscall name is
 * then an error instead of being skipped (crun). */
#define SECCOMP_FAIL_UNKNOWN_KEY "hako.failUnknownSyscall"

/* Docker's default profile in OCI linux.seccomp form (new object). */
json_object *seccomp_default_profile(void);

#endif
