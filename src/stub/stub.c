/* hako-stub: the last program hako runs before a container's program.
 *
 * CVE-2019-5736: while a process execve()s inside a container, its
 * /proc/self/exe is still the runtime's binary on the host.  A container file
 * starting with `#!/proc/self/exe` (or any path to that magic link) makes the
 * kernel run the host's hako in the container, under the container's ELF
 * interpreter; that code keeps an fd of the binary and rewrites it on the
 * host once no process runs it any more.  runc and crun run their whole
 * container setup from a sealed memfd copy of themselves; hako instead
 * execs this small static program from a sealed memfd (src/util/sealexec.c)
 * and lets it exec the container's program.  /proc/self/exe seen from the
 * container is then this stub's sealed copy: it cannot be written, and it
 * has no ELF interpreter, so a container's ld.so never runs in its place.
 *
 * No libc: it is copied into a memfd for every container process, so it must
 * stay a few KiB, and it makes only the syscalls the container's seccomp
 * profile already sees for any program start (fcntl, execve, write, exit).
 *
 *   argv: HK_STUB_MAGIC REPORT-FD TAG WHAT EXE ARGV0 ARGV1 ...
 *
 * REPORT-FD ("-" for none) is kept open across the exec into the stub and
 * marked close-on-exec here, so it closes when EXE runs (the runtime's "the
 * program runs" signal: the exec fifo's EOF, the sync socket's EOF).  If
 * execve(EXE) fails, the error goes there as hk_error_send() writes it,
 * after the one-byte TAG when TAG is not empty, with the message
 * "WHAT: strerror".  Run any other way (as a script's interpreter) it says
 * what it is and exits 127. */
#include <linux/errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "stub/stub.h"

#define F_SETFD_    2
#define FD_CLOEXEC_ 1

#if defined(__x86_64__)
__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	xor %rbp, %rbp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call stub_main\n"
	"	hlt\n");

static long sys3(long nr, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}
#elif defined(__aarch64__)
__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	mov x29, #0\n"
	"	mov x30, #0\n"
	"	mov x0, sp\n"
	"	bl stub_main\n"
	"	brk #0\n");

static long sys3(long nr, long a, long b, long c)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	__asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
	return x0;
}
#else
#error "hako-stub: add this architecture's _start and syscall"
#endif

void stub_main(long *sp) __attribute__((noreturn, used));

static size_t slen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static int same(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static __attribute__((noreturn)) void leave(int code)
{
	for (;;)
		sys3(SYS_exit_group, code, 0, 0);
}

static void say(int fd, const char *s)
{
	sys3(SYS_write, fd, (long)s, (long)slen(s));
}

/* glibc's text for the errors execve can give, so that a report reads as it
 * did when hako exec'd the program itself */
static const char *exec_strerror(int e)
{
	switch (e) {
	case EPERM:
		return "Operation not permitted";
	case ENOENT:
		return "No such file or directory";
	case EIO:
		return "Input/output error";
	case E2BIG:
		return "Argument list too long";
	case ENOEXEC:
		return "Exec format error";
	case ENOMEM:
		return "Cannot allocate memory";
	case EACCES:
		return "Permission denied";
	case EFAULT:
		return "Bad address";
	case ENOTDIR:
		return "Not a directory";
	case EISDIR:
		return "Is a directory";
	case EINVAL:
		return "Invalid argument";
	case ETXTBSY:
		return "Text file busy";
	case ENFILE:
		return "Too many open files in system";
	case EMFILE:
		return "Too many open files";
	case ENAMETOOLONG:
		return "File name too long";
	case ELOOP:
		return "Too many levels of symbolic links";
	case ELIBBAD:
		return "Accessing a corrupted shared library";
	case EAGAIN:
		return "Resource temporarily unavailable";
	default:
		return "exec failed";
	}
}

static size_t put(char *buf, size_t at, size_t cap, const char *s)
{
	while (*s && at < cap)
		buf[at++] = *s++;
	return at;
}

static void report(int fd, const char *tag, const char *what, int e)
{
	char buf[4096];
	size_t n = 0, hdr, len;
	uint32_t v;

	if (tag[0])
		buf[n++] = tag[0];
	hdr = n;
	n += 8;
	n = put(buf, n, sizeof(buf), what);
	n = put(buf, n, sizeof(buf), ": ");
	n = put(buf, n, sizeof(buf), exec_strerror(e));
	len = n - hdr - 8;
	v = (uint32_t)e;
	for (int i = 0; i < 4; i++)
		buf[hdr + i] = ((const char *)&v)[i];
	v = (uint32_t)len;
	for (int i = 0; i < 4; i++)
		buf[hdr + 4 + i] = ((const char *)&v)[i];
	for (size_t off = 0; off < n;) {
		long w = sys3(SYS_write, fd, (long)(buf + off), (long)(n - off));
		if (w == -EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

static int parse_fd(const char *s)
{
	int v = 0;

	if (!*s || *s == '-')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 100000000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

void stub_main(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1), **envp = argv + argc + 1;
	int fd, e;
	long r;

	if (argc < 5 || !same(argv[0], HK_STUB_MAGIC)) {
		say(2, "hako-stub: a sealed copy that only starts container processes for hako\n");
		leave(127);
	}
	fd = parse_fd(argv[1]);
	if (fd >= 0 && sys3(SYS_fcntl, fd, F_SETFD_, FD_CLOEXEC_) < 0) {
		/* never leak it into the program: give up the report */
		sys3(SYS_close, fd, 0, 0);
		fd = -1;
	}
	r = sys3(SYS_execve, (long)argv[4], (long)(argv + 5), (long)envp);
	e = (int)-r;
	if (fd >= 0)
		report(fd, argv[2], argv[3], e);
	leave(e == ENOENT ? 127 : 126);
}
