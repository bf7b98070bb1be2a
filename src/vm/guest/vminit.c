/* hako-vminit: PID 1 of hako's virtual machines.
 *
 * It lives in the initramfs hako builds (src/vm/kernel.c) next to the
 * kernel modules the Debian cloud kernel has as modules but a VM needs
 * (virtio transports, virtio-blk, ...).  Its whole configuration comes from
 * one kernel command line parameter, hako.cfg=<base64url>, whose payload is a
 * list of NUL-terminated records (written by src/vm/guestcfg.c):
 *
 *   m<list>   which module list to load ("micro" or "full")
 *   r<dev>    a block device holding the root filesystem (ext4): mount it,
 *             switch to it, run the command there (hako run --vm)
 *   a<arg>    the command, one record per argument
 *   e<K=V>    its environment
 *   w<dir>    its working directory
 *   t         the console is a terminal for the command (-it)
 *   s<script> run /bin/sh -c script (managed VMs' tests)
 *   n<nonce>  print "<<hako-exit:NONCE:STATUS>>" when the command ends, so the
 *             host reads the exit status from the serial console
 *   k         keep running after the command (do not power off)
 *   p         stdio over virtio ports (not -t): the command's stdin is the
 *             port "hako.in" (EOF when the host shuts its end), its stdout
 *             and stderr are pipes relayed as frames on the port "hako.out"
 *             (see vm.h, VM_FRAME_*), ending with the exit status frame:
 *             one ordered stream, so the status never overtakes output, and
 *             nothing of stdin is lost (QEMU holds it until the port opens)
 *
 * Without a command or a script it runs an interactive shell on the console,
 * respawned when it exits, and powers off when ACPI's power button is
 * pressed (QMP system_powerdown), as an ordinary distribution would.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <linux/reboot.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 256

struct cfg {
	const char *modules;
	const char *rootdev;
	const char *cwd;
	const char *script;
	const char *nonce;
	bool tty, keep, ports;
	int port_in, port_out; /* the virtio ports (p), -1 before */
	char *argv[MAX_ARGS + 1];
	char *envp[MAX_ARGS + 1];
	int argc, envc;
};

static void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void msg(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(2, "hako-vminit: ", 13) < 0 || write(2, buf, (size_t)n) < 0)
		return;
}

static void power_off(void)
{
	sync();
	reboot(RB_POWER_OFF);
	/* Without ACPI power off (should not happen), halting is the next best:
	 * the host sees the exit marker and stops QEMU. */
	reboot(RB_HALT_SYSTEM);
	for (;;)
		pause();
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-' || c == '+')
		return 62;
	if (c == '_' || c == '/')
		return 63;
	return -1;
}

/* Decode base64url (no padding needed) in place; returns the length. */
static size_t b64decode(char *s)
{
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;

	for (char *p = s; *p; p++) {
		int v = b64val((unsigned char)*p);
		if (v < 0)
			break;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			s[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	return o;
}

static void parse_cfg(char *payload, size_t len, struct cfg *c)
{
	size_t i = 0;

	while (i < len) {
		char *rec = payload + i;
		size_t n = strnlen(rec, len - i);
		char *val = rec + 1;
		if (n == 0) {
			i++;
			continue;
		}
		switch (rec[0]) {
		case 'm':
			c->modules = val;
			break;
		case 'r':
			c->rootdev = val;
			break;
		case 'w':
			c->cwd = val;
			break;
		case 's':
			c->script = val;
			break;
		case 'n':
			c->nonce = val;
			break;
		case 't':
			c->tty = true;
			break;
		case 'k':
			c->keep = true;
			break;
		case 'p':
			c->ports = true;
			break;
		case 'a':
			if (c->argc < MAX_ARGS)
				c->argv[c->argc++] = val;
			break;
		case 'e':
			if (c->envc < MAX_ARGS)
				c->envp[c->envc++] = val;
			break;
		}
		i += n + 1;
	}
}

/* /proc/cmdline is at most a page; find hako.cfg= in it. */
static void read_cfg(struct cfg *c)
{
	static char buf[4096];
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n;
	char *p, *end;

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	for (p = buf; (p = strstr(p, "hako.cfg=")); p++) {
		if (p == buf || p[-1] == ' ')
			break;
	}
	if (!p)
		return;
	p += strlen("hako.cfg=");
	end = p + strcspn(p, " \n");
	*end = 0;
	parse_cfg(p, b64decode(p), c);
}

static void load_modules(const char *list)
{
	char path[128], buf[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/lib/modules/hako/%s.list", list);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		msg("no module list %s: %s", path, strerror(errno));
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char ko[256];
		int mfd;
		snprintf(ko, sizeof(ko), "/lib/modules/hako/%s", line);
		mfd = open(ko, O_RDONLY | O_CLOEXEC);
		if (mfd < 0) {
			msg("open %s: %s", ko, strerror(errno));
			continue;
		}
		if (syscall(SYS_finit_module, mfd, "", 0) < 0 && errno != EEXIST)
			msg("load %s: %s", line, strerror(errno));
		close(mfd);
	}
}

static void mount_basics(const char *root)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/proc", root);
	mkdir(p, 0555);
	mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	snprintf(p, sizeof(p), "%s/sys", root);
	mkdir(p, 0555);
	mount("sysfs", p, "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	snprintf(p, sizeof(p), "%s/dev", root);
	mkdir(p, 0755);
	mount("devtmpfs", p, "devtmpfs", MS_NOSUID, "mode=0755");
	snprintf(p, sizeof(p), "%s/dev/pts", root);
	mkdir(p, 0755);
	mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620");
	snprintf(p, sizeof(p), "%s/dev/shm", root);
	mkdir(p, 01777);
	mount("shm", p, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	snprintf(p, sizeof(p), "%s/tmp", root);
	if (mkdir(p, 01777) == 0 || errno == EEXIST)
		mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
}

static void loopback_up(void)
{
	struct ifreq ifr = {0};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return;
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
}

/* Mount the image's root filesystem and make it / (switch_root without
 * deleting the initramfs: it is a few MB of RAM in a short-lived VM). */
static int enter_root(const char *dev)
{
	char path[128];

	snprintf(path, sizeof(path), "/dev/%s", dev);
	/* virtio-mmio probing is synchronous, but be patient with slow TCG. */
	for (int i = 0; i < 500 && access(path, F_OK) != 0; i++)
		usleep(2000);
	mkdir("/newroot", 0755);
	if (mount(path, "/newroot", "ext4", 0, NULL) < 0) {
		msg("mount %s: %s", path, strerror(errno));
		return -1;
	}
	if (chdir("/newroot") < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
	    chdir("/") < 0) {
		msg("switch to the root filesystem: %s", strerror(errno));
		return -1;
	}
	mount_basics("");
	return 0;
}

/* In the initramfs (managed VMs), make busybox's applets commands. */
static void install_busybox(void)
{
	pid_t p;

	if (access("/bin/busybox", X_OK) != 0 || access("/bin/sh", F_OK) == 0)
		return;
	p = fork();
	if (p == 0) {
		execl("/bin/busybox", "busybox", "--install", "-s", "/bin", (char *)NULL);
		_exit(127);
	}
	if (p > 0)
		waitpid(p, NULL, 0);
}

static void setup_console(bool tty)
{
	struct termios t;
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);

	if (fd < 0)
		fd = open("/dev/ttyS0", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
	if (tcgetattr(0, &t) == 0) {
		if (!tty) {
			/* The host reads bytes, not a terminal: no \r\n, no echo. */
			cfmakeraw(&t);
		} else {
			t.c_lflag |= ECHO | ICANON | ISIG;
			t.c_oflag |= OPOST | ONLCR;
		}
		tcsetattr(0, TCSANOW, &t);
	}
}

/* Frames on hako.out: type (1 stdout, 2 stderr, 3 exit status), length
 * (32-bit big endian), data; the exit frame's data is the status as text. */
#define FRAME_STDOUT 1
#define FRAME_STDERR 2
#define FRAME_EXIT   3

/* The /dev node of the virtio port named name, opened with flags; it shows
 * up shortly after virtio_console is loaded (the host names it). */
static int open_port(const char *name, int flags)
{
	for (int tries = 0; tries < 500; tries++) {
		DIR *d = opendir("/sys/class/virtio-ports");
		struct dirent *e;
		while (d && (e = readdir(d))) {
			char p[300], buf[64];
			ssize_t n;
			int fd;
			if (e->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "/sys/class/virtio-ports/%s/name", e->d_name);
			fd = open(p, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (n <= 0)
				continue;
			buf[n] = 0;
			buf[strcspn(buf, "\n")] = 0;
			if (strcmp(buf, name))
				continue;
			snprintf(p, sizeof(p), "/dev/%s", e->d_name);
			fd = open(p, flags | O_CLOEXEC);
			if (fd >= 0) {
				closedir(d);
				return fd;
			}
		}
		if (d)
			closedir(d);
		usleep(10000);
	}
	msg("virtio port %s did not appear", name);
	return -1;
}

static int write_full(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void frame(int fd, int type, const void *data, size_t n)
{
	unsigned char h[5] = {(unsigned char)type, (unsigned char)(n >> 24),
			      (unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n};

	if (fd < 0 || write_full(fd, h, 5) < 0 || write_full(fd, data, n) < 0)
		return;
}

/* Relay what a pipe has now; false at EOF. */
static bool relay(int from, int to, int type)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	frame(to, type, buf, (size_t)n);
	return true;
}

static int status_of(int ws)
{
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	if (WIFSIGNALED(ws))
		return 128 + WTERMSIG(ws);
	return 255;
}

static void exec_child(struct cfg *c, char **argv, bool shell_tty)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	if (c->tty || shell_tty)
		ioctl(0, TIOCSCTTY, 1);
	if (c->envc) {
		c->envp[c->envc] = NULL;
		environ = c->envp;
	} else {
		static char *defenv[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/"
					 "sbin:/bin",
					 "HOME=/root", "TERM=linux", NULL};
		environ = defenv;
	}
	if (c->cwd && chdir(c->cwd) < 0) {
		msg("chdir %s: %s", c->cwd, strerror(errno));
		_exit(126);
	}
	execvp(argv[0], argv);
	msg("exec %s: %s", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* Open every /dev/input/event* that reports KEY_POWER. */
static int open_power_buttons(struct pollfd *pfd, int max)
{
	DIR *d = opendir("/dev/input");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		unsigned long keys[KEY_MAX / (8 * sizeof(long)) + 1] = {0};
		char p[300];
		int fd;
		if (strncmp(e->d_name, "event", 5))
			continue;
		snprintf(p, sizeof(p), "/dev/input/%s", e->d_name);
		fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			continue;
		if (ioctl(fd, EVIOCGBIT(EV_KEY, sizeof(keys)), keys) >= 0 &&
		    (keys[KEY_POWER / (8 * sizeof(long))] >> (KEY_POWER % (8 * sizeof(long)))) &
			    1) {
			pfd[n].fd = fd;
			pfd[n].events = POLLIN;
			n++;
		} else {
			close(fd);
		}
	}
	closedir(d);
	return n;
}

static bool power_pressed(struct pollfd *pfd, int n)
{
	for (int i = 0; i < n; i++) {
		struct input_event ev;
		if (!(pfd[i].revents & POLLIN))
			continue;
		while (read(pfd[i].fd, &ev, sizeof(ev)) == (ssize_t)sizeof(ev)) {
			if (ev.type == EV_KEY && ev.code == KEY_POWER && ev.value == 1)
				return true;
		}
	}
	return false;
}

/* Run the main process and reap everything (we are PID 1) until it ends or
 * the power button is pressed.  Returns its status, or -1 on power off. */
static int supervise(struct cfg *c, char **argv, bool shell)
{
	struct pollfd pfd[10];
	int nbtn = open_power_buttons(pfd, 8);
	int outp[2] = {-1, -1}, errp[2] = {-1, -1};
	bool relaying = c->ports && c->port_out >= 0;
	pid_t child;

	if (relaying &&
	    (pipe2(outp, O_CLOEXEC | O_NONBLOCK) < 0 || pipe2(errp, O_CLOEXEC | O_NONBLOCK) < 0)) {
		msg("pipe: %s", strerror(errno));
		return 126;
	}
	child = fork();
	if (child < 0) {
		msg("fork: %s", strerror(errno));
		return 126;
	}
	if (child == 0) {
		if (relaying) {
			/* blocking for the command: the relay's ends stay
			 * non-blocking (a file status flag of the read end) */
			dup2(c->port_in >= 0 ? c->port_in : open("/dev/null", O_RDONLY), 0);
			dup2(outp[1], 1);
			dup2(errp[1], 2);
			fcntl(1, F_SETFL, 0);
			fcntl(2, F_SETFL, 0);
		}
		exec_child(c, argv, shell);
	}
	if (relaying) {
		close(outp[1]);
		close(errp[1]);
		pfd[nbtn] = (struct pollfd){.fd = outp[0], .events = POLLIN};
		pfd[nbtn + 1] = (struct pollfd){.fd = errp[0], .events = POLLIN};
	}
	for (;;) {
		int ws;
		pid_t p;
		while ((p = waitpid(-1, &ws, WNOHANG)) > 0) {
			if (p != child)
				continue;
			if (relaying) {
				/* everything the command wrote is in the pipes;
				 * what background processes write later is not
				 * waited for */
				while (relay(outp[0], c->port_out, FRAME_STDOUT))
					if (poll(&pfd[nbtn], 1, 0) <= 0)
						break;
				while (relay(errp[0], c->port_out, FRAME_STDERR))
					if (poll(&pfd[nbtn + 1], 1, 0) <= 0)
						break;
				close(outp[0]);
				close(errp[0]);
			}
			return status_of(ws);
		}
		int r = poll(pfd, (nfds_t)(nbtn + (relaying ? 2 : 0)), 50);
		if (r > 0 && relaying) {
			if ((pfd[nbtn].revents & (POLLIN | POLLHUP)) &&
			    !relay(outp[0], c->port_out, FRAME_STDOUT))
				pfd[nbtn].fd = -1;
			if ((pfd[nbtn + 1].revents & (POLLIN | POLLHUP)) &&
			    !relay(errp[0], c->port_out, FRAME_STDERR))
				pfd[nbtn + 1].fd = -1;
		}
		if (r > 0 && power_pressed(pfd, nbtn)) {
			kill(-child, SIGTERM);
			kill(child, SIGTERM);
			return -1;
		}
	}
}

static void report(const struct cfg *c, int status)
{
	char buf[160];
	int n;

	if (c->ports && c->port_out >= 0) {
		n = snprintf(buf, sizeof(buf), "%d", status);
		frame(c->port_out, FRAME_EXIT, buf, (size_t)n);
		return;
	}
	if (!c->nonce)
		return;
	n = snprintf(buf, sizeof(buf), "<<hako-exit:%s:%d>>\n", c->nonce, status);
	if (write(1, buf, (size_t)n) < 0)
		return;
	tcdrain(1);
}

int main(void)
{
	static struct cfg c;
	sigset_t all;
	int status;

	if (getpid() != 1) {
		fprintf(stderr, "hako-vminit: must run as PID 1 of a VM\n");
		return 1;
	}
	sigfillset(&all);
	sigdelset(&all, SIGCHLD);
	sigprocmask(SIG_SETMASK, &all, NULL);
	mount_basics("");
	setup_console(false);
	read_cfg(&c);
	setup_console(c.tty || (!c.argc && !c.script));
	load_modules(c.modules ? c.modules : "full");
	c.port_in = c.port_out = -1;
	loopback_up();
	/* the ports show up while the root is mounted (the driver's control
	 * messages are answered asynchronously); the root's /dev is the same
	 * devtmpfs */
	if (c.rootdev && enter_root(c.rootdev) < 0) {
		if (c.ports && !c.tty)
			c.port_out = open_port("hako.out", O_WRONLY);
		report(&c, 125);
		power_off();
	}
	if (c.ports && !c.tty) {
		c.port_out = open_port("hako.out", O_WRONLY);
		c.port_in = open_port("hako.in", O_RDONLY);
	}
	if (!c.rootdev)
		install_busybox();
	if (c.argc) {
		c.argv[c.argc] = NULL;
		status = supervise(&c, c.argv, false);
	} else if (c.script) {
		char *argv[] = {"/bin/sh", "-c", (char *)c.script, NULL};
		status = supervise(&c, argv, false);
	} else {
		char *argv[] = {"/bin/sh", NULL};
		for (;;) {
			time_t t0 = time(NULL);
			status = supervise(&c, argv, true);
			if (status < 0)
				break;
			if (time(NULL) - t0 < 1)
				sleep(1); /* a shell that cannot start: do not spin */
		}
	}
	if (status >= 0)
		report(&c, status);
	if (c.keep && status >= 0) {
		char *argv[] = {"/bin/sh", NULL};
		while (supervise(&c, argv, true) >= 0)
			;
	}
	power_off();
	return 0;
}
