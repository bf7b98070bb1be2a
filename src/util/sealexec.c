/* hako: the sealed stub every container program is exec'd through.
 *
 * Why a stub and not a sealed copy of hako itself (runc 1.1, crun): only
 * the file that /proc/self/exe names when the container's program is
 * exec'd has to be sealed, and it need not be hako.  A memfd copy of hako
 * (3.2 MB) or hako-runtime re-exec'd for every container start costs the
 * copy plus a second start of the whole dynamic program, 1.5 to 2.6 ms; the
 * stub is a static program of about 2 KiB with no ELF interpreter, made and
 * exec'd in about 20 microseconds (docs/runtime.md has the figures).  runc
 * 1.2.0 had the same idea (runc-dmz) and dropped it for a private overlayfs
 * mount over its binary; the one case where a stub changes the program's
 * capabilities is handled by process_exec() (src/runtime/process.c).
 *
 * The stub is linked into this object with .incbin (the Makefile passes its
 * path), so there is no file to find or to trust at run time. */
#include "util/sealexec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "stub/stub.h"
#include "util/util.h"

#ifndef HK_STUB_PATH
#error "HK_STUB_PATH: the Makefile names the built hako-stub"
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

__asm__(".section .rodata\n"
	".balign 16\n"
	".globl hk_stub_bin\n"
	".hidden hk_stub_bin\n"
	"hk_stub_bin:\n"
	".incbin \"" HK_STUB_PATH "\"\n"
	".globl hk_stub_end\n"
	".hidden hk_stub_end\n"
	"hk_stub_end:\n"
	".previous\n");
extern const unsigned char hk_stub_bin[] __attribute__((visibility("hidden")));
extern const unsigned char hk_stub_end[] __attribute__((visibility("hidden")));

int sealexec_open(struct hk_error **err)
{
	_cleanup_close_ int fd = -1;
	size_t n = (size_t)(hk_stub_end - hk_stub_bin);

	/* MFD_EXEC (Linux 6.3): say that this memfd is meant to be exec'd, so a
	 * vm.memfd_noexec=1 host does not make it non-executable; older
	 * kernels refuse the unknown flag */
	fd = memfd_create("hako-stub", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
	if (fd < 0 && errno == EINVAL)
		fd = memfd_create("hako-stub", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return hk_error_errno(err, "memfd for the sealed stub");
	if (write_all(fd, hk_stub_bin, n) < 0)
		return hk_error_errno(err, "write the sealed stub");
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0)
		return hk_error_errno(err, "seal the stub");
	return steal_fd(&fd);
}

int sealexec_exec(int stub_fd, int report_fd, char tag, const char *what, const char *exe,
		  char *const argv[], char *const envp[])
{
	size_t n = strv_len(argv);
	char fdbuf[16], tagbuf[2] = {tag, '\0'}, path[48];
	_cleanup_free_ char **v = xmalloc((n + 6) * sizeof(*v));
	int e;

	snprintf(fdbuf, sizeof(fdbuf), "%d", report_fd);
	v[0] = (char *)HK_STUB_MAGIC;
	v[1] = report_fd >= 0 ? fdbuf : (char *)"-";
	v[2] = tagbuf;
	v[3] = (char *)what;
	v[4] = (char *)exe;
	memcpy(v + 5, argv, (n + 1) * sizeof(*v));
	/* the stub marks it close-on-exec again before it execs exe */
	if (report_fd >= 0 && fcntl(report_fd, F_SETFD, 0) < 0)
		return -1;
	syscall(SYS_execveat, stub_fd, "", v, envp, AT_EMPTY_PATH);
	e = errno;
	if (e == ENOSYS || e == EPERM || e == EACCES) {
		/* a seccomp profile without execveat: the same file by path,
		 * through the container's /proc */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", stub_fd);
		execve(path, v, envp);
	}
	if (report_fd >= 0)
		fcntl(report_fd, F_SETFD, FD_CLOEXEC);
	errno = e;
	return -1;
}
