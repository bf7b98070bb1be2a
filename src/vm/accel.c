/* KVM or TCG: one table entry each, chosen once per process. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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

const struct vm_accel *vm_accel_pick(bool quiet)
{
	static const struct vm_accel *picked;
	static bool noted;
	int fd;

	if (!picked) {
		fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			picked = &accel_kvm;
		} else {
			picked = &accel_tcg;
		}
	}
	if (picked == &accel_tcg && !quiet && !noted) {
		noted = true;
		fprintf(stderr, "hako: /dev/kvm is not available: using QEMU's TCG emulation "
				"(slower)\n");
	}
	return picked;
}
