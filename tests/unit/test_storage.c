/* Layer unpacking: whiteouts and hostile tars built here with libarchive
 * (and one hand-made header). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "storage/storage.h"
#include "test.h"
#include "util/path.h"
#include "util/util.h"

struct tent {
	const char *path;
	char type;	 /* 'f' file, 'd' dir, 'l' symlink, 'h' hard link */
	const char *arg; /* file data, link target */
};

static int make_tar(const struct tent *ents, size_t n, bool gzip)
{
	int fd = memfd_create("t", MFD_CLOEXEC);
	struct archive *a = archive_write_new();

	archive_write_set_format_pax_restricted(a);
	if (gzip)
		archive_write_add_filter_gzip(a);
	archive_write_open_fd(a, fd);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		size_t len = ents[i].type == 'f' && ents[i].arg ? strlen(ents[i].arg) : 0;
		archive_entry_set_pathname(e, ents[i].path);
		archive_entry_set_mtime(e, 1000000000, 0);
		switch (ents[i].type) {
		case 'f':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_size(e, (la_int64_t)len);
			break;
		case 'd':
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0755);
			break;
		case 'l':
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_perm(e, 0777);
			archive_entry_set_symlink(e, ents[i].arg);
			break;
		case 'h':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_hardlink(e, ents[i].arg);
			break;
		}
		archive_write_header(a, e);
		if (len)
			archive_write_data(a, ents[i].arg, len);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static size_t count_entries(const char *dir)
{
	_cleanup_dir_ DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	return n;
}

#define CHAIN "sha256:1111111111111111111111111111111111111111111111111111111111111111"

/* Unpack ents as a layer and expect a refusal mentioning want. */
static int expect_refused(const struct tent *ents, size_t n, const char *want)
{
	_cleanup_storage_ struct storage *s = NULL;
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_close_ int fd = make_tar(ents, n, true);
	_cleanup_free_ char *layers = path_join(test_tmpdir(), "layers");
	struct layer_unpack_result res;
	int bad = 0;

	if (storage_open(test_tmpdir(), "vfs", &s, &err) < 0)
		return 1;
	if (storage_layer_unpack(s, fd, CHAIN, NULL, "layer sha256:111111111111", &res, &err) ==
	    0) {
		fprintf(stderr, "  accepted, want: %s\n", want);
		return 1;
	}
	if (!strstr(hk_error_msg(err), want)) {
		fprintf(stderr, "  got: %s\n  want: %s\n", hk_error_msg(err), want);
		bad++;
	}
	/* Nothing left: no layer, no temp dir. */
	if (count_entries(layers) != 0) {
		fprintf(stderr, "  layers/ is not empty\n");
		bad++;
	}
	return bad;
}

TEST(unpack_refuses_dotdot)
{
	const struct tent t[] = {{"ok", 'f', "x"}, {"../../etc/passwd", 'f', "evil"}};

	CHECK(expect_refused(t, 2,
			     "layer sha256:111111111111: entry \"../../etc/passwd\": path escapes "
			     "the layer") == 0);
	CHECK(expect_refused((const struct tent[]){{"a/../../b", 'f', "x"}}, 1,
			     "path escapes the layer") == 0);
}

TEST(unpack_refuses_absolute)
{
	CHECK(expect_refused((const struct tent[]){{"/etc/shadow", 'f', "x"}}, 1,
			     "entry \"/etc/shadow\": absolute path") == 0);
}

TEST(unpack_refuses_path_through_symlink)
{
	_cleanup_free_ char *outside = path_join(test_tmpdir(), "outside");
	_cleanup_free_ char *victim = path_join(outside, "pwned");
	const struct tent t[] = {{"escape", 'l', outside}, {"escape/pwned", 'f', "x"}};
	const struct tent rel[] = {{"d", 'd', NULL}, {"d/up", 'l', "../.."}, {"d/up/x", 'f', "y"}};

	REQUIRE(mkdir(outside, 0755) == 0);
	CHECK(expect_refused(t, 2, "entry \"escape/pwned\": path goes through \"escape\"") == 0);
	CHECK(access(victim, F_OK) < 0);
	CHECK(expect_refused(rel, 3, "entry \"d/up/x\": path goes through \"up\"") == 0);
}

TEST(unpack_refuses_hardlink_outside)
{
	CHECK(expect_refused((const struct tent[]){{"h", 'h', "../../etc/passwd"}}, 1,
			     "entry \"h\": hard link to \"../../etc/passwd\" escapes the layer") ==
	      0);
	CHECK(expect_refused((const struct tent[]){{"h", 'h', "/etc/passwd"}}, 1,
			     "escapes the layer") == 0);
	/* A link to a file this layer does not have. */
	CHECK(expect_refused((const struct tent[]){{"h", 'h', "missing"}}, 1,
			     "hard link target \"missing\"") == 0);
}

/* A ustar header whose size is 2^50 bytes in GNU base-256. */
static void put_octal(char *f, size_t n, unsigned long v)
{
	snprintf(f, n, "%0*lo", (int)n - 1, v);
}

TEST(unpack_refuses_huge_header)
{
	_cleanup_storage_ struct storage *s = NULL;
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_free_ char *layers = path_join(test_tmpdir(), "layers");
	struct layer_unpack_result res;
	char block[512 * 4] = {0};
	unsigned sum = 0;
	int fd = memfd_create("huge", MFD_CLOEXEC);

	memcpy(block, "big", 3);
	put_octal(block + 100, 8, 0644);
	put_octal(block + 108, 8, 0);
	put_octal(block + 116, 8, 0);
	block[124] = (char)0x80; /* base-256 size: 2^50 */
	block[124 + 5] = 0x04;
	put_octal(block + 136, 12, 1000000000);
	block[156] = '0';
	memcpy(block + 257, "ustar", 6);
	memcpy(block + 263, "00", 2);
	memset(block + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += (unsigned char)block[i];
	snprintf(block + 148, 8, "%06o", sum);
	REQUIRE(write(fd, block, sizeof(block)) == (ssize_t)sizeof(block));
	lseek(fd, 0, SEEK_SET);
	REQUIRE(storage_open(test_tmpdir(), "vfs", &s, &err) == 0);
	CHECK(storage_layer_unpack(s, fd, CHAIN, NULL, "layer x", &res, &err) < 0);
	CHECK(err && strstr(hk_error_msg(err), "entry \"big\": absurd size"));
	CHECK(count_entries(layers) == 0);
	close(fd);
}

TEST(unpack_whiteouts_and_links)
{
	const struct tent t[] = {
		{"./", 'd', NULL},	     {"a/", 'd', NULL},
		{"a/.wh.gone", 'f', ""},     {"c/", 'd', NULL},
		{"c/.wh..wh..opq", 'f', ""}, {"c/kept", 'f', "k"},
		{"f", 'f', "data"},	     {"hl", 'h', "f"},
		{"abs", 'l', "/etc/passwd"}, {"deep/er/file", 'f', "implicit parents"},
	};
	_cleanup_storage_ struct storage *s = NULL;
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_close_ int fd = make_tar(t, ARRAY_SIZE(t), false);
	_cleanup_close_ int l = -1;
	_cleanup_free_ char *dir = NULL;
	struct layer_unpack_result res;
	struct stat st, st2;
	char v[4] = {0}, link[64] = {0};

	REQUIRE(storage_open(test_tmpdir(), NULL, &s, &err) == 0);
	REQUIRE(storage_layer_unpack(s, fd, CHAIN, NULL, "layer", &res, &err) == 0);
	CHECK(res.entries == (int64_t)ARRAY_SIZE(t));
	CHECK(res.size == 1 + 4 + 16);
	dir = storage_layer_path(s, CHAIN);
	l = open(dir, O_RDONLY | O_DIRECTORY);
	REQUIRE(l >= 0);
	REQUIRE(fstatat(l, "a/gone", &st, AT_SYMLINK_NOFOLLOW) == 0);
	CHECK(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
	CHECK(fstatat(l, "a/.wh.gone", &st, AT_SYMLINK_NOFOLLOW) < 0);
	{
		_cleanup_free_ char *c = path_join(dir, "c");
		CHECK(lgetxattr(c, "trusted.overlay.opaque", v, sizeof(v)) == 1 && v[0] == 'y');
	}
	CHECK(fstatat(l, "c/.wh..wh..opq", &st, AT_SYMLINK_NOFOLLOW) < 0);
	REQUIRE(fstatat(l, "f", &st, 0) == 0 && fstatat(l, "hl", &st2, 0) == 0);
	CHECK(st.st_ino == st2.st_ino && st.st_nlink == 2);
	CHECK(st.st_mtime == 1000000000);
	CHECK(readlinkat(l, "abs", link, sizeof(link) - 1) > 0);
	CHECK_STR(link, "/etc/passwd");
	CHECK(fstatat(l, "deep/er/file", &st, AT_SYMLINK_NOFOLLOW) == 0);
	CHECK(strlen(res.diff_id) == 71);
}

/* Three layers: whiteouts and an opaque dir hide lower files, the same way
 * in an overlay mount and in a vfs copy. */
static int stack_three(const char *driver, char **listing)
{
	const struct tent l1[] = {{"a/", 'd', NULL},  {"a/x", 'f', "x1"}, {"a/y", 'f', "y1"},
				  {"b/", 'd', NULL},  {"b/z", 'f', "z1"}, {"keep", 'f', "k1"},
				  {"lnk", 'l', "a/y"}};
	const struct tent l2[] = {{"a/.wh.x", 'f', ""}, {"c", 'f', "c2"}, {"b/w", 'f', "w2"}};
	const struct tent l3[] = {{"b/", 'd', NULL},
				  {"b/.wh..wh..opq", 'f', ""},
				  {"b/new", 'f', "n3"},
				  {"keep", 'f', "k3"},
				  {".wh.lnk", 'f', ""}};
	const struct tent *layers[] = {l1, l2, l3};
	const size_t sizes[] = {ARRAY_SIZE(l1), ARRAY_SIZE(l2), ARRAY_SIZE(l3)};
	const char *chains[] = {
		"sha256:1111111111111111111111111111111111111111111111111111111111111111",
		"sha256:2222222222222222222222222222222222222222222222222222222222222222",
		"sha256:3333333333333333333333333333333333333333333333333333333333333333"};
	_cleanup_storage_ struct storage *s = NULL;
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_free_ char *mp = NULL, *cmd = NULL;
	char buf[4096];
	size_t n;
	FILE *p;

	if (storage_open(test_tmpdir(), driver, &s, &err) < 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		_cleanup_close_ int fd = make_tar(layers[i], sizes[i], i == 1);
		struct layer_unpack_result res;
		if (storage_layer_unpack(s, fd, chains[i], NULL, "layer", &res, &err) < 0) {
			fprintf(stderr, "  %s\n", hk_error_msg(err));
			return -1;
		}
	}
	if (storage_create_rootfs(s, chains, 3, driver, &mp, &err) < 0) {
		fprintf(stderr, "  %s\n", hk_error_msg(err));
		return -1;
	}
	cmd = xasprintf("cd %s && find . -printf '%%p %%y\\n' | sort && cat keep b/new c", mp);
	p = popen(cmd, "r");
	n = p ? fread(buf, 1, sizeof(buf) - 1, p) : 0;
	if (p)
		pclose(p);
	buf[n] = '\0';
	*listing = xstrdup(buf);
	/* A write goes to the container's layer only. */
	{
		_cleanup_free_ char *f = path_join(mp, "added");
		struct storage_change *ch = NULL;
		size_t nch = 0;
		if (write_file_at(AT_FDCWD, f, "x", 1, 0644, &err) < 0 ||
		    storage_diff(s, driver, &ch, &nch, &err) < 0)
			return -1;
		bool found = false;
		for (size_t i = 0; i < nch; i++)
			found = found || (ch[i].kind == 'A' && !strcmp(ch[i].path, "/added"));
		storage_changes_free(ch, nch);
		if (!found)
			return -1;
	}
	if (storage_remove(s, driver, &err) < 0)
		return -1;
	return 0;
}

TEST(storage_three_layers_overlay_and_vfs)
{
	_cleanup_free_ char *overlay = NULL, *vfs = NULL;
	const char *want = ". d\n./a d\n./a/y f\n./b d\n./b/new f\n./c f\n./keep f\nk3n3c2";

	REQUIRE(stack_three("vfs", &vfs) == 0);
	CHECK_STR(vfs, want);
	if (!storage_overlay_ops.supported(test_tmpdir())) {
		fprintf(stderr, "  overlay unsupported here: only vfs checked\n");
		return;
	}
	REQUIRE(stack_three("overlay", &overlay) == 0);
	CHECK_STR(overlay, want);
}
