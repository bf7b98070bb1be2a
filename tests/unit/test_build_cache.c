/* hako build: the build_cache table and its prune/usage accounting. */
#include "build/build.h"
#include "build/build_int.h"
#include "image/image.h"
#include "test.h"
#include "util/util.h"

TEST(build_cache_put_get_prune)
{
	_cleanup_image_store_ struct image_store *s = NULL;
	_cleanup_error_ struct hk_error *err = NULL;
	char id[72];
	int64_t n = -1, size = -1, recl = -1, freed = -1;

	REQUIRE(image_store_open(test_tmpdir(), &s, &err) == 0);
	REQUIRE(cache_migrate(s->db, &err) == 0);
	REQUIRE(cache_migrate(s->db, &err) == 0); /* idempotent */
	REQUIRE(cache_get(s->db, "k1", id, &err) == 0);
	CHECK_STR(id, "");
	REQUIRE(cache_put(s->db, "k1", "sha256:aaaa", &err) == 0);
	REQUIRE(cache_put(s->db, "k2", "sha256:bbbb", &err) == 0);
	REQUIRE(cache_put(s->db, "k1", "sha256:cccc", &err) == 0); /* replaced */
	REQUIRE(cache_get(s->db, "k1", id, &err) == 0);
	CHECK_STR(id, "sha256:cccc");
	CHECK(build_cache_has_image(s->db, "sha256:bbbb"));
	CHECK(!build_cache_has_image(s->db, "sha256:aaaa"));
	REQUIRE(build_cache_usage(test_tmpdir(), &n, &size, &recl, &err) == 0);
	CHECK(n == 2);
	CHECK(size == 0); /* the images are not in the store: nothing to count */
	/* records of images nobody tags or uses go, and so do their images */
	REQUIRE(build_cache_prune(test_tmpdir(), false, &n, &freed, &err) == 0);
	CHECK(n == 2);
	REQUIRE(cache_get(s->db, "k2", id, &err) == 0);
	CHECK_STR(id, "");
	CHECK(!build_cache_has_image(s->db, "sha256:cccc"));
}
