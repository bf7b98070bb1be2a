/* hako: layers on disk and container root filesystems (see storage.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "image/image.h"
#include "storage/storage.h"
#include "util/log.h"
#include "util/path.h"
#include "util/util.h"

struct storage {
	char *root;
	char *layers;		       /* <root>/layers */
	char *rootfs;		       /* <root>/rootfs */
	const struct storage_ops *ops; /* NULL: chosen at the first create */
};

static const struct storage_ops *const drivers[] = {&storage_overlay_ops, &storage_vfs_ops};

static const struct storage_ops *driver_by_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(drivers); i++)
		if (!strcmp(drivers[i]->name, name))
			return drivers[i];
	return NULL;
}

int storage_open(const char *root, const char *driver, struct storage **out, struct hk_error **err)
{
	_cleanup_free_ struct storage *s = xzalloc(sizeof(*s));

	if (!driver || !*driver)
		driver = getenv("HAKO_STORAGE_DRIVER");
	if (driver && *driver) {
		s->ops = driver_by_name(driver);
		if (!s->ops)
			return hk_error_set(err, EINVAL,
					    "unknown storage driver '%s' (overlay or vfs)", driver);
	}
	s->root = xstrdup(root);
	s->layers = path_join(root, "layers");
	s->rootfs = path_join(root, "rootfs");
	if (mkdir_p(s->layers, 0700, err) < 0 || mkdir_p(s->rootfs, 0700, err) < 0) {
		free(s->root);
		free(s->layers);
		free(s->rootfs);
		return hk_error_wrap(err, "storage");
	}
	*out = steal_ptr(&s);
	return 0;
}

void storage_close(struct storage *s)
{
	if (!s)
		return;
	free(s->root);
	free(s->layers);
	free(s->rootfs);
	free(s);
}

void storage_closep(struct storage **s)
{
	storage_close(*s);
	*s = NULL;
}

static const struct storage_ops *choose_driver(struct storage *s)
{
	if (!s->ops) {
		s->ops = storage_overlay_ops.supported(s->rootfs) ? &storage_overlay_ops
								  : &storage_vfs_ops;
		log_debug("storage: using the %s driver", s->ops->name);
	}
	return s->ops;
}

const char *storage_driver_name(const struct storage *s)
{
	return choose_driver((struct storage *)s)->name;
}

/* ------------------------------------------------------------------ layers */

static const char *chain_hex(const char *chain_id)
{
	return str_has_prefix(chain_id, DIGEST_PREFIX) ? chain_id + DIGEST_HEX_START : chain_id;
}

char *storage_layer_path(struct storage *s, const char *chain_id)
{
	return path_join(s->layers, chain_hex(chain_id));
}

bool storage_layer_exists(struct storage *s, const char *chain_id)
{
	_cleanup_free_ char *p = storage_layer_path(s, chain_id);
	struct stat st;

	return lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int storage_layer_remove(struct storage *s, const char *chain_id, struct hk_error **err)
{
	_cleanup_close_ int dfd = -1;

	if (!digest_valid(chain_id))
		return hk_error_set(err, EINVAL, "invalid layer id '%s'", chain_id);
	dfd = open(s->layers, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return hk_error_errno(err, "open %s", s->layers);
	return rm_rf_at(dfd, chain_hex(chain_id), err);
}

int storage_layer_unpack(struct storage *s, int fd, const char *chain_id,
			 const char *expected_diff_id, const char *what,
			 struct layer_unpack_result *res, struct hk_error **err)
{
	_cleanup_close_ int ldfd = -1, tfd = -1;
	_cleanup_free_ char *tmp = NULL;
	const char *hex = chain_hex(chain_id);
	int r;

	memset(res, 0, sizeof(*res));
	if (!digest_valid(chain_id))
		return hk_error_set(err, EINVAL, "invalid layer id '%s'", chain_id);
	if (storage_layer_exists(s, chain_id))
		return 0;
	ldfd = open(s->layers, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ldfd < 0)
		return hk_error_errno(err, "open %s", s->layers);
	tmp = xasprintf("tmp-%d-%llx", (int)getpid(), now_ns());
	if (mkdirat(ldfd, tmp, 0755) < 0)
		return hk_error_errno(err, "mkdir %s/%s", s->layers, tmp);
	tfd = openat(ldfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tfd < 0) {
		r = hk_error_errno(err, "open %s/%s", s->layers, tmp);
		goto fail;
	}
	/* Held until the rename: storage_repair() removes only unlocked ones. */
	if (flock(tfd, LOCK_EX) < 0) {
		r = hk_error_errno(err, "lock %s/%s", s->layers, tmp);
		goto fail;
	}
	r = storage_unpack_into(tfd, fd, what, res, err);
	if (r < 0)
		goto fail;
	if (expected_diff_id && strcmp(expected_diff_id, res->diff_id)) {
		r = hk_error_set(err, 0,
				 "%s: diff ID mismatch: the layer is %s, the config says %s", what,
				 res->diff_id, expected_diff_id);
		goto fail;
	}
	if (renameat(ldfd, tmp, ldfd, hex) < 0) {
		if (errno == EEXIST || errno == ENOTEMPTY) {
			/* Another hako unpacked the same layer meanwhile. */
			rm_rf_at(ldfd, tmp, NULL);
			return 0;
		}
		r = hk_error_errno(err, "rename the layer to %s/%s", s->layers, hex);
		goto fail;
	}
	return 0;
fail : {
	struct hk_error *e2 = NULL;
	rm_rf_at(ldfd, tmp, &e2);
	hk_error_free(&e2);
}
	return r;
}

int storage_repair(struct storage *s, struct hk_error **err)
{
	_cleanup_close_ int ldfd = open(s->layers, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_dir_ DIR *d = NULL;
	struct dirent *de;
	int n = 0;

	if (ldfd < 0)
		return hk_error_errno(err, "open %s", s->layers);
	d = fdopendir(fcntl(ldfd, F_DUPFD_CLOEXEC, 3));
	if (!d)
		return hk_error_errno(err, "read %s", s->layers);
	while ((de = readdir(d))) {
		_cleanup_close_ int fd = -1;
		if (!str_has_prefix(de->d_name, "tmp-"))
			continue;
		fd = openat(ldfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
			continue; /* gone, or being unpacked by a live process */
		if (rm_rf_at(ldfd, de->d_name, err) < 0)
			return -1;
		n++;
	}
	if (n)
		log_debug("storage: removed %d half-unpacked layers", n);
	return n;
}

/* ------------------------------------------------------------ root filesystems */

static bool valid_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 128 || id[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

char *storage_rootfs_path(struct storage *s, const char *id)
{
	return xasprintf("%s/%s/merged", s->rootfs, id);
}

/* Read rootfs/<id>/{layers,driver}: lower dirs (lowest first) and the ops. */
static int read_rootfs(struct storage *s, const char *id, char ***lowers,
		       const struct storage_ops **ops, struct hk_error **err)
{
	_cleanup_free_ char *dir = path_join(s->rootfs, id);
	_cleanup_free_ char *text = NULL, *drv = NULL;
	_cleanup_close_ int dfd = -1;
	char **v = xzalloc(sizeof(char *));
	size_t len;

	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		strv_free(v);
		return hk_error_errno(err, "rootfs %s", id);
	}
	if (read_file_at(dfd, "layers", 1 << 20, &text, &len, err) < 0 ||
	    read_file_at(dfd, "driver", 64, &drv, &len, err) < 0) {
		strv_free(v);
		return hk_error_wrap(err, "rootfs %s", id);
	}
	drv[strcspn(drv, "\n")] = '\0';
	*ops = driver_by_name(drv);
	if (!*ops) {
		strv_free(v);
		return hk_error_set(err, 0, "rootfs %s: unknown driver '%s'", id, drv);
	}
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (!digest_valid(line)) {
			strv_free(v);
			return hk_error_set(err, 0, "rootfs %s: bad layer id '%s'", id, line);
		}
		_cleanup_free_ char *p = storage_layer_path(s, line);
		strv_push(&v, p);
	}
	*lowers = v;
	return 0;
}

int storage_create_rootfs(struct storage *s, const char *const *chain_ids, size_t n, const char *id,
			  char **mountpoint, struct hk_error **err)
{
	_cleanup_free_ char *dir = NULL, *list = xstrdup("");
	_cleanup_strv_ char **lowers = xzalloc(sizeof(char *));
	const struct storage_ops *ops = choose_driver(s);
	_cleanup_close_ int dfd = -1;

	if (!valid_id(id))
		return hk_error_set(err, EINVAL, "invalid rootfs id '%s'", id);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = NULL, *l = NULL;
		if (!digest_valid(chain_ids[i]))
			return hk_error_set(err, EINVAL, "invalid layer id '%s'", chain_ids[i]);
		if (!storage_layer_exists(s, chain_ids[i]))
			return hk_error_set(err, ENOENT, "layer %s is not unpacked", chain_ids[i]);
		p = storage_layer_path(s, chain_ids[i]);
		strv_push(&lowers, p);
		l = xasprintf("%s%s\n", list, chain_ids[i]);
		free(list);
		list = steal_ptr(&l);
	}
	dir = path_join(s->rootfs, id);
	if (mkdir(dir, 0700) < 0)
		return hk_error_errno(err, "create rootfs %s", dir);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || write_file_at(dfd, "layers", list, strlen(list), 0600, err) < 0 ||
	    write_file_at(dfd, "driver", ops->name, strlen(ops->name), 0600, err) < 0 ||
	    ops->create((const char *const *)lowers, n, dir, err) < 0 ||
	    ops->mount((const char *const *)lowers, n, dir, err) < 0) {
		if (dfd < 0)
			hk_error_errno(err, "open %s", dir);
		struct hk_error *e2 = NULL;
		ops->unmount(dir, &e2);
		hk_error_free(&e2);
		rm_rf(dir, &e2);
		hk_error_free(&e2);
		return hk_error_wrap(err, "rootfs %s (%s)", id, ops->name);
	}
	*mountpoint = storage_rootfs_path(s, id);
	return 0;
}

int storage_mount(struct storage *s, const char *id, char **mountpoint, struct hk_error **err)
{
	_cleanup_strv_ char **lowers = NULL;
	_cleanup_free_ char *dir = NULL;
	const struct storage_ops *ops;

	if (!valid_id(id))
		return hk_error_set(err, EINVAL, "invalid rootfs id '%s'", id);
	if (read_rootfs(s, id, &lowers, &ops, err) < 0)
		return -1;
	dir = path_join(s->rootfs, id);
	if (ops->mount((const char *const *)lowers, strv_len(lowers), dir, err) < 0)
		return hk_error_wrap(err, "mount rootfs %s", id);
	if (mountpoint)
		*mountpoint = storage_rootfs_path(s, id);
	return 0;
}

bool storage_mounted(struct storage *s, const char *id)
{
	_cleanup_strv_ char **lowers = NULL;
	_cleanup_free_ char *merged = NULL;
	const struct storage_ops *ops;
	struct hk_error *err = NULL;
	struct statfs sf;

	if (!valid_id(id) || read_rootfs(s, id, &lowers, &ops, &err) < 0) {
		hk_error_free(&err);
		return false;
	}
	if (ops != &storage_overlay_ops)
		return true;
	merged = storage_rootfs_path(s, id);
	return statfs(merged, &sf) == 0 && sf.f_type == OVERLAYFS_SUPER_MAGIC;
}

int storage_unmount(struct storage *s, const char *id, struct hk_error **err)
{
	_cleanup_strv_ char **lowers = NULL;
	_cleanup_free_ char *dir = NULL;
	const struct storage_ops *ops;

	if (!valid_id(id))
		return hk_error_set(err, EINVAL, "invalid rootfs id '%s'", id);
	if (read_rootfs(s, id, &lowers, &ops, err) < 0)
		return -1;
	dir = path_join(s->rootfs, id);
	if (ops->unmount(dir, err) < 0)
		return hk_error_wrap(err, "unmount rootfs %s", id);
	return 0;
}

int storage_remove(struct storage *s, const char *id, struct hk_error **err)
{
	_cleanup_free_ char *dir = NULL;
	struct stat st;

	if (!valid_id(id))
		return hk_error_set(err, EINVAL, "invalid rootfs id '%s'", id);
	dir = path_join(s->rootfs, id);
	if (lstat(dir, &st) < 0)
		return errno == ENOENT ? 0 : hk_error_errno(err, "stat %s", dir);
	/* Both drivers' unmount are idempotent: try overlay's on any rootfs
	 * whose driver file is lost. */
	if (storage_unmount(s, id, err) < 0) {
		hk_error_free(err);
		if (storage_overlay_ops.unmount(dir, err) < 0)
			return hk_error_wrap(err, "remove rootfs %s", id);
	}
	if (rm_rf(dir, err) < 0)
		return hk_error_wrap(err, "remove rootfs %s", id);
	return 0;
}

int storage_diff(struct storage *s, const char *id, struct storage_change **changes, size_t *n,
		 struct hk_error **err)
{
	_cleanup_strv_ char **lowers = NULL;
	_cleanup_free_ char *dir = NULL;
	const struct storage_ops *ops;

	*changes = NULL;
	*n = 0;
	if (!valid_id(id))
		return hk_error_set(err, EINVAL, "invalid rootfs id '%s'", id);
	if (read_rootfs(s, id, &lowers, &ops, err) < 0)
		return -1;
	dir = path_join(s->rootfs, id);
	if (ops->diff((const char *const *)lowers, strv_len(lowers), dir, changes, n, err) < 0)
		return hk_error_wrap(err, "diff rootfs %s", id);
	return 0;
}

void storage_changes_free(struct storage_change *changes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(changes[i].path);
	free(changes);
}
