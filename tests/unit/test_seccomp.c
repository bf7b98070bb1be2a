#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/seccomp.h"
#include "test.h"
#include "util/json.h"
#include "util/util.h"

static json_object *parse(const char *text)
{
	json_object *o = NULL;
	struct hk_error *err = NULL;
	if (json_parse("test", text, strlen(text), &o, &err) < 0) {
		fprintf(stderr, "  %s\n", hk_error_msg(err));
		hk_error_free(&err);
		return NULL;
	}
	return o;
}

static const char *validate_msg(const char *text, char *buf, size_t size)
{
	_cleanup_json_ json_object *o = parse(text);
	_cleanup_error_ struct hk_error *err = NULL;
	if (!o)
		return "bad json";
	if (seccomp_validate(o, &err) == 0)
		return NULL;
	snprintf(buf, size, "%s", hk_error_msg(err));
	return buf;
}

TEST(seccomp_validate_names_the_field)
{
	char buf[256];

	CHECK_STR(validate_msg("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
			       "{\"names\":[\"a\"],\"action\":\"SCMP_ACT_ALLOW\"},"
			       "{\"names\":[\"a\"],\"action\":\"SCMP_ACT_ALLOW\"},"
			       "{\"names\":[\"a\"],\"action\":\"SCMP_ACT_ALLOW\"},"
			       "{\"names\":[\"b\"],\"action\":\"SCMP_ACT_FOO\"}]}",
			       buf, sizeof(buf)),
		  "linux.seccomp.syscalls[3].action: unknown action SCMP_ACT_FOO");
	CHECK_STR(validate_msg("{\"defaultAction\":\"SCMP_ACT_NOPE\"}", buf, sizeof(buf)),
		  "linux.seccomp.defaultAction: unknown action SCMP_ACT_NOPE");
	CHECK_STR(validate_msg("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
			       "[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,"
			       "\"value\":1,\"op\":\"SCMP_CMP_BAD\"}]}]}",
			       buf, sizeof(buf)),
		  "linux.seccomp.syscalls[0].args[0].op: unknown operator SCMP_CMP_BAD");
	CHECK_STR(validate_msg("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":["
			       "\"X86\"]}",
			       buf, sizeof(buf)),
		  "linux.seccomp.architectures[0]: unknown architecture X86");
	CHECK_STR(validate_msg("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"NOPE\"]}", buf,
			       sizeof(buf)),
		  "linux.seccomp.flags[0]: unsupported flag NOPE");
	CHECK_STR(validate_msg("{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}", buf, sizeof(buf)),
		  "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY is not supported as the default "
		  "action (every syscall would wait for the agent)");
	CHECK(validate_msg(
		      "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":5,"
		      "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_LOONGARCH64\"],"
		      "\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
		      "\"syscalls\":[{\"names\":[\"x\"],\"action\":\"SCMP_ACT_KILL_PROCESS\"}]}",
		      buf, sizeof(buf)) == NULL);
}

TEST(seccomp_default_profile_validates)
{
	_cleanup_json_ json_object *p = seccomp_default_profile();
	_cleanup_error_ struct hk_error *err = NULL;
	json_object *sys = NULL;

	REQUIRE(p);
	CHECK(seccomp_validate(p, &err) == 0);
	REQUIRE(json_object_object_get_ex(p, "syscalls", &sys));
	CHECK(json_object_array_length(sys) > 5);
}

/* Run fn in a child that loads filter first; returns the child's status. */
static int in_child(const char *filter, int (*fn)(void))
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		_cleanup_json_ json_object *o = filter ? parse(filter) : seccomp_default_profile();
		struct hk_error *err = NULL;
		if (!o)
			_exit(90);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(91);
		if (seccomp_apply(o, &err) < 0) {
			fprintf(stderr, "  %s\n", hk_error_msg(err));
			_exit(92);
		}
		_exit(fn());
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static int try_mkdir(void)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/d", test_tmpdir());
	if (mkdir(p, 0755) == 0)
		return 10;
	if (errno == EPERM)
		return 1;
	if (errno == EXDEV)
		return 2;
	return 3;
}

TEST(seccomp_errno_blocks_mkdir)
{
	int st = in_child("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":["
			  "\"mkdir\",\"mkdirat\",\"no_such_syscall_xyz\"],\"action\":"
			  "\"SCMP_ACT_ERRNO\"}]}",
			  try_mkdir);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	st = in_child("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":["
		      "\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":18}]}",
		      try_mkdir);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 2);
}

static int try_dup3(void)
{
	int a = dup3(0, 100, 0);       /* flags 0: allowed */
	int b = dup3(0, 101, 0x80000); /* O_CLOEXEC: matched, EPERM */
	if (a != 100)
		return 3;
	return b < 0 && errno == EPERM ? 0 : 4;
}

TEST(seccomp_args_and_kill)
{
	/* dup3 with arg 2 == O_CLOEXEC fails; with 0 it works. */
	int st = in_child("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":["
			  "\"dup3\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":2,"
			  "\"value\":524288,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":0,"
			  "\"op\":\"SCMP_CMP_GT\"}]}]}",
			  try_dup3);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* KILL_PROCESS: mkdir ends the child with SIGSYS. */
	st = in_child("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":["
		      "\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_KILL_PROCESS\"}]}",
		      try_mkdir);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
}

static int default_profile_checks(void)
{
	/* personality(0xffffffff) is allowed (query); unshare is not. */
	if (syscall(SYS_personality, 0xffffffffUL) < 0)
		return 5;
	if (unshare(0x20000000 /* CLONE_NEWUTS */) == 0 || errno != EPERM)
		return 6;
	return try_mkdir() == 10 ? 0 : 7;
}

TEST(seccomp_default_profile_loads)
{
	int st = in_child(NULL, default_profile_checks);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

TEST(seccomp_bad_action_rejected_by_apply)
{
	_cleanup_json_ json_object *o = parse("{\"defaultAction\":\"SCMP_ACT_BOGUS\"}");
	_cleanup_error_ struct hk_error *err = NULL;
	REQUIRE(o);
	CHECK(seccomp_apply(o, &err) < 0);
	CHECK(strstr(hk_error_msg(err), "unknown action") != NULL);
}
