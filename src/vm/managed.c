/* Managed VMs: definitions, disks and lifecycle.
 *
 *   <root>/vm/<name>/disk.qcow2     the disk hako made (vm create --disk SIZE)
 *   <root>/vm/<name>/console.log    everything the serial console printed
 *   <runroot>/vm/<name>/qmp.sock    QEMU's QMP socket
 *   <runroot>/vm/<name>/console.sock the monitor's console socket (vm console)
 *   <runroot>/vm/<name>/destroying  set before a hard power off, so the monitor
 *                                   records "shut off" rather than "crashed"
 *
 * Each running VM has a monitor process (monitor.c); the state shown is read
 * from QMP (query-status) while it runs, and is what the monitor recorded
 * (shut off / crashed) when it does not.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "net/net.h"
#include "util/util.h"
#include "vm/internal.h"
#include "vm/vm.h"

const char *vm_state_name(enum vm_state s)
{
	switch (s) {
	case VM_RUNNING:
		return "running";
	case VM_PAUSED:
		return "paused";
	case VM_CRASHED:
		return "crashed";
	case VM_STARTING:
		return "starting";
	case VM_SHUTOFF:
		break;
	}
	return "shut off";
}

char *vm_dir(const char *root, const char *name)
{
	return xasprintf("%s/vm/vms/%s", root, name);
}

char *vm_rundir(const char *runroot, const char *name)
{
	return xasprintf("%s/vm/vms/%s", runroot, name);
}

char *vm_console_log_path(const char *root, const char *name)
{
	return xasprintf("%s/vm/vms/%s/console.log", root, name);
}

static int check_name(const char *name, struct hk_error **err)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 63)
		return hk_error_set(err, 0, "vm name '%s': 1 to 63 characters", name ? name : "");
	if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", name[0]))
		return hk_error_set(err, 0, "vm name '%s': must start with a letter or digit",
				    name);
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
			    name[i]))
			return hk_error_set(err, 0,
					    "vm name '%s': only letters, digits, '_', '.' and '-'",
					    name);
	return 0;
}

static int check_file(const char *what, const char *path, struct hk_error **err)
{
	struct stat st;

	if (!path)
		return 0;
	if (stat(path, &st) < 0)
		return hk_error_errno(err, "%s %s", what, path);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return hk_error_set(err, 0, "%s %s: not a regular file", what, path);
	if (access(path, R_OK) < 0)
		return hk_error_errno(err, "%s %s", what, path);
	return 0;
}

/* A comma-separated list of NICs: user, none, bridge:NAME or a hako
 * network (which must exist). */
static int check_network(const char *root, const char *net, struct hk_error **err)
{
	_cleanup_strv_ char **nics = vm_nics(net);

	for (char **n = nics; *n; n++)
		if (str_has_prefix(*n, "bridge:") &&
		    (!(*n)[7] || strlen(*n) >= 7 + 16 || strpbrk(*n + 7, "/ =")))
			return hk_error_set(err, 0,
					    "--network %s: expected user, none, bridge:NAME or a"
					    " hako network",
					    *n);
	return vm_net_check(root, net, err);
}

int vm_script_append(const char *base, const char *script, char **out, struct hk_error **err)
{
	_cleanup_free_ char *cfg = NULL;
	struct vm_guest_cfg g = {.modules = "full", .script = script};

	if (vm_guest_cfg_encode(&g, &cfg, err) < 0)
		return -1;
	*out = xasprintf("%s%s%s", base ? base : "", base && *base ? " " : "", cfg);
	return 0;
}

/* Smallest disk hako makes: less cannot hold a partition table and a
 * filesystem worth the name. */
#define MIN_DISK (1ull << 20)

static int make_disk(const struct vm_create_opts *o, const char *dir, struct vm_def *d, bool *made,
		     struct hk_error **err)
{
	uint64_t size = 0, bsize = 0;
	struct stat st;
	_cleanup_free_ char *import = NULL;

	*made = false;
	if (o->import) {
		import = realpath(o->import, NULL);
		if (!import)
			return hk_error_errno(err, "--import %s", o->import);
		if (vm_disk_info(import, &bsize, NULL, err) < 0)
			return hk_error_wrap(err, "--import");
	}
	if (!o->disk && !o->import)
		return 0;
	if (o->disk && stat(o->disk, &st) == 0 && !o->import) {
		/* An existing disk image: use it in place, never delete it. */
		d->disk = realpath(o->disk, NULL);
		if (!d->disk)
			return hk_error_errno(err, "--disk %s", o->disk);
		return vm_disk_info(d->disk, NULL, NULL, err) < 0 ? hk_error_wrap(err, "--disk")
								  : 0;
	}
	if (o->disk && vm_parse_size(o->disk, &size, err) < 0)
		return hk_error_wrap(err, "--disk %s: neither an existing file nor a size",
				     o->disk);
	if (o->disk && size < MIN_DISK)
		return hk_error_set(err, 0, "--disk %s: too small (at least 1M)", o->disk);
	if (import && size && size < bsize)
		return hk_error_set(err, 0,
				    "--disk %s: smaller than the imported disk (%llu bytes); "
				    "disks only grow",
				    o->disk, (unsigned long long)bsize);
	if (mkdir_p(dir, 0700, err) < 0)
		return -1;
	d->disk = xasprintf("%s/disk.qcow2", dir);
	if (access(d->disk, F_OK) == 0)
		return hk_error_set(err, EEXIST,
				    "%s exists (kept by an earlier 'vm rm' without --disks); "
				    "remove it, or use it with --disk PATH",
				    d->disk);
	d->disk_owned = true;
	*made = true;
	return vm_disk_create(d->disk, size, import, err);
}

/* -p values, checked for the NIC that carries them (the first user or
 * hako network NIC), kept as given (space-separated). */
static int ports_check(const char *network, char **ports, char **out, struct hk_error **err)
{
	_cleanup_strv_ char **nics = vm_nics(network);
	_cleanup_free_ char *specs = NULL;
	int carrier = vm_ports_nic(network);

	*out = NULL;
	if (!ports || !*ports)
		return 0;
	if (carrier < 0)
		return hk_error_set(err, 0,
				    "-p needs a NIC on the user network (--network user) or on a"
				    " hako network");
	for (char **p = ports; *p; p++) {
		struct net_port np;
		if (strchr(*p, ' ') || net_port_parse(*p, &np, err) < 0)
			return hk_error_wrap(err, "-p %s", *p);
		if (!strcmp(nics[carrier], "user")) {
			if (!np.host_port)
				return hk_error_set(
					err, 0,
					"-p %s: a host port is needed (HOST:GUEST) on the"
					" user network",
					*p);
			if (strchr(np.host_ip, ':'))
				return hk_error_set(err, 0, "-p %s: IPv4 host addresses only", *p);
		}
		char *t = xasprintf("%s%s%s", specs ? specs : "", specs ? " " : "", *p);
		free(specs);
		specs = t;
	}
	*out = steal_ptr(&specs);
	return 0;
}

int vm_create(const char *root, const struct vm_create_opts *o, struct vm_def **out,
	      struct hk_error **err)
{
	_cleanup_db_ sqlite3 *db = NULL;
	_cleanup_free_ char *dir = NULL;
	struct vm_def *d = NULL, *existing = NULL;
	char id[65];
	bool made = false, dir_existed = false;
	int r = -1;

	if (check_name(o->name, err) < 0 ||
	    check_network(root, o->network ? o->network : "user", err) < 0)
		return -1;
	if (o->vcpus < 1 || o->vcpus > 64)
		return hk_error_set(err, 0, "--vcpus %d: expected 1 to 64", o->vcpus);
	if (o->memory < (64ull << 20))
		return hk_error_set(err, 0, "--memory: at least 64M is needed");
	if (o->iso && o->kernel)
		return hk_error_set(err, 0, "--iso and --kernel: choose one way to boot");
	if (!o->iso && !o->kernel && !o->import && !o->disk)
		return hk_error_set(err, 0,
				    "nothing to boot: give --iso, --kernel, --import or "
				    "--disk PATH");
	if ((o->initrd || o->append || o->init_script) && !o->kernel)
		return hk_error_set(err, 0, "--initrd, --append and --init-script need --kernel");
	if (check_file("--iso", o->iso, err) < 0 || check_file("--kernel", o->kernel, err) < 0 ||
	    check_file("--initrd", o->initrd, err) < 0 ||
	    check_file("--cloud-init", o->cloud_init, err) < 0)
		return -1;
	if (vm_db_open(root, &db, err) < 0)
		return -1;
	if (vm_db_get(db, o->name, &existing, err) == 0) {
		vm_def_free(existing);
		return hk_error_set(err, EEXIST, "vm name '%s' is already in use", o->name);
	}
	hk_error_free(err);

	d = xzalloc(sizeof(*d));
	d->name = xstrdup(o->name);
	vm_random_hex(id, 32);
	d->id = xstrdup(id);
	d->vcpus = o->vcpus;
	d->memory = o->memory;
	d->iso = o->iso ? realpath(o->iso, NULL) : NULL;
	d->kernel = o->kernel ? realpath(o->kernel, NULL) : NULL;
	d->initrd = o->initrd ? realpath(o->initrd, NULL) : NULL;
	d->cloud_init = o->cloud_init ? realpath(o->cloud_init, NULL) : NULL;
	if (o->init_script) {
		if (vm_script_append(o->append, o->init_script, &d->append, err) < 0)
			goto out;
	} else if (o->append) {
		d->append = xstrdup(o->append);
	}
	d->network = xstrdup(o->network ? o->network : "user");
	{
		/* each NIC's MAC recorded with it: detaching one never
		 * changes another's */
		char *with = vm_network_with_macs(d);
		free(d->network);
		d->network = with;
	}
	if (ports_check(d->network, o->ports, &d->ports, err) < 0)
		goto out;
	d->autostart = o->autostart;
	d->created = time(NULL);
	d->state = xstrdup("shut off");

	dir = vm_dir(root, o->name);
	dir_existed = access(dir, F_OK) == 0;
	if (make_disk(o, dir, d, &made, err) < 0)
		goto out;
	if (db_begin_immediate(db, err) < 0)
		goto out;
	if (vm_db_insert(db, d, err) < 0) {
		db_rollback(db);
		goto out;
	}
	if (db_commit(db, err) < 0)
		goto out;
	r = 0;
	*out = steal_ptr(&d);
out:
	if (r < 0) {
		struct hk_error *e = NULL;
		if (made && d && d->disk)
			unlink(d->disk);
		if (dir && !dir_existed && rm_rf(dir, &e) < 0)
			hk_error_free(&e);
		hk_error_wrap(err, "vm create %s", o->name);
	}
	vm_def_free(d);
	return r;
}

bool vm_pid_alive(pid_t pid)
{
	char path[64], buf[512], *p;
	_cleanup_close_ int fd = -1;
	ssize_t n;

	if (pid <= 0 || (kill(pid, 0) < 0 && errno != EPERM))
		return false;
	/* A zombie is dead: a monitor killed with -9 stays one until PID 1
	 * reaps it, which some inits (of containers, of sandboxes) do late */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, buf, sizeof(buf) - 1)) <= 0)
		return true;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

int vm_qmp_open(const char *runroot, const char *name, int timeout_ms, struct qmp **q,
		struct hk_error **err)
{
	_cleanup_free_ char *rd = vm_rundir(runroot, name);
	_cleanup_free_ char *sock = xasprintf("%s/qmp.sock", rd);

	return qmp_connect(sock, timeout_ms, q, err);
}

int vm_state(const char *root, const char *runroot, const char *name, enum vm_state *out,
	     struct hk_error **err)
{
	_cleanup_(vm_def_freep) struct vm_def *d = NULL;
	_cleanup_(qmp_closep) struct qmp *q = NULL;
	_cleanup_free_ char *st = NULL;

	if (vm_get(root, name, &d, err) < 0)
		return -1;
	*out = VM_SHUTOFF;
	if (!strcmp(d->state, "crashed"))
		*out = VM_CRASHED;
	if (strcmp(d->state, "running"))
		return 0;
	if (!vm_pid_alive(d->monitor_pid)) {
		/* The monitor died without recording an end: a crash, unless
		 * the run directory is gone (the host rebooted). */
		_cleanup_free_ char *rd = vm_rundir(runroot, name);
		*out = access(rd, F_OK) == 0 ? VM_CRASHED : VM_SHUTOFF;
		return 0;
	}
	if (vm_qmp_open(runroot, name, 5000, &q, err) < 0 || qmp_status(q, &st, err) < 0) {
		/* The monitor lives but QMP is not there (yet): starting. */
		hk_error_free(err);
		*out = vm_pid_alive(d->qemu_pid) ? VM_STARTING : VM_CRASHED;
		return 0;
	}
	if (!strcmp(st, "running"))
		*out = VM_RUNNING;
	else if (!strcmp(st, "paused") || !strcmp(st, "suspended"))
		*out = VM_PAUSED;
	else if (!strcmp(st, "shutdown"))
		*out = VM_SHUTOFF;
	else if (!strcmp(st, "inmigrate") || !strcmp(st, "prelaunch"))
		*out = VM_STARTING;
	else
		*out = VM_CRASHED; /* internal-error, guest-panicked, io-error... */
	return 0;
}

int vm_pids(const char *root, const char *runroot, const char *name, pid_t *monitor, pid_t *qemu,
	    struct hk_error **err)
{
	_cleanup_(vm_def_freep) struct vm_def *d = NULL;

	if (vm_get(root, name, &d, err) < 0)
		return -1;
	*monitor = vm_pid_alive(d->monitor_pid) ? d->monitor_pid : 0;
	*qemu = *monitor && vm_pid_alive(d->qemu_pid) ? d->qemu_pid : 0;
	return 0;
}

static int require_live(const char *root, const char *runroot, const char *name, struct qmp **q,
			struct hk_error **err)
{
	enum vm_state s;

	if (vm_state(root, runroot, name, &s, err) < 0)
		return -1;
	if (s != VM_RUNNING && s != VM_PAUSED && s != VM_STARTING)
		return hk_error_set(err, 0, "vm '%s' is not running (%s)", name, vm_state_name(s));
	return vm_qmp_open(runroot, name, 10000, q, err);
}

static int wait_monitor_gone(const char *root, const char *name, int timeout_ms)
{
	unsigned long long end = now_ns() + (unsigned long long)timeout_ms * 1000000ull;
	struct hk_error *e = NULL;

	do {
		_cleanup_(vm_def_freep) struct vm_def *d = NULL;
		if (vm_get(root, name, &d, &e) < 0) {
			hk_error_free(&e);
			return -1;
		}
		if (strcmp(d->state, "running") || !vm_pid_alive(d->monitor_pid))
			return 0;
		usleep(20000);
	} while (now_ns() < end);
	return -1;
}

int vm_shutdown(const char *root, const char *runroot, const char *name, int timeout_s,
		struct hk_error **err)
{
	_cleanup_(qmp_closep) struct qmp *q = NULL;

	if (require_live(root, runroot, name, &q, err) < 0)
		return -1;
	/* Press the button again every 10 s: a guest still booting (its
	 * button driver not loaded yet) never sees an earlier press. */
	for (int waited = 0; waited < timeout_s; waited += 10) {
		struct hk_error *e = NULL;
		if (qmp_execute(q, "system_powerdown", NULL, NULL, &e) < 0) {
			hk_error_free(&e);
			if (wait_monitor_gone(root, name, 1000) == 0)
				return 0; /* QEMU went away meanwhile */
			return hk_error_set(err, 0, "vm shutdown %s: QMP system_powerdown failed",
					    name);
		}
		int step = timeout_s - waited < 10 ? timeout_s - waited : 10;
		if (wait_monitor_gone(root, name, step * 1000) == 0)
			return 0;
	}
	return hk_error_set(err, ETIMEDOUT,
			    "vm shutdown %s: the guest did not power off within %d s "
			    "after the ACPI power button (is it listening?); "
			    "'hako vm destroy %s' powers it off hard",
			    name, timeout_s, name);
}

int vm_reboot(const char *root, const char *runroot, const char *name, struct hk_error **err)
{
	_cleanup_(qmp_closep) struct qmp *q = NULL;

	if (require_live(root, runroot, name, &q, err) < 0)
		return -1;
	/* A reset of the machine, as a reset button; QEMU keeps running. */
	if (qmp_execute(q, "system_reset", NULL, NULL, err) < 0)
		return hk_error_wrap(err, "vm reboot %s", name);
	return 0;
}

int vm_suspend(const char *root, const char *runroot, const char *name, struct hk_error **err)
{
	_cleanup_(qmp_closep) struct qmp *q = NULL;

	if (require_live(root, runroot, name, &q, err) < 0)
		return -1;
	return qmp_execute(q, "stop", NULL, NULL, err) < 0
		       ? hk_error_wrap(err, "vm suspend %s", name)
		       : 0;
}

int vm_resume(const char *root, const char *runroot, const char *name, struct hk_error **err)
{
	_cleanup_(qmp_closep) struct qmp *q = NULL;

	if (require_live(root, runroot, name, &q, err) < 0)
		return -1;
	return qmp_execute(q, "cont", NULL, NULL, err) < 0
		       ? hk_error_wrap(err, "vm resume %s", name)
		       : 0;
}

int vm_destroy(const char *root, const char *runroot, const char *name, struct hk_error **err)
{
	_cleanup_(vm_def_freep) struct vm_def *d = NULL;
	_cleanup_(qmp_closep) struct qmp *q = NULL;
	_cleanup_free_ char *rd = vm_rundir(runroot, name), *flag = NULL;
	struct hk_error *e = NULL;

	if (vm_get(root, name, &d, err) < 0)
		return -1;
	if (strcmp(d->state, "running") || !vm_pid_alive(d->monitor_pid))
		return hk_error_set(err, 0, "vm '%s' is not running", name);
	flag = xasprintf("%s/destroying", rd);
	if (write_file_at(AT_FDCWD, flag, "1", 1, 0600, err) < 0)
		return hk_error_wrap(err, "vm destroy %s", name);
	if (vm_qmp_open(runroot, name, 3000, &q, &e) < 0 ||
	    qmp_execute(q, "quit", NULL, NULL, &e) < 0) {
		hk_error_free(&e);
		/* QMP does not answer: kill the QEMU the monitor started (its
		 * PID as recorded, checked alive; never by name). */
		if (vm_pid_alive(d->qemu_pid))
			kill(d->qemu_pid, SIGKILL);
	}
	if (wait_monitor_gone(root, name, 10000) < 0) {
		if (vm_pid_alive(d->qemu_pid))
			kill(d->qemu_pid, SIGKILL);
		if (wait_monitor_gone(root, name, 5000) < 0)
			return hk_error_set(err, ETIMEDOUT, "vm destroy %s: QEMU did not end",
					    name);
	}
	return 0;
}

int vm_set(const char *root, const char *runroot, const char *name, int vcpus, uint64_t memory,
	   const char *init_script, struct hk_error **err)
{
	_cleanup_db_ sqlite3 *db = NULL;
	_cleanup_(vm_def_freep) struct vm_def *d = NULL;
	_cleanup_free_ char *append = NULL;
	enum vm_state s;

	if (vcpus < 0 || vcpus > 64)
		return hk_error_set(err, 0, "--vcpus %d: expected 1 to 64", vcpus);
	if (memory && memory < (64ull << 20))
		return hk_error_set(err, 0, "--memory: at least 64M is needed");
	if (vm_state(root, runroot, name, &s, err) < 0)
		return -1;
	if (s != VM_SHUTOFF && s != VM_CRASHED)
		return hk_error_set(err, 0, "vm set %s: the VM is %s; shut it off first", name,
				    vm_state_name(s));
	if (vm_db_open(root, &db, err) < 0 || vm_db_get(db, name, &d, err) < 0)
		return -1;
	if (init_script) {
		/* Replace an earlier hako.cfg= of the append line. */
		_cleanup_free_ char *base = xstrdup(d->append ? d->append : "");
		char *p = strstr(base, "hako.cfg=");
		if (p) {
			char *end = p + strcspn(p, " ");
			memmove(p, *end ? end + 1 : end, strlen(end) + 1);
		}
		size_t n = strlen(base);
		while (n && base[n - 1] == ' ')
			base[--n] = 0;
		if (vm_script_append(base, init_script, &append, err) < 0)
			return -1;
	}
	if (db_begin_immediate(db, err) < 0)
		return -1;
	if (vm_db_set_resources(db, name, vcpus, memory, append, err) < 0) {
		db_rollback(db);
		return -1;
	}
	return db_commit(db, err);
}

/* Change the NICs of a shut-off VM (attach/detach-interface). */
static int set_network(const char *root, const char *runroot, const char *name, const char *verb,
		       char *(*change)(const struct vm_def *, const char *, const char *,
				       struct hk_error **),
		       const char *a, const char *b, struct hk_error **err)
{
	_cleanup_db_ sqlite3 *db = NULL;
	_cleanup_(vm_def_freep) struct vm_def *d = NULL;
	_cleanup_free_ char *net = NULL, *specs = NULL;
	enum vm_state s;

	if (vm_state(root, runroot, name, &s, err) < 0)
		return -1;
	if (s != VM_SHUTOFF && s != VM_CRASHED)
		return hk_error_set(err, 0,
				    "vm %s %s: the VM is %s; shut it off first (no hot-plug yet)",
				    verb, name, vm_state_name(s));
	if (vm_db_open(root, &db, err) < 0 || vm_db_get(db, name, &d, err) < 0)
		return -1;
	if (!(net = change(d, a, b, err)))
		return hk_error_wrap(err, "vm %s %s", verb, name);
	if (check_network(root, net, err) < 0)
		return hk_error_wrap(err, "vm %s %s", verb, name);
	if (d->ports && vm_ports_nic(net) < 0)
		return hk_error_set(err, 0,
				    "vm %s %s: its -p ports need a user or hako network NIC", verb,
				    name);
	if (db_begin_immediate(db, err) < 0)
		return -1;
	if (vm_db_set_network(db, name, net, err) < 0) {
		db_rollback(db);
		return -1;
	}
	return db_commit(db, err);
}

static char *attach_change(const struct vm_def *d, const char *spec, const char *mac,
			   struct hk_error **err)
{
	_cleanup_free_ char *with = vm_network_with_macs(d);
	_cleanup_strv_ char **nics = vm_nics(d->network);
	char fresh[18];

	if (!spec || !*spec || strchr(spec, ',') || strchr(spec, '=') || !strcmp(spec, "none")) {
		hk_error_set(err, 0, "--network %s: one NIC: user, NET or bridge:BR",
			     spec ? spec : "");
		return NULL;
	}
	if (!mac) {
		/* a random one, unlike the VM's others */
		for (int tries = 0; tries < 100; tries++) {
			char hex[7];
			bool taken = false;
			vm_random_hex(hex, 3);
			snprintf(fresh, sizeof(fresh), "52:54:00:%.2s:%.2s:%.2s", hex, hex + 2,
				 hex + 4);
			for (size_t i = 0; nics[i]; i++) {
				char m[18];
				vm_nic_mac(d, i, m);
				taken |= !strcmp(m, fresh);
			}
			if (!taken)
				break;
		}
		mac = fresh;
	}
	if (!strcmp(with, "none"))
		return xasprintf("%s=%s", spec, mac);
	return xasprintf("%s,%s=%s", with, spec, mac);
}

static char *detach_change(const struct vm_def *d, const char *mac, const char *spec,
			   struct hk_error **err)
{
	_cleanup_strv_ char **nics = vm_nics(d->network);
	char *out = NULL;
	bool gone = false;

	for (size_t i = 0; nics[i]; i++) {
		char m[18];
		vm_nic_mac(d, i, m);
		if (!gone && ((mac && !strcasecmp(m, mac)) || (!mac && !strcmp(nics[i], spec)))) {
			gone = true;
			continue;
		}
		char *t = xasprintf("%s%s%s=%s", out ? out : "", out ? "," : "", nics[i], m);
		free(out);
		out = t;
	}
	if (!gone) {
		free(out);
		hk_error_set(err, 0, "no NIC %s %s", mac ? "with MAC" : "on", mac ? mac : spec);
		return NULL;
	}
	return out ? out : xstrdup("none");
}

int vm_attach_interface(const char *root, const char *runroot, const char *name,
			const char *network, const char *mac, struct hk_error **err)
{
	if (mac && !vm_mac_valid(mac))
		return hk_error_set(err, 0, "--mac %s: no unicast MAC address", mac);
	return set_network(root, runroot, name, "attach-interface", attach_change, network, mac,
			   err);
}

int vm_detach_interface(const char *root, const char *runroot, const char *name, const char *mac,
			const char *network, struct hk_error **err)
{
	if (!mac && !network)
		return hk_error_set(err, 0, "vm detach-interface: --mac or --network is needed");
	return set_network(root, runroot, name, "detach-interface", detach_change, mac, network,
			   err);
}

int vm_remove(const char *root, const char *runroot, const char *name, bool disks,
	      struct hk_error **err)
{
	_cleanup_db_ sqlite3 *db = NULL;
	_cleanup_(vm_def_freep) struct vm_def *d = NULL;
	_cleanup_free_ char *dir = vm_dir(root, name), *rd = vm_rundir(runroot, name);
	enum vm_state s;
	struct hk_error *e = NULL;

	if (vm_state(root, runroot, name, &s, err) < 0)
		return -1;
	if (s == VM_RUNNING || s == VM_PAUSED || s == VM_STARTING)
		return hk_error_set(err, 0,
				    "vm rm %s: the VM is %s; shut it off or destroy it first", name,
				    vm_state_name(s));
	if (vm_db_open(root, &db, err) < 0 || vm_db_get(db, name, &d, err) < 0)
		return -1;
	if (db_begin_immediate(db, err) < 0)
		return -1;
	if (vm_db_delete(db, name, err) < 0) {
		db_rollback(db);
		return -1;
	}
	if (db_commit(db, err) < 0)
		return -1;
	if (vm_has_net_nic(d))
		vm_net_release(root, runroot, d->id); /* left by a monitor killed too */
	if (disks && d->disk_owned && d->disk)
		unlink(d->disk);
	/* The directory keeps the console log; an owned disk stays unless
	 * --disks (it is then the only thing left in it). */
	if (disks || !d->disk_owned) {
		if (rm_rf(dir, &e) < 0)
			hk_error_free(&e);
	} else {
		_cleanup_free_ char *log = vm_console_log_path(root, name);
		unlink(log);
	}
	if (rm_rf(rd, &e) < 0)
		hk_error_free(&e);
	return 0;
}
