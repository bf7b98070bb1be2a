/* hako: virtual machines.  The whole public face of src/vm/.
 *
 * Two kinds of VM, built from the same parts (QEMU as the device model, KVM
 * when /dev/kvm is usable and TCG otherwise, QMP for lifecycle, qemu-img for
 * disks, Debian's cloud kernel booted directly with an initramfs hako makes):
 *
 * - managed VMs (`hako vm create/start/...`): a definition in the database, a
 *   q35 machine with virtio-blk disks, virtio-net and a serial console, and
 *   one monitor process per running VM that owns QEMU, its QMP socket and its
 *   console;
 * - micro VMs (`hako run --vm`): an OCI image's rootfs as an ext4 disk, QEMU's
 *   microvm machine, hako-vminit as PID 1 running the image's command, its
 *   output and exit status read back from the serial console.
 */
#ifndef HAKO_VM_VM_H
#define HAKO_VM_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* ---- acceleration: KVM or TCG, chosen once per command ---- */

struct vm_accel {
	const char *name;     /* "kvm" or "tcg" */
	const char *qemu_arg; /* for -accel */
	const char *cpu;      /* for -cpu */
	/* Kernel command line words this accelerator needs (caller frees). */
	char *(*kernel_args)(void);
};

/* Whether QEMU can use KVM here: /dev/kvm opens read-write, answers the
 * KVM API and is backed by VT-x or AMD-V; why says the reason either way.
 * HAKO_VM_ACCEL=tcg or =kvm in the environment overrides the choice. */
bool vm_kvm_usable(char *why, size_t size);

/* KVM when vm_kvm_usable(), else TCG; on TCG a note goes to stderr
 * once per process (quiet: no note). */
const struct vm_accel *vm_accel_pick(bool quiet);

/* ---- guest kernel and initramfs ---- */

struct vm_kernel {
	char *vmlinuz;	   /* the kernel image */
	char *modules_dir; /* lib/modules/<version> of that kernel, or NULL */
	char *version;	   /* "6.1.0-56-cloud-amd64", or NULL */
};

/* Find the guest kernel: `path` when given, else $HAKO_VM_KERNEL, else
 * /var/cache/hako/kernel/vmlinuz (scripts/fetch-kernel.sh).  The modules are
 * looked for next to it (../lib/modules/<version>, from vmlinuz-<version>),
 * or in $HAKO_VM_MODULES.  A missing kernel is an error naming the path and
 * the script that fetches it. */
int vm_kernel_find(const char *path, struct vm_kernel *out, struct hk_error **err);
void vm_kernel_free(struct vm_kernel *k);

/* The modules each initramfs module list loads, dependencies resolved from
 * each .ko's .modinfo "depends=" (no depmod needed): "micro" for microvm
 * (virtio-mmio, virtio-blk), "full" for managed VMs (virtio-pci, -blk, -net,
 * -scsi, -console, -rng, vsock, virtiofs, the ACPI power button, evdev). */
extern const char *const vm_modules_micro[];
extern const char *const vm_modules_full[];

/* Read the "depends=" list of a kernel module file (.ko, uncompressed, or
 * .ko.xz/.ko.zst refused with a clear error).  Caller frees the vector. */
int vm_module_depends(const char *ko_path, char ***out, struct hk_error **err);

/* Build (or reuse) hako's initramfs for kernel k: a newc cpio with
 * hako-vminit as /init, the module lists and their .ko files, and a static
 * busybox as /bin/sh when one is installed.  Cached by content under
 * <root>/vm/initramfs/<sha256>.cpio; *out is its path. */
int vm_initramfs_build(const char *root, const struct vm_kernel *k, char **out,
		       struct hk_error **err);

/* Where hako-vminit is: $HAKO_VMINIT, else next to the running hako binary,
 * else <prefix>/libexec/hako/hako-vminit. */
int vm_vminit_path(char **out, struct hk_error **err);

/* ---- the guest configuration (hako.cfg= on the kernel command line) ---- */

struct vm_guest_cfg {
	const char *modules; /* "micro" / "full" */
	const char *rootdev; /* "vda": mount as / (micro VMs); NULL: stay in the initramfs */
	char **argv;	     /* command, or NULL */
	char **env;	     /* K=V, or NULL */
	const char *cwd;
	const char *script; /* /bin/sh -c script */
	const char *nonce;  /* exit marker nonce, or NULL */
	bool tty, keep;
	/* stdio over the virtio ports hako.in / hako.out (framed: VM_FRAME_*)
	 * instead of the serial console */
	bool ports;
};

/* Frames on the port hako.out: a type byte, a 32-bit big-endian length,
 * the data; the exit frame's data is the status in decimal. */
#define VM_FRAME_STDOUT 1
#define VM_FRAME_STDERR 2
#define VM_FRAME_EXIT	3
#define VM_FRAME_HDR	5

/* Encode cfg as "hako.cfg=<base64url>"; an error when it would not fit the
 * kernel's command line (x86: 2048 bytes in all). */
int vm_guest_cfg_encode(const struct vm_guest_cfg *cfg, char **out, struct hk_error **err);

/* ---- exit marker on the serial console ---- */

/* Filter for console output: feeds bytes through, holding back a possible
 * marker prefix, and finds "<<hako-exit:NONCE:STATUS>>\n".  */
struct vm_marker {
	char nonce[40];
	char held[96];
	size_t nheld;
	int status; /* -1 until seen */
};
void vm_marker_init(struct vm_marker *m, const char *nonce);
/* Process n bytes of in; writes the bytes to pass on into out (room for
 * n + sizeof(held)) and returns their count. */
size_t vm_marker_feed(struct vm_marker *m, const char *in, size_t n, char *out);
/* Bytes held back at the end of the stream (no marker came). */
size_t vm_marker_flush(struct vm_marker *m, char *out);

/* ---- QMP ---- */

struct qmp;
/* Connect to a QMP unix socket and negotiate capabilities (timeout in ms). */
int qmp_connect(const char *path, int timeout_ms, struct qmp **out, struct hk_error **err);
void qmp_close(struct qmp *q);
void qmp_closep(struct qmp **q);
/* Run a command ("query-status", args JSON text or NULL); *ret (may be NULL)
 * gets the "return" member as JSON text.  QMP errors become hk_errors with
 * QEMU's description. */
int qmp_execute(struct qmp *q, const char *cmd, const char *args_json, char **ret,
		struct hk_error **err);
/* query-status: "running", "paused", "shutdown", ... (caller frees). */
int qmp_status(struct qmp *q, char **status, struct hk_error **err);

/* ---- disks (qemu-img) ---- */

/* Parse "10G", "512M", "1024" (bytes), "1.5G" into bytes; 0 or junk is an error. */
int vm_parse_size(const char *s, uint64_t *out, struct hk_error **err);
/* qemu-img create -f qcow2 [-b backing -F fmt] path size (size 0 with a
 * backing file: the backing file's size). */
int vm_disk_create(const char *path, uint64_t size, const char *backing, struct hk_error **err);
/* qemu-img resize */
int vm_disk_resize(const char *path, uint64_t size, struct hk_error **err);
/* qemu-img info --output=json: virtual size and format (caller frees). */
int vm_disk_info(const char *path, uint64_t *vsize, char **format, struct hk_error **err);

/* ---- micro VMs: hako run --vm ---- */

struct vm_run_opts {
	const char *rootfs;    /* a directory with the image's root filesystem */
	const char *cache_key; /* reuse <root>/vm/rootfs/<key>.ext4 (an image ID), or NULL */
	char **argv;
	char **env;
	const char *cwd;
	const char *kernel; /* NULL: vm_kernel_find's default */
	uint64_t memory;    /* bytes, 0: 256 MiB */
	int cpus;	    /* 0: 1 */
	bool tty;	    /* -t: the console is a terminal */
	bool interactive;   /* -i: forward stdin */
	bool quiet;	    /* no TCG note */
};

/* The cached ext4 disk of key (an image ID) when there is one (caller frees),
 * so that callers can skip assembling the rootfs; NULL otherwise. */
char *vm_rootfs_cached(const char *root, const char *key);

/* Boot a micro VM running opts->argv in opts->rootfs, copy its console to
 * stdout, and return the command's exit status (>= 0), or < 0 with *err. */
int vm_run(const char *root, const char *runroot, const struct vm_run_opts *opts,
	   struct hk_error **err);

/* ---- managed VMs ---- */

enum vm_state { VM_SHUTOFF, VM_RUNNING, VM_PAUSED, VM_CRASHED, VM_STARTING };
/* "shut off", "running", "paused", "crashed", "starting" */
const char *vm_state_name(enum vm_state s);

struct vm_def {
	char *name;
	char *id; /* 64 hex */
	int vcpus;
	uint64_t memory; /* bytes */
	char *disk;	 /* qcow2 path (hako-owned when disk_owned) */
	bool disk_owned;
	char *iso, *kernel, *initrd, *append;
	char *network; /* "user", "none", "bridge:NAME" */
	char *cloud_init;
	bool autostart;
	int64_t created; /* unix seconds */
	/* As the monitor recorded it; vm_state() gives the live state. */
	char *state;
	pid_t monitor_pid, qemu_pid;
	char *reason; /* why it crashed, or NULL */
	char *ports;  /* -p: "tcp:127.0.0.1:8080-:80 ..." (QEMU hostfwd), or NULL */
};
void vm_def_free(struct vm_def *d);
void vm_def_freep(struct vm_def **d);

/* Options of vm create; sizes in bytes. */
struct vm_create_opts {
	const char *name;
	int vcpus;
	uint64_t memory;
	const char *disk;   /* "SIZE" (a new qcow2) or an existing image PATH */
	const char *import; /* an existing disk: a new qcow2 on top of it */
	const char *iso, *kernel, *initrd, *append;
	const char *network;
	const char *cloud_init;
	const char *init_script; /* hako-vminit runs it (hako's initramfs only) */
	char **ports;		 /* -p [IP:]HOST:GUEST[/udp], NULL-terminated, may be NULL */
	bool autostart;
};

/* Validate, make the disk, record the definition: all or nothing. */
int vm_create(const char *root, const struct vm_create_opts *o, struct vm_def **out,
	      struct hk_error **err);
int vm_get(const char *root, const char *name, struct vm_def **out, struct hk_error **err);
int vm_list(const char *root, struct vm_def ***out, size_t *n, struct hk_error **err);
void vm_list_free(struct vm_def **l, size_t n);
/* Change vcpus (> 0) / memory (> 0) / the init script (non-NULL) of a VM
 * that is shut off. */
int vm_set(const char *root, const char *runroot, const char *name, int vcpus, uint64_t memory,
	   const char *init_script, struct hk_error **err);
/* Add a NIC (network: user, NET or bridge:BR; mac NULL: a random one) to a
 * shut-off VM, or remove the one with that MAC (or the first on network). */
int vm_attach_interface(const char *root, const char *runroot, const char *name,
			const char *network, const char *mac, struct hk_error **err);
int vm_detach_interface(const char *root, const char *runroot, const char *name, const char *mac,
			const char *network, struct hk_error **err);
/* Remove a VM that is not running; with disks, its hako-owned disk too. */
int vm_remove(const char *root, const char *runroot, const char *name, bool disks,
	      struct hk_error **err);

/* The NICs of a vm_def's network without their recorded MACs,
 * comma-separated ("none" for none). */
char *vm_network_specs(const char *network);

/* A VM's NIC: its network ("user", "bridge:BR", a hako network), its MAC
 * and, on a hako network while the VM runs, the address it was given. */
struct vm_nic {
	char *network;
	char mac[18];
	char *ip; /* NULL when none */
	int prefix;
};
/* The NICs of d, in QEMU's order (the guest's eth0, eth1...). */
int vm_nics_info(const char *root, const char *runroot, const struct vm_def *d, struct vm_nic **out,
		 size_t *n, struct hk_error **err);
void vm_nics_info_free(struct vm_nic *v, size_t n);

/* The live state, read from QMP when the VM's monitor runs. */
int vm_state(const char *root, const char *runroot, const char *name, enum vm_state *out,
	     struct hk_error **err);
/* PIDs of the monitor and of QEMU (0 when not running). */
int vm_pids(const char *root, const char *runroot, const char *name, pid_t *monitor, pid_t *qemu,
	    struct hk_error **err);

/* Start: fork the monitor (detached), which starts QEMU; returns when QMP
 * answers (or with the error QEMU printed). */
int vm_start(const char *root, const char *runroot, const char *name, struct hk_error **err);
/* ACPI power button, then wait up to timeout_s for QEMU to end. */
int vm_shutdown(const char *root, const char *runroot, const char *name, int timeout_s,
		struct hk_error **err);
int vm_reboot(const char *root, const char *runroot, const char *name, struct hk_error **err);
int vm_suspend(const char *root, const char *runroot, const char *name, struct hk_error **err);
int vm_resume(const char *root, const char *runroot, const char *name, struct hk_error **err);
/* Hard power off: QMP quit, SIGKILL of our QEMU by PID when QMP fails. */
int vm_destroy(const char *root, const char *runroot, const char *name, struct hk_error **err);
/* Attach the terminal to the serial console (Ctrl-] leaves). */
int vm_console(const char *root, const char *runroot, const char *name, struct hk_error **err);
/* Path of the console log of a VM. */
char *vm_console_log_path(const char *root, const char *name);

#endif
