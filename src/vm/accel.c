/* KVM or TCG: one table entry each, chosen once per process. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/util.h"
#include "vm/vm.h"

static char *kvm_args(void)
{
	return xstrdup(""); /* kvmclock gives the guest a stable clock */
}

/* Under TCG the guest's TSC is the host's (QEMU reads the host's counter),
 * but microvm has no HPET or PM timer to calibrate it against, and the PIT
 * calibration fails on a loaded host, after which the kernel can stall with
 * no usable clocksource.  Tell it the frequency and that the TSC is good. */
static char *tcg_args(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/cpuinfo", "re");
	char line[256];
	double mhz = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "cpu MHz : %lf", &mhz) == 1)
			break;
	if (mhz > 100 && mhz < 100000)
		return xasprintf("tsc_early_khz=%d tsc=reliable", (int)(mhz * 1000));
	return xstrdup("tsc=reliable");
}

static const struct vm_accel accel_kvm = {
	.name = "kvm",
	.qemu_arg = "kvm",
	.cpu = "host",
	.kernel_args = kvm_args,
};

/* TCG: "max" gives the guest every feature TCG emulates (an invariant TSC
 * among them, which the kernel's early clock calibration needs on microvm). */
static const struct vm_accel accel_tcg = {
	.name = "tcg",
	.qemu_arg = "tcg",
	.cpu = "max",
	.kernel_args = tcg_args,
};

bool vm_kvm_usable(char *why, size_t size)
{
	const char *force = getenv("HAKO_VM_ACCEL");
	bool hw = access("/sys/module/kvm_intel", F_OK) == 0 ||
		  access("/sys/module/kvm_amd", F_OK) == 0;
	int fd, api;

	if (force && !strcmp(force, "tcg")) {
		snprintf(why, size, "HAKO_VM_ACCEL=tcg");
		return false;
	}
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, size, "/dev/kvm: %s", strerror(errno));
		return false;
	}
	api = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	if (api != KVM_API_VERSION) {
		snprintf(why, size, "/dev/kvm answers KVM API %d, not %d", api, KVM_API_VERSION);
		return false;
	}
	/* A /dev/kvm backed by neither VT-x nor AMD-V is a software hypervisor
	 * such as PVM (kvm_pvm), which runs only guest kernels built for it: a
	 * distribution kernel hangs right after its real-mode setup there, so
	 * only HAKO_VM_ACCEL=kvm makes hako try it. */
	if (!hw && !(force && !strcmp(force, "kvm"))) {
		snprintf(why, size,
			 "/dev/kvm is %s, not VT-x/AMD-V (kvm_intel/kvm_amd); it "
			 "cannot boot a standard guest kernel (HAKO_VM_ACCEL=kvm to try)",
			 access("/sys/module/kvm_pvm", F_OK) == 0 ? "PVM (kvm_pvm)"
								  : "a software KVM");
		return false;
	}
	snprintf(why, size, "KVM API %d", api);
	return true;
}

const struct vm_accel *vm_accel_pick(bool quiet)
{
	static const struct vm_accel *picked;
	static char why[256];
	static bool noted;

	if (!picked)
		picked = vm_kvm_usable(why, sizeof(why)) ? &accel_kvm : &accel_tcg;
	if (picked == &accel_tcg && !quiet && !noted) {
		noted = true;
		fprintf(stderr,
			"hako: KVM is not usable (%s): using QEMU's TCG emulation (slower)\n", why);
	}
	return picked;
}
