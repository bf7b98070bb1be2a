/* The monitor of a running VM: started by vm_start(), detached from the
 * command line (its own session), parent of QEMU.  It holds QEMU's serial
 * console (a socketpair as QEMU's stdio), copies it to console.log and to
 * the clients of console.sock (vm console), and waits for QEMU: exit 0 is a
 * power off ("shut off"), a signal or an error exit is a crash ("crashed"),
 * unless vm destroy asked for it (the "destroying" flag). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db/db.h"
#include "net/net.h"
#include "util/util.h"
#include "util/sock.h"
#include "vm/internal.h"
#include "vm/vm.h"

#define MAX_CLIENTS 8
#define LOG_MAX	    (8u << 20)

static void argv_push(char ***v, const char *fmt, ...) HK_PRINTF(2, 3);
static void argv_push(char ***v, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	strv_push(v, s);
	free(s);
}

static int cloud_init_seed(const struct vm_def *d, const char *dir, struct hk_error **err)
{
	_cleanup_free_ char *user = NULL, *meta = NULL, *up = NULL, *mp = NULL;
	size_t len;

	if (read_file_at(AT_FDCWD, d->cloud_init, 1u << 20, &user, &len, err) < 0)
		return -1;
	if (mkdir_p(dir, 0700, err) < 0)
		return -1;
	up = xasprintf("%s/user-data", dir);
	mp = xasprintf("%s/meta-data", dir);
	meta = xasprintf("instance-id: %s\nlocal-hostname: %s\n", d->id, d->name);
	if (write_file_at(AT_FDCWD, up, user, len, 0600, err) < 0 ||
	    write_file_at(AT_FDCWD, mp, meta, strlen(meta), 0600, err) < 0)
		return -1;
	return 0;
}

/* A NIC on a hako network is a tap whose fd QEMU gets as 4 + k for the
 * k-th such NIC (vm_spawn_keep's order; fd 3 is the QMP socket). */
static int qemu_argv(const struct vm_def *d, const char *rundir, char ***out, struct hk_error **err)
{
	_cleanup_strv_ char **nics = vm_nics(d->network);
	int kept = 0;
	const struct vm_accel *ac = vm_accel_pick(true);
	char **v = NULL;
	_cleanup_free_ char *fmt = NULL;

	argv_push(&v, "%s", vm_qemu_binary());
	argv_push(&v, "-name");
	argv_push(&v, "guest=%s", d->name);
	argv_push(&v, "-M");
	argv_push(&v, "q35");
	argv_push(&v, "-accel");
	argv_push(&v, "%s", ac->qemu_arg);
	argv_push(&v, "-cpu");
	argv_push(&v, "%s", ac->cpu);
	argv_push(&v, "-smp");
	argv_push(&v, "%d", d->vcpus);
	argv_push(&v, "-m");
	argv_push(&v, "%llu", (unsigned long long)(d->memory >> 20));
	argv_push(&v, "-nodefaults");
	argv_push(&v, "-no-user-config");
	argv_push(&v, "-display");
	argv_push(&v, "none");
	argv_push(&v, "-chardev");
	argv_push(&v, "stdio,id=con,signal=off");
	argv_push(&v, "-serial");
	argv_push(&v, "chardev:con");
	/* QMP on the socket the monitor bound (fd 3): QEMU would bind the
	 * path itself, and a path longer than sun_path (a deep --runroot)
	 * fails there. */
	argv_push(&v, "-chardev");
	argv_push(&v, "socket,id=qmp,fd=3,server=on,wait=off");
	argv_push(&v, "-mon");
	argv_push(&v, "chardev=qmp,mode=control");
	if (d->disk) {
		if (vm_disk_info(d->disk, NULL, &fmt, err) < 0) {
			strv_free(v);
			return hk_error_wrap(err, "disk");
		}
		argv_push(&v, "-drive");
		argv_push(&v, "file=%s,if=none,id=disk0,format=%s,cache=writeback,discard=unmap",
			  d->disk, fmt);
		argv_push(&v, "-device");
		argv_push(&v, "virtio-blk-pci,drive=disk0,bootindex=1");
	}
	if (d->iso) {
		argv_push(&v, "-drive");
		argv_push(&v, "file=%s,if=none,id=cd0,media=cdrom,readonly=on", d->iso);
		argv_push(&v, "-device");
		argv_push(&v, "ide-cd,drive=cd0,bootindex=0");
	}
	if (d->kernel) {
		argv_push(&v, "-kernel");
		argv_push(&v, "%s", d->kernel);
		if (d->initrd) {
			argv_push(&v, "-initrd");
			argv_push(&v, "%s", d->initrd);
		}
		/* hako's initramfs (its hako-vminit, an --init-script) speaks
		 * on the serial console: without a console= of the user's the
		 * kernel would give it none (and an init script's output would
		 * be lost) */
		const char *ap = d->append ? d->append : "";
		bool ours = strstr(ap, "hako.cfg=") ||
			    (d->initrd && strstr(d->initrd, "/vm/initramfs/"));
		argv_push(&v, "-append");
		if (!*ap)
			argv_push(&v, "console=ttyS0");
		else if (ours && !strstr(ap, "console="))
			argv_push(&v, "console=ttyS0 %s", ap);
		else
			argv_push(&v, "%s", ap);
	}
	for (size_t i = 0; nics[i]; i++) {
		char mac[18];
		vm_nic_mac(d, i, mac);
		argv_push(&v, "-netdev");
		if (!strcmp(nics[i], "user")) {
			/* -p: QEMU's hostfwd rules when this NIC carries them
			 * (loopback unless an address is given) */
			_cleanup_free_ char *fwd = NULL;
			_cleanup_free_ struct net_port *ports = NULL;
			size_t np = 0;
			if ((int)i == vm_ports_nic(d->network) &&
			    vm_ports_parse(d->ports, &ports, &np, err) < 0) {
				strv_free(v);
				return -1;
			}
			for (size_t k = 0; k < np; k++) {
				char *t = xasprintf(
					"%s,hostfwd=%s:%s:%u-:%u", fwd ? fwd : "", ports[k].proto,
					*ports[k].host_ip ? ports[k].host_ip : "127.0.0.1",
					ports[k].host_port, ports[k].container_port);
				free(fwd);
				fwd = t;
			}
			argv_push(&v, "user,id=net%zu%s", i, fwd ? fwd : "");
		} else if (str_has_prefix(nics[i], "bridge:"))
			argv_push(&v, "bridge,id=net%zu,br=%s", i, nics[i] + 7);
		else
			argv_push(&v, "tap,id=net%zu,fd=%d", i, 4 + kept++);
		argv_push(&v, "-device");
		argv_push(&v, "virtio-net-pci,netdev=net%zu,mac=%s", i, mac);
	}
	if (d->cloud_init) {
		/* A NoCloud seed: a FAT disk labelled "cidata" with user-data and
		 * meta-data, made from a directory by QEMU's vvfat driver. */
		_cleanup_free_ char *seed = xasprintf("%s/cidata", rundir);
		if (cloud_init_seed(d, seed, err) < 0) {
			strv_free(v);
			return hk_error_wrap(err, "--cloud-init");
		}
		argv_push(&v, "-blockdev");
		argv_push(&v, "driver=vvfat,node-name=cidata,dir=%s,label=cidata,read-only=on",
			  seed);
		argv_push(&v, "-device");
		argv_push(&v, "virtio-blk-pci,drive=cidata");
	}
	argv_push(&v, "-device");
	argv_push(&v, "virtio-rng-pci");
	*out = v;
	return 0;
}

struct mon {
	const char *root, *runroot, *name, *id;
	bool nets; /* NICs on hako networks: released when QEMU ends */
	char *rundir;
	pid_t qemu;
	int con;    /* our end of QEMU's stdio */
	int listen; /* console.sock */
	int clients[MAX_CLIENTS];
	int logfd;
	int sigfd;
};

static void log_write(struct mon *m, const char *buf, size_t n)
{
	struct stat st;

	if (m->logfd < 0)
		return;
	if (fstat(m->logfd, &st) == 0 && (size_t)st.st_size > LOG_MAX)
		if (ftruncate(m->logfd, 0) < 0)
			return;
	if (write_all(m->logfd, buf, n) < 0)
		return;
}

/* Wait until QMP answers (QEMU is up) or QEMU exits. */
static int wait_qmp(struct mon *m, struct hk_error **err)
{
	unsigned long long end = now_ns() + 60ull * 1000000000ull;
	_cleanup_free_ char *errlog = xasprintf("%s/qemu.err", m->rundir);
	_cleanup_free_ char *sock = xasprintf("%s/qmp.sock", m->rundir);

	while (now_ns() < end) {
		struct qmp *q = NULL;
		int ws;
		if (waitpid(m->qemu, &ws, WNOHANG) == m->qemu) {
			_cleanup_free_ char *last = vm_last_line(errlog);
			m->qemu = -1;
			return hk_error_set(err, 0, "QEMU failed to start: %s",
					    last ? last : "(no message)");
		}
		struct hk_error *e = NULL;
		if (qmp_connect(sock, 2000, &q, &e) == 0) {
			qmp_close(q);
			return 0;
		}
		hk_error_free(&e);
		usleep(10000);
	}
	return hk_error_set(err, ETIMEDOUT, "QEMU did not open its QMP socket within 60 s");
}

static void record(struct mon *m, const char *state, pid_t mon, pid_t qemu, const char *reason)
{
	_cleanup_db_ sqlite3 *db = NULL;
	struct hk_error *e = NULL;

	if (vm_db_open(m->root, &db, &e) < 0 || db_begin_immediate(db, &e) < 0) {
		hk_error_free(&e);
		return;
	}
	if (vm_db_set_state(db, m->name, state, mon, qemu, reason, &e) < 0) {
		db_rollback(db);
		hk_error_free(&e);
		return;
	}
	if (db_commit(db, &e) < 0)
		hk_error_free(&e);
}

static void drop_client(struct mon *m, int i)
{
	close(m->clients[i]);
	m->clients[i] = -1;
}

static void console_out(struct mon *m)
{
	char buf[16384];
	ssize_t n = read(m->con, buf, sizeof(buf));

	if (n <= 0)
		return;
	log_write(m, buf, (size_t)n);
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (m->clients[i] >= 0 && write_all(m->clients[i], buf, (size_t)n) < 0)
			drop_client(m, i);
}

/* Returns the QEMU wait status once it ended. */
static int loop(struct mon *m)
{
	for (;;) {
		struct pollfd p[3 + MAX_CLIENTS];
		int n = 0;
		p[n++] = (struct pollfd){.fd = m->sigfd, .events = POLLIN};
		p[n++] = (struct pollfd){.fd = m->con, .events = POLLIN};
		p[n++] = (struct pollfd){.fd = m->listen, .events = POLLIN};
		for (int i = 0; i < MAX_CLIENTS; i++)
			p[n++] = (struct pollfd){.fd = m->clients[i], .events = POLLIN};
		if (poll(p, (nfds_t)n, -1) < 0 && errno != EINTR)
			return -1;
		if (p[1].revents & POLLIN)
			console_out(m);
		if (p[2].revents & POLLIN) {
			int c = accept4(m->listen, NULL, NULL, SOCK_CLOEXEC);
			for (int i = 0; c >= 0 && i < MAX_CLIENTS; i++)
				if (m->clients[i] < 0) {
					m->clients[i] = c;
					c = -1;
				}
			if (c >= 0)
				close(c);
		}
		for (int i = 0; i < MAX_CLIENTS; i++) {
			char buf[4096];
			if (!(p[3 + i].revents & (POLLIN | POLLHUP | POLLERR)) || m->clients[i] < 0)
				continue;
			ssize_t k = read(m->clients[i], buf, sizeof(buf));
			if (k <= 0)
				drop_client(m, i);
			else if (write_all(m->con, buf, (size_t)k) < 0)
				drop_client(m, i);
		}
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			int ws;
			if (read(m->sigfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo != SIGCHLD) {
				/* Someone stops the monitor: stop QEMU the
				 * gentle way QEMU knows (it exits on SIGTERM). */
				kill(m->qemu, SIGTERM);
				continue;
			}
			if (waitpid(m->qemu, &ws, WNOHANG) == m->qemu) {
				/* Drain what QEMU printed last. */
				struct pollfd d = {.fd = m->con, .events = POLLIN};
				while (poll(&d, 1, 0) > 0 && (d.revents & POLLIN)) {
					char buf[16384];
					ssize_t k = read(m->con, buf, sizeof(buf));
					if (k <= 0)
						break;
					log_write(m, buf, (size_t)k);
				}
				return ws;
			}
		}
	}
}

static void finish(struct mon *m, int ws)
{
	_cleanup_free_ char *flag = xasprintf("%s/destroying", m->rundir);
	_cleanup_free_ char *errlog = xasprintf("%s/qemu.err", m->rundir);
	_cleanup_free_ char *reason = NULL;
	bool destroying = access(flag, F_OK) == 0;
	struct hk_error *e = NULL;

	if (destroying || (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)) {
		record(m, "shut off", 0, 0, NULL);
	} else {
		if (WIFSIGNALED(ws)) {
			reason = xasprintf("QEMU was killed by signal %d (%s)", WTERMSIG(ws),
					   strsignal(WTERMSIG(ws)));
		} else {
			_cleanup_free_ char *last = vm_last_line(errlog);
			reason = xasprintf("QEMU exited with status %d%s%s", WEXITSTATUS(ws),
					   last ? ": " : "", last ? last : "");
		}
		record(m, "crashed", 0, 0, reason);
	}
	if (m->nets)
		vm_net_release(m->root, m->runroot, m->id);
	if (rm_rf(m->rundir, &e) < 0)
		hk_error_free(&e);
}

/* The monitor itself (in its own session); ready_fd gets "" on success or
 * the error message. Never returns. */
static void __attribute__((noreturn))
monitor_main(const char *root, const char *runroot, const struct vm_def *d, const char *rundir,
	     const int *fds, size_t nfds, int ready_fd)
{
	struct mon m = {.root = root,
			.runroot = runroot,
			.name = d->name,
			.id = d->id,
			.nets = vm_has_net_nic(d),
			.qemu = -1,
			.logfd = -1,
			.listen = -1};
	int keep[VM_SPAWN_KEEP_MAX];
	size_t nkeep = 0;
	_cleanup_free_ char *dir = vm_dir(root, d->name),
			    *logp = vm_console_log_path(root, d->name);
	_cleanup_free_ char *errlog = xasprintf("%s/qemu.err", rundir);
	_cleanup_free_ char *csock = xasprintf("%s/console.sock", rundir);
	_cleanup_free_ char *qsock = xasprintf("%s/qmp.sock", rundir);
	_cleanup_strv_ char **argv = NULL;
	_cleanup_close_ int errfd = -1, qmpfd = -1;
	struct hk_error *err = NULL;
	sigset_t sigs;
	int sp[2] = {-1, -1}, ws;

	m.rundir = xstrdup(rundir);
	for (int i = 0; i < MAX_CLIENTS; i++)
		m.clients[i] = -1;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGCHLD);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	m.sigfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (mkdir_p(dir, 0700, &err) < 0)
		goto fail;
	m.logfd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	errfd = open(errlog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (m.logfd < 0 || errfd < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		hk_error_errno(&err, "console of %s", d->name);
		goto fail;
	}
	m.listen = sock_unix_listen(csock, SOCK_NONBLOCK, 4, &err);
	if (m.listen < 0) {
		hk_error_wrap(&err, "console socket");
		goto fail;
	}
	chmod(csock, 0600);
	qmpfd = sock_unix_listen(qsock, 0, 4, &err);
	if (qmpfd < 0) {
		hk_error_wrap(&err, "QMP socket");
		goto fail;
	}
	chmod(qsock, 0600);
	if (qemu_argv(d, rundir, &argv, &err) < 0)
		goto fail;
	/* fd 3 is the QMP socket, 4 + k the k-th tap */
	keep[nkeep++] = qmpfd;
	for (size_t i = 0; i < nfds; i++)
		if (fds[i] >= 0 && nkeep < VM_SPAWN_KEEP_MAX)
			keep[nkeep++] = fds[i];
	if (vm_spawn_keep(argv, sp[1], sp[1], errfd, keep, nkeep, false, &m.qemu, &err) < 0)
		goto fail;
	close(sp[1]);
	/* QEMU holds the taps now: they go when it ends */
	for (size_t i = 0; i < nkeep; i++)
		close(keep[i]);
	qmpfd = -1;
	m.con = sp[0];
	record(&m, "running", getpid(), m.qemu, NULL);
	if (wait_qmp(&m, &err) < 0) {
		if (m.qemu > 0) {
			kill(m.qemu, SIGKILL);
			waitpid(m.qemu, NULL, 0);
		}
		record(&m, "shut off", 0, 0, NULL);
		goto fail;
	}
	if (write_all(ready_fd, "", 1) < 0)
		_exit(1);
	close(ready_fd);
	ws = loop(&m);
	finish(&m, ws);
	_exit(0);
fail:
	if (write_all(ready_fd, hk_error_msg(err), strlen(hk_error_msg(err)) + 1) < 0)
		_exit(1);
	{
		struct hk_error *e = NULL;
		if (rm_rf(rundir, &e) < 0)
			hk_error_free(&e);
	}
	_exit(1);
}

static void close_fds(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

int vm_start(const char *root, const char *runroot, const char *name, struct hk_error **err)
{
	_cleanup_(vm_def_freep) struct vm_def *d = NULL;
	_cleanup_free_ char *rd = vm_rundir(runroot, name), *msg = NULL, *dir = NULL, *lockp = NULL;
	_cleanup_close_ int lock = -1;
	enum vm_state s;
	int pfd[2];
	pid_t child;
	size_t len = 0, nfds = 0;
	int ws;
	_cleanup_free_ int *fds = NULL;

	if (vm_state(root, runroot, name, &s, err) < 0)
		return -1;
	if (s == VM_RUNNING || s == VM_PAUSED || s == VM_STARTING)
		return hk_error_set(err, 0, "vm '%s' is already %s", name, vm_state_name(s));
	if (vm_get(root, name, &d, err) < 0)
		return -1;
	/* One monitor per VM: it holds this lock for its whole life (two
	 * concurrent starts would otherwise both launch QEMU). */
	dir = vm_dir(root, name);
	if (mkdir_p(dir, 0700, err) < 0)
		return -1;
	lockp = xasprintf("%s/monitor.lock", dir);
	lock = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0)
		return hk_error_errno(err, "vm start %s: %s", name, lockp);
	if (flock(lock, LOCK_EX | LOCK_NB) < 0)
		return hk_error_set(err, EBUSY, "vm '%s' is already running (or starting)", name);
	{
		struct hk_error *e = NULL;
		if (rm_rf(rd, &e) < 0)
			hk_error_free(&e);
	}
	if (mkdir_p(rd, 0700, err) < 0)
		return -1;
	vm_accel_pick(false); /* the TCG note, once, from the command */
	/* taps and addresses here, where the command's errors are seen; the
	 * monitor inherits the fds and hands them to QEMU */
	if (vm_net_attach(root, runroot, d, &fds, &nfds, err) < 0)
		return hk_error_wrap(err, "vm start %s", name);
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		close_fds(fds, nfds);
		vm_net_release(root, runroot, d->id);
		return hk_error_errno(err, "pipe");
	}
	fflush(NULL);
	child = fork();
	if (child < 0) {
		close(pfd[0]);
		close(pfd[1]);
		close_fds(fds, nfds);
		vm_net_release(root, runroot, d->id);
		return hk_error_errno(err, "fork");
	}
	if (child == 0) {
		int null = open("/dev/null", O_RDWR);
		close(pfd[0]);
		setsid();
		if (fork() != 0)
			_exit(0);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (chdir("/") < 0)
			_exit(1);
		monitor_main(root, runroot, d, rd, fds, nfds, pfd[1]);
	}
	close(pfd[1]);
	close_fds(fds, nfds);
	while (waitpid(child, &ws, 0) < 0 && errno == EINTR)
		;
	for (;;) {
		char buf[1024];
		ssize_t n = read(pfd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		msg = xrealloc(msg, len + (size_t)n + 1);
		memcpy(msg + len, buf, (size_t)n);
		len += (size_t)n;
		msg[len] = 0;
	}
	close(pfd[0]);
	if (!msg || *msg) {
		if (vm_has_net_nic(d))
			vm_net_release(root, runroot, d->id);
		if (!msg)
			return hk_error_set(
				err, 0, "vm start %s: the monitor ended before QEMU started", name);
		return hk_error_set(err, 0, "vm start %s: %s", name, msg);
	}
	return 0;
}
