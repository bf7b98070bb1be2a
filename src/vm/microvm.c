/* hako run --vm: an image's rootfs booted in QEMU's microvm machine.
 *
 * The rootfs becomes an ext4 disk image (mkfs.ext4 -d, cached per image ID
 * under <root>/vm/rootfs/) attached read-write with snapshot=on, so the
 * guest may write while the cached image never changes.  The Debian cloud
 * kernel has no 9p (CONFIG_NET_9P is off) and virtiofs needs a virtiofsd per
 * run; a block device needs neither.  The command, environment and working
 * directory travel on the kernel command line (hako.cfg=); its output comes
 * back on the serial console, ended by the exit marker hako-vminit prints.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "util/util.h"
#include "vm/internal.h"
#include "vm/vm.h"

#define DEFAULT_MEMORY (256ull << 20)

static uint64_t tree_bytes, tree_inodes;

static int tree_count(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	tree_bytes += (uint64_t)st->st_blocks * 512 + 4096;
	tree_inodes++;
	return 0;
}

/* mkfs.ext4 -d copies the tree with owners, modes and xattrs. */
static int make_ext4(const char *dir, const char *out, struct hk_error **err)
{
	_cleanup_free_ char *size = NULL, *inodes = NULL, *output = NULL;
	uint64_t bytes;
	int r;

	tree_bytes = tree_inodes = 0;
	if (nftw(dir, tree_count, 32, FTW_PHYS | FTW_MOUNT) < 0)
		return hk_error_errno(err, "rootfs %s", dir);
	/* Room for metadata and a little writing (writes go to a snapshot). */
	bytes = tree_bytes + tree_bytes / 4 + (32ull << 20);
	size = xasprintf("%lluk", (unsigned long long)(bytes / 1024));
	inodes = xasprintf("%llu", (unsigned long long)(tree_inodes * 2 + 4096));
	char *argv[] = {"mkfs.ext4",	"-q",	     "-F",   "-t", "ext4",	"-O",
			"^has_journal", "-N",	     inodes, "-L", "hako-root", "-d",
			(char *)dir,	(char *)out, size,   NULL};
	r = vm_run_capture(argv, &output, err);
	if (r < 0)
		return -1;
	if (r != 0) {
		unlink(out);
		return hk_error_set(err, 0, "mkfs.ext4 -d %s failed (status %d): %s", dir, r,
				    output);
	}
	return 0;
}

static bool key_ok(const char *key)
{
	if (!*key || strlen(key) > 128)
		return false;
	for (const char *p = key; *p; p++)
		if (!strchr("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_.-",
			    *p))
			return false;
	return key[0] != '.';
}

char *vm_rootfs_cached(const char *root, const char *key)
{
	char *p;

	if (!key || !key_ok(key))
		return NULL;
	p = xasprintf("%s/vm/rootfs/%s.ext4", root, key);
	if (access(p, R_OK) == 0)
		return p;
	free(p);
	return NULL;
}

/* The rootfs disk: cached by key, or built for this run only (*temp set). */
static int rootfs_disk(const char *root, const char *rundir, const struct vm_run_opts *o,
		       char **out, bool *temp, struct hk_error **err)
{
	_cleanup_free_ char *dir = NULL, *final = NULL, *tmp = NULL;
	struct stat st;

	if (o->cache_key && !key_ok(o->cache_key))
		return hk_error_set(err, 0, "rootfs cache key '%s': invalid", o->cache_key);
	if (o->cache_key && (*out = vm_rootfs_cached(root, o->cache_key))) {
		*temp = false;
		return 0;
	}
	if (!o->rootfs)
		return hk_error_set(err, 0, "run --vm: no root filesystem");
	if (stat(o->rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
		return hk_error_set(err, errno ? errno : ENOTDIR, "rootfs %s: not a directory",
				    o->rootfs);
	*temp = !o->cache_key;
	if (!o->cache_key) {
		final = xasprintf("%s/rootfs.ext4", rundir);
		if (make_ext4(o->rootfs, final, err) < 0)
			return -1;
		*out = steal_ptr(&final);
		return 0;
	}
	dir = xasprintf("%s/vm/rootfs", root);
	final = xasprintf("%s/%s.ext4", dir, o->cache_key);
	if (access(final, R_OK) == 0) {
		*out = steal_ptr(&final);
		return 0;
	}
	if (mkdir_p(dir, 0700, err) < 0)
		return -1;
	tmp = xasprintf("%s/.tmp-%d.ext4", dir, getpid());
	if (make_ext4(o->rootfs, tmp, err) < 0)
		return -1;
	if (rename(tmp, final) < 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return hk_error_errno(err, "rename %s", final);
	}
	*out = steal_ptr(&final);
	return 0;
}

struct run_ctx {
	pid_t qemu;
	int out;   /* QEMU's serial output */
	int in;	   /* QEMU's serial input, or -1 */
	int pin;   /* ports mode: our end of hako.in, or -1 */
	int pout;  /* ports mode: our end of hako.out */
	int sigfd; /* SIGINT/SIGTERM/SIGHUP/SIGCHLD */
	bool raw;
	struct termios saved;
};

/* Copy the console to stdout until QEMU ends; returns the marker's status
 * or -1 when none came. */
static int pump(struct run_ctx *c, const char *nonce, int *killed_by)
{
	struct vm_marker m;
	char in[4096], out[4096 + 128];
	bool stdin_open = c->in >= 0;

	vm_marker_init(&m, nonce);
	*killed_by = 0;
	for (;;) {
		struct pollfd p[3] = {
			{.fd = c->out, .events = POLLIN},
			{.fd = c->sigfd, .events = POLLIN},
			{.fd = stdin_open ? 0 : -1, .events = POLLIN},
		};
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(c->sigfd, &si, sizeof(si)) == sizeof(si) &&
			    si.ssi_signo != SIGCHLD) {
				*killed_by = (int)si.ssi_signo;
				kill(c->qemu, SIGTERM);
			}
		}
		if (p[2].revents & (POLLIN | POLLHUP)) {
			ssize_t n = read(0, in, sizeof(in));
			if (n <= 0) {
				stdin_open = false;
				close(c->in);
				c->in = -1;
			} else if (write_all(c->in, in, (size_t)n) < 0) {
				stdin_open = false;
			}
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(c->out, in, sizeof(in));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			size_t k = vm_marker_feed(&m, in, (size_t)n, out);
			if (k && write_all(1, out, k) < 0)
				break;
			if (m.status >= 0) {
				/* The guest is done and powers itself off; nothing it
				 * still does matters (its disk is a snapshot). */
				kill(c->qemu, SIGTERM);
				break;
			}
		}
	}
	if (m.status < 0) {
		size_t k = vm_marker_flush(&m, out);
		if (k && write_all(1, out, k) < 0)
			return -1;
	}
	return m.status;
}

/* The frames of hako.out in buf (len bytes, *used of them consumed): data
 * to stdout and stderr, the exit status into *status. */
static int frames_feed(const unsigned char *buf, size_t len, size_t *used, int *status)
{
	size_t at = 0;

	while (len - at >= VM_FRAME_HDR) {
		const unsigned char *h = buf + at;
		size_t n = (size_t)h[1] << 24 | (size_t)h[2] << 16 | (size_t)h[3] << 8 | h[4];
		if (n > (1u << 20))
			return -1; /* no frame of ours is that big */
		if (len - at - VM_FRAME_HDR < n)
			break;
		const unsigned char *d = h + VM_FRAME_HDR;
		if (h[0] == VM_FRAME_STDOUT || h[0] == VM_FRAME_STDERR) {
			if (write_all(h[0] == VM_FRAME_STDOUT ? 1 : 2, d, n) < 0 && errno != EPIPE)
				return -1;
		} else if (h[0] == VM_FRAME_EXIT) {
			char num[16] = "";
			memcpy(num, d, n < sizeof(num) - 1 ? n : sizeof(num) - 1);
			*status = atoi(num);
		}
		at += VM_FRAME_HDR + n;
	}
	*used = at;
	return 0;
}

/* Ports mode: stdout and stderr from hako.out's frames until the exit
 * frame, stdin to hako.in (EOF: our write side shut), the serial console
 * (kernel and hako-vminit messages) to stderr. */
static int pump_ports(struct run_ctx *c, bool interactive, int *killed_by)
{
	static unsigned char buf[(1u << 20) + 2 * 65536];
	size_t have = 0;
	char in[65536];
	bool stdin_open = interactive, console_open = true;
	int status = -1;

	*killed_by = 0;
	if (!interactive)
		shutdown(c->pin, SHUT_WR);
	while (status < 0) {
		struct pollfd p[4] = {
			{.fd = c->pout, .events = POLLIN},
			{.fd = c->sigfd, .events = POLLIN},
			{.fd = stdin_open ? 0 : -1, .events = POLLIN},
			{.fd = console_open ? c->out : -1, .events = POLLIN},
		};
		if (poll(p, 4, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(c->sigfd, &si, sizeof(si)) == sizeof(si) &&
			    si.ssi_signo != SIGCHLD) {
				*killed_by = (int)si.ssi_signo;
				kill(c->qemu, SIGTERM);
			}
		}
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(0, in, sizeof(in));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0 || write_all(c->pin, in, (size_t)n) < 0) {
				stdin_open = false;
				shutdown(c->pin, SHUT_WR);
			}
		}
		if (p[3].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(c->out, in, sizeof(in));
			if (n <= 0)
				console_open = false;
			else if (write_all(2, in, (size_t)n) < 0)
				console_open = false;
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			size_t used = 0;
			ssize_t n = read(c->pout, buf + have, sizeof(buf) - have);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break; /* QEMU ended */
			have += (size_t)n;
			if (frames_feed(buf, have, &used, &status) < 0)
				break;
			memmove(buf, buf + used, have - used);
			have -= used;
		}
	}
	if (status >= 0)
		kill(c->qemu, SIGTERM); /* the guest is done (its disk is a snapshot) */
	return status;
}

static int build_cmdline(const struct vm_run_opts *o, const struct vm_accel *ac, const char *nonce,
			 char **out, struct hk_error **err)
{
	_cleanup_free_ char *cfg = NULL, *extra = ac->kernel_args();
	struct vm_guest_cfg g = {
		.modules = "micro",
		.rootdev = "vda",
		.argv = o->argv,
		.env = o->env,
		.cwd = o->cwd,
		.nonce = nonce,
		.tty = o->tty,
		.ports = !o->tty,
	};

	if (vm_guest_cfg_encode(&g, &cfg, err) < 0)
		return -1;
	/* quiet: kernel messages would mix with the command's output.
	 * pci=off: microvm has no PCI bus, only virtio-mmio (ACPI-described). */
	*out = xasprintf("console=ttyS0 quiet loglevel=1 panic=-1 pci=off %s %s", extra, cfg);
	return 0;
}

int vm_run(const char *root, const char *runroot, const struct vm_run_opts *o,
	   struct hk_error **err)
{
	_cleanup_free_ char *rundir = NULL, *initrd = NULL, *disk = NULL, *append = NULL;
	_cleanup_free_ char *mem = NULL, *smp = NULL, *drive = NULL, *errlog = NULL;
	_cleanup_free_ char *accel = NULL;
	_cleanup_close_ int errfd = -1;
	struct vm_kernel k = {0};
	struct run_ctx c = {.qemu = -1, .out = -1, .in = -1, .sigfd = -1, .pin = -1, .pout = -1};
	int pin[2] = {-1, -1}, pout[2] = {-1, -1};
	const struct vm_accel *ac;
	char nonce[17];
	int outp[2] = {-1, -1}, inp[2] = {-1, -1};
	bool temp_disk = false;
	sigset_t sigs, old;
	int status = -1, ws, killed_by = 0;

	if (!o->argv || !o->argv[0])
		return hk_error_set(err, 0, "run --vm: no command (the image has none either)");
	vm_random_hex(nonce, 8);
	if (vm_kernel_find(o->kernel, &k, err) < 0)
		return -1;
	if (!k.modules_dir) {
		hk_error_set(err, 0,
			     "guest kernel %s: its modules (lib/modules/<version>) not "
			     "found; set HAKO_VM_MODULES",
			     k.vmlinuz);
		goto out;
	}
	ac = vm_accel_pick(o->quiet);
	if (build_cmdline(o, ac, nonce, &append, err) < 0)
		goto out;
	if (vm_initramfs_build(root, &k, &initrd, err) < 0)
		goto out;
	rundir = xasprintf("%s/vm/run-%s", runroot, nonce);
	if (mkdir_p(rundir, 0700, err) < 0)
		goto out;
	if (rootfs_disk(root, rundir, o, &disk, &temp_disk, err) < 0)
		goto out;

	accel = xstrdup(ac->qemu_arg);
	mem = xasprintf("%llu",
			(unsigned long long)((o->memory ? o->memory : DEFAULT_MEMORY) >> 20));
	smp = xasprintf("%d", o->cpus > 0 ? o->cpus : 1);
	drive = xasprintf("id=root,file=%s,format=raw,if=none,snapshot=on,cache=unsafe", disk);
	errlog = xasprintf("%s/qemu.err", rundir);
	char *argv[] = {
		(char *)vm_qemu_binary(),
		"-M",
		"microvm,x-option-roms=off,isa-serial=on,rtc=on,pit=on,pic=on",
		"-accel",
		accel,
		"-cpu",
		(char *)ac->cpu,
		"-m",
		mem,
		"-smp",
		smp,
		"-nodefaults",
		"-no-user-config",
		"-display",
		"none",
		"-chardev",
		"stdio,id=con,signal=off",
		"-serial",
		"chardev:con",
		"-kernel",
		k.vmlinuz,
		"-initrd",
		initrd,
		"-append",
		append,
		"-drive",
		drive,
		"-device",
		"virtio-blk-device,drive=root",
		"-no-reboot",
		/* stdio of the command (not -t): ports hako.in and hako.out on
		 * sockets whose other ends we hold (QEMU's fds 3 and 4) */
		o->tty ? NULL : "-device",
		"virtio-serial-device,max_ports=3",
		"-chardev",
		"socket,id=hin,fd=3",
		"-device",
		"virtserialport,chardev=hin,name=hako.in,nr=1",
		"-chardev",
		"socket,id=hout,fd=4",
		"-device",
		"virtserialport,chardev=hout,name=hako.out,nr=2",
		NULL,
	};

	errfd = open(errlog, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (errfd < 0 || pipe2(outp, O_CLOEXEC) < 0 || pipe2(inp, O_CLOEXEC) < 0 ||
	    (!o->tty && (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pin) < 0 ||
			 socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pout) < 0))) {
		hk_error_errno(err, "run --vm: set up QEMU's console");
		goto out;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGCHLD);
	sigprocmask(SIG_BLOCK, &sigs, &old);
	c.sigfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	int keep[2] = {pin[1], pout[1]};
	if (vm_spawn_keep(argv, o->interactive && o->tty ? inp[0] : -1, outp[1], errfd, keep,
			  o->tty ? 0 : 2, false, &c.qemu, err) < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		goto out;
	}
	if (!o->tty) {
		close(pin[1]);
		close(pout[1]);
		pin[1] = pout[1] = -1;
		c.pin = steal_fd(&pin[0]);
		c.pout = steal_fd(&pout[0]);
	}
	close(outp[1]);
	close(inp[0]);
	outp[1] = inp[0] = -1;
	c.out = outp[0];
	c.in = o->interactive && o->tty ? steal_fd(&inp[1]) : -1;
	if (o->tty && isatty(0) && tcgetattr(0, &c.saved) == 0) {
		struct termios raw = c.saved;
		cfmakeraw(&raw);
		c.raw = tcsetattr(0, TCSANOW, &raw) == 0;
	}
	status = o->tty ? pump(&c, nonce, &killed_by) : pump_ports(&c, o->interactive, &killed_by);
	if (c.raw)
		tcsetattr(0, TCSANOW, &c.saved);
	while (waitpid(c.qemu, &ws, 0) < 0 && errno == EINTR)
		;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (status < 0) {
		_cleanup_free_ char *last = vm_last_line(errlog);
		if (killed_by)
			status = 128 + killed_by;
		else
			hk_error_set(err, 0, "run --vm: the VM stopped without an exit status%s%s",
				     last ? " (QEMU: " : "", last ? last : "");
		if (last && !killed_by) {
			struct hk_error *e = *err;
			char *m = xasprintf("%s)", e->msg);
			free(e->msg);
			e->msg = m;
		}
	}
out:
	if (c.in >= 0)
		close(c.in);
	if (c.pin >= 0)
		close(c.pin);
	if (c.pout >= 0)
		close(c.pout);
	for (int i = 0; i < 2; i++) {
		if (pin[i] >= 0)
			close(pin[i]);
		if (pout[i] >= 0)
			close(pout[i]);
	}
	if (c.out >= 0)
		close(c.out);
	if (c.sigfd >= 0)
		close(c.sigfd);
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0 && outp[i] != c.out)
			close(outp[i]);
		if (inp[i] >= 0 && inp[i] != c.in)
			close(inp[i]);
	}
	if (rundir) {
		struct hk_error *e = NULL;
		if (rm_rf(rundir, &e) < 0)
			hk_error_free(&e);
	}
	vm_kernel_free(&k);
	return status;
}
