/* Docker's default seccomp profile (moby profiles/seccomp/default.json) as
 * data, resolved for Docker's default capability set (caps_docker_default():
 * no CAP_SYS_ADMIN, CAP_SYS_PTRACE..., but CAP_SYS_CHROOT) and for the
 * architecture hako was built for.  What that resolution means:
 *   - errors with EPERM for anything not listed (defaultErrnoRet 1);
 *   - process_vm_readv/writev and ptrace allowed (kernel >= 4.8 rule);
 *   - socket() allowed except for AF_VSOCK (40);
 *   - personality() only with PER_LINUX, PER_LINUX32, UNAME26 and
 *     UNAME26|PER_LINUX32, or the 0xffffffff query;
 *   - clone() only without namespace flags (mask 0x7E020000), clone3()
 *     answers ENOSYS so that libcs fall back to clone();
 *   - chroot() allowed (CAP_SYS_CHROOT is a default capability). */
#include <json-c/json.h>
#include <stdint.h>

#include "runtime/seccomp.h"
#include "util/util.h"

static const char *const allowed[] = {
	"accept",
	"accept4",
	"access",
	"adjtimex",
	"alarm",
	"bind",
	"brk",
	"capget",
	"capset",
	"chdir",
	"chmod",
	"chown",
	"chown32",
	"clock_adjtime",
	"clock_adjtime64",
	"clock_getres",
	"clock_getres_time64",
	"clock_gettime",
	"clock_gettime64",
	"clock_nanosleep",
	"clock_nanosleep_time64",
	"close",
	"close_range",
	"connect",
	"copy_file_range",
	"creat",
	"dup",
	"dup2",
	"dup3",
	"epoll_create",
	"epoll_create1",
	"epoll_ctl",
	"epoll_ctl_old",
	"epoll_pwait",
	"epoll_pwait2",
	"epoll_wait",
	"epoll_wait_old",
	"eventfd",
	"eventfd2",
	"execve",
	"execveat",
	"exit",
	"exit_group",
	"faccessat",
	"faccessat2",
	"fadvise64",
	"fadvise64_64",
	"fallocate",
	"fanotify_mark",
	"fchdir",
	"fchmod",
	"fchmodat",
	"fchown",
	"fchown32",
	"fchownat",
	"fcntl",
	"fcntl64",
	"fdatasync",
	"fgetxattr",
	"flistxattr",
	"flock",
	"fork",
	"fremovexattr",
	"fsetxattr",
	"fstat",
	"fstat64",
	"fstatat64",
	"fstatfs",
	"fstatfs64",
	"fsync",
	"ftruncate",
	"ftruncate64",
	"futex",
	"futex_time64",
	"futex_waitv",
	"futimesat",
	"getcpu",
	"getcwd",
	"getdents",
	"getdents64",
	"getegid",
	"getegid32",
	"geteuid",
	"geteuid32",
	"getgid",
	"getgid32",
	"getgroups",
	"getgroups32",
	"getitimer",
	"getpeername",
	"getpgid",
	"getpgrp",
	"getpid",
	"getppid",
	"getpriority",
	"getrandom",
	"getresgid",
	"getresgid32",
	"getresuid",
	"getresuid32",
	"getrlimit",
	"get_robust_list",
	"getrusage",
	"getsid",
	"getsockname",
	"getsockopt",
	"get_thread_area",
	"gettid",
	"gettimeofday",
	"getuid",
	"getuid32",
	"getxattr",
	"inotify_add_watch",
	"inotify_init",
	"inotify_init1",
	"inotify_rm_watch",
	"io_cancel",
	"ioctl",
	"io_destroy",
	"io_getevents",
	"io_pgetevents",
	"io_pgetevents_time64",
	"ioprio_get",
	"ioprio_set",
	"io_setup",
	"io_submit",
	"io_uring_enter",
	"io_uring_register",
	"io_uring_setup",
	"ipc",
	"kill",
	"landlock_add_rule",
	"landlock_create_ruleset",
	"landlock_restrict_self",
	"lchown",
	"lchown32",
	"lgetxattr",
	"link",
	"linkat",
	"listen",
	"listxattr",
	"llistxattr",
	"_llseek",
	"lremovexattr",
	"lseek",
	"lsetxattr",
	"lstat",
	"lstat64",
	"madvise",
	"membarrier",
	"memfd_create",
	"memfd_secret",
	"mincore",
	"mkdir",
	"mkdirat",
	"mknod",
	"mknodat",
	"mlock",
	"mlock2",
	"mlockall",
	"mmap",
	"mmap2",
	"mprotect",
	"mq_getsetattr",
	"mq_notify",
	"mq_open",
	"mq_timedreceive",
	"mq_timedreceive_time64",
	"mq_timedsend",
	"mq_timedsend_time64",
	"mq_unlink",
	"mremap",
	"msgctl",
	"msgget",
	"msgrcv",
	"msgsnd",
	"msync",
	"munlock",
	"munlockall",
	"munmap",
	"name_to_handle_at",
	"nanosleep",
	"newfstatat",
	"_newselect",
	"open",
	"openat",
	"openat2",
	"pause",
	"pidfd_open",
	"pidfd_send_signal",
	"pipe",
	"pipe2",
	"pkey_alloc",
	"pkey_free",
	"pkey_mprotect",
	"poll",
	"ppoll",
	"ppoll_time64",
	"prctl",
	"pread64",
	"preadv",
	"preadv2",
	"prlimit64",
	"process_mrelease",
	"pselect6",
	"pselect6_time64",
	"pwrite64",
	"pwritev",
	"pwritev2",
	"read",
	"readahead",
	"readlink",
	"readlinkat",
	"readv",
	"recv",
	"recvfrom",
	"recvmmsg",
	"recvmmsg_time64",
	"recvmsg",
	"remap_file_pages",
	"removexattr",
	"rename",
	"renameat",
	"renameat2",
	"restart_syscall",
	"rmdir",
	"rseq",
	"rt_sigaction",
	"rt_sigpending",
	"rt_sigprocmask",
	"rt_sigqueueinfo",
	"rt_sigreturn",
	"rt_sigsuspend",
	"rt_sigtimedwait",
	"rt_sigtimedwait_time64",
	"rt_tgsigqueueinfo",
	"sched_getaffinity",
	"sched_getattr",
	"sched_getparam",
	"sched_get_priority_max",
	"sched_get_priority_min",
	"sched_getscheduler",
	"sched_rr_get_interval",
	"sched_rr_get_interval_time64",
	"sched_setaffinity",
	"sched_setattr",
	"sched_setparam",
	"sched_setscheduler",
	"sched_yield",
	"seccomp",
	"select",
	"semctl",
	"semget",
	"semop",
	"semtimedop",
	"semtimedop_time64",
	"send",
	"sendfile",
	"sendfile64",
	"sendmmsg",
	"sendmsg",
	"sendto",
	"setfsgid",
	"setfsgid32",
	"setfsuid",
	"setfsuid32",
	"setgid",
	"setgid32",
	"setgroups",
	"setgroups32",
	"setitimer",
	"setpgid",
	"setpriority",
	"setregid",
	"setregid32",
	"setresgid",
	"setresgid32",
	"setresuid",
	"setresuid32",
	"setreuid",
	"setreuid32",
	"setrlimit",
	"set_robust_list",
	"setsid",
	"setsockopt",
	"set_thread_area",
	"set_tid_address",
	"setuid",
	"setuid32",
	"setxattr",
	"shmat",
	"shmctl",
	"shmdt",
	"shmget",
	"shutdown",
	"sigaltstack",
	"signalfd",
	"signalfd4",
	"sigprocmask",
	"sigreturn",
	"socketcall",
	"socketpair",
	"splice",
	"stat",
	"stat64",
	"statfs",
	"statfs64",
	"statx",
	"symlink",
	"symlinkat",
	"sync",
	"sync_file_range",
	"syncfs",
	"sysinfo",
	"tee",
	"tgkill",
	"time",
	"timer_create",
	"timer_delete",
	"timer_getoverrun",
	"timer_gettime",
	"timer_gettime64",
	"timer_settime",
	"timer_settime64",
	"timerfd_create",
	"timerfd_gettime",
	"timerfd_gettime64",
	"timerfd_settime",
	"timerfd_settime64",
	"times",
	"tkill",
	"truncate",
	"truncate64",
	"ugetrlimit",
	"umask",
	"uname",
	"unlink",
	"unlinkat",
	"utime",
	"utimensat",
	"utimensat_time64",
	"utimes",
	"vfork",
	"vmsplice",
	"wait4",
	"waitid",
	"waitpid",
	"write",
	"writev",
	"process_vm_readv",
	"process_vm_writev",
	"ptrace",
	"chroot",
#if defined(__x86_64__) || defined(__i386__)
	"arch_prctl",
	"modify_ldt",
#elif defined(__aarch64__) || defined(__arm__)
	"arm_fadvise64_64",
	"arm_sync_file_range",
	"sync_file_range2",
	"breakpoint",
	"cacheflush",
	"set_tls",
#elif defined(__s390x__) || defined(__s390__)
	"s390_pci_mmio_read",
	"s390_pci_mmio_write",
	"s390_runtime_instr",
#elif defined(__riscv)
	"riscv_flush_icache",
#elif defined(__powerpc64__)
	"sync_file_range2",
	"swapcontext",
#endif
};

/* The native architecture first, then those its kernel also runs. */
static const char *const arches[] = {
#if defined(__x86_64__)
	"SCMP_ARCH_X86_64",
	"SCMP_ARCH_X86",
	"SCMP_ARCH_X32",
#elif defined(__aarch64__)
	"SCMP_ARCH_AARCH64",
	"SCMP_ARCH_ARM",
#elif defined(__s390x__)
	"SCMP_ARCH_S390X",
	"SCMP_ARCH_S390",
#elif defined(__riscv) && __riscv_xlen == 64
	"SCMP_ARCH_RISCV64",
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	"SCMP_ARCH_PPC64LE",
#endif
	NULL,
};

/* personality(2) values Docker allows: PER_LINUX, PER_LINUX32, UNAME26,
 * UNAME26|PER_LINUX32 and 0xffffffff (query the current persona). */
static const uint64_t personalities[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

/* CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET: no namespace
 * creation without CAP_SYS_ADMIN. */
#define CLONE_NS_MASK 0x7E020000ULL

static json_object *arg(int index, uint64_t value, const char *op)
{
	json_object *a = json_object_new_object();
	json_object_object_add(a, "index", json_object_new_int(index));
	json_object_object_add(a, "value", json_object_new_uint64(value));
	json_object_object_add(a, "valueTwo", json_object_new_uint64(0));
	json_object_object_add(a, "op", json_object_new_string(op));
	return a;
}

static json_object *rule(const char *name, const char *action, json_object *one_arg)
{
	json_object *r = json_object_new_object();
	json_object *names = json_object_new_array();
	json_object_array_add(names, json_object_new_string(name));
	json_object_object_add(r, "names", names);
	json_object_object_add(r, "action", json_object_new_string(action));
	if (one_arg) {
		json_object *args = json_object_new_array();
		json_object_array_add(args, one_arg);
		json_object_object_add(r, "args", args);
	}
	return r;
}

json_object *seccomp_default_profile(void)
{
	json_object *p = json_object_new_object();
	json_object *archs = json_object_new_array();
	json_object *syscalls = json_object_new_array();
	json_object *names = json_object_new_array();
	json_object *all = json_object_new_object();
	json_object *clone3;

	json_object_object_add(p, "defaultAction", json_object_new_string("SCMP_ACT_ERRNO"));
	json_object_object_add(p, "defaultErrnoRet", json_object_new_int(1));
	for (size_t i = 0; arches[i]; i++)
		json_object_array_add(archs, json_object_new_string(arches[i]));
	json_object_object_add(p, "architectures", archs);

	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++)
		json_object_array_add(names, json_object_new_string(allowed[i]));
	json_object_object_add(all, "names", names);
	json_object_object_add(all, "action", json_object_new_string("SCMP_ACT_ALLOW"));
	json_object_array_add(syscalls, all);

	json_object_array_add(syscalls,
			      rule("socket", "SCMP_ACT_ALLOW", arg(0, 40, "SCMP_CMP_NE")));
	for (size_t i = 0; i < ARRAY_SIZE(personalities); i++)
		json_object_array_add(syscalls, rule("personality", "SCMP_ACT_ALLOW",
						     arg(0, personalities[i], "SCMP_CMP_EQ")));
#if defined(__s390x__) || defined(__s390__)
	/* s390 passes the clone flags second. */
	json_object_array_add(syscalls, rule("clone", "SCMP_ACT_ALLOW",
					     arg(1, CLONE_NS_MASK, "SCMP_CMP_MASKED_EQ")));
#else
	json_object_array_add(syscalls, rule("clone", "SCMP_ACT_ALLOW",
					     arg(0, CLONE_NS_MASK, "SCMP_CMP_MASKED_EQ")));
#endif
	clone3 = rule("clone3", "SCMP_ACT_ERRNO", NULL);
	json_object_object_add(clone3, "errnoRet", json_object_new_int(38)); /* ENOSYS */
	json_object_array_add(syscalls, clone3);

	json_object_object_add(p, "syscalls", syscalls);
	return p;
}
