/* The content store and image records. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image.h"
#include "storage/storage.h"
#include "test.h"
#include "util/path.h"
#include "util/util.h"

static size_t count_dir(const char *root, const char *sub)
{
	_cleanup_free_ char *p = path_join(root, sub);
	_cleanup_dir_ DIR *d = opendir(p);
	struct dirent *de;
	size_t n = 0;

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	return n;
}

TEST(blob_digest_verified)
{
	_cleanup_image_store_ struct image_store *s = NULL;
	_cleanup_error_ struct hk_error *err = NULL;
	char d[DIGEST_BUF], want[DIGEST_BUF];
	const char *root = test_tmpdir();
	int fd = memfd_create("b", MFD_CLOEXEC);

	REQUIRE(image_store_open(root, &s, &err) == 0);
	REQUIRE(write(fd, "hello", 5) == 5);
	digest_buffer("other", 5, want);
	lseek(fd, 0, SEEK_SET);
	CHECK(store_blob_put_fd(s, fd, want, 5, d, NULL, &err) < 0);
	CHECK(err && strstr(hk_error_msg(err), "digest mismatch"));
	CHECK(!store_blob_exists(s, want));
	CHECK(count_dir(root, "blobs/sha256") == 0);
	CHECK(count_dir(root, "blobs/tmp") == 0);
	hk_error_free(&err);
	/* Wrong size: too much data. */
	digest_buffer("hello", 5, want);
	lseek(fd, 0, SEEK_SET);
	CHECK(store_blob_put_fd(s, fd, want, 4, d, NULL, &err) < 0);
	CHECK(err && strstr(hk_error_msg(err), "more data than the expected 4 bytes"));
	hk_error_free(&err);
	CHECK(count_dir(root, "blobs/sha256") == 0);
	lseek(fd, 0, SEEK_SET);
	REQUIRE(store_blob_put_fd(s, fd, want, 5, d, NULL, &err) == 0);
	CHECK_STR(d, want);
	CHECK(store_blob_exists(s, want));
	CHECK(count_dir(root, "blobs/tmp") == 0);
	close(fd);
}

/* A one-file layer as an uncompressed tar blob. */
static void put_layer(struct image_store *s, const char *name, const char *data, char *digest)
{
	int fd = memfd_create("l", MFD_CLOEXEC);
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	struct hk_error *err = NULL;

	archive_write_set_format_pax_restricted(a);
	archive_write_open_fd(a, fd);
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)strlen(data));
	archive_write_header(a, e);
	archive_write_data(a, data, strlen(data));
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
	lseek(fd, 0, SEEK_SET);
	if (store_blob_put_fd(s, fd, NULL, -1, digest, NULL, &err) < 0)
		abort();
	close(fd);
}

static char *config_for(const char *const *diff_ids, size_t n)
{
	char *ids = xstrdup("");

	for (size_t i = 0; i < n; i++) {
		char *x = xasprintf("%s%s\"%s\"", ids, i ? "," : "", diff_ids[i]);
		free(ids);
		ids = x;
	}
	char *c = xasprintf("{\"created\":\"2024-01-02T03:04:05Z\",\"os\":\"linux\","
			    "\"architecture\":\"amd64\",\"config\":{\"Cmd\":[\"sh\"],\"Env\":null,"
			    "\"Labels\":{\"a\":\"b\"},\"ExposedPorts\":{\"80/tcp\":{}}},"
			    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[%s]}}",
			    ids);
	free(ids);
	return c;
}

TEST(image_commit_lookup_remove)
{
	_cleanup_image_store_ struct image_store *s = NULL;
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_image_ struct image *img = NULL;
	_cleanup_image_config_ struct image_config *cfg = NULL;
	_cleanup_free_ char *config = NULL;
	char b1[DIGEST_BUF], b2[DIGEST_BUF], id[DIGEST_BUF], prefix[16];
	const char *root = test_tmpdir();
	const char *tags[] = {"test/app:1", "localhost:5000/app", NULL};

	REQUIRE(image_store_open(root, &s, &err) == 0);
	put_layer(s, "one", "1", b1);
	put_layer(s, "two", "22", b2);
	{
		const char *ids[] = {b1, b2}; /* uncompressed: diff id = blob digest */
		config = config_for(ids, 2);
	}
	struct image_commit_layer layers[] = {{b1, -1, NULL}, {b2, -1, NULL}};
	struct image_commit c = {.config_json = config,
				 .config_len = strlen(config),
				 .layers = layers,
				 .n_layers = 2,
				 .tags = tags};
	REQUIRE(image_commit(s, &c, id, &err) == 0);
	CHECK(count_dir(root, "layers") == 2);
	REQUIRE(image_lookup(s, "test/app:1", &img, &err) == 0);
	CHECK_STR(img->id, id);
	CHECK(img->n_layers == 2 && img->size == 3 && img->created == 1704164645);
	CHECK(strv_len(img->tags) == 2);
	CHECK(img->manifest_digest && store_blob_exists(s, img->manifest_digest));
	image_freep(&img);
	snprintf(prefix, sizeof(prefix), "%.10s", id + 7);
	REQUIRE(image_lookup(s, prefix, &img, &err) == 0);
	REQUIRE(image_config(img, &cfg, &err) == 0);
	CHECK(cfg->cmd && !strcmp(cfg->cmd[0], "sh") && !cfg->env);
	CHECK(cfg->labels && !strcmp(cfg->labels[0], "a=b"));
	CHECK(cfg->exposed_ports && !strcmp(cfg->exposed_ports[0], "80/tcp"));
	image_freep(&img);
	CHECK(image_lookup(s, "nope", &img, &err) == -ENOENT);
	CHECK(err && strstr(hk_error_msg(err), "image 'nope' not found"));
	hk_error_free(&err);

	/* A user blocks removal. */
	REQUIRE(image_user_add(s, id, "ctr1", &err) == 0);
	CHECK(image_remove(s, id, false, &err) < 0);
	CHECK(err && strstr(hk_error_msg(err), "used by 1 container"));
	hk_error_free(&err);
	REQUIRE(image_user_remove(s, "ctr1", &err) == 0);
	REQUIRE(image_remove(s, id, false, &err) == 0);
	CHECK(count_dir(root, "layers") == 0);
	/* Config, manifest and layer blobs all gone. */
	CHECK(count_dir(root, "blobs/sha256") == 0);
}

TEST(image_commit_bad_diff_id_leaves_nothing)
{
	_cleanup_image_store_ struct image_store *s = NULL;
	_cleanup_error_ struct hk_error *err = NULL;
	_cleanup_free_ char *config = NULL;
	_cleanup_image_ struct image *img = NULL;
	char b1[DIGEST_BUF], wrong[DIGEST_BUF];
	const char *root = test_tmpdir();

	REQUIRE(image_store_open(root, &s, &err) == 0);
	put_layer(s, "one", "1", b1);
	digest_buffer("x", 1, wrong);
	{
		const char *ids[] = {wrong};
		config = config_for(ids, 1);
	}
	struct image_commit_layer layers[] = {{b1, -1, NULL}};
	const char *tags[] = {"bad", NULL};
	struct image_commit c = {.config_json = config,
				 .config_len = strlen(config),
				 .layers = layers,
				 .n_layers = 1,
				 .tags = tags};
	CHECK(image_commit(s, &c, NULL, &err) < 0);
	CHECK(err && strstr(hk_error_msg(err), "diff ID mismatch"));
	hk_error_free(&err);
	CHECK(image_lookup(s, "bad", &img, &err) < 0);
	CHECK(count_dir(root, "layers") == 0);
	CHECK(count_dir(root, "blobs/sha256") == 0);
	CHECK(count_dir(root, "blobs/tmp") == 0);
}
