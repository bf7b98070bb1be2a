/* Image archives: which manifest `load` takes from a multi-platform index. */
#include <fcntl.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "image/archive.h"
#include "image/image.h"
#include "test.h"
#include "util/path.h"
#include "util/util.h"

/* Store body as a blob of the OCI layout at dir; its digest into d. */
static void put_blob(const char *dir, const char *body, char d[DIGEST_BUF])
{
	struct hk_error *err = NULL;

	digest_buffer(body, strlen(body), d);
	_cleanup_free_ char *p = xasprintf("%s/blobs/sha256/%s", dir, d + 7);
	if (write_file_atomic(p, body, strlen(body), 0644, &err) < 0)
		abort();
}

static char *desc(const char *mt, const char *d, const char *body, const char *extra)
{
	return xasprintf("{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu%s}", mt, d,
			 strlen(body), extra);
}

/* An OCI layout whose index.json names a nested index of two platforms:
 * linux/amd64 (a manifest the layout does not hold) and linux/<arch>. */
static void make_layout(const char *dir, const char *arch)
{
	const char *cfg = "{\"os\":\"linux\",\"architecture\":\"x\",\"config\":{},"
			  "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
	char cd[DIGEST_BUF], md[DIGEST_BUF], id[DIGEST_BUF], missing[DIGEST_BUF];
	struct hk_error *err = NULL;

	_cleanup_free_ char *blobs = path_join(dir, "blobs/sha256");
	if (mkdir_p(blobs, 0755, &err) < 0)
		abort();
	put_blob(dir, cfg, cd);
	_cleanup_free_ char *cdesc = desc("application/vnd.oci.image.config.v1+json", cd, cfg, "");
	_cleanup_free_ char *man = xasprintf(
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		"\"config\":%s,\"layers\":[]}",
		cdesc);
	put_blob(dir, man, md);
	digest_buffer("not here", 8, missing);
	const char *mt = "application/vnd.oci.image.manifest.v1+json";
	_cleanup_free_ char *plat =
		xasprintf(",\"platform\":{\"os\":\"linux\",\"architecture\":\"%s\"}", arch);
	_cleanup_free_ char *m1 = desc(
		mt, missing, man, ",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}");
	_cleanup_free_ char *m2 = desc(mt, md, man, plat);
	_cleanup_free_ char *idx = xasprintf(
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
		"\"manifests\":[%s,%s]}",
		m1, m2);
	put_blob(dir, idx, id);
	_cleanup_free_ char *top = desc(
		"application/vnd.oci.image.index.v1+json", id, idx,
		",\"annotations\":{\"org.opencontainers.image.ref.name\":\"localhost/multi:1\"}");
	_cleanup_free_ char *index = xasprintf("{\"schemaVersion\":2,\"manifests\":[%s]}", top);
	_cleanup_free_ char *ip = path_join(dir, "index.json");
	_cleanup_free_ char *lp = path_join(dir, "oci-layout");
	const char *layout = "{\"imageLayoutVersion\":\"1.0.0\"}";
	if (write_file_atomic(ip, index, strlen(index), 0644, &err) < 0 ||
	    write_file_atomic(lp, layout, strlen(layout), 0644, &err) < 0)
		abort();
}

/* Under a 32-bit personality on x86_64 (uname says i686) the host's
 * platform is linux/386: load must take that manifest, not amd64's (it
 * used to map every 64-bit build to amd64, so arm64 hosts loaded the amd64
 * image). */
TEST(archive_load_picks_host_platform)
{
	_cleanup_image_store_ struct image_store *s = NULL;
	_cleanup_error_ struct hk_error *err = NULL;
	struct archive_loaded *loaded = NULL;
	const char *os, *arch, *variant;
	struct utsname u;
	size_t n = 0;

	REQUIRE(uname(&u) == 0);
	if (strcmp(u.machine, "x86_64")) {
		fprintf(stderr, "  (skipped: not x86_64)\n");
		return;
	}
	REQUIRE(personality(PER_LINUX32) != -1);
	image_host_platform(&os, &arch, &variant);
	CHECK_STR(arch, "386");
	const char *root = test_tmpdir();
	_cleanup_free_ char *dir = path_join(root, "oci");
	_cleanup_free_ char *store = path_join(root, "store");
	make_layout(dir, "386");
	REQUIRE(image_store_open(store, &s, &err) == 0);
	if (archive_load(s, dir, &loaded, &n, &err) < 0)
		fprintf(stderr, "  load: %s\n", hk_error_msg(err));
	CHECK(!err && n == 1);
	archive_loaded_free(loaded, n);
}
