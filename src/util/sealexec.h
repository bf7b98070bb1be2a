/* hako: start a container's program from a sealed in-memory stub, never from
 * a binary on the host's disk (CVE-2019-5736; src/stub/stub.c says how). */
#ifndef HAKO_UTIL_SEALEXEC_H
#define HAKO_UTIL_SEALEXEC_H

#include "util/error.h"

/* A close-on-exec memfd holding hako-stub (a few KiB built into this
 * binary), sealed against every write, shrink and grow.  Made by the
 * runtime before it forks a process that will exec inside a container, so
 * that the memfd exists before that process's seccomp filter does. */
int sealexec_open(struct hk_error **err);

/* Exec exe with argv and envp through the stub in stub_fd: the process runs
 * the sealed stub, which execs exe.  report_fd (-1 for none) stays open
 * until exe runs; if exe cannot be exec'd the stub writes the error there
 * as hk_error_send() does ("what: strerror"), after the byte tag unless tag
 * is 0, and exits 127 (ENOENT) or 126.  Returns only if the stub itself
 * could not be exec'd: -1 with errno set. */
int sealexec_exec(int stub_fd, int report_fd, char tag, const char *what, const char *exe,
		  char *const argv[], char *const envp[]);

#endif
