/* hako runtime: OCI hooks.  Each hook gets the state JSON on stdin (a memfd:
 * no pipe to block on, no SIGPIPE when the hook does not read it). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/internal.h"
#include "util/json.h"
#include "util/sealexec.h"
#include "util/util.h"

extern char **environ;

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Where the hooks' stdout and stderr go: crun's run.oci.hooks.stdout and
 * run.oci.hooks.stderr annotations name files (appended to, made 0600),
 * read from the state JSON the hooks get; otherwise the runtime's own. */
static int hook_output(const char *state, int out[2], struct hk_error **err)
{
	static const char *const keys[2] = {"run.oci.hooks.stdout", "run.oci.hooks.stderr"};
	_cleanup_json_ json_object *o = json_tokener_parse(state);
	json_object *ann = NULL, *v = NULL;

	out[0] = out[1] = -1;
	if (!o || !json_object_object_get_ex(o, "annotations", &ann))
		return 0;
	for (int i = 0; i < 2; i++) {
		const char *path;
		if (!json_object_object_get_ex(ann, keys[i], &v) ||
		    !json_object_is_type(v, json_type_string))
			continue;
		path = json_object_get_string(v);
		out[i] = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
		if (out[i] < 0)
			return hk_error_errno(err, "annotation %s: open %s", keys[i], path);
	}
	return 0;
}

static int hook_run(const struct rt_hook *h, const char *kind, size_t idx, const char *state,
		    int stub_fd, const int out[2], struct hk_error **err)
{
	_cleanup_close_ int mfd = -1, pfd = -1;
	char *const default_args[] = {h->path, NULL};
	int status;
	pid_t pid;

	mfd = memfd_create("hako-hook-state", MFD_CLOEXEC);
	if (mfd < 0)
		return hk_error_errno(err, "hook %s[%zu]: memfd", kind, idx);
	if (write_all(mfd, state, strlen(state)) < 0 || lseek(mfd, 0, SEEK_SET) < 0)
		return hk_error_errno(err, "hook %s[%zu]: write state", kind, idx);
	pid = fork();
	if (pid < 0)
		return hk_error_errno(err, "hook %s[%zu]: fork", kind, idx);
	if (pid == 0) {
		child_reset_signals();
		if (dup2(mfd, 0) < 0 || (out[0] >= 0 && dup2(out[0], 1) < 0) ||
		    (out[1] >= 0 && dup2(out[1], 2) < 0))
			_exit(127);
		/* without "env" a hook gets the runtime's environment, as with
		 * runc and crun (an empty "env" gives it none) */
		if (stub_fd >= 0)
			sealexec_exec(stub_fd, -1, 0, "hook", h->path,
				      h->args && h->args[0] ? h->args : default_args,
				      h->env ? h->env : environ);
		else
			execve(h->path, h->args && h->args[0] ? h->args : default_args,
			       h->env ? h->env : environ);
		_exit(127);
	}
	if (h->timeout > 0) {
		pfd = pidfd_open_(pid);
		if (pfd >= 0) {
			struct pollfd p = {.fd = pfd, .events = POLLIN};
			int r;
			do
				r = poll(&p, 1, h->timeout * 1000);
			while (r < 0 && errno == EINTR);
			if (r == 0) {
				kill(pid, SIGKILL);
				waitpid(pid, NULL, 0);
				return hk_error_set(err, ETIMEDOUT,
						    "hook %s[%zu] (%s): timed out after %ds", kind,
						    idx, h->path, h->timeout);
			}
		}
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return hk_error_errno(err, "hook %s[%zu]: wait", kind, idx);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && access(h->path, X_OK) < 0)
		return hk_error_errno(err, "hook %s[%zu] (%s)", kind, idx, h->path);
	if (WIFEXITED(status))
		return hk_error_set(err, 0, "hook %s[%zu] (%s): exited with status %d", kind, idx,
				    h->path, WEXITSTATUS(status));
	return hk_error_set(err, 0, "hook %s[%zu] (%s): killed by signal %d", kind, idx, h->path,
			    WTERMSIG(status));
}

int hooks_run(const struct rt_hooks *hooks, const char *kind, const char *state, int stub_fd,
	      struct hk_error **err)
{
	int out[2] = {-1, -1}, r = 0;

	if (!hooks || !hooks->n)
		return 0;
	if (strstr(state, "run.oci.hooks.") && hook_output(state, out, err) < 0)
		r = -1;
	for (size_t i = 0; r == 0 && i < hooks->n; i++)
		if (hook_run(&hooks->v[i], kind, i, state, stub_fd, out, err) < 0)
			r = -1;
	for (int i = 0; i < 2; i++)
		if (out[i] >= 0)
			close(out[i]);
	return r;
}

int hooks_from_json(json_object *arr, struct rt_hooks *out, struct hk_error **err)
{
	size_t n;

	memset(out, 0, sizeof(*out));
	if (!arr || !json_object_is_type(arr, json_type_array))
		return 0;
	n = json_object_array_length(arr);
	out->v = xzalloc((n + 1) * sizeof(*out->v));
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		struct rt_hook *h = &out->v[i];
		const char *path = NULL;
		int64_t t = 0;
		out->n = i + 1;
		if (json_get_string(e, "hook", "path", &path, err) < 0 ||
		    json_get_strv(e, "hook", "args", &h->args, err) < 0 ||
		    json_get_strv(e, "hook", "env", &h->env, err) < 0 ||
		    json_get_int64(e, "hook", "timeout", &t, err) < 0)
			return -1;
		h->path = xstrdup(path ? path : "");
		h->timeout = (int)t;
	}
	return 0;
}

void hooks_free(struct rt_hooks *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->v[i].path);
		strv_free(h->v[i].args);
		strv_free(h->v[i].env);
	}
	free(h->v);
	memset(h, 0, sizeof(*h));
}
