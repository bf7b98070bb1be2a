/* hako system check: what this host can run, like virt-host-validate.
 * Each line is PASS, WARN or FAIL with a hint; the exit status is 1 only
 * when something containers cannot do without FAILs. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/kvm.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cli/command.h"
#include "util/util.h"
#include "vm/internal.h"
#include "vm/vm.h"

enum level { PASS, WARN, FAIL };

struct tally {
	int fails, warns;
};

static void line(struct tally *t, enum level lv, const char *what, const char *hint,
		 const char *fmt, ...) HK_PRINTF(5, 6);
static void line(struct tally *t, enum level lv, const char *what, const char *hint,
		 const char *fmt, ...)
{
	static const char *const names[] = {"PASS", "WARN", "FAIL"};
	char detail[512] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	printf("%-4s  %-36s %s\n", names[lv], what, detail);
	if (lv != PASS && hint)
		printf("      hint: %s\n", hint);
	if (lv == FAIL)
		t->fails++;
	else if (lv == WARN)
		t->warns++;
}

static char *read_small(const char *path)
{
	char *text = NULL;
	size_t len;
	struct hk_error *e = NULL;

	if (read_file_at(AT_FDCWD, path, 1u << 22, &text, &len, &e) < 0) {
		hk_error_free(&e);
		return NULL;
	}
	return text;
}

static void check_cpu(struct tally *t)
{
	_cleanup_free_ char *cpu = read_small("/proc/cpuinfo");
	const char *flag = NULL;

	if (cpu && strstr(cpu, " vmx"))
		flag = "vmx (Intel VT-x)";
	else if (cpu && strstr(cpu, " svm"))
		flag = "svm (AMD-V)";
	if (flag)
		line(t, PASS, "hardware virtualization", NULL, "%s", flag);
	else
		line(t, WARN, "hardware virtualization",
		     "enable VT-x/AMD-V (or nested virtualization); VMs run under TCG, slower",
		     "no vmx/svm CPU flag");
}

static void check_kvm(struct tally *t)
{
	struct stat st;
	char why[256];
	bool intel = access("/sys/module/kvm_intel", F_OK) == 0;
	bool amd = access("/sys/module/kvm_amd", F_OK) == 0;

	if (intel || amd)
		line(t, PASS, "kvm kernel modules", NULL, "kvm, %s",
		     intel ? "kvm_intel" : "kvm_amd");
	else if (access("/sys/module/kvm", F_OK) == 0)
		line(t, WARN, "kvm kernel modules", "modprobe kvm_intel (or kvm_amd)",
		     "kvm loaded, but neither kvm_intel nor kvm_amd");
	else
		line(t, WARN, "kvm kernel modules", "modprobe kvm_intel (or kvm_amd)",
		     "not loaded");
	if (stat("/dev/kvm", &st) < 0) {
		line(t, WARN, "/dev/kvm", "VMs fall back to QEMU's TCG emulation (slower)",
		     "missing");
		return;
	}
	if (vm_kvm_usable(why, sizeof(why)))
		line(t, PASS, "/dev/kvm", NULL, "usable (%s)", why);
	else
		line(t, WARN, "/dev/kvm", "VMs fall back to QEMU's TCG emulation (slower)",
		     "not usable: %s", why);
}

static char *first_line(char *s)
{
	char *nl = s ? strchr(s, '\n') : NULL;

	if (nl)
		*nl = 0;
	return s;
}

static void check_qemu(struct tally *t)
{
	_cleanup_free_ char *out = NULL, *img = NULL;
	struct hk_error *e = NULL;
	char *argv[] = {(char *)vm_qemu_binary(), "--version", NULL};
	char *iargv[] = {"qemu-img", "--version", NULL};
	int r = vm_run_capture(argv, &out, &e);

	hk_error_free(&e);
	if (r == 0)
		line(t, PASS, "QEMU", NULL, "%s", first_line(out));
	else
		line(t, WARN, "QEMU", "apt-get install qemu-system-x86 (VMs need it)",
		     "%s not found", argv[0]);
	r = vm_run_capture(iargv, &img, &e);
	hk_error_free(&e);
	if (r == 0)
		line(t, PASS, "qemu-img", NULL, "%s", first_line(img));
	else
		line(t, WARN, "qemu-img", "apt-get install qemu-utils (VM disks need it)",
		     "not found");
}

static void check_guest(struct tally *t)
{
	struct vm_kernel k = {0};
	_cleanup_free_ char *init = NULL;
	struct hk_error *e = NULL;

	if (vm_kernel_find(NULL, &k, &e) < 0) {
		line(t, WARN, "guest kernel", "scripts/fetch-kernel.sh (or HAKO_VM_KERNEL=...)",
		     "%s", hk_error_msg(e));
		hk_error_free(&e);
	} else {
		line(t, k.modules_dir ? PASS : WARN, "guest kernel",
		     "its modules are needed: set HAKO_VM_MODULES", "%s%s", k.vmlinuz,
		     k.modules_dir ? "" : " (no modules found)");
	}
	vm_kernel_free(&k);
	if (vm_vminit_path(&init, &e) < 0) {
		line(t, WARN, "hako-vminit", "build it with make", "%s", hk_error_msg(e));
		hk_error_free(&e);
	} else {
		line(t, PASS, "hako-vminit", NULL, "%s", init);
	}
}

static void check_namespaces(struct tally *t)
{
	static const char *const ns[] = {"mnt", "pid", "net", "uts", "ipc", "cgroup", NULL};
	char missing[128] = "";

	for (size_t i = 0; ns[i]; i++) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/self/ns/%s", ns[i]);
		if (access(p, F_OK) != 0) {
			strcat(missing, " ");
			strcat(missing, ns[i]);
		}
	}
	if (*missing)
		line(t, FAIL, "namespaces", "a kernel with CONFIG_NAMESPACES and each namespace",
		     "missing:%s", missing);
	else
		line(t, PASS, "namespaces", NULL, "mnt pid net uts ipc cgroup");
}

static void check_userns(struct tally *t)
{
	_cleanup_free_ char *max = read_small("/proc/sys/user/max_user_namespaces");

	if (access("/proc/self/ns/user", F_OK) != 0)
		line(t, WARN, "user namespaces", "CONFIG_USER_NS (needed for --userns only)",
		     "not in this kernel");
	else if (max && atoi(max) == 0)
		line(t, WARN, "user namespaces", "sysctl user.max_user_namespaces=15000",
		     "disabled (user.max_user_namespaces = 0)");
	else
		line(t, PASS, "user namespaces", NULL, "max %d", max ? atoi(max) : -1);
}

static void check_overlay(struct tally *t)
{
	_cleanup_free_ char *fs = read_small("/proc/filesystems");

	if (fs && strstr(fs, "\toverlay\n"))
		line(t, PASS, "overlayfs", NULL, "available");
	else if (access("/sys/module/overlay", F_OK) == 0)
		line(t, PASS, "overlayfs", NULL, "module loaded");
	else
		line(t, WARN, "overlayfs", "modprobe overlay; without it layers are copied (vfs)",
		     "not registered in /proc/filesystems");
}

static void v1_controllers(char *buf, size_t size)
{
	_cleanup_free_ char *cg = read_small("/proc/cgroups");
	char *save = NULL;

	*buf = 0;
	for (char *l = cg ? strtok_r(cg, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
		char name[64];
		int hier, num, enabled;
		if (l[0] == '#' || sscanf(l, "%63s %d %d %d", name, &hier, &num, &enabled) != 4)
			continue;
		if (enabled && hier != 0 && strlen(buf) + strlen(name) + 2 < size) {
			if (*buf)
				strcat(buf, " ");
			strcat(buf, name);
		}
	}
}

static void check_cgroups(struct tally *t)
{
	struct statfs s;
	char v1[512];
	_cleanup_free_ char *ctl = NULL;
	const char *layout;

	if (statfs("/sys/fs/cgroup", &s) < 0) {
		line(t, FAIL, "cgroups", "mount cgroup2 on /sys/fs/cgroup", "/sys/fs/cgroup: %s",
		     strerror(errno));
		return;
	}
	if (s.f_type == CGROUP2_SUPER_MAGIC) {
		layout = "v2 (unified)";
		ctl = read_small("/sys/fs/cgroup/cgroup.controllers");
	} else {
		struct statfs u;
		bool hybrid = statfs("/sys/fs/cgroup/unified", &u) == 0 &&
			      u.f_type == CGROUP2_SUPER_MAGIC;
		layout = hybrid ? "hybrid (v1 controllers, v2 at /sys/fs/cgroup/unified)" : "v1";
	}
	line(t, PASS, "cgroup layout", NULL, "%s", layout);
	if (ctl) {
		first_line(ctl);
		bool mem = strstr(ctl, "memory"), pids = strstr(ctl, "pids"),
		     cpu = strstr(ctl, "cpu");
		line(t, mem && pids && cpu ? PASS : WARN, "cgroup controllers",
		     "enable cpu, memory and pids in the root cgroup.subtree_control", "%s", ctl);
		return;
	}
	v1_controllers(v1, sizeof(v1));
	bool mem = strstr(v1, "memory"), pids = strstr(v1, "pids"), cpu = strstr(v1, "cpu");
	if (!*v1)
		line(t, FAIL, "cgroup controllers", "mount the v1 controllers or use cgroup v2",
		     "none enabled");
	else
		line(t, mem && pids && cpu ? PASS : WARN, "cgroup controllers",
		     "limits need the cpu, memory and pids controllers", "%s", v1);
}

static void check_seccomp(struct tally *t)
{
	_cleanup_free_ char *acts = read_small("/proc/sys/kernel/seccomp/actions_avail");

	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0 && errno == EINVAL)
		line(t, FAIL, "seccomp",
		     "a kernel with CONFIG_SECCOMP_FILTER (the default profile "
		     "needs it)",
		     "not supported");
	else
		line(t, PASS, "seccomp", NULL, "filter actions: %s",
		     acts ? first_line(acts) : "(unknown)");
}

static void check_nftables(struct tally *t)
{
	_cleanup_free_ char *out = NULL;
	struct hk_error *e = NULL;
	char *argv[] = {"nft", "--version", NULL};
	int r = vm_run_capture(argv, &out, &e);

	hk_error_free(&e);
	if (r == 0)
		line(t, PASS, "nftables", NULL, "%s", first_line(out));
	else
		line(t, WARN, "nftables", "apt-get install nftables (NAT and published ports)",
		     "nft not found");
}

static int system_check_run(int argc, char **argv, struct hk_error **err)
{
	struct tally t = {0};

	if (command_wants_help(argc, argv)) {
		extern const struct hk_command cmd_system_check;
		command_print_help(&cmd_system_check, "hako");
		return 0;
	}
	if (argc > 1)
		return hk_error_set(err, 0, "system check: unexpected argument '%s'", argv[1]);
	check_cpu(&t);
	check_kvm(&t);
	check_qemu(&t);
	check_guest(&t);
	check_namespaces(&t);
	check_userns(&t);
	check_cgroups(&t);
	check_overlay(&t);
	check_seccomp(&t);
	check_nftables(&t);
	printf("\n%s: %d failed, %d warnings\n",
	       t.fails ? "containers cannot run here" : "containers can run here", t.fails,
	       t.warns);
	if (!t.fails) {
		char why[256];
		printf("VMs: %s\n", vm_kvm_usable(why, sizeof(why))
					    ? "KVM"
					    : "QEMU TCG emulation (no usable KVM)");
	}
	return t.fails ? 1 : 0;
}

const struct hk_command cmd_system_check = {
	.name = "system check",
	.usage = "system check",
	.summary = "Check what this host can run (like virt-host-validate)",
	.help = "Prints one line per check: PASS, WARN (works, with less) or FAIL, with a hint.\n"
		"Exit status 1 when something containers need fails.\n",
	.run = system_check_run,
};
HK_COMMAND(hako, cmd_system_check);
