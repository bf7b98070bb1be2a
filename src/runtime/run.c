/* hako runtime: run = create + start, and in the foreground wait for the
 * container as its subreaper. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "runtime/internal.h"
#include "util/log.h"
#include "util/util.h"

int runtime_run(const char *id, const char *bundle, const struct runtime_opts *opts, bool detach,
		bool keep, struct hk_error **err)
{
	struct runtime_opts o = *opts;
	_cleanup_close_ int sfd = -1;
	int master = -1, code;
	sigset_t old;
	pid_t pid;

	if (detach) {
		if (runtime_create(id, bundle, opts, NULL, err) < 0)
			return -1;
		if (runtime_start(opts->state_root, id, err) < 0) {
			/* leave nothing half-started behind */
			_cleanup_error_ struct hk_error *e2 = NULL;
			runtime_delete(opts->state_root, id, true, &e2);
			return -1;
		}
		return 0;
	}
	/* orphans of the container (with no pid namespace, or before its init
	 * exits) come to us, and we reap them */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sfd = fg_signals_block(&old, err);
	if (sfd < 0)
		return -1;
	if (!o.console_socket && !o.console_master_out)
		o.console_master_out = &master;
	if (runtime_create(id, bundle, &o, &pid, err) < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	if (runtime_start(opts->state_root, id, err) < 0) {
		_cleanup_error_ struct hk_error *e2 = NULL;
		if (master >= 0)
			close(master);
		runtime_delete(opts->state_root, id, true, &e2);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	code = fg_wait(sfd, pid, master, NULL, err);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (!keep) {
		_cleanup_error_ struct hk_error *e2 = NULL;
		/* (a failing poststart hook has deleted it already) */
		if (runtime_delete(opts->state_root, id, true, &e2) < 0 && e2 &&
		    e2->errnum != ENOENT)
			log_warn("%s", hk_error_msg(e2));
	}
	return code;
}

int runtime_exec_error_status(const struct hk_error *err)
{
	return process_exec_status(err);
}
