/* hako-monitor: the idle part of a container monitor, a small static program.
 *
 * `hako run`/`start` fork a monitor process that creates and starts the
 * container through the runtime library (so the init is its child), records
 * it as running, and then exec()s this program, which keeps the pid, the
 * child and the fds:
 *
 *   hako-monitor --hako PATH --root DIR --runroot DIR --id ID --pid PID
 *                --lock FD --listen FD [--out FD] [--err FD] [--stdin FD]
 *                [--tty] [--client FD]... [--log PATH --log-fd FD
 *                --log-format json-file|k8s-file|none --log-max-size N
 *                --log-max-file N]
 *
 * It copies output to the log and to attached clients, serves the attach
 * socket and waits for the init to exit (src/monitor/loop.c).  Then it
 * exec()s the full hako again, `hako __monitor-exit --code N ...`, which
 * records the exit, applies the restart policy and --rm, and sends the exit
 * code to the clients.  The monitor.lock fd (flock'ed by the first process)
 * is held all along: a live monitor is never mistaken for a dead one.
 *
 * No stdio, no json, no database: an idle monitor stays well under 1 MiB.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "util/trace.h"

#include "monitor/mon.h"

static void say(const char *a, const char *b)
{
	(void)!write(2, "hako-monitor: ", 14);
	(void)!write(2, a, strlen(a));
	if (b) {
		(void)!write(2, b, strlen(b));
	}
	(void)!write(2, "\n", 1);
}

static int num(const char *opt, const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 1 << 30) {
		say("bad number for ", opt);
		_exit(125);
	}
	return (int)v;
}

static void fmt_int(char *buf, int v)
{
	char d[12];
	int n = 0, k = 0;

	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		buf[k++] = d[--n];
	buf[k] = '\0';
}

static void keep_open(int fd)
{
	if (fd >= 0)
		fcntl(fd, F_SETFD, 0);
}

int main(int argc, char **argv)
{
	static struct mon_io io;
	static struct mon_log log;
	const char *hako = NULL, *root = NULL, *runroot = NULL, *id = NULL, *log_path = NULL;
	enum mon_log_format fmt = MON_LOG_JSON;
	int lock_fd = -1, log_fd = -1, max_file = 1, code;
	long long max_size = 0;
	sigset_t mask;

	mon_io_init(&io);
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		if (!strcmp(o, "--tty")) {
			io.tty = true;
			continue;
		}
		if (i + 1 >= argc) {
			say("missing value for ", o);
			return 125;
		}
		const char *v = argv[++i];
		if (!strcmp(o, "--hako"))
			hako = v;
		else if (!strcmp(o, "--root"))
			root = v;
		else if (!strcmp(o, "--runroot"))
			runroot = v;
		else if (!strcmp(o, "--id"))
			id = v;
		else if (!strcmp(o, "--pid"))
			io.pid = num(o, v);
		else if (!strcmp(o, "--lock"))
			lock_fd = num(o, v);
		else if (!strcmp(o, "--listen"))
			io.listen_fd = num(o, v);
		else if (!strcmp(o, "--out"))
			io.out.fd = num(o, v);
		else if (!strcmp(o, "--err"))
			io.err.fd = num(o, v);
		else if (!strcmp(o, "--stdin"))
			io.stdin_fd = num(o, v);
		else if (!strcmp(o, "--client"))
			mon_add_client(&io, num(o, v));
		else if (!strcmp(o, "--log"))
			log_path = v;
		else if (!strcmp(o, "--log-fd"))
			log_fd = num(o, v);
		else if (!strcmp(o, "--log-max-size"))
			max_size = num(o, v);
		else if (!strcmp(o, "--log-max-file"))
			max_file = num(o, v);
		else if (!strcmp(o, "--log-format"))
			fmt = !strcmp(v, "k8s-file") ? MON_LOG_K8S
			      : !strcmp(v, "none")   ? MON_LOG_NONE
						     : MON_LOG_JSON;
		else {
			say("unknown option ", o);
			return 125;
		}
	}
	if (!hako || !root || !runroot || !id || io.pid <= 0 || lock_fd < 0 || io.listen_fd < 0) {
		say("started by hako only", NULL);
		return 125;
	}
	/* nothing here may outlive the exec back to hako but what it is given */
	for (int i = 0; i < MON_MAX_CLIENTS; i++)
		if (io.clients[i] >= 0)
			fcntl(io.clients[i], F_SETFD, FD_CLOEXEC);
	fcntl(io.listen_fd, F_SETFD, FD_CLOEXEC);
	fcntl(lock_fd, F_SETFD, FD_CLOEXEC);
	if (io.out.fd >= 0)
		fcntl(io.out.fd, F_SETFD, FD_CLOEXEC);
	if (io.err.fd >= 0)
		fcntl(io.err.fd, F_SETFD, FD_CLOEXEC);
	if (io.stdin_fd >= 0)
		fcntl(io.stdin_fd, F_SETFD, FD_CLOEXEC);
	if (log_fd >= 0)
		fcntl(log_fd, F_SETFD, FD_CLOEXEC);
	if (log_path && mon_log_open(&log, log_path, log_fd, fmt, max_size, max_file) == 0)
		io.log = &log;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	io.sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (io.sig_fd < 0) {
		say("signalfd failed", NULL);
		return 125;
	}

	code = mon_loop(&io);
	mon_finish_streams(&io);
	if (io.log)
		mon_log_close(&log);
	close(io.sig_fd);

	/* back to the full hako for the database work */
	{
		char code_s[12], lock_s[12], listen_s[12], cl[MON_MAX_CLIENTS][12];
		const char *args[16 + 2 * MON_MAX_CLIENTS];
		int n = 0;

		fmt_int(code_s, code);
		fmt_int(lock_s, lock_fd);
		fmt_int(listen_s, io.listen_fd);
		args[n++] = hako;
		args[n++] = "--root";
		args[n++] = root;
		args[n++] = "--runroot";
		args[n++] = runroot;
		args[n++] = "__monitor-exit";
		args[n++] = "--code";
		args[n++] = code_s;
		args[n++] = "--lock";
		args[n++] = lock_s;
		args[n++] = "--listen";
		args[n++] = listen_s;
		for (int i = 0; i < MON_MAX_CLIENTS; i++) {
			if (io.clients[i] < 0)
				continue;
			fmt_int(cl[i], io.clients[i]);
			keep_open(io.clients[i]);
			args[n++] = "--client";
			args[n++] = cl[i];
		}
		args[n++] = id;
		args[n] = NULL;
		keep_open(lock_fd);
		keep_open(io.listen_fd);
		hk_trace("exec hako");
		execv(hako, (char *const *)args);
		say("cannot run ", hako);
	}
	/* the exit cannot be recorded: the clients get the code, and whoever
	 * opens hako next repairs the container (the lock goes with us) */
	mon_broadcast_exit(&io, code);
	return 1;
}
