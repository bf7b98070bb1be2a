/* hako runtime: the last steps before exec, shared by the init process and
 * `exec`: rlimits, oom score, user and groups, capabilities, no_new_privs,
 * seccomp, umask, cwd, and finding the program.
 *
 * Security order (as runc): seccomp is loaded before capabilities are dropped
 * unless no_new_privs is set (loading a filter needs CAP_SYS_ADMIN or
 * no_new_privs); with no_new_privs it is loaded last, so the filter need not
 * allow the runtime's own setup syscalls. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime/caps.h"
#include "runtime/internal.h"
#include "runtime/seccomp.h"
#include "util/log.h"
#include "util/path.h"
#include "util/sealexec.h"
#include "util/util.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *limit_str(uint64_t v, char *buf, size_t n)
{
	if (v == (uint64_t)RLIM_INFINITY)
		return "unlimited";
	snprintf(buf, n, "%llu", (unsigned long long)v);
	return buf;
}

/* Without CAP_SYS_RESOURCE a hard limit can only go down.  When the hard
 * limit cannot be raised but the soft one fits under the current hard limit,
 * set that and say so; fail only when the request cannot be met at all. */
static int set_rlimit(const struct rt_rlimit *rl, struct hk_error **err)
{
	struct rlimit want = {.rlim_cur = rl->soft, .rlim_max = rl->hard}, cur;
	char a[32], b[32];

	if (setrlimit(rl->resource, &want) == 0)
		return 0;
	if (errno != EPERM || getrlimit(rl->resource, &cur) < 0)
		return hk_error_errno(err, "rlimit %s: set %llu/%llu", rl->name,
				      (unsigned long long)rl->soft, (unsigned long long)rl->hard);
	if (rl->hard > cur.rlim_max) {
		if (rl->soft > cur.rlim_max)
			return hk_error_set(err, EPERM,
					    "rlimit %s: cannot raise hard limit %s -> %s "
					    "(missing CAP_SYS_RESOURCE)",
					    rl->name, limit_str(cur.rlim_max, a, sizeof(a)),
					    limit_str(rl->hard, b, sizeof(b)));
		want.rlim_max = cur.rlim_max;
		if (setrlimit(rl->resource, &want) == 0) {
			log_warn("rlimit %s: cannot raise hard limit %s -> %s (missing "
				 "CAP_SYS_RESOURCE); soft limit set to %s, hard limit left at %s",
				 rl->name, limit_str(cur.rlim_max, a, sizeof(a)),
				 limit_str(rl->hard, b, sizeof(b)),
				 limit_str(rl->soft, b, sizeof(b)),
				 limit_str(cur.rlim_max, a, sizeof(a)));
			return 0;
		}
	}
	return hk_error_errno(err, "rlimit %s: set %llu/%llu", rl->name,
			      (unsigned long long)rl->soft, (unsigned long long)rl->hard);
}

static int set_oom_score(int v, struct hk_error **err)
{
	_cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%d", v);

	if (fd < 0)
		return hk_error_errno(err, "oomScoreAdj: open /proc/self/oom_score_adj");
	if (write(fd, buf, (size_t)n) != n) {
		if (errno == EACCES || errno == EPERM)
			return hk_error_errno(err,
					      "oomScoreAdj: cannot set %d (lowering needs "
					      "CAP_SYS_RESOURCE)",
					      v);
		return hk_error_errno(err, "oomScoreAdj: set %d", v);
	}
	return 0;
}

static const char *env_get(char *const *env, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; env && env[i]; i++)
		if (!strncmp(env[i], name, n) && env[i][n] == '=')
			return env[i] + n + 1;
	return NULL;
}

/* An error that carries errnum (for the 126/127 exit codes) without the
 * strerror() tail the message already says better. */
static int exec_error(struct hk_error **err, int errnum, const char *what, const char *arg0)
{
	hk_error_set(err, 0, "exec: \"%s\": %s", arg0, what);
	(*err)->errnum = errnum;
	return -errnum;
}

static int check_exe(const char *path, const char *arg0, struct hk_error **err)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return hk_error_errno(err, "exec: \"%s\"", arg0);
	if (S_ISDIR(st.st_mode))
		return exec_error(err, EACCES, "is a directory", arg0);
	if (access(path, X_OK) < 0)
		return hk_error_errno(err, "exec: \"%s\"", arg0);
	return 0;
}

int process_find_exe(const char *arg0, char *const *env, char **out, struct hk_error **err)
{
	const char *path = env_get(env, "PATH");
	_cleanup_free_ char *copy = NULL;
	char *save = NULL;
	int denied = 0;

	if (strchr(arg0, '/')) {
		if (check_exe(arg0, arg0, err) < 0)
			return -1;
		*out = xstrdup(arg0);
		return 0;
	}
	copy = xstrdup(path ? path : DEFAULT_PATH);
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *p = xasprintf("%s/%s", *dir ? dir : ".", arg0);
		struct stat st;
		if (stat(p, &st) < 0 || S_ISDIR(st.st_mode))
			continue;
		if (access(p, X_OK) == 0) {
			*out = steal_ptr(&p);
			return 0;
		}
		denied = errno;
	}
	if (denied)
		return exec_error(err, EACCES, "permission denied", arg0);
	return exec_error(err, ENOENT, "executable file not found in $PATH", arg0);
}

int process_exec_status(const struct hk_error *err)
{
	if (!err || !strstr(hk_error_msg(err), "exec: \""))
		return 0;
	if (err->errnum == ENOENT)
		return 127;
	if (err->errnum == EACCES || err->errnum == ENOEXEC || err->errnum == EISDIR)
		return 126;
	return 0;
}

/* CVE-2024-21626: a cwd of /proc/self/fd/N named whatever fd the runtime
 * still had open, a directory of the host, and the program walked up from
 * it to the host's /.  The cwd is resolved inside our root ("/" is the
 * container's after pivot_root or setns) without magic links, and after the
 * fchdir the kernel must be able to name it from our root: getcwd() fails
 * (glibc turns the kernel's "(unreachable)" into ENOENT) for a directory
 * outside it, as runc checks. */
static int enter_cwd(const char *cwd, struct hk_error **err)
{
	_cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_error_ struct hk_error *e = NULL;
	_cleanup_close_ int fd = -1;
	char buf[PATH_MAX];

	if (root < 0)
		return hk_error_errno(err, "working directory %s: open /", cwd);
	fd = path_open_in_root(root, cwd, O_PATH | O_DIRECTORY, 0, &e);
	if (fd < 0) {
		errno = e ? e->errnum : EIO;
		if (errno == ELOOP || errno == EXDEV)
			return hk_error_set(err, errno,
					    "working directory %s: goes through a magic link "
					    "(/proc/.../fd, /proc/.../cwd) or too many symlinks",
					    cwd);
		return hk_error_errno(err, "working directory %s", cwd);
	}
	if (fchdir(fd) < 0)
		return hk_error_errno(err, "working directory %s", cwd);
	if (!getcwd(buf, sizeof(buf)) || buf[0] != '/')
		return hk_error_set(err, EPERM,
				    "working directory %s: outside the container's root", cwd);
	return 0;
}

int process_prepare(const struct rt_process *p, json_object *seccomp, bool in_userns,
		    bool seccomp_late_ok, char **exe, struct hk_error **err)
{
	child_reset_signals();
	for (size_t i = 0; i < p->nrlimits; i++)
		if (set_rlimit(&p->rlimits[i], err) < 0)
			return -1;
	if (p->has_oom && set_oom_score(p->oom_score_adj, err) < 0)
		return -1;
	if (p->apparmor && *p->apparmor)
		log_debug("apparmorProfile %s ignored: AppArmor is not enabled on this host",
			  p->apparmor);
	if (p->selinux && *p->selinux)
		log_debug("selinuxLabel %s ignored: SELinux is not enabled on this host",
			  p->selinux);
	if (seccomp && !p->nnp && seccomp_apply(seccomp, err) < 0)
		return hk_error_wrap(err, "seccomp");
	if (p->has_caps && caps_drop_bounding(&p->caps, err) < 0)
		return -1;
	if (setgroups(p->ngids, p->gids) < 0 && !(in_userns && errno == EPERM && !p->ngids))
		return hk_error_errno(err, "setgroups");
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		return hk_error_errno(err, "setgid %u", (unsigned)p->gid);
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		return hk_error_errno(err, "setuid %u", (unsigned)p->uid);
	if (p->has_caps && caps_apply(&p->caps, err) < 0)
		return -1;
	if (p->nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return hk_error_errno(err, "set no_new_privs");
	if (seccomp && p->nnp && !seccomp_late_ok && seccomp_apply(seccomp, err) < 0)
		return hk_error_wrap(err, "seccomp");
	umask(p->has_umask ? p->umask : 022);
	if (enter_cwd(p->cwd, err) < 0)
		return -1;
	return process_find_exe(p->args[0], p->env, exe, err);
}

int process_finish(const struct rt_process *p, json_object *seccomp, struct hk_error **err)
{
	if (seccomp && p->nnp && seccomp_apply(seccomp, err) < 0)
		return hk_error_wrap(err, "seccomp");
	return 0;
}

/* Whether exec'ing through the stub would change what the program gets:
 * for a user other than root, with no_new_privs, permitted capabilities
 * outside the ambient set survive an exec only into a file whose own file
 * capabilities grant them, and the stub's exec in between drops them first
 * (runc #4125, which made runc stop using its runc-dmz stub there). */
static bool stub_changes_caps(const struct rt_process *p)
{
	return p->uid != 0 && p->nnp && p->has_caps && (p->caps.permitted & ~p->caps.ambient);
}

/* Whether this process, exec'ing the runtime's own binary through
 * /proc/self/exe, could write it: the kernel's own check with our
 * credentials, and no ambient capability (what an exec of a file without
 * file capabilities keeps under no_new_privs) that opens a way around it.
 * Any doubt counts as writable. */
static bool self_writable(const struct rt_process *p)
{
	const uint64_t risky = (1ULL << CAP_CHOWN) | (1ULL << CAP_DAC_OVERRIDE) |
			       (1ULL << CAP_FOWNER) | (1ULL << CAP_SETUID) | (1ULL << CAP_SETGID) |
			       (1ULL << CAP_SYS_ADMIN) | (1ULL << CAP_SYS_PTRACE) |
			       (1ULL << CAP_LINUX_IMMUTABLE);

	if (p->caps.ambient & risky)
		return true;
	/* ETXTBSY (busy while we run it) is writable: the attack waits */
	if (faccessat(AT_FDCWD, "/proc/self/exe", W_OK, AT_EACCESS) == 0)
		return true;
	return errno != EACCES && errno != EROFS && errno != EPERM;
}

int process_exec(const struct rt_process *p, const char *exe, int stub_fd, int report_fd, char tag,
		 struct hk_error **err)
{
	char *const *env = p->env ? p->env : (char *[]){NULL};
	_cleanup_free_ char *what = NULL;

	if (stub_changes_caps(p) && !self_writable(p)) {
		execve(exe, p->args, env);
		return hk_error_errno(err, "exec: \"%s\"", p->args[0]);
	}
	what = xasprintf("exec: \"%s\"", p->args[0]);
	sealexec_exec(stub_fd, report_fd, tag, what, exe, p->args, env);
	return hk_error_errno(err, "exec: \"%s\" through hako's sealed stub", p->args[0]);
}
