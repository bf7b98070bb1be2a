/* The guest kernel (Debian's cloud kernel, fetched by scripts/fetch-kernel.sh)
 * and the initramfs hako builds for it: hako-vminit as /init and exactly the
 * modules a VM needs that this kernel has as modules rather than built in. */
#include <archive.h>
#include <archive_entry.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/path.h"
#include "util/util.h"
#include "vm/vm.h"

#define DEFAULT_KERNEL "/var/cache/hako/kernel/vmlinuz"
#define MAX_KO	       (64u << 20)
#define MAX_INIT       (16u << 20)

const char *const vm_modules_micro[] = {"virtio_mmio", "virtio_blk", "virtio_console", NULL};
const char *const vm_modules_full[] = {
	"virtio_pci", "virtio_blk",	"virtio_net", "virtio_scsi",
	"sd_mod",     "virtio_console", "virtio_rng", "vmw_vsock_virtio_transport",
	"virtiofs",   "button",		"evdev",      NULL,
};

void vm_kernel_free(struct vm_kernel *k)
{
	free(k->vmlinuz);
	free(k->modules_dir);
	free(k->version);
	k->vmlinuz = k->modules_dir = k->version = NULL;
}

int vm_kernel_find(const char *path, struct vm_kernel *out, struct hk_error **err)
{
	_cleanup_free_ char *real = NULL, *dir = NULL;
	const char *env = getenv("HAKO_VM_KERNEL"), *base, *mods = getenv("HAKO_VM_MODULES");
	struct stat st;

	memset(out, 0, sizeof(*out));
	if (!path || !*path)
		path = env && *env ? env : DEFAULT_KERNEL;
	real = realpath(path, NULL);
	if (!real || stat(real, &st) < 0 || !S_ISREG(st.st_mode)) {
		int e = real ? (errno ? errno : EINVAL) : errno;
		return hk_error_set(err, e,
				    "guest kernel %s: not found (run scripts/fetch-kernel.sh, or "
				    "set HAKO_VM_KERNEL or --kernel)",
				    path);
	}
	out->vmlinuz = xstrdup(real);
	base = strrchr(real, '/') + 1;
	if (str_has_prefix(base, "vmlinuz-"))
		out->version = xstrdup(base + strlen("vmlinuz-"));
	if (mods && *mods) {
		out->modules_dir = xstrdup(mods);
	} else if (out->version) {
		dir = xstrdup(real);
		out->modules_dir = xasprintf("%s/../lib/modules/%s", dirname(dir), out->version);
		if (access(out->modules_dir, F_OK) != 0) {
			free(out->modules_dir);
			out->modules_dir = NULL;
		}
	}
	return 0;
}

/* Find the section ".modinfo" of an ELF64 relocatable object in buf. */
static int elf_modinfo(const char *what, const char *buf, size_t len, const char **info,
		       size_t *ilen, struct hk_error **err)
{
	const Elf64_Ehdr *eh = (const void *)buf;
	const Elf64_Shdr *sh, *strs;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64)
		return hk_error_set(err, 0, "%s: not an ELF64 kernel module", what);
	if (eh->e_shoff > len || eh->e_shnum == 0 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    (len - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum || eh->e_shstrndx >= eh->e_shnum)
		return hk_error_set(err, 0, "%s: bad ELF section table", what);
	sh = (const void *)(buf + eh->e_shoff);
	strs = &sh[eh->e_shstrndx];
	if (strs->sh_offset > len || strs->sh_size > len - strs->sh_offset)
		return hk_error_set(err, 0, "%s: bad ELF string table", what);
	for (unsigned i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_name >= strs->sh_size)
			continue;
		const char *name = buf + strs->sh_offset + sh[i].sh_name;
		if (strnlen(name, strs->sh_size - sh[i].sh_name) == strs->sh_size - sh[i].sh_name)
			continue;
		if (strcmp(name, ".modinfo"))
			continue;
		if (sh[i].sh_offset > len || sh[i].sh_size > len - sh[i].sh_offset)
			return hk_error_set(err, 0, "%s: bad .modinfo section", what);
		*info = buf + sh[i].sh_offset;
		*ilen = sh[i].sh_size;
		return 0;
	}
	return hk_error_set(err, 0, "%s: no .modinfo section", what);
}

int vm_module_depends(const char *ko_path, char ***out, struct hk_error **err)
{
	_cleanup_free_ char *buf = NULL;
	const char *info = NULL;
	size_t len, ilen = 0, i = 0;
	char **deps = NULL;

	*out = NULL;
	if (str_has_suffix(ko_path, ".xz") || str_has_suffix(ko_path, ".zst") ||
	    str_has_suffix(ko_path, ".gz"))
		return hk_error_set(err, 0,
				    "%s: compressed kernel modules are not supported (this kernel "
				    "must have CONFIG_MODULE_COMPRESS_NONE)",
				    ko_path);
	if (read_file_at(AT_FDCWD, ko_path, MAX_KO, &buf, &len, err) < 0)
		return -1;
	if (elf_modinfo(ko_path, buf, len, &info, &ilen, err) < 0)
		return -1;
	while (i < ilen) {
		size_t n = strnlen(info + i, ilen - i);
		if (n < ilen - i && str_has_prefix(info + i, "depends=")) {
			_cleanup_free_ char *list = xstrndup(info + i + 8, n - 8);
			char *save = NULL;
			for (char *t = strtok_r(list, ",", &save); t;
			     t = strtok_r(NULL, ",", &save))
				strv_push(&deps, t);
		}
		i += n + 1;
	}
	*out = deps ? deps : xzalloc(sizeof(char *));
	return 0;
}

/* A module's name from its file: "virtio-rng.ko" -> "virtio_rng". */
static char *module_name(const char *relpath)
{
	const char *b = strrchr(relpath, '/');
	char *n = xstrdup(b ? b + 1 : relpath);
	char *dot = strstr(n, ".ko");

	if (dot)
		*dot = 0;
	for (char *p = n; *p; p++)
		if (*p == '-')
			*p = '_';
	return n;
}

struct modindex {
	char **names;
	char **paths;
};

static void modindex_free(struct modindex *m)
{
	strv_free(m->names);
	strv_free(m->paths);
}

/* modules.order lists every module file of the kernel package. */
static int modindex_load(const char *dir, struct modindex *m, struct hk_error **err)
{
	_cleanup_free_ char *p = path_join(dir, "modules.order"), *text = NULL;
	size_t len;
	char *save = NULL;

	memset(m, 0, sizeof(*m));
	if (read_file_at(AT_FDCWD, p, 4u << 20, &text, &len, err) < 0)
		return hk_error_wrap(err, "kernel modules");
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		_cleanup_free_ char *name = module_name(l), *full = path_join(dir, l);
		strv_push(&m->names, name);
		strv_push(&m->paths, full);
	}
	if (!m->names)
		return hk_error_set(err, 0, "%s: no modules listed", p);
	return 0;
}

static const char *modindex_path(const struct modindex *m, const char *name)
{
	for (size_t i = 0; m->names[i]; i++)
		if (!strcmp(m->names[i], name))
			return m->paths[i];
	return NULL;
}

/* Depth-first: dependencies before the module, each once. */
static int resolve(const struct modindex *m, const char *name, int depth, char ***order,
		   struct hk_error **err)
{
	_cleanup_strv_ char **deps = NULL;
	const char *path;

	if (strv_has(*order, name))
		return 0;
	if (depth > 32)
		return hk_error_set(err, 0, "module %s: dependency loop", name);
	path = modindex_path(m, name);
	if (!path)
		return 1; /* built in (or absent): nothing to load */
	if (vm_module_depends(path, &deps, err) < 0)
		return -1;
	for (size_t i = 0; deps[i]; i++)
		if (resolve(m, deps[i], depth + 1, order, err) < 0)
			return hk_error_wrap(err, "module %s", name);
	strv_push(order, name);
	return 0;
}

int vm_vminit_path(char **out, struct hk_error **err)
{
	const char *env = getenv("HAKO_VMINIT");
	char self[4096];
	ssize_t n;

	if (env && *env) {
		if (access(env, X_OK) != 0)
			return hk_error_errno(err, "HAKO_VMINIT %s", env);
		*out = xstrdup(env);
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		_cleanup_free_ char *p = xasprintf("%s/hako-vminit", dirname(self));
		if (access(p, X_OK) == 0) {
			*out = steal_ptr(&p);
			return 0;
		}
		_cleanup_free_ char *q = xasprintf("%s/../libexec/hako/hako-vminit", self);
		if (access(q, X_OK) == 0) {
			*out = steal_ptr(&q);
			return 0;
		}
	}
	return hk_error_set(err, ENOENT, "hako-vminit not found next to hako (build it: make)");
}

struct ifile {
	const char *src;
	char *dst; /* path inside the archive */
	mode_t mode;
};

static int hash_file(EVP_MD_CTX *md, const char *path, struct hk_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[65536];
	ssize_t n;

	if (fd < 0)
		return hk_error_errno(err, "open %s", path);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(md, buf, (size_t)n);
	if (n < 0)
		return hk_error_errno(err, "read %s", path);
	return 0;
}

static int ar_add(struct archive *a, const char *name, mode_t mode, const void *data, size_t len,
		  struct hk_error **err)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	archive_entry_set_pathname(e, name);
	archive_entry_set_mode(e, mode);
	archive_entry_set_size(e, S_ISDIR(mode) ? 0 : (la_int64_t)len);
	archive_entry_set_mtime(e, 0, 0);
	archive_entry_set_nlink(e, S_ISDIR(mode) ? 2 : 1);
	r = archive_write_header(a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return hk_error_set(err, 0, "initramfs: %s: %s", name, archive_error_string(a));
	if (len && archive_write_data(a, data, len) != (la_ssize_t)len)
		return hk_error_set(err, 0, "initramfs: %s: %s", name, archive_error_string(a));
	return 0;
}

static int ar_add_file(struct archive *a, const struct ifile *f, struct hk_error **err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;

	if (read_file_at(AT_FDCWD, f->src, MAX_KO, &data, &len, err) < 0)
		return -1;
	return ar_add(a, f->dst, S_IFREG | f->mode, data, len, err);
}

static int write_cpio(const char *tmp, struct ifile *files, size_t nfiles, const char *lists[2],
		      struct hk_error **err)
{
	static const char *const dirs[] = {"bin",     "dev", "proc",	    "sys",
					   "tmp",     "lib", "lib/modules", "lib/modules/hako",
					   "newroot", NULL};
	struct archive *a = archive_write_new();
	int r = -1;

	if (archive_write_set_format_cpio_newc(a) != ARCHIVE_OK ||
	    archive_write_open_filename(a, tmp) != ARCHIVE_OK) {
		hk_error_set(err, 0, "initramfs %s: %s", tmp, archive_error_string(a));
		goto out;
	}
	for (size_t i = 0; dirs[i]; i++)
		if (ar_add(a, dirs[i], S_IFDIR | 0755, NULL, 0, err) < 0)
			goto out;
	for (size_t i = 0; i < nfiles; i++)
		if (ar_add_file(a, &files[i], err) < 0)
			goto out;
	if (ar_add(a, "lib/modules/hako/micro.list", S_IFREG | 0644, lists[0], strlen(lists[0]),
		   err) < 0 ||
	    ar_add(a, "lib/modules/hako/full.list", S_IFREG | 0644, lists[1], strlen(lists[1]),
		   err) < 0)
		goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		hk_error_set(err, 0, "initramfs %s: %s", tmp, archive_error_string(a));
		goto out;
	}
	r = 0;
out:
	archive_write_free(a);
	return r;
}

static char *join_list(char **mods)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; mods && mods[i]; i++)
		len += strlen(mods[i]) + 4;
	s = xzalloc(len);
	for (size_t i = 0; mods && mods[i]; i++) {
		strcat(s, mods[i]);
		strcat(s, ".ko\n");
	}
	return s;
}

int vm_initramfs_build(const char *root, const struct vm_kernel *k, char **out,
		       struct hk_error **err)
{
	_cleanup_free_ char *vminit = NULL, *dir = NULL, *final = NULL, *tmp = NULL;
	_cleanup_free_ char *micro_list = NULL, *full_list = NULL;
	_cleanup_strv_ char **micro = NULL, **full = NULL;
	struct modindex idx = {0};
	struct ifile files[64];
	size_t nfiles = 0;
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned dglen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	EVP_MD_CTX *md = NULL;
	const char *lists[2];
	int r = -1;

	if (vm_vminit_path(&vminit, err) < 0)
		return -1;
	files[nfiles++] = (struct ifile){vminit, xstrdup("init"), 0755};
	/* A shell for managed VMs' scripts and console, when the host has a
	 * static busybox (Debian: busybox-static). */
	if (access("/bin/busybox", X_OK) == 0)
		files[nfiles++] = (struct ifile){"/bin/busybox", xstrdup("bin/busybox"), 0755};
	if (k->modules_dir) {
		if (modindex_load(k->modules_dir, &idx, err) < 0)
			goto out;
		for (size_t i = 0; vm_modules_micro[i]; i++)
			if (resolve(&idx, vm_modules_micro[i], 0, &micro, err) < 0)
				goto out;
		for (size_t i = 0; vm_modules_full[i]; i++)
			if (resolve(&idx, vm_modules_full[i], 0, &full, err) < 0)
				goto out;
		for (size_t i = 0; full && full[i]; i++) {
			if (nfiles >= ARRAY_SIZE(files)) {
				hk_error_set(err, 0, "initramfs: too many modules");
				goto out;
			}
			files[nfiles++] =
				(struct ifile){modindex_path(&idx, full[i]),
					       xasprintf("lib/modules/hako/%s.ko", full[i]), 0644};
		}
		for (size_t i = 0; micro && micro[i]; i++)
			if (!strv_has(full, micro[i]) && nfiles < ARRAY_SIZE(files))
				files[nfiles++] = (struct ifile){
					modindex_path(&idx, micro[i]),
					xasprintf("lib/modules/hako/%s.ko", micro[i]), 0644};
	}
	micro_list = join_list(micro);
	full_list = join_list(full);
	lists[0] = micro_list;
	lists[1] = full_list;

	/* The cache key: every input's name and content. */
	md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	EVP_DigestUpdate(md, "hako-initramfs-1", 16);
	for (size_t i = 0; i < nfiles; i++) {
		EVP_DigestUpdate(md, files[i].dst, strlen(files[i].dst) + 1);
		if (hash_file(md, files[i].src, err) < 0)
			goto out;
	}
	EVP_DigestUpdate(md, micro_list, strlen(micro_list) + 1);
	EVP_DigestUpdate(md, full_list, strlen(full_list) + 1);
	EVP_DigestFinal_ex(md, dg, &dglen);
	for (unsigned i = 0; i < dglen; i++)
		sprintf(hex + 2 * i, "%02x", dg[i]);

	dir = xasprintf("%s/vm/initramfs", root);
	final = xasprintf("%s/%s.cpio", dir, hex);
	if (access(final, R_OK) == 0) {
		*out = steal_ptr(&final);
		r = 0;
		goto out;
	}
	if (mkdir_p(dir, 0700, err) < 0)
		goto out;
	tmp = xasprintf("%s/.tmp-%d-%s", dir, getpid(), hex);
	if (write_cpio(tmp, files, nfiles, lists, err) < 0) {
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, final) < 0) {
		hk_error_errno(err, "initramfs: rename to %s", final);
		unlink(tmp);
		goto out;
	}
	*out = steal_ptr(&final);
	r = 0;
out:
	EVP_MD_CTX_free(md);
	modindex_free(&idx);
	for (size_t i = 0; i < nfiles; i++)
		free(files[i].dst);
	return r;
}
