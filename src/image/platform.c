/* hako image: this host's platform in OCI terms. */
#include <string.h>
#include <sys/utsname.h>

#include "image/image.h"
#include "util/util.h"

void image_host_platform(const char **os, const char **arch, const char **variant)
{
	/* uname(2) and not the compiler's target: a 32-bit personality
	 * (setarch i686, linux32) asks for 386 images on x86_64 and arm
	 * ones on aarch64, as docker does. */
	static struct utsname u;
	static const struct {
		const char *machine, *arch, *variant;
	} map[] = {
		{"x86_64", "amd64", NULL},    {"aarch64", "arm64", NULL},
		{"armv8l", "arm", "v7"},      {"armv7l", "arm", "v7"},
		{"armv6l", "arm", "v6"},      {"i686", "386", NULL},
		{"i586", "386", NULL},	      {"i386", "386", NULL},
		{"ppc64le", "ppc64le", NULL}, {"s390x", "s390x", NULL},
		{"riscv64", "riscv64", NULL}, {"loongarch64", "loong64", NULL},
	};

	*os = "linux";
	*arch = "amd64";
	*variant = NULL;
	if (uname(&u) < 0)
		return;
	*arch = u.machine; /* a machine Go has no other name for */
	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		if (!strcmp(u.machine, map[i].machine)) {
			*arch = map[i].arch;
			*variant = map[i].variant;
			return;
		}
	}
}

void image_config_set_platform(json_object *config)
{
	const char *os, *arch, *variant;

	image_host_platform(&os, &arch, &variant);
	json_object_object_add(config, "architecture", json_object_new_string(arch));
	json_object_object_add(config, "os", json_object_new_string(os));
	if (variant)
		json_object_object_add(config, "variant", json_object_new_string(variant));
}
