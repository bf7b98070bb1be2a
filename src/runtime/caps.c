/* Capabilities through the raw capget/capset/prctl interface: five 64-bit
 * masks, no library state.  libcap would give the same calls with more
 * allocation; the kernel interface is small and stable (v3 since 2.6.26). */
#include "runtime/caps.h"

#include <ctype.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/json.h"
#include "util/log.h"
#include "util/util.h"

/* Index = capability number (include/uapi/linux/capability.h). */
static const char *const cap_names[] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",
	"CAP_NET_RAW",
	"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",
	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",
	"CAP_SYS_BOOT",
	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",
	"CAP_LEASE",
	"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",
	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",
	"CAP_SYSLOG",
	"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ",
	"CAP_PERFMON",
	"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

static const char *const docker_default[] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_FSETID",
	"CAP_FOWNER",
	"CAP_MKNOD",
	"CAP_NET_RAW",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETFCAP",
	"CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT",
	"CAP_KILL",
	"CAP_AUDIT_WRITE",
	NULL,
};

const char *const *caps_docker_default(void)
{
	return docker_default;
}

int caps_from_name(const char *name)
{
	char up[64];
	size_t i, n;

	if (!name)
		return -1;
	if (strncasecmp(name, "CAP_", 4) == 0)
		name += 4;
	n = strlen(name);
	if (n == 0 || n + 4 >= sizeof(up))
		return -1;
	memcpy(up, "CAP_", 4);
	for (i = 0; i < n; i++)
		up[4 + i] = (char)toupper((unsigned char)name[i]);
	up[4 + n] = '\0';
	for (i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (strcmp(cap_names[i], up) == 0)
			return (int)i;
	return -1;
}

const char *caps_name(int cap)
{
	if (cap < 0 || (size_t)cap >= ARRAY_SIZE(cap_names))
		return NULL;
	return cap_names[cap];
}

/* The highest capability this kernel knows; read once. */
static int last_cap(void)
{
	static int last = -1;
	char buf[16] = "";
	long long v;
	FILE *f;

	if (last >= 0)
		return last;
	last = CAP_LAST_CAP;
	f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	if (f) {
		if (fgets(buf, sizeof(buf), f)) {
			buf[strcspn(buf, "\n")] = '\0';
			if (parse_ll(buf, 0, 63, &v) == 0)
				last = (int)v;
		}
		fclose(f);
	}
	return last;
}

static int parse_set(json_object *caps, const char *key, uint64_t *out, struct hk_error **err)
{
	json_object *arr = NULL;
	size_t i, n;

	*out = 0;
	if (json_get_array(caps, "capabilities", key, &arr, err) < 0)
		return -1;
	if (!arr)
		return 0;
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		const char *name;
		int cap;

		if (!json_object_is_type(e, json_type_string))
			return hk_error_set(err, 0, "capabilities.%s[%zu]: expected a string", key,
					    i);
		name = json_object_get_string(e);
		cap = caps_from_name(name);
		if (cap < 0)
			return hk_error_set(err, 0, "capabilities.%s: unknown capability %s", key,
					    name);
		if (cap > last_cap()) {
			log_warn("capabilities.%s: %s is not supported by this kernel, skipped",
				 key, caps_name(cap));
			continue;
		}
		*out |= UINT64_C(1) << cap;
	}
	return 0;
}

int caps_parse(json_object *capabilities, struct caps *out, struct hk_error **err)
{
	struct caps c = {0};

	*out = c;
	if (!capabilities)
		return 0;
	if (!json_object_is_type(capabilities, json_type_object))
		return hk_error_set(err, 0, "capabilities: expected an object");
	if (parse_set(capabilities, "bounding", &c.bounding, err) < 0 ||
	    parse_set(capabilities, "effective", &c.effective, err) < 0 ||
	    parse_set(capabilities, "inheritable", &c.inheritable, err) < 0 ||
	    parse_set(capabilities, "permitted", &c.permitted, err) < 0 ||
	    parse_set(capabilities, "ambient", &c.ambient, err) < 0)
		return -1;
	*out = c;
	return 0;
}

int caps_drop_bounding(const struct caps *c, struct hk_error **err)
{
	int last = last_cap();

	for (int cap = 0; cap <= last; cap++) {
		if (c->bounding & (UINT64_C(1) << cap))
			continue;
		/* EINVAL: a capability the kernel does not know (cap_last_cap
		 * raced with a newer table); nothing to drop. */
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return hk_error_errno(err, "drop %s from the bounding set",
					      caps_name(cap) ? caps_name(cap) : "capability");
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return hk_error_errno(err, "prctl(PR_SET_KEEPCAPS)");
	return 0;
}

int caps_apply(const struct caps *c, struct hk_error **err)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];
	int last = last_cap();

	for (int i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(c->effective >> (32 * i));
		data[i].permitted = (uint32_t)(c->permitted >> (32 * i));
		data[i].inheritable = (uint32_t)(c->inheritable >> (32 * i));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return hk_error_errno(err, "capset");
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return hk_error_errno(err, "prctl(PR_SET_KEEPCAPS, 0)");

	/* Ambient caps survive execve of unprivileged programs; the kernel
	 * requires each to be permitted and inheritable already.  Configs in
	 * the wild (`runc spec` 1.1) list ambient caps that are not
	 * inheritable; runc and crun skip those silently, and so do we. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return hk_error_errno(err, "clear the ambient capabilities");
	for (int cap = 0; cap <= last; cap++) {
		if (!(c->ambient & (UINT64_C(1) << cap)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) {
			if (errno == EINVAL) {
				log_warn("ambient capabilities are not supported by this kernel");
				break;
			}
			if (errno != EPERM)
				return hk_error_errno(err, "raise ambient %s", caps_name(cap));
			log_debug("ambient %s skipped: not permitted and inheritable",
				  caps_name(cap));
		}
	}
	return 0;
}
