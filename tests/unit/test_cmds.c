/* Unit tests of the parts behind commit, export and system df:
 * image_config_apply_change, storage_du, storage_diff_tar. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image.h"
#include "storage/storage.h"
#include "test.h"
#include "util/json.h"
#include "util/path.h"
#include "util/util.h"

TEST(config_apply_change)
{
	_cleanup_json_ json_object *cfg = NULL;
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_free_ char *s = NULL;

	REQUIRE(json_parse("t", "{\"Env\":[\"A=1\",\"B=2\"]}", 24, &cfg, &err) == 0);
	CHECK(image_config_apply_change(cfg, "ENV A=3 C=\"x y\"", &err) == 0);
	CHECK(image_config_apply_change(cfg, "cmd echo hi", &err) == 0);
	CHECK(image_config_apply_change(cfg, "ENTRYPOINT [\"/bin/sh\", \"-c\"]", &err) == 0);
	CHECK(image_config_apply_change(cfg, "EXPOSE 80 53/udp", &err) == 0);
	CHECK(image_config_apply_change(cfg, "LABEL k=v", &err) == 0);
	CHECK(image_config_apply_change(cfg, "WORKDIR /w", &err) == 0);
	s = json_to_string(cfg, false);
	CHECK_STR(s, "{\"Env\":[\"A=3\",\"B=2\",\"C=x y\"],\"Cmd\":[\"/bin/sh\",\"-c\",\"echo "
		     "hi\"],\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"ExposedPorts\":{\"80/tcp\":{},"
		     "\"53/udp\":{}},\"Labels\":{\"k\":\"v\"},\"WorkingDir\":\"/w\"}");
	CHECK(image_config_apply_change(cfg, "RUN rm -rf /", &err) < 0);
	CHECK(err && strstr(hk_error_msg(err), "'RUN' can not be applied"));
	hk_error_free(&err);
	CHECK(image_config_apply_change(cfg, "WORKDIR relative", &err) < 0);
	hk_error_free(&err);
	CHECK(image_config_apply_change(cfg, "EXPOSE 99999", &err) < 0);
}

TEST(du_apparent_bytes_hard_links_once)
{
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_free_ char *d = path_join(test_tmpdir(), "du");
	_cleanup_free_ char *f = path_join(d, "f"), *h = path_join(d, "h");
	_cleanup_free_ char *l = path_join(d, "l"), *sub = path_join(d, "sub");
	struct stat sd, ssub;
	int64_t bytes = -1;

	REQUIRE(mkdir(d, 0755) == 0 && mkdir(sub, 0755) == 0);
	REQUIRE(write_file_at(AT_FDCWD, f, "12345", 5, 0644, &err) == 0);
	REQUIRE(link(f, h) == 0);
	REQUIRE(symlink("target-of-11", l) == 0);
	REQUIRE(stat(d, &sd) == 0 && stat(sub, &ssub) == 0);
	REQUIRE(storage_du(d, &bytes, &err) == 0);
	/* dir + sub + f once (h is the same inode) + the link's target length */
	CHECK(bytes == sd.st_size + ssub.st_size + 5 + 12);
	_cleanup_free_ char *missing = path_join(d, "nope");
	CHECK(storage_du(missing, &bytes, &err) == 0 && bytes == 0);
}

static int tar_of(const char *const *paths, size_t n, int *fd_out)
{
	int fd = memfd_create("l", MFD_CLOEXEC);
	struct archive *a = archive_write_new();

	archive_write_set_format_pax_restricted(a);
	archive_write_open_fd(a, fd);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		bool dir = str_has_suffix(paths[i], "/");
		archive_entry_set_pathname(e, paths[i]);
		archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
		archive_entry_set_perm(e, dir ? 0755 : 0644);
		archive_entry_set_size(e, dir ? 0 : 1);
		archive_write_header(a, e);
		if (!dir)
			archive_write_data(a, "x", 1);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	lseek(fd, 0, SEEK_SET);
	*fd_out = fd;
	return 0;
}

static int buf_writer(void *arg, const void *buf, size_t len, struct hk_error **err)
{
	int fd = *(int *)arg;

	(void)err;
	return write_all(fd, buf, len) == (ssize_t)len ? 0 : -1;
}

/* The names in a tar, one a line. */
static char *tar_names(int fd)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	char *out = xstrdup("");

	lseek(fd, 0, SEEK_SET);
	archive_read_support_format_tar(a);
	if (archive_read_open_fd(a, fd, 4096) == ARCHIVE_OK)
		while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
			char *n = xasprintf("%s%s\n", out, archive_entry_pathname(e));
			free(out);
			out = n;
		}
	archive_read_free(a);
	return out;
}

static void diff_tar_driver(const char *driver, int *hk_failed)
{
	const char *const files[] = {"a/", "a/x", "a/y", "d/", "d/old", "keep"};
	const char *chain =
		"sha256:4444444444444444444444444444444444444444444444444444444444444444";
	_cleanup_storage_ struct storage *s = NULL;
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_free_ char *mp = NULL, *names = NULL, *root = NULL;
	_cleanup_close_ int fd = -1, out = memfd_create("o", MFD_CLOEXEC);
	struct layer_unpack_result res;
	const char *skip[] = {"/placeholder", NULL};

	root = path_join(test_tmpdir(), driver);
	REQUIRE(mkdir(root, 0700) == 0);
	REQUIRE(storage_open(root, driver, &s, &err) == 0);
	tar_of(files, ARRAY_SIZE(files), &fd);
	REQUIRE(storage_layer_unpack(s, fd, chain, NULL, "layer", &res, &err) == 0);
	REQUIRE(storage_create_rootfs(s, &chain, 1, "c1", &mp, &err) == 0);
	{
		_cleanup_close_ int m = open(mp, O_RDONLY | O_DIRECTORY);
		REQUIRE(m >= 0);
		REQUIRE(unlinkat(m, "a/x", 0) == 0);
		REQUIRE(write_file_at(m, "new", "n", 1, 0644, &err) == 0);
		REQUIRE(write_file_at(m, "placeholder", "", 0, 0644, &err) == 0);
		/* a directory deleted and made again */
		REQUIRE(unlinkat(m, "d/old", 0) == 0 && unlinkat(m, "d", AT_REMOVEDIR) == 0);
		REQUIRE(mkdirat(m, "d", 0755) == 0);
		REQUIRE(write_file_at(m, "d/fresh", "f", 1, 0644, &err) == 0);
	}
	REQUIRE(storage_diff_tar(s, "c1", skip, buf_writer, &out, &err) == 0);
	names = tar_names(out);
	CHECK(strstr(names, "a/.wh.x\n") != NULL);
	CHECK(strstr(names, "new\n") != NULL);
	CHECK(strstr(names, "d/fresh\n") != NULL);
	CHECK(strstr(names, "placeholder") == NULL);
	CHECK(strstr(names, "keep") == NULL);
	CHECK(strstr(names, "a/y") == NULL);
	/* overlay: an opaque dir; vfs: the old entry is whited out */
	if (!strcmp(driver, "overlay"))
		CHECK(strstr(names, "d/.wh..wh..opq\n") != NULL);
	else
		CHECK(strstr(names, "d/.wh.old\n") != NULL);
	if (*hk_failed)
		fprintf(stderr, "  %s tar:\n%s", driver, names);
	CHECK(storage_remove(s, "c1", &err) == 0);
}

TEST(diff_tar_vfs)
{
	diff_tar_driver("vfs", hk_failed);
}

TEST(diff_tar_overlay)
{
	if (!storage_overlay_ops.supported(test_tmpdir())) {
		fprintf(stderr, "  overlay unsupported here: not checked\n");
		return;
	}
	diff_tar_driver("overlay", hk_failed);
}
