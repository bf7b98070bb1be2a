/* KVM or TCG: one table entry each, chosen once per process. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "vm/vm.h"

static const struct vm_accel accel_kvm = {
	.name = "kvm",
	.qemu_arg = "kvm",
	.cpu = "host",
};

/* TCG: "max" gives the guest every feature TCG emulates (an invariant TSC
 * among them, which the kernel's early clock calibration needs on microvm). */
static const struct vm_accel accel_tcg = {
	.name = "tcg",
	.qemu_arg = "tcg",
	.cpu = "max",
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
