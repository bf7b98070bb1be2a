/* hako: the overlayfs driver.  Layer dirs are the lower dirs (the highest
 * first, as overlayfs wants them), rootfs/<id>/upper the writable layer.
 *
 * Many layers make a long option string (a mount(2) page is 4 KiB), so the
 * new mount API is used: fsopen("overlay") and one "lowerdir+" per layer
 * (Linux 6.8+).  Older kernels get mount(2) with short relative lower paths
 * after a chdir to the layers directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "storage/storage.h"
#include "storage/storage_private.h"
#include "util/log.h"
#include "util/path.h"
#include "util/util.h"

static bool is_overlay_mounted(const char *merged)
{
	struct statfs sf;

	return statfs(merged, &sf) == 0 && sf.f_type == OVERLAYFS_SUPER_MAGIC;
}

static int mount_new_api(const char *const *lowers, size_t n, const char *upper, const char *work,
			 const char *merged, struct hk_error **err)
{
	_cleanup_close_ int fsfd = -1, mfd = -1;

	fsfd = fsopen("overlay", FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return hk_error_errno(err, "fsopen overlay");
	/* The first lowerdir+ is the top of the stack. */
	for (size_t i = n; i-- > 0;) {
		if (fsconfig(fsfd, FSCONFIG_SET_STRING, "lowerdir+", lowers[i], 0) < 0)
			return hk_error_errno(err, "overlay lowerdir+ %s", lowers[i]);
	}
	if (upper && (fsconfig(fsfd, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
		      fsconfig(fsfd, FSCONFIG_SET_STRING, "workdir", work, 0) < 0))
		return hk_error_errno(err, "overlay upperdir %s", upper);
	if (fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return hk_error_errno(err, "create the overlay");
	mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, 0);
	if (mfd < 0)
		return hk_error_errno(err, "fsmount overlay");
	if (move_mount(mfd, "", AT_FDCWD, merged, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return hk_error_errno(err, "move_mount overlay to %s", merged);
	return 0;
}

/* mount(2) with lower dirs relative to their common parent, to fit more
 * layers into one page of options. */
static int mount_legacy(const char *const *lowers, size_t n, const char *upper, const char *work,
			const char *merged, struct hk_error **err)
{
	_cleanup_free_ char *opts = NULL, *parent = NULL;
	_cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (n == 0)
		return hk_error_set(err, EINVAL, "overlay: no lower layer");
	parent = xstrdup(lowers[0]);
	*strrchr(parent, '/') = '\0';
	opts = xstrdup("lowerdir=");
	for (size_t i = n; i-- > 0;) {
		const char *base = strrchr(lowers[i], '/') + 1;
		char *o = xasprintf("%s%s%s", opts, base, i ? ":" : "");
		free(opts);
		opts = o;
	}
	if (upper) {
		char *o = xasprintf("%s,upperdir=%s,workdir=%s", opts, upper, work);
		free(opts);
		opts = o;
	}
	if (strlen(opts) >= 4096)
		return hk_error_set(err, E2BIG, "overlay: %zu layers do not fit in mount options",
				    n);
	if (chdir(parent) < 0)
		return hk_error_errno(err, "chdir %s", parent);
	if (mount("overlay", merged, "overlay", 0, opts) < 0)
		r = hk_error_errno(err, "mount overlay on %s", merged);
	if (cwd >= 0 && fchdir(cwd) < 0)
		log_warn("overlay: can not return to the working directory: %s", strerror(errno));
	return r;
}

int overlay_mount_dirs(const char *const *lowers, size_t n, const char *upper, const char *work,
		       const char *merged, struct hk_error **err)
{
	if (mount_new_api(lowers, n, upper, work, merged, err) == 0)
		return 0;
	/* EINVAL: no "lowerdir+" before Linux 6.8; ENOSYS: no fsopen. */
	if ((*err)->errnum != EINVAL && (*err)->errnum != ENOSYS)
		return -1;
	hk_error_free(err);
	return mount_legacy(lowers, n, upper, work, merged, err);
}

/* The kernel's boot id, or "" when it cannot be read. */
static void boot_id(char buf[64])
{
	_cleanup_close_ int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, 63) : -1;

	buf[n > 0 ? n : 0] = '\0';
}

static bool overlay_supported(const char *root)
{
	_cleanup_free_ char *dir = path_join(root, ".probe-XXXXXX");
	_cleanup_free_ char *mark = NULL;
	struct hk_error *e = NULL;
	char boot[64];
	bool ok = false;

	/* A successful probe is remembered for the rest of the boot in
	 * <root>/.overlay-ok (the boot id): probing mounts and unmounts an
	 * overlay, some 15 ms of every `hako run`. */
	boot_id(boot);
	if (*boot) {
		char seen[64];
		_cleanup_close_ int fd = openat(AT_FDCWD, root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		_cleanup_close_ int mfd =
			fd >= 0 ? openat(fd, ".overlay-ok", O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
		ssize_t n = mfd >= 0 ? read(mfd, seen, sizeof(seen) - 1) : -1;
		if (n > 0) {
			seen[n] = '\0';
			if (!strcmp(seen, boot))
				return true;
		}
	}
	if (!mkdtemp(dir))
		return false;
	{
		_cleanup_free_ char *lower = path_join(dir, "l"), *upper = path_join(dir, "u"),
				    *work = path_join(dir, "w"), *merged = path_join(dir, "m");
		const char *lowers[] = {lower};
		if (mkdir(lower, 0755) == 0 && mkdir(upper, 0755) == 0 && mkdir(work, 0755) == 0 &&
		    mkdir(merged, 0755) == 0 &&
		    overlay_mount_dirs(lowers, 1, upper, work, merged, &e) == 0) {
			ok = true;
			umount2(merged, MNT_DETACH);
		} else {
			log_debug("storage: overlay unusable here: %s", hk_error_msg(e));
		}
	}
	hk_error_free(&e);
	rm_rf(dir, &e);
	hk_error_free(&e);
	if (ok && *boot) {
		mark = path_join(root, ".overlay-ok");
		if (write_file_atomic(mark, boot, strlen(boot), 0600, &e) < 0)
			hk_error_free(&e); /* only a cache: probe again next time */
	}
	return ok;
}

static int overlay_create(const char *const *lowers, size_t n, const char *dir,
			  struct hk_error **err)
{
	static const char *const subs[] = {"upper", "work", "merged"};

	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		_cleanup_free_ char *p = path_join(dir, subs[i]);
		if (mkdir(p, i == 0 ? 0755 : 0700) < 0 && errno != EEXIST)
			return hk_error_errno(err, "mkdir %s", p);
	}
	return 0;
}

static int overlay_mount(const char *const *lowers, size_t n, const char *dir,
			 struct hk_error **err)
{
	_cleanup_free_ char *upper = path_join(dir, "upper"), *work = path_join(dir, "work"),
			    *merged = path_join(dir, "merged");
	_cleanup_free_ char *empty = NULL;
	const char *one[1];

	if (is_overlay_mounted(merged))
		return 0;
	if (n == 0) {
		/* An image without layers: an empty lower dir. */
		empty = path_join(dir, "empty");
		if (mkdir(empty, 0755) < 0 && errno != EEXIST)
			return hk_error_errno(err, "mkdir %s", empty);
		one[0] = empty;
		lowers = one;
		n = 1;
	}
	return overlay_mount_dirs(lowers, n, upper, work, merged, err);
}

static int overlay_unmount(const char *dir, struct hk_error **err)
{
	_cleanup_free_ char *merged = path_join(dir, "merged");

	while (is_overlay_mounted(merged)) {
		if (umount2(merged, 0) == 0)
			continue;
		if (errno == EBUSY) {
			/* Still used (a process' cwd): detach now, the kernel
			 * frees it when the last user goes. */
			if (umount2(merged, MNT_DETACH) < 0)
				return hk_error_errno(err, "unmount %s", merged);
			continue;
		}
		if (errno == EINVAL || errno == ENOENT)
			break;
		return hk_error_errno(err, "unmount %s", merged);
	}
	return 0;
}

/* ------------------------------------------------------------------- diff */

/* An entry of the upper dir: a whiteout deletes (D), else it is the
 * image's changed (C) or a new one (A). */
static char upper_kind(const struct stat *st, bool in_image, const struct stat *lst)
{
	(void)lst;
	if (S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0))
		return 'D';
	return in_image ? 'C' : 'A';
}

static int overlay_diff(const char *const *lowers, size_t n, const char *dir,
			struct storage_change **changes, size_t *count, struct hk_error **err)
{
	_cleanup_free_ char *upper = path_join(dir, "upper");
	_cleanup_close_ int fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return hk_error_errno(err, "open %s", upper);
	if (storage_diff_tree(fd, lowers, n, upper_kind, changes, count, err) < 0) {
		storage_changes_free(*changes, *count);
		*changes = NULL;
		*count = 0;
		return -1;
	}
	storage_changes_sort(*changes, *count);
	return 0;
}

const struct storage_ops storage_overlay_ops = {
	.name = "overlay",
	.supported = overlay_supported,
	.create = overlay_create,
	.mount = overlay_mount,
	.unmount = overlay_unmount,
	.diff = overlay_diff,
};
