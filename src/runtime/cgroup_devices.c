/* Device access rules: the list a container gets (deny everything, the
 * config's rules, then the devices every container needs, as runc does),
 * and its cgroup v2 form, an eBPF program of type CGROUP_DEVICE attached to
 * the container's cgroup (v2 has no devices.allow/deny files). */
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/cgroup_internal.h"
#include "util/log.h"
#include "util/util.h"

/* What every container may use whatever its config says: mknod of any
 * node (the mount namespace decides what exists), the /dev basics, the pty
 * devices and /dev/net/tun. */
static const struct cg_devrule defaults[] = {
	{true, 'c', -1, -1, "m"}, {true, 'b', -1, -1, "m"},    {true, 'c', 1, 3, "rwm"},
	{true, 'c', 1, 5, "rwm"}, {true, 'c', 1, 7, "rwm"},    {true, 'c', 1, 8, "rwm"},
	{true, 'c', 1, 9, "rwm"}, {true, 'c', 5, 0, "rwm"},    {true, 'c', 5, 1, "rwm"},
	{true, 'c', 5, 2, "rwm"}, {true, 'c', 136, -1, "rwm"}, {true, 'c', 10, 200, "rwm"},
};

struct cg_devrule *cg_device_rules(const struct cg_resources *r, size_t *n)
{
	size_t total = 1 + r->n_devices + ARRAY_SIZE(defaults);
	struct cg_devrule *v = xzalloc(total * sizeof(*v));
	size_t k = 0;

	v[k++] = (struct cg_devrule){false, 'a', -1, -1, "rwm"};
	for (size_t i = 0; i < r->n_devices; i++)
		v[k++] = r->devices[i];
	for (size_t i = 0; i < ARRAY_SIZE(defaults); i++)
		v[k++] = defaults[i];
	*n = k;
	return v;
}

/* ---- eBPF ---- */

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bpf_insn i = {.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
	return i;
}

static uint32_t access_bits(const char *a)
{
	uint32_t v = 0;
	if (strchr(a, 'm'))
		v |= BPF_DEVCG_ACC_MKNOD;
	if (strchr(a, 'r'))
		v |= BPF_DEVCG_ACC_READ;
	if (strchr(a, 'w'))
		v |= BPF_DEVCG_ACC_WRITE;
	return v;
}

/* The program: r2 = device type, r3 = requested access, r4 = major,
 * r5 = minor; then one block per rule, the LAST rule first, because in the
 * v1 semantics we reproduce the last matching rule decides.  A block's
 * failed comparison jumps over the rest of the block; a block that matches
 * returns 1 (allow) or 0 (deny).  Nothing matched: deny. */
size_t cg_devices_program(const struct cg_devrule *rules, size_t n, struct bpf_insn *out,
			  size_t cap)
{
	size_t k = 0;

#define EMIT(i)                                                                                    \
	do {                                                                                       \
		if (k < cap)                                                                       \
			out[k] = (i);                                                              \
		k++;                                                                               \
	} while (0)

	EMIT(insn(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0));
	EMIT(insn(BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xffff));
	EMIT(insn(BPF_LDX | BPF_MEM | BPF_W, 3, 1, 0, 0));
	EMIT(insn(BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16));
	EMIT(insn(BPF_LDX | BPF_MEM | BPF_W, 4, 1, 4, 0));
	EMIT(insn(BPF_LDX | BPF_MEM | BPF_W, 5, 1, 8, 0));

	for (size_t i = n; i-- > 0;) {
		const struct cg_devrule *r = &rules[i];
		uint32_t acc = access_bits(r->access);
		bool check_type = r->type != 'a';
		bool check_acc =
			acc != (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE);
		bool check_major = r->major >= 0, check_minor = r->minor >= 0;
		/* the instructions left in this block after each check */
		int16_t left = (int16_t)(2 + (check_minor ? 1 : 0) + (check_major ? 1 : 0) +
					 (check_acc ? 3 : 0) + (check_type ? 1 : 0));

		if (check_type) {
			left--;
			EMIT(insn(BPF_JMP | BPF_JNE | BPF_K, 2, 0, left,
				  r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
		}
		if (check_acc) {
			/* every requested bit must be in the rule's access */
			left -= 3;
			EMIT(insn(BPF_ALU | BPF_MOV | BPF_X, 1, 3, 0, 0));
			EMIT(insn(BPF_ALU | BPF_AND | BPF_K, 1, 0, 0, (int32_t)acc));
			EMIT(insn(BPF_JMP | BPF_JNE | BPF_X, 1, 3, left, 0));
		}
		if (check_major) {
			left--;
			EMIT(insn(BPF_JMP | BPF_JNE | BPF_K, 4, 0, left, (int32_t)r->major));
		}
		if (check_minor) {
			left--;
			EMIT(insn(BPF_JMP | BPF_JNE | BPF_K, 5, 0, left, (int32_t)r->minor));
		}
		EMIT(insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, r->allow ? 1 : 0));
		EMIT(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
		/* A rule that matches everything ends the program: the
		 * verifier rejects code that cannot be reached. */
		if (!check_type && !check_acc && !check_major && !check_minor)
			return k;
	}
	EMIT(insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0));
	EMIT(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
#undef EMIT
	return k;
}

static long bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* Detach every device program but keep, from the cgroup (earlier ones of
 * ours, on update). */
static void detach_others(int cgfd, int keep)
{
	uint32_t ids[64], n = ARRAY_SIZE(ids);
	union bpf_attr q;
	struct bpf_prog_info kinfo;

	memset(&q, 0, sizeof(q));
	q.query.target_fd = (uint32_t)cgfd;
	q.query.attach_type = BPF_CGROUP_DEVICE;
	q.query.prog_ids = (uint64_t)(uintptr_t)ids;
	q.query.prog_cnt = n;
	if (bpf(BPF_PROG_QUERY, &q) < 0)
		return;
	memset(&kinfo, 0, sizeof(kinfo));
	{
		union bpf_attr ia;
		memset(&ia, 0, sizeof(ia));
		ia.info.bpf_fd = (uint32_t)keep;
		ia.info.info_len = sizeof(kinfo);
		ia.info.info = (uint64_t)(uintptr_t)&kinfo;
		if (bpf(BPF_OBJ_GET_INFO_BY_FD, &ia) < 0)
			return;
	}
	for (uint32_t i = 0; i < q.query.prog_cnt && i < n; i++) {
		union bpf_attr a;
		int fd;

		if (ids[i] == kinfo.id)
			continue;
		memset(&a, 0, sizeof(a));
		a.prog_id = ids[i];
		fd = (int)bpf(BPF_PROG_GET_FD_BY_ID, &a);
		if (fd < 0)
			continue;
		memset(&a, 0, sizeof(a));
		a.target_fd = (uint32_t)cgfd;
		a.attach_bpf_fd = (uint32_t)fd;
		a.attach_type = BPF_CGROUP_DEVICE;
		if (bpf(BPF_PROG_DETACH, &a) < 0)
			log_debug("cgroup: detach old device program %u: %s", ids[i],
				  strerror(errno));
		close(fd);
	}
}

int cg_devices_attach(struct cg_dir *d, const struct cg_devrule *rules, size_t n,
		      struct hk_error **err)
{
	size_t len = cg_devices_program(rules, n, NULL, 0);
	_cleanup_free_ struct bpf_insn *prog = xzalloc(len * sizeof(*prog));
	_cleanup_free_ char *log = xzalloc(8192);
	_cleanup_close_ int fd = -1;
	union bpf_attr a;

	cg_devices_program(rules, n, prog, len);
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (uint64_t)(uintptr_t)prog;
	a.insn_cnt = (uint32_t)len;
	a.license = (uint64_t)(uintptr_t) "GPL";
	a.log_buf = (uint64_t)(uintptr_t)log;
	a.log_size = 8192;
	a.log_level = 1;
	fd = (int)bpf(BPF_PROG_LOAD, &a);
	if (fd < 0) {
		log_debug("cgroup: verifier: %s", log);
		/* retry without the log: a full log buffer fails the load */
		memset(log, 0, 8192);
		a.log_buf = 0;
		a.log_size = 0;
		a.log_level = 0;
		fd = (int)bpf(BPF_PROG_LOAD, &a);
	}
	if (fd < 0)
		return hk_error_errno(err, "load the device access program (%zu rules)", n);
	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)d->fd;
	a.attach_bpf_fd = (uint32_t)fd;
	a.attach_type = BPF_CGROUP_DEVICE;
	a.attach_flags = BPF_F_ALLOW_MULTI;
	if (bpf(BPF_PROG_ATTACH, &a) < 0)
		return hk_error_errno(err, "attach the device access program to %s", d->path);
	detach_others(d->fd, fd);
	return 0;
}
